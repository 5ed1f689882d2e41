/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RIO, the remote toaster's wire protocol: the one definition of the frame
 * header, its constants and its validation. Shared by the kernel modules,
 * the userspace tools, the tests and the fuzzers; implemented in
 * module/rio/proto.c, which depends on nothing kernel-only.
 *
 * Every frame is a 32-byte header in network byte order followed by exactly
 * @length payload bytes. See docs/protocol.md.
 */
#ifndef _TOASTER_RIO_H
#define _TOASTER_RIO_H

#include <linux/types.h>

#define RIO_MAGIC		0x52494f21	/* "RIO!" */
#define RIO_VERSION		1
#define RIO_MAX_PAYLOAD		65536U	/* bytes per frame, READ/WRITE/PING */
#define RIO_MAX_IOCTL		128U	/* bytes of an IOCTL argument */
#define RIO_BASE_PORT		5000	/* toaster N listens on 5000 + N */
#define RIO_MAX_SERIAL		64
#define RIO_HELLO_TIMEOUT_MS	3000	/* server closes a silent connection */
#define RIO_SESSION_LEN		16	/* bytes of a session id */
#define RIO_MAX_KEEPALIVE_MS	600000	/* HELLO keepalive_ms at most */
#define RIO_MAX_RESUME_MS	3600000	/* HELLO resume_ms at most */

/**
 * struct rio_hdr - RIO frame header as it is on the wire (32 bytes)
 * @magic: RIO_MAGIC
 * @version: RIO_VERSION
 * @opcode: enum rio_opcode
 * @flags: RIO_F_*
 * @tag: request id chosen by the client, echoed in the response; 0 in
 *	frames that get no response (CANCEL, BYE, NOTIFY)
 * @status: enum rio_status in responses, 0 in requests
 * @ioctl: IOCTL command number (_IOC_NR of the uapi command), else 0
 * @arg: opcode-specific argument, see docs/protocol.md
 * @length: payload bytes following the header
 * @room: 0 in requests; in responses to a client granted RIO_CAP_CREDIT,
 *	the free bytes in the toaster's slot just after the request ran (the
 *	client's write credit, see docs/protocol.md), else 0
 */
struct rio_hdr {
	__be32 magic;
	__u8 version;
	__u8 opcode;
	__be16 flags;
	__be32 tag;
	__be32 status;
	__be32 ioctl;
	__be32 arg;
	__be32 length;
	__be32 room;
};

enum rio_opcode {
	RIO_OP_HELLO	= 1,	/* arg: serial; payload struct rio_hello */
	RIO_OP_READ	= 2,	/* arg: bytes wanted; response payload: toast */
	RIO_OP_WRITE	= 3,	/* payload: bread; response arg: bytes taken */
	RIO_OP_IOCTL	= 4,	/* ioctl: nr; arg: out size; payload: in */
	RIO_OP_PING	= 5,	/* payload echoed back */
	RIO_OP_CANCEL	= 6,	/* arg: tag to cancel; no response */
	RIO_OP_BYE	= 7,	/* no response; the server closes */
	RIO_OP_NOTIFY	= 8,	/* server to client only; arg: RIO_READY_* */
	RIO_OP_AUTH	= 9,	/* PSK handshake, before HELLO; arg: RIO_AUTH_* */
	RIO_OP_MAX
};

#define RIO_F_RESPONSE	0x0001	/* set in every server-to-client frame */
#define RIO_F_NONBLOCK	0x0002	/* READ/WRITE: answer RIO_S_AGAIN, don't wait */
#define RIO_F_RESUME	0x0004	/* HELLO request: resume the session named */
#define RIO_F_MASK	(RIO_F_RESPONSE | RIO_F_NONBLOCK | RIO_F_RESUME)

