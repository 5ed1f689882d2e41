#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The shared RIO codec compiled for userspace (module/rio/proto.c, the same
# source the modules use), run inside the VM. Prints its KTAP document.
exec rio_codec_test
