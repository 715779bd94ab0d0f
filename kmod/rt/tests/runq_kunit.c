// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_runq: the executor's local run queue (kmod/rt/runq.h).
 *
 * The single-threaded cases check each operation's result and order, the
 * full and empty rings, a steal in progress and the wrap of the u32
 * positions. The stress case runs the real protocol: an owner kthread on
 * CPU 0 pushes, pops and drains while one thief kthread per other online
 * CPU steals, and every item must be taken exactly once.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>

#include "../runq.h"

/* Items are ids, encoded as odd (so non-NULL) pointers never dereferenced. */
static struct axq_task *item(u64 id)
{
	return (struct axq_task *)(uintptr_t)((id << 1) | 1);
}

static u64 item_id(struct axq_task *t)
{
	return (u64)(uintptr_t)t >> 1;
}

static struct axq_runq *runq_alloc(struct kunit *test)
{
	struct axq_runq *q = kunit_kzalloc(test, sizeof(*q), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, q);
	axq_runq_init(q);
	return q;
}

/* Test only: start @q empty with every position at @pos. */
static void runq_init_at(struct axq_runq *q, u32 pos)
{
	axq_runq_init(q);
	atomic64_set(&q->head, axq_runq_head_pack(pos, pos));
	atomic_set(&q->tail, (int)pos);
}

/* Push ids [first, first + n); all must fit. */
static void push_range(struct kunit *test, struct axq_runq *q, u64 first,
		       unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_TRUE(test, axq_runq_push(q, item(first + i)));
}

/* Pop ids [first, first + n) in that order. */
static void expect_pops(struct kunit *test, struct axq_runq *q, u64 first,
			unsigned int n)
{
	struct axq_task *t;
	unsigned int i;

	for (i = 0; i < n; i++) {
		t = axq_runq_pop(q);
		KUNIT_ASSERT_NOT_NULL(test, t);
		KUNIT_ASSERT_EQ(test, item_id(t), first + i);
	}
}

static void pop_empty(struct kunit *test)
{
	struct axq_runq *q = runq_alloc(test);

	KUNIT_EXPECT_EQ(test, axq_runq_len(q), 0U);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));

	KUNIT_ASSERT_TRUE(test, axq_runq_push(q, item(7)));
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), 1U);
	KUNIT_EXPECT_PTR_EQ(test, axq_runq_pop(q), item(7));
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), 0U);
}

static void push_pop_fifo(struct kunit *test)
{
	struct axq_runq *q = runq_alloc(test);
	unsigned int round;

	/* Several laps, so that the slots are reused. */
	for (round = 0; round < 4; round++) {
		push_range(test, q, round * 1000, 100);
		KUNIT_EXPECT_EQ(test, axq_runq_len(q), 100U);
		expect_pops(test, q, round * 1000, 100);
		KUNIT_EXPECT_NULL(test, axq_runq_pop(q));
	}

	/* Interleaved: push two, pop one, until one slot is left. */
	for (round = 0; round < AXQ_RUNQ_SIZE - 1; round++) {
		push_range(test, q, 2 * round, 2);
		expect_pops(test, q, round, 1);
	}
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), AXQ_RUNQ_SIZE - 1U);
	expect_pops(test, q, AXQ_RUNQ_SIZE - 1, AXQ_RUNQ_SIZE - 1);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));
}

static void push_full(struct kunit *test)
{
	struct axq_runq *q = runq_alloc(test);

	push_range(test, q, 0, AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), (unsigned int)AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_FALSE(test, axq_runq_push(q, item(AXQ_RUNQ_SIZE)));
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), (unsigned int)AXQ_RUNQ_SIZE);

	/* One pop frees one slot, and only one. */
	expect_pops(test, q, 0, 1);
	KUNIT_EXPECT_TRUE(test, axq_runq_push(q, item(AXQ_RUNQ_SIZE)));
	KUNIT_EXPECT_FALSE(test, axq_runq_push(q, item(AXQ_RUNQ_SIZE + 1)));
	expect_pops(test, q, 1, AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));
}

