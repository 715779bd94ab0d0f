// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: the socket ops that are not reads or writes — ASYNCX_OP_ACCEPT
 * (one-shot and multishot), ASYNCX_OP_CONNECT and ASYNCX_OP_SHUTDOWN.
 */

/**
 * DOC: sockets
 *
 * A socket is never waited for by a thread: each op tries without
 * blocking, and on -EAGAIN (-EINPROGRESS for a connect) hooks the
 * runtime's poller on the socket's wait queue, whose wake polls the
 * request again. SOCK_SEND and SOCK_RECV are rw.c's (READ and WRITE with
 * MSG_* flags, through sock_sendmsg() and sock_recvmsg()).
 *
 * ACCEPT installs each new socket in a free descriptor of the submitting
 * thread's table, so each try runs in that thread: at submission, and
 * later from its task work (axq_io_work_queue_task()) when the poller
 * says a connection waits. The new socket is made as accept4(2) makes it
 * (its flags: SOCK_NONBLOCK, SOCK_CLOEXEC), and the peer's address is
 * written where the SQE says, as accept4(2) writes it. A multishot ACCEPT
 * posts a CQE (ASYNCX_CQE_F_MORE) per connection and stays armed, until
 * an error, a cancel, or a CQ with no room (its last CQE, without the
 * flag, as every multishot op ends).
 *
 * CONNECT copies the address at submission and connects without blocking
 * (in the submitter, or in a chain on an I/O worker under its
 * credentials); a connection in progress is waited for on the poller,
 * then connect is called again (on a worker) for its result, as a
 * nonblocking connect(2), poll(2) and connect(2) again give it.
 *
 * The LSM's socket_accept, socket_connect and socket_shutdown hooks are
 * called by the system calls only, and the kernel does not export them
 * to modules: these three ops cannot be seen by SELinux, AppArmor or
 * Landlock's network rules. They are therefore refused (-EPERM) unless
 * root allows them with the ``net_ops`` parameter, on a system whose
 * policy does not restrict accept, connect or shutdown (Documentation/
 * security.rst). Sending and receiving (SOCK_SEND, SOCK_RECV, READ,
 * WRITE) go through the hooks as send(2) and recv(2) do.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "compat.h"
#include "dev.h"
#include "iowq.h"
#include "opdef.h"
#include "rsrc.h"

static bool net_ops;
module_param(net_ops, bool, 0644);
MODULE_PARM_DESC(net_ops,
		 "Allow ACCEPT, CONNECT and SHUTDOWN, which the LSM's socket hooks cannot see (default 0: -EPERM)");

/* The state of ACCEPT, CONNECT and SHUTDOWN. */
struct axq_net_cmd {
	struct file		*file;		/* the socket's: a reference */
	const struct cred	*cred;		/* the submitter's */
	struct task_struct	*submitter;	/* ACCEPT: a reference */
	struct mm_struct	*mm;		/* ACCEPT: its mm, mmgrab()bed */
	struct axq_io_work	io;		/* a try: submitter or worker */
	struct axq_poller	poller;
	struct sockaddr_storage	addr;		/* CONNECT: the address */
	int __user		*uaddrlen;	/* ACCEPT */
	struct sockaddr __user	*uaddr;		/* ACCEPT */
	int			addrlen;	/* CONNECT */
	int			flags;		/* ACCEPT: SOCK_*; SHUTDOWN: how */
	bool			multishot;
	bool			polling;	/* @poller is hooked */
	u8			stage;
};

/* How far a request got (axq_net_cmd.stage). */
enum {
	AXQ_NET_START,		/* nothing tried since submission */
	AXQ_NET_WAIT,		/* waiting for the poller */
	AXQ_NET_TRY,		/* a try is queued or running */
};

/* Common to the three: the socket, the permission, the credentials. */
static int axq_net_prep(struct axq_req *req, const struct asyncx_sqe *sqe,
			struct axq_net_cmd *nc)
{
	struct file *file;

	if (!net_ops)
		return -EPERM;
	file = axq_rsrc_fget(req->ctx, sqe);
	if (IS_ERR(file))
		return PTR_ERR(file);
	if (!sock_from_file(file)) {
		fput(file);
		return -ENOTSOCK;
	}
	nc->file = file;
	nc->cred = get_current_cred();
	nc->submitter = NULL;
	nc->mm = NULL;
	nc->polling = false;
	nc->multishot = false;
	nc->stage = AXQ_NET_START;
	return 0;
}

static void axq_net_release(struct axq_net_cmd *nc)
{
	if (nc->polling)
		axq_poller_disarm(&nc->poller);
	if (nc->submitter)
		put_task_struct(nc->submitter);
	if (nc->mm)
		mmdrop(nc->mm);
	put_cred(nc->cred);
	fput(nc->file);
}

