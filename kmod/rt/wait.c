// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: events — a future that waits for a condition on any wait queue,
 * and one that waits for a file's readiness on the poller of poller.c.
 * Documentation/events.rst has the overview.
 */

/**
 * DOC: events
 *
 * Wait for a condition (struct axq_wait_event, or axq_wait_cond() inside
 * an async body): the poll tests the condition, hooks the task on the
 * wait queue with a struct axq_wq_waker, and tests again. The waker side
 * changes the condition and then calls wake_up() on the queue; the full
 * barrier after the hook (axq_wq_waker_arm()) against the one in the
 * waker's wake_up() (or wq_has_sleeper()) means that either the wake finds
 * the entry or the second test sees the new condition: no lost wakeup.
 * The entry stays hooked while the condition is false (later polls find it
 * hooked and do not hook it again) and is removed when the future is ready
 * or dropped.
 *
 * Wait for a file (struct axq_fd_ready): the poller (see the poller's DOC
 * in poller.c) hooks one entry on each wait queue the file's ->poll() names,
 * several per file, and handles POLLFREE as epoll and io_uring do. The
 * future holds its own reference to the file, so the caller may close its
 * fd while it waits.
 */
#include <linux/export.h>
#include <linux/file.h>
#include <linux/fs.h>

#include <asyncx/wait.h>

static enum axq_poll axq_wait_event_fut_poll(struct axq_future *fut,
					     struct axq_context *cx, long *out)
{
	return axq_wait_event_poll(container_of(fut, struct axq_wait_event,
						base), cx, out);
}

static void axq_wait_event_fut_drop(struct axq_future *fut)
{
	axq_wait_event_drop(container_of(fut, struct axq_wait_event, base));
}

static const struct axq_future_ops axq_wait_event_ops = {
	.name	= "wait_event",
	.poll	= axq_wait_event_fut_poll,
	.drop	= axq_wait_event_fut_drop,
};

/**
 * axq_wait_event_init() - prepare a future that waits for a condition
 * @we: the future's state; &we->base is the future
 * @head: the wait queue woken after each change of the condition
 * @cond: the condition (must not sleep; called with @arg)
 * @arg: @cond's argument
 *
 * Context: any context.
 */
void axq_wait_event_init(struct axq_wait_event *we,
			 struct wait_queue_head *head, bool (*cond)(void *arg),
			 void *arg)
{
	we->base.ops = &axq_wait_event_ops;
	we->head = head;
	we->cond = cond;
	we->arg = arg;
	axq_wq_waker_init(&we->w);
}
EXPORT_SYMBOL_GPL(axq_wait_event_init);

/**
 * axq_wait_event_poll() - poll a wait-for-condition future
 * @we: the future's state
 * @cx: the poll context
 * @out: 0 when ready
 *
 * Context: inside a poll; takes the wait queue's lock.
 * Return: AXQ_READY once the condition holds, else AXQ_PENDING (the
 * polled task is hooked on the wait queue).
 */
enum axq_poll axq_wait_event_poll(struct axq_wait_event *we,
				  struct axq_context *cx, long *out)
{
	enum axq_poll ret;

	ret = axq_wait_cond(&we->w, we->head, cx, we->cond(we->arg));
	if (ret == AXQ_READY)
		*out = 0;
	return ret;
}
EXPORT_SYMBOL_GPL(axq_wait_event_poll);

/**
 * axq_wait_event_drop() - release a wait-for-condition future
 * @we: the future's state (in any state; dropping twice is fine)
 *
 * Once this returns the task is off the wait queue.
 *
 * Context: process context; takes the wait queue's lock.
 */
void axq_wait_event_drop(struct axq_wait_event *we)
{
	axq_wq_waker_disarm(&we->w);
}
EXPORT_SYMBOL_GPL(axq_wait_event_drop);

static enum axq_poll axq_fd_ready_fut_poll(struct axq_future *fut,
					   struct axq_context *cx, long *out)
{
	return axq_fd_ready_poll(container_of(fut, struct axq_fd_ready, base),
				 cx, out);
}

