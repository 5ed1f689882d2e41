// SPDX-License-Identifier: GPL-2.0
/*
 * toaster_poll_test: readiness, signals and disconnects of /dev/toasterN,
 * against a live toaster_server.
 *
 *   toaster_poll_test [-d DEV]
 *	O_NONBLOCK reads and writes, poll() and epoll readiness while toast
 *	is toasting and when it is ready, POLLOUT of a full slot; a signal
 *	without SA_RESTART fails a blocking read with EINTR, the device
 *	keeps working and the toast shows up exactly once later; with
 *	SA_RESTART the read restarts and returns the toast.
 *	Needs toast_ms >= 20 (darkness 10 toasts for 10 * toast_ms).
 *
 *   toaster_poll_test [-d DEV] --stress SECONDS
 *	A child writes a 256 KiB patterned stream while the parent reads it,
 *	both under SIGALRM every 1..20 ms (no SA_RESTART): every byte must
 *	come back once and in order (cancelled READs, stashed toast,
 *	cancelled WRITEs that were taken anyway), within SECONDS.
 *
 *   toaster_poll_test [-d DEV] --disconnect 'CMD'
 *	A child blocks in read() on toast that takes 10 * toast_ms, then CMD
 *	(e.g. "rmmod toaster_server") runs: the read must fail with
 *	ECONNRESET within a second, poll() must report POLLHUP | POLLERR,
 *	further reads ENOTCONN and sysfs state "dead".
 *	Needs toast_ms >= 200.
 *
 * Prints one "ok N - ..." / "not ok N - ..." line per check; exits 0 iff
 * all passed, 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/toaster.h>

#include "check.h"

static const char *dev = "/dev/toaster1";

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void set_u32(int fd, unsigned long cmd, __u32 v, const char *what)
{
	if (ioctl(fd, cmd, &v) < 0)
		fatal("%s: %s: %s", dev, what, strerror(errno));
}

static void set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK :
			    fl & ~O_NONBLOCK) < 0)
		fatal("fcntl: %s", strerror(errno));
}

/* poll() for @events until they are all set or @timeout_ms passes. */
static short wait_events(int fd, short events, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	struct pollfd p = { .fd = fd, .events = events };
	int left, n;

	for (;;) {
		left = end - now_ms();
		p.revents = 0;
		n = poll(&p, 1, left > 0 ? left : 0);
		if (n < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if ((p.revents & events) == events || left <= 0)
			return p.revents;
		if (n > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
			return p.revents;
		if (n > 0)
			usleep(10000);	/* part of it ready: try again */
	}
}

static short poll_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, 0) < 0)
		fatal("poll: %s", strerror(errno));
	return p.revents;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void arm(int ms, int restart)
{
	struct itimerval it = { .it_value = { 0, ms * 1000 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &it, NULL))
		fatal("signal setup: %s", strerror(errno));
}

