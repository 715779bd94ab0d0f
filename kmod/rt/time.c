// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: time — the timer waker (an hrtimer that wakes the task
 * that armed it), and on it sleep (relative) and sleep-until (absolute
 * CLOCK_MONOTONIC) futures: nanosecond resolution, no jiffies rounding.
 * The timer's callback only wakes the task; the poll that follows makes
 * the future ready. Documentation/time.rst has the overview.
 */

/**
 * DOC: timer waker
 *
 * Every timer of the module that only has to wake a task is a struct
 * axq_timer_waker: sleeps, the interval stream, the batch future, and in
 * the ring a TIMEOUT and the delay of a retry. Arming takes a waker of the
 * polled task, publishes it with xchg() and starts an absolute
 * CLOCK_MONOTONIC hrtimer (HRTIMER_MODE_ABS: hardirq context on stock
 * kernels, the timer softirq thread on PREEMPT_RT). The callback records
 * the time it ran, sets ``fired`` with a release store, takes the waker
 * with xchg() and wakes the task; it never touches the timer waker again.
 * Cancelling waits for a running callback and puts a waker it did not
 * take. (Two timers of the ring are not timer wakers: a multishot
 * TIMEOUT's, which counts periods and restarts itself, and a deadline's,
 * which wakes whichever request of a chain runs at the time.)
 */

/**
 * DOC: sleep and deadline
 *
 * The first poll of a struct axq_sleep whose deadline has not passed arms
 * its timer waker for the deadline.
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

#include <asyncx/time.h>

static enum hrtimer_restart axq_timer_waker_fire(struct hrtimer *timer)
{
	struct axq_timer_waker *tw =
		container_of(timer, struct axq_timer_waker, timer);
	struct axq_task *waker;

	tw->fired_at = ktime_get();
	/* Release: @fired_at first; pairs with axq_timer_waker_fired(). */
	smp_store_release(&tw->fired, 1);
	/* Fully ordered: @fired before the take; pairs with the xchg() of
	 * axq_timer_waker_update().
	 */
	waker = xchg(&tw->waker, NULL);
	if (waker)
		axq_wake(waker);
	return HRTIMER_NORESTART;
}

/**
 * axq_timer_waker_init() - prepare a timer waker
 * @tw: the timer waker, in the memory it stays in until cancelled
 *
 * Context: any context.
 */
