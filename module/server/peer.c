// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: one client connection - admission, HELLO and ownership,
 * frames, teardown.
 *
 * A connection is admitted at accept (at most SRV_MAX_CONNS per toaster;
 * when full, the oldest one that has not said HELLO makes room) and must
 * say HELLO within RIO_HELLO_TIMEOUT_MS. Until then it may only send a
 * HELLO: its receive buffer holds just that, the 64 KiB buffer comes with
 * ownership. The first valid HELLO for a free toaster makes the connection
 * its owner; others are refused (BUSY, NODEV) and closed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "internal.h"
#include "rio/conn.h"

/* A silent peer (host gone, no FIN) is detected in 10 + 3 x 5 s. */
#define SRV_KEEPIDLE_S		10
#define SRV_KEEPINTVL_S		5
#define SRV_KEEPCNT		3

/*
 * The owner's connection is gone: its queued requests die with it, nobody
 * is left to answer; none of them ran, and a client that resumes its
 * session sends them again. The session waits for that, unless the
 * client said BYE.
 */
static void srv_detach_owner(struct srv_toaster *t)
{
	bool bye = t->owner->bye;

	lockdep_assert_held(&t->lock);
	srv_drop_queue(t);
	t->owner = NULL;
	if (bye)
		srv_session_end(t);
	else
		srv_session_detach(t);
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

/*
 * A HELLO that names a session: with RIO_F_RESUME it resumes it; without,
 * it is the id the client wants for a new session, which replaces the
 * session of that id (the client's own previous one: it need not wait for
 * it to expire). Either way the session's old connection, if the server
 * still has it, is done. Return: 0, or a refusal.
 */
static int srv_hello_session(struct srv_conn *sc, const struct rio_msg *req,
			     const struct rio_hello_info *info)
{
	struct srv_toaster *t = sc->t;
	bool resume = req->flags & RIO_F_RESUME;

	if (rio_session_none(info->session))
		return resume ? -EPROTO : 0;
	if (!srv_session_match(t, info->session)) {
		if (resume)
			return srv_refuse(sc, req, RIO_S_STALE, "no such session");
		return 0;	/* long gone: nothing to end */
	}
	if (t->owner) {
		rio_conn_abort(t->owner->rc, -ECONNRESET);
		srv_detach_owner(t);
	}
	if (!resume)
		srv_session_end(t);
	return 0;
}

/*
 * What the HELLO answer grants: the capabilities we know, a session if
 * both sides want one (and its table could be allocated), the keepalive
 * the client promised.
 */
static void srv_hello_grant(struct srv_conn *sc, const struct rio_msg *req,
			    struct rio_hello_info *info)
{
	struct srv_toaster *t = sc->t;
	u32 resume_ms = min(info->resume_ms, t->srv->cfg.resume_ms);

	sc->wait_ms = min(info->wait_ms, SRV_MAX_WAIT_MS);
	sc->caps = info->caps & RIO_CAP_MASK;
	if (req->flags & RIO_F_RESUME)
		srv_session_resume(t);
	else if (!(sc->caps & RIO_CAP_SESSION) || !resume_ms ||
		 srv_session_new(t, resume_ms, info->session))
		sc->caps &= ~RIO_CAP_SESSION;

	info->caps = sc->caps;
	info->max_payload = RIO_MAX_PAYLOAD;
	info->max_inflight = SRV_MAX_INFLIGHT;
	info->wait_ms = sc->wait_ms;
	info->resume_ms = srv_session_live(t) ? t->sess.resume_ms : 0;
	memcpy(info->session, t->sess.id, RIO_SESSION_LEN);
	if (info->keepalive_ms)
		sc->idle_ms = (RIO_KEEPALIVE_MISSES + 1) * info->keepalive_ms;
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
	int bad, ret;

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
	ret = srv_hello_session(sc, req, &info);
	if (ret)
		return ret;
	if (t->owner && srv_owner_leaving(t)) {
		rio_conn_abort(t->owner->rc, -ECONNRESET);
		srv_detach_owner(t);
	}
	/* A session waiting to be resumed holds the toaster too. */
	if (t->owner || t->stopping ||
	    (srv_session_live(t) && !(req->flags & RIO_F_RESUME)))
		return srv_refuse(sc, req, RIO_S_BUSY, "toaster busy");

	/*
	 * Only now is the connection worth a full-size receive buffer, and
	 * the toaster its slot (kept from then on).
	 */
	ret = rio_conn_set_rx_max(sc->rc, RIO_MAX_PAYLOAD);
	if (ret)
		return ret;
	ret = toaster_model_alloc(&t->model);
	if (ret)
		return ret;
	hello = rio_buf_alloc(sizeof(*hello));
	if (!hello)
		return -ENOMEM;
	sc->hello_done = true;
	atomic_dec(&t->srv->preauth);
	srv_hello_grant(sc, req, &info);
	rio_hello_encode(hello, &info);
	if (sc->idle_ms) {
		WRITE_ONCE(sc->last_rx, jiffies);
		queue_delayed_work(t->srv->wq, &sc->idle_work,
				   msecs_to_jiffies(sc->idle_ms));
	}

	t->owner = sc;
	t->ready_mask = ~0U;	/* the first NOTIFY always goes out */
	t->model.counters.connections++;
	msg.room = srv_room(t);
	rio_conn_send(sc->rc, &msg, hello);
	srv_run_queue(t);
	return 0;
}

/* A request of the owner: answered again, answered now, or queued. */
static int srv_request(struct srv_conn *sc, const struct rio_msg *msg,
		       const void *payload, void *owned)
{
	int ret = srv_session_replay(sc->t, msg);

	if (ret) {
		rio_buf_put(owned);
		return min(ret, 0);	/* answered again, or -EPROTO */
	}
	if (msg->opcode == RIO_OP_PING)
		return srv_ping(sc, msg, payload, owned);
	return srv_enqueue(sc, msg, payload, owned);
}

static int srv_frame(struct rio_conn *rc, const struct rio_msg *msg,
		     void *payload)
{
	struct srv_conn *sc = rc->priv;
	struct srv_toaster *t = sc->t;
	void *owned = NULL;
	int ret = 0;

	/* Received in place by srv_rx_buf(): the request may keep it. */
	if (payload && payload == sc->rx_data) {
		owned = payload;
		sc->rx_data = NULL;
	}
	WRITE_ONCE(sc->last_rx, jiffies);

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
		sc->bye = true;
		ret = -ESHUTDOWN;
	} else {
		ret = srv_request(sc, msg, payload, owned);
		owned = NULL;
	}
	mutex_unlock(&t->lock);
	rio_buf_put(owned);
	return ret;
}

