// SPDX-License-Identifier: GPL-2.0
/*
 * The file ops of the ring (kmod/ring/rw.c, kmod/ring/fs.c): READV and
 * WRITEV, FSYNC, FALLOCATE, OPENAT, CLOSE and STATX, each against what its
 * system call gives for the same input (results, errors, file contents),
 * and where each runs: a page-cache hit of a file that honours IOCB_NOWAIT
 * at submission with no thread, the rest on the context's I/O workers.
 *
 *   vec        WRITEV then READV, at offsets and at the file position;
 *              bad arrays and segments
 *   proc       READV of a procfs file that has only ->read(), as readv(2)
 *   cached     a READ of /dev/nullb0 (null_blk, memory-backed) that hits
 *              the page cache completes at submission, no I/O worker made;
 *              a read past the end is short
 *   direct     O_DIRECT READ and WRITE of /dev/nullb0 (each I/O completes
 *              5 ms later, from a timer interrupt) are issued at
 *              submission and completed by the device, with no thread;
 *              errors as pread(2)'s; a CANCEL of one the device has
 *              answers -EALREADY and the READ gets its data; a close with
 *              I/O in flight frees the context once the device is done
 *   self       names that mean the opener (/proc/self, /dev/fd/N, links to
 *              them) name the submitter, not the worker
 *   fsync      FSYNC and FDATASYNC, ranges, errors as fsync(2)'s
 *   fallocate  sizes and errors as fallocate(2)'s
 *   openat     a table of names, dirfds, flags against openat(2), run as
 *              an unprivileged user (uid 65534): permissions, umask, owner
 *   fifo       an OPENAT that blocks (a FIFO with no writer) is cancelled
 *              at once
 *   close      CLOSE frees the descriptor; -EBADF for a bad one and for the
 *              ring itself; in a chain it runs in the submitter
 *   statx      STATX against statx(2), fields and errors
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/fs.h>
#include <unistd.h>
#include <asyncx.h>
#include "kselftest_harness.h"
#include "util.h"

#define NULLB	"/dev/nullb0"

FIXTURE(files) {
	struct asyncx_ring ring;
	char dir[64];
	int dfd;
};

FIXTURE_SETUP(files)
{
	strcpy(self->dir, "/tmp/asyncx-files-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->dfd = open(self->dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dfd);
	ASSERT_EQ(0, asyncx_queue_init(16, &self->ring, 0));
}

FIXTURE_TEARDOWN(files)
{
	char cmd[128];

	asyncx_queue_exit(&self->ring);
	close(self->dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		fprintf(stderr, "# %s failed\n", cmd);
}

/* A file of the test's directory, created with @len bytes of a pattern. */
static int pattern_file(const char *dir, const char *name, size_t len)
{
	char path[128], *buf = malloc(len ? len : 1);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + 3);
	if (fd >= 0 && len && pwrite(fd, buf, len, 0) != (ssize_t)len) {
		close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

TEST_F(files, writev_then_readv)
{
	char a[] = "hello ", b[] = "vectored ", c[] = "world";
	char x[10] = { 0 }, y[20] = { 0 };
	struct iovec w[3] = {
		{ a, 6 }, { b, 9 }, { c, 5 },
	};
	struct iovec r[2] = { { x, 10 }, { y, 20 } };
	struct iovec bad[2] = { { x, 10 }, { (void *)8, 4 } };
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_sqe *sqe;
	struct iovec *many;
	int fd = pattern_file(self->dir, "vec", 0);
	int rdonly;

	ASSERT_LE(0, fd);
	asyncx_prep_writev(asyncx_get_sqe(ring), fd, w, 3, 100);
	EXPECT_EQ(20, run1(ring));
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, r, 2, 100);
	EXPECT_EQ(20, run1(ring));
	EXPECT_EQ(0, memcmp(x, "hello vect", 10));
	EXPECT_EQ(0, memcmp(y, "ored world", 10));

	/* At the file position, which each advances. */
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	asyncx_prep_writev(asyncx_get_sqe(ring), fd, w, 1, (__u64)-1);
	EXPECT_EQ(6, run1(ring));
	asyncx_prep_writev(asyncx_get_sqe(ring), fd, w + 2, 1, (__u64)-1);
	EXPECT_EQ(5, run1(ring));
	EXPECT_EQ(11, lseek(fd, 0, SEEK_CUR));
	memset(x, 0, sizeof(x));
	EXPECT_EQ(11, pread(fd, y, 11, 0));
	EXPECT_EQ(0, memcmp(y, "hello world", 11));

	/* A read at the end is short; past it, 0. */
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, r, 2, 115);
	EXPECT_EQ(5, run1(ring));
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, r, 2, 1000);
	EXPECT_EQ(0, run1(ring));

	/* Errors, as preadv(2)'s. */
	many = calloc(1025, sizeof(*many));
	ASSERT_NE(NULL, many);
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, many, 1025, 0);
	EXPECT_EQ(-EINVAL, run1(ring));
	EXPECT_EQ(-1, preadv(fd, many, 1025, 0));
	EXPECT_EQ(EINVAL, errno);
	free(many);
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, (void *)8, 2, 0);
	EXPECT_EQ(-EFAULT, run1(ring));
	/* A segment that faults: what came before it, as preadv(2). */
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, bad, 2, 0);
	EXPECT_EQ(preadv(fd, bad, 2, 0), run1(ring));
	/* One outside the user address space. */
	bad[1].iov_base = (void *)(1UL << 63);
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, bad, 2, 0);
	EXPECT_EQ(-EFAULT, run1(ring));
	bad[1].iov_base = y;
	bad[1].iov_len = (size_t)-1;
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, bad, 2, 0);
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_readv(sqe, fd, r, 2, 0);
	sqe->op_flags = ASYNCX_RW_FIXED;
	EXPECT_EQ(-EINVAL, run1(ring));
	rdonly = openat(self->dfd, "vec", O_RDONLY);
	ASSERT_LE(0, rdonly);
	asyncx_prep_writev(asyncx_get_sqe(ring), rdonly, w, 3, 0);
	EXPECT_EQ(-EBADF, run1(ring));
	asyncx_prep_readv(asyncx_get_sqe(ring), -1, r, 2, 0);
	EXPECT_EQ(-EBADF, run1(ring));
	/* No segments: nothing to do. */
	asyncx_prep_readv(asyncx_get_sqe(ring), fd, r, 0, 0);
	EXPECT_EQ(0, run1(ring));
	close(rdonly);
	close(fd);
}

