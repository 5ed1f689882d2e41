// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: the life of a request - submit, wait, cancel,
 * time out.
 *
 * Callers of a link take turns (toaster_link.req_mutex): one request at a
 * time, or the READs of one read() (io.c), which are sent together and
 * answered in order. A blocking caller waits for its turn, interruptibly;
 * an O_NONBLOCK caller never sleeps behind another request: -EAGAIN.
 *
 * Cancellation: a signal cancels the request: a CANCEL frame is sent, the
 * slot forgets its waiter, and the waiter returns -ERESTARTSYS at once. The
 * server then answers the request with CANCELED or, if it had completed
 * already, with its normal result, which the receive work drops - except
 * for toast, see link.c. A request with a side effect that must not happen
 * twice (WRITE, and the ioctls that change the toaster) is not abandoned
 * like that: after the CANCEL its caller waits, killable and bounded by the
 * timeout, for the answer. Executed: its result is returned (a WRITE's
 * bytes, an ioctl's success), so a restarted syscall never runs it again.
 * CANCELED: it never ran, -ERESTARTSYS restarts it.
 *
 * Write-behind: a WRITE that the write credit says the server will take
 * whole (toaster_link_credit()) is sent without waiting: write() returns
 * at once and the receive work checks the answer. A failure is reported
 * by the next call, by fsync() and by close() (toaster_link_sync()), as
 * NFS reports a failed write-behind.
 *
 * Timeout: a request without an answer in timeout_ms fails with -ETIMEDOUT
 * and the connection is reset (later calls: -ENOTCONN). What the server did
 * is then unknown: a WRITE may have been applied, and toast in a READ
 * answer that was still on its way is lost with the connection. Unless
 * the server keeps a session: then the connection is reset and the session
 * resumed (resume.c), the request is sent again and its answer waited for,
 * bounded by resume_ms; the server's reply cache makes sure it runs once.
 *
 * Payloads are reference counted (rio_buf): the slot keeps one until the
 * answer comes, to send it again after a resume, and the connection one
 * until the frame is sent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "client.h"
#include "rio/buf.h"
#include "rio/testing.h"
#include "trace.h"

/**
 * toaster_link_xmit() - hand one frame to the transport
 * @link: link
 * @msg: the frame
 * @payload: a reference on its payload (rio_buf), or NULL; passes to
 *	the transport
 *
 * Return: as toaster_xport_ops.send.
 */
int toaster_link_xmit(struct toaster_link *link, const struct rio_msg *msg,
		      void *payload)
{
	WRITE_ONCE(link->last_tx, jiffies);
	return link->xops->send(link, msg, payload);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_xmit);

/*
 * Caller holds link->lock: do the tag table and the server's queue have
 * room for one more request, and for one besides (a keepalive PING, a
 * request of another caller after a signal)?
 */
static bool toaster_link_room_for_more(struct toaster_link *link)
{
	unsigned int i, out = 0;

	lockdep_assert_held(&link->lock);
	for (i = 0; i < TOASTER_MAX_TAGS; i++)
		if (link->slots[i].msg.tag)
			out++;
	return out + 2 <= min_t(u32, link->max_inflight, TOASTER_MAX_TAGS);
}

/*
 * Enter @req in the tag table and send it. @more: one of several requests
 * of one caller: only while the link is up and the server and the table
 * have room for it besides (-ENOBUFS otherwise, nothing is reset).
 */
static int __toaster_link_submit(struct toaster_link *link,
				 struct toaster_req *req, bool more)
{
	void *payload = req->payload;
	struct toaster_slot *slot;
	bool now;
	int ret;

	req->payload = NULL;
	req->done = false;
	req->err = 0;
	req->resp_len = 0;
	req->resp_arg = 0;

	spin_lock_bh(&link->lock);
	if (more && (link->state != TOASTER_LINK_UP ||
		     !toaster_link_room_for_more(link))) {
		spin_unlock_bh(&link->lock);
		rio_buf_put(payload);
		return -ENOBUFS;
	}
	if (link->state != TOASTER_LINK_UP &&
	    link->state != TOASTER_LINK_CONNECTING &&
	    link->state != TOASTER_LINK_RESUMING) {
		spin_unlock_bh(&link->lock);
		rio_buf_put(payload);
		return -ENOTCONN;
	}
	ret = toaster_slot_get(link, req);
	if (!ret) {
		slot = &link->slots[req->slot];
		slot->payload = payload;
		if (req->msg.opcode == RIO_OP_READ)
			slot->rbuf = rio_buf_get(req->resp_buf);
		now = link->state != TOASTER_LINK_RESUMING ||
		      req == &link->hello;
		slot->resend = !now;
	}
	spin_unlock_bh(&link->lock);
	if (ret) {
		rio_buf_put(payload);
		pr_warn_ratelimited("%s: %u cancelled requests never answered, resetting the connection\n",
				    link->dev->name, TOASTER_MAX_TAGS);
		link->xops->abort(link, -ENOBUFS);
		return -ECONNRESET;
	}

	atomic64_inc(&link->dev->stats.requests);
	req->start_ns = ktime_get_ns();
	trace_toaster_req_submit(link, req);
	if (!now)
		return 0;
	ret = toaster_link_xmit(link, &req->msg,
				payload ? rio_buf_get(payload) : NULL);
	if (ret) {
		spin_lock_bh(&link->lock);
		if (req->done)		/* the connection died under us */
			ret = req->err;
		else if (req != &link->hello && toaster_link_resumable(link) &&
			 (link->state == TOASTER_LINK_RESUMING ||
			  link->state == TOASTER_LINK_UP))
			ret = 0;	/* kept: sent again (or already) on resume */
		else if (link->slots[req->slot].req == req)
			toaster_slot_free(&link->slots[req->slot]);
		if (ret)
			WRITE_ONCE(req->done, true);
		spin_unlock_bh(&link->lock);
	}
	return ret;
}

/**
 * toaster_link_submit() - send a request
 * @link: link
 * @req: request; @req->msg without tag, @req->payload (ownership passes),
 *	@req->resp_buf and @req->resp_max set
 *
 * Assigns the tag and enters the request in the tag table before sending
 * it, so that its answer, however fast, finds it. Callers serialize
 * through toaster_link.req_mutex (see toaster_link_request()); the HELLO is
 * submitted while connecting, before any other request. Never waits for
 * the peer.
 *
 * While the link is resuming, the request waits in the table and is sent
 * once the session is resumed (the HELLO of a resume goes at once).
 *
 * Return: 0 when sent or queued, -ENOTCONN if the link is dead or being
 * reset, -ECONNRESET if it died now (including when too many cancelled
 * requests were never answered: the connection is reset), -ENOMEM.
 */
int toaster_link_submit(struct toaster_link *link, struct toaster_req *req)
{
	return __toaster_link_submit(link, req, false);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_submit);

/**
 * toaster_link_submit_more() - send one more request behind the caller's
 * @link: link
 * @req: as for toaster_link_submit()
 *
 * For a caller that keeps several requests in flight (a read()'s READs):
 * sent only while the link is up and both the tag table and the server
 * (its max_inflight) have room for it and for one more besides, a
 * keepalive's or a cancelled request's. Never waits, never resets the
 * connection.
 *
 * Return: as toaster_link_submit(), or -ENOBUFS: not sent, no room.
 */
int toaster_link_submit_more(struct toaster_link *link,
			     struct toaster_req *req)
{
	return __toaster_link_submit(link, req, true);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_submit_more);

/* Send a CANCEL for @tag; a dead connection has forgotten the tag anyway. */
static void toaster_send_cancel(struct toaster_link *link, u32 tag)
{
	struct rio_msg msg = { .opcode = RIO_OP_CANCEL, .arg = tag };

	atomic64_inc(&link->dev->stats.cancels);
	toaster_link_xmit(link, &msg, NULL);
}

/**
 * toaster_link_cancel() - give up on a submitted request
 * @link: link
 * @req: request from toaster_link_submit()
 *
 * The request leaves its waiter: its answer, when it comes, is dropped
 * (toast of a READ is stashed), and the server is sent a CANCEL.
 *
 * Return: true if the request was cancelled, false if it had completed
 * already: its result is in @req.
 */
bool toaster_link_cancel(struct toaster_link *link, struct toaster_req *req)
{
	spin_lock_bh(&link->lock);
	if (req->done) {
		spin_unlock_bh(&link->lock);
		return false;
	}
	link->slots[req->slot].req = NULL;
	if (req->msg.opcode == RIO_OP_READ)
		WRITE_ONCE(link->reads_cancelled, link->reads_cancelled + 1);
	spin_unlock_bh(&link->lock);

	toaster_send_cancel(link, req->msg.tag);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_cancel);

/* Caller holds link->lock: @req got no answer in time. */
static int toaster_req_timeout(struct toaster_link *link,
			       struct toaster_req *req)
	__releases(&link->lock)
{
	toaster_slot_free(&link->slots[req->slot]);
	WRITE_ONCE(req->done, true);
	toaster_link_set_state(link, TOASTER_LINK_RESETTING, -ETIMEDOUT);
	spin_unlock_bh(&link->lock);

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

/* How long anything waits for an answer at most, resumes included. */
static unsigned long toaster_give_up_at(struct toaster_link *link)
{
	return jiffies + link->timeout + link->resume_ms;
}

/*
 * A wait for an answer timed out: wait on instead? Yes while the session
 * is being resumed (the resume has its own deadline), and when the server
 * keeps a session: the silent connection is then reset and resumed rather
 * than the request failed. Never past @give_up.
 */
static bool toaster_wait_on(struct toaster_link *link, unsigned long give_up)
{
	enum toaster_link_state state;
	bool resumable;

	if (time_after_eq(jiffies, give_up))
		return false;
	spin_lock_bh(&link->lock);
	state = link->state;
	resumable = toaster_link_resumable(link);
	spin_unlock_bh(&link->lock);
	if (state == TOASTER_LINK_RESUMING)
		return true;
	if (state != TOASTER_LINK_UP || !resumable)
		return false;
	atomic64_inc(&link->dev->stats.timeouts);
	pr_warn_ratelimited("%s: no answer in %u ms, resetting the connection to resume\n",
			    link->dev->name, jiffies_to_msecs(link->timeout));
	link->xops->abort(link, -ETIMEDOUT);
	return true;
}

/*
 * Wait for @req's answer, interruptible or only @killable, a timeout at a
 * time while toaster_wait_on() says so. Return: what the last wait did
 * (0: timed out, < 0: a signal).
 */
static long toaster_wait_answer(struct toaster_link *link,
				struct toaster_req *req, bool killable)
{
	unsigned long give_up = toaster_give_up_at(link);
	long left;

	do {
		if (killable)
			left = wait_event_killable_timeout(link->wq,
							   toaster_req_done(req),
							   link->timeout);
		else
			left = wait_event_interruptible_timeout(link->wq,
								toaster_req_done(req),
								link->timeout);
	} while (!left && !toaster_req_done(req) &&
		 toaster_wait_on(link, give_up));
	return left;
}

/*
 * A signal came while @req was out and its outcome must be known: CANCEL
 * it (if @cancel) and wait, killable and bounded, for the answer.
 */
static int toaster_req_resolve(struct toaster_link *link,
			       struct toaster_req *req, bool cancel)
{
	long left;
	int ret;

	if (cancel)
		toaster_send_cancel(link, req->msg.tag);
	left = toaster_wait_answer(link, req, true);
	spin_lock_bh(&link->lock);
	if (req->done) {
		ret = req->err == -ECANCELED ? -ERESTARTSYS : req->err;
		spin_unlock_bh(&link->lock);
		return ret;
	}
	if (!left)
		return toaster_req_timeout(link, req);
	/* Fatal signal: nobody will look at the outcome. */
	if (cancel) {
		link->slots[req->slot].req = NULL;
		spin_unlock_bh(&link->lock);
		return -EINTR;
	}
	spin_unlock_bh(&link->lock);
	if (toaster_link_cancel(link, req))	/* a READ's toast is stashed */
		return -EINTR;
	spin_lock_bh(&link->lock);		/* it completed meanwhile */
	ret = req->err;
	spin_unlock_bh(&link->lock);
	return ret;
}

/*
 * Woken by task work, not by a signal (TIF_NOTIFY_SIGNAL: io_uring
 * completing this task's other requests, while it tries an IOCB_NOWAIT
 * read inline), for a request that the server answers at once? Then the
 * answer is waited for, not abandoned: io_uring would fail the call with
 * EINTR, and there is no signal to restart it for.
 */
static bool toaster_wait_through(const struct toaster_req *req)
{
	return (req->msg.flags & RIO_F_NONBLOCK) && !task_sigpending(current);
}

/**
 * toaster_link_wait() - wait for a submitted request to complete
 * @link: link
 * @req: request from toaster_link_submit()
 * @resolve: on a signal, send CANCEL but wait (killable, bounded) for the
 *	answer instead of abandoning the request: for requests whose effect
 *	must not happen twice
 *
 * The wait is interruptible and bounded by the link's timeout. On timeout
 * the connection is reset. On a signal the request is cancelled. A
 * RIO_F_NONBLOCK request woken by task work alone (TIF_NOTIFY_SIGNAL) is
 * waited for, killable: the server answers it at once.
 *
 * Return: 0 with the response in @req, the server's status as a negative
 * errno, -ETIMEDOUT, -ERESTARTSYS (cancelled by a signal, not executed),
 * -EINTR (fatal signal while resolving), -ECONNRESET (the connection died).
 */
int toaster_link_wait(struct toaster_link *link, struct toaster_req *req,
		      bool resolve)
{
	long left;
	int ret;

	left = toaster_wait_answer(link, req, false);
	spin_lock_bh(&link->lock);
	if (req->done)
		goto done;
	if (!left)
		return toaster_req_timeout(link, req);
	spin_unlock_bh(&link->lock);

	if (toaster_wait_through(req))
		return toaster_req_resolve(link, req, false);
	if (resolve)
		return toaster_req_resolve(link, req, true);
	if (toaster_link_cancel(link, req))
		return -ERESTARTSYS;
	spin_lock_bh(&link->lock);		/* it completed meanwhile */
done:
	ret = req->err;
	spin_unlock_bh(&link->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_wait);

/**
 * toaster_link_lock() - take the caller's turn to send requests
 * @link: link
 * @nonblock: do not wait for another caller's requests: -EAGAIN
 *
 * Held from the submit to the end of the wait (toaster_link.req_mutex).
 *
 * Return: 0 (then mutex_unlock(&link->req_mutex) when done), -EAGAIN,
 * -ERESTARTSYS.
 */
int toaster_link_lock(struct toaster_link *link, bool nonblock)
{
	if (nonblock)
		return mutex_trylock(&link->req_mutex) ? 0 : -EAGAIN;
	return mutex_lock_interruptible(&link->req_mutex) ? -ERESTARTSYS : 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_lock);

/**
 * toaster_link_req_end() - account for a request that ended
 * @link: link
 * @req: the request
 * @ret: what it ended with
 */
void toaster_link_req_end(struct toaster_link *link, struct toaster_req *req,
			  int ret)
{
	trace_toaster_req_done(link, req, ret);
	/* AGAIN is flow control, the caller decides whether to retry. */
	if (ret && ret != -EAGAIN)
		atomic64_inc(&link->dev->stats.errors);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_req_end);

/**
 * toaster_link_request() - send a request and wait for its answer
 * @link: link
 * @req: as for toaster_link_submit()
 * @flags: TOASTER_REQ_RESOLVE (see toaster_link_wait()),
 *	TOASTER_REQ_NONBLOCK (do not wait for another request to finish:
 *	-EAGAIN)
 *
 * Requests of one link run one at a time, in the order they get the
 * req_mutex.
 *
 * Return: as toaster_link_wait(), or a toaster_link_submit() error, or
 * -EAGAIN (nonblocking, another request is in flight).
 */
int toaster_link_request(struct toaster_link *link, struct toaster_req *req,
			 unsigned int flags)
{
	int ret;

	ret = toaster_link_lock(link, flags & TOASTER_REQ_NONBLOCK);
	if (ret) {
		rio_buf_put(req->payload);
		req->payload = NULL;
		return ret;
	}
	ret = toaster_link_submit(link, req);
	if (!ret)
		ret = toaster_link_wait(link, req, flags & TOASTER_REQ_RESOLVE);
	mutex_unlock(&link->req_mutex);
	toaster_link_req_end(link, req, ret);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_request);

/**
 * toaster_link_submit_behind() - send a WRITE that nobody waits for
 * @link: link
 * @msg: the WRITE's header; its tag is assigned here
 * @payload: @msg->length bytes from rio_buf_alloc(); ownership passes
 *	to the link, except on -ENOSPC
 *
 * Sent only if the write credit covers it and fewer than
 * TOASTER_MAX_BEHIND are in flight: the server then takes it whole, and
 * the caller may report the bytes written. Never waits.
 *
 * Return: 0 when sent (if the connection died meanwhile, the WRITE is
 * sent again on resume or reported as a write-behind error); -ENOSPC (no
 * credit, or too many in flight: @payload is still the caller's, to send
 * as a WRITE that is waited for).
 */
int toaster_link_submit_behind(struct toaster_link *link, struct rio_msg *msg,
			       void *payload)
{
	struct toaster_req tmp = { .msg = *msg };
	struct toaster_slot *slot;

	spin_lock_bh(&link->lock);
	if (link->behind >= TOASTER_MAX_BEHIND ||
	    msg->length > toaster_link_credit(link) ||
	    toaster_slot_get(link, &tmp)) {
		spin_unlock_bh(&link->lock);
		return -ENOSPC;
	}
	slot = &link->slots[tmp.slot];
	slot->req = NULL;
	slot->behind = true;
	WRITE_ONCE(link->behind, link->behind + 1);
	slot->payload = payload;
	spin_unlock_bh(&link->lock);

	atomic64_inc(&link->dev->stats.requests);
	tmp.start_ns = ktime_get_ns();
	trace_toaster_req_submit(link, &tmp);
	toaster_link_xmit(link, &tmp.msg, rio_buf_get(payload));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_submit_behind);

static bool toaster_behind_none(struct toaster_link *link)
{
	return !READ_ONCE(link->behind);
}

/**
 * toaster_link_sync() - wait for the write-behind WRITEs, report a failure
 * @link: link
 *
 * For fsync() and close(). Interruptible, bounded by the link's timeout;
 * a server that does not answer in time gets its connection reset.
 *
 * Return: 0 when every byte write() returned for was taken; -EIO if one
 * is still unconfirmed when the wait ends (it may yet arrive), or if one
 * was not (or the connection died before it was answered), reported once;
 * -ERESTARTSYS.
 */
int toaster_link_sync(struct toaster_link *link)
{
	unsigned long give_up = toaster_give_up_at(link);
	long left;
	int ret;

	do {
		left = wait_event_interruptible_timeout(link->sync_wq,
							toaster_behind_none(link),
							link->timeout);
	} while (!left && !toaster_behind_none(link) &&
		 toaster_wait_on(link, give_up));
	if (left < 0)
		return -ERESTARTSYS;
	ret = toaster_link_take_wb_err(link);
	if (!left && !toaster_behind_none(link)) {
		atomic64_inc(&link->dev->stats.timeouts);
		pr_warn_ratelimited("%s: write-behind got no answer in %u ms, resetting the connection\n",
				    link->dev->name,
				    jiffies_to_msecs(link->timeout));
		link->xops->abort(link, -ETIMEDOUT);
		/*
		 * Still unconfirmed: the bytes may or may not reach the
		 * toaster (a resume may yet deliver them), so they cannot be
		 * reported written.
		 */
		return ret ?: -EIO;
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_sync);
