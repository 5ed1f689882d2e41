// SPDX-License-Identifier: GPL-2.0
/*
 * toaster_bench: the measurements behind `make bench` (scripts/bench runs
 * them in the VM through scripts/bench-guest; docs/bench.md explains each
 * one). A benchmark, not a test: it checks that every byte comes back, but
 * never judges a number.
 *
 * Each subcommand measures one thing and prints its results on stdout as
 * key=value lines (NAME.key=value with --name NAME): times in nanoseconds
 * from CLOCK_MONOTONIC, sizes in bytes. A latency is the median (with p99,
 * min, max and mean) of COUNT timed round trips that follow a few untimed
 * warm-up ones. Every error ends the program with one line on stderr and
 * exit status 1; a usage error exits with 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/toaster.h>
#include <toaster/rio.h>

#define MAX_COUNT	100000000ULL
#define MAX_SIZE	(64ULL << 20)
#define MAX_WORKERS	256
#define MAX_CONNS	1024
#define IO_TIMEOUT_MS	10000	/* a stream that makes no progress for this long fails */
#define SETTLE_US	500000	/* before each memory reading */
#define SAMPLE_BYTES	(64ULL << 20)	/* parallel: all workers' samples */

static const char usage_text[] =
"Usage: toaster_bench [--name NAME] COMMAND ARGS...\n"
"\n"
"One measurement per run, printed as key=value lines (NAME.key=value with\n"
"--name). Times are nanoseconds (CLOCK_MONOTONIC), sizes bytes; SIZE takes\n"
"a K or M suffix (KiB, MiB). Latencies: median, p99, min, max and mean of\n"
"COUNT round trips after a few untimed warm-up ones; every byte read back\n"
"is compared with what was written.\n"
"\n"
"Peers:\n"
"  echo-server PORT [--daemon]   TCP echo server on 127.0.0.1:PORT, one\n"
"                                process per connection, TCP_NODELAY;\n"
"                                --daemon: return once it listens, print pid=\n"
"Latency (one write of SIZE bytes, then read until SIZE bytes are back):\n"
"  tcp-rtt HOST PORT SIZE COUNT  over TCP (TCP_NODELAY) to an echo server\n"
"  pty-rtt PTY SIZE COUNT        through a pseudo-terminal (raw mode), e.g.\n"
"                                socat's PTY relayed to an echo server\n"
"  dev-rtt DEV SIZE COUNT        through /dev/toasterN (darkness 1, slot\n"
"                                emptied first, capacity raised to SIZE)\n"
"  dev-ping DEV COUNT            TOASTER_IOC_PING, timed around the ioctl\n"
"Throughput (COUNT times SIZE bytes there and back; MiB/s = SIZE / time):\n"
"  tcp-stream HOST PORT SIZE COUNT   written and read at once (poll)\n"
"  dev-stream DEV SIZE COUNT         write() all of it, then read() it back\n"
"  mix [--block B] COUNT NAME=KIND,ARG,... ...\n"
"                                several of the above (KIND: their name,\n"
"                                ARG: their arguments but COUNT) at once,\n"
"                                interleaved: B round trips of each in turn\n"
"                                [100], the first of a block untimed;\n"
"                                results NAME.key=value\n"
"  clock                         what one clock_gettime() costs (median)\n"
"Concurrency:\n"
"  parallel [--rounds R] N SECONDS SIZE TARGET...\n"
"                                TARGET: [NAME=]tcp,HOST,PORT (one\n"
"                                connection per worker) or\n"
"                                [NAME=]dev,DEVPREFIX (worker i on\n"
"                                DEVPREFIX<i>, e.g. /dev/toaster: 1..N).\n"
"                                N processes: set up, barrier, round trips\n"
"                                of SIZE for SECONDS: ops/s, median and p99\n"
"                                latency. R rounds run every TARGET in turn\n"
"                                for SECONDS / R each\n"
"Memory: the kernel memory allocated and still held at the end, per\n"
"connection: slab objects, kmalloc and per-CPU areas from the kmem and\n"
"percpu trace events (bytes_alloc; socket buffers apart) plus VmallocUsed;\n"
"also Slab + VmallocUsed + Percpu of /proc/meminfo (pages) and the bytes in\n"
"TCP queues (ss -tm). Median over REPS; the biggest call sites:\n"
"  mem-tcp N REPS                N idle loopback TCP pairs, all in this\n"
"                                process, one 64 B exchange each\n"
"  mem-rio HOST N REPS           N connections to toaster_server (toaster\n"
"                                1..N), HELLO done, as toaster.ko does it\n"
"  mem-dev DEVPREFIX N REPS      N open /dev/toasterN, connected (STATUS)\n"
"  mem-cmd CMD [ARGS...]         what running CMD (e.g. insmod) leaves\n"
"  mem-trace on|off              turn the trace events on for a series of\n"
"                                the above (each meter turns them on and\n"
"                                off itself otherwise: that patches code)\n"
"  meminfo                       the /proc/meminfo counters now, in KiB\n"
"\n"
"Exit status: 0 done, 1 error (one line on stderr), 2 usage error.\n";

static const char *prefix = "";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("toaster_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("toaster_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	exit(2);
}

/* One result line: [NAME.]key=value. */
static void __attribute__((format(printf, 2, 3)))
kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%s%s%s=", prefix, *prefix ? "." : "", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* A number from MIN to MAX; with @suffix, K and M multiply by 2^10, 2^20. */
static unsigned long long parse_num(const char *s, const char *what,
				    unsigned long long min,
				    unsigned long long max, int suffix)
{
	unsigned long long v;
	char *end;

	if (!s)
		usage_error("missing %s", what);
	if (*s < '0' || *s > '9')
		usage_error("%s: '%s' is not a number", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (suffix && (*end == 'K' || *end == 'k') && v <= (max >> 10)) {
		v <<= 10;
		end++;
	} else if (suffix && *end == 'M' && v <= (max >> 20)) {
		v <<= 20;
		end++;
	}
	if (errno || *end || v < min || v > max)
		usage_error("%s: '%s' is not a number from %llu to %llu", what,
			    s, min, max);
	return v;
}

/* --- statistics ------------------------------------------------------------ */

struct stats {
	size_t n;
	uint64_t min, max, median, p99;
	double mean;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v. The p99 is the smallest value >= 99 % of the samples. */
static void stats_of(uint64_t *v, size_t n, struct stats *st)
{
	long double sum = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	st->n = n;
	st->min = v[0];
	st->max = v[n - 1];
	st->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	st->p99 = v[(99 * n + 99) / 100 - 1];
	st->mean = (double)(sum / n);
}

static void print_latency(const struct stats *st)
{
	kv("count", "%zu", st->n);
	kv("median_ns", "%" PRIu64, st->median);
	kv("p99_ns", "%" PRIu64, st->p99);
	kv("min_ns", "%" PRIu64, st->min);
	kv("max_ns", "%" PRIu64, st->max);
	kv("mean_ns", "%.0f", st->mean);
}

static size_t warmup_of(size_t count)
{
	size_t w = count / 10;

	return w < 5 ? 5 : w > 1000 ? 1000 : w;
}

/* --- I/O --------------------------------------------------------------------- */

static void write_all(int fd, const void *buf, size_t n, const char *what)
{
	const char *p = buf;
	ssize_t r;

	while (n) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("%s: write: %s", what, strerror(errno));
		if (r == 0)
			die("%s: write of %zu bytes returned 0", what, n);
		p += r;
		n -= r;
	}
}

static void read_all(int fd, void *buf, size_t n, const char *what)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("%s: read: %s", what, strerror(errno));
		if (r == 0)
			die("%s: end of file after %zu of %zu bytes", what, got,
			    n);
		got += r;
	}
}

