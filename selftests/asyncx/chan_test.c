// SPDX-License-Identifier: GPL-2.0
/*
 * chan_test: channels on a context (ASYNCX_IOC_CHAN_CREATE/DESTROY,
 * ASYNCX_OP_SEND, ASYNCX_OP_RECV) through libasyncx — every bad input and
 * its errno, round trips, backpressure (a SEND to a full channel waits for
 * a RECV), N producer threads x M messages arriving exactly once in
 * per-producer order with the bound never exceeded, destroy and close
 * waking every waiter, multishot RECV into slots, cancellation of waiting
 * SENDs and RECVs, a RECV whose buffer faults, chains.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"
#include "util.h"

static struct asyncx_sqe *send(struct asyncx_ring *ring, int chan,
			       const void *msg, unsigned int len, __u64 ud)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_send(sqe, chan, msg, len);
	asyncx_sqe_set_data64(sqe, ud);
	return sqe;
}

static struct asyncx_sqe *recv1(struct asyncx_ring *ring, int chan, void *buf,
				unsigned int len, __u64 ud)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_recv(sqe, chan, buf, len);
	asyncx_sqe_set_data64(sqe, ud);
	return sqe;
}

static struct asyncx_sqe *cancel(struct asyncx_ring *ring, __u64 target,
				 __u64 ud)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	asyncx_prep_cancel(sqe, target, 0);
	asyncx_sqe_set_data64(sqe, ud);
	return sqe;
}

/* Submit what was prepared and get the CQE of a single inline op. */
static int one(struct asyncx_ring *ring, struct asyncx_cqe *cqe)
{
	if (asyncx_submit(ring) != 1)
		return -1;
	return wait_one(ring, cqe, 5000);
}

/* The channel's fdinfo line: depth, peak, waiting, sent, received. */
struct chan_info {
	unsigned int cap, msg_size, depth, peak, waiting;
	unsigned long long sent, received;
};

static int chan_info(struct asyncx_ring *ring, int id, struct chan_info *ci)
{
	char path[64], line[256], want[32];
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring->fd);
	snprintf(want, sizeof(want), "chan-%d:", id);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line + strlen(want),
			   " cap %u msg-size %u depth %u peak %u waiting %u sent %llu received %llu",
			   &ci->cap, &ci->msg_size, &ci->depth, &ci->peak,
			   &ci->waiting, &ci->sent, &ci->received) == 7)
			found = 0;
	}
	fclose(f);
	return found;
}

/* No CQE comes within @ms. */
static bool quiet(struct asyncx_ring *ring, long ms)
{
	struct asyncx_cqe cqe;

	return wait_one(ring, &cqe, ms) == -ETIME;
}

static int raw_create(int fd, struct asyncx_chan_params *p)
{
	return ioctl(fd, ASYNCX_IOC_CHAN_CREATE, p) < 0 ? -errno : (int)p->id;
}

FIXTURE(chan) {
	struct asyncx_ring ring;
	bool up;
};

