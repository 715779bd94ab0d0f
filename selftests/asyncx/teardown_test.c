// SPDX-License-Identifier: GPL-2.0
/*
 * teardown_test: contexts torn down while they are busy. Processes are
 * SIGKILLed in the middle of setting up, submitting and waiting; the last
 * reference to a context is dropped while other threads are inside ENTER;
 * fork + exec + exit storms run against a context with operations in
 * flight; CPUs go offline and online under busy rings. Nothing may hang,
 * every error is an errno, and every context is released in the end
 * (debugfs asyncx/contexts). Each test is bounded in time (TEARDOWN_SECS,
 * default 4 s of storm each). teardown.sh covers module unload and reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"
#include "util.h"
#include "util.h"

#define DEBUGFS_CONTEXTS	"/sys/kernel/debug/asyncx/contexts"

static const struct __kernel_timespec ts_hour = { .tv_sec = 3600 };
static const struct __kernel_timespec ts_short = { .tv_nsec = 100000 };

/* Contexts are released when the last reference goes: wait up to 10 s. */
static long contexts_settle(long want)
{
	long n = live_contexts();
	int i;

	for (i = 0; i < 200 && n != want; i++) {
		usleep(50000);
		n = live_contexts();
	}
	return n;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double storm_secs(void)
{
	const char *s = getenv("TEARDOWN_SECS");

	return s ? atof(s) : 4.0;
}

static int enter(int fd, unsigned int to_submit, unsigned int wait_nr,
		 __u64 timeout_ns)
{
	struct asyncx_enter e = {
		.to_submit = to_submit,
		.min_complete = wait_nr,
		.flags = wait_nr ? ASYNCX_ENTER_GETEVENTS : 0,
		.timeout_ns = timeout_ns,
	};
	int ret = ioctl(fd, ASYNCX_IOC_ENTER, &e);

	return ret < 0 ? -errno : ret;
}

/*
 * Queue operations that stay in flight: hour-long timeouts, polls and
 * reads on the empty pipe @rfd. Returns how many were queued.
 */
static int queue_long(struct asyncx_ring *ring, int rfd, int n, __u64 ud)
{
	static char buf[16];
	int i;

	for (i = 0; i < n; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

		if (!sqe)
			break;
		switch (i % 3) {
		case 0:
			asyncx_prep_timeout(sqe, &ts_hour, 0);
			break;
		case 1:
			asyncx_prep_poll(sqe, rfd, POLLIN);
			break;
		default:
			asyncx_prep_read(sqe, rfd, buf, sizeof(buf), -1ULL);
			break;
		}
		asyncx_sqe_set_data64(sqe, ud + i);
	}
	return i;
}

/* And some that complete at once or soon: NOPs, 100 us timeouts, a chain. */
static int queue_short(struct asyncx_ring *ring, int n, __u64 ud)
{
	int i;

	for (i = 0; i < n; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

		if (!sqe)
			break;
		if (i % 2)
			asyncx_prep_timeout(sqe, &ts_short, 0);
		else
			asyncx_prep_nop(sqe);
		if (i % 4 == 1)
			asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
		asyncx_sqe_set_data64(sqe, ud + i);
	}
	return i;
}

static void reap_all(struct asyncx_ring *ring)
{
	struct asyncx_cqe *cqe;

	while (!asyncx_peek_cqe(ring, &cqe))
		asyncx_cqe_seen(ring, cqe);
}

FIXTURE(teardown) {
	int unused;
};

FIXTURE_SETUP(teardown)
{
	if (access(ASYNCX_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (module not loaded?)", ASYNCX_DEVICE_PATH,
		     strerror(errno));
}

FIXTURE_TEARDOWN(teardown)
{
}

/* A child's life until it is killed: set up, submit and wait, forever. */
static void __attribute__((noreturn)) busy_child(int ready_fd, int mode)
{
	struct __kernel_timespec wait = { .tv_nsec = 200000 };
	struct asyncx_ring ring;
	int empty[2];
	__u64 ud = 0;

	if (pipe(empty))
		_exit(10);
	for (;;) {
		struct asyncx_cqe *cqe;
		int ret = asyncx_queue_init(32, &ring, 0);

		if (ret)
			_exit(11);
		if (ready_fd >= 0) {
			if (write(ready_fd, "r", 1) != 1)
				_exit(12);
			close(ready_fd);
			ready_fd = -1;
		}
		for (int round = 0; round < 50; round++) {
			queue_long(&ring, empty[0], 3, ud);
			queue_short(&ring, 8, ud + 3);
			ud += 16;
			ret = asyncx_submit(&ring);
			if (ret < 0 && ret != -EBUSY)
				_exit(13);
			if (mode)	/* block in the wait too */
				asyncx_wait_cqe_timeout(&ring, &cqe, &wait);
			reap_all(&ring);
		}
		/* Close with everything in flight and start over. */
		asyncx_queue_exit(&ring);
	}
}

/*
 * Processes SIGKILLed while they set up rings, submit or wait, with
 * operations of every kind in flight (hundreds of iterations): each dies
 * of the SIGKILL (no hang in the module), and every context is released.
 */
TEST_F_TIMEOUT(teardown, sigkill_mid_submit_and_wait, 120)
{
	double end = now() + storm_secs();
	long ctx0 = live_contexts();
	int iters = 0, killed = 0;

	ASSERT_LE(0, ctx0) TH_LOG("%s unreadable (root, debugfs?)", DEBUGFS_CONTEXTS);
	while (iters < 1000 && (iters < 200 || now() < end)) {
		int p[2], status;
		pid_t pid;
		char c;

		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(p[0]);
			busy_child(p[1], iters % 2);
		}
		close(p[1]);
		/* Every third one is killed during its first setup. */
		if (iters % 3) {
			ASSERT_EQ(1, read(p[0], &c, 1)) TH_LOG("child %d failed early", iters);
			usleep(rand() % 3000);
		} else {
			usleep(rand() % 200);
		}
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		/* Only now: a child killed before it said "ready" must not
		 * die of SIGPIPE first (seen once on the debug kernel).
		 */
		close(p[0]);
		/* It died of the signal, not of an error it saw. */
		ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("iteration %d: exit %d", iters,
							WEXITSTATUS(status));
		killed += WTERMSIG(status) == SIGKILL;
		iters++;
	}
	EXPECT_EQ(iters, killed);
	EXPECT_EQ(ctx0, contexts_settle(ctx0));
	TH_LOG("%d processes killed mid-submit", iters);
}

struct race {
	int fd;
	int bad;		/* an errno other than the expected ones */
	int badfd;		/* threads that saw EBADF */
	long enters;
};

static void *enter_loop(void *arg)
{
	struct race *r = arg;

	for (;;) {
		int ret = enter(r->fd, 0, 1, 1000000);

		__atomic_add_fetch(&r->enters, 1, __ATOMIC_RELAXED);
		if (ret == -EBADF) {
			__atomic_add_fetch(&r->badfd, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		if (ret < 0 && ret != -ETIME && ret != -EINTR) {
			__atomic_store_n(&r->bad, -ret, __ATOMIC_RELAXED);
			return NULL;
		}
	}
}

/*
 * The last reference to a context (its fd and its mappings) goes while
 * other threads are inside ENTER, waiting, with operations in flight:
 * they come out with -EBADF (the next enter) or their own result, never
 * hang, and the context is released when the last of them leaves.
 */
TEST_F_TIMEOUT(teardown, close_races_enter, 120)
{
	double end = now() + storm_secs();
	long ctx0 = live_contexts();
	int iters = 0, empty[2];

	ASSERT_LE(0, ctx0);
	ASSERT_EQ(0, pipe(empty));
	while (iters < 500 && (iters < 50 || now() < end)) {
		struct race r = {};
		struct asyncx_ring ring;
		pthread_t th[3];
		int i;

		ASSERT_EQ(0, asyncx_queue_init(32, &ring, 0));
		queue_long(&ring, empty[0], 12, 0);
		queue_short(&ring, 8, 100);
		ASSERT_EQ(20, asyncx_submit(&ring));
		r.fd = ring.fd;
		for (i = 0; i < 3; i++)
			ASSERT_EQ(0, pthread_create(&th[i], NULL, enter_loop, &r));
		usleep(rand() % 2000);
		/* munmap + close: the file's last references. */
		asyncx_queue_exit(&ring);
		for (i = 0; i < 3; i++)
			ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, r.bad) TH_LOG("enter racing close: %s", strerror(r.bad));
		ASSERT_EQ(3, r.badfd);
		iters++;
	}
	close(empty[0]);
	close(empty[1]);
	EXPECT_EQ(ctx0, contexts_settle(ctx0));
	TH_LOG("%d closes raced 3 entering threads", iters);
}

/*
 * fork + exec + exit storms beside a context with operations in flight.
 * A child does not get the rings (their mappings are not copied) nor the
 * right to enter (-EPERM); its exit, exec or death by SIGKILL changes
 * nothing for the parent's context, whose operations are all still there
 * to cancel afterwards, and whose new submissions work.
 */
TEST_F_TIMEOUT(teardown, fork_exec_exit_storm, 300)
{
	double end = now() + storm_secs();
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	struct asyncx_sqe *sqe;
	long ctx0 = live_contexts();
	int empty[2], children = 0, i, n, cancelled = 0;
	pid_t pids[8] = {};

	ASSERT_LE(0, ctx0);
	ASSERT_EQ(0, pipe(empty));
	ASSERT_EQ(0, asyncx_queue_init(64, &ring, 0));
	n = queue_long(&ring, empty[0], 30, 1000);
	ASSERT_EQ(n, asyncx_submit(&ring));

	while (children < 2000 && (children < 100 || now() < end)) {
		int slot = children % 8, status;
		pid_t pid;

		if (pids[slot]) {
			if (children % 5 == 0)
				kill(pids[slot], SIGKILL);
			ASSERT_EQ(pids[slot], waitpid(pids[slot], &status, 0));
			if (WIFEXITED(status)) {
				ASSERT_EQ(0, WEXITSTATUS(status))
					TH_LOG("child saw the wrong thing: %d",
					       WEXITSTATUS(status));
			}
		}
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			char *argv[] = { "/bin/true", NULL };
			long page = sysconf(_SC_PAGESIZE);

			/* No rings here: msync of an unmapped range is ENOMEM. */
			if (msync(ring.sq.ring_ptr, page, MS_ASYNC) != -1 || errno != ENOMEM)
				_exit(2);
			if (enter(ring.fd, 1, 0, 0) != -EPERM)
				_exit(3);
			if (enter(ring.fd, 0, 1, 1000) != -EPERM)
				_exit(4);
			if (children % 4 == 1)
				execv(argv[0], argv);
			_exit(0);
		}
		pids[slot] = pid;
		children++;
	}
	for (i = 0; i < 8; i++) {
		int status;

		if (!pids[i])
			continue;
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		if (WIFEXITED(status)) {
			EXPECT_EQ(0, WEXITSTATUS(status));
		}
	}

	/* The parent's context is intact: a NOP works ... */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, asyncx_wait_cqe(&ring, &cqe));
	EXPECT_EQ(1ULL, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	asyncx_cqe_seen(&ring, cqe);
	/* ... and all its operations are still in flight, to be cancelled. */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_cancel(sqe, 0, ASYNCX_CANCEL_ALL);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(1, asyncx_submit(&ring));
	for (i = 0; i < n + 1; i++) {
		struct __kernel_timespec ts = { .tv_sec = 5 };

		ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &ts));
		if (cqe->user_data == 2) {
			EXPECT_EQ(n, cqe->res);
		} else {
			cancelled += cqe->res == -ECANCELED;
		}
		asyncx_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(n, cancelled);
	asyncx_queue_exit(&ring);
	close(empty[0]);
	close(empty[1]);
	EXPECT_EQ(ctx0, contexts_settle(ctx0));
	TH_LOG("%d children forked (a quarter exec'd, a fifth killed) in %.1f s",
	       children, now() - end + storm_secs());
}

