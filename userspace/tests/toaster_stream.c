// SPDX-License-Identifier: GPL-2.0
/*
 * toaster_stream: a sequence-numbered, checksummed stream through one open
 * file of /dev/toasterN, for the fault suite (userspace/tests/50-faults.sh).
 *
 * One thread writes 64-byte records (a sequence number, a payload derived
 * from it and a checksum), another reads the stream back and checks each
 * record: a sequence number above the one expected means records were lost,
 * one below means duplicated, a bad payload or checksum means corrupted.
 * The writer runs for --seconds, or until SIGINT or SIGTERM; then the reader drains until it has every
 * record written or makes no progress for --drain-ms. The toaster is
 * emptied first (TOASTER_IOC_POP), and the writer keeps at most --window
 * records unread: a write into a full toaster waits, and requests of one
 * file go one at a time, so it would hold the reader off (docs/design.md).
 * The result is one line:
 *
 *   streamed=BYTES written=N read=N lost=N duplicated=N corrupted=N error=E
 *
 * Exit status: 0 if nothing was lost, duplicated or corrupted and no call
 * failed; with --expect-error, 0 if a call failed (the loss was reported
 * to the application) and nothing was duplicated or corrupted before it;
 * with --allow-error, either; 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/toaster.h>

#define REC_SIZE	64
#define REC_DATA	(REC_SIZE - 16)
#define REC_PER_WRITE	16

static const char usage_text[] =
"Usage: toaster_stream [OPTIONS]\n"
"\n"
"Stream numbered, checksummed records through a toaster device and check\n"
"that every one comes back once, intact and in order.\n"
"\n"
"  -d, --device PATH    device (default /dev/toaster1)\n"
"  -s, --seconds N      how long to write (default 5); SIGINT or SIGTERM\n"
"                       ends the writing early, the check goes on\n"
"      --drain-ms N     give up reading after N ms without progress\n"
"                       (default 20000)\n"
"      --window N       records written but not read yet, at most\n"
"                       (default 32, 2 KiB: half the default capacity)\n"
"      --expect-error   succeed only if a call failed, and nothing was\n"
"                       duplicated or corrupted\n"
"      --allow-error    succeed with or without a failed call\n"
"      --make-it-fail   the writer and reader threads set their\n"
"                       /proc/thread-self/make-it-fail (fault injection,\n"
"                       e.g. failslab with task-filter)\n"
"  -h, --help           this text\n";

struct stream {
	int fd;
	atomic_bool stop;		/* writer: stop writing */
	atomic_bool done;		/* reader: stop reading */
	atomic_ullong written;		/* records written */
	atomic_ullong got;		/* records read, in order */
	unsigned long long lost, dup, corrupt;
	atomic_int err;			/* first errno of a failed call */
	unsigned int window;		/* records in flight at most */
	bool make_it_fail;		/* set the threads' make-it-fail */
};

