// SPDX-License-Identifier: GPL-2.0
/*
 * riopeer: a scriptable RIO peer for end-to-end tests of the toaster server.
 *
 * It connects to a server, runs the commands given on its command line in
 * order (well-formed requests, deliberately malformed frames, waits and
 * assertions), prints every frame the server sends, decoded, one per line,
 * and exits non-zero with a one-line message on stderr at the first error or
 * unexpected result. All framing goes through the shared codec
 * (module/rio/proto.c): responses are validated with rio_decode() and
 * rio_check_reply() exactly as the client module does.
 *
 * This file: the options, the usage text, the error exits and parsers of
 * the command line, the command table and main(). Run "riopeer --help" for
 * the command list.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "riopeer.h"

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
"      --caps N         capabilities offered in HELLO: 1 NOTIFY, 2 CREDIT,\n"
"                       3 both (default: 1)\n"
"      --inflight N     max_inflight offered in HELLO (default 1)\n"
"      --keepalive-ms N keepalive_ms promised in HELLO (default 0)\n"
"      --resume-ms N    resume_ms asked for in HELLO (default 0; needs\n"
"                       --caps with 4, SESSION)\n"
"      --session HEX    the 16-byte session id named in HELLO (32 hex\n"
"                       digits): asked for (replacing a session of that\n"
"                       id), or resumed with --resume\n"
"      --resume         HELLO with RIO_F_RESUME: resume --session\n"
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

static const struct {
	const char *name;
	void (*run)(struct riopeer *rp, int argc, char **argv, int *i);
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

/* Error or unexpected result: one line on stderr, exit status 1. */
void die(const char *fmt, ...)
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

/* Bad command line: one line on stderr, exit status 2. */
void usage_error(const char *fmt, ...)
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

/* Parse an unsigned 32-bit number (decimal, 0x hex or 0 octal). */
__u32 parse_u32(const char *s, const char *what)
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

/* Parse --session: 32 hex digits. */
static void parse_session(const char *s, __u8 *id)
{
	unsigned int i, v;

	if (strlen(s) != 2 * RIO_SESSION_LEN)
		usage_error("bad session '%s': want %d hex digits", s,
			    2 * RIO_SESSION_LEN);
	for (i = 0; i < RIO_SESSION_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    !isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]))
			usage_error("bad session '%s'", s);
		id[i] = v;
	}
}

/* Parse --expect-status: names (rio_status_str()) or numbers, or `any`. */
unsigned int parse_status_list(const char *s)
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
			if (!strcasecmp(tok, rio_status_str(st)))
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
bool parse_mask(const char *s, __u32 *mask)
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

static void usage(FILE *f)
{
	char kinds[4096];

	raw_kinds_help(kinds, sizeof(kinds));
	fprintf(f, usage_text, RIO_BASE_PORT, RIO_BASE_PORT, kinds);
}

/* Parse the options into @rp; returns the index of the first COMMAND. */
static int parse_options(struct riopeer *rp, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "serial", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "wait-ms", required_argument, NULL, 'w' },
		{ "caps", required_argument, NULL, 'C' },
		{ "inflight", required_argument, NULL, 'I' },
		{ "keepalive-ms", required_argument, NULL, 'K' },
		{ "resume-ms", required_argument, NULL, 'R' },
		{ "session", required_argument, NULL, 'S' },
		{ "resume", no_argument, NULL, 'U' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h:p:n:t:w:v", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			rp->host = optarg;
			break;
		case 'p':
			rp->port = parse_u32(optarg, "port");
			if (rp->port < 1 || rp->port > 65535)
				usage_error("bad port '%s'", optarg);
			break;
		case 'n':
			rp->serial = parse_u32(optarg, "serial");
			break;
		case 't':
			rp->timeout_ms = parse_u32(optarg, "timeout");
			if (rp->timeout_ms < 1)
				usage_error("bad timeout '%s'", optarg);
			break;
		case 'w':
			rp->hello_wait_ms = parse_u32(optarg, "wait-ms");
			break;
		case 'C':
			rp->hello_caps = parse_u32(optarg, "caps");
			break;
		case 'I':
			rp->hello_inflight = parse_u32(optarg, "inflight");
			break;
		case 'K':
			rp->hello_keepalive_ms = parse_u32(optarg,
							   "keepalive-ms");
			break;
		case 'R':
			rp->hello_resume_ms = parse_u32(optarg, "resume-ms");
			break;
		case 'S':
			parse_session(optarg, rp->hello_session);
			break;
		case 'U':
			rp->hello_resume = true;
			break;
		case 'v':
			rp->verbose = true;
			break;
		case 'H':
			usage(stdout);
			exit(0);
		default:
			usage_error("bad option");
		}
	}
	if (rp->port < 0) {
		if (rp->serial < 0)
			usage_error("give -p PORT or -n SERIAL");
		if (rp->serial > 65535 - RIO_BASE_PORT)
			usage_error("serial %ld gives no valid port", rp->serial);
		rp->port = RIO_BASE_PORT + rp->serial;
	}
	if (optind >= argc)
		usage_error("no COMMAND given");
	return optind;
}

/* Run the COMMANDs from argv[first] on, in order. */
static void run_commands(struct riopeer *rp, int first, int argc, char **argv)
{
	int i = first;
	size_t k;

	while (i < argc) {
		const char *name = argv[i++];

		for (k = 0; k < ARRAY_SIZE(commands); k++)
			if (!strcmp(name, commands[k].name))
				break;
		if (k == ARRAY_SIZE(commands))
			usage_error("unknown command '%s'", name);
		if (commands[k].needs_arg && i >= argc)
			usage_error("%s: missing argument", name);
		commands[k].run(rp, argc, argv, &i);
	}
}

/* The defaults, before the options; everything else starts at zero. */
static void riopeer_init(struct riopeer *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->host = "127.0.0.1";
	rp->port = -1;
	rp->serial = -1;
	rp->timeout_ms = 5000;
	rp->hello_wait_ms = 1000;
	rp->hello_caps = RIO_CAP_NOTIFY;
	rp->hello_inflight = 1;
	rp->sock = -1;
	rp->next_tag = 1;
	rp->notify_mask = -1;
}

int main(int argc, char **argv)
{
	/* Static: with its buffers, struct riopeer is too big for the stack. */
	static struct riopeer peer;
	struct riopeer *rp = &peer;
	int first;
	__u32 st;

	riopeer_init(rp);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* --expect-status takes every status by name. */
	for (st = 0; st < RIO_S_MAX; st++)
		if (!strcmp(rio_status_str(st), "?"))
			die("internal: status %u has no name", st);

	first = parse_options(rp, argc, argv);
	resolve_peer(rp);

	/* Check the whole command line before sending anything. */
	for (rp->dry_run = true; ; rp->dry_run = false) {
		rp->next_tag = 1;
		rp->last_tag = 0;
		if (!rp->dry_run)
			do_connect(rp);
		run_commands(rp, first, argc, argv);
		if (!rp->dry_run)
			break;
	}
	if (rp->sock >= 0)
		close(rp->sock);
	return 0;
}
