// SPDX-License-Identifier: GPL-2.0
/*
 * toaster_uring_test: /dev/toasterN through io_uring and RWF_NOWAIT,
 * against a live toaster_server (toast_ms=0 or darkness 1).
 *
 *   toaster_uring_test [-d DEV] [-s BYTES] [-q DEPTH] [-t TOAST_MS] [-S]
 *
 * Empties the toaster and raises its capacity to BYTES, then:
 *  - RWF_NOWAIT (IOCB_NOWAIT) reads are O_NONBLOCK reads: of the empty
 *    toaster, EOF at once; of bread still toasting (darkness 10, when the
 *    server's toast_ms is given as TOAST_MS >= 20), EAGAIN at once; of
 *    toast, the toast;
 *  - BYTES of a counter pattern go in as DEPTH linked io_uring writes (a
 *    link keeps their order: the toaster is a stream) and come back
 *    through DEPTH reads in flight at once, not linked, in two rounds:
 *    reads of BYTES / DEPTH, then reads larger than one READ frame
 *    (several READs in flight inside each). Reads of one file run one at a
 *    time in some order, so each must return a run of consecutive
 *    counters, and the runs together must be every counter exactly once:
 *    no byte lost, none twice, none out of place. With -S the first
 *    read-back runs under a hail of SIGUSR1 (a handler, SA_RESTART): a
 *    read a signal ends before any toast completes with EINTR (io_uring
 *    cannot restart it) and is asked again; still every byte comes back
 *    once, and nothing hangs.
 *
 * Prints one "ok N - ..." / "not ok N - ..." line per check; exits 0 iff
 * all passed, 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/toaster.h>

#include "check.h"

#define MAX_DEPTH	64

static const char *dev = "/dev/toaster1";
static int signals;		/* -S: reads run under a hail of SIGUSR1 */
static unsigned long eintrs;	/* reads a signal ended before any toast */

/* A hang is a failure, not a stuck test run. */
static void on_alarm(int sig)
{
	static const char msg[] = "toaster_uring_test: not done in 60 s\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: toaster_uring_test [-d DEV] [-s BYTES] [-q DEPTH] [-t TOAST_MS] [-S]\n"
		"  /dev/toasterN through io_uring at queue depth DEPTH and RWF_NOWAIT,\n"
		"  against a live toaster_server.\n"
		"  -d DEV     the device [/dev/toaster1]\n"
		"  -s BYTES   bytes written and read back, a multiple of 4 * DEPTH [1048576]\n"
		"  -q DEPTH   requests in flight, 1..%d [32]\n"
		"  -t MS      the server's toast_ms: if >= 20, check that untoasted bread\n"
		"             gives EAGAIN [0: not checked]\n"
		"  -S         the first read-back under a hail of signals: a read a\n"
		"             signal ends (EINTR) is asked again, and still every byte\n"
		"             comes back once\n"
		"  -h         this text\n", MAX_DEPTH);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for one completion; its result, its user_data in *@idx. */
static int reap(struct io_uring *ring, unsigned int *idx)
{
	struct io_uring_cqe *cqe;
	int ret, res;

	do {
		ret = io_uring_wait_cqe(ring, &cqe);
	} while (ret == -EINTR);
	if (ret)
		fatal("io_uring_wait_cqe: %s", strerror(-ret));
	res = cqe->res;
	*idx = (unsigned int)cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static struct io_uring_sqe *sqe_get(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		fatal("io_uring_get_sqe: the ring is full");
	return sqe;
}

/* Write the counters 0.. as @depth linked writes of @size / @depth. */
static int write_linked(struct io_uring *ring, int fd, uint32_t *buf,
			size_t size, unsigned int depth)
{
	size_t chunk = size / depth, i;
	unsigned int n, idx, whole = 0;
	int ret;

	for (i = 0; i < size / 4; i++)
		buf[i] = (uint32_t)i;
	for (n = 0; n < depth; n++) {
		struct io_uring_sqe *sqe = sqe_get(ring);

		io_uring_prep_write(sqe, fd, (char *)buf + n * chunk, chunk,
				    (__u64)-1);
		if (n + 1 < depth)
			sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, n);
	}
	ret = io_uring_submit(ring);
	if (ret != (int)depth)
		fatal("io_uring_submit: %d of %u", ret, depth);
	for (n = 0; n < depth; n++) {
		ret = reap(ring, &idx);
		if (ret == (int)chunk)
			whole++;
		else
			fprintf(stderr, "# write %u: %d (%s)\n", idx, ret,
				ret < 0 ? strerror(-ret) : "short");
	}
	return whole == depth;
}