/*
 * A payload larger than the connection's inline buffer (a WRITE or PING
 * of the owner: before HELLO nothing that large is accepted) is received
 * straight into a buffer the request then keeps: no copy, and no 64 KiB
 * receive buffer per connection.
 */
static void *srv_rx_buf(struct rio_conn *rc, const struct rio_msg *msg)
{
	struct srv_conn *sc = rc->priv;

	if (msg->length <= RIO_RX_SMALL)
		return NULL;
	if (WARN_ON_ONCE(sc->rx_data))	/* frame() took or freed it */
		return ERR_PTR(-EPROTO);
	sc->rx_data = rio_buf_alloc(msg->length);
	return sc->rx_data ?: ERR_PTR(-ENOMEM);
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
	.rx_buf = srv_rx_buf,
};

static void srv_close_work(struct work_struct *work)
{
	struct srv_conn *sc = container_of(work, struct srv_conn, close_work);
	struct srv_toaster *t = sc->t;

	cancel_delayed_work_sync(&sc->hello_work);
	cancel_delayed_work_sync(&sc->idle_work);

	mutex_lock(&t->lock);
	list_del(&sc->node);
	t->nconns--;
	if (!sc->hello_done)
		atomic_dec(&t->srv->preauth);
	if (t->owner == sc)
		srv_detach_owner(t);
	mutex_unlock(&t->lock);

	pr_debug("toaster%u: peer %s gone (%d)\n", t->serial, sc->rc->peer,
		 sc->rc->err);
	rio_conn_close(sc->rc);
	rio_buf_put(sc->rx_data);	/* a payload that never arrived whole */
	kfree(sc);
}

/*
 * The HELLO deadline. Decided under the toaster's lock, as HELLO is
 * answered under it: a connection is either refused here or answered OK
 * there, never both.
 */
static void srv_hello_work(struct work_struct *work)
{
	struct srv_conn *sc = container_of(to_delayed_work(work),
					   struct srv_conn, hello_work);
	struct srv_toaster *t = sc->t;

	mutex_lock(&t->lock);
	if (!sc->hello_done) {
		pr_info_ratelimited("toaster%u: peer %s: no HELLO within %u ms, closing\n",
				    t->serial, sc->rc->peer,
				    RIO_HELLO_TIMEOUT_MS);
		rio_conn_abort(sc->rc, -ETIMEDOUT);
	}
	mutex_unlock(&t->lock);
}

/*
 * RIO-level keepalive: a client that promised a keepalive in its HELLO
 * and then stays silent for RIO_KEEPALIVE_MISSES + 1 of its periods is
 * gone (host down, network cut) - long before TCP's keepalive would say
 * so. Its session, if any, waits to be resumed.
 */
