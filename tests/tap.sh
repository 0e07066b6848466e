# tests/tap.sh: TAP output for the project's shell scripts (sourced by
# tests/*.sh, scripts/criu-migrate and scripts/check). tests/tap.h is the
# same for the C programs.
#
#   tap_plan N                "1..N"
#   tap_ok STATUS DESC        "ok N DESC" when STATUS is 0, else "not ok N DESC";
#                             returns 0 or 1 likewise (under set -e: tap_ok ... || :)
#   tap_check DESC CMD...     tap_ok with CMD's exit status
#   tap_skip DESC REASON      "ok N DESC # SKIP REASON"
#   tap_skip_rest DESC REASON  skips up to the plan
#   tap_diag TEXT...          "# " lines; tap_comment FILE... the same for files
#   tap_done                  a failure if fewer tests ran than planned;
#                             exit status 0 when nothing failed, else 1
#   tap_guest_needs WHAT NEED...  for the scenarios that run containers or
#                             CRIU: 0 in the guest as root with every NEED (a
#                             command name, or a path to an executable),
#                             else skips WHAT up to the plan and ends the
#                             script (tap_done's status)
# The counts: tap_n (tests so far), tap_failed.

tap_n=0 tap_failed=0 tap_planned=0

tap_plan() {
	tap_planned=$1
	echo "1..$1"
}

tap_ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $2"
		return 1
	fi
}

tap_check() {
	_tap_desc=$1
	shift
	"$@"
	tap_ok $? "$_tap_desc"
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

tap_skip_rest() {
	while [ "$tap_n" -lt "$tap_planned" ]; do
		tap_skip "$1" "$2"
	done
}

tap_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

tap_comment() {
	sed 's/^/# /' "$@"
}

tap_done() {
	[ "$tap_n" -ge "$tap_planned" ] ||
		tap_ok 1 "the script ran as many tests as planned ($tap_n of $tap_planned)"
	echo "# $((tap_n - tap_failed)) passed, $tap_failed failed"
	[ "$tap_failed" = 0 ]
}

tap_guest_needs() {
	_tap_what=$1
	shift
	# the guest's root is the host's / over 9p ("hostroot"): containers and
	# CRIU dump and kill processes, no business for the host that builds
	if ! grep -q '^hostroot / 9p ' /proc/mounts; then
		tap_skip_rest "$_tap_what" "run in the guest only"
		exit 0
	fi
	_tap_miss=
	[ "$(id -u)" = 0 ] || _tap_miss=" root"
	for _tap_need; do
		case $_tap_need in
		/*) [ -x "$_tap_need" ] || _tap_miss="$_tap_miss $_tap_need" ;;
		*) command -v "$_tap_need" >/dev/null || _tap_miss="$_tap_miss $_tap_need" ;;
		esac
	done
	[ -n "$_tap_miss" ] || [ ! -e /proc/self/ns/time ] || return 0
	# a kernel without time namespaces fails; the rest is the setup's
	tap_check "the kernel has time namespaces (/proc/self/ns/time)" [ -e /proc/self/ns/time ]
	[ -z "$_tap_miss" ] || tap_skip_rest "$_tap_what" "missing:$_tap_miss"
	tap_done
	exit
}
