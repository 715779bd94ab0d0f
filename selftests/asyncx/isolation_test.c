// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation of one user from another (Documentation/security.rst): every
 * case runs as an unprivileged user (uid and gid 65534, no capabilities)
 * unless it says otherwise.
 *
 *   ownership    only the process that opened a context (its threads) may
 *                map its rings and call its ioctls: a fork() child and a
 *                process that got the fd by SCM_RIGHTS get -EPERM, and the
 *                owner's channel, files and eventfd stay as they were
 *   setup        SETUP checks the access rules of open again (disabled,
 *                group), set by root after the open
 *   priority     ASYNCX_PRIO_HIGH needs CAP_SYS_NICE (-EPERM in the CQE)
 *   buffers      registered buffers are anonymous or shmem memory only: a
 *                MAP_SHARED mapping of a regular file gets -EOPNOTSUPP
 *   multishot    a multishot TIMEOUT or POLL nobody reaps ends when its CQE
 *                does not fit in the CQ
 *   lifetime     the owner's exit cancels what it has in flight, so a
 *                context held by a unix socket's queue goes; so does the
 *                owner's close of its last descriptor while a child holds
 *                the file
 *   read/write   a deferred WRITE runs with its submitter's credentials;
 *                READ and WRITE raise fsnotify's events
 *   bounds       a user's operations in flight and channel bytes are
 *                bounded over all their contexts
 *   errors       a bad pointer to any ioctl is -EFAULT; a GROUP refused
 *                after its prep frees its id; a wait that only task work
 *                interrupts (an io_uring completion) goes on instead of
 *                failing with -EINTR
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asyncx.h>
#include "kselftest_harness.h"
#include "util.h"

/* A user address nothing is mapped at. */
#define BAD_PTR		((void *)8)

/* Is the file @fd on a tmpfs (shmem)? */
static int is_tmpfs(int fd)
{
	struct statfs st;

	return !fstatfs(fd, &st) && st.f_type == 0x01021994;	/* TMPFS_MAGIC */
}

/* ioctl() as 0 or -errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* A channel on @fd: its id, or -errno. */
static int chan_create(int fd)
{
	struct asyncx_chan_params p = { .capacity = 4, .msg_size = 16 };
	int ret = xioctl(fd, ASYNCX_IOC_CHAN_CREATE, &p);

	return ret ? ret : (int)p.id;
}

/* What a process that is not the owner may not do to the context @fd:
 * the number of operations that did not fail with -EPERM.
 */
static int try_as_stranger(int fd, unsigned int chan_id)
{
	struct asyncx_rsrc_register r = { .nr = 1 };
	struct asyncx_enter e = { .to_submit = 1 };
	struct asyncx_params p = { .sq_entries = 4 };
	int bad = 0, efd = eventfd(0, 0);
	__s32 files[1] = { efd };
	void *m;

	for (unsigned long long off = ASYNCX_OFF_SQ_RING; off <= ASYNCX_OFF_SQES;
	     off += ASYNCX_OFF_CQ_RING) {
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		if (m != MAP_FAILED || errno != EPERM) {
			fprintf(stderr, "# mmap at %#llx: %s\n", off,
				m == MAP_FAILED ? strerror(errno) : "mapped");
			bad++;
		}
	}
	r.addr = (unsigned long)files;
	bad += xioctl(fd, ASYNCX_IOC_ENTER, &e) != -EPERM;
	bad += xioctl(fd, ASYNCX_IOC_SETUP, &p) != -EPERM;
	bad += xioctl(fd, ASYNCX_IOC_REGISTER_EVENTFD, &efd) != -EPERM;
	bad += xioctl(fd, ASYNCX_IOC_UNREGISTER_EVENTFD, NULL) != -EPERM;
	bad += xioctl(fd, ASYNCX_IOC_REGISTER_FILES, &r) != -EPERM;
	bad += xioctl(fd, ASYNCX_IOC_UNREGISTER_FILES, NULL) != -EPERM;
	bad += xioctl(fd, ASYNCX_IOC_UNREGISTER_BUFFERS, NULL) != -EPERM;
	bad += chan_create(fd) != -EPERM;
	bad += xioctl(fd, ASYNCX_IOC_CHAN_DESTROY, &chan_id) != -EPERM;
	close(efd);
	return bad;
}

