// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the toaster server driven by real kernel client sockets over
 * loopback. Each case starts its own server instance on ports
 * TEST_BASE_PORT + N, so it does not collide with toaster_server.ko.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/iopoll.h>

#include <linux/net.h>
#include <linux/tcp.h>
#include <net/sock.h>

#include "rio/conn.h"
#include "rio/sock.h"
#include "server/internal.h"

#define TEST_BASE_PORT	17000
#define TEST_TOAST_MS	20
#define TEST_WAIT_MS	5000

struct test_client {
	struct socket *sock;
	u32 tag;
	u32 mask;		/* last NOTIFY */
	unsigned int notifies;
};

static void test_srv_stop(void *srv)
{
	toaster_srv_stop(srv);
}

static struct toaster_srv *test_srv(struct kunit *test, unsigned int count,
				    unsigned int toast_ms)
{
	struct toaster_srv_config cfg = {
		.count = count,
		.base_port = TEST_BASE_PORT,
		.toast_ms = toast_ms,
	};
	struct toaster_srv *srv;

	KUNIT_ASSERT_EQ(test, toaster_parse_addr("127.0.0.1", &cfg.addr), 0);
	srv = toaster_srv_start(&cfg);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(srv), "start: %ld", PTR_ERR(srv));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_srv_stop,
							srv), 0);
	return srv;
}

static void test_client_close(void *arg)
{
	struct test_client *c = arg;

	if (c->sock)
		sock_release(c->sock);
}

static struct test_client *test_connect(struct kunit *test,
					unsigned int serial)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(TEST_BASE_PORT + serial),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct test_client *c;
	int ret;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &c->sock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, test_client_close,
							c), 0);
	c->sock->sk->sk_rcvtimeo = 3 * HZ;
	c->sock->sk->sk_sndtimeo = 3 * HZ;
	ret = kernel_connect(c->sock, (struct sockaddr *)&sin, sizeof(sin), 0);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return c;
}

static int test_send_hdr(struct test_client *c, const struct rio_hdr *hdr,
			 const void *payload, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct kvec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	int ret;

	ret = kernel_sendmsg(c->sock, &msg, iov, len ? 2 : 1,
			     sizeof(*hdr) + len);
	return ret == sizeof(*hdr) + len ? 0 : -EIO;
}

static int test_send(struct test_client *c, const struct rio_msg *m,
		     const void *payload)
{
	struct rio_hdr hdr;

	rio_encode(&hdr, m);
	return test_send_hdr(c, &hdr, payload, m->length);
}

static int test_recv_all(struct test_client *c, void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_WAITALL };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	int ret;

	if (!len)
		return 0;
	ret = kernel_recvmsg(c->sock, &msg, &iov, 1, len, MSG_WAITALL);
	if (ret == 0)
		return -ECONNRESET;
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

/* Next response frame; NOTIFY frames are recorded and skipped. */
static int test_recv(struct kunit *test, struct test_client *c,
		     struct rio_msg *m, void *payload, size_t max)
{
	struct rio_hdr hdr;
	u8 *junk;
	int ret;

	for (;;) {
		ret = test_recv_all(c, &hdr, sizeof(hdr));
		if (ret)
			return ret;
		ret = rio_decode(&hdr, RIO_DIR_RESPONSE, m);
		KUNIT_ASSERT_EQ_MSG(test, ret, RIO_OK, "%s", rio_bad_str(ret));
		if (m->opcode == RIO_OP_NOTIFY) {
			c->mask = m->arg;
			c->notifies++;
			continue;
		}
		if (m->length <= max)
			return test_recv_all(c, payload, m->length);
		junk = kunit_kmalloc(test, m->length, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, junk);
		return test_recv_all(c, junk, m->length) ?: -EMSGSIZE;
	}
}

/* The server closed the connection: EOF (or reset) comes before any frame. */
static bool test_closed(struct kunit *test, struct test_client *c)
{
	struct rio_msg m;
	u8 buf[64];
	int ret;

	do {
		ret = test_recv(test, c, &m, buf, sizeof(buf));
	} while (!ret);
	return ret == -ECONNRESET || ret == -EPIPE;
}

/* Send a request and wait for its response; returns the response status. */
static u32 test_call(struct kunit *test, struct test_client *c,
		     struct rio_msg *req, const void *payload,
		     struct rio_msg *resp, void *out, size_t max)
{
	req->tag = ++c->tag;
	KUNIT_ASSERT_EQ(test, test_send(c, req, payload), 0);
	KUNIT_ASSERT_EQ(test, test_recv(test, c, resp, out, max), 0);
	KUNIT_ASSERT_EQ(test, resp->tag, req->tag);
	KUNIT_ASSERT_EQ(test, rio_check_reply(req, resp), RIO_OK);
	return resp->status;
}

