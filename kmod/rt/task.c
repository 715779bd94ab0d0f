// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: tasks — spawn, the state machine, wakers, join, cancellation and
 * the registry of tasks that wait.
 */
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "executor.h"
#include "stats.h"
#include "task.h"
#include "telemetry.h"
#include "trace.h"

/* The state word holds flags, wakers and references in 64 bits. */
static_assert(BITS_PER_LONG == 64);

/**
 * DOC: task state machine
 *
 * A task's state is one word: four flags and a reference count. Every
 * transition is a single atomic read-modify-write of the whole word::
 *
 *              spawn                       wake (from any context)
 *                |                     +-----------------------------+
 *                v                     |                             |
 *   +-------> NOTIFIED ---- worker ----+--> RUNNING ---- PENDING ---> idle
 *   |        (in a queue)  dequeues         |    |  \                  |
 *   |                                       |    |   wake while        |
 *   |                              READY or |    |   running: +NOTIFIED|
 *   |                              CANCELLED|    v                     |
 *   |                                       |  RUNNING|NOTIFIED        |
 *   |                                       v    |  (requeued after    |
 *   |                                   COMPLETE |   the poll)         |
 *   |                                            |                     |
 *   +--------------------------------------------+---------------------+
 *                        requeue / wake of an idle task
 *
 * - A wake of an idle task sets NOTIFIED, takes a reference for the run
 *   queue and queues the task. A wake of a task that is NOTIFIED already is
 *   a no-op (wakes coalesce); a wake of a RUNNING task only sets NOTIFIED,
 *   and the worker requeues it when the poll returns PENDING, so a wake
 *   during a poll is never lost. A wake of a COMPLETE task is a no-op.
 * - Only the worker that cleared NOTIFIED and set RUNNING may poll or drop
 *   the future, so a task is never polled on two CPUs at once.
 * - Cancellation sets CANCELLED; an idle task is also queued (NOTIFIED) so
 *   that a worker drops it. The worker that runs a CANCELLED task drops the
 *   future instead of polling it: drop runs exactly once, on a worker.
 * - References: the task's life holds one until COMPLETE (called the
 *   registry's reference, whether or not it is on the registry), a run
 *   queue entry one, each waker and each join handle one. That reference
 *   means a task is never freed before its future is dropped.
 */

static struct kmem_cache *axq_task_cache;

/*
 * The registry of tasks that wait, sharded per CPU. A task enters it the
 * first time a poll returns PENDING, on the worker that polled it, and
 * leaves it when it completes: a task that completes at its first poll
 * (most of them) never takes a registry lock, and none is taken at spawn
 * (a lock, a list insertion and a removal per task cost a quarter of a
 * trivial task's spawn->complete). The debugfs view lists the registry;
 * module unload cancels what is in it, and a task that registers after
 * that cancels itself. Tasks not yet complete are counted per CPU
 * (axq_task_live: incremented where spawned, decremented where complete).
 */
struct axq_shard {
	spinlock_t		lock;	/* protects tasks, nr */
	struct list_head	tasks;	/* L: lock */
	unsigned int		nr;	/* L: lock; tasks on the list */
} ____cacheline_aligned_in_smp;

/* Task ids: a per-CPU sequence number above the spawning CPU's number. */
#define AXQ_ID_CPU_BITS		13

static struct axq_shard *axq_shards;	/* [nr_cpu_ids] */
static DEFINE_PER_CPU(u64, axq_task_seq);
static DEFINE_PER_CPU(long, axq_task_live);
/* The task this CPU's worker is polling (telemetry: self wakes). */
static DEFINE_PER_CPU(struct axq_task *, axq_polling);
/*
 * Set under every shard's lock, then synchronize_rcu(): a spawn reads it in
 * an RCU read-side section that also counts the task live, so once the
 * grace period ends every spawn either failed or is counted.
 */
static bool axq_shutting_down;
static DECLARE_WAIT_QUEUE_HEAD(axq_drained_wq);

/* Drop @delta: a reference, or a waker's (a reference and a waker). */
static void __axq_task_put(struct axq_task *task, long delta)
{
	unsigned long s;

	/* Release: our accesses to the task happen before a free elsewhere. */
	s = atomic_long_sub_return_release(delta, &task->state);
	if (s >= AXQ_T_REF_ONE)
		return;
	/* Pairs with the release above in every other put. */
	smp_acquire__after_ctrl_dep();
	WARN_ON_ONCE(!(s & AXQ_T_COMPLETE) || s & AXQ_T_WAKERS);
	axq_tel_free(task->tel);
	if (task->embedded)
		task->ops->release(task->fut);
	else
		kmem_cache_free(axq_task_cache, task);
}

/**
 * axq_task_put() - drop a reference to a task (a join handle)
 * @task: the task
 *
 * Frees the task when this was the last reference. A waker is dropped
 * with axq_waker_put() instead.
 *
 * Context: any context.
 */
void axq_task_put(struct axq_task *task)
{
	__axq_task_put(task, AXQ_T_REF_ONE);
}
EXPORT_SYMBOL_GPL(axq_task_put);

/*
 * Set up @task for @fut, register it and queue it (or add it to @plug).
 * Returns -ESHUTDOWN, with nothing done, while the module is unloading.
 */
