// SPDX-License-Identifier: GPL-2.0
/*
 * The socket ops of the ring (kmod/ring/net.c, SOCK_SEND and SOCK_RECV in
 * kmod/ring/rw.c), against what their system calls give, over loopback
 * TCP and unix sockets:
 *
 *   gate       ACCEPT, CONNECT and SHUTDOWN are -EPERM unless the net_ops
 *              parameter allows them (the LSM cannot see them)
 *   sendrecv   MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL; errors as send(2)'s and
 *              recv(2)'s; a peer sees the submitter's uid, gid and pid
 *   tcp        CONNECT, ACCEPT (the peer's address, SOCK_CLOEXEC), data
 *              both ways; -ECONNREFUSED; a CONNECT in a chain
 *   waiting    a blocked ACCEPT and SOCK_RECV hold no thread and are
 *              cancelled at once
 *   multishot  one ACCEPT, a CQE per connection, ended by a cancel
 *   many       1,000 sockets waiting: closing the ring, or the owner's
 *              exit, frees everything
 *   shutdown   SHUTDOWN, as shutdown(2)
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <asyncx.h>
#include "kselftest_harness.h"
#include "util.h"

/* A TCP listener on 127.0.0.1, any port; its address in @sin. */
static int tcp_listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) ||
	    listen(fd, 128) || getsockname(fd, (struct sockaddr *)sin, &len))
		return -1;
	return fd;
}

FIXTURE(net) {
	struct asyncx_ring ring;
	char saved[8];
};

FIXTURE_SETUP(net)
{
	ASSERT_EQ(0, param_read("net_ops", self->saved, sizeof(self->saved)));
	ASSERT_EQ(0, param_write("net_ops", "1"));
	ASSERT_EQ(0, asyncx_queue_init(64, &self->ring, 0));
}

FIXTURE_TEARDOWN(net)
{
	asyncx_queue_exit(&self->ring);
	param_write("net_ops", self->saved);
}

TEST_F(net, gated_by_net_ops)
{
	struct asyncx_ring *ring = &self->ring;
	struct sockaddr_in sin;
	int l = tcp_listener(&sin), s = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, param_write("net_ops", "0"));
	asyncx_prep_accept(asyncx_get_sqe(ring), l, NULL, NULL, 0);
	EXPECT_EQ(-EPERM, run1(ring));
	asyncx_prep_connect(asyncx_get_sqe(ring), s, (struct sockaddr *)&sin,
			    sizeof(sin));
	EXPECT_EQ(-EPERM, run1(ring));
	asyncx_prep_shutdown(asyncx_get_sqe(ring), s, SHUT_RDWR);
	EXPECT_EQ(-EPERM, run1(ring));
	/* Sending and receiving go through the LSM's hooks: always on. */
	asyncx_prep_sock_recv(asyncx_get_sqe(ring), l, &sin, 1, MSG_DONTWAIT);
	EXPECT_EQ(-ENOTCONN, run1(ring));
	close(s);
	close(l);
}

