// SPDX-License-Identifier: GPL-2.0
/*
 * stress_test: many threads, many contexts, cancellations racing
 * completions, and CQ overflow, through libasyncx against the module.
 *
 * The invariant checked everywhere: every SQE posts exactly one CQE, with
 * its own user_data and a result that fits it, on its own context, and
 * nothing is dropped (the SQ ring's dropped counter stays 0).
 *
 * libasyncx's rule (asyncx.h, DOC: locking) is that a ring's SQ side and CQ
 * side each have one thread at a time; the shared-ring tests follow it with
 * a mutex around asyncx_get_sqe() + prep + asyncx_submit() for the
 * submitter threads, and one reaper thread on the CQ side.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"

#define NSEC_PER_SEC	1000000000LL

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * NSEC_PER_SEC + t.tv_nsec;
}

static unsigned int dropped(const struct asyncx_ring *ring)
{
	return __atomic_load_n(ring->sq.kdropped, __ATOMIC_RELAXED);
}

static unsigned int overflowed(const struct asyncx_ring *ring)
{
	return __atomic_load_n(ring->cq.koverflow, __ATOMIC_RELAXED);
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	if (access(ASYNCX_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (module not loaded?)", ASYNCX_DEVICE_PATH,
		     strerror(errno));
}

FIXTURE_TEARDOWN(stress)
{
}

/*
 * One ring, many submitters, one reaper.
 *
 * Each submitter thread owns a contiguous range of user_data values and
 * submits them in order, in batches of random size, under the SQ mutex.
 * What a user_data is follows from its index in the thread's range, so the
 * reaper knows what result to expect:
 */
enum op_kind {
	K_NOP,		/* NOP completing with ud % 1000 */
	K_TIMEOUT,	/* 100 us timeout: -ETIME */
	K_LONG,		/* 30 s timeout that the next SQE cancels */
	K_CANCEL,	/* CANCEL of the K_LONG just before: 0 */
};

struct shared {
	struct asyncx_ring	ring;
	pthread_mutex_t		sq_lock;	/* the SQ side of ring */
	unsigned int		threads;
	unsigned int		per_thread;
	unsigned int		total;
	unsigned int		max_batch;
	bool			slow_reaper;	/* let the CQ fill up */
	/* Read by the module when it consumes a TIMEOUT: live all along. */
	struct __kernel_timespec ts_short, ts_long;
	long long		deadline;	/* now_ns() limit of the run */

	/* Reaper only, read by the main thread after joining it. */
	unsigned char		*seen;
	int			*res;
	unsigned int		reaped, bad_ud, bad_flags;
	int			reap_err;

	/* Under sq_lock. */
	unsigned long		busy, submits;
	int			submit_err;
	bool			failed;		/* stop everything */
};

static enum op_kind kind_of(const struct shared *s, unsigned int ud)
{
	unsigned int j = ud % s->per_thread;

	if (j % 97 == 50)
		return K_LONG;
	if (j % 97 == 51)
		return K_CANCEL;
	if (j % 41 == 7)
		return K_TIMEOUT;
	return K_NOP;
}

static void prep_one(struct shared *s, struct asyncx_sqe *sqe, unsigned int ud)
{
	switch (kind_of(s, ud)) {
	case K_NOP:
		asyncx_prep_nop_result(sqe, (int)(ud % 1000));
		break;
	case K_TIMEOUT:
		asyncx_prep_timeout(sqe, &s->ts_short, 0);
		break;
	case K_LONG:
		asyncx_prep_timeout(sqe, &s->ts_long, 0);
		break;
	case K_CANCEL:
		asyncx_prep_cancel(sqe, ud - 1, 0);
		break;
	}
	asyncx_sqe_set_data64(sqe, ud);
}

static int expected_res(const struct shared *s, unsigned int ud)
{
	switch (kind_of(s, ud)) {
	case K_NOP:
		return (int)(ud % 1000);
	case K_TIMEOUT:
		return -ETIME;
	case K_LONG:
		return -ECANCELED;
	case K_CANCEL:
	default:
		return 0;
	}
}

struct submitter {
	struct shared	*s;
	unsigned int	first;		/* its user_data range */
	unsigned int	seed;
};

