// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: the table of ring operations. Adding an op = one enum value in
 * the uapi header, one row here, one file with its prep and issue or poll.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>

#include "opdef.h"

const struct axq_opdef axq_opdefs[ASYNCX_OP_LAST] = {
	[ASYNCX_OP_NOP] = {
		.name		= "NOP",
		.op_flags	= ASYNCX_NOP_RESULT,
		.prep		= axq_nop_prep,
		.issue		= axq_nop_issue,
	},
	[ASYNCX_OP_TIMEOUT] = {
		.name		= "TIMEOUT",
		.op_flags	= ASYNCX_TIMEOUT_ABS | ASYNCX_TIMEOUT_MULTISHOT,
		.prep		= axq_timeout_prep,
		.poll		= axq_timeout_poll,
		.try_inline	= axq_timeout_try_inline,
		.link		= axq_timeout_link,
		.cleanup	= axq_timeout_cleanup,
	},
	[ASYNCX_OP_CANCEL] = {
		.name		= "CANCEL",
		.op_flags	= ASYNCX_CANCEL_ALL,
		.prep		= axq_cancel_prep,
		.issue		= axq_cancel_issue,
	},
	[ASYNCX_OP_PROBE] = {
		.name		= "PROBE",
		.needs_mm	= true,
		.prep		= axq_probe_prep,
		.issue		= axq_probe_issue,
	},
	[ASYNCX_OP_POLL] = {
		.name		= "POLL",
		.op_flags	= ASYNCX_POLL_MULTISHOT,
		.prep		= axq_poll_prep,
		.poll		= axq_poll_poll,
		.try_inline	= axq_poll_try_inline,
		.reset		= axq_poll_reset,
		.cleanup	= axq_poll_cleanup,
	},
	[ASYNCX_OP_READ] = {
		.name		= "READ",
		.op_flags	= ASYNCX_RW_FIXED,
		.prep		= axq_rw_prep,
		.poll		= axq_rw_poll,
		.try_inline	= axq_rw_try_inline,
		.reset		= axq_rw_reset,
		.cleanup	= axq_rw_cleanup,
	},
	[ASYNCX_OP_WRITE] = {
		.name		= "WRITE",
		.op_flags	= ASYNCX_RW_FIXED,
		.prep		= axq_rw_prep,
		.poll		= axq_rw_poll,
		.try_inline	= axq_rw_try_inline,
		.reset		= axq_rw_reset,
		.cleanup	= axq_rw_cleanup,
	},
	[ASYNCX_OP_GROUP] = {
		.name		= "GROUP",
		.op_flags	= ASYNCX_GROUP_SELECT,
		.prep		= axq_group_prep,
		.poll		= axq_group_poll,
		.done		= axq_group_close,
		.cleanup	= axq_group_cleanup,
	},
	[ASYNCX_OP_SEND] = {
		.name		= "SEND",
		.prep		= axq_send_prep,
		.poll		= axq_send_poll,
		.try_inline	= axq_send_try_inline,
		.cleanup	= axq_send_cleanup,
	},
	[ASYNCX_OP_RECV] = {
		.name		= "RECV",
		.op_flags	= ASYNCX_RECV_MULTISHOT,
		.prep		= axq_recv_prep,
		.poll		= axq_recv_poll,
		.cleanup	= axq_recv_cleanup,
	},
};

/**
 * axq_opdefs_check() - check at init that every row of the table is whole
 *
 * Context: module init.
 * Return: 0, or -EINVAL (with a warning) for a malformed row.
 */
int axq_opdefs_check(void)
{
	unsigned int op;

	BUILD_BUG_ON(ARRAY_SIZE(axq_opdefs) != ASYNCX_OP_LAST);
	for (op = 0; op < ASYNCX_OP_LAST; op++) {
		const struct axq_opdef *d = &axq_opdefs[op];

		if (WARN(!d->name || !d->prep || !d->issue == !d->poll ||
			 ((d->cleanup || d->try_inline || d->reset || d->done) &&
			  !d->poll),
			 "asyncx: opcode %u is malformed\n", op))
			return -EINVAL;
	}
	return 0;
}
