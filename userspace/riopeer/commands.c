// SPDX-License-Identifier: GPL-2.0
/*
 * riopeer: the well-formed commands. Each cmd_* parses its own arguments
 * from argv[*i] on (advancing *i), then, unless this is the dry run that
 * checks the command line, sends its request or does its wait. Requests go
 * through request() in request.c; raw-bad is in raw.c.
 */
#include <errno.h>
#include <string.h>

#include <linux/toaster.h>

#include "riopeer.h"

static const struct {
	const char *name;
	__u32 nr;
} ioctl_names[] = {
	{ "status", TOASTER_IOC_NR_STATUS },
	{ "darkness", TOASTER_IOC_NR_SET_DARKNESS },
	{ "pop", TOASTER_IOC_NR_POP },
	{ "capacity", TOASTER_IOC_NR_SET_CAPACITY },
	{ "overwrite", TOASTER_IOC_NR_SET_OVERWRITE },
	{ "reset", TOASTER_IOC_NR_RESET },
	{ "counters", TOASTER_IOC_NR_COUNTERS },
};

static void fill_pattern(unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = 'a' + i % 26;
}

/*
 * The HELLO payload of the options: -w, --caps, --inflight,
 * --keepalive-ms, --resume-ms, --session.
 */
void hello_payload(const struct riopeer *rp, struct rio_hello *h,
		   struct rio_hello_info *hi)
{
	hi->caps = rp->hello_caps;
	hi->max_payload = RIO_MAX_PAYLOAD;
	hi->max_inflight = rp->hello_inflight;
	hi->wait_ms = rp->hello_wait_ms;
	hi->keepalive_ms = rp->hello_keepalive_ms;
	hi->resume_ms = rp->hello_resume_ms;
	memcpy(hi->session, rp->hello_session, RIO_SESSION_LEN);
	rio_hello_encode(h, hi);
}

void cmd_hello(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct rio_msg m = {
		.opcode = RIO_OP_HELLO,
		.flags = rp->hello_resume ? RIO_F_RESUME : 0,
	};
	struct rio_hello_info hi;
	struct rio_hello h;
	struct mods md;

	if (*i < argc && argv[*i][0] >= '0' && argv[*i][0] <= '9')
		m.arg = parse_u32(argv[(*i)++], "serial");
	else if (rp->serial >= 0)
		m.arg = rp->serial;
	else if (rp->port > RIO_BASE_PORT)
		m.arg = rp->port - RIO_BASE_PORT;
	else
		usage_error("hello: no serial (give one, or -n)");
	parse_mods(argc, argv, i, &md);
	hello_payload(rp, &h, &hi);
	m.length = sizeof(h);
	request(rp, &m, &h, &md);
}

void cmd_read(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_READ };
	struct mods md;

	m.arg = parse_u32(argv[(*i)++], "read size");
	parse_mods(argc, argv, i, &md);
	request(rp, &m, NULL, &md);
}

void cmd_write(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_WRITE };
	const char *text = argv[(*i)++];
	struct mods md;

	if (!text)
		usage_error("write: missing TEXT");
	m.length = strlen(text);
	parse_mods(argc, argv, i, &md);
	request(rp, &m, text, &md);
}

void cmd_write_bytes(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_WRITE };
	struct mods md;

	m.length = parse_u32(argv[(*i)++], "byte count");
	if (m.length > sizeof(rp->txbuf))
		usage_error("write-bytes: at most %zu bytes", sizeof(rp->txbuf));
	fill_pattern(rp->txbuf, m.length);
	parse_mods(argc, argv, i, &md);
	request(rp, &m, rp->txbuf, &md);
}

static void ioctl_request(struct riopeer *rp, __u32 nr, __u32 outsize,
			  const void *in, __u32 inlen, int argc, char **argv,
			  int *i)
{
	struct rio_msg m = {
		.opcode = RIO_OP_IOCTL, .ioctl = nr, .arg = outsize,
		.length = inlen,
	};
	struct mods md;

	parse_mods(argc, argv, i, &md);
	request(rp, &m, in, &md);
}

void cmd_ioctl(struct riopeer *rp, int argc, char **argv, int *i)
{
	__u32 val[RIO_MAX_IOCTL / sizeof(__u32)];
	__be32 in[RIO_MAX_IOCTL / sizeof(__be32)];
	const char *name = argv[(*i)++];
	__u32 nr, outsize, len = 0;
	size_t k;

	if (!name)
		usage_error("ioctl: missing NR");
	for (k = 0; k < ARRAY_SIZE(ioctl_names); k++)
		if (!strcmp(name, ioctl_names[k].name))
			break;
	nr = k < ARRAY_SIZE(ioctl_names) ? ioctl_names[k].nr :
	     parse_u32(name, "ioctl number");
	outsize = parse_u32(argv[(*i)++], "ioctl OUTSIZE");
	while (*i < argc && argv[*i][0] >= '0' && argv[*i][0] <= '9') {
		if (len + sizeof(__u32) > sizeof(in))
			usage_error("ioctl: payload over %zu bytes", sizeof(in));
		val[len / sizeof(__u32)] = parse_u32(argv[(*i)++], "ioctl value");
		len += sizeof(__u32);
	}
	rio_args_to_wire(in, val, len, sizeof(__u32));
	ioctl_request(rp, nr, outsize, in, len, argc, argv, i);
}

