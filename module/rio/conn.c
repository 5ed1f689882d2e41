// SPDX-License-Identifier: GPL-2.0
/*
 * RIO connection: socket callbacks, receive state machine, single sender.
 *
 * Contexts: the socket callbacks run in softirq context and only queue
 * work. rx_work reads frames with MSG_DONTWAIT, header then exactly its
 * payload, resuming where it stopped, at most RIO_RX_BUDGET reads per run.
 * Frames are sent inline by rio_conn_send() under tx_mutex (no wakeup on
 * the hot path); when the socket is full the rest waits for write space and
 * tx_work.
 *
 * Teardown (rio_conn_close): shutdown -> restore callbacks and clear
 * sk_user_data -> cancel_work_sync -> drop queued frames -> sock_release.
 */
/* Log lines name the connection's owner (rio_conn.name), not this library. */
#define pr_fmt(fmt) fmt

#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "conn.h"
#include "trace.h"

#define RIO_RX_BUDGET	64	/* socket reads per rx_work run */
static size_t rio_tx_size(const struct rio_tx *tx)
{
	return sizeof(*tx) + tx->len;
}

static void rio_tx_free(struct rio_tx *tx)
{
	kvfree(tx->payload);
	kfree(tx);
}

/* A frame left: account for it, and resume a throttled receiver. */
static void rio_conn_tx_done(struct rio_conn *conn, struct rio_tx *tx)
{
	bool resume = false;

	spin_lock(&conn->lock);
	conn->tx_bytes -= rio_tx_size(tx);
	if (conn->rx_throttled && conn->tx_bytes <= RIO_TX_LOW) {
		conn->rx_throttled = false;
		resume = true;
	}
	spin_unlock(&conn->lock);
	rio_tx_free(tx);
	if (resume)
		queue_work(conn->wq, &conn->rx_work);
}

/* Called by rx_work: stop reading while too much waits to be sent. */
static bool rio_conn_rx_throttle(struct rio_conn *conn)
{
	bool stop;

	spin_lock(&conn->lock);
	stop = conn->tx_bytes > RIO_TX_HIGH;
	if (stop)
		conn->rx_throttled = true;
	spin_unlock(&conn->lock);
	return stop;
}

/* Caller holds tx_mutex: close waits for it before releasing the socket. */
static void __rio_conn_abort(struct rio_conn *conn, int err)
{
	lockdep_assert_held(&conn->tx_mutex);
	spin_lock(&conn->lock);
	if (conn->dead) {
		spin_unlock(&conn->lock);
		return;
	}
	WRITE_ONCE(conn->dead, true);
	conn->err = err;
	spin_unlock(&conn->lock);

	trace_rio_conn_dead(conn, err);

	kernel_sock_shutdown(conn->sock, SHUT_RDWR);
	conn->ops->dead(conn, err);
}

/**
 * rio_conn_abort() - fail a connection
 * @conn: connection
 * @err: negative errno reported to the owner's dead() callback
 *
 * Shuts the socket down and tells the owner, once; later calls do nothing.
 * Process context, not with this connection's tx_mutex held. From the
 * connection's own frame() callback, prefer returning an error.
 */
void rio_conn_abort(struct rio_conn *conn, int err)
{
	mutex_lock(&conn->tx_mutex);
	__rio_conn_abort(conn, err);
	mutex_unlock(&conn->tx_mutex);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_abort, TOASTER_RIO);

/**
 * rio_conn_is_dead() - has the connection failed or been closed?
 * @conn: connection
 *
 * Return: true once the connection can no longer carry frames.
 */
bool rio_conn_is_dead(struct rio_conn *conn)
{
	return READ_ONCE(conn->dead);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_is_dead, TOASTER_RIO);

