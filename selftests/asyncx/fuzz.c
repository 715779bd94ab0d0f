// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: an ABI fuzzer for /dev/asyncx.
 *
 * Several processes (--procs), each with several threads (--threads), open
 * contexts and drive them with random and mutated SQEs: every opcode and
 * invalid ones, random flags, priorities and fields, bad pointers (NULL,
 * unmapped, read-only, kernel and non-canonical addresses), random fds
 * (pipes, eventfds, a socket pair, a regular file, /dev/null, contexts of
 * asyncx itself, closed and made-up numbers), random enter arguments,
 * random ioctl numbers in asyncx's range with random arguments, mmap at
 * random offsets and sizes, random bad setups; some contexts get their
 * ring indices (SQ tail, CQ head) and kernel-written ring words scribbled
 * with random values; contexts are closed, unmapped, abandoned by exiting
 * children and closed under a racing enter from another thread.
 *
 * It fails (exit 1) only on what the kernel must never do where userspace
 * can see it: a CQE for a user_data never submitted, a second final CQE
 * for one SQE, a completion lost (an orderly drain of a context that was
 * not corrupted must yield exactly one final CQE per SQE consumed), enter
 * consuming more than it may, an unknown ioctl not answering -ENOTTY, an
 * mmap of an invalid offset succeeding, and a hang (alarm()). Everything
 * else — errors, signals, short counts — is the kernel being right. The
 * kernel's own checks (KASAN, lockdep, kmemleak on the debug kernel) and
 * dmesg are the other half, judged by the runner.
 *
 * Runs are reproducible in what each thread generates: the seed is printed
 * and --seed N repeats it (interleavings between threads and processes
 * differ from run to run, as they must).
 *
 * Usage: fuzz [--seed N] [--sqes N] [--procs N] [--threads N]
 *             [--timeout SECONDS] [--verbose]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/asyncx.h>
#include <linux/time_types.h>

#define DEVICE		"/dev/" ASYNCX_DEVICE_NAME
#define UD_MAGIC	0xA5CEULL	/* top 16 bits of every user_data */
#define MAX_SEQ		(1U << 16)	/* SQEs tracked per context */
#define BUF_SIZE	(64 * 1024)
#define GUARD_SIZE	(64 * 1024)	/* PROT_NONE after each buffer */
#define MAX_THREADS	16

struct opts {
	uint64_t	seed;
	uint64_t	sqes;
	int		procs;
	int		threads;
	int		timeout;
	int		verbose;
};

static struct opts opt = {
	.sqes = 1000000, .procs = 2, .threads = 3, .timeout = 900,
};

/* Shared by all processes (MAP_SHARED): SQEs consumed, contexts, drains. */
struct shared {
	uint64_t	consumed;
	uint64_t	contexts;
	uint64_t	drains;
	uint64_t	ioctls;
	uint64_t	mmaps;
};

static struct shared *shared;

/*
 * Where the fuzzer prints: a high fd, since fds 0-2 are /dev/null for the
 * SQEs that write to random fds.
 */
static int out_fd = 2;

/*
 * Memory the fuzzer points the kernel at; never freed. Each buffer is
 * followed by a PROT_NONE guard, so a READ of any length that starts in it
 * faults at the guard instead of scribbling over the fuzzer.
 */
static char *bufs[MAX_THREADS];		/* a READ/WRITE buffer per thread */
/* A provided-buffer ring per thread: its buffers are in bufs[], or bad. */
static struct asyncx_pbuf *pbufs[MAX_THREADS];
static char *ro_page;			/* read-only */
static char *none_page;			/* PROT_NONE */
static struct __kernel_timespec tspecs[8];

struct thread {
	int		proc;
	int		idx;
	uint64_t	rng;
	uint64_t	budget;		/* SQEs this thread still submits */
	int		fds[10];	/* fds for SQEs; see thread_fds() */
	int		nfds;
	uint32_t	serial;		/* contexts this thread opened */
};

static void __attribute__((noreturn)) fail(struct thread *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dprintf(out_fd, "fuzz: KERNEL MISBEHAVED (seed %" PRIu64 ", proc %d, thread %d): ",
		opt.seed, t ? t->proc : -1, t ? t->idx : -1);
	vdprintf(out_fd, fmt, ap);
	dprintf(out_fd, "\n");
	va_end(ap);
	_exit(1);
}

/* xorshift64* */
static uint64_t rnd(struct thread *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 2685821657736338717ULL;
}

static uint32_t below(struct thread *t, uint32_t n)
{
	return n ? (uint32_t)(rnd(t) % n) : 0;
}

static bool chance(struct thread *t, unsigned int percent)
{
	return below(t, 100) < percent;
}