/* The owner's context with a channel, an eventfd and a file registered. */
static void owner_setup(struct __test_metadata *_metadata,
			struct asyncx_ring *ring, int *chan_id, int *efd)
{
	struct asyncx_rsrc_register r = { .nr = 1 };
	__s32 files[1];

	ASSERT_EQ(0, asyncx_queue_init(8, ring, 0));
	*chan_id = chan_create(ring->fd);
	ASSERT_LT(0, *chan_id);
	*efd = eventfd(0, 0);
	ASSERT_LE(0, *efd);
	ASSERT_EQ(0, asyncx_register_eventfd(ring, *efd));
	files[0] = *efd;
	r.addr = (unsigned long)files;
	ASSERT_EQ(0, xioctl(ring->fd, ASYNCX_IOC_REGISTER_FILES, &r));
}

/* After a stranger's tries, the owner's resources are still there. */
static void owner_check(struct __test_metadata *_metadata,
			struct asyncx_ring *ring, int chan_id, int efd)
{
	struct asyncx_cqe cqe;
	uint64_t n = 0;

	/* The eventfd is still the owner's: a NOP's CQE signals it. */
	asyncx_prep_nop(asyncx_get_sqe(ring));
	ASSERT_EQ(1, asyncx_submit(ring));
	ASSERT_EQ(0, wait_one(ring, &cqe, 1000));
	ASSERT_EQ(sizeof(n), read(efd, &n, sizeof(n)));
	EXPECT_LE(1, n);
	/* The files are still registered: registering again is -EBUSY. */
	EXPECT_EQ(-EBUSY, xioctl(ring->fd, ASYNCX_IOC_REGISTER_FILES,
				 &(struct asyncx_rsrc_register){
					.addr = (unsigned long)&efd, .nr = 1 }));
	/* The channel is still there: the owner destroys it. */
	EXPECT_EQ(0, xioctl(ring->fd, ASYNCX_IOC_CHAN_DESTROY, &chan_id));
}

TEST(fork_child_is_not_owner)
{
	struct asyncx_ring ring;
	int chan_id, efd, status;
	pid_t pid;

	ASSERT_EQ(0, become_nobody());
	owner_setup(_metadata, &ring, &chan_id, &efd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(try_as_stranger(ring.fd, chan_id));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	owner_check(_metadata, &ring, chan_id, efd);
	asyncx_queue_exit(&ring);
	close(efd);
}

/* Receive one fd over @sock: the fd, or -1. */
static int recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = {}, c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

TEST(scm_rights_receiver_is_not_owner)
{
	struct asyncx_ring ring;
	int sv[2], chan_id, efd, status;
	pid_t pid;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* Forked before the context exists: it shares nothing of it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		close(sv[0]);
		fd = recv_fd(sv[1]);
		_exit(fd < 0 ? 100 : try_as_stranger(fd, 1));
	}
	close(sv[1]);
	owner_setup(_metadata, &ring, &chan_id, &efd);
	ASSERT_EQ(1, chan_id);
	ASSERT_EQ(0, send_fd(sv[0], ring.fd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	owner_check(_metadata, &ring, chan_id, efd);
	asyncx_queue_exit(&ring);
	close(efd);
	close(sv[0]);
}

struct thread_arg {
	struct asyncx_ring	*ring;
	int			efd;
	int			ret;
	int			mapped;
};

static void *owner_thread(void *p)
{
	struct thread_arg *a = p;
	void *m;

	a->ret = asyncx_register_eventfd(a->ring, a->efd);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, a->ring->fd,
		 ASYNCX_OFF_SQ_RING);
	a->mapped = m != MAP_FAILED;
	if (a->mapped)
		munmap(m, 4096);
	return NULL;
}

/* Another thread of the owner is the owner. */
TEST(owner_thread_is_owner)
{
	struct asyncx_ring ring;
	struct thread_arg a = { .ring = &ring };
	pthread_t t;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	a.efd = eventfd(0, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, owner_thread, &a));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, a.ret);
	EXPECT_TRUE(a.mapped);
	asyncx_queue_exit(&ring);
	close(a.efd);
}

