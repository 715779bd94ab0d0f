// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_GROUP — JOIN and SELECT groups of requests.
 *
 * A GROUP request opens a group id on its context; the next len SQEs that
 * name the id (ASYNCX_SQE_GROUP) join it. Members are ordinary requests,
 * prepared and counted in flight at submission; they start when the GROUP
 * request is first polled (at once, or when its chain reaches it), or when
 * they join if it already has. Each member, when retired, reports its
 * result to the group (axq_group_member_done()); the last one wakes the
 * GROUP request, whose poll then posts the group's CQE. In a SELECT group
 * the first member to post its CQE wins (axq_group_win(): that CQE gets
 * ASYNCX_CQE_F_WINNER) and the others are cancelled. A GROUP
 * request dropped before its members finished (cancelled, deadline, failed
 * chain, close) closes the group: members that never started are retired
 * with -ECANCELED, running ones are cancelled, and members submitted later
 * complete with -ECANCELED. The id stays taken until all len members have
 * been submitted (so that a member never finds a stranger's group) and the
 * group is closed, which is before its CQE goes out: once the user has seen
 * that CQE, the id can be opened again (if every member was submitted). The
 * context's teardown frees what is left.
 *
 * Locking: group->lock protects the group's counters and lists; it is never
 * held while ctx->inflight_lock is taken, nor the other way round.
 */
#include <linux/errno.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "compose.h"
#include "opdef.h"
#include "trace.h"

/* GROUP's state (group.c). */
struct axq_group_cmd {
	struct axq_group	*g;
};

/**
 * axq_group_prep() - validate a GROUP and open its id
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission.
 * Return: 0, -EINVAL for bad fields, -EEXIST when the id is open, -ENOMEM.
 */
static int axq_group_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_group_cmd *gc = axq_req_cmd(req, struct axq_group_cmd);
	struct axq_ctx *ctx = req->ctx;
	struct axq_group *g;
	int ret;

	if (!sqe->group || !sqe->len || sqe->len > ASYNCX_GROUP_MAX ||
	    sqe->fd || sqe->off || sqe->addr)
		return -EINVAL;
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return -ENOMEM;
	spin_lock_init(&g->lock);
	INIT_LIST_HEAD(&g->members);
	/* The GROUP request's reference and the id's (ctx->groups). */
	refcount_set(&g->refs, 2);
	g->ctx = ctx;
	g->id = sqe->group;
	g->select = sqe->op_flags & ASYNCX_GROUP_SELECT;
	g->expected = sqe->len;
	ret = xa_insert(&ctx->groups, g->id, g, GFP_KERNEL_ACCOUNT);
	/* (On failure nobody saw it: a plain kfree.) */
	if (ret) {
		kfree(g);
		return ret == -EBUSY ? -EEXIST : ret;
	}
	gc->g = g;
	req->cqe_flags = ASYNCX_CQE_F_GROUP;
	trace_asyncx_group(ctx->id, req->user_data, g->id, AXQ_GROUP_OPEN,
			   g->expected);
	return 0;
}

static void axq_group_put(struct axq_group *g)
{
	if (refcount_dec_and_test(&g->refs))
		kfree_rcu(g, rcu);
}

/*
 * Free the id, when the group is closed and has all its members: L:
 * g->lock. Returns true when the caller must then call axq_group_erase().
 */
static bool axq_group_unpublish(struct axq_group *g)
{
	lockdep_assert_held(&g->lock);
	if (g->erased || !g->closed || g->joined != g->expected)
		return false;
	g->erased = true;
	return true;
}

static void axq_group_erase(struct axq_group *g)
{
	xa_erase(&g->ctx->groups, g->id);
	axq_group_put(g);
}

/**
 * axq_groups_destroy() - free the ids a context still holds
 * @ctx: the context, being freed: no request is left
 *
 * Ids of groups closed before all their members came.
 *
 * Context: process context.
 */
void axq_groups_destroy(struct axq_ctx *ctx)
{
	struct axq_group *g;
	unsigned long id;

	xa_for_each(&ctx->groups, id, g) {
		xa_erase(&ctx->groups, id);
		axq_group_put(g);
	}
	xa_destroy(&ctx->groups);
}

/* Start members (a list through &axq_req.link) on the executor. */
static void axq_group_start_list(struct axq_req *req)
{
	struct axq_req *next;

	for (; req; req = next) {
		next = req->link;
		req->link = NULL;
		axq_link_start(req);
	}
}

/* Cancel the members of @g still in flight, but @except. */
static void axq_group_cancel_members(struct axq_group *g,
				     struct axq_req *except)
{
	struct axq_ctx *ctx = g->ctx;
	struct axq_req_comp *c;
	struct axq_req *r;

