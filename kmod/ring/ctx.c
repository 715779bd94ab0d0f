// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: contexts — their rings (setup and mmap), poll, the eventfd,
 * fdinfo, close, and the pinned ABI. Submission and waiting (the enter
 * ioctl) are in submit.c, completions in cq.c, requests in req.c.
 */
#include <linux/eventfd.h>
#include <linux/gfp.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "rt/task.h"

#include "compat.h"
#include "compose.h"
#include "cq.h"
#include "ctx.h"
#include "iowq.h"
#include "limits.h"
#include "opdef.h"
#include "pbuf.h"
#include "req.h"
#include "rsrc.h"
#include "sqpoll.h"
#include "submit.h"

static void *axq_ring_alloc(size_t size)
{
	return (void *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					__GFP_NOWARN | __GFP_COMP,
					get_order(size));
}

static void axq_ring_free(void *ring, size_t size)
{
	if (ring)
		free_pages((unsigned long)ring, get_order(size));
}

/**
 * axq_ctx_put() - drop a reference to a context; free it with the last
 * @ctx: the context
 *
 * Context: process context.
 */
void axq_ctx_put(struct axq_ctx *ctx)
{
	if (!refcount_dec_and_test(&ctx->refs))
		return;
	axq_cq_free_overflow(ctx);
	if (ctx->evfd)
		eventfd_ctx_put(ctx->evfd);
	if (ctx->mm)
		mmdrop(ctx->mm);
	axq_sqpoll_free(ctx);
	axq_ring_free(ctx->sq, ctx->sq_size);
	axq_ring_free(ctx->sqes, ctx->sqes_size);
	axq_ring_free(ctx->cq, ctx->cq_size);
	axq_submit_free(ctx->sub);
	kvfree(ctx->cancel_hash);
	mutex_destroy(&ctx->lock);
	axq_groups_destroy(ctx);
	axq_iowq_destroy(ctx);
	axq_limits_release(ctx->user);
	kfree(ctx);
}

#define AXQ_CHECK_FIELD(type, field, offset) \
	BUILD_BUG_ON(offsetof(type, field) != (offset))

/*
 * The ABI never changes by accident: every struct size and field offset is
 * pinned (with the sizes, the offsets also pin each field's size).
 */
