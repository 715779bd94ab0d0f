// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: the completion side — posting CQEs, the overflow list, the
 * batch of inline completions of one submission, and waking the waiters.
 */
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "trace.h"

#include "compat.h"
#include "cq.h"
#include "ctx.h"

/**
 * DOC: completions
 *
 * CQEs are posted in process context only — by the submitter for inline
 * ops and by executor workers for the others — under ctx->cq_lock. When the
 * CQ is full (or older CQEs already wait), the CQE goes to the tail of the
 * overflow list and ASYNCX_SQ_CQ_OVERFLOW is set in the SQ flags word. Each
 * enter moves waiting CQEs into the CQ, in order, as room appears; while
 * any wait, enter refuses new submissions with -EBUSY. Only a failed
 * allocation of an overflow entry loses a CQE; the SQ ring's dropped
 * counter counts those.
 */

struct axq_overflow_cqe {
	struct list_head	node;
	struct asyncx_cqe	cqe;
};

static u32 axq_cq_free_slots(struct axq_ctx *ctx)
{
	/* Acquire: pairs with the application's release store of the CQ
	 * head, so it is done reading the CQEs we overwrite.
	 */
	u32 head = smp_load_acquire(&ctx->cq->head);

	return ctx->cq_entries - (ctx->cq_tail - head);
}

static void axq_cq_write(struct axq_ctx *ctx, const struct asyncx_cqe *cqe)
{
	lockdep_assert_held(&ctx->cq_lock);
	ctx->cq->cqes[ctx->cq_tail & (ctx->cq_entries - 1)] = *cqe;
	ctx->cq_tail++;
}

static void axq_cq_publish(struct axq_ctx *ctx)
{
	lockdep_assert_held(&ctx->cq_lock);
	/* Release: the CQEs before the tail; pairs with the application's
	 * acquire load of the CQ tail.
	 */
	smp_store_release(&ctx->cq->tail, ctx->cq_tail);
}

/* Move what fits of the overflow list into the CQ. */
static void axq_cq_flush_locked(struct axq_ctx *ctx)
{
	struct axq_overflow_cqe *o;
	u32 room = axq_cq_free_slots(ctx);
	bool moved = false;

	lockdep_assert_held(&ctx->cq_lock);
	while (room && !list_empty(&ctx->overflow)) {
		o = list_first_entry(&ctx->overflow, struct axq_overflow_cqe, node);
		list_del(&o->node);
		axq_cq_write(ctx, &o->cqe);
		kfree(o);
		room--;
		moved = true;
	}
	if (moved)
		axq_cq_publish(ctx);
	if (list_empty(&ctx->overflow))
		WRITE_ONCE(ctx->sq->flags,
			   READ_ONCE(ctx->sq->flags) & ~ASYNCX_SQ_CQ_OVERFLOW);
}

bool axq_cq_flush(struct axq_ctx *ctx)
{
	bool empty;

	/* Nothing waits (the common case): no lock. A CQE that overflows
	 * after this test is one that completed after it, as if it had
	 * come after the lock.
	 */
	if (list_empty(&ctx->overflow))
		return true;
	spin_lock(&ctx->cq_lock);
	if (!list_empty(&ctx->overflow))
		axq_cq_flush_locked(ctx);
	empty = list_empty(&ctx->overflow);
	spin_unlock(&ctx->cq_lock);
	return empty;
}

/* Wake whoever waits for completions (enter, poll, epoll). */
void axq_cq_wake(struct axq_ctx *ctx)
{
	/* Full barrier in wq_has_sleeper(): pairs with the waiter's barrier
	 * between queueing itself and testing the CQ.
	 */
	if (wq_has_sleeper(&ctx->cq_wait))
		wake_up(&ctx->cq_wait);
}

/*
 * Put @cqe in the CQ when it has room and no older CQE waits in the
 * overflow list (L: ctx->cq_lock). Returns false when it would overflow.
 */
static bool axq_cq_try_post_locked(struct axq_ctx *ctx,
				   const struct asyncx_cqe *cqe)
{
	lockdep_assert_held(&ctx->cq_lock);
	if (unlikely(!list_empty(&ctx->overflow)) || !axq_cq_free_slots(ctx))
		return false;
	axq_cq_write(ctx, cqe);
	axq_cq_publish(ctx);
	if (ctx->evfd)
		axq_eventfd_signal(ctx->evfd);
	return true;
}

/*
 * Post a CQE; @wake: wake the waiters now, else the caller will (the
 * submission path wakes once per enter, not once per inline CQE).
 */
