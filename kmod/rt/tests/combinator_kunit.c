// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_combinator: join_all, select, timeout and retry
 * (combinator.c) — normal paths, errors, cancellation while they wait
 * (every child dropped exactly once, no wait-queue entry or timer left),
 * select with simultaneous readiness, a join of 10,000 futures, a join_all
 * freed as soon as it is joined while its children complete, timeouts
 * racing completion, and a retry's attempts and backoff schedule checked
 * exactly.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <asyncx/async.h>
#include <asyncx/combinator.h>
#include <asyncx/time.h>

#include "../task.h"
#include "trace.h"
#include "kunit_util.h"

#define JOIN_TIMEOUT	(60 * HZ)
#define WAIT_MS		20000
#define NR_JOIN		16
#define NR_BIG		10000
#define NR_RACE		50
#define NR_ATTEMPTS	8

/* Is an entry on @wq? Read under its lock. */
static bool queue_hooked(struct wait_queue_head *wq)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&wq->lock, flags);
	ret = !list_empty(&wq->head);
	spin_unlock_irqrestore(&wq->lock, flags);
	return ret;
}

/**
 * struct tfut - a child future: ready at a chosen poll, counted
 * @base: the future
 * @c: its counts
 * @ready_at: the poll (from 1) that returns AXQ_READY; 0: none does
 * @result: what it returns then
 * @wq: while pending, the task is hooked here (may be NULL)
 * @w: the hook
 *
 * A pending poll before @ready_at wakes its own task, so that it is
 * polled again; one that never becomes ready waits on @wq (a case ends
 * it by cancellation).
 */
struct tfut {
	struct axq_future	base;
	struct tcount		c;
	int			ready_at;
	long			result;
	struct wait_queue_head	*wq;
	struct axq_wq_waker	w;
};

static enum axq_poll tfut_poll(struct axq_future *fut, struct axq_context *cx,
			       long *out)
{
	struct tfut *f = container_of(fut, struct tfut, base);
	int n = tc_enter(&f->c);

	if (f->ready_at && n >= f->ready_at) {
		axq_wq_waker_disarm(&f->w);
		*out = f->result;
		return tc_leave(&f->c, AXQ_READY);
	}
	if (f->wq)
		axq_wq_waker_arm(&f->w, f->wq, cx);
	if (f->ready_at)
		axq_wake(axq_waker_get(cx));
	return tc_leave(&f->c, AXQ_PENDING);
}

static void tfut_drop(struct axq_future *fut)
{
	struct tfut *f = container_of(fut, struct tfut, base);

	axq_wq_waker_disarm(&f->w);
	tc_drop(&f->c);
}

static const struct axq_future_ops tfut_ops = {
	.name	= "kunit_child",
	.poll	= tfut_poll,
	.drop	= tfut_drop,
};

static void tfut_init(struct tfut *f, int ready_at, long result,
		      struct wait_queue_head *wq)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &tfut_ops;
	f->ready_at = ready_at;
	f->result = result;
	f->wq = wq;
	axq_wq_waker_init(&f->w);
}

/**
 * struct twrap - counts the polls and the drop of another future
 * @base: the future
 * @c: the counts
 * @inner: the wrapped future (dropped by the wrapper's drop)
 */
struct twrap {
	struct axq_future	base;
	struct tcount		c;
	struct axq_future	*inner;
};

static enum axq_poll twrap_poll(struct axq_future *fut,
				struct axq_context *cx, long *out)
{
	struct twrap *w = container_of(fut, struct twrap, base);

	tc_enter(&w->c);
	return tc_leave(&w->c, axq_future_poll(w->inner, cx, out));
}

static void twrap_drop(struct axq_future *fut)
{
	struct twrap *w = container_of(fut, struct twrap, base);

	axq_future_drop(w->inner);
	tc_drop(&w->c);
}

static const struct axq_future_ops twrap_ops = {
	.name	= "kunit_wrap",
	.poll	= twrap_poll,
	.drop	= twrap_drop,
};

static void twrap_init(struct twrap *w, struct axq_future *inner)
{
	memset(w, 0, sizeof(*w));
	w->base.ops = &twrap_ops;
	w->inner = inner;
}

/* Spawn @fut wrapped in @w, join it; 0 with *@res, or -ETIMEDOUT. */
static int run(struct kunit *test, struct twrap *w, struct axq_future *fut,
	       long *res)
{
	struct axq_task *task;

	twrap_init(w, fut);
	task = tspawn(test, &w->base, AXQ_PRIO_NORMAL);
	if (!task)
		return -ENOMEM;
	if (tjoin(test, task, res, JOIN_TIMEOUT))
		return -ETIMEDOUT;	/* leak: the task may still use it */
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, atomic_read(&w->c.drops), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&w->c.bad), 0);
	return 0;
}

