// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ring_bench: round trips of cheap operations through /dev/asyncx
 * (libasyncx) and through io_uring (liburing), the same way, so that the
 * two rates can be compared in one run.
 *
 *   ring_bench SYS OP BATCH THREADS SECONDS
 *     SYS      asyncx | io_uring
 *     OP       nop | timeout0 (a timeout of 0 ns) | poll (POLLIN on a
 *              pipe that holds data: ready at once) | enter (an enter that
 *              submits and waits for nothing: the cost of the system call
 *              alone, an ioctl against io_uring_enter(); BATCH must be 1
 *              and each call counts as one op) | sqpoll (NOPs through a
 *              ring set up with SQ polling, ASYNCX_SETUP_SQPOLL against
 *              IORING_SETUP_SQPOLL, 1 s idle: each round publishes BATCH
 *              and reaps them by polling the CQ, with no system call
 *              while the SQ thread is awake)
 *     BATCH    SQEs per submit; each round submits BATCH and waits for
 *              BATCH completions in the same call, then reaps them
 *     THREADS  threads, each with its own ring (and pipe)
 *     SECONDS  how long to run
 *
 * Prints one CSV line: sys,op,batch,threads,ops,seconds,ops_per_s,cpu_s
 * (cpu_s: CPU time the whole machine was busy during the run, from
 * /proc/stat, so that the SQ threads count too). Exits non-zero if any
 * completion has an unexpected result.
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>
#include <liburing.h>

enum sys { SYS_ASYNCX, SYS_URING };
enum op { OP_NOP, OP_TIMEOUT0, OP_POLL, OP_ENTER, OP_SQPOLL };

static enum sys sys;
static enum op op;
static unsigned int batch;
static double seconds;
static pthread_barrier_t start_line;
/* Set by main() when the time is up: the loops read no clock themselves
 * (under TCG a clock read can cost more than the round it times).
 */
static int stop;

static int stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

struct worker {
	pthread_t		th;
	unsigned long		ops;
	int			bad;
	int			err;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The result each op's CQE must carry. */
static int good(int res)
{
	switch (op) {
	case OP_NOP:
	case OP_SQPOLL:
		return res == 0;
	case OP_TIMEOUT0:
		return res == -ETIME;
	case OP_POLL:
		return res > 0 && (res & POLLIN);
	case OP_ENTER:	/* (no CQEs) */
		break;
	}
	return 0;
}

/* Seconds of busy CPU time of the whole machine so far (/proc/stat). */
static double busy_s(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return 0;
	/* user nice system idle iowait irq softirq steal: all but idle, iowait */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	       sysconf(_SC_CLK_TCK);
}

/* SQPOLL rounds of asyncx: publish, then poll the CQ for the batch. */
static void run_asyncx_sqpoll(struct worker *w, struct asyncx_ring *ring)
{
	struct asyncx_cqe *cqes[256];
	unsigned int i, n;
	int ret;

	while (!stopped()) {
		for (i = 0; i < batch; i++)
			asyncx_prep_nop(asyncx_get_sqe(ring));
		ret = asyncx_submit(ring);
		if (ret != (int)batch) {
			w->err = ret < 0 ? ret : -EIO;
			return;
		}
		for (n = 0; n < batch && !stopped();) {
			unsigned int got = asyncx_peek_batch_cqe(ring, cqes, 256);

			for (i = 0; i < got; i++)
				w->bad += !good(cqes[i]->res);
			asyncx_cq_advance(ring, got);
			n += got;
		}
		w->ops += n;
	}
}

static void run_asyncx(struct worker *w, int pfd)
{
	struct __kernel_timespec ts = { 0 };
	struct asyncx_cqe *cqes[256];
	struct asyncx_params p;
	struct asyncx_ring ring;
	unsigned int i, n;
	int ret;

	memset(&p, 0, sizeof(p));
	if (op == OP_SQPOLL) {
		p.flags = ASYNCX_SETUP_SQPOLL;
		p.sq_thread_idle = 1000;
	}
	ret = asyncx_queue_init_params(256, &ring, &p);
	if (ret) {
		w->err = ret;
		pthread_barrier_wait(&start_line);
		return;
	}
	pthread_barrier_wait(&start_line);
	if (op == OP_SQPOLL) {
		run_asyncx_sqpoll(w, &ring);
		goto out;
	}
	while (op == OP_ENTER && !stopped()) {
		struct asyncx_enter e = { 0 };

		if (ioctl(ring.fd, ASYNCX_IOC_ENTER, &e)) {
			w->err = -errno;
			break;
		}
		w->ops++;
	}
	while (op != OP_ENTER && !stopped()) {
		for (i = 0; i < batch; i++) {
			struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

			if (op == OP_NOP)
				asyncx_prep_nop(sqe);
			else if (op == OP_TIMEOUT0)
				asyncx_prep_timeout(sqe, &ts, 0);
			else
				asyncx_prep_poll(sqe, pfd, POLLIN);
		}
		ret = asyncx_submit_and_wait(&ring, batch);
		if (ret != (int)batch) {
			w->err = ret < 0 ? ret : -EIO;
			break;
		}
		for (n = 0; n < batch;) {
			unsigned int got = asyncx_peek_batch_cqe(&ring, cqes, 256);

			if (!got) {
				struct asyncx_cqe *c;

				ret = asyncx_wait_cqe(&ring, &c);
				if (ret) {
					w->err = ret;
					goto out;
				}
				continue;
			}
			for (i = 0; i < got; i++)
				w->bad += !good(cqes[i]->res);
			asyncx_cq_advance(&ring, got);
			n += got;
		}
		w->ops += batch;
	}
out:
	asyncx_queue_exit(&ring);
}

/* SQPOLL rounds of io_uring, as run_asyncx_sqpoll() does them. */
static void run_uring_sqpoll(struct worker *w, struct io_uring *ring)
{
	struct io_uring_cqe *cqes[256];
	unsigned int i, n;
	int ret;

	while (!stopped()) {
		for (i = 0; i < batch; i++)
			io_uring_prep_nop(io_uring_get_sqe(ring));
		/*
		 * (With SQPOLL liburing counts the SQEs the thread has not
		 * consumed yet when it looks: any number, not an error.)
		 */
		ret = io_uring_submit(ring);
		if (ret < 0) {
			w->err = ret;
			return;
		}
		for (n = 0; n < batch && !stopped();) {
			unsigned int got = io_uring_peek_batch_cqe(ring, cqes, 256);

			for (i = 0; i < got; i++)
				w->bad += !good(cqes[i]->res);
			io_uring_cq_advance(ring, got);
			n += got;
		}
		w->ops += n;
	}
}

static void run_uring(struct worker *w, int pfd)
{
	struct __kernel_timespec ts = { 0 };
	struct io_uring_cqe *cqes[256];
	struct io_uring_params p;
	struct io_uring ring;
	unsigned int i, n;
	int ret;

	memset(&p, 0, sizeof(p));
	if (op == OP_SQPOLL) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 1000;
	}
	ret = io_uring_queue_init_params(256, &ring, &p);
	if (ret) {
		w->err = ret;
		pthread_barrier_wait(&start_line);
		return;
	}
	pthread_barrier_wait(&start_line);
	if (op == OP_SQPOLL) {
		run_uring_sqpoll(w, &ring);
		goto out;
	}
	while (op == OP_ENTER && !stopped()) {
		if (syscall(__NR_io_uring_enter, ring.ring_fd, 0, 0, 0, NULL, 0)) {
			w->err = -errno;
			break;
		}
		w->ops++;
	}
	while (op != OP_ENTER && !stopped()) {
		for (i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (op == OP_NOP)
				io_uring_prep_nop(sqe);
			else if (op == OP_TIMEOUT0)
				io_uring_prep_timeout(sqe, &ts, 0, 0);
			else
				io_uring_prep_poll_add(sqe, pfd, POLLIN);
		}
		ret = io_uring_submit_and_wait(&ring, batch);
		if (ret != (int)batch) {
			w->err = ret < 0 ? ret : -EIO;
			break;
		}
		for (n = 0; n < batch;) {
			unsigned int got = io_uring_peek_batch_cqe(&ring, cqes, 256);

			if (!got) {
				struct io_uring_cqe *c;

				ret = io_uring_wait_cqe(&ring, &c);
				if (ret) {
					w->err = ret;
					goto out;
				}
				continue;
			}
			for (i = 0; i < got; i++)
				w->bad += !good(cqes[i]->res);
			io_uring_cq_advance(&ring, got);
			n += got;
		}
		w->ops += batch;
	}
out:
	io_uring_queue_exit(&ring);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int p[2] = { -1, -1 };

