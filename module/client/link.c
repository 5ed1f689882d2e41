// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: connection and request lifecycle.
 *
 * One open file of /dev/toasterN is one struct toaster_link, the client
 * half of one RIO connection. Requests are strictly one at a time per link
 * (req_mutex); each gets a fresh non-zero tag and an entry ("slot") in a
 * small table that also remembers requests cancelled by a signal until the
 * server answers them, so that a late response is recognised and dropped
 * instead of being taken for the answer to a newer request.
 *
 * Contexts:
 *  - syscalls (open, read, write, ioctl, poll, release): process context,
 *    they submit a request and sleep until it completes, bounded by the
 *    link's timeout, interruptible by signals;
 *  - toaster_link_frame(): the connection's receive work (process context,
 *    never concurrent with itself): matches a response to its slot, copies
 *    the payload, completes the request and wakes its waiter;
 *  - toaster_link_dead(): called once by the transport when the connection
 *    fails, from whatever context saw it (receive work, a sender, an
 *    abort); it does not sleep: it fails every outstanding request with
 *    -ECONNRESET and wakes waiters and pollers.
 *
 * Locking:
 *  - toaster_link.req_mutex: one request in flight; held across submit and
 *    wait, never by the receive work or toaster_link_dead();
 *  - toaster_link.read_mutex: one read() at a time; whoever holds it owns
 *    toaster_link.rbuf while no READ is outstanding;
 *  - toaster_link.lock (spinlock, process context only): the tag table, the
 *    readiness mask, the stash, the dead flag and the completion fields of
 *    the requests in the table. Never held while calling the transport,
 *    which may call back into toaster_link_dead().
 *  - toaster_dev.lock (mutex): the per-device server address.
 * Lock order: read_mutex -> req_mutex -> (transport) -> lock.
 *
 * Cancellation: a signal cancels the request: a CANCEL frame is sent, the
 * slot forgets its waiter, and the waiter returns -ERESTARTSYS at once. The
 * server then answers the request with CANCELED or, if it had completed
 * already, with its normal result, which the receive work drops - except
 * for toast: toast in the late answer to a cancelled READ has left the
 * server's toaster, so it is kept in the link's stash and returned by the
 * next read() before anything else. To keep bytes in order, no new READ is
 * sent while a cancelled READ is unanswered. A WRITE is not abandoned like
 * that (its bytes may already be in the toaster and a retried write would
 * duplicate them): after the CANCEL, the writer waits, killable and bounded
 * by the timeout, for the answer and reports the bytes the server took.
 *
 * Teardown (toaster_disconnect, from release): BYE -> rio_conn_close(),
 * which aborts the connection (toaster_link_dead() runs if it has not),
 * restores the socket callbacks, waits for the receive work and releases
 * the socket -> free the link. No syscall can run on the file by then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "client.h"
#include "rio_conn.h"

static const char * const toaster_state_names[] = {
	[TOASTER_DISCONNECTED]	= "disconnected",
	[TOASTER_CONNECTING]	= "connecting",
	[TOASTER_CONNECTED]	= "connected",
	[TOASTER_DEAD]		= "dead",
};

/**
 * toaster_state_str() - name of a device state, as sysfs shows it
 * @state: enum toaster_dev_state
 *
 * Return: a static string.
 */
const char *toaster_state_str(int state)
{
	if (state < 0 || state >= ARRAY_SIZE(toaster_state_names))
		return "?";
	return toaster_state_names[state];
}

/**
 * toaster_dev_init() - initialize the state of a device, not its misc device
 * @dev: zeroed device
 * @serial: toaster number N (port RIO_BASE_PORT + N)
 */
void toaster_dev_init(struct toaster_dev *dev, unsigned int serial)
{
	dev->serial = serial;
	snprintf(dev->name, sizeof(dev->name), "toaster%u", serial);
	dev->state = TOASTER_DISCONNECTED;
	mutex_init(&dev->lock);
}

/**
 * toaster_link_alloc() - allocate the client state of one connection
 * @dev: device the link belongs to
 * @timeout_ms: bound of every request, in milliseconds
 *
 * The caller sets toaster_link.xops and .xpriv before the first request.
 *
 * Return: the link or NULL.
 */