static u32 test_hello(struct kunit *test, struct test_client *c, u32 serial)
{
	struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 1,
		.wait_ms = TEST_WAIT_MS,
	};
	struct rio_msg req = {
		.opcode = RIO_OP_HELLO,
		.arg = serial,
		.length = sizeof(struct rio_hello),
	};
	struct rio_hello hello, back;
	struct rio_msg resp;
	u32 status;

	rio_hello_encode(&hello, &info);
	status = test_call(test, c, &req, &hello, &resp, &back, sizeof(back));
	if (status == RIO_S_OK) {
		KUNIT_ASSERT_EQ(test, resp.length, sizeof(back));
		KUNIT_ASSERT_EQ(test, rio_hello_decode(&back, &info), RIO_OK);
		KUNIT_EXPECT_EQ(test, info.caps, RIO_CAP_NOTIFY);
		KUNIT_EXPECT_EQ(test, info.wait_ms, TEST_WAIT_MS);
	}
	return status;
}

static u32 test_write(struct kunit *test, struct test_client *c,
		      const char *s, u32 *taken)
{
	struct rio_msg req = { .opcode = RIO_OP_WRITE, .length = strlen(s) };
	struct rio_msg resp;
	u32 status;

	status = test_call(test, c, &req, s, &resp, NULL, 0);
	*taken = resp.arg;
	return status;
}

static u32 test_read(struct kunit *test, struct test_client *c, u16 flags,
		     void *buf, u32 max, u32 *got)
{
	struct rio_msg req = { .opcode = RIO_OP_READ, .flags = flags,
			       .arg = max };
	struct rio_msg resp;
	u32 status;

	status = test_call(test, c, &req, NULL, &resp, buf, max);
	*got = resp.length;
	return status;
}

static u32 test_ping(struct kunit *test, struct test_client *c)
{
	struct rio_msg req = { .opcode = RIO_OP_PING, .length = 4 };
	struct rio_msg resp;
	u8 back[4];

	if (test_call(test, c, &req, "ping", &resp, back, sizeof(back)))
		return resp.status;
	KUNIT_EXPECT_MEMEQ(test, back, "ping", 4);
	return RIO_S_OK;
}

static void srv_hello_ok(struct kunit *test)
{
	struct test_client *c;

	test_srv(test, 1, TEST_TOAST_MS);
	c = test_connect(test, 1);
	KUNIT_EXPECT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_ping(test, c), RIO_S_OK);
	/* The first NOTIFY came before the PING answer: empty toaster. */
	KUNIT_EXPECT_EQ(test, c->notifies, 1);
	KUNIT_EXPECT_EQ(test, c->mask, RIO_READY_IN | RIO_READY_OUT);
}

/* A toaster gets its slot and session table when taken, not at load. */
static void srv_slot_at_hello(struct kunit *test)
{
	struct toaster_srv *srv = test_srv(test, 2, TEST_TOAST_MS);
	struct srv_toaster *t1 = &srv->toasters[0], *t2 = &srv->toasters[1];
	struct test_client *c;

	KUNIT_EXPECT_NULL(test, READ_ONCE(t1->model.buf));
	KUNIT_EXPECT_NULL(test, READ_ONCE(t2->model.buf));
	test_connect(test, 1);		/* connected, no HELLO: no slot */
	KUNIT_EXPECT_NULL(test, READ_ONCE(t1->model.buf));
	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	mutex_lock(&t1->lock);
	KUNIT_EXPECT_NOT_NULL(test, t1->model.buf);
	KUNIT_EXPECT_NOT_NULL(test, t1->model.batches);
	KUNIT_EXPECT_NULL(test, t1->sess.replies);	/* no session asked */
	mutex_unlock(&t1->lock);
	KUNIT_EXPECT_NULL(test, READ_ONCE(t2->model.buf));
}