static void drain_half_oldest(struct kunit *test)
{
	struct axq_task **out;
	struct axq_runq *q = runq_alloc(test);
	unsigned int i, n;

	out = kunit_kcalloc(test, AXQ_RUNQ_SIZE / 2, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);

	KUNIT_EXPECT_EQ(test, axq_runq_drain_half(q, out), 0U);

	/* The executor's case: the ring is full. */
	push_range(test, q, 0, AXQ_RUNQ_SIZE);
	KUNIT_ASSERT_FALSE(test, axq_runq_push(q, item(AXQ_RUNQ_SIZE)));
	n = axq_runq_drain_half(q, out);
	KUNIT_ASSERT_EQ(test, n, (unsigned int)AXQ_RUNQ_SIZE / 2);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, item_id(out[i]), (u64)i);
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), (unsigned int)AXQ_RUNQ_SIZE / 2);

	/* The drained slots are free again; the rest stays in order. */
	push_range(test, q, AXQ_RUNQ_SIZE, AXQ_RUNQ_SIZE / 2);
	KUNIT_EXPECT_FALSE(test, axq_runq_push(q, item(0)));
	expect_pops(test, q, AXQ_RUNQ_SIZE / 2, AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));

	/* An odd count: half rounded up. */
	push_range(test, q, 500, 5);
	KUNIT_ASSERT_EQ(test, axq_runq_drain_half(q, out), 3U);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, item_id(out[i]), 500ULL + i);
	expect_pops(test, q, 503, 2);

	push_range(test, q, 600, 1);
	KUNIT_ASSERT_EQ(test, axq_runq_drain_half(q, out), 1U);
	KUNIT_EXPECT_PTR_EQ(test, out[0], item(600));
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));
}

static void steal_into_half(struct kunit *test)
{
	struct axq_runq *src = runq_alloc(test);
	struct axq_runq *dst = runq_alloc(test);

	KUNIT_EXPECT_EQ(test, axq_runq_steal_into(src, dst), 0U);

	/* Seven items: the oldest four move. */
	push_range(test, src, 0, 7);
	KUNIT_ASSERT_EQ(test, axq_runq_steal_into(src, dst), 4U);
	KUNIT_EXPECT_EQ(test, axq_runq_len(src), 3U);
	KUNIT_EXPECT_EQ(test, axq_runq_len(dst), 4U);
	expect_pops(test, dst, 0, 4);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(dst));
	expect_pops(test, src, 4, 3);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(src));

	/* Stolen items go to dst's tail, after what dst already holds. */
	push_range(test, dst, 100, 2);
	push_range(test, src, 200, 1);
	KUNIT_ASSERT_EQ(test, axq_runq_steal_into(src, dst), 1U);
	KUNIT_EXPECT_EQ(test, axq_runq_len(src), 0U);
	expect_pops(test, dst, 100, 2);
	expect_pops(test, dst, 200, 1);

	/* A full victim gives half the ring. */
	push_range(test, src, 1000, AXQ_RUNQ_SIZE);
	KUNIT_ASSERT_EQ(test, axq_runq_steal_into(src, dst),
			(unsigned int)AXQ_RUNQ_SIZE / 2);
	expect_pops(test, dst, 1000, AXQ_RUNQ_SIZE / 2);
	expect_pops(test, src, 1000 + AXQ_RUNQ_SIZE / 2, AXQ_RUNQ_SIZE / 2);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(src));
	KUNIT_EXPECT_NULL(test, axq_runq_pop(dst));
}

