// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: the executor's micro-benchmark and load generator, driven through
 * /sys/kernel/debug/asyncx/bench. Write a command, read the last result:
 *
 *   spawn N	spawn N trivial tasks, each allocated with its task in one
 *		kmalloc and without a join handle (axq_spawn_detached(), as
 *		the ring's requests are), and
 *		wait for all; then queue N work items doing the same work
 *		on a per-CPU workqueue; report both rates and their ratio;
 *		then the same N through axq_spawn() (future and task
 *		allocated apart)
 *   spawnplug N	as spawn, the tasks spawned into a plug that is
 *		unplugged every AXQ_PLUG_BATCH tasks (as an enter of that
 *		many SQEs queues its requests), against N queue_work()s
 *   spawntask N	a task spawns N trivial tasks from its poll (into its
 *		worker's own run queue), against a work item that queues N
 *		work items; both timed until the last one ran
 *   wake N	wake one pending task N times, one wake at a time, and
 *		measure wake->poll latency; the same for queue_work->run on
 *		the per-CPU workqueue, the two interleaved one by one;
 *		report p50/p99/p999 of both
 *   hold N	spawn N tasks that stay pending (tasks in flight, for unload
 *		and stress tests); "release" completes them
 *   fanout N	a task spawns N tasks of AXQ_FANOUT_US busy time each, from
 *		inside its poll (into its worker's own run queue: the other
 *		workers get them by stealing); report the rate. Run it with
 *		CPUs offline and online to measure stealing efficiency.
 *   prio N	keep every worker busy with LOW tasks (each polls for
 *		AXQ_HOG_US and wakes itself again) and measure N wake->poll
 *		latencies of a HIGH task, then of a LOW one; p50/p99/p999
 *   mem	object sizes: a task, an in-flight request, a context
 *   demo W	a task that shows telemetry's warning W on purpose (see
 *		axq_bench_demo()): "lost" (it loses its waker and stays, shown
 *		in the telemetry view, until "demo cancel"), "longpoll" (it
 *		wakes itself once, then polls 2 x long_poll_us), "starved" (it
 *		wakes itself once: a warning when starved_us is lowered),
 *		"wakeafter" (its waker is woken after it completed)
 *
 * Nothing here asserts a timing: the numbers are for people and for the
 * benchmark suite (make bench), measured in the same run.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <asyncx/runtime.h>

#include "internal.h"
#include "ring/ctx.h"
#include "ring/req.h"
#include "rt/task.h"
#include "rt/telemetry.h"

#define AXQ_BENCH_MAX		BIT(22)
#define AXQ_BENCH_WAKE_MAX	BIT(18)

static DEFINE_MUTEX(axq_bench_lock);
static char axq_bench_result[512];	/* L: axq_bench_lock */
static struct workqueue_struct *axq_bench_wq;

/* --------------------------------------------------------------- spawn */

struct axq_bench_run {
	atomic_t		left;
	struct completion	done;
};

struct axq_bench_fut {
	struct axq_future	fut;
	struct axq_bench_run	*run;
};

/*
 * The same future with its task in one allocation, as a ring request: a
 * detached task, which takes AXQ_TASK_DETACHED_SIZE bytes (axq_bench_task()).
 */
struct axq_bench_fut_in {
	struct axq_bench_fut	f;
	u8			task[AXQ_TASK_DETACHED_SIZE] __aligned(8);
};

static struct axq_task *axq_bench_task(struct axq_bench_fut_in *fi)
{
	return (struct axq_task *)fi->task;
}

static enum axq_poll axq_bench_poll(struct axq_future *fut,
				    struct axq_context *cx, long *out)
{
	struct axq_bench_fut *f = container_of(fut, struct axq_bench_fut, fut);

	if (atomic_dec_and_test(&f->run->left))
		complete(&f->run->done);
	*out = 0;
	return AXQ_READY;
}

static void axq_bench_drop(struct axq_future *fut)
{
	kfree(container_of(fut, struct axq_bench_fut, fut));
}

static const struct axq_future_ops axq_bench_ops = {
	.name	= "bench",
	.poll	= axq_bench_poll,
	.drop	= axq_bench_drop,
};

static void axq_bench_in_release(struct axq_future *fut)
{
	kfree(container_of(fut, struct axq_bench_fut_in, f.fut));
}

static const struct axq_future_ops axq_bench_in_ops = {
	.name		= "bench",
	.poll		= axq_bench_poll,
	.release	= axq_bench_in_release,
};

struct axq_bench_work {
	struct work_struct	work;
	struct axq_bench_run	*run;
};

static void axq_bench_work_fn(struct work_struct *work)
{
	struct axq_bench_work *w = container_of(work, struct axq_bench_work, work);

	if (atomic_dec_and_test(&w->run->left))
		complete(&w->run->done);
	kfree(w);
}

/*
 * @in: the task in the future's allocation (axq_spawn_detached(), one kmalloc
 * per task like the workqueue's); else axq_spawn() (two allocations).
 */
static u64 axq_bench_spawn_asyncx(unsigned int n, bool in)
{
	struct axq_bench_fut_in *fi;
	struct axq_bench_run run;
	struct axq_bench_fut *f;
	struct axq_task *task;
	unsigned int i;
	u64 t0;

	atomic_set(&run.left, n);
	init_completion(&run.done);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		if (in) {
			fi = kmalloc(sizeof(*fi), GFP_KERNEL);
			if (!fi)
				goto fail;
			fi->f.fut.ops = &axq_bench_in_ops;
			fi->f.run = &run;
			if (axq_spawn_detached(axq_bench_task(fi), &fi->f.fut,
					       AXQ_PRIO_NORMAL, NULL, 0)) {
				kfree(fi);
				goto fail;
			}
			continue;
		}
		f = kmalloc(sizeof(*f), GFP_KERNEL);
		if (!f)
			goto fail;
		f->fut.ops = &axq_bench_ops;
		f->run = &run;
		task = axq_spawn(&f->fut, AXQ_PRIO_NORMAL, GFP_KERNEL);
		if (IS_ERR(task)) {
			kfree(f);
			goto fail;
		}
		axq_task_put(task);
	}
	wait_for_completion(&run.done);
	return ktime_get_ns() - t0;
fail:
	/* Account for the ones never started, then wait for the rest. */
	if (atomic_sub_and_test(n - i, &run.left))
		complete(&run.done);
	wait_for_completion(&run.done);
	return 0;
}

