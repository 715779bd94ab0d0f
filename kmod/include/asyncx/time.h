/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx runtime: time — sleep futures on hrtimers, and the timer waker
 * (an hrtimer that wakes the task that armed it) under every timer of the
 * module (rt/time.c).
 */
#ifndef _ASYNCX_TIME_H
#define _ASYNCX_TIME_H

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/types.h>

#include "runtime.h"

/**
 * struct axq_timer_waker - an hrtimer whose expiry wakes the task that
 * armed it, and does nothing else (so any context is fine)
 * @timer: the hrtimer: CLOCK_MONOTONIC, absolute expiry times
 * @waker: the task to wake: a waker reference, installed by an arm and
 *	taken by the callback or by the owner, each with xchg()
 * @fired_at: when the callback last ran (written before @fired)
 * @fired: the callback ran since the last arm (release store; read with
 *	axq_timer_waker_fired())
 *
 * Owned by one future (or request), whose polls never run concurrently:
 * axq_timer_waker_init() before the first arm, in the memory it will stay
 * in; axq_timer_waker_arm() from a poll; axq_timer_waker_cancel() from a
 * poll or the drop, before the memory goes away.
 */
struct axq_timer_waker {
	struct hrtimer		timer;
	struct axq_task		*waker;
	ktime_t			fired_at;
	int			fired;
};

void axq_timer_waker_init(struct axq_timer_waker *tw);
void axq_timer_waker_arm(struct axq_timer_waker *tw, ktime_t expires,
			 struct axq_context *cx);
bool axq_timer_waker_update(struct axq_timer_waker *tw,
			    struct axq_context *cx);
bool axq_timer_waker_fired(const struct axq_timer_waker *tw);
void axq_timer_waker_cancel(struct axq_timer_waker *tw);

/**
 * struct axq_sleep - a future that becomes ready (with 0) at a
 * CLOCK_MONOTONIC time: a sleep (relative) or a deadline (absolute)
 * @base: the future (ops set by the init functions)
 * @tw: the timer, armed by the first poll of a deadline not yet passed
 * @deadline: when the future becomes ready (I: set at init)
 * @fired_at: when it was found due: when the timer's callback ran, or the
 *	time of the poll that found the deadline passed first (the owner's)
 * @started: @tw was armed (the owner's)
 * @done: the future was ready (the owner's)
 *
 * Owned by one future's polls and drop, which never run concurrently;
 * the drop (axq_sleep_drop()) is idempotent and fine on a sleep never
 * polled.
 */
struct axq_sleep {
	struct axq_future	base;
	struct axq_timer_waker	tw;
	ktime_t			deadline;
	ktime_t			fired_at;
	bool			started;
	bool			done;
};

void axq_sleep_init(struct axq_sleep *s, u64 ns);
void axq_sleep_until_init(struct axq_sleep *s, ktime_t deadline);
enum axq_poll axq_sleep_poll(struct axq_sleep *s, struct axq_context *cx,
			     long *out);
void axq_sleep_drop(struct axq_sleep *s);
s64 axq_sleep_lateness(const struct axq_sleep *s);

#endif /* _ASYNCX_TIME_H */
