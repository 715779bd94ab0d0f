// SPDX-License-Identifier: GPL-2.0
/*
 * A context's I/O workers (kmod/ring/iowq.c, Documentation/security.rst):
 * what may sleep for a user sleeps in that user's context's own workers,
 * bounded per context and per user, interrupted by a cancel or a close,
 * never on the executor's shared workers. Each case runs its ring as an
 * unprivileged user (uid and gid 65534).
 *
 * Uses the test helper asyncx_test_blocker.ko (selftests/asyncx/blocker,
 * path in ASYNCX_BLOCKER_KO): a file whose read sleeps until released, and
 * one whose ->poll() itself sleeps, as a FUSE file's can.
 *
 *   per-context    20 blocked READs of one context take max_io_workers
 *                  threads; another context's READ and TIMEOUT run at once
 *   poll           a POLL of a file whose ->poll() sleeps, likewise
 *   cancel         a CANCEL of a blocked READ completes it at once, and the
 *                  sleep is interrupted
 *   close          closing a context with blocked READs interrupts them and
 *                  frees the context
 *   per-user       max_user_io_workers bounds a user's workers over all their
 *                  contexts; a context that can get none fails with -EAGAIN
 *   pipes          WRITEs waiting on full pipes hold no thread
 *   races          a PROBE on a worker, cancelled as it finishes
 *   faults         a RECV into memory whose faults sleep (the helper's
 *                  mapping) waits in its context's workers, not on the
 *                  executor's
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asyncx.h>
#include "kselftest_harness.h"
#include "util.h"
#include "blocker/blocker.h"


/* Load the helper unless it is: 0, or -1. */
static int blocker_load(void)
{
	const char *ko = getenv("ASYNCX_BLOCKER_KO");
	char cmd[512];

	if (!access(BLOCKER_READ_DEV, F_OK))
		return 0;
	if (!ko) {
		fprintf(stderr, "# ASYNCX_BLOCKER_KO is not set\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	if (system(cmd))
		return -1;
	for (int i = 0; i < 100 && access(BLOCKER_POLL_DEV, F_OK); i++)
		usleep(10 * 1000);
	return access(BLOCKER_READ_DEV, F_OK) | access(BLOCKER_POLL_DEV, F_OK);
}

/* Wait up to @ms for the helper's sleepers to be @n; returns the count. */
static int sleepers_reach(int ctl, int n, int ms)
{
	int s = ioctl(ctl, BLOCKER_SLEEPERS);

	for (int i = 0; i < ms / 10 && s != n; i++) {
		usleep(10 * 1000);
		s = ioctl(ctl, BLOCKER_SLEEPERS);
	}
	return s;
}

/* A regular file with 4 bytes in it, open for reading; unlinked. */
static int data_file(void)
{
	char path[] = "/tmp/asyncx-workers-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, "data", 4) != 4) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Another context of the same user gets its READ of a regular file and a
 * 10 ms TIMEOUT done within a second: 0, or what went wrong.
 */
static int other_context_runs(void)
{
	struct __kernel_timespec ts = { .tv_nsec = 10 * 1000000L };
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int fd, ret = 0;
	char buf[4];

	fd = data_file();
	if (fd < 0 || asyncx_queue_init(8, &ring, 0))
		return -100;
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_read(sqe, fd, buf, 4, 0);
	asyncx_sqe_set_data64(sqe, 1);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_timeout(sqe, &ts, 0);
	asyncx_sqe_set_data64(sqe, 2);
	if (asyncx_submit(&ring) != 2)
		ret = -101;
	for (int i = 0; !ret && i < 2; i++) {
		if (wait_one(&ring, &cqe, 1000)) {
			ret = -102;	/* not within the second */
			break;
		}
		if (cqe.res != (cqe.user_data == 1 ? 4 : -ETIME))
			ret = -103;
	}
	asyncx_queue_exit(&ring);
	close(fd);
	return ret;
}

/* Submit @n READs of the read blocker, user_data 100 + i. */
static int submit_blocked_reads(struct asyncx_ring *ring, int bfd, int n,
				char *buf)
{
	for (int i = 0; i < n; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

		if (!sqe)
			return -1;
		asyncx_prep_read(sqe, bfd, buf + i, 1, (__u64)-1);
		asyncx_sqe_set_data64(sqe, 100 + i);
	}
	return asyncx_submit(ring) == n ? 0 : -1;
}

/*
 * Release the helper until @n CQEs of @ring are reaped, each with @res;
 * returns how many were.
 */
static int release_and_reap(struct asyncx_ring *ring, int ctl, int n, int res)
{
	struct asyncx_cqe cqe;
	int got = 0;

	for (int tries = 0; got < n && tries < 200; tries++) {
		ioctl(ctl, BLOCKER_RELEASE);
		while (got < n && !wait_one(ring, &cqe, 50)) {
			if (cqe.res != res)
				fprintf(stderr, "# user_data %llu: res %d\n",
					(unsigned long long)cqe.user_data,
					cqe.res);
			else
				got++;
		}
	}
	return got;
}

FIXTURE(workers) {
	int ctl;
	int max_workers;
	long max_user;
};

FIXTURE_SETUP(workers)
{
	ASSERT_EQ(0, blocker_load());
	self->ctl = open(BLOCKER_READ_DEV, O_RDONLY);
	ASSERT_LE(0, self->ctl);
	self->max_workers = param_long("max_io_workers");
	ASSERT_LE(1, self->max_workers);
	self->max_user = param_long("max_user_io_workers");
	ASSERT_LE(0, self->max_user);
	/* Nothing left asleep by an earlier case. */
	ioctl(self->ctl, BLOCKER_RELEASE);
	ASSERT_EQ(0, sleepers_reach(self->ctl, 0, 2000));
}

FIXTURE_TEARDOWN(workers)
{
	ioctl(self->ctl, BLOCKER_RELEASE);
	close(self->ctl);
}

/*
 * 20 READs that sleep in one context take that context's workers only:
 * another context's READ of a regular file and its TIMEOUT run at once.
 * (They used to take the 16 threads of the one blocking pool every user
 * shared, and the other context's READ waited behind them.)
 */
TEST_F(workers, blocked_reads_stay_in_their_context)
{
	struct asyncx_ring ring;
	char buf[32];
	int bfd;

	bfd = open(BLOCKER_READ_DEV, O_RDONLY);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(32, &ring, 0));
	ASSERT_EQ(0, submit_blocked_reads(&ring, bfd, 20, buf));
	EXPECT_EQ(self->max_workers,
		  sleepers_reach(self->ctl, self->max_workers, 2000));
	usleep(200 * 1000);
	/* Not one more: the context's bound. */
	EXPECT_EQ(self->max_workers, ioctl(self->ctl, BLOCKER_SLEEPERS));
	EXPECT_EQ(0, other_context_runs());
	EXPECT_EQ(20, release_and_reap(&ring, self->ctl, 20, 1));
	asyncx_queue_exit(&ring);
	close(bfd);
}

/*
 * POLLs of a file whose ->poll() sleeps (FUSE's asks its daemon) sleep in
 * their context's workers, not on the executor's: another context's
 * TIMEOUT still fires on time. Nor does the submission call that ->poll()
 * (it holds the context's lock): it returns at once. Half have a
 * deadline, which starts them on the executor in any case.
 */
TEST_F(workers, sleeping_poll_stays_in_its_context)
{
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	unsigned long long t0;
	int pfd;

	pfd = open(BLOCKER_POLL_DEV, O_RDONLY);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(16, &ring, 0));
	for (int i = 0; i < 8; i++) {
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_poll(sqe, pfd, POLLIN);
		if (i & 1)
			asyncx_sqe_set_deadline(sqe, 30ULL * 1000000000ULL);
		asyncx_sqe_set_data64(sqe, 200 + i);
	}
	t0 = now_ns();
	ASSERT_EQ(8, asyncx_submit(&ring));
	EXPECT_GT(500000000ULL, now_ns() - t0);
	EXPECT_EQ(self->max_workers,
		  sleepers_reach(self->ctl, self->max_workers, 2000));
	EXPECT_EQ(0, other_context_runs());
	EXPECT_EQ(8, release_and_reap(&ring, self->ctl, 8, POLLIN));
	asyncx_queue_exit(&ring);
	close(pfd);
}

/*
 * A CANCEL of a READ asleep on a worker completes it at once with
 * -ECANCELED: the worker's sleep is interrupted, not waited for.
 */
TEST_F(workers, cancel_interrupts_a_blocked_read)
{
	int intr = ioctl(self->ctl, BLOCKER_INTERRUPTED);
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int bfd, seen = 0;
	char buf[1];

	bfd = open(BLOCKER_READ_DEV, O_RDONLY);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	ASSERT_EQ(0, submit_blocked_reads(&ring, bfd, 1, buf));
	ASSERT_EQ(1, sleepers_reach(self->ctl, 1, 2000));
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_cancel(sqe, 100, 0);
	asyncx_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, asyncx_submit(&ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
		if (cqe.user_data == 100) {
			EXPECT_EQ(-ECANCELED, cqe.res);
			seen |= 1;
		} else {
			EXPECT_EQ(0, cqe.res);
			seen |= 2;
		}
	}
	EXPECT_EQ(3, seen);
	EXPECT_EQ(0, sleepers_reach(self->ctl, 0, 1000));
	EXPECT_EQ(intr + 1, ioctl(self->ctl, BLOCKER_INTERRUPTED));
	asyncx_queue_exit(&ring);
	close(bfd);
}

/* In a child, as nobody: close a context with 3 blocked READs. */
static int close_child(void *arg)
{
	int ctl = *(int *)arg;
	struct asyncx_ring ring;
	char buf[4];
	int bfd;

	bfd = open(BLOCKER_READ_DEV, O_RDONLY);
	if (bfd < 0 || become_nobody() || asyncx_queue_init(8, &ring, 0))
		return 1;
	if (submit_blocked_reads(&ring, bfd, 3, buf) ||
	    sleepers_reach(ctl, 3, 2000) != 3)
		return 2;
	asyncx_queue_exit(&ring);
	/* The close, not the exit, ends the sleeps. */
	return sleepers_reach(ctl, 0, 1000) ? 3 : 0;
}

/* Closing a context interrupts its blocked READs, and it goes. */
TEST_F(workers, close_interrupts_blocked_reads)
{
	long base = live_contexts(), n = -1;

	ASSERT_LE(0, base);
	EXPECT_EQ(0, in_child(close_child, &self->ctl));
	for (int i = 0; i < 100 && (n = live_contexts()) != base; i++)
		usleep(10 * 1000);
	EXPECT_EQ(base, n);
}

/*
 * max_user_io_workers bounds one user's workers over all their contexts:
 * two contexts with 4 blocked READs each get 6 workers between them, and
 * a third context, which can get none, fails its READ with -EAGAIN. Run in
 * a child as nobody; the parent sets and restores the parameter.
 */
static int user_limit_child(void *arg)
{
	int ctl = *(int *)arg;
	struct asyncx_ring a, b, c;
	struct asyncx_cqe cqe = { .res = 0 };
	int bfd, fd, s, ret = 0;
	char buf[8], d[4];

	bfd = open(BLOCKER_READ_DEV, O_RDONLY);
	fd = data_file();
	if (bfd < 0 || fd < 0 || become_nobody())
		return 1;
	if (asyncx_queue_init(8, &a, 0) || asyncx_queue_init(8, &b, 0) ||
	    asyncx_queue_init(8, &c, 0))
		return 2;
	if (submit_blocked_reads(&a, bfd, 4, buf) ||
	    submit_blocked_reads(&b, bfd, 4, buf + 4))
		return 3;
	s = sleepers_reach(ctl, 6, 2000);
	usleep(200 * 1000);
	if (s != 6 || ioctl(ctl, BLOCKER_SLEEPERS) != 6) {
		fprintf(stderr, "# sleepers %d, then %d, not 6\n", s,
			(int)ioctl(ctl, BLOCKER_SLEEPERS));
		ret = 4;
	}
	asyncx_prep_read(asyncx_get_sqe(&c), fd, d, 4, 0);
	if (asyncx_submit(&c) != 1 || wait_one(&c, &cqe, 1000) ||
	    cqe.res != -EAGAIN) {
		fprintf(stderr, "# the third context's READ: %d, not -EAGAIN\n",
			cqe.res);
		ret = ret ?: 5;
	}
	if (release_and_reap(&a, ctl, 4, 1) != 4 ||
	    release_and_reap(&b, ctl, 4, 1) != 4)
		ret = ret ?: 6;
	asyncx_queue_exit(&a);
	asyncx_queue_exit(&b);
	asyncx_queue_exit(&c);
	return ret;
}

TEST_F(workers, user_limit_bounds_all_contexts)
{
	char old[16];
	int ret;

	/* The contexts of earlier cases are gone, and so their workers. */
	usleep(100 * 1000);
	snprintf(old, sizeof(old), "%ld", self->max_user);
	ASSERT_EQ(0, param_write("max_user_io_workers", "6"));
	ret = in_child(user_limit_child, &self->ctl);
	EXPECT_EQ(0, param_write("max_user_io_workers", old));
	EXPECT_EQ(0, ret);
}

/*
 * WRITEs waiting for room in full pipes hold no thread: 32 of them, more
 * than any bound of workers, and another context still runs at once.
 */
TEST(pipe_writes_hold_no_thread)
{
	static char big[65536];
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	int p[32][2], fl;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(64, &ring, 0));
	for (int i = 0; i < 32; i++) {
		ASSERT_EQ(0, pipe(p[i]));
		fl = fcntl(p[i][1], F_GETFL);
		fcntl(p[i][1], F_SETFL, fl | O_NONBLOCK);
		while (write(p[i][1], big, sizeof(big)) > 0)
			;
		fcntl(p[i][1], F_SETFL, fl);
		asyncx_prep_write(asyncx_get_sqe(&ring), p[i][1], "x", 1,
				  (__u64)-1);
	}
	ASSERT_EQ(32, asyncx_submit(&ring));
	usleep(100 * 1000);
	EXPECT_EQ(0, other_context_runs());
	for (int i = 0; i < 32; i++)
		ASSERT_LT(0, read(p[i][0], big, sizeof(big)));
	for (int i = 0; i < 32; i++) {
		ASSERT_EQ(0, wait_one(&ring, &cqe, 2000));
		EXPECT_EQ(1, cqe.res);
	}
	asyncx_queue_exit(&ring);
	for (int i = 0; i < 32; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

/*
 * RECVs whose buffers are pages of a mapping whose faults sleep until
 * released (the helper's, as a FUSE file's mapping waits for its daemon):
 * the copy on the executor takes no fault; each slot is faulted in on an
 * I/O worker of the context, which waits there (max_io_workers at once).
 * Another context's TIMEOUT and READ run meanwhile (the faults used to
 * hold the executor's workers); once released, every RECV delivers its
 * message. The other context is another process's: a fault that sleeps
 * holds its mm's mmap lock, so this process cannot map a ring meanwhile.
 */
TEST_F(workers, recv_fault_waits_in_its_context)
{
	const int n = 8;
	long page = sysconf(_SC_PAGESIZE);
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int bfd, chan, got = 0, go[2], status;
	char *buf;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		close(go[1]);
		if (become_nobody() || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(other_context_runs() ? 1 : 0);
	}
	close(go[0]);
	bfd = open(BLOCKER_READ_DEV, O_RDONLY);
	ASSERT_LE(0, bfd);
	buf = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, bfd, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(32, &ring, 0));
	chan = asyncx_chan_create(&ring, n, 64);
	ASSERT_LE(0, chan);
	for (int i = 0; i < n; i++)
		asyncx_prep_send(asyncx_get_sqe(&ring), chan, "hello", 5);
	ASSERT_EQ(n, asyncx_submit(&ring));
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
		ASSERT_EQ(5, cqe.res);
	}
	/* A deadline starts each RECV on the executor, not in this thread. */
	for (int i = 0; i < n; i++) {
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_recv(sqe, chan, buf + i * page, 64);
		asyncx_sqe_set_deadline(sqe, 30ULL * 1000000000ULL);
		asyncx_sqe_set_data64(sqe, 300 + i);
	}
	ASSERT_EQ(n, asyncx_submit(&ring));
	EXPECT_EQ(self->max_workers,
		  sleepers_reach(self->ctl, self->max_workers, 2000));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_NE(0, wait_one(&ring, &cqe, 100));	/* none done yet */
	for (int tries = 0; got < n && tries < 200; tries++) {
		ioctl(self->ctl, BLOCKER_RELEASE);
		while (got < n && !wait_one(&ring, &cqe, 50)) {
			EXPECT_EQ(5, cqe.res);
			got++;
		}
	}
	EXPECT_EQ(n, got);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(0, memcmp(buf + i * page, "hello", 5));
	asyncx_queue_exit(&ring);
	munmap(buf, n * page);
	close(bfd);
	close(go[1]);
}