/* /proc/net/unix has only ->read(): READV loops over it as readv(2). */
TEST_F(files, readv_of_a_read_only_procfs_file)
{
	char a[16], b[4096], c[16], d[4096];
	struct iovec r[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec s[2] = { { c, sizeof(c) }, { d, sizeof(d) } };
	int fd = open("/proc/net/unix", O_RDONLY);
	int fd2 = open("/proc/net/unix", O_RDONLY);
	ssize_t want;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	want = readv(fd2, s, 2);
	ASSERT_LT(16, want);
	asyncx_prep_readv(asyncx_get_sqe(&self->ring), fd, r, 2, (__u64)-1);
	/* Its first line (the header) is the same in both. */
	EXPECT_LT(16, run1(&self->ring));
	EXPECT_EQ(0, memcmp(a, c, 16));
	EXPECT_EQ(0, memcmp(b, d, 16));
	close(fd);
	close(fd2);
}

/*
 * A READ that hits the page cache of a file honouring IOCB_NOWAIT (a block
 * device) completes at submission: its CQE is there when the submit
 * returns, and the context never made an I/O worker. A read that misses
 * goes to a worker and gets the data. A read across the end is short.
 */
TEST_F(files, cached_reads_complete_at_submission)
{
	struct asyncx_ring *ring = &self->ring;
	char *want = malloc(65536), *got = malloc(65536);
	struct asyncx_cqe *cqe;
	unsigned long long size;
	int fd;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	fd = open(NULLB, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("no %s (null_blk)", NULLB);
	ASSERT_EQ(0, ioctl(fd, BLKGETSIZE64, &size));
	for (int i = 0; i < 65536; i++)
		want[i] = (char)(i * 13 + 1);
	ASSERT_EQ(65536, pwrite(fd, want, 65536, 0));
	ASSERT_EQ(0, fsync(fd));
	/* Cached now: the read is done inside the submit. */
	EXPECT_EQ(65536, pread(fd, got, 65536, 0));
	memset(got, 0, 65536);
	asyncx_prep_read(asyncx_get_sqe(ring), fd, got, 65536, 0);
	ASSERT_EQ(1, asyncx_submit(ring));
	ASSERT_EQ(0, asyncx_peek_cqe(ring, &cqe));
	EXPECT_EQ(65536, cqe->res);
	asyncx_cqe_seen(ring, cqe);
	EXPECT_EQ(0, memcmp(want, got, 65536));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));

	/*
	 * Dropped from the cache: the data still comes (whether the try at
	 * submission finds the pages read ahead in time or a worker reads).
	 */
	ASSERT_EQ(0, ioctl(fd, BLKFLSBUF, 0));
	memset(got, 0, 65536);
	asyncx_prep_read(asyncx_get_sqe(ring), fd, got, 65536, 0);
	EXPECT_EQ(65536, run1(ring));
	EXPECT_EQ(0, memcmp(want, got, 65536));

	/* Across the end of the device: short, as read(2). */
	asyncx_prep_read(asyncx_get_sqe(ring), fd, got, 8192, size - 4096);
	EXPECT_EQ(4096, run1(ring));
	asyncx_prep_read(asyncx_get_sqe(ring), fd, got, 8192, size);
	EXPECT_EQ(0, run1(ring));
	close(fd);
	free(want);
	free(got);
}

/*
 * A page-cache hit is tried with page faults disabled while the submission
 * holds the context's lock: a buffer whose pages are not there yet (fresh
 * anonymous memory, or half of it) stops that copy short, and the rest is
 * read after the lock, faulting the pages in. Every byte comes, in one CQE;
 * a buffer that is not memory at all is -EFAULT, as pread(2) says.
 */
