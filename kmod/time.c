// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: time — sleep (relative) and deadline (absolute CLOCK_MONOTONIC)
 * futures on hrtimers: nanosecond resolution, no jiffies rounding. The
 * timer's callback only wakes the task; the poll that follows makes the
 * future ready. Documentation/time.rst has the overview.
 */

/**
 * DOC: sleep and deadline
 *
 * The first poll of a struct axq_sleep whose deadline has not passed takes
 * a waker of the polled task, publishes it in the sleep and starts an
 * absolute CLOCK_MONOTONIC hrtimer (HRTIMER_MODE_ABS: hardirq context on
 * stock kernels, the timer softirq thread on PREEMPT_RT). The callback
 * records the time it ran, sets ``fired`` with a release store, takes the
 * waker with xchg() and wakes the task; it never touches the sleep again.
 * A poll that finds the deadline passed (by the clock, before the
 * callback ran, or at the first poll, then without a timer) makes the
 * future ready at once: readiness never depends on which CPU's timer
 * interrupt came first, so of two sleeps the one with the later deadline
 * is never ready before the other is due.
 *
 * A later poll that finds the timer still pending makes sure the waker is
 * the polled task's (a future may move between tasks): it installs a new
 * one with xchg() and tests ``fired`` again, which the callback set before
 * its own xchg(), so either the callback wakes the new waker or the poll
 * sees ``fired``.
 *
 * Lateness is how long after the deadline the wake came: the callback's
 * time (or that of the poll that found the deadline passed first) minus
 * the deadline; axq_sleep_lateness() reports it once the future was ready.
 *
 * The drop cancels the timer (waiting for a callback that is running),
 * then puts the waker if the callback did not take it. It is idempotent,
 * so a sleep can be dropped by its owner in every state.
 */
#include <linux/atomic.h>
#include <linux/export.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>

#include "time.h"

static enum hrtimer_restart axq_sleep_fn(struct hrtimer *timer)
{
	struct axq_sleep *s = container_of(timer, struct axq_sleep, timer);
	struct axq_task *waker;

	s->cb_at = ktime_get();
	/* Release: @cb_at first; pairs with smp_load_acquire() in poll. */
	smp_store_release(&s->fired, 1);
	/* Fully ordered: @fired before the take; pairs with the poll's xchg. */
	waker = xchg(&s->waker, NULL);
	if (waker)
		axq_wake(waker);
	return HRTIMER_NORESTART;
}

static enum axq_poll axq_sleep_fut_poll(struct axq_future *fut,
					struct axq_context *cx, long *out)
{
	return axq_sleep_poll(container_of(fut, struct axq_sleep, base), cx,
			      out);
}

static void axq_sleep_fut_drop(struct axq_future *fut)
{
	axq_sleep_drop(container_of(fut, struct axq_sleep, base));
}

static const struct axq_future_ops axq_sleep_ops = {
	.name	= "sleep",
	.poll	= axq_sleep_fut_poll,
	.drop	= axq_sleep_fut_drop,
};

/**
 * axq_deadline_init() - prepare a future that is ready at a time
 * @s: the future's state; &s->base is the future
 * @deadline: an absolute CLOCK_MONOTONIC time (ktime_get() based); one
 *	that has passed makes the future ready at its first poll
 *
 * Context: any context.
 */
