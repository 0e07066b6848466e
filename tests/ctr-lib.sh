# tests/ctr-lib.sh: what the container scenarios share (tests/crun.sh,
# tests/lxc.sh, tests/crun-criu.sh); sourced after tests/tap.sh, with $repo
# set to the repository.
#
# The clock figures come from build/tests/ctr-clock (tests/ctr-clock.c): it
# reads the clocks by system call and through the vDSO (a vDSO that falls
# back to the system call stops it) and /proc/uptime, in the container and
# on the host just before and just after; "ctr-clock shifted" then checks
# that the container's reading, less its offset, lies between the host's
# two. No time is measured.
#
# The crun containers run in a small root file system made here, under
# build/ (the guest's build/ is writable, its / is not): static busybox
# (Debian's busybox-static: sh, cat, date, sleep), ctr-clock and
# criu-clock, both static.
# shellcheck shell=sh
# shellcheck disable=SC2154 # repo is the caller's

export LC_ALL=C
clockprog=$repo/build/tests/ctr-clock
# the offsets (seconds) every container gets: a day of CLOCK_MONOTONIC,
# two of CLOCK_BOOTTIME
MONO=86400
BOOT=172800
# shellcheck disable=SC2034 # (used by the scripts that source this)
ctr_root=$repo/build/containers

# ctr_rootfs DIR: the containers' root file system
ctr_rootfs() {
	rm -rf "$1"
	mkdir -p "$1/bin" "$1/proc" "$1/dev" "$1/tmp" "$1/sys" "$1/etc" || return 1
	cp /bin/busybox "$1/bin/busybox" || return 1
	for a in sh cat date sleep; do
		ln -s busybox "$1/bin/$a" || return 1
	done
	cp "$clockprog" "$1/bin/ctr-clock" || return 1
	[ ! -x "$repo/build/tests/criu-clock" ] ||
		cp "$repo/build/tests/criu-clock" "$1/bin/criu-clock" || return 1
	echo "root:x:0:0:root:/:/bin/sh" >"$1/etc/passwd"
	echo "root:x:0:" >"$1/etc/group"
}

# json_str S: S as a JSON string (quotes, backslashes, newlines escaped)
json_str() {
	printf '%s\n' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' |
		awk 'BEGIN { ORS = "" } { printf "%s%s", (NR > 1 ? "\\n" : "\""), $0 }
			END { print "\"" }'
}

# oci_bundle DIR ROOTFS OFFSETS CAPS ARG...: an OCI bundle (config.json)
# in DIR for crun: the process ARG... as root with the capabilities CAPS
# (space separated, "CAP_..."), the namespaces user, pid, mount, ipc, uts
# and time, ROOTFS read-only, proc on /proc, tmpfs on /dev and /tmp, and
# the annotation run.oci.timens_offset = OFFSETS (crun writes it verbatim
# to /proc/self/timens_offsets before it forks the container's init; the
# lines of OFFSETS as the kernel reads them).
#
# The user namespace (uid and gid 0-65535 mapped to themselves) is what
# lets crun 1.8.1 start a container with both a PID and a time namespace:
# without one, crun creates the PID namespace in its first clone, so the
# process that unshares the time namespace and forks the container's init
# into it is that namespace's PID 1, and when it exits, as crun makes it,
# the kernel kills the init it forked (any kernel: the fate of a PID
# namespace whose init exits). With a user namespace to create, crun
# clones it alone and unshares the PID and time namespaces together, so
# the process it forks is PID 1 of the one and in the other.
oci_bundle() {
	_ob_dir=$1 _ob_rootfs=$2 _ob_offsets=$3 _ob_caps=$4
	shift 4
	mkdir -p "$_ob_dir"
	_ob_args='' _ob_sep=''
	for _ob_a in "$@"; do
		_ob_args="$_ob_args$_ob_sep$(json_str "$_ob_a")"
		_ob_sep=", "
	done
	_ob_capl='' _ob_sep=''
	for _ob_c in $_ob_caps; do
		_ob_capl="$_ob_capl$_ob_sep\"$_ob_c\""
		_ob_sep=", "
	done
	cat >"$_ob_dir/config.json" <<-EOF
	{
		"ociVersion": "1.0.2",
		"process": {
			"terminal": false,
			"user": { "uid": 0, "gid": 0 },
			"args": [ $_ob_args ],
			"env": [ "PATH=/bin", "HOME=/" ],
			"cwd": "/",
			"capabilities": {
				"bounding": [ $_ob_capl ],
				"effective": [ $_ob_capl ],
				"permitted": [ $_ob_capl ]
			},
			"noNewPrivileges": true
		},
		"root": { "path": "$_ob_rootfs", "readonly": true },
		"hostname": "timens-ctr",
		"mounts": [
			{ "destination": "/proc", "type": "proc", "source": "proc" },
			{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
			  "options": [ "nosuid", "strictatime", "mode=755", "size=1024k" ] },
			{ "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
			  "options": [ "nosuid", "nodev", "mode=1777", "size=4096k" ] }
		],
		"annotations": { "run.oci.timens_offset": $(json_str "$_ob_offsets") },
		"linux": {
			"uidMappings": [ { "containerID": 0, "hostID": 0, "size": 65536 } ],
			"gidMappings": [ { "containerID": 0, "hostID": 0, "size": 65536 } ],
			"namespaces": [
				{ "type": "user" }, { "type": "pid" }, { "type": "mount" },
				{ "type": "ipc" }, { "type": "uts" }, { "type": "time" }
			]
		}
	}
	EOF
}

