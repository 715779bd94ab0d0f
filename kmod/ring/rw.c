// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_READ and ASYNCX_OP_WRITE — read or write a user buffer
 * at a file offset or at the file position.
 */

/**
 * DOC: read and write
 *
 * A READ or WRITE is first tried at submission, in the submitter's own
 * thread, when the file honours IOCB_NOWAIT (sockets, eventfd, pipes on
 * newer kernels): a ready file completes it there. Nothing of it runs on
 * the executor's shared workers, since it may fault on the user buffer or
 * sleep in the file:
 *
 * - a file that honours IOCB_NOWAIT: each later try runs in the submitter
 *   too, from task work (task_work_add(), TWA_SIGNAL: a wait of the
 *   submitter's is interrupted and restarted, as for io_uring's task
 *   work), so a peer sees the submitter, pid included; on -EAGAIN the try
 *   hooks the poller on the file's wait queues, whose wake queues the next
 *   try, so a waiting file holds no thread. When the submitting thread has
 *   exited (or exec'd), the tries go to an I/O worker of the context
 *   (iowq.c) instead. A drop while a try is queued or running in the
 *   submitter never waits: the try releases what it used;
 * - pollable without IOCB_NOWAIT (pipes on 6.1): the poller waits for
 *   readiness, then a blocking try runs on an I/O worker;
 * - anything else (regular files): a blocking try on an I/O worker.
 *
 * A cancel, a deadline or the context's close interrupts a blocking try
 * with a signal to its worker (an interruptible sleep, as a full pipe's,
 * ends at once) and never waits for it.
 *
 * The I/O calls the file's ->read_iter() or ->write_iter(), or for a file
 * that has only ->read() or ->write() (a seq_file of procfs such as
 * /proc/net/unix: read(2) calls that too) that one, with a kiocb at
 * the offset, or at f_pos (under f_pos_lock for FMODE_ATOMIC_POS files,
 * advanced by what was done) when the offset is -1; stream files have no
 * position. The user buffer is reached from the worker through the
 * submitter's mm, with kthread_use_mm(); a registered buffer
 * (ASYNCX_RW_FIXED, see rsrc.c) through an ITER_BVEC iterator over its
 * pinned pages instead, in any thread and without the mm. The request pins
 * only the mm_struct (mmgrab()), not the address space: the ring's own
 * mappings hold the ring's file, so pinning the address space would keep a
 * process that exits with I/O in flight from ever closing its ring. When
 * the address space is gone, the I/O fails with -EFAULT.
 *
 * The I/O runs as its submitter and is checked as pread(2) and pwrite(2)
 * are: under the submitter's credentials, taken at preparation
 * (override_creds() where the thread's own differ), so a peer that asks
 * for SCM_CREDENTIALS, an LSM and audit see the submitter's uid and gid
 * (and its pid, for a socket: its tries run in the submitter); after
 * rw_verify_area() (the LSM's
 * file_permission hook, fanotify's permission events, the offset's
 * bounds); followed by fsnotify's access or modify event.
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fsnotify.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "ctx.h"
#include "iowq.h"
#include "opdef.h"
#include "rsrc.h"

/* READ's and WRITE's state (rw.c); the stages are in rw.c. */
struct axq_rw_cmd {
	struct file		*file;		/* a reference */
	const struct cred	*cred;		/* the submitter's (get_cred()) */
	union {
		struct mm_struct	*mm;	/* the submitter's, mmgrab()bed */
		struct axq_rsrc_buf	*buf;	/* @fixed: a reference */
	};
	u64			addr;		/* @fixed: offset in @buf */
	u32			len;
	loff_t			pos;
	bool			use_fpos;	/* off was (__u64)-1 */
	bool			write;
	bool			fixed;		/* ASYNCX_RW_FIXED */
	bool			polling;	/* @poller is set up */
	bool			woken;		/* polled during stage IO */
	u8			mode;
	u8			stage;
	u8			next;		/* after @io: AXQ_RW_NEXT_* */
	u8			tw_state;	/* AXQ_TW_* (L: @tw_lock) */
	bool			tw_gone;	/* the submitter takes no more */
	struct axq_io_work	io;		/* a try on an I/O worker */
	struct axq_poller	poller;		/* hooked by a try */
	/* Tries in the submitter (see DOC); NULL: on the I/O workers. */
	struct task_struct	*submitter;	/* get_task_struct() */
	struct axq_ctx		*ctx;
	struct callback_head	tw;
	struct axq_task		*tw_waker;	/* while a try is queued */
	spinlock_t		tw_lock;	/* protects @tw_state */
};

