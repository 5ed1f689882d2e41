// SPDX-License-Identifier: GPL-2.0
/*
 * RIO connection: socket callbacks, receive state machine, single sender.
 *
 * Contexts: the socket callbacks run in softirq context. For a server they
 * only queue work: rx_work reads frames with MSG_DONTWAIT, header then
 * exactly its payload, resuming where it stopped, at most RIO_RX_BUDGET
 * reads per run. A client's frames are parsed where they arrive, in
 * sk_data_ready, with tcp_read_sock() (rio_conn_ops.atomic_rx): the answer
 * wakes its waiter with no workqueue in between.
 * Frames are sent inline by rio_conn_send() under tx_mutex (no wakeup on
 * the hot path); when the socket is full the rest waits for write space and
 * tx_work. A large payload is lent to TCP by reference to its pages, not
 * copied (rio_conn_tx_pages()); buf.c recycles it only once TCP let go.
 *
 * Secure mode (rio_conn_set_psk()): the PSK handshake runs here, before
 * the owner sees or sends a frame: its AUTH frames go out in clear ahead
 * of everything (rio_conn.ctl); the owner's frames wait in the queue until
 * the keys are there, then each is sealed into a record as it is taken
 * from the queue, so records leave in the order of their counters. The
 * handshake is received in rx_work even for an atomic_rx owner (answering
 * a step sends, which softirq cannot); after it, records are opened where
 * plain frames are parsed, and a record that fails its tag ends the
 * connection before any of it is used.
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

#define RIO_RX_BUDGET	64	/* socket reads (frames, atomic_rx) per run */
static size_t rio_tx_size(const struct rio_tx *tx)
{
	return sizeof(*tx) + tx->len;
}

static void rio_tx_free(struct rio_conn *conn, struct rio_tx *tx)
{
	rio_buf_put(tx->payload);
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
	rio_tx_free(conn, tx);
	if (resume)
		queue_work(conn->wq, &conn->rx_work);
}

/*
 * Called by rx_work: stop reading requests while too much waits to be
 * sent. Only a server throttles: what a client sends are its own
 * requests, and if it stopped reading answers while its requests wait,
 * both peers could end up waiting for each other.
 */
