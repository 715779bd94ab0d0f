/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: a context's I/O workers — the threads where a request's work
 * that may sleep on something its user controls runs (iowq.c). Internal.
 */
#ifndef _ASYNCX_RING_IOWQ_H
#define _ASYNCX_RING_IOWQ_H

#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/types.h>

#include <asyncx/runtime.h>

struct axq_ctx;
struct axq_iowq;
struct seq_file;
struct task_struct;

/**
 * struct axq_io_work - one step of a request, to run on an I/O worker of
 * its context; embedded in the op's state
 * @node: on the pool's queue while queued (L: the pool's lock)
 * @fn: the step; returns its result. It runs in process context, may
 *	sleep, and should return early when signal_pending(): a cancel
 *	interrupts it with a signal.
 * @orphan: set when the request was dropped while @fn ran: the worker calls
 *	it after @fn returns, to release what @fn used (L: the pool's lock)
 * @ctx: the request's context (set when queued)
 * @waker: the request's task (a waker reference), from queueing until the
 *	worker is done with the work: it keeps the request's memory alive
 * @worker: the thread running @fn (L: the pool's lock)
 * @result: @fn's return value, once @done
 * @state: AXQ_IO_IDLE, _QUEUED, _RUNNING or _DONE (L: the pool's lock)
 * @done: @result is there (written with a release store by the worker,
 *	read with an acquire load by the request's poll)
 * @in_task: queued by axq_io_work_queue_task(): @fn runs in a user thread
 *	(its task work), not on an I/O worker
 * @tw: the task work, when @in_task
 */
struct axq_io_work {
	struct list_head	node;
	long			(*fn)(struct axq_io_work *w);
	void			(*orphan)(struct axq_io_work *w);
	struct axq_ctx		*ctx;
	struct axq_task		*waker;
	struct task_struct	*worker;
	long			result;
	u8			state;
	bool			in_task;
	int			done;
	struct callback_head	tw;
};

/* struct axq_io_work.state */
enum {
	AXQ_IO_IDLE,
	AXQ_IO_QUEUED,
	AXQ_IO_RUNNING,
	AXQ_IO_DONE,
};

void axq_io_work_init(struct axq_io_work *w,
		      long (*fn)(struct axq_io_work *w));

/**
 * axq_io_work_busy() - is a work queued, running, or done and not yet
 *	collected by axq_io_work_done()?
 * @w: the work
 *
 * Context: the request's poll (which alone moves a work out of and back to
 * AXQ_IO_IDLE).
 * Return: true unless the work is idle.
 */
static inline bool axq_io_work_busy(const struct axq_io_work *w)
{
	return READ_ONCE(w->state) != AXQ_IO_IDLE;
}

int axq_io_work_queue(struct axq_ctx *ctx, struct axq_io_work *w,
		      struct axq_context *cx);
int axq_io_work_queue_task(struct axq_ctx *ctx, struct axq_io_work *w,
			   struct task_struct *task, struct axq_context *cx);
bool axq_io_work_done(struct axq_io_work *w, long *out);
bool axq_io_work_drop(struct axq_ctx *ctx, struct axq_io_work *w,
		      void (*orphan)(struct axq_io_work *w));

int axq_iowq_create(struct axq_ctx *ctx);
void axq_iowq_destroy(struct axq_ctx *ctx);
void axq_iowq_show(struct axq_ctx *ctx, struct seq_file *m);
int axq_iowq_init(void);
void axq_iowq_exit(void);

#endif /* _ASYNCX_RING_IOWQ_H */