/* Bytes that differ from one round trip to the next. */
static void fill(unsigned char *buf, size_t n, uint64_t seed)
{
	uint32_t x = (uint32_t)(seed * 2654435761u) | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
}

static void set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		die("setsockopt TCP_NODELAY: %s", strerror(errno));
}

static socklen_t resolve(const char *host, unsigned int port,
			 struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	usage_error("host '%s' is not an IPv4 or IPv6 literal", host);
}

static int tcp_connect(const char *host, unsigned int port)
{
	struct sockaddr_storage ss;
	socklen_t len = resolve(host, port, &ss);
	int fd;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect to %s port %u: %s", host, port, strerror(errno));
	set_nodelay(fd);
	return fd;
}

/*
 * Open a toaster for round trips of @size bytes: darkness 1, the slot
 * emptied, the capacity raised to @size if it is smaller. The STATUS
 * ioctl also waits for the connection (open() never does).
 */
static int dev_open(const char *dev, size_t size)
{
	struct toaster_status st;
	__u32 v;
	int fd;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", dev, strerror(errno));
	memset(&st, 0, sizeof(st));
	if (ioctl(fd, TOASTER_IOC_STATUS, &st) < 0)
		die("%s: status: %s", dev, strerror(errno));
	v = TOASTER_DARKNESS_MIN;
	if (ioctl(fd, TOASTER_IOC_SET_DARKNESS, &v) < 0)
		die("%s: set darkness: %s", dev, strerror(errno));
	if (ioctl(fd, TOASTER_IOC_POP) < 0)
		die("%s: pop: %s", dev, strerror(errno));
	if (st.capacity < size) {
		if (size > TOASTER_CAPACITY_MAX)
			die("%s: %zu bytes do not fit a toaster (at most %u)",
			    dev, size, TOASTER_CAPACITY_MAX);
		v = size;
		if (ioctl(fd, TOASTER_IOC_SET_CAPACITY, &v) < 0)
			die("%s: set capacity %u: %s", dev, v,
			    strerror(errno));
	}
	return fd;
}

/* --- round trips ------------------------------------------------------------ */

struct rt {
	int fd;
	int duplex;		/* write and read at once (non-blocking TCP) */
	size_t size;
	unsigned char *wbuf, *rbuf;
	const char *what;
};

