#!/bin/sh
# guest/demo.sh: what `make run` shows without a terminal or CMD, in the
# guest: a time namespace at work, through util-linux's unshare(1).
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