static void srv_write_then_read(struct kunit *test)
{
	struct test_client *c;
	u32 taken, got;
	char buf[16];
	ktime_t start;

	test_srv(test, 1, TEST_TOAST_MS);
	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);

	start = ktime_get();
	KUNIT_EXPECT_EQ(test, test_write(test, c, "hello", &taken), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, taken, 5);
	KUNIT_EXPECT_EQ(test, c->mask, RIO_READY_OUT);	/* toasting */
	/* Non-blocking: not toasted yet. */
	KUNIT_EXPECT_EQ(test, test_read(test, c, RIO_F_NONBLOCK, buf,
					sizeof(buf), &got), RIO_S_AGAIN);
	/* Blocking: parked by the server until the toast is done. */
	KUNIT_EXPECT_EQ(test, test_read(test, c, 0, buf, sizeof(buf), &got),
			RIO_S_OK);
	KUNIT_EXPECT_EQ(test, got, 5);
	KUNIT_EXPECT_MEMEQ(test, buf, "hello", 5);
	KUNIT_EXPECT_GE(test, ktime_ms_delta(ktime_get(), start),
			(s64)TOASTER_DARKNESS_DEFAULT * TEST_TOAST_MS);
	/* Empty: EOF. */
	KUNIT_EXPECT_EQ(test, test_read(test, c, 0, buf, sizeof(buf), &got),
			RIO_S_OK);
	KUNIT_EXPECT_EQ(test, got, 0);
	KUNIT_EXPECT_EQ(test, c->mask, RIO_READY_IN | RIO_READY_OUT);
}

static void srv_busy_second_client(struct kunit *test)
{
	struct test_client *a, *b;

	test_srv(test, 1, TEST_TOAST_MS);
	a = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, a, 1), RIO_S_OK);
	b = test_connect(test, 1);
	KUNIT_EXPECT_EQ(test, test_hello(test, b, 1), RIO_S_BUSY);
	KUNIT_EXPECT_TRUE(test, test_closed(test, b));
	KUNIT_EXPECT_EQ(test, test_ping(test, a), RIO_S_OK);
}

static void srv_serial_mismatch(struct kunit *test)
{
	struct test_client *c;

	test_srv(test, 2, TEST_TOAST_MS);
	c = test_connect(test, 1);
	KUNIT_EXPECT_EQ(test, test_hello(test, c, 2), RIO_S_NODEV);
	KUNIT_EXPECT_TRUE(test, test_closed(test, c));
}

static void srv_state_survives_reconnect(struct kunit *test)
{
	struct rio_msg bye = { .opcode = RIO_OP_BYE };
	struct test_client *c;
	u32 taken, got;
	char buf[8];

	test_srv(test, 1, 0);
	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_write(test, c, "abc", &taken), RIO_S_OK);
	KUNIT_ASSERT_EQ(test, test_send(c, &bye, NULL), 0);
	KUNIT_EXPECT_TRUE(test, test_closed(test, c));

	/* Right away: the old connection must not make the toaster busy. */
	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_read(test, c, 0, buf, sizeof(buf), &got),
			RIO_S_OK);
	KUNIT_EXPECT_EQ(test, got, 3);
	KUNIT_EXPECT_MEMEQ(test, buf, "abc", 3);
}

static void srv_cancel_parked_read(struct kunit *test)
{
	struct rio_msg read = { .opcode = RIO_OP_READ, .arg = 8 };
	struct rio_msg cancel = { .opcode = RIO_OP_CANCEL };
	struct test_client *c;
	struct rio_msg resp;
	u32 taken, got;
	char buf[8];
	ktime_t start;

	test_srv(test, 1, 1000);	/* 5 s of toasting */
	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_write(test, c, "x", &taken), RIO_S_OK);

	start = ktime_get();
	read.tag = ++c->tag;
	KUNIT_ASSERT_EQ(test, test_send(c, &read, NULL), 0);
	msleep(50);
	cancel.arg = read.tag;
	KUNIT_ASSERT_EQ(test, test_send(c, &cancel, NULL), 0);
	KUNIT_ASSERT_EQ(test, test_recv(test, c, &resp, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, resp.tag, read.tag);
	KUNIT_EXPECT_EQ(test, resp.status, RIO_S_CANCELED);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), start), 1000);

	/* A CANCEL for a tag already answered is ignored. */
	KUNIT_ASSERT_EQ(test, test_send(c, &cancel, NULL), 0);
	KUNIT_EXPECT_EQ(test, test_ping(test, c), RIO_S_OK);
	/* The bread is still there. */
	KUNIT_EXPECT_EQ(test, test_read(test, c, RIO_F_NONBLOCK, buf,
					sizeof(buf), &got), RIO_S_AGAIN);
}

