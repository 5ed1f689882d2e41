// SPDX-License-Identifier: GPL-2.0
/*
 * riopeer: requests and responses. The table of requests sent and not
 * answered yet; sending a request (checked with the codec first); receiving
 * the server's frames, checking each response against its request and the
 * expectations given on the command line, and printing it; waiting for
 * responses.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/toaster.h>

#include "riopeer.h"

struct pending *find_pending(struct riopeer *rp, __u32 tag)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++)
		if (rp->pending[i].used && rp->pending[i].req.tag == tag)
			return &rp->pending[i];
	return NULL;
}

static bool any_pending(const struct riopeer *rp)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++)
		if (rp->pending[i].used)
			return true;
	return false;
}

/* A new entry for @req, expecting status OK and any length. */
struct pending *add_pending(struct riopeer *rp, const struct rio_msg *req)
{
	struct pending *p;
	size_t i;

	for (i = 0; i < MAX_PENDING; i++) {
		p = &rp->pending[i];
		if (!p->used) {
			memset(p, 0, sizeof(*p));
			p->used = true;
			p->req = *req;
			p->expect = 1U << RIO_S_OK;
			p->expect_length = -1;
			clock_gettime(CLOCK_MONOTONIC, &p->sent);
			return p;
		}
	}
	die("more than %d requests outstanding", MAX_PENDING);
}

static void free_pending(struct pending *p)
{
	free(p->payload);
	memset(p, 0, sizeof(*p));
}

/* Forget every outstanding request. */
void drop_pending(struct riopeer *rp)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++)
		free_pending(&rp->pending[i]);
}

/* ---- printing ---- */

const char *mask_str(__u32 mask)
{
	switch (mask & RIO_READY_MASK) {
	case RIO_READY_IN | RIO_READY_OUT:
		return "IN|OUT";
	case RIO_READY_IN:
		return "IN";
	case RIO_READY_OUT:
		return "OUT";
	}
	return "0";
}

/* Print a set of statuses (bit per enum rio_status), e.g. "OK,AGAIN". */
void print_status_set(FILE *f, unsigned int set)
{
	const char *sep = "";
	__u32 st;

	if (set == EXPECT_ANY) {
		fputs("any", f);
		return;
	}
	for (st = 0; st < RIO_S_MAX; st++) {
		if (set & (1U << st)) {
			fprintf(f, "%s%s", sep, rio_status_str(st));
			sep = ",";
		}
	}
}

/* Print @len bytes as a C-like string, at most 64 of them. */
static void print_data(const unsigned char *p, size_t len)
{
	size_t i, n = len > 64 ? 64 : len;

	putchar('"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	putchar('"');
	if (n < len)
		fputs("...", stdout);
}

/* Print every header field of @m, for -v and for rejected frames. */
void print_msg(const char *prefix, const struct rio_msg *m)
{
	printf("%s%s tag=%u flags=0x%x status=%u ioctl=%u arg=%u length=%u room=%u\n",
	       prefix, rio_op_str(m->opcode), m->tag, m->flags, m->status,
	       m->ioctl, m->arg, m->length, m->room);
}

static void print_hello(const struct rio_hello_info *hi)
{
	static const char * const names[] = { "NOTIFY", "CREDIT", "SESSION" };
	const char *sep = "";
	unsigned int i;

	printf(" caps=");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (hi->caps & (1U << i)) {
			printf("%s%s", sep, names[i]);
			sep = "|";
		}
	}
	if (!*sep)
		printf("0");
	printf(" max_payload=%u max_inflight=%u wait_ms=%u", hi->max_payload,
	       hi->max_inflight, hi->wait_ms);
	if (hi->keepalive_ms)
		printf(" keepalive_ms=%u", hi->keepalive_ms);
	if (hi->caps & RIO_CAP_SESSION) {
		printf(" resume_ms=%u session=", hi->resume_ms);
		for (i = 0; i < RIO_SESSION_LEN; i++)
			printf("%02x", hi->session[i]);
	}
}

/* " name=value" of a field of a decoded IOCTL argument struct. */
#define PRINT_U32(s, f)	printf(" " #f "=%u", (s).f)
#define PRINT_U64(s, f)	printf(" " #f "=%llu", (unsigned long long)(s).f)

/* Print an IOCTL result: the uapi struct if known, else the bytes in hex. */
static void print_ioctl(__u32 nr, const unsigned char *p, __u32 len)
{
	struct toaster_counters c;
	struct toaster_status st;
	__u32 i;

	if (nr == TOASTER_IOC_NR_STATUS && len == sizeof(st)) {
		rio_args_from_wire(&st, p, sizeof(st), sizeof(__u32));
		PRINT_U32(st, state);
		PRINT_U32(st, darkness);
		PRINT_U32(st, bytes);
		PRINT_U32(st, ready);
		PRINT_U32(st, capacity);
		PRINT_U32(st, flags);
		PRINT_U32(st, serial);
		PRINT_U32(st, reserved);
		return;
	}
	if (nr == TOASTER_IOC_NR_COUNTERS && len == sizeof(c)) {
		rio_args_from_wire(&c, p, sizeof(c), sizeof(__u64));
		PRINT_U64(c, bytes_written);
		PRINT_U64(c, bytes_read);
		PRINT_U64(c, bytes_dropped);
		PRINT_U64(c, requests);
		PRINT_U64(c, connections);
		PRINT_U64(c, cancelled);
		return;
	}
	if (len)
		fputs(" data=", stdout);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
}

