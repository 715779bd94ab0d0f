// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: per-CPU executor counters.
 */
#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "stats.h"

struct axq_stats __percpu *axq_stats;

/**
 * axq_stats_cpu() - read one CPU's counters
 * @cpu: a possible CPU
 * @out: where to copy them
 *
 * Context: any context. The copy is not atomic as a whole: each counter is
 * read once, and may be a little behind.
 */
void axq_stats_cpu(unsigned int cpu, struct axq_stats *out)
{
	struct axq_stats *s = per_cpu_ptr(axq_stats, cpu);

	out->spawned = READ_ONCE(s->spawned);
	out->polled = READ_ONCE(s->polled);
	out->woken = READ_ONCE(s->woken);
	out->stolen = READ_ONCE(s->stolen);
	out->parked = READ_ONCE(s->parked);
	out->yields = READ_ONCE(s->yields);
	out->completed = READ_ONCE(s->completed);
	out->cancelled = READ_ONCE(s->cancelled);
}
EXPORT_SYMBOL_NS_GPL(axq_stats_cpu, ASYNCX_INTERNAL);

/**
 * axq_stats_sum() - the counters of all CPUs added up
 * @sum: where to store the totals
 *
 * Context: any context.
 */
void axq_stats_sum(struct axq_stats *sum)
{
	struct axq_stats one;
	unsigned int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		axq_stats_cpu(cpu, &one);
		sum->spawned += one.spawned;
		sum->polled += one.polled;
		sum->woken += one.woken;
		sum->stolen += one.stolen;
		sum->parked += one.parked;
		sum->yields += one.yields;
		sum->completed += one.completed;
		sum->cancelled += one.cancelled;
	}
}
EXPORT_SYMBOL_NS_GPL(axq_stats_sum, ASYNCX_INTERNAL);

/**
 * axq_stats_init() - allocate the counters
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int axq_stats_init(void)
{
	axq_stats = alloc_percpu(struct axq_stats);
	return axq_stats ? 0 : -ENOMEM;
}

/**
 * axq_stats_exit() - free the counters
 *
 * Context: process context, module exit.
 */
void axq_stats_exit(void)
{
	free_percpu(axq_stats);
}
