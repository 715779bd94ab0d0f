// SPDX-License-Identifier: GPL-2.0
/*
 * rsrc_test: registered buffers and files — the errno of every bad
 * register/unregister, RLIMIT_MEMLOCK charging and its release, fixed
 * READ/WRITE on a pipe (poll stage) and a regular file (blocking pool)
 * with the data checked, ranges outside the buffer, bad indexes, fixed
 * files (also after the application closed its descriptor), unregister
 * waiting for a fixed READ in flight, and close with everything
 * registered releasing the pins and the files.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"
#include "util.h"

#define PAGE	4096UL

/* Submit what is queued, wait for one CQE, return its res (or -1000). */
static int run_one(struct asyncx_ring *ring)
{
	struct asyncx_cqe cqe;

	if (asyncx_submit(ring) != 1)
		return -1000;
	if (wait_one(ring, &cqe, 10000))
		return -1000;
	return cqe.res;
}

/* The register ioctls, raw: 0 or -errno. */
static int reg(int fd, unsigned long cmd, const void *addr, __u32 nr,
	       __u32 flags, __u64 resv)
{
	struct asyncx_rsrc_register r = {
		.addr = (__u64)(uintptr_t)addr, .nr = nr, .flags = flags,
		.resv = { resv, 0 },
	};

	return ioctl(fd, cmd, &r) < 0 ? -errno : 0;
}

/* VmPin of this process, in kB, or -1. */
static long vm_pin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Anonymous memory of @len bytes, filled with @c. */
static char *anon(size_t len, int c)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, c, len);
	return p;
}