static void __axq_post_cqe(struct axq_ctx *ctx, u64 user_data, s32 res,
			   u32 flags, bool wake)
{
	struct asyncx_cqe cqe = { .user_data = user_data, .res = res,
				  .flags = flags };
	struct axq_overflow_cqe *o;

	/* (Traced by the callers.) */
	spin_lock(&ctx->cq_lock);
	if (axq_cq_try_post_locked(ctx, &cqe)) {
		spin_unlock(&ctx->cq_lock);
		if (wake)
			axq_cq_wake(ctx);
		return;
	}
	spin_unlock(&ctx->cq_lock);

	o = kmalloc(sizeof(*o), GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	trace_asyncx_cq_overflow(ctx->id, user_data, !o);
	spin_lock(&ctx->cq_lock);
	if (!o) {
		WRITE_ONCE(ctx->sq->dropped, READ_ONCE(ctx->sq->dropped) + 1);
	} else {
		o->cqe = cqe;
		list_add_tail(&o->node, &ctx->overflow);
		WRITE_ONCE(ctx->cq->overflow, READ_ONCE(ctx->cq->overflow) + 1);
		WRITE_ONCE(ctx->sq->flags,
			   READ_ONCE(ctx->sq->flags) | ASYNCX_SQ_CQ_OVERFLOW);
		/* Room may have appeared meanwhile. */
		axq_cq_flush_locked(ctx);
	}
	if (ctx->evfd)
		axq_eventfd_signal(ctx->evfd);
	spin_unlock(&ctx->cq_lock);
	if (wake)
		axq_cq_wake(ctx);
}

/*
 * The CQEs of ops completed inline during one enter, posted together: one
 * CQ lock and one tail publication per batch instead of per CQE. Only the
 * submitting thread adds to it; anything else the submission posts (chain
 * failures, group members) flushes it first, so the CQEs of one submission
 * keep their order.
 */
void axq_cqe_batch_flush(struct axq_ctx *ctx, struct axq_cqe_batch *b)
{
	unsigned int i = 0, room;

	/*
	 * Release: the SQEs up to b->sq_head are copied, their slots the
	 * application's again before any CQE of theirs is seen (pairs with
	 * its acquire load of the SQ head). Every other post of the
	 * submission flushes the batch first.
	 */
	smp_store_release(&ctx->sq->head, b->sq_head);
	if (!b->nr)
		return;
	b->posted += b->nr;
	spin_lock(&ctx->cq_lock);
	room = list_empty(&ctx->overflow) ? axq_cq_free_slots(ctx) : 0;
	for (; i < b->nr && i < room; i++) {
		trace_asyncx_cqe_post(ctx->id, b->cqes[i].user_data,
				      b->cqes[i].res, 0);
		axq_cq_write(ctx, &b->cqes[i]);
		if (ctx->evfd)
			axq_eventfd_signal(ctx->evfd);
	}
	if (i)
		axq_cq_publish(ctx);
	spin_unlock(&ctx->cq_lock);
	/* No room for the rest: the overflow list, in order. */
	for (; i < b->nr; i++) {
		trace_asyncx_cqe_post(ctx->id, b->cqes[i].user_data,
				      b->cqes[i].res, b->cqes[i].flags);
		__axq_post_cqe(ctx, b->cqes[i].user_data, b->cqes[i].res,
			       b->cqes[i].flags, false);
	}
	b->nr = 0;
}

/**
 * axq_post_cqe_more() - post a CQE of a multishot op, only if it fits
 * @ctx: the context (rings set up)
 * @user_data: the SQE's user_data
 * @res: the result
 * @flags: ASYNCX_CQE_F_* flags, ASYNCX_CQE_F_MORE among them
 *
 * A multishot op never grows the overflow list (as io_uring's do not):
 * when the CQ is full, or older CQEs wait in the overflow list, nothing is
 * posted and the op must end, with this result as its final CQE (without
 * ASYNCX_CQE_F_MORE), which may overflow: one entry per op, not one per
 * event. So an op nobody reaps costs at most the CQ and one entry.
 *
 * Context: process context; takes ctx->cq_lock; does not sleep.
 * Return: true if posted; false: the op must end.
 */
bool axq_post_cqe_more(struct axq_ctx *ctx, u64 user_data, s32 res,
		       u32 flags)
{
	struct asyncx_cqe cqe = { .user_data = user_data, .res = res,
				  .flags = flags };
	bool posted;

	spin_lock(&ctx->cq_lock);
	posted = axq_cq_try_post_locked(ctx, &cqe);
	spin_unlock(&ctx->cq_lock);
	if (!posted)
		return false;
	trace_asyncx_cqe_post(ctx->id, user_data, res, flags);
	axq_cq_wake(ctx);
	return true;
}

/**
 * axq_post_cqe() - post a completion
 * @ctx: the context (rings set up)
 * @user_data: the SQE's user_data
 * @res: the result
 * @flags: ASYNCX_CQE_F_* flags
 *
 * Goes to the CQ, or to the overflow list when the CQ is full or older
 * CQEs already wait there, so CQEs stay in order; then wakes the waiters.
 *
 * Context: process context; takes ctx->cq_lock; does not sleep.
 */
void axq_post_cqe(struct axq_ctx *ctx, u64 user_data, s32 res, u32 flags)
{
	trace_asyncx_cqe_post(ctx->id, user_data, res, flags);
	__axq_post_cqe(ctx, user_data, res, flags, true);
}

u32 axq_cq_ready(struct axq_ctx *ctx)
{
	/* Acquire: pairs with the application's release of the CQ head. */
	return READ_ONCE(ctx->cq_tail) - smp_load_acquire(&ctx->cq->head);
}

/**
 * axq_cq_free_overflow() - free the CQEs still on the overflow list
 * @ctx: the context, being freed
 *
 * Context: the last reference of @ctx is gone.
 */
void axq_cq_free_overflow(struct axq_ctx *ctx)
{
	struct axq_overflow_cqe *o, *next;

	list_for_each_entry_safe(o, next, &ctx->overflow, node)
		kfree(o);
}

/**
 * axq_cq_overflow_pending() - CQEs waiting on the overflow list
 * @ctx: the context
 *
 * Context: process context; takes ctx->cq_lock.
 * Return: their number.
 */
unsigned int axq_cq_overflow_pending(struct axq_ctx *ctx)
{
	struct axq_overflow_cqe *o;
	unsigned int n = 0;

	spin_lock(&ctx->cq_lock);
	list_for_each_entry(o, &ctx->overflow, node)
		n++;
	spin_unlock(&ctx->cq_lock);
	return n;
}