static bool rio_conn_rx_throttle(struct rio_conn *conn)
{
	bool stop;

	if (conn->rx_dir == RIO_DIR_RESPONSE)
		return false;

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

/* Secure mode, handshake over: what arrives are records. */
static bool rio_conn_rx_records(struct rio_conn *conn)
{
	return conn->sec && conn->sec->rx_ready;
}

/* Does the secure sender have keys? A plain one always can send. */
static bool rio_conn_tx_ready(struct rio_conn *conn)
{
	return !conn->sec || conn->sec->tx_ready;
}

/*
 * What a send that took nothing means: a full socket (-EAGAIN: 0, and
 * sk_write_space requeues tx_work), a peer gone (0 bytes: -EPIPE), or its
 * error.
 */
static int rio_conn_send_stalled(int ret)
{
	if (ret == -EAGAIN)
		return 0;
	return ret ? ret : -EPIPE;
}

/*
 * Send the bytes of @buf from *@off up to @len, as far as the socket takes
 * them, advancing *@off. Return: 1 when all of it is out, 0 when the
 * socket is full, or an error.
 */
static int rio_conn_send_buf(struct rio_conn *conn, const void *buf,
			     size_t len, size_t *off, int flags)
{
	int ret;

	while (*off < len) {
		struct kvec iov = {
			.iov_base = (u8 *)buf + *off,
			.iov_len = len - *off,
		};
		struct msghdr msg = { .msg_flags = flags };

		ret = kernel_sendmsg(conn->sock, &msg, &iov, 1, iov.iov_len);
		if (ret <= 0)
			return rio_conn_send_stalled(ret);
		*off += ret;
	}
	return 1;
}

/*
 * Send the pending clear frame. Return: 0 when sent (or none), 1 when the
 * socket is full, or an error: the send's, or rio_conn.ctl_err once a
 * refusal is out.
 */
static int rio_conn_tx_ctl(struct rio_conn *conn)
{
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	int ret;

	/* The client's proof and its first records: one segment. */
	if (rio_conn_tx_ready(conn) && !list_empty(&conn->tx_list))
		flags |= MSG_MORE;
	ret = rio_conn_send_buf(conn, conn->ctl, conn->ctl_len,
				&conn->ctl_off, flags);
	if (ret <= 0)
		return ret ?: 1;
	conn->ctl_len = 0;
	conn->ctl_off = 0;
	return conn->ctl_err;
}

/*
 * Secure mode: seal @tx, just taken from the queue, into rio_conn.tx_rec;
 * the payload is no longer needed. The buffer grows to the largest frame
 * sent (a server's before HELLO holds only a refusal-sized answer).
 */
static int rio_conn_tx_seal(struct rio_conn *conn, struct rio_tx *tx)
{
	size_t len = sizeof(tx->hdr) + tx->len;
	size_t need = len + RIO_REC_OVERHEAD;
	int ret;

	if (need > conn->tx_rec_cap) {
		u8 *rec = kvmalloc(need, GFP_KERNEL);

		if (!rec)
			return -ENOMEM;
		kvfree_sensitive(conn->tx_rec, conn->tx_rec_cap);
		conn->tx_rec = rec;
		conn->tx_rec_cap = need;
	}
	memcpy(conn->tx_rec + RIO_REC_PREFIX, &tx->hdr, sizeof(tx->hdr));
	if (tx->len)
		memcpy(conn->tx_rec + RIO_REC_PREFIX + sizeof(tx->hdr),
		       tx->payload, tx->len);
	ret = rio_rec_seal(conn->sec, conn->tx_rec, len);
	if (ret)
		return ret;
	rio_buf_put(tx->payload);
	tx->payload = NULL;
	tx->sealed = true;
	conn->tx_rec_len = need;
	return 0;
}

/*
 * Send the rest of plain frame @tx from rio_conn.tx_off, header and
 * payload as one kvec array: both are copied into the socket once.
 * Return: 1 when all of it is out, 0 when the socket is full, or an error.
 */
static int rio_conn_tx_copy(struct rio_conn *conn, struct rio_tx *tx,
			    int flags)
{
	struct msghdr msg = {};
	struct kvec iov[2];
	size_t off, total;
	int n, ret;

	do {
		off = conn->tx_off;
		n = 0;
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
		total = iov[0].iov_len + (n > 1 ? iov[1].iov_len : 0);

		msg.msg_flags = flags;
		ret = kernel_sendmsg(conn->sock, &msg, iov, n, total);
		if (ret <= 0)
			return rio_conn_send_stalled(ret);
		conn->tx_off += ret;
	} while ((size_t)ret < total);
	return 1;
}

/*
 * The same for a large plain frame: the header by copy, the payload by
 * reference to its pages (rio_sock_send_pages()). That spares TCP a copy
 * of it and the zeroed pages that copy would go into.
 */
static int rio_conn_tx_pages(struct rio_conn *conn, struct rio_tx *tx,
			     int flags)
{
	size_t off;
	int ret;

	ret = rio_conn_send_buf(conn, &tx->hdr, sizeof(tx->hdr),
				&conn->tx_off, flags | MSG_MORE);
	if (ret <= 0)
		return ret;
	while ((off = conn->tx_off - sizeof(tx->hdr)) < tx->len) {
		ret = rio_sock_send_pages(conn->sock, (u8 *)tx->payload + off,
					  tx->len - off, flags);
		if (ret <= 0)
			return rio_conn_send_stalled(ret);
		conn->tx_off += ret;
	}
	return 1;
}

/*
 * Send queued frames until done or the socket is full. A frame with more
 * queued behind it goes out with MSG_MORE, so that frames queued together
 * (a NOTIFY and the answer it precedes) leave in one segment.
 */
static int rio_conn_tx_flush(struct rio_conn *conn)
{
	int flags, ret;

	lockdep_assert_held(&conn->tx_mutex);

	if (conn->ctl_len) {
		ret = rio_conn_tx_ctl(conn);
		if (ret)
			return ret > 0 ? 0 : ret;
	}

	for (;;) {
		struct rio_tx *tx = conn->tx_cur;

		/* Secure: the owner's frames wait for the handshake. */
		if (!tx && !rio_conn_tx_ready(conn))
			return 0;
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
			if (conn->sec) {
				ret = rio_conn_tx_seal(conn, tx);
				if (ret)
					return ret;	/* close frees tx_cur */
			}
		}

		/* tx_list only changes under tx_mutex, which we hold. */
		flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		if (!list_empty(&conn->tx_list))
			flags |= MSG_MORE;
		if (tx->sealed)
			ret = rio_conn_send_buf(conn, conn->tx_rec,
						conn->tx_rec_len,
						&conn->tx_off, flags);
		else if (tx->len && rio_buf_by_ref(tx->payload))
			ret = rio_conn_tx_pages(conn, tx, flags);
		else
			ret = rio_conn_tx_copy(conn, tx, flags);
		if (ret <= 0)
			return ret;
		conn->tx_cur = NULL;
		rio_conn_tx_done(conn, tx);
	}
}

