// SPDX-License-Identifier: GPL-2.0
/*
 * The primitives of RIO's secure mode (include/toaster/rio_sec.h), in the
 * kernel: HMAC-SHA256 over the SHA-256 library, ChaCha20-Poly1305 from the
 * library WireGuard uses. Both are synchronous and allocate nothing, so a
 * client decrypts its answers where they arrive, in softirq context, as it
 * parses plain ones (rio_conn_ops.atomic_rx).
 */
#include <crypto/algapi.h>
#include <crypto/chacha20poly1305.h>
#include <crypto/sha2.h>
#include <linux/random.h>
#include <linux/string.h>

#include <toaster/rio_sec.h>

static_assert(RIO_SEC_KEY_LEN == CHACHA20POLY1305_KEY_SIZE);
static_assert(RIO_SEC_TAG_LEN == CHACHA20POLY1305_AUTHTAG_SIZE);
static_assert(RIO_AUTH_MAC_LEN == SHA256_DIGEST_SIZE);

/**
 * rio_hmac_sha256() - HMAC-SHA256 (RFC 2104) of a message in pieces
 * @key: key
 * @klen: its bytes
 * @v: the pieces of the message, in order
 * @n: how many
 * @out: out: the MAC
 */
void rio_hmac_sha256(const u8 *key, size_t klen, const struct rio_span *v,
		     unsigned int n, u8 out[RIO_AUTH_MAC_LEN])
{
	u8 k[SHA256_BLOCK_SIZE] = {}, pad[SHA256_BLOCK_SIZE];
	struct sha256_state st;
	unsigned int i;

	if (klen > SHA256_BLOCK_SIZE)
		sha256(key, klen, k);
	else
		memcpy(k, key, klen);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&st);
	sha256_update(&st, pad, sizeof(pad));
	for (i = 0; i < n; i++)
		sha256_update(&st, v[i].p, v[i].len);
	sha256_final(&st, out);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&st);
	sha256_update(&st, pad, sizeof(pad));
	sha256_update(&st, out, SHA256_DIGEST_SIZE);
	sha256_final(&st, out);

	memzero_explicit(k, sizeof(k));
	memzero_explicit(pad, sizeof(pad));
	memzero_explicit(&st, sizeof(st));
}
EXPORT_SYMBOL_NS_GPL(rio_hmac_sha256, TOASTER_RIO);

/**
 * rio_aead_seal() - ChaCha20-Poly1305 (RFC 8439) encryption in place
 * @key: key
 * @seq: nonce: a counter, never reused with @key
 * @ad: associated data
 * @adlen: its bytes
 * @buf: @len bytes of plaintext, then RIO_SEC_TAG_LEN bytes for the tag
 * @len: plaintext bytes
 */
void rio_aead_seal(const u8 key[RIO_SEC_KEY_LEN], u64 seq, const u8 *ad,
		   size_t adlen, u8 *buf, size_t len)
{
	chacha20poly1305_encrypt(buf, buf, len, ad, adlen, seq, key);
}
EXPORT_SYMBOL_NS_GPL(rio_aead_seal, TOASTER_RIO);

/**
 * rio_aead_open() - ChaCha20-Poly1305 verification and decryption in place
 * @key: key
 * @seq: nonce
 * @ad: associated data
 * @adlen: its bytes
 * @buf: @len bytes of ciphertext, then the tag
 * @len: ciphertext bytes
 *
 * The library checks the tag before it decrypts anything.
 *
 * Return: 0, or -EBADMSG if the tag does not match.
 */
int rio_aead_open(const u8 key[RIO_SEC_KEY_LEN], u64 seq, const u8 *ad,
		  size_t adlen, u8 *buf, size_t len)
{
	if (!chacha20poly1305_decrypt(buf, buf, len + RIO_SEC_TAG_LEN, ad,
				      adlen, seq, key))
		return -EBADMSG;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(rio_aead_open, TOASTER_RIO);

/**
 * rio_random() - random bytes for nonces
 * @buf: out
 * @len: bytes
 */
void rio_random(void *buf, size_t len)
{
	get_random_bytes(buf, len);
}
EXPORT_SYMBOL_NS_GPL(rio_random, TOASTER_RIO);

/**
 * rio_memneq() - compare secrets in constant time
 * @a: one
 * @b: the other
 * @len: bytes
 *
 * Return: 0 if equal, nonzero otherwise.
 */
int rio_memneq(const void *a, const void *b, size_t len)
{
	return crypto_memneq(a, b, len) ? 1 : 0;
}
EXPORT_SYMBOL_NS_GPL(rio_memneq, TOASTER_RIO);

/**
 * rio_wipe() - zero a secret, in a way the compiler keeps
 * @p: memory
 * @len: bytes
 */
void rio_wipe(void *p, size_t len)
{
	memzero_explicit(p, len);
}
EXPORT_SYMBOL_NS_GPL(rio_wipe, TOASTER_RIO);