struct toaster_link *toaster_link_alloc(struct toaster_dev *dev,
					unsigned int timeout_ms)
{
	struct toaster_link *link;

	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return NULL;
	link->rbuf = kvmalloc(RIO_MAX_PAYLOAD, GFP_KERNEL);
	if (!link->rbuf) {
		kfree(link);
		return NULL;
	}
	link->dev = dev;
	link->timeout = max(msecs_to_jiffies(timeout_ms), 1UL);
	link->max_payload = RIO_MAX_PAYLOAD;
	link->next_tag = 1;
	mutex_init(&link->req_mutex);
	mutex_init(&link->read_mutex);
	spin_lock_init(&link->lock);
	init_waitqueue_head(&link->wq);
	init_waitqueue_head(&link->poll_wq);
	return link;
}

/**
 * toaster_link_free() - free a link whose transport is gone
 * @link: link, or NULL
 */
void toaster_link_free(struct toaster_link *link)
{
	if (!link)
		return;
	mutex_destroy(&link->req_mutex);
	mutex_destroy(&link->read_mutex);
	kvfree(link->rbuf);
	kfree(link);
}

/* Caller holds link->lock. */
static struct toaster_slot *toaster_slot_find(struct toaster_link *link,
					      u32 tag)
{
	unsigned int i;

	lockdep_assert_held(&link->lock);
	for (i = 0; i < TOASTER_MAX_TAGS; i++)
		if (link->slots[i].msg.tag == tag)
			return &link->slots[i];
	return NULL;
}

/*
 * Take a free slot and a tag for @req: the tag counter skips 0 and every
 * tag still outstanding. Caller holds link->lock. Return: 0 or -ENOBUFS.
 */
static int toaster_slot_get(struct toaster_link *link, struct toaster_req *req)
{
	struct toaster_slot *slot;
	u32 tag;

	lockdep_assert_held(&link->lock);
	slot = toaster_slot_find(link, 0);
	if (!slot)
		return -ENOBUFS;
	do {
		tag = link->next_tag++;
		if (!link->next_tag)
			link->next_tag = 1;
	} while (toaster_slot_find(link, tag));

	req->msg.tag = tag;
	req->slot = slot - link->slots;
	slot->msg = req->msg;
	slot->req = req;
	return 0;
}

/* Caller holds link->lock. */
static void toaster_slot_free(struct toaster_slot *slot)
{
	memset(&slot->msg, 0, sizeof(slot->msg));
	slot->req = NULL;
}

/**
 * toaster_link_frame() - handle a frame from the server
 * @link: link
 * @msg: validated header (rio_decode() accepted it as a response)
 * @payload: @msg->length bytes, valid during the call only
 *
 * Receive work context. A NOTIFY updates the readiness and wakes pollers.
 * A response must match an outstanding tag and fit its request
 * (rio_check_reply()): its payload is copied to the waiter and the waiter
 * woken. The response to a cancelled request is dropped, except for the
 * toast of a cancelled READ, which goes to the stash.
 *
 * Return: 0, or -EPROTO for a response to an unknown tag, a duplicate
 * response or a response that does not fit its request: the caller then
 * aborts the connection.
 */