static int readiness_and_signals(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct toaster_ping ping = { 0 };
	struct toaster_status st;
	__u32 v;
	char buf[64], big[16];
	long long t0;
	ssize_t n;
	short r;
	int fd, ep;

	/*
	 * open() does not wait for the connection; with O_NONBLOCK nothing
	 * does: calls fail with EAGAIN until poll() says the device is up.
	 */
	fd = open(dev, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		fatal("%s: %s", dev, strerror(errno));
	r = wait_events(fd, POLLOUT, 2000);
	check(r & POLLOUT, "O_NONBLOCK open: poll says POLLOUT once connected (revents %#x)",
	      r);
	if (ioctl(fd, TOASTER_IOC_RESET) < 0)
		fatal("%s: reset: %s", dev, strerror(errno));

	/* The file basics, checked by the kernel, not only by toasterctl. */
	check(lseek(fd, 0, SEEK_SET) < 0 && errno == ESPIPE,
	      "lseek fails with ESPIPE");
	v = 0;
	check(ioctl(fd, TOASTER_IOC_SET_DARKNESS, &v) < 0 && errno == EINVAL,
	      "darkness 0 fails with EINVAL");
	v = TOASTER_CAPACITY_MAX + 1;
	check(ioctl(fd, TOASTER_IOC_SET_CAPACITY, &v) < 0 && errno == EINVAL,
	      "capacity 1 MiB + 1 fails with EINVAL");
	v = 2;
	check(ioctl(fd, TOASTER_IOC_SET_OVERWRITE, &v) < 0 && errno == EINVAL,
	      "overwrite 2 fails with EINVAL");
	check(ioctl(fd, _IO(TOASTER_IOC_MAGIC, 0x30)) < 0 && errno == ENOTTY,
	      "an unknown ioctl fails with ENOTTY");
	check(ioctl(fd, TOASTER_IOC_PING, &ping) == 0 && ping.rtt_ns > 0,
	      "ping measures a round trip (%llu ns)",
	      (unsigned long long)ping.rtt_ns);

	/* Empty slot: a read returns EOF at once; readable and writable. */
	n = read(fd, buf, sizeof(buf));
	check(n == 0, "empty toaster: O_NONBLOCK read returns 0 (EOF), got %zd (%s)",
	      n, n < 0 ? strerror(errno) : "");
	r = wait_events(fd, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM, 2000);
	check((r & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)) ==
	      (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM),
	      "empty toaster: poll says POLLIN|POLLRDNORM|POLLOUT|POLLWRNORM (revents %#x)",
	      r);

	/* Bread in the slot, toasting: not readable, EAGAIN. */
	set_u32(fd, TOASTER_IOC_SET_DARKNESS, 10, "set darkness");
	n = write(fd, "abc", 3);
	check(n == 3, "O_NONBLOCK write of 3 bytes accepted, got %zd", n);
	n = read(fd, buf, sizeof(buf));
	check(n < 0 && errno == EAGAIN,
	      "toasting: O_NONBLOCK read fails with EAGAIN, got %zd (%s)",
	      n, n < 0 ? strerror(errno) : "data");
	r = poll_now(fd, POLLIN);
	check(!(r & POLLIN), "toasting: poll does not say POLLIN (revents %#x)",
	      r);
	t0 = now_ms();
	r = wait_events(fd, POLLIN, 30000);
	check(r & POLLIN, "poll wakes up with POLLIN when the toast is ready, after %lld ms (revents %#x)",
	      now_ms() - t0, r);
	memset(buf, 0, sizeof(buf));
	n = read(fd, buf, sizeof(buf));
	check(n == 3 && !memcmp(buf, "abc", 3),
	      "ready: read returns the toast 'abc', got %zd", n);

	/* The same with epoll. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		fatal("epoll: %s", strerror(errno));
	n = write(fd, "def", 3);
	check(n == 3, "O_NONBLOCK write of 3 more bytes accepted, got %zd", n);
	n = epoll_wait(ep, &ev, 1, 0);
	check(n == 0, "toasting: epoll_wait reports nothing, got %zd", n);
	n = epoll_wait(ep, &ev, 1, 30000);
	check(n == 1 && (ev.events & EPOLLIN),
	      "epoll_wait wakes up with EPOLLIN when the toast is ready (n %zd events %#x)",
	      n, n == 1 ? ev.events : 0);
	memset(buf, 0, sizeof(buf));
	n = read(fd, buf, sizeof(buf));
	check(n == 3 && !memcmp(buf, "def", 3),
	      "ready: read returns 'def', got %zd", n);
	close(ep);

	/* A full slot is not writable. */
	set_u32(fd, TOASTER_IOC_SET_CAPACITY, sizeof(big), "set capacity");
	memset(big, 'x', sizeof(big));
	n = write(fd, big, sizeof(big));
	check(n == sizeof(big), "fill the %zu-byte slot, got %zd", sizeof(big),
	      n);
	r = poll_now(fd, POLLOUT);
	check(!(r & POLLOUT), "full slot: poll does not say POLLOUT (revents %#x)",
	      r);
	n = write(fd, "y", 1);
	check(n < 0 && errno == EAGAIN,
	      "full slot: O_NONBLOCK write fails with EAGAIN, got %zd", n);
	if (ioctl(fd, TOASTER_IOC_POP) < 0)
		fatal("%s: pop: %s", dev, strerror(errno));
	r = wait_events(fd, POLLOUT, 2000);
	check(r & POLLOUT, "after pop: POLLOUT again (revents %#x)", r);
	set_u32(fd, TOASTER_IOC_SET_CAPACITY, TOASTER_CAPACITY_DEFAULT,
		"set capacity");

	/* A signal (no SA_RESTART) interrupts a blocking read: EINTR. */
	set_nonblock(fd, 0);
	n = write(fd, "xyz", 3);
	check(n == 3, "blocking write of 3 bytes accepted, got %zd", n);
	arm(50, 0);
	t0 = now_ms();
	n = read(fd, buf, sizeof(buf));
	check(n < 0 && errno == EINTR,
	      "signal during a blocking read: EINTR after %lld ms, got %zd (%s)",
	      now_ms() - t0, n, n < 0 ? strerror(errno) : "data");

	memset(&st, 0, sizeof(st));
	n = ioctl(fd, TOASTER_IOC_STATUS, &st);
	check(!n && st.bytes == 3,
	      "the device still works: status says 3 bytes in the slot (%zd, %u)",
	      n, st.bytes);

	/* The toast comes exactly once, nothing stale later. */
	memset(buf, 0, sizeof(buf));
	n = read(fd, buf, sizeof(buf));
	check(n == 3 && !memcmp(buf, "xyz", 3),
	      "the next blocking read returns 'xyz', got %zd", n);
	set_nonblock(fd, 1);
	n = read(fd, buf, sizeof(buf));
	check(n == 0, "then the toaster is empty: read returns 0, got %zd", n);
	set_nonblock(fd, 0);

	/* With SA_RESTART the read is restarted and gets the toast. */
	n = write(fd, "uvw", 3);
	check(n == 3, "blocking write of 3 bytes accepted, got %zd", n);
	arm(50, 1);
	memset(buf, 0, sizeof(buf));
	n = read(fd, buf, sizeof(buf));
	check(n == 3 && !memcmp(buf, "uvw", 3),
	      "SA_RESTART: the interrupted read restarts and returns 'uvw', got %zd (%s)",
	      n, n < 0 ? strerror(errno) : "");
	set_nonblock(fd, 1);
	n = read(fd, buf, sizeof(buf));
	check(n == 0, "then the toaster is empty: read returns 0, got %zd", n);

	if (ioctl(fd, TOASTER_IOC_RESET) < 0)
		fatal("%s: reset: %s", dev, strerror(errno));
	close(fd);
	return failures ? 1 : 0;
}