static void axq_abi_check(void)
{
	BUILD_BUG_ON(sizeof(struct asyncx_sqe) != 64);
	AXQ_CHECK_FIELD(struct asyncx_sqe, opcode, 0);
	AXQ_CHECK_FIELD(struct asyncx_sqe, flags, 1);
	AXQ_CHECK_FIELD(struct asyncx_sqe, prio, 2);
	AXQ_CHECK_FIELD(struct asyncx_sqe, resv0, 3);
	AXQ_CHECK_FIELD(struct asyncx_sqe, fd, 4);
	AXQ_CHECK_FIELD(struct asyncx_sqe, off, 8);
	AXQ_CHECK_FIELD(struct asyncx_sqe, addr, 16);
	AXQ_CHECK_FIELD(struct asyncx_sqe, len, 24);
	AXQ_CHECK_FIELD(struct asyncx_sqe, op_flags, 28);
	AXQ_CHECK_FIELD(struct asyncx_sqe, user_data, 32);
	AXQ_CHECK_FIELD(struct asyncx_sqe, deadline, 40);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_base_us, 48);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_cap_us, 52);
	AXQ_CHECK_FIELD(struct asyncx_sqe, group, 56);
	AXQ_CHECK_FIELD(struct asyncx_sqe, buf_index, 58);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_max, 60);
	AXQ_CHECK_FIELD(struct asyncx_sqe, cflags, 61);
	AXQ_CHECK_FIELD(struct asyncx_sqe, retry_errs, 62);

	BUILD_BUG_ON(sizeof(struct asyncx_cqe) != 16);
	AXQ_CHECK_FIELD(struct asyncx_cqe, user_data, 0);
	AXQ_CHECK_FIELD(struct asyncx_cqe, res, 8);
	AXQ_CHECK_FIELD(struct asyncx_cqe, flags, 12);

	BUILD_BUG_ON(sizeof(struct asyncx_sq_offsets) != 32);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, head, 0);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, tail, 4);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, ring_mask, 8);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, ring_entries, 12);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, flags, 16);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, dropped, 20);
	AXQ_CHECK_FIELD(struct asyncx_sq_offsets, resv, 24);

	BUILD_BUG_ON(sizeof(struct asyncx_cq_offsets) != 32);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, head, 0);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, tail, 4);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, ring_mask, 8);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, ring_entries, 12);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, overflow, 16);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, cqes, 20);
	AXQ_CHECK_FIELD(struct asyncx_cq_offsets, resv, 24);

	BUILD_BUG_ON(sizeof(struct asyncx_params) != 96);
	AXQ_CHECK_FIELD(struct asyncx_params, sq_entries, 0);
	AXQ_CHECK_FIELD(struct asyncx_params, cq_entries, 4);
	AXQ_CHECK_FIELD(struct asyncx_params, flags, 8);
	AXQ_CHECK_FIELD(struct asyncx_params, features, 12);
	AXQ_CHECK_FIELD(struct asyncx_params, sq_thread_idle, 16);
	AXQ_CHECK_FIELD(struct asyncx_params, resv, 20);
	AXQ_CHECK_FIELD(struct asyncx_params, sq_off, 32);
	AXQ_CHECK_FIELD(struct asyncx_params, cq_off, 64);

	BUILD_BUG_ON(sizeof(struct asyncx_enter) != 40);
	AXQ_CHECK_FIELD(struct asyncx_enter, to_submit, 0);
	AXQ_CHECK_FIELD(struct asyncx_enter, min_complete, 4);
	AXQ_CHECK_FIELD(struct asyncx_enter, flags, 8);
	AXQ_CHECK_FIELD(struct asyncx_enter, resv0, 12);
	AXQ_CHECK_FIELD(struct asyncx_enter, timeout_ns, 16);
	AXQ_CHECK_FIELD(struct asyncx_enter, resv, 24);

	/* The ring headers as mapped: the offsets reported by setup. */
	BUILD_BUG_ON(offsetof(struct axq_cq_ring, cqes) % sizeof(struct asyncx_cqe));
}

/*
 * Allocate the three regions of a context and its submission scratch
 * space, and set the ring sizes; on failure nothing is left allocated.
 * Called under ctx->lock, before ctx->ready.
 */
static int axq_rings_alloc(struct axq_ctx *ctx, u32 sq_entries,
			   u32 cq_entries)
{
	lockdep_assert_held(&ctx->lock);
	ctx->sq_size = PAGE_ALIGN(sizeof(struct axq_sq_ring));
	ctx->sqes_size = PAGE_ALIGN(sq_entries * sizeof(struct asyncx_sqe));
	ctx->cq_size = PAGE_ALIGN(struct_size(ctx->cq, cqes, cq_entries));
	ctx->sq = axq_ring_alloc(ctx->sq_size);
	if (!ctx->sq)
		goto err;
	ctx->sqes = axq_ring_alloc(ctx->sqes_size);
	if (!ctx->sqes)
		goto err_sq;
	ctx->cq = axq_ring_alloc(ctx->cq_size);
	if (!ctx->cq)
		goto err_sqes;
	ctx->sub = axq_submit_alloc();
	if (!ctx->sub)
		goto err_cq;
	/* As io_uring's cancel table: sized by the CQ, not resized. */
	ctx->cancel_bits = clamp_t(unsigned int, ilog2(cq_entries), 4, 12);
	ctx->cancel_hash = kvmalloc_array(1U << ctx->cancel_bits,
					  sizeof(*ctx->cancel_hash),
					  GFP_KERNEL_ACCOUNT);
	if (!ctx->cancel_hash)
		goto err_sub;
	__hash_init(ctx->cancel_hash, 1U << ctx->cancel_bits);

	ctx->sq_entries = sq_entries;
	ctx->cq_entries = cq_entries;
	ctx->sq->ring_mask = sq_entries - 1;
	ctx->sq->ring_entries = sq_entries;
	ctx->cq->ring_mask = cq_entries - 1;
	ctx->cq->ring_entries = cq_entries;
	return 0;

err_sub:
	axq_submit_free(ctx->sub);
	ctx->sub = NULL;
err_cq:
	axq_ring_free(ctx->cq, ctx->cq_size);
	ctx->cq = NULL;
err_sqes:
	axq_ring_free(ctx->sqes, ctx->sqes_size);
	ctx->sqes = NULL;
err_sq:
	axq_ring_free(ctx->sq, ctx->sq_size);
	ctx->sq = NULL;
err:
	return -ENOMEM;
}