/* Queue a frame; send what is queued if @flush. */
static int __rio_conn_send(struct rio_conn *conn, const struct rio_msg *msg,
			   void *payload, bool flush)
{
	struct rio_tx *tx;
	int ret;

	tx = kmalloc(sizeof(*tx), GFP_KERNEL);
	if (!tx) {
		/* A stream that lost a frame is broken: fail it. */
		rio_buf_put(payload);
		rio_conn_abort(conn, -ENOMEM);
		return -ENOMEM;
	}
	rio_encode(&tx->hdr, msg);
	tx->payload = payload;
	tx->len = msg->length;
	tx->sealed = false;

	mutex_lock(&conn->tx_mutex);
	spin_lock(&conn->lock);
	if (conn->dead) {
		spin_unlock(&conn->lock);
		mutex_unlock(&conn->tx_mutex);
		rio_tx_free(conn, tx);
		return -ENOTCONN;
	}
	list_add_tail(&tx->node, &conn->tx_list);
	conn->tx_bytes += rio_tx_size(tx);
	spin_unlock(&conn->lock);
	trace_rio_frame_send(conn, msg);

	ret = flush ? rio_conn_tx_flush(conn) : 0;
	if (ret < 0)
		__rio_conn_abort(conn, ret);
	mutex_unlock(&conn->tx_mutex);
	return ret;
}

/**
 * rio_conn_send() - send one frame
 * @conn: connection
 * @msg: header fields (magic and version are filled in)
 * @payload: @msg->length bytes from rio_buf_alloc(), or NULL; the caller's
 *	reference passes to the connection in every case
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
	return __rio_conn_send(conn, msg, payload, true);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_send, TOASTER_RIO);

/**
 * rio_conn_queue() - queue one frame to go out with the next one sent
 * @conn: connection
 * @msg: as for rio_conn_send()
 * @payload: as for rio_conn_send()
 *
 * For a frame that another one follows at once (a NOTIFY and the answer
 * it comes before): the caller's next rio_conn_send() sends both, in one
 * segment. Same contexts as rio_conn_send().
 *
 * Return: 0 when queued, -ENOTCONN if the connection is dead, -ENOMEM.
 */
int rio_conn_queue(struct rio_conn *conn, const struct rio_msg *msg,
		   void *payload)
{
	return __rio_conn_send(conn, msg, payload, false);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_queue, TOASTER_RIO);

/*
 * Caller holds tx_mutex: queue a clear frame ahead of every other (a
 * handshake step, a refusal); once it is out, abort with @err if nonzero.
 * A step answers the peer's, so none is pending yet.
 */
static int rio_conn_queue_ctl(struct rio_conn *conn, const u8 *buf,
			      size_t len, int err)
{
	lockdep_assert_held(&conn->tx_mutex);
	if (WARN_ON_ONCE(conn->ctl_len || len > sizeof(conn->ctl)))
		return -EPROTO;
	memcpy(conn->ctl, buf, len);
	conn->ctl_len = len;
	conn->ctl_off = 0;
	conn->ctl_err = err;
	return 0;
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
	if (ret == 0) {
		/* A refused connect can read as EOF: report the refusal. */
		ret = sock_error(conn->sock->sk);
		return ret ? ret : -ECONNRESET;	/* orderly close by the peer */
	}
	return ret;
}

/* Choose where the payload of the header just received goes. */
static int rio_conn_rx_dst(struct rio_conn *conn, const struct rio_msg *m)
{
	u8 *dst = NULL;

	/* The handshake is the connection's own business. */
	if (conn->ops->rx_buf && m->opcode != RIO_OP_AUTH) {
		dst = conn->ops->rx_buf(conn, m);
		if (IS_ERR(dst))
			return PTR_ERR(dst);
	}
	if (dst) {
		/* Secure: the payload is in the record; copied after opening. */
		conn->rx_dst = dst;
		return 0;
	}
	/*
	 * Secure: a large payload is used where it was decrypted; a small
	 * one is copied to rx_small, so that frame() may resize rec_buf
	 * (a HELLO does) while it still reads the payload.
	 */
	if (rio_conn_rx_records(conn)) {
		conn->rx_dst = m->length <= RIO_RX_SMALL ? conn->rx_small :
			       conn->rec_buf + RIO_REC_PREFIX +
			       sizeof(struct rio_hdr);
		return 0;
	}
	if (m->length > conn->rx_cap) {
		pr_warn_ratelimited("%s: peer %s: %s with %u payload bytes, %u allowed here, closing\n",
				    conn->name, conn->peer,
				    rio_op_str(m->opcode), m->length,
				    conn->rx_cap);
		return -EMSGSIZE;
	}
	conn->rx_dst = conn->rx_buf;
	return 0;
}