/* Spawn @fut wrapped in @w, to be cancelled by run_cancel(). */
static struct axq_task *run_start(struct kunit *test, struct twrap *w,
				  struct axq_future *fut)
{
	twrap_init(w, fut);
	return tspawn(test, &w->base, AXQ_PRIO_NORMAL);
}

/*
 * After @waited (the case's poll_until() of the state to cancel in):
 * cancel @task, join it; 0 with *@res, or an error (then leak).
 */
static int run_cancel(struct kunit *test, struct twrap *w,
		      struct axq_task *task, bool waited, long *res)
{
	KUNIT_EXPECT_TRUE_MSG(test, waited, "the state to cancel in");
	KUNIT_EXPECT_EQ(test, axq_task_cancel(task), 0);
	if (tjoin(test, task, res, JOIN_TIMEOUT))
		return -ETIMEDOUT;
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, *res, (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, atomic_read(&w->c.drops), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&w->c.bad), 0);
	return 0;
}

static bool idle_after(struct twrap *w, int polls)
{
	return atomic_read(&w->c.polls) >= polls && !atomic_read(&w->c.in_poll);
}

/* ------------------------------------------------------------- join_all */

/**
 * struct jcase - a join_all over @nr counted children
 * @ja: the join_all
 * @w: its wrapper
 * @f: the children
 * @futs: pointers to them
 * @results: their results
 * @wq: the queue children that never finish wait on
 */
struct jcase {
	struct axq_join_all	ja;
	struct twrap		w;
	struct tfut		*f;
	struct axq_future	**futs;
	long			*results;
	struct wait_queue_head	wq;
};

static struct jcase *jcase_new(struct kunit *test, unsigned int nr)
{
	struct jcase *j = kunit_kzalloc(test, sizeof(*j), GFP_KERNEL);

	if (!j)
		return NULL;
	j->f = kvcalloc(nr, sizeof(*j->f), GFP_KERNEL);
	j->futs = kvcalloc(nr, sizeof(*j->futs), GFP_KERNEL);
	j->results = kvcalloc(nr, sizeof(*j->results), GFP_KERNEL);
	init_waitqueue_head(&j->wq);
	if (!j->f || !j->futs || !j->results) {
		kvfree(j->f);
		kvfree(j->futs);
		kvfree(j->results);
		return NULL;
	}
	return j;
}

static void jcase_free(struct jcase *j)
{
	kvfree(j->f);
	kvfree(j->futs);
	kvfree(j->results);
}

/* Children ready at their 1st to 3rd poll, some failing: all results. */
static void join_all_normal(struct kunit *test)
{
	struct jcase *j = jcase_new(test, NR_JOIN);
	long res, failed = 0;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, j);
	for (i = 0; i < NR_JOIN; i++) {
		tfut_init(&j->f[i], i % 3 + 1, i * 10 - 25, NULL);
		j->futs[i] = &j->f[i].base;
		failed += i * 10 - 25 < 0;
	}
	KUNIT_ASSERT_EQ(test, axq_join_all_init(&j->ja, j->futs, NR_JOIN,
						j->results, AXQ_PRIO_NORMAL,
						GFP_KERNEL), 0);
	if (run(test, &j->w, &j->ja.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, failed);
	for (i = 0; i < NR_JOIN; i++) {
		KUNIT_EXPECT_EQ(test, j->results[i], i * 10L - 25);
		tc_expect(test, &j->f[i].c, i % 3 + 1, "join_all child");
	}
	KUNIT_EXPECT_NULL(test, j->ja.children);
	jcase_free(j);
}

/* No children: ready at once with 0. */
static void join_all_empty(struct kunit *test)
{
	struct jcase *j = jcase_new(test, 1);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, j);
	KUNIT_ASSERT_EQ(test, axq_join_all_init(&j->ja, j->futs, 0,
						j->results, AXQ_PRIO_NORMAL,
						GFP_KERNEL), 0);
	if (run(test, &j->w, &j->ja.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 0L);
	KUNIT_EXPECT_EQ(test, atomic_read(&j->w.c.polls), 1);
	jcase_free(j);
}

/*
 * 10,000 children: every result arrives once, in its slot; the join_all
 * is polled at most once per completed child (kunit_info says how often).
 */