/* NOTIFY arg: readiness of the toaster, drives poll() on the client */
#define RIO_READY_IN	0x0001	/* READ would not wait: toast ready, or EOF */
#define RIO_READY_OUT	0x0002	/* WRITE would not wait: room in the slot */
#define RIO_READY_MASK	(RIO_READY_IN | RIO_READY_OUT)

/*
 * AUTH arg: the step of the PSK handshake (docs/protocol.md 7). The four
 * AUTH frames are the only ones sent in clear on a connection with a PSK;
 * their tag is 0 and each step has a payload of a fixed size.
 */
#define RIO_AUTH_NONCE_C	1	/* request: struct rio_auth_nonce */
#define RIO_AUTH_NONCE_S	2	/* response: struct rio_auth_nonce */
#define RIO_AUTH_PROOF_C	3	/* request: RIO_AUTH_MAC_LEN bytes */
#define RIO_AUTH_PROOF_S	4	/* response: RIO_AUTH_MAC_LEN bytes */
#define RIO_AUTH_NONCE_LEN	32
#define RIO_AUTH_MAC_LEN	32	/* HMAC-SHA256 */
#define RIO_AUTH_SUITE		1	/* HKDF-SHA256, ChaCha20-Poly1305 */

/**
 * struct rio_auth_nonce - AUTH payload of steps 1 and 2 (36 bytes)
 * @suite: RIO_AUTH_SUITE
 * @nonce: fresh random bytes of the sender
 */
struct rio_auth_nonce {
	__be32 suite;
	__u8 nonce[RIO_AUTH_NONCE_LEN];
};

/* HELLO capabilities */
#define RIO_CAP_NOTIFY	0x0001	/* the server sends NOTIFY frames */
#define RIO_CAP_CREDIT	0x0002	/* responses carry the slot's room */
#define RIO_CAP_SESSION	0x0004	/* a session survives its connection */
#define RIO_CAP_MASK	(RIO_CAP_NOTIFY | RIO_CAP_CREDIT | RIO_CAP_SESSION)

/**
 * struct rio_hello - HELLO payload, both directions (40 bytes)
 * @caps: RIO_CAP_* offered (request) or granted (response)
 * @max_payload: largest payload the sender accepts in one frame
 * @max_inflight: requests the sender accepts outstanding at once
 * @wait_ms: request: longest time (ms, >= 1) the server may park a blocking
 *	READ or WRITE before answering RIO_S_AGAIN, so that no wait of the
 *	client is unbounded; response: the value the server uses
 * @keepalive_ms: request: the client sends a frame at least that often
 *	(0: no promise); the server may close a connection silent for
 *	RIO_KEEPALIVE_MISSES + 1 times as long. Response: the value in use.
 * @resume_ms: with RIO_CAP_SESSION: request: how long the client wants its
 *	session kept after its connection dies; response: how long it is
 * @session: request: with RIO_F_RESUME, the session to resume; without,
 *	the id the client wants for its new session, which replaces a
 *	session of that id (zero: the server picks one). Response: the
 *	session's id, zero if RIO_CAP_SESSION was not granted
 */
struct rio_hello {
	__be32 caps;
	__be32 max_payload;
	__be32 max_inflight;
	__be32 wait_ms;
	__be32 keepalive_ms;
	__be32 resume_ms;
	__u8 session[RIO_SESSION_LEN];
};

/* Keepalives a peer may miss before the other side declares it dead. */
#define RIO_KEEPALIVE_MISSES	3

