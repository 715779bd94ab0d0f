// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: per-task telemetry, and warnings about tasks that cannot run again
 * (lost waker), polls that hog a worker (long poll), tasks left queued
 * (starved) and wakers that fire too late (wake after completion).
 */

/**
 * DOC: telemetry
 *
 * Every task that waits (its poll returned PENDING) gets a small record
 * (struct axq_task_tel) when telemetry is on, the default: its polls, its
 * time in polls and in run queues, its longest poll, its wakes and self
 * wakes, where its last wake came from, and what it waits on and where
 * that wait was armed. Nothing on the hot path takes a lock: the polling
 * worker writes what only it touches, wakers add to an atomic counter.
 * Tasks that complete in their first poll get no record. The cost of
 * keeping it on is a row of ``make bench``: two clock reads (local_clock())
 * per poll of a task that has a record and one per wake that queues it,
 * the record's allocation; a first poll reads no clock (jiffies tell a
 * long one, which is milliseconds);
 * the module parameter ``telemetry`` turns it off at run time (records
 * already made stay, and are no longer updated).
 *
 * The warnings are counted, raised as the tracepoint ``asyncx_warn`` and
 * marked on the task in the debugfs view (``telemetry``):
 *
 * - lost waker: exact, from the state word, which counts a task's wakers
 *   in the same atomic word as its flags (task.h): a poll that returns
 *   PENDING with no waker left and the task not NOTIFIED leaves a task
 *   nothing can wake (cancelling it still drops it);
 * - long poll: a poll longer than ``long_poll_us`` (default 10 ms);
 * - starved: a task that waited queued longer than ``starved_us``
 *   (default 100 ms) between its wake and its poll;
 * - wake after completion: a waker that fires on a task that completed
 *   (not cancelled): a waker kept past the future that armed it.
 */
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "trace.h"
#include "task.h"
#include "telemetry.h"

/* DEFINE_STATIC_KEY_TRUE(), spelled out so that its export follows it. */
struct static_key_true axq_telemetry_key = STATIC_KEY_TRUE_INIT;
EXPORT_SYMBOL_NS_GPL(axq_telemetry_key, ASYNCX_INTERNAL);

static struct kmem_cache *axq_tel_cache;
static atomic_long_t axq_tel_warned[AXQ_NR_WARN];
static unsigned int axq_long_poll_us = 10000;
static unsigned int axq_starved_us = 100000;

static int axq_tel_param_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	if (on)
		static_branch_enable(&axq_telemetry_key);
	else
		static_branch_disable(&axq_telemetry_key);
	return 0;
}

static int axq_tel_param_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%d\n", axq_tel_on());
}

static const struct kernel_param_ops axq_tel_param_ops = {
	.set = axq_tel_param_set,
	.get = axq_tel_param_get,
};
module_param_cb(telemetry, &axq_tel_param_ops, NULL, 0644);
MODULE_PARM_DESC(telemetry,
		 "Per-task telemetry and its warnings (debugfs asyncx/telemetry, tracepoint asyncx_warn): 1 on (default), 0 off");
module_param_named(long_poll_us, axq_long_poll_us, uint, 0644);
MODULE_PARM_DESC(long_poll_us,
		 "A poll longer than this (us) is a long-poll warning (default 10000)");
module_param_named(starved_us, axq_starved_us, uint, 0644);
MODULE_PARM_DESC(starved_us,
		 "A task queued longer than this (us) before its poll is a starved warning (default 100000)");

/**
 * axq_tel_alloc() - a zeroed telemetry record
 *
 * Context: an executor worker; does not sleep.
 * Return: the record, or NULL (the task goes without).
 */
struct axq_task_tel *axq_tel_alloc(void)
{
	return kmem_cache_zalloc(axq_tel_cache, GFP_NOWAIT | __GFP_NOWARN);
}

/**
 * axq_tel_free() - free a record of axq_tel_alloc()
 * @tel: the record, or NULL
 *
 * Context: any context.
 */
void axq_tel_free(struct axq_task_tel *tel)
{
	if (tel)
		kmem_cache_free(axq_tel_cache, tel);
}

