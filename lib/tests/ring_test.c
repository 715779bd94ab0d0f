// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ring_test: host-side test of libasyncx's ring handling, without the module.
 *
 * The three regions are plain heap blocks of exactly the sizes the library
 * computes, laid out per a made-up struct asyncx_params (fields out of
 * order, indices starting just below the 32-bit wrap), so AddressSanitizer
 * catches any access outside them. ioctl() is replaced by a fake module
 * that follows the ring protocol of uapi/linux/asyncx.h: it consumes SQEs
 * from the SQ head, completes NOPs at once and TIMEOUTs on the next wait,
 * keeps an overflow list when the CQ is full and refuses submissions with
 * -EBUSY while it is not empty.
 *
 * Build and run: make -C lib test (ASan and UBSan). Exit 0: all passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "asyncx.h"
#include "internal.h"

#define SQ_ENTRIES	8
#define CQ_ENTRIES	16
#define START_INDEX	0xfffffffaU	/* the indices wrap after 6 entries */
#define FAKE_FD		1000		/* never a real descriptor here */
#define MAX_OVERFLOW	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			return 1;					\
		}							\
	} while (0)

/* The fake module's state for one ring. */
static struct {
	struct asyncx_params	p;
	char			*sq_ring;
	struct asyncx_sqe	*sqes;
	char			*cq_ring;
	unsigned int		sq_head;	/* its own copy */
	unsigned int		cq_tail;	/* its own copy */
	struct asyncx_cqe	overflow[MAX_OVERFLOW];
	unsigned int		nr_overflow;
	__u64			pending_timeouts[MAX_OVERFLOW];
	unsigned int		nr_pending;
	/* behaviour knobs and what it saw */
	unsigned int		consume_max;	/* 0: no limit */
	int			fail_wait;	/* errno to fail waits with */
	unsigned int		enter_calls;
	struct asyncx_enter	last;
	__u64			min_timeout_ns;
	__u64			max_timeout_ns;
	/* ASYNCX_SETUP_SQPOLL: the "thread" consumes only when woken */
	int			sqpoll;
	unsigned int		wakeups;
} fk;

static unsigned int *sq_field(__u32 off)
{
	return (unsigned int *)(fk.sq_ring + off);
}

static unsigned int *cq_field(__u32 off)
{
	return (unsigned int *)(fk.cq_ring + off);
}

/* Write a CQE at the CQ tail, when the CQ has room. */
static int fake_cq_write(__u64 user_data, __s32 res)
{
	/* Acquire pairs with the library's release of the CQ head. */
	unsigned int head = __atomic_load_n(cq_field(fk.p.cq_off.head),
					    __ATOMIC_ACQUIRE);
	struct asyncx_cqe *cqe;

	if (fk.cq_tail - head == fk.p.cq_entries)
		return 0;
	cqe = (struct asyncx_cqe *)(fk.cq_ring + fk.p.cq_off.cqes) +
	      (fk.cq_tail & (fk.p.cq_entries - 1));
	cqe->user_data = user_data;
	cqe->res = res;
	cqe->flags = 0;
	fk.cq_tail++;
	/* Release pairs with the library's acquire of the CQ tail. */
	__atomic_store_n(cq_field(fk.p.cq_off.tail), fk.cq_tail,
			 __ATOMIC_RELEASE);
	return 1;
}

/* Post a CQE, or queue it in the overflow list when the CQ is full. */
static void fake_post(__u64 user_data, __s32 res)
{
	if (!fk.nr_overflow && fake_cq_write(user_data, res))
		return;
	fk.overflow[fk.nr_overflow].user_data = user_data;
	fk.overflow[fk.nr_overflow++].res = res;
	(*cq_field(fk.p.cq_off.overflow))++;
	*sq_field(fk.p.sq_off.flags) |= ASYNCX_SQ_CQ_OVERFLOW;
}

/* Move what fits of the overflow list into the CQ, oldest first. */
static void fake_flush_overflow(void)
{
	unsigned int i = 0;

	while (i < fk.nr_overflow &&
	       fake_cq_write(fk.overflow[i].user_data, fk.overflow[i].res))
		i++;
	memmove(fk.overflow, fk.overflow + i,
		(fk.nr_overflow - i) * sizeof(fk.overflow[0]));
	fk.nr_overflow -= i;
	if (!fk.nr_overflow)
		*sq_field(fk.p.sq_off.flags) &= ~ASYNCX_SQ_CQ_OVERFLOW;
}

