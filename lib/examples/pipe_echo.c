// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * pipe_echo: a poll-driven echo server over pipes, every byte of it moved
 * through an asyncx ring.
 *
 *   pipe_echo [MESSAGES]    default: 2000 messages
 *
 * A writer child sends MESSAGES lines of varying length into pipe A and
 * closes it. This program waits for pipe A with a one-shot ASYNCX_OP_POLL,
 * reads what is there with ASYNCX_OP_READ, echoes it into pipe B with
 * ASYNCX_OP_WRITE (again for the rest when a write is short), and only then
 * arms the poll again; a read of 0 bytes is the end of the stream. A reader
 * child reads pipe B to its end and compares it byte for byte with the lines
 * the writer sent. The program itself never calls read() or write() on a
 * pipe.
 *
 * One-shot polls re-armed after each echo keep at most one operation in
 * flight and need no bookkeeping; a multishot poll
 * (asyncx_prep_poll_multishot()) would save the re-arming but post CQEs
 * while a read is still in flight, which then need skipping.
 *
 * Exits 0 when the reader saw exactly what the writer wrote and the byte
 * counts of all three agree; 1 otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asyncx.h>

#define NO_OFFSET	((__u64)-1)	/* pipes have none: use the position */
#define MAX_LINE	256

/* What is in flight; the CQE's user_data says which. */
enum { OP_POLL = 1, OP_READ, OP_WRITE };

/*
 * Line @i of @n, into @buf (MAX_LINE bytes); returns its length. The writer
 * sends them, the reader checks against them: lengths vary from about 20 to
 * over 200 bytes so that reads see partial and several lines.
 */
static size_t make_line(unsigned int i, unsigned int n, char *buf)
{
	size_t len = (size_t)snprintf(buf, MAX_LINE, "line %u of %u: ", i, n);
	size_t pad = (i * 37) % 211, j;

	for (j = 0; j < pad; j++)
		buf[len++] = (char)('a' + (i + j) % 26);
	buf[len++] = '\n';
	return len;
}

/* Write all of @len bytes; for the children, which use plain syscalls. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void writer(int fd, unsigned int n)
{
	char line[MAX_LINE];
	unsigned int i;

	for (i = 0; i < n; i++)
		if (write_all(fd, line, make_line(i, n, line)))
			_exit(1);
	_exit(0);
}

/* Read the echo to its end and compare it with the lines sent. */
static void reader(int fd, unsigned int n)
{
	char want[MAX_LINE], got[4096];
	size_t want_len = 0, want_pos = 0;
	unsigned long long total = 0;
	unsigned int i = 0;
	ssize_t r, k;

	while ((r = read(fd, got, sizeof(got))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("pipe_echo: reader");
			_exit(1);
		}
		for (k = 0; k < r; k++) {
			if (want_pos == want_len) {
				if (i == n) {
					fprintf(stderr, "pipe_echo: reader: bytes after the last line\n");
					_exit(1);
				}
				want_len = make_line(i++, n, want);
				want_pos = 0;
			}
			if (got[k] != want[want_pos++]) {
				fprintf(stderr, "pipe_echo: reader: byte %llu differs (line %u)\n",
					total + (unsigned long long)k, i - 1);
				_exit(1);
			}
		}
		total += (unsigned long long)r;
	}
	if (i != n || want_pos != want_len) {
		fprintf(stderr, "pipe_echo: reader: stream ended in line %u of %u\n",
			i, n);
		_exit(1);
	}
	printf("reader: %u lines, %llu bytes, all as sent\n", n, total);
	fflush(stdout);		/* _exit() does not */
	_exit(0);
}

static pid_t spawn(void (*fn)(int, unsigned int), int fd, unsigned int n,
		   int close1, int close2, int close3)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Only this child's own end stays open, so EOF can be seen. */
		close(close1);
		close(close2);
		close(close3);
		fn(fd, n);
	}
	return pid;
}

/* Queue one operation and submit it. */
static int queue(struct asyncx_ring *ring, int op, int fd, void *buf,
		 unsigned int len)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);
	int ret;

	if (!sqe)
		return -EBUSY;	/* cannot happen: one op in flight at a time */
	if (op == OP_POLL)
		asyncx_prep_poll(sqe, fd, POLLIN);
	else if (op == OP_READ)
		asyncx_prep_read(sqe, fd, buf, len, NO_OFFSET);
	else
		asyncx_prep_write(sqe, fd, buf, len, NO_OFFSET);
	asyncx_sqe_set_data64(sqe, (__u64)op);
	ret = asyncx_submit(ring);
	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

