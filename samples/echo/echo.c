// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx_echo: a TCP echo server on 127.0.0.1, written as asyncx futures
 * with the async/await macros — a sample and a tutorial. The walk-through
 * is Documentation/echo.rst.
 *
 *	insmod asyncx_echo.ko [port=7777] [max_conns=1024]
 *
 * Two kinds of task, and no thread of our own:
 *
 * - the acceptor (one task) takes a permit of a semaphore (at most
 *   max_conns connections at once), accepts a connection without blocking
 *   and spawns a task for it. It keeps the join handles of the tasks it
 *   spawned (like a Tokio JoinSet) and collects the finished ones.
 * - a connection (one task per connection) receives into its buffer and
 *   sends it all back, until the peer closes or an error; its drop closes
 *   the socket and gives the permit back.
 *
 * Every wait is an await on a socket's wait queue (sk_sleep()): the socket
 * is tried with MSG_DONTWAIT or O_NONBLOCK, and on -EAGAIN the task hooks
 * itself on the queue, tests readiness again (so that no wakeup is lost)
 * and returns AXQ_PENDING. The network stack's wake_up() of that queue
 * wakes the task, and a worker polls it again.
 *
 * Unload: the exit cancels the acceptor and joins it, then cancels every
 * connection task and joins each of them (their drops close the sockets:
 * the peers see EOF or a reset), then releases the listener.
 *
 * /sys/kernel/debug/asyncx_echo/stats counts connections and bytes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include <asyncx/async.h>
#include <asyncx/channel.h>
#include <asyncx/runtime.h>
#include <asyncx/sem.h>
#include <asyncx/wait.h>

static ushort port = 7777;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "TCP port to listen on, on 127.0.0.1 (default 7777)");

static uint max_conns = 1024;
module_param(max_conns, uint, 0444);
MODULE_PARM_DESC(max_conns,
		 "connections served at once; more wait in the backlog (default 1024)");

#define ECHO_BUF_SIZE	(16 * 1024)	/* one connection's buffer */
#define ECHO_BACKLOG	128		/* connections queued before accept */

/* What debugfs shows. */
static struct {
	atomic64_t	accepted;	/* connections accepted since load */
	atomic_t	active;		/* connection tasks not yet dropped */
	atomic64_t	bytes;		/* bytes echoed since load */
} echo_counters;

/* One permit per connection being served: max_conns in all. */
static struct axq_sem echo_permits;

/*
 * Waiting on a socket
 * ===================
 *
 * A socket's own poll (sock->ops->poll(), tcp_poll() for TCP) with no poll
 * table only reports what is ready now: what epoll would see. TCP calls
 * wake_up() on sk_sleep(sk) after each change of it (data or a connection
 * arrived, room in the send buffer, the peer closed, an error).
 */
static __poll_t echo_ready(struct socket *sock, __poll_t events)
{
	return sock->ops->poll(sock->file, sock, NULL) &
	       (events | EPOLLERR | EPOLLHUP);
}

/*
 * The await expression: AXQ_READY once @sock has one of @events, else
 * AXQ_PENDING with the task hooked on the socket's wait queue through @w.
 * axq_wait_cond() tests, arms the waker, then tests again: a wake_up()
 * between the first test and the arm finds nothing on the queue, but the
 * second test sees what it announced. Once ready, @w is unhooked again.
 */
static enum axq_poll echo_wait(struct axq_wq_waker *w, struct socket *sock,
			       struct axq_context *cx, __poll_t events)
{
	return axq_wait_cond(w, sk_sleep(sock->sk), cx,
			     echo_ready(sock, events));
}

/*
 * A connection
 * ============
 *
 * The future's struct holds what the poll function keeps across its await
 * points: the async/await state word, the socket, the buffer and how far
 * the echo of it has got. A poll function's own locals do not survive an
 * await point.
 */