FIXTURE_SETUP(chan)
{
	struct asyncx_params p = {
		.flags = ASYNCX_SETUP_CQSIZE,
		.cq_entries = 4096,
	};
	int ret = asyncx_queue_init_params(256, &self->ring, &p);

	self->up = !ret;
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(chan)
{
	if (self->up)
		asyncx_queue_exit(&self->ring);
}

TEST_F(chan, create_destroy_bad_input)
{
	struct asyncx_ring *r = &self->ring;
	struct asyncx_chan_params p;
	struct asyncx_cqe cqe;
	char buf[64] = "x";
	int a, b, fd, i, ids[ASYNCX_CHAN_MAX];
	__u32 id;

	a = asyncx_chan_create(r, 4, 16);
	b = asyncx_chan_create(r, ASYNCX_CHAN_MAX_CAPACITY, ASYNCX_CHAN_MAX_MSG);
	ASSERT_LE(1, a);
	ASSERT_LE(1, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(-EINVAL, asyncx_chan_create(r, 0, 16));
	EXPECT_EQ(-EINVAL, asyncx_chan_create(r, ASYNCX_CHAN_MAX_CAPACITY + 1, 16));
	EXPECT_EQ(-EINVAL, asyncx_chan_create(r, 4, 0));
	EXPECT_EQ(-EINVAL, asyncx_chan_create(r, 4, ASYNCX_CHAN_MAX_MSG + 1));
	memset(&p, 0, sizeof(p));
	p.capacity = 4;
	p.msg_size = 8;
	p.flags = 1;
	EXPECT_EQ(-EINVAL, raw_create(r->fd, &p));
	p.flags = 0;
	p.resv[1] = 1;
	EXPECT_EQ(-EINVAL, raw_create(r->fd, &p));
	p.resv[1] = 0;
	p.id = 5;	/* out only: must come in as zero */
	EXPECT_EQ(-EINVAL, raw_create(r->fd, &p));
	EXPECT_EQ(-EFAULT, ioctl(r->fd, ASYNCX_IOC_CHAN_CREATE, (void *)8) < 0 ? -errno : 0);
	EXPECT_EQ(-EFAULT, ioctl(r->fd, ASYNCX_IOC_CHAN_DESTROY, (void *)8) < 0 ? -errno : 0);

	/* Unknown ids, destroy twice. */
	EXPECT_EQ(-ENOENT, asyncx_chan_destroy(r, 0));
	EXPECT_EQ(-ENOENT, asyncx_chan_destroy(r, -1));
	EXPECT_EQ(-ENOENT, asyncx_chan_destroy(r, 999999));
	EXPECT_EQ(0, asyncx_chan_destroy(r, b));
	EXPECT_EQ(-ENOENT, asyncx_chan_destroy(r, b));

	/* SQEs: each bad field gets its errno in the CQE. */
	send(r, b, buf, 1, 1);			/* destroyed */
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-ENOENT, cqe.res);
	send(r, 0, buf, 1, 1);
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-ENOENT, cqe.res);
	send(r, a, buf, 17, 1);			/* > msg_size */
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EMSGSIZE, cqe.res);
	send(r, a, (void *)8, 8, 1);		/* bad buffer */
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	send(r, a, buf, 1, 1)->off = 1;
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	send(r, a, buf, 1, 1)->op_flags = 1;
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	recv1(r, a, buf, 15, 1);		/* < msg_size */
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	recv1(r, 4242, buf, 16, 1);
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-ENOENT, cqe.res);
	recv1(r, a, buf, 16, 1)->op_flags = 2;
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	recv1(r, a, buf, 16, 1)->off = 1;
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EINVAL, cqe.res);
	recv1(r, a, (void *)0xffff800000000000ULL, 16, 1);	/* kernel address */
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(-EFAULT, cqe.res);
	/* A multishot RECV of more than ASYNCX_CHAN_MAX_SLOTS slots. */
	id = asyncx_chan_create(r, 1, 1);
	ASSERT_LE(1, (int)id);
	{
		char *big = malloc(ASYNCX_CHAN_MAX_SLOTS + 1);
		struct asyncx_sqe *sqe = asyncx_get_sqe(r);

		ASSERT_NE(NULL, big);
		asyncx_prep_recv_multishot(sqe, id, big, ASYNCX_CHAN_MAX_SLOTS + 1);
		ASSERT_EQ(0, one(r, &cqe));
		EXPECT_EQ(-EINVAL, cqe.res);
		free(big);
	}
	EXPECT_EQ(0, asyncx_chan_destroy(r, id));

	/* Before setup: -EBADFD; from another process: -EPERM. */
	fd = open(ASYNCX_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	memset(&p, 0, sizeof(p));
	p.capacity = 1;
	p.msg_size = 1;
	EXPECT_EQ(-EBADFD, raw_create(fd, &p));
	close(fd);
	{
		pid_t pid = fork();
		int status;

		ASSERT_LE(0, pid);
		if (pid == 0) {
			memset(&p, 0, sizeof(p));
			p.capacity = 1;
			p.msg_size = 1;
			_exit(raw_create(r->fd, &p) == -EPERM ? 0 : 1);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, status);
	}

	/* At most ASYNCX_CHAN_MAX channels per context. */
	EXPECT_EQ(0, asyncx_chan_destroy(r, a));
	for (i = 0; i < ASYNCX_CHAN_MAX; i++) {
		ids[i] = asyncx_chan_create(r, 1, 1);
		ASSERT_LE(1, ids[i]) TH_LOG("channel %d", i);
	}
	EXPECT_EQ(-ENOSPC, asyncx_chan_create(r, 1, 1));
	EXPECT_EQ(0, asyncx_chan_destroy(r, ids[7]));
	ids[7] = asyncx_chan_create(r, 1, 1);
	EXPECT_LE(1, ids[7]);
	/* Not reused at once. */
	for (i = 0; i < ASYNCX_CHAN_MAX; i++)
		EXPECT_NE(b, ids[i]);
	/* (The rest die with the context.) */
}

