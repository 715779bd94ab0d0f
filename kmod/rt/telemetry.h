/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: per-task telemetry and its warnings (telemetry.c; internal to
 * the module, exported to its KUnit suites).
 */
#ifndef _ASYNCX_RT_TELEMETRY_H
#define _ASYNCX_RT_TELEMETRY_H

#include <linux/atomic.h>
#include <linux/jump_label.h>
#include <linux/types.h>

#include <asyncx/runtime.h>

struct axq_task;
struct seq_file;

/**
 * enum axq_warn - what telemetry warns about
 * @AXQ_WARN_LOST_WAKER: a poll returned PENDING and left no waker, and
 *	nothing notified the task: it can never run again (but cancelled)
 * @AXQ_WARN_LONG_POLL: one poll ran longer than long_poll_us
 * @AXQ_WARN_STARVED: the task waited in a run queue longer than
 *	starved_us between its wake and its poll
 * @AXQ_WARN_WAKE_AFTER_COMPLETE: a waker fired after the task completed
 * @AXQ_NR_WARN: number of kinds
 */
enum axq_warn {
	AXQ_WARN_LOST_WAKER,
	AXQ_WARN_LONG_POLL,
	AXQ_WARN_STARVED,
	AXQ_WARN_WAKE_AFTER_COMPLETE,
	AXQ_NR_WARN,
};

/**
 * struct axq_task_tel - what telemetry keeps of a task that has waited
 * @busy_ns: time spent in its polls (its first included)
 * @sched_ns: time it waited in run queues, from its wake to its poll
 * @queued_at: when its last wake queued it (ns), 0 when not queued
 * @last_waker: where its last wake came from (the caller of axq_wake(),
 *	a return address for %pS)
 * @wait_ip: where its last PENDING poll armed its wait
 * @wait_arg: a timer's expiry (ns, CLOCK_MONOTONIC), else 0
 * @wakes: wakes of the task (from any context)
 * @polls: polls, its first included
 * @max_poll_ns: its longest poll, at most U32_MAX (4.3 s)
 * @self_wakes: wakes from its own poll (a yield), at most U16_MAX
 * @wait_kind: an enum axq_wait_kind
 * @warned: a bit per enum axq_warn raised for it
 *
 * 64 bytes: one cache line, and what every operation in flight pays.
 * @wakes and @last_waker are written by wakers in any context; @warned by
 * the worker that holds RUNNING, or a waker of a task that completed;
 * the rest only by the worker that holds RUNNING. Readers (the debugfs
 * view) take what they find (READ_ONCE()).
 */
struct axq_task_tel {
	u64		busy_ns;
	u64		sched_ns;
	u64		queued_at;
	unsigned long	last_waker;
	unsigned long	wait_ip;
	u64		wait_arg;
	atomic_t	wakes;
	u32		polls;
	u32		max_poll_ns;
	u16		self_wakes;
	u8		wait_kind;
	u8		warned;
};

/**
 * struct axq_task_stats - a copy of a task's telemetry (axq_task_telemetry())
 * @polls: polls
 * @wakes: wakes
 * @self_wakes: wakes from its own poll
 * @busy_ns: time in polls
 * @sched_ns: time queued
 * @max_poll_ns: longest poll
 * @last_waker: return address of its last wake's caller
 * @wait_kind: what it waits on (enum axq_wait_kind)
 * @wait_ip: where it armed that wait
 * @warned: bits of enum axq_warn
 */
struct axq_task_stats {
	u32		polls;
	u32		wakes;
	u32		self_wakes;
	u64		busy_ns;
	u64		sched_ns;
	u64		max_poll_ns;
	unsigned long	last_waker;
	u8		wait_kind;
	unsigned long	wait_ip;
	u8		warned;
};

DECLARE_STATIC_KEY_TRUE(axq_telemetry_key);

/* Is telemetry on (the module parameter "telemetry")? */
static inline bool axq_tel_on(void)
{
	return static_branch_likely(&axq_telemetry_key);
}

struct axq_task_tel *axq_tel_alloc(void);
void axq_tel_free(struct axq_task_tel *tel);
void axq_tel_warn(struct axq_task *task, enum axq_warn w, u64 value,
		  unsigned long ip);
u64 axq_tel_long_poll_ns(void);
u64 axq_tel_starved_ns(void);
void axq_tel_set_thresholds(unsigned int long_poll_us, unsigned int starved_us);
long axq_tel_warnings(enum axq_warn w);
int axq_task_telemetry(struct axq_task *task, struct axq_task_stats *out);
void axq_tel_show(struct seq_file *m);
int axq_tel_init(void);
void axq_tel_exit(void);

#endif /* _ASYNCX_RT_TELEMETRY_H */