static void srv_ioctls(struct kunit *test)
{
	struct rio_msg req = { .opcode = RIO_OP_IOCTL };
	struct toaster_status st;
	struct test_client *c;
	struct rio_msg resp;
	__be32 v, wire[8];

	test_srv(test, 2, TEST_TOAST_MS);
	c = test_connect(test, 2);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 2), RIO_S_OK);

	v = cpu_to_be32(7);
	req.ioctl = TOASTER_IOC_NR_SET_DARKNESS;
	req.length = sizeof(v);
	KUNIT_EXPECT_EQ(test, test_call(test, c, &req, &v, &resp, NULL, 0),
			RIO_S_OK);
	v = cpu_to_be32(11);
	KUNIT_EXPECT_EQ(test, test_call(test, c, &req, &v, &resp, NULL, 0),
			RIO_S_INVAL);

	req.ioctl = TOASTER_IOC_NR_STATUS;
	req.length = 0;
	req.arg = sizeof(st);
	KUNIT_ASSERT_EQ(test, test_call(test, c, &req, NULL, &resp, wire,
					sizeof(wire)), RIO_S_OK);
	KUNIT_ASSERT_EQ(test, resp.length, sizeof(st));
	KUNIT_EXPECT_EQ(test, be32_to_cpu(wire[1]), 7);		/* darkness */
	KUNIT_EXPECT_EQ(test, be32_to_cpu(wire[4]),		/* capacity */
			TOASTER_CAPACITY_DEFAULT);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(wire[6]), 2);		/* serial */

	req.ioctl = 0x3f;
	req.arg = 0;
	KUNIT_EXPECT_EQ(test, test_call(test, c, &req, NULL, &resp, NULL, 0),
			RIO_S_NOTTY);
}

/* Malformed frames: each closes its own connection and nothing else. */
enum srv_bad_kind {
	BAD_MAGIC, BAD_VERSION, BAD_OPCODE, BAD_LENGTH, BAD_RESPONSE_FLAG,
	BAD_NOTIFY, BAD_ROOM, BAD_BEFORE_HELLO,
};

struct srv_bad_case {
	const char *name;
	enum srv_bad_kind kind;
};

static const struct srv_bad_case srv_bad_cases[] = {
	{ "bad magic", BAD_MAGIC },
	{ "bad version", BAD_VERSION },
	{ "unknown opcode", BAD_OPCODE },
	{ "length over maximum", BAD_LENGTH },
	{ "response flag in a request", BAD_RESPONSE_FLAG },
	{ "response-only opcode", BAD_NOTIFY },
	{ "room in a request", BAD_ROOM },
	{ "ping before hello", BAD_BEFORE_HELLO },
};

static void srv_bad_mangle(enum srv_bad_kind kind, struct rio_hdr *h)
{
	switch (kind) {
	case BAD_MAGIC:
		h->magic = cpu_to_be32(0xdeadbeef);
		break;
	case BAD_VERSION:
		h->version = RIO_VERSION + 1;
		break;
	case BAD_OPCODE:
		h->opcode = 0x7f;
		break;
	case BAD_LENGTH:
		h->length = cpu_to_be32(RIO_MAX_PAYLOAD + 1);
		break;
	case BAD_RESPONSE_FLAG:
		h->flags = cpu_to_be16(RIO_F_RESPONSE);
		break;
	case BAD_NOTIFY:
		h->opcode = RIO_OP_NOTIFY;
		h->tag = 0;
		break;
	case BAD_ROOM:
		h->room = cpu_to_be32(1);
		break;
	case BAD_BEFORE_HELLO:
		break;
	}
}

static void srv_bad_desc(const struct srv_bad_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(srv_bad, srv_bad_cases, srv_bad_desc);

static void srv_malformed_closes_only_that(struct kunit *test)
{
	const struct srv_bad_case *bc = test->param_value;
	struct rio_msg ping = { .opcode = RIO_OP_PING, .tag = 100 };
	struct test_client *bad, *other, *same;
	struct rio_hdr hdr;

	test_srv(test, 2, TEST_TOAST_MS);
	other = test_connect(test, 2);
	KUNIT_ASSERT_EQ(test, test_hello(test, other, 2), RIO_S_OK);
	bad = test_connect(test, 1);
	if (bc->kind != BAD_BEFORE_HELLO)
		KUNIT_ASSERT_EQ(test, test_hello(test, bad, 1), RIO_S_OK);

	rio_encode(&hdr, &ping);
	srv_bad_mangle(bc->kind, &hdr);
	KUNIT_ASSERT_EQ(test, test_send_hdr(bad, &hdr, NULL, 0), 0);
	KUNIT_EXPECT_TRUE(test, test_closed(test, bad));

	/* The other toaster's client never noticed. */
	KUNIT_EXPECT_EQ(test, test_ping(test, other), RIO_S_OK);
	/* And the toaster is free again for a well-behaved client. */
	same = test_connect(test, 1);
	KUNIT_EXPECT_EQ(test, test_hello(test, same, 1), RIO_S_OK);
}

static void srv_tag_reuse_closes(struct kunit *test)
{
	struct rio_msg read = { .opcode = RIO_OP_READ, .arg = 8, .tag = 5 };
	struct test_client *c;
	u32 taken;

	test_srv(test, 1, 1000);
	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_write(test, c, "x", &taken), RIO_S_OK);
	/* The first READ is parked; the second reuses its tag. */
	KUNIT_ASSERT_EQ(test, test_send(c, &read, NULL), 0);
	KUNIT_ASSERT_EQ(test, test_send(c, &read, NULL), 0);
	KUNIT_EXPECT_TRUE(test, test_closed(test, c));
}