static void read_sysfs_state(char *out, size_t len)
{
	char path[256], *copy = strdup(dev);
	FILE *f;

	snprintf(out, len, "?");
	if (!copy)
		return;
	snprintf(path, sizeof(path), "/sys/class/misc/%s/state",
		 basename(copy));
	free(copy);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/* Byte @off of the stress stream: period 251 (prime), so a lost,
 * duplicated or reordered chunk shows. */
static unsigned char pattern(unsigned long off)
{
	return off % 251;
}

static void interval_timer(int min_ms, int max_ms)
{
	int ms = min_ms + rand() % (max_ms - min_ms + 1);
	struct itimerval it = {
		.it_interval = { 0, ms * 1000 },
		.it_value = { 0, ms * 1000 },
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &it, NULL))
		fatal("signal setup: %s", strerror(errno));
}

/* Writer: @total bytes in random chunks, signals all along. */
static void stress_writer(int fd, unsigned long total)
{
	unsigned char buf[4096];
	unsigned long off = 0, i;
	size_t len;
	ssize_t n;

	srand(getpid());
	interval_timer(1, 20);
	while (off < total) {
		len = 1 + rand() % sizeof(buf);
		if (len > total - off)
			len = total - off;
		for (i = 0; i < len; i++)
			buf[i] = pattern(off + i);
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(10);
		off += n;	/* a short write: the rest goes again */
	}
	_exit(0);
}

static int stress(unsigned int seconds)
{
	unsigned long total = 256 * 1024, off = 0, eintr = 0, i;
	long long end = now_ms() + seconds * 1000LL;
	unsigned char buf[8192];
	int fd, status, bad = 0;
	pid_t pid;
	ssize_t n;

	fd = open(dev, O_RDWR);
	if (fd < 0)
		fatal("%s: %s", dev, strerror(errno));
	if (ioctl(fd, TOASTER_IOC_RESET) < 0)
		fatal("%s: reset: %s", dev, strerror(errno));
	set_u32(fd, TOASTER_IOC_SET_DARKNESS, 1, "set darkness");
	set_u32(fd, TOASTER_IOC_SET_CAPACITY, 65536, "set capacity");

	pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (!pid)
		stress_writer(fd, total);

	srand(getpid());
	interval_timer(1, 20);
	while (off < total && now_ms() < end && !bad) {
		n = read(fd, buf, 1 + rand() % sizeof(buf));
		if (n < 0 && errno == EINTR) {
			eintr++;
			continue;
		}
		if (n < 0) {
			check(0, "stress: read failed at offset %lu: %s", off,
			      strerror(errno));
			bad = 1;
			break;
		}
		if (!n) {		/* empty for now: the writer is behind */
			usleep(1000);
			continue;
		}
		for (i = 0; i < (unsigned long)n; i++) {
			if (buf[i] != pattern(off + i)) {
				check(0, "stress: byte %lu is %u, expected %u",
				      off + i, buf[i], pattern(off + i));
				bad = 1;
				break;
			}
		}
		off += n;
	}
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	if (off < total)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!bad)
		check(off == total,
		      "stress: %lu of %lu bytes came back in order through %lu interrupted reads",
		      off, total, eintr);
	if (off == total)
		check(WIFEXITED(status) && !WEXITSTATUS(status),
		      "stress: the writer, interrupted all along, got through (status %#x)",
		      status);
	close(fd);
	return failures ? 1 : 0;
}

