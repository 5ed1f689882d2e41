// SPDX-License-Identifier: GPL-2.0
/*
 * riopeer: a scriptable RIO peer for end-to-end tests of the toaster server.
 *
 * It connects to a server, runs the commands given on its command line in
 * order (well-formed requests, deliberately malformed frames, waits and
 * assertions), prints every frame the server sends, decoded, one per line,
 * and exits non-zero with a one-line message on stderr at the first error or
 * unexpected result. All framing goes through the shared codec
 * (module/rio_proto.c): responses are validated with rio_decode() and
 * rio_check_reply() exactly as the client module does.
 *
 * Run "riopeer --help" for the command list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/toaster.h>
#include <toaster/rio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_PENDING	64
#define EXPECT_ANY	((1U << RIO_S_MAX) - 1)

static const char usage_text[] =
"Usage: riopeer [OPTIONS] COMMAND...\n"
"\n"
"Connect to a RIO server and run COMMANDs in order. Every frame received is\n"
"printed on stdout, decoded; the first error or unexpected result ends the\n"
"run with a one-line message on stderr.\n"
"\n"
"Options:\n"
"  -h, --host HOST      IPv4 or IPv6 literal (default 127.0.0.1; [::1] works)\n"
"  -p, --port PORT      TCP port\n"
"  -n, --serial N       toaster serial: port %d+N unless -p is given, and\n"
"                       the default serial of `hello`\n"
"  -t, --timeout MS     longest wait for any response or event (default 5000)\n"
"  -w, --wait-ms MS     wait_ms offered in HELLO (default 1000)\n"
"      --caps N         capabilities offered in HELLO (default: NOTIFY)\n"
"      --inflight N     max_inflight offered in HELLO (default 1)\n"
"  -v, --verbose        also print every frame sent (prefixed with '>')\n"
"      --help           this text\n"
"\n"
"Requests (each waits for its response unless --async is given):\n"
"  hello [SERIAL]           HELLO, arg = SERIAL (default: -n, or port - %d)\n"
"  read N [nonblock]        READ of at most N bytes\n"
"  write TEXT [nonblock]    WRITE of the bytes of TEXT\n"
"  write-bytes N [nonblock] WRITE of N pattern bytes\n"
"  ioctl NR OUTSIZE [U32..] IOCTL number NR (or a name: status, darkness, pop,\n"
"                           capacity, overwrite, reset, counters), arg =\n"
"                           OUTSIZE, payload = the U32 values as be32\n"
"  ioctl-status             IOCTL TOASTER_IOC_NR_STATUS, decoded\n"
"  ioctl-counters           IOCTL TOASTER_IOC_NR_COUNTERS, decoded\n"
"  ping [N]                 PING with N payload bytes (default 16), checks echo\n"
"Modifiers, after a request's arguments:\n"
"  nonblock, --nonblock     set RIO_F_NONBLOCK (READ and WRITE)\n"
"  async, --async           send only; collect the response with `wait`\n"
"  --tag N                  use tag N instead of the next free one\n"
"  --expect-status S[,S..]  accepted statuses (names such as OK, AGAIN,\n"
"                           BUSY, NODEV, CANCELED, or numbers, or `any`);\n"
"                           default OK\n"
"  --expect-length N        READ/PING: payload bytes; WRITE: bytes accepted\n"
"  --expect-data TEXT       READ: the exact bytes returned\n"
"\n"
"Other commands:\n"
"  cancel TAG|last          CANCEL (no response); the cancelled request then\n"
"                           also accepts status CANCELED\n"
"  wait [TAG|last|all]      wait for async responses (default all)\n"
"  bye                      BYE (no response)\n"
"  expect-close [MIN_MS]    the server must close the connection within the\n"
"                           timeout (and not before MIN_MS); responses and\n"
"                           NOTIFYs arriving first are checked and printed,\n"
"                           with any status\n"
"  expect-notify [MASK]     wait until a NOTIFY has been received on this\n"
"                           connection; with MASK (IN, OUT, IN|OUT, 0) until\n"
"                           the last NOTIFY received has that mask\n"
"  idle MS                  handle incoming frames for MS ms; fail if the\n"
"                           connection closes\n"
"  sleep MS                 sleep without reading\n"
"  raw-bad KIND             send one malformed frame, checked against the\n"
"                           codec first; KIND is one of:\n"
"%s"
"  close                    close the socket without BYE\n"
"  reconnect                close, then connect again\n"
"\n"
"Output lines: `HELLO tag=1 status=OK caps=NOTIFY max_payload=65536 ...`,\n"
"`READ tag=2 status=OK length=5 data=\"toast\"`, `NOTIFY mask=IN|OUT`,\n"
"`CLOSED after 12 ms`. Exit status: 0 all commands succeeded, 1 error or\n"
"unexpected result, 2 usage error.\n";

/* Connection and defaults. */
static const char *host = "127.0.0.1";
static int port = -1;
static long serial = -1;
static int timeout_ms = 5000;
static __u32 hello_wait_ms = 1000;
static __u32 hello_caps = RIO_CAP_NOTIFY;
static __u32 hello_inflight = 1;
static bool verbose;
static bool dry_run;		/* first pass: check the command line only */
static struct sockaddr_storage peer_addr;
static socklen_t peer_len;