/*
 * A client that sends requests and never reads the answers must not make
 * the server queue them without bound: past RIO_TX_HIGH bytes waiting to be
 * sent, the connection stops reading requests. Every answer still arrives
 * once the client reads.
 */
static void srv_backpressure(struct kunit *test)
{
	struct rio_msg ping = { .opcode = RIO_OP_PING,
				.length = RIO_MAX_PAYLOAD };
	struct toaster_srv *srv = test_srv(test, 1, 0);
	struct test_client *c;
	struct rio_conn *rc;
	struct sock *sk;
	struct rio_msg resp;
	unsigned int sent, got;
	u32 first;
	size_t queued;
	bool throttled;
	u8 *buf;

	buf = kunit_kzalloc(test, RIO_MAX_PAYLOAD, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	c = test_connect(test, 1);
	/* Small socket buffers on both sides keep the test short. */
	sk = c->sock->sk;
	lock_sock(sk);
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	WRITE_ONCE(sk->sk_rcvbuf, 64 * 1024);
	release_sock(sk);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	mutex_lock(&srv->toasters[0].lock);
	rc = srv->toasters[0].owner->rc;
	sk = rc->sock->sk;
	lock_sock(sk);
	sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	WRITE_ONCE(sk->sk_sndbuf, 64 * 1024);
	release_sock(sk);
	mutex_unlock(&srv->toasters[0].lock);

	/* Send whole PINGs until the pipe is full: the server stopped. */
	c->sock->sk->sk_sndtimeo = HZ / 2;
	first = c->tag + 1;
	for (sent = 0; sent < 256; sent++) {
		ping.tag = ++c->tag;
		if (test_send(c, &ping, buf))
			break;
	}
	KUNIT_ASSERT_LT(test, sent, 256);

	spin_lock(&rc->lock);
	queued = rc->tx_bytes;
	throttled = rc->rx_throttled;
	spin_unlock(&rc->lock);
	KUNIT_EXPECT_TRUE(test, throttled);
	KUNIT_EXPECT_LE(test, queued,
			RIO_TX_HIGH + sizeof(struct rio_tx) + RIO_MAX_PAYLOAD);

	/* Every whole PING is answered, in order, once the client reads. */
	c->sock->sk->sk_rcvtimeo = 10 * HZ;
	for (got = 0; got < sent; got++) {
		if (test_recv(test, c, &resp, buf, RIO_MAX_PAYLOAD))
			break;
		KUNIT_EXPECT_EQ(test, resp.tag, first + got);
		KUNIT_EXPECT_EQ(test, resp.length, RIO_MAX_PAYLOAD);
	}
	KUNIT_EXPECT_EQ(test, got, sent);
}

static void srv_stop_with_clients(struct kunit *test)
{
	struct rio_msg read = { .opcode = RIO_OP_READ, .arg = 8, .tag = 9 };
	/* Too large for a KASAN stack frame. */
	struct toaster_srv_config *cfg = kunit_kzalloc(test, sizeof(*cfg),
						       GFP_KERNEL);
	struct test_client *a, *b;
	struct toaster_srv *srv;
	u32 taken;
	ktime_t start;

	KUNIT_ASSERT_NOT_NULL(test, cfg);
	cfg->count = 2;
	cfg->base_port = TEST_BASE_PORT;
	cfg->toast_ms = 1000;
	KUNIT_ASSERT_EQ(test, toaster_parse_addr("127.0.0.1", &cfg->addr), 0);
	srv = toaster_srv_start(cfg);
	KUNIT_ASSERT_FALSE(test, IS_ERR(srv));
	a = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, a, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_write(test, a, "x", &taken), RIO_S_OK);
	KUNIT_ASSERT_EQ(test, test_send(a, &read, NULL), 0);	/* parked */
	b = test_connect(test, 2);	/* no HELLO yet */
	msleep(50);

	start = ktime_get();
	toaster_srv_stop(srv);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), start), 1000);
	KUNIT_EXPECT_TRUE(test, test_closed(test, a));
	KUNIT_EXPECT_TRUE(test, test_closed(test, b));
}

