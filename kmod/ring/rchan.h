/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: channels on a context (rchan.c) — the ioctls and the
 * context's life; SEND and RECV are rows of the op table. Internal.
 */
#ifndef _ASYNCX_RING_RCHAN_H
#define _ASYNCX_RING_RCHAN_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct asyncx_chan_params;
struct axq_ctx;
struct seq_file;

void axq_rchan_ctx_init(struct axq_ctx *ctx);
void axq_rchan_ctx_release(struct axq_ctx *ctx);
int axq_rchan_create(struct axq_ctx *ctx,
		     struct asyncx_chan_params __user *arg);
int axq_rchan_destroy(struct axq_ctx *ctx, u32 __user *arg);
void axq_rchan_show_fdinfo(struct axq_ctx *ctx, struct seq_file *m);

#endif /* _ASYNCX_RING_RCHAN_H */
