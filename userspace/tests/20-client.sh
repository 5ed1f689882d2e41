#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of the client, toaster.ko, against toaster_server.ko on
# loopback: /dev/toasterN as a file, toasterctl, poll and signals
# (toaster_poll_test), io_uring and RWF_NOWAIT (toaster_uring_test),
# refusals, timeouts and the server going away.
# Prints one KTAP document; leaves no module loaded.

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

TOAST_MS=50
SYS=/sys/class/misc
T1=/dev/toaster1
T2=/dev/toaster2
T3=/dev/toaster3	# no toaster 3 on the server: nothing listens on 5003

ktap_plan 53

now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

cleanup() {
	exec 3>&- 4>&- 5>&- 2>/dev/null
	[ -n "${nc_pid:-}" ] && nc_stop
	ip netns delete c20 2>/dev/null
	rmmod toaster 2>/dev/null
	rmmod toaster_server 2>/dev/null
	rmmod toaster_rio 2>/dev/null
	rm -f /tmp/c20.*
}
trap cleanup EXIT

# A silent server: nc listening on port $1 (run through the rest of the
# arguments, e.g. "ip netns exec c20", if any), its stdin a fifo that only
# the test writes, on fd 4: it keeps its connection open and says nothing
# it is not told to. What it receives goes to /tmp/c20.nc.
nc_start() {
	_port=$1
	shift
	mkfifo /tmp/c20.fifo
	"$@" nc -l -p "$_port" </tmp/c20.fifo >/tmp/c20.nc 2>/dev/null &
	nc_pid=$!
	exec 4>/tmp/c20.fifo
}

nc_stop() {
	kill "$nc_pid" 2>/dev/null
	kill -CONT "$nc_pid" 2>/dev/null	# if the test stopped it
	wait "$nc_pid" 2>/dev/null
	nc_pid=
	exec 4>&-
	rm -f /tmp/c20.fifo
}


# expect_out NAME WANT CMD...: CMD succeeds and prints exactly WANT
expect_out() {
	_n=$1 _w=$2
	shift 2
	_o=$("$@" 2>&1)
	_rc=$?
	if [ $_rc -eq 0 ] && [ "$_o" = "$_w" ]; then
		ktap_ok "$_n"
	else
		ktap_not_ok "$_n" "command: $*" "exit status $_rc, wanted '$_w', got:" "$_o"
	fi
}

ktap_check "load toaster_rio and toaster_server" sh -c \
	"insmod $TOASTER_MODDIR/toaster_rio.ko &&
	 insmod $TOASTER_MODDIR/toaster_server.ko count=2 toast_ms=$TOAST_MS"
ktap_check "bad module parameters are refused" sh -c \
	"! insmod $TOASTER_MODDIR/toaster.ko count=0 2>/dev/null &&
	 ! insmod $TOASTER_MODDIR/toaster.ko count=65 2>/dev/null &&
	 ! insmod $TOASTER_MODDIR/toaster.ko server=localhost 2>/dev/null &&
	 ! insmod $TOASTER_MODDIR/toaster.ko timeout_ms=0 2>/dev/null"
ktap_check "load toaster" insmod "$TOASTER_MODDIR/toaster.ko" count=3

