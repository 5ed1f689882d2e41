/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The toaster server's internals, shared by its files and the KUnit suite:
 *
 *   server.c   an instance: start and stop
 *   listen.c   listeners and accept
 *   peer.c     a client connection: HELLO and ownership, frames, teardown
 *   queue.c    a toaster's request queue and what each request does
 *   session.c  sessions that outlive a connection, and their reply cache
 *   debugfs.c  status files
 *   model.c    the simulated toaster itself (no locks, no clock)
 *
 * Contexts and locks:
 * - The listener's sk_data_ready (softirq) queues accept_work.
 * - accept_work accepts, resets the inherited callbacks of the new socket
 *   and starts a struct rio_conn on it.
 * - Each connection's rx_work delivers frames to srv_frame(), which runs
 *   under the toaster's mutex. Requests are queued per toaster and run in
 *   FIFO order by srv_run_queue(); a request that must wait (READ before
 *   the toast is done, WRITE into a full slot) stays at the head of the
 *   queue and toast_work, a delayed work armed for the next point in time
 *   that matters, runs the queue again. No worker ever sleeps waiting for
 *   toast.
 * - srv_toaster.lock (mutex) protects the model, the queue, the owner, the
 *   list of connections and every srv_conn's HELLO state. Lock order:
 *   srv_toaster.lock -> rio_conn.tx_mutex -> socket lock.
 * - A dead connection (peer left, protocol error, BYE, shutdown) is torn
 *   down by its close_work, in process context, from the workqueue.
 */
#ifndef _TOASTER_SERVER_INTERNAL_H
#define _TOASTER_SERVER_INTERNAL_H

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <toaster/rio.h>

#include "model.h"
#include "server.h"

struct dentry;
struct rio_conn;
struct sock;

#define SRV_MAX_INFLIGHT	16	/* queued requests per client */
#define SRV_MAX_WAIT_MS		60000	/* cap on a client's wait_ms */
#define SRV_BACKLOG		8
/*
 * Connections per toaster. When all are taken, a new one evicts the oldest
 * that has not said HELLO, so that silent peers cannot lock the owner out;
 * connections being torn down still count, up to twice this.
 */
#define SRV_MAX_CONNS		8
/*
 * Connections without HELLO (so, with a PSK, not authenticated yet) on
 * the whole server: past this, new ones are closed at accept.
 */
#define SRV_MAX_PREAUTH		64

/**
 * struct srv_reply - an answer kept for the session to replay
 * @msg: the answer's header, room 0; @msg.tag == 0: the entry is free
 * @payload: a reference on the payload it was sent with (rio_buf), or NULL
 */
struct srv_reply {
	struct rio_msg msg;
	void *payload;
};

/**
 * struct srv_session - the owner's session, which survives its connection
 * @id: random, given in the HELLO answer; all zero: no session
 * @resume_ms: how long it is kept once its connection died
 * @expire_work: ends it @resume_ms after its connection died
 * @replies: the last SRV_MAX_INFLIGHT answers to requests with an effect
 *	(READ, WRITE, IOCTL), oldest overwritten first; allocated with the
 *	toaster's first session, NULL before
 * @next: the entry of @replies the next answer takes
 * @resumes: connections that resumed a session of this toaster
 * @replayed: answers sent again from @replies
 *
 * The client has at most max_inflight (SRV_MAX_INFLIGHT) requests
 * unanswered, so an answer it has not seen is always among the last
 * SRV_MAX_INFLIGHT sent (docs/protocol.md, "Sessions").
 */
struct srv_session {
	u8 id[RIO_SESSION_LEN];
	u32 resume_ms;
	struct delayed_work expire_work;
	struct srv_reply *replies;
	unsigned int next;
	u64 resumes;
	u64 replayed;
};

/**
 * struct srv_toaster - one toaster and its listener
 * @srv: instance
 * @serial: N, listening on base_port + N
 * @listener: listening socket, set before its callbacks are
 * @accept_work: accepts pending connections
 * @saved_data_ready: listener's original callback, also given back to
 *	accepted sockets, which inherit the listener's callbacks
 * @saved_state_change: as @saved_data_ready
 * @saved_write_space: as @saved_data_ready
 * @lock: protects everything below
 * @model: the toaster's state, kept across connections
 * @conns: every connection of this toaster, before or after HELLO, oldest
 *	first
 * @nconns: entries in @conns
 * @owner: the connection that said HELLO and holds the toaster
 * @queue: requests of @owner, oldest first
 * @ready_mask: readiness last sent to @owner in a NOTIFY
 * @toast_work: runs the queue when toast gets ready or a wait expires
 * @sess: the owner's session; it holds the toaster while its connection
 *	is gone, until it is resumed or expires
 * @stopping: the instance is going away: no new owner
 */
