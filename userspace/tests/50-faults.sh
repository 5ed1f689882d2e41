#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fault suite: a numbered, checksummed stream (toaster_stream) through
# /dev/toaster1, from a client in network namespace f50 over a veth pair to
# the server in the initial namespace, under faults: connections killed
# (ss -K), a 4 s partition, loss with delay and reordering (tc netem), the
# server reloaded, clients killed, allocations failing (failslab). Nothing
# may be lost, duplicated or corrupted; where the session cannot survive
# (the server restarted), the application gets an error. Prints one KTAP
# document; leaves no module loaded. See docs/testing.md.

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

SYS=/sys/class/misc/toaster1

# make check runs it on Debian's kernel; on the debug kernel (about 100 s
# there, and the failslab cases) it is part of make soak, for the budget.
if [ "${TOASTER_KERNEL:-}" = test ] && [ -z "${TOASTER_SOAK:-}" ]; then
	echo "1..0 # SKIP on the debug kernel: make soak runs it there"
	exit 0
fi

ktap_plan 16

cleanup() {
	ip netns delete f50 2>/dev/null
	ip link delete f50h 2>/dev/null
	rmmod toaster 2>/dev/null
	rmmod toaster_server 2>/dev/null
	rmmod toaster_rio 2>/dev/null
}
trap cleanup EXIT

counter() { cat "$SYS/$1"; }
ns() { ip netns exec f50 "$@"; }

# netem on both ends of the veth pair: "netem ARGS" or "clear".
netem() {
	if [ "$1" = clear ]; then
		tc qdisc del dev f50h root 2>/dev/null
		ns tc qdisc del dev f50c root 2>/dev/null
		return 0
	fi
	tc qdisc replace dev f50h root netem "$@" &&
		ns tc qdisc replace dev f50c root netem "$@"
}

# stream_start SECONDS [toaster_stream options]: start a stream in f50;
# $stream_pid is toaster_stream's own (ip execs it), for kill.
stream_start() {
	ip netns exec f50 toaster_stream -s "$@" >/tmp/f50.out 2>&1 &
	stream_pid=$!
}

# stream_result NAME: the stream's outcome as one test, its line as a diag.
stream_result() {
	wait "$stream_pid"
	_rc=$?
	ktap_diag "$1: $(cat /tmp/f50.out)"
	ktap_result "$1" $_rc
}

if ! ip netns add f50 2>/dev/null; then
	ktap_bail "no network namespaces"
fi
ktap_check "veth pair between the namespaces" sh -c "
	ip link add f50h type veth peer name f50c &&
	ip link set f50c netns f50 &&
	ip addr add 10.50.0.1/24 dev f50h && ip link set f50h up &&
	ip -n f50 addr add 10.50.0.2/24 dev f50c &&
	ip -n f50 link set f50c up && ip -n f50 link set lo up"
ktap_check "load the modules (server toast_ms=0, client server=10.50.0.1)" sh -c \
	"insmod $TOASTER_MODDIR/toaster_rio.ko &&
	 insmod $TOASTER_MODDIR/toaster_server.ko count=1 toast_ms=0 &&
	 insmod $TOASTER_MODDIR/toaster.ko count=1 server=10.50.0.1"

stream_start 1
stream_result "a clean stream: nothing lost, duplicated or corrupted"

