// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_channel: the bounded MPSC channel (futures, try
 * operations and the receiver stream), the oneshot channel and the
 * semaphore (channel.h).
 *
 * Futures under test run in tasks of their own, wrapped in a counting
 * future (struct top), so that each case checks drop ran exactly once;
 * waiting futures are cancelled at their await point and the wait queues
 * and the semaphore's waiters must then be empty, with no value or permit
 * lost.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include <asyncx/channel.h>
#include <asyncx/sem.h>
#include <asyncx/runtime.h>
#include <asyncx/stream.h>
#include "kunit_util.h"

#define JOIN_TIMEOUT	(30 * HZ)
#define WAIT_MS		10000

/* Entries on a wait queue now. */
static unsigned int wq_len(struct wait_queue_head *wq)
{
	struct wait_queue_entry *e;
	unsigned int n = 0;

	spin_lock_irq(&wq->lock);
	list_for_each_entry(e, &wq->head, entry)
		n++;
	spin_unlock_irq(&wq->lock);
	return n;
}

/* Queued acquire futures of a semaphore now. */
static unsigned int sem_waiters(struct axq_sem *sem)
{
	struct axq_sem_acquire *a;
	unsigned int n = 0;

	spin_lock_irq(&sem->lock);
	list_for_each_entry(a, &sem->waiters, node)
		n++;
	spin_unlock_irq(&sem->lock);
	return n;
}

/* ------------------------------------------------------ one-op futures */

enum top_kind { T_SEND, T_RECV, T_ACQUIRE, T_ONESHOT };

/**
 * struct top - a future running one channel future, counted
 * @base: the future
 * @c: its counts
 * @kind: which future it runs
 * @send: T_SEND's
 * @recv: T_RECV's
 * @acq: T_ACQUIRE's
 * @os: T_ONESHOT's
 * @value: the value received, once ready with 0
 */
struct top {
	struct axq_future		base;
	struct tcount			c;
	enum top_kind			kind;
	union {
		struct axq_chan_send	send;
		struct axq_chan_recv	recv;
		struct axq_sem_acquire	acq;
		struct axq_oneshot_recv	os;
	};
	long				value;
};

static enum axq_poll top_poll(struct axq_future *fut, struct axq_context *cx,
			      long *out)
{
	struct top *t = container_of(fut, struct top, base);
	enum axq_poll r = AXQ_READY;

	tc_enter(&t->c);
	switch (t->kind) {
	case T_SEND:
		r = axq_chan_send_poll(&t->send, cx, out);
		break;
	case T_RECV:
		r = axq_chan_recv_poll(&t->recv, cx, out);
		t->value = t->recv.value;
		break;
	case T_ACQUIRE:
		r = axq_sem_acquire_poll(&t->acq, cx, out);
		break;
	case T_ONESHOT:
		r = axq_oneshot_recv_poll(&t->os, cx, out);
		t->value = t->os.value;
		break;
	}
	return tc_leave(&t->c, r);
}

static void top_drop(struct axq_future *fut)
{
	struct top *t = container_of(fut, struct top, base);

	switch (t->kind) {
	case T_SEND:
		axq_chan_send_drop(&t->send);
		break;
	case T_RECV:
		axq_chan_recv_drop(&t->recv);
		break;
	case T_ACQUIRE:
		axq_sem_acquire_drop(&t->acq);
		break;
	case T_ONESHOT:
		axq_oneshot_recv_drop(&t->os);
		break;
	}
	tc_drop(&t->c);
}

static const struct axq_future_ops top_ops = {
	.name	= "kunit_chan_op",
	.poll	= top_poll,
	.drop	= top_drop,
};

static struct top *top_new(struct kunit *test, enum top_kind kind)
{
	struct top *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->base.ops = &top_ops;
	t->kind = kind;
	return t;
}

static struct top *send_new(struct kunit *test, struct axq_chan *ch, long v)
{
	struct top *t = top_new(test, T_SEND);

	axq_chan_send_init(&t->send, ch, v);
	return t;
}

static struct top *recv_new(struct kunit *test, struct axq_chan *ch)
{
	struct top *t = top_new(test, T_RECV);

	axq_chan_recv_init(&t->recv, ch);
	return t;
}

static struct top *acquire_new(struct kunit *test, struct axq_sem *sem,
			       unsigned long n)
{
	struct top *t = top_new(test, T_ACQUIRE);

	axq_sem_acquire_init(&t->acq, sem, n);
	return t;
}

