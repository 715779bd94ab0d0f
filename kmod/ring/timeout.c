// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_TIMEOUT — completes with -ETIME when a relative or
 * absolute CLOCK_MONOTONIC time has passed. An hrtimer (no jiffies
 * rounding) wakes the request's task from hardirq context.
 */
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/time64.h>

#include <asyncx/time.h>

#include "opdef.h"

/**
 * struct axq_timeout_cmd - TIMEOUT's state
 * @tw: one-shot: the timer waker, armed by the first poll
 * @timer: multishot: fires every period (@rel) from @expires on
 * @waker: multishot: the task @timer wakes (a waker reference from the
 *	first poll until cleanup)
 * @expires: the first expiry, absolute, CLOCK_MONOTONIC
 * @rel: the relative time (multishot: the period), or 0
 * @flags: the SQE's op_flags
 * @started: the first poll armed the timer
 * @ticks: multishot: expirations not yet posted (the callback adds)
 * @left: multishot: CQEs still due, or 0: until cancelled
 *
 * The timers are set up at the first poll, not at prep: a request is
 * prepared in the submission's scratch space and copied out of it.
 */
struct axq_timeout_cmd {
	union {
		struct axq_timer_waker	tw;
		struct {
			struct hrtimer	timer;
			struct axq_task	*waker;
		};
	};
	ktime_t			expires;
	ktime_t			rel;
	u32			flags;
	bool			started;
	atomic_t		ticks;
	u64			left;
};

/* Shortest period of a multishot TIMEOUT: 1 us. */
#define AXQ_TIMEOUT_MIN_PERIOD_NS	1000

/**
 * axq_timeout_prep() - validate a TIMEOUT and read its time
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission, in the submitter's mm (reads the timespec at addr).
 * Return: 0, -EINVAL for bad fields or a bad timespec, -EFAULT for a bad
 * address.
 */
static int axq_timeout_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_timeout_cmd *t = axq_req_cmd(req, struct axq_timeout_cmd);
	bool multi = sqe->op_flags & ASYNCX_TIMEOUT_MULTISHOT;
	struct timespec64 ts;

	if (sqe->len != 1 || sqe->fd || (sqe->off && !multi))
		return -EINVAL;
	if (multi && (sqe->op_flags & ASYNCX_TIMEOUT_ABS))
		return -EINVAL;
	if (get_timespec64(&ts, u64_to_user_ptr(sqe->addr)))
		return -EFAULT;
	if (!timespec64_valid(&ts))
		return -EINVAL;
	/* A period shorter than this would be an interrupt storm. */
	if (multi && timespec64_to_ns(&ts) < AXQ_TIMEOUT_MIN_PERIOD_NS)
		return -EINVAL;
	t->left = sqe->off;
	atomic_set(&t->ticks, 0);
	/* A relative time counts from submission, not from the first poll
	 * (in a chain: from when the chain reaches it, axq_timeout_link()).
	 */
	t->expires = timespec64_to_ktime(ts);
	t->rel = 0;
	if (!(sqe->op_flags & ASYNCX_TIMEOUT_ABS)) {
		t->rel = t->expires;
		t->expires = ktime_add_safe(ktime_get(), t->rel);
	}
	t->flags = sqe->op_flags;
	t->started = false;
	return 0;
}

/**
 * axq_timeout_link() - a chain reached this TIMEOUT: a relative time
 * counts from now
 * @req: the request, not started yet
 *
 * Context: process context.
 */
static void axq_timeout_link(struct axq_req *req)
{
	struct axq_timeout_cmd *t = axq_req_cmd(req, struct axq_timeout_cmd);

	if (!(t->flags & ASYNCX_TIMEOUT_ABS))
		t->expires = ktime_add_safe(ktime_get(), t->rel);
}

/**
 * axq_timeout_try_locked() - complete a TIMEOUT that is already due
 * @req: the request
 * @res: -ETIME when it is
 *
 * Context: submission, under the context's lock.
 * Return: true if the time has passed.
 */
static bool axq_timeout_try_locked(struct axq_req *req, int *res)
{
	struct axq_timeout_cmd *t = axq_req_cmd(req, struct axq_timeout_cmd);

	if (t->flags & ASYNCX_TIMEOUT_MULTISHOT ||
	    ktime_before(ktime_get(), t->expires))
		return false;
	*res = -ETIME;
	return true;
}