static int sock = -1;
static bool closed;
static __u32 next_tag = 1;
static __u32 last_tag;
static int notify_mask = -1;	/* arg of the last NOTIFY, -1: none yet */

/* A request sent and not answered yet. */
struct pending {
	bool used;
	bool raw;		/* malformed on purpose: any answer is fine */
	struct rio_msg req;
	unsigned int expect;	/* bit per accepted enum rio_status */
	long expect_length;	/* -1: any */
	const char *expect_data;
	unsigned char *payload;	/* PING: to compare with the echo */
	struct timespec sent;
};

static struct pending pending[MAX_PENDING];

static unsigned char rxbuf[RIO_MAX_PAYLOAD];

static const char * const status_names[RIO_S_MAX] = {
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
};

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

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("riopeer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("riopeer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see riopeer --help)\n", stderr);
	exit(2);
}

static const char *status_str(__u32 status)
{
	return status < RIO_S_MAX ? status_names[status] : "?";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __u32 parse_u32(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	if (!s)
		usage_error("missing %s", what);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > 0xffffffffULL)
		usage_error("bad %s '%s'", what, s);
	return (__u32)v;
}

static unsigned int parse_status_list(const char *s)
{
	unsigned int mask = 0;
	char buf[256], *tok, *save;
	__u32 st;

	if (!s)
		usage_error("--expect-status needs a value");
	if (!strcasecmp(s, "any"))
		return EXPECT_ANY;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (st = 0; st < RIO_S_MAX; st++)
			if (!strcasecmp(tok, status_names[st]))
				break;
		if (st == RIO_S_MAX)
			st = parse_u32(tok, "status");
		if (st >= RIO_S_MAX)
			usage_error("unknown status '%s'", tok);
		mask |= 1U << st;
	}
	if (!mask)
		usage_error("empty status list '%s'", s);
	return mask;
}

/* Parse a readiness mask (IN, OUT, IN|OUT, a number); false if it is none. */
static bool parse_mask(const char *s, __u32 *mask)
{
	char buf[64], *tok, *save, *end;
	unsigned long v;

	*mask = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "|,", &save); tok; tok = strtok_r(NULL, "|,", &save)) {
		if (!strcasecmp(tok, "IN")) {
			*mask |= RIO_READY_IN;
		} else if (!strcasecmp(tok, "OUT")) {
			*mask |= RIO_READY_OUT;
		} else {
			v = strtoul(tok, &end, 0);
			if (end == tok || *end || *tok == '-' || v & ~RIO_READY_MASK)
				return false;
			*mask |= v;
		}
	}
	return *s != '\0';
}

static const char *mask_str(__u32 mask)
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

static void print_status_set(FILE *f, unsigned int set)
{
	const char *sep = "";
	__u32 st;

	if (set == EXPECT_ANY) {
		fputs("any", f);
		return;
	}
	for (st = 0; st < RIO_S_MAX; st++) {
		if (set & (1U << st)) {
			fprintf(f, "%s%s", sep, status_names[st]);
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

static __u32 get_be32(const unsigned char *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static unsigned long long get_be64(const unsigned char *p)
{
	return (unsigned long long)get_be32(p) << 32 | get_be32(p + 4);
}

static void put_be32(unsigned char *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ---- connection ---- */

/* Parse -h HOST and the port into peer_addr. */
static void resolve_peer(void)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&peer_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&peer_addr;
	char addr[INET6_ADDRSTRLEN + 2];
	size_t n;

	snprintf(addr, sizeof(addr), "%s", host);
	n = strlen(addr);
	if (addr[0] == '[' && n > 2 && addr[n - 1] == ']') {
		memmove(addr, addr + 1, n - 2);
		addr[n - 2] = '\0';
	}
	memset(&peer_addr, 0, sizeof(peer_addr));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		peer_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		peer_len = sizeof(*sin6);
	} else {
		usage_error("host '%s' is not an IPv4 or IPv6 literal", host);
	}
}

static void do_connect(void)
{
	socklen_t elen = sizeof(int);
	struct pollfd pfd;
	int one = 1, err = 0, r;

	sock = socket(peer_addr.ss_family,
		      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die("socket: %s", strerror(errno));
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(sock, (struct sockaddr *)&peer_addr, peer_len) < 0) {
		if (errno != EINPROGRESS)
			die("connect to %s port %d: %s", host, port, strerror(errno));
		pfd.fd = sock;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0)
			die("poll: %s", strerror(errno));
		if (r == 0)
			die("connect to %s port %d: timed out after %d ms", host,
			    port, timeout_ms);
		if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err)
			die("connect to %s port %d: %s", host, port, strerror(err));
	}
	closed = false;
	notify_mask = -1;
	if (verbose)
		printf("> connected to %s port %d\n", host, port);
}

static void drop_pending(void)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++) {
		free(pending[i].payload);
		memset(&pending[i], 0, sizeof(pending[i]));
	}
}