/* Join @t within the case's timeout; its result, LONG_MIN if it failed. */
static long top_join(struct kunit *test, struct axq_task *t, struct top *f,
		     int polls)
{
	long res = LONG_MIN;

	if (!t)
		return res;
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		if (polls)
			tc_expect(test, &f->c, polls, "channel op");
		else
			KUNIT_EXPECT_EQ(test, atomic_read(&f->c.drops), 1);
	}
	axq_task_put(t);
	return res;
}

/*
 * @f's task was polled and is not in a poll now: it sleeps, hooked. A
 * waiter is on the wait queue before its poll returns (the poll tests its
 * condition once more after hooking), so its queue's length alone does not
 * say that the poll is over: a wake in between would end it in that poll.
 */
static bool parked(struct top *f)
{
	return atomic_read(&f->c.polls) && !atomic_read(&f->c.in_poll);
}

/* ------------------------------------------------ producers, consumer */

#define NR_PROD		4
#define NR_MSG		1000
#define SEQ_BITS	20

/* Sends (id << SEQ_BITS | seq) for seq = 0 .. NR_MSG - 1, then ends. */
struct producer {
	struct axq_future	base;
	struct tcount		c;
	struct axq_chan		*ch;	/* a sender reference, put in drop */
	long			id;
	long			seq;
	bool			sending;
	struct axq_chan_send	send;
};

static enum axq_poll producer_poll(struct axq_future *fut,
				   struct axq_context *cx, long *out)
{
	struct producer *p = container_of(fut, struct producer, base);
	long res;

	tc_enter(&p->c);
	for (;;) {
		if (!p->sending) {
			if (p->seq == NR_MSG) {
				*out = 0;
				return tc_leave(&p->c, AXQ_READY);
			}
			axq_chan_send_init(&p->send, p->ch,
					   p->id << SEQ_BITS | p->seq);
			p->sending = true;
		}
		if (axq_chan_send_poll(&p->send, cx, &res) == AXQ_PENDING)
			return tc_leave(&p->c, AXQ_PENDING);
		axq_chan_send_drop(&p->send);
		p->sending = false;
		if (res) {
			*out = res;
			return tc_leave(&p->c, AXQ_READY);
		}
		p->seq++;
	}
}

static void producer_drop(struct axq_future *fut)
{
	struct producer *p = container_of(fut, struct producer, base);

	if (p->sending)
		axq_chan_send_drop(&p->send);
	axq_chan_sender_put(p->ch);
	tc_drop(&p->c);
}

static const struct axq_future_ops producer_ops = {
	.name	= "kunit_producer",
	.poll	= producer_poll,
	.drop	= producer_drop,
};

/**
 * struct consumer - receives to the end, checking per-producer order; owns
 * the receiver and closes it in drop
 * @base: the future
 * @c: its counts
 * @ch: the channel
 * @stream: receive through the receiver stream, not receive futures
 * @receiving: @recv is live
 * @recv: the receive future
 * @count: values received from each producer
 * @bad: values out of order or from nowhere, or a length over capacity
 * @n: values received
 * @peak: the channel's peak, read in drop (the channel goes with it)
 */
struct consumer {
	struct axq_future	base;
	struct tcount		c;
	struct axq_chan		*ch;
	bool			stream;
	bool			receiving;
	struct axq_chan_recv	recv;
	long			count[NR_PROD];
	long			bad;
	long			n;
	unsigned int		peak;
};

static void consumer_take(struct consumer *k, long v)
{
	long id = v >> SEQ_BITS, seq = v & ((1L << SEQ_BITS) - 1);

	if (id < 0 || id >= NR_PROD || seq != k->count[id])
		k->bad++;
	else
		k->count[id]++;
	if (axq_chan_len(k->ch) > k->ch->cap)
		k->bad++;
	k->n++;
}

static enum axq_poll consumer_poll(struct axq_future *fut,
				   struct axq_context *cx, long *out)
{
	struct consumer *k = container_of(fut, struct consumer, base);
	enum axq_next r;
	long res, v;

