// SPDX-License-Identifier: GPL-2.0
/*
 * dev_test: /dev/asyncx as a device: each open is a context, the node
 * behaves as a stream, the debugfs view counts contexts, and the context
 * tracepoints fire with the opener's tgid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asyncx.h>

#include "kselftest_harness.h"

#define DEBUGFS_CONTEXTS	"/sys/kernel/debug/asyncx/contexts"
#define TRACEFS			"/sys/kernel/tracing"

static long read_long(const char *path)
{
	char buf[64] = "";
	long v = -1;
	int fd, n;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && sscanf(buf, "%ld", &v) != 1)
		v = -1;
	return v;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, s, strlen(s)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

TEST(node_is_a_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(ASYNCX_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(open_close)
{
	int fd = open(ASYNCX_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	EXPECT_EQ(0, close(fd));
}

TEST(not_seekable)
{
	int fd = open(ASYNCX_DEVICE_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);
}

TEST(lib_open_close)
{
	int fd = asyncx_open();

	ASSERT_LE(0, fd) TH_LOG("asyncx_open: %s", strerror(-fd));
	EXPECT_EQ(0, asyncx_close(fd));
	EXPECT_EQ(-EBADF, asyncx_close(fd));
}

TEST(each_open_is_a_context)
{
	enum { N = 64 };
	int fds[N];
	long base;
	int i;

	base = read_long(DEBUGFS_CONTEXTS);
	if (base < 0)
		SKIP(return, "debugfs not mounted at /sys/kernel/debug");

	for (i = 0; i < N; i++) {
		fds[i] = open(ASYNCX_DEVICE_PATH, O_RDWR);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(base + N, read_long(DEBUGFS_CONTEXTS));
	for (i = 0; i < N; i++)
		close(fds[i]);
	EXPECT_EQ(base, read_long(DEBUGFS_CONTEXTS));
}

FIXTURE(trace) {
	int enabled;
};

FIXTURE_SETUP(trace)
{
	self->enabled = 0;
	if (access(TRACEFS "/events/asyncx", F_OK))
		SKIP(return, "tracefs not mounted at " TRACEFS);
	ASSERT_EQ(0, write_str(TRACEFS "/events/asyncx/enable", "1"));
	self->enabled = 1;
	ASSERT_EQ(0, write_str(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_str(TRACEFS "/tracing_on", "1"));
}

FIXTURE_TEARDOWN(trace)
{
	if (self->enabled)
		write_str(TRACEFS "/events/asyncx/enable", "0");
}

TEST_F(trace, ctx_events_fire)
{
	unsigned long long create_id = 0, free_id = 0, id;
	char line[512];
	FILE *f;
	int fd, tgid;

	/* The 6.1 harness runs the body even after SKIP() in setup. */
	if (!self->enabled)
		return;

	fd = open(ASYNCX_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);

	f = fopen(TRACEFS "/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "asyncx_ctx_create: ");

		if (p && sscanf(p, "asyncx_ctx_create: ctx=%llu tgid=%d", &id, &tgid) == 2 &&
		    tgid == getpid())
			create_id = id;
		p = strstr(line, "asyncx_ctx_free: ");
		if (p && sscanf(p, "asyncx_ctx_free: ctx=%llu tgid=%d", &id, &tgid) == 2 &&
		    tgid == getpid())
			free_id = id;
	}
	fclose(f);
	EXPECT_NE(0ULL, create_id);
	EXPECT_EQ(create_id, free_id);
}

TEST_HARNESS_MAIN
