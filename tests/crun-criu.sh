#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/crun-criu.sh: a crun container in a time namespace checkpointed and
# restored with CRIU continues its clocks. Run as root in the guest
# (scripts/check, group "scenarios"); prints TAP. Scenario 4 of issue 13.
#
# The container is scenario 1's and 3's (tests/crun.sh): the namespaces
# pid, mount, ipc, uts and time, run.oci.timens_offset = "monotonic 86400
# 0\nboottime 172800 0", and "realtime 31536000 0" too when the kernel
# takes it. Its init is build/tests/criu-clock (tests/criu-clock.c), which
# samples CLOCK_MONOTONIC and CLOCK_BOOTTIME every 100 ms, by vDSO and
# system call, into /tmp/clock.log, a tmpfs of the container's own.
#
# Debian 12's crun 1.8.1 is built without CRIU (`crun --version` lists no
# +CRIU; `crun checkpoint` fails), so CRIU 3.17 checkpoints the container's
# process tree itself: `criu dump -t INIT` (its pid, mount, UTS, IPC and
# time namespaces with it; the container's root a bind mount of the root
# file system, /dev and /tmp tmpfs whose contents CRIU saves), then after
# WAIT seconds `criu restore --root ROOTFS`. With a crun that has +CRIU,
# `crun checkpoint` and `crun restore` do it instead.
#
# Across the restore no clock steps back, nor forward by more than CRIU's
# own run time; the restored init is in a new time namespace whose offsets
# CRIU computed from the dumped clocks (the old offsets less about WAIT);
# it is pid 1 of a new PID namespace with the container's root. CRIU 3.17
# knows the monotonic and boottime offsets only: a realtime offset, when
# the kernel has them, is not carried over (a skip that says so).
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
prog=$repo/build/tests/criu-clock
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"
# shellcheck source=tests/criu-lib.sh
. "$repo/tests/criu-lib.sh"
# shellcheck source=tests/ctr-lib.sh
. "$repo/tests/ctr-lib.sh"

WAIT=${CRIU_WAIT:-3}	# seconds between the dump and the restore
YEAR=31536000

tap_plan 8

tap_guest_needs "crun and CRIU" crun criu "$prog" "$clockprog"