TEST_F(chan, round_trip)
{
	struct asyncx_ring *r = &self->ring;
	char out[32], in[32];
	struct asyncx_cqe cqe;
	struct chan_info ci;
	unsigned int i, seen = 0;
	int c = asyncx_chan_create(r, 4, 32);

	ASSERT_LE(1, c);
	strcpy(out, "hello");
	send(r, c, out, 5, 1);
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(1, cqe.user_data);
	EXPECT_EQ(5, cqe.res);
	memset(out, 0, sizeof(out));	/* copied at submission */
	memset(in, 0, sizeof(in));
	recv1(r, c, in, sizeof(in), 2);
	ASSERT_EQ(1, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(2, cqe.user_data);
	EXPECT_EQ(5, cqe.res);
	EXPECT_STREQ("hello", in);

	/* RECV first: it waits, then a SEND completes it. */
	recv1(r, c, in, sizeof(in), 3);
	ASSERT_EQ(1, asyncx_submit(r));
	EXPECT_TRUE(quiet(r, 100));
	strcpy(out, "world!");
	send(r, c, out, 6, 4);
	ASSERT_EQ(1, asyncx_submit(r));
	/* The SEND's CQE (inline) and the RECV's (a worker): either first. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		EXPECT_TRUE(cqe.user_data == 3 || cqe.user_data == 4);
		EXPECT_EQ(6, cqe.res);
		seen |= 1U << (cqe.user_data - 3);
	}
	EXPECT_EQ(3U, seen);
	EXPECT_EQ(0, memcmp(in, "world!", 6));

	/* A message of zero bytes. */
	send(r, c, out, 0, 5);
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(0, cqe.res);
	recv1(r, c, in, sizeof(in), 6);
	ASSERT_EQ(1, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(6, cqe.user_data);
	EXPECT_EQ(0, cqe.res);

	ASSERT_EQ(0, chan_info(r, c, &ci));
	EXPECT_EQ(4U, ci.cap);
	EXPECT_EQ(32U, ci.msg_size);
	EXPECT_EQ(0U, ci.depth);
	EXPECT_EQ(3ULL, ci.sent);
	EXPECT_EQ(3ULL, ci.received);
	EXPECT_EQ(0, asyncx_chan_destroy(r, c));
}

/* Capacity 2, five SENDs: two complete, three wait until RECVs make room;
 * the messages arrive in submission order.
 */
TEST_F(chan, backpressure)
{
	struct asyncx_ring *r = &self->ring;
	struct asyncx_cqe cqe;
	struct chan_info ci;
	unsigned int i, got;
	int c = asyncx_chan_create(r, 2, sizeof(unsigned int));
	unsigned int msg[5], in;

	ASSERT_LE(1, c);
	for (i = 0; i < 5; i++) {
		msg[i] = 100 + i;
		send(r, c, &msg[i], sizeof(msg[i]), i + 1);
	}
	ASSERT_EQ(5, asyncx_submit(r));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		EXPECT_EQ(i + 1, cqe.user_data);
		EXPECT_EQ(4, cqe.res);
	}
	EXPECT_TRUE(quiet(r, 200));
	ASSERT_EQ(0, chan_info(r, c, &ci));
	EXPECT_EQ(2U, ci.depth);
	EXPECT_EQ(2U, ci.peak);
	EXPECT_EQ(3U, ci.waiting);

	/* Each RECV lets exactly one more SEND in. */
	for (i = 0; i < 5; i++) {
		bool recv_seen = false, send_seen = i >= 3;

		recv1(r, c, &in, sizeof(in), 10 + i);
		ASSERT_EQ(1, asyncx_submit(r));
		for (got = 0; got < (i < 3 ? 2U : 1U); got++) {
			ASSERT_EQ(0, wait_one(r, &cqe, 5000));
			if (cqe.user_data == 10 + i) {
				EXPECT_EQ(4, cqe.res);
				EXPECT_EQ(100 + i, in);
				recv_seen = true;
			} else {
				EXPECT_EQ(i + 3, cqe.user_data);
				EXPECT_EQ(4, cqe.res);
				send_seen = true;
			}
		}
		EXPECT_TRUE(recv_seen);
		EXPECT_TRUE(send_seen);
		EXPECT_TRUE(quiet(r, 50));
		ASSERT_EQ(0, chan_info(r, c, &ci));
		EXPECT_EQ(i < 3 ? 2U : 4U - i, ci.depth);
		EXPECT_EQ(2U, ci.peak);
	}
	EXPECT_EQ(0, asyncx_chan_destroy(r, c));
}

/* ------------------------------------------ N producers x M messages */

#define NPROD		4
#define NMSG		10000	/* messages per producer, at most */
#define CAP		8
#define WINDOW		64	/* SENDs one producer has in flight at most */
#define NSTREAM		2	/* concurrent multishot RECVs */
#define SLOTS		128

/* Messages per producer: fewer on the debug kernel (kmemleak, KASAN,
 * lockdep make every message some 20 times dearer under TCG).
 */
static unsigned int nmsg = NMSG;

struct pmsg {
	unsigned int producer;
	unsigned int seq;
};

struct mp {
	struct asyncx_ring *ring;
	pthread_mutex_t sq_lock;
	int chan;
	unsigned int done[NPROD];	/* SEND CQEs, by producer (atomic) */
	int err;			/* first bad SEND result (atomic) */
};

struct prod {
	struct mp *mp;
	unsigned int id;
};

static void *producer(void *arg)
{
	struct prod *p = arg;
	struct mp *mp = p->mp;
	struct pmsg m = { .producer = p->id };
	unsigned int next = 0;

	while (next < nmsg) {
		unsigned int done = __atomic_load_n(&mp->done[p->id], __ATOMIC_ACQUIRE);
		unsigned int n = 0;

		if (__atomic_load_n(&mp->err, __ATOMIC_RELAXED))
			break;
		if (next - done >= WINDOW) {
			usleep(200);
			continue;
		}
		pthread_mutex_lock(&mp->sq_lock);
		while (next < nmsg && next - done < WINDOW && n < 16) {
			struct asyncx_sqe *sqe = asyncx_get_sqe(mp->ring);

			if (!sqe)
				break;
			m.seq = next++;
			/* Copied at submission: one struct serves them all. */
			asyncx_prep_send(sqe, mp->chan, &m, sizeof(m));
			asyncx_sqe_set_data64(sqe, 1ULL << 32 | p->id);
			if (asyncx_submit(mp->ring) != 1) {
				__atomic_store_n(&mp->err, -1, __ATOMIC_RELAXED);
				next = nmsg;
				break;
			}
			n++;
		}
		pthread_mutex_unlock(&mp->sq_lock);
	}
	return NULL;
}

static int arm_stream(struct mp *mp, unsigned int s, struct pmsg *buf)
{
	struct asyncx_sqe *sqe;
	int ret;

	pthread_mutex_lock(&mp->sq_lock);
	sqe = asyncx_get_sqe(mp->ring);
	if (sqe) {
		asyncx_prep_recv_multishot(sqe, mp->chan, buf,
					   SLOTS * sizeof(*buf));
		asyncx_sqe_set_data64(sqe, 2ULL << 32 | s);
	}
	ret = sqe && asyncx_submit(mp->ring) == 1 ? 0 : -1;
	pthread_mutex_unlock(&mp->sq_lock);
	return ret;
}

TEST_F_TIMEOUT(chan, producers_exactly_once_in_order, 400)
{
	static struct pmsg bufs[NSTREAM][SLOTS];
	static unsigned char seen[NPROD][NMSG];
	int last[NSTREAM][NPROD];
	struct mp mp = { .ring = &self->ring };
	struct prod prods[NPROD];
	pthread_t th[NPROD];
	unsigned long long sends = 0, recvs = 0, total = NPROD * nmsg;
	long long max_gap = 0;
	struct asyncx_cqe cqe;
	struct chan_info ci;
	unsigned int i, s;

	if (!access("/sys/kernel/debug/kmemleak", F_OK))
		nmsg = 2000;
	total = NPROD * nmsg;

	memset(seen, 0, sizeof(seen));
	memset(last, 0xff, sizeof(last));	/* -1 */
	pthread_mutex_init(&mp.sq_lock, NULL);
	mp.chan = asyncx_chan_create(&self->ring, CAP, sizeof(struct pmsg));
	ASSERT_LE(1, mp.chan);
	for (s = 0; s < NSTREAM; s++)
		ASSERT_EQ(0, arm_stream(&mp, s, bufs[s]));
	for (i = 0; i < NPROD; i++) {
		prods[i].mp = &mp;
		prods[i].id = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, producer, &prods[i]));
	}

	/* The one reaper. */
	while (recvs < total || sends < total) {
		unsigned int kind, who;

		if (wait_one(&self->ring, &cqe, 20000)) {
			TH_LOG("stuck: %llu sends, %llu recvs", sends, recvs);
			break;
		}
		kind = cqe.user_data >> 32;
		who = (unsigned int)cqe.user_data;
		if (kind == 1) {
			ASSERT_GT(NPROD, who);
			if (cqe.res != (int)sizeof(struct pmsg)) {
				TH_LOG("SEND of producer %u: %d", who, cqe.res);
				__atomic_store_n(&mp.err, cqe.res, __ATOMIC_RELAXED);
				break;
			}
			sends++;
			__atomic_fetch_add(&mp.done[who], 1, __ATOMIC_RELEASE);
		} else {
			ASSERT_EQ(2U, kind);
			ASSERT_GT(NSTREAM, who);
			if (!(cqe.flags & ASYNCX_CQE_F_MORE)) {
				/* A stream ended with its slots full: again. */
				ASSERT_EQ(SLOTS, cqe.res);
				ASSERT_EQ(0, arm_stream(&mp, who, bufs[who]));
				continue;
			}
			struct pmsg m = bufs[who][ASYNCX_CQE_SLOT(cqe.flags)];

			ASSERT_EQ((int)sizeof(m), cqe.res);
			ASSERT_GT(NPROD, m.producer);
			ASSERT_GT(nmsg, m.seq);
			/* Exactly once. */
			ASSERT_EQ(0, seen[m.producer][m.seq])
				TH_LOG("producer %u seq %u twice", m.producer, m.seq);
			seen[m.producer][m.seq] = 1;
			/* Per producer, each stream sees increasing seqs. */
			ASSERT_LT(last[who][m.producer], (int)m.seq)
				TH_LOG("stream %u: producer %u: %u after %d", who,
				       m.producer, m.seq, last[who][m.producer]);
			last[who][m.producer] = m.seq;
			recvs++;
		}
		/* SENDs completed but not received: at most the bound, plus
		 * one message per stream between its copy and its CQE.
		 */
		if ((long long)(sends - recvs) > max_gap)
			max_gap = sends - recvs;
		ASSERT_GE(CAP + NSTREAM, (long long)(sends - recvs))
			TH_LOG("%llu sends vs %llu recvs", sends, recvs);
	}
	__atomic_store_n(&mp.err, mp.err ? mp.err : -1, __ATOMIC_RELAXED);
	for (i = 0; i < NPROD; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(total, sends);
	EXPECT_EQ(total, recvs);
	for (i = 0; i < NPROD * nmsg; i++)
		EXPECT_EQ(1, seen[i / nmsg][i % nmsg]);
	ASSERT_EQ(0, chan_info(&self->ring, mp.chan, &ci));
	EXPECT_GE((unsigned int)CAP, ci.peak);
	EXPECT_LE(1U, ci.peak);
	EXPECT_EQ(total, ci.sent);
	EXPECT_EQ(total, ci.received);
	EXPECT_EQ(0U, ci.depth);
	TH_LOG("peak depth %u of %u; most SENDs ahead of RECVs %lld",
	       ci.peak, CAP, max_gap);
	/*
	 * The streams still armed end with the channel (a stream whose last
	 * slot was just filled ends with SLOTS, its CQE not reaped yet).
	 */
	EXPECT_EQ(0, asyncx_chan_destroy(&self->ring, mp.chan));
	for (s = 0; s < NSTREAM; s++) {
		ASSERT_EQ(0, wait_one(&self->ring, &cqe, 5000));
		EXPECT_EQ(2ULL << 32, cqe.user_data & ~0xffffffffULL);
		EXPECT_TRUE(cqe.res == -EPIPE || cqe.res == SLOTS)
			TH_LOG("res %d", cqe.res);
		EXPECT_EQ(0U, cqe.flags);
	}
	EXPECT_TRUE(quiet(&self->ring, 100));
	pthread_mutex_destroy(&mp.sq_lock);
}

