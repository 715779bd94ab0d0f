// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: combinators — join_all, select, timeout and retry. Each is a
 * future over other futures; Documentation/combinators.rst has the
 * overview.
 */

/**
 * DOC: join_all
 *
 * A join_all spawns each child as a task of its own (at init, so the
 * children run in parallel on every worker) and hooks an entry on each
 * child task's completion queue. When a child completes, the entry's
 * wake function (under that queue's lock) unhooks itself, pushes the
 * child on the join_all's list of completed children and, if the list was
 * empty, wakes the join_all's task; it does both under the join_all's
 * lock, which the drop takes too, so that a push never outlives the
 * join_all (a poll may take the child the moment it is on the list, and
 * the join_all complete). A poll takes the whole list
 * with one xchg and collects only those children's results: the work per
 * wake is proportional to the children that completed, not to N, so a
 * join of 10,000 children costs O(N) in all.
 *
 * A child that completed before its entry was hooked is found by a test
 * after the hook (a full barrier between the two, against the one before
 * the completion's wake), unhooked (its wake may still be to come) and
 * pushed; a bit per child makes sure it is pushed once.
 *
 * The join_all owns its children from init: they are dropped by the
 * executor when their tasks complete. Dropping the join_all unhooks every
 * entry, cancels the children still running and puts the join handles;
 * those children are dropped by the executor soon after, so a child's
 * memory must stay valid until its own drop has run (a child that frees
 * itself in its drop needs nothing more).
 */

/**
 * DOC: select, timeout and retry
 *
 * A select polls its children in index order at each poll, in the task
 * that polls it, and stops at the first that is ready: of children ready
 * at the same poll the lowest index wins, deterministically. It then
 * drops every child (the winner too) exactly once, and reports the
 * winner's index (axq_select_winner()) and result. A poll costs one poll
 * of each child still racing: select is for a handful of futures.
 *
 * A timeout polls its inner future first and then its deadline (a
 * struct axq_sleep); when the deadline has passed it polls the inner
 * future once more, so that a completion racing the deadline wins (an
 * inner future due no later than the deadline always does). When the
 * deadline wins, the inner future is dropped and the result is -ETIME.
 *
 * A retry (written with the async/await macros of async.h) makes an
 * attempt with the caller's factory, awaits it, and while the result is
 * negative, retryable (the policy's predicate) and attempts are left,
 * sleeps for the next backoff and makes another attempt. The delay before
 * attempt n + 1 (n >= 1) is base * 2^(n - 1), capped, then shortened by a
 * random amount of up to jitter_pct percent (axq_retry_backoff()); the
 * policy may supply the randomness and the retry records each delay, so a
 * schedule can be checked exactly.
 */
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>

#include <asyncx/async.h>
#include <asyncx/combinator.h>
#include "task.h"

/* ------------------------------------------------------------- join_all */

/*
 * Queue a completed child, once; wake the join_all's task on the first.
 * Under ja->lock: once @ch is on the list, a poll may take it and the
 * join_all complete and be dropped; the drop takes ja->lock, so it waits
 * until this is done with @ja.
 */
static void axq_join_all_push(struct axq_join_all_child *ch)
{
	struct axq_join_all *ja = ch->ja;
	unsigned long flags;

	if (test_and_set_bit(0, &ch->done))
		return;
	spin_lock_irqsave(&ja->lock, flags);
	/* Not the first: that one woke the task. */
	if (llist_add(&ch->node, &ja->done) && ja->waker)
		axq_wake_by_ref(ja->waker);
	spin_unlock_irqrestore(&ja->lock, flags);
}

/*
 * Take @ch's entry off its child's completion queue, if it is still there.
 * Under the queue's lock: once this returns, the child's wake (which runs
 * under it) is done with the entry or will never see it. list_del_init()
 * leaves the entry empty, so that doing it again is a no-op.
 */
