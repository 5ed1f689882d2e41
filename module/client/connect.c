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
		.keepalive_ms = jiffies_to_msecs(link->keepalive),
	};
	struct toaster_req *req = &link->hello;
	struct rio_hello *h;
	bool resume;

	h = rio_buf_alloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	spin_lock_bh(&link->lock);
	resume = link->state == TOASTER_LINK_RESUMING;
	/* The session asked for (the device's id) or the one resumed. */
	if (link->resume_ms)
		memcpy(info.session, link->session, RIO_SESSION_LEN);
	spin_unlock_bh(&link->lock);
	if (link->resume_ms) {
		info.caps |= RIO_CAP_SESSION;
		info.resume_ms = min(jiffies_to_msecs(link->resume_ms),
				     RIO_MAX_RESUME_MS);
	}
	rio_hello_encode(h, &info);

	memset(req, 0, sizeof(*req));
	req->msg.opcode = RIO_OP_HELLO;
	req->msg.flags = resume ? RIO_F_RESUME : 0;
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
	if (link->state == TOASTER_LINK_RESUMING)
		return toaster_link_resumed(link);
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
	/* A session granted has an id; one not asked for is not granted. */
	if (!bad && (info.caps & RIO_CAP_SESSION) &&
	    (rio_session_none(info.session) || !link->resume_ms))
		bad = RIO_BAD_ARG;
	if (bad) {
		pr_warn_ratelimited("%s: invalid HELLO answer: %s\n",
				    link->dev->name, rio_bad_str(bad));
		link->connect_err = -EPROTO;
		return -EPROTO;
	}
	link->max_payload = min(info.max_payload, RIO_MAX_PAYLOAD);
	link->max_inflight = info.max_inflight;
	link->notify = info.caps & RIO_CAP_NOTIFY;
	/* Write-behind needs room for a waited-for request and cancels. */
	link->credit = (info.caps & RIO_CAP_CREDIT) &&
		       info.max_inflight >= TOASTER_MAX_BEHIND + 2;
	memcpy(link->session, info.session, RIO_SESSION_LEN);
	link->connect_err = 0;
	toaster_link_set_state(link, TOASTER_LINK_UP, 0);
	WRITE_ONCE(link->dev->state, TOASTER_CONNECTED);
	atomic64_inc(&link->dev->stats.connects);
	toaster_link_keepalive_start(link);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_hello_done);

/*
 * The real transport: a rio_conn, replaced by a resume (under the link's
 * lock); a sender holds a reference on the one it uses, which stays safe
 * to call once closed.
 */
static struct rio_conn *toaster_rio_conn(struct toaster_link *link)
{
	struct rio_conn *conn;

	spin_lock_bh(&link->lock);
	conn = rio_conn_get(link->xpriv);
	spin_unlock_bh(&link->lock);
	return conn;
}

static int toaster_rio_send(struct toaster_link *link,
			    const struct rio_msg *msg, void *payload)
{
	struct rio_conn *conn = toaster_rio_conn(link);
	int ret;

	ret = rio_conn_send(conn, msg, payload);
	rio_conn_put(conn);
	return ret;
}

static void toaster_rio_abort(struct toaster_link *link, int err)
{
	struct rio_conn *conn = toaster_rio_conn(link);

	rio_conn_abort(conn, err);
	rio_conn_put(conn);
}

static int toaster_rio_reconnect(struct toaster_link *link);