/* Where the next bytes received go, and how many are wanted there. */
static u8 *rio_conn_rx_want(struct rio_conn *conn, size_t *n)
{
	if (rio_conn_rx_records(conn)) {
		/* The length prefix, then the rest of the record after it. */
		*n = (conn->rec_len ? conn->rec_len + RIO_REC_OVERHEAD :
		      RIO_REC_PREFIX) - conn->rx_off;
		return conn->rec_buf + conn->rx_off;
	}
	if (!conn->rx_payload) {
		*n = sizeof(conn->rx_hdr) - conn->rx_off;
		return (u8 *)&conn->rx_hdr + conn->rx_off;
	}
	*n = conn->rx_msg.length - conn->rx_off;
	return conn->rx_dst + conn->rx_off;
}

/* A whole header arrived: validate it before anything else happens. */
static int rio_conn_rx_hdr(struct rio_conn *conn)
{
	struct rio_msg *m = &conn->rx_msg;
	int bad;

	bad = rio_decode(&conn->rx_hdr, conn->rx_dir, m);
	if (bad) {
		pr_warn_ratelimited("%s: peer %s: %s (opcode %u flags %#x tag %u length %u), closing\n",
				    conn->name, conn->peer, rio_bad_str(bad),
				    m->opcode, m->flags, m->tag, m->length);
		return -EPROTO;
	}
	if (m->length > conn->rx_max) {
		pr_warn_ratelimited("%s: peer %s: %s with %u payload bytes, %u allowed now, closing\n",
				    conn->name, conn->peer, rio_op_str(m->opcode),
				    m->length, conn->rx_max);
		return -EMSGSIZE;
	}
	return m->length ? rio_conn_rx_dst(conn, m) : 0;
}

/* Why a handshake failed, for the log line. */
static const char *rio_conn_auth_why(const struct rio_conn *conn, int err)
{
	switch (err) {
	case -EKEYREJECTED:
		return conn->sec->server ? "the client's key is not ours" :
		       "the server does not have our key";
	case -EACCES:
		return "the server has no PSK (psk= unset there)";
	case -EPROTONOSUPPORT:
		return "unknown cipher suite";
	default:
		return "handshake out of order";
	}
}

/*
 * Secure mode, after the last handshake step received: an atomic_rx
 * owner's frames are parsed in sk_data_ready from now on. Under the socket
 * lock, so that no softirq runs the receive state machine while rx_work
 * (which returns at once) still does.
 */
static void rio_conn_rx_secured(struct rio_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	if (!conn->ops->atomic_rx)
		return;
	lock_sock(sk);
	WRITE_ONCE(conn->rx_atomic, true);
	release_sock(sk);
}

/*
 * An AUTH frame, or any frame before the handshake is over: drive the
 * handshake, or refuse the peer (a refusal is sent, then the connection
 * closed). Process context: a connection receives in rx_work until its
 * handshake is over, and after it any such frame is just an error.
 * Return: 1, or an error that ends the connection.
 */
