// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toaster_client": the client's request lifecycle - tags,
 * matching, cancel, stash, timeout, disconnect - on a fake transport that
 * records what the client sends and lets the test play the server.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "client/client.h"
#include "rio/buf.h"
#include "rio/sock.h"

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/mman.h>
#include <linux/poll.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/uio.h>

#define FAKE_MAX_SENT	64

/**
 * struct fake_xport - a transport that only records frames
 * @sent: headers sent, tags as assigned
 * @nsent: frames sent
 * @sent_done: completed once per frame sent
 * @payload: first bytes of the last payload sent (a HELLO's, whole)
 * @sent_data: first bytes of each payload sent
 * @dead: toaster_link_dead() was called
 * @abort_err: the error it was called with
 * @autoreply: answer every request from inside send(), with @reply_*
 * @autoreply_max: if set, answer only that many requests
 * @sig_at: if set, signal the sender (SIGUSR1) when frame @sig_at is sent
 * @reply_status: status of the automatic answer
 * @reply_arg: its arg; a WRITE's at most the bytes it carried
 * @reply_len: its payload length
 * @reply_payload: its payload
 * @reply_room: its room (RIO_CAP_CREDIT)
 * @reply_ret: what toaster_link_frame() returned for it
 * @reconnects: calls of reconnect()
 * @reconnect_err: what reconnect() returns
 */
struct fake_xport {
	struct rio_msg sent[FAKE_MAX_SENT];
	unsigned int nsent;
	struct completion sent_done;
	u8 payload[sizeof(struct rio_hello)];
	u8 sent_data[FAKE_MAX_SENT][8];
	bool dead;
	int abort_err;
	bool autoreply;
	unsigned int autoreply_max;
	unsigned int sig_at;
	u32 reply_status;
	u32 reply_arg;
	u32 reply_len;
	u8 reply_payload[64];
	u32 reply_room;
	int reply_ret;
	unsigned int reconnects;
	int reconnect_err;
};

struct tc_ctx {
	struct toaster_dev dev;
	struct toaster_link *link;
	struct fake_xport fx;
	u32 hello_room;		/* room in the answer of tc_hello_case() */
};

static void fake_abort(struct toaster_link *link, int err)
{
	struct fake_xport *fx = link->xpriv;

	if (fx->dead)
		return;
	fx->dead = true;
	fx->abort_err = err;
	toaster_link_dead(link, err);
}

/* Answer @msg with the @reply_* of the fake, as the server would. */
static void fake_reply(struct toaster_link *link, const struct rio_msg *msg)
{
	struct fake_xport *fx = link->xpriv;
	struct rio_msg r = {
		.opcode = msg->opcode,
		.flags = RIO_F_RESPONSE,
		.tag = msg->tag,
		.status = fx->reply_status,
		.ioctl = msg->ioctl,
		.arg = msg->opcode == RIO_OP_WRITE ?
		       min(fx->reply_arg, msg->length) : fx->reply_arg,
		.length = fx->reply_len,
		.room = fx->reply_room,
	};

	fx->reply_ret = toaster_link_frame(link, &r, fx->reply_payload);
	if (fx->reply_ret < 0)
		fake_abort(link, fx->reply_ret);
}

static int fake_send(struct toaster_link *link, const struct rio_msg *msg,
		     void *payload)
{
	struct fake_xport *fx = link->xpriv;

	memset(fx->payload, 0, sizeof(fx->payload));
	if (payload)
		memcpy(fx->payload, payload,
		       min_t(u32, msg->length, sizeof(fx->payload)));
	rio_buf_put(payload);
	if (fx->dead)
		return -ENOTCONN;
	if (fx->nsent < FAKE_MAX_SENT) {
		fx->sent[fx->nsent] = *msg;
		memcpy(fx->sent_data[fx->nsent], fx->payload,
		       sizeof(fx->sent_data[0]));
	}
	fx->nsent++;
	complete(&fx->sent_done);
	if (fx->sig_at && fx->nsent == fx->sig_at)
		send_sig(SIGUSR1, current, 1);

	if (!fx->autoreply || !msg->tag)
		return 0;
	if (fx->autoreply_max && !--fx->autoreply_max)
		fx->autoreply = false;	/* this answer is the last */
	fake_reply(link, msg);
	return 0;
}

static const struct toaster_xport_ops fake_xport_ops = {
	.send = fake_send,
	.abort = fake_abort,
};

/* A new connection that works at once, unless told otherwise. */
static int fake_reconnect(struct toaster_link *link)
{
	struct fake_xport *fx = link->xpriv;

	fx->reconnects++;
	if (fx->reconnect_err)
		return fx->reconnect_err;
	fx->dead = false;
	return 0;
}

static const struct toaster_xport_ops fake_resume_ops = {
	.send = fake_send,
	.abort = fake_abort,
	.reconnect = fake_reconnect,
};

/* A new link on a clean fake transport, still connecting. */
static struct toaster_link *tc_new_link(struct kunit *test, struct tc_ctx *ctx,
					unsigned int timeout_ms)
{
	toaster_link_free(ctx->link);
	memset(&ctx->fx, 0, sizeof(ctx->fx));
	init_completion(&ctx->fx.sent_done);
	ctx->link = toaster_link_alloc(&ctx->dev, timeout_ms);
	KUNIT_ASSERT_NOT_NULL(test, ctx->link);
	ctx->link->xops = &fake_xport_ops;
	ctx->link->xpriv = &ctx->fx;
	return ctx->link;
}

/* Every case starts from a link that is up, as after HELLO. */
static int tc_init(struct kunit *test)
{
	struct tc_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	toaster_dev_init(&ctx->dev, 7);
	tc_new_link(test, ctx, 1000);
	ctx->link->notify = true;
	ctx->link->state = TOASTER_LINK_UP;
	test->priv = ctx;
	return 0;
}

static long tc_ioctl(struct toaster_link *link, unsigned int cmd,
		     void __user *argp)
{
	return toaster_link_ioctl(link, cmd, argp, false);
}

static void tc_exit(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;

	toaster_link_free(ctx->link);
	mutex_destroy(&ctx->dev.lock);
}

/* poll masks as plain integers, for the KUnit macros */
#define TC_MASK(m)	((__force unsigned int)(m))

static unsigned int tc_poll(struct toaster_link *link)
{
	return TC_MASK(toaster_link_poll_mask(link));
}

/* User memory, for the paths that copy to and from userspace. */
static unsigned long tc_user_buf_len(struct kunit *test, size_t len)
{
	unsigned long ubuf;

	ubuf = kunit_vm_mmap(test, NULL, 0, len, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!ubuf)
		kunit_skip(test, "no user memory (kunit_vm_mmap)");
	return ubuf;
}

static unsigned long tc_user_buf(struct kunit *test)
{
	return tc_user_buf_len(test, PAGE_SIZE);
}

/* read() and write() as the file operations make them. */
static ssize_t tc_uread(struct toaster_link *link, void __user *buf,
			size_t count, bool nonblock)
{
	struct iov_iter iter;

	if (import_ubuf(ITER_DEST, buf, count, &iter))
		return -EFAULT;
	return toaster_link_read(link, &iter, nonblock);
}

static ssize_t tc_uwrite(struct toaster_link *link, const void __user *buf,
			 size_t count, bool nonblock)
{
	struct iov_iter iter;

	if (import_ubuf(ITER_SOURCE, (void __user *)buf, count, &iter))
		return -EFAULT;
	return toaster_link_write(link, &iter, nonblock);
}

/* A response to the request @req, as the server would send it. */
static struct rio_msg tc_resp(const struct toaster_req *req, u32 status,
			      u32 arg, u32 length)
{
	struct rio_msg r = {
		.opcode = req->msg.opcode,
		.flags = RIO_F_RESPONSE,
		.tag = req->msg.tag,
		.status = status,
		.ioctl = req->msg.ioctl,
		.arg = arg,
		.length = length,
	};

	return r;
}

static void tc_ping(struct toaster_req *req)
{
	memset(req, 0, sizeof(*req));
	req->msg.opcode = RIO_OP_PING;
}

static void tc_buf_put(void *buf)
{
	rio_buf_put(buf);
}

/* A READ of @arg bytes, with a buffer of its own as read() gives it. */
static void tc_read(struct kunit *test, struct toaster_req *req, u32 arg)
{
	memset(req, 0, sizeof(*req));
	req->msg.opcode = RIO_OP_READ;
	req->msg.arg = arg;
	req->resp_buf = rio_buf_alloc(arg);
	KUNIT_ASSERT_NOT_NULL(test, req->resp_buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, tc_buf_put,
							req->resp_buf), 0);
	req->resp_max = arg;
}

static void tc_status_ioctl(struct toaster_req *req, void *buf)
{
	memset(req, 0, sizeof(*req));
	req->msg.opcode = RIO_OP_IOCTL;
	req->msg.ioctl = TOASTER_IOC_NR_STATUS;
	req->msg.arg = sizeof(struct toaster_status);
	req->resp_buf = buf;
	req->resp_max = sizeof(struct toaster_status);
}

static void tc_request_ok(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req;

	ctx->fx.autoreply = true;
	tc_ping(&req);
	KUNIT_EXPECT_EQ(test, toaster_link_request(ctx->link, &req, 0), 0);
	KUNIT_EXPECT_EQ(test, ctx->fx.reply_ret, 0);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 1U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].opcode, RIO_OP_PING);
	KUNIT_EXPECT_NE(test, ctx->fx.sent[0].tag, 0U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.requests), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.errors), 0);

	/* The server's status comes back as an errno. */
	ctx->fx.reply_status = RIO_S_INVAL;
	tc_ping(&req);
	KUNIT_EXPECT_EQ(test, toaster_link_request(ctx->link, &req, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.errors), 1);
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);
}