static void rt_init(struct rt *rt, int fd, size_t size, int duplex,
		    const char *what)
{
	rt->fd = fd;
	rt->size = size;
	rt->duplex = duplex;
	rt->what = what;
	rt->wbuf = xmalloc(size);
	rt->rbuf = xmalloc(size);
	if (duplex && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("%s: O_NONBLOCK: %s", what, strerror(errno));
}

/* Send and receive at once: an echo peer's buffers never fill up. */
static void rt_duplex(struct rt *rt)
{
	size_t sent = 0, got = 0;
	struct pollfd p;
	ssize_t r;
	int n;

	while (got < rt->size) {
		p.fd = rt->fd;
		p.events = POLLIN | (sent < rt->size ? POLLOUT : 0);
		n = poll(&p, 1, IO_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("%s: poll: %s", rt->what, strerror(errno));
		if (n == 0)
			die("%s: no progress for %d ms (%zu of %zu bytes back)",
			    rt->what, IO_TIMEOUT_MS, got, rt->size);
		if (sent < rt->size && (p.revents & (POLLOUT | POLLERR))) {
			r = write(rt->fd, rt->wbuf + sent, rt->size - sent);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				die("%s: write: %s", rt->what, strerror(errno));
			if (r > 0)
				sent += r;
		}
		if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
			r = read(rt->fd, rt->rbuf + got, rt->size - got);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				die("%s: read: %s", rt->what, strerror(errno));
			if (r == 0)
				die("%s: end of file after %zu of %zu bytes",
				    rt->what, got, rt->size);
			if (r > 0)
				got += r;
		}
	}
}

/* One round trip with fresh bytes; returns its time in ns. */
static uint64_t rt_once(struct rt *rt, uint64_t seq)
{
	uint64_t t0, t1;

	fill(rt->wbuf, rt->size, seq);
	t0 = now_ns();
	if (rt->duplex) {
		rt_duplex(rt);
	} else {
		write_all(rt->fd, rt->wbuf, rt->size, rt->what);
		read_all(rt->fd, rt->rbuf, rt->size, rt->what);
	}
	t1 = now_ns();
	if (memcmp(rt->wbuf, rt->rbuf, rt->size))
		die("%s: round trip %" PRIu64 ": the %zu bytes read back differ from those written",
		    rt->what, seq, rt->size);
	return t1 - t0;
}

static void print_stream(const struct stats *st, size_t size)
{
	kv("size", "%zu", size);
	print_latency(st);
	kv("mib_s", "%.2f", size / (st->median / 1e9) / 1048576.0);
	kv("best_mib_s", "%.2f", size / (st->min / 1e9) / 1048576.0);
}

/* --- measurements of round trips --------------------------------------------- */

/*
 * One measurement ("spec") is a kind and its arguments, those of the
 * subcommand of the same name. `mix` runs several at once, interleaved in
 * blocks: BLOCK round trips of each in turn, again and again, so that a
 * slow moment of the host slows them all alike and their ratios hold,
 * while each block still runs as a steady loop. The first round trip of a
 * block is not timed (it follows another measurement's traffic).
 */
enum kind { K_TCP, K_TCP_STREAM, K_PTY, K_DEV, K_DEV_STREAM, K_PING, K_N };

static const struct {
	const char *name;
	int nargs;
	const char *args;
} kinds[K_N] = {
	[K_TCP] = { "tcp-rtt", 3, "HOST PORT SIZE" },
	[K_TCP_STREAM] = { "tcp-stream", 3, "HOST PORT SIZE" },
	[K_PTY] = { "pty-rtt", 2, "PTY SIZE" },
	[K_DEV] = { "dev-rtt", 2, "DEV SIZE" },
	[K_DEV_STREAM] = { "dev-stream", 2, "DEV SIZE" },
	[K_PING] = { "dev-ping", 1, "DEV" },
};

struct spec {
	const char *name;	/* key prefix; NULL: the one of --name */
	enum kind kind;
	struct rt rt;
	uint64_t *ns;		/* the timed round trips */
	uint64_t *kns;		/* K_PING: the module's own measurement */
};

static int kind_of(const char *s)
{
	int k;

	for (k = 0; k < K_N; k++)
		if (!strcmp(s, kinds[k].name))
			return k;
	return -1;
}

static int pty_open(const char *path)
{
	struct termios t;
	int fd;

	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (tcgetattr(fd, &t) < 0)
		die("%s: not a terminal: %s", path, strerror(errno));
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		die("%s: raw mode: %s", path, strerror(errno));
	tcflush(fd, TCIOFLUSH);
	return fd;
}

/* Check @args (kinds[kind].nargs of them), open, room for @count times. */
static void spec_setup(struct spec *sp, enum kind kind, char **args,
		       size_t count)
{
	const char *what = sp->name ? sp->name : kinds[kind].name;
	unsigned int port;
	size_t size;

	sp->kind = kind;
	switch (kind) {
	case K_TCP:
	case K_TCP_STREAM:
		port = parse_num(args[1], "PORT", 1, 65535, 0);
		size = parse_num(args[2], "SIZE", 1, MAX_SIZE, 1);
		rt_init(&sp->rt, tcp_connect(args[0], port), size,
			kind == K_TCP_STREAM, what);
		break;
	case K_PTY:
		size = parse_num(args[1], "SIZE", 1, 4096, 1);
		rt_init(&sp->rt, pty_open(args[0]), size, 0, what);
		break;
	case K_DEV:
	case K_DEV_STREAM:
		size = parse_num(args[1], "SIZE", 1, TOASTER_CAPACITY_MAX, 1);
		rt_init(&sp->rt, dev_open(args[0], size), size, 0, what);
		break;
	default:
		sp->rt.fd = dev_open(args[0], 0);
		sp->rt.what = what;
		break;
	}
	sp->ns = xmalloc(count * sizeof(*sp->ns));
	sp->kns = kind == K_PING ? xmalloc(count * sizeof(*sp->kns)) : NULL;
}

static uint64_t spec_once(struct spec *sp, uint64_t seq, uint64_t *kernel_ns)
{
	struct toaster_ping p;
	uint64_t t0, t;

	if (sp->kind != K_PING)
		return rt_once(&sp->rt, seq);
	memset(&p, 0, sizeof(p));
	t0 = now_ns();
	if (ioctl(sp->rt.fd, TOASTER_IOC_PING, &p) < 0)
		die("%s: ping: %s", sp->rt.what, strerror(errno));
	t = now_ns() - t0;
	*kernel_ns = p.rtt_ns;
	return t;
}

static void spec_print(struct spec *sp, size_t count, int nspecs,
		       size_t block)
{
	const char *saved = prefix;
	struct stats st;

	if (sp->name)
		prefix = sp->name;
	stats_of(sp->ns, count, &st);
	if (sp->kind == K_TCP_STREAM || sp->kind == K_DEV_STREAM) {
		print_stream(&st, sp->rt.size);
	} else {
		if (sp->kind != K_PING)
			kv("size", "%zu", sp->rt.size);
		print_latency(&st);
	}
	if (sp->kns) {
		stats_of(sp->kns, count, &st);
		kv("kernel_median_ns", "%" PRIu64, st.median);
		kv("kernel_p99_ns", "%" PRIu64, st.p99);
	}
	kv("interleaved_with", "%d", nspecs - 1);
	if (nspecs > 1)
		kv("block", "%zu", block);
	prefix = saved;
}

/*
 * Each spec's warm-up, then @count timed round trips of each, in turns of
 * @block (one spec alone: all in one go).
 */
static void mix_run(struct spec *sp, int n, size_t count, size_t block)
{
	size_t i, done = 0, k, warm = warmup_of(count);
	uint64_t seq = 0, kernel = 0;
	int j;

	if (n == 1)
		block = count;
	for (j = 0; j < n; j++)
		for (i = 0; i < warm; i++)
			spec_once(&sp[j], seq++, &kernel);
	while (done < count) {
		k = count - done < block ? count - done : block;
		for (j = 0; j < n; j++) {
			if (n > 1)
				spec_once(&sp[j], seq++, &kernel);
			for (i = done; i < done + k; i++) {
				sp[j].ns[i] = spec_once(&sp[j], seq++, &kernel);
				if (sp[j].kns)
					sp[j].kns[i] = kernel;
			}
		}
		done += k;
	}
	for (j = 0; j < n; j++)
		spec_print(&sp[j], count, n, block);
}

/* tcp-rtt, tcp-stream, pty-rtt, dev-rtt, dev-stream, dev-ping. */
static int cmd_single(int argc, char **argv, enum kind kind)
{
	struct spec sp = { 0 };
	size_t count;

	if (argc != kinds[kind].nargs + 2)
		usage_error("usage: toaster_bench %s %s COUNT",
			    kinds[kind].name, kinds[kind].args);
	count = parse_num(argv[argc - 1], "COUNT", 1, MAX_COUNT, 0);
	spec_setup(&sp, kind, argv + 1, count);
	mix_run(&sp, 1, count, count);
	return 0;
}

/* NAME=KIND,ARG,...: split in place. Returns the kind; fills @args. */
static enum kind parse_spec(char *s, const char **name, char **args,
			    int max)
{
	char *eq = strchr(s, '='), *tok, *save;
	int k, n = 0;

	*name = NULL;
	if (eq) {
		*eq = '\0';
		*name = s;
		s = eq + 1;
	}
	tok = strtok_r(s, ",", &save);
	k = tok ? kind_of(tok) : -1;
	if (k < 0)
		usage_error("'%s' is not a measurement (tcp-rtt, tcp-stream, pty-rtt, dev-rtt, dev-stream, dev-ping)",
			    tok ? tok : "");
	while ((tok = strtok_r(NULL, ",", &save)) && n < max)
		args[n++] = tok;
	if (n != kinds[k].nargs || tok)
		usage_error("%s wants %s", kinds[k].name, kinds[k].args);
	return k;
}

static int cmd_mix(int argc, char **argv)
{
	struct spec sp[16];
	size_t count, block = 100;
	char *args[8];
	int i, n;

	if (argc > 2 && !strcmp(argv[1], "--block")) {
		block = parse_num(argv[2], "BLOCK", 1, MAX_COUNT, 0);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3)
		usage_error("usage: toaster_bench mix [--block B] COUNT NAME=KIND,ARG,... ...");
	count = parse_num(argv[1], "COUNT", 1, MAX_COUNT, 0);
	n = argc - 2;
	if (n > (int)(sizeof(sp) / sizeof(sp[0])))
		usage_error("mix: at most %zu measurements", sizeof(sp) / sizeof(sp[0]));
	memset(sp, 0, sizeof(sp));
	for (i = 0; i < n; i++) {
		enum kind k = parse_spec(argv[i + 2], &sp[i].name, args, 8);

		spec_setup(&sp[i], k, args, count);
	}
	mix_run(sp, n, count, block);
	return 0;
}

/* --- peers ------------------------------------------------------------------ */

static void need_args(int argc, int n, const char *usage)
{
	if (argc != n)
		usage_error("usage: toaster_bench %s", usage);
}

static void __attribute__((noreturn)) echo_conn(int fd)
{
	static unsigned char buf[256 * 1024];
	ssize_t r;

	set_nodelay(fd);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(0);
		write_all(fd, buf, r, "echo-server");
	}
}

