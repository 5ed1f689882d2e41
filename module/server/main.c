// SPDX-License-Identifier: GPL-2.0
/*
 * toaster_server.ko: hosts simulated toasters 1..count; toaster N listens
 * on TCP port 5000 + N and speaks RIO (docs/protocol.md). Status and
 * counters: /sys/kernel/debug/toaster_server/toasterN.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include <toaster/rio.h>
#include "rio/psk.h"
#include "server.h"

static unsigned int count = 1;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "Number of toasters, 1..64; toaster N listens on port 5000+N (default 1)");

static char *addr;
module_param(addr, charp, 0444);
MODULE_PARM_DESC(addr, "Bind address, IPv4 or IPv6 literal (default: any, dual stack)");

#define SRV_MAX_TOAST_MS	60000

static unsigned int toast_ms = 100;
module_param(toast_ms, uint, 0444);
MODULE_PARM_DESC(toast_ms, "Toasting time per darkness level in ms, 0..60000; 0 makes a plain pipe (default 100)");

static unsigned int resume_ms = 30000;
module_param(resume_ms, uint, 0444);
MODULE_PARM_DESC(resume_ms, "How long a client's session outlives its connection, waiting to be resumed, in ms, 0..3600000; 0: no sessions (default 30000)");

static char *allow;
module_param(allow, charp, 0444);
MODULE_PARM_DESC(allow, "Addresses connections are accepted from: CIDR[,CIDR...], IPv4 or IPv6, at most 16 (default: any)");

static char *psk;
module_param(psk, charp, 0444);
MODULE_PARM_DESC(psk, "Require clients to prove the logon key toaster:NAME from the loader's keyrings (keyctl padd logon toaster:NAME @s), and encrypt; clients without it are refused (default: none, plain)");

static struct toaster_srv *toaster_server;
static struct rio_psk toaster_psk;

static int __init toaster_server_init(void)
{
	struct toaster_srv_config cfg = {
		.count = count,
		.base_port = RIO_BASE_PORT,
		.toast_ms = toast_ms,
		.resume_ms = resume_ms,
		.debugfs_name = KBUILD_MODNAME,
	};
	struct toaster_srv *srv;
	int ret;

	if (!count || count > RIO_MAX_SERIAL) {
		pr_err("count=%u: must be 1..%u\n", count, RIO_MAX_SERIAL);
		return -EINVAL;
	}
	if (toast_ms > SRV_MAX_TOAST_MS) {
		pr_err("toast_ms=%u: must be 0..%u\n", toast_ms, SRV_MAX_TOAST_MS);
		return -EINVAL;
	}
	if (resume_ms > RIO_MAX_RESUME_MS) {
		pr_err("resume_ms=%u: must be 0..%u\n", resume_ms,
		       RIO_MAX_RESUME_MS);
		return -EINVAL;
	}
	if (srv_allow_parse(allow, &cfg.allow)) {
		pr_err("allow=%s: not a list of at most %u IPv4 or IPv6 CIDRs\n",
		       allow, SRV_MAX_ALLOW);
		return -EINVAL;
	}
	if (toaster_parse_addr(addr, &cfg.addr)) {
		pr_err("addr=%s: not an IPv4 or IPv6 literal\n", addr);
		return -EINVAL;
	}
	if (psk && *psk) {
		ret = rio_psk_load(KBUILD_MODNAME, psk, &toaster_psk);
		if (ret)
			return ret;
		cfg.psk = &toaster_psk;
	} else {
		pr_warn("no psk=: any client that can connect is served, in clear\n");
	}
	srv = toaster_srv_start(&cfg);
	if (IS_ERR(srv)) {
		memzero_explicit(&toaster_psk, sizeof(toaster_psk));
		return PTR_ERR(srv);
	}
	toaster_server = srv;
	pr_info("%u toaster(s) on ports %u..%u, toast_ms=%u, resume_ms=%u, allow=%s, psk=%s\n",
		count, RIO_BASE_PORT + 1, RIO_BASE_PORT + count, toast_ms,
		resume_ms, allow && *allow ? allow : "any",
		cfg.psk ? psk : "(none)");
	return 0;
}

static void __exit toaster_server_exit(void)
{
	toaster_srv_stop(toaster_server);
	memzero_explicit(&toaster_psk, sizeof(toaster_psk));
}

module_init(toaster_server_init);
module_exit(toaster_server_exit);

MODULE_IMPORT_NS(TOASTER_RIO);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Remote toaster server: simulated toasters over RIO/TCP");