static void do_close(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
	closed = true;
	drop_pending();
}

/*
 * Send all of @buf before @deadline. Returns 0, or -1 if the peer has
 * already closed or reset the connection (only allowed when @tolerate).
 */
static int send_all(const void *buf, size_t len, long long deadline, bool tolerate)
{
	const unsigned char *p = buf;
	struct pollfd pfd = { .fd = sock, .events = POLLOUT };
	ssize_t n;
	long long left;

	if (closed)
		die("cannot send: the connection is closed");
	while (len) {
		n = send(sock, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET) && tolerate)
			return -1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("send: %s", strerror(errno));
		left = deadline - now_ms();
		if (left <= 0)
			die("send: timed out after %d ms (server not reading)", timeout_ms);
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
	return 0;
}

static void send_frame(const struct rio_hdr *hdr, const void *payload, size_t len,
		       bool tolerate)
{
	long long deadline = now_ms() + timeout_ms;

	if (send_all(hdr, sizeof(*hdr), deadline, tolerate) < 0 ||
	    (len && send_all(payload, len, deadline, tolerate) < 0)) {
		printf("# send: the server already closed the connection\n");
		return;
	}
}

/*
 * Receive exactly @len bytes before @deadline. Returns 1 when done, 0 on
 * end of file (or reset) before the first byte, -1 on timeout before the
 * first byte. EOF or a timeout in the middle is an error.
 */
static int recv_all(void *buf, size_t len, long long deadline)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	unsigned char *p = buf;
	size_t got = 0;
	long long left;
	ssize_t n;
	int r;

	while (got < len) {
		n = recv(sock, p + got, len - got, 0);
		if (n > 0) {
			got += n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET) {
			if (!got)
				return 0;
			die("connection closed in the middle of a frame (%zu of %zu bytes)",
			    got, len);
		}
		if (errno != EAGAIN && errno != EINTR)
			die("recv: %s", strerror(errno));
		left = deadline - now_ms();
		if (left <= 0) {
			if (!got)
				return -1;
			die("timed out in the middle of a frame (%zu of %zu bytes)",
			    got, len);
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
	return 1;
}

/* ---- requests ---- */

static struct pending *find_pending(__u32 tag)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++)
		if (pending[i].used && pending[i].req.tag == tag)
			return &pending[i];
	return NULL;
}

static bool any_pending(void)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++)
		if (pending[i].used)
			return true;
	return false;
}

static struct pending *add_pending(const struct rio_msg *req)
{
	size_t i;

	for (i = 0; i < MAX_PENDING; i++) {
		if (!pending[i].used) {
			memset(&pending[i], 0, sizeof(pending[i]));
			pending[i].used = true;
			pending[i].req = *req;
			pending[i].expect = 1U << RIO_S_OK;
			pending[i].expect_length = -1;
			clock_gettime(CLOCK_MONOTONIC, &pending[i].sent);
			return &pending[i];
		}
	}
	die("more than %d requests outstanding", MAX_PENDING);
}

static void print_msg(const char *prefix, const struct rio_msg *m)
{
	printf("%s%s tag=%u flags=0x%x status=%u ioctl=%u arg=%u length=%u\n",
	       prefix, rio_op_str(m->opcode), m->tag, m->flags, m->status,
	       m->ioctl, m->arg, m->length);
}

static void print_hello(const struct rio_hello_info *hi)
{
	printf(" caps=%s", hi->caps & RIO_CAP_NOTIFY ? "NOTIFY" : "0");
	printf(" max_payload=%u max_inflight=%u wait_ms=%u", hi->max_payload,
	       hi->max_inflight, hi->wait_ms);
}

#define FIELD(type, f)	{ #f, offsetof(struct type, f) }