static void tc_unknown_tag(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req;
	struct rio_msg r;

	tc_ping(&req);
	req.msg.tag = 1234;
	r = tc_resp(&req, RIO_S_OK, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), -EPROTO);

	/* Also with a request outstanding under another tag. */
	tc_ping(&req);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	r = tc_resp(&req, RIO_S_OK, 0, 0);
	r.tag++;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), -EPROTO);
	KUNIT_EXPECT_FALSE(test, req.done);
}

static void tc_duplicate_response(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req;
	struct rio_msg r;

	tc_ping(&req);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	r = tc_resp(&req, RIO_S_OK, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_TRUE(test, req.done);
	KUNIT_EXPECT_EQ(test, req.err, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), -EPROTO);
}

static void tc_cancel_late_dropped(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	u8 out[sizeof(struct toaster_status)], wire[sizeof(out)];
	struct toaster_req req;
	struct rio_msg r;

	/* Answered CANCELED: dropped. */
	tc_status_ioctl(&req, out);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(ctx->link, &req));
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 2U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].opcode, RIO_OP_CANCEL);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].tag, 0U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].arg, req.msg.tag);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.cancels), 1);
	r = tc_resp(&req, RIO_S_CANCELED, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_FALSE(test, req.done);
	/* The tag is forgotten now: once more is a protocol error. */
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), -EPROTO);

	/* Answered with its result: dropped too, the buffer untouched. */
	memset(out, 0xaa, sizeof(out));
	memset(wire, 0x55, sizeof(wire));
	tc_status_ioctl(&req, out);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(ctx->link, &req));
	r = tc_resp(&req, RIO_S_OK, 0, sizeof(wire));
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, wire), 0);
	KUNIT_EXPECT_FALSE(test, req.done);
	KUNIT_EXPECT_EQ(test, out[0], 0xaa);
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);

	/* Cancelling a request that completed already does nothing. */
	tc_ping(&req);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	r = tc_resp(&req, RIO_S_OK, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_FALSE(test, toaster_link_cancel(ctx->link, &req));
}

static void tc_cancel_read_stash(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	struct toaster_req req;
	unsigned long ubuf;
	struct rio_msg r = {
		.opcode = RIO_OP_NOTIFY,
		.flags = RIO_F_RESPONSE,
		.arg = RIO_READY_IN | RIO_READY_OUT,
	};
	unsigned int nsent;
	char got[8] = {};

	KUNIT_ASSERT_EQ(test, toaster_link_frame(link, &r, NULL), 0);

	tc_read(test, &req, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &req), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(link, &req));
	KUNIT_EXPECT_TRUE(test, link->reads_cancelled);
	/* A read would have to wait for the cancelled READ: not readable. */
	KUNIT_EXPECT_FALSE(test, tc_poll(link) & TC_MASK(EPOLLIN));

	/* The toast arrives late: stashed, not lost. */
	r = tc_resp(&req, RIO_S_OK, 0, 5);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, "toast"), 0);
	KUNIT_EXPECT_FALSE(test, req.done);
	KUNIT_EXPECT_FALSE(test, link->reads_cancelled);
	KUNIT_EXPECT_EQ(test, link->stash_len, 5U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.bytes_in), 5);
	KUNIT_EXPECT_TRUE(test, tc_poll(link) & TC_MASK(EPOLLIN));

	/* The next read() returns it, in two parts, without a request. */
	ubuf = tc_user_buf(test);
	nsent = ctx->fx.nsent;
	KUNIT_EXPECT_EQ(test, tc_uread(link, (char __user *)ubuf, 3,
				       true), 3);
	KUNIT_EXPECT_EQ(test, tc_uread(link,
				       (char __user *)ubuf + 3, 8,
				       true), 2);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, nsent);
	KUNIT_EXPECT_EQ(test, copy_from_user(got, (char __user *)ubuf, 5), 0UL);
	KUNIT_EXPECT_STREQ(test, got, "toast");
	KUNIT_EXPECT_EQ(test, link->stash_len, 0U);

	/* Now a read asks the server again. */
	ctx->fx.autoreply = true;
	ctx->fx.reply_len = 3;
	memcpy(ctx->fx.reply_payload, "abc", 3);
	KUNIT_EXPECT_EQ(test, tc_uread(link, (char __user *)ubuf, 8,
				       true), 3);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, nsent + 1);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[nsent].opcode, RIO_OP_READ);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[nsent].flags, RIO_F_NONBLOCK);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[nsent].arg, 8U);
}

static void tc_cancel_read_blocks_next_read(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	struct toaster_req req;
	unsigned long ubuf;
	unsigned int nsent;
	struct rio_msg r;

	tc_read(test, &req, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &req), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(link, &req));
	nsent = ctx->fx.nsent;

	/* O_NONBLOCK read: EAGAIN and no new READ while one is cancelled. */
	ubuf = tc_user_buf(test);
	KUNIT_EXPECT_EQ(test, tc_uread(link, (char __user *)ubuf, 8,
				       true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, nsent);

	/* Answered CANCELED: nothing stashed, READs flow again. */
	r = tc_resp(&req, RIO_S_CANCELED, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, link->stash_len, 0U);
	ctx->fx.autoreply = true;
	ctx->fx.reply_status = RIO_S_AGAIN;
	KUNIT_EXPECT_EQ(test, tc_uread(link, (char __user *)ubuf, 8,
				       true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, nsent + 1);
}

static void tc_nonblock_read_does_not_queue(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	unsigned long ubuf;

	ubuf = tc_user_buf(test);
	/* Another reader of the file is blocked waiting for toast. */
	mutex_lock(&ctx->link->read_mutex);
	KUNIT_EXPECT_EQ(test, tc_uread(ctx->link, (char __user *)ubuf,
				       8, true), -EAGAIN);
	mutex_unlock(&ctx->link->read_mutex);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 0U);
}

static void tc_never_wrong_request(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	u8 out[sizeof(struct toaster_status)], wire[sizeof(out)];
	struct toaster_req a, b;
	struct rio_msg r;

	memset(wire, 0x55, sizeof(wire));
	tc_status_ioctl(&a, out);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &a), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(ctx->link, &a));
	tc_status_ioctl(&b, out);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &b), 0);
	KUNIT_EXPECT_NE(test, a.msg.tag, b.msg.tag);

	/* A's late answer, same opcode and size as B's: B does not take it. */
	r = tc_resp(&a, RIO_S_OK, 0, sizeof(wire));
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, wire), 0);
	KUNIT_EXPECT_FALSE(test, b.done);

	/* B's own answer completes B. */
	wire[0] = 0x66;
	r = tc_resp(&b, RIO_S_OK, 0, sizeof(wire));
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, wire), 0);
	KUNIT_EXPECT_TRUE(test, b.done);
	KUNIT_EXPECT_EQ(test, b.err, 0);
	KUNIT_EXPECT_EQ(test, out[0], 0x66);
}

static void tc_reply_mismatch(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req;
	struct rio_msg r;

	/* B's tag but another opcode. */
	tc_ping(&req);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	r = tc_resp(&req, RIO_S_OK, 0, 0);
	r.opcode = RIO_OP_READ;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), -EPROTO);
	KUNIT_EXPECT_FALSE(test, req.done);
}

static void tc_read_too_long(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req;
	struct rio_msg r;

	tc_read(test, &req, 4);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	r = tc_resp(&req, RIO_S_OK, 0, 8);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, "12345678"),
			-EPROTO);
	KUNIT_EXPECT_FALSE(test, req.done);

	/* Exactly as long as asked is fine. */
	r = tc_resp(&req, RIO_S_OK, 0, 4);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, "1234"), 0);
	KUNIT_EXPECT_TRUE(test, req.done);
	KUNIT_EXPECT_EQ(test, req.resp_len, 4U);
	KUNIT_EXPECT_EQ(test, memcmp(req.resp_buf, "1234", 4), 0);
}

static void tc_bad_write_ioctl_answers(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	u8 out[sizeof(struct toaster_status)] = {};
	struct toaster_req req;
	struct rio_msg r;

	/* IOCTL answer shorter than the argument asked for. */
	tc_status_ioctl(&req, out);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	r = tc_resp(&req, RIO_S_OK, 0, 16);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, out), -EPROTO);
	KUNIT_EXPECT_FALSE(test, req.done);

	/* WRITE: more accepted than sent, or nothing at all with OK. */
	memset(&req, 0, sizeof(req));
	req.msg.opcode = RIO_OP_WRITE;
	req.msg.length = 4;
	req.payload = rio_buf_alloc(4);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	r = tc_resp(&req, RIO_S_OK, 5, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), -EPROTO);
	r = tc_resp(&req, RIO_S_OK, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), -EPROTO);
	r = tc_resp(&req, RIO_S_OK, 3, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, req.resp_arg, 3U);
}

/* A thread doing one blocking call, so the test can play the server. */
struct tc_thread {
	struct toaster_link *link;
	struct toaster_req req;
	bool resolve;
	unsigned int ioctl;	/* if set: this ioctl instead of req */
	int ret;
	struct completion done;
	struct task_struct *task;
};

static int tc_thread_fn(void *data)
{
	struct tc_thread *t = data;

	allow_signal(SIGUSR1);
	if (t->ioctl)
		t->ret = tc_ioctl(t->link, t->ioctl, NULL);
	else
		t->ret = toaster_link_request(t->link, &t->req,
					      t->resolve ? TOASTER_REQ_RESOLVE : 0);
	clear_notify_signal();	/* tc_nonblock_task_work() may have set it */
	complete(&t->done);
	return 0;
}

