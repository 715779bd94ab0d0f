// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_executor: how the executor runs tasks — spread over
 * every online CPU by stealing, in priority order without starving the
 * low class, within a cooperative budget, and with workers that park when
 * idle and are woken again — read from futures that count and order their
 * polls and from the executor's counters (stats.h).
 *
 * As in asyncx_task, every future counts its polls and drops (struct
 * tcount), and a future is freed only once its task is complete; that of a
 * task still live after a failed join and a cancel is leaked instead.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include <asyncx/runtime.h>
#include "kunit_util.h"
#include "../stats.h"
#include "../task.h"

#define JOIN_TIMEOUT	(20 * HZ)	/* a case's tasks finish well within */
#define WAIT_MS		10000		/* for a state a case waits for */

/* ------------------------------------------------------------- counting */

/* ---------------------------------------------------------- task helpers */

/*
 * Join @nr tasks (NULL entries: never spawned) within @timeout in all. Late
 * ones fail the case, are cancelled and get GRACE_TIMEOUT more. Returns
 * how many are still live: 0 when their futures may be freed.
 */
static unsigned int join_all(struct kunit *test, struct axq_task **t,
			     unsigned int nr, unsigned long timeout)
{
	unsigned long end = jiffies + timeout;
	unsigned int i, late = 0, live = 0;

	for (i = 0; i < nr; i++)
		if (t[i] && axq_join_timeout(t[i], NULL,
					     max_t(long, end - jiffies, 1)))
			late++;
	if (!late)
		return 0;
	KUNIT_FAIL(test, "%u of %u tasks not complete after %u ms; cancelling",
		   late, nr, jiffies_to_msecs(timeout));
	for (i = 0; i < nr; i++)
		if (t[i])
			axq_task_cancel(t[i]);
	end = jiffies + GRACE_TIMEOUT;
	for (i = 0; i < nr; i++)
		if (t[i] && axq_join_timeout(t[i], NULL,
					     max_t(long, end - jiffies, 1)))
			live++;
	return live;
}

/* ---------------------------------------------------- trivial futures */

#define WAIT_ALL_MAX	(5 * HZ)

/**
 * struct batch - trivial tasks, each ready at its first poll
 * @seq: polls of the batch so far; each poll takes the next number
 * @delay_us: how long each poll busy-waits
 * @wait_all: a poll also busy-waits, at most WAIT_ALL_MAX, until every
 *	online CPU has polled one: a CPU whose vCPU the host descheduled for
 *	a while still gets its share, so "ran on every CPU" depends on the
 *	executor only, not on how busy the host is
 * @ran: the CPUs whose workers polled them
 * @nr: the number of tasks
 * @f: the futures
 * @t: their join handles
 */
struct batch {
	atomic_t		seq;
	unsigned int		delay_us;
	bool			wait_all;
	struct cpumask		ran;
	unsigned int		nr;
	struct trivf		*f;
	struct axq_task		**t;
};

/**
 * struct trivf - a trivial future of a batch
 * @base: the future
 * @c: its counts
 * @b: its batch
 * @seq: the batch's poll number of its poll (its result, too)
 * @prio: the class to spawn it in
 */
struct trivf {
	struct axq_future	base;
	struct tcount		c;
	struct batch		*b;
	int			seq;
	u8			prio;
};

static enum axq_poll trivf_poll(struct axq_future *fut, struct axq_context *cx,
				long *out)
{
	struct trivf *f = container_of(fut, struct trivf, base);
	struct batch *b = f->b;

	tc_enter(&f->c);
	/* A worker is bound to its CPU. */
	cpumask_set_cpu(raw_smp_processor_id(), &b->ran);
	f->seq = atomic_inc_return(&b->seq);
	if (b->delay_us)
		udelay(b->delay_us);
	if (b->wait_all) {
		unsigned long end = jiffies + WAIT_ALL_MAX;

		while (!cpumask_equal(&b->ran, cpu_online_mask) &&
		       time_before(jiffies, end))
			cpu_relax();
	}
	*out = f->seq;
	return tc_leave(&f->c, AXQ_READY);
}

static void trivf_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct trivf, base)->c);
}

static const struct axq_future_ops trivf_ops = {
	.name	= "kunit_trivial",
	.poll	= trivf_poll,
	.drop	= trivf_drop,
};

