// SPDX-License-Identifier: GPL-2.0
/*
 * limits_test: the module parameters that limit who may open /dev/asyncx
 * and how much each caller may hold (Documentation/uapi.rst, "Limits and
 * access"): disabled, group, max_contexts_per_user, max_inflight, and the
 * ring size limit. Access checks run in children that drop privileges
 * (setresuid/setresgid to nobody, or capset() without CAP_SYS_ADMIN as
 * root). Every test restores the parameters it changed. Needs root.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"
#include "util.h"

#define PARAMS		"/sys/module/asyncx/parameters/"
#define NOBODY		65534
#define OTHER_UID	65533
#define TEST_GID	4242

static const char *const params[] = {
	"disabled", "group", "max_contexts_per_user", "max_inflight",
};

#define NR_PARAMS	(sizeof(params) / sizeof(params[0]))

/* Drop CAP_SYS_ADMIN from the effective and permitted sets (as root). */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data);
}

/* Who a child becomes before it opens the device. */
struct who {
	uid_t	uid;
	gid_t	gid;
	gid_t	groups[2];
	int	ngroups;
	int	drop_cap;	/* stay root, without CAP_SYS_ADMIN */
};

static const struct who nobody = { .uid = NOBODY, .gid = NOBODY };
static const struct who nobody_in_group = {
	.uid = NOBODY, .gid = NOBODY, .groups = { TEST_GID }, .ngroups = 1,
};
static const struct who nobody_gid_group = { .uid = NOBODY, .gid = TEST_GID };
static const struct who other = { .uid = OTHER_UID, .gid = OTHER_UID };
static const struct who root_nocap = { .uid = 0, .gid = 0, .drop_cap = 1 };

/* Become @w; 0 or -1. In a child only. */
static int become(const struct who *w)
{
	if (setgroups(w->ngroups, w->groups) || setresgid(w->gid, w->gid, w->gid))
		return -1;
	if (w->drop_cap)
		return drop_sys_admin();
	/* Leaving uid 0 clears the capabilities. */
	return setresuid(w->uid, w->uid, w->uid);
}

/*
 * Open @n contexts as @w in a child; return how many opened, and in *err
 * the negative errno of the first that failed (0 if none did). With @hold,
 * the child keeps them open until *hold is closed (the parent writes to
 * it, or closes it): *hold is then the write end of a pipe and *pid the
 * child, to reap with finish_child().
 */
