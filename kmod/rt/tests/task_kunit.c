// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_task: the task API of runtime.h — spawn, wakers,
 * cancellation, join, and the wait-queue, join and blocking-pool futures —
 * through futures that count what happens to them.
 *
 * Every case checks the exact number of polls, that drop ran exactly once
 * and that no poll came after READY or drop or overlapped another
 * (struct tcount). A future is freed only once its task is complete, which
 * means its drop has returned; the future of a task still live after a
 * failed join and a cancel is leaked rather than freed under it.
 *
 * Some cases need a task to stay queued, or a wake to land while nothing
 * can poll: they occupy every executor worker with a spinning task first
 * (struct blockers). Cases that wait for a task to be idle (neither
 * running nor queued) read its state word (task.h).
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <asyncx/runtime.h>
#include "kunit_util.h"
#include "../stats.h"
#include "../task.h"

#define JOIN_TIMEOUT	(10 * HZ)	/* a case's tasks finish well within */
#define WAIT_MS		10000		/* for a state a case waits for */

/* ------------------------------------------------------------- counting */

/* ---------------------------------------------------------- task helpers */

/* Neither running nor queued: a wake now would queue it. */
static bool task_idle(struct axq_task *task)
{
	return !(atomic_long_read(&task->state) &
		 (AXQ_T_RUNNING | AXQ_T_NOTIFIED));
}

/*
 * Put the join handle @task (NULL: never spawned) and free @fut, the future
 * it ran — unless the task is still live, whose future is leaked instead.
 */
static void tput_free(struct kunit *test, struct axq_task *task, void *fut)
{
	if (task && !axq_task_is_complete(task)) {
		KUNIT_FAIL(test, "task still live: leaking its future");
		axq_task_put(task);
		return;
	}
	if (task)
		axq_task_put(task);
	kfree(fut);
}

/* ------------------------------------------------------ the test future */

/**
 * struct tf - a future whose behaviour each case chooses
 * @base: the future
 * @c: its counts
 * @ready_at: the poll that returns AXQ_READY (from 1); 0: none does
 * @result: what that poll returns
 * @self_wakes: the first poll wakes its own task this many times
 *	(axq_wake_by_ref() and a last axq_wake()) before it returns
 * @stash: each PENDING poll leaves a new waker in @waker, putting the one
 *	left there; the case takes it with xchg(), drop puts what is left
 * @keep: the first poll leaves a waker in @kept that drop does not touch,
 *	for the case to wake after the task completed
 * @waker: see @stash
 * @kept: see @keep
 */
struct tf {
	struct axq_future	base;
	struct tcount		c;
	int			ready_at;
	long			result;
	int			self_wakes;
	bool			stash;
	bool			keep;
	struct axq_task		*waker;
	struct axq_task		*kept;
};

static enum axq_poll tf_poll(struct axq_future *fut, struct axq_context *cx,
			     long *out)
{
	struct tf *f = container_of(fut, struct tf, base);
	int n = tc_enter(&f->c);
	struct axq_task *w;
	int i;

	if (n == 1 && f->keep)
		f->kept = axq_waker_get(cx);
	if (n == 1 && f->self_wakes) {
		w = axq_waker_get(cx);
		for (i = 1; i < f->self_wakes; i++)
			axq_wake_by_ref(w);
		axq_wake(w);
	}
	if (f->ready_at && n >= f->ready_at) {
		*out = f->result;
		return tc_leave(&f->c, AXQ_READY);
	}
	if (f->stash) {
		w = xchg(&f->waker, axq_waker_get(cx));
		if (w)
			axq_waker_put(w);
	}
	return tc_leave(&f->c, AXQ_PENDING);
}

static void tf_drop(struct axq_future *fut)
{
	struct tf *f = container_of(fut, struct tf, base);
	struct axq_task *w = xchg(&f->waker, NULL);

	if (w)
		axq_waker_put(w);
	tc_drop(&f->c);
}

static const struct axq_future_ops tf_ops = {
	.name	= "kunit_tf",
	.poll	= tf_poll,
	.drop	= tf_drop,
};