static void steal_into_dst_room(struct kunit *test)
{
	struct axq_runq *src = runq_alloc(test);
	struct axq_runq *dst = runq_alloc(test);

	push_range(test, src, 0, 100);

	/* No free slot in dst: nothing moves. */
	push_range(test, dst, 1000, AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_EQ(test, axq_runq_steal_into(src, dst), 0U);
	KUNIT_EXPECT_EQ(test, axq_runq_len(src), 100U);

	/* Three free slots: three move, the oldest. */
	expect_pops(test, dst, 1000, 3);
	KUNIT_ASSERT_EQ(test, axq_runq_steal_into(src, dst), 3U);
	expect_pops(test, dst, 1003, AXQ_RUNQ_SIZE - 3);
	expect_pops(test, dst, 0, 3);
	expect_pops(test, src, 3, 97);
}

/*
 * A thief has claimed [0, 4) and not finished copying (set by hand): others
 * may not steal or drain, the owner may pop past the claim, and push must
 * not reuse the claimed slots until the thief releases them.
 */
static void steal_in_progress(struct kunit *test)
{
	struct axq_task **out;
	struct axq_runq *q = runq_alloc(test);
	struct axq_runq *dst = runq_alloc(test);

	out = kunit_kcalloc(test, AXQ_RUNQ_SIZE / 2, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);

	push_range(test, q, 0, 10);
	atomic64_set(&q->head, axq_runq_head_pack(0, 4));
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), 6U);

	KUNIT_EXPECT_EQ(test, axq_runq_steal_into(q, dst), 0U);
	KUNIT_EXPECT_EQ(test, axq_runq_drain_half(q, out), 0U);

	/* The owner pops past the claim; steal stays where it was. */
	expect_pops(test, q, 4, 1);
	KUNIT_EXPECT_EQ(test, axq_runq_head_steal(atomic64_read(&q->head)), 0U);
	KUNIT_EXPECT_EQ(test, axq_runq_head_real(atomic64_read(&q->head)), 5U);

	/* Room for SIZE - 10 more: the four claimed slots are not free. */
	push_range(test, q, 10, AXQ_RUNQ_SIZE - 10);
	KUNIT_EXPECT_FALSE(test, axq_runq_push(q, item(AXQ_RUNQ_SIZE)));
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), (unsigned int)AXQ_RUNQ_SIZE - 5);

	/* The thief finishes: steal catches up with real. */
	atomic64_set(&q->head, axq_runq_head_pack(5, 5));
	push_range(test, q, AXQ_RUNQ_SIZE, 5);
	KUNIT_EXPECT_FALSE(test, axq_runq_push(q, item(0)));
	expect_pops(test, q, 5, AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));
}

/* Every operation across the point where the u32 positions wrap to 0. */
static void positions_wrap(struct kunit *test)
{
	struct axq_task **out;
	struct axq_runq *q = runq_alloc(test);
	struct axq_runq *dst = runq_alloc(test);
	unsigned int i;

	out = kunit_kcalloc(test, AXQ_RUNQ_SIZE / 2, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);

	runq_init_at(q, U32_MAX - 100);
	runq_init_at(dst, U32_MAX - 3);

	push_range(test, q, 0, AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_EQ(test, (u32)atomic_read(&q->tail), 155U);
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), (unsigned int)AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_FALSE(test, axq_runq_push(q, item(AXQ_RUNQ_SIZE)));

	expect_pops(test, q, 0, 10);

	/* 246 queued: 123 move, into a ring that wraps as well. */
	KUNIT_ASSERT_EQ(test, axq_runq_steal_into(q, dst), 123U);
	KUNIT_EXPECT_EQ(test, axq_runq_len(dst), 123U);
	expect_pops(test, dst, 10, 123);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(dst));

	/* 123 left: 62 drained. */
	KUNIT_ASSERT_EQ(test, axq_runq_drain_half(q, out), 62U);
	for (i = 0; i < 62; i++)
		KUNIT_EXPECT_EQ(test, item_id(out[i]), 133ULL + i);
	expect_pops(test, q, 195, AXQ_RUNQ_SIZE - 195);
	KUNIT_EXPECT_NULL(test, axq_runq_pop(q));
	KUNIT_EXPECT_EQ(test, axq_runq_len(q), 0U);

	/* The ring works on after the wrap. */
	push_range(test, q, 5000, AXQ_RUNQ_SIZE);
	KUNIT_EXPECT_FALSE(test, axq_runq_push(q, item(0)));
	expect_pops(test, q, 5000, AXQ_RUNQ_SIZE);
}