static int fake_enter(const struct asyncx_enter *e)
{
	unsigned int tail, n, i, head;
	struct asyncx_sqe sqe;

	fk.enter_calls++;
	fk.last = *e;
	if (e->resv0 || e->resv[0] || e->resv[1] ||
	    e->flags & ~(ASYNCX_ENTER_GETEVENTS |
			 (fk.sqpoll ? ASYNCX_ENTER_SQ_WAKEUP : 0)))
		return -EINVAL;

	fake_flush_overflow();
	if (e->to_submit && fk.nr_overflow && !fk.sqpoll)
		return -EBUSY;

	/* Acquire pairs with the library's release of the SQ tail. */
	tail = __atomic_load_n(sq_field(fk.p.sq_off.tail), __ATOMIC_ACQUIRE);
	if (e->to_submit > tail - fk.sq_head && !fk.sqpoll)
		return -EINVAL;
	n = e->to_submit;
	if (fk.sqpoll) {
		/* The SQ thread: woken, it consumes all that is published. */
		n = 0;
		if (e->flags & ASYNCX_ENTER_SQ_WAKEUP) {
			fk.wakeups++;
			n = tail - fk.sq_head;
			*sq_field(fk.p.sq_off.flags) &= ~ASYNCX_SQ_NEED_WAKEUP;
		}
	}
	if (fk.consume_max && n > fk.consume_max)
		n = fk.consume_max;
	for (i = 0; i < n; i++) {
		sqe = fk.sqes[fk.sq_head++ & (fk.p.sq_entries - 1)];
		if (sqe.opcode == ASYNCX_OP_NOP)
			fake_post(sqe.user_data, sqe.op_flags & ASYNCX_NOP_RESULT ?
				  (__s32)sqe.len : 0);
		else if (sqe.opcode == ASYNCX_OP_TIMEOUT && sqe.len == 1 && sqe.addr)
			fk.pending_timeouts[fk.nr_pending++] = sqe.user_data;
		else
			fake_post(sqe.user_data, -EINVAL);
	}
	/* Release pairs with the library's acquire of the SQ head. */
	__atomic_store_n(sq_field(fk.p.sq_off.head), fk.sq_head,
			 __ATOMIC_RELEASE);

	if (fk.sqpoll)
		n = e->to_submit;	/* as io_uring_enter(2) answers */
	if (!(e->flags & ASYNCX_ENTER_GETEVENTS))
		return (int)n;

	if (e->timeout_ns && (!fk.min_timeout_ns || e->timeout_ns < fk.min_timeout_ns))
		fk.min_timeout_ns = e->timeout_ns;
	if (e->timeout_ns > fk.max_timeout_ns)
		fk.max_timeout_ns = e->timeout_ns;
	if (fk.fail_wait)
		return -fk.fail_wait;
	/* "Sleeping" fires the timeouts. */
	for (i = 0; i < fk.nr_pending; i++)
		fake_post(fk.pending_timeouts[i], -ETIME);
	fk.nr_pending = 0;
	head = __atomic_load_n(cq_field(fk.p.cq_off.head), __ATOMIC_ACQUIRE);
	if (fk.cq_tail - head >= e->min_complete)
		return (int)n;
	/* Nothing more will come in a single-threaded test. */
	return e->timeout_ns ? -ETIME : -EINTR;
}

/* The replacement of the C library's ioctl(), for the library's calls. */
int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fd != FAKE_FD || request != ASYNCX_IOC_ENTER) {
		errno = ENOTTY;
		return -1;
	}
	ret = fake_enter(arg);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

static void fake_params(struct asyncx_params *p)
{
	memset(p, 0, sizeof(*p));
	p->sq_entries = SQ_ENTRIES;
	p->cq_entries = CQ_ENTRIES;
	p->features = ASYNCX_FEAT_NODROP;
	/* out of order on purpose: dropped is not the last field */
	p->sq_off.dropped = 8;
	p->sq_off.ring_mask = 16;
	p->sq_off.ring_entries = 20;
	p->sq_off.flags = 24;
	p->sq_off.head = 256;
	p->sq_off.tail = 320;
	p->cq_off.head = 0;
	p->cq_off.tail = 64;
	p->cq_off.ring_mask = 128;
	p->cq_off.ring_entries = 132;
	p->cq_off.overflow = 136;
	p->cq_off.cqes = 192;
}

/* Free the fake regions; main() also calls it after a test that failed. */
static void fake_free(void)
{
	free(fk.sq_ring);
	free(fk.sqes);
	free(fk.cq_ring);
	fk.sq_ring = NULL;
	fk.sqes = NULL;
	fk.cq_ring = NULL;
}

/* Set up a fake ring: regions of exactly the library's sizes. */
static int fake_ring_init(struct asyncx_ring *ring)
{
	struct asyncx_ring_layout l;
	int ret;

	fake_free();
	memset(&fk, 0, sizeof(fk));
	fake_params(&fk.p);
	ret = __asyncx_ring_layout(&fk.p, &l);
	if (ret)
		return ret;
	fk.sq_ring = calloc(1, l.sq_ring_sz);
	fk.sqes = malloc(l.sqes_sz);
	fk.cq_ring = calloc(1, l.cq_ring_sz);
	if (!fk.sq_ring || !fk.sqes || !fk.cq_ring)
		return -ENOMEM;
	memset(fk.sqes, 0xa5, l.sqes_sz);	/* get_sqe must zero */

	*sq_field(fk.p.sq_off.ring_mask) = SQ_ENTRIES - 1;
	*sq_field(fk.p.sq_off.ring_entries) = SQ_ENTRIES;
	*cq_field(fk.p.cq_off.ring_mask) = CQ_ENTRIES - 1;
	*cq_field(fk.p.cq_off.ring_entries) = CQ_ENTRIES;
	fk.sq_head = START_INDEX;
	fk.cq_tail = START_INDEX;
	*sq_field(fk.p.sq_off.head) = START_INDEX;
	*sq_field(fk.p.sq_off.tail) = START_INDEX;
	*cq_field(fk.p.cq_off.head) = START_INDEX;
	*cq_field(fk.p.cq_off.tail) = START_INDEX;

	memset(ring, 0, sizeof(*ring));
	ret = __asyncx_ring_bind(ring, &fk.p, fk.sq_ring, fk.sqes, fk.cq_ring);
	ring->fd = FAKE_FD;
	return ret;
}