/**
 * axq_tel_warn() - raise a warning about a task
 * @task: the task, alive (a reference, or RUNNING)
 * @w: the warning
 * @value: the long poll's or the wait's length (ns), else 0
 * @ip: where it comes from: the wait's site, the waker's caller
 *
 * Counted, traced (asyncx_warn) and marked on the task's record.
 *
 * Context: any context.
 */
void axq_tel_warn(struct axq_task *task, enum axq_warn w, u64 value,
		  unsigned long ip)
{
	struct axq_task_tel *tel = task->tel;

	atomic_long_inc(&axq_tel_warned[w]);
	if (tel)
		WRITE_ONCE(tel->warned, READ_ONCE(tel->warned) | BIT(w));
	trace_asyncx_warn(task->id, w, value, (void *)ip);
}

/**
 * axq_tel_long_poll_ns() - the long-poll threshold
 *
 * Return: long_poll_us in ns.
 */
u64 axq_tel_long_poll_ns(void)
{
	return (u64)READ_ONCE(axq_long_poll_us) * NSEC_PER_USEC;
}

/**
 * axq_tel_starved_ns() - the starved threshold
 *
 * Return: starved_us in ns.
 */
u64 axq_tel_starved_ns(void)
{
	return (u64)READ_ONCE(axq_starved_us) * NSEC_PER_USEC;
}

/**
 * axq_tel_set_thresholds() - set long_poll_us and starved_us
 * @long_poll_us: the long-poll threshold
 * @starved_us: the starved threshold
 *
 * For the KUnit suite, which provokes each warning.
 *
 * Context: any context.
 */
void axq_tel_set_thresholds(unsigned int long_poll_us, unsigned int starved_us)
{
	WRITE_ONCE(axq_long_poll_us, long_poll_us);
	WRITE_ONCE(axq_starved_us, starved_us);
}
EXPORT_SYMBOL_NS_GPL(axq_tel_set_thresholds, ASYNCX_INTERNAL);

/**
 * axq_tel_warnings() - warnings of one kind raised since load
 * @w: the kind
 *
 * Return: the count.
 */
long axq_tel_warnings(enum axq_warn w)
{
	return atomic_long_read(&axq_tel_warned[w]);
}
EXPORT_SYMBOL_NS_GPL(axq_tel_warnings, ASYNCX_INTERNAL);

/**
 * axq_task_telemetry() - copy a task's telemetry
 * @task: the task (a reference)
 * @out: the copy
 *
 * Context: any context.
 * Return: 0, or -ENODATA when the task has no record (it never waited, or
 * telemetry was off).
 */
