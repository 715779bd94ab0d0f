/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: the table of ring operations, one row per opcode.
 */
#ifndef _ASYNCX_OPDEF_H
#define _ASYNCX_OPDEF_H

#include "compose.h"
#include "ctx.h"
#include "event.h"

/**
 * struct axq_opdef - how one opcode is prepared and run
 * @name: the op's name, for tracing
 * @op_flags: the op_flags bits the op accepts (others: -EINVAL)
 * @needs_mm: an inline op whose @issue reads or writes user memory: when
 *	it runs later in a chain, on a worker, it runs in the submitter's mm
 * @prep: validate the SQE and copy what the op needs into @req; runs in
 *	the submitter's context (its mm: user pointers are read here).
 *	Return 0 or a negative errno for the CQE.
 * @issue: inline ops: do the work at submission (in a chain: when the
 *	chain reaches the op, on a worker); return the CQE's result
 * @poll: async ops: the request's future; on AXQ_READY *@res is the CQE's
 *	result. Runs on an executor worker.
 * @try_inline: optional, async ops: at submission (outside chains), in
 *	the submitter's context, try to finish at once without blocking or
 *	waiting (a timeout already due, a file already ready); return true
 *	with *@res set when done: then @cleanup runs and the CQE is posted
 *	without the executor; false to start the request as usual
 * @link: optional: a chain reached the request and is about to start it
 *	(it was prepared earlier, at submission); process context
 * @reset: optional, async ops: return the request to where @prep left it,
 *	keeping what @prep took, so that @poll runs the op again (a retry,
 *	ASYNCX_SQE_RETRY); without it, only inline ops can be retried
 * @done: optional, async ops: the request's final CQE is about to be
 *	posted from its poll (it completed, or its deadline passed): release
 *	what the user may reuse as soon as that CQE is seen (a group's id).
 *	On a worker; @cleanup still runs later
 * @cleanup: async ops: release what @prep took (files, mm) and what @poll
 *	set up (timers, wakers); runs once, when the request is dropped or
 *	could not be started (then @poll never ran), in process context
 *
 * Exactly one of @issue and @poll is set.
 */
struct axq_opdef {
	const char *name;
	u32 op_flags;
	bool needs_mm;
	int (*prep)(struct axq_req *req, const struct asyncx_sqe *sqe);
	int (*issue)(struct axq_req *req);
	enum axq_poll (*poll)(struct axq_req *req, struct axq_context *cx,
			      int *res);
	bool (*try_inline)(struct axq_req *req, int *res);
	void (*link)(struct axq_req *req);
	void (*reset)(struct axq_req *req);
	void (*done)(struct axq_req *req);
	void (*cleanup)(struct axq_req *req);
};

extern const struct axq_opdef axq_opdefs[ASYNCX_OP_LAST];

int axq_nop_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
int axq_nop_issue(struct axq_req *req);
int axq_timeout_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
enum axq_poll axq_timeout_poll(struct axq_req *req, struct axq_context *cx,
			       int *res);
void axq_timeout_link(struct axq_req *req);
bool axq_timeout_try_inline(struct axq_req *req, int *res);
void axq_timeout_cleanup(struct axq_req *req);
int axq_cancel_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
int axq_cancel_issue(struct axq_req *req);
int axq_probe_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
int axq_probe_issue(struct axq_req *req);
int axq_poll_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
enum axq_poll axq_poll_poll(struct axq_req *req, struct axq_context *cx,
			    int *res);
void axq_poll_cleanup(struct axq_req *req);
void axq_poll_reset(struct axq_req *req);
bool axq_poll_try_inline(struct axq_req *req, int *res);
int axq_rw_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
enum axq_poll axq_rw_poll(struct axq_req *req, struct axq_context *cx,
			  int *res);
void axq_rw_cleanup(struct axq_req *req);
void axq_rw_reset(struct axq_req *req);
bool axq_rw_try_inline(struct axq_req *req, int *res);
int axq_group_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
enum axq_poll axq_group_poll(struct axq_req *req, struct axq_context *cx,
			     int *res);
void axq_group_close(struct axq_req *req);
void axq_group_cleanup(struct axq_req *req);
int axq_send_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
enum axq_poll axq_send_poll(struct axq_req *req, struct axq_context *cx,
			    int *res);
bool axq_send_try_inline(struct axq_req *req, int *res);
void axq_send_cleanup(struct axq_req *req);
int axq_recv_prep(struct axq_req *req, const struct asyncx_sqe *sqe);
enum axq_poll axq_recv_poll(struct axq_req *req, struct axq_context *cx,
			    int *res);
void axq_recv_cleanup(struct axq_req *req);

/* Channels on a context (chan.c): the ioctls and the context's life. */
void axq_rchan_ctx_init(struct axq_ctx *ctx);
void axq_rchan_ctx_release(struct axq_ctx *ctx);
int axq_rchan_create(struct axq_ctx *ctx,
		     struct asyncx_chan_params __user *arg);
int axq_rchan_destroy(struct axq_ctx *ctx, u32 __user *arg);
void axq_rchan_show_fdinfo(struct axq_ctx *ctx, struct seq_file *m);

int axq_opdefs_check(void);

#endif /* _ASYNCX_OPDEF_H */