/*
 * Root closes the device (disabled, then group) after an unprivileged
 * user opened it: that user's SETUP is refused as its open would be.
 */
TEST(setup_checks_access_rules)
{
	static const struct { const char *name, *val, *undo; int err; } rule[] = {
		{ "disabled", "1", "0", -EPERM },
		{ "group", "4242", "-1", -EACCES },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(rule); i++) {
		int go[2], res[2], status, err = 1;
		pid_t pid;
		char c;

		ASSERT_EQ(0, pipe(go));
		ASSERT_EQ(0, pipe(res));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct asyncx_params p = { .sq_entries = 4 };
			int fd = -1;

			if (!become_nobody())
				fd = open(ASYNCX_DEVICE_PATH, O_RDWR);
			err = fd < 0 ? 1000 : 0;
			if (write(res[1], &err, sizeof(err)) != sizeof(err) ||
			    read(go[0], &c, 1) != 1)
				_exit(1);
			err = fd < 0 ? 1000 : xioctl(fd, ASYNCX_IOC_SETUP, &p);
			_exit(write(res[1], &err, sizeof(err)) != sizeof(err));
		}
		ASSERT_EQ(sizeof(err), read(res[0], &err, sizeof(err)));
		ASSERT_EQ(0, err);
		ASSERT_EQ(0, param_write(rule[i].name, rule[i].val));
		ASSERT_EQ(1, write(go[1], "g", 1));
		EXPECT_EQ(sizeof(err), read(res[0], &err, sizeof(err)));
		EXPECT_EQ(0, param_write(rule[i].name, rule[i].undo));
		EXPECT_EQ(rule[i].err, err) {
			TH_LOG("%s=%s", rule[i].name, rule[i].val);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status));
		close(go[0]);
		close(go[1]);
		close(res[0]);
		close(res[1]);
	}
}

/* The results of NOPs of each priority class. */
static void prio_results(struct __test_metadata *_metadata, int res[3])
{
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;

	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	for (int prio = 0; prio < 3; prio++) {
		struct asyncx_sqe *sqe = asyncx_get_sqe(&ring);

		asyncx_prep_nop(sqe);
		asyncx_sqe_set_prio(sqe, prio);
		asyncx_sqe_set_data64(sqe, prio);
	}
	ASSERT_EQ(3, asyncx_submit(&ring));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
		ASSERT_GT(3, cqe.user_data);
		res[cqe.user_data] = cqe.res;
	}
	asyncx_queue_exit(&ring);
}

TEST(high_prio_needs_cap_sys_nice)
{
	int res[3];

	/* As root (the test runner): every class. */
	prio_results(_metadata, res);
	EXPECT_EQ(0, res[ASYNCX_PRIO_NORMAL]);
	EXPECT_EQ(0, res[ASYNCX_PRIO_HIGH]);
	EXPECT_EQ(0, res[ASYNCX_PRIO_LOW]);
	ASSERT_EQ(0, become_nobody());
	prio_results(_metadata, res);
	EXPECT_EQ(0, res[ASYNCX_PRIO_NORMAL]);
	EXPECT_EQ(-EPERM, res[ASYNCX_PRIO_HIGH]);
	EXPECT_EQ(0, res[ASYNCX_PRIO_LOW]);
}

/* Register one buffer of @len bytes at @buf: 0 or -errno. */
static int register_buf(int fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct asyncx_rsrc_register r = { .addr = (unsigned long)&iov, .nr = 1 };

	return xioctl(fd, ASYNCX_IOC_REGISTER_BUFFERS, &r);
}