static void join_all_10k(struct kunit *test)
{
	struct jcase *j = jcase_new(test, NR_BIG);
	int i, bad = 0;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, j);
	for (i = 0; i < NR_BIG; i++) {
		tfut_init(&j->f[i], i % 2 + 1, i, NULL);
		j->futs[i] = &j->f[i].base;
	}
	KUNIT_ASSERT_EQ(test, axq_join_all_init(&j->ja, j->futs, NR_BIG,
						j->results, AXQ_PRIO_NORMAL,
						GFP_KERNEL), 0);
	if (run(test, &j->w, &j->ja.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 0L);
	for (i = 0; i < NR_BIG; i++) {
		bad += j->results[i] != i;
		bad += atomic_read(&j->f[i].c.drops) != 1;
		bad += atomic_read(&j->f[i].c.polls) != i % 2 + 1;
		bad += atomic_read(&j->f[i].c.bad) != 0;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_LE(test, atomic_read(&j->w.c.polls), NR_BIG + 1);
	kunit_info(test, "join of %d futures: %d polls of the join_all\n",
		   NR_BIG, atomic_read(&j->w.c.polls));
	jcase_free(j);
}

static bool all_children(struct jcase *j, int nr, bool dropped)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (dropped && atomic_read(&j->f[i].c.drops) != 1)
			return false;
		if (!dropped && (atomic_read(&j->f[i].c.polls) != 1 ||
				 atomic_read(&j->f[i].c.in_poll)))
			return false;
	}
	return true;
}

/*
 * Cancelled while its children wait: every child is cancelled and dropped
 * once, no entry is left on any queue.
 */
static void join_all_cancel(struct kunit *test)
{
	struct axq_task *task;
	bool ok;
	struct jcase *j = jcase_new(test, NR_JOIN);
	long res;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, j);
	for (i = 0; i < NR_JOIN; i++) {
		/* Half finish, half wait for ever. */
		tfut_init(&j->f[i], i & 1 ? 0 : 1, i, i & 1 ? &j->wq : NULL);
		j->futs[i] = &j->f[i].base;
	}
	KUNIT_ASSERT_EQ(test, axq_join_all_init(&j->ja, j->futs, NR_JOIN,
						j->results, AXQ_PRIO_NORMAL,
						GFP_KERNEL), 0);
	task = run_start(test, &j->w, &j->ja.base);
	KUNIT_ASSERT_NOT_NULL(test, task);
	ok = poll_until(all_children(j, NR_JOIN, false) &&
			idle_after(&j->w, 1), WAIT_MS);
	if (run_cancel(test, &j->w, task, ok, &res))
		return;
	/* The cancelled children are dropped by their own tasks. */
	KUNIT_EXPECT_TRUE(test, poll_until(all_children(j, NR_JOIN, true),
					   WAIT_MS));
	if (!all_children(j, NR_JOIN, true))
		return;		/* leak them */
	for (i = 0; i < NR_JOIN; i++)
		tc_expect(test, &j->f[i].c, 1, "cancelled join_all child");
	KUNIT_EXPECT_FALSE(test, queue_hooked(&j->wq));
	jcase_free(j);
}

#define NR_FREE_ROUNDS	1000
#define NR_FREE_KIDS	8

/**
 * struct jfree - a join_all in memory of its own, freed once it is joined
 * @ja: the join_all
 * @w: its wrapper
 * @f: the children
 * @futs: pointers to them
 * @results: their results
 */
struct jfree {
	struct axq_join_all	ja;
	struct twrap		w;
	struct tfut		f[NR_FREE_KIDS];
	struct axq_future	*futs[NR_FREE_KIDS];
	long			results[NR_FREE_KIDS];
};

/*
 * Regression: a child's completion queued it on the join_all's list and
 * only then took the join_all's lock to wake its task; a poll on another
 * CPU could take the child in between, the join_all complete and its
 * owner free it (here: at once, kfree), and the lock was taken in freed
 * memory. Children ready at their first poll, so that their completions
 * race the join_all's polls; KASAN sees any use of a freed join_all.
 */
