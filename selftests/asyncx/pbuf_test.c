// SPDX-License-Identifier: GPL-2.0
/*
 * Provided-buffer rings (kmod/ring/pbuf.c) and SOCK_RECV into them, one-shot
 * and multishot (kmod/ring/rw.c):
 *
 *   register   the register and unregister ioctls' errors, the ring limit,
 *              the owner only; any user may register
 *   recv       a buffer is taken only by a receive that got data, in ring
 *              order, and named in the CQE; len bounds it; EOF, errors and
 *              an empty ring leave the buffers where they are
 *   multishot  a CQE per receive until EOF, -ENOBUFS, a cancel, or a full
 *              CQ (whose last CQE still names its buffer)
 *   idle       10,000 connections with a multishot receive each hold no
 *              thread and no buffer: 100 that get data take 100 buffers
 *   deadline   a deadline racing a receive that moves data never loses
 *              bytes or a buffer (regression test: the stop of a request
 *              whose try moves data)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <asyncx.h>
#include "kselftest_harness.h"
#include "util.h"

#define BUF_LEN		64

FIXTURE(pbuf) {
	struct asyncx_ring ring;
	struct asyncx_pbuf *br;
	unsigned int entries;
	char *bufs;
	int sv[2];
};

FIXTURE_SETUP(pbuf)
{
	int err = 0;

	ASSERT_EQ(0, asyncx_queue_init(64, &self->ring, 0));
	self->entries = 16;
	self->br = asyncx_setup_pbuf_ring(&self->ring, self->entries, 1, &err);
	ASSERT_NE(NULL, self->br);
	ASSERT_EQ(0, err);
	self->bufs = calloc(self->entries, BUF_LEN);
	ASSERT_NE(NULL, self->bufs);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
}

FIXTURE_TEARDOWN(pbuf)
{
	close(self->sv[0]);
	close(self->sv[1]);
	asyncx_queue_exit(&self->ring);
	/* (The context's close dropped the ring: only the memory is left.) */
	munmap(self->br, self->entries * sizeof(*self->br));
	free(self->bufs);
}

/* Publish buffers @first..@first + @n - 1 (ids as their index). */
static void give(struct asyncx_pbuf *br, char *bufs, unsigned int entries,
		 int first, int n, unsigned int len)
{
	for (int i = 0; i < n; i++)
		asyncx_pbuf_add(br, bufs + (first + i) * BUF_LEN, len,
				first + i, asyncx_pbuf_mask(entries), i);
	asyncx_pbuf_advance(br, n);
}

static int reg(int fd, unsigned long req, __u64 addr, __u32 entries,
	       __u16 bgid)
{
	struct asyncx_pbuf_reg r = { .ring_addr = addr,
				     .ring_entries = entries, .bgid = bgid };

	return ioctl(fd, req, &r) ? -errno : 0;
}

static int register_in_child(void *arg)
{
	struct asyncx_ring *ring = arg;
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING,
		   (__u64)(uintptr_t)mem, 1, 9) == -EPERM ? 0 : 1;
}