void axq_timer_waker_init(struct axq_timer_waker *tw)
{
	hrtimer_init(&tw->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	tw->timer.function = axq_timer_waker_fire;
	tw->waker = NULL;
	tw->fired_at = 0;
	tw->fired = 0;
}
EXPORT_SYMBOL_GPL(axq_timer_waker_init);

/**
 * axq_timer_waker_arm() - wake the polled task at a time
 * @tw: the timer waker
 * @expires: an absolute CLOCK_MONOTONIC time
 * @cx: the poll context: its task is woken
 *
 * Replaces the waker and the expiry of an earlier arm; clears @tw->fired.
 * The waker is stored before the timer starts, so a callback finds it.
 *
 * Context: inside a poll.
 */
void axq_timer_waker_arm(struct axq_timer_waker *tw, ktime_t expires,
			 struct axq_context *cx)
{
	struct axq_task *old = xchg(&tw->waker, axq_waker_get(cx));

	if (old)
		axq_waker_put(old);
	__axq_wait_note(cx, AXQ_WAIT_TIMER, tw, ktime_to_ns(expires), _RET_IP_);
	WRITE_ONCE(tw->fired, 0);
	hrtimer_start(&tw->timer, expires, HRTIMER_MODE_ABS);
}
EXPORT_SYMBOL_GPL(axq_timer_waker_arm);

/**
 * axq_timer_waker_update() - from a later poll of an armed timer waker:
 * make sure the polled task is the one woken
 * @tw: the timer waker, armed
 * @cx: the poll context
 *
 * A future may move between tasks (a select polls it from another one):
 * installs a waker of @cx's task unless it is the one installed already,
 * then tests @tw->fired again, which the callback set before it took the
 * waker: either the callback wakes the new waker or this sees it fired.
 *
 * Context: inside a poll.
 * Return: true if the timer has fired.
 */
bool axq_timer_waker_update(struct axq_timer_waker *tw,
			    struct axq_context *cx)
{
	struct axq_task *old;

	if (READ_ONCE(tw->waker) == cx->task)
		return false;
	old = xchg(&tw->waker, axq_waker_get(cx));
	if (old)
		axq_waker_put(old);
	return axq_timer_waker_fired(tw);
}
EXPORT_SYMBOL_GPL(axq_timer_waker_update);

/**
 * axq_timer_waker_fired() - has the timer fired since it was last armed?
 * @tw: the timer waker
 *
 * Acquire: true also makes @tw->fired_at readable.
 *
 * Context: any context.
 * Return: true once the callback ran.
 */
bool axq_timer_waker_fired(const struct axq_timer_waker *tw)
{
	/* Acquire: pairs with the release in axq_timer_waker_fire(). */
	return smp_load_acquire(&tw->fired);
}
EXPORT_SYMBOL_GPL(axq_timer_waker_fired);

/**
 * axq_timer_waker_cancel() - stop the timer, wait for a running callback,
 * put the waker if the callback did not take it
 * @tw: the timer waker (armed or not, cancelled already or not)
 *
 * Context: process context, or a poll (may wait for a running callback).
 */
void axq_timer_waker_cancel(struct axq_timer_waker *tw)
{
	struct axq_task *waker;

	hrtimer_cancel(&tw->timer);
	waker = xchg(&tw->waker, NULL);
	if (waker)
		axq_waker_put(waker);
}
EXPORT_SYMBOL_GPL(axq_timer_waker_cancel);

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
 * axq_sleep_until_init() - prepare a future that is ready at a time
 * @s: the future's state; &s->base is the future
 * @deadline: an absolute CLOCK_MONOTONIC time (ktime_get() based); one
 *	that has passed makes the future ready at its first poll
 *
 * Context: any context.
 */
void axq_sleep_until_init(struct axq_sleep *s, ktime_t deadline)
{
	s->base.ops = &axq_sleep_ops;
	axq_timer_waker_init(&s->tw);
	s->deadline = deadline;
	s->fired_at = 0;
	s->started = false;
	s->done = false;
}
EXPORT_SYMBOL_GPL(axq_sleep_until_init);

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
	ktime_t delay = ns_to_ktime(min_t(u64, ns, KTIME_MAX));

	axq_sleep_until_init(s, ktime_add_safe(ktime_get(), delay));
}
EXPORT_SYMBOL_GPL(axq_sleep_init);

/*
 * Ready, found due at @seen (KTIME_MAX: by the callback): note when it was
 * due first, forget a waker the callback did not take.
 */
static enum axq_poll axq_sleep_ready(struct axq_sleep *s, long *out,
				     ktime_t seen)
{
	if (!s->done) {
		s->fired_at = seen;
		/* (fired() is an acquire: fired_at is readable after it.) */
		if (s->started && axq_timer_waker_fired(&s->tw) &&
		    ktime_before(s->tw.fired_at, seen))
			s->fired_at = s->tw.fired_at;
		s->done = true;
		/* Forget a waker the callback did not take. */
		if (s->started)
			axq_timer_waker_cancel(&s->tw);
	}
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
	ktime_t now;

	if (s->done)
		return axq_sleep_ready(s, out, 0);
	if (s->started && axq_timer_waker_fired(&s->tw))
		return axq_sleep_ready(s, out, KTIME_MAX);
	/* Due but the callback has not run yet (or no timer): ready now. */
	now = ktime_get();
	if (ktime_compare(now, s->deadline) >= 0)
		return axq_sleep_ready(s, out, now);
	if (!s->started) {
		s->started = true;
		axq_timer_waker_arm(&s->tw, s->deadline, cx);
		return AXQ_PENDING;
	}
	/* Polled by another task (or the callback is taking the waker)? */
	if (axq_timer_waker_update(&s->tw, cx))
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
	axq_timer_waker_cancel(&s->tw);
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