static void join_all_free_race(struct kunit *test)
{
	int r, i, bad = 0;
	struct jfree *j;
	long res;

	for (r = 0; r < NR_FREE_ROUNDS; r++) {
		j = kzalloc(sizeof(*j), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, j);
		for (i = 0; i < NR_FREE_KIDS; i++) {
			tfut_init(&j->f[i], 1, r + i, NULL);
			j->futs[i] = &j->f[i].base;
		}
		KUNIT_ASSERT_EQ(test, axq_join_all_init(&j->ja, j->futs,
							NR_FREE_KIDS,
							j->results,
							AXQ_PRIO_NORMAL,
							GFP_KERNEL), 0);
		if (run(test, &j->w, &j->ja.base, &res))
			return;		/* leak: the task may still use it */
		bad += res != 0;
		for (i = 0; i < NR_FREE_KIDS; i++) {
			bad += j->results[i] != r + i;
			bad += atomic_read(&j->f[i].c.drops) != 1;
		}
		kfree(j);
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
}

#define NR_HOOK_ROUNDS	2000
#define NR_HOOK_KIDS	4
#define HOOK_STALL_NS	(20 * NSEC_PER_MSEC)

/**
 * struct hstate - what the asyncx_complete probe of join_all_late_wake needs
 * @task: each child's task, set by the child's poll before its COMPLETE
 * @id: its id (the probe's key), set after @task (release)
 * @round: the round being run
 * @freed: rounds whose join_all has been freed
 * @early: children that completed before their entry was hooked
 * @stale: of those, children whose entry was still hooked once the
 *	join_all had been freed (the bug)
 * @timeouts: stalls that ended at HOOK_STALL_NS
 */
struct hstate {
	struct axq_task	*task[NR_HOOK_KIDS];
	u64		id[NR_HOOK_KIDS];
	int		round;
	int		freed;
	atomic_t	early;
	atomic_t	stale;
	atomic_t	timeouts;
};

/**
 * struct hfut - a child of join_all_late_wake: ready at its first poll
 * @base: the future
 * @s: the probe's state
 * @i: the child's index
 */
struct hfut {
	struct axq_future	base;
	struct hstate		*s;
	int			i;
};

static enum axq_poll hfut_poll(struct axq_future *fut, struct axq_context *cx,
			       long *out)
{
	struct hfut *f = container_of(fut, struct hfut, base);

	WRITE_ONCE(f->s->task[f->i], cx->task);
	/* Release: the probe that reads the id finds the task. */
	smp_store_release(&f->s->id[f->i], cx->task->id);
	*out = f->i;
	return AXQ_READY;
}

static void hfut_drop(struct axq_future *fut)
{
}

static const struct axq_future_ops hfut_ops = {
	.name	= "kunit_hook_child",
	.poll	= hfut_poll,
	.drop	= hfut_drop,
};

/*
 * Runs on the child's worker between its COMPLETE and its wake. A child
 * that completed before its entry was hooked is one that init will find
 * complete: hold its wake, as a stalled vCPU would, until the join_all
 * is freed, and see whether the entry is still on the child's queue.
 */
static void hook_probe(void *data, u64 id, long result)
{
	struct hstate *s = data;
	struct axq_task *task = NULL;
	int round = READ_ONCE(s->round), i;
	u64 end;

	for (i = 0; i < NR_HOOK_KIDS; i++) {
		/* Acquire: pairs with the release in hfut_poll(). */
		if (smp_load_acquire(&s->id[i]) == id) {
			task = READ_ONCE(s->task[i]);
			break;
		}
	}
	if (!task || queue_hooked(&task->join_wq))
		return;
	atomic_inc(&s->early);
	end = ktime_get_ns() + HOOK_STALL_NS;
	while (READ_ONCE(s->freed) <= round) {
		if (ktime_get_ns() > end) {
			atomic_inc(&s->timeouts);
			return;
		}
		cpu_relax();
	}
	if (queue_hooked(&task->join_wq))
		atomic_inc(&s->stale);
}

/**
 * struct hround - one round of join_all_late_wake, freed when it is joined
 * @ja: the join_all
 * @w: its wrapper
 * @f: the children
 * @futs: pointers to them
 * @results: their results
 */
struct hround {
	struct axq_join_all	ja;
	struct twrap		w;
	struct hfut		f[NR_HOOK_KIDS];
	struct axq_future	*futs[NR_HOOK_KIDS];
	long			results[NR_HOOK_KIDS];
};

/*
 * Regression: axq_join_all_init() found a child complete after hooking its
 * entry and pushed it, but left the entry on the child's completion queue.
 * When the child's CPU stalled between COMPLETE and the wake, the join_all
 * could complete and be freed first, and the wake then walked the freed
 * entry (KASAN: use-after-free in __wake_up_common, once in
 * join_all_free_race on the debug kernel under TCG). A probe on
 * asyncx_complete plays the stall for children that complete before their
 * entry is hooked: it holds the wake until the round's join_all is freed
 * and counts an entry still hooked then. Such children come from workers
 * that pick a child up while init is still hooking it: the count of them
 * is reported, and the rounds go on until there were 20 (or 2000 rounds).
 */
static void join_all_late_wake(struct kunit *test)
{
	struct hstate *s;
	struct hround *h;
	int r, i, bad = 0;
	long res;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	WRITE_ONCE(s->round, -1);
	KUNIT_ASSERT_EQ(test, register_trace_asyncx_complete(hook_probe, s), 0);
	for (r = 0; r < NR_HOOK_ROUNDS && atomic_read(&s->early) < 20; r++) {
		h = kzalloc(sizeof(*h), GFP_KERNEL);
		if (!h) {
			bad++;
			break;
		}
		for (i = 0; i < NR_HOOK_KIDS; i++) {
			WRITE_ONCE(s->id[i], 0);
			WRITE_ONCE(s->task[i], NULL);
			h->f[i] = (struct hfut){ .base.ops = &hfut_ops, .s = s, .i = i };
			h->futs[i] = &h->f[i].base;
		}
		WRITE_ONCE(s->round, r);
		if (axq_join_all_init(&h->ja, h->futs, NR_HOOK_KIDS, h->results,
				      AXQ_PRIO_NORMAL, GFP_KERNEL)) {
			bad++;
			kfree(h);
			break;
		}
		if (run(test, &h->w, &h->ja.base, &res)) {
			bad++;
			break;		/* leak: the task may still use it */
		}
		bad += res != 0;
		for (i = 0; i < NR_HOOK_KIDS; i++)
			bad += h->results[i] != i;
		kfree(h);
		WRITE_ONCE(s->freed, r + 1);
	}
	unregister_trace_asyncx_complete(hook_probe, s);
	tracepoint_synchronize_unregister();
	kunit_info(test, "%d rounds; %d children complete before their hook, %d left hooked past the free, %d stalls timed out\n",
		   r, atomic_read(&s->early), atomic_read(&s->stale),
		   atomic_read(&s->timeouts));
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->stale), 0);
}