/* Destroy wakes every waiting SEND and RECV with -EPIPE and reports the
 * queued messages it discarded.
 */
TEST_F(chan, destroy_wakes_all)
{
	struct asyncx_ring *r = &self->ring;
	int full = asyncx_chan_create(r, 1, 8);
	int empty = asyncx_chan_create(r, 1, 8);
	char buf[4][8], slots[32];
	struct asyncx_cqe cqe;
	unsigned int i, epipe = 0;

	ASSERT_LE(1, full);
	ASSERT_LE(1, empty);
	for (i = 0; i < 4; i++)
		send(r, full, "m", 1, 1 + i);
	for (i = 0; i < 3; i++)
		recv1(r, empty, buf[i], 8, 10 + i);
	recv1(r, empty, slots, sizeof(slots), 20)->op_flags = ASYNCX_RECV_MULTISHOT;
	ASSERT_EQ(8, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(1, cqe.user_data);
	EXPECT_EQ(1, cqe.res);
	EXPECT_TRUE(quiet(r, 200));

	EXPECT_EQ(1, asyncx_chan_destroy(r, full));	/* one queued */
	EXPECT_EQ(0, asyncx_chan_destroy(r, empty));
	for (i = 0; i < 7; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		EXPECT_EQ(-EPIPE, cqe.res) TH_LOG("ud %llu", (unsigned long long)cqe.user_data);
		EXPECT_EQ(0U, cqe.flags);
		epipe += cqe.res == -EPIPE;
	}
	EXPECT_EQ(7U, epipe);
	EXPECT_TRUE(quiet(r, 100));
}

/* Close with waiting SENDs and RECVs: nothing hangs or leaks (kmemleak and
 * the module's checks in dmesg), and a child that exits without closing
 * is cleaned up too.
 */
TEST_F(chan, close_with_waiters)
{
	int round, status;

	for (round = 0; round < 2; round++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct asyncx_ring r;
			static char buf[4][16];
			int c, d, i;

			if (asyncx_queue_init(64, &r, 0))
				_exit(1);
			c = asyncx_chan_create(&r, 1, 16);
			d = asyncx_chan_create(&r, 2, 16);
			if (c < 1 || d < 1)
				_exit(2);
			for (i = 0; i < 4; i++)
				send(&r, c, "abc", 3, i);
			for (i = 0; i < 4; i++)
				recv1(&r, d, buf[i], 16, 10 + i);
			send(&r, d, "x", 1, 20);	/* queued, received */
			if (asyncx_submit(&r) != 9)
				_exit(3);
			usleep(100000);
			if (round == 0)
				asyncx_queue_exit(&r);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, status);
	}
}

