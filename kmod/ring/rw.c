// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_READ and ASYNCX_OP_WRITE — read or write a user buffer
 * at a file offset or at the file position.
 */

/**
 * DOC: read and write
 *
 * A READ or WRITE (READV, WRITEV: the same over an iovec array copied at
 * submission) is first tried at submission, in the submitter's own
 * thread, when the file honours IOCB_NOWAIT (sockets, eventfd, pipes on
 * newer kernels; regular files and block devices with FMODE_NOWAIT, unless
 * O_DIRECT): a ready file, or a page-cache hit, completes it there. Nothing
 * of it runs on the executor's shared workers, since it may fault on the
 * user buffer or sleep in the file:
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
 * - anything else (regular files): a blocking try on an I/O worker; when
 *   the try at submission did part of it (a short count of a regular file
 *   is not its end), the worker does the rest, and the result counts both,
 *   so a regular file reads short only at its end, as with read(2).
 *
 * O_DIRECT at an offset, on a regular file or a block device, is true
 * async I/O: the kiocb carries a completion callback (ki_complete), so the
 * file system or block layer queues the I/O and returns, and the device's
 * completion (often an interrupt) records the result and wakes the
 * request's task. No thread waits for the device. An I/O issued at
 * submission by a request outside any chain does not even start the
 * request on the executor: its completion retires it from the submitting
 * thread's task work (axq_rw_aio_detach()), as io_uring completes in its
 * submitter, so the CQE is posted in the thread that waits for it, and
 * no executor thread is woken (a workqueue retires it when that thread
 * has exited). The issue is tried at
 * submission with IOCB_NOWAIT when the file honours it; when that would
 * block (or the device refuses it for want of room, an -EAGAIN
 * completion), it is issued again, blocking, on an I/O worker, which
 * returns as soon as the device has it. The I/O's state (struct
 * axq_rw_aio) lives apart from the request, and holds the file (and a
 * registered buffer) until the completion: a context closed meanwhile
 * goes, and the completion frees it. A CANCEL, a deadline or a SELECT
 * group cannot stop an I/O the device has (axq_rw_stop(): the device
 * would still write the buffer after the CQE said otherwise): the CANCEL
 * answers -EALREADY and the request completes with its result. O_DIRECT
 * at the file position (off -1) is done on an I/O worker as a blocking
 * try, as the position must move with it.
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
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fsnotify.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/percpu-refcount.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/compat.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "compose.h"
#include "cq.h"
#include "ctx.h"
#include "iowq.h"
#include "opdef.h"
#include "pbuf.h"
#include "req.h"
#include "rsrc.h"

/* The state of READ, WRITE, READV and WRITEV; the stages are below. */
struct axq_rw_cmd {
	struct file		*file;		/* a reference */
	const struct cred	*cred;		/* the submitter's (get_cred()) */
	struct mm_struct	*mm;		/* the submitter's, mmgrab()bed */
	struct axq_rsrc_buf	*buf;		/* @fixed: a reference */
	struct iovec		*iov;		/* READV/WRITEV: a copy */
	u64			addr;		/* @fixed: offset in @buf */
	u32			len;		/* bytes asked for, in all */
	u32			done;		/* bytes done by earlier tries */
	u32			nr_segs;	/* of @iov */
	u32			msg_flags;	/* SOCK_SEND, SOCK_RECV: MSG_* */
	loff_t			pos;
	bool			use_fpos;	/* off was (__u64)-1 */
	bool			write;
	bool			fixed;		/* ASYNCX_RW_FIXED */
	bool			polling;	/* @poller is set up */
	bool			woken;		/* polled during stage IO */
	bool			nowait_first;	/* AXQ_RW_BLOCK: try inline */
	bool			tw_gone;	/* the submitter takes no more */
	bool			stopping;	/* axq_rw_stop() was asked */
	bool			moving;		/* a try moves data (NOWAIT) */
	bool			sock_op;	/* SOCK_SEND, SOCK_RECV */
	bool			multishot;	/* ASYNCX_SOCK_RECV_MULTISHOT */
	bool			bid_used;	/* a try took buffer @bid */
	u16			bid;
	u8			mode;
	u8			stage;
	u8			next;		/* after @io: AXQ_RW_NEXT_* */
	struct axq_io_work	io;		/* a try: worker or submitter */
	struct axq_poller	poller;		/* hooked by a try */
	/* Tries in the submitter (see DOC); NULL: on the I/O workers. */
	struct task_struct	*submitter;	/* get_task_struct() */
	struct axq_rw_aio	*aio;		/* AXQ_RW_DIRECT, once issued */
	struct axq_rw_msg	*msg;		/* SENDMSG, RECVMSG */
	/* ASYNCX_SOCK_RECV_PBUF: the provided-buffer ring (a reference) */
	struct axq_pbuf_ring	*pbuf;
};

/**
 * struct axq_rw_msg - what SENDMSG and RECVMSG take from the user's
 *	struct msghdr besides its iovec array (copied at submission)
 * @umsg: the user's struct msghdr: RECVMSG writes back msg_namelen,
 *	msg_controllen and msg_flags, as recvmsg(2) does
 * @uname: RECVMSG: where the sender's address goes
 * @ucontrol: RECVMSG: the user's control buffer
 * @control: SENDMSG: a copy of the control messages
 * @controllen: the control buffer's length
 * @namelen: SENDMSG: @addr's length; RECVMSG: room at @uname
 * @addr: SENDMSG: the destination; RECVMSG: the sender, as received
 */
struct axq_rw_msg {
	struct user_msghdr __user	*umsg;
	void __user			*uname;
	void __user			*ucontrol;
	void				*control;
	size_t				controllen;
	int				namelen;
	struct sockaddr_storage		addr;
};

/* SENDMSG's control messages, at most (sendmsg(2): the socket's optmem). */
#define AXQ_RW_CONTROL_MAX	(64 * 1024)
/**
 * struct axq_rw_aio - an O_DIRECT READ or WRITE issued with a completion
 *	callback (see DOC "O_DIRECT"); apart from its request, which may go
 *	before the device is done
 * @kiocb: the I/O; its ki_filp is a reference of its own
 * @lock: protects @waker, @res, @done and @dropped (taken in the
 *	completion, which may run in hard or soft interrupt context)
 * @waker: the request's poll, waiting for the completion
 * @res: the result, once @done
 * @done: the completion has come (or the issue finished synchronously)
 * @dropped: the request went: the completion frees this (@free_work)
 * @queued: the device has it: the completion will come
 * @write_held: the superblock's freeze protection is held for the I/O
 * @nowait: issued with IOCB_NOWAIT: an -EAGAIN completion (the device had
 *	no room: bio_wouldblock_error()) means issue it again, blocking
 * @buf: a registered buffer's reference (ASYNCX_RW_FIXED), or NULL
 * @free_work: frees a dropped one in process context
 * @req: detached (axq_rw_aio_detach()): the request that the completion
 *	retires, never started on the executor; else NULL (L: @lock)
 * @submitter: detached: the thread whose task work retires @req (a
 *	reference)
 * @tw: detached: that task work
 * @done_work: detached: the same, on axq_rw_aio_wq, when that thread
 *	takes no more task work (it is exiting)
 */
struct axq_rw_aio {
	struct kiocb		kiocb;
	spinlock_t		lock;		/* see above */
	struct axq_task		*waker;
	long			res;
	bool			done;
	bool			dropped;
	bool			queued;
	bool			write_held;
	bool			nowait;
	struct axq_rsrc_buf	*buf;
	struct work_struct	free_work;
	struct axq_req		*req;
	struct task_struct	*submitter;
	struct callback_head	tw;
	struct work_struct	done_work;
};