/* Print an IOCTL result: the uapi struct, every field big-endian. */
static void print_ioctl(__u32 nr, const unsigned char *p, __u32 len)
{
	static const struct {
		const char *name;
		size_t off;
	} status_fields[] = {
		FIELD(toaster_status, state),
		FIELD(toaster_status, darkness),
		FIELD(toaster_status, bytes),
		FIELD(toaster_status, ready),
		FIELD(toaster_status, capacity),
		FIELD(toaster_status, flags),
		FIELD(toaster_status, serial),
		FIELD(toaster_status, reserved),
	}, counter_fields[] = {
		FIELD(toaster_counters, bytes_written),
		FIELD(toaster_counters, bytes_read),
		FIELD(toaster_counters, bytes_dropped),
		FIELD(toaster_counters, requests),
		FIELD(toaster_counters, connections),
		FIELD(toaster_counters, cancelled),
	};
	__u32 i;

	if (nr == TOASTER_IOC_NR_STATUS && len == sizeof(struct toaster_status)) {
		for (i = 0; i < ARRAY_SIZE(status_fields); i++)
			printf(" %s=%u", status_fields[i].name,
			       get_be32(p + status_fields[i].off));
		return;
	}
	if (nr == TOASTER_IOC_NR_COUNTERS && len == sizeof(struct toaster_counters)) {
		for (i = 0; i < ARRAY_SIZE(counter_fields); i++)
			printf(" %s=%llu", counter_fields[i].name,
			       get_be64(p + counter_fields[i].off));
		return;
	}
	if (len)
		fputs(" data=", stdout);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
}

/* Check and print one response to @p; @m and rxbuf hold it. */
static void handle_response(struct pending *p, const struct rio_msg *m)
{
	const struct rio_msg *req = &p->req;
	const char *op = rio_op_str(req->opcode);
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

	printf("%s tag=%u status=%s", op, m->tag, status_str(m->status));
	if (m->status == RIO_S_OK) {
		switch (m->opcode) {
		case RIO_OP_HELLO:
			memcpy(&h, rxbuf, sizeof(h));
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
				print_data(rxbuf, m->length);
			} else {
				fputs(" eof", stdout);
			}
			break;
		case RIO_OP_WRITE:
			printf(" accepted=%u", m->arg);
			break;
		case RIO_OP_IOCTL:
			printf(" nr=%u length=%u", m->ioctl, m->length);
			print_ioctl(m->ioctl, rxbuf, m->length);
			break;
		case RIO_OP_PING:
			printf(" length=%u", m->length);
			break;
		}
	}
	printf(" rtt_us=%lld\n", rtt_us);

	if (!(p->expect & (1U << m->status))) {
		fflush(stdout);
		fprintf(stderr, "riopeer: %s tag=%u: status %s, expected ", op,
			m->tag, status_str(m->status));
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
	    memcmp(p->payload, rxbuf, m->length))
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
	     memcmp(rxbuf, p->expect_data, m->length)))
		die("%s tag=%u: data differs from \"%s\"", op, m->tag,
		    p->expect_data);
}

/*
 * Receive and handle one frame before @deadline.
 * Returns 1 after a frame, 0 when the server closed, -1 on timeout.
 */
static int recv_one(long long deadline)
{
	struct rio_hdr hdr;
	struct rio_msg m;
	struct pending *p;
	int r, bad;

	if (closed)
		return 0;
	r = recv_all(&hdr, sizeof(hdr), deadline);
	if (r <= 0) {
		if (r == 0)
			closed = true;
		return r;
	}
	bad = rio_decode(&hdr, RIO_DIR_RESPONSE, &m);
	if (bad) {
		print_msg("! ", &m);
		die("invalid frame from the server: %s", rio_bad_str(bad));
	}
	if (m.length && recv_all(rxbuf, m.length, deadline + timeout_ms) != 1)
		die("%s tag=%u: payload of %u bytes missing", rio_op_str(m.opcode),
		    m.tag, m.length);
	if (verbose)
		print_msg("< ", &m);

	if (m.opcode == RIO_OP_NOTIFY) {
		printf("NOTIFY mask=%s\n", mask_str(m.arg));
		notify_mask = m.arg;
		return 1;
	}
	p = find_pending(m.tag);
	if (!p) {
		print_msg("! ", &m);
		die("%s response with tag %u, which is not outstanding",
		    rio_op_str(m.opcode), m.tag);
	}
	if (p->raw) {
		/* An answer to a malformed frame: shown, never judged. */
		printf("%s tag=%u status=%s (answer to a malformed frame)\n",
		       rio_op_str(m.opcode), m.tag, status_str(m.status));
	} else {
		handle_response(p, &m);
	}
	free(p->payload);
	memset(p, 0, sizeof(*p));
	return 1;
}

/* Handle frames until the request tagged @tag (0: every one) is answered. */
static void wait_for(__u32 tag)
{
	long long deadline = now_ms() + timeout_ms;
	struct pending *p;
	int r;

	if (dry_run)
		return;
	for (;;) {
		p = tag ? find_pending(tag) : NULL;
		if (tag ? !p : !any_pending())
			return;
		if (!p) {
			size_t i;

			for (i = 0; i < MAX_PENDING && !pending[i].used; i++)
				;
			p = &pending[i];
		}
		r = recv_one(deadline);
		if (r == 0)
			die("%s tag=%u: connection closed by the server before the response",
			    rio_op_str(p->req.opcode), p->req.tag);
		if (r < 0)
			die("%s tag=%u: no response within %d ms",
			    rio_op_str(p->req.opcode), p->req.tag, timeout_ms);
	}
}

