// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libasyncx: setting up and tearing down rings, submitting and waiting.
 *
 * Everything here enters the kernel (open, ioctl, mmap); the paths that do
 * not are inline in include/asyncx.h. The ring index protocol and the
 * locking rule are described there and in Documentation/libasyncx.rst.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "asyncx.h"
#include "internal.h"

#define NSEC_PER_SEC	1000000000ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int is_pow2(unsigned int v)
{
	return v && !(v & (v - 1));
}

/*
 * Check that the __u32 fields at @offs[0..@n) are aligned and do not
 * overlap, and return where the last one ends, or 0 when they are bad.
 */
static size_t fields_end(const __u32 *offs, unsigned int n)
{
	size_t end = 0;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		if (offs[i] % sizeof(__u32))
			return 0;
		for (j = 0; j < i; j++)
			if (offs[i] == offs[j])
				return 0;
		if ((size_t)offs[i] + sizeof(__u32) > end)
			end = (size_t)offs[i] + sizeof(__u32);
	}
	return end;
}

/*
 * __asyncx_ring_layout() - check what ASYNCX_IOC_SETUP returned in @p and
 * compute the sizes of the three mappings into @l. Returns 0, or -EPROTO
 * when the sizes or offsets make no sense (a module this library does not
 * understand).
 */
int __asyncx_ring_layout(const struct asyncx_params *p,
			 struct asyncx_ring_layout *l)
{
	const struct asyncx_sq_offsets *so = &p->sq_off;
	const struct asyncx_cq_offsets *co = &p->cq_off;
	const __u32 sq_fields[] = {
		so->head, so->tail, so->ring_mask, so->ring_entries,
		so->flags, so->dropped,
	};
	const __u32 cq_fields[] = {
		co->head, co->tail, co->ring_mask, co->ring_entries,
		co->overflow,
	};
	size_t cqes_end, cq_fields_end;
	unsigned int i;

	if (!is_pow2(p->sq_entries) || p->sq_entries > ASYNCX_MAX_ENTRIES ||
	    !is_pow2(p->cq_entries) || p->cq_entries < p->sq_entries ||
	    p->cq_entries > 2 * ASYNCX_MAX_ENTRIES)
		return -EPROTO;

	l->sq_ring_sz = fields_end(sq_fields, ARRAY_SIZE(sq_fields));
	cq_fields_end = fields_end(cq_fields, ARRAY_SIZE(cq_fields));
	/* CQEs start with a __u64. */
	if (!l->sq_ring_sz || !cq_fields_end || co->cqes % sizeof(__u64))
		return -EPROTO;

	/* The CQE array must not overlap the CQ ring's index fields. */
	cqes_end = (size_t)co->cqes +
		   (size_t)p->cq_entries * sizeof(struct asyncx_cqe);
	for (i = 0; i < ARRAY_SIZE(cq_fields); i++)
		if (cq_fields[i] + sizeof(__u32) > co->cqes &&
		    cq_fields[i] < cqes_end)
			return -EPROTO;

	l->cq_ring_sz = cqes_end > cq_fields_end ? cqes_end : cq_fields_end;
	l->sqes_sz = (size_t)p->sq_entries * sizeof(struct asyncx_sqe);
	return 0;
}

/*
 * __asyncx_ring_bind() - point @ring into the three regions, mapped (or, in
 * the host tests, allocated) with the sizes from __asyncx_ring_layout().
 * Returns 0, or -EPROTO when the sizes in the SQ and CQ rings are not those
 * in @p.
 */
