// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: a fixed-size object pool with an async acquire.
 * Documentation/pools.rst explains it.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/slab.h>

#include <asyncx/pool.h>

/**
 * DOC: pool
 *
 * A pool hands out at most @size objects of one size at a time. The
 * objects come from a slab cache of the pool's own, through a mempool that
 * keeps @size of them in reserve: within the bound, getting an object
 * never fails for want of memory and never sleeps, so it works from a
 * poll. The bound itself is a semaphore (struct axq_sem) of @size permits:
 * an object out holds a permit.
 *
 * When the pool is empty an acquire future (struct axq_pool_guard) queues
 * on the semaphore, FIFO, and its task sleeps; axq_pool_put() returns the
 * object to the mempool first, then its permit, which goes straight to the
 * oldest waiter and wakes it.
 *
 * The guard owns the object it acquired: axq_pool_guard_release() returns
 * it early, and axq_pool_guard_drop() returns it if still held — so a
 * holder future that is cancelled, and whose drop drops its guard, returns
 * the object. Dropping a guard still waiting loses no permit (see the
 * semaphore in Documentation/channels.rst).
 */

/**
 * axq_pool_create() - create a pool of @size objects of @obj_size bytes
 * @name: the slab cache's name (shown in /proc/slabinfo); keep it unique
 * @obj_size: the size of an object
 * @size: the most objects out at once; they are allocated now
 *
 * Context: process context; sleeps.
 * Return: the pool, or NULL if @size is 0 or when out of memory.
 */
struct axq_pool *axq_pool_create(const char *name, size_t obj_size,
				 unsigned int size)
{
	struct axq_pool *pool;

	might_sleep();
	if (!size || !obj_size)
		return NULL;
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	pool->cache = kmem_cache_create(name, obj_size, 0, 0, NULL);
	if (!pool->cache)
		goto err_free;
	pool->mp = mempool_create_slab_pool(size, pool->cache);
	if (!pool->mp)
		goto err_cache;
	axq_sem_init(&pool->sem, size);
	pool->size = size;
	atomic_set(&pool->outstanding, 0);
	return pool;

err_cache:
	kmem_cache_destroy(pool->cache);
err_free:
	kfree(pool);
	return NULL;
}
EXPORT_SYMBOL_GPL(axq_pool_create);

/**
 * axq_pool_destroy() - free a pool
 * @pool: the pool, or NULL; every object returned, no guard left
 *
 * Context: process context; sleeps.
 */
void axq_pool_destroy(struct axq_pool *pool)
{
	if (!pool)
		return;
	WARN_ON_ONCE(atomic_read(&pool->outstanding));
	WARN_ON_ONCE(!list_empty(&pool->sem.waiters));
	mempool_destroy(pool->mp);
	kmem_cache_destroy(pool->cache);
	kfree(pool);
}
EXPORT_SYMBOL_GPL(axq_pool_destroy);

/* Take an object out with a permit held; NULL (permit given back) if not. */
static void *axq_pool_take(struct axq_pool *pool)
{
	/* Never fails within the bound: the mempool's reserve has one. */
	void *obj = mempool_alloc(pool->mp, GFP_NOWAIT);

	if (WARN_ON_ONCE(!obj)) {
		axq_sem_release(&pool->sem, 1);
		return NULL;
	}
	atomic_inc(&pool->outstanding);
	return obj;
}

/**
 * axq_pool_try_get() - an object if one is free, without waiting
 * @pool: the pool
 *
 * Fails while acquire futures are waiting (they come first).
 *
 * Context: any context.
 * Return: the object, or NULL.
 */
void *axq_pool_try_get(struct axq_pool *pool)
{
	if (!axq_sem_try_acquire(&pool->sem, 1))
		return NULL;
	return axq_pool_take(pool);
}
EXPORT_SYMBOL_GPL(axq_pool_try_get);

/**
 * axq_pool_put() - return an object to its pool
 * @pool: the pool
 * @obj: an object of @pool that is out
 *
 * Wakes the oldest waiting acquire future, which gets the object's slot.
 *
 * Context: any context.
 */
void axq_pool_put(struct axq_pool *pool, void *obj)
{
	/* The object back in the reserve before its permit is handed on. */
	mempool_free(obj, pool->mp);
	atomic_dec(&pool->outstanding);
	axq_sem_release(&pool->sem, 1);
}
EXPORT_SYMBOL_GPL(axq_pool_put);

/**
 * axq_pool_outstanding() - the number of objects out now
 * @pool: the pool
 *
 * Context: any context.
 * Return: the number, at most the pool's size.
 */
unsigned int axq_pool_outstanding(struct axq_pool *pool)
{
	return atomic_read(&pool->outstanding);
}
EXPORT_SYMBOL_GPL(axq_pool_outstanding);

/**
 * axq_pool_guard_init() - prepare a guard that acquires an object of @pool
 * @g: the guard
 * @pool: the pool, which outlives @g
 *
 * Context: any context.
 */
void axq_pool_guard_init(struct axq_pool_guard *g, struct axq_pool *pool)
{
	g->pool = pool;
	g->obj = NULL;
	axq_sem_acquire_init(&g->acq, &pool->sem, 1);
}
EXPORT_SYMBOL_GPL(axq_pool_guard_init);

/**
 * axq_pool_guard_poll() - poll a guard for its object
 * @g: the guard
 * @cx: the poll context
 * @out: 0 with the object in @g->obj, or -ENOMEM (never within the pool's
 *	bound; a warning if it happens)
 *
 * Context: inside a poll.
 * Return: AXQ_READY, or AXQ_PENDING while every object is out (the task is
 * woken when one comes back for it).
 */
enum axq_poll axq_pool_guard_poll(struct axq_pool_guard *g,
				  struct axq_context *cx, long *out)
{
	long res;

	if (!g->obj) {
		if (axq_sem_acquire_poll(&g->acq, cx, &res) == AXQ_PENDING)
			return AXQ_PENDING;
		g->obj = axq_pool_take(g->pool);
	}
	*out = g->obj ? 0 : -ENOMEM;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_pool_guard_poll);

/**
 * axq_pool_guard_release() - return the guard's object now
 * @g: the guard (holding no object is fine)
 *
 * Context: any context.
 */
void axq_pool_guard_release(struct axq_pool_guard *g)
{
	if (g->obj)
		axq_pool_put(g->pool, g->obj);
	g->obj = NULL;
}
EXPORT_SYMBOL_GPL(axq_pool_guard_release);

/**
 * axq_pool_guard_drop() - release a guard: stop waiting, or return its
 * object
 * @g: the guard
 *
 * Context: any context.
 */
void axq_pool_guard_drop(struct axq_pool_guard *g)
{
	axq_sem_acquire_drop(&g->acq);
	axq_pool_guard_release(g);
}
EXPORT_SYMBOL_GPL(axq_pool_guard_drop);
