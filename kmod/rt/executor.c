// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: the executor — one worker kthread per online CPU,
 * per-worker run queues, a global injection queue, work stealing, parking,
 * priorities and the cooperative budget.
 */
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smpboot.h>
#include <linux/spinlock.h>

#include "executor.h"
#include "runq.h"
#include "stats.h"
#include "task.h"
#include "trace.h"

/**
 * DOC: executor
 *
 * Each online CPU runs one worker kthread, bound to it (smpboot threads,
 * which also park and unpark them across CPU hotplug). A worker owns one
 * bounded run queue per priority class (runq.h); only the owner pushes and
 * pops, other workers steal. Tasks woken or spawned on a worker go to its
 * own queue; from anywhere else (interrupts, other threads) they go to the
 * global injection queue of their class (&struct axq_inject): producers
 * add to a lock-free llist, workers take in arrival order under a lock of
 * their own.
 *
 * Picking the next task: the classes are tried high, normal, low, each
 * first in the local queue and then in the injection queue. Every 4th pick
 * starts with normal and every 16th with low, so a flood of high work
 * cannot starve the lower classes. Every 61st pick starts with the
 * injection queues, so a busy worker cannot starve them either.
 *
 * Budget: after AXQ_BUDGET polls a worker calls cond_resched() (counted as a
 * yield) and checks whether it must park for hotplug or stop. A task that
 * wakes itself while running is requeued at the tail of its queue, behind
 * everything already queued, so it cannot monopolise its worker.
 *
 * Stealing and parking: a worker that finds nothing steals about half of
 * another worker's queue (victims tried from a random start, high class
 * first). When there is nothing to steal it marks itself idle in a CPU
 * mask, executes a full barrier, looks at every queue once more and only
 * then sleeps. A producer queues its task, executes a full barrier, and
 * wakes a worker from the idle mask: of the two barriers' sides at least
 * one sees the other, so no wakeup is lost.
 *
 * Waking as few workers as the work needs (the rules of Tokio's
 * scheduler):
 *
 * - A producer wakes a worker only when it makes a queue non-empty (the
 *   injection queue of its class, or its own worker's local queue): the
 *   producer that made it non-empty did the waking, or found every worker
 *   busy or one searching, all of which look at every queue before they
 *   sleep.
 * - A worker is *searching* while it steals, and from the moment a
 *   producer wakes it until it finds a task. A producer wakes nobody while
 *   a worker searches: the searcher, once done, executes a full barrier
 *   and looks at every queue again before it sleeps. So a stream of tasks
 *   wakes one worker at a time, not one per task. Otherwise the idle
 *   worker of the producer's own CPU goes first (no IPI).
 * - The last searcher to find a task wakes another idle worker if work is
 *   still queued, and so does a worker that took more than one task from
 *   an injection queue or stole more than one: surplus work spreads one
 *   worker at a time, even while the workers holding it are in long
 *   polls, and the chain ends at a worker that finds nothing.
 */

#define AXQ_BUDGET		128	/* polls between yields */
#define AXQ_INJECT_INTERVAL	61	/* picks between injection-first picks */
#define AXQ_NORMAL_TURN		4	/* every 4th pick starts with normal */
#define AXQ_LOW_TURN		16	/* every 16th pick starts with low */

/**
 * struct axq_worker - one CPU's worker
 * @rq: run queue per priority class (owner pushes and pops; anyone steals)
 * @overflow: room for half a run queue moved to the injection queue (O)
 * @thread: the kthread (I: set by setup)
 * @cpu: the CPU (I)
 * @rng: xorshift state for victim selection (O)
 * @tick: picks so far (O)
 * @budget: polls left before the next yield (O)
 * @active: running its loop: set up and not parked for hotplug (O; read
 *	by others racily only to skip it as a local queue)
 * @parked: asleep for lack of work, for park/unpark accounting (O)
 * @idle: its bit in the idle mask was set by itself and not yet cleared
 *	by itself (O); whoever clears the bit instead woke it and counted it
 *	as searching (axq_notify_idle())
 * @searching: counted in axq_nr_searching (O)
 *
 * O: written only by the worker thread itself.
 */
