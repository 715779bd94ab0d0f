/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test helper's ioctls (blocker.c), shared with the tests that use it.
 */
#ifndef _ASYNCX_TEST_BLOCKER_H
#define _ASYNCX_TEST_BLOCKER_H

#include <linux/ioctl.h>

#define BLOCKER_READ_DEV	"/dev/asyncx_blocker_read"
#define BLOCKER_POLL_DEV	"/dev/asyncx_blocker_poll"

/* Wake every sleeper; they return. */
#define BLOCKER_RELEASE		_IO('B', 1)
/* Returns how many threads sleep in the helper now. */
#define BLOCKER_SLEEPERS	_IO('B', 2)
/* Returns how many sleeps a signal ended, since load. */
#define BLOCKER_INTERRUPTED	_IO('B', 3)

#endif /* _ASYNCX_TEST_BLOCKER_H */
