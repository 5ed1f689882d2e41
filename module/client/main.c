// SPDX-License-Identifier: GPL-2.0
/*
 * Remote toaster client (toaster.ko): /dev/toaster1 .. /dev/toaster<count>,
 * each talking RIO to toaster N of a toaster_server at <server>:5000+N.
 *
 * Every device is a misc device; its struct device (/sys/class/misc/toasterN)
 * carries two attributes:
 *   server  rw  server address of this device, overriding the module
 *               parameter from the next open on; write an empty line to
 *               fall back to the parameter
 *   state   ro  disconnected, connecting, connected, resuming or dead
 *   reconnects, resumes, resent, keepalives
 *           ro  counters of session resume and keepalive (resume.c)
 *
 * open() runs under misc_mtx, shared by every misc device: it only starts
 * the connection (connect.c) and never waits for the server. The socket is
 * created in the opener's network namespace.
 *
 * Lifetime: the devices live from module load to unload. An open file
 * holds a reference on the module (fops.owner), so the module cannot go
 * while a connection exists. Exit order: misc devices (no new opens, sysfs
 * gone), then the devices, then the workqueue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "client.h"
#include "rio/psk.h"
#include "rio/sock.h"

#define TOASTER_OPEN_BIT	0
#define TOASTER_TIMEOUT_MAX	600000	/* ms */

static char *toaster_server = "127.0.0.1";
static char *toaster_psk_name;
static struct rio_psk toaster_psk;
module_param_named(server, toaster_server, charp, 0444);
MODULE_PARM_DESC(server, "Server address, IPv4 or IPv6 literal (default 127.0.0.1)");

module_param_named(psk, toaster_psk_name, charp, 0444);
MODULE_PARM_DESC(psk, "Authenticate and encrypt with the logon key toaster:NAME from the loader's keyrings (keyctl padd logon toaster:NAME @s); the server needs the same key (default: none, plain)");

static unsigned int toaster_count = 1;
module_param_named(count, toaster_count, uint, 0444);
MODULE_PARM_DESC(count, "Number of devices /dev/toaster1..N, toaster N at port 5000+N (default 1, max 64)");

static unsigned int toaster_timeout_ms = 5000;

static int toaster_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, TOASTER_TIMEOUT_MAX);
}

static const struct kernel_param_ops toaster_timeout_ops = {
	.set = toaster_timeout_set,
	.get = param_get_uint,
};

module_param_cb(timeout_ms, &toaster_timeout_ops, &toaster_timeout_ms, 0644);
MODULE_PARM_DESC(timeout_ms, "Bound of connect and HELLO after open, and of every request, ms, from the next open on (default 5000, 1..600000)");

static unsigned int toaster_resume_ms = 30000;

static int toaster_resume_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, RIO_MAX_RESUME_MS);
}

static const struct kernel_param_ops toaster_resume_ops = {
	.set = toaster_resume_set,
	.get = param_get_uint,
};

module_param_cb(resume_ms, &toaster_resume_ops, &toaster_resume_ms, 0644);
MODULE_PARM_DESC(resume_ms, "How long to try to resume the session after the connection died, before calls fail with EIO, ms, from the next open on; 0: no sessions (default 30000, 0..3600000)");

static unsigned int toaster_keepalive_ms = 1000;

static int toaster_keepalive_set(const char *val,
				 const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, RIO_MAX_KEEPALIVE_MS);
}

static const struct kernel_param_ops toaster_keepalive_ops = {
	.set = toaster_keepalive_set,
	.get = param_get_uint,
};

module_param_cb(keepalive_ms, &toaster_keepalive_ops, &toaster_keepalive_ms,
		0644);
MODULE_PARM_DESC(keepalive_ms, "Idle time after which a PING checks the connection; 3 unanswered: it is dead, ms, from the next open on; 0: none (default 1000, 0..600000)");

static ushort toaster_mode = 0600;
module_param_named(mode, toaster_mode, ushort, 0444);
MODULE_PARM_DESC(mode, "Mode of the device nodes (default 0600)");

/* The parsed "server" parameter; read-only after init. */
static struct sockaddr_storage toaster_server_addr;
static struct toaster_dev *toaster_devs;
static struct workqueue_struct *toaster_wq;

static struct toaster_dev *toaster_from_device(struct device *d)
{
	struct miscdevice *misc = dev_get_drvdata(d);

	return container_of(misc, struct toaster_dev, misc);
}

/* The address the next open of @dev connects to. */
static void toaster_dev_server(struct toaster_dev *dev,
			       struct sockaddr_storage *addr)
{
	mutex_lock(&dev->lock);
	*addr = dev->server_set ? dev->server : toaster_server_addr;
	mutex_unlock(&dev->lock);
}

