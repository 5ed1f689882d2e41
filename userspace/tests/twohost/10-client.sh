#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end test across two hosts (scripts/twohost): this VM is the client
# host (192.0.2.2), the server host (192.0.2.1) runs toaster_server.ko
# behind a QEMU socket network. Real addresses, a real link, no loopback.
# Prints one KTAP document; leaves no module loaded and tells the server
# host it is done.

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

SRV=192.0.2.1
SRV6=fd7e:57::1
T1=/dev/toaster1
T2=/dev/toaster2
SYS=/sys/class/misc

ktap_plan 10

cleanup() {
	rmmod toaster 2>/dev/null
	i=0
	while ! rmmod toaster_rio 2>/dev/null && [ $i -lt 10 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	# The server host serves until told; tell it even if we failed.
	echo stop | nc $SRV 4999 >/dev/null 2>&1
}
trap cleanup EXIT

ktap_check "eth0 up with 192.0.2.2 and fd7e:57::2" sh -c \
	"ip addr add 192.0.2.2/24 dev eth0 && ip -6 addr add fd7e:57::2/64 dev eth0 nodad &&
	 ip link set eth0 up"
ktap_check "the server host answers ping" sh -c \
	"i=0; until ping -c 1 -W 1 $SRV >/dev/null 2>&1; do
		i=\$((i + 1)); [ \$i -lt 60 ] || exit 1; done"
ktap_check "load toaster_rio and toaster server=$SRV" sh -c \
	"insmod $TOASTER_MODDIR/toaster_rio.ko &&
	 insmod $TOASTER_MODDIR/toaster.ko count=2 server=$SRV"
# The server host may still be loading its module: retry for a while.
ktap_check "toasterctl ping across the hosts" sh -c \
	"i=0; until toasterctl -d $T1 ping -c 3; do
		i=\$((i + 1)); [ \$i -lt 30 ] || exit 1; sleep 1; done"
ktap_check "echo hello > $T1, cat it back" sh -c \
	"echo hello > $T1 && [ \"\$(cat $T1)\" = hello ]"
ktap_check "the connection is 192.0.2.2 -> 192.0.2.1:5001" sh -c \
	"exec 3<>$T1; i=0
	 while [ \"\$(cat $SYS/toaster1/state)\" = connecting ] && [ \$i -lt 50 ]; do
		sleep 0.1; i=\$((i + 1)); done
	 ss -tn state established | grep -q '192.0.2.2:[0-9]* *192.0.2.1:5001'"
head -c 200000 /dev/urandom >/tmp/twohost.in
ktap_check "200 kB of random bytes through the toaster, identical" sh -c \
	"toasterctl -d $T1 capacity 262144 && toasterctl -d $T1 darkness 1 &&
	 cat /tmp/twohost.in > $T1 && cat $T1 > /tmp/twohost.out &&
	 cmp /tmp/twohost.in /tmp/twohost.out"
ktap_check "toasterctl status and counters of the remote toaster" sh -c \
	"toasterctl -d $T1 status | grep -q '^serial: *1' &&
	 toasterctl -d $T1 counters | grep -Eq '^bytes_written +2000[0-9]{2}$'"
ktap_check "toaster 2 over IPv6 ($SRV6)" sh -c \
	"echo $SRV6 > $SYS/toaster2/server && toasterctl -d $T2 ping &&
	 echo rye > $T2 && [ \"\$(cat $T2)\" = rye ]"
ktap_check "unload toaster" rmmod toaster
rm -f /tmp/twohost.*
ktap_finish