/* --------------------------------------------------------------- select */

/**
 * struct scase - a select over three counted children
 * @sel: the select
 * @w: its wrapper
 * @f: the children
 * @futs: pointers to them
 * @wq: the queue children that never finish wait on
 */
struct scase {
	struct axq_select	sel;
	struct twrap		w;
	struct tfut		f[3];
	struct axq_future	*futs[3];
	struct wait_queue_head	wq;
};

static struct scase *scase_new(struct kunit *test, const int *ready_at)
{
	struct scase *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int i;

	if (!s)
		return NULL;
	init_waitqueue_head(&s->wq);
	for (i = 0; i < 3; i++) {
		tfut_init(&s->f[i], ready_at[i], 100 + i,
			  ready_at[i] ? NULL : &s->wq);
		s->futs[i] = &s->f[i].base;
	}
	axq_select_init(&s->sel, s->futs, 3);
	return s;
}

/* The middle child is ready at its third poll: it wins, all dropped. */
static void select_first_ready(struct kunit *test)
{
	static const int ready_at[3] = { 0, 3, 0 };
	struct scase *s = scase_new(test, ready_at);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, s);
	if (run(test, &s->w, &s->sel.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 101L);
	KUNIT_EXPECT_EQ(test, axq_select_winner(&s->sel), 1);
	tc_expect(test, &s->f[0].c, 3, "select loser 0");
	tc_expect(test, &s->f[1].c, 3, "select winner");
	tc_expect(test, &s->f[2].c, 2, "select loser 2");
	KUNIT_EXPECT_FALSE(test, queue_hooked(&s->wq));
}

/* All ready at the first poll: the lowest index wins, deterministically. */
static void select_simultaneous(struct kunit *test)
{
	static const int ready_at[3] = { 1, 1, 1 };
	struct scase *s = scase_new(test, ready_at);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, s);
	if (run(test, &s->w, &s->sel.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 100L);
	KUNIT_EXPECT_EQ(test, axq_select_winner(&s->sel), 0);
	tc_expect(test, &s->f[0].c, 1, "select winner");
	tc_expect(test, &s->f[1].c, 0, "select loser 1");
	tc_expect(test, &s->f[2].c, 0, "select loser 2");
}

/* Two ready at the same (second) poll: the lower one wins. */
static void select_simultaneous_later(struct kunit *test)
{
	static const int ready_at[3] = { 0, 2, 2 };
	struct scase *s = scase_new(test, ready_at);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, s);
	if (run(test, &s->w, &s->sel.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 101L);
	KUNIT_EXPECT_EQ(test, axq_select_winner(&s->sel), 1);
	tc_expect(test, &s->f[2].c, 1, "select loser 2");
	KUNIT_EXPECT_FALSE(test, queue_hooked(&s->wq));
}

/* Cancelled while every child waits: each dropped once, queue empty. */
static void select_cancel(struct kunit *test)
{
	struct axq_task *task;
	bool ok;
	static const int ready_at[3] = { 0, 0, 0 };
	struct scase *s = scase_new(test, ready_at);
	long res;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	task = run_start(test, &s->w, &s->sel.base);
	KUNIT_ASSERT_NOT_NULL(test, task);
	ok = poll_until(idle_after(&s->w, 1), WAIT_MS);
	if (run_cancel(test, &s->w, task, ok, &res))
		return;
	for (i = 0; i < 3; i++)
		tc_expect(test, &s->f[i].c, 1, "cancelled select child");
	KUNIT_EXPECT_EQ(test, axq_select_winner(&s->sel), -1);
	KUNIT_EXPECT_FALSE(test, queue_hooked(&s->wq));
}

