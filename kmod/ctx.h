/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: a context — the state behind one open() of /dev/asyncx — its
 * rings, and the requests in flight on it (internal to the module).
 */
#ifndef _ASYNCX_CTX_H
#define _ASYNCX_CTX_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/time64.h>
#include <linux/uidgid.h>
#include <linux/hrtimer.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <linux/asyncx.h>

#include "compose.h"
#include "event.h"
#include "runtime.h"
#include "task.h"

struct eventfd_ctx;
struct file;
struct mm_struct;
struct poll_table_struct;
struct axq_rsrc_buf;
struct axq_submit;
struct axq_rsrc_bufs;
struct axq_rsrc_files;
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
 * @uid: the user it is counted against in limits.c (I: set at open)
 * @refs: the file's reference and one per request in flight
 * @lock: serialises setup and submission (the enter ioctl)
 * @mm: the address space of the process that set the context up (a
 *	mmgrab() reference); only it may enter (I once @ready)
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
 * @sub: the submission's scratch space (struct axq_submit in ctx.c; L:
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
 * @groups: the open groups (struct axq_group) by id; inserted at
 *	submission, erased when the GROUP request is retired (the xarray's
 *	own lock; looked up under RCU)
 * @rsrc_bufs: the registered buffers, or NULL (L: @lock; rsrc.c)
 * @rsrc_files: the registered files, or NULL (L: @lock; rsrc.c)
 * @rsrc_dying: buffer tables unregistered and not yet freed; unregister
 *	waits (wait_var_event) for it to reach zero (rsrc.c)
 * @chans: the channels (chan.c): id -> struct axq_rchan, each holding the
 *	array's reference (the xarray's own lock)
 * @chans_nr: entries in @chans (L: @chans's xa_lock)
 * @chans_next: where the cyclic search for a new id starts (L: @chans's
 *	xa_lock)
 */
struct axq_ctx {
	u64			id;
	pid_t			owner_tgid;
	kuid_t			uid;
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

	struct xarray		groups;
	struct axq_rsrc_bufs	*rsrc_bufs;	/* see above */
	struct axq_rsrc_files	*rsrc_files;
	atomic_t		rsrc_dying;
	struct xarray		chans;
	unsigned int		chans_nr;
	u32			chans_next;
};

/* NOP's state (nop.c). */
struct axq_nop_cmd {
	bool	has_result;
	s32	res;
	u32	attempts;	/* the result for these attempts only, or 0: all */
};

/* CANCEL's state (cancel.c). */
struct axq_cancel_cmd {
	bool	all;
	u64	target;
};

/* PROBE's state (probe.c). */
struct axq_probe_cmd {
	u64		addr;
	unsigned int	nr;
};

/* TIMEOUT's state (timeout.c). */
struct axq_timeout_cmd {
	struct hrtimer		timer;
	ktime_t			expires;	/* absolute, CLOCK_MONOTONIC */
	ktime_t			rel;		/* relative time, or 0 */
	u32			flags;
	bool			started;
	int			fired;	/* release store in the timer callback */
	/* one-shot: consumed by the timer callback; multishot: until cleanup */
	struct axq_task		*waker;
	/* multishot: expirations not yet posted (the callback adds) */
	atomic_t		ticks;
	/* multishot: CQEs still due, or 0: until cancelled */
	u64			left;
};

/* POLL's state (poll.c). */
struct axq_poll_cmd {
	struct axq_poller	poller;
	bool			multishot;
};

/* READ's and WRITE's state (rw.c); the stages are in rw.c. */
struct axq_rw_cmd {
	struct file		*file;		/* a reference */
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
	u8			mode;
	u8			stage;
	struct axq_poller	poller;		/* stage AXQ_RW_POLL */
	struct axq_blocking	blocking;	/* stage AXQ_RW_BLOCK */
};

/* GROUP's state (group.c). */
struct axq_group_cmd {
	struct axq_group	*g;
};

struct axq_rchan;
struct axq_rchan_msg;

/* SEND's and RECV's state (chan.c). */
struct axq_chan_cmd {
	struct axq_rchan	*chan;		/* a reference */
	struct axq_rchan_msg	*msg;		/* SEND: the message */
	u64			addr;		/* RECV: the buffer */
	u32			len;		/* SEND: bytes; RECV: buffer */
	u32			slots;		/* RECV: 1, or multishot's */
	u32			next_slot;	/* RECV multishot: the next */
	bool			multishot;
	bool			offered;	/* SEND: given to the channel */
	bool			sent;		/* SEND: queued (chan lock) */
	bool			reported;	/* SEND: the result is out */
	struct axq_wq_waker	w;		/* RECV: on the recv queue */
};

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
 * @task: the task polling @fut, from its first poll (a waker reference;
 *	L: ctx->inflight_lock)
 * @link: the next request of its chain (ASYNCX_SQE_LINK), owned by this
 *	one until this one is dropped: then it starts or fails; NULL at the
 *	end of a chain (set at submission, then only the owner's)
 * @mm: an inline op (&axq_opdef.needs_mm) in a chain: the submitter's mm
 *	(mmgrab()bed), in which its issue runs on a worker; else NULL
 * @dl: its deadline (ASYNCX_SQE_DEADLINE, or its chain's), or NULL
 * @retry: its retry policy (ASYNCX_SQE_RETRY), or NULL
 * @group: the group it is a member of (ASYNCX_SQE_GROUP; a reference), or
 *	NULL; a member never links: @link chains the group's pending members
 * @group_idx: a member's index in its group, in the order members joined
 * @node: in ctx->inflight (L: ctx->inflight_lock)
 * @spawned: @etask runs @fut (axq_spawn_in()): the request's memory is
 *	freed with the task's last reference, not when it retires
 * @etask: the task that polls @fut, in the request's own allocation
 * @nop: NOP's state
 * @cancel_cmd: CANCEL's state
 * @probe: PROBE's state
 * @timeout: TIMEOUT's state
 * @poll: POLL's state
 * @rw: READ's and WRITE's state
 * @group_cmd: GROUP's state
 * @chan: SEND's and RECV's state
 */
struct axq_req {
	struct axq_future	fut;
	struct axq_ctx		*ctx;
	u64			user_data;
	u8			opcode;
	u8			prio;
	bool			posted;
	bool			cancel;
	u16			group_idx;
	bool			spawned;
	s32			res;
	u32			cqe_flags;
	struct axq_task		*task;
	struct axq_req		*link;
	struct mm_struct	*mm;
	struct axq_deadline	*dl;
	struct axq_retry	*retry;
	struct axq_group	*group;
	struct list_head	node;
	struct axq_task		etask;
	union {	/* last: a request is allocated up to its op's member */
		struct axq_nop_cmd	nop;
		struct axq_cancel_cmd	cancel_cmd;
		struct axq_probe_cmd	probe;
		struct axq_timeout_cmd	timeout;
		struct axq_poll_cmd	poll;
		struct axq_rw_cmd	rw;
		struct axq_group_cmd	group_cmd;
		struct axq_chan_cmd	chan;
	};
};

void axq_post_cqe(struct axq_ctx *ctx, u64 user_data, s32 res, u32 flags);
struct axq_req *axq_req_retire(struct axq_req *req, int res);
void axq_link_start(struct axq_req *req);
int axq_ctx_setup(struct axq_ctx *ctx, struct asyncx_params __user *arg);
long axq_ctx_enter(struct axq_ctx *ctx, struct asyncx_enter __user *arg);
int axq_ctx_mmap(struct axq_ctx *ctx, struct vm_area_struct *vma);
__poll_t axq_ctx_poll(struct axq_ctx *ctx, struct file *file,
		      struct poll_table_struct *pt);
void axq_ctx_release(struct axq_ctx *ctx);
int axq_ctx_register_eventfd(struct axq_ctx *ctx, s32 __user *arg);
int axq_ctx_unregister_eventfd(struct axq_ctx *ctx);
void axq_ctx_show_fdinfo(struct axq_ctx *ctx, struct seq_file *m);
void axq_ctx_put(struct axq_ctx *ctx);
int axq_reqs_init(void);
void axq_reqs_exit(void);
unsigned int axq_req_obj_size(unsigned int op);

#endif /* _ASYNCX_CTX_H */
