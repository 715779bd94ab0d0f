// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * deadline_retry: "read the pipe, give up after 50 ms", and "retry with
 * exponential backoff until it works, for at most 200 ms", each one SQE.
 *
 *   deadline_retry
 *
 * A READ of an empty pipe with a 50 ms deadline completes with -ETIME. A
 * chain (connect-like step, then a read) under one deadline for the whole
 * chain shows -ETIME on the member that was running and -ECANCELED on the
 * rest. A NOP that fails with -EAGAIN on its first three attempts (a test
 * feature of NOP) is retried with delays of 1, 2 and 4 ms and completes on
 * its fourth attempt, which its CQE reports. Exits 0 when every result is
 * the one expected.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#define MS	1000000ULL

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static int reap(struct asyncx_ring *ring, struct asyncx_cqe *out)
{
	struct __kernel_timespec guard = { .tv_sec = 5 };
	struct asyncx_cqe *cqe;
	int ret = asyncx_wait_cqe_timeout(ring, &cqe, &guard);

	if (ret)
		return ret;
	*out = *cqe;
	asyncx_cqe_seen(ring, cqe);
	return 0;
}

int main(void)
{
	unsigned long long t0;
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe c[3];
	char buf[8];
	int p[2], ret, bad = 0;

	if (pipe(p))
		return 1;
	ret = asyncx_queue_init(16, &ring, 0);
	if (ret) {
		fprintf(stderr, "asyncx_queue_init: %s\n", strerror(-ret));
		return 1;
	}

	/* One read, 50 ms at most. */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_read(sqe, p[0], buf, sizeof(buf), (__u64)-1);
	asyncx_sqe_set_deadline(sqe, 50 * MS);
	t0 = now_ns();
	asyncx_submit(&ring);
	if (reap(&ring, &c[0]))
		return 1;
	printf("read with a 50 ms deadline: %d after %llu ms\n", c[0].res,
	       (now_ns() - t0) / MS);
	bad |= c[0].res != -ETIME;

	/* A chain, 50 ms for all of it: NOP, then the read, then a NOP. */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_data64(sqe, 1);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	asyncx_sqe_set_chain_deadline(sqe, 50 * MS);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_read(sqe, p[0], buf, sizeof(buf), (__u64)-1);
	asyncx_sqe_set_data64(sqe, 2);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_data64(sqe, 3);
	asyncx_submit(&ring);
	for (int i = 0; i < 3; i++) {
		if (reap(&ring, &c[i]))
			return 1;
		printf("chain member %llu: %d\n",
		       (unsigned long long)c[i].user_data, c[i].res);
	}
	bad |= c[0].res != 0 || c[1].res != -ETIME || c[2].res != -ECANCELED;

	/* Retry: -EAGAIN three times, then success; backoff 1, 2, 4 ms. */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop_result(sqe, -EAGAIN);
	sqe->off = 3;		/* NOP's test feature: fail 3 attempts */
	asyncx_sqe_set_retry(sqe, 8, 1000, 100000, ASYNCX_RETRY_DEFAULT, 0);
	asyncx_sqe_set_deadline(sqe, 200 * MS);
	t0 = now_ns();
	asyncx_submit(&ring);
	if (reap(&ring, &c[0]))
		return 1;
	printf("retried: res %d after %u attempts, %llu us\n", c[0].res,
	       asyncx_cqe_attempts(&c[0]), (now_ns() - t0) / 1000);
	bad |= c[0].res != 0 || asyncx_cqe_attempts(&c[0]) != 4;

	asyncx_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	return bad;
}