static u64 axq_bench_spawn_wq(unsigned int n)
{
	struct axq_bench_run run;
	struct axq_bench_work *w;
	unsigned int i;
	u64 t0;

	atomic_set(&run.left, n);
	init_completion(&run.done);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		w = kmalloc(sizeof(*w), GFP_KERNEL);
		if (!w)
			goto fail;
		INIT_WORK(&w->work, axq_bench_work_fn);
		w->run = &run;
		queue_work(axq_bench_wq, &w->work);
	}
	wait_for_completion(&run.done);
	return ktime_get_ns() - t0;
fail:
	if (atomic_sub_and_test(n - i, &run.left))
		complete(&run.done);
	wait_for_completion(&run.done);
	return 0;
}

static void axq_bench_spawn(unsigned int n)
{
	u64 a = axq_bench_spawn_asyncx(n, true);
	u64 w = axq_bench_spawn_wq(n);
	u64 a2 = axq_bench_spawn_asyncx(n, false);

	if (!a || !w || !a2) {
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "spawn %u: failed (-ENOMEM)\n", n);
		return;
	}
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "spawn %u: asyncx %llu ns (%llu/s) workqueue %llu ns (%llu/s) ratio %llu.%02llu; axq_spawn %llu ns (%llu/s)\n",
		 n, a, div64_u64((u64)n * NSEC_PER_SEC, a), w,
		 div64_u64((u64)n * NSEC_PER_SEC, w), div64_u64(w, a),
		 div64_u64(w * 100, a) % 100, a2,
		 div64_u64((u64)n * NSEC_PER_SEC, a2));
}

/* ----------------------------------------------------- spawnplug, spawntask */

#define AXQ_PLUG_BATCH	32	/* tasks per plug */

static void axq_bench_result_pair(const char *what, unsigned int n, u64 a,
				  u64 w, const char *more)
{
	if (!a || !w) {
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "%s %u: failed (-ENOMEM)\n", what, n);
		return;
	}
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "%s %u: asyncx %llu ns (%llu/s) workqueue %llu ns (%llu/s) ratio %llu.%02llu%s\n",
		 what, n, a, div64_u64((u64)n * NSEC_PER_SEC, a), w,
		 div64_u64((u64)n * NSEC_PER_SEC, w), div64_u64(w, a),
		 div64_u64(w * 100, a) % 100, more);
}

static u64 axq_bench_spawn_plugged(unsigned int n)
{
	struct axq_bench_fut_in *fi;
	struct axq_bench_run run;
	struct axq_plug plug;
	unsigned int i;
	u64 t0;

	atomic_set(&run.left, n);
	init_completion(&run.done);
	axq_plug_init(&plug);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		fi = kmalloc(sizeof(*fi), GFP_KERNEL);
		if (!fi)
			goto fail;
		fi->f.fut.ops = &axq_bench_in_ops;
		fi->f.run = &run;
		if (axq_spawn_detached(axq_bench_task(fi), &fi->f.fut, AXQ_PRIO_NORMAL,
				       &plug, 0)) {
			kfree(fi);
			goto fail;
		}
		if (i % AXQ_PLUG_BATCH == AXQ_PLUG_BATCH - 1)
			axq_unplug(&plug);
	}
	axq_unplug(&plug);
	wait_for_completion(&run.done);
	return ktime_get_ns() - t0;