TEST_F(files, cached_read_into_pages_not_yet_there)
{
	struct asyncx_ring *ring = &self->ring;
	char *want = malloc(65536), *got;
	int fd;

	ASSERT_NE(NULL, want);
	fd = open(NULLB, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("no %s (null_blk)", NULLB);
	for (int i = 0; i < 65536; i++)
		want[i] = (char)(i * 11 + 5);
	ASSERT_EQ(65536, pwrite(fd, want, 65536, 0));
	ASSERT_EQ(0, fsync(fd));
	for (int round = 0; round < 3; round++) {
		got = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, got);
		/* Round 1: the first half there; round 2: one page in four. */
		for (int i = 0; round && i < 65536 / 2; i += 4096 * round)
			got[i] = 1;
		asyncx_prep_read(asyncx_get_sqe(ring), fd, got, 65536, 0);
		EXPECT_EQ(65536, run1(ring));
		EXPECT_EQ(0, memcmp(want, got, 65536)) TH_LOG("round %d", round);
		munmap(got, 65536);
	}
	asyncx_prep_read(asyncx_get_sqe(ring), fd, (void *)4096, 4096, 0);
	EXPECT_EQ(-EFAULT, run1(ring));
	close(fd);
	free(want);
}

TEST_F(files, fsync_and_fdatasync)
{
	struct asyncx_ring *ring = &self->ring;
	int fd = pattern_file(self->dir, "sync", 8192);
	struct asyncx_sqe *sqe;
	int p[2];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	asyncx_prep_fsync(asyncx_get_sqe(ring), fd, 0);
	EXPECT_EQ(0, run1(ring));
	asyncx_prep_fsync(asyncx_get_sqe(ring), fd, ASYNCX_FSYNC_DATASYNC);
	EXPECT_EQ(0, run1(ring));
	asyncx_prep_fsync_range(asyncx_get_sqe(ring), fd, 4096, 4096, 0);
	EXPECT_EQ(0, run1(ring));
	/* As fsync(2): a pipe cannot be synced. */
	EXPECT_EQ(-1, fsync(p[0]));
	EXPECT_EQ(EINVAL, errno);
	asyncx_prep_fsync(asyncx_get_sqe(ring), p[0], 0);
	EXPECT_EQ(-EINVAL, run1(ring));
	asyncx_prep_fsync(asyncx_get_sqe(ring), -1, 0);
	EXPECT_EQ(-EBADF, run1(ring));
	asyncx_prep_fsync_range(asyncx_get_sqe(ring), fd, (__u64)-4096, 0, 0);
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_fsync(sqe, fd, 0);
	sqe->len = 1;
	EXPECT_EQ(-EINVAL, run1(ring));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_fsync(sqe, fd, 0);
	sqe->op_flags = 2;
	EXPECT_EQ(-EINVAL, run1(ring));
	close(p[0]);
	close(p[1]);
	close(fd);
}

TEST_F(files, fallocate_as_fallocate2)
{
	struct asyncx_ring *ring = &self->ring;
	int fd = pattern_file(self->dir, "falloc", 0);
	struct stat st;
	int rdonly, p[2];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	asyncx_prep_fallocate(asyncx_get_sqe(ring), fd, 0, 0, 1 << 20);
	EXPECT_EQ(0, run1(ring));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1 << 20, st.st_size);
	asyncx_prep_fallocate(asyncx_get_sqe(ring), fd, FALLOC_FL_KEEP_SIZE,
			      1 << 20, 1 << 20);
	EXPECT_EQ(0, run1(ring));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1 << 20, st.st_size);
	/* Each error as fallocate(2) gives it for the same input. */
	rdonly = openat(self->dfd, "falloc", O_RDONLY);
	ASSERT_LE(0, rdonly);
	struct { int fd, mode; long long off, len; } bad[] = {
		{ rdonly, 0, 0, 4096 },
		{ p[1], 0, 0, 4096 },
		{ fd, 0, -1, 4096 },
		{ fd, 0, 0, 0 },
		{ fd, 0x1000000, 0, 4096 },
		{ fd, FALLOC_FL_PUNCH_HOLE, 0, 4096 },
		{ -1, 0, 0, 4096 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int want = fallocate(bad[i].fd, bad[i].mode, bad[i].off,
				     bad[i].len) ? -errno : 0;

		asyncx_prep_fallocate(asyncx_get_sqe(ring), bad[i].fd,
				      bad[i].mode, bad[i].off, bad[i].len);
		EXPECT_EQ(want, run1(ring)) TH_LOG("case %zu", i);
		EXPECT_NE(0, want) TH_LOG("case %zu", i);
	}
	close(rdonly);
	close(p[0]);
	close(p[1]);
	close(fd);
}

struct open_case {
	const char *name;
	int dirfd;		/* -100: AT_FDCWD; -2: the test dir; -3: a file */
	const char *path;
	int flags;
	unsigned int mode;
};

static int open_dirfd(int which, int dfd, int filefd)
{
	switch (which) {
	case -100: return AT_FDCWD;
	case -2: return dfd;
	case -3: return filefd;
	default: return which;
	}
}

/* What the ring's OPENAT gives: the fd (then closed) as 0, or -errno. */
static int ring_open(struct asyncx_ring *ring, int dirfd, const char *path,
		     int flags, unsigned int mode, struct stat *st)
{
	int fd;

	asyncx_prep_openat(asyncx_get_sqe(ring), dirfd, path, flags, mode);
	fd = run1(ring);
	if (fd < 0)
		return fd;
	if (st && fstat(fd, st))
		return -9999;
	close(fd);
	return 0;
}