static void axq_join_all_unhook(struct axq_join_all_child *ch)
{
	struct wait_queue_head *wq = &ch->task->join_wq;
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	list_del_init(&ch->wqe.entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* The child task completed; under its completion queue's lock. */
static int axq_join_all_wake(struct wait_queue_entry *wqe, unsigned int mode,
			     int sync, void *key)
{
	struct axq_join_all_child *ch = container_of(wqe,
						     struct axq_join_all_child,
						     wqe);

	list_del_init(&wqe->entry);
	axq_join_all_push(ch);
	return 1;
}

static enum axq_poll axq_join_all_fut_poll(struct axq_future *fut,
					   struct axq_context *cx, long *out)
{
	return axq_join_all_poll(container_of(fut, struct axq_join_all, base),
				 cx, out);
}

static void axq_join_all_fut_drop(struct axq_future *fut)
{
	axq_join_all_drop(container_of(fut, struct axq_join_all, base));
}

static const struct axq_future_ops axq_join_all_ops = {
	.name	= "join_all",
	.poll	= axq_join_all_fut_poll,
	.drop	= axq_join_all_fut_drop,
};

/**
 * axq_join_all_init() - spawn N futures and prepare a future that awaits
 * them all
 * @ja: the join_all's state; &ja->base is the future
 * @futs: the children; from this call on the join_all owns them (each is
 *	dropped exactly once, by the executor, also when this call fails)
 * @nr: the number of children (0 is ready at once)
 * @results: an array of @nr where child i's result goes; written by the
 *	join_all's polls, complete when it is ready
 * @prio: the children's priority class
 * @gfp: allocation flags for the children's tasks and the join_all's
 *	array (GFP_KERNEL; may include __GFP_ACCOUNT)
 *
 * The children start running at once. On error the children already
 * spawned are cancelled, the others dropped, and @ja needs no drop (one is
 * harmless).
 *
 * Context: process context; may sleep.
 * Return: 0, -ENOMEM, or the error of axq_spawn().
 */
int axq_join_all_init(struct axq_join_all *ja, struct axq_future **futs,
		      unsigned int nr, long *results, enum axq_prio prio,
		      gfp_t gfp)
{
	struct axq_join_all_child *ch;
	struct axq_task *task;
	unsigned int i;
	int ret;

	might_sleep();
	ja->base.ops = &axq_join_all_ops;
	ja->results = results;
	ja->nr = 0;
	ja->left = 0;
	init_llist_head(&ja->done);
	spin_lock_init(&ja->lock);
	ja->waker = NULL;
	ja->children = kvcalloc(max(nr, 1U), sizeof(*ja->children), gfp);
	if (!ja->children) {
		ret = -ENOMEM;
		i = 0;
		goto drop_rest;
	}
	for (i = 0; i < nr; i++) {
		task = axq_spawn(futs[i], prio, gfp);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			goto drop_rest;
		}
		ch = &ja->children[i];
		ch->task = task;
		ch->ja = ja;
		init_waitqueue_func_entry(&ch->wqe, axq_join_all_wake);
		ja->nr++;
		ja->left++;
		add_wait_queue(&task->join_wq, &ch->wqe);
		/*
		 * Entry before the test, which marks the task JOINED (see
		 * axq_task_joined()): the wake finds the entry, or the test
		 * sees COMPLETE (or both: @done pushes once).
		 */
		if (axq_task_joined(task)) {
			/*
			 * Its wake may be still to come (the child's CPU can
			 * stall between COMPLETE and the wake): unhook first,
			 * or that wake could find the entry after the pushed
			 * child let the join_all complete and be freed.
			 */
			axq_join_all_unhook(ch);
			axq_join_all_push(ch);
		}
	}
	return 0;

drop_rest:
	for (; i < nr; i++)
		axq_future_drop(futs[i]);
	axq_join_all_drop(ja);
	return ret;
}
EXPORT_SYMBOL_GPL(axq_join_all_init);

/**
 * axq_join_all_poll() - poll a join_all
 * @ja: the join_all's state
 * @cx: the poll context
 * @out: when ready, the number of children whose result was negative
 *	(0: all succeeded); the results are in the array given to init
 *
 * Collects the results of the children that completed since the last
 * poll: O(those children), not O(all).
 *
 * Context: inside a poll.
 * Return: AXQ_READY once every child completed, else AXQ_PENDING.
 */
enum axq_poll axq_join_all_poll(struct axq_join_all *ja,
				struct axq_context *cx, long *out)
{
	struct axq_join_all_child *ch, *next;
	struct axq_task *old = NULL;
	struct llist_node *list;
	unsigned long flags;
	unsigned int i;
	long failed = 0;

	if (ja->left) {
		/* Before taking the list: a push after it wakes this task. */
		spin_lock_irqsave(&ja->lock, flags);
		if (ja->waker != cx->task) {
			old = ja->waker;
			ja->waker = axq_waker_get(cx);
		}
		spin_unlock_irqrestore(&ja->lock, flags);
		if (old)
			axq_waker_put(old);
	}
	list = llist_del_all(&ja->done);
	llist_for_each_entry_safe(ch, next, list, node) {
		i = ch - ja->children;
		ja->results[i] = axq_task_result(ch->task);
		axq_task_put(ch->task);
		ch->task = NULL;
		ja->left--;
	}
	if (ja->left)
		return AXQ_PENDING;
	for (i = 0; i < ja->nr; i++)
		failed += ja->results[i] < 0;
	*out = failed;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_join_all_poll);

/**
 * axq_join_all_drop() - release a join_all; cancel the children still
 * running
 * @ja: the join_all's state (in any state; dropping twice is fine)
 *
 * Context: process context; takes the children's completion queue locks.
 */
void axq_join_all_drop(struct axq_join_all *ja)
{
	struct axq_join_all_child *ch;
	struct axq_task *waker;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < ja->nr; i++) {
		ch = &ja->children[i];
		if (!ch->task)
			continue;
		/* Unhooked already (by its wake, or by init): a no-op. */
		axq_join_all_unhook(ch);
		axq_task_cancel(ch->task);
		axq_task_put(ch->task);
		ch->task = NULL;
	}
	/*
	 * No wake function runs any more: the queues' locks say so for the
	 * children hooked still, and ja->lock for a push of a child whose
	 * result a poll has taken already (it may still be in its unlock).
	 */
	spin_lock_irqsave(&ja->lock, flags);
	waker = ja->waker;
	ja->waker = NULL;
	spin_unlock_irqrestore(&ja->lock, flags);
	if (waker)
		axq_waker_put(waker);
	kvfree(ja->children);
	ja->children = NULL;
	ja->nr = 0;
	ja->left = 0;
}
EXPORT_SYMBOL_GPL(axq_join_all_drop);

