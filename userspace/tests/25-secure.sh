#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of secure mode (psk=): the key from the keyring, the
# handshake with the right key, a wrong key, and plain against PSK in both
# directions; then through a relay (rio_relay) between client and server:
# what it records holds none of the payload, a recorded session replayed to
# the server is refused, and a bit flipped in the client's stream fails the
# call without a byte reaching the toaster.
# The server listens on 127.0.0.2, the relay on 127.0.0.1 (port 5001 both).
# Prints one KTAP document; leaves no module loaded.

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

M=$TOASTER_MODDIR
DBG=/sys/kernel/debug/toaster_server/toaster1
SRV=127.0.0.2
REC=/tmp/s25.rec

ktap_plan 18

cleanup() {
	killall rio_relay 2>/dev/null
	rmmod toaster 2>/dev/null
	rmmod toaster_server 2>/dev/null
	rmmod toaster_rio 2>/dev/null
	rm -f /tmp/s25.* "$REC".*
}
trap cleanup EXIT

# Log lines since the last mark.
mark() { log0=$(dmesg | wc -l); }
logged() { dmesg | tail -n +$((log0 + 1)) | grep -q "$1"; }


server() { rmmod toaster_server 2>/dev/null; insmod "$M/toaster_server.ko" addr=$SRV toast_ms=0 resume_ms=1000 "$@"; }
client() { rmmod toaster 2>/dev/null; insmod "$M/toaster.ko" "$@"; }
written() { sed -n 's/^bytes_written: //p' $DBG; }