static int sys_open(int dirfd, const char *path, int flags, unsigned int mode,
		    struct stat *st)
{
	int fd = openat(dirfd, path, flags, mode);

	if (fd < 0)
		return -errno;
	if (st && fstat(fd, st))
		return -9999;
	close(fd);
	return 0;
}

/*
 * As an unprivileged user in its own directory: every case gives what
 * openat(2) gives, and a file it creates has the submitter's owner and
 * umask.
 */
TEST_F(files, openat_as_openat2)
{
	static char longname[PATH_MAX + 10];
	struct asyncx_ring *ring = &self->ring;
	char sub[128], path[160];
	struct stat a, b;
	int filefd, fd, flags;

	memset(longname, 'a', sizeof(longname) - 1);
	/* A root-only file, then the rest as nobody in a dir of nobody's. */
	snprintf(path, sizeof(path), "%s/secret", self->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, chmod(self->dir, 0777));
	/* (So that the teardown, as nobody, may remove it from /tmp.) */
	ASSERT_EQ(0, chown(self->dir, NOBODY, NOBODY));
	snprintf(sub, sizeof(sub), "%s/sub", self->dir);
	ASSERT_EQ(0, mkdir(sub, 0777));
	ASSERT_EQ(0, chown(sub, NOBODY, NOBODY));
	filefd = pattern_file(self->dir, "data", 100);
	ASSERT_LE(0, filefd);
	ASSERT_EQ(0, chdir(self->dir));
	asyncx_queue_exit(ring);
	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(16, ring, 0));
	umask(027);

	const struct open_case cases[] = {
		{ "cwd relative", -100, "data", O_RDONLY, 0 },
		{ "dirfd relative", -2, "data", O_RDONLY, 0 },
		{ "absolute, bad dirfd", 12345, "/proc/self/status", O_RDONLY, 0 },
		{ "dotdot from dirfd", -2, "sub/../data", O_RDONLY, 0 },
		{ "missing", -2, "nope", O_RDONLY, 0 },
		{ "exclusive on existing", -2, "data", O_CREAT | O_EXCL | O_WRONLY, 0644 },
		{ "dirfd is a file", -3, "data", O_RDONLY, 0 },
		{ "bad dirfd", 12345, "data", O_RDONLY, 0 },
		{ "empty name", -2, "", O_RDONLY, 0 },
		{ "too long", -2, longname, O_RDONLY, 0 },
		{ "directory flag on a file", -2, "data", O_RDONLY | O_DIRECTORY, 0 },
		{ "not allowed", -2, "secret", O_RDONLY, 0 },
		{ "cannot create in root's", -100, "/proc/x", O_CREAT | O_WRONLY, 0600 },
		{ "a directory for writing", -2, "sub", O_WRONLY, 0 },
		{ "nofollow on a symlink", -2, "link", O_RDONLY | O_NOFOLLOW, 0 },
	};
	ASSERT_EQ(0, symlink("data", "sub/../link"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct open_case *c = &cases[i];
		int d = open_dirfd(c->dirfd, self->dfd, filefd);
		int want = sys_open(d, c->path, c->flags, c->mode, &a);
		int got = ring_open(ring, d, c->path, c->flags, c->mode, &b);

		EXPECT_EQ(want, got) TH_LOG("%s", c->name);
		if (!want && !got)
			EXPECT_EQ(a.st_ino, b.st_ino) TH_LOG("%s", c->name);
	}

	/* A bad name pointer. */
	asyncx_prep_openat(asyncx_get_sqe(ring), AT_FDCWD, (char *)8, O_RDONLY, 0);
	EXPECT_EQ(-EFAULT, run1(ring));
	/* An unknown flag (openat2(2) refuses it too). */
	asyncx_prep_openat(asyncx_get_sqe(ring), AT_FDCWD, "data", 1 << 30, 0);
	EXPECT_EQ(-EINVAL, run1(ring));

	/* Created: nobody's, with the umask applied, O_CLOEXEC honoured. */
	asyncx_prep_openat(asyncx_get_sqe(ring), self->dfd, "sub/new",
			   O_CREAT | O_RDWR | O_CLOEXEC, 0666);
	fd = run1(ring);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &a));
	EXPECT_EQ((uid_t)NOBODY, a.st_uid);
	EXPECT_EQ((gid_t)NOBODY, a.st_gid);
	EXPECT_EQ(0640, a.st_mode & 0777);
	flags = fcntl(fd, F_GETFD);
	EXPECT_EQ(FD_CLOEXEC, flags);
	EXPECT_EQ(5, write(fd, "hello", 5));
	close(fd);
	close(filefd);
}

/*
 * An open of a FIFO with no writer sleeps (on an I/O worker): a CANCEL
 * ends it at once, and the worker is free again.
 */
TEST_F(files, blocked_openat_is_cancelled)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	char path[128];
	int got = 0;

	snprintf(path, sizeof(path), "%s/fifo", self->dir);
	ASSERT_EQ(0, mkfifo(path, 0600));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
	asyncx_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, asyncx_submit(ring));
	EXPECT_EQ(-ETIME, wait_one(ring, &cqe, 200));
	EXPECT_EQ(0, fdinfo(ring, "io-workers-idle"));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_cancel(sqe, 1, 0);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(1, asyncx_submit(ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 1000));
		EXPECT_EQ(cqe.user_data == 1 ? -ECANCELED : 0, cqe.res);
		got |= 1 << cqe.user_data;
	}
	EXPECT_EQ(6, got);
	/* The worker's sleep was interrupted: it is idle again. */
	for (int i = 0; i < 100 && fdinfo(ring, "io-workers-idle") != 1; i++)
		usleep(10 * 1000);
	EXPECT_EQ(1, fdinfo(ring, "io-workers-idle"));
}

