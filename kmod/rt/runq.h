/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: the executor's per-worker local run queue, a bounded ring that its
 * owner pushes to and pops from and that other workers steal half of.
 */
#ifndef _ASYNCX_RT_RUNQ_H
#define _ASYNCX_RT_RUNQ_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/types.h>

/**
 * DOC: Local run queue
 *
 * Each executor worker owns one &struct axq_runq: a ring of
 * %AXQ_RUNQ_SIZE task pointers. Only the owner pushes, pops and drains;
 * any other worker (a *thief*) may steal about half of the queued tasks
 * into its own ring. The design is that of Tokio's multi-threaded
 * scheduler's local queue; there are no locks.
 *
 * Positions. Three u32 positions count the items that ever entered or
 * left the ring; the slot of position p is ``buf[p % AXQ_RUNQ_SIZE]``. All
 * arithmetic is modulo 2^32, so positions wrap freely (the size is a power
 * of two that divides 2^32).
 *
 * - ``tail``: the next position the owner writes. Only the owner stores it.
 * - ``real`` (low half of ``head``): the next position to pop or steal.
 *   The items in [real, tail) are queued; axq_runq_len() is tail - real.
 * - ``steal`` (high half of ``head``): [steal, real) is the batch that one
 *   thief has claimed and is still copying out; steal == real when no
 *   steal is in progress.
 *
 * The slots of [steal, tail) are in use, so the owner writes position tail
 * only while tail - steal < %AXQ_RUNQ_SIZE; axq_runq_push() returns false
 * otherwise. Packing steal and real into one 64-bit word lets every change
 * of either be a single compare-and-swap that fails if anyone else moved
 * either.
 *
 * Operations:
 *
 * - push (owner): write the slot of tail, then store tail + 1.
 * - pop (owner): CAS real to real + 1, and steal with it when no steal is
 *   in progress (steal == real); then read the slot of the old real.
 * - drain_half (owner): only when no steal is in progress, CAS both halves
 *   from real to real + n, n = ceil((tail - real) / 2), then read the n
 *   slots; the executor moves them to the global injection queue.
 * - steal_into (thief): only when steal == real, CAS real to real + n,
 *   n = ceil((tail - real) / 2), leaving steal at the old real. That claim
 *   excludes every other thief (they see steal != real) and drain_half,
 *   while the owner may still pop past it. The thief copies the n slots
 *   into its own ring, then CASes steal up to the current real, which ends
 *   the steal and lets the owner reuse the slots; last it publishes the
 *   items in its own ring by storing its own tail.
 *
 * Memory ordering. Three pairs of ordered accesses carry the argument; the
 * comment at each access names its pair.
 *
 * (1) A thief never reads a slot before it is written. push() writes the
 *     slot, then stores tail with atomic_set_release(); axq_runq_steal_into()
 *     loads the victim's tail with atomic_read_acquire() and claims and
 *     reads only positions below it. The thief's own ring is published the
 *     same way: it writes the copied slots, then stores its tail with
 *     release, which pairs with the acquire of whoever steals from it next.
 *
 * (2) The owner never overwrites a slot a thief is still copying. The thief
 *     reads the slots of [steal, real) and only then moves steal past them
 *     with a release CAS; push() loads head with atomic64_read_acquire()
 *     before it checks tail - steal and writes the slot. Position p and
 *     p + %AXQ_RUNQ_SIZE share a slot, and the owner writes the latter only
 *     after it has seen steal > p, so after the thief's reads of p. The same
 *     pair guards a thief's own ring: axq_runq_steal_into() reads the head
 *     of dst with acquire before it writes dst's free slots.
 *
 * (3) A thief's count is never negative. The owner stores tail before it
 *     moves real past it, and every CAS that moves real (pop, drain_half,
 *     a thief's claim and release) is a release, so the thief's
 *     atomic64_read_acquire() of head orders its later load of tail after
 *     the store of a tail at least that real: tail - real does not
 *     underflow. The count may still be stale by pushes and pops between
 *     the two loads; the claim CAS then fails unless head did not move, and
 *     while head did not move the owner cannot have pushed past
 *     steal + %AXQ_RUNQ_SIZE, so a successful claim is never larger than
 *     the ring.
 *
 * The owner needs no ordering to read its own slots in pop and drain_half:
 * it wrote them, and a thief only ever reads slots, so the CAS on head only
 * decides who takes a slot. A stale head read by the owner only fails its
 * CAS.
 *
 * ABA: a thief's CAS could succeed on a stale head only if head returned to
 * the same value, that is after exactly 2^32 further pops of that ring
 * between the thief's load and its CAS.
 *
 * Context: none of the functions sleeps or takes a lock, so all may be
 * called with preemption or interrupts disabled. The owner's functions
 * must not run concurrently with each other on the same ring: that is
 * what makes it the owner.
 */