/* Where a try in the submitter is (axq_rw_cmd.tw_state). */
enum {
	AXQ_TW_IDLE,		/* none queued */
	AXQ_TW_QUEUED,		/* task work added */
	AXQ_TW_RUNNING,		/* running in the submitter */
	AXQ_TW_DROPPED,		/* the request went: the try releases */
};

/* Where the I/O of a request runs (axq_rw_cmd.mode). */
enum {
	AXQ_RW_NOWAIT,		/* IOCB_NOWAIT on the worker, poll on -EAGAIN */
	AXQ_RW_POLL_BLOCK,	/* poll first, then a blocking try */
	AXQ_RW_BLOCK,		/* a blocking try */
};

/* How far a request got (axq_rw_cmd.stage). */
enum {
	AXQ_RW_START,		/* no try queued yet */
	AXQ_RW_IO,		/* a try is queued or running on an I/O worker */
	AXQ_RW_WAIT,		/* waiting for the poller's wake */
};

/* What a try on the worker says comes next (axq_rw_cmd.next). */
enum {
	AXQ_RW_NEXT_DONE,	/* its result is the request's */
	AXQ_RW_NEXT_WAIT,	/* not ready: wait for the poller's wake */
	AXQ_RW_NEXT_AGAIN,	/* ready but -EAGAIN: queue another try */
};

/* Retries of a ready file that still says -EAGAIN before yielding. */
#define AXQ_RW_RETRIES	8

static long axq_rw_io(struct axq_io_work *w);
static void axq_rw_release(struct axq_rw_cmd *rw);

/**
 * axq_rw_prep() - validate a READ or WRITE, take its file and mm
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission, in the submitter's mm.
 * Return: 0, -EINVAL for bad fields or flags, or a file without
 * read_iter/write_iter nor read/write (a FIXED one needs read_iter or
 * write_iter), -EBADF for a bad fd (or registered file index) or
 * a file not open for the access, -ESPIPE for an offset on a file without
 * one, -EFAULT for a buffer outside the user address space (or outside
 * the registered buffer), -ENXIO for ASYNCX_RW_FIXED without registered
 * buffers.
 */
