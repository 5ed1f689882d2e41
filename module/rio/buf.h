/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frame payloads: reference counted, so that one buffer can be queued on a
 * connection, kept for a resend and kept in the server's reply cache at
 * once, and recycled when large, see buf.c.
 */
#ifndef _TOASTER_RIO_BUF_H
#define _TOASTER_RIO_BUF_H

#include <linux/types.h>

/*
 * Buffers (header included) up to RIO_BUF_POOL_MIN bytes are allocated to
 * size and freed; larger ones take RIO_BUF_MID bytes or a whole
 * RIO_MAX_PAYLOAD, recycled (buf.c).
 */
#define RIO_BUF_POOL_MIN	1024
#define RIO_BUF_MID		(8 * 1024)
/* Recycled buffers kept at most per size, by toaster_rio.ko as a whole. */
#define RIO_BUF_POOL_MAX	16

void *rio_buf_alloc(size_t len);
void *rio_buf_dup(const void *src, size_t len);
void *rio_buf_get(void *data);
void rio_buf_put(void *data);
bool rio_buf_by_ref(const void *data);
unsigned int rio_buf_pooled(void);
void rio_buf_pool_flush(void);
void rio_buf_exit(void);

#endif /* _TOASTER_RIO_BUF_H */