static int axq_task_start(struct axq_task *task, struct axq_future *fut,
			  enum axq_prio prio, bool embedded,
			  struct axq_plug *plug, bool handle, u64 owner)
{
	unsigned int cpu;

	/* References: the registry, the run queue, and the join handle. */
	atomic_long_set(&task->state,
			(handle ? 3 : 2) * AXQ_T_REF_ONE | AXQ_T_NOTIFIED);
	task->fut = fut;
	task->prio = prio;
	task->embedded = embedded;
	task->registered = 0;
	task->detached = !handle;
	task->cpu = -1;
	task->ops = fut->ops;
	task->spawned = jiffies;
	task->owner = owner;
	task->tel = NULL;
	/* A detached task ends before them (AXQ_TASK_DETACHED_SIZE). */
	if (handle) {
		task->result = 0;
		init_waitqueue_head(&task->join_wq);
	}

	/* Pairs with synchronize_rcu() in axq_tasks_cancel_all(). */
	rcu_read_lock();
	if (unlikely(READ_ONCE(axq_shutting_down))) {
		rcu_read_unlock();
		return -ESHUTDOWN;
	}
	cpu = get_cpu();
	task->id = (this_cpu_inc_return(axq_task_seq) << AXQ_ID_CPU_BITS) | cpu;
	this_cpu_inc(axq_task_live);
	put_cpu();
	rcu_read_unlock();

	this_cpu_inc(axq_stats->spawned);
	trace_asyncx_spawn(task->id, prio, fut->ops);
	if (!plug) {
		axq_schedule(task);
		return 0;
	}
	/* Newest first, as an llist: axq_unplug() adds the chain whole. */
	task->node.next = plug->first[prio];
	plug->first[prio] = &task->node;
	if (!plug->last[prio])
		plug->last[prio] = &task->node;
	return 0;
}

/**
 * axq_plug_init() - start a plug: tasks spawned into it wait to be queued
 * @plug: the plug, on the caller's stack
 *
 * Context: any context.
 */
void axq_plug_init(struct axq_plug *plug)
{
	memset(plug, 0, sizeof(*plug));
}
EXPORT_SYMBOL_GPL(axq_plug_init);

/**
 * axq_unplug() - queue the tasks spawned into a plug, and wake a worker once
 * @plug: the plug; empty again afterwards, and may be reused
 *
 * Context: any context.
 */
void axq_unplug(struct axq_plug *plug)
{
	unsigned int prio;

	for (prio = 0; prio < AXQ_NR_PRIO; prio++) {
		if (!plug->first[prio])
			continue;
		axq_schedule_batch(plug->first[prio], plug->last[prio], prio);
		plug->first[prio] = NULL;
		plug->last[prio] = NULL;
	}
}
EXPORT_SYMBOL_GPL(axq_unplug);

/**
 * axq_spawn() - start running a future as a new task
 * @fut: the future; the task owns it until its drop runs
 * @prio: priority class
 * @gfp: allocation flags: GFP_KERNEL, or GFP_ATOMIC in atomic context;
 *	add __GFP_ACCOUNT (GFP_KERNEL_ACCOUNT) to charge the task to the
 *	current memory cgroup, as work done for userspace should be
 *
 * The task is queued at once and polled by an executor worker.
 *
 * Context: any context; with GFP_ATOMIC also hardirq and softirq.
 * Return: a join handle (a reference to the task: put it with
 * axq_task_put()), or ERR_PTR(-EINVAL) for a bad argument, -ENOMEM, or
 * -ESHUTDOWN while the module is unloading.
 */
struct axq_task *axq_spawn(struct axq_future *fut, enum axq_prio prio,
			   gfp_t gfp)
{
	struct axq_task *task;
	int ret;

	if (!fut || !fut->ops || !fut->ops->poll || prio >= AXQ_NR_PRIO)
		return ERR_PTR(-EINVAL);

	task = kmem_cache_alloc(axq_task_cache, gfp);
	if (!task)
		return ERR_PTR(-ENOMEM);
	ret = axq_task_start(task, fut, prio, false, NULL, true, 0);
	if (ret) {
		kmem_cache_free(axq_task_cache, task);
		return ERR_PTR(ret);
	}
	return task;
}
EXPORT_SYMBOL_GPL(axq_spawn);

/**
 * axq_spawn_plug() - axq_spawn() into a plug: queued at axq_unplug()
 * @plug: a plug started by axq_plug_init() in this thread
 * @fut: the future; the task owns it until its drop runs
 * @prio: priority class
 * @gfp: allocation flags, as for axq_spawn()
 *
 * The task is registered (a join handle works, a cancel is remembered) but
 * not polled before axq_unplug(@plug).
 *
 * Context: as axq_spawn().
 * Return: as axq_spawn().
 */
struct axq_task *axq_spawn_plug(struct axq_plug *plug, struct axq_future *fut,
				enum axq_prio prio, gfp_t gfp)
{
	struct axq_task *task;
	int ret;

	if (!plug || !fut || !fut->ops || !fut->ops->poll || prio >= AXQ_NR_PRIO)
		return ERR_PTR(-EINVAL);

