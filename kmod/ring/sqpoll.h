/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: SQ polling, a kernel thread per ASYNCX_SETUP_SQPOLL context
 * that consumes SQEs as they are published (sqpoll.c). Internal.
 */
#ifndef _ASYNCX_RING_SQPOLL_H
#define _ASYNCX_RING_SQPOLL_H

#include <linux/types.h>

struct axq_ctx;
struct seq_file;

int axq_sqpoll_create(struct axq_ctx *ctx, u32 idle_ms);
void axq_sqpoll_start(struct axq_ctx *ctx);
void axq_sqpoll_stop(struct axq_ctx *ctx);
void axq_sqpoll_free(struct axq_ctx *ctx);
int axq_sqpoll_enter(struct axq_ctx *ctx, bool wake);
u32 axq_sqpoll_idle_ms(struct axq_ctx *ctx);
void axq_sqpoll_show(struct axq_ctx *ctx, struct seq_file *m);

#endif /* _ASYNCX_RING_SQPOLL_H */