fail:
	axq_unplug(&plug);
	if (atomic_sub_and_test(n - i, &run.left))
		complete(&run.done);
	wait_for_completion(&run.done);
	return 0;
}

static void axq_bench_spawnplug(unsigned int n)
{
	u64 a = axq_bench_spawn_plugged(n);
	u64 w = axq_bench_spawn_wq(n);

	axq_bench_result_pair("spawnplug", n, a, w,
			      ", " __stringify(AXQ_PLUG_BATCH) " per plug");
}

/* Account for @left never started, as a spawner gives up. */
static void axq_bench_run_short(struct axq_bench_run *run, unsigned int left)
{
	if (left && atomic_sub_and_test(left, &run->left))
		complete(&run->done);
}

struct axq_spawner_fut {
	struct axq_future	fut;
	struct axq_bench_run	*run;
	unsigned int		n;
};

/* Spawn from inside a poll: into this worker's own run queue. */
static enum axq_poll axq_spawner_poll(struct axq_future *fut,
				      struct axq_context *cx, long *out)
{
	struct axq_spawner_fut *s = container_of(fut, struct axq_spawner_fut,
						 fut);
	struct axq_bench_fut_in *fi;
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		fi = kmalloc(sizeof(*fi), GFP_NOWAIT);
		if (!fi)
			break;
		fi->f.fut.ops = &axq_bench_in_ops;
		fi->f.run = s->run;
		if (axq_spawn_detached(axq_bench_task(fi), &fi->f.fut, AXQ_PRIO_NORMAL,
				       NULL, 0)) {
			kfree(fi);
			break;
		}
	}
	axq_bench_run_short(s->run, s->n - i);
	*out = i == s->n ? 0 : -ENOMEM;
	return AXQ_READY;
}

static const struct axq_future_ops axq_spawner_ops = {
	.name	= "bench-spawner",
	.poll	= axq_spawner_poll,
};

struct axq_spawner_work {
	struct work_struct	work;
	struct axq_bench_run	*run;
	unsigned int		n;
	int			err;
};

/* Queue work items from inside a work item: onto this CPU's pool. */
static void axq_spawner_work_fn(struct work_struct *work)
{
	struct axq_spawner_work *s = container_of(work, struct axq_spawner_work,
						  work);
	struct axq_bench_work *w;
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		w = kmalloc(sizeof(*w), GFP_NOWAIT);
		if (!w)
			break;
		INIT_WORK(&w->work, axq_bench_work_fn);
		w->run = s->run;
		queue_work(axq_bench_wq, &w->work);
	}
	s->err = i == s->n ? 0 : -ENOMEM;
	axq_bench_run_short(s->run, s->n - i);
}

static void axq_bench_spawntask(unsigned int n)
{
	struct axq_spawner_fut sf = { .fut.ops = &axq_spawner_ops, .n = n };
	struct axq_spawner_work sw = { .n = n };
	struct axq_bench_run run;
	struct axq_task *task;
	long res = -ENOMEM;
	u64 a, w;

	atomic_set(&run.left, n);
	init_completion(&run.done);
	sf.run = &run;
	a = ktime_get_ns();
	task = axq_spawn(&sf.fut, AXQ_PRIO_NORMAL, GFP_KERNEL);
	if (IS_ERR(task)) {
		axq_bench_result_pair("spawntask", n, 0, 0, "");
		return;
	}
	wait_for_completion(&run.done);
	a = ktime_get_ns() - a;
	/* The spawner's future is on our stack: it must be done with it. */
	axq_join_timeout(task, &res, MAX_SCHEDULE_TIMEOUT);
	axq_task_put(task);

	atomic_set(&run.left, n);
	reinit_completion(&run.done);
	sw.run = &run;
	INIT_WORK_ONSTACK(&sw.work, axq_spawner_work_fn);
	w = ktime_get_ns();
	queue_work(axq_bench_wq, &sw.work);
	wait_for_completion(&run.done);
	w = ktime_get_ns() - w;
	flush_work(&sw.work);
	destroy_work_on_stack(&sw.work);
	axq_bench_result_pair("spawntask", n, res ? 0 : a, sw.err ? 0 : w, "");
}

/* ---------------------------------------------------------------- wake */

/*
 * A task that records wake->poll latency; stays pending until stopped. Its
 * first poll makes a waker, which the bench wakes by reference each time
 * and its last poll puts: it always has a waker while it waits.
 */
struct axq_lat_fut {
	struct axq_future	fut;
	struct axq_task		*waker;
	u64			woken_at;	/* ns, written before each wake */
	u32			*samples;
	unsigned int		n;		/* samples taken */
	bool			stop;
	struct completion	polled;
};

static enum axq_poll axq_lat_poll(struct axq_future *fut,
				  struct axq_context *cx, long *out)
{
	struct axq_lat_fut *f = container_of(fut, struct axq_lat_fut, fut);
	u64 at = READ_ONCE(f->woken_at);

