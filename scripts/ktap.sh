# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# KTAP helpers for the end-to-end tests (userspace/tests/*.sh).
# POSIX sh: works in busybox ash and in bash. Inside the VM, source it with
#
#	. "$TOASTER_KTAP"
#
# A test script prints exactly one KTAP document on stdout and exits 0 iff
# every test case passed (skips count as passes). Typical use:
#
#	ktap_plan 3
#	ktap_check "load client" insmod "$TOASTER_MODDIR/toaster.ko"
#	ktap_check_fails "reject bad port" toasterctl connect 127.0.0.1:0
#	ktap_skip "ipv6" "no IPv6 route"
#	ktap_finish
#
#   ktap_plan N               print the header and the plan "1..N"
#   ktap_ok NAME              record a pass
#   ktap_not_ok NAME [MSG..]  record a failure, MSG lines as diagnostics
#   ktap_skip NAME REASON     record a skip ("ok N NAME # SKIP REASON")
#   ktap_result NAME STATUS   ok if STATUS (an exit status) is 0
#   ktap_check NAME CMD...    run CMD, ok if it exits 0; its output is shown
#                             as diagnostics only when it fails
#   ktap_check_fails NAME CMD...  ok if CMD exits non-zero
#   ktap_check_fails_with NAME TEXT CMD...  ok if CMD exits non-zero and
#                             its output contains TEXT (any case), e.g. the
#                             text of the errno it must fail with
#   ktap_diag MSG...          print "# MSG" (stdout, inside the document)
#   ktap_bail REASON          print "Bail out! REASON" and exit 1
#   ktap_finish               print totals; exit 0 iff nothing failed and the
#                             number of results matches the plan (when no
#                             plan was printed, print it now, at the end)
#
# Besides KTAP:
#   rmmod_wait MODULE SECONDS  rmmod MODULE, and while it is busy try again
#                             every 0.5 s for SECONDS (under lockdep a client
#                             socket pins toaster_rio, the owner of its lock
#                             class, until TCP has destroyed it, shortly
#                             after close); only the last try's error shows
#
# Test names must not contain '#' (it starts a directive); it is replaced.
# stderr is not part of the document: it goes to the VM console.

_ktap_n=0
_ktap_pass=0
_ktap_fail=0
_ktap_skip=0
_ktap_plan=
_ktap_header=

_ktap_head() {
	[ -n "$_ktap_header" ] && return 0
	_ktap_header=1
	echo "KTAP version 1"
}

_ktap_name() { printf '%s' "$*" | tr '#\n' '_ '; }

ktap_plan() {
	_ktap_head
	_ktap_plan=$1
	echo "1..$1"
}

ktap_diag() {
	for _ktap_l in "$@"; do
		printf '%s\n' "$_ktap_l" | sed 's/^/# /'
	done
}

ktap_ok() {
	_ktap_head
	_ktap_n=$((_ktap_n + 1))
	_ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_n $(_ktap_name "$1")"
}

ktap_not_ok() {
	_ktap_head
	_ktap_n=$((_ktap_n + 1))
	_ktap_fail=$((_ktap_fail + 1))
	_ktap_t=$(_ktap_name "$1")
	shift
	[ $# -gt 0 ] && ktap_diag "$@"
	echo "not ok $_ktap_n $_ktap_t"
}

ktap_skip() {
	_ktap_head
	_ktap_n=$((_ktap_n + 1))
	_ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_n $(_ktap_name "$1") # SKIP $(_ktap_name "${2:-}")"
}

ktap_result() {
	if [ "$2" -eq 0 ]; then
		ktap_ok "$1"
	else
		ktap_not_ok "$1" "exit status $2"
	fi
}

# Run "$@" with its output captured; $1 of the caller is the test name.
_ktap_run() {
	_ktap_out=$(mktemp "${TMPDIR:-/tmp}/ktap.XXXXXX")
	"$@" >"$_ktap_out" 2>&1
	_ktap_rc=$?
}

ktap_check() {
	_ktap_cn=$1
	shift
	_ktap_run "$@"
	if [ $_ktap_rc -eq 0 ]; then
		ktap_ok "$_ktap_cn"
	else
		ktap_not_ok "$_ktap_cn" "command: $*" "exit status: $_ktap_rc" "$(tail -n 40 "$_ktap_out")"
	fi
	rm -f "$_ktap_out"
	return 0
}

ktap_check_fails() {
	_ktap_cn=$1
	shift
	_ktap_run "$@"
	if [ $_ktap_rc -ne 0 ]; then
		ktap_ok "$_ktap_cn"
	else
		ktap_not_ok "$_ktap_cn" "command: $*" "expected failure, got exit status 0" "$(tail -n 40 "$_ktap_out")"
	fi
	rm -f "$_ktap_out"
	return 0
}

ktap_check_fails_with() {
	_ktap_cn=$1 _ktap_want=$2
	shift 2
	_ktap_o=$("$@" 2>&1)
	_ktap_rc=$?
	if [ $_ktap_rc -ne 0 ] && printf '%s' "$_ktap_o" | grep -qi "$_ktap_want"; then
		ktap_ok "$_ktap_cn"
	else
		ktap_not_ok "$_ktap_cn" "command: $*" \
			"exit status $_ktap_rc, wanted failure with '$_ktap_want'" "$_ktap_o"
	fi
	return 0
}

ktap_bail() {
	_ktap_head
	echo "Bail out! $*"
	exit 1
}

ktap_finish() {
	_ktap_head
	if [ -z "$_ktap_plan" ]; then
		_ktap_plan=$_ktap_n
		echo "1..$_ktap_n"
	fi
	echo "# totals: pass:$_ktap_pass fail:$_ktap_fail skip:$_ktap_skip"
	if [ "$_ktap_n" -ne "$_ktap_plan" ]; then
		echo "# plan mismatch: planned $_ktap_plan, ran $_ktap_n"
		exit 1
	fi
	[ $_ktap_fail -eq 0 ] || exit 1
	exit 0
}

rmmod_wait() {
	_ktap_tries=$(($2 * 2))
	while [ "$_ktap_tries" -gt 0 ]; do
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.5
		_ktap_tries=$((_ktap_tries - 1))
	done
	rmmod "$1"
}
