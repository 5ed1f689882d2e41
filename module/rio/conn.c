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
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "rio_conn.h"

#define RIO_RX_BUDGET	64	/* socket reads per rx_work run */
/*
 * Backpressure: while more than RIO_TX_HIGH bytes wait to be sent, rx_work
 * stops reading requests (the peer's sends then block in TCP); sending
 * resumes it below RIO_TX_LOW. A peer that does not read its answers
 * cannot make us queue them without bound.
 */
#define RIO_TX_HIGH	(512 * 1024)
#define RIO_TX_LOW	(128 * 1024)

/**
 * struct rio_tx - a frame waiting to be sent
 * @node: in rio_conn.tx_list
 * @hdr: encoded header
 * @payload: @len bytes, kvfree()d once sent or dropped
 * @len: payload length
 */
struct rio_tx {
	struct list_head node;
	struct rio_hdr hdr;
	void *payload;
	size_t len;
};

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

/**
 * rio_sock_reclassify() - give a kernel socket its own lockdep class
 * @sock: socket not yet in use by anybody else
 *
 * As nvme-tcp does, so lockdep tells RIO's kernel sockets from user
 * sockets. With lockdep, the kernel (6.12.y, and 6.1.y since the same
 * stable fix) makes such a socket hold a reference on this module until it
 * is destroyed: only for sockets whose lifetime is bounded by something
 * other than module exit (the client's, bounded by open files). The
 * server's listeners and connections live until module exit, so the server
 * must not use it, or rmmod would be refused.
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

	ret = rio_conn_tx_flush(conn);
	if (ret < 0)
		__rio_conn_abort(conn, ret);
	mutex_unlock(&conn->tx_mutex);
	return ret;
}

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
	if (ret == 0)
		return -ECONNRESET;	/* orderly close by the peer */
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
			pr_warn_ratelimited("peer %s: %s (opcode %u flags %#x tag %u length %u), closing\n",
					    conn->peer, rio_bad_str(bad),
					    m->opcode, m->flags, m->tag,
					    m->length);
			return -EPROTO;
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
		/* rx_work sees the FIN or the reset and tells the owner. */
		queue_work(conn->wq, &conn->rx_work);
		state_change = conn->saved_state_change;
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (state_change)
		state_change(sk);
}

/**
 * rio_conn_create() - wrap a connected TCP socket
 * @sock: connected socket, already passed through rio_sock_setup(); owned
 *	by the connection from now on, also on failure
 * @wq: workqueue for the connection's work
 * @rx_dir: RIO_DIR_REQUEST on the server, RIO_DIR_RESPONSE on the client
 * @ops: owner's callbacks
 * @priv: owner's data, in rio_conn.priv
 *
 * The connection does nothing until rio_conn_start(). The caller holds the
 * one reference, dropped by rio_conn_close().
 *
 * Return: the connection or an ERR_PTR().
 */
struct rio_conn *rio_conn_create(struct socket *sock,
				 struct workqueue_struct *wq,
				 enum rio_dir rx_dir,
				 const struct rio_conn_ops *ops, void *priv)
{
	struct sockaddr_storage addr;
	struct rio_conn *conn;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		goto err_sock;
	conn->rx_buf = kvmalloc(RIO_MAX_PAYLOAD, GFP_KERNEL);
	if (!conn->rx_buf)
		goto err_conn;

	kref_init(&conn->ref);
	conn->sock = sock;
	conn->wq = wq;
	conn->ops = ops;
	conn->priv = priv;
	conn->rx_dir = rx_dir;
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

/**
 * rio_conn_start() - install the socket callbacks and start receiving
 * @conn: connection from rio_conn_create()
 *
 * The socket's current callbacks are saved and restored at close.
 */
void rio_conn_start(struct rio_conn *conn)
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

	/* Bytes that arrived before the callbacks were installed. */
	queue_work(conn->wq, &conn->rx_work);
}

static void rio_conn_release(struct kref *ref)
{
	struct rio_conn *conn = container_of(ref, struct rio_conn, ref);

	if (conn->sock)		/* never started */
		sock_release(conn->sock);
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
