/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Remote toaster client: one /dev/toasterN per remote toaster, each open
 * file one RIO connection ("link") to the server's toaster N.
 *
 *   main.c     module parameters, misc devices, file operations, sysfs
 *   link.c     a link's state: tags, matching answers, death
 *   request.c  the request lifecycle: submit, wait, cancel, timeout
 *   connect.c  the transport: socket, non-blocking connect, HELLO, BYE
 *   resume.c   keepalive, and resuming the session on a new connection
 *   io.c       read, write, poll
 *   ioctl.c    the ioctls
 *
 * The link reaches the network only through struct toaster_xport_ops, so
 * the KUnit suite runs it on a fake transport.
 */
#ifndef _TOASTER_CLIENT_H
#define _TOASTER_CLIENT_H

#include <linux/atomic.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <toaster/rio.h>
#include <uapi/linux/toaster.h>

struct rio_psk;

struct net;
struct toaster_link;

/*
 * Outstanding tags per link: write-behind WRITEs, the requests that are
 * waited for, and cancelled requests not answered yet.
 */
#define TOASTER_MAX_TAGS	16
/* Write-behind WRITEs in flight at most (the server queues 16 requests). */
#define TOASTER_MAX_BEHIND	8
/*
 * READs one read() keeps in flight at most: a read() of more than
 * RIO_MAX_PAYLOAD bytes asks for the rest while the first toast travels.
 */
#define TOASTER_READ_DEPTH	4

/**
 * enum toaster_dev_state - what sysfs "state" shows
 * @TOASTER_DISCONNECTED: not open
 * @TOASTER_CONNECTING: open, connecting or saying HELLO in the background
 * @TOASTER_CONNECTED: open, the connection is alive
 * @TOASTER_DEAD: open, the connection failed: close and reopen
 * @TOASTER_RESUMING: open, the connection died; reconnecting to resume the
 *	session, calls wait
 */
enum toaster_dev_state {
	TOASTER_DISCONNECTED,
	TOASTER_CONNECTING,
	TOASTER_CONNECTED,
	TOASTER_DEAD,
	TOASTER_RESUMING,
};

/**
 * enum toaster_link_state - where a link is in its life
 * @TOASTER_LINK_CONNECTING: connect and HELLO are under way; calls wait
 *	for them (bounded by the link's deadline)
 * @TOASTER_LINK_UP: HELLO accepted, requests flow
 * @TOASTER_LINK_RESETTING: a request got no answer in time and the
 *	connection is being reset; answers still arriving are dropped
 * @TOASTER_LINK_CLOSING: release() said BYE; the end is expected
 * @TOASTER_LINK_DEAD: the connection is gone; nothing is sent or completed
 * @TOASTER_LINK_RESUMING: the connection died but the server keeps the
 *	session: outstanding requests are kept and sent again on a new
 *	connection that resumes it (resume.c); new ones wait for it
 */
enum toaster_link_state {
	TOASTER_LINK_CONNECTING,
	TOASTER_LINK_UP,
	TOASTER_LINK_RESETTING,
	TOASTER_LINK_CLOSING,
	TOASTER_LINK_DEAD,
	TOASTER_LINK_RESUMING,
};

/**
 * enum toaster_resume_phase - where a resume is, in TOASTER_LINK_RESUMING
 * @TOASTER_RESUME_WAIT: no connection; the next attempt is scheduled
 * @TOASTER_RESUME_HELLO: connecting and saying HELLO with RIO_F_RESUME
 * @TOASTER_RESUME_SEND: resumed: sending the outstanding requests again
 */
enum toaster_resume_phase {
	TOASTER_RESUME_WAIT,
	TOASTER_RESUME_HELLO,
	TOASTER_RESUME_SEND,
};

/**
 * struct toaster_dev_stats - client counters of a device, atomic, no lock;
 *	the fields of struct toaster_stats in the uapi header
 * @requests: RIO requests sent
 * @bytes_out: WRITE payload bytes the server accepted
 * @bytes_in: READ payload bytes received
 * @errors: requests that failed, except with -EAGAIN
 * @timeouts: requests (or cancels) that got no answer in time
 * @cancels: CANCEL frames sent because of a signal
 * @connects: successful connections (HELLO accepted)
 * @last_rtt_ns: send to response of the last answered request
 * @reconnects: connections attempted to resume a session
 * @resumes: sessions resumed
 * @resent: requests sent again after a resume
 * @keepalives: keepalive PINGs sent
 */
