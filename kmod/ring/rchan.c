// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: channels on a context — bounded FIFO queues of messages that the
 * threads of one process pass through the ring with ASYNCX_OP_SEND and
 * ASYNCX_OP_RECV; created and destroyed by ioctl.
 */

/**
 * DOC: channels on a context
 *
 * A channel (struct axq_rchan) is a FIFO queue of messages (struct
 * axq_rchan_msg, a copy of the SEND's bytes) bounded by its capacity, in
 * the context's xarray of channels under its id. The array holds one
 * reference; each SEND and RECV holds one from its preparation on, so a
 * destroyed channel stays in memory until its last request is dropped.
 *
 * SEND copies the message at submission. Outside a chain it is placed at
 * submission too (try_inline): into the queue when there is room and no
 * SEND waits already (the CQE is then posted without the executor), else
 * at the tail of the channel's list of waiting senders. A chained SEND
 * does the same at its first poll. Waiting senders enter the queue in
 * list order, so the SENDs of one producer keep their submission order:
 * a RECV that makes room moves the first waiting message into the queue
 * and wakes its SEND's task (one waker per message, no thundering herd).
 * A message is moved only once its SEND has been polled (it has a
 * waker); a SEND never polled yet moves itself at its first poll, and
 * those behind it wait. So a message is never moved while its request
 * could still fail to start.
 *
 * @count counts the messages queued plus those a RECV has taken and is
 * copying; it never exceeds the capacity, and room is made only once the
 * copy succeeded. A RECV whose copy faults puts the message back at the
 * head of the queue and completes with -EFAULT: no message is lost.
 *
 * RECV waits on the channel's recv wait queue (struct axq_wq_waker) and
 * copies on the executor worker through the context's mm (the only mm
 * that may submit), with kthread_use_mm() and without taking a page fault
 * (which may sleep on the user's behalf: a FUSE file's mapping, a
 * userfaultfd): a slot not present is faulted in on an I/O worker of the
 * context (iowq.c), and the copy tried again (up to AXQ_RECV_FAULTS times
 * a slot, then -EFAULT).
 *
 * Destroy marks the channel dead, takes it out of the array, discards the
 * queued messages (the ioctl returns their number) and completes waiting
 * SENDs and RECVs with -EPIPE. A cancelled SEND whose message was already
 * moved into the queue completes with its length, not -ECANCELED: the
 * message was sent.
 *
 * Lock order: chan->lock, then the locks of the executor (axq_wake()).
 * Wake-ups of the recv wait queue are done after chan->lock is dropped.
 */
#include <linux/errno.h>
#include <linux/kthread.h>
#include <linux/pagemap.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "iowq.h"
#include "limits.h"
#include "opdef.h"
#include "rchan.h"

/* SEND's and RECV's state (rchan.c). */
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
	u8			faults;		/* RECV: fault-ins of a slot */
	struct axq_wq_waker	w;		/* RECV: on the recv queue */
	struct mm_struct	*mm;		/* RECV: the context's */
	u64			fault_addr;	/* RECV: the slot to fault in */
	u32			fault_len;
	struct axq_io_work	io;		/* RECV: faults it in */
};

/* Fault-ins of one slot before a RECV gives up with -EFAULT. */
#define AXQ_RECV_FAULTS	4

/* Messages one poll of a multishot RECV delivers before yielding. */
#define AXQ_RCHAN_BUDGET	32

/* Where a SEND's message is, until it is queued (axq_rchan_msg.state). */
enum {
	AXQ_MSG_NEW,		/* not offered yet (a chained SEND) */
	AXQ_MSG_WAITING,	/* on chan->senders */
	AXQ_MSG_DEAD,		/* the channel was destroyed: not sent */
	AXQ_MSG_UNSENT,		/* the SEND was cancelled: not sent */
};