static struct tf *tf_new(struct kunit *test)
{
	struct tf *f = kzalloc(sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->base.ops = &tf_ops;
	return f;
}

/* ------------------------------------------------------------- blockers */

static bool blockers_start(struct kunit *test, struct blockers *set)
{
	unsigned int i, nr = num_online_cpus();

	memset(set, 0, sizeof(*set));
	set->deadline = jiffies + BLOCK_MAX;
	set->b = kcalloc(nr, sizeof(*set->b), GFP_KERNEL);
	set->t = kcalloc(nr, sizeof(*set->t), GFP_KERNEL);
	if (!set->b || !set->t) {
		KUNIT_FAIL(test, "out of memory");
		return false;
	}
	set->nr = nr;
	for (i = 0; i < nr; i++) {
		set->b[i].base.ops = &blocker_ops;
		set->b[i].set = set;
		set->t[i] = tspawn(test, &set->b[i].base, AXQ_PRIO_NORMAL);
	}
	if (!poll_until(atomic_read(&set->spinning) == nr, WAIT_MS)) {
		KUNIT_FAIL(test, "only %d of %u workers run a spinning task",
			   atomic_read(&set->spinning), nr);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- cases */

/* Ready at the first poll, in every class: the result comes through join. */
static void ready_first_poll(struct kunit *test)
{
	enum axq_prio prio;

	for (prio = 0; prio < AXQ_NR_PRIO; prio++) {
		struct tf *f = tf_new(test);
		struct axq_task *t;
		long res;

		f->ready_at = 1;
		f->result = 42 + prio;
		t = tspawn(test, &f->base, prio);
		if (t && !tjoin(test, t, &res, JOIN_TIMEOUT)) {
			KUNIT_EXPECT_EQ(test, res, 42L + prio);
			KUNIT_EXPECT_TRUE(test, axq_task_is_complete(t));
			KUNIT_EXPECT_EQ(test, axq_task_result(t), 42L + prio);
			tc_expect(test, &f->c, 1, "task");
		}
		tput_free(test, t, f);
	}
}

static enum axq_poll no_poll(struct axq_future *fut, struct axq_context *cx,
			     long *out)
{
	return AXQ_READY;
}

/* Spawn refuses a future without a poll and a class out of range. */
static void spawn_rejects_bad_args(struct kunit *test)
{
	static const struct axq_future_ops no_poll_ops = { .name = "x" };
	static const struct axq_future_ops ok_ops = { .poll = no_poll };
	struct axq_future bad = { .ops = &no_poll_ops };
	struct axq_future none = { .ops = NULL };
	struct axq_future ok = { .ops = &ok_ops };

	KUNIT_EXPECT_EQ(test, PTR_ERR(axq_spawn(NULL, AXQ_PRIO_NORMAL,
						GFP_KERNEL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(axq_spawn(&none, AXQ_PRIO_NORMAL,
						GFP_KERNEL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(axq_spawn(&bad, AXQ_PRIO_NORMAL,
						GFP_KERNEL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(axq_spawn(&ok, AXQ_NR_PRIO,
						GFP_KERNEL)), -EINVAL);
}

struct wake_later {
	struct tf	*f;
	unsigned int	delay_ms;
	u64		woken_ns;
};

/* Take the stashed waker and, after @delay_ms, wake the task with it. */
static int wake_later_fn(void *data)
{
	struct wake_later *a = data;
	struct axq_task *w;

	if (!poll_until(READ_ONCE(a->f->waker), WAIT_MS))
		return -ETIMEDOUT;
	if (a->delay_ms)
		msleep(a->delay_ms);
	w = xchg(&a->f->waker, NULL);
	if (!w)
		return -ENOENT;
	a->woken_ns = ktime_get_ns();
	axq_wake(w);
	return 0;
}

/* Pending at the first poll; woken from another kthread, ready at the
 * second.
 */
static void pending_then_woken(struct kunit *test)
{
	struct wake_later a = { .delay_ms = 0 };
	struct tf *f = tf_new(test);
	struct task_struct *k;
	struct axq_task *t;
	long res;

	f->stash = true;
	f->ready_at = 2;
	f->result = 7;
	a.f = f;
	k = tthread_start(wake_later_fn, &a, -1);
	if (IS_ERR(k)) {
		KUNIT_FAIL(test, "kthread: %ld", PTR_ERR(k));
		kfree(f);
		return;
	}
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (t && !tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 7L);
		tc_expect(test, &f->c, 2, "task");
	}
	KUNIT_EXPECT_EQ(test, tthread_stop(k), 0);
	tput_free(test, t, f);
}

/*
 * A wake while the task runs makes exactly one more poll: the first poll
 * wakes its own task (once, or five times, which coalesce) and returns
 * PENDING; the second returns PENDING with no wake arranged, so there is no
 * third until the case cancels the task.
 */
static void wake_while_running(struct kunit *test)
{
	static const int wakes[] = { 1, 5 };
	int i;

	for (i = 0; i < ARRAY_SIZE(wakes); i++) {
		struct tf *f = tf_new(test);
		struct axq_task *t;
		long res;

		f->self_wakes = wakes[i];
		t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
		if (!t) {
			kfree(f);
			continue;
		}
		KUNIT_EXPECT_TRUE(test,
				  poll_until(atomic_read(&f->c.polls) >= 2 &&
					     task_idle(t), WAIT_MS));
		msleep(100);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&f->c.polls), 2,
				    "%d wakes during the first poll", wakes[i]);
		KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
		if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
			KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
			tc_expect(test, &f->c, 2, "task");
		}
		tput_free(test, t, f);
	}
}

/* Wakes of a complete task (through a waker kept past READY) do nothing. */
static void wake_after_complete(struct kunit *test)
{
	struct tf *f = tf_new(test);
	struct axq_task *t;
	long res;

	f->keep = true;
	f->ready_at = 1;
	f->result = 3;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (t && !tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 3L);
		KUNIT_EXPECT_NOT_NULL(test, f->kept);
		if (f->kept) {
			axq_wake_by_ref(f->kept);
			axq_wake_by_ref(f->kept);
			axq_wake(f->kept);	/* consumes the kept reference */
		}
		msleep(100);
		KUNIT_EXPECT_EQ(test, axq_task_result(t), 3L);
		tc_expect(test, &f->c, 1, "task");
	}
	tput_free(test, t, f);
}

/*
 * Ten wakes of an idle task while every worker is busy queue it once: they
 * make one poll. Then one more wake makes the third, ready poll.
 */
static void wakes_coalesce(struct kunit *test)
{
	struct tf *f = tf_new(test);
	struct axq_task *t, *w = NULL;
	struct blockers set;
	long res;
	int i;

	f->stash = true;
	f->ready_at = 3;
	f->result = 3;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (!t) {
		kfree(f);
		return;
	}
	if (!poll_until(READ_ONCE(f->waker), WAIT_MS)) {
		KUNIT_FAIL(test, "no first poll");
		goto out;
	}
	/* Every worker spinning means the first poll has returned. */
	if (blockers_start(test, &set)) {
		w = xchg(&f->waker, NULL);
		for (i = 0; i < 10; i++)
			axq_wake_by_ref(w);
		KUNIT_EXPECT_TRUE(test, atomic_long_read(&t->state) &
				  AXQ_T_NOTIFIED);
		KUNIT_EXPECT_EQ(test, atomic_read(&f->c.polls), 1);
	}
	blockers_stop(test, &set);
	if (!w)
		goto out;
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&f->c.polls) >= 2 &&
					   READ_ONCE(f->waker) && task_idle(t),
					   WAIT_MS));
	msleep(100);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&f->c.polls), 2,
			    "10 wakes of a queued task");
	axq_wake(w);
	w = NULL;
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 3L);
		tc_expect(test, &f->c, 3, "task");
	}