TEST_F(net, send_and_recv_with_flags)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	char buf[16] = { 0 };
	int sv[2], p[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, pipe(p));
	asyncx_queue_exit(ring);
	/* (Restored now: the teardown, as nobody, could not.) */
	ASSERT_EQ(0, param_write("net_ops", self->saved));
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(64, ring, 0));

	asyncx_prep_sock_send(asyncx_get_sqe(ring), sv[0], "hello", 5, 0);
	EXPECT_EQ(5, run1(ring));
	asyncx_prep_sock_recv(asyncx_get_sqe(ring), sv[1], buf, 16, MSG_PEEK);
	EXPECT_EQ(5, run1(ring));
	memset(buf, 0, sizeof(buf));
	asyncx_prep_sock_recv(asyncx_get_sqe(ring), sv[1], buf, 16, 0);
	EXPECT_EQ(5, run1(ring));
	EXPECT_STREQ("hello", buf);
	asyncx_prep_sock_recv(asyncx_get_sqe(ring), sv[1], buf, 16,
			      MSG_DONTWAIT);
	EXPECT_EQ(-EAGAIN, run1(ring));

	/* MSG_WAITALL: the CQE comes once all 10 bytes are there. */
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv(sqe, sv[1], buf, 10, MSG_WAITALL);
	asyncx_sqe_set_data64(sqe, 9);
	ASSERT_EQ(1, asyncx_submit(ring));
	EXPECT_EQ(4, write(sv[0], "abcd", 4));
	EXPECT_EQ(-ETIME, wait_one(ring, &cqe, 200));
	EXPECT_EQ(6, write(sv[0], "efghij", 6));
	ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
	EXPECT_EQ(10, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "abcdefghij", 10));

	/* Errors, as send(2) and recv(2) give them. */
	asyncx_prep_sock_send(asyncx_get_sqe(ring), p[1], "x", 1, 0);
	EXPECT_EQ(-ENOTSOCK, run1(ring));
	asyncx_prep_sock_recv(asyncx_get_sqe(ring), -1, buf, 1, 0);
	EXPECT_EQ(-EBADF, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv(sqe, sv[1], buf, 1, 0);
	sqe->off |= 1ULL << 32;
	EXPECT_EQ(-EINVAL, run1(ring));
	asyncx_prep_sock_recv(asyncx_get_sqe(ring), sv[1], buf, 1,
			      0x80000000 /* MSG_CMSG_COMPAT */);
	EXPECT_EQ(-EINVAL, run1(ring));
	asyncx_prep_sock_send(asyncx_get_sqe(ring), sv[0], (void *)8, 4, 0);
	EXPECT_EQ(-EFAULT, run1(ring));
	close(sv[1]);
	asyncx_prep_sock_send(asyncx_get_sqe(ring), sv[0], "x", 1,
			      MSG_NOSIGNAL);
	EXPECT_EQ(-EPIPE, run1(ring));
	close(sv[0]);
	close(p[0]);
	close(p[1]);
}

/* A peer that asks for SCM_CREDENTIALS sees the submitter. */
TEST_F(net, sock_send_runs_as_its_submitter)
{
	struct asyncx_ring *ring = &self->ring;
	char cbuf[CMSG_SPACE(sizeof(struct ucred))], data[4];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct ucred *uc;
	int sv[2], on = 1;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	ASSERT_EQ(0, setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on,
				sizeof(on)));
	asyncx_queue_exit(ring);
	/* (Restored now: the teardown, as nobody, could not.) */
	ASSERT_EQ(0, param_write("net_ops", self->saved));
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, ring, 0));
	/* A full queue first, so that the send waits and runs later. */
	asyncx_prep_sock_send(asyncx_get_sqe(ring), sv[0], "ping", 4, 0);
	EXPECT_EQ(4, run1(ring));
	ASSERT_EQ(4, recvmsg(sv[1], &msg, 0));
	uc = (struct ucred *)CMSG_DATA(CMSG_FIRSTHDR(&msg));
	EXPECT_EQ((uid_t)NOBODY, uc->uid);
	EXPECT_EQ((gid_t)NOBODY, uc->gid);
	EXPECT_EQ(getpid(), uc->pid);
	close(sv[0]);
	close(sv[1]);
}

