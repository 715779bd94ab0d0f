// SPDX-License-Identifier: GPL-2.0
/*
 * sqpoll_test: ASYNCX_SETUP_SQPOLL. The SQ thread consumes SQEs with no
 * enter at all; after its idle time it sets ASYNCX_SQ_NEED_WAKEUP, sleeps
 * and consumes nothing until an enter with ASYNCX_ENTER_SQ_WAKEUP; it runs
 * under its owner's credentials (an unprivileged owner's HIGH SQE is
 * -EPERM, as at an enter) and in its owner's memory (a TIMEOUT reads its
 * timespec), names files through registered files only, refuses the ops
 * of the file table; a full CQ loses nothing; bad setups and enters are
 * refused; max_user_sq_threads bounds a user; close, and the owner's exit,
 * stop the thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"
#include "util.h"

/* Set up an SQPOLL ring: 0 or -errno. */
static int sqpoll_init(struct asyncx_ring *ring, unsigned int entries,
		       unsigned int idle_ms)
{
	struct asyncx_params p;

	memset(&p, 0, sizeof(p));
	p.flags = ASYNCX_SETUP_SQPOLL;
	p.sq_thread_idle = idle_ms;
	return asyncx_queue_init_params(entries, ring, &p);
}

/* Publish the SQEs handed out, with no enter (asyncx_submit() might). */
static void publish(struct asyncx_ring *ring)
{
	ring->sq.sqe_head = ring->sq.sqe_tail;
	__atomic_store_n(ring->sq.ktail, ring->sq.sqe_tail, __ATOMIC_RELEASE);
}