static int cmd_echo_server(int argc, char **argv)
{
	struct sockaddr_in sin;
	int lfd, fd, one = 1, daemonize = 0;
	unsigned int port;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[2], "--daemon"))
		daemonize = 1;
	else
		need_args(argc, 2, "echo-server PORT [--daemon]");
	port = parse_num(argv[1], "PORT", 1, 65535, 0);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("bind 127.0.0.1 port %u: %s", port, strerror(errno));
	if (listen(lfd, 1024) < 0)
		die("listen: %s", strerror(errno));
	signal(SIGCHLD, SIG_IGN);	/* connection processes reap themselves */

	if (daemonize) {
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid) {
			kv("pid", "%d", (int)pid);
			return 0;
		}
		setsid();
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			close(fd);
		}
	}
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept: %s", strerror(errno));
		}
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			close(lfd);
			echo_conn(fd);
		}
		close(fd);
	}
}

/* What reading the clock costs: the floor under every sample. */
static int cmd_clock(int argc, char **argv)
{
	enum { N = 10000 };
	static uint64_t ns[N];
	struct stats st;
	char src[64] = "?";
	uint64_t t, prev;
	int i, fd;
	ssize_t n;

	(void)argv;
	need_args(argc, 1, "clock");
	prev = now_ns();
	for (i = 0; i < N; i++) {
		t = now_ns();
		ns[i] = t - prev;
		prev = t;
	}
	stats_of(ns, N, &st);
	fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, src, sizeof(src) - 1);
		src[n > 0 ? n : 0] = '\0';
		src[strcspn(src, "\n")] = '\0';
		close(fd);
	}
	kv("clocksource", "%s", src);
	kv("read_median_ns", "%" PRIu64, st.median);
	kv("read_min_ns", "%" PRIu64, st.min);
	return 0;
}

/* --- parallel ------------------------------------------------------------------ */

/*
 * parallel: N processes at once, each with its own connection or device.
 * With several targets (and --rounds R), the time is cut in R rounds and
 * each round runs every target in turn for SECONDS / R: the targets see
 * the same moments of the host.
 */
struct target {
	const char *name;	/* key prefix; NULL: the one of --name */
	const char *host;	/* tcp: HOST; dev: DEVPREFIX */
	unsigned int port;	/* tcp; 0 for dev */
	uint64_t ops, dropped, nsamples, cap;
	uint64_t wops[MAX_WORKERS];	/* per worker, over all rounds */
	uint64_t *samples;
	double secs;
};

/* What the workers of one phase share with the parent. */
struct worker_result {
	uint64_t ops;
	uint64_t nsamples;
	uint64_t end_ns;
};

struct shared {
	uint64_t start_ns;
	struct worker_result w[MAX_WORKERS];
};

static void kill_all(const pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

static void __attribute__((noreturn))
worker(int i, struct rt *rt, struct shared *sh, uint32_t *samples,
       uint64_t cap, double secs, int ready_fd, int go_fd)
{
	struct worker_result *r = &sh->w[i];
	uint64_t deadline, t, seq = 0, ns;
	char c = 'r';
	int k;

	for (k = 0; k < 10; k++)
		rt_once(rt, seq++);
	if (write(ready_fd, &c, 1) != 1)
		die("worker %d: ready: %s", i, strerror(errno));
	close(ready_fd);
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	deadline = __atomic_load_n(&sh->start_ns, __ATOMIC_ACQUIRE) +
		   (uint64_t)(secs * 1e9);
	do {
		ns = rt_once(rt, seq++);
		if (r->nsamples < cap)
			samples[r->nsamples++] = ns > UINT32_MAX ? UINT32_MAX : ns;
		r->ops++;
		t = now_ns();
	} while (t < deadline);
	r->end_ns = t;
	_exit(0);
}

/* One phase: fork @n workers on @t, barrier, @secs of round trips. */
static void par_phase(struct target *t, int n, double secs, size_t size,
		      struct shared *sh, uint32_t *samples, uint64_t cap)
{
	int i, ready[2], go[2], status, failed = 0;
	pid_t pids[MAX_WORKERS];
	char what[300], buf[MAX_WORKERS];
	uint64_t end = 0, k;
	ssize_t r;

	memset(sh, 0, sizeof(*sh));
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			kill_all(pids, i);
			die("fork: %s", strerror(errno));
		}
		if (!pids[i]) {
			struct rt rt;
			int fd;

			close(ready[0]);
			close(go[1]);
			if (t->port) {
				snprintf(what, sizeof(what), "%s worker %d (%s port %u)",
					 t->name ? t->name : "parallel", i,
					 t->host, t->port);
				fd = tcp_connect(t->host, t->port);
			} else {
				snprintf(what, sizeof(what), "%s%d", t->host, i + 1);
				fd = dev_open(what, size);
			}
			rt_init(&rt, fd, size, 0, what);
			worker(i, &rt, sh, samples + i * cap, cap, secs,
			       ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);

	/* Barrier: every worker is connected and warmed up. */
	for (i = 0; i < n; i += r) {
		r = read(ready[0], buf, n - i);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			kill_all(pids, n);
			die("%s: only %d of %d workers got ready",
			    t->name ? t->name : "parallel", i, n);
		}
	}
	close(ready[0]);
	__atomic_store_n(&sh->start_ns, now_ns(), __ATOMIC_RELEASE);
	close(go[1]);

	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
		pids[i] = 0;
	}
	if (failed)
		die("%s: %d of %d workers failed",
		    t->name ? t->name : "parallel", failed, n);

	for (i = 0; i < n; i++) {
		struct worker_result *w = &sh->w[i];

		t->ops += w->ops;
		t->wops[i] += w->ops;
		t->dropped += w->ops - w->nsamples;
		if (w->end_ns > end)
			end = w->end_ns;
		if (t->nsamples + w->nsamples > t->cap) {
			t->cap = 2 * (t->nsamples + w->nsamples);
			t->samples = realloc(t->samples, t->cap * sizeof(*t->samples));
			if (!t->samples)
				die("out of memory");
		}
		for (k = 0; k < w->nsamples; k++)
			t->samples[t->nsamples++] = samples[i * cap + k];
	}
	t->secs += (end - sh->start_ns) / 1e9;
}

static void par_print(struct target *t, int n, int rounds, size_t size)
{
	const char *saved = prefix;
	uint64_t minops = UINT64_MAX, maxops = 0;
	struct stats st;
	int i;

	if (t->name)
		prefix = t->name;
	for (i = 0; i < n; i++) {
		if (t->wops[i] < minops)
			minops = t->wops[i];
		if (t->wops[i] > maxops)
			maxops = t->wops[i];
	}
	stats_of(t->samples, t->nsamples, &st);
	kv("workers", "%d", n);
	kv("size", "%zu", size);
	kv("rounds", "%d", rounds);
	kv("seconds", "%.3f", t->secs);
	kv("ops", "%" PRIu64, t->ops);
	kv("ops_s", "%.1f", t->ops / t->secs);
	kv("worker_min_ops", "%" PRIu64, minops);
	kv("worker_max_ops", "%" PRIu64, maxops);
	kv("median_ns", "%" PRIu64, st.median);
	kv("p99_ns", "%" PRIu64, st.p99);
	kv("max_ns", "%" PRIu64, st.max);
	kv("samples_dropped", "%" PRIu64, t->dropped);
	prefix = saved;
}

