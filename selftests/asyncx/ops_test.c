// SPDX-License-Identifier: GPL-2.0
/*
 * ops_test: the file operations of /dev/asyncx through libasyncx —
 * ASYNCX_OP_POLL (one-shot, multishot, errors, a signalfd going away) and
 * ASYNCX_OP_READ / ASYNCX_OP_WRITE (pipes, regular files at an offset and
 * at the file position, errors, a 1 MiB read through the blocking pool),
 * and closing a ring with many polls pending.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"
#include "util.h"

#define NO_OFF		((__u64)-1)
#define BIG_SIZE	(1024 * 1024)
#define MANY_POLLS	1000
#define MANY_PIPES	10

/* Submit the SQEs handed out; true when all were consumed. */
static bool submit_all(struct asyncx_ring *ring, int n)
{
	return asyncx_submit(ring) == n;
}

/* A temporary regular file holding @len bytes of @data; its fd (O_RDWR). */
static int tmp_file(const void *data, size_t len)
{
	char path[] = "/tmp/asyncx_ops_XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (len && pwrite(fd, data, len, 0) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(ops) {
	struct asyncx_ring ring;
	bool up;
};

FIXTURE_SETUP(ops)
{
	int ret = asyncx_queue_init(64, &self->ring, 0);

	self->up = !ret;
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(ops)
{
	if (self->up)
		asyncx_queue_exit(&self->ring);
}

/* A poll of a pipe stays pending until data arrives, then says POLLIN. */
TEST_F(ops, poll_pipe_becomes_readable)
{
	struct asyncx_cqe cqe;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	asyncx_prep_poll(asyncx_get_sqe(&self->ring), p[0], POLLIN);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 100));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_TRUE(cqe.res > 0 && (cqe.res & POLLIN));
	EXPECT_EQ(0, cqe.flags);
	close(p[0]);
	close(p[1]);
}

/* A poll of a pipe with data in it completes at once. */
TEST_F(ops, poll_pipe_already_readable)
{
	struct asyncx_cqe cqe;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(1, write(p[1], "x", 1));
	asyncx_prep_poll(asyncx_get_sqe(&self->ring), p[0], POLLIN);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(POLLIN, cqe.res & (POLLIN | POLLOUT));
	close(p[0]);
	close(p[1]);
}

/* An empty pipe is writable. */
TEST_F(ops, poll_pipe_pollout)
{
	struct asyncx_cqe cqe;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	asyncx_prep_poll(asyncx_get_sqe(&self->ring), p[1], POLLOUT);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_TRUE(cqe.res & POLLOUT);
	close(p[0]);
	close(p[1]);
}

/* Multishot: a CQE with MORE for each write of the eventfd; close cancels. */
TEST_F(ops, poll_multishot_eventfd)
{
	struct asyncx_cqe cqe;
	uint64_t one = 1;
	int efd, i, more = 0;

	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	asyncx_prep_poll_multishot(asyncx_get_sqe(&self->ring), efd, POLLIN);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 50));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(8, write(efd, &one, 8));
		ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
		EXPECT_TRUE(cqe.res & POLLIN);
		EXPECT_EQ(ASYNCX_CQE_F_MORE, cqe.flags);
		more++;
		/* Extra CQEs of the same edge are allowed: drain them. */
		while (!wait_one(&self->ring, &cqe, 20)) {
			EXPECT_EQ(ASYNCX_CQE_F_MORE, cqe.flags);
			more++;
		}
	}
	EXPECT_LE(3, more);
	/* Still armed: the teardown's close cancels it. */
	close(efd);
}

TEST_F(ops, poll_bad_fd)
{
	struct asyncx_cqe cqe;

	asyncx_prep_poll(asyncx_get_sqe(&self->ring), 9999, POLLIN);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(-EBADF, cqe.res);
}

/* A regular file has no poll: -EINVAL. Unknown events: -EINVAL. */
TEST_F(ops, poll_not_pollable)
{
	struct asyncx_cqe cqe;
	int fd = tmp_file("x", 1);
	int p[2];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	asyncx_prep_poll(asyncx_get_sqe(&self->ring), fd, POLLIN);
	asyncx_prep_poll(asyncx_get_sqe(&self->ring), p[0], POLLIN | POLLNVAL);
	ASSERT_TRUE(submit_all(&self->ring, 2));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(-EINVAL, cqe.res);
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(-EINVAL, cqe.res);
	close(fd);
	close(p[0]);
	close(p[1]);
}