static void *submitter_fn(void *arg)
{
	struct submitter *me = arg;
	struct shared *s = me->s;
	unsigned int next = me->first, end = me->first + s->per_thread;
	unsigned int batch, n;
	struct asyncx_sqe *sqe;
	int ret;

	while (next < end) {
		batch = 1 + (unsigned int)rand_r(&me->seed) % s->max_batch;
		pthread_mutex_lock(&s->sq_lock);
		if (s->failed) {
			pthread_mutex_unlock(&s->sq_lock);
			break;
		}
		for (n = 0; n < batch && next < end; n++, next++) {
			sqe = asyncx_get_sqe(&s->ring);
			if (!sqe)	/* full of SQEs an -EBUSY left */
				break;
			prep_one(s, sqe, next);
		}
		ret = asyncx_submit(&s->ring);
		s->submits++;
		if (ret == -EBUSY) {
			/* Overflow pending: the SQEs stay published. */
			s->busy++;
		} else if (ret < 0) {
			s->submit_err = ret;
			s->failed = true;
		}
		if (now_ns() > s->deadline)
			s->failed = true;
		pthread_mutex_unlock(&s->sq_lock);
		/* Give the reaper time to drain instead of spinning on it. */
		if (ret == -EBUSY)
			usleep(50);
	}
	return NULL;
}

static void *reaper_fn(void *arg)
{
	struct shared *s = arg;
	struct __kernel_timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
	struct asyncx_cqe *cqe;
	unsigned int head, n;
	int ret;

	while (s->reaped < s->total) {
		if (now_ns() > s->deadline) {
			s->reap_err = -ETIMEDOUT;
			break;
		}
		ret = asyncx_wait_cqe_timeout(&s->ring, &cqe, &ts);
		if (ret == -ETIME || ret == -EINTR)
			continue;
		if (ret < 0) {
			s->reap_err = ret;
			break;
		}
		n = 0;
		asyncx_for_each_cqe(&s->ring, head, cqe) {
			__u64 ud = asyncx_cqe_get_data64(cqe);

			if (ud >= s->total) {
				s->bad_ud++;
			} else {
				if (s->seen[ud] < 255)
					s->seen[ud]++;
				s->res[ud] = cqe->res;
			}
			if (cqe->flags)
				s->bad_flags++;
			n++;
		}
		asyncx_cq_advance(&s->ring, n);
		s->reaped += n;
		if (s->slow_reaper)
			usleep(200);
	}
	return NULL;
}

