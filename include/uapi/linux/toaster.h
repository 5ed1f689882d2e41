/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Remote toaster: user API of /dev/toasterN.
 *
 * The ioctl magic 0xB9 is unused in
 * Documentation/userspace-api/ioctl/ioctl-number.rst.
 *
 * Commands numbered below TOASTER_IOC_NR_LOCAL are forwarded to the server's
 * toaster as RIO IOCTL frames; the wire carries the command number (_IOC_NR)
 * and the argument struct, so the encoding is independent of the
 * architecture's _IOC layout. Commands from TOASTER_IOC_NR_LOCAL up are
 * answered by the client module itself.
 */
#ifndef _UAPI_LINUX_TOASTER_H
#define _UAPI_LINUX_TOASTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define TOASTER_IOC_MAGIC	0xB9

#define TOASTER_DARKNESS_MIN	1
#define TOASTER_DARKNESS_MAX	10
#define TOASTER_DARKNESS_DEFAULT 5
#define TOASTER_CAPACITY_MIN	1
#define TOASTER_CAPACITY_MAX	(1024 * 1024)
#define TOASTER_CAPACITY_DEFAULT 4096

/* enum toaster_state: toaster_status.state */
#define TOASTER_STATE_EMPTY	0	/* no bread in the slot */
#define TOASTER_STATE_TOASTING	1	/* bread in the slot, none toasted yet */
#define TOASTER_STATE_READY	2	/* some toast can be read */

/* toaster_status.flags */
#define TOASTER_FLAG_OVERWRITE	0x1	/* full slot: new bytes replace the oldest */

/**
 * struct toaster_status - state of a toaster (TOASTER_IOC_STATUS)
 * @state: TOASTER_STATE_*
 * @darkness: TOASTER_DARKNESS_MIN..TOASTER_DARKNESS_MAX
 * @bytes: bytes in the slot, toasted or not
 * @ready: bytes toasted and readable now
 * @capacity: slot size in bytes
 * @flags: TOASTER_FLAG_*
 * @serial: the toaster's serial number N (port 5000 + N)
 * @reserved: zero
 */
struct toaster_status {
	__u32 state;
	__u32 darkness;
	__u32 bytes;
	__u32 ready;
	__u32 capacity;
	__u32 flags;
	__u32 serial;
	__u32 reserved;
};

/**
 * struct toaster_counters - server-side counters of a toaster
 * (TOASTER_IOC_COUNTERS); they survive reconnects, TOASTER_IOC_RESET
 * clears them.
 * @bytes_written: bytes accepted by WRITE
 * @bytes_read: bytes returned by READ
 * @bytes_dropped: bytes overwritten, popped or cut by a smaller capacity
 * @requests: requests answered
 * @connections: HELLOs accepted
 * @cancelled: requests answered as cancelled
 */
struct toaster_counters {
	__u64 bytes_written;
	__u64 bytes_read;
	__u64 bytes_dropped;
	__u64 requests;
	__u64 connections;
	__u64 cancelled;
};

/**
 * struct toaster_ping - round trip to the server (TOASTER_IOC_PING)
 * @rtt_ns: out: measured round-trip time of one RIO PING, nanoseconds
 */
struct toaster_ping {
	__u64 rtt_ns;
};

/**
 * struct toaster_stats - client-side counters of this device
 * (TOASTER_IOC_STATS); they survive reconnects and are cleared by
 * module load only.
 * @requests: RIO requests sent
 * @bytes_out: payload bytes the server accepted
 * @bytes_in: payload bytes read from the server
 * @errors: requests that failed, any errno but EAGAIN
 * @timeouts: requests that timed out
 * @cancels: CANCEL frames sent (requests interrupted by a signal)
 * @connects: successful connections
 * @last_rtt_ns: round trip of the last completed request
 */
struct toaster_stats {
	__u64 requests;
	__u64 bytes_out;
	__u64 bytes_in;
	__u64 errors;
	__u64 timeouts;
	__u64 cancels;
	__u64 connects;
	__u64 last_rtt_ns;
};

/* Forwarded to the server (RIO IOCTL, wire code = _IOC_NR). */
#define TOASTER_IOC_NR_STATUS		0x01
#define TOASTER_IOC_NR_SET_DARKNESS	0x02
#define TOASTER_IOC_NR_POP		0x03
#define TOASTER_IOC_NR_SET_CAPACITY	0x04
#define TOASTER_IOC_NR_SET_OVERWRITE	0x05
#define TOASTER_IOC_NR_RESET		0x06
#define TOASTER_IOC_NR_COUNTERS		0x07
/* Answered locally by the client module. */
#define TOASTER_IOC_NR_LOCAL		0x40
#define TOASTER_IOC_NR_PING		0x40
#define TOASTER_IOC_NR_STATS		0x41

#define TOASTER_IOC_STATUS \
	_IOR(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_STATUS, struct toaster_status)
#define TOASTER_IOC_SET_DARKNESS \
	_IOW(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_SET_DARKNESS, __u32)
#define TOASTER_IOC_POP \
	_IO(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_POP)
#define TOASTER_IOC_SET_CAPACITY \
	_IOW(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_SET_CAPACITY, __u32)
/* argument: 0 = off, 1 = on */
#define TOASTER_IOC_SET_OVERWRITE \
	_IOW(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_SET_OVERWRITE, __u32)
#define TOASTER_IOC_RESET \
	_IO(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_RESET)
#define TOASTER_IOC_COUNTERS \
	_IOR(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_COUNTERS, struct toaster_counters)
#define TOASTER_IOC_PING \
	_IOR(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_PING, struct toaster_ping)
#define TOASTER_IOC_STATS \
	_IOR(TOASTER_IOC_MAGIC, TOASTER_IOC_NR_STATS, struct toaster_stats)

#endif /* _UAPI_LINUX_TOASTER_H */
