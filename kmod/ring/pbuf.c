// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: provided-buffer rings — buffers the application hands the
 * kernel in advance, which a receive takes only once data is there
 * (ASYNCX_IOC_REGISTER_PBUF_RING, ASYNCX_SOCK_RECV_PBUF).
 */

/**
 * DOC: provided buffers
 *
 * A server with many connections that each wait for data would otherwise
 * give each waiting SOCK_RECV a buffer of its own: 10,000 idle connections,
 * 10,000 idle buffers. A provided-buffer ring is one pool of buffers for
 * all of them: a receive takes the buffer at the ring's head when, and
 * only when, it has data to put in it, so a waiting socket holds no
 * buffer (and, as every socket op, no thread: rw.c).
 *
 * The ring lives in the application's memory (struct asyncx_pbuf
 * entries, the tail in entry 0's resv, see the uapi header); the kernel
 * keeps the head. Nothing is pinned: the ring and the buffers are read and
 * written through the owner's address space by the receive's own try,
 * which runs in the submitting thread (its task work) or on an I/O worker
 * in that address space, so a fault on them is an ordinary fault. The
 * ring's mutex serialises the takes: a try locks it, reads the tail
 * (then, ordered after it as the application's release store of the tail
 * is after its entries, the head's entry), receives into that buffer
 * without blocking, and moves the head past it only when the receive got
 * data. A socket with nothing to read, the peer's shutdown or an error
 * leave the buffer in the ring. The lock is held across the receive: a
 * second try must not take the same buffer, and a receive with
 * MSG_DONTWAIT does not sleep except on a fault of the buffer.
 *
 * Lifetime: the context's xarray (ctx->pbufs, by group id) holds one
 * reference to each ring, each request that names one takes another at
 * preparation. Unregister (or the owner's exit, or close) erases the ring
 * and marks it dead under its lock: a later take answers -ENOBUFS, and the
 * memory goes with the last request's reference. At most
 * ASYNCX_PBUF_MAX_RINGS rings per context, each a small kernel object
 * charged to the memory cgroup: the entries and buffers are the
 * application's own memory.
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "ctx.h"
#include "pbuf.h"

/**
 * axq_pbuf_ctx_init() - a new context has no provided-buffer rings
 * @ctx: the context
 */
void axq_pbuf_ctx_init(struct axq_ctx *ctx)
{
	xa_init(&ctx->pbufs);
	ctx->pbufs_nr = 0;
}

/**
 * axq_pbuf_register() - register a provided-buffer ring
 *	(ASYNCX_IOC_REGISTER_PBUF_RING)
 * @ctx: the context (the caller is its owner)
 * @arg: the user's struct asyncx_pbuf_reg
 *
 * Context: process context; takes the xarray's lock.
 * Return: 0, -EFAULT, -EINVAL for a bad field, -EBADFD before setup,
 * -EEXIST for a group with a ring, -ENOSPC over ASYNCX_PBUF_MAX_RINGS,
 * -ENOMEM.
 */
int axq_pbuf_register(struct axq_ctx *ctx, struct asyncx_pbuf_reg __user *arg)
{
	struct asyncx_pbuf_reg r;
	struct axq_pbuf_ring *br;
	int ret;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.flags || memchr_inv(r.resv, 0, sizeof(r.resv)))
		return -EINVAL;
	if (!r.ring_entries || r.ring_entries > ASYNCX_PBUF_MAX_ENTRIES ||
	    !is_power_of_2(r.ring_entries))
		return -EINVAL;
	if (!r.ring_addr || !PAGE_ALIGNED(r.ring_addr))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(r.ring_addr),
		       (size_t)r.ring_entries * sizeof(struct asyncx_pbuf)))
		return -EFAULT;
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready))
		return -EBADFD;

	br = kzalloc(sizeof(*br), GFP_KERNEL_ACCOUNT);
	if (!br)
		return -ENOMEM;
	mutex_init(&br->lock);
	br->uaddr = r.ring_addr;
	br->mask = r.ring_entries - 1;
	refcount_set(&br->refs, 1);

	xa_lock(&ctx->pbufs);
	if (ctx->pbufs_nr >= ASYNCX_PBUF_MAX_RINGS) {
		ret = -ENOSPC;
	} else {
		ret = __xa_insert(&ctx->pbufs, r.bgid, br, GFP_KERNEL_ACCOUNT);
		if (!ret)
			ctx->pbufs_nr++;
		else if (ret == -EBUSY)
			ret = -EEXIST;
	}
	xa_unlock(&ctx->pbufs);
	if (ret)
		kfree(br);
	return ret;
}

