// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cat: concatenate files (or standard input) to standard output, with
 * READ chains: each file is opened by an OPENAT in the ring, read in blocks
 * of BLOCK bytes by CHAIN READs, each linked (ASYNCX_SQE_LINK) to the WRITE
 * of its buffer to standard output and that to the next READ, so that one
 * submission moves CHAIN blocks in order with no round trip through this
 * program; the file is closed by a CLOSE in the ring.
 *
 *   cat [FILE...]     as cat(1); "-" or nothing: standard input
 *
 * Reads are at the file position, so pipes and terminals work too. A
 * READ that returns less than a block (the end, or a pipe with less
 * ready) breaks its chain: its WRITE and the rest complete with
 * -ECANCELED. So does a short WRITE (standard output is a pipe that had
 * less room: a WRITE is not a blocking write(2), and may be short, as
 * io_uring's). The program writes what is left of that block and, unless
 * the READ was the end (0), goes on with a new chain. Exits 0, or 1 after
 * an error (reported as cat(1) does).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <asyncx.h>

#define BLOCK	(64 * 1024)
#define CHAIN	8

static char bufs[CHAIN][BLOCK];

/* Write @len bytes of @buf to standard output through the ring. */
static int ring_write_all(struct asyncx_ring *ring, const char *buf, int len)
{
	struct asyncx_cqe *cqe;
	int res;

	while (len > 0) {
		asyncx_prep_write(asyncx_get_sqe(ring), 1, buf, len, (__u64)-1);
		if (asyncx_submit_and_wait(ring, 1) < 0 ||
		    asyncx_wait_cqe(ring, &cqe))
			return -EIO;
		res = cqe->res;
		asyncx_cqe_seen(ring, cqe);
		if (res <= 0)
			return res < 0 ? res : -EIO;
		buf += res;
		len -= res;
	}
	return 0;
}

/* Copy @fd to standard output, CHAIN blocks a submission. */
static int cat_fd(struct asyncx_ring *ring, int fd)
{
	for (;;) {
		int got[CHAIN], wrote[CHAIN], broken = -1, ret;
		struct asyncx_cqe *cqe;

		for (int i = 0; i < CHAIN; i++) {
			struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

			asyncx_prep_read(sqe, fd, bufs[i], BLOCK, (__u64)-1);
			asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
			asyncx_sqe_set_data64(sqe, 2 * i);
			sqe = asyncx_get_sqe(ring);
			asyncx_prep_write(sqe, 1, bufs[i], BLOCK, (__u64)-1);
			if (i < CHAIN - 1)
				asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
			asyncx_sqe_set_data64(sqe, 2 * i + 1);
		}
		ret = asyncx_submit_and_wait(ring, 2 * CHAIN);
		if (ret < 0)
			return ret;
		for (int n = 0; n < 2 * CHAIN; n++) {
			if (asyncx_wait_cqe(ring, &cqe))
				return -EIO;
			if (cqe->user_data & 1)
				wrote[cqe->user_data / 2] = cqe->res;
			else
				got[cqe->user_data / 2] = cqe->res;
			asyncx_cqe_seen(ring, cqe);
		}
		/*
		 * The first short READ or short WRITE broke the chain; what
		 * came after it did nothing (-ECANCELED).
		 */
		for (int i = 0; i < CHAIN && broken < 0; i++) {
			if (got[i] < 0)
				return got[i];
			if (got[i] != BLOCK || wrote[i] != BLOCK)
				broken = i;
		}
		if (broken < 0)
			continue;
		/* The rest of its block: all of it if its WRITE was cancelled. */
		if (wrote[broken] < 0 && wrote[broken] != -ECANCELED)
			return wrote[broken];
		ret = wrote[broken] < 0 ? 0 : wrote[broken];
		ret = ring_write_all(ring, bufs[broken] + ret, got[broken] - ret);
		if (ret)
			return ret;
		if (got[broken] == 0)
			return 0;
	}
}

int main(int argc, char **argv)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	int ret, status = 0;

	ret = asyncx_queue_init(2 * CHAIN, &ring, 0);
	if (ret) {
		fprintf(stderr, "cat: %s\n", strerror(-ret));
		return 1;
	}
	for (int i = 1; i < argc || i == 1; i++) {
		const char *name = i < argc ? argv[i] : "-";
		int fd = 0;

		if (strcmp(name, "-")) {
			asyncx_prep_openat(asyncx_get_sqe(&ring), AT_FDCWD, name,
					   O_RDONLY | O_CLOEXEC, 0);
			if (asyncx_submit_and_wait(&ring, 1) < 0 ||
			    asyncx_wait_cqe(&ring, &cqe))
				return 1;
			fd = cqe->res;
			asyncx_cqe_seen(&ring, cqe);
			if (fd < 0) {
				fprintf(stderr, "cat: %s: %s\n", name, strerror(-fd));
				status = 1;
				continue;
			}
		}
		ret = cat_fd(&ring, fd);
		if (ret) {
			fprintf(stderr, "cat: %s: %s\n", name, strerror(-ret));
			status = 1;
		}
		if (fd) {
			asyncx_prep_close(asyncx_get_sqe(&ring), fd);
			if (asyncx_submit_and_wait(&ring, 1) < 0 ||
			    asyncx_wait_cqe(&ring, &cqe))
				return 1;
			asyncx_cqe_seen(&ring, cqe);
		}
	}
	asyncx_queue_exit(&ring);
	return status;
}
