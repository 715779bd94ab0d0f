// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: contexts and their rings — setup, mmap, submission (the enter
 * ioctl), completion posting with the overflow list, waiting, poll, and
 * the requests that run on the executor.
 */
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/eventfd.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "ctx.h"
#include "limits.h"
#include "opdef.h"
#include "rsrc.h"
#include "trace.h"

/**
 * DOC: completions
 *
 * CQEs are posted in process context only — by the submitter for inline
 * ops and by executor workers for the others — under ctx->cq_lock. When the
 * CQ is full (or older CQEs already wait), the CQE goes to the tail of the
 * overflow list and ASYNCX_SQ_CQ_OVERFLOW is set in the SQ flags word. Each
 * enter moves waiting CQEs into the CQ, in order, as room appears; while
 * any wait, enter refuses new submissions with -EBUSY. Only a failed
 * allocation of an overflow entry loses a CQE; the SQ ring's dropped
 * counter counts those.
 */

struct axq_overflow_cqe {
	struct list_head	node;
	struct asyncx_cqe	cqe;
};

/*
 * Requests come in four sizes, each with its task (struct axq_req.etask):
 * a request is allocated up to the end of its op's member of the union,
 * from the cache of its class. Small: NOP, CANCEL, PROBE, GROUP; medium:
 * TIMEOUT (a timer), SEND and RECV (a wait-queue entry); POLL (a poller:
 * its wait-queue entries); large: READ and WRITE (a poller and a
 * blocking-pool work item).
 */
enum { AXQ_REQ_S, AXQ_REQ_M, AXQ_REQ_P, AXQ_REQ_L, AXQ_REQ_NR_CACHES };

#define AXQ_REQ_SIZE(member)	offsetofend(struct axq_req, member)

static const struct {
	u16	size;
	u8	cache;
} axq_req_sizes[ASYNCX_OP_LAST] = {
	[ASYNCX_OP_NOP]		= { AXQ_REQ_SIZE(nop), AXQ_REQ_S },
	[ASYNCX_OP_TIMEOUT]	= { AXQ_REQ_SIZE(timeout), AXQ_REQ_M },
	[ASYNCX_OP_CANCEL]	= { AXQ_REQ_SIZE(cancel_cmd), AXQ_REQ_S },
	[ASYNCX_OP_PROBE]	= { AXQ_REQ_SIZE(probe), AXQ_REQ_S },
	[ASYNCX_OP_POLL]	= { AXQ_REQ_SIZE(poll), AXQ_REQ_P },
	[ASYNCX_OP_READ]	= { AXQ_REQ_SIZE(rw), AXQ_REQ_L },
	[ASYNCX_OP_WRITE]	= { AXQ_REQ_SIZE(rw), AXQ_REQ_L },
	[ASYNCX_OP_GROUP]	= { AXQ_REQ_SIZE(group_cmd), AXQ_REQ_S },
	[ASYNCX_OP_SEND]	= { AXQ_REQ_SIZE(chan), AXQ_REQ_M },
	[ASYNCX_OP_RECV]	= { AXQ_REQ_SIZE(chan), AXQ_REQ_M },
};

static struct kmem_cache *axq_req_caches[AXQ_REQ_NR_CACHES];

/*
 * A request for opcode @op, not yet prepared. An opcode out of range gets
 * a small one: its prep fails before it writes past the header.
 */
static struct axq_req *axq_req_alloc(unsigned int op)
{
	unsigned int c = op < ASYNCX_OP_LAST ? axq_req_sizes[op].cache : AXQ_REQ_S;

	return kmem_cache_alloc(axq_req_caches[c], GFP_KERNEL_ACCOUNT);
}

/* Free a request that was allocated for req->opcode (or never prepared). */
static void axq_req_free(struct axq_req *req, unsigned int op)
{
	unsigned int c = op < ASYNCX_OP_LAST ? axq_req_sizes[op].cache : AXQ_REQ_S;

	kmem_cache_free(axq_req_caches[c], req);
}

static unsigned int max_inflight = 65536;
module_param(max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight,
		 "Operations in flight per context; more complete with -EBUSY (default 65536)");

static void *axq_ring_alloc(size_t size)
{
	return (void *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					__GFP_NOWARN | __GFP_COMP,
					get_order(size));
}

static void axq_ring_free(void *ring, size_t size)
{
	if (ring)
		free_pages((unsigned long)ring, get_order(size));
}

/**
 * axq_ctx_put() - drop a reference to a context; free it with the last
 * @ctx: the context
 *
 * Context: process context.
 */
void axq_ctx_put(struct axq_ctx *ctx)
{
	struct axq_overflow_cqe *o, *next;

	if (!refcount_dec_and_test(&ctx->refs))
		return;
	list_for_each_entry_safe(o, next, &ctx->overflow, node)
		kfree(o);
	if (ctx->evfd)
		eventfd_ctx_put(ctx->evfd);
	if (ctx->mm)
		mmdrop(ctx->mm);
	axq_ring_free(ctx->sq, ctx->sq_size);
	axq_ring_free(ctx->sqes, ctx->sqes_size);
	axq_ring_free(ctx->cq, ctx->cq_size);
	kfree(ctx->sub);
	mutex_destroy(&ctx->lock);
	axq_groups_destroy(ctx);
	axq_limits_release(ctx->uid);
	kfree(ctx);
}

/* ------------------------------------------------------------ completions */

static u32 axq_cq_free_slots(struct axq_ctx *ctx)
{
	/* Acquire: pairs with the application's release store of the CQ
	 * head, so it is done reading the CQEs we overwrite.
	 */
	u32 head = smp_load_acquire(&ctx->cq->head);

	return ctx->cq_entries - (ctx->cq_tail - head);
}

static void axq_cq_write(struct axq_ctx *ctx, const struct asyncx_cqe *cqe)
{
	lockdep_assert_held(&ctx->cq_lock);
	ctx->cq->cqes[ctx->cq_tail & (ctx->cq_entries - 1)] = *cqe;
	ctx->cq_tail++;
}

static void axq_cq_publish(struct axq_ctx *ctx)
{
	lockdep_assert_held(&ctx->cq_lock);
	/* Release: the CQEs before the tail; pairs with the application's
	 * acquire load of the CQ tail.
	 */
	smp_store_release(&ctx->cq->tail, ctx->cq_tail);
}

/* Move what fits of the overflow list into the CQ. */
static void axq_cq_flush_locked(struct axq_ctx *ctx)
{
	struct axq_overflow_cqe *o;
	u32 room = axq_cq_free_slots(ctx);
	bool moved = false;

	lockdep_assert_held(&ctx->cq_lock);
	while (room && !list_empty(&ctx->overflow)) {
		o = list_first_entry(&ctx->overflow, struct axq_overflow_cqe, node);
		list_del(&o->node);
		axq_cq_write(ctx, &o->cqe);
		kfree(o);
		room--;
		moved = true;
	}
	if (moved)
		axq_cq_publish(ctx);
	if (list_empty(&ctx->overflow))
		WRITE_ONCE(ctx->sq->flags,
			   READ_ONCE(ctx->sq->flags) & ~ASYNCX_SQ_CQ_OVERFLOW);
}

