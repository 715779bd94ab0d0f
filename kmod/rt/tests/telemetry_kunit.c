// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_telemetry: a task's telemetry against a known workload
 * (N polls, M wakes, self wakes, what it waits on), and each warning
 * provoked and reported on the task and in the counters — a lost waker, a
 * long poll, a starved task, a wake after completion — while the healthy
 * workload reports none.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/slab.h>

#include <asyncx/runtime.h>

#include "rt/task.h"
#include "rt/telemetry.h"
#include "kunit_util.h"

/**
 * struct telf - a future each case steers
 * @base: the future
 * @polls: polls so far
 * @ready_at: the poll that returns READY (from 1); 0: none
 * @lose: PENDING polls leave no waker (a lost waker)
 * @spin_us: later polls busy-wait this long first (a long poll)
 * @self_wakes: the second poll wakes its own task this many times
 * @keep: the first poll keeps a waker in @kept, which drop leaves
 * @waker: each PENDING poll (but with @lose) leaves a waker here; the case
 *	takes it with xchg(), drop puts what is left
 * @kept: see @keep
 * @wq: a wait queue the first poll notes it waits on (AXQ_WAIT_WQ)
 */
struct telf {
	struct axq_future	base;
	atomic_t		polls;
	int			ready_at;
	bool			lose;
	unsigned int		spin_us;
	int			self_wakes;
	bool			keep;
	struct axq_task		*waker;
	struct axq_task		*kept;
	struct wait_queue_head	wq;
};

static enum axq_poll telf_poll(struct axq_future *fut, struct axq_context *cx,
			       long *out)
{
	struct telf *f = container_of(fut, struct telf, base);
	int n = atomic_inc_return(&f->polls);
	struct axq_task *w;
	int i;

	if (n == 1 && f->keep)
		f->kept = axq_waker_get(cx);
	if (n > 1 && f->spin_us)
		udelay(f->spin_us);
	if (n == 2 && f->self_wakes) {
		w = axq_waker_get(cx);
		for (i = 1; i < f->self_wakes; i++)
			axq_wake_by_ref(w);
		axq_wake(w);
		return AXQ_PENDING;	/* requeued: the next poll is 3 */
	}
	if (f->ready_at && n >= f->ready_at) {
		*out = n;
		return AXQ_READY;
	}
	if (f->lose)
		return AXQ_PENDING;
	if (n == 1)
		axq_wait_note(cx, AXQ_WAIT_WQ, &f->wq, 0);
	w = xchg(&f->waker, axq_waker_get(cx));
	if (w)
		axq_waker_put(w);
	return AXQ_PENDING;
}

static void telf_drop(struct axq_future *fut)
{
	struct telf *f = container_of(fut, struct telf, base);
	struct axq_task *w = xchg(&f->waker, NULL);

	if (w)
		axq_waker_put(w);
}

static const struct axq_future_ops telf_ops = {
	.name	= "kunit_telemetry",
	.poll	= telf_poll,
	.drop	= telf_drop,
};

static struct telf *telf_new(struct kunit *test)
{
	struct telf *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->base.ops = &telf_ops;
	init_waitqueue_head(&f->wq);
	return f;
}

/* The task's record once it shows @polls polls (its waker then stored). */
static bool tel_polls(struct axq_task *t, struct axq_task_stats *st,
		      u32 polls)
{
	return !axq_task_telemetry(t, st) && st->polls == polls;
}

/* Wait until the task has been polled @polls times and parked, then wake it. */
static void wake_after(struct kunit *test, struct axq_task *t, struct telf *f,
		       u32 polls)
{
	struct axq_task_stats st;
	struct axq_task *w;

	KUNIT_ASSERT_TRUE_MSG(test, poll_until(tel_polls(t, &st, polls) &&
					       READ_ONCE(f->waker), 5000),
			      "not parked after %u polls", polls);
	w = xchg(&f->waker, NULL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	axq_wake(w);
}

static long warnings(enum axq_warn w)
{
	return axq_tel_warnings(w);
}

/* N polls, M wakes, what it waits on, and no warning: the healthy run. */
static void counts_polls_and_wakes(struct kunit *test)
{
	enum { M = 5 };
	long lost = warnings(AXQ_WARN_LOST_WAKER);
	struct telf *f = telf_new(test);
	struct axq_task_stats st;
	struct axq_task *t;
	long res;
	u32 i;

	KUNIT_ASSERT_TRUE(test, axq_tel_on());
	f->ready_at = M + 1;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	for (i = 1; i <= M; i++)
		wake_after(test, t, f, i);
	KUNIT_EXPECT_EQ(test, tjoin(test, t, &res, 5 * HZ), 0);
	KUNIT_EXPECT_EQ(test, res, (long)M + 1);
	KUNIT_ASSERT_EQ(test, axq_task_telemetry(t, &st), 0);
	KUNIT_EXPECT_EQ(test, st.polls, (u32)M + 1);
	KUNIT_EXPECT_EQ(test, st.wakes, (u32)M);
	KUNIT_EXPECT_EQ(test, st.self_wakes, 0U);
	KUNIT_EXPECT_GT(test, st.busy_ns, 0ULL);
	KUNIT_EXPECT_GE(test, st.busy_ns, st.max_poll_ns);
	KUNIT_EXPECT_EQ(test, st.wait_kind, (u8)AXQ_WAIT_WQ);
	/* The note's site is in this file's poll. */
	KUNIT_EXPECT_GE(test, st.wait_ip, (unsigned long)telf_poll);
	KUNIT_EXPECT_NE(test, st.last_waker, 0UL);
	KUNIT_EXPECT_EQ(test, st.warned, 0);
	KUNIT_EXPECT_EQ(test, warnings(AXQ_WARN_LOST_WAKER), lost);
	axq_task_put(t);
}

/* Wakes from the task's own poll count as self wakes (and wakes). */
static void counts_self_wakes(struct kunit *test)
{
	struct telf *f = telf_new(test);
	struct axq_task_stats st;
	struct axq_task *t;
	long res;

	f->self_wakes = 3;
	f->ready_at = 3;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	wake_after(test, t, f, 1);
	KUNIT_EXPECT_EQ(test, tjoin(test, t, &res, 5 * HZ), 0);
	KUNIT_ASSERT_EQ(test, axq_task_telemetry(t, &st), 0);
	KUNIT_EXPECT_EQ(test, st.polls, 3U);
	KUNIT_EXPECT_EQ(test, st.self_wakes, 3U);
	KUNIT_EXPECT_EQ(test, st.wakes, 4U);
	KUNIT_EXPECT_EQ(test, st.warned, 0);
	axq_task_put(t);
}

/* PENDING with no waker: reported at once; a cancel still drops it. */
static void lost_waker_is_reported(struct kunit *test)
{
	long lost = warnings(AXQ_WARN_LOST_WAKER);
	struct telf *f = telf_new(test);
	struct axq_task_stats st;
	struct axq_task *t;
	long res;

	f->lose = true;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_TRUE(test, poll_until(warnings(AXQ_WARN_LOST_WAKER) == lost + 1,
					   5000));
	KUNIT_EXPECT_TRUE(test, poll_until(!axq_task_telemetry(t, &st) &&
					   st.warned & BIT(AXQ_WARN_LOST_WAKER), 5000));
	/* Nothing can wake it: still one poll a while later. */
	msleep(50);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->polls), 1);
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	KUNIT_EXPECT_EQ(test, tjoin(test, t, &res, 5 * HZ), 0);
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	axq_task_put(t);
}