static void fake_ring_exit(struct asyncx_ring *ring)
{
	fake_free();
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
}

static int test_layout(void)
{
	struct asyncx_ring_layout l;
	struct asyncx_params p;

	fake_params(&p);
	CHECK(__asyncx_ring_layout(&p, &l) == 0);
	CHECK(l.sq_ring_sz == 324);		/* tail (320) + 4 */
	CHECK(l.sqes_sz == SQ_ENTRIES * 64);
	CHECK(l.cq_ring_sz == 192 + CQ_ENTRIES * 16);

	fake_params(&p);
	p.sq_entries = 6;			/* not a power of two */
	CHECK(__asyncx_ring_layout(&p, &l) == -EPROTO);
	fake_params(&p);
	p.cq_entries = 4;			/* smaller than the SQ */
	CHECK(__asyncx_ring_layout(&p, &l) == -EPROTO);
	fake_params(&p);
	p.sq_entries = 2 * ASYNCX_MAX_ENTRIES;
	p.cq_entries = 2 * ASYNCX_MAX_ENTRIES;
	CHECK(__asyncx_ring_layout(&p, &l) == -EPROTO);
	fake_params(&p);
	p.sq_off.flags = 26;			/* misaligned */
	CHECK(__asyncx_ring_layout(&p, &l) == -EPROTO);
	fake_params(&p);
	p.sq_off.tail = p.sq_off.head;		/* two fields in one place */
	CHECK(__asyncx_ring_layout(&p, &l) == -EPROTO);
	fake_params(&p);
	p.cq_off.cqes = 132;			/* over ring_entries */
	CHECK(__asyncx_ring_layout(&p, &l) == -EPROTO);
	fake_params(&p);
	p.cq_off.cqes = 196;			/* CQEs hold a __u64 */
	CHECK(__asyncx_ring_layout(&p, &l) == -EPROTO);
	return 0;
}

static int test_bind_checks_sizes(void)
{
	struct asyncx_ring ring;

	CHECK(fake_ring_init(&ring) == 0);
	CHECK(ring.sq.ring_entries == SQ_ENTRIES);
	CHECK(ring.cq.ring_entries == CQ_ENTRIES);
	CHECK(ring.sq.sqe_tail == START_INDEX);
	CHECK(ring.features == ASYNCX_FEAT_NODROP);
	*sq_field(fk.p.sq_off.ring_mask) = 3;
	CHECK(__asyncx_ring_bind(&ring, &fk.p, fk.sq_ring, fk.sqes,
				 fk.cq_ring) == -EPROTO);
	fake_ring_exit(&ring);
	return 0;
}

static int test_get_sqe_until_full(void)
{
	static const struct asyncx_sqe zero;
	struct asyncx_sqe *sqe[SQ_ENTRIES];
	struct asyncx_ring ring;
	unsigned int i, j;

	CHECK(fake_ring_init(&ring) == 0);
	CHECK(asyncx_sq_space_left(&ring) == SQ_ENTRIES);
	for (i = 0; i < SQ_ENTRIES; i++) {
		sqe[i] = asyncx_get_sqe(&ring);
		CHECK(sqe[i]);
		CHECK(!memcmp(sqe[i], &zero, sizeof(zero)));
		for (j = 0; j < i; j++)
			CHECK(sqe[i] != sqe[j]);
		CHECK(asyncx_sq_ready(&ring) == i + 1);
	}
	CHECK(asyncx_sq_space_left(&ring) == 0);
	CHECK(!asyncx_get_sqe(&ring));
	/* nothing published yet */
	CHECK(*sq_field(fk.p.sq_off.tail) == START_INDEX);
	fake_ring_exit(&ring);
	return 0;
}

