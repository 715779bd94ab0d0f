/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: combinators — join_all, select, timeout and retry over futures
 * (combinator.c). Documentation/combinators.rst has the overview.
 */
#ifndef _ASYNCX_COMBINATOR_H
#define _ASYNCX_COMBINATOR_H

#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "runtime.h"
#include "time.h"

struct axq_join_all;

/**
 * struct axq_join_all_child - one child of a join_all: its task and the
 * hook that tells the join_all it completed
 * @wqe: hooked on the child task's completion queue; the wake function
 *	unhooks it (under that queue's lock) and queues @node
 * @task: the child's join handle (owned; NULL once its result was taken)
 * @ja: the join_all (I: set at init)
 * @node: on @ja's list of completed children
 * @done: the child was queued on that list (set once, test_and_set_bit())
 */
struct axq_join_all_child {
	struct wait_queue_entry		wqe;
	struct axq_task			*task;
	struct axq_join_all		*ja;
	struct llist_node		node;
	unsigned long			done;
};

/**
 * struct axq_join_all - a future that runs N futures as tasks of their
 * own and becomes ready when all have completed
 * @base: the future (ops set by axq_join_all_init())
 * @children: one per child (allocated by init, freed by the drop)
 * @results: where child i's result goes, entry i (the caller's array
 *	of @nr; written only by this future's polls)
 * @nr: the number of children (I)
 * @left: children whose result was not taken yet (the owner's)
 * @done: completed children not seen by a poll yet; added to by the wake
 *	functions (under @lock), emptied by the polls (without it)
 * @lock: protects @waker against the wake functions; a push holds it for
 *	as long as it uses the join_all, so the drop's taking it waits
 * @waker: the task to wake when @done turns non-empty (L: @lock)
 */
struct axq_join_all {
	struct axq_future		base;
	struct axq_join_all_child	*children;
	long				*results;
	unsigned int			nr;
	unsigned int			left;
	struct llist_head		done;
	spinlock_t			lock;	/* protects @waker */
	struct axq_task			*waker;
};

int axq_join_all_init(struct axq_join_all *ja, struct axq_future **futs,
		      unsigned int nr, long *results, enum axq_prio prio,
		      gfp_t gfp);
enum axq_poll axq_join_all_poll(struct axq_join_all *ja,
				struct axq_context *cx, long *out);
void axq_join_all_drop(struct axq_join_all *ja);

/**
 * struct axq_select - a future that polls N futures and becomes ready with
 * the first one that is; the others are dropped
 * @base: the future (ops set by axq_select_init())
 * @futs: the children (the caller's array; the select owns the futures:
 *	it drops each exactly once)
 * @nr: the number of children (I)
 * @winner: the index of the child that was ready, -1 before (the owner's)
 * @dropped: the children were dropped (the owner's)
 */
struct axq_select {
	struct axq_future	base;
	struct axq_future	**futs;
	unsigned int		nr;
	int			winner;
	bool			dropped;
};

void axq_select_init(struct axq_select *sel, struct axq_future **futs,
		     unsigned int nr);
enum axq_poll axq_select_poll(struct axq_select *sel, struct axq_context *cx,
			      long *out);
void axq_select_drop(struct axq_select *sel);

/**
 * axq_select_winner() - which child of a select was ready
 * @sel: the select
 *
 * Context: any context.
 * Return: the child's index once the select was ready, else -1.
 */
static inline int axq_select_winner(const struct axq_select *sel)
{
	return sel->winner;
}

/**
 * struct axq_timeout_fut - a future that wraps another and gives up on it
 * at a deadline
 * @base: the future (ops set by axq_timeout_fut_init())
 * @inner: the wrapped future (owned: dropped exactly once)
 * @sleep: the deadline
 * @inner_dropped: @inner was dropped (the owner's)
 */
struct axq_timeout_fut {
	struct axq_future	base;
	struct axq_future	*inner;
	struct axq_sleep	sleep;
	bool			inner_dropped;
};

void axq_timeout_fut_init(struct axq_timeout_fut *t, struct axq_future *inner,
			  u64 ns);
enum axq_poll axq_timeout_fut_poll(struct axq_timeout_fut *t,
				   struct axq_context *cx, long *out);
void axq_timeout_fut_drop(struct axq_timeout_fut *t);

/**
 * struct axq_retry_cfg - how a retry retries
 * @max_attempts: attempts in all, the first included (0 counts as 1)
 * @base_ns: the delay before the second attempt; each later one doubles
 * @cap_ns: no delay is longer than this
 * @jitter_pct: 0 to 100: each delay is shortened by a random amount of up
 *	to this percentage of it ("equal jitter" at 50, "full" at 100)
 * @should_retry: which results retry; called with a negative result and
 *	the retry's argument; NULL: every negative result does
 * @rand: the source of randomness for the jitter, called with the retry's
 *	argument; NULL: get_random_u32(). A fixed source makes the schedule
 *	exact (tests).
 */
struct axq_retry_cfg {
	unsigned int	max_attempts;
	u64		base_ns;
	u64		cap_ns;
	unsigned int	jitter_pct;
	bool		(*should_retry)(long err, void *arg);
	u32		(*rand)(void *arg);
};

/*
 * axq_retry_make_t - a retry's factory of attempts: called with the
 * retry's argument and the attempt's number (from 0). Returns a future
 * the retry owns (it drops it when done with it), or an ERR_PTR() that
 * ends the retry with that error. Called from the retry's polls: must not
 * sleep.
 */
typedef struct axq_future *(*axq_retry_make_t)(void *arg, unsigned int n);

/**
 * struct axq_retry - a future that makes and awaits a fallible future,
 * and makes it again after a backoff while it fails
 * @base: the future (ops set by axq_retry_init())
 * @cfg: the policy (I; must outlive the future)
 * @make: makes attempt number @attempt (from 0): a future the retry owns
 *	and drops, or an ERR_PTR() that ends the retry with that error
 * @arg: @make's, @cfg->should_retry's and @cfg->rand's argument (I)
 * @delays: where the delay before attempt i + 1 is recorded, entry i - 1
 *	(an array of @cfg->max_attempts - 1, or NULL)
 * @state: the async state of the poll (async.h)
 * @cur: the attempt in flight, or NULL
 * @attempts: attempts made so far
 * @res: the result of the last attempt
 * @sleep: the backoff sleep
 */
struct axq_retry {
	struct axq_future		base;
	const struct axq_retry_cfg	*cfg;
	axq_retry_make_t		make;
	void				*arg;
	u64				*delays;
	unsigned int			state;
	struct axq_future		*cur;
	unsigned int			attempts;
	long				res;
	struct axq_sleep		sleep;
};

u64 axq_retry_backoff(const struct axq_retry_cfg *cfg, unsigned int retry,
		      u32 rnd);
void axq_retry_init(struct axq_retry *r, const struct axq_retry_cfg *cfg,
		    axq_retry_make_t make,
		    void *arg, u64 *delays);
enum axq_poll axq_retry_poll(struct axq_retry *r, struct axq_context *cx,
			     long *out);
void axq_retry_drop(struct axq_retry *r);

#endif /* _ASYNCX_COMBINATOR_H */
