// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the RIO codec (module/rio/proto.c, in toaster_rio.ko): wire layout, encode/decode
 * round trips of every opcode in each direction it may travel, every class
 * of malformed header with its enum rio_bad reason, rio_check_reply(), the
 * HELLO payload and the status <-> errno mapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>

#include <toaster/rio.h>

#include <uapi/linux/toaster.h>

#define T_TAG	0x0a0b0c0dU	/* every byte different: catches byte order */

static enum rio_dir rio_other_dir(enum rio_dir dir)
{
	return dir == RIO_DIR_REQUEST ? RIO_DIR_RESPONSE : RIO_DIR_REQUEST;
}

static void rio_expect_msg_eq(struct kunit *test, const struct rio_msg *got,
			      const struct rio_msg *want)
{
	KUNIT_EXPECT_EQ(test, got->opcode, want->opcode);
	KUNIT_EXPECT_EQ(test, got->flags, want->flags);
	KUNIT_EXPECT_EQ(test, got->tag, want->tag);
	KUNIT_EXPECT_EQ(test, got->status, want->status);
	KUNIT_EXPECT_EQ(test, got->ioctl, want->ioctl);
	KUNIT_EXPECT_EQ(test, got->arg, want->arg);
	KUNIT_EXPECT_EQ(test, got->length, want->length);
	KUNIT_EXPECT_EQ(test, got->room, want->room);
}

/* ---- wire layout ---- */

static void rio_hdr_layout_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct rio_hdr), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, magic), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, version), 4);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, opcode), 5);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, flags), 6);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, tag), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, status), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, ioctl), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, arg), 20);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, length), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hdr, room), 28);

	KUNIT_EXPECT_EQ(test, sizeof(struct rio_hello), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hello, caps), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hello, max_payload), 4);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hello, max_inflight), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct rio_hello, wait_ms), 12);
}

/* An IOCTL response in bytes, as it must appear on the wire. */
static const u8 rio_wire_ioctl_resp[32] = {
	'R', 'I', 'O', '!',		/* magic */
	RIO_VERSION, RIO_OP_IOCTL,	/* version, opcode */
	0x00, 0x01,			/* flags: RIO_F_RESPONSE */
	0x0a, 0x0b, 0x0c, 0x0d,		/* tag */
	0x00, 0x00, 0x00, 0x00,		/* status */
	0x00, 0x00, 0x00, 0x07,		/* ioctl */
	0x00, 0x00, 0x00, 0x00,		/* arg */
	0x00, 0x00, 0x00, 0x30,		/* length: 48 */
	0x00, 0x00, 0x10, 0x00,		/* room: 4096 */
};

static const struct rio_msg rio_wire_ioctl_msg = {
	.opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	.ioctl = TOASTER_IOC_NR_COUNTERS,
	.length = sizeof(struct toaster_counters), .room = 4096,
};

static void rio_wire_bytes_test(struct kunit *test)
{
	struct rio_hdr hdr;
	struct rio_msg out;

	memset(&hdr, 0xa5, sizeof(hdr));
	rio_encode(&hdr, &rio_wire_ioctl_msg);
	KUNIT_EXPECT_MEMEQ(test, &hdr, rio_wire_ioctl_resp, sizeof(hdr));

	memcpy(&hdr, rio_wire_ioctl_resp, sizeof(hdr));
	memset(&out, 0xa5, sizeof(out));
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, RIO_DIR_RESPONSE, &out), RIO_OK);
	rio_expect_msg_eq(test, &out, &rio_wire_ioctl_msg);
}

/* ---- round trips ---- */

struct rio_frame_case {
	const char *desc;
	enum rio_dir dir;
	struct rio_msg msg;
};