/*
 * The echo loop: POLL(A) -> READ(A) -> WRITE(B)... -> POLL(A) ...; returns
 * the bytes echoed, or -1.
 */
static long long echo(struct asyncx_ring *ring, int in, int out)
{
	/* Zeroed: the module writes it, which valgrind cannot see. */
	static char buf[8192];
	/* No step should take this long, even on a slow emulated kernel. */
	struct __kernel_timespec guard = { .tv_sec = 20 };
	unsigned int filled = 0, written = 0;
	unsigned long polls = 0, reads = 0, writes = 0;
	long long total = 0;
	struct asyncx_cqe *cqe;
	int ret, op, res;

	ret = queue(ring, OP_POLL, in, NULL, 0);
	for (;;) {
		if (ret < 0) {
			fprintf(stderr, "pipe_echo: submit: %s\n", strerror(-ret));
			return -1;
		}
		ret = asyncx_wait_cqe_timeout(ring, &cqe, &guard);
		if (ret < 0) {
			fprintf(stderr, "pipe_echo: wait: %s\n", strerror(-ret));
			return -1;
		}
		op = (int)asyncx_cqe_get_data64(cqe);
		res = cqe->res;
		asyncx_cqe_seen(ring, cqe);
		if (res < 0) {
			fprintf(stderr, "pipe_echo: op %d failed: %s\n", op,
				strerror(-res));
			return -1;
		}

		switch (op) {
		case OP_POLL:
			/* POLLIN or POLLHUP: a read now returns data or 0. */
			polls++;
			ret = queue(ring, OP_READ, in, buf, sizeof(buf));
			break;
		case OP_READ:
			reads++;
			if (res == 0) {	/* the writer closed pipe A */
				printf("echo: %lld bytes in %lu polls, %lu reads, %lu writes\n",
				       total, polls, reads, writes);
				return total;
			}
			filled = (unsigned int)res;
			written = 0;
			ret = queue(ring, OP_WRITE, out, buf, filled);
			break;
		case OP_WRITE:
			writes++;
			written += (unsigned int)res;
			total += res;
			if (written < filled)	/* short: write the rest */
				ret = queue(ring, OP_WRITE, out, buf + written,
					    filled - written);
			else
				ret = queue(ring, OP_POLL, in, NULL, 0);
			break;
		default:
			fprintf(stderr, "pipe_echo: CQE with unknown user_data %d\n",
				op);
			return -1;
		}
	}
}

static long long expected_bytes(unsigned int n)
{
	char line[MAX_LINE];
	long long total = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += (long long)make_line(i, n, line);
	return total;
}

int main(int argc, char **argv)
{
	struct asyncx_ring ring;
	unsigned int n = 2000;
	int a[2], b[2], status, bad = 0, ret;
	pid_t wpid, rpid;
	long long total;

	if (argc > 1) {
		char *end;

		n = (unsigned int)strtoul(argv[1], &end, 0);
		if (*end || !n || n > 1000000) {
			fprintf(stderr, "usage: pipe_echo [MESSAGES (1..1000000)]\n");
			return 2;
		}
	}

	ret = asyncx_queue_init(4, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "pipe_echo: cannot set up a ring on %s: %s%s\n",
			ASYNCX_DEVICE_PATH, strerror(-ret),
			ret == -ENOENT ? " (is the asyncx module loaded?)" : "");
		return 1;
	}
	if (pipe(a) || pipe(b)) {
		perror("pipe_echo: pipe");
		return 1;
	}
	/* The children do not inherit the ring (VM_DONTCOPY); they need none. */
	wpid = spawn(writer, a[1], n, a[0], b[0], b[1]);
	rpid = spawn(reader, b[0], n, a[0], a[1], b[1]);
	if (wpid < 0 || rpid < 0) {
		perror("pipe_echo: fork");
		return 1;
	}
	close(a[1]);
	close(b[0]);

	total = echo(&ring, a[0], b[1]);
	/* The reader sees the end of the stream once pipe B is closed. */
	close(b[1]);
	close(a[0]);
	asyncx_queue_exit(&ring);

	if (waitpid(wpid, &status, 0) != wpid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "pipe_echo: the writer failed\n");
		bad = 1;
	}
	if (waitpid(rpid, &status, 0) != rpid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "pipe_echo: the reader failed\n");
		bad = 1;
	}
	if (total != expected_bytes(n)) {
		fprintf(stderr, "pipe_echo: echoed %lld bytes, the writer sent %lld\n",
			total, expected_bytes(n));
		bad = 1;
	}
	if (bad) {
		printf("FAIL\n");
		return 1;
	}
	printf("all %u lines echoed through the ring\n", n);
	return 0;
}
