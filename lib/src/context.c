// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libasyncx: opening and closing contexts.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "asyncx.h"

int asyncx_open(void)
{
	int fd = open(ASYNCX_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int asyncx_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}
