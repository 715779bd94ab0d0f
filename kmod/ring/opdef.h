/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: the table of ring operations, one row per opcode. Each row
 * lives in its op's file, with the op's state struct and functions;
 * opdef.c only lists them and checks them at load.
 */
#ifndef _ASYNCX_RING_OPDEF_H
#define _ASYNCX_RING_OPDEF_H

#include <linux/types.h>

#include <linux/asyncx.h>

#include <asyncx/runtime.h>
#include <asyncx/wait.h>

#include "compose.h"
#include "cq.h"
#include "ctx.h"
#include "req.h"

/**
 * struct axq_opdef - one opcode: every fact the ring needs about it
 * @name: the op's name ("NOP"), at most AXQ_OPDEF_NAME_MAX characters:
 *	for tracing, its request cache ("asyncx_req_NOP") and the future type
 *	of its requests in the debugfs view ("asyncx_req:NOP")
 * @cmd_size: bytes of the op's state after the request's header (its
 *	struct, reached with axq_req_cmd()); sizes the op's request cache
 * @op_flags: the op_flags bits the op accepts (others: -EINVAL)
 * @needs_mm: an inline op whose @issue reads or writes user memory: when
 *	it runs later in a chain, on a worker, it runs in the submitter's mm
 * @files: the op works on the submitter's file table or fs (creates or
 *	closes a descriptor, resolves a path): -EOPNOTSUPP in an SQPOLL
 *	context, whose SQ thread has neither (sqpoll.c)
 * @try_locked: optional, async ops: a try at preparation, under the
 *	context's lock, on the request where the submission prepares it, that
 *	neither waits long nor takes a page fault (a timeout already due, a
 *	ready socket or pipe, a page-cache hit copied with page faults
 *	disabled): true with *@res when done, which then costs no allocation
 *	and posts its CQE with the batch of inline ones; false to go on as
 *	usual (@try_inline after the lock, or the executor)
 * @chain_ok: the chain policy: given a request whose CQE is out (with
 *	&axq_req.res), does the chain go on to the next request?
 *	axq_chain_ok_res() for most ops
 * @prep: validate the SQE and copy what the op needs into @req; runs in
 *	the submitter's context (its mm: user pointers are read here).
 *	Return 0 or a negative errno for the CQE.
 * @issue: inline ops: do the work at submission (in a chain: when the
 *	chain reaches the op, on a worker); return the CQE's result
 * @issue_sqe: optional, inline ops that keep no state: validate and do the
 *	work straight from the SQE, with no request at all, as @prep then
 *	@issue would for it; the submission calls it for a *plain* SQE
 *	(axq_sqe_plain(): no flags, no composition fields, not HIGH) whose
 *	op_flags the op accepts, and posts its result with the batch of
 *	inline CQEs. It must give exactly what @prep and @issue give (the
 *	opdef KUnit suite compares them); returns the CQE's result
 * @poll: async ops: the request's future; on AXQ_READY *@res is the CQE's
 *	result. Runs on an executor worker.
 * @try_inline: optional, async ops: at submission (outside chains), in
 *	the submitter's context, once the context's lock is dropped (the
 *	request is in flight already: axq_req_try()), try to finish at once
 *	without blocking or waiting (a timeout already due, a file already ready); return true
 *	with *@res set when done: then @cleanup runs and the CQE is posted
 *	without the executor; false to start the request as usual; true
 *	with *@res -EIOCBQUEUED when the op has handed the request to
 *	something that retires it later (axq_req_retire(), in process
 *	context; an O_DIRECT read's completion, from the submitter's task
 *	work): it is not started, and no longer the submission's
 * @link: optional: a chain reached the request and is about to start it
 *	(it was prepared earlier, at submission); process context
 * @reset: optional, async ops: return the request to where @prep left it,
 *	keeping what @prep took, so that @poll runs the op again (a retry,
 *	ASYNCX_SQE_RETRY); without it, only inline ops can be retried
 * @done: optional, async ops: the request's final CQE is about to be
 *	posted from its poll (it completed, or its deadline passed): release
 *	what the user may reuse as soon as that CQE is seen (a group's id).
 *	On a worker; @cleanup still runs later
 * @stop: optional, async ops: a CANCEL, a passed deadline or a SELECT
 *	group is about to stop the request: return false when it cannot be
 *	stopped now (a device has its O_DIRECT I/O, which would write the
 *	buffer after the CQE said it was stopped): then the CANCEL answers
 *	-EALREADY and the request completes with its own result. Returning
 *	true, the op must start nothing the stop would not wait for. Under
 *	ctx->inflight_lock or in the request's poll; never sleeps
 * @cleanup: async ops: release what @prep took (files, mm) and what @poll
 *	set up (timers, wakers); runs once, when the request is dropped or
 *	could not be started (then @poll never ran), in process context
 * @unprep: optional, async ops: instead of @cleanup, for a request whose
 *	SQE was refused after @prep succeeded (a later check of the same SQE
 *	failed): undo @prep as if the SQE had never been seen (a GROUP frees
 *	its id at once). At submission, in the submitter's context
 *
 * Exactly one of @issue and @poll is set. axq_opdef_missing() names what a
 * row lacks; the module refuses to load with such a row.
 */
