// SPDX-License-Identifier: GPL-2.0
/*
 * toasterctl: control a remote toaster through /dev/toasterN.
 *
 * Uses the uapi header only (<linux/toaster.h>). Every error ends the
 * program with one line on stderr and a non-zero exit status: 1 for a
 * failed operation, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/toaster.h>

#define DEFAULT_DEV	"/dev/toaster1"
#define PING_MAX	1000000

static const char *dev = DEFAULT_DEV;
static int json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: toasterctl [-d DEV] [--json] COMMAND [ARGS]\n"
		"\n"
		"Control the remote toaster behind DEV (default " DEFAULT_DEV ").\n"
		"\n"
		"commands:\n"
		"  status              serial, state, darkness, bytes, ready, capacity, overwrite\n"
		"  darkness [N]        show or set the darkness (%u..%u)\n"
		"  pop                 throw away everything in the slot\n"
		"  capacity N          set the slot size in bytes (%u..%u)\n"
		"  overwrite on|off    full slot: replace the oldest bytes, or wait\n"
		"  reset               defaults, empty slot, counters cleared\n"
		"  ping [-c COUNT]     round trip to the server (COUNT times, default 1)\n"
		"  stats               client counters of this device\n"
		"  counters            server counters of this toaster\n"
		"\n"
		"options:\n"
		"  -d, --device DEV    device node\n"
		"  -j, --json          machine-readable output (one JSON object)\n"
		"  -h, --help          this text\n",
		TOASTER_DARKNESS_MIN, TOASTER_DARKNESS_MAX,
		TOASTER_CAPACITY_MIN, TOASTER_CAPACITY_MAX);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("toasterctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void __attribute__((noreturn)) die_usage(const char *what)
{
	die(2, "%s (try --help)", what);
}

static int open_dev(void)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(1, "%s: %s", dev, strerror(errno));
	return fd;
}

static void xioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) < 0)
		die(1, "%s: %s: %s", dev, what, strerror(errno));
}

static int parse_u32(const char *s, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *state_name(uint32_t state)
{
	switch (state) {
	case TOASTER_STATE_EMPTY:
		return "empty";
	case TOASTER_STATE_TOASTING:
		return "toasting";
	case TOASTER_STATE_READY:
		return "ready";
	}
	return "unknown";
}

static void print_ok(void)
{
	if (json)
		printf("{\"ok\":true}\n");
}

static int cmd_status(int fd, int only_darkness)
{
	struct toaster_status st;

	memset(&st, 0, sizeof(st));
	xioctl(fd, TOASTER_IOC_STATUS, &st, "status");
	if (only_darkness) {
		if (json)
			printf("{\"darkness\":%u}\n", st.darkness);
		else
			printf("%u\n", st.darkness);
		return 0;
	}
	if (json) {
		printf("{\"state\":\"%s\",\"darkness\":%u,\"bytes\":%u,"
		       "\"ready\":%u,\"capacity\":%u,\"overwrite\":%s,"
		       "\"flags\":%u,\"serial\":%u}\n",
		       state_name(st.state), st.darkness, st.bytes, st.ready,
		       st.capacity,
		       st.flags & TOASTER_FLAG_OVERWRITE ? "true" : "false",
		       st.flags, st.serial);
		return 0;
	}
	printf("serial:    %u\n", st.serial);
	printf("state:     %s\n", state_name(st.state));
	printf("darkness:  %u\n", st.darkness);
	printf("bytes:     %u\n", st.bytes);
	printf("ready:     %u\n", st.ready);
	printf("capacity:  %u\n", st.capacity);
	printf("overwrite: %s\n",
	       st.flags & TOASTER_FLAG_OVERWRITE ? "on" : "off");
	return 0;
}

static int cmd_set(int fd, unsigned long cmd, uint32_t val, const char *what)
{
	xioctl(fd, cmd, &val, what);
	print_ok();
	return 0;
}

static int cmd_ping(int fd, uint32_t count)
{
	uint64_t min = UINT64_MAX, max = 0, sum = 0;
	struct toaster_ping p;
	uint32_t i;

	if (json)
		printf("{\"count\":%u,\"rtt_ns\":[", count);
	for (i = 0; i < count; i++) {
		memset(&p, 0, sizeof(p));
		if (ioctl(fd, TOASTER_IOC_PING, &p) < 0) {
			if (json)
				printf("]}\n");
			fflush(stdout);
			die(1, "%s: ping: %s", dev, strerror(errno));
		}
		if (p.rtt_ns < min)
			min = p.rtt_ns;
		if (p.rtt_ns > max)
			max = p.rtt_ns;
		sum += p.rtt_ns;
		if (json)
			printf("%s%" PRIu64, i ? "," : "", (uint64_t)p.rtt_ns);
		else
			printf("ping %s: seq=%u rtt=%.1f us\n", dev, i + 1,
			       p.rtt_ns / 1000.0);
	}
	if (json)
		printf("],\"min_ns\":%" PRIu64 ",\"avg_ns\":%" PRIu64
		       ",\"max_ns\":%" PRIu64 "}\n", min, sum / count, max);
	else if (count > 1)
		printf("%u pings: min/avg/max = %.1f/%.1f/%.1f us\n", count,
		       min / 1000.0, (double)sum / count / 1000.0, max / 1000.0);
	return 0;
}

static void print_u64(const char *name, uint64_t v, int *first)
{
	if (json)
		printf("%s\"%s\":%" PRIu64, *first ? "{" : ",", name, v);
	else
		printf("%-14s %" PRIu64 "\n", name, v);
	*first = 0;
}

static int cmd_stats(int fd)
{
	struct toaster_stats s;
	int first = 1;

	memset(&s, 0, sizeof(s));
	xioctl(fd, TOASTER_IOC_STATS, &s, "stats");
	print_u64("requests", s.requests, &first);
	print_u64("bytes_out", s.bytes_out, &first);
	print_u64("bytes_in", s.bytes_in, &first);
	print_u64("errors", s.errors, &first);
	print_u64("timeouts", s.timeouts, &first);
	print_u64("cancels", s.cancels, &first);
	print_u64("connects", s.connects, &first);
	print_u64("last_rtt_ns", s.last_rtt_ns, &first);
	if (json)
		printf("}\n");
	return 0;
}

static int cmd_counters(int fd)
{
	struct toaster_counters c;
	int first = 1;

	memset(&c, 0, sizeof(c));
	xioctl(fd, TOASTER_IOC_COUNTERS, &c, "counters");
	print_u64("bytes_written", c.bytes_written, &first);
	print_u64("bytes_read", c.bytes_read, &first);
	print_u64("bytes_dropped", c.bytes_dropped, &first);
	print_u64("requests", c.requests, &first);
	print_u64("connections", c.connections, &first);
	print_u64("cancelled", c.cancelled, &first);
	if (json)
		printf("}\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd;
	uint32_t val = 0;
	int c, fd, nargs, ret;
	char **args;

	/* "+": options end at the command; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_usage("bad option");
		}
	}
	if (optind >= argc)
		die_usage("no command");
	cmd = argv[optind];
	args = argv + optind + 1;
	nargs = argc - optind - 1;

	/* Check the arguments before touching the device. */
	if (!strcmp(cmd, "status") || !strcmp(cmd, "pop") ||
	    !strcmp(cmd, "reset") || !strcmp(cmd, "stats") ||
	    !strcmp(cmd, "counters")) {
		if (nargs)
			die_usage("too many arguments");
		fd = open_dev();
		if (!strcmp(cmd, "status"))
			ret = cmd_status(fd, 0);
		else if (!strcmp(cmd, "pop"))
			ret = cmd_set(fd, TOASTER_IOC_POP, 0, "pop");
		else if (!strcmp(cmd, "reset"))
			ret = cmd_set(fd, TOASTER_IOC_RESET, 0, "reset");
		else if (!strcmp(cmd, "stats"))
			ret = cmd_stats(fd);
		else
			ret = cmd_counters(fd);
	} else if (!strcmp(cmd, "darkness")) {
		if (nargs > 1)
			die_usage("too many arguments");
		if (nargs && parse_u32(args[0], TOASTER_DARKNESS_MIN,
				       TOASTER_DARKNESS_MAX, &val))
			die(2, "darkness: '%s' is not a number from %u to %u",
			    args[0], TOASTER_DARKNESS_MIN,
			    TOASTER_DARKNESS_MAX);
		fd = open_dev();
		if (nargs)
			ret = cmd_set(fd, TOASTER_IOC_SET_DARKNESS, val,
				      "set darkness");
		else
			ret = cmd_status(fd, 1);
	} else if (!strcmp(cmd, "capacity")) {
		if (nargs != 1)
			die_usage("capacity needs one argument");
		if (parse_u32(args[0], TOASTER_CAPACITY_MIN,
			      TOASTER_CAPACITY_MAX, &val))
			die(2, "capacity: '%s' is not a number from %u to %u",
			    args[0], TOASTER_CAPACITY_MIN,
			    TOASTER_CAPACITY_MAX);
		fd = open_dev();
		ret = cmd_set(fd, TOASTER_IOC_SET_CAPACITY, val,
			      "set capacity");
	} else if (!strcmp(cmd, "overwrite")) {
		if (nargs != 1)
			die_usage("overwrite needs on or off");
		if (!strcmp(args[0], "on"))
			val = 1;
		else if (!strcmp(args[0], "off"))
			val = 0;
		else
			die(2, "overwrite: '%s' is not on or off", args[0]);
		fd = open_dev();
		ret = cmd_set(fd, TOASTER_IOC_SET_OVERWRITE, val,
			      "set overwrite");
	} else if (!strcmp(cmd, "ping")) {
		val = 1;
		if (nargs == 2 && !strcmp(args[0], "-c")) {
			if (parse_u32(args[1], 1, PING_MAX, &val))
				die(2, "ping: bad count '%s'", args[1]);
		} else if (nargs) {
			die_usage("ping takes only -c COUNT");
		}
		fd = open_dev();
		ret = cmd_ping(fd, val);
	} else {
		die(2, "unknown command '%s' (try --help)", cmd);
	}

	if (fflush(stdout) || ferror(stdout))
		die(1, "write error on stdout");
	close(fd);
	return ret;
}
