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
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"
# shellcheck source=tests/criu-lib.sh
. "$repo/tests/criu-lib.sh"
WAIT=${CRIU_WAIT:-20}		# seconds between the dump and the restore
TIMER=12			# timers are armed for now + TIMER s before the dump

tap_plan 16

tap_guest_needs "CRIU scenarios" criu "$prog"
work=$(mktemp -d /tmp/criu-test.XXXXXX) || exit 1
cd "$work" || exit 1

# --- 1: criu check -----------------------------------------------------------
t0=$(now)
criu check >check.out 2>&1
rc=$?
grep -q '^Looks good\.$' check.out
tap_ok $? "scenario 1: criu check says \"Looks good.\" (exit $rc, $(since "$t0") s)"
grep -v '^Looks good\.$' check.out | tap_comment
criu check --feature timens >feature.out 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'timens is supported' feature.out
tap_ok $? "scenario 1: criu check --feature timens: supported (exit $rc)"
tap_comment feature.out

# --- 2, 3, 5: dump, wait, restore --------------------------------------------
# scenario NAME DESCRIPTION MONO BOOT COMMAND...: run COMMAND (it ends up
# exec'ing criu-clock) in its own session, detached from any terminal, then
# dump it, wait, restore it and check. MONO and BOOT are the offsets of the
# time namespace the program starts in.
scenario() {
	name=$1 desc=$2 mono0=$3 boot0=$4 failed0=$tap_failed
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
	armed=$(now)
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null ||
		[ "$(count '^A' "$log")" -lt 2 ]; then
		tap_ok 1 "$desc: the program runs"
		tap_comment "$dir/out"
		for t in restore steps ns offsets posix tfd; do
			tap_skip "$desc: $t" "the program did not start"
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
	dumped=$(now)
	lines=$(wc -l <"$log")
	tap_ok $rc "$desc: criu dump -t PID (exit $rc, $tdump s; in $ns0, offsets $offs0)"
	if [ $rc != 0 ]; then
		tap_comment "$dir/out"
		tail -n 15 "$dir/img/dump.log" | tap_comment
		kill "$pid" 2>/dev/null
		exec 8<&-
		for t in restore steps ns offsets posix tfd; do
			tap_skip "$desc: $t" "the dump failed"
		done
		return
	fi

	sleep "$WAIT"
	t0=$(now)
	criu restore -D "$dir/img" -o restore.log -v4 -d --pidfile "$dir/pidfile"
	rc=$?
	trestore=$(since "$t0")
	npid=$(cat "$dir/pidfile" 2>/dev/null)
	tap_ok $rc "$desc: criu restore -d after a wait of $WAIT s (exit $rc, $trestore s)"
	if [ $rc != 0 ] || [ -z "$npid" ]; then
		tail -n 15 "$dir/img/restore.log" | tap_comment
		exec 8<&-
		for t in steps ns offsets posix tfd; do
			tap_skip "$desc: $t" "the restore failed"
		done
		return
	fi
	ns1=$(readlink "/proc/$npid/ns/time")
	seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$npid/status")
	read -r mono1 boot1 <<-EOF
	$(proc_offsets "/proc/$npid/timens_offsets")
	EOF
	read -r cmono cboot <<-EOF
	$(criu_offsets "$dir/img/restore.log")
	EOF
	tfd1=$(criu_tfd "$dir/img/restore.log")

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
	tap_ok $? "$desc: across the restore no clock steps back or by more than dump + restore + $SLACK = $maxstep s (vDSO and syscall)"
	tap_diag "restored task: Seccomp: $seccomp (2: the filter against the vDSO's fallback)"
	samples "$log" "$lines" | tap_comment
	tap_comment "$dir/steps"

	[ -n "$ns1" ] && [ "$ns1" != "$ns0" ] &&
		[ "$ns1" != "$(readlink /proc/1/ns/time)" ]
	tap_ok $? "$desc: the restored task is in a new time namespace ($ns0 -> $ns1)"
	exec 8<&-

	# the offsets are CRIU's: the dumped clocks minus the clocks at the
	# restore, the original offsets minus the wait (and part of CRIU's time)
	awk -v m="$mono1" -v b="$boot1" -v cm="$cmono" -v cb="$cboot" \
		-v m0="$mono0" -v b0="$boot0" -v w="$WAIT" -v s="$maxstep" 'BEGIN {
		exit !(m == cm && b == cb && m <= m0 - w && m >= m0 - w - s &&
		       b <= b0 - w && b >= b0 - w - s) }'
	tap_ok $? "$desc: its offsets are those CRIU computed, $mono0/$boot0 - $WAIT s - up to $maxstep s"
	tap_diag "CRIU computed offsets: monotonic $cmono boottime $cboot"
	tap_diag "/proc/$npid/timens_offsets: monotonic $mono1 boottime $boot1"
	tap_diag "before the dump the offsets were $offs0 ($ns0)"

	# CRIU re-arms the POSIX timer for the time that was left at the
	# dump, the timerfd for an absolute deadline (criu_tfd); neither may
	# fire before its deadline. A dump slower than the timers (a loaded
	# host) leaves nothing to test: they expired before it ended.
	if timers_outlived "$armed" "$dumped" "$TIMER"; then
		check_timers "$log" "$lines" "scenario 5, $desc" "$tfd1"
	else
		for t in posix tfd; do
			tap_skip "scenario 5, $desc: $t timer" "the dump ended $(since "$armed") s after the timers were armed for $TIMER s: they expired during it (a slow host)"
		done
	fi

	tap_diag "$desc: dump $tdump s, restore $trestore s"
	if [ "$tap_failed" != "$failed0" ]; then
		tap_comment "$dir/out"
		tap_diag "dump.log:"
		tail -n 8 "$dir/img/dump.log" | tap_comment
		tap_diag "restore.log:"
		tail -n 8 "$dir/img/restore.log" | tap_comment
	fi
}

scenario root "scenario 2 (root time namespace)" 0 0
scenario timens "scenario 3 (unshare --time --monotonic 86400 --boottime 172800)" \
	86400 172800 unshare --time --monotonic 86400 --boottime 172800

[ "$tap_failed" = 0 ] && rm -rf "$work"
tap_done
