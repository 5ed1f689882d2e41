// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated toaster: FIFO slot, capacity, overwrite mode, darkness
 * timing. See model.h; callers serialize and pass the time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <toaster/rio.h>

#include "model.h"
#include "rio/testing.h"

static struct toaster_batch *toaster_batch(struct toaster_model *m,
					   unsigned int i)
{
	return &m->batches[(m->b_head + i) % TOASTER_MAX_BATCHES];
}

static const struct toaster_batch *
toaster_batch_const(const struct toaster_model *m, unsigned int i)
{
	return &m->batches[(m->b_head + i) % TOASTER_MAX_BATCHES];
}

/* Remove the @k oldest bytes, copying them to @out unless it is NULL. */
static void toaster_consume(struct toaster_model *m, u8 *out, u32 k)
{
	u32 first = min(k, m->capacity - m->head);

	if (out) {
		memcpy(out, m->buf + m->head, first);
		memcpy(out + first, m->buf, k - first);
	}
	m->head = (m->head + k) % m->capacity;
	m->len -= k;

	while (k) {
		struct toaster_batch *b = toaster_batch(m, 0);

		if (b->len > k) {
			b->len -= k;
			break;
		}
		k -= b->len;
		m->b_head = (m->b_head + 1) % TOASTER_MAX_BATCHES;
		m->b_count--;
	}
}

static void toaster_add_batch(struct toaster_model *m, u32 len, u64 ready)
{
	struct toaster_batch *last = NULL;

	if (m->b_count)
		last = toaster_batch(m, m->b_count - 1);
	if (last && (last->ready_ms == ready ||
		     m->b_count == TOASTER_MAX_BATCHES)) {
		last->len += len;
		last->ready_ms = max(last->ready_ms, ready);
		return;
	}
	last = toaster_batch(m, m->b_count++);
	last->len = len;
	last->ready_ms = ready;
}

static void toaster_empty(struct toaster_model *m)
{
	m->head = 0;
	m->len = 0;
	m->b_head = 0;
	m->b_count = 0;
}

/**
 * toaster_model_init() - a toaster with default settings and an empty slot
 * @m: model to initialize
 * @toast_ms: toasting time per darkness level, 0 for a plain pipe
 *
 * The slot gets its memory from toaster_model_alloc(), when a client first
 * takes the toaster: a toaster nobody uses costs no buffer.
 */
void toaster_model_init(struct toaster_model *m, unsigned int toast_ms)
{
	memset(m, 0, sizeof(*m));
	m->capacity = TOASTER_CAPACITY_DEFAULT;
	m->darkness = TOASTER_DARKNESS_DEFAULT;
	m->toast_ms = toast_ms;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_init);

/**
 * toaster_model_alloc() - give the slot its memory
 * @m: model, from toaster_model_init()
 *
 * Before anything is written to the slot or its capacity changed; nothing
 * to do once it has its memory (which it keeps until toaster_model_free()).
 *
 * Return: 0 or -ENOMEM.
 */
