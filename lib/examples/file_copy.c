// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * file_copy: copy a file with linked READ -> WRITE pairs, several in flight,
 * as liburing's link-cp does.
 *
 *   file_copy              copy a generated temporary file of 3 MiB + 12345
 *                          bytes (in $TMPDIR, else /tmp) and remove both
 *   file_copy SRC DST      copy SRC to DST (created or truncated)
 *
 * The file is cut into blocks of BLOCK bytes; up to QUEUE_DEPTH blocks are
 * in flight at once, each as a READ at the block's offset linked
 * (ASYNCX_SQE_LINK) to a WRITE of the same buffer at the same offset, so the
 * write starts only once the read has filled the buffer, with no round trip
 * through this program. Reads always ask for a whole block, so the read of
 * the last block of a file whose size is not a multiple of BLOCK comes back
 * short, and a short READ fails its link: its WRITE completes with
 * -ECANCELED without writing anything. The program then writes the bytes
 * the read did return with a WRITE of its own, and, if the read stopped
 * before both the block's end and the end of the file, reads the rest of the
 * block with a new pair. A short WRITE is continued the same way.
 *
 * Afterwards both files are compared byte for byte (with plain pread(2)).
 * Exits 0 when they are equal and every cancelled WRITE was one after a
 * short READ (with the generated file: at least one was); 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asyncx.h>

#define BLOCK		(64 * 1024)
#define QUEUE_DEPTH	8
#define GEN_SIZE	(3 * 1024 * 1024 + 12345)

/* One block in flight. */
struct slot {
	char		*buf;
	__u64		pos;	/* file offset of buf[0] */
	__u64		end;	/* end of the block (may lie past EOF) */
	unsigned int	wlen;	/* bytes of buf the current WRITE covers */
	unsigned int	wdone;	/* of those, bytes written so far */
	int		got;	/* the READ's result; -1 until it came */
	bool		busy;
};

static struct slot slots[QUEUE_DEPTH];
static unsigned long short_reads, cancelled_writes, short_writes, pairs;

/* user_data: the slot's index, and which of the two ops it is. */
#define UD(i, is_write)	((__u64)(i) << 1 | (is_write))
#define UD_SLOT(ud)	((unsigned int)((ud) >> 1))
#define UD_IS_WRITE(ud)	((unsigned int)((ud) & 1))

/*
 * Queue the READ of [pos, end) linked to the WRITE of the same bytes. The
 * SQ has room for two SQEs per slot, so asyncx_get_sqe() cannot fail.
 */
static void queue_pair(struct asyncx_ring *ring, int in, int out,
		       unsigned int i)
{
	struct slot *s = &slots[i];
	unsigned int len = (unsigned int)(s->end - s->pos);
	struct asyncx_sqe *sqe;

	sqe = asyncx_get_sqe(ring);
	asyncx_prep_read(sqe, in, s->buf, len, s->pos);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	asyncx_sqe_set_data64(sqe, UD(i, 0));

	sqe = asyncx_get_sqe(ring);
	asyncx_prep_write(sqe, out, s->buf, len, s->pos);
	asyncx_sqe_set_data64(sqe, UD(i, 1));

	s->got = -1;
	s->wlen = len;
	s->wdone = 0;
	s->busy = true;
	pairs++;
}

/* Queue a WRITE of what is left of buf[wdone, wlen), on its own. */
static void queue_write(struct asyncx_ring *ring, int out, unsigned int i)
{
	struct slot *s = &slots[i];
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_write(sqe, out, s->buf + s->wdone, s->wlen - s->wdone,
			  s->pos + s->wdone);
	asyncx_sqe_set_data64(sqe, UD(i, 1));
}

