// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: a toaster's request queue, and what each request does.
 *
 * Requests of the owner run in FIFO order under the toaster's lock. A READ
 * of untoasted bread or a WRITE into a full slot waits at the head of the
 * queue until toast_work (armed for the next moment that matters), a
 * CANCEL or its wait limit (the client's wait_ms, then RIO_S_AGAIN). A
 * NOTIFY caused by a request goes out before that request's answer. PING
 * has no effect and is answered at once, ahead of the queue (srv_ping()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"
#include "rio/conn.h"
#include "rio/testing.h"

/**
 * srv_now_ms() - the server's clock
 *
 * Return: monotonic time in milliseconds.
 */
u64 srv_now_ms(void)
{
	return ktime_to_ms(ktime_get());
}
EXPORT_SYMBOL_IF_KUNIT(srv_now_ms);

/**
 * srv_room() - the room to report in a response to the owner
 * @t: toaster with an owner, lock held
 *
 * Responses go out in the order the requests ran, each with the slot's
 * free room just after its request: with the WRITEs it has not seen
 * answered, the owner knows exactly how much more it can write without
 * being refused (docs/protocol.md, "Write credit").
 *
 * Return: free bytes in the slot, or 0 if the owner was not granted
 * RIO_CAP_CREDIT.
 */
u32 srv_room(struct srv_toaster *t)
{
	lockdep_assert_held(&t->lock);
	if (!(t->owner->caps & RIO_CAP_CREDIT))
		return 0;
	return toaster_model_room(&t->model);
}

static void srv_req_free(struct srv_req *req)
{
	rio_buf_put(req->data);
	kfree(req);
}

/*
 * Tell the owner its readiness changed; before any response it causes.
 * @more: an answer follows at once: queue the NOTIFY to leave with it.
 */
static void srv_notify(struct srv_toaster *t, u64 now, bool more)
{
	int ret;

	struct rio_msg msg = {
		.opcode = RIO_OP_NOTIFY,
		.flags = RIO_F_RESPONSE,
	};

	lockdep_assert_held(&t->lock);
	/* Only a client that offered RIO_CAP_NOTIFY gets NOTIFY frames. */
	if (!t->owner || !(t->owner->caps & RIO_CAP_NOTIFY))
		return;
	msg.arg = toaster_model_readiness(&t->model, now);
	if (msg.arg == t->ready_mask)
		return;
	t->ready_mask = msg.arg;
	if (more)
		ret = rio_conn_queue(t->owner->rc, &msg, NULL);
	else
		ret = rio_conn_send(t->owner->rc, &msg, NULL);
	if (ret)
		t->ready_mask = ~0U;	/* resend when possible */
}

/*
 * Answer the request and free it. @payload (a rio_buf, @len bytes) goes
 * with a successful response and is freed otherwise.
 */
static void srv_complete(struct srv_toaster *t, struct srv_req *req,
			 u32 status, void *payload, u32 len, u32 arg, u64 now)
{
	struct rio_msg msg = {
		.opcode = req->msg.opcode,
		.flags = RIO_F_RESPONSE,
		.tag = req->msg.tag,
		.status = status,
		.ioctl = req->msg.ioctl,
	};

	lockdep_assert_held(&t->lock);
	list_del(&req->node);
	t->model.counters.requests++;
	if (status == RIO_S_CANCELED)
		t->model.counters.cancelled++;
	if (status == RIO_S_OK) {
		msg.arg = arg;
		msg.length = len;
	} else {
		rio_buf_put(payload);
		payload = NULL;
	}
	srv_notify(t, now, true);
	msg.room = srv_room(t);
	srv_session_keep(t, &msg, payload);
	rio_conn_send(t->owner->rc, &msg, payload);
	srv_req_free(req);
}

static void srv_fail(struct srv_toaster *t, struct srv_req *req, int err,
		     u64 now)
{
	srv_complete(t, req, rio_errno_to_status(err), NULL, 0, 0, now);
}

/* The big-endian encodings of IOCTL arguments (docs/protocol.md). */
static void srv_ioctl_status(struct srv_toaster *t, struct srv_req *req,
			     u64 now)
{
	struct toaster_status st;
	void *wire;

	wire = rio_buf_alloc(sizeof(st));
	if (!wire) {
		srv_fail(t, req, -ENOMEM, now);
		return;
	}
	toaster_model_status(&t->model, now, &st);
	st.serial = t->serial;
	rio_args_to_wire(wire, &st, sizeof(st), sizeof(u32));
	srv_complete(t, req, RIO_S_OK, wire, sizeof(st), 0, now);
}

static void srv_ioctl_counters(struct srv_toaster *t, struct srv_req *req,
			       u64 now)
{
	const struct toaster_counters *c = &t->model.counters;
	void *wire;

	wire = rio_buf_alloc(sizeof(*c));
	if (!wire) {
		srv_fail(t, req, -ENOMEM, now);
		return;
	}
	rio_args_to_wire(wire, c, sizeof(*c), sizeof(u64));
	srv_complete(t, req, RIO_S_OK, wire, sizeof(*c), 0, now);
}

/* Commands with a __u32 argument in, nothing out. */
static int srv_ioctl_u32(struct srv_toaster *t, u32 nr, u32 val)
{
	void *buf;

	switch (nr) {
	case TOASTER_IOC_NR_SET_DARKNESS:
		return toaster_model_set_darkness(&t->model, val);
	case TOASTER_IOC_NR_SET_OVERWRITE:
		if (val > 1)
			return -EINVAL;
		toaster_model_set_overwrite(&t->model, val);
		return 0;
	case TOASTER_IOC_NR_SET_CAPACITY:
		if (val < TOASTER_CAPACITY_MIN || val > TOASTER_CAPACITY_MAX)
			return -EINVAL;
		buf = kvmalloc(val, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		kvfree(toaster_model_set_capacity(&t->model, buf, val));
		return 0;
	}
	return -ENOTTY;
}

/* Check an IOCTL's sizes and run it. Return: 0 or a negative errno. */
static int srv_ioctl_run(struct srv_toaster *t, struct srv_req *req, u64 now)
{
	const struct rio_msg *m = &req->msg;
	void *buf;

	switch (m->ioctl) {
	case TOASTER_IOC_NR_STATUS:
		if (m->length || m->arg != sizeof(struct toaster_status))
			return -EINVAL;
		srv_ioctl_status(t, req, now);
		return 0;
	case TOASTER_IOC_NR_COUNTERS:
		if (m->length || m->arg != sizeof(struct toaster_counters))
			return -EINVAL;
		srv_ioctl_counters(t, req, now);
		return 0;
	case TOASTER_IOC_NR_POP:
		if (m->length || m->arg)
			return -EINVAL;
		toaster_model_pop(&t->model);
		break;
	case TOASTER_IOC_NR_RESET:
		if (m->length || m->arg)
			return -EINVAL;
		buf = kvmalloc(TOASTER_CAPACITY_DEFAULT, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		kvfree(toaster_model_reset(&t->model, buf));
		break;
	case TOASTER_IOC_NR_SET_DARKNESS:
	case TOASTER_IOC_NR_SET_OVERWRITE:
	case TOASTER_IOC_NR_SET_CAPACITY: {
		u32 val;
		int err;

		if (m->length != sizeof(val) || m->arg)
			return -EINVAL;
		rio_args_from_wire(&val, req->data, sizeof(val), sizeof(val));
		err = srv_ioctl_u32(t, m->ioctl, val);
		if (err)
			return err;
		break;
	}
	default:
		return -ENOTTY;
	}
	srv_complete(t, req, RIO_S_OK, NULL, 0, 0, now);
	return 0;
}

static void srv_ioctl(struct srv_toaster *t, struct srv_req *req, u64 now)
{
	int err = srv_ioctl_run(t, req, now);

	if (err)
		srv_fail(t, req, err, now);
}

static bool srv_may_wait(const struct srv_req *req, u64 now)
{
	return !(req->msg.flags & RIO_F_NONBLOCK) && now < req->deadline_ms;
}

static bool srv_read(struct srv_toaster *t, struct srv_req *req, u64 now)
{
	u32 n = min(req->msg.arg, toaster_model_ready(&t->model, now));
	void *buf = NULL;

	if (!n && t->model.len) {	/* only untoasted bread */
		if (srv_may_wait(req, now))
			return false;
		srv_fail(t, req, -EAGAIN, now);
		return true;
	}
	if (n) {
		buf = rio_buf_alloc(n);
		if (!buf) {
			srv_fail(t, req, -ENOMEM, now);
			return true;
		}
	}
	toaster_model_read(&t->model, buf, n, now);
	srv_complete(t, req, RIO_S_OK, buf, n, 0, now);
	return true;
}

static bool srv_write(struct srv_toaster *t, struct srv_req *req, u64 now)
{
	u32 n;

	if (!toaster_model_room(&t->model) &&
	    !(t->model.flags & TOASTER_FLAG_OVERWRITE)) {
		if (srv_may_wait(req, now))
			return false;
		srv_fail(t, req, -EAGAIN, now);
		return true;
	}
	n = toaster_model_write(&t->model, req->data, req->msg.length, now);
	srv_complete(t, req, RIO_S_OK, NULL, 0, n, now);
	return true;
}

/* Run one request. Return: false if it has to wait at the queue's head. */
static bool srv_execute(struct srv_toaster *t, struct srv_req *req, u64 now)
{
	switch (req->msg.opcode) {
	case RIO_OP_READ:
		return srv_read(t, req, now);
	case RIO_OP_WRITE:
		return srv_write(t, req, now);
	case RIO_OP_IOCTL:
		srv_ioctl(t, req, now);
		return true;
	}
	WARN_ON_ONCE(1);	/* srv_frame() queues nothing else */
	srv_fail(t, req, -EPROTO, now);
	return true;
}

/* Arm toast_work for the next moment the queue or readiness can change. */
static void srv_schedule(struct srv_toaster *t, u64 now)
{
	struct srv_req *head;
	u64 next;

	next = toaster_model_next_ready(&t->model, now);
	head = list_first_entry_or_null(&t->queue, struct srv_req, node);
	if (head && (!next || head->deadline_ms < next))
		next = head->deadline_ms;
	if (next)
		mod_delayed_work(t->srv->wq, &t->toast_work,
				 msecs_to_jiffies(next - now));
}

/**
 * srv_run_queue() - run a toaster's queued requests, in order
 * @t: toaster, lock held
 *
 * Runs requests from the head until one has to wait, then sends the
 * readiness and arms toast_work. Nothing runs for an owner whose
 * connection died: a READ would consume toast that can no longer be
 * delivered. Its requests are dropped with it when its close_work detaches
 * it.
 */
void srv_run_queue(struct srv_toaster *t)
{
	u64 now = srv_now_ms();
	struct srv_req *req;

	lockdep_assert_held(&t->lock);
	if (!t->owner || rio_conn_is_dead(t->owner->rc))
		return;
	while ((req = list_first_entry_or_null(&t->queue, struct srv_req,
					       node))) {
		if (!srv_execute(t, req, now))
			break;
	}
	srv_notify(t, now, false);
	srv_schedule(t, now);
}
EXPORT_SYMBOL_IF_KUNIT(srv_run_queue);

/**
 * srv_toast_work() - run the queue when toast gets ready or a wait expires
 * @work: srv_toaster.toast_work
 */
void srv_toast_work(struct work_struct *work)
{
	struct srv_toaster *t = container_of(to_delayed_work(work),
					     struct srv_toaster, toast_work);

	mutex_lock(&t->lock);
	srv_run_queue(t);
	mutex_unlock(&t->lock);
}

/**
 * srv_drop_queue() - the owner is gone: its requests die with it
 * @t: toaster, lock held
 */
void srv_drop_queue(struct srv_toaster *t)
{
	struct srv_req *req, *next;

	lockdep_assert_held(&t->lock);
	list_for_each_entry_safe(req, next, &t->queue, node) {
		list_del(&req->node);
		srv_req_free(req);
	}
}

/*
 * Requests queued; -EPROTO if @tag is one of them: a tag is not reused
 * while outstanding.
 */
static int srv_queued(struct srv_conn *sc, u32 tag)
{
	struct srv_toaster *t = sc->t;
	struct srv_req *req;
	int n = 0;

	list_for_each_entry(req, &t->queue, node) {
		if (req->msg.tag == tag) {
			pr_warn_ratelimited("toaster%u: peer %s: tag %u reused while outstanding, closing\n",
					    t->serial, sc->rc->peer, tag);
			return -EPROTO;
		}
		n++;
	}
	return n;
}

/* The payload of a new request: taken if it was received in place. */
static int srv_req_data(struct srv_req *req, const void *payload, void *owned)
{
	if (owned) {
		req->data = owned;
	} else if (req->msg.length) {
		req->data = rio_buf_dup(payload, req->msg.length);
		if (!req->data)
			return -ENOMEM;
	}
	return 0;
}

/**
 * srv_enqueue() - queue a request of the owner and run the queue
 * @sc: the owner's connection
 * @msg: the request
 * @payload: its @msg->length bytes, copied unless they are @owned
 * @owned: @payload itself when the request may keep it (a rio_buf
 *	buffer it was received into, srv_rx_buf()), else NULL; consumed in
 *	every case
 *
 * Caller holds the toaster's lock.
 *
 * Return: 0; -EPROTO for a tag still outstanding or too many requests
 * (the connection is closed); -ENOMEM.
 */
int srv_enqueue(struct srv_conn *sc, const struct rio_msg *msg,
		const void *payload, void *owned)
{
	struct srv_toaster *t = sc->t;
	struct srv_req *req;
	int n;

	n = srv_queued(sc, msg->tag);
	if (n < 0)
		goto err;
	if (n >= SRV_MAX_INFLIGHT) {
		pr_warn_ratelimited("toaster%u: peer %s: more than %u requests outstanding, closing\n",
				    t->serial, sc->rc->peer, SRV_MAX_INFLIGHT);
		goto err;
	}

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req) {
		rio_buf_put(owned);
		return -ENOMEM;
	}
	req->msg = *msg;
	req->deadline_ms = srv_now_ms() + sc->wait_ms;
	if (srv_req_data(req, payload, owned)) {
		kfree(req);
		return -ENOMEM;
	}
	list_add_tail(&req->node, &t->queue);
	srv_run_queue(t);
	return 0;

err:
	rio_buf_put(owned);
	return -EPROTO;
}

/**
 * srv_ping() - answer a PING of the owner at once
 * @sc: the owner's connection
 * @msg: the PING
 * @payload: its @msg->length bytes, copied unless they are @owned
 * @owned: as for srv_enqueue(), consumed in every case
 *
 * A PING has no effect on the toaster, so it does not wait behind a
 * parked READ: it is the client's keepalive, and answering it late would
 * make a healthy connection look dead. The room it reports is safe for
 * the write credit: a WRITE queued before it has not run yet, and the
 * client still counts it as outstanding. Caller holds the toaster's lock.
 *
 * Return: 0; -EPROTO for a tag still outstanding; -ENOMEM.
 */
int srv_ping(struct srv_conn *sc, const struct rio_msg *msg,
	     const void *payload, void *owned)
{
	struct srv_toaster *t = sc->t;
	struct rio_msg a = {
		.opcode = RIO_OP_PING,
		.flags = RIO_F_RESPONSE,
		.tag = msg->tag,
		.length = msg->length,
	};
	void *data = owned;

	if (srv_queued(sc, msg->tag) < 0) {
		rio_buf_put(owned);
		return -EPROTO;
	}
	if (!data && msg->length) {
		data = rio_buf_dup(payload, msg->length);
		if (!data)
			return -ENOMEM;
	}
	t->model.counters.requests++;
	a.room = srv_room(t);
	rio_conn_send(sc->rc, &a, data);
	return 0;
}

/**
 * srv_cancel() - answer a queued request with CANCELED
 * @t: toaster, lock held
 * @tag: the owner's tag; unknown: it was answered already, nothing to do
 */
void srv_cancel(struct srv_toaster *t, u32 tag)
{
	struct srv_req *req;

	list_for_each_entry(req, &t->queue, node) {
		if (req->msg.tag == tag) {
			srv_fail(t, req, -ECANCELED, srv_now_ms());
			srv_run_queue(t);
			return;
		}
	}
	/* Already answered: the normal race, nothing to do. */
}
