// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client: the ioctls of /dev/toasterN.
 *
 * Commands below TOASTER_IOC_NR_LOCAL are validated here and forwarded as
 * RIO IOCTL frames, arguments as big-endian words (rio_args_to_wire());
 * PING and STATS are answered by the client. The commands that change the
 * toaster (POP, RESET, SET_*) are resolved on a signal, as WRITE is: they
 * run at most once per call (request.c).
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "client.h"
#include "rio/buf.h"
#include "rio/testing.h"

/*
 * A forwarded ioctl: @in (@in_len bytes, already big-endian) out, @out_len
 * bytes (big-endian) back into @out.
 */
static int toaster_remote_ioctl(struct toaster_link *link, unsigned int nr,
				const void *in, u32 in_len, void *out,
				u32 out_len, unsigned int flags)
{
	struct toaster_req req = {};

	if (in_len) {
		req.payload = rio_buf_alloc(in_len);
		if (!req.payload)
			return -ENOMEM;
		memcpy(req.payload, in, in_len);
	}
	req.msg.opcode = RIO_OP_IOCTL;
	req.msg.ioctl = nr;
	req.msg.arg = out_len;
	req.msg.length = in_len;
	req.resp_buf = out;
	req.resp_max = out_len;
	return toaster_link_request(link, &req, flags);
}

/*
 * _IOR commands answered by the server (STATUS, COUNTERS): its big-endian
 * words of @word bytes, in the caller's order.
 */
static long toaster_ioctl_get(struct toaster_link *link, unsigned int cmd,
			      void __user *argp, u32 word,
			      unsigned int flags)
{
	union {
		struct toaster_status st;
		struct toaster_counters c;
	} v;
	u8 w[sizeof(v)];
	u32 size = _IOC_SIZE(cmd);
	int ret;

	if (WARN_ON_ONCE(size > sizeof(v)))
		return -ENOTTY;
	ret = toaster_remote_ioctl(link, _IOC_NR(cmd), NULL, 0, w, size,
				   flags);
	if (ret)
		return ret;
	rio_args_from_wire(&v, w, size, word);
	return copy_to_user(argp, &v, size) ? -EFAULT : 0;
}

/* _IOW(__u32) commands: validated here, then forwarded. */
static long toaster_ioctl_set(struct toaster_link *link, unsigned int cmd,
			      u32 __user *argp, u32 min, u32 max,
			      unsigned int flags)
{
	u32 val, w;

	if (get_user(val, argp))
		return -EFAULT;
	if (val < min || val > max)
		return -EINVAL;
	rio_args_to_wire(&w, &val, sizeof(w), sizeof(w));
	return toaster_remote_ioctl(link, _IOC_NR(cmd), &w, sizeof(w), NULL, 0,
				    flags);
}

static long toaster_ioctl_ping(struct toaster_link *link, void __user *argp,
			       unsigned int flags)
{
	struct toaster_req req = {};
	struct toaster_ping p;
	u64 t0;
	int ret;

	req.msg.opcode = RIO_OP_PING;
	t0 = ktime_get_ns();
	ret = toaster_link_request(link, &req, flags);
	if (ret)
		return ret;
	memset(&p, 0, sizeof(p));
	p.rtt_ns = ktime_get_ns() - t0;
	return copy_to_user(argp, &p, sizeof(p)) ? -EFAULT : 0;
}

static long toaster_ioctl_stats(struct toaster_dev *dev, void __user *argp)
{
	struct toaster_dev_stats *s = &dev->stats;
	struct toaster_stats st;

	memset(&st, 0, sizeof(st));
	st.requests = atomic64_read(&s->requests);
	st.bytes_out = atomic64_read(&s->bytes_out);
	st.bytes_in = atomic64_read(&s->bytes_in);
	st.errors = atomic64_read(&s->errors);
	st.timeouts = atomic64_read(&s->timeouts);
	st.cancels = atomic64_read(&s->cancels);
	st.connects = atomic64_read(&s->connects);
	st.last_rtt_ns = atomic64_read(&s->last_rtt_ns);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static bool toaster_ioctl_known(unsigned int cmd)
{
	switch (cmd) {
	case TOASTER_IOC_STATUS:
	case TOASTER_IOC_SET_DARKNESS:
	case TOASTER_IOC_SET_CAPACITY:
	case TOASTER_IOC_SET_OVERWRITE:
	case TOASTER_IOC_POP:
	case TOASTER_IOC_RESET:
	case TOASTER_IOC_COUNTERS:
	case TOASTER_IOC_PING:
		return true;
	}
	return false;
}

/* Commands that need the server, once the link is up. */
static long toaster_ioctl_remote(struct toaster_link *link, unsigned int cmd,
				 void __user *argp, unsigned int flags)
{
	/* These change the toaster: never run twice for one call. */
	unsigned int once = flags | TOASTER_REQ_RESOLVE;

	switch (cmd) {
	case TOASTER_IOC_STATUS:
		return toaster_ioctl_get(link, cmd, argp, sizeof(u32), flags);
	case TOASTER_IOC_SET_DARKNESS:
		return toaster_ioctl_set(link, cmd, argp, TOASTER_DARKNESS_MIN,
					 TOASTER_DARKNESS_MAX, once);
	case TOASTER_IOC_SET_CAPACITY:
		return toaster_ioctl_set(link, cmd, argp, TOASTER_CAPACITY_MIN,
					 TOASTER_CAPACITY_MAX, once);
	case TOASTER_IOC_SET_OVERWRITE:
		return toaster_ioctl_set(link, cmd, argp, 0, 1, once);
	case TOASTER_IOC_POP:
	case TOASTER_IOC_RESET:
		return toaster_remote_ioctl(link, _IOC_NR(cmd), NULL, 0,
					    NULL, 0, once);
	case TOASTER_IOC_COUNTERS:
		return toaster_ioctl_get(link, cmd, argp, sizeof(u64), flags);
	case TOASTER_IOC_PING:
		return toaster_ioctl_ping(link, argp, flags);
	default:
		return -ENOTTY;
	}
}

/**
 * toaster_link_ioctl() - the ioctls of /dev/toasterN
 * @link: link
 * @cmd: TOASTER_IOC_*
 * @argp: user argument
 * @nonblock: O_NONBLOCK: do not wait for the connection or another call
 *
 * Return: 0 or a negative errno: -ENOTTY for an unknown command, -EINVAL
 * for a value out of range, the server's refusal, a request error, the
 * reason the link never came up, -EAGAIN, -EIO (a write-behind failed).
 */
long toaster_link_ioctl(struct toaster_link *link, unsigned int cmd,
			void __user *argp, bool nonblock)
{
	long ret;

	if (cmd == TOASTER_IOC_STATS)
		return toaster_ioctl_stats(link->dev, argp);
	if (!toaster_ioctl_known(cmd))
		return -ENOTTY;		/* at once, whatever the link does */
	ret = toaster_link_take_wb_err(link);
	if (ret)
		return ret;
	ret = toaster_link_wait_up(link, nonblock);
	if (ret)
		return ret;
	return toaster_ioctl_remote(link, cmd, argp,
				    nonblock ? TOASTER_REQ_NONBLOCK : 0);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_link_ioctl);
