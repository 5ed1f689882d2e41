// SPDX-License-Identifier: GPL-2.0
/*
 * Frame payloads: reference counted and, unless small, recycled.
 *
 * Why recycle: Debian's kernel zeroes every page and slab object it
 * allocates (init_on_alloc=1), and a 64 KiB payload plus a header was an
 * order-5 (128 KiB) kmalloc, a 4 KiB one an 8 KiB one. Profiled on a
 * 256 KiB stream, clearing those pages was 14% of all CPU time, more than
 * any copy. So a payload whose buffer needs more than RIO_BUF_POOL_MIN
 * bytes takes one of two sizes: RIO_BUF_MID bytes (kmalloc) or
 * RIO_MAX_PAYLOAD (vmalloc: 17 pages, not 32). A freed one waits in the
 * pool of its size for the next. The pools are drained once nobody took
 * from them for a second: an idle machine keeps nothing.
 *
 * A recycled buffer is not cleared: no user sends or reads a byte of a
 * payload it has not written (or received) itself, so a previous payload
 * never shows through.
 *
 * Large payloads are sent by reference (rio_sock_send_pages()): TCP holds
 * their pages, not a copy, until the peer has acknowledged them, which can
 * be after the last payload reference is gone. So a pooled large buffer is
 * handed out again only once its pages are TCP's no more (page count 1);
 * until then it waits in the pool, or a new one is allocated. Freeing one
 * early is safe: its pages stay until TCP puts them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <toaster/rio.h>

#include "buf.h"
#include "testing.h"

enum rio_buf_class {
	RIO_BUF_CLASS_SMALL,	/* exact size, kmalloc, freed when put */
	RIO_BUF_CLASS_MID,	/* RIO_BUF_MID bytes in all, kmalloc */
	RIO_BUF_CLASS_MAX,	/* RIO_MAX_PAYLOAD of payload, vmalloc */
	RIO_BUF_CLASSES
};

/*
 * A payload and its references. Aligned as kmalloc() memory is: callers
 * fill payloads with structs.
 */
struct rio_buf {
	union {
		refcount_t ref;
		struct llist_node free;	/* once unreferenced, see rio_buf_put() */
	};
	u8 class;		/* enum rio_buf_class */
	u8 data[] __aligned(sizeof(u64));
};

/* The recycled buffers of one size. */
struct rio_pool {
	struct rio_buf *bufs[RIO_BUF_POOL_MAX];
	unsigned int len;
};

static DEFINE_SPINLOCK(rio_pool_lock);
static struct rio_pool rio_pools[RIO_BUF_CLASSES];	/* under the lock */
static bool rio_pool_used;				/* under the lock */

static void rio_pool_drain_work(struct work_struct *work);
static DECLARE_DELAYED_WORK(rio_pool_drain, rio_pool_drain_work);

/*
 * Buffers the full pool could not take, freed from process context:
 * vfree() may sleep unless in interrupt context, and a put can come under
 * a spinlock, where it may not sleep.
 */
static LLIST_HEAD(rio_free_list);
static void rio_free_work_fn(struct work_struct *work);
static DECLARE_WORK(rio_free_work, rio_free_work_fn);

static void rio_free_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&rio_free_list);
	struct rio_buf *b, *tmp;

	llist_for_each_entry_safe(b, tmp, list, free)
		kvfree(b);
}

/* Bytes of a whole RIO_BUF_CLASS_MAX buffer, header included. */
#define RIO_BUF_MAX_SIZE	(offsetof(struct rio_buf, data) + RIO_MAX_PAYLOAD)

/* Is no page of @b still held by someone else (TCP, sending it)? */
static bool rio_buf_idle(const struct rio_buf *b)
{
	const u8 *p = (const u8 *)b;
	size_t off;

	if (b->class != RIO_BUF_CLASS_MAX)
		return true;	/* kmalloc memory is always sent by copy */
	/* vmalloc() memory starts on a page: this visits every page. */
	for (off = 0; off < RIO_BUF_MAX_SIZE; off += PAGE_SIZE)
		if (page_ref_count(vmalloc_to_page(p + off)) != 1)
			return false;
	return true;
}