TEST_F(files, close_as_close2)
{
	struct asyncx_ring *ring = &self->ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	int fd = dup(1), p[2];

	ASSERT_LE(0, fd);
	asyncx_prep_close(asyncx_get_sqe(ring), fd);
	EXPECT_EQ(0, run1(ring));
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));
	EXPECT_EQ(EBADF, errno);
	asyncx_prep_close(asyncx_get_sqe(ring), fd);
	EXPECT_EQ(-EBADF, run1(ring));
	asyncx_prep_close(asyncx_get_sqe(ring), -1);
	EXPECT_EQ(-EBADF, run1(ring));
	/* Not the ring itself (nor any asyncx context). */
	asyncx_prep_close(asyncx_get_sqe(ring), ring->fd);
	EXPECT_EQ(-EBADF, run1(ring));
	EXPECT_LE(0, fcntl(ring->fd, F_GETFD));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_close(sqe, 0);
	sqe->len = 1;
	EXPECT_EQ(-EINVAL, run1(ring));

	/* In a chain: a WRITE, then the CLOSE of its pipe end. */
	ASSERT_EQ(0, pipe(p));
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_write(sqe, p[1], "x", 1, (__u64)-1);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	asyncx_sqe_set_data64(sqe, 1);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_close(sqe, p[1]);
	asyncx_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, asyncx_submit(ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
		EXPECT_EQ(cqe.user_data == 1 ? 1 : 0, cqe.res);
	}
	EXPECT_EQ(-1, fcntl(p[1], F_GETFD));
	/* The write end is closed: the reader sees the byte, then EOF. */
	char c[2];
	EXPECT_EQ(1, read(p[0], c, 2));
	EXPECT_EQ(0, read(p[0], c, 2));
	close(p[0]);
}

/* The pid in an open /proc/<pid>/stat, or -1. */
static int stat_pid(int fd)
{
	char buf[32] = { 0 };

	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		return -1;
	return atoi(buf);
}

/*
 * /proc/self, and what leads there, is the submitter's process: the open
 * and the statx of such names run in the submitting thread.
 */
TEST_F(files, proc_self_names_the_submitter)
{
	struct asyncx_ring *ring = &self->ring;
	const char *names[] = { "/proc/self/stat", "selflink", "dotlink" };
	char path[64];
	struct statx a, b;
	struct stat st;
	int fd, data;

	data = pattern_file(self->dir, "data", 10);
	ASSERT_LE(0, data);
	ASSERT_EQ(0, chdir(self->dir));
	ASSERT_EQ(0, symlink("/proc/self/stat", "selflink"));
	ASSERT_EQ(0, mkdir("d", 0755));
	ASSERT_EQ(0, symlink("../selflink", "d/l"));
	ASSERT_EQ(0, symlink("d/l", "dotlink"));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		asyncx_prep_openat(asyncx_get_sqe(ring), AT_FDCWD, names[i],
				   O_RDONLY, 0);
		fd = run1(ring);
		ASSERT_LE(0, fd) TH_LOG("%s", names[i]);
		EXPECT_EQ(getpid(), stat_pid(fd)) TH_LOG("%s", names[i]);
		close(fd);
	}
	/* /dev/fd/N: the submitter's descriptor N. */
	snprintf(path, sizeof(path), "/dev/fd/%d", data);
	asyncx_prep_openat(asyncx_get_sqe(ring), AT_FDCWD, path, O_RDONLY, 0);
	fd = run1(ring);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(data, &st));
	ASSERT_EQ(0, statx(fd, "", AT_EMPTY_PATH, STATX_INO, &a));
	EXPECT_EQ(st.st_ino, a.stx_ino);
	close(fd);
	memset(&b, 0, sizeof(b));
	asyncx_prep_statx(asyncx_get_sqe(ring), AT_FDCWD, path, 0, STATX_INO,
			  &b);
	EXPECT_EQ(0, run1(ring));
	EXPECT_EQ(st.st_ino, b.stx_ino);
	close(data);
}

/* A 1 MiB pattern on /dev/nullb0, written with O_DIRECT; its fd. */
static int direct_setup(char **pattern)
{
	char *p;
	int fd;

	if (posix_memalign((void **)&p, 4096, 1 << 20))
		return -1;
	for (int i = 0; i < 1 << 20; i++)
		p[i] = (char)(i * 31 + i / 4096);
	fd = open(NULLB, O_RDWR | O_DIRECT);
	if (fd < 0 || pwrite(fd, p, 1 << 20, 0) != 1 << 20) {
		free(p);
		return -1;
	}
	*pattern = p;
	return fd;
}

/*
 * For the O_DIRECT tests: a ring of @entries in place of the fixture's,
 * and a 4096-aligned buffer of @blocks blocks of 4 KiB; NULL on failure.
 */