struct toaster_dev_stats {
	atomic64_t requests;
	atomic64_t bytes_out;
	atomic64_t bytes_in;
	atomic64_t errors;
	atomic64_t timeouts;
	atomic64_t cancels;
	atomic64_t connects;
	atomic64_t last_rtt_ns;
	atomic64_t reconnects;
	atomic64_t resumes;
	atomic64_t resent;
	atomic64_t keepalives;
};

/**
 * struct toaster_dev - one /dev/toasterN, lives from module load to unload
 * @misc: the misc device; its this_device carries the sysfs attributes
 * @name: "toasterN", @misc.name points here
 * @serial: N; the toaster listens on port RIO_BASE_PORT + N
 * @open: bit 0 set while a file is open (exclusive open)
 * @state: READ_ONCE/WRITE_ONCE, no lock
 * @lock: protects @server and @server_set
 * @server: per-device server address (port not set), if @server_set
 * @server_set: @server overrides the module parameter
 * @session_id: the id every open asks for its session, random, fixed for
 *	the module's life: a new session replaces the device's previous one
 *	on the server, which may still be waiting to be resumed
 * @stats: counters, survive reconnects
 */
struct toaster_dev {
	struct miscdevice misc;
	char name[16];
	unsigned int serial;
	unsigned long open;
	enum toaster_dev_state state;
	struct mutex lock;		/* protects server, server_set */
	struct sockaddr_storage server;
	bool server_set;
	u8 session_id[RIO_SESSION_LEN];
	struct toaster_dev_stats stats;
};

/**
 * struct toaster_xport_ops - how a link talks to its transport
 * @send: send one frame; @payload (kvmalloc()ed or NULL, @msg->length
 *	bytes) is owned by the transport from the call on. Same contract as
 *	rio_conn_send(); may call toaster_link_dead() before returning.
 *	Never waits for the peer.
 * @abort: fail the transport with @err; calls toaster_link_dead() once.
 *	Process context; never called with toaster_link.lock held.
 * @reconnect: optional: close the dead transport and start a new one to
 *	the same server (non-blocking, like open), for a resume. Process
 *	context. Return: 0 or a negative errno (tried again later).
 *
 * The real transport is rio_conn (connect.c); the KUnit suite plugs in a
 * fake one.
 */
struct toaster_xport_ops {
	int (*send)(struct toaster_link *link, const struct rio_msg *msg,
		    void *payload);
	void (*abort)(struct toaster_link *link, int err);
	int (*reconnect)(struct toaster_link *link);
};

/**
 * struct toaster_req - one request and, once done, its result
 * @msg: the request header; @msg.tag is assigned by toaster_link_submit()
 * @payload: @msg.length bytes from rio_buf_alloc() or NULL; the link
 *	owns them once submitted
 * @resp_buf: where the response payload is copied (at most @resp_max
 *	bytes). A READ's is a rio_buf the caller holds a reference on: the
 *	slot takes another, and the toast is received straight into it
 *	(toaster_link_rx_buf())
 * @resp_max: size of @resp_buf
 * @slot: index of the request's entry in toaster_link.slots
 * @done: the response (or the link's death) completed the request
 * @err: result: 0 or a negative errno
 * @resp_len: response payload length
 * @resp_arg: response arg (bytes accepted by a WRITE)
 * @start_ns: when the request was sent, ktime_get_ns()
 *
 * @done, @err, @resp_len and @resp_arg are written under toaster_link.lock
 * by whoever completes the request (@done last, with WRITE_ONCE, as the
 * waiter's wait condition reads it without the lock), and read by the
 * waiter after it saw @done under the same lock.
 */
struct toaster_req {
	struct rio_msg msg;
	void *payload;
	void *resp_buf;
	u32 resp_max;
	unsigned int slot;
	bool done;
	int err;
	u32 resp_len;
	u32 resp_arg;
	u64 start_ns;
};

