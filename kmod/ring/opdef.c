// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: the table of ring operations. Adding an op = one enum value
 * in the uapi header, one file with its state struct, its functions and its
 * row (struct axq_opdef), and that row's line here.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "opdef.h"

/* (Exported for the KUnit suite asyncx_opdef only, hence the namespace.) */
const struct axq_opdef *const axq_opdefs[ASYNCX_OP_LAST] = {
	[ASYNCX_OP_NOP]		= &axq_op_nop,
	[ASYNCX_OP_TIMEOUT]	= &axq_op_timeout,
	[ASYNCX_OP_CANCEL]	= &axq_op_cancel,
	[ASYNCX_OP_PROBE]	= &axq_op_probe,
	[ASYNCX_OP_POLL]	= &axq_op_poll,
	[ASYNCX_OP_READ]	= &axq_op_read,
	[ASYNCX_OP_WRITE]	= &axq_op_write,
	[ASYNCX_OP_GROUP]	= &axq_op_group,
	[ASYNCX_OP_SEND]	= &axq_op_send,
	[ASYNCX_OP_RECV]	= &axq_op_recv,
	[ASYNCX_OP_READV]	= &axq_op_readv,
	[ASYNCX_OP_WRITEV]	= &axq_op_writev,
	[ASYNCX_OP_FSYNC]	= &axq_op_fsync,
	[ASYNCX_OP_FALLOCATE]	= &axq_op_fallocate,
	[ASYNCX_OP_OPENAT]	= &axq_op_openat,
	[ASYNCX_OP_CLOSE]	= &axq_op_close,
	[ASYNCX_OP_STATX]	= &axq_op_statx,
	[ASYNCX_OP_SOCK_SEND]	= &axq_op_sock_send,
	[ASYNCX_OP_SOCK_RECV]	= &axq_op_sock_recv,
	[ASYNCX_OP_ACCEPT]	= &axq_op_accept,
	[ASYNCX_OP_CONNECT]	= &axq_op_connect,
	[ASYNCX_OP_SHUTDOWN]	= &axq_op_shutdown,
	[ASYNCX_OP_SENDMSG]	= &axq_op_sendmsg,
	[ASYNCX_OP_RECVMSG]	= &axq_op_recvmsg,
};
EXPORT_SYMBOL_NS_GPL(axq_opdefs, ASYNCX_INTERNAL);

/**
 * axq_chain_ok_res() - the usual chain policy: the chain goes on after a
 * request that succeeded
 * @req: the request, its CQE posted
 *
 * Return: true when its result is not negative.
 */
bool axq_chain_ok_res(const struct axq_req *req)
{
	return req->res >= 0;
}
EXPORT_SYMBOL_NS_GPL(axq_chain_ok_res, ASYNCX_INTERNAL);

/* A request's state is at most this big: one page for header and state. */
#define AXQ_CMD_SIZE_MAX	(PAGE_SIZE - AXQ_REQ_CMD_OFFSET)

/**
 * axq_opdef_missing() - what a row of the op table lacks
 * @d: the row, or NULL (an opcode without one)
 *
 * Every row needs its name (at most AXQ_OPDEF_NAME_MAX characters), its
 * state's size, a chain policy, a prep and exactly one of issue (inline
 * ops) and poll (async ops); the hooks of async ops (try_inline, reset,
 * done, stop, cleanup, unprep) make no sense on an inline op.
 *
 * Context: any context.
 * Return: NULL for a whole row, else the name of the first fact missing
 * (or wrong).
 */
const char *axq_opdef_missing(const struct axq_opdef *d)
{
	if (!d)
		return "row";
	if (!d->name || strlen(d->name) > AXQ_OPDEF_NAME_MAX)
		return "name";
	if (!d->cmd_size || d->cmd_size > AXQ_CMD_SIZE_MAX)
		return "cmd_size";
	if (!d->chain_ok)
		return "chain_ok";
	if (!d->prep)
		return "prep";
	if (!d->issue == !d->poll)
		return "issue or poll";
	if (d->issue && (d->cleanup || d->try_inline || d->reset || d->done ||
			 d->stop || d->unprep))
		return "an inline op's async hooks";
	if (d->issue && d->try_locked)
		return "an inline op's async hooks";
	if (d->issue_sqe && !d->issue)
		return "issue (an async op has no issue_sqe)";
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(axq_opdef_missing, ASYNCX_INTERNAL);

/**
 * axq_opdefs_check() - check at load that every opcode has a whole row
 *
 * Context: module init.
 * Return: 0, or -EINVAL (with the opcode and the fact in the log).
 */
int axq_opdefs_check(void)
{
	const char *missing;
	unsigned int op;

	BUILD_BUG_ON(ARRAY_SIZE(axq_opdefs) != ASYNCX_OP_LAST);
	for (op = 0; op < ASYNCX_OP_LAST; op++) {
		missing = axq_opdef_missing(axq_opdefs[op]);
		if (missing) {
			pr_err("asyncx: opcode %u: its row lacks %s\n", op,
			       missing);
			return -EINVAL;
		}
	}
	return 0;
}
