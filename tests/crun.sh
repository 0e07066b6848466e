#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/crun.sh: crun 1.8.1 (Debian 12's crun, the host's, seen by the
# guest) starts OCI containers in time namespaces on this kernel, unchanged.
# Run as root in the guest (scripts/check, group "scenarios"); prints TAP.
# Scenarios of issue 13:
#   1  a container whose config.json lists a "time" namespace and the
#      annotation run.oci.timens_offset = "monotonic 86400 0\nboottime
#      172800 0" (crun writes it verbatim to /proc/self/timens_offsets
#      before it forks the container's init) sees the offsets in
#      /proc/self/timens_offsets, /proc/uptime, CLOCK_MONOTONIC and
#      CLOCK_BOOTTIME, by vDSO and system call; CLOCK_REALTIME and the
#      host's clocks are untouched; `crun exec` lands in the container's
#      time namespace (the same ns/time inode) and sees the same clocks;
#   3  a container with run.oci.timens_offset = "realtime 31536000 0"
#      (the wall-clock work) whose `date +%s` is a year ahead, and in which
#      `date -s` with CAP_SYS_TIME moves the container's clock only. Until
#      the kernel accepts a "realtime" line (crun's write of it fails with
#      EINVAL) its tests skip, saying so; a `date -s` that fails with EPERM
#      skips its test (setting a namespace's own clock is a later stage);
#      in every case the host's CLOCK_REALTIME must not have moved.
# Scenario 2 is tests/lxc.sh, scenario 4 tests/crun-criu.sh.
#
# crun needs cgroup v2 mounted (guest/init mounts it on /sys/fs/cgroup;
# crun's default cgroup manager, cgroupfs, makes a cgroup for each
# container there). The containers run busybox and ctr-clock from a small
# root made under build/containers/crun (tests/ctr-lib.sh).
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"
# shellcheck source=tests/ctr-lib.sh
. "$repo/tests/ctr-lib.sh"

YEAR=31536000
DAY=86400

tap_plan 18

tap_guest_needs "crun scenarios" crun "$clockprog"