# ctr_wait_file FILE PATTERN: wait until FILE holds a line matching
# PATTERN, 60 s at most (a bound on the wait, not on the test)
ctr_wait_file() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}

# ctr_crun_pid ID: the host's pid of the container's init (crun state)
ctr_crun_pid() {
	crun state "$1" 2>/dev/null | sed -n 's/^[[:space:]]*"pid": *\([0-9]*\).*/\1/p'
}

# offsets_line FILE: a timens_offsets file as one line "clock s ns; ..."
offsets_line() {
	awk '{ printf "%s%s %s %s", (NR > 1 ? "; " : ""), $1, $2, $3 }' "$1"
}

# offset_of FILE CLOCK: the seconds of CLOCK's line in a timens_offsets
# file ("" when there is none)
offset_of() {
	awk -v c="$2" '$1 == c { print $2 }' "$1"
}

# ctr_clocks DESC DIR: the container's figures in DIR (files before,
# inside and after: "ctr-clock read" on the host, in the container, on
# the host; offsets: its timens_offsets) show the offsets $MONO and $BOOT
# and no other: 6 tests
ctr_clocks() {
	got=$(offsets_line "$2/offsets")
	[ "$got" = "monotonic $MONO 0; boottime $BOOT 0" ]
	tap_ok $? "$1: /proc/self/timens_offsets in the container: $got"
	for c in "uptime $BOOT" "monotonic $MONO" "boottime $BOOT" "realtime 0"; do
		# shellcheck disable=SC2086 # CLOCK OFFSET
		line=$("$clockprog" shifted "$2/before" "$2/inside" "$2/after" $c)
		tap_ok $? "$1: ${c% *} in the container is the host's + ${c#* } s (vDSO and syscall)"
		tap_diag "$line"
	done
	ctr_host_untouched && "$clockprog" ahead "$2/inside" monotonic "$2/after" &&
		"$clockprog" ahead "$2/inside" boottime "$2/after"
	tap_ok $? "$1: the host's clocks are untouched (initial namespace, zero offsets, behind the container's)"
}

# ctr_host_untouched: the host's own time namespace is the initial one, with no
# offsets (the containers' offsets are theirs alone)
ctr_host_untouched() {
	[ "$(readlink /proc/self/ns/time)" = "$(readlink /proc/1/ns/time)" ] &&
		! awk '$2 != 0 || $3 != 0 { bad = 1 } END { exit !bad }' /proc/self/timens_offsets
}
