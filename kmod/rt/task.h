/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: the task and its state word (internal to the module).
 */
#ifndef _ASYNCX_RT_TASK_H
#define _ASYNCX_RT_TASK_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/wait.h>

#include <asyncx/runtime.h>

struct seq_file;
struct axq_task_tel;

/*
 * The state word: flags in the low byte, the count of wakers above them
 * (bits 8-31), the reference count in the high half. Every transition is
 * one atomic read-modify-write of the whole word, so "is it running, is it
 * queued, who must requeue it, can anyone still wake it" is decided once.
 *
 * A waker (axq_waker_get()) is a reference counted twice, as a reference
 * and as a waker; its wake or put drops both in the same RMW that sets
 * NOTIFIED, so a task that a poll left PENDING with no waker and not
 * NOTIFIED can never run again (a lost waker: telemetry.c reports it).
 *
 * RUNNING	a worker holds the right to poll (or drop) the future
 * NOTIFIED	the task is in a run queue, or is RUNNING and was woken during
 *		the poll and must be polled again (the worker requeues it)
 * COMPLETE	the future is finished and dropped; result is valid (release
 *		store with the flag, acquire load before reading result)
 * CANCELLED	cancellation was requested; the next worker to run the task
 *		drops the future instead of polling it
 * JOINED	someone is on @join_wq (set with a fully ordered RMW after
 *		queueing itself, before testing COMPLETE; axq_task_joined()):
 *		completion wakes @join_wq only then, without a barrier of its
 *		own
 */
#define AXQ_T_RUNNING		BIT(0)
#define AXQ_T_NOTIFIED		BIT(1)
#define AXQ_T_COMPLETE		BIT(2)
#define AXQ_T_CANCELLED		BIT(3)
#define AXQ_T_JOINED		BIT(4)
#define AXQ_T_FLAGS		GENMASK(7, 0)
#define AXQ_T_WAKER_SHIFT	8
#define AXQ_T_WAKER_ONE		BIT(AXQ_T_WAKER_SHIFT)
#define AXQ_T_WAKERS		GENMASK(31, AXQ_T_WAKER_SHIFT)
#define AXQ_T_REF_SHIFT		32
#define AXQ_T_REF_ONE		BIT(AXQ_T_REF_SHIFT)

/**
 * struct axq_task - a spawned future and its scheduling state
 * @state: flags and reference count (see AXQ_T_*); atomic
 * @fut: the future (I: set at spawn; not touched after its drop)
 * @node: link in the global injection queue (while NOTIFIED, queued there)
 * @entry: link in the registry of tasks that wait (L: registry shard lock)
 * @id: unique id, for tracing and debugfs (I: set at spawn)
 * @prio: priority class (I: set at spawn)
 * @embedded: the task lives in its future's allocation (axq_spawn_in()):
 *	its last put calls @ops->release instead of freeing it (I)
 * @registered: on the registry (@entry, @shard): set by the worker whose
 *	poll first returned PENDING (written only by the worker that holds
 *	RUNNING)
 * @detached: spawned with no join handle (axq_spawn_detached()): the task
 *	ends before @result, whose bytes its owner may use (I)
 * @shard: registry shard holding @entry (set with @registered)
 * @cpu: CPU of the last poll, -1 before the first (written by the polling
 *	worker, read locklessly by the debugfs view)
 * @ops: the future's ops, for the debugfs view, which may not look at
 *	@fut (I: set at spawn)
 * @spawned: jiffies at spawn (I)
 * @owner: who the task works for, for the debugfs view: a context id for
 *	ring operations, else 0 (axq_task_set_owner())
 * @tel: its telemetry (telemetry.c), from the first poll that returned
 *	PENDING while telemetry was on, else NULL (set by the worker that
 *	holds RUNNING before the task enters the registry; freed with the
 *	task)
 * @result: the future's output or -ECANCELED (valid once COMPLETE); not
 *	in a detached task
 * @join_wq: woken once when the task completes; not in a detached task
 *
 * References: the registry holds one until the task completes, each run
 * queue entry (NOTIFIED) one, each waker one, each join handle one.
 *
 * A detached task has no join handle, so nothing reads @result or waits
 * on @join_wq: it takes only AXQ_TASK_DETACHED_SIZE bytes, and a ring
 * request keeps its op's state right after them.
 */
struct axq_task {
	atomic_long_t		state;
	struct axq_future	*fut;
	struct llist_node	node;
	struct list_head	entry;
	u64			id;
	u8			prio;
	u8			embedded;
	u8			registered;
	u8			detached;
	u16			shard;
	s16			cpu;
	const struct axq_future_ops *ops;
	unsigned long		spawned;
	u64			owner;
	struct axq_task_tel	*tel;
	/* Not in a detached task: see AXQ_TASK_DETACHED_SIZE. */
	long			result;
	struct wait_queue_head	join_wq;
};

/* Bytes of a detached task (axq_spawn_detached()): up to @result. */
#define AXQ_TASK_DETACHED_SIZE	offsetof(struct axq_task, result)

struct axq_task *axq_spawn_in(struct axq_task *task, struct axq_future *fut,
			      enum axq_prio prio, struct axq_plug *plug);
int axq_spawn_detached(struct axq_task *task, struct axq_future *fut,
		       enum axq_prio prio, struct axq_plug *plug, u64 owner);
void axq_task_run(struct axq_task *task);
bool axq_task_joined(struct axq_task *task);
int axq_tasks_cancel_all(unsigned long timeout);
int axq_tasks_nr_live(void);
void axq_tasks_show(struct seq_file *m);
void axq_tasks_for_each(struct seq_file *m,
			void (*fn)(struct seq_file *m, struct axq_task *task,
				   u64 arg),
			u64 arg);
unsigned int axq_task_obj_size(void);
int axq_tasks_init(void);
void axq_tasks_exit(void);

#endif /* _ASYNCX_RT_TASK_H */