	task = kmem_cache_alloc(axq_task_cache, gfp);
	if (!task)
		return ERR_PTR(-ENOMEM);
	ret = axq_task_start(task, fut, prio, false, plug, true, 0);
	if (ret) {
		kmem_cache_free(axq_task_cache, task);
		return ERR_PTR(ret);
	}
	return task;
}
EXPORT_SYMBOL_GPL(axq_spawn_plug);

/**
 * axq_spawn_in() - axq_spawn() into memory the future provides
 * @task: storage for the task, in the same allocation as @fut
 * @fut: the future; its ops must have &axq_future_ops.release
 * @prio: priority class
 * @plug: a plug to spawn into (axq_spawn_plug()), or NULL
 *
 * One allocation for the future and its task, as the ring's requests are:
 * nothing is allocated here. The allocation stays until the task's last
 * reference is gone, after the future's drop; then @fut's release frees it.
 *
 * Context: any context.
 * Return: a join handle, as axq_spawn(), or ERR_PTR(-EINVAL) or
 * ERR_PTR(-ESHUTDOWN); on an error the caller still owns @fut.
 */
struct axq_task *axq_spawn_in(struct axq_task *task, struct axq_future *fut,
			      enum axq_prio prio, struct axq_plug *plug)
{
	int ret;

	if (!fut->ops || !fut->ops->poll || !fut->ops->release ||
	    prio >= AXQ_NR_PRIO)
		return ERR_PTR(-EINVAL);
	ret = axq_task_start(task, fut, prio, true, plug, true, 0);
	return ret ? ERR_PTR(ret) : task;
}

/**
 * axq_spawn_detached() - axq_spawn_in() with no join handle
 * @task: storage for the task, in the same allocation as @fut: only its
 *	first AXQ_TASK_DETACHED_SIZE bytes are used (no result, no join wait
 *	queue), and what follows them is the caller's
 * @fut: the future; its ops must have &axq_future_ops.release
 * @prio: priority class
 * @plug: a plug to spawn into, or NULL
 * @owner: whom the task works for, in the debugfs view
 *	(axq_task_set_owner()), set before the task can run
 *
 * For tasks nobody joins, as the ring's requests: no reference to take and
 * drop at once, and no way to touch the task after this returns (it may
 * have run, completed and been freed on another CPU).
 *
 * Context: any context.
 * Return: 0, or -EINVAL or -ESHUTDOWN (the caller still owns @fut).
 */
int axq_spawn_detached(struct axq_task *task, struct axq_future *fut,
		       enum axq_prio prio, struct axq_plug *plug, u64 owner)
{
	if (!fut->ops || !fut->ops->poll || !fut->ops->release ||
	    prio >= AXQ_NR_PRIO)
		return -EINVAL;
	return axq_task_start(task, fut, prio, true, plug, false, owner);
}
EXPORT_SYMBOL_NS_GPL(axq_spawn_detached, ASYNCX_INTERNAL);

/**
 * axq_task_joined() - say that a joiner waits on a task, and test whether
 * the task is complete
 * @task: the task; the caller has queued itself on its join_wq
 *
 * Sets JOINED with a fully ordered RMW, then reads COMPLETE from it. The
 * completion's RMW of the state word (axq_task_finish()) is fully ordered
 * too, and the two are ordered against each other on that word: if the
 * completion comes later it sees JOINED and wakes join_wq, whose lock it
 * takes after the RMW, so it finds the caller's entry; if earlier, this
 * returns true. So a joiner is never missed, and a task nobody joins
 * completes without a barrier for joiners.
 *
 * Context: any context.
 * Return: true if the task is complete (its result may be read).
 */
bool axq_task_joined(struct axq_task *task)
{
	long s = atomic_long_fetch_or(AXQ_T_JOINED, &task->state);

	/* The full barrier of the RMW orders the result's read after it. */
	return s & AXQ_T_COMPLETE;
}

/*
 * A worker takes a NOTIFIED task off a queue: clear NOTIFIED, set RUNNING.
 * Acquire: pairs with the fully ordered RMW of the wake that queued it (and
 * through it with the release in axq_task_idle() of the previous poll), so
 * this poll sees everything the previous poll and the waker wrote.
 */
static unsigned long axq_task_claim(struct axq_task *task)
{
	long s = atomic_long_read(&task->state);

	do {
		WARN_ON_ONCE(!(s & AXQ_T_NOTIFIED) ||
			     (s & (AXQ_T_RUNNING | AXQ_T_COMPLETE)));
	} while (!atomic_long_try_cmpxchg_acquire(&task->state, &s,
						  (s & ~AXQ_T_NOTIFIED) |
						  AXQ_T_RUNNING));
	return s;
}

enum axq_after_poll {
	AXQ_IDLE,	/* wait for a wake; the run queue's reference is gone */
	AXQ_REQUEUE,	/* woken during the poll: queue again, keep the ref */
	AXQ_DROP,	/* cancelled during the poll: drop the future */
};

/*
 * After a PENDING poll. Release: the poll's writes to the future happen
 * before the next claim of the task (see axq_task_claim()).
 */
static enum axq_after_poll axq_task_idle(struct axq_task *task)
{
	long s = atomic_long_read(&task->state);
	long n;

