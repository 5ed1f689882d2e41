// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: frame payloads (module/rio/buf.c, in toaster_rio.ko): reference
 * counting, recycling of buffers through the pool of their size, the
 * pools' bound, and their drain once unused.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/string.h>
#include <toaster/rio.h>

#include "rio/buf.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(TOASTER_RIO);

/* Wait, bounded, until the pool holds @n buffers. */
static bool t_pool_reaches(unsigned int n, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (rio_buf_pooled() != n) {
		if (time_after(jiffies, end))
			return false;
		msleep(20);
	}
	return true;
}

/* Start from an empty pool. */
static int rio_buf_test_init(struct kunit *test)
{
	rio_buf_pool_flush();
	return 0;
}

static void rio_buf_ref_test(struct kunit *test)
{
	u8 *p = rio_buf_alloc(100);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (uintptr_t)p % sizeof(u64), 0);
	memset(p, 0x5a, 100);
	KUNIT_EXPECT_PTR_EQ(test, rio_buf_get(p), p);
	rio_buf_put(p);
	/* Still referenced: still ours (KASAN would catch a use after free). */
	KUNIT_EXPECT_EQ(test, p[99], 0x5a);
	rio_buf_put(p);
	rio_buf_put(NULL);
	/* Small payloads never go to the pool. */
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 0);
}

static void rio_buf_dup_test(struct kunit *test)
{
	static const char src[] = "toast, twice";
	char *p = rio_buf_dup(src, sizeof(src));

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_STREQ(test, p, src);
	rio_buf_put(p);
}

static void rio_buf_bad_len_test(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, rio_buf_alloc(RIO_MAX_PAYLOAD + 1));
}

/* A large payload's buffer is reused by the next, whatever its size. */
static void rio_buf_recycle_test(struct kunit *test)
{
	u8 *p = rio_buf_alloc(RIO_MAX_PAYLOAD), *q;

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, RIO_MAX_PAYLOAD);	/* all of it is ours */
	rio_buf_get(p);
	rio_buf_put(p);
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 0);	/* still referenced */
	rio_buf_put(p);
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 1);

	/* Any payload too big for the middle size takes the big one. */
	q = rio_buf_alloc(RIO_BUF_MID);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 0);
	rio_buf_put(q);
}

/* A middle-sized payload's buffer goes to the pool of its own size. */
static void rio_buf_recycle_mid_test(struct kunit *test)
{
	u8 *p = rio_buf_alloc(4096), *q;

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, 4096);
	rio_buf_put(p);
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 1);

	q = rio_buf_alloc(RIO_MAX_PAYLOAD);	/* not from that pool */
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 1);
	rio_buf_put(q);

	q = rio_buf_alloc(RIO_BUF_POOL_MIN);	/* just above the small size */
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	rio_buf_put(q);
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 2);
}

/* The pool keeps RIO_BUF_POOL_MAX; the rest are freed (kmemleak checks). */
static void rio_buf_pool_bound_test(struct kunit *test)
{
	unsigned int i, n = RIO_BUF_POOL_MAX + 3;
	void **bufs = kunit_kcalloc(test, n, sizeof(*bufs), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, bufs);
	for (i = 0; i < n; i++) {
		bufs[i] = rio_buf_alloc(RIO_MAX_PAYLOAD);
		KUNIT_ASSERT_NOT_NULL(test, bufs[i]);
	}
	/* From softirq-like context too: bottom halves off, as in rx. */
	local_bh_disable();
	for (i = 0; i < n; i++)
		rio_buf_put(bufs[i]);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), RIO_BUF_POOL_MAX);
}

/* Unused for a second, the pool is emptied: an idle machine keeps nothing. */
static void rio_buf_pool_drain_test(struct kunit *test)
{
	void *p = rio_buf_alloc(RIO_MAX_PAYLOAD);

	KUNIT_ASSERT_NOT_NULL(test, p);
	rio_buf_put(p);
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 1);
	KUNIT_EXPECT_TRUE(test, t_pool_reaches(0, 5000));
}

static struct kunit_case rio_buf_cases[] = {
	KUNIT_CASE(rio_buf_ref_test),
	KUNIT_CASE(rio_buf_dup_test),
	KUNIT_CASE(rio_buf_bad_len_test),
	KUNIT_CASE(rio_buf_recycle_test),
	KUNIT_CASE(rio_buf_recycle_mid_test),
	KUNIT_CASE(rio_buf_pool_bound_test),
	KUNIT_CASE(rio_buf_pool_drain_test),
	{}
};

static struct kunit_suite rio_buf_suite = {
	.name = "rio_buf",
	.init = rio_buf_test_init,
	.test_cases = rio_buf_cases,
};

kunit_test_suite(rio_buf_suite);

MODULE_DESCRIPTION("KUnit tests for RIO frame payloads");
MODULE_LICENSE("GPL");