static struct batch *batch_new(struct kunit *test, unsigned int nr,
			       enum axq_prio prio, unsigned int delay_us)
{
	struct batch *b = kzalloc(sizeof(*b), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->f = kvcalloc(nr, sizeof(*b->f), GFP_KERNEL);
	b->t = kvcalloc(nr, sizeof(*b->t), GFP_KERNEL);
	if (!b->f || !b->t) {
		kvfree(b->f);
		kvfree(b->t);
		kfree(b);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	b->nr = nr;
	b->delay_us = delay_us;
	for (i = 0; i < nr; i++) {
		b->f[i].base.ops = &trivf_ops;
		b->f[i].b = b;
		b->f[i].prio = prio;
	}
	return b;
}

/*
 * Join a batch's tasks; check each was polled once, dropped once, with its
 * poll number as result; put the handles and free the batch unless a task
 * is still live. Returns false if some task did not complete in time.
 */
static bool batch_finish(struct kunit *test, struct batch *b,
			 unsigned long timeout)
{
	unsigned int i, spawned = 0, wrong = 0, live;
	long res;

	live = join_all(test, b->t, b->nr, timeout);
	for (i = 0; i < b->nr; i++) {
		struct trivf *f = &b->f[i];

		if (!b->t[i] || !axq_task_is_complete(b->t[i]))
			continue;
		spawned++;
		res = axq_task_result(b->t[i]);
		if (atomic_read(&f->c.polls) != 1 ||
		    atomic_read(&f->c.drops) != 1 ||
		    atomic_read(&f->c.bad) || res != f->seq) {
			if (!wrong++)
				tc_expect(test, &f->c, 1, "first wrong task");
			if (wrong == 1)
				KUNIT_EXPECT_EQ(test, res, (long)f->seq);
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, wrong, 0,
			    "tasks not polled once and dropped once");
	for (i = 0; i < b->nr; i++)
		if (b->t[i])
			axq_task_put(b->t[i]);
	if (!live) {
		kvfree(b->f);
		kvfree(b->t);
		kfree(b);
	}
	return !live;
}

/**
 * struct rootf - a future whose only poll spawns a batch: from inside a
 * worker, so into that worker's own run queues
 * @base: the future
 * @c: its counts
 * @b: the batch, each task in its @prio, in order
 * @refused: spawns that failed
 * @cpu: the CPU it ran on
 * @plug: spawn the batch into a plug, queued at the end of the poll
 */
struct rootf {
	struct axq_future	base;
	struct tcount		c;
	struct batch		*b;
	unsigned int		refused;
	int			cpu;
	bool			plug;
};

static enum axq_poll rootf_poll(struct axq_future *fut, struct axq_context *cx,
				long *out)
{
	struct rootf *r = container_of(fut, struct rootf, base);
	struct batch *b = r->b;
	struct axq_task *t;
	unsigned int i;

	struct axq_plug plug;

	tc_enter(&r->c);
	r->cpu = raw_smp_processor_id();
	axq_plug_init(&plug);
	for (i = 0; i < b->nr; i++) {
		if (r->plug)
			t = axq_spawn_plug(&plug, &b->f[i].base, b->f[i].prio,
					   GFP_ATOMIC);
		else
			t = axq_spawn(&b->f[i].base, b->f[i].prio, GFP_ATOMIC);
		r->refused += IS_ERR(t);
		b->t[i] = IS_ERR(t) ? NULL : t;
	}
	/* None of a plug's tasks was polled yet: this worker is busy here. */
	if (r->plug && atomic_read(&b->seq))
		r->refused += b->nr;
	axq_unplug(&plug);
	*out = 0;
	return tc_leave(&r->c, AXQ_READY);
}

static void rootf_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct rootf, base)->c);
}

static const struct axq_future_ops rootf_ops = {
	.name	= "kunit_root",
	.poll	= rootf_poll,
	.drop	= rootf_drop,
};

/*
 * Join the task @t that runs @r, then put it. Returns 0 when its batch is
 * spawned, -ETIMEDOUT when it was late, -EBUSY when it is still live (and
 * @r must be leaked).
 */
static int root_finish(struct kunit *test, struct axq_task *t,
		       struct rootf *r)
{
	int ret = -EBUSY;
	long res;

	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		tc_expect(test, &r->c, 1, "spawning task");
		KUNIT_EXPECT_EQ(test, r->refused, 0U);
		ret = 0;
	} else if (axq_task_is_complete(t)) {
		ret = -ETIMEDOUT;
	}
	axq_task_put(t);
	return ret;
}

/* ------------------------------------------------------------- blockers */

static bool blockers_start(struct kunit *test, struct blockers *set,
			   unsigned int nr)
{
	unsigned int i;

	memset(set, 0, sizeof(*set));
	set->deadline = jiffies + BLOCK_MAX;
	if (!nr)
		return true;
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

#define SPREAD_NR	240	/* fits one run queue: no overflow */
#define SPREAD_US	1000	/* each task's busy time */

struct spawner {
	struct batch		*b;
	struct rootf		*root;
	struct axq_task		*root_task;
	int			cpu;
	struct completion	done;
};

/* On one CPU: spawn a batch, or a task that spawns it. */
static int spawner_fn(void *data)
{
	struct spawner *s = data;
	struct axq_task *t = NULL;
	unsigned int i;

	s->cpu = raw_smp_processor_id();
	if (s->root) {
		t = axq_spawn(&s->root->base, AXQ_PRIO_NORMAL, GFP_KERNEL);
		s->root_task = IS_ERR(t) ? NULL : t;
	}
	for (i = 0; !s->root && i < s->b->nr && !IS_ERR(t); i++) {
		t = axq_spawn(&s->b->f[i].base, AXQ_PRIO_NORMAL, GFP_KERNEL);
		s->b->t[i] = IS_ERR(t) ? NULL : t;
	}
	complete(&s->done);
	return PTR_ERR_OR_ZERO(t);
}

/*
 * Run spawner_fn(@s) in a kthread bound to @cpu and wait until it is done;
 * false (and the case failed) when the thread could not start.
 */
static bool spawner_run(struct kunit *test, struct spawner *s, int cpu)
{
	struct task_struct *k;

	init_completion(&s->done);
	k = tthread_start(spawner_fn, s, cpu);
	if (IS_ERR(k)) {
		KUNIT_FAIL(test, "kthread: %ld", PTR_ERR(k));
		return false;
	}
	/* A kthread stopped before it ran returns -EINTR unrun. */
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&s->done,
							    JOIN_TIMEOUT));
	KUNIT_EXPECT_EQ(test, tthread_stop(k), 0);
	return true;
}