work=$ctr_root/crun-criu
id=timens-crun-criu
b=$work/bundle
img=$work/img
npid=
cleanup() {
	[ -z "$npid" ] || kill -KILL "$npid" 2>/dev/null
	crun delete -f $id >/dev/null 2>&1
	# a cgroup CRIU made again for the restored init
	[ ! -d /sys/fs/cgroup/$id ] || rmdir /sys/fs/cgroup/$id 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
rm -rf "$work"
mkdir -p "$work" "$img"
ctr_rootfs "$work/rootfs" || tap_diag "cannot make $work/rootfs"

# start OFFSETS: the container, criu-clock its init
start() {
	oci_bundle "$b" "$work/rootfs" "$1" "CAP_KILL" /bin/sh -c \
		'exec criu-clock run /tmp/clock.log </dev/null >/tmp/out 2>&1'
	crun run -d -b "$b" $id </dev/null >"$b/crun.out" 2>&1
}

offsets="monotonic $MONO 0
boottime $BOOT 0"
realtime=
if start "$offsets
realtime $YEAR 0"; then
	realtime=$YEAR
else
	if grep -q 'timens_offsets.*Invalid argument\|Invalid argument.*timens_offsets' "$b/crun.out"; then
		tap_diag "this kernel rejects a realtime offset (crun: $(head -n 1 "$b/crun.out")): the container has monotonic and boottime offsets only"
	else
		tap_diag "crun run with a realtime offset failed: $(head -n 1 "$b/crun.out"); again without"
	fi
	crun delete -f $id >/dev/null 2>&1
	start "$offsets"
fi
rc=$?
pid=$(ctr_crun_pid $id)
log=/proc/$pid/root/tmp/clock.log
i=0
while [ -n "$pid" ] && [ "$(count '^S' "$log")" -lt 5 ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$rc" = 0 ] && [ -n "$pid" ] && [ "$(count '^S' "$log")" -ge 5 ]
if ! tap_ok $? "crun run -d: criu-clock runs in the container (exit $rc)"; then
	tap_comment "$b/crun.out"
	[ -z "$pid" ] || tap_comment "/proc/$pid/root/tmp/out"
	tap_skip_rest "crun and CRIU" "the container did not start"
	tap_done
	exit
fi
# keep the original namespace open: its inode number stays taken, so the
# restored init's cannot equal it by reuse
exec 8<"/proc/$pid/ns/time"
ns0=$(readlink "/proc/$pid/ns/time")
cp "/proc/$pid/timens_offsets" "$work/offsets0"
mono0=$(offset_of "$work/offsets0" monotonic)
boot0=$(offset_of "$work/offsets0" boottime)

# --- checkpoint ---------------------------------------------------------------
if crun --version | grep -q '+CRIU'; then
	how="crun checkpoint"
	dump() { crun checkpoint --image-path "$img" --work-path "$work" $id >"$work/dump.out" 2>&1; }
	restore() {
		crun restore -d --image-path "$img" --work-path "$work" -b "$b" $id >"$work/restore.out" 2>&1 &&
			npid=$(ctr_crun_pid $id)
	}
	dumplog=$work/dump.log restorelog=$work/restore.log
else
	how="criu dump -t INIT"
	tap_diag "$(crun --version | sed -n 1p) is built without CRIU (crun --version: $(crun --version | grep '^+')): criu dumps the container's process tree itself"
	crun checkpoint --image-path "$img" $id >"$work/crun-checkpoint.out" 2>&1
	tap_diag "crun checkpoint: exit $?, $(head -n 1 "$work/crun-checkpoint.out")"
	# the device nodes crun bind-mounts from the host's /dev into the
	# container's (it cannot mknod them in a user namespace) are external
	# mounts for CRIU, named on dump and bound again on restore, as crun's
	# own checkpoint would
	ext_dump='' ext_restore=''
	# shellcheck disable=SC2013 # mount points, no blanks
	for m in $(awk '{ split($0, p, " - "); split(p[2], f, " ")
		if (f[1] == "devtmpfs") print $5 }' "/proc/$pid/mountinfo"); do
		key=ext$(echo "$m" | tr / -)
		ext_dump="$ext_dump --external mnt[$m]:$key"
		ext_restore="$ext_restore --external mnt[$key]:$m"
	done
	tap_diag "external mounts (crun's binds of the host's device nodes):$ext_dump"
	# shellcheck disable=SC2086 # one word an option
	dump() { criu dump -t "$pid" -D "$img" -o dump.log -v4 $ext_dump >"$work/dump.out" 2>&1; }
	restore() {
		# shellcheck disable=SC2086
		criu restore -D "$img" -o restore.log -v4 -d --root "$work/rootfs" $ext_restore \
			--pidfile "$work/pidfile" >"$work/restore.out" 2>&1 &&
			npid=$(cat "$work/pidfile")
	}
	dumplog=$img/dump.log restorelog=$img/restore.log
fi

t0=$(now)
dump
rc=$?
tdump=$(since "$t0")
[ "$rc" = 0 ] && [ ! -e "/proc/$pid" ]
if ! tap_ok $? "$how: the container's init and namespaces are dumped (exit $rc, $tdump s; in $ns0, offsets $(offsets_line "$work/offsets0"))"; then
	tap_comment "$work/dump.out"
	tail -n 15 "$dumplog" | tap_comment
	exec 8<&-
	tap_skip_rest "crun and CRIU" "the dump failed"
	tap_done
	exit
fi
sleep "$WAIT"
t0=$(now)
restore
rc=$?
trestore=$(since "$t0")
[ "$rc" = 0 ] && [ -n "$npid" ] && kill -0 "$npid" 2>/dev/null
if ! tap_ok $? "${how%% *} restore after a wait of $WAIT s (exit $rc, $trestore s)"; then
	tap_comment "$work/restore.out"
	tail -n 15 "$restorelog" | tap_comment
	exec 8<&-
	tap_skip_rest "crun and CRIU" "the restore failed"
	tap_done
	exit
fi
# the log is in the container's /tmp, a tmpfs CRIU saved and restored
log=/proc/$npid/root/tmp/clock.log
ns1=$(readlink "/proc/$npid/ns/time")
seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$npid/status")
nspid=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$npid/status")
[ "$(readlink "/proc/$npid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] &&
	[ "$(readlink "/proc/$npid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] &&
	[ "$(readlink "/proc/$npid/ns/user")" != "$(readlink /proc/self/ns/user)" ] &&
	[ -x "/proc/$npid/root/bin/criu-clock" ]
container=$?
cp "/proc/$npid/timens_offsets" "$work/offsets1"
mono1=$(offset_of "$work/offsets1" monotonic)
boot1=$(offset_of "$work/offsets1" boottime)
# the log's length at the dump: the image of the container's /tmp holds it
lines=0
for f in "$img"/tmpfs-dev-*.tar.gz.img; do
	n=$(tar -xzOf "$f" ./clock.log 2>/dev/null | wc -l)
	[ "$n" = 0 ] || lines=$n
done
# let it take samples after the restore
i=0
while [ "$(wc -l <"$log")" -lt $((lines + 10)) ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
cp "$log" "$work/clock.log"
kill -KILL "$npid"

maxstep=$(echo "$tdump $trestore $SLACK" | awk '{ print $1 + $2 + $3 }')
"$prog" steps "$work/clock.log" "$maxstep" "$lines" >"$work/steps" 2>&1 && [ "$seccomp" = 2 ]
tap_ok $? "across the restore no clock steps back or by more than dump + restore + $SLACK = $maxstep s (vDSO and syscall)"
tap_diag "restored init: Seccomp: $seccomp (2: the filter against the vDSO's fallback)"
samples "$work/clock.log" "$lines" | tap_comment
tap_comment "$work/steps"

[ -n "$ns1" ] && [ "$ns1" != "$ns0" ] && [ "$ns1" != "$(readlink /proc/1/ns/time)" ]
tap_ok $? "the restored init is in a new time namespace ($ns0 -> $ns1)"
exec 8<&-

awk -v m="$mono1" -v b="$boot1" -v m0="$mono0" -v b0="$boot0" -v w="$WAIT" -v s="$maxstep" 'BEGIN {
	exit !(m <= m0 - w && m >= m0 - w - s && b <= b0 - w && b >= b0 - w - s) }'
tap_ok $? "its offsets are the container's, $mono0/$boot0, less the $WAIT s wait and up to $maxstep s: $(offsets_line "$work/offsets1")"
read -r cmono cboot <<-EOF
$(criu_offsets "$restorelog" 2>/dev/null)
EOF
tap_diag "CRIU computed offsets: monotonic $cmono boottime $cboot"

case $nspid in
*[[:space:]]1) [ "$container" = 0 ] ;;
*) false ;;
esac
tap_ok $? "the restored init is pid 1 of a new PID namespace (NSpid $(echo "$nspid" | tr -s "\t" " ")), in new user and mount namespaces with the container's root"

if [ -z "$realtime" ]; then
	tap_skip "a realtime offset is carried over the restore" "this kernel has no realtime offset (the wall-clock work has not landed)"
else
	r1=$(offset_of "$work/offsets1" realtime)
	if [ "${r1:-0}" = 0 ]; then
		tap_skip "a realtime offset is carried over the restore" "CRIU 3.17 saves and restores the monotonic and boottime offsets only: the restored container's realtime offset is ${r1:-absent}"
	else
		[ "$r1" = "$realtime" ]
		tap_ok $? "a realtime offset is carried over the restore ($r1 s)"
	fi
fi

tap_diag "dump $tdump s, restore $trestore s"
if [ "$tap_failed" != 0 ]; then
	tap_comment "$work/restore.out"
	tap_diag "dump.log:"
	tail -n 8 "$dumplog" | tap_comment
	tap_diag "restore.log:"
	tail -n 8 "$restorelog" | tap_comment
fi
tap_done
