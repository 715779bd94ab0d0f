// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: /dev/asyncx, the misc device — open (a context), release,
 * the ioctls, mmap, poll, fdinfo — and the ring's start and stop.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/compat.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <linux/asyncx.h>

#include "rt/rt.h"
#include "trace.h"

#include "ctx.h"
#include "dev.h"
#include "iowq.h"
#include "limits.h"
#include "opdef.h"
#include "pbuf.h"
#include "rchan.h"
#include "req.h"
#include "rsrc.h"
#include "sqpoll.h"
#include "submit.h"

atomic_t axq_nr_contexts = ATOMIC_INIT(0);
/* Internal: for the KUnit suites only, hence the namespace. */
EXPORT_SYMBOL_NS_GPL(axq_nr_contexts, ASYNCX_INTERNAL);

/* Source of context ids; ids are never reused while the module is loaded. */
static atomic64_t axq_next_ctx_id = ATOMIC64_INIT(0);

static int axq_open(struct inode *inode, struct file *file)
{
	struct axq_user *user;
	struct axq_ctx *ctx;
	int ret;

	user = axq_limits_open();
	if (IS_ERR(user))
		return PTR_ERR(user);
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx) {
		axq_limits_release(user);
		return -ENOMEM;
	}

	ctx->user = user;
	/* The owner: the opener's address space (none for a kernel thread,
	 * which can then only close it). See axq_ctx_owner().
	 */
	if (current->mm) {
		ctx->mm = current->mm;
		mmgrab(ctx->mm);
	}
	ctx->id = atomic64_inc_return(&axq_next_ctx_id);
	ctx->owner_tgid = task_tgid_nr(current);
	ret = axq_iowq_create(ctx);
	if (ret) {
		if (ctx->mm)
			mmdrop(ctx->mm);
		kfree(ctx);
		axq_limits_release(user);
		return ret;
	}
	refcount_set(&ctx->refs, 1);
	mutex_init(&ctx->lock);
	spin_lock_init(&ctx->cq_lock);
	INIT_LIST_HEAD(&ctx->overflow);
	init_waitqueue_head(&ctx->cq_wait);
	spin_lock_init(&ctx->inflight_lock);
	INIT_LIST_HEAD(&ctx->inflight);
	xa_init(&ctx->groups);
	axq_rchan_ctx_init(ctx);
	axq_pbuf_ctx_init(ctx);
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
	axq_rchan_ctx_release(ctx);
	axq_ctx_release(ctx);
	return 0;
}

static int axq_same_file(const void *file, struct file *f, unsigned int fd)
{
	return f == file;
}

/*
 * Every close of a file descriptor of the context, in the closing task.
 * When the owner's own descriptor goes — because the owner exits (its last
 * thread closes its files, after its mm is gone), execs (close-on-exec, in
 * the new mm), or closes the last descriptor of the context in its file
 * table — nothing of the owner may run on: cancel what it has in flight,
 * drop its registered files and buffers and its channels, whoever else
 * still holds the file (a fork() child, a unix socket's queue). (A context
 * file sent over a unix socket while a request holds that socket would
 * otherwise keep both alive forever: unix garbage collection sees only
 * sockets.)
 */
static int axq_flush(struct file *file, fl_owner_t id)
{
	struct axq_ctx *ctx = file->private_data;
	bool gone;

	if (!ctx->mm)
		return 0;
	if (current->mm != ctx->mm)
		gone = task_tgid_nr(current) == ctx->owner_tgid;
	else
		/* The owner closes a descriptor: was it its last one? */
		gone = current->files &&
		       !iterate_fd(current->files, 0, axq_same_file, file);
	if (gone) {
		/* Its SQ thread first: nothing may be consumed after. */
		axq_sqpoll_stop(ctx);
		axq_ctx_cancel_all(ctx);
		axq_rchan_ctx_release(ctx);
	}
	return 0;
}

