// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * io_bench: real I/O through /dev/asyncx (libasyncx) and through io_uring
 * (liburing), the same way, so that the two rates can be compared in one
 * run.
 *
 *   io_bench SYS randread FILE QD SECONDS [direct]
 *	4 KiB reads at random 4 KiB-aligned offsets of FILE (a regular file
 *	or a block device), QD of them always in flight: each round reaps
 *	every completion there is, queues as many new reads and submits them
 *	in the same enter that waits for the next completion (the loop of a
 *	strong fio-like engine).
 *	The offsets come from one xorshift sequence, the same for both
 *	systems. "direct" opens FILE with O_DIRECT.
 *	Prints: io,SYS,KIND,QD,READS,SECONDS,READS_PER_S,CSW,CPU_US (KIND:
 *	buffered or direct), only when each read got its 4 KiB; CSW and
 *	CPU_US are the profile: the process's context switches and the whole
 *	machine's CPU time (us) per read.
 *
 *   io_bench SYS echo CONNS SECONDS
 *	A TCP echo server on 127.0.0.1, one thread and one ring: a multishot
 *	ACCEPT, then per connection a one-shot receive into the connection's
 *	own buffer, on its completion a send of what came, on the send's
 *	completion the next receive. The client, the same for both servers,
 *	is CLIENT_THREADS threads, each driving its share of the CONNS
 *	connections with epoll: a 64-byte message on each, and the next as
 *	soon as its echo is back.
 *	Prints: echo,SYS,CONNS,ROUND_TRIPS,SECONDS,ROUND_TRIPS_PER_S,CSW,CPU_US,
 *	only when every echo came back as sent (the profile per round trip).
 *
 * SYS is asyncx or io_uring. An asyncx ACCEPT needs the module's net_ops
 * parameter. Exits non-zero on any error or unexpected result.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>
#include <liburing.h>

#define BS		4096	/* read size and alignment */
#define MAX_QD		256
#define MSG_SIZE	64	/* echo message */
#define CONN_BUF	512	/* a server connection's buffer */
#define MAX_FD		1024	/* server connections are found by fd */
#define MAX_CONNS	400
#define CLIENT_THREADS	2

enum sys { SYS_ASYNCX, SYS_URING };

static enum sys sys;
static const char *sys_name;
/*
 * Set by main() when the time is up: the loops read no clock themselves
 * (under TCG a clock read can cost more than the round it times).
 */
static int stop;
static pthread_barrier_t start_line;

