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

	if (sqe->fd || sqe->addr || sqe->off > U32_MAX)
		return -EINVAL;
	if (!(sqe->op_flags & ASYNCX_NOP_RESULT) && (sqe->len || sqe->off))
		return -EINVAL;
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
	unsigned int attempt = req->retry ? req->retry->attempt : 1;

	if (!n->has_result ||
	    (n->attempts && attempt > n->attempts))
		return 0;
	return n->res;
}

const struct axq_opdef axq_op_nop = {
	.name		= "NOP",
	.cmd_size	= sizeof(struct axq_nop_cmd),
	.op_flags	= ASYNCX_NOP_RESULT,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_nop_prep,
	.issue		= axq_nop_issue,
};