	do {
		if (s & AXQ_T_CANCELLED)
			return AXQ_DROP;
		if (s & AXQ_T_NOTIFIED)
			n = s & ~AXQ_T_RUNNING;
		else
			n = (s & ~AXQ_T_RUNNING) - AXQ_T_REF_ONE;
	} while (!atomic_long_try_cmpxchg_release(&task->state, &s, n));
	return (s & AXQ_T_NOTIFIED) ? AXQ_REQUEUE : AXQ_IDLE;
}

/*
 * A poll of @task returned PENDING for the first time: enter the registry
 * of this worker's CPU. After unload began, cancel it (it is RUNNING: it is
 * dropped when the poll is done).
 */
static void axq_task_register(struct axq_task *task)
{
	unsigned int cpu = raw_smp_processor_id();	/* a bound worker */
	struct axq_shard *shard = &axq_shards[cpu];
	bool stop;

	task->shard = cpu;
	task->registered = 1;
	spin_lock(&shard->lock);
	list_add_tail(&task->entry, &shard->tasks);
	shard->nr++;
	stop = axq_shutting_down;
	spin_unlock(&shard->lock);
	if (unlikely(stop))
		axq_task_cancel(task);
}

/* Drop the future, publish the result, leave the registry. */
static void axq_task_finish(struct axq_task *task, long result, bool cancelled)
{
	struct axq_shard *shard = &axq_shards[task->shard];
	long s, n;

	if (task->fut->ops->drop)
		task->fut->ops->drop(task->fut);
	if (!task->detached)
		task->result = result;

	/*
	 * Fully ordered: the result and the future's last writes happen
	 * before COMPLETE is seen (pairs with the acquire in
	 * axq_task_is_complete()), and the wake of joiners below comes after
	 * it (see axq_task_joined()). The run queue's reference goes with the
	 * same write. @s is the state before it.
	 */
	s = atomic_long_read(&task->state);
	do {
		n = (s | AXQ_T_COMPLETE) & ~(AXQ_T_RUNNING | AXQ_T_NOTIFIED);
		n -= AXQ_T_REF_ONE;
	} while (!atomic_long_try_cmpxchg(&task->state, &s, n));

	if (cancelled) {
		this_cpu_inc(axq_stats->cancelled);
		trace_asyncx_cancel(task->id);
	}
	this_cpu_inc(axq_stats->completed);
	trace_asyncx_complete(task->id, result);

	/*
	 * Someone queued itself on join_wq before our write: wake it. Never
	 * a detached task's: nobody holds a handle to join it with.
	 */
	if (s & AXQ_T_JOINED)
		wake_up_all(&task->join_wq);

	if (task->registered) {
		spin_lock(&shard->lock);
		list_del(&task->entry);
		shard->nr--;
		spin_unlock(&shard->lock);
	}
	this_cpu_dec(axq_task_live);
	if (unlikely(READ_ONCE(axq_shutting_down)))
		wake_up_all(&axq_drained_wq);
	axq_task_put(task);		/* the registry's reference */
}

/*
 * Telemetry (telemetry.c) around a poll, by the worker that holds RUNNING,
 * with telemetry on. Before it: the time the task waited queued, and which
 * task this CPU polls (a wake from inside the poll is a self wake).
 */
static void axq_tel_before_poll(struct axq_task *task,
				struct axq_task_tel *tel, u64 now)
{
	u64 queued, waited;

	this_cpu_write(axq_polling, task);
	queued = READ_ONCE(tel->queued_at);
	if (!queued)
		return;
	waited = now > queued ? now - queued : 0;
	WRITE_ONCE(tel->sched_ns, tel->sched_ns + waited);
	WRITE_ONCE(tel->queued_at, 0);
	if (waited > axq_tel_starved_ns())
		axq_tel_warn(task, AXQ_WARN_STARVED, waited,
			     READ_ONCE(tel->last_waker));
}

/*
 * After it: its length (a long poll warns, whoever the task). A task with
 * a record is timed with the clock; any other (a first poll: most tasks
 * have no other) only by jiffies, which costs no clock read: a long poll
 * is milliseconds.
 */
static void axq_tel_after_poll(struct axq_task *task,
			       struct axq_task_tel *tel, u64 took)
{
	if (took > axq_tel_long_poll_ns())
		axq_tel_warn(task, AXQ_WARN_LONG_POLL, took,
			     (unsigned long)task->ops->poll);
	if (!tel)
		return;
	this_cpu_write(axq_polling, NULL);
	WRITE_ONCE(tel->polls, tel->polls + 1);
	WRITE_ONCE(tel->busy_ns, tel->busy_ns + took);
	if (took > tel->max_poll_ns)
		WRITE_ONCE(tel->max_poll_ns, min_t(u64, took, U32_MAX));
}

/* Its first poll returned PENDING: its record, before it is registered. */
static void axq_tel_first_wait(struct axq_task *task, u64 took)
{
	struct axq_task_tel *tel = axq_tel_alloc();

	if (!tel)
		return;
	tel->polls = 1;
	tel->busy_ns = took;
	tel->max_poll_ns = min_t(u64, took, U32_MAX);
	/* Release: wakers that find it (READ_ONCE) see it initialised. */
	smp_store_release(&task->tel, tel);
}

