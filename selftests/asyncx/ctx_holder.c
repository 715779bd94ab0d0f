// SPDX-License-Identifier: GPL-2.0
/*
 * ctx_holder: a context with operations in flight, for the views that
 * show contexts (asyncx-top, fdinfo): TIMEOUTS timeouts of an hour and
 * POLLS polls of an empty pipe, submitted; prints "ready PID" and waits
 * until its stdin closes (or a signal), then closes the ring.
 *
 *   ctx_holder TIMEOUTS POLLS
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <asyncx.h>

int main(int argc, char **argv)
{
	struct __kernel_timespec ts = { .tv_sec = 3600 };
	struct asyncx_ring ring;
	int timeouts, polls, i, p[2];
	char c;

	if (argc != 3)
		return 2;
	timeouts = atoi(argv[1]);
	polls = atoi(argv[2]);
	if (timeouts < 0 || polls < 0 || timeouts + polls > 64 || pipe(p))
		return 2;
	if (asyncx_queue_init(64, &ring, 0))
		return 1;
	for (i = 0; i < timeouts; i++)
		asyncx_prep_timeout(asyncx_get_sqe(&ring), &ts, 0);
	for (i = 0; i < polls; i++)
		asyncx_prep_poll(asyncx_get_sqe(&ring), p[0], POLLIN);
	if (asyncx_submit(&ring) != timeouts + polls)
		return 1;
	printf("ready %d\n", getpid());
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	asyncx_queue_exit(&ring);
	return 0;
}