/* Dropped requests' O_DIRECT I/O, freed after its completion. */
static struct workqueue_struct *axq_rw_aio_wq;
/*
 * O_DIRECT I/Os not yet freed: unload waits for none (axq_rw_exit()). A
 * percpu_ref, as the next one: a get and a put per I/O touch only this
 * CPU's counter, so contexts on different CPUs share no cache line there
 * (they were module-wide atomics); unload kills it and waits for release.
 */
static struct percpu_ref axq_rw_aios;
static DECLARE_COMPLETION(axq_rw_aios_gone);
/*
 * Requests left to their O_DIRECT completion (axq_rw_aio_detach()) and not
 * yet retired: unload waits for none before it stops the runtime
 * (axq_rw_quiesce()), since one may yet start on the executor.
 */
static struct percpu_ref axq_rw_detached;
static DECLARE_COMPLETION(axq_rw_detached_gone);
static bool axq_rw_quiesced;

/* Where the I/O of a request runs (axq_rw_cmd.mode). */
enum {
	AXQ_RW_NOWAIT,		/* IOCB_NOWAIT on the worker, poll on -EAGAIN */
	AXQ_RW_POLL_BLOCK,	/* poll first, then a blocking try */
	AXQ_RW_BLOCK,		/* a blocking try */
	AXQ_RW_DIRECT,		/* O_DIRECT at an offset: the device completes */
};

/* How far a request got (axq_rw_cmd.stage). */
enum {
	AXQ_RW_START,		/* no try queued yet */
	AXQ_RW_IO,		/* a try is queued or running on an I/O worker */
	AXQ_RW_WAIT,		/* waiting for the poller's wake */
	AXQ_RW_AIO,		/* an O_DIRECT I/O is with the device */
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
static void axq_rw_aio_drop(struct axq_rw_cmd *rw);

/*
 * READV/WRITEV: copy the iovec array at @uvec (@nr entries, at most
 * UIO_MAXIOV; a compat task's are struct compat_iovec) and check it as
 * readv(2) does: -EINVAL for a negative length or too many entries,
 * -EFAULT for a segment outside the user address space. The total is
 * clamped to MAX_RW_COUNT, shortening the segments past it.
 */
static int axq_rw_import_vec(struct axq_rw_cmd *rw, u64 uvec, u32 nr)
{
	struct iovec *iov;
	size_t total = 0;
	u32 i;

	if (nr > UIO_MAXIOV)
		return -EINVAL;
	iov = kmalloc_array(max_t(u32, nr, 1), sizeof(*iov),
			    GFP_KERNEL_ACCOUNT);
	if (!iov)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
#ifdef CONFIG_COMPAT
		if (in_compat_syscall()) {
			struct compat_iovec civ;

			if (copy_from_user(&civ, u64_to_user_ptr(uvec) +
					   i * sizeof(civ), sizeof(civ)))
				goto fault;
			iov[i].iov_base = compat_ptr(civ.iov_base);
			iov[i].iov_len = civ.iov_len;
			continue;
		}
#endif
		if (copy_from_user(&iov[i], u64_to_user_ptr(uvec) +
				   i * sizeof(*iov), sizeof(*iov)))
			goto fault;
	}
	for (i = 0; i < nr; i++) {
		size_t len = iov[i].iov_len;

		if ((ssize_t)len < 0) {
			kfree(iov);
			return -EINVAL;
		}
		if (!access_ok(iov[i].iov_base, len))
			goto fault;
		if (len > MAX_RW_COUNT - total) {
			len = MAX_RW_COUNT - total;
			iov[i].iov_len = len;
		}
		total += len;
	}
	rw->iov = iov;
	rw->nr_segs = nr;
	rw->len = total;
	return 0;
fault:
	kfree(iov);
	return -EFAULT;
}

static void axq_rw_msg_free(struct axq_rw_cmd *rw)
{
	if (!rw->msg)
		return;
	kfree(rw->msg->control);
	kfree(rw->msg);
	rw->msg = NULL;
}

/*
 * SENDMSG, RECVMSG: the user's struct msghdr at @umsg, checked as
 * sendmsg(2) and recvmsg(2) check it: its iovec array (more than
 * UIO_MAXIOV entries: -EMSGSIZE), a SENDMSG's address (longer than
 * struct sockaddr_storage: -EINVAL) and control messages (copied; over
 * AXQ_RW_CONTROL_MAX: -ENOBUFS). Not for a compat task (-EINVAL).
 */
