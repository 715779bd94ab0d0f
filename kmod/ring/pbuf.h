/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: provided-buffer rings (pbuf.c). Internal.
 */
#ifndef _ASYNCX_RING_PBUF_H
#define _ASYNCX_RING_PBUF_H

#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>

#include <linux/asyncx.h>

struct axq_ctx;

/**
 * struct axq_pbuf_ring - a provided-buffer ring of a context
 * @lock: serialises the takes of buffers (@head and @dead); held across a
 *	receive into the buffer taken, which may fault on user memory
 * @uaddr: the ring, in the owner's address space (I)
 * @mask: its entries - 1 (I)
 * @head: the next entry to take (L: @lock)
 * @dead: unregistered, or its context closed: nothing more is taken
 *	(L: @lock)
 * @refs: the context's registration and one per request that names it
 */
struct axq_pbuf_ring {
	struct mutex	lock;		/* see above */
	u64		uaddr;
	u32		mask;
	u16		head;
	bool		dead;
	refcount_t	refs;
};

/**
 * struct axq_pbuf_sel - the buffer at a ring's head, as axq_pbuf_peek()
 *	read it
 * @addr: its user address
 * @len: its length
 * @bid: its id
 */
struct axq_pbuf_sel {
	u64	addr;
	u32	len;
	u16	bid;
};

int axq_pbuf_register(struct axq_ctx *ctx, struct asyncx_pbuf_reg __user *arg);
int axq_pbuf_unregister(struct axq_ctx *ctx,
			struct asyncx_pbuf_reg __user *arg);
void axq_pbuf_ctx_init(struct axq_ctx *ctx);
void axq_pbuf_release(struct axq_ctx *ctx);
struct axq_pbuf_ring *axq_pbuf_get(struct axq_ctx *ctx, u16 bgid);
void axq_pbuf_put(struct axq_pbuf_ring *br);
int axq_pbuf_peek(struct axq_pbuf_ring *br, struct axq_pbuf_sel *sel);
void axq_pbuf_commit(struct axq_pbuf_ring *br);

#endif /* _ASYNCX_RING_PBUF_H */
