// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: the state of a link and the matching of answers.
 *
 * One open file of /dev/toasterN is one struct toaster_link, the client
 * half of one RIO connection. Every request gets a fresh non-zero tag and
 * an entry ("slot") in a small table that also remembers requests
 * cancelled by a signal until the server answers them, so that a late
 * answer is recognised and dropped instead of being taken for the answer
 * to a newer request.
 *
 * Contexts:
 *  - syscalls (read, write, ioctl, poll, release): process context; they
 *    wait for the link to come up, submit a request and sleep until it
 *    completes, bounded by the link's timeout, interruptible by signals
 *    (request.c, io.c, ioctl.c);
 *  - toaster_link_frame(): where the answer arrives, in sk_data_ready
 *    (softirq) or the connection's receive work, never concurrent with
 *    itself and never sleeping: matches an answer to its slot, copies the
 *    payload (a READ's toast is already in place, toaster_link_rx_buf()),
 *    completes the request and wakes its waiter: one wakeup per answer;
 *  - toaster_link_dead(): called once by the transport when the connection
 *    fails, from whatever context saw it (receive work, a sender, an
 *    abort); it does not sleep: it fails every outstanding request with
 *    -ECONNRESET and wakes waiters and pollers.
 *
 * Locking:
 *  - toaster_link.req_mutex: one caller's requests in flight (one, or a
 *    read()'s READs); held across submit and wait, never by the receive
 *    work or toaster_link_dead(); O_NONBLOCK calls only try it;
 *  - toaster_link.read_mutex: one read() at a time, so that the stash and
 *    the READs of a read() stay in order;
 *  - toaster_link.lock (spinlock, taken with bottom halves off: answers
 *    are handled in softirq context): the state, the tag
 *    table, the readiness mask, the stash and the completion fields of the
 *    requests in the table. Never held while calling the transport, which
 *    may call back into toaster_link_dead().
 *  - toaster_dev.lock (mutex): the per-device server address.
 * Lock order: read_mutex -> req_mutex -> (transport) -> lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "client.h"
#include "rio/buf.h"
#include "rio/testing.h"
#include "trace.h"

static const char * const toaster_state_names[] = {
	[TOASTER_DISCONNECTED]	= "disconnected",
	[TOASTER_CONNECTING]	= "connecting",
	[TOASTER_CONNECTED]	= "connected",
	[TOASTER_DEAD]		= "dead",
	[TOASTER_RESUMING]	= "resuming",
};

/**
 * toaster_state_str() - name of a device state, as sysfs shows it
 * @state: the state
 *
 * Return: a static string.
 */
const char *toaster_state_str(enum toaster_dev_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(toaster_state_names))
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
	do {
		get_random_bytes(dev->session_id, sizeof(dev->session_id));
	} while (rio_session_none(dev->session_id));
}
EXPORT_SYMBOL_IF_KUNIT(toaster_dev_init);

/**
 * toaster_link_set_state() - move a link to another state
 * @link: link, lock held
 * @state: the new state
 * @err: why, for the trace (0 if there is nothing to say)
 *
 * WRITE_ONCE: the wait conditions read the state without the lock.
 */
void toaster_link_set_state(struct toaster_link *link,
			    enum toaster_link_state state, int err)
{
	lockdep_assert_held(&link->lock);
	trace_toaster_link_state(link, link->state, state, err);
	WRITE_ONCE(link->state, state);
}

/*
 * The deadline of connect and HELLO passed: if the link is still not up,
 * fail it with -ETIMEDOUT. A HELLO answer arriving from now on is dropped.
 */
static void toaster_link_connect_expired(struct toaster_link *link)
{
	bool expired;

	spin_lock_bh(&link->lock);
	expired = link->state == TOASTER_LINK_CONNECTING;
	if (expired) {
		link->connect_err = -ETIMEDOUT;
		toaster_link_set_state(link, TOASTER_LINK_RESETTING,
				       -ETIMEDOUT);
	}
	spin_unlock_bh(&link->lock);
	if (!expired)
		return;

	atomic64_inc(&link->dev->stats.timeouts);
	pr_warn_ratelimited("%s: no connection and HELLO in %u ms, giving up\n",
			    link->dev->name, jiffies_to_msecs(link->timeout));
	link->xops->abort(link, -ETIMEDOUT);
}