	tc_enter(&k->c);
	while (k->stream) {
		r = axq_stream_poll_next(axq_chan_receiver(k->ch), cx, &v);
		if (r == AXQ_NEXT_PENDING)
			return tc_leave(&k->c, AXQ_PENDING);
		if (r == AXQ_NEXT_END) {
			*out = k->n;
			return tc_leave(&k->c, AXQ_READY);
		}
		consumer_take(k, v);
	}
	for (;;) {
		if (!k->receiving) {
			axq_chan_recv_init(&k->recv, k->ch);
			k->receiving = true;
		}
		if (axq_chan_recv_poll(&k->recv, cx, &res) == AXQ_PENDING)
			return tc_leave(&k->c, AXQ_PENDING);
		axq_chan_recv_drop(&k->recv);
		k->receiving = false;
		if (res) {
			*out = res == -EPIPE ? k->n : res;
			return tc_leave(&k->c, AXQ_READY);
		}
		consumer_take(k, k->recv.value);
	}
}

static void consumer_drop(struct axq_future *fut)
{
	struct consumer *k = container_of(fut, struct consumer, base);

	if (k->receiving)
		axq_chan_recv_drop(&k->recv);
	k->peak = k->ch->peak;
	if (k->stream)
		axq_stream_drop(axq_chan_receiver(k->ch));
	else
		axq_chan_receiver_close(k->ch);
	tc_drop(&k->c);
}

static const struct axq_future_ops consumer_ops = {
	.name	= "kunit_consumer",
	.poll	= consumer_poll,
	.drop	= consumer_drop,
};

/*
 * NR_PROD producers x NR_MSG values through a channel of 8: each value
 * arrives exactly once, in its producer's order, never more than 8
 * buffered; the end comes when the last producer is gone.
 */
static void mpsc_order(struct kunit *test)
{
	int mode;

	for (mode = 0; mode < 2; mode++) {
		struct axq_task *pt[NR_PROD], *kt;
		struct producer *p;
		struct consumer *k;
		struct axq_chan *ch;
		long res;
		int i;

		ch = axq_chan_new(8, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ch);
		p = kunit_kcalloc(test, NR_PROD, sizeof(*p), GFP_KERNEL);
		k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_ASSERT_NOT_NULL(test, k);

		k->base.ops = &consumer_ops;
		k->ch = ch;
		k->stream = mode;
		kt = tspawn(test, &k->base, AXQ_PRIO_NORMAL);
		for (i = 0; i < NR_PROD; i++) {
			p[i].base.ops = &producer_ops;
			p[i].ch = ch;
			p[i].id = i;
			axq_chan_sender_get(ch);
			pt[i] = tspawn(test, &p[i].base, AXQ_PRIO_NORMAL);
		}
		/* Our own sender: the end comes with the producers' puts. */
		axq_chan_sender_put(ch);

		for (i = 0; i < NR_PROD; i++) {
			if (!pt[i])
				continue;
			if (!tjoin(test, pt[i], &res, JOIN_TIMEOUT)) {
				KUNIT_EXPECT_EQ(test, res, 0L);
				tc_expect(test, &p[i].c,
					  atomic_read(&p[i].c.polls), "producer");
			}
			axq_task_put(pt[i]);
		}
		if (kt && !tjoin(test, kt, &res, JOIN_TIMEOUT)) {
			KUNIT_EXPECT_EQ(test, res, (long)NR_PROD * NR_MSG);
			KUNIT_EXPECT_EQ(test, k->bad, 0L);
			for (i = 0; i < NR_PROD; i++)
				KUNIT_EXPECT_EQ(test, k->count[i], (long)NR_MSG);
			KUNIT_EXPECT_EQ(test, atomic_read(&k->c.drops), 1);
		}
		if (kt)
			axq_task_put(kt);
		kunit_info(test, "%s: at most %u of 8 buffered, consumer polled %d times",
			   mode ? "stream" : "recv futures", k->peak,
			   atomic_read(&k->c.polls));
		KUNIT_EXPECT_LE(test, k->peak, 8U);
		KUNIT_EXPECT_GE(test, k->peak, 1U);
	}
}