struct axq_task;

/* Slots in a ring; a power of two, so that it divides 2^32. */
#define AXQ_RUNQ_SIZE	256
#define AXQ_RUNQ_MASK	(AXQ_RUNQ_SIZE - 1)

/**
 * struct axq_runq - a worker's local run queue
 * @head:	(steal << 32) | real, two u32 positions; moved by CAS only, by
 *		the owner and by thieves
 * @tail:	next position to write (O: stored by the owner only)
 * @buf:	the slots: written by the owner only, read by the owner and by
 *		the thief that claimed them
 *
 * See the DOC block above for the protocol. The task pointers are never
 * dereferenced here.
 */
struct axq_runq {
	atomic64_t		head;
	atomic_t		tail;
	struct axq_task		*buf[AXQ_RUNQ_SIZE];
};

/**
 * axq_runq_head_pack() - build a head value
 * @steal:	start of the batch a thief is copying (== @real if none)
 * @real:	next position to pop or steal
 *
 * Context: any.
 * Return: the packed head value.
 */
static inline s64 axq_runq_head_pack(u32 steal, u32 real)
{
	return (s64)(((u64)steal << 32) | real);
}

/**
 * axq_runq_head_steal() - the steal position of a head value
 * @head:	a packed head value
 *
 * Context: any.
 * Return: the start of the batch being stolen, or real if none.
 */
static inline u32 axq_runq_head_steal(s64 head)
{
	return (u32)((u64)head >> 32);
}

/**
 * axq_runq_head_real() - the real position of a head value
 * @head:	a packed head value
 *
 * Context: any.
 * Return: the next position to pop or steal.
 */
static inline u32 axq_runq_head_real(s64 head)
{
	return (u32)head;
}

/**
 * axq_runq_init() - make a run queue empty
 * @q:	the run queue
 *
 * The slots are not cleared: no slot is read before it is written.
 *
 * Context: any; before @q is shared (publishing @q to other CPUs orders
 * these stores).
 */
static inline void axq_runq_init(struct axq_runq *q)
{
	BUILD_BUG_ON(!is_power_of_2(AXQ_RUNQ_SIZE));
	atomic64_set(&q->head, axq_runq_head_pack(0, 0));
	atomic_set(&q->tail, 0);
}

/**
 * axq_runq_push() - append a task at the tail
 * @q:	the run queue, owned by the caller
 * @t:	the task; not NULL
 *
 * Fails when every slot is queued or still being copied by a thief; the
 * caller then moves half of the queue out with axq_runq_drain_half() (or
 * queues @t elsewhere if a steal is in progress) and retries.
 *
 * Context: the owner of @q only. Any context.
 * Return: true if @t was queued, false if the ring is full.
 */
static inline bool axq_runq_push(struct axq_runq *q, struct axq_task *t)
{
	u32 tail = (u32)atomic_read(&q->tail);	/* our own store */
	u32 steal;

	/*
	 * Pairs with the release CAS that ends a steal in
	 * axq_runq_steal_into(): the thief's reads of [old steal, steal) are
	 * done before we overwrite any of those slots below.
	 */
	steal = axq_runq_head_steal(atomic64_read_acquire(&q->head));
	if (tail - steal >= AXQ_RUNQ_SIZE)
		return false;

	WRITE_ONCE(q->buf[tail & AXQ_RUNQ_MASK], t);
	/*
	 * Pairs with atomic_read_acquire(&src->tail) in axq_runq_steal_into():
	 * a thief that sees this tail sees the slot written above.
	 */
	atomic_set_release(&q->tail, (int)(tail + 1));
	return true;
}

