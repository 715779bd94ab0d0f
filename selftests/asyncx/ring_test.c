// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test: the raw ring ABI of /dev/asyncx (uapi/linux/asyncx.h), without
 * libasyncx: ASYNCX_IOC_SETUP, the three mappings, ASYNCX_IOC_ENTER, SQE
 * validation, the NOP and TIMEOUT operations, the CQ overflow list, and
 * teardown with operations in flight. Where the header is silent, io_uring's
 * behaviour is the model.
 *
 * The ring helper below is this file's own (setup, three mmaps, and the
 * index protocol of the header's comment), so that a bug in the library
 * cannot hide one in the module, or the other way round.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/asyncx.h>
#include <linux/time_types.h>

#include "kselftest_harness.h"

#define DEV_PATH		"/dev/" ASYNCX_DEVICE_NAME
#define DEBUGFS_CONTEXTS	"/sys/kernel/debug/asyncx/contexts"

#define NSEC_PER_MSEC		1000000ULL
#define NSEC_PER_SEC		1000000000ULL

/* ------------------------------------------------------------------ */
/* The ring helper                                                      */
/* ------------------------------------------------------------------ */

struct ring {
	int fd;
	struct asyncx_params p;
	void *sq_ring, *cq_ring;
	struct asyncx_sqe *sqes;
	size_t sq_ring_sz, cq_ring_sz, sqes_sz;
	__u32 *sq_head, *sq_tail, *sq_flags, *sq_dropped;
	__u32 *cq_head, *cq_tail, *cq_overflow;
	struct asyncx_cqe *cqes;
	__u32 sq_mask, sq_entries, cq_mask, cq_entries;
	__u32 sqe_tail;		/* next SQE to fill; ring_publish() makes it the tail */
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t page_align(size_t sz)
{
	return (sz + page_size() - 1) & ~(page_size() - 1);
}

static int open_dev(void)
{
	return open(DEV_PATH, O_RDWR | O_CLOEXEC);
}

/* ASYNCX_IOC_SETUP: 0 or -errno. */
static int raw_setup(int fd, struct asyncx_params *p)
{
	return ioctl(fd, ASYNCX_IOC_SETUP, p) < 0 ? -errno : 0;
}

/*
 * The sizes of the three regions. The header gives no size for the SQ ring
 * mapping (it holds only the six index/flag words): the end of its last
 * field. The CQ ring ends with the CQE array, the SQE region is the array.
 */
static void region_sizes(const struct asyncx_params *p, size_t *sq_ring,
			 size_t *cq_ring, size_t *sqes)
{
	const struct asyncx_sq_offsets *o = &p->sq_off;
	__u32 end = 0;

	end = o->head > end ? o->head : end;
	end = o->tail > end ? o->tail : end;
	end = o->ring_mask > end ? o->ring_mask : end;
	end = o->ring_entries > end ? o->ring_entries : end;
	end = o->flags > end ? o->flags : end;
	end = o->dropped > end ? o->dropped : end;
	*sq_ring = (size_t)end + sizeof(__u32);
	*cq_ring = (size_t)p->cq_off.cqes + (size_t)p->cq_entries * sizeof(struct asyncx_cqe);
	*sqes = (size_t)p->sq_entries * sizeof(struct asyncx_sqe);
}

static void *map_region(int fd, size_t sz, __u64 off)
{
	return mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, (off_t)off);
}

static void ring_unmap(struct ring *r)
{
	if (r->sq_ring && r->sq_ring != MAP_FAILED)
		munmap(r->sq_ring, r->sq_ring_sz);
	if (r->cq_ring && r->cq_ring != MAP_FAILED)
		munmap(r->cq_ring, r->cq_ring_sz);
	if (r->sqes && (void *)r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_sz);
	r->sq_ring = r->cq_ring = NULL;
	r->sqes = NULL;
}

/* Map the three regions of a set-up context: 0 or -errno. */
static int ring_map(struct ring *r)
{
	const struct asyncx_params *p = &r->p;
	void *sqes;

	region_sizes(p, &r->sq_ring_sz, &r->cq_ring_sz, &r->sqes_sz);
	r->sq_ring = map_region(r->fd, r->sq_ring_sz, ASYNCX_OFF_SQ_RING);
	r->cq_ring = map_region(r->fd, r->cq_ring_sz, ASYNCX_OFF_CQ_RING);
	sqes = map_region(r->fd, r->sqes_sz, ASYNCX_OFF_SQES);
	r->sqes = sqes;
	if (r->sq_ring == MAP_FAILED || r->cq_ring == MAP_FAILED || sqes == MAP_FAILED) {
		int err = -errno;

		ring_unmap(r);
		return err;
	}

	r->sq_head = (__u32 *)((char *)r->sq_ring + p->sq_off.head);
	r->sq_tail = (__u32 *)((char *)r->sq_ring + p->sq_off.tail);
	r->sq_flags = (__u32 *)((char *)r->sq_ring + p->sq_off.flags);
	r->sq_dropped = (__u32 *)((char *)r->sq_ring + p->sq_off.dropped);
	r->sq_mask = *(__u32 *)((char *)r->sq_ring + p->sq_off.ring_mask);
	r->sq_entries = *(__u32 *)((char *)r->sq_ring + p->sq_off.ring_entries);
	r->cq_head = (__u32 *)((char *)r->cq_ring + p->cq_off.head);
	r->cq_tail = (__u32 *)((char *)r->cq_ring + p->cq_off.tail);
	r->cq_overflow = (__u32 *)((char *)r->cq_ring + p->cq_off.overflow);
	r->cqes = (struct asyncx_cqe *)((char *)r->cq_ring + p->cq_off.cqes);
	r->cq_mask = *(__u32 *)((char *)r->cq_ring + p->cq_off.ring_mask);
	r->cq_entries = *(__u32 *)((char *)r->cq_ring + p->cq_off.ring_entries);
	/* Our SQE tail starts where the kernel's tail is (0 on a new ring). */
	r->sqe_tail = __atomic_load_n(r->sq_tail, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Open, set up with sq_entries (and cq_entries with ASYNCX_SETUP_CQSIZE
 * when cq is nonzero), map: 0 or -errno, and nothing left open on error.
 */
static int ring_init(struct ring *r, __u32 sq, __u32 cq)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = open_dev();
	if (r->fd < 0)
		return -errno;
	r->p.sq_entries = sq;
	if (cq) {
		r->p.flags = ASYNCX_SETUP_CQSIZE;
		r->p.cq_entries = cq;
	}
	ret = raw_setup(r->fd, &r->p);
	if (!ret)
		ret = ring_map(r);
	if (ret) {
		close(r->fd);
		r->fd = -1;
	}
	return ret;
}

/* Unmap, then close: 0 or -errno of close(). */
static int ring_exit(struct ring *r)
{
	int ret;

	ring_unmap(r);
	ret = close(r->fd) ? -errno : 0;
	r->fd = -1;
	return ret;
}

/*
 * SQ head, acquire: pairs with the kernel's release store of the head,
 * which it makes after reading the SQEs it consumed, so the slots before
 * the head may be refilled.
 */
static __u32 sq_head_acquire(struct ring *r)
{
	return __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
}

/* Next free SQE, zeroed, or NULL when the SQ is full. */
static struct asyncx_sqe *ring_get_sqe(struct ring *r)
{
	struct asyncx_sqe *sqe;

	if (r->sqe_tail - sq_head_acquire(r) >= r->sq_entries)
		return NULL;
	sqe = &r->sqes[r->sqe_tail & r->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	r->sqe_tail++;
	return sqe;
}

/*
 * SQ tail, release: pairs with the kernel's acquire load of the tail, so
 * the SQE contents written before are visible to it.
 */
static void ring_publish(struct ring *r)
{
	__atomic_store_n(r->sq_tail, r->sqe_tail, __ATOMIC_RELEASE);
}

/* SQEs published and not yet consumed by the kernel. */
static __u32 sq_pending(struct ring *r)
{
	return r->sqe_tail - sq_head_acquire(r);
}

/*
 * CQ head, relaxed: only the application writes it, so reading back our
 * own store needs no ordering (pairs with nothing).
 */
static __u32 cq_head_own(struct ring *r)
{
	return __atomic_load_n(r->cq_head, __ATOMIC_RELAXED);
}

/*
 * CQ tail, acquire: pairs with the kernel's release store of the tail,
 * which it makes after writing the CQEs, so they are visible here.
 */
static __u32 cq_tail_acquire(struct ring *r)
{
	return __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
}

/* CQEs ready to reap. */
static __u32 cq_ready(struct ring *r)
{
	return cq_tail_acquire(r) - cq_head_own(r);
}

/*
 * CQ head, release: pairs with the kernel's acquire load of the head, so
 * our reads of the CQEs are done before it may overwrite their slots.
 */
static void cq_advance(struct ring *r, __u32 n)
{
	__atomic_store_n(r->cq_head, cq_head_own(r) + n, __ATOMIC_RELEASE);
}

/* Reap one CQE if there is one. */
static bool ring_peek_cqe(struct ring *r, struct asyncx_cqe *out)
{
	__u32 head = cq_head_own(r);

	if (head == cq_tail_acquire(r))
		return false;
	*out = r->cqes[head & r->cq_mask];
	cq_advance(r, 1);
	return true;
}

/*
 * SQ flags word, acquire: pairs with the kernel's store of the flags (made
 * with the overflow list under its completion lock), so a clear flag is
 * seen together with the CQEs flushed before it was cleared.
 */
static __u32 sq_flags_acquire(struct ring *r)
{
	return __atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE);
}

/* Counters (dropped, overflow), relaxed: read for their value only. */
static __u32 counter(const __u32 *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* ASYNCX_IOC_ENTER: SQEs consumed, or -errno. */
static int ring_enter(struct ring *r, __u32 to_submit, __u32 min_complete,
		      __u32 flags, __u64 timeout_ns)
{
	struct asyncx_enter e = {
		.to_submit = to_submit,
		.min_complete = min_complete,
		.flags = flags,
		.timeout_ns = timeout_ns,
	};
	int ret = ioctl(r->fd, ASYNCX_IOC_ENTER, &e);

	return ret < 0 ? -errno : ret;
}

/* Publish the filled SQEs and submit all pending ones. */
static int ring_submit(struct ring *r)
{
	ring_publish(r);
	return ring_enter(r, sq_pending(r), 0, 0, 0);
}

/*
 * Reap one CQE, waiting with GETEVENTS (timeout_ns: 0 waits without limit):
 * 0, the enter's -errno, or -ENODATA when an enter that had to wait for one
 * CQE returned without one (a kernel bug).
 */
static int ring_wait_cqe(struct ring *r, struct asyncx_cqe *out, __u64 timeout_ns)
{
	int ret;

	if (ring_peek_cqe(r, out))
		return 0;
	ret = ring_enter(r, 0, 1, ASYNCX_ENTER_GETEVENTS, timeout_ns);
	if (ret < 0)
		return ret;
	return ring_peek_cqe(r, out) ? 0 : -ENODATA;
}

static void prep_nop(struct asyncx_sqe *sqe, __u64 user_data)
{
	sqe->opcode = ASYNCX_OP_NOP;
	sqe->user_data = user_data;
}

static void prep_timeout(struct asyncx_sqe *sqe, __u64 user_data,
			 const struct __kernel_timespec *ts, __u32 op_flags)
{
	sqe->opcode = ASYNCX_OP_TIMEOUT;
	sqe->addr = (__u64)(uintptr_t)ts;
	sqe->len = 1;
	sqe->op_flags = op_flags;
	sqe->user_data = user_data;
}

static struct __kernel_timespec ts_of_ns(__u64 ns)
{
	struct __kernel_timespec ts = {
		.tv_sec = (long long)(ns / NSEC_PER_SEC),
		.tv_nsec = (long long)(ns % NSEC_PER_SEC),
	};

	return ts;
}

static long read_long(const char *path)
{
	char buf[64] = "";
	long v = -1;
	int fd, n;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || sscanf(buf, "%ld", &v) != 1)
		v = -1;
	return v;
}

/*
 * Wait up to limit_ns for the debugfs context count to come back to base
 * (teardown may finish after close() returns): the ns it took, or -1.
 */
static long long wait_contexts(long base, __u64 limit_ns)
{
	__u64 t0 = now_ns();
	const struct timespec ms = { 0, NSEC_PER_MSEC };

	for (;;) {
		if (read_long(DEBUGFS_CONTEXTS) == base)
			return (long long)(now_ns() - t0);
		if (now_ns() - t0 > limit_ns)
			return -1;
		nanosleep(&ms, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* ASYNCX_IOC_SETUP                                                     */
/* ------------------------------------------------------------------ */

TEST(setup_sq_entries_out_of_range)
{
	static const __u32 bad[] = { 0, ASYNCX_MAX_ENTRIES + 1, 65536, UINT_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct asyncx_params p = { .sq_entries = bad[i] };
		int fd = open_dev();

		ASSERT_LE(0, fd) TH_LOG("open %s: %s", DEV_PATH, strerror(errno));
		EXPECT_EQ(-EINVAL, raw_setup(fd, &p))
			TH_LOG("sq_entries %u", bad[i]);
		close(fd);
	}
}

TEST(setup_rounds_up_and_cq_defaults_to_twice)
{
	static const struct { __u32 in, sq, cq; } c[] = {
		{ 1, 1, 2 }, { 2, 2, 4 }, { 5, 8, 16 }, { 100, 128, 256 },
		{ 4095, 4096, 8192 }, { ASYNCX_MAX_ENTRIES, 4096, 8192 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		/* cq_entries is ignored without ASYNCX_SETUP_CQSIZE. */
		struct asyncx_params p = { .sq_entries = c[i].in, .cq_entries = 3 };
		int fd = open_dev();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, raw_setup(fd, &p)) TH_LOG("sq_entries %u", c[i].in);
		EXPECT_EQ(c[i].sq, p.sq_entries) TH_LOG("sq_entries %u", c[i].in);
		EXPECT_EQ(c[i].cq, p.cq_entries) TH_LOG("sq_entries %u", c[i].in);
		close(fd);
	}
}

TEST(setup_cqsize)
{
	static const struct { __u32 cq; int err; __u32 out; } c[] = {
		{ 0, -EINVAL, 0 }, { 4, -EINVAL, 0 }, { 7, -EINVAL, 0 },
		{ 8, 0, 8 }, { 9, 0, 16 }, { 100, 0, 128 },
		{ 2 * ASYNCX_MAX_ENTRIES - 1, 0, 2 * ASYNCX_MAX_ENTRIES },
		{ 2 * ASYNCX_MAX_ENTRIES, 0, 2 * ASYNCX_MAX_ENTRIES },
		{ 2 * ASYNCX_MAX_ENTRIES + 1, -EINVAL, 0 }, { UINT_MAX, -EINVAL, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct asyncx_params p = {
			.sq_entries = 8, .cq_entries = c[i].cq, .flags = ASYNCX_SETUP_CQSIZE,
		};
		int fd = open_dev();

		ASSERT_LE(0, fd);
		EXPECT_EQ(c[i].err, raw_setup(fd, &p)) TH_LOG("sq 8, cq_entries %u", c[i].cq);
		if (!c[i].err) {
			EXPECT_EQ(8U, p.sq_entries);
			EXPECT_EQ(c[i].out, p.cq_entries) TH_LOG("cq_entries %u", c[i].cq);
		}
		close(fd);
	}
}

TEST(setup_unknown_flags)
{
	static const __u32 bad[] = { 1U << 2, 1U << 16, 1U << 31 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct asyncx_params p = { .sq_entries = 8, .flags = bad[i] };
		int fd = open_dev();

		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, raw_setup(fd, &p)) TH_LOG("flags %#x", bad[i]);
		close(fd);
	}
}

TEST(setup_resv_nonzero)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(((struct asyncx_params *)0)->resv); i++) {
		struct asyncx_params p = { .sq_entries = 8 };
		int fd = open_dev();

		ASSERT_LE(0, fd);
		p.resv[i] = 1;
		EXPECT_EQ(-EINVAL, raw_setup(fd, &p)) TH_LOG("resv[%u] = 1", i);
		close(fd);
	}
}

TEST(setup_twice_is_ebusy)
{
	struct asyncx_params p = { .sq_entries = 8 };
	struct asyncx_params p2 = { .sq_entries = 8 };
	int fd = open_dev();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, raw_setup(fd, &p));
	EXPECT_EQ(-EBUSY, raw_setup(fd, &p2));
	EXPECT_EQ(0, close(fd));
}

TEST(setup_after_failed_setup)
{
	struct asyncx_params bad = { .sq_entries = 0 };
	struct asyncx_params p = { .sq_entries = 8 };
	int fd = open_dev();

	/* A rejected setup does not use up the file's one setup. */
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, raw_setup(fd, &bad));
	EXPECT_EQ(0, raw_setup(fd, &p));
	EXPECT_EQ(8U, p.sq_entries);
	EXPECT_EQ(0, close(fd));
}

