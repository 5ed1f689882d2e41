// SPDX-License-Identifier: GPL-2.0
/*
 * riopeer: raw-bad, deliberately malformed frames. Each KIND is checked
 * against the codec before it is sent (rio_decode() or rio_hello_decode()
 * must reject it for the stated reason); answers to it are printed but
 * never judged. Also the list of KINDs for --help.
 */
#include <arpa/inet.h>
#include <string.h>

#include <linux/toaster.h>

#include "riopeer.h"

enum raw_patch {
	RAW_NONE,
	RAW_MAGIC,
	RAW_VERSION,
	RAW_OPCODE,
};

/* A malformed frame: @msg is encoded, then @patch applied. */
struct raw_kind {
	const char *name;
	const char *help;
	struct rio_msg msg;	/* tag 1 means "the next free tag" */
	enum raw_patch patch;
	__u32 value;		/* for the patch */
	int bad;		/* what rio_decode() must say */
	bool serial;		/* arg = the serial of `hello` */
};

#define RAW_PING	.opcode = RIO_OP_PING, .tag = 1
#define RAW_UNKNOWN_FLAG (0x8000 & ~RIO_F_MASK)

static const struct raw_kind raw_kinds[] = {
	{ .name = "magic", .help = "PING with a wrong magic",
	  .msg = { RAW_PING }, .patch = RAW_MAGIC, .bad = RIO_BAD_MAGIC },
	{ .name = "version", .help = "PING with version + 1",
	  .msg = { RAW_PING }, .patch = RAW_VERSION, .value = RIO_VERSION + 1,
	  .bad = RIO_BAD_VERSION },
	{ .name = "opcode", .help = "opcode RIO_OP_MAX",
	  .msg = { RAW_PING }, .patch = RAW_OPCODE, .value = RIO_OP_MAX,
	  .bad = RIO_BAD_OPCODE },
	{ .name = "opcode0", .help = "opcode 0",
	  .msg = { RAW_PING }, .patch = RAW_OPCODE, .value = 0,
	  .bad = RIO_BAD_OPCODE },
	{ .name = "flags", .help = "PING with an unknown flag bit",
	  .msg = { RAW_PING, .flags = RAW_UNKNOWN_FLAG }, .bad = RIO_BAD_FLAGS },
	{ .name = "nonblock", .help = "PING with RIO_F_NONBLOCK",
	  .msg = { RAW_PING, .flags = RIO_F_NONBLOCK }, .bad = RIO_BAD_FLAGS },
	{ .name = "room", .help = "PING request with room = 1",
	  .msg = { RAW_PING, .room = 1 }, .bad = RIO_BAD_ROOM },
	{ .name = "response-flag", .help = "PING request with RIO_F_RESPONSE",
	  .msg = { RAW_PING, .flags = RIO_F_RESPONSE }, .bad = RIO_BAD_DIRECTION },
	{ .name = "notify", .help = "NOTIFY sent by the client",
	  .msg = { .opcode = RIO_OP_NOTIFY }, .bad = RIO_BAD_DIRECTION },
	{ .name = "status", .help = "PING with a non-zero status",
	  .msg = { RAW_PING, .status = RIO_S_IO }, .bad = RIO_BAD_STATUS },
	{ .name = "tag0", .help = "PING with tag 0",
	  .msg = { .opcode = RIO_OP_PING }, .bad = RIO_BAD_TAG },
	{ .name = "cancel-tag", .help = "CANCEL with a non-zero tag",
	  .msg = { .opcode = RIO_OP_CANCEL, .tag = 1, .arg = 1 },
	  .bad = RIO_BAD_TAG },
	{ .name = "cancel-arg", .help = "CANCEL of tag 0",
	  .msg = { .opcode = RIO_OP_CANCEL }, .bad = RIO_BAD_ARG },
	{ .name = "bye-arg", .help = "BYE with a non-zero arg",
	  .msg = { .opcode = RIO_OP_BYE, .arg = 1 }, .bad = RIO_BAD_ARG },
	{ .name = "length",
	  .help = "PING header announcing RIO_MAX_PAYLOAD + 1 bytes (not sent)",
	  .msg = { RAW_PING, .length = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .name = "read-payload", .help = "READ carrying 4 payload bytes",
	  .msg = { .opcode = RIO_OP_READ, .tag = 1, .arg = 1, .length = 4 },
	  .bad = RIO_BAD_LENGTH },
	{ .name = "read-arg", .help = "READ of 0 bytes",
	  .msg = { .opcode = RIO_OP_READ, .tag = 1 }, .bad = RIO_BAD_ARG },
	{ .name = "read-big", .help = "READ of RIO_MAX_PAYLOAD + 1 bytes",
	  .msg = { .opcode = RIO_OP_READ, .tag = 1, .arg = RIO_MAX_PAYLOAD + 1 },
	  .bad = RIO_BAD_ARG },
	{ .name = "write-empty", .help = "WRITE of 0 bytes",
	  .msg = { .opcode = RIO_OP_WRITE, .tag = 1 }, .bad = RIO_BAD_LENGTH },
	{ .name = "ioctl-length", .help = "IOCTL with RIO_MAX_IOCTL + 1 payload bytes",
	  .msg = { .opcode = RIO_OP_IOCTL, .tag = 1,
		   .ioctl = TOASTER_IOC_NR_STATUS, .length = RIO_MAX_IOCTL + 1 },
	  .bad = RIO_BAD_LENGTH },
	{ .name = "ioctl-field", .help = "PING with a non-zero ioctl field",
	  .msg = { RAW_PING, .ioctl = TOASTER_IOC_NR_STATUS },
	  .bad = RIO_BAD_IOCTL },
	{ .name = "hello-length", .help = "HELLO with a 15-byte payload",
	  .msg = { .opcode = RIO_OP_HELLO, .tag = 1, .length = 15 },
	  .bad = RIO_BAD_LENGTH, .serial = true },
	{ .name = "hello-serial0", .help = "HELLO for serial 0",
	  .msg = { .opcode = RIO_OP_HELLO, .tag = 1,
		   .length = sizeof(struct rio_hello) },
	  .bad = RIO_BAD_ARG },
};

/* Send a header (+ @plen payload bytes) without judging the result. */
static void raw_send(struct riopeer *rp, const struct rio_hdr *hdr,
		     const void *payload, size_t plen)
{
	if (rp->dry_run)
		return;
	send_frame(rp, hdr, payload, plen, true);
}

/* Expect an answer (any status) to @m, unless its tag is 0 or taken. */
static void raw_register(struct riopeer *rp, const struct rio_msg *m)
{
	struct pending *p;

	if (rp->dry_run || !m->tag || find_pending(rp, m->tag))
		return;
	p = add_pending(rp, m);
	p->raw = true;
	p->expect = EXPECT_ANY;
	rp->last_tag = m->tag;
}

/* The serial of `hello` without an argument, or 1. */
static __u32 hello_serial(const struct riopeer *rp)
{
	if (rp->serial >= 0)
		return rp->serial;
	return rp->port > RIO_BASE_PORT ? rp->port - RIO_BASE_PORT : 1;
}

/* raw-bad kinds whose header is valid: wrong in context or in the payload. */
static bool raw_semantic(struct riopeer *rp, const char *kind)
{
	struct rio_msg m = { .opcode = RIO_OP_PING };
	struct rio_hello_info hi;
	struct rio_hello h;
	struct rio_hdr hdr;
	struct pending *p;
	int bad;

	if (!strcmp(kind, "before-hello")) {
		/* A valid PING: malformed only if no HELLO was done. */
		m.tag = rp->next_tag++;
		rio_encode(&hdr, &m);
		raw_register(rp, &m);
		raw_send(rp, &hdr, NULL, 0);
		return true;
	}
	if (!strcmp(kind, "second-hello")) {
		m.opcode = RIO_OP_HELLO;
		m.tag = rp->next_tag++;
		m.arg = hello_serial(rp);
		m.length = sizeof(h);
		hello_payload(rp, &h, &hi);
		rio_encode(&hdr, &m);
		raw_register(rp, &m);
		raw_send(rp, &hdr, &h, sizeof(h));
		return true;
	}
	if (!strcmp(kind, "dup-tag")) {
		/*
		 * A PING reusing the tag of the newest outstanding request:
		 * send that one async first, e.g. a blocking READ the server
		 * parks, so that it is still outstanding when this arrives.
		 */
		if (rp->dry_run)
			return true;
		p = rp->last_tag ? find_pending(rp, rp->last_tag) : NULL;
		if (!p)
			usage_error("raw-bad dup-tag: no outstanding request (send one with async first)");
		m.tag = p->req.tag;
		rio_encode(&hdr, &m);
		raw_send(rp, &hdr, NULL, 0);
		return true;
	}
	if (!strncmp(kind, "hello-", 6) && (!strcmp(kind + 6, "caps") ||
					     !strcmp(kind + 6, "wait0") ||
					     !strcmp(kind + 6, "maxpayload0") ||
					     !strcmp(kind + 6, "inflight0"))) {
		m.opcode = RIO_OP_HELLO;
		m.tag = rp->next_tag++;
		m.arg = hello_serial(rp);
		m.length = sizeof(h);
		hello_payload(rp, &h, &hi);
		if (!strcmp(kind + 6, "caps"))
			hi.caps = ~(__u32)RIO_CAP_MASK;
		else if (!strcmp(kind + 6, "wait0"))
			hi.wait_ms = 0;
		else if (!strcmp(kind + 6, "maxpayload0"))
			hi.max_payload = 0;
		else
			hi.max_inflight = 0;
		rio_hello_encode(&h, &hi);
		bad = rio_hello_decode(&h, &hi);
		if (bad != RIO_BAD_ARG)
			die("raw-bad %s: codec says '%s', not 'bad argument'",
			    kind, rio_bad_str(bad));
		rio_encode(&hdr, &m);
		raw_register(rp, &m);
		raw_send(rp, &hdr, &h, sizeof(h));
		return true;
	}
	return false;
}

void cmd_raw_bad(struct riopeer *rp, int argc, char **argv, int *i)
{
	static const unsigned char zeros[RIO_MAX_IOCTL + 1];
	const char *kind = argv[(*i)++];
	const struct raw_kind *k = NULL;
	struct rio_hdr hdr;
	struct rio_msg m, out;
	size_t j, plen;
	int bad;

	(void)argc;
	if (!kind)
		usage_error("raw-bad: missing KIND");
	if (rp->verbose)
		printf("> raw-bad %s\n", kind);
	if (!strcmp(kind, "truncated")) {
		/* Half a header, then end of file from our side. */
		struct rio_msg t = { .opcode = RIO_OP_PING, .tag = rp->next_tag++ };

		rio_encode(&hdr, &t);
		if (rp->dry_run)
			return;
		if (send_all(rp, &hdr, sizeof(hdr) / 2,
			     now_ms() + rp->timeout_ms, true) == 0)
			shutdown(rp->sock, SHUT_WR);
		return;
	}
	if (raw_semantic(rp, kind))
		return;

	for (j = 0; j < ARRAY_SIZE(raw_kinds); j++)
		if (!strcmp(kind, raw_kinds[j].name))
			k = &raw_kinds[j];
	if (!k)
		usage_error("raw-bad: unknown KIND '%s'", kind);

	m = k->msg;
	if (m.tag)
		m.tag = rp->next_tag++;
	if (k->serial)
		m.arg = hello_serial(rp);
	rio_encode(&hdr, &m);
	switch (k->patch) {
	case RAW_MAGIC:
		hdr.magic = ~hdr.magic;
		break;
	case RAW_VERSION:
		hdr.version = k->value;
		break;
	case RAW_OPCODE:
		hdr.opcode = k->value;
		break;
	case RAW_NONE:
		break;
	}
	bad = rio_decode(&hdr, RIO_DIR_REQUEST, &out);
	if (bad != k->bad)
		die("raw-bad %s: codec says '%s', expected '%s'", kind,
		    rio_bad_str(bad), rio_bad_str(k->bad));
	/* Send the payload the header announces, unless it is oversized. */
	plen = m.length <= sizeof(zeros) ? m.length : 0;
	if (m.opcode != RIO_OP_CANCEL && m.opcode != RIO_OP_BYE &&
	    m.opcode != RIO_OP_NOTIFY && k->patch != RAW_OPCODE)
		raw_register(rp, &m);
	raw_send(rp, &hdr, zeros, plen);
}

/* The KIND lines of --help, into @buf. */
void raw_kinds_help(char *buf, size_t size)
{
	static const char * const semantic[][2] = {
		{ "before-hello", "a valid PING (send it before hello)" },
		{ "second-hello", "a second, valid HELLO" },
		{ "dup-tag", "PING reusing the tag of the newest outstanding request\n"
		  "                        (send one with async first)" },
		{ "hello-caps", "HELLO with unknown capability bits" },
		{ "hello-wait0", "HELLO with wait_ms 0" },
		{ "hello-maxpayload0", "HELLO with max_payload 0" },
		{ "hello-inflight0", "HELLO with max_inflight 0" },
		{ "truncated", "half a header, then shutdown(SHUT_WR)" },
	};
	size_t j, n = 0;

	for (j = 0; j < ARRAY_SIZE(raw_kinds) && n < size; j++)
		n += snprintf(buf + n, size - n, "      %-17s %s\n",
			      raw_kinds[j].name, raw_kinds[j].help);
	for (j = 0; j < ARRAY_SIZE(semantic) && n < size; j++)
		n += snprintf(buf + n, size - n, "      %-17s %s\n",
			      semantic[j][0], semantic[j][1]);
}