/* Drop CAP_IPC_LOCK from the effective set, so RLIMIT_MEMLOCK applies. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1U << CAP_IPC_LOCK);
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

FIXTURE(rsrc) {
	struct asyncx_ring ring;
	bool up;
	char *mem;
	size_t mem_len;
	char path[64];
	int tmpfd;
};

FIXTURE_SETUP(rsrc)
{
	int ret = asyncx_queue_init(64, &self->ring, 0);

	self->up = !ret;
	ASSERT_EQ(0, ret);
	self->mem_len = 64 * PAGE;
	self->mem = anon(self->mem_len, 0);
	ASSERT_NE(NULL, self->mem);
	strcpy(self->path, "/tmp/rsrc_test.XXXXXX");
	self->tmpfd = mkstemp(self->path);
	ASSERT_LE(0, self->tmpfd);
	unlink(self->path);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(rsrc)
{
	if (self->up)
		asyncx_queue_exit(&self->ring);
	if (self->mem)
		munmap(self->mem, self->mem_len);
	if (self->tmpfd >= 0)
		close(self->tmpfd);
}

/* Every bad ASYNCX_IOC_REGISTER_BUFFERS / UNREGISTER_BUFFERS, its errno. */
TEST_F(rsrc, register_buffers_errors)
{
	int fd = self->ring.fd, raw, status;
	struct iovec iov[2] = {
		{ self->mem, PAGE }, { self->mem + PAGE, PAGE },
	};
	struct iovec bad;
	char *gone, *ro;
	pid_t pid;

	/* Before setup: no rings. */
	raw = asyncx_open();
	ASSERT_LE(0, raw);
	EXPECT_EQ(-EBADFD, reg(raw, ASYNCX_IOC_REGISTER_BUFFERS, iov, 1, 0, 0));
	EXPECT_EQ(-ENXIO, ioctl(raw, ASYNCX_IOC_UNREGISTER_BUFFERS) ? -errno : 0);
	close(raw);

	EXPECT_EQ(-EFAULT, ioctl(fd, ASYNCX_IOC_REGISTER_BUFFERS, NULL) ? -errno : 0);
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, iov, 0, 0, 0));
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, iov,
			       ASYNCX_RSRC_MAX_BUFFERS + 1, 0, 0));
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, iov, 1, 1, 0));
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, iov, 1, 0, 1));
	/* The iovec array itself unreadable. */
	EXPECT_EQ(-EFAULT, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, (void *)8, 1, 0, 0));
	/* Lengths: 0, over ASYNCX_RSRC_MAX_BUF_LEN. */
	bad = (struct iovec){ self->mem, 0 };
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, &bad, 1, 0, 0));
	bad = (struct iovec){ self->mem, (size_t)ASYNCX_RSRC_MAX_BUF_LEN + 1 };
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, &bad, 1, 0, 0));
	/* Kernel addresses; unmapped memory; read-only memory. */
	bad = (struct iovec){ (void *)0xffff888000000000UL, PAGE };
	EXPECT_EQ(-EFAULT, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, &bad, 1, 0, 0));
	gone = anon(PAGE, 1);
	ASSERT_NE(NULL, gone);
	munmap(gone, PAGE);
	bad = (struct iovec){ gone, PAGE };
	EXPECT_EQ(-EFAULT, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, &bad, 1, 0, 0));
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	bad = (struct iovec){ ro, PAGE };
	EXPECT_EQ(-EFAULT, reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, &bad, 1, 0, 0));
	/* One good and one bad: nothing stays registered. */
	iov[1] = (struct iovec){ gone, PAGE };
	EXPECT_EQ(-EFAULT, asyncx_register_buffers(&self->ring, iov, 2));
	EXPECT_EQ(-ENXIO, asyncx_unregister_buffers(&self->ring));
	munmap(ro, PAGE);

	/* Another process (a fork child) may not register. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(reg(fd, ASYNCX_IOC_REGISTER_BUFFERS, iov, 1, 0, 0) == -EPERM ?
		      0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	iov[1] = (struct iovec){ self->mem + PAGE, PAGE };
	EXPECT_EQ(0, asyncx_register_buffers(&self->ring, iov, 2));
	EXPECT_EQ(-EBUSY, asyncx_register_buffers(&self->ring, iov, 2));
	EXPECT_EQ(0, asyncx_unregister_buffers(&self->ring));
	EXPECT_EQ(-ENXIO, asyncx_unregister_buffers(&self->ring));
	/* Registering again after unregistering works. */
	EXPECT_EQ(0, asyncx_register_buffers(&self->ring, iov, 1));
	EXPECT_EQ(0, asyncx_unregister_buffers(&self->ring));
}