TEST(buffers_anonymous_or_shmem_only)
{
	char dir[] = "/tmp/asyncx-ramfs-XXXXXX", path[64];
	struct asyncx_ring ring;
	size_t len = 4096;
	void *anon, *shm, *file;
	int fd, mfd;

	/*
	 * A regular file that is not shmem: on a ramfs mounted in a mount
	 * namespace of this test's own (gone with it), made the user's.
	 */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("asyncx", dir, "ramfs", 0, NULL));
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	ASSERT_FALSE(is_tmpfs(fd));

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	mfd = memfd_create("asyncx-isolation", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	file = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, anon);
	ASSERT_NE(MAP_FAILED, shm);
	ASSERT_NE(MAP_FAILED, file);
	EXPECT_EQ(-EOPNOTSUPP, register_buf(ring.fd, file, len));
	/* (Unregistering nothing: -ENXIO, so nothing was registered.) */
	EXPECT_EQ(-ENXIO, xioctl(ring.fd, ASYNCX_IOC_UNREGISTER_BUFFERS, NULL));
	EXPECT_EQ(0, register_buf(ring.fd, shm, len));
	EXPECT_EQ(0, xioctl(ring.fd, ASYNCX_IOC_UNREGISTER_BUFFERS, NULL));
	EXPECT_EQ(0, register_buf(ring.fd, anon, len));
	EXPECT_EQ(0, xioctl(ring.fd, ASYNCX_IOC_UNREGISTER_BUFFERS, NULL));
	asyncx_queue_exit(&ring);
	munmap(anon, len);
	munmap(shm, len);
	munmap(file, len);
	close(fd);
	close(mfd);
}

TEST(bad_pointers_are_efault)
{
	struct asyncx_ring ring;
	int fd;

	ASSERT_EQ(0, become_nobody());
	fd = open(ASYNCX_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_SETUP, BAD_PTR));
	close(fd);
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	fd = ring.fd;
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_SETUP, BAD_PTR));
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_ENTER, BAD_PTR));
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_REGISTER_BUFFERS, BAD_PTR));
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_REGISTER_FILES, BAD_PTR));
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_REGISTER_EVENTFD, BAD_PTR));
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_CHAN_CREATE, BAD_PTR));
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_CHAN_DESTROY, BAD_PTR));
	/* Good arguments whose arrays are bad. */
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_REGISTER_BUFFERS,
				  &(struct asyncx_rsrc_register){
					.addr = (unsigned long)BAD_PTR, .nr = 1 }));
	EXPECT_EQ(-EFAULT, xioctl(fd, ASYNCX_IOC_REGISTER_FILES,
				  &(struct asyncx_rsrc_register){
					.addr = (unsigned long)BAD_PTR, .nr = 1 }));
	asyncx_queue_exit(&ring);
}

/*
 * Reap every CQE of @user_data until one comes without ASYNCX_CQE_F_MORE
 * or @max have come: how many came, and in *last the last one's flags.
 */
static int reap_multishot(struct asyncx_ring *ring, __u64 user_data, int max,
			  unsigned int *last)
{
	struct asyncx_cqe cqe;
	int n = 0;

	*last = ASYNCX_CQE_F_MORE;
	while (n < max && !wait_one(ring, &cqe, 1000)) {
		if (cqe.user_data != user_data)
			continue;
		n++;
		*last = cqe.flags;
		if (!(cqe.flags & ASYNCX_CQE_F_MORE))
			break;
	}
	return n;
}

/*
 * A multishot op nobody reaps ends when its CQE does not fit in the CQ
 * (16 CQEs here): at most the CQ and one final CQE, not one per event.
 */
TEST(multishot_timeout_ends_at_a_full_cq)
{
	struct __kernel_timespec period = { .tv_nsec = 1000000 };
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	unsigned int last;
	int n;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	ASSERT_EQ(16, ring.cq.ring_entries);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_timeout_multishot(sqe, &period, 0);
	asyncx_sqe_set_data64(sqe, 7);
	ASSERT_EQ(1, asyncx_submit(&ring));
	usleep(200 * 1000);	/* about 200 periods, none reaped */
	n = reap_multishot(&ring, 7, 1000, &last);
	EXPECT_GE(17, n);
	EXPECT_LE(16, n);
	EXPECT_EQ(0, last & ASYNCX_CQE_F_MORE);
	EXPECT_GE(1, *ring.cq.koverflow);
	asyncx_queue_exit(&ring);
}