/* RIO's own status codes, mapped to and from errno on each side. */
enum rio_status {
	RIO_S_OK	= 0,
	RIO_S_INVAL	= 1,	/* EINVAL */
	RIO_S_AGAIN	= 2,	/* EAGAIN */
	RIO_S_BUSY	= 3,	/* EBUSY: toaster held by another client */
	RIO_S_CANCELED	= 4,	/* ECANCELED */
	RIO_S_NOTTY	= 5,	/* ENOTTY: unknown ioctl */
	RIO_S_PROTO	= 6,	/* EPROTO */
	RIO_S_NOMEM	= 7,	/* ENOMEM */
	RIO_S_NODEV	= 8,	/* ENODEV: no toaster with that serial here */
	RIO_S_VERSION	= 9,	/* EPROTONOSUPPORT */
	RIO_S_MSGSIZE	= 10,	/* EMSGSIZE */
	RIO_S_IO	= 11,	/* EIO, and any errno without its own code */
	RIO_S_SHUTDOWN	= 12,	/* ESHUTDOWN: the server is going away */
	RIO_S_STALE	= 13,	/* ESTALE: no such session (HELLO resume) */
	RIO_S_ACCESS	= 14,	/* EACCES: one side has a PSK, the other not */
	RIO_S_KEYREJECTED = 15,	/* EKEYREJECTED: the PSKs differ */
	RIO_S_MAX
};

/* Direction a frame travels, i.e. what the receiver expects. */
enum rio_dir {
	RIO_DIR_REQUEST,	/* client to server */
	RIO_DIR_RESPONSE,	/* server to client */
};

/* Why a header was rejected (0: valid). */
enum rio_bad {
	RIO_OK = 0,
	RIO_BAD_MAGIC,
	RIO_BAD_VERSION,
	RIO_BAD_OPCODE,
	RIO_BAD_FLAGS,
	RIO_BAD_DIRECTION,
	RIO_BAD_TAG,
	RIO_BAD_STATUS,
	RIO_BAD_LENGTH,
	RIO_BAD_ARG,
	RIO_BAD_IOCTL,
	RIO_BAD_ROOM,		/* room set in a request */
	RIO_BAD_MISMATCH,	/* response does not fit its request */
	RIO_BAD_MAX
};

/**
 * struct rio_msg - a decoded, validated header in host byte order
 * @opcode: enum rio_opcode
 * @flags: RIO_F_*
 * @tag: request id, 0 in frames that get no response
 * @status: enum rio_status
 * @ioctl: IOCTL command number
 * @arg: opcode-specific argument
 * @length: payload bytes following the header
 * @room: free room of the slot, in responses (see struct rio_hdr)
 */
struct rio_msg {
	__u8 opcode;
	__u16 flags;
	__u32 tag;
	__u32 status;
	__u32 ioctl;
	__u32 arg;
	__u32 length;
	__u32 room;
};

void rio_encode(struct rio_hdr *hdr, const struct rio_msg *msg);
int rio_decode(const struct rio_hdr *hdr, enum rio_dir dir, struct rio_msg *msg);
int rio_check_reply(const struct rio_msg *req, const struct rio_msg *resp);
/**
 * struct rio_hello_info - a HELLO payload in host byte order
 * @caps: RIO_CAP_* bits
 * @max_payload: largest payload per frame
 * @max_inflight: requests accepted outstanding
 * @wait_ms: longest park of a blocking request, see struct rio_hello
 * @keepalive_ms: see struct rio_hello
 * @resume_ms: see struct rio_hello
 * @session: see struct rio_hello
 */
struct rio_hello_info {
	__u32 caps;
	__u32 max_payload;
	__u32 max_inflight;
	__u32 wait_ms;
	__u32 keepalive_ms;
	__u32 resume_ms;
	__u8 session[RIO_SESSION_LEN];
};

void rio_hello_encode(struct rio_hello *h, const struct rio_hello_info *info);
int rio_hello_decode(const struct rio_hello *h, struct rio_hello_info *info);
int rio_session_none(const __u8 *id);
void rio_args_to_wire(void *wire, const void *host, __u32 len, __u32 word);
void rio_args_from_wire(void *host, const void *wire, __u32 len, __u32 word);
const char *rio_bad_str(int bad);
const char *rio_op_str(unsigned int opcode);
const char *rio_status_str(__u32 status);
int rio_status_to_errno(__u32 status);
__u32 rio_errno_to_status(int err);

#endif /* _TOASTER_RIO_H */
