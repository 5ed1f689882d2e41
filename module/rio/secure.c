// SPDX-License-Identifier: GPL-2.0
/*
 * RIO secure mode: the PSK handshake state machine and the records.
 *
 * Pure C, like proto.c: compiled into toaster_rio.ko, the KUnit suites and
 * the fuzzers. It parses and builds the AUTH frames and the records; the
 * primitives (HMAC-SHA256, ChaCha20-Poly1305, random bytes, constant-time
 * compare, wiping) come from the environment (module/rio/crypto.c in the
 * kernel). Nothing here allocates, sleeps or locks: the connection calls
 * it from its receive path and its sender. See include/toaster/rio_sec.h
 * for the message flow and docs/protocol.md section 7 for the bytes.
 */
#include "portable.h"

#include <toaster/rio_sec.h>

/* Labels of the key schedule; the version is in every one of them. */
#define RIO_SEC_SALT	"toaster rio psk v1"
#define RIO_SEC_TH_KEY	"toaster rio transcript v1"

#define RIO_AUTH_NONCE_FRAME	(sizeof(struct rio_hdr) + sizeof(struct rio_auth_nonce))

static_assert(RIO_AUTH_FRAME_MAX == RIO_AUTH_NONCE_FRAME, "AUTH 1/2 are the largest");

/**
 * rio_psk_derive() - turn a pre-shared key into what a connection needs
 * @psk: out: the derived key
 * @key: the key's bytes, RIO_PSK_MIN to RIO_PSK_MAX of them
 * @len: how many
 *
 * HKDF-Extract with a fixed salt: the PRK that every connection's keys are
 * expanded from. The caller wipes @key.
 */
void rio_psk_derive(struct rio_psk *psk, const __u8 *key, size_t len)
{
	struct rio_span v = { key, len };

	rio_hmac_sha256((const __u8 *)RIO_SEC_SALT, sizeof(RIO_SEC_SALT) - 1,
			&v, 1, psk->prk);
}
EXPORT_SYMBOL_NS_GPL(rio_psk_derive, TOASTER_RIO);

/**
 * rio_sec_init() - start the secure state of a connection
 * @s: state to initialize
 * @psk: the pre-shared key
 * @server: nonzero on the server side
 */
void rio_sec_init(struct rio_sec *s, const struct rio_psk *psk, int server)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->prk, psk->prk, sizeof(s->prk));
	s->server = !!server;
	s->state = RIO_SEC_START;
	s->max_records = RIO_SEC_MAX_RECORDS;
}
EXPORT_SYMBOL_NS_GPL(rio_sec_init, TOASTER_RIO);

/**
 * rio_sec_wipe() - forget every key and secret of a connection
 * @s: state
 */
void rio_sec_wipe(struct rio_sec *s)
{
	rio_wipe(s, sizeof(*s));
	s->state = RIO_SEC_FAILED;
}
EXPORT_SYMBOL_NS_GPL(rio_sec_wipe, TOASTER_RIO);

/* Build an AUTH frame of @step in @out; return its length. */
static size_t rio_auth_frame(__u8 *out, __u32 step, __u32 status,
			     const void *payload, size_t len)
{
	struct rio_msg m = {
		.opcode = RIO_OP_AUTH,
		.flags = (step & 1) ? 0 : RIO_F_RESPONSE,
		.status = status,
		.arg = step,
		.length = len,
	};
	struct rio_hdr hdr;

	rio_encode(&hdr, &m);
	memcpy(out, &hdr, sizeof(hdr));
	if (len)
		memcpy(out + sizeof(hdr), payload, len);
	return sizeof(hdr) + len;
}

/* AUTH 1 or 2 with a fresh nonce, kept in the transcript at @slot. */
static size_t rio_sec_nonce(struct rio_sec *s, __u32 step, __u8 *out)
{
	struct rio_auth_nonce n;
	size_t len;

	n.suite = cpu_to_be32(RIO_AUTH_SUITE);
	rio_random(n.nonce, sizeof(n.nonce));
	len = rio_auth_frame(out, step, RIO_S_OK, &n, sizeof(n));
	memcpy(s->transcript + (step - 1) * RIO_AUTH_NONCE_FRAME, out, len);
	return len;
}