static int open_as(const struct who *w, int n, int *err, int *hold, pid_t *pid)
{
	int res[2], go[2], i, got = 0, first = 0, out[2];
	pid_t child;

	if (pipe(res) || pipe(go))
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		char c;

		close(res[0]);
		close(go[1]);
		if (become(w)) {
			first = -1000;
		} else {
			for (i = 0; i < n; i++) {
				if (open(ASYNCX_DEVICE_PATH, O_RDWR) >= 0) {
					got++;
				} else {
					first = -errno;
					break;
				}
			}
		}
		out[0] = got;
		out[1] = first;
		if (write(res[1], out, sizeof(out)) != sizeof(out))
			_exit(1);
		if (hold && read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(res[1]);
	close(go[0]);
	if (read(res[0], out, sizeof(out)) != sizeof(out))
		out[0] = -1;
	close(res[0]);
	if (hold) {
		*hold = go[1];
		*pid = child;
	} else {
		close(go[1]);
		waitpid(child, NULL, 0);
	}
	*err = out[1];
	return out[0];
}

/* Let a holding child go, reap it. */
static void finish_child(int hold, pid_t pid)
{
	close(hold);
	waitpid(pid, NULL, 0);
}

/* One open as @w: 0 or the negative errno. */
static int try_open(const struct who *w)
{
	int err = -1;

	if (open_as(w, 1, &err, NULL, NULL) == 1)
		return 0;
	return err;
}

/*
 * Contexts are freed (and uncounted) once their last operation finished,
 * which may be a moment after close(): retry an open as @w for 5 s.
 */
static int try_open_eventually(const struct who *w)
{
	struct timespec ms = { .tv_nsec = 10 * 1000 * 1000 };
	int i, ret = -1;

	for (i = 0; i < 500; i++) {
		ret = try_open(w);
		if (ret != -EMFILE)
			break;
		nanosleep(&ms, NULL);
	}
	return ret;
}

FIXTURE(limits) {
	char saved[NR_PARAMS][32];
};

FIXTURE_SETUP(limits)
{
	unsigned int i;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	for (i = 0; i < NR_PARAMS; i++)
		ASSERT_EQ(0, param_read(params[i], self->saved[i],
					sizeof(self->saved[i])))
			TH_LOG("parameter %u", i);
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int i;

	for (i = 0; i < NR_PARAMS; i++)
		if (self->saved[i][0])
			EXPECT_EQ(0, param_write(params[i], self->saved[i]));
}

TEST_F(limits, parameters_are_writable_by_root_only)
{
	char path[128];
	struct stat st;
	unsigned int i;

	for (i = 0; i < NR_PARAMS; i++) {
		snprintf(path, sizeof(path), PARAMS "%s", params[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0644, st.st_mode & 07777) TH_LOG("%s", path);
		EXPECT_EQ(0U, st.st_uid);
	}
}

TEST_F(limits, defaults)
{
	EXPECT_EQ(0, param_long("disabled"));
	EXPECT_EQ(-1, param_long("group"));
	EXPECT_EQ(1024, param_long("max_contexts_per_user"));
	EXPECT_EQ(65536, param_long("max_inflight"));
	EXPECT_EQ(0, try_open(&nobody));
}

TEST_F(limits, out_of_range_values_rejected)
{
	EXPECT_EQ(-EINVAL, param_write("disabled", "3"));
	EXPECT_EQ(-EINVAL, param_write("disabled", "-1"));
	EXPECT_EQ(-EINVAL, param_write("group", "-2"));
	EXPECT_EQ(-EINVAL, param_write("group", "x"));
	EXPECT_EQ(-EINVAL, param_write("max_contexts_per_user", "-1"));
	EXPECT_EQ(0, param_long("disabled"));
	EXPECT_EQ(-1, param_long("group"));
}

TEST_F(limits, disabled_1_admin_only)
{
	ASSERT_EQ(0, param_write("disabled", "1"));
	EXPECT_EQ(1, param_long("disabled"));
	EXPECT_EQ(0, try_open(&(struct who){ .uid = 0 }));
	EXPECT_EQ(-EPERM, try_open(&nobody));
	EXPECT_EQ(-EPERM, try_open(&root_nocap));
	ASSERT_EQ(0, param_write("disabled", "0"));
	EXPECT_EQ(0, try_open(&nobody));
	EXPECT_EQ(0, try_open(&root_nocap));
}

TEST_F(limits, disabled_2_nobody_opens)
{
	int fd;

	ASSERT_EQ(0, param_write("disabled", "2"));
	fd = open(ASYNCX_DEVICE_PATH, O_RDWR);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EPERM, errno);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EPERM, try_open(&nobody));
	EXPECT_EQ(-EPERM, asyncx_open());
}

/* Like io_uring_disabled, the switch gates new contexts only. */
TEST_F(limits, disabled_keeps_open_contexts)
{
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;

	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	ASSERT_EQ(0, param_write("disabled", "2"));
	asyncx_prep_nop_result(asyncx_get_sqe(&ring), 7);
	EXPECT_EQ(1, asyncx_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, asyncx_wait_cqe(&ring, &cqe));
	EXPECT_EQ(7, cqe->res);
	asyncx_cqe_seen(&ring, cqe);
	asyncx_queue_exit(&ring);
}

TEST_F(limits, group_restricts_open)
{
	char gid[16];

	snprintf(gid, sizeof(gid), "%d", TEST_GID);
	ASSERT_EQ(0, param_write("group", gid));
	EXPECT_EQ(TEST_GID, param_long("group"));
	EXPECT_EQ(-EACCES, try_open(&nobody));
	EXPECT_EQ(-EACCES, try_open(&root_nocap));
	EXPECT_EQ(0, try_open(&nobody_in_group));
	EXPECT_EQ(0, try_open(&nobody_gid_group));
	EXPECT_EQ(0, try_open(&(struct who){ .uid = 0 }));
	/* disabled is checked first, and wins. */
	ASSERT_EQ(0, param_write("disabled", "1"));
	EXPECT_EQ(-EPERM, try_open(&nobody_in_group));
	ASSERT_EQ(0, param_write("disabled", "0"));
	ASSERT_EQ(0, param_write("group", "-1"));
	EXPECT_EQ(0, try_open(&nobody));
}