/**
 * axq_runq_pop() - take the oldest task
 * @q:	the run queue, owned by the caller
 *
 * Context: the owner of @q only. Any context.
 * Return: the task queued longest, or NULL if @q is empty.
 */
static inline struct axq_task *axq_runq_pop(struct axq_runq *q)
{
	u32 tail = (u32)atomic_read(&q->tail);	/* our own store */
	/* Unordered: the CAS below fails if it is stale. */
	s64 head = atomic64_read(&q->head);
	u32 steal, real;
	s64 next;

	do {
		steal = axq_runq_head_steal(head);
		real = axq_runq_head_real(head);
		if (real == tail)
			return NULL;
		/* A thief in progress moves steal itself when it is done. */
		next = axq_runq_head_pack(steal == real ? real + 1 : steal,
					  real + 1);
		/*
		 * Release pairs with atomic64_read_acquire(&src->head) in
		 * axq_runq_steal_into(): a thief that sees this real sees a
		 * tail at least as large (ordering pair (3)).
		 */
	} while (!atomic64_try_cmpxchg_release(&q->head, &head, next));

	/* Ours alone now: we wrote it, and only the owner writes slots. */
	return READ_ONCE(q->buf[real & AXQ_RUNQ_MASK]);
}

/**
 * axq_runq_drain_half() - take the oldest half of the queue
 * @q:		the run queue, owned by the caller
 * @out:	room for %AXQ_RUNQ_SIZE / 2 tasks
 *
 * Takes ceil(len / 2) tasks, oldest first, in order; the executor calls it
 * when axq_runq_push() fails and moves the tasks to the global injection
 * queue. Takes nothing while a thief is copying out of @q: the slots it
 * holds cannot be reused until it finishes, so draining would not make room.
 *
 * Context: the owner of @q only. Any context.
 * Return: the number of tasks stored in @out; 0 if @q is empty or a steal
 * is in progress.
 */
static inline unsigned int axq_runq_drain_half(struct axq_runq *q,
					       struct axq_task **out)
{
	u32 tail = (u32)atomic_read(&q->tail);	/* our own store */
	/* Unordered: the CAS below fails if it is stale. */
	s64 head = atomic64_read(&q->head);
	u32 real, n, i;

	do {
		real = axq_runq_head_real(head);
		if (axq_runq_head_steal(head) != real)
			return 0;
		n = tail - real;	/* at most AXQ_RUNQ_SIZE */
		n -= n / 2;
		if (!n)
			return 0;
		/*
		 * Release pairs with atomic64_read_acquire(&src->head) in
		 * axq_runq_steal_into(), as in axq_runq_pop().
		 */
	} while (!atomic64_try_cmpxchg_release(&q->head, &head,
					       axq_runq_head_pack(real + n, real + n)));

	/* Ours alone now, as in axq_runq_pop(). */
	for (i = 0; i < n; i++)
		out[i] = READ_ONCE(q->buf[(real + i) & AXQ_RUNQ_MASK]);
	return n;
}

/**
 * axq_runq_steal_into() - move about half of another worker's queue into ours
 * @src:	the victim's run queue
 * @dst:	the run queue of the caller, which owns it; not @src
 *
 * Claims the oldest ceil(len / 2) tasks of @src (fewer if @dst has fewer
 * free slots), copies them to the tail of @dst in order and releases them
 * in @src. The caller then pops them from @dst.
 *
 * Context: the owner of @dst only, on any CPU; runs concurrently with the
 * owner of @src and with other thieves. Any context.
 * Return: the number of tasks moved; 0 if @src is empty, another thief is
 * stealing from @src, or @dst has no free slot.
 */
