/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libasyncx: the userspace library of asyncx.
 *
 * Programs include <asyncx.h> and link with `pkg-config --libs asyncx`.
 *
 * A ring (struct asyncx_ring) is one asyncx context: the submission queue
 * (SQ) and completion queue (CQ) that /dev/asyncx shares with the process.
 * The hot paths (getting an SQE, filling it, peeking and freeing CQEs) are
 * inline functions below and never enter the kernel (but for a peek that
 * finds the CQ empty while completions wait in the overflow list: it brings
 * them in, as liburing's does); asyncx_submit() and the asyncx_wait_cqe()
 * family are the only other calls that do.
 *
 * Documentation/libasyncx.rst is the reference; it pulls in the comments of
 * this file.
 */
#ifndef ASYNCX_H
#define ASYNCX_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/asyncx.h>
#include <linux/time_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ASYNCX_DEVICE_PATH - path of the device node every context is opened from
 */
#define ASYNCX_DEVICE_PATH	"/dev/" ASYNCX_DEVICE_NAME

/**
 * DOC: locking
 *
 * A ring is not thread-safe, and it needs no lock as long as these two rules
 * hold:
 *
 * - **One submitter at a time.** asyncx_get_sqe(), the prep and setter
 *   helpers, asyncx_sq_ready(), asyncx_sq_space_left(), asyncx_submit() and
 *   asyncx_submit_and_wait() work on the SQ side; only one thread may be in
 *   any of them at any moment.
 * - **One reaper at a time.** asyncx_peek_cqe(), asyncx_peek_batch_cqe(),
 *   asyncx_for_each_cqe(), asyncx_cqe_seen(), asyncx_cq_advance(),
 *   asyncx_cq_ready() and the asyncx_wait_cqe() family work on the CQ side;
 *   only one thread may be in any of them at any moment. A CQE pointer stays
 *   valid until the reaper frees it with asyncx_cqe_seen() or
 *   asyncx_cq_advance().
 *
 * The submitter and the reaper may be two different threads running at the
 * same time: each side only writes its own index (the SQ tail, the CQ head)
 * and reads the kernel's with acquire loads. asyncx_submit_and_wait() is on
 * both sides and so needs both roles. Threads that share a side must
 * serialise it themselves, with a mutex around the calls of that side.
 * asyncx_queue_init() and asyncx_queue_exit() need the ring to themselves.
 *
 * Several submitter threads on one ring hold the SQ mutex from
 * asyncx_get_sqe() through the prep helpers to asyncx_submit(), as one
 * critical section: asyncx_submit() publishes every SQE handed out so far,
 * so an SQE that one thread got and has not filled in yet would go to the
 * module half-written if another thread submitted in between. A submit that
 * fails with -EBUSY leaves its SQEs published, and the next submit by any
 * of the threads sends them. The reaper needs no lock as long as it is the
 * only thread on the CQ side; several reapers share a second mutex.
 * selftests/asyncx/stress_test.c runs this pattern with six submitters and
 * a reaper thread.
 */

/**
 * struct asyncx_sq - the submission queue side of a ring
 * @khead: SQ head in the mapping; the kernel writes it as it consumes SQEs
 * @ktail: SQ tail in the mapping; the library publishes @sqe_tail here
 * @kring_mask: ring mask in the mapping (entries - 1)
 * @kring_entries: number of SQEs, in the mapping
 * @kflags: ASYNCX_SQ_* flags in the mapping, written by the kernel
 * @kdropped: completions the kernel lost, in the mapping
 * @sqes: the SQE array (the mapping at ASYNCX_OFF_SQES)
 * @sqe_head: SQEs up to here have been published to @ktail
 * @sqe_tail: next SQE to hand out; [@sqe_head, @sqe_tail) are handed out
 *	and not published yet
 * @ring_mask: copy of the value at @kring_mask
 * @ring_entries: copy of the value at @kring_entries
 * @ring_ptr: address of the SQ ring mapping (ASYNCX_OFF_SQ_RING)
 * @ring_sz: size of the SQ ring mapping in bytes
 * @sqes_sz: size of the SQE array mapping in bytes
 *
 * Fields are set by asyncx_queue_init() and then read only, except
 * @sqe_head and @sqe_tail, which the submitter owns.
 */
struct asyncx_sq {
	unsigned int		*khead;
	unsigned int		*ktail;
	unsigned int		*kring_mask;
	unsigned int		*kring_entries;
	unsigned int		*kflags;
	unsigned int		*kdropped;
	struct asyncx_sqe	*sqes;

	unsigned int		sqe_head;
	unsigned int		sqe_tail;

	unsigned int		ring_mask;
	unsigned int		ring_entries;
	void			*ring_ptr;
	size_t			ring_sz;
	size_t			sqes_sz;
};

/**
 * struct asyncx_cq - the completion queue side of a ring
 * @khead: CQ head in the mapping; the reaper writes it to free CQEs
 * @ktail: CQ tail in the mapping; the kernel writes it as it posts CQEs
 * @kring_mask: ring mask in the mapping (entries - 1)
 * @kring_entries: number of CQEs, in the mapping
 * @koverflow: completions that went through the overflow list, in the
 *	mapping
 * @cqes: the CQE array, inside the CQ ring mapping
 * @ring_mask: copy of the value at @kring_mask
 * @ring_entries: copy of the value at @kring_entries
 * @ring_ptr: address of the CQ ring mapping (ASYNCX_OFF_CQ_RING)
 * @ring_sz: size of the CQ ring mapping in bytes
 *
 * Fields are set by asyncx_queue_init() and then read only; the CQ head is
 * written only by the reaper.
 */
struct asyncx_cq {
	unsigned int		*khead;
	unsigned int		*ktail;
	unsigned int		*kring_mask;
	unsigned int		*kring_entries;
	unsigned int		*koverflow;
	struct asyncx_cqe	*cqes;

	unsigned int		ring_mask;
	unsigned int		ring_entries;
	void			*ring_ptr;
	size_t			ring_sz;
};

/**
 * struct asyncx_ring - one asyncx context, set up by asyncx_queue_init()
 * @sq: the submission queue
 * @cq: the completion queue
 * @flags: the ASYNCX_SETUP_* flags it was set up with
 * @features: the ASYNCX_FEAT_* bits the module reported
 * @fd: the context's file descriptor (-1 when not set up)
 */
struct asyncx_ring {
	struct asyncx_sq	sq;
	struct asyncx_cq	cq;
	unsigned int		flags;
	unsigned int		features;
	int			fd;
};

/*
 * Ring index accessors. The four indices are shared with the kernel; each
 * is written by one side only, and every access to an index the other side
 * writes goes through one of these helpers, so the pairing is in one place:
 *
 *   SQ tail: the library stores (release) -> the kernel loads (acquire)
 *   SQ head: the kernel stores (release)  -> the library loads (acquire)
 *   CQ tail: the kernel stores (release)  -> the library loads (acquire)
 *   CQ head: the library stores (release) -> the kernel loads (acquire)
 */

/*
 * Read the SQ head. Acquire: pairs with the kernel's release store of the SQ
 * head once it has copied the SQEs below it, so the slots we then reuse are
 * no longer read.
 */
static inline unsigned int __asyncx_sq_khead_acquire(const struct asyncx_sq *sq)
{
	return __atomic_load_n(sq->khead, __ATOMIC_ACQUIRE);
}

/*
 * Publish the SQ tail. Release: pairs with the kernel's acquire load of the
 * SQ tail in ASYNCX_IOC_ENTER, so the SQE contents written before are seen
 * by the kernel before it sees the tail that covers them.
 */
static inline void __asyncx_sq_ktail_release(struct asyncx_sq *sq,
					     unsigned int tail)
{
	__atomic_store_n(sq->ktail, tail, __ATOMIC_RELEASE);
}

/*
 * Read the CQ tail. Acquire: pairs with the kernel's release store of the CQ
 * tail after it wrote the CQEs below it, so we read complete CQEs.
 */
static inline unsigned int __asyncx_cq_ktail_acquire(const struct asyncx_cq *cq)
{
	return __atomic_load_n(cq->ktail, __ATOMIC_ACQUIRE);
}

/*
 * Read the CQ head. Only the reaper writes it, so no ordering is needed; the
 * atomic load keeps the compiler from tearing or caching it.
 */
static inline unsigned int __asyncx_cq_khead_read(const struct asyncx_cq *cq)
{
	return __atomic_load_n(cq->khead, __ATOMIC_RELAXED);
}

/*
 * Free CQEs up to @head. Release: pairs with the kernel's acquire load of
 * the CQ head before it writes a CQE into a freed slot, so our reads of the
 * CQEs are done before the kernel overwrites them.
 */
static inline void __asyncx_cq_khead_release(struct asyncx_cq *cq,
					     unsigned int head)
{
	__atomic_store_n(cq->khead, head, __ATOMIC_RELEASE);
}

/**
 * asyncx_open() - open a new asyncx context
 *
 * Opens ASYNCX_DEVICE_PATH read-write and close-on-exec. Each call creates
 * an independent context; close it with asyncx_close().
 *
 * Return: a file descriptor (>= 0), or a negative errno: -ENOENT when the
 * module is not loaded, -EACCES when the node's mode denies access.
 */
int asyncx_open(void);

/**
 * asyncx_close() - close a context opened with asyncx_open()
 * @fd: the context's file descriptor
 *
 * Return: 0, or a negative errno (-EBADF for a descriptor that is not open).
 */
int asyncx_close(int fd);

/**
 * asyncx_queue_init_params() - set up a ring with explicit parameters
 * @entries: SQ entries wanted; the module rounds it up to a power of two
 *	(at most ASYNCX_MAX_ENTRIES)
 * @ring: the ring to set up; its previous contents are ignored
 * @p: in: zeroed, with @p->flags and, with ASYNCX_SETUP_CQSIZE,
 *	@p->cq_entries set; out: what ASYNCX_IOC_SETUP returned (sizes,
 *	features, layout)
 *
 * Opens a new context on ASYNCX_DEVICE_PATH, sets up its rings with
 * ASYNCX_IOC_SETUP and maps the SQ ring, the SQE array and the CQ ring
 * (shared, populated). On failure everything done so far is undone and
 * @ring is left with @ring->fd == -1.
 *
 * Context: needs @ring to itself.
 * Return: 0, or a negative errno: those of asyncx_open(), of the ioctl
 * (-EINVAL for bad sizes or flags) and of mmap() (-ENOMEM), or -EPROTO when
 * the module returned a layout this library does not understand.
 */
int asyncx_queue_init_params(unsigned int entries, struct asyncx_ring *ring,
			     struct asyncx_params *p);

/**
 * asyncx_queue_init() - set up a ring
 * @entries: SQ entries wanted; the module rounds it up to a power of two
 *	(at most ASYNCX_MAX_ENTRIES); the CQ gets twice as many
 * @ring: the ring to set up; its previous contents are ignored
 * @flags: ASYNCX_SETUP_* flags (ASYNCX_SETUP_CQSIZE needs
 *	asyncx_queue_init_params())
 *
 * asyncx_queue_init_params() with parameters that are all zero but @flags.
 *
 * Context: needs @ring to itself.
 * Return: as asyncx_queue_init_params().
 */
int asyncx_queue_init(unsigned int entries, struct asyncx_ring *ring,
		      unsigned int flags);

/**
 * asyncx_queue_exit() - tear down a ring
 * @ring: a ring set up by asyncx_queue_init(), or left by its failure
 *
 * Unmaps the three regions and closes the context. Operations still in
 * flight are cancelled by the module; their completions are not seen. SQEs
 * handed out but not submitted are dropped. Afterwards @ring->fd is -1 and
 * a second call does nothing.
 *
 * Context: needs @ring to itself.
 */
void asyncx_queue_exit(struct asyncx_ring *ring);

/**
 * asyncx_submit() - submit the SQEs handed out so far
 * @ring: the ring
 *
 * Publishes every SQE handed out by asyncx_get_sqe() since the last submit
 * (a release store of the SQ tail) and asks the module with
 * ASYNCX_IOC_ENTER to consume every SQE published and not consumed yet,
 * including any left over by an earlier submit that failed. Does not enter
 * the kernel when there is nothing to consume.
 *
 * Not thread-safe: it publishes the SQEs every thread got from
 * asyncx_get_sqe(), filled in or not, so threads that share a ring call it
 * inside the critical section that began with their asyncx_get_sqe() (see
 * "Locking"). A reaper thread may wait for CQEs meanwhile.
 *
 * On a ring set up with ASYNCX_SETUP_SQPOLL the SQ thread consumes them:
 * this publishes, and enters only to wake the thread when it sleeps
 * (ASYNCX_SQ_NEED_WAKEUP, read after a full barrier), as liburing does.
 * What the SQEs point to must then stay valid until the thread has
 * consumed them (the SQ head has passed them).
 *
 * Context: the submitter.
 * Return: the number of SQEs the module consumed (0 when there was nothing
 * to submit; with SQPOLL, the number this call published), or a negative
 * errno: -EBUSY when completions wait in the overflow list (reap CQEs,
 * then submit again; the SQEs stay published), -EINTR, -EOWNERDEAD (SQPOLL:
 * the thread has stopped), or the ioctl's other errors.
 */
int asyncx_submit(struct asyncx_ring *ring);

/**
 * asyncx_submit_and_wait() - submit, then wait for completions
 * @ring: the ring
 * @wait_nr: CQEs to wait for (0: do not wait; at most the CQ's size)
 *
 * As asyncx_submit(), then waits without limit until at least @wait_nr CQEs
 * are in the CQ, in the same ASYNCX_IOC_ENTER call. When the wait fails
 * after SQEs were consumed (a signal), the consumed count is returned rather
 * than the error, as the SQEs cannot be taken back; their CQEs will come.
 *
 * Context: both the submitter and the reaper.
 * Return: the number of SQEs consumed, or a negative errno: -EINVAL when
 * @wait_nr exceeds the CQ's size, -EBUSY as asyncx_submit(), -EINTR when a
 * signal came before anything was consumed.
 */
int asyncx_submit_and_wait(struct asyncx_ring *ring, unsigned int wait_nr);

/**
 * asyncx_wait_cqe_nr() - wait until some CQEs are ready
 * @ring: the ring
 * @cqe_ptr: out: the first CQE (at the CQ head), or NULL on error
 * @wait_nr: CQEs to wait for (1 .. the CQ's size)
 *
 * Returns at once when @wait_nr CQEs are already in the CQ; otherwise waits
 * in ASYNCX_IOC_ENTER without a time limit. Does not submit: SQEs handed out
 * and not submitted stay where they are. Frees nothing: call
 * asyncx_cqe_seen() or asyncx_cq_advance() when done with the CQEs.
 *
 * Context: the reaper.
 * Return: 0 with the first CQE in @cqe_ptr, or a negative errno: -EINVAL
 * when @wait_nr is 0 or exceeds the CQ's size, -EINTR when a signal came.
 */
int asyncx_wait_cqe_nr(struct asyncx_ring *ring, struct asyncx_cqe **cqe_ptr,
		       unsigned int wait_nr);

/**
 * asyncx_wait_cqe() - wait for a CQE
 * @ring: the ring
 * @cqe_ptr: out: the CQE at the CQ head, or NULL on error
 *
 * asyncx_wait_cqe_nr() with @wait_nr 1.
 *
 * Context: the reaper.
 * Return: 0 with the CQE in @cqe_ptr, or a negative errno (-EINTR).
 */
int asyncx_wait_cqe(struct asyncx_ring *ring, struct asyncx_cqe **cqe_ptr);

/**
 * asyncx_wait_cqe_timeout() - wait for a CQE, for at most some time
 * @ring: the ring
 * @cqe_ptr: out: the CQE at the CQ head, or NULL on error
 * @ts: the longest wait, relative (CLOCK_MONOTONIC); NULL waits without
 *	limit; zero only looks
 *
 * As asyncx_wait_cqe(), but gives up after @ts. A zero @ts does not enter
 * the kernel. The time limit holds over the whole call, also when the
 * module wakes it before a CQE is there.
 *
 * Context: the reaper.
 * Return: 0 with the CQE in @cqe_ptr, or a negative errno: -ETIME when @ts
 * passed with the CQ empty, -EINVAL for a negative or unnormalised @ts,
 * -EINTR when a signal came.
 */
int asyncx_wait_cqe_timeout(struct asyncx_ring *ring,
			    struct asyncx_cqe **cqe_ptr,
			    const struct __kernel_timespec *ts);

/**
 * asyncx_sq_ready() - SQEs not consumed by the module yet
 * @ring: the ring
 *
 * Counts the SQEs handed out by asyncx_get_sqe() that the module has not
 * consumed: those not submitted yet and those published but left over by a
 * submit that failed.
 *
 * Context: the submitter.
 * Return: the number of such SQEs.
 */
static inline unsigned int asyncx_sq_ready(const struct asyncx_ring *ring)
{
	return ring->sq.sqe_tail - __asyncx_sq_khead_acquire(&ring->sq);
}

/**
 * asyncx_sq_space_left() - free SQE slots
 * @ring: the ring
 *
 * Context: the submitter.
 * Return: how many more times asyncx_get_sqe() succeeds before the next
 * submit.
 */
static inline unsigned int asyncx_sq_space_left(const struct asyncx_ring *ring)
{
	return ring->sq.ring_entries - asyncx_sq_ready(ring);
}

/**
 * asyncx_get_sqe() - hand out the next free SQE
 * @ring: the ring
 *
 * The SQE comes zeroed; fill it with a prep helper (asyncx_prep_nop(), ...)
 * and the setters, in any order. It goes to the module with the next
 * asyncx_submit(). An SQE handed out cannot be given back: submit it, as a
 * NOP if it is not needed.
 *
 * Not thread-safe: one thread at a time on a ring's SQ side. Threads that
 * share a ring hold one mutex from asyncx_get_sqe() until after
 * asyncx_submit() (see "Locking").
 *
 * Context: the submitter.
 * Return: the SQE, or NULL when the SQ is full (submit first).
 */
static inline struct asyncx_sqe *asyncx_get_sqe(struct asyncx_ring *ring)
{
	struct asyncx_sq *sq = &ring->sq;
	struct asyncx_sqe *sqe;

	/* Acquire pairs with the kernel's SQ head release: slots are free. */
	if (sq->sqe_tail - __asyncx_sq_khead_acquire(sq) >= sq->ring_entries)
		return NULL;
	sqe = &sq->sqes[sq->sqe_tail & sq->ring_mask];
	sq->sqe_tail++;
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

/**
 * asyncx_cq_ready() - CQEs ready to be reaped
 * @ring: the ring
 *
 * Context: the reaper.
 * Return: the number of CQEs between the CQ head and the CQ tail.
 */
static inline unsigned int asyncx_cq_ready(const struct asyncx_ring *ring)
{
	/* Acquire pairs with the kernel's CQ tail release: CQEs are written. */
	return __asyncx_cq_ktail_acquire(&ring->cq) -
	       __asyncx_cq_khead_read(&ring->cq);
}

/**
 * asyncx_get_events() - bring completions waiting in the overflow list in
 * @ring: the ring
 *
 * Enters the module, without submitting or waiting, so that it moves what
 * fits of the overflow list (ASYNCX_SQ_CQ_OVERFLOW) into the CQ, as
 * liburing's io_uring_get_events() does. The peeks call it themselves when
 * they find the CQ empty with the flag set; the waits need not, they enter
 * anyway.
 *
 * Context: the reaper.
 * Return: 0, or a negative errno of ASYNCX_IOC_ENTER.
 */
int asyncx_get_events(struct asyncx_ring *ring);

/**
 * asyncx_peek_batch_cqe() - look at the CQEs ready, without waiting
 * @ring: the ring
 * @cqes: out: pointers to the CQEs, oldest first
 * @count: room in @cqes
 *
 * Frees nothing: call asyncx_cq_advance() with the number used. When the
 * CQ is empty while completions wait in the overflow list, brings them in
 * first (asyncx_get_events()), as liburing's peeks do: a program that only
 * peeks never strands a completion there.
 *
 * Context: the reaper.
 * Return: the number of pointers stored (0 .. @count).
 */
static inline unsigned int asyncx_peek_batch_cqe(struct asyncx_ring *ring,
						 struct asyncx_cqe **cqes,
						 unsigned int count)
{
	struct asyncx_cq *cq = &ring->cq;
	unsigned int head = __asyncx_cq_khead_read(cq);
	/* Acquire pairs with the kernel's CQ tail release: CQEs are written. */
	unsigned int ready = __asyncx_cq_ktail_acquire(cq) - head;
	unsigned int i;

	/* (The flag is a hint: relaxed; the enter publishes what it moved.) */
	if (!ready && __atomic_load_n(ring->sq.kflags, __ATOMIC_RELAXED) &
		      ASYNCX_SQ_CQ_OVERFLOW && !asyncx_get_events(ring))
		ready = __asyncx_cq_ktail_acquire(cq) - head;
	if (count > ready)
		count = ready;
	for (i = 0; i < count; i++)
		cqes[i] = &cq->cqes[(head + i) & cq->ring_mask];
	return count;
}

/**
 * asyncx_peek_cqe() - look at the CQE at the CQ head, without waiting
 * @ring: the ring
 * @cqe_ptr: out: the CQE, or NULL when there is none
 *
 * Frees nothing: call asyncx_cqe_seen() when done with it.
 *
 * Context: the reaper.
 * Return: 0 with the CQE in @cqe_ptr, or -EAGAIN when the CQ is empty.
 */
static inline int asyncx_peek_cqe(struct asyncx_ring *ring,
				  struct asyncx_cqe **cqe_ptr)
{
	if (asyncx_peek_batch_cqe(ring, cqe_ptr, 1))
		return 0;
	*cqe_ptr = NULL;
	return -EAGAIN;
}

/**
 * asyncx_cq_advance() - free CQEs
 * @ring: the ring
 * @nr: how many CQEs to free from the CQ head (at most asyncx_cq_ready())
 *
 * The module may overwrite them from then on: read what you need first.
 *
 * Context: the reaper.
 */
static inline void asyncx_cq_advance(struct asyncx_ring *ring, unsigned int nr)
{
	struct asyncx_cq *cq = &ring->cq;

	if (nr)
		/* Release pairs with the kernel's CQ head acquire: reads done. */
		__asyncx_cq_khead_release(cq, __asyncx_cq_khead_read(cq) + nr);
}

/**
 * asyncx_cqe_seen() - free the CQE at the CQ head
 * @ring: the ring
 * @cqe: the CQE returned by asyncx_peek_cqe() or the asyncx_wait_cqe() family; NULL
 *	(what those leave on error) frees nothing
 *
 * The CQE at the head is the one freed, whatever @cqe points to: free CQEs
 * in the order they came.
 *
 * Context: the reaper.
 */
static inline void asyncx_cqe_seen(struct asyncx_ring *ring,
				   const struct asyncx_cqe *cqe)
{
	if (cqe)
		asyncx_cq_advance(ring, 1);
}

/**
 * asyncx_for_each_cqe() - iterate over the CQEs ready, oldest first
 * @ring: the ring
 * @head: an unsigned int the macro uses as the cursor
 * @cqe: a struct asyncx_cqe pointer set to each CQE in turn
 *
 * Frees nothing: count the iterations and call asyncx_cq_advance() after
 * the loop. CQEs posted while the loop runs are visited too.
 *
 * Context: the reaper.
 */
#define asyncx_for_each_cqe(ring, head, cqe)				\
	for ((head) = __asyncx_cq_khead_read(&(ring)->cq);		\
	     /* Acquire pairs with the kernel's CQ tail release. */	\
	     (head) != __asyncx_cq_ktail_acquire(&(ring)->cq) &&		\
	     ((cqe) = &(ring)->cq.cqes[(head) & (ring)->cq.ring_mask], 1); \
	     (head)++)

/**
 * asyncx_cq_has_overflow() - do completions wait in the overflow list?
 * @ring: the ring
 *
 * The module puts completions in an overflow list when the CQ is full
 * (ASYNCX_FEAT_NODROP) and refuses new submissions with -EBUSY until they
 * have moved into the CQ. Reap CQEs to make room; the waiting functions
 * enter the kernel, which moves them.
 *
 * Context: any; the answer is a snapshot.
 * Return: nonzero when ASYNCX_SQ_CQ_OVERFLOW is set in the SQ flags word.
 */
static inline int asyncx_cq_has_overflow(const struct asyncx_ring *ring)
{
	/* A hint with nothing to order against: a relaxed load is enough. */
	return !!(__atomic_load_n(ring->sq.kflags, __ATOMIC_RELAXED) &
		  ASYNCX_SQ_CQ_OVERFLOW);
}

/**
 * asyncx_sqe_set_data64() - set the value the CQE will carry
 * @sqe: the SQE
 * @data: copied unchanged into the user_data of the operation's CQE
 */
static inline void asyncx_sqe_set_data64(struct asyncx_sqe *sqe, __u64 data)
{
	sqe->user_data = data;
}

/**
 * asyncx_cqe_get_data64() - the value set with asyncx_sqe_set_data64()
 * @cqe: the CQE
 *
 * Return: the CQE's user_data.
 */
static inline __u64 asyncx_cqe_get_data64(const struct asyncx_cqe *cqe)
{
	return cqe->user_data;
}

/**
 * asyncx_sqe_set_flags() - set the SQE flags
 * @sqe: the SQE
 * @flags: ASYNCX_SQE_* flags: ASYNCX_SQE_LINK runs the next SQE of the
 *	submission after this one, only if this one succeeded (a chain; see
 *	the uapi header); any other bit is -EINVAL
 */
static inline void asyncx_sqe_set_flags(struct asyncx_sqe *sqe,
					unsigned int flags)
{
	sqe->flags = (__u8)flags;
}

/**
 * asyncx_sqe_set_prio() - set the priority class of the operation
 * @sqe: the SQE
 * @prio: ASYNCX_PRIO_NORMAL (the default), ASYNCX_PRIO_HIGH or
 *	ASYNCX_PRIO_LOW. HIGH needs CAP_SYS_NICE: without it the operation
 *	completes with -EPERM.
 */
static inline void asyncx_sqe_set_prio(struct asyncx_sqe *sqe,
				       unsigned int prio)
{
	sqe->prio = (__u8)prio;
}

/**
 * asyncx_prep_rw() - fill the operation fields of an SQE
 * @op: the ASYNCX_OP_* opcode
 * @sqe: the SQE, from asyncx_get_sqe()
 * @fd: the file, where the op has one (else 0)
 * @addr: buffer or argument address, where the op has one (else NULL)
 * @len: length, count or op-specific value
 * @off: file offset or op-specific value
 *
 * Every prep helper funnels into this one. It sets opcode, fd, addr, len,
 * off and clears op_flags; it leaves flags, prio and user_data alone, so the
 * setters may come before or after it.
 */
static inline void asyncx_prep_rw(int op, struct asyncx_sqe *sqe, int fd,
				  const void *addr, unsigned int len, __u64 off)
{
	sqe->opcode = (__u8)op;
	sqe->fd = fd;
	sqe->off = off;
	sqe->addr = (__u64)(uintptr_t)addr;
	sqe->len = len;
	sqe->op_flags = 0;
}

/**
 * asyncx_prep_nop() - prepare a NOP, which completes with 0
 * @sqe: the SQE
 */
static inline void asyncx_prep_nop(struct asyncx_sqe *sqe)
{
	asyncx_prep_rw(ASYNCX_OP_NOP, sqe, 0, NULL, 0, 0);
}

/**
 * asyncx_prep_nop_result() - prepare a NOP that completes with @res
 * @sqe: the SQE
 * @res: the CQE's res, any value (a negative errno for a made-up failure)
 *
 * Uses ASYNCX_NOP_RESULT; meant for tests.
 */
static inline void asyncx_prep_nop_result(struct asyncx_sqe *sqe, int res)
{
	asyncx_prep_rw(ASYNCX_OP_NOP, sqe, 0, NULL, (unsigned int)res, 0);
	sqe->op_flags = ASYNCX_NOP_RESULT;
}

/**
 * asyncx_prep_timeout() - prepare a timeout
 * @sqe: the SQE
 * @ts: when to complete: relative, or an absolute CLOCK_MONOTONIC time with
 *	ASYNCX_TIMEOUT_ABS; read by the module when it consumes the SQE, so
 *	it must stay valid until asyncx_submit() has counted the SQE
 * @flags: ASYNCX_TIMEOUT_* flags
 *
 * The CQE comes with res -ETIME when the time has passed.
 */
static inline void asyncx_prep_timeout(struct asyncx_sqe *sqe,
				       const struct __kernel_timespec *ts,
				       unsigned int flags)
{
	asyncx_prep_rw(ASYNCX_OP_TIMEOUT, sqe, 0, ts, 1, 0);
	sqe->op_flags = flags;
}

/**
 * asyncx_prep_timeout_multishot() - prepare a periodic timeout
 * @sqe: the SQE
 * @period: the period (at least 1 us); read by the module when it
 *	consumes the SQE
 * @count: how many CQEs, or 0 for until cancelled
 *
 * A CQE with res -ETIME comes at each expiration, with ASYNCX_CQE_F_MORE
 * on all but the last (the last of an endless one is -ECANCELED, when it
 * is cancelled).
 */
static inline void asyncx_prep_timeout_multishot(struct asyncx_sqe *sqe,
						 const struct __kernel_timespec *period,
						 __u64 count)
{
	asyncx_prep_rw(ASYNCX_OP_TIMEOUT, sqe, 0, period, 1, count);
	sqe->op_flags = ASYNCX_TIMEOUT_MULTISHOT;
}

/**
 * asyncx_prep_cancel() - prepare a cancellation
 * @sqe: the SQE
 * @user_data: the user_data of the operation to cancel (ignored with
 *	ASYNCX_CANCEL_ALL)
 * @flags: 0, or ASYNCX_CANCEL_ALL to cancel every operation in flight
 *
 * The CANCEL's own CQE has res 0, -ENOENT or -EALREADY (with
 * ASYNCX_CANCEL_ALL: how many were cancelled); each cancelled operation
 * then completes with -ECANCELED.
 */
static inline void asyncx_prep_cancel(struct asyncx_sqe *sqe, __u64 user_data,
				      unsigned int flags)
{
	asyncx_prep_rw(ASYNCX_OP_CANCEL, sqe, 0, NULL, 0, 0);
	sqe->addr = flags & ASYNCX_CANCEL_ALL ? 0 : user_data;
	sqe->op_flags = flags;
}

/**
 * asyncx_prep_probe() - prepare a probe of the supported operations
 * @sqe: the SQE
 * @probe: a zeroed struct asyncx_probe followed by room for @nr ops
 * @nr: entries of probe->ops
 *
 * The CQE has res 0 when @probe has been filled in.
 */
static inline void asyncx_prep_probe(struct asyncx_sqe *sqe,
				     struct asyncx_probe *probe,
				     unsigned int nr)
{
	asyncx_prep_rw(ASYNCX_OP_PROBE, sqe, 0, probe, nr, 0);
}

/**
 * asyncx_register_eventfd() - signal an eventfd on every completion
 * @ring: the ring
 * @efd: an eventfd (see eventfd(2))
 *
 * Return: 0, or -EBUSY if one is registered, -EBADF/-EINVAL for a file
 * that is not an eventfd.
 */
int asyncx_register_eventfd(struct asyncx_ring *ring, int efd);

/**
 * asyncx_unregister_eventfd() - stop signalling the registered eventfd
 * @ring: the ring
 *
 * Return: 0, or -ENXIO if none is registered.
 */
int asyncx_unregister_eventfd(struct asyncx_ring *ring);

/**
 * asyncx_prep_poll() - prepare a one-shot poll of a file
 * @sqe: the SQE
 * @fd: the file; it must support poll (else the CQE has -EINVAL)
 * @events: POLLIN, POLLOUT, POLLPRI, POLLERR, POLLHUP and POLLRDHUP bits
 *
 * The CQE comes when the file is ready, with res the ready events (POLLERR
 * and POLLHUP are always reported), or a negative errno.
 */
static inline void asyncx_prep_poll(struct asyncx_sqe *sqe, int fd,
				    unsigned int events)
{
	asyncx_prep_rw(ASYNCX_OP_POLL, sqe, fd, NULL, events, 0);
}

/**
 * asyncx_prep_poll_multishot() - prepare a poll that reports every readiness
 * @sqe: the SQE
 * @fd: the file
 * @events: as asyncx_prep_poll()
 *
 * Each readiness the module sees posts a CQE with ASYNCX_CQE_F_MORE; the
 * poll stays armed until the ring is closed or an error ends it, and its
 * last CQE (-ECANCELED on close, or the error) has no ASYNCX_CQE_F_MORE.
 */
static inline void asyncx_prep_poll_multishot(struct asyncx_sqe *sqe, int fd,
					      unsigned int events)
{
	asyncx_prep_poll(sqe, fd, events);
	sqe->op_flags = ASYNCX_POLL_MULTISHOT;
}

/**
 * asyncx_prep_read() - prepare a read into a buffer
 * @sqe: the SQE
 * @fd: the file, open for reading
 * @buf: the buffer; it must stay valid until the CQE comes
 * @len: its size in bytes
 * @off: the file offset, or (__u64)-1 for the file position, which the
 *	read then advances
 *
 * The CQE's res is the number of bytes read (0 at end of file) or a
 * negative errno.
 */
static inline void asyncx_prep_read(struct asyncx_sqe *sqe, int fd, void *buf,
				    unsigned int len, __u64 off)
{
	asyncx_prep_rw(ASYNCX_OP_READ, sqe, fd, buf, len, off);
}

/**
 * asyncx_prep_write() - prepare a write from a buffer
 * @sqe: the SQE
 * @fd: the file, open for writing
 * @buf: the data; it must stay valid until the CQE comes
 * @len: its size in bytes
 * @off: the file offset, or (__u64)-1 for the file position, which the
 *	write then advances
 *
 * The CQE's res is the number of bytes written or a negative errno.
 */
static inline void asyncx_prep_write(struct asyncx_sqe *sqe, int fd,
				     const void *buf, unsigned int len,
				     __u64 off)
{
	asyncx_prep_rw(ASYNCX_OP_WRITE, sqe, fd, buf, len, off);
}

/**
 * asyncx_prep_readv() - prepare a vectored read, as preadv(2)
 * @sqe: the SQE
 * @fd: the file, open for reading
 * @iov: the buffers; the array is read at submission, the buffers must
 *	stay valid until the CQE comes
 * @nr_vecs: entries of @iov (at most 1024)
 * @off: the file offset, or (__u64)-1 for the file position
 *
 * The CQE's res is the number of bytes read or a negative errno.
 */
static inline void asyncx_prep_readv(struct asyncx_sqe *sqe, int fd,
				     const struct iovec *iov,
				     unsigned int nr_vecs, __u64 off)
{
	asyncx_prep_rw(ASYNCX_OP_READV, sqe, fd, iov, nr_vecs, off);
}

/**
 * asyncx_prep_writev() - prepare a vectored write, as pwritev(2)
 * @sqe: the SQE
 * @fd: the file, open for writing
 * @iov: the buffers (see asyncx_prep_readv())
 * @nr_vecs: entries of @iov (at most 1024)
 * @off: the file offset, or (__u64)-1 for the file position
 *
 * The CQE's res is the number of bytes written or a negative errno.
 */
static inline void asyncx_prep_writev(struct asyncx_sqe *sqe, int fd,
				      const struct iovec *iov,
				      unsigned int nr_vecs, __u64 off)
{
	asyncx_prep_rw(ASYNCX_OP_WRITEV, sqe, fd, iov, nr_vecs, off);
}

/**
 * asyncx_prep_fsync_range() - prepare an fsync or fdatasync of a range
 * @sqe: the SQE
 * @fd: the file
 * @off: where the range starts
 * @len: its length in bytes; 0 for up to the end of the file
 * @flags: 0 (fsync(2)) or ASYNCX_FSYNC_DATASYNC (fdatasync(2))
 *
 * The CQE's res is 0 or a negative errno.
 */
static inline void asyncx_prep_fsync_range(struct asyncx_sqe *sqe, int fd,
					   __u64 off, __u64 len,
					   unsigned int flags)
{
	asyncx_prep_rw(ASYNCX_OP_FSYNC, sqe, fd, NULL, 0, off);
	sqe->addr = len;
	sqe->op_flags = flags;
}

/**
 * asyncx_prep_fsync() - prepare an fsync(2) or fdatasync(2) of a file
 * @sqe: the SQE
 * @fd: the file
 * @flags: 0 or ASYNCX_FSYNC_DATASYNC
 *
 * The CQE's res is 0 or a negative errno.
 */
static inline void asyncx_prep_fsync(struct asyncx_sqe *sqe, int fd,
				     unsigned int flags)
{
	asyncx_prep_fsync_range(sqe, fd, 0, 0, flags);
}

/**
 * asyncx_prep_fallocate() - prepare a fallocate(2)
 * @sqe: the SQE
 * @fd: the file, open for writing
 * @mode: FALLOC_FL_* flags, or 0
 * @off: where the range starts
 * @len: its length in bytes
 *
 * The CQE's res is 0 or a negative errno.
 */
static inline void asyncx_prep_fallocate(struct asyncx_sqe *sqe, int fd,
					 int mode, __u64 off, __u64 len)
{
	asyncx_prep_rw(ASYNCX_OP_FALLOCATE, sqe, fd, NULL, (unsigned int)mode,
		       off);
	sqe->addr = len;
}

/**
 * asyncx_prep_openat() - prepare an openat(2)
 * @sqe: the SQE
 * @dfd: the directory a relative @path starts from, or AT_FDCWD
 * @path: the path name; read at submission
 * @flags: O_* open flags
 * @mode: the mode of a file O_CREAT or O_TMPFILE makes
 *
 * The CQE's res is the new file descriptor, installed in the submitting
 * thread's table, or a negative errno.
 */
static inline void asyncx_prep_openat(struct asyncx_sqe *sqe, int dfd,
				      const char *path, int flags,
				      unsigned int mode)
{
	asyncx_prep_rw(ASYNCX_OP_OPENAT, sqe, dfd, path, mode, 0);
	sqe->op_flags = (__u32)flags;
}

/**
 * asyncx_prep_close() - prepare a close(2)
 * @sqe: the SQE
 * @fd: the descriptor, in the submitting thread's table
 *
 * The CQE's res is 0 or a negative errno (-EBADF for a bad descriptor or
 * an asyncx context).
 */
static inline void asyncx_prep_close(struct asyncx_sqe *sqe, int fd)
{
	asyncx_prep_rw(ASYNCX_OP_CLOSE, sqe, fd, NULL, 0, 0);
}

struct statx;

/**
 * asyncx_prep_statx() - prepare a statx(2)
 * @sqe: the SQE
 * @dfd: the directory a relative @path starts from, or AT_FDCWD
 * @path: the path name (read at submission); "" with AT_EMPTY_PATH for
 *	@dfd itself
 * @flags: AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH,
 *	AT_STATX_SYNC_TYPE bits
 * @mask: the STATX_* fields wanted
 * @statxbuf: filled when the CQE comes; valid until then
 *
 * The CQE's res is 0 or a negative errno.
 */
static inline void asyncx_prep_statx(struct asyncx_sqe *sqe, int dfd,
				     const char *path, int flags,
				     unsigned int mask, struct statx *statxbuf)
{
	asyncx_prep_rw(ASYNCX_OP_STATX, sqe, dfd, path, mask,
		       (__u64)(uintptr_t)statxbuf);
	sqe->op_flags = (__u32)flags;
}

/**
 * asyncx_prep_sock_send() - prepare a send(2) on a socket
 * @sqe: the SQE
 * @sockfd: the socket
 * @buf: the data; it must stay valid until the CQE comes
 * @len: its size in bytes
 * @flags: MSG_* flags, as send(2) takes them
 *
 * The CQE's res is the number of bytes sent or a negative errno.
 */
static inline void asyncx_prep_sock_send(struct asyncx_sqe *sqe, int sockfd,
					 const void *buf, unsigned int len,
					 int flags)
{
	asyncx_prep_rw(ASYNCX_OP_SOCK_SEND, sqe, sockfd, buf, len,
		       (__u32)flags);
}

/**
 * asyncx_prep_sock_recv() - prepare a recv(2) on a socket
 * @sqe: the SQE
 * @sockfd: the socket
 * @buf: where to receive to; valid until the CQE comes
 * @len: its size in bytes
 * @flags: MSG_* flags, as recv(2) takes them
 *
 * The CQE's res is the number of bytes received (0: the peer shut down)
 * or a negative errno.
 */
static inline void asyncx_prep_sock_recv(struct asyncx_sqe *sqe, int sockfd,
					 void *buf, unsigned int len, int flags)
{
	asyncx_prep_rw(ASYNCX_OP_SOCK_RECV, sqe, sockfd, buf, len,
		       (__u32)flags);
}

/**
 * asyncx_prep_sock_recv_pbuf() - prepare a recv(2) into a provided buffer
 * @sqe: the SQE
 * @sockfd: the socket
 * @bgid: the group id of a provided-buffer ring
 *	(asyncx_register_pbuf_ring())
 * @len: the most to receive; 0: a whole buffer
 * @flags: MSG_* flags (no MSG_WAITALL)
 *
 * The buffer is taken from the ring only when data is there, so a waiting
 * socket holds none. The CQE's res is the number of bytes received (0:
 * the peer shut down) or a negative errno (-ENOBUFS: the ring was empty);
 * with res > 0, its flags have ASYNCX_CQE_F_BUFFER and the buffer's id,
 * ASYNCX_CQE_BUFFER_ID(flags).
 */
static inline void asyncx_prep_sock_recv_pbuf(struct asyncx_sqe *sqe,
					      int sockfd, unsigned short bgid,
					      unsigned int len, int flags)
{
	asyncx_prep_rw(ASYNCX_OP_SOCK_RECV, sqe, sockfd, NULL, len,
		       (__u32)flags);
	sqe->op_flags = ASYNCX_SOCK_RECV_PBUF;
	sqe->buf_index = bgid;
}

/**
 * asyncx_prep_sock_recv_multishot() - prepare a recv that goes on, each
 *	into a provided buffer
 * @sqe: the SQE
 * @sockfd: the socket
 * @bgid: the group id of a provided-buffer ring
 * @flags: MSG_* flags (no MSG_WAITALL, no MSG_PEEK)
 *
 * One CQE per receive, as asyncx_prep_sock_recv_pbuf()'s, with
 * ASYNCX_CQE_F_MORE while it goes on; the last (the peer's shutdown, res
 * 0; an error, -ENOBUFS when the ring ran dry; a cancel; a full CQ) comes
 * without it.
 */
static inline void asyncx_prep_sock_recv_multishot(struct asyncx_sqe *sqe,
						   int sockfd,
						   unsigned short bgid,
						   int flags)
{
	asyncx_prep_sock_recv_pbuf(sqe, sockfd, bgid, 0, flags);
	sqe->op_flags |= ASYNCX_SOCK_RECV_MULTISHOT;
}

struct sockaddr;

/**
 * asyncx_prep_accept() - prepare an accept4(2)
 * @sqe: the SQE
 * @sockfd: the listening socket
 * @addr: where the peer's address goes, or NULL
 * @addrlen: its size in bytes, set to the address's length; NULL with
 *	@addr NULL
 * @flags: SOCK_NONBLOCK and SOCK_CLOEXEC, for the new socket
 *
 * The CQE's res is the new socket's descriptor, in the submitting
 * thread's table, or a negative errno (-EPERM: the module's net_ops
 * parameter is off).
 */
static inline void asyncx_prep_accept(struct asyncx_sqe *sqe, int sockfd,
				      struct sockaddr *addr,
				      unsigned int *addrlen, int flags)
{
	asyncx_prep_rw(ASYNCX_OP_ACCEPT, sqe, sockfd, addr, (unsigned int)flags,
		       (__u64)(uintptr_t)addrlen);
}

/**
 * asyncx_prep_multishot_accept() - prepare an accept that goes on
 * @sqe: the SQE
 * @sockfd: the listening socket
 * @addr: where each peer's address goes, or NULL
 * @addrlen: as asyncx_prep_accept()
 * @flags: as asyncx_prep_accept()
 *
 * One CQE per connection, with ASYNCX_CQE_F_MORE while it goes on; the
 * last (an error, a cancel, a full CQ) comes without it.
 */
static inline void asyncx_prep_multishot_accept(struct asyncx_sqe *sqe,
						int sockfd,
						struct sockaddr *addr,
						unsigned int *addrlen,
						int flags)
{
	asyncx_prep_accept(sqe, sockfd, addr, addrlen, flags);
	sqe->op_flags = ASYNCX_ACCEPT_MULTISHOT;
}

/**
 * asyncx_prep_connect() - prepare a connect(2)
 * @sqe: the SQE
 * @sockfd: the socket
 * @addr: the address; read at submission
 * @addrlen: its length
 *
 * The CQE's res is 0 once connected, or a negative errno.
 */
static inline void asyncx_prep_connect(struct asyncx_sqe *sqe, int sockfd,
				       const struct sockaddr *addr,
				       unsigned int addrlen)
{
	asyncx_prep_rw(ASYNCX_OP_CONNECT, sqe, sockfd, addr, addrlen, 0);
}

struct msghdr;

/**
 * asyncx_prep_sendmsg() - prepare a sendmsg(2)
 * @sqe: the SQE
 * @sockfd: the socket
 * @msg: the message: it, its iovec array, address and control messages
 *	are read at submission; the data must stay valid until the CQE comes
 * @flags: MSG_* flags
 *
 * The CQE's res is the number of bytes sent or a negative errno.
 */
static inline void asyncx_prep_sendmsg(struct asyncx_sqe *sqe, int sockfd,
				       const struct msghdr *msg,
				       unsigned int flags)
{
	asyncx_prep_rw(ASYNCX_OP_SENDMSG, sqe, sockfd, msg, 0, flags);
}

/**
 * asyncx_prep_recvmsg() - prepare a recvmsg(2)
 * @sqe: the SQE
 * @sockfd: the socket
 * @msg: the message: its iovec array is read at submission; the buffers,
 *	the address and control buffers, and @msg itself (msg_namelen,
 *	msg_controllen and msg_flags are written back) stay valid until the
 *	CQE comes
 * @flags: MSG_* flags
 *
 * The CQE's res is the number of bytes received or a negative errno.
 */
static inline void asyncx_prep_recvmsg(struct asyncx_sqe *sqe, int sockfd,
				       struct msghdr *msg, unsigned int flags)
{
	asyncx_prep_rw(ASYNCX_OP_RECVMSG, sqe, sockfd, msg, 0, flags);
}

/**
 * asyncx_prep_shutdown() - prepare a shutdown(2)
 * @sqe: the SQE
 * @sockfd: the socket
 * @how: SHUT_RD, SHUT_WR or SHUT_RDWR
 *
 * The CQE's res is 0 or a negative errno.
 */
static inline void asyncx_prep_shutdown(struct asyncx_sqe *sqe, int sockfd,
					int how)
{
	asyncx_prep_rw(ASYNCX_OP_SHUTDOWN, sqe, sockfd, NULL,
		       (unsigned int)how, 0);
}

/*
 * Composition in the ring: groups, deadlines, retry policies. The setters
 * add to what a prep helper filled in (they may come before or after it);
 * see the uapi header and Documentation/composition.rst.
 */

/**
 * asyncx_prep_group() - prepare a GROUP, which opens a group of members
 * @sqe: the SQE
 * @id: the group id, 1..65535, not open on this ring
 * @nr: the number of members (1..ASYNCX_GROUP_MAX): the next @nr SQEs
 *	marked with asyncx_sqe_set_group(@id)
 * @flags: 0 for a JOIN group, ASYNCX_GROUP_SELECT for a SELECT group
 *
 * The group's CQE comes after its members': for a JOIN group res is 0 or
 * the first member error and ASYNCX_CQE_GROUP_COUNT(flags) the members
 * that succeeded; for a SELECT group res is the winner's and
 * ASYNCX_CQE_GROUP_COUNT(flags) its index among the members (the winner's
 * own CQE has ASYNCX_CQE_F_WINNER).
 */
static inline void asyncx_prep_group(struct asyncx_sqe *sqe, unsigned int id,
				     unsigned int nr, unsigned int flags)
{
	asyncx_prep_rw(ASYNCX_OP_GROUP, sqe, 0, NULL, nr, 0);
	sqe->op_flags = flags;
	sqe->group = (__u16)id;
}

/**
 * asyncx_prep_join_group() - prepare a JOIN group of @nr members
 * @sqe: the SQE
 * @id: the group id
 * @nr: the number of members
 */
static inline void asyncx_prep_join_group(struct asyncx_sqe *sqe,
					  unsigned int id, unsigned int nr)
{
	asyncx_prep_group(sqe, id, nr, 0);
}

/**
 * asyncx_prep_select_group() - prepare a SELECT (race) group of @nr members
 * @sqe: the SQE
 * @id: the group id
 * @nr: the number of members
 */
static inline void asyncx_prep_select_group(struct asyncx_sqe *sqe,
					    unsigned int id, unsigned int nr)
{
	asyncx_prep_group(sqe, id, nr, ASYNCX_GROUP_SELECT);
}

/**
 * asyncx_sqe_set_group() - make the SQE a member of group @id
 * @sqe: the SQE (not linked, not a GROUP)
 * @id: the id its GROUP opened
 */
static inline void asyncx_sqe_set_group(struct asyncx_sqe *sqe,
					unsigned int id)
{
	sqe->flags |= ASYNCX_SQE_GROUP;
	sqe->group = (__u16)id;
}

/**
 * asyncx_sqe_set_deadline() - complete with -ETIME if not done in time
 * @sqe: the SQE
 * @ns: nanoseconds after the submission (more than 0)
 */
static inline void asyncx_sqe_set_deadline(struct asyncx_sqe *sqe, __u64 ns)
{
	sqe->flags |= ASYNCX_SQE_DEADLINE;
	sqe->cflags &= (__u8)~ASYNCX_CF_DEADLINE_ABS;
	sqe->deadline = ns;
}

/**
 * asyncx_sqe_set_deadline_abs() - complete with -ETIME if not done by @ns
 * @sqe: the SQE
 * @ns: a CLOCK_MONOTONIC time in nanoseconds; one already passed completes
 *	the operation at once with -ETIME
 */
static inline void asyncx_sqe_set_deadline_abs(struct asyncx_sqe *sqe,
					       __u64 ns)
{
	sqe->flags |= ASYNCX_SQE_DEADLINE;
	sqe->cflags |= ASYNCX_CF_DEADLINE_ABS;
	sqe->deadline = ns;
}

/**
 * asyncx_sqe_set_chain_deadline() - a deadline for the whole chain
 * @sqe: the first SQE of a chain (ASYNCX_SQE_LINK)
 * @ns: nanoseconds after the submission
 *
 * The member running when it passes completes with -ETIME, the rest with
 * -ECANCELED.
 */
static inline void asyncx_sqe_set_chain_deadline(struct asyncx_sqe *sqe,
						 __u64 ns)
{
	asyncx_sqe_set_deadline(sqe, ns);
	sqe->cflags |= ASYNCX_CF_DEADLINE_CHAIN;
}

/**
 * asyncx_sqe_set_retry() - retry the operation with exponential backoff
 * @sqe: the SQE
 * @attempts: attempts in all (1..255)
 * @base_us: the delay before the second attempt, in microseconds
 * @cap_us: the longest delay (at least @base_us)
 * @errs: ASYNCX_RETRY_E* bits: the results that are retried (0: the
 *	default, ASYNCX_RETRY_DEFAULT)
 * @jitter: draw each delay between half of it and all of it
 *
 * Only the last attempt posts a CQE; asyncx_cqe_attempts() tells how many
 * ran.
 */
static inline void asyncx_sqe_set_retry(struct asyncx_sqe *sqe,
					unsigned int attempts,
					unsigned int base_us,
					unsigned int cap_us, unsigned int errs,
					int jitter)
{
	sqe->flags |= ASYNCX_SQE_RETRY;
	sqe->retry_max = (__u8)attempts;
	sqe->retry_base_us = base_us;
	sqe->retry_cap_us = cap_us;
	sqe->retry_errs = (__u16)errs;
	if (jitter)
		sqe->cflags |= ASYNCX_CF_RETRY_JITTER;
	else
		sqe->cflags &= (__u8)~ASYNCX_CF_RETRY_JITTER;
}

/**
 * asyncx_cqe_attempts() - attempts made by a retried operation
 * @cqe: the CQE of an SQE with asyncx_sqe_set_retry()
 *
 * Return: 1..255.
 */
static inline unsigned int asyncx_cqe_attempts(const struct asyncx_cqe *cqe)
{
	return ASYNCX_CQE_ATTEMPTS(cqe->flags);
}

/**
 * asyncx_cqe_is_group() - is this the CQE of a GROUP?
 * @cqe: the CQE
 *
 * Return: non-zero for a group's CQE.
 */
static inline int asyncx_cqe_is_group(const struct asyncx_cqe *cqe)
{
	return !!(cqe->flags & ASYNCX_CQE_F_GROUP);
}

/**
 * asyncx_cqe_group_count() - a group CQE's count
 * @cqe: the CQE of a GROUP
 *
 * Return: JOIN: the members that succeeded; SELECT: the winner's index
 * among the members, from 0 in the order they were submitted.
 */
static inline unsigned int asyncx_cqe_group_count(const struct asyncx_cqe *cqe)
{
	return ASYNCX_CQE_GROUP_COUNT(cqe->flags);
}

/*
 * Registered buffers and files (ASYNCX_0.3). As io_uring's
 * io_uring_register_buffers() and IOSQE_FIXED_FILE: buffers pinned once and
 * files looked up once, then named by index in SQEs.
 */

/**
 * asyncx_register_buffers() - pin buffers once for fixed READs and WRITEs
 * @ring: the ring
 * @iovecs: the buffers; buffer i is the one asyncx_prep_read_fixed() and
 *	asyncx_prep_write_fixed() name by buf_index i
 * @nr_iovecs: 1..ASYNCX_RSRC_MAX_BUFFERS; each buffer 1 byte to
 *	ASYNCX_RSRC_MAX_BUF_LEN, in anonymous or shmem memory
 *
 * The pages are pinned until asyncx_unregister_buffers() or the ring's
 * close, and count against RLIMIT_MEMLOCK (unless CAP_IPC_LOCK).
 *
 * Return: 0, or -EBUSY if buffers are registered already, -EINVAL for a bad
 * count or length, -EFAULT for memory that cannot be pinned, -ENOMEM over
 * RLIMIT_MEMLOCK.
 */
int asyncx_register_buffers(struct asyncx_ring *ring,
			    const struct iovec *iovecs, unsigned int nr_iovecs);

/**
 * asyncx_unregister_buffers() - unregister and unpin the buffers
 * @ring: the ring
 *
 * Blocks until the fixed READs and WRITEs in flight have completed: call it
 * from a thread that is not needed for them to complete. New fixed
 * operations fail with -ENXIO from the moment it starts.
 *
 * Return: 0, or -ENXIO if none are registered, -EINTR if a fatal signal
 * ended the wait.
 */
int asyncx_unregister_buffers(struct asyncx_ring *ring);

/**
 * asyncx_register_files() - register files to be named by index
 * @ring: the ring
 * @fds: the files' descriptors; index i names fds[i]; -1 leaves a slot
 *	empty
 * @nr_fds: 1..ASYNCX_RSRC_MAX_FILES, and at most RLIMIT_NOFILE
 *
 * The ring holds a reference to each file: the descriptors may be closed
 * afterwards.
 *
 * Return: 0, or -EBUSY if files are registered already, -EINVAL for a bad
 * count, -EMFILE over RLIMIT_NOFILE, -EBADF for a bad descriptor or an
 * asyncx ring.
 */
int asyncx_register_files(struct asyncx_ring *ring, const int *fds,
			  unsigned int nr_fds);

/**
 * asyncx_unregister_files() - drop the registered files
 * @ring: the ring
 *
 * Operations in flight keep the files they use.
 *
 * Return: 0, or -ENXIO if none are registered.
 */
int asyncx_unregister_files(struct asyncx_ring *ring);

/**
 * asyncx_register_pbuf_ring() - register a provided-buffer ring
 * @ring: the ring
 * @br: the provided-buffer ring: @entries struct asyncx_pbuf, page
 *	aligned, its tail 0 (asyncx_pbuf_init())
 * @entries: a power of two, 1..ASYNCX_PBUF_MAX_ENTRIES
 * @bgid: its group id, which receives name (asyncx_prep_sock_recv_pbuf())
 *
 * Return: 0, or -EEXIST if the group has a ring, -EINVAL for a bad
 * address or count, -ENOSPC over ASYNCX_PBUF_MAX_RINGS.
 */
int asyncx_register_pbuf_ring(struct asyncx_ring *ring, struct asyncx_pbuf *br,
			      unsigned int entries, unsigned short bgid);

/**
 * asyncx_unregister_pbuf_ring() - unregister a provided-buffer ring
 * @ring: the ring
 * @bgid: its group id
 *
 * Receives that would take one of its buffers from now on, those in
 * flight included, complete with -ENOBUFS; the memory is the caller's
 * again when this returns.
 *
 * Return: 0, or -ENOENT if the group has no ring.
 */
int asyncx_unregister_pbuf_ring(struct asyncx_ring *ring, unsigned short bgid);

/**
 * asyncx_setup_pbuf_ring() - map, initialise and register a
 *	provided-buffer ring
 * @ring: the ring
 * @entries: a power of two, 1..ASYNCX_PBUF_MAX_ENTRIES
 * @bgid: its group id
 * @err: the negative errno on failure
 *
 * Return: the provided-buffer ring, empty, or NULL (*@err says why). Free
 * it with asyncx_free_pbuf_ring().
 */
struct asyncx_pbuf *asyncx_setup_pbuf_ring(struct asyncx_ring *ring,
					   unsigned int entries,
					   unsigned short bgid, int *err);

/**
 * asyncx_free_pbuf_ring() - unregister and unmap a ring of
 *	asyncx_setup_pbuf_ring()
 * @ring: the ring
 * @br: the provided-buffer ring
 * @entries: its entries
 * @bgid: its group id
 *
 * Return: 0, or the negative errno of the unregister (the memory is
 * unmapped all the same).
 */
int asyncx_free_pbuf_ring(struct asyncx_ring *ring, struct asyncx_pbuf *br,
			  unsigned int entries, unsigned short bgid);

/**
 * asyncx_pbuf_init() - make a provided-buffer ring empty (tail 0)
 * @br: the provided-buffer ring, before its registration
 */
static inline void asyncx_pbuf_init(struct asyncx_pbuf *br)
{
	br[0].resv = 0;
}

/**
 * asyncx_pbuf_mask() - the index mask of a provided-buffer ring
 * @entries: its entries
 *
 * Return: @entries - 1.
 */
static inline unsigned int asyncx_pbuf_mask(unsigned int entries)
{
	return entries - 1;
}

/**
 * asyncx_pbuf_add() - write a buffer into the ring, not yet published
 * @br: the provided-buffer ring
 * @addr: the buffer
 * @len: its length in bytes
 * @bid: its id, which the CQE that fills it gives back
 * @mask: asyncx_pbuf_mask() of the ring
 * @offset: the how-many-th buffer of this batch, from 0
 *
 * The buffers added are the kernel's once asyncx_pbuf_advance() publishes
 * them.
 */
static inline void asyncx_pbuf_add(struct asyncx_pbuf *br, void *addr,
				   unsigned int len, unsigned short bid,
				   unsigned int mask, unsigned int offset)
{
	unsigned short tail = __atomic_load_n(&br[0].resv, __ATOMIC_RELAXED);
	struct asyncx_pbuf *e = &br[(tail + offset) & mask];

	e->addr = (__u64)(uintptr_t)addr;
	e->len = len;
	e->bid = bid;
}

/**
 * asyncx_pbuf_advance() - publish the buffers added
 * @br: the provided-buffer ring
 * @count: how many asyncx_pbuf_add() wrote
 */
static inline void asyncx_pbuf_advance(struct asyncx_pbuf *br,
				       unsigned int count)
{
	unsigned short tail = __atomic_load_n(&br[0].resv, __ATOMIC_RELAXED);

	__atomic_store_n(&br[0].resv, (unsigned short)(tail + count),
			 __ATOMIC_RELEASE);
}

/**
 * asyncx_prep_read_fixed() - prepare a read into a registered buffer
 * @sqe: the SQE
 * @fd: the file (or, with asyncx_sqe_set_fixed_file(), its index)
 * @buf: where to read to: [buf, buf + len) lies inside buffer @buf_index
 *	(else the CQE has -EFAULT)
 * @len: bytes
 * @off: the file offset, or (__u64)-1 for the file position
 * @buf_index: the registered buffer
 *
 * As asyncx_prep_read(), without pinning or mapping the memory per
 * operation. -ENXIO in the CQE when no buffers are registered.
 */
static inline void asyncx_prep_read_fixed(struct asyncx_sqe *sqe, int fd,
					  void *buf, unsigned int len,
					  __u64 off, int buf_index)
{
	asyncx_prep_rw(ASYNCX_OP_READ, sqe, fd, buf, len, off);
	sqe->op_flags = ASYNCX_RW_FIXED;
	sqe->buf_index = (__u16)buf_index;
}

/**
 * asyncx_prep_write_fixed() - prepare a write from a registered buffer
 * @sqe: the SQE
 * @fd: the file (or, with asyncx_sqe_set_fixed_file(), its index)
 * @buf: the data: [buf, buf + len) lies inside buffer @buf_index
 * @len: bytes
 * @off: the file offset, or (__u64)-1 for the file position
 * @buf_index: the registered buffer
 *
 * As asyncx_prep_write(), from a registered buffer.
 */
static inline void asyncx_prep_write_fixed(struct asyncx_sqe *sqe, int fd,
					   const void *buf, unsigned int len,
					   __u64 off, int buf_index)
{
	asyncx_prep_rw(ASYNCX_OP_WRITE, sqe, fd, buf, len, off);
	sqe->op_flags = ASYNCX_RW_FIXED;
	sqe->buf_index = (__u16)buf_index;
}

/**
 * asyncx_sqe_set_fixed_file() - the SQE's fd is a registered file index
 * @sqe: a READ, WRITE or POLL SQE (others complete with -EINVAL)
 *
 * Sets ASYNCX_SQE_FIXED_FILE, keeping the other flags: call it after
 * asyncx_sqe_set_flags(). A bad index completes with -EBADF.
 */
static inline void asyncx_sqe_set_fixed_file(struct asyncx_sqe *sqe)
{
	sqe->flags |= ASYNCX_SQE_FIXED_FILE;
}

/**
 * DOC: channels
 *
 * A channel is a bounded FIFO queue of messages on a ring's context
 * (Documentation/channels.rst, "Channels on a context"): the threads of the
 * process pass messages through it with SEND and RECV SQEs. Create one
 * with asyncx_chan_create(); its id goes in the SQEs. The ring is shared
 * by the threads, so its SQ and CQ need the caller's own locking, as with
 * every other operation.
 */

/**
 * asyncx_chan_create() - create a channel on the ring's context
 * @ring: the ring
 * @capacity: messages it holds at most (1..ASYNCX_CHAN_MAX_CAPACITY); a
 *	SEND to a full channel waits until a RECV makes room
 * @msg_size: bytes of one message at most (1..ASYNCX_CHAN_MAX_MSG)
 *
 * Return: the channel's id (>= 1), or -EINVAL for a bad size, -ENOSPC
 * when the context has ASYNCX_CHAN_MAX channels, -ENOTTY for a module
 * without channels, -ENOMEM.
 */
int asyncx_chan_create(struct asyncx_ring *ring, unsigned int capacity,
		       unsigned int msg_size);

/**
 * asyncx_chan_destroy() - destroy a channel
 * @ring: the ring
 * @id: the channel's id
 *
 * Waiting SENDs and RECVs of the channel complete with -EPIPE.
 *
 * Return: the number of queued messages that were discarded (>= 0), or
 * -ENOENT for an unknown id.
 */
int asyncx_chan_destroy(struct asyncx_ring *ring, int id);

/**
 * asyncx_prep_send() - prepare a send of one message
 * @sqe: the SQE
 * @chan: the channel's id
 * @msg: the message; copied when the module consumes the SQE, so it may
 *	be reused as soon as asyncx_submit() returns
 * @len: its size in bytes, at most the channel's msg_size
 *
 * The CQE's res is @len once the message is in the channel (a full
 * channel delays it: backpressure), or -EPIPE (destroyed), -EMSGSIZE,
 * -ENOENT (unknown id), -EFAULT.
 */
static inline void asyncx_prep_send(struct asyncx_sqe *sqe, int chan,
				    const void *msg, unsigned int len)
{
	asyncx_prep_rw(ASYNCX_OP_SEND, sqe, chan, msg, len, 0);
}

/**
 * asyncx_prep_recv() - prepare a receive of one message
 * @sqe: the SQE
 * @chan: the channel's id
 * @buf: the buffer; it must stay valid until the CQE comes
 * @len: its size, at least the channel's msg_size
 *
 * The CQE comes when a message has been copied to @buf: res is its
 * length, or -EPIPE (destroyed), -EINVAL (@len too small), -ENOENT.
 */
static inline void asyncx_prep_recv(struct asyncx_sqe *sqe, int chan,
				    void *buf, unsigned int len)
{
	asyncx_prep_rw(ASYNCX_OP_RECV, sqe, chan, buf, len, 0);
}

/**
 * asyncx_prep_recv_multishot() - prepare a stream of receives into slots
 * @sqe: the SQE
 * @chan: the channel's id
 * @buf: @len / msg_size slots of msg_size bytes; valid until the last CQE
 * @len: its size
 *
 * Message k goes to slot k (at @buf + k * msg_size) and posts a CQE with
 * its length and ASYNCX_CQE_F_MORE; ASYNCX_CQE_SLOT(cqe->flags) is k. The
 * last CQE, without ASYNCX_CQE_F_MORE, has res the number of slots once
 * all are filled, or -EPIPE / -ECANCELED when destroy or a cancellation
 * ends the stream early.
 */
static inline void asyncx_prep_recv_multishot(struct asyncx_sqe *sqe,
					      int chan, void *buf,
					      unsigned int len)
{
	asyncx_prep_recv(sqe, chan, buf, len);
	sqe->op_flags = ASYNCX_RECV_MULTISHOT;
}

#ifdef __cplusplus
}
#endif

#endif /* ASYNCX_H */
