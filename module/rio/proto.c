// SPDX-License-Identifier: GPL-2.0
/*
 * RIO wire format: encode, decode and validate frame headers.
 *
 * This file is pure C with no kernel-only dependency: it is compiled into
 * both kernel modules, into the userspace tools and into the tests, so the
 * wire format has exactly one implementation.
 */
#include "portable.h"

#include <toaster/rio.h>

static_assert(sizeof(struct rio_hdr) == 32, "RIO header is 32 bytes");
static_assert(sizeof(struct rio_hello) == 40, "RIO hello is 40 bytes");
static_assert(sizeof(struct rio_auth_nonce) == 36, "AUTH nonce is 36 bytes");
/* The wire layout, field by field (docs/protocol.md). */
static_assert(offsetof(struct rio_hdr, magic) == 0, "magic at 0");
static_assert(offsetof(struct rio_hdr, version) == 4, "version at 4");
static_assert(offsetof(struct rio_hdr, opcode) == 5, "opcode at 5");
static_assert(offsetof(struct rio_hdr, flags) == 6, "flags at 6");
static_assert(offsetof(struct rio_hdr, tag) == 8, "tag at 8");
static_assert(offsetof(struct rio_hdr, status) == 12, "status at 12");
static_assert(offsetof(struct rio_hdr, ioctl) == 16, "ioctl at 16");
static_assert(offsetof(struct rio_hdr, arg) == 20, "arg at 20");
static_assert(offsetof(struct rio_hdr, length) == 24, "length at 24");
static_assert(offsetof(struct rio_hdr, room) == 28, "room at 28");
static_assert(offsetof(struct rio_hello, caps) == 0, "caps at 0");
static_assert(offsetof(struct rio_hello, max_payload) == 4, "max_payload at 4");
static_assert(offsetof(struct rio_hello, max_inflight) == 8, "max_inflight at 8");
static_assert(offsetof(struct rio_hello, wait_ms) == 12, "wait_ms at 12");
static_assert(offsetof(struct rio_hello, keepalive_ms) == 16, "keepalive_ms at 16");
static_assert(offsetof(struct rio_hello, resume_ms) == 20, "resume_ms at 20");
static_assert(offsetof(struct rio_hello, session) == 24, "session at 24");

/**
 * rio_encode() - fill a wire header from a host-order message
 * @hdr: wire header to fill
 * @msg: opcode, flags, tag, status, ioctl, arg, length and room to send
 *
 * Sets magic and version itself.
 */
void rio_encode(struct rio_hdr *hdr, const struct rio_msg *msg)
{
	hdr->magic = cpu_to_be32(RIO_MAGIC);
	hdr->version = RIO_VERSION;
	hdr->opcode = msg->opcode;
	hdr->flags = cpu_to_be16(msg->flags);
	hdr->tag = cpu_to_be32(msg->tag);
	hdr->status = cpu_to_be32(msg->status);
	hdr->ioctl = cpu_to_be32(msg->ioctl);
	hdr->arg = cpu_to_be32(msg->arg);
	hdr->length = cpu_to_be32(msg->length);
	hdr->room = cpu_to_be32(msg->room);
}
EXPORT_SYMBOL_NS_GPL(rio_encode, TOASTER_RIO);

/*
 * AUTH, either direction: tag 0, no ioctl; a step of the direction, whose
 * payload has its fixed size; a refusal (a response with a status) has
 * none.
 */
static int rio_check_auth(const struct rio_msg *m, int resp)
{
	__u32 want;

	if (m->tag)
		return RIO_BAD_TAG;
	if (m->ioctl)
		return RIO_BAD_IOCTL;
	switch (m->arg) {
	case RIO_AUTH_NONCE_C:
	case RIO_AUTH_NONCE_S:
		want = sizeof(struct rio_auth_nonce);
		break;
	case RIO_AUTH_PROOF_C:
	case RIO_AUTH_PROOF_S:
		want = RIO_AUTH_MAC_LEN;
		break;
	default:
		return RIO_BAD_ARG;
	}
	/* Steps 1 and 3 are the client's, 2 and 4 the server's. */
	if (((m->arg & 1) == 0) != resp)
		return RIO_BAD_DIRECTION;
	if (resp && m->status)
		want = 0;
	return m->length == want ? RIO_OK : RIO_BAD_LENGTH;
}

