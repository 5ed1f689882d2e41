// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: RIO secure mode (module/rio/secure.c and crypto.c, in
 * toaster_rio.ko): the handshake between a client and a server state, in
 * memory; a wrong key; steps out of order; what the server sends before
 * the client proved the key; records that were changed, replayed,
 * reordered or cut; the record limit; the AUTH header rules; HMAC-SHA256
 * against RFC 4231.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/string.h>

#include <toaster/rio.h>
#include <toaster/rio_sec.h>

/* One side's view of a frame it received, as the connection passes it. */
struct t_frame {
	u8 buf[RIO_AUTH_FRAME_MAX];
	size_t len;
};

struct t_pair {
	struct rio_sec c;
	struct rio_sec s;
};

/* Too large for a KASAN stack frame: on the heap, freed by KUnit. */
static struct t_pair *t_pair_new(struct kunit *test)
{
	struct t_pair *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

static void t_psk(struct rio_psk *psk, u8 fill)
{
	u8 key[32];

	memset(key, fill, sizeof(key));
	rio_psk_derive(psk, key, sizeof(key));
}

/* Feed @f to @to, as rio_conn does: decode the header, then the step. */
static int t_feed(struct kunit *test, struct rio_sec *to,
		  const struct t_frame *f, struct t_frame *out)
{
	struct rio_hdr hdr;
	struct rio_msg m;

	KUNIT_ASSERT_GE(test, f->len, sizeof(hdr));
	memcpy(&hdr, f->buf, sizeof(hdr));
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, to->server ? RIO_DIR_REQUEST :
					 RIO_DIR_RESPONSE, &m), RIO_OK);
	KUNIT_ASSERT_EQ(test, f->len, sizeof(hdr) + m.length);
	return rio_sec_input(to, &hdr, &m, f->buf + sizeof(hdr), out->buf,
			     &out->len);
}

/* Both sides fresh, keys from @ck and @sk; @a: the client's AUTH 1. */
static void t_start(struct t_pair *p, u8 ck, u8 sk, struct t_frame *a)
{
	struct rio_psk cpsk, spsk;

	t_psk(&cpsk, ck);
	t_psk(&spsk, sk);
	rio_sec_init(&p->c, &cpsk, 0);
	rio_sec_init(&p->s, &spsk, 1);
	a->len = rio_sec_start(&p->c, a->buf);
}

/* A whole handshake; the client's key from @ck, the server's from @sk. */
static int t_handshake(struct kunit *test, struct t_pair *p, u8 ck, u8 sk,
		       struct t_frame *last)
{
	struct t_frame a, b;
	int ret;

	t_start(p, ck, sk, &a);
	KUNIT_EXPECT_FALSE(test, p->c.tx_ready);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->s, &a, &b), 0);	/* AUTH 2 */
	KUNIT_EXPECT_FALSE(test, p->s.tx_ready);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->c, &b, &a), 0);	/* AUTH 3 */
	KUNIT_EXPECT_TRUE(test, p->c.tx_ready);
	KUNIT_EXPECT_FALSE(test, p->c.rx_ready);
	ret = t_feed(test, &p->s, &a, &b);			/* AUTH 4 */
	*last = b;
	if (ret)
		return ret;
	return t_feed(test, &p->c, &b, &a);
}

static void rio_sec_handshake_test(struct kunit *test)
{
	struct t_pair *p = t_pair_new(test);
	struct t_frame last;

	KUNIT_ASSERT_EQ(test, t_handshake(test, p, 7, 7, &last), 0);
	KUNIT_EXPECT_EQ(test, p->c.state, RIO_SEC_DONE);
	KUNIT_EXPECT_EQ(test, p->s.state, RIO_SEC_DONE);
	KUNIT_EXPECT_TRUE(test, p->c.rx_ready && p->c.tx_ready);
	KUNIT_EXPECT_TRUE(test, p->s.rx_ready && p->s.tx_ready);
	KUNIT_EXPECT_EQ(test, memcmp(p->c.tx_key, p->s.rx_key, RIO_SEC_KEY_LEN), 0);
	KUNIT_EXPECT_EQ(test, memcmp(p->s.tx_key, p->c.rx_key, RIO_SEC_KEY_LEN), 0);
	/* One key per direction. */
	KUNIT_EXPECT_NE(test, memcmp(p->c.tx_key, p->c.rx_key, RIO_SEC_KEY_LEN), 0);
}