/* toaster_link_request() flags */
#define TOASTER_REQ_RESOLVE	0x1	/* on a signal, learn the outcome */
#define TOASTER_REQ_NONBLOCK	0x2	/* never wait for another request */

/**
 * struct toaster_slot - an outstanding tag
 * @msg: the request as sent; @msg.tag == 0: the slot is free
 * @req: its waiter, NULL once the request was cancelled: its response is
 *	then dropped (or stashed, for a READ) when it arrives; NULL for a
 *	write-behind WRITE too
 * @behind: a write-behind WRITE: write() has returned, the answer is
 *	checked by the receive work (an error goes to toaster_link.wb_err)
 * @payload: the request's payload (a rio_buf reference), kept until
 *	the answer comes, to be sent again after a resume
 * @rbuf: a READ's toaster_req.resp_buf (a rio_buf reference): where its
 *	toast lands, whether its caller still waits or not; a cancelled
 *	READ's toast becomes the stash there
 * @seq: order of submission: requests are sent again in this order
 * @resend: not sent on the current connection yet (resuming)
 * @probe: a keepalive PING, forgotten when the connection dies
 */
struct toaster_slot {
	struct rio_msg msg;
	struct toaster_req *req;
	bool behind;
	void *payload;
	void *rbuf;
	u64 seq;
	bool resend;
	bool probe;
};

/**
 * struct toaster_stash - toast that left the server but is not read yet
 * @buf: the buffer it arrived in (a rio_buf reference)
 * @off: where the bytes not read yet start in @buf
 * @len: how many there are
 */
struct toaster_stash {
	void *buf;
	u32 off;
	u32 len;
};

/**
 * struct toaster_link - the client side of one connection (one open file)
 * @dev: the device, outlives the link
 * @xops: transport operations
 * @xpriv: transport data (the struct rio_conn)
 * @net: network namespace of the socket (the opener's), referenced
 * @psk: the pre-shared key of secure mode, NULL: plain
 * @timeout: bound of the connect, of every request and of every wait for a
 *	response, in jiffies
 * @deadline: jiffies by which connect and HELLO must be done
 * @connect_work: aborts the link at @deadline if it is not up by then
 * @max_payload: largest frame payload the server accepts (from HELLO)
 * @max_inflight: requests the server accepts outstanding (from HELLO)
 * @notify: the server sends NOTIFY frames, @ready is meaningful
 * @credit: the server reports its slot's room in every answer
 *	(RIO_CAP_CREDIT): write() may return before the WRITE is answered
 * @req_mutex: one caller's requests in flight: held from submit to
 *	completion (a read() sends up to TOASTER_READ_DEPTH READs under it)
 * @read_mutex: serializes read()
 * @lock: spinlock, protects @state, @err, @connect_err, @slots,
 *	@next_tag, @ready, @reads_cancelled, @stash, @stash_head, @stash_n,
 *	@stash_len, @stash_gen, @rx_hold, @room, @behind, @wb_err and the
 *	completion fields of every struct toaster_req in @slots
 * @state: enum toaster_link_state; written under @lock with WRITE_ONCE
 * @err: the first error of the connection
 * @connect_err: why the link never came up (0 once it did): reported by
 *	every call, e.g. -ECONNREFUSED, -ETIMEDOUT, -EBUSY
 * @slots: outstanding tags
 * @next_tag: next tag to try, never 0
 * @ready: RIO_READY_* of the last NOTIFY
 * @reads_cancelled: cancelled READs still outstanding: no new READ is
 *	sent until they are answered, so that their late toast (stashed) and
 *	the next READ's stay in order; written with WRITE_ONCE
 * @stash: toast that arrived for cancelled READs, or that read() could not
 *	copy to the user, in order: a ring of @stash_n entries from
 *	@stash_head. No READ is sent while it holds any, so at most
 *	TOASTER_READ_DEPTH entries
 * @stash_head: the oldest entry of @stash
 * @stash_n: entries in @stash
 * @stash_len: bytes in @stash; read() returns them before asking the
 *	server for more
 * @stash_gen: bumped when POP or RESET throws the stash away
 * @rx_hold: a reference on the READ buffer a payload is being received
 *	into (toaster_link_rx_buf()), dropped once the frame is handled: the
 *	buffer outlives a caller that gives up meanwhile
 * @room: the room the server reported in its last answer; minus the
 *	WRITEs still outstanding, what a write-behind may use
 * @behind: write-behind WRITEs outstanding; READ_ONCE in wait conditions
 * @wb_err: a write-behind WRITE failed (-EIO): reported, once, by the next
 *	read, write, ioctl, fsync or close of the file
 * @hello: the HELLO request, outstanding while connecting
 * @hello_resp: its answer's payload
 * @hello_wait_ms: the wait_ms the HELLO asked for
 * @wq: waiters for a request to complete, a cancelled READ to resolve or
 *	the link to come up
 * @sync_wq: fsync() and close() waiting for the write-behind WRITEs;
 *	woken when the last is answered and on death
 * @poll_wq: poll() waiters; woken on NOTIFY, on stashed data, when the
 *	link comes up, when the last write-behind is answered and on death
 * @addr: the server's address and port, for reconnects
 * @addrlen: its length
 * @wq_work: workqueue of @resume_work and @keepalive_work
 * @next_seq: the next slot's toaster_slot.seq
 * @session: the session the server granted (zero: none): the link can be
 *	resumed (@lock)
 * @resume_ms: how long to try to resume, in jiffies (0: never)
 * @resume_deadline: jiffies by which a resume must be done (@lock)
 * @resume_err: what killed the connection the resume replaces (@lock)
 * @resume_phase: enum toaster_resume_phase (@lock)
 * @backoff: delay before the next attempt, in jiffies (@lock)
 * @resume_unproven: resumed, but no request answered since (@lock): if
 *	the connection dies again, it is the same loss, with the same
 *	deadline and a growing backoff (a frame that kills every connection
 *	it is resent on must not be resent for ever)
 * @resume_work: runs the resume (resume.c)
 * @keepalive: idle time after which a PING is sent, in jiffies (0: none)
 * @keepalive_work: sends the PING, declares a silent server dead
 * @last_rx: jiffies of the last frame received, WRITE_ONCE
 * @last_tx: jiffies of the last frame sent, WRITE_ONCE
 * @probes: keepalive PINGs sent since the last frame received (@lock)
 */
