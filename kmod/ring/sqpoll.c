// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx ring: SQ polling (ASYNCX_SETUP_SQPOLL).
 *
 * A kernel thread of the context consumes SQEs as the application publishes
 * them, so that an application that keeps it busy submits with no system
 * call at all. With nothing to consume it polls for sq_thread_idle ms, then
 * sets ASYNCX_SQ_NEED_WAKEUP in the SQ flags word and sleeps until an enter
 * with ASYNCX_ENTER_SQ_WAKEUP, or the context's end, wakes it.
 *
 * Whose thread it is (Documentation/security.rst):
 *
 * - It runs as the task that set the context up: under that task's
 *   credentials (override_creds() for the thread's life: every permission
 *   check and every credential an op takes at preparation is the owner's)
 *   and in the owner's address space (kthread_use_mm() from its first SQE
 *   after a sleep until its next sleep, taken only while the mm still has
 *   users: an owner that is gone gets nothing consumed).
 * - It cannot have the owner's file table or fs. So its SQEs name their
 *   files through the registered files (ASYNCX_SQE_FIXED_FILE; a plain fd
 *   is -EBADF, axq_rsrc_fget()), and the ops that work on the table or on
 *   paths (&axq_opdef.files: OPENAT, CLOSE, STATX, ACCEPT) are
 *   -EOPNOTSUPP, as io_uring's SQPOLL was before it had I/O threads. Tries
 *   that would run in the submitter's task work are left to the executor.
 * - It counts against the owner's user: max_user_sq_threads (limits.c)
 *   bounds the threads one user may keep, each polling at most
 *   sq_thread_idle ms (10 s at most) after its last SQE.
 * - It ends with its owner: when the owner's last descriptor goes
 *   (->flush: exit, exec, close) or the file is released, the thread is
 *   stopped before anything it uses is freed.
 *
 * The wake protocol: the thread sets NEED_WAKEUP, then a full barrier, then
 * looks at the SQ tail once more before it sleeps; the application stores
 * the tail, then a full barrier, then reads NEED_WAKEUP. One of the two
 * sees the other's store: no SQE is left with the thread asleep.
 */
#include <linux/cred.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "trace.h"
#include "ctx.h"
#include "limits.h"
#include "sqpoll.h"
#include "submit.h"

/* The longest poll before sleeping, and the default. */
#define AXQ_SQPOLL_IDLE_MAX_MS		10000
#define AXQ_SQPOLL_IDLE_DEFAULT_MS	1000

/**
 * struct axq_sqpoll - the SQ thread of a context
 * @thread: the thread (a task reference), NULL once stopped (L: set at
 *	setup under the context's lock; cleared by axq_sqpoll_stop(), which
 *	only ->flush and ->release call, never concurrently)
 * @cred: the credentials it runs under, the setup task's (I)
 * @idle: jiffies it polls with nothing to consume before it sleeps (I)
 * @idle_ms: the same in ms, as asked at setup (I)
 * @pid: the thread's pid, for fdinfo (I)
 * @wait: where it sleeps; an enter with ASYNCX_ENTER_SQ_WAKEUP wakes it
 */
struct axq_sqpoll {
	struct task_struct	*thread;
	const struct cred	*cred;
	unsigned long		idle;
	u32			idle_ms;
	pid_t			pid;
	struct wait_queue_head	wait;
};

/* SQEs published and not consumed: a hint (the head moves under ctx->lock). */
static bool axq_sqpoll_pending(struct axq_ctx *ctx)
{
	/* Acquire: pairs with the application's release of the tail. */
	return smp_load_acquire(&ctx->sq->tail) != data_race(ctx->sq_head);
}

/* Set or clear ASYNCX_SQ_NEED_WAKEUP (the flags word is cq_lock's). */
static void axq_sqpoll_need_wakeup(struct axq_ctx *ctx, bool set)
{
	u32 flags;

	spin_lock(&ctx->cq_lock);
	flags = READ_ONCE(ctx->sq->flags);
	if (set)
		flags |= ASYNCX_SQ_NEED_WAKEUP;
	else
		flags &= ~ASYNCX_SQ_NEED_WAKEUP;
	WRITE_ONCE(ctx->sq->flags, flags);
	spin_unlock(&ctx->cq_lock);
}

