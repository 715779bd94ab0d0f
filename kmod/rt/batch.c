// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: the batch future — items of a stream, up to a count or a
 * deadline. Documentation/pools.rst explains it.
 */
#include <linux/export.h>
#include <linux/ktime.h>

#include <asyncx/stream.h>
#include <asyncx/time.h>

/**
 * DOC: batch
 *
 * A batch future (struct axq_batch) pulls items from a stream into the
 * caller's array until it holds @max of them, the stream ends, or
 * @timeout_ns have passed since its first poll (an hrtimer wakes it then,
 * nanosecond resolution), whichever comes first; it is ready with the
 * number of items, which may be 0 at the deadline. It borrows the stream:
 * after a batch, axq_batch_init() again on the same stream makes the
 * next. Items are never lost between batches: a batch stops pulling once
 * full.
 */

/**
 * axq_batch_init() - prepare a batch future
 * @b: the batch future's state
 * @s: the stream, borrowed (it must outlive @b)
 * @items: an array of @max items, the batch's
 * @max: the most items, at least 1
 * @timeout_ns: the deadline, from the first poll
 *
 * Context: any context.
 */
void axq_batch_init(struct axq_batch *b, struct axq_stream *s, long *items,
		    unsigned int max, u64 timeout_ns)
{
	b->s = s;
	b->items = items;
	b->max = max;
	b->nr = 0;
	b->timeout_ns = min_t(u64, timeout_ns, KTIME_MAX / 2);
	b->started = false;
	b->ended = false;
	axq_timer_waker_init(&b->tw);
}
EXPORT_SYMBOL_GPL(axq_batch_init);

/**
 * axq_batch_poll() - poll a batch future
 * @b: the batch future's state
 * @cx: the poll context
 * @out: the number of items in @b->items (@b->ended tells whether the
 *	stream ended)
 *
 * Context: inside a poll.
 * Return: AXQ_READY once full, at the stream's end or at the deadline;
 * else AXQ_PENDING (woken by the stream or by the deadline's timer).
 */
enum axq_poll axq_batch_poll(struct axq_batch *b, struct axq_context *cx,
			     long *out)
{
	enum axq_next r = AXQ_NEXT_PENDING;

	if (!b->started) {
		b->deadline = ktime_add_ns(ktime_get(), b->timeout_ns);
		b->started = true;
	}
	while (b->nr < b->max) {
		r = axq_stream_poll_next(b->s, cx, &b->items[b->nr]);
		if (r != AXQ_NEXT_ITEM)
			break;
		b->nr++;
	}
	b->ended = r == AXQ_NEXT_END;
	if (b->nr < b->max && !b->ended && ktime_before(ktime_get(), b->deadline)) {
		axq_timer_waker_arm(&b->tw, b->deadline, cx);
		return AXQ_PENDING;
	}
	axq_timer_waker_cancel(&b->tw);
	*out = b->nr;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_batch_poll);

/**
 * axq_batch_drop() - release a batch future (the stream stays the caller's)
 * @b: the batch future's state
 *
 * Context: process context.
 */
void axq_batch_drop(struct axq_batch *b)
{
	axq_timer_waker_cancel(&b->tw);
}
EXPORT_SYMBOL_GPL(axq_batch_drop);