/* --------------------------------------------------------------- select */

static enum axq_poll axq_select_fut_poll(struct axq_future *fut,
					 struct axq_context *cx, long *out)
{
	return axq_select_poll(container_of(fut, struct axq_select, base), cx,
			       out);
}

static void axq_select_fut_drop(struct axq_future *fut)
{
	axq_select_drop(container_of(fut, struct axq_select, base));
}

static const struct axq_future_ops axq_select_ops = {
	.name	= "select",
	.poll	= axq_select_fut_poll,
	.drop	= axq_select_fut_drop,
};

/**
 * axq_select_init() - prepare a future that races N futures
 * @sel: the select's state; &sel->base is the future
 * @futs: the children (the array must outlive the select); the select
 *	owns them and drops each exactly once
 * @nr: the number of children (at least 1)
 *
 * Context: any context.
 */
void axq_select_init(struct axq_select *sel, struct axq_future **futs,
		     unsigned int nr)
{
	sel->base.ops = &axq_select_ops;
	sel->futs = futs;
	sel->nr = nr;
	sel->winner = -1;
	sel->dropped = false;
}
EXPORT_SYMBOL_GPL(axq_select_init);

/**
 * axq_select_poll() - poll a select
 * @sel: the select's state
 * @cx: the poll context
 * @out: when ready, the winner's result (its index: axq_select_winner())
 *
 * Polls the children in index order and stops at the first ready one;
 * then drops them all.
 *
 * Context: inside a poll.
 * Return: AXQ_READY when a child was ready, else AXQ_PENDING.
 */
enum axq_poll axq_select_poll(struct axq_select *sel, struct axq_context *cx,
			      long *out)
{
	unsigned int i;
	long res;

	if (WARN_ON_ONCE(!sel->nr)) {
		*out = -EINVAL;
		return AXQ_READY;
	}
	for (i = 0; i < sel->nr; i++) {
		if (axq_future_poll(sel->futs[i], cx, &res) == AXQ_READY) {
			sel->winner = i;
			axq_select_drop(sel);
			*out = res;
			return AXQ_READY;
		}
	}
	return AXQ_PENDING;
}
EXPORT_SYMBOL_GPL(axq_select_poll);

/**
 * axq_select_drop() - drop every child of a select
 * @sel: the select's state (in any state; dropping twice is fine)
 *
 * Context: process context (the children's drops).
 */
void axq_select_drop(struct axq_select *sel)
{
	unsigned int i;

	if (sel->dropped)
		return;
	sel->dropped = true;
	for (i = 0; i < sel->nr; i++)
		axq_future_drop(sel->futs[i]);
}
EXPORT_SYMBOL_GPL(axq_select_drop);

