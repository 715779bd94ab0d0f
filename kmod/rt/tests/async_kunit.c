// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_async: a future written with the async/await macros
 * (async.h) — a condition on a wait queue, a sleep, yields, a second
 * condition — run to the end, and cancelled at each of its await points:
 * the drop runs once and leaves no timer and no wait-queue entry.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <asyncx/async.h>
#include <asyncx/wait.h>
#include <asyncx/time.h>
#include "kunit_util.h"

#define JOIN_TIMEOUT	(20 * HZ)
#define WAIT_MS		10000
#define NR_YIELDS	3

/**
 * struct afut - the async future under test
 * @base: the future
 * @c: its counts
 * @state: the async state word
 * @wq: the queue the body's conditions wait on
 * @w: hooks the task on @wq
 * @sleep: the sleep the body awaits (initialised with the future)
 * @go: the conditions: the first await waits for 1, the last for 2
 * @step: the last await point passed (1..4)
 * @i: the yield loop's counter (a local kept in the future)
 * @res: the sleep's result
 */
struct afut {
	struct axq_future	base;
	struct tcount		c;
	unsigned int		state;
	struct wait_queue_head	wq;
	struct axq_wq_waker	w;
	struct axq_sleep	sleep;
	atomic_t		go;
	atomic_t		step;
	int			i;
	long			res;
};

static enum axq_poll afut_body(struct afut *f, struct axq_context *cx,
			       long *out)
{
	AXQ_ASYNC_BEGIN(f->state);
	AXQ_AWAIT(f->state, axq_wait_cond(&f->w, &f->wq, cx,
					  atomic_read(&f->go) >= 1));
	atomic_set(&f->step, 1);
	AXQ_AWAIT_FUT(f->state, &f->sleep.base, &f->res);
	atomic_set(&f->step, 2);
	for (f->i = 0; f->i < NR_YIELDS; f->i++)
		AXQ_YIELD(f->state);
	atomic_set(&f->step, 3);
	AXQ_AWAIT(f->state, axq_wait_cond(&f->w, &f->wq, cx,
					  atomic_read(&f->go) >= 2));
	atomic_set(&f->step, 4);
	AXQ_ASYNC_RETURN(f->state, out, 40 + f->i + f->res);
	AXQ_ASYNC_END(f->state, out);
}

static enum axq_poll afut_poll(struct axq_future *fut,
			       struct axq_context *cx, long *out)
{
	struct afut *f = container_of(fut, struct afut, base);

	tc_enter(&f->c);
	return tc_leave(&f->c, afut_body(f, cx, out));
}

/* Whatever the await point: every sub-future's drop is idempotent. */
static void afut_drop(struct axq_future *fut)
{
	struct afut *f = container_of(fut, struct afut, base);

	axq_wq_waker_disarm(&f->w);
	axq_future_drop(&f->sleep.base);
	tc_drop(&f->c);
}

static const struct axq_future_ops afut_ops = {
	.name	= "kunit_async",
	.poll	= afut_poll,
	.drop	= afut_drop,
};

static struct afut *afut_new(struct kunit *test, u64 sleep_ns)
{
	struct afut *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	f->base.ops = &afut_ops;
	f->state = AXQ_ASYNC_INIT;
	init_waitqueue_head(&f->wq);
	axq_wq_waker_init(&f->w);
	axq_sleep_init(&f->sleep, sleep_ns);
	return f;
}

/* Is an entry on @wq? Read under its lock. */
static bool queue_hooked(struct wait_queue_head *wq)
{
	bool ret;

	spin_lock_irq(&wq->lock);
	ret = !list_empty(&wq->head);
	spin_unlock_irq(&wq->lock);
	return ret;
}

static void afut_go(struct afut *f, int go)
{
	atomic_set(&f->go, go);
	wake_up(&f->wq);
}

/* Wait until the body waits at @step with its poll returned. */
static bool afut_at(struct afut *f, int step)
{
	return atomic_read(&f->step) == step && !atomic_read(&f->c.in_poll) &&
	       (step == 1 ? hrtimer_active(&f->sleep.tw.timer) :
		queue_hooked(&f->wq));
}

static bool afut_waiting_first(struct afut *f)
{
	return queue_hooked(&f->wq) && !atomic_read(&f->c.in_poll);
}

/* End to end: 40 + the loop's counter (3) + the sleep's result (0). */
static void async_normal(struct kunit *test)
{
	struct afut *f = afut_new(test, NSEC_PER_MSEC);
	struct axq_task *task;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, f);
	task = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	KUNIT_EXPECT_TRUE(test, poll_until(afut_waiting_first(f), WAIT_MS));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->step), 0);
	afut_go(f, 1);
	KUNIT_EXPECT_TRUE(test, poll_until(afut_at(f, 3), WAIT_MS));
	afut_go(f, 2);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, res, 40L + NR_YIELDS);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->step), 4);
	KUNIT_EXPECT_EQ(test, f->state, AXQ_ASYNC_DONE);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->c.drops), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->c.bad), 0);
	/*
	 * Waiting, woken (the sleep due or not: one more poll), one poll
	 * after each yield, the last condition's wake.
	 */
	KUNIT_EXPECT_GE(test, atomic_read(&f->c.polls), 3 + NR_YIELDS);
	KUNIT_EXPECT_LE(test, atomic_read(&f->c.polls), 4 + NR_YIELDS);
	KUNIT_EXPECT_FALSE(test, queue_hooked(&f->wq));
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&f->sleep.tw.timer));
}

/*
 * Cancel at await point @at: 0 the first condition, 1 the sleep, 3 the
 * last condition. The drop runs once; no entry, no timer, no waker left.
 */
static void async_cancel_at(struct kunit *test, int at)
{
	struct afut *f = afut_new(test, at == 1 ? 60 * NSEC_PER_SEC : 0);
	struct axq_task *task;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, f);
	task = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	KUNIT_EXPECT_TRUE(test, poll_until(afut_waiting_first(f), WAIT_MS));
	if (at)
		afut_go(f, 1);
	KUNIT_EXPECT_TRUE_MSG(test, poll_until(at ? afut_at(f, at) :
					       afut_waiting_first(f), WAIT_MS),
			      "await point %d not reached", at);
	KUNIT_EXPECT_EQ(test, axq_task_cancel(task), 0);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->step), at);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->c.drops), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->c.bad), 0);
	KUNIT_EXPECT_FALSE(test, queue_hooked(&f->wq));
	KUNIT_EXPECT_NULL(test, f->w.task);
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&f->sleep.tw.timer));
	KUNIT_EXPECT_NULL(test, f->sleep.tw.waker);
}

static void async_cancel_first_wait(struct kunit *test)
{
	async_cancel_at(test, 0);
}

static void async_cancel_sleep(struct kunit *test)
{
	async_cancel_at(test, 1);
}

static void async_cancel_last_wait(struct kunit *test)
{
	async_cancel_at(test, 3);
}

static struct kunit_case asyncx_async_cases[] = {
	KUNIT_CASE(async_normal),
	KUNIT_CASE(async_cancel_first_wait),
	KUNIT_CASE(async_cancel_sleep),
	KUNIT_CASE(async_cancel_last_wait),
	{}
};

static struct kunit_suite asyncx_async_suite = {
	.name = "asyncx_async",
	.test_cases = asyncx_async_cases,
};

kunit_test_suites(&asyncx_async_suite);