static void run_shared(struct __test_metadata *_metadata, unsigned int threads,
		       unsigned int total, unsigned int sq, unsigned int cq,
		       bool slow_reaper)
{
	struct asyncx_params p = { .flags = ASYNCX_SETUP_CQSIZE, .cq_entries = cq };
	struct submitter sub[16];
	pthread_t tid[16], reaper;
	struct shared *s;
	unsigned int i, lost = 0, dup = 0, wrong = 0, cancels = 0;
	long long t0 = now_ns();
	int ret;

	ASSERT_LE(threads, 16U);
	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	s->threads = threads;
	s->per_thread = total / threads;
	s->total = s->per_thread * threads;
	s->max_batch = sq / 2;
	s->slow_reaper = slow_reaper;
	s->ts_short.tv_nsec = 100 * 1000;
	s->ts_long.tv_sec = 30;
	s->deadline = t0 + 80 * NSEC_PER_SEC;
	s->seen = calloc(s->total, 1);
	s->res = calloc(s->total, sizeof(int));
	ASSERT_NE(NULL, s->seen);
	ASSERT_NE(NULL, s->res);
	pthread_mutex_init(&s->sq_lock, NULL);
	ASSERT_EQ(0, asyncx_queue_init_params(sq, &s->ring, &p));
	ASSERT_EQ(cq, s->ring.cq.ring_entries);

	ASSERT_EQ(0, pthread_create(&reaper, NULL, reaper_fn, s));
	for (i = 0; i < threads; i++) {
		sub[i] = (struct submitter){ s, i * s->per_thread, i + 1 };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, submitter_fn, &sub[i]));
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);

	/* What an -EBUSY left published: submit it once the overflow is gone. */
	pthread_mutex_lock(&s->sq_lock);
	while (!s->failed && asyncx_sq_ready(&s->ring)) {
		ret = asyncx_submit(&s->ring);
		if (ret == -EBUSY) {
			s->busy++;
			pthread_mutex_unlock(&s->sq_lock);
			usleep(100);
			pthread_mutex_lock(&s->sq_lock);
		} else if (ret < 0) {
			s->submit_err = ret;
			s->failed = true;
		}
		if (now_ns() > s->deadline)
			s->failed = true;
	}
	pthread_mutex_unlock(&s->sq_lock);
	if (s->failed)
		s->deadline = 0;	/* the reaper gives up too */
	pthread_join(reaper, NULL);

	for (i = 0; i < s->total; i++) {
		if (!s->seen[i]) {
			if (lost++ < 5)
				TH_LOG("user_data %u (kind %d): no CQE", i,
				       kind_of(s, i));
			continue;
		}
		if (s->seen[i] > 1 && dup++ < 5)
			TH_LOG("user_data %u: %u CQEs", i, s->seen[i]);
		if (kind_of(s, i) == K_CANCEL)
			cancels++;
		if (s->res[i] != expected_res(s, i) && wrong++ < 5)
			TH_LOG("user_data %u (kind %d): res %d, expected %d", i,
			       kind_of(s, i), s->res[i], expected_res(s, i));
	}
	TH_LOG("%u threads, %u ops (%u cancels), SQ %u CQ %u: %lu submits, %lu -EBUSY, %u via overflow, %.2f s",
	       threads, s->total, cancels, sq, cq, s->submits, s->busy,
	       overflowed(&s->ring), (now_ns() - t0) / 1e9);
	EXPECT_EQ(0, s->submit_err) TH_LOG("submit: %s", strerror(-s->submit_err));
	EXPECT_FALSE(s->failed);
	EXPECT_EQ(0, s->reap_err) TH_LOG("reap: %s", strerror(-s->reap_err));
	EXPECT_EQ(s->total, s->reaped);
	EXPECT_EQ(0U, lost);
	EXPECT_EQ(0U, dup);
	EXPECT_EQ(0U, wrong);
	EXPECT_EQ(0U, s->bad_ud);
	EXPECT_EQ(0U, s->bad_flags);
	EXPECT_EQ(0U, dropped(&s->ring));
	if (slow_reaper)
		EXPECT_LT(0U, overflowed(&s->ring));

	asyncx_queue_exit(&s->ring);
	pthread_mutex_destroy(&s->sq_lock);
	free(s->seen);
	free(s->res);
	free(s);
}

/* 100k ops, timeouts and cancels among the NOPs, from 6 threads. */
TEST_F_TIMEOUT(stress, shared_ring_mutex_submitters, 100)
{
	run_shared(_metadata, 6, 100000, 128, 256, false);
}

/*
 * A CQ of 16 and a reaper that naps: completions pile up in the overflow
 * list while 4 threads submit (and see -EBUSY); nothing is lost.
 */
TEST_F_TIMEOUT(stress, cq_overflow_shared_ring, 100)
{
	run_shared(_metadata, 4, 10000, 16, 16, true);
}

/*
 * Completions posted by many kernel threads at once into a small CQ: 1024
 * timeouts on one absolute deadline expire together, and the executor's
 * workers on every CPU post their CQEs concurrently into a CQ of 64; the
 * rest wait in the overflow list. Nothing is reaped until they have all
 * fired; then every user_data comes exactly once, with -ETIME.
 */