static const struct rio_frame_case rio_valid_frames[] = {
	{ "HELLO request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 1,
	    .length = sizeof(struct rio_hello) } },
	{ "HELLO request, large tag and serial", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_HELLO, .tag = 0xffffffff, .arg = 0x80000001,
	    .length = sizeof(struct rio_hello) } },
	{ "HELLO response OK", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .length = sizeof(struct rio_hello) } },
	{ "HELLO response with the slot's room", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .length = sizeof(struct rio_hello), .room = 0x80000000 } },
	{ "HELLO request resuming a session", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESUME, .tag = 1, .arg = 1,
	    .length = sizeof(struct rio_hello) } },
	{ "HELLO response STALE", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .status = RIO_S_STALE } },
	{ "HELLO response BUSY", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .status = RIO_S_BUSY } },
	{ "HELLO response NODEV", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .status = RIO_S_NODEV } },
	{ "READ request of 1 byte", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_READ, .tag = T_TAG, .arg = 1 } },
	{ "READ request NONBLOCK of the maximum", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_NONBLOCK, .tag = T_TAG,
	    .arg = RIO_MAX_PAYLOAD } },
	{ "READ response with data", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .length = 1 } },
	{ "READ response EOF", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = T_TAG } },
	{ "READ response of the maximum", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .length = RIO_MAX_PAYLOAD } },
	{ "READ response AGAIN", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .status = RIO_S_AGAIN } },
	{ "WRITE request of 1 byte", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_WRITE, .tag = T_TAG, .length = 1 } },
	{ "WRITE request NONBLOCK of the maximum", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_NONBLOCK, .tag = T_TAG,
	    .length = RIO_MAX_PAYLOAD } },
	{ "WRITE response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .arg = 1 } },
	{ "WRITE response accepting the maximum", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .arg = RIO_MAX_PAYLOAD } },
	{ "WRITE response CANCELED", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .status = RIO_S_CANCELED } },
	{ "IOCTL request _IOR", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_IOCTL, .tag = T_TAG,
	    .ioctl = TOASTER_IOC_NR_STATUS,
	    .arg = sizeof(struct toaster_status) } },
	{ "IOCTL request _IOW", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_IOCTL, .tag = T_TAG,
	    .ioctl = TOASTER_IOC_NR_SET_DARKNESS, .length = sizeof(__u32) } },
	{ "IOCTL request of the maximum size", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_IOCTL, .tag = T_TAG, .ioctl = 0xffffffff,
	    .arg = RIO_MAX_IOCTL, .length = RIO_MAX_IOCTL } },
	{ "IOCTL response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .ioctl = TOASTER_IOC_NR_STATUS,
	    .length = sizeof(struct toaster_status) } },
	{ "IOCTL response NOTTY", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .status = RIO_S_NOTTY, .ioctl = 0x3f } },
	{ "PING request empty", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_PING, .tag = T_TAG } },
	{ "PING request of the maximum", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_PING, .tag = T_TAG, .length = RIO_MAX_PAYLOAD } },
	{ "PING response", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = T_TAG,
	    .length = 16 } },
	{ "CANCEL request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_CANCEL, .arg = T_TAG } },
	{ "BYE request", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_BYE } },
	{ "NOTIFY IN|OUT", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE,
	    .arg = RIO_READY_IN | RIO_READY_OUT } },
	{ "NOTIFY nothing ready", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE } },
	{ "AUTH client nonce", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_AUTH, .arg = RIO_AUTH_NONCE_C,
	    .length = sizeof(struct rio_auth_nonce) } },
	{ "AUTH client proof", RIO_DIR_REQUEST,
	  { .opcode = RIO_OP_AUTH, .arg = RIO_AUTH_PROOF_C,
	    .length = RIO_AUTH_MAC_LEN } },
	{ "AUTH server nonce", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_AUTH, .flags = RIO_F_RESPONSE,
	    .arg = RIO_AUTH_NONCE_S, .length = sizeof(struct rio_auth_nonce) } },
	{ "AUTH refused", RIO_DIR_RESPONSE,
	  { .opcode = RIO_OP_AUTH, .flags = RIO_F_RESPONSE,
	    .arg = RIO_AUTH_PROOF_S, .status = RIO_S_KEYREJECTED } },
};

static void rio_frame_desc(const struct rio_frame_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rio_valid, rio_valid_frames, rio_frame_desc);

static void rio_roundtrip_test(struct kunit *test)
{
	const struct rio_frame_case *c = test->param_value;
	struct rio_hdr hdr;
	struct rio_msg out;
	int bad;

	memset(&hdr, 0xa5, sizeof(hdr));
	rio_encode(&hdr, &c->msg);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.magic), RIO_MAGIC);
	KUNIT_EXPECT_EQ(test, hdr.version, RIO_VERSION);
	KUNIT_EXPECT_EQ(test, hdr.opcode, c->msg.opcode);
	KUNIT_EXPECT_EQ(test, be16_to_cpu(hdr.flags), c->msg.flags);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.tag), c->msg.tag);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.status), c->msg.status);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.ioctl), c->msg.ioctl);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.arg), c->msg.arg);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.length), c->msg.length);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.room), c->msg.room);

	memset(&out, 0xa5, sizeof(out));
	bad = rio_decode(&hdr, c->dir, &out);
	KUNIT_ASSERT_EQ_MSG(test, bad, RIO_OK, "rejected: %s", rio_bad_str(bad));
	rio_expect_msg_eq(test, &out, &c->msg);

	/* The same header is never valid travelling the other way. */
	KUNIT_EXPECT_EQ(test, rio_decode(&hdr, rio_other_dir(c->dir), &out),
			RIO_BAD_DIRECTION);
}

/* Every opcode has a round trip in each direction it may travel. */
static void rio_roundtrip_coverage_test(struct kunit *test)
{
	unsigned int op, i;
	bool req, resp;

	for (op = 1; op < RIO_OP_MAX; op++) {
		req = false;
		resp = false;
		for (i = 0; i < ARRAY_SIZE(rio_valid_frames); i++) {
			if (rio_valid_frames[i].msg.opcode != op)
				continue;
			if (rio_valid_frames[i].dir == RIO_DIR_REQUEST)
				req = true;
			else
				resp = true;
		}
		KUNIT_EXPECT_EQ_MSG(test, req, op != RIO_OP_NOTIFY,
				    "%s request", rio_op_str(op));
		KUNIT_EXPECT_EQ_MSG(test, resp,
				    op != RIO_OP_CANCEL && op != RIO_OP_BYE,
				    "%s response", rio_op_str(op));
	}
}

/* ---- malformed headers ---- */

struct rio_bad_case {
	const char *desc;
	enum rio_dir dir;
	struct rio_msg msg;
	u32 magic;		/* if not 0: replaces RIO_MAGIC */
	bool set_version;
	u8 version;		/* replaces RIO_VERSION if set_version */
	int bad;		/* expected enum rio_bad */
};

