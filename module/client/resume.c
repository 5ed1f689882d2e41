// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: keepalive, and resuming a session on a new
 * connection, so that a network blip is invisible to the application.
 *
 * A server that grants RIO_CAP_SESSION keeps the session (the toaster, and
 * its answers to the last requests) for a while after the connection
 * dies. Then the link does not fail: toaster_link_dead() hands it to
 * toaster_link_dead_resume(), which keeps every outstanding request with
 * its payload and moves the link to TOASTER_LINK_RESUMING. resume_work
 * then reconnects with exponential backoff and says HELLO with RIO_F_RESUME
 * and the session id; once that is answered it sends the outstanding
 * requests again, oldest first, each under its old tag - a cancelled one
 * followed by its CANCEL again - and the link is up. The server answers a
 * request that ran already from its reply cache, so nothing runs twice and
 * no toast is lost.
 *
 * While resuming, blocking calls wait (interruptibly, bounded by
 * resume_ms), O_NONBLOCK calls get EAGAIN, poll() reports nothing.
 * resume_ms after the connection died, or as soon as the server says it
 * does not know the session (it restarted), the link fails for good:
 * EIO, or ESTALE.
 *
 * Keepalive: when nothing was received or nothing sent for keepalive_ms,
 * a PING goes out (the server answers PING at once, ahead of parked
 * requests); RIO_KEEPALIVE_MISSES of them unanswered and the connection
 * is dead. The HELLO tells the server the period, so that it detects a
 * vanished client too.
 *
 * Contexts: resume_work and keepalive_work run on the client workqueue;
 * toaster_link_dead_resume() wherever the connection died; the state is
 * under toaster_link.lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/poll.h>

#include "client.h"
#include "rio/buf.h"
#include "rio/testing.h"
#include "trace.h"

#define TOASTER_BACKOFF_MIN	msecs_to_jiffies(50)
#define TOASTER_BACKOFF_MAX	msecs_to_jiffies(2000)

/**
 * toaster_link_resumable() - would the link resume if its connection died?
 * @link: link, lock held
 *
 * Return: true if the server granted a session and resuming is enabled.
 */
bool toaster_link_resumable(struct toaster_link *link)
{
	lockdep_assert_held(&link->lock);
	return link->resume_ms && link->xops->reconnect &&
	       !rio_session_none(link->session);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_resumable);

/* Caller holds link->lock: schedule the next step of the resume. */
static void toaster_resume_kick(struct toaster_link *link, unsigned long delay)
{
	lockdep_assert_held(&link->lock);
	mod_delayed_work(link->wq_work, &link->resume_work, delay);
}

/**
 * toaster_link_dead_resume() - the connection died: resume instead?
 * @link: link, lock held
 * @err: why the connection died
 *
 * Called by toaster_link_dead(). A link that is up (or resuming already)
 * with a session keeps its outstanding requests, marked to be sent again;
 * keepalive PINGs and a resume HELLO are forgotten. The first death
 * starts the resume deadline.
 *
 * Return: true if the link is resuming; false if it dies (closing, never
 * came up, no session, a protocol error, the server refusing connections,
 * or given up).
 */
