// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: read, write and poll.
 *
 * read() returns stashed toast first (toast that left the server but did
 * not reach the user: the late answer of a cancelled READ, see link.c, or
 * what a failed copy left), else sends READs: one, or up to
 * TOASTER_READ_DEPTH when the caller asks for more than one READ can
 * carry, the second and later ones RIO_F_NONBLOCK; write() sends WRITE
 * frames of at most the server's max_payload. Both wait for the link to
 * come up first. An O_NONBLOCK call never sleeps behind another call of
 * the same file: it gets -EAGAIN.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

#include "client.h"
#include "rio/buf.h"
#include "rio/testing.h"

/**
 * toaster_link_stash_push() - keep toast for the next read()
 * @link: link, lock held
 * @buf: the buffer it is in; the reference passes to the stash
 * @off: where it starts in @buf
 * @len: bytes; 0 just drops @buf
 *
 * Toast is pushed in the order it left the server: the late answers of
 * cancelled READs come in the order the READs were sent, and a read()
 * that gives up pushes what it holds before it cancels the READs behind.
 */
void toaster_link_stash_push(struct toaster_link *link, void *buf, u32 off,
			     u32 len)
{
	struct toaster_stash *e;

	lockdep_assert_held(&link->lock);
	/* No READ is sent while the stash holds toast: never more. */
	if (!len || WARN_ON_ONCE(link->stash_n >= TOASTER_READ_DEPTH)) {
		rio_buf_put(buf);
		return;
	}
	e = &link->stash[(link->stash_head + link->stash_n) %
			 TOASTER_READ_DEPTH];
	e->buf = buf;
	e->off = off;
	e->len = len;
	link->stash_n++;
	link->stash_len += len;
}

/* Caller holds link->lock: forget the oldest entry of the stash. */
static void toaster_stash_pop(struct toaster_link *link)
{
	struct toaster_stash *e = &link->stash[link->stash_head];

	rio_buf_put(e->buf);
	memset(e, 0, sizeof(*e));
	link->stash_head = (link->stash_head + 1) % TOASTER_READ_DEPTH;
	link->stash_n--;
}

/**
 * toaster_link_discard_stash() - throw stashed toast away
 * @link: link, lock held (or the link is no longer used)
 *
 * For POP and RESET, which empty the server's slot: toast that left it for
 * a cancelled READ is part of what they throw away. A READ cancelled before
 * the POP is answered before it (the server answers in order), so its
 * toast is in the stash by now.
 */
void toaster_link_discard_stash(struct toaster_link *link)
{
	while (link->stash_n)
		toaster_stash_pop(link);
	link->stash_head = 0;
	link->stash_len = 0;
	link->stash_gen++;
}

/*
 * Return stashed toast from its oldest entry: bytes, 0 if the stash is
 * empty, or -EFAULT.
 */
static ssize_t toaster_read_stash_once(struct toaster_link *link,
				       struct iov_iter *to)
{
	struct toaster_stash *e;
	void *ref;
	size_t n;
	u32 off, gen;

	spin_lock_bh(&link->lock);
	if (!link->stash_n) {
		spin_unlock_bh(&link->lock);
		return 0;
	}
	e = &link->stash[link->stash_head];
	n = min_t(size_t, iov_iter_count(to), e->len);
	ref = rio_buf_get(e->buf);
	off = e->off;
	gen = link->stash_gen;
	spin_unlock_bh(&link->lock);

	/* Our reference keeps the bytes if a POP throws the stash away. */
	n = copy_to_iter(ref + off, n, to);

	spin_lock_bh(&link->lock);
	if (link->stash_gen == gen) {	/* not discarded meanwhile */
		e->off += n;
		e->len -= n;
		link->stash_len -= n;
		if (!e->len)
			toaster_stash_pop(link);
	}
	spin_unlock_bh(&link->lock);
	rio_buf_put(ref);
	return n ? n : -EFAULT;
}

/* Return stashed toast: bytes, 0 if the stash is empty, or -EFAULT. */
static ssize_t toaster_read_stash(struct toaster_link *link,
				  struct iov_iter *to)
{
	size_t done = 0;
	ssize_t ret;

