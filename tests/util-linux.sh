#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# util-linux as a real client of time namespaces: unshare(1) --time with
# --monotonic/--boottime (it writes numeric clock ids to timens_offsets),
# unprivileged through --user --map-root-user, persistent namespaces bound
# to a file, nsenter(1) --time by file and by pid, and coreutils' date(1)
# -s setting the wall clock of a namespace that has one of its own.
#
# Runs as root. Prints TAP (tests/tap.sh). Exits 0 when nothing failed, 1
# otherwise. No time is measured: a clock read in a namespace, less its
# offset, must lie between the host's readings just before and after it;
# a refusal must come with the errno the kernel gives for it.
#
# Works with util-linux 2.38 (Debian 12).

PLAN=22
MONO=3600
BOOT=86400
NOBODY=65534
# the errors the negative checks look for, as the tools print them
export LC_ALL=C

# shellcheck source=tests/tap.sh
. "$(dirname "$0")/tap.sh"
tmpdir=
bgpid=

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds
check() {
	tap_check "$@"
}

cleanup() {
	[ -n "$bgpid" ] && kill "$bgpid" 2>/dev/null
	if [ -n "$tmpdir" ]; then
		[ -e "$tmpdir/ns" ] && umount "$tmpdir/ns" 2>/dev/null
		mountpoint -q "$tmpdir" && umount "$tmpdir" 2>/dev/null
		rm -rf "$tmpdir"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

tap_plan $PLAN

if [ "$(id -u)" != 0 ]; then
	tap_skip_rest "util-linux time namespaces" "not root"
	exit 0
fi
for tool in unshare nsenter setpriv awk dd; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		tap_skip_rest "util-linux time namespaces" "no $tool"
		exit 0
	fi
done

# first field of /proc/uptime (boottime, seconds) as seen by "$@"
uptime_of() {
	"$@" cat /proc/uptime | awk '{ print $1 }'
}

# shifted BEFORE INSIDE AFTER OFFSET: a reading inside a namespace, less
# the namespace's offset, lies between the host's readings of the same
# clock just before and just after it (decimal seconds; no time is measured)
shifted() {
	awk -v b="$1" -v x="$2" -v a="$3" -v off="$4" \
		'BEGIN { d = x - off; exit !(d >= b && d <= a) }'
}

# fails COMMAND...: COMMAND fails, and its error message, shown as "# "
# lines, names the error ($want: "Operation not permitted" for EPERM,
# "Permission denied" for EACCES)
fails() {
	if out=$("$@" 2>&1); then
		tap_diag "it succeeded: $out"
		return 1
	fi
	tap_diag "$out"
	case $out in
	*"$want"*) return 0 ;;
	*) tap_diag "(the error is not \"$want\")"; return 1 ;;
	esac
}

# timens_offsets as "monotonic S N;boottime S N;" (whitespace squeezed)
offsets_of() {
	"$@" cat /proc/self/timens_offsets | awk '{ printf "%s %s %s;", $1, $2, $3 }'
}

want_offsets="monotonic $MONO 0;boottime $BOOT 0;"

# CLOCK_MONOTONIC in seconds, through perl if it is there
have_perl_clock() {
	command -v perl >/dev/null 2>&1 &&
		perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e 1 2>/dev/null
}
monotonic_of() {
	"$@" perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC \
		-e 'printf "%.6f\n", clock_gettime(CLOCK_MONOTONIC)'
}

host_time_ns=$(readlink /proc/self/ns/time)

# --- root: unshare --time --monotonic --boottime ------------------------

got=$(offsets_of unshare --time --monotonic $MONO --boottime $BOOT)
check "unshare --time --monotonic $MONO --boottime $BOOT: offsets are set" \
	[ "$got" = "$want_offsets" ] || tap_diag "got: $got"

inner=$(unshare --time --boottime $BOOT readlink /proc/self/ns/time)
case "$inner" in
time:\[*\]) check "unshare --time: the command runs in a new time namespace" \
	[ "$inner" != "$host_time_ns" ] ;;