/* Spin (sleeping 1 ms at a time) until @n CQEs are ready or @ms passed. */
static bool cq_wait_spin(struct asyncx_ring *ring, unsigned int n, long ms)
{
	unsigned long long end = now_ns() + ms * 1000000ULL;

	while (asyncx_cq_ready(ring) < n) {
		if (now_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static unsigned int sq_flags(const struct asyncx_ring *ring)
{
	return __atomic_load_n(ring->sq.kflags, __ATOMIC_ACQUIRE);
}

static unsigned int sq_head(const struct asyncx_ring *ring)
{
	return __atomic_load_n(ring->sq.khead, __ATOMIC_ACQUIRE);
}

/* The SQ thread's pid from the context's fdinfo, or -1. */
static int sq_thread_pid(int fd)
{
	char path[64], line[128];
	int pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "sq-thread-pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* Does /proc/@pid exist (within @ms, waiting for it to go)? */
static bool pid_gone_within(int pid, long ms)
{
	unsigned long long end = now_ns() + ms * 1000000ULL;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	while (!stat(path, &st)) {
		if (now_ns() > end)
			return false;
		usleep(2000);
	}
	return true;
}

static int raw_enter(int fd, __u32 to_submit, __u32 min, __u32 flags)
{
	struct asyncx_enter e = {
		.to_submit = to_submit, .min_complete = min, .flags = flags,
	};

	return ioctl(fd, ASYNCX_IOC_ENTER, &e) < 0 ? -errno : 0;
}

TEST(nops_complete_with_no_enter)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	unsigned int i, seen = 0;

	ASSERT_EQ(0, sqpoll_init(&ring, 64, 2000));
	EXPECT_TRUE(ring.features & ASYNCX_FEAT_SQPOLL);
	EXPECT_EQ((unsigned int)ASYNCX_SETUP_SQPOLL, ring.flags);
	EXPECT_GT(sq_thread_pid(ring.fd), 0);
	for (i = 0; i < 48; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

		ASSERT_NE(NULL, sqe);
		asyncx_prep_nop_result(sqe, (int)i);
		asyncx_sqe_set_data64(sqe, 100 + i);
	}
	publish(&ring);
	ASSERT_TRUE(cq_wait_spin(&ring, 48, 5000))
		TH_LOG("%u of 48 CQEs with no enter", asyncx_cq_ready(&ring));
	while (!asyncx_peek_cqe(&ring, &cqe)) {
		EXPECT_EQ(cqe->user_data, 100 + (__u64)cqe->res);
		seen++;
		asyncx_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(48U, seen);
	EXPECT_EQ(48U, sq_head(&ring));
	asyncx_queue_exit(&ring);
}

TEST(sleeps_after_idle_and_wakes_on_enter)
{
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;

	ASSERT_EQ(0, sqpoll_init(&ring, 8, 10));
	usleep(300000);
	ASSERT_TRUE(sq_flags(&ring) & ASYNCX_SQ_NEED_WAKEUP);
	sqe = asyncx_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_data64(sqe, 7);
	publish(&ring);
	/* Asleep: nothing is consumed without a wake. */
	usleep(100000);
	EXPECT_EQ(0U, sq_head(&ring));
	EXPECT_EQ(0U, asyncx_cq_ready(&ring));
	EXPECT_EQ(0, raw_enter(ring.fd, 0, 0, ASYNCX_ENTER_SQ_WAKEUP));
	ASSERT_TRUE(cq_wait_spin(&ring, 1, 5000));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
	EXPECT_EQ(7U, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	/* The library wakes it itself, and waits. */
	usleep(300000);
	ASSERT_TRUE(sq_flags(&ring) & ASYNCX_SQ_NEED_WAKEUP);
	sqe = asyncx_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_data64(sqe, 8);
	EXPECT_EQ(1, asyncx_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
	EXPECT_EQ(8U, cqe.user_data);
	asyncx_queue_exit(&ring);
}

/* The enter consumes nothing itself: it answers to_submit, as io_uring's. */
TEST(enter_returns_to_submit)
{
	struct asyncx_enter e = { .to_submit = 3 };
	struct asyncx_ring ring;

	ASSERT_EQ(0, sqpoll_init(&ring, 8, 100));
	EXPECT_EQ(3, ioctl(ring.fd, ASYNCX_IOC_ENTER, &e));
	EXPECT_EQ(0U, sq_head(&ring));
	asyncx_queue_exit(&ring);
}

TEST(bad_setups_and_enters)
{
	struct asyncx_params p;
	struct asyncx_ring ring;
	int fd;

	memset(&p, 0, sizeof(p));
	p.sq_thread_idle = 5;	/* without SQPOLL */
	EXPECT_EQ(-EINVAL, asyncx_queue_init_params(8, &ring, &p));
	EXPECT_EQ(-EINVAL, sqpoll_init(&ring, 8, 10001));
	/* 0: the default idle time, returned. */
	memset(&p, 0, sizeof(p));
	p.flags = ASYNCX_SETUP_SQPOLL;
	ASSERT_EQ(0, asyncx_queue_init_params(8, &ring, &p));
	EXPECT_EQ(1000U, p.sq_thread_idle);
	EXPECT_EQ((unsigned int)ASYNCX_SETUP_SQPOLL, p.flags);
	asyncx_queue_exit(&ring);
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	EXPECT_TRUE(ring.features & ASYNCX_FEAT_SQPOLL);
	EXPECT_EQ(-EINVAL, raw_enter(ring.fd, 0, 0, ASYNCX_ENTER_SQ_WAKEUP));
	EXPECT_EQ(-EINVAL, raw_enter(ring.fd, 0, 0, 1U << 2));
	asyncx_queue_exit(&ring);
	/* Not before setup either. */
	fd = asyncx_open();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EBADFD, raw_enter(fd, 0, 0, ASYNCX_ENTER_SQ_WAKEUP));
	close(fd);
}

/* Its SQEs use registered files; the file table's ops are refused. */
TEST(files_registered_only)
{
	static const int ops[] = {
		ASYNCX_OP_OPENAT, ASYNCX_OP_CLOSE, ASYNCX_OP_STATX,
		ASYNCX_OP_ACCEPT,
	};
	char out[] = "sqpoll", in[16] = "";
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	unsigned int i;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, sqpoll_init(&ring, 8, 1000));
	ASSERT_EQ(0, asyncx_register_files(&ring, p, 2));

	/* A plain descriptor: the thread has no file table of ours. */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_write(sqe, p[1], out, 6, (__u64)-1);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 5000));
	EXPECT_EQ(-EBADF, cqe.res);

	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_write(sqe, 1, out, 6, (__u64)-1);
	sqe->flags |= ASYNCX_SQE_FIXED_FILE;
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 5000));
	EXPECT_EQ(6, cqe.res);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_read(sqe, 0, in, sizeof(in), (__u64)-1);
	sqe->flags |= ASYNCX_SQE_FIXED_FILE;
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 5000));
	EXPECT_EQ(6, cqe.res);
	EXPECT_EQ(0, memcmp(in, out, 6));

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		sqe = asyncx_get_sqe(&ring);
		sqe->opcode = ops[i];
		sqe->fd = ops[i] == ASYNCX_OP_OPENAT ? AT_FDCWD : p[0];
		sqe->addr = (uintptr_t)"/dev/null";
		asyncx_sqe_set_data64(sqe, ops[i]);
		ASSERT_EQ(1, asyncx_submit(&ring));
		ASSERT_EQ(0, wait_one(&ring, &cqe, 5000));
		EXPECT_EQ(-EOPNOTSUPP, cqe.res) TH_LOG("op %d", ops[i]);
	}
	/* Nothing was closed behind our back. */
	EXPECT_EQ(0, fcntl(p[0], F_GETFD));
	asyncx_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
}

