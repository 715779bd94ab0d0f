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
 * @target_cpu:	the CPU whose run queue the task goes to: the waker's when
 *		a worker wakes it, -1 for the shared injection queue (any
 *		worker takes it) or when not @queued
 */
TRACE_EVENT(asyncx_wake,
	    TP_PROTO(u64 task_id, int queued, int target_cpu),
	    TP_ARGS(task_id, queued, target_cpu),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(int, queued)
			     __field(int, target_cpu)),
	    TP_fast_assign(__entry->task_id = task_id;
			   __entry->queued = queued;
			   __entry->target_cpu = target_cpu;),
	    TP_printk("task=%llu queued=%d target_cpu=%d", __entry->task_id,
		      __entry->queued, __entry->target_cpu)
);

/**
 * asyncx_pick - a worker took a task off a queue to poll it (the CPU of
 * the event is the worker's)
 * @task_id:	the task
 * @prio:	its priority class (0 high, 1 normal, 2 low)
 * @depth:	tasks left in this worker's run queues, all classes
 * @stolen:	1 if it came from another worker's queue
 */
TRACE_EVENT(asyncx_pick,
	    TP_PROTO(u64 task_id, unsigned int prio, unsigned int depth,
		     int stolen),
	    TP_ARGS(task_id, prio, depth, stolen),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(unsigned int, prio)
			     __field(unsigned int, depth)
			     __field(int, stolen)),
	    TP_fast_assign(__entry->task_id = task_id;
			   __entry->prio = prio;
			   __entry->depth = depth;
			   __entry->stolen = stolen;),
	    TP_printk("task=%llu prio=%u depth=%u stolen=%d", __entry->task_id,
		      __entry->prio, __entry->depth, __entry->stolen)
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

/**
 * asyncx_sqe_submit - an SQE was consumed from a context's SQ (the event
 * runs in the submitting task: pid and comm are the submitter's)
 * @ctx_id:	the context
 * @opcode:	the SQE's opcode (as given: may be invalid)
 * @flags:	the SQE's flags (ASYNCX_SQE_*)
 * @user_data:	the SQE's user_data
 */
TRACE_EVENT(asyncx_sqe_submit,
	    TP_PROTO(u64 ctx_id, unsigned int opcode, unsigned int flags,
		     u64 user_data),
	    TP_ARGS(ctx_id, opcode, flags, user_data),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(unsigned int, opcode)
			     __field(unsigned int, flags)
			     __field(u64, user_data)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->opcode = opcode;
			   __entry->flags = flags;
			   __entry->user_data = user_data;),
	    TP_printk("ctx=%llu opcode=%u flags=%#x user_data=%#llx",
		      __entry->ctx_id, __entry->opcode, __entry->flags,
		      __entry->user_data)
);

/**
 * asyncx_cqe_post - a CQE was posted (to the CQ, or to the overflow list)
 * @ctx_id:	the context
 * @user_data:	the CQE's user_data
 * @res:	its result
 * @cflags:	its flags (ASYNCX_CQE_F_*; without ASYNCX_CQE_F_MORE it is
 *		the operation's last CQE)
 */
TRACE_EVENT(asyncx_cqe_post,
	    TP_PROTO(u64 ctx_id, u64 user_data, int res, unsigned int cflags),
	    TP_ARGS(ctx_id, user_data, res, cflags),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, user_data)
			     __field(int, res)
			     __field(unsigned int, cflags)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->user_data = user_data;
			   __entry->res = res;
			   __entry->cflags = cflags;),
	    TP_printk("ctx=%llu user_data=%#llx res=%d cflags=%#x",
		      __entry->ctx_id, __entry->user_data, __entry->res,
		      __entry->cflags)
);

/**
 * asyncx_cq_overflow - a CQE did not fit in the CQ
 * @ctx_id:	the context
 * @user_data:	the CQE's user_data
 * @dropped:	1 if it was lost (no memory for the overflow list), 0 if it
 *		waits on the overflow list
 */
TRACE_EVENT(asyncx_cq_overflow,
	    TP_PROTO(u64 ctx_id, u64 user_data, int dropped),
	    TP_ARGS(ctx_id, user_data, dropped),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, user_data)
			     __field(int, dropped)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->user_data = user_data;
			   __entry->dropped = dropped;),
	    TP_printk("ctx=%llu user_data=%#llx dropped=%d", __entry->ctx_id,
		      __entry->user_data, __entry->dropped)
);

/**
 * asyncx_link - a chain (ASYNCX_SQE_LINK) moved on
 * @ctx_id:	the context
 * @user_data:	the member concerned
 * @started:	1 if the chain reached the member and started it, 0 if the
 *		member completes with -ECANCELED because an earlier one failed
 */
TRACE_EVENT(asyncx_link,
	    TP_PROTO(u64 ctx_id, u64 user_data, int started),
	    TP_ARGS(ctx_id, user_data, started),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, user_data)
			     __field(int, started)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->user_data = user_data;
			   __entry->started = started;),
	    TP_printk("ctx=%llu user_data=%#llx started=%d", __entry->ctx_id,
		      __entry->user_data, __entry->started)
);