struct echo_conn {
	struct axq_future	base;
	unsigned int		state;	/* async.h's state word */
	struct socket		*sock;	/* owned: released by the drop */
	struct axq_wq_waker	w;	/* our hook on sk_sleep(sock->sk) */
	u8			*buf;	/* owned: freed by the drop */
	int			len;	/* bytes in buf, or recvmsg's error */
	int			off;	/* bytes of buf sent back so far */
	/* The acceptor's: the join handle and its place on its list. */
	struct axq_task		*task;
	struct list_head	node;
};

static int echo_recv(struct socket *sock, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	return kernel_recvmsg(sock, &msg, &vec, 1, len, MSG_DONTWAIT);
}

static int echo_send(struct socket *sock, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };

	return kernel_sendmsg(sock, &msg, &vec, 1, len);
}

/*
 * The connection's poll function, an "async fn": it reads top to bottom.
 * Each AXQ_AWAIT() returns AXQ_PENDING while the socket is not ready; the
 * next poll jumps straight back into the loop at that await. Ready with 0
 * when the peer closed its side, or with a negative errno.
 */
static enum axq_poll echo_conn_poll(struct axq_future *fut,
				    struct axq_context *cx, long *out)
{
	struct echo_conn *c = container_of(fut, struct echo_conn, base);
	int ret;

	AXQ_ASYNC_BEGIN(c->state);
	for (;;) {
		/* Take what has arrived, without blocking. */
		c->len = echo_recv(c->sock, c->buf, ECHO_BUF_SIZE);
		if (c->len == -EAGAIN) {
			/* Nothing yet: wait until the socket is readable. */
			AXQ_AWAIT(c->state, echo_wait(&c->w, c->sock, cx,
						      EPOLLIN | EPOLLRDHUP));
			continue;
		}
		if (c->len <= 0)
			break;	/* 0: the peer closed its side; < 0: error */

		/* Send all of it back, waiting for room when there is none. */
		for (c->off = 0; c->off < c->len;) {
			ret = echo_send(c->sock, c->buf + c->off,
					c->len - c->off);
			if (ret == -EAGAIN) {
				AXQ_AWAIT(c->state, echo_wait(&c->w, c->sock, cx,
							      EPOLLOUT));
				continue;
			}
			if (ret < 0)
				AXQ_ASYNC_RETURN(c->state, out, ret);
			c->off += ret;
			atomic64_add(ret, &echo_counters.bytes);
		}

		/*
		 * A peer that keeps sending would keep this poll looping:
		 * let the other tasks of this worker run between buffers.
		 */
		AXQ_YIELD(c->state);
	}
	AXQ_ASYNC_RETURN(c->state, out, c->len);
	AXQ_ASYNC_END(c->state, out);
}

/*
 * The drop runs exactly once, after the last poll: when the poll returned
 * AXQ_READY, or instead of the next poll when the task was cancelled at
 * any await point. It releases everything the connection owns, in an
 * order that holds at each of them: unhook from the wait queue before the
 * socket (and its queue) goes away. The struct itself stays until the
 * acceptor (or the module's exit) has seen the task complete.
 */
static void echo_conn_drop(struct axq_future *fut)
{
	struct echo_conn *c = container_of(fut, struct echo_conn, base);

	axq_wq_waker_disarm(&c->w);
	sock_release(c->sock);	/* FIN, or RST when data was left unread */
	c->sock = NULL;
	kfree(c->buf);
	c->buf = NULL;
	atomic_dec(&echo_counters.active);
	axq_sem_release(&echo_permits, 1);	/* the acceptor may go on */
}

static const struct axq_future_ops echo_conn_ops = {
	.name = "echo_conn",
	.poll = echo_conn_poll,
	.drop = echo_conn_drop,
};

/*
 * The acceptor
 * ============
 */
struct echo_acceptor {
	struct axq_future	base;
	unsigned int		state;	/* async.h's state word */
	struct socket		*listener;	/* the module's */
	struct axq_wq_waker	w;	/* our hook on sk_sleep(listener->sk) */
	struct axq_sem_acquire	permit;	/* the wait for a permit */
	bool			has_permit;	/* a permit not yet handed on */
	int			err;	/* accepting's result */
	struct list_head	conns;	/* the connections spawned */
};

static struct echo_acceptor echo_acceptor;
static struct axq_task *echo_acceptor_task;

