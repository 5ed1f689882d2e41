// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: an instance - toasters 1..count, toaster N listening on
 * base_port + N. The module (main.c) makes one from its parameters; the
 * KUnit suite makes its own, on ports of its own. See internal.h for the
 * contexts and locks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "rio/sock.h"
#include "rio/testing.h"

/**
 * toaster_parse_addr() - parse an IPv4 or IPv6 literal
 * @str: the literal; NULL or "" means any address (IPv6, dual stack)
 * @ss: out: the address, port 0
 *
 * Return: 0 or -EINVAL.
 */
int toaster_parse_addr(const char *str, struct sockaddr_storage *ss)
{
	if (str && *str)
		return rio_parse_addr(str, strlen(str), ss);
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET6;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toaster_parse_addr);

/**
 * toaster_srv_stop() - close every connection and listener, free all
 * @srv: instance from toaster_srv_start()
 *
 * Listeners first (no new connections), then the connections, then the
 * toasters; the workqueue goes last.
 */
void toaster_srv_stop(struct toaster_srv *srv)
{
	unsigned int i;

	debugfs_remove_recursive(srv->debugfs);
	for (i = 0; i < srv->cfg.count; i++)
		srv_unlisten(&srv->toasters[i]);
	for (i = 0; i < srv->cfg.count; i++)
		srv_stop_toaster(&srv->toasters[i]);
	/* Runs every close_work queued above. */
	flush_workqueue(srv->wq);
	for (i = 0; i < srv->cfg.count; i++) {
		struct srv_toaster *t = &srv->toasters[i];

		WARN_ON(!list_empty(&t->conns));
		srv_session_stop(t);
		cancel_delayed_work_sync(&t->toast_work);
		toaster_model_free(&t->model);
		mutex_destroy(&t->lock);
	}
	destroy_workqueue(srv->wq);
	kvfree(srv->toasters);
	kfree(srv);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_srv_stop);

/**
 * toaster_srv_start() - create the toasters and start listening
 * @cfg: configuration, copied
 *
 * Return: the instance or an ERR_PTR().
 */
struct toaster_srv *toaster_srv_start(const struct toaster_srv_config *cfg)
{
	struct toaster_srv *srv;
	unsigned int i;
	int ret;

	if (!cfg->count || cfg->count > RIO_MAX_SERIAL)
		return ERR_PTR(-EINVAL);

	srv = kzalloc(sizeof(*srv), GFP_KERNEL);
	if (!srv)
		return ERR_PTR(-ENOMEM);
	/* Apart from the header: 64 toasters then take 32 KiB, not 64. */
	srv->toasters = kvcalloc(cfg->count, sizeof(*srv->toasters), GFP_KERNEL);
	if (!srv->toasters) {
		kfree(srv);
		return ERR_PTR(-ENOMEM);
	}
	srv->cfg = *cfg;
	/*
	 * Unbound: a connection's requests are run beside its client, on
	 * another CPU, while that client sends the next one (measured in
	 * docs/design.md).
	 */
	srv->wq = alloc_workqueue("toaster_srv", WQ_UNBOUND, 0);
	if (!srv->wq) {
		kvfree(srv->toasters);
		kfree(srv);
		return ERR_PTR(-ENOMEM);
	}

	for (i = 0; i < cfg->count; i++) {
		struct srv_toaster *t = &srv->toasters[i];

		t->srv = srv;
		t->serial = i + 1;
		mutex_init(&t->lock);
		INIT_LIST_HEAD(&t->conns);
		INIT_LIST_HEAD(&t->queue);
		INIT_WORK(&t->accept_work, srv_accept_work);
		INIT_DELAYED_WORK(&t->toast_work, srv_toast_work);
		srv_session_init(t);
		toaster_model_init(&t->model, cfg->toast_ms);
	}
	for (i = 0; i < cfg->count; i++) {
		ret = srv_listen(&srv->toasters[i]);
		if (ret)
			goto err;
	}

	if (cfg->debugfs_name)
		srv_debugfs_init(srv);
	return srv;

err:
	toaster_srv_stop(srv);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(toaster_srv_start);
