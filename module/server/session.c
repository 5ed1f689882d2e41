// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: sessions, which outlive a connection, and their reply
 * cache.
 *
 * A client granted RIO_CAP_SESSION owns its toaster through a session, not
 * through its connection. When the connection dies, the session keeps the
 * toaster (and its answers) for resume_ms; a new connection that says
 * HELLO with RIO_F_RESUME and the session's id takes it over and re-sends
 * the requests it has no answer for. A request that ran already is not
 * run again: its kept answer is sent instead (as NFSv4.1 does with its
 * slot replay cache), so every request runs exactly once.
 *
 * What is kept: the last SRV_MAX_INFLIGHT answers to READ, WRITE and
 * IOCTL. PING has no effect and simply runs again. The client never has
 * more than max_inflight requests unanswered, so an answer it did not get
 * is always among them: all answers sent after it went unseen too, and
 * belong to requests still unanswered on the client. Memory per session:
 * at most SRV_MAX_INFLIGHT payloads (each at most RIO_MAX_PAYLOAD).
 *
 * Requests still queued when the connection died had not run: they are
 * dropped (srv_drop_queue()) and run when the client sends them again.
 *
 * Everything here runs under the toaster's lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"
#include "rio/conn.h"

static void srv_session_drop_replies(struct srv_session *s)
{
	unsigned int i;

	if (!s->replies)
		return;
	for (i = 0; i < SRV_MAX_INFLIGHT; i++) {
		rio_buf_put(s->replies[i].payload);
		memset(&s->replies[i], 0, sizeof(s->replies[i]));
	}
	s->next = 0;
}

/**
 * srv_session_live() - does the toaster have a session?
 * @t: toaster, lock held
 *
 * Return: true while a session exists, attached or waiting to be resumed.
 */
bool srv_session_live(const struct srv_toaster *t)
{
	return !rio_session_none(t->sess.id);
}

/**
 * srv_session_match() - is @id the toaster's session?
 * @t: toaster, lock held
 * @id: RIO_SESSION_LEN bytes from a HELLO
 *
 * The id is what proves a client owned the session: compared in constant
 * time.
 *
 * Return: true if a session exists and @id names it.
 */
bool srv_session_match(const struct srv_toaster *t, const u8 *id)
{
	return srv_session_live(t) &&
	       !crypto_memneq(t->sess.id, id, RIO_SESSION_LEN);
}

/**
 * srv_session_new() - start a session for the new owner
 * @t: toaster, lock held, no session
 * @resume_ms: how long it outlives a connection, > 0
 * @id: the id the client asked for, or all zero: a random one
 *
 * A client that asks for an id knows it even if it never sees the HELLO
 * answer, so it can end or resume the session whatever happens to the
 * connection. The table of kept answers is allocated for the toaster's
 * first session and kept: toasters never used with one cost nothing.
 *
 * Return: 0, or -ENOMEM: then there is no session (the client is told).
 */
int srv_session_new(struct srv_toaster *t, u32 resume_ms, const u8 *id)
{
	struct srv_session *s = &t->sess;

	if (!s->replies) {
		s->replies = kcalloc(SRV_MAX_INFLIGHT, sizeof(*s->replies),
				     GFP_KERNEL);
		if (!s->replies)
			return -ENOMEM;
	}
	memcpy(s->id, id, sizeof(s->id));
	while (rio_session_none(s->id))
		get_random_bytes(s->id, sizeof(s->id));
	s->resume_ms = resume_ms;
	srv_session_drop_replies(s);
	return 0;
}

/**
 * srv_session_end() - forget the session and its answers
 * @t: toaster, lock held
 *
 * The toaster is free again once it has no owner either.
 */
void srv_session_end(struct srv_toaster *t)
{
	struct srv_session *s = &t->sess;

	cancel_delayed_work(&s->expire_work);	/* it checks under the lock */
	memset(s->id, 0, sizeof(s->id));
	s->resume_ms = 0;
	srv_session_drop_replies(s);
}

/**
 * srv_session_detach() - the session's connection died: keep it a while
 * @t: toaster, lock held, no owner any more
 */
void srv_session_detach(struct srv_toaster *t)
{
	if (!srv_session_live(t))
		return;
	if (t->stopping) {
		srv_session_end(t);
		return;
	}
	mod_delayed_work(t->srv->wq, &t->sess.expire_work,
			 msecs_to_jiffies(t->sess.resume_ms));
}