TEST_F(pbuf, register_and_unregister)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_pbuf_reg r = { 0 };
	__u64 mem = (__u64)(uintptr_t)self->br;
	int fd, n;

	/* Before setup. */
	fd = open("/dev/asyncx", O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, reg(fd, ASYNCX_IOC_REGISTER_PBUF_RING, mem, 1, 2));
	close(fd);

	EXPECT_EQ(-EINVAL, reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, mem, 0, 2));
	EXPECT_EQ(-EINVAL, reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, mem, 3, 2));
	EXPECT_EQ(-EINVAL, reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, mem,
			       ASYNCX_PBUF_MAX_ENTRIES * 2, 2));
	EXPECT_EQ(-EINVAL, reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, mem + 16,
			       1, 2));
	EXPECT_EQ(-EINVAL, reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, 0, 1, 2));
	EXPECT_EQ(-EFAULT, reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING,
			       0xffff888000000000ULL, 1, 2));
	r.ring_addr = mem;
	r.ring_entries = 1;
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.resv[2] = 1;
	EXPECT_EQ(-1, ioctl(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, &r));
	EXPECT_EQ(EINVAL, errno);

	/* Group 1 has the fixture's ring. */
	EXPECT_EQ(-EEXIST, reg(ring->fd, ASYNCX_IOC_REGISTER_PBUF_RING, mem, 1, 1));
	EXPECT_EQ(-ENOENT, reg(ring->fd, ASYNCX_IOC_UNREGISTER_PBUF_RING, 0, 0, 2));
	EXPECT_EQ(-EINVAL, reg(ring->fd, ASYNCX_IOC_UNREGISTER_PBUF_RING, mem, 0, 1));
	EXPECT_EQ(0, asyncx_unregister_pbuf_ring(ring, 1));
	EXPECT_EQ(-ENOENT, asyncx_unregister_pbuf_ring(ring, 1));

	/* At most ASYNCX_PBUF_MAX_RINGS (they may share memory). */
	for (n = 0; n < ASYNCX_PBUF_MAX_RINGS; n++)
		ASSERT_EQ(0, asyncx_register_pbuf_ring(ring, self->br, 1, n));
	EXPECT_EQ(-ENOSPC, asyncx_register_pbuf_ring(ring, self->br, 1, 65535));
	EXPECT_EQ(0, asyncx_unregister_pbuf_ring(ring, 7));
	EXPECT_EQ(0, asyncx_register_pbuf_ring(ring, self->br, 1, 65535));

	/* The owner's only; any user's. */
	EXPECT_EQ(0, in_child(register_in_child, ring));
	asyncx_queue_exit(ring);
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, ring, 0));
	EXPECT_EQ(0, asyncx_register_pbuf_ring(ring, self->br, 16, 1));
}

/* Submit a one-shot SOCK_RECV into group @bgid, len @len; its CQE. */
static int recv1(struct asyncx_ring *ring, int fd, int bgid, unsigned int len,
		 int flags, struct asyncx_cqe *cqe)
{
	asyncx_prep_sock_recv_pbuf(asyncx_get_sqe(ring), fd, bgid, len, flags);
	if (asyncx_submit(ring) != 1)
		return -1;
	return wait_one(ring, cqe, 5000);
}