static const struct toaster_xport_ops toaster_rio_xport = {
	.send = toaster_rio_send,
	.abort = toaster_rio_abort,
	.reconnect = toaster_rio_reconnect,
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

/* A connection of @link to its server, in the opener's namespace. */
static struct rio_conn *toaster_conn_new(struct toaster_link *link)
{
	struct rio_conn *conn;
	struct socket *sock;
	int ret;

	ret = sock_create_kern(link->net, link->addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret)
		return ERR_PTR(ret);
	/*
	 * A lockdep class of its own, as nvme-tcp does. Under lockdep this
	 * pins toaster_rio until the socket is destroyed, shortly after
	 * release() (TCP's close: up to tcp_fin_timeout if the peer hangs).
	 */
	rio_sock_reclassify(sock);
	rio_sock_setup(sock);

	conn = rio_conn_create(sock, link->wq_work, RIO_DIR_RESPONSE,
			       &toaster_conn_ops, link, RIO_MAX_PAYLOAD);
	if (IS_ERR(conn))
		return conn;
	/* Every connection of the link, resumes too: a handshake each. */
	if (link->psk) {
		ret = rio_conn_set_psk(conn, link->psk);
		if (ret) {
			rio_conn_put(conn);	/* never started */
			return ERR_PTR(ret);
		}
	}
	snprintf(conn->name, sizeof(conn->name), KBUILD_MODNAME ": %s",
		 link->dev->name);
	return conn;
}

/*
 * For a resume: the dead connection goes, a new one starts connecting.
 * The old one is closed before the new one connects, so that nothing it
 * still held arrives after what the new one brings.
 */
static int toaster_rio_reconnect(struct toaster_link *link)
{
	struct rio_conn *conn, *old;

	conn = toaster_conn_new(link);
	if (IS_ERR(conn))
		return PTR_ERR(conn);
	spin_lock_bh(&link->lock);
	old = link->xpriv;
	link->xpriv = conn;
	spin_unlock_bh(&link->lock);
	rio_conn_close(old);
	rio_conn_connect(conn, &link->addr, link->addrlen);
	return 0;
}

/**
 * toaster_connect() - start connecting a device's toaster, without waiting
 * @dev: device
 * @server: server address, port ignored: RIO_BASE_PORT + serial is used
 * @params: timeout_ms (bound of connect and HELLO together, and of every
 *	request), resume_ms and keepalive_ms
 * @wq: workqueue of the connection, its resume and its keepalive
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
				     const struct toaster_link_params *params,
				     struct workqueue_struct *wq)
{
	struct toaster_link *link;
	struct rio_conn *conn;
	int ret;

	link = toaster_link_alloc(dev, params->timeout_ms);
	if (!link)
		return ERR_PTR(-ENOMEM);
	toaster_link_resume_init(link, wq, params->resume_ms,
				 params->keepalive_ms);
	link->addr = *server;
	link->psk = params->psk;
	link->addrlen = rio_addr_set_port(&link->addr,
					  RIO_BASE_PORT + dev->serial);
	/*
	 * The session asked for: the device's id, so that it replaces the
	 * device's previous session if the server still keeps it.
	 */
	memcpy(link->session, dev->session_id, RIO_SESSION_LEN);

	link->net = get_net(current->nsproxy->net_ns);
	conn = toaster_conn_new(link);
	if (IS_ERR(conn)) {
		ret = PTR_ERR(conn);
		put_net(link->net);
		toaster_link_free(link);
		return ERR_PTR(ret);
	}
	link->xops = &toaster_rio_xport;
	link->xpriv = conn;

	/* An immediate failure has already failed the link: reported later. */
	rio_conn_connect(conn, &link->addr, link->addrlen);
	ret = toaster_link_hello_start(link, params->timeout_ms / 2);
	if (ret && ret != -ENOTCONN)
		link->xops->abort(link, ret);
	queue_delayed_work(wq, &link->connect_work, link->timeout);
	return link;
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
	/* Neither starts anything once closing; wait for a running one. */
	toaster_link_resume_stop(link);
	/*
	 * BYE ends the session on the server. If it cannot go out (the
	 * connection is dead), the next open's session replaces it.
	 */
	link->xops->send(link, &bye, NULL);	/* -ENOTCONN if dead: fine */
	rio_conn_close(link->xpriv);
	put_net(link->net);
	toaster_link_free(link);
}