/**
 * struct axq_rchan_msg - one message. Until it is queued it belongs to its
 * SEND; once queued, to the channel (then to the RECV that takes it), and
 * the SEND no longer touches it: it learns it was sent through @sent.
 * @node: on chan->senders or chan->queue (L: chan->lock)
 * @waker: a waiting SEND's task, once polled (L: chan->lock)
 * @sent: a waiting SEND's flag, set when the message is moved into the
 *	queue; set at its first poll, with @waker (L: chan->lock)
 * @state: AXQ_MSG_* while not queued (L: chan->lock once offered)
 * @ctx: the context its bytes are charged to, with its user (I; the
 *	context outlives its channels' messages: each is freed before the
 *	context's last request retires, or at its channels' release)
 * @len: bytes in @data (I)
 * @data: the bytes (I)
 */
struct axq_rchan_msg {
	struct list_head	node;
	struct axq_task		*waker;
	bool			*sent;
	u8			state;
	struct axq_ctx		*ctx;
	u32			len;
	u8			data[];
};

static unsigned long max_chan_bytes = 16UL << 20;
module_param(max_chan_bytes, ulong, 0644);
MODULE_PARM_DESC(max_chan_bytes,
		 "Bytes of messages one context may hold in its channels; a SEND over it completes with -ENOBUFS (default 16 MiB)");

/*
 * Charge a new message's bytes to its context and user: 0, or -ENOBUFS
 * over max_chan_bytes or max_user_chan_bytes.
 */
static int axq_rchan_msg_charge(struct axq_ctx *ctx, size_t size)
{
	if (atomic_long_add_return(size, &ctx->chan_bytes) >
	    (long)min_t(unsigned long, READ_ONCE(max_chan_bytes), LONG_MAX)) {
		atomic_long_sub(size, &ctx->chan_bytes);
		return -ENOBUFS;
	}
	if (axq_limits_chan_charge(ctx->user, size)) {
		atomic_long_sub(size, &ctx->chan_bytes);
		return -ENOBUFS;
	}
	return 0;
}

static void axq_rchan_msg_uncharge(struct axq_ctx *ctx, size_t size)
{
	atomic_long_sub(size, &ctx->chan_bytes);
	axq_limits_chan_release(ctx->user, size);
}

/* Free a message (NULL is fine) and uncharge its bytes. */
static void axq_rchan_msg_free(struct axq_rchan_msg *m)
{
	if (!m)
		return;
	axq_rchan_msg_uncharge(m->ctx, struct_size(m, data, m->len));
	kfree(m);
}

/**
 * struct axq_rchan - a channel on a context
 * @id: its id in ctx->chans (I)
 * @capacity: messages at most (I)
 * @msg_size: bytes of one message at most (I)
 * @refs: the array's reference and one per request
 * @lock: protects the fields tagged L and the messages' state
 * @dead: destroyed (L: @lock; read without it as a wait condition)
 * @count: messages queued plus taken by RECVs copying them (L: @lock)
 * @peak: the highest @count seen (L: @lock)
 * @nr_waiting: messages on @senders (L: @lock)
 * @sent: messages that entered the queue (L: @lock)
 * @received: messages delivered (L: @lock)
 * @queue: the queued messages, oldest first (L: @lock)
 * @senders: the waiting SENDs' messages, in submission order (L: @lock)
 * @recv_wq: RECVs waiting for a message; woken after a message is queued
 *	or put back, and at destroy
 */
struct axq_rchan {
	u32			id;
	u32			capacity;
	u32			msg_size;
	refcount_t		refs;
	spinlock_t		lock;	/* see above */
	bool			dead;
	u32			count;
	u32			peak;
	u32			nr_waiting;
	u64			sent;
	u64			received;
	struct list_head	queue;
	struct list_head	senders;
	struct wait_queue_head	recv_wq;
};

static void axq_rchan_put(struct axq_rchan *chan)
{
	if (refcount_dec_and_test(&chan->refs)) {
		/* Dead: destroy emptied the queue; requests emptied senders. */
		WARN_ON_ONCE(!list_empty(&chan->queue) ||
			     !list_empty(&chan->senders));
		kfree(chan);
	}
}