/*
 * Work spawned on one CPU runs on all: 240 tasks of 1 ms spawned by a
 * kthread bound to CPU 0 (through the injection queue), then 240 spawned
 * by a task that a kthread on CPU 0 spawned (into one worker's own queue,
 * which other workers can only steal from). Each time every online CPU
 * polls some (see &batch.wait_all), and the stolen counter grows.
 */
static void spread_and_steal(struct kunit *test)
{
	int cpu0 = cpu_online(0) ? 0 : cpumask_first(cpu_online_mask);
	struct axq_stats before, after;
	struct spawner s = {};
	struct rootf *root;
	struct batch *b;
	u64 t0;
	int pass;

	root = kzalloc(sizeof(*root), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, root);
	root->base.ops = &rootf_ops;
	axq_stats_sum(&before);
	for (pass = 0; pass < 2; pass++) {
		b = batch_new(test, SPREAD_NR, AXQ_PRIO_NORMAL, SPREAD_US);
		b->wait_all = true;
		s.b = b;
		s.root = pass ? root : NULL;
		root->b = b;
		t0 = ktime_get_ns();
		if (!spawner_run(test, &s, cpu0)) {
			batch_finish(test, b, JOIN_TIMEOUT);
			break;
		}
		KUNIT_EXPECT_EQ(test, s.cpu, cpu0);
		if (s.root_task &&
		    root_finish(test, s.root_task, root) == -EBUSY) {
			root = NULL;		/* live: leak */
			break;			/* and the batch it spawns */
		}
		if (join_all(test, b->t, b->nr, JOIN_TIMEOUT)) {
			batch_finish(test, b, JOIN_TIMEOUT);
			break;
		}
		t0 = ktime_get_ns() - t0;
		kunit_info(test, "%s: %u x %u us on CPUs %*pbl in %llu ms\n",
			   pass ? "spawned by a task" : "spawned by a kthread",
			   SPREAD_NR, SPREAD_US, cpumask_pr_args(&b->ran),
			   t0 / NSEC_PER_MSEC);
		KUNIT_EXPECT_TRUE_MSG(test, cpumask_equal(&b->ran, cpu_online_mask),
				      "%s: ran on %*pbl of %*pbl",
				      pass ? "spawned by a task" : "spawned by a kthread",
				      cpumask_pr_args(&b->ran),
				      cpumask_pr_args(cpu_online_mask));
		batch_finish(test, b, JOIN_TIMEOUT);
	}
	axq_stats_sum(&after);
	kunit_info(test, "stolen: %llu\n", after.stolen - before.stolen);
	if (num_online_cpus() > 1)
		KUNIT_EXPECT_GT(test, after.stolen, before.stolen);
	kfree(root);
}

#define INJECT_NR	20000	/* far more than a run queue holds */

/*
 * A thread (not a worker) spawns 20,000 trivial tasks through the
 * injection queue, faster than one worker runs them, so that the queue
 * grows long: each is polled once and dropped once (batch_finish()), none
 * lost or run twice as workers take from the queue's front in turns while
 * the thread adds at its back. Regression: a take put the untaken rest
 * back by walking it, quadratic in the queue's length.
 */
static void long_injection(struct kunit *test)
{
	int cpu0 = cpu_online(0) ? 0 : cpumask_first(cpu_online_mask);
	struct spawner s = {};
	struct batch *b;
	u64 t0;

	b = batch_new(test, INJECT_NR, AXQ_PRIO_NORMAL, 0);
	s.b = b;
	t0 = ktime_get_ns();
	if (!spawner_run(test, &s, cpu0)) {
		batch_finish(test, b, JOIN_TIMEOUT);
		return;
	}
	if (batch_finish(test, b, JOIN_TIMEOUT))
		kunit_info(test, "%u tasks spawned by a kthread ran in %llu ms\n",
			   INJECT_NR, (ktime_get_ns() - t0) / NSEC_PER_MSEC);
}

#define PLUG_NR		600	/* more than a run queue holds */

/*
 * Tasks spawned into a plug (axq_spawn_plug()) wait until axq_unplug():
 * 600 from a thread, in all three classes, none polled while the plug is
 * held (for 50 ms), each polled and dropped once after; then 600 from a
 * task's poll, into its worker's own queue at the unplug (the root counts
 * a task polled before it as refused). A plug is required.
 */
