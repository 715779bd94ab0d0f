// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: the debugfs view, /sys/kernel/debug/asyncx/.
 *
 *   contexts	number of live contexts (open files of /dev/asyncx)
 *   stats	executor counters per CPU and in total, and live tasks
 *   tasks	a table of the live tasks (see axq_tasks_show())
 *   telemetry	their telemetry and warnings (see axq_tel_show())
 *   bench	the executor's micro-benchmark and load generator (bench.c)
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/printk.h>
#include <linux/seq_file.h>

#include "internal.h"
#include "ring/dev.h"
#include "rt/executor.h"
#include "rt/stats.h"
#include "rt/task.h"
#include "rt/telemetry.h"

static struct dentry *axq_debugfs_root;

static void axq_stats_row(struct seq_file *m, const char *cpu,
			  const struct axq_stats *st, unsigned int queued,
			  const char *state)
{
	seq_printf(m, "%-6s %10llu %10llu %10llu %10llu %10llu %10llu %10llu %10llu %7u %s\n",
		   cpu, st->spawned, st->polled, st->woken, st->stolen,
		   st->parked, st->yields, st->completed, st->cancelled,
		   queued, state);
}

static int axq_stats_show(struct seq_file *m, void *v)
{
	unsigned int cpu, queued, all = 0;
	struct axq_stats st;
	const char *state;
	char name[12];

	seq_printf(m, "%-6s %10s %10s %10s %10s %10s %10s %10s %10s %7s %s\n", "cpu",
		   "spawned", "polled", "woken", "stolen", "parked", "yields",
		   "completed", "cancelled", "queued", "state");
	for_each_possible_cpu(cpu) {
		axq_stats_cpu(cpu, &st);
		state = axq_executor_cpu_state(cpu, &queued);
		all += queued;
		snprintf(name, sizeof(name), "%u", cpu);
		axq_stats_row(m, name, &st, queued, state);
	}
	axq_stats_sum(&st);
	axq_stats_row(m, "total", &st, all, "-");
	seq_printf(m, "live tasks: %d\n", axq_tasks_nr_live());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(axq_stats);

static int axq_tasks_table_show(struct seq_file *m, void *v)
{
	axq_tasks_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(axq_tasks_table);

static int axq_telemetry_show(struct seq_file *m, void *v)
{
	axq_tel_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(axq_telemetry);

/**
 * axq_debugfs_init() - create /sys/kernel/debug/asyncx and its files
 *
 * Debugfs is an aid, not a dependency: if it is absent or fails, the
 * module works without it, as debugfs users are expected to.
 *
 * Context: process context, module init.
 */
void axq_debugfs_init(void)
{
	axq_debugfs_root = debugfs_create_dir(ASYNCX_DEBUGFS_DIR, NULL);
	debugfs_create_atomic_t("contexts", 0444, axq_debugfs_root,
				&axq_nr_contexts);
	debugfs_create_file("stats", 0444, axq_debugfs_root, NULL,
			    &axq_stats_fops);
	debugfs_create_file("tasks", 0444, axq_debugfs_root, NULL,
			    &axq_tasks_table_fops);
	debugfs_create_file("telemetry", 0444, axq_debugfs_root, NULL,
			    &axq_telemetry_fops);
	if (axq_bench_init(axq_debugfs_root))
		pr_warn("asyncx: no memory for debugfs bench\n");
}

/**
 * axq_debugfs_exit() - remove /sys/kernel/debug/asyncx and its files
 *
 * Context: process context, module exit.
 */
void axq_debugfs_exit(void)
{
	/* Waits for readers and writers of the files to leave. */
	debugfs_remove(axq_debugfs_root);
	axq_debugfs_root = NULL;
	axq_bench_exit();
}