/* Per-opcode rules for a request (client to server). */
static int rio_check_request(const struct rio_msg *m)
{
	if (m->status)
		return RIO_BAD_STATUS;
	if (m->opcode == RIO_OP_AUTH)
		return m->flags ? RIO_BAD_FLAGS : rio_check_auth(m, 0);
	if (m->opcode != RIO_OP_IOCTL && m->ioctl)
		return RIO_BAD_IOCTL;
	if ((m->flags & RIO_F_NONBLOCK) &&
	    m->opcode != RIO_OP_READ && m->opcode != RIO_OP_WRITE)
		return RIO_BAD_FLAGS;
	if ((m->flags & RIO_F_RESUME) && m->opcode != RIO_OP_HELLO)
		return RIO_BAD_FLAGS;

	switch (m->opcode) {
	case RIO_OP_CANCEL:
		if (m->tag)
			return RIO_BAD_TAG;
		if (m->length)
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_OK : RIO_BAD_ARG;
	case RIO_OP_BYE:
		if (m->tag)
			return RIO_BAD_TAG;
		if (m->length)
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_BAD_ARG : RIO_OK;
	case RIO_OP_NOTIFY:
		return RIO_BAD_DIRECTION;
	default:
		break;
	}

	/* Everything else is a request that gets a response. */
	if (!m->tag)
		return RIO_BAD_TAG;

	switch (m->opcode) {
	case RIO_OP_HELLO:
		if (m->length != sizeof(struct rio_hello))
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_OK : RIO_BAD_ARG;
	case RIO_OP_READ:
		if (m->length)
			return RIO_BAD_LENGTH;
		if (!m->arg || m->arg > RIO_MAX_PAYLOAD)
			return RIO_BAD_ARG;
		return RIO_OK;
	case RIO_OP_WRITE:
		if (!m->length || m->length > RIO_MAX_PAYLOAD)
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_BAD_ARG : RIO_OK;
	case RIO_OP_IOCTL:
		if (m->length > RIO_MAX_IOCTL)
			return RIO_BAD_LENGTH;
		return m->arg > RIO_MAX_IOCTL ? RIO_BAD_ARG : RIO_OK;
	case RIO_OP_PING:
		if (m->length > RIO_MAX_PAYLOAD)
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_BAD_ARG : RIO_OK;
	}
	return RIO_BAD_OPCODE;
}

/* Per-opcode rules for a response (server to client). */
static int rio_check_response(const struct rio_msg *m)
{
	if (m->flags != RIO_F_RESPONSE)
		return RIO_BAD_FLAGS;
	if (m->status >= RIO_S_MAX)
		return RIO_BAD_STATUS;
	if (m->opcode != RIO_OP_IOCTL && m->ioctl)
		return RIO_BAD_IOCTL;
	if (m->opcode == RIO_OP_AUTH)
		return rio_check_auth(m, 1);

	if (m->opcode == RIO_OP_NOTIFY) {
		if (m->tag)
			return RIO_BAD_TAG;
		if (m->status)
			return RIO_BAD_STATUS;
		if (m->length)
			return RIO_BAD_LENGTH;
		return m->arg & ~RIO_READY_MASK ? RIO_BAD_ARG : RIO_OK;
	}
	if (m->opcode == RIO_OP_CANCEL || m->opcode == RIO_OP_BYE)
		return RIO_BAD_DIRECTION;
	if (!m->tag)
		return RIO_BAD_TAG;
	/* A failed request carries no payload. */
	if (m->status != RIO_S_OK && m->length)
		return RIO_BAD_LENGTH;

	switch (m->opcode) {
	case RIO_OP_HELLO:
		if (m->status == RIO_S_OK &&
		    m->length != sizeof(struct rio_hello))
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_BAD_ARG : RIO_OK;
	case RIO_OP_READ:
	case RIO_OP_PING:
		if (m->length > RIO_MAX_PAYLOAD)
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_BAD_ARG : RIO_OK;
	case RIO_OP_WRITE:
		if (m->length)
			return RIO_BAD_LENGTH;
		return m->arg > RIO_MAX_PAYLOAD ? RIO_BAD_ARG : RIO_OK;
	case RIO_OP_IOCTL:
		if (m->length > RIO_MAX_IOCTL)
			return RIO_BAD_LENGTH;
		return m->arg ? RIO_BAD_ARG : RIO_OK;
	}
	return RIO_BAD_OPCODE;
}

