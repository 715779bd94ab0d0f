// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * nop_batch: push NOPs through an asyncx ring in batches, reap their
 * completions, and print how many went through and how fast.
 *
 *   nop_batch [TOTAL [BATCH]]    defaults: 1000000 NOPs, batches of 64
 *
 * Each round hands out up to BATCH SQEs, submits them and waits for at least
 * one completion in the same call, then reaps every CQE there. It is the
 * shape of any batched asyncx program, with the cheapest op there is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <asyncx.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long parse_arg(const char *arg, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || *end || !v || v > max) {
		fprintf(stderr, "nop_batch: bad number '%s' (1..%lu)\n", arg,
			max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long total = 1000000, batch = 64;
	unsigned long handed = 0, reaped = 0, failed = 0;
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	struct asyncx_sqe *sqe;
	unsigned int head, n, i;
	double start, secs;
	int ret;

	if (argc > 3) {
		fprintf(stderr, "usage: nop_batch [TOTAL [BATCH]]\n");
		return 2;
	}
	if (argc > 1)
		total = parse_arg(argv[1], ~0UL);
	if (argc > 2)
		batch = parse_arg(argv[2], ASYNCX_MAX_ENTRIES);

	ret = asyncx_queue_init(batch, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "nop_batch: cannot set up a ring on %s: %s%s\n",
			ASYNCX_DEVICE_PATH, strerror(-ret),
			ret == -ENOENT ? " (is the asyncx module loaded?)" : "");
		return 1;
	}

	start = now_s();
	while (reaped < total) {
		/*
		 * Hand out a batch. Keep no more NOPs in flight than the CQ
		 * holds, so completions never go to the overflow list.
		 */
		for (i = 0; i < batch && handed < total; i++) {
			if (handed - reaped >= ring.cq.ring_entries)
				break;		/* the CQ could not hold more */
			sqe = asyncx_get_sqe(&ring);
			if (!sqe)
				break;		/* SQ full: submit first */
			asyncx_prep_nop(sqe);
			asyncx_sqe_set_data64(sqe, handed++);
		}

		/* Submit them and wait for one completion, in one call. */
		ret = asyncx_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EBUSY) {
			fprintf(stderr, "nop_batch: submit: %s\n",
				strerror(-ret));
			break;
		}

		/* Reap everything that is there, then free it at once. */
		n = 0;
		asyncx_for_each_cqe(&ring, head, cqe) {
			if (cqe->res != 0 && failed++ < 5)
				fprintf(stderr, "nop_batch: NOP %llu: res %d\n",
					(unsigned long long)asyncx_cqe_get_data64(cqe),
					cqe->res);
			n++;
		}
		asyncx_cq_advance(&ring, n);
		reaped += n;
	}
	secs = now_s() - start;

	printf("%lu NOPs in batches of %lu (SQ %u, CQ %u): %.3f s, %.0f ops/s",
	       reaped, batch, ring.sq.ring_entries, ring.cq.ring_entries, secs,
	       secs > 0 ? reaped / secs : 0.0);
	printf(", %lu failed\n", failed);

	asyncx_queue_exit(&ring);
	return reaped == total && !failed ? 0 : 1;
}
