// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the runtime's KUnit suites (see kunit_util.h).
 */
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "kunit_util.h"

/* At the start of a poll; returns the poll's number, from 1. */
int tc_enter(struct tcount *c)
{
	if (atomic_inc_return(&c->in_poll) != 1 || atomic_read(&c->ready) ||
	    atomic_read(&c->drops))
		atomic_inc(&c->bad);
	return atomic_inc_return(&c->polls);
}

enum axq_poll tc_leave(struct tcount *c, enum axq_poll ret)
{
	if (ret == AXQ_READY)
		atomic_set(&c->ready, 1);
	atomic_dec(&c->in_poll);
	return ret;
}

void tc_drop(struct tcount *c)
{
	if (atomic_read(&c->in_poll))
		atomic_inc(&c->bad);
	atomic_inc(&c->drops);
}

void tc_expect(struct kunit *test, struct tcount *c, int polls,
	       const char *what)
{
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->polls), polls,
			    "%s: polls", what);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->drops), 1,
			    "%s: drops", what);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->bad), 0,
			    "%s: polls after READY or drop, overlapping polls or drop during a poll",
			    what);
}

struct axq_task *tspawn(struct kunit *test, struct axq_future *fut,
			enum axq_prio prio)
{
	struct axq_task *task = axq_spawn(fut, prio, GFP_KERNEL);

	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(task), "spawn: %ld",
			       PTR_ERR_OR_ZERO(task));
	return IS_ERR(task) ? NULL : task;
}

/*
 * Join @task within @timeout, with the result in *@res. A task still live
 * then fails the case, is cancelled and gets GRACE_TIMEOUT more.
 */
int tjoin(struct kunit *test, struct axq_task *task, long *res,
	  unsigned long timeout)
{
	int ret;

	*res = LONG_MIN;
	ret = axq_join_timeout(task, res, timeout);
	if (ret) {
		KUNIT_FAIL(test, "join: %d after %u ms; cancelling", ret,
			   jiffies_to_msecs(timeout));
		axq_task_cancel(task);
		axq_join_timeout(task, NULL, GRACE_TIMEOUT);
	}
	return ret;
}

/* A kthread, optionally bound to @cpu (-1: any), that kthread_stop() may
 * reap whether or not it has returned already.
 */
struct task_struct *tthread_start(int (*fn)(void *), void *arg, int cpu)
{
	struct task_struct *k;

	k = kthread_create(fn, arg, "axq_test/%d", cpu);
	if (IS_ERR(k))
		return k;
	if (cpu >= 0)
		kthread_bind(k, cpu);
	get_task_struct(k);
	wake_up_process(k);
	return k;
}

int tthread_stop(struct task_struct *k)
{
	int ret = kthread_stop(k);

	put_task_struct(k);
	return ret;
}

static enum axq_poll blocker_poll(struct axq_future *fut,
				  struct axq_context *cx, long *out)
{
	struct blocker *b = container_of(fut, struct blocker, base);
	struct blockers *set = b->set;

	tc_enter(&b->c);
	atomic_inc(&set->spinning);
	/* Busy: a poll must not sleep, and this one must keep its worker. */
	while (!READ_ONCE(set->release) && time_before(jiffies, set->deadline))
		cpu_relax();
	*out = READ_ONCE(set->release) ? 0 : -ETIMEDOUT;
	return tc_leave(&b->c, AXQ_READY);
}

static void blocker_drop(struct axq_future *fut)
{
	tc_drop(&container_of(fut, struct blocker, base)->c);
}

const struct axq_future_ops blocker_ops = {
	.name	= "kunit_blocker",
	.poll	= blocker_poll,
	.drop	= blocker_drop,
};

/* Occupy every worker; false (and the case failed) if they did not all
 * start spinning. blockers_stop() must follow either way.
 */
void blockers_stop(struct kunit *test, struct blockers *set)
{
	bool live = false;
	unsigned int i;
	long res;

	WRITE_ONCE(set->release, 1);
	for (i = 0; i < set->nr; i++) {
		if (!set->t[i])
			continue;
		if (!tjoin(test, set->t[i], &res, BLOCK_JOIN)) {
			KUNIT_EXPECT_EQ_MSG(test, res, 0L,
					    "blocker spun past its deadline");
			tc_expect(test, &set->b[i].c, 1, "blocker");
		}
		live |= !axq_task_is_complete(set->t[i]);
		axq_task_put(set->t[i]);
	}
	if (!live)
		kfree(set->b);
	kfree(set->t);
}