work=$ctr_root/crun
ids=
cleanup() {
	for id in $ids; do
		crun delete -f "$id" >/dev/null 2>&1
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM
rm -rf "$work"
mkdir -p "$work"
tap_diag "$(crun --version | head -n 1); cgroup2: $(grep -c '^cgroup2 /sys/fs/cgroup ' /proc/mounts) mount(s) on /sys/fs/cgroup"
ctr_rootfs "$work/rootfs" || tap_diag "cannot make $work/rootfs"

# run_detached ID BUNDLE: crun run -d; its output in BUNDLE/crun.out
run_detached() {
	ids="$ids $1"
	crun run -d -b "$2" "$1" </dev/null >"$2/crun.out" 2>&1
}

# --- scenario 1: monotonic and boottime offsets ---------------------------
id=timens-crun-1
b=$work/s1
oci_bundle "$b" "$work/rootfs" "monotonic $MONO 0
boottime $BOOT 0" "CAP_KILL" /bin/sh -c \
	'cat /proc/self/timens_offsets >/tmp/offsets && ctr-clock read >/tmp/read && echo done >/tmp/done && exec sleep 600'
"$clockprog" read >"$b/before"
run_detached $id "$b"
rc=$?
pid=$(ctr_crun_pid $id)
[ -z "$pid" ] || ctr_wait_file "/proc/$pid/root/tmp/done" '^done$'
"$clockprog" read >"$b/after"
cp "/proc/$pid/root/tmp/read" "$b/inside" 2>/dev/null
cp "/proc/$pid/root/tmp/offsets" "$b/offsets" 2>/dev/null
[ "$rc" = 0 ] && [ -n "$pid" ] && [ -s "$b/inside" ]
if ! tap_ok $? "scenario 1: crun run -d starts a container with a time namespace and run.oci.timens_offset (exit $rc)"; then
	tap_comment "$b/crun.out"
	tap_skip_rest "scenario 1" "the container did not start"
	tap_done
	exit
fi
ns=$(stat -L -c %i "/proc/$pid/ns/time")
host_ns=$(stat -L -c %i /proc/self/ns/time)
[ "$ns" != "$host_ns" ] && [ "$(awk '$1 == "ns" { print $2 }' "$b/inside")" = "$ns" ]
tap_ok $? "scenario 1: the container's init is in a new time namespace (time:[$ns], the host's time:[$host_ns])"

ctr_clocks "scenario 1" "$b"

# crun exec: setns into the container's namespaces, the time one included
"$clockprog" read >"$b/before.exec"
crun exec $id ctr-clock read >"$b/exec" 2>"$b/exec.err"
rc=$?
"$clockprog" read >"$b/after.exec"
[ "$rc" = 0 ] && [ "$(awk '$1 == "ns" { print $2 }' "$b/exec")" = "$ns" ]
tap_ok $? "scenario 1: crun exec lands in the container's time namespace (time:[$(awk '$1 == "ns" { print $2 }' "$b/exec")], exit $rc)"
[ "$rc" = 0 ] || tap_comment "$b/exec.err"
ok=0
for c in "monotonic $MONO" "boottime $BOOT" "uptime $BOOT"; do
	# shellcheck disable=SC2086
	"$clockprog" shifted "$b/before.exec" "$b/exec" "$b/after.exec" $c >"$b/exec.$c" ||
		ok=1
	tap_comment "$b/exec.$c"
done
tap_ok $ok "scenario 1: in crun exec, uptime, monotonic and boottime are shifted alike"
crun kill $id KILL >/dev/null 2>&1
crun delete -f $id >"$b/delete.out" 2>&1
rc=$?
[ "$rc" = 0 ] && [ ! -e "/proc/$pid" ]
tap_ok $? "scenario 1: crun delete -f removes the container (exit $rc)"

# --- scenario 3: a realtime offset, date a year ahead, date -s -------------
id=timens-crun-3
b=$work/s3
oci_bundle "$b" "$work/rootfs" "realtime $YEAR 0" "CAP_KILL CAP_SYS_TIME" /bin/sh -c \
	'cat /proc/self/timens_offsets >/tmp/offsets && date +%s >/tmp/date && ctr-clock read >/tmp/read && echo done >/tmp/done && exec sleep 600'
"$clockprog" read >"$b/host0"
date +%s >"$b/date.before"
"$clockprog" read >"$b/before"
run_detached $id "$b"
rc=$?
pid=$(ctr_crun_pid $id)
[ "$rc" != 0 ] || [ -z "$pid" ] || ctr_wait_file "/proc/$pid/root/tmp/done" '^done$'
"$clockprog" read >"$b/after"
date +%s >"$b/date.after"
if [ "$rc" != 0 ] && grep -q 'timens_offsets.*Invalid argument\|Invalid argument.*timens_offsets' "$b/crun.out"; then
	why="this kernel rejects a \"realtime\" line in timens_offsets (EINVAL; crun: $(head -n 1 "$b/crun.out")): the wall-clock work has not landed"
	for t in "crun run -d starts a container with realtime $YEAR 0" \
		"date +%s in the container is a year ahead" \
		"CLOCK_REALTIME in the container is the host's + $YEAR s (vDSO and syscall)" \
		"/proc/self/timens_offsets in the container has realtime $YEAR 0" \
		"CLOCK_MONOTONIC in the container is the host's" \
		"date -s in the container (CAP_SYS_TIME) moves the container's clock"; do
		tap_skip "scenario 3: $t" "$why"
	done
else
	cp "/proc/$pid/root/tmp/read" "$b/inside" 2>/dev/null
	cp "/proc/$pid/root/tmp/offsets" "$b/offsets" 2>/dev/null
	cp "/proc/$pid/root/tmp/date" "$b/date.inside" 2>/dev/null
	[ "$rc" = 0 ] && [ -n "$pid" ] && [ -s "$b/inside" ]
	tap_ok $? "scenario 3: crun run -d starts a container with realtime $YEAR 0 (exit $rc)" ||
		tap_comment "$b/crun.out"
	d0=$(cat "$b/date.before") d=$(cat "$b/date.inside" 2>/dev/null) d1=$(cat "$b/date.after")
	[ -n "$d" ] && [ $((d - YEAR)) -ge "$d0" ] && [ $((d - YEAR)) -le "$d1" ]
	tap_ok $? "scenario 3: date +%s in the container is a year ahead: $d, the host's $d0 .. $d1 before and after, + $YEAR"
	line=$("$clockprog" shifted "$b/before" "$b/inside" "$b/after" realtime $YEAR 2>&1)
	tap_ok $? "scenario 3: CLOCK_REALTIME in the container is the host's + $YEAR s (vDSO and syscall)"
	tap_diag "$line"
	[ "$(offset_of "$b/offsets" realtime)" = $YEAR ]
	tap_ok $? "scenario 3: /proc/self/timens_offsets in the container has realtime $YEAR 0 ($(offsets_line "$b/offsets" 2>/dev/null))"
	line=$("$clockprog" shifted "$b/before" "$b/inside" "$b/after" monotonic 0 2>&1)
	tap_ok $? "scenario 3: CLOCK_MONOTONIC in the container is the host's"
	tap_diag "$line"

	# date -s: a day further on in the container, by its own clock
	"$clockprog" read >"$b/set.before"
	target=$(( $(crun exec $id date +%s) + DAY ))
	# shellcheck disable=SC2016 # $1 is the inner shell's
	crun exec --cap CAP_SYS_TIME $id sh -c 'grep ^CapEff /proc/self/status && exec date -s "@$1"' \
		sh "$target" >"$b/set.out" 2>&1
	rc=$?
	# CAP_SYS_TIME is capability 25: an EPERM without it would be crun's
	capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' "$b/set.out")
	has_cap=$(( (0x${capeff:-0} >> 25) & 1 ))
	now=$(crun exec $id date +%s)
	"$clockprog" read >"$b/set.after"
	el=$(awk '$1 == "monotonic" { print $2 }' "$b/set.before" "$b/set.after" |
		awk 'NR == 1 { a = $1 } NR == 2 { printf "%d", ($1 - a) / 1e9 + 1 }')
	# (busybox's date says "can't set date" and goes on, exit status 0)
	if [ "$has_cap" = 1 ] && grep -q "can't set date: Operation not permitted" "$b/set.out"; then
		tap_skip "scenario 3: date -s in the container (CAP_SYS_TIME) moves the container's clock" \
			"date -s @$target failed with EPERM ($(grep "can't set date" "$b/set.out")): setting a time namespace's own clock is a later stage"
	else
		[ "$rc" = 0 ] && ! grep -q "can't set date" "$b/set.out" && [ -n "$now" ] &&
			[ $((now - target)) -ge 0 ] && [ $((now - target)) -le "$el" ]
		tap_ok $? "scenario 3: date -s @$target in the container (CAP_SYS_TIME) moves its clock: date +%s then $now (exit $rc)" ||
			tap_comment "$b/set.out"
	fi
fi
crun delete -f $id >/dev/null 2>&1
# the host's CLOCK_REALTIME went on with its CLOCK_MONOTONIC throughout
"$clockprog" read >"$b/host1"
moved=$(awk '$1 == "monotonic" { m[FILENAME != ARGV[1]] = $2 }
	$1 == "realtime" { r[FILENAME != ARGV[1]] = $2 }
	END { printf "%.3f", ((r[1] - m[1]) - (r[0] - m[0])) / 1e9 }' "$b/host0" "$b/host1")
awk -v d="$moved" 'BEGIN { exit !(d > -0.5 && d < 0.5) }'
tap_ok $? "scenario 3: the host's CLOCK_REALTIME did not move (it kept pace with CLOCK_MONOTONIC: $moved s apart)" || {
	# put it back: the clock is the host's, the next tests need it
	secs=$(awk -v d="$moved" -v now="$(date +%s)" 'BEGIN { printf "%d", now - d }')
	date -s "@$secs" >/dev/null 2>&1
}

tap_done
