/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the KUnit suites of the runtime (task_kunit.c,
 * executor_kunit.c): futures that count what happens to them, joins that
 * fail a case instead of hanging, test kthreads, and "blockers" that keep
 * every executor worker busy.
 */
#ifndef _ASYNCX_KUNIT_UTIL_H
#define _ASYNCX_KUNIT_UTIL_H

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/sched.h>

#include <asyncx/runtime.h>

#define GRACE_TIMEOUT	(5 * HZ)	/* for a late task, after a cancel */
#define BLOCK_MAX	(30 * HZ)	/* longest a blocker spins */
#define BLOCK_JOIN	(20 * HZ)	/* a released blocker finishes within */

/*
 * Re-evaluate @cond about every millisecond for at most @ms milliseconds;
 * the value is @cond's last value. Process context.
 */
#define poll_until(cond, ms)						\
({									\
	unsigned long __end = jiffies + msecs_to_jiffies(ms);		\
	bool __ok;							\
									\
	for (;;) {							\
		__ok = (cond);						\
		if (__ok || time_after(jiffies, __end))			\
			break;						\
		usleep_range(500, 1000);				\
	}								\
	__ok;								\
})

/**
 * struct tcount - what happened to one future
 * @polls: polls so far
 * @drops: drops so far; must end at exactly 1
 * @bad: polls after READY or after drop, polls that overlapped another,
 *	drops during a poll; must stay 0
 * @in_poll: polls in progress
 * @ready: a poll returned AXQ_READY
 */
struct tcount {
	atomic_t	polls;
	atomic_t	drops;
	atomic_t	bad;
	atomic_t	in_poll;
	atomic_t	ready;
};

int tc_enter(struct tcount *c);
enum axq_poll tc_leave(struct tcount *c, enum axq_poll ret);
void tc_drop(struct tcount *c);
void tc_expect(struct kunit *test, struct tcount *c, int polls,
	       const char *what);

struct axq_task *tspawn(struct kunit *test, struct axq_future *fut,
			enum axq_prio prio);
int tjoin(struct kunit *test, struct axq_task *task, long *res,
	  unsigned long timeout);
struct task_struct *tthread_start(int (*fn)(void *), void *arg, int cpu);
int tthread_stop(struct task_struct *k);

struct blockers;

/* A task that spins in its poll until released: it keeps its worker. */
struct blocker {
	struct axq_future	base;
	struct tcount		c;
	struct blockers		*set;
};

/**
 * struct blockers - one spinning task per executor worker, so that nothing
 * else is polled until they are released: what a case queues meanwhile
 * stays queued
 * @nr: the number of blockers (of workers)
 * @spinning: blockers in their poll
 * @release: set to let them return
 * @deadline: jiffies after which they return anyway
 * @b: the futures
 * @t: their join handles
 */
struct blockers {
	unsigned int		nr;
	atomic_t		spinning;
	int			release;
	unsigned long		deadline;
	struct blocker		*b;
	struct axq_task		**t;
};

extern const struct axq_future_ops blocker_ops;
void blockers_stop(struct kunit *test, struct blockers *set);

#endif /* _ASYNCX_KUNIT_UTIL_H */