static const struct rio_bad_case rio_bad_cases[] = {
	/* Magic, version, opcode, flags, room: checked first. */
	{ .desc = "bad magic", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1 },
	  .magic = RIO_MAGIC + 1, .bad = RIO_BAD_MAGIC },
	{ .desc = "byte-swapped magic", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 1 },
	  .magic = ___constant_swab32(RIO_MAGIC), .bad = RIO_BAD_MAGIC },
	{ .desc = "version 0", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1 },
	  .set_version = true, .version = 0, .bad = RIO_BAD_VERSION },
	{ .desc = "version 2", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 1 },
	  .set_version = true, .version = RIO_VERSION + 1,
	  .bad = RIO_BAD_VERSION },
	{ .desc = "opcode 0 request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = 0, .tag = 1 }, .bad = RIO_BAD_OPCODE },
	{ .desc = "opcode 0 response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = 0, .flags = RIO_F_RESPONSE, .tag = 1 },
	  .bad = RIO_BAD_OPCODE },
	{ .desc = "opcode RIO_OP_MAX request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_MAX, .tag = 1 }, .bad = RIO_BAD_OPCODE },
	{ .desc = "opcode 255 response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = 255, .flags = RIO_F_RESPONSE, .tag = 1 },
	  .bad = RIO_BAD_OPCODE },
	{ .desc = "unknown flag 0x4 in request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .flags = 0x4, .tag = 1 },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "unknown flag 0x8000 in response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE | 0x8000,
		   .tag = 1 },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "room in a request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1, .room = 1 },
	  .bad = RIO_BAD_ROOM },
	{ .desc = "room in a WRITE request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_WRITE, .tag = 1, .length = 1,
		   .room = 0x80000000 },
	  .bad = RIO_BAD_ROOM },

	/* Direction. */
	{ .desc = "response flag in a request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 1 },
	  .bad = RIO_BAD_DIRECTION },
	{ .desc = "response flag missing in a response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1 }, .bad = RIO_BAD_DIRECTION },
	{ .desc = "NONBLOCK instead of response flag", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ, .flags = RIO_F_NONBLOCK, .tag = 1 },
	  .bad = RIO_BAD_DIRECTION },
	{ .desc = "NOTIFY as a request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_NOTIFY }, .bad = RIO_BAD_DIRECTION },
	{ .desc = "CANCEL as a response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_CANCEL, .flags = RIO_F_RESPONSE, .arg = 1 },
	  .bad = RIO_BAD_DIRECTION },
	{ .desc = "BYE as a response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_BYE, .flags = RIO_F_RESPONSE },
	  .bad = RIO_BAD_DIRECTION },

	/* NONBLOCK only on READ and WRITE requests. */
	{ .desc = "NONBLOCK on PING", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_NONBLOCK, .tag = 1 },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "NONBLOCK on HELLO", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_HELLO, .flags = RIO_F_NONBLOCK, .tag = 1,
		   .arg = 1, .length = sizeof(struct rio_hello) },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "NONBLOCK on IOCTL", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_IOCTL, .flags = RIO_F_NONBLOCK, .tag = 1,
		   .ioctl = 1 },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "NONBLOCK on CANCEL", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_CANCEL, .flags = RIO_F_NONBLOCK, .arg = 1 },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "RESUME on PING", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESUME, .tag = 1 },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "RESUME in a response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_HELLO,
		   .flags = RIO_F_RESPONSE | RIO_F_RESUME, .tag = 1,
		   .length = sizeof(struct rio_hello) },
	  .bad = RIO_BAD_FLAGS },
	{ .desc = "NONBLOCK in a response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ,
		   .flags = RIO_F_RESPONSE | RIO_F_NONBLOCK, .tag = 1 },
	  .bad = RIO_BAD_FLAGS },

	/* Tags. */
	{ .desc = "tag 0 on HELLO", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_HELLO, .arg = 1,
		   .length = sizeof(struct rio_hello) },
	  .bad = RIO_BAD_TAG },
	{ .desc = "tag 0 on READ", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_READ, .arg = 1 }, .bad = RIO_BAD_TAG },
	{ .desc = "tag 0 on WRITE", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_WRITE, .length = 1 }, .bad = RIO_BAD_TAG },
	{ .desc = "tag 0 on IOCTL", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_IOCTL, .ioctl = 1 }, .bad = RIO_BAD_TAG },
	{ .desc = "tag 0 on PING", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING }, .bad = RIO_BAD_TAG },
	{ .desc = "tag 0 on a READ response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE },
	  .bad = RIO_BAD_TAG },
	{ .desc = "tag 0 on a HELLO refusal", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE,
		   .status = RIO_S_BUSY },
	  .bad = RIO_BAD_TAG },
	{ .desc = "tag on CANCEL", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_CANCEL, .tag = 2, .arg = 1 },
	  .bad = RIO_BAD_TAG },
	{ .desc = "tag on BYE", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_BYE, .tag = 2 }, .bad = RIO_BAD_TAG },
	{ .desc = "tag on NOTIFY", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE, .tag = 2 },
	  .bad = RIO_BAD_TAG },

	/* Status. */
	{ .desc = "status in a PING request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1, .status = RIO_S_AGAIN },
	  .bad = RIO_BAD_STATUS },
	{ .desc = "status in a CANCEL request", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_CANCEL, .status = RIO_S_IO, .arg = 1 },
	  .bad = RIO_BAD_STATUS },
	{ .desc = "status RIO_S_MAX in a response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 1,
		   .status = RIO_S_MAX },
	  .bad = RIO_BAD_STATUS },
	{ .desc = "status 0xffffffff in a response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 1,
		   .status = 0xffffffff },
	  .bad = RIO_BAD_STATUS },
	{ .desc = "status in a NOTIFY", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE,
		   .status = RIO_S_IO },
	  .bad = RIO_BAD_STATUS },

	/* Payload length against the protocol maxima. */
	{ .desc = "WRITE over RIO_MAX_PAYLOAD", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_WRITE, .tag = 1,
		   .length = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "PING over RIO_MAX_PAYLOAD", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1,
		   .length = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "PING length 0xffffffff", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1, .length = 0xffffffff },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "READ response over RIO_MAX_PAYLOAD", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 1,
		   .length = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "PING response over RIO_MAX_PAYLOAD", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 1,
		   .length = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_LENGTH },

	/* READ. */
	{ .desc = "READ with payload", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_READ, .tag = 1, .arg = 1, .length = 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "READ of 0 bytes", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_READ, .tag = 1 }, .bad = RIO_BAD_ARG },
	{ .desc = "READ over RIO_MAX_PAYLOAD", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_READ, .tag = 1, .arg = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_ARG },
	{ .desc = "READ response with arg", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 1,
		   .arg = 1 },
	  .bad = RIO_BAD_ARG },

	/* WRITE. */
	{ .desc = "WRITE of 0 bytes", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_WRITE, .tag = 1 }, .bad = RIO_BAD_LENGTH },
	{ .desc = "WRITE request with arg", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_WRITE, .tag = 1, .arg = 1, .length = 1 },
	  .bad = RIO_BAD_ARG },
	{ .desc = "WRITE response with payload", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 1,
		   .arg = 1, .length = 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "WRITE response accepting over RIO_MAX_PAYLOAD",
	  .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 1,
		   .arg = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_ARG },

	/* IOCTL. */
	{ .desc = "IOCTL payload over RIO_MAX_IOCTL", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_IOCTL, .tag = 1, .ioctl = 1,
		   .length = RIO_MAX_IOCTL + 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "IOCTL out size over RIO_MAX_IOCTL", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_IOCTL, .tag = 1, .ioctl = 1,
		   .arg = RIO_MAX_IOCTL + 1 },
	  .bad = RIO_BAD_ARG },
	{ .desc = "IOCTL response over RIO_MAX_IOCTL", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 1,
		   .ioctl = 1, .length = RIO_MAX_IOCTL + 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "IOCTL response with arg", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 1,
		   .ioctl = 1, .arg = 4 },
	  .bad = RIO_BAD_ARG },

	/* ioctl field on anything but IOCTL. */
	{ .desc = "ioctl field on PING", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1, .ioctl = 1 },
	  .bad = RIO_BAD_IOCTL },
	{ .desc = "ioctl field on CANCEL", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_CANCEL, .ioctl = 1, .arg = 1 },
	  .bad = RIO_BAD_IOCTL },
	{ .desc = "ioctl field on a READ response", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 1,
		   .ioctl = 1 },
	  .bad = RIO_BAD_IOCTL },
	{ .desc = "ioctl field on NOTIFY", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE,
		   .ioctl = 1 },
	  .bad = RIO_BAD_IOCTL },

	/* HELLO. */
	{ .desc = "HELLO without payload", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "HELLO with 15 payload bytes", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 1, .length = 15 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "HELLO with 17 payload bytes", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 1, .length = 17 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "HELLO for serial 0", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_HELLO, .tag = 1,
		   .length = sizeof(struct rio_hello) },
	  .bad = RIO_BAD_ARG },
	{ .desc = "HELLO OK without payload", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "HELLO OK with 17 payload bytes", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1,
		   .length = 17 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "HELLO response with arg", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1,
		   .arg = 1, .length = sizeof(struct rio_hello) },
	  .bad = RIO_BAD_ARG },

	/* A failed request carries no payload. */
	{ .desc = "READ AGAIN with payload", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 1,
		   .status = RIO_S_AGAIN, .length = 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "HELLO BUSY with payload", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1,
		   .status = RIO_S_BUSY, .length = sizeof(struct rio_hello) },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "IOCTL INVAL with payload", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 1,
		   .status = RIO_S_INVAL, .ioctl = 1, .length = 4 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "PING IO with payload", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 1,
		   .status = RIO_S_IO, .length = 1 },
	  .bad = RIO_BAD_LENGTH },

	/* PING. */
	{ .desc = "PING request with arg", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_PING, .tag = 1, .arg = 1 },
	  .bad = RIO_BAD_ARG },
	{ .desc = "PING response with arg", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 1,
		   .arg = 1 },
	  .bad = RIO_BAD_ARG },

	/* CANCEL, BYE, NOTIFY. */
	{ .desc = "CANCEL of tag 0", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_CANCEL }, .bad = RIO_BAD_ARG },
	{ .desc = "CANCEL with payload", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_CANCEL, .arg = 1, .length = 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "BYE with arg", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_BYE, .arg = 1 }, .bad = RIO_BAD_ARG },
	{ .desc = "BYE with payload", .dir = RIO_DIR_REQUEST,
	  .msg = { .opcode = RIO_OP_BYE, .length = 1 }, .bad = RIO_BAD_LENGTH },
	{ .desc = "NOTIFY with payload", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE,
		   .length = 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .desc = "NOTIFY with an unknown readiness bit", .dir = RIO_DIR_RESPONSE,
	  .msg = { .opcode = RIO_OP_NOTIFY, .flags = RIO_F_RESPONSE,
		   .arg = RIO_READY_MASK + 1 },
	  .bad = RIO_BAD_ARG },
};