/* Every bad ASYNCX_IOC_REGISTER_FILES / UNREGISTER_FILES, its errno. */
TEST_F(rsrc, register_files_errors)
{
	int fd = self->ring.fd, raw, status;
	int fds[2] = { self->tmpfd, -1 };
	int bad[1];
	pid_t pid;

	raw = asyncx_open();
	ASSERT_LE(0, raw);
	EXPECT_EQ(-EBADFD, reg(raw, ASYNCX_IOC_REGISTER_FILES, fds, 1, 0, 0));
	EXPECT_EQ(-ENXIO, ioctl(raw, ASYNCX_IOC_UNREGISTER_FILES) ? -errno : 0);

	EXPECT_EQ(-EFAULT, ioctl(fd, ASYNCX_IOC_REGISTER_FILES, NULL) ? -errno : 0);
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_FILES, fds, 0, 0, 0));
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_FILES, fds,
			       ASYNCX_RSRC_MAX_FILES + 1, 0, 0));
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_FILES, fds, 1, 2, 0));
	EXPECT_EQ(-EINVAL, reg(fd, ASYNCX_IOC_REGISTER_FILES, fds, 1, 0, 3));
	EXPECT_EQ(-EFAULT, reg(fd, ASYNCX_IOC_REGISTER_FILES, (void *)8, 1, 0, 0));
	bad[0] = 9999;
	EXPECT_EQ(-EBADF, asyncx_register_files(&self->ring, bad, 1));
	bad[0] = -2;
	EXPECT_EQ(-EBADF, asyncx_register_files(&self->ring, bad, 1));
	/* asyncx contexts, this one or another: -EBADF. */
	bad[0] = fd;
	EXPECT_EQ(-EBADF, asyncx_register_files(&self->ring, bad, 1));
	bad[0] = raw;
	EXPECT_EQ(-EBADF, asyncx_register_files(&self->ring, bad, 1));
	close(raw);
	EXPECT_EQ(-ENXIO, asyncx_unregister_files(&self->ring));

	/* More than RLIMIT_NOFILE: -EMFILE. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct rlimit rl = { 16, 16 };
		int many[17];

		memset(many, 0xff, sizeof(many));	/* all -1 */
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		/* (and another process: -EPERM comes first) */
		_exit(reg(fd, ASYNCX_IOC_REGISTER_FILES, many, 17, 0, 0) == -EPERM ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	{
		struct rlimit old, rl;
		int many[17];

		memset(many, 0xff, sizeof(many));
		ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
		rl = old;
		rl.rlim_cur = 16;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
		EXPECT_EQ(-EMFILE, asyncx_register_files(&self->ring, many, 17));
		EXPECT_EQ(0, asyncx_register_files(&self->ring, many, 16));
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
		EXPECT_EQ(0, asyncx_unregister_files(&self->ring));
	}

	EXPECT_EQ(0, asyncx_register_files(&self->ring, fds, 2));
	EXPECT_EQ(-EBUSY, asyncx_register_files(&self->ring, fds, 2));
	EXPECT_EQ(0, asyncx_unregister_files(&self->ring));
	EXPECT_EQ(-ENXIO, asyncx_unregister_files(&self->ring));
}

/*
 * RLIMIT_MEMLOCK: without CAP_IPC_LOCK, registering more than the limit is
 * -ENOMEM, the charge is per user across rings, shows in VmPin, and is
 * released by unregister, after which the second register succeeds.
 */
TEST(memlock)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct rlimit rl = { 256 * 1024, 256 * 1024 };
		struct asyncx_ring a, b;
		char *m = anon(2 << 20, 0);
		struct iovec big = { m, 1 << 20 };
		struct iovec small = { m, 192 * 1024 };
		struct iovec other = { m + (1 << 20), 128 * 1024 };
		long pin0;

		if (!m || drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		if (asyncx_queue_init(8, &a, 0) || asyncx_queue_init(8, &b, 0))
			_exit(11);
		pin0 = vm_pin_kb();
		if (asyncx_register_buffers(&a, &big, 1) != -ENOMEM)
			_exit(12);
		if (asyncx_register_buffers(&a, &small, 1))
			_exit(13);
		if (vm_pin_kb() != pin0 + 192)
			_exit(14);
		/* 192 + 128 KiB > 256 KiB: the charge is the user's. */
		if (asyncx_register_buffers(&b, &other, 1) != -ENOMEM)
			_exit(15);
		if (asyncx_unregister_buffers(&a))
			_exit(16);
		if (vm_pin_kb() != pin0)
			_exit(17);
		if (asyncx_register_buffers(&b, &other, 1))
			_exit(18);
		if (vm_pin_kb() != pin0 + 128)
			_exit(19);
		asyncx_queue_exit(&b);	/* close releases it too */
		if (vm_pin_kb() != pin0)
			_exit(20);
		if (asyncx_register_buffers(&a, &small, 1))
			_exit(21);
		asyncx_queue_exit(&a);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* PROBE reports ASYNCX_RW_FIXED for READ and WRITE. */
TEST_F(rsrc, probe)
{
	struct {
		struct asyncx_probe p;
		struct asyncx_probe_op ops[ASYNCX_OP_LAST];
	} pr;
	struct asyncx_sqe *sqe;

	memset(&pr, 0, sizeof(pr));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_probe(sqe, &pr.p, ASYNCX_OP_LAST);
	ASSERT_EQ(0, run_one(&self->ring));
	EXPECT_TRUE(pr.p.ops[ASYNCX_OP_READ].op_flags & ASYNCX_RW_FIXED);
	EXPECT_TRUE(pr.p.ops[ASYNCX_OP_WRITE].op_flags & ASYNCX_RW_FIXED);
}

/*
 * Fixed READ and WRITE on a pipe (the poll stage: the READ waits for data),
 * the buffer at an offset inside a page; the data checked both ways.
 */
TEST_F(rsrc, rw_fixed_pipe)
{
	struct iovec iov = { self->mem + 100, 8 * PAGE };
	char *dst = self->mem + 100 + PAGE - 50;	/* crosses a page */
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	char in[300], out[300];
	int p[2], i;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, asyncx_register_buffers(&self->ring, &iov, 1));
	for (i = 0; i < 300; i++)
		in[i] = (char)(i * 7 + 1);

	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, p[0], dst, 300, (__u64)-1, 0);
	asyncx_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 100));
	ASSERT_EQ(300, write(p[1], in, 300));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(1ULL, cqe.user_data);
	EXPECT_EQ(300, cqe.res);
	EXPECT_EQ(0, memcmp(dst, in, 300));

	/* And back out of the buffer into the pipe. */
	for (i = 0; i < 300; i++)
		dst[i] = (char)(i * 3 + 2);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write_fixed(sqe, p[1], dst, 300, (__u64)-1, 0);
	EXPECT_EQ(300, run_one(&self->ring));
	ASSERT_EQ(300, read(p[0], out, 300));
	EXPECT_EQ(0, memcmp(dst, out, 300));

	EXPECT_EQ(0, asyncx_unregister_buffers(&self->ring));
	close(p[0]);
	close(p[1]);
}