bool toaster_link_dead_resume(struct toaster_link *link, int err)
{
	unsigned int i;

	lockdep_assert_held(&link->lock);
	if (link->state != TOASTER_LINK_UP &&
	    link->state != TOASTER_LINK_RESUMING)
		return false;
	if (err == -EPROTO || !toaster_link_resumable(link))
		return false;

	if (link->state == TOASTER_LINK_UP && link->resume_unproven) {
		pr_info_ratelimited("%s: connection lost again before any answer (%pe), resuming until the first loss's deadline\n",
				    link->dev->name, ERR_PTR(err));
	} else if (link->state == TOASTER_LINK_UP) {
		link->resume_deadline = jiffies + link->resume_ms;
		link->resume_err = err;
		link->backoff = 0;
		pr_info_ratelimited("%s: connection lost (%pe), resuming the session\n",
				    link->dev->name, ERR_PTR(err));
	} else if (err == -EKEYREJECTED || err == -EACCES) {
		/*
		 * The server no longer has our key (or no PSK at all): it
		 * was reloaded with another, and the session is gone with
		 * the old server. Trying again changes nothing; the requests
		 * fail with why.
		 */
		pr_info_ratelimited("%s: server refused the key (%pe), session lost\n",
				    link->dev->name, ERR_PTR(err));
		memset(link->session, 0, RIO_SESSION_LEN);
		link->connect_err = err;
		return false;
	} else if (err == -ECONNREFUSED) {
		/*
		 * Nobody listens: the server is gone, and the session with
		 * it (sessions live in the server's memory). No point trying
		 * on: the requests fail with what killed the connection, as
		 * without a session, later calls with ENOTCONN.
		 */
		pr_info_ratelimited("%s: server gone (connection refused), session lost\n",
				    link->dev->name);
		memset(link->session, 0, RIO_SESSION_LEN);
		return false;
	}
	toaster_link_set_state(link, TOASTER_LINK_RESUMING, err);
	WRITE_ONCE(link->dev->state, TOASTER_RESUMING);
	link->resume_phase = TOASTER_RESUME_WAIT;
	link->ready = 0;
	link->probes = 0;
	for (i = 0; i < TOASTER_MAX_TAGS; i++) {
		struct toaster_slot *slot = &link->slots[i];

		if (!slot->msg.tag)
			continue;
		if (slot->probe) {
			toaster_slot_free(slot);
		} else if (slot->req == &link->hello) {
			link->hello.err = -ECONNRESET;
			WRITE_ONCE(link->hello.done, true);
			toaster_slot_free(slot);
		} else {
			slot->resend = true;
		}
	}
	toaster_resume_kick(link, link->backoff);
	link->backoff = clamp(link->backoff * 2, TOASTER_BACKOFF_MIN,
			      TOASTER_BACKOFF_MAX);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_dead_resume);

/**
 * toaster_link_resumed() - the resume HELLO was answered
 * @link: link, lock held, resuming
 *
 * Called by toaster_link_hello_done() with the answer in link->hello.
 * Accepted: resume_work sends the outstanding requests again. Refused:
 * the server no longer knows the session (RIO_S_STALE: it restarted, or
 * the session expired), which is final.
 *
 * Return: 0; or the refusal (-ESTALE, ...) or -EPROTO (another session
 * id): the caller closes the connection, and the link fails for good.
 */
int toaster_link_resumed(struct toaster_link *link)
{
	struct toaster_req *req = &link->hello;
	const u8 *id = link->hello_resp.session;
	int err = req->err;

	lockdep_assert_held(&link->lock);
	if (link->resume_phase != TOASTER_RESUME_HELLO)
		return 0;
	if (!err && (req->resp_len != sizeof(link->hello_resp) ||
		     memcmp(id, link->session, RIO_SESSION_LEN)))
		err = -EPROTO;
	if (err) {
		pr_warn_ratelimited("%s: session not resumed: %pe\n",
				    link->dev->name, ERR_PTR(err));
		/* toaster_link_dead() then fails the link: nothing to resume */
		memset(link->session, 0, RIO_SESSION_LEN);
		link->connect_err = err;
		return err;
	}
	link->resume_phase = TOASTER_RESUME_SEND;
	toaster_resume_kick(link, 0);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_resumed);

/* Caller holds link->lock: the outstanding slot submitted first, if any. */
static struct toaster_slot *toaster_resend_next(struct toaster_link *link)
{
	struct toaster_slot *first = NULL;
	unsigned int i;

	for (i = 0; i < TOASTER_MAX_TAGS; i++) {
		struct toaster_slot *slot = &link->slots[i];

		if (slot->msg.tag && slot->resend &&
		    (!first || slot->seq < first->seq))
			first = slot;
	}
	return first;
}

/*
 * Resumed: send the outstanding requests again, oldest first, then bring
 * the link up. Requests submitted meanwhile wait in the table, marked, and
 * go out here too, in order. If the new connection dies meanwhile, the
 * phase changes and this stops.
 */
