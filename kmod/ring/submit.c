// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: the enter ioctl — consume SQEs (each one prepared, then run
 * inline or handed to the executor; chains and group members built here)
 * and wait for completions.
 */
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "trace.h"

#include "compose.h"
#include "cq.h"
#include "ctx.h"
#include "opdef.h"
#include "req.h"
#include "sqpoll.h"
#include "submit.h"

/**
 * struct axq_submit - a context's submission scratch space (L: ctx->lock)
 * @sqe: the private copy of the SQE being consumed (the application may
 *	change the shared one under us)
 * @batch: the CQEs of the ops completed inline, not yet posted
 * @req: where each SQE is prepared: an inline op runs there, an async one
 *	is copied out of it (big enough for any op: axq_req_alloc_proto())
 * @tries: requests to try at once (&axq_opdef.try_inline), in flight,
 *	linked through &axq_req.link in SQE order: tried after the lock is
 *	dropped (axq_req_try())
 * @tries_tail: where the next one is linked
 *
 * Not on the stack: kernels built with INIT_STACK_ALL_ZERO (Debian's) would
 * clear it on every enter, and the request on every SQE.
 */
struct axq_submit {
	struct asyncx_sqe	sqe;
	struct axq_cqe_batch	batch;
	struct axq_req		*req;
	struct axq_req		*tries;
	struct axq_req		**tries_tail;
};

/**
 * axq_submit_alloc() - a context's submission scratch space
 *
 * Context: process context (setup); may sleep.
 * Return: the scratch space, or NULL.
 */
struct axq_submit *axq_submit_alloc(void)
{
	struct axq_submit *sub;

	sub = kmalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub)
		return NULL;
	sub->req = axq_req_alloc_proto();
	if (!sub->req) {
		kfree(sub);
		return NULL;
	}
	return sub;
}

/**
 * axq_submit_free() - free what axq_submit_alloc() returned
 * @sub: the scratch space, or NULL
 */
void axq_submit_free(struct axq_submit *sub)
{
	if (!sub)
		return;
	kfree(sub->req);
	kfree(sub);
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
static void axq_chain_end(struct axq_chain *ch, struct axq_plug *plug)
{
	if (ch->head)
		axq_link_start_plug(ch->head, plug);
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
		ch->dl = axq_req_dl(req);
		return 0;
	}
	if (!ch->dl)
		return 0;
	if (axq_req_dl(req))
		return -EINVAL;
	if (axq_req_comp_get(req))
		return -ENOMEM;
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

	/* (Checked again by axq_req_prep(): the cache is the opcode's.) */
	if (sqe->opcode >= ASYNCX_OP_LAST)
		return ERR_PTR(-EINVAL);
	req = axq_req_alloc(array_index_nospec(sqe->opcode, ASYNCX_OP_LAST));
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
	if (axq_opdefs[req->opcode]->needs_mm) {
		ret = axq_req_late_alloc(req);
		if (ret)
			goto unprep;
	}
	ret = axq_req_add(ctx, req);
	if (!ret)
		return req;
unprep:
	axq_req_unprep(req);
	axq_req_late_free(req);
free:
	axq_req_free(req, array_index_nospec(sqe->opcode, ASYNCX_OP_LAST));
	return ERR_PTR(ret);
}

/* Add an SQE to the chain being built (or a one-member chain: an SQE that
 * must run on the executor, AXQ_SQE_TASK_FLAGS or a GROUP).
 */
static void axq_chain_add(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
			  struct axq_chain *ch, struct axq_plug *plug)
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
		axq_chain_end(ch, plug);
}

/*
 * A group member (not in a chain): prepare it, put it in flight, and hand
 * it to its group, which starts it now or when the group starts.
 */
static void axq_member_add(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
			   struct axq_plug *plug)
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
		axq_link_start_plug(req, plug);
	return;
post:
	axq_post_cqe(ctx, sqe->user_data, ret, 0);
}

/*
 * A plain SQE: no flags (no chain, group, deadline, retry or registered
 * file), no composition fields, and a class that needs no capability. An
 * inline op with &axq_opdef.issue_sqe runs such an SQE with no request.
 */
static bool axq_sqe_plain(const struct asyncx_sqe *sqe)
{
	return !sqe->flags && !sqe->resv0 &&
	       (sqe->prio == ASYNCX_PRIO_NORMAL || sqe->prio == ASYNCX_PRIO_LOW) &&
	       !(sqe->deadline | sqe->retry_base_us | sqe->retry_cap_us |
		 sqe->group | sqe->buf_index | sqe->retry_max | sqe->cflags |
		 sqe->retry_errs);
}