static void tc_thread_start(struct kunit *test, struct tc_thread *t,
			    struct toaster_link *link, bool resolve)
{
	t->link = link;
	t->resolve = resolve;
	init_completion(&t->done);
	t->task = kthread_create(tc_thread_fn, t, "toaster_kunit");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->task));
	get_task_struct(t->task);
	wake_up_process(t->task);
}

static int tc_thread_join(struct tc_thread *t)
{
	if (!wait_for_completion_timeout(&t->done, 10 * HZ))
		return -EDEADLK;	/* must not happen: requests are bounded */
	put_task_struct(t->task);
	return t->ret;
}

static bool tc_wait_sent(struct tc_ctx *ctx)
{
	return wait_for_completion_timeout(&ctx->fx.sent_done, 5 * HZ);
}

static void tc_disconnect(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req cancelled, req;
	struct tc_thread t = {};

	tc_read(test, &cancelled, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &cancelled), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(ctx->link, &cancelled));
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));

	tc_ping(&t.req);
	tc_thread_start(test, &t, ctx->link, false);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));

	/* The server goes away: the waiter fails at once with ECONNRESET. */
	fake_abort(ctx->link, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, tc_thread_join(&t), -ECONNRESET);
	KUNIT_EXPECT_EQ(test, tc_poll(ctx->link),
			TC_MASK(EPOLLHUP | EPOLLERR));
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->dev.state), TOASTER_DEAD);
	KUNIT_EXPECT_FALSE(test, ctx->link->reads_cancelled);

	/* Then everything fails with ENOTCONN. */
	tc_ping(&req);
	KUNIT_EXPECT_EQ(test, toaster_link_request(ctx->link, &req, 0),
			-ENOTCONN);
}

static void tc_disconnect_enotconn(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	unsigned long ubuf;

	fake_abort(ctx->link, -ECONNRESET);
	ubuf = tc_user_buf(test);
	KUNIT_EXPECT_EQ(test, tc_uread(ctx->link,
				       (char __user *)ubuf, 8, false),
			-ENOTCONN);
	KUNIT_EXPECT_EQ(test, tc_uwrite(ctx->link,
					(char __user *)ubuf, 8, false),
			-ENOTCONN);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link, TOASTER_IOC_POP,
				       NULL), -ENOTCONN);
	/* Local statistics still work. */
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link, TOASTER_IOC_STATS,
				       (void __user *)ubuf), 0);
}

static void tc_timeout(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req;
	unsigned long t0;

	ctx->link->timeout = msecs_to_jiffies(50);
	tc_ping(&req);
	t0 = jiffies;
	KUNIT_EXPECT_EQ(test, toaster_link_request(ctx->link, &req, 0),
			-ETIMEDOUT);
	KUNIT_EXPECT_GE(test, jiffies - t0, msecs_to_jiffies(50));
	KUNIT_EXPECT_TRUE(test, ctx->fx.dead);
	KUNIT_EXPECT_EQ(test, ctx->fx.abort_err, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.timeouts), 1);

	tc_ping(&req);
	KUNIT_EXPECT_EQ(test, toaster_link_request(ctx->link, &req, 0),
			-ENOTCONN);
}

static void tc_signal_cancels(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct tc_thread t = {};
	struct rio_msg r;

	tc_read(test, &t.req, 16);
	tc_thread_start(test, &t, ctx->link, false);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
	send_sig(SIGUSR1, t.task, 1);
	KUNIT_EXPECT_EQ(test, tc_thread_join(&t), -ERESTARTSYS);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 2U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].opcode, RIO_OP_CANCEL);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].arg, ctx->fx.sent[0].tag);

	/* The late CANCELED answer is dropped quietly. */
	r = tc_resp(&t.req, RIO_S_CANCELED, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_FALSE(test, ctx->link->reads_cancelled);
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);
}

static void tc_signal_write_resolves(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct tc_thread t = {};
	struct rio_msg r;

	t.req.msg.opcode = RIO_OP_WRITE;
	t.req.msg.length = 4;
	t.req.payload = rio_buf_alloc(4);
	KUNIT_ASSERT_NOT_NULL(test, t.req.payload);
	tc_thread_start(test, &t, ctx->link, true);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
	send_sig(SIGUSR1, t.task, 1);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));	/* the CANCEL */
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].opcode, RIO_OP_CANCEL);

	/* The server had taken 3 bytes already: the writer learns it. */
	r = tc_resp(&t.req, RIO_S_OK, 3, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_thread_join(&t), 0);
	KUNIT_EXPECT_EQ(test, t.req.resp_arg, 3U);

	/* Answered CANCELED: the write is interrupted. */
	memset(&t, 0, sizeof(t));
	t.req.msg.opcode = RIO_OP_WRITE;
	t.req.msg.length = 4;
	t.req.payload = rio_buf_alloc(4);
	KUNIT_ASSERT_NOT_NULL(test, t.req.payload);
	tc_thread_start(test, &t, ctx->link, true);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
	send_sig(SIGUSR1, t.task, 1);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
	r = tc_resp(&t.req, RIO_S_CANCELED, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_thread_join(&t), -ERESTARTSYS);
}

static void tc_tags(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req, held;

	ctx->fx.autoreply = true;
	ctx->link->next_tag = U32_MAX;
	tc_ping(&req);
	KUNIT_EXPECT_EQ(test, toaster_link_request(ctx->link, &req, 0), 0);
	KUNIT_EXPECT_EQ(test, req.msg.tag, U32_MAX);
	tc_ping(&req);
	KUNIT_EXPECT_EQ(test, toaster_link_request(ctx->link, &req, 0), 0);
	KUNIT_EXPECT_EQ(test, req.msg.tag, 1U);	/* 0 is skipped */

	/* A tag still outstanding (cancelled) is not reused. */
	ctx->fx.autoreply = false;
	ctx->link->next_tag = 5;
	tc_ping(&held);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &held), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(ctx->link, &held));
	ctx->link->next_tag = 5;
	tc_ping(&req);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
	KUNIT_EXPECT_EQ(test, req.msg.tag, 6U);
}

static void tc_table_full(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_req req;
	unsigned int i;

	for (i = 0; i < TOASTER_MAX_TAGS; i++) {
		tc_ping(&req);
		KUNIT_ASSERT_EQ(test, toaster_link_submit(ctx->link, &req), 0);
		KUNIT_ASSERT_TRUE(test, toaster_link_cancel(ctx->link, &req));
	}
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);
	tc_ping(&req);
	KUNIT_EXPECT_EQ(test, toaster_link_submit(ctx->link, &req),
			-ECONNRESET);
	KUNIT_EXPECT_TRUE(test, ctx->fx.dead);
	KUNIT_EXPECT_EQ(test, ctx->fx.abort_err, -ENOBUFS);
}

static void tc_notify_poll(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct rio_msg r = { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE };

	KUNIT_EXPECT_EQ(test, tc_poll(ctx->link), 0);
	r.arg = RIO_READY_OUT;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_poll(ctx->link),
			TC_MASK(EPOLLOUT | EPOLLWRNORM));
	r.arg = RIO_READY_IN | RIO_READY_OUT;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_poll(ctx->link),
			TC_MASK(EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM));

	/* A server without NOTIFY: always ready, userspace tries. */
	ctx->link->notify = false;
	r.arg = 0;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_poll(ctx->link),
			TC_MASK(EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM));
}

static u32 tc_credit(struct toaster_link *link)
{
	u32 credit;

	spin_lock_bh(&link->lock);
	credit = toaster_link_credit(link);
	spin_unlock_bh(&link->lock);
	return credit;
}

/* A new connecting link whose HELLO is answered @status with @info. */
static int tc_hello_case(struct kunit *test, u32 status,
			 const struct rio_hello_info *info)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_new_link(test, ctx, 1000);

	ctx->fx.autoreply = true;
	ctx->fx.reply_status = status;
	ctx->fx.reply_room = ctx->hello_room;
	ctx->fx.reply_len = info ? sizeof(struct rio_hello) : 0;
	if (info)
		rio_hello_encode((struct rio_hello *)ctx->fx.reply_payload,
				 info);
	WRITE_ONCE(ctx->dev.state, TOASTER_CONNECTING);
	KUNIT_EXPECT_EQ(test, toaster_link_hello_start(link, 2500), 0);
	return toaster_link_wait_up(link, false);
}

