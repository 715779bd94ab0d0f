// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: a context's I/O workers — kernel threads of its own where a
 * request's step that may sleep on something its user controls runs, so
 * that the executor's workers, which every user shares, never do.
 */

/**
 * DOC: I/O workers
 *
 * The executor's workers are shared by every user and by in-kernel
 * clients: a poll must not sleep there. Yet a request of the ring may have
 * to: a read of a regular file, a write to a full pipe, the ->poll() of a
 * file whose driver sleeps in it (FUSE asks its daemon), a page fault on a
 * user buffer (the buffer may be a FUSE file's mapping). Every such step
 * runs on an I/O worker of the request's own context (struct axq_io_work):
 * a kernel thread, ``asyncx-io/ID``, created when work is queued and none
 * is idle, and gone after AXQ_IOWQ_IDLE of idleness, as io_uring's io-wq
 * does.
 *
 * - Bounded: a context has at most ``max_io_workers`` (default 4) and a
 *   user at most ``max_user_io_workers`` (default 64) over all their
 *   contexts. More work waits in the context's queue for a worker of that
 *   context; work queued on a context that has no worker and may not get
 *   one (the user's limit) completes with -EAGAIN. So a user whose every
 *   worker is blocked delays only themselves.
 * - As the submitter: each step runs under the credentials its request
 *   took at submission (override_creds() in the op) and in the
 *   submitter's mm (kthread_use_mm()).
 * - Cancellable: when a request is dropped (cancelled, timed out, its
 *   context closed) while its step runs, the worker gets a signal
 *   (SIGKILL, which a worker allows and which cannot kill a kernel thread),
 *   so an interruptible or killable sleep of the step ends at once. The
 *   drop never waits for the step: the worker finishes it and releases
 *   what it used (the work's @orphan), holding the request's memory (its
 *   task) and the context meanwhile. Signals are flushed between steps.
 * - In the submitter: a step that must act in the submitting thread
 *   itself (its file table, its names under /proc/self, a socket's peer
 *   that sees its pid) is queued as its task work instead
 *   (axq_io_work_queue_task()), with the same states, result and orphan:
 *   a drop never waits for it nor signals the user's thread, and the task
 *   work releases what the step used.
 * - Module lifetime: a worker of a closed context exits as soon as its
 *   step returns. Each worker signals its exit from the kernel's own code
 *   (kthread_complete_and_exit()), and unload waits for every worker's,
 *   so no thread outlives the code it runs.
 */
#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/fs_struct.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "ctx.h"
#include "iowq.h"
#include "limits.h"

static unsigned int max_io_workers = 4;
module_param(max_io_workers, uint, 0644);
MODULE_PARM_DESC(max_io_workers,
		 "I/O worker threads per context (1-256, default 4)");

/* A worker with nothing to do for this long exits. */
#define AXQ_IOWQ_IDLE	(5 * HZ)

/**
 * struct axq_iowq - the I/O workers of one context
 * @lock: protects the fields marked L, and each queued or running work's
 *	@state, @worker and @orphan
 * @queue: works waiting for a worker, oldest first (L)
 * @nr_queued: entries on @queue (L)
 * @nr_workers: workers alive or being created (L)
 * @nr_idle: workers not running a work, including new ones (L)
 * @creating: @create is queued or running (L)
 * @dying: the context is gone: idle workers exit (L)
 * @max_workers: the bound of this context (I: max_io_workers at creation)
 * @user: the user the workers are charged to (I; held)
 * @ctx_id: the context's id, in the workers' names (I)
 * @refs: the context's reference, one per worker, one while @create is
 *	queued
 * @wait: idle workers sleep here (exclusive waits: a queued work wakes one)
 * @create: creates workers, in process context
 */
struct axq_iowq {
	spinlock_t		lock;		/* see above */
	struct list_head	queue;
	unsigned int		nr_queued;
	unsigned int		nr_workers;
	unsigned int		nr_idle;
	bool			creating;
	bool			dying;
	unsigned int		max_workers;
	struct axq_user		*user;
	u64			ctx_id;
	refcount_t		refs;
	struct wait_queue_head	wait;
	struct work_struct	create;
};

/* Where workers are created: flushed at module exit. */
static struct workqueue_struct *axq_iowq_create_wq;

/*
 * struct axq_io_thread - one worker thread, until unload or a later spawn
 * sees it exited and frees it
 * @node: on axq_io_threads (L: axq_io_threads_lock)
 * @exited: completed by the kernel as the thread exits
 * @wq: its pool (a reference, dropped by the thread)
 */