/*
 * Validate and run one SQE (a private copy); every outcome is a CQE. What
 * goes to the executor waits in @plug until the submission ends.
 */
static void axq_submit_sqe(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
			   struct axq_chain *ch, struct axq_cqe_batch *b,
			   struct axq_plug *plug)
{
	struct axq_req *req = ctx->sub->req;
	const struct axq_opdef *def;
	int ret;

	trace_asyncx_sqe_submit(ctx->id, sqe->opcode, sqe->flags,
				sqe->user_data);
	/* The fast path: an inline op with nothing to keep, no request. */
	if (likely(sqe->opcode < ASYNCX_OP_LAST) && !ch->open) {
		def = axq_opdefs[array_index_nospec(sqe->opcode, ASYNCX_OP_LAST)];
		if (def->issue_sqe && axq_sqe_plain(sqe)) {
			ret = sqe->op_flags & ~def->op_flags ? -EINVAL :
			      INDIRECT_CALL_1(def->issue_sqe, axq_nop_issue_sqe,
					      ctx, sqe);
			axq_cqe_batch_add(ctx, b, sqe->user_data, ret);
			return;
		}
	}
	if (!ch->open && sqe->flags & ASYNCX_SQE_GROUP) {
		axq_cqe_batch_flush(ctx, b);
		axq_member_add(ctx, sqe, plug);
		return;
	}
	if (ch->open || sqe->flags & (ASYNCX_SQE_LINK | AXQ_SQE_TASK_FLAGS) ||
	    sqe->opcode == ASYNCX_OP_GROUP) {
		/* These post CQEs at submission directly: keep the order. */
		axq_cqe_batch_flush(ctx, b);
		axq_chain_add(ctx, sqe, ch, plug);
		return;
	}
	ret = axq_req_prep(ctx, sqe, req);
	if (ret)
		goto post;
	def = axq_opdefs[req->opcode];
	if (def->issue) {
		ret = def->issue(req);
		goto post;
	}
	/* A try that takes no fault: here, before any allocation. */
	if (def->try_locked && def->try_locked(req, &ret)) {
		def->cleanup(req);
		goto post;
	}
	/* In flight now; tried (or started) once the lock is dropped. */
	req = axq_req_commit(ctx, req);
	if (!IS_ERR(req)) {
		if (!def->try_inline) {
			axq_link_start_plug(req, plug);
			return;
		}
		*ctx->sub->tries_tail = req;
		ctx->sub->tries_tail = &req->link;
		return;
	}
	/* (axq_req_commit() released what prep took.) */
	ret = PTR_ERR(req);
	req = ctx->sub->req;
post:
	/* Inline: axq_ctx_enter() flushes the batch and wakes the waiters
	 * once, at the end.
	 */
	axq_cqe_batch_add(ctx, b, req->user_data, ret);
}

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
 * axq_ctx_submit() - consume SQEs (as io_submit_sqes() does)
 * @ctx: the context, set up
 * @to_submit: the most SQEs to consume
 *
 * Each SQE is prepared from a private copy and run inline or handed to the
 * executor; every outcome is a CQE.
 *
 * Context: process context, in the owner's mm: the enter, or the SQ
 * thread (sqpoll.c); takes ctx->lock.
 * Return: SQEs consumed, -EBUSY while CQEs wait for room in the CQ, or
 * -EINTR when killed while another thread submits.
 */
