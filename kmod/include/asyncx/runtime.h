/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx runtime: futures, wakers, tasks and the executor.
 *
 * The in-kernel API other modules use (all exported with EXPORT_SYMBOL_GPL).
 * The design is in Documentation/runtime.rst.
 */
#ifndef _ASYNCX_RUNTIME_H
#define _ASYNCX_RUNTIME_H

#include <linux/gfp.h>
#include <linux/llist.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct axq_task;
struct axq_future;

/**
 * enum axq_poll - what a poll of a future returns
 * @AXQ_PENDING: not finished; the future has arranged for the waker of the
 *	poll context to be woken when it can make progress
 * @AXQ_READY: finished; the result has been stored through @out
 */
enum axq_poll {
	AXQ_PENDING = 0,
	AXQ_READY = 1,
};

/**
 * enum axq_prio - priority class of a task
 * @AXQ_PRIO_HIGH: latency-sensitive work, picked first
 * @AXQ_PRIO_NORMAL: the default
 * @AXQ_PRIO_LOW: background work; still runs under a flood of higher
 *	classes (starvation avoidance, see Documentation/runtime.rst)
 * @AXQ_NR_PRIO: number of classes
 */
enum axq_prio {
	AXQ_PRIO_HIGH,
	AXQ_PRIO_NORMAL,
	AXQ_PRIO_LOW,
	AXQ_NR_PRIO,
};

/**
 * enum axq_wait_kind - what a task waits on, for telemetry
 * @AXQ_WAIT_NONE: nothing noted
 * @AXQ_WAIT_WQ: a wait queue (the object: its head)
 * @AXQ_WAIT_TIMER: a timer (the argument: its expiry, ns of
 *	CLOCK_MONOTONIC)
 * @AXQ_WAIT_FD: a file's readiness (the object: the struct file)
 * @AXQ_WAIT_CHAN: a channel (the object: the channel)
 * @AXQ_WAIT_OTHER: something else (a worker thread, another task)
 */
enum axq_wait_kind {
	AXQ_WAIT_NONE,
	AXQ_WAIT_WQ,
	AXQ_WAIT_TIMER,
	AXQ_WAIT_FD,
	AXQ_WAIT_CHAN,
	AXQ_WAIT_OTHER,
};

/**
 * struct axq_context - what a future's poll is given
 * @task: the task being polled; axq_waker_get() turns it into a waker
 * @wait_kind: what the poll last said it waits on (axq_wait_note())
 * @wait_obj: that object
 * @wait_arg: its argument (a timer's expiry)
 * @wait_ip: where the note was made
 */
struct axq_context {
	struct axq_task *task;
	u8 wait_kind;
	const void *wait_obj;
	u64 wait_arg;
	unsigned long wait_ip;
};

void __axq_wait_note(struct axq_context *cx, enum axq_wait_kind kind,
		     const void *obj, u64 arg, unsigned long ip);

/**
 * axq_wait_note() - say what the polled task is about to wait on
 * @cx: the poll context
 * @kind: what kind of thing
 * @obj: the thing (a wait queue head, a file, a channel, a timer)
 * @arg: a timer's expiry (ns, CLOCK_MONOTONIC), else 0
 *
 * For telemetry: the debugfs view shows, for each task that waits, what
 * it waits on and where the wait was armed (the caller). The runtime's
 * wakers note their waits themselves; a future with a waker of its own
 * notes its wait where it stores the waker.
 *
 * Context: inside a poll.
 */
#define axq_wait_note(cx, kind, obj, arg) \
	__axq_wait_note(cx, kind, obj, arg, _THIS_IP_)

/**
 * struct axq_future_ops - the behaviour of a future type
 * @name: type name, shown by debugfs and tracepoints
 * @poll: advance the future. Return AXQ_READY with the result in *@out, or
 *	AXQ_PENDING after arranging a wake of @cx's task (axq_waker_get() and a
 *	later axq_wake(), a wait queue through struct axq_wq_waker, ...).
 *	Called on an executor worker in process context with preemption
 *	enabled; it must not sleep. Never called concurrently for one future,
 *	never after it returned AXQ_READY or after @drop.
 * @drop: release the future: unhook its wakers, cancel its timers, free
 *	what it owns. Called exactly once, on a worker in process context,
 *	after the last poll — whether the future finished or was cancelled.
 *	May be NULL when there is nothing to release.
 * @release: futures that hold their task's memory (axq_spawn_in()) only:
 *	free the allocation of the future and its task, once the task's last
 *	reference is gone (after @drop). Any context, hardirq included.
 */
struct axq_future_ops {
	const char *name;
	enum axq_poll (*poll)(struct axq_future *fut, struct axq_context *cx,
			      long *out);
	void (*drop)(struct axq_future *fut);
	void (*release)(struct axq_future *fut);
};

/**
 * struct axq_future - the base of every future; embed it in the future's
 * own struct and recover that with container_of()
 * @ops: the future's type
 */