/*
 * The thread reads the owner's memory (a TIMEOUT's timespec) and runs
 * with the owner's credentials: HIGH needs CAP_SYS_NICE, which root has
 * and nobody lacks, whoever the thread is.
 */
static int high_nop_res(void)
{
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	int ret;

	if (sqpoll_init(&ring, 8, 1000))
		return -1000;
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	sqe->prio = ASYNCX_PRIO_HIGH;
	ret = asyncx_submit(&ring) == 1 && !wait_one(&ring, &cqe, 5000) ?
	      cqe.res : -1000;
	asyncx_queue_exit(&ring);
	return ret;
}

TEST(runs_as_its_owner)
{
	struct __kernel_timespec ts = { .tv_nsec = 20000000 };
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	int st;
	pid_t pid;

	ASSERT_EQ(0, sqpoll_init(&ring, 8, 1000));
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_timeout(sqe, &ts, 0);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 5000));
	EXPECT_EQ(-ETIME, cqe.res);
	asyncx_queue_exit(&ring);

	EXPECT_EQ(0, high_nop_res());
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (become_nobody())
			_exit(2);
		_exit(high_nop_res() == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("an unprivileged owner's HIGH SQE was not -EPERM (status %#x)", st);
}

/*
 * More CQEs than the CQ holds: the overflow list holds the rest, the
 * thread consumes nothing more until they moved in (as an enter answers
 * -EBUSY), and the application's waits bring them in and wake the thread:
 * every CQE comes, none is dropped.
 */
TEST(full_cq_loses_nothing)
{
	struct asyncx_params p;
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	unsigned int queued = 0, got = 0;

	memset(&p, 0, sizeof(p));
	p.flags = ASYNCX_SETUP_SQPOLL | ASYNCX_SETUP_CQSIZE;
	p.cq_entries = 16;
	p.sq_thread_idle = 20;
	ASSERT_EQ(0, asyncx_queue_init_params(16, &ring, &p));
	while (got < 256) {
		struct asyncx_sqe *sqe;

		while (queued < 256 && (sqe = asyncx_get_sqe(&ring))) {
			asyncx_prep_nop(sqe);
			asyncx_sqe_set_data64(sqe, queued++);
		}
		ASSERT_LE(0, asyncx_submit(&ring));
		/* Let the thread fill the CQ and overflow, now and then. */
		if (!(queued % 64))
			usleep(30000);
		ASSERT_EQ(0, wait_one(&ring, &cqe, 5000))
			TH_LOG("%u of 256 CQEs, %u queued", got, queued);
		EXPECT_EQ(got, cqe.user_data);
		EXPECT_EQ(0, cqe.res);
		got++;
	}
	EXPECT_EQ(0U, *ring.sq.kdropped);
	EXPECT_GT(*ring.cq.koverflow, 0U);
	asyncx_queue_exit(&ring);
}

/*
 * A CQE seen means its SQE's slot is free again: the thread publishes the
 * SQ head past the SQEs it copied before it posts their CQEs. An
 * application that enters nothing relies on it: having reaped every CQE,
 * it finds room for the next SQEs (else it would wait for a CQE that no
 * SQE will give, as full_cq_loses_nothing once did).
 */