TEST_F(pbuf, recv_takes_a_buffer_only_with_data)
{
	struct asyncx_ring *ring = &self->ring;
	int a = self->sv[0], b = self->sv[1];
	char *bufs = self->bufs;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;

	give(self->br, bufs, self->entries, 0, 4, BUF_LEN);
	ASSERT_EQ(5, write(b, "hello", 5));
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(5, cqe.res);
	EXPECT_TRUE(cqe.flags & ASYNCX_CQE_F_BUFFER);
	EXPECT_EQ(0, ASYNCX_CQE_BUFFER_ID(cqe.flags));
	EXPECT_EQ(0, memcmp(bufs, "hello", 5));

	/* len bounds the receive; the next buffer in ring order. */
	ASSERT_EQ(10, write(b, "0123456789", 10));
	ASSERT_EQ(0, recv1(ring, a, 1, 4, 0, &cqe));
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(1, ASYNCX_CQE_BUFFER_ID(cqe.flags));
	EXPECT_EQ(0, memcmp(bufs + BUF_LEN, "0123", 4));
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(6, cqe.res);
	EXPECT_EQ(2, ASYNCX_CQE_BUFFER_ID(cqe.flags));

	/* Nothing to read: it waits, with no buffer, and nothing to do. */
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv_pbuf(sqe, a, 1, 0, 0);
	asyncx_sqe_set_data64(sqe, 5);
	ASSERT_EQ(1, asyncx_submit(ring));
	EXPECT_EQ(-ETIME, wait_one(ring, &cqe, 200));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));
	ASSERT_EQ(1, write(b, "x", 1));
	ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
	EXPECT_EQ(1, cqe.res);
	EXPECT_EQ(3, ASYNCX_CQE_BUFFER_ID(cqe.flags));

	/* Empty ring: waits while nothing is there, then -ENOBUFS. */
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv_pbuf(sqe, a, 1, 0, 0);
	ASSERT_EQ(1, asyncx_submit(ring));
	EXPECT_EQ(-ETIME, wait_one(ring, &cqe, 200));
	ASSERT_EQ(1, write(b, "y", 1));
	ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
	EXPECT_EQ(-ENOBUFS, cqe.res);
	EXPECT_EQ(0, cqe.flags & ASYNCX_CQE_F_BUFFER);
	/* An unknown group has no buffer either. */
	ASSERT_EQ(0, recv1(ring, a, 2, 0, 0, &cqe));
	EXPECT_EQ(-ENOBUFS, cqe.res);

	/* A bad buffer fails and stays in the ring; so does EOF. */
	asyncx_pbuf_add(self->br, (void *)0xffff888000000000ULL, BUF_LEN, 4,
			asyncx_pbuf_mask(self->entries), 0);
	asyncx_pbuf_advance(self->br, 1);
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	/* (Ids are the application's: the kernel hands back what it read.) */
	EXPECT_EQ(0, asyncx_unregister_pbuf_ring(ring, 1));
	asyncx_pbuf_init(self->br);
	ASSERT_EQ(0, asyncx_register_pbuf_ring(ring, self->br, self->entries, 1));
	give(self->br, bufs, self->entries, 5, 1, 0);
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	ASSERT_EQ(0, asyncx_unregister_pbuf_ring(ring, 1));
	asyncx_pbuf_init(self->br);
	ASSERT_EQ(0, asyncx_register_pbuf_ring(ring, self->br, self->entries, 1));
	give(self->br, bufs, self->entries, 6, 1, BUF_LEN);
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(1, cqe.res);		/* the "y" */
	EXPECT_EQ(6, ASYNCX_CQE_BUFFER_ID(cqe.flags));
	give(self->br, bufs, self->entries, 7, 1, BUF_LEN);
	close(b);
	self->sv[1] = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(0, cqe.flags & ASYNCX_CQE_F_BUFFER);
	ASSERT_EQ(0, recv1(ring, a, 1, 0, 0, &cqe));
	EXPECT_EQ(0, cqe.res);
}

TEST_F(pbuf, bad_sqes)
{
	struct asyncx_ring *ring = &self->ring;
	int a = self->sv[0];
	struct asyncx_sqe *sqe;
	char buf[4];

	give(self->br, self->bufs, self->entries, 0, 4, BUF_LEN);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv_pbuf(sqe, a, 1, 0, 0);
	sqe->op_flags |= ASYNCX_RW_FIXED;
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv_pbuf(sqe, a, 1, 0, 0);
	sqe->addr = (__u64)(uintptr_t)buf;
	EXPECT_EQ(-EINVAL, run1(ring));
	asyncx_prep_sock_recv_pbuf(asyncx_get_sqe(ring), a, 1, 0, MSG_WAITALL);
	EXPECT_EQ(-EINVAL, run1(ring));
	asyncx_prep_sock_recv_multishot(asyncx_get_sqe(ring), a, 1, MSG_PEEK);
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv(sqe, a, buf, 4, 0);
	sqe->op_flags = ASYNCX_SOCK_RECV_MULTISHOT;
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv(sqe, a, buf, 4, 0);
	sqe->buf_index = 1;
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_send(sqe, a, buf, 4, 0);
	sqe->op_flags = ASYNCX_SOCK_RECV_PBUF;
	sqe->buf_index = 1;
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_read(sqe, a, buf, 4, 0);
	sqe->op_flags = ASYNCX_SOCK_RECV_PBUF;
	EXPECT_EQ(-EINVAL, run1(ring));
	/* None of it took a buffer. */
	ASSERT_EQ(1, write(self->sv[1], "z", 1));
	asyncx_prep_sock_recv_pbuf(asyncx_get_sqe(ring), a, 1, 0, 0);
	EXPECT_EQ(1, run1(ring));
}