/* Send queued frames until done or the socket is full. */
static int rio_conn_tx_flush(struct rio_conn *conn)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec iov[2];

	lockdep_assert_held(&conn->tx_mutex);

	for (;;) {
		struct rio_tx *tx = conn->tx_cur;
		size_t off, total = 0;
		int i, n = 0, ret;

		if (!tx) {
			spin_lock(&conn->lock);
			tx = list_first_entry_or_null(&conn->tx_list,
						      struct rio_tx, node);
			if (tx)
				list_del(&tx->node);
			spin_unlock(&conn->lock);
			if (!tx)
				return 0;
			conn->tx_cur = tx;
			conn->tx_off = 0;
		}

		/* Header and payload go out as one kvec array, no copy. */
		off = conn->tx_off;
		if (off < sizeof(tx->hdr)) {
			iov[n].iov_base = (u8 *)&tx->hdr + off;
			iov[n++].iov_len = sizeof(tx->hdr) - off;
			off = 0;
		} else {
			off -= sizeof(tx->hdr);
		}
		if (tx->len) {
			iov[n].iov_base = (u8 *)tx->payload + off;
			iov[n++].iov_len = tx->len - off;
		}
		for (i = 0; i < n; i++)
			total += iov[i].iov_len;

		ret = kernel_sendmsg(conn->sock, &msg, iov, n, total);
		if (ret == -EAGAIN)
			return 0;	/* sk_write_space requeues tx_work */
		if (ret <= 0)
			return ret ? ret : -EPIPE;

		conn->tx_off += ret;
		if (ret == total) {
			conn->tx_cur = NULL;
			rio_conn_tx_done(conn, tx);
		}
	}
}

/**
 * rio_conn_send() - send one frame
 * @conn: connection
 * @msg: header fields (magic and version are filled in)
 * @payload: @msg->length bytes from kvmalloc(), or NULL; ownership passes
 *	to the connection in every case
 *
 * Frames go out in the order of the calls. The frame is sent inline when
 * the socket has room; what does not fit is sent by tx_work when it has.
 * Process context; not under spinlocks.
 *
 * Return: 0 when queued or sent, -ENOTCONN if the connection is dead,
 * -ENOMEM, or the send error that just killed the connection.
 */
