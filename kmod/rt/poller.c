// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx runtime: the poller — waits for a file's readiness on the file's
 * own wait queues, without a thread. Under struct axq_fd_ready (wait.c) and
 * the ring's POLL, READ and WRITE.
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
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/wait.h>

#include <asyncx/wait.h>

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
		__axq_wait_note(cx, AXQ_WAIT_FD, p->file, 0, _RET_IP_);
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
