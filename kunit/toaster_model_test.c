// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the simulated toaster (FIFO, capacity, overwrite, darkness timing
 * with an injected clock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>

#include <toaster/rio.h>

#include "server/model.h"

#define TOAST_MS 10

static struct toaster_model *model_new(struct kunit *test)
{
	struct toaster_model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	toaster_model_init(m, TOAST_MS);
	KUNIT_ASSERT_EQ(test, toaster_model_alloc(m), 0);
	return m;
}

static void model_free(void *m)
{
	toaster_model_free(m);
}

static struct toaster_model *model_get(struct kunit *test)
{
	struct toaster_model *m = model_new(test);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, model_free, m), 0);
	return m;
}

static void *cap_buf(struct kunit *test, u32 cap)
{
	void *buf = kvmalloc(cap, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	return buf;
}

static void model_defaults(struct kunit *test)
{
	struct toaster_model *m = model_get(test);
	struct toaster_status st;

	toaster_model_status(m, 0, &st);
	KUNIT_EXPECT_EQ(test, st.state, TOASTER_STATE_EMPTY);
	KUNIT_EXPECT_EQ(test, st.darkness, TOASTER_DARKNESS_DEFAULT);
	KUNIT_EXPECT_EQ(test, st.capacity, TOASTER_CAPACITY_DEFAULT);
	KUNIT_EXPECT_EQ(test, st.bytes, 0);
	KUNIT_EXPECT_EQ(test, st.flags, 0);
	/* Empty: a READ returns EOF at once, a WRITE has room. */
	KUNIT_EXPECT_EQ(test, toaster_model_readiness(m, 0),
			RIO_READY_IN | RIO_READY_OUT);
}

static void model_fifo_and_timing(struct kunit *test)
{
	struct toaster_model *m = model_get(test);
	u64 done = TOASTER_DARKNESS_DEFAULT * TOAST_MS;
	struct toaster_status st;
	u8 out[16];

	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "hello", 5, 1000), 5);
	toaster_model_status(m, 1000, &st);
	KUNIT_EXPECT_EQ(test, st.state, TOASTER_STATE_TOASTING);
	KUNIT_EXPECT_EQ(test, st.bytes, 5);
	KUNIT_EXPECT_EQ(test, st.ready, 0);
	/* Untoasted: not readable, and not EOF either. */
	KUNIT_EXPECT_EQ(test, toaster_model_readiness(m, 1000), RIO_READY_OUT);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, sizeof(out), 1000), 0);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, sizeof(out),
						 1000 + done - 1), 0);
	KUNIT_EXPECT_EQ(test, toaster_model_next_ready(m, 1000), 1000 + done);

	/* A second batch, written later, is ready later. */
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, " world", 6, 1001), 6);
	KUNIT_EXPECT_EQ(test, toaster_model_ready(m, 1000 + done), 5);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, 3, 1000 + done), 3);
	KUNIT_EXPECT_MEMEQ(test, out, "hel", 3);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, sizeof(out),
						 1000 + done), 2);
	KUNIT_EXPECT_MEMEQ(test, out, "lo", 2);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, sizeof(out),
						 1001 + done), 6);
	KUNIT_EXPECT_MEMEQ(test, out, " world", 6);
	toaster_model_status(m, 1001 + done, &st);
	KUNIT_EXPECT_EQ(test, st.state, TOASTER_STATE_EMPTY);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_written, 11);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_read, 11);
}

