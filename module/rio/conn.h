/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RIO connection: one TCP kernel socket carrying RIO frames, shared by the
 * toaster client and server. It owns the socket callbacks, the resumable
 * receive state machine and the single sender; the owner sees whole,
 * validated frames through struct rio_conn_ops.
 */
#ifndef _TOASTER_RIO_CONN_H
#define _TOASTER_RIO_CONN_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <toaster/rio.h>
#include <toaster/rio_sec.h>

#include "buf.h"
#include "sock.h"

struct rio_conn;

/*
 * Backpressure: while more than RIO_TX_HIGH bytes wait to be sent, rx_work
 * stops reading requests (the peer's sends then block in TCP); sending
 * resumes it below RIO_TX_LOW. A peer that does not read its answers
 * cannot make us queue them without bound.
 */
#define RIO_TX_HIGH	(512 * 1024)

/* rio_conn.rx_flags bits */
#define RIO_RX_BUSY	0
#define RIO_RX_AGAIN	1
#define RIO_TX_LOW	(128 * 1024)

/**
 * struct rio_tx - a frame waiting to be sent
 * @node: in rio_conn.tx_list
 * @hdr: encoded header
 * @payload: @len bytes (rio_buf), put once sent or dropped, or once sealed
 *	into a record
 * @len: payload length
 * @sealed: secure mode: the frame is the record in rio_conn.tx_rec
 */
struct rio_tx {
	struct list_head node;
	struct rio_hdr hdr;
	void *payload;
	size_t len;
	bool sealed;
};

/* Payloads up to this size need no buffer of their own (HELLO, IOCTL). */
#define RIO_RX_SMALL	RIO_MAX_IOCTL

/**
 * struct rio_conn_ops - what the owner of a connection is told
 * @frame: a valid frame arrived. @payload holds @msg->length bytes and is
 *	valid during the call only. Called from the connection's receive
 *	work (process context, may sleep, may call rio_conn_send()), or see
 *	@atomic_rx; never concurrently with itself. A negative return aborts
 *	the connection.
 * @dead: the connection failed or was closed; @err is the first error
 *	(-ECONNRESET when the peer left). Called exactly once, from the
 *	context that saw the failure; it must not sleep or take locks the
 *	owner holds around rio_conn_close(): wake waiters, queue work.
 * @atomic_rx: frame(), rx_buf() and dead() never sleep: frames are then
 *	parsed and handed over in sk_data_ready (softirq, socket locked) and
 *	in the receive work with the socket locked; frame() must not send on
 *	the connection. An error it returns aborts the connection from the
 *	receive work.
 * @rx_buf: optional: where to receive the payload of the valid header
 *	@msg, so that it lands where it is used, with no copy (the client's
 *	read buffer). Called from the receive work before the payload is
 *	read; the buffer must hold @msg->length bytes and stay valid until
 *	frame() has returned for this frame. NULL: the connection's own
 *	buffer, which then holds only RIO_RX_SMALL bytes; an ERR_PTR()
 *	aborts the connection.
 */
struct rio_conn_ops {
	int (*frame)(struct rio_conn *conn, const struct rio_msg *msg,
		     void *payload);
	void (*dead)(struct rio_conn *conn, int err);
	void *(*rx_buf)(struct rio_conn *conn, const struct rio_msg *msg);
	bool atomic_rx;
};

