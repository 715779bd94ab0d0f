// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * direct_copy: copy with O_DIRECT, the device doing the work: each block
 * is an O_DIRECT READ linked to an O_DIRECT WRITE of the same buffer, up to
 * QUEUE_DEPTH blocks in flight; the module issues each at submission and
 * the device's completion wakes it, so no thread waits for the device.
 *
 *   direct_copy SRC DST LEN    copy LEN bytes (a multiple of 4096) from
 *                              the start of SRC to the start of DST (block
 *                              devices, or files on a file system that
 *                              supports O_DIRECT), then compare them
 *
 * Buffers are 4096-aligned, as O_DIRECT needs. A READ that comes back
 * short (the end of SRC) fails its link, so its WRITE is cancelled: the
 * copy stops there with an error, as LEN promised more. Afterwards both
 * ranges are read back with O_DIRECT pread(2) and compared byte for byte.
 * Exits 0 when they are equal, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <asyncx.h>

#define BLOCK		(64 * 1024)
#define QUEUE_DEPTH	8
#define ALIGN		4096

/* user_data: the block's offset, and which of the two ops it is. */
#define UD(off, is_write)	((__u64)(off) | (is_write))

static int copy(struct asyncx_ring *ring, int in, int out, __u64 len,
		char *bufs)
{
	int free_slot[QUEUE_DEPTH], nfree = QUEUE_DEPTH, ret;
	unsigned int inflight = 0;
	__u64 next = 0, done = 0;
	struct asyncx_cqe *cqe;

	for (int i = 0; i < QUEUE_DEPTH; i++)
		free_slot[i] = i;
	while (done < len) {
		while (next < len && nfree) {
			int slot = free_slot[--nfree];
			unsigned int n = len - next < BLOCK ? len - next : BLOCK;
			char *buf = bufs + (size_t)slot * BLOCK;
			struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

			asyncx_prep_read(sqe, in, buf, n, next);
			asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
			/* (Offsets are 64 KiB-aligned: bit 0 and the slot fit.) */
			asyncx_sqe_set_data64(sqe, UD(next, 0) | (__u64)slot << 1);
			sqe = asyncx_get_sqe(ring);
			asyncx_prep_write(sqe, out, buf, n, next);
			asyncx_sqe_set_data64(sqe, UD(next, 1) | (__u64)slot << 1);
			next += n;
			inflight += 2;
		}
		ret = asyncx_submit_and_wait(ring, 1);
		if (ret < 0) {
			fprintf(stderr, "direct_copy: submit: %s\n", strerror(-ret));
			return -1;
		}
		while (!asyncx_peek_cqe(ring, &cqe)) {
			__u64 ud = cqe->user_data;
			int res = cqe->res;
			unsigned int want;

			asyncx_cqe_seen(ring, cqe);
			inflight--;
			want = len - (ud & ~(__u64)(BLOCK - 1)) < BLOCK ?
			       len - (ud & ~(__u64)(BLOCK - 1)) : BLOCK;
			if (res < 0 || (unsigned int)res != want) {
				fprintf(stderr, "direct_copy: %s at %llu: %d (%s)\n",
					ud & 1 ? "write" : "read",
					(unsigned long long)(ud & ~(__u64)(BLOCK - 1)),
					res, res < 0 ? strerror(-res) : "short");
				return -1;
			}
			if (ud & 1) {
				done += want;
				free_slot[nfree++] = (int)((ud >> 1) & (QUEUE_DEPTH - 1));
			}
		}
	}
	return inflight ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct asyncx_ring ring;
	char *bufs, *a, *b;
	int in, out, check, ret;
	__u64 len;

	if (argc != 4) {
		fprintf(stderr, "usage: direct_copy SRC DST LEN\n");
		return 2;
	}
	len = strtoull(argv[3], NULL, 0);
	if (!len || len % ALIGN) {
		fprintf(stderr, "direct_copy: LEN must be a multiple of %d\n", ALIGN);
		return 2;
	}
	in = open(argv[1], O_RDONLY | O_DIRECT);
	out = open(argv[2], O_WRONLY | O_DIRECT);
	if (in < 0 || out < 0) {
		perror("direct_copy: open (O_DIRECT)");
		return 1;
	}
	if (posix_memalign((void **)&bufs, ALIGN, (size_t)QUEUE_DEPTH * BLOCK) ||
	    posix_memalign((void **)&a, ALIGN, BLOCK) ||
	    posix_memalign((void **)&b, ALIGN, BLOCK))
		return 1;
	ret = asyncx_queue_init(2 * QUEUE_DEPTH, &ring, 0);
	if (ret) {
		fprintf(stderr, "direct_copy: queue_init: %s\n", strerror(-ret));
		return 1;
	}
	ret = copy(&ring, in, out, len, bufs);
	asyncx_queue_exit(&ring);
	check = open(argv[2], O_RDONLY | O_DIRECT);
	if (check < 0)
		ret = -1;
	for (__u64 off = 0; !ret && off < len; off += BLOCK) {
		size_t n = len - off < BLOCK ? len - off : BLOCK;

		if (pread(in, a, n, off) != (ssize_t)n ||
		    pread(check, b, n, off) != (ssize_t)n || memcmp(a, b, n)) {
			fprintf(stderr, "direct_copy: differs at %llu\n",
				(unsigned long long)off);
			ret = -1;
		}
	}
	printf("direct_copy: %llu bytes, %s\n", (unsigned long long)len,
	       ret ? "FAILED" : "identical");
	free(bufs);
	free(a);
	free(b);
	close(in);
	close(out);
	if (check >= 0)
		close(check);
	return ret ? 1 : 0;
}