struct toaster_link {
	struct toaster_dev *dev;
	const struct toaster_xport_ops *xops;
	void *xpriv;
	struct net *net;
	const struct rio_psk *psk;
	unsigned long timeout;
	unsigned long deadline;
	struct delayed_work connect_work;
	u32 max_payload;
	u32 max_inflight;
	bool notify;
	bool credit;

	struct mutex req_mutex;		/* one caller's requests in flight */
	struct mutex read_mutex;	/* one read() */

	spinlock_t lock;		/* see the kernel-doc above */
	enum toaster_link_state state;
	int err;
	int connect_err;
	struct toaster_slot slots[TOASTER_MAX_TAGS];
	u32 next_tag;
	u32 ready;
	unsigned int reads_cancelled;
	struct toaster_stash stash[TOASTER_READ_DEPTH];
	unsigned int stash_head;
	unsigned int stash_n;
	u32 stash_len;
	u32 stash_gen;
	void *rx_hold;
	u32 room;
	unsigned int behind;
	int wb_err;

	struct toaster_req hello;
	struct rio_hello hello_resp;
	u32 hello_wait_ms;

	wait_queue_head_t wq;
	wait_queue_head_t sync_wq;
	wait_queue_head_t poll_wq;

	struct sockaddr_storage addr;
	int addrlen;
	struct workqueue_struct *wq_work;
	u64 next_seq;
	u8 session[RIO_SESSION_LEN];
	unsigned long resume_ms;
	unsigned long resume_deadline;
	int resume_err;
	enum toaster_resume_phase resume_phase;
	unsigned long backoff;
	bool resume_unproven;
	struct delayed_work resume_work;
	unsigned long keepalive;
	struct delayed_work keepalive_work;
	unsigned long last_rx;
	unsigned long last_tx;
	unsigned int probes;
};

