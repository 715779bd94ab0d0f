// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_pool: the object pool (its bound, its FIFO waiters,
 * guards that return their object when dropped, cancelled waits) and the
 * batch future (by count, by deadline, at a stream's end, cancelled).
 */
#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <asyncx/pool.h>
#include <asyncx/runtime.h>
#include <asyncx/stream.h>
#include "kunit_util.h"

#define JOIN_TIMEOUT	(30 * HZ)
#define WAIT_MS		10000
#define OBJ_SIZE	96

/* Queued acquire futures of a pool now. */
static unsigned int pool_waiters(struct axq_pool *pool)
{
	struct axq_sem_acquire *a;
	unsigned int n = 0;

	spin_lock_irq(&pool->sem.lock);
	list_for_each_entry(a, &pool->sem.waiters, node)
		n++;
	spin_unlock_irq(&pool->sem.lock);
	return n;
}

static struct axq_pool *pool_new(struct kunit *test, const char *name,
				 unsigned int size)
{
	struct axq_pool *pool = axq_pool_create(name, OBJ_SIZE, size);

	KUNIT_ASSERT_NOT_NULL(test, pool);
	return pool;
}

/* --------------------------------------------------------------- holder */

/**
 * struct holder - a future that acquires an object, uses it, and returns
 * it: after @hold polls (waking itself), or never (held until dropped)
 * @base: the future
 * @c: its counts
 * @g: the guard
 * @id: written over the object
 * @hold: polls to hold the object; -1: for ever
 * @held: polls holding so far
 * @max_out: the most objects out that any holder saw (shared)
 * @got: the object was acquired
 * @waker: while holding for ever, dropped by drop
 */
struct holder {
	struct axq_future	base;
	struct tcount		c;
	struct axq_pool_guard	g;
	int			id;
	int			hold;
	int			held;
	atomic_t		*max_out;
	bool			got;
	struct axq_task		*waker;
};

static void atomic_max(atomic_t *v, int n)
{
	int old = atomic_read(v);

	while (old < n && !atomic_try_cmpxchg(v, &old, n))
		;
}

static enum axq_poll holder_poll(struct axq_future *fut,
				 struct axq_context *cx, long *out)
{
	struct holder *h = container_of(fut, struct holder, base);
	u8 *obj;
	long res;

	tc_enter(&h->c);
	if (!h->got) {
		if (axq_pool_guard_poll(&h->g, cx, &res) == AXQ_PENDING)
			return tc_leave(&h->c, AXQ_PENDING);
		if (res) {
			*out = res;
			return tc_leave(&h->c, AXQ_READY);
		}
		h->got = true;
		if (h->max_out)
			atomic_max(h->max_out,
				   axq_pool_outstanding(h->g.pool));
		memset(h->g.obj, h->id, OBJ_SIZE);
	}
	if (h->hold < 0) {
		if (!h->waker)
			h->waker = axq_waker_get(cx);
		return tc_leave(&h->c, AXQ_PENDING);
	}
	if (h->held++ < h->hold) {
		axq_wake(axq_waker_get(cx));
		return tc_leave(&h->c, AXQ_PENDING);
	}
	/* Nobody else wrote the object while this holder had it. */
	obj = h->g.obj;
	*out = memchr_inv(obj, h->id, OBJ_SIZE) ? -EBADMSG : 0;
	axq_pool_guard_release(&h->g);
	return tc_leave(&h->c, AXQ_READY);
}

static void holder_drop(struct axq_future *fut)
{
	struct holder *h = container_of(fut, struct holder, base);

	if (h->waker)
		axq_waker_put(h->waker);
	h->waker = NULL;
	axq_pool_guard_drop(&h->g);
	tc_drop(&h->c);
}

static const struct axq_future_ops holder_ops = {
	.name	= "kunit_holder",
	.poll	= holder_poll,
	.drop	= holder_drop,
};

static void holder_init(struct holder *h, struct axq_pool *pool, int id,
			int hold)
{
	h->base.ops = &holder_ops;
	axq_pool_guard_init(&h->g, pool);
	h->id = id;
	h->hold = hold;
}

/* Join a holder; its result, LONG_MIN if the join failed. */
static long holder_join(struct kunit *test, struct axq_task *t,
			struct holder *h)
{
	long res = LONG_MIN;

	if (!t)
		return res;
	if (!tjoin(test, t, &res, JOIN_TIMEOUT))
		KUNIT_EXPECT_EQ(test, atomic_read(&h->c.drops), 1);
	axq_task_put(t);
	return res;
}

/* ------------------------------------------------------------- pool cases */

/* 32 holders through a pool of 4: never more than 4 out, all served. */
static void pool_bound(struct kunit *test)
{
	struct axq_pool *pool = pool_new(test, "axq_kunit_bound", 4);
	struct axq_task *t[32];
	struct holder *h;
	atomic_t max_out;
	int i;

	h = kunit_kcalloc(test, ARRAY_SIZE(t), sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	atomic_set(&max_out, 0);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		holder_init(&h[i], pool, i + 1, (i % 4 + 1) * 8);
		h[i].max_out = &max_out;
		t[i] = tspawn(test, &h[i].base, AXQ_PRIO_NORMAL);
	}
	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ(test, holder_join(test, t[i], &h[i]), 0L);
	kunit_info(test, "at most %d of 4 objects out", atomic_read(&max_out));
	KUNIT_EXPECT_LE(test, atomic_read(&max_out), 4);
	KUNIT_EXPECT_GE(test, atomic_read(&max_out), 1);
	KUNIT_EXPECT_EQ(test, axq_pool_outstanding(pool), 0U);
	KUNIT_EXPECT_EQ(test, axq_sem_available(&pool->sem), 4UL);
	KUNIT_EXPECT_EQ(test, pool_waiters(pool), 0U);
	axq_pool_destroy(pool);
}

/* try_get within the bound only; waiters are served as objects return. */
static void pool_waiters_served(struct kunit *test)
{
	struct axq_pool *pool = pool_new(test, "axq_kunit_served", 2);
	struct axq_task *t[3];
	struct holder *h;
	void *a, *b;
	int i;

	h = kunit_kcalloc(test, ARRAY_SIZE(t), sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	a = axq_pool_try_get(pool);
	b = axq_pool_try_get(pool);
	KUNIT_EXPECT_NOT_NULL(test, a);
	KUNIT_EXPECT_NOT_NULL(test, b);
	KUNIT_EXPECT_NULL(test, axq_pool_try_get(pool));
	KUNIT_EXPECT_EQ(test, axq_pool_outstanding(pool), 2U);

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		holder_init(&h[i], pool, i + 1, 0);
		t[i] = tspawn(test, &h[i].base, AXQ_PRIO_NORMAL);
		KUNIT_EXPECT_TRUE(test, poll_until(pool_waiters(pool) == i + 1,
						   WAIT_MS));
	}
	/* Waiters first: a free object goes to them, not to try_get. */
	if (a)
		axq_pool_put(pool, a);
	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ(test, holder_join(test, t[i], &h[i]), 0L);
	KUNIT_EXPECT_EQ(test, axq_pool_outstanding(pool), 1U);
	KUNIT_EXPECT_EQ(test, pool_waiters(pool), 0U);
	if (b)
		axq_pool_put(pool, b);
	KUNIT_EXPECT_EQ(test, axq_pool_outstanding(pool), 0U);
	axq_pool_destroy(pool);

	KUNIT_EXPECT_NULL(test, axq_pool_create("axq_kunit_zero", OBJ_SIZE, 0));
}

/*
 * A holder cancelled while holding returns its object (its guard's drop);
 * a holder cancelled while waiting leaves the queue and loses no permit.
 */
static void pool_cancel(struct kunit *test)
{
	struct axq_pool *pool = pool_new(test, "axq_kunit_cancel", 1);
	struct axq_task *t[3];
	struct holder *h;
	long res;

	h = kunit_kcalloc(test, ARRAY_SIZE(t), sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	holder_init(&h[0], pool, 1, -1);	/* holds for ever */
	t[0] = tspawn(test, &h[0].base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(READ_ONCE(h[0].waker), WAIT_MS));
	holder_init(&h[1], pool, 2, -1);	/* waits, then is cancelled */
	t[1] = tspawn(test, &h[1].base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(pool_waiters(pool) == 1, WAIT_MS));
	holder_init(&h[2], pool, 3, 1);		/* waits, then is served */
	t[2] = tspawn(test, &h[2].base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(pool_waiters(pool) == 2, WAIT_MS));

	KUNIT_EXPECT_EQ(test, t[1] ? axq_task_cancel(t[1]) : -1, 0);
	res = holder_join(test, t[1], &h[1]);
	KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, atomic_read(&h[1].c.polls), 1);
	KUNIT_EXPECT_EQ(test, pool_waiters(pool), 1U);
	KUNIT_EXPECT_EQ(test, axq_pool_outstanding(pool), 1U);

	KUNIT_EXPECT_EQ(test, t[0] ? axq_task_cancel(t[0]) : -1, 0);
	KUNIT_EXPECT_EQ(test, holder_join(test, t[0], &h[0]), (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, holder_join(test, t[2], &h[2]), 0L);

	KUNIT_EXPECT_EQ(test, axq_pool_outstanding(pool), 0U);
	KUNIT_EXPECT_EQ(test, pool_waiters(pool), 0U);
	KUNIT_EXPECT_EQ(test, axq_sem_available(&pool->sem), 1UL);
	axq_pool_destroy(pool);
}

/* ---------------------------------------------------------------- batch */

/* A stream of 0 .. n - 1 that stalls (for ever) at @stall_at if not 0. */
struct src {
	struct axq_stream	base;
	long			n;
	long			next;
	long			stall_at;
	struct axq_task		*waker;
};

static enum axq_next src_next(struct axq_stream *s, struct axq_context *cx,
			      long *item)
{
	struct src *t = container_of(s, struct src, base);

	if (t->next >= t->n)
		return AXQ_NEXT_END;
	if (t->stall_at && t->next >= t->stall_at) {
		if (!t->waker)
			t->waker = axq_waker_get(cx);
		return AXQ_NEXT_PENDING;
	}
	*item = t->next++;
	return AXQ_NEXT_ITEM;
}

static const struct axq_stream_ops src_ops = {
	.name		= "kunit_batch_src",
	.poll_next	= src_next,
};

/* Drop the waker a stall keeps (the stream is the case's, not dropped). */
static void src_reset(struct src *s)
{
	if (s->waker)
		axq_waker_put(s->waker);
	s->waker = NULL;
}

/**
 * struct bfut - a future running one batch
 * @base: the future
 * @c: its counts
 * @b: the batch
 * @items: its items
 * @ready_at: when it was ready
 */
struct bfut {
	struct axq_future	base;
	struct tcount		c;
	struct axq_batch	b;
	long			items[16];
	ktime_t			ready_at;
};

static enum axq_poll bfut_poll(struct axq_future *fut, struct axq_context *cx,
			       long *out)
{
	struct bfut *f = container_of(fut, struct bfut, base);

	tc_enter(&f->c);
	if (axq_batch_poll(&f->b, cx, out) == AXQ_PENDING)
		return tc_leave(&f->c, AXQ_PENDING);
	f->ready_at = ktime_get();
	return tc_leave(&f->c, AXQ_READY);
}

static void bfut_drop(struct axq_future *fut)
{
	struct bfut *f = container_of(fut, struct bfut, base);

	axq_batch_drop(&f->b);
	tc_drop(&f->c);
}

static const struct axq_future_ops bfut_ops = {
	.name	= "kunit_batch",
	.poll	= bfut_poll,
	.drop	= bfut_drop,
};

/* Run one batch of at most @max from @s with @timeout_ns; its result. */
static long batch_run(struct kunit *test, struct bfut *f, struct src *s,
		      unsigned int max, u64 timeout_ns)
{
	struct axq_task *t;
	long res = LONG_MIN;

	memset(f, 0, sizeof(*f));
	f->base.ops = &bfut_ops;
	axq_batch_init(&f->b, &s->base, f->items, max, timeout_ns);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	if (!t)
		return res;
	if (!tjoin(test, t, &res, JOIN_TIMEOUT))
		KUNIT_EXPECT_EQ(test, atomic_read(&f->c.drops), 1);
	axq_task_put(t);
	return res;
}

/* Full batches by count, then the rest at the stream's end. */
static void batch_count(struct kunit *test)
{
	struct src s = { .base.ops = &src_ops, .n = 10 };
	struct bfut *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	long i, base = 0;
	int round;

	KUNIT_ASSERT_NOT_NULL(test, f);
	for (round = 0; round < 2; round++, base += 4) {
		KUNIT_EXPECT_EQ(test, batch_run(test, f, &s, 4, 10ULL * NSEC_PER_SEC),
				4L);
		KUNIT_EXPECT_FALSE(test, f->b.ended);
		for (i = 0; i < 4; i++)
			KUNIT_EXPECT_EQ(test, f->items[i], base + i);
	}
	KUNIT_EXPECT_EQ(test, batch_run(test, f, &s, 4, 10ULL * NSEC_PER_SEC), 2L);
	KUNIT_EXPECT_TRUE(test, f->b.ended);
	KUNIT_EXPECT_EQ(test, f->items[0], 8L);
	KUNIT_EXPECT_EQ(test, f->items[1], 9L);
	tc_expect(test, &f->c, 1, "batch");
}

/* A stalled stream: the deadline ends the batch with what came. */
static void batch_deadline(struct kunit *test)
{
	const u64 timeout = 20 * NSEC_PER_MSEC;
	struct src s = { .base.ops = &src_ops, .n = 100, .stall_at = 3 };
	struct bfut *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	ktime_t start;
	s64 took;
	long i;

	KUNIT_ASSERT_NOT_NULL(test, f);
	start = ktime_get();
	KUNIT_EXPECT_EQ(test, batch_run(test, f, &s, 10, timeout), 3L);
	took = ktime_to_ns(ktime_sub(f->ready_at, start));
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, f->items[i], i);
	KUNIT_EXPECT_FALSE(test, f->b.ended);
	/* Ready no earlier than its deadline (the first poll is later). */
	KUNIT_EXPECT_GE(test, took, (s64)timeout);
	kunit_info(test, "3 items by a 20 ms deadline: ready after %lld us",
		   took / NSEC_PER_USEC);
	/* Pending once, then woken by its timer (or by a late poll). */
	KUNIT_EXPECT_GE(test, atomic_read(&f->c.polls), 1);

	/* Nothing by the deadline: ready with 0. */
	KUNIT_EXPECT_EQ(test, batch_run(test, f, &s, 10, timeout), 0L);
	KUNIT_EXPECT_FALSE(test, f->b.ended);
	src_reset(&s);
}

/* Cancelled while waiting for a far deadline: its timer goes with it. */
static void batch_cancel(struct kunit *test)
{
	struct src s = { .base.ops = &src_ops, .n = 100, .stall_at = 2 };
	struct bfut *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct axq_task *t;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->base.ops = &bfut_ops;
	axq_batch_init(&f->b, &s.base, f->items, 10, 100ULL * NSEC_PER_SEC);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_TRUE(test, poll_until(READ_ONCE(s.waker), WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		tc_expect(test, &f->c, 1, "batch");
		KUNIT_EXPECT_FALSE(test, hrtimer_active(&f->b.tw.timer));
		KUNIT_EXPECT_NULL(test, f->b.tw.waker);
	}
	axq_task_put(t);
	KUNIT_EXPECT_EQ(test, f->b.nr, 2U);
	src_reset(&s);
}

static struct kunit_case asyncx_pool_cases[] = {
	KUNIT_CASE(pool_bound),
	KUNIT_CASE(pool_waiters_served),
	KUNIT_CASE(pool_cancel),
	KUNIT_CASE(batch_count),
	KUNIT_CASE(batch_deadline),
	KUNIT_CASE(batch_cancel),
	{}
};

static struct kunit_suite asyncx_pool_suite = {
	.name = "asyncx_pool",
	.test_cases = asyncx_pool_cases,
};

kunit_test_suites(&asyncx_pool_suite);
