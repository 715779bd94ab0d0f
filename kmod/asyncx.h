/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: declarations shared by the files of the module.
 */
#ifndef _ASYNCX_INTERNAL_H
#define _ASYNCX_INTERNAL_H

#include <linux/atomic.h>
#include <linux/types.h>

/* Name of the module's directory in debugfs. */
#define ASYNCX_DEBUGFS_DIR	"asyncx"

/* Live contexts, shown in debugfs as asyncx/contexts. */
extern atomic_t axq_nr_contexts;

struct dentry;
struct file;

bool axq_is_ctx_file(const struct file *file);

void axq_debugfs_init(void);
void axq_debugfs_exit(void);
int axq_bench_init(struct dentry *dir);
void axq_bench_exit(void);

#endif /* _ASYNCX_INTERNAL_H */