static int test_prep_helpers(void)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;

	CHECK(fake_ring_init(&ring) == 0);
	sqe = asyncx_get_sqe(&ring);
	asyncx_sqe_set_data64(sqe, 42);	/* setters before prep stay */
	asyncx_sqe_set_prio(sqe, ASYNCX_PRIO_HIGH);
	asyncx_prep_timeout(sqe, &ts, ASYNCX_TIMEOUT_ABS);
	CHECK(sqe->opcode == ASYNCX_OP_TIMEOUT && sqe->len == 1);
	CHECK(sqe->addr == (__u64)(uintptr_t)&ts);
	CHECK(sqe->op_flags == ASYNCX_TIMEOUT_ABS);
	CHECK(sqe->user_data == 42 && sqe->prio == ASYNCX_PRIO_HIGH);
	CHECK(sqe->fd == 0 && sqe->off == 0 && sqe->flags == 0);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop_result(sqe, -EIO);
	asyncx_sqe_set_flags(sqe, 0);
	CHECK(sqe->opcode == ASYNCX_OP_NOP);
	CHECK(sqe->op_flags == ASYNCX_NOP_RESULT);
	CHECK((__s32)sqe->len == -EIO);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	CHECK(sqe->opcode == ASYNCX_OP_NOP && sqe->op_flags == 0);
	fake_ring_exit(&ring);
	return 0;
}

/* The file ops' prep helpers put each argument where the uapi says. */
static int test_file_helpers(void)
{
	struct iovec iov[2];
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	char st[256];

	CHECK(fake_ring_init(&ring) == 0);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_readv(sqe, 3, iov, 2, 100);
	CHECK(sqe->opcode == ASYNCX_OP_READV && sqe->fd == 3 && sqe->len == 2);
	CHECK(sqe->addr == (__u64)(uintptr_t)iov && sqe->off == 100);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_writev(sqe, 4, iov, 1, (__u64)-1);
	CHECK(sqe->opcode == ASYNCX_OP_WRITEV && sqe->off == (__u64)-1);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_fsync_range(sqe, 5, 4096, 8192, ASYNCX_FSYNC_DATASYNC);
	CHECK(sqe->opcode == ASYNCX_OP_FSYNC && sqe->fd == 5);
	CHECK(sqe->off == 4096 && sqe->addr == 8192 && sqe->len == 0);
	CHECK(sqe->op_flags == ASYNCX_FSYNC_DATASYNC);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_fsync(sqe, 5, 0);
	CHECK(sqe->off == 0 && sqe->addr == 0 && sqe->op_flags == 0);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_fallocate(sqe, 6, 3, 1 << 20, 1ULL << 33);
	CHECK(sqe->opcode == ASYNCX_OP_FALLOCATE && sqe->len == 3);
	CHECK(sqe->off == 1 << 20 && sqe->addr == 1ULL << 33);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_openat(sqe, -100, "f", O_CREAT | O_RDWR, 0640);
	CHECK(sqe->opcode == ASYNCX_OP_OPENAT && sqe->fd == -100);
	CHECK(sqe->op_flags == (O_CREAT | O_RDWR) && sqe->len == 0640);
	CHECK(sqe->off == 0);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_close(sqe, 9);
	CHECK(sqe->opcode == ASYNCX_OP_CLOSE && sqe->fd == 9);
	CHECK(!sqe->addr && !sqe->len && !sqe->off && !sqe->op_flags);

	fake_ring_exit(&ring);
	/* A fresh ring: the fake one is small. */
	CHECK(fake_ring_init(&ring) == 0);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_sock_send(sqe, 3, st, 10, 0x4000);
	CHECK(sqe->opcode == ASYNCX_OP_SOCK_SEND && sqe->len == 10);
	CHECK(sqe->off == 0x4000 && sqe->addr == (__u64)(uintptr_t)st);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_sock_recv(sqe, 3, st, 10, 0x100);
	CHECK(sqe->opcode == ASYNCX_OP_SOCK_RECV && sqe->off == 0x100);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_multishot_accept(sqe, 4, (struct sockaddr *)st,
				     (unsigned int *)(st + 128), 04000);
	CHECK(sqe->opcode == ASYNCX_OP_ACCEPT && sqe->len == 04000);
	CHECK(sqe->op_flags == ASYNCX_ACCEPT_MULTISHOT);
	CHECK(sqe->off == (__u64)(uintptr_t)(st + 128));
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_connect(sqe, 4, (struct sockaddr *)st, 16);
	CHECK(sqe->opcode == ASYNCX_OP_CONNECT && sqe->len == 16 && !sqe->off);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_shutdown(sqe, 4, 1);
	CHECK(sqe->opcode == ASYNCX_OP_SHUTDOWN && sqe->len == 1);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_statx(sqe, 7, "p", 0x100, 0x7ff, (struct statx *)st);
	CHECK(sqe->opcode == ASYNCX_OP_STATX && sqe->fd == 7);
	CHECK(sqe->op_flags == 0x100 && sqe->len == 0x7ff);
	CHECK(sqe->off == (__u64)(uintptr_t)st);
	fake_ring_exit(&ring);
	return 0;
}

