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
set -x
cat /proc/uptime
unshare --time --boottime 86400 --monotonic 3600 sh -c \
	'cat /proc/uptime; cat /proc/self/timens_offsets; ls -l /proc/self/ns/time'
cat /proc/uptime