*) tap_ok 1 "unshare --time: the command runs in a new time namespace"; tap_diag "got: $inner" ;;
esac

before=$(uptime_of)
inside=$(uptime_of unshare --time --boottime $BOOT)
after=$(uptime_of)
check "unshare --time --boottime $BOOT: /proc/uptime is ahead by $BOOT s (between the host's before and after, plus $BOOT)" \
	shifted "$before" "$inside" "$after" $BOOT
check "unshare --time --boottime: /proc/uptime inside is at least $BOOT" \
	awk -v u="$inside" "BEGIN { exit !(u >= $BOOT) }"
after2=$(uptime_of)
check "unshare --time --boottime: host /proc/uptime is unchanged (it goes on from before, behind the namespace)" \
	awk -v b="$before" -v a="$after" -v a2="$after2" -v x="$inside" \
		'BEGIN { exit !(b <= a && a <= a2 && a2 < x) }'

before=$(uptime_of)
inside=$(uptime_of unshare --time --monotonic $MONO)
after=$(uptime_of)
check "unshare --time --monotonic only: /proc/uptime not shifted" \
	shifted "$before" "$inside" "$after" 0

if have_perl_clock; then
	before=$(monotonic_of)
	inside=$(monotonic_of unshare --time --monotonic $MONO --boottime $BOOT)
	after=$(monotonic_of)
	check "unshare --time --monotonic $MONO: CLOCK_MONOTONIC is ahead by $MONO s" \
		shifted "$before" "$inside" "$after" $MONO
else
	tap_skip "unshare --time --monotonic $MONO: CLOCK_MONOTONIC is ahead" "no perl Time::HiRes"
fi

# --- unprivileged: a user namespace owner sets its own offsets -----------

as_nobody() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"
}

got=$(offsets_of as_nobody unshare --user --map-root-user --time \
	--monotonic $MONO --boottime $BOOT 2>&1)
check "unprivileged unshare --user --map-root-user --time: offsets are set" \
	[ "$got" = "$want_offsets" ] || tap_diag "got: $got"

before=$(uptime_of)
inside=$(uptime_of as_nobody unshare --user --map-root-user --time --boottime $BOOT)
after=$(uptime_of)
check "unprivileged unshare --time --boottime $BOOT: /proc/uptime is ahead by $BOOT s" \
	shifted "$before" "$inside" "$after" $BOOT

want="Operation not permitted"
check "unprivileged unshare --time without --user is refused with EPERM" \
	fails as_nobody unshare --time true

# --- persistent namespace: unshare --time=FILE, nsenter --time=FILE ------

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/tns-util-linux.XXXXXX") || tmpdir=
if [ -z "$tmpdir" ]; then
	while [ "$tap_n" -lt $((PLAN - 5)) ]; do tap_skip "persistent time namespace" "no temporary directory"; done
else
	# the bind mount lives on a tmpfs of our own when we can have one
	mount -t tmpfs tns-util-linux "$tmpdir" 2>/dev/null
	touch "$tmpdir/ns"
	check "unshare --time=FILE --monotonic --boottime: namespace made persistent" \
		unshare --time="$tmpdir/ns" --monotonic $MONO --boottime $BOOT true
	bound=$(findmnt -n -o SOURCE --target "$tmpdir/ns" 2>/dev/null)
	case "$bound" in
	*time:\[*) tap_ok 0 "FILE is a bind mount of the time namespace" ;;
	*) tap_ok 1 "FILE is a bind mount of the time namespace"; tap_diag "findmnt: $bound" ;;
	esac

	got=$(offsets_of nsenter --time="$tmpdir/ns")
	check "nsenter --time=FILE: the namespace keeps its offsets" \
		[ "$got" = "$want_offsets" ] || tap_diag "got: $got"

	before=$(uptime_of)
	inside=$(uptime_of nsenter --time="$tmpdir/ns")
	after=$(uptime_of)
	check "nsenter --time=FILE: /proc/uptime is ahead by $BOOT s" \
		shifted "$before" "$inside" "$after" $BOOT

	if have_perl_clock; then
		before=$(monotonic_of)
		inside=$(monotonic_of nsenter --time="$tmpdir/ns")
		after=$(monotonic_of)
		check "nsenter --time=FILE: CLOCK_MONOTONIC is ahead by $MONO s" \
			shifted "$before" "$inside" "$after" $MONO
	else
		tap_skip "nsenter --time=FILE: CLOCK_MONOTONIC is ahead" "no perl Time::HiRes"
	fi

	# the namespace is entered now: its offsets are fixed (dd, in it,
	# writes its own timens_offsets, which acts on that namespace)
	want="Permission denied"
	check "offsets of an entered namespace cannot be changed: EACCES" \
		fails nsenter --time="$tmpdir/ns" sh -c \
			"echo 'monotonic 1 0' | dd of=/proc/self/timens_offsets status=none"

	check "umount FILE releases the namespace binding" umount "$tmpdir/ns"