static bool axq_cq_flush(struct axq_ctx *ctx)
{
	bool empty;

	/* Nothing waits (the common case): no lock. A CQE that overflows
	 * after this test is one that completed after it, as if it had
	 * come after the lock.
	 */
	if (list_empty(&ctx->overflow))
		return true;
	spin_lock(&ctx->cq_lock);
	if (!list_empty(&ctx->overflow))
		axq_cq_flush_locked(ctx);
	empty = list_empty(&ctx->overflow);
	spin_unlock(&ctx->cq_lock);
	return empty;
}

/* Wake whoever waits for completions (enter, poll, epoll). */
static void axq_cq_wake(struct axq_ctx *ctx)
{
	/* Full barrier in wq_has_sleeper(): pairs with the waiter's barrier
	 * between queueing itself and testing the CQ.
	 */
	if (wq_has_sleeper(&ctx->cq_wait))
		wake_up(&ctx->cq_wait);
}

/*
 * Post a CQE; @wake: wake the waiters now, else the caller will (the
 * submission path wakes once per enter, not once per inline CQE).
 */
static void __axq_post_cqe(struct axq_ctx *ctx, u64 user_data, s32 res,
			   u32 flags, bool wake)
{
	struct asyncx_cqe cqe = { .user_data = user_data, .res = res,
				  .flags = flags };
	struct axq_overflow_cqe *o;

	/* (Traced by the callers.) */
	spin_lock(&ctx->cq_lock);
	if (likely(list_empty(&ctx->overflow)) && axq_cq_free_slots(ctx)) {
		axq_cq_write(ctx, &cqe);
		axq_cq_publish(ctx);
		if (ctx->evfd)
			axq_eventfd_signal(ctx->evfd);
		spin_unlock(&ctx->cq_lock);
		if (wake)
			axq_cq_wake(ctx);
		return;
	}
	spin_unlock(&ctx->cq_lock);

	o = kmalloc(sizeof(*o), GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
	trace_asyncx_cq_overflow(ctx->id, user_data, !o);
	spin_lock(&ctx->cq_lock);
	if (!o) {
		WRITE_ONCE(ctx->sq->dropped, READ_ONCE(ctx->sq->dropped) + 1);
	} else {
		o->cqe = cqe;
		list_add_tail(&o->node, &ctx->overflow);
		WRITE_ONCE(ctx->cq->overflow, READ_ONCE(ctx->cq->overflow) + 1);
		WRITE_ONCE(ctx->sq->flags,
			   READ_ONCE(ctx->sq->flags) | ASYNCX_SQ_CQ_OVERFLOW);
		/* Room may have appeared meanwhile. */
		axq_cq_flush_locked(ctx);
	}
	if (ctx->evfd)
		axq_eventfd_signal(ctx->evfd);
	spin_unlock(&ctx->cq_lock);
	if (wake)
		axq_cq_wake(ctx);
}

/*
 * The CQEs of ops completed inline during one enter, posted together: one
 * CQ lock and one tail publication per batch instead of per CQE. Only the
 * submitting thread adds to it; anything else the submission posts (chain
 * failures, group members) flushes it first, so the CQEs of one submission
 * keep their order.
 */
#define AXQ_CQE_BATCH	16

struct axq_cqe_batch {
	unsigned int		nr;
	struct asyncx_cqe	cqes[AXQ_CQE_BATCH];
};

/**
 * struct axq_submit - a context's submission scratch space (L: ctx->lock)
 * @sqe: the private copy of the SQE being consumed (the application may
 *	change the shared one under us)
 * @batch: the CQEs of the ops completed inline, not yet posted
 * @req: where each SQE is prepared: an inline op runs there, an async one
 *	is copied out of it
 *
 * Not on the stack: kernels built with INIT_STACK_ALL_ZERO (Debian's) would
 * clear it on every enter, and the request on every SQE.
 */
struct axq_submit {
	struct asyncx_sqe	sqe;
	struct axq_cqe_batch	batch;
	struct axq_req		req;
};

static void axq_cqe_batch_flush(struct axq_ctx *ctx, struct axq_cqe_batch *b)
{
	unsigned int i = 0, room;

	if (!b->nr)
		return;
	spin_lock(&ctx->cq_lock);
	room = list_empty(&ctx->overflow) ? axq_cq_free_slots(ctx) : 0;
	for (; i < b->nr && i < room; i++) {
		axq_cq_write(ctx, &b->cqes[i]);
		if (ctx->evfd)
			axq_eventfd_signal(ctx->evfd);
	}
	if (i)
		axq_cq_publish(ctx);
	spin_unlock(&ctx->cq_lock);
	/* No room for the rest: the overflow list, in order. */
	for (; i < b->nr; i++)
		__axq_post_cqe(ctx, b->cqes[i].user_data, b->cqes[i].res,
			       b->cqes[i].flags, false);
	b->nr = 0;
}

static void axq_cqe_batch_add(struct axq_ctx *ctx, struct axq_cqe_batch *b,
			      u64 user_data, s32 res)
{
	trace_asyncx_cqe_post(ctx->id, user_data, res, 0);
	b->cqes[b->nr++] = (struct asyncx_cqe){ .user_data = user_data,
						.res = res };
	if (b->nr == AXQ_CQE_BATCH)
		axq_cqe_batch_flush(ctx, b);
}

/**
 * axq_post_cqe() - post a completion
 * @ctx: the context (rings set up)
 * @user_data: the SQE's user_data
 * @res: the result
 * @flags: ASYNCX_CQE_F_* flags
 *
 * Goes to the CQ, or to the overflow list when the CQ is full or older
 * CQEs already wait there, so CQEs stay in order; then wakes the waiters.
 *
 * Context: process context; takes ctx->cq_lock; does not sleep.
 */
void axq_post_cqe(struct axq_ctx *ctx, u64 user_data, s32 res, u32 flags)
{
	trace_asyncx_cqe_post(ctx->id, user_data, res, flags);
	__axq_post_cqe(ctx, user_data, res, flags, true);
}

static u32 axq_cq_ready(struct axq_ctx *ctx)
{
	/* Acquire: pairs with the application's release of the CQ head. */
	return READ_ONCE(ctx->cq_tail) - smp_load_acquire(&ctx->cq->head);
}

/* --------------------------------------------------------------- requests */

/**
 * DOC: links
 *
 * An SQE with ASYNCX_SQE_LINK links the next SQE of the submission to it:
 * a chain runs in SQE order, one request at a time, each starting when its
 * predecessor's CQE has been posted. Every member is prepared at submission
 * (files, user pointers, the submitter's mm are taken then), is in flight
 * from then on (counted, cancellable by user_data, cancelled by close) and
 * is owned by its predecessor until that one is dropped. A member that fails
 * completes the rest of its chain with -ECANCELED: a negative result, a
 * short READ or WRITE, a cancelled member, or one whose preparation failed
 * (then every member of the chain completes: the failing one with its
 * errno, the others with -ECANCELED). A TIMEOUT's -ETIME is its normal
 * result and does not break a chain. Inline ops in a chain run as tasks too,
 * when their turn comes; PROBE then writes through the submitter's mm. The
 * chain ends at the first SQE without the flag, or at the end of the
 * submission (enter's to_submit).
 */

static void axq_req_drop(struct axq_future *fut);
static void axq_req_release(struct axq_future *fut);

/* The flags of a request's last CQE, whose result is @res. */
static u32 axq_req_cqe_flags(struct axq_req *req, int res)
{
	u32 flags = req->cqe_flags;

	if (req->retry)
		flags |= (u32)req->retry->attempt << 8;
	if (req->group && axq_group_win(req, res))
		flags |= ASYNCX_CQE_F_WINNER;
	return flags;
}

/* Run an inline op that a chain reached, on a worker. */
static int axq_req_issue_late(struct axq_req *req)
{
	const struct axq_opdef *def = &axq_opdefs[req->opcode];
	int ret;

	if (!req->mm)
		return def->issue(req);
	/* The process may have exited: then there is no memory to write. */
	if (!mmget_not_zero(req->mm))
		return -EFAULT;
	kthread_use_mm(req->mm);
	ret = def->issue(req);
	kthread_unuse_mm(req->mm);
	mmput(req->mm);
	return ret;
}

static enum axq_poll axq_req_poll(struct axq_future *fut,
				  struct axq_context *cx, long *out)
{
	struct axq_req *req = container_of(fut, struct axq_req, fut);
	const struct axq_opdef *def = &axq_opdefs[req->opcode];
	struct axq_ctx *ctx = req->ctx;
	enum axq_poll ready;
	bool cancel;
	int res = 0;

	if (unlikely(!req->task)) {
		/* First poll: remember the task so that close can cancel it. */
		spin_lock(&ctx->inflight_lock);
		cancel = req->cancel;
		if (!cancel)
			req->task = axq_waker_get(cx);
		spin_unlock(&ctx->inflight_lock);
		if (cancel) {
			*out = -ECANCELED;
			return AXQ_READY;
		}
		if (req->dl)
			axq_deadline_attach(req);
	}
	if (unlikely(axq_deadline_passed(req, req->dl))) {
		res = -ETIME;
		goto post;
	}
	if (unlikely(req->retry) && axq_retry_wait(req))
		return AXQ_PENDING;
	if (def->issue) {
		res = axq_req_issue_late(req);
		ready = AXQ_READY;
	} else {
		ready = def->poll(req, cx, &res);
	}
	if (ready == AXQ_PENDING)
		return AXQ_PENDING;
	if (unlikely(req->retry) && axq_retry_again(req, res))
		return AXQ_PENDING;
post:
	if (def->done)
		def->done(req);
	axq_post_cqe(ctx, req->user_data, res, axq_req_cqe_flags(req, res));
	req->res = res;
	req->posted = true;
	*out = res;
	return AXQ_READY;
}

/* One future type per opcode, so that the debugfs view names the op. */
#define AXQ_REQ_OPS(op, opname)						\
	[op] = { .name = "asyncx_req:" opname, .poll = axq_req_poll,	\
		 .drop = axq_req_drop, .release = axq_req_release }

static const struct axq_future_ops axq_req_fut_ops[] = {
	AXQ_REQ_OPS(ASYNCX_OP_NOP, "NOP"),
	AXQ_REQ_OPS(ASYNCX_OP_TIMEOUT, "TIMEOUT"),
	AXQ_REQ_OPS(ASYNCX_OP_CANCEL, "CANCEL"),
	AXQ_REQ_OPS(ASYNCX_OP_PROBE, "PROBE"),
	AXQ_REQ_OPS(ASYNCX_OP_POLL, "POLL"),
	AXQ_REQ_OPS(ASYNCX_OP_READ, "READ"),
	AXQ_REQ_OPS(ASYNCX_OP_WRITE, "WRITE"),
	AXQ_REQ_OPS(ASYNCX_OP_GROUP, "GROUP"),
	AXQ_REQ_OPS(ASYNCX_OP_SEND, "SEND"),
	AXQ_REQ_OPS(ASYNCX_OP_RECV, "RECV"),
};

/* Does the chain go on after @req? */
static bool axq_link_ok(const struct axq_req *req)
{
	if (!req->posted || axq_deadline_passed(req, req->dl))
		return false;
	switch (req->opcode) {
	case ASYNCX_OP_TIMEOUT:
		return req->res >= 0 || req->res == -ETIME;
	case ASYNCX_OP_READ:
	case ASYNCX_OP_WRITE:
		return req->res >= 0 && (u32)req->res == req->rw.len;
	default:
		return req->res >= 0;
	}
}

/*
 * Take @req off the context and free it; post @res unless its CQE is out.
 * @req is not running on the executor (never started, or being dropped).
 * Returns its successor, now owned by the caller.
 */
struct axq_req *axq_req_retire(struct axq_req *req, int res)
{
	const struct axq_opdef *def = &axq_opdefs[req->opcode];
	struct axq_ctx *ctx = req->ctx;
	struct axq_req *next = req->link;
	struct axq_task *task;

	/* Their timers may wake req->task: stop them before it goes. */
	if (req->dl)
		axq_deadline_put(req);
	if (req->retry)
		axq_retry_free(req);
	if (def->cleanup)
		def->cleanup(req);
	if (req->mm)
		mmdrop(req->mm);
	spin_lock(&ctx->inflight_lock);
	list_del(&req->node);
	ctx->nr_inflight--;
	task = req->task;
	req->task = NULL;
	spin_unlock(&ctx->inflight_lock);
	if (task)
		axq_waker_put(task);
	if (!req->posted)
		axq_post_cqe(ctx, req->user_data, res, axq_req_cqe_flags(req, res));
	/* After the member's CQE: the group's comes last. */
	if (req->group)
		axq_group_member_done(req, req->posted ? req->res : res);
	/* A spawned request goes with its task's last reference. */
	if (!req->spawned)
		axq_req_free(req, req->opcode);
	axq_ctx_put(ctx);
	return next;
}

/* Complete a chain from @req on with -ECANCELED. */
static void axq_link_fail(struct axq_req *req)
{
	while (req) {
		trace_asyncx_link(req->ctx->id, req->user_data, 0);
		req = axq_req_retire(req, -ECANCELED);
	}
}

/* Start a request on the executor; on failure it and its chain complete. */
void axq_link_start(struct axq_req *req)
{
	u64 owner = req->ctx->id;
	struct axq_task *task;

	req->spawned = true;
	task = axq_spawn_in(&req->etask, &req->fut, req->prio);
	if (IS_ERR(task)) {
		req->spawned = false;
		axq_link_fail(axq_req_retire(req, PTR_ERR(task)));
		return;
	}
	/* From here on the request belongs to its task, which may already
	 * have run, completed and freed it on another CPU: @req is not ours
	 * to touch. We hold a join handle: the task is not freed under us.
	 */
	axq_task_set_owner(task, owner);
	axq_task_put(task);
}

static void axq_req_drop(struct axq_future *fut)
{
	struct axq_req *req = container_of(fut, struct axq_req, fut);
	bool ok = axq_link_ok(req);
	struct axq_req *next;

	/* Cancelled before completing: its CQE says so. */
	next = axq_req_retire(req, -ECANCELED);
	if (!next)
		return;
	if (!ok) {
		axq_link_fail(next);
		return;
	}
	if (axq_opdefs[next->opcode].link)
		axq_opdefs[next->opcode].link(next);
	trace_asyncx_link(next->ctx->id, next->user_data, 1);
	axq_link_start(next);
}

/* The task's last reference is gone: free the request. */
static void axq_req_release(struct axq_future *fut)
{
	struct axq_req *req = container_of(fut, struct axq_req, fut);

	axq_req_free(req, req->opcode);
}

/*
 * Put a prepared request in flight: count it (bounded by max_inflight),
 * list it for cancel and close, and take a context reference.
 */
static int axq_req_add(struct axq_ctx *ctx, struct axq_req *req)
{
	spin_lock(&ctx->inflight_lock);
	if (ctx->nr_inflight >= max_inflight) {
		spin_unlock(&ctx->inflight_lock);
		return -EBUSY;
	}
	list_add_tail(&req->node, &ctx->inflight);
	ctx->nr_inflight++;
	spin_unlock(&ctx->inflight_lock);
	refcount_inc(&ctx->refs);
	return 0;
}

/* Hand a prepared request to the executor. */
static int axq_req_start(struct axq_ctx *ctx, struct axq_req *proto)
{
	const struct axq_opdef *def = &axq_opdefs[proto->opcode];
	struct axq_req *req;
	int ret;

	req = axq_req_alloc(proto->opcode);
	if (!req) {
		ret = -ENOMEM;
		goto err;
	}
	memcpy(req, proto, axq_req_sizes[proto->opcode].size);
	ret = axq_req_add(ctx, req);
	if (ret) {
		axq_req_free(req, req->opcode);
		goto err;
	}
	axq_link_start(req);
	return 0;
err:
	if (def->cleanup)
		def->cleanup(proto);
	return ret;
}

static const u8 axq_prio_map[] = {
	[ASYNCX_PRIO_NORMAL]	= AXQ_PRIO_NORMAL,
	[ASYNCX_PRIO_HIGH]	= AXQ_PRIO_HIGH,
	[ASYNCX_PRIO_LOW]	= AXQ_PRIO_LOW,
};

#define AXQ_SQE_FLAGS	(ASYNCX_SQE_LINK | ASYNCX_SQE_FIXED_FILE | \
			 ASYNCX_SQE_DEADLINE | ASYNCX_SQE_RETRY | \
			 ASYNCX_SQE_GROUP)