struct busy {
	volatile int *stop;
	long sqes, cqes;
	int err;
};

static void *busy_ring(void *arg)
{
	struct busy *b = arg;
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	__u64 ud = 0;
	int ret;

	ret = asyncx_queue_init(64, &ring, 0);
	if (ret) {
		b->err = -ret;
		return NULL;
	}
	while (!*b->stop) {
		int n = queue_short(&ring, 32, ud);

		ud += n;
		ret = asyncx_submit(&ring);
		if (ret < 0) {
			b->err = -ret;
			break;
		}
		b->sqes += ret;
		while (b->cqes < b->sqes) {
			struct __kernel_timespec ts = { .tv_sec = 10 };

			ret = asyncx_wait_cqe_timeout(&ring, &cqe, &ts);
			if (ret) {
				b->err = -ret;
				goto out;
			}
			if (cqe->res < 0 && cqe->res != -ETIME)
				b->err = -cqe->res;
			asyncx_cqe_seen(&ring, cqe);
			b->cqes++;
		}
	}
out:
	if (*ring.sq.kdropped)
		b->err = ENOSPC;
	asyncx_queue_exit(&ring);
	return NULL;
}

/*
 * CPUs go offline and online while rings are busy with NOPs, timers and
 * chains (the executor moves its queues, the timers migrate): every SQE
 * still gets its CQE, none is dropped.
 */
