// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: ASYNCX_OP_POLL — completes when a file is ready for some events,
 * once or (multishot) once per readiness — and the poller under it, which
 * READ and WRITE use too.
 */

/**
 * DOC: poller
 *
 * The poller (struct axq_poller) hooks an entry on each wait queue the
 * file's ->poll() names (a custom poll_table, as epoll and io_uring do) on
 * the first poll, at most AXQ_POLL_MAX_QUEUES of them (a file with more
 * fails the op with -EINVAL); the entries stay hooked until the request is
 * dropped. Their wake function only wakes the request's task, and only
 * for a wake whose key has a waited-for event (or no key); the task then
 * calls ->poll() again, without hooking anything, to read the mask.
 *
 * A wait queue may go away while hooked (POLLFREE, e.g. signalfd's when
 * its sighand is freed). Its owner wakes it with POLLFREE under the
 * queue's lock and frees it only after an RCU grace period
 * (wake_up_pollfree()). The wake function then marks the poller, wakes
 * the task, unhooks the entry itself and, as its very last access to the
 * entry, clears entry->head with a release store; the owner reads head
 * with an acquire load under rcu_read_lock() and unhooks only what is
 * still hooked. The op then completes with -ECANCELED.
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/wait.h>

#include "asyncx.h"
#include "event.h"
#include "opdef.h"
#include "rsrc.h"

/* The events an ASYNCX_OP_POLL may ask for. */
#define AXQ_POLL_EVENTS	(EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLERR | \
			 EPOLLHUP | EPOLLRDHUP)

/* Called under the queue's lock, in any context. */
static int axq_poll_wake(struct wait_queue_entry *wqe, unsigned int mode,
			 int sync, void *key)
{
	struct axq_poll_entry *e = container_of(wqe, struct axq_poll_entry,
						wqe);
	struct axq_poller *p = e->poller;
	__poll_t mask = key_to_poll(key);

	if (mask && !(mask & (p->events | POLLFREE)))
		return 0;
	if (unlikely(mask & POLLFREE)) {
		/* Ordered before the next poll by the wake below. */
		WRITE_ONCE(p->pollfree, true);
		axq_wake_by_ref(p->waker);
		list_del_init(&wqe->entry);
		/*
		 * Release: our uses of the entry and of p->waker are done
		 * before head reads NULL; pairs with smp_load_acquire() in
		 * axq_poller_disarm(), after which the owner may free both.
		 * This is our last access to *e.
		 */
		smp_store_release(&e->head, NULL);
		return 1;
	}
	axq_wake_by_ref(p->waker);
	return 1;
}

/* The poll_table's _qproc: hook an entry on @head. */
static void axq_poll_queue_proc(struct file *file,
				struct wait_queue_head *head, poll_table *pt)
{
	struct axq_poller *p = container_of(pt, struct axq_poller, pt);
	struct axq_poll_entry *e;

	if (p->nr >= AXQ_POLL_MAX_QUEUES) {
		p->overflow = true;
		return;
	}
	e = &p->entries[p->nr++];
	init_waitqueue_func_entry(&e->wqe, axq_poll_wake);
	e->poller = p;
	/* Before the entry is on the queue: the queue's lock publishes it. */
	e->head = head;
	add_wait_queue(head, &e->wqe);
}

/**
 * axq_poller_init() - prepare a poller (nothing hooked yet)
 * @p: the poller, in its final place (the entries point back to it)
 * @file: the file to poll; the caller keeps its reference
 * @events: the events to wait for; EPOLLERR and EPOLLHUP are added
 *
 * Context: any context.
 */
void axq_poller_init(struct axq_poller *p, struct file *file,
		     __poll_t events)
{
	p->file = file;
	p->waker = NULL;
	p->events = events | EPOLLERR | EPOLLHUP;
	p->nr = 0;
	p->armed = false;
	p->overflow = false;
	p->pollfree = false;
}
EXPORT_SYMBOL_GPL(axq_poller_init);

/**
 * axq_poller_poll() - read a file's readiness, hooking the task first
 * @p: the poller
 * @cx: the poll context
 * @mask: out: the ready events among those waited for (0: not ready)
 *
 * The first call hooks the polled task on the file's wait queues; from
 * then on any wake of those queues with a waited-for event (or without
 * a key) wakes the task, so a caller that gets 0 may return AXQ_PENDING.
 *
 * Context: inside a poll.
 * Return: 0, -EINVAL when the file has more wait queues than a poller can
 * hook, or -ECANCELED when one of them went away (POLLFREE).
 */
int axq_poller_poll(struct axq_poller *p, struct axq_context *cx,
		    __poll_t *mask)
{
	__poll_t m;

	if (!p->armed) {
		p->armed = true;
		/* Before any entry is hooked: the wake functions use it. */
		p->waker = axq_waker_get(cx);
		init_poll_funcptr(&p->pt, axq_poll_queue_proc);
		p->pt._key = p->events;
		/* Hooks first, then tests: ->poll()'s own ordering. */
		m = vfs_poll(p->file, &p->pt);
		/* Later calls only read the mask. */
		p->pt._qproc = NULL;
	} else {
		m = vfs_poll(p->file, &p->pt);
	}
	if (p->overflow)
		return -EINVAL;
	if (READ_ONCE(p->pollfree))
		return -ECANCELED;
	*mask = m & p->events;
	return 0;
}
EXPORT_SYMBOL_GPL(axq_poller_poll);