/* Fault injection for this thread only: the syscalls on the device. */
static void thread_make_it_fail(struct stream *st)
{
	int fd;

	if (!st->make_it_fail)
		return;
	fd = open("/proc/thread-self/make-it-fail", O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		fprintf(stderr, "toaster_stream: make-it-fail: %s\n",
			strerror(errno));
		exit(1);
	}
	close(fd);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void rec_fill(unsigned char *r, uint64_t seq)
{
	uint64_t sum;
	int i;

	memcpy(r, &seq, 8);
	for (i = 0; i < REC_DATA; i++)
		r[16 + i] = (unsigned char)(seq * 31 + i);
	sum = fnv1a(r + 16, REC_DATA) ^ seq;
	memcpy(r + 8, &sum, 8);
}

/* 0: intact; -1: corrupted. The sequence number is returned in @seq. */
static int rec_check(const unsigned char *r, uint64_t *seq)
{
	unsigned char want[REC_SIZE];

	memcpy(seq, r, 8);
	rec_fill(want, *seq);
	return memcmp(want, r, REC_SIZE) ? -1 : 0;
}

static void set_err(struct stream *st, int e)
{
	int zero = 0;

	atomic_compare_exchange_strong(&st->err, &zero, e);
}

static void *writer(void *arg)
{
	struct stream *st = arg;
	unsigned char buf[REC_SIZE * REC_PER_WRITE];
	uint64_t seq = 0;
	size_t off, len = sizeof(buf);
	int i;

	thread_make_it_fail(st);
	while (!atomic_load(&st->stop) && !atomic_load(&st->err)) {
		if (seq + REC_PER_WRITE - atomic_load(&st->got) > st->window) {
			usleep(500);
			continue;
		}
		for (i = 0; i < REC_PER_WRITE; i++)
			rec_fill(buf + i * REC_SIZE, seq + i);
		for (off = 0; off < len;) {
			ssize_t n = write(st->fd, buf + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				set_err(st, n < 0 ? errno : EIO);
				/* Whole records only count as written. */
				atomic_store(&st->written, seq + off / REC_SIZE);
				return NULL;
			}
			off += n;
		}
		seq += REC_PER_WRITE;
		atomic_store(&st->written, seq);
	}
	return NULL;
}

static void reader_record(struct stream *st, const unsigned char *r)
{
	uint64_t seq, want = atomic_load(&st->got);

	if (rec_check(r, &seq)) {
		st->corrupt++;
		return;
	}
	if (seq < want) {
		st->dup++;
		return;
	}
	st->lost += seq - want;
	atomic_store(&st->got, seq + 1);
}

static void *reader(void *arg)
{
	struct stream *st = arg;
	unsigned char buf[8192 + REC_SIZE];
	size_t have = 0, i;

	thread_make_it_fail(st);
	while (!atomic_load(&st->done)) {
		ssize_t n = read(st->fd, buf + have, 8192);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_err(st, errno);
			break;
		}
		if (n == 0) {		/* nothing toasted yet */
			usleep(1000);
			continue;
		}
		have += n;
		for (i = 0; i + REC_SIZE <= have; i += REC_SIZE)
			reader_record(st, buf + i);
		memmove(buf, buf + i, have - i);
		have -= i;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "drain-ms", required_argument, NULL, 'D' },
		{ "window", required_argument, NULL, 'W' },
		{ "expect-error", no_argument, NULL, 'E' },
		{ "allow-error", no_argument, NULL, 'A' },
		{ "make-it-fail", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = "/dev/toaster1";
	unsigned int seconds = 5, drain_ms = 20000;
	struct stream st = { .fd = -1, .window = 32 };
	unsigned long long w, g, progress;
	bool expect_error = false, allow_error = false, ok;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t set;
	pthread_t wt, rt;
	uint64_t t_end, last;
	int c, e;

	while ((c = getopt_long(argc, argv, "d:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 's':
			seconds = strtoul(optarg, NULL, 0);
			break;
		case 'D':
			drain_ms = strtoul(optarg, NULL, 0);
			break;
		case 'E':
			expect_error = true;
			break;
		case 'A':
			allow_error = true;
			break;
		case 'F':
			st.make_it_fail = true;
			break;
		case 'W':
			st.window = strtoul(optarg, NULL, 0);
			if (st.window < REC_PER_WRITE) {
				fprintf(stderr, "toaster_stream: window below %d\n",
					REC_PER_WRITE);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	st.fd = open(dev, O_RDWR);
	if (st.fd < 0) {
		fprintf(stderr, "toaster_stream: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	/* What an earlier user left in the toaster is not ours. */
	if (ioctl(st.fd, TOASTER_IOC_POP) < 0) {
		fprintf(stderr, "toaster_stream: %s: pop: %s\n", dev,
			strerror(errno));
		return 1;
	}
	/* Only this thread takes the signals that end the writing. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&rt, NULL, reader, &st) ||
	    pthread_create(&wt, NULL, writer, &st)) {
		fprintf(stderr, "toaster_stream: cannot start threads\n");
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	t_end = now_ms() + seconds * 1000ULL;
	while (now_ms() < t_end && !atomic_load(&st.err) && !interrupted)
		usleep(10000);
	atomic_store(&st.stop, true);
	pthread_join(wt, NULL);

	/* Drain: everything written must come back, unless a call failed. */
	last = now_ms();
	progress = atomic_load(&st.got);
	while (atomic_load(&st.got) < atomic_load(&st.written) &&
	       !atomic_load(&st.err) && now_ms() - last < drain_ms) {
		usleep(10000);
		if (atomic_load(&st.got) != progress) {
			progress = atomic_load(&st.got);
			last = now_ms();
		}
	}
	atomic_store(&st.done, true);
	/* The reader may be blocked in read(): closing does not wake it. */
	pthread_cancel(rt);
	pthread_join(rt, NULL);

	w = atomic_load(&st.written);
	g = atomic_load(&st.got);
	e = atomic_load(&st.err);
	if (g < w && !e)
		st.lost += w - g;	/* never came back, and nobody was told */
	printf("streamed=%llu written=%llu read=%llu lost=%llu duplicated=%llu corrupted=%llu error=%s\n",
	       g * REC_SIZE, w, g, st.lost, st.dup, st.corrupt,
	       e ? strerrorname_np(e) : "none");
	/* A gap is a silent loss, whether or not a call failed later. */
	ok = !st.dup && !st.corrupt && !st.lost &&
	     (allow_error || (expect_error ? e != 0 : !e));
	if (close(st.fd) && !expect_error && !allow_error) {
		fprintf(stderr, "toaster_stream: close: %s\n", strerror(errno));
		ok = false;
	}
	return ok ? 0 : 1;
}