static int rio_conn_auth(struct rio_conn *conn, const struct rio_msg *m,
			 void *payload)
{
	struct rio_sec *sec = conn->sec;
	u8 out[RIO_AUTH_FRAME_MAX];
	size_t len = 0;
	int ret, err;

	/*
	 * Under tx_mutex: a step makes the sender's keys ready together with
	 * queueing the step itself, so no record can leave before it.
	 */
	mutex_lock(&conn->tx_mutex);
	if (!sec && conn->rx_dir == RIO_DIR_RESPONSE) {
		ret = -EPROTO;	/* a server never starts a handshake */
	} else if (!sec) {
		pr_warn_ratelimited("%s: peer %s wants a PSK, this side has none (psk=), closing\n",
				    conn->name, conn->peer);
		len = rio_sec_refusal(m, RIO_S_ACCESS, out);
		ret = -EACCES;
	} else if (sec->rx_ready || sec->state == RIO_SEC_FAILED) {
		pr_warn_ratelimited("%s: peer %s: %s after the handshake, closing\n",
				    conn->name, conn->peer,
				    rio_op_str(m->opcode));
		ret = -EPROTO;
	} else if (m->opcode != RIO_OP_AUTH) {
		pr_warn_ratelimited("%s: peer %s: %s without the PSK handshake (no psk= there?), closing\n",
				    conn->name, conn->peer,
				    rio_op_str(m->opcode));
		if (sec->server)
			len = rio_sec_refusal(m, RIO_S_ACCESS, out);
		ret = sec->server ? -EACCES : -EPROTO;
	} else {
		ret = rio_sec_input(sec, &conn->rx_hdr, m, payload, out, &len);
		if (ret)
			pr_warn_ratelimited("%s: peer %s: PSK handshake failed: %s (%pe), closing\n",
					    conn->name, conn->peer,
					    rio_conn_auth_why(conn, ret),
					    ERR_PTR(ret));
	}
	/* A refusal goes out first; the abort follows once it is sent. */
	err = len ? rio_conn_queue_ctl(conn, out, len, ret) : ret;
	if (!err && !rio_conn_is_dead(conn))
		err = rio_conn_tx_flush(conn);
	if (err < 0)
		__rio_conn_abort(conn, err);
	mutex_unlock(&conn->tx_mutex);
	if (err < 0)
		return err;
	if (sec && sec->rx_ready)
		rio_conn_rx_secured(conn);
	return 1;
}

/* A whole, valid frame: to the owner, or to the handshake. */
static int rio_conn_rx_frame(struct rio_conn *conn, void *payload)
{
	struct rio_msg *m = &conn->rx_msg;
	int ret;

	trace_rio_frame_recv(conn, m);
	if (m->opcode == RIO_OP_AUTH ||
	    (conn->sec && !conn->sec->rx_ready))
		return rio_conn_auth(conn, m, payload);
	ret = conn->ops->frame(conn, m, payload);
	return ret < 0 ? ret : 1;
}

/*
 * Secure mode: the record's length prefix arrived, or the whole record.
 * Nothing of the record is looked at before its tag is verified; then it
 * holds exactly one frame, checked as a plain one would be.
 */
static int rio_conn_rec_got(struct rio_conn *conn)
{
	struct rio_msg *m = &conn->rx_msg;
	u8 *plain = conn->rec_buf + RIO_REC_PREFIX;
	u32 len;
	int ret;

	if (!conn->rec_len) {
		if (conn->rx_off < RIO_REC_PREFIX)
			return 0;
		ret = rio_rec_length(conn->rec_buf, conn->rx_max, &len);
		if (ret) {
			pr_warn_ratelimited("%s: peer %s: record of %u bytes, %u allowed now, closing\n",
					    conn->name, conn->peer, len,
					    conn->rx_max);
			return ret;
		}
		conn->rec_len = len;
		return 0;
	}
	if (conn->rx_off < conn->rec_len + RIO_REC_OVERHEAD)
		return 0;
	len = conn->rec_len;
	conn->rec_len = 0;
	conn->rx_off = 0;

	ret = rio_rec_open(conn->sec, conn->rec_buf, len);
	if (ret) {
		pr_warn_ratelimited("%s: peer %s: record %llu failed authentication (%pe), closing\n",
				    conn->name, conn->peer, conn->sec->rx_seq,
				    ERR_PTR(ret));
		return ret;
	}
	memcpy(&conn->rx_hdr, plain, sizeof(conn->rx_hdr));
	ret = rio_conn_rx_hdr(conn);
	if (ret)
		return ret;
	if (m->length != len - sizeof(conn->rx_hdr)) {
		pr_warn_ratelimited("%s: peer %s: %s of %u bytes in a record of %u, closing\n",
				    conn->name, conn->peer,
				    rio_op_str(m->opcode), m->length, len);
		return -EPROTO;
	}
	if (!m->length)
		return rio_conn_rx_frame(conn, NULL);
	plain += sizeof(conn->rx_hdr);
	if (conn->rx_dst != plain)
		memcpy(conn->rx_dst, plain, m->length);
	return rio_conn_rx_frame(conn, conn->rx_dst);
}

/*
 * @n bytes arrived where rio_conn_rx_want() said: advance the receive
 * state machine, header then exactly its payload (or, secure, a record).
 * Return: 1 when a frame was handed on, 0 when more bytes are needed, or
 * an error.
 */