int toaster_link_frame(struct toaster_link *link, const struct rio_msg *msg,
		       const void *payload)
{
	struct toaster_slot *slot;
	struct toaster_req *req;
	bool wake_poll = false;
	int bad;

	if (msg->opcode == RIO_OP_NOTIFY) {
		spin_lock(&link->lock);
		link->ready = msg->arg;
		spin_unlock(&link->lock);
		wake_up_interruptible_poll(&link->poll_wq,
					   EPOLLIN | EPOLLRDNORM |
					   EPOLLOUT | EPOLLWRNORM);
		return 0;
	}

	spin_lock(&link->lock);
	if (link->resetting) {
		/* Too late: the connection is being reset for a timeout. */
		spin_unlock(&link->lock);
		return -ETIMEDOUT;
	}
	slot = msg->tag ? toaster_slot_find(link, msg->tag) : NULL;
	if (!slot) {
		spin_unlock(&link->lock);
		pr_warn_ratelimited("%s: %s response with unknown tag %u, closing\n",
				    link->dev->name, rio_op_str(msg->opcode),
				    msg->tag);
		return -EPROTO;
	}

	req = slot->req;
	bad = rio_check_reply(&slot->msg, msg);
	/* Cannot happen for a valid request; the buffer is what counts. */
	if (!bad && req && msg->length > req->resp_max)
		bad = RIO_BAD_MISMATCH;
	if (bad) {
		spin_unlock(&link->lock);
		pr_warn_ratelimited("%s: %s response, tag %u, status %u, length %u, arg %u: %s, closing\n",
				    link->dev->name, rio_op_str(msg->opcode),
				    msg->tag, msg->status, msg->length,
				    msg->arg, rio_bad_str(bad));
		return -EPROTO;
	}

	if (msg->opcode == RIO_OP_READ)
		atomic64_add(msg->length, &link->dev->stats.bytes_in);

	if (req) {
		if (msg->length)
			memcpy(req->resp_buf, payload, msg->length);
		req->resp_len = msg->length;
		req->resp_arg = msg->arg;
		req->err = rio_status_to_errno(msg->status);
		atomic64_set(&link->dev->stats.last_rtt_ns,
			     ktime_get_ns() - req->start_ns);
		req->done = true;
	} else if (slot->msg.opcode == RIO_OP_READ) {
		/*
		 * Late answer to a cancelled READ. No READ is sent while
		 * one is cancelled and unanswered or the stash holds bytes,
		 * so the stash is empty and rbuf is free.
		 */
		if (msg->length && !WARN_ON_ONCE(link->stash_len)) {
			memcpy(link->rbuf, payload, msg->length);
			link->stash_off = 0;
			link->stash_len = msg->length;
		}
		link->read_cancelled = false;
		wake_poll = true;
	}
	toaster_slot_free(slot);
	spin_unlock(&link->lock);

	wake_up(&link->wq);
	if (wake_poll)
		wake_up_interruptible_poll(&link->poll_wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/**
 * toaster_link_dead() - the connection failed or was closed
 * @link: link
 * @err: first error of the connection (-ESHUTDOWN: closed by us)
 *
 * Called once by the transport. Does not sleep. Every outstanding request
 * fails with -ECONNRESET; later requests fail with -ENOTCONN. Waiters and
 * pollers are woken, pollers see EPOLLHUP | EPOLLERR.
 */
void toaster_link_dead(struct toaster_link *link, int err)
{
	struct toaster_slot *slot;
	unsigned int i;
	bool quiet;

	spin_lock(&link->lock);
	quiet = link->closing || err == -ESHUTDOWN;
	link->dead = true;
	link->err = err;
	for (i = 0; i < TOASTER_MAX_TAGS; i++) {
		slot = &link->slots[i];
		if (slot->req) {
			slot->req->err = -ECONNRESET;
			slot->req->done = true;
		}
		toaster_slot_free(slot);
	}
	link->read_cancelled = false;
	link->ready = 0;
	if (!link->closing)
		WRITE_ONCE(link->dev->state, TOASTER_DEAD);
	spin_unlock(&link->lock);

	if (!quiet)
		pr_info_ratelimited("%s: connection lost: %pe\n",
				    link->dev->name, ERR_PTR(err));
	wake_up_all(&link->wq);
	wake_up_interruptible_poll(&link->poll_wq, EPOLLHUP | EPOLLERR);
}

/**
 * toaster_link_submit() - send a request
 * @link: link
 * @req: request; @req->msg without tag, @req->payload (ownership passes),
 *	@req->resp_buf and @req->resp_max set
 *
 * Assigns the tag and enters the request in the tag table before sending
 * it, so that its response, however fast, finds it. Callers serialize
 * through toaster_link.req_mutex (see toaster_link_request()).
 *
 * Return: 0 when sent, -ENOTCONN if the link is dead, -ECONNRESET if it
 * died now (including when too many cancelled requests were never
 * answered: the connection is reset), -ENOMEM.
 */
int toaster_link_submit(struct toaster_link *link, struct toaster_req *req)
{
	void *payload = req->payload;
	int ret;

	req->payload = NULL;
	req->done = false;
	req->err = 0;
	req->resp_len = 0;
	req->resp_arg = 0;

	spin_lock(&link->lock);
	if (link->dead) {
		spin_unlock(&link->lock);
		kvfree(payload);
		return -ENOTCONN;
	}
	ret = toaster_slot_get(link, req);
	spin_unlock(&link->lock);
	if (ret) {
		kvfree(payload);
		pr_warn_ratelimited("%s: %u cancelled requests never answered, resetting the connection\n",
				    link->dev->name, TOASTER_MAX_TAGS);
		link->xops->abort(link, -ENOBUFS);
		return -ECONNRESET;
	}

	atomic64_inc(&link->dev->stats.requests);
	req->start_ns = ktime_get_ns();
	ret = link->xops->send(link, &req->msg, payload);
	if (ret) {
		spin_lock(&link->lock);
		if (req->done)		/* the connection died under us */
			ret = req->err;
		else if (link->slots[req->slot].req == req)
			toaster_slot_free(&link->slots[req->slot]);
		req->done = true;
		spin_unlock(&link->lock);
	}
	return ret;
}

/* Send a CANCEL for @tag; a dead connection has forgotten the tag anyway. */
static void toaster_send_cancel(struct toaster_link *link, u32 tag)
{
	struct rio_msg msg = { .opcode = RIO_OP_CANCEL, .arg = tag };

	atomic64_inc(&link->dev->stats.cancels);
	link->xops->send(link, &msg, NULL);
}

/* Caller holds link->lock: stop waiting for @req, drop its answer. */
static void toaster_req_detach(struct toaster_link *link,
			       struct toaster_req *req)
{
	lockdep_assert_held(&link->lock);
	link->slots[req->slot].req = NULL;
	if (req->msg.opcode == RIO_OP_READ)
		link->read_cancelled = true;
}

/**
 * toaster_link_cancel() - give up on a submitted request
 * @link: link
 * @req: request from toaster_link_submit()
 *
 * The request leaves the waiter: its answer, when it comes, is dropped
 * (toast of a READ is stashed), and the server is sent a CANCEL.
 *
 * Return: true if the request was cancelled, false if it had completed
 * already: its result is in @req.
 */
bool toaster_link_cancel(struct toaster_link *link, struct toaster_req *req)
{
	spin_lock(&link->lock);
	if (req->done) {
		spin_unlock(&link->lock);
		return false;
	}
	toaster_req_detach(link, req);
	spin_unlock(&link->lock);

	toaster_send_cancel(link, req->msg.tag);
	return true;
}

/* Caller holds link->lock: @req got no answer in time. */
static int toaster_req_timeout(struct toaster_link *link,
			       struct toaster_req *req)
	__releases(&link->lock)
{
	toaster_slot_free(&link->slots[req->slot]);
	req->done = true;
	link->resetting = true;
	spin_unlock(&link->lock);

	atomic64_inc(&link->dev->stats.timeouts);
	pr_warn_ratelimited("%s: %s got no answer in %u ms, resetting the connection\n",
			    link->dev->name, rio_op_str(req->msg.opcode),
			    jiffies_to_msecs(link->timeout));
	link->xops->abort(link, -ETIMEDOUT);
	return -ETIMEDOUT;
}

static bool toaster_req_done(struct toaster_req *req)
{
	return READ_ONCE(req->done);
}

/**
 * toaster_link_wait() - wait for a submitted request to complete
 * @link: link
 * @req: request from toaster_link_submit()
 * @resolve: on a signal, send CANCEL but wait (killable, bounded) for the
 *	answer instead of abandoning the request: for requests whose effect
 *	the caller must report, i.e. WRITE
 *
 * The wait is interruptible and bounded by the link's timeout. On timeout
 * the connection is reset. On a signal the request is cancelled.
 *
 * Return: 0 with the response in @req, the server's status as a negative
 * errno, -ETIMEDOUT, -ERESTARTSYS (cancelled by a signal), -EINTR (fatal
 * signal while resolving), -ECONNRESET (the connection died).
 */
int toaster_link_wait(struct toaster_link *link, struct toaster_req *req,
		      bool resolve)
{
	long left;
	int ret;

	left = wait_event_interruptible_timeout(link->wq, toaster_req_done(req),
						link->timeout);
	spin_lock(&link->lock);
	if (req->done)
		goto done;
	if (!left)
		return toaster_req_timeout(link, req);
	if (!resolve) {
		toaster_req_detach(link, req);
		spin_unlock(&link->lock);
		toaster_send_cancel(link, req->msg.tag);
		return -ERESTARTSYS;
	}
	spin_unlock(&link->lock);

	toaster_send_cancel(link, req->msg.tag);
	left = wait_event_killable_timeout(link->wq, toaster_req_done(req),
					   link->timeout);
	spin_lock(&link->lock);
	if (req->done) {
		if (req->err == -ECANCELED)
			req->err = -ERESTARTSYS;
		goto done;
	}
	if (!left)
		return toaster_req_timeout(link, req);
	toaster_req_detach(link, req);	/* fatal signal */
	spin_unlock(&link->lock);
	return -EINTR;

done:
	ret = req->err;
	spin_unlock(&link->lock);
	return ret;
}

/**
 * toaster_link_request() - send a request and wait for its answer
 * @link: link
 * @req: as for toaster_link_submit()
 * @resolve: as for toaster_link_wait()
 *
 * Requests of one link run one at a time, in the order they get the
 * req_mutex.
 *
 * Return: as toaster_link_wait(), or a toaster_link_submit() error.
 */
int toaster_link_request(struct toaster_link *link, struct toaster_req *req,
			 bool resolve)
{
	int ret;

	if (mutex_lock_interruptible(&link->req_mutex)) {
		kvfree(req->payload);
		req->payload = NULL;
		return -ERESTARTSYS;
	}
	ret = toaster_link_submit(link, req);
	if (!ret)
		ret = toaster_link_wait(link, req, resolve);
	mutex_unlock(&link->req_mutex);

	/* AGAIN is flow control, the caller decides whether to retry. */
	if (ret && ret != -EAGAIN)
		atomic64_inc(&link->dev->stats.errors);
	return ret;
}

/**
 * toaster_link_hello() - say HELLO on a fresh connection
 * @link: link whose transport is started
 * @wait_ms: longest time the server may park a blocking READ or WRITE
 *
 * Return: 0; -EBUSY (the toaster is held by another client), -ENODEV (no
 * such toaster there) or another refusal of the server; -EPROTO for an
 * invalid answer (including a wait_ms above the one asked for); any error
 * of toaster_link_request().
 */
int toaster_link_hello(struct toaster_link *link, unsigned int wait_ms)
{
	struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 1,
		.wait_ms = max(wait_ms, 1U),
	};
	struct toaster_req req = {};
	struct rio_hello resp;
	struct rio_hello *h;
	int ret, bad;

	h = kvmalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	rio_hello_encode(h, &info);

	req.msg.opcode = RIO_OP_HELLO;
	req.msg.arg = link->dev->serial;
	req.msg.length = sizeof(*h);
	req.payload = h;
	req.resp_buf = &resp;
	req.resp_max = sizeof(resp);
	ret = toaster_link_request(link, &req, false);
	if (ret)
		return ret;

	bad = req.resp_len == sizeof(resp) ? rio_hello_decode(&resp, &info) :
					     RIO_BAD_LENGTH;
	/* Parking longer than asked would run into our request timeout. */
	if (!bad && info.wait_ms > max(wait_ms, 1U))
		bad = RIO_BAD_ARG;
	if (bad) {
		pr_warn_ratelimited("%s: invalid HELLO answer: %s\n",
				    link->dev->name, rio_bad_str(bad));
		return -EPROTO;
	}
	link->max_payload = min(info.max_payload, RIO_MAX_PAYLOAD);
	link->notify = info.caps & RIO_CAP_NOTIFY;
	return 0;
}

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

static const struct rio_conn_ops toaster_conn_ops = {
	.frame = toaster_conn_frame,
	.dead = toaster_conn_dead,
};

/**
 * toaster_connect() - connect to a device's toaster and say HELLO
 * @dev: device
 * @server: server address, port ignored: RIO_BASE_PORT + serial is used
 * @timeout_ms: bound of the connect and of every request
 * @wq: workqueue of the connection
 *
 * The connect is a blocking kernel_connect() bounded by the socket's send
 * timeout: it sleeps interruptibly and returns -EINTR on a signal.
 *
 * Return: the link, or ERR_PTR(): -ECONNREFUSED (nothing listens),
 * -ETIMEDOUT, -EINTR, -EBUSY (another client holds the toaster), -ENODEV,
 * -ENOMEM, another socket or protocol error.
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
	int len, ret;

	len = rio_addr_set_port(&addr, RIO_BASE_PORT + dev->serial);

	link = toaster_link_alloc(dev, timeout_ms);
	if (!link)
		return ERR_PTR(-ENOMEM);

	ret = sock_create_kern(&init_net, addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret)
		goto err_link;
	/*
	 * A lockdep class of its own, as nvme-tcp does. Under lockdep this
	 * pins the module until the socket is destroyed, shortly after
	 * release() (TCP's close: up to tcp_fin_timeout if the peer hangs).
	 */
	rio_sock_reclassify(sock);
	rio_sock_setup(sock);

	/* Bounds the blocking connect; rio_conn never blocks in send. */
	lock_sock(sock->sk);
	WRITE_ONCE(sock->sk->sk_sndtimeo, link->timeout);
	release_sock(sock->sk);
	ret = kernel_connect(sock, (struct sockaddr *)&addr, len, 0);
	if (ret == -EINPROGRESS || ret == -EALREADY)
		ret = -ETIMEDOUT;	/* still in SYN_SENT at the timeout */
	if (ret) {
		sock_release(sock);
		goto err_link;
	}

	conn = rio_conn_create(sock, wq, RIO_DIR_RESPONSE, &toaster_conn_ops,
			       link);
	if (IS_ERR(conn)) {
		ret = PTR_ERR(conn);
		goto err_link;
	}
	link->xops = &toaster_rio_xport;
	link->xpriv = conn;
	rio_conn_start(conn);

	ret = toaster_link_hello(link, timeout_ms / 2);
	if (ret) {
		rio_conn_close(conn);
		goto err_link;
	}
	atomic64_inc(&dev->stats.connects);
	return link;

err_link:
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

	/* The server closes after BYE: not worth a log line. */
	spin_lock(&link->lock);
	link->closing = true;
	spin_unlock(&link->lock);
	link->xops->send(link, &bye, NULL);	/* -ENOTCONN if dead: fine */
	rio_conn_close(link->xpriv);
	toaster_link_free(link);
}

