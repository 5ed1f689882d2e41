// SPDX-License-Identifier: GPL-2.0
/*
 * rio_relay: a TCP relay between a toaster client and its server, for the
 * security tests: it records what crosses it, flips one bit of the
 * client-to-server stream, or replays a recorded client stream.
 *
 *   rio_relay --listen ADDR:PORT --to ADDR:PORT [--record FILE]
 *             [--flip OFFSET] [--ready FILE]
 *   rio_relay --replay FILE --to ADDR:PORT
 *
 * Relay mode serves one connection after the other, each in a child
 * process, until killed. --record appends the client's bytes to FILE.c2s
 * and the server's to FILE.s2c; --flip inverts the lowest bit of byte
 * OFFSET (counted from 0) of each connection's client-to-server stream.
 * Replay mode connects, sends FILE (or what the server takes of it before
 * it closes), reads until the server closes, and prints "replay: sent N
 * received M"; after 10 s without a close it says so and exits with 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *record;
static long flip = -1;

static void usage(FILE *f)
{
	fputs("usage: rio_relay --listen ADDR:PORT --to ADDR:PORT [--record FILE]\n"
	      "                 [--flip OFFSET] [--ready FILE]\n"
	      "       rio_relay --replay FILE --to ADDR:PORT\n\n"
	      "Relay TCP connections between a toaster client and its server, one\n"
	      "child each, until killed: record both directions (FILE.c2s, FILE.s2c),\n"
	      "or flip the lowest bit of byte OFFSET of each client-to-server stream.\n"
	      "--ready FILE is created once listening. --replay sends FILE to the\n"
	      "server and reads the answer until it closes (at most 10 s).\n\n"
	      "  -l, --listen ADDR:PORT   where clients connect (IPv4)\n"
	      "  -t, --to ADDR:PORT       the server\n"
	      "  -r, --record FILE        append the streams to FILE.c2s, FILE.s2c\n"
	      "  -f, --flip OFFSET        corrupt one bit of each client stream\n"
	      "  -R, --ready FILE         create FILE once listening\n"
	      "  -p, --replay FILE        replay a recorded client stream\n"
	      "  -h, --help               this text\n", f);
}

static void die(const char *what)
{
	fprintf(stderr, "rio_relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host)) {
		fprintf(stderr, "rio_relay: %s: not ADDR:PORT\n", s);
		exit(2);
	}
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		fprintf(stderr, "rio_relay: %s: not an IPv4 address\n", host);
		exit(2);
	}
}

static int dial(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)))
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(0);	/* the other side left */
		p += w;
		n -= w;
	}
}

static int open_record(const char *suffix)
{
	char path[4096];
	int fd;

	if (!record)
		return -1;
	snprintf(path, sizeof(path), "%s.%s", record, suffix);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		die(path);
	return fd;
}

/* One connection: copy both ways until either side closes. */
static void relay(int cfd, const struct sockaddr_in *to)
{
	int sfd = dial(to), rec[2] = { open_record("c2s"), open_record("s2c") };
	struct pollfd p[2] = { { .fd = cfd, .events = POLLIN },
			       { .fd = sfd, .events = POLLIN } };
	long c2s = 0;
	char buf[65536];

	for (;;) {
		int i;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0)
				exit(0);
			if (i == 0 && flip >= c2s && flip < c2s + n)
				buf[flip - c2s] ^= 1;
			if (i == 0)
				c2s += n;
			if (rec[i] >= 0)
				write_all(rec[i], buf, n);
			write_all(p[!i].fd, buf, n);
		}
	}
}

static int replay(const char *file, const struct sockaddr_in *to)
{
	struct timeval wait = { .tv_sec = 10 };
	int fd = open(file, O_RDONLY), sfd;
	long sent = 0, got = 0;
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		die(file);
	sfd = dial(to);
	/* Neither a server that stops reading nor a silent one hangs us. */
	if (setsockopt(sfd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof(wait)) ||
	    setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)))
		die("setsockopt");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		/* The server may close mid-way: that is an answer too. */
		if (write(sfd, buf, n) != n)
			break;
		sent += n;
	}
	while ((n = read(sfd, buf, sizeof(buf))) > 0)
		got += n;
	/* A reset is a close too; only a silent server is a failure. */
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		printf("replay: sent %ld received %ld, no close within %ld s\n",
		       sent, got, (long)wait.tv_sec);
		return 1;
	}
	printf("replay: sent %ld received %ld\n", sent, got);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "record", required_argument, NULL, 'r' },
		{ "flip", required_argument, NULL, 'f' },
		{ "ready", required_argument, NULL, 'R' },
		{ "replay", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *listen_at = NULL, *to_s = NULL, *ready = NULL, *rfile = NULL;
	struct sockaddr_in at, to;
	int c, lfd, one = 1;

	while ((c = getopt_long(argc, argv, "l:t:r:f:R:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			break;
		case 't':
			to_s = optarg;
			break;
		case 'r':
			record = optarg;
			break;
		case 'f':
			flip = atol(optarg);
			break;
		case 'R':
			ready = optarg;
			break;
		case 'p':
			rfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!to_s || (!listen_at == !rfile) || optind != argc) {
		usage(stderr);
		return 2;
	}
	/*
	 * A server that refuses a peer shuts the connection down (FIN), then
	 * resets it: a write after that fails with EPIPE, and the default
	 * SIGPIPE would end us without a word, so the write error is handled.
	 */
	signal(SIGPIPE, SIG_IGN);
	parse_addr(to_s, &to);
	if (rfile)
		return replay(rfile, &to);

	parse_addr(listen_at, &at);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&at, sizeof(at)) || listen(lfd, 8))
		die("bind/listen");
	signal(SIGCHLD, SIG_IGN);	/* no zombies */
	if (ready && close(open(ready, O_WRONLY | O_CREAT, 0644)))
		die(ready);
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fork() == 0) {
			close(lfd);
			relay(cfd, &to);
		}
		close(cfd);
	}
}