/* ------------------------------------------------------------ ACCEPT */

/*
 * The peer's address to the user, as accept4(2) writes it: at most the
 * length the user gave, which is then set to the address's length.
 */
static int axq_accept_addr(struct axq_net_cmd *nc, struct socket *newsock)
{
	struct sockaddr_storage addr;
	int len, ulen;

	len = newsock->ops->getname(newsock, (struct sockaddr *)&addr, 2);
	if (len < 0)
		return -ECONNABORTED;
	if (get_user(ulen, nc->uaddrlen))
		return -EFAULT;
	if (ulen < 0)
		return -EINVAL;
	if (copy_to_user(nc->uaddr, &addr, min(ulen, len)))
		return -EFAULT;
	return put_user(len, nc->uaddrlen);
}

/*
 * One accept without blocking, in the submitting thread: the new
 * socket's descriptor, or a negative errno (-EAGAIN: none waits).
 */
static int axq_accept_once(struct axq_net_cmd *nc)
{
	struct socket *sock = sock_from_file(nc->file);
	struct socket *newsock;
	struct file *newfile;
	int fd, ret;

	fd = get_unused_fd_flags(nc->flags & SOCK_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	/* As accept4(2): a socket of the listener's type and ops. */
	newsock = sock_alloc();
	if (!newsock) {
		put_unused_fd(fd);
		return -ENFILE;
	}
	newsock->type = sock->type;
	newsock->ops = sock->ops;
	__module_get(newsock->ops->owner);
	newfile = sock_alloc_file(newsock, nc->flags & SOCK_NONBLOCK ?
				  O_NONBLOCK : 0,
				  sock->sk->sk_prot_creator->name);
	if (IS_ERR(newfile)) {
		put_unused_fd(fd);
		return PTR_ERR(newfile);
	}
	ret = axq_sock_accept(sock, newsock, nc->file->f_flags | O_NONBLOCK);
	if (!ret && nc->uaddr)
		ret = axq_accept_addr(nc, newsock);
	if (ret) {
		fput(newfile);
		put_unused_fd(fd);
		return ret;
	}
	fd_install(fd, newfile);
	return fd;
}

/* A later try, from the submitter's task work. */
static long axq_accept_try(struct axq_io_work *w)
{
	struct axq_net_cmd *nc = container_of(w, struct axq_net_cmd, io);

	/*
	 * Exiting: its table may be gone; after an exec, the address and
	 * the table are another program's. Nothing else may install.
	 */
	if (current->flags & PF_EXITING || current->mm != nc->mm)
		return -ECANCELED;
	return axq_accept_once(nc);
}

/**
 * axq_accept_prep() - validate an ACCEPT, take its socket
 * @req: the request
 * @sqe: the SQE: fd the listening socket, addr the peer address buffer
 *	(or 0), off the address length's (int) address, len the flags
 *	(SOCK_NONBLOCK, SOCK_CLOEXEC), op_flags ASYNCX_ACCEPT_MULTISHOT
 *
 * Context: submission, in the submitter.
 * Return: 0, -EPERM (``net_ops`` off), -EBADF, -ENOTSOCK, -EINVAL for
 * other flags.
 */
static int axq_accept_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	int ret;

	if (sqe->len & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	ret = axq_net_prep(req, sqe, nc);
	if (ret)
		return ret;
	nc->uaddr = u64_to_user_ptr(sqe->addr);
	nc->uaddrlen = u64_to_user_ptr(sqe->off);
	nc->flags = sqe->len;
	nc->multishot = sqe->op_flags & ASYNCX_ACCEPT_MULTISHOT;
	axq_io_work_init(&nc->io, axq_accept_try);
	axq_poller_init(&nc->poller, nc->file, EPOLLIN);
	nc->submitter = current;
	get_task_struct(current);
	nc->mm = current->mm;
	mmgrab(nc->mm);
	return 0;
}

/**
 * axq_accept_try_inline() - accept at submission, if a connection waits
 * @req: the request
 * @res: the new descriptor or a negative errno, when done
 *
 * Context: submission, in the submitter.
 * Return: true when done; false to wait (or, multishot, to go on).
 */
static bool axq_accept_try_inline(struct axq_req *req, int *res)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	int ret = axq_accept_once(nc);

	if (ret == -EAGAIN)
		return false;
	if (nc->multishot && ret >= 0 &&
	    axq_post_cqe_more(req->ctx, req->user_data, ret,
			      ASYNCX_CQE_F_MORE))
		return false;
	*res = ret;
	return true;
}

/**
 * axq_accept_poll() - the ACCEPT future
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready
 *
 * Waits on the poller for a connection, then queues a try in the
 * submitter (see DOC). A multishot ACCEPT posts each connection and goes
 * on.
 *
 * Context: an executor worker.
 * Return: AXQ_READY when the (last) CQE is due, else AXQ_PENDING.
 */
