// SPDX-License-Identifier: GPL-2.0
/* The shared RIO codec and transport, compiled into the server module. */
#include "rio_proto.c"
#include "rio_conn.c"