/* Nothing more is taken from @br; drop the context's reference. */
static void axq_pbuf_kill(struct axq_pbuf_ring *br)
{
	mutex_lock(&br->lock);
	br->dead = true;
	mutex_unlock(&br->lock);
	axq_pbuf_put(br);
}

/**
 * axq_pbuf_unregister() - unregister a provided-buffer ring
 *	(ASYNCX_IOC_UNREGISTER_PBUF_RING)
 * @ctx: the context (the caller is its owner)
 * @arg: the user's struct asyncx_pbuf_reg: bgid, the rest zero
 *
 * A receive that takes its buffer at the same time (holding the ring's
 * lock) completes with it; later takes answer -ENOBUFS.
 *
 * Context: process context; may sleep (the ring's lock).
 * Return: 0, -EFAULT, -EINVAL, -ENOENT for a group without a ring.
 */
int axq_pbuf_unregister(struct axq_ctx *ctx,
			struct asyncx_pbuf_reg __user *arg)
{
	struct asyncx_pbuf_reg r;
	struct axq_pbuf_ring *br;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.ring_addr || r.ring_entries || r.flags ||
	    memchr_inv(r.resv, 0, sizeof(r.resv)))
		return -EINVAL;
	xa_lock(&ctx->pbufs);
	br = __xa_erase(&ctx->pbufs, r.bgid);
	if (br)
		ctx->pbufs_nr--;
	xa_unlock(&ctx->pbufs);
	if (!br)
		return -ENOENT;
	axq_pbuf_kill(br);
	return 0;
}

/**
 * axq_pbuf_release() - drop every ring of a context (its owner is gone,
 *	or its file is closed)
 * @ctx: the context
 *
 * Context: process context; may sleep.
 */
void axq_pbuf_release(struct axq_ctx *ctx)
{
	struct axq_pbuf_ring *br;
	unsigned long index;

	xa_for_each(&ctx->pbufs, index, br) {
		xa_lock(&ctx->pbufs);
		br = __xa_erase(&ctx->pbufs, index);
		if (br)
			ctx->pbufs_nr--;
		xa_unlock(&ctx->pbufs);
		if (br)
			axq_pbuf_kill(br);
	}
}

/**
 * axq_pbuf_get() - the ring of a group, for a request that names it
 * @ctx: the context
 * @bgid: the group id (the SQE's buf_index)
 *
 * Context: submission.
 * Return: the ring with a reference (axq_pbuf_put()), or NULL.
 */
struct axq_pbuf_ring *axq_pbuf_get(struct axq_ctx *ctx, u16 bgid)
{
	struct axq_pbuf_ring *br;

	xa_lock(&ctx->pbufs);
	br = xa_load(&ctx->pbufs, bgid);
	if (br)
		refcount_inc(&br->refs);
	xa_unlock(&ctx->pbufs);
	return br;
}

/**
 * axq_pbuf_put() - drop a reference to a ring
 * @br: the ring
 *
 * Context: any process context.
 */
void axq_pbuf_put(struct axq_pbuf_ring *br)
{
	if (!refcount_dec_and_test(&br->refs))
		return;
	mutex_destroy(&br->lock);
	kfree(br);
}

/**
 * axq_pbuf_peek() - read the buffer at the ring's head, without taking it
 * @br: the ring, locked
 * @sel: the buffer, when there is one
 *
 * Context: in the owner's address space (its thread, or a worker that
 * uses its mm), under @br->lock; may fault.
 * Return: 0; -ENOBUFS for an empty or dead ring; -EFAULT for a ring or a
 * buffer outside the user address space; -EINVAL for a buffer of length
 * 0 (none of these moves the head).
 */
int axq_pbuf_peek(struct axq_pbuf_ring *br, struct axq_pbuf_sel *sel)
{
	struct asyncx_pbuf __user *ring = u64_to_user_ptr(br->uaddr);
	struct asyncx_pbuf e;
	u16 tail;

	lockdep_assert_held(&br->lock);
	if (br->dead)
		return -ENOBUFS;
	if (get_user(tail, &ring[0].resv))
		return -EFAULT;
	/* The entries after the tail: the application stored them first. */
	smp_rmb();
	if (tail == br->head)
		return -ENOBUFS;
	if (copy_from_user(&e, &ring[br->head & br->mask], sizeof(e)))
		return -EFAULT;
	if (!e.len)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(e.addr), e.len))
		return -EFAULT;
	sel->addr = e.addr;
	sel->len = e.len;
	sel->bid = e.bid;
	return 0;
}

/**
 * axq_pbuf_commit() - take the buffer axq_pbuf_peek() read: it is the
 *	receive's, until its CQE gives it back to the application
 * @br: the ring, locked since the peek
 */
void axq_pbuf_commit(struct axq_pbuf_ring *br)
{
	lockdep_assert_held(&br->lock);
	br->head++;
}