/* The channel @id of @ctx with a reference, or NULL. */
static struct axq_rchan *axq_rchan_get(struct axq_ctx *ctx, s32 id)
{
	struct axq_rchan *chan;

	if (id <= 0)
		return NULL;
	xa_lock(&ctx->chans);
	chan = xa_load(&ctx->chans, id);
	if (chan)
		refcount_inc(&chan->refs);
	xa_unlock(&ctx->chans);
	return chan;
}

static void axq_rchan_wake_recv(struct axq_rchan *chan)
{
	/* Full barrier in wq_has_sleeper(): pairs with axq_wq_waker_arm(). */
	if (wq_has_sleeper(&chan->recv_wq))
		wake_up(&chan->recv_wq);
}

/* Put @msg at the tail of the queue: it is sent. */
static void axq_rchan_enqueue(struct axq_rchan *chan, struct axq_rchan_msg *m)
{
	lockdep_assert_held(&chan->lock);
	list_add_tail(&m->node, &chan->queue);
	chan->count++;
	chan->sent++;
	if (chan->count > chan->peak)
		chan->peak = chan->count;
}

/*
 * Move waiting messages into the queue while there is room, in order,
 * stopping at one whose SEND was never polled; wake their SENDs (@self's
 * own task is running: its reference is dropped instead). Returns whether
 * any moved.
 */
static bool axq_rchan_promote(struct axq_rchan *chan,
			      struct axq_rchan_msg *self)
{
	struct axq_rchan_msg *m;
	struct axq_task *w;
	bool moved = false;

	lockdep_assert_held(&chan->lock);
	while (chan->count < chan->capacity && !list_empty(&chan->senders)) {
		m = list_first_entry(&chan->senders, struct axq_rchan_msg, node);
		if (!m->waker)
			break;
		list_del(&m->node);
		chan->nr_waiting--;
		w = m->waker;
		m->waker = NULL;
		*m->sent = true;
		/* From here on the channel's: a RECV may free it. */
		axq_rchan_enqueue(chan, m);
		if (m == self)
			axq_waker_put(w);
		else
			axq_wake(w);
		moved = true;
	}
	return moved;
}

/* ------------------------------------------------------------------ SEND */

/**
 * axq_send_prep() - validate a SEND, copy its message, take its channel
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission, in the submitter's mm.
 * Return: 0, -EINVAL for bad fields, -ENOENT for an unknown channel,
 * -EMSGSIZE for a message longer than the channel's msg_size, -EFAULT,
 * -ENOMEM.
 */
static int axq_send_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);
	struct axq_rchan_msg *m;
	int ret;

	if (sqe->off || sqe->op_flags)
		return -EINVAL;
	cc->chan = axq_rchan_get(req->ctx, sqe->fd);
	if (!cc->chan)
		return -ENOENT;
	ret = -EMSGSIZE;
	if (sqe->len > cc->chan->msg_size)
		goto err;
	ret = axq_rchan_msg_charge(req->ctx, struct_size(m, data, sqe->len));
	if (ret)
		goto err;
	m = kmalloc(struct_size(m, data, sqe->len), GFP_KERNEL_ACCOUNT);
	if (!m) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	if (copy_from_user(m->data, u64_to_user_ptr(sqe->addr), sqe->len)) {
		kfree(m);
		ret = -EFAULT;
		goto err_uncharge;
	}
	m->ctx = req->ctx;
	m->len = sqe->len;
	m->state = AXQ_MSG_NEW;
	m->waker = NULL;
	m->sent = NULL;
	INIT_LIST_HEAD(&m->node);
	cc->msg = m;
	cc->len = sqe->len;
	cc->offered = false;
	cc->sent = false;
	cc->reported = false;
	return 0;
err_uncharge:
	axq_rchan_msg_uncharge(req->ctx, struct_size(m, data, sqe->len));