# wait_counter NAME VALUE: until sysfs counter NAME reaches VALUE, 20 s at
# most (the debug kernel under TCG is slow to start a stream).
wait_counter() {
	_w=0
	while [ "$(counter "$1")" -lt "$2" ] && [ $_w -lt 200 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
}

# wait_state STATE: until the device's sysfs state is STATE, 20 s at most.
wait_state() {
	_w=0
	while [ "$(counter state)" != "$1" ] && [ $_w -lt 200 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
}

# (c) The connection killed three times: the session is resumed each time.
# Each kill waits for the previous resume; SIGINT then ends the writing.
r0=$(counter resumes)
stream_start 120
wait_state connected
sleep 0.5
for k in 1 2 3; do
	ns ss -K dst 10.50.0.1 dport = :5001 >/dev/null 2>&1
	wait_counter resumes $((r0 + k))
	sleep 0.5
done
kill -INT "$stream_pid"
stream_result "connection killed 3 times (ss -K): nothing lost, duplicated or corrupted"
r1=$(counter resumes)
ktap_diag "resumes: $((r1 - r0)), reconnects: $(counter reconnects), resent: $(counter resent)"
if [ $((r1 - r0)) -ge 3 ]; then
	ktap_ok "each killed connection was resumed"
else
	ktap_not_ok "each killed connection was resumed" "resumes $r0 -> $r1"
fi

# (b) A 4 s partition: keepalive finds the connection dead, the session is
# resumed when the network is back.
stream_start 8
sleep 1
t0=$(awk '{ print int($1 * 1000) }' /proc/uptime)
netem loss 100%
sleep 4
netem clear
stream_result "a 4 s partition: nothing lost, duplicated or corrupted"
ktap_diag "partition at ${t0} ms (uptime); client log:"
dmesg | grep -E 'toaster: toaster1: (no answer|connection lost|session resumed)' |
	tail -4 | while read -r l; do ktap_diag "  $l"; done

# (a) 5% loss, 20 ms delay with jitter, reordering.
if netem delay 20ms 10ms loss 5% reorder 25% 2>/dev/null; then
	stream_start 2
	stream_result "5% loss, 20 ms delay, reordering: nothing lost, duplicated or corrupted"
	netem clear
else
	ktap_skip "5% loss, 20 ms delay, reordering: nothing lost, duplicated or corrupted" "no netem"
fi

# (e) A client killed mid-stream: it said BYE, the toaster is free at once.
stream_start 30
sleep 1
kill -9 "$stream_pid"
wait "$stream_pid" 2>/dev/null
ktap_check "after kill -9 of a client, the next open gets the toaster at once" \
	ns toasterctl status

# ... also when the BYE cannot get through: the next open ends the old
# session by its id instead of waiting for it to expire.
log0=$(dmesg | wc -l)
stream_start 30
sleep 1
netem loss 100%
kill -9 "$stream_pid"
wait "$stream_pid" 2>/dev/null
netem clear
ktap_check "killed during a partition: the next open ends its old session" \
	ns toasterctl status
ktap_check "server log: the old session was ended, not waited for" sh -c \
	"! dmesg | tail -n +$((log0 + 1)) |
	 grep -q 'toaster_server: toaster1: peer .*refused: toaster busy'"

# (f) failslab: one allocation in ten fails in the context of the stream's
# reader and writer threads (our payloads and frames, the socket's
# buffers). Calls may fail (ENOMEM,
# or a connection reset and resumed); nothing may be lost silently,
# duplicated or corrupted. Test kernel only (Debian's has no failslab).
FS=/sys/kernel/debug/failslab
if [ -d $FS ]; then
	echo Y >$FS/task-filter
	echo 10 >$FS/probability
	echo 1 >$FS/interval
	echo -1 >$FS/times
	echo 0 >$FS/verbose
	echo N >$FS/ignore-gfp-wait
	ns toaster_stream -s 2 --allow-error --make-it-fail >/tmp/f50.out 2>&1
	rc=$?
	echo 0 >$FS/probability
	ktap_diag "failslab: $(cat /tmp/f50.out)"
	ktap_result "failslab 10%: nothing lost silently, duplicated or corrupted" $rc
	ktap_check "the toaster works after failslab" ns toasterctl status
else
	ktap_skip "failslab 10%: nothing lost silently, duplicated or corrupted" "no failslab"
	ktap_skip "the toaster works after failslab" "no failslab"
fi

# (d) The server reloaded under a stream: the session is gone, the
# application is told, and opening again works.
stream_start 30 --expect-error
sleep 1
rmmod toaster_server
insmod "$TOASTER_MODDIR/toaster_server.ko" count=1 toast_ms=0
stream_result "server reloaded: the stream fails with an error, nothing duplicated or corrupted"
ktap_check "after the reload, opening again works" ns toasterctl status

ktap_check "sysfs state disconnected after it all" \
	sh -c "[ \"\$(cat $SYS/state)\" = disconnected ]"

# A client socket may pin toaster_rio a while after close (rmmod_wait);
# if one still does after 5 s, say which.
if out=$(rmmod toaster 2>&1 && rmmod toaster_server 2>&1 &&
	rmmod_wait toaster_rio 5 2>&1); then
	ktap_ok "unload the modules"
else
	ktap_not_ok "unload the modules" "$out" \
		"client sockets left:" "$(ns ss -tanoi 2>&1)"
fi
ktap_finish