static long axq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct axq_ctx *ctx = file->private_data;

	/* Every ioctl is the owner's: a process that got the file by fork()
	 * or SCM_RIGHTS may poll it, read its fdinfo and close it, no more.
	 */
	if (!axq_ctx_owner(ctx))
		return -EPERM;
	switch (cmd) {
	case ASYNCX_IOC_ENTER:
		return axq_ctx_enter(ctx, (struct asyncx_enter __user *)arg);
	case ASYNCX_IOC_SETUP:
		return axq_ctx_setup(ctx, (struct asyncx_params __user *)arg);
	case ASYNCX_IOC_REGISTER_EVENTFD:
		return axq_ctx_register_eventfd(ctx, (s32 __user *)arg);
	case ASYNCX_IOC_UNREGISTER_EVENTFD:
		return axq_ctx_unregister_eventfd(ctx);
	case ASYNCX_IOC_REGISTER_BUFFERS:
		return axq_rsrc_register_buffers(ctx, (void __user *)arg);
	case ASYNCX_IOC_UNREGISTER_BUFFERS:
		return axq_rsrc_unregister_buffers(ctx);
	case ASYNCX_IOC_REGISTER_FILES:
		return axq_rsrc_register_files(ctx, (void __user *)arg);
	case ASYNCX_IOC_UNREGISTER_FILES:
		return axq_rsrc_unregister_files(ctx);
	case ASYNCX_IOC_CHAN_CREATE:
		return axq_rchan_create(ctx,
					(struct asyncx_chan_params __user *)arg);
	case ASYNCX_IOC_CHAN_DESTROY:
		return axq_rchan_destroy(ctx, (u32 __user *)arg);
	case ASYNCX_IOC_REGISTER_PBUF_RING:
		return axq_pbuf_register(ctx, (void __user *)arg);
	case ASYNCX_IOC_UNREGISTER_PBUF_RING:
		return axq_pbuf_unregister(ctx, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int axq_mmap(struct file *file, struct vm_area_struct *vma)
{
	return axq_ctx_mmap(file->private_data, vma);
}

static __poll_t axq_poll(struct file *file, struct poll_table_struct *pt)
{
	return axq_ctx_poll(file->private_data, file, pt);
}

static void axq_show_fdinfo(struct seq_file *m, struct file *file)
{
	axq_ctx_show_fdinfo(file->private_data, m);
	axq_rchan_show_fdinfo(file->private_data, m);
}

static const struct file_operations axq_fops = {
	.owner		= THIS_MODULE,
	.open		= axq_open,
	.release	= axq_release,
	.flush		= axq_flush,
	.unlocked_ioctl	= axq_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= axq_mmap,
	.poll		= axq_poll,
	.show_fdinfo	= axq_show_fdinfo,
};

/**
 * axq_is_ctx_file() - is this file an asyncx context?
 * @file: any file
 *
 * Context: any context.
 * Return: true if @file is an open /dev/asyncx.
 */
bool axq_is_ctx_file(const struct file *file)
{
	return file->f_op == &axq_fops;
}

static struct miscdevice axq_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= ASYNCX_DEVICE_NAME,
	.fops	= &axq_fops,
	.mode	= 0666,
};

/**
 * axq_ring_init() - check the op table, create the request caches and
 * register /dev/asyncx
 *
 * Context: module init, after axq_rt_init().
 * Return: 0, or a negative errno with nothing left registered.
 */
int axq_ring_init(void)
{
	int ret;

	ret = axq_opdefs_check();
	if (ret)
		return ret;
	ret = axq_reqs_init();
	if (ret)
		return ret;
	ret = axq_iowq_init();
	if (ret)
		goto err_reqs;
	ret = axq_rw_init();
	if (ret)
		goto err_iowq;
	ret = misc_register(&axq_miscdev);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", ASYNCX_DEVICE_NAME, ret);
		goto err_rw;
	}
	return 0;
err_rw:
	axq_rw_exit();
err_iowq:
	axq_iowq_exit();
err_reqs:
	axq_reqs_exit();
	return ret;
}

/**
 * axq_ring_exit() - unregister /dev/asyncx, drain the requests still in
 * flight and free the caches
 *
 * Requests of closed contexts may still be finishing on the executor:
 * the runtime is drained (axq_rt_quiesce()) before their caches go.
 *
 * Context: module exit, before axq_rt_exit(); sleeps.
 */
void axq_ring_exit(void)
{
	/* The misc device pins the module while a context is open. */
	misc_deregister(&axq_miscdev);
	/* Before the runtime: a detached O_DIRECT READ may yet start. */
	axq_rw_quiesce();
	axq_rt_quiesce();
	/* After the requests: an orphaned step's worker exits last. */
	axq_iowq_exit();
	/* After the workers: O_DIRECT I/O that a dropped request left. */
	axq_rw_exit();
	axq_reqs_exit();
	axq_limits_exit();
}