static ssize_t server_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	struct sockaddr_storage addr;

	toaster_dev_server(toaster_from_device(d), &addr);
	return sysfs_emit(buf, "%pISc\n", &addr);
}

static ssize_t server_store(struct device *d, struct device_attribute *attr,
			    const char *buf, size_t len)
{
	struct toaster_dev *dev = toaster_from_device(d);
	struct sockaddr_storage addr;
	size_t n = len;

	if (n && buf[n - 1] == '\n')
		n--;
	if (n && rio_parse_addr(buf, n, &addr))
		return -EINVAL;

	mutex_lock(&dev->lock);
	dev->server_set = n;
	if (n)
		dev->server = addr;
	mutex_unlock(&dev->lock);
	return len;
}
static DEVICE_ATTR_RW(server);

static ssize_t state_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct toaster_dev *dev = toaster_from_device(d);

	return sysfs_emit(buf, "%s\n",
			  toaster_state_str(READ_ONCE(dev->state)));
}
static DEVICE_ATTR_RO(state);

static ssize_t toaster_counter_emit(char *buf, atomic64_t *counter)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(counter));
}

static ssize_t reconnects_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	return toaster_counter_emit(buf,
				    &toaster_from_device(d)->stats.reconnects);
}
static DEVICE_ATTR_RO(reconnects);

static ssize_t resumes_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	return toaster_counter_emit(buf, &toaster_from_device(d)->stats.resumes);
}
static DEVICE_ATTR_RO(resumes);

static ssize_t resent_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return toaster_counter_emit(buf, &toaster_from_device(d)->stats.resent);
}
static DEVICE_ATTR_RO(resent);

static ssize_t keepalives_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	return toaster_counter_emit(buf,
				    &toaster_from_device(d)->stats.keepalives);
}
static DEVICE_ATTR_RO(keepalives);

static struct attribute *toaster_attrs[] = {
	&dev_attr_server.attr,
	&dev_attr_state.attr,
	&dev_attr_reconnects.attr,
	&dev_attr_resumes.attr,
	&dev_attr_resent.attr,
	&dev_attr_keepalives.attr,
	NULL
};
ATTRIBUTE_GROUPS(toaster);

static int toaster_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct toaster_dev *dev = container_of(misc, struct toaster_dev, misc);
	struct toaster_link_params params = {
		.timeout_ms = READ_ONCE(toaster_timeout_ms),
		.resume_ms = READ_ONCE(toaster_resume_ms),
		.keepalive_ms = READ_ONCE(toaster_keepalive_ms),
		.psk = toaster_psk_name ? &toaster_psk : NULL,
	};
	struct sockaddr_storage addr;
	struct toaster_link *link;
	int ret;

	ret = nonseekable_open(inode, file);
	if (ret)
		return ret;
	if (test_and_set_bit_lock(TOASTER_OPEN_BIT, &dev->open))
		return -EBUSY;

	/* Before the connect starts: its outcome may come at once. */
	WRITE_ONCE(dev->state, TOASTER_CONNECTING);
	toaster_dev_server(dev, &addr);
	link = toaster_connect(dev, &addr, &params, toaster_wq);
	if (IS_ERR(link)) {
		WRITE_ONCE(dev->state, TOASTER_DISCONNECTED);
		clear_bit_unlock(TOASTER_OPEN_BIT, &dev->open);
		return PTR_ERR(link);
	}
	file->private_data = link;
	/* RWF_NOWAIT and io_uring: IOCB_NOWAIT is handled as O_NONBLOCK. */
	file->f_mode |= FMODE_NOWAIT;
	return 0;
}

static int toaster_release(struct inode *inode, struct file *file)
{
	struct toaster_link *link = file->private_data;
	struct toaster_dev *dev = link->dev;

	toaster_disconnect(link);
	WRITE_ONCE(dev->state, TOASTER_DISCONNECTED);
	clear_bit_unlock(TOASTER_OPEN_BIT, &dev->open);
	return 0;
}

/*
 * O_NONBLOCK, and IOCB_NOWAIT (RWF_NOWAIT, io_uring's first try, which
 * then waits for poll() or hands the call to a worker): never wait for
 * toast, room, the connection or another call of the file.
 */
static bool toaster_iocb_nonblock(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

static ssize_t toaster_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return toaster_link_read(iocb->ki_filp->private_data, to,
				 toaster_iocb_nonblock(iocb));
}

static ssize_t toaster_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return toaster_link_write(iocb->ki_filp->private_data, from,
				  toaster_iocb_nonblock(iocb));
}