/*
 * Fixed WRITE and READ on a regular file (the blocking pool), in a second
 * registered buffer of 40 pages starting inside a page, at offsets past
 * the first page and across page boundaries; chained WRITE -> READ too.
 */
TEST_F(rsrc, rw_fixed_file)
{
	struct iovec iov[2] = {
		{ self->mem, PAGE },
		{ self->mem + PAGE + 123, 40 * PAGE },
	};
	char *b = self->mem + PAGE + 123;
	size_t woff = 2 * PAGE + 500, roff = 20 * PAGE + 7, len = 10000;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	char check[10000];
	size_t i;

	ASSERT_EQ(0, asyncx_register_buffers(&self->ring, iov, 2));
	for (i = 0; i < len; i++)
		b[woff + i] = (char)(i * 13 + (i >> 8));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write_fixed(sqe, self->tmpfd, b + woff, len, 4096, 1);
	EXPECT_EQ((int)len, run_one(&self->ring));
	ASSERT_EQ((ssize_t)len, pread(self->tmpfd, check, len, 4096));
	EXPECT_EQ(0, memcmp(check, b + woff, len));

	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b + roff, len, 4096, 1);
	EXPECT_EQ((int)len, run_one(&self->ring));
	EXPECT_EQ(0, memcmp(check, b + roff, len));

	/* The whole buffer, to its last byte. */
	memset(b, 0x5a, 40 * PAGE);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write_fixed(sqe, self->tmpfd, b, 40 * PAGE, 0, 1);
	EXPECT_EQ((int)(40 * PAGE), run_one(&self->ring));
	memset(b, 0, 40 * PAGE);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b, 40 * PAGE, 0, 1);
	EXPECT_EQ((int)(40 * PAGE), run_one(&self->ring));
	for (i = 0; i < 40 * PAGE; i++)
		if (b[i] != 0x5a)
			break;
	EXPECT_EQ(40 * PAGE, i);

	/* A chain: WRITE from buffer 0, then READ it back into buffer 1. */
	memset(self->mem, 0x11, PAGE);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write_fixed(sqe, self->tmpfd, self->mem, PAGE, 0, 0);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	asyncx_sqe_set_data64(sqe, 1);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b + 5, PAGE, 0, 1);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, asyncx_submit(&self->ring));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(1ULL, cqe.user_data);
	EXPECT_EQ((int)PAGE, cqe.res);
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(2ULL, cqe.user_data);
	EXPECT_EQ((int)PAGE, cqe.res);
	for (i = 0; i < PAGE; i++)
		if (b[5 + i] != 0x11)
			break;
	EXPECT_EQ(PAGE, i);

	EXPECT_EQ(0, asyncx_unregister_buffers(&self->ring));
}

