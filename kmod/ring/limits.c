// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: limits and access — the module parameters an administrator uses
 * to restrict who may open /dev/asyncx and how many contexts each user may
 * hold. Documented in Documentation/uapi.rst ("Limits and access").
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "limits.h"

/**
 * DOC: limits and access
 *
 * Every open() of /dev/asyncx passes three checks, in this order:
 *
 * 1. ``disabled``: 0 lets anyone open the device; 1 lets only callers
 *    with CAP_SYS_ADMIN open it; 2 lets nobody. A refused open fails with
 *    -EPERM. Like the io_uring_disabled sysctl, it gates new contexts
 *    only: contexts already open keep working.
 * 2. ``group``: -1 lets everyone through; a gid (of the initial user
 *    namespace) lets only members of that group (in_group_p(): the
 *    caller's fsgid or a supplementary group) and callers with
 *    CAP_SYS_ADMIN through. A refused open fails with -EACCES.
 * 3. ``max_contexts_per_user``: contexts per real uid (0: no limit),
 *    counted from open until the context is freed — after its file is
 *    closed *and* its last operation in flight has finished. Beyond the
 *    limit open fails with -EMFILE. It applies to root too.
 *
 * ``disabled`` and ``group`` are checked again when a context is set up
 * (ASYNCX_IOC_SETUP), with the same errors.
 *
 * The checks are done by the module at open, whatever the device node's
 * mode and owner, so they also hold for a node created by hand (mknod in
 * a container) or re-chmodded by udev, and they can be changed at run time
 * through /sys/module/asyncx/parameters/.
 */

static unsigned int axq_disabled;

static int axq_disabled_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, 2);
}

static const struct kernel_param_ops axq_disabled_ops = {
	.set	= axq_disabled_set,
	.get	= param_get_uint,
};

module_param_cb(disabled, &axq_disabled_ops, &axq_disabled, 0644);
MODULE_PARM_DESC(disabled,
		 "Who may open /dev/asyncx: 0 anyone, 1 only CAP_SYS_ADMIN, 2 nobody (-EPERM) (default 0)");

static int axq_group = -1;

static int axq_group_set(const char *val, const struct kernel_param *kp)
{
	int gid, ret;

	ret = kstrtoint(val, 0, &gid);
	if (ret)
		return ret;
	if (gid < -1)
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, gid);
	return 0;
}

static const struct kernel_param_ops axq_group_ops = {
	.set	= axq_group_set,
	.get	= param_get_int,
};

module_param_cb(group, &axq_group_ops, &axq_group, 0644);
MODULE_PARM_DESC(group,
		 "Only members of this gid (and CAP_SYS_ADMIN) may open /dev/asyncx, else -EACCES; -1 everyone (default -1)");

static unsigned int axq_max_contexts_per_user = 1024;
module_param_named(max_contexts_per_user, axq_max_contexts_per_user, uint, 0644);
MODULE_PARM_DESC(max_contexts_per_user,
		 "Contexts one user (real uid) may hold; more fail with -EMFILE; 0 no limit (default 1024)");

static unsigned int axq_max_user_io_workers = 64;
module_param_named(max_user_io_workers, axq_max_user_io_workers, uint, 0644);
MODULE_PARM_DESC(max_user_io_workers,
		 "I/O worker threads one user (real uid) may have over all their contexts (default 64)");

static unsigned int axq_max_user_sq_threads = 8;
module_param_named(max_user_sq_threads, axq_max_user_sq_threads, uint, 0644);
MODULE_PARM_DESC(max_user_sq_threads,
		 "SQPOLL contexts (each with a kernel thread that polls its SQ) one user (real uid) may hold; more: SETUP answers -EAGAIN (default 8)");

static unsigned int axq_max_user_inflight = 262144;
module_param_named(max_user_inflight, axq_max_user_inflight, uint, 0644);
MODULE_PARM_DESC(max_user_inflight,
		 "Operations in flight of one user (real uid) over all their contexts; more complete with -EBUSY (default 262144)");

static unsigned long axq_max_user_chan_bytes = 64UL << 20;
module_param_named(max_user_chan_bytes, axq_max_user_chan_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_chan_bytes,
		 "Bytes of messages one user (real uid) may hold in channels over all their contexts; a SEND over it completes with -ENOBUFS (default 64 MiB)");

/*
 * The users: index the uid (a kuid's value, that is in the initial user
 * namespace), entry its struct axq_user; no entry for a user with no
 * context and no I/O worker. Inserted and erased under the xarray's lock.
 */