/*
 * Take the owner's mm for a busy stretch (switching mm per submission
 * would cost more than a small one): false when it has no users left (the
 * owner is exiting, and ->flush stops us).
 */
static bool axq_sqpoll_use_mm(struct axq_ctx *ctx)
{
	if (!mmget_not_zero(ctx->mm))
		return false;
	kthread_use_mm(ctx->mm);
	return true;
}

static void axq_sqpoll_unuse_mm(struct axq_ctx *ctx)
{
	kthread_unuse_mm(ctx->mm);
	mmput(ctx->mm);
}

static int axq_sqpoll_thread(void *data)
{
	struct axq_ctx *ctx = data;
	struct axq_sqpoll *sqp = ctx->sqp;
	unsigned long idle_end = jiffies + sqp->idle;
	const struct cred *old = override_creds(sqp->cred);
	bool have_mm = false;
	u64 consumed = 0;
	long n;
	DEFINE_WAIT(wait);

	while (!kthread_should_stop()) {
		n = 0;
		if (axq_sqpoll_pending(ctx)) {
			if (!have_mm)
				have_mm = axq_sqpoll_use_mm(ctx);
			/* -EBUSY: CQEs wait for room; an enter makes it. */
			if (have_mm)
				n = axq_ctx_submit(ctx, ctx->sq_entries);
		}
		if (n > 0) {
			consumed += n;
			idle_end = jiffies + sqp->idle;
			cond_resched();
			continue;
		}
		if (time_before(jiffies, idle_end)) {
			cond_resched();
			cpu_relax();
			continue;
		}
		/* Asleep, the thread holds no mm: the owner's exit frees it. */
		if (have_mm) {
			axq_sqpoll_unuse_mm(ctx);
			have_mm = false;
		}
		prepare_to_wait(&sqp->wait, &wait, TASK_INTERRUPTIBLE);
		axq_sqpoll_need_wakeup(ctx, true);
		/* Full barrier: the flag before the tail's load (see DOC). */
		smp_mb();
		if (!axq_sqpoll_pending(ctx) && !kthread_should_stop()) {
			trace_asyncx_sqpoll(ctx->id, 1, consumed);
			consumed = 0;
			schedule();
			trace_asyncx_sqpoll(ctx->id, 0, 0);
		}
		finish_wait(&sqp->wait, &wait);
		axq_sqpoll_need_wakeup(ctx, false);
		idle_end = jiffies + sqp->idle;
	}
	if (have_mm)
		axq_sqpoll_unuse_mm(ctx);
	revert_creds(old);
	return 0;
}

/**
 * axq_sqpoll_create() - create the SQ thread of a context, not yet running
 * @ctx: the context, being set up (ctx->lock held, rings not yet made)
 * @idle_ms: struct asyncx_params.sq_thread_idle
 *
 * Context: process context, the owner.
 * Return: 0, -EINVAL for an idle time past the limit or a context of a
 * kernel thread (no owner mm), -EAGAIN when the user has
 * max_user_sq_threads, -ENOMEM, or the error of kthread_create().
 */
