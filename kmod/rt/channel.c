// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: channels — the bounded multi-producer single-consumer
 * channel (also a stream) and the oneshot channel (the async semaphore is
 * in sem.c).
 * Documentation/channels.rst explains them.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/slab.h>

#include <asyncx/channel.h>

/**
 * DOC: channel
 *
 * A channel carries ``long`` values (a pointer fits), copied into a kfifo
 * sized at creation: no allocation per message, and sends and receives
 * that never sleep, so that try_send and try_recv work in any context. The
 * bound is the capacity given at creation, not the kfifo's power-of-two
 * size: never more than that many values are buffered.
 *
 * Handles are counted references on one struct axq_chan: axq_chan_new()
 * returns one sender reference and the receiver. axq_chan_sender_get()
 * makes another sender, axq_chan_sender_put() drops one; the receiver is
 * dropped by axq_chan_receiver_close() or by dropping the stream
 * axq_chan_receiver(). The send and receive futures borrow their caller's
 * handle, which must outlive them (a producer future holds a sender
 * reference and embeds a send future, and drops the one before the other).
 *
 * Closing:
 *
 * - When the last sender is gone, the receiver still gets what is
 *   buffered, then -EPIPE (the stream ends). A waiting receive is woken.
 * - When the receiver is gone, every waiting send is woken and fails with
 *   -EPIPE, as do later sends; values still buffered are discarded (a
 *   channel of pointers is drained with axq_chan_try_recv() first).
 *
 * Waiting: a send future that finds the channel full hooks its task on the
 * channel's send wait queue (struct axq_wq_waker) and tries again; each
 * receive wakes the queue. A receive future that finds it empty does the
 * same on the receive wait queue. Cancelling a waiting send or receive
 * (dropping the future) unhooks it: nothing was sent or taken by it.
 *
 * Ordering: values from one sender arrive in the order it sent them (one
 * FIFO under one lock); values from different senders interleave.
 */

static void axq_chan_free(struct kref *ref)
{
	struct axq_chan *ch = container_of(ref, struct axq_chan, ref);

	kfifo_free(&ch->fifo);
	kfree(ch);
}

static const struct axq_stream_ops axq_chan_rx_ops;

/**
 * axq_chan_new() - create a bounded channel
 * @capacity: the most values buffered; at least 1
 * @gfp: allocation flags
 *
 * Context: process context with GFP_KERNEL, any context with GFP_ATOMIC.
 * Return: the channel with one sender reference and the receiver, or NULL
 * if @capacity is 0 or too large, or when out of memory.
 */
struct axq_chan *axq_chan_new(unsigned int capacity, gfp_t gfp)
{
	struct axq_chan *ch;

	if (!capacity || capacity > (1U << 30))
		return NULL;
	ch = kzalloc(sizeof(*ch), gfp);
	if (!ch)
		return NULL;
	/* A kfifo holds at least two elements; the bound is @cap anyway. */
	if (kfifo_alloc(&ch->fifo, max(capacity, 2U), gfp)) {
		kfree(ch);
		return NULL;
	}
	spin_lock_init(&ch->lock);
	ch->cap = capacity;
	ch->nr_senders = 1;
	init_waitqueue_head(&ch->send_wq);
	init_waitqueue_head(&ch->recv_wq);
	ch->rx.ops = &axq_chan_rx_ops;
	axq_wq_waker_init(&ch->rx_w);
	kref_init(&ch->ref);
	kref_get(&ch->ref);	/* the receiver's */
	return ch;
}
EXPORT_SYMBOL_GPL(axq_chan_new);

/**
 * axq_chan_sender_get() - make another sender
 * @ch: the channel, through a handle the caller holds
 *
 * Context: any context.
 */
void axq_chan_sender_get(struct axq_chan *ch)
{
	unsigned long flags;

	kref_get(&ch->ref);
	spin_lock_irqsave(&ch->lock, flags);
	WARN_ON_ONCE(!ch->nr_senders);
	ch->nr_senders++;
	spin_unlock_irqrestore(&ch->lock, flags);
}
EXPORT_SYMBOL_GPL(axq_chan_sender_get);

/**
 * axq_chan_sender_put() - drop a sender
 * @ch: the channel
 *
 * When this was the last sender the receiver sees the end once it has
 * taken what is buffered; a waiting receive is woken.
 *
 * Context: any context.
 */
void axq_chan_sender_put(struct axq_chan *ch)
{
	unsigned long flags;
	bool last;

	spin_lock_irqsave(&ch->lock, flags);
	last = !--ch->nr_senders;
	spin_unlock_irqrestore(&ch->lock, flags);
	if (last)
		wake_up_all(&ch->recv_wq);
	kref_put(&ch->ref, axq_chan_free);
}
EXPORT_SYMBOL_GPL(axq_chan_sender_put);