TEST_F(limits, max_contexts_per_user)
{
	int err, hold, got;
	pid_t pid;

	ASSERT_EQ(0, param_write("max_contexts_per_user", "3"));
	/* A child of nobody holds 3 and fails the 4th. */
	got = open_as(&nobody, 4, &err, &hold, &pid);
	EXPECT_EQ(3, got);
	EXPECT_EQ(-EMFILE, err);
	/* The count is per user: nobody is full, another user is not. */
	EXPECT_EQ(-EMFILE, try_open(&nobody));
	EXPECT_EQ(0, try_open(&other));
	/* Raising the limit lets nobody open one more. */
	ASSERT_EQ(0, param_write("max_contexts_per_user", "4"));
	EXPECT_EQ(0, try_open(&nobody));
	/* Lowering it keeps what is open, and refuses more. */
	ASSERT_EQ(0, param_write("max_contexts_per_user", "1"));
	EXPECT_EQ(-EMFILE, try_open(&nobody));
	/* 0 is no limit. */
	ASSERT_EQ(0, param_write("max_contexts_per_user", "0"));
	EXPECT_EQ(8, open_as(&nobody, 8, &err, NULL, NULL));
	EXPECT_EQ(0, err);
	/* When the holder exits, its contexts are uncounted. */
	ASSERT_EQ(0, param_write("max_contexts_per_user", "3"));
	finish_child(hold, pid);
	EXPECT_EQ(0, try_open_eventually(&nobody));
	EXPECT_EQ(3, open_as(&nobody, 3, &err, NULL, NULL));
}

/*
 * A closed context with an operation in flight stays counted until the
 * operation is cancelled and the context freed; then it is uncounted.
 */
TEST_F(limits, context_uncounted_at_final_free)
{
	struct __kernel_timespec ts = { .tv_sec = 30 };
	int i, status;

	ASSERT_EQ(0, param_write("max_contexts_per_user", "1"));
	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct asyncx_ring ring;

			if (become(&nobody) || asyncx_queue_init(8, &ring, 0))
				_exit(1);
			asyncx_prep_timeout(asyncx_get_sqe(&ring), &ts, 0);
			if (asyncx_submit(&ring) != 1)
				_exit(2);
			/* Exit with the timeout in flight. */
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, status) TH_LOG("round %d: child status %d", i, status);
		ASSERT_EQ(0, try_open_eventually(&nobody)) TH_LOG("round %d", i);
	}
}

TEST_F(limits, ring_entries_max)
{
	struct asyncx_params p;
	struct asyncx_ring ring;

	ASSERT_EQ(0, asyncx_queue_init(ASYNCX_MAX_ENTRIES, &ring, 0));
	EXPECT_EQ(ASYNCX_MAX_ENTRIES, (int)ring.sq.ring_entries);
	EXPECT_EQ(2 * ASYNCX_MAX_ENTRIES, (int)ring.cq.ring_entries);
	asyncx_queue_exit(&ring);
	EXPECT_EQ(-EINVAL, asyncx_queue_init(ASYNCX_MAX_ENTRIES + 1, &ring, 0));

	memset(&p, 0, sizeof(p));
	p.flags = ASYNCX_SETUP_CQSIZE;
	p.cq_entries = 2 * ASYNCX_MAX_ENTRIES;
	ASSERT_EQ(0, asyncx_queue_init_params(1, &ring, &p));
	EXPECT_EQ(2 * ASYNCX_MAX_ENTRIES, (int)ring.cq.ring_entries);
	asyncx_queue_exit(&ring);
	memset(&p, 0, sizeof(p));
	p.flags = ASYNCX_SETUP_CQSIZE;
	p.cq_entries = 2 * ASYNCX_MAX_ENTRIES + 1;
	EXPECT_EQ(-EINVAL, asyncx_queue_init_params(1, &ring, &p));
}

/* Past max_inflight, each operation completes at once with -EBUSY. */
TEST_F(limits, max_inflight)
{
	struct __kernel_timespec ts = { .tv_sec = 30 };
	struct __kernel_timespec wait = { .tv_sec = 10 };
	int busy = 0, cancelled = 0, cancel_res = -1, i;
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe *cqe;

	ASSERT_EQ(0, param_write("max_inflight", "4"));
	ASSERT_EQ(0, asyncx_queue_init(16, &ring, 0));
	for (i = 1; i <= 6; i++) {
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_timeout(sqe, &ts, 0);
		asyncx_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(6, asyncx_submit(&ring));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &wait));
		EXPECT_EQ(-EBUSY, cqe->res);
		EXPECT_LT(4ULL, cqe->user_data);
		busy++;
		asyncx_cqe_seen(&ring, cqe);
	}
	/* The first four are in flight; cancel them all. */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_cancel(sqe, 0, ASYNCX_CANCEL_ALL);
	asyncx_sqe_set_data64(sqe, 100);
	ASSERT_EQ(1, asyncx_submit(&ring));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, asyncx_wait_cqe_timeout(&ring, &cqe, &wait));
		if (cqe->user_data == 100) {
			cancel_res = cqe->res;
		} else {
			EXPECT_EQ(-ECANCELED, cqe->res);
			EXPECT_GE(4ULL, cqe->user_data);
			cancelled++;
		}
		asyncx_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(2, busy);
	EXPECT_EQ(4, cancelled);
	EXPECT_EQ(4, cancel_res);
	asyncx_queue_exit(&ring);
}

TEST_HARNESS_MAIN