/* Return stashed toast: bytes, 0 if the stash is empty, or -EFAULT. */
static ssize_t toaster_read_stash(struct toaster_link *link, char __user *buf,
				  size_t count)
{
	size_t n, left;
	u32 off;

	spin_lock(&link->lock);
	n = min_t(size_t, count, link->stash_len);
	off = link->stash_off;
	spin_unlock(&link->lock);
	if (!n)
		return 0;

	/* rbuf is stable: no READ is outstanding while the stash is full. */
	left = copy_to_user(buf, link->rbuf + off, n);
	if (left == n)
		return -EFAULT;
	n -= left;

	spin_lock(&link->lock);
	link->stash_off += n;
	link->stash_len -= n;
	spin_unlock(&link->lock);
	return n;
}

/* One READ. Return: bytes, 0 at EOF, or a negative errno. */
static ssize_t toaster_read_once(struct toaster_link *link, char __user *buf,
				 size_t count, bool nonblock)
{
	struct toaster_req req = {};
	size_t left;
	int ret;

	req.msg.opcode = RIO_OP_READ;
	req.msg.flags = nonblock ? RIO_F_NONBLOCK : 0;
	req.msg.arg = min_t(size_t, count, RIO_MAX_PAYLOAD);
	req.resp_buf = link->rbuf;
	req.resp_max = req.msg.arg;
	ret = toaster_link_request(link, &req, false);
	if (ret)
		return ret;
	if (!req.resp_len)
		return 0;

	left = copy_to_user(buf, link->rbuf, req.resp_len);
	if (left) {
		/* Keep what did not reach the user: no toast is lost. */
		spin_lock(&link->lock);
		link->stash_off = req.resp_len - left;
		link->stash_len = left;
		spin_unlock(&link->lock);
		if (left == req.resp_len)
			return -EFAULT;
	}
	return req.resp_len - left;
}