TEST_F(net, connect_accept_over_tcp)
{
	struct asyncx_ring *ring = &self->ring;
	struct sockaddr_in sin, peer, local;
	unsigned int plen = sizeof(peer);
	socklen_t llen = sizeof(local);
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int l = tcp_listener(&sin), c, a, s2, p[2];
	char buf[8] = { 0 };

	ASSERT_LE(0, l);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c);
	asyncx_prep_connect(asyncx_get_sqe(ring), c, (struct sockaddr *)&sin,
			    sizeof(sin));
	EXPECT_EQ(0, run1(ring));
	asyncx_prep_accept(asyncx_get_sqe(ring), l, (struct sockaddr *)&peer,
			   &plen, SOCK_CLOEXEC);
	a = run1(ring);
	ASSERT_LE(0, a);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD));
	EXPECT_EQ(0, fcntl(a, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(sizeof(peer), plen);
	ASSERT_EQ(0, getsockname(c, (struct sockaddr *)&local, &llen));
	EXPECT_EQ(local.sin_port, peer.sin_port);
	asyncx_prep_sock_send(asyncx_get_sqe(ring), c, "tcp!", 4, 0);
	EXPECT_EQ(4, run1(ring));
	asyncx_prep_sock_recv(asyncx_get_sqe(ring), a, buf, 8, MSG_WAITALL);
	ASSERT_EQ(1, asyncx_submit(ring));
	EXPECT_EQ(4, write(c, "more", 4));
	ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
	EXPECT_EQ(8, cqe.res);
	EXPECT_EQ(0, memcmp(buf, "tcp!more", 8));
	/* Connecting again: as connect(2). */
	asyncx_prep_connect(asyncx_get_sqe(ring), c, (struct sockaddr *)&sin,
			    sizeof(sin));
	EXPECT_EQ(-EISCONN, run1(ring));
	close(a);
	close(c);

	/* Nobody listens: refused, as connect(2) says. */
	close(l);
	c = socket(AF_INET, SOCK_STREAM, 0);
	asyncx_prep_connect(asyncx_get_sqe(ring), c, (struct sockaddr *)&sin,
			    sizeof(sin));
	EXPECT_EQ(-ECONNREFUSED, run1(ring));
	close(c);

	/* Bad input. */
	ASSERT_EQ(0, pipe(p));
	c = socket(AF_INET, SOCK_STREAM, 0);
	asyncx_prep_connect(asyncx_get_sqe(ring), c, (struct sockaddr *)&sin,
			    4096);
	EXPECT_EQ(-EINVAL, run1(ring));
	asyncx_prep_connect(asyncx_get_sqe(ring), c, (struct sockaddr *)8, 16);
	EXPECT_EQ(-EFAULT, run1(ring));
	asyncx_prep_accept(asyncx_get_sqe(ring), p[0], NULL, NULL, 0);
	EXPECT_EQ(-ENOTSOCK, run1(ring));
	asyncx_prep_accept(asyncx_get_sqe(ring), c, NULL, NULL, 0x1);
	EXPECT_EQ(-EINVAL, run1(ring));
	/* A socket that does not listen: accept(2)'s -EINVAL. */
	asyncx_prep_accept(asyncx_get_sqe(ring), c, NULL, NULL, 0);
	EXPECT_EQ(-EINVAL, run1(ring));
	close(c);

	/* In a chain (on an I/O worker): CONNECT, then a SOCK_SEND. */
	l = tcp_listener(&sin);
	ASSERT_LE(0, l);
	c = socket(AF_INET, SOCK_STREAM, 0);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_connect(sqe, c, (struct sockaddr *)&sin, sizeof(sin));
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	asyncx_sqe_set_data64(sqe, 1);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_send(sqe, c, "chain", 5, 0);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, asyncx_submit(ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
		EXPECT_EQ(cqe.user_data == 1 ? 0 : 5, cqe.res);
	}
	s2 = accept(l, NULL, NULL);
	ASSERT_LE(0, s2);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, read(s2, buf, 8));
	EXPECT_EQ(0, memcmp(buf, "chain", 5));
	close(s2);
	close(c);
	close(l);
	close(p[0]);
	close(p[1]);
}

/*
 * A waiting ACCEPT and a waiting SOCK_RECV hold no thread (the context
 * never made an I/O worker) and a CANCEL ends each at once.
 */
TEST_F(net, waiting_accept_and_recv_are_cancelled)
{
	struct asyncx_ring *ring = &self->ring;
	struct sockaddr_in sin;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int l = tcp_listener(&sin), sv[2], got = 0;
	char buf[4];

	ASSERT_LE(0, l);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_accept(sqe, l, NULL, NULL, 0);
	asyncx_sqe_set_data64(sqe, 1);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_sock_recv(sqe, sv[0], buf, 4, 0);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, asyncx_submit(ring));
	EXPECT_EQ(-ETIME, wait_one(ring, &cqe, 200));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));
	for (int i = 1; i <= 2; i++) {
		sqe = asyncx_get_sqe(ring);
		asyncx_prep_cancel(sqe, i, 0);
		asyncx_sqe_set_data64(sqe, 10 + i);
	}
	ASSERT_EQ(2, asyncx_submit(ring));
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 1000));
		EXPECT_EQ(cqe.user_data < 10 ? -ECANCELED : 0, cqe.res);
		got |= 1 << cqe.user_data;
	}
	EXPECT_EQ((1 << 1) | (1 << 2) | (1 << 11) | (1 << 12), got);
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));
	close(sv[0]);
	close(sv[1]);
	close(l);
}