/* HKDF-Expand(PRK, label | TH), one block. */
static void rio_sec_expand(const struct rio_sec *s, const char *label,
			   __u8 out[RIO_SEC_KEY_LEN])
{
	static const __u8 one = 1;
	struct rio_span v[3] = {
		{ label, strlen(label) },
		{ s->th, sizeof(s->th) },
		{ &one, 1 },
	};

	rio_hmac_sha256(s->prk, sizeof(s->prk), v, 3, out);
}

/* AUTH 1 and 2 are known: the transcript hash and every key. */
static void rio_sec_keys(struct rio_sec *s)
{
	struct rio_span t = { s->transcript, sizeof(s->transcript) };
	__u8 c2s[RIO_SEC_KEY_LEN], s2c[RIO_SEC_KEY_LEN];
	__u8 fin_c[RIO_SEC_KEY_LEN];
	struct rio_span v = { s->th, sizeof(s->th) };

	rio_hmac_sha256((const __u8 *)RIO_SEC_TH_KEY,
			sizeof(RIO_SEC_TH_KEY) - 1, &t, 1, s->th);
	rio_sec_expand(s, "rio c2s key", c2s);
	rio_sec_expand(s, "rio s2c key", s2c);
	rio_sec_expand(s, "rio c finished", fin_c);
	rio_sec_expand(s, "rio s finished", s->fin_s);
	rio_hmac_sha256(fin_c, sizeof(fin_c), &v, 1, s->proof_c);

	memcpy(s->tx_key, s->server ? s2c : c2s, RIO_SEC_KEY_LEN);
	memcpy(s->rx_key, s->server ? c2s : s2c, RIO_SEC_KEY_LEN);
	rio_wipe(c2s, sizeof(c2s));
	rio_wipe(s2c, sizeof(s2c));
	rio_wipe(fin_c, sizeof(fin_c));
	rio_wipe(s->transcript, sizeof(s->transcript));
}

/* The server's proof: HMAC(fin_s, TH | proof_c). */
static void rio_sec_proof_s(struct rio_sec *s, __u8 out[RIO_AUTH_MAC_LEN])
{
	struct rio_span v[2] = {
		{ s->th, sizeof(s->th) },
		{ s->proof_c, sizeof(s->proof_c) },
	};

	rio_hmac_sha256(s->fin_s, sizeof(s->fin_s), v, 2, out);
	rio_wipe(s->fin_s, sizeof(s->fin_s));
}

/* Keep AUTH 1 or 2 as received in the transcript. */
static void rio_sec_keep(struct rio_sec *s, __u32 step,
			 const struct rio_hdr *hdr, const void *payload)
{
	__u8 *at = s->transcript + (step - 1) * RIO_AUTH_NONCE_FRAME;

	memcpy(at, hdr, sizeof(*hdr));
	memcpy(at + sizeof(*hdr), payload, sizeof(struct rio_auth_nonce));
}

/* The payload may sit anywhere in a buffer: no aligned access. */
static int rio_sec_suite_ok(const void *payload)
{
	__be32 suite;

	memcpy(&suite, payload, sizeof(suite));
	return be32_to_cpu(suite) == RIO_AUTH_SUITE;
}

/**
 * rio_sec_start() - the client's first handshake frame
 * @s: client state, just initialized
 * @out: out: AUTH 1, RIO_AUTH_FRAME_MAX bytes of room
 *
 * Return: bytes of @out to send.
 */
size_t rio_sec_start(struct rio_sec *s, __u8 *out)
{
	s->state = RIO_SEC_NONCE;
	return rio_sec_nonce(s, RIO_AUTH_NONCE_C, out);
}
EXPORT_SYMBOL_NS_GPL(rio_sec_start, TOASTER_RIO);

