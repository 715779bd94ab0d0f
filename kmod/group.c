// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_GROUP, JOIN and SELECT groups of requests.
 */
#include <linux/errno.h>

#include "opdef.h"

int axq_group_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	return -EOPNOTSUPP;
}

enum axq_poll axq_group_poll(struct axq_req *req, struct axq_context *cx,
			     int *res)
{
	*res = -EOPNOTSUPP;
	return AXQ_READY;
}

void axq_group_cleanup(struct axq_req *req)
{
}