	trace_asyncx_group(ctx->id, except ? except->user_data : 0, g->id,
			   AXQ_GROUP_STOP, 0);
	spin_lock(&ctx->inflight_lock);
	list_for_each_entry(c, &g->members, gnode) {
		r = c->req;
		/* (One that cannot stop completes with its own result.) */
		if (r == except || !axq_req_stoppable(r))
			continue;
		if (r->task_ref)
			axq_task_cancel(&r->etask);
		else
			r->cancel = true;
	}
	spin_unlock(&ctx->inflight_lock);
}

/**
 * axq_group_poll() - start the members; complete when all have finished
 * @req: the GROUP request
 * @cx: the poll context
 * @res: the group's result, when ready
 *
 * Context: executor worker.
 * Return: AXQ_READY once every member's CQE is out, else AXQ_PENDING.
 */
static enum axq_poll axq_group_poll(struct axq_req *req, struct axq_context *cx,
				    int *res)
{
	struct axq_group_cmd *gc = axq_req_cmd(req, struct axq_group_cmd);
	struct axq_group *g = gc->g;
	struct axq_req *start = NULL;
	bool done;

	spin_lock(&g->lock);
	if (!g->waker)
		g->waker = axq_waker_get(cx);
	if (!g->started) {
		g->started = true;
		start = g->pending;
		g->pending = NULL;
	}
	done = g->finished == g->expected;
	spin_unlock(&g->lock);

	if (start) {
		trace_asyncx_group(req->ctx->id, req->user_data, g->id,
				   AXQ_GROUP_START, 0);
		axq_group_start_list(start);
	}
	if (!done)
		return AXQ_PENDING;
	/* Every member has reported: the counters are final. */
	if (g->select) {
		req->cqe_flags |= (u32)g->winner_idx << 16;
		*res = g->winner_res;
	} else {
		req->cqe_flags |= g->succeeded << 16;
		*res = g->first_err;
	}
	trace_asyncx_group(req->ctx->id, req->user_data, g->id, AXQ_GROUP_DONE,
			   g->succeeded);
	return AXQ_READY;
}

/**
 * axq_group_close() - close the group: its CQE is about to go out
 * @req: the GROUP request
 *
 * Members that never started are retired with -ECANCELED (their CQEs come
 * before the group's); members still running are cancelled; the id becomes
 * free once all the group's members have been submitted, so that a user who
 * has seen the group's CQE can open the id again. Called before the poll
 * posts the group's CQE (&axq_opdef.done), and again, to no further effect,
 * when the request is retired.
 *
 * Context: process context.
 */
static void axq_group_close(struct axq_req *req)
{
	struct axq_group_cmd *gc = axq_req_cmd(req, struct axq_group_cmd);
	struct axq_group *g = gc->g;
	struct axq_task *waker;
	struct axq_req *pending, *next;
	bool stop, erase;

	spin_lock(&g->lock);
	g->closed = true;
	erase = axq_group_unpublish(g);
	stop = !g->stopped && g->finished < g->joined;
	g->stopped = true;
	pending = g->pending;
	g->pending = NULL;
	waker = g->waker;
	g->waker = NULL;
	spin_unlock(&g->lock);

	if (erase)
		axq_group_erase(g);
	if (waker)
		axq_waker_put(waker);
	for (; pending; pending = next) {
		next = pending->link;
		pending->link = NULL;
		axq_req_retire(pending, -ECANCELED);
	}
	if (stop)
		axq_group_cancel_members(g, NULL);
}

/**
 * axq_group_cleanup() - the GROUP request is retired: close the group
 * @req: the GROUP request
 *
 * As axq_group_close(), if its poll did not already; then drops the
 * request's group reference.
 *
 * Context: process context.
 */
static void axq_group_cleanup(struct axq_req *req)
{
	struct axq_group_cmd *gc = axq_req_cmd(req, struct axq_group_cmd);

	axq_group_close(req);
	axq_group_put(gc->g);
}

/**
 * axq_group_join() - a member's SQE names its group: join it
 * @req: the member, prepared and in flight (axq_req_add())
 * @id: the group id
 * @start: set to true when the group has started: the caller starts the
 *	member once it is in flight; else the group keeps it (and starts it):
 *	the caller must not touch it again
 *
 * On success the member holds a group reference (&axq_req.group) and is
 * counted as joined; on failure it is not a member, and the caller retires
 * it with the error.
 *
 * Context: submission (ctx->lock held).
 * Return: 0, -ENOENT when no group has @id, -EINVAL when the group has all
 * its members already, -ECANCELED when the group was closed (cancelled):
 * the member counts as submitted but does not join.
 */