/* Write @n messages of one byte each, letting each be received alone. */
static void drip(struct asyncx_ring *ring, int fd, int n, char first)
{
	for (int i = 0; i < n; i++) {
		char c = first + i;

		if (write(fd, &c, 1) != 1)
			return;
		/* Until the ring has it (or 200 ms). */
		for (int t = 0; t < 200 && asyncx_cq_ready(ring) < (unsigned int)i + 1; t++)
			usleep(1000);
	}
}

TEST_F(pbuf, multishot_until_eof)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;

	give(self->br, self->bufs, self->entries, 0, 8, BUF_LEN);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv_multishot(sqe, self->sv[0], 1, 0);
	asyncx_sqe_set_data64(sqe, 3);
	ASSERT_EQ(1, asyncx_submit(ring));
	drip(ring, self->sv[1], 3, 'a');
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
		EXPECT_EQ(3, cqe.user_data);
		EXPECT_EQ(1, cqe.res);
		EXPECT_EQ(ASYNCX_CQE_F_MORE | ASYNCX_CQE_F_BUFFER,
			  cqe.flags & 0xffff);
		EXPECT_EQ(i, ASYNCX_CQE_BUFFER_ID(cqe.flags));
		EXPECT_EQ('a' + i, self->bufs[i * BUF_LEN]);
	}
	close(self->sv[1]);
	self->sv[1] = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(0, cqe.flags);
	EXPECT_EQ(0, fdinfo(ring, "inflight"));
}

TEST_F(pbuf, multishot_ends_when_the_ring_runs_dry)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_cqe cqe;

	give(self->br, self->bufs, self->entries, 0, 2, BUF_LEN);
	asyncx_prep_sock_recv_multishot(asyncx_get_sqe(ring), self->sv[0], 1, 0);
	ASSERT_EQ(1, asyncx_submit(ring));
	drip(ring, self->sv[1], 3, 'a');
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
		EXPECT_EQ(1, cqe.res);
		EXPECT_TRUE(cqe.flags & ASYNCX_CQE_F_MORE);
	}
	ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
	EXPECT_EQ(-ENOBUFS, cqe.res);
	EXPECT_EQ(0, cqe.flags);
	/* The third byte is still in the socket. */
	give(self->br, self->bufs, self->entries, 2, 1, BUF_LEN);
	ASSERT_EQ(0, recv1(ring, self->sv[0], 1, 0, 0, &cqe));
	EXPECT_EQ(1, cqe.res);
	EXPECT_EQ('c', self->bufs[2 * BUF_LEN]);
}

TEST_F(pbuf, multishot_cancel_and_unregister)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int got = 0;

	give(self->br, self->bufs, self->entries, 0, 4, BUF_LEN);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv_multishot(sqe, self->sv[0], 1, 0);
	asyncx_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, asyncx_submit(ring));
	EXPECT_EQ(-ETIME, wait_one(ring, &cqe, 100));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_cancel(sqe, 1, 0);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(1, asyncx_submit(ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
		EXPECT_EQ(cqe.user_data == 1 ? -ECANCELED : 0, cqe.res);
		EXPECT_EQ(0, cqe.flags);
		got |= 1 << cqe.user_data;
	}
	EXPECT_EQ(6, got);

	/* Unregistered while it waits: the next data finds no buffer. */
	asyncx_prep_sock_recv_multishot(asyncx_get_sqe(ring), self->sv[0], 1, 0);
	ASSERT_EQ(1, asyncx_submit(ring));
	EXPECT_EQ(-ETIME, wait_one(ring, &cqe, 100));
	ASSERT_EQ(0, asyncx_unregister_pbuf_ring(ring, 1));
	ASSERT_EQ(1, write(self->sv[1], "q", 1));
	ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
	EXPECT_EQ(-ENOBUFS, cqe.res);
	EXPECT_EQ(0, cqe.flags);
}

/*
 * A multishot receive never grows the overflow list: with the CQ full, the
 * receive that does not fit is its last CQE, still naming its buffer.
 */