/* A signalfd closed while polled: the poll ends or is cancelled, no crash. */
TEST_F(ops, poll_signalfd_closed)
{
	struct asyncx_cqe cqe;
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	ASSERT_LE(0, sfd);
	asyncx_prep_poll(asyncx_get_sqe(&self->ring), sfd, POLLIN);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	wait_one(&self->ring, &cqe, 50);
	close(sfd);
	wait_one(&self->ring, &cqe, 50);
	ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &set, NULL));
}

/*
 * A child with a ring of its own exits with a POLL of its signalfd pending:
 * exit closes the context, which cancels the poll and unhooks it, and the
 * child's signal state is freed after that. (A child cannot use the
 * parent's ring: see ring_test's fork_child_cannot_use_the_ring. The
 * POLLFREE path itself is covered by the KUnit suite asyncx_poll.)
 */
TEST_F(ops, poll_signalfd_owner_exits)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct asyncx_ring ring;
		sigset_t set;
		int sfd;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		sfd = signalfd(-1, &set, 0);
		if (sfd < 0 || asyncx_queue_init(8, &ring, 0))
			_exit(1);
		asyncx_prep_poll(asyncx_get_sqe(&ring), sfd, POLLIN);
		_exit(asyncx_submit(&ring) == 1 ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* A read of an empty pipe waits for a write; a write reaches a reader. */
TEST_F(ops, rw_pipe)
{
	struct asyncx_cqe cqe;
	char buf[64] = { 0 };
	int p[2];

	ASSERT_EQ(0, pipe(p));
	asyncx_prep_read(asyncx_get_sqe(&self->ring), p[0], buf, sizeof(buf),
			 NO_OFF);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 100));
	ASSERT_EQ(5, write(p[1], "hello", 5));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(5, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));

	asyncx_prep_write(asyncx_get_sqe(&self->ring), p[1], "world", 5,
			  NO_OFF);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(5, cqe.res);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, read(p[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "world", 5));

	/* A pipe has no offsets. */
	asyncx_prep_read(asyncx_get_sqe(&self->ring), p[0], buf, 1, 0);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(-ESPIPE, cqe.res);
	close(p[0]);
	close(p[1]);
}

/*
 * Files with FMODE_NOWAIT (eventfd, sockets): the I/O is tried without
 * blocking, waits on the poller after -EAGAIN, and is tried again.
 */
TEST_F(ops, rw_nowait_eventfd_socket)
{
	struct asyncx_cqe cqe;
	uint64_t v = 0, five = 5;
	char buf[16] = { 0 };
	int efd, sv[2];

	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	asyncx_prep_read(asyncx_get_sqe(&self->ring), efd, &v, sizeof(v),
			 NO_OFF);
	asyncx_sqe_set_data64(self->ring.sq.sqes + ((self->ring.sq.sqe_tail - 1) &
						    self->ring.sq.ring_mask), 1);
	asyncx_prep_read(asyncx_get_sqe(&self->ring), sv[0], buf, sizeof(buf),
			 NO_OFF);
	asyncx_sqe_set_data64(self->ring.sq.sqes + ((self->ring.sq.sqe_tail - 1) &
						    self->ring.sq.ring_mask), 2);
	ASSERT_TRUE(submit_all(&self->ring, 2));
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 100));
	ASSERT_EQ(8, write(efd, &five, 8));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(1, cqe.user_data);
	EXPECT_EQ(8, cqe.res);
	EXPECT_EQ(5, v);
	ASSERT_EQ(3, write(sv[1], "abc", 3));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(2, cqe.user_data);
	EXPECT_EQ(3, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "abc", 3));

	asyncx_prep_write(asyncx_get_sqe(&self->ring), sv[0], "xyz", 3, NO_OFF);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(3, cqe.res);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(3, read(sv[1], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "xyz", 3));
	close(efd);
	close(sv[0]);
	close(sv[1]);
}

/* A regular file at an offset: the file position does not move. */
TEST_F(ops, rw_file_offset)
{
	struct asyncx_cqe cqe;
	char buf[8] = { 0 };
	int fd = tmp_file("0123456789", 10);

	ASSERT_LE(0, fd);
	asyncx_prep_read(asyncx_get_sqe(&self->ring), fd, buf, 4, 3);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "3456", 4));

	asyncx_prep_write(asyncx_get_sqe(&self->ring), fd, "AB", 2, 5);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(2, cqe.res);
	EXPECT_EQ(2, pread(fd, buf, 2, 5));
	EXPECT_EQ(0, memcmp(buf, "AB", 2));
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));

	/* Past the end: 0 bytes. */
	asyncx_prep_read(asyncx_get_sqe(&self->ring), fd, buf, 4, 100);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(0, cqe.res);
	close(fd);
}

