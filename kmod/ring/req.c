// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: requests — an operation between its SQE and its CQE: its
 * allocation (one cache per opcode, sized by the op's row), preparation
 * from an SQE, the future that runs it on the executor, links (chains) and
 * retirement.
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "rt/task.h"
#include "trace.h"

#include "compose.h"
#include "cq.h"
#include "iowq.h"
#include "ctx.h"
#include "limits.h"
#include "opdef.h"
#include "req.h"
#include "rsrc.h"

static struct kmem_cache *axq_req_caches[ASYNCX_OP_LAST];

/*
 * The largest request of any op, and at least a whole struct axq_req: the
 * submission's scratch request.
 */
static unsigned int axq_req_max __ro_after_init = sizeof(struct axq_req);

/**
 * axq_req_size() - bytes of a request of one opcode: the header and the
 * op's state (&axq_opdef.cmd_size)
 * @op: an opcode below ASYNCX_OP_LAST
 *
 * Return: the size.
 */
unsigned int axq_req_size(unsigned int op)
{
	return AXQ_REQ_CMD_OFFSET + axq_opdefs[op]->cmd_size;
}
EXPORT_SYMBOL_NS_GPL(axq_req_size, ASYNCX_INTERNAL);

/**
 * axq_req_alloc() - a request for an opcode, not yet prepared
 * @op: an opcode below ASYNCX_OP_LAST
 *
 * Context: process context; may sleep.
 * Return: the request, or NULL.
 */
struct axq_req *axq_req_alloc(unsigned int op)
{
	return kmem_cache_alloc(axq_req_caches[op], GFP_KERNEL_ACCOUNT);
}

/**
 * axq_req_free() - free a request allocated for an opcode
 * @req: the request (never started, or its task released it)
 * @op: the opcode it was allocated for
 */
void axq_req_free(struct axq_req *req, unsigned int op)
{
	kmem_cache_free(axq_req_caches[op], req);
}

/**
 * axq_req_alloc_proto() - a request big enough for any opcode: where a
 * submission prepares each SQE
 *
 * Context: process context; may sleep.
 * Return: the request, or NULL; kfree() it.
 */
struct axq_req *axq_req_alloc_proto(void)
{
	return kmalloc(axq_req_max, GFP_KERNEL_ACCOUNT);
}

static unsigned int max_inflight = 65536;
module_param(max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight,
		 "Operations in flight per context; more complete with -EBUSY (default 65536)");

/**
 * DOC: links
 *
 * An SQE with ASYNCX_SQE_LINK links the next SQE of the submission to it:
 * a chain runs in SQE order, one request at a time, each starting when its
 * predecessor's CQE has been posted. Every member is prepared at submission
 * (files, user pointers, the submitter's mm are taken then), is in flight
 * from then on (counted, cancellable by user_data, cancelled by close) and
 * is owned by its predecessor until that one is dropped. A member that fails
 * completes the rest of its chain with -ECANCELED: a negative result, a
 * short READ or WRITE, a cancelled member, or one whose preparation failed
 * (then every member of the chain completes: the failing one with its
 * errno, the others with -ECANCELED). A TIMEOUT's -ETIME is its normal
 * result and does not break a chain. Inline ops in a chain run as tasks too,
 * when their turn comes; PROBE then writes through the submitter's mm. The
 * chain ends at the first SQE without the flag, or at the end of the
 * submission (enter's to_submit).
 */

static void axq_req_drop(struct axq_future *fut);
static void axq_req_release(struct axq_future *fut);

/* The flags of a request's last CQE, whose result is @res. */
static u32 axq_req_cqe_flags(struct axq_req *req, int res)
{
	u32 flags = req->cqe_flags;

	if (likely(!req->comp))
		return flags;
	if (req->comp->retry)
		flags |= (u32)req->comp->retry->attempt << 8;
	if (req->comp->group && axq_group_win(req, res))
		flags |= ASYNCX_CQE_F_WINNER;
	return flags;
}

/**
 * axq_req_comp_get() - give a request its &struct axq_req_comp
 * @req: a request being prepared or submitted, not yet started
 *
 * Context: submission; may sleep.
 * Return: 0 (it has one already, or now), or -ENOMEM.
 */
int axq_req_comp_get(struct axq_req *req)
{
	if (req->comp)
		return 0;
	req->comp = kzalloc(sizeof(*req->comp), GFP_KERNEL_ACCOUNT);
	if (!req->comp)
		return -ENOMEM;
	req->comp->req = req;
	return 0;
}

/* Free it, its deadline, retry policy and group let go of. */
static void axq_req_comp_free(struct axq_req *req)
{
	kfree(req->comp);
	req->comp = NULL;
}

/**
 * struct axq_req_late - the issue of an inline op that touches user memory
 *	(&axq_opdef.needs_mm), when it starts on the executor: it runs on an
 *	I/O worker (iowq.c), never on the executor's shared workers (a fault on
 *	the user's memory may sleep)
 * @mm: the submitter's (mmgrab()bed)
 * @req: the request
 * @io: the issue, on an I/O worker
 */
struct axq_req_late {
	struct mm_struct	*mm;
	struct axq_req		*req;
	struct axq_io_work	io;
};

static long axq_req_late_fn(struct axq_io_work *w)
{
	struct axq_req_late *late = container_of(w, struct axq_req_late, io);
	struct axq_req *req = late->req;
	int ret;

	/* The process may have exited: then there is no memory to write. */
	if (!mmget_not_zero(late->mm))
		return -EFAULT;
	kthread_use_mm(late->mm);
	ret = axq_opdefs[req->opcode]->issue(req);
	kthread_unuse_mm(late->mm);
	mmput(late->mm);
	return ret;
}

/**
 * axq_req_late_alloc() - prepare an inline op's issue on an I/O worker
 * @req: a request of a &axq_opdef.needs_mm op, prepared
 *
 * Context: submission, in the submitter's mm.
 * Return: 0 or -ENOMEM.
 */
int axq_req_late_alloc(struct axq_req *req)
{
	struct axq_req_late *late;

	late = kmalloc(sizeof(*late), GFP_KERNEL_ACCOUNT);
	if (!late)
		return -ENOMEM;
	late->mm = current->mm;
	mmgrab(late->mm);
	late->req = req;
	axq_io_work_init(&late->io, axq_req_late_fn);
	req->late = late;
	return 0;
}

static void axq_req_late_release(struct axq_io_work *w)
{
	struct axq_req_late *late = container_of(w, struct axq_req_late, io);

	mmdrop(late->mm);
	kfree(late);
}

/**
 * axq_req_late_free() - drop what axq_req_late_alloc() took
 * @req: the request
 *
 * An issue running on an I/O worker is not waited for: the worker frees
 * it after.
 *
 * Context: process context.
 */
void axq_req_late_free(struct axq_req *req)
{
	struct axq_req_late *late = req->late;

	if (!late)
		return;
	req->late = NULL;
	if (!axq_io_work_drop(req->ctx, &late->io, axq_req_late_release))
		axq_req_late_release(&late->io);
}

/*
 * Run an inline op that the executor reached: at once, or (touching user
 * memory) on an I/O worker. AXQ_READY with its result in *@res.
 */
static enum axq_poll axq_req_issue_late(struct axq_req *req,
					struct axq_context *cx, int *res)
{
	struct axq_req_late *late = req->late;
	long out;
	int ret;

	if (!late) {
		*res = axq_opdefs[req->opcode]->issue(req);
		return AXQ_READY;
	}
	if (!axq_io_work_busy(&late->io)) {
		ret = axq_io_work_queue(req->ctx, &late->io, cx);
		if (ret) {
			*res = ret;
			return AXQ_READY;
		}
		return AXQ_PENDING;
	}
	if (!axq_io_work_done(&late->io, &out))
		return AXQ_PENDING;
	*res = out;
	return AXQ_READY;
}

static enum axq_poll axq_req_poll(struct axq_future *fut,
				  struct axq_context *cx, long *out)
{
	struct axq_req *req = container_of(fut, struct axq_req, fut);
	const struct axq_opdef *def = axq_opdefs[req->opcode];
	struct axq_ctx *ctx = req->ctx;
	enum axq_poll ready;
	bool cancel;
	int res = 0;

	if (unlikely(!req->task_ref)) {
		/* First poll: a reference so that close can cancel the task. */
		spin_lock(&ctx->inflight_lock);
		cancel = req->cancel;
		if (!cancel) {
			WARN_ON_ONCE(axq_waker_get(cx) != &req->etask);
			req->task_ref = true;
		}
		spin_unlock(&ctx->inflight_lock);
		if (cancel) {
			*out = -ECANCELED;
			return AXQ_READY;
		}
		if (axq_req_dl(req))
			axq_deadline_attach(req);
	}
	/* (An op that cannot stop now completes with its own result.) */
	if (unlikely(axq_deadline_passed(req, axq_req_dl(req))) &&
	    axq_req_stoppable(req)) {
		res = -ETIME;
		goto post;
	}
	if (unlikely(axq_req_retry(req)) && axq_retry_wait(req))
		return AXQ_PENDING;
	if (def->issue)
		ready = axq_req_issue_late(req, cx, &res);
	else
		ready = def->poll(req, cx, &res);
	if (ready == AXQ_PENDING)
		return AXQ_PENDING;
	if (unlikely(axq_req_retry(req)) && axq_retry_again(req, res, cx))
		return AXQ_PENDING;
post:
	if (def->done)
		def->done(req);
	axq_post_cqe(ctx, req->user_data, res, axq_req_cqe_flags(req, res));
	req->res = res;
	req->posted = true;
	*out = res;
	return AXQ_READY;
}

/*
 * One future type per opcode, so that the debugfs view names the op
 * ("asyncx_req:NOP"): filled from the op table at init.
 */
static struct axq_future_ops axq_req_fut_ops[ASYNCX_OP_LAST] __ro_after_init;
static char axq_req_fut_names[ASYNCX_OP_LAST][AXQ_OPDEF_NAME_MAX + 12]
	__ro_after_init;

/* Does the chain go on after @req? The op's row decides (chain_ok). */
static bool axq_link_ok(const struct axq_req *req)
{
	if (!req->posted || axq_deadline_passed(req, axq_req_dl(req)))
		return false;
	return axq_opdefs[req->opcode]->chain_ok(req);
}

/*
 * Take @req off the context and free it; post @res unless its CQE is out.
 * @req is not running on the executor (never started, or being dropped).
 * Returns its successor, now owned by the caller.
 */
struct axq_req *axq_req_retire(struct axq_req *req, int res)
{
	const struct axq_opdef *def = axq_opdefs[req->opcode];
	struct axq_ctx *ctx = req->ctx;
	struct axq_req *next = req->link;
	bool task_ref;

	/* Their timers may wake the task: stop them before it goes. */
	if (axq_req_dl(req))
		axq_deadline_put(req);
	if (axq_req_retry(req))
		axq_retry_free(req);
	if (def->cleanup)
		def->cleanup(req);
	axq_req_late_free(req);
	spin_lock(&ctx->inflight_lock);
	list_del(&req->node);
	hlist_del(&req->hnode);
	if (axq_req_group(req))
		list_del(&req->comp->gnode);
	ctx->nr_inflight--;
	task_ref = req->task_ref;
	req->task_ref = false;
	spin_unlock(&ctx->inflight_lock);
	if (task_ref)
		axq_waker_put(&req->etask);
	axq_limits_inflight_release(ctx->user);
	if (!req->posted)
		axq_post_cqe(ctx, req->user_data, res, axq_req_cqe_flags(req, res));
	/* After the member's CQE: the group's comes last. */
	if (axq_req_group(req))
		axq_group_member_done(req, req->posted ? req->res : res);
	axq_req_comp_free(req);
	/* A spawned request goes with its task's last reference. */
	if (!req->spawned)
		axq_req_free(req, req->opcode);
	axq_ctx_put(ctx);
	return next;
}

/* Complete a chain from @req on with -ECANCELED. */
void axq_link_fail(struct axq_req *req)
{
	while (req) {
		trace_asyncx_link(req->ctx->id, req->user_data, 0);
		req = axq_req_retire(req, -ECANCELED);
	}
}

/*
 * Start a request on the executor, or add it to @plug (an enter's, queued
 * when its SQEs are consumed); on failure it and its chain complete.
 */
void axq_link_start_plug(struct axq_req *req, struct axq_plug *plug)
{
	int ret;

	req->spawned = true;
	ret = axq_spawn_detached(&req->etask, &req->fut, req->prio, plug,
				 req->ctx->id);
	if (ret) {
		req->spawned = false;
		axq_link_fail(axq_req_retire(req, ret));
	}
	/* From here on the request belongs to its task, which may already
	 * have run, completed and freed it on another CPU: @req is not ours
	 * to touch.
	 */
}

/* Start a request on the executor now (axq_link_start_plug()). */
void axq_link_start(struct axq_req *req)
{
	axq_link_start_plug(req, NULL);
}

static void axq_req_drop(struct axq_future *fut)
{
	struct axq_req *req = container_of(fut, struct axq_req, fut);
	bool ok = axq_link_ok(req);
	struct axq_req *next;

	/* Cancelled before completing: its CQE says so. */
	next = axq_req_retire(req, -ECANCELED);
	if (!next)
		return;
	if (!ok) {
		axq_link_fail(next);
		return;
	}
	if (axq_opdefs[next->opcode]->link)
		axq_opdefs[next->opcode]->link(next);
	trace_asyncx_link(next->ctx->id, next->user_data, 1);
	axq_link_start(next);
}

/* The task's last reference is gone: free the request. */
static void axq_req_release(struct axq_future *fut)
{
	struct axq_req *req = container_of(fut, struct axq_req, fut);

	axq_req_free(req, req->opcode);
}

/*
 * Put a prepared request in flight: count it (bounded by max_inflight per
 * context and max_user_inflight per user), list it for cancel and close,
 * and take a context reference.
 */
int axq_req_add(struct axq_ctx *ctx, struct axq_req *req)
{
	if (axq_limits_inflight_charge(ctx->user))
		return -EBUSY;
	spin_lock(&ctx->inflight_lock);
	if (ctx->nr_inflight >= max_inflight) {
		spin_unlock(&ctx->inflight_lock);
		axq_limits_inflight_release(ctx->user);
		return -EBUSY;
	}
	list_add_tail(&req->node, &ctx->inflight);
	hlist_add_head(&req->hnode,
		       &ctx->cancel_hash[hash_64(req->user_data,
						 ctx->cancel_bits)]);
	ctx->nr_inflight++;
	spin_unlock(&ctx->inflight_lock);
	refcount_inc(&ctx->refs);
	return 0;
}

/*
 * A prepared request (@proto, the submission's scratch) in an allocation
 * of its own, in flight; or an ERR_PTR, with what prep took released.
 */
struct axq_req *axq_req_commit(struct axq_ctx *ctx, struct axq_req *proto)
{
	const struct axq_opdef *def = axq_opdefs[proto->opcode];
	struct axq_req *req;
	int ret;

	req = axq_req_alloc(proto->opcode);
	if (!req) {
		ret = -ENOMEM;
		goto err;
	}
	memcpy(req, proto, axq_req_size(proto->opcode));
	ret = axq_req_add(ctx, req);
	if (ret) {
		axq_req_free(req, req->opcode);
		goto err;
	}
	return req;
err:
	if (def->cleanup)
		def->cleanup(proto);
	return ERR_PTR(ret);
}

/**
 * axq_req_stoppable() - may a CANCEL, a deadline or a SELECT group stop a
 *	request now?
 * @req: a request in flight
 *
 * Asks the op (&axq_opdef.stop); an op without the hook can always be
 * stopped. A false answer means the request completes with its own
 * result.
 *
 * Context: under ctx->inflight_lock or in the request's poll.
 * Return: true if the request may be stopped.
 */
bool axq_req_stoppable(struct axq_req *req)
{
	const struct axq_opdef *def = axq_opdefs[req->opcode];

	return !def->stop || def->stop(req);
}

/**
 * axq_req_try() - try a committed request at once, in the submitter, else
 *	hand it to the executor
 * @req: a request of an op with &axq_opdef.try_inline, in flight, not
 *	started
 *
 * Called after the submission dropped the context's lock: the try may
 * take a page fault on the submitter's memory, which must not hold up the
 * context's other threads (or its close). A request cancelled meanwhile
 * completes with -ECANCELED.
 *
 * Context: submission, in the submitter; no lock held.
 */
void axq_req_try(struct axq_req *req)
{
	const struct axq_opdef *def = axq_opdefs[req->opcode];
	struct axq_ctx *ctx = req->ctx;
	bool cancel;
	int res;

	spin_lock(&ctx->inflight_lock);
	cancel = req->cancel;
	spin_unlock(&ctx->inflight_lock);
	if (cancel) {
		axq_req_retire(req, -ECANCELED);
		return;
	}
	if (def->try_inline(req, &res)) {
		/* (-EIOCBQUEUED: the op retires it later; not ours now.) */
		if (res != -EIOCBQUEUED)
			axq_req_retire(req, res);
		return;
	}
	axq_link_start(req);
}

static const u8 axq_prio_map[] = {
	[ASYNCX_PRIO_NORMAL]	= AXQ_PRIO_NORMAL,
	[ASYNCX_PRIO_HIGH]	= AXQ_PRIO_HIGH,
	[ASYNCX_PRIO_LOW]	= AXQ_PRIO_LOW,
};

#define AXQ_SQE_FLAGS	(ASYNCX_SQE_LINK | ASYNCX_SQE_FIXED_FILE | \
			 ASYNCX_SQE_DEADLINE | ASYNCX_SQE_RETRY | \
			 ASYNCX_SQE_GROUP)