TEST_F_TIMEOUT(stress, cq_overflow_timer_burst, 60)
{
	enum { CQ = 64, TOTAL = 1024 };
	struct asyncx_params p = { .flags = ASYNCX_SETUP_CQSIZE, .cq_entries = CQ };
	struct __kernel_timespec when, guard = { .tv_sec = 20 };
	unsigned char seen[TOTAL] = { 0 };
	unsigned int submitted = 0, reaped = 0, busy = 0, early = 0, i;
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	struct asyncx_sqe *sqe;
	long long t;
	int ret;

	ASSERT_EQ(0, asyncx_queue_init_params(CQ, &ring, &p));
	t = now_ns() + 500 * 1000 * 1000LL;
	when.tv_sec = t / NSEC_PER_SEC;
	when.tv_nsec = t % NSEC_PER_SEC;

	while (submitted < TOTAL) {
		while (submitted + asyncx_sq_ready(&ring) < TOTAL &&
		       (sqe = asyncx_get_sqe(&ring))) {
			asyncx_prep_timeout(sqe, &when, ASYNCX_TIMEOUT_ABS);
			asyncx_sqe_set_data64(sqe, submitted +
					      asyncx_sq_ready(&ring) - 1);
		}
		ret = asyncx_submit(&ring);
		if (ret == -EBUSY) {
			/* A slow submission outlived the deadline: reap. */
			busy++;
			ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &guard));
			ASSERT_GT(TOTAL, cqe->user_data);
			EXPECT_EQ(0, seen[cqe->user_data]++);
			EXPECT_EQ(-ETIME, cqe->res);
			asyncx_cqe_seen(&ring, cqe);
			reaped++;
			early++;
			continue;
		}
		ASSERT_LT(0, ret) TH_LOG("submit: %s", strerror(-ret));
		submitted += ret;
	}

	/*
	 * Wait until all have fired (on a loaded debug kernel some post well
	 * after the deadline): the CQ is full and the rest overflowed.
	 */
	while (!early && asyncx_cq_ready(&ring) + overflowed(&ring) < TOTAL &&
	       now_ns() < t + 20 * NSEC_PER_SEC)
		usleep(10000);
	if (!early) {
		EXPECT_TRUE(asyncx_cq_has_overflow(&ring));
		EXPECT_EQ((unsigned int)CQ, asyncx_cq_ready(&ring));
		EXPECT_EQ((unsigned int)(TOTAL - CQ), overflowed(&ring));
	}

	while (reaped < TOTAL) {
		unsigned int head, n = 0;

		ret = asyncx_wait_cqe_timeout(&ring, &cqe, &guard);
		ASSERT_EQ(0, ret) TH_LOG("reaped %u of %u", reaped, TOTAL);
		asyncx_for_each_cqe(&ring, head, cqe) {
			ASSERT_GT(TOTAL, cqe->user_data);
			EXPECT_EQ(0, seen[cqe->user_data]++)
				TH_LOG("user_data %llu twice",
				       (unsigned long long)cqe->user_data);
			EXPECT_EQ(-ETIME, cqe->res);
			EXPECT_EQ(0U, cqe->flags);
			n++;
		}
		asyncx_cq_advance(&ring, n);
		reaped += n;
	}
	for (i = 0; i < TOTAL; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("user_data %u", i);
	EXPECT_FALSE(asyncx_cq_has_overflow(&ring));
	EXPECT_EQ(0U, dropped(&ring));
	TH_LOG("%u timeouts into a CQ of %u: %u via overflow, %u reaped early (%u -EBUSY)",
	       TOTAL, CQ, overflowed(&ring), early, busy);
	asyncx_queue_exit(&ring);
}

/*
 * Many contexts at once, each its own ring: user_data carries the ring's
 * id, and every ring must get back exactly its own.
 */
#define UD_RING(ud)	((unsigned int)((ud) >> 32))
#define UD_SEQ(ud)	((unsigned int)(ud))
#define MAKE_UD(r, q)	((__u64)(r) << 32 | (q))

struct own_ring {
	unsigned int	id;
	unsigned int	rounds;
	unsigned int	done;
	char		err[160];
};

/* Reap the @n CQEs of ring @id, sequence numbers [@first, @first + @n). */
static int reap_own(struct asyncx_ring *ring, unsigned int id,
		    unsigned int first, unsigned int n, unsigned char *seen,
		    char *err, size_t errlen)
{
	struct __kernel_timespec ts = { .tv_sec = 20 };
	struct asyncx_cqe *cqe;
	unsigned int got = 0, q;
	int ret;

	while (got < n) {
		ret = asyncx_wait_cqe_timeout(ring, &cqe, &ts);
		if (ret) {
			snprintf(err, errlen, "ring %u: wait: %s after %u of %u",
				 id, strerror(-ret), got, n);
			return -1;
		}
		q = UD_SEQ(cqe->user_data);
		if (UD_RING(cqe->user_data) != id || q < first ||
		    q >= first + n || seen[q - first]++) {
			snprintf(err, errlen, "ring %u: CQE with user_data %#llx (ring %u) in [%u, %u)",
				 id, (unsigned long long)cqe->user_data,
				 UD_RING(cqe->user_data), first, first + n);
			return -1;
		}
		/* NOPs complete with their sequence number's low bits;
		 * every 8th op is a 1 us TIMEOUT.
		 */
		if (cqe->res != ((q % 8 == 7) ? -ETIME : (int)(q & 0xffff))) {
			snprintf(err, errlen, "ring %u: user_data %u: res %d",
				 id, q, cqe->res);
			return -1;
		}
		asyncx_cqe_seen(ring, cqe);
		got++;
	}
	return 0;
}