TEST(a_cqe_frees_its_sqe_slot)
{
	unsigned long long end = now_ns() + 30000ULL * 1000000ULL;
	unsigned int queued = 0, got = 0, early = 0, n = 20000;
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;

	ASSERT_EQ(0, sqpoll_init(&ring, 16, 2000));
	while (got < n && now_ns() < end) {
		struct asyncx_sqe *sqe;

		while (queued < n && (sqe = asyncx_get_sqe(&ring))) {
			asyncx_prep_nop(sqe);
			asyncx_sqe_set_data64(sqe, queued++);
		}
		ASSERT_LE(0, asyncx_submit(&ring));
		while (!asyncx_peek_cqe(&ring, &cqe)) {
			/* Its SQE was consumed: the head is past it. */
			if (sq_head(&ring) <= cqe->user_data)
				early++;
			EXPECT_EQ(got, cqe->user_data);
			got++;
			asyncx_cqe_seen(&ring, cqe);
		}
	}
	EXPECT_EQ(n, got);
	EXPECT_EQ(0U, early)
		TH_LOG("%u of %u CQEs seen before the SQ head passed their SQE",
		       early, got);
	asyncx_queue_exit(&ring);
}

TEST(max_user_sq_threads)
{
	struct asyncx_ring r[3];
	char old[32];

	ASSERT_EQ(0, param_read("max_user_sq_threads", old, sizeof(old)));
	ASSERT_EQ(0, param_write("max_user_sq_threads", "2"));
	EXPECT_EQ(0, sqpoll_init(&r[0], 8, 100));
	EXPECT_EQ(0, sqpoll_init(&r[1], 8, 100));
	EXPECT_EQ(-EAGAIN, sqpoll_init(&r[2], 8, 100));
	/* Plain contexts do not count. */
	EXPECT_EQ(0, asyncx_queue_init(8, &r[2], 0));
	asyncx_queue_exit(&r[2]);
	asyncx_queue_exit(&r[1]);
	EXPECT_EQ(0, sqpoll_init(&r[1], 8, 100));
	asyncx_queue_exit(&r[1]);
	asyncx_queue_exit(&r[0]);
	EXPECT_EQ(0, param_write("max_user_sq_threads", old));
}

TEST(close_stops_the_thread)
{
	struct asyncx_ring ring;
	int pid;

	ASSERT_EQ(0, sqpoll_init(&ring, 8, 10000));
	pid = sq_thread_pid(ring.fd);
	ASSERT_GT(pid, 0);
	EXPECT_FALSE(pid_gone_within(pid, 0));
	asyncx_queue_exit(&ring);
	EXPECT_TRUE(pid_gone_within(pid, 5000));
}

/*
 * The owner exits with the thread polling and a fork child still holding
 * the file: the thread stops, and the child may not wake it.
 */
TEST(owner_exit_stops_the_thread)
{
	int to_parent[2], to_child[2], st, pid_sq = -1;
	char c = 0;
	pid_t owner;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	owner = fork();
	ASSERT_GE(owner, 0);
	if (!owner) {
		struct asyncx_ring ring;
		int pid;

		if (sqpoll_init(&ring, 8, 10000))
			_exit(1);
		pid = sq_thread_pid(ring.fd);
		if (write(to_parent[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		if (!fork()) {
			/* A holder that is not the owner. */
			if (read(to_child[0], &c, 1) != 1)
				_exit(1);
			c = raw_enter(ring.fd, 0, 0, ASYNCX_ENTER_SQ_WAKEUP) == -EPERM ?
			    'y' : 'n';
			_exit(write(to_parent[1], &c, 1) == 1 ? 0 : 1);
		}
		_exit(0);
	}
	ASSERT_EQ(sizeof(pid_sq), read(to_parent[0], &pid_sq, sizeof(pid_sq)));
	ASSERT_GT(pid_sq, 0);
	ASSERT_EQ(owner, waitpid(owner, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_TRUE(pid_gone_within(pid_sq, 5000))
		TH_LOG("the SQ thread outlived its owner");
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_EQ('y', c) TH_LOG("a fork child's SQ_WAKEUP was not -EPERM");
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

TEST_HARNESS_MAIN