/* ---- responses ---- */

/* Check and print one response to @p; @m and rp->rxbuf hold it. */
static void handle_response(struct riopeer *rp, struct pending *p,
			    const struct rio_msg *m)
{
	const struct rio_msg *req = &p->req;
	const char *op = rio_op_str(req->opcode);
	const unsigned char *data = rp->rxbuf;
	struct rio_hello_info hi;
	struct rio_hello h;
	struct timespec ts;
	long long rtt_us;
	int bad;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	rtt_us = (ts.tv_sec - p->sent.tv_sec) * 1000000LL +
		 (ts.tv_nsec - p->sent.tv_nsec) / 1000;

	bad = rio_check_reply(req, m);
	if (bad) {
		print_msg("! ", m);
		die("%s tag=%u: response does not fit its request (%s)", op,
		    req->tag, rio_bad_str(bad));
	}

	printf("%s tag=%u status=%s", op, m->tag, rio_status_str(m->status));
	if (m->status == RIO_S_OK) {
		switch (m->opcode) {
		case RIO_OP_HELLO:
			memcpy(&h, data, sizeof(h));
			bad = rio_hello_decode(&h, &hi);
			print_hello(&hi);
			if (bad) {
				putchar('\n');
				die("HELLO tag=%u: bad HELLO payload (%s)", m->tag,
				    rio_bad_str(bad));
			}
			break;
		case RIO_OP_READ:
			printf(" length=%u", m->length);
			if (m->length) {
				fputs(" data=", stdout);
				print_data(data, m->length);
			} else {
				fputs(" eof", stdout);
			}
			break;
		case RIO_OP_WRITE:
			printf(" accepted=%u", m->arg);
			break;
		case RIO_OP_IOCTL:
			printf(" nr=%u length=%u", m->ioctl, m->length);
			print_ioctl(m->ioctl, data, m->length);
			break;
		case RIO_OP_PING:
			printf(" length=%u", m->length);
			break;
		}
	}
	/* The slot's room, reported to a client granted RIO_CAP_CREDIT. */
	if (m->room)
		printf(" room=%u", m->room);
	printf(" rtt_us=%lld\n", rtt_us);

	if (!(p->expect & (1U << m->status))) {
		fflush(stdout);
		fprintf(stderr, "riopeer: %s tag=%u: status %s, expected ", op,
			m->tag, rio_status_str(m->status));
		print_status_set(stderr, p->expect);
		fputc('\n', stderr);
		exit(1);
	}
	if (m->status != RIO_S_OK)
		return;

	/* Protocol rules beyond the header: docs/protocol.md. */
	if (m->opcode == RIO_OP_WRITE && m->arg < 1)
		die("WRITE tag=%u: status OK but 0 bytes accepted", m->tag);
	if (m->opcode == RIO_OP_IOCTL && m->length != req->arg)
		die("IOCTL tag=%u: %u bytes back, %u asked for", m->tag,
		    m->length, req->arg);
	if (m->opcode == RIO_OP_PING && p->payload &&
	    memcmp(p->payload, data, m->length))
		die("PING tag=%u: echo differs from the payload sent", m->tag);
	if (p->expect_length >= 0) {
		__u32 got = m->opcode == RIO_OP_WRITE ? m->arg : m->length;

		if (got != (__u32)p->expect_length)
			die("%s tag=%u: %s %u, expected %ld", op, m->tag,
			    m->opcode == RIO_OP_WRITE ? "accepted" : "length",
			    got, p->expect_length);
	}
	if (p->expect_data &&
	    (m->length != strlen(p->expect_data) ||
	     memcmp(data, p->expect_data, m->length)))
		die("%s tag=%u: data differs from \"%s\"", op, m->tag,
		    p->expect_data);
}

/*
 * Receive and handle one frame before @deadline.
 * Returns 1 after a frame, 0 when the server closed, -1 on timeout.
 */
int recv_one(struct riopeer *rp, long long deadline)
{
	struct rio_hdr hdr;
	struct rio_msg m;
	struct pending *p;
	int r, bad;

	if (rp->closed)
		return 0;
	r = recv_all(rp, &hdr, sizeof(hdr), deadline);
	if (r <= 0) {
		if (r == 0)
			rp->closed = true;
		return r;
	}
	bad = rio_decode(&hdr, RIO_DIR_RESPONSE, &m);
	if (bad) {
		print_msg("! ", &m);
		die("invalid frame from the server: %s", rio_bad_str(bad));
	}
	if (m.length &&
	    recv_all(rp, rp->rxbuf, m.length, deadline + rp->timeout_ms) != 1)
		die("%s tag=%u: payload of %u bytes missing", rio_op_str(m.opcode),
		    m.tag, m.length);
	if (rp->verbose)
		print_msg("< ", &m);

	if (m.opcode == RIO_OP_NOTIFY) {
		printf("NOTIFY mask=%s\n", mask_str(m.arg));
		rp->notify_mask = m.arg;
		return 1;
	}
	p = find_pending(rp, m.tag);
	if (!p) {
		print_msg("! ", &m);
		die("%s response with tag %u, which is not outstanding",
		    rio_op_str(m.opcode), m.tag);
	}
	if (p->raw) {
		/* An answer to a malformed frame: shown, never judged. */
		printf("%s tag=%u status=%s (answer to a malformed frame)\n",
		       rio_op_str(m.opcode), m.tag, rio_status_str(m.status));
	} else {
		handle_response(rp, p, &m);
	}
	free_pending(p);
	return 1;
}