TEST(setup_bad_pointer)
{
	int fd = open_dev();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, ASYNCX_IOC_SETUP, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, ASYNCX_IOC_SETUP, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

TEST(setup_features_nodrop)
{
	struct asyncx_params p = { .sq_entries = 8 };
	int fd = open_dev();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, raw_setup(fd, &p));
	TH_LOG("features %#x", p.features);
	EXPECT_TRUE(p.features & ASYNCX_FEAT_NODROP);
	EXPECT_TRUE(p.features & ASYNCX_FEAT_LINK);
	close(fd);
}

TEST(unknown_ioctl_is_enotty)
{
	static const struct { unsigned long cmd; const char *what; } c[] = {
		{ _IO(ASYNCX_IOC_MAGIC, 0x7f), "nr 0x7f" },
		{ _IOWR(ASYNCX_IOC_MAGIC, 0x00, __u32), "SETUP's nr, wrong size" },
		{ _IOR(ASYNCX_IOC_MAGIC, 0x01, struct asyncx_enter), "ENTER's nr, wrong direction" },
		{ _IO('T', 0x01), "another magic" },
	};
	struct asyncx_params p = { .sq_entries = 8 };
	__u64 arg[32] = { 0 };
	unsigned int i;
	int fd = open_dev();

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		EXPECT_EQ(-1, ioctl(fd, c[i].cmd, arg)) TH_LOG("before setup: %s", c[i].what);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("before setup: %s", c[i].what);
	}
	ASSERT_EQ(0, raw_setup(fd, &p));
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		EXPECT_EQ(-1, ioctl(fd, c[i].cmd, arg)) TH_LOG("after setup: %s", c[i].what);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("after setup: %s", c[i].what);
	}
	close(fd);
}

/* The offsets lie inside the regions (mapped at the sizes they imply), apart. */
TEST(offsets_inside_regions)
{
	static const struct { __u32 sq, cq; } c[] = {
		{ 1, 0 }, { 8, 0 }, { 8, 8 }, { 5, 100 }, { ASYNCX_MAX_ENTRIES, 0 },
	};
	unsigned int i, j, k;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		struct asyncx_sq_offsets *so;
		struct asyncx_cq_offsets *co;
		struct ring r;
		__u32 sqf[6], cqf[5];

		ASSERT_EQ(0, ring_init(&r, c[i].sq, c[i].cq)) TH_LOG("sq %u cq %u", c[i].sq, c[i].cq);
		so = &r.p.sq_off;
		co = &r.p.cq_off;
		TH_LOG("sq %u/%u: sq_off head %u tail %u mask %u entries %u flags %u dropped %u; cq_off head %u tail %u mask %u entries %u overflow %u cqes %u; sizes %zu %zu %zu",
		       r.p.sq_entries, r.p.cq_entries, so->head, so->tail, so->ring_mask,
		       so->ring_entries, so->flags, so->dropped, co->head, co->tail,
		       co->ring_mask, co->ring_entries, co->overflow, co->cqes,
		       r.sq_ring_sz, r.cq_ring_sz, r.sqes_sz);

		sqf[0] = so->head; sqf[1] = so->tail; sqf[2] = so->ring_mask;
		sqf[3] = so->ring_entries; sqf[4] = so->flags; sqf[5] = so->dropped;
		cqf[0] = co->head; cqf[1] = co->tail; cqf[2] = co->ring_mask;
		cqf[3] = co->ring_entries; cqf[4] = co->overflow;
		for (j = 0; j < ARRAY_SIZE(sqf); j++) {
			EXPECT_EQ(0U, sqf[j] % 4) TH_LOG("sq field %u at %u", j, sqf[j]);
			for (k = j + 1; k < ARRAY_SIZE(sqf); k++)
				EXPECT_NE(sqf[j], sqf[k]) TH_LOG("sq fields %u and %u", j, k);
		}
		for (j = 0; j < ARRAY_SIZE(cqf); j++) {
			EXPECT_EQ(0U, cqf[j] % 4) TH_LOG("cq field %u at %u", j, cqf[j]);
			EXPECT_LE(cqf[j] + 4, co->cqes) TH_LOG("cq field %u overlaps the CQEs", j);
			for (k = j + 1; k < ARRAY_SIZE(cqf); k++)
				EXPECT_NE(cqf[j], cqf[k]) TH_LOG("cq fields %u and %u", j, k);
		}
		EXPECT_EQ(0U, co->cqes % 8);
		for (j = 0; j < ARRAY_SIZE(so->resv); j++)
			EXPECT_EQ(0U, so->resv[j]);
		for (j = 0; j < ARRAY_SIZE(co->resv); j++)
			EXPECT_EQ(0U, co->resv[j]);

		/* The mapped words say what setup said. */
		EXPECT_EQ(r.p.sq_entries, r.sq_entries);
		EXPECT_EQ(r.p.sq_entries - 1, r.sq_mask);
		EXPECT_EQ(r.p.cq_entries, r.cq_entries);
		EXPECT_EQ(r.p.cq_entries - 1, r.cq_mask);
		EXPECT_EQ(0U, *r.sq_head);
		EXPECT_EQ(0U, *r.sq_tail);
		EXPECT_EQ(0U, *r.cq_head);
		EXPECT_EQ(0U, *r.cq_tail);
		EXPECT_EQ(0U, sq_flags_acquire(&r));
		EXPECT_EQ(0U, counter(r.sq_dropped));
		EXPECT_EQ(0U, counter(r.cq_overflow));
		/* The last CQE and SQE are backed (no SIGBUS). */
		EXPECT_EQ(0U, r.cqes[r.cq_entries - 1].flags);
		r.sqes[r.sq_entries - 1].user_data = 1;
		EXPECT_EQ(0, ring_exit(&r));
	}
}

