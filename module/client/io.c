// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: read, write and poll.
 *
 * read() returns stashed toast first (the late answer of a cancelled READ,
 * see link.c), else sends one READ; write() sends WRITE frames of at most
 * the server's max_payload. Both wait for the link to come up first. An
 * O_NONBLOCK call never sleeps behind another call of the same file: it
 * gets -EAGAIN.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "client.h"
#include "rio/buf.h"
#include "rio/testing.h"

/**
 * toaster_link_discard_stash() - throw stashed toast away
 * @link: link, lock held
 *
 * For POP and RESET, which empty the server's slot: toast that left it for
 * a cancelled READ is part of what they throw away. A READ cancelled before
 * the POP is answered before it (the server answers in order), so its
 * toast is in the stash by now.
 */
void toaster_link_discard_stash(struct toaster_link *link)
{
	lockdep_assert_held(&link->lock);
	link->stash_off = 0;
	link->stash_len = 0;
	link->stash_gen++;
}

/* Return stashed toast: bytes, 0 if the stash is empty, or -EFAULT. */
static ssize_t toaster_read_stash(struct toaster_link *link, char __user *buf,
				  size_t count)
{
	size_t n, left;
	u32 off, gen;

	spin_lock_bh(&link->lock);
	n = min_t(size_t, count, link->stash_len);
	off = link->stash_off;
	gen = link->stash_gen;
	spin_unlock_bh(&link->lock);
	if (!n)
		return 0;

	/* rbuf is stable: no READ is outstanding while the stash is full. */
	left = copy_to_user(buf, link->rbuf + off, n);
	if (left == n)
		return -EFAULT;
	n -= left;

	spin_lock_bh(&link->lock);
	if (link->stash_gen == gen) {	/* not discarded meanwhile */
		link->stash_off += n;
		link->stash_len -= n;
	}
	spin_unlock_bh(&link->lock);
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
	ret = toaster_link_request(link, &req,
				   nonblock ? TOASTER_REQ_NONBLOCK : 0);
	if (ret)
		return ret;
	if (!req.resp_len)
		return 0;

	left = copy_to_user(buf, link->rbuf, req.resp_len);
	if (left) {
		/* Keep what did not reach the user: no toast is lost. */
		spin_lock_bh(&link->lock);
		link->stash_off = req.resp_len - left;
		link->stash_len = left;
		spin_unlock_bh(&link->lock);
		if (left == req.resp_len)
			return -EFAULT;
	}
	return req.resp_len - left;
}

static bool toaster_read_resolved(struct toaster_link *link)
{
	return !READ_ONCE(link->read_cancelled) ||
	       READ_ONCE(link->state) == TOASTER_LINK_DEAD;
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
 * @nonblock: O_NONBLOCK: never wait for toast, for the connection or for
 *	another call
 *
 * Stashed toast comes first. Otherwise one READ of at most RIO_MAX_PAYLOAD
 * bytes; while blocking, a READ the server answers with AGAIN (it parks a
 * request at most wait_ms) is sent again, until toast, EOF or a signal.
 *
 * Return: bytes read, 0 at EOF (empty toaster), -EAGAIN, the reason the
 * link never came up (-ECONNREFUSED, -ETIMEDOUT, -EBUSY, ...), -ENOTCONN
 * after the connection died, -ERESTARTSYS, -ECONNRESET, -EFAULT.
 */
ssize_t toaster_link_read(struct toaster_link *link, char __user *buf,
			  size_t count, bool nonblock)
{
	ssize_t ret;

	if (!count)
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
		/*
		 * A cancelled READ first, the stash second: once no cancelled
		 * READ is outstanding nothing can fill the stash but us, so an
		 * empty stash stays empty until our READ is answered into rbuf.
		 * The other order let a late answer fill the stash between the
		 * two checks, and our READ's toast then overwrote it.
		 */
		if (READ_ONCE(link->read_cancelled)) {
			/* The stash is empty while a cancelled READ is out. */
			if (nonblock) {
				ret = -EAGAIN;
				break;
			}
			ret = toaster_wait_read_resolved(link);
			if (ret)
				break;
			continue;
		}
		ret = toaster_read_stash(link, buf, count);
		if (ret)
			break;
		ret = toaster_link_wait_up(link, nonblock);
		if (ret)
			break;

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
EXPORT_SYMBOL_IF_KUNIT(toaster_link_read);

/**
 * toaster_link_write() - put bread into the toaster
 * @link: link
 * @buf: user buffer
 * @count: bytes to write
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
 * Return: bytes accepted (possibly fewer than @count), or a negative errno
 * when none were: -EAGAIN, the reason the link never came up, -ENOTCONN,
 * -ERESTARTSYS, -ETIMEDOUT, -ECONNRESET, -EFAULT, -ENOMEM, the server's
 * refusal, -EIO (an earlier write-behind failed).
 */
ssize_t toaster_link_write(struct toaster_link *link, const char __user *buf,
			   size_t count, bool nonblock)
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

	while (done < count) {
		size_t n = min_t(size_t, count - done, link->max_payload);
		struct toaster_req req = {};
		void *p;

		if (done && signal_pending(current))
			break;
		p = rio_buf_alloc(n);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		if (copy_from_user(p, buf + done, n)) {
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
		if ((link->ready & RIO_READY_IN) && !link->read_cancelled)
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
