/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: async/await in C — a future's poll function written as
 * sequential code with await points, turned by the preprocessor into a
 * resumable state machine. The design is in Documentation/async.rst.
 */
#ifndef _ASYNCX_ASYNC_H
#define _ASYNCX_ASYNC_H

#include <linux/bug.h>
#include <linux/compiler_attributes.h>
#include <linux/errno.h>
#include <linux/limits.h>

#include "runtime.h"

/**
 * DOC: async/await
 *
 * A poll function written between AXQ_ASYNC_BEGIN() and AXQ_ASYNC_END()
 * reads as straight-line code; each await point (AXQ_AWAIT() and the
 * helpers built on it) returns AXQ_PENDING while what it awaits is not
 * ready and, at the next poll, jumps straight back to itself. The jump is
 * a ``switch`` on a state word of the future with a ``case __LINE__:``
 * label at every await point — the protothreads technique (Duff's device).
 *
 * Rules that follow from the technique:
 *
 * - The state word is an ``unsigned int`` in the future's struct, zero
 *   before the first poll (AXQ_ASYNC_INIT).
 * - Locals of the poll function do not survive an await point: whatever
 *   must live across one is a field of the future's struct.
 * - At most one await point per source line (the line number is the
 *   label), and no await inside a ``switch`` of the body's own.
 * - The function's poll context and result pointer are named ``cx`` and
 *   ``out`` where the helpers use them (AXQ_AWAIT_FUT()).
 * - The body ends with AXQ_ASYNC_RETURN(); falling off the end returns 0.
 *
 * Cancellation. A task may be cancelled while the future waits at any
 * await point; its drop then runs instead of the next poll. To make every
 * await point safe without the drop having to know which one it was,
 * initialise every sub-future the body may await before the first await
 * point (in the function that builds the future), and use only sub-futures
 * whose drop is idempotent and fine on a future never polled or already
 * finished (all of asyncx's primitives are). The drop then simply drops
 * every sub-future. A sub-future awaited again (in a loop) is dropped and
 * initialised again by the body between the awaits.
 */

/**
 * define AXQ_ASYNC_INIT - the value of a state word before the first poll
 */
#define AXQ_ASYNC_INIT		0U

/**
 * define AXQ_ASYNC_DONE - the value of a state word after AXQ_ASYNC_RETURN()
 */
#define AXQ_ASYNC_DONE		UINT_MAX

/**
 * AXQ_ASYNC_BEGIN() - open the body of an async poll function
 * @state: the state word (an ``unsigned int`` lvalue in the future)
 *
 * Example, a future that sleeps and then returns 7::
 *
 *	struct nap {
 *		struct axq_future base;
 *		unsigned int state;
 *		struct axq_sleep sleep;	// initialised with the future
 *	};
 *
 *	static enum axq_poll nap_poll(struct axq_future *fut,
 *				      struct axq_context *cx, long *out)
 *	{
 *		struct nap *n = container_of(fut, struct nap, base);
 *		long res;
 *
 *		AXQ_ASYNC_BEGIN(n->state);
 *		AXQ_AWAIT_FUT(n->state, &n->sleep.base, &res);
 *		AXQ_ASYNC_RETURN(n->state, out, 7);
 *		AXQ_ASYNC_END(n->state, out);
 *	}
 *
 *	static void nap_drop(struct axq_future *fut)
 *	{
 *		axq_future_drop(&container_of(fut, struct nap, base)->sleep.base);
 *	}
 */
