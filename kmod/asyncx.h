/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: declarations shared by the files of the module.
 */
#ifndef _ASYNCX_INTERNAL_H
#define _ASYNCX_INTERNAL_H

#include <linux/atomic.h>
#include <linux/types.h>

/**
 * struct axq_ctx - one context: the state behind one open() of /dev/asyncx
 * @id:		unique for the life of the module, never reused (I: set at open)
 * @owner_tgid:	thread group that opened the device (I: set at open)
 *
 * Lifetime: created by open(), freed by the final release() of its file.
 * The submission and completion rings will live here (see the ring issue).
 */
struct axq_ctx {
	u64	id;
	pid_t	owner_tgid;
};

/* Name of the module's directory in debugfs. */
#define ASYNCX_DEBUGFS_DIR	"asyncx"

/* Live contexts, shown in debugfs as asyncx/contexts. */
extern atomic_t axq_nr_contexts;

struct dentry;

void axq_debugfs_init(void);
void axq_debugfs_exit(void);
int axq_bench_init(struct dentry *dir);
void axq_bench_exit(void);

#endif /* _ASYNCX_INTERNAL_H */
