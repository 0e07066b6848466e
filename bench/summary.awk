# bench/summary.awk: the table and the ratios of make bench (scripts/bench),
# from the TAP of bench/timens-bench in each kernel's guest:
#   awk -f bench/summary.awk build/run/bench-{series,stock[,base]}/bench.tap
# A file is the series' (S), the stock kernel's (K) or the stripped base's
# (B) by its directory's name. Reads its "# result PATH NS CLOCK MEDIAN P10
# P90 ROUNDS", "# trace NS CLOCK N", "# offsets ...", "# wall clock: ..."
# and "# faketime WAY CASE right|WRONG ..." lines; prints the table,
# "ratio NAME VALUE" lines, which cases of faketime-cases each approach gets
# right, and "target NAME VALUE OP LIMIT met|MISSED".

FNR == 1 { k = (FILENAME ~ /bench-series/) ? "S" : (FILENAME ~ /bench-stock/) ? "K" : "B" }
/^# offsets / { sub(/^# offsets /, ""); if (k == "S") off = off "\n  " $0 }
/^# trace / && k != "" { trace[k, $3 " " $4] = $5 }
/^# wall clock: / { sub(/^# wall clock: /, ""); nowall[k] = $0 }
/^# faketime / && ($5 == "right" || $5 == "WRONG") {
	if (!(($3) in fseen)) { fseen[$3] = 1; fway[nw++] = $3 }
	if (!(($4) in cseen)) { cseen[$4] = 1; fcase[nc++] = $4 }
	fk[k, $3, $4] = $5
}
/^# result / {
	key = $3 " " $4 " " $5
	if (!(key in seen)) { seen[key] = 1; order[n++] = key }
	med[k, key] = $6; p10[k, key] = $7; p90[k, key] = $8
	# the rounds of the table's header: the clock reads' (some of the
	# other figures, faketime-cases' among them, count their own)
	if ($3 == "vdso") rounds[k] = $9
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
	# a ratio that could not be computed (-1) is missed, never met
	ok = val[name] >= 0 && ((op == "<=") ? val[name] <= lim + 0.0005 : val[name] < lim)
	printf "target %-38s %.3f %s %.2f %s\n", name, val[name], op, lim,
		ok ? "met" : "MISSED"
}
# a figure of the table (a: med, p10 or p90; w: width; d: decimals), "-"
# where a kernel has none (the wall clock's on the stock kernel)
function fig(a, k, key, w, d) {
	if (med[k, key] == "") return sprintf("%" w "s", "-")
	return sprintf("%" w "." d "f", a[k, key])
}
function row(key, d,    f, q) {
	split(key, f, " ")
	q = sprintf("%7.3f", r(med["S", key], med["K", key]))
	printf "%-7s %-11s %-22s %s %s %s   %s %s %s  %s", f[1], f[2], f[3],
		fig(med, "S", key, 10, d), fig(p10, "S", key, 8, d), fig(p90, "S", key, 8, d),
		fig(med, "K", key, 10, d), fig(p10, "K", key, 8, d), fig(p90, "K", key, 8, d),
		med["K", key] == "" ? sprintf("%7s", "-") : q
	if (have["B"] && med["B", key] != "")
		printf "   %s %8.3f", fig(med, "B", key, 9, d), r(med["S", key], med["B", key])
	printf "\n"
}
END {
	printf "\ninstructions per call (per iteration for life; per operation for arm, set;\n"
	printf "call: libc's clock_gettime(CLOCK_REALTIME) in faketime-cases), median p10 p90 over %d rounds\n", rounds["S"]
	printf "namespace offsets (sec nsec):%s\n", off
	for (kk in nowall)
		printf "%s: wall clock %s\n", kk == "S" ? "series" : kk == "K" ? "stock" : "base", nowall[kk]
	printf "\n%-7s %-11s %-22s %27s   %27s  %7s", "path", "ns", "clock",
		"series: median   p10   p90", "stock: median   p10   p90", "ser/stk"
	if (have["B"]) printf "   %9s %8s", "base", "ser/base"
	printf "\n"
	for (i = 0; i < n; i++) {
		key = order[i]; split(key, f, " ")
		if (f[1] == "empty") continue
		row(key, (f[1] == "life" || f[1] == "set" || f[1] == "recv") ? 0 : 2)
	}
	printf "\ninstructions inside the vDSO for one call (single-stepped):\n"
	split("root timens timens_hi timens_wall", nss, " ")
	split("CLOCK_MONOTONIC CLOCK_BOOTTIME CLOCK_REALTIME", tcl, " ")
	for (j = 1; j <= 4; j++)
		for (c = 1; c <= 3; c++) {
			t = nss[j] " " tcl[c]
			printf "  %-30s series %4s   stock %4s", t,
				trace["S", t] == "" ? "-" : trace["S", t],
				trace["K", t] == "" ? "-" : trace["K", t]
			if (have["B"] && trace["B", t] != "") printf "   base %4s", trace["B", t]
			printf "\n"
		}
	# faketime-cases: the cases each approach gets right, per kernel
	if (nw) {
		printf "\nfaketime-cases: the wall clock a year ahead, which cases each approach gets right\n"
		printf "  %-18s", "case"
		for (kk = 1; kk <= 2; kk++)
			for (w = 0; w < nw; w++)
				printf " %13s", (kk == 1 ? "S:" : "K:") fway[w]
		printf "\n"
		for (c = 0; c < nc; c++) {
			printf "  %-18s", fcase[c]
			for (kk = 1; kk <= 2; kk++)
				for (w = 0; w < nw; w++) {
					v = fk[kk == 1 ? "S" : "K", fway[w], fcase[c]]
					printf " %13s", v == "" ? "-" : v
				}
			printf "\n"
		}
		printf "  (S: series guest, K: stock guest; -: not run)\n"
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
	ratio("root_vdso_vs_stock_realtime", med["S", "vdso root CLOCK_REALTIME"],
		med["K", "vdso root CLOCK_REALTIME"])
	# a namespace whose wall clock is its own, and can be set: every read
	# of it borrows (struct nsdef in bench/timens-bench.c), this series
	# only
	split("MONOTONIC BOOTTIME REALTIME MONOTONIC_COARSE REALTIME_COARSE", wcl, " ")
	for (c = 1; c <= 5; c++)
		ratio("ns_wall_vdso_vs_root" (c == 1 ? "" : "_" tolower(wcl[c])),
			med["S", "vdso timens_wall CLOCK_" wcl[c]], med["S", "vdso root CLOCK_" wcl[c]])
	ratio("ns_wall_syscall_vs_root_realtime", med["S", "syscall timens_wall CLOCK_REALTIME"],
		med["S", "syscall root CLOCK_REALTIME"])
	# arming an absolute CLOCK_REALTIME timer (and disarming it)
	split("timerfd posix nanosleep", an, " ")
	split("timerfd posix_timer nanosleep_past", ak, " ")
	for (a = 1; a <= 3; a++) {
		ar = "arm root " ak[a]; an1 = "arm timens " ak[a]; aw = "arm timens_wall " ak[a]
		ratio("arm_" an[a] "_ns_wall_vs_root", med["S", aw], med["S", ar])
		ratio("arm_" an[a] "_ns_vs_root", med["S", an1], med["S", ar])
		ratio("arm_" an[a] "_root_vs_stock", med["S", ar], med["K", ar])
		ratio("arm_" an[a] "_ns_vs_stock_ns", med["S", an1], med["K", an1])
	}
	# receiving a UDP datagram with SO_TIMESTAMPNS: its stamp converted
	# into the receiver's namespace (issue 14's cost)
	ur = "recv root udp_timestampns"
	ratio("recv_udp_root_vs_stock", med["S", ur], med["K", ur])
	ratio("recv_udp_ns_vs_root", med["S", "recv timens udp_timestampns"], med["S", ur])
	ratio("recv_udp_ns_wall_vs_root", med["S", "recv timens_wall udp_timestampns"],
		med["S", ur])
	ratio("recv_udp_ns_vs_stock_ns", med["S", "recv timens udp_timestampns"],
		med["K", "recv timens udp_timestampns"])
	# setting the clock: the host's on both kernels; a namespace's with
	# 0, 100 and 10000 timers armed on it, per timer (linear: 1)
	hs = "set root host_settime"
	ratio("host_settime_vs_stock", med["S", hs], med["K", hs])
	s0 = med["S", "set timens_wall settime_armed_0"]
	s1 = med["S", "set timens_wall settime_armed_100"]
	s2 = med["S", "set timens_wall settime_armed_10000"]
	if (s0 != "" && s1 != "" && s2 != "") {
		pt1 = (s1 - s0) / 100; pt2 = (s2 - s0) / 10000
		printf "note setting a namespace's clock: %.0f instructions, and per armed timer %.1f (100 armed), %.1f (10000 armed)\n",
			s0, pt1, pt2
	}
	ratio("set_per_timer_10000_vs_100", s2 == "" ? "" : pt2, s1 == "" ? 0 : pt1)
	ratio("ns_set_0_vs_host_settime", s0, med["S", hs])
	# a read of the wall clock a year ahead: libfaketime's, the namespace's
	fc = "call faketime CLOCK_REALTIME"; wc = "call timens_wall CLOCK_REALTIME"
	pc = "call plain CLOCK_REALTIME"
	ratio("faketime_call_vs_ns_wall_call", med["S", fc], med["S", wc])
	ratio("faketime_call_vs_plain_call", med["S", fc], med["S", pc])
	ratio("ns_wall_call_vs_plain_call", med["S", wc], med["S", pc])
	printf "\n"
	target("root_vdso_vs_stock", "<=", 1.00)
	target("root_vdso_vs_stock_boottime", "<=", 1.00)
	target("root_vdso_vs_stock_realtime", "<=", 1.00)
	target("ns_vdso_vs_root", "<=", 1.15)
	target("ns_vdso_vs_stock_ns", "<", 1.00)
	target("syscall_vs_stock", "<=", 1.00)
	target("create_enter_exit_vs_stock", "<=", 1.00)
	# the wall clock (1.10 is wanted for the first three)
	target("ns_wall_vdso_vs_root", "<=", 1.15)
	target("ns_wall_vdso_vs_root_boottime", "<=", 1.15)
	target("ns_wall_vdso_vs_root_realtime", "<=", 1.15)
	target("ns_wall_vdso_vs_root_monotonic_coarse", "<=", 1.20)
	target("ns_wall_vdso_vs_root_realtime_coarse", "<=", 1.20)
	target("arm_timerfd_ns_wall_vs_root", "<=", 1.10)
	target("arm_posix_ns_wall_vs_root", "<=", 1.10)
	target("arm_nanosleep_ns_wall_vs_root", "<=", 1.10)
	target("host_settime_vs_stock", "<=", 1.02)
	# "the cost grows linearly": per timer, 10000 armed against 100
	target("set_per_timer_10000_vs_100", "<=", 1.10)
	# socket stamps in the receiver's namespace
	target("recv_udp_root_vs_stock", "<=", 1.01)
	target("recv_udp_ns_vs_root", "<=", 1.02)
	target("recv_udp_ns_wall_vs_root", "<=", 1.02)
}