	if (at) {
		f->samples[f->n++] = min_t(u64, ktime_get_ns() - at, U32_MAX);
		WRITE_ONCE(f->woken_at, 0);
	}
	if (READ_ONCE(f->stop)) {
		axq_waker_put(f->waker);
		f->waker = NULL;
		*out = 0;
		return AXQ_READY;
	}
	if (!f->waker)
		f->waker = axq_waker_get(cx);
	complete(&f->polled);
	return AXQ_PENDING;
}

static const struct axq_future_ops axq_lat_ops = {
	.name	= "bench-latency",
	.poll	= axq_lat_poll,
};

struct axq_lat_work {
	struct work_struct	work;
	u64			queued_at;
	u32			*samples;
	unsigned int		n;
	struct completion	ran;
};

static void axq_lat_work_fn(struct work_struct *work)
{
	struct axq_lat_work *w = container_of(work, struct axq_lat_work, work);

	w->samples[w->n++] = min_t(u64, ktime_get_ns() - w->queued_at, U32_MAX);
	complete(&w->ran);
}

static int axq_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static u32 axq_pct(u32 *s, unsigned int n, unsigned int per_mille)
{
	return n ? s[min(n - 1, (unsigned int)div_u64((u64)n * per_mille, 1000))] : 0;
}

/* Spawn @f's task in class @prio and wait for its first poll. */
static struct axq_task *axq_lat_start(struct axq_lat_fut *f,
				      enum axq_prio prio)
{
	struct axq_task *task;

	f->fut.ops = &axq_lat_ops;
	f->waker = NULL;
	f->n = 0;
	f->stop = false;
	f->woken_at = 0;
	init_completion(&f->polled);
	task = axq_spawn(&f->fut, prio, GFP_KERNEL);
	if (!IS_ERR(task))
		wait_for_completion(&f->polled);
	return task;
}

/* Wake @task once and wait for the poll that takes the sample. */
static void axq_lat_once(struct axq_lat_fut *f, struct axq_task *task)
{
	reinit_completion(&f->polled);
	WRITE_ONCE(f->woken_at, ktime_get_ns());
	axq_wake_by_ref(f->waker);
	wait_for_completion(&f->polled);
}

/* Stop @task, wait for it, sort @f's samples. */
static void axq_lat_finish(struct axq_lat_fut *f, struct axq_task *task)
{
	WRITE_ONCE(f->stop, true);
	axq_wake_by_ref(f->waker);
	axq_join_timeout(task, NULL, MAX_SCHEDULE_TIMEOUT);
	axq_task_put(task);
	sort(f->samples, f->n, sizeof(u32), axq_cmp_u32, NULL);
}

/* Wake a task of class @prio @n times, one at a time; samples in @f. */
static int axq_lat_measure(struct axq_lat_fut *f, enum axq_prio prio,
			   unsigned int n)
{
	struct axq_task *task = axq_lat_start(f, prio);
	unsigned int i;

	if (IS_ERR(task))
		return PTR_ERR(task);
	for (i = 0; i < n; i++)
		axq_lat_once(f, task);
	axq_lat_finish(f, task);
	return 0;
}

/* Queue @w's work once and wait for it to run (it takes the sample). */
static void axq_lat_work_once(struct axq_lat_work *w)
{
	reinit_completion(&w->ran);
	w->queued_at = ktime_get_ns();
	queue_work(axq_bench_wq, &w->work);
	wait_for_completion(&w->ran);
}

static void axq_bench_wake(unsigned int n)
{
	struct axq_lat_fut *f;
	struct axq_lat_work *w;
	struct axq_task *task;
	unsigned int i;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!f || !w)
		goto nomem;
	f->samples = kvmalloc_array(n, sizeof(u32), GFP_KERNEL);
	w->samples = kvmalloc_array(n, sizeof(u32), GFP_KERNEL);
	if (!f->samples || !w->samples)
		goto nomem;
	INIT_WORK(&w->work, axq_lat_work_fn);
	init_completion(&w->ran);
	task = axq_lat_start(f, AXQ_PRIO_NORMAL);
	if (IS_ERR(task))
		goto nomem;
	/*
	 * Interleaved, in turns that swap which goes first: a stall of the
	 * machine (a vCPU that the host does not run for a while, under
	 * emulation) then lands in both series alike, not in whichever
	 * happened to be measuring then (see Documentation/performance.rst).
	 */
	for (i = 0; i < n; i++) {
		if (i & 1) {
			axq_lat_work_once(w);
			axq_lat_once(f, task);
		} else {
			axq_lat_once(f, task);
			axq_lat_work_once(w);
		}
	}
	axq_lat_finish(f, task);
	sort(w->samples, w->n, sizeof(u32), axq_cmp_u32, NULL);
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "wake %u: asyncx wake->poll ns p50 %u p99 %u p999 %u; workqueue queue->run ns p50 %u p99 %u p999 %u\n",
		 n, axq_pct(f->samples, f->n, 500), axq_pct(f->samples, f->n, 990),
		 axq_pct(f->samples, f->n, 999), axq_pct(w->samples, w->n, 500),
		 axq_pct(w->samples, w->n, 990), axq_pct(w->samples, w->n, 999));
	goto out;