struct axq_io_thread {
	struct list_head	node;
	struct completion	exited;
	struct axq_iowq		*wq;
};

static LIST_HEAD(axq_io_threads);
static DEFINE_SPINLOCK(axq_io_threads_lock);

static void axq_iowq_put(struct axq_iowq *wq)
{
	if (!refcount_dec_and_test(&wq->refs))
		return;
	axq_limits_unhold(wq->user);
	kfree(wq);
}

/**
 * axq_io_work_init() - prepare a work (not queued)
 * @w: the work, embedded in an op's state
 * @fn: the step it runs
 *
 * Context: any context.
 */
void axq_io_work_init(struct axq_io_work *w,
		      long (*fn)(struct axq_io_work *w))
{
	INIT_LIST_HEAD(&w->node);
	w->fn = fn;
	w->orphan = NULL;
	w->waker = NULL;
	w->worker = NULL;
	w->result = 0;
	w->state = AXQ_IO_IDLE;
	w->in_task = false;
	w->done = 0;
}

/* Called with wq->lock held: does the queue need one more worker? */
static bool axq_iowq_need_worker(struct axq_iowq *wq)
{
	lockdep_assert_held(&wq->lock);
	return !wq->dying && wq->nr_queued > wq->nr_idle &&
	       wq->nr_workers < wq->max_workers;
}

/**
 * axq_io_work_queue() - run a work on an I/O worker of a context
 * @ctx: the request's context
 * @w: the work (axq_io_work_init() done; not queued or running)
 * @cx: the poll context of the request's task, which the work wakes when
 *	done
 *
 * Context: inside the request's poll; never sleeps.
 * Return: 0, or -ECANCELED when the context is going away.
 */
int axq_io_work_queue(struct axq_ctx *ctx, struct axq_io_work *w,
		      struct axq_context *cx)
{
	struct axq_iowq *wq = ctx->iowq;
	bool wake = false;

	w->done = 0;
	w->orphan = NULL;
	w->in_task = false;
	w->ctx = ctx;
	w->waker = axq_waker_get(cx);
	spin_lock(&wq->lock);
	if (wq->dying) {
		spin_unlock(&wq->lock);
		axq_waker_put(w->waker);
		return -ECANCELED;
	}
	w->state = AXQ_IO_QUEUED;
	list_add_tail(&w->node, &wq->queue);
	wq->nr_queued++;
	if (wq->nr_idle)
		wake = true;
	if (axq_iowq_need_worker(wq) && !wq->creating) {
		wq->creating = true;
		refcount_inc(&wq->refs);
		queue_work(axq_iowq_create_wq, &wq->create);
	}
	spin_unlock(&wq->lock);
	if (wake)
		wake_up(&wq->wait);
	return 0;
}

/*
 * A step returned @res: hand the result to the request and wake it, or,
 * when the request was dropped meanwhile, release what the step used.
 * Every write to the work is done under the lock: once it is dropped, a
 * drop that finds the work done may free it. Called with wq->lock held;
 * returns with it dropped.
 */
static void axq_io_work_finish(struct axq_iowq *wq, struct axq_io_work *w,
			       long res)
	__releases(&wq->lock)
{
	void (*orphan)(struct axq_io_work *w) = w->orphan;
	struct axq_task *waker = w->waker;
	struct axq_ctx *ctx = w->ctx;

	lockdep_assert_held(&wq->lock);
	w->worker = NULL;
	w->state = AXQ_IO_DONE;
	if (!orphan) {
		w->result = res;
		/* Release: the result and the state before done. */
		smp_store_release(&w->done, 1);
	}
	spin_unlock(&wq->lock);

	if (orphan) {
		/* Its request is gone; ours are the last uses of the work. */
		orphan(w);
		axq_waker_put(waker);
		axq_ctx_put(ctx);
	} else {
		axq_wake(waker);
	}
}

/* A work queued by axq_io_work_queue_task(), in its thread's task work. */
static void axq_io_task_run(struct callback_head *cb)
{
	struct axq_io_work *w = container_of(cb, struct axq_io_work, tw);
	/* Alive: the request holds it, or a drop took a reference. */
	struct axq_iowq *wq = w->ctx->iowq;
	bool orphan;
	long res = 0;

	spin_lock(&wq->lock);
	orphan = w->orphan;
	if (!orphan) {
		w->state = AXQ_IO_RUNNING;
		w->worker = current;
	}
	spin_unlock(&wq->lock);

	if (!orphan)
		res = w->fn(w);

	spin_lock(&wq->lock);
	axq_io_work_finish(wq, w, res);
}

