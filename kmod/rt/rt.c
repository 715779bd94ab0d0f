// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: start and stop — the per-CPU counters, the task
 * registry, the blocking pool and the executor's workers, in that order.
 * The runtime needs nothing else of the module: rt/ includes and calls
 * nothing from ring/ (checked by scripts/layout-check.py).
 */
#include <linux/bug.h>
#include <linux/jiffies.h>

#include "executor.h"
#include "rt.h"
#include "stats.h"
#include "task.h"

/* How long a stop waits for cancelled tasks to finish. */
#define AXQ_RT_STOP_TIMEOUT	(30 * HZ)

/**
 * axq_rt_init() - start the runtime
 *
 * Context: module init.
 * Return: 0, or a negative errno with nothing left started.
 */
int axq_rt_init(void)
{
	int ret;

	ret = axq_stats_init();
	if (ret)
		return ret;
	ret = axq_tasks_init();
	if (ret)
		goto err_stats;
	ret = axq_blocking_init_pool();
	if (ret)
		goto err_tasks;
	ret = axq_executor_init();
	if (ret)
		goto err_blocking;
	return 0;

err_blocking:
	axq_blocking_exit_pool();
err_tasks:
	axq_tasks_exit();
err_stats:
	axq_stats_exit();
	return ret;
}

/**
 * axq_rt_quiesce() - cancel every live task and wait until the workers
 * have dropped them all
 *
 * Tasks of other modules are gone already (they depend on this one), so
 * what is left belongs to the module holding the runtime. The runtime
 * keeps running: a layer above calls this to drain its tasks before it
 * frees what they use (the ring's request caches).
 *
 * Context: process context, at module exit; sleeps.
 */
void axq_rt_quiesce(void)
{
	WARN(axq_tasks_cancel_all(AXQ_RT_STOP_TIMEOUT),
	     "asyncx: %d tasks still live at unload\n", axq_tasks_nr_live());
}

/**
 * axq_rt_exit() - stop the runtime: drain the tasks, stop the workers and
 * the blocking pool, free the registry and the counters
 *
 * Context: module exit; sleeps.
 */
void axq_rt_exit(void)
{
	axq_rt_quiesce();
	axq_executor_exit();
	axq_blocking_exit_pool();
	axq_tasks_exit();
	axq_stats_exit();
}
