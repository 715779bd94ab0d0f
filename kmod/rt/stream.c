// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: streams — the poll_next interface, the map/filter/take adapters,
 * the for-each-concurrent future and the interval stream on an hrtimer.
 * Documentation/streams.rst explains the model.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/math64.h>
#include <linux/slab.h>

#include <asyncx/stream.h>

/**
 * DOC: streams
 *
 * A stream is polled like a future but yields a sequence of ``long`` items
 * (a pointer fits) before it ends: its poll_next returns AXQ_NEXT_ITEM with
 * an item, AXQ_NEXT_PENDING after arranging a wake of the polling task, or
 * AXQ_NEXT_END once, after which it is not polled again. A stream is owned
 * by one future, which polls it from its own poll and drops it (exactly
 * once) from its own drop.
 *
 * Ownership: the adapters (axq_stream_map(), axq_stream_filter(),
 * axq_stream_take()) and axq_stream_each_concurrent() take ownership of the
 * stream they are given, also when they fail (they drop it and return
 * NULL), and return NULL when given NULL; so a chain of constructors needs
 * one check at its end::
 *
 *	s = axq_interval(NSEC_PER_MSEC, GFP_KERNEL);
 *	s = axq_stream_map(s, double_it, NULL, GFP_KERNEL);
 *	s = axq_stream_take(s, 10, GFP_KERNEL);
 *	if (!s)
 *		return -ENOMEM;
 *
 * Fairness: an adapter that may consume many items of its inner stream in
 * one poll (filter, for-each-concurrent) stops after AXQ_STREAM_BUDGET of
 * them, wakes its own task and returns pending, so that an endless ready
 * stream does not hold a worker.
 */

/* Items an adapter consumes in one poll before it yields. */
#define AXQ_STREAM_BUDGET	64

/* Yield: be polled again soon, after the other queued tasks. */
static void axq_yield(struct axq_context *cx)
{
	axq_wake(axq_waker_get(cx));
}

/**
 * axq_stream_drop() - drop a stream
 * @s: the stream, or NULL
 *
 * Runs the stream's drop, which releases it and what it owns.
 *
 * Context: process context.
 */
void axq_stream_drop(struct axq_stream *s)
{
	if (s && s->ops->drop)
		s->ops->drop(s);
}
EXPORT_SYMBOL_GPL(axq_stream_drop);

/* ------------------------------------------------------------------ map */

struct axq_map {
	struct axq_stream	base;
	struct axq_stream	*inner;
	axq_map_fn		fn;
	void			*arg;
};

static enum axq_next axq_map_next(struct axq_stream *s, struct axq_context *cx,
				  long *item)
{
	struct axq_map *m = container_of(s, struct axq_map, base);
	enum axq_next r = axq_stream_poll_next(m->inner, cx, item);

	if (r == AXQ_NEXT_ITEM)
		*item = m->fn(*item, m->arg);
	return r;
}

static void axq_map_drop(struct axq_stream *s)
{
	struct axq_map *m = container_of(s, struct axq_map, base);

	axq_stream_drop(m->inner);
	kfree(m);
}

static const struct axq_stream_ops axq_map_ops = {
	.name		= "map",
	.poll_next	= axq_map_next,
	.drop		= axq_map_drop,
};

/**
 * axq_stream_map() - a stream of @fn applied to each item of @inner
 * @inner: the inner stream, owned by the new one (NULL: return NULL)
 * @fn: the function, called from poll_next
 * @arg: its second argument
 * @gfp: allocation flags
 *
 * Context: process context with GFP_KERNEL, any context with GFP_ATOMIC.
 * Return: the stream, or NULL (and @inner dropped) when out of memory.
 */
struct axq_stream *axq_stream_map(struct axq_stream *inner, axq_map_fn fn,
				  void *arg, gfp_t gfp)
{
	struct axq_map *m;

	if (!inner)
		return NULL;
	m = kmalloc(sizeof(*m), gfp);
	if (!m) {
		axq_stream_drop(inner);
		return NULL;
	}
	m->base.ops = &axq_map_ops;
	m->inner = inner;
	m->fn = fn;
	m->arg = arg;
	return &m->base;
}
EXPORT_SYMBOL_GPL(axq_stream_map);

/* --------------------------------------------------------------- filter */

