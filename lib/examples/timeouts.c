// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * timeouts: submit a batch of timeouts of different lengths, in an order
 * that is not theirs, and print the order they complete in and how late
 * each one is.
 *
 *   timeouts
 *
 * All timeouts go in with one submit; lateness is measured from just before
 * that submit, so it includes the submit itself. One of them is absolute
 * (ASYNCX_TIMEOUT_ABS, CLOCK_MONOTONIC) to show the flag. Exits 0 when all
 * complete with -ETIME, none early (and says so when, on a loaded machine,
 * some complete out of the order of their lengths).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <asyncx.h>

#define NSEC_PER_MSEC	1000000LL
#define NSEC_PER_SEC	1000000000LL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_TIMEOUTS	ARRAY_SIZE(timeouts)

/*
 * The batch, in submission order. Relative times count from when the
 * module consumes each SQE, which on a slow (emulated, sanitised, shared)
 * machine can be many ms after the submit began (a 10 ms timeout submitted
 * last was seen to fire 22 ms late, after one of 20 ms): the times are
 * 40 ms apart, so the order of completion still follows them.
 */
static const struct {
	long long	ms;		/* when it should fire, from the submit */
	unsigned int	flags;		/* ASYNCX_TIMEOUT_* */
} timeouts[] = {
	{ 280, 0 },
	{ 80,  0 },
	{ 240, 0 },
	{ 160, ASYNCX_TIMEOUT_ABS },
	{ 120, 0 },
	{ 200, 0 },
	{ 40,  0 },
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int main(void)
{
	/* Read by the module when it consumes the SQEs: keep them until then. */
	struct __kernel_timespec ts[NR_TIMEOUTS];
	/* Give up if the module has not completed everything by then. */
	struct __kernel_timespec guard = { .tv_sec = 5 };
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	struct asyncx_sqe *sqe;
	long long start, t, prev_ms = -1;
	unsigned int i, done, bad = 0, reordered = 0;
	unsigned int seen[NR_TIMEOUTS] = { 0 };
	int ret;

	ret = asyncx_queue_init(NR_TIMEOUTS, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "timeouts: cannot set up a ring on %s: %s%s\n",
			ASYNCX_DEVICE_PATH, strerror(-ret),
			ret == -ENOENT ? " (is the asyncx module loaded?)" : "");
		return 1;
	}

	start = now_ns();
	for (i = 0; i < NR_TIMEOUTS; i++) {
		t = timeouts[i].ms * NSEC_PER_MSEC;
		if (timeouts[i].flags & ASYNCX_TIMEOUT_ABS)
			t += start;
		ts[i].tv_sec = t / NSEC_PER_SEC;
		ts[i].tv_nsec = t % NSEC_PER_SEC;

		sqe = asyncx_get_sqe(&ring);	/* the SQ has room for all */
		asyncx_prep_timeout(sqe, &ts[i], timeouts[i].flags);
		asyncx_sqe_set_data64(sqe, i);
	}
	ret = asyncx_submit(&ring);
	if (ret != (int)NR_TIMEOUTS) {
		fprintf(stderr, "timeouts: submit: %s\n",
			ret < 0 ? strerror(-ret) : "not all consumed");
		asyncx_queue_exit(&ring);
		return 1;
	}

	printf("%-5s %-10s %-8s %s\n", "order", "timeout", "res", "late");
	for (done = 0; done < NR_TIMEOUTS; done++) {
		ret = asyncx_wait_cqe_timeout(&ring, &cqe, &guard);
		if (ret < 0) {
			fprintf(stderr, "timeouts: wait: %s\n", strerror(-ret));
			break;
		}
		t = now_ns() - start;
		i = (unsigned int)asyncx_cqe_get_data64(cqe);
		if (i >= NR_TIMEOUTS) {
			fprintf(stderr, "timeouts: CQE with unknown user_data\n");
			bad++;
			asyncx_cqe_seen(&ring, cqe);
			continue;
		}

		printf("%-5u %4lld ms%s %-8s %+.3f ms\n", done + 1,
		       timeouts[i].ms,
		       timeouts[i].flags & ASYNCX_TIMEOUT_ABS ? " abs" : "    ",
		       cqe->res == -ETIME ? "-ETIME" : strerror(-cqe->res),
		       (t - timeouts[i].ms * NSEC_PER_MSEC) / 1e6);
		/* Wrong, early or twice is a failure. Out of order is not:
		 * timers that the interrupt serves late together wake their
		 * tasks together, and those race to the CQ.
		 */
		if (cqe->res != -ETIME || t < timeouts[i].ms * NSEC_PER_MSEC ||
		    seen[i]++)
			bad++;
		if (timeouts[i].ms < prev_ms)
			reordered++;
		prev_ms = timeouts[i].ms;
		asyncx_cqe_seen(&ring, cqe);
	}

	asyncx_queue_exit(&ring);
	if (done < NR_TIMEOUTS || bad) {
		printf("FAIL: %u of %zu completed, %u wrong, early or repeated\n",
		       done, NR_TIMEOUTS, bad);
		return 1;
	}
	if (reordered)
		printf("all %zu completed, none early; %u out of order (timers served late together)\n",
		       NR_TIMEOUTS, reordered);
	else
		printf("all %zu completed in order\n", NR_TIMEOUTS);
	return 0;
}