static void tc_hello(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY,
		.max_payload = 4096,
		.max_inflight = 1,
		.wait_ms = 100,
	};
	struct rio_hello_info sent;
	unsigned long ubuf;

	KUNIT_EXPECT_EQ(test, tc_hello_case(test, RIO_S_OK, &info), 0);
	KUNIT_EXPECT_EQ(test, ctx->link->state, TOASTER_LINK_UP);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->dev.state), TOASTER_CONNECTED);
	KUNIT_EXPECT_EQ(test, ctx->link->max_payload, 4096U);
	KUNIT_EXPECT_TRUE(test, ctx->link->notify);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 1U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].opcode, RIO_OP_HELLO);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].arg, 7U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].length,
			(u32)sizeof(struct rio_hello));
	KUNIT_EXPECT_EQ(test, rio_hello_decode((struct rio_hello *)ctx->fx.payload,
					       &sent), 0);
	KUNIT_EXPECT_EQ(test, sent.caps, RIO_CAP_NOTIFY | RIO_CAP_CREDIT);
	KUNIT_EXPECT_EQ(test, sent.max_payload, RIO_MAX_PAYLOAD);
	KUNIT_EXPECT_EQ(test, sent.max_inflight, 1U);
	KUNIT_EXPECT_EQ(test, sent.wait_ms, 2500U);

	/* Refusals map to errnos, reported by every later call. */
	KUNIT_EXPECT_EQ(test, tc_hello_case(test, RIO_S_BUSY, NULL), -EBUSY);
	KUNIT_EXPECT_TRUE(test, ctx->fx.dead);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->dev.state), TOASTER_DEAD);
	ubuf = tc_user_buf(test);
	KUNIT_EXPECT_EQ(test, tc_uread(ctx->link, (char __user *)ubuf,
				       8, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link, TOASTER_IOC_POP, NULL),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, tc_hello_case(test, RIO_S_NODEV, NULL), -ENODEV);

	/* A server that would park requests longer than asked: refused. */
	info.wait_ms = 2501;
	KUNIT_EXPECT_EQ(test, tc_hello_case(test, RIO_S_OK, &info), -EPROTO);

	/* The write credit: granted, and room enough in flight. */
	info.wait_ms = 100;
	KUNIT_EXPECT_FALSE(test, ctx->link->credit);
	info.caps = RIO_CAP_NOTIFY | RIO_CAP_CREDIT;
	info.max_inflight = 16;
	ctx->hello_room = 4000;
	KUNIT_EXPECT_EQ(test, tc_hello_case(test, RIO_S_OK, &info), 0);
	KUNIT_EXPECT_TRUE(test, ctx->link->credit);
	KUNIT_EXPECT_EQ(test, tc_credit(ctx->link), 4000U);
	/* Room reported without the grant is a protocol error. */
	info.caps = RIO_CAP_NOTIFY;
	KUNIT_EXPECT_EQ(test, tc_hello_case(test, RIO_S_OK, &info), -EPROTO);
	ctx->hello_room = 0;

	/* An invalid HELLO payload is a protocol error. */
	info.max_payload = 0;
	KUNIT_EXPECT_EQ(test, tc_hello_case(test, RIO_S_OK, &info), -EPROTO);
}

/* The answer to the @i-th frame sent, a WRITE, with @arg bytes taken. */
static int tc_answer_write(struct tc_ctx *ctx, unsigned int i, u32 status,
			   u32 arg, u32 room)
{
	struct rio_msg r = {
		.opcode = RIO_OP_WRITE,
		.flags = RIO_F_RESPONSE,
		.tag = ctx->fx.sent[i].tag,
		.status = status,
		.arg = arg,
		.room = room,
	};

	return toaster_link_frame(ctx->link, &r, NULL);
}

/*
 * Write-behind: a WRITE the credit covers returns at once; the credit is
 * the last room reported minus the WRITEs outstanding; what it does not
 * cover is waited for, and short as the server says.
 */
static void tc_write_behind(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	char __user *ubuf = (char __user *)tc_user_buf(test);
	struct rio_msg w = { .opcode = RIO_OP_WRITE, .length = 1 };
	struct toaster_req req;
	struct rio_msg r;

	KUNIT_EXPECT_EQ(test, tc_credit(link), 0U);	/* not granted */
	link->credit = true;
	link->room = 100;
	KUNIT_EXPECT_EQ(test, tc_credit(link), 100U);

	/* Nobody answers: write() returns anyway, the bytes are counted. */
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 60, false), 60);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 1U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].opcode, RIO_OP_WRITE);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].length, 60U);
	KUNIT_EXPECT_EQ(test, link->behind, 1U);
	KUNIT_EXPECT_EQ(test, tc_credit(link), 40U);

	/* 50 > 40: sent as a WRITE that is waited for. */
	ctx->fx.autoreply = true;
	ctx->fx.reply_arg = 50;
	ctx->fx.reply_room = 10;	/* after it, with the 60 still queued */
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 50, false), 50);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].length, 50U);
	KUNIT_EXPECT_EQ(test, tc_credit(link), 0U);	/* 10 - 60 */
	ctx->fx.autoreply = false;

	/* The write-behind is answered: its room is the credit again. */
	KUNIT_EXPECT_EQ(test, tc_answer_write(ctx, 0, RIO_S_OK, 60, 10), 0);
	KUNIT_EXPECT_EQ(test, link->behind, 0U);
	KUNIT_EXPECT_EQ(test, tc_credit(link), 10U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.bytes_out), 110);
	KUNIT_EXPECT_EQ(test, toaster_link_sync(link), 0);

	/* A capacity change in flight: no credit until it is answered. */
	link->room = 1000;
	memset(&req, 0, sizeof(req));
	req.msg.opcode = RIO_OP_IOCTL;
	req.msg.ioctl = TOASTER_IOC_NR_SET_CAPACITY;
	req.msg.length = 4;
	req.payload = rio_buf_alloc(4);
	KUNIT_ASSERT_NOT_NULL(test, req.payload);
	memset(req.payload, 0, 4);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &req), 0);
	KUNIT_EXPECT_EQ(test, tc_credit(link), 0U);
	KUNIT_EXPECT_EQ(test, toaster_link_submit_behind(link, &w, NULL),
			-ENOSPC);

	/* At most TOASTER_MAX_BEHIND in flight. */
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(link, &req));
	r = tc_resp(&req, RIO_S_CANCELED, 0, 0);
	r.room = 1000;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_credit(link), 1000U);
	ctx->fx.nsent = 0;
	while (ctx->fx.nsent < TOASTER_MAX_BEHIND)
		KUNIT_ASSERT_EQ(test, tc_uwrite(link, ubuf, 1, true),
				1);
	KUNIT_EXPECT_EQ(test, link->behind, TOASTER_MAX_BEHIND);
	KUNIT_EXPECT_EQ(test, tc_credit(link), 1000U - TOASTER_MAX_BEHIND);
	KUNIT_EXPECT_EQ(test, toaster_link_submit_behind(link, &w, NULL),
			-ENOSPC);
}

/*
 * A WRITE taken short is followed by one of the bytes it did not take,
 * not of those after them: the bytes stay in order, none skipped.
 */
static void tc_write_short_continues(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	char __user *ubuf = (char __user *)tc_user_buf(test);

	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf, "0123456789", 10), 0UL);
	ctx->fx.autoreply = true;
	ctx->fx.reply_arg = 4;
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 10, false), 10);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 3U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].length, 10U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].length, 6U);
	KUNIT_EXPECT_MEMEQ(test, ctx->fx.sent_data[1], "456789", 6);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[2].length, 2U);
	KUNIT_EXPECT_MEMEQ(test, ctx->fx.sent_data[2], "89", 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.bytes_out), 10);
}

struct tc_waker {
	struct wait_queue_entry wait;
	unsigned int woken;
};

static int tc_waker_fn(struct wait_queue_entry *wait, unsigned int mode,
		       int sync, void *key)
{
	container_of(wait, struct tc_waker, wait)->woken++;
	return 0;
}

/*
 * The answer of a write-behind wakes nobody but fsync() and close(): the
 * READ waiting behind it would be woken for nothing, a cross-CPU wakeup.
 */
static void tc_write_behind_wakes_no_reader(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	char __user *ubuf = (char __user *)tc_user_buf(test);
	struct tc_waker reader = {}, syncer = {};
	struct toaster_req req;
	struct rio_msg r;

	link->credit = true;
	link->room = 100;
	KUNIT_ASSERT_EQ(test, tc_uwrite(link, ubuf, 10, false), 10);
	tc_read(test, &req, 10);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &req), 0);

	init_waitqueue_func_entry(&reader.wait, tc_waker_fn);
	add_wait_queue(&link->wq, &reader.wait);
	init_waitqueue_func_entry(&syncer.wait, tc_waker_fn);
	add_wait_queue(&link->sync_wq, &syncer.wait);

	KUNIT_EXPECT_EQ(test, tc_answer_write(ctx, 0, RIO_S_OK, 10, 90), 0);
	KUNIT_EXPECT_EQ(test, reader.woken, 0U);
	KUNIT_EXPECT_EQ(test, syncer.woken, 1U);

	r = tc_resp(&req, RIO_S_OK, 0, 0);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, reader.woken, 1U);
	KUNIT_EXPECT_EQ(test, syncer.woken, 1U);

	remove_wait_queue(&link->wq, &reader.wait);
	remove_wait_queue(&link->sync_wq, &syncer.wait);
}

/* A failed write-behind is reported once, by the next call. */
static void tc_write_behind_errors(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	char __user *ubuf = (char __user *)tc_user_buf(test);

	link->credit = true;
	link->room = 100;

	/* Taken short, though the credit promised room: data lost. */
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 30, false), 30);
	KUNIT_EXPECT_EQ(test, tc_answer_write(ctx, 0, RIO_S_OK, 10, 90), 0);
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 5, false), -EIO);
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 5, false), 5);
	KUNIT_EXPECT_EQ(test, tc_answer_write(ctx, 1, RIO_S_OK, 5, 85), 0);

	/* Refused: reported by the next read, ioctl or fsync just as well. */
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 5, false), 5);
	KUNIT_EXPECT_EQ(test, tc_answer_write(ctx, 2, RIO_S_NOMEM, 0, 85), 0);
	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, 5, false), -EIO);
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 5, false), 5);
	KUNIT_EXPECT_EQ(test, tc_answer_write(ctx, 3, RIO_S_AGAIN, 0, 85), 0);
	KUNIT_EXPECT_EQ(test, toaster_link_sync(link), -EIO);
	KUNIT_EXPECT_EQ(test, toaster_link_sync(link), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.bytes_out), 15);

	/* Unanswered when the connection dies: close() says -EIO. */
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 5, false), 5);
	fake_abort(link, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, link->behind, 0U);
	KUNIT_EXPECT_EQ(test, toaster_link_sync(link), -EIO);
	KUNIT_EXPECT_EQ(test, toaster_link_sync(link), 0);

	/* Never answered at all: fsync() gives up after the timeout. */
	link = tc_new_link(test, ctx, 100);
	link->state = TOASTER_LINK_UP;
	link->credit = true;
	link->room = 100;
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, ubuf, 5, false), 5);
	KUNIT_EXPECT_EQ(test, toaster_link_sync(link), -EIO);
	KUNIT_EXPECT_EQ(test, ctx->fx.abort_err, -ETIMEDOUT);
}

