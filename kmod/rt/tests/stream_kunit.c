// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_stream: streams (stream.h) — the map, filter and take
 * adapters, for-each-concurrent and the interval stream — driven by a
 * future that collects a stream's items in a task of its own.
 *
 * The source of most cases is a counting stream (struct tsrc) that yields
 * 0, 1, 2, ... and can return pending before some items or stall for
 * ever, so that every await point is reached; every case checks that each
 * stream and future was dropped exactly once (kmemleak checks the rest).
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include <asyncx/runtime.h>
#include <asyncx/stream.h>
#include "kunit_util.h"

#define JOIN_TIMEOUT	(20 * HZ)
#define WAIT_MS		10000
#define MAX_ITEMS	256

/* ------------------------------------------------------ counting source */

/**
 * struct tsrc - a stream of 0, 1, ..., @n - 1
 * @base: the stream
 * @n: the number of items
 * @next: the next item
 * @pend_every: if not 0, return pending (and wake the task) once before
 *	every item that is a multiple of it
 * @pended: the pending before @next was returned
 * @stall_at: if not 0, stall (pending, waker kept until drop) at this item
 * @waker: the waker kept by a stall
 * @polls: poll_next calls
 * @drops: drop calls (the struct is the case's; drop does not free it)
 */
struct tsrc {
	struct axq_stream	base;
	long			n;
	long			next;
	long			pend_every;
	bool			pended;
	long			stall_at;
	struct axq_task		*waker;
	atomic_t		polls;
	atomic_t		drops;
};

static enum axq_next tsrc_next(struct axq_stream *s, struct axq_context *cx,
			       long *item)
{
	struct tsrc *t = container_of(s, struct tsrc, base);

	atomic_inc(&t->polls);
	if (t->next >= t->n)
		return AXQ_NEXT_END;
	if (t->stall_at && t->next == t->stall_at) {
		if (!t->waker)
			t->waker = axq_waker_get(cx);
		return AXQ_NEXT_PENDING;
	}
	if (t->pend_every && !(t->next % t->pend_every) && !t->pended) {
		t->pended = true;
		axq_wake(axq_waker_get(cx));
		return AXQ_NEXT_PENDING;
	}
	t->pended = false;
	*item = t->next++;
	return AXQ_NEXT_ITEM;
}

static void tsrc_drop(struct axq_stream *s)
{
	struct tsrc *t = container_of(s, struct tsrc, base);

	if (t->waker)
		axq_waker_put(t->waker);
	t->waker = NULL;
	atomic_inc(&t->drops);
}

static const struct axq_stream_ops tsrc_ops = {
	.name		= "kunit_src",
	.poll_next	= tsrc_next,
	.drop		= tsrc_drop,
};

static struct tsrc *tsrc_new(struct kunit *test, long n)
{
	struct tsrc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->base.ops = &tsrc_ops;
	t->n = n;
	return t;
}

/* ------------------------------------------------------------- collect */

/**
 * struct collect - a future that polls a stream to its end, keeping the
 * items (and when they came); ready with their number
 * @base: the future
 * @c: its counts
 * @s: the stream (owned)
 * @nr: items so far (read by the case while the task runs)
 * @items: the items
 * @when: when each came
 */
struct collect {
	struct axq_future	base;
	struct tcount		c;
	struct axq_stream	*s;
	int			nr;
	long			items[MAX_ITEMS];
	ktime_t			when[MAX_ITEMS];
};

static enum axq_poll collect_poll(struct axq_future *fut,
				  struct axq_context *cx, long *out)
{
	struct collect *c = container_of(fut, struct collect, base);
	enum axq_next r;
	long item;