static void plug_batches(struct kunit *test)
{
	struct axq_future none = { .ops = &trivf_ops };
	struct axq_plug plug;
	struct rootf *root;
	struct axq_task *t;
	struct batch *b;
	unsigned int i;
	int polled;

	KUNIT_EXPECT_EQ(test, PTR_ERR(axq_spawn_plug(NULL, &none, AXQ_PRIO_NORMAL,
						     GFP_KERNEL)), -EINVAL);

	b = batch_new(test, PLUG_NR, AXQ_PRIO_NORMAL, 0);
	axq_plug_init(&plug);
	for (i = 0; i < PLUG_NR; i++) {
		b->f[i].prio = i % AXQ_NR_PRIO;
		t = axq_spawn_plug(&plug, &b->f[i].base, b->f[i].prio, GFP_KERNEL);
		KUNIT_EXPECT_FALSE(test, IS_ERR(t));
		b->t[i] = IS_ERR(t) ? NULL : t;
	}
	msleep(50);
	polled = atomic_read(&b->seq);
	axq_unplug(&plug);
	KUNIT_EXPECT_EQ_MSG(test, polled, 0, "polled before the unplug");
	if (!batch_finish(test, b, JOIN_TIMEOUT))
		return;

	root = kzalloc(sizeof(*root), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, root);
	root->base.ops = &rootf_ops;
	root->plug = true;
	root->b = batch_new(test, PLUG_NR, AXQ_PRIO_NORMAL, 0);
	t = tspawn(test, &root->base, AXQ_PRIO_NORMAL);
	if (!t) {
		batch_finish(test, root->b, JOIN_TIMEOUT);
		kfree(root);
		return;
	}
	if (root_finish(test, t, root) == -EBUSY)
		return;			/* live: leak the root and its batch */
	if (batch_finish(test, root->b, JOIN_TIMEOUT))
		kfree(root);
}

#define PRIO_NR		1000	/* tasks of each class */
#define PRIO_FIRST	200

/*
 * From inside a running task spawn 1000 LOW, then 1000 HIGH trivial tasks,
 * while every other worker is occupied (so that the order is the pick
 * order of one worker, not a race with thieves): the HIGH ones are polled
 * earlier on average, and most of the first 200 polls are HIGH ones.
 */
static void priorities(struct kunit *test)
{
	unsigned int i, high_first = 0, low_first = 0;
	u64 high_sum = 0, low_sum = 0;
	struct axq_task *rt = NULL;
	struct blockers set;
	struct rootf *root;
	struct batch *b;
	bool ok;

	root = kzalloc(sizeof(*root), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, root);
	root->base.ops = &rootf_ops;
	b = batch_new(test, 2 * PRIO_NR, AXQ_PRIO_LOW, 0);
	root->b = b;
	for (i = PRIO_NR; i < 2 * PRIO_NR; i++)
		b->f[i].prio = AXQ_PRIO_HIGH;
	ok = blockers_start(test, &set, num_online_cpus() - 1);
	if (ok)
		rt = tspawn(test, &root->base, AXQ_PRIO_NORMAL);
	if (rt && root_finish(test, rt, root) == -EBUSY) {
		blockers_stop(test, &set);
		return;			/* live: leak root and batch */
	}
	ok = rt && !root->refused;
	/* Until all ran, so the blockers keep their workers meanwhile. */
	if (ok)
		ok = !join_all(test, b->t, b->nr, JOIN_TIMEOUT);
	blockers_stop(test, &set);
	if (ok) {
		for (i = 0; i < 2 * PRIO_NR; i++) {
			bool high = i >= PRIO_NR;

			if (high)
				high_sum += b->f[i].seq;
			else
				low_sum += b->f[i].seq;
			if (b->f[i].seq <= PRIO_FIRST) {
				high_first += high;
				low_first += !high;
			}
		}
		kunit_info(test, "mean poll number HIGH %llu LOW %llu; first %d: %u HIGH %u LOW (spawned on CPU %d)\n",
			   high_sum / PRIO_NR, low_sum / PRIO_NR, PRIO_FIRST,
			   high_first, low_first, root->cpu);
		KUNIT_EXPECT_LT(test, high_sum, low_sum);
		KUNIT_EXPECT_GT(test, high_first, low_first);
	}
	batch_finish(test, b, JOIN_TIMEOUT);
	kfree(root);
}

/**
 * struct flood - HIGH tasks that wake themselves at every poll
 * @polls: polls of all of them
 * @stop: makes them ready at their next poll
 * @want_inner: makes one of them spawn @inner, LOW, from inside its poll
 * @inner_claimed: one did
 * @inner: the LOW batch of one spawned from inside
 * @inner_spawned_ns: when
 * @inner_task: its join handle (release store, acquire load)
 */
struct flood {
	atomic_t		polls;
	int			stop;
	int			want_inner;
	atomic_t		inner_claimed;
	struct batch		*inner;
	u64			inner_spawned_ns;
	struct axq_task		*inner_task;
};