/**
 * rio_decode() - validate a wire header and convert it to host order
 * @hdr: header as received
 * @dir: RIO_DIR_REQUEST on the server, RIO_DIR_RESPONSE on the client
 * @msg: filled with the decoded fields, also when the header is rejected
 *	(so the caller can log them)
 *
 * Checks every field before the caller allocates or copies anything: magic,
 * version, opcode, flags, the direction, tag, status, length against the
 * protocol's fixed maxima and the per-opcode rules of docs/protocol.md.
 *
 * Return: RIO_OK (0) or an enum rio_bad reason (positive).
 */
int rio_decode(const struct rio_hdr *hdr, enum rio_dir dir, struct rio_msg *msg)
{
	int resp;

	msg->opcode = hdr->opcode;
	msg->flags = be16_to_cpu(hdr->flags);
	msg->tag = be32_to_cpu(hdr->tag);
	msg->status = be32_to_cpu(hdr->status);
	msg->ioctl = be32_to_cpu(hdr->ioctl);
	msg->arg = be32_to_cpu(hdr->arg);
	msg->length = be32_to_cpu(hdr->length);
	msg->room = be32_to_cpu(hdr->room);

	if (be32_to_cpu(hdr->magic) != RIO_MAGIC)
		return RIO_BAD_MAGIC;
	if (hdr->version != RIO_VERSION)
		return RIO_BAD_VERSION;
	if (!msg->opcode || msg->opcode >= RIO_OP_MAX)
		return RIO_BAD_OPCODE;
	if (msg->flags & ~RIO_F_MASK)
		return RIO_BAD_FLAGS;
	/* Only a response reports room; the client checks it is granted. */
	if (msg->room && !(msg->flags & RIO_F_RESPONSE))
		return RIO_BAD_ROOM;
	resp = msg->flags & RIO_F_RESPONSE;
	if (dir == RIO_DIR_REQUEST ? resp : !resp)
		return RIO_BAD_DIRECTION;

	if (dir == RIO_DIR_REQUEST)
		return rio_check_request(msg);
	return rio_check_response(msg);
}
EXPORT_SYMBOL_NS_GPL(rio_decode, TOASTER_RIO);

/**
 * rio_check_reply() - check that a response fits the request it answers
 * @req: the request, as sent
 * @resp: its response, already accepted by rio_decode()
 *
 * A response never carries more than was asked: a READ no more bytes than
 * requested; a successful WRITE accepts at least one byte and no more than
 * were sent; an IOCTL answers its own command number and, on success,
 * exactly the argument size asked for; a PING echoes exactly.
 *
 * Return: RIO_OK (0) or RIO_BAD_MISMATCH.
 */