err:
	axq_rchan_put(cc->chan);
	return ret;
}

/*
 * Offer a new message: queue it if there is room and no SEND waits, else
 * make it wait. Returns true when the SEND is done (*@res set).
 */
static bool axq_send_offer(struct axq_chan_cmd *cc, int *res)
{
	struct axq_rchan *chan = cc->chan;
	struct axq_rchan_msg *m = cc->msg;

	cc->offered = true;
	spin_lock(&chan->lock);
	if (chan->dead) {
		m->state = AXQ_MSG_DEAD;
		spin_unlock(&chan->lock);
		*res = -EPIPE;
		return true;
	}
	if (list_empty(&chan->senders) && chan->count < chan->capacity) {
		cc->sent = true;
		axq_rchan_enqueue(chan, m);
		spin_unlock(&chan->lock);
		axq_rchan_wake_recv(chan);
		*res = cc->len;
		return true;
	}
	m->state = AXQ_MSG_WAITING;
	list_add_tail(&m->node, &chan->senders);
	chan->nr_waiting++;
	spin_unlock(&chan->lock);
	return false;
}

/**
 * axq_send_try_inline() - queue the message at submission if there is room
 * @req: the request
 * @res: the CQE's result when done: the length, or -EPIPE
 *
 * Otherwise the message waits, in submission order, for its SEND's task.
 *
 * Context: submission.
 * Return: true if the SEND is done.
 */
static bool axq_send_try_inline(struct axq_req *req, int *res)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);

	if (!axq_send_offer(cc, res))
		return false;
	cc->reported = true;
	return true;
}

/**
 * axq_send_poll() - the SEND future: wait until the message is queued
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready: the length, or -EPIPE
 *
 * Context: an executor worker.
 * Return: AXQ_READY when the message is in the channel or the channel is
 * gone, else AXQ_PENDING.
 */
static enum axq_poll axq_send_poll(struct axq_req *req, struct axq_context *cx,
				   int *res)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);
	struct axq_rchan *chan = cc->chan;
	struct axq_rchan_msg *m = cc->msg;
	bool moved = false, dead = false;

	/*
	 * A chained SEND is offered when the chain reaches it. (Once the
	 * message is queued a RECV may free it: it is not read again then.)
	 */
	if (!cc->offered && axq_send_offer(cc, res)) {
		cc->reported = true;
		return AXQ_READY;
	}
	spin_lock(&chan->lock);
	if (!cc->sent && m->state == AXQ_MSG_WAITING && !m->waker) {
		/* The first poll: from now on a RECV may move it. */
		m->waker = axq_waker_get(cx);
		m->sent = &cc->sent;
		moved = axq_rchan_promote(chan, m);
	}
	if (!cc->sent)
		dead = m->state == AXQ_MSG_DEAD;
	spin_unlock(&chan->lock);
	if (moved)
		axq_rchan_wake_recv(chan);
	if (cc->sent)
		*res = cc->len;
	else if (dead)
		*res = -EPIPE;
	else
		return AXQ_PENDING;
	cc->reported = true;
	return AXQ_READY;
}

/**
 * axq_send_cleanup() - take a SEND's message back unless it was sent
 * @req: the request
 *
 * A message still waiting is taken off the channel (the SEND completes
 * with -ECANCELED or the start's error: not sent), and the messages behind
 * it may move. A message already queued whose result was not reported yet
 * (cancelled after a RECV moved it) was sent: its CQE says so here.
 *
 * Context: process context (the request's drop, or a failed start).
 */