/* A fixed READ or WRITE of a range not inside its buffer, bad indexes. */
TEST_F(rsrc, fixed_bad_ranges)
{
	struct iovec iov = { self->mem + PAGE, 2 * PAGE };
	char *b = self->mem + PAGE;
	struct asyncx_sqe *sqe;

	/* No buffers registered: -ENXIO. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b, 10, 0, 0);
	EXPECT_EQ(-ENXIO, run_one(&self->ring));

	ASSERT_EQ(0, asyncx_register_buffers(&self->ring, &iov, 1));
	/* Starts before, ends after, too long, index out of range. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b - 1, 10, 0, 0);
	EXPECT_EQ(-EFAULT, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write_fixed(sqe, self->tmpfd, b + 2 * PAGE - 9, 10, 0, 0);
	EXPECT_EQ(-EFAULT, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b, 2 * PAGE + 1, 0, 0);
	EXPECT_EQ(-EFAULT, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, (void *)(uintptr_t)-8, 16, 0, 0);
	EXPECT_EQ(-EFAULT, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b, 10, 0, 1);
	EXPECT_EQ(-EFAULT, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b, 10, 0, 65535);
	EXPECT_EQ(-EFAULT, run_one(&self->ring));
	/* Exactly the buffer's last byte, and an empty range at its end. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write_fixed(sqe, self->tmpfd, b + 2 * PAGE - 1, 1, 0, 0);
	EXPECT_EQ(1, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write_fixed(sqe, self->tmpfd, b + 2 * PAGE, 0, 0, 0);
	EXPECT_EQ(0, run_one(&self->ring));

	/* buf_index without ASYNCX_RW_FIXED, or on another op: -EINVAL. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, self->tmpfd, b, 10, 0);
	sqe->buf_index = 1;
	EXPECT_EQ(-EINVAL, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_nop(sqe);
	sqe->buf_index = 1;
	EXPECT_EQ(-EINVAL, run_one(&self->ring));
	/* Unknown READ op_flags; FIXED_FILE on an op without a file. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b, 10, 0, 0);
	sqe->op_flags |= 2;
	EXPECT_EQ(-EINVAL, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_fixed_file(sqe);
	EXPECT_EQ(-EINVAL, run_one(&self->ring));

	EXPECT_EQ(0, asyncx_unregister_buffers(&self->ring));
	/* Unregistered: -ENXIO again. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, b, 10, 0, 0);
	EXPECT_EQ(-ENXIO, run_one(&self->ring));
}

/*
 * Fixed files: READ, WRITE and POLL by index, after the application closed
 * its own descriptors; empty slots and bad indexes are -EBADF; unregister
 * leaves -EBADF.
 */
TEST_F(rsrc, fixed_files)
{
	char buf[64] = "registered file data";
	int p[2], dup_fd, fds[3];
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(self->tmpfd, buf, sizeof(buf), 0));
	dup_fd = dup(self->tmpfd);
	ASSERT_LE(0, dup_fd);
	fds[0] = -1;
	fds[1] = p[0];
	fds[2] = dup_fd;
	ASSERT_EQ(0, asyncx_register_files(&self->ring, fds, 3));
	close(dup_fd);	/* the ring holds the file */

	memset(buf, 0, sizeof(buf));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, 2, buf, sizeof(buf), 0);
	asyncx_sqe_set_fixed_file(sqe);
	EXPECT_EQ((int)sizeof(buf), run_one(&self->ring));
	EXPECT_STREQ("registered file data", buf);

	/* Fixed file and fixed buffer together. */
	{
		struct iovec iov = { self->mem, PAGE };

		ASSERT_EQ(0, asyncx_register_buffers(&self->ring, &iov, 1));
		sqe = asyncx_get_sqe(&self->ring);
		asyncx_prep_read_fixed(sqe, 2, self->mem + 10, 20, 0, 0);
		asyncx_sqe_set_fixed_file(sqe);
		EXPECT_EQ(20, run_one(&self->ring));
		EXPECT_EQ(0, memcmp(self->mem + 10, "registered file data", 20));
		EXPECT_EQ(0, asyncx_unregister_buffers(&self->ring));
	}

	/* POLL by index: the pipe's read end. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_poll(sqe, 1, POLLIN);
	asyncx_sqe_set_fixed_file(sqe);
	asyncx_sqe_set_data64(sqe, 7);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	EXPECT_EQ(-ETIME, wait_one(&self->ring, &cqe, 100));
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(7ULL, cqe.user_data);
	EXPECT_TRUE(cqe.res & POLLIN);

	/* WRITE by index to a file not open for writing: -EBADF. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_write(sqe, 1, buf, 1, (__u64)-1);
	asyncx_sqe_set_fixed_file(sqe);
	EXPECT_EQ(-EBADF, run_one(&self->ring));
	/* Empty slot, out of range, negative. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, 0, buf, 1, 0);
	asyncx_sqe_set_fixed_file(sqe);
	EXPECT_EQ(-EBADF, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, 3, buf, 1, 0);
	asyncx_sqe_set_fixed_file(sqe);
	EXPECT_EQ(-EBADF, run_one(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, -1, buf, 1, 0);
	asyncx_sqe_set_fixed_file(sqe);
	EXPECT_EQ(-EBADF, run_one(&self->ring));

	EXPECT_EQ(0, asyncx_unregister_files(&self->ring));
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read(sqe, 2, buf, 1, 0);
	asyncx_sqe_set_fixed_file(sqe);
	EXPECT_EQ(-EBADF, run_one(&self->ring));
	close(p[0]);
	close(p[1]);
}

struct unreg_arg {
	struct asyncx_ring *ring;
	int ret;
	volatile bool done;
};

static void *unregister_thread(void *arg)
{
	struct unreg_arg *a = arg;

	a->ret = asyncx_unregister_buffers(a->ring);
	a->done = true;
	return NULL;
}

/*
 * Unregister waits for the fixed READ in flight (on an empty pipe): it
 * returns only after the READ completed; meanwhile new fixed operations
 * fail with -ENXIO, and the pages stay pinned until the READ is done.
 */