struct mods {
	bool nonblock;
	bool async;
	bool has_tag;
	__u32 tag;
	unsigned int expect;
	long expect_length;
	const char *expect_data;
};

/* Parse the modifiers following a request's arguments. */
static void parse_mods(int argc, char **argv, int *i, struct mods *md)
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
static void request(struct rio_msg *m, const void *payload, const struct mods *md)
{
	struct rio_hdr hdr;
	struct rio_msg chk;
	struct pending *p;
	int bad;

	m->tag = md->has_tag ? md->tag : next_tag++;
	if (md->nonblock)
		m->flags |= RIO_F_NONBLOCK;
	rio_encode(&hdr, m);
	bad = rio_decode(&hdr, RIO_DIR_REQUEST, &chk);
	if (bad)
		usage_error("%s tag=%u would be malformed: %s (use raw-bad for that)",
			    rio_op_str(m->opcode), m->tag, rio_bad_str(bad));
	last_tag = m->tag;
	if (dry_run)
		return;
	if (find_pending(m->tag))
		usage_error("tag %u is still outstanding (use raw-bad dup-tag)", m->tag);

	p = add_pending(m);
	p->expect = md->expect;
	p->expect_length = md->expect_length;
	p->expect_data = md->expect_data;
	if (m->opcode == RIO_OP_PING && m->length) {
		p->payload = malloc(m->length);
		if (!p->payload)
			die("out of memory");
		memcpy(p->payload, payload, m->length);
	}
	if (verbose)
		print_msg("> ", m);
	send_frame(&hdr, payload, m->length, false);
	if (!md->async)
		wait_for(m->tag);
}

static void fill_pattern(unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = 'a' + i % 26;
}

static void cmd_hello(int argc, char **argv, int *i)
{
	struct rio_hello_info hi = {
		.caps = hello_caps,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = hello_inflight,
		.wait_ms = hello_wait_ms,
	};
	struct rio_msg m = { .opcode = RIO_OP_HELLO };
	struct rio_hello h;
	struct mods md;

	if (*i < argc && argv[*i][0] >= '0' && argv[*i][0] <= '9')
		m.arg = parse_u32(argv[(*i)++], "serial");
	else if (serial >= 0)
		m.arg = serial;
	else if (port > RIO_BASE_PORT)
		m.arg = port - RIO_BASE_PORT;
	else
		usage_error("hello: no serial (give one, or -n)");
	parse_mods(argc, argv, i, &md);
	rio_hello_encode(&h, &hi);
	m.length = sizeof(h);
	request(&m, &h, &md);
}

static void cmd_read(int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_READ };
	struct mods md;

	m.arg = parse_u32(argv[(*i)++], "read size");
	parse_mods(argc, argv, i, &md);
	request(&m, NULL, &md);
}

static void cmd_write(int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_WRITE };
	const char *text = argv[(*i)++];
	struct mods md;

	if (!text)
		usage_error("write: missing TEXT");
	m.length = strlen(text);
	parse_mods(argc, argv, i, &md);
	request(&m, text, &md);
}

static void cmd_write_bytes(int argc, char **argv, int *i)
{
	static unsigned char buf[RIO_MAX_PAYLOAD];
	struct rio_msg m = { .opcode = RIO_OP_WRITE };
	struct mods md;

	m.length = parse_u32(argv[(*i)++], "byte count");
	if (m.length > sizeof(buf))
		usage_error("write-bytes: at most %zu bytes", sizeof(buf));
	fill_pattern(buf, m.length);
	parse_mods(argc, argv, i, &md);
	request(&m, buf, &md);
}

static void ioctl_request(__u32 nr, __u32 outsize, const unsigned char *in,
			  __u32 inlen, int argc, char **argv, int *i)
{
	struct rio_msg m = {
		.opcode = RIO_OP_IOCTL, .ioctl = nr, .arg = outsize,
		.length = inlen,
	};
	struct mods md;

	parse_mods(argc, argv, i, &md);
	request(&m, in, &md);
}

static void cmd_ioctl(int argc, char **argv, int *i)
{
	unsigned char in[RIO_MAX_IOCTL];
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
		if (len + 4 > sizeof(in))
			usage_error("ioctl: payload over %zu bytes", sizeof(in));
		put_be32(in + len, parse_u32(argv[(*i)++], "ioctl value"));
		len += 4;
	}
	ioctl_request(nr, outsize, in, len, argc, argv, i);
}