TEST_F(net, multishot_accept)
{
	struct asyncx_ring *ring = &self->ring;
	int l, c[20], fds[20], n = 0;
	struct sockaddr_in sin;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;

	l = tcp_listener(&sin);
	ASSERT_LE(0, l);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_multishot_accept(sqe, l, NULL, NULL, SOCK_NONBLOCK);
	asyncx_sqe_set_data64(sqe, 7);
	ASSERT_EQ(1, asyncx_submit(ring));
	for (int i = 0; i < 20; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT_EQ(0, connect(c[i], (struct sockaddr *)&sin,
				     sizeof(sin)));
	}
	while (n < 20 && !wait_one(ring, &cqe, 2000)) {
		EXPECT_EQ(7, cqe.user_data);
		EXPECT_TRUE(cqe.flags & ASYNCX_CQE_F_MORE);
		ASSERT_LE(0, cqe.res);
		EXPECT_EQ(O_NONBLOCK, fcntl(cqe.res, F_GETFL) & O_NONBLOCK);
		for (int j = 0; j < n; j++)
			EXPECT_NE(fds[j], cqe.res);
		fds[n++] = cqe.res;
	}
	EXPECT_EQ(20, n);
	asyncx_prep_cancel(asyncx_get_sqe(ring), 7, 0);
	ASSERT_EQ(1, asyncx_submit(ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 1000));
		if (cqe.user_data == 7) {
			EXPECT_EQ(-ECANCELED, cqe.res);
			EXPECT_EQ(0, cqe.flags & ASYNCX_CQE_F_MORE);
		}
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	for (int i = 0; i < 20; i++)
		close(c[i]);
	close(l);
}

/* Submit a SOCK_RECV on each of @n sockets (ends of socketpairs). */
static int recv_on_many(struct asyncx_ring *ring, int *sv, int n, char *buf)
{
	for (int i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv + 2 * i))
			return -1;
		asyncx_prep_sock_recv(asyncx_get_sqe(ring), sv[2 * i], buf, 1,
				      0);
		if ((i + 1) % 256 == 0 && asyncx_submit(ring) != 256)
			return -1;
	}
	return asyncx_submit(ring) == n % 256 ? 0 : -1;
}

/* A child: 1,000 receives waiting, then it exits without closing. */
static int many_then_exit(void *arg)
{
	struct asyncx_ring ring;
	static int sv[2000];
	static char buf[1];

	(void)arg;
	if (asyncx_queue_init(1024, &ring, 0) || recv_on_many(&ring, sv, 1000, buf))
		return 1;
	return 0;
}

/*
 * 1,000 sockets with a SOCK_RECV waiting each: no thread for any, and
 * closing the ring, or its owner's exit, frees the context.
 */
TEST_F(net, a_thousand_waiting_sockets)
{
	struct rlimit rl = { 8192, 8192 };
	struct asyncx_ring *ring = &self->ring;
	static int sv[2000];
	static char buf[1];
	long before;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	asyncx_queue_exit(ring);
	before = live_contexts();
	ASSERT_EQ(0, asyncx_queue_init(1024, ring, 0));
	ASSERT_EQ(0, recv_on_many(ring, sv, 1000, buf));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));
	EXPECT_EQ(1000, fdinfo(ring, "inflight"));
	asyncx_queue_exit(ring);
	for (int i = 0; i < 2000; i++)
		close(sv[i]);
	for (int i = 0; i < 200 && live_contexts() != before; i++)
		usleep(10 * 1000);
	EXPECT_EQ(before, live_contexts());

	EXPECT_EQ(0, in_child(many_then_exit, NULL));
	for (int i = 0; i < 200 && live_contexts() != before; i++)
		usleep(10 * 1000);
	EXPECT_EQ(before, live_contexts());
	ASSERT_EQ(0, asyncx_queue_init(8, ring, 0));
}

/*
 * SENDMSG and RECVMSG as sendmsg(2) and recvmsg(2): an fd passed with
 * SCM_RIGHTS arrives in the receiving submitter's table; a datagram's
 * sender address, its length and MSG_TRUNC are written back.
 */