struct run {
	uint32_t first;
	uint32_t words;
};

static int run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * Read @size bytes back with @depth reads of @chunk in flight, never
 * asking for more than is left (so none waits for toast that will not
 * come). Return: 1 if the runs tile the counters exactly.
 */
static int read_back(struct io_uring *ring, int fd, size_t size,
		     unsigned int depth, size_t chunk)
{
	size_t words = size / 4, asked = 0, got = 0, nruns = 0, i;
	uint32_t *bufs = malloc(depth * chunk);
	struct run *runs = malloc((size / 4 + 1) * sizeof(*runs));
	unsigned int inflight = 0, idx;
	size_t want[MAX_DEPTH] = { 0 };
	int ok = 1, ret;

	if (!bufs || !runs)
		fatal("out of memory");
	for (;;) {
		for (idx = 0; idx < depth && asked < size; idx++) {
			struct io_uring_sqe *sqe;

			if (want[idx])
				continue;
			want[idx] = size - asked < chunk ? size - asked : chunk;
			asked += want[idx];
			sqe = sqe_get(ring);
			io_uring_prep_read(sqe, fd, (char *)bufs + idx * chunk,
					   want[idx], (__u64)-1);
			io_uring_sqe_set_data64(sqe, idx);
			inflight++;
		}
		if (!inflight)
			break;
		io_uring_submit(ring);
		ret = reap(ring, &idx);
		inflight--;
		if (ret == -EINTR && signals) {
			eintrs++;		/* no toast taken: ask again */
			asked -= want[idx];
		} else if (ret <= 0 || ret % 4 || (size_t)ret > want[idx]) {
			fprintf(stderr, "# read of %zu: %d (%s)\n", want[idx],
				ret, ret < 0 ? strerror(-ret) : "bad length");
			ok = 0;
			asked = size;	/* stop asking, drain the others */
		} else {
			const uint32_t *w = (uint32_t *)((char *)bufs +
							 idx * chunk);

			for (i = 1; i < (size_t)ret / 4; i++)
				if (w[i] != w[0] + i)
					ok = 0;
			runs[nruns].first = w[0];
			runs[nruns].words = ret / 4;
			nruns++;
			got += ret;
			asked -= want[idx] - ret;	/* ask for the rest again */
		}
		want[idx] = 0;
	}
	qsort(runs, nruns, sizeof(*runs), run_cmp);
	for (i = 0, words = 0; i < nruns; i++) {
		if (runs[i].first != words) {
			fprintf(stderr, "# run %zu starts at %u, %zu expected\n",
				i, runs[i].first, words);
			ok = 0;
			break;
		}
		words += runs[i].words;
	}
	free(bufs);
	free(runs);
	return ok && got == size && words == size / 4;
}

static void toaster_reset(int fd, size_t size)
{
	struct toaster_status st;
	__u32 cap = size;

	/* Blocking: waits for the connection, so nothing below is EAGAIN for it. */
	if (ioctl(fd, TOASTER_IOC_STATUS, &st) < 0)
		fatal("%s: status: %s", dev, strerror(errno));
	if (ioctl(fd, TOASTER_IOC_POP) < 0)
		fatal("%s: pop: %s", dev, strerror(errno));
	if (st.capacity < cap && ioctl(fd, TOASTER_IOC_SET_CAPACITY, &cap) < 0)
		fatal("%s: capacity %u: %s", dev, cap, strerror(errno));
}

static void set_darkness(int fd, __u32 d)
{
	if (ioctl(fd, TOASTER_IOC_SET_DARKNESS, &d) < 0)
		fatal("%s: darkness %u: %s", dev, d, strerror(errno));
}