struct axq_filter {
	struct axq_stream	base;
	struct axq_stream	*inner;
	axq_filter_fn		pred;
	void			*arg;
};

static enum axq_next axq_filter_next(struct axq_stream *s,
				     struct axq_context *cx, long *item)
{
	struct axq_filter *f = container_of(s, struct axq_filter, base);
	unsigned int budget = AXQ_STREAM_BUDGET;
	enum axq_next r;

	while (budget--) {
		r = axq_stream_poll_next(f->inner, cx, item);
		if (r != AXQ_NEXT_ITEM || f->pred(*item, f->arg))
			return r;
	}
	axq_yield(cx);
	return AXQ_NEXT_PENDING;
}

static void axq_filter_drop(struct axq_stream *s)
{
	struct axq_filter *f = container_of(s, struct axq_filter, base);

	axq_stream_drop(f->inner);
	kfree(f);
}

static const struct axq_stream_ops axq_filter_ops = {
	.name		= "filter",
	.poll_next	= axq_filter_next,
	.drop		= axq_filter_drop,
};

/**
 * axq_stream_filter() - a stream of the items of @inner that @pred keeps
 * @inner: the inner stream, owned by the new one (NULL: return NULL)
 * @pred: the predicate, called from poll_next
 * @arg: its second argument
 * @gfp: allocation flags
 *
 * A poll_next consumes at most AXQ_STREAM_BUDGET skipped items, then
 * yields (wakes its task and returns AXQ_NEXT_PENDING).
 *
 * Context: process context with GFP_KERNEL, any context with GFP_ATOMIC.
 * Return: the stream, or NULL (and @inner dropped) when out of memory.
 */
struct axq_stream *axq_stream_filter(struct axq_stream *inner,
				     axq_filter_fn pred, void *arg, gfp_t gfp)
{
	struct axq_filter *f;

	if (!inner)
		return NULL;
	f = kmalloc(sizeof(*f), gfp);
	if (!f) {
		axq_stream_drop(inner);
		return NULL;
	}
	f->base.ops = &axq_filter_ops;
	f->inner = inner;
	f->pred = pred;
	f->arg = arg;
	return &f->base;
}
EXPORT_SYMBOL_GPL(axq_stream_filter);

/* ----------------------------------------------------------------- take */

struct axq_take {
	struct axq_stream	base;
	struct axq_stream	*inner;
	unsigned long		left;
};

static enum axq_next axq_take_next(struct axq_stream *s,
				   struct axq_context *cx, long *item)
{
	struct axq_take *t = container_of(s, struct axq_take, base);
	enum axq_next r;

	if (!t->left)
		return AXQ_NEXT_END;
	r = axq_stream_poll_next(t->inner, cx, item);
	if (r == AXQ_NEXT_ITEM)
		t->left--;
	return r;
}

static void axq_take_drop(struct axq_stream *s)
{
	struct axq_take *t = container_of(s, struct axq_take, base);

	axq_stream_drop(t->inner);
	kfree(t);
}

static const struct axq_stream_ops axq_take_ops = {
	.name		= "take",
	.poll_next	= axq_take_next,
	.drop		= axq_take_drop,
};

/**
 * axq_stream_take() - a stream of the first @n items of @inner
 * @inner: the inner stream, owned by the new one (NULL: return NULL)
 * @n: the number of items; the stream ends after them (or earlier, with
 *	@inner), without polling @inner again
 * @gfp: allocation flags
 *
 * Context: process context with GFP_KERNEL, any context with GFP_ATOMIC.
 * Return: the stream, or NULL (and @inner dropped) when out of memory.
 */
struct axq_stream *axq_stream_take(struct axq_stream *inner, unsigned long n,
				   gfp_t gfp)
{
	struct axq_take *t;

	if (!inner)
		return NULL;
	t = kmalloc(sizeof(*t), gfp);
	if (!t) {
		axq_stream_drop(inner);
		return NULL;
	}
	t->base.ops = &axq_take_ops;
	t->inner = inner;
	t->left = n;
	return &t->base;
}
EXPORT_SYMBOL_GPL(axq_stream_take);

/* --------------------------------------------------- for each concurrent */