/* The most recently pooled buffer of @class that is idle, or NULL. */
static struct rio_buf *rio_pool_take(enum rio_buf_class class)
{
	struct rio_pool *pool = &rio_pools[class];
	struct rio_buf *b = NULL;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&rio_pool_lock, flags);
	for (i = pool->len; i-- > 0; ) {
		if (!rio_buf_idle(pool->bufs[i]))
			continue;
		b = pool->bufs[i];
		pool->bufs[i] = pool->bufs[--pool->len];
		rio_pool_used = true;
		break;
	}
	spin_unlock_irqrestore(&rio_pool_lock, flags);
	return b;
}

/* Return: true if @b is in its pool now. Any context. */
static bool rio_pool_give(struct rio_buf *b)
{
	struct rio_pool *pool = &rio_pools[b->class];
	unsigned long flags;
	bool kept = false;

	spin_lock_irqsave(&rio_pool_lock, flags);
	if (pool->len < RIO_BUF_POOL_MAX) {
		/* Re-armed by the work itself while the pools are in use. */
		if (!delayed_work_pending(&rio_pool_drain))
			mod_delayed_work(system_wq, &rio_pool_drain, HZ);
		pool->bufs[pool->len++] = b;
		kept = true;
	}
	spin_unlock_irqrestore(&rio_pool_lock, flags);
	return kept;
}

/* Free what waited a whole second unused, or look again in a second. */
static void rio_pool_drain_work(struct work_struct *work)
{
	bool used;

	spin_lock_irq(&rio_pool_lock);
	used = rio_pool_used;
	rio_pool_used = false;
	if (used)
		mod_delayed_work(system_wq, &rio_pool_drain, HZ);
	spin_unlock_irq(&rio_pool_lock);
	if (!used)
		rio_buf_pool_flush();
}

/* A buffer of @class; @size (header included) for RIO_BUF_CLASS_SMALL. */
static struct rio_buf *rio_buf_new(enum rio_buf_class class, size_t size)
{
	struct rio_buf *b;

	switch (class) {
	case RIO_BUF_CLASS_SMALL:
		b = kmalloc(size, GFP_KERNEL);
		break;
	case RIO_BUF_CLASS_MID:
		b = rio_pool_take(class) ?: kmalloc(RIO_BUF_MID, GFP_KERNEL);
		break;
	default:
		b = rio_pool_take(class) ?: vmalloc(RIO_BUF_MAX_SIZE);
		break;
	}
	if (b)
		b->class = class;
	return b;
}

/**
 * rio_buf_alloc() - allocate a frame payload
 * @len: bytes, at most RIO_MAX_PAYLOAD
 *
 * Process context (it may sleep).
 *
 * Return: the payload, uninitialized, with one reference; NULL when out of
 * memory or @len is too large.
 */
void *rio_buf_alloc(size_t len)
{
	enum rio_buf_class class;
	struct rio_buf *b;
	size_t size;

	if (len > RIO_MAX_PAYLOAD)
		return NULL;
	size = struct_size(b, data, len);
	if (size <= RIO_BUF_POOL_MIN)
		class = RIO_BUF_CLASS_SMALL;
	else if (size <= RIO_BUF_MID)
		class = RIO_BUF_CLASS_MID;
	else
		class = RIO_BUF_CLASS_MAX;
	b = rio_buf_new(class, size);
	if (!b)
		return NULL;
	refcount_set(&b->ref, 1);
	return b->data;
}
EXPORT_SYMBOL_NS_GPL(rio_buf_alloc, TOASTER_RIO);