TEST_F_TIMEOUT(teardown, cpu_offline_online_busy, 180)
{
	double end = now() + storm_secs();
	volatile int stop = 0;
	struct busy b[2] = { { .stop = &stop }, { .stop = &stop } };
	int cpus[64], ncpu = 0, toggles = 0, cpu, i;
	pthread_t th[2];

	for (cpu = 1; cpu < 64; cpu++) {
		char path[64];

		snprintf(path, sizeof(path), SYS_CPU "/cpu%d/online", cpu);
		if (!access(path, W_OK))
			cpus[ncpu++] = cpu;
	}
	if (!ncpu)
		SKIP(return, "no CPU that can go offline (root, -smp 2 or more)");
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, busy_ring, &b[i]));
	while (toggles < 40 && (toggles < 4 || now() < end)) {
		cpu = cpus[toggles % ncpu];
		ASSERT_EQ(0, cpu_set_online(cpu, 0));
		usleep(20000);
		ASSERT_EQ(0, cpu_set_online(cpu, 1));
		toggles++;
	}
	stop = 1;
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		EXPECT_EQ(0, b[i].err) TH_LOG("ring %d: %s", i, strerror(b[i].err));
		EXPECT_EQ(b[i].sqes, b[i].cqes);
		EXPECT_LT(0, b[i].sqes);
	}
	TH_LOG("%d offline/online cycles; %ld + %ld SQEs, all completed", toggles,
	       b[0].sqes, b[1].sqes);
}

TEST_HARNESS_MAIN