static void prep_own(struct asyncx_sqe *sqe, unsigned int id, unsigned int q,
		     const struct __kernel_timespec *ts)
{
	if (q % 8 == 7)
		asyncx_prep_timeout(sqe, ts, 0);
	else
		asyncx_prep_nop_result(sqe, (int)(q & 0xffff));
	asyncx_sqe_set_data64(sqe, MAKE_UD(id, q));
}

static void *own_ring_fn(void *arg)
{
	static const struct __kernel_timespec ts = { .tv_nsec = 1000 };
	struct own_ring *me = arg;
	struct asyncx_ring ring;
	unsigned char seen[32];
	unsigned int r, i, q = 0, batch;
	int ret;

	ret = asyncx_queue_init(32, &ring, 0);
	if (ret) {
		snprintf(me->err, sizeof(me->err), "ring %u: init: %s", me->id,
			 strerror(-ret));
		return NULL;
	}
	for (r = 0; r < me->rounds; r++) {
		batch = 1 + (me->id + r) % 32;
		for (i = 0; i < batch; i++)
			prep_own(asyncx_get_sqe(&ring), me->id, q + i, &ts);
		ret = asyncx_submit(&ring);
		if (ret != (int)batch) {
			snprintf(me->err, sizeof(me->err), "ring %u: submit: %d",
				 me->id, ret);
			break;
		}
		memset(seen, 0, sizeof(seen));
		if (reap_own(&ring, me->id, q, batch, seen, me->err,
			     sizeof(me->err)))
			break;
		q += batch;
		me->done += batch;
	}
	if (!me->err[0] && dropped(&ring))
		snprintf(me->err, sizeof(me->err), "ring %u: %u dropped",
			 me->id, dropped(&ring));
	asyncx_queue_exit(&ring);
	return NULL;
}