/* Handle one CQE; returns 0, or -1 on an error that ends the copy. */
static int complete(struct asyncx_ring *ring, int in, int out, __u64 size,
		    __u64 user_data, int res)
{
	unsigned int i = UD_SLOT(user_data);
	struct slot *s;

	if (i >= QUEUE_DEPTH || !slots[i].busy) {
		fprintf(stderr, "file_copy: CQE with unknown user_data %llu\n",
			(unsigned long long)user_data);
		return -1;
	}
	s = &slots[i];

	if (!UD_IS_WRITE(user_data)) {
		/* The READ's CQE always comes before its WRITE's. */
		if (res < 0) {
			fprintf(stderr, "file_copy: read at %llu: %s\n",
				(unsigned long long)s->pos, strerror(-res));
			return -1;
		}
		s->got = res;
		if ((unsigned int)res < s->wlen)
			short_reads++;
		return 0;
	}

	if (res == -ECANCELED) {
		/* The READ was short: write what it did return. */
		cancelled_writes++;
		if (s->got <= 0) {
			fprintf(stderr, "file_copy: read at %llu: %s\n",
				(unsigned long long)s->pos,
				s->got ? "no result before its write's" :
					 "end of file (did the file shrink?)");
			return -1;
		}
		s->wlen = (unsigned int)s->got;
		s->wdone = 0;
		queue_write(ring, out, i);
		return 0;
	}
	if (res < 0) {
		fprintf(stderr, "file_copy: write at %llu: %s\n",
			(unsigned long long)(s->pos + s->wdone), strerror(-res));
		return -1;
	}
	if (res == 0 && s->wlen) {
		fprintf(stderr, "file_copy: write at %llu wrote nothing\n",
			(unsigned long long)(s->pos + s->wdone));
		return -1;
	}

	s->wdone += (unsigned int)res;
	if (s->wdone < s->wlen) {
		short_writes++;
		queue_write(ring, out, i);
		return 0;
	}
	/* buf[0, wlen) is in place. The rest of the block, if the read
	 * stopped short of both the block's end and the end of the file.
	 */
	s->pos += s->wlen;
	if (s->pos < s->end && s->pos < size)
		queue_pair(ring, in, out, i);
	else
		s->busy = false;
	return 0;
}

static int copy(int in, int out, __u64 size)
{
	/* No CQE should take this long, even on a slow emulated kernel. */
	struct __kernel_timespec guard = { .tv_sec = 30 };
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	__u64 next = 0;
	unsigned int i, head, seen;
	int ret, busy, err = 0;

	/* Two SQEs per slot; the CQ (2x) holds every CQE that can be due. */
	ret = asyncx_queue_init(2 * QUEUE_DEPTH, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "file_copy: cannot set up a ring on %s: %s%s\n",
			ASYNCX_DEVICE_PATH, strerror(-ret),
			ret == -ENOENT ? " (is the asyncx module loaded?)" : "");
		return -1;
	}

	for (;;) {
		busy = 0;
		for (i = 0; i < QUEUE_DEPTH; i++) {
			if (!slots[i].busy && next < size) {
				slots[i].pos = next;
				slots[i].end = next + BLOCK;
				next += BLOCK;
				queue_pair(&ring, in, out, i);
			}
			busy += slots[i].busy;
		}
		if (!busy)
			break;

		ret = asyncx_submit(&ring);
		if (ret < 0) {
			/* -EBUSY cannot be: no more CQEs are due than fit. */
			fprintf(stderr, "file_copy: submit: %s\n",
				strerror(-ret));
			err = 1;
			break;
		}
		ret = asyncx_wait_cqe_timeout(&ring, &cqe, &guard);
		if (ret < 0) {
			fprintf(stderr, "file_copy: wait: %s\n", strerror(-ret));
			err = 1;
			break;
		}
		seen = 0;
		asyncx_for_each_cqe(&ring, head, cqe) {
			if (complete(&ring, in, out, size, cqe->user_data,
				     cqe->res))
				err = 1;
			seen++;
			if (err)
				break;
		}
		asyncx_cq_advance(&ring, seen);
		if (err)
			break;
	}

	/* After an error, closing the ring cancels what is in flight. */
	asyncx_queue_exit(&ring);
	return err ? -1 : 0;
}

