// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * asyncx-demo: the client `make run` runs in the test VM.
 *
 * Drives /dev/asyncx through libasyncx the way a program would, in a few
 * batches, and says what happened:
 *
 *   1. a batch of timeouts of different lengths, submitted out of order,
 *      complete in the order of their lengths, none early (each timer
 *      fires on the CPU that armed it: when a vCPU's timer interrupt comes
 *      later than the gap to the next length, as under an overcommitted
 *      emulator, the two come the other way round; said, not failed);
 *   2. polls on four pipes, all submitted in one batch, complete in the
 *      order a writer thread makes the pipes readable;
 *   3. reads and writes: a WRITE into a pipe linked to a READ out of it,
 *      and writes then reads of a regular file at offsets;
 *   4. chains: a timeout, then a NOP, then a write, in order; a chain whose
 *      second member fails cancels the rest;
 *   5. a cancel of a long timeout;
 *   6. a JOIN group: three timeouts and a NOP, one group CQE after all;
 *   7. a race (SELECT group): a read of a pipe a thread writes to after
 *      20 ms against a 1 s timeout; the read wins, the timeout is
 *      cancelled; then a read with a 30 ms deadline, and a NOP that fails
 *      twice and is retried with backoff.
 *
 * Every result is checked; the exit status is 0 only if all are as
 * expected. Run it under scripts/bpftrace/oplat.bt to see the latency of
 * each operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#define MS		1000000LL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int failures;
static unsigned long submitted, completed;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("  FAILED: " __VA_ARGS__);		\
			printf("\n");					\
			failures++;					\
		}							\
	} while (0)

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct asyncx_sqe *sqe_of(struct asyncx_ring *ring, __u64 ud,
				 unsigned int flags)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	if (!sqe) {
		fprintf(stderr, "asyncx-demo: SQ full\n");
		exit(1);
	}
	asyncx_sqe_set_data64(sqe, ud);
	asyncx_sqe_set_flags(sqe, flags);
	return sqe;
}

static int submit(struct asyncx_ring *ring, int n)
{
	int ret = asyncx_submit(ring);

	if (ret != n) {
		fprintf(stderr, "asyncx-demo: submit: %d, expected %d\n", ret, n);
		exit(1);
	}
	submitted += n;
	return ret;
}

/* The next CQE (waits at most 10 s). */
static struct asyncx_cqe next_cqe(struct asyncx_ring *ring)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct asyncx_cqe *cqe, out;
	int ret;

	ret = asyncx_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret) {
		fprintf(stderr, "asyncx-demo: no completion: %s\n", strerror(-ret));
		exit(1);
	}
	out = *cqe;
	asyncx_cqe_seen(ring, cqe);
	completed++;
	return out;
}

static void timeouts(struct asyncx_ring *ring)
{
	static const int ms[] = { 80, 20, 60, 10, 40, 70, 30, 50 };
	struct __kernel_timespec ts[ARRAY_SIZE(ms)];
	long long start, late, late_max = 0;
	int i, last = 0, seen = 0, inversions = 0;

	printf("1. %zu timeouts in one batch, submitted as", ARRAY_SIZE(ms));
	for (i = 0; i < (int)ARRAY_SIZE(ms); i++) {
		ts[i] = (struct __kernel_timespec){ .tv_nsec = ms[i] * MS };
		asyncx_prep_timeout(sqe_of(ring, ms[i], 0), &ts[i], 0);
		printf(" %d", ms[i]);
	}
	printf(" ms\n   completed:");
	start = now_ns();
	submit(ring, ARRAY_SIZE(ms));
	for (i = 0; i < (int)ARRAY_SIZE(ms); i++) {
		struct asyncx_cqe c = next_cqe(ring);
		int bit = (int)c.user_data / 10 - 1;

		late = (now_ns() - start) / 1000 - (long long)c.user_data * 1000;
		printf(" %llu ms (%+lld us)", (unsigned long long)c.user_data, late);
		CHECK(c.res == -ETIME, "timeout res %d", c.res);
		CHECK(c.user_data % 10 == 0 && bit >= 0 && bit < (int)ARRAY_SIZE(ms) &&
		      !(seen & 1 << bit), "unknown or repeated user_data");
		if (bit >= 0 && bit < (int)ARRAY_SIZE(ms))
			seen |= 1 << bit;
		/* Measured from before the submission: never below 0. */
		CHECK(late >= 0, "early");
		if ((int)c.user_data < last)
			inversions++;
		else
			last = c.user_data;
		if (late > late_max)
			late_max = late;
	}
	printf("\n");
	if (inversions)
		printf("   %d came out of order: timers fired up to %lld ms late, more than\n"
		       "   the 10 ms between two lengths (each on the CPU that armed it)\n",
		       inversions, late_max / 1000);
}