/* Two handshakes with the same key: fresh nonces, other keys. */
static void rio_sec_fresh_keys_test(struct kunit *test)
{
	struct t_pair *p1 = t_pair_new(test), *p2 = t_pair_new(test);
	struct t_frame last;

	KUNIT_ASSERT_EQ(test, t_handshake(test, p1, 7, 7, &last), 0);
	KUNIT_ASSERT_EQ(test, t_handshake(test, p2, 7, 7, &last), 0);
	KUNIT_EXPECT_NE(test, memcmp(p1->c.tx_key, p2->c.tx_key, RIO_SEC_KEY_LEN), 0);
}

static void rio_sec_wrong_key_test(struct kunit *test)
{
	struct t_frame last, out;
	struct rio_hdr hdr;
	struct rio_msg m;
	struct t_pair *p = t_pair_new(test);

	KUNIT_EXPECT_EQ(test, t_handshake(test, p, 7, 8, &last), -EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, p->s.state, RIO_SEC_FAILED);
	KUNIT_EXPECT_FALSE(test, p->s.rx_ready || p->s.tx_ready);
	/* The refusal carries nothing keyed: a header, no payload. */
	KUNIT_ASSERT_EQ(test, last.len, sizeof(hdr));
	memcpy(&hdr, last.buf, sizeof(hdr));
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, RIO_DIR_RESPONSE, &m), RIO_OK);
	KUNIT_EXPECT_EQ(test, m.status, RIO_S_KEYREJECTED);
	/* The client learns why. */
	KUNIT_EXPECT_EQ(test, t_feed(test, &p->c, &last, &out), -EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, p->c.state, RIO_SEC_FAILED);
}

/* A server's proof that does not match: the client refuses it. */
static void rio_sec_bad_server_proof_test(struct kunit *test)
{
	struct t_frame a, b;
	struct t_pair *p = t_pair_new(test);

	t_start(p, 3, 3, &a);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->s, &a, &b), 0);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->c, &b, &a), 0);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->s, &a, &b), 0);
	b.buf[b.len - 1] ^= 1;
	KUNIT_EXPECT_EQ(test, t_feed(test, &p->c, &b, &a), -EKEYREJECTED);
	KUNIT_EXPECT_FALSE(test, p->c.rx_ready);
}

/* Steps out of order, or repeated, end the handshake. */
static void rio_sec_order_test(struct kunit *test)
{
	struct t_frame a, b, c;
	struct t_pair *p = t_pair_new(test);

	t_start(p, 3, 3, &a);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->s, &a, &b), 0);
	/* AUTH 1 again. */
	KUNIT_EXPECT_EQ(test, t_feed(test, &p->s, &a, &c), -EPROTO);
	KUNIT_EXPECT_EQ(test, p->s.state, RIO_SEC_FAILED);

	/* AUTH 2 twice at the client. */
	t_start(p, 3, 3, &a);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->s, &a, &b), 0);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->c, &b, &c), 0);
	KUNIT_EXPECT_EQ(test, t_feed(test, &p->c, &b, &c), -EPROTO);
}

/* Before the client's proof, the server's only answer is its nonce. */
static void rio_sec_server_proves_nothing_test(struct kunit *test)
{
	struct t_frame a, b;
	struct rio_hdr hdr;
	struct rio_msg m;
	struct t_pair *p = t_pair_new(test);

	t_start(p, 3, 3, &a);
	KUNIT_ASSERT_EQ(test, t_feed(test, &p->s, &a, &b), 0);
	memcpy(&hdr, b.buf, sizeof(hdr));
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, RIO_DIR_RESPONSE, &m), RIO_OK);
	KUNIT_EXPECT_EQ(test, m.arg, RIO_AUTH_NONCE_S);
	KUNIT_EXPECT_EQ(test, m.length, sizeof(struct rio_auth_nonce));
	/* A garbage proof gets a refusal, no MAC. */
	a.len = sizeof(hdr) + RIO_AUTH_MAC_LEN;
	memset(a.buf, 0, sizeof(a.buf));
	{
		struct rio_msg pm = { .opcode = RIO_OP_AUTH,
				      .arg = RIO_AUTH_PROOF_C,
				      .length = RIO_AUTH_MAC_LEN };

		rio_encode(&hdr, &pm);
		memcpy(a.buf, &hdr, sizeof(hdr));
	}
	KUNIT_EXPECT_EQ(test, t_feed(test, &p->s, &a, &b), -EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, b.len, sizeof(hdr));
}

