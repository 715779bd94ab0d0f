// SPDX-License-Identifier: GPL-2.0
/*
 * faults_client: the workloads of faults.sh, run while failslab and
 * fail_page_alloc make the kernel's allocations fail, and their
 * accounting. Every call must succeed or return a negative errno; every
 * SQE the module consumed must come back as exactly one CQE, or be counted
 * in the SQ ring's dropped word (the one loss the ABI allows: an overflow
 * entry that could not be allocated). Prints TAP lines and a "# counts"
 * line; exits 1 on any violation.
 *
 * Modes:
 *   nth-setup     systematic: fail the 1st, 2nd, ... allocation of
 *                 open + ASYNCX_IOC_SETUP + mmap (/proc/thread-self/fail-nth)
 *                 until the sequence completes without reaching it
 *   nth-enter     the same for one ENTER of a batch of every op
 *   ops SECONDS   random faults (failslab/fail_page_alloc as faults.sh set
 *                 them up, task-filtered): this thread fails only inside
 *                 the asyncx calls (make-it-fail is set around them); rings
 *                 set up and torn down, batches of every op, overflow
 *   load KO STRIDE SECONDS
 *                 systematic: fail the 1st, 1+STRIDE-th, ... allocation of
 *                 finit_module(KO) (the module must not be loaded)
 *   hold          set up a ring with operations in flight, print "ready",
 *                 sleep until killed (teardown.sh)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#define MAX_UD		(1U << 22)
#define LONG_UD		(1ULL << 40)	/* cancel targets */

static int fail_fd = -1;	/* /proc/thread-self/make-it-fail */
static int nth_fd = -1;		/* /proc/thread-self/fail-nth */
static unsigned char *seen;
static unsigned long submitted, received, bad;
static unsigned long errnos[512];
static int tmpfd, pipefd[2];
static char rbuf[64], wbuf[64];
static struct __kernel_timespec ts_short = { .tv_nsec = 1000000 };
static struct __kernel_timespec ts_long = { .tv_nsec = 50000000 };
static struct __kernel_timespec ts_hour = { .tv_sec = 3600 };

static void faults(int on)
{
	if (fail_fd >= 0 && pwrite(fail_fd, on ? "1" : "0", 1, 0) != 1) {
		perror("make-it-fail");
		exit(1);
	}
}

static void count_errno(long ret)
{
	if (ret < 0 && ret > -512)
		errnos[-ret]++;
	else
		bad++;
}

static void set_nth(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		perror("fail-nth");
		exit(1);
	}
}

/* 0 once the nth allocation was reached (and failed), else what is left. */
static unsigned int get_nth(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0) {
		perror("fail-nth");
		exit(1);
	}
	return strtoul(buf, NULL, 10);
}

static int open_fds(void)
{
	char path[64];
	int n = 0, i;

	for (i = 0; i < 1024; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		n += !access(path, F_OK);
	}
	return n;
}

/* The lib's setup (open, SETUP, three mmaps) under faults: 0 or -errno. */
static int ring_init(struct asyncx_ring *ring, unsigned int sq, unsigned int cq)
{
	struct asyncx_params p = { .flags = ASYNCX_SETUP_CQSIZE, .cq_entries = cq };
	int ret;

	faults(1);
	ret = asyncx_queue_init_params(sq, ring, &p);
	faults(0);
	if (ret > 0 || (ret < 0 && ring->fd != -1))
		bad++;
	return ret;
}

static struct asyncx_sqe *sqe_of(struct asyncx_ring *ring, __u64 ud)
{
	struct asyncx_sqe *sqe = asyncx_get_sqe(ring);

	if (sqe)
		asyncx_sqe_set_data64(sqe, ud);
	return sqe;
}

/*
 * Queue one SQE of each kind (and a chain), at most @room of them; every
 * one of them completes within about 50 ms. Returns how many.
 */