TEST_F(pbuf, multishot_ends_at_a_full_cq)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_cqe cqe;
	unsigned int cq, n = 0;
	bool last = false;

	asyncx_queue_exit(ring);
	ASSERT_EQ(0, asyncx_queue_init(2, ring, 0));
	cq = ring->cq.ring_entries;
	asyncx_pbuf_init(self->br);
	ASSERT_EQ(0, asyncx_register_pbuf_ring(ring, self->br, self->entries, 1));
	give(self->br, self->bufs, self->entries, 0, 16, BUF_LEN);
	asyncx_prep_sock_recv_multishot(asyncx_get_sqe(ring), self->sv[0], 1, 0);
	ASSERT_EQ(1, asyncx_submit(ring));
	for (unsigned int i = 0; i < cq + 1; i++) {
		char c = 'A' + i;

		ASSERT_EQ(1, write(self->sv[1], &c, 1));
		/* Until it is received (the socket is empty again). */
		for (int t = 0; t < 500; t++) {
			int q = 0;

			if (!ioctl(self->sv[0], FIONREAD, &q) && !q)
				break;
			usleep(1000);
		}
	}
	while (!wait_one(ring, &cqe, 500)) {
		EXPECT_FALSE(last);
		EXPECT_EQ(1, cqe.res);
		EXPECT_TRUE(cqe.flags & ASYNCX_CQE_F_BUFFER);
		EXPECT_EQ(n, ASYNCX_CQE_BUFFER_ID(cqe.flags));
		EXPECT_EQ('A' + n, self->bufs[n * BUF_LEN]);
		last = !(cqe.flags & ASYNCX_CQE_F_MORE);
		n++;
	}
	EXPECT_TRUE(last);
	EXPECT_EQ(cq + 1, n);
	EXPECT_EQ(0, fdinfo(ring, "inflight"));
}

#define IDLE		10000
#define BUSY		100

/*
 * 10,000 connections, each with a multishot receive on one ring of 128
 * buffers: no thread, no buffer for an idle one. 100 of them get a byte:
 * 100 CQEs, buffers 0..99 each once.
 */
TEST_F_TIMEOUT(pbuf, ten_thousand_idle_connections, 300)
{
	struct rlimit rl = { 2 * IDLE + 64, 2 * IDLE + 64 };
	struct asyncx_ring *ring = &self->ring;
	static int fds[2 * IDLE];
	static char seen[BUSY];
	struct asyncx_pbuf *br;
	struct asyncx_cqe cqe;
	char *bufs;
	int err, n;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	br = asyncx_setup_pbuf_ring(ring, 128, 2, &err);
	ASSERT_NE(NULL, br);
	bufs = calloc(128, 8);
	ASSERT_NE(NULL, bufs);
	for (int i = 0; i < 128; i++)
		asyncx_pbuf_add(br, bufs + 8 * i, 8, i, 127, i);
	asyncx_pbuf_advance(br, 128);
	for (int i = 0; i < IDLE; i++) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, fds + 2 * i));
		asyncx_prep_sock_recv_multishot(asyncx_get_sqe(ring), fds[2 * i],
						2, 0);
		if ((i + 1) % 64 == 0)
			ASSERT_EQ(64, asyncx_submit(ring));
	}
	ASSERT_EQ(IDLE % 64, asyncx_submit(ring));
	EXPECT_EQ(IDLE, fdinfo(ring, "inflight"));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));
	EXPECT_EQ(0, asyncx_cq_ready(ring));

	/* Every 100th connection gets a byte. */
	for (int i = 0; i < BUSY; i++) {
		char c = i;

		ASSERT_EQ(1, write(fds[2 * (i * (IDLE / BUSY)) + 1], &c, 1));
	}
	for (n = 0; n < BUSY && !wait_one(ring, &cqe, 5000); n++) {
		int bid = ASYNCX_CQE_BUFFER_ID(cqe.flags);

		EXPECT_EQ(1, cqe.res);
		EXPECT_EQ(ASYNCX_CQE_F_MORE | ASYNCX_CQE_F_BUFFER,
			  cqe.flags & 0xffff);
		ASSERT_GT(BUSY, bid);
		EXPECT_EQ(0, seen[bid]);
		seen[bid] = 1;
	}
	EXPECT_EQ(BUSY, n);
	/* Still all armed; still no thread. */
	EXPECT_EQ(IDLE, fdinfo(ring, "inflight"));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));
	asyncx_queue_exit(ring);
	for (int i = 0; i < 2 * IDLE; i++)
		close(fds[i]);
	munmap(br, 128 * sizeof(*br));
	free(bufs);
	ASSERT_EQ(0, asyncx_queue_init(8, ring, 0));
}