static int test_chan_helpers(void)
{
	char buf[64];
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;

	CHECK(fake_ring_init(&ring) == 0);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_send(sqe, 3, buf, 5);
	CHECK(sqe->opcode == ASYNCX_OP_SEND && sqe->fd == 3 && sqe->len == 5);
	CHECK(sqe->addr == (__u64)(uintptr_t)buf);
	CHECK(sqe->off == 0 && sqe->op_flags == 0);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_recv_multishot(sqe, 7, buf, sizeof(buf));
	CHECK(sqe->opcode == ASYNCX_OP_RECV && sqe->fd == 7);
	CHECK(sqe->len == sizeof(buf) && sqe->op_flags == ASYNCX_RECV_MULTISHOT);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_recv(sqe, 7, buf, 16);
	CHECK(sqe->opcode == ASYNCX_OP_RECV && sqe->op_flags == 0);
	CHECK(ASYNCX_CQE_SLOT(ASYNCX_CQE_F_MORE | (9U << 16)) == 9);

	/* The fake module has no channels: its ioctl answer comes back. */
	CHECK(asyncx_chan_create(&ring, 4, 8) == -ENOTTY);
	CHECK(asyncx_chan_destroy(&ring, 1) == -ENOTTY);
	fake_ring_exit(&ring);
	return 0;
}

static int test_submit_publishes(void)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	unsigned int i;

	CHECK(fake_ring_init(&ring) == 0);
	CHECK(asyncx_submit(&ring) == 0);	/* nothing: no ioctl */
	CHECK(fk.enter_calls == 0);

	for (i = 0; i < 5; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

		asyncx_prep_nop_result(sqe, (int)i - 2);
		asyncx_sqe_set_data64(sqe, 100 + i);
	}
	CHECK(asyncx_submit(&ring) == 5);
	CHECK(fk.enter_calls == 1);
	CHECK(fk.last.to_submit == 5 && fk.last.flags == 0);
	CHECK(*sq_field(fk.p.sq_off.tail) == START_INDEX + 5);
	CHECK(asyncx_sq_ready(&ring) == 0);
	CHECK(asyncx_cq_ready(&ring) == 5);

	for (i = 0; i < 5; i++) {
		CHECK(asyncx_peek_cqe(&ring, &cqe) == 0);
		CHECK(asyncx_cqe_get_data64(cqe) == 100 + i);
		CHECK(cqe->res == (int)i - 2);
		asyncx_cqe_seen(&ring, cqe);
	}
	CHECK(asyncx_peek_cqe(&ring, &cqe) == -EAGAIN && !cqe);
	asyncx_cqe_seen(&ring, NULL);		/* frees nothing */
	CHECK(*cq_field(fk.p.cq_off.head) == START_INDEX + 5);
	fake_ring_exit(&ring);
	return 0;
}

/* SQEs published but not consumed go with the next submit. */
static int test_submit_leftovers(void)
{
	struct asyncx_ring ring;
	unsigned int i;

	CHECK(fake_ring_init(&ring) == 0);
	fk.consume_max = 2;
	for (i = 0; i < 5; i++)
		asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit(&ring) == 2);
	CHECK(asyncx_sq_ready(&ring) == 3);
	CHECK(asyncx_sq_space_left(&ring) == SQ_ENTRIES - 3);
	CHECK(asyncx_submit(&ring) == 2);
	CHECK(fk.last.to_submit == 3);
	asyncx_prep_nop(asyncx_get_sqe(&ring));
	fk.consume_max = 0;
	CHECK(asyncx_submit(&ring) == 2);
	CHECK(fk.last.to_submit == 2);
	CHECK(asyncx_cq_ready(&ring) == 6);
	fake_ring_exit(&ring);
	return 0;
}

/* Many rounds through both rings, across the 32-bit wrap of the indices. */
static int test_wraparound(void)
{
	struct asyncx_cqe *batch[4];
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	__u64 next = 0, expect = 0;
	unsigned int round, head, n, i;

	CHECK(fake_ring_init(&ring) == 0);
	for (round = 0; round < 100; round++) {
		struct asyncx_sqe *sqe;

		n = round % SQ_ENTRIES + 1;
		for (i = 0; i < n; i++) {
			sqe = asyncx_get_sqe(&ring);
			CHECK(sqe);
			CHECK(sqe >= fk.sqes && sqe < fk.sqes + SQ_ENTRIES);
			asyncx_prep_nop(sqe);
			asyncx_sqe_set_data64(sqe, next++);
		}
		CHECK(asyncx_submit(&ring) == (int)n);

		/* reap in three styles: batch peek, for_each, single peek */
		if (round % 3 == 0) {
			while ((n = asyncx_peek_batch_cqe(&ring, batch, 4))) {
				for (i = 0; i < n; i++)
					CHECK(batch[i]->user_data == expect++);
				asyncx_cq_advance(&ring, n);
			}
		} else if (round % 3 == 1) {
			n = 0;
			asyncx_for_each_cqe(&ring, head, cqe) {
				CHECK(cqe->user_data == expect++);
				n++;
			}
			asyncx_cq_advance(&ring, n);
		} else {
			while (asyncx_peek_cqe(&ring, &cqe) == 0) {
				CHECK(cqe->user_data == expect++);
				asyncx_cqe_seen(&ring, cqe);
			}
		}
		CHECK(asyncx_cq_ready(&ring) == 0);
	}
	CHECK(expect == next);
	/* both rings went past 2^32 */
	CHECK(*cq_field(fk.p.cq_off.head) < START_INDEX);
	CHECK(*sq_field(fk.p.sq_off.tail) < START_INDEX);
	fake_ring_exit(&ring);
	return 0;
}

