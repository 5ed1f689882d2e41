/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Socket helpers of the RIO library (toaster_rio.ko): address literals,
 * the options every RIO socket gets, sending pages by reference. See
 * sock.c.
 */
#ifndef _TOASTER_RIO_SOCK_H
#define _TOASTER_RIO_SOCK_H

#include <linux/net.h>
#include <linux/socket.h>
#include <linux/types.h>

int rio_parse_addr(const char *s, size_t len, struct sockaddr_storage *ss);
int rio_addr_set_port(struct sockaddr_storage *ss, u16 port);
void rio_sock_setup(struct socket *sock);
void rio_sock_reclassify(struct socket *sock);
int rio_sock_send_pages(struct socket *sock, const void *addr, size_t len,
			int flags);

#endif /* _TOASTER_RIO_SOCK_H */
