/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: composition — per-SQE deadlines (deadline.c), retry
 * policies (retry.c) and JOIN/SELECT groups (group.c). Internal.
 */
#ifndef _ASYNCX_RING_COMPOSE_H
#define _ASYNCX_RING_COMPOSE_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <linux/asyncx.h>

#include <asyncx/combinator.h>
#include <asyncx/time.h>

struct axq_ctx;
struct axq_req;
struct axq_task;
struct axq_context;

/**
 * struct axq_deadline - the deadline of one request, or of a whole chain
 * @timer: fires at the deadline (hardirq context; softirq on PREEMPT_RT)
 * @lock: protects @cur and @fired; taken with interrupts off (the timer)
 * @refs: one per request under this deadline (a chain shares one)
 * @cur: the request under this deadline that is running now (from its
 *	first poll, when its task is set, until it is retired), or NULL; the
 *	timer wakes its task (L: @lock)
 * @fired: the deadline has passed (L: @lock to set; read with READ_ONCE()
 *	by the polls, which the timer's wake orders)
 * @ctx_id: the context, for tracing (I)
 * @user_data: the SQE that set it, for tracing (I)
 */
struct axq_deadline {
	struct hrtimer		timer;
	spinlock_t		lock;		/* see above */
	refcount_t		refs;
	struct axq_req		*cur;
	bool			fired;
	u64			ctx_id;
	u64			user_data;
};

/**
 * struct axq_req_retry - the retry policy of one request and where it is
 * @tw: ends a backoff delay: wakes the request's task
 * @backoff: the delays: the runtime's exponential backoff (base, cap,
 *	jitter; axq_retry_backoff())
 * @errs: ASYNCX_RETRY_E* bits: the results that are retried
 * @max: attempts in all
 * @attempt: the attempt running now, from 1
 * @waiting: a delay runs; the next poll starts the next attempt once @tw
 *	fired (the request's, its polls never run concurrently)
 */
struct axq_req_retry {
	struct axq_timer_waker	tw;
	struct axq_retry_cfg	backoff;
	u16			errs;
	u8			max;
	u8			attempt;
	bool			waiting;
};

/**
 * struct axq_group - a JOIN or SELECT group (ASYNCX_OP_GROUP)
 * @lock: protects the fields marked L; taken before ctx->inflight_lock
 * @refs: the GROUP request's, the id's (in ctx->groups, until @erased)
 *	and one per member that joined
 * @rcu: frees it after a grace period: submission finds it by id under RCU
 * @ctx: the context (the GROUP request holds its reference) (I)
 * @id: the group id, its index in ctx->groups (I)
 * @select: a SELECT group, else JOIN (I)
 * @expected: the members it waits for: the GROUP's len (I)
 * @joined: members submitted so far (L)
 * @finished: members whose CQE is out (L)
 * @succeeded: members that completed with res >= 0 (L)
 * @first_err: the first negative result of a member, or 0 (L)
 * @won: SELECT: a member finished first; @winner_idx and @winner_res are
 *	its index among the members (in the order they joined) and its
 *	result (L)
 * @winner_idx: see @won
 * @winner_res: see @won
 * @started: the GROUP request was polled: members start when they join (L)
 * @stopped: the members still running are being cancelled: a SELECT was
 *	won, or the group was cancelled; members joining later are cancelled
 *	before they start (L)
 * @closed: the GROUP request is gone: members submitted now are
 *	cancelled (L)
 * @erased: the id is free, its reference dropped (L)
 * @waker: the GROUP request's task, woken when the last member finishes
 *	(a waker reference from its first poll to its cleanup) (L)
 * @pending: members that joined before the group started, linked through
 *	their &axq_req.link (L)
 * @members: the members in flight, through their &axq_req.gnode (L:
 *	ctx->inflight_lock): what stopping the group cancels
 */
struct axq_group {
	spinlock_t		lock;		/* see above */
	refcount_t		refs;
	struct rcu_head		rcu;
	struct axq_ctx		*ctx;
	u16			id;
	bool			select;
	u32			expected;
	u32			joined;
	u32			finished;
	u32			succeeded;
	s32			first_err;
	bool			won;
	u16			winner_idx;
	s32			winner_res;
	bool			started;
	bool			stopped;
	bool			closed;
	bool			erased;
	struct axq_task		*waker;
	struct axq_req		*pending;
	struct list_head	members;
};

int axq_deadline_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
void axq_deadline_share(struct axq_req *req, struct axq_deadline *dl);
void axq_deadline_attach(struct axq_req *req);
void axq_deadline_put(struct axq_req *req);

/* Has the request's deadline (if any) passed? */
static inline bool axq_deadline_passed(const struct axq_req *req,
				       const struct axq_deadline *dl)
{
	return dl && READ_ONCE(dl->fired);
}

int axq_retry_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
bool axq_retry_again(struct axq_req *req, int res, struct axq_context *cx);
bool axq_retry_wait(struct axq_req *req);
void axq_retry_free(struct axq_req *req);

int axq_group_join(struct axq_req *req, u16 id, bool *start);
bool axq_group_win(struct axq_req *req, int res);
void axq_group_member_done(struct axq_req *req, int res);
void axq_groups_destroy(struct axq_ctx *ctx);

#endif /* _ASYNCX_RING_COMPOSE_H */
