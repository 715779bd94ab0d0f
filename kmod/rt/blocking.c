// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: the blocking pool — a bounded unbound workqueue that runs
 * functions which may sleep (as Tokio's spawn_blocking), and the future that
 * awaits one.
 */
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/workqueue.h>

#include <asyncx/runtime.h>

#include "executor.h"

static unsigned int max_blocking = 16;
module_param(max_blocking, uint, 0444);
MODULE_PARM_DESC(max_blocking, "Threads of the blocking pool (default 16)");

static struct workqueue_struct *axq_blocking_wq;

static void axq_blocking_work(struct work_struct *work)
{
	struct axq_blocking *b = container_of(work, struct axq_blocking, work);
	struct axq_task *waker = b->waker;

	b->result = b->fn(b->arg);
	/* Release: result before done; pairs with smp_load_acquire() in
	 * axq_blocking_poll(). After this store the future may be freed.
	 */
	smp_store_release(&b->done, 1);
	axq_wake(waker);
}

/**
 * axq_blocking_init() - prepare a future that runs @fn in the blocking pool
 * @b: the future's state, embedded in the caller's future
 * @fn: a function that may sleep
 * @arg: its argument
 *
 * Context: any context.
 */
void axq_blocking_init(struct axq_blocking *b, long (*fn)(void *arg),
		       void *arg)
{
	b->fn = fn;
	b->arg = arg;
	INIT_WORK(&b->work, axq_blocking_work);
	b->waker = NULL;
	b->result = 0;
	b->queued = false;
	b->done = 0;
}
EXPORT_SYMBOL_GPL(axq_blocking_init);

/**
 * axq_blocking_poll() - poll a blocking-pool future
 * @b: the future's state
 * @cx: the poll context
 * @out: where @fn's return value goes when ready
 *
 * The first poll queues @fn on the pool (at most max_blocking run at once).
 *
 * Context: inside a poll.
 * Return: AXQ_READY once @fn has returned, else AXQ_PENDING.
 */
enum axq_poll axq_blocking_poll(struct axq_blocking *b,
				struct axq_context *cx, long *out)
{
	if (!b->queued) {
		b->waker = axq_waker_get(cx);
		b->queued = true;
		queue_work(axq_blocking_wq, &b->work);
		return AXQ_PENDING;
	}
	/* Acquire: pairs with smp_store_release() in axq_blocking_work(). */
	if (!smp_load_acquire(&b->done))
		return AXQ_PENDING;
	*out = b->result;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_blocking_poll);

/**
 * axq_blocking_drop() - release a blocking-pool future
 * @b: the future's state
 *
 * If @fn has not started it never will; if it is running, this waits for
 * it to return.
 *
 * Context: process context (a future's drop); may sleep.
 */
void axq_blocking_drop(struct axq_blocking *b)
{
	if (b->queued && cancel_work_sync(&b->work))
		axq_waker_put(b->waker);	/* it never ran */
}
EXPORT_SYMBOL_GPL(axq_blocking_drop);

/**
 * axq_blocking_init_pool() - create the blocking pool's workqueue
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int axq_blocking_init_pool(void)
{
	axq_blocking_wq = alloc_workqueue("asyncx_blocking", WQ_UNBOUND,
					  clamp(max_blocking, 1U, 512U));
	return axq_blocking_wq ? 0 : -ENOMEM;
}

/**
 * axq_blocking_exit_pool() - destroy the blocking pool's workqueue
 *
 * Context: process context, module exit.
 */
void axq_blocking_exit_pool(void)
{
	destroy_workqueue(axq_blocking_wq);
}