static unsigned int queue_mix(struct asyncx_ring *ring, unsigned int room,
			      unsigned long *next)
{
	unsigned int n = 0, kind;
	struct asyncx_sqe *sqe;

	if (room > asyncx_sq_space_left(ring))
		room = asyncx_sq_space_left(ring);

	for (kind = 0; n + 3 <= room; kind = (kind + 1) % 8) {
		__u64 ud = (*next)++;

		if (ud >= MAX_UD)
			break;
		sqe = sqe_of(ring, ud);
		n++;
		switch (kind) {
		case 0:
			asyncx_prep_nop(sqe);
			break;
		case 1:
			asyncx_prep_timeout(sqe, &ts_short, 0);
			break;
		case 2:
			asyncx_prep_poll(sqe, pipefd[0], POLLIN);
			break;
		case 3:
			asyncx_prep_read(sqe, tmpfd, rbuf, sizeof(rbuf), 0);
			break;
		case 4:
			asyncx_prep_write(sqe, tmpfd, wbuf, sizeof(wbuf), 64);
			break;
		case 5:	/* a 50 ms timeout and its cancel */
			asyncx_prep_timeout(sqe, &ts_long, 0);
			sqe = sqe_of(ring, (*next)++);
			asyncx_prep_cancel(sqe, ud, 0);
			n++;
			break;
		case 6:	/* a chain of three */
			asyncx_prep_nop(sqe);
			asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
			sqe = sqe_of(ring, (*next)++);
			asyncx_prep_timeout(sqe, &ts_short, 0);
			asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
			sqe = sqe_of(ring, (*next)++);
			asyncx_prep_read(sqe, pipefd[0], rbuf, 0, -1ULL);
			n += 2;
			break;
		default:
			asyncx_prep_nop_result(sqe, 7);
			break;
		}
	}
	return n;
}

static void reap(struct asyncx_ring *ring)
{
	struct asyncx_cqe *cqe;

	while (!asyncx_peek_cqe(ring, &cqe)) {
		__u64 ud = asyncx_cqe_get_data64(cqe);

		if (ud >= MAX_UD || seen[ud]++) {
			printf("# CQE for user_data %llu: unknown or twice\n",
			       (unsigned long long)ud);
			bad++;
		}
		if (cqe->res < -4095)
			bad++;
		if (cqe->res < 0)
			count_errno(cqe->res);
		received++;
		asyncx_cqe_seen(ring, cqe);
	}
}

/* Submit what is queued; -EBUSY (overflow) and -ENOMEM-like errors retry. */
static void submit_all(struct asyncx_ring *ring)
{
	int tries = 0, ret;

	while (asyncx_sq_ready(ring)) {
		faults(1);
		ret = asyncx_submit(ring);
		faults(0);
		if (ret > 0) {
			submitted += ret;
			continue;
		}
		if (ret == 0 || ret < -4095)
			bad++;
		else
			count_errno(ret);
		if (++tries > 100000) {
			printf("# submit keeps failing: %d\n", ret);
			bad++;
			return;
		}
		reap(ring);
		usleep(100);
	}
}

/* Wait until every consumed SQE is accounted for (or 10 s pass). */
static int drain(struct asyncx_ring *ring, unsigned long base_sub,
		 unsigned long base_rcv, unsigned int dropped0)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		unsigned long sub = submitted - base_sub;
		unsigned int dropped;

		struct __kernel_timespec wait = { .tv_nsec = 1000000 };
		struct asyncx_cqe *cqe;

		/* An enter that waits moves overflowed CQEs into the CQ. */
		asyncx_wait_cqe_timeout(ring, &cqe, &wait);
		reap(ring);
		dropped = *ring->sq.kdropped - dropped0;
		if (received - base_rcv + dropped == sub)
			return dropped;
		if (received - base_rcv + dropped > sub) {
			printf("# more CQEs than SQEs: %lu + %u > %lu\n",
			       received - base_rcv, dropped, sub);
			bad++;
			return dropped;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10) {
			printf("# lost completions: %lu submitted, %lu CQEs, %u dropped\n",
			       sub, received - base_rcv, dropped);
			bad++;
			return dropped;
		}
		usleep(1000);
	}
}

static void report_errnos(void)
{
	int e;

	printf("# errnos seen:");
	for (e = 1; e < 512; e++)
		if (errnos[e])
			printf(" %s=%lu", strerrorname_np(e) ?: "?", errnos[e]);
	printf("\n");
}

static void setup_files(void)
{
	char path[] = "/tmp/faults_client.XXXXXX";

	tmpfd = mkstemp(path);
	if (tmpfd < 0 || unlink(path) || pipe(pipefd)) {
		perror("setup");
		exit(1);
	}
	memset(wbuf, 'w', sizeof(wbuf));
	if (pwrite(tmpfd, wbuf, sizeof(wbuf), 0) != sizeof(wbuf) ||
	    write(pipefd[1], "x", 1) != 1) {
		perror("setup");
		exit(1);
	}
	seen = calloc(MAX_UD, 1);
	if (!seen)
		exit(1);
}