static DEFINE_XARRAY(axq_users);

/* Per-CPU drift of a user's in-flight count before it is folded. */
#define AXQ_INFLIGHT_BATCH	32

/* Free @u if nothing counts in it any more. Called under axq_users' lock. */
static void axq_user_maybe_free(struct axq_user *u)
{
	if (u->contexts || u->io_workers || u->holds || u->sq_threads)
		return;
	__xa_erase(&axq_users, __kuid_val(u->uid));
	WARN_ON_ONCE(percpu_counter_sum(&u->inflight) ||
		     atomic_long_read(&u->chan_bytes));
	percpu_counter_destroy(&u->inflight);
	kfree(u);
}

/* The caller's user with one more context, unless it has the maximum. */
static struct axq_user *axq_user_open(kuid_t uid)
{
	unsigned int max = READ_ONCE(axq_max_contexts_per_user);
	unsigned long idx = __kuid_val(uid);
	struct axq_user *u, *fresh;
	int ret;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return ERR_PTR(-ENOMEM);
	if (percpu_counter_init(&fresh->inflight, 0, GFP_KERNEL_ACCOUNT)) {
		kfree(fresh);
		return ERR_PTR(-ENOMEM);
	}
	fresh->uid = uid;
	xa_lock(&axq_users);
	u = xa_load(&axq_users, idx);
	if (!u) {
		/* May drop the lock to allocate; nobody else inserts then. */
		ret = xa_err(__xa_store(&axq_users, idx, fresh, GFP_KERNEL));
		if (ret) {
			xa_unlock(&axq_users);
			percpu_counter_destroy(&fresh->inflight);
			kfree(fresh);
			return ERR_PTR(ret);
		}
		u = fresh;
		fresh = NULL;
	}
	if (max && u->contexts >= max) {
		axq_user_maybe_free(u);
		u = ERR_PTR(-EMFILE);
	} else {
		u->contexts++;
	}
	xa_unlock(&axq_users);
	if (fresh) {
		percpu_counter_destroy(&fresh->inflight);
		kfree(fresh);
	}
	return u;
}

/* One more in @count of @u, unless it has @max: 0 or -EAGAIN. */
static int axq_user_count(struct axq_user *u, unsigned int *count,
			  unsigned int max)
{
	int ret = 0;

	xa_lock(&axq_users);
	if (*count >= max)
		ret = -EAGAIN;
	else
		(*count)++;
	xa_unlock(&axq_users);
	return ret;
}

/* One less in @count of @u; free @u when nothing counts in it any more. */
static void axq_user_uncount(struct axq_user *u, unsigned int *count)
{
	xa_lock(&axq_users);
	if (!WARN_ON_ONCE(!*count))
		(*count)--;
	axq_user_maybe_free(u);
	xa_unlock(&axq_users);
}

/**
 * axq_limits_release() - a context of a user was freed: uncount it
 * @u: the user axq_limits_open() returned for it
 *
 * Context: process context.
 */
void axq_limits_release(struct axq_user *u)
{
	axq_user_uncount(u, &u->contexts);
}

/**
 * axq_limits_hold() - keep a user's struct while something refers to it
 * @u: a user the caller holds (through a context)
 *
 * Context: any context.
 */
void axq_limits_hold(struct axq_user *u)
{
	axq_user_count(u, &u->holds, UINT_MAX);
}

/**
 * axq_limits_unhold() - drop what axq_limits_hold() took
 * @u: the user
 *
 * Context: any context.
 */
void axq_limits_unhold(struct axq_user *u)
{
	axq_user_uncount(u, &u->holds);
}

/**
 * axq_limits_worker_charge() - count one more I/O worker for a user
 * @u: the context's user (&axq_ctx.user), held by the caller
 *
 * Context: any context.
 * Return: 0, then the caller must call axq_limits_worker_release() when
 * the worker exits (until then @u stays); -EAGAIN when the user has
 * max_user_io_workers.
 */
int axq_limits_worker_charge(struct axq_user *u)
{
	return axq_user_count(u, &u->io_workers,
			      READ_ONCE(axq_max_user_io_workers));
}

/**
 * axq_limits_worker_release() - an I/O worker of a user exited
 * @u: the user it was charged to
 *
 * Context: any context.
 */
void axq_limits_worker_release(struct axq_user *u)
{
	axq_user_uncount(u, &u->io_workers);
}