/* [NAME=]tcp,HOST,PORT or [NAME=]dev,DEVPREFIX */
static void parse_target(char *s, struct target *t)
{
	char *eq = strchr(s, '='), *kind, *a, *b, *save;

	memset(t, 0, sizeof(*t));
	if (eq) {
		*eq = '\0';
		t->name = s;
		s = eq + 1;
	}
	kind = strtok_r(s, ",", &save);
	a = strtok_r(NULL, ",", &save);
	b = strtok_r(NULL, ",", &save);
	if (kind && !strcmp(kind, "tcp") && a && b && !strtok_r(NULL, ",", &save)) {
		t->host = a;
		t->port = parse_num(b, "PORT", 1, 65535, 0);
	} else if (kind && !strcmp(kind, "dev") && a && !b) {
		t->host = a;
	} else {
		usage_error("parallel: a target is [NAME=]tcp,HOST,PORT or [NAME=]dev,DEVPREFIX");
	}
}

static int cmd_parallel(int argc, char **argv)
{
	struct target *ts;
	struct shared *sh;
	uint32_t *samples;
	int n, i, r, rounds = 1, nt;
	uint64_t cap;
	double secs;
	size_t size;

	if (argc > 2 && !strcmp(argv[1], "--rounds")) {
		rounds = parse_num(argv[2], "ROUNDS", 1, 1000, 0);
		argc -= 2;
		argv += 2;
	}
	if (argc < 5)
		usage_error("usage: toaster_bench parallel [--rounds R] N SECONDS SIZE TARGET...");
	n = parse_num(argv[1], "N", 1, MAX_WORKERS, 0);
	secs = parse_num(argv[2], "SECONDS", 1, 3600, 0);
	size = parse_num(argv[3], "SIZE", 1, MAX_SIZE, 1);
	nt = argc - 4;
	ts = xmalloc(nt * sizeof(*ts));
	for (i = 0; i < nt; i++)
		parse_target(argv[i + 4], &ts[i]);

	cap = SAMPLE_BYTES / sizeof(*samples) / n;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	samples = mmap(NULL, SAMPLE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sh == MAP_FAILED || samples == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nt; i++)
			par_phase(&ts[i], n, secs / rounds, size, sh, samples, cap);
	for (i = 0; i < nt; i++)
		par_print(&ts[i], n, rounds, size);
	return 0;
}

/* --- memory ------------------------------------------------------------------ */

/*
 * Two counts of the kernel memory that something takes:
 *
 * objects: with tracefs, the kmem (kmalloc, kmem_cache_alloc, kfree,
 *	kmem_cache_free) and percpu trace events while it happens. Every slab
 *	object, large kmalloc and per-CPU area allocated and not freed by the
 *	end counts with its bytes_alloc (what the allocator handed out, not
 *	what was asked for), plus the growth of VmallocUsed (page-exact).
 *	Each is attributed by its call site: toaster.ko, toaster_server.ko,
 *	toaster_rio.ko, socket buffers (a call site with "skb" in its name)
 *	or the rest of the kernel (sockets, files, sysfs, ...).
 * pages: the growth of Slab + VmallocUsed + Percpu in /proc/meminfo: what
 *	those allocators took from the page allocator. Page-granular, and
 *	the per-CPU slab caches hide small objects: noisy below a few
 *	hundred KiB in all.
 */

#define TRACE_BUF_KB	8192	/* per CPU */
#define OBJ_SLOTS	(1U << 19)
#define MAX_SITES	4096
#define TOP_SITES	8

enum mem_class { C_OTHER, C_SKB, C_N };

struct mem {
	long long slab, vmalloc, percpu;	/* KiB */
};

struct site {
	char name[96];
	enum mem_class cls;
	long long bytes, objects;
};

struct obj {
	uint64_t ptr;
	uint32_t bytes;
	uint16_t site;
	uint8_t kind;		/* 1 slab or kmalloc, 2 percpu */
	uint8_t state;		/* 0 empty, 1 live, 2 freed */
};

/* What one measurement saw, in bytes. */
struct mem_rep {
	long long total;	/* objects (socket buffers aside) + vmalloc, or pages */
	long long pages;	/* Slab + VmallocUsed + Percpu */
	long long vmalloc;
	long long skb;		/* live socket buffer objects */
	long long queued;	/* bytes in TCP queues (ss: rmem, wmem, queued) */
};

struct meter {
	struct mem a, b;
	int traced;
	int own_events;		/* we turned the events on, we turn them off */
	struct site *sites;
	int nsites;
	struct obj *objs;
	long long cls[C_N];
	long long queued;	/* TCP queues, all sockets (ss -tm) */
	int sockets;		/* sockets ss showed */
};

static char tracefs[64];
static int tracefs_checked;
static const char *const trace_events[] = {
	"kmem/kmalloc", "kmem/kmalloc_node", "kmem/kmem_cache_alloc",
	"kmem/kmem_cache_alloc_node", "kmem/kfree", "kmem/kmem_cache_free",
	"percpu/percpu_alloc_percpu", "percpu/percpu_free_percpu",
};

static long long meminfo_field(const char *text, const char *name)
{
	const char *p = strstr(text, name);
	long long v;

	if (!p || (p != text && p[-1] != '\n') ||
	    sscanf(p + strlen(name), " %lld", &v) != 1)
		die("/proc/meminfo: no %s", name);
	return v;
}

static void read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	if (n < 0)
		die("%s: %s", path, strerror(errno));
	buf[n] = '\0';
	close(fd);
}

static void mem_read(struct mem *m)
{
	char buf[8192];

	read_file("/proc/meminfo", buf, sizeof(buf));
	m->slab = meminfo_field(buf, "Slab:");
	m->vmalloc = meminfo_field(buf, "VmallocUsed:");
	m->percpu = meminfo_field(buf, "Percpu:");
}

static long long mem_total(const struct mem *m)
{
	return m->slab + m->vmalloc + m->percpu;
}

/* Where tracefs is, mounting it if need be; "" without the kmem events. */
static const char *tracefs_dir(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing"
	};
	char path[128];
	unsigned int i;
	int pass;

	if (tracefs_checked)
		return tracefs;
	tracefs_checked = 1;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s/events/kmem/kmalloc/enable",
				 dirs[i]);
			if (!access(path, W_OK)) {
				snprintf(tracefs, sizeof(tracefs), "%s", dirs[i]);
				return tracefs;
			}
		}
		if (!pass && mount("tracefs", dirs[0], "tracefs", 0, NULL) < 0)
			break;
	}
	return tracefs;
}