int toaster_model_alloc(struct toaster_model *m)
{
	if (m->buf)
		return 0;
	m->batches = kcalloc(TOASTER_MAX_BATCHES, sizeof(*m->batches),
			     GFP_KERNEL);
	if (!m->batches)
		return -ENOMEM;
	m->buf = kvmalloc(m->capacity, GFP_KERNEL);
	if (!m->buf) {
		kfree(m->batches);
		m->batches = NULL;
		return -ENOMEM;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_alloc);

/**
 * toaster_model_free() - free the slot
 * @m: model
 */
void toaster_model_free(struct toaster_model *m)
{
	kvfree(m->buf);
	m->buf = NULL;
	kfree(m->batches);
	m->batches = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_free);

/**
 * toaster_model_room() - bytes that fit without overwriting
 * @m: model
 *
 * Return: free bytes in the slot.
 */
u32 toaster_model_room(const struct toaster_model *m)
{
	return m->capacity - m->len;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_room);

/**
 * toaster_model_write() - put bread in the slot
 * @m: model
 * @data: bytes to write
 * @n: number of bytes
 * @now_ms: current time
 *
 * Without overwrite mode at most the free room is taken. In overwrite mode
 * everything is taken and the oldest bytes make room (of a write larger
 * than the slot only its last @m->capacity bytes stay).
 *
 * Return: bytes accepted, 0 if the slot is full.
 */
u32 toaster_model_write(struct toaster_model *m, const u8 *data, u32 n,
			u64 now_ms)
{
	u32 accepted, tail, first;

	if (m->flags & TOASTER_FLAG_OVERWRITE) {
		accepted = n;
		if (n > m->capacity) {
			m->counters.bytes_dropped += n - m->capacity;
			data += n - m->capacity;
			n = m->capacity;
		}
		if (n > toaster_model_room(m)) {
			u32 k = n - toaster_model_room(m);

			m->counters.bytes_dropped += k;
			toaster_consume(m, NULL, k);
		}
	} else {
		n = min(n, toaster_model_room(m));
		accepted = n;
	}
	if (!n)
		return 0;

	tail = (m->head + m->len) % m->capacity;
	first = min(n, m->capacity - tail);
	memcpy(m->buf + tail, data, first);
	memcpy(m->buf, data + first, n - first);
	m->len += n;
	toaster_add_batch(m, n, now_ms + (u64)m->darkness * m->toast_ms);
	m->counters.bytes_written += accepted;
	return accepted;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_write);

/**
 * toaster_model_ready() - toasted bytes at the front of the slot
 * @m: model
 * @now_ms: current time
 *
 * Bytes come out in order, so a batch is readable only once every older
 * batch is.
 *
 * Return: bytes a READ could return now.
 */
u32 toaster_model_ready(const struct toaster_model *m, u64 now_ms)
{
	u32 ready = 0;
	unsigned int i;

	for (i = 0; i < m->b_count; i++) {
		const struct toaster_batch *b = toaster_batch_const(m, i);

		if (b->ready_ms > now_ms)
			break;
		ready += b->len;
	}
	return ready;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_ready);

/**
 * toaster_model_next_ready() - when more toast becomes readable
 * @m: model
 * @now_ms: current time
 *
 * Return: the time the oldest untoasted batch is ready, or 0 if there is
 * none.
 */
u64 toaster_model_next_ready(const struct toaster_model *m, u64 now_ms)
{
	unsigned int i;

	for (i = 0; i < m->b_count; i++) {
		const struct toaster_batch *b = toaster_batch_const(m, i);

		if (b->ready_ms > now_ms)
			return b->ready_ms;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_next_ready);

/**
 * toaster_model_read() - take toast out of the slot
 * @m: model
 * @out: buffer of at least @n bytes
 * @n: bytes wanted
 * @now_ms: current time
 *
 * Return: bytes copied to @out: at most the toasted ones; 0 if the slot is
 * empty (EOF) or holds only untoasted bytes (tell them apart with
 * @m->len).
 */
u32 toaster_model_read(struct toaster_model *m, u8 *out, u32 n, u64 now_ms)
{
	u32 k = min(n, toaster_model_ready(m, now_ms));

	toaster_consume(m, out, k);
	m->counters.bytes_read += k;
	return k;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_read);

/**
 * toaster_model_readiness() - what a client's poll() should report
 * @m: model
 * @now_ms: current time
 *
 * Return: RIO_READY_IN when a READ would not wait (toast ready, or EOF),
 * RIO_READY_OUT when a WRITE would not wait.
 */
u32 toaster_model_readiness(const struct toaster_model *m, u64 now_ms)
{
	u32 mask = 0;

	if (!m->len || toaster_model_ready(m, now_ms))
		mask |= RIO_READY_IN;
	if (toaster_model_room(m) || (m->flags & TOASTER_FLAG_OVERWRITE))
		mask |= RIO_READY_OUT;
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_readiness);

/**
 * toaster_model_status() - fill a struct toaster_status
 * @m: model
 * @now_ms: current time
 * @st: out (serial is left to the caller)
 */
void toaster_model_status(const struct toaster_model *m, u64 now_ms,
			  struct toaster_status *st)
{
	memset(st, 0, sizeof(*st));
	st->ready = toaster_model_ready(m, now_ms);
	if (!m->len)
		st->state = TOASTER_STATE_EMPTY;
	else if (st->ready)
		st->state = TOASTER_STATE_READY;
	else
		st->state = TOASTER_STATE_TOASTING;
	st->darkness = m->darkness;
	st->bytes = m->len;
	st->capacity = m->capacity;
	st->flags = m->flags;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_status);

/**
 * toaster_model_set_darkness() - darkness for bytes written from now on
 * @m: model
 * @darkness: TOASTER_DARKNESS_MIN..TOASTER_DARKNESS_MAX
 *
 * Return: 0 or -EINVAL.
 */
int toaster_model_set_darkness(struct toaster_model *m, u32 darkness)
{
	if (darkness < TOASTER_DARKNESS_MIN || darkness > TOASTER_DARKNESS_MAX)
		return -EINVAL;
	m->darkness = darkness;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_set_darkness);

/**
 * toaster_model_pop() - discard everything in the slot
 * @m: model
 */
void toaster_model_pop(struct toaster_model *m)
{
	m->counters.bytes_dropped += m->len;
	toaster_empty(m);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_pop);

/**
 * toaster_model_set_capacity() - move the slot to a buffer of another size
 * @m: model
 * @buf: new buffer of @cap bytes, allocated by the caller
 * @cap: TOASTER_CAPACITY_MIN..TOASTER_CAPACITY_MAX (checked by the caller)
 *
 * Bytes that do not fit are dropped, oldest first; the rest keep their
 * order and toasting times.
 *
 * Return: the old buffer, for the caller to kvfree().
 */
void *toaster_model_set_capacity(struct toaster_model *m, u8 *buf, u32 cap)
{
	void *old = m->buf;
	u32 first;

	if (m->len > cap) {
		m->counters.bytes_dropped += m->len - cap;
		toaster_consume(m, NULL, m->len - cap);
	}
	/* Linearize what is left into the new buffer; batches stay. */
	first = min(m->len, m->capacity - m->head);
	memcpy(buf, m->buf + m->head, first);
	memcpy(buf + first, m->buf, m->len - first);
	m->buf = buf;
	m->capacity = cap;
	m->head = 0;
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_set_capacity);

/**
 * toaster_model_set_overwrite() - switch overwrite mode
 * @m: model
 * @on: new bytes replace the oldest when the slot is full
 */
void toaster_model_set_overwrite(struct toaster_model *m, bool on)
{
	if (on)
		m->flags |= TOASTER_FLAG_OVERWRITE;
	else
		m->flags &= ~TOASTER_FLAG_OVERWRITE;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_set_overwrite);

/**
 * toaster_model_reset() - back to defaults: empty, default capacity,
 * darkness and flags, counters cleared
 * @m: model
 * @buf: new buffer of TOASTER_CAPACITY_DEFAULT bytes
 *
 * Return: the old buffer, for the caller to kvfree().
 */
void *toaster_model_reset(struct toaster_model *m, u8 *buf)
{
	void *old = m->buf;

	toaster_empty(m);
	m->buf = buf;
	m->capacity = TOASTER_CAPACITY_DEFAULT;
	m->darkness = TOASTER_DARKNESS_DEFAULT;
	m->flags = 0;
	memset(&m->counters, 0, sizeof(m->counters));
	return old;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_model_reset);