static int rio_conn_rx_got(struct rio_conn *conn, size_t n)
{
	struct rio_msg *m = &conn->rx_msg;
	int ret;

	conn->rx_off += n;
	if (rio_conn_rx_records(conn))
		return rio_conn_rec_got(conn);
	if (!conn->rx_payload) {
		if (conn->rx_off < sizeof(conn->rx_hdr))
			return 0;
		conn->rx_off = 0;
		ret = rio_conn_rx_hdr(conn);
		if (ret)
			return ret;
		if (m->length) {
			conn->rx_payload = true;
			return 0;
		}
	} else {
		if (conn->rx_off < m->length)
			return 0;
		conn->rx_off = 0;
		conn->rx_payload = false;
	}
	return rio_conn_rx_frame(conn, m->length ? conn->rx_dst : NULL);
}

/*
 * Receive by recvmsg, in rx_work, for owners whose frame() sleeps (the
 * server: it takes the toaster's mutex and sends answers). One step reads
 * what is missing of the current header or payload.
 * Return: 1 progress, 0 would block, <0 error.
 */
static int rio_conn_rx_step(struct rio_conn *conn)
{
	size_t n;
	u8 *dst;
	int ret;

	dst = rio_conn_rx_want(conn, &n);
	ret = rio_conn_recv(conn, dst, n);
	if (ret < 0)
		return ret == -EAGAIN ? 0 : ret;
	ret = rio_conn_rx_got(conn, ret);
	return ret < 0 ? ret : 1;
}

/*
 * Receive by tcp_read_sock(), for owners whose frame() does not sleep
 * (the client: it completes the request and wakes its waiter). Runs in
 * sk_data_ready (softirq) as iscsi_tcp does, so an answer wakes its
 * waiter directly, without a trip through the workqueue; rx_work runs it
 * too, for what the budget left and for the end of the stream. Both run
 * with the socket locked, never at once. desc->count is the budget in
 * frames; an error stops the stream in desc->error.
 */
static int rio_conn_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			     unsigned int off, size_t len)
{
	struct rio_conn *conn = desc->arg.data;
	size_t used = 0, n;
	u8 *dst;
	int ret;

	while (used < len && desc->count) {
		dst = rio_conn_rx_want(conn, &n);
		n = min(n, len - used);
		ret = skb_copy_bits(skb, off + used, dst, n);
		if (!ret)
			ret = rio_conn_rx_got(conn, n);
		if (ret < 0) {
			desc->error = ret;
			desc->count = 0;
			break;
		}
		used += n;
		desc->count -= ret;
	}
	return used;
}

/*
 * Socket locked. Return: 1 when the budget was spent (call again), 0 when
 * all that arrived was consumed, or the error that ends the connection:
 * the owner's, the socket's, or -ECONNRESET once the peer closed.
 */
