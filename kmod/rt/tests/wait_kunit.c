// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_wait: the wait-for-condition future on a wait queue
 * and the file-readiness future (rt/wait.c) — a condition set by a kthread,
 * wakes racing the polls (no lost wakeup), cancellation while waiting
 * (the entries leave the queues), readiness of a file with two wait
 * queues, POLLFREE, and the future's own file reference.
 */
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <asyncx/wait.h>
#include "kunit_util.h"

#define JOIN_TIMEOUT	(20 * HZ)
#define WAIT_MS		10000
#define NR_RACE		200

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
	return tc_leave(&w->c, w->inner->ops->poll(w->inner, cx, out));
}

static void twrap_drop(struct axq_future *fut)
{
	struct twrap *w = container_of(fut, struct twrap, base);

	w->inner->ops->drop(w->inner);
	tc_drop(&w->c);
}

static const struct axq_future_ops twrap_ops = {
	.name	= "kunit_wrap",
	.poll	= twrap_poll,
	.drop	= twrap_drop,
};

/* ------------------------------------------------- wait for a condition */

/**
 * struct tcond - a condition on a wait queue, and a future waiting for it
 * @wq: the queue
 * @flag: the condition: @flag != 0
 * @we: the future
 * @w: its counting wrapper
 */
struct tcond {
	struct wait_queue_head	wq;
	atomic_t		flag;
	struct axq_wait_event	we;
	struct twrap		w;
};

static bool tcond_true(void *arg)
{
	return atomic_read(&((struct tcond *)arg)->flag);
}

static struct tcond *tcond_new(struct kunit *test)
{
	struct tcond *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	init_waitqueue_head(&c->wq);
	axq_wait_event_init(&c->we, &c->wq, tcond_true, c);
	c->w.base.ops = &twrap_ops;
	c->w.inner = &c->we.base;
	return c;
}

/* Set the condition, then wake the queue: what every writer does. */
static void tcond_set(struct tcond *c)
{
	atomic_set(&c->flag, 1);
	wake_up(&c->wq);
}

/* Once the waiter is hooked and idle, set its condition. */
static int tcond_thread(void *arg)
{
	struct tcond *c = arg;

	/* On a timeout too: the case then fails on the poll count. */
	poll_until(queue_hooked(&c->wq) && !atomic_read(&c->w.c.in_poll),
		   WAIT_MS);
	tcond_set(c);
	return 0;
}