int rio_check_reply(const struct rio_msg *req, const struct rio_msg *resp)
{
	if (req->opcode != resp->opcode || req->tag != resp->tag)
		return RIO_BAD_MISMATCH;
	if (req->opcode == RIO_OP_IOCTL && resp->ioctl != req->ioctl)
		return RIO_BAD_MISMATCH;
	if (resp->status != RIO_S_OK)
		return RIO_OK;

	switch (req->opcode) {
	case RIO_OP_READ:
		return resp->length <= req->arg ? RIO_OK : RIO_BAD_MISMATCH;
	case RIO_OP_WRITE:
		if (!resp->arg || resp->arg > req->length)
			return RIO_BAD_MISMATCH;
		return RIO_OK;
	case RIO_OP_IOCTL:
		return resp->length == req->arg ? RIO_OK : RIO_BAD_MISMATCH;
	case RIO_OP_PING:
		return resp->length == req->length ? RIO_OK : RIO_BAD_MISMATCH;
	case RIO_OP_HELLO:
		return RIO_OK;
	}
	return RIO_BAD_MISMATCH;
}
EXPORT_SYMBOL_NS_GPL(rio_check_reply, TOASTER_RIO);

/**
 * rio_hello_encode() - fill a HELLO payload
 * @h: payload to fill
 * @info: capabilities and limits to announce
 */
void rio_hello_encode(struct rio_hello *h, const struct rio_hello_info *info)
{
	h->caps = cpu_to_be32(info->caps);
	h->max_payload = cpu_to_be32(info->max_payload);
	h->max_inflight = cpu_to_be32(info->max_inflight);
	h->wait_ms = cpu_to_be32(info->wait_ms);
	h->keepalive_ms = cpu_to_be32(info->keepalive_ms);
	h->resume_ms = cpu_to_be32(info->resume_ms);
	memcpy(h->session, info->session, RIO_SESSION_LEN);
}
EXPORT_SYMBOL_NS_GPL(rio_hello_encode, TOASTER_RIO);

/**
 * rio_hello_decode() - validate and decode a HELLO payload
 * @h: payload as received
 * @info: out: the decoded fields
 *
 * Return: RIO_OK (0) or an enum rio_bad reason.
 */
int rio_hello_decode(const struct rio_hello *h, struct rio_hello_info *info)
{
	info->caps = be32_to_cpu(h->caps);
	info->max_payload = be32_to_cpu(h->max_payload);
	info->max_inflight = be32_to_cpu(h->max_inflight);
	info->wait_ms = be32_to_cpu(h->wait_ms);
	info->keepalive_ms = be32_to_cpu(h->keepalive_ms);
	info->resume_ms = be32_to_cpu(h->resume_ms);
	memcpy(info->session, h->session, RIO_SESSION_LEN);

	if (info->caps & ~RIO_CAP_MASK)
		return RIO_BAD_ARG;
	if (info->max_payload < 1 || info->max_payload > RIO_MAX_PAYLOAD ||
	    info->max_inflight < 1 || info->wait_ms < 1 ||
	    info->keepalive_ms > RIO_MAX_KEEPALIVE_MS ||
	    info->resume_ms > RIO_MAX_RESUME_MS)
		return RIO_BAD_ARG;
	/* A session is only spoken of when it was offered or granted. */
	if (!(info->caps & RIO_CAP_SESSION) &&
	    (info->resume_ms || !rio_session_none(info->session)))
		return RIO_BAD_ARG;
	return RIO_OK;
}
EXPORT_SYMBOL_NS_GPL(rio_hello_decode, TOASTER_RIO);

/**
 * rio_session_none() - is this session id all zero, i.e. no session?
 * @id: RIO_SESSION_LEN bytes
 *
 * Return: 1 if every byte is 0, else 0.
 */
int rio_session_none(const __u8 *id)
{
	unsigned int i;
	__u8 acc = 0;

	for (i = 0; i < RIO_SESSION_LEN; i++)
		acc |= id[i];
	return !acc;
}
EXPORT_SYMBOL_NS_GPL(rio_session_none, TOASTER_RIO);

