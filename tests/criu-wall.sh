#!/bin/sh
# tests/criu-wall.sh: CRIU 3.17 and a time namespace with a wall clock of its
# own. CRIU saves a time namespace as its monotonic and boottime offsets
# only; scripts/criu-wallclock-guard, a CRIU action script, makes it refuse
# what it would restore wrong. Run as root in the guest (scripts/check,
# group "scenarios"); prints TAP. With the guard in CRIU's configuration
# (CRIU_CONFIG_FILE, as /etc/criu/default.conf would have it):
#   1-3  a task whose namespace has a realtime offset: the dump fails with
#        the guard's message, the task goes on running, not stopped, its
#        wall clock still the namespace's;
#   4    the images of that dump: the restore fails with the guard's message,
#        no task is restored;
#   5-6  a namespace without a wall clock of its own (upstream's ABI) is
#        dumped and restored as before, its monotonic offset carried.
# Without the guard, a "# " line shows what CRIU 3.17 does with the first
# task: the restored namespace has no realtime offset.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
guard=$repo/scripts/criu-wallclock-guard
ctr=$repo/build/tests/ctr-clock
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"
YEAR=31536000

tap_plan 6

tap_guest_needs "CRIU wall clock guard" criu nsenter setsid "$guard" "$ctr"
work=$(mktemp -d /tmp/criu-wall.XXXXXX) || exit 1
cd "$work" || exit 1
printf 'action-script %s\n' "$guard" >guard.conf

# start NAME [REALTIME]: a sleep in a new time namespace (monotonic +1 day,
# and a realtime offset of REALTIME s when given), in its own session, its
# pid in NAME.pid; fails when the kernel refuses the offsets
start() {
	offs="monotonic 86400 0${2:+
realtime $2 0}"
	# shellcheck disable=SC2016 # expanded by that sh
	"$ctr" spawn "$offs" setsid sh -c 'exec sleep 100000 </dev/null >/dev/null 2>&1' \
		>"$1.pid" 2>"$1.err" && [ -s "$1.pid" ] && return 0
	tap_comment "$1.err"
	return 1
}
pid_of() { cat "$1.pid" 2>/dev/null; }
# running PID: it exists and is not stopped (nor a zombie)
running() {
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	case $st in [SRD]) return 0 ;; *) return 1 ;; esac
}
# the namespace's wall clock of PID minus the host's, in seconds
wall_off() {
	a=$(date +%s)
	b=$(nsenter -t "$1" --time date +%s)
	echo $((b - a))
}
near() { [ "$1" -ge $(($2 - 5)) ] && [ "$1" -le $(($2 + 5)) ]; }

# --- 1-4: a wall clock of its own: refused -----------------------------------
if ! start wall "$YEAR"; then
	tap_skip_rest "the guard refuses a namespace with its own wall clock" \
		"this kernel refuses a realtime offset"
	tap_done
	exit
fi
pid=$(pid_of wall)
w0=$(wall_off "$pid")
tap_diag "task $pid in $(readlink "/proc/$pid/ns/time"): $(tr '\n' ';' <"/proc/$pid/timens_offsets"), wall clock $w0 s ahead of the host's"
mkdir img
CRIU_CONFIG_FILE=$work/guard.conf criu dump -t "$pid" -D img -o dump.log -v4 2>dump.err
rc=$?
grep -q "criu-wallclock-guard: task $pid's time namespace has a wall clock of its own (realtime offset $YEAR s 0 ns)" img/dump.log dump.err
tap_ok $? "with the guard, criu dump of a task whose namespace has its own wall clock fails with the guard's message (exit $rc)" ||
	tail -n 15 img/dump.log | tap_comment
[ "$rc" != 0 ]
tap_ok $? "criu dump exits non-zero (exit $rc)"
grep -h criu-wallclock-guard img/dump.log dump.err | sort -u | tap_comment
w1=$(wall_off "$pid")
running "$pid" && near "$w1" "$YEAR"
tap_ok $? "the task goes on running, not stopped, its wall clock still the namespace's ($w1 s ahead)"

CRIU_CONFIG_FILE=$work/guard.conf criu restore -D img -o restore.log -v4 -d \
	--pidfile "$work/restored.pid" 2>restore.err
rc=$?
[ "$rc" != 0 ] && [ ! -s restored.pid ] &&
	grep -q 'criu-wallclock-guard: restore refused' img/restore.log restore.err
tap_ok $? "with the guard, criu restore of those images fails with the guard's message (exit $rc)" ||
	tail -n 15 img/restore.log | tap_comment
kill "$(cat restored.pid 2>/dev/null)" 2>/dev/null

# what CRIU 3.17 does without the guard (the reason for it), shown only
rm -rf img2 && mkdir img2
if criu dump -t "$pid" -D img2 -o dump.log >/dev/null 2>&1 &&
   criu restore -D img2 -o restore.log -d --pidfile "$work/restored2.pid" >/dev/null 2>&1; then
	r=$(cat restored2.pid)
	tap_diag "without the guard CRIU 3.17 dumps and restores it: the restored task's offsets: $(tr '\n' ';' <"/proc/$r/timens_offsets") wall clock $(wall_off "$r") s ahead of the host's (was $w1)"
	kill "$r" 2>/dev/null
else
	tap_diag "without the guard the dump or restore failed too"
	kill "$pid" 2>/dev/null
fi

# --- 5-6: no wall clock of its own: as before ---------------------------------
if ! start plain; then
	tap_ok 1 "a task in a namespace with a monotonic offset starts"
	tap_skip "the guard: restored as before" "the task did not start"
	tap_done
	exit
fi
pid=$(pid_of plain)
mkdir img3
CRIU_CONFIG_FILE=$work/guard.conf criu dump -t "$pid" -D img3 -o dump.log -v4 2>dump3.err
rc=$?
tap_ok $rc "with the guard, a namespace without a wall clock of its own is dumped (exit $rc)" ||
	tail -n 15 img3/dump.log | tap_comment
CRIU_CONFIG_FILE=$work/guard.conf criu restore -D img3 -o restore.log -v4 -d \
	--pidfile "$work/restored3.pid" 2>restore3.err
rc=$?
r=$(cat restored3.pid 2>/dev/null)
mono=$(awk '$1 == "monotonic" { print $2 }' "/proc/${r:-0}/timens_offsets" 2>/dev/null)
[ "$rc" = 0 ] && running "$r" && [ "${mono:-0}" -gt 86000 ] &&
	! grep -q '^realtime' "/proc/$r/timens_offsets"
tap_ok $? "and restored, running, its monotonic offset carried (${mono:-none} s; exit $rc)" ||
	tail -n 15 img3/restore.log | tap_comment
[ -z "$r" ] || kill "$r" 2>/dev/null
kill "$pid" 2>/dev/null

[ "$tap_failed" = 0 ] && rm -rf "$work"
tap_done
