/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Remote toaster client: one /dev/toasterN per remote toaster, each open
 * file one RIO connection ("link") to the server's toaster N.
 *
 * client_main.c: module parameters, misc devices, file operations, sysfs.
 * client_core.c: everything behind an open file: connect and HELLO, the
 * request lifecycle (tags, matching, cancel, timeout, disconnect), read,
 * write, poll and ioctl. It reaches the network only through struct
 * toaster_xport_ops, so the KUnit suite can run it on a fake transport.
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
#include <toaster/rio.h>
#include <uapi/linux/toaster.h>

struct rio_conn;
struct toaster_link;
struct workqueue_struct;

/* Outstanding tags per link: the one request in flight plus cancelled ones */
#define TOASTER_MAX_TAGS	16

/* enum toaster_dev_state: what sysfs "state" shows */
enum toaster_dev_state {
	TOASTER_DISCONNECTED,	/* not open */
	TOASTER_CONNECTING,	/* open() is connecting or saying HELLO */
	TOASTER_CONNECTED,	/* open, the connection is alive */
	TOASTER_DEAD,		/* open, the connection failed: close and reopen */
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
};

/**
 * struct toaster_dev - one /dev/toasterN, lives from module load to unload
 * @misc: the misc device; its this_device carries the sysfs attributes
 * @name: "toasterN", @misc.name points here
 * @serial: N; the toaster listens on port RIO_BASE_PORT + N
 * @open: bit 0 set while a file is open (exclusive open)
 * @state: enum toaster_dev_state, READ_ONCE/WRITE_ONCE, no lock
 * @lock: protects @server and @server_set
 * @server: per-device server address (port not set), if @server_set
 * @server_set: @server overrides the module parameter
 * @stats: counters, survive reconnects
 */
struct toaster_dev {
	struct miscdevice misc;
	char name[16];
	unsigned int serial;
	unsigned long open;
	int state;
	struct mutex lock;		/* protects server, server_set */
	struct sockaddr_storage server;
	bool server_set;
	struct toaster_dev_stats stats;
};

/**
 * struct toaster_xport_ops - how a link talks to its transport
 * @send: send one frame; @payload (kvmalloc()ed or NULL, @msg->length
 *	bytes) is owned by the transport from the call on. Same contract as
 *	rio_conn_send(); may call toaster_link_dead() before returning.
 * @abort: fail the transport with @err; calls toaster_link_dead() once.
 *	Process context; never called with toaster_link.lock held.
 *
 * The real transport is rio_conn; the KUnit suite plugs in a fake one.
 */
struct toaster_xport_ops {
	int (*send)(struct toaster_link *link, const struct rio_msg *msg,
		    void *payload);
	void (*abort)(struct toaster_link *link, int err);
};

/**
 * struct toaster_req - one request and, once done, its result
 * @msg: the request header; @msg.tag is assigned by toaster_link_submit()
 * @payload: @msg.length bytes from kvmalloc() or NULL; the transport owns
 *	them once submitted
 * @resp_buf: where the response payload is copied (at most @resp_max bytes)
 * @resp_max: size of @resp_buf
 * @slot: index of the request's entry in toaster_link.slots
 * @done: the response (or the link's death) completed the request
 * @err: result: 0 or a negative errno
 * @resp_len: response payload length
 * @resp_arg: response arg (bytes accepted by a WRITE)
 * @start_ns: when the request was sent, ktime_get_ns()
 *
 * @done, @err, @resp_len and @resp_arg are written under toaster_link.lock
 * by whoever completes the request, and read by the waiter after it saw
 * @done under the same lock.
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

/**
 * struct toaster_slot - an outstanding tag
 * @msg: the request as sent; @msg.tag == 0: the slot is free
 * @req: its waiter, NULL once the request was cancelled: its response is
 *	then dropped (or stashed, for a READ) when it arrives
 */
struct toaster_slot {
	struct rio_msg msg;
	struct toaster_req *req;
};

