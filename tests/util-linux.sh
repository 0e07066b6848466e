#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# util-linux as a real client of time namespaces: unshare(1) --time with
# --monotonic/--boottime (it writes numeric clock ids to timens_offsets),
# unprivileged through --user --map-root-user, persistent namespaces bound
# to a file, and nsenter(1) --time by file and by pid.
#
# Runs as root. Prints TAP: the plan, then "ok N - ..." / "not ok N - ...".
# Exits 0 when nothing failed, 1 otherwise.
#
# Works with util-linux 2.38 (Debian 12).

PLAN=19
MONO=3600
BOOT=86400
NOBODY=65534

n=0
failed=0
tmpdir=
bgpid=

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

diag() {
	echo "$*" | sed 's/^/# /'
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

echo "1..$PLAN"

if [ "$(id -u)" != 0 ]; then
	while [ "$n" -lt "$PLAN" ]; do skip "util-linux time namespaces" "not root"; done
	exit 0
fi
for tool in unshare nsenter setpriv awk; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		while [ "$n" -lt "$PLAN" ]; do skip "util-linux time namespaces" "no $tool"; done
		exit 0
	fi
done

# first field of /proc/uptime (boottime, seconds) as seen by "$@"
uptime_of() {
	"$@" cat /proc/uptime | awk '{ print $1 }'
}

# a - b >= lo && a - b < hi (decimal numbers)
diff_in() {
	awk -v a="$1" -v b="$2" -v lo="$3" -v hi="$4" \
		'BEGIN { d = a - b; exit !(d >= lo && d < hi) }'
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
if [ "$got" = "$want_offsets" ]; then
	ok "unshare --time --monotonic $MONO --boottime $BOOT: offsets are set"
else
	not_ok "unshare --time --monotonic $MONO --boottime $BOOT: offsets are set"
	diag "got: $got"
fi

inner=$(unshare --time --boottime $BOOT readlink /proc/self/ns/time)
case "$inner" in
time:\[*\]) check "unshare --time: the command runs in a new time namespace" \
	[ "$inner" != "$host_time_ns" ] ;;
*) not_ok "unshare --time: the command runs in a new time namespace"; diag "got: $inner" ;;
esac

before=$(uptime_of)
inside=$(uptime_of unshare --time --boottime $BOOT)
after=$(uptime_of)
check "unshare --time --boottime $BOOT: /proc/uptime is ahead by $BOOT s" \
	diff_in "$inside" "$before" $((BOOT - 1)) $((BOOT + 5))
check "unshare --time --boottime: /proc/uptime inside is at least $BOOT" \
	awk -v u="$inside" "BEGIN { exit !(u >= $BOOT) }"
check "unshare --time --boottime: host /proc/uptime is unchanged (behind the namespace)" \
	diff_in "$inside" "$after" $((BOOT - 5)) $((BOOT + 1))

inside=$(uptime_of unshare --time --monotonic $MONO)
after=$(uptime_of)
check "unshare --time --monotonic only: /proc/uptime not shifted" \
	diff_in "$inside" "$after" -5 1

if have_perl_clock; then
	before=$(monotonic_of)
	inside=$(monotonic_of unshare --time --monotonic $MONO --boottime $BOOT)
	check "unshare --time --monotonic $MONO: CLOCK_MONOTONIC is ahead by $MONO s" \
		diff_in "$inside" "$before" $MONO $((MONO + 5))
else
	skip "unshare --time --monotonic $MONO: CLOCK_MONOTONIC is ahead" "no perl Time::HiRes"
fi

# --- unprivileged: a user namespace owner sets its own offsets -----------

as_nobody() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"
}

got=$(offsets_of as_nobody unshare --user --map-root-user --time \
	--monotonic $MONO --boottime $BOOT 2>&1)
if [ "$got" = "$want_offsets" ]; then
	ok "unprivileged unshare --user --map-root-user --time: offsets are set"
else
	not_ok "unprivileged unshare --user --map-root-user --time: offsets are set"
	diag "got: $got"
fi

before=$(uptime_of)
inside=$(uptime_of as_nobody unshare --user --map-root-user --time --boottime $BOOT)
check "unprivileged unshare --time --boottime $BOOT: /proc/uptime is ahead by $BOOT s" \
	diff_in "$inside" "$before" $((BOOT - 1)) $((BOOT + 5))