	while (iov_iter_count(to)) {
		ret = toaster_read_stash_once(link, to);
		if (ret <= 0)
			return done ? done : ret;
		done += ret;
	}
	return done;
}

/*
 * The READs of one read(): sent together, answered in order, and their
 * toast returned in that order.
 */
struct toaster_reads {
	struct toaster_req req[TOASTER_READ_DEPTH];
	unsigned int n;
};

/* Set up a READ of @len bytes and its buffer. Return: 0 or -ENOMEM. */
static int toaster_read_prep(struct toaster_req *req, size_t len,
			     bool nonblock)
{
	memset(req, 0, sizeof(*req));
	req->msg.opcode = RIO_OP_READ;
	req->msg.flags = nonblock ? RIO_F_NONBLOCK : 0;
	req->msg.arg = len;
	req->resp_max = len;
	req->resp_buf = rio_buf_alloc(len);
	return req->resp_buf ? 0 : -ENOMEM;
}

/*
 * Send the READs for @count bytes: the first as the caller asked, the
 * others with RIO_F_NONBLOCK, so that none parks on the server while
 * toast before it waits to be returned, and only while the link has room
 * for them (toaster_link_submit_more()). The caller holds req_mutex.
 * Return: 0 when at least the first was sent, else its error.
 */
static int toaster_reads_send(struct toaster_link *link,
			      struct toaster_reads *r, size_t count,
			      bool nonblock)
{
	struct toaster_req *req;
	size_t len;
	int ret;

	r->n = 0;
	do {
		req = &r->req[r->n];
		len = min_t(size_t, count - r->n * RIO_MAX_PAYLOAD,
			    RIO_MAX_PAYLOAD);
		ret = toaster_read_prep(req, len, nonblock || r->n);
		if (!ret && !r->n)
			ret = toaster_link_submit(link, req);
		else if (!ret)
			ret = toaster_link_submit_more(link, req);
		if (ret) {
			rio_buf_put(req->resp_buf);
			break;
		}
		r->n++;
	} while (r->n < TOASTER_READ_DEPTH && r->n * RIO_MAX_PAYLOAD < count);
	if (r->n)
		return 0;
	toaster_link_req_end(link, req, ret);
	return ret;
}

/* Stash the toast of answered READ @req from byte @off on. */
static void toaster_read_keep(struct toaster_link *link,
			      struct toaster_req *req, u32 off)
{
	spin_lock_bh(&link->lock);
	toaster_link_stash_push(link, rio_buf_get(req->resp_buf), off,
				req->resp_len - off);
	spin_unlock_bh(&link->lock);
}

/*
 * Give up on the READs from @i on, in order: toast that is here already
 * goes to the stash, the READs still out are cancelled (their toast is
 * stashed when it comes). Answers come in order, so those here come
 * before those on their way, and the stash keeps the order.
 */
static void toaster_reads_abandon(struct toaster_link *link,
				  struct toaster_reads *r, unsigned int i)
{
	struct toaster_req *req;

	for (; i < r->n; i++) {
		req = &r->req[i];
		if (toaster_link_cancel(link, req))
			continue;
		toaster_link_req_end(link, req, req->err);
		if (req->err || !req->resp_len)
			continue;
		toaster_read_keep(link, req, 0);
	}
}

/*
 * Wait for the READs in order and copy their toast to @buf. An EAGAIN
 * (no toast yet) does not end it: a later READ may have found toast.
 * A signal, any other error or a failed copy does: what was copied is
 * returned, and the toast not copied is stashed.
 */
static ssize_t toaster_reads_collect(struct toaster_link *link,
				     struct toaster_reads *r,
				     struct iov_iter *to)
{
	struct toaster_req *req;
	size_t done = 0, n;
	int ret, first = 0;
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		req = &r->req[i];
		ret = toaster_link_wait(link, req, false);
		toaster_link_req_end(link, req, ret);
		if (ret && ret != -EAGAIN) {
			/* Cancelled by the signal (its toast is stashed). */
			toaster_reads_abandon(link, r, i + 1);
			return done ? done : ret;
		}
		if (!i)
			first = ret;
		if (ret || !req->resp_len)
			continue;

