// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: listeners, connections, and the request queue of each
 * toaster.
 *
 * Contexts and locks:
 * - The listener's sk_data_ready (softirq) queues accept_work.
 * - accept_work accepts, resets the inherited callbacks of the new socket
 *   and starts a struct rio_conn on it.
 * - Each connection's rx_work delivers frames to srv_frame(), which runs
 *   under the toaster's mutex. Requests are queued per toaster and run in
 *   FIFO order by srv_run_queue(); a request that must wait (READ before
 *   the toast is done, WRITE into a full slot) stays at the head of the
 *   queue and toast_work, a delayed work armed for the next point in time
 *   that matters, runs the queue again. No worker ever sleeps waiting for
 *   toast.
 * - srv_toaster.lock (mutex) protects the model, the queue, the owner and
 *   the list of connections. Lock order: srv_toaster.lock ->
 *   rio_conn.tx_mutex -> socket lock.
 * - A dead connection (peer left, protocol error, BYE, shutdown) is torn
 *   down by its close_work, in process context, from the workqueue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "rio_conn.h"
#include "server.h"
#include "toaster_model.h"

#define SRV_MAX_INFLIGHT	16	/* queued requests per client */
#define SRV_MAX_WAIT_MS		60000	/* cap on a client's wait_ms */
#define SRV_BACKLOG		8
#define SRV_MAX_CONNS		8	/* connections per toaster, any state */
/* A silent peer (host gone, no FIN) is detected in 10 + 3 x 5 s. */
#define SRV_KEEPIDLE_S		10
#define SRV_KEEPINTVL_S		5
#define SRV_KEEPCNT		3

/**
 * struct srv_toaster - one toaster and its listener
 * @srv: instance
 * @serial: N, listening on base_port + N
 * @listener: listening socket
 * @accept_work: accepts pending connections
 * @saved_data_ready: listener's original callback, also given back to
 *	accepted sockets, which inherit the listener's callbacks
 * @saved_state_change: as @saved_data_ready
 * @saved_write_space: as @saved_data_ready
 * @lock: protects everything below
 * @model: the toaster's state, kept across connections
 * @conns: every connection of this toaster, before or after HELLO
 * @nconns: entries in @conns, at most SRV_MAX_CONNS
 * @owner: the connection that said HELLO and holds the toaster
 * @queue: requests of @owner, oldest first
 * @ready_mask: readiness last sent to @owner in a NOTIFY
 * @toast_work: runs the queue when toast gets ready or a wait expires
 * @stopping: the instance is going away: no new owner
 */
struct srv_toaster {
	struct toaster_srv *srv;
	unsigned int serial;
	struct socket *listener;
	struct work_struct accept_work;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);

	struct mutex lock;		/* see above */
	struct toaster_model model;
	struct list_head conns;
	unsigned int nconns;
	struct srv_conn *owner;
	struct list_head queue;
	u32 ready_mask;
	struct delayed_work toast_work;
	bool stopping;
};

/**
 * struct toaster_srv - a server instance
 * @cfg: its configuration
 * @wq: runs accept, receive, toast and close work
 * @debugfs: status directory, or NULL
 * @toasters: @cfg.count toasters, index N - 1
 */
struct toaster_srv {
	struct toaster_srv_config cfg;
	struct workqueue_struct *wq;
	struct dentry *debugfs;
	struct srv_toaster toasters[];
};

/**
 * struct srv_conn - a client connection to a toaster
 * @node: in srv_toaster.conns
 * @t: the toaster
 * @rc: transport
 * @hello_work: closes the connection if no HELLO came in time
 * @close_work: tears the connection down once it is dead
 * @hello_done: HELLO accepted, this is @t's owner (under @t->lock)
 * @wait_ms: how long a blocking request may be parked
 */
struct srv_conn {
	struct list_head node;
	struct srv_toaster *t;
	struct rio_conn *rc;
	struct delayed_work hello_work;
	struct work_struct close_work;
	bool hello_done;
	u32 wait_ms;
};