int __asyncx_ring_bind(struct asyncx_ring *ring, const struct asyncx_params *p,
		       void *sq_ring, void *sqes, void *cq_ring)
{
	struct asyncx_ring_layout l;
	struct asyncx_sq *sq = &ring->sq;
	struct asyncx_cq *cq = &ring->cq;
	char *sqp = sq_ring, *cqp = cq_ring;
	int ret;

	ret = __asyncx_ring_layout(p, &l);
	if (ret)
		return ret;

	sq->khead = (unsigned int *)(sqp + p->sq_off.head);
	sq->ktail = (unsigned int *)(sqp + p->sq_off.tail);
	sq->kring_mask = (unsigned int *)(sqp + p->sq_off.ring_mask);
	sq->kring_entries = (unsigned int *)(sqp + p->sq_off.ring_entries);
	sq->kflags = (unsigned int *)(sqp + p->sq_off.flags);
	sq->kdropped = (unsigned int *)(sqp + p->sq_off.dropped);
	sq->sqes = sqes;
	sq->ring_mask = p->sq_entries - 1;
	sq->ring_entries = p->sq_entries;
	sq->ring_ptr = sq_ring;
	sq->ring_sz = l.sq_ring_sz;
	sq->sqes_sz = l.sqes_sz;

	cq->khead = (unsigned int *)(cqp + p->cq_off.head);
	cq->ktail = (unsigned int *)(cqp + p->cq_off.tail);
	cq->kring_mask = (unsigned int *)(cqp + p->cq_off.ring_mask);
	cq->kring_entries = (unsigned int *)(cqp + p->cq_off.ring_entries);
	cq->koverflow = (unsigned int *)(cqp + p->cq_off.overflow);
	cq->cqes = (struct asyncx_cqe *)(cqp + p->cq_off.cqes);
	cq->ring_mask = p->cq_entries - 1;
	cq->ring_entries = p->cq_entries;
	cq->ring_ptr = cq_ring;
	cq->ring_sz = l.cq_ring_sz;

	if (*sq->kring_mask != sq->ring_mask ||
	    *sq->kring_entries != sq->ring_entries ||
	    *cq->kring_mask != cq->ring_mask ||
	    *cq->kring_entries != cq->ring_entries)
		return -EPROTO;

	/*
	 * Start handing out SQEs where the tail is. Nobody else writes the
	 * tail, so a relaxed load is enough.
	 */
	sq->sqe_tail = __atomic_load_n(sq->ktail, __ATOMIC_RELAXED);
	sq->sqe_head = sq->sqe_tail;

	ring->flags = p->flags;
	ring->features = p->features;
	return 0;
}

static void *map_region(int fd, size_t size, __u64 offset)
{
	return mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, (off_t)offset);
}

int asyncx_queue_init_params(unsigned int entries, struct asyncx_ring *ring,
			     struct asyncx_params *p)
{
	struct asyncx_ring_layout l;
	void *sq_ring, *sqes, *cq_ring;
	int fd, ret;

	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	p->sq_entries = entries;

	fd = asyncx_open();
	if (fd < 0)
		return fd;