/* ------------------------------------------------------------------ */
/* mmap                                                                 */
/* ------------------------------------------------------------------ */

TEST(mmap_before_setup)
{
	static const __u64 offs[] = { ASYNCX_OFF_SQ_RING, ASYNCX_OFF_CQ_RING, ASYNCX_OFF_SQES };
	unsigned int i;
	int fd = open_dev();

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		void *m = map_region(fd, page_size(), offs[i]);
		int err = errno;

		EXPECT_EQ(MAP_FAILED, m) TH_LOG("offset %#llx mapped", (unsigned long long)offs[i]);
		if (m != MAP_FAILED) {
			munmap(m, page_size());
			continue;
		}
		TH_LOG("offset %#llx before setup: %s", (unsigned long long)offs[i],
		       err == EINVAL ? "EINVAL" : err == ENXIO ? "ENXIO" : strerror(err));
		EXPECT_TRUE(err == EINVAL || err == ENXIO) TH_LOG("errno %d", err);
	}
	close(fd);
}

TEST(mmap_unknown_offset)
{
	const __u64 offs[] = {
		page_size(), 0x4000000ULL, ASYNCX_OFF_CQ_RING + page_size(),
		ASYNCX_OFF_SQES + page_size(), 0x18000000ULL, 0x20000000ULL,
	};
	struct ring r;
	unsigned int i;

	ASSERT_EQ(0, ring_init(&r, ASYNCX_MAX_ENTRIES, 0));
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		void *m = map_region(r.fd, page_size(), offs[i]);

		EXPECT_EQ(MAP_FAILED, m) TH_LOG("offset %#llx mapped", (unsigned long long)offs[i]);
		if (m != MAP_FAILED)
			munmap(m, page_size());
		else
			EXPECT_EQ(EINVAL, errno) TH_LOG("offset %#llx", (unsigned long long)offs[i]);
	}
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(mmap_larger_than_region)
{
	static const __u32 sizes[] = { 8, ASYNCX_MAX_ENTRIES };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct ring r;
		size_t sz[3], big;
		const __u64 offs[3] = { ASYNCX_OFF_SQ_RING, ASYNCX_OFF_CQ_RING, ASYNCX_OFF_SQES };

		ASSERT_EQ(0, ring_init(&r, sizes[i], 0));
		sz[0] = r.sq_ring_sz;
		sz[1] = r.cq_ring_sz;
		sz[2] = r.sqes_sz;
		for (j = 0; j < 3; j++) {
			void *m;

			/*
			 * One page past the region on a small ring; twice its
			 * pages on a big one (past any power-of-two rounding
			 * of the allocation).
			 */
			big = i == 0 ? page_align(sz[j]) + page_size() : 2 * page_align(sz[j]);
			m = map_region(r.fd, big, offs[j]);
			EXPECT_EQ(MAP_FAILED, m)
				TH_LOG("sq %u: offset %#llx (region %zu bytes) mapped with %zu",
				       sizes[i], (unsigned long long)offs[j], sz[j], big);
			if (m != MAP_FAILED)
				munmap(m, big);
			else
				EXPECT_EQ(EINVAL, errno);
		}
		EXPECT_EQ(0, ring_exit(&r));
	}
}

TEST(munmap_then_close)
{
	struct ring r;
	struct asyncx_params p = { .sq_entries = 8 };
	int fd;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	ring_unmap(&r);
	EXPECT_EQ(0, close(r.fd));

	/* Set up, never mapped. */
	fd = open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, raw_setup(fd, &p));
	EXPECT_EQ(0, close(fd));
}

/* ------------------------------------------------------------------ */
/* ASYNCX_IOC_ENTER                                                     */
/* ------------------------------------------------------------------ */

TEST(enter_before_setup)
{
	struct asyncx_enter e = { .to_submit = 1 };
	int fd = open_dev();
	int ret, err;

	ASSERT_LE(0, fd);
	ret = ioctl(fd, ASYNCX_IOC_ENTER, &e);
	err = errno;
	EXPECT_EQ(-1, ret);
	if (ret == -1) {
		TH_LOG("enter before setup: %s", err == EBADFD ? "EBADFD" :
		       err == EINVAL ? "EINVAL" : strerror(err));
		EXPECT_TRUE(err == EBADFD || err == EINVAL) TH_LOG("errno %d", err);
	}
	close(fd);
}

