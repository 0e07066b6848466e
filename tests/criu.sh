#!/bin/sh
# tests/criu.sh: CRIU 3.17 (Debian's criu, the host's, seen by the guest)
# checkpoints and restores a process with continuous CLOCK_MONOTONIC and
# CLOCK_BOOTTIME on this kernel. Run as root in the guest (scripts/check,
# group "scenarios"); prints TAP. Scenarios of issue 5:
#   1  `criu check` says "Looks good.", `criu check --feature timens` says
#      the feature is supported;
#   2  tests/criu-clock in the root time namespace is dumped, the guest waits
#      WAIT seconds, it is restored: across the restore no clock steps back,
#      nor forward by more than CRIU's own run time (the dump and restore
#      durations, + SLACK s), the restored task is in a new time namespace
#      whose offsets are the ones CRIU computed (about -WAIT);
#   3  the same for a program started in a time namespace by
#      `unshare --time --monotonic 86400 --boottime 172800`;
#   5  (in the runs of 2 and 3) the program's timerfd and POSIX timer,
#      armed before the dump for an absolute CLOCK_MONOTONIC deadline after
#      the restore, fire after the restore at the right namespace time.
# Scenario 4 (restore in a fresh boot) takes two boots: scripts/criu-migrate.
#
# The program reads each clock through the vDSO and by system call, and a
# seccomp filter (restored by CRIU) stops it should the vDSO fall back to
# the system call. Images, logs and the program's samples stay on tmpfs
# (/tmp). On failure the tails of CRIU's logs are printed as "# " lines, so
# the console log (build/logs/) explains it.
#
# No setting of the environment is needed for CRIU here: CRIU 3.17
# checkpoints and restores glibc 2.36's rseq registration itself (kernel
# >= 5.13 reports it through PTRACE_GET_RSEQ_CONFIGURATION), so the program
# keeps glibc's default (no GLIBC_TUNABLES=glibc.pthread.rseq=0).
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
prog=$repo/build/tests/criu-clock
WAIT=${CRIU_WAIT:-20}		# seconds between the dump and the restore
SLACK=1				# seconds: a sample period and scheduling
TIMER=8				# timers are armed for now + TIMER s before the dump
MAXLATE=2			# how late a timer may fire after its deadline

