/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RIO opcodes by name in trace output, for the trace headers of
 * toaster_rio and toaster. No include guard, on purpose: a trace header is
 * read several times (TRACE_HEADER_MULTI_READ) and TRACE_DEFINE_ENUM must
 * be seen each time.
 */
TRACE_DEFINE_ENUM(RIO_OP_HELLO);
TRACE_DEFINE_ENUM(RIO_OP_READ);
TRACE_DEFINE_ENUM(RIO_OP_WRITE);
TRACE_DEFINE_ENUM(RIO_OP_IOCTL);
TRACE_DEFINE_ENUM(RIO_OP_PING);
TRACE_DEFINE_ENUM(RIO_OP_CANCEL);
TRACE_DEFINE_ENUM(RIO_OP_BYE);
TRACE_DEFINE_ENUM(RIO_OP_NOTIFY);

#define rio_show_op(op)						\
	__print_symbolic(op,					\
			 { RIO_OP_HELLO,	"HELLO" },	\
			 { RIO_OP_READ,		"READ" },	\
			 { RIO_OP_WRITE,	"WRITE" },	\
			 { RIO_OP_IOCTL,	"IOCTL" },	\
			 { RIO_OP_PING,		"PING" },	\
			 { RIO_OP_CANCEL,	"CANCEL" },	\
			 { RIO_OP_BYE,		"BYE" },	\
			 { RIO_OP_NOTIFY,	"NOTIFY" })
