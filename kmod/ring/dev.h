/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: the device, and the ring's start and stop (dev.c). Internal.
 */
#ifndef _ASYNCX_RING_DEV_H
#define _ASYNCX_RING_DEV_H

#include <linux/atomic.h>
#include <linux/types.h>

struct file;

/* Live contexts, shown in debugfs as asyncx/contexts. */
extern atomic_t axq_nr_contexts;

bool axq_is_ctx_file(const struct file *file);
int axq_ring_init(void);
void axq_ring_exit(void);

#endif /* _ASYNCX_RING_DEV_H */