void axq_deadline_init(struct axq_sleep *s, ktime_t deadline)
{
	s->base.ops = &axq_sleep_ops;
	hrtimer_init(&s->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	s->timer.function = axq_sleep_fn;
	s->deadline = deadline;
	s->fired_at = 0;
	s->cb_at = 0;
	s->waker = NULL;
	s->fired = 0;
	s->started = false;
	s->done = false;
}
EXPORT_SYMBOL_GPL(axq_deadline_init);

/**
 * axq_sleep_init() - prepare a future that is ready @ns nanoseconds from now
 * @s: the future's state; &s->base is the future
 * @ns: the delay, counted from this call (not from the first poll); 0 is
 *	ready at the first poll
 *
 * Context: any context.
 */
void axq_sleep_init(struct axq_sleep *s, u64 ns)
{
	axq_deadline_init(s, ktime_add_safe(ktime_get(),
					    ns_to_ktime(min_t(u64, ns,
							      KTIME_MAX))));
}
EXPORT_SYMBOL_GPL(axq_sleep_init);

/*
 * Ready, found due at @seen (KTIME_MAX: by the callback): note when it was
 * due first, forget a waker the callback did not take.
 */
static enum axq_poll axq_sleep_ready(struct axq_sleep *s, long *out,
				     ktime_t seen)
{
	struct axq_task *waker = xchg(&s->waker, NULL);

	if (!s->done) {
		s->fired_at = seen;
		/* Acquire: @cb_at; pairs with axq_sleep_fn()'s release. */
		if (s->started && smp_load_acquire(&s->fired) &&
		    ktime_before(s->cb_at, seen))
			s->fired_at = s->cb_at;
		s->done = true;
	}
	if (waker)
		axq_waker_put(waker);
	*out = 0;
	return AXQ_READY;
}

/**
 * axq_sleep_poll() - poll a sleep or deadline future
 * @s: the future's state
 * @cx: the poll context
 * @out: 0 when ready
 *
 * Context: inside a poll (an executor worker; does not sleep).
 * Return: AXQ_READY once the deadline has passed, else AXQ_PENDING (the
 * polled task is woken by the timer).
 */
enum axq_poll axq_sleep_poll(struct axq_sleep *s, struct axq_context *cx,
			     long *out)
{
	struct axq_task *old;
	ktime_t now;

	if (s->done)
		return axq_sleep_ready(s, out, 0);
	/* Acquire: pairs with smp_store_release() in axq_sleep_fn(). */
	if (s->started && smp_load_acquire(&s->fired))
		return axq_sleep_ready(s, out, KTIME_MAX);
	/* Due but the callback has not run yet (or no timer): ready now. */
	now = ktime_get();
	if (ktime_compare(now, s->deadline) >= 0)
		return axq_sleep_ready(s, out, now);
	if (!s->started) {
		s->started = true;
		s->waker = axq_waker_get(cx);
		hrtimer_start(&s->timer, s->deadline, HRTIMER_MODE_ABS);
		return AXQ_PENDING;
	}
	if (READ_ONCE(s->waker) == cx->task)
		return AXQ_PENDING;
	/* Polled by another task (or the callback is taking the waker). */
	old = xchg(&s->waker, axq_waker_get(cx));
	if (old)
		axq_waker_put(old);
	/* After the xchg: pairs with the callback's xchg. */
	if (smp_load_acquire(&s->fired))
		return axq_sleep_ready(s, out, KTIME_MAX);
	return AXQ_PENDING;
}
EXPORT_SYMBOL_GPL(axq_sleep_poll);

/**
 * axq_sleep_drop() - release a sleep or deadline future
 * @s: the future's state (in any state: never polled, pending, ready,
 *	dropped already)
 *
 * Cancels the timer and waits for its callback if it is running; once
 * this returns nothing refers to @s.
 *
 * Context: process context (may wait for a running callback).
 */
void axq_sleep_drop(struct axq_sleep *s)
{
	struct axq_task *waker;

	if (s->started)
		hrtimer_cancel(&s->timer);
	waker = xchg(&s->waker, NULL);
	if (waker)
		axq_waker_put(waker);
}
EXPORT_SYMBOL_GPL(axq_sleep_drop);

/**
 * axq_sleep_lateness() - how late the wake of a sleep came
 * @s: a sleep or deadline future that was ready
 *
 * Context: any context.
 * Return: nanoseconds from the deadline to the timer's callback (or to
 * the poll that found the deadline passed before the callback ran); 0 if
 * not ready yet.
 */
s64 axq_sleep_lateness(const struct axq_sleep *s)
{
	if (!s->done)
		return 0;
	return ktime_to_ns(ktime_sub(s->fired_at, s->deadline));
}
EXPORT_SYMBOL_GPL(axq_sleep_lateness);