/* Seal @len bytes of a pattern into @rec from @from. */
static void t_seal(struct kunit *test, struct rio_sec *from, u8 *rec, u32 len,
		   u8 fill)
{
	memset(rec + RIO_REC_PREFIX, fill, len);
	KUNIT_ASSERT_EQ(test, rio_rec_seal(from, rec, len), 0);
}

static void rio_sec_record_test(struct kunit *test)
{
	const u32 len = 100;
	u8 rec[100 + RIO_REC_OVERHEAD], copy[sizeof(rec)];
	struct t_frame last;
	struct t_pair *p = t_pair_new(test);
	u32 got, i;

	KUNIT_ASSERT_EQ(test, t_handshake(test, p, 1, 1, &last), 0);
	t_seal(test, &p->c, rec, len, 0x5a);
	/* The plaintext is not in the record. */
	KUNIT_EXPECT_NOT_NULL(test, memchr_inv(rec + RIO_REC_PREFIX, 0x5a, len));
	KUNIT_ASSERT_EQ(test, rio_rec_length(rec, 1000, &got), 0);
	KUNIT_EXPECT_EQ(test, got, len);
	memcpy(copy, rec, sizeof(rec));
	KUNIT_ASSERT_EQ(test, rio_rec_open(&p->s, rec, len), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(rec + RIO_REC_PREFIX, 0x5a, len));
	/* The same record again: replayed, the counter moved on. */
	KUNIT_EXPECT_EQ(test, rio_rec_open(&p->s, copy, len), -EBADMSG);

	/* Every bit flipped anywhere in a record is caught. */
	for (i = 0; i < sizeof(rec) * 8; i += 7) {
		struct t_pair *q = t_pair_new(test);

		KUNIT_ASSERT_EQ(test, t_handshake(test, q, 1, 1, &last), 0);
		t_seal(test, &q->c, rec, len, 0x11);
		/* In the prefix too: it is the associated data. */
		rec[i / 8] ^= 1 << (i % 8);
		KUNIT_EXPECT_EQ_MSG(test, rio_rec_open(&q->s, rec, len), -EBADMSG,
				    "bit %u", i);
	}
}

/* Records must arrive in the order they were sealed. */
static void rio_sec_reorder_test(struct kunit *test)
{
	u8 r0[40 + RIO_REC_OVERHEAD], r1[40 + RIO_REC_OVERHEAD];
	struct t_frame last;
	struct t_pair *p = t_pair_new(test);

	KUNIT_ASSERT_EQ(test, t_handshake(test, p, 1, 1, &last), 0);
	t_seal(test, &p->s, r0, 40, 1);
	t_seal(test, &p->s, r1, 40, 2);
	KUNIT_EXPECT_EQ(test, rio_rec_open(&p->c, r1, 40), -EBADMSG);
	KUNIT_EXPECT_EQ(test, rio_rec_open(&p->c, r0, 40), 0);
	/* Direction keys differ: a client record does not open as one. */
	t_seal(test, &p->c, r0, 40, 3);
	KUNIT_EXPECT_EQ(test, rio_rec_open(&p->c, r0, 40), -EBADMSG);
}