/* Offset -1: the file position is used and advanced. */
TEST_F(ops, rw_file_position)
{
	struct asyncx_cqe cqe;
	char buf[8] = { 0 };
	int fd = tmp_file("0123456789", 10);

	ASSERT_LE(0, fd);
	ASSERT_EQ(2, lseek(fd, 2, SEEK_SET));
	asyncx_prep_read(asyncx_get_sqe(&self->ring), fd, buf, 3, NO_OFF);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(3, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "234", 3));
	EXPECT_EQ(5, lseek(fd, 0, SEEK_CUR));

	asyncx_prep_read(asyncx_get_sqe(&self->ring), fd, buf, 3, NO_OFF);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(3, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "567", 3));

	asyncx_prep_write(asyncx_get_sqe(&self->ring), fd, "XY", 2, NO_OFF);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
	EXPECT_EQ(2, cqe.res);
	EXPECT_EQ(10, lseek(fd, 0, SEEK_CUR));
	EXPECT_EQ(2, pread(fd, buf, 2, 8));
	EXPECT_EQ(0, memcmp(buf, "XY", 2));
	close(fd);
}

TEST_F(ops, rw_errors)
{
	struct asyncx_cqe cqe;
	char buf[8];
	int fd = tmp_file("0123456789", 10);
	int ro, i;
	char path[64];
	int expect[5] = { -EBADF, -EBADF, -EFAULT, -EFAULT, -EINVAL };
	struct asyncx_sqe *sqe[5];

	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	for (i = 0; i < 5; i++) {
		sqe[i] = asyncx_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe[i]);
	}
	asyncx_prep_read(sqe[0], 9999, buf, 1, 0);
	asyncx_prep_write(sqe[1], ro, "x", 1, 0);
	/* Outside the user address space, and unmapped. */
	asyncx_prep_read(sqe[2], fd, (void *)(uintptr_t)0xffff888000000000ULL,
			 4, 0);
	asyncx_prep_read(sqe[3], fd, (void *)(uintptr_t)16, 4, 0);
	asyncx_prep_read(sqe[4], fd, buf, 1, 0);
	sqe[4]->op_flags = 1U << 1;	/* (bit 0 is ASYNCX_RW_FIXED) */
	for (i = 0; i < 5; i++)
		asyncx_sqe_set_data64(sqe[i], i);
	ASSERT_TRUE(submit_all(&self->ring, 5));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
		ASSERT_LT(cqe.user_data, 5);
		EXPECT_EQ(expect[cqe.user_data], cqe.res);
	}
	close(ro);
	close(fd);
}

/* 1 MiB from a regular file, through the blocking pool. */
TEST_F(ops, rw_file_1mib)
{
	unsigned char *data, *buf;
	struct asyncx_cqe cqe;
	int fd, i;

	data = malloc(BIG_SIZE);
	buf = calloc(1, BIG_SIZE);
	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < BIG_SIZE; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 12));
	fd = tmp_file(data, BIG_SIZE);
	ASSERT_LE(0, fd);
	asyncx_prep_read(asyncx_get_sqe(&self->ring), fd, buf, BIG_SIZE, 0);
	ASSERT_TRUE(submit_all(&self->ring, 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(BIG_SIZE, cqe.res);
	EXPECT_EQ(0, memcmp(data, buf, BIG_SIZE));
	close(fd);
	free(data);
	free(buf);
}

/* Closing a ring with many polls pending cancels them all (kmemleak). */
TEST(close_with_many_polls)
{
	struct asyncx_ring ring;
	int p[MANY_PIPES][2];
	int i, n = 0;

	ASSERT_EQ(0, asyncx_queue_init(1024, &ring, 0));
	for (i = 0; i < MANY_PIPES; i++)
		ASSERT_EQ(0, pipe(p[i]));
	for (i = 0; i < MANY_POLLS; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

		ASSERT_NE(NULL, sqe);
		if (i % 2)
			asyncx_prep_poll(sqe, p[i % MANY_PIPES][0], POLLIN);
		else
			asyncx_prep_poll_multishot(sqe, p[i % MANY_PIPES][0],
						   POLLIN);
	}
	n = asyncx_submit(&ring);
	ASSERT_EQ(MANY_POLLS, n);
	/* Nothing is ready: every poll is pending. */
	EXPECT_EQ(0, asyncx_cq_ready(&ring));
	asyncx_queue_exit(&ring);
	for (i = 0; i < MANY_PIPES; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

TEST_HARNESS_MAIN
