// SPDX-License-Identifier: GPL-2.0
/*
 * Runner self-test fixture: a module whose load prints a kernel WARNING.
 * `make check` loads it in the VM and passes only if the runner fails that
 * run because of the WARNING in the guest's kernel log.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init axq_runner_warn_init(void)
{
	WARN(1, "asyncx runner self-test: a deliberate warning\n");
	return 0;
}

static void __exit axq_runner_warn_exit(void)
{
}

module_init(axq_runner_warn_init);
module_exit(axq_runner_warn_exit);

MODULE_DESCRIPTION("asyncx runner self-test: WARN on load");
MODULE_LICENSE("GPL");