nomem:
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "wake %u: failed (-ENOMEM)\n", n);
out:
	if (f)
		kvfree(f->samples);
	if (w)
		kvfree(w->samples);
	kfree(f);
	kfree(w);
}

/* ---------------------------------------------------------------- hold */

static DECLARE_WAIT_QUEUE_HEAD(axq_hold_wq);
static bool axq_hold_released;		/* L: axq_hold_wq.lock to write */

struct axq_hold_fut {
	struct axq_future	fut;
	struct axq_wq_waker	w;
};

static enum axq_poll axq_hold_poll(struct axq_future *fut,
				   struct axq_context *cx, long *out)
{
	struct axq_hold_fut *f = container_of(fut, struct axq_hold_fut, fut);

	if (!READ_ONCE(axq_hold_released)) {
		axq_wq_waker_arm(&f->w, &axq_hold_wq, cx);
		if (!READ_ONCE(axq_hold_released))
			return AXQ_PENDING;
	}
	*out = 0;
	return AXQ_READY;
}

static void axq_hold_drop(struct axq_future *fut)
{
	struct axq_hold_fut *f = container_of(fut, struct axq_hold_fut, fut);

	axq_wq_waker_disarm(&f->w);
	kfree(f);
}

static const struct axq_future_ops axq_hold_ops = {
	.name	= "bench-hold",
	.poll	= axq_hold_poll,
	.drop	= axq_hold_drop,
};

static void axq_bench_hold(unsigned int n)
{
	struct axq_hold_fut *f;
	struct axq_task *task;
	unsigned int i;

	spin_lock_irq(&axq_hold_wq.lock);
	WRITE_ONCE(axq_hold_released, false);
	spin_unlock_irq(&axq_hold_wq.lock);
	for (i = 0; i < n; i++) {
		f = kzalloc(sizeof(*f), GFP_KERNEL);
		if (!f)
			break;
		f->fut.ops = &axq_hold_ops;
		axq_wq_waker_init(&f->w);
		task = axq_spawn(&f->fut, AXQ_PRIO_LOW, GFP_KERNEL);
		if (IS_ERR(task)) {
			kfree(f);
			break;
		}
		axq_task_put(task);
	}
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "hold %u: %u tasks spawned\n", n, i);
}

static void axq_bench_release(void)
{
	spin_lock_irq(&axq_hold_wq.lock);
	WRITE_ONCE(axq_hold_released, true);
	spin_unlock_irq(&axq_hold_wq.lock);
	wake_up_all(&axq_hold_wq);
	snprintf(axq_bench_result, sizeof(axq_bench_result), "released\n");
}

/* -------------------------------------------------------------- fanout */

#define AXQ_FANOUT_US	20

struct axq_fanout_run {
	atomic_t		left;
	struct completion	done;
	unsigned int		n;
	int			err;
};

struct axq_fanout_child {
	struct axq_future	fut;
	struct axq_fanout_run	*run;
};

struct axq_fanout_root {
	struct axq_future	fut;
	struct axq_fanout_run	*run;
	struct axq_fanout_child	*children;
};

static enum axq_poll axq_fanout_child_poll(struct axq_future *fut,
					   struct axq_context *cx, long *out)
{
	udelay(AXQ_FANOUT_US);
	*out = 0;
	return AXQ_READY;
}

/*
 * Count down in the drop, the runtime's last touch of the future: the
 * children live in an array freed once the count reaches zero (counting in
 * the poll let the runtime read a freed future: KASAN, debug kernel).
 */
static void axq_fanout_child_drop(struct axq_future *fut)
{
	struct axq_fanout_child *c = container_of(fut, struct axq_fanout_child,
						  fut);

	if (atomic_dec_and_test(&c->run->left))
		complete(&c->run->done);
}

static const struct axq_future_ops axq_fanout_child_ops = {
	.name	= "bench-fanout",
	.poll	= axq_fanout_child_poll,
	.drop	= axq_fanout_child_drop,
};

/* Spawn the children from inside a poll: into this worker's run queue. */
static enum axq_poll axq_fanout_root_poll(struct axq_future *fut,
					  struct axq_context *cx, long *out)
{
	struct axq_fanout_root *r = container_of(fut, struct axq_fanout_root,
						 fut);
	struct axq_fanout_run *run = r->run;
	struct axq_task *t;
	unsigned int i;