static void rio_sec_limit_test(struct kunit *test)
{
	u8 rec[32 + RIO_REC_OVERHEAD];
	struct t_frame last;
	struct t_pair *p = t_pair_new(test);

	KUNIT_ASSERT_EQ(test, t_handshake(test, p, 1, 1, &last), 0);
	KUNIT_EXPECT_EQ(test, p->c.max_records, RIO_SEC_MAX_RECORDS);
	p->c.max_records = 2;
	p->s.max_records = 2;
	t_seal(test, &p->c, rec, 32, 0);
	KUNIT_EXPECT_EQ(test, rio_rec_open(&p->s, rec, 32), 0);
	t_seal(test, &p->c, rec, 32, 0);
	KUNIT_EXPECT_EQ(test, rio_rec_open(&p->s, rec, 32), 0);
	KUNIT_EXPECT_EQ(test, rio_rec_seal(&p->c, rec, 32), -EKEYEXPIRED);
	KUNIT_EXPECT_EQ(test, rio_rec_open(&p->s, rec, 32), -EKEYEXPIRED);
}

static void rio_sec_length_test(struct kunit *test)
{
	u8 pfx[RIO_REC_PREFIX];
	__be32 be;
	u32 len;

	be = cpu_to_be32(31);
	memcpy(pfx, &be, sizeof(be));
	KUNIT_EXPECT_EQ(test, rio_rec_length(pfx, 100, &len), -EPROTO);
	be = cpu_to_be32(32 + 100);
	memcpy(pfx, &be, sizeof(be));
	KUNIT_EXPECT_EQ(test, rio_rec_length(pfx, 100, &len), 0);
	be = cpu_to_be32(32 + 101);
	memcpy(pfx, &be, sizeof(be));
	KUNIT_EXPECT_EQ(test, rio_rec_length(pfx, 100, &len), -EMSGSIZE);
	be = cpu_to_be32(0xffffffff);
	memcpy(pfx, &be, sizeof(be));
	KUNIT_EXPECT_EQ(test, rio_rec_length(pfx, RIO_MAX_PAYLOAD, &len), -EMSGSIZE);

	/* Before the handshake nothing is sealed or opened. */
	{
		struct rio_psk psk;
		struct rio_sec s;
		u8 rec[32 + RIO_REC_OVERHEAD] = {};

		t_psk(&psk, 1);
		rio_sec_init(&s, &psk, 0);
		KUNIT_EXPECT_EQ(test, rio_rec_seal(&s, rec, 32), -ENOTCONN);
		KUNIT_EXPECT_EQ(test, rio_rec_open(&s, rec, 32), -ENOTCONN);
	}
}

static void rio_sec_refusal_test(struct kunit *test)
{
	struct rio_msg hello = { .opcode = RIO_OP_HELLO, .tag = 9, .arg = 1,
				 .length = sizeof(struct rio_hello) };
	struct rio_msg auth = { .opcode = RIO_OP_AUTH, .arg = RIO_AUTH_NONCE_C,
				.length = sizeof(struct rio_auth_nonce) };
	struct rio_msg read = { .opcode = RIO_OP_READ, .tag = 2, .arg = 1 };
	u8 out[RIO_AUTH_FRAME_MAX];
	struct rio_hdr hdr;
	struct rio_msg m;

	KUNIT_ASSERT_EQ(test, rio_sec_refusal(&hello, RIO_S_ACCESS, out), sizeof(hdr));
	memcpy(&hdr, out, sizeof(hdr));
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, RIO_DIR_RESPONSE, &m), RIO_OK);
	KUNIT_EXPECT_EQ(test, m.opcode, RIO_OP_HELLO);
	KUNIT_EXPECT_EQ(test, m.tag, 9);
	KUNIT_EXPECT_EQ(test, rio_status_to_errno(m.status), -EACCES);

	KUNIT_ASSERT_EQ(test, rio_sec_refusal(&auth, RIO_S_ACCESS, out), sizeof(hdr));
	memcpy(&hdr, out, sizeof(hdr));
	KUNIT_ASSERT_EQ(test, rio_decode(&hdr, RIO_DIR_RESPONSE, &m), RIO_OK);
	KUNIT_EXPECT_EQ(test, m.arg, RIO_AUTH_NONCE_S);
	KUNIT_EXPECT_EQ(test, m.status, RIO_S_ACCESS);

	KUNIT_EXPECT_EQ(test, rio_sec_refusal(&read, RIO_S_ACCESS, out), 0);
}