/*
 * Toast is received straight into the READ's own buffer, and only the
 * toast of a READ; the buffer outlives a caller that gives up meanwhile.
 */
static void tc_rx_buf(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	struct toaster_req req, ping;
	struct rio_msg r;
	void *buf;

	tc_read(test, &req, 100);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &req), 0);
	tc_ping(&ping);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &ping), 0);

	r = tc_resp(&req, RIO_S_OK, 0, 100);
	KUNIT_EXPECT_PTR_EQ(test, toaster_link_rx_buf(link, &r), req.resp_buf);
	r.length = 101;			/* more than asked: not there */
	KUNIT_EXPECT_NULL(test, toaster_link_rx_buf(link, &r));
	r = tc_resp(&ping, RIO_S_OK, 0, 0);
	KUNIT_EXPECT_NULL(test, toaster_link_rx_buf(link, &r));
	r.opcode = RIO_OP_READ;		/* a READ answer to a PING's tag */
	r.length = 10;
	KUNIT_EXPECT_NULL(test, toaster_link_rx_buf(link, &r));

	/*
	 * Cancelled, its toast still goes there: it is the stash, also once
	 * the caller has let its buffer go.
	 */
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(link, &req));
	r = tc_resp(&req, RIO_S_OK, 0, 3);
	buf = toaster_link_rx_buf(link, &r);
	KUNIT_EXPECT_PTR_EQ(test, buf, req.resp_buf);
	KUNIT_EXPECT_PTR_EQ(test, link->rx_hold, buf);
	memcpy(buf, "abc", 3);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, buf), 0);
	KUNIT_EXPECT_NULL(test, link->rx_hold);
	KUNIT_EXPECT_EQ(test, link->stash_len, 3U);
	KUNIT_EXPECT_EQ(test, link->stash_n, 1U);
	KUNIT_EXPECT_PTR_EQ(test, link->stash[link->stash_head].buf, buf);
	KUNIT_EXPECT_MEMEQ(test, buf, "abc", 3);

	/*
	 * A caller that gave up, then the connection dies inside the
	 * payload: the receiver still writes into the buffer (KASAN would
	 * see a buffer freed under it), until the next frame lets it go.
	 */
	memset(&req, 0, sizeof(req));
	req.msg.opcode = RIO_OP_READ;
	req.msg.arg = 100;
	req.resp_max = 100;
	req.resp_buf = rio_buf_alloc(100);
	KUNIT_ASSERT_NOT_NULL(test, req.resp_buf);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &req), 0);
	KUNIT_EXPECT_TRUE(test, toaster_link_cancel(link, &req));
	rio_buf_put(req.resp_buf);
	r = tc_resp(&req, RIO_S_OK, 0, 100);
	buf = toaster_link_rx_buf(link, &r);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	fake_abort(link, -ECONNRESET);
	memset(buf, 'x', 100);
	KUNIT_EXPECT_PTR_EQ(test, link->rx_hold, buf);
	/* Its tag died with the connection. */
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, buf), -EPROTO);
	KUNIT_EXPECT_NULL(test, link->rx_hold);
}

/*
 * A read() of more than one READ's worth keeps up to TOASTER_READ_DEPTH
 * READs in flight, the later ones nonblocking, and returns their toast in
 * the order they were sent.
 */
static void tc_read_pipelined(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	size_t size = 3 * RIO_MAX_PAYLOAD + 10;
	char __user *ubuf = (char __user *)tc_user_buf_len(test, size);
	char got[20] = {};
	unsigned int i;

	link->max_inflight = 16;
	ctx->fx.autoreply = true;
	ctx->fx.reply_len = 5;
	memcpy(ctx->fx.reply_payload, "toast", 5);
	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, size, false), 20);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 4U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, ctx->fx.sent[i].opcode, RIO_OP_READ);
		KUNIT_EXPECT_EQ(test, ctx->fx.sent[i].flags,
				i ? RIO_F_NONBLOCK : 0);
		KUNIT_EXPECT_EQ(test, ctx->fx.sent[i].arg,
				i < 3 ? RIO_MAX_PAYLOAD : 10);
	}
	KUNIT_EXPECT_EQ(test, copy_from_user(got, ubuf, 20), 0UL);
	KUNIT_EXPECT_MEMEQ(test, got, "toasttoasttoasttoast", 20);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.bytes_in), 20);

	/* No toast anywhere: EAGAIN, and it is not counted as an error. */
	ctx->fx.reply_len = 0;
	ctx->fx.reply_status = RIO_S_AGAIN;
	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, size, true),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 8U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.errors), 0);

	/* One READ's worth asked for: one READ. */
	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, RIO_MAX_PAYLOAD,
				       true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 9U);
	KUNIT_EXPECT_EQ(test, link->stash_len, 0U);
}

/*
 * Requests behind the caller's own go only while the server's
 * max_inflight and the tag table leave room for one more besides, and
 * never reset the connection when they do not.
 */
static void tc_submit_more_room(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	struct toaster_req ping, *more;
	unsigned int i;

	more = kunit_kcalloc(test, TOASTER_MAX_TAGS, sizeof(*more), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, more);
	link->max_inflight = 4;
	tc_ping(&ping);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &ping), 0);
	for (i = 0; i < 2; i++) {
		tc_ping(&more[i]);
		KUNIT_EXPECT_EQ(test, toaster_link_submit_more(link, &more[i]),
				0);
	}
	tc_ping(&more[2]);
	KUNIT_EXPECT_EQ(test, toaster_link_submit_more(link, &more[2]),
			-ENOBUFS);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 3U);
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);

	/* The tag table bounds it too, whatever the server says. */
	link->max_inflight = 1000;
	for (i = 3; i < TOASTER_MAX_TAGS; i++) {
		tc_ping(&more[i]);
		if (toaster_link_submit_more(link, &more[i]))
			break;
	}
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, TOASTER_MAX_TAGS - 1U);
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);

	/* Not unless the link is up: they would wait for it. */
	link = tc_new_link(test, ctx, 1000);
	link->max_inflight = 16;
	tc_ping(&ping);
	KUNIT_EXPECT_EQ(test, toaster_link_submit_more(link, &ping), -ENOBUFS);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 0U);
}

/* An answer to the READ sent as frame @i of the fake. */
static struct rio_msg tc_read_resp(struct tc_ctx *ctx, unsigned int i,
				   u32 length)
{
	struct rio_msg r = {
		.opcode = RIO_OP_READ,
		.flags = RIO_F_RESPONSE,
		.tag = ctx->fx.sent[i].tag,
		.length = length,
	};

	return r;
}

/*
 * A signal while READs are in flight: the toast that came is returned,
 * the READs still out are cancelled, and their late toast is stashed in
 * order, for the next read().
 */
static void tc_read_pipelined_signal(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	size_t size = 3 * RIO_MAX_PAYLOAD;
	char __user *ubuf = (char __user *)tc_user_buf_len(test, size);
	char got[8] = {};
	struct rio_msg r;

	allow_signal(SIGUSR1);
	link->max_inflight = 16;
	ctx->fx.autoreply = true;
	ctx->fx.autoreply_max = 1;	/* the first READ only */
	ctx->fx.reply_len = 3;
	memcpy(ctx->fx.reply_payload, "abc", 3);
	ctx->fx.sig_at = 2;		/* when the second is sent */
	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, size, false), 3);
	flush_signals(current);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 5U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[3].opcode, RIO_OP_CANCEL);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[3].arg, ctx->fx.sent[1].tag);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[4].opcode, RIO_OP_CANCEL);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[4].arg, ctx->fx.sent[2].tag);
	KUNIT_EXPECT_EQ(test, link->reads_cancelled, 2U);

	/* Until they are answered, no new READ: the order would break. */
	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, 8, true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 5U);

	r = tc_read_resp(ctx, 1, 3);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, "def"), 0);
	r = tc_read_resp(ctx, 2, 2);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, "gh"), 0);
	KUNIT_EXPECT_EQ(test, link->reads_cancelled, 0U);
	KUNIT_EXPECT_EQ(test, link->stash_n, 2U);
	KUNIT_EXPECT_TRUE(test, tc_poll(link) & TC_MASK(EPOLLIN));

	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, 8, true), 5);
	KUNIT_EXPECT_EQ(test, copy_from_user(got, ubuf, 5), 0UL);
	KUNIT_EXPECT_MEMEQ(test, got, "defgh", 5);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 5U);
	KUNIT_EXPECT_EQ(test, link->stash_n, 0U);
}

/*
 * Task work is no signal: io_uring sets TIF_NOTIFY_SIGNAL on a task that
 * tries an IOCB_NOWAIT read inline when other requests of it complete. A
 * RIO_F_NONBLOCK READ, which the server answers at once, is waited for,
 * not cancelled into an EINTR that io_uring would report.
 */