#define AXQ_CF_DEADLINE	(ASYNCX_CF_DEADLINE_ABS | ASYNCX_CF_DEADLINE_CHAIN)

/* Are the composition fields of @sqe consistent with its flags? */
static bool axq_sqe_compose_ok(const struct asyncx_sqe *sqe)
{
	u8 f = sqe->flags;

	if (sqe->cflags & ~(AXQ_CF_DEADLINE | ASYNCX_CF_RETRY_JITTER))
		return false;
	if (!(f & ASYNCX_SQE_DEADLINE) &&
	    (sqe->deadline || sqe->cflags & AXQ_CF_DEADLINE))
		return false;
	if (!(f & ASYNCX_SQE_RETRY) &&
	    (sqe->retry_base_us || sqe->retry_cap_us || sqe->retry_max ||
	     sqe->retry_errs || sqe->cflags & ASYNCX_CF_RETRY_JITTER))
		return false;
	/* A member is one op: it neither links nor is a group itself. */
	if (f & ASYNCX_SQE_GROUP)
		return sqe->group && !(f & ASYNCX_SQE_LINK) &&
		       sqe->opcode != ASYNCX_OP_GROUP;
	return !sqe->group || sqe->opcode == ASYNCX_OP_GROUP;
}

/* Release what axq_req_prep() took, for a request never put in flight. */
void axq_req_unprep(struct axq_req *req)
{
	const struct axq_opdef *def = axq_opdefs[req->opcode];

	if (axq_req_dl(req))
		axq_deadline_put(req);
	if (axq_req_retry(req))
		axq_retry_free(req);
	axq_req_comp_free(req);
	if (def->unprep)
		def->unprep(req);
	else if (def->cleanup)
		def->cleanup(req);
}

