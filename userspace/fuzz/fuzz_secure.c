// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: RIO secure mode (module/rio/secure.c and the frame
 * decoder, the same files the modules build; the primitives from
 * crypto_openssl.c). The first input byte picks what the rest is:
 *
 *   0  frames a client sends a server during the handshake;
 *   1  frames a server sends a client after its AUTH 1;
 *   2  operations on records after a real handshake: seal a frame on one
 *      side and open it on the other, with or without one bit flipped,
 *      or open bytes that were never sealed.
 *
 * Checked: nothing the fuzzer writes completes a handshake (it has no
 * key); a refusal carries nothing keyed; a record opens if and only if it
 * is exactly what was sealed; an opened frame is validated as rio_conn
 * does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/rio/portable.h"
#include <toaster/rio_sec.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REC	(RIO_REC_OVERHEAD + sizeof(struct rio_hdr) + RIO_MAX_PAYLOAD)

static __u8 rec[MAX_REC];

/* The key, derived once: what varies is the input, not the key. */
static void psk(struct rio_psk *p)
{
	static const __u8 key[32] = "fuzzing key, fuzzing key, fuzz!";
	static struct rio_psk once;
	static int done;

	if (!done) {
		rio_psk_derive(&once, key, sizeof(key));
		done = 1;
	}
	*p = once;
}

/* Feed frames from the input to @s, as rio_conn does before records. */
static void handshake_frames(struct rio_sec *s, const uint8_t *data,
			     size_t size)
{
	enum rio_dir dir = s->server ? RIO_DIR_REQUEST : RIO_DIR_RESPONSE;
	__u8 out[RIO_AUTH_FRAME_MAX];
	struct rio_hdr hdr;
	struct rio_msg m;
	size_t out_len;
	int ret;

	while (size >= sizeof(hdr)) {
		memcpy(&hdr, data, sizeof(hdr));
		data += sizeof(hdr);
		size -= sizeof(hdr);
		if (rio_decode(&hdr, dir, &m) != RIO_OK)
			return;
		if (m.length > RIO_MAX_IOCTL || m.length > size)
			return;
		if (m.opcode != RIO_OP_AUTH) {
			out_len = rio_sec_refusal(&m, RIO_S_ACCESS, out);
			if (out_len > sizeof(struct rio_hdr))
				abort();
			return;
		}
		ret = rio_sec_input(s, &hdr, &m, data, out, &out_len);
		if (out_len > sizeof(out))
			abort();
		if (ret) {
			/* A refusal is a bare header; the state is final. */
			if (out_len > sizeof(struct rio_hdr) ||
			    s->state != RIO_SEC_FAILED || s->tx_ready ||
			    s->rx_ready)
				abort();
			return;
		}
		/* Without the key, nobody gets the server's trust. */
		if (s->rx_ready)
			abort();
		data += m.length;
		size -= m.length;
	}
}

/* A real handshake: both sides have the key. */
static void pair(struct rio_sec *c, struct rio_sec *s)
{
	struct rio_psk p;
	__u8 a[RIO_AUTH_FRAME_MAX], b[RIO_AUTH_FRAME_MAX];
	struct rio_hdr hdr;
	struct rio_msg m;
	size_t la, lb;
	int i;

	psk(&p);
	rio_sec_init(c, &p, 0);
	rio_sec_init(s, &p, 1);
	la = rio_sec_start(c, a);
	for (i = 0; i < 4; i++) {
		struct rio_sec *to = i & 1 ? c : s;
		__u8 *in = i & 1 ? b : a, *out = i & 1 ? a : b;
		size_t *out_len = i & 1 ? &la : &lb;

		memcpy(&hdr, in, sizeof(hdr));
		if (rio_decode(&hdr, i & 1 ? RIO_DIR_RESPONSE : RIO_DIR_REQUEST,
			       &m) != RIO_OK ||
		    rio_sec_input(to, &hdr, &m, in + sizeof(hdr), out, out_len))
			abort();
	}
	if (!c->rx_ready || !s->rx_ready || !c->tx_ready || !s->tx_ready)
		abort();
}

/* What rio_conn does with an opened record: one valid frame. */
static void opened(const __u8 *plain, __u32 len)
{
	struct rio_hdr hdr;
	struct rio_msg m;

	memcpy(&hdr, plain, sizeof(hdr));
	if (rio_decode(&hdr, RIO_DIR_REQUEST, &m) == RIO_OK &&
	    m.length != len - sizeof(hdr))
		return;	/* rio_conn: -EPROTO */
}

static void records(const uint8_t *data, size_t size)
{
	struct rio_sec c, s;

	pair(&c, &s);
	while (size >= 3) {
		__u8 op = data[0];
		__u32 len = (data[1] | data[2] << 8) + sizeof(struct rio_hdr);
		__u32 got;
		int ret;

		data += 3;
		size -= 3;
		if (op & 1) {
			/* Sealed by the client from the input's bytes. */
			__u32 n = len < size ? len : size;

			memset(rec + RIO_REC_PREFIX, 0, len);
			memcpy(rec + RIO_REC_PREFIX, data, n);
			data += n;
			size -= n;
			if (rio_rec_seal(&c, rec, len))
				abort();
			if ((op & 2) && size >= 2) {
				__u32 bit = (data[0] | data[1] << 8) %
					    ((len + RIO_REC_OVERHEAD) * 8);

				rec[bit / 8] ^= 1 << (bit % 8);
				data += 2;
				size -= 2;
				if (rio_rec_length(rec, RIO_MAX_PAYLOAD, &got) ||
				    got != len)
					return;	/* rio_conn reads elsewhere: fails */
				if (!rio_rec_open(&s, rec, len))
					abort();	/* a forgery opened */
				return;
			}
			if (rio_rec_length(rec, RIO_MAX_PAYLOAD, &got) ||
			    got != len || rio_rec_open(&s, rec, len))
				abort();
			opened(rec + RIO_REC_PREFIX, len);
		} else {
			/* Bytes that were never sealed. */
			__u32 n = size < MAX_REC ? size : MAX_REC;

			memcpy(rec, data, n);
			if (n < RIO_REC_PREFIX ||
			    rio_rec_length(rec, RIO_MAX_PAYLOAD, &got) ||
			    n < got + RIO_REC_OVERHEAD)
				return;
			ret = rio_rec_open(&s, rec, got);
			if (ret != -EBADMSG)
				abort();
			return;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rio_sec s;
	struct rio_psk p;
	__u8 out[RIO_AUTH_FRAME_MAX];

	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		psk(&p);
		rio_sec_init(&s, &p, 1);
		handshake_frames(&s, data + 1, size - 1);
		break;
	case 1:
		psk(&p);
		rio_sec_init(&s, &p, 0);
		rio_sec_start(&s, out);
		handshake_frames(&s, data + 1, size - 1);
		break;
	default:
		records(data + 1, size - 1);
	}
	return 0;
}