int axq_task_telemetry(struct axq_task *task, struct axq_task_stats *out)
{
	struct axq_task_tel *tel = READ_ONCE(task->tel);

	if (!tel)
		return -ENODATA;
	out->polls = READ_ONCE(tel->polls);
	out->wakes = atomic_read(&tel->wakes);
	out->self_wakes = READ_ONCE(tel->self_wakes);
	out->busy_ns = READ_ONCE(tel->busy_ns);
	out->sched_ns = READ_ONCE(tel->sched_ns);
	out->max_poll_ns = READ_ONCE(tel->max_poll_ns);
	out->last_waker = READ_ONCE(tel->last_waker);
	out->wait_kind = READ_ONCE(tel->wait_kind);
	out->wait_ip = READ_ONCE(tel->wait_ip);
	out->warned = READ_ONCE(tel->warned);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(axq_task_telemetry, ASYNCX_INTERNAL);

/**
 * __axq_wait_note() - axq_wait_note() with the site given
 * @cx: the poll context
 * @kind: what kind of thing the task waits on
 * @obj: the thing
 * @arg: a timer's expiry (ns), else 0
 * @ip: where the wait is armed
 *
 * Context: inside a poll.
 */
void __axq_wait_note(struct axq_context *cx, enum axq_wait_kind kind,
		     const void *obj, u64 arg, unsigned long ip)
{
	cx->wait_kind = kind;
	cx->wait_obj = obj;
	cx->wait_arg = arg;
	cx->wait_ip = ip;
}
EXPORT_SYMBOL_GPL(__axq_wait_note);

static const char * const axq_wait_names[] = {
	[AXQ_WAIT_NONE] = "-", [AXQ_WAIT_WQ] = "waitqueue",
	[AXQ_WAIT_TIMER] = "timer", [AXQ_WAIT_FD] = "fd",
	[AXQ_WAIT_CHAN] = "channel", [AXQ_WAIT_OTHER] = "other",
};

/* One letter per warning, in the view: L(ost waker), P(oll), S, W. */
static const char axq_warn_letters[AXQ_NR_WARN] = "LPSW";

static void axq_tel_row(struct seq_file *m, struct axq_task *task, u64 now)
{
	struct axq_task_tel *tel = task->tel;
	char warned[AXQ_NR_WARN + 1];
	unsigned int i, n = 0;
	u8 bits, kind;
	u64 arg;

	if (!tel)
		return;
	bits = READ_ONCE(tel->warned);
	for (i = 0; i < AXQ_NR_WARN; i++)
		if (bits & BIT(i))
			warned[n++] = axq_warn_letters[i];
	if (!n)
		warned[n++] = '-';
	warned[n] = 0;
	kind = READ_ONCE(tel->wait_kind);
	arg = READ_ONCE(tel->wait_arg);
	/* Tab-separated: the symbols may hold spaces ("[asyncx]"). */
	seq_printf(m, "%llu\t%u\t%u\t%u\t%llu\t%llu\t%llu\t%s\t%s\t%lld\t%pS\t%pS\n",
		   task->id, READ_ONCE(tel->polls), atomic_read(&tel->wakes),
		   READ_ONCE(tel->self_wakes),
		   div_u64(READ_ONCE(tel->busy_ns), NSEC_PER_USEC),
		   div_u64(READ_ONCE(tel->sched_ns), NSEC_PER_USEC),
		   div_u64(READ_ONCE(tel->max_poll_ns), NSEC_PER_USEC),
		   warned, axq_wait_names[kind < ARRAY_SIZE(axq_wait_names) ? kind : 0],
		   kind == AXQ_WAIT_TIMER ? div_s64((s64)(arg - now), NSEC_PER_MSEC) : 0LL,
		   (void *)READ_ONCE(tel->wait_ip),
		   (void *)READ_ONCE(tel->last_waker));
}

/**
 * axq_tel_show() - the debugfs view asyncx/telemetry
 * @m: the seq_file
 *
 * A line of totals (warnings by kind), then one tab-separated line per
 * task that waits and has a record, after the columns of asyncx/tasks:
 * id, polls, wakes, self wakes, busy and queued time and longest poll
 * (us), warnings (L lost waker, P long poll, S starved, W wake after
 * completion), what it waits on, a timer's time left (ms), where the wait
 * was armed and where its last wake came from.
 *
 * Context: process context; takes the registry's locks.
 */
void axq_tel_show(struct seq_file *m)
{
	seq_printf(m, "# telemetry %s; warnings: lost_waker %ld long_poll %ld starved %ld wake_after_complete %ld\n",
		   axq_tel_on() ? "on" : "off",
		   axq_tel_warnings(AXQ_WARN_LOST_WAKER),
		   axq_tel_warnings(AXQ_WARN_LONG_POLL),
		   axq_tel_warnings(AXQ_WARN_STARVED),
		   axq_tel_warnings(AXQ_WARN_WAKE_AFTER_COMPLETE));
	seq_puts(m, "id\tpolls\twakes\tself\tbusy_us\tsched_us\tmax_poll_us\twarn\twaits_on\ttimer_ms\twait_site\tlast_waker\n");
	axq_tasks_for_each(m, axq_tel_row, ktime_get_ns());
}

/**
 * axq_tel_init() - create the records' cache
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int axq_tel_init(void)
{
	/* Every operation in flight pays for one: keep it to a cache line. */
	BUILD_BUG_ON(sizeof(struct axq_task_tel) != 64);
	axq_tel_cache = KMEM_CACHE(axq_task_tel, 0);
	return axq_tel_cache ? 0 : -ENOMEM;
}

/**
 * axq_tel_exit() - destroy the records' cache, every task gone
 *
 * Context: process context, module exit.
 */
void axq_tel_exit(void)
{
	kmem_cache_destroy(axq_tel_cache);
}