/**
 * struct toaster_link - the client side of one connection (one open file)
 * @dev: the device, outlives the link
 * @xops: transport operations
 * @xpriv: transport data (the struct rio_conn)
 * @timeout: bound of the connect, of every request and of every wait for a
 *	response, in jiffies
 * @max_payload: largest frame payload the server accepts (from HELLO)
 * @notify: the server sends NOTIFY frames, @ready is meaningful
 * @req_mutex: one request in flight: held from submit to completion
 * @read_mutex: serializes read(); owns @rbuf while no READ is outstanding
 * @lock: spinlock, protects @slots, @next_tag, @dead, @resetting, @closing,
 *	@err, @ready,
 *	@read_cancelled, @stash_off, @stash_len and the completion fields of
 *	every struct toaster_req in @slots
 * @slots: outstanding tags
 * @next_tag: next tag to try, never 0
 * @dead: the connection failed; nothing more is sent or completed
 * @resetting: a request timed out and the connection is being reset:
 *	responses still arriving are dropped quietly
 * @closing: release() said BYE: the end of the connection is expected
 * @err: why, the first error
 * @ready: RIO_READY_* of the last NOTIFY
 * @read_cancelled: a cancelled READ is still outstanding: no new READ is
 *	sent until it is answered, so that its late data (stashed) and the
 *	next READ's data stay in order
 * @rbuf: RIO_MAX_PAYLOAD bytes: the payload of READ responses and the stash
 * @stash_off: offset of stashed bytes in @rbuf
 * @stash_len: bytes of toast that arrived for a cancelled READ; read() returns
 *	them before asking the server for more
 * @wq: waiters for a request to complete or a cancelled READ to resolve
 * @poll_wq: poll() waiters; woken on NOTIFY, on stashed data and on death
 */
struct toaster_link {
	struct toaster_dev *dev;
	const struct toaster_xport_ops *xops;
	void *xpriv;
	unsigned long timeout;
	u32 max_payload;
	bool notify;

	struct mutex req_mutex;		/* one request in flight */
	struct mutex read_mutex;	/* one read(); owns rbuf */

	spinlock_t lock;		/* see the kernel-doc above */
	struct toaster_slot slots[TOASTER_MAX_TAGS];
	u32 next_tag;
	bool dead;
	bool resetting;
	bool closing;
	int err;
	u32 ready;
	bool read_cancelled;
	u8 *rbuf;
	u32 stash_off;
	u32 stash_len;

	wait_queue_head_t wq;
	wait_queue_head_t poll_wq;
};

void toaster_dev_init(struct toaster_dev *dev, unsigned int serial);
const char *toaster_state_str(int state);

struct toaster_link *toaster_link_alloc(struct toaster_dev *dev,
					unsigned int timeout_ms);
void toaster_link_free(struct toaster_link *link);
int toaster_link_frame(struct toaster_link *link, const struct rio_msg *msg,
		       const void *payload);
void toaster_link_dead(struct toaster_link *link, int err);

int toaster_link_submit(struct toaster_link *link, struct toaster_req *req);
int toaster_link_wait(struct toaster_link *link, struct toaster_req *req,
		      bool resolve);
bool toaster_link_cancel(struct toaster_link *link, struct toaster_req *req);
int toaster_link_request(struct toaster_link *link, struct toaster_req *req,
			 bool resolve);
int toaster_link_hello(struct toaster_link *link, unsigned int wait_ms);

struct toaster_link *toaster_connect(struct toaster_dev *dev,
				     const struct sockaddr_storage *server,
				     unsigned int timeout_ms,
				     struct workqueue_struct *wq);
void toaster_disconnect(struct toaster_link *link);

ssize_t toaster_link_read(struct toaster_link *link, char __user *buf,
			  size_t count, bool nonblock);
ssize_t toaster_link_write(struct toaster_link *link, const char __user *buf,
			   size_t count, bool nonblock);
__poll_t toaster_link_poll_mask(struct toaster_link *link);
long toaster_link_ioctl(struct toaster_link *link, unsigned int cmd,
			void __user *argp);

#endif /* _TOASTER_CLIENT_H */