static void add(uint64_t *ctr, uint64_t n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

/* ----------------------------------------------------------- contexts */

struct ctx {
	int			fd;
	uint32_t		serial;
	bool			loose;	/* indices corrupted or shared: weak checks */
	void			*sq_ring, *cq_ring;
	struct asyncx_sqe	*sqes;
	size_t			sq_sz, cq_sz, sqes_sz;
	uint32_t		*sq_head, *sq_tail, *sq_flags, *sq_dropped;
	uint32_t		*cq_head, *cq_tail;
	struct asyncx_cqe	*cqes;
	uint32_t		sq_entries, cq_entries;
	uint32_t		tail;		/* our SQ tail */
	uint32_t		seq;		/* SQEs written */
	uint64_t		consumed;	/* SQEs the kernel consumed */
	uint64_t		finals;		/* final CQEs seen */
	uint8_t			*state;		/* per seq: see below */
};

/* ctx->state[seq] */
#define ST_MULTI	0x1	/* a multishot POLL or TIMEOUT: may post CQE_F_MORE */
#define ST_FINAL	0x2	/* its final CQE came */
#define ST_GROUP	0x4	/* a GROUP: its CQE has CQE_F_GROUP and a count */
#define ST_MEMBER	0x8	/* a group member: may win (CQE_F_WINNER) */
#define ST_RETRY	0x10	/* a retry policy: its CQE counts attempts */
#define ST_SLOTS	0x20	/* a multishot RECV: its CQEs name slots */
#define ST_OPEN		0x40	/* an OPENAT: a CQE's res >= 0 is an fd to close */
#define ST_PBUF		0x80	/* a SOCK_RECV into a provided buffer: names it */

static uint64_t ud_of(struct ctx *c, uint32_t seq)
{
	return UD_MAGIC << 48 | (uint64_t)(c->serial & 0xffff) << 32 | seq;
}

static void *map(int fd, size_t sz, uint64_t off)
{
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static void ctx_unmap(struct ctx *c)
{
	if (c->sq_ring)
		munmap(c->sq_ring, c->sq_sz);
	if (c->cq_ring)
		munmap(c->cq_ring, c->cq_sz);
	if (c->sqes)
		munmap(c->sqes, c->sqes_sz);
	c->sq_ring = c->cq_ring = c->sqes = NULL;
}

/* Open and set up a context of random size; false if the kernel said no. */
static bool ctx_open(struct thread *t, struct ctx *c)
{
	struct asyncx_params p;

	memset(c, 0, sizeof(*c));
	c->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return false;
	add(&shared->contexts, 1);
	c->serial = ++t->serial;
	memset(&p, 0, sizeof(p));
	p.sq_entries = 1 + below(t, chance(t, 10) ? ASYNCX_MAX_ENTRIES : 64);
	if (chance(t, 30)) {
		p.flags = ASYNCX_SETUP_CQSIZE;
		p.cq_entries = p.sq_entries + below(t, 64);
	}
	if (ioctl(c->fd, ASYNCX_IOC_SETUP, &p) < 0) {
		close(c->fd);
		return false;
	}
	c->sq_entries = p.sq_entries;
	c->cq_entries = p.cq_entries;
	c->sq_sz = p.sq_off.dropped + 4;
	c->cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct asyncx_cqe);
	c->sqes_sz = p.sq_entries * sizeof(struct asyncx_sqe);
	c->sq_ring = map(c->fd, c->sq_sz, ASYNCX_OFF_SQ_RING);
	c->cq_ring = map(c->fd, c->cq_sz, ASYNCX_OFF_CQ_RING);
	c->sqes = map(c->fd, c->sqes_sz, ASYNCX_OFF_SQES);
	c->state = calloc(MAX_SEQ, 1);
	if (!c->sq_ring || !c->cq_ring || !c->sqes || !c->state)
		fail(t, "setup succeeded but the rings cannot be mapped: %s", strerror(errno));
	c->sq_head = (uint32_t *)((char *)c->sq_ring + p.sq_off.head);
	c->sq_tail = (uint32_t *)((char *)c->sq_ring + p.sq_off.tail);
	c->sq_flags = (uint32_t *)((char *)c->sq_ring + p.sq_off.flags);
	c->sq_dropped = (uint32_t *)((char *)c->sq_ring + p.sq_off.dropped);
	c->cq_head = (uint32_t *)((char *)c->cq_ring + p.cq_off.head);
	c->cq_tail = (uint32_t *)((char *)c->cq_ring + p.cq_off.tail);
	c->cqes = (struct asyncx_cqe *)((char *)c->cq_ring + p.cq_off.cqes);
	/* Provided-buffer rings, all on the thread's page: groups 0..3. */
	for (int g = 0; g < 4; g++) {
		struct asyncx_pbuf_reg r = {
			.ring_addr = (uintptr_t)pbufs[t->idx + t->proc * opt.threads],
			.ring_entries = 1U << below(t, 9),
			.bgid = g,
		};

		if (chance(t, 40))
			ioctl(c->fd, ASYNCX_IOC_REGISTER_PBUF_RING, &r);
	}
	return true;
}

static void ctx_free(struct ctx *c)
{
	ctx_unmap(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c->state);
	c->state = NULL;
	c->fd = -1;
}

/* ------------------------------------------------------------- SQEs */

/* A pointer the kernel should handle, good or bad. */
static uint64_t some_ptr(struct thread *t, void *good)
{
	switch (below(t, 10)) {
	case 0: return 0;
	case 1: return (uintptr_t)none_page;
	case 2: return (uintptr_t)ro_page;
	case 3: return 0xffffffff81000000ULL;		/* kernel text */
	case 4: return 0xdead000000000000ULL;		/* non-canonical */
	case 5: return rnd(t) | 1ULL << 63;		/* kernel half */
	default: return (uintptr_t)good;
	}
}

static int some_fd(struct thread *t, struct ctx *c)
{
	switch (below(t, 12)) {
	case 0: return -1;
	case 1: return (int)below(t, 64);
	case 2: return (int)rnd(t);
	case 3: return c->fd;		/* the context itself */
	default: return t->fds[below(t, t->nfds)];
	}
}

/* Names for OPENAT and STATX: none of them may be created or harmed. */
static const char *const fuzz_names[] = {
	"/dev/null", "/proc/self/stat", "/nonexistent/x", "", ".", "/",
	"/dev/fd/999", "/proc/self/fd",
};

/*
 * The file ops, whatever the mutations made of the SQE, touch only what
 * the fuzzer can lose: READV/WRITEV take its iovec arrays (into its
 * buffer), OPENAT and STATX its names (never creating or truncating),
 * STATX writes to its buffer or the bad pointers, FALLOCATE stays small,
 * CLOSE closes only a descriptor made for it (or bad ones).
 */
static void fs_sanitize(struct thread *t, struct ctx *c, struct asyncx_sqe *s,
			char *buf)
{
	static __thread struct iovec iov[8];
	uint64_t a = s->addr;
	bool bad = a == (uintptr_t)none_page || a == (uintptr_t)ro_page ||
		   a >= 1ULL << 47 || a < 4096;

	switch (s->opcode) {
	case ASYNCX_OP_READV:
	case ASYNCX_OP_WRITEV:
		for (int i = 0; i < 8; i++) {
			iov[i].iov_base = buf + below(t, BUF_SIZE / 2);
			iov[i].iov_len = below(t, BUF_SIZE / 16);
		}
		if (!bad || chance(t, 50))
			s->addr = (uintptr_t)iov;
		if (chance(t, 95))
			s->len = below(t, 9);
		break;
	case ASYNCX_OP_OPENAT:
	case ASYNCX_OP_STATX:
		if (!bad || chance(t, 50))
			s->addr = (uintptr_t)fuzz_names[below(t, 8)];
		/* A loose context's CQEs may be lost: nothing to close. */
		if (s->opcode == ASYNCX_OP_OPENAT && c->loose)
			s->addr = (uintptr_t)fuzz_names[2];
		if (s->opcode == ASYNCX_OP_OPENAT) {
			s->op_flags &= ~(O_CREAT | __O_TMPFILE | O_TRUNC);
			if (chance(t, 50))
				s->op_flags &= O_ACCMODE | O_CLOEXEC | O_NONBLOCK |
					       O_DIRECTORY | O_NOFOLLOW | O_PATH;
			break;
		}
		if (!(s->off >= (uintptr_t)buf && s->off < (uintptr_t)buf + BUF_SIZE / 2))
			s->off = chance(t, 80) ? (uintptr_t)buf : some_ptr(t, buf);
		if (s->off != (uintptr_t)buf && s->off != (uintptr_t)none_page &&
		    s->off != (uintptr_t)ro_page && s->off < 1ULL << 47)
			s->off = (uintptr_t)buf;
		break;
	case ASYNCX_OP_FALLOCATE:
		s->off &= 0xffff;
		s->addr &= 0xffff;
		break;
	case ASYNCX_OP_ACCEPT:
		/* It writes the peer's address and its length. */
		if (!bad)
			s->addr = (uintptr_t)buf;
		if (!(s->off == (uintptr_t)none_page || s->off == (uintptr_t)ro_page ||
		      s->off == 0))
			s->off = (uintptr_t)(buf + BUF_SIZE / 2);
		break;
	case ASYNCX_OP_SENDMSG:
	case ASYNCX_OP_RECVMSG: {
		/* A msghdr of its own, every pointer into the buffer. */
		static __thread struct msghdr mh;
		static __thread struct iovec miov[4];

		for (int i = 0; i < 4; i++) {
			miov[i].iov_base = buf + below(t, BUF_SIZE / 2);
			miov[i].iov_len = below(t, BUF_SIZE / 16);
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = miov;
		mh.msg_iovlen = below(t, 5);
		if (chance(t, 30)) {
			mh.msg_name = buf + BUF_SIZE / 2;
			mh.msg_namelen = below(t, 200);
		}
		if (chance(t, 30)) {
			mh.msg_control = buf + BUF_SIZE / 2 + 4096;
			mh.msg_controllen = below(t, 256);
		}
		if (!bad || chance(t, 50))
			s->addr = (uintptr_t)&mh;
		break;
	}
	case ASYNCX_OP_CLOSE:
		s->fd = chance(t, 50) ? c->fd : -1 - (int)below(t, 3);
		if (chance(t, 30)) {
			/* One made for it; bounded, should the SQE be lost. */
			s->fd = dup(t->fds[0]);
			if (s->fd > 512) {
				close(s->fd);
				s->fd = -1;
			}
		}
		break;
	}
}

static void gen_sqe(struct thread *t, struct ctx *c, struct asyncx_sqe *s,
		    uint32_t seq)
{
	char *buf = bufs[t->idx + t->proc * opt.threads];

	memset(s, 0, sizeof(*s));
	s->opcode = chance(t, 90) ? below(t, ASYNCX_OP_LAST) : (uint8_t)rnd(t);
	if (chance(t, 15))
		s->flags = ASYNCX_SQE_LINK;
	if (chance(t, 20))
		s->prio = below(t, 4);
	/* Composition: small groups, short deadlines, quick retries. */
	if (chance(t, 8)) {
		s->flags |= ASYNCX_SQE_GROUP;
		s->group = 1 + below(t, 4);
	}
	if (chance(t, 10)) {
		s->flags |= ASYNCX_SQE_DEADLINE;
		s->deadline = chance(t, 90) ? 1000 * (1 + below(t, 20000)) : rnd(t);
		if (chance(t, 10))
			s->cflags |= ASYNCX_CF_DEADLINE_ABS;
		if (chance(t, 10))
			s->cflags |= ASYNCX_CF_DEADLINE_CHAIN;
	}
	if (chance(t, 8)) {
		s->flags |= ASYNCX_SQE_RETRY;
		s->retry_max = below(t, 5);
		s->retry_base_us = below(t, 2000);
		s->retry_cap_us = s->retry_base_us + below(t, 4000);
		s->retry_errs = chance(t, 80) ? 0 : rnd(t);
		if (chance(t, 30))
			s->cflags |= ASYNCX_CF_RETRY_JITTER;
	}
	switch (s->opcode) {
	case ASYNCX_OP_GROUP:
		s->group = below(t, 5);
		s->len = chance(t, 90) ? below(t, 6) : rnd(t);
		if (chance(t, 40))
			s->op_flags = ASYNCX_GROUP_SELECT;
		break;
	case ASYNCX_OP_NOP:
		if (chance(t, 50)) {
			s->op_flags = ASYNCX_NOP_RESULT;
			s->len = chance(t, 50) ? (uint32_t)-(int)below(t, 140) : (uint32_t)rnd(t);
			if (chance(t, 20))
				s->off = below(t, 4);
		}
		break;
	case ASYNCX_OP_TIMEOUT:
		s->addr = some_ptr(t, &tspecs[below(t, 8)]);
		s->len = chance(t, 95) ? 1 : below(t, 3);
		if (chance(t, 20))
			s->op_flags = ASYNCX_TIMEOUT_ABS;
		break;
	case ASYNCX_OP_CANCEL:
		if (chance(t, 20))
			s->op_flags = ASYNCX_CANCEL_ALL;
		else
			s->addr = seq ? ud_of(c, below(t, seq)) : rnd(t);
		break;
	case ASYNCX_OP_PROBE:
		s->addr = some_ptr(t, buf);
		s->len = below(t, 300);
		break;
	case ASYNCX_OP_POLL:
		s->fd = some_fd(t, c);
		s->len = chance(t, 90) ? (POLLIN | POLLOUT) & rnd(t) : rnd(t);
		if (chance(t, 30))
			s->op_flags = ASYNCX_POLL_MULTISHOT;
		break;
	case ASYNCX_OP_SOCK_RECV:
	case ASYNCX_OP_SOCK_SEND:
		s->fd = some_fd(t, c);
		s->addr = some_ptr(t, buf + below(t, BUF_SIZE));
		s->len = chance(t, 90) ? below(t, 4096) : rnd(t);
		s->off = chance(t, 90) ? rnd(t) & (MSG_DONTWAIT | MSG_PEEK |
						  MSG_WAITALL | MSG_TRUNC) : rnd(t);
		if (s->opcode == ASYNCX_OP_SOCK_RECV && chance(t, 50)) {
			s->op_flags = ASYNCX_SOCK_RECV_PBUF;
			if (chance(t, 50))
				s->op_flags |= ASYNCX_SOCK_RECV_MULTISHOT;
			s->buf_index = below(t, 5);
			s->addr = chance(t, 95) ? 0 : s->addr;
		}
		break;
	case ASYNCX_OP_READ:
	case ASYNCX_OP_WRITE:
		s->fd = some_fd(t, c);
		s->addr = some_ptr(t, buf + below(t, BUF_SIZE));
		s->len = chance(t, 90) ? below(t, 4096) : rnd(t);
		s->off = chance(t, 40) ? (uint64_t)-1 : chance(t, 50) ? below(t, 8192) : rnd(t);
		break;
	}
	/* Mutate: flip random bits anywhere but user_data. */
	if (chance(t, 10)) {
		int n = 1 + below(t, 4);

		while (n--) {
			unsigned int byte = below(t, offsetof(struct asyncx_sqe, user_data));

			if (chance(t, 50))
				byte = offsetof(struct asyncx_sqe, deadline) +
				       below(t, sizeof(*s) -
					     offsetof(struct asyncx_sqe, deadline));
			((uint8_t *)s)[byte] ^= 1U << below(t, 8);
		}
	}
	/*
	 * The ops that write to user memory write only where a fault is
	 * harmless to the fuzzer: its buffer (then the guard), or the bad
	 * pointers. A mutated address elsewhere could hit its own heap.
	 */
	if ((s->opcode == ASYNCX_OP_READ || s->opcode == ASYNCX_OP_PROBE ||
	     s->opcode == ASYNCX_OP_SOCK_RECV) &&
	    !(s->addr >= (uintptr_t)buf && s->addr < (uintptr_t)buf + BUF_SIZE) &&
	    s->addr && s->addr != (uintptr_t)none_page && s->addr != (uintptr_t)ro_page &&
	    s->addr < 1ULL << 47)
		s->addr = (uintptr_t)buf;
	fs_sanitize(t, c, s, buf);
	s->user_data = ud_of(c, seq);
	/*
	 * Decided on the SQE as written, mutations included: a flipped bit
	 * can make any TIMEOUT a multishot one (ASYNCX_TIMEOUT_MULTISHOT).
	 */
	if ((s->opcode == ASYNCX_OP_POLL && s->op_flags & ASYNCX_POLL_MULTISHOT) ||
	    (s->opcode == ASYNCX_OP_TIMEOUT && s->op_flags & ASYNCX_TIMEOUT_MULTISHOT))
		c->state[seq] |= ST_MULTI;
	if (s->opcode == ASYNCX_OP_RECV && s->op_flags & ASYNCX_RECV_MULTISHOT)
		c->state[seq] |= ST_MULTI | ST_SLOTS;
	if (s->opcode == ASYNCX_OP_GROUP)
		c->state[seq] |= ST_GROUP;
	if (s->opcode == ASYNCX_OP_OPENAT || s->opcode == ASYNCX_OP_ACCEPT)
		c->state[seq] |= ST_OPEN;
	if (s->opcode == ASYNCX_OP_ACCEPT && s->op_flags & ASYNCX_ACCEPT_MULTISHOT)
		c->state[seq] |= ST_MULTI;
	if (s->opcode == ASYNCX_OP_SOCK_RECV && s->op_flags & ASYNCX_SOCK_RECV_PBUF) {
		c->state[seq] |= ST_PBUF;
		if (s->op_flags & ASYNCX_SOCK_RECV_MULTISHOT)
			c->state[seq] |= ST_MULTI;
	}
	if (s->flags & ASYNCX_SQE_GROUP)
		c->state[seq] |= ST_MEMBER;
	if (s->flags & ASYNCX_SQE_RETRY)
		c->state[seq] |= ST_RETRY;
}

/* ------------------------------------------------------------ rings */

static int enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags,
		 uint64_t timeout_ns)
{
	struct asyncx_enter e = {
		.to_submit = to_submit, .min_complete = min_complete,
		.flags = flags, .timeout_ns = timeout_ns,
	};
	int ret = ioctl(fd, ASYNCX_IOC_ENTER, &e);

	return ret < 0 ? -errno : ret;
}

/* Write up to @n SQEs at our tail and publish them; how many were written. */
static uint32_t fill(struct thread *t, struct ctx *c, uint32_t n)
{
	uint32_t head = __atomic_load_n(c->sq_head, __ATOMIC_ACQUIRE);
	uint32_t space = c->sq_entries - (c->tail - head), i;

	if (c->loose)
		space = c->sq_entries;
	if (n > space)
		n = space;
	if (n > MAX_SEQ - c->seq)
		n = MAX_SEQ - c->seq;
	for (i = 0; i < n; i++)
		gen_sqe(t, c, &c->sqes[(c->tail + i) & (c->sq_entries - 1)], c->seq++);
	c->tail += n;
	/* Release: the SQEs before the tail; pairs with the kernel's acquire. */
	__atomic_store_n(c->sq_tail, c->tail, __ATOMIC_RELEASE);
	return n;
}

static void check_cqe(struct thread *t, struct ctx *c, const struct asyncx_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	uint32_t seq = (uint32_t)ud;

	if (c->loose) {
		/* Only SQEs we wrote, or zeroed slots, can be consumed. */
		if (ud && ud >> 48 != UD_MAGIC)
			fail(t, "CQE with user_data %#" PRIx64 " never submitted (loose ctx)", ud);
		return;
	}
	if (ud >> 48 != UD_MAGIC || (ud >> 32 & 0xffff) != (c->serial & 0xffff) ||
	    seq >= c->seq)
		fail(t, "CQE for user_data %#" PRIx64 " never submitted on this context (res %d, flags %#x, %u SQEs written)",
		     ud, cqe->res, cqe->flags, c->seq);
	/* Each flag only from the kind of SQE that may post it. */
	if (cqe->flags & ~(ASYNCX_CQE_F_MORE | ASYNCX_CQE_F_GROUP | ASYNCX_CQE_F_WINNER |
			   ASYNCX_CQE_F_BUFFER | 0xffffff00U) ||
	    (cqe->flags & ASYNCX_CQE_F_GROUP && !(c->state[seq] & ST_GROUP)) ||
	    (cqe->flags & ASYNCX_CQE_F_BUFFER &&
	     (!(c->state[seq] & ST_PBUF) || cqe->res <= 0)) ||
	    (cqe->flags & 0xffff0000U &&
	     !(c->state[seq] & (ST_GROUP | ST_SLOTS | ST_PBUF))) ||
	    (cqe->flags & ASYNCX_CQE_F_WINNER && !(c->state[seq] & ST_MEMBER)) ||
	    (cqe->flags & 0xff00U && !(c->state[seq] & ST_RETRY)))
		fail(t, "CQE with unexpected flags %#x (user_data %#" PRIx64 ", state %#x)",
		     cqe->flags, ud, c->state[seq]);
	if (cqe->flags & ASYNCX_CQE_F_MORE) {
		/* A multishot ACCEPT's descriptors are closed as they come. */
		if (c->state[seq] & ST_OPEN && cqe->res >= 0)
			close(cqe->res);
		if (!(c->state[seq] & ST_MULTI))
			fail(t, "CQE_F_MORE for an SQE that is not a multishot POLL or TIMEOUT (user_data %#" PRIx64 ", res %d)",
			     ud, cqe->res);
		if (c->state[seq] & ST_FINAL)
			fail(t, "CQE after the final one (user_data %#" PRIx64 ")", ud);
		return;
	}
	if (c->state[seq] & ST_FINAL)
		fail(t, "second final CQE for user_data %#" PRIx64 " (res %d)", ud, cqe->res);
	/* An fd opened for the fuzzer's OPENAT is closed again. */
	if (c->state[seq] & ST_OPEN && cqe->res >= 0)
		close(cqe->res);
	c->state[seq] |= ST_FINAL;
	c->finals++;
}

static void reap(struct thread *t, struct ctx *c)
{
	uint32_t head = *c->cq_head;
	/* Acquire: the CQEs before the tail; pairs with the kernel's release. */
	uint32_t tail = __atomic_load_n(c->cq_tail, __ATOMIC_ACQUIRE);

	if (c->loose) {
		uint32_t n = tail - head, i;

		if (n > c->cq_entries)
			n = c->cq_entries;
		for (i = 0; i < n; i++)
			check_cqe(t, c, &c->cqes[(tail - n + i) & (c->cq_entries - 1)]);
		head = tail;
	} else {
		if (tail - head > c->cq_entries)
			fail(t, "CQ holds %u CQEs, more than its %u entries", tail - head,
			     c->cq_entries);
		for (; head != tail; head++)
			check_cqe(t, c, &c->cqes[head & (c->cq_entries - 1)]);
	}
	/* Release: done reading; pairs with the kernel's acquire of the head. */
	__atomic_store_n(c->cq_head, head, __ATOMIC_RELEASE);
}

/* Submit what is published, with random extra arguments now and then. */
static void submit(struct thread *t, struct ctx *c, uint32_t published)
{
	uint32_t to_submit = published, flags = 0, min = 0;
	uint64_t tmo = 0;
	int ret;

	if (chance(t, 10))
		to_submit = c->loose ? (uint32_t)rnd(t) : below(t, published + 1);
	if (chance(t, 20)) {
		flags = ASYNCX_ENTER_GETEVENTS;
		min = below(t, 4);
		tmo = 1 + below(t, 2000000);
	}
	if (chance(t, 3)) {
		struct { uint32_t w[8]; } junk;	/* random resv and flags */
		uint32_t i;

		for (i = 0; i < 8; i++)
			junk.w[i] = rnd(t);
		junk.w[2] &= ~ASYNCX_ENTER_GETEVENTS;	/* never wait forever */
		ioctl(c->fd, ASYNCX_IOC_ENTER, chance(t, 50) ? (void *)&junk :
		      (void *)(uintptr_t)some_ptr(t, &junk));
	}
	ret = enter(c->fd, to_submit, min, flags, tmo);
	if (ret == -EBUSY) {
		reap(t, c);
		ret = enter(c->fd, to_submit, 0, 0, 0);
	}
	if (ret > 0) {
		if (!c->loose && ((uint32_t)ret > to_submit || (uint32_t)ret > published))
			fail(t, "enter consumed %d SQEs of %u asked, %u published", ret,
			     to_submit, published);
		if ((uint32_t)ret > c->sq_entries)
			fail(t, "enter consumed %d SQEs, more than the SQ's %u", ret,
			     c->sq_entries);
		c->consumed += ret;
		add(&shared->consumed, ret);
		t->budget = t->budget > (uint64_t)ret ? t->budget - ret : 0;
	}
	reap(t, c);
}

/*
 * Cancel everything and wait until each SQE consumed has its final CQE:
 * nothing may be lost, nothing doubled.
 */
static void drain(struct thread *t, struct ctx *c)
{
	struct timespec t0, now;
	struct asyncx_sqe *s;
	bool cancelled = false;
	int ret;

	if (c->loose || c->seq >= MAX_SEQ)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		reap(t, c);
		/* Once all is submitted, add the CANCEL (there is room then). */
		if (!cancelled && c->tail == *c->sq_head) {
			s = &c->sqes[c->tail & (c->sq_entries - 1)];
			memset(s, 0, sizeof(*s));
			s->opcode = ASYNCX_OP_CANCEL;
			s->op_flags = ASYNCX_CANCEL_ALL;
			s->user_data = ud_of(c, c->seq++);
			c->tail++;
			/* Release: the SQE; pairs with the kernel's acquire. */
			__atomic_store_n(c->sq_tail, c->tail, __ATOMIC_RELEASE);
			cancelled = true;
		}
		ret = enter(c->fd, c->tail - *c->sq_head, 1, ASYNCX_ENTER_GETEVENTS,
			    20000000);
		if (ret > 0) {
			c->consumed += ret;
			add(&shared->consumed, ret);
		}
		reap(t, c);
		if (cancelled && c->finals + *c->sq_dropped == c->consumed &&
		    c->tail == *c->sq_head && !(*c->sq_flags & ASYNCX_SQ_CQ_OVERFLOW))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < 60);
	if (!cancelled || c->finals + *c->sq_dropped != c->consumed)
		fail(t, "after cancel-all and 60 s: %" PRIu64 " SQEs consumed, %" PRIu64
		     " final CQEs, %u dropped, %u SQEs not consumed", c->consumed, c->finals,
		     *c->sq_dropped, c->tail - *c->sq_head);
	add(&shared->drains, 1);
}