#define AXQ_CF_DEADLINE	(ASYNCX_CF_DEADLINE_ABS | ASYNCX_CF_DEADLINE_CHAIN)

/* SQE flags that make a request run on the executor, never inline. */
#define AXQ_SQE_TASK_FLAGS	(ASYNCX_SQE_DEADLINE | ASYNCX_SQE_RETRY | \
				 ASYNCX_SQE_GROUP)

/* Are the composition fields of @sqe consistent with its flags? */
static bool axq_sqe_compose_ok(const struct asyncx_sqe *sqe)
{
	u8 f = sqe->flags;

	if (sqe->cflags & ~(AXQ_CF_DEADLINE | ASYNCX_CF_RETRY_JITTER))
		return false;
	if (!(f & ASYNCX_SQE_DEADLINE) &&
	    (sqe->deadline || sqe->cflags & AXQ_CF_DEADLINE))
		return false;
	if (!(f & ASYNCX_SQE_RETRY) &&
	    (sqe->retry_base_us || sqe->retry_cap_us || sqe->retry_max ||
	     sqe->retry_errs || sqe->cflags & ASYNCX_CF_RETRY_JITTER))
		return false;
	/* A member is one op: it neither links nor is a group itself. */
	if (f & ASYNCX_SQE_GROUP)
		return sqe->group && !(f & ASYNCX_SQE_LINK) &&
		       sqe->opcode != ASYNCX_OP_GROUP;
	return !sqe->group || sqe->opcode == ASYNCX_OP_GROUP;
}