struct floodf {
	struct axq_future	base;
	struct tcount		c;
	struct flood		*fl;
};

static enum axq_poll floodf_poll(struct axq_future *fut,
				 struct axq_context *cx, long *out)
{
	struct floodf *f = container_of(fut, struct floodf, base);
	struct flood *fl = f->fl;
	struct axq_task *t;

	tc_enter(&f->c);
	atomic_inc(&fl->polls);
	if (READ_ONCE(fl->stop)) {
		*out = 0;
		return tc_leave(&f->c, AXQ_READY);
	}
	if (READ_ONCE(fl->want_inner) && !atomic_xchg(&fl->inner_claimed, 1)) {
		fl->inner_spawned_ns = ktime_get_ns();
		t = axq_spawn(&fl->inner->f[0].base, AXQ_PRIO_LOW, GFP_ATOMIC);
		/* Release: pairs with the acquire in starvation(). */
		smp_store_release(&fl->inner_task, t);
	}
	axq_wake(axq_waker_get(cx));
	return tc_leave(&f->c, AXQ_PENDING);
}

static void floodf_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct floodf, base)->c);
}

static const struct axq_future_ops floodf_ops = {
	.name	= "kunit_flood",
	.poll	= floodf_poll,
	.drop	= floodf_drop,
};

#define STARVE_TIMEOUT	(5 * HZ)	/* "within a few seconds" */

/*
 * Two HIGH tasks per CPU wake themselves at every poll, so the HIGH class
 * is never empty; a LOW task spawned from outside (injection queue) and
 * one spawned by a flood task (a worker's own queue) still complete
 * within STARVE_TIMEOUT.
 */
static void starvation(struct kunit *test)
{
	unsigned int i, nr = 2 * num_online_cpus();
	struct batch *outer, *inner;
	struct axq_task **t, *it;
	struct floodf *f;
	struct flood *fl;
	u64 t0, outer_ns = 0, inner_ns = 0;
	long res;

	t = kunit_kcalloc(test, nr, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	/* One allocation: live flood tasks would use both. */
	fl = kzalloc(sizeof(*fl) + nr * sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fl);
	f = (struct floodf *)(fl + 1);
	outer = batch_new(test, 1, AXQ_PRIO_LOW, 0);
	inner = batch_new(test, 1, AXQ_PRIO_LOW, 0);
	fl->inner = inner;
	for (i = 0; i < nr; i++) {
		f[i].base.ops = &floodf_ops;
		f[i].fl = fl;
		t[i] = tspawn(test, &f[i].base, AXQ_PRIO_HIGH);
	}
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&fl->polls) >= 50 * nr,
					   WAIT_MS));

	t0 = ktime_get_ns();
	outer->t[0] = tspawn(test, &outer->f[0].base, AXQ_PRIO_LOW);
	if (outer->t[0] &&
	    !axq_join_timeout(outer->t[0], &res, STARVE_TIMEOUT))
		outer_ns = ktime_get_ns() - t0;
	KUNIT_EXPECT_NE_MSG(test, outer_ns, 0ULL,
			    "LOW task spawned from outside starved for %u ms",
			    jiffies_to_msecs(STARVE_TIMEOUT));

	WRITE_ONCE(fl->want_inner, 1);
	/* Acquire: pairs with the release in floodf_poll(). */
	if (poll_until(smp_load_acquire(&fl->inner_task), WAIT_MS)) {
		it = fl->inner_task;
		KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(it), "spawn: %ld",
				       PTR_ERR_OR_ZERO(it));
		if (!IS_ERR(it)) {
			inner->t[0] = it;
			if (!axq_join_timeout(it, &res, STARVE_TIMEOUT))
				inner_ns = ktime_get_ns() -
					   fl->inner_spawned_ns;
		}
	} else {
		KUNIT_FAIL(test, "no flood task spawned the inner LOW task");
		/* A late one would use @inner: keep it, with @fl and @f. */
		inner = NULL;
	}
	KUNIT_EXPECT_NE_MSG(test, inner_ns, 0ULL,
			    "LOW task spawned by a HIGH task starved for %u ms",
			    jiffies_to_msecs(STARVE_TIMEOUT));

	WRITE_ONCE(fl->stop, 1);
	kunit_info(test, "%u HIGH self-waking tasks, %d polls; LOW done after %llu us (outside) and %llu us (inside)\n",
		   nr, atomic_read(&fl->polls), outer_ns / NSEC_PER_USEC,
		   inner_ns / NSEC_PER_USEC);
	if (join_all(test, t, nr, JOIN_TIMEOUT))
		fl = NULL;			/* live: leak */
	for (i = 0; fl && i < nr; i++)
		if (t[i])
			tc_expect(test, &f[i].c, atomic_read(&f[i].c.polls),
				  "flood");
	for (i = 0; i < nr; i++)
		if (t[i])
			axq_task_put(t[i]);
	if (!inner)
		fl = NULL;			/* a late spawn would use it */
	kfree(fl);
	batch_finish(test, outer, JOIN_TIMEOUT);
	if (inner)
		batch_finish(test, inner, JOIN_TIMEOUT);
}