static void rio_bad_desc(const struct rio_bad_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rio_bad, rio_bad_cases, rio_bad_desc);

static void rio_decode_reject_test(struct kunit *test)
{
	const struct rio_bad_case *c = test->param_value;
	struct rio_hdr hdr;
	struct rio_msg out;
	int bad;

	rio_encode(&hdr, &c->msg);
	if (c->magic)
		hdr.magic = cpu_to_be32(c->magic);
	if (c->set_version)
		hdr.version = c->version;

	memset(&out, 0xa5, sizeof(out));
	bad = rio_decode(&hdr, c->dir, &out);
	KUNIT_EXPECT_EQ_MSG(test, bad, c->bad, "got '%s', want '%s'",
			    rio_bad_str(bad), rio_bad_str(c->bad));
	/* The fields are decoded anyway, for the caller's log line. */
	rio_expect_msg_eq(test, &out, &c->msg);
}

/* ---- rio_check_reply() ---- */

struct rio_reply_case {
	const char *desc;
	struct rio_msg req;
	struct rio_msg resp;
	int bad;
};

static const struct rio_reply_case rio_reply_cases[] = {
	{ "READ answered in full",
	  { .opcode = RIO_OP_READ, .tag = 7, .arg = 10 },
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 7,
	    .length = 10 }, RIO_OK },
	{ "READ answered short",
	  { .opcode = RIO_OP_READ, .tag = 7, .arg = 10 },
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 7,
	    .length = 3 }, RIO_OK },
	{ "READ answered EOF",
	  { .opcode = RIO_OP_READ, .tag = 7, .arg = 10 },
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 7 },
	  RIO_OK },
	{ "READ response longer than asked",
	  { .opcode = RIO_OP_READ, .tag = 7, .arg = 10 },
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 7,
	    .length = 11 }, RIO_BAD_MISMATCH },
	{ "READ answered AGAIN",
	  { .opcode = RIO_OP_READ, .flags = RIO_F_NONBLOCK, .tag = 7, .arg = 10 },
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 7,
	    .status = RIO_S_AGAIN }, RIO_OK },
	{ "WRITE accepting everything",
	  { .opcode = RIO_OP_WRITE, .tag = 8, .length = 10 },
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 8,
	    .arg = 10 }, RIO_OK },
	{ "WRITE accepting part",
	  { .opcode = RIO_OP_WRITE, .tag = 8, .length = 10 },
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 8,
	    .arg = 4 }, RIO_OK },
	{ "WRITE accepting more than sent",
	  { .opcode = RIO_OP_WRITE, .tag = 8, .length = 10 },
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 8,
	    .arg = 11 }, RIO_BAD_MISMATCH },
	{ "WRITE answered OK taking nothing",
	  { .opcode = RIO_OP_WRITE, .tag = 8, .length = 10 },
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 8 },
	  RIO_BAD_MISMATCH },
	{ "WRITE answered CANCELED",
	  { .opcode = RIO_OP_WRITE, .tag = 8, .length = 10 },
	  { .opcode = RIO_OP_WRITE, .flags = RIO_F_RESPONSE, .tag = 8,
	    .status = RIO_S_CANCELED }, RIO_OK },
	{ "IOCTL _IOR answered",
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = TOASTER_IOC_NR_STATUS,
	    .arg = sizeof(struct toaster_status) },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .ioctl = TOASTER_IOC_NR_STATUS,
	    .length = sizeof(struct toaster_status) }, RIO_OK },
	{ "IOCTL _IOW answered",
	  { .opcode = RIO_OP_IOCTL, .tag = 9,
	    .ioctl = TOASTER_IOC_NR_SET_DARKNESS, .length = sizeof(__u32) },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .ioctl = TOASTER_IOC_NR_SET_DARKNESS }, RIO_OK },
	{ "IOCTL nr mismatch",
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = TOASTER_IOC_NR_STATUS,
	    .arg = sizeof(struct toaster_status) },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .ioctl = TOASTER_IOC_NR_COUNTERS,
	    .length = sizeof(struct toaster_status) }, RIO_BAD_MISMATCH },
	{ "IOCTL response larger than asked",
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = TOASTER_IOC_NR_STATUS,
	    .arg = sizeof(struct toaster_status) },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .ioctl = TOASTER_IOC_NR_STATUS,
	    .length = sizeof(struct toaster_status) + 4 }, RIO_BAD_MISMATCH },
	{ "IOCTL response shorter than asked",
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = TOASTER_IOC_NR_STATUS,
	    .arg = sizeof(struct toaster_status) },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .ioctl = TOASTER_IOC_NR_STATUS, .length = 4 }, RIO_BAD_MISMATCH },
	{ "IOCTL error for another command",
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = 0x3f },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .status = RIO_S_NOTTY, .ioctl = 0x3e }, RIO_BAD_MISMATCH },
	{ "IOCTL payload on an _IO command",
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = TOASTER_IOC_NR_POP },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .ioctl = TOASTER_IOC_NR_POP, .length = 4 }, RIO_BAD_MISMATCH },
	{ "IOCTL answered NOTTY",
	  { .opcode = RIO_OP_IOCTL, .tag = 9, .ioctl = 0x3f },
	  { .opcode = RIO_OP_IOCTL, .flags = RIO_F_RESPONSE, .tag = 9,
	    .status = RIO_S_NOTTY, .ioctl = 0x3f }, RIO_OK },
	{ "PING echoed",
	  { .opcode = RIO_OP_PING, .tag = 10, .length = 16 },
	  { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 10,
	    .length = 16 }, RIO_OK },
	{ "empty PING echoed",
	  { .opcode = RIO_OP_PING, .tag = 10 },
	  { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 10 },
	  RIO_OK },
	{ "PING echo shorter",
	  { .opcode = RIO_OP_PING, .tag = 10, .length = 16 },
	  { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 10,
	    .length = 15 }, RIO_BAD_MISMATCH },
	{ "PING echo longer",
	  { .opcode = RIO_OP_PING, .tag = 10, .length = 16 },
	  { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 10,
	    .length = 17 }, RIO_BAD_MISMATCH },
	{ "HELLO accepted",
	  { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 3,
	    .length = sizeof(struct rio_hello) },
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1,
	    .length = sizeof(struct rio_hello) }, RIO_OK },
	{ "HELLO refused",
	  { .opcode = RIO_OP_HELLO, .tag = 1, .arg = 3,
	    .length = sizeof(struct rio_hello) },
	  { .opcode = RIO_OP_HELLO, .flags = RIO_F_RESPONSE, .tag = 1,
	    .status = RIO_S_NODEV }, RIO_OK },
	{ "opcode mismatch",
	  { .opcode = RIO_OP_PING, .tag = 11 },
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 11 },
	  RIO_BAD_MISMATCH },
	{ "tag mismatch",
	  { .opcode = RIO_OP_PING, .tag = 11 },
	  { .opcode = RIO_OP_PING, .flags = RIO_F_RESPONSE, .tag = 12 },
	  RIO_BAD_MISMATCH },
	{ "tag mismatch on a failed request",
	  { .opcode = RIO_OP_READ, .tag = 11, .arg = 1 },
	  { .opcode = RIO_OP_READ, .flags = RIO_F_RESPONSE, .tag = 12,
	    .status = RIO_S_CANCELED }, RIO_BAD_MISMATCH },
};

