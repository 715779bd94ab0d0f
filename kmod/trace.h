/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx tracepoints (TRACE_SYSTEM asyncx).
 *
 * The argument names of every event are stable: bpftrace scripts in
 * scripts/bpftrace/ and users' own tools refer to them as args->NAME.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM asyncx

#if !defined(_ASYNCX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ASYNCX_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(asyncx_ctx_class,
		    TP_PROTO(u64 ctx_id, pid_t tgid),
		    TP_ARGS(ctx_id, tgid),
		    TP_STRUCT__entry(__field(u64, ctx_id)
				     __field(pid_t, tgid)),
		    TP_fast_assign(__entry->ctx_id = ctx_id;
				   __entry->tgid = tgid;),
		    TP_printk("ctx=%llu tgid=%d", __entry->ctx_id, __entry->tgid)
);

/**
 * asyncx_ctx_create - a context was created by open() of /dev/asyncx
 * @ctx_id:	the context's id, unique for the life of the module
 * @tgid:	the thread group that opened the device
 */
DEFINE_EVENT(asyncx_ctx_class, asyncx_ctx_create,
	     TP_PROTO(u64 ctx_id, pid_t tgid),
	     TP_ARGS(ctx_id, tgid));

/**
 * asyncx_ctx_free - a context was freed on the final close of its file
 * @ctx_id:	the context's id
 * @tgid:	the thread group that had opened the device
 */
DEFINE_EVENT(asyncx_ctx_class, asyncx_ctx_free,
	     TP_PROTO(u64 ctx_id, pid_t tgid),
	     TP_ARGS(ctx_id, tgid));

/**
 * asyncx_spawn - a task was spawned
 * @task_id:	the task's id, unique for the life of the module
 * @prio:	its priority class (0 high, 1 normal, 2 low)
 * @ops:	the future's ops table (its symbol names the future's type)
 */
TRACE_EVENT(asyncx_spawn,
	    TP_PROTO(u64 task_id, unsigned int prio, const void *ops),
	    TP_ARGS(task_id, prio, ops),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(unsigned int, prio)
			     __field(const void *, ops)),
	    TP_fast_assign(__entry->task_id = task_id;
			   __entry->prio = prio;
			   __entry->ops = ops;),
	    TP_printk("task=%llu prio=%u type=%ps", __entry->task_id,
		      __entry->prio, __entry->ops)
);

/**
 * asyncx_poll - a worker polled a task
 * @task_id:	the task
 * @ready:	1 if the poll returned READY, 0 if PENDING
 */
TRACE_EVENT(asyncx_poll,
	    TP_PROTO(u64 task_id, int ready),
	    TP_ARGS(task_id, ready),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(int, ready)),
	    TP_fast_assign(__entry->task_id = task_id;
			   __entry->ready = ready;),
	    TP_printk("task=%llu ready=%d", __entry->task_id, __entry->ready)
);

/**
 * asyncx_wake - a task was woken (the CPU of the event is the waker's)
 * @task_id:	the task
 * @queued:	1 if the wake queued the task, 0 if it was running and is
 *		requeued by its worker after the poll
 */
TRACE_EVENT(asyncx_wake,
	    TP_PROTO(u64 task_id, int queued),
	    TP_ARGS(task_id, queued),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(int, queued)),
	    TP_fast_assign(__entry->task_id = task_id;
			   __entry->queued = queued;),
	    TP_printk("task=%llu queued=%d", __entry->task_id, __entry->queued)
);

/**
 * asyncx_steal - a worker stole tasks from another's run queue
 * @victim:	the CPU stolen from
 * @thief:	the CPU of the stealing worker
 * @count:	tasks moved
 */
TRACE_EVENT(asyncx_steal,
	    TP_PROTO(unsigned int victim, unsigned int thief, unsigned int count),
	    TP_ARGS(victim, thief, count),
	    TP_STRUCT__entry(__field(unsigned int, victim)
			     __field(unsigned int, thief)
			     __field(unsigned int, count)),
	    TP_fast_assign(__entry->victim = victim;
			   __entry->thief = thief;
			   __entry->count = count;),
	    TP_printk("victim=%u thief=%u count=%u", __entry->victim,
		      __entry->thief, __entry->count)
);

DECLARE_EVENT_CLASS(asyncx_worker_class,
		    TP_PROTO(unsigned int cpu),
		    TP_ARGS(cpu),
		    TP_STRUCT__entry(__field(unsigned int, cpu)),
		    TP_fast_assign(__entry->cpu = cpu;),
		    TP_printk("cpu=%u", __entry->cpu)
);

/**
 * asyncx_park - a worker went to sleep for lack of work
 * @cpu:	its CPU
 */
DEFINE_EVENT(asyncx_worker_class, asyncx_park,
	     TP_PROTO(unsigned int cpu),
	     TP_ARGS(cpu));

/**
 * asyncx_unpark - a sleeping worker woke up to work
 * @cpu:	its CPU
 */
DEFINE_EVENT(asyncx_worker_class, asyncx_unpark,
	     TP_PROTO(unsigned int cpu),
	     TP_ARGS(cpu));

/**
 * asyncx_yield - a worker used up its budget of polls and yielded the CPU
 * @cpu:	its CPU
 */
DEFINE_EVENT(asyncx_worker_class, asyncx_yield,
	     TP_PROTO(unsigned int cpu),
	     TP_ARGS(cpu));

/**
 * asyncx_complete - a task finished: its future is dropped
 * @task_id:	the task
 * @result:	its result (negative errno, -ECANCELED if cancelled)
 */
TRACE_EVENT(asyncx_complete,
	    TP_PROTO(u64 task_id, long result),
	    TP_ARGS(task_id, result),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(long, result)),
	    TP_fast_assign(__entry->task_id = task_id;
			   __entry->result = result;),
	    TP_printk("task=%llu result=%ld", __entry->task_id, __entry->result)
);

/**
 * asyncx_cancel - a cancelled task's future was dropped by a worker
 * @task_id:	the task
 */
TRACE_EVENT(asyncx_cancel,
	    TP_PROTO(u64 task_id),
	    TP_ARGS(task_id),
	    TP_STRUCT__entry(__field(u64, task_id)),
	    TP_fast_assign(__entry->task_id = task_id;),
	    TP_printk("task=%llu", __entry->task_id)
);

#endif /* _ASYNCX_TRACE_H */

/* Out of tree: define_trace.h finds this header by path (see Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