struct srv_toaster {
	struct toaster_srv *srv;
	unsigned int serial;
	struct socket *listener;
	struct work_struct accept_work;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);

	struct mutex lock;		/* see above */
	struct toaster_model model;
	struct list_head conns;
	unsigned int nconns;
	struct srv_conn *owner;
	struct list_head queue;
	u32 ready_mask;
	struct delayed_work toast_work;
	struct srv_session sess;
	bool stopping;
};

/**
 * struct toaster_srv - a server instance
 * @cfg: its configuration
 * @preauth: connections on every toaster that have not said HELLO yet
 * @wq: runs accept, receive, toast and close work
 * @debugfs: status directory, or NULL
 * @toasters: @cfg.count toasters, index N - 1
 */
struct toaster_srv {
	struct toaster_srv_config cfg;
	atomic_t preauth;
	struct workqueue_struct *wq;
	struct dentry *debugfs;
	struct srv_toaster *toasters;
};

/**
 * struct srv_conn - a client connection to a toaster
 * @node: in srv_toaster.conns
 * @t: the toaster
 * @rc: transport
 * @hello_work: closes the connection if no HELLO came in time
 * @close_work: tears the connection down once it is dead
 * @idle_work: closes the connection when it stays silent too long
 * @hello_done: HELLO accepted, this is @t's owner (under @t->lock)
 * @bye: the client said BYE: its session ends with the connection
 * @caps: RIO_CAP_* granted in the HELLO answer
 * @wait_ms: how long a blocking request may be parked
 * @idle_ms: a connection silent that long is dead (0: no limit), from
 *	the keepalive the client promised in its HELLO
 * @last_rx: jiffies of the last frame received, WRITE_ONCE
 * @rx_data: the payload being received, a rio_buf allocated for it
 *	(srv_rx_buf()); handed to the request it belongs to, freed with the
 *	connection if it never arrived whole
 */
struct srv_conn {
	struct list_head node;
	struct srv_toaster *t;
	struct rio_conn *rc;
	struct delayed_work hello_work;
	struct work_struct close_work;
	struct delayed_work idle_work;
	bool hello_done;
	bool bye;
	u32 caps;
	u32 wait_ms;
	u32 idle_ms;
	unsigned long last_rx;
	void *rx_data;
};

/**
 * struct srv_req - a request waiting in a toaster's queue
 * @node: in srv_toaster.queue
 * @msg: its header
 * @data: its payload (WRITE, IOCTL, PING), or NULL
 * @deadline_ms: a blocking READ or WRITE is answered RIO_S_AGAIN then
 */
struct srv_req {
	struct list_head node;
	struct rio_msg msg;
	void *data;
	u64 deadline_ms;
};

/* queue.c */
u64 srv_now_ms(void);
u32 srv_room(struct srv_toaster *t);
void srv_run_queue(struct srv_toaster *t);
int srv_enqueue(struct srv_conn *sc, const struct rio_msg *msg,
		const void *payload, void *owned);
void srv_cancel(struct srv_toaster *t, u32 tag);
int srv_ping(struct srv_conn *sc, const struct rio_msg *msg,
	     const void *payload, void *owned);
void srv_drop_queue(struct srv_toaster *t);
void srv_toast_work(struct work_struct *work);

/* session.c */
void srv_session_init(struct srv_toaster *t);
bool srv_session_live(const struct srv_toaster *t);
bool srv_session_match(const struct srv_toaster *t, const u8 *id);
int srv_session_new(struct srv_toaster *t, u32 resume_ms, const u8 *id);
void srv_session_end(struct srv_toaster *t);
void srv_session_detach(struct srv_toaster *t);
void srv_session_resume(struct srv_toaster *t);
void srv_session_keep(struct srv_toaster *t, const struct rio_msg *msg,
		      void *payload);
int srv_session_replay(struct srv_toaster *t, const struct rio_msg *msg);
void srv_session_stop(struct srv_toaster *t);

/* peer.c */
void srv_accept_one(struct srv_toaster *t, struct socket *sock);
void srv_stop_toaster(struct srv_toaster *t);

/* listen.c */
int srv_listen(struct srv_toaster *t);
void srv_unlisten(struct srv_toaster *t);
void srv_accept_work(struct work_struct *work);
void srv_listen_armed(struct srv_toaster *t);

/* debugfs.c */
void srv_debugfs_init(struct toaster_srv *srv);

#endif /* _TOASTER_SERVER_INTERNAL_H */