void cmd_ioctl_status(struct riopeer *rp, int argc, char **argv, int *i)
{
	ioctl_request(rp, TOASTER_IOC_NR_STATUS, sizeof(struct toaster_status),
		      NULL, 0, argc, argv, i);
}

void cmd_ioctl_counters(struct riopeer *rp, int argc, char **argv, int *i)
{
	ioctl_request(rp, TOASTER_IOC_NR_COUNTERS,
		      sizeof(struct toaster_counters), NULL, 0, argc, argv, i);
}

void cmd_ping(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_PING, .length = 16 };
	struct mods md;

	if (*i < argc && argv[*i][0] >= '0' && argv[*i][0] <= '9')
		m.length = parse_u32(argv[(*i)++], "ping size");
	if (m.length > sizeof(rp->txbuf))
		usage_error("ping: at most %zu bytes", sizeof(rp->txbuf));
	fill_pattern(rp->txbuf, m.length);
	parse_mods(argc, argv, i, &md);
	request(rp, &m, rp->txbuf, &md);
}

/* A tag given on the command line, or `last`: the newest request's. */
static __u32 parse_tag_ref(const struct riopeer *rp, const char *s)
{
	if (s && !strcmp(s, "last")) {
		if (!rp->last_tag)
			usage_error("no request sent yet for 'last'");
		return rp->last_tag;
	}
	return parse_u32(s, "tag");
}

void cmd_cancel(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_CANCEL };
	struct pending *p;

	(void)argc;
	m.arg = parse_tag_ref(rp, argv[(*i)++]);
	p = find_pending(rp, m.arg);
	if (p)
		p->expect |= 1U << RIO_S_CANCELED;
	oneway(rp, &m);
}

void cmd_wait(struct riopeer *rp, int argc, char **argv, int *i)
{
	const char *a = *i < argc ? argv[*i] : NULL;

	if (a && !strcmp(a, "all")) {
		++*i;
		wait_for(rp, 0);
	} else if (a && (!strcmp(a, "last") || (a[0] >= '0' && a[0] <= '9'))) {
		++*i;
		wait_for(rp, parse_tag_ref(rp, a));
	} else {
		wait_for(rp, 0);
	}
}

void cmd_bye(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_BYE };

	(void)argc;
	(void)argv;
	(void)i;
	oneway(rp, &m);
}

void cmd_expect_close(struct riopeer *rp, int argc, char **argv, int *i)
{
	long long start = now_ms(), deadline = start + rp->timeout_ms, took;
	long min_ms = -1;
	size_t k;
	int r;

	if (*i < argc && argv[*i][0] >= '0' && argv[*i][0] <= '9')
		min_ms = parse_u32(argv[(*i)++], "MIN_MS");
	if (rp->dry_run)
		return;
	/* Whatever answers still arrive are checked, but any status goes. */
	for (k = 0; k < MAX_PENDING; k++)
		rp->pending[k].expect = EXPECT_ANY;
	do {
		r = recv_one(rp, deadline);
	} while (r > 0);
	if (r < 0)
		die("the server did not close the connection within %d ms",
		    rp->timeout_ms);
	took = now_ms() - start;
	printf("CLOSED after %lld ms\n", took);
	if (took < min_ms)
		die("the server closed the connection after %lld ms, expected at least %ld",
		    took, min_ms);
	do_close(rp);
}

void cmd_expect_notify(struct riopeer *rp, int argc, char **argv, int *i)
{
	long long deadline = now_ms() + rp->timeout_ms;
	long want = -1;
	__u32 mask;
	int r;

	if (*i < argc && parse_mask(argv[*i], &mask)) {
		want = mask;
		++*i;
	}
	if (rp->dry_run)
		return;
	for (;;) {
		if (want < 0 ? rp->notify_mask >= 0 : rp->notify_mask == want)
			return;
		r = recv_one(rp, deadline);
		if (r == 0)
			die("connection closed while waiting for NOTIFY");
		if (r < 0) {
			if (want < 0)
				die("no NOTIFY within %d ms", rp->timeout_ms);
			die("no NOTIFY mask=%s within %d ms (last: %s)",
			    mask_str(want), rp->timeout_ms,
			    rp->notify_mask < 0 ? "none" : mask_str(rp->notify_mask));
		}
	}
}

void cmd_idle(struct riopeer *rp, int argc, char **argv, int *i)
{
	long long deadline;
	int r;

	(void)argc;
	deadline = now_ms() + parse_u32(argv[(*i)++], "idle time");
	if (rp->dry_run)
		return;
	while ((r = recv_one(rp, deadline)) > 0)
		;
	if (r == 0)
		die("the server closed the connection");
}

void cmd_sleep(struct riopeer *rp, int argc, char **argv, int *i)
{
	struct timespec ts;
	__u32 ms;

	(void)argc;
	ms = parse_u32(argv[(*i)++], "sleep time");
	if (rp->dry_run)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void cmd_close(struct riopeer *rp, int argc, char **argv, int *i)
{
	(void)argc;
	(void)argv;
	(void)i;
	if (rp->dry_run)
		return;
	do_close(rp);
	printf("CLOSED by us\n");
}

void cmd_reconnect(struct riopeer *rp, int argc, char **argv, int *i)
{
	(void)argc;
	(void)argv;
	(void)i;
	if (rp->dry_run)
		return;
	do_close(rp);
	do_connect(rp);
}
