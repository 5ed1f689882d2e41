// SPDX-License-Identifier: GPL-2.0
/*
 * Toaster server: /sys/kernel/debug/<instance>/toasterN, the state and
 * counters of each toaster.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "internal.h"
#include "rio/conn.h"

static int srv_status_show(struct seq_file *s, void *unused)
{
	struct srv_toaster *t = s->private;
	struct toaster_counters *c = &t->model.counters;
	static const char * const states[] = { "empty", "toasting", "ready" };
	struct toaster_status st;

	mutex_lock(&t->lock);
	toaster_model_status(&t->model, srv_now_ms(), &st);
	seq_printf(s, "serial: %u\nport: %u\nclient: %s\n", t->serial,
		   t->srv->cfg.base_port + t->serial,
		   t->owner ? t->owner->rc->peer : "none");
	seq_printf(s, "state: %s\ndarkness: %u\nbytes: %u\nready: %u\n",
		   states[st.state], st.darkness, st.bytes, st.ready);
	seq_printf(s, "capacity: %u\noverwrite: %u\n", st.capacity,
		   !!(st.flags & TOASTER_FLAG_OVERWRITE));
	seq_printf(s, "bytes_written: %llu\nbytes_read: %llu\nbytes_dropped: %llu\n",
		   c->bytes_written, c->bytes_read, c->bytes_dropped);
	seq_printf(s, "requests: %llu\nconnections: %llu\ncancelled: %llu\n",
		   c->requests, c->connections, c->cancelled);
	seq_printf(s, "session: %s\nresumes: %llu\nreplayed: %llu\n",
		   !srv_session_live(t) ? "none" :
		   t->owner ? "attached" : "detached",
		   t->sess.resumes, t->sess.replayed);
	mutex_unlock(&t->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(srv_status);

/**
 * srv_debugfs_init() - create the status files of an instance
 * @srv: instance with a debugfs name
 */
void srv_debugfs_init(struct toaster_srv *srv)
{
	unsigned int i;

	srv->debugfs = debugfs_create_dir(srv->cfg.debugfs_name, NULL);
	for (i = 0; i < srv->cfg.count; i++) {
		char name[24];

		snprintf(name, sizeof(name), "toaster%u", i + 1);
		debugfs_create_file(name, 0444, srv->debugfs,
				    &srv->toasters[i], &srv_status_fops);
	}
}