static int mode_nth_setup(void)
{
	unsigned int n, injected = 0;
	int fds0 = open_fds(), ret;

	for (n = 1; n < 1000; n++) {
		struct asyncx_ring ring;
		struct asyncx_params p = {};

		set_nth(n);
		ret = asyncx_queue_init_params(8, &ring, &p);
		if (get_nth()) {
			set_nth(0);
			if (ret) {
				printf("# setup failed without a fault: %d\n", ret);
				bad++;
			}
			asyncx_queue_exit(&ring);
			break;
		}
		injected++;
		if (ret)
			count_errno(ret);
		else
			asyncx_queue_exit(&ring);	/* the fault was absorbed */
	}
	report_errnos();
	printf("# counts: nth-setup injected=%u\n", injected);
	printf("%s 1 nth-setup: each of %u allocations failed in turn: an errno or success\n",
	       bad ? "not ok" : "ok", injected);
	printf("%s 2 nth-setup: no descriptor leaked (%d open, %d before)\n",
	       open_fds() == fds0 ? "ok" : "not ok", open_fds(), fds0);
	return bad || open_fds() != fds0;
}

static int mode_nth_enter(void)
{
	unsigned int n, injected = 0, dropped = 0;
	unsigned long next = 0;
	struct asyncx_ring ring;
	int ret;

	ret = asyncx_queue_init(64, &ring, 0);
	if (ret) {
		printf("not ok 1 nth-enter: ring setup %d\n", ret);
		return 1;
	}
	for (n = 1; n < 10000; n++) {
		unsigned long s0 = submitted, r0 = received;
		unsigned int d0 = *ring.sq.kdropped;
		unsigned int left;

		queue_mix(&ring, 32, &next);
		set_nth(n);
		ret = asyncx_submit(&ring);
		left = get_nth();
		set_nth(0);
		if (ret > 0)
			submitted += ret;
		else
			count_errno(ret);
		submit_all(&ring);
		dropped += drain(&ring, s0, r0, d0);
		if (left)
			break;
		injected++;
	}
	asyncx_queue_exit(&ring);
	report_errnos();
	printf("# counts: nth-enter injected=%u sqes=%lu cqes=%lu dropped=%u\n",
	       injected, submitted, received, dropped);
	printf("%s 1 nth-enter: each of %u allocations failed in turn; SQEs %lu = CQEs %lu + dropped %u\n",
	       bad ? "not ok" : "ok", injected, submitted, received, dropped);
	return !!bad;
}

static int mode_ops(int secs)
{
	unsigned long next = 0, dropped = 0, rings = 0, setup_fail = 0;
	int fds0 = open_fds(), i, ret;
	time_t end = time(NULL) + secs;

	while (time(NULL) < end && next + 4096 < MAX_UD) {
		struct asyncx_ring ring;
		unsigned long s0 = submitted, r0 = received;
		unsigned int d0;

		ret = ring_init(&ring, 64, 128);
		if (ret) {
			count_errno(ret);
			setup_fail++;
			continue;
		}
		rings++;
		d0 = *ring.sq.kdropped;
		/* 16 batches of 64, reaped every 4th: the CQ overflows. */
		for (i = 0; i < 16; i++) {
			queue_mix(&ring, 64, &next);
			submit_all(&ring);
			if (i % 4 == 3)
				reap(&ring);
		}
		dropped += drain(&ring, s0, r0, d0);
		/*
		 * Close under faults too, with a long timeout in flight (the
		 * release cancels it). munmap first, without faults: the
		 * kernel's munmap may fail under them, and a mapping left
		 * would keep the context until exit.
		 */
		asyncx_prep_timeout(sqe_of(&ring, LONG_UD), &ts_hour, 0);
		faults(1);
		ret = asyncx_submit(&ring);
		faults(0);
		if (ret < 0)
			count_errno(ret);
		munmap(ring.sq.ring_ptr, ring.sq.ring_sz);
		munmap(ring.sq.sqes, ring.sq.sqes_sz);
		munmap(ring.cq.ring_ptr, ring.cq.ring_sz);
		faults(1);
		ret = close(ring.fd);
		faults(0);
		if (ret)
			bad++;
	}
	/*
	 * A setup that failed under faults may have left a mapping (the
	 * library's munmap failed too), which holds its context until this
	 * process exits: faults.sh counts the contexts after that.
	 */
	report_errnos();
	printf("# counts: ops rings=%lu setup_failed=%lu sqes=%lu cqes=%lu dropped=%lu\n",
	       rings, setup_fail, submitted, received, dropped);
	printf("%s 1 ops: SQEs %lu = CQEs %lu + dropped %lu, every failure an errno\n",
	       bad ? "not ok" : "ok", submitted, received, dropped);
	printf("%s 2 ops: no descriptor leaked (%d open, %d before)\n",
	       open_fds() == fds0 ? "ok" : "not ok", open_fds(), fds0);
	return bad || open_fds() != fds0 || !rings;
}