static int test_wait_cqe(void)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	struct asyncx_sqe *sqe;

	CHECK(fake_ring_init(&ring) == 0);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_timeout(sqe, &ts, 0);
	asyncx_sqe_set_data64(sqe, 7);
	CHECK(asyncx_submit(&ring) == 1);
	CHECK(asyncx_cq_ready(&ring) == 0);

	CHECK(asyncx_wait_cqe(&ring, &cqe) == 0);
	CHECK(fk.last.flags == ASYNCX_ENTER_GETEVENTS);
	CHECK(fk.last.min_complete == 1 && fk.last.timeout_ns == 0);
	CHECK(fk.last.to_submit == 0);
	CHECK(cqe->user_data == 7 && cqe->res == -ETIME);
	asyncx_cqe_seen(&ring, cqe);

	/* a CQE already there: no ioctl */
	asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit(&ring) == 1);
	fk.enter_calls = 0;
	CHECK(asyncx_wait_cqe(&ring, &cqe) == 0);
	CHECK(fk.enter_calls == 0);
	asyncx_cqe_seen(&ring, cqe);

	/* a signal */
	fk.fail_wait = EINTR;
	CHECK(asyncx_wait_cqe(&ring, &cqe) == -EINTR && !cqe);
	fake_ring_exit(&ring);
	return 0;
}

static int test_wait_cqe_nr(void)
{
	struct __kernel_timespec ts = { .tv_nsec = 1000 };
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	unsigned int i;

	CHECK(fake_ring_init(&ring) == 0);
	CHECK(asyncx_wait_cqe_nr(&ring, &cqe, 0) == -EINVAL);
	CHECK(asyncx_wait_cqe_nr(&ring, &cqe, CQ_ENTRIES + 1) == -EINVAL);
	CHECK(asyncx_submit_and_wait(&ring, CQ_ENTRIES + 1) == -EINVAL);
	CHECK(fk.enter_calls == 0);

	for (i = 0; i < 3; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

		asyncx_prep_timeout(sqe, &ts, 0);
		asyncx_sqe_set_data64(sqe, i);
	}
	CHECK(asyncx_submit(&ring) == 3);
	CHECK(asyncx_wait_cqe_nr(&ring, &cqe, 3) == 0);
	CHECK(fk.last.min_complete == 3);
	CHECK(asyncx_cq_ready(&ring) == 3 && cqe->user_data == 0);
	asyncx_cq_advance(&ring, 3);
	fake_ring_exit(&ring);
	return 0;
}

static int test_wait_cqe_timeout(void)
{
	struct __kernel_timespec ts = { 0 };
	struct timespec t0, t1;
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	long long ns;

	CHECK(fake_ring_init(&ring) == 0);
	/* zero: only looks */
	CHECK(asyncx_wait_cqe_timeout(&ring, &cqe, &ts) == -ETIME && !cqe);
	CHECK(fk.enter_calls == 0);
	/* bad times */
	ts.tv_nsec = 1000000000;
	CHECK(asyncx_wait_cqe_timeout(&ring, &cqe, &ts) == -EINVAL);
	ts.tv_nsec = 0;
	ts.tv_sec = -1;
	CHECK(asyncx_wait_cqe_timeout(&ring, &cqe, &ts) == -EINVAL);

	/*
	 * 20 ms with nothing to come: the fake returns -ETIME at once, so
	 * the library must keep waiting for the rest of the time, always
	 * with a nonzero timeout_ns (0 is no limit) no larger than asked.
	 */
	ts.tv_sec = 0;
	ts.tv_nsec = 20 * 1000000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(asyncx_wait_cqe_timeout(&ring, &cqe, &ts) == -ETIME && !cqe);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec;
	CHECK(ns >= 20 * 1000000);
	CHECK(fk.enter_calls >= 1);
	CHECK(fk.min_timeout_ns > 0 && fk.max_timeout_ns <= 20 * 1000000);

	/* a CQE there: returned at once */
	asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit(&ring) == 1);
	ts.tv_nsec = 0;
	CHECK(asyncx_wait_cqe_timeout(&ring, &cqe, &ts) == 0 && cqe);
	asyncx_cqe_seen(&ring, cqe);

	/* NULL waits without limit */
	asyncx_prep_timeout(asyncx_get_sqe(&ring), &ts, 0);
	CHECK(asyncx_submit(&ring) == 1);
	CHECK(asyncx_wait_cqe_timeout(&ring, &cqe, NULL) == 0);
	CHECK(fk.last.timeout_ns == 0 && cqe->res == -ETIME);
	asyncx_cqe_seen(&ring, cqe);
	fake_ring_exit(&ring);
	return 0;
}