/**
 * struct axq_fec - the for-each-concurrent future
 * @base: the future
 * @s: the stream (owned)
 * @make: makes the future of an item
 * @arg: @make's argument
 * @limit: the most item futures in flight
 * @nr_running: item futures in @running
 * @ended: @s returned AXQ_NEXT_END
 * @done: item futures that finished with a result >= 0
 * @running: the item futures in flight, NULL in free slots
 *
 * All fields are the future's own: only its poll and drop touch them.
 */
struct axq_fec {
	struct axq_future	base;
	struct axq_stream	*s;
	axq_item_future_fn	make;
	void			*arg;
	unsigned int		limit;
	unsigned int		nr_running;
	bool			ended;
	long			done;
	struct axq_future	*running[];
};

/* Poll the item future in slot @i; 0, or its error once it finished. */
static long axq_fec_poll_item(struct axq_fec *f, unsigned int i,
			      struct axq_context *cx)
{
	struct axq_future *item = f->running[i];
	long res;

	if (item->ops->poll(item, cx, &res) == AXQ_PENDING)
		return 0;
	if (item->ops->drop)
		item->ops->drop(item);
	f->running[i] = NULL;
	f->nr_running--;
	if (res < 0)
		return res;
	f->done++;
	return 0;
}

static void axq_fec_drop_items(struct axq_fec *f)
{
	struct axq_future *item;
	unsigned int i;

	for (i = 0; i < f->limit; i++) {
		item = f->running[i];
		if (!item)
			continue;
		if (item->ops->drop)
			item->ops->drop(item);
		f->running[i] = NULL;
	}
	f->nr_running = 0;
}

static enum axq_poll axq_fec_poll(struct axq_future *fut,
				  struct axq_context *cx, long *out)
{
	struct axq_fec *f = container_of(fut, struct axq_fec, base);
	unsigned int i, budget = AXQ_STREAM_BUDGET;
	struct axq_future *item;
	long v, err = 0;

	/* Every item future in flight: each wake of one wakes this task. */
	for (i = 0; i < f->limit && !err; i++)
		if (f->running[i])
			err = axq_fec_poll_item(f, i, cx);

	while (!err && !f->ended && f->nr_running < f->limit) {
		if (!budget--) {
			axq_yield(cx);
			return AXQ_PENDING;
		}
		switch (axq_stream_poll_next(f->s, cx, &v)) {
		case AXQ_NEXT_PENDING:
			goto out;
		case AXQ_NEXT_END:
			f->ended = true;
			break;
		case AXQ_NEXT_ITEM:
			item = f->make(v, f->arg);
			if (IS_ERR_OR_NULL(item)) {
				err = item ? PTR_ERR(item) : -ENOMEM;
				break;
			}
			for (i = 0; f->running[i]; i++)
				;
			f->running[i] = item;
			f->nr_running++;
			err = axq_fec_poll_item(f, i, cx);
			break;
		}
	}
out:
	if (err) {
		/* The first error ends it: drop what is still in flight. */
		axq_fec_drop_items(f);
		*out = err;
		return AXQ_READY;
	}
	if (f->ended && !f->nr_running) {
		*out = f->done;
		return AXQ_READY;
	}
	return AXQ_PENDING;
}

static void axq_fec_drop(struct axq_future *fut)
{
	struct axq_fec *f = container_of(fut, struct axq_fec, base);

	axq_fec_drop_items(f);
	axq_stream_drop(f->s);
	kfree(f);
}

static const struct axq_future_ops axq_fec_ops = {
	.name	= "for_each_concurrent",
	.poll	= axq_fec_poll,
	.drop	= axq_fec_drop,
};

/**
 * axq_stream_each_concurrent() - a future that runs a future per item of a
 * stream, at most @limit at a time (Rust's for_each_concurrent)
 * @s: the stream, owned by the new future (NULL: return NULL)
 * @limit: the most item futures in flight, at least 1
 * @make: makes the future of an item, from the future's poll
 * @arg: @make's second argument
 * @gfp: allocation flags
 *
 * The item futures run inside the for-each future's task (like Rust's
 * for_each_concurrent, not as tasks of their own): each poll of it polls
 * the item futures in flight, drops those that finished, and pulls items
 * from @s while fewer than @limit are in flight; a new item future is
 * polled at once. An item future is dropped right after its last poll.
 *
 * The future is ready once @s ended and every item future finished, with
 * the number of items processed; or, at the first item future that
 * finishes with a negative result (or the first failure of @make), with
 * that error: it then pulls no more items and drops the item futures
 * still in flight. Dropping the future (a cancel) drops the item futures
 * in flight and @s.
 *
 * Context: process context with GFP_KERNEL, any context with GFP_ATOMIC.
 * Return: the future (spawn it, or poll it from another future), or NULL
 * (and @s dropped) when @limit is 0 or out of memory.
 */