/* Compare the two files byte for byte. */
static int verify(int a, int b, __u64 size)
{
	static char x[BLOCK], y[BLOCK];
	struct stat st;
	__u64 off;
	ssize_t n, m;

	if (fstat(b, &st) || (__u64)st.st_size != size) {
		fprintf(stderr, "file_copy: the copy has %lld bytes, not %llu\n",
			(long long)st.st_size, (unsigned long long)size);
		return -1;
	}
	for (off = 0; off < size; off += (__u64)n) {
		n = pread(a, x, sizeof(x), (off_t)off);
		m = pread(b, y, sizeof(y), (off_t)off);
		if (n <= 0 || n != m || memcmp(x, y, (size_t)n)) {
			fprintf(stderr, "file_copy: the copy differs in the %d bytes at %llu\n",
				BLOCK, (unsigned long long)off);
			return -1;
		}
	}
	return 0;
}

/* Fill @fd with @size pseudo-random bytes (xorshift64). */
static int generate(int fd, __u64 size)
{
	static unsigned char buf[BLOCK];
	__u64 x = 0x9e3779b97f4a7c15ULL, done = 0;
	size_t i, n;

	while (done < size) {
		n = size - done < sizeof(buf) ? (size_t)(size - done) : sizeof(buf);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (unsigned char)x;
		}
		if (write(fd, buf, n) != (ssize_t)n)
			return -1;
		done += n;
	}
	return 0;
}

static int open_temp(char *path, size_t len, const char *dir, const char *what)
{
	int fd;

	snprintf(path, len, "%s/file_copy.%s.XXXXXX", dir, what);
	fd = mkstemp(path);
	if (fd < 0)
		fprintf(stderr, "file_copy: mkstemp %s: %s\n", path,
			strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	char src_path[4096], dst_path[4096];
	const char *dir = getenv("TMPDIR");
	bool generated = argc == 1;
	int in = -1, out = -1, ret = 1;
	struct stat st;
	unsigned int i;
	__u64 size;

	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: file_copy [SRC DST]\n");
		return 2;
	}
	for (i = 0; i < QUEUE_DEPTH; i++) {
		/* Zeroed: the module writes them, which valgrind cannot see. */
		slots[i].buf = calloc(1, BLOCK);
		if (!slots[i].buf) {
			fprintf(stderr, "file_copy: out of memory\n");
			return 1;
		}
	}

	if (generated) {
		if (!dir || !*dir)
			dir = "/tmp";
		in = open_temp(src_path, sizeof(src_path), dir, "src");
		out = open_temp(dst_path, sizeof(dst_path), dir, "dst");
		if (in < 0 || out < 0)
			goto out;
		if (generate(in, GEN_SIZE)) {
			fprintf(stderr, "file_copy: cannot write %s\n", src_path);
			goto out;
		}
	} else {
		snprintf(src_path, sizeof(src_path), "%s", argv[1]);
		snprintf(dst_path, sizeof(dst_path), "%s", argv[2]);
		in = open(src_path, O_RDONLY);
		if (in < 0) {
			fprintf(stderr, "file_copy: %s: %s\n", src_path,
				strerror(errno));
			goto out;
		}
		/* Read-write: verify() reads it back. */
		out = open(dst_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (out < 0) {
			fprintf(stderr, "file_copy: %s: %s\n", dst_path,
				strerror(errno));
			goto out;
		}
	}
	if (fstat(in, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "file_copy: %s is not a regular file\n",
			src_path);
		goto out;
	}
	size = (__u64)st.st_size;

	if (copy(in, out, size) || verify(in, out, size))
		goto out;
	printf("copied %llu bytes in %lu read/write pairs of up to %d bytes, %d in flight at most\n",
	       (unsigned long long)size, pairs, BLOCK, QUEUE_DEPTH);
	printf("%lu short reads, %lu cancelled writes resubmitted, %lu short writes\n",
	       short_reads, cancelled_writes, short_writes);
	if (cancelled_writes != short_reads ||
	    (size % BLOCK && !short_reads)) {
		fprintf(stderr, "file_copy: expected one cancelled write per short read, and a short read at the end\n");
		goto out;
	}
	printf("the copy is identical\n");
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (generated) {
		if (in >= 0)
			unlink(src_path);
		if (out >= 0)
			unlink(dst_path);
	}
	for (i = 0; i < QUEUE_DEPTH; i++)
		free(slots[i].buf);
	if (ret)
		printf("FAIL\n");
	return ret;
}