/* The AUTH header rules of rio_decode(). */
static void rio_sec_decode_test(struct kunit *test)
{
	static const struct {
		struct {
			struct rio_msg m;
			enum rio_dir dir;
		} f;
		int bad;
	} cases[] = {
#define REQ(a, l, ...) { { .opcode = RIO_OP_AUTH, .arg = a, .length = l, \
			   __VA_ARGS__ }, RIO_DIR_REQUEST }
#define RESP(a, l, ...) { { .opcode = RIO_OP_AUTH, .arg = a, .length = l, \
			    .flags = RIO_F_RESPONSE, __VA_ARGS__ }, \
			  RIO_DIR_RESPONSE }
		{ REQ(1, 36), RIO_OK },
		{ REQ(3, 32), RIO_OK },
		{ REQ(2, 36), RIO_BAD_DIRECTION },
		{ REQ(1, 35), RIO_BAD_LENGTH },
		{ REQ(1, 36, .tag = 1), RIO_BAD_TAG },
		{ REQ(5, 32), RIO_BAD_ARG },
		{ REQ(0, 0), RIO_BAD_ARG },
		{ REQ(1, 36, .flags = RIO_F_NONBLOCK), RIO_BAD_FLAGS },
		{ RESP(2, 36), RIO_OK },
		{ RESP(4, 32), RIO_OK },
		{ RESP(4, 0, .status = RIO_S_KEYREJECTED), RIO_OK },
		{ RESP(4, 32, .status = RIO_S_KEYREJECTED), RIO_BAD_LENGTH },
		{ RESP(3, 32), RIO_BAD_DIRECTION },
		{ RESP(2, 36, .ioctl = 1), RIO_BAD_IOCTL },
#undef REQ
#undef RESP
	};
	struct rio_hdr hdr;
	struct rio_msg m;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		rio_encode(&hdr, &cases[i].f.m);
		KUNIT_EXPECT_EQ_MSG(test, rio_decode(&hdr, cases[i].f.dir, &m),
				    cases[i].bad, "case %u", i);
	}
	KUNIT_EXPECT_STREQ(test, rio_op_str(RIO_OP_AUTH), "AUTH");
	KUNIT_EXPECT_EQ(test, rio_status_to_errno(RIO_S_KEYREJECTED), -EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, rio_errno_to_status(-EACCES), RIO_S_ACCESS);
}

/* RFC 4231 test case 2, the message in two pieces. */
static void rio_sec_hmac_test(struct kunit *test)
{
	static const u8 want[RIO_AUTH_MAC_LEN] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
		0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
		0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
		0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
	};
	struct rio_span v[2] = {
		{ "what do ya want ", 16 },
		{ "for nothing?", 12 },
	};
	u8 out[RIO_AUTH_MAC_LEN];

	rio_hmac_sha256((const u8 *)"Jefe", 4, v, 2, out);
	KUNIT_EXPECT_MEMEQ(test, out, want, sizeof(want));
}

static struct kunit_case rio_sec_cases[] = {
	KUNIT_CASE(rio_sec_handshake_test),
	KUNIT_CASE(rio_sec_fresh_keys_test),
	KUNIT_CASE(rio_sec_wrong_key_test),
	KUNIT_CASE(rio_sec_bad_server_proof_test),
	KUNIT_CASE(rio_sec_order_test),
	KUNIT_CASE(rio_sec_server_proves_nothing_test),
	KUNIT_CASE(rio_sec_record_test),
	KUNIT_CASE(rio_sec_reorder_test),
	KUNIT_CASE(rio_sec_limit_test),
	KUNIT_CASE(rio_sec_length_test),
	KUNIT_CASE(rio_sec_refusal_test),
	KUNIT_CASE(rio_sec_decode_test),
	KUNIT_CASE(rio_sec_hmac_test),
	{}
};

static struct kunit_suite rio_sec_suite = {
	.name = "rio_sec",
	.test_cases = rio_sec_cases,
};

kunit_test_suite(rio_sec_suite);

MODULE_IMPORT_NS(TOASTER_RIO);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of RIO secure mode");