/**
 * struct srv_req - a request waiting in a toaster's queue
 * @node: in srv_toaster.queue
 * @msg: its header
 * @data: copy of its payload (WRITE, IOCTL, PING), or NULL
 * @deadline_ms: a blocking READ or WRITE is answered RIO_S_AGAIN then
 */
struct srv_req {
	struct list_head node;
	struct rio_msg msg;
	void *data;
	u64 deadline_ms;
};

static u64 srv_now_ms(void)
{
	return ktime_to_ms(ktime_get());
}

static void srv_req_free(struct srv_req *req)
{
	kvfree(req->data);
	kfree(req);
}

/* Tell the owner its readiness changed; before any response it causes. */
static void srv_notify(struct srv_toaster *t, u64 now)
{
	struct rio_msg msg = {
		.opcode = RIO_OP_NOTIFY,
		.flags = RIO_F_RESPONSE,
	};

	lockdep_assert_held(&t->lock);
	msg.arg = toaster_model_readiness(&t->model, now);
	if (!t->owner || msg.arg == t->ready_mask)
		return;
	t->ready_mask = msg.arg;
	if (rio_conn_send(t->owner->rc, &msg, NULL))
		t->ready_mask = ~0U;	/* resend when possible */
}

/*
 * Answer the request and free it. @payload (kvmalloc'd, @len bytes) goes
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
		kvfree(payload);
		payload = NULL;
	}
	srv_notify(t, now);
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

	wire = kvmalloc(sizeof(st), GFP_KERNEL);
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

	wire = kvmalloc(sizeof(*c), GFP_KERNEL);
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
		buf = kvmalloc(n, GFP_KERNEL);
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
	void *data;

	switch (req->msg.opcode) {
	case RIO_OP_READ:
		return srv_read(t, req, now);
	case RIO_OP_WRITE:
		return srv_write(t, req, now);
	case RIO_OP_IOCTL:
		srv_ioctl(t, req, now);
		return true;
	case RIO_OP_PING:
		data = req->data;
		req->data = NULL;
		srv_complete(t, req, RIO_S_OK, data, req->msg.length, 0, now);
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

static void srv_run_queue(struct srv_toaster *t)
{
	u64 now = srv_now_ms();
	struct srv_req *req;

	lockdep_assert_held(&t->lock);
	if (!t->owner)
		return;
	while ((req = list_first_entry_or_null(&t->queue, struct srv_req,
					       node))) {
		if (!srv_execute(t, req, now))
			break;
	}
	srv_notify(t, now);
	srv_schedule(t, now);
}

static void srv_toast_work(struct work_struct *work)
{
	struct srv_toaster *t = container_of(to_delayed_work(work),
					     struct srv_toaster, toast_work);

	mutex_lock(&t->lock);
	srv_run_queue(t);
	mutex_unlock(&t->lock);
}

/* The owner is gone: its requests die with it, nobody is left to answer. */
static void srv_detach_owner(struct srv_toaster *t)
{
	struct srv_req *req, *next;

	lockdep_assert_held(&t->lock);
	list_for_each_entry_safe(req, next, &t->queue, node) {
		list_del(&req->node);
		srv_req_free(req);
	}
	t->owner = NULL;
}

/*
 * Is the owner leaving? A client that closes and reopens at once may say
 * HELLO on its new connection before the old one's FIN has been read.
 */
static bool srv_owner_leaving(struct srv_toaster *t)
{
	struct rio_conn *rc = t->owner->rc;

	return rio_conn_is_dead(rc) ||
	       READ_ONCE(rc->sock->sk->sk_state) != TCP_ESTABLISHED;
}

