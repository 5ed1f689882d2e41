// SPDX-License-Identifier: GPL-2.0
/*
 * riopeer: the connection to the server. Resolve the address, connect and
 * close, send and receive whole buffers within a deadline. The socket is
 * non-blocking; every wait is a poll() bounded by the deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "riopeer.h"

/* Milliseconds on the monotonic clock. */
long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse -h HOST and the port into rp->peer_addr. */
void resolve_peer(struct riopeer *rp)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&rp->peer_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&rp->peer_addr;
	char addr[INET6_ADDRSTRLEN + 2];
	size_t n;

	snprintf(addr, sizeof(addr), "%s", rp->host);
	n = strlen(addr);
	if (addr[0] == '[' && n > 2 && addr[n - 1] == ']') {
		memmove(addr, addr + 1, n - 2);
		addr[n - 2] = '\0';
	}
	memset(&rp->peer_addr, 0, sizeof(rp->peer_addr));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(rp->port);
		rp->peer_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(rp->port);
		rp->peer_len = sizeof(*sin6);
	} else {
		usage_error("host '%s' is not an IPv4 or IPv6 literal", rp->host);
	}
}

void do_connect(struct riopeer *rp)
{
	socklen_t elen = sizeof(int);
	struct pollfd pfd;
	int one = 1, err = 0, r;

	rp->sock = socket(rp->peer_addr.ss_family,
			  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rp->sock < 0)
		die("socket: %s", strerror(errno));
	setsockopt(rp->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(rp->sock, (struct sockaddr *)&rp->peer_addr, rp->peer_len) < 0) {
		if (errno != EINPROGRESS)
			die("connect to %s port %d: %s", rp->host, rp->port,
			    strerror(errno));
		pfd.fd = rp->sock;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, rp->timeout_ms);
		if (r < 0)
			die("poll: %s", strerror(errno));
		if (r == 0)
			die("connect to %s port %d: timed out after %d ms",
			    rp->host, rp->port, rp->timeout_ms);
		if (getsockopt(rp->sock, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err)
			die("connect to %s port %d: %s", rp->host, rp->port,
			    strerror(err));
	}
	rp->closed = false;
	rp->notify_mask = -1;
	if (rp->verbose)
		printf("> connected to %s port %d\n", rp->host, rp->port);
}

/* Close the socket (if open); outstanding requests are forgotten. */
void do_close(struct riopeer *rp)
{
	if (rp->sock >= 0)
		close(rp->sock);
	rp->sock = -1;
	rp->closed = true;
	drop_pending(rp);
}

/*
 * Send all of @buf before @deadline. Returns 0, or -1 if the peer has
 * already closed or reset the connection (only allowed when @tolerate).
 */
int send_all(struct riopeer *rp, const void *buf, size_t len,
	     long long deadline, bool tolerate)
{
	const unsigned char *p = buf;
	struct pollfd pfd = { .fd = rp->sock, .events = POLLOUT };
	ssize_t n;
	long long left;

	if (rp->closed)
		die("cannot send: the connection is closed");
	while (len) {
		n = send(rp->sock, p, len, MSG_NOSIGNAL);
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
			die("send: timed out after %d ms (server not reading)",
			    rp->timeout_ms);
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
	return 0;
}

/* Send a header and its payload within the timeout. */
void send_frame(struct riopeer *rp, const struct rio_hdr *hdr,
		const void *payload, size_t len, bool tolerate)
{
	long long deadline = now_ms() + rp->timeout_ms;

	if (send_all(rp, hdr, sizeof(*hdr), deadline, tolerate) < 0 ||
	    (len && send_all(rp, payload, len, deadline, tolerate) < 0)) {
		printf("# send: the server already closed the connection\n");
		return;
	}
}

/*
 * Receive exactly @len bytes before @deadline. Returns 1 when done, 0 on
 * end of file (or reset) before the first byte, -1 on timeout before the
 * first byte. EOF or a timeout in the middle is an error.
 */
int recv_all(struct riopeer *rp, void *buf, size_t len, long long deadline)
{
	struct pollfd pfd = { .fd = rp->sock, .events = POLLIN };
	unsigned char *p = buf;
	size_t got = 0;
	long long left;
	ssize_t n;
	int r;

	while (got < len) {
		n = recv(rp->sock, p + got, len - got, 0);
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
