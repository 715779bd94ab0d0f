// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: per-SQE retry policies (ASYNCX_SQE_RETRY).
 *
 * When an attempt completes with a result the policy retries, and attempts
 * are left, the request does not post its CQE: it arms a backoff timer and
 * returns pending; the timer wakes its task, whose next poll resets the op
 * (&axq_opdef.reset; inline ops need none) and runs it again. The delays
 * are the runtime's exponential backoff (axq_retry_backoff()): they double
 * from the base up to the cap; with jitter (50 percent) each is drawn
 * between half of it and all of it. Only the last attempt posts a CQE, which
 * carries the number of attempts. A deadline bounds the attempts together:
 * one that passes during a delay ends the request with -ETIME.
 */
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/slab.h>

#include <asyncx/combinator.h>
#include <asyncx/time.h>

#include "compose.h"
#include "ctx.h"
#include "req.h"
#include "opdef.h"
#include "trace.h"

static const int axq_retry_errno[] = {
	EAGAIN, EINTR, EBUSY, ETIMEDOUT, ETIME, EIO, ENOMEM, ECONNREFUSED,
	ECONNRESET,
};

/* Does the policy retry @res? */
static bool axq_retry_matches(const struct axq_req_retry *r, int res)
{
	unsigned int i;

	if (res >= 0)
		return false;
	for (i = 0; i < ARRAY_SIZE(axq_retry_errno); i++)
		if (r->errs & (1U << i) && res == -axq_retry_errno[i])
			return true;
	return false;
}

/**
 * axq_retry_prep() - validate an SQE's retry policy and set it up
 * @req: the request being prepared
 * @sqe: the SQE, with ASYNCX_SQE_RETRY
 *
 * Context: submission.
 * Return: 0, -EINVAL for zero attempts, unknown retry_errs bits, a cap
 * below the base, or an op that cannot be run again (a multishot op, a
 * TIMEOUT, a GROUP), -ENOMEM.
 */
int axq_retry_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	const struct axq_opdef *def = axq_opdefs[req->opcode];
	struct axq_req_retry *r;

	if (!sqe->retry_max || sqe->retry_errs & ~ASYNCX_RETRY_ALL ||
	    sqe->retry_cap_us < sqe->retry_base_us)
		return -EINVAL;
	if (!def->issue && !def->reset)
		return -EINVAL;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	axq_timer_waker_init(&r->tw);
	r->backoff.base_ns = (u64)sqe->retry_base_us * NSEC_PER_USEC;
	r->backoff.cap_ns = (u64)sqe->retry_cap_us * NSEC_PER_USEC;
	r->backoff.jitter_pct = sqe->cflags & ASYNCX_CF_RETRY_JITTER ? 50 : 0;
	r->errs = sqe->retry_errs ?: ASYNCX_RETRY_DEFAULT;
	r->max = sqe->retry_max;
	r->attempt = 1;
	req->comp->retry = r;
	return 0;
}

/**
 * axq_retry_again() - an attempt completed: schedule another one?
 * @req: the request, in its poll (its task set)
 * @res: the attempt's result
 * @cx: the poll context: its task is woken when the delay ends
 *
 * Context: executor worker.
 * Return: true if another attempt is scheduled: the request stays pending
 * and posts no CQE now; false if @res is final.
 */
bool axq_retry_again(struct axq_req *req, int res, struct axq_context *cx)
{
	struct axq_req_retry *r = axq_req_retry(req);
	u64 delay;

	if (r->attempt >= r->max || !axq_retry_matches(r, res) ||
	    axq_deadline_passed(req, axq_req_dl(req)))
		return false;
	/* Delay before attempt n + 1: base * 2^(n - 1), at most cap. */
	delay = axq_retry_backoff(&r->backoff, r->attempt, get_random_u32());
	trace_asyncx_retry(req->ctx->id, req->user_data, r->attempt, res,
			   delay);
	r->waiting = true;
	axq_timer_waker_arm(&r->tw, ktime_add_safe(ktime_get(),
						   ns_to_ktime(delay)), cx);
	return true;
}

/**
 * axq_retry_wait() - at a poll: is a backoff delay still running?
 * @req: the request, in its poll
 *
 * When the delay is over, resets the op and counts the next attempt.
 *
 * Context: executor worker.
 * Return: true while the delay runs (the request stays pending).
 */
bool axq_retry_wait(struct axq_req *req)
{
	const struct axq_opdef *def = axq_opdefs[req->opcode];
	struct axq_req_retry *r = axq_req_retry(req);

	if (!r || !r->waiting)
		return false;
	if (!axq_timer_waker_fired(&r->tw))
		return true;
	r->waiting = false;
	r->attempt++;
	if (def->reset)
		def->reset(req);
	return false;
}

/**
 * axq_retry_free() - the request is retired: stop its timer, free it
 * @req: the request
 *
 * Context: process context.
 */
void axq_retry_free(struct axq_req *req)
{
	axq_timer_waker_cancel(&req->comp->retry->tw);
	kfree(req->comp->retry);
	req->comp->retry = NULL;
}