static int srv_refuse(struct srv_conn *sc, const struct rio_msg *req,
		      u32 status, const char *why)
{
	struct rio_msg msg = {
		.opcode = RIO_OP_HELLO,
		.flags = RIO_F_RESPONSE,
		.tag = req->tag,
		.status = status,
	};

	pr_info_ratelimited("toaster%u: peer %s refused: %s\n",
			    sc->t->serial, sc->rc->peer, why);
	rio_conn_send(sc->rc, &msg, NULL);
	return -ECONNREFUSED;	/* closes; the answer is already queued */
}

static int srv_hello(struct srv_conn *sc, const struct rio_msg *req,
		     const void *payload)
{
	struct srv_toaster *t = sc->t;
	struct rio_hello_info info;
	struct rio_msg msg = {
		.opcode = RIO_OP_HELLO,
		.flags = RIO_F_RESPONSE,
		.tag = req->tag,
		.length = sizeof(struct rio_hello),
	};
	struct rio_hello *hello;
	int bad;

	if (sc->hello_done) {
		pr_warn_ratelimited("toaster%u: peer %s: second HELLO, closing\n",
				    t->serial, sc->rc->peer);
		return -EPROTO;
	}
	bad = rio_hello_decode(payload, &info);
	if (bad) {
		pr_warn_ratelimited("toaster%u: peer %s: HELLO: %s, closing\n",
				    t->serial, sc->rc->peer, rio_bad_str(bad));
		return -EPROTO;
	}
	if (req->arg != t->serial)
		return srv_refuse(sc, req, RIO_S_NODEV, "serial mismatch");
	if (t->owner && srv_owner_leaving(t)) {
		rio_conn_abort(t->owner->rc, -ECONNRESET);
		srv_detach_owner(t);
	}
	if (t->owner || t->stopping)
		return srv_refuse(sc, req, RIO_S_BUSY, "toaster busy");

	hello = kvmalloc(sizeof(*hello), GFP_KERNEL);
	if (!hello)
		return -ENOMEM;
	WRITE_ONCE(sc->hello_done, true);
	sc->wait_ms = min(info.wait_ms, SRV_MAX_WAIT_MS);
	info.caps &= RIO_CAP_NOTIFY;
	info.max_payload = RIO_MAX_PAYLOAD;
	info.max_inflight = SRV_MAX_INFLIGHT;
	info.wait_ms = sc->wait_ms;
	rio_hello_encode(hello, &info);

	t->owner = sc;
	t->ready_mask = ~0U;	/* the first NOTIFY always goes out */
	t->model.counters.connections++;
	rio_conn_send(sc->rc, &msg, hello);
	srv_run_queue(t);
	return 0;
}

static int srv_enqueue(struct srv_conn *sc, const struct rio_msg *msg,
		       const void *payload)
{
	struct srv_toaster *t = sc->t;
	struct srv_req *req;
	unsigned int n = 0;

	list_for_each_entry(req, &t->queue, node) {
		if (req->msg.tag == msg->tag) {
			pr_warn_ratelimited("toaster%u: peer %s: tag %u reused while outstanding, closing\n",
					    t->serial, sc->rc->peer, msg->tag);
			return -EPROTO;
		}
		n++;
	}
	if (n >= SRV_MAX_INFLIGHT) {
		pr_warn_ratelimited("toaster%u: peer %s: more than %u requests outstanding, closing\n",
				    t->serial, sc->rc->peer, SRV_MAX_INFLIGHT);
		return -EPROTO;
	}

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->msg = *msg;
	req->deadline_ms = srv_now_ms() + sc->wait_ms;
	if (msg->length) {
		req->data = kvmalloc(msg->length, GFP_KERNEL);
		if (!req->data) {
			kfree(req);
			return -ENOMEM;
		}
		memcpy(req->data, payload, msg->length);
	}
	list_add_tail(&req->node, &t->queue);
	srv_run_queue(t);
	return 0;
}

static void srv_cancel(struct srv_toaster *t, u32 tag)
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