struct axq_future {
	const struct axq_future_ops *ops;
};

/* Tasks: spawn, join, cancel. */
struct axq_task *axq_spawn(struct axq_future *fut, enum axq_prio prio,
			   gfp_t gfp);
void axq_task_put(struct axq_task *task);
int axq_task_cancel(struct axq_task *task);
bool axq_task_is_complete(struct axq_task *task);
long axq_task_result(struct axq_task *task);
int axq_join_timeout(struct axq_task *task, long *result,
		     unsigned long timeout);
void axq_task_set_owner(struct axq_task *task, u64 owner);

/**
 * struct axq_plug - tasks spawned together and queued at once
 * @first: per class, the newest task spawned into the plug (a chain through
 *	the tasks' queue links, newest first), or NULL
 * @last: per class, the oldest task of that chain
 *
 * Spawn with axq_spawn_plug() between axq_plug_init() and axq_unplug(): the
 * tasks start running only at axq_unplug(), which queues each class's
 * tasks with one atomic operation (onto the worker's own run queue when
 * called from a task) and wakes at most one worker for all of them, as
 * the block layer's plug batches requests. An enter of the ring plugs the
 * requests it hands to the executor. A plug lives on its user's stack and
 * is used by one thread, which must unplug it before it sleeps for long:
 * until then its tasks wait.
 */
struct axq_plug {
	struct llist_node	*first[AXQ_NR_PRIO];
	struct llist_node	*last[AXQ_NR_PRIO];
};

void axq_plug_init(struct axq_plug *plug);

/**
 * axq_plug_empty() - has nothing been spawned into a plug since its last
 * unplug?
 * @plug: the plug
 *
 * Context: the plug's thread.
 * Return: true when axq_unplug() would have nothing to queue.
 */
static inline bool axq_plug_empty(const struct axq_plug *plug)
{
	unsigned int prio;

	for (prio = 0; prio < AXQ_NR_PRIO; prio++)
		if (plug->first[prio])
			return false;
	return true;
}

struct axq_task *axq_spawn_plug(struct axq_plug *plug, struct axq_future *fut,
				enum axq_prio prio, gfp_t gfp);
void axq_unplug(struct axq_plug *plug);

/* Wakers: counted references to a task. */
struct axq_task *axq_waker_get(struct axq_context *cx);
void axq_wake(struct axq_task *waker);
void axq_wake_by_ref(struct axq_task *waker);
void axq_waker_put(struct axq_task *waker);

/**
 * struct axq_wq_waker - hooks a task onto a wait queue: a wake_up() of the
 * queue wakes the task (and does nothing else, so any context is fine)
 * @wqe: the entry on the wait queue
 * @head: the wait queue it is on, or NULL when disarmed
 * @task: the waker (a task reference) while armed
 *
 * Lifetime: axq_wq_waker_init() once; axq_wq_waker_arm() from poll, as
 * often as needed; axq_wq_waker_disarm() from poll or drop before the
 * memory goes away. Not safe against concurrent arm/disarm of one waker
 * (one future owns it; its polls never run concurrently).
 */
struct axq_wq_waker {
	struct wait_queue_entry wqe;
	struct wait_queue_head *head;
	struct axq_task *task;
};

void axq_wq_waker_init(struct axq_wq_waker *w);
void axq_wq_waker_arm(struct axq_wq_waker *w, struct wait_queue_head *head,
		      struct axq_context *cx);
void axq_wq_waker_disarm(struct axq_wq_waker *w);

/**
 * struct axq_join - a future that awaits another task's completion
 * @task: the join handle being awaited (owned: put on drop)
 * @w: hooks the awaiting task onto @task's completion
 */
struct axq_join {
	struct axq_task *task;
	struct axq_wq_waker w;
};

void axq_join_init(struct axq_join *join, struct axq_task *task);
enum axq_poll axq_join_poll(struct axq_join *join, struct axq_context *cx,
			    long *out);
void axq_join_drop(struct axq_join *join);

/**
 * struct axq_blocking - a future that runs a function that may sleep in
 * the bounded blocking pool (like spawn_blocking) and becomes ready with
 * its return value
 * @fn: the function; it may sleep
 * @arg: its argument
 * @work: the pool's work item
 * @waker: the task to wake when @fn returns (owned by the work while queued)
 * @result: @fn's return value, valid once @done
 * @queued: @work was queued
 * @done: @fn has returned (release store, acquire load)
 */
struct axq_blocking {
	long (*fn)(void *arg);
	void *arg;
	struct work_struct work;
	struct axq_task *waker;
	long result;
	bool queued;
	int done;
};

void axq_blocking_init(struct axq_blocking *b, long (*fn)(void *arg),
		       void *arg);
enum axq_poll axq_blocking_poll(struct axq_blocking *b,
				struct axq_context *cx, long *out);
void axq_blocking_drop(struct axq_blocking *b);

#endif /* _ASYNCX_RUNTIME_H */