/**
 * axq_chan_try_send() - send a value if there is room, without waiting
 * @ch: the channel, through a sender reference
 * @value: the value
 *
 * Context: any context.
 * Return: 0 when buffered, -EAGAIN when full, -EPIPE when the receiver is
 * gone.
 */
int axq_chan_try_send(struct axq_chan *ch, long value)
{
	unsigned long flags;
	unsigned int len;
	int ret = 0;

	spin_lock_irqsave(&ch->lock, flags);
	len = kfifo_len(&ch->fifo);
	if (ch->rx_closed) {
		ret = -EPIPE;
	} else if (len >= ch->cap) {
		ret = -EAGAIN;
	} else {
		kfifo_put(&ch->fifo, value);
		ch->peak = max(ch->peak, len + 1);
	}
	spin_unlock_irqrestore(&ch->lock, flags);
	if (!ret)
		wake_up(&ch->recv_wq);
	return ret;
}
EXPORT_SYMBOL_GPL(axq_chan_try_send);

/**
 * axq_chan_try_recv() - take the oldest value, without waiting
 * @ch: the channel, through the receiver
 * @value: where the value goes
 *
 * Context: any context.
 * Return: 0 with *@value set, -EAGAIN when empty, -EPIPE when empty and
 * every sender gone (the end), or when the receiver was closed.
 */
int axq_chan_try_recv(struct axq_chan *ch, long *value)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&ch->lock, flags);
	if (ch->rx_closed)
		ret = -EPIPE;
	else if (!kfifo_get(&ch->fifo, value))
		ret = ch->nr_senders ? -EAGAIN : -EPIPE;
	spin_unlock_irqrestore(&ch->lock, flags);
	if (!ret)
		wake_up(&ch->send_wq);
	return ret;
}
EXPORT_SYMBOL_GPL(axq_chan_try_recv);

/**
 * axq_chan_len() - the number of values buffered now
 * @ch: the channel
 *
 * Context: any context.
 * Return: the number, at most the capacity.
 */
unsigned int axq_chan_len(struct axq_chan *ch)
{
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&ch->lock, flags);
	len = kfifo_len(&ch->fifo);
	spin_unlock_irqrestore(&ch->lock, flags);
	return len;
}
EXPORT_SYMBOL_GPL(axq_chan_len);

/**
 * axq_chan_receiver_close() - drop the receiver
 * @ch: the channel
 *
 * Waiting and later sends fail with -EPIPE; buffered values are discarded.
 * Same as dropping the stream axq_chan_receiver().
 *
 * Context: process context (it unhooks the receiver stream's waker).
 */
void axq_chan_receiver_close(struct axq_chan *ch)
{
	unsigned long flags;

	axq_wq_waker_disarm(&ch->rx_w);
	spin_lock_irqsave(&ch->lock, flags);
	ch->rx_closed = true;
	kfifo_reset(&ch->fifo);
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up_all(&ch->send_wq);
	wake_up_all(&ch->recv_wq);
	kref_put(&ch->ref, axq_chan_free);
}
EXPORT_SYMBOL_GPL(axq_chan_receiver_close);

static enum axq_next axq_chan_rx_next(struct axq_stream *s,
				      struct axq_context *cx, long *item)
{
	struct axq_chan *ch = container_of(s, struct axq_chan, rx);
	int ret = axq_chan_try_recv(ch, item);

	if (ret == -EAGAIN) {
		axq_wq_waker_arm(&ch->rx_w, &ch->recv_wq, cx);
		axq_wait_note(cx, AXQ_WAIT_CHAN, ch, 0);
		ret = axq_chan_try_recv(ch, item);
		if (ret == -EAGAIN)
			return AXQ_NEXT_PENDING;
	}
	axq_wq_waker_disarm(&ch->rx_w);
	return ret ? AXQ_NEXT_END : AXQ_NEXT_ITEM;
}

static void axq_chan_rx_drop(struct axq_stream *s)
{
	axq_chan_receiver_close(container_of(s, struct axq_chan, rx));
}

static const struct axq_stream_ops axq_chan_rx_ops = {
	.name		= "chan_receiver",
	.poll_next	= axq_chan_rx_next,
	.drop		= axq_chan_rx_drop,
};

/**
 * axq_chan_receiver() - the receiver as a stream
 * @ch: the channel
 *
 * The stream yields the values in order and ends when every sender is
 * gone and the buffer is empty. It is the receiver: dropping it closes
 * the receiver (axq_chan_receiver_close()). Use either the stream or
 * receive futures, not both at once.
 *
 * Context: any context.
 * Return: the stream, embedded in @ch.
 */
struct axq_stream *axq_chan_receiver(struct axq_chan *ch)
{
	return &ch->rx;
}
EXPORT_SYMBOL_GPL(axq_chan_receiver);