/*
 * A multishot POLL of the context's own eventfd: each CQE signals the
 * eventfd, which makes the POLL post again. It ends at a full CQ.
 */
TEST(multishot_poll_of_own_eventfd_is_bounded)
{
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	unsigned int last;
	uint64_t one = 1;
	int efd, n;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, asyncx_register_eventfd(&ring, efd));
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_poll_multishot(sqe, efd, POLLIN);
	asyncx_sqe_set_data64(sqe, 9);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	usleep(100 * 1000);
	n = reap_multishot(&ring, 9, 1000, &last);
	EXPECT_GE(17, n);
	EXPECT_EQ(0, last & ASYNCX_CQE_F_MORE);
	EXPECT_GE(1, *ring.cq.koverflow);
	asyncx_queue_exit(&ring);
	close(efd);
}

/*
 * The owner exits while its context's file sits in the queue of a unix
 * socket that a POLL of the context and its registered files hold: a
 * cycle unix garbage collection cannot see. The owner's exit cancels the
 * POLL and drops the files, so the context goes.
 */
TEST(owner_exit_frees_a_context_held_by_a_socket)
{
	long base = live_contexts(), n = -1;
	int status;
	pid_t pid;

	ASSERT_LE(0, base);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct asyncx_rsrc_register r = { .nr = 1 };
		struct asyncx_ring ring;
		struct asyncx_sqe *sqe;
		__s32 files[1];
		int sv[2];

		if (become_nobody() || asyncx_queue_init(8, &ring, 0) ||
		    socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			_exit(1);
		/* The context's file in sv[0]'s queue. */
		if (send_fd(sv[1], ring.fd))
			_exit(2);
		/* sv[0] held by the context: registered, and POLLed (for
		 * POLLPRI, which a unix socket never reports: it stays).
		 */
		files[0] = sv[0];
		r.addr = (unsigned long)files;
		if (xioctl(ring.fd, ASYNCX_IOC_REGISTER_FILES, &r))
			_exit(3);
		sqe = asyncx_get_sqe(&ring);
		asyncx_prep_poll(sqe, sv[0], POLLPRI);
		if (asyncx_submit(&ring) != 1)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	for (int i = 0; i < 300 && (n = live_contexts()) != base; i++)
		usleep(10 * 1000);
	EXPECT_EQ(base, n);
}

/*
 * The owner closes its last descriptor of the context while a fork()
 * child still holds the file: what the owner has in flight is cancelled
 * then, not at the child's close. Seen through a pipe: the POLL (for
 * POLLPRI, which a pipe never reports) holds the pipe's only read end, so
 * once it is cancelled a write gets EPIPE.
 */
TEST(owner_last_close_cancels_what_is_in_flight)
{
	struct asyncx_ring ring;
	int p[2], go[2], ret = 0;
	pid_t pid;

	ASSERT_EQ(0, become_nobody());
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(go));
	asyncx_prep_poll(asyncx_get_sqe(&ring), p[0], POLLPRI);
	ASSERT_EQ(1, asyncx_submit(&ring));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		/* Hold the context's file (only) until told. */
		close(p[0]);
		close(p[1]);
		close(go[1]);
		_exit(read(go[0], &c, 1) < 0);
	}
	close(go[0]);
	close(p[0]);
	/* The POLL holds the read end. */
	ASSERT_EQ(1, write(p[1], "x", 1));
	asyncx_queue_exit(&ring);
	for (int i = 0; i < 100; i++) {
		ret = write(p[1], "x", 1);
		if (ret < 0)
			break;
		usleep(10 * 1000);
	}
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EPIPE, errno);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(p[1]);
}

/* Submit one SQE prepared by the caller and wait for its CQE's result. */
static int one_result(struct asyncx_ring *ring)
{
	struct asyncx_cqe cqe;

	if (asyncx_submit(ring) != 1 || wait_one(ring, &cqe, 2000))
		return -1000;
	return cqe.res;
}