/* Write @val to tracefs file @name; 0, or -1 if it does not exist. */
static int trace_set(const char *name, const char *val, int must)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracefs, name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		if (must)
			die("%s: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, val, strlen(val)) < 0 && must)
		die("%s: %s", path, strerror(errno));
	close(fd);
	return 0;
}

static void trace_events_set(const char *val)
{
	char name[96];
	unsigned int i;

	for (i = 0; i < sizeof(trace_events) / sizeof(trace_events[0]); i++) {
		snprintf(name, sizeof(name), "events/%s/enable", trace_events[i]);
		trace_set(name, val, 0);
	}
}

/*
 * Turning an event on or off patches the kernel's code (text_poke_bp(),
 * int3 on every CPU), which under QEMU TCG with 2 vCPUs can, rarely, hang
 * the guest. So mem-trace on/off does it once around all the memory
 * measurements, and a meter only records while tracing_on is 1.
 */
static int trace_events_on(void)
{
	char path[128], buf[8] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/events/kmem/kmalloc/enable", tracefs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return buf[0] == '1';
}

static void trace_prepare(void)
{
	char kb[32];

	trace_set("tracing_on", "0", 1);
	snprintf(kb, sizeof(kb), "%d", TRACE_BUF_KB);
	trace_set("buffer_size_kb", kb, 1);
	trace_set("options/hash-ptr", "0", 0);	/* real addresses */
	trace_set("trace", "", 1);		/* empty the buffer */
	trace_events_set("1");
}

static void meter_start(struct meter *m)
{
	memset(m, 0, sizeof(*m));
	m->traced = *tracefs_dir() != '\0';
	if (m->traced) {
		trace_set("tracing_on", "0", 1);
		if (!trace_events_on()) {
			trace_prepare();
			m->own_events = 1;
		}
		trace_set("trace", "", 1);		/* empty the buffer */
	}
	mem_read(&m->a);
	if (m->traced)
		trace_set("tracing_on", "1", 1);
}

/* Socket buffers: skb heads and data come from functions named *skb*. */
static enum mem_class class_of(const char *fn)
{
	return strstr(fn, "skb") ? C_SKB : C_OTHER;
}

/* The call site of an event line: "function [module]", offset dropped. */
static int site_of(struct meter *m, const char *line)
{
	const char *p = strstr(line, "call_site=");
	char fn[64] = "?", mod[32] = "", name[sizeof(m->sites[0].name)];
	int i, n;

	if (p) {
		p += strlen("call_site=");
		n = strcspn(p, "+ \n");
		snprintf(fn, sizeof(fn), "%.*s", n, p);
		p += strcspn(p, " \n");
		if (p[0] == ' ' && p[1] == '[') {
			n = strcspn(p + 1, " \n");
			snprintf(mod, sizeof(mod), "%.*s", n, p + 1);
		}
	}
	snprintf(name, sizeof(name), "%s%s%s", fn, *mod ? " " : "", mod);
	for (i = 0; i < m->nsites; i++)
		if (!strcmp(m->sites[i].name, name))
			return i;
	if (m->nsites == MAX_SITES)
		return MAX_SITES - 1;	/* the last one collects the rest */
	i = m->nsites++;
	memcpy(m->sites[i].name, name, sizeof(name));
	m->sites[i].cls = class_of(fn);
	return i;
}

static struct obj *obj_slot(struct meter *m, uint64_t ptr, int kind, int add)
{
	uint64_t h = (ptr ^ (ptr >> 29) ^ (uint64_t)kind) * 0x9e3779b97f4a7c15ULL;
	uint32_t i = h >> 45, n;
	struct obj *o;

	for (n = 0; n < OBJ_SLOTS; n++, i = (i + 1) % OBJ_SLOTS) {
		o = &m->objs[i];
		if (!o->state)
			return add ? o : NULL;
		if (o->ptr == ptr && o->kind == kind && o->state == 1)
			return o;
	}
	die("trace: more than %u allocations to follow", OBJ_SLOTS);
}

static uint64_t field_u64(const char *line, const char *key, int base)
{
	const char *p = strstr(line, key);

	return p ? strtoull(p + strlen(key), NULL, base) : 0;
}

/* One trace line: an allocation or a free we follow. */
static void trace_line(struct meter *m, const char *line)
{
	static const struct {
		const char *ev;
		int kind, alloc;
	} evs[] = {
		{ ": kmalloc: ", 1, 1 },
		{ ": kmalloc_node: ", 1, 1 },
		{ ": kmem_cache_alloc: ", 1, 1 },
		{ ": kmem_cache_alloc_node: ", 1, 1 },
		{ ": kfree: ", 1, 0 },
		{ ": kmem_cache_free: ", 1, 0 },
		{ ": percpu_alloc_percpu: ", 2, 1 },
		{ ": percpu_free_percpu: ", 2, 0 },
	};
	unsigned int i;
	struct obj *o;
	uint64_t ptr;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (strstr(line, evs[i].ev))
			break;
	if (i == sizeof(evs) / sizeof(evs[0]))
		return;
	ptr = field_u64(line, " ptr=", 16);
	if (!ptr)
		return;
	if (evs[i].alloc) {
		o = obj_slot(m, ptr, evs[i].kind, 1);
		o->ptr = ptr;
		o->kind = evs[i].kind;
		o->state = 1;
		o->bytes = field_u64(line, " bytes_alloc=", 10);
		o->site = site_of(m, line);
	} else {
		o = obj_slot(m, ptr, evs[i].kind, 0);
		if (o)		/* else allocated before we looked */
			o->state = 2;
	}
}

/*
 * Bytes in the queues of every TCP socket, from ss -tm: the skmem fields
 * r (receive queue), t (transmit, not yet freed) and w (send queue).
 */
static void tcp_queued(struct meter *m)
{
	char line[1024], *p, *tok, *save;
	FILE *f;

	m->queued = 0;
	m->sockets = 0;
	fflush(stdout);
	f = popen("ss -Htmn 2>/dev/null", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "skmem:(");
		if (!p)
			continue;
		m->sockets++;
		p[strcspn(p, ")")] = '\0';
		for (tok = strtok_r(p + 7, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			if ((tok[0] == 'r' || tok[0] == 't' || tok[0] == 'w') &&
			    tok[1] >= '0' && tok[1] <= '9')
				m->queued += strtoll(tok + 1, NULL, 10);
	}
	pclose(f);
}

static void meter_stop(struct meter *m)
{
	unsigned long long entries = 0, written = 0;
	char path[128], line[1024];
	struct site *s;
	uint32_t i;
	FILE *f;

	if (m->traced)
		trace_set("tracing_on", "0", 1);
	mem_read(&m->b);
	if (!m->traced) {
		tcp_queued(m);
		return;
	}
	if (m->own_events)
		trace_events_set("0");

	m->sites = calloc(MAX_SITES, sizeof(*m->sites));
	m->objs = calloc(OBJ_SLOTS, sizeof(*m->objs));
	if (!m->sites || !m->objs)
		die("out of memory");
	snprintf(path, sizeof(path), "%s/trace", tracefs);
	f = fopen(path, "re");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			sscanf(line, "# entries-in-buffer/entries-written: %llu/%llu",
			       &entries, &written);
			continue;
		}
		trace_line(m, line);
	}
	fclose(f);
	if (entries != written)
		die("trace: %llu of %llu events lost (buffer_size_kb %d too small?)",
		    written - entries, written, TRACE_BUF_KB);
	trace_set("trace", "", 1);

	for (i = 0; i < OBJ_SLOTS; i++) {
		if (m->objs[i].state != 1)
			continue;
		s = &m->sites[m->objs[i].site];
		s->bytes += m->objs[i].bytes;
		s->objects++;
		m->cls[s->cls] += m->objs[i].bytes;
	}
	free(m->objs);
	m->objs = NULL;
	tcp_queued(m);		/* after the trace: ss allocates too */
}