TEST_F(rsrc, unregister_waits)
{
	struct iovec iov = { self->mem, 4 * PAGE };
	struct unreg_arg a = { .ring = &self->ring };
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	long pin0 = vm_pin_kb();
	pthread_t th;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, asyncx_register_buffers(&self->ring, &iov, 1));
	EXPECT_EQ(pin0 + 16, vm_pin_kb());
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, p[0], self->mem + PAGE, 100, (__u64)-1, 0);
	asyncx_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, asyncx_submit(&self->ring));

	ASSERT_EQ(0, pthread_create(&th, NULL, unregister_thread, &a));
	usleep(300 * 1000);
	EXPECT_FALSE(a.done);
	EXPECT_EQ(pin0 + 16, vm_pin_kb());
	/* The table is gone for new requests already. */
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, self->tmpfd, self->mem, 10, 0, 0);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(2ULL, cqe.user_data);
	EXPECT_EQ(-ENXIO, cqe.res);
	usleep(100 * 1000);
	EXPECT_FALSE(a.done);

	ASSERT_EQ(5, write(p[1], "hello", 5));
	ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
	EXPECT_EQ(1ULL, cqe.user_data);
	EXPECT_EQ(5, cqe.res);
	EXPECT_EQ(0, memcmp(self->mem + PAGE, "hello", 5));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_TRUE(a.done);
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(pin0, vm_pin_kb());
	close(p[0]);
	close(p[1]);
}

