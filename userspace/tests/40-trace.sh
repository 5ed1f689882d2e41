#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end test of the tracepoints: with the "rio" and "toaster" event
# systems enabled through tracefs, an echo/cat on /dev/toaster1 shows the
# frames sent and received on both sides, the requests with their latency
# and the link coming up.
# Prints one KTAP document; leaves no module loaded and tracing off.

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

T1=/dev/toaster1
TR=/sys/kernel/tracing

cleanup() {
	if [ -d $TR/events/rio ]; then
		echo 0 >$TR/events/rio/enable
		echo 0 >$TR/events/toaster/enable
		echo >$TR/trace
	fi
	rmmod toaster 2>/dev/null
	rmmod toaster_server 2>/dev/null
	rmmod_wait toaster_rio 5 2>/dev/null
	rm -f /tmp/t40.*
}
trap cleanup EXIT

# has NAME PATTERN: the trace has a line matching PATTERN
has() {
	if grep -Eq "$2" /tmp/t40.trace; then
		ktap_ok "$1"
	else
		ktap_not_ok "$1" "no line matches: $2" "$(tail -n 20 /tmp/t40.trace)"
	fi
}

# On Debian's 6.1 kernel one run of three hung right after the echo/cat
# (the guest spinning on both vCPUs, no kernel message; cause not found
# yet): run there only when asked, so that it cannot stall make check.
if [ "${TOASTER_KERNEL:-}" = debian ] && [ -z "${TOASTER_TRACE_ON_DEBIAN:-}" ]; then
	echo "1..0 # SKIP on Debian's kernel: a hang seen once, not understood yet"
	exit 0
fi

ktap_plan 9
[ -d $TR/events ] || mount -t tracefs nodev $TR 2>/dev/null
ktap_check "load the modules" sh -c \
	"insmod $TOASTER_MODDIR/toaster_rio.ko &&
	 insmod $TOASTER_MODDIR/toaster_server.ko toast_ms=10 &&
	 insmod $TOASTER_MODDIR/toaster.ko"
if [ ! -d $TR/events/rio ] || [ ! -d $TR/events/toaster ]; then
	ktap_not_ok "event systems rio and toaster in tracefs" "$(find $TR/events -maxdepth 1 2>&1 | head)"
	ktap_bail "no tracepoints"
fi
ktap_ok "event systems rio and toaster in tracefs"
echo >$TR/trace
echo 1 >$TR/events/rio/enable
echo 1 >$TR/events/toaster/enable

ktap_check "echo and cat with tracing on" sh -c \
	"echo toast > $T1 && [ \"\$(cat $T1)\" = toast ]"
echo 0 >$TR/events/rio/enable
echo 0 >$TR/events/toaster/enable
cat $TR/trace >/tmp/t40.trace

has "client sends WRITE" \
	'rio_frame_send: toaster: toaster1 peer=[^ ]*:5001 op=WRITE .*length=6'
has "server receives it" \
	'rio_frame_recv: toaster_server: toaster1 peer=.* op=WRITE .*length=6'
has "server answers READ with the toast" \
	'rio_frame_send: toaster_server: toaster1 .* op=READ .*status=0 .*length=6'
has "request completed, with its latency" \
	'toaster_req_done: toaster1 op=READ tag=[0-9]+ err=0 resp_len=6 .*latency_ns=[1-9]'
has "link comes up" 'toaster_link_state: toaster1 connecting -> up err=0'
has "connection start traced" 'rio_conn_start: toaster: toaster1 peer=.*:5001 err=(0|-115)'
ktap_finish
