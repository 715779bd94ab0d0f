/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx channels: the bounded multi-producer single-consumer channel, the
 * oneshot channel (channel.c).
 *
 * Documentation/channels.rst explains them.
 */
#ifndef _ASYNCX_CHANNEL_H
#define _ASYNCX_CHANNEL_H

#include <linux/kfifo.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "runtime.h"
#include "stream.h"

/**
 * struct axq_chan - a bounded multi-producer single-consumer channel of
 * ``long`` values
 * @lock: protects @fifo, @nr_senders, @rx_closed and @peak; taken with
 *	interrupts disabled (try_send and try_recv work in any context)
 * @fifo: the buffered values (L: @lock); its size is @cap rounded up to a
 *	power of two, the bound is @cap
 * @cap: the capacity (I: set at creation)
 * @nr_senders: sender references (L: @lock); 0: the send side is closed
 * @rx_closed: the receiver is gone (L: @lock)
 * @peak: the most values ever buffered at once (L: @lock)
 * @send_wq: send futures waiting for room or for the receiver to go
 * @recv_wq: the receive future or stream waiting for a value or the end
 * @rx: the receiver as a stream (axq_chan_receiver())
 * @rx_w: the receiver stream's hook on @recv_wq (its poll_next's own)
 * @ref: memory: one per sender reference, one for the receiver
 */
struct axq_chan {
	spinlock_t		lock;	/* protects the fields tagged L */
	DECLARE_KFIFO_PTR(fifo, long);
	unsigned int		cap;
	unsigned int		nr_senders;
	bool			rx_closed;
	unsigned int		peak;
	struct wait_queue_head	send_wq;
	struct wait_queue_head	recv_wq;
	struct axq_stream	rx;
	struct axq_wq_waker	rx_w;
	struct kref		ref;
};

struct axq_chan *axq_chan_new(unsigned int capacity, gfp_t gfp);
void axq_chan_sender_get(struct axq_chan *ch);
void axq_chan_sender_put(struct axq_chan *ch);
struct axq_stream *axq_chan_receiver(struct axq_chan *ch);
void axq_chan_receiver_close(struct axq_chan *ch);
int axq_chan_try_send(struct axq_chan *ch, long value);
int axq_chan_try_recv(struct axq_chan *ch, long *value);
unsigned int axq_chan_len(struct axq_chan *ch);

/**
 * struct axq_chan_send - a future that sends one value, waiting for room
 * @ch: the channel; the caller's sender reference, borrowed: it must
 *	outlive the future
 * @value: the value
 * @w: hooks the task on the channel's send wait queue while full
 */
struct axq_chan_send {
	struct axq_chan		*ch;
	long			value;
	struct axq_wq_waker	w;
};

void axq_chan_send_init(struct axq_chan_send *s, struct axq_chan *ch,
			long value);
enum axq_poll axq_chan_send_poll(struct axq_chan_send *s,
				 struct axq_context *cx, long *out);
void axq_chan_send_drop(struct axq_chan_send *s);

/**
 * struct axq_chan_recv - a future that receives one value, waiting for one
 * @ch: the channel; the caller's receiver, borrowed: it must outlive the
 *	future
 * @value: the value received, once the future is ready with 0
 * @w: hooks the task on the channel's receive wait queue while empty
 */
struct axq_chan_recv {
	struct axq_chan		*ch;
	long			value;
	struct axq_wq_waker	w;
};

void axq_chan_recv_init(struct axq_chan_recv *r, struct axq_chan *ch);
enum axq_poll axq_chan_recv_poll(struct axq_chan_recv *r,
				 struct axq_context *cx, long *out);
void axq_chan_recv_drop(struct axq_chan_recv *r);

/**
 * struct axq_oneshot - a channel for one value
 * @lock: protects @value, @sent, @tx_closed and @rx_closed; taken with
 *	interrupts disabled (send works in any context)
 * @value: the value, once @sent (L: @lock)
 * @sent: the sender sent (L: @lock)
 * @tx_closed: the sender is gone, sent or not (L: @lock)
 * @rx_closed: the receiver is gone (L: @lock)
 * @wq: the receive future waiting for the value or the sender's end
 * @ref: memory: one for the sender, one for the receiver
 */
struct axq_oneshot {
	spinlock_t		lock;	/* protects the fields tagged L */
	long			value;
	bool			sent;
	bool			tx_closed;
	bool			rx_closed;
	struct wait_queue_head	wq;
	struct kref		ref;
};

struct axq_oneshot *axq_oneshot_new(gfp_t gfp);
int axq_oneshot_send(struct axq_oneshot *o, long value);
void axq_oneshot_sender_close(struct axq_oneshot *o);
void axq_oneshot_receiver_close(struct axq_oneshot *o);

/**
 * struct axq_oneshot_recv - a future that receives the oneshot's value
 * @o: the oneshot; the caller's receiver, borrowed: it must outlive the
 *	future
 * @value: the value, once the future is ready with 0
 * @w: hooks the task on the oneshot's wait queue
 */
struct axq_oneshot_recv {
	struct axq_oneshot	*o;
	long			value;
	struct axq_wq_waker	w;
};

void axq_oneshot_recv_init(struct axq_oneshot_recv *r, struct axq_oneshot *o);
enum axq_poll axq_oneshot_recv_poll(struct axq_oneshot_recv *r,
				    struct axq_context *cx, long *out);
void axq_oneshot_recv_drop(struct axq_oneshot_recv *r);

#endif /* _ASYNCX_CHANNEL_H */
