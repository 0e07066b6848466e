# tests/criu-lib.sh: what tests/criu.sh (a dump and restore in one boot) and
# scripts/criu-migrate (across two boots) share; sourced after tests/tap.sh.
# Both run build/tests/criu-clock ($prog, set by them), dump it with CRIU
# and check its samples.

# shellcheck disable=SC2034 # (used by the scripts that source this)
SLACK=1		# seconds: a sample period and scheduling
MAXLATE=2	# how late (seconds) a timer may fire after its deadline

now() { cut -d' ' -f1 /proc/uptime; }
# the seconds since uptime $1
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }
# the lines of file $2 that match $1
count() { c=$(grep -c "$1" "$2" 2>/dev/null); echo "${c:-0}"; }
# a timens_offsets or CRIU log pair "SECS NSECS" as seconds
secs() { awk -v s="$1" -v ns="$2" 'BEGIN { printf "%.9f", s + ns / 1e9 }'; }

# samples LOG LINE: the two samples before line LINE (the dump) and after
samples() {
	awk -v l="$2" '/^S/ {
		s = sprintf("sample %s: mono %s boot %s (vDSO), %s %s (syscall)",
			$2, $3, $4, $5, $6)
		if (NR <= l) { b1 = b2; b2 = s } else if (a++ < 2) print (a == 1 ? b1 "\n" b2 "\n-- dump, restore --\n" : "") s
	}' "$1"
}

# criu_offsets RESTORE_LOG: "MONO BOOT", the offsets CRIU computed (seconds),
# or "none none"
criu_offsets() {
	# shellcheck disable=SC2046 # two words a clock
	set -- $(sed -n 's/.*timens: monotonic \(-*[0-9]*\) \([0-9]*\)$/\1 \2/p;
		s/.*timens: boottime \(-*[0-9]*\) \([0-9]*\)$/\1 \2/p' "$1")
	if [ $# = 4 ]; then
		echo "$(secs "$1" "$2") $(secs "$3" "$4")"
	else
		echo "none none"
	fi
}

# proc_offsets FILE: "MONO BOOT" of a timens_offsets file, in seconds
proc_offsets() {
	# shellcheck disable=SC2046 # two words a clock
	set -- $(awk '{ print $2, $3 }' "$1")
	echo "$(secs "$1" "$2") $(secs "$3" "$4")"
}

# criu_tfd RESTORE_LOG: the deadline (seconds) CRIU re-armed the timerfd
# for: it adds the whole seconds of the clock at restore to the time that
# was left at the dump, which can be up to 1 s before the original
# deadline; 0 when the log does not say
criu_tfd() {
	tfd=$(sed -n 's/.*Adjust id .* -> it_value(\([0-9]*\), \([0-9]*\))$/\1 \2/p' "$1")
	# shellcheck disable=SC2086
	if [ -n "$tfd" ]; then secs $tfd; else echo 0; fi
}

# timers_outlived ARMED DUMPED TIMER: the timers armed for TIMER s later,
# seen armed at uptime ARMED, were still pending when the dump ended at
# uptime DUMPED, with a second to spare for how late ARMED was seen (on a
# slow host a dump can take longer: then the timer tests skip)
timers_outlived() {
	awk -v a="$1" -v d="$2" -v t="$3" 'BEGIN { exit !(d - a < t - 1) }'
}

# check_timers LOG LINE DESC TFD_DEADLINE: the POSIX timer and the timerfd
# armed before the dump fired after the restore, not before their deadlines
# (build/tests/criu-clock timer); their reports are kept as LOG.posix and
# LOG.tfd and shown as "# " lines
check_timers() {
	"$prog" timer "$1" posix "$MAXLATE" "$2" >"$1.posix"
	tap_ok $? "$3: a POSIX timer (CLOCK_MONOTONIC, TIMER_ABSTIME) fires after the restore, not before its deadline"
	tap_comment "$1.posix"
	# the kernel must not fire it before the deadline CRIU gave it
	"$prog" timer "$1" tfd "$MAXLATE" "$2" "$4" >"$1.tfd"
	tap_ok $? "$3: a timerfd (CLOCK_MONOTONIC, TFD_TIMER_ABSTIME) fires after the restore, not before the deadline CRIU re-armed"
	tap_comment "$1.tfd"
}