		n = copy_to_iter(req->resp_buf, req->resp_len, to);
		done += n;
		if (n < req->resp_len) {
			/* Keep what did not reach the user: no toast is lost. */
			toaster_read_keep(link, req, n);
			toaster_reads_abandon(link, r, i + 1);
			return done ? done : -EFAULT;
		}
	}
	return done ? done : first;
}

/*
 * One round of READs. Return: bytes, 0 at EOF, or a negative errno
 * (-EAGAIN: no toast yet).
 */
static ssize_t toaster_read_once(struct toaster_link *link,
				 struct iov_iter *to, bool nonblock)
{
	struct toaster_reads r;
	unsigned int i;
	ssize_t ret;

	ret = toaster_link_lock(link, nonblock);
	if (ret)
		return ret;
	ret = toaster_reads_send(link, &r, iov_iter_count(to), nonblock);
	if (!ret)
		ret = toaster_reads_collect(link, &r, to);
	mutex_unlock(&link->req_mutex);
	for (i = 0; i < r.n; i++)
		rio_buf_put(r.req[i].resp_buf);
	return ret;
}

/*
 * May READs be sent? Not while toast is stashed: it is older than any, and
 * comes first; nor while a cancelled READ is out: its toast will be
 * stashed, and is older too. Once neither holds, nothing can fill the
 * stash but our own READs.
 * Return: 0: send them; 1: stashed toast to return; -EINPROGRESS: wait for
 * the cancelled READs.
 */
static int toaster_read_gate(struct toaster_link *link)
{
	int ret = 0;

	spin_lock_bh(&link->lock);
	if (link->stash_len)
		ret = 1;
	else if (link->reads_cancelled)
		ret = -EINPROGRESS;
	spin_unlock_bh(&link->lock);
	return ret;
}

static bool toaster_read_resolved(struct toaster_link *link)
{
	return !READ_ONCE(link->reads_cancelled) ||
	       READ_ONCE(link->state) == TOASTER_LINK_DEAD;
}

/* Wait until the cancelled READs are answered. Return: 0 or -errno. */
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
 * @to: where it goes (read(), readv(), io_uring, AIO)
 * @nonblock: O_NONBLOCK: never wait for toast, for the connection or for
 *	another call
 *
 * Stashed toast comes first. Otherwise one READ of at most RIO_MAX_PAYLOAD
 * bytes, and for a larger request up to TOASTER_READ_DEPTH of them in
 * flight at once, the later ones nonblocking: their toast is returned in
 * order. While blocking, a first READ the server answers with AGAIN (it
 * parks a request at most wait_ms) is sent again, until toast, EOF or a
 * signal. A signal or a failed copy ends the call with what was copied;
 * the toast of the READs still out is stashed for the next call.
 *
 * Return: bytes read, 0 at EOF (empty toaster), -EAGAIN, the reason the
 * link never came up (-ECONNREFUSED, -ETIMEDOUT, -EBUSY, ...), -ENOTCONN
 * after the connection died, -ERESTARTSYS, -ECONNRESET, -EFAULT.
 */