static enum axq_poll axq_accept_poll(struct axq_req *req,
				     struct axq_context *cx, int *res)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	__poll_t mask;
	long out;
	int ret;

	for (;;) {
		if (nc->stage == AXQ_NET_TRY) {
			if (!axq_io_work_done(&nc->io, &out))
				return AXQ_PENDING;
			nc->stage = AXQ_NET_WAIT;
			if (out >= 0 && nc->multishot &&
			    axq_post_cqe_more(req->ctx, req->user_data, out,
					      ASYNCX_CQE_F_MORE))
				continue;
			if (out != -EAGAIN) {
				*res = out;
				return AXQ_READY;
			}
		}
		mask = 0;
		ret = axq_poller_poll(&nc->poller, cx, &mask);
		if (ret) {
			*res = ret;
			return AXQ_READY;
		}
		nc->polling = true;
		if (!mask)
			return AXQ_PENDING;
		ret = axq_io_work_queue_task(req->ctx, &nc->io, nc->submitter,
					     cx);
		if (ret) {
			*res = ret == -ESRCH ? -ECANCELED : ret;
			return AXQ_READY;
		}
		nc->stage = AXQ_NET_TRY;
		return AXQ_PENDING;
	}
}

/* ------------------------------------------------------------ CONNECT */

/* A connect without blocking: 0, -EINPROGRESS, or its error. */
static int axq_connect_once(struct axq_net_cmd *nc)
{
	struct socket *sock = sock_from_file(nc->file);
	const struct cred *old = NULL;
	int ret;

	if (current_cred() != nc->cred)
		old = override_creds(nc->cred);
	ret = kernel_connect(sock, (struct sockaddr *)&nc->addr, nc->addrlen,
			     nc->file->f_flags | O_NONBLOCK);
	if (old)
		revert_creds(old);
	return ret;
}

static long axq_connect_try(struct axq_io_work *w)
{
	return axq_connect_once(container_of(w, struct axq_net_cmd, io));
}

/**
 * axq_connect_prep() - validate a CONNECT, copy its address
 * @req: the request
 * @sqe: the SQE: fd the socket, addr the address, len its length
 *
 * Context: submission.
 * Return: 0, -EPERM (``net_ops`` off), -EBADF, -ENOTSOCK, -EINVAL for a
 * length over sizeof(struct sockaddr_storage) or fields set, -EFAULT.
 */
static int axq_connect_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	struct sockaddr_storage addr;
	int ret;

	if (sqe->off || sqe->len > sizeof(addr))
		return -EINVAL;
	/* (Through the stack: hardened usercopy allows no slab object.) */
	if (copy_from_user(&addr, u64_to_user_ptr(sqe->addr), sqe->len))
		return -EFAULT;
	ret = axq_net_prep(req, sqe, nc);
	if (ret)
		return ret;
	memcpy(&nc->addr, &addr, sqe->len);
	nc->addrlen = sqe->len;
	axq_io_work_init(&nc->io, axq_connect_try);
	axq_poller_init(&nc->poller, nc->file, EPOLLOUT);
	return 0;
}

/**
 * axq_connect_try_inline() - connect at submission
 * @req: the request
 * @res: 0 or a negative errno, when done
 *
 * Context: submission, in the submitter.
 * Return: true when done; false when the connection is in progress.
 */
static bool axq_connect_try_inline(struct axq_req *req, int *res)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	int ret = axq_connect_once(nc);

	if (ret == -EINPROGRESS || ret == -EAGAIN) {
		nc->stage = AXQ_NET_WAIT;
		return false;
	}
	*res = ret;
	return true;
}

/**
 * axq_connect_poll() - the CONNECT future
 * @req: the request
 * @cx: the poll context
 * @res: 0 or the connection's error
 *
 * In a chain the connect is started on an I/O worker. A connection in
 * progress (-EINPROGRESS, -EALREADY), or one that could not start
 * (-EAGAIN: a unix listener's backlog is full), is waited for on the
 * poller; then connect is called again on a worker, whose answer (0,
 * the connection's error) is the result, as connect(2) gives it after a
 * wait (and the socket is then marked connected, as it would be).
 *
 * Context: an executor worker.
 * Return: AXQ_READY when connected or failed, else AXQ_PENDING.
 */