/**
 * struct rio_conn - a RIO connection
 * @ref: the owner's reference
 * @sock: the TCP socket, released by rio_conn_close()
 * @wq: workqueue for @rx_work and @tx_work
 * @ops: owner's callbacks
 * @priv: owner's data
 * @name: who owns the connection, for log lines ("toaster_server:
 *	toaster1"); the owner may set it before starting the connection
 * @peer: "address:port" of the peer, for log lines
 * @rx_dir: frames this side receives (requests on the server)
 * @rx_work: runs the receive state machine
 * @tx_work: resumes sending after the socket had no room
 * @rx_hdr: header being received
 * @rx_msg: decoded @rx_hdr
 * @rx_off: bytes of the current header or payload received so far
 * @rx_payload: true while receiving a payload
 * @rx_max: largest payload accepted now; a longer frame is a protocol error
 * @rx_buf: the connection's payload buffer of @rx_cap bytes: @rx_small,
 *	or kvmalloc()ed
 * @rx_cap: size of @rx_buf: @rx_max, or RIO_RX_SMALL if the owner has
 *	rio_conn_ops.rx_buf
 * @rx_dst: where the current payload goes: @rx_buf or the owner's buffer
 * @rx_small: the payload buffer while @rx_cap is at most RIO_RX_SMALL
 * @rx_err: the error that broke the receive stream (atomic_rx), for the
 *	receive work to abort the connection with
 * @rx_flags: RIO_RX_BUSY (rx_work is reading) and RIO_RX_AGAIN (data
 *	arrived meanwhile): sk_data_ready does not requeue a running rx_work
 * @tx_mutex: one sender at a time; protects @tx_cur and @tx_off
 * @tx_cur: frame being sent
 * @tx_off: bytes of @tx_cur already sent
 * @lock: protects @tx_list, @tx_bytes, @rx_throttled, @dead and @err
 * @tx_list: frames waiting to be sent; changed with both @tx_mutex and
 *	@lock held, so a holder of either may read it
 * @tx_bytes: memory held by frames not yet sent
 * @rx_throttled: rx_work stopped reading until @tx_bytes drains
 * @dead: no more frames are received or sent
 * @err: first error
 * @sec: secure mode (rio_conn_set_psk()), NULL on a plain connection
 * @rx_atomic: frames are parsed in sk_data_ready now (rio_conn_ops.atomic_rx
 *	once the handshake is over): changed under the socket lock
 * @rec_len: secure mode: plaintext bytes of the record being received, 0
 *	while its length prefix is
 * @rec_buf: secure mode: the record being received, in place, @rec_cap bytes
 * @rec_cap: room for a record of rio_conn.rx_max payload bytes
 * @tx_rec: secure mode: the record of @tx_cur, sealed (under tx_mutex)
 * @tx_rec_cap: its room
 * @tx_rec_len: bytes of the record of @tx_cur
 * @ctl: a clear frame (a handshake step, a refusal) sent before anything
 *	else (under tx_mutex)
 * @ctl_len: its length, 0 when there is none
 * @ctl_off: bytes of it sent
 * @ctl_err: once it is sent, abort the connection with this, if nonzero
 * @saved_data_ready: socket callback restored at close
 * @saved_state_change: socket callback restored at close
 * @saved_write_space: socket callback restored at close
 */
struct rio_conn {
	struct kref ref;
	struct socket *sock;
	struct workqueue_struct *wq;
	const struct rio_conn_ops *ops;
	void *priv;
	char name[40];
	char peer[64];
	enum rio_dir rx_dir;

	struct work_struct rx_work;
	struct work_struct tx_work;

	struct rio_hdr rx_hdr;
	struct rio_msg rx_msg;
	size_t rx_off;
	bool rx_payload;
	u32 rx_max;
	u8 *rx_buf;
	u32 rx_cap;
	u8 *rx_dst;
	u8 rx_small[RIO_RX_SMALL];
	int rx_err;
	unsigned long rx_flags;

	struct mutex tx_mutex;		/* one sender */
	struct rio_tx *tx_cur;
	size_t tx_off;

	spinlock_t lock;		/* tx_list, tx_bytes, dead... */
	struct list_head tx_list;
	size_t tx_bytes;
	bool rx_throttled;
	bool dead;
	int err;

	struct rio_sec *sec;
	bool rx_atomic;
	u32 rec_len;
	u8 *rec_buf;
	size_t rec_cap;
	u8 *tx_rec;
	size_t tx_rec_cap;
	size_t tx_rec_len;
	u8 ctl[RIO_AUTH_FRAME_MAX];
	size_t ctl_len;
	size_t ctl_off;
	int ctl_err;

	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
};

struct rio_conn *rio_conn_create(struct socket *sock,
				 struct workqueue_struct *wq,
				 enum rio_dir rx_dir,
				 const struct rio_conn_ops *ops, void *priv,
				 u32 rx_max);
int rio_conn_set_rx_max(struct rio_conn *conn, u32 rx_max);
int rio_conn_set_psk(struct rio_conn *conn, const struct rio_psk *psk);
void rio_conn_start(struct rio_conn *conn);
int rio_conn_connect(struct rio_conn *conn, struct sockaddr_storage *addr,
		     int addrlen);
int rio_conn_send(struct rio_conn *conn, const struct rio_msg *msg,
		  void *payload);
int rio_conn_queue(struct rio_conn *conn, const struct rio_msg *msg,
		   void *payload);
void rio_conn_abort(struct rio_conn *conn, int err);
void rio_conn_close(struct rio_conn *conn);
struct rio_conn *rio_conn_get(struct rio_conn *conn);
void rio_conn_put(struct rio_conn *conn);
bool rio_conn_is_dead(struct rio_conn *conn);

#endif /* _TOASTER_RIO_CONN_H */