/*
 * Validate an SQE (a private copy) and prepare @req from it. On success
 * @req holds what prep took; on failure nothing is held.
 */
int axq_req_prep(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
		 struct axq_req *req)
{
	const struct axq_opdef *def;
	unsigned int op = sqe->opcode;
	int ret;

	req->user_data = sqe->user_data;
	if (op >= ASYNCX_OP_LAST || sqe->flags & ~AXQ_SQE_FLAGS ||
	    sqe->resv0 || sqe->prio >= ARRAY_SIZE(axq_prio_map) ||
	    !axq_sqe_compose_ok(sqe))
		return -EINVAL;
	op = array_index_nospec(op, ASYNCX_OP_LAST);
	/* HIGH goes ahead of every user's work on workers all users share:
	 * like a nice value below 0, it needs CAP_SYS_NICE.
	 */
	if (sqe->prio == ASYNCX_PRIO_HIGH && !capable(CAP_SYS_NICE))
		return -EPERM;
	def = axq_opdefs[op];
	if (sqe->op_flags & ~def->op_flags ||
	    axq_rsrc_check_sqe(sqe, op))
		return -EINVAL;
	/* The SQ thread has no file table or fs of the owner's. */
	if (def->files && ctx->sqp)
		return -EOPNOTSUPP;
	req->fut.ops = &axq_req_fut_ops[op];
	req->ctx = ctx;
	req->opcode = op;
	req->prio = axq_prio_map[array_index_nospec(sqe->prio,
						   ARRAY_SIZE(axq_prio_map))];
	req->posted = false;
	req->cancel = false;
	req->spawned = false;
	req->res = 0;
	req->task_ref = false;
	req->link = NULL;
	req->late = NULL;
	req->cqe_flags = 0;
	req->comp = NULL;
	ret = def->prep(req, sqe);
	if (ret)
		return ret;
	if (sqe->flags & AXQ_SQE_TASK_FLAGS) {
		ret = axq_req_comp_get(req);
		if (ret)
			goto undo;
	}
	if (sqe->flags & ASYNCX_SQE_DEADLINE) {
		ret = axq_deadline_prep(req, sqe);
		if (ret)
			goto undo;
	}
	if (sqe->flags & ASYNCX_SQE_RETRY) {
		ret = axq_retry_prep(req, sqe);
		if (ret)
			goto undo;
	}
	return 0;
undo:
	axq_req_unprep(req);
	return ret;
}

