#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/lxc.sh: LXC 5.0.2 (Debian 12's lxc, the host's, seen by the guest)
# starts application containers in time namespaces on this kernel,
# unchanged. Run as root in the guest (scripts/check, group "scenarios");
# prints TAP. Scenario 2 of issue 13:
#   - lxc-execute of a container with lxc.time.offset.monotonic and
#     lxc.time.offset.boot in hours and minutes (24h, 2880m), then in
#     seconds (86400s, 172800s): the command in it sees the offsets in
#     /proc/self/timens_offsets, /proc/uptime, CLOCK_MONOTONIC and
#     CLOCK_BOOTTIME (vDSO and system call), CLOCK_REALTIME and the host's
#     clocks untouched. LXC writes numeric clock ids ("1 86400 0",
#     "7 172800 0"), one open of /proc/self/timens_offsets a clock;
#   - with the ms unit LXC 5.0.2 puts the whole value in the nanoseconds
#     field ("1 0 86400000000000"), outside [0, 1e9): the kernel answers
#     EINVAL, as upstream's does, and LXC says so and does not start it.
#
# The containers share the host's root (no lxc.rootfs.path: the guest's
# read-only /) in their own mount, PID, UTS, IPC and network namespaces,
# with their own /proc (lxc.mount.auto = proc:rw); LXC makes their
# cgroups in the cgroup v2 hierarchy guest/init mounts on /sys/fs/cgroup.
# The lxcpath (-P) and the logs are on tmpfs.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"
# shellcheck source=tests/ctr-lib.sh
. "$repo/tests/ctr-lib.sh"


tap_plan 17

tap_guest_needs "LXC scenarios" lxc-execute "$clockprog"

work=$(mktemp -d /tmp/lxc-test.XXXXXX) || exit 1
lxcpath=$work/lxc
mkdir -p "$lxcpath"
tap_diag "lxc-execute --version: $(lxc-execute --version)"

# config NAME MONO_VALUE BOOT_VALUE: an application container's config
config() {
	cat >"$work/$1.conf" <<-EOF
	lxc.uts.name = $1
	lxc.net.0.type = empty
	lxc.console.path = none
	lxc.mount.auto = proc:rw
	lxc.time.offset.monotonic = $2
	lxc.time.offset.boot = $3
	EOF
}

# execute NAME COMMAND...: lxc-execute of the container NAME (config()),
# stdout in $work/NAME.out, stderr and LXC's log (ERROR and worse, with
# the function and the errno) in $work/NAME.err and $work/NAME.log
execute() {
	n=$1
	shift
	lxc-execute -P "$lxcpath" -n "$n" -f "$work/$n.conf" -o "$work/$n.log" -l ERROR \
		-- "$@" </dev/null >"$work/$n.out" 2>"$work/$n.err"
}

host_ns=$(stat -L -c %i /proc/self/ns/time)

# scenario NAME MONO_VALUE BOOT_VALUE: the container sees MONO and BOOT
scenario() {
	n=$1
	config "$n" "$2" "$3"
	mkdir -p "$work/$n"
	"$clockprog" read >"$work/$n/before"
	# shellcheck disable=SC2016 # the container's shell expands them
	execute "$n" /bin/sh -c 'sed "s/^/offsets /" /proc/self/timens_offsets && exec "$1" read' \
		sh "$clockprog"
	rc=$?
	"$clockprog" read >"$work/$n/after"
	desc="lxc.time.offset.monotonic = $2, lxc.time.offset.boot = $3"
	grep -v '^offsets ' "$work/$n.out" >"$work/$n/inside"
	sed -n 's/^offsets //p' "$work/$n.out" >"$work/$n/offsets"
	[ "$rc" = 0 ] && grep -q '^realtime ' "$work/$n/inside"
	if ! tap_ok $? "lxc-execute with $desc runs the command (exit $rc)"; then
		tap_comment "$work/$n.err" "$work/$n.log" "$work/$n.out"
		for t in ns offsets uptime monotonic boottime realtime host; do
			tap_skip "$desc: $t" "the container did not run"
		done
		return
	fi
	ns=$(awk '$1 == "ns" { print $2 }' "$work/$n/inside")
	[ -n "$ns" ] && [ "$ns" != "$host_ns" ]
	tap_ok $? "$desc: the command runs in a new time namespace (time:[$ns], the host's time:[$host_ns])"
	ctr_clocks "$desc" "$work/$n"
}

scenario timens-hm 24h 2880m
scenario timens-s ${MONO}s ${BOOT}s

# ms: LXC 5.0.2 writes "1 0 86400000000000"; the kernel says EINVAL
n=timens-ms
config $n $((MONO * 1000))ms ${BOOT}s
execute $n /bin/true
rc=$?
cat "$work/$n.err" "$work/$n.log" >"$work/$n.all"
[ "$rc" != 0 ] && grep -q 'Invalid argument - Failed to write CLONE_MONOTONIC offset' "$work/$n.all"
tap_ok $? "lxc.time.offset.monotonic = $((MONO * 1000))ms: the kernel rejects LXC's nanoseconds field (EINVAL), LXC says so and fails (exit $rc)"
grep 'CLONE_MONOTONIC\|Invalid argument' "$work/$n.all" | head -n 3 | tap_comment

[ "$tap_failed" = 0 ] && rm -rf "$work"
tap_done
