// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_opdef: the load-time check of the op table names what
 * a row lacks, every row of the module's table is whole, and an op's fast
 * path agrees with its prep and issue.
 */
#include <kunit/test.h>

#include <linux/asyncx.h>
#include <linux/slab.h>

#include "ring/opdef.h"

static int stub_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	return 0;
}

static int stub_issue(struct axq_req *req)
{
	return 0;
}

static int stub_issue_sqe(struct axq_ctx *ctx, const struct asyncx_sqe *sqe)
{
	return 0;
}

static enum axq_poll stub_poll(struct axq_req *req, struct axq_context *cx,
			       int *res)
{
	return AXQ_READY;
}

static void stub_cleanup(struct axq_req *req)
{
}

static const struct axq_opdef whole = {
	.name		= "STUB",
	.cmd_size	= 8,
	.chain_ok	= axq_chain_ok_res,
	.prep		= stub_prep,
	.issue		= stub_issue,
};

/* Every opcode has a row, and every row is whole. */
static void opdef_table_whole(struct kunit *test)
{
	unsigned int op;

	for (op = 0; op < ASYNCX_OP_LAST; op++) {
		KUNIT_EXPECT_PTR_EQ_MSG(test, axq_opdef_missing(axq_opdefs[op]),
					(const char *)NULL, "opcode %u", op);
	}
	KUNIT_EXPECT_PTR_EQ(test, axq_opdef_missing(&whole), (const char *)NULL);
}

/* Each fact left out of a row is named. */
static void opdef_missing_facts(struct kunit *test)
{
	struct axq_opdef d;

	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(NULL), "row");
	d = whole;
	d.name = NULL;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "name");
	d = whole;
	d.name = "A_NAME_TOO_LONG_";
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "name");
	d = whole;
	d.cmd_size = 0;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "cmd_size");
	d = whole;
	d.cmd_size = U16_MAX;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "cmd_size");
	d = whole;
	d.chain_ok = NULL;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "chain_ok");
	d = whole;
	d.prep = NULL;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "prep");
	d = whole;
	d.issue = NULL;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "issue or poll");
	d = whole;
	d.poll = stub_poll;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d), "issue or poll");
	d = whole;
	d.cleanup = stub_cleanup;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d),
			   "an inline op's async hooks");
	d = whole;
	d.issue = NULL;
	d.poll = stub_poll;
	d.cleanup = stub_cleanup;
	KUNIT_EXPECT_PTR_EQ(test, axq_opdef_missing(&d), (const char *)NULL);
	d.issue_sqe = stub_issue_sqe;
	KUNIT_EXPECT_STREQ(test, axq_opdef_missing(&d),
			   "issue (an async op has no issue_sqe)");
}

/*
 * An op's fast path (issue_sqe: a plain SQE run with no request) gives what
 * its prep and issue give, for every combination of interesting values of
 * the fields such an SQE may carry, op_flags the op refuses included (the
 * submission answers those -EINVAL before either path).
 */
static void issue_sqe_agrees(struct kunit *test)
{
	static const u64 offs[] = { 0, 1, 5, U32_MAX, (u64)U32_MAX + 1 };
	static const u32 lens[] = { 0, 1, (u32)-5, 7 };
	static const u32 fls[] = { 0, ASYNCX_NOP_RESULT, 1U << 7,
				   ASYNCX_NOP_RESULT | 1U << 7 };
	static const s32 fds[] = { 0, 3 };
	static const u64 addrs[] = { 0, 4096 };
	const unsigned int combos = ARRAY_SIZE(offs) * ARRAY_SIZE(lens) *
				    ARRAY_SIZE(fls) * ARRAY_SIZE(fds) *
				    ARRAY_SIZE(addrs);
	unsigned int op, k, i, tried = 0, wrong = 0;
	struct asyncx_sqe sqe;
	struct axq_req *req;
	int fast, slow;

	for (op = 0; op < ASYNCX_OP_LAST; op++) {
		const struct axq_opdef *def = axq_opdefs[op];

		if (!def->issue_sqe)
			continue;
		req = kzalloc(axq_req_size(op), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, req);
		for (k = 0; k < combos; k++) {
			/* Combination k: one digit per field. */
			memset(&sqe, 0, sizeof(sqe));
			sqe.opcode = op;
			i = k;
			sqe.off = offs[i % ARRAY_SIZE(offs)];
			i /= ARRAY_SIZE(offs);
			sqe.len = lens[i % ARRAY_SIZE(lens)];
			i /= ARRAY_SIZE(lens);
			sqe.op_flags = fls[i % ARRAY_SIZE(fls)];
			i /= ARRAY_SIZE(fls);
			sqe.fd = fds[i % ARRAY_SIZE(fds)];
			i /= ARRAY_SIZE(fds);
			sqe.addr = addrs[i];
			if (sqe.op_flags & ~def->op_flags)
				continue;
			fast = def->issue_sqe(NULL, &sqe);
			memset(req, 0, axq_req_size(op));
			slow = def->prep(req, &sqe);
			if (!slow)
				slow = def->issue(req);
			tried++;
			if (fast != slow && !wrong++)
				KUNIT_FAIL(test, "%s off %llu len %u %#x fd %d addr %llu: %d/%d",
					   def->name, sqe.off, sqe.len, sqe.op_flags,
					   sqe.fd, sqe.addr, fast, slow);
		}
		kfree(req);
	}
	KUNIT_EXPECT_EQ(test, wrong, 0U);
	/* NOP has one: the fast path is tested, not skipped. */
	KUNIT_EXPECT_GT(test, tried, 0U);
}

static struct kunit_case asyncx_opdef_cases[] = {
	KUNIT_CASE(opdef_table_whole),
	KUNIT_CASE(opdef_missing_facts),
	KUNIT_CASE(issue_sqe_agrees),
	{}
};

static struct kunit_suite asyncx_opdef_suite = {
	.name = "asyncx_opdef",
	.test_cases = asyncx_opdef_cases,
};

kunit_test_suites(&asyncx_opdef_suite);