out:
	if (w)
		axq_waker_put(w);
	if (!axq_task_is_complete(t)) {
		axq_task_cancel(t);
		tjoin(test, t, &res, JOIN_TIMEOUT);
	}
	tput_free(test, t, f);
}

/* Cancelled while queued and never polled: dropped, never polled. */
static void cancel_queued(struct kunit *test)
{
	struct tf *f = tf_new(test);
	struct axq_task *t = NULL;
	struct blockers set;
	long res;

	f->ready_at = 1;
	f->result = 1;
	if (blockers_start(test, &set)) {
		t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
		if (t) {
			KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
			KUNIT_EXPECT_EQ(test, axq_task_cancel(t), -EALREADY);
		}
		KUNIT_EXPECT_EQ(test, atomic_read(&f->c.polls), 0);
	}
	blockers_stop(test, &set);
	if (t && !tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		KUNIT_EXPECT_EQ(test, axq_task_result(t), (long)-ECANCELED);
		tc_expect(test, &f->c, 0, "task");
	}
	tput_free(test, t, f);
}

/*
 * Cancelled while idle (pending, no poll queued): dropped once, no further
 * poll; the waker it stashed is put by its drop, and wakes through a waker
 * kept past the cancel do nothing.
 */
static void cancel_idle(struct kunit *test)
{
	struct tf *f = tf_new(test);
	struct axq_task *t;
	long res;

	f->stash = true;
	f->keep = true;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (!t) {
		kfree(f);
		return;
	}
	KUNIT_EXPECT_TRUE(test, poll_until(READ_ONCE(f->waker) && task_idle(t),
					   WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), -EALREADY);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		KUNIT_EXPECT_PTR_EQ(test, READ_ONCE(f->waker), NULL);
		if (f->kept) {
			axq_wake_by_ref(f->kept);
			axq_wake(f->kept);
		}
		msleep(100);
		tc_expect(test, &f->c, 1, "task");
	}
	tput_free(test, t, f);
}

/**
 * struct spinf - a future whose first poll spins until the case says go
 * @base: the future
 * @c: its counts
 * @ready: after go, return AXQ_READY (result 5) rather than wake itself
 *	and return AXQ_PENDING
 * @entered: the first poll is spinning
 * @go: let it return
 * @late: it gave up waiting for @go
 */
struct spinf {
	struct axq_future	base;
	struct tcount		c;
	bool			ready;
	int			entered;
	int			go;
	bool			late;
};

static enum axq_poll spinf_poll(struct axq_future *fut, struct axq_context *cx,
				long *out)
{
	struct spinf *f = container_of(fut, struct spinf, base);
	unsigned long end = jiffies + msecs_to_jiffies(WAIT_MS);

	if (tc_enter(&f->c) == 1) {
		WRITE_ONCE(f->entered, 1);
		while (!READ_ONCE(f->go) && time_before(jiffies, end))
			cpu_relax();
		f->late = !READ_ONCE(f->go);
		if (!f->ready) {
			/* Woken during the poll: polled again if not cancelled. */
			axq_wake(axq_waker_get(cx));
			return tc_leave(&f->c, AXQ_PENDING);
		}
	}
	*out = 5;
	return tc_leave(&f->c, AXQ_READY);
}

static void spinf_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct spinf, base)->c);
}

static const struct axq_future_ops spinf_ops = {
	.name	= "kunit_spin",
	.poll	= spinf_poll,
	.drop	= spinf_drop,
};

/*
 * Cancelled while its poll runs: the poll finishes first, then the future
 * is dropped with no further poll although the poll woke its own task —
 * or, when that poll returns READY, the task completes with its result.
 */
static void cancel_running(struct kunit *test)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct spinf *f = kzalloc(sizeof(*f), GFP_KERNEL);
		struct axq_task *t;
		long res;

		KUNIT_ASSERT_NOT_NULL(test, f);
		f->base.ops = &spinf_ops;
		f->ready = i;
		t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
		if (!t) {
			kfree(f);
			continue;
		}
		KUNIT_EXPECT_TRUE(test, poll_until(READ_ONCE(f->entered),
						   WAIT_MS));
		KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
		KUNIT_EXPECT_EQ(test, axq_task_cancel(t), -EALREADY);
		/* The poll is still spinning: no drop under it. */
		KUNIT_EXPECT_EQ(test, atomic_read(&f->c.drops), 0);
		KUNIT_EXPECT_FALSE(test, axq_task_is_complete(t));
		WRITE_ONCE(f->go, 1);
		if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
			KUNIT_EXPECT_EQ_MSG(test, res,
					    f->ready ? 5L : (long)-ECANCELED,
					    "poll returned %s after the cancel",
					    f->ready ? "READY" : "PENDING");
			KUNIT_EXPECT_FALSE(test, f->late);
			tc_expect(test, &f->c, 1, "task");
		}
		tput_free(test, t, f);
	}
}

/* Cancel of a complete task, and a second cancel, say -EALREADY. */
static void cancel_after_complete(struct kunit *test)
{
	struct tf *f = tf_new(test);
	struct axq_task *t;
	long res;

	f->ready_at = 1;
	f->result = 11;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (t && !tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, axq_task_cancel(t), -EALREADY);
		KUNIT_EXPECT_EQ(test, axq_task_cancel(t), -EALREADY);
		KUNIT_EXPECT_EQ(test, res, 11L);
		KUNIT_EXPECT_EQ(test, axq_task_result(t), 11L);
		tc_expect(test, &f->c, 1, "task");
	}
	tput_free(test, t, f);
}

#define HAMMER_TARGET	50000	/* wakes the future waits to observe */

/**
 * struct hammer - a future woken by one kthread per online CPU at once
 * @base: the future
 * @c: its counts
 * @wakes: wakes so far; each kthread counts a wake before it wakes
 * @over: polls numbered above the wakes counted before them, plus one
 * @stop: tells the kthreads to finish
 * @nr: the number of kthreads
 * @wakers: one waker per kthread, from the first poll
 * @published: @wakers are there (release store, acquire load)
 */