	if (ioctl(fd, ASYNCX_IOC_SETUP, p) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = __asyncx_ring_layout(p, &l);
	if (ret)
		goto err_close;

	sq_ring = map_region(fd, l.sq_ring_sz, ASYNCX_OFF_SQ_RING);
	if (sq_ring == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	sqes = map_region(fd, l.sqes_sz, ASYNCX_OFF_SQES);
	if (sqes == MAP_FAILED) {
		ret = -errno;
		goto err_unmap_sq_ring;
	}
	cq_ring = map_region(fd, l.cq_ring_sz, ASYNCX_OFF_CQ_RING);
	if (cq_ring == MAP_FAILED) {
		ret = -errno;
		goto err_unmap_sqes;
	}

	ret = __asyncx_ring_bind(ring, p, sq_ring, sqes, cq_ring);
	if (ret)
		goto err_unmap_cq_ring;
	ring->fd = fd;
	return 0;

err_unmap_cq_ring:
	munmap(cq_ring, l.cq_ring_sz);
err_unmap_sqes:
	munmap(sqes, l.sqes_sz);
err_unmap_sq_ring:
	munmap(sq_ring, l.sq_ring_sz);
err_close:
	close(fd);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	return ret;
}

int asyncx_queue_init(unsigned int entries, struct asyncx_ring *ring,
		      unsigned int flags)
{
	struct asyncx_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return asyncx_queue_init_params(entries, ring, &p);
}

void asyncx_queue_exit(struct asyncx_ring *ring)
{
	/* Only a ring that was set up owns mappings and a descriptor. */
	if (ring->sq.ring_ptr) {
		munmap(ring->cq.ring_ptr, ring->cq.ring_sz);
		munmap(ring->sq.sqes, ring->sq.sqes_sz);
		munmap(ring->sq.ring_ptr, ring->sq.ring_sz);
		close(ring->fd);
	}
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
}

static int asyncx_enter(const struct asyncx_ring *ring, unsigned int to_submit,
			unsigned int min_complete, unsigned int flags,
			__u64 timeout_ns)
{
	struct asyncx_enter arg;
	int ret;

	memset(&arg, 0, sizeof(arg));
	arg.to_submit = to_submit;
	arg.min_complete = min_complete;
	arg.flags = flags;
	arg.timeout_ns = timeout_ns;
	ret = ioctl(ring->fd, ASYNCX_IOC_ENTER, &arg);
	return ret < 0 ? -errno : ret;
}

/*
 * Publish the SQEs handed out since the last flush and return how many
 * published SQEs the kernel has not consumed yet (@*head: the SQ head read).
 */
static unsigned int asyncx_flush_sq(struct asyncx_ring *ring,
				    unsigned int *head)
{
	struct asyncx_sq *sq = &ring->sq;

	if (sq->sqe_head != sq->sqe_tail) {
		sq->sqe_head = sq->sqe_tail;
		/*
		 * Release pairs with the kernel's acquire load of the SQ tail
		 * in ASYNCX_IOC_ENTER: the SQEs are filled in before it sees
		 * the tail that covers them.
		 */
		__asyncx_sq_ktail_release(sq, sq->sqe_tail);
	}
	/* Acquire pairs with the kernel's release store of the SQ head. */
	*head = __asyncx_sq_khead_acquire(sq);
	return sq->sqe_tail - *head;
}

/*
 * ASYNCX_SETUP_SQPOLL: does the SQ thread sleep (after our store of the SQ
 * tail)? The full barrier orders that store before the load of the flag;
 * it pairs with the thread's full barrier between setting the flag and its
 * last look at the tail, so that one of the two sees the other's store.
 */
static int asyncx_sq_needs_wakeup(const struct asyncx_ring *ring)
{
	if (!(ring->flags & ASYNCX_SETUP_SQPOLL))
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !!(__atomic_load_n(ring->sq.kflags, __ATOMIC_RELAXED) &
		  ASYNCX_SQ_NEED_WAKEUP);
}

/*
 * SQEs published and not consumed, from either side: the published tail
 * (relaxed: only a submitter writes it) against the kernel's head.
 */
static unsigned int asyncx_sq_published(const struct asyncx_ring *ring)
{
	return __atomic_load_n(ring->sq.ktail, __ATOMIC_RELAXED) -
	       __asyncx_sq_khead_acquire(&ring->sq);
}

/*
 * ASYNCX_SETUP_SQPOLL: publish, wake the SQ thread if it sleeps, wait if
 * asked; the SQEs published by this call are submitted (the thread
 * consumes them), as liburing counts them.
 */
static int asyncx_submit_sqpoll(struct asyncx_ring *ring, unsigned int wait_nr)
{
	unsigned int published = ring->sq.sqe_tail - ring->sq.sqe_head;
	unsigned int flags = 0, head, pending;
	int ret;

	pending = asyncx_flush_sq(ring, &head);
	if (pending && asyncx_sq_needs_wakeup(ring))
		flags |= ASYNCX_ENTER_SQ_WAKEUP;
	if (wait_nr && asyncx_cq_ready(ring) < wait_nr)
		flags |= ASYNCX_ENTER_GETEVENTS;
	if (flags) {
		ret = asyncx_enter(ring, 0, wait_nr, flags, 0);
		if (ret < 0)
			return ret;
	}
	return (int)published;
}

int asyncx_submit_and_wait(struct asyncx_ring *ring, unsigned int wait_nr)
{
	unsigned int to_submit, head, consumed;
	int ret;

	if (wait_nr > ring->cq.ring_entries)
		return -EINVAL;
	if (ring->flags & ASYNCX_SETUP_SQPOLL)
		return asyncx_submit_sqpoll(ring, wait_nr);

	to_submit = asyncx_flush_sq(ring, &head);
	if (!to_submit && asyncx_cq_ready(ring) >= wait_nr)
		return 0;

	ret = asyncx_enter(ring, to_submit, wait_nr,
			   wait_nr ? ASYNCX_ENTER_GETEVENTS : 0, 0);
	if (ret < 0 && to_submit) {
		/*
		 * The ioctl reports a failed wait even when it consumed SQEs
		 * first; those cannot be taken back and their CQEs will come,
		 * so report them. Acquire pairs with the kernel's release
		 * store of the SQ head.
		 */
		consumed = __asyncx_sq_khead_acquire(&ring->sq) - head;
		if (consumed)
			return (int)consumed;
	}
	return ret;
}

int asyncx_get_events(struct asyncx_ring *ring)
{
	int ret = asyncx_enter(ring, 0, 0, 0, 0);

	return ret < 0 ? ret : 0;
}

int asyncx_submit(struct asyncx_ring *ring)
{
	return asyncx_submit_and_wait(ring, 0);
}

static __u64 monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (__u64)now.tv_sec * NSEC_PER_SEC + (__u64)now.tv_nsec;
}

/*
 * Wait until @wait_nr CQEs are in the CQ, at most until @ts has passed (NULL:
 * without limit), and return the first in @cqe_ptr.
 */
static int asyncx_get_cqe(struct asyncx_ring *ring, struct asyncx_cqe **cqe_ptr,
			  unsigned int wait_nr,
			  const struct __kernel_timespec *ts)
{
	__u64 deadline = 0, timeout_ns = 0, now;
	int has_deadline = 0, ret;

	*cqe_ptr = NULL;
	if (!wait_nr || wait_nr > ring->cq.ring_entries)
		return -EINVAL;

	if (ts) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 ||
		    (__u64)ts->tv_nsec >= NSEC_PER_SEC)
			return -EINVAL;
		/*
		 * A deadline past what 64-bit nanoseconds of CLOCK_MONOTONIC
		 * can hold (some 580 years of uptime) is no limit.
		 */
		now = monotonic_ns();
		if ((__u64)ts->tv_sec < (UINT64_MAX - now) / NSEC_PER_SEC - 1) {
			deadline = now + (__u64)ts->tv_sec * NSEC_PER_SEC +
				   (__u64)ts->tv_nsec;
			has_deadline = 1;
		}
	}

	for (;;) {
		if (asyncx_cq_ready(ring) >= wait_nr) {
			asyncx_peek_cqe(ring, cqe_ptr);
			return 0;
		}
		if (has_deadline) {
			/*
			 * timeout_ns 0 would mean no limit, so time that is
			 * up never reaches the kernel.
			 */
			now = monotonic_ns();
			if (now >= deadline)
				return -ETIME;
			timeout_ns = deadline - now;
		}
		/* (SQPOLL: SQEs left with the thread asleep wake it.) */
		ret = asyncx_enter(ring, 0, wait_nr, ASYNCX_ENTER_GETEVENTS |
				   (asyncx_sq_needs_wakeup(ring) &&
				    asyncx_sq_published(ring) ?
				    ASYNCX_ENTER_SQ_WAKEUP : 0),
				   timeout_ns);
		/*
		 * Look at the CQ again on success, and on -ETIME in case a
		 * CQE came in the meantime (the loop returns -ETIME next).
		 */
		if (ret < 0 && !(ret == -ETIME && has_deadline))
			return ret;
	}
}