	tc_enter(&c->c);
	for (;;) {
		r = axq_stream_poll_next(c->s, cx, &item);
		if (r == AXQ_NEXT_PENDING)
			return tc_leave(&c->c, AXQ_PENDING);
		if (r == AXQ_NEXT_END)
			break;
		if (c->nr < MAX_ITEMS) {
			c->items[c->nr] = item;
			c->when[c->nr] = ktime_get();
		}
		WRITE_ONCE(c->nr, c->nr + 1);
	}
	*out = c->nr;
	return tc_leave(&c->c, AXQ_READY);
}

static void collect_drop(struct axq_future *fut)
{
	struct collect *c = container_of(fut, struct collect, base);

	axq_stream_drop(c->s);
	c->s = NULL;
	tc_drop(&c->c);
}

static const struct axq_future_ops collect_ops = {
	.name	= "kunit_collect",
	.poll	= collect_poll,
	.drop	= collect_drop,
};

/* Collect @s to its end in a task; the number of items, or an error. */
static long collect_run(struct kunit *test, struct collect *c,
			struct axq_stream *s)
{
	struct axq_task *t;
	long res = LONG_MIN;

	c->base.ops = &collect_ops;
	c->s = s;
	t = tspawn(test, &c->base, AXQ_PRIO_NORMAL);
	if (!t)
		return LONG_MIN;
	if (!tjoin(test, t, &res, JOIN_TIMEOUT))
		KUNIT_EXPECT_EQ(test, atomic_read(&c->c.drops), 1);
	axq_task_put(t);
	return res;
}

static struct collect *collect_new(struct kunit *test)
{
	struct collect *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	return c;
}

/* ---------------------------------------------------------- adapters */

static bool is_even(long item, void *arg)
{
	return !(item & 1);
}

static bool at_least(long item, void *arg)
{
	return item >= *(long *)arg;
}

static long times(long item, void *arg)
{
	return item * *(long *)arg;
}

/* filter, map and take in a chain, with pending polls of the source. */
static void adapters_chain(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 20);
	struct collect *c = collect_new(test);
	struct axq_stream *s;
	long ten = 10, i;

	src->pend_every = 3;
	s = axq_stream_filter(&src->base, is_even, NULL, GFP_KERNEL);
	s = axq_stream_map(s, times, &ten, GFP_KERNEL);
	s = axq_stream_take(s, 5, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);

	KUNIT_EXPECT_EQ(test, collect_run(test, c, s), 5L);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, c->items[i], i * 20);
	/* take stopped after its fifth item: the source was not drained. */
	KUNIT_EXPECT_EQ(test, src->next, 9L);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
}

/* The end of the inner stream ends each adapter, before take's count. */
static void adapters_end(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 3);
	struct collect *c = collect_new(test);
	long big = 1000;

	KUNIT_EXPECT_EQ(test,
			collect_run(test, c,
				    axq_stream_take(axq_stream_map(&src->base, times, &big,
								   GFP_KERNEL),
						    100, GFP_KERNEL)),
			3L);
	KUNIT_EXPECT_EQ(test, c->items[2], 2000L);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);

	/* A filter that keeps nothing: the end, after every item. */
	src = tsrc_new(test, 10);
	c = collect_new(test);
	KUNIT_EXPECT_EQ(test,
			collect_run(test, c,
				    axq_stream_filter(&src->base, at_least, &big,
						      GFP_KERNEL)),
			0L);
	KUNIT_EXPECT_EQ(test, src->next, 10L);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);

	/* take(0) ends without polling its inner stream. */
	src = tsrc_new(test, 10);
	c = collect_new(test);
	KUNIT_EXPECT_EQ(test,
			collect_run(test, c,
				    axq_stream_take(&src->base, 0, GFP_KERNEL)),
			0L);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->polls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
}

/* A filter skipping more items than its budget yields and goes on. */
static void filter_budget(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 1000);
	struct collect *c = collect_new(test);
	long from = 990, i;

	KUNIT_EXPECT_EQ(test,
			collect_run(test, c,
				    axq_stream_filter(&src->base, at_least, &from,
						      GFP_KERNEL)),
			10L);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, c->items[i], 990 + i);
	/* At least one poll per budget of skipped items. */
	KUNIT_EXPECT_GE(test, atomic_read(&c->c.polls), 990 / 64);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
}