/* What happened to a group (asyncx_group's event). */
#define AXQ_GROUP_OPEN	0	/* a GROUP opened the id; value: members */
#define AXQ_GROUP_JOIN	1	/* a member joined */
#define AXQ_GROUP_START	2	/* the GROUP started its members */
#define AXQ_GROUP_STOP	3	/* the rest are cancelled (winner, or cancel) */
#define AXQ_GROUP_DONE	4	/* the group's CQE; value: members succeeded */

TRACE_EVENT(asyncx_group,
	    TP_PROTO(u64 ctx_id, u64 user_data, u16 id, int event, u32 value),
	    TP_ARGS(ctx_id, user_data, id, event, value),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, user_data)
			     __field(u16, id)
			     __field(int, event)
			     __field(u32, value)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->user_data = user_data;
			   __entry->id = id;
			   __entry->event = event;
			   __entry->value = value;),
	    TP_printk("ctx=%llu user_data=%#llx group=%u event=%s value=%u",
		      __entry->ctx_id, __entry->user_data, __entry->id,
		      __print_symbolic(__entry->event,
				       { AXQ_GROUP_OPEN, "open" },
				       { AXQ_GROUP_JOIN, "join" },
				       { AXQ_GROUP_START, "start" },
				       { AXQ_GROUP_STOP, "stop" },
				       { AXQ_GROUP_DONE, "done" }),
		      __entry->value)
);

TRACE_EVENT(asyncx_deadline,
	    TP_PROTO(u64 ctx_id, u64 user_data),
	    TP_ARGS(ctx_id, user_data),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, user_data)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->user_data = user_data;),
	    TP_printk("ctx=%llu user_data=%#llx", __entry->ctx_id,
		      __entry->user_data)
);

TRACE_EVENT(asyncx_retry,
	    TP_PROTO(u64 ctx_id, u64 user_data, unsigned int attempt, int res,
		     u64 delay_ns),
	    TP_ARGS(ctx_id, user_data, attempt, res, delay_ns),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(u64, user_data)
			     __field(unsigned int, attempt)
			     __field(int, res)
			     __field(u64, delay_ns)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->user_data = user_data;
			   __entry->attempt = attempt;
			   __entry->res = res;
			   __entry->delay_ns = delay_ns;),
	    TP_printk("ctx=%llu user_data=%#llx attempt=%u res=%d delay_ns=%llu",
		      __entry->ctx_id, __entry->user_data, __entry->attempt,
		      __entry->res, __entry->delay_ns)
);

/**
 * asyncx_warn - telemetry's warning about a task (rt/telemetry.c)
 * @task_id:	the task
 * @kind:	0 lost waker (it can never run again), 1 long poll, 2
 *		starved (queued too long), 3 wake after completion
 * @value:	the poll's length (long poll) or the time queued (starved), ns;
 *		else 0
 * @site:	where it comes from: the wait's site (lost waker), the
 *		future's poll function (long poll), the last waker (starved),
 *		the waker's caller (wake after completion)
 */
TRACE_EVENT(asyncx_warn,
	    TP_PROTO(u64 task_id, int kind, u64 value, void *site),
	    TP_ARGS(task_id, kind, value, site),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(int, kind)
			     __field(u64, value)
			     __field(void *, site)),
	    TP_fast_assign(__entry->task_id = task_id;
			   __entry->kind = kind;
			   __entry->value = value;
			   __entry->site = site;),
	    TP_printk("task=%llu kind=%d value=%llu site=%pS", __entry->task_id,
		      __entry->kind, __entry->value, __entry->site)
);

/**
 * asyncx_sqpoll - the SQ thread of an ASYNCX_SETUP_SQPOLL context went to
 *	sleep (ASYNCX_SQ_NEED_WAKEUP set) or woke
 * @ctx_id:	the context
 * @sleeping:	1 when it goes to sleep after its idle time, 0 when it woke
 * @consumed:	SQEs it consumed since it last woke (on sleep), or 0
 */
TRACE_EVENT(asyncx_sqpoll,
	    TP_PROTO(u64 ctx_id, int sleeping, u64 consumed),
	    TP_ARGS(ctx_id, sleeping, consumed),
	    TP_STRUCT__entry(__field(u64, ctx_id)
			     __field(int, sleeping)
			     __field(u64, consumed)),
	    TP_fast_assign(__entry->ctx_id = ctx_id;
			   __entry->sleeping = sleeping;
			   __entry->consumed = consumed;),
	    TP_printk("ctx=%llu sleeping=%d consumed=%llu", __entry->ctx_id,
		      __entry->sleeping, __entry->consumed)
);

#endif /* _ASYNCX_TRACE_H */

/* Out of tree: define_trace.h finds this header by path (see Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