static void nowait_checks(int fd, unsigned long toast_ms)
{
	char buf[64] = "bread";
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	ssize_t n;
	double t0;

	t0 = now_s();
	n = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
	check(n == 0 && now_s() - t0 < 1.0,
	      "RWF_NOWAIT read of the empty toaster: EOF at once (%zd, %s, %.3f s)",
	      n, n < 0 ? strerror(errno) : "no error", now_s() - t0);

	set_darkness(fd, 10);
	iov.iov_len = 5;
	n = pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
	check(n == 5, "RWF_NOWAIT write of 5 bytes (%zd)", n);
	iov.iov_len = sizeof(buf);
	memset(buf, 0, sizeof(buf));
	if (toast_ms >= 20) {
		t0 = now_s();
		n = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
		check(n < 0 && errno == EAGAIN && now_s() - t0 < 5 * toast_ms / 1e3,
		      "RWF_NOWAIT read of bread toasting for %lu ms: EAGAIN at once (%zd, %s, %.3f s)",
		      10 * toast_ms, n, n < 0 ? strerror(errno) : "no error",
		      now_s() - t0);
	}
	t0 = now_s();
	do {
		n = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
	} while (n < 0 && errno == EAGAIN && now_s() - t0 < 10.0);
	check(n == 5 && !memcmp(buf, "bread", 5),
	      "RWF_NOWAIT read returns the toast (%zd)", n);
	set_darkness(fd, 1);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A child that signals @pid every half millisecond; its pid. */
static pid_t hail_start(pid_t pid)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	pid_t child;

	if (sigaction(SIGUSR1, &sa, NULL))
		fatal("sigaction: %s", strerror(errno));
	child = fork();
	if (child < 0)
		fatal("fork: %s", strerror(errno));
	if (!child) {
		for (;;) {
			if (kill(pid, SIGUSR1))
				_exit(0);
			usleep(500);
		}
	}
	return child;
}

static void hail_stop(pid_t child)
{
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long depth = 32, size = 1 << 20, toast_ms = 0;
	struct io_uring ring;
	uint32_t *wbuf;
	char *end;
	int fd, c, ret;

	while ((c = getopt_long(argc, argv, "d:s:q:t:Sh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 's':
			size = strtoul(optarg, &end, 0);
			if (*end || !size)
				goto bad;
			break;
		case 'q':
			depth = strtoul(optarg, &end, 0);
			if (*end || !depth || depth > MAX_DEPTH)
				goto bad;
			break;
		case 't':
			toast_ms = strtoul(optarg, &end, 0);
			if (*end || toast_ms > 5000)
				goto bad;
			break;
		case 'S':
			signals = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || size % (4 * depth) || size > TOASTER_CAPACITY_MAX)
		goto bad;

	signal(SIGALRM, on_alarm);
	alarm(60);
	fd = open(dev, O_RDWR);
	if (fd < 0)
		fatal("%s: %s", dev, strerror(errno));
	ret = io_uring_queue_init(2 * MAX_DEPTH, &ring, 0);
	if (ret)
		fatal("io_uring_queue_init: %s", strerror(-ret));
	wbuf = malloc(size);
	if (!wbuf)
		fatal("out of memory");

	toaster_reset(fd, size);
	nowait_checks(fd, toast_ms);

	check(write_linked(&ring, fd, wbuf, size, depth),
	      "%lu bytes as %lu linked io_uring writes", size, depth);
	if (signals) {
		pid_t hail = hail_start(getpid());

		ret = read_back(&ring, fd, size, depth, size / depth);
		hail_stop(hail);
		check(ret, "read back by %lu io_uring reads under a hail of signals (%lu ended by one, asked again): every byte once",
		      depth, eintrs);
	} else {
		check(read_back(&ring, fd, size, depth, size / depth),
		      "read back by %lu io_uring reads of %lu bytes in flight: every byte once, in runs",
		      depth, size / depth);
	}

	/*
	 * A read-back that failed left toast in the slot: without this, the
	 * next MiB would not fit and its last write would wait for room
	 * forever (until the alarm), hiding the first failure's cause.
	 */
	toaster_reset(fd, size);
	check(write_linked(&ring, fd, wbuf, size, depth),
	      "%lu bytes again", size);
	check(read_back(&ring, fd, size, depth > 8 ? 8 : depth, 192 << 10),
	      "read back by io_uring reads of 192 KiB (several READs each): every byte once");

	io_uring_queue_exit(&ring);
	close(fd);
	free(wbuf);
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
