// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: an async runtime for the Linux kernel (rt/), and /dev/asyncx, the
 * batched submission/completion ring through which userspace drives it
 * (ring/). This file holds module init and exit; the layout is in
 * Documentation/design.rst.
 */
#include <linux/module.h>

#include "internal.h"
#include "ring/dev.h"
#include "rt/rt.h"

static int __init axq_init(void)
{
	int ret;

	ret = axq_rt_init();
	if (ret)
		return ret;
	ret = axq_ring_init();
	if (ret) {
		axq_rt_exit();
		return ret;
	}
	axq_debugfs_init();
	return 0;
}

static void __exit axq_exit(void)
{
	axq_debugfs_exit();
	axq_ring_exit();
	axq_rt_exit();
}

module_init(axq_init);
module_exit(axq_exit);

MODULE_DESCRIPTION("asyncx: in-kernel async runtime and /dev/asyncx submission rings");
MODULE_AUTHOR("The asyncx developers");
MODULE_LICENSE("GPL");
