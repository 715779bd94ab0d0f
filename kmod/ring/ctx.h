/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: a context — the state behind one open() of /dev/asyncx — and
 * its rings (ctx.c); submission and waiting are in submit.c. Internal.
 */
#ifndef _ASYNCX_RING_CTX_H
#define _ASYNCX_RING_CTX_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/time64.h>
#include <linux/uidgid.h>
#include <linux/hrtimer.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <linux/asyncx.h>

struct eventfd_ctx;
struct file;
struct mm_struct;
struct poll_table_struct;
struct axq_iowq;
struct axq_user;
struct axq_rsrc_buf;
struct axq_submit;
struct axq_rsrc_bufs;
struct axq_rsrc_files;
struct axq_sqpoll;
struct seq_file;
struct vm_area_struct;

/* The SQ ring as mapped at ASYNCX_OFF_SQ_RING (see struct asyncx_sq_offsets). */
struct axq_sq_ring {
	u32	head ____cacheline_aligned_in_smp;	/* kernel writes */
	u32	tail ____cacheline_aligned_in_smp;	/* application writes */
	u32	ring_mask ____cacheline_aligned_in_smp;
	u32	ring_entries;
	u32	flags;
	u32	dropped;
};

/* The CQ ring as mapped at ASYNCX_OFF_CQ_RING (see struct asyncx_cq_offsets). */
struct axq_cq_ring {
	u32	head ____cacheline_aligned_in_smp;	/* application writes */
	u32	tail ____cacheline_aligned_in_smp;	/* kernel writes */
	u32	ring_mask ____cacheline_aligned_in_smp;
	u32	ring_entries;
	u32	overflow;
	struct asyncx_cqe cqes[] ____cacheline_aligned_in_smp;
};

/**
 * struct axq_ctx - one context: the state behind one open() of /dev/asyncx
 * @id: unique for the life of the module, never reused (I: set at open)
 * @owner_tgid: thread group that opened the device (I: set at open)
 * @user: the user (real uid of the opener) it is counted against in
 *	limits.c, with its operations in flight and channel bytes (I: set at
 *	open)
 * @refs: the file's reference and one per request in flight
 * @lock: serialises setup and submission (the enter ioctl)
 * @mm: the address space of the process that opened the context (a
 *	mmgrab() reference), or NULL if a kernel thread did: the owner. Only
 *	the owner's threads may set the context up, map its rings, enter and
 *	call the other ioctls (axq_ctx_owner()) (I: set at open)
 * @ready: the rings exist (L: @lock to set, with a release store; read
 *	with an acquire load, after which the ring fields below are I)
 * @sq: the SQ ring (I once @ready)
 * @sqes: the SQE array (I once @ready)
 * @cq: the CQ ring (I once @ready)
 * @sq_size: bytes of @sq's region, page aligned (I once @ready)
 * @sqes_size: bytes of @sqes's region (I once @ready)
 * @cq_size: bytes of @cq's region (I once @ready)
 * @sq_entries: SQEs in the SQ, a power of two (I once @ready). The kernel
 *	uses its own copies of the ring sizes, never the ones in the shared
 *	rings: the application can write those.
 * @cq_entries: CQEs in the CQ, a power of two (I once @ready)
 * @sq_head: the kernel's own SQ head; the shared copy is only published
 *	(L: @lock)
 * @sub: the submission's scratch space (struct axq_submit in submit.c; L:
 *	@lock; I once @ready)
 * @cq_lock: protects the CQ tail, the overflow list and its counters;
 *	taken in process context only (submission and workers)
 * @cq_tail: the kernel's own CQ tail (L: @cq_lock)
 * @evfd: eventfd signalled on each CQE, or NULL (L: @cq_lock)
 * @overflow: CQEs waiting for room in the CQ, oldest first (L: @cq_lock;
 *	list_empty() without it is a snapshot: axq_cq_flush() skips the lock
 *	when nothing waits)
 * @cq_wait: waiters for completions (enter, poll)
 * @inflight_lock: protects @inflight and the requests' task/cancel
 * @inflight: requests handed to the executor (L: @inflight_lock)
 * @nr_inflight: entries on @inflight (L: @inflight_lock)
 * @cancel_hash: the requests on @inflight hashed by user_data, for CANCEL
 *	(1 << @cancel_bits buckets; L: @inflight_lock; I once @ready)
 * @cancel_bits: log2 of @cancel_hash's size (I once @ready)
 * @groups: the open groups (struct axq_group) by id; inserted at
 *	submission, erased when the GROUP request is retired (the xarray's
 *	own lock; looked up under RCU)
 * @rsrc_bufs: the registered buffers, or NULL (L: @lock; rsrc.c)
 * @rsrc_files: the registered files, or NULL (L: @lock; rsrc.c)
 * @rsrc_dying: buffer tables unregistered and not yet freed; unregister
 *	waits (wait_var_event) for it to reach zero (rsrc.c)
 * @iowq: its I/O workers (iowq.c; I: set at open)
 * @chans: the channels (rchan.c): id -> struct axq_rchan, each holding the
 *	array's reference (the xarray's own lock)
 * @chan_bytes: bytes of the messages in @chans's channels (rchan.c)
 * @chans_nr: entries in @chans (L: @chans's xa_lock)
 * @chans_next: where the cyclic search for a new id starts (L: @chans's
 *	xa_lock)
 * @pbufs: the provided-buffer rings by group id (pbuf.c), each holding
 *	the array's reference (the xarray's own lock)
 * @pbufs_nr: entries in @pbufs (L: @pbufs's xa_lock)
 * @sqp: the SQ thread of an ASYNCX_SETUP_SQPOLL context (sqpoll.c), or
 *	NULL (L: @lock to set at setup, before @ready; I once @ready; freed
 *	with the context)
 */
