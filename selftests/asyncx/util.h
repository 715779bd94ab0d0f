/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libasyncx-based kselftests.
 */
#ifndef ASYNCX_SELFTEST_UTIL_H
#define ASYNCX_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
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

#endif /* ASYNCX_SELFTEST_UTIL_H */
