// SPDX-License-Identifier: GPL-2.0
/*
 * harden_test: what a hostile application can write must not steer the
 * kernel. Regression tests for bugs the ABI fuzzer (fuzz.c) found; each
 * test names the bug it pins.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
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

#define DEBUGFS_CONTEXTS	"/sys/kernel/debug/asyncx/contexts"

static long contexts(void)
{
	char buf[32] = "";
	FILE *f = fopen(DEBUGFS_CONTEXTS, "r");
	long n = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		n = strtol(buf, NULL, 10);
	fclose(f);
	return n;
}

static int submit_poll(struct asyncx_ring *ring, int fd)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_poll(sqe, fd, POLLIN);
	asyncx_sqe_set_data64(sqe, 7);
	return asyncx_submit(ring);
}

/*
 * A POLL on an asyncx context — its own fd or another's — held a
 * reference to that context's file; a context polling itself (found by
 * fuzz.c, seed 1) was then never released: not at close, not at exit, and
 * the module could not be unloaded. Such a POLL is refused with -EBADF.
 */
TEST(poll_on_a_context_is_refused)
{
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct asyncx_ring ring, other;
	struct asyncx_cqe *cqe;

	ASSERT_EQ(0, asyncx_queue_init(4, &ring, 0));
	ASSERT_EQ(0, asyncx_queue_init(4, &other, 0));
	ASSERT_EQ(1, submit_poll(&ring, ring.fd));
	ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &ts));
	EXPECT_EQ(-EBADF, cqe->res);
	asyncx_cqe_seen(&ring, cqe);
	ASSERT_EQ(1, submit_poll(&ring, other.fd));
	ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &ts));
	EXPECT_EQ(-EBADF, cqe->res);
	asyncx_cqe_seen(&ring, cqe);
	asyncx_queue_exit(&other);
	asyncx_queue_exit(&ring);
}

/* The leak itself: a process that polls its own context and exits. */
TEST(context_polling_itself_is_released_at_exit)
{
	long base = contexts(), now = -1;
	int i, status;
	pid_t pid;

	ASSERT_LE(0, base) TH_LOG("needs debugfs at " DEBUGFS_CONTEXTS);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct asyncx_ring ring;

		if (asyncx_queue_init(4, &ring, 0) || submit_poll(&ring, ring.fd) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* Contexts are freed once their last request is gone: give it 5 s. */
	for (i = 0; i < 500; i++) {
		now = contexts();
		if (now <= base)
			break;
		usleep(10000);
	}
	EXPECT_EQ(base, now);
}

/*
 * Starting a request read req->ctx after handing the request to the
 * executor, which may have run, completed and freed it on another CPU by
 * then: a use-after-free (a NULL dereference in axq_link_start() in the
 * worker, found by fuzz.c, seed 1883035077430933). Many short requests and
 * chains, whose members start from the submitter and from workers, make
 * the window likely; on the debug kernel KASAN reports any hit.
 */
TEST(requests_finishing_while_being_started)
{
	struct __kernel_timespec zero = { 0 }, ts = { .tv_sec = 10 };
	struct asyncx_ring ring;
	int round, i, seen;

	ASSERT_EQ(0, asyncx_queue_init(128, &ring, 0));
	for (round = 0; round < 100; round++) {
		for (i = 0; i < 64; i++) {
			struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

			asyncx_prep_timeout(sqe, &zero, 0);
			asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
			asyncx_sqe_set_data64(sqe, 1);
			sqe = asyncx_get_sqe(&ring);
			asyncx_prep_nop(sqe);
			asyncx_sqe_set_data64(sqe, 2);
		}
		ASSERT_EQ(128, asyncx_submit(&ring));
		for (seen = 0; seen < 128; seen++) {
			struct asyncx_cqe *cqe;

			ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &ts));
			EXPECT_EQ(cqe->user_data == 1 ? -ETIME : 0, cqe->res);
			asyncx_cqe_seen(&ring, cqe);
		}
	}
	asyncx_queue_exit(&ring);
}

TEST_HARNESS_MAIN
