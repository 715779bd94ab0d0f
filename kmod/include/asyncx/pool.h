/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx runtime: a fixed-size object pool with an async acquire (a guard
 * that returns the object on drop) (rt/pool.c).
 *
 * Documentation/pools.rst explains them.
 */
#ifndef _ASYNCX_POOL_H
#define _ASYNCX_POOL_H

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/mempool.h>
#include <linux/slab.h>
#include <linux/types.h>

#include "runtime.h"
#include "sem.h"

/**
 * struct axq_pool - a pool of at most @size objects of one size
 * @cache: the objects' slab cache (I: set at creation)
 * @mp: a mempool holding @size objects in reserve, so that a get within
 *	the bound never fails nor sleeps (I)
 * @sem: @size permits, one per object out; its FIFO queue is the queue of
 *	acquire futures waiting for an object
 * @size: the most objects out at once (I)
 * @outstanding: objects out now
 */
struct axq_pool {
	struct kmem_cache	*cache;
	mempool_t		*mp;
	struct axq_sem		sem;
	unsigned int		size;
	atomic_t		outstanding;
};

struct axq_pool *axq_pool_create(const char *name, size_t obj_size,
				 unsigned int size);
void axq_pool_destroy(struct axq_pool *pool);
void *axq_pool_try_get(struct axq_pool *pool);
void axq_pool_put(struct axq_pool *pool, void *obj);
unsigned int axq_pool_outstanding(struct axq_pool *pool);

/**
 * struct axq_pool_guard - a future that acquires an object of a pool, and
 * then owns it until released or dropped
 * @pool: the pool (must outlive the guard)
 * @acq: the wait for a permit of the pool's semaphore
 * @obj: the object, once the guard's poll was ready with 0; NULL before
 *	and after axq_pool_guard_release()
 */
struct axq_pool_guard {
	struct axq_pool		*pool;
	struct axq_sem_acquire	acq;
	void			*obj;
};

void axq_pool_guard_init(struct axq_pool_guard *g, struct axq_pool *pool);
enum axq_poll axq_pool_guard_poll(struct axq_pool_guard *g,
				  struct axq_context *cx, long *out);
void axq_pool_guard_release(struct axq_pool_guard *g);
void axq_pool_guard_drop(struct axq_pool_guard *g);

#endif /* _ASYNCX_POOL_H */