	for (i = 0; i < run->n; i++) {
		r->children[i].fut.ops = &axq_fanout_child_ops;
		r->children[i].run = run;
		t = axq_spawn(&r->children[i].fut, AXQ_PRIO_NORMAL, GFP_NOWAIT);
		if (IS_ERR(t)) {
			run->err = PTR_ERR(t);
			/* The ones never spawned will not count down. */
			if (atomic_sub_and_test(run->n - i, &run->left))
				complete(&run->done);
			break;
		}
		axq_task_put(t);
	}
	*out = 0;
	return AXQ_READY;
}

static const struct axq_future_ops axq_fanout_root_ops = {
	.name	= "bench-fanout-root",
	.poll	= axq_fanout_root_poll,
};

static void axq_bench_fanout(unsigned int n)
{
	struct axq_fanout_root *root;
	struct axq_fanout_run run;
	struct axq_task *t;
	u64 ns;

	root = kzalloc(sizeof(*root), GFP_KERNEL);
	if (root)
		root->children = kvcalloc(n, sizeof(*root->children), GFP_KERNEL);
	if (!root || !root->children) {
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "fanout %u: failed (-ENOMEM)\n", n);
		goto out;
	}
	atomic_set(&run.left, n);
	init_completion(&run.done);
	run.n = n;
	run.err = 0;
	root->fut.ops = &axq_fanout_root_ops;
	root->run = &run;
	ns = ktime_get_ns();
	t = axq_spawn(&root->fut, AXQ_PRIO_NORMAL, GFP_KERNEL);
	if (IS_ERR(t)) {
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "fanout %u: failed (%ld)\n", n, PTR_ERR(t));
		goto out;
	}
	wait_for_completion(&run.done);
	ns = ktime_get_ns() - ns;
	axq_join_timeout(t, NULL, MAX_SCHEDULE_TIMEOUT);
	axq_task_put(t);
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "fanout %u: %llu ns (%llu tasks/s) on %u CPUs, %u us each, err %d\n",
		 n, ns, div64_u64((u64)n * NSEC_PER_SEC, ns ?: 1),
		 num_online_cpus(), AXQ_FANOUT_US, run.err);
out:
	if (root)
		kvfree(root->children);
	kfree(root);
}

/* ---------------------------------------------------------------- prio */

#define AXQ_HOG_US	200

struct axq_hog_fut {
	struct axq_future	fut;
	bool			*stop;
};

/* Busy for AXQ_HOG_US, then runnable again at once: saturates a worker. */
static enum axq_poll axq_hog_poll(struct axq_future *fut,
				  struct axq_context *cx, long *out)
{
	struct axq_hog_fut *h = container_of(fut, struct axq_hog_fut, fut);

	if (READ_ONCE(*h->stop)) {
		*out = 0;
		return AXQ_READY;
	}
	udelay(AXQ_HOG_US);
	axq_wake_by_ref(cx->task);
	return AXQ_PENDING;
}

static const struct axq_future_ops axq_hog_ops = {
	.name	= "bench-hog",
	.poll	= axq_hog_poll,
};

static void axq_bench_prio(unsigned int n)
{
	unsigned int nr = 2 * num_online_cpus(), i, spawned = 0;
	struct axq_lat_fut *hi = NULL, *lo = NULL;
	struct axq_hog_fut *hogs;
	struct axq_task **ht;
	bool stop = false;
	int err = -ENOMEM;

	hogs = kcalloc(nr, sizeof(*hogs), GFP_KERNEL);
	ht = kcalloc(nr, sizeof(*ht), GFP_KERNEL);
	hi = kzalloc(sizeof(*hi), GFP_KERNEL);
	lo = kzalloc(sizeof(*lo), GFP_KERNEL);
	if (!hogs || !ht || !hi || !lo)
		goto out;
	hi->samples = kvmalloc_array(n, sizeof(u32), GFP_KERNEL);
	lo->samples = kvmalloc_array(n, sizeof(u32), GFP_KERNEL);
	if (!hi->samples || !lo->samples)
		goto out;
	for (i = 0; i < nr; i++) {
		hogs[i].fut.ops = &axq_hog_ops;
		hogs[i].stop = &stop;
		ht[i] = axq_spawn(&hogs[i].fut, AXQ_PRIO_LOW, GFP_KERNEL);
		if (IS_ERR(ht[i]))
			goto stop;
		spawned++;
	}
	err = axq_lat_measure(hi, AXQ_PRIO_HIGH, n);
	if (!err)
		err = axq_lat_measure(lo, AXQ_PRIO_LOW, n);
stop:
	WRITE_ONCE(stop, true);
	for (i = 0; i < spawned; i++) {
		axq_join_timeout(ht[i], NULL, MAX_SCHEDULE_TIMEOUT);
		axq_task_put(ht[i]);
	}
out:
	if (err)
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "prio %u: failed (%d)\n", n, err);
	else
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "prio %u: %u LOW hogs on %u CPUs; HIGH wake->poll ns p50 %u p99 %u p999 %u; LOW wake->poll ns p50 %u p99 %u p999 %u\n",
			 n, nr, num_online_cpus(), axq_pct(hi->samples, hi->n, 500),
			 axq_pct(hi->samples, hi->n, 990),
			 axq_pct(hi->samples, hi->n, 999),
			 axq_pct(lo->samples, lo->n, 500),
			 axq_pct(lo->samples, lo->n, 990),
			 axq_pct(lo->samples, lo->n, 999));
	if (hi)
		kvfree(hi->samples);
	if (lo)
		kvfree(lo->samples);
	kfree(hi);
	kfree(lo);
	kfree(ht);
	kfree(hogs);
}

