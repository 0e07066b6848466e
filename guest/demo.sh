#!/bin/sh
# guest/demo.sh: what `make run` shows without a terminal or CMD, in the
# guest: a time namespace at work, through util-linux's unshare(1), then
# in a container LXC starts.
uname -a
if [ ! -e /proc/self/ns/time ]; then
	if grep -qv '^[[:space:]]*\(#\|$\)' patches/series 2>/dev/null; then
		echo "this kernel has no time namespace (yet): /proc/self/ns/time is missing"
	else
		echo "the series is empty: this is the stripped base kernel, without time namespaces"
	fi
	exit 0
fi
echo "host:   $(readlink /proc/self/ns/time), uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "unshare --time --boottime 86400 --monotonic 3600: a namespace a day ahead"
echo "in boot time and an hour ahead in monotonic time; inside it:"
unshare --time --boottime 86400 --monotonic 3600 sh -c '
	echo "inside: $(readlink /proc/self/ns/time), uptime $(cut -d" " -f1 /proc/uptime) s"
	echo "/proc/self/timens_offsets:"
	sed "s/^/  /" /proc/self/timens_offsets'
echo "host:   $(readlink /proc/self/ns/time), uptime $(cut -d' ' -f1 /proc/uptime) s"

# a wall clock of the namespace's own: owned by a new user namespace, so
# that its root sets it with date -s, never the host's
echo
echo "unshare --user --map-root-user --time --fork: a namespace whose wall clock"
echo "is its own; inside it, date -s '2038-01-19 03:13:00', then date, sleep 2, date:"
unshare --user --map-root-user --time --fork sh -c '
	date -s "2038-01-19 03:13:00" >/dev/null && date && sleep 2 && date
	sed "s/^/  /" /proc/self/timens_offsets' 2>&1 | sed 's/^/inside: /'
echo "host:   $(date)"

# a container runtime: LXC 5.0.2 starts an application container with
# lxc.time.offset.* (README: "Running containers in a time namespace")
if ! command -v lxc-execute >/dev/null; then
	echo "(no lxc-execute: make deps installs Debian's lxc)"
	exit 0
fi
lxc=$(mktemp -d /tmp/demo-lxc.XXXXXX)
cat >"$lxc/demo.conf" <<-CONF
	lxc.net.0.type = empty
	lxc.console.path = none
	lxc.mount.auto = proc:rw
	lxc.time.offset.boot = 48h
	lxc.time.offset.monotonic = 30m
CONF
echo
echo "LXC: lxc-execute -n demo -f demo.conf -- ..., with demo.conf:"
sed 's/^/  /' "$lxc/demo.conf"
lxc-execute -P "$lxc" -n demo -f "$lxc/demo.conf" -- sh -c '
	echo "in the container: $(readlink /proc/self/ns/time), uptime $(cut -d" " -f1 /proc/uptime) s"
	sed "s/^/  /" /proc/self/timens_offsets' </dev/null
echo "host:   $(readlink /proc/self/ns/time), uptime $(cut -d' ' -f1 /proc/uptime) s"
rm -rf "$lxc"