static bool toaster_read_resolved(struct toaster_link *link)
{
	return !READ_ONCE(link->read_cancelled) || READ_ONCE(link->dead);
}

/* Wait until the cancelled READ is answered. Return: 0 or -errno. */
static int toaster_wait_read_resolved(struct toaster_link *link)
{
	long left;

	left = wait_event_interruptible_timeout(link->wq,
						toaster_read_resolved(link),
						link->timeout);
	if (left > 0 || toaster_read_resolved(link))
		return 0;
	if (left < 0)
		return -ERESTARTSYS;

	atomic64_inc(&link->dev->stats.timeouts);
	pr_warn_ratelimited("%s: cancelled READ got no answer in %u ms, resetting the connection\n",
			    link->dev->name, jiffies_to_msecs(link->timeout));
	link->xops->abort(link, -ETIMEDOUT);
	return -ETIMEDOUT;
}

/**
 * toaster_link_read() - read toast
 * @link: link
 * @buf: user buffer
 * @count: its size
 * @nonblock: O_NONBLOCK: never wait for toast
 *
 * Stashed toast comes first. Otherwise one READ of at most RIO_MAX_PAYLOAD
 * bytes; while blocking, a READ the server answers with AGAIN (it parks a
 * request at most wait_ms) is sent again, until toast, EOF or a signal.
 * Readers of one file take turns; an O_NONBLOCK read does not wait for
 * its turn: -EAGAIN.
 *
 * Return: bytes read, 0 at EOF (empty toaster), -EAGAIN, -ENOTCONN after the
 * connection died, -ERESTARTSYS, -ETIMEDOUT, -ECONNRESET, -EFAULT.
 */
