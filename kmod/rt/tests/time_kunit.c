// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_time: sleep and deadline futures (time.c) — the
 * normal path, many sleeps in deadline order with their lateness reported,
 * cancellation while the timer is pending, and deadlines already passed.
 * No case asserts a duration: only that no sleep is ready before its
 * deadline, orders and counts.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include <asyncx/time.h>
#include "kunit_util.h"

#define JOIN_TIMEOUT	(20 * HZ)
#define WAIT_MS		10000
#define NR_ORDER	32		/* sleeps in one task */
#define NR_TASKS	32		/* sleep tasks at once */

/**
 * struct tsleep - a sleep in a task of its own, counted
 * @base: the future
 * @c: its counts
 * @s: the sleep
 * @ready_at: the time of the poll that saw it ready
 */
struct tsleep {
	struct axq_future	base;
	struct tcount		c;
	struct axq_sleep	s;
	ktime_t			ready_at;
};

static enum axq_poll tsleep_poll(struct axq_future *fut,
				 struct axq_context *cx, long *out)
{
	struct tsleep *t = container_of(fut, struct tsleep, base);
	enum axq_poll ret;

	tc_enter(&t->c);
	ret = axq_sleep_poll(&t->s, cx, out);
	if (ret == AXQ_READY)
		t->ready_at = ktime_get();
	return tc_leave(&t->c, ret);
}

static void tsleep_drop(struct axq_future *fut)
{
	struct tsleep *t = container_of(fut, struct tsleep, base);

	axq_sleep_drop(&t->s);
	tc_drop(&t->c);
}

static const struct axq_future_ops tsleep_ops = {
	.name	= "kunit_sleep",
	.poll	= tsleep_poll,
	.drop	= tsleep_drop,
};

static struct tsleep *tsleep_new(struct kunit *test)
{
	struct tsleep *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (t)
		t->base.ops = &tsleep_ops;
	return t;
}

/* Drop once, no bad poll, 1 or 2 polls (due at the first poll, or not). */
static void tsleep_expect(struct kunit *test, struct tsleep *t)
{
	int polls = atomic_read(&t->c.polls);

	KUNIT_EXPECT_TRUE_MSG(test, polls == 1 || polls == 2, "polls %d",
			      polls);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->c.drops), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->c.bad), 0);
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&t->s.tw.timer));
}

/* A 2 ms sleep: ready with 0, never before its deadline. */
static void sleep_normal(struct kunit *test)
{
	struct tsleep *t = tsleep_new(test);
	struct axq_task *task;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, t);
	axq_sleep_init(&t->s, 2 * NSEC_PER_MSEC);
	task = tspawn(test, &t->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;		/* leak: the task may still use it */
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, res, 0L);
	tsleep_expect(test, t);
	KUNIT_EXPECT_FALSE(test, ktime_before(t->ready_at, t->s.deadline));
	KUNIT_EXPECT_GE(test, axq_sleep_lateness(&t->s), 0LL);
	kunit_info(test, "2 ms sleep: lateness %lld ns\n",
		   axq_sleep_lateness(&t->s));
}

/* Many sleep tasks at once: all ready, none early; lateness reported. */
static void sleep_many_tasks(struct kunit *test)
{
	struct axq_task *task[NR_TASKS];
	struct tsleep *t[NR_TASKS];
	s64 late, max_late = 0, sum = 0;
	long res;
	int i, ok = 0;

	for (i = 0; i < NR_TASKS; i++) {
		t[i] = tsleep_new(test);
		KUNIT_ASSERT_NOT_NULL(test, t[i]);
		/* Spawned in reverse order of their deadlines. */
		axq_sleep_init(&t[i]->s, (NR_TASKS - i) * 500 * NSEC_PER_USEC);
	}
	for (i = 0; i < NR_TASKS; i++)
		task[i] = tspawn(test, &t[i]->base, AXQ_PRIO_NORMAL);
	for (i = 0; i < NR_TASKS; i++) {
		if (!task[i] || tjoin(test, task[i], &res, JOIN_TIMEOUT))
			continue;	/* leaks that one */
		axq_task_put(task[i]);
		KUNIT_EXPECT_EQ(test, res, 0L);
		tsleep_expect(test, t[i]);
		KUNIT_EXPECT_FALSE(test, ktime_before(t[i]->ready_at,
						      t[i]->s.deadline));
		late = axq_sleep_lateness(&t[i]->s);
		KUNIT_EXPECT_GE(test, late, 0LL);
		max_late = max(max_late, late);
		sum += late;
		ok++;
	}
	KUNIT_EXPECT_EQ(test, ok, NR_TASKS);
	if (ok)
		kunit_info(test, "%d sleep tasks: lateness mean %lld ns, max %lld ns\n",
			   ok, div_s64(sum, ok), max_late);
}

/**
 * struct torder - one task that awaits NR_ORDER sleeps at once and notes
 * the order in which they become ready
 * @base: the future
 * @c: its counts
 * @s: the sleeps; @s[i]'s deadline is before @s[i + 1]'s
 * @rank: @rank[i]: the poll in which @s[i] was ready (from 1); 0: not yet
 * @left: sleeps not ready yet
 */
struct torder {
	struct axq_future	base;
	struct tcount		c;
	struct axq_sleep	s[NR_ORDER];
	int			rank[NR_ORDER];
	int			left;
};