static void rio_reply_desc(const struct rio_reply_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rio_reply, rio_reply_cases, rio_reply_desc);

static void rio_check_reply_test(struct kunit *test)
{
	const struct rio_reply_case *c = test->param_value;
	struct rio_hdr hdr;
	struct rio_msg out;

	/* Both frames are valid on their own: only their pairing is judged. */
	rio_encode(&hdr, &c->req);
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, RIO_DIR_REQUEST, &out), RIO_OK);
	rio_encode(&hdr, &c->resp);
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, RIO_DIR_RESPONSE, &out), RIO_OK);

	KUNIT_EXPECT_EQ(test, rio_check_reply(&c->req, &c->resp), c->bad);
}

/* ---- HELLO payload ---- */

struct rio_hello_case {
	const char *desc;
	struct rio_hello_info info;
	int bad;
};

static const struct rio_hello_case rio_hello_cases[] = {
	{ "client defaults",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1000 }, RIO_OK },
	{ "smallest values",
	  { .caps = 0, .max_payload = 1, .max_inflight = 1, .wait_ms = 1 },
	  RIO_OK },
	{ "largest values",
	  { .caps = RIO_CAP_MASK, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 0xffffffff, .wait_ms = 0xffffffff }, RIO_OK },
	{ "unknown capability",
	  { .caps = RIO_CAP_MASK + 1, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1 }, RIO_BAD_ARG },
	{ "capability bit 31",
	  { .caps = 0x80000000, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1 }, RIO_BAD_ARG },
	{ "max_payload 0",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = 0, .max_inflight = 1,
	    .wait_ms = 1 }, RIO_BAD_ARG },
	{ "max_payload over RIO_MAX_PAYLOAD",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD + 1,
	    .max_inflight = 1, .wait_ms = 1 }, RIO_BAD_ARG },
	{ "max_inflight 0",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 0, .wait_ms = 1 }, RIO_BAD_ARG },
	{ "wait_ms 0",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 0 }, RIO_BAD_ARG },
	{ "keepalive_ms at its limit",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1,
	    .keepalive_ms = RIO_MAX_KEEPALIVE_MS }, RIO_OK },
	{ "keepalive_ms over its limit",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1,
	    .keepalive_ms = RIO_MAX_KEEPALIVE_MS + 1 }, RIO_BAD_ARG },
	{ "session with RIO_CAP_SESSION",
	  { .caps = RIO_CAP_SESSION, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1, .resume_ms = RIO_MAX_RESUME_MS,
	    .session = { 1, [15] = 0xff } }, RIO_OK },
	{ "resume_ms over its limit",
	  { .caps = RIO_CAP_SESSION, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1,
	    .resume_ms = RIO_MAX_RESUME_MS + 1 }, RIO_BAD_ARG },
	{ "resume_ms without RIO_CAP_SESSION",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1, .resume_ms = 1 }, RIO_BAD_ARG },
	{ "session id without RIO_CAP_SESSION",
	  { .caps = RIO_CAP_NOTIFY, .max_payload = RIO_MAX_PAYLOAD,
	    .max_inflight = 1, .wait_ms = 1, .session = { [15] = 1 } },
	  RIO_BAD_ARG },
};