/*
 * A PROBE that the executor starts (a deadline) runs on an I/O worker,
 * in the submitter's mm; cancelled around the moment its worker finishes,
 * its request goes while the worker still holds the work. Regression: the
 * worker wrote the work's result after a drop that found it done had
 * freed it (KASAN, found by the fuzzer). Every CQE comes, with a result
 * PROBE can give.
 */
TEST(probe_on_a_worker_races_its_cancel)
{
	static struct {
		struct asyncx_probe p;
		struct asyncx_probe_op ops[ASYNCX_OP_LAST];
	} probes[16];
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int bad = 0;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(64, &ring, 0));
	for (int round = 0; round < 1000; round++) {
		for (int i = 0; i < 16; i++) {
			sqe = asyncx_get_sqe(&ring);
			memset(&probes[i], 0, sizeof(probes[i]));
			asyncx_prep_probe(sqe, &probes[i].p, ASYNCX_OP_LAST);
			asyncx_sqe_set_deadline(sqe, 1000000000ULL);
			asyncx_sqe_set_data64(sqe, i);
		}
		ASSERT_EQ(16, asyncx_submit(&ring));
		/* Some start, some run, some are done: cancel them all. */
		usleep(round % 13 * 20);
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_cancel(sqe, 0, ASYNCX_CANCEL_ALL);
		asyncx_sqe_set_data64(sqe, 99);
		ASSERT_EQ(1, asyncx_submit(&ring));
		for (int i = 0; i < 17; i++) {
			ASSERT_EQ(0, wait_one(&ring, &cqe, 2000));
			if (cqe.user_data != 99 && cqe.res != 0 &&
			    cqe.res != -ECANCELED)
				bad++;
		}
	}
	EXPECT_EQ(0, bad);
	asyncx_queue_exit(&ring);
}

TEST_HARNESS_MAIN