static int axq_rw_import_msg(struct axq_rw_cmd *rw, u64 umsg, bool send)
{
	struct user_msghdr um;
	struct axq_rw_msg *m;
	int ret;

	if (in_compat_syscall())
		return -EINVAL;
	if (copy_from_user(&um, u64_to_user_ptr(umsg), sizeof(um)))
		return -EFAULT;
	if (um.msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if (um.msg_namelen < 0 ||
	    (send && um.msg_name && um.msg_namelen > sizeof(m->addr)))
		return -EINVAL;
	if (um.msg_controllen > INT_MAX || (send && um.msg_controllen &&
					    um.msg_controllen > AXQ_RW_CONTROL_MAX))
		return -ENOBUFS;
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	rw->msg = m;
	m->umsg = u64_to_user_ptr(umsg);
	m->controllen = um.msg_controllen;
	if (send) {
		m->namelen = um.msg_name ? um.msg_namelen : 0;
		/* (Through the stack: hardened usercopy.) */
		if (m->namelen) {
			struct sockaddr_storage a;

			if (copy_from_user(&a, um.msg_name, m->namelen))
				return -EFAULT;
			memcpy(&m->addr, &a, m->namelen);
		}
		if (m->controllen) {
			m->control = memdup_user(um.msg_control, m->controllen);
			if (IS_ERR(m->control)) {
				ret = PTR_ERR(m->control);
				m->control = NULL;
				return ret;
			}
		}
	} else {
		m->uname = um.msg_name;
		m->namelen = um.msg_namelen;
		m->ucontrol = um.msg_control;
	}
	return axq_rw_import_vec(rw, (u64)(uintptr_t)um.msg_iov,
				 um.msg_iovlen);
}

/**
 * axq_rw_prep() - validate a READ, WRITE, READV or WRITEV, take its file,
 *	its mm and its credentials
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission, in the submitter's mm.
 * Return: 0, -EINVAL for bad fields or flags, or a file without
 * read_iter/write_iter nor read/write (a FIXED one needs read_iter or
 * write_iter), or a bad iovec array (a negative length, more than
 * UIO_MAXIOV entries), -EBADF for a bad fd (or registered file index) or
 * a file not open for the access, -ESPIPE for an offset on a file without
 * one, -EFAULT for a buffer outside the user address space (or outside
 * the registered buffer), -ENXIO for ASYNCX_RW_FIXED without registered
 * buffers, -ENOMEM.
 */
static int axq_rw_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	bool vec = req->opcode == ASYNCX_OP_READV ||
		   req->opcode == ASYNCX_OP_WRITEV;
	bool msg_op = req->opcode == ASYNCX_OP_SENDMSG ||
		      req->opcode == ASYNCX_OP_RECVMSG;
	bool sock_op = msg_op || req->opcode == ASYNCX_OP_SOCK_SEND ||
		       req->opcode == ASYNCX_OP_SOCK_RECV;
	bool write = req->opcode == ASYNCX_OP_WRITE ||
		     req->opcode == ASYNCX_OP_WRITEV ||
		     req->opcode == ASYNCX_OP_SOCK_SEND ||
		     req->opcode == ASYNCX_OP_SENDMSG;
	bool fixed = sqe->op_flags & ASYNCX_RW_FIXED;
	bool pbuf = sqe->op_flags & ASYNCX_SOCK_RECV_PBUF;
	bool multishot = sqe->op_flags & ASYNCX_SOCK_RECV_MULTISHOT;
	u32 op_flags = ASYNCX_RW_FIXED;
	/* SOCK_SEND and SOCK_RECV: off holds the MSG_* flags. */
	u64 off = sock_op ? (u64)-1 : sqe->off;
	struct axq_rsrc_buf *buf = NULL;
	struct file *file;
	bool iter_ops;
	int ret;

	rw->iov = NULL;
	rw->msg = NULL;
	rw->pbuf = NULL;
	if (req->opcode == ASYNCX_OP_SOCK_RECV)
		op_flags |= ASYNCX_SOCK_RECV_PBUF | ASYNCX_SOCK_RECV_MULTISHOT;
	if (sqe->op_flags & ~op_flags || ((vec || msg_op) && fixed))
		return -EINVAL;
	/*
	 * A provided buffer is taken by a receive that got data: no buffer
	 * of the user's, none of the registered ones, no waiting for more
	 * than one receive's worth; a multishot one takes a buffer per
	 * receive (a peek would take them all for the same data).
	 */
	if (pbuf && (fixed || sqe->addr || sqe->off & MSG_WAITALL))
		return -EINVAL;
	if (multishot && (!pbuf || sqe->off & MSG_PEEK))
		return -EINVAL;
	/*
	 * Bit 31 is MSG_CMSG_COMPAT, the kernel's own (recvmsg(2) refuses
	 * it), on every kernel: also where CONFIG_COMPAT makes it 0.
	 */
	if (sock_op && (sqe->off >> 32 || sqe->off & BIT(31)))
		return -EINVAL;
	if (off != (u64)-1 && (s64)off < 0)
		return -EINVAL;
	if (!fixed && !vec && !msg_op && !pbuf &&
	    !access_ok(u64_to_user_ptr(sqe->addr), sqe->len))
		return -EFAULT;
	file = axq_rsrc_fget(req->ctx, sqe);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = -ENOTSOCK;
	if (sock_op && !sock_from_file(file))
		goto err;
	ret = -EBADF;
	if (!(file->f_mode & (write ? FMODE_WRITE : FMODE_READ)))
		goto err;
	iter_ops = write ? !!file->f_op->write_iter : !!file->f_op->read_iter;
	ret = -EINVAL;
	if (!iter_ops && (write ? !file->f_op->write : !file->f_op->read))
		goto err;
	/* ->read() and ->write() take a user pointer, not pinned pages. */
	if (fixed && !iter_ops)
		goto err;
	ret = -ESPIPE;
	if (off != (u64)-1 &&
	    !(file->f_mode & (write ? FMODE_PWRITE : FMODE_PREAD)))
		goto err;
	rw->nr_segs = 0;
	if (msg_op) {
		ret = axq_rw_import_msg(rw, sqe->addr, write);
		if (ret)
			goto err;
	} else if (vec) {
		ret = axq_rw_import_vec(rw, sqe->addr, sqe->len);
		if (ret)
			goto err;
	} else {
		rw->len = min_t(u32, sqe->len, MAX_RW_COUNT);
	}
	if (fixed) {
		buf = axq_rsrc_buf_get(req->ctx, sqe->buf_index, sqe->addr,
				       sqe->len);
		ret = PTR_ERR(buf);
		if (IS_ERR(buf))
			goto err;
	} else if (pbuf) {
		/* (An unknown group has no buffer: as an empty ring.) */
		rw->pbuf = axq_pbuf_get(req->ctx, sqe->buf_index);
		ret = -ENOBUFS;
		if (!rw->pbuf)
			goto err;
	}

	rw->file = file;
	rw->fixed = fixed;
	rw->buf = buf;
	rw->addr = fixed ? sqe->addr - buf->ubase : sqe->addr;
	rw->done = 0;
	rw->use_fpos = off == (u64)-1;
	rw->pos = rw->use_fpos ? 0 : (loff_t)off;
	rw->write = write;
	rw->sock_op = sock_op;
	rw->msg_flags = sock_op ? sqe->off : 0;
	rw->nowait_first = false;
	rw->aio = NULL;
	rw->stopping = false;
	rw->moving = false;
	rw->multishot = multishot;
	rw->bid_used = false;
	rw->bid = 0;
	if (file->f_flags & O_DIRECT && iter_ops && !rw->use_fpos &&
	    (S_ISREG(file_inode(file)->i_mode) ||
	     S_ISBLK(file_inode(file)->i_mode))) {
		rw->mode = AXQ_RW_DIRECT;
		rw->nowait_first = file->f_mode & FMODE_NOWAIT;
	} else if (!file_can_poll(file)) {
		rw->mode = AXQ_RW_BLOCK;
		/*
		 * A regular file or a block device that honours IOCB_NOWAIT
		 * is tried once at submission: a page-cache hit completes
		 * there. (O_DIRECT would wait for the device in a sync
		 * kiocb: it goes to the workers.)
		 */
		rw->nowait_first = file->f_mode & FMODE_NOWAIT && iter_ops &&
				   !(file->f_flags & O_DIRECT) &&
				   (S_ISREG(file_inode(file)->i_mode) ||
				    S_ISBLK(file_inode(file)->i_mode));
	} else if ((file->f_mode & FMODE_NOWAIT || sock_from_file(file)) &&
		   iter_ops) {
		/* (Sockets honour IOCB_NOWAIT without the flag on 6.1.) */
		rw->mode = AXQ_RW_NOWAIT;
	} else {
		rw->mode = AXQ_RW_POLL_BLOCK;
	}
	rw->stage = AXQ_RW_START;
	rw->polling = false;
	rw->woken = false;
	rw->next = AXQ_RW_NEXT_DONE;
	axq_io_work_init(&rw->io, axq_rw_io);
	rw->tw_gone = false;
	/* A file that honours IOCB_NOWAIT is tried in its submitter. */
	rw->submitter = NULL;
	if (rw->mode == AXQ_RW_NOWAIT && !(current->flags & PF_KTHREAD)) {
		rw->submitter = current;
		get_task_struct(current);
	}
	rw->mm = current->mm;
	mmgrab(rw->mm);
	rw->cred = get_current_cred();
	return 0;
err:
	axq_rw_msg_free(rw);
	kfree(rw->iov);
	fput(file);
	return ret;
}

/* A result of the request from a try's: with what earlier tries did. */
static long axq_rw_total(const struct axq_rw_cmd *rw, ssize_t ret)
{
	if (ret < 0)
		/* As read(2): bytes done before an error are the result. */
		return rw->done ? rw->done : ret;
	return rw->done + ret;
}

/*
 * ->read() or ->write() of a file without the _iter ones, segment by
 * segment from where earlier tries stopped, as readv(2) loops.
 */
static ssize_t axq_rw_loop(struct axq_rw_cmd *rw, loff_t *pos)
{
	struct iovec one = {
		.iov_base = u64_to_user_ptr(rw->addr),
		.iov_len = rw->len,
	};
	const struct iovec *iov = rw->iov ? rw->iov : &one;
	u32 nr = rw->iov ? rw->nr_segs : 1, skip = rw->done, i;
	struct file *file = rw->file;
	ssize_t ret = 0, n;

	for (i = 0; i < nr; i++) {
		char __user *base = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		base += skip;
		len -= skip;
		skip = 0;
		if (rw->write)
			n = file->f_op->write(file, base, len, pos);
		else
			n = file->f_op->read(file, base, len, pos);
		if (n < 0) {
			if (!ret)
				ret = n;
			break;
		}
		ret += n;
		if (n != len)
			break;
	}
	return ret;
}