/* 16 threads, each with a ring of its own, doing batches at once. */
TEST_F_TIMEOUT(stress, many_contexts_in_parallel, 100)
{
	enum { THREADS = 16, ROUNDS = 60 };
	struct own_ring rings[THREADS];
	pthread_t tid[THREADS];
	unsigned int i, total = 0;
	long long t0 = now_ns();

	for (i = 0; i < THREADS; i++) {
		rings[i] = (struct own_ring){ .id = i + 1, .rounds = ROUNDS };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, own_ring_fn, &rings[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		EXPECT_EQ(0, rings[i].err[0]) TH_LOG("%s", rings[i].err);
		total += rings[i].done;
	}
	TH_LOG("%u rings, %u ops, %.2f s", THREADS, total, (now_ns() - t0) / 1e9);
}

/*
 * 64 rings open at once in one thread: each gets a batch, they are reaped
 * in the reverse order, a second round leaves long timeouts in flight on
 * every other ring, and the rings are closed in a shuffled order.
 */
TEST_F_TIMEOUT(stress, many_contexts_one_thread, 60)
{
	enum { RINGS = 64, PER = 16 };
	static const struct __kernel_timespec ts = { .tv_nsec = 1000 };
	static const struct __kernel_timespec ts_long = { .tv_sec = 60 };
	struct asyncx_ring *rings;
	unsigned char seen[PER];
	unsigned int order[RINGS];
	char err[160] = "";
	unsigned int r, i, j, t;
	struct rlimit rl;

	/* 64 descriptors and some. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < RINGS + 16) {
		rl.rlim_cur = RINGS + 16;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	}
	rings = calloc(RINGS, sizeof(*rings));
	ASSERT_NE(NULL, rings);
	for (r = 0; r < RINGS; r++)
		ASSERT_EQ(0, asyncx_queue_init(PER, &rings[r], 0)) TH_LOG("ring %u", r);

	for (r = 0; r < RINGS; r++) {
		for (i = 0; i < PER; i++)
			prep_own(asyncx_get_sqe(&rings[r]), r, i, &ts);
		ASSERT_EQ(PER, asyncx_submit(&rings[r]));
	}
	for (r = RINGS; r-- > 0;) {
		memset(seen, 0, sizeof(seen));
		ASSERT_EQ(0, reap_own(&rings[r], r, 0, PER, seen, err, sizeof(err)))
			TH_LOG("%s", err);
		EXPECT_EQ(0U, asyncx_cq_ready(&rings[r]));
		EXPECT_EQ(0U, dropped(&rings[r]));
	}

	/* Round two: NOPs everywhere, a long timeout on every other ring. */
	for (r = 0; r < RINGS; r++) {
		for (i = 0; i < PER - 1; i++)
			prep_own(asyncx_get_sqe(&rings[r]), r, PER + i, &ts);
		if (r % 2) {
			struct asyncx_sqe *sqe = asyncx_get_sqe(&rings[r]);

			asyncx_prep_timeout(sqe, &ts_long, 0);
			asyncx_sqe_set_data64(sqe, MAKE_UD(r, 999));
		}
		ASSERT_EQ(PER - 1 + r % 2, (unsigned int)asyncx_submit(&rings[r]));
	}
	for (r = 0; r < RINGS; r++) {
		memset(seen, 0, sizeof(seen));
		ASSERT_EQ(0, reap_own(&rings[r], r, PER, PER - 1, seen, err,
				      sizeof(err)))
			TH_LOG("%s", err);
	}

	/* Close with the long timeouts in flight, in a shuffled order. */
	for (r = 0; r < RINGS; r++)
		order[r] = r;
	for (r = RINGS - 1; r > 0; r--) {
		j = (r * 2654435761U) % (r + 1);
		t = order[r];
		order[r] = order[j];
		order[j] = t;
	}
	for (r = 0; r < RINGS; r++)
		asyncx_queue_exit(&rings[order[r]]);
	free(rings);
}

/*
 * A CANCEL right behind its target, over and over: the target is a TIMEOUT
 * of 0 to 5 us, or a POLL of a pipe that is already readable, so the
 * cancellation races the completion. For each pair: exactly one CQE each;
 * the target's res is its own result or -ECANCELED; the CANCEL's res is 0,
 * -ENOENT or -EALREADY; and they agree: a target cancelled (-ECANCELED)
 * needs a CANCEL that answered 0, and a CANCEL that found nothing (-ENOENT)
 * or came late (-EALREADY) needs a target that completed by itself. (A
 * CANCEL that answered 0 may still see the target complete normally when
 * its last poll was already running.)
 */
enum { PAIRS_PER_GROUP = 16 };

static void cancel_race(struct __test_metadata *_metadata, bool poll_target,
			unsigned int groups)
{
	struct __kernel_timespec ts[PAIRS_PER_GROUP];
	struct __kernel_timespec guard = { .tv_sec = 20 };
	/* [target normal, target -ECANCELED] x [0, -ENOENT, -EALREADY] */
	unsigned int outcome[2][3] = { { 0 } };
	int tres[PAIRS_PER_GROUP], cres[PAIRS_PER_GROUP];
	unsigned char tseen[PAIRS_PER_GROUP], cseen[PAIRS_PER_GROUP];
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	struct asyncx_sqe *sqe;
	unsigned int g, k, got, bad = 0, seed = 42;
	int p[2], ci, ret;
	__u64 base;

	ASSERT_EQ(0, asyncx_queue_init(2 * PAIRS_PER_GROUP, &ring, 0));
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(1, write(p[1], "x", 1));	/* readable from now on */

	for (g = 0; g < groups; g++) {
		base = (__u64)g * 2 * PAIRS_PER_GROUP;
		for (k = 0; k < PAIRS_PER_GROUP; k++) {
			ts[k].tv_sec = 0;
			ts[k].tv_nsec = rand_r(&seed) % 5001;
			tres[k] = cres[k] = 0;
			tseen[k] = cseen[k] = 0;
		}
		/*
		 * Even groups: target, CANCEL, target, CANCEL, ... in one
		 * submit. Odd groups: all targets, then all CANCELs in a
		 * second submit.
		 */
		for (k = 0; k < PAIRS_PER_GROUP; k++) {
			sqe = asyncx_get_sqe(&ring);
			if (poll_target)
				asyncx_prep_poll(sqe, p[0], POLLIN);
			else
				asyncx_prep_timeout(sqe, &ts[k], 0);
			asyncx_sqe_set_data64(sqe, base + 2 * k);
			if (g % 2 == 0) {
				sqe = asyncx_get_sqe(&ring);
				asyncx_prep_cancel(sqe, base + 2 * k, 0);
				asyncx_sqe_set_data64(sqe, base + 2 * k + 1);
			}
		}
		if (g % 2) {
			ASSERT_EQ(PAIRS_PER_GROUP, asyncx_submit(&ring));
			for (k = 0; k < PAIRS_PER_GROUP; k++) {
				sqe = asyncx_get_sqe(&ring);
				asyncx_prep_cancel(sqe, base + 2 * k, 0);
				asyncx_sqe_set_data64(sqe, base + 2 * k + 1);
			}
		}
		ASSERT_EQ(PAIRS_PER_GROUP * (g % 2 ? 1 : 2), asyncx_submit(&ring));

		for (got = 0; got < 2 * PAIRS_PER_GROUP; got++) {
			ret = asyncx_wait_cqe_timeout(&ring, &cqe, &guard);
			ASSERT_EQ(0, ret) TH_LOG("group %u: %u of %u CQEs",
						 g, got, 2 * PAIRS_PER_GROUP);
			ASSERT_LE(base, cqe->user_data);
			ASSERT_GT(base + 2 * PAIRS_PER_GROUP, cqe->user_data)
				TH_LOG("group %u: CQE of another group: %llu", g,
				       (unsigned long long)cqe->user_data);
			k = (unsigned int)(cqe->user_data - base) / 2;
			if ((cqe->user_data - base) % 2) {
				cseen[k]++;
				cres[k] = cqe->res;
			} else {
				tseen[k]++;
				tres[k] = cqe->res;
			}
			EXPECT_EQ(0U, cqe->flags);
			asyncx_cqe_seen(&ring, cqe);
		}
		/* Nothing more may come for this group. */
		EXPECT_EQ(0U, asyncx_cq_ready(&ring));

		for (k = 0; k < PAIRS_PER_GROUP; k++) {
			bool cancelled = tres[k] == -ECANCELED;
			bool normal = poll_target ? tres[k] > 0 && (tres[k] & POLLIN)
						  : tres[k] == -ETIME;

			ci = cres[k] == 0 ? 0 : cres[k] == -ENOENT ? 1 :
			     cres[k] == -EALREADY ? 2 : -1;
			if (tseen[k] != 1 || cseen[k] != 1 || ci < 0 ||
			    !(cancelled || normal) ||
			    (cancelled && ci != 0)) {
				if (bad++ < 5)
					TH_LOG("group %u pair %u: target %u CQE(s) res %d, cancel %u CQE(s) res %d",
					       g, k, tseen[k], tres[k], cseen[k], cres[k]);
				continue;
			}
			outcome[cancelled][ci]++;
		}
	}
	TH_LOG("%u pairs: target normal: cancel 0 %u, -ENOENT %u, -EALREADY %u; target -ECANCELED: cancel 0 %u",
	       groups * PAIRS_PER_GROUP, outcome[0][0], outcome[0][1],
	       outcome[0][2], outcome[1][0]);
	EXPECT_EQ(0U, bad);
	EXPECT_EQ(0U, dropped(&ring));
	close(p[0]);
	close(p[1]);
	asyncx_queue_exit(&ring);
}

TEST_F_TIMEOUT(stress, cancel_races_timeout, 100)
{
	cancel_race(_metadata, false, 125);
}

TEST_F_TIMEOUT(stress, cancel_races_ready_poll, 100)
{
	cancel_race(_metadata, true, 125);
}

TEST_HARNESS_MAIN