/*
 * Close with buffers and files registered and a fixed READ in flight on a
 * registered pipe: the READ is cancelled, the pages unpinned (VmPin back)
 * and the files released (the pipe's last reader is gone: EPIPE).
 */
TEST_F(rsrc, close_releases)
{
	struct iovec iov = { self->mem, 8 * PAGE };
	long pin0 = vm_pin_kb();
	struct asyncx_sqe *sqe;
	int p[2], i, ret = 0;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, asyncx_register_buffers(&self->ring, &iov, 1));
	ASSERT_EQ(0, asyncx_register_files(&self->ring, &p[0], 1));
	close(p[0]);
	sqe = asyncx_get_sqe(&self->ring);
	asyncx_prep_read_fixed(sqe, 0, self->mem, 100, (__u64)-1, 0);
	asyncx_sqe_set_fixed_file(sqe);
	ASSERT_EQ(1, asyncx_submit(&self->ring));
	EXPECT_EQ(pin0 + 32, vm_pin_kb());
	/* The ring reads the pipe: a write still has a reader. */
	ASSERT_EQ(0, fcntl(p[1], F_SETFL, O_NONBLOCK));

	asyncx_queue_exit(&self->ring);
	self->up = false;
	/* The cancelled READ drops the last references on a worker. */
	for (i = 0; i < 200; i++) {
		ret = write(p[1], "z", 1) < 0 ? -errno : 1;
		if (ret == -EPIPE && vm_pin_kb() == pin0)
			break;
		usleep(10 * 1000);
	}
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(pin0, vm_pin_kb());
	close(p[1]);
}

/*
 * Unregister racing fixed READs from /dev/zero (the blocking pool) and
 * re-register, many rounds: each READ either read zeroes into the buffer or
 * failed with -ENXIO; none is lost, none reads after unpinning (KASAN).
 */
TEST_F(rsrc, unregister_race)
{
	struct iovec iov = { self->mem, 16 * PAGE };
	int zero = open("/dev/zero", O_RDONLY);
	unsigned int round, i, ok = 0, gone = 0;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;

	ASSERT_LE(0, zero);
	for (round = 0; round < 50; round++) {
		memset(self->mem, 0xff, 16 * PAGE);
		ASSERT_EQ(0, asyncx_register_buffers(&self->ring, &iov, 1));
		for (i = 0; i < 16; i++) {
			sqe = asyncx_get_sqe(&self->ring);
			asyncx_prep_read_fixed(sqe, zero, self->mem + i * PAGE,
					       PAGE, 0, 0);
			asyncx_sqe_set_data64(sqe, i);
			ASSERT_EQ(1, asyncx_submit(&self->ring));
			if (i == round % 16)
				ASSERT_EQ(0, asyncx_unregister_buffers(&self->ring));
		}
		for (i = 0; i < 16; i++) {
			ASSERT_EQ(0, wait_one(&self->ring, &cqe, 10000));
			if (cqe.res == -ENXIO) {
				gone++;
				continue;
			}
			ASSERT_EQ((int)PAGE, cqe.res);
			EXPECT_EQ(0, self->mem[cqe.user_data * PAGE]);
			EXPECT_EQ(0, self->mem[cqe.user_data * PAGE + PAGE - 1]);
			ok++;
		}
	}
	/* Every round unregistered after its (round % 16 + 1)th READ. */
	EXPECT_EQ(50U * 16, ok + gone);
	EXPECT_LT(0U, ok);
	EXPECT_LT(0U, gone);
	EXPECT_EQ(-ENXIO, asyncx_unregister_buffers(&self->ring));
	close(zero);
}

TEST_HARNESS_MAIN