struct axq_worker {
	struct axq_runq		rq[AXQ_NR_PRIO];
	struct axq_task		*overflow[AXQ_RUNQ_SIZE / 2];
	struct task_struct	*thread;
	unsigned int		cpu;
	u32			rng;
	unsigned int		tick;
	unsigned int		budget;
	bool			active;
	bool			parked;
	bool			idle;
	bool			searching;
};

static struct axq_worker **axq_workers;		/* [nr_cpu_ids], possible CPUs */
static DEFINE_PER_CPU(struct task_struct *, axq_worker_thread);
/**
 * struct axq_inject - the global injection queue of one priority class
 * @in: where producers add tasks, newest first (llist_add(): any context)
 * @lock: serialises the workers that take tasks; never taken by producers
 * @out: tasks taken off @in and not yet run, oldest first (L: @lock to
 *	write; read locklessly, READ_ONCE(), as an "is there work" hint)
 *
 * A worker that finds @out empty moves all of @in there at once, reversed
 * into arrival order, and takes from its front: each task is moved once
 * and each take costs O(tasks taken), however long the queue grows. (The
 * earlier design put what a worker did not take back onto @in, which
 * walked and reversed the whole rest at every take: quadratic in the
 * queue's length, and with a thread spawning 50,000 tasks on one CPU the
 * runtime ran at a fifth of the workqueue's rate.)
 */
struct axq_inject {
	struct llist_head	in;
	spinlock_t		lock;	/* the takers: protects out */
	struct llist_node	*out;
} ____cacheline_aligned_in_smp;

static struct axq_inject axq_inject[AXQ_NR_PRIO];
static cpumask_var_t axq_idle_mask;		/* atomic bit ops */
/* Workers looking for work: stealing, or woken and not yet polling. */
static atomic_t axq_nr_searching = ATOMIC_INIT(0);

static const u8 axq_pick_order[3][AXQ_NR_PRIO] = {
	{ AXQ_PRIO_HIGH, AXQ_PRIO_NORMAL, AXQ_PRIO_LOW },
	{ AXQ_PRIO_NORMAL, AXQ_PRIO_HIGH, AXQ_PRIO_LOW },
	{ AXQ_PRIO_LOW, AXQ_PRIO_HIGH, AXQ_PRIO_NORMAL },
};

/* The worker whose thread is current, or NULL (interrupts, other threads). */
static struct axq_worker *axq_current_worker(void)
{
	struct axq_worker *w;

	if (!in_task() || !(current->flags & PF_KTHREAD))
		return NULL;
	/* A worker is bound to its CPU: the id is stable if it is current. */
	w = axq_workers[raw_smp_processor_id()];
	return w && w->thread == current && w->active ? w : NULL;
}

/**
 * axq_schedule_cpu() - where axq_schedule() called here would queue a task
 *
 * Context: any context.
 * Return: the CPU of the current worker, or -1 (the injection queue).
 */
int axq_schedule_cpu(void)
{
	struct axq_worker *w = axq_current_worker();

	return w ? (int)w->cpu : -1;
}

/**
 * axq_executor_cpu_state() - what the worker of a CPU is doing, for views
 * @cpu: a possible CPU
 * @queued: out: tasks in its run queues, all classes (a snapshot)
 *
 * Context: any context; reads without locks (the answer may be stale).
 * Return: "offline" (no worker, or parked for hotplug), "idle" (asleep for
 * lack of work), "searching" (looking for work to steal) or "running".
 */
const char *axq_executor_cpu_state(unsigned int cpu, unsigned int *queued)
{
	struct axq_worker *w = axq_workers ? axq_workers[cpu] : NULL;
	unsigned int prio;

	*queued = 0;
	if (!w || !READ_ONCE(w->active))
		return "offline";
	for (prio = 0; prio < AXQ_NR_PRIO; prio++)
		*queued += axq_runq_len(&w->rq[prio]);
	if (READ_ONCE(w->parked))
		return "idle";
	return READ_ONCE(w->searching) ? "searching" : "running";
}

