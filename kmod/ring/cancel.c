// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_CANCEL — cancel operations in flight on the context,
 * by user_data or all of them. The cancelled ones complete with -ECANCELED
 * when their drop runs on a worker.
 */
#include <linux/errno.h>
#include <linux/hash.h>

#include "opdef.h"

/* CANCEL's state (cancel.c). */
struct axq_cancel_cmd {
	bool	all;
	u64	target;
};

/**
 * axq_cancel_prep() - validate a CANCEL
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission.
 * Return: 0, or -EINVAL for fields CANCEL does not use.
 */
static int axq_cancel_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_cancel_cmd *c = axq_req_cmd(req, struct axq_cancel_cmd);

	if (sqe->fd || sqe->off || sqe->len)
		return -EINVAL;
	if ((sqe->op_flags & ASYNCX_CANCEL_ALL) && sqe->addr)
		return -EINVAL;
	c->all = sqe->op_flags & ASYNCX_CANCEL_ALL;
	c->target = sqe->addr;
	return 0;
}

/* Ask one request to stop. L: ctx->inflight_lock. */
static int axq_cancel_one(struct axq_req *victim)
{
	lockdep_assert_held(&victim->ctx->inflight_lock);
	/* A device has its I/O: it completes with its own result. */
	if (!axq_req_stoppable(victim))
		return -EALREADY;
	if (victim->task_ref)
		return axq_task_cancel(&victim->etask);
	if (victim->cancel)
		return -EALREADY;
	victim->cancel = true;	/* seen by its first poll */
	return 0;
}

/**
 * axq_cancel_issue() - cancel the matching requests
 * @req: the request
 *
 * Context: submission; takes ctx->inflight_lock.
 * Return: 0, -ENOENT or -EALREADY for one; the number cancelled for all.
 */
static int axq_cancel_issue(struct axq_req *req)
{
	struct axq_cancel_cmd *c = axq_req_cmd(req, struct axq_cancel_cmd);
	struct axq_ctx *ctx = req->ctx;
	struct axq_req *victim, *oldest = NULL;
	struct hlist_head *bucket;
	int ret = c->all ? 0 : -ENOENT;

	spin_lock(&ctx->inflight_lock);
	if (c->all) {
		list_for_each_entry(victim, &ctx->inflight, node) {
			/* In a chain, a CANCEL is in flight itself. */
			if (victim != req && !axq_cancel_one(victim))
				ret++;
		}
		spin_unlock(&ctx->inflight_lock);
		return ret;
	}
	/*
	 * One: its bucket only. The oldest match is the one cancelled: the
	 * last in the bucket, where each request goes in at the head.
	 */
	bucket = &ctx->cancel_hash[hash_64(c->target, ctx->cancel_bits)];
	hlist_for_each_entry(victim, bucket, hnode)
		if (victim != req && victim->user_data == c->target)
			oldest = victim;
	if (oldest)
		ret = axq_cancel_one(oldest);
	spin_unlock(&ctx->inflight_lock);
	return ret;
}

const struct axq_opdef axq_op_cancel = {
	.name		= "CANCEL",
	.cmd_size	= sizeof(struct axq_cancel_cmd),
	.op_flags	= ASYNCX_CANCEL_ALL,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_cancel_prep,
	.issue		= axq_cancel_issue,
};