/* -------------------------------------------------------------- timeout */

static enum axq_poll axq_timeout_fut_fut_poll(struct axq_future *fut,
					      struct axq_context *cx,
					      long *out)
{
	return axq_timeout_fut_poll(container_of(fut, struct axq_timeout_fut,
						 base), cx, out);
}

static void axq_timeout_fut_fut_drop(struct axq_future *fut)
{
	axq_timeout_fut_drop(container_of(fut, struct axq_timeout_fut, base));
}

static const struct axq_future_ops axq_timeout_fut_ops = {
	.name	= "timeout",
	.poll	= axq_timeout_fut_fut_poll,
	.drop	= axq_timeout_fut_fut_drop,
};

/**
 * axq_timeout_fut_init() - wrap a future in a deadline
 * @t: the timeout's state; &t->base is the future
 * @inner: the future to wrap; the timeout owns it and drops it once
 * @ns: the deadline, in nanoseconds from this call
 *
 * Context: any context.
 */
void axq_timeout_fut_init(struct axq_timeout_fut *t, struct axq_future *inner,
			  u64 ns)
{
	t->base.ops = &axq_timeout_fut_ops;
	t->inner = inner;
	t->inner_dropped = false;
	axq_sleep_init(&t->sleep, ns);
}
EXPORT_SYMBOL_GPL(axq_timeout_fut_init);

static void axq_timeout_fut_drop_inner(struct axq_timeout_fut *t)
{
	if (t->inner_dropped)
		return;
	t->inner_dropped = true;
	axq_future_drop(t->inner);
}

/**
 * axq_timeout_fut_poll() - poll a timeout
 * @t: the timeout's state
 * @cx: the poll context
 * @out: when ready, the inner future's result, or -ETIME when the deadline
 *	came first (the inner future is then dropped)
 *
 * Context: inside a poll.
 * Return: AXQ_READY when the inner future was ready or the deadline
 * passed, else AXQ_PENDING.
 */
enum axq_poll axq_timeout_fut_poll(struct axq_timeout_fut *t,
				   struct axq_context *cx, long *out)
{
	long res;

	if (axq_future_poll(t->inner, cx, &res) == AXQ_READY)
		goto inner_ready;
	if (axq_sleep_poll(&t->sleep, cx, &res) == AXQ_PENDING)
		return AXQ_PENDING;
	/* The deadline passed: a completion that raced it still wins. */
	if (axq_future_poll(t->inner, cx, &res) == AXQ_READY)
		goto inner_ready;
	axq_timeout_fut_drop_inner(t);
	*out = -ETIME;
	return AXQ_READY;

inner_ready:
	axq_timeout_fut_drop_inner(t);
	axq_sleep_drop(&t->sleep);
	*out = res;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_timeout_fut_poll);

/**
 * axq_timeout_fut_drop() - release a timeout and its inner future
 * @t: the timeout's state (in any state; dropping twice is fine)
 *
 * Context: process context.
 */
void axq_timeout_fut_drop(struct axq_timeout_fut *t)
{
	axq_timeout_fut_drop_inner(t);
	axq_sleep_drop(&t->sleep);
}
EXPORT_SYMBOL_GPL(axq_timeout_fut_drop);

/* ---------------------------------------------------------------- retry */

/**
 * axq_retry_backoff() - the delay before a retry
 * @cfg: the policy
 * @retry: which retry: 1 for the delay before the second attempt
 * @rnd: a random number (uniform over u32) for the jitter
 *
 * The delay is base_ns times two to the power (retry - 1), at most
 * cap_ns, less a jitter: jitter_pct percent of it, times rnd / 2^32,
 * rounded down.
 *
 * Context: any context.
 * Return: the delay in nanoseconds.
 */
u64 axq_retry_backoff(const struct axq_retry_cfg *cfg, unsigned int retry,
		      u32 rnd)
{
	unsigned int shift = retry ? retry - 1 : 0;
	u64 d, j;

	if (!cfg->base_ns)
		d = 0;
	else if (shift >= 64 || cfg->base_ns > (U64_MAX >> shift))
		d = U64_MAX;
	else
		d = cfg->base_ns << shift;
	d = min(d, cfg->cap_ns);
	j = mul_u64_u32_div(d, min(cfg->jitter_pct, 100U), 100);
	return d - mul_u64_u32_shr(j, rnd, 32);
}
EXPORT_SYMBOL_GPL(axq_retry_backoff);

