// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * chan_producers: producer threads and a consumer thread of one process
 * pass messages through a channel on one asyncx context, with no syscall
 * but the ring's submit and wait.
 *
 * Each producer SENDs MESSAGES messages {producer, seq}; the channel holds
 * 64, so SENDs wait in the kernel while it is full (backpressure). The
 * consumer (the main thread, the ring's only reaper) keeps one multishot
 * RECV armed that fills 256 slots, re-arms it when it ends, and checks
 * that every message arrives once and each producer's in order. The SQ is
 * shared, so it is taken under a mutex; each producer keeps at most WINDOW
 * SENDs in flight, so the CQ never overflows.
 *
 * Usage: chan_producers [PRODUCERS [MESSAGES]]   (default 4 x 20000)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#define CAPACITY	64
#define SLOTS		256
#define WINDOW		128
#define MAX_PRODUCERS	64

#define TAG_SEND	1ULL
#define TAG_RECV	2ULL

struct msg {
	unsigned int producer;
	unsigned int seq;
};

static struct asyncx_ring ring;
static pthread_mutex_t sq_lock = PTHREAD_MUTEX_INITIALIZER;
static int chan;
static unsigned int nmsg;
static unsigned int acked[MAX_PRODUCERS];	/* SEND CQEs reaped */
static int failed;

static void *producer(void *arg)
{
	struct msg m = { .producer = (unsigned int)(uintptr_t)arg };
	unsigned int next = 0;

	while (next < nmsg && !__atomic_load_n(&failed, __ATOMIC_RELAXED)) {
		unsigned int done = __atomic_load_n(&acked[m.producer],
						    __ATOMIC_ACQUIRE);
		struct asyncx_sqe *sqe;

		if (next - done >= WINDOW) {
			usleep(100);
			continue;
		}
		pthread_mutex_lock(&sq_lock);
		sqe = asyncx_get_sqe(&ring);
		if (sqe) {
			m.seq = next++;
			/* The module copies the message: m is free at once. */
			asyncx_prep_send(sqe, chan, &m, sizeof(m));
			asyncx_sqe_set_data64(sqe, TAG_SEND << 32 | m.producer);
			if (asyncx_submit(&ring) != 1)
				__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&sq_lock);
	}
	return NULL;
}

static int arm_recv(struct msg *slots)
{
	struct asyncx_sqe *sqe;
	int ret = -EBUSY;

	pthread_mutex_lock(&sq_lock);
	sqe = asyncx_get_sqe(&ring);
	if (sqe) {
		asyncx_prep_recv_multishot(sqe, chan, slots,
					   SLOTS * sizeof(*slots));
		asyncx_sqe_set_data64(sqe, TAG_RECV << 32);
		ret = asyncx_submit(&ring) == 1 ? 0 : -EIO;
	}
	pthread_mutex_unlock(&sq_lock);
	return ret;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct msg slots[SLOTS];
	unsigned int nprod = argc > 1 ? atoi(argv[1]) : 4;
	unsigned int *expect, i;
	unsigned long long total, sent = 0, received = 0;
	struct asyncx_params p = { .flags = ASYNCX_SETUP_CQSIZE };
	pthread_t th[MAX_PRODUCERS];
	struct asyncx_cqe *cqe;
	double t0;
	int ret;

	nmsg = argc > 2 ? atoi(argv[2]) : 20000;
	if (!nprod || nprod > MAX_PRODUCERS) {
		fprintf(stderr, "PRODUCERS: 1..%d\n", MAX_PRODUCERS);
		return 2;
	}
	total = (unsigned long long)nprod * nmsg;
	/* Room for every CQE that can be outstanding: no overflow. */
	p.cq_entries = nprod * WINDOW + SLOTS + 64;
	ret = asyncx_queue_init_params(64, &ring, &p);
	if (ret) {
		fprintf(stderr, "asyncx_queue_init_params: %s\n", strerror(-ret));
		return 1;
	}
	chan = asyncx_chan_create(&ring, CAPACITY, sizeof(struct msg));
	if (chan < 0) {
		fprintf(stderr, "asyncx_chan_create: %s\n", strerror(-chan));
		return 1;
	}
	expect = calloc(nprod, sizeof(*expect));
	if (!expect)
		return 1;
	if (arm_recv(slots)) {
		free(expect);
		return 1;
	}

	t0 = now_s();
	for (i = 0; i < nprod; i++)
		pthread_create(&th[i], NULL, producer, (void *)(uintptr_t)i);

	while (!failed && (sent < total || received < total)) {
		unsigned int tag, who;
		struct msg m;

		ret = asyncx_wait_cqe(&ring, &cqe);
		if (ret) {
			fprintf(stderr, "asyncx_wait_cqe: %s\n", strerror(-ret));
			failed = 1;
			break;
		}
		tag = cqe->user_data >> 32;
		who = (unsigned int)cqe->user_data;
		if (tag == TAG_SEND) {
			if (cqe->res != (int)sizeof(struct msg)) {
				fprintf(stderr, "SEND: %s\n", strerror(-cqe->res));
				failed = 1;
			}
			sent++;
			__atomic_fetch_add(&acked[who], 1, __ATOMIC_RELEASE);
		} else if (!(cqe->flags & ASYNCX_CQE_F_MORE)) {
			/* The stream ended: its slots are all used. Again. */
			if (cqe->res != SLOTS || arm_recv(slots)) {
				fprintf(stderr, "RECV stream: %d\n", cqe->res);
				failed = 1;
			}
		} else {
			m = slots[ASYNCX_CQE_SLOT(cqe->flags)];
			if (m.producer >= nprod || m.seq != expect[m.producer]) {
				fprintf(stderr, "message {%u, %u} out of order\n",
					m.producer, m.seq);
				failed = 1;
			} else {
				expect[m.producer]++;
				received++;
			}
		}
		asyncx_cqe_seen(&ring, cqe);
	}
	__atomic_store_n(&failed, failed, __ATOMIC_RELAXED);
	for (i = 0; i < nprod; i++)
		pthread_join(th[i], NULL);
	free(expect);
	if (failed)
		return 1;
	printf("%u producers x %u messages: %llu received in order in %.2f s\n",
	       nprod, nmsg, received, now_s() - t0);
	/* Nothing is left in the channel: destroy discards nothing. */
	ret = asyncx_chan_destroy(&ring, chan);
	if (ret != 0) {
		fprintf(stderr, "asyncx_chan_destroy: %d\n", ret);
		return 1;
	}
	asyncx_queue_exit(&ring);
	return 0;
}