/*
 * SOCK_SEND, SOCK_RECV: sock_sendmsg() or sock_recvmsg() with the SQE's
 * MSG_* flags, as send(2) and recv(2) (whose LSM hooks those call); a
 * try with IOCB_NOWAIT adds MSG_DONTWAIT. (The user's own MSG_DONTWAIT
 * makes -EAGAIN the result, as it is for send(2) and recv(2).)
 */
static ssize_t axq_rw_sock(struct axq_rw_cmd *rw, struct iov_iter *iter,
			   int kflags)
{
	struct socket *sock = sock_from_file(rw->file);
	struct msghdr msg = { .msg_flags = rw->msg_flags };
	struct axq_rw_msg *m = rw->msg;
	int len, ret;

	if (kflags & IOCB_NOWAIT)
		msg.msg_flags |= MSG_DONTWAIT;
	msg.msg_iter = *iter;
	if (!m) {
		if (rw->write)
			return sock_sendmsg(sock, &msg);
		return sock_recvmsg(sock, &msg, msg.msg_flags);
	}
	/*
	 * Control messages name the thread's own files (SCM_RIGHTS) and
	 * credentials: only in the submitter, never on a worker.
	 */
	if (m->controllen && current->flags & PF_KTHREAD)
		return -ECANCELED;
	if (rw->write) {
		msg.msg_name = m->namelen ? &m->addr : NULL;
		msg.msg_namelen = m->namelen;
		msg.msg_control = m->control;
		msg.msg_controllen = m->controllen;
		return sock_sendmsg(sock, &msg);
	}
	msg.msg_name = m->uname ? &m->addr : NULL;
	msg.msg_control_user = m->ucontrol;
	msg.msg_control_is_user = true;
	msg.msg_controllen = m->controllen;
	ret = sock_recvmsg(sock, &msg, msg.msg_flags);
	if (ret < 0)
		return ret;
	/* As recvmsg(2) writes back: the address, its length, the rest. */
	if (m->uname) {
		len = min(msg.msg_namelen, m->namelen);
		if (len && copy_to_user(m->uname, &m->addr, len))
			return -EFAULT;
		if (put_user(msg.msg_namelen, &m->umsg->msg_namelen))
			return -EFAULT;
	}
	if (put_user(msg.msg_flags & ~BIT(31), &m->umsg->msg_flags) ||
	    put_user(m->controllen - msg.msg_controllen,
		     &m->umsg->msg_controllen))
		return -EFAULT;
	return ret;
}

/*
 * SOCK_RECV into a provided buffer (see pbuf.c): the buffer at the ring's
 * head is taken only by a receive that got data, under the ring's lock,
 * held across the receive so that no other try takes the same buffer. An
 * empty ring is -ENOBUFS only when there is something to receive: a
 * socket with nothing waits, with no buffer (-EAGAIN).
 */
static ssize_t axq_rw_recv_pbuf(struct axq_rw_cmd *rw, int kflags)
{
	struct msghdr msg = { .msg_flags = rw->msg_flags };
	struct axq_pbuf_sel sel;
	ssize_t ret;

	if (kflags & IOCB_NOWAIT)
		msg.msg_flags |= MSG_DONTWAIT;
	mutex_lock(&rw->pbuf->lock);
	ret = axq_pbuf_peek(rw->pbuf, &sel);
	if (!ret) {
		if (rw->len)
			sel.len = min(sel.len, rw->len);
		iov_iter_ubuf(&msg.msg_iter, ITER_DEST,
			      u64_to_user_ptr(sel.addr), sel.len);
		ret = sock_recvmsg(sock_from_file(rw->file), &msg,
				   msg.msg_flags);
		if (ret > 0) {
			axq_pbuf_commit(rw->pbuf);
			rw->bid = sel.bid;
			rw->bid_used = true;
		}
	} else if (ret == -ENOBUFS && !rw->pbuf->dead &&
		   !(vfs_poll(rw->file, NULL) & (EPOLLIN | EPOLLRDHUP |
						 EPOLLERR | EPOLLHUP))) {
		ret = -EAGAIN;
	}
	mutex_unlock(&rw->pbuf->lock);
	return ret;
}

/* The CQE flags of the provided buffer the last try took, if any. */
static u32 axq_rw_buf_peek(const struct axq_rw_cmd *rw)
{
	return rw->bid_used ? ASYNCX_CQE_F_BUFFER | (u32)rw->bid << 16 : 0;
}

/* The same, for the CQE that names it: the next try takes another. */
static u32 axq_rw_buf_flags(struct axq_rw_cmd *rw)
{
	u32 flags = axq_rw_buf_peek(rw);

	rw->bid_used = false;
	return flags;
}

/*
 * A try that may move data (AXQ_RW_NOWAIT) says so before it does, and a
 * stop (axq_rw_stop()) says it is asked before it looks: one of them sees
 * the other (the smp_mb() pair), so a request is never stopped from the
 * start of its try until its poll has the try's result (a stream's bytes
 * taken and reported as -ECANCELED, a provided buffer taken and never
 * named), and a try never moves data for a request being stopped. False:
 * stopping, do nothing.
 */
static bool axq_rw_move_begin(struct axq_rw_cmd *rw)
{
	WRITE_ONCE(rw->moving, true);
	/* Pairs with axq_rw_stop()'s. */
	smp_mb();
	if (!READ_ONCE(rw->stopping))
		return true;
	WRITE_ONCE(rw->moving, false);
	return false;
}

/*
 * The try's result is in the request's hands: a stop may go ahead again.
 * True if one was asked (and refused) meanwhile: the request ends now.
 */
static bool axq_rw_move_done(struct axq_rw_cmd *rw)
{
	WRITE_ONCE(rw->moving, false);
	/* Pairs with axq_rw_stop()'s: a stop then, or the request ends. */
	smp_mb();
	return READ_ONCE(rw->stopping);
}

/* The result of a request whose stop was refused while its try ran. */
static int axq_rw_stopped_res(struct axq_req *req, struct axq_rw_cmd *rw)
{
	return axq_rw_total(rw, axq_deadline_passed(req, axq_req_dl(req)) ? -ETIME :
				-ECANCELED);
}

/*
 * MSG_WAITALL on a stream or seqpacket socket: a partial count is not
 * the end, as with send(2) and recv(2), which block for the rest. True
 * (with it counted in rw->done) when the try should go on.
 */
static bool axq_rw_sock_more(struct axq_rw_cmd *rw, ssize_t ret)
{
	struct socket *sock;

	/* (SENDMSG, RECVMSG: as one call; their result is a try's.) */
	if (!rw->sock_op || rw->msg || !(rw->msg_flags & MSG_WAITALL) ||
	    ret <= 0 || rw->done + ret >= rw->len)
		return false;
	sock = sock_from_file(rw->file);
	if (sock->type != SOCK_STREAM && sock->type != SOCK_SEQPACKET)
		return false;
	rw->done += ret;
	return true;
}