TEST(enter_resv_and_unknown_flags)
{
	struct asyncx_enter bad[6];
	struct asyncx_cqe cqe;
	struct ring r;
	unsigned int i;

	memset(bad, 0, sizeof(bad));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		bad[i].to_submit = 1;
	bad[0].resv0 = 1;
	bad[1].resv[0] = 1;
	bad[2].resv[1] = 1ULL << 63;
	bad[3].flags = 1U << 1;
	bad[4].flags = 1U << 31;
	bad[5].flags = ASYNCX_ENTER_GETEVENTS | (1U << 7);

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_nop(ring_get_sqe(&r), 7);
	ring_publish(&r);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, ioctl(r.fd, ASYNCX_IOC_ENTER, &bad[i])) TH_LOG("case %u", i);
		EXPECT_EQ(EINVAL, errno) TH_LOG("case %u", i);
	}
	/* A rejected enter consumed nothing. */
	EXPECT_EQ(0U, sq_head_acquire(&r));
	EXPECT_EQ(0U, cq_ready(&r));
	EXPECT_EQ(1, ring_enter(&r, 1, 1, ASYNCX_ENTER_GETEVENTS, 0));
	ASSERT_TRUE(ring_peek_cqe(&r, &cqe));
	EXPECT_EQ(7ULL, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(enter_bad_pointer)
{
	struct ring r;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	EXPECT_EQ(-1, ioctl(r.fd, ASYNCX_IOC_ENTER, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(r.fd, ASYNCX_IOC_ENTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(enter_nothing)
{
	struct ring r;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	EXPECT_EQ(0, ring_enter(&r, 0, 0, 0, 0));
	EXPECT_EQ(0, ring_enter(&r, 8, 0, 0, 0));
	EXPECT_EQ(0U, cq_ready(&r));
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(enter_to_submit_vs_queued)
{
	struct asyncx_cqe cqe;
	struct ring r;
	int i;

	ASSERT_EQ(0, ring_init(&r, 8, 0));

	/* More asked than queued: what is there. */
	for (i = 0; i < 3; i++)
		prep_nop(ring_get_sqe(&r), 100 + i);
	ring_publish(&r);
	EXPECT_EQ(3, ring_enter(&r, 8, 0, 0, 0));
	EXPECT_EQ(3U, sq_head_acquire(&r));

	/* Fewer asked than queued: that many, from the head. */
	for (i = 0; i < 5; i++)
		prep_nop(ring_get_sqe(&r), 200 + i);
	ring_publish(&r);
	EXPECT_EQ(2, ring_enter(&r, 2, 0, 0, 0));
	EXPECT_EQ(5U, sq_head_acquire(&r));
	EXPECT_EQ(3, ring_enter(&r, 3, 8, ASYNCX_ENTER_GETEVENTS, 0));
	EXPECT_EQ(8U, sq_head_acquire(&r));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ring_wait_cqe(&r, &cqe, NSEC_PER_SEC));
		EXPECT_EQ((__u64)(100 + i), cqe.user_data);
	}
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, ring_wait_cqe(&r, &cqe, NSEC_PER_SEC));
		EXPECT_EQ((__u64)(200 + i), cqe.user_data);
	}
	EXPECT_EQ(0U, cq_ready(&r));
	EXPECT_EQ(0, ring_exit(&r));
}

/* ------------------------------------------------------------------ */
/* SQE validation and NOP                                               */
/* ------------------------------------------------------------------ */

TEST(nop_basic)
{
	struct asyncx_cqe cqe;
	struct ring r;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_nop(ring_get_sqe(&r), 0x0123456789abcdefULL);
	ring_publish(&r);
	EXPECT_EQ(1, ring_enter(&r, 1, 1, ASYNCX_ENTER_GETEVENTS, 0));
	EXPECT_EQ(1U, sq_head_acquire(&r));
	ASSERT_EQ(1U, cq_ready(&r));
	ASSERT_TRUE(ring_peek_cqe(&r, &cqe));
	EXPECT_EQ(0x0123456789abcdefULL, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(0U, cqe.flags);
	EXPECT_EQ(1U, *r.cq_tail);
	EXPECT_EQ(0, ring_exit(&r));
}

/*
 * A context's file is not readable: no read of it, by read(2), pread(2) or
 * a READ or READV SQE of this or another context, may enter the context
 * behind its owner's accounting. (A pread(2) door for the enter, tried
 * once, made every such read an enter: the fuzzer's drains then found
 * more final CQEs than SQEs their enters had consumed.)
 */
TEST(read_of_a_context_enters_nothing)
{
	struct iovec iov = { .iov_base = NULL, .iov_len = 1 };
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	struct ring a, b;
	char byte;
	int i;

	ASSERT_EQ(0, ring_init(&a, 8, 0));
	ASSERT_EQ(0, ring_init(&b, 8, 0));
	prep_nop(ring_get_sqe(&a), 1);
	ring_publish(&a);
	EXPECT_EQ(-1, pread(a.fd, &byte, 1, 0));
	EXPECT_EQ(-1, read(a.fd, &byte, 1));
	EXPECT_EQ(-1, pread(a.fd, &byte, 0, 0));
	for (i = 0; i < 4; i++) {
		sqe = ring_get_sqe(&b);
		ASSERT_NE(NULL, sqe);
		sqe->opcode = i & 1 ? ASYNCX_OP_READV : ASYNCX_OP_READ;
		sqe->fd = i & 2 ? b.fd : a.fd;
		sqe->addr = i & 1 ? (uintptr_t)&iov : 0;
		sqe->len = 1;
		sqe->user_data = 10 + i;
	}
	EXPECT_EQ(4, ring_submit(&b));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, ring_wait_cqe(&b, &cqe, 5000000000ULL));
		EXPECT_LT(cqe.res, 0) TH_LOG("READ %llu of a context: %d",
					     (unsigned long long)cqe.user_data, cqe.res);
	}
	/* Nothing of a's was consumed: its NOP is still its owner's. */
	EXPECT_EQ(0U, sq_head_acquire(&a));
	EXPECT_EQ(0U, cq_ready(&a));
	EXPECT_EQ(4U, sq_head_acquire(&b));
	EXPECT_EQ(1, ring_enter(&a, 1, 1, ASYNCX_ENTER_GETEVENTS, 0));
	EXPECT_EQ(1U, cq_ready(&a));
	EXPECT_EQ(0, ring_exit(&b));
	EXPECT_EQ(0, ring_exit(&a));
}

enum sqe_case_kind { K_NOP, K_OPCODE, K_FLAGS, K_PRIO, K_RESV0, K_RESV, K_OPFLAGS, K_RESULT };

TEST(sqe_validation_batch)
{
	/* Valid and invalid SQEs interleaved in one batch. */
	static const struct {
		const char *what;
		enum sqe_case_kind kind;
		__u64 v;	/* the field's value (K_RESV: index << 8 | 1) */
		__s32 want;
	} c[] = {
		{ "nop", K_NOP, 0, 0 },
		{ "opcode OP_LAST", K_OPCODE, ASYNCX_OP_LAST, -EINVAL },
		{ "nop", K_NOP, 0, 0 },
		{ "opcode 255", K_OPCODE, 255, -EINVAL },
		{ "opcode 128", K_OPCODE, 128, -EINVAL },
		{ "flags 2", K_FLAGS, 2, -EINVAL },
		{ "prio HIGH", K_PRIO, ASYNCX_PRIO_HIGH, 0 },
		{ "flags 0x80", K_FLAGS, 0x80, -EINVAL },
		{ "prio LOW", K_PRIO, ASYNCX_PRIO_LOW, 0 },
		{ "prio 3", K_PRIO, 3, -EINVAL },
		{ "prio 255", K_PRIO, 255, -EINVAL },
		{ "prio NORMAL", K_PRIO, ASYNCX_PRIO_NORMAL, 0 },
		{ "resv0 1", K_RESV0, 1, -EINVAL },
		{ "resv0 0x80", K_RESV0, 0x80, -EINVAL },
		{ "deadline w/o flag", K_RESV, 0 << 8 | 1, -EINVAL },
		{ "retry w/o flag", K_RESV, 1 << 8 | 1, -EINVAL },
		{ "nop", K_NOP, 0, 0 },
		{ "group w/o flag", K_RESV, 2 << 8 | 1, -EINVAL },
		{ "nop op_flags 2", K_OPFLAGS, 2, -EINVAL },
		{ "nop op_flags 1<<31", K_OPFLAGS, 1U << 31, -EINVAL },
		{ "nop op_flags RESULT|2", K_OPFLAGS, ASYNCX_NOP_RESULT | 2, -EINVAL },
		{ "nop RESULT 42", K_RESULT, 42, 42 },
		{ "nop RESULT 0", K_RESULT, 0, 0 },
		{ "nop RESULT -EAGAIN", K_RESULT, (__u32)-EAGAIN, -EAGAIN },
		{ "nop RESULT -1", K_RESULT, (__u32)-1, -1 },
		{ "nop RESULT INT_MAX", K_RESULT, (__u32)INT_MAX, INT_MAX },
		{ "nop RESULT INT_MIN", K_RESULT, 0x80000000U, INT_MIN },
		{ "nop", K_NOP, 0, 0 },
	};
	enum { N = ARRAY_SIZE(c) };
	const __u64 ud_base = 0xabcd000000000000ULL;
	int seen[N] = { 0 };
	struct asyncx_cqe cqe;
	struct ring r;
	unsigned int i;

	ASSERT_EQ(0, ring_init(&r, 32, 0));
	for (i = 0; i < N; i++) {
		struct asyncx_sqe *sqe = ring_get_sqe(&r);

		ASSERT_NE(NULL, sqe);
		prep_nop(sqe, ud_base + i);
		switch (c[i].kind) {
		case K_NOP:
			break;
		case K_OPCODE:
			sqe->opcode = (__u8)c[i].v;
			break;
		case K_FLAGS:
			sqe->flags = (__u8)c[i].v;
			break;
		case K_PRIO:
			sqe->prio = (__u8)c[i].v;
			break;
		case K_RESV0:
			sqe->resv0 = (__u8)c[i].v;
			break;
		case K_RESV: {
			/* Composition fields without their SQE flag. */
			__u64 w = 1ULL << 40 | (c[i].v & 0xff);

			memcpy((char *)sqe + offsetof(struct asyncx_sqe, deadline) +
			       8 * (c[i].v >> 8), &w, sizeof(w));
			break;
		}
		case K_OPFLAGS:
			sqe->op_flags = (__u32)c[i].v;
			break;
		case K_RESULT:
			sqe->op_flags = ASYNCX_NOP_RESULT;
			sqe->len = (__u32)c[i].v;
			break;
		}
	}
	ring_publish(&r);
	ASSERT_EQ((int)N, ring_enter(&r, N, N, ASYNCX_ENTER_GETEVENTS, 5 * NSEC_PER_SEC));
	EXPECT_EQ((__u32)N, cq_ready(&r));
	while (ring_peek_cqe(&r, &cqe)) {
		__u64 idx = cqe.user_data - ud_base;

		ASSERT_LT(idx, (__u64)N) TH_LOG("unknown user_data %#llx",
						(unsigned long long)cqe.user_data);
		seen[idx]++;
		EXPECT_EQ(c[idx].want, cqe.res) TH_LOG("%s", c[idx].what);
		EXPECT_EQ(0U, cqe.flags) TH_LOG("%s", c[idx].what);
	}
	for (i = 0; i < N; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("%s: %d CQEs", c[i].what, seen[i]);
	EXPECT_EQ(0, ring_exit(&r));
}

/* ------------------------------------------------------------------ */
/* Batches                                                              */
/* ------------------------------------------------------------------ */

FIXTURE(batch) {
	struct ring r;
	bool ready;
};

FIXTURE_VARIANT(batch) {
	__u32 n;
};

FIXTURE_VARIANT_ADD(batch, n1) { .n = 1 };
FIXTURE_VARIANT_ADD(batch, n8) { .n = 8 };
FIXTURE_VARIANT_ADD(batch, n32) { .n = 32 };
FIXTURE_VARIANT_ADD(batch, n128) { .n = 128 };
FIXTURE_VARIANT_ADD(batch, n1024) { .n = 1024 };
FIXTURE_VARIANT_ADD(batch, n4096) { .n = 4096 };

FIXTURE_SETUP(batch)
{
	self->ready = false;
	ASSERT_EQ(0, ring_init(&self->r, variant->n, 0));
	self->ready = true;
}

FIXTURE_TEARDOWN(batch)
{
	if (self->ready)
		ring_exit(&self->r);
}

TEST_F(batch, nops_in_one_enter)
{
	const __u64 ud_base = 0x5a5a000100000000ULL;
	struct ring *r = &self->r;
	__u32 n = variant->n, i, bad = 0;
	struct asyncx_cqe cqe;
	unsigned char *seen;
	__u64 t0, t1;

	if (!self->ready)
		return;
	ASSERT_EQ(n, r->sq_entries);
	seen = calloc(n, 1);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < n; i++) {
		struct asyncx_sqe *sqe = ring_get_sqe(r);

		ASSERT_NE(NULL, sqe) TH_LOG("SQE %u of %u", i, n);
		prep_nop(sqe, ud_base + i);
	}
	EXPECT_EQ(NULL, ring_get_sqe(r));	/* the SQ is full */
	ring_publish(r);
	t0 = now_ns();
	EXPECT_EQ((int)n, ring_enter(r, n, n, ASYNCX_ENTER_GETEVENTS, 10 * NSEC_PER_SEC));
	t1 = now_ns();
	TH_LOG("%u NOPs: %llu us", n, (unsigned long long)(t1 - t0) / 1000);
	EXPECT_EQ(n, sq_head_acquire(r));
	EXPECT_EQ(n, cq_ready(r));
	while (ring_peek_cqe(r, &cqe)) {
		__u64 idx = cqe.user_data - ud_base;

		if (idx >= n || seen[idx] || cqe.res || cqe.flags) {
			if (bad++ < 5)
				TH_LOG("bad CQE: user_data %#llx res %d flags %#x%s",
				       (unsigned long long)cqe.user_data, cqe.res, cqe.flags,
				       idx < n && seen[idx] ? " (twice)" : "");
			continue;
		}
		seen[idx] = 1;
	}
	EXPECT_EQ(0U, bad);
	for (i = 0; i < n; i++)
		if (!seen[i] && bad++ < 10)
			TH_LOG("user_data %#llx: no CQE", (unsigned long long)(ud_base + i));
	EXPECT_EQ(0U, bad);
	EXPECT_EQ(0U, counter(r->sq_dropped));
	free(seen);
}

/*
 * An enter with nothing to submit and nothing to wait for moves overflowed
 * CQEs in (as the uapi says every enter does): libasyncx's peeks rely on
 * it (asyncx_get_events()). It used to move nothing.
 */
TEST(empty_enter_moves_overflow_in)
{
	struct asyncx_cqe cqe;
	struct ring r;
	int i;

	ASSERT_EQ(0, ring_init(&r, 4, 4));
	for (i = 0; i < 8; i++) {
		prep_nop(ring_get_sqe(&r), i);
		if (i % 4 == 3)
			ASSERT_EQ(4, ring_submit(&r));
	}
	ASSERT_EQ(4U, cq_ready(&r));
	EXPECT_TRUE(sq_flags_acquire(&r) & ASYNCX_SQ_CQ_OVERFLOW);
	for (i = 0; i < 4; i++) {
		ASSERT_TRUE(ring_peek_cqe(&r, &cqe));
		EXPECT_EQ((__u64)i, cqe.user_data);
	}
	EXPECT_EQ(0U, cq_ready(&r));
	EXPECT_EQ(0, ring_enter(&r, 0, 0, 0, 0));
	ASSERT_EQ(4U, cq_ready(&r));
	EXPECT_FALSE(sq_flags_acquire(&r) & ASYNCX_SQ_CQ_OVERFLOW);
	for (i = 4; i < 8; i++) {
		ASSERT_TRUE(ring_peek_cqe(&r, &cqe));
		EXPECT_EQ((__u64)i, cqe.user_data);
	}
	EXPECT_EQ(0, ring_exit(&r));
}

/* Indices run on past the ring size, at an odd stride. */
TEST(ring_wraps)
{
	enum { ROUNDS = 1000, PER = 5 };
	struct asyncx_cqe cqe;
	struct ring r;
	__u64 next = 0, expect = 0;
	int i, j;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	for (i = 0; i < ROUNDS; i++) {
		for (j = 0; j < PER; j++)
			prep_nop(ring_get_sqe(&r), next++);
		ASSERT_EQ(PER, ring_submit(&r)) TH_LOG("round %d", i);
		for (j = 0; j < PER; j++) {
			ASSERT_EQ(0, ring_wait_cqe(&r, &cqe, NSEC_PER_SEC)) TH_LOG("round %d", i);
			ASSERT_EQ(expect, cqe.user_data) TH_LOG("round %d", i);
			EXPECT_EQ(0, cqe.res);
			expect++;
		}
	}
	EXPECT_EQ((__u32)(ROUNDS * PER), sq_head_acquire(&r));
	EXPECT_EQ((__u32)(ROUNDS * PER), cq_tail_acquire(&r));
	EXPECT_EQ(0, ring_exit(&r));
}

/* ------------------------------------------------------------------ */
/* CQ overflow                                                          */
/* ------------------------------------------------------------------ */

/* Spin (yielding) until the overflow flag is set or clear; false on time out. */
static bool wait_overflow_flag(struct ring *r, bool set, __u64 limit_ns)
{
	__u64 t0 = now_ns();

	while (!!(sq_flags_acquire(r) & ASYNCX_SQ_CQ_OVERFLOW) != set) {
		if (now_ns() - t0 > limit_ns)
			return false;
		sched_yield();
	}
	return true;
}

TEST(cq_overflow_nodrop)
{
	enum { CQ = 8, TOTAL = 10 * CQ };
	__u64 got[TOTAL];
	unsigned int reaped = 0, submitted = 0, busy = 0, flushes = 0, flag_checks = 0;
	struct asyncx_cqe cqe;
	struct ring r;
	unsigned int i;
	int ret;

	ASSERT_EQ(0, ring_init(&r, CQ, CQ));
	ASSERT_EQ((__u32)CQ, r.cq_entries);

	while (submitted < TOTAL) {
		if (!sq_pending(&r)) {
			while (submitted + sq_pending(&r) < TOTAL) {
				struct asyncx_sqe *sqe = ring_get_sqe(&r);

				if (!sqe)
					break;
				prep_nop(sqe, 1000 + submitted + sq_pending(&r) - 1);
			}
			ring_publish(&r);
		}
		ret = ring_enter(&r, sq_pending(&r), 0, 0, 0);
		if (ret == -EBUSY) {
			/* Only while completions wait in the overflow list. */
			busy++;
			EXPECT_TRUE(sq_flags_acquire(&r) & ASYNCX_SQ_CQ_OVERFLOW)
				TH_LOG("-EBUSY without the overflow flag");
			if (!cq_ready(&r)) {
				/* Nothing to reap: let the kernel flush the list. */
				flushes++;
				ret = ring_enter(&r, 0, 1, ASYNCX_ENTER_GETEVENTS, NSEC_PER_SEC);
				ASSERT_LE(0, ret) TH_LOG("flush wait: %s (reaped %u, submitted %u)",
							 strerror(-ret), reaped, submitted);
			}
			while (ring_peek_cqe(&r, &cqe)) {
				ASSERT_LT(reaped, (unsigned int)TOTAL);
				EXPECT_EQ(0, cqe.res);
				got[reaped++] = cqe.user_data;
			}
			ASSERT_LT(busy, 10000U);
			continue;
		}
		ASSERT_LE(0, ret) TH_LOG("enter: %s", strerror(-ret));
		ASSERT_NE(0, ret) TH_LOG("enter consumed nothing of %u", sq_pending(&r));
		submitted += ret;
		/*
		 * More outstanding than the CQ holds: the rest wait in the
		 * overflow list, and the flag says so.
		 */
		if (submitted - reaped > CQ) {
			flag_checks++;
			EXPECT_TRUE(wait_overflow_flag(&r, true, 2 * NSEC_PER_SEC))
				TH_LOG("submitted %u reaped %u cq ready %u: flag %#x",
				       submitted, reaped, cq_ready(&r), sq_flags_acquire(&r));
			EXPECT_GE((__u32)CQ, cq_ready(&r));
		}
	}
	TH_LOG("submitted %u: -EBUSY %u times, %u flush waits, %u flag checks, overflow counter %u",
	       submitted, busy, flushes, flag_checks, counter(r.cq_overflow));
	EXPECT_LT(0U, flag_checks);

	/* Reap everything. */
	while (reaped < TOTAL) {
		ret = ring_wait_cqe(&r, &cqe, NSEC_PER_SEC);
		ASSERT_EQ(0, ret) TH_LOG("reaped %u of %u: %s, flag %#x", reaped, TOTAL,
					 strerror(-ret), sq_flags_acquire(&r));
		EXPECT_EQ(0, cqe.res);
		got[reaped++] = cqe.user_data;
	}
	EXPECT_FALSE(ring_peek_cqe(&r, &cqe));
	for (i = 0; i < TOTAL; i++)
		EXPECT_EQ((__u64)(1000 + i), got[i]) TH_LOG("CQE %u", i);
	EXPECT_TRUE(wait_overflow_flag(&r, false, NSEC_PER_SEC))
		TH_LOG("overflow flag still set after reaping everything");
	EXPECT_EQ(0U, counter(r.sq_dropped));
	EXPECT_LT(0U, counter(r.cq_overflow));
	EXPECT_GE((__u32)TOTAL, counter(r.cq_overflow));
	EXPECT_EQ(0, ring_exit(&r));
}

/* Close with completions waiting in the overflow list (kmemleak judges). */
TEST(close_with_overflow_pending)
{
	struct ring r;
	unsigned int submitted = 0;
	int ret, i;

	ASSERT_EQ(0, ring_init(&r, 8, 8));
	while (submitted < 64) {
		for (i = 0; i < 8; i++)
			prep_nop(ring_get_sqe(&r), submitted + i);
		ret = ring_submit(&r);
		if (ret == -EBUSY)
			break;
		ASSERT_EQ(8, ret);
		submitted += 8;
	}
	TH_LOG("submitted %u, overflow flag %#x", submitted, sq_flags_acquire(&r));
	EXPECT_TRUE(wait_overflow_flag(&r, true, 2 * NSEC_PER_SEC));
	EXPECT_EQ(0, ring_exit(&r));
}

/* ------------------------------------------------------------------ */
/* TIMEOUT                                                              */
/* ------------------------------------------------------------------ */

/*
 * Submitted 30, 10, 20 ms: each completes once, with -ETIME, never before
 * its time. The order is 10, 20, 30 unless the machine is so loaded that
 * the timer interrupt comes late for two of them at once: then the two
 * tasks are woken together and race to the CQ (reported, not failed; seen
 * on the debug kernel under TCG on a busy host, 50-65 ms late).
 */
TEST(timeout_relative_order)
{
	static const __u64 ms[] = { 30, 10, 20 };
	struct __kernel_timespec ts[3];
	struct asyncx_cqe cqe;
	int seen[3] = { 0 };
	struct ring r;
	__u64 t0, at, prev = 0;
	unsigned int i;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	for (i = 0; i < 3; i++) {
		ts[i] = ts_of_ns(ms[i] * NSEC_PER_MSEC);
		prep_timeout(ring_get_sqe(&r), ms[i], &ts[i], 0);
	}
	t0 = now_ns();
	ASSERT_EQ(3, ring_submit(&r));
	for (i = 0; i < 3; i++) {
		int ret = ring_wait_cqe(&r, &cqe, 5 * NSEC_PER_SEC);

		at = now_ns() - t0;
		ASSERT_EQ(0, ret) TH_LOG("CQE %u: %s", i, strerror(-ret));
		TH_LOG("CQE %u: user_data %llu res %d at %llu us", i,
		       (unsigned long long)cqe.user_data, cqe.res,
		       (unsigned long long)at / 1000);
		ASSERT_TRUE(cqe.user_data == 10 || cqe.user_data == 20 ||
			    cqe.user_data == 30);
		EXPECT_EQ(0, seen[cqe.user_data / 10 - 1]++);
		if (cqe.user_data != 10 * (i + 1))
			TH_LOG("out of order: the timers were %llu ms late",
			       (unsigned long long)(at / NSEC_PER_MSEC - cqe.user_data));
		EXPECT_EQ(-ETIME, cqe.res);
		EXPECT_LE(cqe.user_data * NSEC_PER_MSEC, at) TH_LOG("early");
		EXPECT_LE(prev, at);
		prev = at;
	}
	EXPECT_EQ(0U, cq_ready(&r));
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(timeout_abs)
{
	struct __kernel_timespec ts;
	struct asyncx_cqe cqe;
	struct ring r;
	__u64 deadline, at;
	int ret;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	deadline = now_ns() + 20 * NSEC_PER_MSEC;
	ts = ts_of_ns(deadline);
	prep_timeout(ring_get_sqe(&r), 1, &ts, ASYNCX_TIMEOUT_ABS);
	ASSERT_EQ(1, ring_submit(&r));
	ret = ring_wait_cqe(&r, &cqe, 5 * NSEC_PER_SEC);
	at = now_ns();
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	TH_LOG("completed %lld us after the deadline", ((long long)at - (long long)deadline) / 1000);
	EXPECT_EQ(1ULL, cqe.user_data);
	EXPECT_EQ(-ETIME, cqe.res);
	EXPECT_LE(deadline, at);
	EXPECT_EQ(0, ring_exit(&r));
}

/* A deadline already passed, and a zero relative time: -ETIME at once. */
TEST(timeout_already_expired)
{
	struct __kernel_timespec past, zero = { 0, 0 };
	struct asyncx_cqe cqe;
	struct ring r;
	__u64 t0;
	int i;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	past = ts_of_ns(now_ns() - NSEC_PER_SEC);
	prep_timeout(ring_get_sqe(&r), 1, &past, ASYNCX_TIMEOUT_ABS);
	prep_timeout(ring_get_sqe(&r), 2, &zero, 0);
	t0 = now_ns();
	ASSERT_EQ(2, ring_submit(&r));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ring_wait_cqe(&r, &cqe, 5 * NSEC_PER_SEC));
		EXPECT_EQ(-ETIME, cqe.res) TH_LOG("user_data %llu", (unsigned long long)cqe.user_data);
	}
	TH_LOG("both in %llu us", (unsigned long long)(now_ns() - t0) / 1000);
	EXPECT_GT(NSEC_PER_SEC, now_ns() - t0);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(timeout_invalid)
{
	struct __kernel_timespec ok = { 0, 1000 }, neg = { 0, -1 }, big = { 0, 1000000000 };
	static const char *const what[] = {
		"len 0", "len 2", "addr 8", "addr NULL", "tv_nsec -1", "tv_nsec 1e9",
		"op_flags 4", "ABS, tv_nsec 1e9",
	};
	static const int want[] = {
		-EINVAL, -EINVAL, -EFAULT, -EFAULT, -EINVAL, -EINVAL, -EINVAL, -EINVAL,
	};
	enum { N = ARRAY_SIZE(what) };
	struct asyncx_sqe *s[N];
	int seen[N] = { 0 };
	struct asyncx_cqe cqe;
	struct ring r;
	unsigned int i;

	ASSERT_EQ(0, ring_init(&r, 16, 0));
	for (i = 0; i < N; i++) {
		s[i] = ring_get_sqe(&r);
		prep_timeout(s[i], i, &ok, 0);
	}
	s[0]->len = 0;
	s[1]->len = 2;
	s[2]->addr = 8;
	s[3]->addr = 0;
	s[4]->addr = (__u64)(uintptr_t)&neg;
	s[5]->addr = (__u64)(uintptr_t)&big;
	s[6]->op_flags = 4;
	s[7]->addr = (__u64)(uintptr_t)&big;
	s[7]->op_flags = ASYNCX_TIMEOUT_ABS;
	/* And a valid one, 1 us, after them: the batch goes on. */
	prep_timeout(ring_get_sqe(&r), N, &ok, 0);
	ASSERT_EQ(N + 1, ring_submit(&r));
	for (i = 0; i < N + 1; i++) {
		ASSERT_EQ(0, ring_wait_cqe(&r, &cqe, 5 * NSEC_PER_SEC)) TH_LOG("CQE %u", i);
		ASSERT_GE((__u64)N, cqe.user_data);
		if (cqe.user_data == N) {
			EXPECT_EQ(-ETIME, cqe.res) TH_LOG("the valid timeout");
			continue;
		}
		seen[cqe.user_data]++;
		EXPECT_EQ(want[cqe.user_data], cqe.res) TH_LOG("%s", what[cqe.user_data]);
	}
	for (i = 0; i < N; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("%s", what[i]);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(getevents_blocks_until_completion)
{
	struct __kernel_timespec ts = ts_of_ns(50 * NSEC_PER_MSEC);
	struct asyncx_cqe cqe;
	struct ring r;
	__u64 t0, t;
	int ret;

	ASSERT_EQ(0, ring_init(&r, 8, 0));

	/* Submit and wait in one enter. */
	prep_timeout(ring_get_sqe(&r), 1, &ts, 0);
	ring_publish(&r);
	t0 = now_ns();
	EXPECT_EQ(1, ring_enter(&r, 1, 1, ASYNCX_ENTER_GETEVENTS, 0));
	t = now_ns() - t0;
	TH_LOG("submit+wait returned after %llu us", (unsigned long long)t / 1000);
	EXPECT_LE(50 * NSEC_PER_MSEC, t);
	ASSERT_EQ(1U, cq_ready(&r));
	ASSERT_TRUE(ring_peek_cqe(&r, &cqe));
	EXPECT_EQ(-ETIME, cqe.res);

	/* Submit, then wait in a second enter. */
	prep_timeout(ring_get_sqe(&r), 2, &ts, 0);
	t0 = now_ns();
	ASSERT_EQ(1, ring_submit(&r));
	t = now_ns() - t0;
	if (t < 50 * NSEC_PER_MSEC)
		EXPECT_EQ(0U, cq_ready(&r)) TH_LOG("completed before its time");
	ret = ring_enter(&r, 0, 1, ASYNCX_ENTER_GETEVENTS, 0);
	t = now_ns() - t0;
	EXPECT_EQ(0, ret);
	TH_LOG("wait returned after %llu us", (unsigned long long)t / 1000);
	EXPECT_LE(50 * NSEC_PER_MSEC, t);
	ASSERT_TRUE(ring_peek_cqe(&r, &cqe));
	EXPECT_EQ(2ULL, cqe.user_data);
	EXPECT_EQ(-ETIME, cqe.res);

	/* A CQE already there: no wait. */
	prep_nop(ring_get_sqe(&r), 3);
	ASSERT_EQ(1, ring_submit(&r));
	t0 = now_ns();
	EXPECT_EQ(0, ring_enter(&r, 0, 1, ASYNCX_ENTER_GETEVENTS, 0));
	EXPECT_GT(NSEC_PER_SEC, now_ns() - t0);
	ASSERT_TRUE(ring_peek_cqe(&r, &cqe));
	EXPECT_EQ(3ULL, cqe.user_data);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(getevents_min_complete_two)
{
	struct __kernel_timespec a = ts_of_ns(20 * NSEC_PER_MSEC);
	struct __kernel_timespec b = ts_of_ns(40 * NSEC_PER_MSEC);
	struct ring r;
	__u64 t0, t;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_timeout(ring_get_sqe(&r), 20, &a, 0);
	prep_timeout(ring_get_sqe(&r), 40, &b, 0);
	ring_publish(&r);
	t0 = now_ns();
	EXPECT_EQ(2, ring_enter(&r, 2, 2, ASYNCX_ENTER_GETEVENTS, 0));
	t = now_ns() - t0;
	TH_LOG("returned after %llu us", (unsigned long long)t / 1000);
	EXPECT_LE(40 * NSEC_PER_MSEC, t);
	EXPECT_EQ(2U, cq_ready(&r));
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(enter_timeout_expires)
{
	struct ring r;
	__u64 t0, t;
	int ret;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	t0 = now_ns();
	ret = ring_enter(&r, 0, 1, ASYNCX_ENTER_GETEVENTS, 50 * NSEC_PER_MSEC);
	t = now_ns() - t0;
	TH_LOG("returned %d after %llu us", ret, (unsigned long long)t / 1000);
	EXPECT_EQ(-ETIME, ret);
	EXPECT_LE(50 * NSEC_PER_MSEC, t);
	EXPECT_EQ(0U, cq_ready(&r));
	EXPECT_EQ(0, ring_exit(&r));
}

/* The event comes before the enter's timeout: it ends the wait. */
TEST(enter_timeout_event_first)
{
	struct __kernel_timespec ts = ts_of_ns(20 * NSEC_PER_MSEC);
	struct ring r;
	__u64 t0, t;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_timeout(ring_get_sqe(&r), 1, &ts, 0);
	ring_publish(&r);
	t0 = now_ns();
	EXPECT_EQ(1, ring_enter(&r, 1, 1, ASYNCX_ENTER_GETEVENTS, 10 * NSEC_PER_SEC));
	t = now_ns() - t0;
	TH_LOG("returned after %llu us", (unsigned long long)t / 1000);
	EXPECT_LE(20 * NSEC_PER_MSEC, t);
	EXPECT_GT(5 * NSEC_PER_SEC, t);
	EXPECT_EQ(1U, cq_ready(&r));
	EXPECT_EQ(0, ring_exit(&r));
}

/* -ETIME from the wait does not undo the submission: its CQE comes. */
TEST(enter_timeout_keeps_submitted)
{
	struct __kernel_timespec ts = ts_of_ns(100 * NSEC_PER_MSEC);
	struct asyncx_cqe cqe;
	struct ring r;
	__u64 t0, t;
	int ret;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_timeout(ring_get_sqe(&r), 9, &ts, 0);
	ring_publish(&r);
	t0 = now_ns();
	ret = ring_enter(&r, 1, 1, ASYNCX_ENTER_GETEVENTS, 20 * NSEC_PER_MSEC);
	t = now_ns() - t0;
	TH_LOG("submit 1 + wait 20 ms: returned %d after %llu us, CQ ready %u",
	       ret, (unsigned long long)t / 1000, cq_ready(&r));
	/* The header: a consumed count wins over the wait's -ETIME. */
	EXPECT_EQ(1, ret);
	EXPECT_LE(20 * NSEC_PER_MSEC, t);
	EXPECT_EQ(0U, cq_ready(&r));
	EXPECT_EQ(1U, sq_head_acquire(&r));
	ret = ring_wait_cqe(&r, &cqe, 5 * NSEC_PER_SEC);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	EXPECT_EQ(9ULL, cqe.user_data);
	EXPECT_EQ(-ETIME, cqe.res);
	EXPECT_EQ(0, ring_exit(&r));
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(enter_wait_interrupted_by_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 50000 } };
	struct ring r;
	__u64 t0, t;
	int ret;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	t0 = now_ns();
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ret = ring_enter(&r, 0, 1, ASYNCX_ENTER_GETEVENTS, 0);
	t = now_ns() - t0;
	TH_LOG("returned %d after %llu us", ret, (unsigned long long)t / 1000);
	EXPECT_EQ(-EINTR, ret);
	EXPECT_LE(50 * NSEC_PER_MSEC, t);
	signal(SIGALRM, SIG_DFL);
	EXPECT_EQ(0, ring_exit(&r));
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                             */
/* ------------------------------------------------------------------ */

/* Submit n timeouts of ts, in as many enters as the SQ needs: submitted or -errno. */
static int submit_timeouts(struct ring *r, const struct __kernel_timespec *ts, unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		struct asyncx_sqe *sqe;
		int ret;

		while (done + sq_pending(r) < n && (sqe = ring_get_sqe(r)))
			prep_timeout(sqe, done + sq_pending(r), ts, 0);
		ret = ring_submit(r);
		if (ret <= 0)
			return ret ? ret : -EIO;
		done += ret;
	}
	return (int)done;
}

TEST(close_with_10000_timeouts_in_flight)
{
	enum { N = 10000 };
	struct __kernel_timespec ts = ts_of_ns(10 * NSEC_PER_SEC);
	long base = read_long(DEBUGFS_CONTEXTS);
	long long gone;
	struct ring r;
	__u64 t0, t;

	ASSERT_EQ(0, ring_init(&r, ASYNCX_MAX_ENTRIES, 0));
	ASSERT_EQ(N, submit_timeouts(&r, &ts, N));
	EXPECT_EQ(0U, cq_ready(&r));
	t0 = now_ns();
	ring_unmap(&r);
	EXPECT_EQ(0, close(r.fd));
	t = now_ns() - t0;
	TH_LOG("munmap+close with %d timeouts in flight: %llu us", N,
	       (unsigned long long)t / 1000);
	EXPECT_GT(2 * NSEC_PER_SEC, t);
	if (base < 0) {
		TH_LOG("no %s: context teardown not checked", DEBUGFS_CONTEXTS);
		return;
	}
	gone = wait_contexts(base, 3 * NSEC_PER_SEC);
	TH_LOG("context gone %lld us after close", gone < 0 ? -1 : gone / 1000);
	EXPECT_LE(0, gone) TH_LOG("contexts %ld, was %ld", read_long(DEBUGFS_CONTEXTS), base);
}

/*
 * close() first, munmap() last: the owner's close of its last descriptor
 * cancels what is in flight (Documentation/security.rst, "Lifetime"), and
 * the mappings still work: the cancellations show in the CQ, which has
 * room for them. The last munmap tears the context down.
 */
TEST(close_before_munmap_with_timeouts_in_flight)
{
	struct __kernel_timespec ts = ts_of_ns(10 * NSEC_PER_SEC);
	long base = read_long(DEBUGFS_CONTEXTS);
	struct ring r;
	__u64 t0, t;

	ASSERT_EQ(0, ring_init(&r, 64, 0));
	ASSERT_EQ(100, submit_timeouts(&r, &ts, 100));
	t0 = now_ns();
	EXPECT_EQ(0, close(r.fd));
	EXPECT_EQ(100U, sq_head_acquire(&r));
	for (int i = 0; i < 200 && cq_ready(&r) < 100; i++)
		usleep(10 * 1000);
	EXPECT_EQ(100U, cq_ready(&r));
	ring_unmap(&r);
	t = now_ns() - t0;
	TH_LOG("close+munmap: %llu us", (unsigned long long)t / 1000);
	EXPECT_GT(2 * NSEC_PER_SEC, t);
	if (base >= 0)
		EXPECT_LE(0, wait_contexts(base, 3 * NSEC_PER_SEC));
}

/* A process that exits with timeouts in flight exits promptly. */
TEST(exit_with_timeouts_in_flight)
{
	struct __kernel_timespec ts = ts_of_ns(10 * NSEC_PER_SEC);
	long base = read_long(DEBUGFS_CONTEXTS);
	int pipefd[2], status;
	char c = 0;
	__u64 t0, t;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ring r;

		close(pipefd[0]);
		if (ring_init(&r, 1024, 0) || submit_timeouts(&r, &ts, 1000) != 1000)
			_exit(1);
		c = 1;
		if (write(pipefd[1], &c, 1) != 1)
			_exit(2);
		_exit(0);	/* no close, no munmap */
	}
	close(pipefd[1]);
	EXPECT_EQ(1, read(pipefd[0], &c, 1));
	t0 = now_ns();
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t = now_ns() - t0;
	close(pipefd[0]);
	TH_LOG("child exit took %llu us", (unsigned long long)t / 1000);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_GT(2 * NSEC_PER_SEC, t);
	if (base >= 0)
		EXPECT_LE(0, wait_contexts(base, 3 * NSEC_PER_SEC));
}

/* ---------------------------------------------------- CANCEL and PROBE */

static void prep_cancel(struct asyncx_sqe *sqe, __u64 user_data, __u64 target,
			__u32 op_flags)
{
	sqe->opcode = ASYNCX_OP_CANCEL;
	sqe->addr = target;
	sqe->op_flags = op_flags;
	sqe->user_data = user_data;
}

/* Reap n CQEs into out[] (in arrival order); 0 or -errno. */
static int reap(struct ring *r, struct asyncx_cqe *out, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = ring_wait_cqe(r, &out[i], 5 * NSEC_PER_SEC);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A periodic (multishot) TIMEOUT with a count: that many CQEs, -ETIME,
 * ASYNCX_CQE_F_MORE on all but the last, spaced at least a period apart.
 */
TEST(timeout_multishot_count)
{
	struct __kernel_timespec ts = ts_of_ns(20 * NSEC_PER_MSEC);
	struct asyncx_sqe *sqe;
	struct asyncx_cqe c;
	struct ring r;
	__u64 t0, prev;
	int i;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	sqe = ring_get_sqe(&r);
	prep_timeout(sqe, 7, &ts, ASYNCX_TIMEOUT_MULTISHOT);
	sqe->off = 5;
	t0 = prev = now_ns();
	ASSERT_EQ(1, ring_submit(&r));
	for (i = 0; i < 5; i++) {
		__u64 t;

		ASSERT_EQ(0, ring_wait_cqe(&r, &c, 5 * NSEC_PER_SEC));
		t = now_ns();
		EXPECT_EQ(7U, c.user_data);
		EXPECT_EQ(-ETIME, c.res);
		EXPECT_EQ(i < 4 ? ASYNCX_CQE_F_MORE : 0U, c.flags) TH_LOG("CQE %d", i);
		TH_LOG("CQE %d after %llu ms (+%llu)", i,
		       (unsigned long long)(t - t0) / NSEC_PER_MSEC,
		       (unsigned long long)(t - prev) / NSEC_PER_MSEC);
		prev = t;
	}
	/* Five periods at least (a lower bound: timers never fire early). */
	EXPECT_LE(5 * 20 * NSEC_PER_MSEC, prev - t0);
	EXPECT_EQ(-ETIME, ring_wait_cqe(&r, &c, 100 * NSEC_PER_MSEC));
	EXPECT_EQ(0, ring_exit(&r));
}

/* Endless: CQEs with MORE until a CANCEL; then a last one, -ECANCELED. */
TEST(timeout_multishot_until_cancelled)
{
	struct __kernel_timespec ts = ts_of_ns(10 * NSEC_PER_MSEC);
	struct asyncx_cqe c;
	struct ring r;
	int more = 0, last = 0, cancel = 0;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_timeout(ring_get_sqe(&r), 9, &ts, ASYNCX_TIMEOUT_MULTISHOT);
	ASSERT_EQ(1, ring_submit(&r));
	while (more < 3) {
		ASSERT_EQ(0, ring_wait_cqe(&r, &c, 5 * NSEC_PER_SEC));
		EXPECT_EQ(9U, c.user_data);
		EXPECT_EQ(-ETIME, c.res);
		EXPECT_EQ(ASYNCX_CQE_F_MORE, c.flags);
		more++;
	}
	prep_cancel(ring_get_sqe(&r), 10, 9, 0);
	ASSERT_EQ(1, ring_submit(&r));
	while (!last || !cancel) {
		ASSERT_EQ(0, ring_wait_cqe(&r, &c, 5 * NSEC_PER_SEC));
		if (c.user_data == 10) {
			EXPECT_EQ(0, c.res);
			cancel++;
		} else if (c.flags & ASYNCX_CQE_F_MORE) {
			/* Expirations before the cancel took effect. */
			EXPECT_EQ(0, last);
			EXPECT_EQ(-ETIME, c.res);
		} else {
			EXPECT_EQ(-ECANCELED, c.res);
			last++;
		}
	}
	EXPECT_EQ(1, last);
	EXPECT_EQ(1, cancel);
	EXPECT_EQ(0, ring_exit(&r));
}

/* Bad multishot timeouts: absolute, a period under 1 us, off without it. */
TEST(timeout_multishot_invalid)
{
	struct __kernel_timespec tiny = ts_of_ns(999), ok = ts_of_ns(NSEC_PER_MSEC);
	struct __kernel_timespec zero = ts_of_ns(0);
	struct asyncx_sqe *sqe;
	struct asyncx_cqe c[4];
	struct ring r;
	int i;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_timeout(ring_get_sqe(&r), 1, &ok,
		     ASYNCX_TIMEOUT_MULTISHOT | ASYNCX_TIMEOUT_ABS);
	prep_timeout(ring_get_sqe(&r), 2, &tiny, ASYNCX_TIMEOUT_MULTISHOT);
	sqe = ring_get_sqe(&r);
	prep_timeout(sqe, 3, &ok, 0);
	sqe->off = 2;
	prep_timeout(ring_get_sqe(&r), 4, &zero, ASYNCX_TIMEOUT_MULTISHOT);
	ASSERT_EQ(4, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 4));
	for (i = 0; i < 4; i++) {
		const struct asyncx_cqe *e = &c[i];

		EXPECT_EQ(-EINVAL, e->res) TH_LOG("ud %llu",
						  (unsigned long long)e->user_data);
	}
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(cancel_by_user_data)
{
	struct __kernel_timespec ts = ts_of_ns(10 * NSEC_PER_SEC);
	struct asyncx_cqe c[2];
	struct ring r;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_timeout(ring_get_sqe(&r), 1, &ts, 0);
	ASSERT_EQ(1, ring_submit(&r));
	prep_cancel(ring_get_sqe(&r), 2, 1, 0);
	ASSERT_EQ(1, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 2));
	/*
	 * The CANCEL completes at submission and the timeout when a worker
	 * drops it, which may come first: the two CQEs have no set order.
	 */
	if (c[0].user_data == 1) {
		struct asyncx_cqe t = c[0];

		c[0] = c[1];
		c[1] = t;
	}
	EXPECT_EQ(2ULL, c[0].user_data);
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(1ULL, c[1].user_data);
	EXPECT_EQ(-ECANCELED, c[1].res);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(cancel_not_found_and_completed)
{
	struct asyncx_cqe c[3];
	struct ring r;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_nop(ring_get_sqe(&r), 7);
	prep_cancel(ring_get_sqe(&r), 8, 7, 0);	/* NOP already done */
	prep_cancel(ring_get_sqe(&r), 9, 12345, 0);
	ASSERT_EQ(3, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 3));
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(-ENOENT, c[1].res);
	EXPECT_EQ(-ENOENT, c[2].res);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(cancel_all)
{
	struct __kernel_timespec ts = ts_of_ns(10 * NSEC_PER_SEC);
	struct asyncx_sqe *sqe;
	struct asyncx_cqe c[6];
	unsigned int i, cancelled = 0;
	struct ring r;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	for (i = 0; i < 5; i++)
		prep_timeout(ring_get_sqe(&r), 100 + i, &ts, 0);
	ASSERT_EQ(5, ring_submit(&r));
	prep_cancel(ring_get_sqe(&r), 200, 0, ASYNCX_CANCEL_ALL);
	ASSERT_EQ(1, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 6));
	for (i = 0; i < 6; i++) {
		if (c[i].user_data == 200) {
			EXPECT_EQ(5, c[i].res);
		} else if (c[i].res == -ECANCELED) {
			cancelled++;
		}
	}
	EXPECT_EQ(5U, cancelled);
	/* A second CANCEL_ALL finds nothing; bad fields are rejected. */
	prep_cancel(ring_get_sqe(&r), 201, 0, ASYNCX_CANCEL_ALL);
	prep_cancel(ring_get_sqe(&r), 202, 1, ASYNCX_CANCEL_ALL);
	sqe = ring_get_sqe(&r);
	prep_cancel(sqe, 203, 1, 0);
	sqe->len = 1;
	ASSERT_EQ(3, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 3));
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(-EINVAL, c[1].res);
	EXPECT_EQ(-EINVAL, c[2].res);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(probe)
{
	struct {
		struct asyncx_probe p;
		struct asyncx_probe_op ops[ASYNCX_OP_LAST];
	} buf;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe c[3];
	struct ring r;
	unsigned int i;

	memset(&buf, 0, sizeof(buf));
	ASSERT_EQ(0, ring_init(&r, 8, 0));
	sqe = ring_get_sqe(&r);
	sqe->opcode = ASYNCX_OP_PROBE;
	sqe->addr = (__u64)(uintptr_t)&buf;
	sqe->len = ASYNCX_OP_LAST;
	sqe->user_data = 1;
	sqe = ring_get_sqe(&r);
	sqe->opcode = ASYNCX_OP_PROBE;
	sqe->addr = 8;		/* unmapped */
	sqe->len = 4;
	sqe->user_data = 2;
	ASSERT_EQ(2, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 2));
	EXPECT_EQ(0, c[0].res);
	EXPECT_EQ(-EFAULT, c[1].res);
	EXPECT_EQ(ASYNCX_OP_LAST - 1, buf.p.last_op);
	EXPECT_EQ(ASYNCX_OP_LAST, buf.p.ops_len);
	for (i = 0; i < ASYNCX_OP_LAST; i++) {
		EXPECT_EQ(i, buf.p.ops[i].op);
		EXPECT_EQ(ASYNCX_PROBE_OP_SUPPORTED, buf.p.ops[i].flags);
	}
	EXPECT_EQ(ASYNCX_NOP_RESULT, buf.p.ops[ASYNCX_OP_NOP].op_flags);
	EXPECT_EQ(ASYNCX_TIMEOUT_ABS | ASYNCX_TIMEOUT_MULTISHOT,
		  buf.p.ops[ASYNCX_OP_TIMEOUT].op_flags);

	/* Reserved fields of the buffer must be zero. */
	buf.p.resv2[1] = 1;
	sqe = ring_get_sqe(&r);
	sqe->opcode = ASYNCX_OP_PROBE;
	sqe->addr = (__u64)(uintptr_t)&buf;
	sqe->len = 16;
	ASSERT_EQ(1, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 1));
	EXPECT_EQ(-EINVAL, c[0].res);
	EXPECT_EQ(0, ring_exit(&r));
}

/* ------------------------------------------- eventfd, epoll, fdinfo, fork */

TEST(eventfd_signalled_per_cqe)
{
	struct asyncx_cqe c[3];
	struct ring r;
	__u64 count = 0;
	__s32 efd, bad = -1;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	EXPECT_EQ(-1, ioctl(r.fd, ASYNCX_IOC_REGISTER_EVENTFD, &bad));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioctl(r.fd, ASYNCX_IOC_UNREGISTER_EVENTFD));
	EXPECT_EQ(ENXIO, errno);
	ASSERT_EQ(0, ioctl(r.fd, ASYNCX_IOC_REGISTER_EVENTFD, &efd));
	EXPECT_EQ(-1, ioctl(r.fd, ASYNCX_IOC_REGISTER_EVENTFD, &efd));
	EXPECT_EQ(EBUSY, errno);

	prep_nop(ring_get_sqe(&r), 1);
	prep_nop(ring_get_sqe(&r), 2);
	prep_nop(ring_get_sqe(&r), 3);
	ASSERT_EQ(3, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 3));
	ASSERT_EQ((ssize_t)sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(3ULL, count);

	EXPECT_EQ(0, ioctl(r.fd, ASYNCX_IOC_UNREGISTER_EVENTFD));
	prep_nop(ring_get_sqe(&r), 4);
	ASSERT_EQ(1, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 1));
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(EAGAIN, errno);
	close(efd);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(epoll_readable_when_cqes_wait)
{
	struct __kernel_timespec ts = ts_of_ns(30 * NSEC_PER_MSEC);
	struct epoll_event ev = { .events = EPOLLIN };
	struct asyncx_cqe c;
	struct ring r;
	int ep;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, r.fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	prep_timeout(ring_get_sqe(&r), 1, &ts, 0);
	ASSERT_EQ(1, ring_submit(&r));
	/* Becomes readable when the timeout's CQE is posted by a worker. */
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_TRUE(ev.events & EPOLLIN);
	ASSERT_EQ(0, ring_wait_cqe(&r, &c, NSEC_PER_SEC));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(ep);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(fdinfo_shows_rings)
{
	struct __kernel_timespec ts = ts_of_ns(10 * NSEC_PER_SEC);
	char path[64], buf[2048];
	struct ring r;
	ssize_t n;
	int f;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	prep_timeout(ring_get_sqe(&r), 1, &ts, 0);
	prep_timeout(ring_get_sqe(&r), 2, &ts, 0);
	ASSERT_EQ(2, ring_submit(&r));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", r.fd);
	f = open(path, O_RDONLY);
	ASSERT_LE(0, f);
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "sq-entries:\t8\n"));
	EXPECT_NE(NULL, strstr(buf, "sq-head:\t2\n"));
	EXPECT_NE(NULL, strstr(buf, "cq-entries:\t16\n"));
	EXPECT_NE(NULL, strstr(buf, "inflight:\t2\n"));
	EXPECT_NE(NULL, strstr(buf, "dropped:\t0\n"));
	/* In flight by opcode: the two TIMEOUTs, no other op. */
	EXPECT_NE(NULL, strstr(buf, "inflight-ops:\tTIMEOUT=2 \n")) TH_LOG("%s", buf);
	EXPECT_EQ(0, ring_exit(&r));
}