static void rio_hello_desc(const struct rio_hello_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rio_hello, rio_hello_cases, rio_hello_desc);

static void rio_hello_test(struct kunit *test)
{
	const struct rio_hello_case *c = test->param_value;
	struct rio_hello_info out;
	struct rio_hello h;

	memset(&h, 0xa5, sizeof(h));
	rio_hello_encode(&h, &c->info);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(h.caps), c->info.caps);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(h.max_payload), c->info.max_payload);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(h.max_inflight), c->info.max_inflight);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(h.wait_ms), c->info.wait_ms);

	memset(&out, 0xa5, sizeof(out));
	KUNIT_EXPECT_EQ(test, rio_hello_decode(&h, &out), c->bad);
	/* Decoded also when rejected. */
	KUNIT_EXPECT_EQ(test, out.caps, c->info.caps);
	KUNIT_EXPECT_EQ(test, out.max_payload, c->info.max_payload);
	KUNIT_EXPECT_EQ(test, out.max_inflight, c->info.max_inflight);
	KUNIT_EXPECT_EQ(test, out.wait_ms, c->info.wait_ms);
	KUNIT_EXPECT_EQ(test, out.keepalive_ms, c->info.keepalive_ms);
	KUNIT_EXPECT_EQ(test, out.resume_ms, c->info.resume_ms);
	KUNIT_EXPECT_MEMEQ(test, out.session, c->info.session,
			   RIO_SESSION_LEN);
}