/*
 * The stress case. Worker 0, the owner, runs on CPU 0: it pushes
 * STRESS_ITEMS distinct ids into its ring, pops one every fourth push, and
 * drains half the ring whenever a push fails. Every other worker runs on
 * another online CPU and pops its own ring or, when that is empty, steals
 * from the others (the owner's ring and its fellow thieves'). A worker
 * counts what it takes; the sums are combined after kthread_stop(). The
 * rings start with their positions near U32_MAX, so they wrap under load.
 */
#define STRESS_ITEMS	4000000ULL
#define STRESS_TIMEOUT	(120 * HZ)

struct stress_acc {
	u64	count;		/* items taken */
	u64	sum;		/* of their ids */
	u64	xor;		/* of their ids */
	u64	steals;		/* successful axq_runq_steal_into() calls */
	u64	stolen;		/* items they moved */
	u64	drains;		/* successful axq_runq_drain_half() calls */
	u64	drained;	/* items they took */
};

struct stress;

struct stress_worker {
	struct axq_runq		q;	/* owned by this worker */
	struct stress		*s;
	struct task_struct	*task;
	unsigned int		idx;
	unsigned int		cpu;
	struct stress_acc	acc;	/* written by this worker only */
	struct axq_task		*out[AXQ_RUNQ_SIZE / 2];
};

struct stress {
	struct stress_worker	*w;
	unsigned int		nr;
	struct completion	pushed;	/* the owner pushed every item */
};

static void stress_take(struct stress_acc *acc, struct axq_task *t)
{
	u64 id = item_id(t);

	acc->count++;
	acc->sum += id;
	acc->xor ^= id;
}

/* Pop own items, else steal some. Return true if anything was taken. */
static bool stress_work(struct stress_worker *w, unsigned int *victim)
{
	struct stress *s = w->s;
	struct axq_task *t;
	unsigned int i, v, n;

	t = axq_runq_pop(&w->q);
	if (t) {
		stress_take(&w->acc, t);
		return true;
	}
	/* Start from the last victim that had work (at first, the owner). */
	for (i = 0; i < s->nr; i++) {
		v = (*victim + i) % s->nr;
		if (v == w->idx)
			continue;
		n = axq_runq_steal_into(&s->w[v].q, &w->q);
		if (n) {
			*victim = v;
			w->acc.steals++;
			w->acc.stolen += n;
			return true;
		}
	}
	return false;
}

static int stress_thread(void *data)
{
	struct stress_worker *w = data;
	unsigned int victim = 0;
	struct axq_task *t;
	unsigned int i, n;
	u64 id;

	if (w->idx == 0) {
		for (id = 0; id < STRESS_ITEMS && !kthread_should_stop(); id++) {
			while (!axq_runq_push(&w->q, item(id))) {
				n = axq_runq_drain_half(&w->q, w->out);
				if (!n) {
					/* A steal holds slots: wait for it. */
					cond_resched();
					continue;
				}
				w->acc.drains++;
				w->acc.drained += n;
				for (i = 0; i < n; i++)
					stress_take(&w->acc, w->out[i]);
			}
			if (id % 4 == 3) {
				t = axq_runq_pop(&w->q);
				if (t)
					stress_take(&w->acc, t);
			}
			if (id % 64 == 0)
				cond_resched();
		}
		complete(&w->s->pushed);
	}

	while (!kthread_should_stop()) {
		if (!stress_work(w, &victim))
			cond_resched();
	}

	/* Others may still steal from us; whatever is left here is ours. */
	while ((t = axq_runq_pop(&w->q)))
		stress_take(&w->acc, t);
	return 0;
}

