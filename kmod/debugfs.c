// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: the debugfs view, /sys/kernel/debug/asyncx/.
 *
 *   contexts	number of live contexts (open files of /dev/asyncx)
 */
#include <linux/debugfs.h>

#include "asyncx.h"

static struct dentry *axq_debugfs_root;

/**
 * axq_debugfs_init() - create /sys/kernel/debug/asyncx and its files
 *
 * Debugfs is an aid, not a dependency: if it is absent or fails, the
 * module works without it, as debugfs users are expected to.
 *
 * Context: process context, module init.
 */
void axq_debugfs_init(void)
{
	axq_debugfs_root = debugfs_create_dir(ASYNCX_DEBUGFS_DIR, NULL);
	debugfs_create_atomic_t("contexts", 0444, axq_debugfs_root,
				&axq_nr_contexts);
}

/**
 * axq_debugfs_exit() - remove /sys/kernel/debug/asyncx and its files
 *
 * Context: process context, module exit.
 */
void axq_debugfs_exit(void)
{
	debugfs_remove(axq_debugfs_root);
	axq_debugfs_root = NULL;
}
