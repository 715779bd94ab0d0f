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
 * global injection queue of their class, a lock-free llist.
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
 * one sees the other, so no wakeup is lost. A producer wakes nobody while
 * a worker is searching (stealing): the searcher, once done, executes a
 * full barrier and looks at every queue again before it sleeps, and if it
 * found work and more is left it wakes another idle worker, so surplus
 * work spreads even while the workers holding it are in long polls.
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
};

static struct axq_worker **axq_workers;		/* [nr_cpu_ids], possible CPUs */
static DEFINE_PER_CPU(struct task_struct *, axq_worker_thread);
static struct llist_head axq_inject[AXQ_NR_PRIO];
static cpumask_var_t axq_idle_mask;		/* atomic bit ops */
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

/*
 * Wake one idle worker, unless a worker is searching for work already: a
 * searcher looks at every queue again after it stops searching (see
 * axq_steal()), so it will find what was just queued.
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
		wake_up_process(per_cpu(axq_worker_thread, cpu));
		return;
	}
	for_each_cpu(cpu, axq_idle_mask) {
		if (cpumask_test_and_clear_cpu(cpu, axq_idle_mask)) {
			wake_up_process(per_cpu(axq_worker_thread, cpu));
			return;
		}
	}
}

static void axq_inject_one(struct axq_task *task)
{
	llist_add(&task->node, &axq_inject[task->prio]);
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
				&axq_inject[prio]);
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
	struct axq_worker *w = axq_current_worker();

	if (w) {
		if (!axq_runq_push(&w->rq[task->prio], task))
			axq_overflow(w, task->prio, task);
		axq_notify_idle();
		return;
	}
	axq_inject_one(task);
	axq_notify_idle();
}

/* Take the injection queue of @prio: return its oldest task, move what
 * fits into the local queue, put the rest back.
 */
static struct axq_task *axq_take_injected(struct axq_worker *w,
					  unsigned int prio)
{
	struct llist_node *list, *next, *last;
	struct axq_task *first;
	unsigned int moved = 0;

	if (llist_empty(&axq_inject[prio]))
		return NULL;
	list = llist_del_all(&axq_inject[prio]);
	if (!list)
		return NULL;
	list = llist_reverse_order(list);	/* oldest first */
	first = llist_entry(list, struct axq_task, node);
	list = list->next;
	while (list) {
		next = list->next;
		if (!axq_runq_push(&w->rq[prio],
				   llist_entry(list, struct axq_task, node)))
			break;
		moved++;
		list = next;
	}
	if (list) {
		for (last = list; last->next; last = last->next)
			;
		llist_add_batch(list, last, &axq_inject[prio]);
	}
	if (moved)
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

	atomic_inc(&axq_nr_searching);
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
	atomic_dec(&axq_nr_searching);
	/*
	 * Full barrier: our searcher count is gone before the caller looks at
	 * the queues again (axq_worker_should_run()); pairs with smp_mb() in
	 * axq_notify_idle(): a producer that saw us searching and did not
	 * wake anyone has queued work that this second look sees.
	 */
	smp_mb__after_atomic();
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

static bool axq_has_work(struct axq_worker *w)
{
	unsigned int cpu, prio;

	for (prio = 0; prio < AXQ_NR_PRIO; prio++)
		if (!llist_empty(&axq_inject[prio]))
			return true;
	for_each_online_cpu(cpu) {
		struct axq_worker *v = axq_workers[cpu];

		for (prio = 0; prio < AXQ_NR_PRIO; prio++)
			if (axq_runq_len(&v->rq[prio]))
				return true;
	}
	return false;
}

/* smpboot: called with preemption disabled, in TASK_INTERRUPTIBLE. */
static int axq_worker_should_run(unsigned int cpu)
{
	struct axq_worker *w = axq_workers[cpu];

	if (axq_has_work(w))
		return 1;
	cpumask_set_cpu(cpu, axq_idle_mask);
	/*
	 * Full barrier: the idle bit is visible before the last look at the
	 * queues; pairs with smp_mb() in axq_notify_idle().
	 */
	smp_mb__after_atomic();
	if (axq_has_work(w)) {
		cpumask_clear_cpu(cpu, axq_idle_mask);
		return 1;
	}
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
	cpumask_clear_cpu(cpu, axq_idle_mask);
	for (;;) {
		task = axq_next_task(w);
		stolen = !task;
		if (!task)
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
	cpumask_clear_cpu(cpu, axq_idle_mask);
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

	for (prio = 0; prio < AXQ_NR_PRIO; prio++)
		init_llist_head(&axq_inject[prio]);
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