relay_start() {
	rm -f /tmp/s25.ready
	rio_relay --listen 127.0.0.1:5001 --to $SRV:5001 --ready /tmp/s25.ready "$@" &
	i=0
	while [ ! -e /tmp/s25.ready ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
relay_stop() { killall rio_relay 2>/dev/null; sleep 0.2; }

# A session keyring of our own, as a login shell has (pam_keyinit): the
# keys added to @s are then found by request_key() from insmod.
keyctl new_session >/dev/null
head -c 32 /dev/urandom | keyctl padd logon toaster:lab @s >/dev/null
head -c 32 /dev/urandom | keyctl padd logon toaster:other @s >/dev/null
head -c 8 /dev/urandom | keyctl padd logon toaster:short @s >/dev/null
insmod "$M/toaster_rio.ko"

# --- the key ---------------------------------------------------------------
mark
ktap_check "psk= naming no key fails the load and says how to add one" sh -c \
	"! insmod $M/toaster_server.ko psk=nokey 2>/dev/null &&
	 dmesg | tail -n 5 | grep -q 'keyctl padd logon toaster:nokey'"
ktap_check "a key shorter than 16 bytes fails the load" sh -c \
	"! insmod $M/toaster.ko psk=short 2>/dev/null &&
	 dmesg | tail -n 5 | grep -q 'the key has 8 bytes'"

# --- direct: client and server with or without keys --------------------------
server psk=lab
client server=$SRV psk=lab
toasterctl capacity 1048576 >/dev/null
head -c 262144 /dev/urandom >/tmp/s25.in
ktap_check "right key: 256 KiB written and read back intact" sh -c \
	"dd if=/tmp/s25.in of=/dev/toaster1 bs=65536 conv=fsync 2>/dev/null &&
	 head -c 262144 /dev/toaster1 >/tmp/s25.out && cmp /tmp/s25.in /tmp/s25.out"

mark
client server=$SRV psk=other
ktap_check_fails_with "wrong key: the call fails with EKEYREJECTED" "rejected" toasterctl status
ktap_check "wrong key: both sides log why" sh -c \
	"dmesg | tail -n 20 | grep -q \"toaster_server: toaster1: .*PSK handshake failed: the client's key is not ours\" &&
	 dmesg | tail -n 20 | grep -q 'toaster: toaster1: .*PSK handshake failed: the server does not have our key'"

mark
client server=$SRV
ktap_check_fails_with "plain client, server with a PSK: EACCES" "permission denied" toasterctl status
ktap_check "plain client, server with a PSK: the server logs it" \
	logged "toaster_server: toaster1: .*HELLO without the PSK handshake"

mark
server
client server=$SRV psk=lab
ktap_check_fails_with "client with a PSK, plain server: EACCES, no downgrade" "permission denied" toasterctl status
ktap_check "client with a PSK, plain server: both sides log it" sh -c \
	"dmesg | tail -n 20 | grep -q 'toaster_server: toaster1: .*wants a PSK, this side has none' &&
	 dmesg | tail -n 20 | grep -q 'toaster: toaster1: .*the server has no PSK'"

# --- through a relay ---------------------------------------------------------
# A payload that is easy to find: 64 KiB of one marker.
yes TOASTER-SECRET-PAYLOAD | head -c 65536 >/tmp/s25.secret

# Control: in clear, the relay sees the payload (the search below works).
client server=127.0.0.1
relay_start --record $REC
toasterctl capacity 1048576 >/dev/null
dd if=/tmp/s25.secret of=/dev/toaster1 bs=65536 conv=fsync 2>/dev/null
head -c 65536 /dev/toaster1 >/dev/null
relay_stop
ktap_check "control: without a PSK, a recording relay finds the payload" \
	grep -q TOASTER-SECRET $REC.c2s
rm -f $REC.*

server psk=lab
client server=127.0.0.1 psk=lab resume_ms=1000
relay_start --record $REC
toasterctl capacity 1048576 >/dev/null
ktap_check "through the relay, with a PSK: 64 KiB round trip intact" sh -c \
	"dd if=/tmp/s25.secret of=/dev/toaster1 bs=65536 conv=fsync 2>/dev/null &&
	 head -c 65536 /dev/toaster1 >/tmp/s25.out && cmp /tmp/s25.secret /tmp/s25.out"
relay_stop
ktap_check "the recording holds the traffic but none of the payload" sh -c \
	"[ \$(stat -c %s $REC.c2s) -gt 65536 ] && [ \$(stat -c %s $REC.s2c) -gt 65536 ] &&
	 ! grep -q TOASTER-SECRET $REC.c2s && ! grep -q TOASTER-SECRET $REC.s2c"

# Replay: fresh server nonce, so the old proof does not match. The
# server's whole answer is its nonce (68 bytes) and the refusal (32).
# How much of the recording it takes before it closes depends on how
# soon it refuses: the whole of it, or just the first 64 KiB write.
mark
w0=$(written)
out=$(rio_relay --replay $REC.c2s --to $SRV:5001 2>&1)
sent=$(echo "$out" | sed -n 's/^replay: sent \([0-9]*\) received 100$/\1/p')
if [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" -le "$(stat -c %s $REC.c2s)" ] &&
   logged "PSK handshake failed: the client's key is not ours" &&
   [ "$(written)" = "$w0" ]; then
	ktap_ok "a recorded session replayed to the server is refused"
else
	ktap_not_ok "a recorded session replayed to the server is refused" \
		"$out" "bytes_written $w0 -> $(written)"
fi

# A bit flipped inside the first WRITE record (offset 400: after AUTH 1,
# AUTH 3 and the HELLO record, 224 bytes): every connection of the
# resume hits it again, until the client gives up (resume_ms=1000).
mark
w0=$(written)
relay_start --flip 400
head -c 4096 /tmp/s25.secret >/tmp/s25.4k
ktap_check "a bit flipped in a WRITE record: the write fails" sh -c \
	"! dd if=/tmp/s25.4k of=/dev/toaster1 bs=4096 conv=fsync 2>/dev/null"
relay_stop
ktap_check "... the server logs the record that failed authentication" \
	logged "toaster_server: toaster1: .*record .* failed authentication"
ktap_check "... and not a byte of it reached the toaster" \
	test "$(written)" = "$w0"

# A bit flipped in the handshake (the client's nonce): the proofs differ.
client server=127.0.0.1 psk=lab
relay_start --flip 40
ktap_check_fails_with "a bit flipped in the handshake: EKEYREJECTED" "rejected" toasterctl status
relay_stop

if out=$(rmmod toaster 2>&1 && rmmod toaster_server 2>&1 &&
	rmmod_wait toaster_rio 30 2>&1); then
	ktap_ok "unload the modules"
else
	ktap_not_ok "unload the modules" "$out" "$(ss -tanoe 2>&1)"
fi
ktap_finish
