#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo `make run` shows in the VM: both modules loaded, echo/cat on
# /dev/toaster1, toasterctl. Runs inside the VM (scripts/vm --exec).
set -e

say() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; sh -c "$*"; }

say "load the RIO library, the server (2 toasters, 100 ms per darkness level) and the client"
run "insmod $TOASTER_MODDIR/toaster_rio.ko"
run "insmod $TOASTER_MODDIR/toaster_server.ko count=2 toast_ms=100"
run "insmod $TOASTER_MODDIR/toaster.ko count=2 server=127.0.0.1"
run "ls -l /dev/toaster*"

say "bread in, toast out: cat waits for the toast (darkness 5 = 500 ms)"
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
run "cat /sys/kernel/debug/toaster_server/toaster1"

say "unload"
run "rmmod toaster"
run "rmmod toaster_server"
run "rmmod toaster_rio || { sleep 2; rmmod toaster_rio; }"
run "dmesg | grep -E 'toaster' | tail -n 5"
