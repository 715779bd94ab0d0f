// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx_rt.ko: the runtime alone — the objects of rt/ (and the
 * tracepoints), none of ring/. That it links (modpost finds every symbol in
 * it or the kernel) and that the runtime's KUnit suites pass on it
 * (asyncx_rt_kunit.ko, loaded after it) shows the runtime stands on its
 * own. Built only for that test: RT_ONLY=1 scripts/build-kmod.sh debug.
 */
#include <linux/module.h>

#include "rt/rt.h"

static int __init axq_rt_module_init(void)
{
	return axq_rt_init();
}

static void __exit axq_rt_module_exit(void)
{
	axq_rt_exit();
}

module_init(axq_rt_module_init);
module_exit(axq_rt_module_exit);

MODULE_DESCRIPTION("asyncx runtime alone, without the ring (a test build)");
MODULE_LICENSE("GPL");
