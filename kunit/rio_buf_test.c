// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: frame payloads (module/rio/buf.c, in toaster_rio.ko): reference
 * counting, recycling of buffers through the pool of their size, the
 * pools' bound, their drain once unused, and large payloads lent to TCP
 * (rio_sock_send_pages()) and recycled only once TCP let go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <toaster/rio.h>

#include "rio/buf.h"
#include "rio/sock.h"

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

/* A connected loopback pair: @tx sends, @rx receives. */
struct t_pair {
	struct socket *lsn, *tx, *rx;
};

static void t_pair_close(void *arg)
{
	struct t_pair *p = arg;

	if (p->rx)
		sock_release(p->rx);
	if (p->tx)
		sock_release(p->tx);
	if (p->lsn)
		sock_release(p->lsn);
}

static struct t_pair *t_pair_open(struct kunit *test)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct t_pair *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, t_pair_close, p),
			0);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
					       IPPROTO_TCP, &p->lsn), 0);
	KUNIT_ASSERT_EQ(test, kernel_bind(p->lsn, (struct sockaddr *)&sin,
					  sizeof(sin)), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(p->lsn, 1), 0);
	KUNIT_ASSERT_GT(test, kernel_getsockname(p->lsn,
						 (struct sockaddr *)&sin), 0);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
					       IPPROTO_TCP, &p->tx), 0);
	p->tx->sk->sk_sndtimeo = 3 * HZ;
	KUNIT_ASSERT_EQ(test, kernel_connect(p->tx, (struct sockaddr *)&sin,
					     sizeof(sin), 0), 0);
	KUNIT_ASSERT_EQ(test, kernel_accept(p->lsn, &p->rx, 0), 0);
	p->rx->sk->sk_rcvtimeo = 3 * HZ;
	return p;
}

/* Only the large, page-backed payloads can be lent to TCP. */
static void rio_buf_by_ref_test(struct kunit *test)
{
	void *small = rio_buf_alloc(64), *mid = rio_buf_alloc(4096);
	void *big = rio_buf_alloc(RIO_BUF_MID);

	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, mid);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_FALSE(test, rio_buf_by_ref(small));
	KUNIT_EXPECT_FALSE(test, rio_buf_by_ref(mid));
	KUNIT_EXPECT_TRUE(test, rio_buf_by_ref(big));
	rio_buf_put(small);
	rio_buf_put(mid);
	rio_buf_put(big);
}

/*
 * A payload sent by reference: the receiver gets its bytes, TCP holds its
 * pages while they are unread, and meanwhile the pool does not hand the
 * buffer out again (it would be overwritten under TCP). When TCP lets go
 * is up to it (6.12 frees a read skb later, on the CPU that made it), so
 * reuse after a holder lets go is rio_buf_busy_test's.
 */
static void rio_buf_lent_test(struct kunit *test)
{
	struct t_pair *pair = t_pair_open(test);
	u8 *p = rio_buf_alloc(RIO_MAX_PAYLOAD), *q, *back;
	struct msghdr msg = { .msg_flags = MSG_WAITALL };
	struct kvec iov;
	struct page *pg;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	back = kunit_kmalloc(test, RIO_MAX_PAYLOAD, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, back);
	for (i = 0; i < RIO_MAX_PAYLOAD; i++)
		p[i] = i * 7 + i / 4096;
	pg = vmalloc_to_page(p + PAGE_SIZE);

	KUNIT_ASSERT_EQ(test, rio_sock_send_pages(pair->tx, p, RIO_MAX_PAYLOAD,
						  MSG_NOSIGNAL),
			RIO_MAX_PAYLOAD);
	/* Unread: the receiver's queue holds our very pages, not a copy. */
	KUNIT_EXPECT_GT(test, page_ref_count(pg), 1);
	rio_buf_put(p);		/* p is the pool's from now on: not touched */
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 1);
	q = rio_buf_alloc(RIO_MAX_PAYLOAD);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);	/* still lent: not reused */
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 1);

	iov.iov_base = back;
	iov.iov_len = RIO_MAX_PAYLOAD;
	KUNIT_ASSERT_EQ(test, kernel_recvmsg(pair->rx, &msg, &iov, 1,
					     RIO_MAX_PAYLOAD, MSG_WAITALL),
			RIO_MAX_PAYLOAD);
	for (i = 0; i < RIO_MAX_PAYLOAD; i++)
		if (back[i] != (u8)(i * 7 + i / 4096))
			break;
	KUNIT_EXPECT_EQ(test, i, RIO_MAX_PAYLOAD);
	rio_buf_put(q);
}

/*
 * The pool's side of lending, with the test as the holder: a buffer one
 * of whose pages someone else holds is skipped, and handed out again once
 * they let go.
 */
static void rio_buf_busy_test(struct kunit *test)
{
	u8 *p = rio_buf_alloc(RIO_MAX_PAYLOAD), *q, *r;
	struct page *pg;

	KUNIT_ASSERT_NOT_NULL(test, p);
	pg = vmalloc_to_page(p + RIO_MAX_PAYLOAD - 1);	/* its last page */
	get_page(pg);
	rio_buf_put(p);
	q = rio_buf_alloc(RIO_MAX_PAYLOAD);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);	/* held: skipped */
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 1);

	put_page(pg);
	r = rio_buf_alloc(RIO_MAX_PAYLOAD);
	KUNIT_EXPECT_PTR_EQ(test, r, p);	/* let go: reused */
	KUNIT_EXPECT_EQ(test, rio_buf_pooled(), 0);
	rio_buf_put(q);
	rio_buf_put(r);
}

static struct kunit_case rio_buf_cases[] = {
	KUNIT_CASE(rio_buf_ref_test),
	KUNIT_CASE(rio_buf_dup_test),
	KUNIT_CASE(rio_buf_bad_len_test),
	KUNIT_CASE(rio_buf_recycle_test),
	KUNIT_CASE(rio_buf_recycle_mid_test),
	KUNIT_CASE(rio_buf_pool_bound_test),
	KUNIT_CASE(rio_buf_pool_drain_test),
	KUNIT_CASE(rio_buf_by_ref_test),
	KUNIT_CASE(rio_buf_lent_test),
	KUNIT_CASE(rio_buf_busy_test),
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
