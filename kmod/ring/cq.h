/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: posting completions (cq.c). Internal.
 */
#ifndef _ASYNCX_RING_CQ_H
#define _ASYNCX_RING_CQ_H

#include <linux/types.h>

#include <linux/asyncx.h>

struct axq_ctx;

#define AXQ_CQE_BATCH	16

struct axq_cqe_batch {
	unsigned int		nr;
	struct asyncx_cqe	cqes[AXQ_CQE_BATCH];
};

void axq_post_cqe(struct axq_ctx *ctx, u64 user_data, s32 res, u32 flags);
bool axq_post_cqe_more(struct axq_ctx *ctx, u64 user_data, s32 res,
		       u32 flags);
void axq_cqe_batch_flush(struct axq_ctx *ctx, struct axq_cqe_batch *b);
void axq_cqe_batch_add(struct axq_ctx *ctx, struct axq_cqe_batch *b,
		       u64 user_data, s32 res);
bool axq_cq_flush(struct axq_ctx *ctx);
void axq_cq_wake(struct axq_ctx *ctx);
u32 axq_cq_ready(struct axq_ctx *ctx);
void axq_cq_free_overflow(struct axq_ctx *ctx);
unsigned int axq_cq_overflow_pending(struct axq_ctx *ctx);

#endif /* _ASYNCX_RING_CQ_H */