/*
 * A poll returned PENDING: what the task waits on, and can anything wake
 * it? The count of wakers is in the state word, which the wakes that
 * consume them update in the same RMW that sets NOTIFIED, and only this
 * worker's poll may add wakers: no waker and not NOTIFIED now means none
 * ever (a cancel still drops it).
 */
static void axq_tel_pending(struct axq_task *task, struct axq_context *cx)
{
	struct axq_task_tel *tel = task->tel;
	long s;

	if (tel && cx->wait_kind) {
		WRITE_ONCE(tel->wait_kind, cx->wait_kind);
		WRITE_ONCE(tel->wait_arg, cx->wait_arg);
		WRITE_ONCE(tel->wait_ip, cx->wait_ip);
	}
	s = atomic_long_read(&task->state);
	if (!(s & (AXQ_T_NOTIFIED | AXQ_T_CANCELLED | AXQ_T_WAKERS)))
		axq_tel_warn(task, AXQ_WARN_LOST_WAKER, 0,
			     cx->wait_ip ?: (unsigned long)task->ops->poll);
}

/**
 * axq_task_run() - poll a task taken off a run queue, once
 * @task: a NOTIFIED task; the caller passes on the run queue's reference
 *
 * Context: an executor worker, process context, may not sleep.
 */
void axq_task_run(struct axq_task *task)
{
	struct axq_context cx = { .task = task };
	struct axq_task_tel *tel = NULL;
	unsigned long j0 = jiffies;
	u64 t0 = 0, took = 0;
	bool tel_on = axq_tel_on();
	enum axq_poll ready;
	long out = 0;

	if (axq_task_claim(task) & AXQ_T_CANCELLED) {
		axq_task_finish(task, -ECANCELED, true);
		return;
	}

	WRITE_ONCE(task->cpu, raw_smp_processor_id());
	if (tel_on) {
		tel = task->tel;
		if (tel) {
			t0 = local_clock();
			axq_tel_before_poll(task, tel, t0);
		}
	}
	ready = task->fut->ops->poll(task->fut, &cx, &out);
	if (tel_on) {
		took = tel ? local_clock() - t0 : (u64)(jiffies - j0) * TICK_NSEC;
		axq_tel_after_poll(task, tel, took);
	}
	this_cpu_inc(axq_stats->polled);
	trace_asyncx_poll(task->id, ready == AXQ_READY);
	if (ready == AXQ_READY) {
		axq_task_finish(task, out, false);
		return;
	}
	if (unlikely(!task->registered)) {
		if (tel_on)
			axq_tel_first_wait(task, took);
		axq_task_register(task);
	}
	if (tel_on)
		axq_tel_pending(task, &cx);

	switch (axq_task_idle(task)) {
	case AXQ_IDLE:
		break;
	case AXQ_REQUEUE:
		/* Woken during its poll: queued from the poll's end. */
		if (tel)
			WRITE_ONCE(tel->queued_at, t0 + took);
		else if (tel_on && task->tel)
			WRITE_ONCE(task->tel->queued_at, local_clock());
		axq_schedule(task);
		break;
	case AXQ_DROP:
		axq_task_finish(task, -ECANCELED, true);
		break;
	}
}

/*
 * Wake @task. @owned: the caller passes on a reference (axq_wake()).
 * Fully ordered RMW: what the waker wrote before the wake is seen by the
 * poll it causes (pairs with the acquire in axq_task_claim()).
 */
static void axq_task_wake(struct axq_task *task, bool owned, unsigned long ip)
{
	long s = atomic_long_read(&task->state);
	/* Read now: an owned wake of a running task gives its reference
	 * away, and the task may complete and be freed right after.
	 */
	u64 id = task->id;
	struct axq_task_tel *tel = NULL;
	long n;

	/* (A waker's reference keeps the task and its record alive here.) */
	if (axq_tel_on()) {
		tel = READ_ONCE(task->tel);
		if (tel) {
			atomic_inc(&tel->wakes);
			WRITE_ONCE(tel->last_waker, ip);
			if (this_cpu_read(axq_polling) == task &&
			    tel->self_wakes != U16_MAX)
				WRITE_ONCE(tel->self_wakes, tel->self_wakes + 1);
		}
	}
	do {
		if (s & (AXQ_T_COMPLETE | AXQ_T_NOTIFIED)) {
			/* A waker kept past the future that armed it. */
			if ((s & (AXQ_T_COMPLETE | AXQ_T_CANCELLED)) ==
			    AXQ_T_COMPLETE && axq_tel_on())
				axq_tel_warn(task, AXQ_WARN_WAKE_AFTER_COMPLETE,
					     0, ip);
			if (owned)
				axq_waker_put(task);
			return;
		}
		n = s | AXQ_T_NOTIFIED;
		if (owned)
			n -= AXQ_T_WAKER_ONE;
		/* Queueing needs a reference: the caller's, or a new one. A
		 * running task is requeued by its worker with the worker's.
		 */
		if (!(s & AXQ_T_RUNNING) && !owned)
			n += AXQ_T_REF_ONE;
		else if ((s & AXQ_T_RUNNING) && owned)
			n -= AXQ_T_REF_ONE;	/* never the last: the registry */
	} while (!atomic_long_try_cmpxchg(&task->state, &s, n));

	this_cpu_inc(axq_stats->woken);
	trace_asyncx_wake(id, !(s & AXQ_T_RUNNING),
			  s & AXQ_T_RUNNING ? -1 : axq_schedule_cpu());
	if (!(s & AXQ_T_RUNNING)) {
		/* Ours until queued: the run queue's reference is ours. */
		if (tel)
			WRITE_ONCE(tel->queued_at, local_clock());
		axq_schedule(task);
	}
}