/*
 * Do the I/O once, in the submitter's mm, from where earlier tries
 * stopped (@rw->done). @kflags: IOCB_NOWAIT or 0.
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
	bool iter_ops = rw->write ? !!file->f_op->write_iter :
				    !!file->f_op->read_iter;
	u32 count = rw->len - rw->done;
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
	kiocb.ki_pos = fpos ? file->f_pos : rw->pos + rw->done;
	/* As pread/pwrite do (a stream file has no position to check). */
	ret = rw_verify_area(rw->write ? WRITE : READ, file,
			     file->f_mode & FMODE_STREAM ? NULL : &kiocb.ki_pos,
			     count);
	if (ret)
		goto out;
	if (rw->pbuf) {
		/* (axq_rw_recv_pbuf() makes its own, once it has a buffer.) */
	} else if (rw->iov) {
		iov_iter_init(&iter, dir, rw->iov, rw->nr_segs, rw->len);
		iov_iter_advance(&iter, rw->done);
	} else if (rw->fixed) {
		axq_rsrc_buf_iter(rw->buf, &iter, dir, rw->addr + rw->done,
				  count);
	} else {
		iov_iter_ubuf(&iter, dir, u64_to_user_ptr(rw->addr + rw->done),
			      count);
	}

	if (use_mm)
		kthread_use_mm(rw->mm);
	if (rw->write)
		file_start_write(file);
	if (rw->pbuf)
		ret = axq_rw_recv_pbuf(rw, kflags);
	else if (rw->sock_op)
		ret = axq_rw_sock(rw, &iter, kflags);
	else if (!iter_ops)
		ret = axq_rw_loop(rw, &kiocb.ki_pos);
	else if (rw->write)
		ret = file->f_op->write_iter(&kiocb, &iter);
	else
		ret = file->f_op->read_iter(&kiocb, &iter);
	if (rw->write)
		file_end_write(file);
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

/* Free an O_DIRECT I/O's state: it is done, or was never queued. */
static void axq_rw_aio_free(struct axq_rw_aio *aio)
{
	if (aio->buf)
		axq_rsrc_buf_put(aio->buf);
	fput(aio->kiocb.ki_filp);
	kfree(aio);
	/* The last access: unload waits for none left (axq_rw_exit()). */
	percpu_ref_put(&axq_rw_aios);
}

static void axq_rw_aio_free_work(struct work_struct *work)
{
	axq_rw_aio_free(container_of(work, struct axq_rw_aio, free_work));
}

/* The end of the freeze protection a write took at its issue. */
static void axq_rw_aio_end_write(struct axq_rw_aio *aio)
{
	struct super_block *sb = file_inode(aio->kiocb.ki_filp)->i_sb;

	if (!aio->write_held)
		return;
	aio->write_held = false;
	/* (Lockdep: the protection comes from the issuing thread.) */
	__sb_writers_acquired(sb, SB_FREEZE_WRITE);
	sb_end_write(sb);
}

/*
 * A detached request's I/O is done (see axq_rw_aio_detach()): retire the
 * request with its result, or, when the device had no room for an I/O
 * issued with IOCB_NOWAIT, start it on the executor, which issues it again,
 * blocking, on an I/O worker. In the submitter's task work, or on
 * axq_rw_aio_wq; frees the I/O's state (through the request's cleanup).
 */
static void axq_rw_aio_finish(struct axq_rw_aio *aio)
{
	struct task_struct *submitter = aio->submitter;
	struct axq_req *req = aio->req;
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);

	if (aio->res == -EAGAIN && aio->nowait) {
		axq_rw_aio_drop(rw);
		rw->stage = AXQ_RW_START;
		axq_link_start(req);
	} else {
		axq_req_retire(req, aio->res);
	}
	put_task_struct(submitter);
	/* The last use of module code for this I/O: unload waits for it. */
	rcu_read_lock();
	percpu_ref_put(&axq_rw_detached);
	rcu_read_unlock();
}

static void axq_rw_aio_tw(struct callback_head *cb)
{
	axq_rw_aio_finish(container_of(cb, struct axq_rw_aio, tw));
}

static void axq_rw_aio_done_work(struct work_struct *work)
{
	axq_rw_aio_finish(container_of(work, struct axq_rw_aio, done_work));
}

/*
 * The device is done: record the result and wake the request's poll, or
 * free the state of a request that went meanwhile, or hand a detached
 * request to its submitter's task work (as io_uring completes in its
 * submitter's), which retires it.
 * Context: any (often a block device's interrupt or softirq).
 */
static void axq_rw_aio_complete(struct kiocb *kiocb, long res)
{
	struct axq_rw_aio *aio = container_of(kiocb, struct axq_rw_aio, kiocb);
	struct axq_task *waker;
	unsigned long flags;
	bool dropped, detached;

	/* Unload's synchronize_rcu() waits for this to return. */
	rcu_read_lock();
	axq_rw_aio_end_write(aio);
	spin_lock_irqsave(&aio->lock, flags);
	aio->res = res;
	aio->done = true;
	waker = aio->waker;
	aio->waker = NULL;
	dropped = aio->dropped;
	detached = aio->req;
	spin_unlock_irqrestore(&aio->lock, flags);
	if (waker)
		axq_wake(waker);
	if (dropped)
		queue_work(axq_rw_aio_wq, &aio->free_work);
	if (detached) {
		/* (The task work may run at once: aio is not ours after.) */
		init_task_work(&aio->tw, axq_rw_aio_tw);
		if (task_work_add(aio->submitter, &aio->tw, TWA_SIGNAL))
			queue_work(axq_rw_aio_wq, &aio->done_work);
	}
	rcu_read_unlock();
}

/*
 * An O_DIRECT I/O issued at submission by a request outside any chain
 * (axq_req_try()): rather than start the request on the executor to wait
 * for the completion, leave it to the completion, which retires it from
 * the submitting thread's task work (axq_rw_aio_finish()): no executor
 * thread is woken, and the CQE is posted in the thread that waits for it.
 * Nothing else touches such a request: a CANCEL cannot stop it (the device
 * has its I/O, axq_rw_stop()), and the context's close leaves it to the
 * completion. It counts in axq_rw_detached until the retire is over.
 * True (*@res -EIOCBQUEUED) when detached; false when the completion came
 * first (*@res its result, unless it was a device with no room: -EAGAIN,
 * then the executor issues it again).
 */
static bool axq_rw_aio_detach(struct axq_req *req, struct axq_rw_cmd *rw,
			      int *res)
{
	struct axq_rw_aio *aio = rw->aio;
	bool done;

	percpu_ref_get(&axq_rw_detached);
	get_task_struct(current);
	aio->submitter = current;
	INIT_WORK(&aio->done_work, axq_rw_aio_done_work);
	spin_lock_irq(&aio->lock);
	done = aio->done;
	if (!done)
		aio->req = req;
	spin_unlock_irq(&aio->lock);
	if (!done) {
		*res = -EIOCBQUEUED;
		return true;
	}
	aio->submitter = NULL;
	put_task_struct(current);
	percpu_ref_put(&axq_rw_detached);
	*res = aio->res;
	return false;
}

/*
 * Issue an O_DIRECT I/O at an offset, with a completion callback, in the
 * submitter (at submission, @kflags IOCB_NOWAIT) or on an I/O worker.
 * Returns -EIOCBQUEUED when the device has it (rw->aio then waits for the
 * completion), else its result (-EAGAIN with IOCB_NOWAIT: try again
 * blocking, on a worker).
 */