static int axq_rw_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	bool write = req->opcode == ASYNCX_OP_WRITE;
	bool fixed = sqe->op_flags & ASYNCX_RW_FIXED;
	struct axq_rsrc_buf *buf = NULL;
	struct file *file;
	int ret;

	if (sqe->op_flags & ~ASYNCX_RW_FIXED)
		return -EINVAL;
	if (sqe->off != (u64)-1 && (s64)sqe->off < 0)
		return -EINVAL;
	if (!fixed && !access_ok(u64_to_user_ptr(sqe->addr), sqe->len))
		return -EFAULT;
	file = axq_rsrc_fget(req->ctx, sqe);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = -EBADF;
	if (!(file->f_mode & (write ? FMODE_WRITE : FMODE_READ)))
		goto err;
	ret = -EINVAL;
	if (write ? !file->f_op->write_iter && !file->f_op->write :
		    !file->f_op->read_iter && !file->f_op->read)
		goto err;
	/* ->read() and ->write() take a user pointer, not pinned pages. */
	if (fixed && (write ? !file->f_op->write_iter : !file->f_op->read_iter))
		goto err;
	ret = -ESPIPE;
	if (sqe->off != (u64)-1 &&
	    !(file->f_mode & (write ? FMODE_PWRITE : FMODE_PREAD)))
		goto err;
	if (fixed) {
		buf = axq_rsrc_buf_get(req->ctx, sqe->buf_index, sqe->addr,
				       sqe->len);
		ret = PTR_ERR(buf);
		if (IS_ERR(buf))
			goto err;
	}

	rw->file = file;
	rw->fixed = fixed;
	rw->addr = fixed ? sqe->addr - buf->ubase : sqe->addr;
	rw->len = min_t(u32, sqe->len, MAX_RW_COUNT);
	rw->use_fpos = sqe->off == (u64)-1;
	rw->pos = rw->use_fpos ? 0 : (loff_t)sqe->off;
	rw->write = write;
	if (!file_can_poll(file))
		rw->mode = AXQ_RW_BLOCK;
	else if ((file->f_mode & FMODE_NOWAIT || sock_from_file(file)) &&
		 (write ? file->f_op->write_iter : file->f_op->read_iter))
		/* (Sockets honour IOCB_NOWAIT without the flag on 6.1.) */
		rw->mode = AXQ_RW_NOWAIT;
	else
		rw->mode = AXQ_RW_POLL_BLOCK;
	rw->stage = AXQ_RW_START;
	rw->polling = false;
	rw->woken = false;
	rw->next = AXQ_RW_NEXT_DONE;
	axq_io_work_init(&rw->io, axq_rw_io);
	rw->ctx = req->ctx;
	rw->tw_state = AXQ_TW_IDLE;
	rw->tw_gone = false;
	spin_lock_init(&rw->tw_lock);
	/* A file that honours IOCB_NOWAIT is tried in its submitter. */
	rw->submitter = NULL;
	if (rw->mode == AXQ_RW_NOWAIT && !(current->flags & PF_KTHREAD)) {
		rw->submitter = current;
		get_task_struct(current);
	}
	if (fixed) {
		rw->buf = buf;
	} else {
		rw->mm = current->mm;
		mmgrab(rw->mm);
	}
	rw->cred = get_current_cred();
	return 0;
err:
	fput(file);
	return ret;
}

/*
 * Do the I/O once, in the submitter's mm. @kflags: IOCB_NOWAIT or 0.
 * Returns bytes done or a negative errno (-EAGAIN with IOCB_NOWAIT).
 */
static ssize_t axq_rw_do(struct axq_rw_cmd *rw, int kflags)
{
	/* An I/O worker reaches the buffer through the mm; the
	 * submitter (axq_rw_try_inline()) is in it already. A registered
	 * buffer needs no mm.
	 */
	bool use_mm = !rw->fixed && current->mm != rw->mm;
	unsigned int dir = rw->write ? ITER_SOURCE : ITER_DEST;
	struct file *file = rw->file;
	bool fpos = rw->use_fpos && !(file->f_mode & FMODE_STREAM);
	bool fpos_lock = fpos && (file->f_mode & FMODE_ATOMIC_POS);
	/* An I/O worker runs as the submitter (see DOC). */
	bool as = current_cred() != rw->cred;
	const struct cred *old = NULL;
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret;

	/* The process may have exited: then there is no buffer. */
	if (use_mm && !mmget_not_zero(rw->mm))
		return -EFAULT;
	if (as)
		old = override_creds(rw->cred);
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_flags |= kflags;
	if (fpos_lock)
		mutex_lock(&file->f_pos_lock);
	kiocb.ki_pos = fpos ? file->f_pos : rw->pos;
	/* As pread/pwrite do (a stream file has no position to check). */
	ret = rw_verify_area(rw->write ? WRITE : READ, file,
			     file->f_mode & FMODE_STREAM ? NULL : &kiocb.ki_pos,
			     rw->len);
	if (ret)
		goto out;
	if (rw->fixed)
		axq_rsrc_buf_iter(rw->buf, &iter, dir, rw->addr, rw->len);
	else
		iov_iter_ubuf(&iter, dir, u64_to_user_ptr(rw->addr), rw->len);

	if (use_mm)
		kthread_use_mm(rw->mm);
	if (rw->write) {
		file_start_write(file);
		if (file->f_op->write_iter)
			ret = file->f_op->write_iter(&kiocb, &iter);
		else
			ret = file->f_op->write(file, u64_to_user_ptr(rw->addr),
						rw->len, &kiocb.ki_pos);
		file_end_write(file);
	} else {
		if (file->f_op->read_iter)
			ret = file->f_op->read_iter(&kiocb, &iter);
		else
			ret = file->f_op->read(file, u64_to_user_ptr(rw->addr),
					       rw->len, &kiocb.ki_pos);
	}
	if (use_mm)
		kthread_unuse_mm(rw->mm);

	if (ret > 0) {
		if (rw->write)
			fsnotify_modify(file);
		else
			fsnotify_access(file);
	}
	if (fpos && ret > 0)
		file->f_pos = kiocb.ki_pos;
out:
	if (fpos_lock)
		mutex_unlock(&file->f_pos_lock);
	if (as)
		revert_creds(old);
	if (use_mm)
		mmput(rw->mm);
	return ret;
}