fi

# --- nsenter --target PID --time -----------------------------------------

unshare --time --boottime $BOOT sleep 3600 &
bgpid=$!
# wait until the background process runs sleep in its namespace: before
# that it is the forked shell, then unshare, in the parent's namespace
# (a bound on the wait, not on the test: 60 s)
sleep_bin=$(readlink -f "$(command -v sleep)")
i=0
while [ "$i" -lt 1200 ] && [ "$(readlink /proc/$bgpid/exe 2>/dev/null)" != "$sleep_bin" ]; do
	sleep 0.05
	i=$((i + 1))
done
target_ns=$(readlink /proc/$bgpid/ns/time 2>/dev/null)
case "$target_ns" in
time:\[*\]) check "unshare --time CMD &: CMD runs in a new time namespace" \
	[ "$target_ns" != "$host_time_ns" ] ;;
*) tap_ok 1 "unshare --time CMD &: CMD runs in a new time namespace"; tap_diag "got: $target_ns" ;;
esac
before=$(uptime_of)
inside=$(uptime_of nsenter --target "$bgpid" --time)
after=$(uptime_of)
check "nsenter --target PID --time: /proc/uptime is ahead by $BOOT s" \
	shifted "$before" "$inside" "$after" $BOOT
kill "$bgpid" 2>/dev/null
wait "$bgpid" 2>/dev/null
bgpid=

# --- date -s in a namespace with a wall clock of its own -------------------

# The host's CLOCK_REALTIME less its CLOCK_BOOTTIME (/proc/uptime): it
# moves only when the host's clock is set.
host_step() {
	echo "$(date +%s.%N) $(cut -d' ' -f1 /proc/uptime)" | awk '{ printf "%.2f", $1 - $2 }'
}
Y2038=2147483580	# 2038-01-19 03:13:00 UTC
# The namespace unshare makes is owned by the new user namespace: its wall
# clock is its own, which root there (CAP_SYS_TIME) sets and the host's
# never moves.
step_before=$(host_step)
# shellcheck disable=SC2046 # two words, the dates
set -- $(unshare --user --map-root-user --time --fork sh -c \
	"date -u -s '2038-01-19 03:13:00' >/dev/null && date -u +%s && sleep 1 && date -u +%s" 2>&1)
step_after=$(host_step)
check "unshare --user --map-root-user --time: date -s '2038-01-19 03:13:00' inside, then date says $1" \
	awk -v t="${1:-x}" -v y=$Y2038 'BEGIN { exit !(t + 0 == t && t >= y && t < y + 60) }'
check "date after sleep 1 inside says ${2:-nothing}: the namespace's clock runs on from there" \
	awk -v a="${1:-x}" -v b="${2:-x}" 'BEGIN { exit !(b + 0 == b && b >= a + 1 && b < a + 60) }'
check "the host's clock did not move (realtime - boottime: $step_before s, then $step_after s)" \
	awk -v a="$step_before" -v b="$step_after" 'BEGIN { d = b - a; exit !(d < 1 && d > -1) }'

tap_done