static void axq_fd_ready_fut_drop(struct axq_future *fut)
{
	axq_fd_ready_drop(container_of(fut, struct axq_fd_ready, base));
}

static const struct axq_future_ops axq_fd_ready_ops = {
	.name	= "fd_ready",
	.poll	= axq_fd_ready_fut_poll,
	.drop	= axq_fd_ready_fut_drop,
};

/**
 * axq_fd_ready_init() - prepare a future that waits for a file's readiness
 * @fr: the future's state, in its final place; &fr->base is the future
 * @file: the file; the future takes a reference of its own
 * @events: the EPOLL* events to wait for (EPOLLERR and EPOLLHUP always)
 *
 * Nothing is hooked before the first poll. On error @fr holds nothing and
 * needs no drop (a drop is harmless).
 *
 * Context: any context.
 * Return: 0, or -EINVAL for a file that cannot be polled.
 */
int axq_fd_ready_init(struct axq_fd_ready *fr, struct file *file,
		      __poll_t events)
{
	fr->base.ops = &axq_fd_ready_ops;
	fr->file = NULL;
	axq_poller_init(&fr->poller, file, events);
	if (!file_can_poll(file))
		return -EINVAL;
	fr->file = get_file(file);
	return 0;
}
EXPORT_SYMBOL_GPL(axq_fd_ready_init);

/**
 * axq_fd_ready_init_fd() - axq_fd_ready_init() on a file descriptor
 * @fr: the future's state, in its final place
 * @fd: a file descriptor of the current process
 * @events: the EPOLL* events to wait for
 *
 * Context: process context of the fd's owner.
 * Return: 0, -EBADF for a bad @fd, or -EINVAL for a file that cannot be
 * polled.
 */
int axq_fd_ready_init_fd(struct axq_fd_ready *fr, int fd, __poll_t events)
{
	struct file *file = fget(fd);
	int ret;

	if (!file) {
		fr->base.ops = &axq_fd_ready_ops;
		fr->file = NULL;
		axq_poller_init(&fr->poller, NULL, events);
		return -EBADF;
	}
	ret = axq_fd_ready_init(fr, file, events);
	fput(file);
	return ret;
}
EXPORT_SYMBOL_GPL(axq_fd_ready_init_fd);

/**
 * axq_fd_ready_poll() - poll a file-readiness future
 * @fr: the future's state
 * @cx: the poll context
 * @out: when ready, the ready events (a __poll_t, EPOLL* bits) or a
 *	negative errno: -EINVAL (too many wait queues), -ECANCELED (a wait
 *	queue went away, POLLFREE), -EBADF (no file: its init failed)
 *
 * Context: inside a poll; calls the file's ->poll().
 * Return: AXQ_READY when the file is ready or on error (the task is then
 * off the file's wait queues), else AXQ_PENDING (the polled task is
 * hooked on them).
 */
enum axq_poll axq_fd_ready_poll(struct axq_fd_ready *fr,
				struct axq_context *cx, long *out)
{
	__poll_t mask = 0;
	int ret;

	if (!fr->file) {
		*out = -EBADF;
		return AXQ_READY;
	}
	ret = axq_poller_poll(&fr->poller, cx, &mask);
	if (!ret && !mask)
		return AXQ_PENDING;
	/* Done with the wait queues; the file stays until the drop. */
	axq_poller_disarm(&fr->poller);
	*out = ret ? ret : (__force long)mask;
	return AXQ_READY;
}
EXPORT_SYMBOL_GPL(axq_fd_ready_poll);

/**
 * axq_fd_ready_drop() - release a file-readiness future
 * @fr: the future's state (in any state; dropping twice is fine)
 *
 * Unhooks the task from the file's wait queues and puts the file.
 *
 * Context: process context.
 */
void axq_fd_ready_drop(struct axq_fd_ready *fr)
{
	axq_poller_disarm(&fr->poller);
	if (fr->file)
		fput(fr->file);
	fr->file = NULL;
}
EXPORT_SYMBOL_GPL(axq_fd_ready_drop);