static char *direct_ring(struct asyncx_ring *ring, unsigned int entries,
			 unsigned int blocks)
{
	char *buf;

	asyncx_queue_exit(ring);
	if (posix_memalign((void **)&buf, 4096, (size_t)blocks * 4096))
		return NULL;
	if (asyncx_queue_init(entries, ring, 0)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Queue @n O_DIRECT READs of 4 KiB: READ i (user_data i) reads block
 * (i * @stride) % 256 of @fd into block i of @buf.
 */
static void queue_direct_reads(struct asyncx_ring *ring, int fd, char *buf,
			       int n, int stride)
{
	for (int i = 0; i < n; i++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

		asyncx_prep_read(sqe, fd, buf + i * 4096, 4096,
				 (__u64)((i * stride) % 256) * 4096);
		asyncx_sqe_set_data64(sqe, i);
	}
}

/*
 * Reap @n READs queued by queue_direct_reads() with @stride: how many
 * read all 4096 bytes, and the right ones.
 */
static int reap_direct_reads(struct asyncx_ring *ring, const char *buf,
			     const char *pattern, int n, int stride)
{
	struct asyncx_cqe cqe;
	int good = 0;

	for (int i = 0; i < n; i++) {
		if (wait_one(ring, &cqe, 5000))
			break;
		if (cqe.res == 4096 &&
		    !memcmp(buf + cqe.user_data * 4096,
			    pattern + ((cqe.user_data * stride) % 256) * 4096,
			    4096))
			good++;
		else
			fprintf(stderr, "# read %llu: %d\n",
				(unsigned long long)cqe.user_data, cqe.res);
	}
	return good;
}

/*
 * 32 O_DIRECT READs of 4 KiB, each its own block: all issued at
 * submission with no thread (the context never makes an I/O worker), each
 * completed by the device's interrupt with the right data; then WRITEs,
 * read back with pread(2), and READs into a registered buffer.
 */
TEST_F(files, direct_io_completes_from_the_device)
{
	struct asyncx_ring *ring = &self->ring;
	char *pattern, *buf;
	int fd;

	fd = direct_setup(&pattern);
	ASSERT_LE(0, fd);
	buf = direct_ring(ring, 64, 32);
	ASSERT_NE(NULL, buf);
	queue_direct_reads(ring, fd, buf, 32, 7);
	ASSERT_EQ(32, asyncx_submit(ring));
	EXPECT_EQ(32, reap_direct_reads(ring, buf, pattern, 32, 7));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));

	/* WRITE: the device has the data when the CQE comes. */
	memset(buf, 0x5a, 8192);
	asyncx_prep_write(asyncx_get_sqe(ring), fd, buf, 8192, 65536);
	EXPECT_EQ(8192, run1(ring));
	memset(buf + 8192, 0, 8192);
	EXPECT_EQ(8192, pread(fd, buf + 8192, 8192, 65536));
	EXPECT_EQ(0, memcmp(buf, buf + 8192, 8192));

	/* A registered buffer: its pinned pages, with the same device I/O. */
	struct iovec reg = { buf, 32 * 4096 };
	struct asyncx_sqe *sqe;

	ASSERT_EQ(0, asyncx_register_buffers(ring, &reg, 1));
	memset(buf, 0, 4096);
	sqe = asyncx_get_sqe(ring);
	asyncx_prep_read_fixed(sqe, fd, buf, 4096, 4096, 0);
	EXPECT_EQ(4096, run1(ring));
	EXPECT_EQ(0, memcmp(buf, pattern + 4096, 4096));
	EXPECT_EQ(0, fdinfo(ring, "io-workers"));
	free(buf);
	free(pattern);
	close(fd);
}

/*
 * More O_DIRECT READs at once than the device has tags (null_blk: 64):
 * the ones it refuses at submission (-EAGAIN from the device, for an I/O
 * issued with IOCB_NOWAIT) are issued again, blocking, on an I/O worker.
 * Every READ gets its data.
 */
TEST_F(files, direct_reads_beyond_the_queue_depth)
{
	struct asyncx_ring *ring = &self->ring;
	char *pattern, *buf;
	int fd;

	fd = direct_setup(&pattern);
	ASSERT_LE(0, fd);
	buf = direct_ring(ring, 256, 256);
	ASSERT_NE(NULL, buf);
	queue_direct_reads(ring, fd, buf, 256, 1);
	ASSERT_EQ(256, asyncx_submit(ring));
	EXPECT_EQ(256, reap_direct_reads(ring, buf, pattern, 256, 1));
	free(buf);
	free(pattern);
	close(fd);
}

/* Each bad O_DIRECT READ gives what pread(2) gives. */
TEST_F(files, direct_errors_as_pread)
{
	struct asyncx_ring *ring = &self->ring;
	unsigned long long size;
	char *pattern, *buf;
	int fd;

	fd = direct_setup(&pattern);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, BLKGETSIZE64, &size));
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 3 * 4096));
	struct { const char *what; size_t boff; size_t len; long long off; } c[] = {
		{ "misaligned buffer", 1, 4096, 0 },
		{ "misaligned offset", 0, 4096, 1 },
		{ "odd length", 0, 100, 0 },
		{ "at the end", 0, 4096, size },
		{ "across the end", 0, 8192, size - 4096 },
		{ "aligned", 0, 8192, 4096 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ssize_t want = pread(fd, buf + c[i].boff, c[i].len, c[i].off);

		if (want < 0)
			want = -errno;
		asyncx_prep_read(asyncx_get_sqe(ring), fd, buf + c[i].boff,
				 c[i].len, c[i].off);
		EXPECT_EQ(want, run1(ring)) TH_LOG("%s", c[i].what);
	}
	free(buf);
	free(pattern);
	close(fd);
}