/**
 * rio_args_to_wire() - encode an IOCTL argument for the wire
 * @wire: out: @len bytes, big-endian words
 * @host: the argument struct, made only of words of @word bytes
 * @len: its size, a multiple of @word
 * @word: 4 (__u32 fields) or 8 (__u64 fields)
 *
 * IOCTL arguments travel as arrays of big-endian words, so the uapi structs
 * (all __u32 or all __u64, explicitly padded) mean the same on every host.
 */
void rio_args_to_wire(void *wire, const void *host, __u32 len, __u32 word)
{
	__u32 i;

	for (i = 0; i < len / word; i++) {
		if (word == 8)
			((__be64 *)wire)[i] = cpu_to_be64(((const __u64 *)host)[i]);
		else
			((__be32 *)wire)[i] = cpu_to_be32(((const __u32 *)host)[i]);
	}
}
EXPORT_SYMBOL_NS_GPL(rio_args_to_wire, TOASTER_RIO);

/**
 * rio_args_from_wire() - decode an IOCTL argument from the wire
 * @host: out: the argument struct
 * @wire: @len bytes of big-endian words
 * @len: size, a multiple of @word
 * @word: 4 or 8, as in rio_args_to_wire()
 */
void rio_args_from_wire(void *host, const void *wire, __u32 len, __u32 word)
{
	__u32 i;

	for (i = 0; i < len / word; i++) {
		if (word == 8)
			((__u64 *)host)[i] = be64_to_cpu(((const __be64 *)wire)[i]);
		else
			((__u32 *)host)[i] = be32_to_cpu(((const __be32 *)wire)[i]);
	}
}
EXPORT_SYMBOL_NS_GPL(rio_args_from_wire, TOASTER_RIO);

static const char * const rio_bad_names[RIO_BAD_MAX] = {
	[RIO_OK]		= "ok",
	[RIO_BAD_MAGIC]		= "bad magic",
	[RIO_BAD_VERSION]	= "unsupported version",
	[RIO_BAD_OPCODE]	= "unknown opcode",
	[RIO_BAD_FLAGS]		= "bad flags",
	[RIO_BAD_DIRECTION]	= "opcode not allowed in this direction",
	[RIO_BAD_TAG]		= "bad tag",
	[RIO_BAD_STATUS]	= "bad status",
	[RIO_BAD_LENGTH]	= "bad payload length",
	[RIO_BAD_ARG]		= "bad argument",
	[RIO_BAD_IOCTL]		= "bad ioctl field",
	[RIO_BAD_ROOM]		= "room set in a request",
	[RIO_BAD_MISMATCH]	= "response does not match its request",
};

/**
 * rio_bad_str() - human-readable reason for an enum rio_bad value
 * @bad: value returned by rio_decode() and friends
 *
 * Return: a static string, never NULL.
 */
const char *rio_bad_str(int bad)
{
	if (bad < 0 || bad >= RIO_BAD_MAX)
		return "invalid reason";
	return rio_bad_names[bad];
}
EXPORT_SYMBOL_NS_GPL(rio_bad_str, TOASTER_RIO);

static const char * const rio_op_names[RIO_OP_MAX] = {
	[RIO_OP_HELLO]	= "HELLO",
	[RIO_OP_READ]	= "READ",
	[RIO_OP_WRITE]	= "WRITE",
	[RIO_OP_IOCTL]	= "IOCTL",
	[RIO_OP_PING]	= "PING",
	[RIO_OP_CANCEL]	= "CANCEL",
	[RIO_OP_BYE]	= "BYE",
	[RIO_OP_NOTIFY]	= "NOTIFY",
	[RIO_OP_AUTH]	= "AUTH",
};

/**
 * rio_op_str() - name of an opcode
 * @opcode: any value
 *
 * Return: a static string, "?" for an unknown opcode.
 */
