// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_NOP — completes at once, with 0 or a given result.
 */
#include <linux/errno.h>

#include "opdef.h"

/**
 * axq_nop_prep() - validate a NOP
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission.
 * Return: 0, or -EINVAL for fields NOP does not use.
 */
int axq_nop_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	if (sqe->fd || sqe->addr || sqe->off > U32_MAX)
		return -EINVAL;
	if (!(sqe->op_flags & ASYNCX_NOP_RESULT) && (sqe->len || sqe->off))
		return -EINVAL;
	req->nop.has_result = sqe->op_flags & ASYNCX_NOP_RESULT;
	req->nop.res = (s32)sqe->len;
	req->nop.attempts = sqe->off;
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
int axq_nop_issue(struct axq_req *req)
{
	unsigned int attempt = req->retry ? req->retry->attempt : 1;

	if (!req->nop.has_result ||
	    (req->nop.attempts && attempt > req->nop.attempts))
		return 0;
	return req->nop.res;
}