/* ----------------------------------------------------------------- mem */

static void axq_bench_mem(void)
{
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "mem: task %u B (struct %zu), request with its task: NOP %u B, TIMEOUT %u B, POLL %u B, READ %u B; context %zu B + rings\n",
		 axq_task_obj_size(), sizeof(struct axq_task),
		 axq_req_obj_size(ASYNCX_OP_NOP),
		 axq_req_obj_size(ASYNCX_OP_TIMEOUT),
		 axq_req_obj_size(ASYNCX_OP_POLL),
		 axq_req_obj_size(ASYNCX_OP_READ), sizeof(struct axq_ctx));
}

/* ---------------------------------------------------------------- demo */

enum { AXQ_DEMO_LOST, AXQ_DEMO_LONGPOLL, AXQ_DEMO_STARVED, AXQ_DEMO_WAKEAFTER };

static const char * const axq_demo_names[] = {
	[AXQ_DEMO_LOST] = "lost", [AXQ_DEMO_LONGPOLL] = "longpoll",
	[AXQ_DEMO_STARVED] = "starved", [AXQ_DEMO_WAKEAFTER] = "wakeafter",
};

/**
 * struct axq_demo_fut - a future that raises a telemetry warning on purpose
 * @fut: the future
 * @mode: which warning (AXQ_DEMO_*)
 * @polls: polls so far
 * @kept: "wakeafter": a waker kept past completion, which the bench wakes
 */
struct axq_demo_fut {
	struct axq_future	fut;
	int			mode;
	int			polls;
	struct axq_task		*kept;
};

static enum axq_poll axq_demo_poll(struct axq_future *fut,
				   struct axq_context *cx, long *out)
{
	struct axq_demo_fut *f = container_of(fut, struct axq_demo_fut, fut);

	WRITE_ONCE(f->polls, f->polls + 1);
	switch (f->mode) {
	case AXQ_DEMO_LOST:
		/* The bug on purpose: PENDING, and nothing will wake it. */
		return AXQ_PENDING;
	case AXQ_DEMO_LONGPOLL:
	case AXQ_DEMO_STARVED:
	case AXQ_DEMO_WAKEAFTER:
		/*
		 * The second poll is the long one: a task that has waited is
		 * timed by the clock (a first poll only by jiffies).
		 */
		if (f->polls > 1) {
			if (f->mode == AXQ_DEMO_LONGPOLL)
				mdelay(2 * DIV_ROUND_UP(axq_tel_long_poll_ns(),
							NSEC_PER_MSEC));
			break;
		}
		if (f->mode == AXQ_DEMO_WAKEAFTER)
			f->kept = axq_waker_get(cx);
		axq_wake(axq_waker_get(cx));	/* a yield: polled again */
		return AXQ_PENDING;
	}
	*out = f->polls;
	return AXQ_READY;
}

static const struct axq_future_ops axq_demo_ops = {
	.name	= "bench-demo",
	.poll	= axq_demo_poll,
};

/* The "lost" demo's task and future, until "demo cancel" (L: axq_bench_lock). */
static struct axq_task *axq_demo_lost;
static struct axq_demo_fut *axq_demo_lost_fut;

static void axq_demo_cancel(void)
{
	if (!axq_demo_lost)
		return;
	axq_task_cancel(axq_demo_lost);
	/* The future is ours once the task completed. */
	if (!axq_join_timeout(axq_demo_lost, NULL, 5 * HZ))
		kfree(axq_demo_lost_fut);
	axq_task_put(axq_demo_lost);
	axq_demo_lost = NULL;
	axq_demo_lost_fut = NULL;
}

/*
 * Each demo's task is one allocation with its future (the bench frees it
 * when done); "lost" keeps its join handle until "demo cancel" or unload.
 */