/*
 * The server runs on its own workers: the tests poll what they wait for,
 * with read_poll_timeout() and these readers, every 20 ms.
 */
#define TEST_POLL_US	20000

static unsigned int test_nconns(struct srv_toaster *t)
{
	return READ_ONCE(t->nconns);
}

static bool test_queued(struct srv_toaster *t)
{
	return !list_empty_careful(&t->queue);
}

static bool test_conn_dead(struct srv_conn *sc)
{
	return rio_conn_is_dead(sc->rc);
}

static u32 test_toast_ready(struct srv_toaster *t)
{
	return toaster_model_ready(&t->model, srv_now_ms());
}

/*
 * A connection arriving the moment the listener's callbacks are live runs
 * accept_work at once: everything it uses must be in place by then. The
 * stub, called at exactly that point, connects and waits for the accept.
 */
static struct test_client *armed_client;

static void test_listen_armed(struct srv_toaster *t)
{
	struct kunit *test = kunit_get_current_test();

	armed_client = test_connect(test, t->serial);
	flush_work(&t->accept_work);
}

static void srv_connect_during_listen(struct kunit *test)
{
	armed_client = NULL;
	kunit_activate_static_stub(test, srv_listen_armed, test_listen_armed);
	test_srv(test, 1, TEST_TOAST_MS);
	kunit_deactivate_static_stub(test, srv_listen_armed);
	KUNIT_ASSERT_NOT_NULL(test, armed_client);
	KUNIT_EXPECT_EQ(test, test_hello(test, armed_client, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_ping(test, armed_client), RIO_S_OK);
}

/*
 * Between an owner's death and its close_work, the queue must not run its
 * requests: a parked READ would consume toast it can no longer deliver.
 * The test holds the toaster's lock, so close_work cannot run, and runs
 * the queue itself once the toast is ready.
 */
static void srv_dead_owner_runs_nothing(struct kunit *test)
{
	struct toaster_srv *srv = test_srv(test, 1, TEST_TOAST_MS);
	struct srv_toaster *t = &srv->toasters[0];
	struct rio_msg rd = { .opcode = RIO_OP_READ, .arg = 8 };
	struct test_client *c, *d;
	struct srv_conn *owner;
	bool queued, dead;
	u32 taken, got;
	u8 buf[8];

	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	KUNIT_ASSERT_EQ(test, test_write(test, c, "toast", &taken), RIO_S_OK);
	rd.tag = ++c->tag;
	KUNIT_ASSERT_EQ(test, test_send(c, &rd, NULL), 0);	/* parked */
	KUNIT_ASSERT_EQ(test, read_poll_timeout(test_queued, queued, queued,
						TEST_POLL_US, USEC_PER_SEC,
						false, t), 0);

	mutex_lock(&t->lock);
	owner = t->owner;
	KUNIT_ASSERT_NOT_NULL(test, owner);
	kernel_sock_shutdown(c->sock, SHUT_RDWR);	/* the client dies */
	if (read_poll_timeout(test_conn_dead, dead, dead, TEST_POLL_US,
			      2 * USEC_PER_SEC, false, owner) ||
	    read_poll_timeout(test_toast_ready, got, got == 5, TEST_POLL_US,
			      2 * USEC_PER_SEC, false, t)) {
		mutex_unlock(&t->lock);
		KUNIT_FAIL(test, "owner not dead or toast not ready in time");
		return;
	}
	srv_run_queue(t);
	got = t->model.len;
	mutex_unlock(&t->lock);
	KUNIT_EXPECT_EQ_MSG(test, got, 5U, "the dead owner's READ ran");

	/* The next owner gets the toast. */
	d = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, test_hello(test, d, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_read(test, d, 0, buf, sizeof(buf), &got),
			RIO_S_OK);
	KUNIT_EXPECT_EQ(test, got, 5U);
}

/*
 * The HELLO deadline is decided under the toaster's lock, as HELLO is
 * answered under it, so that a connection is never both answered OK and
 * closed for being late. While the test holds the lock past the deadline,
 * the connection must still be alive.
 */
static void srv_hello_deadline_under_lock(struct kunit *test)
{
	struct toaster_srv *srv = test_srv(test, 1, TEST_TOAST_MS);
	struct srv_toaster *t = &srv->toasters[0];
	struct test_client *c;
	struct srv_conn *sc;
	unsigned int n;
	bool alive;

	c = test_connect(test, 1);
	KUNIT_ASSERT_EQ(test, read_poll_timeout(test_nconns, n, n == 1,
						TEST_POLL_US, USEC_PER_SEC,
						false, t), 0);
	mutex_lock(&t->lock);
	sc = list_first_entry(&t->conns, struct srv_conn, node);
	msleep(RIO_HELLO_TIMEOUT_MS + 300);
	alive = !rio_conn_is_dead(sc->rc);
	mutex_unlock(&t->lock);
	KUNIT_EXPECT_TRUE_MSG(test, alive,
			      "HELLO timeout decided without the toaster's lock");
	/* Then the deadline does close it. */
	KUNIT_EXPECT_TRUE(test, test_closed(test, c));
}

/*
 * Connections that never say HELLO do not keep the owner out: when the
 * toaster's connections are all taken, the oldest silent one makes room.
 */
static void srv_silent_conns_evicted(struct kunit *test)
{
	struct toaster_srv *srv = test_srv(test, 1, TEST_TOAST_MS);
	struct srv_toaster *t = &srv->toasters[0];
	struct test_client *silent[SRV_MAX_CONNS + 2], *c;
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(silent); i++) {
		silent[i] = test_connect(test, 1);
		KUNIT_ASSERT_EQ(test, read_poll_timeout(test_nconns, n,
							n > min(i, SRV_MAX_CONNS - 1),
							TEST_POLL_US,
							USEC_PER_SEC, false, t),
				0);
	}
	c = test_connect(test, 1);
	KUNIT_EXPECT_EQ(test, test_hello(test, c, 1), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, test_ping(test, c), RIO_S_OK);
	/* The oldest went first, the newest silent one is still there. */
	KUNIT_EXPECT_TRUE(test, test_closed(test, silent[0]));
	KUNIT_EXPECT_TRUE(test, test_closed(test, silent[1]));
	mutex_lock(&t->lock);
	KUNIT_EXPECT_LE(test, t->nconns, 2 * SRV_MAX_CONNS);
	mutex_unlock(&t->lock);
}