static int test_submit_and_wait(void)
{
	struct asyncx_ring ring;
	unsigned int i;

	CHECK(fake_ring_init(&ring) == 0);
	for (i = 0; i < 4; i++)
		asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit_and_wait(&ring, 4) == 4);
	CHECK(fk.last.to_submit == 4 && fk.last.min_complete == 4);
	CHECK(fk.last.flags == ASYNCX_ENTER_GETEVENTS);
	CHECK(asyncx_cq_ready(&ring) == 4);
	/* enough CQEs already and nothing to submit: no ioctl */
	fk.enter_calls = 0;
	CHECK(asyncx_submit_and_wait(&ring, 3) == 0);
	CHECK(fk.enter_calls == 0);
	asyncx_cq_advance(&ring, 4);

	/* the wait fails after consuming: the count wins */
	fk.fail_wait = EINTR;
	for (i = 0; i < 3; i++)
		asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit_and_wait(&ring, 8) == 3);
	/* nothing consumed: the error */
	CHECK(asyncx_submit_and_wait(&ring, 8) == -EINTR);
	fake_ring_exit(&ring);
	return 0;
}

/* A full CQ spills into the overflow list; submissions get -EBUSY. */
static int test_overflow(void)
{
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe *cqe;
	unsigned int i, head, n;
	__u64 expect = 0;

	CHECK(fake_ring_init(&ring) == 0);
	for (i = 0; i < 3 * SQ_ENTRIES; i++) {
		sqe = asyncx_get_sqe(&ring);
		CHECK(sqe);
		asyncx_prep_nop(sqe);
		asyncx_sqe_set_data64(sqe, i);
		if (i % SQ_ENTRIES == SQ_ENTRIES - 1)
			CHECK(asyncx_submit(&ring) == SQ_ENTRIES);
	}
	CHECK(asyncx_cq_ready(&ring) == CQ_ENTRIES);
	CHECK(asyncx_cq_has_overflow(&ring));
	CHECK(*ring.cq.koverflow == 3 * SQ_ENTRIES - CQ_ENTRIES);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_data64(sqe, 3 * SQ_ENTRIES);
	CHECK(asyncx_submit(&ring) == -EBUSY);
	CHECK(asyncx_sq_ready(&ring) == 1);	/* still there */

	n = 0;
	asyncx_for_each_cqe(&ring, head, cqe) {
		CHECK(cqe->user_data == expect++);
		n++;
	}
	CHECK(n == CQ_ENTRIES);
	asyncx_cq_advance(&ring, n);
	/* waiting enters the kernel, which moves the overflow into the CQ */
	CHECK(asyncx_wait_cqe(&ring, &cqe) == 0);
	CHECK(!asyncx_cq_has_overflow(&ring));
	CHECK(asyncx_submit(&ring) == 1);
	while (asyncx_peek_cqe(&ring, &cqe) == 0) {
		CHECK(cqe->user_data == expect++);
		asyncx_cqe_seen(&ring, cqe);
	}
	CHECK(expect == 3 * SQ_ENTRIES + 1);
	fake_ring_exit(&ring);
	return 0;
}

/*
 * A peek that finds the CQ empty while completions wait in the overflow
 * list brings them in (one enter), as io_uring_peek_cqe() does; a peek of
 * a CQ that holds CQEs, or of an empty one without overflow, enters not.
 */
static int test_peek_brings_in_overflow(void)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe, *batch[4];
	unsigned int i, calls;
	__u64 expect = 0;

	CHECK(fake_ring_init(&ring) == 0);
	CHECK(asyncx_peek_cqe(&ring, &cqe) == -EAGAIN);
	CHECK(fk.enter_calls == 0);
	for (i = 0; i < CQ_ENTRIES + 3; i++)
		fake_post(i, 0);
	CHECK(asyncx_cq_has_overflow(&ring));
	calls = fk.enter_calls;
	for (i = 0; i < CQ_ENTRIES; i++) {
		CHECK(asyncx_peek_cqe(&ring, &cqe) == 0);
		CHECK(cqe->user_data == expect++);
		asyncx_cqe_seen(&ring, cqe);
	}
	CHECK(fk.enter_calls == calls);		/* CQEs were there */
	CHECK(asyncx_peek_cqe(&ring, &cqe) == 0);	/* the CQ empty: enter */
	CHECK(fk.enter_calls == calls + 1);
	CHECK(fk.last.to_submit == 0 && fk.last.flags == 0);
	CHECK(cqe->user_data == expect++);
	asyncx_cqe_seen(&ring, cqe);
	CHECK(!asyncx_cq_has_overflow(&ring));
	CHECK(asyncx_peek_batch_cqe(&ring, batch, 4) == 2);
	CHECK(batch[0]->user_data == expect && batch[1]->user_data == expect + 1);
	asyncx_cq_advance(&ring, 2);
	CHECK(asyncx_peek_batch_cqe(&ring, batch, 4) == 0);
	CHECK(fk.enter_calls == calls + 1);	/* no overflow: no enter */
	/* The batch peek brings them in too. */
	for (i = 0; i < CQ_ENTRIES + 1; i++)
		fake_post(100 + i, 0);
	asyncx_cq_advance(&ring, CQ_ENTRIES);
	CHECK(asyncx_peek_batch_cqe(&ring, batch, 4) == 1);
	CHECK(batch[0]->user_data == 100 + CQ_ENTRIES);
	CHECK(fk.enter_calls == calls + 2);
	fake_ring_exit(&ring);
	return 0;
}

