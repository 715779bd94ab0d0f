// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ring_prio: priority classes through the ring, end to end.
 *
 *   ring_prio N
 *
 * Saturates the executor with LOW work — 4 LOW NOPs per vCPU that fail
 * with -EAGAIN and are retried at once, over and over, for 400 ms (a
 * deadline ends them) — and, while it runs, N HIGH and N LOW timeouts,
 * interleaved, all due at the same absolute time. Prints one line:
 *
 *   ringprio,N,HIGH_P50_US,HIGH_P99_US,LOW_P50_US,LOW_P99_US,HIGH_POS,LOW_POS
 *
 * the latency from the common expiry to the reap of each timeout's CQE,
 * per class, and each class's mean position among the 2N CQEs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

static int cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static unsigned long long pct(unsigned long long *v, int n, int p)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[(long)(n - 1) * p / 100];
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 512;
	int hogs = 4 * (int)sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long long *lat[2], at, pos[2] = { 0, 0 };
	struct asyncx_params p = { .flags = ASYNCX_SETUP_CQSIZE,
				   .cq_entries = 8192 };
	struct __kernel_timespec ts, guard = { .tv_sec = 10 };
	int got[2] = { 0, 0 }, i, seen = 0, ret;
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe *cqe;

	if (n < 1 || n > 1024 || hogs > 1024) {
		fprintf(stderr, "ring_prio: N is 1..1024\n");
		return 2;
	}
	ret = asyncx_queue_init_params(4096, &ring, &p);
	if (ret) {
		fprintf(stderr, "ring_prio: %s\n", strerror(-ret));
		return 1;
	}
	lat[0] = calloc(n, sizeof(**lat));
	lat[1] = calloc(n, sizeof(**lat));
	if (!lat[0] || !lat[1])
		return 1;
	for (i = 0; i < hogs; i++) {
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_nop_result(sqe, -EAGAIN);
		asyncx_sqe_set_data64(sqe, ~0ULL);
		asyncx_sqe_set_prio(sqe, ASYNCX_PRIO_LOW);
		asyncx_sqe_set_retry(sqe, 255, 0, 0, 0, 0);
		asyncx_sqe_set_deadline(sqe, 400 * MS);
	}
	at = now_ns() + 200 * MS;
	ts.tv_sec = at / 1000000000ULL;
	ts.tv_nsec = at % 1000000000ULL;
	for (i = 0; i < 2 * n; i++) {
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_timeout(sqe, &ts, ASYNCX_TIMEOUT_ABS);
		asyncx_sqe_set_data64(sqe, i);
		asyncx_sqe_set_prio(sqe, i & 1 ? ASYNCX_PRIO_HIGH : ASYNCX_PRIO_LOW);
	}
	if (asyncx_submit(&ring) != hogs + 2 * n)
		return 1;
	while (got[0] + got[1] < 2 * n) {
		ret = asyncx_wait_cqe_timeout(&ring, &cqe, &guard);
		if (ret) {
			fprintf(stderr, "ring_prio: %s\n", strerror(-ret));
			return 1;
		}
		if (cqe->user_data != ~0ULL) {
			int hi = cqe->user_data & 1;
			unsigned long long t = now_ns();

			lat[hi][got[hi]++] = t > at ? (t - at) / 1000 : 0;
			pos[hi] += seen++;
		}
		asyncx_cqe_seen(&ring, cqe);
	}
	printf("ringprio,%d,%llu,%llu,%llu,%llu,%llu,%llu\n", n,
	       pct(lat[1], n, 50), pct(lat[1], n, 99), pct(lat[0], n, 50),
	       pct(lat[0], n, 99), pos[1] / n, pos[0] / n);
	asyncx_queue_exit(&ring);	/* cancels the hogs left */
	free(lat[0]);
	free(lat[1]);
	return 0;
}