ssize_t toaster_link_read(struct toaster_link *link, char __user *buf,
			  size_t count, bool nonblock)
{
	ssize_t ret;
	bool dead, busy;

	if (!count)
		return 0;
	/* A blocking reader may hold read_mutex until toast is ready. */
	if (nonblock) {
		if (!mutex_trylock(&link->read_mutex))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&link->read_mutex)) {
		return -ERESTARTSYS;
	}

	for (;;) {
		ret = toaster_read_stash(link, buf, count);
		if (ret)
			break;

		spin_lock(&link->lock);
		dead = link->dead;
		busy = link->read_cancelled;
		spin_unlock(&link->lock);
		if (dead) {
			ret = -ENOTCONN;
			break;
		}
		if (busy) {
			if (nonblock) {
				ret = -EAGAIN;
				break;
			}
			ret = toaster_wait_read_resolved(link);
			if (ret)
				break;
			continue;
		}

		ret = toaster_read_once(link, buf, count, nonblock);
		if (ret != -EAGAIN || nonblock)
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		cond_resched();
	}
	mutex_unlock(&link->read_mutex);
	return ret;
}

/**
 * toaster_link_write() - put bread into the toaster
 * @link: link
 * @buf: user buffer
 * @count: bytes to write
 * @nonblock: O_NONBLOCK: never wait for room
 *
 * The bytes go out in WRITE frames of at most the server's max_payload.
 * While blocking and nothing was accepted yet, a WRITE answered with AGAIN
 * is sent again. A signal cancels the WRITE in flight; the server's answer
 * tells how much of it was taken anyway.
 *
 * Return: bytes accepted (possibly fewer than @count), or a negative errno
 * when none were: -EAGAIN, -ENOTCONN, -ERESTARTSYS, -ETIMEDOUT,
 * -ECONNRESET, -EFAULT, -ENOMEM, the server's refusal.
 */
