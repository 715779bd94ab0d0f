/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: time — sleep and deadline futures on hrtimers (time.c).
 */
#ifndef _ASYNCX_TIME_H
#define _ASYNCX_TIME_H

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/types.h>

#include "runtime.h"

/**
 * struct axq_sleep - a future that becomes ready (with 0) at a
 * CLOCK_MONOTONIC time: a sleep (relative) or a deadline (absolute)
 * @base: the future (ops set by the init functions)
 * @timer: the hrtimer, started by the first poll of a deadline not yet
 *	passed; its callback only wakes the task
 * @deadline: when the future becomes ready (I: set at init)
 * @fired_at: when it was found due: @cb_at, or the time of the poll that
 *	found the deadline passed first (the owner's)
 * @cb_at: when the timer callback ran (written before the release store
 *	of @fired)
 * @waker: the task the callback wakes: a waker reference, installed by a
 *	poll and taken by the callback or by the owner, each with xchg()
 * @fired: the timer callback ran (release store, acquire load)
 * @started: @timer was started (the owner's)
 * @done: the future was ready (the owner's)
 *
 * Owned by one future's polls and drop, which never run concurrently;
 * the drop (axq_sleep_drop()) is idempotent and fine on a sleep never
 * polled.
 */
struct axq_sleep {
	struct axq_future	base;
	struct hrtimer		timer;
	ktime_t			deadline;
	ktime_t			fired_at;
	ktime_t			cb_at;
	struct axq_task		*waker;
	int			fired;
	bool			started;
	bool			done;
};

void axq_sleep_init(struct axq_sleep *s, u64 ns);
void axq_deadline_init(struct axq_sleep *s, ktime_t deadline);
enum axq_poll axq_sleep_poll(struct axq_sleep *s, struct axq_context *cx,
			     long *out);
void axq_sleep_drop(struct axq_sleep *s);
s64 axq_sleep_lateness(const struct axq_sleep *s);

#endif /* _ASYNCX_TIME_H */
