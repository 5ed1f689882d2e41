// SPDX-License-Identifier: GPL-2.0
/*
 * Socket helpers shared by the client and the server: address literals,
 * per-socket options, lockdep classes for kernel sockets, sending pages by
 * reference.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bvec.h>
#include <linux/export.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <net/sock.h>
#include <toaster/rio.h>

#include "sock.h"

/**
 * rio_parse_addr() - parse an IPv4 or IPv6 address literal
 * @s: the text, not necessarily NUL-terminated
 * @len: its length
 * @ss: out: AF_INET or AF_INET6 address, port 0
 *
 * Return: 0 or -EINVAL.
 */
int rio_parse_addr(const char *s, size_t len, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	const char *end;

	memset(ss, 0, sizeof(*ss));
	if (!len || len > INET6_ADDRSTRLEN)
		return -EINVAL;
	if (in4_pton(s, len, (u8 *)&sin->sin_addr.s_addr, -1, &end) &&
	    end == s + len) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (in6_pton(s, len, sin6->sin6_addr.s6_addr, -1, &end) &&
	    end == s + len) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	return -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(rio_parse_addr, TOASTER_RIO);

/**
 * rio_addr_set_port() - set the port of an IPv4 or IPv6 address
 * @ss: AF_INET or AF_INET6 address
 * @port: port, host byte order
 *
 * Return: the length of the address, for kernel_bind()/kernel_connect().
 */
int rio_addr_set_port(struct sockaddr_storage *ss, u16 port)
{
	if (ss->ss_family == AF_INET6) {
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
		return sizeof(struct sockaddr_in6);
	}
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	return sizeof(struct sockaddr_in);
}
EXPORT_SYMBOL_NS_GPL(rio_addr_set_port, TOASTER_RIO);

/**
 * rio_sock_setup() - prepare a fresh or accepted TCP socket for RIO
 * @sock: socket not yet in use by anybody else
 *
 * Disables Nagle: RIO frames are small requests that want an answer.
 */
void rio_sock_setup(struct socket *sock)
{
	tcp_sock_set_nodelay(sock->sk);
}
EXPORT_SYMBOL_NS_GPL(rio_sock_setup, TOASTER_RIO);

/**
 * rio_sock_reclassify() - give a kernel socket its own lockdep class
 * @sock: socket not yet in use by anybody else
 *
 * As nvme-tcp does, so lockdep tells RIO's kernel sockets from user
 * sockets. With lockdep, the kernel (6.12.y, and 6.1.y since the same
 * stable fix) makes such a socket hold a reference on the module that owns
 * the lock class keys (toaster_rio) until the socket is destroyed: only for
 * sockets whose lifetime is bounded by something other than module exit
 * (the client's, bounded by open files). The server's listeners and
 * connections live until toaster_server's exit; reclassified, they would
 * pin toaster_rio past it and leave it unloadable while they linger.
 */
void rio_sock_reclassify(struct socket *sock)
{
	static struct lock_class_key sk_key[2], slock_key[2];
	struct sock *sk = sock->sk;

	if (!IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC))
		return;
	if (WARN_ON_ONCE(!sock_allow_reclassification(sk)))
		return;

	switch (sk->sk_family) {
	case AF_INET:
		sock_lock_init_class_and_name(sk, "slock-AF_INET-RIO",
					      &slock_key[0],
					      "sk_lock-AF_INET-RIO",
					      &sk_key[0]);
		break;
	case AF_INET6:
		sock_lock_init_class_and_name(sk, "slock-AF_INET6-RIO",
					      &slock_key[1],
					      "sk_lock-AF_INET6-RIO",
					      &sk_key[1]);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}
EXPORT_SYMBOL_NS_GPL(rio_sock_reclassify, TOASTER_RIO);

#ifndef RIO_HAVE_KERNEL_SENDPAGE
/* 6.5 and later (Kbuild): one sendmsg() lends TCP every page of the range. */
static int rio_send_pages(struct socket *sock, const u8 *p, size_t len,
			  int flags)
{
	struct bio_vec bv[RIO_MAX_PAYLOAD / PAGE_SIZE + 1];
	struct msghdr msg = { .msg_flags = flags | MSG_SPLICE_PAGES };
	unsigned int n = 0;
	size_t done = 0;

	while (done < len && n < ARRAY_SIZE(bv)) {
		size_t off = offset_in_page(p + done);
		size_t k = min(len - done, PAGE_SIZE - off);

		bvec_set_page(&bv[n++], vmalloc_to_page(p + done), k, off);
		done += k;
	}
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, done);
	return sock_sendmsg(sock, &msg);
}
#else
/* 6.1: kernel_sendpage(), a page at a time, all but the last corked. */
static int rio_send_pages(struct socket *sock, const u8 *p, size_t len,
			  int flags)
{
	size_t done = 0;

	while (done < len) {
		size_t off = offset_in_page(p + done);
		size_t k = min(len - done, PAGE_SIZE - off);
		int f = flags, ret;

		if (done + k < len)
			f |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
		ret = kernel_sendpage(sock, vmalloc_to_page(p + done), off, k,
				      f);
		if (ret <= 0)
			return done ? done : ret;
		done += ret;
		if ((size_t)ret < k)
			break;		/* the socket is full */
	}
	return done;
}
#endif

/**
 * rio_sock_send_pages() - send vmalloc() memory without copying it
 * @sock: connected TCP socket
 * @addr: the bytes, in vmalloc() memory (rio_buf_by_ref())
 * @len: how many, at most RIO_MAX_PAYLOAD
 * @flags: MSG_* flags, as for kernel_sendmsg()
 *
 * TCP takes a reference on each page and reads it until the peer has
 * acknowledged it, after this returns: the bytes must not change until
 * the pages are TCP's no more (buf.c waits for that before it recycles a
 * buffer).
 *
 * Return: bytes sent, possibly fewer than @len when the socket is full,
 * or a negative errno (-EAGAIN: none fit).
 */
int rio_sock_send_pages(struct socket *sock, const void *addr, size_t len,
			int flags)
{
	if (WARN_ON_ONCE(!is_vmalloc_addr(addr) || len > RIO_MAX_PAYLOAD))
		return -EINVAL;
	return rio_send_pages(sock, addr, len, flags);
}
EXPORT_SYMBOL_NS_GPL(rio_sock_send_pages, TOASTER_RIO);