/* What setup tells the application: the sizes and the ring offsets. */
static void axq_params_fill(struct asyncx_params *p, u32 sq_entries,
			    u32 cq_entries)
{
	axq_abi_check();
	memset(p, 0, sizeof(*p));
	p->sq_entries = sq_entries;
	p->cq_entries = cq_entries;
	p->features = ASYNCX_FEAT_NODROP | ASYNCX_FEAT_LINK |
		      ASYNCX_FEAT_COMPOSE | ASYNCX_FEAT_SQPOLL;
	p->sq_off.head = offsetof(struct axq_sq_ring, head);
	p->sq_off.tail = offsetof(struct axq_sq_ring, tail);
	p->sq_off.ring_mask = offsetof(struct axq_sq_ring, ring_mask);
	p->sq_off.ring_entries = offsetof(struct axq_sq_ring, ring_entries);
	p->sq_off.flags = offsetof(struct axq_sq_ring, flags);
	p->sq_off.dropped = offsetof(struct axq_sq_ring, dropped);
	p->cq_off.head = offsetof(struct axq_cq_ring, head);
	p->cq_off.tail = offsetof(struct axq_cq_ring, tail);
	p->cq_off.ring_mask = offsetof(struct axq_cq_ring, ring_mask);
	p->cq_off.ring_entries = offsetof(struct axq_cq_ring, ring_entries);
	p->cq_off.overflow = offsetof(struct axq_cq_ring, overflow);
	p->cq_off.cqes = offsetof(struct axq_cq_ring, cqes);
}

/**
 * axq_ctx_setup() - create the rings of a context (ASYNCX_IOC_SETUP)
 * @ctx: the context
 * @arg: the user's struct asyncx_params
 *
 * The access rules of open (``disabled``, ``group``) are checked again:
 * an administrator who closes the device to a user also stops the
 * contexts that user opened and has not set up yet.
 *
 * With ASYNCX_SETUP_SQPOLL the SQ thread (sqpoll.c) is created before
 * the rings and runs once they are ready.
 *
 * Context: process context, the owner (axq_ctx_owner()); takes ctx->lock.
 * Return: 0, -EFAULT, -EINVAL for bad parameters, -EBUSY if already set up,
 * -EPERM or -EACCES as open would answer now, -EAGAIN when the user has
 * max_user_sq_threads SQPOLL contexts, -ENOMEM.
 */