/* An address literal as a peer address, as kernel_getpeername() gives. */
static struct sockaddr_storage srv_peer(struct kunit *test, const char *lit)
{
	struct sockaddr_storage ss;

	KUNIT_EXPECT_EQ(test, rio_parse_addr(lit, strlen(lit), &ss), 0);
	return ss;
}

static bool srv_allows(struct kunit *test, const struct srv_allow *a,
		       const char *lit)
{
	struct sockaddr_storage ss = srv_peer(test, lit);

	return srv_allow_match(a, &ss);
}

#define SRV_ALLOW_16	"1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,1.0.0.5,1.0.0.6," \
			"1.0.0.7,1.0.0.8,1.0.0.9,1.0.0.10,1.0.0.11," \
			"1.0.0.12,1.0.0.13,1.0.0.14,1.0.0.15,1.0.0.16"

/* allow=: parsing, IPv4 and IPv6 prefixes, IPv4-mapped peers. */
static void srv_allow_list(struct kunit *test)
{
	struct srv_allow a;

	KUNIT_EXPECT_EQ(test, srv_allow_parse(NULL, &a), 0);
	KUNIT_EXPECT_EQ(test, a.count, 0U);
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "192.0.2.1"));

	KUNIT_ASSERT_EQ(test, srv_allow_parse("10.1.0.0/16,192.0.2.7,fd00::/8,::1",
					      &a), 0);
	KUNIT_EXPECT_EQ(test, a.count, 4U);
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "10.1.255.3"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "10.2.0.1"));
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "192.0.2.7"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "192.0.2.8"));
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "fd12:3456::9"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "fe80::1"));
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "::1"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "::2"));
	/* The dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d. */
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "::ffff:10.1.2.3"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "::ffff:127.0.0.1"));

	/* Prefixes that are not whole bytes, 0 and the full length. */
	KUNIT_ASSERT_EQ(test, srv_allow_parse("192.0.2.64/27", &a), 0);
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "192.0.2.95"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "192.0.2.96"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "192.0.2.63"));
	KUNIT_ASSERT_EQ(test, srv_allow_parse("0.0.0.0/0", &a), 0);
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "203.0.113.9"));
	KUNIT_EXPECT_FALSE(test, srv_allows(test, &a, "2001:db8::1"));
	KUNIT_EXPECT_EQ(test, srv_allow_parse("::1/128", &a), 0);

	/* Malformed: refused, the module does not load. */
	KUNIT_EXPECT_EQ(test, srv_allow_parse("10.0.0.0/33", &a), -EINVAL);
	KUNIT_EXPECT_EQ(test, srv_allow_parse("::/129", &a), -EINVAL);
	KUNIT_EXPECT_EQ(test, srv_allow_parse("10.0.0.0/", &a), -EINVAL);
	KUNIT_EXPECT_EQ(test, srv_allow_parse("10.0.0.0/8x", &a), -EINVAL);
	KUNIT_EXPECT_EQ(test, srv_allow_parse("localhost", &a), -EINVAL);
	KUNIT_EXPECT_EQ(test, srv_allow_parse("10.0.0.1,", &a), -EINVAL);
	KUNIT_EXPECT_EQ(test, srv_allow_parse(",10.0.0.1", &a), -EINVAL);
	/* At most SRV_MAX_ALLOW networks. */
	KUNIT_ASSERT_EQ(test, srv_allow_parse(SRV_ALLOW_16, &a), 0);
	KUNIT_EXPECT_EQ(test, a.count, (unsigned int)SRV_MAX_ALLOW);
	KUNIT_EXPECT_TRUE(test, srv_allows(test, &a, "1.0.0.16"));
	KUNIT_EXPECT_EQ(test, srv_allow_parse(SRV_ALLOW_16 ",1.0.0.17", &a),
			-EINVAL);
}