/* Handle frames until the request tagged @tag (0: every one) is answered. */
void wait_for(struct riopeer *rp, __u32 tag)
{
	long long deadline = now_ms() + rp->timeout_ms;
	struct pending *p;
	int r;

	if (rp->dry_run)
		return;
	for (;;) {
		p = tag ? find_pending(rp, tag) : NULL;
		if (tag ? !p : !any_pending(rp))
			return;
		if (!p) {
			size_t i;

			for (i = 0; i < MAX_PENDING && !rp->pending[i].used; i++)
				;
			p = &rp->pending[i];
		}
		r = recv_one(rp, deadline);
		if (r == 0)
			die("%s tag=%u: connection closed by the server before the response",
			    rio_op_str(p->req.opcode), p->req.tag);
		if (r < 0)
			die("%s tag=%u: no response within %d ms",
			    rio_op_str(p->req.opcode), p->req.tag, rp->timeout_ms);
	}
}

/* ---- requests ---- */

/* Parse the modifiers following a request's arguments. */
void parse_mods(int argc, char **argv, int *i, struct mods *md)
{
	const char *a;

	memset(md, 0, sizeof(*md));
	md->expect = 1U << RIO_S_OK;
	md->expect_length = -1;
	while (*i < argc) {
		a = argv[*i];
		if (!strcmp(a, "nonblock") || !strcmp(a, "--nonblock")) {
			md->nonblock = true;
		} else if (!strcmp(a, "async") || !strcmp(a, "--async")) {
			md->async = true;
		} else if (!strcmp(a, "--tag")) {
			md->has_tag = true;
			md->tag = parse_u32(argv[++*i], "tag");
		} else if (!strcmp(a, "--expect-status")) {
			md->expect = parse_status_list(argv[++*i]);
		} else if (!strcmp(a, "--expect-length")) {
			md->expect_length = parse_u32(argv[++*i], "length");
		} else if (!strcmp(a, "--expect-data")) {
			md->expect_data = argv[++*i];
			if (!md->expect_data)
				usage_error("--expect-data needs a value");
		} else if (!strncmp(a, "--", 2)) {
			usage_error("unknown modifier '%s'", a);
		} else {
			break;
		}
		++*i;
	}
}

/* Send one well-formed request and, unless async, wait for its answer. */
void request(struct riopeer *rp, struct rio_msg *m, const void *payload,
	     const struct mods *md)
{
	struct rio_hdr hdr;
	struct rio_msg chk;
	struct pending *p;
	int bad;

	m->tag = md->has_tag ? md->tag : rp->next_tag++;
	if (md->nonblock)
		m->flags |= RIO_F_NONBLOCK;
	rio_encode(&hdr, m);
	bad = rio_decode(&hdr, RIO_DIR_REQUEST, &chk);
	if (bad)
		usage_error("%s tag=%u would be malformed: %s (use raw-bad for that)",
			    rio_op_str(m->opcode), m->tag, rio_bad_str(bad));
	rp->last_tag = m->tag;
	if (rp->dry_run)
		return;
	if (find_pending(rp, m->tag))
		usage_error("tag %u is still outstanding (use raw-bad dup-tag)", m->tag);

	p = add_pending(rp, m);
	p->expect = md->expect;
	p->expect_length = md->expect_length;
	p->expect_data = md->expect_data;
	if (m->opcode == RIO_OP_PING && m->length) {
		p->payload = malloc(m->length);
		if (!p->payload)
			die("out of memory");
		memcpy(p->payload, payload, m->length);
	}
	if (rp->verbose)
		print_msg("> ", m);
	send_frame(rp, &hdr, payload, m->length, false);
	if (!md->async)
		wait_for(rp, m->tag);
}

/* Send a frame that gets no response (CANCEL, BYE). */
void oneway(struct riopeer *rp, const struct rio_msg *m)
{
	struct rio_hdr hdr;
	struct rio_msg chk;
	int bad;

	rio_encode(&hdr, m);
	bad = rio_decode(&hdr, RIO_DIR_REQUEST, &chk);
	if (bad)
		usage_error("%s would be malformed: %s", rio_op_str(m->opcode),
			    rio_bad_str(bad));
	if (rp->dry_run)
		return;
	if (rp->verbose)
		print_msg("> ", m);
	send_frame(rp, &hdr, NULL, 0, false);
}
