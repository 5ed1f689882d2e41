// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit test of the RIO codec (module/rio/proto.c), the same code
 * the kernel modules use. Prints one KTAP document; exits 0 iff every case
 * passed. The exhaustive suite is the KUnit one (kunit/rio_proto_test.c);
 * this one runs anywhere, on the host and in the test VM.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <toaster/rio.h>

_Static_assert(offsetof(struct rio_hdr, version) == 4, "version at 4");
_Static_assert(offsetof(struct rio_hdr, opcode) == 5, "opcode at 5");
_Static_assert(offsetof(struct rio_hdr, flags) == 6, "flags at 6");
_Static_assert(offsetof(struct rio_hdr, tag) == 8, "tag at 8");
_Static_assert(offsetof(struct rio_hdr, status) == 12, "status at 12");
_Static_assert(offsetof(struct rio_hdr, ioctl) == 16, "ioctl at 16");
_Static_assert(offsetof(struct rio_hdr, arg) == 20, "arg at 20");
_Static_assert(offsetof(struct rio_hdr, length) == 24, "length at 24");
_Static_assert(offsetof(struct rio_hdr, room) == 28, "room at 28");
_Static_assert(sizeof(struct rio_hdr) == 32, "header is 32 bytes");
_Static_assert(sizeof(struct rio_hello) == 40, "hello is 40 bytes");

static int ntest;
static int nfail;

/* Record one result; the diagnostics printed before it explain a failure. */
static void result(int ok, const char *kind, const char *name)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%s %d %s%s%s\n", ok ? "ok" : "not ok", ntest, kind,
	       *kind ? " " : "", name);
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("# %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			ok = 0;						\
		}							\
	} while (0)

struct frame_case {
	const char *name;
	enum rio_dir dir;
	struct rio_msg msg;
};

/* One valid frame per opcode and legal direction. */
static const struct frame_case valid[] = {
	{ "hello request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 7,
	    .length = sizeof(struct rio_hello) } },
	{ "hello response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1,
	    .length = sizeof(struct rio_hello) } },
	{ "hello refusal", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1,
	    .status = RIO_S_BUSY } },
	{ "read request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_NONBLOCK, .tag = 0x01020304,
	    .arg = RIO_MAX_PAYLOAD } },
	{ "read response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 0x01020304,
	    .length = 100 } },
	{ "write request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_WRITE, .tag = 0xfffffffe,
	    .length = RIO_MAX_PAYLOAD } },
	{ "write response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 0xfffffffe,
	    .arg = 12 } },
	{ "ioctl request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = 1, .arg = 32,
	    .length = 4 } },
	{ "ioctl response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .ioctl = 1, .length = 32 } },
	{ "ping request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_PING, .tag = 10, .length = 3 } },
	{ "ping response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 10,
	    .length = 3 } },
	{ "cancel request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_CANCEL, .arg = 10 } },
	{ "bye request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_BYE } },
	{ "notify response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE,
	    .arg = RIO_READY_IN | RIO_READY_OUT } },
};

static int msg_equal(const struct rio_msg *a, const struct rio_msg *b)
{
	return a->opcode == b->opcode && a->flags == b->flags &&
	       a->tag == b->tag && a->status == b->status &&
	       a->ioctl == b->ioctl && a->arg == b->arg &&
	       a->length == b->length;
}

static void test_roundtrip(const struct frame_case *c)
{
	enum rio_dir other = c->dir == RIO_DIR_REQUEST ?
			     RIO_DIR_RESPONSE : RIO_DIR_REQUEST;
	struct rio_hdr hdr;
	struct rio_msg out;
	int ok = 1, bad;

	rio_encode(&hdr, &c->msg);
	bad = rio_decode(&hdr, c->dir, &out);
	if (bad)
		printf("# decode: %s\n", rio_bad_str(bad));
	CHECK(bad == RIO_OK);
	CHECK(msg_equal(&out, &c->msg));
	CHECK(rio_decode(&hdr, other, &out) == RIO_BAD_DIRECTION);
	result(ok, "roundtrip", c->name);
}

struct bad_case {
	const char *name;
	enum rio_dir dir;
	struct rio_msg msg;
	int bad;
};

static const struct bad_case rejects[] = {
	{ "notify as request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_NOTIFY }, RIO_BAD_DIRECTION },
	{ "bye as response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_BYE, .flags = RIO_F_RESPONSE }, RIO_BAD_DIRECTION },
	{ "opcode 0", RIO_DIR_REQUEST,
	  { .opcode = 0, .tag = 1 }, RIO_BAD_OPCODE },
	{ "opcode max", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_MAX, .tag = 1 }, RIO_BAD_OPCODE },
	{ "unknown flag", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_PING, .flags = 0x8000, .tag = 1 }, RIO_BAD_FLAGS },
	{ "tag 0 on ping", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_PING }, RIO_BAD_TAG },
	{ "tag on cancel", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_CANCEL, .tag = 1, .arg = 1 }, RIO_BAD_TAG },
	{ "status in request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_PING, .tag = 1, .status = RIO_S_IO },
	  RIO_BAD_STATUS },
	{ "write over max", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_WRITE, .tag = 1, .length = RIO_MAX_PAYLOAD + 1 },
	  RIO_BAD_LENGTH },
	{ "read arg 0", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_READ, .tag = 1 }, RIO_BAD_ARG },
	{ "ioctl field on ping", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_PING, .tag = 1, .ioctl = 1 }, RIO_BAD_IOCTL },
	{ "error with payload", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 1,
	    .status = RIO_S_AGAIN, .length = 1 }, RIO_BAD_LENGTH },
	{ "hello wrong length", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 1, .length = 15 },
	  RIO_BAD_LENGTH },
};