static void tc_nonblock_task_work(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct tc_thread t = {};
	unsigned int sent = ctx->fx.nsent;
	struct rio_msg r;

	tc_read(test, &t.req, 8);
	t.req.msg.flags = RIO_F_NONBLOCK;
	tc_thread_start(test, &t, ctx->link, false);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
	msleep(20);		/* asleep in its wait by now */
	/* set_notify_signal(), whose wake_up_state() modules cannot call. */
	set_tsk_thread_flag(t.task, TIF_NOTIFY_SIGNAL);
	wake_up_process(t.task);
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&t.done));
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, sent + 1);	/* no CANCEL */

	r = tc_read_resp(ctx, sent, 5);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, "toast"), 0);
	KUNIT_EXPECT_EQ(test, tc_thread_join(&t), 0);
	KUNIT_EXPECT_EQ(test, t.req.resp_len, 5U);
	KUNIT_EXPECT_MEMEQ(test, t.req.resp_buf, "toast", 5);
	KUNIT_EXPECT_EQ(test, ctx->link->reads_cancelled, 0U);
}

/*
 * A copy to the user that faults halfway: what was copied is returned,
 * the rest of that toast and the toast of the READs behind it is stashed,
 * in order: no byte lost, none twice.
 */
static void tc_read_pipelined_fault(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	char __user *ubuf = (char __user *)tc_user_buf(test);
	unsigned long edge = tc_user_buf_len(test, 2 * PAGE_SIZE);
	char got[16] = {};

	/* The page after the first is not mapped. */
	KUNIT_ASSERT_EQ(test, vm_munmap(edge + PAGE_SIZE, PAGE_SIZE), 0);
	link->max_inflight = 16;
	ctx->fx.autoreply = true;
	ctx->fx.reply_len = 5;
	memcpy(ctx->fx.reply_payload, "toast", 5);
	KUNIT_EXPECT_EQ(test,
			tc_uread(link,
				 (char __user *)edge + PAGE_SIZE - 2,
				 3 * RIO_MAX_PAYLOAD, false), 2);
	KUNIT_EXPECT_EQ(test, copy_from_user(got, (char __user *)edge +
					     PAGE_SIZE - 2, 2), 0UL);
	KUNIT_EXPECT_MEMEQ(test, got, "to", 2);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 3U);
	KUNIT_EXPECT_EQ(test, link->stash_len, 13U);
	KUNIT_EXPECT_EQ(test, link->stash_n, 3U);

	KUNIT_EXPECT_EQ(test, tc_uread(link, ubuf, 16, true), 13);
	KUNIT_EXPECT_EQ(test, copy_from_user(got, ubuf, 13), 0UL);
	KUNIT_EXPECT_MEMEQ(test, got, "asttoasttoast", 13);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 3U);

	/* Nothing can be copied: -EFAULT, and the toast is kept. */
	KUNIT_EXPECT_EQ(test,
			tc_uread(link,
				 (char __user *)edge + PAGE_SIZE,
				 8, false), -EFAULT);
	KUNIT_EXPECT_EQ(test, link->stash_len, 5U);
}

/*
 * open() returns before the connection is up (it runs under misc_mtx);
 * calls wait for it. Nonblocking calls and poll() do not.
 */
static void tc_connect_in_background(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 1,
		.wait_ms = 100,
	};
	struct toaster_link *link;
	struct tc_thread t = {};
	unsigned long ubuf, t0;
	struct rio_msg r;

	ubuf = tc_user_buf(test);
	link = tc_new_link(test, ctx, 1000);
	KUNIT_ASSERT_EQ(test, toaster_link_hello_start(link, 500), 0);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));	/* the HELLO */
	KUNIT_EXPECT_EQ(test, tc_poll(link), 0U);
	KUNIT_EXPECT_EQ(test, tc_uread(link, (char __user *)ubuf, 8,
				       true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, (char __user *)ubuf, 8,
					true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, toaster_link_ioctl(link, TOASTER_IOC_POP, NULL,
						 true), -EAGAIN);
	/* An unknown command needs no server: ENOTTY at once, not later. */
	KUNIT_EXPECT_EQ(test, tc_ioctl(link, _IO(TOASTER_IOC_MAGIC, 0x30), NULL),
			-ENOTTY);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 1U);	/* the HELLO only */

	/* A blocking call waits for the HELLO's answer, then runs. */
	t.ioctl = TOASTER_IOC_POP;
	tc_thread_start(test, &t, link, false);
	msleep(50);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 1U);
	r = tc_resp(&link->hello, RIO_S_OK, 0, sizeof(struct rio_hello));
	rio_hello_encode((struct rio_hello *)ctx->fx.reply_payload, &info);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r,
						 ctx->fx.reply_payload), 0);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));	/* the POP */
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[1].ioctl, (u32)TOASTER_IOC_NR_POP);
	r = tc_resp(&t.req, RIO_S_OK, 0, 0);
	r.opcode = RIO_OP_IOCTL;
	r.ioctl = TOASTER_IOC_NR_POP;
	r.tag = ctx->fx.sent[1].tag;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_thread_join(&t), 0);

	/* Refused connect: the first call says so. */
	link = tc_new_link(test, ctx, 1000);
	KUNIT_ASSERT_EQ(test, toaster_link_hello_start(link, 500), 0);
	fake_abort(link, -ECONNREFUSED);
	KUNIT_EXPECT_EQ(test, tc_uread(link, (char __user *)ubuf, 8,
				       false), -ECONNREFUSED);
	KUNIT_EXPECT_EQ(test, tc_poll(link), TC_MASK(EPOLLHUP | EPOLLERR));

	/* Nobody answers: the first call fails at the deadline. */
	link = tc_new_link(test, ctx, 100);
	KUNIT_ASSERT_EQ(test, toaster_link_hello_start(link, 50), 0);
	t0 = jiffies;
	KUNIT_EXPECT_EQ(test, tc_uwrite(link, (char __user *)ubuf, 8,
					false), -ETIMEDOUT);
	KUNIT_EXPECT_GE(test, jiffies - t0, msecs_to_jiffies(90));
	KUNIT_EXPECT_EQ(test, ctx->fx.abort_err, -ETIMEDOUT);
	/* A HELLO answer arriving after the deadline changes nothing. */
	KUNIT_EXPECT_EQ(test, toaster_link_status(link), -ETIMEDOUT);
}

/*
 * An O_NONBLOCK call never sleeps behind another request of the same file:
 * here a blocking request that the server has parked.
 */
static void tc_nonblock_never_waits(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct tc_thread t = {};
	unsigned long ubuf, t0;
	struct rio_msg r;

	ubuf = tc_user_buf(test);
	tc_read(test, &t.req, 8);
	tc_thread_start(test, &t, ctx->link, false);
	KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));

	t0 = jiffies;
	KUNIT_EXPECT_EQ(test, tc_uwrite(ctx->link,
					(char __user *)ubuf, 8, true),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, tc_uread(ctx->link, (char __user *)ubuf,
				       8, true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, toaster_link_ioctl(ctx->link, TOASTER_IOC_STATUS,
						 (void __user *)ubuf, true),
			-EAGAIN);
	/* Far less than the blocked request's timeout (1 s). */
	KUNIT_EXPECT_LT(test, jiffies - t0, msecs_to_jiffies(500));
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 1U);

	r = tc_resp(&t.req, RIO_S_OK, 0, 0);
	r.tag = ctx->fx.sent[0].tag;
	KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL), 0);
	KUNIT_EXPECT_EQ(test, tc_thread_join(&t), 0);
}

/*
 * An ioctl that changes the toaster runs at most once per call: after a
 * signal it learns whether the server ran it, so that a restarted call
 * cannot run it again.
 */
static void tc_signal_ioctl_resolves(struct kunit *test)
{
	static const unsigned int cmds[] = {
		TOASTER_IOC_POP, TOASTER_IOC_RESET,
	};
	struct tc_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct tc_thread t = { .ioctl = cmds[i] };
		unsigned int n = ctx->fx.nsent;
		struct rio_msg r;

		tc_thread_start(test, &t, ctx->link, false);
		KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
		send_sig(SIGUSR1, t.task, 1);
		KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));	/* the CANCEL */
		KUNIT_ASSERT_EQ(test, ctx->fx.nsent, n + 2);
		KUNIT_EXPECT_EQ(test, ctx->fx.sent[n + 1].opcode,
				RIO_OP_CANCEL);
		/* Still waiting for the outcome: no -ERESTARTSYS yet. */
		KUNIT_EXPECT_FALSE(test, completion_done(&t.done));

		/* The server had run it: the call succeeded. */
		r = (struct rio_msg) {
			.opcode = RIO_OP_IOCTL,
			.flags = RIO_F_RESPONSE,
			.tag = ctx->fx.sent[n].tag,
			.ioctl = _IOC_NR(cmds[i]),
		};
		KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL),
				0);
		KUNIT_EXPECT_EQ(test, tc_thread_join(&t), 0);
	}

	/* Answered CANCELED: it never ran, the restart is safe. */
	{
		struct tc_thread t = { .ioctl = TOASTER_IOC_POP };
		unsigned int n = ctx->fx.nsent;
		struct rio_msg r;

		tc_thread_start(test, &t, ctx->link, false);
		KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
		send_sig(SIGUSR1, t.task, 1);
		KUNIT_ASSERT_TRUE(test, tc_wait_sent(ctx));
		r = (struct rio_msg) {
			.opcode = RIO_OP_IOCTL,
			.flags = RIO_F_RESPONSE,
			.tag = ctx->fx.sent[n].tag,
			.status = RIO_S_CANCELED,
			.ioctl = TOASTER_IOC_NR_POP,
		};
		KUNIT_EXPECT_EQ(test, toaster_link_frame(ctx->link, &r, NULL),
				0);
		KUNIT_EXPECT_EQ(test, tc_thread_join(&t), -ERESTARTSYS);
	}
}