/* Two sleeps: the shorter wins; the longer's timer is cancelled. */
static void select_sleeps(struct kunit *test)
{
	struct {
		struct axq_select	sel;
		struct twrap		w, sw[2];
		struct axq_sleep	s[2];
		struct axq_future	*futs[2];
	} *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	long res;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	axq_sleep_init(&c->s[0], 60 * NSEC_PER_SEC);
	axq_sleep_init(&c->s[1], NSEC_PER_MSEC);
	for (i = 0; i < 2; i++) {
		twrap_init(&c->sw[i], &c->s[i].base);
		c->futs[i] = &c->sw[i].base;
	}
	axq_select_init(&c->sel, c->futs, 2);
	if (run(test, &c->w, &c->sel.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 0L);
	KUNIT_EXPECT_EQ(test, axq_select_winner(&c->sel), 1);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&c->sw[i].c.drops), 1);
		KUNIT_EXPECT_FALSE(test, hrtimer_active(&c->s[i].tw.timer));
	}
}

/* -------------------------------------------------------------- timeout */

/**
 * struct tocase - a timeout over a counted child
 * @t: the timeout
 * @w: its wrapper
 * @f: the child
 * @wq: the queue a child that never finishes waits on
 */
struct tocase {
	struct axq_timeout_fut	t;
	struct twrap		w;
	struct tfut		f;
	struct wait_queue_head	wq;
};

static struct tocase *tocase_new(struct kunit *test, int ready_at, u64 ns)
{
	struct tocase *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	init_waitqueue_head(&c->wq);
	tfut_init(&c->f, ready_at, 5, ready_at ? NULL : &c->wq);
	axq_timeout_fut_init(&c->t, &c->f.base, ns);
	return c;
}

/* The deadline comes first: -ETIME, the inner future dropped once. */
static void timeout_expires(struct kunit *test)
{
	struct tocase *c = tocase_new(test, 0, NSEC_PER_MSEC);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	if (run(test, &c->w, &c->t.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)-ETIME);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->f.c.drops), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->f.c.bad), 0);
	KUNIT_EXPECT_FALSE(test, queue_hooked(&c->wq));
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&c->t.sleep.tw.timer));
}

/* The inner future first: its result; the timer cancelled. */
static void timeout_inner_first(struct kunit *test)
{
	struct tocase *c = tocase_new(test, 2, 60 * NSEC_PER_SEC);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	if (run(test, &c->w, &c->t.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 5L);
	tc_expect(test, &c->f.c, 2, "timeout inner");
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&c->t.sleep.tw.timer));
}

/* Both due at the first poll: the inner result wins. */
static void timeout_tie(struct kunit *test)
{
	struct tocase *c = tocase_new(test, 1, 0);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	if (run(test, &c->w, &c->t.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 5L);
	tc_expect(test, &c->f.c, 1, "timeout inner");
}

/* Cancelled while both wait: inner dropped once, timer cancelled. */
static void timeout_cancel(struct kunit *test)
{
	struct axq_task *task;
	bool ok;
	struct tocase *c = tocase_new(test, 0, 60 * NSEC_PER_SEC);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	task = run_start(test, &c->w, &c->t.base);
	KUNIT_ASSERT_NOT_NULL(test, task);
	ok = poll_until(idle_after(&c->w, 1) &&
			hrtimer_active(&c->t.sleep.tw.timer), WAIT_MS);
	if (run_cancel(test, &c->w, task, ok, &res))
		return;
	tc_expect(test, &c->f.c, 1, "cancelled timeout inner");
	KUNIT_EXPECT_FALSE(test, queue_hooked(&c->wq));
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&c->t.sleep.tw.timer));
}

/*
 * A sleep racing a timeout of about the same length, many times. An inner
 * deadline no later than the timeout's always wins (it is polled first);
 * otherwise either may. Every inner future is dropped once.
 */
static void timeout_race(struct kunit *test)
{
	struct {
		struct axq_timeout_fut	t;
		struct twrap		w, iw;
		struct axq_sleep	s;
	} *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int i, won = 0, timed_out = 0;
	long res;
	u64 ns;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < NR_RACE; i++) {
		ns = 200 * NSEC_PER_USEC;
		/*
		 * Inner deadline 20 us before, at about, or 2 ms after the
		 * timeout's (then either may win, by when the task runs).
		 */
		axq_sleep_init(&c->s, ns + (i % 3 == 2 ? 2 * NSEC_PER_MSEC :
					    (i % 3 - 1) * 20 * NSEC_PER_USEC));
		twrap_init(&c->iw, &c->s.base);
		axq_timeout_fut_init(&c->t, &c->iw.base, ns);
		if (run(test, &c->w, &c->t.base, &res))
			return;
		KUNIT_EXPECT_TRUE(test, res == 0 || res == -ETIME);
		if (!ktime_after(c->s.deadline, c->t.sleep.deadline))
			KUNIT_EXPECT_EQ(test, res, 0L);
		KUNIT_EXPECT_EQ(test, atomic_read(&c->iw.c.drops), 1);
		KUNIT_EXPECT_FALSE(test, hrtimer_active(&c->s.tw.timer));
		KUNIT_EXPECT_FALSE(test, hrtimer_active(&c->t.sleep.tw.timer));
		if (res)
			timed_out++;
		else
			won++;
	}
	kunit_info(test, "%d races: inner won %d, timed out %d\n", NR_RACE,
		   won, timed_out);
}