int asyncx_wait_cqe_nr(struct asyncx_ring *ring, struct asyncx_cqe **cqe_ptr,
		       unsigned int wait_nr)
{
	return asyncx_get_cqe(ring, cqe_ptr, wait_nr, NULL);
}

int asyncx_wait_cqe(struct asyncx_ring *ring, struct asyncx_cqe **cqe_ptr)
{
	return asyncx_get_cqe(ring, cqe_ptr, 1, NULL);
}

int asyncx_wait_cqe_timeout(struct asyncx_ring *ring,
			    struct asyncx_cqe **cqe_ptr,
			    const struct __kernel_timespec *ts)
{
	return asyncx_get_cqe(ring, cqe_ptr, 1, ts);
}

int asyncx_register_eventfd(struct asyncx_ring *ring, int efd)
{
	__s32 fd = efd;

	return ioctl(ring->fd, ASYNCX_IOC_REGISTER_EVENTFD, &fd) < 0 ? -errno : 0;
}

int asyncx_unregister_eventfd(struct asyncx_ring *ring)
{
	return ioctl(ring->fd, ASYNCX_IOC_UNREGISTER_EVENTFD) < 0 ? -errno : 0;
}

int asyncx_register_buffers(struct asyncx_ring *ring,
			    const struct iovec *iovecs, unsigned int nr_iovecs)
{
	struct asyncx_rsrc_register r = {
		.addr = (__u64)(uintptr_t)iovecs,
		.nr = nr_iovecs,
	};

	return ioctl(ring->fd, ASYNCX_IOC_REGISTER_BUFFERS, &r) < 0 ? -errno : 0;
}

