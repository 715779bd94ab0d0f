// SPDX-License-Identifier: GPL-2.0
/*
 * harden_test: what a hostile application can write must not steer the
 * kernel. Regression tests for bugs the ABI fuzzer (fuzz.c) found; each
 * test names the bug it pins.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"

/* mmap() maps whole pages: the mapping reaches the end of its last one. */
static size_t page_up(size_t sz)
{
	size_t page = sysconf(_SC_PAGESIZE);

	return (sz + page - 1) / page * page;
}

static int enter(int fd, unsigned int to_submit)
{
	struct asyncx_enter e = { .to_submit = to_submit };
	int ret = ioctl(fd, ASYNCX_IOC_ENTER, &e);

	return ret < 0 ? -errno : ret;
}

static void nop(struct asyncx_sqe *sqe, __u64 user_data)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = ASYNCX_OP_NOP;
	sqe->user_data = user_data;
}

/*
 * The ring_mask and ring_entries words of the SQ ring live in the shared
 * mapping, which the application can write. The kernel used them to index
 * the SQE array: with the mask and count set to ~0 it read SQEs past the
 * end of the array (out of bounds for a ring that fills its pages). It
 * must use its own copy of the size: of two SQEs published on a one-entry
 * ring, one is consumed, from slot 0.
 */
TEST(sq_ring_mask_written_by_app_is_ignored)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	unsigned int head;

	ASSERT_EQ(0, asyncx_queue_init(1, &ring, 0));
	ASSERT_EQ(1U, ring.sq.ring_entries);
	/* The SQE mapping is a page: 64 SQEs, of which the ring has one. */
	ASSERT_LE(2 * sizeof(struct asyncx_sqe), page_up(ring.sq.sqes_sz));
	*ring.sq.kring_mask = ~0U;
	*ring.sq.kring_entries = ~0U;
	nop(&ring.sq.sqes[0], 1);
	nop(&ring.sq.sqes[1], 2);
	head = __atomic_load_n(ring.sq.khead, __ATOMIC_ACQUIRE);
	__atomic_store_n(ring.sq.ktail, head + 2, __ATOMIC_RELEASE);
	EXPECT_EQ(1, enter(ring.fd, 2));
	ASSERT_EQ(0, asyncx_wait_cqe(&ring, &cqe));
	EXPECT_EQ(1ULL, cqe->user_data);
	asyncx_cqe_seen(&ring, cqe);
	/* The next enter takes the second one from slot 0 again. */
	EXPECT_EQ(1, enter(ring.fd, 1));
	ASSERT_EQ(0, asyncx_wait_cqe(&ring, &cqe));
	EXPECT_EQ(1ULL, cqe->user_data);
	asyncx_cqe_seen(&ring, cqe);
	asyncx_queue_exit(&ring);
}

/*
 * The same for the CQ ring: with its mask and count set to ~0, the kernel
 * wrote CQEs past the end of the CQ array — into kernel memory beyond the
 * ring's pages once the tail is large enough — and never overflowed. It
 * must post into its own ring size and send the rest to the overflow list.
 */
TEST(cq_ring_mask_written_by_app_is_ignored)
{
	struct asyncx_params p = {
		.flags = ASYNCX_SETUP_CQSIZE,
		.cq_entries = 2,
	};
	struct asyncx_ring ring;
	unsigned int i, tail;
	int seen = 0;

	ASSERT_EQ(0, asyncx_queue_init_params(2, &ring, &p));
	ASSERT_EQ(2U, ring.cq.ring_entries);
	/* The CQ mapping is a page: room for CQEs past the ring. */
	ASSERT_LE((size_t)((char *)&ring.cq.cqes[8] - (char *)ring.cq.ring_ptr),
		  page_up(ring.cq.ring_sz));
	*ring.cq.kring_mask = ~0U;
	*ring.cq.kring_entries = ~0U;
	/* Two batches of two (a third would be -EBUSY: overflow waits). */
	for (i = 0; i < 4; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

		asyncx_prep_nop(sqe);
		asyncx_sqe_set_data64(sqe, 100 + i);
		if (i & 1)
			ASSERT_EQ(2, asyncx_submit(&ring));
	}
	/* Two CQEs in the ring, two in the overflow list. */
	tail = __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE);
	EXPECT_EQ(2U, tail - *ring.cq.khead);
	EXPECT_EQ(2U, *ring.cq.koverflow);
	EXPECT_TRUE(*ring.sq.kflags & ASYNCX_SQ_CQ_OVERFLOW);
	for (i = 2; i < 8; i++)
		EXPECT_EQ(0ULL, ring.cq.cqes[i].user_data) TH_LOG("slot %u", i);
	/* All four still come, in order, as the CQ is drained. */
	while (seen < 4) {
		struct __kernel_timespec ts = { .tv_sec = 5 };
		struct asyncx_cqe *cqe;

		ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &ts));
		EXPECT_EQ(100ULL + seen, cqe->user_data);
		asyncx_cqe_seen(&ring, cqe);
		seen++;
	}
	asyncx_queue_exit(&ring);
}

TEST_HARNESS_MAIN