/*
 * A CANCEL of an O_DIRECT READ the device has cannot take it back: it
 * answers -EALREADY, and the READ completes with its data. (A CANCEL that
 * comes as the READ completes answers 0 or -ENOENT: then the READ has its
 * data too.) A READ is -ECANCELED only when its CANCEL said 0, and then no
 * I/O was issued for it.
 */
TEST_F(files, direct_read_in_flight_is_not_cancelled)
{
	struct asyncx_ring *ring = &self->ring;
	int read_res[8], cancel_res[8];
	struct asyncx_cqe cqe;
	char *pattern, *buf;
	int fd, already = 0;

	fd = direct_setup(&pattern);
	ASSERT_LE(0, fd);
	buf = direct_ring(ring, 128, 8);
	ASSERT_NE(NULL, buf);
	for (int round = 0; round < 16; round++) {
		queue_direct_reads(ring, fd, buf, 8, 1);
		/*
		 * The CANCELs in a submission of their own: in the same one
		 * they would run before the READs' tries (which come after
		 * the context's lock is dropped), and stop every one.
		 */
		ASSERT_EQ(8, asyncx_submit(ring));
		for (int i = 0; i < 8; i++) {
			struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

			asyncx_prep_cancel(sqe, i, 0);
			asyncx_sqe_set_data64(sqe, 100 + i);
		}
		ASSERT_EQ(8, asyncx_submit(ring));
		for (int i = 0; i < 16; i++) {
			ASSERT_EQ(0, wait_one(ring, &cqe, 2000));
			if (cqe.user_data >= 100)
				cancel_res[cqe.user_data - 100] = cqe.res;
			else
				read_res[cqe.user_data] = cqe.res;
		}
		for (int i = 0; i < 8; i++) {
			if (cancel_res[i] == -EALREADY)
				already++;
			if (cancel_res[i] == 0 && read_res[i] == -ECANCELED)
				continue;
			EXPECT_TRUE(cancel_res[i] == -EALREADY ||
				    cancel_res[i] == -ENOENT ||
				    cancel_res[i] == 0) TH_LOG("%d", cancel_res[i]);
			EXPECT_EQ(4096, read_res[i]);
			EXPECT_EQ(0, memcmp(buf + i * 4096, pattern + i * 4096,
					    4096));
		}
	}
	/* The device takes 5 ms: many of them were in flight. */
	TH_LOG("%d of 128 CANCELs found the READ with the device", already);
	EXPECT_LE(64, already);
	free(buf);
	free(pattern);
	close(fd);
}

/*
 * Closing a context whose O_DIRECT READs the device still has: the
 * context goes once the device is done, and nothing is left.
 */
TEST_F(files, close_with_direct_io_in_flight)
{
	struct asyncx_ring *ring = &self->ring;
	char *pattern, *buf;
	long before;
	int fd;

	fd = direct_setup(&pattern);
	ASSERT_LE(0, fd);
	buf = direct_ring(ring, 64, 64);
	ASSERT_NE(NULL, buf);
	asyncx_queue_exit(ring);
	before = live_contexts();
	for (int round = 0; round < 8; round++) {
		ASSERT_EQ(0, asyncx_queue_init(64, ring, 0));
		queue_direct_reads(ring, fd, buf, 64, 1);
		ASSERT_EQ(64, asyncx_submit(ring));
		asyncx_queue_exit(ring);
	}
	for (int i = 0; i < 200 && live_contexts() != before; i++)
		usleep(10 * 1000);
	EXPECT_EQ(before, live_contexts());
	/* The fixture's teardown closes a ring again. */
	ASSERT_EQ(0, asyncx_queue_init(8, ring, 0));
	free(buf);
	free(pattern);
	close(fd);
}

struct direct_job {
	struct asyncx_ring	*ring;
	char			*buf;
	int			fd;
};

/* A thread that submits 64 O_DIRECT READs and exits at once. */
static void *submit_and_exit(void *arg)
{
	struct direct_job *j = arg;

	queue_direct_reads(j->ring, j->fd, j->buf, 64, 1);
	return (void *)(long)asyncx_submit(j->ring);
}

/* A child that submits 64 O_DIRECT READs and exits without a close. */
static int child_submits_and_exits(void *arg)
{
	struct direct_job *j = arg;
	struct asyncx_ring ring;

	if (asyncx_queue_init(64, &ring, 0))
		return 1;
	queue_direct_reads(&ring, j->fd, j->buf, 64, 1);
	return asyncx_submit(&ring) == 64 ? 0 : 1;
}

/*
 * An O_DIRECT READ issued at submission is completed from its submitting
 * thread's task work (as io_uring's): a thread that exits before the
 * device is done leaves its READs to complete all the same (from a
 * workqueue), with their data, in the ring that other threads reap; and a
 * process that exits leaves nothing behind.
 */