	if (op == OP_POLL && (pipe(p) || write(p[1], "x", 1) != 1)) {
		w->err = -errno;
		pthread_barrier_wait(&start_line);
		return NULL;
	}
	if (sys == SYS_ASYNCX)
		run_asyncx(w, p[0]);
	else
		run_uring(w, p[0]);
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: ring_bench asyncx|io_uring nop|timeout0|poll|enter|sqpoll BATCH THREADS SECONDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long total = 0;
	struct worker *w;
	unsigned int threads, i;
	int bad = 0, err = 0;
	struct timespec nap;
	double t0, t, cpu0;

	if (argc != 6)
		usage();
	if (!strcmp(argv[1], "asyncx"))
		sys = SYS_ASYNCX;
	else if (!strcmp(argv[1], "io_uring"))
		sys = SYS_URING;
	else
		usage();
	if (!strcmp(argv[2], "nop"))
		op = OP_NOP;
	else if (!strcmp(argv[2], "timeout0"))
		op = OP_TIMEOUT0;
	else if (!strcmp(argv[2], "poll"))
		op = OP_POLL;
	else if (!strcmp(argv[2], "enter"))
		op = OP_ENTER;
	else if (!strcmp(argv[2], "sqpoll"))
		op = OP_SQPOLL;
	else
		usage();
	batch = strtoul(argv[3], NULL, 0);
	threads = strtoul(argv[4], NULL, 0);
	seconds = strtod(argv[5], NULL);
	if (!batch || batch > 128 || (op == OP_ENTER && batch != 1) || !threads || threads > 256 || seconds <= 0)
		usage();

	w = calloc(threads, sizeof(*w));
	if (!w || pthread_barrier_init(&start_line, NULL, threads + 1))
		return 1;
	for (i = 0; i < threads; i++)
		if (pthread_create(&w[i].th, NULL, worker_fn, &w[i]))
			return 1;
	pthread_barrier_wait(&start_line);
	cpu0 = busy_s();
	t0 = now_s();
	nap.tv_sec = (time_t)seconds;
	nap.tv_nsec = (long)((seconds - nap.tv_sec) * 1e9);
	while (nanosleep(&nap, &nap) && errno == EINTR)
		;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].ops;
		bad += w[i].bad;
		if (w[i].err)
			err = w[i].err;
	}
	t = now_s() - t0;
	cpu0 = busy_s() - cpu0;
	if (err)
		fprintf(stderr, "ring_bench: %s\n", strerror(-err));
	if (bad)
		fprintf(stderr, "ring_bench: %d unexpected results\n", bad);
	printf("%s,%s,%u,%u,%lu,%.3f,%.0f,%.3f\n", argv[1], argv[2], batch,
	       threads, total, t, total / t, cpu0);
	free(w);
	return err || bad ? 1 : 0;
}
