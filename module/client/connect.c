// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: the transport of a link and its first words.
 *
 * open() runs under misc_mtx, the one mutex every misc device's open
 * shares (drivers/char/misc.c): waiting for a peer there would stall the
 * opens of every misc device on the machine. So toaster_connect() only
 * starts things: it creates the socket in the opener's network namespace,
 * starts a non-blocking connect and queues the HELLO, which goes out when
 * the connection is established. The HELLO's answer, handled by the
 * receive work (toaster_link_hello_done()), brings the link up; a refused
 * connect, a refused HELLO or the deadline (timeout_ms after open, the
 * link's connect_work) brings it down. The first call that needs the
 * server waits for either (toaster_link_wait_up()) and reports
 * ECONNREFUSED, ETIMEDOUT, EBUSY, ENODEV as open() used to.
 *
 * Teardown (toaster_disconnect(), from release): cancel the deadline ->
 * BYE -> rio_conn_close(), which aborts the connection (toaster_link_dead()
 * runs if it has not), restores the socket callbacks, waits for the
 * receive work and releases the socket -> drop the namespace -> free the
 * link. Nothing here waits for the peer either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "client.h"
#include "rio/conn.h"
#include "rio/testing.h"

/**
 * toaster_link_hello_start() - say HELLO on a fresh connection
 * @link: link in TOASTER_LINK_CONNECTING, transport set
 * @wait_ms: longest time the server may park a blocking READ or WRITE
 *
 * Submits the HELLO and returns: its answer completes the connect in
 * toaster_link_hello_done(). The deadline of connect and HELLO starts now.
 *
 * Return: 0, or an error of toaster_link_submit().
 */
int toaster_link_hello_start(struct toaster_link *link, unsigned int wait_ms)
{
	struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY | RIO_CAP_CREDIT,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 1,
		.wait_ms = max(wait_ms, 1U),
	};
	struct toaster_req *req = &link->hello;
	struct rio_hello *h;

	h = kvmalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	rio_hello_encode(h, &info);

	memset(req, 0, sizeof(*req));
	req->msg.opcode = RIO_OP_HELLO;
	req->msg.arg = link->dev->serial;
	req->msg.length = sizeof(*h);
	req->payload = h;
	req->resp_buf = &link->hello_resp;
	req->resp_max = sizeof(link->hello_resp);
	link->deadline = jiffies + link->timeout;
	link->hello_wait_ms = info.wait_ms;
	return toaster_link_submit(link, req);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_hello_start);

/**
 * toaster_link_hello_done() - the HELLO was answered: bring the link up
 * @link: link, lock held, toaster_link.hello just answered
 *
 * Called by the receive work with the answer in toaster_link.hello. An
 * accepted HELLO whose answer is valid brings the link up; otherwise the
 * reason is kept in toaster_link.connect_err and returned, and the caller
 * closes the connection.
 *
 * Return: 0; the server's refusal (-EBUSY: the toaster is held by another
 * client, -ENODEV: no such toaster there, ...); -EPROTO for an invalid
 * answer, including a wait_ms above the one asked for.
 */
int toaster_link_hello_done(struct toaster_link *link)
{
	struct toaster_req *req = &link->hello;
	struct rio_hello_info info;
	int bad;

	lockdep_assert_held(&link->lock);
	if (link->state != TOASTER_LINK_CONNECTING)
		return 0;	/* release() is closing it */
	if (req->err) {
		link->connect_err = req->err;
		return req->err;
	}
	bad = req->resp_len == sizeof(link->hello_resp) ?
	      rio_hello_decode(&link->hello_resp, &info) : RIO_BAD_LENGTH;
	/* Parking longer than asked would run into our request timeout. */
	if (!bad && info.wait_ms > link->hello_wait_ms)
		bad = RIO_BAD_ARG;
	/* Room is only reported to a client granted the write credit. */
	if (!bad && link->room && !(info.caps & RIO_CAP_CREDIT))
		bad = RIO_BAD_ROOM;
	if (bad) {
		pr_warn_ratelimited("%s: invalid HELLO answer: %s\n",
				    link->dev->name, rio_bad_str(bad));
		link->connect_err = -EPROTO;
		return -EPROTO;
	}
	link->max_payload = min(info.max_payload, RIO_MAX_PAYLOAD);
	link->notify = info.caps & RIO_CAP_NOTIFY;
	/* Write-behind needs room for a waited-for request and cancels. */
	link->credit = (info.caps & RIO_CAP_CREDIT) &&
		       info.max_inflight >= TOASTER_MAX_BEHIND + 2;
	link->connect_err = 0;
	toaster_link_set_state(link, TOASTER_LINK_UP, 0);
	WRITE_ONCE(link->dev->state, TOASTER_CONNECTED);
	atomic64_inc(&link->dev->stats.connects);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_hello_done);

