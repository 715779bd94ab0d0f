/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx runtime: the async counting semaphore (rt/sem.c).
 */
#ifndef _ASYNCX_SEM_H
#define _ASYNCX_SEM_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "runtime.h"

/**
 * struct axq_sem - an async counting semaphore with FIFO waiters
 * @lock: protects @permits and @waiters; taken with interrupts disabled
 * @permits: permits available (L: @lock)
 * @waiters: queued acquire futures, oldest first (L: @lock)
 */
struct axq_sem {
	spinlock_t		lock;	/* protects the fields tagged L */
	unsigned long		permits;
	struct list_head	waiters;
};

void axq_sem_init(struct axq_sem *sem, unsigned long permits);
bool axq_sem_try_acquire(struct axq_sem *sem, unsigned long n);
void axq_sem_release(struct axq_sem *sem, unsigned long n);
unsigned long axq_sem_available(struct axq_sem *sem);

/**
 * enum axq_sem_state - where an acquire future stands
 * @AXQ_SEM_IDLE: not polled yet
 * @AXQ_SEM_QUEUED: on the semaphore's waiters
 * @AXQ_SEM_GRANTED: a release gave it its permits; its poll has not seen
 *	it yet (a drop now gives them back)
 * @AXQ_SEM_ACQUIRED: its poll returned ready: the permits are the caller's
 */
enum axq_sem_state {
	AXQ_SEM_IDLE,
	AXQ_SEM_QUEUED,
	AXQ_SEM_GRANTED,
	AXQ_SEM_ACQUIRED,
};

/**
 * struct axq_sem_acquire - a future that acquires permits of a semaphore
 * @sem: the semaphore (must outlive the future)
 * @n: the permits it acquires
 * @node: its place on @sem's waiters (L: @sem's lock)
 * @waker: the task to wake on a grant, while queued (L: @sem's lock)
 * @state: enum axq_sem_state (L: @sem's lock)
 */
struct axq_sem_acquire {
	struct axq_sem		*sem;
	unsigned long		n;
	struct list_head	node;
	struct axq_task		*waker;
	enum axq_sem_state	state;
};

void axq_sem_acquire_init(struct axq_sem_acquire *a, struct axq_sem *sem,
			  unsigned long n);
enum axq_poll axq_sem_acquire_poll(struct axq_sem_acquire *a,
				   struct axq_context *cx, long *out);
void axq_sem_acquire_drop(struct axq_sem_acquire *a);

#endif /* _ASYNCX_SEM_H */