/**
 * axq_chan_send_init() - prepare a future that sends @value
 * @s: the send future's state
 * @ch: the channel, through a sender reference that outlives @s
 * @value: the value
 *
 * Context: any context.
 */
void axq_chan_send_init(struct axq_chan_send *s, struct axq_chan *ch,
			long value)
{
	s->ch = ch;
	s->value = value;
	axq_wq_waker_init(&s->w);
}
EXPORT_SYMBOL_GPL(axq_chan_send_init);

/**
 * axq_chan_send_poll() - poll a send future
 * @s: the send future's state
 * @cx: the poll context
 * @out: 0 once sent, or -EPIPE when the receiver is gone
 *
 * Context: inside a poll.
 * Return: AXQ_READY, or AXQ_PENDING while the channel is full (the task is
 * woken by the next receive or the receiver's close).
 */
enum axq_poll axq_chan_send_poll(struct axq_chan_send *s,
				 struct axq_context *cx, long *out)
{
	int ret = axq_chan_try_send(s->ch, s->value);

	if (ret == -EAGAIN) {
		axq_wq_waker_arm(&s->w, &s->ch->send_wq, cx);
		axq_wait_note(cx, AXQ_WAIT_CHAN, s->ch, 0);
		ret = axq_chan_try_send(s->ch, s->value);
		if (ret == -EAGAIN)
			return AXQ_PENDING;
	}
	axq_wq_waker_disarm(&s->w);
	*out = ret;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_chan_send_poll);

/**
 * axq_chan_send_drop() - release a send future (a cancel: nothing sent)
 * @s: the send future's state
 *
 * Context: process context.
 */
void axq_chan_send_drop(struct axq_chan_send *s)
{
	axq_wq_waker_disarm(&s->w);
}
EXPORT_SYMBOL_GPL(axq_chan_send_drop);

/**
 * axq_chan_recv_init() - prepare a future that receives a value
 * @r: the receive future's state
 * @ch: the channel, through the receiver, which outlives @r
 *
 * Context: any context.
 */
void axq_chan_recv_init(struct axq_chan_recv *r, struct axq_chan *ch)
{
	r->ch = ch;
	r->value = 0;
	axq_wq_waker_init(&r->w);
}
EXPORT_SYMBOL_GPL(axq_chan_recv_init);

/**
 * axq_chan_recv_poll() - poll a receive future
 * @r: the receive future's state
 * @cx: the poll context
 * @out: 0 with the value in @r->value, or -EPIPE at the end (every sender
 *	gone and nothing buffered)
 *
 * Context: inside a poll.
 * Return: AXQ_READY, or AXQ_PENDING while the channel is empty (the task
 * is woken by the next send or the last sender's put).
 */
enum axq_poll axq_chan_recv_poll(struct axq_chan_recv *r,
				 struct axq_context *cx, long *out)
{
	int ret = axq_chan_try_recv(r->ch, &r->value);

	if (ret == -EAGAIN) {
		axq_wq_waker_arm(&r->w, &r->ch->recv_wq, cx);
		axq_wait_note(cx, AXQ_WAIT_CHAN, r->ch, 0);
		ret = axq_chan_try_recv(r->ch, &r->value);
		if (ret == -EAGAIN)
			return AXQ_PENDING;
	}
	axq_wq_waker_disarm(&r->w);
	*out = ret;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_chan_recv_poll);

/**
 * axq_chan_recv_drop() - release a receive future (a cancel: nothing taken)
 * @r: the receive future's state
 *
 * Context: process context.
 */
void axq_chan_recv_drop(struct axq_chan_recv *r)
{
	axq_wq_waker_disarm(&r->w);
}
EXPORT_SYMBOL_GPL(axq_chan_recv_drop);

/* -------------------------------------------------------------- oneshot */

/**
 * DOC: oneshot
 *
 * A oneshot channel carries one value from one sender to one receiver.
 * axq_oneshot_new() returns both handles in one struct axq_oneshot; the
 * sender ends with axq_oneshot_send() or axq_oneshot_sender_close() (no
 * value: the receiver gets -EPIPE), the receiver with
 * axq_oneshot_receiver_close() (the send then fails with -EPIPE). The
 * receive future borrows the receiver. Sending never waits: it works in
 * any context, a timer callback or an interrupt handler included.
 */

static void axq_oneshot_free(struct kref *ref)
{
	kfree(container_of(ref, struct axq_oneshot, ref));
}

/**
 * axq_oneshot_new() - create a oneshot channel
 * @gfp: allocation flags
 *
 * Context: process context with GFP_KERNEL, any context with GFP_ATOMIC.
 * Return: the channel, holding the sender and the receiver, or NULL.
 */
