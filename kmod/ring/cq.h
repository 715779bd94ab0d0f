/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: posting completions (cq.c). Internal.
 */
#ifndef _ASYNCX_RING_CQ_H
#define _ASYNCX_RING_CQ_H

#include <linux/types.h>

#include <linux/asyncx.h>

struct axq_ctx;

#define AXQ_CQE_BATCH	32

/**
 * struct axq_cqe_batch - CQEs of inline ops, posted together
 * @nr: CQEs in @cqes
 * @posted: CQEs flushed since the submission reset it: a wake is owed
 * @sq_head: the SQ head past every SQE the submission has copied so far:
 *	each flush publishes it before the CQEs, so that an application that
 *	sees a CQE finds its SQE's slot free (what an SQ thread's user, who
 *	enters nothing, waits on)
 * @cqes: the CQEs, in SQE order
 */
struct axq_cqe_batch {
	unsigned int		nr;
	unsigned int		posted;
	u32			sq_head;
	struct asyncx_cqe	cqes[AXQ_CQE_BATCH];
};

void axq_post_cqe(struct axq_ctx *ctx, u64 user_data, s32 res, u32 flags);
bool axq_post_cqe_more(struct axq_ctx *ctx, u64 user_data, s32 res,
		       u32 flags);
void axq_cqe_batch_flush(struct axq_ctx *ctx, struct axq_cqe_batch *b);
/**
 * axq_cqe_batch_add() - add an inline op's CQE to the submission's batch
 * @ctx: the context
 * @b: the batch
 * @user_data: the SQE's user_data
 * @res: the result
 *
 * Posted (and traced) when the batch is full or the submission flushes it.
 *
 * Context: submission, under the context's lock.
 */
static inline void axq_cqe_batch_add(struct axq_ctx *ctx,
				     struct axq_cqe_batch *b, u64 user_data,
				     s32 res)
{
	b->cqes[b->nr].user_data = user_data;
	b->cqes[b->nr].res = res;
	b->cqes[b->nr].flags = 0;
	if (++b->nr == AXQ_CQE_BATCH)
		axq_cqe_batch_flush(ctx, b);
}

bool axq_cq_flush(struct axq_ctx *ctx);
void axq_cq_wake(struct axq_ctx *ctx);
u32 axq_cq_ready(struct axq_ctx *ctx);
void axq_cq_free_overflow(struct axq_ctx *ctx);
unsigned int axq_cq_overflow_pending(struct axq_ctx *ctx);

#endif /* _ASYNCX_RING_CQ_H */