static int rio_sec_server(struct rio_sec *s, const struct rio_hdr *hdr,
			  const struct rio_msg *m, const void *payload,
			  __u8 *out, size_t *out_len)
{
	__u8 proof[RIO_AUTH_MAC_LEN];

	if (s->state == RIO_SEC_START && m->arg == RIO_AUTH_NONCE_C) {
		if (!rio_sec_suite_ok(payload)) {
			*out_len = rio_auth_frame(out, RIO_AUTH_NONCE_S,
						  RIO_S_VERSION, NULL, 0);
			return -EPROTONOSUPPORT;
		}
		rio_sec_keep(s, RIO_AUTH_NONCE_C, hdr, payload);
		*out_len = rio_sec_nonce(s, RIO_AUTH_NONCE_S, out);
		rio_sec_keys(s);
		s->state = RIO_SEC_NONCE;
		return 0;
	}
	if (s->state == RIO_SEC_NONCE && m->arg == RIO_AUTH_PROOF_C) {
		if (rio_memneq(payload, s->proof_c, RIO_AUTH_MAC_LEN)) {
			*out_len = rio_auth_frame(out, RIO_AUTH_PROOF_S,
						  RIO_S_KEYREJECTED, NULL, 0);
			return -EKEYREJECTED;
		}
		rio_sec_proof_s(s, proof);
		*out_len = rio_auth_frame(out, RIO_AUTH_PROOF_S, RIO_S_OK,
					  proof, sizeof(proof));
		s->state = RIO_SEC_DONE;
		s->tx_ready = 1;
		s->rx_ready = 1;
		return 0;
	}
	return -EPROTO;
}

static int rio_sec_client(struct rio_sec *s, const struct rio_hdr *hdr,
			  const struct rio_msg *m, const void *payload,
			  __u8 *out, size_t *out_len)
{
	__u8 proof[RIO_AUTH_MAC_LEN];
	int bad;

	if (s->state == RIO_SEC_NONCE && m->arg == RIO_AUTH_NONCE_S) {
		if (m->status)
			return rio_status_to_errno(m->status);
		if (!rio_sec_suite_ok(payload))
			return -EPROTONOSUPPORT;
		rio_sec_keep(s, RIO_AUTH_NONCE_S, hdr, payload);
		rio_sec_keys(s);
		*out_len = rio_auth_frame(out, RIO_AUTH_PROOF_C, RIO_S_OK,
					  s->proof_c, sizeof(s->proof_c));
		s->state = RIO_SEC_PROOF;
		s->tx_ready = 1;
		return 0;
	}
	if (s->state == RIO_SEC_PROOF && m->arg == RIO_AUTH_PROOF_S) {
		if (m->status)
			return rio_status_to_errno(m->status);
		rio_sec_proof_s(s, proof);
		bad = rio_memneq(payload, proof, sizeof(proof));
		rio_wipe(proof, sizeof(proof));
		if (bad)
			return -EKEYREJECTED;
		s->state = RIO_SEC_DONE;
		s->rx_ready = 1;
		return 0;
	}
	return -EPROTO;
}

/**
 * rio_sec_input() - a handshake frame arrived
 * @s: state
 * @hdr: the frame's header, as received
 * @m: the same, decoded and valid (rio_decode()): an AUTH frame
 * @payload: @m->length bytes
 * @out: out: the frame to send in answer, RIO_AUTH_FRAME_MAX bytes of room
 * @out_len: out: its length; 0 when there is nothing to send
 *
 * Drives the handshake one step. A step out of order, a refusal from the
 * peer, another suite, or a proof that does not match ends it: the error
 * is final (the state is RIO_SEC_FAILED), and @out may hold a refusal to
 * send before closing. Check rio_sec.tx_ready and rio_sec.rx_ready after
 * each step.
 *
 * Return: 0; -EPROTO (out of order), -EKEYREJECTED (the keys differ),
 * -EACCES (the server has no PSK), -EPROTONOSUPPORT (another suite), or
 * the errno of another refusal.
 */
int rio_sec_input(struct rio_sec *s, const struct rio_hdr *hdr,
		  const struct rio_msg *m, const void *payload, __u8 *out,
		  size_t *out_len)
{
	int ret;

	*out_len = 0;
	if (m->opcode != RIO_OP_AUTH)
		ret = -EPROTO;
	else if (s->server)
		ret = rio_sec_server(s, hdr, m, payload, out, out_len);
	else
		ret = rio_sec_client(s, hdr, m, payload, out, out_len);
	if (ret) {
		s->state = RIO_SEC_FAILED;
		s->tx_ready = 0;
		s->rx_ready = 0;
	}
	return ret;
}
EXPORT_SYMBOL_NS_GPL(rio_sec_input, TOASTER_RIO);