static void runq_stress(struct kunit *test)
{
	struct stress_acc tot = {};
	struct stress *s;
	struct stress_worker *w;
	unsigned long left;
	unsigned int cpu, i;
	u64 sum = 0, xor = 0, id;
	ktime_t start;
	s64 ms;

	if (!cpu_online(0) || num_online_cpus() < 2)
		kunit_skip(test, "needs CPU 0 and another online CPU");

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->w = kunit_kcalloc(test, num_online_cpus(), sizeof(*s->w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->w);
	init_completion(&s->pushed);

	/* Worker 0 on CPU 0, then a thief on each other online CPU. */
	s->nr = 1;
	for_each_online_cpu(cpu) {
		if (cpu != 0 && s->nr < num_online_cpus())
			s->w[s->nr++].cpu = cpu;
	}
	for (i = 0; i < s->nr; i++) {
		w = &s->w[i];
		w->s = s;
		w->idx = i;
		/* The positions wrap during the run (the thieves' maybe). */
		runq_init_at(&w->q, U32_MAX - (i ? 1000U : (u32)STRESS_ITEMS / 2));
		w->task = kthread_create(stress_thread, w, "axq_runq/%u", w->cpu);
		if (IS_ERR(w->task)) {
			KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(w->task));
			w->task = NULL;
			continue;
		}
		kthread_bind(w->task, w->cpu);
	}

	start = ktime_get();
	/* wake_up_process() orders the initialisation above before the run. */
	for (i = 0; i < s->nr; i++)
		if (s->w[i].task)
			wake_up_process(s->w[i].task);

	left = 0;
	if (s->w[0].task)
		left = wait_for_completion_timeout(&s->pushed, STRESS_TIMEOUT);

	/* Stop the thieves first, the owner last. */
	for (i = s->nr; i-- > 0;)
		if (s->w[i].task)
			kthread_stop(s->w[i].task);
	ms = ktime_ms_delta(ktime_get(), start);

	KUNIT_ASSERT_NE_MSG(test, left, 0UL, "the owner did not push all in %ds",
			    STRESS_TIMEOUT / HZ);

	for (i = 0; i < s->nr; i++) {
		struct stress_acc *a = &s->w[i].acc;

		KUNIT_EXPECT_EQ(test, axq_runq_len(&s->w[i].q), 0U);
		kunit_info(test, "worker %u (cpu %u): took %llu, %llu steals of %llu items, %llu drains of %llu items\n",
			   i, s->w[i].cpu, a->count, a->steals, a->stolen,
			   a->drains, a->drained);
		tot.count += a->count;
		tot.sum += a->sum;
		tot.xor ^= a->xor;
		tot.steals += a->steals;
		tot.stolen += a->stolen;
	}
	for (id = 0; id < STRESS_ITEMS; id++) {
		sum += id;
		xor ^= id;
	}
	kunit_info(test, "%llu items, %u workers, %llu steals of %llu items, %lld ms\n",
		   STRESS_ITEMS, s->nr, tot.steals, tot.stolen, ms);

	KUNIT_EXPECT_EQ(test, tot.count, STRESS_ITEMS);
	KUNIT_EXPECT_EQ(test, tot.sum, sum);
	KUNIT_EXPECT_EQ(test, tot.xor, xor);
	KUNIT_EXPECT_GT(test, tot.steals, 0ULL);
}

static struct kunit_case asyncx_runq_cases[] = {
	KUNIT_CASE(pop_empty),
	KUNIT_CASE(push_pop_fifo),
	KUNIT_CASE(push_full),
	KUNIT_CASE(drain_half_oldest),
	KUNIT_CASE(steal_into_half),
	KUNIT_CASE(steal_into_dst_room),
	KUNIT_CASE(steal_in_progress),
	KUNIT_CASE(positions_wrap),
	KUNIT_CASE(runq_stress),
	{}
};

static struct kunit_suite asyncx_runq_suite = {
	.name = "asyncx_runq",
	.test_cases = asyncx_runq_cases,
};

kunit_test_suites(&asyncx_runq_suite);