/* A connection finished: forget it. */
static void echo_conn_free(struct echo_conn *c)
{
	list_del(&c->node);
	axq_task_put(c->task);
	kfree(c);
}

/*
 * Collect the connections whose tasks have completed (their drop has run),
 * as a JoinSet does. A handful of finished connections wait here until
 * the next accept: their sockets and buffers are gone already.
 */
static void echo_reap(struct echo_acceptor *a)
{
	struct echo_conn *c, *tmp;

	list_for_each_entry_safe(c, tmp, &a->conns, node)
		if (axq_task_is_complete(c->task))
			echo_conn_free(c);
}

/*
 * Start a task for @sock, handing it our permit. On failure the caller
 * still owns both.
 */
static int echo_conn_spawn(struct echo_acceptor *a, struct socket *sock)
{
	struct axq_task *task;
	struct echo_conn *c;

	/*
	 * A poll should not block, but kernel_accept() has just allocated
	 * with GFP_KERNEL too: a worker may spend a moment in reclaim.
	 */
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->buf = kmalloc(ECHO_BUF_SIZE, GFP_KERNEL);
	if (!c->buf) {
		kfree(c);
		return -ENOMEM;
	}
	c->base.ops = &echo_conn_ops;
	c->state = AXQ_ASYNC_INIT;
	c->sock = sock;
	axq_wq_waker_init(&c->w);

	atomic_inc(&echo_counters.active);
	task = axq_spawn(&c->base, AXQ_PRIO_NORMAL, GFP_KERNEL);
	if (IS_ERR(task)) {
		atomic_dec(&echo_counters.active);
		kfree(c->buf);
		kfree(c);
		return PTR_ERR(task);
	}
	/* From here on the task owns c, but for these two fields. */
	c->task = task;
	list_add_tail(&c->node, &a->conns);
	atomic64_inc(&echo_counters.accepted);
	return 0;
}

/*
 * Accept forever: a permit, then a connection, then a task for it. Ready
 * (the acceptor ends) only on an unexpected error of kernel_accept().
 */
static enum axq_poll echo_acceptor_poll(struct axq_future *fut,
					struct axq_context *cx, long *out)
{
	struct echo_acceptor *a = container_of(fut, struct echo_acceptor, base);
	struct socket *sock;
	long res;

	AXQ_ASYNC_BEGIN(a->state);
	for (;;) {
		/*
		 * At most max_conns connections at once: wait for a permit.
		 * The acquire future is made again for each wait (async.h:
		 * a sub-future awaited in a loop is dropped and initialised
		 * between the awaits; its drop is idempotent).
		 */
		axq_sem_acquire_drop(&a->permit);
		axq_sem_acquire_init(&a->permit, &echo_permits, 1);
		AXQ_AWAIT(a->state, axq_sem_acquire_poll(&a->permit, cx, &res));
		a->has_permit = true;

		/* Accept without blocking; if none is queued, wait for one. */
		for (;;) {
			a->err = kernel_accept(a->listener, &sock, O_NONBLOCK);
			if (a->err != -EAGAIN)
				break;
			AXQ_AWAIT(a->state, echo_wait(&a->w, a->listener, cx,
						      EPOLLIN));
		}
		if (!a->err) {
			echo_reap(a);
			a->err = echo_conn_spawn(a, sock);
			if (!a->err) {
				a->has_permit = false;	/* the connection's now */
				continue;
			}
			sock_release(sock);	/* the peer sees a reset */
		}

		/* No connection after all: give the permit back. */
		a->has_permit = false;
		axq_sem_release(&echo_permits, 1);
		if (a->err != -ENOMEM && a->err != -ECONNABORTED) {
			pr_err("accept failed (%d): no longer accepting\n",
			       a->err);
			AXQ_ASYNC_RETURN(a->state, out, a->err);
		}
		/* This connection is lost; the next one may do better. */
		AXQ_YIELD(a->state);
	}
	AXQ_ASYNC_END(a->state, out);
}

