/* SPDX-License-Identifier: GPL-2.0 */
/*
 * riopeer: what its parts share. The whole state of a run is one
 * struct riopeer, created by main() and passed down by pointer; nothing
 * else is mutable and global.
 *
 *   main.c      options, usage, command-line parsers, the command table
 *   conn.c      the connection: connect, close, send, receive
 *   request.c   requests and responses: the pending table, sending,
 *               checking and printing what the server answers, waiting
 *   commands.c  the well-formed commands (cmd_*)
 *   raw.c       raw-bad: deliberately malformed frames
 */
#ifndef _RIOPEER_H
#define _RIOPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include <toaster/rio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_PENDING	64
#define EXPECT_ANY	((1U << RIO_S_MAX) - 1)

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

/* The modifiers following a request's arguments. */
struct mods {
	bool nonblock;
	bool async;
	bool has_tag;
	__u32 tag;
	unsigned int expect;
	long expect_length;
	const char *expect_data;
};

/**
 * struct riopeer - the state of one run
 * @host: -h, as given
 * @port: -p, or 5000 + -n; -1 until known
 * @serial: -n; -1: not given
 * @timeout_ms: -t, longest wait for any response or event
 * @hello_wait_ms: -w, wait_ms offered in HELLO
 * @hello_caps: --caps, capabilities offered in HELLO
 * @hello_inflight: --inflight, max_inflight offered in HELLO
 * @hello_keepalive_ms: --keepalive-ms, keepalive promised in HELLO
 * @hello_resume_ms: --resume-ms, resume_ms asked for in HELLO
 * @hello_session: --session, the session named in HELLO
 * @hello_resume: --resume, HELLO resumes @hello_session
 * @verbose: -v, also print every frame sent
 * @dry_run: first pass over the commands: check the command line only
 * @peer_addr: @host and @port, resolved
 * @peer_len: size of @peer_addr in use
 * @sock: the connection, -1 if none
 * @closed: the connection is closed (by us or the server)
 * @next_tag: tag of the next request without --tag
 * @last_tag: tag of the newest request, for `last`; 0: none yet
 * @notify_mask: arg of the last NOTIFY received, -1: none yet
 * @pending: the requests sent and not answered yet
 * @rxbuf: payload of the frame being received
 * @txbuf: payload built by write-bytes and ping, sent at once
 */
struct riopeer {
	const char *host;
	int port;
	long serial;
	int timeout_ms;
	__u32 hello_wait_ms;
	__u32 hello_caps;
	__u32 hello_inflight;
	__u32 hello_keepalive_ms;
	__u32 hello_resume_ms;
	__u8 hello_session[RIO_SESSION_LEN];
	bool hello_resume;
	bool verbose;
	bool dry_run;
	struct sockaddr_storage peer_addr;
	socklen_t peer_len;

	int sock;
	bool closed;

	__u32 next_tag;
	__u32 last_tag;
	int notify_mask;
	struct pending pending[MAX_PENDING];
	/* IOCTL results are decoded from here as words of up to 8 bytes. */
	unsigned char rxbuf[RIO_MAX_PAYLOAD] __attribute__((aligned(8)));
	unsigned char txbuf[RIO_MAX_PAYLOAD];
};

/* main.c */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void usage_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
__u32 parse_u32(const char *s, const char *what);
unsigned int parse_status_list(const char *s);
bool parse_mask(const char *s, __u32 *mask);

/* conn.c */
long long now_ms(void);
void resolve_peer(struct riopeer *rp);
void do_connect(struct riopeer *rp);
void do_close(struct riopeer *rp);
int send_all(struct riopeer *rp, const void *buf, size_t len,
	     long long deadline, bool tolerate);
void send_frame(struct riopeer *rp, const struct rio_hdr *hdr,
		const void *payload, size_t len, bool tolerate);
int recv_all(struct riopeer *rp, void *buf, size_t len, long long deadline);

/* request.c */
struct pending *find_pending(struct riopeer *rp, __u32 tag);
struct pending *add_pending(struct riopeer *rp, const struct rio_msg *req);
void drop_pending(struct riopeer *rp);
const char *mask_str(__u32 mask);
void print_status_set(FILE *f, unsigned int set);
void print_msg(const char *prefix, const struct rio_msg *m);
int recv_one(struct riopeer *rp, long long deadline);
void wait_for(struct riopeer *rp, __u32 tag);
void parse_mods(int argc, char **argv, int *i, struct mods *md);
void request(struct riopeer *rp, struct rio_msg *m, const void *payload,
	     const struct mods *md);
void oneway(struct riopeer *rp, const struct rio_msg *m);

/* commands.c; every cmd_* consumes its arguments from argv[*i] on. */
void hello_payload(const struct riopeer *rp, struct rio_hello *h,
		   struct rio_hello_info *hi);
void cmd_hello(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_read(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_write(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_write_bytes(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_ioctl(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_ioctl_status(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_ioctl_counters(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_ping(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_cancel(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_wait(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_bye(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_expect_close(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_expect_notify(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_idle(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_sleep(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_close(struct riopeer *rp, int argc, char **argv, int *i);
void cmd_reconnect(struct riopeer *rp, int argc, char **argv, int *i);

/* raw.c */
void cmd_raw_bad(struct riopeer *rp, int argc, char **argv, int *i);
void raw_kinds_help(char *buf, size_t size);

#endif /* _RIOPEER_H */
