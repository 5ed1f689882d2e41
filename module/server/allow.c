// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: the allow-list, "allow=CIDR[,CIDR...]". A connection
 * from an address outside it is closed at accept, before anything is
 * allocated for it (peer.c). IPv4 and IPv6 prefixes; an IPv4 peer of the
 * dual-stack listener (::ffff:a.b.c.d) is matched as the IPv4 address it
 * is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <net/ipv6.h>

#include "internal.h"
#include "rio/sock.h"
#include "rio/testing.h"

/* Parse one "ADDR[/PREFIX]" of @len bytes. */
static int srv_allow_parse_one(const char *s, size_t len,
			       struct srv_allow_net *net)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? slash - s : len;
	struct sockaddr_storage ss;
	unsigned int max, prefix;
	char buf[4];

	if (rio_parse_addr(s, alen, &ss))
		return -EINVAL;
	net->family = ss.ss_family;
	if (ss.ss_family == AF_INET) {
		max = 32;
		memcpy(net->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else {
		max = 128;
		memcpy(net->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
	prefix = max;
	if (slash) {
		size_t plen = len - alen - 1;

		if (!plen || plen >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, slash + 1, plen);
		buf[plen] = '\0';
		if (kstrtouint(buf, 10, &prefix) || prefix > max)
			return -EINVAL;
	}
	net->prefix = prefix;
	return 0;
}

/**
 * srv_allow_parse() - parse the allow-list parameter
 * @str: "CIDR[,CIDR...]", each an IPv4 or IPv6 literal with an optional
 *	"/PREFIX" (none: the one address); NULL or "": everybody
 * @allow: out: the networks
 *
 * Return: 0; -EINVAL for a malformed entry or more than SRV_MAX_ALLOW.
 */
int srv_allow_parse(const char *str, struct srv_allow *allow)
{
	const char *s = str, *end;

	memset(allow, 0, sizeof(*allow));
	if (!str || !*str)
		return 0;
	for (;;) {
		end = strchrnul(s, ',');
		if (allow->count == SRV_MAX_ALLOW ||
		    srv_allow_parse_one(s, end - s, &allow->nets[allow->count]))
			return -EINVAL;
		allow->count++;
		if (!*end)
			return 0;
		s = end + 1;
	}
}
EXPORT_SYMBOL_IF_KUNIT(srv_allow_parse);

/* Do the first @bits bits of @a and @b agree? */
static bool srv_prefix_eq(const u8 *a, const u8 *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes))
		return false;
	if (!rest)
		return true;
	return !((a[bytes] ^ b[bytes]) & (0xff00 >> rest));
}

/**
 * srv_allow_match() - may a peer at @peer connect?
 * @allow: the allow-list; empty: everybody may
 * @peer: the peer's address (AF_INET or AF_INET6)
 *
 * Return: true if the list is empty or a network of it holds @peer.
 */
bool srv_allow_match(const struct srv_allow *allow,
		     const struct sockaddr_storage *peer)
{
	const struct sockaddr_in6 *sin6 = (const void *)peer;
	const struct sockaddr_in *sin = (const void *)peer;
	const u8 *addr;
	unsigned int i;
	int family;

	if (!allow->count)
		return true;
	family = peer->ss_family;
	if (family == AF_INET) {
		addr = (const u8 *)&sin->sin_addr.s_addr;
	} else if (family == AF_INET6 &&
		   ipv6_addr_v4mapped(&sin6->sin6_addr)) {
		family = AF_INET;
		addr = (const u8 *)&sin6->sin6_addr.s6_addr32[3];
	} else if (family == AF_INET6) {
		addr = sin6->sin6_addr.s6_addr;
	} else {
		return false;
	}

	for (i = 0; i < allow->count; i++) {
		const struct srv_allow_net *n = &allow->nets[i];

		if (n->family == family && srv_prefix_eq(addr, n->addr, n->prefix))
			return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(srv_allow_match);
