// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: listeners and accept. The listener's sk_data_ready
 * (softirq) only queues accept_work, which accepts until -EAGAIN and hands
 * each socket to srv_accept_one().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/net.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "internal.h"
#include "rio/sock.h"
#include "rio/testing.h"

/**
 * srv_accept_work() - accept every pending connection
 * @work: srv_toaster.accept_work
 */
void srv_accept_work(struct work_struct *work)
{
	struct srv_toaster *t = container_of(work, struct srv_toaster,
					     accept_work);
	struct socket *sock;
	int ret;

	for (;;) {
		ret = kernel_accept(t->listener, &sock, O_NONBLOCK);
		if (ret) {
			if (ret != -EAGAIN)
				pr_warn_ratelimited("toaster%u: accept: %d\n",
						    t->serial, ret);
			return;
		}
		srv_accept_one(t, sock);
		cond_resched();
	}
}

static void srv_listen_data_ready(struct sock *sk)
{
	struct srv_toaster *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = sk->sk_user_data;
	if (t && sk->sk_state == TCP_LISTEN)
		queue_work(t->srv->wq, &t->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

/**
 * srv_listen_armed() - the listener's callbacks are live
 * @t: toaster
 *
 * From here on a connection can arrive and run accept_work at any moment.
 * Nothing to do but to be a point where the KUnit suite can make one
 * arrive (a static stub), to prove that everything accept_work uses is in
 * place by then.
 */
void srv_listen_armed(struct srv_toaster *t)
{
	KUNIT_STATIC_STUB_REDIRECT(srv_listen_armed, t);
}
EXPORT_SYMBOL_IF_KUNIT(srv_listen_armed);

/**
 * srv_listen() - create a toaster's listener and start accepting
 * @t: toaster
 *
 * The listener is published in @t before its callbacks are installed: they
 * may fire (and run accept_work) as soon as they are.
 *
 * Return: 0 or a negative errno.
 */
int srv_listen(struct srv_toaster *t)
{
	struct sockaddr_storage addr = t->srv->cfg.addr;
	u16 port = t->srv->cfg.base_port + t->serial;
	struct socket *sock;
	struct sock *sk;
	int len, ret;

	len = rio_addr_set_port(&addr, port);

	ret = sock_create_kern(&init_net, addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret)
		return ret;
	rio_sock_setup(sock);
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	ret = kernel_bind(sock, (struct sockaddr *)&addr, len);
	if (!ret)
		ret = kernel_listen(sock, SRV_BACKLOG);
	if (ret) {
		pr_err("toaster%u: cannot listen on port %u: %d\n", t->serial,
		       port, ret);
		sock_release(sock);
		return ret;
	}

	t->listener = sock;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = t;
	t->saved_data_ready = sk->sk_data_ready;
	t->saved_state_change = sk->sk_state_change;
	t->saved_write_space = sk->sk_write_space;
	sk->sk_data_ready = srv_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	srv_listen_armed(t);
	/* Connections that completed before the callback was installed. */
	queue_work(t->srv->wq, &t->accept_work);
	return 0;
}

/**
 * srv_unlisten() - stop accepting and release the listener
 * @t: toaster; its listener may not exist
 */
void srv_unlisten(struct srv_toaster *t)
{
	struct sock *sk;

	if (!t->listener)
		return;
	sk = t->listener->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = t->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&t->accept_work);
	sock_release(t->listener);
	t->listener = NULL;
}