int axq_sqpoll_create(struct axq_ctx *ctx, u32 idle_ms)
{
	struct axq_sqpoll *sqp;
	struct task_struct *t;
	int ret;

	lockdep_assert_held(&ctx->lock);
	if (idle_ms > AXQ_SQPOLL_IDLE_MAX_MS || !ctx->mm)
		return -EINVAL;
	if (!idle_ms)
		idle_ms = AXQ_SQPOLL_IDLE_DEFAULT_MS;
	sqp = kzalloc(sizeof(*sqp), GFP_KERNEL_ACCOUNT);
	if (!sqp)
		return -ENOMEM;
	ret = axq_limits_sqthread_charge(ctx->user);
	if (ret)
		goto free;
	sqp->idle_ms = idle_ms;
	sqp->idle = msecs_to_jiffies(idle_ms);
	init_waitqueue_head(&sqp->wait);
	sqp->cred = get_current_cred();
	ctx->sqp = sqp;
	t = kthread_create(axq_sqpoll_thread, ctx, "asyncx-sq/%llu", ctx->id);
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		ctx->sqp = NULL;
		put_cred(sqp->cred);
		axq_limits_sqthread_release(ctx->user);
		goto free;
	}
	get_task_struct(t);
	sqp->thread = t;
	sqp->pid = task_pid_nr(t);
	return 0;
free:
	kfree(sqp);
	return ret;
}

/**
 * axq_sqpoll_start() - let the SQ thread run, once the rings are ready
 * @ctx: the context, with an SQ thread from axq_sqpoll_create()
 *
 * Context: process context.
 */
void axq_sqpoll_start(struct axq_ctx *ctx)
{
	wake_up_process(ctx->sqp->thread);
}

/**
 * axq_sqpoll_stop() - stop the SQ thread of a context, if it has one
 * @ctx: the context
 *
 * Waits until the thread has returned (it may be in a submission). An
 * enter afterwards answers -EOWNERDEAD. A thread created but never started
 * (a setup that failed later) exits without running.
 *
 * Context: process context, not the thread itself; ->flush or ->release.
 */
void axq_sqpoll_stop(struct axq_ctx *ctx)
{
	struct axq_sqpoll *sqp = ctx->sqp;
	struct task_struct *t;

	if (!sqp)
		return;
	t = xchg(&sqp->thread, NULL);
	if (!t)
		return;
	kthread_stop(t);
	put_task_struct(t);
	axq_limits_sqthread_release(ctx->user);
}

/**
 * axq_sqpoll_free() - free what axq_sqpoll_create() made, the thread stopped
 * @ctx: the context, being freed
 *
 * Context: process context.
 */
void axq_sqpoll_free(struct axq_ctx *ctx)
{
	struct axq_sqpoll *sqp = ctx->sqp;

	if (!sqp)
		return;
	WARN_ON_ONCE(sqp->thread);
	put_cred(sqp->cred);
	kfree(sqp);
	ctx->sqp = NULL;
}

/**
 * axq_sqpoll_enter() - an enter of an SQPOLL context: the thread alive?
 * @ctx: an SQPOLL context
 * @wake: ASYNCX_ENTER_SQ_WAKEUP: wake the thread
 *
 * Context: process context.
 * Return: 0, or -EOWNERDEAD once the thread is stopped.
 */
int axq_sqpoll_enter(struct axq_ctx *ctx, bool wake)
{
	if (!READ_ONCE(ctx->sqp->thread))
		return -EOWNERDEAD;
	if (wake)
		wake_up(&ctx->sqp->wait);
	return 0;
}

/**
 * axq_sqpoll_idle_ms() - the SQ thread's idle time, for SETUP to return
 * @ctx: the context
 *
 * Context: any.
 * Return: its idle time in ms, or 0 without an SQ thread.
 */
u32 axq_sqpoll_idle_ms(struct axq_ctx *ctx)
{
	return ctx->sqp ? ctx->sqp->idle_ms : 0;
}

/**
 * axq_sqpoll_show() - the SQ thread in a context's fdinfo
 * @ctx: the context
 * @m: the seq_file
 *
 * Context: process context.
 */
void axq_sqpoll_show(struct axq_ctx *ctx, struct seq_file *m)
{
	struct axq_sqpoll *sqp = ctx->sqp;

	if (!sqp)
		return;
	seq_printf(m, "sq-thread-pid:\t%d\nsq-thread-idle-ms:\t%u\nsq-thread:\t%s\n",
		   sqp->pid, sqp->idle_ms,
		   READ_ONCE(sqp->thread) ? "running" : "stopped");
}