static int stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A profile of the run, for the rows that fall short: the process's
 * context switches (a thread that sleeps for each completion), and the
 * CPU time of the whole machine (the work of the kernel's own threads,
 * such as asyncx's executor workers, included), from /proc/stat.
 */
static long csw_start, csw_end;
static unsigned long long busy_start, busy_end;

static long ctx_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* Busy clock ticks of all CPUs: all but idle and iowait. */
static unsigned long long busy_ticks(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		memset(v, 0, sizeof(v));
	fclose(f);
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/* The profile's fields of a result line: per operation. */
static void print_profile(unsigned long ops)
{
	double hz = sysconf(_SC_CLK_TCK);

	printf(",%.6f,%.2f", ops ? (double)(csw_end - csw_start) / ops : 0,
	       ops ? (busy_end - busy_start) / hz * 1e6 / ops : 0);
}

/* Let the workers run for @seconds; returns how long they ran. */
static double run_for(double seconds)
{
	struct timespec nap;
	double t0;

	pthread_barrier_wait(&start_line);
	csw_start = ctx_switches();
	busy_start = busy_ticks();
	t0 = now_s();
	nap.tv_sec = (time_t)seconds;
	nap.tv_nsec = (long)((seconds - nap.tv_sec) * 1e9);
	while (nanosleep(&nap, &nap) && errno == EINTR)
		;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	csw_end = ctx_switches();
	busy_end = busy_ticks();
	return now_s() - t0;
}

/* ---- random reads ---- */

struct rr {
	int		fd;
	unsigned int	qd;
	__u64		blocks;		/* 4 KiB blocks in the file */
	__u64		x;		/* xorshift64 state */
	char		*buf;		/* qd aligned buffers of BS */
	unsigned long	ops;		/* reads done before the stop */
	unsigned long	bad;		/* reads with another result than BS */
	int		err;
};

/* The offset of the next read: xorshift64 (Marsaglia), then a block. */
static __u64 rr_next(struct rr *r)
{
	r->x ^= r->x << 13;
	r->x ^= r->x >> 7;
	r->x ^= r->x << 17;
	return (r->x % r->blocks) * BS;
}

static void rr_asyncx(struct rr *r)
{
	struct asyncx_cqe *cqes[2 * MAX_QD];
	unsigned int i, got, inflight = 0;
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	int ret;

	ret = asyncx_queue_init(r->qd, &ring, 0);
	if (ret) {
		r->err = ret;
		pthread_barrier_wait(&start_line);
		return;
	}
	for (i = 0; i < r->qd; i++) {
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_read(sqe, r->fd, r->buf + (size_t)i * BS, BS, rr_next(r));
		asyncx_sqe_set_data64(sqe, i);
	}
	pthread_barrier_wait(&start_line);
	while (!stopped() && !r->err) {
		/* Submit the refills and wait for a completion: one enter. */
		ret = asyncx_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			r->err = ret;
			break;
		}
		if (ret > 0)
			inflight += ret;
		got = asyncx_peek_batch_cqe(&ring, cqes, 2 * MAX_QD);
		for (i = 0; i < got; i++) {
			__u64 slot = asyncx_cqe_get_data64(cqes[i]);

			r->bad += cqes[i]->res != BS;
			sqe = asyncx_get_sqe(&ring);
			if (!sqe) {	/* never: a read ended for each */
				r->err = -EOVERFLOW;
				break;
			}
			asyncx_prep_read(sqe, r->fd, r->buf + slot * BS, BS, rr_next(r));
			asyncx_sqe_set_data64(sqe, slot);
		}
		asyncx_cq_advance(&ring, got);
		inflight -= got;
		r->ops += got;
	}
	/* The reads in flight write into the buffers: wait for them. */
	while (inflight) {
		ret = asyncx_wait_cqe_nr(&ring, &cqes[0], 1);
		if (ret == -EINTR)
			continue;
		if (ret) {
			r->err = ret;
			break;
		}
		got = asyncx_peek_batch_cqe(&ring, cqes, 2 * MAX_QD);
		asyncx_cq_advance(&ring, got);
		inflight -= got;
	}
	asyncx_queue_exit(&ring);
}

static void rr_uring(struct rr *r)
{
	struct io_uring_cqe *cqes[2 * MAX_QD];
	unsigned int i, got, inflight = 0;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(r->qd, &ring, 0);
	if (ret) {
		r->err = ret;
		pthread_barrier_wait(&start_line);
		return;
	}
	for (i = 0; i < r->qd; i++) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, r->fd, r->buf + (size_t)i * BS, BS, rr_next(r));
		io_uring_sqe_set_data64(sqe, i);
	}
	pthread_barrier_wait(&start_line);
	while (!stopped() && !r->err) {
		/* Submit the refills and wait for a completion: one enter. */
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			r->err = ret;
			break;
		}
		if (ret > 0)
			inflight += ret;
		got = io_uring_peek_batch_cqe(&ring, cqes, 2 * MAX_QD);
		for (i = 0; i < got; i++) {
			__u64 slot = io_uring_cqe_get_data64(cqes[i]);

			r->bad += cqes[i]->res != BS;
			sqe = io_uring_get_sqe(&ring);
			if (!sqe) {	/* never: a read ended for each */
				r->err = -EOVERFLOW;
				break;
			}
			io_uring_prep_read(sqe, r->fd, r->buf + slot * BS, BS, rr_next(r));
			io_uring_sqe_set_data64(sqe, slot);
		}
		io_uring_cq_advance(&ring, got);
		inflight -= got;
		r->ops += got;
	}
	/* The reads in flight write into the buffers: wait for them. */
	while (inflight) {
		ret = io_uring_wait_cqe_nr(&ring, &cqes[0], 1);
		if (ret == -EINTR)
			continue;
		if (ret) {
			r->err = ret;
			break;
		}
		got = io_uring_peek_batch_cqe(&ring, cqes, 2 * MAX_QD);
		io_uring_cq_advance(&ring, got);
		inflight -= got;
	}
	io_uring_queue_exit(&ring);
}

static void *rr_main(void *arg)
{
	struct rr *r = arg;

	if (sys == SYS_ASYNCX)
		rr_asyncx(r);
	else
		rr_uring(r);
	return NULL;
}