/*
 * Run @f (ready at its second poll, after one wake) under the thresholds
 * given, which are put back after; expect warning @w counted and marked on
 * the task, whose telemetry is left in *@st.
 */
static void provoke(struct kunit *test, struct telf *f, unsigned int long_us,
		    unsigned int starved_us, enum axq_warn w,
		    struct axq_task_stats *st)
{
	long before = warnings(w);
	struct axq_task *t;
	long res;

	axq_tel_set_thresholds(long_us, starved_us);
	f->ready_at = 2;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	wake_after(test, t, f, 1);
	KUNIT_EXPECT_EQ(test, tjoin(test, t, &res, 5 * HZ), 0);
	axq_tel_set_thresholds(10000, 100000);
	KUNIT_EXPECT_GE(test, warnings(w), before + 1);
	KUNIT_EXPECT_EQ(test, axq_task_telemetry(t, st), 0);
	KUNIT_EXPECT_TRUE(test, st->warned & BIT(w));
	axq_task_put(t);
}

/* A poll longer than long_poll_us. */
static void long_poll_is_reported(struct kunit *test)
{
	struct telf *f = telf_new(test);
	struct axq_task_stats st = {};

	f->spin_us = 3000;
	provoke(test, f, 1000, 100000, AXQ_WARN_LONG_POLL, &st);
	/* Past the 1 ms threshold (udelay() is not exact: 2.99 ms seen). */
	KUNIT_EXPECT_GT(test, st.max_poll_ns, 1000ULL * NSEC_PER_USEC);
}

/* Queued longer than starved_us between its wake and its poll. */
static void starved_is_reported(struct kunit *test)
{
	struct telf *f = telf_new(test);
	struct axq_task_stats st = {};

	/* 0 us: any time in a queue is too long. */
	provoke(test, f, 10000, 0, AXQ_WARN_STARVED, &st);
	KUNIT_EXPECT_GT(test, st.sched_ns, 0ULL);
}

/* A waker kept past the task's completion fires. */
static void wake_after_completion_is_reported(struct kunit *test)
{
	long before = warnings(AXQ_WARN_WAKE_AFTER_COMPLETE);
	struct telf *f = telf_new(test);
	struct axq_task_stats st;
	struct axq_task *t;
	long res;

	f->keep = true;
	f->ready_at = 2;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	wake_after(test, t, f, 1);
	KUNIT_EXPECT_EQ(test, tjoin(test, t, &res, 5 * HZ), 0);
	KUNIT_EXPECT_EQ(test, warnings(AXQ_WARN_WAKE_AFTER_COMPLETE), before);
	KUNIT_ASSERT_NOT_NULL(test, f->kept);
	axq_wake(f->kept);
	KUNIT_EXPECT_EQ(test, warnings(AXQ_WARN_WAKE_AFTER_COMPLETE), before + 1);
	KUNIT_ASSERT_EQ(test, axq_task_telemetry(t, &st), 0);
	KUNIT_EXPECT_TRUE(test, st.warned & BIT(AXQ_WARN_WAKE_AFTER_COMPLETE));
	axq_task_put(t);
}

static struct kunit_case asyncx_telemetry_cases[] = {
	KUNIT_CASE(counts_polls_and_wakes),
	KUNIT_CASE(counts_self_wakes),
	KUNIT_CASE(lost_waker_is_reported),
	KUNIT_CASE(long_poll_is_reported),
	KUNIT_CASE(starved_is_reported),
	KUNIT_CASE(wake_after_completion_is_reported),
	{}
};

static struct kunit_suite asyncx_telemetry_suite = {
	.name = "asyncx_telemetry",
	.test_cases = asyncx_telemetry_cases,
};

kunit_test_suites(&asyncx_telemetry_suite);
