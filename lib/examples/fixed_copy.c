// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fixed_copy: copy a file through registered buffers and registered files,
 * as io_uring programs do with IORING_REGISTER_BUFFERS, IORING_OP_READ_FIXED
 * and IOSQE_FIXED_FILE.
 *
 *   fixed_copy              copy a generated temporary file of 3 MiB + 12345
 *                           bytes (in $TMPDIR, else /tmp) and remove both
 *   fixed_copy SRC DST      copy SRC to DST (created or truncated)
 *
 * One buffer of QUEUE_DEPTH blocks of BLOCK bytes is registered (pinned
 * once), and the two files are registered (index 0: the source, 1: the
 * destination); the program then closes its own descriptors of both, so
 * every READ and WRITE reaches the files only through the ring's table. Up
 * to QUEUE_DEPTH blocks are in flight: each is a fixed READ into its block
 * of the buffer and, when it completes, a fixed WRITE of what it read; a
 * short READ or WRITE is continued with another one for the rest.
 *
 * Afterwards the files are compared byte for byte (with plain pread(2)),
 * and the buffers and files unregistered. Exits 0 when they are equal, 1
 * otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asyncx.h>

#define BLOCK		(64 * 1024)
#define QUEUE_DEPTH	8
#define GEN_SIZE	(3 * 1024 * 1024 + 12345)

#define FILE_IN		0	/* registered file indexes */
#define FILE_OUT	1

/* One block in flight: [pos, end) of the file, in buf. */
struct slot {
	char		*buf;
	__u64		pos;	/* file offset of the next byte to move */
	__u64		end;	/* end of the block (at most the file size) */
	unsigned int	have;	/* bytes read and not yet written */
	bool		busy;
};

static struct slot slots[QUEUE_DEPTH];

static void queue_read(struct asyncx_ring *ring, unsigned int i)
{
	struct slot *s = &slots[i];
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_read_fixed(sqe, FILE_IN, s->buf,
			       (unsigned int)(s->end - s->pos), s->pos, 0);
	asyncx_sqe_set_fixed_file(sqe);
	asyncx_sqe_set_data64(sqe, (__u64)i << 1);
}

static void queue_write(struct asyncx_ring *ring, unsigned int i)
{
	struct slot *s = &slots[i];
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_write_fixed(sqe, FILE_OUT, s->buf, s->have, s->pos, 0);
	asyncx_sqe_set_fixed_file(sqe);
	asyncx_sqe_set_data64(sqe, (__u64)i << 1 | 1);
}

static int copy(struct asyncx_ring *ring, __u64 size)
{
	struct asyncx_cqe *cqe;
	__u64 next = 0;
	unsigned int i, busy = 0;
	int ret;

	for (;;) {
		for (i = 0; i < QUEUE_DEPTH && next < size; i++) {
			struct slot *s = &slots[i];

			if (s->busy)
				continue;
			s->pos = next;
			s->end = next + BLOCK < size ? next + BLOCK : size;
			s->have = 0;
			s->busy = true;
			next = s->end;
			busy++;
			queue_read(ring, i);
		}
		if (!busy)
			return 0;
		ret = asyncx_submit_and_wait(ring, 1);
		if (ret < 0) {
			fprintf(stderr, "submit: %s\n", strerror(-ret));
			return -1;
		}
		while (asyncx_peek_cqe(ring, &cqe) == 0) {
			__u64 ud = asyncx_cqe_get_data64(cqe);
			struct slot *s = &slots[ud >> 1];
			int res = cqe->res;

			asyncx_cqe_seen(ring, cqe);
			if (res < 0) {
				fprintf(stderr, "%s at %llu: %s\n",
					ud & 1 ? "write" : "read",
					(unsigned long long)s->pos, strerror(-res));
				return -1;
			}
			if (!(ud & 1)) {
				if (res == 0) {
					fprintf(stderr, "source shrank\n");
					return -1;
				}
				s->have = (unsigned int)res;
				queue_write(ring, (unsigned int)(ud >> 1));
				continue;
			}
			/* A write: move on; a short one continues. */
			s->have -= (unsigned int)res;
			s->pos += (unsigned int)res;
			if (s->have) {
				memmove(s->buf, s->buf + res, s->have);
				queue_write(ring, (unsigned int)(ud >> 1));
			} else if (s->pos < s->end) {
				queue_read(ring, (unsigned int)(ud >> 1));
			} else {
				s->busy = false;
				busy--;
			}
		}
	}
}

