// SPDX-License-Identifier: GPL-2.0
/*
 * link_test: ASYNCX_SQE_LINK chains through libasyncx — order, one member
 * at a time, failures cancelling the rest (negative results, short reads,
 * bad SQEs, cancellation of the running member or of a pending one),
 * inline ops late in a chain (PROBE writing through the submitter's mm),
 * relative timeouts counting from when the chain reaches them, many chains
 * in one submission, and close/exit with chains in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"
#include "util.h"

#define MS	1000000LL

/* A NOP completing with @res, with @user_data and @flags. */
static struct asyncx_sqe *nop(struct asyncx_ring *ring, __u64 user_data,
			      int res, unsigned int flags)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	if (res)
		asyncx_prep_nop_result(sqe, res);
	else
		asyncx_prep_nop(sqe);
	asyncx_sqe_set_data64(sqe, user_data);
	asyncx_sqe_set_flags(sqe, flags);
	return sqe;
}

static void timeout(struct asyncx_ring *ring, __u64 user_data,
		    struct __kernel_timespec *ts, unsigned int flags)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_timeout(sqe, ts, 0);
	asyncx_sqe_set_data64(sqe, user_data);
	asyncx_sqe_set_flags(sqe, flags);
}

struct want {
	__u64	user_data;
	int	res;
};

/* The next @n CQEs are exactly @w, in this order. */
static int expect_seq(struct __test_metadata *_metadata,
		      struct asyncx_ring *ring, const struct want *w, int n)
{
	struct asyncx_cqe cqe;
	int i;

	for (i = 0; i < n; i++) {
		if (wait_one(ring, &cqe, 10000)) {
			TH_LOG("CQE %d of %d did not come", i, n);
			return -1;
		}
		EXPECT_EQ(w[i].user_data, cqe.user_data) TH_LOG("CQE %d", i);
		EXPECT_EQ(w[i].res, cqe.res) TH_LOG("CQE %d (ud %llu)", i,
						     (unsigned long long)cqe.user_data);
		EXPECT_EQ(0U, cqe.flags);
	}
	return 0;
}

FIXTURE(link) {
	struct asyncx_ring ring;
	bool up;
};

FIXTURE_SETUP(link)
{
	int ret = asyncx_queue_init(256, &self->ring, 0);

	self->up = !ret;
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(link)
{
	if (self->up)
		asyncx_queue_exit(&self->ring);
}

TEST_F(link, feature_bit)
{
	EXPECT_TRUE(self->ring.features & ASYNCX_FEAT_LINK);
}

/* Ten linked NOPs complete in order, all with 0. */
TEST_F(link, nops_in_order)
{
	struct want w[10];
	int i;

	for (i = 0; i < 10; i++) {
		nop(&self->ring, 100 + i, 0, i < 9 ? ASYNCX_SQE_LINK : 0);
		w[i] = (struct want){ 100 + i, 0 };
	}
	ASSERT_EQ(10, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 10));
}

/* A failing member completes the rest with -ECANCELED; what follows the
 * chain runs.
 */
TEST_F(link, failure_cancels_rest)
{
	static const struct want w[] = {
		{ 1, 0 }, { 2, -EINVAL }, { 3, -ECANCELED }, { 4, -ECANCELED },
	};
	struct asyncx_cqe cqe;

	nop(&self->ring, 1, 0, ASYNCX_SQE_LINK);
	nop(&self->ring, 2, -EINVAL, ASYNCX_SQE_LINK);
	nop(&self->ring, 3, 0, ASYNCX_SQE_LINK);
	nop(&self->ring, 4, 0, 0);
	ASSERT_EQ(4, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 4));
	/* A positive result is a success: the chain goes on. */
	nop(&self->ring, 5, 7, ASYNCX_SQE_LINK);
	nop(&self->ring, 6, 0, 0);
	ASSERT_EQ(2, asyncx_submit(&self->ring));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(5U, cqe.user_data);
	EXPECT_EQ(7, cqe.res);
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(6U, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
}