static enum axq_poll axq_connect_poll(struct axq_req *req,
				      struct axq_context *cx, int *res)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	__poll_t mask = 0;
	long out;
	int ret;

	switch (nc->stage) {
	case AXQ_NET_START:
		ret = axq_io_work_queue(req->ctx, &nc->io, cx);
		if (ret) {
			*res = ret;
			return AXQ_READY;
		}
		nc->stage = AXQ_NET_TRY;
		return AXQ_PENDING;
	case AXQ_NET_TRY:
		if (!axq_io_work_done(&nc->io, &out))
			return AXQ_PENDING;
		if (out != -EINPROGRESS && out != -EAGAIN && out != -EALREADY) {
			*res = out;
			return AXQ_READY;
		}
		nc->stage = AXQ_NET_WAIT;
		break;
	}
	ret = axq_poller_poll(&nc->poller, cx, &mask);
	if (ret) {
		*res = ret;
		return AXQ_READY;
	}
	nc->polling = true;
	if (!(mask & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return AXQ_PENDING;
	ret = axq_io_work_queue(req->ctx, &nc->io, cx);
	if (ret) {
		*res = ret;
		return AXQ_READY;
	}
	nc->stage = AXQ_NET_TRY;
	return AXQ_PENDING;
}

/* ------------------------------------------------------------ SHUTDOWN */

static long axq_shutdown_step(struct axq_io_work *w);

/**
 * axq_shutdown_prep() - validate a SHUTDOWN, take its socket
 * @req: the request
 * @sqe: the SQE: fd the socket, len how (SHUT_RD, SHUT_WR, SHUT_RDWR)
 *
 * Context: submission.
 * Return: 0, -EPERM (``net_ops`` off), -EBADF, -ENOTSOCK, -EINVAL.
 */
static int axq_shutdown_prep(struct axq_req *req,
			     const struct asyncx_sqe *sqe)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	int ret;

	if (sqe->off || sqe->addr)
		return -EINVAL;
	ret = axq_net_prep(req, sqe, nc);
	if (ret)
		return ret;
	nc->flags = sqe->len;
	axq_io_work_init(&nc->io, axq_shutdown_step);
	return 0;
}

/* shutdown(2)'s work: it may sleep on the socket's lock. */
static long axq_shutdown_step(struct axq_io_work *w)
{
	struct axq_net_cmd *nc = container_of(w, struct axq_net_cmd, io);

	return kernel_sock_shutdown(sock_from_file(nc->file), nc->flags);
}

/* At submission, in the submitter: done there. */
static bool axq_shutdown_try_inline(struct axq_req *req, int *res)
{
	*res = axq_shutdown_step(&axq_req_cmd(req, struct axq_net_cmd)->io);
	return true;
}

/* In a chain: on an I/O worker. */
static enum axq_poll axq_shutdown_poll(struct axq_req *req,
				       struct axq_context *cx, int *res)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);
	long out;
	int ret;

	if (nc->stage == AXQ_NET_START) {
		ret = axq_io_work_queue(req->ctx, &nc->io, cx);
		if (ret) {
			*res = ret;
			return AXQ_READY;
		}
		nc->stage = AXQ_NET_TRY;
		return AXQ_PENDING;
	}
	if (!axq_io_work_done(&nc->io, &out))
		return AXQ_PENDING;
	*res = out;
	return AXQ_READY;
}

/* ------------------------------------------------------------ common */

static void axq_net_orphan(struct axq_io_work *w)
{
	axq_net_release(container_of(w, struct axq_net_cmd, io));
}

/**
 * axq_net_cleanup() - drop what ACCEPT or CONNECT holds
 * @req: the request
 *
 * A try queued or running (in the submitter, or on a worker) is not
 * waited for: it releases.
 *
 * Context: process context (the request's drop).
 */
static void axq_net_cleanup(struct axq_req *req)
{
	struct axq_net_cmd *nc = axq_req_cmd(req, struct axq_net_cmd);

	if (nc->polling) {
		axq_poller_disarm(&nc->poller);
		nc->polling = false;
	}
	if (axq_io_work_drop(req->ctx, &nc->io, axq_net_orphan))
		return;
	axq_net_release(nc);
}

const struct axq_opdef axq_op_accept = {
	.name		= "ACCEPT",
	.files		= true,
	.cmd_size	= sizeof(struct axq_net_cmd),
	.op_flags	= ASYNCX_ACCEPT_MULTISHOT,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_accept_prep,
	.poll		= axq_accept_poll,
	.try_inline	= axq_accept_try_inline,
	.cleanup	= axq_net_cleanup,
};

const struct axq_opdef axq_op_connect = {
	.name		= "CONNECT",
	.cmd_size	= sizeof(struct axq_net_cmd),
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_connect_prep,
	.poll		= axq_connect_poll,
	.try_inline	= axq_connect_try_inline,
	.cleanup	= axq_net_cleanup,
};

const struct axq_opdef axq_op_shutdown = {
	.name		= "SHUTDOWN",
	.cmd_size	= sizeof(struct axq_net_cmd),
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_shutdown_prep,
	.poll		= axq_shutdown_poll,
	.try_inline	= axq_shutdown_try_inline,
	.cleanup	= axq_net_cleanup,
};