struct axq_ctx {
	u64			id;
	pid_t			owner_tgid;
	struct axq_user		*user;
	refcount_t		refs;

	struct mutex		lock;		/* see above */
	struct mm_struct	*mm;
	bool			ready;
	struct axq_sq_ring	*sq;
	struct asyncx_sqe	*sqes;
	struct axq_cq_ring	*cq;
	size_t			sq_size;
	size_t			sqes_size;
	size_t			cq_size;
	u32			sq_entries;
	u32			cq_entries;
	u32			sq_head;
	struct axq_submit	*sub;

	spinlock_t		cq_lock;	/* see above */
	u32			cq_tail;
	struct eventfd_ctx	*evfd;
	struct list_head	overflow;
	struct wait_queue_head	cq_wait;

	spinlock_t		inflight_lock;	/* see above */
	struct list_head	inflight;
	unsigned int		nr_inflight;
	struct hlist_head	*cancel_hash;
	unsigned int		cancel_bits;

	struct xarray		groups;
	struct axq_rsrc_bufs	*rsrc_bufs;	/* see above */
	struct axq_rsrc_files	*rsrc_files;
	atomic_t		rsrc_dying;
	struct axq_iowq		*iowq;
	struct xarray		chans;
	atomic_long_t		chan_bytes;
	unsigned int		chans_nr;
	u32			chans_next;
	struct xarray		pbufs;
	unsigned int		pbufs_nr;
	struct axq_sqpoll	*sqp;
};

/**
 * axq_ctx_owner() - is the caller the context's owner?
 * @ctx: the context
 *
 * The owner is the process that opened the context (its address space):
 * any of its threads. A fork() child or a process that received the file
 * by SCM_RIGHTS is not, though it holds the file.
 *
 * Return: true for the owner.
 */
static inline bool axq_ctx_owner(const struct axq_ctx *ctx)
{
	return ctx->mm && current->mm == ctx->mm;
}

int axq_ctx_setup(struct axq_ctx *ctx, struct asyncx_params __user *arg);
int axq_ctx_mmap(struct axq_ctx *ctx, struct vm_area_struct *vma);
__poll_t axq_ctx_poll(struct axq_ctx *ctx, struct file *file,
		      struct poll_table_struct *pt);
void axq_ctx_cancel_all(struct axq_ctx *ctx);
void axq_ctx_release(struct axq_ctx *ctx);
int axq_ctx_register_eventfd(struct axq_ctx *ctx, s32 __user *arg);
int axq_ctx_unregister_eventfd(struct axq_ctx *ctx);
void axq_ctx_show_fdinfo(struct axq_ctx *ctx, struct seq_file *m);
void axq_ctx_put(struct axq_ctx *ctx);

#endif /* _ASYNCX_RING_CTX_H */
