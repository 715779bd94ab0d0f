// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: per-SQE deadlines (ASYNCX_SQE_DEADLINE).
 *
 * A deadline is an hrtimer armed at submission. When it fires it marks the
 * deadline passed and wakes the task of the request running under it; that
 * request's next poll sees the mark and completes with -ETIME instead of
 * polling its op, and its drop releases what the op holds, as a
 * cancellation would. A chain's deadline (ASYNCX_CF_DEADLINE_CHAIN) is one
 * object shared by the members: the member running when it fires completes
 * with -ETIME, which breaks the chain, and the rest complete with
 * -ECANCELED; a member reached after it fired completes with -ETIME at its
 * first poll.
 */
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include "compose.h"
#include "ctx.h"
#include "req.h"
#include "trace.h"

static enum hrtimer_restart axq_deadline_fn(struct hrtimer *timer)
{
	struct axq_deadline *dl = container_of(timer, struct axq_deadline,
					       timer);
	unsigned long flags;

	trace_asyncx_deadline(dl->ctx_id, dl->user_data);
	spin_lock_irqsave(&dl->lock, flags);
	dl->fired = true;
	/* @cur's task is set and stays until @cur is detached (under @lock). */
	if (dl->cur)
		axq_wake_by_ref(&dl->cur->etask);
	spin_unlock_irqrestore(&dl->lock, flags);
	return HRTIMER_NORESTART;
}

/**
 * axq_deadline_prep() - arm the deadline of an SQE
 * @req: the request being prepared (its op not prepared yet)
 * @sqe: the SQE, with ASYNCX_SQE_DEADLINE
 *
 * Context: submission.
 * Return: 0, -EINVAL for a relative deadline of 0 or an absolute one of
 * 0, -ETIME for an absolute deadline already passed, -ENOMEM.
 */
int axq_deadline_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	bool abs = sqe->cflags & ASYNCX_CF_DEADLINE_ABS;
	struct axq_deadline *dl;
	ktime_t expires;

	if (!sqe->deadline || sqe->deadline > KTIME_MAX)
		return -EINVAL;
	if (abs) {
		expires = (ktime_t)sqe->deadline;
		if (!ktime_before(ktime_get(), expires))
			return -ETIME;
	} else {
		expires = ktime_add_safe(ktime_get(), (ktime_t)sqe->deadline);
	}
	dl = kmalloc(sizeof(*dl), GFP_KERNEL_ACCOUNT);
	if (!dl)
		return -ENOMEM;
	spin_lock_init(&dl->lock);
	refcount_set(&dl->refs, 1);
	dl->cur = NULL;
	dl->fired = false;
	dl->ctx_id = req->ctx->id;
	dl->user_data = sqe->user_data;
	hrtimer_init(&dl->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	dl->timer.function = axq_deadline_fn;
	hrtimer_start(&dl->timer, expires, HRTIMER_MODE_ABS);
	req->comp->dl = dl;
	return 0;
}

/**
 * axq_deadline_share() - put a chain member under its chain's deadline
 * @req: the member (without a deadline of its own)
 * @dl: the chain's deadline
 *
 * Context: submission.
 */
void axq_deadline_share(struct axq_req *req, struct axq_deadline *dl)
{
	refcount_inc(&dl->refs);
	req->comp->dl = dl;
}

/**
 * axq_deadline_attach() - a request under a deadline runs: let the timer
 * wake its task
 * @req: the request, at its first poll, its task set
 *
 * Context: executor worker.
 */
void axq_deadline_attach(struct axq_req *req)
{
	struct axq_deadline *dl = axq_req_dl(req);

	spin_lock_irq(&dl->lock);
	dl->cur = req;
	spin_unlock_irq(&dl->lock);
}

/**
 * axq_deadline_put() - a request under a deadline is retired
 * @req: the request; its task reference is still held
 *
 * Detaches it from the timer; the last request under the deadline stops
 * the timer (waiting for a running callback) and frees it.
 *
 * Context: process context.
 */
void axq_deadline_put(struct axq_req *req)
{
	struct axq_deadline *dl = axq_req_dl(req);

	spin_lock_irq(&dl->lock);
	if (dl->cur == req)
		dl->cur = NULL;
	spin_unlock_irq(&dl->lock);
	req->comp->dl = NULL;
	if (!refcount_dec_and_test(&dl->refs))
		return;
	hrtimer_cancel(&dl->timer);
	kfree(dl);
}