static int srv_frame(struct rio_conn *rc, const struct rio_msg *msg,
		     void *payload)
{
	struct srv_conn *sc = rc->priv;
	struct srv_toaster *t = sc->t;
	int ret = 0;

	mutex_lock(&t->lock);
	if (rio_conn_is_dead(rc)) {
		ret = -ENOTCONN;
	} else if (msg->opcode == RIO_OP_HELLO) {
		ret = srv_hello(sc, msg, payload);
	} else if (!sc->hello_done) {
		pr_warn_ratelimited("toaster%u: peer %s: %s before HELLO, closing\n",
				    t->serial, rc->peer, rio_op_str(msg->opcode));
		ret = -EPROTO;
	} else if (msg->opcode == RIO_OP_CANCEL) {
		srv_cancel(t, msg->arg);
	} else if (msg->opcode == RIO_OP_BYE) {
		ret = -ESHUTDOWN;
	} else {
		ret = srv_enqueue(sc, msg, payload);
	}
	mutex_unlock(&t->lock);
	return ret;
}

/* Called once when the connection dies; must not sleep. */
static void srv_dead(struct rio_conn *rc, int err)
{
	struct srv_conn *sc = rc->priv;

	queue_work(sc->t->srv->wq, &sc->close_work);
}

static const struct rio_conn_ops srv_conn_ops = {
	.frame = srv_frame,
	.dead = srv_dead,
};

static void srv_close_work(struct work_struct *work)
{
	struct srv_conn *sc = container_of(work, struct srv_conn, close_work);
	struct srv_toaster *t = sc->t;

	cancel_delayed_work_sync(&sc->hello_work);

	mutex_lock(&t->lock);
	list_del(&sc->node);
	t->nconns--;
	if (t->owner == sc)
		srv_detach_owner(t);
	mutex_unlock(&t->lock);

	pr_debug("toaster%u: peer %s gone (%d)\n", t->serial, sc->rc->peer,
		 sc->rc->err);
	rio_conn_close(sc->rc);
	kfree(sc);
}

static void srv_hello_work(struct work_struct *work)
{
	struct srv_conn *sc = container_of(to_delayed_work(work),
					   struct srv_conn, hello_work);

	if (READ_ONCE(sc->hello_done))
		return;
	pr_info_ratelimited("toaster%u: peer %s: no HELLO within %u ms, closing\n",
			    sc->t->serial, sc->rc->peer, RIO_HELLO_TIMEOUT_MS);
	rio_conn_abort(sc->rc, -ETIMEDOUT);
}

static void srv_accept_one(struct srv_toaster *t, struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct srv_conn *sc;
	struct rio_conn *rc;

	/* The new socket inherited the listener's callbacks and user data. */
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = t->saved_data_ready;
	sk->sk_state_change = t->saved_state_change;
	sk->sk_write_space = t->saved_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	rio_sock_setup(sock);
	sock_set_keepalive(sk);
	tcp_sock_set_keepidle(sk, SRV_KEEPIDLE_S);
	tcp_sock_set_keepintvl(sk, SRV_KEEPINTVL_S);
	tcp_sock_set_keepcnt(sk, SRV_KEEPCNT);

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc) {
		sock_release(sock);
		return;
	}
	rc = rio_conn_create(sock, t->srv->wq, RIO_DIR_REQUEST, &srv_conn_ops,
			     sc);
	if (IS_ERR(rc)) {
		kfree(sc);
		return;
	}
	sc->t = t;
	sc->rc = rc;
	INIT_DELAYED_WORK(&sc->hello_work, srv_hello_work);
	INIT_WORK(&sc->close_work, srv_close_work);

	mutex_lock(&t->lock);
	if (t->stopping || t->nconns >= SRV_MAX_CONNS) {
		if (!t->stopping)
			pr_warn_ratelimited("toaster%u: peer %s: too many connections, closing\n",
					    t->serial, rc->peer);
		mutex_unlock(&t->lock);
		rio_conn_put(rc);	/* never started: releases the socket */
		kfree(sc);
		return;
	}
	list_add_tail(&sc->node, &t->conns);
	t->nconns++;
	queue_delayed_work(t->srv->wq, &sc->hello_work,
			   msecs_to_jiffies(RIO_HELLO_TIMEOUT_MS));
	rio_conn_start(rc);
	mutex_unlock(&t->lock);
}