/**
 * axq_waker_get() - a waker for the task being polled
 * @cx: the poll context
 *
 * Context: inside a poll.
 * Return: a new reference to the task; consume it with axq_wake() or
 * axq_waker_put().
 */
struct axq_task *axq_waker_get(struct axq_context *cx)
{
	/* A reference that counts as a waker too (see task.h). */
	atomic_long_add(AXQ_T_REF_ONE + AXQ_T_WAKER_ONE, &cx->task->state);
	return cx->task;
}
EXPORT_SYMBOL_GPL(axq_waker_get);

/**
 * axq_wake() - wake a task and drop the waker's reference
 * @waker: a reference from axq_waker_get()
 *
 * Context: any context (hardirq, softirq, hrtimer, wait-queue callback,
 * any CPU); never sleeps.
 */
void axq_wake(struct axq_task *waker)
{
	axq_task_wake(waker, true, _RET_IP_);
}
EXPORT_SYMBOL_GPL(axq_wake);

/**
 * axq_wake_by_ref() - wake a task and keep the waker's reference
 * @waker: a reference from axq_waker_get()
 *
 * Context: any context; never sleeps.
 */
void axq_wake_by_ref(struct axq_task *waker)
{
	axq_task_wake(waker, false, _RET_IP_);
}
EXPORT_SYMBOL_GPL(axq_wake_by_ref);

/**
 * axq_waker_put() - drop a waker without waking
 * @waker: a reference from axq_waker_get()
 *
 * Context: any context.
 */
void axq_waker_put(struct axq_task *waker)
{
	__axq_task_put(waker, AXQ_T_REF_ONE + AXQ_T_WAKER_ONE);
}
EXPORT_SYMBOL_GPL(axq_waker_put);

/**
 * axq_task_cancel() - ask a task to stop
 * @task: a join handle
 *
 * The future is dropped (its drop runs exactly once, on a worker) instead
 * of being polled again, and the task completes with -ECANCELED. A poll in
 * progress finishes first; if it returns READY the task completes with
 * that result instead.
 *
 * Context: any context; never sleeps.
 * Return: 0 if this call requested the cancellation; -EALREADY if the task
 * had completed or was being cancelled already.
 */
int axq_task_cancel(struct axq_task *task)
{
	long s = atomic_long_read(&task->state);
	long n;

	do {
		if (s & (AXQ_T_COMPLETE | AXQ_T_CANCELLED))
			return -EALREADY;
		n = s | AXQ_T_CANCELLED;
		/* Idle: queue it, so that a worker drops the future. */
		if (!(s & (AXQ_T_RUNNING | AXQ_T_NOTIFIED)))
			n = (n | AXQ_T_NOTIFIED) + AXQ_T_REF_ONE;
	} while (!atomic_long_try_cmpxchg(&task->state, &s, n));

	if (!(s & (AXQ_T_RUNNING | AXQ_T_NOTIFIED)))
		axq_schedule(task);
	return 0;
}
EXPORT_SYMBOL_GPL(axq_task_cancel);

/**
 * axq_task_is_complete() - has the task finished (ready or cancelled)?
 * @task: a join handle
 *
 * Context: any context.
 * Return: true once the future has been dropped and the result is valid.
 */
bool axq_task_is_complete(struct axq_task *task)
{
	/* Acquire: pairs with the release in axq_task_finish(). */
	return atomic_long_read_acquire(&task->state) & AXQ_T_COMPLETE;
}
EXPORT_SYMBOL_GPL(axq_task_is_complete);

/**
 * axq_task_result() - the result of a complete task
 * @task: a join handle of a task for which axq_task_is_complete() was true
 *
 * Context: any context.
 * Return: the future's output, or -ECANCELED if it was cancelled.
 */
long axq_task_result(struct axq_task *task)
{
	WARN_ON_ONCE(!axq_task_is_complete(task));
	return task->result;
}
EXPORT_SYMBOL_GPL(axq_task_result);

/**
 * axq_join_timeout() - wait for a task to complete
 * @task: a join handle (still owned by the caller afterwards)
 * @result: where to store the task's result, or NULL
 * @timeout: the longest wait, in jiffies
 *
 * Context: process context; sleeps (killable).
 * Return: 0 with *@result set, -ETIMEDOUT, or -ERESTARTSYS when killed.
 */
int axq_join_timeout(struct axq_task *task, long *result,
		     unsigned long timeout)
{
	long ret;

	might_sleep();
	/* The condition runs after each queueing: JOINED, then the test. */
	ret = wait_event_killable_timeout(task->join_wq,
					  axq_task_joined(task), timeout);
	if (ret < 0)
		return ret;
	if (!ret && !axq_task_is_complete(task))
		return -ETIMEDOUT;
	if (result)
		*result = task->result;
	return 0;
}
EXPORT_SYMBOL_GPL(axq_join_timeout);