static void axq_bench_demo(const char *what)
{
	long lost = axq_tel_warnings(AXQ_WARN_LOST_WAKER);
	struct axq_demo_fut *f;
	struct axq_task *task;
	long res = 0;
	int mode, i;

	if (!strcmp(what, "cancel")) {
		axq_demo_cancel();
		snprintf(axq_bench_result, sizeof(axq_bench_result), "demo cancelled\n");
		return;
	}
	mode = match_string(axq_demo_names, ARRAY_SIZE(axq_demo_names), what);
	if (mode < 0 || (mode == AXQ_DEMO_LOST && axq_demo_lost)) {
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "demo %s: %s\n", what, mode < 0 ? "unknown" : "running already");
		return;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return;
	f->fut.ops = &axq_demo_ops;
	f->mode = mode;
	task = axq_spawn(&f->fut, AXQ_PRIO_NORMAL, GFP_KERNEL);
	if (IS_ERR(task)) {
		kfree(f);
		return;
	}
	if (mode == AXQ_DEMO_LOST) {
		axq_demo_lost = task;
		axq_demo_lost_fut = f;
		/*
		 * Return once its first poll is over (a cancel right after
		 * must not drop it unpolled), and its warning raised.
		 */
		for (i = 0; i < 5000; i++) {
			if (READ_ONCE(f->polls) &&
			    (!axq_tel_on() || axq_tel_warnings(AXQ_WARN_LOST_WAKER) > lost))
				break;
			usleep_range(1000, 2000);
		}
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "demo lost: task %llu lost its waker\n", task->id);
		return;
	}
	/* (Killed while waiting: the future is the task's still; left.) */
	if (axq_join_timeout(task, &res, MAX_SCHEDULE_TIMEOUT)) {
		axq_task_put(task);
		return;
	}
	if (mode == AXQ_DEMO_WAKEAFTER && f->kept)
		axq_wake(f->kept);
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "demo %s: task %llu done after %ld polls\n", what,
		 task->id, res);
	axq_task_put(task);
	kfree(f);
}

/* -------------------------------------------------------------- debugfs */

static ssize_t axq_bench_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[32], cmd[16], word[16];
	unsigned int n = 0;
	int args;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	args = sscanf(buf, "%15s %u", cmd, &n);
	if (args < 1)
		return -EINVAL;
	if (!strcmp(cmd, "demo")) {
		if (sscanf(buf, "%15s %15s", cmd, word) != 2)
			return -EINVAL;
		mutex_lock(&axq_bench_lock);
		axq_bench_demo(word);
		mutex_unlock(&axq_bench_lock);
		return len;
	}

	mutex_lock(&axq_bench_lock);
	if (!strcmp(cmd, "spawn") && args == 2 && n && n <= AXQ_BENCH_MAX)
		axq_bench_spawn(n);
	else if (!strcmp(cmd, "spawnplug") && args == 2 && n && n <= AXQ_BENCH_MAX)
		axq_bench_spawnplug(n);
	else if (!strcmp(cmd, "spawntask") && args == 2 && n && n <= AXQ_BENCH_MAX)
		axq_bench_spawntask(n);
	else if (!strcmp(cmd, "wake") && args == 2 && n && n <= AXQ_BENCH_WAKE_MAX)
		axq_bench_wake(n);
	else if (!strcmp(cmd, "hold") && args == 2 && n <= AXQ_BENCH_MAX)
		axq_bench_hold(n);
	else if (!strcmp(cmd, "release") && args == 1)
		axq_bench_release();
	else if (!strcmp(cmd, "fanout") && args == 2 && n && n <= AXQ_BENCH_WAKE_MAX)
		axq_bench_fanout(n);
	else if (!strcmp(cmd, "prio") && args == 2 && n && n <= AXQ_BENCH_WAKE_MAX)
		axq_bench_prio(n);
	else if (!strcmp(cmd, "mem") && args == 1)
		axq_bench_mem();
	else
		len = -EINVAL;
	mutex_unlock(&axq_bench_lock);
	return len;
}

static ssize_t axq_bench_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&axq_bench_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, axq_bench_result,
				      strlen(axq_bench_result));
	mutex_unlock(&axq_bench_lock);
	return ret;
}

static const struct file_operations axq_bench_fops = {
	.owner	= THIS_MODULE,
	.write	= axq_bench_write,
	.read	= axq_bench_read,
	.llseek	= default_llseek,
};

/**
 * axq_bench_init() - create the bench file and its per-CPU workqueue
 * @dir: the module's debugfs directory
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int axq_bench_init(struct dentry *dir)
{
	/* Bound (per-CPU) like the system workqueue: the baseline. */
	axq_bench_wq = alloc_workqueue("asyncx_bench", 0, 0);
	if (!axq_bench_wq)
		return -ENOMEM;
	debugfs_create_file("bench", 0600, dir, NULL, &axq_bench_fops);
	return 0;
}

/**
 * axq_bench_exit() - free the bench workqueue (after debugfs is gone)
 *
 * Context: process context, module exit.
 */
void axq_bench_exit(void)
{
	mutex_lock(&axq_bench_lock);
	axq_demo_cancel();
	mutex_unlock(&axq_bench_lock);
	if (axq_bench_wq)
		destroy_workqueue(axq_bench_wq);
	axq_bench_wq = NULL;
}
