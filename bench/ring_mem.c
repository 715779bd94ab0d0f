// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ring_mem: the kernel memory an operation holds while it is in flight,
 * through /dev/asyncx (libasyncx) and through io_uring (liburing), by slab
 * accounting: N operations that cannot complete are submitted on a ring
 * set up beforehand, and the growth of the kernel's slab memory
 * (/proc/meminfo: Slab) is divided by N.
 *
 *   ring_mem SYS OP N
 *     SYS  asyncx | io_uring
 *     OP   timeout (one hour) | poll (POLLIN on an empty pipe) | read (of
 *          an empty pipe)
 *     N    operations in flight (a multiple of 128, at most 32768)
 *
 * Prints one CSV line: sys,op,n,slab_bytes,bytes_per_op. Every operation is
 * checked to be in flight (no CQE before the ring is closed); exits non-zero
 * otherwise. The CQ is the default size: the operations are cancelled by
 * the close, and their CQEs are not wanted. The measurement is of the whole kernel, so the VM must be
 * otherwise idle; the ring itself (its mapped memory) is set up before the
 * first reading and is not counted.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <asyncx.h>
#include <liburing.h>

#define BATCH	128

static struct __kernel_timespec ts_hour = { .tv_sec = 3600 };
static char buf[64];

enum op { OP_TIMEOUT, OP_POLL, OP_READ };

/* Slab memory in bytes: the kernel's own total, from /proc/meminfo. */
static long slab_bytes(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	/* Let RCU-freed objects and per-CPU slab caches settle first. */
	usleep(200000);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static int fill_asyncx(enum op op, unsigned int n, int pfd, long *delta)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	unsigned int i, j;
	long before;
	int ret;

	ret = asyncx_queue_init(BATCH, &ring, 0);
	if (ret)
		return ret;
	before = slab_bytes();
	for (i = 0; i < n; i += BATCH) {
		for (j = 0; j < BATCH; j++) {
			struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

			if (op == OP_TIMEOUT)
				asyncx_prep_timeout(sqe, &ts_hour, 0);
			else if (op == OP_POLL)
				asyncx_prep_poll(sqe, pfd, POLLIN);
			else
				asyncx_prep_read(sqe, pfd, buf, sizeof(buf), -1ULL);
		}
		ret = asyncx_submit(&ring);
		if (ret != BATCH) {
			ret = ret < 0 ? ret : -EIO;
			goto out;
		}
	}
	*delta = slab_bytes() - before;
	/* None of them may have completed. */
	ret = asyncx_peek_cqe(&ring, &cqe) ? 0 : -EPROTO;
	if (ret)
		fprintf(stderr, "ring_mem: a CQE came back: %d\n", cqe->res);
out:
	asyncx_queue_exit(&ring);
	return ret;
}

static int fill_uring(enum op op, unsigned int n, int pfd, long *delta)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int i, j;
	long before;
	int ret;

	ret = io_uring_queue_init(BATCH, &ring, 0);
	if (ret)
		return ret;
	before = slab_bytes();
	for (i = 0; i < n; i += BATCH) {
		for (j = 0; j < BATCH; j++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (op == OP_TIMEOUT)
				io_uring_prep_timeout(sqe, &ts_hour, 0, 0);
			else if (op == OP_POLL)
				io_uring_prep_poll_add(sqe, pfd, POLLIN);
			else
				io_uring_prep_read(sqe, pfd, buf, sizeof(buf), -1ULL);
		}
		ret = io_uring_submit(&ring);
		if (ret != BATCH) {
			ret = ret < 0 ? ret : -EIO;
			goto out;
		}
	}
	*delta = slab_bytes() - before;
	ret = io_uring_peek_cqe(&ring, &cqe) ? 0 : -EPROTO;
	if (ret)
		fprintf(stderr, "ring_mem: a CQE came back: %d\n", cqe->res);
out:
	io_uring_queue_exit(&ring);
	return ret;
}

static void usage(void)
{
	fprintf(stderr, "usage: ring_mem asyncx|io_uring timeout|poll|read N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long delta = 0;
	unsigned int n;
	int p[2], ret;
	enum op op;

	if (argc != 4)
		usage();
	if (!strcmp(argv[2], "timeout"))
		op = OP_TIMEOUT;
	else if (!strcmp(argv[2], "poll"))
		op = OP_POLL;
	else if (!strcmp(argv[2], "read"))
		op = OP_READ;
	else
		usage();
	n = strtoul(argv[3], NULL, 0);
	if (!n || n % BATCH || n > 32768)
		usage();
	if (pipe(p))
		return 1;
	if (!strcmp(argv[1], "asyncx"))
		ret = fill_asyncx(op, n, p[0], &delta);
	else if (!strcmp(argv[1], "io_uring"))
		ret = fill_uring(op, n, p[0], &delta);
	else
		usage();
	close(p[0]);
	close(p[1]);
	if (ret) {
		fprintf(stderr, "ring_mem: %s\n", strerror(-ret));
		return 1;
	}
	printf("%s,%s,%u,%ld,%.0f\n", argv[1], argv[2], n, delta, (double)delta / n);
	return 0;
}