static void axq_send_cleanup(struct axq_req *req)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);
	struct axq_rchan *chan = cc->chan;
	struct axq_rchan_msg *m = cc->msg;
	struct axq_task *w = NULL;
	bool moved = false;
	bool sent;

	spin_lock(&chan->lock);
	sent = cc->sent;
	if (!sent) {
		if (m->state == AXQ_MSG_WAITING) {
			list_del(&m->node);
			chan->nr_waiting--;
			m->state = AXQ_MSG_UNSENT;
			moved = axq_rchan_promote(chan, NULL);
		}
		w = m->waker;
		m->waker = NULL;
	}
	spin_unlock(&chan->lock);
	if (w)
		axq_waker_put(w);
	if (moved)
		axq_rchan_wake_recv(chan);
	if (!sent)
		axq_rchan_msg_free(m);
	if (sent && !cc->reported && !req->posted) {
		axq_post_cqe(req->ctx, req->user_data, cc->len, 0);
		req->res = cc->len;
		req->posted = true;
	}
	axq_rchan_put(chan);
}

/* ------------------------------------------------------------------ RECV */

static long axq_recv_fault_in(struct axq_io_work *w);

/**
 * axq_recv_prep() - validate a RECV and take its channel
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission.
 * Return: 0, -EINVAL for bad fields or a buffer smaller than the
 * channel's msg_size (multishot: more than ASYNCX_CHAN_MAX_SLOTS slots),
 * -ENOENT for an unknown channel, -EFAULT for a buffer outside the user
 * address space.
 */
static int axq_recv_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);
	u32 slots;
	int ret;

	if (sqe->off)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(sqe->addr), sqe->len))
		return -EFAULT;
	cc->chan = axq_rchan_get(req->ctx, sqe->fd);
	if (!cc->chan)
		return -ENOENT;
	ret = -EINVAL;
	slots = sqe->len / cc->chan->msg_size;
	if (!slots)
		goto err;
	cc->multishot = sqe->op_flags & ASYNCX_RECV_MULTISHOT;
	if (cc->multishot && slots > ASYNCX_CHAN_MAX_SLOTS)
		goto err;
	cc->slots = cc->multishot ? slots : 1;
	cc->next_slot = 0;
	cc->addr = sqe->addr;
	cc->len = sqe->len;
	cc->faults = 0;
	cc->mm = req->ctx->mm;
	axq_io_work_init(&cc->io, axq_recv_fault_in);
	cc->msg = NULL;
	cc->sent = false;
	cc->reported = false;
	axq_wq_waker_init(&cc->w);
	return 0;
err:
	axq_rchan_put(cc->chan);
	return ret;
}

static bool axq_recv_ready(struct axq_rchan *chan)
{
	return !list_empty_careful(&chan->queue) || READ_ONCE(chan->dead);
}

/*
 * Copy @m to @addr in the context's mm; 0 or -EFAULT. On an executor
 * worker (not in the submitter) the copy takes no page fault, which may
 * sleep: a page not present fails it, and the RECV faults the slot in on
 * an I/O worker (axq_recv_fault_in()) and tries again.
 */
static int axq_recv_copy(struct axq_ctx *ctx, u64 addr,
			 const struct axq_rchan_msg *m)
{
	bool use_mm = current->mm != ctx->mm;
	unsigned long left;

	if (!use_mm)
		return copy_to_user(u64_to_user_ptr(addr), m->data, m->len) ?
		       -EFAULT : 0;
	/* The process may have exited: then there is no buffer. */
	if (!mmget_not_zero(ctx->mm))
		return -EFAULT;
	kthread_use_mm(ctx->mm);
	pagefault_disable();
	left = copy_to_user(u64_to_user_ptr(addr), m->data, m->len);
	pagefault_enable();
	kthread_unuse_mm(ctx->mm);
	mmput(ctx->mm);
	return left ? -EFAULT : 0;
}

/* Fault the slot of cc->fault_addr in, on an I/O worker: 0 or -EFAULT. */
static long axq_recv_fault_in(struct axq_io_work *w)
{
	struct axq_chan_cmd *cc = container_of(w, struct axq_chan_cmd, io);
	size_t left;

	if (!mmget_not_zero(cc->mm))
		return -EFAULT;
	kthread_use_mm(cc->mm);
	left = fault_in_safe_writeable(u64_to_user_ptr(cc->fault_addr),
				       cc->fault_len);
	kthread_unuse_mm(cc->mm);
	mmput(cc->mm);
	return left ? -EFAULT : 0;
}