struct hammer {
	struct axq_future	base;
	struct tcount		c;
	atomic_t		wakes;
	atomic_t		over;
	int			stop;
	unsigned int		nr;
	struct axq_task		**wakers;
	int			published;
};

struct hammer_arg {
	struct hammer	*h;
	unsigned int	idx;
	long		sent;
};

static enum axq_poll hammer_poll(struct axq_future *fut,
				 struct axq_context *cx, long *out)
{
	struct hammer *h = container_of(fut, struct hammer, base);
	int n = tc_enter(&h->c);
	unsigned int i;

	if (n == 1) {
		for (i = 0; i < h->nr; i++)
			h->wakers[i] = axq_waker_get(cx);
		/* Release: the wakers before the flag; pairs with the
		 * acquire in hammer_fn().
		 */
		smp_store_release(&h->published, 1);
	}
	/* Every poll but the first was caused by a wake counted before it. */
	if (n > atomic_read(&h->wakes) + 1)
		atomic_inc(&h->over);
	if (atomic_read(&h->wakes) >= HAMMER_TARGET) {
		*out = n;
		return tc_leave(&h->c, AXQ_READY);
	}
	return tc_leave(&h->c, AXQ_PENDING);
}

static void hammer_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct hammer, base)->c);
}

static const struct axq_future_ops hammer_ops = {
	.name	= "kunit_hammer",
	.poll	= hammer_poll,
	.drop	= hammer_drop,
};

static int hammer_fn(void *data)
{
	struct hammer_arg *a = data;
	struct hammer *h = a->h;
	struct axq_task *w;

	/* Acquire: pairs with the release in hammer_poll(). */
	if (!poll_until(smp_load_acquire(&h->published), WAIT_MS))
		return -ETIMEDOUT;
	w = h->wakers[a->idx];
	while (!READ_ONCE(h->stop)) {
		atomic_inc(&h->wakes);
		axq_wake_by_ref(w);
		if (!(++a->sent & 255))
			cond_resched();
	}
	axq_waker_put(w);
	return 0;
}

/*
 * One kthread per online CPU wakes one task as fast as it can until the
 * task has observed HAMMER_TARGET wakes: it completes, never has more polls
 * than wakes plus one, and is dropped once.
 */
static void concurrent_wakes(struct kunit *test)
{
	unsigned int nr = num_online_cpus(), i = 0, cpu;
	struct task_struct **k;
	struct hammer_arg *a;
	struct axq_task *t;
	struct hammer *h;
	long res, sent = 0;
	int ret;
	u64 t0;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	k = kunit_kcalloc(test, nr, sizeof(*k), GFP_KERNEL);
	a = kunit_kcalloc(test, nr, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->wakers = kcalloc(nr, sizeof(*h->wakers), GFP_KERNEL);
	if (!k || !a || !h->wakers) {
		kfree(h->wakers);
		kfree(h);
		KUNIT_FAIL(test, "out of memory");
		return;
	}
	h->base.ops = &hammer_ops;
	h->nr = nr;
	for_each_online_cpu(cpu) {
		if (i == nr)
			break;
		a[i].h = h;
		a[i].idx = i;
		k[i] = tthread_start(hammer_fn, &a[i], cpu);
		KUNIT_EXPECT_FALSE(test, IS_ERR(k[i]));
		i++;
	}
	t0 = ktime_get_ns();
	t = tspawn(test, &h->base, AXQ_PRIO_NORMAL);
	if (t && !tjoin(test, t, &res, 2 * JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)atomic_read(&h->c.polls));
		KUNIT_EXPECT_EQ(test, atomic_read(&h->over), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&h->c.drops), 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&h->c.bad), 0);
	}
	t0 = ktime_get_ns() - t0;
	WRITE_ONCE(h->stop, 1);
	for (i = 0; i < nr; i++) {
		/* -EINTR: stopped before it ran (hammer_fn() never says so). */
		ret = IS_ERR_OR_NULL(k[i]) ? -EINTR : tthread_stop(k[i]);
		if (ret == -EINTR) {
			/* Acquire: pairs with the release in hammer_poll(). */
			if (smp_load_acquire(&h->published))
				axq_waker_put(h->wakers[i]);
			continue;
		}
		KUNIT_EXPECT_EQ(test, ret, 0);
		sent += a[i].sent;
	}
	KUNIT_EXPECT_LE(test, (long)atomic_read(&h->c.polls), sent + 1);
	kunit_info(test, "%u kthreads: %ld wakes, %d polls, %llu ms\n", nr,
		   sent, atomic_read(&h->c.polls), t0 / NSEC_PER_MSEC);
	if (!t || axq_task_is_complete(t))
		kfree(h->wakers);
	tput_free(test, t, h);
}

/*
 * Join with a timeout: one that expires on a task that stays pending, one
 * that waits for a task completing 100 ms later, one with no wait at all on
 * a complete task.
 */