int asyncx_unregister_buffers(struct asyncx_ring *ring)
{
	return ioctl(ring->fd, ASYNCX_IOC_UNREGISTER_BUFFERS) < 0 ? -errno : 0;
}

int asyncx_register_files(struct asyncx_ring *ring, const int *fds,
			  unsigned int nr_fds)
{
	/* int and __s32 are the same on every Linux ABI. */
	struct asyncx_rsrc_register r = {
		.addr = (__u64)(uintptr_t)fds,
		.nr = nr_fds,
	};

	_Static_assert(sizeof(int) == sizeof(__s32), "int is not 32 bits");
	return ioctl(ring->fd, ASYNCX_IOC_REGISTER_FILES, &r) < 0 ? -errno : 0;
}

int asyncx_unregister_files(struct asyncx_ring *ring)
{
	return ioctl(ring->fd, ASYNCX_IOC_UNREGISTER_FILES) < 0 ? -errno : 0;
}

int asyncx_register_pbuf_ring(struct asyncx_ring *ring, struct asyncx_pbuf *br,
			      unsigned int entries, unsigned short bgid)
{
	struct asyncx_pbuf_reg r = {
		.ring_addr = (__u64)(uintptr_t)br,
		.ring_entries = entries,
		.bgid = bgid,
	};

	return ioctl(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, &r) < 0 ?
	       -errno : 0;
}

int asyncx_unregister_pbuf_ring(struct asyncx_ring *ring, unsigned short bgid)
{
	struct asyncx_pbuf_reg r = { .bgid = bgid };

	return ioctl(ring->fd, ASYNCX_IOC_UNREGISTER_PBUF_RING, &r) < 0 ?
	       -errno : 0;
}

struct asyncx_pbuf *asyncx_setup_pbuf_ring(struct asyncx_ring *ring,
					   unsigned int entries,
					   unsigned short bgid, int *err)
{
	size_t size = (size_t)entries * sizeof(struct asyncx_pbuf);
	struct asyncx_pbuf *br;
	int ret;

	if (!entries || entries > ASYNCX_PBUF_MAX_ENTRIES ||
	    (entries & (entries - 1))) {
		*err = -EINVAL;
		return NULL;
	}
	br = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	asyncx_pbuf_init(br);
	ret = asyncx_register_pbuf_ring(ring, br, entries, bgid);
	if (ret) {
		munmap(br, size);
		*err = ret;
		return NULL;
	}
	return br;
}

int asyncx_free_pbuf_ring(struct asyncx_ring *ring, struct asyncx_pbuf *br,
			  unsigned int entries, unsigned short bgid)
{
	int ret = asyncx_unregister_pbuf_ring(ring, bgid);

	munmap(br, (size_t)entries * sizeof(struct asyncx_pbuf));
	return ret;
}