static void toaster_resend(struct toaster_link *link)
{
	struct toaster_slot *slot;
	struct rio_msg msg;
	void *payload;
	bool cancelled;

	for (;;) {
		spin_lock_bh(&link->lock);
		if (link->state != TOASTER_LINK_RESUMING ||
		    link->resume_phase != TOASTER_RESUME_SEND) {
			spin_unlock_bh(&link->lock);
			return;
		}
		slot = toaster_resend_next(link);
		if (!slot)
			break;
		slot->resend = false;
		msg = slot->msg;
		payload = slot->payload ? rio_buf_get(slot->payload) : NULL;
		cancelled = !slot->req && !slot->behind;
		spin_unlock_bh(&link->lock);

		atomic64_inc(&link->dev->stats.resent);
		toaster_link_xmit(link, &msg, payload);
		if (cancelled) {
			struct rio_msg cancel = {
				.opcode = RIO_OP_CANCEL,
				.arg = msg.tag,
			};

			toaster_link_xmit(link, &cancel, NULL);
		}
	}
	toaster_link_set_state(link, TOASTER_LINK_UP, 0);
	WRITE_ONCE(link->dev->state, TOASTER_CONNECTED);
	/* Proven by the first answer (toaster_link_frame()), not before. */
	link->resume_unproven = true;
	spin_unlock_bh(&link->lock);

	atomic64_inc(&link->dev->stats.resumes);
	pr_info_ratelimited("%s: session resumed\n", link->dev->name);
	toaster_link_keepalive_start(link);
	wake_up_all(&link->wq);
	wake_up_interruptible_poll(&link->poll_wq, EPOLLIN | EPOLLRDNORM |
				   EPOLLOUT | EPOLLWRNORM);
}

/* Start a resume attempt: a new connection and its HELLO. */
static void toaster_resume_attempt(struct toaster_link *link)
{
	int ret;

	atomic64_inc(&link->dev->stats.reconnects);
	ret = link->xops->reconnect(link);
	if (!ret)
		ret = toaster_link_hello_start(link, link->hello_wait_ms);

	spin_lock_bh(&link->lock);
	if (link->state == TOASTER_LINK_RESUMING &&
	    link->resume_phase == TOASTER_RESUME_WAIT) {
		if (ret) {
			/* Try again later; the deadline ends it. */
			toaster_resume_kick(link, link->backoff);
			link->backoff = clamp(link->backoff * 2,
					      TOASTER_BACKOFF_MIN,
					      TOASTER_BACKOFF_MAX);
		} else {
			/* Bounded like a connect: then the next attempt. */
			link->resume_phase = TOASTER_RESUME_HELLO;
			toaster_resume_kick(link, link->timeout);
		}
	}
	spin_unlock_bh(&link->lock);
}

/* The link failed for good while resuming: every call reports @err. */
static void toaster_resume_fail(struct toaster_link *link, int err)
{
	spin_lock_bh(&link->lock);
	memset(link->session, 0, RIO_SESSION_LEN);
	link->connect_err = err;
	spin_unlock_bh(&link->lock);
	/* Dead or not, the connection is done; toaster_link_dead() follows. */
	link->xops->abort(link, err);
	toaster_link_dead(link, err);
}

static void toaster_resume_work(struct work_struct *work)
{
	struct toaster_link *link = container_of(to_delayed_work(work),
						 struct toaster_link,
						 resume_work);
	enum toaster_resume_phase phase;
	bool expired;

	spin_lock_bh(&link->lock);
	if (link->state != TOASTER_LINK_RESUMING) {
		spin_unlock_bh(&link->lock);
		return;
	}
	phase = link->resume_phase;
	expired = time_after_eq(jiffies, link->resume_deadline);
	spin_unlock_bh(&link->lock);

	if (expired && phase != TOASTER_RESUME_SEND) {
		pr_warn_ratelimited("%s: session not resumed within %u ms, giving up\n",
				    link->dev->name,
				    jiffies_to_msecs(link->resume_ms));
		toaster_resume_fail(link, -EIO);
		return;
	}
	switch (phase) {
	case TOASTER_RESUME_WAIT:
		toaster_resume_attempt(link);
		break;
	case TOASTER_RESUME_HELLO:
		/* No answer in time: this attempt is dead, the next one comes. */
		link->xops->abort(link, -ETIMEDOUT);
		break;
	case TOASTER_RESUME_SEND:
		toaster_resend(link);
		break;
	}
}

