/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: who may open /dev/asyncx, and what each user may hold over all
 * their contexts (limits.c; internal to the module).
 */
#ifndef _ASYNCX_RING_LIMITS_H
#define _ASYNCX_RING_LIMITS_H

#include <linux/atomic.h>
#include <linux/percpu_counter.h>
#include <linux/types.h>
#include <linux/uidgid.h>

/**
 * struct axq_user - what one user (real uid) holds over all their contexts
 * @uid: the user (I)
 * @contexts: contexts open (L: the users' xarray lock)
 * @io_workers: I/O worker threads alive (L: the users' xarray lock)
 * @holds: other references: the pools of I/O workers, which may outlive
 *	their context (L: the users' xarray lock)
 * @sq_threads: SQ threads of ASYNCX_SETUP_SQPOLL contexts alive (L: the
 *	users' xarray lock)
 * @inflight: operations in flight: a per-CPU counter, so that the
 *	user's contexts on different CPUs share no cache line for it on the
 *	submission and completion paths (exact near the limit, where the
 *	check sums every CPU's count)
 * @chan_bytes: bytes of the messages in the user's channels
 *
 * It is freed when @contexts, @io_workers, @holds and @sq_threads are
 * all 0.
 */
struct axq_user {
	kuid_t			uid;
	unsigned int		contexts;
	unsigned int		io_workers;
	unsigned int		holds;
	unsigned int		sq_threads;
	struct percpu_counter	inflight;
	atomic_long_t		chan_bytes;
};

int axq_limits_allowed(void);
struct axq_user *axq_limits_open(void);
void axq_limits_release(struct axq_user *u);
void axq_limits_hold(struct axq_user *u);
void axq_limits_unhold(struct axq_user *u);
int axq_limits_worker_charge(struct axq_user *u);
void axq_limits_worker_release(struct axq_user *u);
int axq_limits_sqthread_charge(struct axq_user *u);
void axq_limits_sqthread_release(struct axq_user *u);
int axq_limits_inflight_charge(struct axq_user *u);
void axq_limits_inflight_release(struct axq_user *u);
int axq_limits_chan_charge(struct axq_user *u, size_t bytes);
void axq_limits_chan_release(struct axq_user *u, size_t bytes);
void axq_limits_exit(void);

#endif /* _ASYNCX_RING_LIMITS_H */