static void rio_hello_wire_test(struct kunit *test)
{
	static const u8 want[40] = {
		0x00, 0x00, 0x00, 0x05,		/* caps: NOTIFY | SESSION */
		0x00, 0x01, 0x00, 0x00,		/* max_payload: 65536 */
		0x00, 0x00, 0x00, 0x02,		/* max_inflight */
		0x01, 0x02, 0x03, 0x04,		/* wait_ms */
		0x00, 0x00, 0x03, 0xe8,		/* keepalive_ms: 1000 */
		0x00, 0x00, 0x75, 0x30,		/* resume_ms: 30000 */
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, /* session */
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	};
	const struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY | RIO_CAP_SESSION,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 2, .wait_ms = 0x01020304,
		.keepalive_ms = 1000, .resume_ms = 30000,
		.session = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
			     0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f },
	};
	struct rio_hello_info out;
	struct rio_hello h;

	rio_hello_encode(&h, &info);
	KUNIT_EXPECT_MEMEQ(test, &h, want, sizeof(want));
	memcpy(&h, want, sizeof(h));
	KUNIT_ASSERT_EQ(test, rio_hello_decode(&h, &out), RIO_OK);
	KUNIT_EXPECT_EQ(test, out.wait_ms, 0x01020304);
	KUNIT_EXPECT_EQ(test, out.max_payload, RIO_MAX_PAYLOAD);
	KUNIT_EXPECT_EQ(test, out.resume_ms, 30000);
	KUNIT_EXPECT_EQ(test, out.session[15], 0x1f);
}

/* ---- status <-> errno ---- */

struct rio_errno_case {
	u32 status;
	int err;		/* positive errno */
};

static const struct rio_errno_case rio_errno_cases[] = {
	{ RIO_S_OK, 0 },
	{ RIO_S_INVAL, EINVAL },
	{ RIO_S_AGAIN, EAGAIN },
	{ RIO_S_BUSY, EBUSY },
	{ RIO_S_CANCELED, ECANCELED },
	{ RIO_S_NOTTY, ENOTTY },
	{ RIO_S_PROTO, EPROTO },
	{ RIO_S_NOMEM, ENOMEM },
	{ RIO_S_NODEV, ENODEV },
	{ RIO_S_VERSION, EPROTONOSUPPORT },
	{ RIO_S_MSGSIZE, EMSGSIZE },
	{ RIO_S_IO, EIO },
	{ RIO_S_SHUTDOWN, ESHUTDOWN },
	{ RIO_S_STALE, ESTALE },
	{ RIO_S_ACCESS, EACCES },
	{ RIO_S_KEYREJECTED, EKEYREJECTED },
};

static void rio_errno_desc(const struct rio_errno_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "status %u errno %d",
		 c->status, c->err);
}

KUNIT_ARRAY_PARAM(rio_errno, rio_errno_cases, rio_errno_desc);

static void rio_status_errno_test(struct kunit *test)
{
	const struct rio_errno_case *c = test->param_value;
	int err = rio_status_to_errno(c->status);

	KUNIT_EXPECT_EQ(test, err, -c->err);
	KUNIT_EXPECT_EQ(test, rio_errno_to_status(err), c->status);
	KUNIT_EXPECT_EQ(test, rio_errno_to_status(-err), c->status);
}