static void join_timeout(struct kunit *test)
{
	struct wake_later a = { .delay_ms = 100 };
	struct tf *f = tf_new(test), *g;
	struct task_struct *k;
	struct axq_task *t;
	unsigned long start;
	long res = 0;
	u64 t0;
	int ret;

	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);	/* pending forever */
	if (t) {
		start = jiffies;
		ret = axq_join_timeout(t, &res, HZ / 5);
		KUNIT_EXPECT_EQ(test, ret, -ETIMEDOUT);
		KUNIT_EXPECT_GE(test, jiffies - start, (unsigned long)HZ / 5);
		KUNIT_EXPECT_FALSE(test, axq_task_is_complete(t));
		KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
		if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
			KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
			tc_expect(test, &f->c, 1, "pending task");
		}
	}
	tput_free(test, t, f);

	g = tf_new(test);
	g->stash = true;
	g->ready_at = 2;
	g->result = 9;
	a.f = g;
	k = tthread_start(wake_later_fn, &a, -1);
	if (IS_ERR(k)) {
		KUNIT_FAIL(test, "kthread: %ld", PTR_ERR(k));
		kfree(g);
		return;
	}
	t0 = ktime_get_ns();	/* the wake comes 100 ms after the first poll */
	t = tspawn(test, &g->base, AXQ_PRIO_NORMAL);
	if (t) {
		ret = axq_join_timeout(t, &res, JOIN_TIMEOUT);
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, res, 9L);
		KUNIT_EXPECT_GE(test, ktime_get_ns(), t0 + 100 * NSEC_PER_MSEC);
		res = 0;
		KUNIT_EXPECT_EQ(test, axq_join_timeout(t, &res, 0), 0);
		KUNIT_EXPECT_EQ(test, res, 9L);
		if (ret)
			tjoin(test, t, &res, JOIN_TIMEOUT);
		else
			tc_expect(test, &g->c, 2, "task");
	}
	KUNIT_EXPECT_EQ(test, tthread_stop(k), 0);
	tput_free(test, t, g);
}

/**
 * struct timer_arg - an hrtimer that spawns or wakes a task from hardirq
 * @timer: the hrtimer (HRTIMER_MODE_REL_HARD)
 * @f: the future to spawn, or whose stashed waker to wake
 * @task: the join handle the callback's spawn returned
 * @hardirq: the callback ran in hardirq context
 * @missed: there was no stashed waker to wake
 * @fired: the callback ran
 */
struct timer_arg {
	struct hrtimer		timer;
	struct tf		*f;
	struct axq_task		*task;
	bool			hardirq;
	bool			missed;
	struct completion	fired;
};

static enum hrtimer_restart spawn_timer_fn(struct hrtimer *timer)
{
	struct timer_arg *a = container_of(timer, struct timer_arg, timer);

	a->hardirq = in_hardirq();
	a->task = axq_spawn(&a->f->base, AXQ_PRIO_HIGH, GFP_ATOMIC);
	complete(&a->fired);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart wake_timer_fn(struct hrtimer *timer)
{
	struct timer_arg *a = container_of(timer, struct timer_arg, timer);
	struct axq_task *w = xchg(&a->f->waker, NULL);

	a->hardirq = in_hardirq();
	a->missed = !w;
	if (w)
		axq_wake(w);
	complete(&a->fired);
	return HRTIMER_NORESTART;
}

static bool timer_run(struct kunit *test, struct timer_arg *a,
		      enum hrtimer_restart (*fn)(struct hrtimer *))
{
	bool fired;

	init_completion(&a->fired);
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	a->timer.function = fn;
	hrtimer_start(&a->timer, ms_to_ktime(2), HRTIMER_MODE_REL_HARD);
	fired = wait_for_completion_timeout(&a->fired, JOIN_TIMEOUT);
	hrtimer_cancel(&a->timer);
	KUNIT_EXPECT_TRUE_MSG(test, fired, "hrtimer did not fire");
	KUNIT_EXPECT_TRUE(test, a->hardirq);
	return fired;
}

/* Spawn with GFP_ATOMIC from an hrtimer callback (hardirq). */
static void spawn_from_hrtimer(struct kunit *test)
{
	struct timer_arg *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct axq_task *t = NULL;
	struct tf *f;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, a);
	f = tf_new(test);
	f->ready_at = 1;
	f->result = 77;
	a->f = f;
	timer_run(test, a, spawn_timer_fn);
	/* hrtimer_cancel() in timer_run(): the callback is not running. */
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR_OR_NULL(a->task), "spawn: %ld",
			       PTR_ERR_OR_ZERO(a->task));
	if (!IS_ERR_OR_NULL(a->task))
		t = a->task;
	if (t && !tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 77L);
		tc_expect(test, &f->c, 1, "task");
	}
	tput_free(test, t, f);
}

/* Wake a pending task from an hrtimer callback (hardirq). */
static void wake_from_hrtimer(struct kunit *test)
{
	struct timer_arg *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct axq_task *t;
	struct tf *f;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, a);
	f = tf_new(test);
	f->stash = true;
	f->ready_at = 2;
	f->result = 78;
	a->f = f;
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (!t) {
		kfree(f);
		return;
	}
	KUNIT_EXPECT_TRUE(test, poll_until(READ_ONCE(f->waker) && task_idle(t),
					   WAIT_MS));
	if (timer_run(test, a, wake_timer_fn))
		KUNIT_EXPECT_FALSE(test, a->missed);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 78L);
		tc_expect(test, &f->c, 2, "task");
	}
	tput_free(test, t, f);
}

/* A future that awaits another task through struct axq_join. */
struct joinf {
	struct axq_future	base;
	struct tcount		c;
	struct axq_join		join;
};

static enum axq_poll joinf_poll(struct axq_future *fut, struct axq_context *cx,
				long *out)
{
	struct joinf *f = container_of(fut, struct joinf, base);

	tc_enter(&f->c);
	return tc_leave(&f->c, axq_join_poll(&f->join, cx, out));
}

static void joinf_drop(struct axq_future *fut)
{
	struct joinf *f = container_of(fut, struct joinf, base);

	axq_join_drop(&f->join);
	tc_drop(&f->c);
}

static const struct axq_future_ops joinf_ops = {
	.name	= "kunit_join",
	.poll	= joinf_poll,
	.drop	= joinf_drop,
};