if as_nobody unshare --time true 2>/dev/null; then
	not_ok "unprivileged unshare --time without --user is refused"
else
	ok "unprivileged unshare --time without --user is refused"
fi

# --- persistent namespace: unshare --time=FILE, nsenter --time=FILE ------

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/tns-util-linux.XXXXXX") || tmpdir=
if [ -z "$tmpdir" ]; then
	while [ "$n" -lt $((PLAN - 2)) ]; do skip "persistent time namespace" "no temporary directory"; done
else
	# the bind mount lives on a tmpfs of our own when we can have one
	mount -t tmpfs tns-util-linux "$tmpdir" 2>/dev/null
	touch "$tmpdir/ns"
	if unshare --time="$tmpdir/ns" --monotonic $MONO --boottime $BOOT true; then
		ok "unshare --time=FILE --monotonic --boottime: namespace made persistent"
	else
		not_ok "unshare --time=FILE --monotonic --boottime: namespace made persistent"
	fi
	bound=$(findmnt -n -o SOURCE --target "$tmpdir/ns" 2>/dev/null)
	case "$bound" in
	*time:\[*) ok "FILE is a bind mount of the time namespace" ;;
	*) not_ok "FILE is a bind mount of the time namespace"; diag "findmnt: $bound" ;;
	esac

	got=$(offsets_of nsenter --time="$tmpdir/ns")
	if [ "$got" = "$want_offsets" ]; then
		ok "nsenter --time=FILE: the namespace keeps its offsets"
	else
		not_ok "nsenter --time=FILE: the namespace keeps its offsets"
		diag "got: $got"
	fi

	before=$(uptime_of)
	inside=$(uptime_of nsenter --time="$tmpdir/ns")
	check "nsenter --time=FILE: /proc/uptime is ahead by $BOOT s" \
		diff_in "$inside" "$before" $((BOOT - 1)) $((BOOT + 5))

	if have_perl_clock; then
		before=$(monotonic_of)
		inside=$(monotonic_of nsenter --time="$tmpdir/ns")
		check "nsenter --time=FILE: CLOCK_MONOTONIC is ahead by $MONO s" \
			diff_in "$inside" "$before" $MONO $((MONO + 5))
	else
		skip "nsenter --time=FILE: CLOCK_MONOTONIC is ahead" "no perl Time::HiRes"
	fi

	# the namespace is entered now: its offsets are fixed
	if nsenter --time="$tmpdir/ns" sh -c \
		"echo 'monotonic 1 0' > /proc/self/timens_offsets" 2>/dev/null; then
		not_ok "offsets of an entered namespace cannot be changed"
	else
		ok "offsets of an entered namespace cannot be changed"
	fi

	check "umount FILE releases the namespace binding" umount "$tmpdir/ns"
fi

# --- nsenter --target PID --time -----------------------------------------

unshare --time --boottime $BOOT sleep 30 &
bgpid=$!
# wait until the background process runs sleep in its namespace: before
# that it is the forked shell, then unshare, in the parent's namespace
sleep_bin=$(readlink -f "$(command -v sleep)")
i=0
while [ "$i" -lt 100 ] && [ "$(readlink /proc/$bgpid/exe 2>/dev/null)" != "$sleep_bin" ]; do
	sleep 0.05
	i=$((i + 1))
done
target_ns=$(readlink /proc/$bgpid/ns/time 2>/dev/null)
case "$target_ns" in
time:\[*\]) check "unshare --time CMD &: CMD runs in a new time namespace" \
	[ "$target_ns" != "$host_time_ns" ] ;;
*) not_ok "unshare --time CMD &: CMD runs in a new time namespace"; diag "got: $target_ns" ;;
esac
before=$(uptime_of)
inside=$(uptime_of nsenter --target "$bgpid" --time)
check "nsenter --target PID --time: /proc/uptime is ahead by $BOOT s" \
	diff_in "$inside" "$before" $((BOOT - 1)) $((BOOT + 5))
kill "$bgpid" 2>/dev/null
wait "$bgpid" 2>/dev/null
bgpid=

if [ "$n" -ne "$PLAN" ]; then
	not_ok "the script ran as many checks as planned ($n of $PLAN)"
fi
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