/**
 * axq_io_work_queue_task() - run a work in a user thread, from its task work
 * @ctx: the request's context
 * @w: the work (axq_io_work_init() done; not queued or running)
 * @task: the thread (the request's submitter): @fn runs there, as task
 *	work (TWA_SIGNAL: a wait of the thread's is interrupted and
 *	restarted), in the thread's own credentials, mm, files and fs
 * @cx: the poll context of the request's task, which the work wakes when
 *	done
 *
 * @fn finds w->in_task set; it must check that the thread is still what
 * it needs (PF_EXITING: it may run from the thread's exit, after its mm
 * and files are gone). A drop while the work is queued or running never
 * waits for it and sends no signal: the task work releases (@orphan).
 *
 * Context: inside the request's poll; never sleeps.
 * Return: 0, or -ESRCH when @task takes no more task work (it is exiting).
 */
int axq_io_work_queue_task(struct axq_ctx *ctx, struct axq_io_work *w,
			   struct task_struct *task, struct axq_context *cx)
{
	struct axq_iowq *wq = ctx->iowq;

	w->done = 0;
	w->orphan = NULL;
	w->in_task = true;
	w->ctx = ctx;
	w->waker = axq_waker_get(cx);
	spin_lock(&wq->lock);
	w->state = AXQ_IO_QUEUED;
	spin_unlock(&wq->lock);
	init_task_work(&w->tw, axq_io_task_run);
	if (!task_work_add(task, &w->tw, TWA_SIGNAL))
		return 0;
	spin_lock(&wq->lock);
	w->state = AXQ_IO_IDLE;
	w->in_task = false;
	spin_unlock(&wq->lock);
	axq_waker_put(w->waker);
	w->waker = NULL;
	return -ESRCH;
}

/**
 * axq_io_work_done() - has a work's step returned?
 * @w: a queued work
 * @out: its result, when it has
 *
 * Context: inside the request's poll.
 * Return: true once the step has returned (its result in *@out).
 */
bool axq_io_work_done(struct axq_io_work *w, long *out)
{
	/* Acquire: pairs with smp_store_release() in axq_io_worker(). */
	if (!smp_load_acquire(&w->done))
		return false;
	*out = w->result;
	w->state = AXQ_IO_IDLE;
	return true;
}

/**
 * axq_io_work_drop() - the request goes: stop its work
 * @ctx: the request's context
 * @w: the work (in any state)
 * @orphan: what releases the resources the step uses, if it is running
 *
 * A queued work is taken off the queue. A running one is interrupted (a
 * signal to its worker) and orphaned: the worker calls @orphan when the
 * step returns, and meanwhile holds the request's memory and a reference
 * to @ctx. This never waits for the step.
 *
 * Context: process context (the request's drop); never sleeps.
 * Return: true if the work was running: @orphan will release what the step
 * uses, and the caller must not; false if the step is not running (the
 * caller releases).
 */
bool axq_io_work_drop(struct axq_ctx *ctx, struct axq_io_work *w,
		      void (*orphan)(struct axq_io_work *w))
{
	struct axq_iowq *wq = ctx->iowq;
	struct axq_task *waker = NULL;
	bool running = false;

	spin_lock(&wq->lock);
	if (w->in_task && (w->state == AXQ_IO_QUEUED ||
			   w->state == AXQ_IO_RUNNING)) {
		/* Its task work releases: never signal a user's thread. */
		refcount_inc(&ctx->refs);
		w->orphan = orphan;
		spin_unlock(&wq->lock);
		return true;
	}
	switch (w->state) {
	case AXQ_IO_QUEUED:
		list_del_init(&w->node);
		wq->nr_queued--;
		w->state = AXQ_IO_IDLE;
		waker = w->waker;
		break;
	case AXQ_IO_RUNNING:
		/* Until the worker is done: see axq_io_worker(). */
		refcount_inc(&ctx->refs);
		w->orphan = orphan;
		/* The worker flushes its signals under the lock. */
		send_sig(SIGKILL, w->worker, 1);
		running = true;
		break;
	}
	spin_unlock(&wq->lock);
	if (waker)
		axq_waker_put(waker);
	return running;
}