TEST_F(chan, multishot_slots)
{
	struct asyncx_ring *r = &self->ring;
	char slots[4][8], one_buf[8], msgs[6][8];
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	unsigned int i;
	char m[8];
	int c = asyncx_chan_create(r, 8, 8);

	ASSERT_LE(1, c);
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < 6; i++) {
		snprintf(msgs[i], sizeof(msgs[i]), "m%u", i);
		send(r, c, msgs[i], 3, i);
	}
	ASSERT_EQ(6, asyncx_submit(r));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		EXPECT_EQ(3, cqe.res);
	}
	/* 4 slots (plus 7 spare bytes, not a slot). */
	sqe = asyncx_get_sqe(r);
	asyncx_prep_recv_multishot(sqe, c, slots, sizeof(slots) + 7);
	asyncx_sqe_set_data64(sqe, 50);
	ASSERT_EQ(1, asyncx_submit(r));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		EXPECT_EQ(50, cqe.user_data);
		EXPECT_EQ(3, cqe.res);
		EXPECT_TRUE(cqe.flags & ASYNCX_CQE_F_MORE);
		EXPECT_EQ(i, ASYNCX_CQE_SLOT(cqe.flags));
		snprintf(m, sizeof(m), "m%u", i);
		EXPECT_EQ(0, memcmp(slots[i], m, 3));
	}
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(50, cqe.user_data);
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(0U, cqe.flags);
	/* The rest stayed in the channel. */
	recv1(r, c, one_buf, 8, 51);
	ASSERT_EQ(1, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(3, cqe.res);
	EXPECT_EQ(0, memcmp(one_buf, "m4", 3));

	/* A stream still waiting is ended by a cancellation. */
	sqe = asyncx_get_sqe(r);
	asyncx_prep_recv_multishot(sqe, c, slots, sizeof(slots));
	asyncx_sqe_set_data64(sqe, 60);
	ASSERT_EQ(1, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(60, cqe.user_data);
	EXPECT_EQ(3, cqe.res);
	EXPECT_EQ(ASYNCX_CQE_F_MORE, cqe.flags);
	EXPECT_EQ(0, memcmp(slots[0], "m5", 3));
	EXPECT_TRUE(quiet(r, 100));
	cancel(r, 60, 61);
	ASSERT_EQ(1, asyncx_submit(r));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		if (cqe.user_data == 61) {
			EXPECT_EQ(0, cqe.res);
		} else {
			EXPECT_EQ(60, cqe.user_data);
			EXPECT_EQ(-ECANCELED, cqe.res);
			EXPECT_EQ(0U, cqe.flags);
		}
	}
	EXPECT_EQ(0, asyncx_chan_destroy(r, c));
}

