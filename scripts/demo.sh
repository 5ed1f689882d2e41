#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo `make run` shows: echo/cat on /dev/toaster1 and toasterctl.
# Runs inside a VM (scripts/vm --exec, or scripts/twohost --demo).
#
#   demo.sh                   one host: server and client in this VM
#   demo.sh --server ADDR     the client host of two (scripts/twohost): the
#                             server host at ADDR runs toaster_server.ko
set -e

server=
if [ "${1:-}" = --server ]; then
	server=$2
fi

say() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; sh -c "$*"; }

if [ -n "$server" ]; then
	say "two hosts: this one is 192.0.2.2, the toaster server is $server"
	run "ip addr add 192.0.2.2/24 dev eth0 && ip link set eth0 up"
	run "ip -br addr show eth0"
	i=0
	until ping -c 1 -W 1 "$server" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 60 ] || { echo "no answer from $server"; exit 1; }
	done
	say "load the RIO library and the client"
	run "insmod $TOASTER_MODDIR/toaster_rio.ko"
	run "insmod $TOASTER_MODDIR/toaster.ko count=2 server=$server"
	i=0
	until toasterctl -d /dev/toaster1 ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 30 ] || { echo "no toaster server at $server"; exit 1; }
		sleep 1
	done
else
	say "load the RIO library, the server (2 toasters, 100 ms per darkness level) and the client"
	run "insmod $TOASTER_MODDIR/toaster_rio.ko"
	run "insmod $TOASTER_MODDIR/toaster_server.ko count=2 toast_ms=100"
	run "insmod $TOASTER_MODDIR/toaster.ko count=2 server=127.0.0.1"
fi
run "ls -l /dev/toaster*"

say "bread in, toast out: cat waits for the toast (darkness 5 x toast_ms)"
run "echo hello > /dev/toaster1"
run "time cat /dev/toaster1"

say "toasterctl: status, darkness, ping, counters"
run "toasterctl -d /dev/toaster1 darkness 8"
run "echo 'rye bread' > /dev/toaster1"
run "toasterctl -d /dev/toaster1 status"
run "cat /dev/toaster1"
run "toasterctl -d /dev/toaster1 ping -c 5"
run "toasterctl -d /dev/toaster1 stats"
run "toasterctl -d /dev/toaster1 --json status"
if [ -n "$server" ]; then
	say "the TCP connection of an open file, to the other host"
	run "exec 3</dev/toaster1; sleep 0.3; ss -tn state established"
else
	run "cat /sys/kernel/debug/toaster_server/toaster1"
fi

say "unload"
run "rmmod toaster"
[ -n "$server" ] || run "rmmod toaster_server"
run "rmmod toaster_rio || { sleep 2; rmmod toaster_rio; }"
run "dmesg | grep -E 'toaster' | tail -n 5"
if [ -n "$server" ]; then
	echo stop | nc "$server" 4999 >/dev/null 2>&1 || true
fi