static void srv_idle_work(struct work_struct *work)
{
	struct srv_conn *sc = container_of(to_delayed_work(work),
					   struct srv_conn, idle_work);
	unsigned long limit = msecs_to_jiffies(sc->idle_ms);
	unsigned long idle = jiffies - READ_ONCE(sc->last_rx);

	if (rio_conn_is_dead(sc->rc))
		return;
	if (idle < limit) {
		queue_delayed_work(sc->t->srv->wq, &sc->idle_work,
				   limit - idle);
		return;
	}
	pr_info_ratelimited("toaster%u: peer %s silent for %u ms, closing\n",
			    sc->t->serial, sc->rc->peer, jiffies_to_msecs(idle));
	rio_conn_abort(sc->rc, -ETIMEDOUT);
}

/*
 * Make room for a new connection: evict the oldest one that has not said
 * HELLO and is not dying already. Return: false if there is none, or too
 * many are being torn down.
 */
static bool srv_make_room(struct srv_toaster *t)
{
	struct srv_conn *sc;

	lockdep_assert_held(&t->lock);
	if (t->nconns < SRV_MAX_CONNS)
		return true;
	if (t->nconns >= 2 * SRV_MAX_CONNS)
		return false;
	list_for_each_entry(sc, &t->conns, node) {
		if (sc->hello_done || rio_conn_is_dead(sc->rc))
			continue;
		pr_info_ratelimited("toaster%u: peer %s: no HELLO yet and the toaster is full, closing\n",
				    t->serial, sc->rc->peer);
		rio_conn_abort(sc->rc, -ECONNABORTED);
		return true;
	}
	return false;
}

/**
 * srv_accept_one() - admit an accepted connection
 * @t: toaster
 * @sock: the accepted socket, owned from now on
 *
 * A peer outside the allow-list is closed at once. The socket inherited
 * the listener's callbacks and user data: reset them before anything
 * else. Nothing large is allocated before HELLO.
 */
void srv_accept_one(struct srv_toaster *t, struct socket *sock)
{
	struct sockaddr_storage peer = {};
	struct sock *sk = sock->sk;
	struct srv_conn *sc;
	struct rio_conn *rc;

	/* Not on the allow-list: closed (RST) before anything is ours. */
	if (t->srv->cfg.allow.count &&
	    (kernel_getpeername(sock, (struct sockaddr *)&peer) < 0 ||
	     !srv_allow_match(&t->srv->cfg.allow, &peer))) {
		pr_info_ratelimited("toaster%u: peer %pISpc not allowed, closing\n",
				    t->serial, &peer);
		sock_no_linger(sk);
		sock_release(sock);
		return;
	}

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

	/* A cap on handshakes in progress on the whole server. */
	if (atomic_inc_return(&t->srv->preauth) > SRV_MAX_PREAUTH) {
		atomic_dec(&t->srv->preauth);
		pr_warn_ratelimited("toaster%u: %u connections without HELLO on the server, closing a new one\n",
				    t->serial, SRV_MAX_PREAUTH);
		sock_no_linger(sk);
		sock_release(sock);
		return;
	}
	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc) {
		atomic_dec(&t->srv->preauth);
		sock_release(sock);
		return;
	}
	/* Before HELLO, the HELLO is all a peer may send. */
	rc = rio_conn_create(sock, t->srv->wq, RIO_DIR_REQUEST, &srv_conn_ops,
			     sc, sizeof(struct rio_hello));
	if (IS_ERR(rc)) {
		atomic_dec(&t->srv->preauth);
		kfree(sc);
		return;
	}
	snprintf(rc->name, sizeof(rc->name), KBUILD_MODNAME ": toaster%u",
		 t->serial);
	/* A few hundred bytes until the client proved the key. */
	if (t->srv->cfg.psk && rio_conn_set_psk(rc, t->srv->cfg.psk)) {
		rio_conn_put(rc);	/* never started: releases the socket */
		atomic_dec(&t->srv->preauth);
		kfree(sc);
		return;
	}
	sc->t = t;
	sc->rc = rc;
	INIT_DELAYED_WORK(&sc->hello_work, srv_hello_work);
	INIT_DELAYED_WORK(&sc->idle_work, srv_idle_work);
	INIT_WORK(&sc->close_work, srv_close_work);

	mutex_lock(&t->lock);
	if (t->stopping || !srv_make_room(t)) {
		if (!t->stopping)
			pr_warn_ratelimited("toaster%u: peer %s: too many connections, closing\n",
					    t->serial, rc->peer);
		mutex_unlock(&t->lock);
		rio_conn_put(rc);	/* never started: releases the socket */
		atomic_dec(&t->srv->preauth);
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

/**
 * srv_stop_toaster() - no new owner; abort every connection
 * @t: toaster
 *
 * Each abort queues that connection's close_work.
 */
void srv_stop_toaster(struct srv_toaster *t)
{
	struct srv_conn *sc;

	mutex_lock(&t->lock);
	t->stopping = true;
	list_for_each_entry(sc, &t->conns, node)
		rio_conn_abort(sc->rc, -ESHUTDOWN);
	mutex_unlock(&t->lock);
}