/*
 * One try, in the submitter (task work) or on an I/O worker: the I/O with
 * IOCB_NOWAIT, or blocking (see DOC); hooks the poller, whose wakes go to
 * @waker (the request's task), when the file is not ready. Sets rw->next.
 */
static long axq_rw_try(struct axq_rw_cmd *rw, struct axq_task *waker)
{
	struct axq_context cx = { .task = waker };
	unsigned int tries = 0;
	__poll_t mask;
	ssize_t ret;
	int err;

	rw->next = AXQ_RW_NEXT_DONE;
	if (rw->mode == AXQ_RW_BLOCK)
		return axq_rw_do(rw, 0);
	for (;;) {
		if (rw->mode == AXQ_RW_NOWAIT) {
			ret = axq_rw_do(rw, IOCB_NOWAIT);
			if (ret != -EAGAIN)
				return ret;
		}
		if (!rw->polling) {
			axq_poller_init(&rw->poller, rw->file,
					rw->write ? EPOLLOUT : EPOLLIN);
			rw->polling = true;
		}
		mask = 0;
		err = axq_poller_poll(&rw->poller, &cx, &mask);
		if (err)
			return err;
		if (!mask) {
			rw->next = AXQ_RW_NEXT_WAIT;
			return 0;
		}
		if (rw->mode == AXQ_RW_POLL_BLOCK) {
			axq_poller_disarm(&rw->poller);
			rw->polling = false;
			return axq_rw_do(rw, 0);
		}
		/* (A worker's signal is a cancel.) */
		if (++tries == AXQ_RW_RETRIES ||
		    (current->flags & PF_KTHREAD && signal_pending(current))) {
			/* Give the thread back; come again. */
			rw->next = AXQ_RW_NEXT_AGAIN;
			return 0;
		}
	}
}

/* A try on an I/O worker. */
static long axq_rw_io(struct axq_io_work *w)
{
	return axq_rw_try(container_of(w, struct axq_rw_cmd, io), w->waker);
}