static void test_reject(const struct bad_case *c)
{
	struct rio_hdr hdr;
	struct rio_msg out;
	int ok = 1, bad;

	rio_encode(&hdr, &c->msg);
	bad = rio_decode(&hdr, c->dir, &out);
	if (bad != c->bad)
		printf("# got '%s', want '%s'\n", rio_bad_str(bad),
		       rio_bad_str(c->bad));
	CHECK(bad == c->bad);
	CHECK(msg_equal(&out, &c->msg));
	result(ok, "reject", c->name);
}

/* Header fields that rio_encode() sets itself: patch them after encoding. */
static void test_raw_rejects(void)
{
	struct rio_msg m = { .opcode = RIO_OP_PING, .tag = 1 }, out;
	struct rio_hdr hdr;
	int ok = 1;

	rio_encode(&hdr, &m);
	hdr.magic ^= 1;
	CHECK(rio_decode(&hdr, RIO_DIR_REQUEST, &out) == RIO_BAD_MAGIC);
	rio_encode(&hdr, &m);
	hdr.version = RIO_VERSION + 1;
	CHECK(rio_decode(&hdr, RIO_DIR_REQUEST, &out) == RIO_BAD_VERSION);
	rio_encode(&hdr, &m);
	hdr.room = 1;
	CHECK(rio_decode(&hdr, RIO_DIR_REQUEST, &out) == RIO_BAD_ROOM);
	result(ok, "", "reject magic version room-in-request");
}

static void test_wire_bytes(void)
{
	static const unsigned char want[32] = {
		'R', 'I', 'O', '!', RIO_VERSION, RIO_OP_WRITE, 0x00, 0x02,
		0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x00, 0x01, 0x00, 0, 0, 0, 0,
	};
	struct rio_msg m = {
		.opcode = RIO_OP_WRITE, .flags = RIO_F_NONBLOCK,
		.tag = 0x01020304, .length = 256,
	};
	struct rio_hdr hdr;
	int ok = 1;

	rio_encode(&hdr, &m);
	CHECK(memcmp(&hdr, want, sizeof(want)) == 0);
	result(ok, "", "wire bytes big-endian");
}