/* Scribble on what only the kernel (or only we) should write. */
static void corrupt(struct thread *t, struct ctx *c)
{
	uint32_t *words[] = {
		c->sq_tail, c->cq_head, c->sq_head, c->cq_tail, c->sq_flags,
		(uint32_t *)((char *)c->sq_ring + 2 * 64),	/* ring_mask etc. */
		(uint32_t *)((char *)c->cq_ring + 2 * 64),
	};
	uint32_t *w = words[below(t, chance(t, 70) ? 2 : 7)];

	c->loose = true;
	*w = chance(t, 50) ? (uint32_t)rnd(t) : *w + below(t, 3 * c->sq_entries) - c->sq_entries;
	if (w == c->sq_tail)
		c->tail = *w;
}

/* ------------------------------------------------------------ actions */

/* A context driven through many rounds, then closed one way or another. */
static void session(struct thread *t)
{
	struct ctx c;
	int rounds, i, how;

	if (!ctx_open(t, &c))
		return;
	rounds = 1 + below(t, 40);
	for (i = 0; i < rounds && t->budget; i++) {
		uint32_t n;

		if (chance(t, 2))
			corrupt(t, &c);
		n = fill(t, &c, 1 + below(t, c.sq_entries));
		submit(t, &c, n);
		if (c.seq >= MAX_SEQ)
			break;
	}
	how = below(t, 10);
	if (how < 5) {
		drain(t, &c);
	} else if (how == 5) {
		/* Unmap with operations in flight, then use the fd. */
		ctx_unmap(&c);
		enter(c.fd, 1 + below(t, 8), below(t, 2), ASYNCX_ENTER_GETEVENTS, 1000000);
	} else if (how == 6) {
		/* A fork child may not enter, and exits at once. */
		pid_t pid = fork();

		if (pid == 0) {
			int ret = enter(c.fd, 1, 0, 0, 0);

			_exit(ret == -EPERM ? 0 : 3);
		}
		if (pid > 0) {
			int st;

			waitpid(pid, &st, 0);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
				fail(t, "enter from a fork child was not refused with -EPERM");
		}
	}
	/* Otherwise: close with whatever is in flight. */
	ctx_free(&c);
}