/* Wake the idle worker of @cpu, whose idle bit the caller cleared: it
 * counts as searching from now on, until it finds a task or parks.
 */
static void axq_wake_idle(unsigned int cpu)
{
	atomic_inc(&axq_nr_searching);
	wake_up_process(per_cpu(axq_worker_thread, cpu));
}

/*
 * Wake one idle worker, unless a worker is searching for work already: a
 * searcher looks at every queue again after it stops searching (see
 * axq_stop_searching()), so it will find what was just queued. A worker
 * woken here counts as a searcher until it finds a task, so a stream of
 * tasks wakes one worker at a time, not one per task.
 */
static void axq_notify_idle(void)
{
	unsigned int cpu;

	/*
	 * Full barrier: the task just queued is visible before we read the
	 * idle mask and the searcher count; pairs with the barriers after a
	 * worker sets its idle bit (axq_worker_should_run()) and after it
	 * stops searching (axq_steal()).
	 */
	smp_mb();
	if (cpumask_empty(axq_idle_mask) || atomic_read(&axq_nr_searching))
		return;
	/* This CPU's worker first: a local wakeup needs no IPI. */
	cpu = raw_smp_processor_id();
	if (cpumask_test_cpu(cpu, axq_idle_mask) &&
	    cpumask_test_and_clear_cpu(cpu, axq_idle_mask)) {
		axq_wake_idle(cpu);
		return;
	}
	for_each_cpu(cpu, axq_idle_mask) {
		if (cpumask_test_and_clear_cpu(cpu, axq_idle_mask)) {
			axq_wake_idle(cpu);
			return;
		}
	}
}

/* @w begins to look for work in other workers' queues. */
static void axq_start_searching(struct axq_worker *w)
{
	if (!w->searching) {
		w->searching = true;
		atomic_inc(&axq_nr_searching);
	}
}

/* Tasks waiting in the injection queue of @prio (a racy hint). */
static bool axq_inject_pending(unsigned int prio)
{
	return READ_ONCE(axq_inject[prio].out) ||
	       !llist_empty(&axq_inject[prio].in);
}

/* Is any task queued anywhere? A racy look, exact after a full barrier. */
static bool axq_has_work(void)
{
	unsigned int cpu, prio;

	for (prio = 0; prio < AXQ_NR_PRIO; prio++)
		if (axq_inject_pending(prio))
			return true;
	for_each_online_cpu(cpu) {
		struct axq_worker *v = axq_workers[cpu];

		for (prio = 0; prio < AXQ_NR_PRIO; prio++)
			if (axq_runq_len(&v->rq[prio]))
				return true;
	}
	return false;
}

/*
 * @w found a task (@found) or gives up looking. The last searcher to find
 * one wakes another idle worker to search on if more work is queued (a
 * woken worker is counted as a searcher, so while one searches producers
 * wake nobody): work spreads one worker at a time while there is work to
 * find. A searcher that took the only task wakes nobody: an idle worker
 * woken for nothing would count as searching until it runs, and a wake
 * meanwhile would wait for it.
 */
static void axq_stop_searching(struct axq_worker *w, bool found)
{
	if (!w->searching)
		return;
	w->searching = false;
	/*
	 * Fully ordered: our searcher count is gone before we look at the
	 * queues again (a worker that found nothing looks at all of them in
	 * axq_worker_should_run() before it sleeps); pairs with smp_mb() in
	 * axq_notify_idle(): a producer that saw us searching and did not
	 * wake anyone has queued work that this second look sees.
	 */
	if (atomic_dec_and_test(&axq_nr_searching) && found && axq_has_work())
		axq_notify_idle();
}

static void axq_inject_one(struct axq_task *task)
{
	llist_add(&task->node, &axq_inject[task->prio].in);
}

/* The local queue of @prio is full: move half of it and @task to the
 * injection queue in one batch.
 */
static void axq_overflow(struct axq_worker *w, unsigned int prio,
			 struct axq_task *task)
{
	unsigned int n, i;

