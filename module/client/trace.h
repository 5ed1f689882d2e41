/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the client (toaster.ko), system "toaster": requests
 * submitted and completed (with their latency) and the state changes of a
 * link. The frames themselves are traced by toaster_rio ("rio").
 *
 *   echo 1 > /sys/kernel/tracing/events/toaster/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM toaster

#if !defined(_TOASTER_CLIENT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOASTER_CLIENT_TRACE_H

#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "client.h"
#include "rio/trace_ops.h"

TRACE_DEFINE_ENUM(TOASTER_LINK_CONNECTING);
TRACE_DEFINE_ENUM(TOASTER_LINK_UP);
TRACE_DEFINE_ENUM(TOASTER_LINK_RESETTING);
TRACE_DEFINE_ENUM(TOASTER_LINK_CLOSING);
TRACE_DEFINE_ENUM(TOASTER_LINK_DEAD);

#define toaster_show_state(s)						\
	__print_symbolic(s,						\
			 { TOASTER_LINK_CONNECTING,	"connecting" },	\
			 { TOASTER_LINK_UP,		"up" },		\
			 { TOASTER_LINK_RESETTING,	"resetting" },	\
			 { TOASTER_LINK_CLOSING,	"closing" },	\
			 { TOASTER_LINK_DEAD,		"dead" })

TRACE_EVENT(toaster_req_submit,
	    TP_PROTO(const struct toaster_link *link,
		     const struct toaster_req *req),
	    TP_ARGS(link, req),
	    TP_STRUCT__entry(__array(char, dev, 16)
			     __field(u8, opcode)
			     __field(u32, tag)
			     __field(u32, ioctl)
			     __field(u32, arg)
			     __field(u32, length)),
	    TP_fast_assign(strscpy(__entry->dev, link->dev->name,
				   sizeof(__entry->dev));
			   __entry->opcode = req->msg.opcode;
			   __entry->tag = req->msg.tag;
			   __entry->ioctl = req->msg.ioctl;
			   __entry->arg = req->msg.arg;
			   __entry->length = req->msg.length;),
	    TP_printk("%s op=%s tag=%u ioctl=%u arg=%u length=%u",
		      __entry->dev, rio_show_op(__entry->opcode),
		      __entry->tag, __entry->ioctl, __entry->arg,
		      __entry->length));

/* The latency is read from the clock here, only while the event is on. */
TRACE_EVENT(toaster_req_done,
	    TP_PROTO(const struct toaster_link *link,
		     const struct toaster_req *req, int err),
	    TP_ARGS(link, req, err),
	    TP_STRUCT__entry(__array(char, dev, 16)
			     __field(u8, opcode)
			     __field(u32, tag)
			     __field(int, err)
			     __field(u32, resp_len)
			     __field(u32, resp_arg)
			     __field(u64, latency_ns)),
	    TP_fast_assign(strscpy(__entry->dev, link->dev->name,
				   sizeof(__entry->dev));
			   __entry->opcode = req->msg.opcode;
			   __entry->tag = req->msg.tag;
			   __entry->err = err;
			   __entry->resp_len = req->resp_len;
			   __entry->resp_arg = req->resp_arg;
			   __entry->latency_ns = req->start_ns ?
				ktime_get_ns() - req->start_ns : 0;),
	    TP_printk("%s op=%s tag=%u err=%d resp_len=%u resp_arg=%u latency_ns=%llu",
		      __entry->dev, rio_show_op(__entry->opcode),
		      __entry->tag, __entry->err, __entry->resp_len,
		      __entry->resp_arg, __entry->latency_ns));

TRACE_EVENT(toaster_link_state,
	    TP_PROTO(const struct toaster_link *link,
		     enum toaster_link_state old, enum toaster_link_state new,
		     int err),
	    TP_ARGS(link, old, new, err),
	    TP_STRUCT__entry(__array(char, dev, 16)
			     __field(int, old)
			     __field(int, new)
			     __field(int, err)),
	    TP_fast_assign(strscpy(__entry->dev, link->dev->name,
				   sizeof(__entry->dev));
			   __entry->old = old;
			   __entry->new = new;
			   __entry->err = err;),
	    TP_printk("%s %s -> %s err=%d", __entry->dev,
		      toaster_show_state(__entry->old),
		      toaster_show_state(__entry->new), __entry->err));

#endif /* _TOASTER_CLIENT_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