/*
 * At most SRV_MAX_PREAUTH connections without HELLO on the whole server
 * (with a PSK: handshakes in progress): the next is closed at accept,
 * whichever toaster it is for; HELLO frees a place.
 */
static void srv_preauth_cap(struct kunit *test)
{
	const unsigned int per = SRV_MAX_CONNS, n = SRV_MAX_PREAUTH / per;
	struct toaster_srv *srv = test_srv(test, n + 1, 0);
	struct test_client *c, *last = NULL;
	unsigned int i, j;

	/* All within RIO_HELLO_TIMEOUT_MS, which would close them. */
	for (i = 1; i <= n; i++)
		for (j = 0; j < per; j++)
			last = test_connect(test, i);
	for (i = 0; i < 50 && atomic_read(&srv->preauth) < SRV_MAX_PREAUTH; i++)
		msleep(20);
	KUNIT_ASSERT_EQ(test, atomic_read(&srv->preauth), SRV_MAX_PREAUTH);

	c = test_connect(test, n + 1);
	KUNIT_EXPECT_TRUE(test, test_closed(test, c));
	KUNIT_EXPECT_EQ(test, atomic_read(&srv->preauth), SRV_MAX_PREAUTH);

	/* One of the silent ones says HELLO: there is room again. */
	KUNIT_EXPECT_EQ(test, test_hello(test, last, n), RIO_S_OK);
	KUNIT_EXPECT_EQ(test, atomic_read(&srv->preauth), SRV_MAX_PREAUTH - 1);
	c = test_connect(test, n + 1);
	KUNIT_EXPECT_EQ(test, test_hello(test, c, n + 1), RIO_S_OK);
}

static struct kunit_case toaster_server_cases[] = {
	KUNIT_CASE(srv_hello_ok),
	KUNIT_CASE(srv_connect_during_listen),
	KUNIT_CASE(srv_dead_owner_runs_nothing),
	KUNIT_CASE_SLOW(srv_hello_deadline_under_lock),
	KUNIT_CASE(srv_silent_conns_evicted),
	KUNIT_CASE(srv_slot_at_hello),
	KUNIT_CASE(srv_write_then_read),
	KUNIT_CASE(srv_busy_second_client),
	KUNIT_CASE(srv_serial_mismatch),
	KUNIT_CASE(srv_state_survives_reconnect),
	KUNIT_CASE(srv_cancel_parked_read),
	KUNIT_CASE(srv_ioctls),
	KUNIT_CASE_PARAM(srv_malformed_closes_only_that, srv_bad_gen_params),
	KUNIT_CASE(srv_tag_reuse_closes),
	KUNIT_CASE_SLOW(srv_backpressure),
	KUNIT_CASE(srv_stop_with_clients),
	KUNIT_CASE(srv_allow_list),
	KUNIT_CASE(srv_preauth_cap),
	{}
};

static struct kunit_suite toaster_server_suite = {
	.name = "toaster_server",
	.test_cases = toaster_server_cases,
};

kunit_test_suite(toaster_server_suite);

MODULE_IMPORT_NS(TOASTER_RIO);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the toaster server over loopback");