struct axq_future *axq_stream_each_concurrent(struct axq_stream *s,
					      unsigned int limit,
					      axq_item_future_fn make,
					      void *arg, gfp_t gfp)
{
	struct axq_fec *f;

	if (!s)
		return NULL;
	f = limit ? kzalloc(struct_size(f, running, limit), gfp) : NULL;
	if (!f) {
		axq_stream_drop(s);
		return NULL;
	}
	f->base.ops = &axq_fec_ops;
	f->s = s;
	f->make = make;
	f->arg = arg;
	f->limit = limit;
	return &f->base;
}
EXPORT_SYMBOL_GPL(axq_stream_each_concurrent);

/* ------------------------------------------------------------- interval */

/**
 * DOC: interval
 *
 * axq_interval() ticks every @period_ns nanoseconds of CLOCK_MONOTONIC on
 * an hrtimer (no jiffies rounding): tick k is due at start + k * period,
 * k = 1, 2, ..., start being the creation time. Its item is the tick
 * number. A poll_next after tick k's due time yields the latest tick that
 * is due, so ticks missed by a late consumer are skipped, not delivered
 * in a burst (Tokio's MissedTickBehavior::Skip) — and reported: they are
 * the gaps in the tick numbers. The schedule never drifts. The stream
 * never ends; axq_stream_take() bounds it.
 */

struct axq_interval {
	struct axq_stream	base;
	struct axq_timer_waker	tw;
	ktime_t			start;
	u64			period;
	u64			next;	/* the next tick not yet yielded */
};

static enum axq_next axq_interval_next(struct axq_stream *s,
				       struct axq_context *cx, long *item)
{
	struct axq_interval *iv = container_of(s, struct axq_interval, base);
	s64 elapsed = ktime_to_ns(ktime_sub(ktime_get(), iv->start));
	u64 k = elapsed > 0 ? div64_u64(elapsed, iv->period) : 0;

	if (k >= iv->next) {
		iv->next = k + 1;
		*item = k;
		return AXQ_NEXT_ITEM;
	}
	axq_timer_waker_arm(&iv->tw,
			    ktime_add_ns(iv->start, iv->next * iv->period), cx);
	return AXQ_NEXT_PENDING;
}

static void axq_interval_drop(struct axq_stream *s)
{
	struct axq_interval *iv = container_of(s, struct axq_interval, base);

	axq_timer_waker_cancel(&iv->tw);
	kfree(iv);
}

static const struct axq_stream_ops axq_interval_ops = {
	.name		= "interval",
	.poll_next	= axq_interval_next,
	.drop		= axq_interval_drop,
};

/**
 * axq_interval() - a stream that ticks every @period_ns nanoseconds
 * @period_ns: the period, in nanoseconds of CLOCK_MONOTONIC
 * @gfp: allocation flags
 *
 * Items are tick numbers, from 1, increasing; missed ticks are skipped
 * and show as gaps (see "interval" in Documentation/streams.rst). The
 * first tick is due @period_ns after this call. The stream never ends.
 *
 * Context: process context with GFP_KERNEL, any context with GFP_ATOMIC.
 * Return: the stream, or NULL if @period_ns is 0 or more than KTIME_MAX,
 * or when out of memory.
 */
struct axq_stream *axq_interval(u64 period_ns, gfp_t gfp)
{
	struct axq_interval *iv;

	if (!period_ns || period_ns > KTIME_MAX)
		return NULL;
	iv = kmalloc(sizeof(*iv), gfp);
	if (!iv)
		return NULL;
	iv->base.ops = &axq_interval_ops;
	axq_timer_waker_init(&iv->tw);
	iv->period = period_ns;
	iv->next = 1;
	iv->start = ktime_get();
	return &iv->base;
}
EXPORT_SYMBOL_GPL(axq_interval);
