/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulated toaster: a FIFO slot of bytes ("bread") that become
 * readable ("toasted") darkness * toast_ms after they were written.
 *
 * Pure state, no locking and no clock of its own: every function that
 * depends on time takes @now_ms, so tests inject the clock. The server
 * serializes calls with the toaster's mutex.
 */
#ifndef _TOASTER_MODEL_H
#define _TOASTER_MODEL_H

#include <linux/types.h>
#include <uapi/linux/toaster.h>

#define TOASTER_MAX_BATCHES	64

/**
 * struct toaster_batch - bytes written together, toasted together
 * @ready_ms: time at which they become readable
 * @len: bytes in the batch
 */
struct toaster_batch {
	u64 ready_ms;
	u32 len;
};

/**
 * struct toaster_model - state of one toaster
 * @buf: ring of @capacity bytes; NULL until toaster_model_alloc()
 * @capacity: slot size
 * @head: index in @buf of the oldest byte
 * @len: bytes in the slot
 * @darkness: 1..10
 * @flags: TOASTER_FLAG_*
 * @toast_ms: toasting time per darkness level
 * @batches: ring of TOASTER_MAX_BATCHES write batches, oldest first
 *	(NULL until toaster_model_alloc()); their lengths add up to @len.
 *	When it is full a new write joins the newest batch, whose bytes then
 *	become ready with the new write (later, never earlier).
 * @b_head: index of the oldest batch
 * @b_count: batches in use
 * @counters: what TOASTER_IOC_COUNTERS reports
 */
struct toaster_model {
	u8 *buf;
	u32 capacity;
	u32 head;
	u32 len;
	u32 darkness;
	u32 flags;
	unsigned int toast_ms;
	struct toaster_batch *batches;
	unsigned int b_head;
	unsigned int b_count;
	struct toaster_counters counters;
};

void toaster_model_init(struct toaster_model *m, unsigned int toast_ms);
int toaster_model_alloc(struct toaster_model *m);
void toaster_model_free(struct toaster_model *m);
u32 toaster_model_write(struct toaster_model *m, const u8 *data, u32 n,
			u64 now_ms);
u32 toaster_model_read(struct toaster_model *m, u8 *out, u32 n, u64 now_ms);
u32 toaster_model_ready(const struct toaster_model *m, u64 now_ms);
u64 toaster_model_next_ready(const struct toaster_model *m, u64 now_ms);
u32 toaster_model_room(const struct toaster_model *m);
u32 toaster_model_readiness(const struct toaster_model *m, u64 now_ms);
void toaster_model_status(const struct toaster_model *m, u64 now_ms,
			  struct toaster_status *st);
int toaster_model_set_darkness(struct toaster_model *m, u32 darkness);
void toaster_model_pop(struct toaster_model *m);
void *toaster_model_set_capacity(struct toaster_model *m, u8 *buf, u32 cap);
void toaster_model_set_overwrite(struct toaster_model *m, bool on);
void *toaster_model_reset(struct toaster_model *m, u8 *buf);

#endif /* _TOASTER_MODEL_H */