static struct joinf *joinf_new(struct kunit *test, struct axq_task *task)
{
	struct joinf *f = kzalloc(sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->base.ops = &joinf_ops;
	axq_join_init(&f->join, task);
	return f;
}

/*
 * Task A awaits task B: A's first poll finds B pending and A goes idle; B
 * is woken and completes with 41; A is woken by B's completion and
 * completes with 41 at its second poll. Then a join of a task complete
 * already is ready at the first poll.
 */
static void join_future(struct kunit *test)
{
	struct axq_task *ta, *tb, *w;
	struct joinf *a;
	struct tf *b;
	long res;

	b = tf_new(test);
	b->stash = true;
	b->ready_at = 2;
	b->result = 41;
	tb = tspawn(test, &b->base, AXQ_PRIO_NORMAL);
	if (!tb) {
		kfree(b);
		return;
	}
	a = joinf_new(test, tb);		/* owns the handle tb now */
	ta = tspawn(test, &a->base, AXQ_PRIO_NORMAL);
	if (!ta) {
		axq_join_drop(&a->join);
		kfree(a);
		return;				/* b stays live: leaked */
	}
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&a->c.polls) == 1 &&
					   task_idle(ta) &&
					   READ_ONCE(b->waker), WAIT_MS));
	KUNIT_EXPECT_EQ(test, atomic_read(&b->c.polls), 1);
	w = xchg(&b->waker, NULL);
	if (w)
		axq_wake(w);
	if (!tjoin(test, ta, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 41L);
		tc_expect(test, &a->c, 2, "awaiting task");
		tc_expect(test, &b->c, 2, "awaited task");
	}
	/* A ready join means B completed: its future was dropped. */
	if (axq_task_is_complete(ta) && res == 41)
		kfree(b);
	tput_free(test, ta, a);

	b = tf_new(test);
	b->ready_at = 1;
	b->result = 7;
	tb = tspawn(test, &b->base, AXQ_PRIO_NORMAL);
	if (!tb) {
		kfree(b);
		return;
	}
	if (tjoin(test, tb, &res, JOIN_TIMEOUT)) {
		tput_free(test, tb, b);
		return;
	}
	a = joinf_new(test, tb);
	ta = tspawn(test, &a->base, AXQ_PRIO_HIGH);
	if (!ta) {
		axq_join_drop(&a->join);
		kfree(a);
	} else if (!tjoin(test, ta, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 7L);
		tc_expect(test, &a->c, 1, "awaiting a complete task");
	}
	if (ta)
		tput_free(test, ta, a);
	kfree(b);
}

/**
 * struct wqf - a future pending on a wait queue until @cond is set
 * @base: the future
 * @c: its counts
 * @w: hooks its task onto @wq
 * @wq: the wait queue
 * @cond: the value to become ready with; 0 while not ready
 * @armed: PENDING polls, each armed on @wq
 */
struct wqf {
	struct axq_future	base;
	struct tcount		c;
	struct axq_wq_waker	w;
	struct wait_queue_head	wq;
	atomic_t		cond;
	atomic_t		armed;
};

static enum axq_poll wqf_poll(struct axq_future *fut, struct axq_context *cx,
			      long *out)
{
	struct wqf *f = container_of(fut, struct wqf, base);
	int v;

	tc_enter(&f->c);
	v = atomic_read(&f->cond);
	if (!v) {
		axq_wq_waker_arm(&f->w, &f->wq, cx);
		/*
		 * Test again: a wake_up() before the arm found no entry. The
		 * wait queue's lock orders the setter's store before its
		 * wake_up() and the arm before this load.
		 */
		v = atomic_read(&f->cond);
		if (!v) {
			atomic_inc(&f->armed);
			return tc_leave(&f->c, AXQ_PENDING);
		}
	}
	axq_wq_waker_disarm(&f->w);
	*out = v;
	return tc_leave(&f->c, AXQ_READY);
}

static void wqf_drop(struct axq_future *fut)
{
	struct wqf *f = container_of(fut, struct wqf, base);

	axq_wq_waker_disarm(&f->w);
	tc_drop(&f->c);
}

static const struct axq_future_ops wqf_ops = {
	.name	= "kunit_wq",
	.poll	= wqf_poll,
	.drop	= wqf_drop,
};

/*
 * A task pending on a wait queue: a wake_up() with the condition still
 * false makes one poll that arms again; a wake_up() after setting it
 * completes the task, which leaves the queue empty.
 */
static void wait_queue_waker(struct kunit *test)
{
	struct wqf *f = kzalloc(sizeof(*f), GFP_KERNEL);
	struct axq_task *t;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->base.ops = &wqf_ops;
	init_waitqueue_head(&f->wq);
	axq_wq_waker_init(&f->w);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (!t) {
		kfree(f);
		return;
	}
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&f->armed) == 1 &&
					   task_idle(t), WAIT_MS));
	wake_up(&f->wq);
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&f->armed) == 2 &&
					   task_idle(t), WAIT_MS));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->c.polls), 2);
	atomic_set(&f->cond, 5);
	wake_up(&f->wq);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, 5L);
		tc_expect(test, &f->c, 3, "task");
		/* The task is complete: nothing adds to the queue any more. */
		KUNIT_EXPECT_FALSE(test, waitqueue_active(&f->wq));
	}
	tput_free(test, t, f);
}

struct blk_stats {
	atomic_t	running;
	atomic_t	max;
};

/**
 * struct blkf - a future running blk_fn() in the blocking pool
 * @base: the future
 * @c: its counts
 * @b: the blocking-pool future
 * @st: concurrency of blk_fn() calls
 * @sleep_ms: how long blk_fn() sleeps
 * @value: what it returns
 * @started: blk_fn() started
 * @finished: blk_fn() is about to return
 */
struct blkf {
	struct axq_future	base;
	struct tcount		c;
	struct axq_blocking	b;
	struct blk_stats	*st;
	unsigned int		sleep_ms;
	long			value;
	atomic_t		started;
	atomic_t		finished;
};

static long blk_fn(void *arg)
{
	struct blkf *f = arg;
	int n, max;

	might_sleep();
	atomic_inc(&f->started);
	n = atomic_inc_return(&f->st->running);
	max = atomic_read(&f->st->max);
	while (n > max && !atomic_try_cmpxchg(&f->st->max, &max, n))
		;
	msleep(f->sleep_ms);
	atomic_dec(&f->st->running);
	atomic_inc(&f->finished);
	return f->value;
}