/* The size of a regular file or a block device, in bytes; -1 on error. */
static __s64 file_size(int fd)
{
	struct stat st;
	__u64 bytes;

	if (fstat(fd, &st))
		return -1;
	if (S_ISREG(st.st_mode))
		return st.st_size;
	if (S_ISBLK(st.st_mode) && !ioctl(fd, BLKGETSIZE64, &bytes))
		return (__s64)bytes;
	errno = EINVAL;
	return -1;
}

static int randread(int argc, char **argv)
{
	struct rr r = { .fd = -1, .x = 0x9e3779b97f4a7c15ull };
	const char *path = argv[3];
	int direct = 0, ret = 1;
	pthread_t th;
	double secs, t;
	__s64 size;

	r.qd = strtoul(argv[4], NULL, 0);
	secs = strtod(argv[5], NULL);
	if (argc == 7 && !strcmp(argv[6], "direct"))
		direct = 1;
	else if (argc != 6)
		return 2;
	if (!r.qd || r.qd > MAX_QD || secs <= 0)
		return 2;

	r.fd = open(path, O_RDONLY | (direct ? O_DIRECT : 0));
	if (r.fd < 0) {
		fprintf(stderr, "io_bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	size = file_size(r.fd);
	if (size < BS) {
		fprintf(stderr, "io_bench: %s: %s\n", path,
			size < 0 ? strerror(errno) : "smaller than a block");
		goto out;
	}
	r.blocks = (__u64)size / BS;
	errno = posix_memalign((void **)&r.buf, BS, (size_t)r.qd * BS);
	if (errno) {
		perror("io_bench: posix_memalign");
		r.buf = NULL;
		goto out;
	}
	if (pthread_barrier_init(&start_line, NULL, 2)) {
		perror("io_bench: pthread_barrier_init");
		goto out;
	}
	errno = pthread_create(&th, NULL, rr_main, &r);
	if (errno) {
		perror("io_bench: pthread_create");
		pthread_barrier_destroy(&start_line);
		goto out;
	}
	t = run_for(secs);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&start_line);
	if (r.err)
		fprintf(stderr, "io_bench: %s: %s\n", sys_name, strerror(-r.err));
	if (r.bad)
		fprintf(stderr, "io_bench: %lu reads did not read %d bytes\n", r.bad, BS);
	ret = r.err || r.bad ? 1 : 0;
	if (!ret) {
		printf("io,%s,%s,%u,%lu,%.3f,%.0f", sys_name,
		       direct ? "direct" : "buffered", r.qd, r.ops, t, r.ops / t);
		print_profile(r.ops);
		printf("\n");
	}
out:
	free(r.buf);
	close(r.fd);
	return ret;
}

/* ---- echo ---- */

/* user_data: the op in the low byte, the connection's fd above it. */
enum { OP_ACCEPT, OP_RECV, OP_SEND };
#define UD(op, fd)	((__u64)(fd) << 8 | (op))
#define UD_OP(ud)	((int)((ud) & 0xff))
#define UD_FD(ud)	((int)((ud) >> 8))

struct sconn {
	char		buf[CONN_BUF];
	unsigned int	len;		/* received, to send back */
	unsigned int	off;		/* of that, sent */
};

struct server {
	int		lfd;
	unsigned int	conns;		/* to accept; exits when all closed */
	struct sconn	*conn;		/* MAX_FD, by fd */
	unsigned int	accepted;
	unsigned int	open;
	int		err;
	int		done;		/* set when serve returns */
};

/*
 * What the server does with one completion (@ud, @res); the same for both
 * rings. Returns the op to queue next (OP_RECV or OP_SEND) on the
 * connection it sets in *@fd, or -1 for none; sets s->err on a failure.
 */
static int serve_cqe(struct server *s, __u64 ud, int res, int *fd)
{
	struct sconn *c;

	*fd = UD_FD(ud);
	switch (UD_OP(ud)) {
	case OP_ACCEPT:
		if (res < 0) {
			s->err = res;
			if (res == -EPERM)
				fprintf(stderr, "io_bench: ACCEPT: EPERM (%s)\n",
					"is asyncx's net_ops parameter on?");
			return -1;
		}
		if (res >= MAX_FD) {
			close(res);
			s->err = -EMFILE;
			return -1;
		}
		s->accepted++;
		s->open++;
		*fd = res;
		return OP_RECV;
	case OP_RECV:
		c = &s->conn[*fd];
		if (res <= 0)
			break;
		c->len = res;
		c->off = 0;
		return OP_SEND;
	case OP_SEND:
		c = &s->conn[*fd];
		if (res <= 0)
			break;
		c->off += res;
		return c->off < c->len ? OP_SEND : OP_RECV;
	}
	/* The client closed (0) or reset the connection. */
	if (close(*fd) && !s->err)
		s->err = -errno;
	s->open--;
	return -1;
}

static struct asyncx_sqe *ax_sqe(struct asyncx_ring *ring)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	if (!sqe && asyncx_submit(ring) >= 0)
		sqe = asyncx_get_sqe(ring);
	return sqe;
}