n=0 failed=0
ok() {		# ok RESULT DESCRIPTION: RESULT 0 passes
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
skip() {	# skip DESCRIPTION REASON
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
comment() { sed 's/^/# /' "$@"; }
now() { cut -d' ' -f1 /proc/uptime; }
count() { c=$(grep -c "$1" "$2" 2>/dev/null); echo "${c:-0}"; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }
# samples LOG LINE: the two samples before line LINE (the dump) and after
samples() {
	awk -v l="$2" '/^S/ {
		s = sprintf("sample %s: mono %s boot %s (vDSO), %s %s (syscall)",
			$2, $3, $4, $5, $6)
		if (NR <= l) { b1 = b2; b2 = s } else if (a++ < 2) print (a == 1 ? b1 "\n" b2 "\n-- dump, restore --\n" : "") s
	}' "$1"
}
# a timens_offsets or CRIU log pair "SECS NSECS" as seconds
secs() { awk -v s="$1" -v ns="$2" 'BEGIN { printf "%.9f", s + ns / 1e9 }'; }

echo "1..16"

# only in the guest (its root is the host's / over 9p, "hostroot"): CRIU
# dumps and kills processes, which is no business for a host
if ! grep -q '^hostroot / 9p ' /proc/mounts; then
	while [ $n -lt 16 ]; do skip "CRIU scenarios" "run in the guest only"; done
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v criu >/dev/null || [ ! -x "$prog" ] ||
	[ ! -e /proc/self/ns/time ]; then
	# a kernel without time namespaces fails; the rest is the setup's
	[ -e /proc/self/ns/time ]
	ok $? "the kernel has time namespaces (/proc/self/ns/time)"
	why="needs root, criu (Debian's package) and $prog"
	while [ $n -lt 16 ]; do skip "CRIU scenarios" "$why"; done
	[ "$failed" = 0 ]
	exit
fi
work=$(mktemp -d /tmp/criu-test.XXXXXX) || exit 1
cd "$work" || exit 1

# --- 1: criu check -----------------------------------------------------------
t0=$(now)
criu check >check.out 2>&1
rc=$?
grep -q '^Looks good\.$' check.out
ok $? "scenario 1: criu check says \"Looks good.\" (exit $rc, $(since "$t0") s)"
grep -v '^Looks good\.$' check.out | comment
criu check --feature timens >feature.out 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'timens is supported' feature.out
ok $? "scenario 1: criu check --feature timens: supported (exit $rc)"
comment feature.out

# --- 2, 3, 5: dump, wait, restore --------------------------------------------
# scenario NAME DESCRIPTION MONO BOOT COMMAND...: run COMMAND (it ends up
# exec'ing criu-clock) in its own session, detached from any terminal, then
# dump it, wait, restore it and check. MONO and BOOT are the offsets of the
# time namespace the program starts in.
scenario() {
	name=$1 desc=$2 mono0=$3 boot0=$4 failed0=$failed
	shift 4
	dir=$work/$name
	log=$dir/clock.log
	mkdir -p "$dir/img"
	# its own session (setsid): CRIU restores the session and process
	# group ids, which must not be the test's; stdio are files, no tty,
	# so no --shell-job
	setsid "$@" "$prog" run "$log" "$TIMER" </dev/null >"$dir/out" 2>&1 &
	i=0
	while [ "$(count '^S' "$log")" -lt 5 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pid=$(sed -n 's/^P //p' "$log" 2>/dev/null)
	# arm the timers, for after the restore (CRIU runs before they expire)
	[ -z "$pid" ] || kill -USR2 "$pid"
	while [ "$(count '^A' "$log")" -lt 2 ] && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null ||
		[ "$(count '^A' "$log")" -lt 2 ]; then
		ok 1 "$desc: the program runs"
		comment "$dir/out"
		for t in restore steps ns offsets posix tfd; do
			skip "$desc: $t" "the program did not start"
		done
		return
	fi
	# keep the original namespace open: its inode number stays taken, so
	# the restored task's cannot equal it by reuse
	exec 8<"/proc/$pid/ns/time"
	ns0=$(readlink "/proc/$pid/ns/time")
	offs0=$(tr -s ' \n' '  ' <"/proc/$pid/timens_offsets")

	t0=$(now)
	criu dump -t "$pid" -D "$dir/img" -o dump.log -v4
	rc=$?
	tdump=$(since "$t0")
	lines=$(wc -l <"$log")
	ok $rc "$desc: criu dump -t PID (exit $rc, $tdump s; in $ns0, offsets $offs0)"
	if [ $rc != 0 ]; then
		comment "$dir/out"
		tail -n 15 "$dir/img/dump.log" | comment
		kill "$pid" 2>/dev/null
		exec 8<&-
		for t in restore steps ns offsets posix tfd; do
			skip "$desc: $t" "the dump failed"
		done
		return
	fi

	sleep "$WAIT"
	t0=$(now)
	criu restore -D "$dir/img" -o restore.log -v4 -d --pidfile "$dir/pidfile"
	rc=$?
	trestore=$(since "$t0")
	npid=$(cat "$dir/pidfile" 2>/dev/null)
	ok $rc "$desc: criu restore -d after a wait of $WAIT s (exit $rc, $trestore s)"
	if [ $rc != 0 ] || [ -z "$npid" ]; then
		tail -n 15 "$dir/img/restore.log" | comment
		exec 8<&-
		for t in steps ns offsets posix tfd; do
			skip "$desc: $t" "the restore failed"
		done
		return
	fi
	ns1=$(readlink "/proc/$npid/ns/time")
	seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$npid/status")
	# shellcheck disable=SC2046 # two words a clock
	set -- $(awk '{ print $2, $3 }' "/proc/$npid/timens_offsets")
	mono1=$(secs "$1" "$2") boot1=$(secs "$3" "$4")
	# shellcheck disable=SC2046
	set -- $(sed -n 's/.*timens: monotonic \(-*[0-9]*\) \([0-9]*\)$/\1 \2/p;
		s/.*timens: boottime \(-*[0-9]*\) \([0-9]*\)$/\1 \2/p' "$dir/img/restore.log")
	if [ $# = 4 ]; then
		cmono=$(secs "$1" "$2") cboot=$(secs "$3" "$4")
	else
		cmono=none cboot=none
	fi
	# the timerfd as CRIU re-armed it: it adds the whole seconds of the
	# clock at restore to the time that was left at the dump
	tfd1=$(sed -n 's/.*Adjust id .* -> it_value(\([0-9]*\), \([0-9]*\))$/\1 \2/p' \
		"$dir/img/restore.log")
	# shellcheck disable=SC2086
	[ -z "$tfd1" ] || tfd1=$(secs $tfd1)

	# let it run until both timers fired, or well past their deadline
	i=0
	while [ $i -lt $((10 * (TIMER + MAXLATE + 2))) ]; do
		[ "$(count '^F' "$log")" -lt 2 ] ||
		[ "$(wc -l <"$log")" -lt $((lines + 10)) ] || break
		sleep 0.1
		i=$((i + 1))
	done
	kill "$npid"

	# the clocks advance while CRIU works, from the freeze to its reading
	# them in the dump and from the restore's offsets to the task running
	maxstep=$(echo "$tdump $trestore $SLACK" | awk '{ print $1 + $2 + $3 }')
	# (and the filter against the vDSO's fallback was restored: mode 2)
	"$prog" steps "$log" "$maxstep" "$lines" >"$dir/steps" && [ "$seccomp" = 2 ]
	ok $? "$desc: across the restore no clock steps back or by more than dump + restore + $SLACK = $maxstep s (vDSO and syscall)"
	echo "restored task: Seccomp: $seccomp (2: the filter against the vDSO's fallback)" | comment
	samples "$log" "$lines" | comment
	comment "$dir/steps"

	[ -n "$ns1" ] && [ "$ns1" != "$ns0" ] &&
		[ "$ns1" != "$(readlink /proc/1/ns/time)" ]
	ok $? "$desc: the restored task is in a new time namespace ($ns0 -> $ns1)"
	exec 8<&-

	# the offsets are CRIU's: the dumped clocks minus the clocks at the
	# restore, the original offsets minus the wait (and part of CRIU's time)
	awk -v m="$mono1" -v b="$boot1" -v cm="$cmono" -v cb="$cboot" \
		-v m0="$mono0" -v b0="$boot0" -v w="$WAIT" -v s="$maxstep" 'BEGIN {
		exit !(m == cm && b == cb && m <= m0 - w && m >= m0 - w - s &&
		       b <= b0 - w && b >= b0 - w - s) }'
	ok $? "$desc: its offsets are those CRIU computed, $mono0/$boot0 - $WAIT s - up to $maxstep s"
	echo "CRIU computed offsets: monotonic $cmono boottime $cboot" | comment
	echo "/proc/$npid/timens_offsets: monotonic $mono1 boottime $boot1" | comment
	echo "before the dump the offsets were $offs0 ($ns0)" | comment

	# the POSIX timer: CRIU re-arms it for the time that was left at the
	# dump, so it must fire at or after the original deadline
	"$prog" timer "$log" posix "$MAXLATE" "$lines" >"$dir/posix"
	ok $? "scenario 5, $desc: a POSIX timer (CLOCK_MONOTONIC, TIMER_ABSTIME) fires after the restore, not before its deadline"
	comment "$dir/posix"
	# the timerfd: CRIU re-arms it with TFD_TIMER_ABSTIME for the whole
	# seconds of the namespace's clock at restore plus the time that was
	# left at the dump, which can be up to 1 s before the original
	# deadline (CRIU's rounding); the kernel must not fire it before the
	# deadline it was given
	"$prog" timer "$log" tfd "$MAXLATE" "$lines" "${tfd1:-0}" >"$dir/tfd"
	ok $? "scenario 5, $desc: a timerfd (CLOCK_MONOTONIC, TFD_TIMER_ABSTIME) fires after the restore, not before the deadline CRIU re-armed"
	comment "$dir/tfd"

	echo "$desc: dump $tdump s, restore $trestore s" | comment
	if [ "$failed" != "$failed0" ]; then
		comment "$dir/out"
		echo "dump.log:" | comment
		tail -n 8 "$dir/img/dump.log" | comment
		echo "restore.log:" | comment
		tail -n 8 "$dir/img/restore.log" | comment
	fi
}

scenario root "scenario 2 (root time namespace)" 0 0
scenario timens "scenario 3 (unshare --time --monotonic 86400 --boottime 172800)" \
	86400 172800 unshare --time --monotonic 86400 --boottime 172800

[ "$failed" = 0 ] && rm -rf "$work"
[ "$failed" = 0 ]
