#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fault suite (userspace/tests/50-faults.sh) on the kernel make soak
# boots, the debug kernel by default: make check runs it only on Debian's
# kernel, where failslab is missing, to stay within its time budget.
TOASTER_SOAK=1 exec sh "$TOASTER_TESTDIR/50-faults.sh"