/* close(): the bytes write() returned for early are the server's by now. */
static int toaster_flush(struct file *file, fl_owner_t id)
{
	return toaster_link_sync(file->private_data);
}

static int toaster_fsync(struct file *file, loff_t start, loff_t end,
			 int datasync)
{
	return toaster_link_sync(file->private_data);
}

static __poll_t toaster_poll(struct file *file, poll_table *wait)
{
	struct toaster_link *link = file->private_data;

	poll_wait(file, &link->poll_wq, wait);
	return toaster_link_poll_mask(link);
}

static long toaster_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	return toaster_link_ioctl(file->private_data, cmd, (void __user *)arg,
				  file->f_flags & O_NONBLOCK);
}

/* No .llseek: nonseekable_open() makes lseek() fail with -ESPIPE. */
static const struct file_operations toaster_fops = {
	.owner		= THIS_MODULE,
	.open		= toaster_open,
	.release	= toaster_release,
	.read_iter	= toaster_read_iter,
	.write_iter	= toaster_write_iter,
	.flush		= toaster_flush,
	.fsync		= toaster_fsync,
	.poll		= toaster_poll,
	.unlocked_ioctl	= toaster_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static void toaster_unregister(unsigned int n)
{
	while (n--)
		misc_deregister(&toaster_devs[n].misc);
}

static int __init toaster_init(void)
{
	unsigned int i;
	int ret;

	if (toaster_count < 1 || toaster_count > RIO_MAX_SERIAL) {
		pr_err("count=%u: must be 1..%u\n", toaster_count,
		       RIO_MAX_SERIAL);
		return -EINVAL;
	}
	if (toaster_mode & ~0777) {
		pr_err("mode=%#o: not a permission mode\n", toaster_mode);
		return -EINVAL;
	}
	if (!toaster_server ||
	    rio_parse_addr(toaster_server, strlen(toaster_server),
			   &toaster_server_addr)) {
		pr_err("server=%s: not an IPv4 or IPv6 address\n",
		       toaster_server ?: "");
		return -EINVAL;
	}

	if (toaster_psk_name && !*toaster_psk_name)
		toaster_psk_name = NULL;
	if (toaster_psk_name) {
		ret = rio_psk_load(KBUILD_MODNAME, toaster_psk_name,
				   &toaster_psk);
		if (ret)
			return ret;
	} else {
		pr_warn("no psk=: connections are neither authenticated nor encrypted\n");
	}

	toaster_wq = alloc_workqueue("toaster", 0, 0);
	if (!toaster_wq) {
		ret = -ENOMEM;
		goto err_psk;
	}
	toaster_devs = kcalloc(toaster_count, sizeof(*toaster_devs),
			       GFP_KERNEL);
	if (!toaster_devs) {
		ret = -ENOMEM;
		goto err_wq;
	}

	for (i = 0; i < toaster_count; i++) {
		struct toaster_dev *dev = &toaster_devs[i];

		toaster_dev_init(dev, i + 1);
		dev->misc.minor = MISC_DYNAMIC_MINOR;
		dev->misc.name = dev->name;
		dev->misc.fops = &toaster_fops;
		dev->misc.groups = toaster_groups;
		dev->misc.mode = toaster_mode;
		ret = misc_register(&dev->misc);
		if (ret) {
			pr_err("cannot register %s: %d\n", dev->name, ret);
			goto err_devs;
		}
	}
	pr_info("%u toaster(s) at %pISc, timeout %u ms, psk=%s\n",
		toaster_count, &toaster_server_addr, toaster_timeout_ms,
		toaster_psk_name ?: "(none)");
	return 0;

err_devs:
	toaster_unregister(i);
	for (i = 0; i < toaster_count; i++)
		mutex_destroy(&toaster_devs[i].lock);
	kfree(toaster_devs);
err_wq:
	destroy_workqueue(toaster_wq);
err_psk:
	memzero_explicit(&toaster_psk, sizeof(toaster_psk));
	return ret;
}

static void __exit toaster_exit(void)
{
	unsigned int i;

	/* No file is open: each holds a module reference. */
	toaster_unregister(toaster_count);
	for (i = 0; i < toaster_count; i++)
		mutex_destroy(&toaster_devs[i].lock);
	kfree(toaster_devs);
	destroy_workqueue(toaster_wq);
	memzero_explicit(&toaster_psk, sizeof(toaster_psk));
}

module_init(toaster_init);
module_exit(toaster_exit);

MODULE_IMPORT_NS(TOASTER_RIO);
MODULE_DESCRIPTION("Remote toaster client: /dev/toasterN over RIO/TCP");
MODULE_AUTHOR("The remote toaster authors");
MODULE_LICENSE("GPL");