/*
 * A bad SQE in a chain: it gets its errno, every other member -ECANCELED
 * (those before it never ran), in SQE order; an unlinked NOP after the
 * chain runs.
 */
TEST_F(link, bad_sqe_fails_whole_chain)
{
	static const struct want w[] = {
		{ 1, -ECANCELED }, { 2, -ECANCELED }, { 3, -EINVAL },
		{ 4, -ECANCELED }, { 5, -ECANCELED }, { 6, 0 },
	};

	nop(&self->ring, 1, 0, ASYNCX_SQE_LINK);
	nop(&self->ring, 2, 0, ASYNCX_SQE_LINK);
	/* A bad opcode, LINK kept. */
	nop(&self->ring, 3, 0, ASYNCX_SQE_LINK)->opcode = ASYNCX_OP_LAST;
	nop(&self->ring, 4, 0, ASYNCX_SQE_LINK);
	nop(&self->ring, 5, 0, 0);
	nop(&self->ring, 6, 0, 0);
	ASSERT_EQ(6, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 6));
}

/* Unknown SQE flags are still -EINVAL, linked or not. */
TEST_F(link, unknown_sqe_flags)
{
	static const struct want w[] = {
		{ 1, -EINVAL }, { 2, 0 }, { 3, -EINVAL }, { 4, -ECANCELED },
	};

	nop(&self->ring, 1, 0, 1U << 1);
	nop(&self->ring, 2, 0, 0);
	nop(&self->ring, 3, 0, ASYNCX_SQE_LINK | 1U << 7);
	nop(&self->ring, 4, 0, 0);
	ASSERT_EQ(4, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 4));
}

/*
 * One member at a time: a NOP linked after a timeout completes after it;
 * the timeout's -ETIME does not break the chain; a relative timeout late in
 * a chain counts from when the chain reaches it.
 */
TEST_F(link, after_timeout_and_relative_time)
{
	struct __kernel_timespec t1 = { .tv_nsec = 100 * MS };
	struct __kernel_timespec t2 = { .tv_nsec = 100 * MS };
	static const struct want w[] = {
		{ 1, -ETIME }, { 2, 0 }, { 3, -ETIME }, { 4, 0 },
	};
	long long start, elapsed;

	timeout(&self->ring, 1, &t1, ASYNCX_SQE_LINK);
	nop(&self->ring, 2, 0, ASYNCX_SQE_LINK);
	timeout(&self->ring, 3, &t2, ASYNCX_SQE_LINK);
	nop(&self->ring, 4, 0, 0);
	start = now_ns();
	ASSERT_EQ(4, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 4));
	elapsed = now_ns() - start;
	TH_LOG("two linked 100 ms timeouts took %lld ms", elapsed / MS);
	/* A lower bound only: each waits its full time after the other. */
	EXPECT_LE(200 * MS, elapsed);
}

/* Cancelling the running member cancels the rest of the chain. */
TEST_F(link, cancel_running_member)
{
	struct __kernel_timespec t = { .tv_sec = 30 };
	static const struct want w[] = {
		{ 1, -ECANCELED }, { 2, -ECANCELED }, { 3, -ECANCELED },
	};
	struct asyncx_cqe cqe;
	int seen_cancel = 0, i = 0;

	timeout(&self->ring, 1, &t, ASYNCX_SQE_LINK);
	nop(&self->ring, 2, 0, ASYNCX_SQE_LINK);
	nop(&self->ring, 3, 0, 0);
	ASSERT_EQ(3, asyncx_submit(&self->ring));
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 50));
	asyncx_prep_cancel(asyncx_get_sqe(&self->ring), 1, 0);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	/* The CANCEL's CQE (ud 0) may come anywhere among the others. */
	while (i < 3 || !seen_cancel) {
		ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
		if (cqe.user_data == 0 && !seen_cancel) {
			EXPECT_EQ(0, cqe.res);
			seen_cancel = 1;
			continue;
		}
		ASSERT_LT(i, 3);
		EXPECT_EQ(w[i].user_data, cqe.user_data);
		EXPECT_EQ(w[i].res, cqe.res);
		i++;
	}
}