static void toaster_link_connect_work(struct work_struct *work)
{
	struct toaster_link *link = container_of(to_delayed_work(work),
						 struct toaster_link,
						 connect_work);

	toaster_link_connect_expired(link);
}

/**
 * toaster_link_alloc() - allocate the client state of one connection
 * @dev: device the link belongs to
 * @timeout_ms: bound of connect and HELLO, and of every request, in ms
 *
 * The link starts in TOASTER_LINK_CONNECTING. The caller sets
 * toaster_link.xops and .xpriv before the first request.
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
	link->dev = dev;
	link->timeout = max(msecs_to_jiffies(timeout_ms), 1UL);
	link->deadline = jiffies + link->timeout;
	INIT_DELAYED_WORK(&link->connect_work, toaster_link_connect_work);
	link->max_payload = RIO_MAX_PAYLOAD;
	link->max_inflight = 1;
	link->state = TOASTER_LINK_CONNECTING;
	link->next_tag = 1;
	link->last_rx = jiffies;
	link->last_tx = jiffies;
	toaster_link_resume_init(link, NULL, 0, 0);
	mutex_init(&link->req_mutex);
	mutex_init(&link->read_mutex);
	spin_lock_init(&link->lock);
	init_waitqueue_head(&link->wq);
	init_waitqueue_head(&link->sync_wq);
	init_waitqueue_head(&link->poll_wq);
	return link;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_alloc);

/**
 * toaster_link_free() - free a link whose transport is gone
 * @link: link, or NULL
 */
void toaster_link_free(struct toaster_link *link)
{
	unsigned int i;

	if (!link)
		return;
	cancel_delayed_work_sync(&link->connect_work);
	toaster_link_resume_stop(link);
	/* Payloads kept for a resume that never came. */
	for (i = 0; i < TOASTER_MAX_TAGS; i++)
		toaster_slot_free(&link->slots[i]);
	toaster_link_discard_stash(link);
	rio_buf_put(link->rx_hold);
	mutex_destroy(&link->req_mutex);
	mutex_destroy(&link->read_mutex);
	kfree(link);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_free);

/**
 * toaster_link_status() - may requests be sent, and if not, why
 * @link: link
 *
 * Return: 0 when the link is up; -EAGAIN while connecting; once it is dead,
 * the reason it never came up (e.g. -ECONNREFUSED, -ETIMEDOUT, -EBUSY) or
 * -ENOTCONN if it was up.
 */