/* A wake_up() of the wait queue: wake the task, nothing more. */
static int axq_wq_wake_fn(struct wait_queue_entry *wqe, unsigned int mode,
			  int sync, void *key)
{
	struct axq_wq_waker *w = container_of(wqe, struct axq_wq_waker, wqe);

	axq_wake_by_ref(w->task);
	return 1;
}

/**
 * axq_wq_waker_init() - prepare a wait-queue waker (disarmed)
 * @w: the waker, embedded in a future
 *
 * Context: any context.
 */
void axq_wq_waker_init(struct axq_wq_waker *w)
{
	init_waitqueue_func_entry(&w->wqe, axq_wq_wake_fn);
	w->head = NULL;
	w->task = NULL;
}
EXPORT_SYMBOL_GPL(axq_wq_waker_init);

/**
 * axq_wq_waker_arm() - wake the polled task on every wake_up() of @head
 * @w: the waker
 * @head: the wait queue
 * @cx: the poll context
 *
 * Hooks the task onto @head with a reference, unless it is hooked there
 * already; moves it if it was hooked elsewhere. The caller then tests its
 * condition again before returning AXQ_PENDING: this call ends with a full
 * barrier, so a waker that set the condition and then looked for sleepers
 * (wake_up(), or wq_has_sleeper() and its barrier) either sees the entry
 * or had its condition store seen by that test.
 *
 * Context: inside a poll; takes @head's lock with interrupts disabled.
 */
void axq_wq_waker_arm(struct axq_wq_waker *w, struct wait_queue_head *head,
		      struct axq_context *cx)
{
	if (w->head == head && w->task == cx->task)
		return;
	axq_wq_waker_disarm(w);
	w->task = axq_waker_get(cx);
	w->head = head;
	__axq_wait_note(cx, AXQ_WAIT_WQ, head, 0, _RET_IP_);
	add_wait_queue(head, &w->wqe);
	/* Entry before the caller's test; pairs with the waker's barrier. */
	smp_mb();
}
EXPORT_SYMBOL_GPL(axq_wq_waker_arm);

/**
 * axq_wq_waker_disarm() - unhook the waker and drop its reference
 * @w: the waker (disarmed already is fine)
 *
 * Once this returns, no wake function of @w runs: it runs under the wait
 * queue's lock, which removal takes.
 *
 * Context: process or softirq context; takes the wait queue's lock.
 */
void axq_wq_waker_disarm(struct axq_wq_waker *w)
{
	if (!w->head)
		return;
	remove_wait_queue(w->head, &w->wqe);
	w->head = NULL;
	axq_waker_put(w->task);
	w->task = NULL;
}
EXPORT_SYMBOL_GPL(axq_wq_waker_disarm);

/**
 * axq_join_init() - prepare a future that awaits @task
 * @join: the join future's state
 * @task: a join handle; @join owns it from now on
 *
 * Context: any context.
 */
void axq_join_init(struct axq_join *join, struct axq_task *task)
{
	join->task = task;
	axq_wq_waker_init(&join->w);
}
EXPORT_SYMBOL_GPL(axq_join_init);

/**
 * axq_join_poll() - poll a join future
 * @join: the join future's state
 * @cx: the poll context
 * @out: where the awaited task's result goes
 *
 * Context: inside a poll.
 * Return: AXQ_READY with the result once the task completed, else
 * AXQ_PENDING (the polled task is woken when it completes).
 */
enum axq_poll axq_join_poll(struct axq_join *join, struct axq_context *cx,
			    long *out)
{
	if (!axq_task_is_complete(join->task)) {
		axq_wq_waker_arm(&join->w, &join->task->join_wq, cx);
		if (!axq_task_joined(join->task))
			return AXQ_PENDING;
	}
	axq_wq_waker_disarm(&join->w);
	*out = join->task->result;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_join_poll);

/**
 * axq_join_drop() - release a join future and its join handle
 * @join: the join future's state
 *
 * Context: process context.
 */
void axq_join_drop(struct axq_join *join)
{
	axq_wq_waker_disarm(&join->w);
	if (join->task)
		axq_task_put(join->task);
	join->task = NULL;
}
EXPORT_SYMBOL_GPL(axq_join_drop);

/**
 * axq_tasks_cancel_all() - refuse new spawns, cancel every live task and
 * wait until all have completed
 * @timeout: the longest wait, in jiffies
 *
 * Context: process context (module unload); sleeps.
 * Return: 0, or -ETIMEDOUT with tasks still live.
 */
int axq_tasks_cancel_all(unsigned long timeout)
{
	struct axq_task *task;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct axq_shard *shard = &axq_shards[cpu];

		spin_lock(&shard->lock);
		WRITE_ONCE(axq_shutting_down, true);
		list_for_each_entry(task, &shard->tasks, entry)
			axq_task_cancel(task);
		spin_unlock(&shard->lock);
	}
	/* Every spawn that did not see the flag has counted its task. */
	synchronize_rcu();
	if (!wait_event_timeout(axq_drained_wq, !axq_tasks_nr_live(), timeout))
		return -ETIMEDOUT;
	return 0;
}