/* link.c */
void toaster_dev_init(struct toaster_dev *dev, unsigned int serial);
const char *toaster_state_str(enum toaster_dev_state state);
struct toaster_link *toaster_link_alloc(struct toaster_dev *dev,
					unsigned int timeout_ms);
void toaster_link_free(struct toaster_link *link);
int toaster_link_frame(struct toaster_link *link, const struct rio_msg *msg,
		       const void *payload);
void toaster_link_dead(struct toaster_link *link, int err);
int toaster_link_status(struct toaster_link *link);
void toaster_link_set_state(struct toaster_link *link,
			    enum toaster_link_state state, int err);
int toaster_link_wait_up(struct toaster_link *link, bool nonblock);
int toaster_slot_get(struct toaster_link *link, struct toaster_req *req);
void toaster_slot_free(struct toaster_slot *slot);
bool toaster_link_resumable(struct toaster_link *link);
u32 toaster_link_credit(struct toaster_link *link);
void *toaster_link_rx_buf(struct toaster_link *link, const struct rio_msg *msg);
int toaster_link_take_wb_err(struct toaster_link *link);

/* request.c */
int toaster_link_lock(struct toaster_link *link, bool nonblock);
int toaster_link_xmit(struct toaster_link *link, const struct rio_msg *msg,
		      void *payload);
int toaster_link_submit(struct toaster_link *link, struct toaster_req *req);
int toaster_link_submit_more(struct toaster_link *link,
			     struct toaster_req *req);
int toaster_link_wait(struct toaster_link *link, struct toaster_req *req,
		      bool resolve);
bool toaster_link_cancel(struct toaster_link *link, struct toaster_req *req);
int toaster_link_request(struct toaster_link *link, struct toaster_req *req,
			 unsigned int flags);
void toaster_link_req_end(struct toaster_link *link, struct toaster_req *req,
			  int ret);
int toaster_link_submit_behind(struct toaster_link *link, struct rio_msg *msg,
			       void *payload);
int toaster_link_sync(struct toaster_link *link);

/* resume.c */
void toaster_link_resume_init(struct toaster_link *link,
			      struct workqueue_struct *wq,
			      unsigned int resume_ms,
			      unsigned int keepalive_ms);
void toaster_link_resume_stop(struct toaster_link *link);
bool toaster_link_dead_resume(struct toaster_link *link, int err);
int toaster_link_resumed(struct toaster_link *link);
void toaster_link_keepalive_start(struct toaster_link *link);

/* connect.c */
int toaster_link_hello_start(struct toaster_link *link, unsigned int wait_ms);
int toaster_link_hello_done(struct toaster_link *link);
/**
 * struct toaster_link_params - how a link behaves, from the module
 *	parameters at open
 * @timeout_ms: bound of connect and HELLO, and of every request
 * @resume_ms: how long to try to resume a session (0: no sessions)
 * @keepalive_ms: idle time before a keepalive PING (0: none)
 * @psk: the module's pre-shared key (secure mode), or NULL (plain)
 */
struct toaster_link_params {
	unsigned int timeout_ms;
	unsigned int resume_ms;
	unsigned int keepalive_ms;
	const struct rio_psk *psk;
};

struct toaster_link *toaster_connect(struct toaster_dev *dev,
				     const struct sockaddr_storage *server,
				     const struct toaster_link_params *params,
				     struct workqueue_struct *wq);
void toaster_disconnect(struct toaster_link *link);

/* io.c */
struct iov_iter;

ssize_t toaster_link_read(struct toaster_link *link, struct iov_iter *to,
			  bool nonblock);
ssize_t toaster_link_write(struct toaster_link *link, struct iov_iter *from,
			   bool nonblock);
__poll_t toaster_link_poll_mask(struct toaster_link *link);
void toaster_link_stash_push(struct toaster_link *link, void *buf, u32 off,
			     u32 len);
void toaster_link_discard_stash(struct toaster_link *link);

/* ioctl.c */
long toaster_link_ioctl(struct toaster_link *link, unsigned int cmd,
			void __user *argp, bool nonblock);

#endif /* _TOASTER_CLIENT_H */
