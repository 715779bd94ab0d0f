// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_poller: the poller under ASYNCX_OP_POLL, READ and WRITE
 * (rt/poller.c), on a file of this suite whose ->poll() names wait queues the
 * case owns — readiness wakes, too many queues, and a queue that goes away
 * (POLLFREE) and is freed while the poller is still hooked elsewhere: under
 * KASAN any touch of the freed queue is reported.
 */
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <asyncx/wait.h>

#include "kunit_util.h"

#define JOIN_TIMEOUT	(20 * HZ)
#define WAIT_MS		10000
#define NR_QUEUES	3

/**
 * struct pfile - what the suite's file polls
 * @wq: the wait queues its ->poll() names (NULL ones are skipped)
 * @nr: how many of @wq it names
 * @mask: what its ->poll() returns
 */
struct pfile {
	struct wait_queue_head	*wq[NR_QUEUES];
	int			nr;
	atomic_t		mask;
};

static __poll_t pfile_poll(struct file *file, poll_table *pt)
{
	struct pfile *pf = file->private_data;
	int i;

	for (i = 0; i < pf->nr; i++)
		poll_wait(file, READ_ONCE(pf->wq[i]), pt);
	return (__force __poll_t)atomic_read(&pf->mask);
}

static const struct file_operations pfile_fops = {
	.owner	= THIS_MODULE,
	.poll	= pfile_poll,
};

/**
 * struct pfut - a future that polls a file with a poller
 * @base: the future
 * @poller: the poller
 * @polls: polls so far
 * @last: what the last axq_poller_poll() returned (or the mask)
 * @finish: become ready with @last at the next poll; until then every
 *	poll stays pending, even after an error
 */
struct pfut {
	struct axq_future	base;
	struct axq_poller	poller;
	atomic_t		polls;
	atomic_t		last;
	atomic_t		finish;
};

static enum axq_poll pfut_poll(struct axq_future *fut, struct axq_context *cx,
			       long *out)
{
	struct pfut *f = container_of(fut, struct pfut, base);
	__poll_t mask = 0;
	int ret;

	ret = axq_poller_poll(&f->poller, cx, &mask);
	atomic_set(&f->last, ret ? ret : (__force int)mask);
	atomic_inc(&f->polls);
	if ((ret || mask) && atomic_read(&f->finish)) {
		*out = atomic_read(&f->last);
		return AXQ_READY;
	}
	return AXQ_PENDING;
}

static void pfut_drop(struct axq_future *fut)
{
	struct pfut *f = container_of(fut, struct pfut, base);

	axq_poller_disarm(&f->poller);
}

static const struct axq_future_ops pfut_ops = {
	.name	= "kunit_poll",
	.poll	= pfut_poll,
	.drop	= pfut_drop,
};

/* Is an entry on @wq? Read under its lock. */
static bool queue_hooked(struct wait_queue_head *wq)
{
	bool ret;

	spin_lock_irq(&wq->lock);
	ret = !list_empty(&wq->head);
	spin_unlock_irq(&wq->lock);
	return ret;
}

/**
 * struct pcase - one case's file, queues and future
 * @pf: the file's state
 * @file: the file
 * @f: the future
 * @task: its task
 */
struct pcase {
	struct pfile	pf;
	struct file	*file;
	struct pfut	f;
	struct axq_task	*task;
};

/* Set up a file naming @nr fresh queues and a task polling it. */
static struct pcase *pcase_start(struct kunit *test, int nr, bool finish)
{
	struct pcase *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < nr; i++) {
		c->pf.wq[i] = kunit_kzalloc(test, sizeof(*c->pf.wq[i]),
					    GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->pf.wq[i]);
		init_waitqueue_head(c->pf.wq[i]);
	}
	c->pf.nr = nr;
	c->file = anon_inode_getfile("asyncx_kunit_poll", &pfile_fops, &c->pf,
				     O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->file));
	c->f.base.ops = &pfut_ops;
	axq_poller_init(&c->f.poller, c->file, EPOLLIN);
	atomic_set(&c->f.finish, finish);
	c->task = axq_spawn(&c->f.base, AXQ_PRIO_NORMAL, GFP_KERNEL);
	if (IS_ERR(c->task)) {
		fput(c->file);
		KUNIT_FAIL(test, "spawn: %ld", PTR_ERR(c->task));
		return NULL;
	}
	return c;
}

/* Join the task and free the file; 0, or -ETIMEDOUT (then leak). */
static int pcase_finish(struct kunit *test, struct pcase *c, long *res)
{
	int ret = axq_join_timeout(c->task, res, JOIN_TIMEOUT);

	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret)
		return ret;	/* leak the case: the task may still use it */
	axq_task_put(c->task);
	fput(c->file);
	return 0;
}

/* A wake with a waited-for event, after ->poll() turned ready. */
static void ready_on_wake(struct kunit *test)
{
	struct pcase *c = pcase_start(test, 2, true);
	long res = 0;

	if (!c)
		return;
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&c->f.polls) == 1,
					   WAIT_MS));
	/* An event nobody waits for does not wake the task. */
	wake_up_poll(c->pf.wq[1], EPOLLOUT);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->f.polls), 1);
	atomic_set(&c->pf.mask, (__force int)(EPOLLIN | EPOLLOUT));
	wake_up_poll(c->pf.wq[1], EPOLLIN);
	if (pcase_finish(test, c, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)(__force int)EPOLLIN);
	KUNIT_EXPECT_FALSE(test, queue_hooked(c->pf.wq[0]));
	KUNIT_EXPECT_FALSE(test, queue_hooked(c->pf.wq[1]));
}

/* A file with more queues than a poller has entries: -EINVAL. */
static void too_many_queues(struct kunit *test)
{
	struct pcase *c = pcase_start(test, NR_QUEUES, true);
	long res = 0;
	int i;

	if (!c)
		return;
	if (pcase_finish(test, c, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)-EINVAL);
	for (i = 0; i < NR_QUEUES; i++)
		KUNIT_EXPECT_FALSE(test, queue_hooked(c->pf.wq[i]));
}

/*
 * POLLFREE on one queue: the wake function unhooks the entry and the next
 * poll says -ECANCELED. The queue is then freed (after a grace period, as
 * wake_up_pollfree() asks) while the poller stays hooked on the other one;
 * the drop that follows must unhook that one and leave the freed one alone.
 */
static void pollfree(struct kunit *test)
{
	struct pcase *c = pcase_start(test, 2, false);
	struct wait_queue_head *gone;
	long res = 0;

	if (!c)
		return;
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&c->f.polls) == 1,
					   WAIT_MS));
	gone = c->pf.wq[0];
	WRITE_ONCE(c->pf.wq[0], NULL);
	wake_up_pollfree(gone);
	KUNIT_EXPECT_FALSE(test, queue_hooked(gone));
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&c->f.last) ==
					   -ECANCELED, WAIT_MS));
	synchronize_rcu();
	kunit_kfree(test, gone);
	KUNIT_EXPECT_TRUE(test, queue_hooked(c->pf.wq[1]));
	axq_task_cancel(c->task);
	if (pcase_finish(test, c, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	KUNIT_EXPECT_FALSE(test, queue_hooked(c->pf.wq[1]));
}

static struct kunit_case asyncx_poll_cases[] = {
	KUNIT_CASE(ready_on_wake),
	KUNIT_CASE(too_many_queues),
	KUNIT_CASE(pollfree),
	{}
};

static struct kunit_suite asyncx_poll_suite = {
	.name = "asyncx_poller",
	.test_cases = asyncx_poll_cases,
};

kunit_test_suites(&asyncx_poll_suite);