ktap_check "device nodes, mode 0600" sh -c \
	"[ -c $T1 ] && [ -c $T2 ] && [ -c $T3 ] && [ ! -e /dev/toaster4 ] &&
	 [ \"\$(stat -c %a $T1)\" = 600 ]"
expect_out "sysfs state disconnected" disconnected cat $SYS/toaster1/state
expect_out "sysfs server is the module parameter" 127.0.0.1 \
	cat $SYS/toaster1/server

# --- a file you can write and cat ---------------------------------------------
ktap_check "echo hello > $T1" sh -c "echo hello > $T1"
expect_out "cat $T1 prints hello" hello cat $T1

ktap_check "capacity 1 MiB, darkness 1" sh -c \
	"toasterctl capacity 1048576 && toasterctl darkness 1"
head -c 1048576 /dev/urandom >/tmp/c20.in
ktap_check "write 1 MiB of random bytes" \
	dd if=/tmp/c20.in of=$T1 bs=65536
ktap_check "read 1 MiB back, identical" sh -c \
	"cat $T1 >/tmp/c20.out && cmp /tmp/c20.in /tmp/c20.out"

toasterctl darkness 10 >/dev/null 2>&1
t0=$(now_ms)
echo x >$T1 && out=$(cat $T1)
ms=$(($(now_ms) - t0))
if [ "$out" = x ] && [ $ms -ge $((10 * TOAST_MS)) ]; then
	ktap_ok "darkness 10 takes at least 10 x toast_ms"
else
	ktap_not_ok "darkness 10 takes at least 10 x toast_ms" "out='$out' ms=$ms"
fi
toasterctl reset >/dev/null 2>&1

# --- exclusive open, state, unload refused while open -------------------------
exec 3<>$T1
# open() does not wait for the connection: "connecting" until HELLO is
# answered, a moment later.
expect_out "sysfs state connected while open" connected sh -c \
	"i=0; while [ \$i -lt 20 ] && [ \$(cat $SYS/toaster1/state) = connecting ]; do
		sleep 0.1; i=\$((i + 1)); done; cat $SYS/toaster1/state"
ktap_check_fails_with "second open fails with EBUSY" "busy" toasterctl status
ktap_check_fails_with "rmmod toaster refused while a device is open" "" rmmod toaster
exec 3>&-
expect_out "sysfs state disconnected after close" disconnected \
	cat $SYS/toaster1/state

# --- refusals and the per-device server --------------------------------------
ktap_check_fails_with "no server: the first call fails with ECONNREFUSED" "refused" \
	toasterctl -d $T3 status
expect_out "sysfs state back to disconnected" disconnected \
	cat $SYS/toaster3/state
ktap_check "sysfs server override, IPv6 ::1" sh -c \
	"echo ::1 > $SYS/toaster2/server && [ \"\$(cat $SYS/toaster2/server)\" = ::1 ] &&
	 toasterctl -d $T2 ping"
ktap_check_fails "sysfs server rejects a bad address" \
	sh -c "echo not-an-address > $SYS/toaster2/server"
ktap_check "sysfs server: empty line restores the parameter" sh -c \
	"echo > $SYS/toaster2/server && [ \"\$(cat $SYS/toaster2/server)\" = 127.0.0.1 ]"

# --- toasterctl ------------------------------------------------------------------
ktap_check "toasterctl status" toasterctl status
expect_out "toasterctl darkness 3, darkness" 3 sh -c \
	"toasterctl darkness 3 && toasterctl darkness"
ktap_check "toasterctl capacity 8192" sh -c \
	"toasterctl capacity 8192 && toasterctl --json status | grep -q '\"capacity\":8192'"
ktap_check "toasterctl overwrite on|off" sh -c \
	"toasterctl overwrite on && toasterctl status | grep -q 'overwrite: on' &&
	 toasterctl overwrite off && toasterctl status | grep -q 'overwrite: off'"
ktap_check "toasterctl pop" sh -c \
	"echo bread > $T1 && toasterctl pop &&
	 toasterctl --json status | grep -q '\"bytes\":0,'"
ktap_check "toasterctl ping -c 3" sh -c \
	"toasterctl ping -c 3 && toasterctl --json ping -c 2 | grep -q '\"count\":2'"
ktap_check "toasterctl stats" sh -c \
	"toasterctl stats | grep -q '^requests' &&
	 toasterctl --json stats | grep -q '\"connects\":'"
ktap_check "toasterctl counters" sh -c \
	"toasterctl counters | grep -q '^bytes_written' &&
	 toasterctl --json counters | grep -q '\"connections\":'"
ktap_check "toasterctl reset" sh -c \
	"toasterctl reset && toasterctl --json status | grep -q '\"darkness\":5,'"
ktap_check_fails "toasterctl rejects darkness 11" toasterctl darkness 11
ktap_check_fails "toasterctl rejects an unknown command" toasterctl frobnicate
ktap_check "toasterctl --help" toasterctl --help

# --- a 32-bit toasterctl: the ioctls through compat_ioctl -----------------------
if command -v toasterctl32 >/dev/null 2>&1; then
	ktap_check "32-bit toasterctl: status, darkness, counters, ping, stats" sh -c \
		"toasterctl32 status | grep -q '^serial: *1' &&
		 toasterctl32 darkness 4 && [ \"\$(toasterctl darkness)\" = 4 ] &&
		 [ \"\$(toasterctl32 darkness)\" = 4 ] &&
		 toasterctl32 counters | grep -q '^bytes_written' &&
		 toasterctl32 ping -c 2 && toasterctl32 stats | grep -q '^requests' &&
		 toasterctl32 reset"
else
	ktap_skip "32-bit toasterctl: status, darkness, counters, ping, stats" "no toasterctl32 (gcc-multilib)"
fi

# --- the server= module parameter as an IPv6 literal ---------------------------
ktap_check "server=::1 module parameter" sh -c \
	"rmmod toaster && insmod $TOASTER_MODDIR/toaster.ko count=3 server=::1 &&
	 [ \"\$(cat $SYS/toaster1/server)\" = ::1 ] && toasterctl ping &&
	 rmmod toaster && insmod $TOASTER_MODDIR/toaster.ko count=3"

# --- poll, epoll, O_NONBLOCK, signals ------------------------------------------
ktap_check "poll, epoll, O_NONBLOCK and signals" toaster_poll_test -d $T1
ktap_check "a stream under a hail of signals comes back whole and in order" \
	toaster_poll_test -d $T1 --stress 120

# --- io_uring at queue depth 32, RWF_NOWAIT -------------------------------------
ktap_check "io_uring at queue depth 32 and RWF_NOWAIT: every byte once" \
	toaster_uring_test -d $T1 -q 32 -t $TOAST_MS
# The same reads under a hail of SIGUSR1: a read a signal ends is asked
# again (io_uring reports EINTR), and still no byte is lost or doubled.
ktap_check "io_uring reads under a hail of signals: every byte once, no hang" \
	toaster_uring_test -d $T1 -q 32 -t $TOAST_MS -S

# --- a server that accepts and never answers ----------------------------------
# open() runs under misc_mtx, which every misc device shares: it must not
# wait for the server. The first call waits, at most timeout_ms.
if command -v nc >/dev/null 2>&1 && command -v mkfifo >/dev/null 2>&1; then
	echo 3000 >/sys/module/toaster/parameters/timeout_ms
	nc_start 5003
	sleep 0.3
	# Stopped, nc never closes its end: a connection we merely shut down
	# would be left in FIN-WAIT-2 (checked below).
	kill -STOP "$nc_pid"
	t0=$(now_ms)
	toasterctl -d $T3 status >/tmp/c20.silent 2>&1 &
	silent_pid=$!
	sleep 0.3
	# Another misc device, opened while that call waits for the server.
	ping_out=$(toasterctl -d $T2 ping 2>&1)
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ $rc -eq 0 ] && [ $ms -lt 1500 ]; then
		ktap_ok "other misc devices open while a call waits for a silent server"
	else
		ktap_not_ok "other misc devices open while a call waits for a silent server" \
			"rc=$rc after $ms ms (timeout_ms 3000)" "$ping_out"
	fi
	wait $silent_pid
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ $rc -ne 0 ] && grep -qi "timed out" /tmp/c20.silent; then
		ktap_ok "silent server: the first call fails with ETIMEDOUT"
	else
		ktap_not_ok "silent server: the first call fails with ETIMEDOUT" \
			"rc=$rc" "$(cat /tmp/c20.silent)"
	fi
	if [ $ms -ge 2500 ] && [ $ms -lt 6000 ]; then
		ktap_ok "the timeout is timeout_ms"
	else
		ktap_not_ok "the timeout is timeout_ms" "took $ms ms, timeout_ms 3000"
	fi
	# The failed connection was closed abortively (RST): nothing of ours
	# lingers in FIN-WAIT towards a server that never closes.
	sleep 0.5
	lingering=$(ss -Htan '( dport = :5003 )' | grep -c FIN-WAIT)
	kill -CONT "$nc_pid"
	if [ "$lingering" -eq 0 ]; then
		ktap_ok "a failed connection is closed abortively, nothing lingers"
	else
		ktap_not_ok "a failed connection is closed abortively, nothing lingers" \
			"$(ss -tan '( dport = :5003 )')"
	fi
	nc_stop
	nc_start 5003
	sleep 0.3
	t0=$(now_ms)
	exec 5<>$T3
	ms=$(($(now_ms) - t0))
	expect_out "sysfs state connecting while HELLO is unanswered" connecting \
		cat $SYS/toaster3/state
	exec 5>&-
	if [ $ms -lt 1000 ]; then
		ktap_ok "open returns at once with a silent server"
	else
		ktap_not_ok "open returns at once with a silent server" "took $ms ms"
	fi
	nc_stop

	# A server that answers HELLO granting the write credit (tag 1, room
	# 4096; caps NOTIFY|CREDIT, max_payload 65536, max_inflight 16,
	# wait_ms 1, no keepalive, no session), then never answers again:
	# write() returns at once, and fsync() reports that the bytes may be
	# lost. The answer goes out once the HELLO (72 bytes) is in, as a
	# server's would: sent before, it could beat the HELLO to the client,
	# which then sees an answer to a tag it has not used yet (EPROTO).
	nc_start 5003
	sleep 0.3	# listening
	printf 'abcde' >/tmp/c20.five
	dd if=/tmp/c20.five of=$T3 bs=5 count=1 conv=fsync >/tmp/c20.dd 2>&1 &
	dd_pid=$!
	i=0
	while [ "$(wc -c </tmp/c20.nc)" -lt 72 ] && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	printf '\122\111\117\041\001\001\000\001\000\000\000\001' >&4
	printf '\000\000\000\000\000\000\000\000\000\000\000\000' >&4
	printf '\000\000\000\050\000\000\020\000' >&4
	printf '\000\000\000\003\000\001\000\000\000\000\000\020\000\000\000\001' >&4
	printf '\000\000\000\000\000\000\000\000' >&4
	printf '\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' >&4
	wait $dd_pid
	rc=$?
	out=$(cat /tmp/c20.dd)
	# busybox dd: "dd: error writing 'F': ..." if write() fails, "dd: F:
	# Input/output error" if fsync() does.
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q 'error writing' &&
		printf '%s\n' "$out" | grep -q "$T3: Input/output error"; then
		ktap_ok "write-behind: write() returns at once, fsync() reports the loss (EIO)"
	else
		ktap_not_ok "write-behind: write() returns at once, fsync() reports the loss (EIO)" \
			"rc=$rc" "$out"
	fi
	nc_stop
	echo 5000 >/sys/module/toaster/parameters/timeout_ms
else
	for n in "other misc devices open while a call waits for a silent server" \
		"silent server: the first call fails with ETIMEDOUT" \
		"the timeout is timeout_ms" \
		"a failed connection is closed abortively, nothing lingers" \
		"sysfs state connecting while HELLO is unanswered" \
		"open returns at once with a silent server" \
		"write-behind: write() returns at once, fsync() reports the loss (EIO)"; do
		ktap_skip "$n" "no nc or mkfifo"
	done
fi

# --- network namespaces: the socket is the opener's ----------------------------
# In namespace c20 only lo is up and nothing listens on 5001 there; the
# server listens in the initial namespace.
if ip netns add c20 2>/dev/null && ip -n c20 link set lo up; then
	ktap_check_fails_with "an opener in another namespace connects from there" "refused" \
		ip netns exec c20 toasterctl -d $T1 status
	echo 1000 >/sys/module/toaster/parameters/timeout_ms
	nc_start 5001 ip netns exec c20
	sleep 0.3
	ip netns exec c20 toasterctl -d $T1 status >/dev/null 2>&1
	nc_stop
	expect_out "its HELLO reaches a listener in that namespace" 'RIO!' \
		head -c 4 /tmp/c20.nc
	echo 5000 >/sys/module/toaster/parameters/timeout_ms
	ip netns delete c20
else
	ktap_skip "an opener in another namespace connects from there" "no netns"
	ktap_skip "its HELLO reaches a listener in that namespace" "no netns"
fi

# --- the server goes away under a blocked read ---------------------------------
ktap_check "reload toaster_server with toast_ms=500" sh -c \
	"rmmod toaster_server && insmod $TOASTER_MODDIR/toaster_server.ko count=2 toast_ms=500"
ktap_check "rmmod toaster_server during a blocking read: ECONNRESET" \
	toaster_poll_test -d $T1 --disconnect "rmmod toaster_server"
ktap_check_fails_with "server gone: the first call fails with ECONNREFUSED" "refused" \
	toasterctl status

# A client socket may pin toaster_rio a while after close (rmmod_wait):
# up to 30 s (a socket closed in order towards a slow peer), and show the
# sockets if it is longer.
if out=$(rmmod toaster 2>&1 && rmmod_wait toaster_rio 30 2>&1); then
	ktap_ok "unload toaster and toaster_rio"
else
	ktap_not_ok "unload toaster and toaster_rio" "$out" "$(ss -tanoe 2>&1)"
fi
BAD='WARNING:|BUG:|Oops|KASAN:|UBSAN:|circular locking|suspected memory leak'
if dmesg | grep -Eq "$BAD"; then
	ktap_not_ok "no kernel warnings" "$(dmesg | grep -E -A5 "$BAD" | head -40)"
else
	ktap_ok "no kernel warnings"
fi
ktap_finish
