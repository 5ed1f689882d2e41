/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the RIO connection (toaster_rio.ko), system "rio": every
 * frame sent and received, and the connection's start and death.
 *
 *   echo 1 > /sys/kernel/tracing/events/rio/enable
 *
 * Strings are fixed-size arrays: __string()/__assign_str() changed between
 * 6.1 and 6.12.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rio

#if !defined(_TOASTER_RIO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOASTER_RIO_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include <toaster/rio.h>

#include "conn.h"

#define RIO_TRACE_NAME	40
#define RIO_TRACE_PEER	48

#include "trace_ops.h"

DECLARE_EVENT_CLASS(rio_frame,
		    TP_PROTO(const struct rio_conn *conn,
			     const struct rio_msg *msg),
		    TP_ARGS(conn, msg),
		    TP_STRUCT__entry(__array(char, name, RIO_TRACE_NAME)
				     __array(char, peer, RIO_TRACE_PEER)
				     __field(u8, opcode)
				     __field(u16, flags)
				     __field(u32, tag)
				     __field(u32, status)
				     __field(u32, arg)
				     __field(u32, length)),
		    TP_fast_assign(strscpy(__entry->name, conn->name,
					   RIO_TRACE_NAME);
				   strscpy(__entry->peer, conn->peer,
					   RIO_TRACE_PEER);
				   __entry->opcode = msg->opcode;
				   __entry->flags = msg->flags;
				   __entry->tag = msg->tag;
				   __entry->status = msg->status;
				   __entry->arg = msg->arg;
				   __entry->length = msg->length;),
		    TP_printk("%s peer=%s op=%s flags=%#x tag=%u status=%u arg=%u length=%u",
			      __entry->name, __entry->peer,
			      rio_show_op(__entry->opcode), __entry->flags,
			      __entry->tag, __entry->status, __entry->arg,
			      __entry->length));

/* A frame committed to the stream (queued, sent in order). */
DEFINE_EVENT(rio_frame, rio_frame_send,
	     TP_PROTO(const struct rio_conn *conn, const struct rio_msg *msg),
	     TP_ARGS(conn, msg));

/* A valid frame received whole, before its owner handles it. */
DEFINE_EVENT(rio_frame, rio_frame_recv,
	     TP_PROTO(const struct rio_conn *conn, const struct rio_msg *msg),
	     TP_ARGS(conn, msg));

DECLARE_EVENT_CLASS(rio_conn_event,
		    TP_PROTO(const struct rio_conn *conn, int err),
		    TP_ARGS(conn, err),
		    TP_STRUCT__entry(__array(char, name, RIO_TRACE_NAME)
				     __array(char, peer, RIO_TRACE_PEER)
				     __field(int, err)),
		    TP_fast_assign(strscpy(__entry->name, conn->name,
					   RIO_TRACE_NAME);
				   strscpy(__entry->peer, conn->peer,
					   RIO_TRACE_PEER);
				   __entry->err = err;),
		    TP_printk("%s peer=%s err=%d", __entry->name,
			      __entry->peer, __entry->err));

/* Callbacks installed: accepted, or connecting (err: connect's result). */
DEFINE_EVENT(rio_conn_event, rio_conn_start,
	     TP_PROTO(const struct rio_conn *conn, int err),
	     TP_ARGS(conn, err));

/* The connection failed or was closed: err is its first error. */
DEFINE_EVENT(rio_conn_event, rio_conn_dead,
	     TP_PROTO(const struct rio_conn *conn, int err),
	     TP_ARGS(conn, err));

#endif /* _TOASTER_RIO_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