	n = axq_runq_drain_half(&w->rq[prio], w->overflow);
	task->node.next = NULL;
	for (i = n; i > 0; i--)
		w->overflow[i - 1]->node.next = i == n ? &task->node :
						    &w->overflow[i]->node;
	if (n)
		llist_add_batch(&w->overflow[0]->node, &task->node,
				&axq_inject[prio].in);
	else
		axq_inject_one(task);
}

/**
 * axq_schedule() - queue a NOTIFIED task for polling
 * @task: the task; the caller passes on a reference for the queue
 *
 * Context: any context.
 */
void axq_schedule(struct axq_task *task)
{
	struct axq_worker *w;
	bool first;

	/*
	 * Wake a worker only when the queue goes from empty to non-empty:
	 * whoever queued the task that made it non-empty did, or found every
	 * worker busy or one searching, and each of those looks at every
	 * queue before it sleeps. That producer is between its queueing and
	 * its notify on some CPU right now (preemption is off across both),
	 * so the wake it owes is not held up for long.
	 */
	preempt_disable();
	w = axq_current_worker();
	if (w) {
		first = !axq_runq_len(&w->rq[task->prio]);
		if (!axq_runq_push(&w->rq[task->prio], task))
			axq_overflow(w, task->prio, task);
	} else {
		first = llist_add(&task->node, &axq_inject[task->prio].in);
	}
	if (first)
		axq_notify_idle();
	preempt_enable();
}

/**
 * axq_schedule_batch() - queue NOTIFIED tasks of one class together
 * @first: the newest task's queue link, a chain down to @last
 * @last: the oldest task's
 * @prio: their class
 *
 * As axq_schedule() for each task, oldest first, with one atomic operation
 * on the injection queue (or none on the current worker's own queue) and
 * at most one wake (axq_unplug()).
 *
 * Context: any context.
 */
void axq_schedule_batch(struct llist_node *first, struct llist_node *last,
			unsigned int prio)
{
	struct llist_node *n, *next;
	struct axq_task *task;
	struct axq_worker *w;
	bool was_empty;

	preempt_disable();
	w = axq_current_worker();
	if (w) {
		was_empty = !axq_runq_len(&w->rq[prio]);
		for (n = llist_reverse_order(first); n; n = next) {
			next = n->next;
			task = llist_entry(n, struct axq_task, node);
			if (!axq_runq_push(&w->rq[prio], task))
				axq_overflow(w, prio, task);
		}
	} else {
		was_empty = llist_add_batch(first, last, &axq_inject[prio].in);
	}
	if (was_empty)
		axq_notify_idle();
	preempt_enable();
}

/* Take from the injection queue of @prio: return its oldest task and move
 * up to half a run queue more into the local queue, in order.
 */
static struct axq_task *axq_take_injected(struct axq_worker *w,
					  unsigned int prio)
{
	struct axq_inject *q = &axq_inject[prio];
	struct llist_node *list;
	struct axq_task *first;
	unsigned int moved = 0;

	if (!axq_inject_pending(prio))
		return NULL;
	spin_lock(&q->lock);
	list = q->out;
	if (!list)
		list = llist_reverse_order(llist_del_all(&q->in));
	if (!list) {
		spin_unlock(&q->lock);
		return NULL;
	}
	first = llist_entry(list, struct axq_task, node);
	list = list->next;
	while (list && moved < AXQ_RUNQ_SIZE / 2 &&
	       axq_runq_push(&w->rq[prio],
			     llist_entry(list, struct axq_task, node))) {
		list = list->next;
		moved++;
	}
	WRITE_ONCE(q->out, list);
	spin_unlock(&q->lock);
	/*
	 * More to run than this worker can start now: wake a helper, once
	 * we no longer count as searching (a worker woken for these).
	 */
	axq_stop_searching(w, true);
	if (moved || list)
		axq_notify_idle();
	return first;
}

static struct axq_task *axq_next_task(struct axq_worker *w)
{
	unsigned int tick = ++w->tick;
	struct axq_task *task;
	const u8 *order;
	int i;