/* A task that wakes itself at every poll, forever. */
struct endlessf {
	struct axq_future	base;
	struct tcount		c;
};

static enum axq_poll endlessf_poll(struct axq_future *fut,
				   struct axq_context *cx, long *out)
{
	struct endlessf *f = container_of(fut, struct endlessf, base);

	tc_enter(&f->c);
	axq_wake(axq_waker_get(cx));
	return tc_leave(&f->c, AXQ_PENDING);
}

static void endlessf_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct endlessf, base)->c);
}

static const struct axq_future_ops endlessf_ops = {
	.name	= "kunit_endless",
	.poll	= endlessf_poll,
	.drop	= endlessf_drop,
};

#define BUDGET_NR	10000

/*
 * One task per CPU wakes itself forever, so every worker always has a
 * runnable task; a task spawned meanwhile spawns 10,000 trivial ones (into
 * its worker's queue, most of them overflowing to the injection queue):
 * all complete, since the budget and the periodic injection-queue checks
 * let them in. Then the endless tasks are cancelled.
 */
static void budget(struct kunit *test)
{
	unsigned int i, nr = num_online_cpus();
	struct axq_stats before, after;
	struct axq_task **t, *rt;
	struct endlessf *e;
	struct rootf *root;
	struct batch *b;
	u64 t0, t1 = 0;
	int polls = 0;
	long res;

	t = kunit_kcalloc(test, nr, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	/* One allocation: a live root uses both. */
	root = kzalloc(sizeof(*root) + nr * sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, root);
	e = (struct endlessf *)(root + 1);
	b = batch_new(test, BUDGET_NR, AXQ_PRIO_NORMAL, 0);
	root->base.ops = &rootf_ops;
	root->b = b;
	axq_stats_sum(&before);
	for (i = 0; i < nr; i++) {
		e[i].base.ops = &endlessf_ops;
		t[i] = tspawn(test, &e[i].base, AXQ_PRIO_NORMAL);
	}
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&e[i].c.polls) >= 10,
						   WAIT_MS));
	t0 = ktime_get_ns();
	rt = tspawn(test, &root->base, AXQ_PRIO_NORMAL);
	if (rt && root_finish(test, rt, root) == -EBUSY) {
		root = NULL;			/* live: leak it, e and b */
	} else {
		t1 = ktime_get_ns() - t0;
		batch_finish(test, b, JOIN_TIMEOUT);
	}
	t0 = ktime_get_ns() - t0;
	axq_stats_sum(&after);
	for (i = 0; i < nr; i++) {
		if (!t[i])
			continue;
		KUNIT_EXPECT_EQ(test, axq_task_cancel(t[i]), 0);
		if (!tjoin(test, t[i], &res, JOIN_TIMEOUT)) {
			KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
			tc_expect(test, &e[i].c, atomic_read(&e[i].c.polls),
				  "endless task");
		}
		polls += atomic_read(&e[i].c.polls);
		if (!axq_task_is_complete(t[i]))
			root = NULL;		/* live: leak */
		axq_task_put(t[i]);
	}
	kunit_info(test, "%d trivial tasks spawned in %llu ms, done in %llu ms, beside %u endless ones (%d polls); %llu yields\n",
		   BUDGET_NR, t1 / NSEC_PER_MSEC, t0 / NSEC_PER_MSEC, nr, polls,
		   after.yields - before.yields);
	KUNIT_EXPECT_GT(test, after.yields, before.yields);
	kfree(root);
}

#define PARK_TASKS	64
#define PARK_TARGET	16384		/* 64 x 16384 = 1,048,576 wakes */
#define PARK_BURST	1024		/* wakes between a waker's naps */
#define PARK_TIMEOUT	(60 * HZ)

/**
 * struct parkf - a task that completes once it observed PARK_TARGET wakes
 * @base: the future
 * @c: its counts
 * @wakes: wakes so far; a waker counts each before it wakes
 * @waker: published by the first poll (release store, acquire load)
 */
struct parkf {
	struct axq_future	base;
	struct tcount		c;
	atomic_t		wakes;
	struct axq_task		*waker;
};

/**
 * struct park_run - the tasks and the kthreads that wake them
 * @f: the futures
 * @pause: wakers nap while it is set, so that workers run out of work
 * @deadline: wakers give up then
 * @nr: the number of waker kthreads
 * @sent: wakes sent by each kthread
 */
struct park_run {
	struct parkf		f[PARK_TASKS];
	int			pause;
	unsigned long		deadline;
	unsigned int		nr;
	long			*sent;
};

struct park_arg {
	struct park_run	*r;
	unsigned int	idx;
};