static enum axq_poll axq_retry_fut_poll(struct axq_future *fut,
					struct axq_context *cx, long *out)
{
	return axq_retry_poll(container_of(fut, struct axq_retry, base), cx,
			      out);
}

static void axq_retry_fut_drop(struct axq_future *fut)
{
	axq_retry_drop(container_of(fut, struct axq_retry, base));
}

static const struct axq_future_ops axq_retry_ops = {
	.name	= "retry",
	.poll	= axq_retry_fut_poll,
	.drop	= axq_retry_fut_drop,
};

/**
 * axq_retry_init() - prepare a future that retries a fallible one
 * @r: the retry's state; &r->base is the future
 * @cfg: the policy (must outlive the future)
 * @make: the factory of attempts (see axq_retry_make_t)
 * @arg: the argument of @make and of the policy's callbacks
 * @delays: records the delay before attempt i + 1 in entry i - 1 of @delays (an
 *	array of max_attempts - 1), or NULL
 *
 * Context: any context.
 */
void axq_retry_init(struct axq_retry *r, const struct axq_retry_cfg *cfg,
		    axq_retry_make_t make,
		    void *arg, u64 *delays)
{
	r->base.ops = &axq_retry_ops;
	r->cfg = cfg;
	r->make = make;
	r->arg = arg;
	r->delays = delays;
	r->state = AXQ_ASYNC_INIT;
	r->cur = NULL;
	r->attempts = 0;
	r->res = 0;
	/* Every sub-future exists before the first await (async.h). */
	axq_sleep_init(&r->sleep, 0);
}
EXPORT_SYMBOL_GPL(axq_retry_init);

/* Another attempt after @r->res? */
static bool axq_retry_again(struct axq_retry *r)
{
	const struct axq_retry_cfg *cfg = r->cfg;

	if (r->res >= 0 || r->attempts >= max(cfg->max_attempts, 1U))
		return false;
	return !cfg->should_retry || cfg->should_retry(r->res, r->arg);
}

/* Start the sleep before attempt @r->attempts + 1. */
static void axq_retry_backoff_start(struct axq_retry *r)
{
	const struct axq_retry_cfg *cfg = r->cfg;
	u32 rnd = cfg->rand ? cfg->rand(r->arg) : get_random_u32();
	u64 delay = axq_retry_backoff(cfg, r->attempts, rnd);

	if (r->delays)
		r->delays[r->attempts - 1] = delay;
	axq_sleep_drop(&r->sleep);
	axq_sleep_init(&r->sleep, delay);
}

/**
 * axq_retry_poll() - poll a retry
 * @r: the retry's state
 * @cx: the poll context
 * @out: when ready, the result of the last attempt (or the factory's
 *	error)
 *
 * Context: inside a poll.
 * Return: AXQ_READY when an attempt succeeded, failed for good or the
 * attempts ran out, else AXQ_PENDING.
 */
enum axq_poll axq_retry_poll(struct axq_retry *r, struct axq_context *cx,
			     long *out)
{
	AXQ_ASYNC_BEGIN(r->state);
	for (;;) {
		r->cur = r->make(r->arg, r->attempts);
		r->attempts++;
		if (IS_ERR_OR_NULL(r->cur)) {
			r->res = r->cur ? PTR_ERR(r->cur) : -ENOMEM;
			r->cur = NULL;
			AXQ_ASYNC_RETURN(r->state, out, r->res);
		}
		AXQ_AWAIT_FUT(r->state, r->cur, &r->res);
		axq_future_drop(r->cur);
		r->cur = NULL;
		if (!axq_retry_again(r))
			AXQ_ASYNC_RETURN(r->state, out, r->res);
		axq_retry_backoff_start(r);
		AXQ_AWAIT_FUT(r->state, &r->sleep.base, &r->res);
	}
	AXQ_ASYNC_END(r->state, out);
}
EXPORT_SYMBOL_GPL(axq_retry_poll);

/**
 * axq_retry_drop() - release a retry: the attempt in flight, the backoff
 * timer
 * @r: the retry's state (in any state; dropping twice is fine)
 *
 * Context: process context.
 */
void axq_retry_drop(struct axq_retry *r)
{
	if (r->cur)
		axq_future_drop(r->cur);
	r->cur = NULL;
	axq_sleep_drop(&r->sleep);
}
EXPORT_SYMBOL_GPL(axq_retry_drop);