struct writer {
	int fd;
	volatile int stop;
	unsigned int sent;
};

/* Write a counting stream of bytes (0, 1, ..., 255, 0, ...). */
static void *write_stream(void *arg)
{
	struct writer *w = arg;
	unsigned char b[64];

	while (!w->stop) {
		for (unsigned int i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(w->sent + i);
		if (write(w->fd, b, sizeof(b)) != sizeof(b))
			break;
		w->sent += sizeof(b);
	}
	return NULL;
}

/*
 * Regression test: a deadline (or a CANCEL from another thread) used to
 * stop a SOCK_RECV whose try was moving data at that moment, in the
 * submitter's task work: the bytes were taken from the socket and the CQE
 * said -ETIME. Receives with deadlines short enough to fire during their
 * try, thousands of them, must together still read the stream without a
 * gap; with provided buffers, no buffer may go missing either.
 */
static void recv_under_deadlines(struct __test_metadata *_metadata,
				 FIXTURE_DATA(pbuf) *self, bool pbuf)
{
	struct asyncx_ring *ring = &self->ring;
	struct writer w = { .fd = self->sv[1] };
	unsigned int expect = 0, timed_out = 0, data = 0, given = 0;
	bool out = false;
	static unsigned char buf[4096];
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, write_stream, &w));
	for (int i = 0; i < 2000; i++) {
		unsigned char *p = buf;

		sqe = asyncx_get_sqe(ring);
		if (pbuf) {
			/* One buffer at a time: the CQE must name it. */
			if (!out)
				give(self->br, self->bufs, self->entries,
				     given++ % 16, 1, BUF_LEN);
			out = true;
			asyncx_prep_sock_recv_pbuf(sqe, self->sv[0], 1, 0, 0);
		} else {
			asyncx_prep_sock_recv(sqe, self->sv[0], buf, 256, 0);
		}
		asyncx_sqe_set_deadline(sqe, 20000 + (i % 8) * 10000);
		ASSERT_EQ(1, asyncx_submit(ring));
		ASSERT_EQ(0, wait_one(ring, &cqe, 5000));
		if (cqe.res == -ETIME) {
			timed_out++;
			/* Not taken: it stays in the ring. */
			ASSERT_EQ(0, cqe.flags & ASYNCX_CQE_F_BUFFER);
			continue;
		}
		ASSERT_LT(0, cqe.res);
		if (pbuf) {
			ASSERT_TRUE(cqe.flags & ASYNCX_CQE_F_BUFFER);
			ASSERT_EQ((given - 1) % 16,
				  ASYNCX_CQE_BUFFER_ID(cqe.flags));
			p = (unsigned char *)self->bufs +
			    ((given - 1) % 16) * BUF_LEN;
			out = false;
		}
		data++;
		for (int j = 0; j < cqe.res; j++, expect++)
			ASSERT_EQ((unsigned char)expect, p[j]);
	}
	w.stop = 1;
	/* Unblock the writer: drain what it may still be writing. */
	while (recv(self->sv[0], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	pthread_join(t, NULL);
	TH_LOG("%u receives with data, %u timed out", data, timed_out);
	EXPECT_LT(0, data);
}

TEST_F_TIMEOUT(pbuf, deadline_never_loses_bytes, 120)
{
	recv_under_deadlines(_metadata, self, false);
}

TEST_F_TIMEOUT(pbuf, deadline_never_loses_a_buffer, 120)
{
	recv_under_deadlines(_metadata, self, true);
}

TEST_HARNESS_MAIN