int axq_ctx_setup(struct axq_ctx *ctx, struct asyncx_params __user *arg)
{
	struct asyncx_params p;
	u32 sq_entries, cq_entries, flags;
	int ret;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	flags = p.flags;
	ret = axq_limits_allowed();
	if (ret)
		return ret;
	if (p.flags & ~(ASYNCX_SETUP_CQSIZE | ASYNCX_SETUP_SQPOLL) ||
	    memchr_inv(p.resv, 0, sizeof(p.resv)) ||
	    (p.sq_thread_idle && !(p.flags & ASYNCX_SETUP_SQPOLL)))
		return -EINVAL;
	if (!p.sq_entries || p.sq_entries > ASYNCX_MAX_ENTRIES)
		return -EINVAL;
	sq_entries = roundup_pow_of_two(p.sq_entries);
	if (p.flags & ASYNCX_SETUP_CQSIZE) {
		if (p.cq_entries < sq_entries ||
		    p.cq_entries > 2 * ASYNCX_MAX_ENTRIES)
			return -EINVAL;
		cq_entries = roundup_pow_of_two(p.cq_entries);
	} else {
		cq_entries = 2 * sq_entries;
	}

	mutex_lock(&ctx->lock);
	if (ctx->ready) {
		ret = -EBUSY;
		goto out;
	}
	if (p.flags & ASYNCX_SETUP_SQPOLL) {
		ret = axq_sqpoll_create(ctx, p.sq_thread_idle);
		if (ret)
			goto out;
	}
	ret = axq_rings_alloc(ctx, sq_entries, cq_entries);
	if (ret) {
		/* (Never started: it exits without running.) */
		axq_sqpoll_stop(ctx);
		axq_sqpoll_free(ctx);
		goto out;
	}
	axq_params_fill(&p, sq_entries, cq_entries);
	/* The flags as given, and the idle time the SQ thread uses. */
	p.flags = flags;
	p.sq_thread_idle = axq_sqpoll_idle_ms(ctx);
	/*
	 * Release: the rings and their sizes before ready; pairs with the
	 * acquire loads of ready in mmap, enter and poll, which then use the
	 * rings without ctx->lock (mmap must not take it: it runs under the
	 * mmap lock, which enter takes under ctx->lock when it reads user
	 * memory).
	 */
	smp_store_release(&ctx->ready, true);
	if (ctx->sqp)
		axq_sqpoll_start(ctx);
	mutex_unlock(&ctx->lock);
	/* On a fault the rings stay, and a retry answers -EBUSY. */
	return copy_to_user(arg, &p, sizeof(p)) ? -EFAULT : 0;
out:
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * axq_ctx_mmap() - map one of the three regions of a context
 * @ctx: the context
 * @vma: the mapping: offset ASYNCX_OFF_*, at most the region's size
 *
 * Context: process context (mmap, under the mmap lock).
 * Return: 0, -EINVAL for an unknown offset, a size past the region or a
 * context without rings, or the error of remap_pfn_range().
 */
int axq_ctx_mmap(struct axq_ctx *ctx, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	size_t region;
	void *ptr;

	/* Only the owner maps the rings: another process that holds the
	 * file could otherwise write SQEs that run as the owner.
	 */
	if (!axq_ctx_owner(ctx))
		return -EPERM;
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready))
		return -EINVAL;
	switch (off) {
	case ASYNCX_OFF_SQ_RING:
		ptr = ctx->sq;
		region = ctx->sq_size;
		break;
	case ASYNCX_OFF_SQES:
		ptr = ctx->sqes;
		region = ctx->sqes_size;
		break;
	case ASYNCX_OFF_CQ_RING:
		ptr = ctx->cq;
		region = ctx->cq_size;
		break;
	default:
		return -EINVAL;
	}
	if (size > region || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* A fork child gets no rings: it cannot corrupt ours. */
	axq_vm_flags_set(vma, VM_DONTCOPY);
	return remap_pfn_range(vma, vma->vm_start,
			       virt_to_phys(ptr) >> PAGE_SHIFT, size,
			       vma->vm_page_prot);
}

/**
 * axq_ctx_poll() - readiness of a context: readable when CQEs wait
 * @ctx: the context
 * @file: its file
 * @pt: the poll table
 *
 * Context: process context.
 * Return: EPOLLIN | EPOLLRDNORM when the CQ holds CQEs, else 0.
 */