/*
 * Cancelling a member that has not started: the CANCEL finds it (0); when
 * the chain reaches it, it and the rest complete with -ECANCELED. The
 * timeout ahead of it must outlast both CANCELs' round trips: 200 ms did
 * not under valgrind on a loaded TCG host.
 */
TEST_F(link, cancel_pending_member)
{
	struct __kernel_timespec t = { .tv_sec = 1 };
	static const struct want w[] = {
		{ 1, -ETIME }, { 2, -ECANCELED }, { 3, -ECANCELED },
	};
	struct asyncx_cqe cqe;

	timeout(&self->ring, 1, &t, ASYNCX_SQE_LINK);
	nop(&self->ring, 2, 0, ASYNCX_SQE_LINK);
	nop(&self->ring, 3, 0, 0);
	ASSERT_EQ(3, asyncx_submit(&self->ring));
	asyncx_prep_cancel(asyncx_get_sqe(&self->ring), 2, 0);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(0U, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	/* A second cancel of the same member: it is being cancelled. */
	asyncx_prep_cancel(asyncx_get_sqe(&self->ring), 2, 0);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(0U, cqe.user_data);
	EXPECT_EQ(-EALREADY, cqe.res);
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 3));
}

/* Linked WRITE then READ through a pipe; a short READ breaks the chain. */
TEST_F(link, write_then_read_and_short_read)
{
	static const struct want w[] = {
		{ 1, 5 }, { 2, 5 }, { 3, 0 },
	};
	static const struct want w2[] = {
		{ 4, 3 }, { 5, -ECANCELED },
	};
	char in[16] = { 0 };
	struct asyncx_sqe *sqe;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write(sqe, p[1], "hello", 5, (__u64)-1);
	asyncx_sqe_set_data64(sqe, 1);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, p[0], in, 5, (__u64)-1);
	asyncx_sqe_set_data64(sqe, 2);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	nop(&self->ring, 3, 0, 0);
	ASSERT_EQ(3, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 3));
	EXPECT_EQ(0, memcmp(in, "hello", 5));

	/* 3 bytes where 8 were asked for: short, the NOP is cancelled. */
	ASSERT_EQ(3, write(p[1], "abc", 3));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, p[0], in, 8, (__u64)-1);
	asyncx_sqe_set_data64(sqe, 4);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	nop(&self->ring, 5, 0, 0);
	ASSERT_EQ(2, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w2, 2));
	close(p[0]);
	close(p[1]);
}

/* A PROBE reached late in a chain writes through the submitter's mm. */
TEST_F(link, probe_late_in_chain)
{
	struct __kernel_timespec t = { .tv_nsec = 20 * MS };
	static const struct want w[] = { { 1, -ETIME }, { 2, 0 } };
	struct asyncx_probe *probe;
	struct asyncx_sqe *sqe;
	size_t size;

	size = sizeof(*probe) + ASYNCX_OP_LAST * sizeof(probe->ops[0]);
	probe = calloc(1, size);
	ASSERT_NE(NULL, probe);
	timeout(&self->ring, 1, &t, ASYNCX_SQE_LINK);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_probe(sqe, probe, ASYNCX_OP_LAST);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, asyncx_submit(&self->ring));
	ASSERT_EQ(0, expect_seq(_metadata, &self->ring, w, 2));
	EXPECT_EQ(ASYNCX_OP_LAST - 1, probe->last_op);
	EXPECT_EQ(ASYNCX_OP_LAST, probe->ops_len);
	EXPECT_TRUE(probe->ops[ASYNCX_OP_WRITE].flags & ASYNCX_PROBE_OP_SUPPORTED);
	free(probe);
}