/* Run @w, taken off the queue by its worker. Called with wq->lock held. */
static void axq_io_run(struct axq_iowq *wq, struct axq_io_work *w)
	__releases(&wq->lock) __acquires(&wq->lock)
{
	long res;

	w->state = AXQ_IO_RUNNING;
	w->worker = current;
	spin_unlock(&wq->lock);

	res = w->fn(w);

	spin_lock(&wq->lock);
	/* A cancel's signal was for this work only. */
	flush_signals(current);
	wq->nr_idle++;
	axq_io_work_finish(wq, w, res);
	cond_resched();
	spin_lock(&wq->lock);
}

/* An idle worker's wake condition: work, or the end. */
static bool axq_iowq_wake_cond(struct axq_iowq *wq)
{
	return READ_ONCE(wq->dying) || !list_empty_careful(&wq->queue);
}

static int axq_io_worker(void *data)
{
	struct axq_io_thread *t = data;
	struct axq_iowq *wq = t->wq;
	struct axq_io_work *w;
	long left;

	/* A cancel interrupts a step's sleep with SIGKILL (see DOC). */
	allow_signal(SIGKILL);
	/*
	 * An fs_struct of its own, which a step resolving a path points at
	 * its submitter's root and directory (fs.c); on failure the thread
	 * shares init's, and such steps fail with -ENOMEM.
	 */
	unshare_fs_struct();
	spin_lock(&wq->lock);
	for (;;) {
		while (!list_empty(&wq->queue)) {
			w = list_first_entry(&wq->queue, struct axq_io_work,
					     node);
			list_del_init(&w->node);
			wq->nr_queued--;
			wq->nr_idle--;
			axq_io_run(wq, w);
		}
		if (wq->dying)
			break;
		spin_unlock(&wq->lock);
		left = wait_event_idle_exclusive_timeout(wq->wait,
							 axq_iowq_wake_cond(wq),
							 AXQ_IOWQ_IDLE);
		spin_lock(&wq->lock);
		if (!left && list_empty(&wq->queue))
			break;
	}
	wq->nr_idle--;
	wq->nr_workers--;
	spin_unlock(&wq->lock);
	axq_limits_worker_release(wq->user);
	axq_iowq_put(wq);
	/* The completion is the kernel's last access to module memory. */
	kthread_complete_and_exit(&t->exited, 0);
}

/* Complete every queued work with @err: the context has no worker. */
static void axq_iowq_fail_queued(struct axq_iowq *wq, long err)
{
	struct axq_io_work *w, *tmp;
	LIST_HEAD(failed);

	spin_lock(&wq->lock);
	if (wq->nr_workers) {
		spin_unlock(&wq->lock);
		return;
	}
	list_splice_init(&wq->queue, &failed);
	wq->nr_queued = 0;
	/* Under the lock, as in axq_io_run(): after it, a drop may free. */
	list_for_each_entry_safe(w, tmp, &failed, node) {
		list_del_init(&w->node);
		w->result = err;
		w->state = AXQ_IO_DONE;
		/* Release: as in axq_io_run(). */
		smp_store_release(&w->done, 1);
		/* (The executor never takes wq->lock.) */
		axq_wake(w->waker);
	}
	spin_unlock(&wq->lock);
}

/* Free the records of threads that have exited. */
static void axq_io_threads_reap(void)
{
	struct axq_io_thread *t, *tmp;
	LIST_HEAD(dead);

	spin_lock(&axq_io_threads_lock);
	list_for_each_entry_safe(t, tmp, &axq_io_threads, node)
		if (completion_done(&t->exited))
			list_move(&t->node, &dead);
	spin_unlock(&axq_io_threads_lock);
	list_for_each_entry_safe(t, tmp, &dead, node)
		kfree(t);
}

/* Start one worker; wq->nr_workers and ->nr_idle already count it. */
static int axq_iowq_spawn(struct axq_iowq *wq)
{
	struct axq_io_thread *t;
	struct task_struct *task;
	int ret;

	axq_io_threads_reap();
	ret = axq_limits_worker_charge(wq->user);
	if (ret)
		return ret;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		axq_limits_worker_release(wq->user);
		return -ENOMEM;
	}
	init_completion(&t->exited);
	t->wq = wq;
	refcount_inc(&wq->refs);
	task = kthread_create(axq_io_worker, t, "asyncx-io/%llu", wq->ctx_id);
	if (IS_ERR(task)) {
		kfree(t);
		axq_iowq_put(wq);
		axq_limits_worker_release(wq->user);
		return PTR_ERR(task);
	}
	spin_lock(&axq_io_threads_lock);
	list_add_tail(&t->node, &axq_io_threads);
	spin_unlock(&axq_io_threads_lock);
	wake_up_process(task);
	return 0;
}