/* ---------------------------------------------------------------- retry */

/**
 * struct rcase - a retry whose attempts are counted child futures
 * @r: the retry
 * @w: its wrapper
 * @cfg: its policy
 * @att: the attempts
 * @result: what attempt i returns
 * @ready_at: when each attempt is ready (0: never, waits on @wq)
 * @rnd: what the policy's random source returns, in turn
 * @nr_rnd: random numbers drawn
 * @delays: the recorded backoff delays
 * @made: attempts the factory made
 * @wq: the queue attempts that never finish wait on
 */
struct rcase {
	struct axq_retry	r;
	struct twrap		w;
	struct axq_retry_cfg	cfg;
	struct tfut		att[NR_ATTEMPTS];
	long			result[NR_ATTEMPTS];
	int			ready_at;
	u32			rnd[NR_ATTEMPTS];
	int			nr_rnd;
	u64			delays[NR_ATTEMPTS];
	int			made;
	struct wait_queue_head	wq;
};

static struct axq_future *rcase_make(void *arg, unsigned int attempt)
{
	struct rcase *c = arg;

	if (attempt >= NR_ATTEMPTS || c->result[attempt] == -E2BIG)
		return ERR_PTR(-E2BIG);
	c->made++;
	tfut_init(&c->att[attempt], c->ready_at, c->result[attempt],
		  c->ready_at ? NULL : &c->wq);
	return &c->att[attempt].base;
}

static bool rcase_retry(long err, void *arg)
{
	return err == -EAGAIN;
}

static u32 rcase_rand(void *arg)
{
	struct rcase *c = arg;

	return c->nr_rnd < NR_ATTEMPTS ? c->rnd[c->nr_rnd++] : 0;
}

static struct rcase *rcase_new(struct kunit *test, unsigned int max,
			       u64 base, u64 cap, unsigned int jitter)
{
	struct rcase *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	init_waitqueue_head(&c->wq);
	c->ready_at = 1;
	c->cfg.max_attempts = max;
	c->cfg.base_ns = base;
	c->cfg.cap_ns = cap;
	c->cfg.jitter_pct = jitter;
	c->cfg.should_retry = rcase_retry;
	c->cfg.rand = rcase_rand;
	axq_retry_init(&c->r, &c->cfg, rcase_make, c, c->delays);
	return c;
}

/* Each attempt made was dropped exactly once. */
static void rcase_expect(struct kunit *test, struct rcase *c, int made)
{
	int i;

	KUNIT_EXPECT_EQ(test, c->made, made);
	KUNIT_EXPECT_EQ(test, c->r.attempts, (unsigned int)made);
	for (i = 0; i < made; i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&c->att[i].c.drops), 1);
	KUNIT_EXPECT_FALSE(test, hrtimer_active(&c->r.sleep.tw.timer));
	KUNIT_EXPECT_FALSE(test, queue_hooked(&c->wq));
}

/*
 * Four retryable failures, then success, within five attempts: five
 * attempts and exactly the delays the policy gives (base 100 us doubling,
 * cap 350 us, jitter 50 % drawn from a fixed sequence).
 */
static void retry_schedule(struct kunit *test)
{
	static const u64 want[4] = { 100000, 100001, 262500, 350000 };
	struct rcase *c = rcase_new(test, 5, 100000, 350000, 50);
	long res;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < 4; i++)
		c->result[i] = -EAGAIN;
	c->result[4] = 7;
	c->rnd[0] = 0;			/* no jitter */
	c->rnd[1] = U32_MAX;		/* the whole 50 %, less rounding */
	c->rnd[2] = 1U << 31;		/* half of it */
	c->rnd[3] = 0;
	if (run(test, &c->w, &c->r.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, 7L);
	rcase_expect(test, c, 5);
	KUNIT_EXPECT_EQ(test, c->nr_rnd, 4);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ_MSG(test, c->delays[i], want[i], "delay %d", i);
	KUNIT_EXPECT_EQ(test, c->delays[4], 0ULL);
}

/* Always failing: max_attempts attempts, the last error. */
static void retry_exhausted(struct kunit *test)
{
	struct rcase *c = rcase_new(test, 3, 1000, 1000000, 0);
	long res;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < NR_ATTEMPTS; i++)
		c->result[i] = -EAGAIN;
	if (run(test, &c->w, &c->r.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)-EAGAIN);
	rcase_expect(test, c, 3);
	KUNIT_EXPECT_EQ(test, c->delays[0], 1000ULL);
	KUNIT_EXPECT_EQ(test, c->delays[1], 2000ULL);
	KUNIT_EXPECT_EQ(test, c->delays[2], 0ULL);
}