static void model_darkness(struct kunit *test)
{
	struct toaster_model *m = model_get(test);
	u8 out[4];

	KUNIT_EXPECT_EQ(test, toaster_model_set_darkness(m, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, toaster_model_set_darkness(m, 11), -EINVAL);
	KUNIT_EXPECT_EQ(test, toaster_model_set_darkness(m, 10), 0);
	toaster_model_write(m, "a", 1, 0);
	KUNIT_EXPECT_EQ(test, toaster_model_next_ready(m, 0), 10 * TOAST_MS);

	/* A lighter batch written later still waits for the darker one. */
	KUNIT_EXPECT_EQ(test, toaster_model_set_darkness(m, 1), 0);
	toaster_model_write(m, "b", 1, 1);
	KUNIT_EXPECT_EQ(test, toaster_model_ready(m, 1 + TOAST_MS), 0);
	KUNIT_EXPECT_EQ(test, toaster_model_ready(m, 10 * TOAST_MS), 2);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, 4, 10 * TOAST_MS), 2);
	KUNIT_EXPECT_MEMEQ(test, out, "ab", 2);
}

static void model_capacity_full(struct kunit *test)
{
	struct toaster_model *m = model_get(test);
	u8 out[8];

	kvfree(toaster_model_set_capacity(m, cap_buf(test, 4), 4));
	KUNIT_EXPECT_EQ(test, m->capacity, 4);
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "abcdef", 6, 0), 4);
	KUNIT_EXPECT_EQ(test, toaster_model_room(m), 0);
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "x", 1, 0), 0);
	KUNIT_EXPECT_EQ(test, toaster_model_readiness(m, 0), 0);
	KUNIT_EXPECT_EQ(test, toaster_model_readiness(m, 5 * TOAST_MS),
			RIO_READY_IN);

	/* Wrap around the ring. */
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, 3, 5 * TOAST_MS), 3);
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "XYZ", 3, 60), 3);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, 8, 60 + 5 * TOAST_MS),
			4);
	KUNIT_EXPECT_MEMEQ(test, out, "dXYZ", 4);
}

static void model_capacity_shrink(struct kunit *test)
{
	struct toaster_model *m = model_get(test);
	u8 out[8];

	toaster_model_write(m, "abc", 3, 0);
	toaster_model_write(m, "def", 3, 100);
	/* Shrinking drops the oldest bytes; the rest keep their times. */
	kvfree(toaster_model_set_capacity(m, cap_buf(test, 4), 4));
	KUNIT_EXPECT_EQ(test, m->len, 4);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_dropped, 2);
	KUNIT_EXPECT_EQ(test, toaster_model_ready(m, 5 * TOAST_MS), 1);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, 8, 100 + 5 * TOAST_MS),
			4);
	KUNIT_EXPECT_MEMEQ(test, out, "cdef", 4);
}

static void model_overwrite(struct kunit *test)
{
	struct toaster_model *m = model_get(test);
	u8 out[8];

	kvfree(toaster_model_set_capacity(m, cap_buf(test, 4), 4));
	toaster_model_set_overwrite(m, true);
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "abc", 3, 0), 3);
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "de", 2, 0), 2);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_dropped, 1);
	/* Full, but a WRITE would still not wait. */
	KUNIT_EXPECT_TRUE(test, toaster_model_readiness(m, 0) & RIO_READY_OUT);
	/* Larger than the slot: only its last bytes stay. */
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "123456", 6, 0), 6);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_dropped, 1 + 4 + 2);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, 8, 5 * TOAST_MS), 4);
	KUNIT_EXPECT_MEMEQ(test, out, "3456", 4);

	toaster_model_set_overwrite(m, false);
	KUNIT_EXPECT_EQ(test, m->flags, 0);
}

static void model_pop_reset(struct kunit *test)
{
	struct toaster_model *m = model_get(test);

	toaster_model_write(m, "abc", 3, 0);
	toaster_model_set_darkness(m, 9);
	toaster_model_set_overwrite(m, true);
	toaster_model_pop(m);
	KUNIT_EXPECT_EQ(test, m->len, 0);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_dropped, 3);
	KUNIT_EXPECT_EQ(test, m->darkness, 9);

	kvfree(toaster_model_set_capacity(m, cap_buf(test, 8), 8));
	toaster_model_write(m, "xyz", 3, 0);
	kvfree(toaster_model_reset(m, cap_buf(test, TOASTER_CAPACITY_DEFAULT)));
	KUNIT_EXPECT_EQ(test, m->len, 0);
	KUNIT_EXPECT_EQ(test, m->capacity, TOASTER_CAPACITY_DEFAULT);
	KUNIT_EXPECT_EQ(test, m->darkness, TOASTER_DARKNESS_DEFAULT);
	KUNIT_EXPECT_EQ(test, m->flags, 0);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_dropped, 0);
	KUNIT_EXPECT_EQ(test, m->counters.bytes_written, 0);
}

