/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The toaster server: toasters 1..count, toaster N listening on
 * base_port + N. An instance is created by the module (toaster_server.ko)
 * or by the KUnit suite, on ports of its own.
 */
#ifndef _TOASTER_SERVER_H
#define _TOASTER_SERVER_H

#include <linux/socket.h>
#include <linux/types.h>

struct toaster_srv;
struct rio_psk;

#define SRV_MAX_ALLOW	16	/* networks in allow= */

/**
 * struct srv_allow_net - one network of the allow-list
 * @addr: its address, 4 (AF_INET) or 16 (AF_INET6) bytes, network order
 * @family: AF_INET or AF_INET6
 * @prefix: bits that must match, 0..32 or 0..128
 */
struct srv_allow_net {
	u8 addr[16];
	u8 family;
	u8 prefix;
};

/**
 * struct srv_allow - who may connect
 * @nets: the networks
 * @count: entries in @nets; 0: everybody
 */
struct srv_allow {
	struct srv_allow_net nets[SRV_MAX_ALLOW];
	unsigned int count;
};

/**
 * struct toaster_srv_config - what an instance is built from
 * @count: toasters, 1..RIO_MAX_SERIAL
 * @base_port: toaster N listens on @base_port + N
 * @addr: bind address (the port is set per toaster)
 * @toast_ms: toasting time per darkness level
 * @resume_ms: how long a session outlives its connection at most (0: no
 *	sessions)
 * @allow: the addresses connections are accepted from
 * @psk: the pre-shared key every client must prove (secure mode), or NULL
 * @debugfs_name: directory under debugfs for status files, or NULL
 */
struct toaster_srv_config {
	unsigned int count;
	u16 base_port;
	struct sockaddr_storage addr;
	unsigned int toast_ms;
	unsigned int resume_ms;
	struct srv_allow allow;
	const struct rio_psk *psk;
	const char *debugfs_name;
};

int toaster_parse_addr(const char *str, struct sockaddr_storage *ss);
int srv_allow_parse(const char *str, struct srv_allow *allow);
bool srv_allow_match(const struct srv_allow *allow,
		     const struct sockaddr_storage *peer);
struct toaster_srv *toaster_srv_start(const struct toaster_srv_config *cfg);
void toaster_srv_stop(struct toaster_srv *srv);

#endif /* _TOASTER_SERVER_H */
