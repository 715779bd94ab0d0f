/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx pools: a fixed-size object pool with an async acquire (a guard
 * that returns the object on drop), and the batch future that collects
 * items of a stream up to a count or a deadline.
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

#include "channel.h"
#include "runtime.h"
#include "stream.h"

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

/**
 * struct axq_batch - a future that collects up to @max items of a stream,
 * or what came before a deadline, whichever is first
 * @s: the stream (borrowed: the caller keeps it for the next batch)
 * @items: where the items go (the caller's array of @max)
 * @max: the most items in a batch
 * @nr: items collected so far
 * @timeout_ns: the deadline, counted from the first poll
 * @deadline: the first poll's time plus @timeout_ns
 * @started: polled once: @deadline is set
 * @ended: the stream ended (the batch may hold fewer items, or none)
 * @tw: wakes the task at @deadline
 */
struct axq_batch {
	struct axq_stream	*s;
	long			*items;
	unsigned int		max;
	unsigned int		nr;
	u64			timeout_ns;
	ktime_t			deadline;
	bool			started;
	bool			ended;
	struct axq_timer_waker	tw;
};

void axq_batch_init(struct axq_batch *b, struct axq_stream *s, long *items,
		    unsigned int max, u64 timeout_ns);
enum axq_poll axq_batch_poll(struct axq_batch *b, struct axq_context *cx,
			     long *out);
void axq_batch_drop(struct axq_batch *b);

#endif /* _ASYNCX_POOL_H */