struct racer {
	int		fd;
	volatile int	stop;
	uint32_t	n;
};

static void *race_enter(void *arg)
{
	struct racer *r = arg;

	while (!r->stop)
		enter(r->fd, r->n, 1, ASYNCX_ENTER_GETEVENTS, 100000);
	return NULL;
}

/* close() and munmap() racing an enter in another thread. */
static void race(struct thread *t)
{
	struct racer r = {};
	struct timespec d = { .tv_nsec = below(t, 2000000) };
	pthread_t th;
	struct ctx c;
	uint32_t n;

	if (!ctx_open(t, &c))
		return;
	c.loose = true;
	n = fill(t, &c, c.sq_entries);
	/*
	 * The racer has an fd of its own, so that no other thread's context
	 * can get its number: close() and munmap() race its enters, and the
	 * last reference goes when it stops.
	 */
	r.fd = dup(c.fd);
	r.n = n;
	if (r.fd < 0 || pthread_create(&th, NULL, race_enter, &r)) {
		if (r.fd >= 0)
			close(r.fd);
		ctx_free(&c);
		return;
	}
	nanosleep(&d, NULL);
	if (chance(t, 50))
		ctx_unmap(&c);
	ctx_free(&c);
	nanosleep(&d, NULL);
	r.stop = 1;
	pthread_join(th, NULL);
	close(r.fd);
	add(&shared->consumed, n);
	t->budget = t->budget > n ? t->budget - n : 0;
}