/* An error the predicate does not retry ends at once. */
static void retry_not_retryable(struct kunit *test)
{
	struct rcase *c = rcase_new(test, 5, 1000, 1000000, 0);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->result[0] = -EAGAIN;
	c->result[1] = -EINVAL;
	if (run(test, &c->w, &c->r.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)-EINVAL);
	rcase_expect(test, c, 2);
	KUNIT_EXPECT_EQ(test, c->nr_rnd, 1);
}

/* The factory fails: its error ends the retry. */
static void retry_factory_error(struct kunit *test)
{
	struct rcase *c = rcase_new(test, 5, 1000, 1000000, 0);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->result[0] = -EAGAIN;
	c->result[1] = -E2BIG;		/* rcase_make() refuses */
	if (run(test, &c->w, &c->r.base, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)-E2BIG);
	KUNIT_EXPECT_EQ(test, c->made, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->att[0].c.drops), 1);
}

/* Cancelled during the backoff: the timer cancelled, nothing left. */
static void retry_cancel_backoff(struct kunit *test)
{
	struct axq_task *task;
	bool ok;
	struct rcase *c = rcase_new(test, 5, 60 * NSEC_PER_SEC,
				    60 * NSEC_PER_SEC, 0);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->result[0] = -EAGAIN;
	task = run_start(test, &c->w, &c->r.base);
	KUNIT_ASSERT_NOT_NULL(test, task);
	ok = poll_until(idle_after(&c->w, 1) &&
			hrtimer_active(&c->r.sleep.tw.timer), WAIT_MS);
	if (run_cancel(test, &c->w, task, ok, &res))
		return;
	rcase_expect(test, c, 1);
}

/* Cancelled while an attempt waits: that attempt dropped once. */
static void retry_cancel_attempt(struct kunit *test)
{
	struct axq_task *task;
	bool ok;
	struct rcase *c = rcase_new(test, 5, 1000, 1000000, 0);
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->ready_at = 0;
	task = run_start(test, &c->w, &c->r.base);
	KUNIT_ASSERT_NOT_NULL(test, task);
	ok = poll_until(idle_after(&c->w, 1) && queue_hooked(&c->wq),
			WAIT_MS);
	if (run_cancel(test, &c->w, task, ok, &res))
		return;
	rcase_expect(test, c, 1);
}

/* The backoff formula on its own: doubling, cap, overflow, jitter. */
static void retry_backoff_values(struct kunit *test)
{
	struct axq_retry_cfg cfg = {
		.base_ns = 1000, .cap_ns = 10000, .jitter_pct = 0,
	};

	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 1, 0), 1000ULL);
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 2, 0), 2000ULL);
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 4, U32_MAX), 8000ULL);
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 5, 0), 10000ULL);
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 200, 0), 10000ULL);
	cfg.jitter_pct = 100;
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 1, 0), 1000ULL);
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 1, 1U << 31), 500ULL);
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 1, U32_MAX), 1ULL);
	cfg.cap_ns = U64_MAX;
	cfg.jitter_pct = 0;
	KUNIT_EXPECT_EQ(test, axq_retry_backoff(&cfg, 100, 0), U64_MAX);
}

static struct kunit_case asyncx_combinator_cases[] = {
	KUNIT_CASE(join_all_normal),
	KUNIT_CASE(join_all_empty),
	KUNIT_CASE(join_all_10k),
	KUNIT_CASE(join_all_cancel),
	KUNIT_CASE(join_all_free_race),
	KUNIT_CASE(join_all_late_wake),
	KUNIT_CASE(select_first_ready),
	KUNIT_CASE(select_simultaneous),
	KUNIT_CASE(select_simultaneous_later),
	KUNIT_CASE(select_cancel),
	KUNIT_CASE(select_sleeps),
	KUNIT_CASE(timeout_expires),
	KUNIT_CASE(timeout_inner_first),
	KUNIT_CASE(timeout_tie),
	KUNIT_CASE(timeout_cancel),
	KUNIT_CASE(timeout_race),
	KUNIT_CASE(retry_schedule),
	KUNIT_CASE(retry_exhausted),
	KUNIT_CASE(retry_not_retryable),
	KUNIT_CASE(retry_factory_error),
	KUNIT_CASE(retry_cancel_backoff),
	KUNIT_CASE(retry_cancel_attempt),
	KUNIT_CASE(retry_backoff_values),
	{}
};

static struct kunit_suite asyncx_combinator_suite = {
	.name = "asyncx_combinator",
	.test_cases = asyncx_combinator_cases,
};

kunit_test_suites(&asyncx_combinator_suite);