/* A try in the submitter, from its task work (see DOC). */
static void axq_rw_tw(struct callback_head *cb)
{
	struct axq_rw_cmd *rw = container_of(cb, struct axq_rw_cmd, tw);
	struct axq_task *waker = rw->tw_waker;
	struct axq_ctx *ctx = rw->ctx;
	bool dropped;
	long res = 0;

	spin_lock(&rw->tw_lock);
	dropped = rw->tw_state == AXQ_TW_DROPPED;
	if (!dropped)
		rw->tw_state = AXQ_TW_RUNNING;
	spin_unlock(&rw->tw_lock);
	if (!dropped) {
		if (current->flags & PF_EXITING || current->mm != rw->mm) {
			/*
			 * Exiting (after exit_mm()), or in another mm since an
			 * exec: from now on the tries go to the I/O workers.
			 */
			rw->tw_gone = true;
			rw->next = AXQ_RW_NEXT_AGAIN;
		} else {
			res = axq_rw_try(rw, waker);
		}
		spin_lock(&rw->tw_lock);
		dropped = rw->tw_state == AXQ_TW_DROPPED;
		rw->tw_state = AXQ_TW_IDLE;
		spin_unlock(&rw->tw_lock);
	}
	if (dropped) {
		/* The request went meanwhile: release what the try used. */
		axq_rw_release(rw);
		axq_waker_put(waker);
		axq_ctx_put(ctx);
		return;
	}
	rw->io.result = res;
	/* Release: as an I/O worker publishes a result (iowq.c). */
	smp_store_release(&rw->io.done, 1);
	axq_wake(waker);
}

/*
 * Queue a try: in the submitter when it can take one (a file that honours
 * IOCB_NOWAIT), else on an I/O worker. 0 or a negative errno.
 */
static int axq_rw_queue(struct axq_req *req, struct axq_rw_cmd *rw,
			struct axq_context *cx)
{
	if (rw->submitter && rw->tw_gone) {
		put_task_struct(rw->submitter);
		rw->submitter = NULL;
	}
	if (rw->submitter) {
		rw->io.done = 0;
		rw->tw_waker = axq_waker_get(cx);
		spin_lock(&rw->tw_lock);
		rw->tw_state = AXQ_TW_QUEUED;
		spin_unlock(&rw->tw_lock);
		init_task_work(&rw->tw, axq_rw_tw);
		if (!task_work_add(rw->submitter, &rw->tw, TWA_SIGNAL))
			return 0;
		/* The submitter is exiting: its tries go to the workers. */
		spin_lock(&rw->tw_lock);
		rw->tw_state = AXQ_TW_IDLE;
		spin_unlock(&rw->tw_lock);
		axq_waker_put(rw->tw_waker);
		put_task_struct(rw->submitter);
		rw->submitter = NULL;
	}
	return axq_io_work_queue(req->ctx, &rw->io, cx);
}

/**
 * axq_rw_poll() - the READ/WRITE future
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready: bytes done or a negative errno
 *
 * Queues each try on an I/O worker of the context and waits for it, and
 * between tries for the poller's wake (see DOC). A poll while a try runs
 * can only come from a wake (the poller's, most likely): then, should the
 * try find the file not ready, it is tried again rather than waiting for
 * a wake that has been and gone.
 *
 * Context: an executor worker.
 * Return: AXQ_READY when the I/O is done, else AXQ_PENDING.
 */
static enum axq_poll axq_rw_poll(struct axq_req *req, struct axq_context *cx,
				 int *res)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	long out;
	int ret;

	switch (rw->stage) {
	case AXQ_RW_IO:
		if (!axq_io_work_done(&rw->io, &out)) {
			rw->woken = true;
			return AXQ_PENDING;
		}
		if (rw->next == AXQ_RW_NEXT_DONE) {
			*res = out;
			return AXQ_READY;
		}
		if (rw->next == AXQ_RW_NEXT_WAIT && !rw->woken) {
			rw->stage = AXQ_RW_WAIT;
			return AXQ_PENDING;
		}
		break;
	case AXQ_RW_START:
	case AXQ_RW_WAIT:
		break;
	}
	ret = axq_rw_queue(req, rw, cx);
	if (ret) {
		*res = ret;
		return AXQ_READY;
	}
	rw->stage = AXQ_RW_IO;
	rw->woken = false;
	return AXQ_PENDING;
}