/* Random ioctls in asyncx's range: all but asyncx's must be -ENOTTY. */
static void ioctls(struct thread *t)
{
	static const unsigned long valid[] = {
		ASYNCX_IOC_SETUP, ASYNCX_IOC_ENTER, ASYNCX_IOC_REGISTER_EVENTFD,
		ASYNCX_IOC_UNREGISTER_EVENTFD, ASYNCX_IOC_REGISTER_BUFFERS,
		ASYNCX_IOC_UNREGISTER_BUFFERS, ASYNCX_IOC_REGISTER_FILES,
		ASYNCX_IOC_UNREGISTER_FILES, ASYNCX_IOC_CHAN_CREATE,
		ASYNCX_IOC_CHAN_DESTROY, ASYNCX_IOC_REGISTER_PBUF_RING,
		ASYNCX_IOC_UNREGISTER_PBUF_RING,
	};
	const int nvalid = sizeof(valid) / sizeof(valid[0]);
	char arg[256];
	int fd, i, j;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < 16; i++) {
		unsigned long cmd;
		bool known = false;
		int ret;

		if (chance(t, 50))
			cmd = valid[below(t, nvalid)];
		else
			cmd = _IOC(below(t, 4), chance(t, 90) ? ASYNCX_IOC_MAGIC : below(t, 256),
				   below(t, 16), below(t, 300));
		for (j = 0; j < nvalid; j++)
			known |= cmd == valid[j];
		for (j = 0; j < (int)sizeof(arg); j++)
			arg[j] = chance(t, 70) ? 0 : rnd(t);
		if (cmd == ASYNCX_IOC_REGISTER_EVENTFD)
			*(int32_t *)arg = chance(t, 50) ? t->fds[2] : (int32_t)rnd(t);
		if (cmd == ASYNCX_IOC_ENTER)
			((struct asyncx_enter *)arg)->flags &= ~ASYNCX_ENTER_GETEVENTS;
		ret = ioctl(fd, cmd, (void *)(uintptr_t)some_ptr(t, arg));
		add(&shared->ioctls, 1);
		if (!known && (ret != -1 || errno != ENOTTY))
			fail(t, "ioctl %#lx (not asyncx's) returned %d, errno %d, not -ENOTTY",
			     cmd, ret, errno);
	}
	close(fd);
}

