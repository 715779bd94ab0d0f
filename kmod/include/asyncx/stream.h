/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx streams: poll_next, the adapters map/filter/take, the
 * for-each-concurrent future, the periodic interval stream and the batch
 * future (rt/stream.c, rt/batch.c).
 *
 * Documentation/streams.rst explains the model.
 */
#ifndef _ASYNCX_STREAM_H
#define _ASYNCX_STREAM_H

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/types.h>

#include "runtime.h"
#include "time.h"

struct axq_stream;

/**
 * enum axq_next - what a poll_next of a stream returns
 * @AXQ_NEXT_PENDING: no item now; the stream has arranged a wake of the
 *	polling task for when it may have one
 * @AXQ_NEXT_ITEM: the next item has been stored through @item
 * @AXQ_NEXT_END: the stream has ended; it is not polled again
 */
enum axq_next {
	AXQ_NEXT_PENDING,
	AXQ_NEXT_ITEM,
	AXQ_NEXT_END,
};

/**
 * struct axq_stream_ops - the behaviour of a stream type
 * @name: type name, for debugging
 * @poll_next: produce the next item (Rust's Stream::poll_next). Same
 *	rules as a future's poll: on a worker, process context, must not
 *	sleep, never concurrently for one stream, never after AXQ_NEXT_END
 *	or after @drop.
 * @drop: release the stream and what it owns (an adapter drops its inner
 *	stream). Called exactly once, in process context, by the stream's
 *	owner; may be NULL.
 */
struct axq_stream_ops {
	const char *name;
	enum axq_next (*poll_next)(struct axq_stream *s, struct axq_context *cx,
				   long *item);
	void (*drop)(struct axq_stream *s);
};

/**
 * struct axq_stream - the base of every stream; embed it and recover the
 * stream's own struct with container_of()
 * @ops: the stream's type
 */
struct axq_stream {
	const struct axq_stream_ops *ops;
};

/**
 * axq_stream_poll_next() - poll a stream for its next item
 * @s: the stream
 * @cx: the poll context of the task polling it
 * @item: where the item goes on AXQ_NEXT_ITEM
 *
 * Context: inside a poll.
 * Return: see enum axq_next.
 */
static inline enum axq_next axq_stream_poll_next(struct axq_stream *s,
						 struct axq_context *cx,
						 long *item)
{
	return s->ops->poll_next(s, cx, item);
}

void axq_stream_drop(struct axq_stream *s);

/**
 * typedef axq_map_fn - the function of axq_stream_map()
 * @item: an item of the inner stream
 * @arg: the argument given to axq_stream_map()
 *
 * Context: inside a poll; must not sleep.
 * Return: the mapped item.
 */
typedef long (*axq_map_fn)(long item, void *arg);

/**
 * typedef axq_filter_fn - the predicate of axq_stream_filter()
 * @item: an item of the inner stream
 * @arg: the argument given to axq_stream_filter()
 *
 * Context: inside a poll; must not sleep.
 * Return: true to keep @item, false to skip it.
 */
typedef bool (*axq_filter_fn)(long item, void *arg);

struct axq_stream *axq_stream_map(struct axq_stream *inner, axq_map_fn fn,
				  void *arg, gfp_t gfp);
struct axq_stream *axq_stream_filter(struct axq_stream *inner,
				     axq_filter_fn pred, void *arg, gfp_t gfp);
struct axq_stream *axq_stream_take(struct axq_stream *inner, unsigned long n,
				   gfp_t gfp);

/*
 * axq_item_future_fn - makes the future that processes one item, for
 * axq_stream_each_concurrent(): given the item and the argument given to
 * axq_stream_each_concurrent(), called inside a poll (must not sleep:
 * allocate with GFP_NOWAIT or from a pool made beforehand). Returns a
 * future whose drop frees it, or NULL or an ERR_PTR() on failure (the
 * for-each future then fails with -ENOMEM or that error).
 */
typedef struct axq_future *(*axq_item_future_fn)(long item, void *arg);

struct axq_future *axq_stream_each_concurrent(struct axq_stream *s,
					      unsigned int limit,
					      axq_item_future_fn make,
					      void *arg, gfp_t gfp);

struct axq_stream *axq_interval(u64 period_ns, gfp_t gfp);

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

#endif /* _ASYNCX_STREAM_H */