/* Queue @op (OP_RECV, OP_SEND) on connection @fd; -1 if the SQ is stuck. */
static int ax_queue(struct server *s, struct asyncx_ring *ring, int op, int fd)
{
	struct asyncx_sqe *sqe = ax_sqe(ring);
	struct sconn *c = &s->conn[fd];

	if (!sqe)
		return -1;
	if (op == OP_RECV)
		asyncx_prep_sock_recv(sqe, fd, c->buf, CONN_BUF, 0);
	else
		asyncx_prep_sock_send(sqe, fd, c->buf + c->off, c->len - c->off,
				      MSG_NOSIGNAL);
	asyncx_sqe_set_data64(sqe, UD(op, fd));
	return 0;
}

static int ax_accept(struct server *s, struct asyncx_ring *ring)
{
	struct asyncx_sqe *sqe = ax_sqe(ring);

	if (!sqe)
		return -1;
	asyncx_prep_multishot_accept(sqe, s->lfd, NULL, NULL, SOCK_CLOEXEC);
	asyncx_sqe_set_data64(sqe, UD(OP_ACCEPT, s->lfd));
	return 0;
}

static void serve_asyncx(struct server *s)
{
	struct asyncx_cqe *cqes[2 * MAX_CONNS];
	struct asyncx_ring ring;
	unsigned int i, got;
	int ret;

	ret = asyncx_queue_init(s->conns + 1, &ring, 0);
	if (ret) {
		s->err = ret;
		return;
	}
	if (ax_accept(s, &ring))
		s->err = -EBUSY;
	while (!s->err && (s->accepted < s->conns || s->open)) {
		ret = asyncx_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			s->err = ret;
			break;
		}
		got = asyncx_peek_batch_cqe(&ring, cqes, 2 * MAX_CONNS);
		for (i = 0; i < got && !s->err; i++) {
			struct asyncx_cqe *cqe = cqes[i];
			int fd, op = serve_cqe(s, cqe->user_data, cqe->res, &fd);

			if (op >= 0 && ax_queue(s, &ring, op, fd))
				s->err = -EBUSY;
			/* A multishot ACCEPT that ended: arm another. */
			if (UD_OP(cqe->user_data) == OP_ACCEPT &&
			    !(cqe->flags & ASYNCX_CQE_F_MORE) && !s->err &&
			    ax_accept(s, &ring))
				s->err = -EBUSY;
		}
		asyncx_cq_advance(&ring, got);
	}
	asyncx_queue_exit(&ring);
}

static struct io_uring_sqe *ur_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe && io_uring_submit(ring) >= 0)
		sqe = io_uring_get_sqe(ring);
	return sqe;
}

/* Queue @op (OP_RECV, OP_SEND) on connection @fd; -1 if the SQ is stuck. */
static int ur_queue(struct server *s, struct io_uring *ring, int op, int fd)
{
	struct io_uring_sqe *sqe = ur_sqe(ring);
	struct sconn *c = &s->conn[fd];

	if (!sqe)
		return -1;
	if (op == OP_RECV)
		io_uring_prep_recv(sqe, fd, c->buf, CONN_BUF, 0);
	else
		io_uring_prep_send(sqe, fd, c->buf + c->off, c->len - c->off,
				   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, UD(op, fd));
	return 0;
}

static int ur_accept(struct server *s, struct io_uring *ring)
{
	struct io_uring_sqe *sqe = ur_sqe(ring);

	if (!sqe)
		return -1;
	io_uring_prep_multishot_accept(sqe, s->lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, UD(OP_ACCEPT, s->lfd));
	return 0;
}

