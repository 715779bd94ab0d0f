/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: the executor (internal to the module).
 */
#ifndef _ASYNCX_RT_EXECUTOR_H
#define _ASYNCX_RT_EXECUTOR_H

struct axq_task;
struct llist_node;

void axq_schedule(struct axq_task *task);
void axq_schedule_batch(struct llist_node *first, struct llist_node *last,
			unsigned int prio);
int axq_schedule_cpu(void);
const char *axq_executor_cpu_state(unsigned int cpu, unsigned int *queued);
int axq_executor_init(void);
void axq_executor_exit(void);
int axq_blocking_init_pool(void);
void axq_blocking_exit_pool(void);

#endif /* _ASYNCX_RT_EXECUTOR_H */