/* A kthread sets the condition: ready after exactly two polls. */
static void cond_from_kthread(struct kunit *test)
{
	struct tcond *c = tcond_new(test);
	struct task_struct *k;
	struct axq_task *task;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	task = tspawn(test, &c->w.base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	k = tthread_start(tcond_thread, c, -1);
	KUNIT_EXPECT_FALSE(test, IS_ERR(k));
	if (IS_ERR(k))
		tcond_set(c);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;
	axq_task_put(task);
	if (!IS_ERR(k))
		tthread_stop(k);
	KUNIT_EXPECT_EQ(test, res, 0L);
	tc_expect(test, &c->w.c, 2, "wait for condition");
	KUNIT_EXPECT_FALSE(test, queue_hooked(&c->wq));
}

/* Already true: ready at the first poll, never hooked. */
static void cond_already_true(struct kunit *test)
{
	struct tcond *c = tcond_new(test);
	struct axq_task *task;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	atomic_set(&c->flag, 1);
	task = tspawn(test, &c->w.base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, res, 0L);
	tc_expect(test, &c->w.c, 1, "condition already true");
	KUNIT_EXPECT_FALSE(test, queue_hooked(&c->wq));
}

/* Cancelled while waiting: the entry leaves the queue, drop runs once. */
static void cond_cancel(struct kunit *test)
{
	struct tcond *c = tcond_new(test);
	struct axq_task *task;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, c);
	task = tspawn(test, &c->w.base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	KUNIT_EXPECT_TRUE(test, poll_until(queue_hooked(&c->wq) &&
					   !atomic_read(&c->w.c.in_poll),
					   WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(task), 0);
	if (tjoin(test, task, &res, JOIN_TIMEOUT))
		return;
	axq_task_put(task);
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	tc_expect(test, &c->w.c, 1, "cancelled wait");
	KUNIT_EXPECT_FALSE(test, queue_hooked(&c->wq));
}

struct trace {
	struct tcond	*c[NR_RACE];
};

static int trace_thread(void *arg)
{
	struct trace *r = arg;
	int i;

	for (i = 0; i < NR_RACE; i++)
		tcond_set(r->c[i]);
	return 0;
}

/*
 * Conditions set while their futures are being spawned and polled: every
 * future completes (a lost wakeup would leave one pending for ever).
 */
static void cond_race(struct kunit *test)
{
	struct trace *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct axq_task **task;
	struct task_struct *k;
	int i, done = 0;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, r);
	task = kunit_kcalloc(test, NR_RACE, sizeof(*task), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, task);
	for (i = 0; i < NR_RACE; i++) {
		r->c[i] = tcond_new(test);
		KUNIT_ASSERT_NOT_NULL(test, r->c[i]);
	}
	k = tthread_start(trace_thread, r, -1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	for (i = 0; i < NR_RACE; i++)
		task[i] = tspawn(test, &r->c[i]->w.base, AXQ_PRIO_NORMAL);
	tthread_stop(k);
	for (i = 0; i < NR_RACE; i++) {
		if (!task[i] || tjoin(test, task[i], &res, JOIN_TIMEOUT))
			continue;
		axq_task_put(task[i]);
		KUNIT_EXPECT_EQ(test, res, 0L);
		KUNIT_EXPECT_EQ(test, atomic_read(&r->c[i]->w.c.drops), 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&r->c[i]->w.c.bad), 0);
		KUNIT_EXPECT_FALSE(test, queue_hooked(&r->c[i]->wq));
		done++;
	}
	KUNIT_EXPECT_EQ(test, done, NR_RACE);
}

/* --------------------------------------------------- readiness of a file */

/**
 * struct pfile - what the suite's file polls
 * @wq: the wait queues its ->poll() names (NULL ones are skipped)
 * @mask: what its ->poll() returns
 */
struct pfile {
	struct wait_queue_head	*wq[2];
	atomic_t		mask;
};

static __poll_t pfile_poll(struct file *file, poll_table *pt)
{
	struct pfile *pf = file->private_data;
	int i;

	for (i = 0; i < 2; i++)
		if (READ_ONCE(pf->wq[i]))
			poll_wait(file, READ_ONCE(pf->wq[i]), pt);
	return (__force __poll_t)atomic_read(&pf->mask);
}

static const struct file_operations pfile_fops = {
	.owner	= THIS_MODULE,
	.poll	= pfile_poll,
};

static const struct file_operations nopoll_fops = {
	.owner	= THIS_MODULE,
};

/**
 * struct fcase - a file with two wait queues and a future waiting on it
 * @pf: the file's state
 * @file: the file (the case's reference)
 * @fr: the future
 * @w: its counting wrapper
 * @task: its task
 */
struct fcase {
	struct pfile		pf;
	struct file		*file;
	struct axq_fd_ready	fr;
	struct twrap		w;
	struct axq_task		*task;
};

static struct fcase *fcase_start(struct kunit *test, __poll_t events)
{
	struct fcase *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < 2; i++) {
		c->pf.wq[i] = kunit_kzalloc(test, sizeof(*c->pf.wq[i]),
					    GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, c->pf.wq[i]);
		init_waitqueue_head(c->pf.wq[i]);
	}
	c->file = anon_inode_getfile("asyncx_kunit_event", &pfile_fops,
				     &c->pf, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->file));
	KUNIT_EXPECT_EQ(test, axq_fd_ready_init(&c->fr, c->file, events), 0);
	KUNIT_EXPECT_EQ(test, file_count(c->file), 2L);
	c->w.base.ops = &twrap_ops;
	c->w.inner = &c->fr.base;
	c->task = tspawn(test, &c->w.base, AXQ_PRIO_NORMAL);
	if (!c->task) {
		axq_fd_ready_drop(&c->fr);
		fput(c->file);
		return NULL;
	}
	return c;
}

