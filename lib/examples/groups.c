// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * groups: a JOIN group and a SELECT group, each in one submission.
 *
 *   groups
 *
 * JOIN: read three pipes at once and hear about it once all three have
 * answered: one CQE per read, then the group's, with the number that
 * succeeded. SELECT (a race): read a pipe, or give up after 50 ms, which
 * comes first; the loser is cancelled, the winner's CQE says it won
 * (ASYNCX_CQE_F_WINNER), and the group's CQE has the winner's result and
 * index. Exits 0 when every result is the one expected.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <asyncx.h>

#define NPIPES	3

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

static int join_reads(struct asyncx_ring *ring)
{
	char bufs[NPIPES][16];
	int p[NPIPES][2], i, bad = 0;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe c;

	for (i = 0; i < NPIPES; i++) {
		if (pipe(p[i]))
			return -errno;
	}
	/* The GROUP first: it opens id 1 for the next three SQEs. */
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_join_group(sqe, 1, NPIPES);
	asyncx_sqe_set_data64(sqe, 100);
	for (i = 0; i < NPIPES; i++) {
		sqe = asyncx_get_sqe(ring);
		asyncx_prep_read(sqe, p[i][0], bufs[i], sizeof(bufs[i]), (__u64)-1);
		asyncx_sqe_set_data64(sqe, i);
		asyncx_sqe_set_group(sqe, 1);
	}
	if (asyncx_submit(ring) != NPIPES + 1)
		return -EIO;
	/* Answer in reverse order. */
	for (i = NPIPES - 1; i >= 0; i--)
		if (write(p[i][1], "hello", 5) != 5)
			return -errno;
	for (i = 0; i < NPIPES + 1; i++) {
		if (reap(ring, &c))
			return -ETIME;
		if (asyncx_cqe_is_group(&c)) {
			printf("join: group done, res %d, %u of %d succeeded\n",
			       c.res, asyncx_cqe_group_count(&c), NPIPES);
			bad |= i != NPIPES || c.res != 0 ||
			       asyncx_cqe_group_count(&c) != NPIPES;
		} else {
			printf("join: read %llu -> %d\n",
			       (unsigned long long)c.user_data, c.res);
			bad |= c.res != 5;
		}
	}
	for (i = 0; i < NPIPES; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	return bad ? -EPROTO : 0;
}

static int race_read_timeout(struct asyncx_ring *ring, int answer)
{
	struct __kernel_timespec ts = { .tv_nsec = 50 * 1000000L };
	struct asyncx_sqe *sqe;
	struct asyncx_cqe c;
	int p[2], i, bad = 0;
	char buf[16];

	if (pipe(p))
		return -errno;
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_select_group(sqe, 2, 2);
	asyncx_sqe_set_data64(sqe, 200);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_read(sqe, p[0], buf, sizeof(buf), (__u64)-1);
	asyncx_sqe_set_data64(sqe, 1);
	asyncx_sqe_set_group(sqe, 2);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_timeout(sqe, &ts, 0);
	asyncx_sqe_set_data64(sqe, 2);
	asyncx_sqe_set_group(sqe, 2);
	if (answer && write(p[1], "data", 4) != 4)
		return -errno;
	if (asyncx_submit(ring) != 3)
		return -EIO;
	for (i = 0; i < 3; i++) {
		if (reap(ring, &c))
			return -ETIME;
		if (asyncx_cqe_is_group(&c)) {
			printf("select: group done, member %u won with res %d\n",
			       asyncx_cqe_group_count(&c), c.res);
			bad |= i != 2 || asyncx_cqe_group_count(&c) != (answer ? 0U : 1U);
		} else {
			printf("select: member %llu -> %d%s\n",
			       (unsigned long long)c.user_data, c.res,
			       c.flags & ASYNCX_CQE_F_WINNER ? " (the winner)" : "");
			bad |= !(c.flags & ASYNCX_CQE_F_WINNER) !=
			       (c.user_data != (answer ? 1U : 2U));
		}
	}
	close(p[0]);
	close(p[1]);
	return bad ? -EPROTO : 0;
}

int main(void)
{
	struct asyncx_ring ring;
	int ret;

	ret = asyncx_queue_init(16, &ring, 0);
	if (ret) {
		fprintf(stderr, "asyncx_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	if (!(ring.features & ASYNCX_FEAT_COMPOSE)) {
		fprintf(stderr, "the module has no groups\n");
		return 1;
	}
	ret = join_reads(&ring);
	if (!ret)
		ret = race_read_timeout(&ring, 1);
	if (!ret)
		ret = race_read_timeout(&ring, 0);
	asyncx_queue_exit(&ring);
	if (ret)
		fprintf(stderr, "groups: %s\n", strerror(-ret));
	return !!ret;
}