static void serve_uring(struct server *s)
{
	struct io_uring_cqe *cqes[2 * MAX_CONNS];
	struct io_uring ring;
	unsigned int i, got;
	int ret;

	ret = io_uring_queue_init(s->conns + 1, &ring, 0);
	if (ret) {
		s->err = ret;
		return;
	}
	if (ur_accept(s, &ring))
		s->err = -EBUSY;
	while (!s->err && (s->accepted < s->conns || s->open)) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			s->err = ret;
			break;
		}
		got = io_uring_peek_batch_cqe(&ring, cqes, 2 * MAX_CONNS);
		for (i = 0; i < got && !s->err; i++) {
			struct io_uring_cqe *cqe = cqes[i];
			int fd, op = serve_cqe(s, cqe->user_data, cqe->res, &fd);

			if (op >= 0 && ur_queue(s, &ring, op, fd))
				s->err = -EBUSY;
			/* A multishot ACCEPT that ended: arm another. */
			if (UD_OP(cqe->user_data) == OP_ACCEPT &&
			    !(cqe->flags & IORING_CQE_F_MORE) && !s->err &&
			    ur_accept(s, &ring))
				s->err = -EBUSY;
		}
		io_uring_cq_advance(&ring, got);
	}
	io_uring_queue_exit(&ring);
}

static void *server_main(void *arg)
{
	struct server *s = arg;

	if (sys == SYS_ASYNCX)
		serve_asyncx(s);
	else
		serve_uring(s);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct cconn {
	int		fd;
	unsigned int	got;		/* bytes of the echo back so far */
	unsigned char	seq;		/* the message's first byte */
};

struct client {
	pthread_t	th;
	struct cconn	*conn;
	unsigned int	n;
	struct server	*server;	/* to notice that it failed */
	unsigned long	rounds;		/* echoes back before the stop */
	int		err;
};

/* The message of @c: bytes counting up from its sequence number. */
static void fill_msg(const struct cconn *c, unsigned char *msg)
{
	unsigned int i;

	for (i = 0; i < MSG_SIZE; i++)
		msg[i] = (unsigned char)(c->seq + i);
}

static int client_send(struct cconn *c)
{
	unsigned char msg[MSG_SIZE];

	fill_msg(c, msg);
	if (send(c->fd, msg, MSG_SIZE, MSG_NOSIGNAL) != MSG_SIZE)
		return -1;
	return 0;
}

/* Receive what there is of @c's echo; 1 when all of it is back. */
static int client_recv(struct cconn *c, unsigned char *in)
{
	unsigned char msg[MSG_SIZE];
	ssize_t r;

	r = recv(c->fd, in + c->got, MSG_SIZE - c->got, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) {
		errno = r ? errno : ECONNRESET;
		return -1;
	}
	c->got += r;
	if (c->got < MSG_SIZE)
		return 0;
	fill_msg(c, msg);
	if (memcmp(in, msg, MSG_SIZE)) {
		errno = EBADMSG;
		return -1;
	}
	c->got = 0;
	c->seq++;
	return 1;
}

static void *client_main(void *arg)
{
	unsigned char in[MAX_CONNS][MSG_SIZE];
	struct epoll_event ev[64];
	struct client *cl = arg;
	unsigned int i, waiting = 0;
	int ep, n, stopping = 0;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		cl->err = -errno;
		pthread_barrier_wait(&start_line);
		return NULL;
	}
	for (i = 0; i < cl->n; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, cl->conn[i].fd, &e)) {
			cl->err = -errno;
			break;
		}
	}
	pthread_barrier_wait(&start_line);
	for (i = 0; i < cl->n && !cl->err; i++, waiting++)
		if (client_send(&cl->conn[i]))
			cl->err = -errno;
	/* After the stop, only wait for the echoes still on their way. */
	while (!cl->err && waiting) {
		if (!stopping && stopped())
			stopping = 1;
		n = epoll_wait(ep, ev, 64, 100);
		if (n < 0 && errno != EINTR) {
			cl->err = -errno;
			break;
		}
		if (n <= 0 && __atomic_load_n(&cl->server->done, __ATOMIC_ACQUIRE)) {
			cl->err = -EPIPE;	/* the server gave up */
			break;
		}
		for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
			struct cconn *c = &cl->conn[ev[i].data.u32];
			int r = client_recv(c, in[ev[i].data.u32]);

			if (r < 0) {
				cl->err = -errno;
				break;
			}
			if (!r)
				continue;
			if (stopping) {
				waiting--;
				continue;
			}
			cl->rounds++;
			if (client_send(c)) {
				cl->err = -errno;
				break;
			}
		}
	}
	close(ep);
	return NULL;
}