static int compare(const char *a, const char *b, __u64 size)
{
	static char x[BLOCK], y[BLOCK];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	__u64 off;
	int ret = -1;

	if (fa < 0 || fb < 0)
		goto out;
	for (off = 0; off < size; off += BLOCK) {
		size_t n = size - off < BLOCK ? size - off : BLOCK;

		if (pread(fa, x, n, (off_t)off) != (ssize_t)n ||
		    pread(fb, y, n, (off_t)off) != (ssize_t)n ||
		    memcmp(x, y, n)) {
			fprintf(stderr, "files differ in block at %llu\n",
				(unsigned long long)off);
			goto out;
		}
	}
	ret = pread(fb, x, 1, (off_t)size) == 0 ? 0 : -1;
	if (ret)
		fprintf(stderr, "destination is longer than the source\n");
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return ret;
}

static int generate(char *path)
{
	int fd = mkstemp(path);
	char *buf = malloc(GEN_SIZE);
	size_t i;
	int ok;

	if (fd < 0 || !buf) {
		perror("generate");
		free(buf);
		return -1;
	}
	for (i = 0; i < GEN_SIZE; i++)
		buf[i] = (char)(i * 131 + (i >> 12));
	ok = write(fd, buf, GEN_SIZE) == GEN_SIZE;
	free(buf);
	close(fd);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char gsrc[4096], gdst[4096];
	const char *src, *dst, *tmp = getenv("TMPDIR");
	struct asyncx_ring ring;
	struct iovec iov;
	struct stat st;
	int fds[2], ret, status = 1;
	unsigned int i;
	void *mem;

	if (argc == 3) {
		src = argv[1];
		dst = argv[2];
	} else if (argc == 1) {
		snprintf(gsrc, sizeof(gsrc), "%s/fixed_copy.src.XXXXXX", tmp ? tmp : "/tmp");
		snprintf(gdst, sizeof(gdst), "%s/fixed_copy.dst.XXXXXX", tmp ? tmp : "/tmp");
		if (generate(gsrc))
			return 1;
		ret = mkstemp(gdst);
		if (ret < 0) {
			perror("mkstemp");
			unlink(gsrc);
			return 1;
		}
		close(ret);
		src = gsrc;
		dst = gdst;
	} else {
		fprintf(stderr, "usage: %s [SRC DST]\n", argv[0]);
		return 2;
	}

	fds[0] = open(src, O_RDONLY);
	fds[1] = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fds[0] < 0 || fds[1] < 0 || fstat(fds[0], &st)) {
		perror("open");
		goto out;
	}
	ret = asyncx_queue_init(2 * QUEUE_DEPTH, &ring, 0);
	if (ret) {
		fprintf(stderr, "asyncx_queue_init: %s\n", strerror(-ret));
		goto out;
	}
	/* Anonymous memory: pinnable. One buffer, one block per slot. */
	mem = mmap(NULL, QUEUE_DEPTH * BLOCK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		goto out_ring;
	}
	for (i = 0; i < QUEUE_DEPTH; i++)
		slots[i].buf = (char *)mem + (size_t)i * BLOCK;
	iov.iov_base = mem;
	iov.iov_len = QUEUE_DEPTH * BLOCK;
	ret = asyncx_register_buffers(&ring, &iov, 1);
	if (ret) {
		fprintf(stderr, "asyncx_register_buffers: %s\n", strerror(-ret));
		goto out_mem;
	}
	ret = asyncx_register_files(&ring, fds, 2);
	if (ret) {
		fprintf(stderr, "asyncx_register_files: %s\n", strerror(-ret));
		goto out_bufs;
	}
	/* The ring holds the files now: our descriptors are not needed. */
	close(fds[0]);
	close(fds[1]);
	fds[0] = fds[1] = -1;

	if (!copy(&ring, (__u64)st.st_size) &&
	    !compare(src, dst, (__u64)st.st_size)) {
		printf("copied %lld bytes through %d registered blocks of %d bytes\n",
		       (long long)st.st_size, QUEUE_DEPTH, BLOCK);
		status = 0;
	}
	ret = asyncx_unregister_files(&ring);
	if (ret) {
		fprintf(stderr, "asyncx_unregister_files: %s\n", strerror(-ret));
		status = 1;
	}
out_bufs:
	ret = asyncx_unregister_buffers(&ring);
	if (ret) {
		fprintf(stderr, "asyncx_unregister_buffers: %s\n", strerror(-ret));
		status = 1;
	}
out_mem:
	munmap(mem, QUEUE_DEPTH * BLOCK);
out_ring:
	asyncx_queue_exit(&ring);
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (argc == 1) {
		unlink(gsrc);
		unlink(gdst);
	}
	return status;
}