static enum axq_poll blkf_poll(struct axq_future *fut, struct axq_context *cx,
			       long *out)
{
	struct blkf *f = container_of(fut, struct blkf, base);

	tc_enter(&f->c);
	return tc_leave(&f->c, axq_blocking_poll(&f->b, cx, out));
}

static void blkf_drop(struct axq_future *fut)
{
	struct blkf *f = container_of(fut, struct blkf, base);

	axq_blocking_drop(&f->b);
	tc_drop(&f->c);
}

static const struct axq_future_ops blkf_ops = {
	.name	= "kunit_blocking",
	.poll	= blkf_poll,
	.drop	= blkf_drop,
};

static void blkf_init(struct blkf *f, struct blk_stats *st,
		      unsigned int sleep_ms, long value)
{
	f->base.ops = &blkf_ops;
	f->st = st;
	f->sleep_ms = sleep_ms;
	f->value = value;
	axq_blocking_init(&f->b, blk_fn, f);
}

#define NR_BLOCKING	8

/*
 * Eight futures each run a function that sleeps 50 ms in the blocking pool
 * and complete with its value at their second poll.
 */
static void blocking_pool(struct kunit *test)
{
	struct axq_task *t[NR_BLOCKING];
	struct blk_stats *st;
	struct blkf *f;
	bool live = false;
	long res;
	u64 t0;
	int i;

	/* One allocation: a live task's function may still use both. */
	st = kzalloc(sizeof(*st) + NR_BLOCKING * sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	f = (struct blkf *)(st + 1);
	t0 = ktime_get_ns();
	for (i = 0; i < NR_BLOCKING; i++) {
		blkf_init(&f[i], st, 50, 1000 + i);
		t[i] = tspawn(test, &f[i].base, AXQ_PRIO_NORMAL);
	}
	for (i = 0; i < NR_BLOCKING; i++) {
		if (!t[i])
			continue;
		if (!tjoin(test, t[i], &res, JOIN_TIMEOUT)) {
			KUNIT_EXPECT_EQ(test, res, 1000L + i);
			KUNIT_EXPECT_EQ(test, atomic_read(&f[i].finished), 1);
			tc_expect(test, &f[i].c, 2, "task");
		}
		live |= !axq_task_is_complete(t[i]);
		axq_task_put(t[i]);
	}
	kunit_info(test, "%d x 50 ms in %llu ms, at most %d at once\n",
		   NR_BLOCKING, (ktime_get_ns() - t0) / NSEC_PER_MSEC,
		   atomic_read(&st->max));
	if (!live)
		kfree(st);
}

/*
 * Cancelled while its function sleeps in the pool: the drop waits for the
 * function to return (it is not freed under it), and the task completes
 * with -ECANCELED after its single poll.
 */
static void blocking_cancel(struct kunit *test)
{
	struct blk_stats *st;
	struct axq_task *t;
	struct blkf *f;
	long res;

	st = kzalloc(sizeof(*st) + sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	f = (struct blkf *)(st + 1);
	blkf_init(f, st, 300, 1);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (!t) {
		kfree(st);
		return;
	}
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&f->started), WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		KUNIT_EXPECT_EQ(test, atomic_read(&f->finished), 1);
		tc_expect(test, &f->c, 1, "task");
	}
	tput_free(test, t, st);
}

#define NR_MANY		10000

/* A future that is pending forever: only a cancel ends it. */
struct manyf {
	struct axq_future	base;
	struct tcount		c;
	atomic_t		*polled;
};

static enum axq_poll manyf_poll(struct axq_future *fut,
				struct axq_context *cx, long *out)
{
	struct manyf *f = container_of(fut, struct manyf, base);

	if (tc_enter(&f->c) == 1)
		atomic_inc(f->polled);
	return tc_leave(&f->c, AXQ_PENDING);
}

static void manyf_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct manyf, base)->c);
}

static const struct axq_future_ops manyf_ops = {
	.name	= "kunit_many",
	.poll	= manyf_poll,
	.drop	= manyf_drop,
};

/*
 * Cancel 10,000 tasks that never complete on their own: the first 5,000
 * have been polled once (pending, idle); the other 5,000 are spawned and
 * all are cancelled while every worker is occupied, so those are queued
 * and never polled. Each is dropped once, none is polled again, all
 * complete with -ECANCELED.
 */
