// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: the executor's micro-benchmark and load generator, driven through
 * /sys/kernel/debug/asyncx/bench. Write a command, read the last result:
 *
 *   spawn N	spawn N trivial tasks and wait for all; then queue N work
 *		items doing the same work on a per-CPU workqueue; report
 *		both rates and their ratio
 *   wake N	wake one pending task N times, one wake at a time, and
 *		measure wake->poll latency; the same for queue_work->run on
 *		the per-CPU workqueue; report p50/p99/p999 of both
 *   hold N	spawn N tasks that stay pending (tasks in flight, for unload
 *		and stress tests); "release" completes them
 *
 * Nothing here asserts a timing: the numbers are for people and for the
 * benchmark suite (make bench), measured in the same run.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "asyncx.h"
#include "runtime.h"

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

static u64 axq_bench_spawn_asyncx(unsigned int n)
{
	struct axq_bench_run run;
	struct axq_bench_fut *f;
	struct axq_task *task;
	unsigned int i;
	u64 t0;

	atomic_set(&run.left, n);
	init_completion(&run.done);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
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
	u64 a = axq_bench_spawn_asyncx(n);
	u64 w = axq_bench_spawn_wq(n);

	if (!a || !w) {
		snprintf(axq_bench_result, sizeof(axq_bench_result),
			 "spawn %u: failed (-ENOMEM)\n", n);
		return;
	}
	snprintf(axq_bench_result, sizeof(axq_bench_result),
		 "spawn %u: asyncx %llu ns (%llu/s) workqueue %llu ns (%llu/s) ratio %llu.%02llu\n",
		 n, a, div64_u64((u64)n * NSEC_PER_SEC, a), w,
		 div64_u64((u64)n * NSEC_PER_SEC, w), div64_u64(w, a),
		 div64_u64(w * 100, a) % 100);
}

/* ---------------------------------------------------------------- wake */

/* A task that records wake->poll latency; stays pending until stopped. */
struct axq_lat_fut {
	struct axq_future	fut;
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
		*out = 0;
		return AXQ_READY;
	}
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

	f->fut.ops = &axq_lat_ops;
	init_completion(&f->polled);
	task = axq_spawn(&f->fut, AXQ_PRIO_NORMAL, GFP_KERNEL);
	if (IS_ERR(task))
		goto nomem;
	wait_for_completion(&f->polled);
	for (i = 0; i < n; i++) {
		reinit_completion(&f->polled);
		WRITE_ONCE(f->woken_at, ktime_get_ns());
		axq_wake_by_ref(task);
		wait_for_completion(&f->polled);
	}
	WRITE_ONCE(f->stop, true);
	axq_wake_by_ref(task);
	axq_join_timeout(task, NULL, MAX_SCHEDULE_TIMEOUT);
	axq_task_put(task);

	INIT_WORK(&w->work, axq_lat_work_fn);
	init_completion(&w->ran);
	for (i = 0; i < n; i++) {
		reinit_completion(&w->ran);
		w->queued_at = ktime_get_ns();
		queue_work(axq_bench_wq, &w->work);
		wait_for_completion(&w->ran);
	}

	sort(f->samples, f->n, sizeof(u32), axq_cmp_u32, NULL);
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

/* -------------------------------------------------------------- debugfs */

static ssize_t axq_bench_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[32], cmd[16];
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

	mutex_lock(&axq_bench_lock);
	if (!strcmp(cmd, "spawn") && args == 2 && n && n <= AXQ_BENCH_MAX)
		axq_bench_spawn(n);
	else if (!strcmp(cmd, "wake") && args == 2 && n && n <= AXQ_BENCH_WAKE_MAX)
		axq_bench_wake(n);
	else if (!strcmp(cmd, "hold") && args == 2 && n <= AXQ_BENCH_MAX)
		axq_bench_hold(n);
	else if (!strcmp(cmd, "release") && args == 1)
		axq_bench_release();
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
	if (axq_bench_wq)
		destroy_workqueue(axq_bench_wq);
	axq_bench_wq = NULL;
}