/* As nobody: what user_bounds_hold checks; 0 or the failed step. */
static int user_bounds_child(void *arg __attribute__((unused)))
{
	struct __kernel_timespec ts = { .tv_sec = 30 };
	static char msg[4096], buf[4096];
	struct asyncx_ring a, b;
	struct asyncx_cqe cqe;
	int ca, cb, busy = 0;

	if (become_nobody() || asyncx_queue_init(16, &a, 0) ||
	    asyncx_queue_init(16, &b, 0))
		return 1;
	/* In flight: 6 + 6 TIMEOUTs against a bound of 10 for the user. */
	for (int i = 0; i < 6; i++) {
		asyncx_prep_timeout(asyncx_get_sqe(&a), &ts, 0);
		asyncx_prep_timeout(asyncx_get_sqe(&b), &ts, 0);
	}
	if (asyncx_submit(&a) != 6 || asyncx_submit(&b) != 6)
		return 2;
	while (!wait_one(&b, &cqe, 300))
		busy += cqe.res == -EBUSY;
	if (busy != 2) {
		fprintf(stderr, "# %d of the second context's TIMEOUTs got -EBUSY, not 2\n",
			busy);
		return 3;
	}
	asyncx_prep_cancel(asyncx_get_sqe(&a), 0, ASYNCX_CANCEL_ALL);
	asyncx_prep_cancel(asyncx_get_sqe(&b), 0, ASYNCX_CANCEL_ALL);
	if (asyncx_submit(&a) != 1 || asyncx_submit(&b) != 1)
		return 4;
	while (!wait_one(&a, &cqe, 300) || !wait_one(&b, &cqe, 300))
		;
	/* Channel bytes: 8 KiB for the context, 10 KiB for the user. */
	ca = asyncx_chan_create(&a, 16, sizeof(msg));
	cb = asyncx_chan_create(&b, 16, sizeof(msg));
	if (ca < 0 || cb < 0)
		return 5;
	asyncx_prep_send(asyncx_get_sqe(&a), ca, msg, sizeof(msg));
	if (one_result(&a) != sizeof(msg))
		return 6;
	asyncx_prep_send(asyncx_get_sqe(&a), ca, msg, sizeof(msg));
	if (one_result(&a) != -ENOBUFS)		/* the context's bound */
		return 7;
	asyncx_prep_send(asyncx_get_sqe(&b), cb, msg, sizeof(msg));
	if (one_result(&b) != sizeof(msg))
		return 8;
	asyncx_prep_send(asyncx_get_sqe(&b), cb, msg, 2048);
	if (one_result(&b) != -ENOBUFS)		/* the user's bound */
		return 9;
	/* A RECV frees what the message held. */
	asyncx_prep_recv(asyncx_get_sqe(&a), ca, buf, sizeof(buf));
	if (one_result(&a) != sizeof(msg))
		return 10;
	asyncx_prep_send(asyncx_get_sqe(&b), cb, msg, 2048);
	if (one_result(&b) != 2048)
		return 11;
	asyncx_queue_exit(&a);
	asyncx_queue_exit(&b);
	return 0;
}

/*
 * What one user holds over all their contexts is bounded: operations in
 * flight (max_user_inflight: more complete with -EBUSY) and the bytes of
 * their channels' messages (max_chan_bytes per context and
 * max_user_chan_bytes per user: a SEND over either completes with
 * -ENOBUFS). Root sets the bounds; a child as nobody runs into them.
 */