/* The table above names every status once, and unknown values map to IO. */
static void rio_status_errno_coverage_test(struct kunit *test)
{
	unsigned int i;

	KUNIT_ASSERT_EQ(test, ARRAY_SIZE(rio_errno_cases), RIO_S_MAX);
	for (i = 0; i < ARRAY_SIZE(rio_errno_cases); i++)
		KUNIT_EXPECT_EQ(test, rio_errno_cases[i].status, i);

	KUNIT_EXPECT_EQ(test, rio_status_to_errno(RIO_S_MAX), -EIO);
	KUNIT_EXPECT_EQ(test, rio_status_to_errno(0xffffffff), -EIO);
	KUNIT_EXPECT_EQ(test, rio_errno_to_status(-ENOENT), RIO_S_IO);
	KUNIT_EXPECT_EQ(test, rio_errno_to_status(-ETIMEDOUT), RIO_S_IO);
	KUNIT_EXPECT_EQ(test, rio_errno_to_status(ECONNRESET), RIO_S_IO);
	KUNIT_EXPECT_EQ(test, rio_errno_to_status(0), RIO_S_OK);
}

/* ---- names ---- */

static void rio_names_test(struct kunit *test)
{
	unsigned int i, j;

	for (i = 1; i < RIO_OP_MAX; i++) {
		KUNIT_EXPECT_STRNEQ(test, rio_op_str(i), "?");
		for (j = 1; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, rio_op_str(i), rio_op_str(j));
	}
	KUNIT_EXPECT_STREQ(test, rio_op_str(RIO_OP_HELLO), "HELLO");
	KUNIT_EXPECT_STREQ(test, rio_op_str(RIO_OP_NOTIFY), "NOTIFY");
	KUNIT_EXPECT_STREQ(test, rio_op_str(0), "?");
	KUNIT_EXPECT_STREQ(test, rio_op_str(RIO_OP_MAX), "?");
	KUNIT_EXPECT_STREQ(test, rio_op_str(~0U), "?");

	for (i = 0; i < RIO_BAD_MAX; i++) {
		KUNIT_ASSERT_NOT_NULL(test, rio_bad_str(i));
		KUNIT_EXPECT_STRNEQ(test, rio_bad_str(i), "invalid reason");
	}
	KUNIT_EXPECT_STREQ(test, rio_bad_str(RIO_OK), "ok");
	KUNIT_EXPECT_STREQ(test, rio_bad_str(-1), "invalid reason");
	KUNIT_EXPECT_STREQ(test, rio_bad_str(RIO_BAD_MAX), "invalid reason");
}

/* IOCTL arguments: arrays of big-endian words, both directions. */
static void rio_args_wire_test(struct kunit *test)
{
	struct toaster_status st = { .state = 2, .darkness = 7,
				     .capacity = 0x01020304, .serial = 9 };
	struct toaster_counters c = { .bytes_written = 0x0102030405060708ULL,
				      .cancelled = 5 };
	static const u8 cap_be[4] = { 1, 2, 3, 4 };
	static const u8 bw_be[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct toaster_status st2;
	struct toaster_counters c2;
	u8 wire[sizeof(c)];

	rio_args_to_wire(wire, &st, sizeof(st), sizeof(u32));
	KUNIT_EXPECT_MEMEQ(test, wire + offsetof(struct toaster_status, capacity),
			   cap_be, sizeof(cap_be));
	KUNIT_EXPECT_EQ(test, wire[offsetof(struct toaster_status, darkness) + 3],
			7);
	rio_args_from_wire(&st2, wire, sizeof(st2), sizeof(u32));
	KUNIT_EXPECT_MEMEQ(test, &st2, &st, sizeof(st));

	rio_args_to_wire(wire, &c, sizeof(c), sizeof(u64));
	KUNIT_EXPECT_MEMEQ(test, wire, bw_be, sizeof(bw_be));
	KUNIT_EXPECT_EQ(test, wire[offsetof(struct toaster_counters, cancelled) + 7],
			5);
	rio_args_from_wire(&c2, wire, sizeof(c2), sizeof(u64));
	KUNIT_EXPECT_MEMEQ(test, &c2, &c, sizeof(c));
}

static struct kunit_case rio_proto_cases[] = {
	KUNIT_CASE(rio_hdr_layout_test),
	KUNIT_CASE(rio_wire_bytes_test),
	KUNIT_CASE_PARAM(rio_roundtrip_test, rio_valid_gen_params),
	KUNIT_CASE(rio_roundtrip_coverage_test),
	KUNIT_CASE_PARAM(rio_decode_reject_test, rio_bad_gen_params),
	KUNIT_CASE_PARAM(rio_check_reply_test, rio_reply_gen_params),
	KUNIT_CASE_PARAM(rio_hello_test, rio_hello_gen_params),
	KUNIT_CASE(rio_hello_wire_test),
	KUNIT_CASE_PARAM(rio_status_errno_test, rio_errno_gen_params),
	KUNIT_CASE(rio_status_errno_coverage_test),
	KUNIT_CASE(rio_names_test),
	KUNIT_CASE(rio_args_wire_test),
	{}
};

static struct kunit_suite rio_proto_suite = {
	.name = "rio_proto",
	.test_cases = rio_proto_cases,
};

kunit_test_suite(rio_proto_suite);

MODULE_IMPORT_NS(TOASTER_RIO);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the RIO wire codec");
