// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_PROBE — report the opcodes and op_flags this module
 * supports, so programs can adapt to older or newer modules.
 */
#include <linux/errno.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "opdef.h"

/* PROBE's state (probe.c). */
struct axq_probe_cmd {
	u64		addr;
	unsigned int	nr;
};

/**
 * axq_probe_prep() - validate a PROBE
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission.
 * Return: 0, or -EINVAL for fields PROBE does not use or a buffer too big
 * to be one.
 */
static int axq_probe_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_probe_cmd *pr = axq_req_cmd(req, struct axq_probe_cmd);

	if (sqe->fd || sqe->off || sqe->len > 256)
		return -EINVAL;
	pr->addr = sqe->addr;
	pr->nr = sqe->len;
	return 0;
}

/**
 * axq_probe_issue() - fill in the user's struct asyncx_probe
 * @req: the request
 *
 * Context: submission, in the submitter's mm.
 * Return: 0, -EFAULT, -EINVAL if the reserved fields are not zero, or
 * -ENOMEM.
 */
static int axq_probe_issue(struct axq_req *req)
{
	struct axq_probe_cmd *pr = axq_req_cmd(req, struct axq_probe_cmd);

	void __user *uaddr = u64_to_user_ptr(pr->addr);
	unsigned int n = min_t(unsigned int, pr->nr, ASYNCX_OP_LAST);
	struct asyncx_probe *p;
	size_t size = struct_size(p, ops, pr->nr);
	unsigned int op;
	int ret = 0;

	p = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	if (copy_from_user(p, uaddr, size)) {
		ret = -EFAULT;
		goto out;
	}
	if (p->resv || memchr_inv(p->resv2, 0, sizeof(p->resv2))) {
		ret = -EINVAL;
		goto out;
	}
	memset(p, 0, size);
	p->last_op = ASYNCX_OP_LAST - 1;
	p->ops_len = n;
	for (op = 0; op < n; op++) {
		p->ops[op].op = op;
		p->ops[op].flags = ASYNCX_PROBE_OP_SUPPORTED;
		p->ops[op].op_flags = axq_opdefs[op]->op_flags;
	}
	if (copy_to_user(uaddr, p, size))
		ret = -EFAULT;
out:
	kfree(p);
	return ret;
}

const struct axq_opdef axq_op_probe = {
	.name		= "PROBE",
	.cmd_size	= sizeof(struct axq_probe_cmd),
	.needs_mm	= true,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_probe_prep,
	.issue		= axq_probe_issue,
};