TEST(user_bounds_hold)
{
	char inflight[16], ctx_bytes[24], user_bytes[24];
	int ret;

	ASSERT_EQ(0, param_read("max_user_inflight", inflight, sizeof(inflight)));
	ASSERT_EQ(0, param_read("max_chan_bytes", ctx_bytes, sizeof(ctx_bytes)));
	ASSERT_EQ(0, param_read("max_user_chan_bytes", user_bytes,
			       sizeof(user_bytes)));
	ASSERT_EQ(0, param_write("max_user_inflight", "10"));
	ASSERT_EQ(0, param_write("max_chan_bytes", "8192"));
	ASSERT_EQ(0, param_write("max_user_chan_bytes", "10240"));
	ret = in_child(user_bounds_child, NULL);
	EXPECT_EQ(0, param_write("max_user_inflight", inflight));
	EXPECT_EQ(0, param_write("max_chan_bytes", ctx_bytes));
	EXPECT_EQ(0, param_write("max_user_chan_bytes", user_bytes));
	EXPECT_EQ(0, ret);
}

/*
 * A WRITE that runs on the executor (in a chain, or with a deadline) runs
 * with its submitter's credentials, in its submitter: a peer that asks for
 * SCM_CREDENTIALS sees the submitter's uid, gid and pid, not the kernel's
 * or a kernel thread's.
 */
TEST(write_runs_as_its_submitter)
{
	char data[CMSG_SPACE(sizeof(struct ucred))], c;
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;
	int sv[2], on = 1;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	ASSERT_EQ(0, setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	/* A WRITE linked after a NOP, and one with a deadline. */
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	asyncx_prep_write(asyncx_get_sqe(&ring), sv[0], "l", 1, (__u64)-1);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_write(sqe, sv[0], "d", 1, (__u64)-1);
	asyncx_sqe_set_deadline(sqe, 1000000000ULL);
	ASSERT_EQ(3, asyncx_submit(&ring));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
		EXPECT_LE(0, cqe.res);
	}
	for (int i = 0; i < 2; i++) {
		struct iovec iov = { .iov_base = &c, .iov_len = 1 };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = data, .msg_controllen = sizeof(data),
		};
		struct cmsghdr *cm;
		struct ucred uc;

		ASSERT_EQ(1, recvmsg(sv[1], &msg, 0));
		cm = CMSG_FIRSTHDR(&msg);
		ASSERT_NE(NULL, cm);
		ASSERT_EQ(SCM_CREDENTIALS, cm->cmsg_type);
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		EXPECT_EQ(NOBODY, uc.uid) TH_LOG("the WRITE of '%c'", c);
		EXPECT_EQ(NOBODY, uc.gid);
		EXPECT_EQ(getpid(), uc.pid) TH_LOG("the WRITE of '%c'", c);
	}
	asyncx_queue_exit(&ring);
	close(sv[0]);
	close(sv[1]);
}

/* A READ and a WRITE of a regular file raise inotify's events. */
TEST(rw_raises_fsnotify_events)
{
	char path[] = "/tmp/asyncx-notify-XXXXXX", buf[4];
	struct inotify_event ev[4];
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	unsigned int seen = 0;
	int fd, in;
	ssize_t n;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	in = inotify_init1(IN_NONBLOCK);
	ASSERT_LE(0, in);
	ASSERT_LE(0, inotify_add_watch(in, path, IN_MODIFY | IN_ACCESS));
	unlink(path);
	asyncx_prep_write(asyncx_get_sqe(&ring), fd, "abcd", 4, 0);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
	ASSERT_EQ(4, cqe.res);
	asyncx_prep_read(asyncx_get_sqe(&ring), fd, buf, 4, 0);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
	ASSERT_EQ(4, cqe.res);
	n = read(in, ev, sizeof(ev));
	for (char *p = (char *)ev; n > 0 && p < (char *)ev + n;
	     p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
		seen |= ((struct inotify_event *)p)->mask;
	EXPECT_TRUE(seen & IN_MODIFY);
	EXPECT_TRUE(seen & IN_ACCESS);
	asyncx_queue_exit(&ring);
	close(in);
	close(fd);
}

/*
 * A READ gives what read(2) gives, for a seq_file of procfs too
 * (/proc/net/unix, which used to answer -EINVAL through the ring).
 */
TEST(read_of_proc_net_unix_is_read2s)
{
	static char want[4096], got[4096];
	struct asyncx_ring ring;
	struct asyncx_sqe *sqe;
	struct asyncx_cqe cqe;
	ssize_t n;
	int fd;

	ASSERT_EQ(0, become_nobody());
	fd = open("/proc/net/unix", O_RDONLY);
	ASSERT_LE(0, fd);
	n = pread(fd, want, sizeof(want), 0);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	/* At offset 0, and at the file position (a linked READ). */
	asyncx_prep_read(asyncx_get_sqe(&ring), fd, got, sizeof(got), 0);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 2000));
	ASSERT_LT(0, cqe.res);
	/* The table's header line at least is the same. */
	EXPECT_EQ(0, memcmp(want, got, strcspn(want, "\n")));
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_flags(sqe, ASYNCX_SQE_LINK);
	asyncx_prep_read(asyncx_get_sqe(&ring), fd, got, sizeof(got), (__u64)-1);
	ASSERT_EQ(2, asyncx_submit(&ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(&ring, &cqe, 2000));
		EXPECT_LE(0, cqe.res);
	}
	EXPECT_EQ(0, memcmp(want, got, strcspn(want, "\n")));
	asyncx_queue_exit(&ring);
	close(fd);
}