static void tc_ioctl_nr(struct toaster_req *req, unsigned int nr)
{
	memset(req, 0, sizeof(*req));
	req->msg.opcode = RIO_OP_IOCTL;
	req->msg.ioctl = nr;
}

/*
 * POP and RESET empty the server's slot; the toast of a cancelled READ,
 * stashed in the client, was in it too: it goes as well, whether it had
 * arrived before the POP was sent or was still on its way.
 */
static void tc_pop_discards_stash(struct kunit *test)
{
	static const unsigned int nrs[] = {
		TOASTER_IOC_NR_POP, TOASTER_IOC_NR_RESET,
	};
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	struct toaster_req rd, pop;
	unsigned long ubuf;
	char got[8] = {};
	struct rio_msg r;
	unsigned int i;

	ubuf = tc_user_buf(test);
	for (i = 0; i < 2 * ARRAY_SIZE(nrs); i++) {
		bool on_its_way = i & 1;

		tc_read(test, &rd, 8);
		KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &rd), 0);
		KUNIT_EXPECT_TRUE(test, toaster_link_cancel(link, &rd));
		r = tc_resp(&rd, RIO_S_OK, 0, 3);
		if (!on_its_way)
			KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, "old"),
					0);
		tc_ioctl_nr(&pop, nrs[i / 2]);
		KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &pop), 0);
		if (on_its_way)	/* answered in order: the READ first */
			KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, "old"),
					0);
		KUNIT_EXPECT_EQ(test, link->stash_len, 3U);
		r = tc_resp(&pop, RIO_S_OK, 0, 0);
		KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, NULL), 0);
		KUNIT_EXPECT_EQ(test, link->stash_len, 0U);

		/* read() asks the server and gets what is there now. */
		ctx->fx.autoreply = true;
		ctx->fx.reply_len = 3;
		memcpy(ctx->fx.reply_payload, "new", 3);
		KUNIT_EXPECT_EQ(test, tc_uread(link,
					       (char __user *)ubuf,
					       8, true), 3);
		ctx->fx.autoreply = false;
		KUNIT_EXPECT_EQ(test, copy_from_user(got, (char __user *)ubuf,
						     3), 0UL);
		KUNIT_EXPECT_STREQ(test, got, "new");
	}
}

static void tc_ioctl_validation(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	unsigned long ubuf;
	u32 __user *val;
	u32 v;

	ubuf = tc_user_buf(test);
	val = (u32 __user *)ubuf;

	v = 0;
	KUNIT_ASSERT_EQ(test, copy_to_user(val, &v, sizeof(v)), 0UL);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link,
				       TOASTER_IOC_SET_DARKNESS, val),
			-EINVAL);
	v = 11;
	KUNIT_ASSERT_EQ(test, copy_to_user(val, &v, sizeof(v)), 0UL);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link,
				       TOASTER_IOC_SET_DARKNESS, val),
			-EINVAL);
	v = TOASTER_CAPACITY_MAX + 1;
	KUNIT_ASSERT_EQ(test, copy_to_user(val, &v, sizeof(v)), 0UL);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link,
				       TOASTER_IOC_SET_CAPACITY, val),
			-EINVAL);
	v = 2;
	KUNIT_ASSERT_EQ(test, copy_to_user(val, &v, sizeof(v)), 0UL);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link,
				       TOASTER_IOC_SET_OVERWRITE, val),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link,
				       _IO(TOASTER_IOC_MAGIC, 0x30),
						 val), -ENOTTY);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, 0U);

	/* A valid one goes out big-endian, with its _IOC_NR. */
	ctx->fx.autoreply = true;
	v = 10;
	KUNIT_ASSERT_EQ(test, copy_to_user(val, &v, sizeof(v)), 0UL);
	KUNIT_EXPECT_EQ(test, tc_ioctl(ctx->link,
				       TOASTER_IOC_SET_DARKNESS, val),
			0);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 1U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].opcode, RIO_OP_IOCTL);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].ioctl,
			(u32)TOASTER_IOC_NR_SET_DARKNESS);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].length, 4U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[0].arg, 0U);
}

static void tc_parse_addr(struct kunit *test)
{
	struct sockaddr_storage ss;

	KUNIT_EXPECT_EQ(test, rio_parse_addr("127.0.0.1", 9, &ss), 0);
	KUNIT_EXPECT_EQ(test, ss.ss_family, AF_INET);
	KUNIT_EXPECT_EQ(test, rio_parse_addr("::1", 3, &ss), 0);
	KUNIT_EXPECT_EQ(test, ss.ss_family, AF_INET6);
	KUNIT_EXPECT_EQ(test, rio_parse_addr("fe80::1:2", 9, &ss), 0);
	KUNIT_EXPECT_EQ(test, rio_parse_addr("127.0.0.1x", 10, &ss),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rio_parse_addr("localhost", 9, &ss),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rio_parse_addr("", 0, &ss), -EINVAL);
	KUNIT_EXPECT_EQ(test, rio_parse_addr("1.2.3", 5, &ss), -EINVAL);
}

/* The link of tc_init(), with a session the server granted. */
static struct toaster_link *tc_session(struct tc_ctx *ctx)
{
	struct toaster_link *link = ctx->link;

	toaster_link_resume_init(link, system_wq, 10000, 0);
	link->xops = &fake_resume_ops;
	memset(link->session, 0x5a, RIO_SESSION_LEN);
	return link;
}

/* Answer the resume HELLO (the last frame sent), naming session @fill. */
static int tc_answer_resume(struct tc_ctx *ctx, u32 status, u8 fill)
{
	struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY | RIO_CAP_SESSION,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 16,
		.wait_ms = 100,
		.resume_ms = 10000,
	};
	struct rio_msg r = {
		.opcode = RIO_OP_HELLO,
		.flags = RIO_F_RESPONSE,
		.tag = ctx->fx.sent[ctx->fx.nsent - 1].tag,
		.status = status,
	};
	struct rio_hello resp;

	memset(info.session, fill, RIO_SESSION_LEN);
	rio_hello_encode(&resp, &info);
	if (status == RIO_S_OK)
		r.length = sizeof(resp);
	return toaster_link_frame(ctx->link, &r, &resp);
}

/* The connection dies: the link resumes, and the attempt says HELLO. */
static void tc_resume_start(struct kunit *test, struct tc_ctx *ctx)
{
	struct toaster_link *link = ctx->link;
	unsigned int n = ctx->fx.nsent;
	struct rio_hello_info sent;

	fake_abort(link, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_RESUMING);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->dev.state), TOASTER_RESUMING);
	flush_delayed_work(&link->resume_work);
	KUNIT_EXPECT_EQ(test, ctx->fx.reconnects, 1U);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, n + 1);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[n].opcode, RIO_OP_HELLO);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[n].flags, RIO_F_RESUME);
	KUNIT_ASSERT_EQ(test,
			rio_hello_decode((struct rio_hello *)ctx->fx.payload,
					 &sent), 0);
	KUNIT_EXPECT_TRUE(test, sent.caps & RIO_CAP_SESSION);
	KUNIT_EXPECT_EQ(test, sent.resume_ms, 10000U);
	KUNIT_EXPECT_MEMEQ(test, sent.session, link->session, RIO_SESSION_LEN);
}

/*
 * A connection dies with requests outstanding, one of them cancelled: the
 * link resumes and sends them all again, oldest first under their tags,
 * the cancelled one with its CANCEL; a request made meanwhile follows.
 */
static void tc_resume_resends(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_session(ctx);
	u8 buf[sizeof(struct toaster_status)];
	struct toaster_req rd, ping, st;
	struct rio_msg r;

	tc_read(test, &rd, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &rd), 0);
	tc_ping(&ping);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &ping), 0);
	KUNIT_ASSERT_TRUE(test, toaster_link_cancel(link, &ping));
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 3U);

	tc_resume_start(test, ctx);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(rd.done));
	/* Meanwhile: nonblocking calls get EAGAIN, poll says nothing. */
	KUNIT_EXPECT_EQ(test, toaster_link_wait_up(link, true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, tc_poll(link), 0);
	/* A request made meanwhile waits for the resume. */
	tc_status_ioctl(&st, buf);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &st), 0);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 4U);

	KUNIT_EXPECT_EQ(test, tc_answer_resume(ctx, RIO_S_OK, 0x5a), 0);
	flush_delayed_work(&link->resume_work);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_UP);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->dev.state), TOASTER_CONNECTED);
	KUNIT_ASSERT_EQ(test, ctx->fx.nsent, 8U);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[4].opcode, RIO_OP_READ);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[4].tag, rd.msg.tag);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[5].opcode, RIO_OP_PING);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[5].tag, ping.msg.tag);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[6].opcode, RIO_OP_CANCEL);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[6].arg, ping.msg.tag);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[7].opcode, RIO_OP_IOCTL);
	KUNIT_EXPECT_EQ(test, ctx->fx.sent[7].tag, st.msg.tag);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.resumes), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.resent), 3);

	/* The answers complete the requests as if nothing had happened. */
	r = tc_resp(&rd, RIO_S_OK, 0, 3);
	KUNIT_EXPECT_EQ(test, toaster_link_frame(link, &r, "abc"), 0);
	KUNIT_EXPECT_MEMEQ(test, rd.resp_buf, "abc", 3);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(rd.done));
	KUNIT_EXPECT_EQ(test, rd.err, 0);
	KUNIT_EXPECT_EQ(test, rd.resp_len, 3U);
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);
}

