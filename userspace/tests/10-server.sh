#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of toaster_server.ko with the riopeer tool: the protocol
# as a client sees it, malformed frames, busy toasters, unload with clients.
# Prints one KTAP document; see docs/testing.md.

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

TOAST_MS=50
DBG=/sys/kernel/debug/toaster_server

# Malformed frames sent after HELLO; each must close only its connection.
AFTER_HELLO="magic version opcode opcode0 flags nonblock room response-flag
notify status tag0 cancel-tag cancel-arg bye-arg length read-payload read-arg
read-big write-empty ioctl-length ioctl-field second-hello truncated"
# Malformed HELLOs (and a valid frame before HELLO).
INSTEAD_OF_HELLO="hello-length hello-serial0 hello-caps hello-wait0
hello-maxpayload0 hello-inflight0 before-hello"

n_bad=0
for k in $AFTER_HELLO $INSTEAD_OF_HELLO; do n_bad=$((n_bad + 1)); done
ktap_plan $((40 + n_bad))

peer() { riopeer -t 3000 "$@"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

ktap_check "load toaster_rio and toaster_server" sh -c \
	"insmod $TOASTER_MODDIR/toaster_rio.ko &&
	 insmod $TOASTER_MODDIR/toaster_server.ko count=2 toast_ms=$TOAST_MS"

ktap_check "hello and ping" peer -n 1 hello ping 100

ktap_check "write then read after toasting" \
	peer -n 1 hello write hello --expect-length 5 \
		read 64 nonblock --expect-status AGAIN \
		read 64 --expect-data hello \
		read 64 --expect-length 0

# Darkness 5 x 50 ms: the blocking READ must take at least 250 ms.
t0=$(now_ms)
peer -n 1 hello write x read 8 --expect-data x >/dev/null 2>&1
rc=$?
ms=$(( $(now_ms) - t0 ))
if [ "$rc" -eq 0 ] && [ $ms -ge $((5 * TOAST_MS)) ]; then
	ktap_ok "read waits darkness x toast_ms"
else
	ktap_not_ok "read waits darkness x toast_ms" "rc=$rc ms=$ms"
fi

ktap_check "IPv6 loopback" riopeer -h ::1 -n 2 hello ping

ktap_check "serial mismatch refused and closed" \
	peer -p 5001 hello 2 --expect-status NODEV expect-close

# A holds toaster 1 for 2 s; B is refused with BUSY and closed at once.
peer -n 1 hello idle 2000 ping >/tmp/holder.out 2>&1 &
holder=$!
sleep 0.5
ktap_check "second client busy and closed" \
	peer -n 1 hello --expect-status BUSY expect-close
wait $holder
ktap_result "first client unaffected by the busy one" $?

ktap_check "no HELLO: closed after the timeout" \
	riopeer -t 6000 -n 1 expect-close 2500

ktap_check "state kept across connections" sh -c "
	riopeer -n 2 hello ioctl darkness 0 1 write abc bye &&
	riopeer -n 2 hello ioctl-status read 8 --expect-data abc"

ktap_check "cancel of a parked read" \
	peer -n 1 hello ioctl darkness 0 10 write slow \
		read 8 async --expect-status CANCELED sleep 100 cancel last \
		wait read 8 nonblock --expect-status AGAIN ioctl pop 0

ktap_check "ioctl errors: bad darkness EINVAL, unknown NOTTY" \
	peer -n 1 hello ioctl darkness 0 11 --expect-status INVAL \
		ioctl 63 0 --expect-status NOTTY ioctl reset 0

# Every malformed frame closes its own connection, nothing else.
peer -n 2 hello idle 1000 ping idle 1000 ping idle 1000 ping idle 1000 \
	ping idle 1000 ping idle 1000 ping idle 1000 ping >/tmp/bystander.out 2>&1 &
bystander=$!
for k in $AFTER_HELLO; do
	ktap_check "malformed after HELLO closes: $k" \
		peer -n 1 hello raw-bad "$k" expect-close
done
for k in $INSTEAD_OF_HELLO; do
	ktap_check "malformed HELLO closes: $k" \
		peer -n 1 raw-bad "$k" expect-close
done
ktap_check "tag reused while outstanding closes" \
	peer -n 1 hello write x read 8 async raw-bad dup-tag expect-close
wait $bystander
ktap_result "other toaster's client kept working" $?
ktap_check "toaster usable after the bad clients" peer -n 1 hello ping

ktap_check "bad input logged with the peer's address" \
	sh -c "dmesg | grep -Eq 'toaster_server: toaster1: peer [^ ]*127.0.0.1[^ ]*: bad magic'"

# NOTIFY only to a client that offered RIO_CAP_NOTIFY (docs/protocol.md).
ktap_check "NOTIFY sent to a client with the capability" sh -c \
	"riopeer -n 1 hello write x idle 300 read 8 | grep -q '^NOTIFY'"
ktap_check "no NOTIFY to a client without the capability" sh -c \
	"out=\$(riopeer -n 1 --caps 0 hello write x idle 300 read 8) &&
	 ! printf '%s\n' \"\$out\" | grep -q '^NOTIFY'"

# The write credit: every answer carries the slot's room, but only to a
# client granted RIO_CAP_CREDIT (docs/protocol.md).
ktap_check "room in every answer to a client granted the write credit" sh -c \
	"out=\$(riopeer -n 1 --caps 3 --inflight 16 hello ioctl reset 0 write-bytes 100) &&
	 printf '%s\n' \"\$out\" | grep -q '^HELLO .*caps=NOTIFY|CREDIT' &&
	 printf '%s\n' \"\$out\" | grep -q '^IOCTL .* room=4096 ' &&
	 printf '%s\n' \"\$out\" | grep -q '^WRITE .*accepted=100 room=3996 '"
ktap_check "no room to a client without the write credit" sh -c \
	"out=\$(riopeer -n 1 hello ioctl reset 0 write-bytes 100) &&
	 printf '%s\n' \"\$out\" | grep -q '^WRITE .*accepted=100' &&
	 ! printf '%s\n' \"\$out\" | grep -q 'room='"

# Eight connections per toaster; silent ones do not lock the owner out:
# when all are taken, the oldest that has not said HELLO makes room.
i=0
silent=
while [ $i -lt 10 ]; do
	riopeer -t 3000 -n 2 idle 2000 >/dev/null 2>&1 &
	silent="$silent $!"
	i=$((i + 1))
done
# Wait for the state, not for a time: the toaster full (the debug kernel
# under TCG can take more than a second to start ten riopeers). It keeps
# eight connections, so ten are never seen at once: full is eight, or the
# first eviction logged.
i=0
while [ "$(ss -Htn state established '( sport = :5002 )' | wc -l)" -lt 8 ] &&
	! dmesg | grep -q 'toaster2: peer .*: no HELLO yet and the toaster is full' &&
	[ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
ktap_check "the owner gets in past ten silent connections" \
	riopeer -t 2000 -n 2 hello ping
# The eviction is logged by accept_work, which may still be admitting the
# last of them: look for up to 3 s.
ktap_check "silent connections made room, oldest first" sh -c \
	"for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		dmesg | grep -q 'toaster_server: toaster2: peer .*: no HELLO yet and the toaster is full, closing' && exit 0
		sleep 0.2
	done; exit 1"
for p in $silent; do wait "$p"; done

# Accepted sockets have TCP keepalive on: a vanished owner does not hold
# the toaster forever.
peer -n 1 hello idle 3000 >/dev/null 2>&1 &
holder=$!
ktap_check "server sockets use TCP keepalive" sh -c \
	"for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		ss -tno state established '( sport = :5001 )' | grep -q 'timer:(keepalive' && exit 0
		sleep 0.1
	done; ss -tnoa; exit 1"
wait $holder

# Sessions (docs/protocol.md, "Sessions"): the session outlives its
# connection; a request sent again after a resume that ran already is
# answered from the reply cache, not run again. A resuming client goes on
# with its tags (the cache knows tags 2 to 6 here): hence --tag.
SESS="--caps 5 --resume-ms 5000"
speer() { riopeer -t 3000 --caps 5 --resume-ms 5000 "$@"; }
sid=$(speer -n 1 hello ioctl reset 0 ioctl darkness 0 1 \
	write abc --tag 5 read 3 --tag 6 --expect-data abc 2>/dev/null |
	sed -n 's/^HELLO .* session=\([0-9a-f]\{32\}\).*/\1/p')
if [ -n "$sid" ]; then
	ktap_ok "a client asking for a session gets one"
else
	ktap_not_ok "a client asking for a session gets one"
	sid=00000000000000000000000000000001
fi
ktap_check "a session waiting to be resumed holds the toaster" \
	peer -n 1 hello --expect-status BUSY expect-close
ktap_check "resuming a session the server does not have: STALE" \
	speer -n 1 --session 0123456789abcdef0123456789abcdef --resume \
		hello --expect-status STALE expect-close
ktap_check "requests that ran are answered again, not run again" sh -c \
	"out=\$(riopeer -t 3000 -n 1 $SESS --session $sid --resume hello \
		write abc --tag 5 --expect-length 3 \
		read 3 --tag 6 --expect-data abc \
		read 8 nonblock --tag 7 --expect-length 0) &&
	 printf '%s\n' \"\$out\" | grep -q '^HELLO .*session=$sid'"
ktap_check "debugfs counts the resume and both replays" sh -c \
	"grep -q '^resumes: 1\$' $DBG/toaster1 && grep -q '^replayed: 2\$' $DBG/toaster1"
ktap_check "a HELLO asking for its old session's id replaces it at once" \
	speer -n 1 --session "$sid" hello ping bye
ktap_check "after BYE the toaster is free at once" peer -n 1 hello ping
peer -n 1 --caps 5 --resume-ms 2000 hello ping >/dev/null 2>&1
ktap_check "a session not resumed in its resume_ms ends" sh -c \
	"riopeer -t 3000 -n 1 hello --expect-status BUSY expect-close &&
	 sleep 2.5 && riopeer -t 3000 -n 1 hello ping"

# RIO-level keepalive: a client that promised one and then went silent is
# closed after RIO_KEEPALIVE_MISSES + 1 periods (4 x 300 ms), not TCP's 25 s.
ktap_check "a client silent past its keepalive is closed" \
	riopeer -t 4000 -n 1 --keepalive-ms 300 hello expect-close 900
# PING, the keepalive, is answered at once, ahead of a parked READ (500 ms
# of toasting here, and the PING must come back within 400 ms).
ktap_check "PING is answered ahead of a parked READ" \
	riopeer -t 400 -n 1 hello ioctl darkness 0 10 write slow \
		read 8 --tag 50 async --expect-status CANCELED ping \
		cancel 50 wait ioctl pop 0

ktap_check "debugfs status and counters" \
	sh -c "grep -q '^serial: 1' $DBG/toaster1 && grep -q '^connections: [1-9]' $DBG/toaster1"

# Unload with one client holding a toaster and one silent connection.
peer -n 1 hello write x read 8 async expect-close >/tmp/unload1.out 2>&1 &
p1=$!
peer -n 2 expect-close >/tmp/unload2.out 2>&1 &
p2=$!
sleep 0.5
t0=$(now_ms)
rmmod toaster_server
rc=$?
ms=$(( $(now_ms) - t0 ))
# Not a speed goal: the bound only tells "returns" from "waits for a peer or
# a timeout" (HELLO 3 s, keepalive 25 s), with room for a loaded host
# (0.3-0.5 s on an idle one, 1.5 s seen under load).
ktap_diag "rmmod took $ms ms"
if [ $rc -eq 0 ] && [ $ms -lt 2900 ]; then
	ktap_ok "rmmod with clients connected returns without waiting for them"
else
	ktap_not_ok "rmmod with clients connected returns without waiting for them" "rc=$rc ms=$ms"
fi
wait $p1 && wait $p2
ktap_result "clients see the connection closed at unload" $?
# allow=: connections from elsewhere are closed at accept.
ktap_check "allow= with a bad CIDR fails the load" sh -c \
	"! insmod $TOASTER_MODDIR/toaster_server.ko allow=10.0.0.0/33 2>/dev/null &&
	 ! insmod $TOASTER_MODDIR/toaster_server.ko allow=localhost 2>/dev/null"
ktap_check "allow=10.99.0.0/16: a peer at 127.0.0.1 is closed at accept" sh -c \
	"insmod $TOASTER_MODDIR/toaster_server.ko allow=10.99.0.0/16,fd99::/16 &&
	 riopeer -t 3000 -n 1 expect-close &&
	 riopeer -t 3000 -h ::1 -n 1 expect-close &&
	 dmesg | grep -q 'toaster_server: toaster1: peer .*127.0.0.1.* not allowed, closing' &&
	 rmmod toaster_server"
ktap_check "allow=127.0.0.0/8,::1 admits both loopbacks" sh -c \
	"insmod $TOASTER_MODDIR/toaster_server.ko allow=127.0.0.0/8,::1 &&
	 riopeer -t 3000 -n 1 hello ping && riopeer -t 3000 -h ::1 -n 1 hello ping &&
	 rmmod toaster_server"
ktap_check "unload toaster_rio" rmmod toaster_rio

ktap_finish
