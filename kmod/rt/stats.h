/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: per-CPU executor counters, shown in debugfs as asyncx/stats.
 */
#ifndef _ASYNCX_RT_STATS_H
#define _ASYNCX_RT_STATS_H

#include <linux/percpu.h>
#include <linux/types.h>

/**
 * struct axq_stats - executor counters of one CPU (or their sum)
 * @spawned: tasks spawned on this CPU
 * @polled: polls run by this CPU's worker
 * @woken: wakes issued on this CPU (that were not no-ops)
 * @stolen: tasks this CPU's worker stole from others
 * @parked: times this CPU's worker went to sleep for lack of work
 * @yields: budget yields of this CPU's worker (cond_resched and a look
 *	at the injection queue after a run of polls)
 * @completed: tasks that finished on this CPU (ready or cancelled)
 * @cancelled: of those, tasks that were cancelled
 *
 * Updated with this_cpu_inc()/this_cpu_add(), so from any context.
 */
struct axq_stats {
	u64 spawned;
	u64 polled;
	u64 woken;
	u64 stolen;
	u64 parked;
	u64 yields;
	u64 completed;
	u64 cancelled;
};

/* Counted with this_cpu_inc(axq_stats->FIELD), safe in any context. */
extern struct axq_stats __percpu *axq_stats;

void axq_stats_sum(struct axq_stats *sum);
void axq_stats_cpu(unsigned int cpu, struct axq_stats *out);
int axq_stats_init(void);
void axq_stats_exit(void);

#endif /* _ASYNCX_RT_STATS_H */