static void cmd_ioctl_status(int argc, char **argv, int *i)
{
	ioctl_request(TOASTER_IOC_NR_STATUS, sizeof(struct toaster_status),
		      NULL, 0, argc, argv, i);
}

static void cmd_ioctl_counters(int argc, char **argv, int *i)
{
	ioctl_request(TOASTER_IOC_NR_COUNTERS, sizeof(struct toaster_counters),
		      NULL, 0, argc, argv, i);
}

static void cmd_ping(int argc, char **argv, int *i)
{
	static unsigned char buf[RIO_MAX_PAYLOAD];
	struct rio_msg m = { .opcode = RIO_OP_PING, .length = 16 };
	struct mods md;

	if (*i < argc && argv[*i][0] >= '0' && argv[*i][0] <= '9')
		m.length = parse_u32(argv[(*i)++], "ping size");
	if (m.length > sizeof(buf))
		usage_error("ping: at most %zu bytes", sizeof(buf));
	fill_pattern(buf, m.length);
	parse_mods(argc, argv, i, &md);
	request(&m, buf, &md);
}

static __u32 parse_tag_ref(const char *s)
{
	if (s && !strcmp(s, "last")) {
		if (!last_tag)
			usage_error("no request sent yet for 'last'");
		return last_tag;
	}
	return parse_u32(s, "tag");
}

/* Send a frame that gets no response (CANCEL, BYE). */
static void oneway(const struct rio_msg *m)
{
	struct rio_hdr hdr;
	struct rio_msg chk;
	int bad;

	rio_encode(&hdr, m);
	bad = rio_decode(&hdr, RIO_DIR_REQUEST, &chk);
	if (bad)
		usage_error("%s would be malformed: %s", rio_op_str(m->opcode),
			    rio_bad_str(bad));
	if (dry_run)
		return;
	if (verbose)
		print_msg("> ", m);
	send_frame(&hdr, NULL, 0, false);
}

static void cmd_cancel(int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_CANCEL };
	struct pending *p;

	(void)argc;
	m.arg = parse_tag_ref(argv[(*i)++]);
	p = find_pending(m.arg);
	if (p)
		p->expect |= 1U << RIO_S_CANCELED;
	oneway(&m);
}

static void cmd_wait(int argc, char **argv, int *i)
{
	const char *a = *i < argc ? argv[*i] : NULL;

	if (a && !strcmp(a, "all")) {
		++*i;
		wait_for(0);
	} else if (a && (!strcmp(a, "last") || (a[0] >= '0' && a[0] <= '9'))) {
		++*i;
		wait_for(parse_tag_ref(a));
	} else {
		wait_for(0);
	}
}

static void cmd_bye(int argc, char **argv, int *i)
{
	struct rio_msg m = { .opcode = RIO_OP_BYE };

	(void)argc;
	(void)argv;
	(void)i;
	oneway(&m);
}

static void cmd_expect_close(int argc, char **argv, int *i)
{
	long long start = now_ms(), deadline = start + timeout_ms, took;
	long min_ms = -1;
	size_t k;
	int r;

	if (*i < argc && argv[*i][0] >= '0' && argv[*i][0] <= '9')
		min_ms = parse_u32(argv[(*i)++], "MIN_MS");
	if (dry_run)
		return;
	/* Whatever answers still arrive are checked, but any status goes. */
	for (k = 0; k < MAX_PENDING; k++)
		pending[k].expect = EXPECT_ANY;
	do {
		r = recv_one(deadline);
	} while (r > 0);
	if (r < 0)
		die("the server did not close the connection within %d ms", timeout_ms);
	took = now_ms() - start;
	printf("CLOSED after %lld ms\n", took);
	if (took < min_ms)
		die("the server closed the connection after %lld ms, expected at least %ld",
		    took, min_ms);
	do_close();
}

static void cmd_expect_notify(int argc, char **argv, int *i)
{
	long long deadline = now_ms() + timeout_ms;
	long want = -1;
	__u32 mask;
	int r;

	if (*i < argc && parse_mask(argv[*i], &mask)) {
		want = mask;
		++*i;
	}
	if (dry_run)
		return;
	for (;;) {
		if (want < 0 ? notify_mask >= 0 : notify_mask == want)
			return;
		r = recv_one(deadline);
		if (r == 0)
			die("connection closed while waiting for NOTIFY");
		if (r < 0) {
			if (want < 0)
				die("no NOTIFY within %d ms", timeout_ms);
			die("no NOTIFY mask=%s within %d ms (last: %s)",
			    mask_str(want), timeout_ms,
			    notify_mask < 0 ? "none" : mask_str(notify_mask));
		}
	}
}

static void cmd_idle(int argc, char **argv, int *i)
{
	long long deadline;
	int r;

	(void)argc;
	deadline = now_ms() + parse_u32(argv[(*i)++], "idle time");
	if (dry_run)
		return;
	while ((r = recv_one(deadline)) > 0)
		;
	if (r == 0)
		die("the server closed the connection");
}

