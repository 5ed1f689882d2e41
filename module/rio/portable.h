/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pure-C files of the RIO library (proto.c, secure.c) need from
 * their environment, so that the same files build in the kernel, in the
 * userspace tools, in the tests and in the fuzzers: in the kernel the
 * usual headers; in userspace, libc and the byte-order helpers.
 */
#ifndef _TOASTER_RIO_PORTABLE_H
#define _TOASTER_RIO_PORTABLE_H

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#else
/* Userspace links this file into each tool: nothing to export. */
#define EXPORT_SYMBOL_NS_GPL(sym, ns) static_assert(sizeof(#ns), #sym)
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
#ifndef __force
#define __force
#endif
#define cpu_to_be32(x)	((__force __be32)htobe32(x))
#define cpu_to_be16(x)	((__force __be16)htobe16(x))
#define cpu_to_be64(x)	((__force __be64)htobe64(x))
#define be64_to_cpu(x)	be64toh((__force __u64)(x))
#define be32_to_cpu(x)	be32toh((__force __u32)(x))
#define be16_to_cpu(x)	be16toh((__force __u16)(x))
#endif

#endif /* _TOASTER_RIO_PORTABLE_H */