ssize_t toaster_link_write(struct toaster_link *link, const char __user *buf,
			   size_t count, bool nonblock)
{
	size_t done = 0;
	int ret = 0;

	while (done < count) {
		size_t n = min_t(size_t, count - done, link->max_payload);
		struct toaster_req req = {};
		void *p;

		if (done && signal_pending(current))
			break;
		p = kvmalloc(n, GFP_KERNEL);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		if (copy_from_user(p, buf + done, n)) {
			kvfree(p);
			ret = -EFAULT;
			break;
		}

		req.msg.opcode = RIO_OP_WRITE;
		req.msg.flags = nonblock ? RIO_F_NONBLOCK : 0;
		req.msg.length = n;
		req.payload = p;
		ret = toaster_link_request(link, &req, true);
		if (ret == -EAGAIN && !nonblock && !done) {
			if (signal_pending(current)) {
				ret = -ERESTARTSYS;
				break;
			}
			cond_resched();
			continue;
		}
		if (ret)
			break;
		done += req.resp_arg;
		atomic64_add(req.resp_arg, &link->dev->stats.bytes_out);
	}
	return done ? done : ret;
}

/**
 * toaster_link_poll_mask() - readiness of a link for poll()
 * @link: link
 *
 * EPOLLIN with stashed toast or when the last NOTIFY said RIO_READY_IN,
 * EPOLLOUT when it said RIO_READY_OUT, EPOLLHUP | EPOLLERR once the
 * connection is dead. A server without RIO_CAP_NOTIFY is always "ready":
 * the caller finds out with O_NONBLOCK.
 *
 * Return: the poll mask.
 */