static ssize_t axq_rw_direct(struct axq_rw_cmd *rw, int kflags)
{
	bool use_mm = !rw->fixed && current->mm != rw->mm;
	unsigned int dir = rw->write ? ITER_SOURCE : ITER_DEST;
	bool as = current_cred() != rw->cred;
	struct file *file = rw->file;
	struct super_block *sb = file_inode(file)->i_sb;
	const struct cred *old = NULL;
	struct axq_rw_aio *aio;
	struct iov_iter iter;
	ssize_t ret;

	aio = kzalloc(sizeof(*aio), GFP_KERNEL_ACCOUNT);
	if (!aio)
		return -ENOMEM;
	percpu_ref_get(&axq_rw_aios);
	spin_lock_init(&aio->lock);
	INIT_WORK(&aio->free_work, axq_rw_aio_free_work);
	init_sync_kiocb(&aio->kiocb, get_file(file));
	aio->kiocb.ki_flags |= kflags;
	aio->nowait = kflags & IOCB_NOWAIT;
	aio->kiocb.ki_pos = rw->pos;
	aio->kiocb.ki_complete = axq_rw_aio_complete;
	if (rw->fixed) {
		aio->buf = rw->buf;
		axq_rsrc_buf_hold(aio->buf);
	}

	if (use_mm && !mmget_not_zero(rw->mm)) {
		axq_rw_aio_free(aio);
		return -EFAULT;
	}
	if (as)
		old = override_creds(rw->cred);
	ret = rw_verify_area(rw->write ? WRITE : READ, file,
			     &aio->kiocb.ki_pos, rw->len);
	if (ret)
		goto out;
	if (rw->write && S_ISREG(file_inode(file)->i_mode)) {
		/* Held until the completion, as aio and io_uring hold it. */
		if (kflags & IOCB_NOWAIT) {
			ret = -EAGAIN;
			if (!sb_start_write_trylock(sb))
				goto out;
		} else {
			sb_start_write(sb);
		}
		__sb_writers_release(sb, SB_FREEZE_WRITE);
		aio->write_held = true;
	}
	if (rw->write)
		aio->kiocb.ki_flags |= IOCB_WRITE;
	if (rw->iov)
		iov_iter_init(&iter, dir, rw->iov, rw->nr_segs, rw->len);
	else if (rw->fixed)
		axq_rsrc_buf_iter(rw->buf, &iter, dir, rw->addr, rw->len);
	else
		iov_iter_ubuf(&iter, dir, u64_to_user_ptr(rw->addr), rw->len);

	/*
	 * Published before the issue, and then a stop looked for: pairs
	 * with axq_rw_stop(), so that either the stop sees the I/O (and
	 * waits for it) or this sees the stop (and issues nothing).
	 */
	WRITE_ONCE(rw->aio, aio);
	smp_mb();	/* the store of rw->aio before the load of stopping */
	if (READ_ONCE(rw->stopping)) {
		WRITE_ONCE(rw->aio, NULL);
		ret = -ECANCELED;
		axq_rw_aio_end_write(aio);
		goto out;
	}
	/* The event is sent at issue: the completion may be an interrupt. */
	if (rw->write)
		fsnotify_modify(file);
	else
		fsnotify_access(file);
	if (use_mm)
		kthread_use_mm(rw->mm);
	if (rw->write)
		ret = file->f_op->write_iter(&aio->kiocb, &iter);
	else
		ret = file->f_op->read_iter(&aio->kiocb, &iter);
	if (use_mm)
		kthread_unuse_mm(rw->mm);
	if (ret == -EIOCBQUEUED) {
		/* From here on, only under aio->lock. */
		aio->queued = true;
		goto out_creds;
	}
	/* Done at once (an error, or a file that fell back): no callback. */
	WRITE_ONCE(rw->aio, NULL);
	axq_rw_aio_end_write(aio);
out:
	axq_rw_aio_free(aio);
out_creds:
	if (as)
		revert_creds(old);
	if (use_mm)
		mmput(rw->mm);
	return ret;
}

/*
 * A request waits for its O_DIRECT I/O: true with its result once the
 * completion came, else false with the poll's waker left for it.
 */
static bool axq_rw_aio_done(struct axq_rw_aio *aio, struct axq_context *cx,
			    long *res)
{
	struct axq_task *stale = NULL;
	bool done;

	spin_lock_irq(&aio->lock);
	done = aio->done;
	if (done) {
		*res = aio->res;
	} else {
		stale = aio->waker;
		aio->waker = axq_waker_get(cx);
	}
	spin_unlock_irq(&aio->lock);
	if (stale)
		axq_waker_put(stale);
	return done;
}

/*
 * The request goes (or starts over): free its O_DIRECT state, or leave it
 * to the completion when the device still has the I/O.
 */
static void axq_rw_aio_drop(struct axq_rw_cmd *rw)
{
	struct axq_rw_aio *aio = rw->aio;
	struct axq_task *waker;
	bool done;

	if (!aio)
		return;
	rw->aio = NULL;
	spin_lock_irq(&aio->lock);
	done = aio->done;
	if (!done)
		aio->dropped = true;
	waker = aio->waker;
	aio->waker = NULL;
	spin_unlock_irq(&aio->lock);
	if (waker)
		axq_waker_put(waker);
	if (done)
		axq_rw_aio_free(aio);
}

/* The last O_DIRECT I/O is freed after unload killed the count. */
static void axq_rw_aios_release(struct percpu_ref *ref)
{
	complete(&axq_rw_aios_gone);
}

/* The last detached request is retired after unload killed the count. */
static void axq_rw_detached_release(struct percpu_ref *ref)
{
	complete(&axq_rw_detached_gone);
}

/**
 * axq_rw_init() - set up what O_DIRECT I/O needs at module load
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int axq_rw_init(void)
{
	int ret;

	ret = percpu_ref_init(&axq_rw_aios, axq_rw_aios_release, 0, GFP_KERNEL);
	if (ret)
		return ret;
	ret = percpu_ref_init(&axq_rw_detached, axq_rw_detached_release, 0,
			      GFP_KERNEL);
	if (ret)
		goto err_aios;
	axq_rw_aio_wq = alloc_workqueue("asyncx_aio", WQ_UNBOUND, 0);
	if (axq_rw_aio_wq)
		return 0;
	ret = -ENOMEM;
	percpu_ref_exit(&axq_rw_detached);
err_aios:
	percpu_ref_exit(&axq_rw_aios);
	return ret;
}

/**
 * axq_rw_quiesce() - wait until no request is left to its O_DIRECT
 *	completion
 *
 * Such a request may still start on the executor (a device with no room
 * for its I/O) or post its CQE: before the runtime stops.
 *
 * Context: module exit, after the device is gone; sleeps.
 */
void axq_rw_quiesce(void)
{
	if (axq_rw_quiesced)
		return;
	axq_rw_quiesced = true;
	/* Drop the initial reference; the last put calls release. */
	percpu_ref_kill(&axq_rw_detached);
	wait_for_completion(&axq_rw_detached_gone);
}

/**
 * axq_rw_exit() - wait for every O_DIRECT I/O of a dropped request
 *
 * A closed context's I/O may still be with a device: its completion, and
 * the freeing after it, run module code. Waits for both.
 *
 * Context: module exit, after the requests are drained; sleeps.
 */
void axq_rw_exit(void)
{
	axq_rw_quiesce();
	percpu_ref_kill(&axq_rw_aios);
	wait_for_completion(&axq_rw_aios_gone);
	destroy_workqueue(axq_rw_aio_wq);
	/* A completion's last instructions (it ran under rcu_read_lock()). */
	synchronize_rcu();
	percpu_ref_exit(&axq_rw_detached);
	percpu_ref_exit(&axq_rw_aios);
}