/**
 * rio_buf_dup() - a payload holding a copy of @len bytes at @src
 * @src: the bytes
 * @len: how many, at most RIO_MAX_PAYLOAD
 *
 * Return: as rio_buf_alloc().
 */
void *rio_buf_dup(const void *src, size_t len)
{
	void *p = rio_buf_alloc(len);

	if (p)
		memcpy(p, src, len);
	return p;
}
EXPORT_SYMBOL_NS_GPL(rio_buf_dup, TOASTER_RIO);

/**
 * rio_buf_get() - take another reference on a payload
 * @data: from rio_buf_alloc()
 *
 * The holders only read it from now on: a shared payload is never changed.
 *
 * Return: @data.
 */
void *rio_buf_get(void *data)
{
	refcount_inc(&container_of(data, struct rio_buf, data[0])->ref);
	return data;
}
EXPORT_SYMBOL_NS_GPL(rio_buf_get, TOASTER_RIO);

/**
 * rio_buf_put() - drop a reference on a payload
 * @data: from rio_buf_alloc(), or NULL
 *
 * Any context: the last reference recycles the buffer or frees it; a
 * recycled buffer the pool has no room for is freed by a work item.
 */
void rio_buf_put(void *data)
{
	struct rio_buf *b;

	if (!data)
		return;
	b = container_of(data, struct rio_buf, data[0]);
	if (!refcount_dec_and_test(&b->ref))
		return;
	if (b->class == RIO_BUF_CLASS_SMALL)
		kfree(b);
	else if (!rio_pool_give(b) && llist_add(&b->free, &rio_free_list))
		schedule_work(&rio_free_work);
}
EXPORT_SYMBOL_NS_GPL(rio_buf_put, TOASTER_RIO);

/**
 * rio_buf_by_ref() - may @data be sent by reference to its pages?
 * @data: from rio_buf_alloc()
 *
 * True for the large payloads, whose memory is whole pages (vmalloc);
 * kmalloc memory (slab) cannot be lent to TCP.
 *
 * Return: true if rio_sock_send_pages() may send it.
 */
bool rio_buf_by_ref(const void *data)
{
	return container_of(data, struct rio_buf, data[0])->class ==
	       RIO_BUF_CLASS_MAX;
}
EXPORT_SYMBOL_NS_GPL(rio_buf_by_ref, TOASTER_RIO);

/**
 * rio_buf_pooled() - recycled buffers waiting in the pools
 *
 * Return: their number, at most RIO_BUF_POOL_MAX per size.
 */
unsigned int rio_buf_pooled(void)
{
	unsigned int i, n = 0;

	spin_lock_irq(&rio_pool_lock);
	for (i = 0; i < RIO_BUF_CLASSES; i++)
		n += rio_pools[i].len;
	spin_unlock_irq(&rio_pool_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(rio_buf_pooled);

/**
 * rio_buf_pool_flush() - free every buffer waiting in the pools, now
 *
 * Process context.
 */
void rio_buf_pool_flush(void)
{
	struct rio_pool old[RIO_BUF_CLASSES];
	unsigned int i, j;

	spin_lock_irq(&rio_pool_lock);
	memcpy(old, rio_pools, sizeof(old));
	for (i = 0; i < RIO_BUF_CLASSES; i++)
		rio_pools[i].len = 0;
	rio_pool_used = false;
	spin_unlock_irq(&rio_pool_lock);
	for (i = 0; i < RIO_BUF_CLASSES; i++)
		for (j = 0; j < old[i].len; j++)
			kvfree(old[i].bufs[j]);
}
EXPORT_SYMBOL_IF_KUNIT(rio_buf_pool_flush);

/**
 * rio_buf_exit() - free the pools at module unload
 *
 * Every payload has been put by then: the modules using them are gone.
 */
void rio_buf_exit(void)
{
	cancel_delayed_work_sync(&rio_pool_drain);
	flush_work(&rio_free_work);
	rio_buf_pool_flush();
}
