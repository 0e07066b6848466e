# bench/summary.awk: the table and the ratios of make bench (scripts/bench),
# from the TAP of bench/timens-bench in each kernel's guest:
#   awk -f bench/summary.awk build/run/bench-{series,stock[,base]}/bench.tap
# A file is the series' (S), the stock kernel's (K) or the stripped base's
# (B) by its directory's name. Reads its "# result PATH NS CLOCK MEDIAN P10
# P90 ROUNDS", "# trace NS CLOCK N" and "# offsets ..." lines; prints the
# table, "ratio NAME VALUE" lines and "target NAME VALUE OP LIMIT met|MISSED".

FNR == 1 { k = (FILENAME ~ /bench-series/) ? "S" : (FILENAME ~ /bench-stock/) ? "K" : "B" }
/^# offsets / { sub(/^# offsets /, ""); if (k == "S") off = off "\n  " $0 }
/^# trace / && k != "" { trace[k, $3 " " $4] = $5 }
/^# result / {
	key = $3 " " $4 " " $5
	if (!(key in seen)) { seen[key] = 1; order[n++] = key }
	med[k, key] = $6; p10[k, key] = $7; p90[k, key] = $8; rounds[k] = $9
	have[k] = 1
}
function max(a, b) { return a > b ? a : b }
function min(a, b) { return a < b ? a : b }
function r(a, b) { return (a != "" && b > 0) ? a / b : -1 }
function ratio(name, a, b) {
	val[name] = r(a, b)
	printf "ratio %s %.3f\n", name, val[name]
}
function target(name, op, lim,    ok) {
	ok = (op == "<=") ? val[name] <= lim + 0.0005 : val[name] < lim
	printf "target %-28s %.3f %s %.2f %s\n", name, val[name], op, lim,
		ok ? "met" : "MISSED"
}
function row(f1, f2, f3, key, fmt, bfmt) {
	printf fmt, f1, f2, f3, med["S", key], p10["S", key], p90["S", key],
		med["K", key], p10["K", key], p90["K", key], r(med["S", key], med["K", key])
	if (have["B"] && med["B", key] != "")
		printf bfmt, med["B", key], r(med["S", key], med["B", key])
	printf "\n"
}
END {
	printf "\ninstructions per call (per iteration for life), median p10 p90 over %d rounds\n", rounds["S"]
	printf "namespace offsets (sec nsec):%s\n\n", off
	printf "%-7s %-9s %-22s %27s   %27s  %7s", "path", "ns", "clock",
		"series: median   p10   p90", "stock: median   p10   p90", "ser/stk"
	if (have["B"]) printf "   %9s %8s", "base", "ser/base"
	printf "\n"
	for (i = 0; i < n; i++) {
		key = order[i]; split(key, f, " ")
		if (f[1] == "empty") continue
		if (f[1] == "life")
			row(f[1], f[2], f[3], key, "%-7s %-9s %-22s %10.0f %8.0f %8.0f   %10.0f %8.0f %8.0f  %7.3f",
				"   %9.0f %8.3f")
		else
			row(f[1], f[2], f[3], key, "%-7s %-9s %-22s %10.2f %8.2f %8.2f   %10.2f %8.2f %8.2f  %7.3f",
				"   %9.2f %8.3f")
	}
	printf "\ninstructions inside the vDSO for one call (single-stepped):\n"
	split("root timens timens_hi", nss, " ")
	for (j = 1; j <= 3; j++)
		for (c = 1; c <= 2; c++) {
			t = nss[j] " " (c == 1 ? "CLOCK_MONOTONIC" : "CLOCK_BOOTTIME")
			printf "  %-30s series %4s   stock %4s", t, trace["S", t], trace["K", t]
			if (have["B"] && trace["B", t] != "") printf "   base %4s", trace["B", t]
			printf "\n"
		}
	printf "\n"
	split("MONOTONIC BOOTTIME", clk, " ")
	for (c = 1; c <= 2; c++) {
		C = "CLOCK_" clk[c]; sfx = (c == 1) ? "" : "_boottime"
		root = "vdso root " C; lo = "vdso timens " C; hi = "vdso timens_hi " C
		sys = "syscall root " C
		# each kernel in its worst case: its reads all corrected
		# (see struct nsdef in bench/timens-bench.c), and its best
		sw = max(med["S", lo], med["S", hi]); sb = min(med["S", lo], med["S", hi])
		kw = max(med["K", lo], med["K", hi]); kb = min(med["K", lo], med["K", hi])
		ratio("root_vdso_vs_stock" sfx, med["S", root], med["K", root])
		ratio("ns_vdso_vs_root" sfx, sw, med["S", root])
		ratio("ns_vdso_vs_stock_ns" sfx, sw, kw)
		ratio("syscall_vs_stock" sfx, med["S", sys], med["K", sys])
		ratio("stock_ns_vdso_vs_root" sfx, kw, med["K", root])
		ratio("ns_best_vdso_vs_root" sfx, sb, med["S", root])
		ratio("stock_ns_best_vdso_vs_root" sfx, kb, med["K", root])
		ratio("ns_best_vdso_vs_stock_best" sfx, sb, kb)
		ratio("ns_syscall_vs_stock_ns" sfx, med["S", "syscall timens " C],
			med["K", "syscall timens " C])
		if (c == 1) {
			l = "life root create_enter_exit"; f0 = "life root fork_wait"
			ratio("create_enter_exit_vs_stock", med["S", l], med["K", l])
			# the namespace part alone: less a plain fork, exit and wait
			ratio("create_enter_exit_less_fork_vs_stock",
				med["S", l] - med["S", f0], med["K", l] - med["K", f0])
			# its parts: unshare (a new namespace, the previous one
			# freed), writing the offsets, a child entering it
			u = "life root unshare_destroy"; w = "life root unshare_write_destroy"
			ratio("unshare_destroy_vs_stock", med["S", u], med["K", u])
			ratio("write_offsets_vs_stock", med["S", w] - med["S", u],
				med["K", w] - med["K", u])
			ratio("fork_enter_less_fork_vs_stock",
				med["S", l] - med["S", w] - med["S", f0],
				med["K", l] - med["K", w] - med["K", f0])
		}
		if (have["B"]) {
			# what the feature costs the root namespace
			ratio("root_vdso_vs_base" sfx, med["S", root], med["B", root])
			ratio("stock_root_vdso_vs_base" sfx, med["K", root], med["B", root])
			ratio("syscall_vs_base" sfx, med["S", sys], med["B", sys])
			ratio("stock_syscall_vs_base" sfx, med["K", sys], med["B", sys])
		}
	}
	if (have["B"]) {
		s = "syscall root CLOCK_REALTIME"
		ratio("syscall_realtime_vs_base", med["S", s], med["B", s])
		ratio("stock_syscall_realtime_vs_base", med["K", s], med["B", s])
		ratio("fork_wait_vs_base", med["S", f0], med["B", f0])
		ratio("stock_fork_wait_vs_base", med["K", f0], med["B", f0])
	}
	printf "\n"
	target("root_vdso_vs_stock", "<=", 1.00)
	target("ns_vdso_vs_root", "<=", 1.15)
	target("ns_vdso_vs_stock_ns", "<", 1.00)
	target("syscall_vs_stock", "<=", 1.00)
	target("create_enter_exit_vs_stock", "<=", 1.00)
}