/* The step uses only the command's fields and the context's mm. */
static void axq_recv_orphan(struct axq_io_work *w)
{
}

/*
 * Take the oldest message and deliver it to the next slot. Returns its
 * length, -EAGAIN when the queue is empty, -EPIPE when the channel is
 * dead, -EFAULT (the message is back at the head of the queue).
 */
static int axq_recv_one(struct axq_req *req)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);
	struct axq_rchan *chan = cc->chan;
	struct axq_rchan_msg *m = NULL;
	bool moved = false;
	int ret;

	spin_lock(&chan->lock);
	if (!list_empty(&chan->queue)) {
		m = list_first_entry(&chan->queue, struct axq_rchan_msg, node);
		/* Still counted: no room until it is delivered. */
		list_del_init(&m->node);
	}
	ret = chan->dead ? -EPIPE : -EAGAIN;
	spin_unlock(&chan->lock);
	if (!m)
		return ret;

	ret = axq_recv_copy(req->ctx, cc->addr +
			    (u64)cc->next_slot * chan->msg_size, m);
	spin_lock(&chan->lock);
	if (!ret) {
		chan->count--;
		chan->received++;
		moved = axq_rchan_promote(chan, NULL);
	} else if (!chan->dead) {
		list_add(&m->node, &chan->queue);
		m = NULL;
	} else {
		/* Destroyed meanwhile: discarded, as the queued ones were. */
		chan->count--;
	}
	spin_unlock(&chan->lock);
	if (ret) {
		axq_rchan_msg_free(m);
		/* Back in the queue: another RECV may have a good buffer. */
		axq_rchan_wake_recv(chan);
		return ret;
	}
	ret = m->len;
	axq_rchan_msg_free(m);
	if (moved)
		axq_rchan_wake_recv(chan);
	return ret;
}

/**
 * axq_recv_poll() - the RECV future
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready: the message's length (multishot: the
 *	slots filled), or -EPIPE or -EFAULT
 *
 * A multishot RECV posts one CQE with ASYNCX_CQE_F_MORE and the slot per
 * message; the last CQE (no MORE) comes when the slots are full.
 *
 * Context: an executor worker.
 * Return: AXQ_READY when the CQE is due, else AXQ_PENDING.
 */
static enum axq_poll axq_recv_poll(struct axq_req *req, struct axq_context *cx,
				   int *res)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);
	unsigned int budget = AXQ_RCHAN_BUDGET;
	long out;
	int ret;

	if (axq_io_work_busy(&cc->io)) {
		/* A fault-in of the slot (see axq_recv_copy()). */
		if (!axq_io_work_done(&cc->io, &out))
			return AXQ_PENDING;
		if (out) {
			*res = out;
			return AXQ_READY;
		}
	}
	for (;;) {
		if (axq_wait_cond(&cc->w, &cc->chan->recv_wq, cx,
				  axq_recv_ready(cc->chan)) == AXQ_PENDING)
			return AXQ_PENDING;
		ret = axq_recv_one(req);
		if (ret == -EAGAIN)
			continue;	/* another RECV took it: wait again */
		if (ret == -EFAULT && cc->faults++ < AXQ_RECV_FAULTS) {
			cc->fault_addr = cc->addr +
					 (u64)cc->next_slot * cc->chan->msg_size;
			cc->fault_len = cc->chan->msg_size;
			ret = axq_io_work_queue(req->ctx, &cc->io, cx);
			if (!ret)
				return AXQ_PENDING;
		}
		if (ret >= 0)
			cc->faults = 0;
		if (ret < 0 || !cc->multishot) {
			*res = ret;
			return AXQ_READY;
		}
		axq_post_cqe(req->ctx, req->user_data, ret,
			     ASYNCX_CQE_F_MORE | (cc->next_slot << 16));
		if (++cc->next_slot == cc->slots) {
			*res = cc->slots;
			return AXQ_READY;
		}
		if (!--budget) {
			/* Give the worker back; come again soon. */
			axq_wake(axq_waker_get(cx));
			return AXQ_PENDING;
		}
	}
}