int axq_group_join(struct axq_req *req, u16 id, bool *start)
{
	struct axq_ctx *ctx = req->ctx;
	u64 user_data = req->user_data;
	bool erase = false, stopped;
	struct axq_group *g;
	int ret = 0;

	rcu_read_lock();
	g = xa_load(&ctx->groups, id);
	if (g && !refcount_inc_not_zero(&g->refs))
		g = NULL;
	rcu_read_unlock();
	if (!g)
		return -ENOENT;

	spin_lock(&g->lock);
	if (g->erased) {
		ret = -ENOENT;
	} else if (g->joined == g->expected) {
		ret = -EINVAL;
	} else if (g->closed) {
		g->joined++;
		erase = axq_group_unpublish(g);
		ret = -ECANCELED;
	}
	if (ret) {
		spin_unlock(&g->lock);
		if (erase)
			axq_group_erase(g);
		axq_group_put(g);
		return ret;
	}
	req->comp->group_idx = g->joined++;
	req->comp->group = g;
	/* Before it may start (and retire, which takes it off). */
	spin_lock(&ctx->inflight_lock);
	list_add_tail(&req->comp->gnode, &g->members);
	spin_unlock(&ctx->inflight_lock);
	/* A stopped group has started (a SELECT won) or is closed (above):
	 * the member is not left pending, it stays the caller's.
	 */
	stopped = g->stopped;
	*start = g->started;
	if (!g->started) {
		req->link = g->pending;
		g->pending = req;
	}
	spin_unlock(&g->lock);
	if (stopped) {
		/* In flight already: a CANCEL may set it too. */
		spin_lock(&ctx->inflight_lock);
		req->cancel = true;
		spin_unlock(&ctx->inflight_lock);
	}
	/* A pending member is the group's from here: its start may have run,
	 * completed and freed it on another CPU (or on this one, preempted at
	 * the unlock). @req is not ours to touch.
	 */
	trace_asyncx_group(ctx->id, user_data, id, AXQ_GROUP_JOIN, 0);
	return 0;
}

/**
 * axq_group_win() - a member is about to post its final CQE: did it win?
 * @req: the member
 * @res: its result
 *
 * Context: process context.
 * Return: true if it is the first member of a SELECT group to complete:
 * its CQE then carries ASYNCX_CQE_F_WINNER.
 */
bool axq_group_win(struct axq_req *req, int res)
{
	struct axq_group *g = axq_req_group(req);
	bool won = false;

	spin_lock(&g->lock);
	if (g->select && !g->won && !g->stopped) {
		g->won = true;
		g->winner_idx = req->comp->group_idx;
		g->winner_res = res;
		won = true;
	}
	spin_unlock(&g->lock);
	return won;
}

/**
 * axq_group_member_done() - a member's CQE is out: count it
 * @req: the member, being retired (off the in-flight list)
 * @res: its result
 *
 * Once a SELECT group has a winner, the members still running are
 * cancelled. The last member to report wakes the GROUP request. Drops the
 * member's group reference.
 *
 * Context: process context.
 */
void axq_group_member_done(struct axq_req *req, int res)
{
	struct axq_group *g = axq_req_group(req);
	bool stop = false;

	req->comp->group = NULL;
	spin_lock(&g->lock);
	g->finished++;
	if (res >= 0)
		g->succeeded++;
	else if (!g->first_err)
		g->first_err = res;
	if (g->won && !g->stopped) {
		g->stopped = true;
		stop = g->finished < g->joined;
	}
	if (g->finished == g->expected && g->waker)
		axq_wake_by_ref(g->waker);
	spin_unlock(&g->lock);
	if (stop)
		axq_group_cancel_members(g, req);
	axq_group_put(g);
}

/**
 * axq_group_unprep() - a GROUP SQE was refused after its prep: free its id
 * @req: the GROUP request, never put in flight
 *
 * Its CQE tells the user that the group does not exist, so the id must be
 * free for the next GROUP at once, and members naming it get -ENOENT. No
 * member can have joined: members join at submission, under ctx->lock,
 * which the submission that prepared this request still holds.
 *
 * Context: submission.
 */
static void axq_group_unprep(struct axq_req *req)
{
	struct axq_group_cmd *gc = axq_req_cmd(req, struct axq_group_cmd);
	struct axq_group *g = gc->g;

	lockdep_assert_held(&req->ctx->lock);
	WARN_ON_ONCE(g->joined);
	spin_lock(&g->lock);
	g->closed = true;
	g->erased = true;
	spin_unlock(&g->lock);
	axq_group_erase(g);
	axq_group_put(g);
}

const struct axq_opdef axq_op_group = {
	.name		= "GROUP",
	.cmd_size	= sizeof(struct axq_group_cmd),
	.op_flags	= ASYNCX_GROUP_SELECT,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_group_prep,
	.poll		= axq_group_poll,
	.done		= axq_group_close,
	.cleanup	= axq_group_cleanup,
	.unprep		= axq_group_unprep,
};
