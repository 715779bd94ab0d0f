/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: a request — one operation between its SQE and its CQE
 * (req.c). Each op keeps its state in a struct of its own file, after the
 * request's header: axq_req_cmd(). Internal.
 */
#ifndef _ASYNCX_RING_REQ_H
#define _ASYNCX_RING_REQ_H

#include <linux/align.h>
#include <linux/build_bug.h>
#include <linux/list.h>
#include <linux/types.h>

#include <linux/asyncx.h>

#include <asyncx/runtime.h>
#include "rt/task.h"

struct axq_ctx;
struct axq_deadline;
struct axq_group;
struct axq_req_comp;
struct axq_req_late;
struct axq_req_retry;

/**
 * struct axq_req - one operation in flight on the executor
 * @fut: the future the executor polls
 * @ctx: the context (a reference)
 * @user_data: the SQE's user_data, for the CQE
 * @opcode: the SQE's opcode
 * @prio: the executor's priority class
 * @posted: the CQE has been posted
 * @cancel: cancellation came before the first poll (L: ctx->inflight_lock)
 * @res: the result of the CQE once @posted; decides whether @link runs
 * @cqe_flags: ASYNCX_CQE_F_* flags of its (last) CQE, set by the op (a
 *	GROUP's) before it is posted
 * @task_ref: holds a waker reference to @etask, taken at its first poll,
 *	so that a cancel can reach it (L: ctx->inflight_lock)
 * @link: the next request of its chain (ASYNCX_SQE_LINK), owned by this
 *	one until this one is dropped: then it starts or fails; NULL at the
 *	end of a chain (set at submission, then only the owner's)
 * @late: an inline op (&axq_opdef.needs_mm) started on the executor (in a
 *	chain, with a deadline...): its issue runs on an I/O worker of the
 *	context, in the submitter's mm (req.c); else NULL
 * @comp: what only a composed request has (a deadline, a retry policy, a
 *	group), or NULL: axq_req_dl(), axq_req_retry(), axq_req_group()
 * @node: in ctx->inflight (L: ctx->inflight_lock)
 * @hnode: in ctx->cancel_hash, by @user_data (L: ctx->inflight_lock)
 * @spawned: @etask runs @fut (axq_spawn_in()): the request's memory is
 *	freed with the task's last reference, not when it retires
 * @etask: the task that polls @fut, in the request's own allocation: a
 *	detached task (axq_spawn_detached()), which ends after its first
 *	AXQ_TASK_DETACHED_SIZE bytes
 *
 * The op's state (a struct of the op's own file, reached with
 * axq_req_cmd()) starts AXQ_REQ_CMD_OFFSET bytes into the request, where
 * the detached @etask ends (over the join part of a task, which a detached
 * one has not); a request is allocated up to &axq_opdef.cmd_size bytes of
 * it. So sizeof(struct axq_req) is not a request's size: axq_req_size().
 */
struct axq_req {
	struct axq_future	fut;
	struct axq_ctx		*ctx;
	u64			user_data;
	u8			opcode;
	u8			prio;
	bool			posted;
	bool			cancel;
	bool			spawned;
	bool			task_ref;
	s32			res;
	u32			cqe_flags;
	struct axq_req		*link;
	struct axq_req_late	*late;
	struct axq_req_comp	*comp;
	struct list_head	node;
	struct hlist_node	hnode;
	struct axq_task		etask;
};

/**
 * struct axq_req_comp - what a composed request has beside its header
 *	(ASYNCX_SQE_DEADLINE, ASYNCX_SQE_RETRY, ASYNCX_SQE_GROUP, or a member
 *	of a chain under a deadline), allocated at its preparation
 * @dl: its deadline (ASYNCX_SQE_DEADLINE, or its chain's), or NULL
 * @retry: its retry policy (ASYNCX_SQE_RETRY), or NULL
 * @group: the group it is a member of (ASYNCX_SQE_GROUP; a reference), or
 *	NULL; a member never links: &axq_req.link chains the group's pending
 *	members
 * @gnode: a group member's, in its group's members (L: ctx->inflight_lock)
 * @req: the request (for the walk of a group's members)
 * @group_idx: a member's index in its group, in the order members joined
 */
struct axq_req_comp {
	struct axq_deadline	*dl;
	struct axq_req_retry	*retry;
	struct axq_group	*group;
	struct list_head	gnode;
	struct axq_req		*req;
	u16			group_idx;
};

/* A request's deadline, or NULL. */
static inline struct axq_deadline *axq_req_dl(const struct axq_req *req)
{
	return req->comp ? req->comp->dl : NULL;
}

/* A request's retry policy, or NULL. */
static inline struct axq_req_retry *axq_req_retry(const struct axq_req *req)
{
	return req->comp ? req->comp->retry : NULL;
}

/* The group a request is a member of, or NULL. */
static inline struct axq_group *axq_req_group(const struct axq_req *req)
{
	return req->comp ? req->comp->group : NULL;
}

/* Where a request's op state starts: the end of its detached task. */
#define AXQ_REQ_CMD_OFFSET						\
	ALIGN(offsetof(struct axq_req, etask) + AXQ_TASK_DETACHED_SIZE,	\
	      sizeof(unsigned long))

/**
 * axq_req_cmd() - the op's state of a request
 * @req: the request
 * @type: the op's state struct (its &axq_opdef.cmd_size is its size)
 *
 * Return: a pointer to the state, of type @type *.
 */
#define axq_req_cmd(req, type)						\
({									\
	BUILD_BUG_ON(__alignof__(type) > __alignof__(unsigned long));	\
	(type *)((char *)(req) + AXQ_REQ_CMD_OFFSET);			\
})

/* SQE flags that make a request run on the executor, never inline. */
#define AXQ_SQE_TASK_FLAGS	(ASYNCX_SQE_DEADLINE | ASYNCX_SQE_RETRY | \
				 ASYNCX_SQE_GROUP)

unsigned int axq_req_size(unsigned int op);
struct axq_req *axq_req_alloc(unsigned int op);
void axq_req_free(struct axq_req *req, unsigned int op);
struct axq_req *axq_req_alloc_proto(void);
int axq_req_prep(struct axq_ctx *ctx, const struct asyncx_sqe *sqe,
		 struct axq_req *req);
void axq_req_unprep(struct axq_req *req);
int axq_req_late_alloc(struct axq_req *req);
int axq_req_comp_get(struct axq_req *req);
void axq_req_late_free(struct axq_req *req);
int axq_req_add(struct axq_ctx *ctx, struct axq_req *req);
struct axq_req *axq_req_commit(struct axq_ctx *ctx, struct axq_req *proto);
void axq_req_try(struct axq_req *req);
bool axq_req_stoppable(struct axq_req *req);
struct axq_req *axq_req_retire(struct axq_req *req, int res);
void axq_link_start(struct axq_req *req);
void axq_link_start_plug(struct axq_req *req, struct axq_plug *plug);
void axq_link_fail(struct axq_req *req);
int axq_reqs_init(void);
void axq_reqs_exit(void);
unsigned int axq_req_obj_size(unsigned int op);

#endif /* _ASYNCX_RING_REQ_H */