long axq_ctx_submit(struct axq_ctx *ctx, u32 to_submit)
{
	struct axq_submit *sub = ctx->sub;
	struct axq_chain chain = {};
	struct axq_req *tries;
	struct axq_plug plug;
	u32 tail, head, n, i;

	/* Killable: another thread's submission may wait on a page fault. */
	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
	if (!axq_cq_flush(ctx)) {
		mutex_unlock(&ctx->lock);
		return -EBUSY;
	}
	head = ctx->sq_head;
	/* Acquire: pairs with the application's release store of the SQ
	 * tail, so the SQEs before it are written.
	 */
	tail = smp_load_acquire(&ctx->sq->tail);
	n = min3(to_submit, tail - head, ctx->sq_entries);
	sub->batch.nr = 0;
	sub->batch.posted = 0;
	sub->batch.sq_head = head;
	sub->tries = NULL;
	sub->tries_tail = &sub->tries;
	axq_plug_init(&plug);
	for (i = 0; i < n; i++) {
		/* One copy: the application may change it under us. */
		memcpy(&sub->sqe, &ctx->sqes[(head + i) & (ctx->sq_entries - 1)],
		       sizeof(sub->sqe));
		sub->batch.sq_head = head + i + 1;
		axq_submit_sqe(ctx, &sub->sqe, &chain, &sub->batch, &plug);
		/* Up to ASYNCX_MAX_ENTRIES SQEs per enter: no long stretch. */
		cond_resched();
	}
	axq_cqe_batch_flush(ctx, &sub->batch);
	/* A chain still open at the end of the submission ends here. */
	axq_chain_end(&chain, &plug);
	/* For the CQEs of inline ops, posted without a wake; none, none. */
	if (sub->batch.posted)
		axq_cq_wake(ctx);
	ctx->sq_head = head + n;
	/* Release: we are done reading those SQEs; pairs with the
	 * application's acquire load of the SQ head.
	 */
	smp_store_release(&ctx->sq->head, ctx->sq_head);
	tries = sub->tries;
	mutex_unlock(&ctx->lock);
	/* What goes to the executor, queued at once: one wake at most. */
	if (!axq_plug_empty(&plug))
		axq_unplug(&plug);
	/*
	 * The tries at submission (a file already ready), outside the lock:
	 * one may take a page fault on the submitter's memory. In SQE order;
	 * what is not done goes to the executor.
	 */
	while (tries) {
		struct axq_req *req = tries;

		tries = req->link;
		req->link = NULL;
		axq_req_try(req);
		cond_resched();
	}
	return n;
}

/*
 * Wait until @want CQEs are ready (as io_cqring_wait() does), for at most
 * @timeout_ns (0: no limit). Return: 0, -ETIME, -EINTR on a signal, or
 * -ERESTARTSYS when only task work interrupted the wait (TIF_NOTIFY_SIGNAL,
 * as io_uring queues it): the task work runs on the way out and the call
 * is restarted, so the application never sees it.
 */
static long axq_cq_wait(struct axq_ctx *ctx, u32 want, u64 timeout_ns)
{
	long err;

	if (timeout_ns)
		err = wait_event_interruptible_hrtimeout(ctx->cq_wait,
							 axq_cq_enough(ctx, want),
							 ns_to_ktime(timeout_ns));
	else
		err = wait_event_interruptible(ctx->cq_wait,
					       axq_cq_enough(ctx, want));
	if (err == -ERESTARTSYS && task_sigpending(current))
		return -EINTR;
	return err;
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
	struct asyncx_enter e;
	long ret = 0, err;

	BUILD_BUG_ON(sizeof(e) != 40 || ARRAY_SIZE(e.resv) != 2);
	if (axq_enter_get(&e, arg))
		return -EFAULT;
	if (e.flags & ~(ASYNCX_ENTER_GETEVENTS | ASYNCX_ENTER_SQ_WAKEUP) ||
	    e.resv0 || e.resv[0] || e.resv[1])
		return -EINVAL;
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready))
		return -EBADFD;

	if (ctx->sqp) {
		/* The SQ thread consumes; the enter wakes it at most. */
		err = axq_sqpoll_enter(ctx, e.flags & ASYNCX_ENTER_SQ_WAKEUP);
		if (err)
			return err;
		ret = e.to_submit;
	} else if (e.flags & ASYNCX_ENTER_SQ_WAKEUP) {
		return -EINVAL;
	} else if (e.to_submit) {
		ret = axq_ctx_submit(ctx, e.to_submit);
		if (ret < 0)
			return ret;
	}
	/* Every enter moves overflowed CQEs in (the submission does too). */
	if (!e.to_submit || ctx->sqp)
		axq_cq_flush(ctx);
	if (e.flags & ASYNCX_ENTER_GETEVENTS && e.min_complete) {
		u32 want = min(e.min_complete, ctx->cq_entries);
		ktime_t start;

		/* Enough already (inline ops): no clock read, no wait. */
		if (axq_cq_enough(ctx, want))
			return ret;
		start = e.timeout_ns ? ktime_get() : 0;
		err = axq_cq_wait(ctx, want, e.timeout_ns);
		if (err == -ERESTARTSYS && e.timeout_ns) {
			/* The restarted wait gets the time left (uapi). */
			s64 left = e.timeout_ns -
				   ktime_to_ns(ktime_sub(ktime_get(), start));

			if (left <= 0)
				err = -ETIME;
			else if (put_user((u64)left, &arg->timeout_ns))
				err = -EFAULT;
		}
		if (!ret)
			ret = err;
	}
	return ret;
}