#define AXQ_ASYNC_BEGIN(state)						\
	switch (state) {						\
	case AXQ_ASYNC_INIT:

/**
 * AXQ_AWAIT() - await an expression that polls something
 * @state: the state word
 * @expr: an expression of type enum axq_poll; evaluated at this point and
 *	again at each poll that resumes here, until it is AXQ_READY. When it
 *	is AXQ_PENDING it must have arranged a wake of the polled task, as a
 *	poll function must.
 *
 * Example, awaiting a condition on a wait queue (see axq_wait_cond())::
 *
 *	AXQ_AWAIT(f->state, axq_wait_cond(&f->w, &f->wq, cx, f->done));
 */
#define AXQ_AWAIT(state, expr)						\
	do {								\
		(state) = __LINE__;					\
		fallthrough;						\
	case __LINE__:							\
		if ((expr) != AXQ_READY)				\
			return AXQ_PENDING;				\
	} while (0)

/**
 * AXQ_AWAIT_FUT() - await a sub-future
 * @state: the state word
 * @fut: the sub-future (a struct axq_future pointer), initialised before the first
 *	await point of the body; the caller's drop drops it
 * @res: where its result goes (a pointer to long)
 *
 * Polls @fut with the poll function's ``cx`` until it is ready. The
 * sub-future is not dropped here: the enclosing future's drop does that
 * (or the body, before awaiting it again).
 *
 * Example::
 *
 *	AXQ_AWAIT_FUT(f->state, &f->sleep.base, &f->res);
 */
#define AXQ_AWAIT_FUT(state, fut, res)					\
	AXQ_AWAIT(state, axq_future_poll((fut), cx, (res)))

/**
 * AXQ_YIELD() - let other tasks run, then continue
 * @state: the state word
 *
 * Wakes the polled task and returns AXQ_PENDING once: the executor polls
 * it again after what is queued before it. For long computations split
 * into steps.
 *
 * Example::
 *
 *	for (f->i = 0; f->i < 1000; f->i++) {
 *		step(f, f->i);
 *		AXQ_YIELD(f->state);
 *	}
 */
#define AXQ_YIELD(state)						\
	do {								\
		(state) = __LINE__;					\
		axq_wake(axq_waker_get(cx));				\
		return AXQ_PENDING;					\
	case __LINE__:							\
		;							\
	} while (0)

/**
 * AXQ_ASYNC_RETURN() - finish: store the result and return AXQ_READY
 * @state: the state word
 * @out: the poll function's result pointer (a pointer to long)
 * @val: the result
 *
 * Example::
 *
 *	if (f->res < 0)
 *		AXQ_ASYNC_RETURN(f->state, out, f->res);
 */
#define AXQ_ASYNC_RETURN(state, out, val)				\
	do {								\
		*(out) = (val);						\
		(state) = AXQ_ASYNC_DONE;				\
		return AXQ_READY;					\
	} while (0)

/**
 * AXQ_ASYNC_END() - close the body of an async poll function
 * @state: the state word
 * @out: the poll function's result pointer (a pointer to long)
 *
 * A body that falls off its end returns 0. A poll with a state the body
 * has no label for (a poll after AXQ_READY, a corrupt state) warns once
 * and returns -EINVAL.
 *
 * Example: see AXQ_ASYNC_BEGIN().
 */
#define AXQ_ASYNC_END(state, out)					\
		AXQ_ASYNC_RETURN(state, out, 0);			\
	default:							\
		WARN_ONCE(1, "asyncx: async poll in state %u\n", (state)); \
		*(out) = -EINVAL;					\
		return AXQ_READY;					\
	}

/**
 * axq_future_poll() - poll a future through its ops
 * @fut: the future
 * @cx: the poll context
 * @out: where the result goes when ready
 *
 * Context: inside a poll.
 * Return: what the future's poll returns.
 */
static inline enum axq_poll axq_future_poll(struct axq_future *fut,
					    struct axq_context *cx, long *out)
{
	return fut->ops->poll(fut, cx, out);
}

/**
 * axq_future_drop() - drop a future through its ops
 * @fut: the future (its ops' drop may be NULL)
 *
 * Context: process context (a drop).
 */
static inline void axq_future_drop(struct axq_future *fut)
{
	if (fut->ops->drop)
		fut->ops->drop(fut);
}

#endif /* _ASYNCX_ASYNC_H */