/*
 * ASYNCX_SETUP_SQPOLL: submit publishes and enters only to wake a sleeping
 * thread (ASYNCX_ENTER_SQ_WAKEUP), counting what it published; a wait
 * wakes it too when SQEs wait for it.
 */
static int test_submit_sqpoll(void)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	unsigned int i;

	CHECK(fake_ring_init(&ring) == 0);
	fk.sqpoll = 1;
	ring.flags = ASYNCX_SETUP_SQPOLL;
	/* The thread is awake: no enter at all. */
	for (i = 0; i < 3; i++)
		asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit(&ring) == 3);
	CHECK(fk.enter_calls == 0);
	CHECK(*sq_field(fk.p.sq_off.tail) == START_INDEX + 3);
	/* Asleep: one enter, to wake it, which consumes the 5 published. */
	*sq_field(fk.p.sq_off.flags) |= ASYNCX_SQ_NEED_WAKEUP;
	for (i = 0; i < 2; i++)
		asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit(&ring) == 2);
	CHECK(fk.enter_calls == 1 && fk.wakeups == 1);
	CHECK(fk.last.flags == ASYNCX_ENTER_SQ_WAKEUP && fk.last.to_submit == 0);
	CHECK(asyncx_cq_ready(&ring) == 5);
	asyncx_cq_advance(&ring, 5);
	/* A wait with SQEs stranded behind a sleeping thread wakes it. */
	asyncx_prep_nop(asyncx_get_sqe(&ring));
	CHECK(asyncx_submit(&ring) == 1);	/* (awake: no enter) */
	CHECK(fk.enter_calls == 1);
	*sq_field(fk.p.sq_off.flags) |= ASYNCX_SQ_NEED_WAKEUP;
	CHECK(asyncx_wait_cqe(&ring, &cqe) == 0);
	CHECK(fk.wakeups == 2);
	CHECK(fk.last.flags == (ASYNCX_ENTER_GETEVENTS | ASYNCX_ENTER_SQ_WAKEUP));
	asyncx_cqe_seen(&ring, cqe);
	/* Nothing waiting for it: a wait does not wake it. */
	CHECK(asyncx_submit_and_wait(&ring, 0) == 0);
	CHECK(fk.enter_calls == 2);
	fake_ring_exit(&ring);
	return 0;
}

static int test_queue_init_without_device(void)
{
	struct asyncx_ring ring;
	int ret;

	memset(&ring, 0, sizeof(ring));
	/* a ring that was never set up owns nothing: fd 0 stays open */
	asyncx_queue_exit(&ring);
	CHECK(ring.fd == -1);
	CHECK(fcntl(0, F_GETFD) != -1 || errno == EBADF);

	if (!access(ASYNCX_DEVICE_PATH, F_OK))
		return 0;	/* the module is loaded: not this test's job */
	ret = asyncx_queue_init(8, &ring, 0);
	CHECK(ret == -ENOENT);
	CHECK(ring.fd == -1 && !ring.sq.ring_ptr);
	asyncx_queue_exit(&ring);
	asyncx_queue_exit(&ring);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "layout", test_layout },
	{ "bind_checks_sizes", test_bind_checks_sizes },
	{ "get_sqe_until_full", test_get_sqe_until_full },
	{ "prep_helpers", test_prep_helpers },
	{ "chan_helpers", test_chan_helpers },
	{ "file_helpers", test_file_helpers },
	{ "submit_publishes", test_submit_publishes },
	{ "submit_leftovers", test_submit_leftovers },
	{ "wraparound", test_wraparound },
	{ "wait_cqe", test_wait_cqe },
	{ "wait_cqe_nr", test_wait_cqe_nr },
	{ "wait_cqe_timeout", test_wait_cqe_timeout },
	{ "submit_and_wait", test_submit_and_wait },
	{ "overflow", test_overflow },
	{ "peek_brings_in_overflow", test_peek_brings_in_overflow },
	{ "submit_sqpoll", test_submit_sqpoll },
	{ "queue_init_without_device", test_queue_init_without_device },
};

int main(void)
{
	unsigned int i, failed = 0;
	const unsigned int n = ARRAY_SIZE(tests);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	for (i = 0; i < n; i++) {
		int ret = tests[i].fn();

		fake_free();

		printf("%sok %u %s\n", ret ? "not " : "", i + 1, tests[i].name);
		failed += !!ret;
	}
	return failed ? 1 : 0;
}