/* Release what axq_req_prep() took, for a request never put in flight. */
static void axq_req_unprep(struct axq_req *req)
{
	const struct axq_opdef *def = &axq_opdefs[req->opcode];

	if (req->dl)
		axq_deadline_put(req);
	if (req->retry)
		axq_retry_free(req);
	if (def->cleanup)
		def->cleanup(req);
}

/*
 * Validate an SQE (a private copy) and prepare @req from it. On success
 * @req holds what prep took; on failure nothing is held.
 */
static int axq_req_prep(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
			struct axq_req *req)
{
	const struct axq_opdef *def;
	unsigned int op = sqe->opcode;
	int ret;

	req->user_data = sqe->user_data;
	if (op >= ASYNCX_OP_LAST || sqe->flags & ~AXQ_SQE_FLAGS ||
	    sqe->resv0 || sqe->prio >= ARRAY_SIZE(axq_prio_map) ||
	    !axq_sqe_compose_ok(sqe))
		return -EINVAL;
	op = array_index_nospec(op, ASYNCX_OP_LAST);
	def = &axq_opdefs[op];
	if (sqe->op_flags & ~def->op_flags ||
	    axq_rsrc_check_sqe(sqe, op))
		return -EINVAL;
	BUILD_BUG_ON(ARRAY_SIZE(axq_req_fut_ops) != ASYNCX_OP_LAST);
	req->fut.ops = &axq_req_fut_ops[op];
	req->ctx = ctx;
	req->opcode = op;
	req->prio = axq_prio_map[array_index_nospec(sqe->prio,
						   ARRAY_SIZE(axq_prio_map))];
	req->posted = false;
	req->cancel = false;
	req->spawned = false;
	req->res = 0;
	req->task = NULL;
	req->link = NULL;
	req->mm = NULL;
	req->cqe_flags = 0;
	req->dl = NULL;
	req->retry = NULL;
	req->group = NULL;
	ret = def->prep(req, sqe);
	if (ret)
		return ret;
	if (sqe->flags & ASYNCX_SQE_DEADLINE) {
		ret = axq_deadline_prep(req, sqe);
		if (ret)
			goto undo;
	}
	if (sqe->flags & ASYNCX_SQE_RETRY) {
		ret = axq_retry_prep(req, sqe);
		if (ret)
			goto undo;
	}
	return 0;
undo:
	axq_req_unprep(req);
	return ret;
}

