// SPDX-License-Identifier: GPL-2.0
/*
 * toaster_rio.ko: the RIO library shared by toaster.ko and
 * toaster_server.ko, as libceph serves ceph and rbd: the wire codec
 * (proto.c), the connection (conn.c), frame payloads (buf.c) and socket
 * helpers (sock.c), each compiled once. Every symbol is exported in the TOASTER_RIO namespace;
 * modprobe loads it with either module, insmod needs it first.
 */
#include <linux/module.h>

#include "buf.h"

MODULE_DESCRIPTION("Remote toaster: RIO wire codec and TCP transport");
MODULE_AUTHOR("The remote toaster authors");
MODULE_LICENSE("GPL");

/* Nothing to set up; at unload, the payload pool (buf.c) is freed. */
static void __exit toaster_rio_exit(void)
{
	rio_buf_exit();
}
module_exit(toaster_rio_exit);