/* The real transport: a rio_conn. */
static int toaster_rio_send(struct toaster_link *link,
			    const struct rio_msg *msg, void *payload)
{
	return rio_conn_send(link->xpriv, msg, payload);
}

static void toaster_rio_abort(struct toaster_link *link, int err)
{
	rio_conn_abort(link->xpriv, err);
}

static const struct toaster_xport_ops toaster_rio_xport = {
	.send = toaster_rio_send,
	.abort = toaster_rio_abort,
};

static int toaster_conn_frame(struct rio_conn *conn, const struct rio_msg *msg,
			      void *payload)
{
	return toaster_link_frame(conn->priv, msg, payload);
}

static void toaster_conn_dead(struct rio_conn *conn, int err)
{
	toaster_link_dead(conn->priv, err);
}

static void *toaster_conn_rx_buf(struct rio_conn *conn,
				 const struct rio_msg *msg)
{
	return toaster_link_rx_buf(conn->priv, msg);
}

static const struct rio_conn_ops toaster_conn_ops = {
	.frame = toaster_conn_frame,
	.dead = toaster_conn_dead,
	.rx_buf = toaster_conn_rx_buf,
	.atomic_rx = true,
};

/**
 * toaster_connect() - start connecting a device's toaster, without waiting
 * @dev: device
 * @server: server address, port ignored: RIO_BASE_PORT + serial is used
 * @timeout_ms: bound of connect and HELLO together, and of every request
 * @wq: workqueue of the connection
 *
 * The socket is created in the network namespace of the calling process
 * (the opener), which the link holds until it is freed: a container or a
 * test in a namespace connects from where it runs. The connect and the
 * HELLO go on in the background; their failure is not an error here, it is
 * what the link's first call reports (toaster_link_wait_up()).
 *
 * Return: the link, or ERR_PTR(): -ENOMEM, or a local socket error (e.g.
 * -EAFNOSUPPORT).
 */
struct toaster_link *toaster_connect(struct toaster_dev *dev,
				     const struct sockaddr_storage *server,
				     unsigned int timeout_ms,
				     struct workqueue_struct *wq)
{
	struct sockaddr_storage addr = *server;
	struct toaster_link *link;
	struct rio_conn *conn;
	struct socket *sock;
	struct net *net;
	int len, ret;

	len = rio_addr_set_port(&addr, RIO_BASE_PORT + dev->serial);

	link = toaster_link_alloc(dev, timeout_ms);
	if (!link)
		return ERR_PTR(-ENOMEM);

	net = get_net(current->nsproxy->net_ns);
	ret = sock_create_kern(net, addr.ss_family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (ret)
		goto err_net;
	/*
	 * A lockdep class of its own, as nvme-tcp does. Under lockdep this
	 * pins toaster_rio until the socket is destroyed, shortly after
	 * release() (TCP's close: up to tcp_fin_timeout if the peer hangs).
	 */
	rio_sock_reclassify(sock);
	rio_sock_setup(sock);

	conn = rio_conn_create(sock, wq, RIO_DIR_RESPONSE, &toaster_conn_ops,
			       link, RIO_MAX_PAYLOAD);
	if (IS_ERR(conn)) {
		ret = PTR_ERR(conn);
		goto err_net;
	}
	snprintf(conn->name, sizeof(conn->name), KBUILD_MODNAME ": %s",
		 dev->name);
	link->xops = &toaster_rio_xport;
	link->xpriv = conn;
	link->net = net;

	/* An immediate failure has already failed the link: reported later. */
	rio_conn_connect(conn, &addr, len);
	ret = toaster_link_hello_start(link, timeout_ms / 2);
	if (ret && ret != -ENOTCONN)
		link->xops->abort(link, ret);
	queue_delayed_work(wq, &link->connect_work, link->timeout);
	return link;

err_net:
	put_net(net);
	toaster_link_free(link);
	return ERR_PTR(ret);
}

/**
 * toaster_disconnect() - say BYE, close the connection, free the link
 * @link: link from toaster_connect(), with no request in flight
 */
void toaster_disconnect(struct toaster_link *link)
{
	struct rio_msg bye = { .opcode = RIO_OP_BYE };

	cancel_delayed_work_sync(&link->connect_work);
	/* The server closes after BYE: not worth a log line. */
	spin_lock_bh(&link->lock);
	if (link->state != TOASTER_LINK_DEAD)
		toaster_link_set_state(link, TOASTER_LINK_CLOSING, 0);
	spin_unlock_bh(&link->lock);
	link->xops->send(link, &bye, NULL);	/* -ENOTCONN if dead: fine */
	rio_conn_close(link->xpriv);
	put_net(link->net);
	toaster_link_free(link);
}