/* Caller holds link->lock: take a slot for a keepalive PING. */
static int toaster_probe_get(struct toaster_link *link, struct rio_msg *msg)
{
	struct toaster_req tmp = { .msg = { .opcode = RIO_OP_PING } };
	int ret;

	ret = toaster_slot_get(link, &tmp);
	if (ret)
		return ret;
	link->slots[tmp.slot].req = NULL;
	link->slots[tmp.slot].probe = true;
	*msg = tmp.msg;
	return 0;
}

static void toaster_keepalive_work(struct work_struct *work)
{
	struct toaster_link *link = container_of(to_delayed_work(work),
						 struct toaster_link,
						 keepalive_work);
	unsigned long now = jiffies, since;
	struct rio_msg ping;
	bool dead = false;
	int ret = -EAGAIN;

	spin_lock_bh(&link->lock);
	if (link->state != TOASTER_LINK_UP) {
		spin_unlock_bh(&link->lock);
		return;		/* started again when the link is up */
	}
	since = max(now - READ_ONCE(link->last_rx),
		    now - READ_ONCE(link->last_tx));
	if (since < link->keepalive) {
		mod_delayed_work(link->wq_work, &link->keepalive_work,
				 link->keepalive - since);
		spin_unlock_bh(&link->lock);
		return;
	}
	if (link->probes >= RIO_KEEPALIVE_MISSES)
		dead = true;
	else
		ret = toaster_probe_get(link, &ping);
	if (!dead) {
		link->probes++;
		mod_delayed_work(link->wq_work, &link->keepalive_work,
				 link->keepalive);
	}
	spin_unlock_bh(&link->lock);

	if (dead) {
		atomic64_inc(&link->dev->stats.timeouts);
		pr_warn_ratelimited("%s: no answer to %u keepalives in %u ms, connection dead\n",
				    link->dev->name, RIO_KEEPALIVE_MISSES,
				    jiffies_to_msecs(since));
		link->xops->abort(link, -ETIMEDOUT);
		return;
	}
	if (!ret) {
		atomic64_inc(&link->dev->stats.keepalives);
		toaster_link_xmit(link, &ping, NULL);
	}
}

/**
 * toaster_link_keepalive_start() - the link is up: watch it
 * @link: link
 */
void toaster_link_keepalive_start(struct toaster_link *link)
{
	if (!link->keepalive)
		return;
	WRITE_ONCE(link->last_rx, jiffies);
	WRITE_ONCE(link->last_tx, jiffies);
	mod_delayed_work(link->wq_work, &link->keepalive_work, link->keepalive);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_keepalive_start);

/**
 * toaster_link_resume_init() - set up keepalive and resume of a new link
 * @link: link from toaster_link_alloc(), before its first request
 * @wq: workqueue for the resume and keepalive work
 * @resume_ms: how long to try to resume a session (0: never)
 * @keepalive_ms: idle time before a keepalive PING (0: none)
 */
void toaster_link_resume_init(struct toaster_link *link,
			      struct workqueue_struct *wq,
			      unsigned int resume_ms,
			      unsigned int keepalive_ms)
{
	link->wq_work = wq;
	link->resume_ms = msecs_to_jiffies(resume_ms);
	link->keepalive = msecs_to_jiffies(keepalive_ms);
	INIT_DELAYED_WORK(&link->resume_work, toaster_resume_work);
	INIT_DELAYED_WORK(&link->keepalive_work, toaster_keepalive_work);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_resume_init);

/**
 * toaster_link_resume_stop() - no more resume or keepalive
 * @link: link being closed (state TOASTER_LINK_CLOSING or DEAD), so that
 *	neither work starts anything new
 */
void toaster_link_resume_stop(struct toaster_link *link)
{
	if (!link->wq_work)
		return;
	cancel_delayed_work_sync(&link->resume_work);
	cancel_delayed_work_sync(&link->keepalive_work);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_resume_stop);