/**
 * axq_recv_cleanup() - unhook a RECV and drop its channel
 * @req: the request
 *
 * Context: process context (the request's drop, or a failed start).
 */
static void axq_recv_cleanup(struct axq_req *req)
{
	struct axq_chan_cmd *cc = axq_req_cmd(req, struct axq_chan_cmd);

	/* A fault-in goes on alone: it uses nothing released here. */
	axq_io_work_drop(req->ctx, &cc->io, axq_recv_orphan);
	axq_wq_waker_disarm(&cc->w);
	axq_rchan_put(cc->chan);
}

/* ---------------------------------------------------------------- ioctls */

/**
 * axq_rchan_ctx_init() - a new context has no channels
 * @ctx: the context
 *
 * Context: process context (open).
 */
void axq_rchan_ctx_init(struct axq_ctx *ctx)
{
	xa_init_flags(&ctx->chans, XA_FLAGS_ALLOC1);
}

/*
 * Take channel @id out of @ctx and destroy it. Returns the number of
 * messages discarded, or -ENOENT.
 */
static int axq_rchan_kill(struct axq_ctx *ctx, u32 id)
{
	struct axq_rchan_msg *m, *next;
	struct axq_rchan *chan;
	LIST_HEAD(discard);
	int n = 0;

	xa_lock(&ctx->chans);
	chan = id <= INT_MAX ? __xa_erase(&ctx->chans, id) : NULL;
	if (chan)
		ctx->chans_nr--;
	xa_unlock(&ctx->chans);
	if (!chan)
		return -ENOENT;

	spin_lock(&chan->lock);
	WRITE_ONCE(chan->dead, true);
	list_splice_init(&chan->queue, &discard);
	list_for_each_entry_safe(m, next, &chan->senders, node) {
		list_del_init(&m->node);
		m->state = AXQ_MSG_DEAD;
		if (m->waker)
			axq_wake(m->waker);
		m->waker = NULL;
	}
	chan->nr_waiting = 0;
	list_for_each_entry(m, &discard, node)
		n++;
	chan->count -= n;
	spin_unlock(&chan->lock);
	/* Every waiting RECV sees dead. */
	wake_up_all(&chan->recv_wq);
	list_for_each_entry_safe(m, next, &discard, node)
		axq_rchan_msg_free(m);
	axq_rchan_put(chan);
	return n;
}

/**
 * axq_rchan_create() - ASYNCX_IOC_CHAN_CREATE
 * @ctx: the context
 * @arg: the user's struct asyncx_chan_params
 *
 * Context: process context.
 * Return: 0, -EFAULT, -EINVAL, -EBADFD before setup, -EPERM from another
 * process, -ENOSPC with ASYNCX_CHAN_MAX channels, -ENOMEM.
 */