static void axq_iowq_create_fn(struct work_struct *work)
{
	struct axq_iowq *wq = container_of(work, struct axq_iowq, create);
	int ret = 0;

	for (;;) {
		spin_lock(&wq->lock);
		if (ret || !axq_iowq_need_worker(wq)) {
			wq->creating = false;
			spin_unlock(&wq->lock);
			break;
		}
		wq->nr_workers++;
		wq->nr_idle++;
		spin_unlock(&wq->lock);
		ret = axq_iowq_spawn(wq);
		if (ret) {
			spin_lock(&wq->lock);
			wq->nr_workers--;
			wq->nr_idle--;
			spin_unlock(&wq->lock);
		}
	}
	/* No worker, and none to come: what waits would wait forever. */
	if (ret)
		axq_iowq_fail_queued(wq, ret == -ENOMEM ? -ENOMEM : -EAGAIN);
	axq_iowq_put(wq);
}

/**
 * axq_iowq_create() - give a context its (empty) pool of I/O workers
 * @ctx: the context being opened (&axq_ctx.user and .id are set)
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int axq_iowq_create(struct axq_ctx *ctx)
{
	struct axq_iowq *wq;

	wq = kzalloc(sizeof(*wq), GFP_KERNEL_ACCOUNT);
	if (!wq)
		return -ENOMEM;
	spin_lock_init(&wq->lock);
	INIT_LIST_HEAD(&wq->queue);
	wq->max_workers = clamp(READ_ONCE(max_io_workers), 1U, 256U);
	wq->user = ctx->user;
	axq_limits_hold(wq->user);
	wq->ctx_id = ctx->id;
	refcount_set(&wq->refs, 1);
	init_waitqueue_head(&wq->wait);
	INIT_WORK(&wq->create, axq_iowq_create_fn);
	ctx->iowq = wq;
	return 0;
}

/**
 * axq_iowq_destroy() - the context is freed: its workers exit when idle
 * @ctx: the context (no request left, so no work queued: only orphaned
 *	steps may still run, and they hold no reference to it)
 *
 * Context: process context (the context's last put); never waits for a
 * worker.
 */
void axq_iowq_destroy(struct axq_ctx *ctx)
{
	struct axq_iowq *wq = ctx->iowq;

	if (!wq)
		return;
	spin_lock(&wq->lock);
	wq->dying = true;
	WARN_ON_ONCE(wq->nr_queued);
	spin_unlock(&wq->lock);
	wake_up_all(&wq->wait);
	axq_iowq_put(wq);
	ctx->iowq = NULL;
}

/**
 * axq_iowq_show() - the pool's state, for fdinfo
 * @ctx: the context
 * @m: the fdinfo file
 *
 * Context: process context.
 */
void axq_iowq_show(struct axq_ctx *ctx, struct seq_file *m)
{
	struct axq_iowq *wq = ctx->iowq;
	unsigned int workers, idle, queued;

	spin_lock(&wq->lock);
	workers = wq->nr_workers;
	idle = wq->nr_idle;
	queued = wq->nr_queued;
	spin_unlock(&wq->lock);
	seq_printf(m, "io-workers:\t%u\nio-workers-idle:\t%u\n", workers, idle);
	seq_printf(m, "io-workers-max:\t%u\nio-queued:\t%u\n",
		   wq->max_workers, queued);
}

/**
 * axq_iowq_init() - create the workqueue that creates I/O workers
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int axq_iowq_init(void)
{
	axq_iowq_create_wq = alloc_workqueue("asyncx_iowq_create", WQ_UNBOUND,
					     0);
	return axq_iowq_create_wq ? 0 : -ENOMEM;
}

/**
 * axq_iowq_exit() - wait for pending worker creations and for every worker
 * to exit, at module exit
 *
 * Every context is gone by then: workers exit once their step (an
 * orphaned one, at most) returns.
 *
 * Context: module exit; sleeps.
 */
void axq_iowq_exit(void)
{
	struct axq_io_thread *t, *tmp;

	destroy_workqueue(axq_iowq_create_wq);
	list_for_each_entry_safe(t, tmp, &axq_io_threads, node) {
		wait_for_completion(&t->exited);
		list_del(&t->node);
		kfree(t);
	}
}