/* Cancelling a waiting SEND takes its message back and keeps the others'
 * order; cancelling a waiting RECV loses no message.
 */
TEST_F(chan, cancel_waiting)
{
	struct asyncx_ring *r = &self->ring;
	struct asyncx_cqe cqe;
	struct chan_info ci;
	unsigned int i, in;
	unsigned int msg[4] = { 1, 2, 3, 4 };
	int c = asyncx_chan_create(r, 1, 4);

	ASSERT_LE(1, c);
	for (i = 0; i < 4; i++)
		send(r, c, &msg[i], 4, 1 + i);
	ASSERT_EQ(4, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(1, cqe.user_data);
	EXPECT_TRUE(quiet(r, 100));
	cancel(r, 3, 30);			/* the middle waiter */
	ASSERT_EQ(1, asyncx_submit(r));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		if (cqe.user_data == 30) {
			EXPECT_EQ(0, cqe.res);
		} else {
			EXPECT_EQ(3, cqe.user_data);
			EXPECT_EQ(-ECANCELED, cqe.res);
		}
	}
	ASSERT_EQ(0, chan_info(r, c, &ci));
	EXPECT_EQ(2U, ci.waiting);	/* 2 and 4 */
	EXPECT_EQ(1U, ci.depth);
	/* 1, 2, 4 arrive; 3 never does. */
	for (i = 0; i < 3; i++) {
		unsigned int want = i < 2 ? i + 1 : 4, got;
		bool r_seen = false;

		recv1(r, c, &in, 4, 40 + i);
		ASSERT_EQ(1, asyncx_submit(r));
		for (got = 0; got < (i < 2 ? 2U : 1U); got++) {
			ASSERT_EQ(0, wait_one(r, &cqe, 5000));
			if (cqe.user_data == 40 + i) {
				EXPECT_EQ(want, in);
				r_seen = true;
			} else {
				EXPECT_EQ(i == 0 ? 2U : 4U, cqe.user_data);
				EXPECT_EQ(4, cqe.res);
			}
		}
		EXPECT_TRUE(r_seen);
	}
	ASSERT_EQ(0, chan_info(r, c, &ci));
	EXPECT_EQ(3ULL, ci.sent);
	EXPECT_EQ(3ULL, ci.received);
	EXPECT_EQ(0U, ci.depth);

	/* A waiting RECV, cancelled; the next message goes to the next RECV. */
	recv1(r, c, &in, 4, 50);
	ASSERT_EQ(1, asyncx_submit(r));
	EXPECT_TRUE(quiet(r, 100));
	cancel(r, 50, 51);
	ASSERT_EQ(1, asyncx_submit(r));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		EXPECT_EQ(cqe.user_data == 51 ? 0 : -ECANCELED, cqe.res);
	}
	send(r, c, &msg[2], 4, 52);
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(4, cqe.res);
	in = 0;
	recv1(r, c, &in, 4, 53);
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(53, cqe.user_data);
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(3U, in);

	/* CANCEL_ALL with many waiting SENDs: each completes exactly once. */
	send(r, c, &msg[0], 4, 60);
	for (i = 0; i < 100; i++)
		send(r, c, &msg[1], 4, 100 + i);
	ASSERT_EQ(101, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(60, cqe.user_data);
	cancel(r, 0, 0)->op_flags = ASYNCX_CANCEL_ALL;
	ASSERT_EQ(1, asyncx_submit(r));
	for (i = 0; i < 101; i++) {
		ASSERT_EQ(0, wait_one(r, &cqe, 5000));
		if (cqe.user_data) {
			EXPECT_EQ(-ECANCELED, cqe.res);
		} else {
			EXPECT_EQ(100, cqe.res);
		}
	}
	EXPECT_TRUE(quiet(r, 100));
	ASSERT_EQ(0, chan_info(r, c, &ci));
	EXPECT_EQ(0U, ci.waiting);
	EXPECT_EQ(1U, ci.depth);
	EXPECT_EQ(1, asyncx_chan_destroy(r, c));
}