/**
 * axq_poller_disarm() - unhook a poller from every wait queue
 * @p: the poller (one never polled is fine)
 *
 * Once this returns no wake function of @p runs, and the poller may be
 * freed or initialised again.
 *
 * Context: process context; takes the queues' locks.
 */
void axq_poller_disarm(struct axq_poller *p)
{
	struct wait_queue_head *head;
	unsigned int i;

	for (i = 0; i < p->nr; i++) {
		struct axq_poll_entry *e = &p->entries[i];

		/*
		 * A queue that went away is freed only after a grace period
		 * that follows its POLLFREE wake; seen non-NULL under the RCU
		 * read lock, it is still there.
		 */
		rcu_read_lock();
		/* Acquire: pairs with smp_store_release() in axq_poll_wake(). */
		head = smp_load_acquire(&e->head);
		if (head)
			remove_wait_queue(head, &e->wqe);
		rcu_read_unlock();
	}
	p->nr = 0;
	p->armed = false;
	if (p->waker)
		axq_waker_put(p->waker);
	p->waker = NULL;
}
EXPORT_SYMBOL_GPL(axq_poller_disarm);

/**
 * axq_poll_prep() - validate a POLL and take its file
 * @req: the request
 * @sqe: the SQE (a private copy)
 *
 * Context: submission.
 * Return: 0, -EINVAL for bad fields, unknown events or flags, or a file
 * that cannot be polled, -EBADF for a bad fd.
 */
int axq_poll_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_poll_cmd *pc = &req->poll;
	struct file *file;
	__poll_t events;

	if (sqe->op_flags & ~ASYNCX_POLL_MULTISHOT)
		return -EINVAL;
	if (sqe->off || sqe->addr || sqe->len > U16_MAX)
		return -EINVAL;
	/* A multishot POLL's CQEs are posted as they come: no attempts. */
	if (sqe->op_flags & ASYNCX_POLL_MULTISHOT &&
	    sqe->flags & ASYNCX_SQE_RETRY)
		return -EINVAL;
	events = demangle_poll((u16)sqe->len);
	if (events & ~AXQ_POLL_EVENTS)
		return -EINVAL;
	file = axq_rsrc_fget(req->ctx, sqe);
	if (IS_ERR(file))
		return PTR_ERR(file);
	/*
	 * Not an asyncx context: the request's file reference would keep
	 * that context open, and a context waiting on itself (or two on each
	 * other) would never be released — its requests are cancelled only
	 * when its file is.
	 */
	if (axq_is_ctx_file(file)) {
		fput(file);
		return -EBADF;
	}
	if (!file_can_poll(file)) {
		fput(file);
		return -EINVAL;
	}
	/* The entries are hooked by the first poll, once @req is in place. */
	axq_poller_init(&pc->poller, file, events);
	pc->multishot = sqe->op_flags & ASYNCX_POLL_MULTISHOT;
	return 0;
}

/**
 * axq_poll_poll() - the POLL future
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready: the ready events (POLL* bits) or a
 *	negative errno
 *
 * A multishot POLL posts a CQE with ASYNCX_CQE_F_MORE each time it finds
 * the file ready and stays pending; it ends only by cancellation or error.
 *
 * Context: an executor worker.
 * Return: AXQ_READY when the CQE is due, else AXQ_PENDING.
 */
enum axq_poll axq_poll_poll(struct axq_req *req, struct axq_context *cx,
			    int *res)
{
	struct axq_poll_cmd *pc = &req->poll;
	__poll_t mask = 0;
	int ret;

	ret = axq_poller_poll(&pc->poller, cx, &mask);
	if (ret) {
		*res = ret;
		return AXQ_READY;
	}
	if (!mask)
		return AXQ_PENDING;
	if (pc->multishot) {
		axq_post_cqe(req->ctx, req->user_data, mangle_poll(mask),
			     ASYNCX_CQE_F_MORE);
		return AXQ_PENDING;
	}
	*res = mangle_poll(mask);
	return AXQ_READY;
}

/**
 * axq_poll_try_inline() - complete a one-shot POLL of a file already ready
 * @req: the request
 * @res: the ready events when it is
 *
 * One look with vfs_poll(), hooking nothing; multishot polls always arm.
 *
 * Context: submission.
 * Return: true if the file is ready for some of the events.
 */
bool axq_poll_try_inline(struct axq_req *req, int *res)
{
	struct axq_poll_cmd *pc = &req->poll;
	__poll_t mask;

	if (pc->multishot)
		return false;
	mask = vfs_poll(pc->poller.file, NULL) & pc->poller.events;
	if (!mask)
		return false;
	*res = mangle_poll(mask);
	return true;
}

/**
 * axq_poll_reset() - make a one-shot POLL look again, for another attempt
 * @req: the request, between polls
 *
 * Context: executor worker.
 */
void axq_poll_reset(struct axq_req *req)
{
	struct axq_poll_cmd *pc = &req->poll;

	axq_poller_disarm(&pc->poller);
	axq_poller_init(&pc->poller, pc->poller.file, pc->poller.events);
}

/**
 * axq_poll_cleanup() - unhook a POLL and drop its file
 * @req: the request
 *
 * Context: process context (the request's drop).
 */
void axq_poll_cleanup(struct axq_req *req)
{
	struct axq_poll_cmd *pc = &req->poll;

	axq_poller_disarm(&pc->poller);
	fput(pc->poller.file);
}