static void test_hello(void)
{
	struct rio_hello_info in = {
		.caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 1, .wait_ms = 0x01020304,
	}, out;
	struct rio_hello h;
	int ok = 1;

	rio_hello_encode(&h, &in);
	CHECK(((unsigned char *)&h)[12] == 0x01);
	CHECK(rio_hello_decode(&h, &out) == RIO_OK);
	CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	in.wait_ms = 0;
	rio_hello_encode(&h, &in);
	CHECK(rio_hello_decode(&h, &out) == RIO_BAD_ARG);
	in.wait_ms = 1;
	in.caps = ~(__u32)RIO_CAP_MASK;
	rio_hello_encode(&h, &in);
	CHECK(rio_hello_decode(&h, &out) == RIO_BAD_ARG);
	in.caps = 0;
	in.max_payload = RIO_MAX_PAYLOAD + 1;
	rio_hello_encode(&h, &in);
	CHECK(rio_hello_decode(&h, &out) == RIO_BAD_ARG);
	in.max_payload = RIO_MAX_PAYLOAD;
	in.session[3] = 7;		/* a session needs RIO_CAP_SESSION */
	rio_hello_encode(&h, &in);
	CHECK(rio_hello_decode(&h, &out) == RIO_BAD_ARG);
	in.caps = RIO_CAP_SESSION;
	in.resume_ms = 30000;
	rio_hello_encode(&h, &in);
	CHECK(((unsigned char *)&h)[27] == 7);
	CHECK(rio_hello_decode(&h, &out) == RIO_OK);
	CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	result(ok, "", "hello encode decode");
}

static void test_check_reply(void)
{
	struct rio_msg req = {
		.opcode = RIO_OP_READ, .tag = 5, .arg = 10,
	};
	struct rio_msg resp = {
		.opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 5,
		.length = 10,
	};
	int ok = 1;

	CHECK(rio_check_reply(&req, &resp) == RIO_OK);
	resp.length = 11;
	CHECK(rio_check_reply(&req, &resp) == RIO_BAD_MISMATCH);
	resp.length = 0;
	resp.tag = 6;
	CHECK(rio_check_reply(&req, &resp) == RIO_BAD_MISMATCH);
	req = (struct rio_msg){ .opcode = RIO_OP_PING, .tag = 1, .length = 4 };
	resp = (struct rio_msg){ .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE,
				 .tag = 1, .length = 3 };
	CHECK(rio_check_reply(&req, &resp) == RIO_BAD_MISMATCH);
	resp.length = 4;
	CHECK(rio_check_reply(&req, &resp) == RIO_OK);
	result(ok, "", "check reply");
}

static void test_status_errno(void)
{
	int ok = 1, err;
	__u32 s;

	for (s = 0; s < RIO_S_MAX; s++) {
		err = rio_status_to_errno(s);
		CHECK(s == RIO_S_OK ? err == 0 : err < 0);
		CHECK(rio_errno_to_status(err) == s);
		CHECK(rio_errno_to_status(-err) == s);
	}
	CHECK(rio_status_to_errno(RIO_S_BUSY) == -EBUSY);
	CHECK(rio_status_to_errno(RIO_S_MAX) == -EIO);
	CHECK(rio_errno_to_status(-ENOENT) == RIO_S_IO);
	result(ok, "", "status errno mapping");
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n");
	printf("1..%zu\n", ARRAY_SIZE(valid) + ARRAY_SIZE(rejects) + 5);
	for (i = 0; i < ARRAY_SIZE(valid); i++)
		test_roundtrip(&valid[i]);
	for (i = 0; i < ARRAY_SIZE(rejects); i++)
		test_reject(&rejects[i]);
	test_raw_rejects();
	test_wire_bytes();
	test_hello();
	test_check_reply();
	test_status_errno();
	printf("# totals: pass:%d fail:%d skip:0\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