TEST_F(net, sendmsg_and_recvmsg)
{
	struct asyncx_ring *ring = &self->ring;
	char cbuf[CMSG_SPACE(sizeof(int))], rbuf[CMSG_SPACE(sizeof(int))];
	char data[8] = "payload", in[4];
	struct iovec iov = { data, 8 }, riov = { in, sizeof(in) };
	struct msghdr m = { 0 }, r = { 0 };
	struct sockaddr_un a = { .sun_family = AF_UNIX }, from;
	struct cmsghdr *cm;
	struct iovec *many;
	int sv[2], p[2], d[2], got;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, pipe(p));
	/* An SCM_RIGHTS of a pipe's write end. */
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	asyncx_prep_sendmsg(asyncx_get_sqe(ring), sv[0], &m, 0);
	EXPECT_EQ(8, run1(ring));
	r.msg_iov = &riov;
	r.msg_iovlen = 1;
	r.msg_control = rbuf;
	r.msg_controllen = sizeof(rbuf);
	asyncx_prep_recvmsg(asyncx_get_sqe(ring), sv[1], &r, MSG_CMSG_CLOEXEC);
	EXPECT_EQ(4, run1(ring));
	EXPECT_EQ(0, memcmp(in, "payl", 4));
	cm = CMSG_FIRSTHDR(&r);
	ASSERT_NE(NULL, cm);
	EXPECT_EQ(SCM_RIGHTS, cm->cmsg_type);
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	EXPECT_EQ(FD_CLOEXEC, fcntl(got, F_GETFD));
	EXPECT_EQ(1, write(got, "z", 1));
	EXPECT_EQ(1, read(p[0], &c, 1));
	EXPECT_EQ('z', c);
	close(got);

	/* A datagram from a bound socket: its address; MSG_TRUNC. */
	snprintf(a.sun_path, sizeof(a.sun_path), "@asyncx-net-%d", getpid());
	a.sun_path[0] = 0;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, d));
	ASSERT_EQ(0, bind(d[0], (struct sockaddr *)&a,
			  offsetof(struct sockaddr_un, sun_path) + 20));
	EXPECT_EQ(8, send(d[0], data, 8, 0));
	memset(&r, 0, sizeof(r));
	r.msg_iov = &riov;
	r.msg_iovlen = 1;
	r.msg_name = &from;
	r.msg_namelen = sizeof(from);
	asyncx_prep_recvmsg(asyncx_get_sqe(ring), d[1], &r, 0);
	EXPECT_EQ(4, run1(ring));
	EXPECT_EQ(offsetof(struct sockaddr_un, sun_path) + 20, r.msg_namelen);
	EXPECT_EQ(0, memcmp(&from, &a, r.msg_namelen));
	EXPECT_EQ(MSG_TRUNC, r.msg_flags & MSG_TRUNC);
	EXPECT_EQ(0, r.msg_controllen);

	/* Errors, as sendmsg(2)'s. */
	many = calloc(1025, sizeof(*many));
	m.msg_iov = many;
	m.msg_iovlen = 1025;
	m.msg_control = NULL;
	m.msg_controllen = 0;
	asyncx_prep_sendmsg(asyncx_get_sqe(ring), sv[0], &m, 0);
	EXPECT_EQ(-EMSGSIZE, run1(ring));
	EXPECT_EQ(-1, sendmsg(sv[0], &m, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	free(many);
	asyncx_prep_sendmsg(asyncx_get_sqe(ring), sv[0], (void *)8, 0);
	EXPECT_EQ(-EFAULT, run1(ring));
	close(sv[0]);
	close(sv[1]);
	close(d[0]);
	close(d[1]);
	close(p[0]);
	close(p[1]);
}

TEST_F(net, shutdown_as_shutdown2)
{
	struct asyncx_ring *ring = &self->ring;
	int sv[2], p[2];
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, pipe(p));
	asyncx_prep_shutdown(asyncx_get_sqe(ring), sv[0], SHUT_WR);
	EXPECT_EQ(0, run1(ring));
	EXPECT_EQ(0, read(sv[1], &c, 1));
	asyncx_prep_shutdown(asyncx_get_sqe(ring), sv[0], 7);
	EXPECT_EQ(-EINVAL, run1(ring));
	asyncx_prep_shutdown(asyncx_get_sqe(ring), p[0], SHUT_RD);
	EXPECT_EQ(-ENOTSOCK, run1(ring));
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