/* The context id of a ring, from its fdinfo; 0 if unreadable. */
static unsigned long long ctx_id_of(int fd)
{
	unsigned long long id = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "asyncx-ctx: %llu", &id) == 1)
			break;
	fclose(f);
	return id;
}

/* Lines of the debugfs task table with type @type and owner @owner. */
static int debugfs_tasks(const char *type, unsigned long long owner)
{
	char line[256], t[64], state[32];
	unsigned long long id, own;
	int n = 0;
	FILE *f;

	f = fopen("/sys/kernel/debug/asyncx/tasks", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %31s %*s %*d %*u %63s %llu", &id, state,
			   t, &own) != 4)
			continue;
		if (!strcmp(t, type) && own == owner)
			n++;
	}
	fclose(f);
	return n;
}

/*
 * The debugfs task table lists the ring's pending operations, named by
 * opcode, with the context as owner, and stops listing them once they
 * complete.
 */
TEST(debugfs_tasks_lists_pending_ops)
{
	struct __kernel_timespec ts = ts_of_ns(60 * NSEC_PER_SEC);
	unsigned long long id;
	struct asyncx_cqe c[4];
	struct ring r;
	int i, n;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	id = ctx_id_of(r.fd);
	ASSERT_NE(0ULL, id);
	EXPECT_EQ(0, debugfs_tasks("asyncx_req:TIMEOUT", id));
	for (i = 0; i < 3; i++)
		prep_timeout(ring_get_sqe(&r), 10 + i, &ts, 0);
	ASSERT_EQ(3, ring_submit(&r));
	/* A task enters the table at its first poll, on a worker: wait. */
	for (i = 0; i < 500; i++) {
		n = debugfs_tasks("asyncx_req:TIMEOUT", id);
		if (n == 3)
			break;
		usleep(10000);
	}
	EXPECT_EQ(3, n);
	prep_cancel(ring_get_sqe(&r), 20, 0, ASYNCX_CANCEL_ALL);
	ASSERT_EQ(1, ring_submit(&r));
	ASSERT_EQ(0, reap(&r, c, 4));
	/* A task leaves the table just after its CQE: give it a moment. */
	for (i = 0; i < 500; i++) {
		n = debugfs_tasks("asyncx_req:TIMEOUT", id);
		if (n == 0)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, n);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST(fork_child_cannot_use_the_ring)
{
	struct asyncx_cqe c;
	struct ring r;
	int status;
	pid_t pid;

	ASSERT_EQ(0, ring_init(&r, 8, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct asyncx_enter e = { .to_submit = 1 };
		unsigned char vec;

		/* No rings in the child, and no entering the parent's. */
		if (mincore((void *)((uintptr_t)r.sqes & ~(page_size() - 1)),
			    page_size(), &vec) == 0 || errno != ENOMEM)
			_exit(1);
		if (ioctl(r.fd, ASYNCX_IOC_ENTER, &e) != -1 || errno != EPERM)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent's ring is untouched and works. */
	prep_nop(ring_get_sqe(&r), 5);
	ASSERT_EQ(1, ring_submit(&r));
	ASSERT_EQ(0, ring_wait_cqe(&r, &c, NSEC_PER_SEC));
	EXPECT_EQ(5ULL, c.user_data);
	EXPECT_EQ(0, ring_exit(&r));
}

TEST_HARNESS_MAIN
