// SPDX-License-Identifier: GPL-2.0
/*
 * The primitives of RIO's secure mode (include/toaster/rio_sec.h) in
 * userspace, over OpenSSL's libcrypto, for the fuzzers: the same
 * constructions as module/rio/crypto.c (HMAC-SHA256; ChaCha20-Poly1305 of
 * RFC 8439 with the 96-bit nonce 0^32 | le64(seq), as the kernel's
 * library builds it), so records sealed here open in the kernel.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "../../module/rio/portable.h"
#include <toaster/rio_sec.h>

void rio_hmac_sha256(const __u8 *key, size_t klen, const struct rio_span *v,
		     unsigned int n, __u8 out[RIO_AUTH_MAC_LEN])
{
	unsigned char msg[1024];
	unsigned int i, olen = RIO_AUTH_MAC_LEN;
	size_t len = 0;

	for (i = 0; i < n; i++) {
		assert(len + v[i].len <= sizeof(msg));
		memcpy(msg + len, v[i].p, v[i].len);
		len += v[i].len;
	}
	if (!HMAC(EVP_sha256(), key, (int)klen, msg, len, out, &olen))
		abort();
}

static void rio_nonce(__u8 iv[12], __u64 seq)
{
	unsigned int i;

	memset(iv, 0, 4);
	for (i = 0; i < 8; i++)
		iv[4 + i] = seq >> (8 * i);
}

static EVP_CIPHER_CTX *rio_aead(const __u8 *key, __u64 seq, int enc,
				const __u8 *ad, size_t adlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	__u8 iv[12];
	int n;

	rio_nonce(iv, seq);
	if (!c || !EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, key, iv,
				     enc) ||
	    !EVP_CipherUpdate(c, NULL, &n, ad, (int)adlen))
		abort();
	return c;
}

void rio_aead_seal(const __u8 key[RIO_SEC_KEY_LEN], __u64 seq, const __u8 *ad,
		   size_t adlen, __u8 *buf, size_t len)
{
	EVP_CIPHER_CTX *c = rio_aead(key, seq, 1, ad, adlen);
	int n;

	if (!EVP_CipherUpdate(c, buf, &n, buf, (int)len) ||
	    !EVP_CipherFinal_ex(c, buf + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, RIO_SEC_TAG_LEN,
				 buf + len))
		abort();
	EVP_CIPHER_CTX_free(c);
}

int rio_aead_open(const __u8 key[RIO_SEC_KEY_LEN], __u64 seq, const __u8 *ad,
		  size_t adlen, __u8 *buf, size_t len)
{
	EVP_CIPHER_CTX *c = rio_aead(key, seq, 0, ad, adlen);
	int n, ok;

	if (!EVP_CipherUpdate(c, buf, &n, buf, (int)len) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, RIO_SEC_TAG_LEN,
				 buf + len))
		abort();
	ok = EVP_CipherFinal_ex(c, buf + n, &n);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

void rio_random(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1)
		abort();
}

int rio_memneq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}

void rio_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