/**
 * srv_session_resume() - a new connection took the session over
 * @t: toaster, lock held, the new connection is the owner
 */
void srv_session_resume(struct srv_toaster *t)
{
	cancel_delayed_work(&t->sess.expire_work);
	t->sess.resumes++;
}

static void srv_session_expire_work(struct work_struct *work)
{
	struct srv_toaster *t = container_of(to_delayed_work(work),
					     struct srv_toaster,
					     sess.expire_work);

	mutex_lock(&t->lock);
	/* Resumed meanwhile, or ended: nothing to do. */
	if (!t->owner && srv_session_live(t)) {
		pr_info_ratelimited("toaster%u: session not resumed within %u ms, ended\n",
				    t->serial, t->sess.resume_ms);
		srv_session_end(t);
	}
	mutex_unlock(&t->lock);
}

/* Answers worth keeping: those of requests that must not run twice. */
static bool srv_session_keeps(const struct rio_msg *msg)
{
	return msg->opcode == RIO_OP_READ || msg->opcode == RIO_OP_WRITE ||
	       msg->opcode == RIO_OP_IOCTL;
}

/**
 * srv_session_keep() - keep an answer about to be sent
 * @t: toaster, lock held
 * @msg: the answer
 * @payload: its @msg->length bytes (a rio_buf), or NULL
 *
 * The oldest kept answer makes room. What is kept is a reference on the
 * payload being sent, not a copy: a payload is never changed once sent.
 * Without a session, nothing is kept.
 */
void srv_session_keep(struct srv_toaster *t, const struct rio_msg *msg,
		      void *payload)
{
	struct srv_session *s = &t->sess;
	struct srv_reply *r;

	if (!srv_session_live(t) || !srv_session_keeps(msg))
		return;
	r = &s->replies[s->next];
	s->next = (s->next + 1) % SRV_MAX_INFLIGHT;
	rio_buf_put(r->payload);
	r->msg = *msg;
	r->msg.room = 0;	/* stale by the time it is replayed */
	r->payload = msg->length ? rio_buf_get(payload) : NULL;
}

static struct srv_reply *srv_session_find(struct srv_toaster *t, u32 tag)
{
	unsigned int i;

	for (i = 0; i < SRV_MAX_INFLIGHT; i++)
		if (t->sess.replies[i].msg.tag == tag)
			return &t->sess.replies[i];
	return NULL;
}

/**
 * srv_session_replay() - answer a request that ran already
 * @t: toaster with an owner, lock held
 * @msg: a request of the owner
 *
 * A client that resumed its session sends again what it has no answer
 * for. If the request ran, its kept answer goes out again (the payload
 * still kept too: the connection may die again before the client has
 * it); room is 0 in it,
 * which only withholds write credit until the next fresh answer.
 *
 * Return: 1 if answered here; 0 if the request has not run (the caller
 * queues it); -EPROTO if the tag's kept answer is for another opcode.
 */
int srv_session_replay(struct srv_toaster *t, const struct rio_msg *msg)
{
	struct srv_reply *r;

	if (!srv_session_live(t) || !msg->tag)
		return 0;
	r = srv_session_find(t, msg->tag);
	if (!r)
		return 0;
	if (r->msg.opcode != msg->opcode) {
		pr_warn_ratelimited("toaster%u: peer %s: tag %u of a %s sent again as a %s, closing\n",
				    t->serial, t->owner->rc->peer, msg->tag,
				    rio_op_str(r->msg.opcode),
				    rio_op_str(msg->opcode));
		return -EPROTO;
	}
	t->sess.replayed++;
	rio_conn_send(t->owner->rc, &r->msg,
		      r->payload ? rio_buf_get(r->payload) : NULL);
	return 1;
}

/**
 * srv_session_init() - a toaster without a session
 * @t: toaster being set up
 */
void srv_session_init(struct srv_toaster *t)
{
	INIT_DELAYED_WORK(&t->sess.expire_work, srv_session_expire_work);
}

/**
 * srv_session_stop() - the instance is going away: end the session
 * @t: toaster, stopping, lock not held, no connection left
 */
void srv_session_stop(struct srv_toaster *t)
{
	cancel_delayed_work_sync(&t->sess.expire_work);
	mutex_lock(&t->lock);
	srv_session_end(t);
	kfree(t->sess.replies);
	t->sess.replies = NULL;
	mutex_unlock(&t->lock);
}