/**
 * axq_rw_try_inline() - do the I/O at submission if it needs no waiting
 * @req: the request
 * @res: bytes done or a negative errno, when done
 *
 * Only for files that honour IOCB_NOWAIT (AXQ_RW_NOWAIT): one try, in the
 * submitter's context; -EAGAIN leaves it to the executor.
 *
 * Context: submission, in the submitter's mm.
 * Return: true if the I/O is done (or failed for good).
 */
static bool axq_rw_try_inline(struct axq_req *req, int *res)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	ssize_t ret;

	if (rw->mode != AXQ_RW_NOWAIT)
		return false;
	ret = axq_rw_do(rw, IOCB_NOWAIT);
	if (ret == -EAGAIN)
		return false;
	*res = ret;
	return true;
}

/**
 * axq_rw_reset() - make a READ/WRITE start over, for another attempt
 * @req: the request, between polls; its last try has returned
 *
 * Context: executor worker.
 */
static void axq_rw_reset(struct axq_req *req)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);

	if (rw->polling)
		axq_poller_disarm(&rw->poller);
	rw->polling = false;
	rw->stage = AXQ_RW_START;
}

/* Unhook the poller, drop the file, mm or registered buffer and cred. */
static void axq_rw_release(struct axq_rw_cmd *rw)
{
	if (rw->polling)
		axq_poller_disarm(&rw->poller);
	if (rw->submitter)
		put_task_struct(rw->submitter);
	if (rw->fixed)
		axq_rsrc_buf_put(rw->buf);
	else
		mmdrop(rw->mm);
	put_cred(rw->cred);
	fput(rw->file);
}

/* The request went while a try ran: its worker releases, after the try. */
static void axq_rw_orphan(struct axq_io_work *w)
{
	axq_rw_release(container_of(w, struct axq_rw_cmd, io));
}

/**
 * axq_rw_cleanup() - stop a READ/WRITE and drop its file and its mm or
 *	registered buffer
 * @req: the request
 *
 * A try running on an I/O worker is interrupted, not waited for: then the
 * worker releases all this when the try returns.
 *
 * Context: process context (the request's drop); never sleeps on the I/O.
 */
static void axq_rw_cleanup(struct axq_req *req)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	bool queued = false;

	/* A try queued or running in the submitter releases, after it. */
	if (rw->submitter) {
		spin_lock(&rw->tw_lock);
		if (rw->tw_state != AXQ_TW_IDLE) {
			rw->tw_state = AXQ_TW_DROPPED;
			refcount_inc(&req->ctx->refs);
			queued = true;
		}
		spin_unlock(&rw->tw_lock);
	}
	if (queued)
		return;
	if (axq_io_work_drop(req->ctx, &rw->io, axq_rw_orphan))
		return;
	axq_rw_release(rw);
}

/* A short READ or WRITE breaks a chain, as an error does. */
static bool axq_rw_chain_ok(const struct axq_req *req)
{
	const struct axq_rw_cmd *rw = axq_req_cmd(req, const struct axq_rw_cmd);

	return req->res >= 0 && (u32)req->res == rw->len;
}

const struct axq_opdef axq_op_read = {
	.name		= "READ",
	.cmd_size	= sizeof(struct axq_rw_cmd),
	.op_flags	= ASYNCX_RW_FIXED,
	.chain_ok	= axq_rw_chain_ok,
	.prep		= axq_rw_prep,
	.poll		= axq_rw_poll,
	.try_inline	= axq_rw_try_inline,
	.reset		= axq_rw_reset,
	.cleanup	= axq_rw_cleanup,
};

const struct axq_opdef axq_op_write = {
	.name		= "WRITE",
	.cmd_size	= sizeof(struct axq_rw_cmd),
	.op_flags	= ASYNCX_RW_FIXED,
	.chain_ok	= axq_rw_chain_ok,
	.prep		= axq_rw_prep,
	.poll		= axq_rw_poll,
	.try_inline	= axq_rw_try_inline,
	.reset		= axq_rw_reset,
	.cleanup	= axq_rw_cleanup,
};