static int rio_conn_rx_sock(struct rio_conn *conn)
{
	read_descriptor_t desc = { .arg.data = conn, .count = RIO_RX_BUDGET };
	struct sock *sk = conn->sock->sk;
	int err;

	if (conn->rx_err || rio_conn_is_dead(conn))
		return conn->rx_err;
	tcp_read_sock(sk, &desc, rio_conn_rx_actor);
	if (desc.error) {
		conn->rx_err = desc.error;	/* the stream is broken */
		return desc.error;
	}
	if (!desc.count)
		return 1;
	err = sock_error(sk);	/* a reset, or a refused connect */
	if (err)
		return err;
	if ((READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	    skb_queue_empty(&sk->sk_receive_queue))
		return -ECONNRESET;	/* orderly close by the peer */
	return 0;
}

/*
 * recvmsg receive (rx_work of an owner without atomic_rx): until the
 * socket is empty, at most RIO_RX_BUDGET reads. Return: 1 budget spent,
 * 0 empty (or throttled, or dead), <0 the error that ends the connection.
 */
static int rio_conn_rx_recv(struct rio_conn *conn)
{
	int i, ret = 0;

	for (i = 0; i < RIO_RX_BUDGET; i++) {
		if (rio_conn_is_dead(conn) || rio_conn_rx_throttle(conn))
			return 0;
		/* Handshake over: the rest is read the atomic way. */
		if (READ_ONCE(conn->rx_atomic))
			return 1;
		ret = rio_conn_rx_step(conn);
		if (ret <= 0)
			return ret;
	}
	return 1;
}

/*
 * sk_data_ready of an owner without atomic_rx. While rx_work runs, it is
 * only told to look again (RIO_RX_AGAIN): queueing it then would wake a
 * second worker for nothing, a cross-CPU wakeup per request, since the
 * running one reads until the socket is empty. Either rx_work sees AGAIN
 * after it cleared BUSY, or this sees BUSY clear (the barriers pair).
 */
static void rio_conn_rx_kick(struct rio_conn *conn)
{
	set_bit(RIO_RX_AGAIN, &conn->rx_flags);
	smp_mb__after_atomic();		/* AGAIN before BUSY is read */
	if (!test_bit(RIO_RX_BUSY, &conn->rx_flags))
		queue_work(conn->wq, &conn->rx_work);
}

static void rio_conn_rx_work(struct work_struct *work)
{
	struct rio_conn *conn = container_of(work, struct rio_conn, rx_work);
	struct sock *sk = conn->sock->sk;
	int ret;

	if (READ_ONCE(conn->rx_atomic)) {
		lock_sock(sk);
		ret = rio_conn_rx_sock(conn);
		release_sock(sk);
		goto out;
	}
	set_bit(RIO_RX_BUSY, &conn->rx_flags);
	do {
		clear_bit(RIO_RX_AGAIN, &conn->rx_flags);
		smp_mb__after_atomic();	/* cleared before the socket is read */
		ret = rio_conn_rx_recv(conn);
		if (ret)
			break;
		clear_bit(RIO_RX_BUSY, &conn->rx_flags);
		smp_mb__after_atomic();	/* BUSY clear before AGAIN is read */
	} while (test_bit(RIO_RX_AGAIN, &conn->rx_flags) &&
		 !test_and_set_bit(RIO_RX_BUSY, &conn->rx_flags));
	clear_bit(RIO_RX_BUSY, &conn->rx_flags);
out:
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
	/* Softirq, socket locked: receive here if the owner allows it. */
	if (conn && READ_ONCE(conn->rx_atomic)) {
		if (rio_conn_rx_sock(conn))
			queue_work(conn->wq, &conn->rx_work);
	} else if (conn) {
		rio_conn_rx_kick(conn);
	}
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
	conn->ops = ops;
	conn->rx_buf = conn->rx_small;
	conn->rx_cap = RIO_RX_SMALL;
	conn->rx_max = RIO_RX_SMALL;
	if (rio_conn_set_rx_max(conn, rx_max))
		goto err_conn;

	kref_init(&conn->ref);
	conn->sock = sock;
	conn->wq = wq;
	conn->priv = priv;
	conn->rx_dir = rx_dir;
	conn->rx_atomic = ops->atomic_rx;
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
	if (conn->sec) {
		u8 out[RIO_AUTH_FRAME_MAX];

		/* The handshake's first step leaves first, once connected. */
		mutex_lock(&conn->tx_mutex);
		rio_conn_queue_ctl(conn, out, rio_sec_start(conn->sec, out), 0);
		mutex_unlock(&conn->tx_mutex);
	}
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

/*
 * Secure mode: room for a record of @rx_max payload bytes. The frames are
 * received in it in place, so the plain receive buffer is never grown.
 */
static int rio_conn_set_rec_max(struct rio_conn *conn, u32 rx_max)
{
	size_t cap = RIO_REC_OVERHEAD + sizeof(struct rio_hdr) + rx_max;
	u8 *rec;

	if (cap != conn->rec_cap) {
		rec = kvmalloc(cap, GFP_KERNEL);
		if (!rec)
			return -ENOMEM;
		/* Between records: nothing of the old one is needed. */
		kvfree_sensitive(conn->rec_buf, conn->rec_cap);
		conn->rec_buf = rec;
		conn->rec_cap = cap;
	}
	conn->rx_max = rx_max;
	return 0;
}

/**
 * rio_conn_set_psk() - authenticate and encrypt this connection
 * @conn: connection from rio_conn_create(), not started yet
 * @psk: the pre-shared key both sides have
 *
 * Before the owner's first frame goes or comes, the connection runs the
 * PSK handshake: the client's side starts it in rio_conn_connect(), the
 * server's answers. A peer without the key, or without a PSK, is refused
 * and the connection dies with -EKEYREJECTED or -EACCES; from then on
 * every frame is a record, and one that fails its tag kills the
 * connection with -EBADMSG. Frames the owner sends meanwhile wait.
 *
 * Return: 0 or -ENOMEM.
 */
int rio_conn_set_psk(struct rio_conn *conn, const struct rio_psk *psk)
{
	struct rio_sec *sec;
	int ret;

	sec = kmalloc(sizeof(*sec), GFP_KERNEL);
	if (!sec)
		return -ENOMEM;
	rio_sec_init(sec, psk, conn->rx_dir == RIO_DIR_REQUEST);
	conn->sec = sec;
	ret = rio_conn_set_rec_max(conn, conn->rx_max);
	if (ret)
		return ret;	/* freed with the connection */
	/* The handshake is answered in rx_work: it sends. */
	conn->rx_atomic = false;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(rio_conn_set_psk, TOASTER_RIO);

/**
 * rio_conn_set_rx_max() - change the largest payload accepted
 * @conn: connection
 * @rx_max: new limit, at most RIO_MAX_PAYLOAD
 *
 * Before the connection is started, or from its own frame() callback (the
 * receive state machine is then between frames). The connection's own
 * buffer grows to @rx_max, unless the owner receives payloads into its own
 * buffers (rio_conn_ops.rx_buf).
 *
 * Return: 0 or -ENOMEM (the limit is unchanged).
 */
int rio_conn_set_rx_max(struct rio_conn *conn, u32 rx_max)
{
	u8 *buf = conn->rx_small;
	u32 cap;

	rx_max = min(rx_max, RIO_MAX_PAYLOAD);
	if (conn->sec)
		return rio_conn_set_rec_max(conn, rx_max);
	cap = conn->ops->rx_buf ? RIO_RX_SMALL : max(rx_max, RIO_RX_SMALL);
	if (cap != conn->rx_cap) {
		if (cap > RIO_RX_SMALL) {
			buf = kvmalloc(cap, GFP_KERNEL);
			if (!buf)
				return -ENOMEM;
		}
		if (conn->rx_buf != conn->rx_small)
			kvfree(conn->rx_buf);
		conn->rx_buf = buf;
		conn->rx_cap = cap;
	}
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
	/* Keys, and the plaintext of the last records. */
	kfree_sensitive(conn->sec);
	kvfree_sensitive(conn->rec_buf, conn->rec_cap);
	kvfree_sensitive(conn->tx_rec, conn->tx_rec_cap);
	kfree(conn);
}

/**
 * rio_conn_get() - take a reference
 * @conn: connection
 *
 * A holder may call rio_conn_send() and rio_conn_abort() even after the
 * owner closed the connection: they then do nothing but -ENOTCONN.
 *
 * Return: @conn.
 */
struct rio_conn *rio_conn_get(struct rio_conn *conn)
{
	kref_get(&conn->ref);
	return conn;
}
EXPORT_SYMBOL_NS_GPL(rio_conn_get, TOASTER_RIO);

/**
 * rio_conn_put() - drop a reference
 * @conn: connection
 */
void rio_conn_put(struct rio_conn *conn)
{
	kref_put(&conn->ref, rio_conn_release);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_put, TOASTER_RIO);

/*
 * Did the connection fail, rather than end in order (closed by us, by the
 * peer, or refused with the answer already sent)?
 */
static bool rio_conn_failed(struct rio_conn *conn)
{
	int err;

	spin_lock(&conn->lock);
	err = conn->err;
	spin_unlock(&conn->lock);
	return err != -ESHUTDOWN && err != -ECONNRESET &&
	       err != -ECONNREFUSED && err != -EACCES && err != -EKEYREJECTED;
}

/**
 * rio_conn_close() - tear a connection down and drop the owner's reference
 * @conn: connection, started or not
 *
 * Order: shutdown (peer sees FIN, owner's dead() runs if it has not yet)
 * -> restore the socket callbacks and clear sk_user_data -> wait for the
 * connection's work -> drop unsent frames -> release the socket. A
 * connection that failed (a timeout, a protocol error, ...) is released
 * abortively (linger 0: an RST, as nvme-tcp does): nothing lingers in
 * FIN-WAIT for a peer that may be gone, holding memory and, under
 * lockdep, the module.
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
		rio_tx_free(conn, conn->tx_cur);
		conn->tx_cur = NULL;
	}
	list_for_each_entry_safe(tx, next, &conn->tx_list, node) {
		list_del(&tx->node);
		rio_tx_free(conn, tx);
	}
	sock = conn->sock;
	conn->sock = NULL;
	mutex_unlock(&conn->tx_mutex);

	if (rio_conn_failed(conn))
		sock_no_linger(sk);
	sock_release(sock);
	rio_conn_put(conn);
}
EXPORT_SYMBOL_NS_GPL(rio_conn_close, TOASTER_RIO);