/* A RECV whose buffer faults completes with -EFAULT and leaves the
 * message in the channel for the next RECV.
 */
TEST_F(chan, recv_fault_keeps_message)
{
	struct asyncx_ring *r = &self->ring;
	long psz = sysconf(_SC_PAGESIZE);
	struct asyncx_cqe cqe;
	char in[16] = "";
	void *hole;
	int c = asyncx_chan_create(r, 2, 16);

	ASSERT_LE(1, c);
	hole = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	send(r, c, "keep", 4, 1);
	ASSERT_EQ(0, one(r, &cqe));
	EXPECT_EQ(4, cqe.res);
	recv1(r, c, hole, 16, 2);		/* read-only: the copy faults */
	ASSERT_EQ(1, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(2, cqe.user_data);
	EXPECT_EQ(-EFAULT, cqe.res);
	recv1(r, c, in, 16, 3);
	ASSERT_EQ(1, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(3, cqe.user_data);
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(0, memcmp(in, "keep", 4));
	munmap(hole, psz);
	EXPECT_EQ(0, asyncx_chan_destroy(r, c));
}

/* A SEND linked to a RECV: the RECV runs after the SEND and gets it. */
TEST_F(chan, linked)
{
	struct asyncx_ring *r = &self->ring;
	struct asyncx_cqe cqe;
	char in[8] = "";
	int c = asyncx_chan_create(r, 1, 8);

	ASSERT_LE(1, c);
	asyncx_sqe_set_flags(send(r, c, "link", 4, 1), ASYNCX_SQE_LINK);
	asyncx_sqe_set_flags(recv1(r, c, in, 8, 2), ASYNCX_SQE_LINK);
	/* A second SEND in the chain waits for room no more. */
	send(r, c, "next", 4, 3);
	ASSERT_EQ(3, asyncx_submit(r));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(1, cqe.user_data);
	EXPECT_EQ(4, cqe.res);
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(2, cqe.user_data);
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(0, memcmp(in, "link", 4));
	ASSERT_EQ(0, wait_one(r, &cqe, 5000));
	EXPECT_EQ(3, cqe.user_data);
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(1, asyncx_chan_destroy(r, c));
}

/* PROBE reports SEND and RECV with the RECV flag. */
TEST_F(chan, probe)
{
	struct asyncx_ring *r = &self->ring;
	struct {
		struct asyncx_probe p;
		struct asyncx_probe_op ops[ASYNCX_OP_LAST];
	} buf;
	struct asyncx_cqe cqe;

	memset(&buf, 0, sizeof(buf));
	asyncx_prep_probe(asyncx_get_sqe(r), &buf.p, ASYNCX_OP_LAST);
	ASSERT_EQ(0, one(r, &cqe));
	ASSERT_EQ(0, cqe.res);
	EXPECT_EQ(ASYNCX_PROBE_OP_SUPPORTED, buf.ops[ASYNCX_OP_SEND].flags);
	EXPECT_EQ(0U, buf.ops[ASYNCX_OP_SEND].op_flags);
	EXPECT_EQ(ASYNCX_PROBE_OP_SUPPORTED, buf.ops[ASYNCX_OP_RECV].flags);
	EXPECT_EQ(ASYNCX_RECV_MULTISHOT, buf.ops[ASYNCX_OP_RECV].op_flags);
}

TEST_HARNESS_MAIN