/**
 * rio_sec_refusal() - the answer to a frame this side will not take
 * @m: a valid request, in the wrong mode: a plain HELLO to a server with a
 *	PSK, or AUTH 1 to a server without
 * @status: why (RIO_S_ACCESS)
 * @out: out: the refusal, RIO_AUTH_FRAME_MAX bytes of room
 *
 * The refusal tells the peer's application why (EACCES) before the
 * connection is closed; it carries nothing keyed.
 *
 * Return: bytes of @out to send, 0 if the frame gets no answer.
 */
size_t rio_sec_refusal(const struct rio_msg *m, __u32 status, __u8 *out)
{
	struct rio_msg r = {
		.opcode = m->opcode,
		.flags = RIO_F_RESPONSE,
		.tag = m->tag,
		.status = status,
	};
	struct rio_hdr hdr;

	if (m->flags & RIO_F_RESPONSE)
		return 0;
	if (m->opcode == RIO_OP_AUTH && m->arg == RIO_AUTH_NONCE_C)
		return rio_auth_frame(out, RIO_AUTH_NONCE_S, status, NULL, 0);
	if (m->opcode != RIO_OP_HELLO)
		return 0;
	rio_encode(&hdr, &r);
	memcpy(out, &hdr, sizeof(hdr));
	return sizeof(hdr);
}
EXPORT_SYMBOL_NS_GPL(rio_sec_refusal, TOASTER_RIO);

/**
 * rio_rec_length() - validate a record's length prefix
 * @prefix: the RIO_REC_PREFIX bytes as received
 * @max_payload: largest frame payload accepted now
 * @len: out: the record's plaintext bytes (a header and its payload); the
 *	record is RIO_REC_PREFIX + @len + RIO_SEC_TAG_LEN bytes
 *
 * Checked before anything is read into a buffer: a record holds one frame,
 * never more than the receiver accepts now.
 *
 * Return: 0, -EPROTO (shorter than a header) or -EMSGSIZE.
 */
int rio_rec_length(const __u8 prefix[RIO_REC_PREFIX], __u32 max_payload,
		   __u32 *len)
{
	__be32 be;

	memcpy(&be, prefix, sizeof(be));
	*len = be32_to_cpu(be);
	if (*len < sizeof(struct rio_hdr))
		return -EPROTO;
	if (*len - sizeof(struct rio_hdr) > max_payload)
		return -EMSGSIZE;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(rio_rec_length, TOASTER_RIO);

/**
 * rio_rec_seal() - encrypt and authenticate a record in place
 * @s: state, rio_sec.tx_ready
 * @rec: RIO_REC_PREFIX bytes of room, then @len bytes of plaintext, then
 *	RIO_SEC_TAG_LEN bytes of room
 * @len: plaintext bytes
 *
 * Fills in the prefix and the tag; the nonce is the next send counter.
 *
 * Return: 0, -ENOTCONN before the handshake, or -EKEYEXPIRED when the
 * connection has carried its share of records.
 */
int rio_rec_seal(struct rio_sec *s, __u8 *rec, __u32 len)
{
	__be32 be = cpu_to_be32(len);

	if (!s->tx_ready)
		return -ENOTCONN;
	if (s->tx_seq >= s->max_records)
		return -EKEYEXPIRED;
	memcpy(rec, &be, sizeof(be));
	rio_aead_seal(s->tx_key, s->tx_seq++, rec, RIO_REC_PREFIX,
		      rec + RIO_REC_PREFIX, len);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(rio_rec_seal, TOASTER_RIO);

/**
 * rio_rec_open() - verify and decrypt a record in place
 * @s: state, rio_sec.rx_ready
 * @rec: the whole record as received
 * @len: its plaintext bytes, from rio_rec_length()
 *
 * Nothing of the record may be used unless this returns 0: a record that
 * was changed, replayed, reordered or cut fails its tag.
 *
 * Return: 0 (the plaintext is at @rec + RIO_REC_PREFIX), -EBADMSG, -ENOTCONN
 * before the handshake, or -EKEYEXPIRED.
 */
int rio_rec_open(struct rio_sec *s, __u8 *rec, __u32 len)
{
	if (!s->rx_ready)
		return -ENOTCONN;
	if (s->rx_seq >= s->max_records)
		return -EKEYEXPIRED;
	if (rio_aead_open(s->rx_key, s->rx_seq, rec, RIO_REC_PREFIX,
			  rec + RIO_REC_PREFIX, len))
		return -EBADMSG;
	s->rx_seq++;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(rio_rec_open, TOASTER_RIO);