/*
 * Each poll polls every pending sleep, latest deadline first: a sleep with
 * a later deadline that is ready before one with an earlier deadline is
 * out of order (the earlier one is polled after it, so it is due too).
 */
static enum axq_poll torder_poll(struct axq_future *fut,
				 struct axq_context *cx, long *out)
{
	struct torder *o = container_of(fut, struct torder, base);
	int n = tc_enter(&o->c), i;
	long res;

	for (i = NR_ORDER - 1; i >= 0; i--) {
		if (o->rank[i])
			continue;
		if (axq_sleep_poll(&o->s[i], cx, &res) == AXQ_READY) {
			o->rank[i] = n;
			o->left--;
		}
	}
	*out = 0;
	return tc_leave(&o->c, o->left ? AXQ_PENDING : AXQ_READY);
}

static void torder_drop(struct axq_future *fut)
{
	struct torder *o = container_of(fut, struct torder, base);
	int i;

	for (i = 0; i < NR_ORDER; i++)
		axq_sleep_drop(&o->s[i]);
	tc_drop(&o->c);
}

static const struct axq_future_ops torder_ops = {
	.name	= "kunit_sleep_order",
	.poll	= torder_poll,
	.drop	= torder_drop,
};

/* Sleeps become ready in deadline order; lateness of each reported. */
static void sleep_order(struct kunit *test)
{
	struct torder *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	struct axq_task *task;
	s64 max_late = 0;
	long res;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, o);
	o->base.ops = &torder_ops;
	o->left = NR_ORDER;
	for (i = 0; i < NR_ORDER; i++)
		axq_sleep_init(&o->s[i], (i + 1) * 4 * NSEC_PER_MSEC);
	task = tspawn(test, &o->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, atomic_read(&o->c.drops), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&o->c.bad), 0);
	for (i = 0; i < NR_ORDER; i++) {
		KUNIT_EXPECT_GT(test, o->rank[i], 0);
		if (i)
			KUNIT_EXPECT_LE_MSG(test, o->rank[i - 1], o->rank[i],
					    "sleep %d ready before sleep %d",
					    i, i - 1);
		KUNIT_EXPECT_FALSE(test, hrtimer_active(&o->s[i].tw.timer));
		max_late = max(max_late, axq_sleep_lateness(&o->s[i]));
	}
	kunit_info(test, "%d sleeps in %d polls: max lateness %lld ns\n",
		   NR_ORDER, atomic_read(&o->c.polls), max_late);
}

/* Cancelled while the timer is pending: timer cancelled, drop once. */
static void sleep_cancel(struct kunit *test)
{
	struct tsleep *t = tsleep_new(test);
	struct axq_task *task;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, t);
	axq_sleep_init(&t->s, 60 * NSEC_PER_SEC);
	task = tspawn(test, &t->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	/* The first poll has started the timer and returned. */
	KUNIT_EXPECT_TRUE(test, poll_until(hrtimer_active(&t->s.tw.timer) &&
					   !atomic_read(&t->c.in_poll),
					   WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(task), 0);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	tc_expect(test, &t->c, 1, "cancelled sleep");
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&t->s.tw.timer));
	KUNIT_EXPECT_NULL(test, READ_ONCE(t->s.tw.waker));
	KUNIT_EXPECT_EQ(test, axq_sleep_lateness(&t->s), 0LL);
}

/* A zero sleep and a deadline in the past: ready at the first poll. */
static void sleep_past(struct kunit *test)
{
	struct tsleep *t[3];
	struct axq_task *task;
	long res;
	int i;

	for (i = 0; i < 3; i++) {
		t[i] = tsleep_new(test);
		KUNIT_ASSERT_NOT_NULL(test, t[i]);
	}
	axq_sleep_init(&t[0]->s, 0);
	axq_sleep_until_init(&t[1]->s, 0);
	axq_sleep_until_init(&t[2]->s, ktime_sub_ms(ktime_get(), 5));
	for (i = 0; i < 3; i++) {
		task = tspawn(test, &t[i]->base, AXQ_PRIO_NORMAL);
		KUNIT_ASSERT_NOT_NULL(test, task);
		if (tjoin(test, task, &res, JOIN_TIMEOUT))
			return;
		axq_task_put(task);
		KUNIT_EXPECT_EQ(test, res, 0L);
		tc_expect(test, &t[i]->c, 1, "past deadline");
		KUNIT_EXPECT_FALSE(test, t[i]->s.started);
		KUNIT_EXPECT_GE(test, axq_sleep_lateness(&t[i]->s), 0LL);
	}
}

/* A sleep dropped without a poll, and dropped twice: nothing to undo. */
static void sleep_drop_unpolled(struct kunit *test)
{
	struct axq_sleep *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	axq_sleep_init(s, NSEC_PER_MSEC);
	axq_sleep_drop(s);
	axq_sleep_drop(s);
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&s->tw.timer));
	KUNIT_EXPECT_NULL(test, s->tw.waker);
}

static struct kunit_case asyncx_time_cases[] = {
	KUNIT_CASE(sleep_normal),
	KUNIT_CASE(sleep_many_tasks),
	KUNIT_CASE(sleep_order),
	KUNIT_CASE(sleep_cancel),
	KUNIT_CASE(sleep_past),
	KUNIT_CASE(sleep_drop_unpolled),
	{}
};

static struct kunit_suite asyncx_time_suite = {
	.name = "asyncx_time",
	.test_cases = asyncx_time_cases,
};

kunit_test_suites(&asyncx_time_suite);
