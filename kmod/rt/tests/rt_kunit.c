// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx_rt_kunit.ko: the runtime's KUnit suites (the other files of this
 * folder), on asyncx_rt.ko, the runtime alone. (In asyncx_kunit.ko the same
 * suites run on asyncx.ko.) The suites run when it is loaded.
 */
#include <linux/module.h>

MODULE_IMPORT_NS(ASYNCX_INTERNAL);
MODULE_DESCRIPTION("KUnit suites of the asyncx runtime, on the runtime alone");
MODULE_LICENSE("GPL");