static enum axq_poll parkf_poll(struct axq_future *fut, struct axq_context *cx,
				long *out)
{
	struct parkf *f = container_of(fut, struct parkf, base);
	int n = tc_enter(&f->c);

	if (n == 1)	/* Release: pairs with the acquire in park_waker_fn(). */
		smp_store_release(&f->waker, axq_waker_get(cx));
	if (atomic_read(&f->wakes) >= PARK_TARGET) {
		*out = n;
		return tc_leave(&f->c, AXQ_READY);
	}
	return tc_leave(&f->c, AXQ_PENDING);
}

static void parkf_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct parkf, base)->c);
}

static const struct axq_future_ops parkf_ops = {
	.name	= "kunit_park",
	.poll	= parkf_poll,
	.drop	= parkf_drop,
};

/* Wake every task in turn until each has had PARK_TARGET wakes. */
static int park_waker_fn(void *data)
{
	struct park_arg *a = data;
	struct park_run *r = a->r;
	unsigned int j, left;
	long sent = 0;

	do {
		left = 0;
		for (j = 0; j < PARK_TASKS; j++) {
			struct parkf *f = &r->f[(j + a->idx * 11) % PARK_TASKS];
			/* Acquire: pairs with the release in parkf_poll(). */
			struct axq_task *w = smp_load_acquire(&f->waker);

			if (!w) {
				left++;
				continue;
			}
			if (atomic_fetch_add_unless(&f->wakes, 1, PARK_TARGET) ==
			    PARK_TARGET)
				continue;
			left++;
			axq_wake_by_ref(w);
			if (!(++sent % PARK_BURST))
				usleep_range(50, 100);
		}
		while (READ_ONCE(r->pause) && !kthread_should_stop())
			usleep_range(1000, 2000);
		if (left && sent < PARK_BURST)
			cond_resched();
	} while (left && !kthread_should_stop() &&
		 time_before(jiffies, r->deadline));
	r->sent[a->idx] = sent;
	/*
	 * Out of time, or stopped: the caller stops the wakers once every
	 * task completed, which may be while this one is still in the pass
	 * that sent the last wake (left > 0 then, and nothing is missing:
	 * the caller counts the wakes sent).
	 */
	return left && !time_before(jiffies, r->deadline) ? -ETIMEDOUT : 0;
}

/*
 * Park and unpark: one kthread per online CPU sends 1,048,576 wakes in all
 * to 64 pending tasks, each of which completes once it has observed its
 * 16,384. The wakers pause now and then, so that the workers run out of
 * work and park: the parked counter grows, and every task completes (the
 * parked workers were woken).
 */
static void park_unpark(struct kunit *test)
{
	unsigned int i = 0, cpu, nr = num_online_cpus(), late = 0;
	struct axq_task *t[PARK_TASKS] = {};
	struct axq_stats before, after;
	struct task_struct **k;
	struct park_arg *a;
	struct park_run *r;
	unsigned long end;
	long sent = 0, polls = 0, res;
	bool live = false;
	int ret;
	u64 t0;

	k = kunit_kcalloc(test, nr, sizeof(*k), GFP_KERNEL);
	a = kunit_kcalloc(test, nr, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, a);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->sent = kunit_kcalloc(test, nr, sizeof(*r->sent), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->sent);
	r->nr = nr;
	r->deadline = jiffies + PARK_TIMEOUT;
	axq_stats_sum(&before);
	t0 = ktime_get_ns();
	for (i = 0; i < PARK_TASKS; i++) {
		r->f[i].base.ops = &parkf_ops;
		t[i] = tspawn(test, &r->f[i].base, AXQ_PRIO_NORMAL);
	}
	i = 0;
	for_each_online_cpu(cpu) {
		if (i == nr)
			break;
		a[i].r = r;
		a[i].idx = i;
		k[i] = tthread_start(park_waker_fn, &a[i], cpu);
		KUNIT_EXPECT_FALSE(test, IS_ERR(k[i]));
		i++;
	}
	/* Every 100 ms a 20 ms pause: the workers drain and park. */
	end = jiffies + PARK_TIMEOUT;
	for (;;) {
		for (i = 0; i < PARK_TASKS; i++)
			if (t[i] && !axq_task_is_complete(t[i]))
				break;
		if (i == PARK_TASKS || time_after(jiffies, end))
			break;
		msleep(100);
		WRITE_ONCE(r->pause, 1);
		msleep(20);
		WRITE_ONCE(r->pause, 0);
	}
	for (i = 0; i < PARK_TASKS; i++) {
		if (!t[i])
			continue;
		if (axq_join_timeout(t[i], &res, 1)) {
			/*
			 * Tell a slow machine from a lost wake: all its wakes
			 * sent and a "waiting" task (no flags) means a wake
			 * was lost; NOTIFIED means a queued task no worker
			 * ran; a short count means the wakers ran out of time.
			 */
			kunit_info(test, "late task %u: %d of %d wakes sent, %d polls, state %#lx\n",
				   i, atomic_read(&r->f[i].wakes), PARK_TARGET,
				   atomic_read(&r->f[i].c.polls),
				   atomic_long_read(&t[i]->state) & AXQ_T_FLAGS);
			late++;
			continue;
		}
		KUNIT_EXPECT_EQ(test, res, (long)atomic_read(&r->f[i].c.polls));
		KUNIT_EXPECT_LE(test, atomic_read(&r->f[i].c.polls),
				PARK_TARGET + 1);
		tc_expect(test, &r->f[i].c, atomic_read(&r->f[i].c.polls),
			  "task");
		polls += atomic_read(&r->f[i].c.polls);
	}
	t0 = ktime_get_ns() - t0;
	axq_stats_sum(&after);
	for (i = 0; i < nr; i++) {
		if (IS_ERR_OR_NULL(k[i]))
			continue;
		ret = tthread_stop(k[i]);
		/* -EINTR: stopped before it ran, the others did all. */
		if (!late && ret != -EINTR)
			KUNIT_EXPECT_EQ(test, ret, 0);
		sent += r->sent[i];
	}
	KUNIT_EXPECT_EQ_MSG(test, late, 0U, "tasks left pending after %u s",
			    jiffies_to_msecs(PARK_TIMEOUT) / 1000);
	kunit_info(test, "%ld wakes from %u kthreads, %ld polls, %llu ms; parked %llu times, woken %llu\n",
		   sent, nr, polls, t0 / NSEC_PER_MSEC,
		   after.parked - before.parked, after.woken - before.woken);
	if (!late)
		KUNIT_EXPECT_EQ(test, sent, (long)PARK_TASKS * PARK_TARGET);
	KUNIT_EXPECT_GT(test, after.parked, before.parked);

	for (i = 0; i < PARK_TASKS; i++) {
		if (!t[i])
			continue;
		if (!axq_task_is_complete(t[i])) {
			axq_task_cancel(t[i]);
			axq_join_timeout(t[i], NULL, GRACE_TIMEOUT);
		}
		live |= !axq_task_is_complete(t[i]);
		if (r->f[i].waker)
			axq_waker_put(r->f[i].waker);
		axq_task_put(t[i]);
	}
	if (!live)
		kfree(r);
}

