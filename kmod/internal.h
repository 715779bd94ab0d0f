/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: what the top of the module (main.c, debugfs.c, bench.c) shares.
 */
#ifndef _ASYNCX_INTERNAL_H
#define _ASYNCX_INTERNAL_H

/* Name of the module's directory in debugfs. */
#define ASYNCX_DEBUGFS_DIR	"asyncx"

struct dentry;

void axq_debugfs_init(void);
void axq_debugfs_exit(void);
int axq_bench_init(struct dentry *dir);
void axq_bench_exit(void);

#endif /* _ASYNCX_INTERNAL_H */
