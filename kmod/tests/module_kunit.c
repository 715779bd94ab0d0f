// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_module: the module is loaded and wired up: its device
 * node opens and closes, its debugfs directory exists, its tracepoints fire.
 *
 * Runs when asyncx_kunit.ko is loaded after asyncx.ko, on a kernel with
 * CONFIG_KUNIT (the debug kernel of the test VM).
 */
#include <kunit/test.h>
#include <linux/debugfs.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>

#include <linux/asyncx.h>

#include "internal.h"
#include "ring/dev.h"
#include "trace.h"

#define AXQ_DEV_PATH	"/dev/" ASYNCX_DEVICE_NAME

/* What the probes saw; written by the probes, read by the test. */
struct ctx_events {
	int	creates;
	int	frees;
	u64	create_id;
	u64	free_id;
	pid_t	create_tgid;
};

static void probe_ctx_create(void *data, u64 ctx_id, pid_t tgid)
{
	struct ctx_events *ev = data;

	ev->creates++;
	ev->create_id = ctx_id;
	ev->create_tgid = tgid;
}

static void probe_ctx_free(void *data, u64 ctx_id, pid_t tgid)
{
	struct ctx_events *ev = data;

	ev->frees++;
	ev->free_id = ctx_id;
}

/* Close @f and run its release now rather than from a deferred fput. */
static void close_sync(struct file *f)
{
	filp_close(f, NULL);
	flush_delayed_fput();
}

static void open_close(struct kunit *test)
{
	struct file *f;

	f = filp_open(AXQ_DEV_PATH, O_RDWR, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(f), "open %s: %ld", AXQ_DEV_PATH,
			       PTR_ERR_OR_ZERO(f));
	KUNIT_EXPECT_NOT_NULL(test, f->private_data);
	/* A context is a stream: it has no file position to seek. */
	KUNIT_EXPECT_TRUE(test, f->f_mode & FMODE_STREAM);
	close_sync(f);
}

static void open_counts_contexts(struct kunit *test)
{
	struct file *f[4];
	int before = atomic_read(&axq_nr_contexts);
	int i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		f[i] = filp_open(AXQ_DEV_PATH, O_RDWR, 0);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f[i]));
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&axq_nr_contexts),
			before + (int)ARRAY_SIZE(f));
	/* Each open is its own context. */
	KUNIT_EXPECT_PTR_NE(test, f[0]->private_data, f[1]->private_data);

	for (i = 0; i < ARRAY_SIZE(f); i++)
		close_sync(f[i]);
	KUNIT_EXPECT_EQ(test, atomic_read(&axq_nr_contexts), before);
}

static void debugfs_dir_exists(struct kunit *test)
{
	struct dentry *d;

	d = debugfs_lookup(ASYNCX_DEBUGFS_DIR, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	dput(d);
}

static void tracepoints_fire(struct kunit *test)
{
	struct ctx_events ev = {};
	struct file *f;

	KUNIT_ASSERT_EQ(test, register_trace_asyncx_ctx_create(probe_ctx_create, &ev), 0);
	KUNIT_ASSERT_EQ(test, register_trace_asyncx_ctx_free(probe_ctx_free, &ev), 0);

	f = filp_open(AXQ_DEV_PATH, O_RDWR, 0);
	if (!IS_ERR(f))
		close_sync(f);

	unregister_trace_asyncx_ctx_free(probe_ctx_free, &ev);
	unregister_trace_asyncx_ctx_create(probe_ctx_create, &ev);
	tracepoint_synchronize_unregister();

	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_EXPECT_EQ(test, ev.creates, 1);
	KUNIT_EXPECT_EQ(test, ev.frees, 1);
	KUNIT_EXPECT_EQ(test, ev.create_id, ev.free_id);
	KUNIT_EXPECT_NE(test, ev.create_id, 0ULL);
	KUNIT_EXPECT_EQ(test, ev.create_tgid, task_tgid_nr(current));
}

static struct kunit_case asyncx_module_cases[] = {
	KUNIT_CASE(open_close),
	KUNIT_CASE(open_counts_contexts),
	KUNIT_CASE(debugfs_dir_exists),
	KUNIT_CASE(tracepoints_fire),
	{}
};

static struct kunit_suite asyncx_module_suite = {
	.name = "asyncx_module",
	.test_cases = asyncx_module_cases,
};

kunit_test_suites(&asyncx_module_suite);

MODULE_IMPORT_NS(ASYNCX_INTERNAL);
MODULE_DESCRIPTION("KUnit suites for asyncx");
MODULE_LICENSE("GPL");
