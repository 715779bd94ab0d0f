/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx runtime: waiting — futures that wait for a condition on any wait
 * queue (rt/wait.c) and for a file's readiness, on the poller
 * (rt/poller.c).
 */
#ifndef _ASYNCX_WAIT_H
#define _ASYNCX_WAIT_H

#include <linux/poll.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "runtime.h"

struct file;

/**
 * define AXQ_POLL_MAX_QUEUES - wait queues one poller can be hooked on
 */
#define AXQ_POLL_MAX_QUEUES	2

struct axq_poller;

/**
 * struct axq_poll_entry - a poller's hook on one wait queue of a file
 * @wqe: the entry on the queue; its wake function only wakes the task
 * @head: the queue, or NULL once the queue went away (POLLFREE): set by
 *	the owner before the entry is added; cleared by the wake function
 *	under the queue's lock with a release store, read by the owner with
 *	an acquire load under rcu_read_lock()
 * @poller: the poller this entry belongs to (I: set when hooked)
 */
struct axq_poll_entry {
	struct wait_queue_entry	wqe;
	struct wait_queue_head	*head;
	struct axq_poller	*poller;
};

/**
 * struct axq_poller - waits for readiness of a file without a thread, on
 * the file's own wait queues (rt/poller.c); owned by one request, whose polls
 * never run concurrently: fields are the owner's unless said otherwise
 * @pt: the poll table handed to vfs_poll(); hooks entries on the first call
 * @file: the file (a reference owned by the request)
 * @waker: the task the wake functions wake (a waker reference, from the
 *	first poll until disarmed; read by the wake functions under the
 *	queues' locks)
 * @events: the events waited for, with EPOLLERR and EPOLLHUP (I: set at
 *	init; read by the wake functions)
 * @nr: entries hooked in @entries
 * @armed: the first vfs_poll() has been done
 * @overflow: the file has more wait queues than @entries
 * @pollfree: a queue went away; written by a wake function before it
 *	wakes the task (the wake orders it before the next poll)
 * @entries: the hooks, one per wait queue of the file
 */
struct axq_poller {
	poll_table		pt;
	struct file		*file;
	struct axq_task		*waker;
	__poll_t		events;
	u8			nr;
	bool			armed;
	bool			overflow;
	bool			pollfree;
	struct axq_poll_entry	entries[AXQ_POLL_MAX_QUEUES];
};

void axq_poller_init(struct axq_poller *p, struct file *file,
		     __poll_t events);
int axq_poller_poll(struct axq_poller *p, struct axq_context *cx,
		    __poll_t *mask);
void axq_poller_disarm(struct axq_poller *p);

/**
 * axq_wait_cond() - poll a condition on a wait queue, without losing a wake
 * @w: a struct axq_wq_waker of the future (axq_wq_waker_init() done)
 * @head: the wait queue whose wake_up() follows every change of @cond
 * @cx: the poll context
 * @cond: an expression, evaluated up to twice; true when ready
 *
 * Tests @cond; if false, hooks the polled task on @head and tests it
 * again (the waker sets the condition, then calls wake_up(): either it
 * finds the entry or the second test sees the condition). Unhooks the task
 * once @cond is true. The expression form of struct axq_wait_event, for
 * AXQ_AWAIT()::
 *
 *	AXQ_AWAIT(f->state, axq_wait_cond(&f->w, &f->wq, cx,
 *					  READ_ONCE(f->count) > 0));
 *
 * Context: inside a poll.
 * Return: AXQ_READY when @cond is true, else AXQ_PENDING.
 */
#define axq_wait_cond(w, head, cx, cond)				\
({									\
	struct axq_wq_waker *__w = (w);					\
	enum axq_poll __ret = AXQ_PENDING;				\
	bool __armed = false;						\
									\
	for (;;) {							\
		if (cond) {						\
			__ret = AXQ_READY;				\
			axq_wq_waker_disarm(__w);			\
			break;						\
		}							\
		if (__armed)						\
			break;						\
		axq_wq_waker_arm(__w, (head), (cx));			\
		__armed = true;						\
	}								\
	__ret;								\
})

/**
 * struct axq_wait_event - a future that waits until a condition holds; the
 * condition's writers wake a wait queue after each change
 * @base: the future (ops set by axq_wait_event_init())
 * @head: the wait queue (I: set at init; must outlive the future)
 * @cond: the condition; called from the polls, must not sleep (I)
 * @arg: @cond's argument (I)
 * @w: hooks the task on @head while the condition is false
 *
 * Ready with 0. Its drop (axq_wait_event_drop()) is idempotent.
 */
struct axq_wait_event {
	struct axq_future	base;
	struct wait_queue_head	*head;
	bool			(*cond)(void *arg);
	void			*arg;
	struct axq_wq_waker	w;
};

void axq_wait_event_init(struct axq_wait_event *we,
			 struct wait_queue_head *head, bool (*cond)(void *arg),
			 void *arg);
enum axq_poll axq_wait_event_poll(struct axq_wait_event *we,
				  struct axq_context *cx, long *out);
void axq_wait_event_drop(struct axq_wait_event *we);

/**
 * struct axq_fd_ready - a future that waits until a file is ready for some
 * events (vfs_poll() on the file's own wait queues, through a poller)
 * @base: the future (ops set by the init functions)
 * @poller: the poller (its file is @file)
 * @file: the file: a reference of the future's own, put by the drop
 *
 * Ready with the ready events (EPOLL* bits, among those asked for plus
 * EPOLLERR and EPOLLHUP) or a negative errno: -EINVAL for a file with more
 * than AXQ_POLL_MAX_QUEUES wait queues, -ECANCELED when a wait queue went
 * away (POLLFREE). Its drop (axq_fd_ready_drop()) is idempotent.
 */
struct axq_fd_ready {
	struct axq_future	base;
	struct axq_poller	poller;
	struct file		*file;
};

int axq_fd_ready_init(struct axq_fd_ready *fr, struct file *file,
		      __poll_t events);
int axq_fd_ready_init_fd(struct axq_fd_ready *fr, int fd, __poll_t events);
enum axq_poll axq_fd_ready_poll(struct axq_fd_ready *fr,
				struct axq_context *cx, long *out);
void axq_fd_ready_drop(struct axq_fd_ready *fr);

#endif /* _ASYNCX_WAIT_H */