ssize_t toaster_link_read(struct toaster_link *link, struct iov_iter *to,
			  bool nonblock)
{
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	ret = toaster_link_take_wb_err(link);
	if (ret)
		return ret;
	/* A blocking reader may hold read_mutex until toast is ready. */
	if (nonblock) {
		if (!mutex_trylock(&link->read_mutex))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&link->read_mutex)) {
		return -ERESTARTSYS;
	}

	for (;;) {
		ret = toaster_read_stash(link, to);
		if (ret)
			break;
		ret = toaster_read_gate(link);
		if (ret > 0)		/* a late answer, stashed meanwhile */
			continue;
		if (ret) {
			if (nonblock) {
				ret = -EAGAIN;
				break;
			}
			ret = toaster_wait_read_resolved(link);
			if (ret)
				break;
			continue;
		}
		ret = toaster_link_wait_up(link, nonblock);
		if (ret)
			break;

		ret = toaster_read_once(link, to, nonblock);
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
EXPORT_SYMBOL_IF_KUNIT(toaster_link_read);

/**
 * toaster_link_write() - put bread into the toaster
 * @link: link
 * @from: the bytes to write (write(), writev(), io_uring, AIO)
 * @nonblock: O_NONBLOCK: never wait for room, for the connection or for
 *	another call
 *
 * The bytes go out in WRITE frames of at most the server's max_payload.
 * A frame the write credit covers is sent behind: counted as written at
 * once, its answer checked later (request.c). Any other frame is waited
 * for: while blocking and nothing was accepted yet, a WRITE answered with
 * AGAIN is sent again; a signal cancels the WRITE in flight, and the
 * server's answer tells how much of it was taken anyway. So short writes
 * and EAGAIN are exactly what the server did.
 *
 * Return: bytes accepted (possibly fewer than asked), or a negative errno
 * when none were: -EAGAIN, the reason the link never came up, -ENOTCONN,
 * -ERESTARTSYS, -ETIMEDOUT, -ECONNRESET, -EFAULT, -ENOMEM, the server's
 * refusal, -EIO (an earlier write-behind failed).
 */
ssize_t toaster_link_write(struct toaster_link *link, struct iov_iter *from,
			   bool nonblock)
{
	unsigned int flags = TOASTER_REQ_RESOLVE;
	size_t done = 0;
	int ret;

	ret = toaster_link_take_wb_err(link);
	if (ret)
		return ret;
	ret = toaster_link_wait_up(link, nonblock);
	if (ret)
		return ret;
	if (nonblock)
		flags |= TOASTER_REQ_NONBLOCK;

	while (iov_iter_count(from)) {
		size_t n = min_t(size_t, iov_iter_count(from), link->max_payload);
		struct toaster_req req = {};
		void *p;

		if (done && signal_pending(current))
			break;
		p = rio_buf_alloc(n);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		if (copy_from_iter(p, n, from) != n) {
			rio_buf_put(p);
			ret = -EFAULT;
			break;
		}

		req.msg.opcode = RIO_OP_WRITE;
		req.msg.flags = nonblock ? RIO_F_NONBLOCK : 0;
		req.msg.length = n;
		ret = toaster_link_submit_behind(link, &req.msg, p);
		if (!ret) {
			done += n;
			continue;
		}
		if (ret != -ENOSPC)
			break;

		req.payload = p;
		ret = toaster_link_request(link, &req, flags);
		/* What the server did not take is sent again, or not written. */
		iov_iter_revert(from, n - (ret ? 0 : req.resp_arg));
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
EXPORT_SYMBOL_IF_KUNIT(toaster_link_write);

/**
 * toaster_link_poll_mask() - readiness of a link for poll()
 * @link: link
 *
 * Nothing while connecting or resuming (pollers are woken when the link
 * comes up or fails); EPOLLIN with stashed toast or when the last NOTIFY said
 * RIO_READY_IN, EPOLLOUT when it said RIO_READY_OUT, EPOLLHUP | EPOLLERR
 * once the connection is dead. While write-behind WRITEs are unanswered
 * the last NOTIFY is older than the caller's own writes: nothing is
 * reported from it until they are answered (pollers are woken then). A
 * server without RIO_CAP_NOTIFY is always "ready": the caller finds out
 * with O_NONBLOCK.
 *
 * Return: the poll mask.
 */
__poll_t toaster_link_poll_mask(struct toaster_link *link)
{
	__poll_t mask = 0;

	spin_lock_bh(&link->lock);
	if (link->stash_len)
		mask |= EPOLLIN | EPOLLRDNORM;
	switch (link->state) {
	case TOASTER_LINK_CONNECTING:
	case TOASTER_LINK_RESUMING:
		break;
	case TOASTER_LINK_UP:
		if (link->behind)
			break;
		if (!link->notify) {
			mask |= EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
			break;
		}
		if ((link->ready & RIO_READY_IN) && !link->reads_cancelled)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (link->ready & RIO_READY_OUT)
			mask |= EPOLLOUT | EPOLLWRNORM;
		break;
	default:
		mask |= EPOLLHUP | EPOLLERR;
	}
	spin_unlock_bh(&link->lock);
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_poll_mask);