struct axq_oneshot *axq_oneshot_new(gfp_t gfp)
{
	struct axq_oneshot *o = kzalloc(sizeof(*o), gfp);

	if (!o)
		return NULL;
	spin_lock_init(&o->lock);
	init_waitqueue_head(&o->wq);
	kref_init(&o->ref);
	kref_get(&o->ref);	/* the receiver's; the sender has the first */
	return o;
}
EXPORT_SYMBOL_GPL(axq_oneshot_new);

/* End the sender's side, with a value or without; the sender is gone. */
static int axq_oneshot_finish(struct axq_oneshot *o, bool send, long value)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&o->lock, flags);
	if (WARN_ON_ONCE(o->tx_closed)) {
		spin_unlock_irqrestore(&o->lock, flags);
		return -EALREADY;
	}
	o->tx_closed = true;
	if (send && o->rx_closed) {
		ret = -EPIPE;
	} else if (send) {
		o->value = value;
		o->sent = true;
	}
	spin_unlock_irqrestore(&o->lock, flags);
	wake_up_all(&o->wq);
	kref_put(&o->ref, axq_oneshot_free);
	return ret;
}

/**
 * axq_oneshot_send() - send the value and drop the sender
 * @o: the oneshot, through its sender (consumed)
 * @value: the value
 *
 * Context: any context.
 * Return: 0, or -EPIPE when the receiver is gone (the value is not kept).
 */
int axq_oneshot_send(struct axq_oneshot *o, long value)
{
	return axq_oneshot_finish(o, true, value);
}
EXPORT_SYMBOL_GPL(axq_oneshot_send);

/**
 * axq_oneshot_sender_close() - drop the sender without sending
 * @o: the oneshot, through its sender (consumed)
 *
 * The receiver gets -EPIPE.
 *
 * Context: any context.
 */
void axq_oneshot_sender_close(struct axq_oneshot *o)
{
	axq_oneshot_finish(o, false, 0);
}
EXPORT_SYMBOL_GPL(axq_oneshot_sender_close);

/**
 * axq_oneshot_receiver_close() - drop the receiver
 * @o: the oneshot, through its receiver (consumed; no receive future of
 *	it may be left)
 *
 * Context: any context.
 */
void axq_oneshot_receiver_close(struct axq_oneshot *o)
{
	unsigned long flags;

	spin_lock_irqsave(&o->lock, flags);
	o->rx_closed = true;
	spin_unlock_irqrestore(&o->lock, flags);
	kref_put(&o->ref, axq_oneshot_free);
}
EXPORT_SYMBOL_GPL(axq_oneshot_receiver_close);

/* 0 with the value, -EPIPE if the sender left without one, else -EAGAIN. */
static int axq_oneshot_try_recv(struct axq_oneshot *o, long *value)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&o->lock, flags);
	if (o->sent) {
		*value = o->value;
		ret = 0;
	} else {
		ret = o->tx_closed ? -EPIPE : -EAGAIN;
	}
	spin_unlock_irqrestore(&o->lock, flags);
	return ret;
}

/**
 * axq_oneshot_recv_init() - prepare a future that receives the value
 * @r: the receive future's state
 * @o: the oneshot, through its receiver, which outlives @r
 *
 * Context: any context.
 */
void axq_oneshot_recv_init(struct axq_oneshot_recv *r, struct axq_oneshot *o)
{
	r->o = o;
	r->value = 0;
	axq_wq_waker_init(&r->w);
}
EXPORT_SYMBOL_GPL(axq_oneshot_recv_init);

/**
 * axq_oneshot_recv_poll() - poll a oneshot receive future
 * @r: the receive future's state
 * @cx: the poll context
 * @out: 0 with the value in @r->value, or -EPIPE when the sender closed
 *	without sending
 *
 * Context: inside a poll.
 * Return: AXQ_READY, or AXQ_PENDING until the sender sends or closes.
 */
enum axq_poll axq_oneshot_recv_poll(struct axq_oneshot_recv *r,
				    struct axq_context *cx, long *out)
{
	int ret = axq_oneshot_try_recv(r->o, &r->value);

	if (ret == -EAGAIN) {
		axq_wq_waker_arm(&r->w, &r->o->wq, cx);
		ret = axq_oneshot_try_recv(r->o, &r->value);
		if (ret == -EAGAIN)
			return AXQ_PENDING;
	}
	axq_wq_waker_disarm(&r->w);
	*out = ret;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_oneshot_recv_poll);

/**
 * axq_oneshot_recv_drop() - release a oneshot receive future
 * @r: the receive future's state
 *
 * Context: process context.
 */
void axq_oneshot_recv_drop(struct axq_oneshot_recv *r)
{
	axq_wq_waker_disarm(&r->w);
}
EXPORT_SYMBOL_GPL(axq_oneshot_recv_drop);