/* Join; the future's file reference must be gone. 0 or -ETIMEDOUT. */
static int fcase_finish(struct kunit *test, struct fcase *c, long *res)
{
	if (tjoin(test, c->task, res, JOIN_TIMEOUT))
		return -ETIMEDOUT;	/* leak the case */
	axq_task_put(c->task);
	KUNIT_EXPECT_EQ(test, file_count(c->file), 1L);
	if (c->pf.wq[0])
		KUNIT_EXPECT_FALSE(test, queue_hooked(c->pf.wq[0]));
	KUNIT_EXPECT_FALSE(test, queue_hooked(c->pf.wq[1]));
	fput(c->file);
	return 0;
}

static bool fcase_waiting(struct fcase *c)
{
	return queue_hooked(c->pf.wq[0]) && queue_hooked(c->pf.wq[1]) &&
	       !atomic_read(&c->w.c.in_poll);
}

/* Hooked on both queues; a wake of one with the event makes it ready. */
static void fd_ready_normal(struct kunit *test)
{
	struct fcase *c = fcase_start(test, EPOLLIN);
	long res;

	if (!c)
		return;
	KUNIT_EXPECT_TRUE(test, poll_until(fcase_waiting(c), WAIT_MS));
	atomic_set(&c->pf.mask, (__force int)(EPOLLIN | EPOLLOUT));
	wake_up_poll(c->pf.wq[1], EPOLLIN);
	if (fcase_finish(test, c, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)(__force int)EPOLLIN);
	tc_expect(test, &c->w.c, 2, "fd ready");
}

/* Cancelled while waiting: unhooked from both queues, file put. */
static void fd_ready_cancel(struct kunit *test)
{
	struct fcase *c = fcase_start(test, EPOLLIN);
	long res;

	if (!c)
		return;
	KUNIT_EXPECT_TRUE(test, poll_until(fcase_waiting(c), WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(c->task), 0);
	if (fcase_finish(test, c, &res))
		return;
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	tc_expect(test, &c->w.c, 1, "cancelled fd wait");
}

/* A queue goes away (POLLFREE): ready with -ECANCELED, nothing touched. */
static void fd_ready_pollfree(struct kunit *test)
{
	struct fcase *c = fcase_start(test, EPOLLIN);
	struct wait_queue_head *gone;
	long res;

	if (!c)
		return;
	KUNIT_EXPECT_TRUE(test, poll_until(fcase_waiting(c), WAIT_MS));
	gone = c->pf.wq[0];
	WRITE_ONCE(c->pf.wq[0], NULL);
	wake_up_pollfree(gone);
	KUNIT_EXPECT_FALSE(test, queue_hooked(gone));
	if (fcase_finish(test, c, &res))
		return;
	synchronize_rcu();
	kunit_kfree(test, gone);
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	tc_expect(test, &c->w.c, 2, "POLLFREE");
}

/* A file without ->poll(), and a bad fd: refused, nothing held. */
static void fd_ready_bad_file(struct kunit *test)
{
	struct axq_fd_ready *fr = kunit_kzalloc(test, sizeof(*fr), GFP_KERNEL);
	struct file *file;

	KUNIT_ASSERT_NOT_NULL(test, fr);
	file = anon_inode_getfile("asyncx_kunit_nopoll", &nopoll_fops, NULL,
				  O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_EQ(test, axq_fd_ready_init(fr, file, EPOLLIN), -EINVAL);
	axq_fd_ready_drop(fr);
	KUNIT_EXPECT_EQ(test, file_count(file), 1L);
	fput(file);
	KUNIT_EXPECT_EQ(test, axq_fd_ready_init_fd(fr, -1, EPOLLIN), -EBADF);
	axq_fd_ready_drop(fr);
}

static struct kunit_case asyncx_wait_cases[] = {
	KUNIT_CASE(cond_from_kthread),
	KUNIT_CASE(cond_already_true),
	KUNIT_CASE(cond_cancel),
	KUNIT_CASE(cond_race),
	KUNIT_CASE(fd_ready_normal),
	KUNIT_CASE(fd_ready_cancel),
	KUNIT_CASE(fd_ready_pollfree),
	KUNIT_CASE(fd_ready_bad_file),
	{}
};

static struct kunit_suite asyncx_wait_suite = {
	.name = "asyncx_wait",
	.test_cases = asyncx_wait_cases,
};

kunit_test_suites(&asyncx_wait_suite);