/* A server that no longer knows the session: the file fails, ESTALE. */
static void tc_resume_refused(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_session(ctx);
	struct toaster_req rd;

	tc_read(test, &rd, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &rd), 0);
	tc_resume_start(test, ctx);
	KUNIT_EXPECT_EQ(test, tc_answer_resume(ctx, RIO_S_STALE, 0), -ESTALE);
	fake_abort(link, -ESTALE);	/* what the receive path does */
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_DEAD);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->dev.state), TOASTER_DEAD);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(rd.done));
	KUNIT_EXPECT_EQ(test, rd.err, -ESTALE);
	KUNIT_EXPECT_EQ(test, toaster_link_status(link), -ESTALE);
	KUNIT_EXPECT_TRUE(test, rio_session_none(link->session));
}

/* An answer naming another session is a protocol error, and final. */
static void tc_resume_wrong_session(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_session(ctx);

	tc_resume_start(test, ctx);
	KUNIT_EXPECT_EQ(test, tc_answer_resume(ctx, RIO_S_OK, 0x11), -EPROTO);
	fake_abort(link, -EPROTO);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_DEAD);
	KUNIT_EXPECT_EQ(test, toaster_link_status(link), -EPROTO);
}

/* The resume deadline has passed: run the resume, which gives up. */
static void tc_resume_expire(struct toaster_link *link)
{
	spin_lock_bh(&link->lock);
	link->resume_deadline = jiffies - 1;
	mod_delayed_work(system_wq, &link->resume_work, 0);
	spin_unlock_bh(&link->lock);
	flush_delayed_work(&link->resume_work);
}

/* Lose the connection and resume on a new one: the link is up again. */
static void tc_resumed(struct kunit *test, struct tc_ctx *ctx)
{
	tc_resume_start(test, ctx);
	KUNIT_ASSERT_EQ(test, tc_answer_resume(ctx, RIO_S_OK, 0x5a), 0);
	flush_delayed_work(&ctx->link->resume_work);
	KUNIT_ASSERT_EQ(test, ctx->link->state, TOASTER_LINK_UP);
}

/* No resume within resume_ms: the requests and the file fail with EIO. */
static void tc_resume_deadline(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_session(ctx);
	struct toaster_req rd;

	ctx->fx.reconnect_err = -ECONNREFUSED;
	tc_read(test, &rd, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &rd), 0);
	fake_abort(link, -ECONNRESET);
	flush_delayed_work(&link->resume_work);
	KUNIT_EXPECT_EQ(test, ctx->fx.reconnects, 1U);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_RESUMING);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(rd.done));

	tc_resume_expire(link);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_DEAD);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(rd.done));
	KUNIT_EXPECT_EQ(test, rd.err, -EIO);
	KUNIT_EXPECT_EQ(test, toaster_link_status(link), -EIO);
}

/*
 * A connection that dies after every resume before anything is answered
 * (a frame that breaks it each time it is resent): the same loss, so the
 * first loss's deadline holds and the link gives up; an answer ends it.
 */
static void tc_resume_unproven(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_session(ctx);
	unsigned long deadline;
	struct toaster_req rd;

	tc_read(test, &rd, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &rd), 0);
	tc_resumed(test, ctx);
	deadline = link->resume_deadline;

	/* Lost again, the READ unanswered: the deadline did not move. */
	msleep(20);
	fake_abort(link, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_RESUMING);
	KUNIT_EXPECT_EQ(test, link->resume_deadline, deadline);
	KUNIT_EXPECT_GT(test, link->backoff, 0UL);

	tc_resume_expire(link);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_DEAD);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(rd.done));
	KUNIT_EXPECT_EQ(test, rd.err, -EIO);
}

/* Control: once a request is answered after a resume, a loss is new. */
static void tc_resume_proven(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_session(ctx);
	unsigned long deadline;
	struct toaster_req rd;
	struct rio_msg r;

	tc_read(test, &rd, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &rd), 0);
	tc_resumed(test, ctx);
	r = tc_resp(&rd, RIO_S_OK, 0, 0);
	KUNIT_ASSERT_EQ(test, toaster_link_frame(link, &r, NULL), 0);
	deadline = link->resume_deadline;
	msleep(20);
	fake_abort(link, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_RESUMING);
	KUNIT_EXPECT_TRUE(test, time_after(link->resume_deadline, deadline));
}

/* Without a session granted, a dead connection fails the link as before. */
static void tc_no_session_no_resume(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = tc_session(ctx);
	struct toaster_req rd;

	memset(link->session, 0, RIO_SESSION_LEN);
	tc_read(test, &rd, 8);
	KUNIT_ASSERT_EQ(test, toaster_link_submit(link, &rd), 0);
	fake_abort(link, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, link->state, TOASTER_LINK_DEAD);
	KUNIT_EXPECT_EQ(test, rd.err, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, ctx->fx.reconnects, 0U);
}

static bool tc_wait_dead(struct tc_ctx *ctx, unsigned int ms)
{
	for (; !READ_ONCE(ctx->fx.dead) && ms >= 20; ms -= 20)
		msleep(20);
	return READ_ONCE(ctx->fx.dead);
}

/*
 * Keepalive: a PING per idle period; RIO_KEEPALIVE_MISSES unanswered and
 * the connection is dead. Answered, they keep it alive.
 */
static void tc_keepalive(struct kunit *test)
{
	struct tc_ctx *ctx = test->priv;
	struct toaster_link *link = ctx->link;
	unsigned int i;

	toaster_link_resume_init(link, system_wq, 0, 1);
	ctx->fx.autoreply = true;
	toaster_link_keepalive_start(link);
	msleep(100);
	toaster_link_resume_stop(link);
	KUNIT_EXPECT_FALSE(test, ctx->fx.dead);
	KUNIT_EXPECT_GT(test, atomic64_read(&ctx->dev.stats.keepalives),
			(s64)RIO_KEEPALIVE_MISSES);

	tc_new_link(test, ctx, 1000);
	link = ctx->link;
	link->state = TOASTER_LINK_UP;
	toaster_link_resume_init(link, system_wq, 0, 1);
	atomic64_set(&ctx->dev.stats.keepalives, 0);
	toaster_link_keepalive_start(link);
	KUNIT_ASSERT_TRUE(test, tc_wait_dead(ctx, 2000));
	KUNIT_EXPECT_EQ(test, ctx->fx.abort_err, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, ctx->fx.nsent, RIO_KEEPALIVE_MISSES);
	for (i = 0; i < ctx->fx.nsent && i < FAKE_MAX_SENT; i++) {
		KUNIT_EXPECT_EQ(test, ctx->fx.sent[i].opcode, RIO_OP_PING);
		KUNIT_EXPECT_NE(test, ctx->fx.sent[i].tag, 0U);
	}
	KUNIT_EXPECT_EQ(test, atomic64_read(&ctx->dev.stats.keepalives),
			RIO_KEEPALIVE_MISSES);
}

static struct kunit_case toaster_client_cases[] = {
	KUNIT_CASE(tc_request_ok),
	KUNIT_CASE(tc_unknown_tag),
	KUNIT_CASE(tc_duplicate_response),
	KUNIT_CASE(tc_cancel_late_dropped),
	KUNIT_CASE(tc_cancel_read_stash),
	KUNIT_CASE(tc_cancel_read_blocks_next_read),
	KUNIT_CASE(tc_nonblock_read_does_not_queue),
	KUNIT_CASE(tc_never_wrong_request),
	KUNIT_CASE(tc_reply_mismatch),
	KUNIT_CASE(tc_read_too_long),
	KUNIT_CASE(tc_bad_write_ioctl_answers),
	KUNIT_CASE(tc_disconnect),
	KUNIT_CASE(tc_disconnect_enotconn),
	KUNIT_CASE(tc_timeout),
	KUNIT_CASE(tc_signal_cancels),
	KUNIT_CASE(tc_signal_write_resolves),
	KUNIT_CASE(tc_tags),
	KUNIT_CASE(tc_table_full),
	KUNIT_CASE(tc_notify_poll),
	KUNIT_CASE(tc_hello),
	KUNIT_CASE(tc_write_behind),
	KUNIT_CASE(tc_write_short_continues),
	KUNIT_CASE(tc_write_behind_errors),
	KUNIT_CASE(tc_write_behind_wakes_no_reader),
	KUNIT_CASE(tc_rx_buf),
	KUNIT_CASE(tc_read_pipelined),
	KUNIT_CASE(tc_submit_more_room),
	KUNIT_CASE(tc_read_pipelined_signal),
	KUNIT_CASE(tc_nonblock_task_work),
	KUNIT_CASE(tc_read_pipelined_fault),
	KUNIT_CASE(tc_connect_in_background),
	KUNIT_CASE(tc_nonblock_never_waits),
	KUNIT_CASE(tc_signal_ioctl_resolves),
	KUNIT_CASE(tc_pop_discards_stash),
	KUNIT_CASE(tc_ioctl_validation),
	KUNIT_CASE(tc_parse_addr),
	KUNIT_CASE(tc_resume_resends),
	KUNIT_CASE(tc_resume_refused),
	KUNIT_CASE(tc_resume_wrong_session),
	KUNIT_CASE(tc_resume_deadline),
	KUNIT_CASE(tc_resume_unproven),
	KUNIT_CASE(tc_resume_proven),
	KUNIT_CASE(tc_no_session_no_resume),
	KUNIT_CASE(tc_keepalive),
	{}
};

static struct kunit_suite toaster_client_suite = {
	.name = "toaster_client",
	.init = tc_init,
	.exit = tc_exit,
	.test_cases = toaster_client_cases,
};

kunit_test_suite(toaster_client_suite);

MODULE_DESCRIPTION("KUnit tests of the remote toaster client");
MODULE_IMPORT_NS(TOASTER_RIO);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