const char *rio_op_str(unsigned int opcode)
{
	if (!opcode || opcode >= RIO_OP_MAX)
		return "?";
	return rio_op_names[opcode];
}
EXPORT_SYMBOL_NS_GPL(rio_op_str, TOASTER_RIO);

static const char * const rio_status_names[RIO_S_MAX] = {
	[RIO_S_OK]		= "OK",
	[RIO_S_INVAL]		= "INVAL",
	[RIO_S_AGAIN]		= "AGAIN",
	[RIO_S_BUSY]		= "BUSY",
	[RIO_S_CANCELED]	= "CANCELED",
	[RIO_S_NOTTY]		= "NOTTY",
	[RIO_S_PROTO]		= "PROTO",
	[RIO_S_NOMEM]		= "NOMEM",
	[RIO_S_NODEV]		= "NODEV",
	[RIO_S_VERSION]		= "VERSION",
	[RIO_S_MSGSIZE]		= "MSGSIZE",
	[RIO_S_IO]		= "IO",
	[RIO_S_SHUTDOWN]	= "SHUTDOWN",
	[RIO_S_STALE]		= "STALE",
	[RIO_S_ACCESS]		= "ACCESS",
	[RIO_S_KEYREJECTED]	= "KEYREJECTED",
};

/**
 * rio_status_str() - name of a RIO status
 * @status: enum rio_status from the wire, any value
 *
 * Return: a static string, the name of the code without its RIO_S_ prefix
 * ("OK", "AGAIN", "BUSY", ...); "?" for an unknown status. Never NULL.
 */
const char *rio_status_str(__u32 status)
{
	if (status >= RIO_S_MAX || !rio_status_names[status])
		return "?";
	return rio_status_names[status];
}
EXPORT_SYMBOL_NS_GPL(rio_status_str, TOASTER_RIO);

static const int rio_errnos[RIO_S_MAX] = {
	[RIO_S_OK]	 = 0,
	[RIO_S_INVAL]	 = EINVAL,
	[RIO_S_AGAIN]	 = EAGAIN,
	[RIO_S_BUSY]	 = EBUSY,
	[RIO_S_CANCELED] = ECANCELED,
	[RIO_S_NOTTY]	 = ENOTTY,
	[RIO_S_PROTO]	 = EPROTO,
	[RIO_S_NOMEM]	 = ENOMEM,
	[RIO_S_NODEV]	 = ENODEV,
	[RIO_S_VERSION]	 = EPROTONOSUPPORT,
	[RIO_S_MSGSIZE]	 = EMSGSIZE,
	[RIO_S_IO]	 = EIO,
	[RIO_S_SHUTDOWN] = ESHUTDOWN,
	[RIO_S_STALE]	 = ESTALE,
	[RIO_S_ACCESS]	 = EACCES,
	[RIO_S_KEYREJECTED] = EKEYREJECTED,
};

/**
 * rio_status_to_errno() - map a RIO status to a negative errno
 * @status: enum rio_status from the wire
 *
 * Return: 0 for RIO_S_OK, else a negative errno (-EIO for unknown codes).
 */
int rio_status_to_errno(__u32 status)
{
	if (status >= RIO_S_MAX)
		return -EIO;
	return -rio_errnos[status];
}
EXPORT_SYMBOL_NS_GPL(rio_status_to_errno, TOASTER_RIO);

/**
 * rio_errno_to_status() - map an errno to a RIO status
 * @err: errno, negative or positive; 0 for success
 *
 * Return: the enum rio_status; errnos without a code of their own map to
 * RIO_S_IO.
 */
__u32 rio_errno_to_status(int err)
{
	__u32 s;

	for (s = 0; s < RIO_S_MAX; s++)
		if (rio_errnos[s] == err || -rio_errnos[s] == err)
			return s;
	return RIO_S_IO;
}
EXPORT_SYMBOL_NS_GPL(rio_errno_to_status, TOASTER_RIO);