/* The meter's counts divided by @n; keeps the sites for print_sites(). */
static void meter_rep(const struct meter *m, int n, struct mem_rep *r)
{
	memset(r, 0, sizeof(*r));
	r->pages = (mem_total(&m->b) - mem_total(&m->a)) * 1024 / n;
	r->vmalloc = (m->b.vmalloc - m->a.vmalloc) * 1024 / n;
	r->skb = m->cls[C_SKB] / n;
	r->queued = m->queued / n;
	if (m->traced)
		r->total = m->cls[C_OTHER] / n + r->vmalloc;
	else
		r->total = r->pages;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The median of one field of @reps (the lower one of two). */
static long long rep_median(const struct mem_rep *reps, int nreps,
			    size_t off)
{
	long long v[64];
	int i;

	for (i = 0; i < nreps; i++)
		v[i] = *(const long long *)((const char *)&reps[i] + off);
	qsort(v, nreps, sizeof(v[0]), cmp_ll);
	return v[(nreps - 1) / 2];
}

#define REP_MEDIAN(reps, n, field) \
	rep_median(reps, n, offsetof(struct mem_rep, field))

/* The biggest call sites of the last measurement, per @n. */
static void print_sites(const struct meter *m, int n)
{
	int i, j, best, shown[TOP_SITES];
	char key[16];

	if (!m->traced)
		return;
	for (i = 0; i < TOP_SITES; i++) {
		best = -1;
		for (j = 0; j < m->nsites; j++) {
			int k, dup = 0;

			for (k = 0; k < i; k++)
				dup |= shown[k] == j;
			if (!dup && m->sites[j].bytes > 0 &&
			    (best < 0 || m->sites[j].bytes > m->sites[best].bytes))
				best = j;
		}
		if (best < 0)
			break;
		shown[i] = best;
		snprintf(key, sizeof(key), "site%d", i + 1);
		kv(key, "%lld %.2f %s", m->sites[best].bytes / n,
		   (double)m->sites[best].objects / n, m->sites[best].name);
	}
}

static void print_mem(const struct mem_rep *reps, int nreps, int n,
		      const struct meter *last)
{
	char list[64 * 24] = "";
	size_t len = 0;
	int i;

	for (i = 0; i < nreps; i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%lld",
				i ? "," : "", reps[i].total);
	kv("method", "%s", last->traced ? "objects" : "pages");
	kv("conns", "%d", n);
	kv("reps", "%d", nreps);
	kv("per_conn_bytes", "%lld", REP_MEDIAN(reps, nreps, total));
	kv("per_conn_bytes_reps", "%s", list);
	kv("per_conn_pages_bytes", "%lld", REP_MEDIAN(reps, nreps, pages));
	kv("per_conn_vmalloc_bytes", "%lld", REP_MEDIAN(reps, nreps, vmalloc));
	kv("per_conn_skb_bytes", "%lld", REP_MEDIAN(reps, nreps, skb));
	kv("per_conn_queued_bytes", "%lld", REP_MEDIAN(reps, nreps, queued));
	kv("tcp_sockets", "%d", last->sockets);
	print_sites(last, n);
}

static void meter_free(struct meter *m)
{
	free(m->sites);
	m->sites = NULL;
}

static void mem_args(char **argv, int first, int *n, int *reps)
{
	*n = parse_num(argv[first], "N", 1, MAX_CONNS, 0);
	*reps = parse_num(argv[first + 1], "REPS", 1, 64, 0);
}

static int cmd_meminfo(int argc, char **argv)
{
	struct mem m;

	(void)argv;
	need_args(argc, 1, "meminfo");
	mem_read(&m);
	kv("slab_kib", "%lld", m.slab);
	kv("vmalloc_kib", "%lld", m.vmalloc);
	kv("percpu_kib", "%lld", m.percpu);
	kv("total_kib", "%lld", mem_total(&m));
	return 0;
}

/* mem-trace on|off: the trace events of the meters, for a series of them. */
static int cmd_mem_trace(int argc, char **argv)
{
	need_args(argc, 2, "mem-trace on|off");
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		usage_error("mem-trace: '%s' is neither on nor off", argv[1]);
	if (!*tracefs_dir())
		die("no tracefs with the kmem events: the memory rows count pages");
	if (!strcmp(argv[1], "on")) {
		trace_prepare();
	} else {
		trace_events_set("0");
		trace_set("trace", "", 1);
		trace_set("options/hash-ptr", "1", 0);
		trace_set("tracing_on", "1", 1);
	}
	return 0;
}

/* mem-cmd: what running a command (insmod ...) leaves allocated. */
static int cmd_mem_cmd(int argc, char **argv)
{
	struct mem_rep r;
	struct meter m;
	int status;
	pid_t pid;

	if (argc < 2)
		usage_error("usage: toaster_bench mem-cmd CMD [ARGS...]");
	usleep(SETTLE_US);
	meter_start(&m);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		execvp(argv[1], argv + 1);
		die("%s: %s", argv[1], strerror(errno));
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	usleep(SETTLE_US);
	meter_stop(&m);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s failed (status %d)", argv[1], status);
	meter_rep(&m, 1, &r);
	print_mem(&r, 1, 1, &m);
	meter_free(&m);
	return 0;
}

static int cmd_mem_tcp(int argc, char **argv)
{
	static int c[MAX_CONNS], s[MAX_CONNS];
	unsigned char msg[64], back[64];
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct mem_rep reps[64];
	struct meter m;
	int n, nreps, rep, i, lfd;

	need_args(argc, 3, "mem-tcp N REPS");
	mem_args(argv, 1, &n, &nreps);
	memset(msg, 'm', sizeof(msg));
	memset(&m, 0, sizeof(m));
	for (rep = 0; rep < nreps; rep++) {
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0)
			die("socket: %s", strerror(errno));
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    listen(lfd, MAX_CONNS) < 0 ||
		    getsockname(lfd, (struct sockaddr *)&sin, &len) < 0)
			die("listen on 127.0.0.1: %s", strerror(errno));
		usleep(SETTLE_US);
		meter_free(&m);
		meter_start(&m);
		for (i = 0; i < n; i++) {
			c[i] = tcp_connect("127.0.0.1", ntohs(sin.sin_port));
			s[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (s[i] < 0)
				die("accept: %s", strerror(errno));
			set_nodelay(s[i]);
			write_all(c[i], msg, sizeof(msg), "mem-tcp");
			read_all(s[i], back, sizeof(back), "mem-tcp");
			write_all(s[i], msg, sizeof(msg), "mem-tcp");
			read_all(c[i], back, sizeof(back), "mem-tcp");
		}
		usleep(SETTLE_US);
		meter_stop(&m);
		meter_rep(&m, n, &reps[rep]);
		for (i = 0; i < n; i++) {
			close(c[i]);
			close(s[i]);
		}
		close(lfd);
	}
	kv("endpoints_per_conn", "2");
	print_mem(reps, nreps, n, &m);
	meter_free(&m);
	return 0;
}

