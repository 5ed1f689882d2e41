#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Soak (make soak, not make check): load/unload cycles of both modules
# with traffic running. Each cycle loads toaster_rio, toaster_server and
# toaster.ko, starts a stream through /dev/toaster1 (toaster_stream), then
# unloads the server under it: the stream must end with an error and
# nothing duplicated or corrupted, and every module must unload. Then the
# kernel log must be free of splats and kmemleak of leaks.
# TOASTER_SOAK_CYCLES sets the number of cycles (default 100).

# shellcheck disable=SC1090 # the harness passes the path
. "$TOASTER_KTAP"

N=${TOASTER_SOAK_CYCLES:-100}
M=$TOASTER_MODDIR

ktap_plan 4

i=0 bad_stream=0 bad_unload=0
while [ $i -lt "$N" ]; do
	if ! { insmod "$M/toaster_rio.ko" &&
		insmod "$M/toaster_server.ko" count=1 toast_ms=0 &&
		insmod "$M/toaster.ko" count=1; }; then
		break
	fi
	toaster_stream -s 60 --allow-error >/tmp/soak.out 2>&1 &
	pid=$!
	sleep 0.3
	rmmod toaster_server || bad_unload=$((bad_unload + 1))
	if ! wait $pid; then
		bad_stream=$((bad_stream + 1))
		ktap_diag "cycle $i: $(cat /tmp/soak.out)"
	fi
	rmmod_wait toaster 10 || bad_unload=$((bad_unload + 1))
	rmmod_wait toaster_rio 10 || bad_unload=$((bad_unload + 1))
	i=$((i + 1))
done
ktap_diag "cycles: $i of $N; last stream: $(cat /tmp/soak.out)"
if [ $i -eq "$N" ]; then
	ktap_ok "$N load/unload cycles with a stream running"
else
	ktap_not_ok "$N load/unload cycles with a stream running" "loading failed in cycle $i"
fi
if [ $bad_stream -eq 0 ]; then
	ktap_ok "every stream ended without loss, duplicate or corruption"
else
	ktap_not_ok "every stream ended without loss, duplicate or corruption" "$bad_stream bad"
fi
if [ $bad_unload -eq 0 ]; then
	ktap_ok "every module unloaded"
else
	ktap_not_ok "every module unloaded" "$bad_unload failures"
fi

BAD='WARNING:|BUG:|Oops|KASAN:|UBSAN:|circular locking|hung_task|blocked for more than'
leaks=
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)
fi
if dmesg | grep -Eq "$BAD" || [ "${leaks:-0}" -gt 0 ]; then
	ktap_not_ok "no kernel splats, no leaks" "leaks: ${leaks:-0}" \
		"$(dmesg | grep -E -A5 "$BAD" | head -40)"
else
	ktap_ok "no kernel splats, no leaks"
fi
ktap_finish