static int listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int one = 1, fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Accepted sockets inherit TCP_NODELAY: no Nagle on the echoes. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)sin, sizeof(*sin)) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)sin, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int dial(const struct sockaddr_in *sin)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    connect(fd, (const struct sockaddr *)sin, sizeof(*sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int echo(int argc, char **argv)
{
	struct client cl[CLIENT_THREADS] = { 0 };
	struct server s = { .lfd = -1 };
	struct cconn *conn = NULL;
	unsigned long rounds = 0;
	unsigned int i, per, nconn;
	struct sockaddr_in sin;
	int ret = 1, err = 0;
	pthread_t sth;
	double secs, t;

	if (argc != 5)
		return 2;
	s.conns = strtoul(argv[3], NULL, 0);
	secs = strtod(argv[4], NULL);
	if (s.conns < CLIENT_THREADS || s.conns > MAX_CONNS || secs <= 0)
		return 2;

	s.conn = calloc(MAX_FD, sizeof(*s.conn));
	conn = calloc(s.conns, sizeof(*conn));
	if (!s.conn || !conn) {
		perror("io_bench: calloc");
		goto out;
	}
	s.lfd = listener(&sin);
	if (s.lfd < 0) {
		perror("io_bench: listen");
		goto out;
	}
	errno = pthread_create(&sth, NULL, server_main, &s);
	if (errno) {
		perror("io_bench: pthread_create");
		goto out;
	}
	for (nconn = 0; nconn < s.conns; nconn++) {
		conn[nconn].fd = dial(&sin);
		if (conn[nconn].fd < 0) {
			/* The server waits for it: exit() ends the server. */
			perror("io_bench: connect");
			exit(1);
		}
	}
	/* Each client thread drives its slice of the connections. */
	if (pthread_barrier_init(&start_line, NULL, CLIENT_THREADS + 1)) {
		perror("io_bench: pthread_barrier_init");
		exit(1);
	}
	per = s.conns / CLIENT_THREADS;
	for (i = 0; i < CLIENT_THREADS; i++) {
		cl[i].conn = conn + i * per;
		cl[i].n = i == CLIENT_THREADS - 1 ? s.conns - i * per : per;
		cl[i].server = &s;
		errno = pthread_create(&cl[i].th, NULL, client_main, &cl[i]);
		if (errno) {
			/* Those started wait at the barrier: exit() ends them. */
			perror("io_bench: pthread_create");
			exit(1);
		}
	}
	t = run_for(secs);
	for (i = 0; i < CLIENT_THREADS; i++) {
		pthread_join(cl[i].th, NULL);
		rounds += cl[i].rounds;
		if (cl[i].err) {
			fprintf(stderr, "io_bench: client: %s\n", strerror(-cl[i].err));
			err = 1;
		}
	}
	pthread_barrier_destroy(&start_line);
	/* The server ends when every connection it accepted is closed. */
	for (i = 0; i < s.conns; i++)
		if (close(conn[i].fd))
			err = 1;
	pthread_join(sth, NULL);
	if (s.err)
		fprintf(stderr, "io_bench: %s server: %s\n", sys_name, strerror(-s.err));
	ret = err || s.err ? 1 : 0;
	if (!ret) {
		printf("echo,%s,%u,%lu,%.3f,%.0f", sys_name, s.conns, rounds, t,
		       rounds / t);
		print_profile(rounds);
		printf("\n");
	}
out:
	if (s.lfd >= 0)
		close(s.lfd);
	free(conn);
	free(s.conn);
	return ret;
}

static void usage(void)
{
	fprintf(stderr, "usage: io_bench asyncx|io_uring randread FILE QD SECONDS [direct]\n"
			"       io_bench asyncx|io_uring echo CONNS SECONDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc < 3)
		usage();
	sys_name = argv[1];
	if (!strcmp(argv[1], "asyncx"))
		sys = SYS_ASYNCX;
	else if (!strcmp(argv[1], "io_uring"))
		sys = SYS_URING;
	else
		usage();
	if (!strcmp(argv[2], "randread") && argc >= 6)
		ret = randread(argc, argv);
	else if (!strcmp(argv[2], "echo"))
		ret = echo(argc, argv);
	if (ret == 2)
		usage();
	return ret;
}