static int module_gone(void)
{
	return access("/sys/module/asyncx", F_OK) && access("/dev/asyncx", F_OK) &&
	       access("/sys/kernel/debug/asyncx", F_OK);
}

/*
 * Each allocation of loading the module (finit_module of @path: the
 * module loader's and asyncx's init) fails in turn, every @stride-th,
 * for at most @secs seconds: the load fails with an errno and leaves
 * nothing behind, or it absorbs the fault and the module unloads.
 */
static int mode_load(const char *path, unsigned int stride, int secs)
{
	unsigned int n, injected = 0, loaded = 0, failed = 0, left = 1;
	time_t end = time(NULL) + secs;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret, err;

	if (fd < 0 || !module_gone()) {
		printf("not ok 1 load: %s unreadable or the module is loaded\n", path);
		return 1;
	}
	for (n = 1; time(NULL) < end; n += stride) {
		set_nth(n);
		ret = syscall(SYS_finit_module, fd, "", 0);
		err = errno;
		left = get_nth();
		set_nth(0);
		if (!left)
			injected++;
		if (!ret) {
			loaded++;
			if (syscall(SYS_delete_module, "asyncx", O_NONBLOCK)) {
				printf("# load %u: unload failed: %s\n", n, strerror(errno));
				bad++;
				break;
			}
		} else {
			failed++;
			count_errno(-err);
			if (!module_gone()) {
				printf("# load %u failed (%s) but left the module, its device or debugfs\n",
				       n, strerror(err));
				bad++;
				break;
			}
		}
		if (left)
			break;
	}
	close(fd);
	report_errnos();
	printf("# counts: load injected=%u loaded=%u failed=%u allocations=1..%u every %u-th%s\n",
	       injected, loaded, failed, n, stride, left ? ", all of them" : ", stopped at the time limit");
	return !!bad;
}

static int mode_hold(void)
{
	struct asyncx_ring ring;
	int empty[2], i;

	if (pipe(empty) || asyncx_queue_init(64, &ring, 0))
		return 1;
	for (i = 0; i < 16; i++) {
		asyncx_prep_timeout(sqe_of(&ring, i), &ts_hour, 0);
		asyncx_prep_poll(sqe_of(&ring, 100 + i), empty[0], POLLIN);
	}
	if (asyncx_submit(&ring) != 32)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_files();
	if (!strcmp(mode, "hold"))
		return mode_hold();
	fail_fd = open("/proc/thread-self/make-it-fail", O_WRONLY);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_fd < 0 || nth_fd < 0) {
		perror("/proc/thread-self/{make-it-fail,fail-nth} (CONFIG_FAULT_INJECTION)");
		return 1;
	}
	/*
	 * Every page of the program and its libraries in memory and locked
	 * before the first fault: a page of text first touched while this
	 * thread's allocations fail (an error path run for the first time)
	 * would be read in (over 9p, in the test VM) with them failing, and
	 * a failed read of a mapped page is a SIGBUS, not an errno (CI saw
	 * faults_client die of one: exit status 135).
	 */
	if (mlockall(MCL_CURRENT)) {
		perror("mlockall");
		return 1;
	}
	if (!strcmp(mode, "nth-setup"))
		return mode_nth_setup();
	if (!strcmp(mode, "nth-enter"))
		return mode_nth_enter();
	if (!strcmp(mode, "load") && argc > 4)
		return mode_load(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(mode, "ops") && argc > 2)
		return mode_ops(atoi(argv[2]));
	fprintf(stderr, "usage: faults_client nth-setup|nth-enter|ops SECONDS|load KO STRIDE SECONDS|hold\n");
	return 2;
}