/* A full channel refuses try_send; a send waits until a receive. */
static void backpressure(struct kunit *test)
{
	struct axq_chan *ch = axq_chan_new(4, GFP_KERNEL);
	struct axq_task *t;
	struct top *s;
	long v;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ch);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, i), 0);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 4), -EAGAIN);
	KUNIT_EXPECT_EQ(test, axq_chan_len(ch), 4U);

	s = send_new(test, ch, 4);
	t = tspawn(test, &s->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&ch->send_wq) == 1 &&
					   parked(s), WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_chan_len(ch), 4U);
	KUNIT_EXPECT_FALSE(test, t && axq_task_is_complete(t));

	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0L);
	KUNIT_EXPECT_EQ(test, top_join(test, t, s, 2), 0L);
	KUNIT_EXPECT_EQ(test, wq_len(&ch->send_wq), 0U);
	for (i = 1; i <= 4; i++) {
		KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), 0);
		KUNIT_EXPECT_EQ(test, v, (long)i);
	}
	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ch->peak, 4U);

	/* A capacity that is not a power of two is still the bound. */
	axq_chan_sender_put(ch);
	axq_chan_receiver_close(ch);
	ch = axq_chan_new(3, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, i), 0);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 3), -EAGAIN);
	axq_chan_sender_put(ch);
	axq_chan_receiver_close(ch);

	KUNIT_EXPECT_NULL(test, axq_chan_new(0, GFP_KERNEL));
}

/* Closing either side wakes every waiter of the other. */
static void close_wakes_all(struct kunit *test)
{
	struct axq_task *t[3];
	struct axq_chan *ch;
	struct top *f[3];
	long v;
	int i;

	/* Receiver closed: three waiting sends fail with -EPIPE. */
	ch = axq_chan_new(1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 0), 0);
	for (i = 0; i < 3; i++) {
		f[i] = send_new(test, ch, i + 1);
		t[i] = tspawn(test, &f[i]->base, AXQ_PRIO_NORMAL);
	}
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&ch->send_wq) == 3 &&
					   parked(f[0]) && parked(f[1]) &&
					   parked(f[2]), WAIT_MS));
	axq_chan_sender_get(ch);	/* keep @ch until the end of the case */
	axq_chan_receiver_close(ch);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, top_join(test, t[i], f[i], 2),
				(long)-EPIPE);
	KUNIT_EXPECT_EQ(test, wq_len(&ch->send_wq), 0U);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 9), -EPIPE);
	axq_chan_sender_put(ch);
	axq_chan_sender_put(ch);

	/* Last sender gone: the receiver drains, then a waiting recv ends. */
	ch = axq_chan_new(4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 7), 0);
	axq_chan_sender_get(ch);
	axq_chan_sender_put(ch);
	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 7L);
	f[0] = recv_new(test, ch);
	t[0] = tspawn(test, &f[0]->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&ch->recv_wq) == 1 &&
					   parked(f[0]), WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 8), 0);
	KUNIT_EXPECT_EQ(test, top_join(test, t[0], f[0], 2), 0L);
	KUNIT_EXPECT_EQ(test, f[0]->value, 8L);

	f[1] = recv_new(test, ch);
	t[1] = tspawn(test, &f[1]->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&ch->recv_wq) == 1 &&
					   parked(f[1]), WAIT_MS));
	axq_chan_sender_put(ch);
	KUNIT_EXPECT_EQ(test, top_join(test, t[1], f[1], 2), (long)-EPIPE);
	KUNIT_EXPECT_EQ(test, wq_len(&ch->recv_wq), 0U);
	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), -EPIPE);
	axq_chan_receiver_close(ch);
}

/* Cancel a waiting send and a waiting receive: unhooked, nothing lost. */
static void cancel_waiting(struct kunit *test)
{
	struct axq_chan *ch = axq_chan_new(2, GFP_KERNEL);
	struct axq_task *t;
	struct top *f;
	long v;

	KUNIT_ASSERT_NOT_NULL(test, ch);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 1), 0);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 2), 0);
	f = send_new(test, ch, 3);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&ch->send_wq) == 1 &&
					   parked(f), WAIT_MS));
	KUNIT_EXPECT_EQ(test, t ? axq_task_cancel(t) : -1, 0);
	KUNIT_EXPECT_EQ(test, top_join(test, t, f, 1), (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, wq_len(&ch->send_wq), 0U);
	/* The buffered values are intact and in order; 3 was not sent. */
	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 1L);
	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 2L);
	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), -EAGAIN);

	f = recv_new(test, ch);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&ch->recv_wq) == 1 &&
					   parked(f), WAIT_MS));
	KUNIT_EXPECT_EQ(test, t ? axq_task_cancel(t) : -1, 0);
	KUNIT_EXPECT_EQ(test, top_join(test, t, f, 1), (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, wq_len(&ch->recv_wq), 0U);
	/* The cancelled receive took nothing: the next value is there. */
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 4), 0);
	KUNIT_EXPECT_EQ(test, axq_chan_try_recv(ch, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 4L);

	axq_chan_sender_put(ch);
	axq_chan_receiver_close(ch);
}