/* mmap at random offsets and sizes, before and after setup. */
static void mmaps(struct thread *t)
{
	static const uint64_t offs[] = {
		ASYNCX_OFF_SQ_RING, ASYNCX_OFF_CQ_RING, ASYNCX_OFF_SQES,
	};
	struct asyncx_params p = { .sq_entries = 1 + below(t, 128) };
	bool ready;
	int fd, i;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	ready = chance(t, 80) && !ioctl(fd, ASYNCX_IOC_SETUP, &p);

	for (i = 0; i < 8; i++) {
		bool good_off = chance(t, 60);
		uint64_t off = good_off ? offs[below(t, 3)] :
			       (rnd(t) & ~4095ULL) % (1ULL << 40);
		size_t sz = chance(t, 70) ? 4096 * (1 + below(t, 4)) : 1 + below(t, 1 << 20);
		int prot = chance(t, 80) ? PROT_READ | PROT_WRITE : PROT_READ;
		int flags = chance(t, 90) ? MAP_SHARED : MAP_PRIVATE;
		void *m = mmap(NULL, sz, prot, flags, fd, off);

		add(&shared->mmaps, 1);
		if (m == MAP_FAILED)
			continue;
		if (!ready)
			fail(t, "mmap of a context without rings succeeded");
		if (off != offs[0] && off != offs[1] && off != offs[2])
			fail(t, "mmap at offset %#" PRIx64 " (no region) succeeded", off);
		if (flags == MAP_PRIVATE)
			fail(t, "MAP_PRIVATE mmap of a ring succeeded");
		/* Read it (it is ours), then drop it. */
		(void)*(volatile char *)m;
		munmap(m, sz);
	}
	close(fd);
}