/**
 * axq_task_obj_size() - bytes of one task object in its slab cache
 *
 * Context: any context, after axq_tasks_init().
 * Return: the object size, alignment included.
 */
unsigned int axq_task_obj_size(void)
{
	return kmem_cache_size(axq_task_cache);
}

/**
 * axq_task_set_owner() - say whom a task works for, in the debugfs view
 * @task: a task the caller holds a reference to
 * @owner: an id (a context's, for ring operations)
 *
 * Context: any context.
 */
void axq_task_set_owner(struct axq_task *task, u64 owner)
{
	WRITE_ONCE(task->owner, owner);
}
EXPORT_SYMBOL_GPL(axq_task_set_owner);

static const char *axq_task_state_name(long s)
{
	if (s & AXQ_T_CANCELLED)
		return "cancelled";
	if (s & AXQ_T_RUNNING)
		return "running";
	if (s & AXQ_T_NOTIFIED)
		return "queued";
	return "waiting";
}

/* One line of the debugfs table of tasks (axq_tasks_show()). */
static void axq_task_row(struct seq_file *m, struct axq_task *task, u64 now)
{
	static const char * const prio_name[] = { "high", "normal", "low" };

	seq_printf(m, "%-12llu %-9s %-6s %4d %10u %-24s %llu\n", task->id,
		   axq_task_state_name(atomic_long_read(&task->state)),
		   prio_name[task->prio], READ_ONCE(task->cpu),
		   jiffies_to_msecs((unsigned long)now - task->spawned),
		   task->ops->name ?: "?", READ_ONCE(task->owner));
}

/**
 * axq_tasks_show() - the debugfs table of tasks that wait
 * @m: the seq_file
 *
 * One line per task not yet complete that has waited (a poll returned
 * PENDING): id, state (queued: on a run queue; running: being polled;
 * waiting: pending until a waker fires; cancelled: cancellation requested,
 * drop not yet run), priority class, CPU of the last poll, age, future type
 * and owner. A last line, starting with '#', gives the count of all live
 * tasks, those before their first PENDING included.
 *
 * Context: process context; takes each shard's lock in turn.
 */
void axq_tasks_show(struct seq_file *m)
{
	seq_printf(m, "%-12s %-9s %-6s %4s %10s %-24s %s\n", "id", "state",
		   "prio", "cpu", "age_ms", "type", "owner");
	axq_tasks_for_each(m, axq_task_row, jiffies);
	seq_printf(m, "# %d live: a task not listed has not waited yet (queued, or in its first poll)\n",
		   axq_tasks_nr_live());
}

/**
 * axq_tasks_for_each() - call @fn for every task on the registry
 * @m: the seq_file @fn writes to
 * @fn: called under the task's registry shard lock (it may not sleep; the
 *	task cannot complete and be freed meanwhile)
 * @arg: passed on to @fn
 *
 * Context: process context; takes each shard's lock.
 */
void axq_tasks_for_each(struct seq_file *m,
			void (*fn)(struct seq_file *m, struct axq_task *task,
				   u64 arg),
			u64 arg)
{
	struct axq_task *task;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct axq_shard *shard = &axq_shards[cpu];

		spin_lock(&shard->lock);
		list_for_each_entry(task, &shard->tasks, entry) {
			/* seq_file calls again with a bigger buffer. */
			if (seq_has_overflowed(m))
				break;
			fn(m, task, arg);
		}
		spin_unlock(&shard->lock);
	}
}

/**
 * axq_tasks_nr_live() - number of tasks not yet complete
 *
 * Context: any context.
 * Return: the count; exact when no task is spawned or completes meanwhile.
 */
int axq_tasks_nr_live(void)
{
	unsigned int cpu;
	long nr = 0;

	/*
	 * A task counts +1 where spawned and -1 where complete; with no spawn
	 * in progress a sum read now is never below the true count.
	 */
	for_each_possible_cpu(cpu)
		nr += READ_ONCE(per_cpu(axq_task_live, cpu));
	return nr;
}
EXPORT_SYMBOL_NS_GPL(axq_tasks_nr_live, ASYNCX_INTERNAL);

/**
 * axq_tasks_init() - set up the task cache and registry
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int axq_tasks_init(void)
{
	unsigned int cpu;

	axq_shards = kcalloc(nr_cpu_ids, sizeof(*axq_shards), GFP_KERNEL);
	if (!axq_shards)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		spin_lock_init(&axq_shards[cpu].lock);
		INIT_LIST_HEAD(&axq_shards[cpu].tasks);
	}
	/* Charged to a memcg only when the spawner asks (__GFP_ACCOUNT). */
	axq_task_cache = KMEM_CACHE(axq_task, SLAB_HWCACHE_ALIGN);
	if (!axq_task_cache || axq_tel_init()) {
		kmem_cache_destroy(axq_task_cache);
		kfree(axq_shards);
		return -ENOMEM;
	}
	return 0;
}

/**
 * axq_tasks_exit() - free the task cache and registry
 *
 * Context: process context, module exit, after axq_tasks_cancel_all() and
 * after the workers stopped.
 */
void axq_tasks_exit(void)
{
	axq_tel_exit();
	kmem_cache_destroy(axq_task_cache);
	kfree(axq_shards);
}