int toaster_link_status(struct toaster_link *link)
{
	int ret;

	spin_lock_bh(&link->lock);
	switch (link->state) {
	case TOASTER_LINK_UP:
		ret = 0;
		break;
	case TOASTER_LINK_CONNECTING:
	case TOASTER_LINK_RESUMING:
		ret = -EAGAIN;
		break;
	default:
		ret = link->connect_err ?: -ENOTCONN;
	}
	spin_unlock_bh(&link->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_status);

static bool toaster_link_connecting(struct toaster_link *link)
{
	return READ_ONCE(link->state) == TOASTER_LINK_CONNECTING;
}

static bool toaster_link_resuming(struct toaster_link *link)
{
	return READ_ONCE(link->state) == TOASTER_LINK_RESUMING;
}

/**
 * toaster_link_wait_up() - wait until the link is up, or know why not
 * @link: link
 * @nonblock: O_NONBLOCK: do not wait
 *
 * open() only starts the connection (it runs under misc_mtx, which every
 * misc device's open shares: it must not wait for a peer); the first call
 * that needs the server waits here, interruptibly, at most until the
 * link's deadline (timeout_ms after open), then fails the link.
 *
 * While the session is being resumed, the wait is bounded by the resume:
 * it ends in the link up again or failed.
 *
 * Return: 0 when up; -EAGAIN (nonblocking, still connecting or resuming);
 * -ERESTARTSYS; else as toaster_link_status().
 */
int toaster_link_wait_up(struct toaster_link *link, bool nonblock)
{
	unsigned long give_up = jiffies + link->resume_ms + link->timeout;
	long left;
	int ret;

	/*
	 * The state may change between the wait and the check (a session
	 * resumed and lost again): a blocking caller never sees -EAGAIN.
	 */
	while ((ret = toaster_link_status(link)) == -EAGAIN && !nonblock) {
		if (toaster_link_connecting(link)) {
			left = (long)(link->deadline - jiffies);
			left = wait_event_interruptible_timeout(link->wq,
								!toaster_link_connecting(link),
								max(left, 1L));
			if (left < 0)
				return -ERESTARTSYS;
			if (!left)
				toaster_link_connect_expired(link);
			continue;
		}
		/* Resuming: the resume ends in the link up or failed. */
		if (time_after_eq(jiffies, give_up))
			return -ETIMEDOUT;
		left = wait_event_interruptible_timeout(link->wq,
							!toaster_link_resuming(link),
							give_up - jiffies);
		if (left < 0)
			return -ERESTARTSYS;
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_wait_up);

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

/**
 * toaster_slot_get() - take a free slot and a fresh tag for a request
 * @link: link, lock held
 * @req: request; its tag and slot are set
 *
 * The tag counter skips 0 and every tag still outstanding.
 *
 * Return: 0 or -ENOBUFS (every slot is taken).
 */
int toaster_slot_get(struct toaster_link *link, struct toaster_req *req)
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
	slot->seq = link->next_seq++;
	return 0;
}

/**
 * toaster_slot_free() - forget an outstanding tag
 * @slot: slot; the link's lock is held
 */
void toaster_slot_free(struct toaster_slot *slot)
{
	rio_buf_put(slot->payload);
	rio_buf_put(slot->rbuf);
	memset(slot, 0, sizeof(*slot));
}

/* Does this request change the slot's capacity (SET_CAPACITY, RESET)? */
static bool toaster_changes_capacity(const struct rio_msg *msg)
{
	return msg->opcode == RIO_OP_IOCTL &&
	       (msg->ioctl == TOASTER_IOC_NR_SET_CAPACITY ||
		msg->ioctl == TOASTER_IOC_NR_RESET);
}

/**
 * toaster_link_credit() - bytes a WRITE may carry and surely be taken whole
 * @link: link, lock held
 *
 * The server runs requests in order and reports, in each answer, its
 * slot's room just after that request. Any WRITE still outstanding when an
 * answer arrives ran after it (its own answer would have come first), so
 * the room now is at least the last room reported minus what the
 * outstanding WRITEs carry: READs, POP and cancelled requests only free
 * room. Only SET_CAPACITY and RESET can shrink it: while one is
 * outstanding there is no credit.
 *
 * Return: the credit in bytes, 0 without RIO_CAP_CREDIT.
 */
u32 toaster_link_credit(struct toaster_link *link)
{
	u64 out = 0;
	unsigned int i;

	lockdep_assert_held(&link->lock);
	if (!link->credit || link->state != TOASTER_LINK_UP)
		return 0;	/* and none until a fresh answer after a resume */
	for (i = 0; i < TOASTER_MAX_TAGS; i++) {
		const struct rio_msg *m = &link->slots[i].msg;

		if (!m->tag)
			continue;
		if (toaster_changes_capacity(m))
			return 0;
		if (m->opcode == RIO_OP_WRITE)
			out += m->length;
	}
	return out < link->room ? link->room - out : 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_credit);

/**
 * toaster_link_take_wb_err() - report a failed write-behind, once
 * @link: link
 *
 * Return: 0, or the error of a write-behind WRITE (-EIO), which is cleared.
 */
int toaster_link_take_wb_err(struct toaster_link *link)
{
	int err;

	if (likely(!READ_ONCE(link->wb_err)))
		return 0;
	spin_lock_bh(&link->lock);
	err = link->wb_err;
	link->wb_err = 0;
	spin_unlock_bh(&link->lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_take_wb_err);

/**
 * toaster_link_rx_buf() - where the payload of an answer is received
 * @link: link
 * @msg: a valid header, not yet matched to its request
 *
 * The toast of an outstanding READ, live or cancelled, goes straight into
 * that READ's own buffer (toaster_slot.rbuf): its caller copies it out
 * from there, or it stays there as the stash: no copy through the
 * connection's buffer, and no 64 KiB buffer per connection. The buffer is
 * held (toaster_link.rx_hold) until toaster_link_frame() has handled the
 * frame, as the caller may give up and the slot be freed meanwhile.
 * Anything else is small and goes to the connection's buffer, then
 * toaster_link_frame() matches and checks it.
 *
 * Return: the READ's buffer or NULL.
 */
void *toaster_link_rx_buf(struct toaster_link *link, const struct rio_msg *msg)
{
	struct toaster_slot *slot;
	void *buf = NULL, *old;

	if (msg->opcode != RIO_OP_READ || !msg->tag)
		return NULL;
	spin_lock_bh(&link->lock);
	slot = toaster_slot_find(link, msg->tag);
	if (slot && slot->msg.opcode == RIO_OP_READ && slot->rbuf &&
	    msg->length <= slot->msg.arg)
		buf = rio_buf_get(slot->rbuf);
	/* Left over if the last connection died inside a payload. */
	old = link->rx_hold;
	link->rx_hold = buf;
	spin_unlock_bh(&link->lock);
	rio_buf_put(old);
	return buf;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_rx_buf);

/* Did this answer empty the server's slot (POP, RESET)? */
static bool toaster_answer_empties(const struct toaster_slot *slot,
				   const struct rio_msg *msg)
{
	return msg->status == RIO_S_OK && slot->msg.opcode == RIO_OP_IOCTL &&
	       (slot->msg.ioctl == TOASTER_IOC_NR_POP ||
		slot->msg.ioctl == TOASTER_IOC_NR_RESET);
}

/* Caller holds link->lock: toast of a cancelled READ arrived. */
static void toaster_stash_late_read(struct toaster_link *link,
				    struct toaster_slot *slot,
				    const struct rio_msg *msg,
				    const void *payload)
{
	if (msg->length && slot->rbuf) {
		/* Else received in place, see toaster_link_rx_buf(). */
		if (payload != slot->rbuf)
			memcpy(slot->rbuf, payload, msg->length);
		toaster_link_stash_push(link, slot->rbuf, 0, msg->length);
		slot->rbuf = NULL;
	}
	if (!WARN_ON_ONCE(!link->reads_cancelled))
		WRITE_ONCE(link->reads_cancelled, link->reads_cancelled - 1);
}

/* Caller holds link->lock: hand an answer to its waiter. */
static int toaster_req_complete(struct toaster_link *link,
				struct toaster_req *req,
				const struct rio_msg *msg, const void *payload)
{
	int ret = 0;

	if (msg->length && payload != req->resp_buf)
		memcpy(req->resp_buf, payload, msg->length);
	req->resp_len = msg->length;
	req->resp_arg = msg->arg;
	req->err = rio_status_to_errno(msg->status);
	atomic64_set(&link->dev->stats.last_rtt_ns,
		     ktime_get_ns() - req->start_ns);
	if (req == &link->hello)
		ret = toaster_link_hello_done(link);
	WRITE_ONCE(req->done, true);
	return ret;
}

/*
 * Caller holds link->lock: the answer to a write-behind WRITE. write() has
 * returned already, so the credit promised the bytes would be taken
 * whole: anything else is data lost, for the next call to report.
 */
static void toaster_behind_done(struct toaster_link *link,
				const struct toaster_slot *slot,
				const struct rio_msg *msg)
{
	WRITE_ONCE(link->behind, link->behind - 1);
	atomic64_add(msg->arg, &link->dev->stats.bytes_out);
	if (msg->status == RIO_S_OK && msg->arg == slot->msg.length)
		return;
	atomic64_inc(&link->dev->stats.errors);
	if (!link->wb_err)
		link->wb_err = -EIO;
	pr_warn_ratelimited("%s: write-behind of %u bytes: %s, %u taken\n",
			    link->dev->name, slot->msg.length,
			    rio_status_str(msg->status), msg->arg);
}

/* toaster_link_frame() without the end of its receive buffer's hold. */
static int toaster_link_answer(struct toaster_link *link,
			       const struct rio_msg *msg, const void *payload)
{
	wait_queue_head_t *wake = &link->wq;
	__poll_t wake_poll = 0;
	struct toaster_slot *slot;
	struct toaster_req *req;
	int bad, ret = 0;

	WRITE_ONCE(link->last_rx, jiffies);
	if (msg->opcode == RIO_OP_NOTIFY) {
		spin_lock_bh(&link->lock);
		link->ready = msg->arg;
		link->probes = 0;
		spin_unlock_bh(&link->lock);
		wake_up_interruptible_poll(&link->poll_wq,
					   EPOLLIN | EPOLLRDNORM |
					   EPOLLOUT | EPOLLWRNORM);
		return 0;
	}

	spin_lock_bh(&link->lock);
	if (link->state == TOASTER_LINK_RESETTING) {
		/* Too late: the connection is being reset for a timeout. */
		spin_unlock_bh(&link->lock);
		return -ETIMEDOUT;
	}
	slot = msg->tag ? toaster_slot_find(link, msg->tag) : NULL;
	if (!slot) {
		spin_unlock_bh(&link->lock);
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
	/* Before HELLO's answer, the grant is not known yet. */
	if (!bad && msg->room && !link->credit && req != &link->hello)
		bad = RIO_BAD_ROOM;
	if (bad) {
		spin_unlock_bh(&link->lock);
		pr_warn_ratelimited("%s: %s response, tag %u, status %u, length %u, arg %u: %s, closing\n",
				    link->dev->name, rio_op_str(msg->opcode),
				    msg->tag, msg->status, msg->length,
				    msg->arg, rio_bad_str(bad));
		return -EPROTO;
	}

	link->probes = 0;
	/* A request answered: the resumed connection works. */
	if (!slot->probe && req != &link->hello) {
		link->resume_unproven = false;
		link->backoff = 0;
	}
	if (msg->opcode == RIO_OP_READ)
		atomic64_add(msg->length, &link->dev->stats.bytes_in);
	if (toaster_answer_empties(slot, msg))
		toaster_link_discard_stash(link);
	link->room = msg->room;

	if (slot->behind) {
		/*
		 * Nobody waits for this answer but fsync() and close(), on
		 * their own queue: the READ that usually follows is not woken
		 * for nothing (a cross-CPU wakeup is most of a round trip).
		 */
		toaster_behind_done(link, slot, msg);
		wake = NULL;
		if (!link->behind) {	/* the readiness is current again */
			wake = &link->sync_wq;
			wake_poll = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
		}
	} else if (req) {
		ret = toaster_req_complete(link, req, msg, payload);
		if (req == &link->hello)
			wake_poll = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
	} else if (slot->msg.opcode == RIO_OP_READ) {
		toaster_stash_late_read(link, slot, msg, payload);
		wake_poll = EPOLLIN | EPOLLRDNORM;
	}
	toaster_slot_free(slot);
	spin_unlock_bh(&link->lock);

	if (wake)
		wake_up(wake);
	if (wake_poll)
		wake_up_interruptible_poll(&link->poll_wq, wake_poll);
	return ret;
}

/**
 * toaster_link_frame() - handle a frame from the server
 * @link: link
 * @msg: validated header (rio_decode() accepted it as a response)
 * @payload: @msg->length bytes, valid during the call only
 *
 * Softirq or receive work context; does not sleep. A NOTIFY updates the
 * readiness and wakes pollers.
 * An answer must match an outstanding tag and fit its request
 * (rio_check_reply()): its payload is copied to the waiter and the waiter
 * woken. The answer to a cancelled request is dropped, except for the
 * toast of a cancelled READ, which goes to the stash. A successful POP or
 * RESET throws the stash away: the toast in it was the server's too. The
 * answer of a write-behind WRITE is checked here (toaster_link.wb_err).
 * Every answer carries the slot's room, the write credit. A READ's buffer
 * held since toaster_link_rx_buf() is let go.
 *
 * Return: 0; -EPROTO for an answer to an unknown tag, a duplicate answer,
 * an answer that does not fit its request or room reported without
 * RIO_CAP_CREDIT; the HELLO's refusal (e.g.
 * -EBUSY); -ETIMEDOUT while resetting. The caller then aborts the
 * connection.
 */
int toaster_link_frame(struct toaster_link *link, const struct rio_msg *msg,
		       const void *payload)
{
	void *held;
	int ret;

	ret = toaster_link_answer(link, msg, payload);
	if (msg->opcode != RIO_OP_READ)
		return ret;	/* only a READ's toast is received in place */
	spin_lock_bh(&link->lock);
	held = link->rx_hold;
	link->rx_hold = NULL;
	spin_unlock_bh(&link->lock);
	rio_buf_put(held);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_frame);

/**
 * toaster_link_dead() - the connection failed or was closed
 * @link: link
 * @err: first error of the connection (-ESHUTDOWN: closed by us)
 *
 * Called once by the transport. Does not sleep. Every outstanding request
 * fails with -ECONNRESET; later calls fail with the reason the link never
 * came up, or -ENOTCONN; fsync() and close() report -EIO if write-behind
 * WRITEs were still unanswered. Waiters and pollers are woken, pollers see
 * EPOLLHUP | EPOLLERR.
 */
void toaster_link_dead(struct toaster_link *link, int err)
{
	enum toaster_link_state was;
	struct toaster_slot *slot;
	unsigned int i;
	int connect_err;

	spin_lock_bh(&link->lock);
	was = link->state;
	if (was == TOASTER_LINK_DEAD || toaster_link_dead_resume(link, err)) {
		spin_unlock_bh(&link->lock);
		wake_up_interruptible_poll(&link->poll_wq, EPOLLIN | EPOLLOUT);
		return;
	}
	if (was == TOASTER_LINK_CONNECTING && !link->connect_err)
		link->connect_err = err;
	connect_err = link->connect_err;
	link->err = err;
	toaster_link_set_state(link, TOASTER_LINK_DEAD, err);
	for (i = 0; i < TOASTER_MAX_TAGS; i++) {
		slot = &link->slots[i];
		if (slot->req) {
			/* After a resume that failed: why it failed. */
			slot->req->err = was != TOASTER_LINK_RESUMING ?
					 -ECONNRESET :
					 connect_err ?: link->resume_err;
			WRITE_ONCE(slot->req->done, true);
		}
		toaster_slot_free(slot);
	}
	/* Bytes write() returned for may never have reached the toaster. */
	if (link->behind && !link->wb_err)
		link->wb_err = -EIO;
	WRITE_ONCE(link->behind, 0);
	WRITE_ONCE(link->reads_cancelled, 0);
	link->ready = 0;
	if (was != TOASTER_LINK_CLOSING)
		WRITE_ONCE(link->dev->state, TOASTER_DEAD);
	spin_unlock_bh(&link->lock);

	/* When we closed it, it is not worth a log line. */
	if (was == TOASTER_LINK_RESUMING) {
		pr_info_ratelimited("%s: session lost: %pe\n", link->dev->name,
				    ERR_PTR(connect_err ?: link->resume_err));
	} else if (was != TOASTER_LINK_CLOSING && err != -ESHUTDOWN) {
		if (connect_err)
			pr_info_ratelimited("%s: cannot connect: %pe\n",
					    link->dev->name, ERR_PTR(connect_err));
		else
			pr_info_ratelimited("%s: connection lost: %pe\n",
					    link->dev->name, ERR_PTR(err));
	}
	wake_up_all(&link->wq);
	wake_up_all(&link->sync_wq);
	wake_up_interruptible_poll(&link->poll_wq, EPOLLHUP | EPOLLERR);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_dead);