/**
 * axq_limits_sqthread_charge() - count one more SQ thread for a user
 * @u: the context's user (&axq_ctx.user), held by the caller
 *
 * Context: any context.
 * Return: 0, then the caller must call axq_limits_sqthread_release() when
 * the thread is stopped; -EAGAIN when the user has max_user_sq_threads.
 */
int axq_limits_sqthread_charge(struct axq_user *u)
{
	return axq_user_count(u, &u->sq_threads,
			      READ_ONCE(axq_max_user_sq_threads));
}

/**
 * axq_limits_sqthread_release() - an SQ thread of a user was stopped
 * @u: the user it was charged to
 *
 * Context: any context.
 */
void axq_limits_sqthread_release(struct axq_user *u)
{
	axq_user_uncount(u, &u->sq_threads);
}

/**
 * axq_limits_inflight_charge() - count one more operation in flight
 * @u: the context's user
 *
 * Context: any context.
 * Return: 0, or -EBUSY when the user has max_user_inflight in flight.
 */
int axq_limits_inflight_charge(struct axq_user *u)
{
	s64 max = min_t(unsigned int, READ_ONCE(axq_max_user_inflight), INT_MAX);

	percpu_counter_add_batch(&u->inflight, 1, AXQ_INFLIGHT_BATCH);
	/* Approximate far from the limit; every CPU's count summed near it. */
	if (__percpu_counter_compare(&u->inflight, max,
				     AXQ_INFLIGHT_BATCH) > 0) {
		percpu_counter_add_batch(&u->inflight, -1, AXQ_INFLIGHT_BATCH);
		return -EBUSY;
	}
	return 0;
}

/**
 * axq_limits_inflight_release() - an operation of a user retired
 * @u: the context's user
 *
 * Context: any context.
 */
void axq_limits_inflight_release(struct axq_user *u)
{
	percpu_counter_add_batch(&u->inflight, -1, AXQ_INFLIGHT_BATCH);
}

/**
 * axq_limits_chan_charge() - charge a message's bytes to its user
 * @u: the context's user
 * @bytes: the message's size
 *
 * Context: any context.
 * Return: 0, or -ENOBUFS when the user's channels would hold more than
 * max_user_chan_bytes.
 */
int axq_limits_chan_charge(struct axq_user *u, size_t bytes)
{
	if (atomic_long_add_return(bytes, &u->chan_bytes) >
	    (long)min_t(unsigned long, READ_ONCE(axq_max_user_chan_bytes),
			    LONG_MAX)) {
		atomic_long_sub(bytes, &u->chan_bytes);
		return -ENOBUFS;
	}
	return 0;
}

/**
 * axq_limits_chan_release() - a charged message was freed
 * @u: the user it was charged to
 * @bytes: what was charged
 *
 * Context: any context.
 */
void axq_limits_chan_release(struct axq_user *u, size_t bytes)
{
	atomic_long_sub(bytes, &u->chan_bytes);
}

/**
 * axq_limits_allowed() - do ``disabled`` and ``group`` let the caller in?
 *
 * Context: process context, the caller being checked.
 * Return: 0, -EPERM (disabled) or -EACCES (not in the group).
 */
int axq_limits_allowed(void)
{
	unsigned int disabled = READ_ONCE(axq_disabled);
	int group = READ_ONCE(axq_group);

	if (disabled >= 2 || (disabled == 1 && !capable(CAP_SYS_ADMIN)))
		return -EPERM;
	if (group >= 0 && !in_group_p(make_kgid(&init_user_ns, group)) &&
	    !capable(CAP_SYS_ADMIN))
		return -EACCES;
	return 0;
}

/**
 * axq_limits_open() - may the caller open a context? Count it if so
 *
 * Context: process context, in the opener.
 * Return: the user (real uid) it is counted against: the caller must call
 * axq_limits_release() when the context is freed; or ERR_PTR() of -EPERM
 * (disabled), -EACCES (not in the group), -EMFILE (too many contexts for
 * this user) or -ENOMEM.
 */
struct axq_user *axq_limits_open(void)
{
	int ret = axq_limits_allowed();

	if (ret)
		return ERR_PTR(ret);
	return axq_user_open(current_uid());
}

/**
 * axq_limits_exit() - free the per-user counts at module unload
 *
 * Every context is gone by then, so nothing should be counted.
 *
 * Context: process context (module exit).
 */
void axq_limits_exit(void)
{
	WARN_ON(!xa_empty(&axq_users));
	xa_destroy(&axq_users);
}