/**
 * struct axq_chain - a chain being built by one submission
 * @head: its first request, or NULL
 * @tail: its last request
 * @dl: the deadline of the whole chain (ASYNCX_CF_DEADLINE_CHAIN on its
 *	first SQE), or NULL
 * @failed: a member failed at submission: the rest complete with -ECANCELED
 * @open: the last SQE had ASYNCX_SQE_LINK: the next SQE joins the chain
 */
struct axq_chain {
	struct axq_req		*head;
	struct axq_req		*tail;
	struct axq_deadline	*dl;
	bool			failed;
	bool			open;
};

/* The chain is complete (or the submission ended): start it. */
static void axq_chain_end(struct axq_chain *ch)
{
	if (ch->head)
		axq_link_start(ch->head);
	*ch = (struct axq_chain){};
}

/*
 * Put @req under its chain's deadline, or make its deadline the chain's.
 * A chain's deadline is set by its first SQE only, and its members have
 * none of their own.
 */
static int axq_chain_deadline(struct axq_chain *ch, struct axq_req *req,
			      const struct asyncx_sqe *sqe)
{
	if (sqe->cflags & ASYNCX_CF_DEADLINE_CHAIN) {
		if (ch->head)
			return -EINVAL;
		ch->dl = req->dl;
		return 0;
	}
	if (!ch->dl)
		return 0;
	if (req->dl)
		return -EINVAL;
	axq_deadline_share(req, ch->dl);
	return 0;
}

/*
 * The request of @sqe, prepared and in flight (axq_req_add()), under its
 * chain's deadline when @ch is given; or an ERR_PTR for the SQE's CQE, with
 * nothing held.
 */
static struct axq_req *axq_req_new(struct axq_ctx *ctx,
				   const struct asyncx_sqe *sqe,
				   struct axq_chain *ch)
{
	struct axq_req *req;
	int ret;

	req = axq_req_alloc(sqe->opcode);
	if (!req)
		return ERR_PTR(-ENOMEM);
	ret = axq_req_prep(ctx, sqe, req);
	if (ret)
		goto free;
	if (ch) {
		ret = axq_chain_deadline(ch, req, sqe);
		if (ret)
			goto unprep;
	}
	if (axq_opdefs[req->opcode].needs_mm) {
		req->mm = current->mm;
		mmgrab(req->mm);
	}
	ret = axq_req_add(ctx, req);
	if (!ret)
		return req;
unprep:
	axq_req_unprep(req);
	if (req->mm)
		mmdrop(req->mm);
free:
	axq_req_free(req, sqe->opcode);
	return ERR_PTR(ret);
}

/* Add an SQE to the chain being built (or a one-member chain: an SQE that
 * must run on the executor, AXQ_SQE_TASK_FLAGS or a GROUP).
 */
static void axq_chain_add(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
			  struct axq_chain *ch)
{
	bool linked = ch->open;
	struct axq_req *req;
	int ret;

	/* Even a malformed SQE's LINK bit extends the chain, so that what
	 * was meant to follow it does not run.
	 */
	ch->open = sqe->flags & ASYNCX_SQE_LINK;
	if (ch->failed) {
		ret = -ECANCELED;
		goto post;
	}
	/* A group member runs when its group says, not in a chain. */
	if (linked && sqe->flags & ASYNCX_SQE_GROUP) {
		ret = -EINVAL;
		goto fail;
	}
	req = axq_req_new(ctx, sqe, ch);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto fail;
	}
	if (ch->head)
		ch->tail->link = req;
	else
		ch->head = req;
	ch->tail = req;
	goto out;
fail:
	/* The members before this one never ran: they complete first. */
	axq_link_fail(ch->head);
	ch->head = NULL;
	ch->failed = true;
post:
	axq_post_cqe(ctx, sqe->user_data, ret, 0);
out:
	if (!ch->open)
		axq_chain_end(ch);
}

/*
 * A group member (not in a chain): prepare it, put it in flight, and hand
 * it to its group, which starts it now or when the group starts.
 */
static void axq_member_add(struct axq_ctx *ctx, const struct asyncx_sqe *sqe)
{
	struct axq_req *req;
	bool start = false;
	int ret;

	req = axq_req_new(ctx, sqe, NULL);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto post;
	}
	ret = axq_group_join(req, sqe->group, &start);
	if (ret) {
		axq_req_retire(req, ret);
		return;
	}
	if (start)
		axq_link_start(req);
	return;
post:
	axq_post_cqe(ctx, sqe->user_data, ret, 0);
}

/* Validate and run one SQE (a private copy); every outcome is a CQE. */
static void axq_submit_sqe(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
			   struct axq_chain *ch, struct axq_cqe_batch *b)
{
	struct axq_req *req = &ctx->sub->req;
	const struct axq_opdef *def;
	int ret;

	trace_asyncx_sqe_submit(ctx->id, sqe->opcode, sqe->flags,
				sqe->user_data);
	if (!ch->open && sqe->flags & ASYNCX_SQE_GROUP) {
		axq_cqe_batch_flush(ctx, b);
		axq_member_add(ctx, sqe);
		return;
	}
	if (ch->open || sqe->flags & (ASYNCX_SQE_LINK | AXQ_SQE_TASK_FLAGS) ||
	    sqe->opcode == ASYNCX_OP_GROUP) {
		/* These post CQEs at submission directly: keep the order. */
		axq_cqe_batch_flush(ctx, b);
		axq_chain_add(ctx, sqe, ch);
		return;
	}
	ret = axq_req_prep(ctx, sqe, req);
	if (ret)
		goto post;
	def = &axq_opdefs[req->opcode];
	if (def->issue) {
		ret = def->issue(req);
		goto post;
	}
	if (def->try_inline && def->try_inline(req, &ret)) {
		def->cleanup(req);
		goto post;
	}
	/* (Should its spawn fail, its CQE goes out directly, before the
	 * batch: the CQEs of different SQEs have no order to keep.)
	 */
	ret = axq_req_start(ctx, req);
	if (!ret)
		return;
	/* (axq_req_start() released what prep took.) */
post:
	/* Inline: axq_ctx_enter() flushes the batch and wakes the waiters
	 * once, at the end.
	 */
	axq_cqe_batch_add(ctx, b, req->user_data, ret);
}

/* ------------------------------------------------------------------ setup */

/**
 * axq_ctx_setup() - create the rings of a context (ASYNCX_IOC_SETUP)
 * @ctx: the context
 * @arg: the user's struct asyncx_params
 *
 * Context: process context; takes ctx->lock.
 * Return: 0, -EFAULT, -EINVAL for bad parameters, -EBUSY if already set up,
 * -ENOMEM.
 */
