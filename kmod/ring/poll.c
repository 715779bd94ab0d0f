// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_POLL — completes when a file is ready for some events,
 * once or (multishot) once per readiness, on the runtime's poller
 * (rt/poller.c).
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/poll.h>

#include "dev.h"
#include "iowq.h"
#include "opdef.h"
#include "rsrc.h"

/**
 * DOC: poll
 *
 * A file's ->poll() may sleep (FUSE's asks the file system's daemon), so it
 * is called on the executor's shared workers only for sockets and pipes,
 * whose ->poll() never does; any other file is polled on an I/O worker of
 * the context (iowq.c): the hooking and each later look at the mask, each
 * time the poller's wake comes. Between looks, a waiting POLL holds no
 * thread. Nor is such a file polled at submission, under the context's
 * lock: its POLL always starts on the executor.
 */

/* POLL's state (poll.c). */
struct axq_poll_cmd {
	struct axq_poller	poller;
	bool			multishot;
	bool			on_worker;	/* see DOC */
	bool			woken;		/* polled during stage IO */
	u8			stage;
	__poll_t		mask;		/* @io's: ready events */
	struct axq_io_work	io;		/* a look on an I/O worker */
};

/* How far a POLL on an I/O worker got (axq_poll_cmd.stage). */
enum {
	AXQ_POLL_START,		/* no look queued yet */
	AXQ_POLL_IO,		/* a look is queued or running */
	AXQ_POLL_WAIT,		/* the poller is hooked: wait for its wake */
};

/* The events an ASYNCX_OP_POLL may ask for. */
#define AXQ_POLL_EVENTS	(EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLERR | \
			 EPOLLHUP | EPOLLRDHUP)

static long axq_poll_io(struct axq_io_work *w);

/**
 * axq_poll_prep() - validate a POLL and take its file
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission, under the context's lock.
 * Return: 0, -EINVAL for bad fields, unknown events or flags, or a file
 * that cannot be polled, -EBADF for a bad fd.
 */
static int axq_poll_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_poll_cmd *pc = axq_req_cmd(req, struct axq_poll_cmd);
	struct file *file;
	__poll_t events;

	if (sqe->op_flags & ~ASYNCX_POLL_MULTISHOT)
		return -EINVAL;
	if (sqe->off || sqe->addr || sqe->len > U16_MAX)
		return -EINVAL;
	/* A multishot POLL's CQEs are posted as they come: no attempts. */
	if (sqe->op_flags & ASYNCX_POLL_MULTISHOT &&
	    sqe->flags & ASYNCX_SQE_RETRY)
		return -EINVAL;
	events = demangle_poll((u16)sqe->len);
	if (events & ~AXQ_POLL_EVENTS)
		return -EINVAL;
	file = axq_rsrc_fget(req->ctx, sqe);
	if (IS_ERR(file))
		return PTR_ERR(file);
	/*
	 * Not an asyncx context: the request's file reference would keep
	 * that context open, and a context waiting on itself (or two on each
	 * other) would never be released — its requests are cancelled only
	 * when its file is.
	 */
	if (axq_is_ctx_file(file)) {
		fput(file);
		return -EBADF;
	}
	if (!file_can_poll(file)) {
		fput(file);
		return -EINVAL;
	}
	/* The entries are hooked by the first poll, once @req is in place. */
	axq_poller_init(&pc->poller, file, events);
	pc->multishot = sqe->op_flags & ASYNCX_POLL_MULTISHOT;
	pc->on_worker = !sock_from_file(file) &&
			!S_ISFIFO(file_inode(file)->i_mode);
	pc->woken = false;
	pc->stage = AXQ_POLL_START;
	pc->mask = 0;
	axq_io_work_init(&pc->io, axq_poll_io);
	return 0;
}

/* A ready mask in pc->mask, or 0 and the wake armed; or an errno. */
static int axq_poll_look(struct axq_poll_cmd *pc, struct axq_context *cx)
{
	__poll_t mask = 0;
	int ret;

	ret = axq_poller_poll(&pc->poller, cx, &mask);
	pc->mask = mask;
	return ret;
}

/* A look, on an I/O worker. */
static long axq_poll_io(struct axq_io_work *w)
{
	struct axq_poll_cmd *pc = container_of(w, struct axq_poll_cmd, io);
	/* The poller's wakes go to the request's task. */
	struct axq_context cx = { .task = w->waker };

	return axq_poll_look(pc, &cx);
}

/*
 * A look on an I/O worker (see DOC): 0 with pc->mask set, or AXQ_PENDING's
 * value 1 while the look runs or the poller waits; or an errno.
 */
static int axq_poll_look_on_worker(struct axq_req *req,
				   struct axq_poll_cmd *pc,
				   struct axq_context *cx)
{
	long out;
	int ret;

