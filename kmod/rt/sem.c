// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: the async counting semaphore, with FIFO waiters (the
 * object pool's bound). Documentation/channels.rst explains it.
 */
#include <linux/export.h>
#include <linux/list.h>
#include <linux/spinlock.h>

#include <asyncx/sem.h>

/**
 * DOC: semaphore
 *
 * An async counting semaphore. An acquire future takes n permits: at once
 * when they are available and nobody is queued, else it queues (FIFO) and
 * its task sleeps. axq_sem_release() hands permits to the queued futures
 * in order, directly: the permits are taken off the count under the lock
 * and the future is marked granted before its task is woken, so a later
 * acquirer cannot steal them. The oldest waiter blocks the younger ones
 * until its n permits are there (no starvation of large requests).
 *
 * Cancellation loses no permit: dropping a queued future unqueues it and
 * lets the next waiters take what it was blocking; dropping a future that
 * was granted but whose poll did not run yet gives its permits back.
 * Permits acquired (the poll returned ready) are the caller's until it
 * calls axq_sem_release().
 */

/**
 * axq_sem_init() - initialise a semaphore
 * @sem: the semaphore
 * @permits: the permits available at first
 *
 * Context: any context.
 */
void axq_sem_init(struct axq_sem *sem, unsigned long permits)
{
	spin_lock_init(&sem->lock);
	sem->permits = permits;
	INIT_LIST_HEAD(&sem->waiters);
}
EXPORT_SYMBOL_GPL(axq_sem_init);

/* Grant permits to the queued futures, oldest first, while they fit. */
static void axq_sem_grant(struct axq_sem *sem)
{
	struct axq_sem_acquire *a, *tmp;
	struct axq_task *w;

	lockdep_assert_held(&sem->lock);
	list_for_each_entry_safe(a, tmp, &sem->waiters, node) {
		if (sem->permits < a->n)
			break;
		sem->permits -= a->n;
		list_del_init(&a->node);
		a->state = AXQ_SEM_GRANTED;
		w = a->waker;
		a->waker = NULL;
		/* Never sleeps; @a may be freed once the lock is dropped. */
		axq_wake(w);
	}
}

/**
 * axq_sem_try_acquire() - take @n permits if available, without waiting
 * @sem: the semaphore
 * @n: the permits
 *
 * Fails while futures are queued, even if @n permits are free (FIFO).
 *
 * Context: any context.
 * Return: true if taken.
 */
bool axq_sem_try_acquire(struct axq_sem *sem, unsigned long n)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&sem->lock, flags);
	ok = list_empty(&sem->waiters) && sem->permits >= n;
	if (ok)
		sem->permits -= n;
	spin_unlock_irqrestore(&sem->lock, flags);
	return ok;
}
EXPORT_SYMBOL_GPL(axq_sem_try_acquire);

/**
 * axq_sem_release() - give back @n permits
 * @sem: the semaphore
 * @n: the permits
 *
 * Wakes the queued acquire futures that the permits now satisfy, oldest
 * first.
 *
 * Context: any context.
 */
void axq_sem_release(struct axq_sem *sem, unsigned long n)
{
	unsigned long flags;

	spin_lock_irqsave(&sem->lock, flags);
	sem->permits += n;
	axq_sem_grant(sem);
	spin_unlock_irqrestore(&sem->lock, flags);
}
EXPORT_SYMBOL_GPL(axq_sem_release);

/**
 * axq_sem_available() - the permits available now
 * @sem: the semaphore
 *
 * Context: any context.
 * Return: the number of permits neither acquired nor granted.
 */
unsigned long axq_sem_available(struct axq_sem *sem)
{
	return READ_ONCE(sem->permits);
}
EXPORT_SYMBOL_GPL(axq_sem_available);

/**
 * axq_sem_acquire_init() - prepare a future that acquires @n permits
 * @a: the acquire future's state
 * @sem: the semaphore, which outlives @a
 * @n: the permits
 *
 * Context: any context.
 */
void axq_sem_acquire_init(struct axq_sem_acquire *a, struct axq_sem *sem,
			  unsigned long n)
{
	a->sem = sem;
	a->n = n;
	INIT_LIST_HEAD(&a->node);
	a->waker = NULL;
	a->state = AXQ_SEM_IDLE;
}
EXPORT_SYMBOL_GPL(axq_sem_acquire_init);

/**
 * axq_sem_acquire_poll() - poll an acquire future
 * @a: the acquire future's state
 * @cx: the poll context
 * @out: 0 once the permits are acquired
 *
 * Context: inside a poll.
 * Return: AXQ_READY when the permits are the caller's (release them with
 * axq_sem_release()), else AXQ_PENDING (queued; woken by the release that
 * grants them).
 */
enum axq_poll axq_sem_acquire_poll(struct axq_sem_acquire *a,
				   struct axq_context *cx, long *out)
{
	struct axq_sem *sem = a->sem;
	enum axq_poll ret = AXQ_PENDING;
	unsigned long flags;

	spin_lock_irqsave(&sem->lock, flags);
	switch (a->state) {
	case AXQ_SEM_IDLE:
		if (list_empty(&sem->waiters) && sem->permits >= a->n) {
			sem->permits -= a->n;
			ret = AXQ_READY;
		} else {
			a->waker = axq_waker_get(cx);
			list_add_tail(&a->node, &sem->waiters);
			a->state = AXQ_SEM_QUEUED;
		}
		break;
	case AXQ_SEM_QUEUED:
		break;	/* a spurious wake: still waiting */
	case AXQ_SEM_GRANTED:
	case AXQ_SEM_ACQUIRED:
		ret = AXQ_READY;
		break;
	}
	if (ret == AXQ_READY)
		a->state = AXQ_SEM_ACQUIRED;
	spin_unlock_irqrestore(&sem->lock, flags);
	if (ret == AXQ_READY)
		*out = 0;
	return ret;
}
EXPORT_SYMBOL_GPL(axq_sem_acquire_poll);

/**
 * axq_sem_acquire_drop() - release an acquire future
 * @a: the acquire future's state
 *
 * A queued future is unqueued (and the waiters behind it may be granted);
 * a granted one gives its permits back. Permits acquired stay the
 * caller's.
 *
 * Context: any context.
 */
void axq_sem_acquire_drop(struct axq_sem_acquire *a)
{
	struct axq_sem *sem = a->sem;
	struct axq_task *w = NULL;
	unsigned long flags;

	spin_lock_irqsave(&sem->lock, flags);
	if (a->state == AXQ_SEM_QUEUED) {
		list_del_init(&a->node);
		w = a->waker;
		a->waker = NULL;
		axq_sem_grant(sem);
	} else if (a->state == AXQ_SEM_GRANTED) {
		sem->permits += a->n;
		axq_sem_grant(sem);
	}
	a->state = AXQ_SEM_IDLE;
	spin_unlock_irqrestore(&sem->lock, flags);
	if (w)
		axq_waker_put(w);
}
EXPORT_SYMBOL_GPL(axq_sem_acquire_drop);