	if (tick % AXQ_LOW_TURN == 0)
		order = axq_pick_order[2];
	else if (tick % AXQ_NORMAL_TURN == 0)
		order = axq_pick_order[1];
	else
		order = axq_pick_order[0];

	if (tick % AXQ_INJECT_INTERVAL == 0) {
		for (i = 0; i < AXQ_NR_PRIO; i++) {
			task = axq_take_injected(w, order[i]);
			if (task)
				return task;
		}
	}
	for (i = 0; i < AXQ_NR_PRIO; i++) {
		task = axq_runq_pop(&w->rq[order[i]]);
		if (task)
			return task;
		task = axq_take_injected(w, order[i]);
		if (task)
			return task;
	}
	return NULL;
}

static u32 axq_rand(struct axq_worker *w)
{
	u32 x = w->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rng = x;
	return x;
}

/* Steal about half of another worker's queue; return a task to run. */
static struct axq_task *axq_steal(struct axq_worker *w)
{
	unsigned int n = nr_cpu_ids, start, i, prio, got = 0;
	struct axq_runq *robbed = NULL;
	struct axq_worker *victim;
	struct axq_task *task = NULL;

	axq_start_searching(w);
	start = axq_rand(w) % n;
	for (prio = 0; prio < AXQ_NR_PRIO && !task; prio++) {
		for (i = 0; i < n; i++) {
			victim = axq_workers[(start + i) % n];
			if (!victim || victim == w)
				continue;
			got = axq_runq_steal_into(&victim->rq[prio], &w->rq[prio]);
			if (!got)
				continue;
			this_cpu_add(axq_stats->stolen, got);
			trace_asyncx_steal(victim->cpu, w->cpu, got);
			robbed = &victim->rq[prio];
			task = axq_runq_pop(&w->rq[prio]);
			break;
		}
	}
	axq_stop_searching(w, task);
	/*
	 * Work is left over, here or at the victim, and producers skipped
	 * their wakeups while we searched: pass the search on to an idle
	 * worker, or a long poll of ours (or the victim's) would strand it.
	 */
	if (task && (got > 1 || axq_runq_len(robbed)))
		axq_notify_idle();
	return task;
}

/* Tasks in @w's run queues, all classes (for tracing). */
static unsigned int axq_worker_depth(struct axq_worker *w)
{
	unsigned int prio, n = 0;

	for (prio = 0; prio < AXQ_NR_PRIO; prio++)
		n += axq_runq_len(&w->rq[prio]);
	return n;
}

/*
 * Leave the idle mask. If a producer cleared our bit first, it woke us and
 * counted us as a searcher (axq_wake_idle()): we are one now.
 */
static void axq_worker_unidle(struct axq_worker *w)
{
	if (!w->idle)
		return;
	w->idle = false;
	if (!cpumask_test_and_clear_cpu(w->cpu, axq_idle_mask))
		w->searching = true;
}

/* smpboot: called with preemption disabled, in TASK_INTERRUPTIBLE. */
static int axq_worker_should_run(unsigned int cpu)
{
	struct axq_worker *w = axq_workers[cpu];

	axq_worker_unidle(w);
	if (axq_has_work())
		return 1;
	axq_stop_searching(w, false);
	w->idle = true;
	cpumask_set_cpu(cpu, axq_idle_mask);
	/*
	 * Full barrier: the idle bit (and the searcher count given up above)
	 * is visible before the last look at the queues; pairs with smp_mb()
	 * in axq_notify_idle().
	 */
	smp_mb__after_atomic();
	if (axq_has_work())
		return 1;	/* axq_worker_fn() leaves the mask */
	if (!w->parked) {
		w->parked = true;
		this_cpu_inc(axq_stats->parked);
		trace_asyncx_park(cpu);
	}
	return 0;
}