static void srv_accept_work(struct work_struct *work)
{
	struct srv_toaster *t = container_of(work, struct srv_toaster,
					     accept_work);
	struct socket *sock;
	int ret;

	for (;;) {
		ret = kernel_accept(t->listener, &sock, O_NONBLOCK);
		if (ret) {
			if (ret != -EAGAIN)
				pr_warn_ratelimited("toaster%u: accept: %d\n",
						    t->serial, ret);
			return;
		}
		srv_accept_one(t, sock);
		cond_resched();
	}
}

static void srv_listen_data_ready(struct sock *sk)
{
	struct srv_toaster *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = sk->sk_user_data;
	if (t && sk->sk_state == TCP_LISTEN)
		queue_work(t->srv->wq, &t->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static int srv_listen(struct srv_toaster *t)
{
	struct sockaddr_storage addr = t->srv->cfg.addr;
	u16 port = t->srv->cfg.base_port + t->serial;
	struct socket *sock;
	struct sock *sk;
	int len, ret;

	len = rio_addr_set_port(&addr, port);

	ret = sock_create_kern(&init_net, addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret)
		return ret;
	rio_sock_setup(sock);
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	ret = kernel_bind(sock, (struct sockaddr *)&addr, len);
	if (!ret)
		ret = kernel_listen(sock, SRV_BACKLOG);
	if (ret) {
		pr_err("toaster%u: cannot listen on port %u: %d\n", t->serial,
		       port, ret);
		sock_release(sock);
		return ret;
	}

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = t;
	t->saved_data_ready = sk->sk_data_ready;
	t->saved_state_change = sk->sk_state_change;
	t->saved_write_space = sk->sk_write_space;
	sk->sk_data_ready = srv_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	t->listener = sock;
	/* Connections that completed before the callback was installed. */
	queue_work(t->srv->wq, &t->accept_work);
	return 0;
}

static void srv_unlisten(struct srv_toaster *t)
{
	struct sock *sk;

	if (!t->listener)
		return;
	sk = t->listener->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = t->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&t->accept_work);
	sock_release(t->listener);
	t->listener = NULL;
}

static int srv_status_show(struct seq_file *s, void *unused)
{
	struct srv_toaster *t = s->private;
	struct toaster_counters *c = &t->model.counters;
	static const char * const states[] = { "empty", "toasting", "ready" };
	struct toaster_status st;

	mutex_lock(&t->lock);
	toaster_model_status(&t->model, srv_now_ms(), &st);
	seq_printf(s, "serial: %u\nport: %u\nclient: %s\n", t->serial,
		   t->srv->cfg.base_port + t->serial,
		   t->owner ? t->owner->rc->peer : "none");
	seq_printf(s, "state: %s\ndarkness: %u\nbytes: %u\nready: %u\n",
		   states[st.state], st.darkness, st.bytes, st.ready);
	seq_printf(s, "capacity: %u\noverwrite: %u\n", st.capacity,
		   !!(st.flags & TOASTER_FLAG_OVERWRITE));
	seq_printf(s, "bytes_written: %llu\nbytes_read: %llu\nbytes_dropped: %llu\n",
		   c->bytes_written, c->bytes_read, c->bytes_dropped);
	seq_printf(s, "requests: %llu\nconnections: %llu\ncancelled: %llu\n",
		   c->requests, c->connections, c->cancelled);
	mutex_unlock(&t->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(srv_status);

/**
 * toaster_parse_addr() - parse an IPv4 or IPv6 literal
 * @str: the literal; NULL or "" means any address (IPv6, dual stack)
 * @ss: out: the address, port 0
 *
 * Return: 0 or -EINVAL.
 */
int toaster_parse_addr(const char *str, struct sockaddr_storage *ss)
{
	if (str && *str)
		return rio_parse_addr(str, strlen(str), ss);
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET6;
	return 0;
}

static void srv_stop_toaster(struct srv_toaster *t)
{
	struct srv_conn *sc;

	mutex_lock(&t->lock);
	t->stopping = true;
	/* Each abort queues that connection's close_work. */
	list_for_each_entry(sc, &t->conns, node)
		rio_conn_abort(sc->rc, -ESHUTDOWN);
	mutex_unlock(&t->lock);
}

/**
 * toaster_srv_stop() - close every connection and listener, free all
 * @srv: instance from toaster_srv_start()
 *
 * Listeners first (no new connections), then the connections, then the
 * toasters; the workqueue goes last.
 */
void toaster_srv_stop(struct toaster_srv *srv)
{
	unsigned int i;

	debugfs_remove_recursive(srv->debugfs);
	for (i = 0; i < srv->cfg.count; i++)
		srv_unlisten(&srv->toasters[i]);
	for (i = 0; i < srv->cfg.count; i++)
		srv_stop_toaster(&srv->toasters[i]);
	/* Runs every close_work queued above. */
	flush_workqueue(srv->wq);
	for (i = 0; i < srv->cfg.count; i++) {
		struct srv_toaster *t = &srv->toasters[i];

		WARN_ON(!list_empty(&t->conns));
		cancel_delayed_work_sync(&t->toast_work);
		toaster_model_free(&t->model);
		mutex_destroy(&t->lock);
	}
	destroy_workqueue(srv->wq);
	kfree(srv);
}

/**
 * toaster_srv_start() - create the toasters and start listening
 * @cfg: configuration, copied
 *
 * Return: the instance or an ERR_PTR().
 */
struct toaster_srv *toaster_srv_start(const struct toaster_srv_config *cfg)
{
	struct toaster_srv *srv;
	unsigned int i;
	int ret;

	if (!cfg->count || cfg->count > RIO_MAX_SERIAL)
		return ERR_PTR(-EINVAL);

	srv = kzalloc(struct_size(srv, toasters, cfg->count), GFP_KERNEL);
	if (!srv)
		return ERR_PTR(-ENOMEM);
	srv->cfg = *cfg;
	srv->wq = alloc_workqueue("toaster_srv", WQ_UNBOUND, 0);
	if (!srv->wq) {
		kfree(srv);
		return ERR_PTR(-ENOMEM);
	}

	for (i = 0; i < cfg->count; i++) {
		struct srv_toaster *t = &srv->toasters[i];

		t->srv = srv;
		t->serial = i + 1;
		mutex_init(&t->lock);
		INIT_LIST_HEAD(&t->conns);
		INIT_LIST_HEAD(&t->queue);
		INIT_WORK(&t->accept_work, srv_accept_work);
		INIT_DELAYED_WORK(&t->toast_work, srv_toast_work);
	}
	for (i = 0; i < cfg->count; i++) {
		ret = toaster_model_init(&srv->toasters[i].model,
					 cfg->toast_ms);
		if (ret)
			goto err;
	}
	for (i = 0; i < cfg->count; i++) {
		ret = srv_listen(&srv->toasters[i]);
		if (ret)
			goto err;
	}

	if (cfg->debugfs_name) {
		srv->debugfs = debugfs_create_dir(cfg->debugfs_name, NULL);
		for (i = 0; i < cfg->count; i++) {
			char name[24];

			snprintf(name, sizeof(name), "toaster%u", i + 1);
			debugfs_create_file(name, 0444, srv->debugfs,
					    &srv->toasters[i],
					    &srv_status_fops);
		}
	}
	return srv;

err:
	toaster_srv_stop(srv);
	return ERR_PTR(ret);
}
