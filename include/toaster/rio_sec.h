/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RIO secure mode: the PSK handshake and the encrypted records, the one
 * definition shared by the kernel modules, the KUnit suites and the
 * fuzzers; implemented in module/rio/secure.c, which depends on nothing
 * kernel-only. The primitives it calls (HMAC-SHA256, ChaCha20-Poly1305,
 * random bytes) are provided by module/rio/crypto.c in the kernel and by
 * the userspace build in userspace. See docs/protocol.md, section 7.
 *
 * Handshake (clear AUTH frames, struct rio_hdr + fixed payload):
 *   C->S  AUTH 1  suite, nonce_c
 *   S->C  AUTH 2  suite, nonce_s
 *   C->S  AUTH 3  HMAC(fin_c, TH)               then C->S records
 *   S->C  AUTH 4  HMAC(fin_s, TH | proof_c)     then S->C records
 * with TH = HMAC(RIO_SEC_TH_KEY, AUTH 1 | AUTH 2) (headers and payloads as
 * sent) and every key HKDF-Expand(PRK, label | TH), PRK = HKDF-Extract(
 * RIO_SEC_SALT, PSK). The server sends nothing keyed before the client
 * proved the key.
 *
 * Record: __be32 length L (bytes of plaintext: a RIO header and its
 * payload), then L bytes of ciphertext, then a 16-byte tag. The length is
 * the associated data; the nonce is a 64-bit counter per direction, never
 * sent.
 */
#ifndef _TOASTER_RIO_SEC_H
#define _TOASTER_RIO_SEC_H

#include <toaster/rio.h>

#define RIO_SEC_KEY_LEN		32	/* ChaCha20-Poly1305, HMAC-SHA256 */
#define RIO_SEC_TAG_LEN		16	/* Poly1305 */
#define RIO_REC_PREFIX		4	/* __be32 plaintext length */
#define RIO_REC_OVERHEAD	(RIO_REC_PREFIX + RIO_SEC_TAG_LEN)
#define RIO_PSK_MIN		16	/* bytes of a PSK, at least */
#define RIO_PSK_MAX		64
/* Bytes of an AUTH frame, header included, at most. */
#define RIO_AUTH_FRAME_MAX	(sizeof(struct rio_hdr) + sizeof(struct rio_auth_nonce))
/*
 * A connection carries at most this many records each way; then it is
 * closed (-EKEYEXPIRED) and the client resumes its session on a new one,
 * with new keys: far below the 2^64 nonces a key has.
 */
#define RIO_SEC_MAX_RECORDS	0x100000000ULL	/* 2^32 */

/**
 * struct rio_psk - a pre-shared key, as the modules keep it
 * @prk: HKDF-Extract(RIO_SEC_SALT, key): the key itself is not kept
 */
struct rio_psk {
	__u8 prk[RIO_SEC_KEY_LEN];
};

/* enum rio_sec_state: where a handshake is */
enum rio_sec_state {
	RIO_SEC_START,		/* nothing sent or received */
	RIO_SEC_NONCE,		/* client: AUTH 1 sent; server: AUTH 2 sent */
	RIO_SEC_PROOF,		/* client: AUTH 3 sent, waiting for AUTH 4 */
	RIO_SEC_DONE,		/* both directions are records */
	RIO_SEC_FAILED,
};

/**
 * struct rio_sec - secure state of one connection
 * @prk: copy of the PSK's rio_psk.prk
 * @server: the server side
 * @state: enum rio_sec_state
 * @tx_ready: frames sent are records from now on
 * @rx_ready: frames received are records from now on
 * @transcript: AUTH 1 and AUTH 2 as sent, until TH is computed
 * @th: transcript hash
 * @proof_c: the client's proof (sent or expected)
 * @fin_s: the server's proof key, until the server's proof is made or checked
 * @tx_key: key of the records this side sends
 * @rx_key: key of the records this side receives
 * @tx_seq: records sent: the next nonce
 * @rx_seq: records received: the next nonce
 * @max_records: records per direction before -EKEYEXPIRED
 *	(RIO_SEC_MAX_RECORDS; lower in tests)
 *
 * Keys and secrets are wiped by rio_sec_wipe().
 */
struct rio_sec {
	__u8 prk[RIO_SEC_KEY_LEN];
	__u8 server;
	__u8 state;
	__u8 tx_ready;
	__u8 rx_ready;
	__u8 transcript[2 * RIO_AUTH_FRAME_MAX];
	__u8 th[RIO_SEC_KEY_LEN];
	__u8 proof_c[RIO_AUTH_MAC_LEN];
	__u8 fin_s[RIO_SEC_KEY_LEN];
	__u8 tx_key[RIO_SEC_KEY_LEN];
	__u8 rx_key[RIO_SEC_KEY_LEN];
	__u64 tx_seq;
	__u64 rx_seq;
	__u64 max_records;
};

/**
 * struct rio_span - a piece of a message to authenticate
 * @p: bytes
 * @len: how many
 */
struct rio_span {
	const void *p;
	size_t len;
};

/* The primitives, one implementation per environment. */
void rio_hmac_sha256(const __u8 *key, size_t klen, const struct rio_span *v,
		     unsigned int n, __u8 out[RIO_AUTH_MAC_LEN]);
void rio_aead_seal(const __u8 key[RIO_SEC_KEY_LEN], __u64 seq, const __u8 *ad,
		   size_t adlen, __u8 *buf, size_t len);
int rio_aead_open(const __u8 key[RIO_SEC_KEY_LEN], __u64 seq, const __u8 *ad,
		  size_t adlen, __u8 *buf, size_t len);
void rio_random(void *buf, size_t len);
int rio_memneq(const void *a, const void *b, size_t len);
void rio_wipe(void *p, size_t len);

void rio_psk_derive(struct rio_psk *psk, const __u8 *key, size_t len);
void rio_sec_init(struct rio_sec *s, const struct rio_psk *psk, int server);
void rio_sec_wipe(struct rio_sec *s);
size_t rio_sec_start(struct rio_sec *s, __u8 *out);
int rio_sec_input(struct rio_sec *s, const struct rio_hdr *hdr,
		  const struct rio_msg *m, const void *payload, __u8 *out,
		  size_t *out_len);
size_t rio_sec_refusal(const struct rio_msg *m, __u32 status, __u8 *out);
int rio_rec_length(const __u8 prefix[RIO_REC_PREFIX], __u32 max_payload,
		   __u32 *len);
int rio_rec_seal(struct rio_sec *s, __u8 *rec, __u32 len);
int rio_rec_open(struct rio_sec *s, __u8 *rec, __u32 len);

#endif /* _TOASTER_RIO_SEC_H */
