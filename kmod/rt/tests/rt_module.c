// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx_rt_test.ko: the runtime alone — the objects of rt/ (and the
 * tracepoints) with the runtime's KUnit suites, none of ring/. That it
 * links (modpost finds every symbol in it or the kernel) and its suites
 * pass when it is loaded shows the runtime stands on its own.
 */
#include <linux/module.h>

#include "rt/rt.h"

static int __init axq_rt_test_init(void)
{
	return axq_rt_init();
}

static void __exit axq_rt_test_exit(void)
{
	axq_rt_exit();
}

module_init(axq_rt_test_init);
module_exit(axq_rt_test_exit);

MODULE_DESCRIPTION("asyncx runtime alone, with its KUnit suites");
MODULE_LICENSE("GPL");