int axq_ctx_setup(struct axq_ctx *ctx, struct asyncx_params __user *arg)
{
	struct asyncx_params p;
	u32 sq_entries, cq_entries;
	int ret = 0;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if (p.flags & ~ASYNCX_SETUP_CQSIZE || memchr_inv(p.resv, 0, sizeof(p.resv)))
		return -EINVAL;
	if (!p.sq_entries || p.sq_entries > ASYNCX_MAX_ENTRIES)
		return -EINVAL;
	sq_entries = roundup_pow_of_two(p.sq_entries);
	if (p.flags & ASYNCX_SETUP_CQSIZE) {
		if (p.cq_entries < sq_entries ||
		    p.cq_entries > 2 * ASYNCX_MAX_ENTRIES)
			return -EINVAL;
		cq_entries = roundup_pow_of_two(p.cq_entries);
	} else {
		cq_entries = 2 * sq_entries;
	}

	mutex_lock(&ctx->lock);
	if (ctx->ready) {
		ret = -EBUSY;
		goto out;
	}
	ctx->sq_size = PAGE_ALIGN(sizeof(struct axq_sq_ring));
	ctx->sqes_size = PAGE_ALIGN(sq_entries * sizeof(struct asyncx_sqe));
	ctx->cq_size = PAGE_ALIGN(struct_size(ctx->cq, cqes, cq_entries));
	ctx->sq = axq_ring_alloc(ctx->sq_size);
	ctx->sqes = axq_ring_alloc(ctx->sqes_size);
	ctx->cq = axq_ring_alloc(ctx->cq_size);
	ctx->sub = kmalloc(sizeof(*ctx->sub), GFP_KERNEL_ACCOUNT);
	if (!ctx->sq || !ctx->sqes || !ctx->cq || !ctx->sub) {
		axq_ring_free(ctx->sq, ctx->sq_size);
		axq_ring_free(ctx->sqes, ctx->sqes_size);
		axq_ring_free(ctx->cq, ctx->cq_size);
		kfree(ctx->sub);
		ctx->sq = NULL;
		ctx->sqes = NULL;
		ctx->cq = NULL;
		ctx->sub = NULL;
		ret = -ENOMEM;
		goto out;
	}
	mmgrab(current->mm);
	ctx->mm = current->mm;
	ctx->sq_entries = sq_entries;
	ctx->cq_entries = cq_entries;
	ctx->sq->ring_mask = sq_entries - 1;
	ctx->sq->ring_entries = sq_entries;
	ctx->cq->ring_mask = cq_entries - 1;
	ctx->cq->ring_entries = cq_entries;

	memset(&p, 0, sizeof(p));
	p.sq_entries = sq_entries;
	p.cq_entries = cq_entries;
	p.features = ASYNCX_FEAT_NODROP | ASYNCX_FEAT_LINK | ASYNCX_FEAT_COMPOSE;
	p.sq_off.head = offsetof(struct axq_sq_ring, head);
	p.sq_off.tail = offsetof(struct axq_sq_ring, tail);
	p.sq_off.ring_mask = offsetof(struct axq_sq_ring, ring_mask);
	p.sq_off.ring_entries = offsetof(struct axq_sq_ring, ring_entries);
	p.sq_off.flags = offsetof(struct axq_sq_ring, flags);
	p.sq_off.dropped = offsetof(struct axq_sq_ring, dropped);
	p.cq_off.head = offsetof(struct axq_cq_ring, head);
	p.cq_off.tail = offsetof(struct axq_cq_ring, tail);
	p.cq_off.ring_mask = offsetof(struct axq_cq_ring, ring_mask);
	p.cq_off.ring_entries = offsetof(struct axq_cq_ring, ring_entries);
	p.cq_off.overflow = offsetof(struct axq_cq_ring, overflow);
	p.cq_off.cqes = offsetof(struct axq_cq_ring, cqes);
	/*
	 * Release: the rings and their sizes before ready; pairs with the
	 * acquire loads of ready in mmap, enter and poll, which then use the
	 * rings without ctx->lock (mmap must not take it: it runs under the
	 * mmap lock, which enter takes under ctx->lock when it reads user
	 * memory).
	 */
	smp_store_release(&ctx->ready, true);
	mutex_unlock(&ctx->lock);
	/* On a fault the rings stay, and a retry answers -EBUSY. */
	return copy_to_user(arg, &p, sizeof(p)) ? -EFAULT : 0;
out:
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * axq_ctx_mmap() - map one of the three regions of a context
 * @ctx: the context
 * @vma: the mapping: offset ASYNCX_OFF_*, at most the region's size
 *
 * Context: process context (mmap, under the mmap lock).
 * Return: 0, -EINVAL for an unknown offset, a size past the region or a
 * context without rings, or the error of remap_pfn_range().
 */
int axq_ctx_mmap(struct axq_ctx *ctx, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	size_t region;
	void *ptr;

	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready))
		return -EINVAL;
	switch (off) {
	case ASYNCX_OFF_SQ_RING:
		ptr = ctx->sq;
		region = ctx->sq_size;
		break;
	case ASYNCX_OFF_SQES:
		ptr = ctx->sqes;
		region = ctx->sqes_size;
		break;
	case ASYNCX_OFF_CQ_RING:
		ptr = ctx->cq;
		region = ctx->cq_size;
		break;
	default:
		return -EINVAL;
	}
	if (size > region || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* A fork child gets no rings: it cannot corrupt ours. */
	axq_vm_flags_set(vma, VM_DONTCOPY);
	return remap_pfn_range(vma, vma->vm_start,
			       virt_to_phys(ptr) >> PAGE_SHIFT, size,
			       vma->vm_page_prot);
}

/* ------------------------------------------------------------------ enter */

static bool axq_cq_enough(struct axq_ctx *ctx, u32 min_complete)
{
	axq_cq_flush(ctx);
	return axq_cq_ready(ctx) >= min_complete;
}

/*
 * Read the user's struct asyncx_enter field by field under one user access
 * window: copy_from_user() of its 40 bytes is a byte-string copy, which
 * costs more than the rest of a NOP's enter under emulation (TCG).
 */