__poll_t toaster_link_poll_mask(struct toaster_link *link)
{
	__poll_t mask = 0;

	spin_lock(&link->lock);
	if (link->stash_len)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (link->dead) {
		mask |= EPOLLHUP | EPOLLERR;
	} else if (!link->notify) {
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
	} else {
		if ((link->ready & RIO_READY_IN) && !link->read_cancelled)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (link->ready & RIO_READY_OUT)
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	spin_unlock(&link->lock);
	return mask;
}

/*
 * A forwarded ioctl: @in (@in_len bytes, already big-endian) out, @out_len
 * bytes (big-endian) back into @out.
 */
static int toaster_remote_ioctl(struct toaster_link *link, unsigned int nr,
				const void *in, u32 in_len, void *out,
				u32 out_len)
{
	struct toaster_req req = {};

	if (in_len) {
		req.payload = kvmalloc(in_len, GFP_KERNEL);
		if (!req.payload)
			return -ENOMEM;
		memcpy(req.payload, in, in_len);
	}
	req.msg.opcode = RIO_OP_IOCTL;
	req.msg.ioctl = nr;
	req.msg.arg = out_len;
	req.msg.length = in_len;
	req.resp_buf = out;
	req.resp_max = out_len;
	return toaster_link_request(link, &req, false);
}

static long toaster_ioctl_status(struct toaster_link *link, void __user *argp)
{
	struct toaster_status st;
	u8 w[sizeof(st)];
	int ret;

	ret = toaster_remote_ioctl(link, TOASTER_IOC_NR_STATUS, NULL, 0,
				   w, sizeof(w));
	if (ret)
		return ret;
	rio_args_from_wire(&st, w, sizeof(st), sizeof(u32));
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long toaster_ioctl_counters(struct toaster_link *link,
				   void __user *argp)
{
	struct toaster_counters c;
	u8 w[sizeof(c)];
	int ret;

	ret = toaster_remote_ioctl(link, TOASTER_IOC_NR_COUNTERS, NULL, 0,
				   w, sizeof(w));
	if (ret)
		return ret;
	rio_args_from_wire(&c, w, sizeof(c), sizeof(u64));
	return copy_to_user(argp, &c, sizeof(c)) ? -EFAULT : 0;
}

/* _IOW(__u32) commands: validated here, then forwarded. */
static long toaster_ioctl_set(struct toaster_link *link, unsigned int cmd,
			      u32 __user *argp, u32 min, u32 max)
{
	u32 val, w;

	if (get_user(val, argp))
		return -EFAULT;
	if (val < min || val > max)
		return -EINVAL;
	rio_args_to_wire(&w, &val, sizeof(w), sizeof(w));
	return toaster_remote_ioctl(link, _IOC_NR(cmd), &w, sizeof(w), NULL, 0);
}

static long toaster_ioctl_ping(struct toaster_link *link, void __user *argp)
{
	struct toaster_req req = {};
	struct toaster_ping p;
	u64 t0;
	int ret;

	req.msg.opcode = RIO_OP_PING;
	t0 = ktime_get_ns();
	ret = toaster_link_request(link, &req, false);
	if (ret)
		return ret;
	memset(&p, 0, sizeof(p));
	p.rtt_ns = ktime_get_ns() - t0;
	return copy_to_user(argp, &p, sizeof(p)) ? -EFAULT : 0;
}

static long toaster_ioctl_stats(struct toaster_dev *dev, void __user *argp)
{
	struct toaster_dev_stats *s = &dev->stats;
	struct toaster_stats st;

	memset(&st, 0, sizeof(st));
	st.requests = atomic64_read(&s->requests);
	st.bytes_out = atomic64_read(&s->bytes_out);
	st.bytes_in = atomic64_read(&s->bytes_in);
	st.errors = atomic64_read(&s->errors);
	st.timeouts = atomic64_read(&s->timeouts);
	st.cancels = atomic64_read(&s->cancels);
	st.connects = atomic64_read(&s->connects);
	st.last_rtt_ns = atomic64_read(&s->last_rtt_ns);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

/**
 * toaster_link_ioctl() - the ioctls of /dev/toasterN
 * @link: link
 * @cmd: TOASTER_IOC_*
 * @argp: user argument
 *
 * Commands below TOASTER_IOC_NR_LOCAL are validated and forwarded as RIO
 * IOCTL frames, arguments in big-endian; PING and STATS are answered here.
 *
 * Return: 0 or a negative errno: -ENOTTY for an unknown command, -EINVAL
 * for a value out of range, the server's refusal, a request error.
 */
long toaster_link_ioctl(struct toaster_link *link, unsigned int cmd,
			void __user *argp)
{
	switch (cmd) {
	case TOASTER_IOC_STATUS:
		return toaster_ioctl_status(link, argp);
	case TOASTER_IOC_SET_DARKNESS:
		return toaster_ioctl_set(link, cmd, argp, TOASTER_DARKNESS_MIN,
					 TOASTER_DARKNESS_MAX);
	case TOASTER_IOC_SET_CAPACITY:
		return toaster_ioctl_set(link, cmd, argp, TOASTER_CAPACITY_MIN,
					 TOASTER_CAPACITY_MAX);
	case TOASTER_IOC_SET_OVERWRITE:
		return toaster_ioctl_set(link, cmd, argp, 0, 1);
	case TOASTER_IOC_POP:
	case TOASTER_IOC_RESET:
		return toaster_remote_ioctl(link, _IOC_NR(cmd), NULL, 0,
					    NULL, 0);
	case TOASTER_IOC_COUNTERS:
		return toaster_ioctl_counters(link, argp);
	case TOASTER_IOC_PING:
		return toaster_ioctl_ping(link, argp);
	case TOASTER_IOC_STATS:
		return toaster_ioctl_stats(link->dev, argp);
	default:
		return -ENOTTY;
	}
}