struct axq_opdef {
	const char *name;
	u16 cmd_size;
	u32 op_flags;
	bool needs_mm;
	bool files;
	bool (*chain_ok)(const struct axq_req *req);
	int (*prep)(struct axq_req *req, const struct asyncx_sqe *sqe);
	int (*issue)(struct axq_req *req);
	int (*issue_sqe)(struct axq_ctx *ctx, const struct asyncx_sqe *sqe);
	enum axq_poll (*poll)(struct axq_req *req, struct axq_context *cx,
			      int *res);
	bool (*try_inline)(struct axq_req *req, int *res);
	bool (*try_locked)(struct axq_req *req, int *res);
	void (*link)(struct axq_req *req);
	void (*reset)(struct axq_req *req);
	void (*done)(struct axq_req *req);
	bool (*stop)(struct axq_req *req);
	void (*cleanup)(struct axq_req *req);
	void (*unprep)(struct axq_req *req);
};

/* Inline ops with &axq_opdef.issue_sqe, called directly (INDIRECT_CALL_1). */
int axq_nop_issue_sqe(struct axq_ctx *ctx, const struct asyncx_sqe *sqe);

/* The longest name of an op. */
#define AXQ_OPDEF_NAME_MAX	15

/* Where each op's row lives. */
extern const struct axq_opdef axq_op_nop;		/* nop.c */
extern const struct axq_opdef axq_op_timeout;		/* timeout.c */
extern const struct axq_opdef axq_op_cancel;		/* cancel.c */
extern const struct axq_opdef axq_op_probe;		/* probe.c */
extern const struct axq_opdef axq_op_poll;		/* poll.c */
extern const struct axq_opdef axq_op_read;		/* rw.c */
extern const struct axq_opdef axq_op_write;		/* rw.c */
extern const struct axq_opdef axq_op_group;		/* group.c */
extern const struct axq_opdef axq_op_send;		/* rchan.c */
extern const struct axq_opdef axq_op_recv;		/* rchan.c */
extern const struct axq_opdef axq_op_readv;		/* rw.c */
extern const struct axq_opdef axq_op_writev;		/* rw.c */
extern const struct axq_opdef axq_op_fsync;		/* fs.c */
extern const struct axq_opdef axq_op_fallocate;		/* fs.c */
extern const struct axq_opdef axq_op_openat;		/* fs.c */
extern const struct axq_opdef axq_op_close;		/* fs.c */
extern const struct axq_opdef axq_op_statx;		/* fs.c */
extern const struct axq_opdef axq_op_sock_send;		/* rw.c */
extern const struct axq_opdef axq_op_sock_recv;		/* rw.c */
extern const struct axq_opdef axq_op_accept;		/* net.c */
extern const struct axq_opdef axq_op_connect;		/* net.c */
extern const struct axq_opdef axq_op_shutdown;		/* net.c */
extern const struct axq_opdef axq_op_sendmsg;		/* rw.c */
extern const struct axq_opdef axq_op_recvmsg;		/* rw.c */

extern const struct axq_opdef *const axq_opdefs[ASYNCX_OP_LAST];

bool axq_chain_ok_res(const struct axq_req *req);
int axq_rw_init(void);
void axq_rw_quiesce(void);
void axq_rw_exit(void);
const char *axq_opdef_missing(const struct axq_opdef *d);
int axq_opdefs_check(void);

#endif /* _ASYNCX_RING_OPDEF_H */