TEST_F(files, direct_reads_outlive_their_submitter)
{
	struct asyncx_ring *ring = &self->ring;
	struct direct_job j = { .ring = ring };
	char *pattern;
	pthread_t t;
	void *ret;
	long before;

	j.fd = direct_setup(&pattern);
	ASSERT_LE(0, j.fd);
	j.buf = direct_ring(ring, 64, 64);
	ASSERT_NE(NULL, j.buf);
	for (int round = 0; round < 4; round++) {
		ASSERT_EQ(0, pthread_create(&t, NULL, submit_and_exit, &j));
		ASSERT_EQ(0, pthread_join(t, &ret));
		ASSERT_EQ(64, (long)ret);
		EXPECT_EQ(64, reap_direct_reads(ring, j.buf, pattern, 64, 1));
	}
	EXPECT_EQ(0, fdinfo(ring, "inflight"));

	asyncx_queue_exit(ring);
	before = live_contexts();
	for (int round = 0; round < 4; round++)
		EXPECT_EQ(0, in_child(child_submits_and_exits, &j));
	for (int i = 0; i < 200 && live_contexts() != before; i++)
		usleep(10 * 1000);
	EXPECT_EQ(before, live_contexts());
	ASSERT_EQ(0, asyncx_queue_init(8, ring, 0));
	free(j.buf);
	free(pattern);
	close(j.fd);
}

static void statx_expect_same(struct __test_metadata *_metadata,
			      const struct statx *a, const struct statx *b,
			      const char *what)
{
	EXPECT_EQ(a->stx_mask & ~STATX_MNT_ID, b->stx_mask) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_ino, b->stx_ino) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_mode, b->stx_mode) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_size, b->stx_size) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_uid, b->stx_uid) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_nlink, b->stx_nlink) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_blocks, b->stx_blocks) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_mtime.tv_sec, b->stx_mtime.tv_sec) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_mtime.tv_nsec, b->stx_mtime.tv_nsec) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_dev_major, b->stx_dev_major) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_dev_minor, b->stx_dev_minor) TH_LOG("%s", what);
	EXPECT_EQ(a->stx_attributes, b->stx_attributes) TH_LOG("%s", what);
}

TEST_F(files, statx_as_statx2)
{
	struct asyncx_ring *ring = &self->ring;
	int fd = pattern_file(self->dir, "st", 1234);
	struct statx a, b;
	struct {
		const char *what;
		int dirfd;
		const char *path;
		int flags;
		unsigned int mask;
	} cases[] = {
		{ "relative", -2, "st", 0, STATX_BASIC_STATS },
		{ "symlink followed", -2, "ln", 0, STATX_BASIC_STATS },
		{ "symlink itself", -2, "ln", AT_SYMLINK_NOFOLLOW, STATX_ALL },
		{ "empty path on the fd", -3, "", AT_EMPTY_PATH, STATX_SIZE },
		{ "the root", -100, "/", 0, STATX_BASIC_STATS },
		{ "a directory", -100, "/proc", 0, STATX_BASIC_STATS },
	};
	struct {
		const char *what;
		int dirfd;
		const char *path;
		int flags;
		unsigned int mask;
	} bad[] = {
		{ "missing", -2, "nope", 0, STATX_BASIC_STATS },
		{ "empty without the flag", -2, "", 0, STATX_BASIC_STATS },
		{ "bad flags", -2, "st", 0x1, STATX_BASIC_STATS },
		{ "both sync types", -2, "st", AT_STATX_SYNC_TYPE, STATX_BASIC_STATS },
		{ "reserved mask bit", -2, "st", 0, 0x80000000U },
		{ "dirfd is a file", -3, "x", 0, STATX_BASIC_STATS },
		{ "bad dirfd", 12345, "st", 0, STATX_BASIC_STATS },
	};

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, symlinkat("st", self->dfd, "ln"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int d = open_dirfd(cases[i].dirfd, self->dfd, fd);

		memset(&a, 0, sizeof(a));
		memset(&b, 0xff, sizeof(b));
		ASSERT_EQ(0, statx(d, cases[i].path, cases[i].flags,
				   cases[i].mask, &a)) TH_LOG("%s", cases[i].what);
		asyncx_prep_statx(asyncx_get_sqe(ring), d, cases[i].path,
				  cases[i].flags, cases[i].mask, &b);
		ASSERT_EQ(0, run1(ring)) TH_LOG("%s", cases[i].what);
		statx_expect_same(_metadata, &a, &b, cases[i].what);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int d = open_dirfd(bad[i].dirfd, self->dfd, fd);
		int want = statx(d, bad[i].path, bad[i].flags, bad[i].mask,
				 &a) ? -errno : 0;

		asyncx_prep_statx(asyncx_get_sqe(ring), d, bad[i].path,
				  bad[i].flags, bad[i].mask, &b);
		EXPECT_EQ(want, run1(ring)) TH_LOG("%s", bad[i].what);
		EXPECT_NE(0, want) TH_LOG("%s", bad[i].what);
	}
	/* A buffer that cannot be written. */
	asyncx_prep_statx(asyncx_get_sqe(ring), self->dfd, "st", 0,
			  STATX_BASIC_STATS, (struct statx *)8);
	EXPECT_EQ(-EFAULT, run1(ring));
	close(fd);
}

TEST_HARNESS_MAIN
