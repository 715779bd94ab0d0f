/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libasyncx-based kselftests.
 */
#ifndef ASYNCX_SELFTEST_UTIL_H
#define ASYNCX_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asyncx.h>

/* Wait at most @ms for a CQE; copy it out and free it. 0 or -ETIME. */
static inline int wait_one(struct asyncx_ring *ring, struct asyncx_cqe *out,
			   long ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};
	struct asyncx_cqe *cqe;
	int ret;

	ret = asyncx_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	*out = *cqe;
	asyncx_cqe_seen(ring, cqe);
	return 0;
}

/* CLOCK_MONOTONIC now, in ns. */
static inline unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

#define SYS_CPU		"/sys/devices/system/cpu"

/* Write @on to the online file of @cpu: 0 or a negative errno. */
static inline int cpu_set_online(int cpu, int on)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), SYS_CPU "/cpu%d/online", cpu);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	ret = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

/* The unprivileged user the isolation tests run as. */
#define NOBODY		65534

/* Become uid/gid 65534 with no supplementary groups: no capabilities. */
static inline int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY))
		return -1;
	return setresuid(NOBODY, NOBODY, NOBODY);
}

#define ASYNCX_PARAMS	"/sys/module/asyncx/parameters/"

/* Read a module parameter into @buf, its newline dropped: 0 or -errno. */
static inline int param_read(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), ASYNCX_PARAMS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* A module parameter's value, or -1000 if it cannot be read. */
static inline long param_long(const char *name)
{
	char buf[32];

	if (param_read(name, buf, sizeof(buf)))
		return -1000;
	return strtol(buf, NULL, 0);
}

/* Write a module parameter: 0, or the negative errno of the write. */
static inline int param_write(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), ASYNCX_PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Live contexts, from debugfs: the count, or -1. */
static inline long live_contexts(void)
{
	FILE *f = fopen("/sys/kernel/debug/asyncx/contexts", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * Run @fn(@arg) in a child process, whose exit status is its return value:
 * that status, or -1 if the child did not exit normally.
 */
static inline int in_child(int (*fn)(void *arg), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Submit what is queued and wait for one CQE; its res, or -1000 - error. */
static inline int run1(struct asyncx_ring *ring)
{
	struct asyncx_cqe cqe;
	int ret = asyncx_submit(ring);

	if (ret != 1)
		return -1000 + ret;
	ret = wait_one(ring, &cqe, 5000);
	return ret ? -2000 + ret : cqe.res;
}

/* The value of @key in the ring's fdinfo, or -1. */
static inline long fdinfo(const struct asyncx_ring *ring, const char *key)
{
	char path[64], line[256];
	size_t n = strlen(key);
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring->fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			val = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return val;
}

#endif /* ASYNCX_SELFTEST_UTIL_H */
