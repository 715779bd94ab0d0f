// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_NOP — completes at once, with 0 or a given result.
 */
#include <linux/errno.h>

#include "opdef.h"

/* NOP's state (nop.c). */
struct axq_nop_cmd {
	bool	has_result;
	s32	res;
	u32	attempts;	/* the result for these attempts only, or 0: all */
};

/* The fields NOP reads are valid: 0 or -EINVAL. */
static int axq_nop_check(const struct asyncx_sqe *sqe)
{
	if (sqe->fd || sqe->addr || sqe->off > U32_MAX)
		return -EINVAL;
	if (!(sqe->op_flags & ASYNCX_NOP_RESULT) && (sqe->len || sqe->off))
		return -EINVAL;
	return 0;
}

/**
 * axq_nop_prep() - validate a NOP
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission.
 * Return: 0, or -EINVAL for fields NOP does not use.
 */
static int axq_nop_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_nop_cmd *n = axq_req_cmd(req, struct axq_nop_cmd);
	int ret = axq_nop_check(sqe);

	if (ret)
		return ret;
	n->has_result = sqe->op_flags & ASYNCX_NOP_RESULT;
	n->res = (s32)sqe->len;
	n->attempts = sqe->off;
	return 0;
}

/**
 * axq_nop_issue() - complete a NOP
 * @req: the request
 *
 * Context: submission.
 * Return: 0, or the result the SQE asked for: by every attempt, or with
 * off = n by the first n attempts only (ASYNCX_SQE_RETRY).
 */
static int axq_nop_issue(struct axq_req *req)
{
	struct axq_nop_cmd *n = axq_req_cmd(req, struct axq_nop_cmd);
	struct axq_req_retry *r = axq_req_retry(req);
	unsigned int attempt = r ? r->attempt : 1;

	if (!n->has_result ||
	    (n->attempts && attempt > n->attempts))
		return 0;
	return n->res;
}

/**
 * axq_nop_issue_sqe() - a plain NOP, straight from its SQE
 * @ctx: the context
 * @sqe: the SQE (a private copy), plain (no ASYNCX_SQE_RETRY: the first
 *	and only attempt)
 *
 * Context: submission, under the context's lock.
 * Return: what axq_nop_prep() and axq_nop_issue() give.
 */
int axq_nop_issue_sqe(struct axq_ctx *ctx, const struct asyncx_sqe *sqe)
{
	int ret = axq_nop_check(sqe);

	if (ret || !(sqe->op_flags & ASYNCX_NOP_RESULT))
		return ret;
	/* off = n > 0: the first n attempts; this is the first. */
	return (s32)sqe->len;
}

const struct axq_opdef axq_op_nop = {
	.name		= "NOP",
	.cmd_size	= sizeof(struct axq_nop_cmd),
	.op_flags	= ASYNCX_NOP_RESULT,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_nop_prep,
	.issue		= axq_nop_issue,
	.issue_sqe	= axq_nop_issue_sqe,
};
