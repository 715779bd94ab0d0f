/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: registered buffers and files (internal to the module).
 */
#ifndef _ASYNCX_RING_RSRC_H
#define _ASYNCX_RING_RSRC_H

#include <linux/bvec.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uio.h>

#include <linux/asyncx.h>

struct axq_ctx;
struct file;
struct mm_struct;
struct user_struct;

/**
 * struct axq_rsrc_buf - one registered buffer (I once registered)
 * @ubase: its user address
 * @len: its length in bytes
 * @nr_bvecs: entries of @bvec, one per page
 * @tab: the table it is in
 * @bvec: the pinned pages; all but the first start at offset 0 and all but
 *	the last end at PAGE_SIZE
 */
struct axq_rsrc_buf {
	u64			ubase;
	size_t			len;
	unsigned int		nr_bvecs;
	struct axq_rsrc_bufs	*tab;
	struct bio_vec		*bvec;
};

/**
 * struct axq_rsrc_bufs - the registered buffers of a context
 * @refs: one for the registration, one per request using a buffer; the
 *	last put unpins and frees
 * @ctx: the context (not a reference: every holder of @refs holds one)
 * @user: the user charged for the pages (a reference), or NULL when it had
 *	CAP_IPC_LOCK
 * @mm: the mm charged for the pages in pinned_vm (mmgrab()bed)
 * @nr_pages: pages charged
 * @nr: entries of @bufs
 * @bufs: the buffers
 */
struct axq_rsrc_bufs {
	refcount_t		refs;
	struct axq_ctx		*ctx;
	struct user_struct	*user;
	struct mm_struct	*mm;
	unsigned long		nr_pages;
	unsigned int		nr;
	struct axq_rsrc_buf	bufs[];
};

/**
 * struct axq_rsrc_files - the registered files of a context (I)
 * @nr: entries of @files
 * @files: a reference to each file, or NULL for an empty slot
 */
struct axq_rsrc_files {
	unsigned int	nr;
	struct file	*files[];
};

int axq_rsrc_register_buffers(struct axq_ctx *ctx,
			      struct asyncx_rsrc_register __user *arg);
int axq_rsrc_unregister_buffers(struct axq_ctx *ctx);
int axq_rsrc_register_files(struct axq_ctx *ctx,
			    struct asyncx_rsrc_register __user *arg);
int axq_rsrc_unregister_files(struct axq_ctx *ctx);
void axq_rsrc_release(struct axq_ctx *ctx);
struct file *axq_rsrc_fget(struct axq_ctx *ctx, const struct asyncx_sqe *sqe);
struct axq_rsrc_buf *axq_rsrc_buf_get(struct axq_ctx *ctx, u16 index,
				      u64 addr, u32 len);
void axq_rsrc_buf_hold(struct axq_rsrc_buf *buf);
void axq_rsrc_buf_put(struct axq_rsrc_buf *buf);
void axq_rsrc_buf_iter(const struct axq_rsrc_buf *buf, struct iov_iter *iter,
		       unsigned int dir, u64 off, size_t len);

/**
 * axq_rsrc_check_sqe() - the SQE fields of registered resources are valid
 *	for its op
 * @sqe: the SQE
 * @op: its opcode (checked)
 *
 * ASYNCX_SQE_FIXED_FILE is for the ops on an open file: READ, WRITE,
 * READV, WRITEV, POLL, FSYNC, FALLOCATE and the socket ops; a nonzero
 * buf_index only for READ, WRITE, SOCK_SEND and SOCK_RECV with
 * ASYNCX_RW_FIXED, and for SOCK_RECV with ASYNCX_SOCK_RECV_PBUF (a group
 * id).
 *
 * Context: submission (inline: it runs for every SQE).
 * Return: 0 or -EINVAL.
 */
static inline int axq_rsrc_check_sqe(const struct asyncx_sqe *sqe,
				     unsigned int op)
{
	bool rw = op == ASYNCX_OP_READ || op == ASYNCX_OP_WRITE ||
		  op == ASYNCX_OP_SOCK_SEND || op == ASYNCX_OP_SOCK_RECV;
	bool on_file = rw || op == ASYNCX_OP_POLL || op == ASYNCX_OP_READV ||
		       op == ASYNCX_OP_WRITEV || op == ASYNCX_OP_FSYNC ||
		       op == ASYNCX_OP_FALLOCATE || op == ASYNCX_OP_ACCEPT ||
		       op == ASYNCX_OP_CONNECT || op == ASYNCX_OP_SHUTDOWN ||
		       op == ASYNCX_OP_SENDMSG || op == ASYNCX_OP_RECVMSG;

	if (sqe->flags & ASYNCX_SQE_FIXED_FILE && !on_file)
		return -EINVAL;
	if (sqe->buf_index && !(rw && sqe->op_flags & ASYNCX_RW_FIXED) &&
	    !(op == ASYNCX_OP_SOCK_RECV && sqe->op_flags & ASYNCX_SOCK_RECV_PBUF))
		return -EINVAL;
	return 0;
}

#endif /* _ASYNCX_RING_RSRC_H */