/**
 * axq_reqs_init() - create a request cache per opcode, sized by its row,
 * and the future type of each opcode
 *
 * Context: module init, after axq_opdefs_check().
 * Return: 0 or -ENOMEM.
 */
int axq_reqs_init(void)
{
	char name[AXQ_OPDEF_NAME_MAX + 12];
	unsigned int op, size;

	for (op = 0; op < ASYNCX_OP_LAST; op++) {
		const struct axq_opdef *def = axq_opdefs[op];

		snprintf(axq_req_fut_names[op], sizeof(axq_req_fut_names[op]),
			 "asyncx_req:%s", def->name);
		axq_req_fut_ops[op] = (struct axq_future_ops){
			.name = axq_req_fut_names[op], .poll = axq_req_poll,
			.drop = axq_req_drop, .release = axq_req_release,
		};
		size = axq_req_size(op);
		axq_req_max = max(axq_req_max, size);
		/* (kmem_cache_create() keeps a copy of the name.) */
		snprintf(name, sizeof(name), "asyncx_req_%s", def->name);
		axq_req_caches[op] = kmem_cache_create(name, size,
						       __alignof__(struct axq_req),
						       0, NULL);
		if (!axq_req_caches[op]) {
			axq_reqs_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * axq_req_obj_size() - bytes of one request object in its slab cache
 * @op: an ASYNCX_OP_* opcode
 *
 * A request holds its task: this is all an operation in flight allocates
 * for itself, apart from what the op takes (a file reference, a deadline).
 *
 * Context: any context, after axq_reqs_init().
 * Return: the object size of @op's cache, alignment included; 0 for an
 * opcode out of range.
 */
unsigned int axq_req_obj_size(unsigned int op)
{
	return op < ASYNCX_OP_LAST ? kmem_cache_size(axq_req_caches[op]) : 0;
}

/**
 * axq_reqs_exit() - destroy the request caches
 *
 * Context: module exit, after every task completed (the last reference of
 * a task frees its request): after axq_rt_quiesce().
 */
void axq_reqs_exit(void)
{
	unsigned int op;

	for (op = 0; op < ASYNCX_OP_LAST; op++) {
		kmem_cache_destroy(axq_req_caches[op]);
		axq_req_caches[op] = NULL;
	}
}
