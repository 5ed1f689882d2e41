// SPDX-License-Identifier: GPL-2.0
/*
 * Frame payloads: reference counted and, when large, recycled.
 *
 * Why recycle: Debian's kernel zeroes every page it allocates
 * (init_on_alloc=1), and a 64 KiB payload plus a header was an order-5
 * (128 KiB) kmalloc. Profiled on a 256 KiB stream, clearing those pages
 * was 14% of all CPU time, more than any copy. So every payload that needs
 * more than RIO_BUF_POOL_MIN bytes takes a buffer of RIO_MAX_PAYLOAD bytes
 * (vmalloc: 17 pages, not 32), and a freed one waits in a small pool for
 * the next. The pool is drained once nobody took from it for a second:
 * an idle machine keeps nothing.
 *
 * A recycled buffer is not cleared: no user sends or reads a byte of a
 * payload it has not written (or received) itself, so a previous payload
 * never shows through.
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

/*
 * A payload and its references. Aligned as kmalloc() memory is: callers
 * fill payloads with structs.
 */
struct rio_buf {
	union {
		refcount_t ref;
		struct llist_node free;	/* once unreferenced, see rio_buf_put() */
	};
	bool pooled;		/* RIO_MAX_PAYLOAD bytes, goes back to the pool */
	u8 data[] __aligned(sizeof(u64));
};

static DEFINE_SPINLOCK(rio_pool_lock);
static struct rio_buf *rio_pool[RIO_BUF_POOL_MAX];	/* under the lock */
static unsigned int rio_pool_len;			/* under the lock */
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
		vfree(b);
}

static struct rio_buf *rio_pool_take(void)
{
	struct rio_buf *b = NULL;
	unsigned long flags;

	spin_lock_irqsave(&rio_pool_lock, flags);
	if (rio_pool_len) {
		b = rio_pool[--rio_pool_len];
		rio_pool_used = true;
	}
	spin_unlock_irqrestore(&rio_pool_lock, flags);
	return b;
}

/* Return: true if @b is in the pool now. Any context. */
static bool rio_pool_give(struct rio_buf *b)
{
	unsigned long flags;
	bool kept = false;

	spin_lock_irqsave(&rio_pool_lock, flags);
	if (rio_pool_len < RIO_BUF_POOL_MAX) {
		if (!rio_pool_len)
			mod_delayed_work(system_wq, &rio_pool_drain, HZ);
		rio_pool[rio_pool_len++] = b;
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
	if (used && rio_pool_len)
		mod_delayed_work(system_wq, &rio_pool_drain, HZ);
	spin_unlock_irq(&rio_pool_lock);
	if (!used)
		rio_buf_pool_flush();
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
	struct rio_buf *b;

	if (len > RIO_MAX_PAYLOAD)
		return NULL;
	if (struct_size(b, data, len) <= RIO_BUF_POOL_MIN) {
		b = kmalloc(struct_size(b, data, len), GFP_KERNEL);
		if (!b)
			return NULL;
		b->pooled = false;
	} else {
		b = rio_pool_take();
		if (!b)
			b = vmalloc(struct_size(b, data, RIO_MAX_PAYLOAD));
		if (!b)
			return NULL;
		b->pooled = true;
	}
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
	if (!b->pooled)
		kfree(b);
	else if (!rio_pool_give(b) && llist_add(&b->free, &rio_free_list))
		schedule_work(&rio_free_work);
}
EXPORT_SYMBOL_NS_GPL(rio_buf_put, TOASTER_RIO);

/**
 * rio_buf_pooled() - recycled buffers waiting in the pool
 *
 * Return: their number, at most RIO_BUF_POOL_MAX.
 */
unsigned int rio_buf_pooled(void)
{
	unsigned int n;

	spin_lock_irq(&rio_pool_lock);
	n = rio_pool_len;
	spin_unlock_irq(&rio_pool_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(rio_buf_pooled);

/**
 * rio_buf_pool_flush() - free every buffer waiting in the pool, now
 *
 * Process context.
 */
void rio_buf_pool_flush(void)
{
	struct rio_buf *old[RIO_BUF_POOL_MAX];
	unsigned int i, n;

	spin_lock_irq(&rio_pool_lock);
	n = rio_pool_len;
	memcpy(old, rio_pool, n * sizeof(*old));
	rio_pool_len = 0;
	rio_pool_used = false;
	spin_unlock_irq(&rio_pool_lock);
	for (i = 0; i < n; i++)
		vfree(old[i]);
}
EXPORT_SYMBOL_IF_KUNIT(rio_buf_pool_flush);

/**
 * rio_buf_exit() - free the pool at module unload
 *
 * Every payload has been put by then: the modules using them are gone.
 */
void rio_buf_exit(void)
{
	cancel_delayed_work_sync(&rio_pool_drain);
	flush_work(&rio_free_work);
	rio_buf_pool_flush();
}