/* Bad setups: random parameters, twice, enter and register before setup. */
static void setups(struct thread *t)
{
	struct asyncx_params p;
	int fd, i;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (chance(t, 30) && enter(fd, 1, 0, 0, 0) != -EBADFD)
		fail(t, "enter before setup did not answer -EBADFD");
	for (i = 0; i < 3; i++) {
		uint32_t *w = (uint32_t *)&p;
		unsigned int j;

		for (j = 0; j < sizeof(p) / 4; j++)
			w[j] = chance(t, 70) ? 0 : rnd(t);
		if (chance(t, 60))
			p.sq_entries = below(t, 2 * ASYNCX_MAX_ENTRIES + 2);
		ioctl(fd, ASYNCX_IOC_SETUP, (void *)(uintptr_t)some_ptr(t, &p));
	}
	close(fd);
}

/* A child that submits, then exits (or is killed) with work in flight. */
static void orphan(struct thread *t)
{
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (pid == 0) {
		struct ctx c;

		alarm(60);
		if (ctx_open(t, &c))
			submit(t, &c, fill(t, &c, c.sq_entries));
		_exit(0);
	}
	if (chance(t, 50))
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------------ threads */

static void thread_fds(struct thread *t)
{
	int p[2], s[2];
	char path[] = "/tmp/asyncx-fuzz.XXXXXX";

	t->nfds = 0;
	if (!pipe2(p, O_NONBLOCK)) {
		t->fds[t->nfds++] = p[0];
		t->fds[t->nfds++] = p[1];
	}
	t->fds[t->nfds++] = eventfd(1, EFD_NONBLOCK);
	if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s)) {
		t->fds[t->nfds++] = s[0];
		t->fds[t->nfds++] = s[1];
	}
	t->fds[t->nfds] = mkstemp(path);
	if (t->fds[t->nfds] >= 0) {
		unlink(path);
		t->nfds++;
	}
	t->fds[t->nfds++] = open("/dev/null", O_RDWR);
	t->fds[t->nfds++] = open(DEVICE, O_RDWR);	/* another context */
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	int i;

	thread_fds(t);
	while (t->budget) {
		switch (below(t, 20)) {
		case 0: ioctls(t); break;
		case 1: mmaps(t); break;
		case 2: setups(t); break;
		case 3: orphan(t); break;
		case 4: race(t); break;
		default: session(t); break;
		}
		/* Each action costs one, so that the loop ends in any case. */
		if (t->budget)
			t->budget--;
	}
	for (i = 0; i < t->nfds; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	return NULL;
}