/*
 * A chain still open at the end of the submission ends there: the SQE of
 * the next submission is not its member (its CQE may come before the
 * chain's, which run on the executor; the chain's come in order).
 */
TEST_F(link, open_at_end_of_submission)
{
	struct asyncx_cqe cqe;
	int i, next = 1, seen3 = 0;

	nop(&self->ring, 1, 0, ASYNCX_SQE_LINK);
	nop(&self->ring, 2, 0, ASYNCX_SQE_LINK);
	ASSERT_EQ(2, asyncx_submit(&self->ring));
	/*
	 * Not a member of the chain above: only its own CQE, which may come
	 * before the chain's (the chain runs on the executor, the NOP in
	 * the submitter).
	 */
	nop(&self->ring, 3, -EINVAL, 0);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
		if (cqe.user_data == 3) {
			EXPECT_EQ(-EINVAL, cqe.res);
			seen3++;
			continue;
		}
		/* The chain's own CQEs come in chain order. */
		EXPECT_EQ((__u64)next, cqe.user_data);
		EXPECT_EQ(0, cqe.res);
		next++;
	}
	EXPECT_EQ(1, seen3);
	EXPECT_EQ(3, next);
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 20));
}

/*
 * 50 chains of 4 NOPs in one submission, every other one failing at its
 * second member: every CQE exactly once, each chain in order.
 */
TEST_F(link, many_chains_in_one_submission)
{
	enum { CHAINS = 50, LEN = 4 };
	int next[CHAINS] = { 0 }, got = 0, c, m;
	struct asyncx_cqe cqe;

	for (c = 0; c < CHAINS; c++)
		for (m = 0; m < LEN; m++)
			nop(&self->ring, c * LEN + m,
			    (c & 1) && m == 1 ? -EIO : 0,
			    m < LEN - 1 ? ASYNCX_SQE_LINK : 0);
	ASSERT_EQ(CHAINS * LEN, asyncx_submit(&self->ring));
	while (got < CHAINS * LEN) {
		int want;

		ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
		c = cqe.user_data / LEN;
		m = cqe.user_data % LEN;
		ASSERT_LT(c, CHAINS);
		EXPECT_EQ(next[c], m) TH_LOG("chain %d out of order", c);
		next[c] = m + 1;
		want = !(c & 1) ? 0 : m == 1 ? -EIO : m > 1 ? -ECANCELED : 0;
		EXPECT_EQ(want, cqe.res) TH_LOG("chain %d member %d", c, m);
		got++;
	}
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 20));
}

/* Close with 100 chains parked behind long timeouts: no hang, no leak. */
TEST(close_with_chains_in_flight)
{
	struct __kernel_timespec t = { .tv_sec = 60 };
	struct asyncx_ring ring;
	int c;

	ASSERT_EQ(0, asyncx_queue_init(512, &ring, 0));
	for (c = 0; c < 100; c++) {
		timeout(&ring, c, &t, ASYNCX_SQE_LINK);
		nop(&ring, 1000 + c, 0, ASYNCX_SQE_LINK);
		timeout(&ring, 2000 + c, &t, 0);
	}
	ASSERT_EQ(300, asyncx_submit(&ring));
	asyncx_queue_exit(&ring);
}

/* A child exits with chains in flight; the parent's ring is untouched. */
TEST(exit_with_chains_in_flight)
{
	struct __kernel_timespec t = { .tv_sec = 60 };
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct asyncx_ring ring;
		int c;

		if (asyncx_queue_init(256, &ring, 0))
			_exit(1);
		for (c = 0; c < 50; c++) {
			timeout(&ring, c, &t, ASYNCX_SQE_LINK);
			nop(&ring, 1000 + c, 0, 0);
		}
		_exit(asyncx_submit(&ring) == 100 ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