static void cancel_many(struct kunit *test)
{
	unsigned int i, spawned = 0, refused = 0, late = 0, wrong = 0;
	unsigned int wrong_polls = 0, drops = 0, bad = 0;
	struct axq_stats before, after;
	atomic_t polled = ATOMIC_INIT(0);
	struct blockers set;
	struct axq_task **t;
	struct manyf *f;
	unsigned long end;
	u64 t0, t1, t2;
	long res;
	bool blocked;

	f = kvcalloc(NR_MANY, sizeof(*f), GFP_KERNEL);
	t = kvcalloc(NR_MANY, sizeof(*t), GFP_KERNEL);
	if (!f || !t) {
		kvfree(f);
		kvfree(t);
		KUNIT_FAIL(test, "out of memory");
		return;
	}
	axq_stats_sum(&before);
	for (i = 0; i < NR_MANY; i++) {
		f[i].base.ops = &manyf_ops;
		f[i].polled = &polled;
	}
	for (i = 0; i < NR_MANY / 2; i++) {
		t[i] = tspawn(test, &f[i].base, AXQ_PRIO_NORMAL);
		spawned += !!t[i];
		if (!(i & 255))
			cond_resched();
	}
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&polled) == spawned,
					   2 * WAIT_MS));
	blocked = blockers_start(test, &set);
	t0 = ktime_get_ns();
	for (; blocked && i < NR_MANY; i++) {
		t[i] = tspawn(test, &f[i].base, AXQ_PRIO_NORMAL);
		spawned += !!t[i];
	}
	t1 = ktime_get_ns();
	for (i = 0; i < NR_MANY; i++)
		if (t[i] && axq_task_cancel(t[i]))
			refused++;
	t2 = ktime_get_ns();
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&polled), NR_MANY / 2,
			    "polled while every worker was occupied");
	blockers_stop(test, &set);
	end = jiffies + 3 * JOIN_TIMEOUT;
	for (i = 0; i < NR_MANY; i++) {
		if (!t[i])
			continue;
		if (axq_join_timeout(t[i], &res, max_t(long, end - jiffies, 1))) {
			late++;
			continue;
		}
		wrong += res != -ECANCELED;
		wrong_polls += atomic_read(&f[i].c.polls) != (i < NR_MANY / 2);
		drops += atomic_read(&f[i].c.drops);
		bad += atomic_read(&f[i].c.bad);
	}
	axq_stats_sum(&after);
	kunit_info(test, "%u tasks: %u polled, %u queued; spawn of the queued %llu ms, %u cancels %llu ms, all dropped after %llu ms\n",
		   spawned, NR_MANY / 2, spawned - NR_MANY / 2,
		   (t1 - t0) / NSEC_PER_MSEC, spawned,
		   (t2 - t1) / NSEC_PER_MSEC,
		   (ktime_get_ns() - t2) / NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, spawned, NR_MANY);
	KUNIT_EXPECT_EQ_MSG(test, refused, 0, "cancels refused");
	KUNIT_EXPECT_EQ_MSG(test, late, 0, "tasks not complete in time");
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0, "results other than -ECANCELED");
	KUNIT_EXPECT_EQ(test, drops, spawned - late);
	KUNIT_EXPECT_EQ_MSG(test, wrong_polls, 0,
			    "tasks not polled exactly once (pending) or never (queued)");
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, after.cancelled - before.cancelled,
			(u64)spawned);
	for (i = 0; i < NR_MANY; i++) {
		if (!t[i])
			continue;
		if (late)
			axq_join_timeout(t[i], NULL, GRACE_TIMEOUT);
		if (!axq_task_is_complete(t[i]))
			f = NULL;	/* a live task still uses it: leak */
		axq_task_put(t[i]);
	}
	kvfree(f);
	kvfree(t);
}

/*
 * A detached task (axq_spawn_detached(), as a ring request's) uses its
 * first AXQ_TASK_DETACHED_SIZE bytes only: what follows is its owner's
 * (a request keeps its op's state there). Spawned, left pending, woken and
 * completed with a pattern right after those bytes, the task leaves the
 * pattern as it was.
 */
struct detached_fut {
	struct axq_future	fut;
	struct axq_task		*waker;
	struct completion	first_poll;
	struct completion	released;
	int			polls;
	u8			task[AXQ_TASK_DETACHED_SIZE] __aligned(8);
	u8			after[sizeof(struct axq_task) -
				      AXQ_TASK_DETACHED_SIZE + 16];
};

static enum axq_poll detached_poll(struct axq_future *fut,
				   struct axq_context *cx, long *out)
{
	struct detached_fut *d = container_of(fut, struct detached_fut, fut);

	if (d->polls++ == 0) {
		d->waker = axq_waker_get(cx);
		complete(&d->first_poll);
		return AXQ_PENDING;
	}
	*out = 5;
	return AXQ_READY;
}

static void detached_release(struct axq_future *fut)
{
	complete(&container_of(fut, struct detached_fut, fut)->released);
}

static const struct axq_future_ops detached_ops = {
	.name		= "kunit-detached",
	.poll		= detached_poll,
	.release	= detached_release,
};

static void detached_task_keeps_to_its_bytes(struct kunit *test)
{
	struct detached_fut *d;
	unsigned int i, bad = 0;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	d->fut.ops = &detached_ops;
	init_completion(&d->first_poll);
	init_completion(&d->released);
	memset(d->after, 0xa5, sizeof(d->after));
	KUNIT_ASSERT_EQ(test, axq_spawn_detached((struct axq_task *)d->task,
						 &d->fut, AXQ_PRIO_NORMAL,
						 NULL, 0), 0);
	if (!wait_for_completion_timeout(&d->first_poll, JOIN_TIMEOUT)) {
		KUNIT_FAIL(test, "no first poll");
		return;		/* a live task may still use it: leak */
	}
	axq_wake(d->waker);
	if (!wait_for_completion_timeout(&d->released, JOIN_TIMEOUT)) {
		KUNIT_FAIL(test, "not released");
		return;
	}
	KUNIT_EXPECT_EQ(test, d->polls, 2);
	for (i = 0; i < sizeof(d->after); i++)
		bad += d->after[i] != 0xa5;
	KUNIT_EXPECT_EQ_MSG(test, bad, 0U,
			    "the task wrote past its %zu bytes",
			    (size_t)AXQ_TASK_DETACHED_SIZE);
	kfree(d);
}

static struct kunit_case asyncx_task_cases[] = {
	KUNIT_CASE(ready_first_poll),
	KUNIT_CASE(spawn_rejects_bad_args),
	KUNIT_CASE(pending_then_woken),
	KUNIT_CASE(wake_while_running),
	KUNIT_CASE(wake_after_complete),
	KUNIT_CASE(wakes_coalesce),
	KUNIT_CASE(cancel_queued),
	KUNIT_CASE(cancel_idle),
	KUNIT_CASE(cancel_running),
	KUNIT_CASE(cancel_after_complete),
	KUNIT_CASE(concurrent_wakes),
	KUNIT_CASE(join_timeout),
	KUNIT_CASE(spawn_from_hrtimer),
	KUNIT_CASE(wake_from_hrtimer),
	KUNIT_CASE(join_future),
	KUNIT_CASE(wait_queue_waker),
	KUNIT_CASE(blocking_pool),
	KUNIT_CASE(blocking_cancel),
	KUNIT_CASE(cancel_many),
	KUNIT_CASE(detached_task_keeps_to_its_bytes),
	{}
};

static struct kunit_suite asyncx_task_suite = {
	.name = "asyncx_task",
	.test_cases = asyncx_task_cases,
};

kunit_test_suites(&asyncx_task_suite);
