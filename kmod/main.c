// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: an async runtime for the Linux kernel, and /dev/asyncx, the
 * batched submission/completion ring through which userspace drives it.
 *
 * This file holds module init/exit and the misc device. Design notes are in
 * Documentation/design.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <linux/asyncx.h>

#include "asyncx.h"
#include "trace.h"

atomic_t axq_nr_contexts = ATOMIC_INIT(0);
/* Internal: for the KUnit suites only, hence the namespace. */
EXPORT_SYMBOL_NS_GPL(axq_nr_contexts, ASYNCX_INTERNAL);

/* Source of context ids; ids are never reused while the module is loaded. */
static atomic64_t axq_next_ctx_id = ATOMIC64_INIT(0);

static int axq_open(struct inode *inode, struct file *file)
{
	struct axq_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;

	ctx->id = atomic64_inc_return(&axq_next_ctx_id);
	ctx->owner_tgid = task_tgid_nr(current);
	file->private_data = ctx;
	atomic_inc(&axq_nr_contexts);
	trace_asyncx_ctx_create(ctx->id, ctx->owner_tgid);

	/* A context is a stream of operations, not a seekable file. */
	return stream_open(inode, file);
}

static int axq_release(struct inode *inode, struct file *file)
{
	struct axq_ctx *ctx = file->private_data;

	trace_asyncx_ctx_free(ctx->id, ctx->owner_tgid);
	atomic_dec(&axq_nr_contexts);
	kfree(ctx);
	return 0;
}

static const struct file_operations axq_fops = {
	.owner		= THIS_MODULE,
	.open		= axq_open,
	.release	= axq_release,
};

static struct miscdevice axq_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= ASYNCX_DEVICE_NAME,
	.fops	= &axq_fops,
	.mode	= 0666,
};

static int __init axq_init(void)
{
	int ret;

	axq_debugfs_init();

	ret = misc_register(&axq_miscdev);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", ASYNCX_DEVICE_NAME, ret);
		goto err_debugfs;
	}
	return 0;

err_debugfs:
	axq_debugfs_exit();
	return ret;
}

static void __exit axq_exit(void)
{
	/* The misc device pins the module while a context is open. */
	misc_deregister(&axq_miscdev);
	axq_debugfs_exit();
}

module_init(axq_init);
module_exit(axq_exit);

MODULE_DESCRIPTION("asyncx: in-kernel async runtime and /dev/asyncx submission rings");
MODULE_AUTHOR("The asyncx developers");
MODULE_LICENSE("GPL");