/* Multishot: count the expiration, wake the task, go on every period. */
static enum hrtimer_restart axq_timeout_multi_fn(struct hrtimer *timer)
{
	struct axq_timeout_cmd *t = container_of(timer, struct axq_timeout_cmd,
						 timer);

	/* The wake orders the count before the poll it causes. */
	atomic_inc(&t->ticks);
	axq_wake_by_ref(t->waker);
	hrtimer_forward_now(timer, t->rel);
	return HRTIMER_RESTART;
}

/*
 * Multishot: a CQE with ASYNCX_CQE_F_MORE per expiration, the last without;
 * it ends early, with that final CQE, when a CQE does not fit in the CQ.
 */
static enum axq_poll axq_timeout_multi_poll(struct axq_req *req,
					    struct axq_context *cx, int *res)
{
	struct axq_timeout_cmd *t = axq_req_cmd(req, struct axq_timeout_cmd);
	int n;

	if (!t->started) {
		t->started = true;
		t->waker = axq_waker_get(cx);
		hrtimer_init(&t->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
		t->timer.function = axq_timeout_multi_fn;
		hrtimer_start(&t->timer, t->expires, HRTIMER_MODE_ABS);
		return AXQ_PENDING;
	}
	for (n = atomic_xchg(&t->ticks, 0); n > 0; n--) {
		if (t->left && --t->left == 0) {
			*res = -ETIME;
			return AXQ_READY;
		}
		if (!axq_post_cqe_more(req->ctx, req->user_data, -ETIME,
				       ASYNCX_CQE_F_MORE)) {
			*res = -ETIME;
			return AXQ_READY;
		}
	}
	return AXQ_PENDING;
}

/**
 * axq_timeout_poll() - the TIMEOUT future
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready: -ETIME
 *
 * Context: an executor worker.
 * Return: AXQ_READY once the timer fired, else AXQ_PENDING.
 */
static enum axq_poll axq_timeout_poll(struct axq_req *req, struct axq_context *cx,
				      int *res)
{
	struct axq_timeout_cmd *t = axq_req_cmd(req, struct axq_timeout_cmd);

	if (t->flags & ASYNCX_TIMEOUT_MULTISHOT)
		return axq_timeout_multi_poll(req, cx, res);
	if (!t->started) {
		t->started = true;
		axq_timer_waker_init(&t->tw);
		axq_timer_waker_arm(&t->tw, t->expires, cx);
		return AXQ_PENDING;
	}
	if (!axq_timer_waker_fired(&t->tw))
		return AXQ_PENDING;
	*res = -ETIME;
	return AXQ_READY;
}

/**
 * axq_timeout_cleanup() - stop the timer of a TIMEOUT that is dropped
 * @req: the request
 *
 * Context: process context (the request's drop).
 */
static void axq_timeout_cleanup(struct axq_req *req)
{
	struct axq_timeout_cmd *t = axq_req_cmd(req, struct axq_timeout_cmd);

	if (!t->started)
		return;
	if (t->flags & ASYNCX_TIMEOUT_MULTISHOT) {
		/* Waits for a running callback: then the waker is ours. */
		hrtimer_cancel(&t->timer);
		axq_waker_put(t->waker);
		return;
	}
	axq_timer_waker_cancel(&t->tw);
}

/* -ETIME is a TIMEOUT's normal result: it does not break a chain. */
static bool axq_timeout_chain_ok(const struct axq_req *req)
{
	return req->res >= 0 || req->res == -ETIME;
}

const struct axq_opdef axq_op_timeout = {
	.name		= "TIMEOUT",
	.cmd_size	= sizeof(struct axq_timeout_cmd),
	.op_flags	= ASYNCX_TIMEOUT_ABS | ASYNCX_TIMEOUT_MULTISHOT,
	.chain_ok	= axq_timeout_chain_ok,
	.prep		= axq_timeout_prep,
	.poll		= axq_timeout_poll,
	.try_locked	= axq_timeout_try_locked,
	.link		= axq_timeout_link,
	.cleanup	= axq_timeout_cleanup,
};