struct writer {
	int fds[4];
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	int i;

	/* Make the pipes readable in the order 2, 0, 3, 1, 20 ms apart. */
	static const int order[] = { 2, 0, 3, 1 };

	for (i = 0; i < 4; i++) {
		usleep(20000);
		if (write(w->fds[order[i]], "x", 1) != 1)
			return (void *)1;
	}
	return NULL;
}

static void polls(struct asyncx_ring *ring)
{
	static const int order[] = { 2, 0, 3, 1 };
	int p[4][2], i;
	struct writer w;
	pthread_t th;

	printf("2. polls on 4 pipes in one batch; a thread writes to pipes 2, 0, 3, 1\n");
	for (i = 0; i < 4; i++) {
		if (pipe(p[i])) {
			perror("pipe");
			exit(1);
		}
		w.fds[i] = p[i][1];
		asyncx_prep_poll(sqe_of(ring, i, 0), p[i][0], POLLIN);
	}
	submit(ring, 4);
	if (pthread_create(&th, NULL, writer_fn, &w)) {
		fprintf(stderr, "pthread_create failed\n");
		exit(1);
	}
	printf("   became readable:");
	for (i = 0; i < 4; i++) {
		struct asyncx_cqe c = next_cqe(ring);

		printf(" pipe %llu", (unsigned long long)c.user_data);
		CHECK(c.res > 0 && (c.res & POLLIN), "poll res %d", c.res);
		CHECK((int)c.user_data == order[i], "pipe %d expected",
		      order[i]);
	}
	printf("\n");
	pthread_join(th, NULL);
	for (i = 0; i < 4; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

static void reads_writes(struct asyncx_ring *ring)
{
	static const char msg[] = "hello through the rings";
	char buf[64] = { 0 }, fbuf[2][8] = { { 0 } };
	char path[] = "/tmp/asyncx-demo-XXXXXX";
	struct asyncx_cqe c;
	int p[2], fd, i;

	printf("3. a WRITE into a pipe linked to a READ out of it; a file at offsets\n");
	if (pipe(p)) {
		perror("pipe");
		exit(1);
	}
	asyncx_prep_write(sqe_of(ring, 1, ASYNCX_SQE_LINK), p[1], msg,
			  sizeof(msg), (__u64)-1);
	asyncx_prep_read(sqe_of(ring, 2, 0), p[0], buf, sizeof(msg), (__u64)-1);
	submit(ring, 2);
	for (i = 0; i < 2; i++) {
		c = next_cqe(ring);
		CHECK(c.res == (int)sizeof(msg), "rw res %d", c.res);
	}
	printf("   read back: \"%s\"\n", buf);
	CHECK(!strcmp(buf, msg), "pipe data");
	close(p[0]);
	close(p[1]);

	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	unlink(path);
	asyncx_prep_write(sqe_of(ring, 3, 0), fd, "BBBBBBBB", 8, 8);
	asyncx_prep_write(sqe_of(ring, 4, 0), fd, "AAAAAAAA", 8, 0);
	submit(ring, 2);
	for (i = 0; i < 2; i++) {
		c = next_cqe(ring);
		CHECK(c.res == 8, "file write res %d", c.res);
	}
	asyncx_prep_read(sqe_of(ring, 5, 0), fd, fbuf[0], 8, 0);
	asyncx_prep_read(sqe_of(ring, 6, 0), fd, fbuf[1], 8, 8);
	submit(ring, 2);
	for (i = 0; i < 2; i++) {
		c = next_cqe(ring);
		CHECK(c.res == 8, "file read res %d", c.res);
	}
	printf("   file offsets 0 and 8 read back: %.8s %.8s\n", fbuf[0], fbuf[1]);
	CHECK(!memcmp(fbuf[0], "AAAAAAAA", 8) && !memcmp(fbuf[1], "BBBBBBBB", 8),
	      "file data");
	close(fd);
}

static void chains(struct asyncx_ring *ring)
{
	struct __kernel_timespec ts = { .tv_nsec = 30 * MS };
	static const char *names[] = { "", "timeout", "nop", "write",
				       "nop", "nop(-EIO)", "nop", "nop" };
	int p[2], i;
	char b[4];

	printf("4. chains: timeout(30 ms) -> nop -> write; nop -> nop(-EIO) -> nop -> nop\n   ");
	if (pipe(p)) {
		perror("pipe");
		exit(1);
	}
	asyncx_prep_timeout(sqe_of(ring, 1, ASYNCX_SQE_LINK), &ts, 0);
	asyncx_prep_nop(sqe_of(ring, 2, ASYNCX_SQE_LINK));
	asyncx_prep_write(sqe_of(ring, 3, 0), p[1], "abc", 3, (__u64)-1);
	asyncx_prep_nop(sqe_of(ring, 4, ASYNCX_SQE_LINK));
	asyncx_prep_nop_result(sqe_of(ring, 5, ASYNCX_SQE_LINK), -EIO);
	asyncx_prep_nop(sqe_of(ring, 6, ASYNCX_SQE_LINK));
	asyncx_prep_nop(sqe_of(ring, 7, 0));
	submit(ring, 7);
	for (i = 0; i < 7; i++) {
		struct asyncx_cqe c = next_cqe(ring);

		printf(" %s=%d", names[c.user_data], c.res);
		switch (c.user_data) {
		case 1:
			CHECK(c.res == -ETIME, "timeout");
			break;
		case 3:
			CHECK(c.res == 3, "write");
			break;
		case 5:
			CHECK(c.res == -EIO, "nop result");
			break;
		case 6: case 7:
			CHECK(c.res == -ECANCELED, "cancelled member");
			break;
		default:
			CHECK(c.res == 0, "nop");
		}
	}
	printf("\n");
	CHECK(read(p[0], b, 3) == 3 && !memcmp(b, "abc", 3), "chain's write");
	close(p[0]);
	close(p[1]);
}

static void cancel(struct asyncx_ring *ring)
{
	struct __kernel_timespec ts = { .tv_sec = 60 };
	int i, got_cancel = 0, got_target = 0;

	printf("5. a 60 s timeout, then a CANCEL of it\n");
	asyncx_prep_timeout(sqe_of(ring, 100, 0), &ts, 0);
	submit(ring, 1);
	asyncx_prep_cancel(sqe_of(ring, 101, 0), 100, 0);
	submit(ring, 1);
	for (i = 0; i < 2; i++) {
		struct asyncx_cqe c = next_cqe(ring);

		if (c.user_data == 100) {
			got_target = 1;
			CHECK(c.res == -ECANCELED, "cancelled timeout res %d", c.res);
		} else {
			got_cancel = 1;
			CHECK(c.res == 0, "cancel res %d", c.res);
		}
	}
	CHECK(got_cancel && got_target, "both CQEs");
	printf("   the timeout completed with -ECANCELED, the CANCEL with 0\n");
}

static void join_group(struct asyncx_ring *ring)
{
	static const int ms[] = { 30, 10, 20 };
	struct __kernel_timespec ts[ARRAY_SIZE(ms)];
	struct asyncx_cqe c;
	int i;

	printf("6. a JOIN group of %zu timeouts (30, 10, 20 ms) and a NOP\n",
	       ARRAY_SIZE(ms));
	asyncx_prep_join_group(sqe_of(ring, 600, 0), 1, ARRAY_SIZE(ms) + 1);
	for (i = 0; i < (int)ARRAY_SIZE(ms); i++) {
		ts[i] = (struct __kernel_timespec){ .tv_nsec = ms[i] * MS };
		asyncx_prep_timeout(sqe_of(ring, 610 + i, 0), &ts[i], 0);
		asyncx_sqe_set_group(&ring->sq.sqes[(ring->sq.sqe_tail - 1) &
						    ring->sq.ring_mask], 1);
	}
	asyncx_prep_nop(sqe_of(ring, 620, 0));
	asyncx_sqe_set_group(&ring->sq.sqes[(ring->sq.sqe_tail - 1) &
					    ring->sq.ring_mask], 1);
	submit(ring, ARRAY_SIZE(ms) + 2);
	printf("   completions:");
	for (i = 0; i < (int)ARRAY_SIZE(ms) + 2; i++) {
		c = next_cqe(ring);
		printf(" %llu(%d)", (unsigned long long)c.user_data, c.res);
	}
	printf("\n");
	/* The group's CQE is last: 1 of 4 succeeded (the NOP; a TIMEOUT's
	 * -ETIME counts as a failure), the first error -ETIME.
	 */
	CHECK(c.user_data == 600 && asyncx_cqe_is_group(&c) &&
	      c.res == -ETIME && asyncx_cqe_group_count(&c) == 1,
	      "group CQE %llu res %d count %u", (unsigned long long)c.user_data,
	      c.res, asyncx_cqe_group_count(&c));
	printf("   the group's CQE came last: res %d, %u of %zu succeeded\n",
	       c.res, asyncx_cqe_group_count(&c), ARRAY_SIZE(ms) + 1);
}

static void *late_writer_fn(void *arg)
{
	int fd = *(int *)arg;

	usleep(20000);
	if (write(fd, "win", 3) != 3)
		failures++;
	return NULL;
}

static void race(struct asyncx_ring *ring)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct asyncx_cqe c;
	pthread_t writer;
	char buf[8];
	int p[2], i;

	printf("7. a race: a read of a pipe written after 20 ms vs a 1 s timeout\n");
	if (pipe(p)) {
		failures++;
		return;
	}
	asyncx_prep_select_group(sqe_of(ring, 700, 0), 2, 2);
	asyncx_prep_read(sqe_of(ring, 701, 0), p[0], buf, sizeof(buf), (__u64)-1);
	asyncx_sqe_set_group(&ring->sq.sqes[(ring->sq.sqe_tail - 1) &
					    ring->sq.ring_mask], 2);
	asyncx_prep_timeout(sqe_of(ring, 702, 0), &ts, 0);
	asyncx_sqe_set_group(&ring->sq.sqes[(ring->sq.sqe_tail - 1) &
					    ring->sq.ring_mask], 2);
	submit(ring, 3);
	pthread_create(&writer, NULL, late_writer_fn, &p[1]);
	for (i = 0; i < 3; i++) {
		c = next_cqe(ring);
		if (!asyncx_cqe_is_group(&c))
			printf("   member %llu: %d%s\n", (unsigned long long)c.user_data,
			       c.res, c.flags & ASYNCX_CQE_F_WINNER ? " (won)" : "");
	}
	pthread_join(writer, NULL);
	CHECK(asyncx_cqe_is_group(&c) && c.user_data == 700 && c.res == 3 &&
	      asyncx_cqe_group_count(&c) == 0,
	      "race group %llu res %d winner %u", (unsigned long long)c.user_data,
	      c.res, asyncx_cqe_group_count(&c));
	printf("   the group's CQE: member %u won, with %d bytes\n",
	       asyncx_cqe_group_count(&c), c.res);

	asyncx_prep_read(sqe_of(ring, 710, 0), p[0], buf, sizeof(buf), (__u64)-1);
	asyncx_sqe_set_deadline(&ring->sq.sqes[(ring->sq.sqe_tail - 1) &
					       ring->sq.ring_mask], 30 * MS);
	submit(ring, 1);
	c = next_cqe(ring);
	CHECK(c.res == -ETIME, "deadline res %d", c.res);
	printf("   a read with a 30 ms deadline: %d\n", c.res);

	asyncx_prep_nop_result(sqe_of(ring, 720, 0), -EAGAIN);
	ring->sq.sqes[(ring->sq.sqe_tail - 1) & ring->sq.ring_mask].off = 2;
	asyncx_sqe_set_retry(&ring->sq.sqes[(ring->sq.sqe_tail - 1) &
					    ring->sq.ring_mask], 5, 1000, 8000, 0, 0);
	submit(ring, 1);
	c = next_cqe(ring);
	CHECK(c.res == 0 && asyncx_cqe_attempts(&c) == 3, "retry res %d attempts %u",
	      c.res, asyncx_cqe_attempts(&c));
	printf("   a NOP failing twice with -EAGAIN, retried: %d after %u attempts\n",
	       c.res, asyncx_cqe_attempts(&c));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	struct asyncx_ring ring;
	long long start;
	int ret;

	ret = asyncx_queue_init(64, &ring, 0);
	if (ret) {
		fprintf(stderr, "asyncx-demo: asyncx_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	printf("asyncx-demo: a ring of %u SQEs / %u CQEs on %s\n",
	       ring.sq.ring_entries, ring.cq.ring_entries, ASYNCX_DEVICE_PATH);
	start = now_ns();
	timeouts(&ring);
	polls(&ring);
	reads_writes(&ring);
	chains(&ring);
	cancel(&ring);
	join_group(&ring);
	race(&ring);
	asyncx_queue_exit(&ring);
	printf("asyncx-demo: %lu operations submitted, %lu completions, %d unexpected, %.1f ms\n",
	       submitted, completed, failures, (now_ns() - start) / 1e6);
	return failures ? 1 : 0;
}