int axq_rchan_create(struct axq_ctx *ctx,
		     struct asyncx_chan_params __user *arg)
{
	struct asyncx_chan_params p;
	struct axq_rchan *chan;
	u32 id;
	int ret;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	if (p.flags || p.id || memchr_inv(p.resv, 0, sizeof(p.resv)))
		return -EINVAL;
	if (!p.capacity || p.capacity > ASYNCX_CHAN_MAX_CAPACITY ||
	    !p.msg_size || p.msg_size > ASYNCX_CHAN_MAX_MSG)
		return -EINVAL;
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready))
		return -EBADFD;
	if (current->mm != ctx->mm)
		return -EPERM;

	chan = kzalloc(sizeof(*chan), GFP_KERNEL_ACCOUNT);
	if (!chan)
		return -ENOMEM;
	chan->capacity = p.capacity;
	chan->msg_size = p.msg_size;
	refcount_set(&chan->refs, 1);
	spin_lock_init(&chan->lock);
	INIT_LIST_HEAD(&chan->queue);
	INIT_LIST_HEAD(&chan->senders);
	init_waitqueue_head(&chan->recv_wq);

	xa_lock(&ctx->chans);
	if (ctx->chans_nr >= ASYNCX_CHAN_MAX) {
		ret = -ENOSPC;
	} else {
		/*
		 * Counted first: the allocation may drop the lock to sleep.
		 * Cyclic: a stale SQE does not reach a new channel soon.
		 */
		ctx->chans_nr++;
		ret = __xa_alloc_cyclic(&ctx->chans, &id, chan,
					XA_LIMIT(1, INT_MAX), &ctx->chans_next,
					GFP_KERNEL_ACCOUNT);
		if (ret < 0) {
			ctx->chans_nr--;
		} else {
			chan->id = id;
			ret = 0;
		}
	}
	xa_unlock(&ctx->chans);
	if (ret) {
		kfree(chan);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	p.id = id;
	if (put_user(id, &arg->id)) {
		axq_rchan_kill(ctx, id);
		return -EFAULT;
	}
	return 0;
}

/**
 * axq_rchan_destroy() - ASYNCX_IOC_CHAN_DESTROY
 * @ctx: the context
 * @arg: the user's channel id
 *
 * Context: process context.
 * Return: the number of queued messages discarded, -EFAULT, -ENOENT for
 * an unknown id.
 */
int axq_rchan_destroy(struct axq_ctx *ctx, u32 __user *arg)
{
	u32 id;

	if (get_user(id, arg))
		return -EFAULT;
	return axq_rchan_kill(ctx, id);
}

/**
 * axq_rchan_ctx_release() - the context is closed: destroy its channels
 * @ctx: the context
 *
 * Context: process context (release), before the requests are cancelled.
 */
void axq_rchan_ctx_release(struct axq_ctx *ctx)
{
	struct axq_rchan *chan;
	unsigned long id;

	xa_for_each(&ctx->chans, id, chan)
		axq_rchan_kill(ctx, id);
	xa_destroy(&ctx->chans);
}

/**
 * axq_rchan_show_fdinfo() - one line per channel in the context's fdinfo
 * @ctx: the context
 * @m: the seq_file
 *
 * depth: messages queued or being received; peak: the highest depth seen
 * (never above cap); waiting: SENDs waiting for room.
 *
 * Context: process context.
 */
void axq_rchan_show_fdinfo(struct axq_ctx *ctx, struct seq_file *m)
{
	struct axq_rchan *chan;
	unsigned long id;

	xa_lock(&ctx->chans);
	xa_for_each(&ctx->chans, id, chan) {
		spin_lock(&chan->lock);
		seq_printf(m, "chan-%lu:\tcap %u msg-size %u depth %u peak %u waiting %u sent %llu received %llu\n",
			   id, chan->capacity, chan->msg_size, chan->count,
			   chan->peak, chan->nr_waiting, chan->sent,
			   chan->received);
		spin_unlock(&chan->lock);
	}
	xa_unlock(&ctx->chans);
}

const struct axq_opdef axq_op_send = {
	.name		= "SEND",
	.cmd_size	= sizeof(struct axq_chan_cmd),
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_send_prep,
	.poll		= axq_send_poll,
	.try_inline	= axq_send_try_inline,
	.cleanup	= axq_send_cleanup,
};

const struct axq_opdef axq_op_recv = {
	.name		= "RECV",
	.cmd_size	= sizeof(struct axq_chan_cmd),
	.op_flags	= ASYNCX_RECV_MULTISHOT,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_recv_prep,
	.poll		= axq_recv_poll,
	.cleanup	= axq_recv_cleanup,
};