static void model_many_batches(struct kunit *test)
{
	struct toaster_model *m = model_get(test);
	u8 out[TOASTER_MAX_BATCHES * 2];
	u64 t;

	/* More writes than batch slots: the newest batch absorbs the rest. */
	for (t = 0; t < TOASTER_MAX_BATCHES * 2; t++)
		KUNIT_EXPECT_EQ(test, toaster_model_write(m, "x", 1, t), 1);
	KUNIT_EXPECT_EQ(test, m->b_count, TOASTER_MAX_BATCHES);
	/* Nothing becomes ready before its time... */
	KUNIT_EXPECT_EQ(test, toaster_model_ready(m, 5 * TOAST_MS), 1);
	/* ...and everything is ready once the last write is toasted. */
	t = TOASTER_MAX_BATCHES * 2 - 1 + 5 * TOAST_MS;
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, sizeof(out), t),
			TOASTER_MAX_BATCHES * 2);
	KUNIT_EXPECT_EQ(test, m->b_count, 0);
}

/* The slot's memory comes with toaster_model_alloc(), once. */
static void model_lazy_slot(struct kunit *test)
{
	struct toaster_model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct toaster_status st;
	u8 *buf;

	KUNIT_ASSERT_NOT_NULL(test, m);
	toaster_model_init(m, TOAST_MS);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, model_free, m), 0);
	KUNIT_EXPECT_NULL(test, m->buf);
	KUNIT_EXPECT_NULL(test, m->batches);
	toaster_model_status(m, 0, &st);	/* works without it */
	KUNIT_EXPECT_EQ(test, st.capacity, TOASTER_CAPACITY_DEFAULT);
	KUNIT_EXPECT_EQ(test, st.bytes, 0);

	KUNIT_ASSERT_EQ(test, toaster_model_alloc(m), 0);
	KUNIT_ASSERT_NOT_NULL(test, m->buf);
	KUNIT_EXPECT_NOT_NULL(test, m->batches);
	buf = m->buf;
	KUNIT_EXPECT_EQ(test, toaster_model_alloc(m), 0);
	KUNIT_EXPECT_PTR_EQ(test, m->buf, buf);		/* kept, not replaced */
	KUNIT_EXPECT_EQ(test, toaster_model_write(m, "ab", 2, 0), 2);
}

static void model_plain_pipe(struct kunit *test)
{
	struct toaster_model *m = model_new(test);
	u8 out[4];

	toaster_model_free(m);
	toaster_model_init(m, 0);
	KUNIT_ASSERT_EQ(test, toaster_model_alloc(m), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, model_free, m), 0);
	toaster_model_write(m, "ab", 2, 7);
	KUNIT_EXPECT_EQ(test, toaster_model_read(m, out, 4, 7), 2);
}

static struct kunit_case toaster_model_cases[] = {
	KUNIT_CASE(model_defaults),
	KUNIT_CASE(model_lazy_slot),
	KUNIT_CASE(model_fifo_and_timing),
	KUNIT_CASE(model_darkness),
	KUNIT_CASE(model_capacity_full),
	KUNIT_CASE(model_capacity_shrink),
	KUNIT_CASE(model_overwrite),
	KUNIT_CASE(model_pop_reset),
	KUNIT_CASE(model_many_batches),
	KUNIT_CASE(model_plain_pipe),
	{}
};

static struct kunit_suite toaster_model_suite = {
	.name = "toaster_model",
	.test_cases = toaster_model_cases,
};

kunit_test_suite(toaster_model_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the simulated toaster");