__poll_t axq_ctx_poll(struct axq_ctx *ctx, struct file *file,
		      struct poll_table_struct *pt)
{
	poll_wait(file, &ctx->cq_wait, pt);
	/* Full barrier: our entry before the test; pairs with
	 * wq_has_sleeper() in axq_post_cqe().
	 */
	smp_mb();
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (smp_load_acquire(&ctx->ready) && axq_cq_ready(ctx))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/**
 * axq_ctx_register_eventfd() - signal an eventfd on every CQE
 * @ctx: the context
 * @arg: user pointer to the eventfd's file descriptor
 *
 * Context: process context.
 * Return: 0, -EFAULT, -EBADF or -EINVAL for a bad eventfd, -EBUSY if one
 * is registered.
 */
int axq_ctx_register_eventfd(struct axq_ctx *ctx, s32 __user *arg)
{
	struct eventfd_ctx *ev;
	s32 fd;
	int ret = 0;

	if (get_user(fd, arg))
		return -EFAULT;
	ev = eventfd_ctx_fdget(fd);
	if (IS_ERR(ev))
		return PTR_ERR(ev);
	spin_lock(&ctx->cq_lock);
	if (ctx->evfd)
		ret = -EBUSY;
	else
		ctx->evfd = ev;
	spin_unlock(&ctx->cq_lock);
	if (ret)
		eventfd_ctx_put(ev);
	return ret;
}

/**
 * axq_ctx_unregister_eventfd() - stop signalling the eventfd
 * @ctx: the context
 *
 * Context: process context.
 * Return: 0, or -ENXIO if none is registered.
 */
int axq_ctx_unregister_eventfd(struct axq_ctx *ctx)
{
	struct eventfd_ctx *ev;

	spin_lock(&ctx->cq_lock);
	ev = ctx->evfd;
	ctx->evfd = NULL;
	spin_unlock(&ctx->cq_lock);
	if (!ev)
		return -ENXIO;
	eventfd_ctx_put(ev);
	return 0;
}

/**
 * axq_ctx_show_fdinfo() - /proc/PID/fdinfo/FD of a context
 * @ctx: the context
 * @m: the seq_file
 *
 * Context: process context.
 */
void axq_ctx_show_fdinfo(struct axq_ctx *ctx, struct seq_file *m)
{
	unsigned int inflight, overflow, op, by_op[ASYNCX_OP_LAST] = {};
	struct axq_req *req;

	seq_printf(m, "asyncx-ctx:\t%llu\n", ctx->id);
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready)) {
		seq_puts(m, "rings:\tnone\n");
		return;
	}
	/* (At most max_inflight entries: fdinfo walks them all, as io_uring's.) */
	spin_lock(&ctx->inflight_lock);
	inflight = ctx->nr_inflight;
	list_for_each_entry(req, &ctx->inflight, node)
		by_op[req->opcode]++;
	spin_unlock(&ctx->inflight_lock);
	overflow = axq_cq_overflow_pending(ctx);
	seq_printf(m, "sq-entries:\t%u\nsq-head:\t%u\nsq-tail:\t%u\n",
		   ctx->sq_entries, READ_ONCE(ctx->sq->head),
		   READ_ONCE(ctx->sq->tail));
	seq_printf(m, "cq-entries:\t%u\ncq-head:\t%u\ncq-tail:\t%u\n",
		   ctx->cq_entries, READ_ONCE(ctx->cq->head),
		   READ_ONCE(ctx->cq->tail));
	seq_printf(m, "inflight:\t%u\noverflow-pending:\t%u\n", inflight,
		   overflow);
	seq_printf(m, "overflowed:\t%u\ndropped:\t%u\n",
		   READ_ONCE(ctx->cq->overflow), READ_ONCE(ctx->sq->dropped));
	/* In flight by opcode, the ops with none left out: "TIMEOUT=3 POLL=1". */
	seq_puts(m, "inflight-ops:\t");
	for (op = 0; op < ASYNCX_OP_LAST; op++)
		if (by_op[op])
			seq_printf(m, "%s=%u ", axq_opdefs[op]->name, by_op[op]);
	seq_putc(m, '\n');
	axq_iowq_show(ctx, m);
	axq_sqpoll_show(ctx, m);
}

/**
 * axq_ctx_cancel_all() - cancel every request in flight and drop the
 * registered buffers and files
 * @ctx: the context
 *
 * The requests complete with -ECANCELED as their tasks drop them; each
 * drops its context reference then. Idempotent.
 *
 * Context: process context.
 */
void axq_ctx_cancel_all(struct axq_ctx *ctx)
{
	struct axq_req *req;

	spin_lock(&ctx->inflight_lock);
	list_for_each_entry(req, &ctx->inflight, node) {
		if (req->task_ref)
			axq_task_cancel(&req->etask);
		else
			req->cancel = true;
	}
	spin_unlock(&ctx->inflight_lock);
	axq_rsrc_release(ctx);
	axq_pbuf_release(ctx);
}

/**
 * axq_ctx_release() - the file is closed: cancel what is in flight
 * @ctx: the context
 *
 * Requests still in flight are cancelled; they drop their context
 * reference as they finish, and the last one frees the context.
 *
 * Context: process context.
 */
void axq_ctx_release(struct axq_ctx *ctx)
{
	axq_sqpoll_stop(ctx);
	axq_ctx_cancel_all(ctx);
	axq_ctx_put(ctx);
}