/* Send one RIO frame: header and payload in one write. */
static void rio_send(int fd, const struct rio_msg *m, const void *payload,
		     const char *what)
{
	unsigned char buf[sizeof(struct rio_hdr) + sizeof(struct rio_hello)];

	if (m->length > sizeof(struct rio_hello))
		die("%s: frame too long", what);
	rio_encode((struct rio_hdr *)buf, m);
	if (m->length)
		memcpy(buf + sizeof(struct rio_hdr), payload, m->length);
	write_all(fd, buf, sizeof(struct rio_hdr) + m->length, what);
}

/* Connect to toaster @serial and HELLO as toaster.ko does. */
static int rio_hello_conn(const char *host, unsigned int serial)
{
	struct rio_hello_info info = {
		.caps = RIO_CAP_NOTIFY,
		.max_payload = RIO_MAX_PAYLOAD,
		.max_inflight = 1,
		.wait_ms = 1000,
	};
	struct rio_msg m = {
		.opcode = RIO_OP_HELLO,
		.tag = 1,
		.arg = serial,
		.length = sizeof(struct rio_hello),
	};
	struct rio_hello h, rh;
	struct rio_hdr hdr;
	struct rio_msg resp;
	char what[32];
	int fd, bad;

	snprintf(what, sizeof(what), "toaster %u", serial);
	fd = tcp_connect(host, RIO_BASE_PORT + serial);
	rio_hello_encode(&h, &info);
	rio_send(fd, &m, &h, what);
	read_all(fd, &hdr, sizeof(hdr), what);
	bad = rio_decode(&hdr, RIO_DIR_RESPONSE, &resp);
	if (!bad)
		bad = rio_check_reply(&m, &resp);
	if (bad)
		die("%s: bad HELLO answer: %s", what, rio_bad_str(bad));
	if (resp.status != RIO_S_OK)
		die("%s: HELLO refused: %s", what, rio_status_str(resp.status));
	if (resp.length != sizeof(rh))
		die("%s: HELLO answer of %u bytes", what, resp.length);
	read_all(fd, &rh, sizeof(rh), what);
	return fd;
}

/* Read and drop what the server sent meanwhile (NOTIFY frames). */
static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int cmd_mem_rio(int argc, char **argv)
{
	static int fds[RIO_MAX_SERIAL];
	struct rio_msg bye = { .opcode = RIO_OP_BYE };
	struct mem_rep reps[64];
	struct meter m;
	int n, nreps, rep, i;

	need_args(argc, 4, "mem-rio HOST N REPS");
	mem_args(argv, 2, &n, &nreps);
	if (n > RIO_MAX_SERIAL)
		usage_error("mem-rio: N is at most %d", RIO_MAX_SERIAL);
	memset(&m, 0, sizeof(m));
	for (rep = 0; rep < nreps; rep++) {
		usleep(SETTLE_US);
		meter_free(&m);
		meter_start(&m);
		for (i = 0; i < n; i++)
			fds[i] = rio_hello_conn(argv[1], i + 1);
		usleep(SETTLE_US);
		for (i = 0; i < n; i++)
			drain(fds[i]);
		meter_stop(&m);
		meter_rep(&m, n, &reps[rep]);
		for (i = 0; i < n; i++) {
			rio_send(fds[i], &bye, NULL, "bye");
			close(fds[i]);
		}
	}
	print_mem(reps, nreps, n, &m);
	meter_free(&m);
	return 0;
}

static int cmd_mem_dev(int argc, char **argv)
{
	static int fds[MAX_CONNS];
	struct toaster_status st;
	struct mem_rep reps[64];
	struct meter m;
	char dev[256];
	int n, nreps, rep, i;

	need_args(argc, 4, "mem-dev DEVPREFIX N REPS");
	mem_args(argv, 2, &n, &nreps);
	memset(&m, 0, sizeof(m));
	for (rep = 0; rep < nreps; rep++) {
		usleep(SETTLE_US);
		meter_free(&m);
		meter_start(&m);
		for (i = 0; i < n; i++) {
			snprintf(dev, sizeof(dev), "%s%d", argv[1], i + 1);
			fds[i] = open(dev, O_RDWR | O_CLOEXEC);
			if (fds[i] < 0)
				die("%s: %s", dev, strerror(errno));
		}
		for (i = 0; i < n; i++) {
			memset(&st, 0, sizeof(st));
			if (ioctl(fds[i], TOASTER_IOC_STATUS, &st) < 0)
				die("%s%d: status: %s", argv[1], i + 1,
				    strerror(errno));
		}
		usleep(SETTLE_US);
		meter_stop(&m);
		meter_rep(&m, n, &reps[rep]);
		for (i = 0; i < n; i++)
			close(fds[i]);
	}
	print_mem(reps, nreps, n, &m);
	meter_free(&m);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int kind;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--name") && argc > 2) {
			prefix = argv[2];
			argc -= 2;
			argv += 2;
			continue;
		}
		usage_error("unknown option '%s'", argv[1]);
	}
	if (argc < 2)
		usage_error("no command");
	cmd = argv[1];
	argc--;
	argv++;
	kind = kind_of(cmd);	/* the single measurements: the kinds table */

	if (kind >= 0)
		cmd_single(argc, argv, kind);
	else if (!strcmp(cmd, "echo-server"))
		cmd_echo_server(argc, argv);
	else if (!strcmp(cmd, "mix"))
		cmd_mix(argc, argv);
	else if (!strcmp(cmd, "clock"))
		cmd_clock(argc, argv);
	else if (!strcmp(cmd, "parallel"))
		cmd_parallel(argc, argv);
	else if (!strcmp(cmd, "mem-tcp"))
		cmd_mem_tcp(argc, argv);
	else if (!strcmp(cmd, "mem-rio"))
		cmd_mem_rio(argc, argv);
	else if (!strcmp(cmd, "mem-dev"))
		cmd_mem_dev(argc, argv);
	else if (!strcmp(cmd, "mem-trace"))
		cmd_mem_trace(argc, argv);
	else if (!strcmp(cmd, "mem-cmd"))
		cmd_mem_cmd(argc, argv);
	else if (!strcmp(cmd, "meminfo"))
		cmd_meminfo(argc, argv);
	else
		usage_error("unknown command '%s'", cmd);

	if (fflush(stdout) || ferror(stdout))
		die("write error on stdout");
	return 0;
}