static inline unsigned int axq_runq_steal_into(struct axq_runq *src,
					       struct axq_runq *dst)
{
	u32 dst_tail = (u32)atomic_read(&dst->tail);	/* our own store */
	u32 dst_steal, room, src_tail, real, n, i;
	s64 head, next;

	/*
	 * Pairs with the release CAS that ends a steal from @dst by another
	 * thief (below, in its call): its reads of dst's slots are done
	 * before we write them.
	 */
	dst_steal = axq_runq_head_steal(atomic64_read_acquire(&dst->head));
	room = AXQ_RUNQ_SIZE - (dst_tail - dst_steal);
	if (!room)
		return 0;

	for (;;) {
		/*
		 * Pairs with the release CASes on head in axq_runq_pop(),
		 * axq_runq_drain_half() and here: the tail loaded below is at
		 * least the one stored before real moved (ordering pair (3)).
		 */
		head = atomic64_read_acquire(&src->head);
		real = axq_runq_head_real(head);
		if (axq_runq_head_steal(head) != real)
			return 0;	/* another thief is copying */
		/*
		 * Pairs with atomic_set_release(&q->tail) in axq_runq_push()
		 * and with the one that publishes dst below: the slots below
		 * src_tail are written.
		 */
		src_tail = (u32)atomic_read_acquire(&src->tail);
		n = src_tail - real;
		/* Stale: head moved and more was pushed; the CAS would fail. */
		if (n > AXQ_RUNQ_SIZE)
			continue;
		n = min(n - n / 2, room);
		if (!n)
			return 0;
		next = axq_runq_head_pack(real, real + n);
		/*
		 * Claim [real, real + n). Acquire pairs with the release CAS
		 * that stored the head value we expect (pop, drain or the end
		 * of the last steal): the slot reads below come after it.
		 */
		if (atomic64_try_cmpxchg_acquire(&src->head, &head, next))
			break;
	}

	for (i = 0; i < n; i++)
		WRITE_ONCE(dst->buf[(dst_tail + i) & AXQ_RUNQ_MASK],
			   READ_ONCE(src->buf[(real + i) & AXQ_RUNQ_MASK]));

	/*
	 * End the steal: move steal up to real, which the owner may have
	 * advanced meanwhile by popping (so the CAS may need retries). Release
	 * pairs with atomic64_read_acquire(&q->head) in axq_runq_push(): the
	 * slot reads above are done before the owner overwrites the slots
	 * (ordering pair (2)).
	 */
	head = next;
	while (!atomic64_try_cmpxchg_release(&src->head, &head,
					     axq_runq_head_pack(axq_runq_head_real(head),
								axq_runq_head_real(head))))
		;

	/*
	 * Publish the copies in @dst. Pairs with atomic_read_acquire(&src->tail)
	 * above, run by whoever steals from @dst next (ordering pair (1)).
	 */
	atomic_set_release(&dst->tail, (int)(dst_tail + n));
	return n;
}

/**
 * axq_runq_len() - how many tasks are queued
 * @q:	the run queue
 *
 * A racy snapshot, for "is there work" checks and statistics; exact when
 * called by the owner with no thief active. Tasks a thief has claimed are
 * no longer counted.
 *
 * Context: any CPU, any context.
 * Return: the number of queued tasks, at most %AXQ_RUNQ_SIZE.
 */
static inline unsigned int axq_runq_len(struct axq_runq *q)
{
	u32 real, n;

	/*
	 * Pairs with the release CASes on head in axq_runq_pop(),
	 * axq_runq_drain_half() and axq_runq_steal_into(): the tail loaded
	 * below is not older than real, so the difference does not underflow.
	 */
	real = axq_runq_head_real(atomic64_read_acquire(&q->head));
	n = (u32)atomic_read(&q->tail) - real;
	return min_t(u32, n, AXQ_RUNQ_SIZE);
}

#endif /* _ASYNCX_RT_RUNQ_H */