static int axq_enter_get(struct asyncx_enter *e,
			 const struct asyncx_enter __user *arg)
{
	if (!user_read_access_begin(arg, sizeof(*arg)))
		return -EFAULT;
	unsafe_get_user(e->to_submit, &arg->to_submit, efault);
	unsafe_get_user(e->min_complete, &arg->min_complete, efault);
	unsafe_get_user(e->flags, &arg->flags, efault);
	unsafe_get_user(e->resv0, &arg->resv0, efault);
	unsafe_get_user(e->timeout_ns, &arg->timeout_ns, efault);
	unsafe_get_user(e->resv[0], &arg->resv[0], efault);
	unsafe_get_user(e->resv[1], &arg->resv[1], efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/**
 * axq_ctx_enter() - submit and/or wait (ASYNCX_IOC_ENTER)
 * @ctx: the context
 * @arg: the user's struct asyncx_enter
 *
 * Context: process context; sleeps when asked to wait.
 * Return: SQEs consumed if any, else 0 or a negative errno (see the uapi
 * header).
 */
long axq_ctx_enter(struct axq_ctx *ctx, struct asyncx_enter __user *arg)
{
	struct axq_chain chain = {};
	struct asyncx_enter e;
	struct axq_submit *sub;
	u32 tail, head, n, i;
	long ret = 0;

	BUILD_BUG_ON(sizeof(e) != 40 || ARRAY_SIZE(e.resv) != 2);
	if (axq_enter_get(&e, arg))
		return -EFAULT;
	if (e.flags & ~ASYNCX_ENTER_GETEVENTS || e.resv0 || e.resv[0] ||
	    e.resv[1])
		return -EINVAL;
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready))
		return -EBADFD;
	if (current->mm != ctx->mm)
		return -EPERM;

	if (e.to_submit) {
		mutex_lock(&ctx->lock);
		if (!axq_cq_flush(ctx)) {
			mutex_unlock(&ctx->lock);
			return -EBUSY;
		}
		head = ctx->sq_head;
		/* Acquire: pairs with the application's release store of the
		 * SQ tail, so the SQEs before it are written.
		 */
		tail = smp_load_acquire(&ctx->sq->tail);
		n = min3(e.to_submit, tail - head, ctx->sq_entries);
		sub = ctx->sub;
		sub->batch.nr = 0;
		for (i = 0; i < n; i++) {
			/* One copy: the application may change it under us. */
			memcpy(&sub->sqe,
			       &ctx->sqes[(head + i) & (ctx->sq_entries - 1)],
			       sizeof(sub->sqe));
			axq_submit_sqe(ctx, &sub->sqe, &chain, &sub->batch);
		}
		axq_cqe_batch_flush(ctx, &sub->batch);
		/* A chain still open at the end of the submission ends here. */
		axq_chain_end(&chain);
		/* For the CQEs of inline ops, posted without a wake. */
		axq_cq_wake(ctx);
		ctx->sq_head = head + n;
		/* Release: we are done reading those SQEs; pairs with the
		 * application's acquire load of the SQ head.
		 */
		smp_store_release(&ctx->sq->head, ctx->sq_head);
		mutex_unlock(&ctx->lock);
		ret = n;
	}

	if (e.flags & ASYNCX_ENTER_GETEVENTS && e.min_complete) {
		u32 want = min(e.min_complete, ctx->cq_entries);
		long err;

		ktime_t limit = ns_to_ktime(e.timeout_ns);

		if (e.timeout_ns)
			err = wait_event_interruptible_hrtimeout(ctx->cq_wait,
								 axq_cq_enough(ctx, want),
								 limit);
		else
			err = wait_event_interruptible(ctx->cq_wait,
						       axq_cq_enough(ctx, want));
		if (err == -ERESTARTSYS)
			err = -EINTR;
		if (!ret)
			ret = err;
	}
	return ret;
}

/**
 * axq_ctx_poll() - readiness of a context: readable when CQEs wait
 * @ctx: the context
 * @file: its file
 * @pt: the poll table
 *
 * Context: process context.
 * Return: EPOLLIN | EPOLLRDNORM when the CQ holds CQEs, else 0.
 */
__poll_t axq_ctx_poll(struct axq_ctx *ctx, struct file *file,
		      struct poll_table_struct *pt)
{
	poll_wait(file, &ctx->cq_wait, pt);
	/* Full barrier: our entry before the test; pairs with
	 * wq_has_sleeper() in axq_post_cqe().
	 */
	smp_mb();
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (smp_load_acquire(&ctx->ready) && axq_cq_ready(ctx))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/**
 * axq_ctx_register_eventfd() - signal an eventfd on every CQE
 * @ctx: the context
 * @arg: user pointer to the eventfd's file descriptor
 *
 * Context: process context.
 * Return: 0, -EFAULT, -EBADF or -EINVAL for a bad eventfd, -EBUSY if one
 * is registered.
 */
int axq_ctx_register_eventfd(struct axq_ctx *ctx, s32 __user *arg)
{
	struct eventfd_ctx *ev;
	s32 fd;
	int ret = 0;

	if (get_user(fd, arg))
		return -EFAULT;
	ev = eventfd_ctx_fdget(fd);
	if (IS_ERR(ev))
		return PTR_ERR(ev);
	spin_lock(&ctx->cq_lock);
	if (ctx->evfd)
		ret = -EBUSY;
	else
		ctx->evfd = ev;
	spin_unlock(&ctx->cq_lock);
	if (ret)
		eventfd_ctx_put(ev);
	return ret;
}

/**
 * axq_ctx_unregister_eventfd() - stop signalling the eventfd
 * @ctx: the context
 *
 * Context: process context.
 * Return: 0, or -ENXIO if none is registered.
 */
int axq_ctx_unregister_eventfd(struct axq_ctx *ctx)
{
	struct eventfd_ctx *ev;

	spin_lock(&ctx->cq_lock);
	ev = ctx->evfd;
	ctx->evfd = NULL;
	spin_unlock(&ctx->cq_lock);
	if (!ev)
		return -ENXIO;
	eventfd_ctx_put(ev);
	return 0;
}

/**
 * axq_ctx_show_fdinfo() - /proc/PID/fdinfo/FD of a context
 * @ctx: the context
 * @m: the seq_file
 *
 * Context: process context.
 */
void axq_ctx_show_fdinfo(struct axq_ctx *ctx, struct seq_file *m)
{
	unsigned int inflight, overflow = 0;
	struct axq_overflow_cqe *o;

	seq_printf(m, "asyncx-ctx:\t%llu\n", ctx->id);
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready)) {
		seq_puts(m, "rings:\tnone\n");
		return;
	}
	spin_lock(&ctx->inflight_lock);
	inflight = ctx->nr_inflight;
	spin_unlock(&ctx->inflight_lock);
	spin_lock(&ctx->cq_lock);
	list_for_each_entry(o, &ctx->overflow, node)
		overflow++;
	spin_unlock(&ctx->cq_lock);
	seq_printf(m, "sq-entries:\t%u\nsq-head:\t%u\nsq-tail:\t%u\n",
		   ctx->sq_entries, READ_ONCE(ctx->sq->head),
		   READ_ONCE(ctx->sq->tail));
	seq_printf(m, "cq-entries:\t%u\ncq-head:\t%u\ncq-tail:\t%u\n",
		   ctx->cq_entries, READ_ONCE(ctx->cq->head),
		   READ_ONCE(ctx->cq->tail));
	seq_printf(m, "inflight:\t%u\noverflow-pending:\t%u\n", inflight,
		   overflow);
	seq_printf(m, "overflowed:\t%u\ndropped:\t%u\n",
		   READ_ONCE(ctx->cq->overflow), READ_ONCE(ctx->sq->dropped));
}