/*
 * One try, in the submitter (task work) or on an I/O worker: the I/O with
 * IOCB_NOWAIT, or blocking (see DOC); hooks the poller, whose wakes go to
 * @waker (the request's task), when the file is not ready. Sets rw->next.
 * Returns the request's result when rw->next is AXQ_RW_NEXT_DONE.
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
		return axq_rw_total(rw, axq_rw_do(rw, 0));
	if (rw->mode == AXQ_RW_DIRECT)
		return axq_rw_direct(rw, 0);
	/* (Until the poll has the result: axq_rw_move_done().) */
	if (rw->mode == AXQ_RW_NOWAIT && !axq_rw_move_begin(rw))
		return axq_rw_total(rw, -ECANCELED);
	for (;;) {
		if (rw->mode == AXQ_RW_NOWAIT) {
			ret = axq_rw_do(rw, IOCB_NOWAIT);
			if (axq_rw_sock_more(rw, ret))
				continue;
			if (ret != -EAGAIN || rw->msg_flags & MSG_DONTWAIT)
				return axq_rw_total(rw, ret);
			/* A stop that came meanwhile found no try to wait for. */
			if (READ_ONCE(rw->stopping))
				return axq_rw_total(rw, -ECANCELED);
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
			return axq_rw_total(rw, axq_rw_do(rw, 0));
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

/* A try: on an I/O worker, or in the submitter from its task work. */
static long axq_rw_io(struct axq_io_work *w)
{
	struct axq_rw_cmd *rw = container_of(w, struct axq_rw_cmd, io);

	if (w->in_task && (current->flags & PF_EXITING ||
			   current->mm != rw->mm)) {
		/*
		 * Exiting (after exit_mm()), or in another mm since an
		 * exec: from now on the tries go to the I/O workers.
		 */
		rw->tw_gone = true;
		rw->next = AXQ_RW_NEXT_AGAIN;
		return 0;
	}
	return axq_rw_try(rw, w->waker);
}

/*
 * Queue a try: in the submitter when it can take one (a file that honours
 * IOCB_NOWAIT), else on an I/O worker. 0 or a negative errno.
 */
static int axq_rw_queue(struct axq_req *req, struct axq_rw_cmd *rw,
			struct axq_context *cx)
{
	if (rw->submitter && !rw->tw_gone &&
	    !axq_io_work_queue_task(req->ctx, &rw->io, rw->submitter, cx))
		return 0;
	/* The submitter is exiting: its tries go to the workers. */
	rw->tw_gone = true;
	return axq_io_work_queue(req->ctx, &rw->io, cx);
}

/*
 * A try found the file not ready and left the poller hooked: is it ready
 * now? The poller's wake may have come after the try looked and before
 * this poll, which then answers both wakes at once: waiting for another
 * would lose it. Asked of sockets and pipes only, whose ->poll() never
 * sleeps (see poll.c); any other file waits for the next wake, as a wake
 * that comes while the try runs is seen (rw->woken).
 */
static bool axq_rw_ready_now(struct axq_rw_cmd *rw)
{
	struct file *file = rw->file;

	if (!sock_from_file(file) && !S_ISFIFO(file_inode(file)->i_mode))
		return false;
	return vfs_poll(file, NULL) & rw->poller.events;
}

/**
 * axq_rw_poll() - the future of READ, WRITE, READV and WRITEV
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready: bytes done or a negative errno
 *
 * Queues each try on an I/O worker of the context or in the submitter,
 * and waits for it, and between tries for the poller's wake (see DOC). A
 * poll while a try runs can only come from a wake (the poller's, most
 * likely): then, should the try find the file not ready, it is tried
 * again rather than waiting for a wake that has been and gone.
 *
 * Context: an executor worker.
 * Return: AXQ_READY when the I/O is done, else AXQ_PENDING.
 */
static enum axq_poll axq_rw_poll(struct axq_req *req, struct axq_context *cx,
				 int *res)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	bool stopped;
	long out;
	int ret;

	switch (rw->stage) {
	case AXQ_RW_AIO:
		if (!axq_rw_aio_done(rw->aio, cx, &out))
			return AXQ_PENDING;
		if (out == -EAGAIN && rw->aio->nowait) {
			/* No room in the device at submission: block for it. */
			axq_rw_aio_drop(rw);
			break;
		}
		*res = out;
		return AXQ_READY;
	case AXQ_RW_IO:
		if (!axq_io_work_done(&rw->io, &out)) {
			rw->woken = true;
			return AXQ_PENDING;
		}
		stopped = rw->mode == AXQ_RW_NOWAIT && axq_rw_move_done(rw);
		if (out == -EIOCBQUEUED) {
			/* The worker issued it; the device completes it. */
			rw->stage = AXQ_RW_AIO;
			if (!axq_rw_aio_done(rw->aio, cx, &out))
				return AXQ_PENDING;
			*res = out;
			return AXQ_READY;
		}
		if (rw->next == AXQ_RW_NEXT_DONE) {
			/*
			 * A multishot receive posts what it got and goes on,
			 * unless it is being stopped or the CQ is full: then
			 * this is its last CQE.
			 */
			u32 bflags = axq_rw_buf_flags(rw);

			if (rw->multishot && out > 0 && !stopped &&
			    axq_post_cqe_more(req->ctx, req->user_data, out,
					      ASYNCX_CQE_F_MORE | bflags))
				break;
			/* (A stop refused while the try ran: -ETIME?) */
			if (out == -ECANCELED && stopped)
				out = axq_rw_stopped_res(req, rw);
			req->cqe_flags |= bflags;
			*res = out;
			return AXQ_READY;
		}
		if (stopped) {
			*res = axq_rw_stopped_res(req, rw);
			return AXQ_READY;
		}
		if (rw->next == AXQ_RW_NEXT_WAIT && !rw->woken &&
		    !axq_rw_ready_now(rw)) {
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
		*res = axq_rw_total(rw, ret);
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
 * One try with IOCB_NOWAIT, in the submitter's context, for files that
 * honour it: a socket, pipe or eventfd (AXQ_RW_NOWAIT) and a regular file
 * or block device (AXQ_RW_BLOCK with @nowait_first). -EAGAIN (or, from a
 * file, -EOPNOTSUPP: 6.1's ext4 says so for a buffered write) leaves it to
 * the executor; so does a file's short count, whose rest is done on an
 * I/O worker (a blocking read there tells the end of the file).
 *
 * Context: submission, in the submitter's mm.
 * Return: true if the I/O is done (or failed for good).
 */
static bool axq_rw_try_inline(struct axq_req *req, int *res)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	unsigned int n = 0;
	ssize_t ret;

	if (rw->mode != AXQ_RW_NOWAIT && !rw->nowait_first)
		return false;
	/*
	 * A detached O_DIRECT I/O is retired from its submitter's task work,
	 * which the SQ thread (a kernel thread) never runs: the executor's.
	 */
	if (rw->mode == AXQ_RW_DIRECT && current->flags & PF_KTHREAD)
		return false;
	if (rw->mode == AXQ_RW_DIRECT) {
		ret = axq_rw_direct(rw, IOCB_NOWAIT);
		if (ret == -EIOCBQUEUED) {
			rw->stage = AXQ_RW_AIO;
			/* The completion retires it, or came already. */
			if (axq_rw_aio_detach(req, rw, res))
				return true;
			if (*res == -EAGAIN && rw->aio->nowait)
				/* The executor issues it again. */
				return false;
			return true;
		}
		if (ret == -EAGAIN || ret == -EOPNOTSUPP)
			return false;
		*res = ret;
		return true;
	}
	if (rw->mode == AXQ_RW_NOWAIT && !axq_rw_move_begin(rw))
		return false;
	ret = axq_rw_do(rw, IOCB_NOWAIT);
	/* A multishot receive: post each, a few, then the executor's. */
	while (rw->multishot && ret > 0) {
		if (!axq_post_cqe_more(req->ctx, req->user_data, ret,
				       ASYNCX_CQE_F_MORE | axq_rw_buf_peek(rw)))
			/* (A full CQ: this is its last CQE, not posted yet.) */
			break;
		rw->bid_used = false;
		if (++n == AXQ_RW_RETRIES || READ_ONCE(rw->stopping)) {
			/* (The executor's try ends it, if stopped.) */
			axq_rw_move_done(rw);
			return false;
		}
		ret = axq_rw_do(rw, IOCB_NOWAIT);
	}
	if (rw->mode == AXQ_RW_NOWAIT && axq_rw_move_done(rw) &&
	    ret == -EAGAIN) {
		/* A stop was refused while this ran: it ends here. */
		*res = axq_rw_total(rw, -ECANCELED);
		return true;
	}
	if ((ret == -EAGAIN && !(rw->msg_flags & MSG_DONTWAIT)) ||
	    axq_rw_sock_more(rw, ret))
		return false;
	if (rw->mode == AXQ_RW_BLOCK) {
		if (ret == -EOPNOTSUPP)
			return false;
		if (ret > 0 && ret < rw->len - rw->done) {
			rw->done += ret;
			return false;
		}
	}
	req->cqe_flags |= axq_rw_buf_flags(rw);
	*res = axq_rw_total(rw, ret);
	return true;
}

/**
 * axq_rw_try_locked() - a page-cache hit, at preparation
 * @req: the request, where the submission prepared it
 * @res: the bytes read or written, when done
 *
 * For a regular file or block device that honours IOCB_NOWAIT (not
 * O_DIRECT): one try with IOCB_NOWAIT and page faults disabled, under the
 * context's lock, so that a hit on both sides (the file's page cache, the
 * user's resident buffer) costs no allocation and its CQE goes out with
 * the inline ones. A fault on the user's buffer (a page not present: it
 * could be a userfaultfd's, which would hold the lock as long as it
 * likes) makes the copy stop short; what was done counts, and the rest is
 * left to axq_rw_try_inline() after the lock, as any other miss. Never for
 * sockets and pipes: a datagram whose copy faulted would be lost.
 *
 * Context: submission, under ctx->lock, in the submitter.
 * Return: true when done (all of it, or an error of the file's own).
 */
static bool axq_rw_try_locked(struct axq_req *req, int *res)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);
	ssize_t ret;

	if (rw->mode != AXQ_RW_BLOCK || !rw->nowait_first)
		return false;
	pagefault_disable();
	ret = axq_rw_do(rw, IOCB_NOWAIT);
	pagefault_enable();
	if (ret > 0 && ret < rw->len - rw->done) {
		/* (A fault, a miss, or the end: the rest after the lock.) */
		rw->done += ret;
		return false;
	}
	if (ret <= 0)
		/* (-EFAULT may be a fault: tried again with faults on.) */
		return false;
	*res = axq_rw_total(rw, ret);
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
	axq_rw_aio_drop(rw);
	rw->done = 0;
	rw->stage = AXQ_RW_START;
}

/* Unhook the poller, drop the file, mm, registered buffer and cred. */
static void axq_rw_release(struct axq_rw_cmd *rw)
{
	if (rw->polling)
		axq_poller_disarm(&rw->poller);
	axq_rw_aio_drop(rw);
	if (rw->submitter)
		put_task_struct(rw->submitter);
	if (rw->fixed)
		axq_rsrc_buf_put(rw->buf);
	if (rw->pbuf)
		axq_pbuf_put(rw->pbuf);
	mmdrop(rw->mm);
	axq_rw_msg_free(rw);
	kfree(rw->iov);
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
 * A try queued or running, on an I/O worker or in the submitter, is
 * interrupted (a worker's), not waited for: then the try releases all
 * this when it returns.
 *
 * Context: process context (the request's drop); never sleeps on the I/O.
 */
static void axq_rw_cleanup(struct axq_req *req)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);

	if (axq_io_work_drop(req->ctx, &rw->io, axq_rw_orphan))
		return;
	axq_rw_release(rw);
}

/**
 * axq_rw_stop() - may a CANCEL or a deadline stop this request now?
 * @req: the request
 *
 * Not while a device has its O_DIRECT I/O: the device would write the
 * buffer after the CQE said the request was stopped (the block layer
 * cannot take an I/O back). Then the request completes with its result.
 * Nor while a try of a file that honours IOCB_NOWAIT (a socket, a pipe)
 * moves data: the request then completes with what the try did, or, if
 * it did nothing, -ECANCELED (-ETIME past a deadline) at once; a try that
 * starts after this call moves nothing.
 *
 * Context: under ctx->inflight_lock, or in the request's poll.
 * Return: true if it may be stopped (and no I/O will be issued for it).
 */
static bool axq_rw_stop(struct axq_req *req)
{
	struct axq_rw_cmd *rw = axq_req_cmd(req, struct axq_rw_cmd);

	if (rw->mode == AXQ_RW_NOWAIT) {
		WRITE_ONCE(rw->stopping, true);
		/* Pairs with axq_rw_move_begin()'s. */
		smp_mb();
		return !READ_ONCE(rw->moving);
	}
	if (rw->mode != AXQ_RW_DIRECT)
		return true;
	WRITE_ONCE(rw->stopping, true);
	/* Pairs with the smp_mb() in axq_rw_direct(). */
	smp_mb();
	return !READ_ONCE(rw->aio);
}

/*
 * A short READ or WRITE breaks a chain, as an error does; a receive into
 * a provided buffer (whose length is the buffer's) goes on if it got data.
 */
static bool axq_rw_chain_ok(const struct axq_req *req)
{
	const struct axq_rw_cmd *rw = axq_req_cmd(req, const struct axq_rw_cmd);

	if (rw->pbuf)
		return req->res > 0;
	return req->res >= 0 && (u32)req->res == rw->len;
}

#define AXQ_RW_OPDEF(_name, _op_flags)			\
{							\
	.name		= _name,			\
	.cmd_size	= sizeof(struct axq_rw_cmd),	\
	.op_flags	= _op_flags,			\
	.chain_ok	= axq_rw_chain_ok,		\
	.prep		= axq_rw_prep,			\
	.poll		= axq_rw_poll,			\
	.try_inline	= axq_rw_try_inline,		\
	.try_locked	= axq_rw_try_locked,		\
	.reset		= axq_rw_reset,			\
	.stop		= axq_rw_stop,			\
	.cleanup	= axq_rw_cleanup,		\
}

const struct axq_opdef axq_op_read = AXQ_RW_OPDEF("READ", ASYNCX_RW_FIXED);
const struct axq_opdef axq_op_write = AXQ_RW_OPDEF("WRITE", ASYNCX_RW_FIXED);
const struct axq_opdef axq_op_readv = AXQ_RW_OPDEF("READV", ASYNCX_RW_FIXED);
const struct axq_opdef axq_op_writev = AXQ_RW_OPDEF("WRITEV", ASYNCX_RW_FIXED);
const struct axq_opdef axq_op_sock_send = AXQ_RW_OPDEF("SOCK_SEND", ASYNCX_RW_FIXED);
const struct axq_opdef axq_op_sock_recv = AXQ_RW_OPDEF("SOCK_RECV",
						    ASYNCX_RW_FIXED |
						    ASYNCX_SOCK_RECV_PBUF |
						    ASYNCX_SOCK_RECV_MULTISHOT);
const struct axq_opdef axq_op_sendmsg = AXQ_RW_OPDEF("SENDMSG", ASYNCX_RW_FIXED);
const struct axq_opdef axq_op_recvmsg = AXQ_RW_OPDEF("RECVMSG", ASYNCX_RW_FIXED);
