// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: limits and access — the module parameters an administrator uses
 * to restrict who may open /dev/asyncx and how many contexts each user may
 * hold. Documented in Documentation/uapi.rst ("Limits and access").
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
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

/*
 * Contexts per user: index the uid (a kuid's value, that is in the initial
 * user namespace), entry a value entry holding the count; no entry for a
 * count of 0. Updates under the xarray's lock.
 */
static DEFINE_XARRAY(axq_users);

static int axq_user_charge(kuid_t uid)
{
	unsigned long idx = __kuid_val(uid);
	unsigned int max = READ_ONCE(axq_max_contexts_per_user);
	void *old, *cur;
	unsigned long n;
	int ret = 0;

	xa_lock(&axq_users);
	do {
		old = xa_load(&axq_users, idx);
		n = old ? xa_to_value(old) : 0;
		if (max && n >= max) {
			ret = -EMFILE;
			break;
		}
		/* May drop the lock to allocate: then retry if it changed. */
		cur = __xa_cmpxchg(&axq_users, idx, old, xa_mk_value(n + 1),
				   GFP_KERNEL);
		if (xa_is_err(cur)) {
			ret = xa_err(cur);
			break;
		}
	} while (cur != old);
	xa_unlock(&axq_users);
	return ret;
}

/**
 * axq_limits_release() - a context of a user was freed: uncount it
 * @uid: the uid axq_limits_open() returned for it
 *
 * Context: process context.
 */
void axq_limits_release(kuid_t uid)
{
	unsigned long idx = __kuid_val(uid);
	unsigned long n;
	void *old;

	xa_lock(&axq_users);
	old = xa_load(&axq_users, idx);
	n = old ? xa_to_value(old) : 0;
	if (n > 1) {
		/* The slot exists: storing into it allocates nothing. */
		__xa_store(&axq_users, idx, xa_mk_value(n - 1), GFP_NOWAIT);
	} else if (!WARN_ON_ONCE(!n)) {
		__xa_erase(&axq_users, idx);
	}
	xa_unlock(&axq_users);
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
 * @uid: out: the uid it is counted against, for axq_limits_release()
 *
 * Context: process context, in the opener.
 * Return: 0, then the caller must call axq_limits_release() when the
 * context is freed; -EPERM (disabled), -EACCES (not in the group), -EMFILE
 * (too many contexts for this user) or -ENOMEM.
 */
int axq_limits_open(kuid_t *uid)
{
	int ret = axq_limits_allowed();

	if (ret)
		return ret;
	*uid = current_uid();
	return axq_user_charge(*uid);
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