/**
 * axq_ctx_release() - the file is closed: cancel what is in flight
 * @ctx: the context
 *
 * Requests still in flight are cancelled; they drop their context
 * reference as they finish, and the last one frees the context.
 *
 * Context: process context.
 */
void axq_ctx_release(struct axq_ctx *ctx)
{
	struct axq_req *req;

	spin_lock(&ctx->inflight_lock);
	list_for_each_entry(req, &ctx->inflight, node) {
		if (req->task)
			axq_task_cancel(req->task);
		else
			req->cancel = true;
	}
	spin_unlock(&ctx->inflight_lock);
	axq_rsrc_release(ctx);
	axq_ctx_put(ctx);
}

#define AXQ_CHECK_FIELD(type, field, offset) \
	BUILD_BUG_ON(offsetof(type, field) != (offset))

/*
 * The ABI never changes by accident: every struct size and field offset is
 * pinned (with the sizes, the offsets also pin each field's size).
 */
static void axq_abi_check(void)
{
	BUILD_BUG_ON(sizeof(struct asyncx_sqe) != 64);
	AXQ_CHECK_FIELD(struct asyncx_sqe, opcode, 0);
	AXQ_CHECK_FIELD(struct asyncx_sqe, flags, 1);
	AXQ_CHECK_FIELD(struct asyncx_sqe, prio, 2);
	AXQ_CHECK_FIELD(struct asyncx_sqe, resv0, 3);
	AXQ_CHECK_FIELD(struct asyncx_sqe, fd, 4);
	AXQ_CHECK_FIELD(struct asyncx_sqe, off, 8);
	AXQ_CHECK_FIELD(struct asyncx_sqe, addr, 16);
	AXQ_CHECK_FIELD(struct asyncx_sqe, len, 24);
	AXQ_CHECK_FIELD(struct asyncx_sqe, op_flags, 28);
	AXQ_CHECK_FIELD(struct asyncx_sqe, user_data, 32);
	AXQ_CHECK_FIELD(struct asyncx_sqe, deadline, 40);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_base_us, 48);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_cap_us, 52);
	AXQ_CHECK_FIELD(struct asyncx_sqe, group, 56);
	AXQ_CHECK_FIELD(struct asyncx_sqe, buf_index, 58);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_max, 60);
	AXQ_CHECK_FIELD(struct asyncx_sqe, cflags, 61);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_errs, 62);

	BUILD_BUG_ON(sizeof(struct asyncx_cqe) != 16);
	AXQ_CHECK_FIELD(struct asyncx_cqe, user_data, 0);
	AXQ_CHECK_FIELD(struct asyncx_cqe, res, 8);
	AXQ_CHECK_FIELD(struct asyncx_cqe, flags, 12);

	BUILD_BUG_ON(sizeof(struct asyncx_sq_offsets) != 32);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, head, 0);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, tail, 4);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, ring_mask, 8);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, ring_entries, 12);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, flags, 16);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, dropped, 20);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, resv, 24);

	BUILD_BUG_ON(sizeof(struct asyncx_cq_offsets) != 32);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, head, 0);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, tail, 4);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, ring_mask, 8);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, ring_entries, 12);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, overflow, 16);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, cqes, 20);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, resv, 24);

	BUILD_BUG_ON(sizeof(struct asyncx_params) != 96);
	AXQ_CHECK_FIELD(struct asyncx_params, sq_entries, 0);
	AXQ_CHECK_FIELD(struct asyncx_params, cq_entries, 4);
	AXQ_CHECK_FIELD(struct asyncx_params, flags, 8);
	AXQ_CHECK_FIELD(struct asyncx_params, features, 12);
	AXQ_CHECK_FIELD(struct asyncx_params, resv, 16);
	AXQ_CHECK_FIELD(struct asyncx_params, sq_off, 32);
	AXQ_CHECK_FIELD(struct asyncx_params, cq_off, 64);

	BUILD_BUG_ON(sizeof(struct asyncx_enter) != 40);
	AXQ_CHECK_FIELD(struct asyncx_enter, to_submit, 0);
	AXQ_CHECK_FIELD(struct asyncx_enter, min_complete, 4);
	AXQ_CHECK_FIELD(struct asyncx_enter, flags, 8);
	AXQ_CHECK_FIELD(struct asyncx_enter, resv0, 12);
	AXQ_CHECK_FIELD(struct asyncx_enter, timeout_ns, 16);
	AXQ_CHECK_FIELD(struct asyncx_enter, resv, 24);

	/* The ring headers as mapped: the offsets reported by setup. */
	BUILD_BUG_ON(offsetof(struct axq_cq_ring, cqes) % sizeof(struct asyncx_cqe));
}

/**
 * axq_reqs_init() - create the request caches
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int axq_reqs_init(void)
{
	static const char *const names[AXQ_REQ_NR_CACHES] = {
		"asyncx_req_s", "asyncx_req_m", "asyncx_req_p", "asyncx_req_l",
	};
	unsigned int size[AXQ_REQ_NR_CACHES] = {}, op, c;

	axq_abi_check();
	for (op = 0; op < ASYNCX_OP_LAST; op++) {
		c = axq_req_sizes[op].cache;
		size[c] = max_t(unsigned int, size[c], axq_req_sizes[op].size);
	}
	for (c = 0; c < AXQ_REQ_NR_CACHES; c++) {
		axq_req_caches[c] = kmem_cache_create(names[c], size[c],
						      __alignof__(struct axq_req),
						      0, NULL);
		if (!axq_req_caches[c]) {
			axq_reqs_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * axq_req_obj_size() - bytes of one request object in its slab cache
 * @op: an ASYNCX_OP_* opcode
 *
 * A request holds its task: this is all an operation in flight allocates
 * for itself, apart from what the op takes (a file reference, a deadline).
 *
 * Context: any context, after axq_reqs_init().
 * Return: the object size of @op's cache, alignment included.
 */
unsigned int axq_req_obj_size(unsigned int op)
{
	return kmem_cache_size(axq_req_caches[op < ASYNCX_OP_LAST ?
					      axq_req_sizes[op].cache : AXQ_REQ_S]);
}

/**
 * axq_reqs_exit() - destroy the request caches
 *
 * Context: module exit, after every task completed and the workers
 * stopped (the last reference of a task frees its request).
 */
void axq_reqs_exit(void)
{
	unsigned int c;

	for (c = 0; c < AXQ_REQ_NR_CACHES; c++) {
		kmem_cache_destroy(axq_req_caches[c]);
		axq_req_caches[c] = NULL;
	}
}
