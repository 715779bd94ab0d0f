// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * asyncx-demo: the client `make run` runs in the test VM.
 *
 * Opens a few asyncx contexts through libasyncx, shows that each is its
 * own context (debugfs counts them), and closes them. It grows with the
 * runtime: submissions, completions and traces come with the ring.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asyncx.h>

#define CONTEXTS_FILE	"/sys/kernel/debug/asyncx/contexts"
#define NCTX		4

static long live_contexts(void)
{
	long n = -1;
	FILE *f = fopen(CONTEXTS_FILE, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

int main(void)
{
	int fds[NCTX];
	int i;

	printf("asyncx-demo: opening %d contexts on %s\n", NCTX, ASYNCX_DEVICE_PATH);
	for (i = 0; i < NCTX; i++) {
		fds[i] = asyncx_open();
		if (fds[i] < 0) {
			fprintf(stderr, "asyncx-demo: asyncx_open: %s\n", strerror(-fds[i]));
			return 1;
		}
		printf("  context %d: fd %d\n", i, fds[i]);
	}
	printf("asyncx-demo: live contexts (debugfs): %ld\n", live_contexts());
	for (i = 0; i < NCTX; i++) {
		int ret = asyncx_close(fds[i]);

		if (ret) {
			fprintf(stderr, "asyncx-demo: asyncx_close: %s\n", strerror(-ret));
			return 1;
		}
	}
	printf("asyncx-demo: closed; live contexts: %ld\n", live_contexts());
	return 0;
}