/* Cancel a collect of an adapter chain while the source is stalled. */
static void adapters_cancel(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 100);
	struct collect *c = collect_new(test);
	struct axq_stream *s;
	struct axq_task *t;
	long one = 1, res;

	src->stall_at = 4;
	s = axq_stream_take(axq_stream_map(axq_stream_filter(&src->base, is_even,
							     NULL, GFP_KERNEL),
					   times, &one, GFP_KERNEL),
			    50, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	c->base.ops = &collect_ops;
	c->s = s;
	t = tspawn(test, &c->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_TRUE(test, poll_until(READ_ONCE(src->waker) &&
					   READ_ONCE(c->nr) == 2, WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		tc_expect(test, &c->c, 1, "collect");
		KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
		KUNIT_EXPECT_NULL(test, src->waker);
	}
	axq_task_put(t);
}

/* Constructors given NULL return NULL; those that fail drop their input. */
static void constructors_fail(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 1);

	KUNIT_EXPECT_NULL(test, axq_stream_map(NULL, times, NULL, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, axq_stream_filter(NULL, is_even, NULL,
						  GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, axq_stream_take(NULL, 1, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, axq_interval(0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, axq_stream_each_concurrent(NULL, 1, NULL,
							   NULL, GFP_KERNEL));
	/* A limit of 0 fails, and the stream it was given is dropped. */
	KUNIT_EXPECT_NULL(test, axq_stream_each_concurrent(&src->base, 0,
							   NULL, NULL,
							   GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
}

/* ------------------------------------------------ for each concurrent */

/**
 * struct fec_ctx - what the item futures of a for-each case share; only
 * the for-each task touches it until the case joined that task
 * @seen: times each item was processed
 * @in_flight: item futures started and not finished
 * @max_in_flight: the most at once
 * @made: item futures made
 * @dropped: item futures dropped
 * @fail_item: the item whose future fails with -EIO (-1: none)
 * @forever: item futures never finish
 */
struct fec_ctx {
	int	seen[MAX_ITEMS];
	int	in_flight;
	int	max_in_flight;
	int	made;
	int	dropped;
	long	fail_item;
	bool	forever;
};

/* An item future: pending for 1 to 3 polls (waking itself), then ready. */
struct titem {
	struct axq_future	base;
	struct fec_ctx		*ctx;
	long			item;
	int			polls;
	bool			started;
	bool			finished;
};

static enum axq_poll titem_poll(struct axq_future *fut,
				struct axq_context *cx, long *out)
{
	struct titem *it = container_of(fut, struct titem, base);
	struct fec_ctx *ctx = it->ctx;

	if (!it->started) {
		it->started = true;
		ctx->in_flight++;
		ctx->max_in_flight = max(ctx->max_in_flight, ctx->in_flight);
	}
	if (ctx->forever || it->polls++ < it->item % 3 + 1) {
		if (!ctx->forever)
			axq_wake(axq_waker_get(cx));
		return AXQ_PENDING;
	}
	it->finished = true;
	ctx->in_flight--;
	if (it->item >= 0 && it->item < MAX_ITEMS)
		ctx->seen[it->item]++;
	*out = it->item == ctx->fail_item ? -EIO : 0;
	return AXQ_READY;
}

static void titem_drop(struct axq_future *fut)
{
	struct titem *it = container_of(fut, struct titem, base);

	if (it->started && !it->finished)
		it->ctx->in_flight--;
	it->ctx->dropped++;
	kfree(it);
}

static const struct axq_future_ops titem_ops = {
	.name	= "kunit_item",
	.poll	= titem_poll,
	.drop	= titem_drop,
};

static struct axq_future *titem_make(long item, void *arg)
{
	struct titem *it = kzalloc(sizeof(*it), GFP_NOWAIT);

	if (!it)
		return NULL;
	it->base.ops = &titem_ops;
	it->ctx = arg;
	it->item = item;
	it->ctx->made++;
	return &it->base;
}

static struct fec_ctx *fec_ctx_new(struct kunit *test)
{
	struct fec_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->fail_item = -1;
	return ctx;
}

/* Spawn a for-each over @src with @limit; its result. */
static long fec_run(struct kunit *test, struct tsrc *src, unsigned int limit,
		    struct fec_ctx *ctx)
{
	struct axq_future *f;
	struct axq_task *t;
	long res = LONG_MIN;

	f = axq_stream_each_concurrent(&src->base, limit, titem_make, ctx,
				       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	t = tspawn(test, f, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	tjoin(test, t, &res, JOIN_TIMEOUT);
	axq_task_put(t);
	return res;
}

/* Every item exactly once, never more than the limit in flight. */
static void fec_limit(struct kunit *test)
{
	static const unsigned int limits[] = { 1, 4, 16 };
	unsigned int l;
	int i;

	for (l = 0; l < ARRAY_SIZE(limits); l++) {
		struct tsrc *src = tsrc_new(test, 200);
		struct fec_ctx *ctx = fec_ctx_new(test);

		/* Items ready at once: the first poll fills every slot. */
		KUNIT_EXPECT_EQ(test, fec_run(test, src, limits[l], ctx), 200L);
		for (i = 0; i < 200; i++)
			KUNIT_EXPECT_EQ_MSG(test, ctx->seen[i], 1, "item %d", i);
		KUNIT_EXPECT_EQ(test, ctx->max_in_flight, (int)limits[l]);
		KUNIT_EXPECT_EQ(test, ctx->in_flight, 0);
		KUNIT_EXPECT_EQ(test, ctx->made, 200);
		KUNIT_EXPECT_EQ(test, ctx->dropped, 200);
		KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
	}
}

/* A source that is sometimes pending: still each item once, the bound. */
static void fec_pending_source(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 100);
	struct fec_ctx *ctx = fec_ctx_new(test);
	int i;

	src->pend_every = 4;
	KUNIT_EXPECT_EQ(test, fec_run(test, src, 5, ctx), 100L);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ_MSG(test, ctx->seen[i], 1, "item %d", i);
	KUNIT_EXPECT_LE(test, ctx->max_in_flight, 5);
	KUNIT_EXPECT_GE(test, ctx->max_in_flight, 1);
	kunit_info(test, "at most %d of 5 in flight", ctx->max_in_flight);
	KUNIT_EXPECT_EQ(test, ctx->dropped, 100);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);

	/* An empty stream: ready at once with 0. */
	src = tsrc_new(test, 0);
	ctx = fec_ctx_new(test);
	KUNIT_EXPECT_EQ(test, fec_run(test, src, 3, ctx), 0L);
	KUNIT_EXPECT_EQ(test, ctx->made, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
}

/* The first error ends it: no more items pulled, those in flight dropped. */
static void fec_error(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 100);
	struct fec_ctx *ctx = fec_ctx_new(test);

	ctx->fail_item = 10;
	KUNIT_EXPECT_EQ(test, fec_run(test, src, 4, ctx), (long)-EIO);
	KUNIT_EXPECT_LT(test, src->next, 100L);
	KUNIT_EXPECT_EQ(test, ctx->seen[10], 1);
	KUNIT_EXPECT_EQ(test, ctx->made, ctx->dropped);
	KUNIT_EXPECT_EQ(test, ctx->in_flight, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
}

/* Cancelled with item futures in flight and the source stalled. */
static void fec_cancel(struct kunit *test)
{
	struct tsrc *src = tsrc_new(test, 100);
	struct fec_ctx *ctx = fec_ctx_new(test);
	struct axq_future *f;
	struct axq_task *t;
	long res;

	src->stall_at = 3;
	ctx->forever = true;
	f = axq_stream_each_concurrent(&src->base, 8, titem_make, ctx,
				       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	t = tspawn(test, f, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_TRUE(test, poll_until(READ_ONCE(src->waker), WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		KUNIT_EXPECT_EQ(test, ctx->made, 3);
		KUNIT_EXPECT_EQ(test, ctx->dropped, 3);
		KUNIT_EXPECT_EQ(test, ctx->in_flight, 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&src->drops), 1);
	}
	axq_task_put(t);
}

/* ------------------------------------------------------------ interval */

/* Ticks increase, the first is at least 1; lateness is only reported. */
static void interval_ticks(struct kunit *test)
{
	const u64 period = 2 * NSEC_PER_MSEC;
	struct collect *c = collect_new(test);
	ktime_t start = ktime_get();
	s64 late, worst = 0;
	long gaps = 0;
	int i;

	KUNIT_ASSERT_EQ(test,
			collect_run(test, c,
				    axq_stream_take(axq_interval(period, GFP_KERNEL),
						    10, GFP_KERNEL)),
			10L);
	KUNIT_EXPECT_GE(test, c->items[0], 1L);
	for (i = 0; i < 10; i++) {
		/* Never early: tick k comes at start + k * period or later. */
		late = ktime_to_ns(ktime_sub(c->when[i], start)) -
		       (s64)(c->items[i] * period);
		KUNIT_EXPECT_GE_MSG(test, late, 0LL, "tick %ld early", c->items[i]);
		worst = max(worst, late);
		if (!i)
			continue;
		KUNIT_EXPECT_GT(test, c->items[i], c->items[i - 1]);
		gaps += c->items[i] - c->items[i - 1] - 1;
	}
	kunit_info(test, "10 ticks of 2 ms: last tick %ld, %ld skipped, latest by %lld us",
		   c->items[9], gaps, worst / NSEC_PER_USEC);
}

/* A 1 ns period: every poll is late; ticks still strictly increase. */
static void interval_ns(struct kunit *test)
{
	struct collect *c = collect_new(test);
	int i;

	KUNIT_ASSERT_EQ(test,
			collect_run(test, c,
				    axq_stream_take(axq_interval(1, GFP_KERNEL),
						    20, GFP_KERNEL)),
			20L);
	for (i = 1; i < 20; i++)
		KUNIT_EXPECT_GT(test, c->items[i], c->items[i - 1]);
	kunit_info(test, "1 ns period: ticks %ld..%ld", c->items[0],
		   c->items[19]);
}

/* Cancel while waiting for a far tick: the timer is cancelled in drop. */
static void interval_cancel(struct kunit *test)
{
	struct collect *c = collect_new(test);
	struct axq_task *t;
	long res;

	c->base.ops = &collect_ops;
	c->s = axq_interval(100ULL * NSEC_PER_SEC, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->s);
	t = tspawn(test, &c->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_TRUE(test, poll_until(atomic_read(&c->c.polls) >= 1,
					   WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		KUNIT_EXPECT_EQ(test, c->nr, 0);
		tc_expect(test, &c->c, 1, "collect");
	}
	axq_task_put(t);
}

static struct kunit_case asyncx_stream_cases[] = {
	KUNIT_CASE(adapters_chain),
	KUNIT_CASE(adapters_end),
	KUNIT_CASE(filter_budget),
	KUNIT_CASE(adapters_cancel),
	KUNIT_CASE(constructors_fail),
	KUNIT_CASE(fec_limit),
	KUNIT_CASE(fec_pending_source),
	KUNIT_CASE(fec_error),
	KUNIT_CASE(fec_cancel),
	KUNIT_CASE(interval_ticks),
	KUNIT_CASE(interval_ns),
	KUNIT_CASE(interval_cancel),
	{}
};

static struct kunit_suite asyncx_stream_suite = {
	.name = "asyncx_stream",
	.test_cases = asyncx_stream_cases,
};

kunit_test_suites(&asyncx_stream_suite);