/* The receiver stream, cancelled while waiting, closes the receiver. */
static void stream_cancel(struct kunit *test)
{
	struct axq_chan *ch = axq_chan_new(2, GFP_KERNEL);
	struct consumer *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct axq_task *t;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, ch);
	KUNIT_ASSERT_NOT_NULL(test, k);
	k->base.ops = &consumer_ops;
	k->ch = ch;
	k->stream = true;
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 0), 0);
	t = tspawn(test, &k->base, AXQ_PRIO_NORMAL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&ch->recv_wq) == 1, WAIT_MS));
	KUNIT_EXPECT_EQ(test, k->n, 1L);
	KUNIT_EXPECT_EQ(test, axq_task_cancel(t), 0);
	if (!tjoin(test, t, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)-ECANCELED);
		KUNIT_EXPECT_EQ(test, atomic_read(&k->c.drops), 1);
	}
	axq_task_put(t);
	KUNIT_EXPECT_EQ(test, wq_len(&ch->recv_wq), 0U);
	KUNIT_EXPECT_TRUE(test, ch->rx_closed);
	KUNIT_EXPECT_EQ(test, axq_chan_try_send(ch, 1), -EPIPE);
	axq_chan_sender_put(ch);
}

/*
 * try_send, the last sender's put and a oneshot's send from an hrtimer
 * callback (hard interrupt context): the consumer gets every value, in
 * order, then the end.
 */
struct irq_sender {
	struct hrtimer		timer;
	struct axq_chan		*ch;	/* a sender reference, put at the end */
	struct axq_oneshot	*o;	/* the sender of it */
	long			seq;
	int			full;
};

#define IRQ_MSG		50

static enum hrtimer_restart irq_send(struct hrtimer *timer)
{
	struct irq_sender *is = container_of(timer, struct irq_sender, timer);

	if (axq_chan_try_send(is->ch, is->seq))
		is->full++;	/* full: the same value at the next tick */
	else
		is->seq++;
	if (is->seq < IRQ_MSG) {
		hrtimer_forward_now(timer, ns_to_ktime(100 * NSEC_PER_USEC));
		return HRTIMER_RESTART;
	}
	axq_chan_sender_put(is->ch);
	axq_oneshot_send(is->o, IRQ_MSG);
	return HRTIMER_NORESTART;
}

static void send_from_irq(struct kunit *test)
{
	struct consumer *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct irq_sender *is = kunit_kzalloc(test, sizeof(*is), GFP_KERNEL);
	struct axq_task *kt, *ot;
	struct top *f;
	long res;

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, is);
	is->ch = axq_chan_new(4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, is->ch);
	is->o = axq_oneshot_new(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, is->o);

	k->base.ops = &consumer_ops;
	k->ch = is->ch;
	kt = tspawn(test, &k->base, AXQ_PRIO_NORMAL);
	f = top_new(test, T_ONESHOT);
	axq_oneshot_recv_init(&f->os, is->o);
	ot = tspawn(test, &f->base, AXQ_PRIO_NORMAL);

	hrtimer_init(&is->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	is->timer.function = irq_send;
	hrtimer_start(&is->timer, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);

	KUNIT_EXPECT_EQ(test, top_join(test, ot, f, 0), 0L);
	KUNIT_EXPECT_EQ(test, f->value, (long)IRQ_MSG);
	if (kt && !tjoin(test, kt, &res, JOIN_TIMEOUT)) {
		KUNIT_EXPECT_EQ(test, res, (long)IRQ_MSG);
		KUNIT_EXPECT_EQ(test, k->count[0], (long)IRQ_MSG);
		KUNIT_EXPECT_EQ(test, k->bad, 0L);
		KUNIT_EXPECT_EQ(test, atomic_read(&k->c.drops), 1);
	}
	if (kt)
		axq_task_put(kt);
	hrtimer_cancel(&is->timer);
	axq_oneshot_receiver_close(is->o);
	kunit_info(test, "%d sends from the timer found the channel full",
		   is->full);
}

/* --------------------------------------------------------------- oneshot */