	if (pc->stage == AXQ_POLL_IO) {
		if (!axq_io_work_done(&pc->io, &out)) {
			/* Only a wake polls us now: look again after. */
			pc->woken = true;
			return 1;
		}
		if (out || pc->mask)
			return out;
		if (!pc->woken) {
			pc->stage = AXQ_POLL_WAIT;
			return 1;
		}
	}
	ret = axq_io_work_queue(req->ctx, &pc->io, cx);
	if (ret)
		return ret;
	pc->stage = AXQ_POLL_IO;
	pc->woken = false;
	return 1;
}

/**
 * axq_poll_poll() - the POLL future
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready: the ready events (POLL* bits) or a
 *	negative errno
 *
 * A multishot POLL posts a CQE with ASYNCX_CQE_F_MORE each time it finds
 * the file ready and stays pending; it ends by cancellation, by an error,
 * or when its CQE does not fit in the CQ (axq_post_cqe_more()): then that
 * readiness is its final CQE.
 *
 * Context: an executor worker.
 * Return: AXQ_READY when the CQE is due, else AXQ_PENDING.
 */
static enum axq_poll axq_poll_poll(struct axq_req *req, struct axq_context *cx,
				   int *res)
{
	struct axq_poll_cmd *pc = axq_req_cmd(req, struct axq_poll_cmd);
	__poll_t mask;
	int ret;

	if (pc->on_worker)
		ret = axq_poll_look_on_worker(req, pc, cx);
	else
		ret = axq_poll_look(pc, cx);
	if (ret < 0) {
		*res = ret;
		return AXQ_READY;
	}
	mask = pc->mask;
	if (ret > 0 || !mask)
		return AXQ_PENDING;
	/* This look is used up: the next poll comes from a wake. */
	pc->stage = AXQ_POLL_WAIT;
	pc->mask = 0;
	if (pc->multishot &&
	    axq_post_cqe_more(req->ctx, req->user_data, mangle_poll(mask),
			      ASYNCX_CQE_F_MORE))
		return AXQ_PENDING;
	*res = mangle_poll(mask);
	return AXQ_READY;
}

/**
 * axq_poll_try_locked() - complete a one-shot POLL of a file already ready
 * @req: the request
 * @res: the ready events when it is
 *
 * One look with vfs_poll(), hooking nothing; multishot polls always arm.
 * Only for sockets and pipes: another file's ->poll() may sleep, and the
 * submission holds the context's lock (see DOC).
 *
 * Context: submission, under the context's lock.
 * Return: true if the file is ready for some of the events.
 */
static bool axq_poll_try_locked(struct axq_req *req, int *res)
{
	struct axq_poll_cmd *pc = axq_req_cmd(req, struct axq_poll_cmd);
	__poll_t mask;

	if (pc->multishot || pc->on_worker)
		return false;
	mask = vfs_poll(pc->poller.file, NULL) & pc->poller.events;
	if (!mask)
		return false;
	*res = mangle_poll(mask);
	return true;
}

/**
 * axq_poll_reset() - make a one-shot POLL look again, for another attempt
 * @req: the request, between polls; its last look has returned
 *
 * Context: executor worker.
 */
static void axq_poll_reset(struct axq_req *req)
{
	struct axq_poll_cmd *pc = axq_req_cmd(req, struct axq_poll_cmd);

	axq_poller_disarm(&pc->poller);
	axq_poller_init(&pc->poller, pc->poller.file, pc->poller.events);
	pc->stage = AXQ_POLL_START;
	pc->mask = 0;
}

/* Unhook and drop the file. */
static void axq_poll_release(struct axq_poll_cmd *pc)
{
	axq_poller_disarm(&pc->poller);
	fput(pc->poller.file);
}

/* The request went while a look ran: its worker releases, after it. */
static void axq_poll_orphan(struct axq_io_work *w)
{
	axq_poll_release(container_of(w, struct axq_poll_cmd, io));
}

/**
 * axq_poll_cleanup() - unhook a POLL and drop its file
 * @req: the request
 *
 * A look running on an I/O worker is interrupted, not waited for: then
 * the worker releases when the look returns.
 *
 * Context: process context (the request's drop).
 */
static void axq_poll_cleanup(struct axq_req *req)
{
	struct axq_poll_cmd *pc = axq_req_cmd(req, struct axq_poll_cmd);

	if (pc->on_worker &&
	    axq_io_work_drop(req->ctx, &pc->io, axq_poll_orphan))
		return;
	axq_poll_release(pc);
}

const struct axq_opdef axq_op_poll = {
	.name		= "POLL",
	.cmd_size	= sizeof(struct axq_poll_cmd),
	.op_flags	= ASYNCX_POLL_MULTISHOT,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_poll_prep,
	.poll		= axq_poll_poll,
	.try_locked	= axq_poll_try_locked,
	.reset		= axq_poll_reset,
	.cleanup	= axq_poll_cleanup,
};