/* smpboot: the worker's main loop, entered while there is work. */
static void axq_worker_fn(unsigned int cpu)
{
	struct axq_worker *w = axq_workers[cpu];
	struct axq_task *task;
	bool stolen;

	if (w->parked) {
		w->parked = false;
		trace_asyncx_unpark(cpu);
	}
	axq_worker_unidle(w);
	for (;;) {
		task = axq_next_task(w);
		stolen = !task;
		if (task)
			axq_stop_searching(w, true);	/* woken, found one */
		else
			task = axq_steal(w);
		if (!task)
			return;
		if (trace_asyncx_pick_enabled())
			trace_asyncx_pick(task->id, task->prio, axq_worker_depth(w),
					  stolen);
		axq_task_run(task);
		if (--w->budget == 0) {
			w->budget = AXQ_BUDGET;
			this_cpu_inc(axq_stats->yields);
			trace_asyncx_yield(cpu);
			cond_resched();
			if (kthread_should_park() || kthread_should_stop())
				return;
		}
	}
}

static void axq_worker_setup(unsigned int cpu)
{
	struct axq_worker *w = axq_workers[cpu];

	w->thread = current;
	w->budget = AXQ_BUDGET;
	w->active = true;
}

/* CPU going offline: the worker hands its queued tasks to the others. */
static void axq_worker_park(unsigned int cpu)
{
	struct axq_worker *w = axq_workers[cpu];
	struct axq_task *task;
	unsigned int prio;

	w->active = false;
	axq_worker_unidle(w);
	axq_stop_searching(w, false);
	for (prio = 0; prio < AXQ_NR_PRIO; prio++)
		while ((task = axq_runq_pop(&w->rq[prio])))
			axq_inject_one(task);
	axq_notify_idle();
}

static void axq_worker_unpark(unsigned int cpu)
{
	axq_workers[cpu]->active = true;
}

static struct smp_hotplug_thread axq_worker_threads = {
	.store			= &axq_worker_thread,
	.thread_should_run	= axq_worker_should_run,
	.thread_fn		= axq_worker_fn,
	.setup			= axq_worker_setup,
	.park			= axq_worker_park,
	.unpark			= axq_worker_unpark,
	.thread_comm		= "asyncx/%u",
};

/**
 * axq_executor_init() - allocate the workers and start their threads
 *
 * Context: process context, module init.
 * Return: 0 or a negative errno.
 */
int axq_executor_init(void)
{
	unsigned int cpu, prio;
	int ret = -ENOMEM;

	for (prio = 0; prio < AXQ_NR_PRIO; prio++) {
		init_llist_head(&axq_inject[prio].in);
		spin_lock_init(&axq_inject[prio].lock);
		axq_inject[prio].out = NULL;
	}
	if (!zalloc_cpumask_var(&axq_idle_mask, GFP_KERNEL))
		return -ENOMEM;
	axq_workers = kcalloc(nr_cpu_ids, sizeof(*axq_workers), GFP_KERNEL);
	if (!axq_workers)
		goto err;
	for_each_possible_cpu(cpu) {
		struct axq_worker *w;

		w = kzalloc_node(sizeof(*w), GFP_KERNEL, cpu_to_node(cpu));
		if (!w)
			goto err;
		for (prio = 0; prio < AXQ_NR_PRIO; prio++)
			axq_runq_init(&w->rq[prio]);
		w->cpu = cpu;
		w->rng = get_random_u32() | 1;
		axq_workers[cpu] = w;
	}
	ret = smpboot_register_percpu_thread(&axq_worker_threads);
	if (ret)
		goto err;
	return 0;

err:
	if (axq_workers)
		for_each_possible_cpu(cpu)
			kfree(axq_workers[cpu]);
	kfree(axq_workers);
	free_cpumask_var(axq_idle_mask);
	return ret;
}

/**
 * axq_executor_exit() - stop the workers and free them
 *
 * Context: process context, module exit, after every task completed.
 */
void axq_executor_exit(void)
{
	unsigned int cpu;

	smpboot_unregister_percpu_thread(&axq_worker_threads);
	for_each_possible_cpu(cpu)
		kfree(axq_workers[cpu]);
	kfree(axq_workers);
	free_cpumask_var(axq_idle_mask);
}