static void oneshot(struct kunit *test)
{
	struct axq_oneshot *o;
	struct axq_task *t;
	struct top *f;

	/* Sent before the receive. */
	o = axq_oneshot_new(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_EXPECT_EQ(test, axq_oneshot_send(o, 42), 0);
	f = top_new(test, T_ONESHOT);
	axq_oneshot_recv_init(&f->os, o);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_EQ(test, top_join(test, t, f, 1), 0L);
	KUNIT_EXPECT_EQ(test, f->value, 42L);
	axq_oneshot_receiver_close(o);

	/* The receive waits; the send wakes it. */
	o = axq_oneshot_new(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	f = top_new(test, T_ONESHOT);
	axq_oneshot_recv_init(&f->os, o);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&o->wq) == 1 &&
					   parked(f), WAIT_MS));
	KUNIT_EXPECT_EQ(test, axq_oneshot_send(o, -5), 0);
	KUNIT_EXPECT_EQ(test, top_join(test, t, f, 2), 0L);
	KUNIT_EXPECT_EQ(test, f->value, -5L);
	KUNIT_EXPECT_EQ(test, wq_len(&o->wq), 0U);
	axq_oneshot_receiver_close(o);

	/* The sender closes without a value: -EPIPE. */
	o = axq_oneshot_new(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	f = top_new(test, T_ONESHOT);
	axq_oneshot_recv_init(&f->os, o);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&o->wq) == 1 &&
					   parked(f), WAIT_MS));
	axq_oneshot_sender_close(o);
	KUNIT_EXPECT_EQ(test, top_join(test, t, f, 2), (long)-EPIPE);
	axq_oneshot_receiver_close(o);

	/* A waiting receive cancelled, then the receiver closed: send fails. */
	o = axq_oneshot_new(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	f = top_new(test, T_ONESHOT);
	axq_oneshot_recv_init(&f->os, o);
	t = tspawn(test, &f->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(wq_len(&o->wq) == 1 &&
					   parked(f), WAIT_MS));
	KUNIT_EXPECT_EQ(test, t ? axq_task_cancel(t) : -1, 0);
	KUNIT_EXPECT_EQ(test, top_join(test, t, f, 1), (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, wq_len(&o->wq), 0U);
	axq_oneshot_receiver_close(o);
	KUNIT_EXPECT_EQ(test, axq_oneshot_send(o, 1), -EPIPE);
}

/* ------------------------------------------------------------ semaphore */

static bool blockers_start(struct kunit *test, struct blockers *set)
{
	unsigned int i, nr = num_online_cpus();

	memset(set, 0, sizeof(*set));
	set->deadline = jiffies + BLOCK_MAX;
	set->b = kcalloc(nr, sizeof(*set->b), GFP_KERNEL);
	set->t = kcalloc(nr, sizeof(*set->t), GFP_KERNEL);
	if (!set->b || !set->t) {
		KUNIT_FAIL(test, "out of memory");
		return false;
	}
	set->nr = nr;
	for (i = 0; i < nr; i++) {
		set->b[i].base.ops = &blocker_ops;
		set->b[i].set = set;
		set->t[i] = tspawn(test, &set->b[i].base, AXQ_PRIO_NORMAL);
	}
	if (!poll_until(atomic_read(&set->spinning) == nr, WAIT_MS)) {
		KUNIT_FAIL(test, "only %d of %u workers run a spinning task",
			   atomic_read(&set->spinning), nr);
		return false;
	}
	return true;
}

/* Waiters are served in the order they queued, one per permit released. */
static void sem_fifo(struct kunit *test)
{
	struct axq_task *t[5];
	struct top *f[5];
	struct axq_sem sem;
	int i, j;

	axq_sem_init(&sem, 1);
	KUNIT_EXPECT_TRUE(test, axq_sem_try_acquire(&sem, 1));
	KUNIT_EXPECT_FALSE(test, axq_sem_try_acquire(&sem, 1));
	for (i = 0; i < 5; i++) {
		f[i] = acquire_new(test, &sem, 1);
		t[i] = tspawn(test, &f[i]->base, AXQ_PRIO_NORMAL);
		KUNIT_EXPECT_TRUE(test, poll_until(sem_waiters(&sem) == i + 1,
						   WAIT_MS));
	}
	for (i = 0; i < 5; i++) {
		axq_sem_release(&sem, 1);
		KUNIT_EXPECT_TRUE(test, poll_until(t[i] &&
						   axq_task_is_complete(t[i]),
						   WAIT_MS));
		/* Only the oldest waiter got the permit. */
		for (j = i + 1; j < 5; j++)
			KUNIT_EXPECT_FALSE_MSG(test, t[j] &&
					       axq_task_is_complete(t[j]),
					       "waiter %d served before %d", j, i);
		KUNIT_EXPECT_EQ(test, sem_waiters(&sem), 4U - i);
	}
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, top_join(test, t[i], f[i], 2), 0L);
	KUNIT_EXPECT_EQ(test, axq_sem_available(&sem), 0UL);
	axq_sem_release(&sem, 1);
	KUNIT_EXPECT_EQ(test, axq_sem_available(&sem), 1UL);

	/* Ready at once when permits are free; n permits at a time. */
	axq_sem_init(&sem, 3);
	f[0] = acquire_new(test, &sem, 2);
	t[0] = tspawn(test, &f[0]->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_EQ(test, top_join(test, t[0], f[0], 1), 0L);
	KUNIT_EXPECT_EQ(test, axq_sem_available(&sem), 1UL);
	KUNIT_EXPECT_FALSE(test, axq_sem_try_acquire(&sem, 2));
}

/*
 * Cancel waiting acquires: a queued one is unqueued and the waiter it held
 * back is served; one granted before its poll ran gives the permit back.
 */
static void sem_cancel(struct kunit *test)
{
	struct blockers set;
	struct axq_task *t[2];
	struct top *f[2];
	struct axq_sem sem;
	bool ok;

	/* A wants 2, B behind it wants 1; 1 is free. Cancel A: B is served. */
	axq_sem_init(&sem, 1);
	f[0] = acquire_new(test, &sem, 2);
	t[0] = tspawn(test, &f[0]->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(sem_waiters(&sem) == 1, WAIT_MS));
	f[1] = acquire_new(test, &sem, 1);
	t[1] = tspawn(test, &f[1]->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(sem_waiters(&sem) == 2, WAIT_MS));
	KUNIT_EXPECT_EQ(test, t[0] ? axq_task_cancel(t[0]) : -1, 0);
	KUNIT_EXPECT_EQ(test, top_join(test, t[0], f[0], 1), (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, top_join(test, t[1], f[1], 2), 0L);
	KUNIT_EXPECT_EQ(test, sem_waiters(&sem), 0U);
	KUNIT_EXPECT_EQ(test, axq_sem_available(&sem), 0UL);

	/*
	 * Granted, then cancelled before its poll could run (every worker
	 * busy): the drop gives the permit back.
	 */
	f[0] = acquire_new(test, &sem, 1);
	t[0] = tspawn(test, &f[0]->base, AXQ_PRIO_NORMAL);
	KUNIT_EXPECT_TRUE(test, poll_until(sem_waiters(&sem) == 1, WAIT_MS));
	ok = blockers_start(test, &set);
	if (ok) {
		axq_sem_release(&sem, 1);
		KUNIT_EXPECT_EQ(test, f[0]->acq.state, AXQ_SEM_GRANTED);
		KUNIT_EXPECT_EQ(test, axq_sem_available(&sem), 0UL);
		KUNIT_EXPECT_EQ(test, t[0] ? axq_task_cancel(t[0]) : -1, 0);
	}
	blockers_stop(test, &set);
	if (!ok) {
		axq_sem_release(&sem, 1);
		axq_task_cancel(t[0]);
	}
	/* Cancelled before a second poll: one poll, then the drop. */
	KUNIT_EXPECT_EQ(test, top_join(test, t[0], f[0], 1), (long)-ECANCELED);
	KUNIT_EXPECT_EQ(test, axq_sem_available(&sem), 1UL);
	KUNIT_EXPECT_EQ(test, sem_waiters(&sem), 0U);
}

static struct kunit_case asyncx_channel_cases[] = {
	KUNIT_CASE(mpsc_order),
	KUNIT_CASE(backpressure),
	KUNIT_CASE(close_wakes_all),
	KUNIT_CASE(cancel_waiting),
	KUNIT_CASE(stream_cancel),
	KUNIT_CASE(send_from_irq),
	KUNIT_CASE(oneshot),
	KUNIT_CASE(sem_fifo),
	KUNIT_CASE(sem_cancel),
	{}
};

static struct kunit_suite asyncx_channel_suite = {
	.name = "asyncx_channel",
	.test_cases = asyncx_channel_cases,
};

kunit_test_suites(&asyncx_channel_suite);