static int disconnect(const char *cmd)
{
	struct { int err; long long when; } res = { 0, 0 };
	char buf[16], state[32];
	long long t0;
	int fd, p[2], status;
	ssize_t n;
	pid_t pid;
	short r;

	fd = open(dev, O_RDWR);
	if (fd < 0)
		fatal("%s: %s", dev, strerror(errno));
	if (ioctl(fd, TOASTER_IOC_RESET) < 0)
		fatal("%s: reset: %s", dev, strerror(errno));
	set_u32(fd, TOASTER_IOC_SET_DARKNESS, 10, "set darkness");
	if (write(fd, "z", 1) != 1)
		fatal("%s: write: %s", dev, strerror(errno));
	if (pipe(p))
		fatal("pipe: %s", strerror(errno));

	pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (!pid) {
		n = read(fd, buf, sizeof(buf));
		res.err = n < 0 ? errno : 0;
		res.when = now_ms();
		if (write(p[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}

	usleep(500000);		/* the child is blocked in read() now */
	t0 = now_ms();
	status = system(cmd);
	check(status == 0, "'%s' succeeds (status %d)", cmd, status);

	r = wait_events(fd, POLLIN | POLLOUT, 1000);
	check((r & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR),
	      "poll reports POLLHUP|POLLERR (revents %#x)", r);

	if (read(p[0], &res, sizeof(res)) != sizeof(res))
		fatal("no result from the reader");
	waitpid(pid, NULL, 0);
	check(res.err == ECONNRESET && res.when - t0 < 1000,
	      "the blocked read fails with ECONNRESET within a second: %s after %lld ms",
	      res.err ? strerror(res.err) : "data", res.when - t0);

	n = read(fd, buf, sizeof(buf));
	check(n < 0 && errno == ENOTCONN, "then read fails with ENOTCONN, got %zd (%s)",
	      n, n < 0 ? strerror(errno) : "data");
	n = write(fd, "a", 1);
	check(n < 0 && errno == ENOTCONN, "and write fails with ENOTCONN, got %zd (%s)",
	      n, n < 0 ? strerror(errno) : "");
	read_sysfs_state(state, sizeof(state));
	check(!strcmp(state, "dead"), "sysfs state is 'dead' (%s)", state);
	close(fd);
	read_sysfs_state(state, sizeof(state));
	check(!strcmp(state, "disconnected"),
	      "after close: sysfs state is 'disconnected' (%s)", state);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "disconnect", required_argument, NULL, 'D' },
		{ "stress", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd = NULL;
	int c, seconds = 0;

	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'D':
			cmd = optarg;
			break;
		case 'S':
			seconds = atoi(optarg);
			if (seconds < 1 || seconds > 3600) {
				fprintf(stderr, "toaster_poll_test: bad --stress seconds\n");
				return 2;
			}
			break;
		case 'h':
			printf("usage: toaster_poll_test [-d DEV] [--disconnect CMD | --stress SECS]\n"
			       "Checks poll/epoll readiness, O_NONBLOCK and signals of DEV\n"
			       "(default /dev/toaster1); with --disconnect, that a read\n"
			       "blocked while CMD kills the server fails with ECONNRESET;\n"
			       "with --stress, that a stream written and read under a hail\n"
			       "of signals comes back complete and in order.\n");
			return 0;
		default:
			fprintf(stderr, "toaster_poll_test: bad usage (try --help)\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "toaster_poll_test: bad usage (try --help)\n");
		return 2;
	}
	if (seconds)
		return stress(seconds);
	return cmd ? disconnect(cmd) : readiness_and_signals();
}