static void run_proc(int proc)
{
	struct thread th[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	uint64_t per = opt.sqes / (opt.procs * opt.threads) + 1;
	int i;

	alarm(opt.timeout);
	for (i = 0; i < opt.threads; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].proc = proc;
		th[i].idx = i;
		th[i].rng = opt.seed * 0x9E3779B97F4A7C15ULL + proc * 1000 + i + 1;
		th[i].budget = per;
		if (pthread_create(&tid[i], NULL, thread_main, &th[i])) {
			dprintf(out_fd, "fuzz: pthread_create failed\n");
			_exit(2);
		}
	}
	for (i = 0; i < opt.threads; i++)
		pthread_join(tid[i], NULL);
	_exit(0);
}

/*
 * waitpid() for one process, saying every 60 s how far the run has come: on
 * the debug kernel a run takes minutes, and the test VM's runner takes a
 * guest that prints nothing for minutes for a stalled one.
 */
static int wait_proc(pid_t pid, int *status, const struct timespec *t0)
{
	struct timespec now;
	long next = 60;
	int ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret)
			return ret;
		usleep(100000);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0->tv_sec >= next) {
			dprintf(out_fd, "# fuzz: %" PRIu64 " SQEs consumed after %ld s\n",
				__atomic_load_n(&shared->consumed, __ATOMIC_RELAXED), next);
			next += 60;
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz [--seed N] [--sqes N] [--procs N] [--threads N] "
		"[--timeout SECONDS] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	int i, status, ret = 0;
	pid_t pids[64];
	int nprocs;
	bool seeded = false;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--verbose")) {
			opt.verbose = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--seed")) {
			opt.seed = strtoull(argv[++i], NULL, 0);
			seeded = true;
		} else if (!strcmp(argv[i], "--sqes")) {
			opt.sqes = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--procs")) {
			opt.procs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--threads")) {
			opt.threads = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--timeout")) {
			opt.timeout = atoi(argv[++i]);
		} else {
			usage();
		}
	}
	if (opt.procs < 1 || opt.procs > 64 || opt.threads < 1 ||
	    opt.threads > MAX_THREADS || opt.procs * opt.threads > MAX_THREADS ||
	    opt.timeout < 1)
		usage();
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &t0);
		opt.seed = (uint64_t)t0.tv_nsec ^ (uint64_t)t0.tv_sec << 20 ^ getpid();
	}
	fflush(stdout);
	out_fd = fcntl(1, F_DUPFD_CLOEXEC, 1000);
	i = open("/dev/null", O_RDWR);
	if (out_fd < 0 || i < 0 || dup2(i, 0) < 0 || dup2(i, 1) < 0 || dup2(i, 2) < 0) {
		perror("fuzz: fds");
		return 2;
	}
	close(i);
	dprintf(out_fd, "# fuzz: seed %" PRIu64 " (repeat with --seed %" PRIu64 "), %" PRIu64
		" SQEs, %d procs x %d threads\n", opt.seed, opt.seed, opt.sqes, opt.procs,
		opt.threads);

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || ro_page == MAP_FAILED || none_page == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	for (i = 0; i < opt.procs * opt.threads; i++) {
		bufs[i] = mmap(NULL, BUF_SIZE + GUARD_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (bufs[i] == MAP_FAILED ||
		    mprotect(bufs[i] + BUF_SIZE, GUARD_SIZE, PROT_NONE))
			return 2;
		memset(bufs[i], 'x', BUF_SIZE);
		/*
		 * 256 entries (the largest ring registered uses them all):
		 * most in the buffer, short of its guard, the others bad;
		 * the tail far ahead, so that the kernel never runs out.
		 */
		pbufs[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (pbufs[i] == MAP_FAILED)
			return 2;
		for (int e = 0; e < 256; e++) {
			static const uint64_t bad[] = { 0, 1ULL << 63, 4096 };
			struct asyncx_pbuf *b = &pbufs[i][e];

			b->addr = (uintptr_t)(bufs[i] + (e % 16) * 4096);
			b->len = e % 7 ? 1 + e * 13 % 4096 : 0;
			b->bid = e;
			if (e % 11 == 5)
				b->addr = bad[e % 3];
			if (e % 13 == 6)
				b->addr = (uintptr_t)(e % 2 ? ro_page : none_page);
		}
		pbufs[i][0].resv = 0xfff0;
	}
	/* Timespecs: now, soon, a little later, seconds, bad ones. */
	tspecs[0] = (struct __kernel_timespec){ 0, 0 };
	tspecs[1] = (struct __kernel_timespec){ 0, 1000 };
	tspecs[2] = (struct __kernel_timespec){ 0, 1000000 };
	tspecs[3] = (struct __kernel_timespec){ 0, 20000000 };
	tspecs[4] = (struct __kernel_timespec){ 2, 0 };
	tspecs[5] = (struct __kernel_timespec){ -1, 0 };
	tspecs[6] = (struct __kernel_timespec){ 0, 1000000000 };
	tspecs[7] = (struct __kernel_timespec){ INT64_MAX, 999999999 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	nprocs = opt.procs;
	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 2;
		}
		if (pids[i] == 0)
			run_proc(i);
	}
	for (i = 0; i < nprocs; i++) {
		if (wait_proc(pids[i], &status, &t0) < 0)
			continue;
		if (WIFSIGNALED(status)) {
			dprintf(out_fd, "fuzz: process %d died of signal %d%s (seed %" PRIu64 ")\n",
				i, WTERMSIG(status),
				WTERMSIG(status) == SIGALRM ? " (a hang: --timeout)" : "", opt.seed);
			ret = 1;
		} else if (WEXITSTATUS(status)) {
			ret = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dprintf(out_fd, "# fuzz: %" PRIu64 " SQEs consumed on %" PRIu64 " contexts, %" PRIu64
	       " drains checked, %" PRIu64 " ioctls, %" PRIu64 " mmaps in %.1f s: %s\n",
	       shared->consumed, shared->contexts, shared->drains, shared->ioctls,
	       shared->mmaps, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ret ? "FAILED" : "ok");
	return ret;
}