/*
 * Regression: spawned from a task, blockers land in its worker's ring; the
 * first idle worker woken steals some while the others stay asleep (pushes
 * skip their wakeup while someone searches). A stealer that found work did
 * not pass the search on, so once the two workers were in their long polls
 * the rest of the blockers were stranded. Every worker must end up
 * spinning, round after round.
 */
#define SURPLUS_ROUNDS	5

struct surplusf {
	struct axq_future	base;
	struct blockers		*set;
	struct kunit		*test;
};

static enum axq_poll surplusf_poll(struct axq_future *fut,
				   struct axq_context *cx, long *out)
{
	struct surplusf *f = container_of(fut, struct surplusf, base);
	struct blockers *set = f->set;
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		set->t[i] = tspawn(f->test, &set->b[i].base, AXQ_PRIO_NORMAL);
	*out = 0;
	return AXQ_READY;
}

static const struct axq_future_ops surplusf_ops = {
	.name	= "kunit_surplus",
	.poll	= surplusf_poll,
};

static void surplus_spreads(struct kunit *test)
{
	unsigned int i, nr = num_online_cpus();
	struct surplusf root = { .test = test };
	struct blockers set;
	struct axq_task *t;
	int round;
	long res;

	for (round = 0; round < SURPLUS_ROUNDS; round++) {
		msleep(100);	/* let every worker park */
		memset(&set, 0, sizeof(set));
		set.deadline = jiffies + BLOCK_MAX;
		set.b = kcalloc(nr, sizeof(*set.b), GFP_KERNEL);
		set.t = kcalloc(nr, sizeof(*set.t), GFP_KERNEL);
		if (!set.b || !set.t) {
			KUNIT_FAIL(test, "out of memory");
			kfree(set.b);
			kfree(set.t);
			return;
		}
		set.nr = nr;
		for (i = 0; i < nr; i++) {
			set.b[i].base.ops = &blocker_ops;
			set.b[i].set = &set;
		}
		root.base.ops = &surplusf_ops;
		root.set = &set;
		t = tspawn(test, &root.base, AXQ_PRIO_NORMAL);
		if (t) {
			tjoin(test, t, &res, JOIN_TIMEOUT);
			axq_task_put(t);
		}
		if (!poll_until(atomic_read(&set.spinning) == nr, WAIT_MS))
			KUNIT_FAIL(test, "round %d: only %d of %u workers spin",
				   round, atomic_read(&set.spinning), nr);
		blockers_stop(test, &set);
	}
}

static struct kunit_case asyncx_executor_cases[] = {
	KUNIT_CASE(spread_and_steal),
	KUNIT_CASE(long_injection),
	KUNIT_CASE(plug_batches),
	KUNIT_CASE(priorities),
	KUNIT_CASE(starvation),
	KUNIT_CASE(budget),
	KUNIT_CASE(park_unpark),
	KUNIT_CASE(surplus_spreads),
	{}
};

static struct kunit_suite asyncx_executor_suite = {
	.name = "asyncx_executor",
	.test_cases = asyncx_executor_cases,
};

kunit_test_suites(&asyncx_executor_suite);