/*
 * The acceptor's drop: after its last poll, or when the exit cancels it
 * at an await point. The connections it spawned live on; the exit
 * cancels and joins them.
 */
static void echo_acceptor_drop(struct axq_future *fut)
{
	struct echo_acceptor *a = container_of(fut, struct echo_acceptor, base);

	axq_wq_waker_disarm(&a->w);
	axq_sem_acquire_drop(&a->permit);
	if (a->has_permit)
		axq_sem_release(&echo_permits, 1);
	a->has_permit = false;
}

static const struct axq_future_ops echo_acceptor_ops = {
	.name = "echo_acceptor",
	.poll = echo_acceptor_poll,
	.drop = echo_acceptor_drop,
};

/* Wait until @task has completed, however long: its drop runs our code. */
static void echo_join(struct axq_task *task)
{
	int err;

	for (;;) {
		err = axq_join_timeout(task, NULL, 10 * HZ);
		if (!err)
			return;
		if (err == -ETIMEDOUT)
			pr_warn("still waiting for a task to finish\n");
		else
			msleep(20);	/* killed: we must wait all the same */
	}
}

/* debugfs */
static struct dentry *echo_debugfs;

static int echo_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "accepted %lld\n",
		   atomic64_read(&echo_counters.accepted));
	seq_printf(m, "active %d\n", atomic_read(&echo_counters.active));
	seq_printf(m, "bytes %lld\n", atomic64_read(&echo_counters.bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(echo_stats);

static int __init echo_init(void)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct echo_acceptor *a = &echo_acceptor;
	struct socket *listener;
	int err;

	if (!max_conns)
		return -EINVAL;
	axq_sem_init(&echo_permits, max_conns);

	err = sock_create_kern(&init_net, PF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &listener);
	if (err)
		return err;
	sock_set_reuseaddr(listener->sk);
	err = kernel_bind(listener, (struct sockaddr *)&addr, sizeof(addr));
	if (err)
		goto err_release;
	err = kernel_listen(listener, ECHO_BACKLOG);
	if (err)
		goto err_release;

	/* Every sub-future the acceptor awaits is initialised before. */
	a->base.ops = &echo_acceptor_ops;
	a->state = AXQ_ASYNC_INIT;
	a->listener = listener;
	axq_wq_waker_init(&a->w);
	axq_sem_acquire_init(&a->permit, &echo_permits, 1);
	INIT_LIST_HEAD(&a->conns);
	echo_acceptor_task = axq_spawn(&a->base, AXQ_PRIO_NORMAL, GFP_KERNEL);
	if (IS_ERR(echo_acceptor_task)) {
		err = PTR_ERR(echo_acceptor_task);
		goto err_release;
	}

	echo_debugfs = debugfs_create_dir("asyncx_echo", NULL);
	debugfs_create_file("stats", 0444, echo_debugfs, NULL,
			    &echo_stats_fops);
	pr_info("listening on 127.0.0.1:%u\n", port);
	return 0;

err_release:
	sock_release(listener);
	return err;
}

static void __exit echo_exit(void)
{
	struct echo_conn *c, *tmp;

	debugfs_remove_recursive(echo_debugfs);

	/*
	 * Stop accepting. Once the acceptor has completed, its list of
	 * connections is ours: nothing else touches it.
	 */
	axq_task_cancel(echo_acceptor_task);
	echo_join(echo_acceptor_task);
	axq_task_put(echo_acceptor_task);

	/*
	 * Cancel every connection (a no-op for one that has finished), then
	 * wait for each drop: it closes the socket, and it is our code.
	 */
	list_for_each_entry(c, &echo_acceptor.conns, node)
		axq_task_cancel(c->task);
	list_for_each_entry_safe(c, tmp, &echo_acceptor.conns, node) {
		echo_join(c->task);
		echo_conn_free(c);
	}

	/* Connections still in the backlog are reset. */
	sock_release(echo_acceptor.listener);
	pr_info("stopped\n");
}

module_init(echo_init);
module_exit(echo_exit);

MODULE_DESCRIPTION("asyncx sample: a TCP echo server on loopback, one task per connection");
MODULE_LICENSE("GPL");