static void cmd_sleep(int argc, char **argv, int *i)
{
	__u32 ms;
	struct timespec ts;

	(void)argc;
	ms = parse_u32(argv[(*i)++], "sleep time");
	if (dry_run)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void cmd_close(int argc, char **argv, int *i)
{
	(void)argc;
	(void)argv;
	(void)i;
	if (dry_run)
		return;
	do_close();
	printf("CLOSED by us\n");
}

static void cmd_reconnect(int argc, char **argv, int *i)
{
	(void)argc;
	(void)argv;
	(void)i;
	if (dry_run)
		return;
	do_close();
	do_connect();
}

/* ---- malformed frames ---- */

enum raw_patch {
	RAW_NONE,
	RAW_MAGIC,
	RAW_VERSION,
	RAW_OPCODE,
	RAW_RESERVED,
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
	{ .name = "reserved", .help = "PING with reserved = 1",
	  .msg = { RAW_PING }, .patch = RAW_RESERVED, .value = 1,
	  .bad = RIO_BAD_RESERVED },
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

/* Send @len bytes of header (+ @plen payload) without judging the result. */
static void raw_send(const struct rio_hdr *hdr, const void *payload, size_t plen)
{
	if (dry_run)
		return;
	send_frame(hdr, payload, plen, true);
}

static void raw_register(const struct rio_msg *m)
{
	struct pending *p;

	if (dry_run || !m->tag || find_pending(m->tag))
		return;
	p = add_pending(m);
	p->raw = true;
	p->expect = EXPECT_ANY;
	last_tag = m->tag;
}

static void hello_payload(struct rio_hello *h, struct rio_hello_info *hi)
{
	hi->caps = hello_caps;
	hi->max_payload = RIO_MAX_PAYLOAD;
	hi->max_inflight = hello_inflight;
	hi->wait_ms = hello_wait_ms;
	rio_hello_encode(h, hi);
}

static __u32 hello_serial(void)
{
	if (serial >= 0)
		return serial;
	return port > RIO_BASE_PORT ? port - RIO_BASE_PORT : 1;
}

/* raw-bad kinds whose header is valid: wrong in context or in the payload. */
static bool raw_semantic(const char *kind)
{
	struct rio_msg m = { .opcode = RIO_OP_PING };
	struct rio_hello_info hi;
	struct rio_hello h;
	struct rio_hdr hdr;
	struct pending *p;
	int bad;

	if (!strcmp(kind, "before-hello")) {
		/* A valid PING: malformed only if no HELLO was done. */
		m.tag = next_tag++;
		rio_encode(&hdr, &m);
		raw_register(&m);
		raw_send(&hdr, NULL, 0);
		return true;
	}
	if (!strcmp(kind, "second-hello")) {
		m.opcode = RIO_OP_HELLO;
		m.tag = next_tag++;
		m.arg = hello_serial();
		m.length = sizeof(h);
		hello_payload(&h, &hi);
		rio_encode(&hdr, &m);
		raw_register(&m);
		raw_send(&hdr, &h, sizeof(h));
		return true;
	}
	if (!strcmp(kind, "dup-tag")) {
		/*
		 * A PING reusing the tag of the newest outstanding request:
		 * send that one async first, e.g. a blocking READ the server
		 * parks, so that it is still outstanding when this arrives.
		 */
		if (dry_run)
			return true;
		p = last_tag ? find_pending(last_tag) : NULL;
		if (!p)
			usage_error("raw-bad dup-tag: no outstanding request (send one with async first)");
		m.tag = p->req.tag;
		rio_encode(&hdr, &m);
		raw_send(&hdr, NULL, 0);
		return true;
	}
	if (!strncmp(kind, "hello-", 6) && (!strcmp(kind + 6, "caps") ||
					     !strcmp(kind + 6, "wait0") ||
					     !strcmp(kind + 6, "maxpayload0") ||
					     !strcmp(kind + 6, "inflight0"))) {
		m.opcode = RIO_OP_HELLO;
		m.tag = next_tag++;
		m.arg = hello_serial();
		m.length = sizeof(h);
		hello_payload(&h, &hi);
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
		raw_register(&m);
		raw_send(&hdr, &h, sizeof(h));
		return true;
	}
	return false;
}

static void cmd_raw_bad(int argc, char **argv, int *i)
{
	static unsigned char zeros[RIO_MAX_IOCTL + 1];
	const char *kind = argv[(*i)++];
	const struct raw_kind *k = NULL;
	struct rio_hdr hdr;
	struct rio_msg m, out;
	size_t j, plen;
	int bad;

	(void)argc;
	if (!kind)
		usage_error("raw-bad: missing KIND");
	if (verbose)
		printf("> raw-bad %s\n", kind);
	if (!strcmp(kind, "truncated")) {
		/* Half a header, then end of file from our side. */
		struct rio_msg t = { .opcode = RIO_OP_PING, .tag = next_tag++ };

		rio_encode(&hdr, &t);
		if (dry_run)
			return;
		if (send_all(&hdr, sizeof(hdr) / 2, now_ms() + timeout_ms, true) == 0)
			shutdown(sock, SHUT_WR);
		return;
	}
	if (raw_semantic(kind))
		return;

	for (j = 0; j < ARRAY_SIZE(raw_kinds); j++)
		if (!strcmp(kind, raw_kinds[j].name))
			k = &raw_kinds[j];
	if (!k)
		usage_error("raw-bad: unknown KIND '%s'", kind);

	m = k->msg;
	if (m.tag)
		m.tag = next_tag++;
	if (k->serial)
		m.arg = hello_serial();
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
	case RAW_RESERVED:
		hdr.reserved = htonl(k->value);
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
		raw_register(&m);
	raw_send(&hdr, zeros, plen);
}

static void raw_kinds_help(char *buf, size_t size)
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

/* ---- main ---- */

static const struct {
	const char *name;
	void (*run)(int argc, char **argv, int *i);
	bool needs_arg;
} commands[] = {
	{ "hello", cmd_hello, false },
	{ "read", cmd_read, true },
	{ "write", cmd_write, true },
	{ "write-bytes", cmd_write_bytes, true },
	{ "ioctl", cmd_ioctl, true },
	{ "ioctl-status", cmd_ioctl_status, false },
	{ "ioctl-counters", cmd_ioctl_counters, false },
	{ "ping", cmd_ping, false },
	{ "cancel", cmd_cancel, true },
	{ "wait", cmd_wait, false },
	{ "bye", cmd_bye, false },
	{ "expect-close", cmd_expect_close, false },
	{ "expect-notify", cmd_expect_notify, false },
	{ "idle", cmd_idle, true },
	{ "sleep", cmd_sleep, true },
	{ "raw-bad", cmd_raw_bad, true },
	{ "close", cmd_close, false },
	{ "reconnect", cmd_reconnect, false },
};

static void usage(FILE *f)
{
	char kinds[4096];

	raw_kinds_help(kinds, sizeof(kinds));
	fprintf(f, usage_text, RIO_BASE_PORT, RIO_BASE_PORT, kinds);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "serial", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "wait-ms", required_argument, NULL, 'w' },
		{ "caps", required_argument, NULL, 'C' },
		{ "inflight", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (k = 0; k < RIO_S_MAX; k++)
		if (!status_names[k])
			die("internal: status %zu has no name", k);

	while ((c = getopt_long(argc, argv, "+h:p:n:t:w:v", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			host = optarg;
			break;
		case 'p':
			port = parse_u32(optarg, "port");
			if (port < 1 || port > 65535)
				usage_error("bad port '%s'", optarg);
			break;
		case 'n':
			serial = parse_u32(optarg, "serial");
			break;
		case 't':
			timeout_ms = parse_u32(optarg, "timeout");
			if (timeout_ms < 1)
				usage_error("bad timeout '%s'", optarg);
			break;
		case 'w':
			hello_wait_ms = parse_u32(optarg, "wait-ms");
			break;
		case 'C':
			hello_caps = parse_u32(optarg, "caps");
			break;
		case 'I':
			hello_inflight = parse_u32(optarg, "inflight");
			break;
		case 'v':
			verbose = true;
			break;
		case 'H':
			usage(stdout);
			return 0;
		default:
			usage_error("bad option");
		}
	}
	if (port < 0) {
		if (serial < 0)
			usage_error("give -p PORT or -n SERIAL");
		if (serial > 65535 - RIO_BASE_PORT)
			usage_error("serial %ld gives no valid port", serial);
		port = RIO_BASE_PORT + serial;
	}
	if (optind >= argc)
		usage_error("no COMMAND given");
	resolve_peer();

	/* Check the whole command line before sending anything. */
	for (dry_run = true; ; dry_run = false) {
		next_tag = 1;
		last_tag = 0;
		if (!dry_run)
			do_connect();
		i = optind;
		while (i < argc) {
			const char *name = argv[i++];

			for (k = 0; k < ARRAY_SIZE(commands); k++)
				if (!strcmp(name, commands[k].name))
					break;
			if (k == ARRAY_SIZE(commands))
				usage_error("unknown command '%s'", name);
			if (commands[k].needs_arg && i >= argc)
				usage_error("%s: missing argument", name);
			commands[k].run(argc, argv, &i);
		}
		if (!dry_run)
			break;
	}
	if (sock >= 0)
		close(sock);
	return 0;
}
