// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite asyncx_opdef: the load-time check of the op table names what
 * a row lacks, and every row of the module's table is whole.
 */
#include <kunit/test.h>

#include <linux/asyncx.h>

#include "ring/opdef.h"

static int stub_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	return 0;
}

static int stub_issue(struct axq_req *req)
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
}

static struct kunit_case asyncx_opdef_cases[] = {
	KUNIT_CASE(opdef_table_whole),
	KUNIT_CASE(opdef_missing_facts),
	{}
};

static struct kunit_suite asyncx_opdef_suite = {
	.name = "asyncx_opdef",
	.test_cases = asyncx_opdef_cases,
};

kunit_test_suites(&asyncx_opdef_suite);