/* A GROUP SQE refused after its prep (a RETRY on a GROUP) frees its id. */
TEST(refused_group_frees_its_id)
{
	struct asyncx_ring ring;
	struct asyncx_cqe cqe;
	struct asyncx_sqe *sqe;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_join_group(sqe, 5, 1);
	asyncx_sqe_set_retry(sqe, 2, 10, 10, 0, 0);
	asyncx_sqe_set_data64(sqe, 1);
	ASSERT_EQ(1, asyncx_submit(&ring));
	ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
	EXPECT_EQ(-EINVAL, cqe.res);
	/* The id is free: a GROUP on it opens, and its member completes it. */
	asyncx_prep_join_group(asyncx_get_sqe(&ring), 5, 1);
	sqe = asyncx_get_sqe(&ring);
	asyncx_prep_nop(sqe);
	asyncx_sqe_set_group(sqe, 5);
	ASSERT_EQ(2, asyncx_submit(&ring));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, wait_one(&ring, &cqe, 1000));
		EXPECT_EQ(0, cqe.res);
		if (asyncx_cqe_is_group(&cqe))
			EXPECT_EQ(1, asyncx_cqe_group_count(&cqe));
	}
	asyncx_queue_exit(&ring);
}

/*
 * An io_uring completion queues task work on its submitter with
 * TIF_NOTIFY_SIGNAL, which interrupts an interruptible sleep like a
 * signal does. A wait for CQEs of asyncx that only this interrupts must
 * go on (the kernel restarts it once the task work ran), not fail with
 * -EINTR.
 */
TEST(task_work_does_not_interrupt_a_wait)
{
	struct __kernel_timespec ts = { .tv_nsec = 300 * 1000000L };
	struct io_uring uring;
	struct asyncx_ring ring;
	struct asyncx_cqe *cqe;
	unsigned long long t0;
	int pfd[2], ret;
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, become_nobody());
	ASSERT_EQ(0, io_uring_queue_init(4, &uring, 0));
	ASSERT_EQ(0, asyncx_queue_init(8, &ring, 0));
	ASSERT_EQ(0, pipe(pfd));
	/* A READ of an empty pipe: io_uring arms a poll, completes it later. */
	io_uring_prep_read(io_uring_get_sqe(&uring), pfd[0], buf, sizeof(buf), 0);
	ASSERT_EQ(1, io_uring_submit(&uring));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(50 * 1000);
		_exit(write(pfd[1], "x", 1) != 1);
	}
	/* The write completes the READ while this waits: task work. */
	t0 = now_ns();
	ret = asyncx_wait_cqe_timeout(&ring, &cqe, &ts);
	EXPECT_EQ(-ETIME, ret) {
		TH_LOG("the wait ended after %llu ms", (now_ns() - t0) / 1000000);
	}
	EXPECT_LE(250ULL * 1000000, now_ns() - t0);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	io_uring_queue_exit(&uring);
	asyncx_queue_exit(&ring);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_HARNESS_MAIN