int rio_conn_send(struct rio_conn *conn, const struct rio_msg *msg,
		  void *payload)
{
	struct rio_tx *tx;
	int ret;

	tx = kmalloc(sizeof(*tx), GFP_KERNEL);
	if (!tx) {
		/* A stream that lost a frame is broken: fail it. */
		kvfree(payload);
		rio_conn_abort(conn, -ENOMEM);
		return -ENOMEM;
	}
	rio_encode(&tx->hdr, msg);
	tx->payload = payload;
	tx->len = msg->length;

	mutex_lock(&conn->tx_mutex);
	spin_lock(&conn->lock);
	if (conn->dead) {
		spin_unlock(&conn->lock);
		mutex_unlock(&conn->tx_mutex);
		rio_tx_free(tx);
		return -ENOTCONN;
	}
	list_add_tail(&tx->node, &conn->tx_list);
	conn->tx_bytes += rio_tx_size(tx);
	spin_unlock(&conn->lock);
	trace_rio_frame_send(conn, msg);

	ret = rio_conn_tx_flush(conn);
	if (ret < 0)
		__rio_conn_abort(conn, ret);
	mutex_unlock(&conn->tx_mutex);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(rio_conn_send, TOASTER_RIO);

static void rio_conn_tx_work(struct work_struct *work)
{
	struct rio_conn *conn = container_of(work, struct rio_conn, tx_work);
	int ret;

	mutex_lock(&conn->tx_mutex);
	if (!rio_conn_is_dead(conn)) {
		ret = rio_conn_tx_flush(conn);
		if (ret < 0)
			__rio_conn_abort(conn, ret);
	}
	mutex_unlock(&conn->tx_mutex);
}

static int rio_conn_recv(struct rio_conn *conn, void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int ret;

	ret = kernel_recvmsg(conn->sock, &msg, &iov, 1, len, msg.msg_flags);
	if (ret == 0) {
		/* A refused connect can read as EOF: report the refusal. */
		ret = sock_error(conn->sock->sk);
		return ret ? ret : -ECONNRESET;	/* orderly close by the peer */
	}
	return ret;
}

/*
 * One step of the receive state machine: read what is missing of the
 * current header or payload. Return: 1 progress, 0 would block, <0 error.
 */
static int rio_conn_rx_step(struct rio_conn *conn)
{
	struct rio_msg *m = &conn->rx_msg;
	int ret, bad;

	if (!conn->rx_payload) {
		ret = rio_conn_recv(conn, (u8 *)&conn->rx_hdr + conn->rx_off,
				    sizeof(conn->rx_hdr) - conn->rx_off);
		if (ret < 0)
			return ret == -EAGAIN ? 0 : ret;
		conn->rx_off += ret;
		if (conn->rx_off < sizeof(conn->rx_hdr))
			return 1;

		conn->rx_off = 0;
		bad = rio_decode(&conn->rx_hdr, conn->rx_dir, m);
		if (bad) {
			pr_warn_ratelimited("%s: peer %s: %s (opcode %u flags %#x tag %u length %u), closing\n",
					    conn->name, conn->peer, rio_bad_str(bad),
					    m->opcode, m->flags, m->tag,
					    m->length);
			return -EPROTO;
		}
		if (m->length > conn->rx_max) {
			pr_warn_ratelimited("%s: peer %s: %s with %u payload bytes, %u allowed now, closing\n",
					    conn->name, conn->peer,
					    rio_op_str(m->opcode),
					    m->length, conn->rx_max);
			return -EMSGSIZE;
		}
		if (m->length) {
			conn->rx_payload = true;
			return 1;
		}
	} else {
		ret = rio_conn_recv(conn, conn->rx_buf + conn->rx_off,
				    m->length - conn->rx_off);
		if (ret < 0)
			return ret == -EAGAIN ? 0 : ret;
		conn->rx_off += ret;
		if (conn->rx_off < m->length)
			return 1;
		conn->rx_off = 0;
		conn->rx_payload = false;
	}

	trace_rio_frame_recv(conn, m);
	ret = conn->ops->frame(conn, m, conn->rx_buf);
	return ret < 0 ? ret : 1;
}

static void rio_conn_rx_work(struct work_struct *work)
{
	struct rio_conn *conn = container_of(work, struct rio_conn, rx_work);
	int i, ret = 0;

	for (i = 0; i < RIO_RX_BUDGET; i++) {
		if (rio_conn_is_dead(conn) || rio_conn_rx_throttle(conn))
			return;
		ret = rio_conn_rx_step(conn);
		if (ret <= 0)
			break;
	}
	if (ret < 0)
		rio_conn_abort(conn, ret);
	else if (ret > 0)
		queue_work(conn->wq, &conn->rx_work);	/* budget spent */
}

static void rio_conn_data_ready(struct sock *sk)
{
	struct rio_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn)
		queue_work(conn->wq, &conn->rx_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void rio_conn_write_space(struct sock *sk)
{
	struct rio_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		queue_work(conn->wq, &conn->tx_work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void rio_conn_state_change(struct sock *sk)
{
	void (*state_change)(struct sock *sk) = NULL;
	struct rio_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn) {
		/*
		 * rx_work sees the FIN, the reset or a failed connect and tells
		 * the owner; tx_work sends what was queued while connecting.
		 */
		queue_work(conn->wq, &conn->rx_work);
		if (sk->sk_state == TCP_ESTABLISHED)
			queue_work(conn->wq, &conn->tx_work);
		state_change = conn->saved_state_change;
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (state_change)
		state_change(sk);
}

/**
 * rio_conn_create() - wrap a TCP socket
 * @sock: an accepted socket, or a fresh one for rio_conn_connect(), already
 *	passed through rio_sock_setup(); owned by the connection from now on,
 *	also on failure
 * @wq: workqueue for the connection's work
 * @rx_dir: RIO_DIR_REQUEST on the server, RIO_DIR_RESPONSE on the client
 * @ops: owner's callbacks
 * @priv: owner's data, in rio_conn.priv
 * @rx_max: largest payload to accept, at most RIO_MAX_PAYLOAD: a server
 *	accepts only a HELLO until it has said HELLO (rio_conn_set_rx_max())
 *
 * The connection does nothing until rio_conn_start() or
 * rio_conn_connect(). The caller holds the one reference, dropped by
 * rio_conn_close().
 *
 * Return: the connection or an ERR_PTR().
 */
struct rio_conn *rio_conn_create(struct socket *sock,
				 struct workqueue_struct *wq,
				 enum rio_dir rx_dir,
				 const struct rio_conn_ops *ops, void *priv,
				 u32 rx_max)
{
	struct sockaddr_storage addr;
	struct rio_conn *conn;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		goto err_sock;
	conn->rx_buf = conn->rx_small;
	conn->rx_max = RIO_RX_SMALL;
	if (rio_conn_set_rx_max(conn, rx_max))
		goto err_conn;

	kref_init(&conn->ref);
	conn->sock = sock;
	conn->wq = wq;
	conn->ops = ops;
	conn->priv = priv;
	conn->rx_dir = rx_dir;
	strscpy(conn->name, KBUILD_MODNAME, sizeof(conn->name));
	INIT_WORK(&conn->rx_work, rio_conn_rx_work);
	INIT_WORK(&conn->tx_work, rio_conn_tx_work);
	mutex_init(&conn->tx_mutex);
	spin_lock_init(&conn->lock);
	INIT_LIST_HEAD(&conn->tx_list);

	if (kernel_getpeername(sock, (struct sockaddr *)&addr) > 0)
		snprintf(conn->peer, sizeof(conn->peer), "%pISpc", &addr);
	else
		strscpy(conn->peer, "?", sizeof(conn->peer));
	return conn;

err_conn:
	kfree(conn);
err_sock:
	sock_release(sock);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_create, TOASTER_RIO);

/* Install the socket callbacks; they may fire from now on. */
static void rio_conn_install(struct rio_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = conn;
	conn->saved_data_ready = sk->sk_data_ready;
	conn->saved_state_change = sk->sk_state_change;
	conn->saved_write_space = sk->sk_write_space;
	sk->sk_data_ready = rio_conn_data_ready;
	sk->sk_state_change = rio_conn_state_change;
	sk->sk_write_space = rio_conn_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
}

/**
 * rio_conn_start() - install the socket callbacks and start receiving
 * @conn: connection from rio_conn_create() on a connected socket
 *
 * The socket's current callbacks are saved and restored at close.
 */
void rio_conn_start(struct rio_conn *conn)
{
	trace_rio_conn_start(conn, 0);
	rio_conn_install(conn);
	/* Bytes that arrived before the callbacks were installed. */
	queue_work(conn->wq, &conn->rx_work);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_start, TOASTER_RIO);

/**
 * rio_conn_connect() - start a connection and connect it, without waiting
 * @conn: connection from rio_conn_create() on a fresh, unconnected socket
 * @addr: peer address, port set
 * @addrlen: its length, as rio_addr_set_port() returned it
 *
 * Installs the callbacks and starts a non-blocking connect: nothing here
 * waits for the peer. Frames sent before the
 * connection is established wait in the queue and go out when it is; a
 * refused or failed connect aborts the connection with that error (the
 * owner's dead() runs, possibly before this returns).
 *
 * Return: 0 when connected or connecting; an immediate error, which has
 * aborted the connection.
 */
int rio_conn_connect(struct rio_conn *conn, struct sockaddr_storage *addr,
		     int addrlen)
{
	int ret;

	snprintf(conn->peer, sizeof(conn->peer), "%pISpc", addr);
	/*
	 * Callbacks first, so that no state change is missed; but no
	 * receive before connect(): an unconnected socket reads -ENOTCONN.
	 */
	rio_conn_install(conn);
	ret = kernel_connect(conn->sock, (struct sockaddr *)addr, addrlen,
			     O_NONBLOCK);
	trace_rio_conn_start(conn, ret);
	if (ret && ret != -EINPROGRESS) {
		rio_conn_abort(conn, ret);
		return ret;
	}
	queue_work(conn->wq, &conn->rx_work);
	if (!ret)
		queue_work(conn->wq, &conn->tx_work);	/* connected at once */
	return 0;
}
EXPORT_SYMBOL_NS_GPL(rio_conn_connect, TOASTER_RIO);

/**
 * rio_conn_set_rx_max() - change the largest payload accepted
 * @conn: connection
 * @rx_max: new limit, at most RIO_MAX_PAYLOAD
 *
 * Before the connection is started, or from its own frame() callback (the
 * receive state machine is then between frames).
 *
 * Return: 0 or -ENOMEM (the limit is unchanged).
 */
int rio_conn_set_rx_max(struct rio_conn *conn, u32 rx_max)
{
	u8 *buf = conn->rx_small;

	rx_max = min(rx_max, RIO_MAX_PAYLOAD);
	if (rx_max == conn->rx_max)
		return 0;
	if (rx_max > RIO_RX_SMALL) {
		buf = kvmalloc(rx_max, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	if (conn->rx_buf != conn->rx_small)
		kvfree(conn->rx_buf);
	conn->rx_buf = buf;
	conn->rx_max = rx_max;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(rio_conn_set_rx_max, TOASTER_RIO);

static void rio_conn_release(struct kref *ref)
{
	struct rio_conn *conn = container_of(ref, struct rio_conn, ref);

	if (conn->sock)		/* never started */
		sock_release(conn->sock);
	if (conn->rx_buf != conn->rx_small)
		kvfree(conn->rx_buf);
	kfree(conn);
}

/**
 * rio_conn_put() - drop a reference
 * @conn: connection
 */
void rio_conn_put(struct rio_conn *conn)
{
	kref_put(&conn->ref, rio_conn_release);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_put, TOASTER_RIO);

/**
 * rio_conn_close() - tear a connection down and drop the owner's reference
 * @conn: connection, started or not
 *
 * Order: shutdown (peer sees FIN, owner's dead() runs if it has not yet)
 * -> restore the socket callbacks and clear sk_user_data -> wait for the
 * connection's work -> drop unsent frames -> release the socket.
 * Process context; not from the connection's own frame() callback.
 */
void rio_conn_close(struct rio_conn *conn)
{
	struct sock *sk = conn->sock->sk;
	struct rio_tx *tx, *next;
	struct socket *sock;

	rio_conn_abort(conn, -ESHUTDOWN);

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == conn) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = conn->saved_data_ready;
		sk->sk_state_change = conn->saved_state_change;
		sk->sk_write_space = conn->saved_write_space;
	}
	write_unlock_bh(&sk->sk_callback_lock);

	cancel_work_sync(&conn->rx_work);
	cancel_work_sync(&conn->tx_work);

	mutex_lock(&conn->tx_mutex);
	if (conn->tx_cur) {
		rio_tx_free(conn->tx_cur);
		conn->tx_cur = NULL;
	}
	list_for_each_entry_safe(tx, next, &conn->tx_list, node) {
		list_del(&tx->node);
		rio_tx_free(tx);
	}
	sock = conn->sock;
	conn->sock = NULL;
	mutex_unlock(&conn->tx_mutex);

	sock_release(sock);
	rio_conn_put(conn);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_close, TOASTER_RIO);
