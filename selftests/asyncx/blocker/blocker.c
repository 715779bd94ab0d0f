// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx_test_blocker: a test helper for asyncx's isolation tests — files
 * whose read or ->poll() sleeps until the test says stop, as a FUSE file's
 * read and poll wait for the file system's daemon.
 *
 * /dev/asyncx_blocker_read  read() sleeps (interruptibly) until released,
 *                           then reads one byte; no ->poll(), so asyncx
 *                           reads it on an I/O worker, blocking
 * /dev/asyncx_blocker_poll  ->poll() itself sleeps (killably, as FUSE's
 *                           request wait does) until released, then
 *                           says EPOLLIN
 *
 * A MAP_PRIVATE mapping of /dev/asyncx_blocker_read faults (killably)
 * until released, then maps a zeroed page (copied on write): memory whose
 * page faults wait for the test, as a FUSE file's mapping's wait for the
 * daemon.
 *
 * The ioctls (blocker.h) release every sleeper and count sleepers and
 * interrupted sleeps. Both devices are 0666: the tests use them as an
 * unprivileged user.
 */
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "blocker.h"

static DECLARE_WAIT_QUEUE_HEAD(blocker_wait);
static atomic_t blocker_gen = ATOMIC_INIT(0);
static atomic_t blocker_sleepers = ATOMIC_INIT(0);
static atomic_t blocker_interrupted = ATOMIC_INIT(0);

/* Sleep until the next release: 0, or -ERESTARTSYS for a signal. */
static int blocker_sleep(bool killable_only)
{
	int gen = atomic_read(&blocker_gen);
	int ret;

	atomic_inc(&blocker_sleepers);
	if (killable_only)
		ret = wait_event_killable(blocker_wait,
					  atomic_read(&blocker_gen) != gen);
	else
		ret = wait_event_interruptible(blocker_wait,
					       atomic_read(&blocker_gen) != gen);
	atomic_dec(&blocker_sleepers);
	if (ret)
		atomic_inc(&blocker_interrupted);
	return ret;
}

/* One byte, 'x'. */
static ssize_t blocker_byte(struct iov_iter *to)
{
	char c = 'x';

	if (!iov_iter_count(to))
		return 0;
	return copy_to_iter(&c, 1, to) == 1 ? 1 : -EFAULT;
}

static ssize_t blocker_read(struct kiocb *iocb, struct iov_iter *to)
{
	int ret;

	if (!iov_iter_count(to))
		return 0;
	ret = blocker_sleep(false);
	if (ret)
		return ret;
	return blocker_byte(to);
}

static ssize_t blocker_read_now(struct kiocb *iocb, struct iov_iter *to)
{
	return blocker_byte(to);
}

static __poll_t blocker_poll(struct file *file, poll_table *pt)
{
	poll_wait(file, &blocker_wait, pt);
	if (blocker_sleep(true))
		return EPOLLERR;
	return EPOLLIN | EPOLLRDNORM;
}

static vm_fault_t blocker_fault(struct vm_fault *vmf)
{
	struct page *page;

	if (blocker_sleep(true))
		return VM_FAULT_SIGBUS;
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return VM_FAULT_OOM;
	/* Our reference goes to the fault, which drops it. */
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct blocker_vm_ops = {
	.fault	= blocker_fault,
};

static int blocker_mmap(struct file *file, struct vm_area_struct *vma)
{
	/* Private only: each page is copied on write, never shared. */
	if (vma->vm_flags & VM_SHARED)
		return -EINVAL;
	vma->vm_ops = &blocker_vm_ops;
	return 0;
}

static long blocker_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case BLOCKER_RELEASE:
		atomic_inc(&blocker_gen);
		wake_up_all(&blocker_wait);
		return 0;
	case BLOCKER_SLEEPERS:
		return atomic_read(&blocker_sleepers);
	case BLOCKER_INTERRUPTED:
		return atomic_read(&blocker_interrupted);
	}
	return -ENOTTY;
}

static const struct file_operations blocker_read_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= blocker_read,
	.mmap		= blocker_mmap,
	.unlocked_ioctl	= blocker_ioctl,
	.llseek		= noop_llseek,
};

static const struct file_operations blocker_poll_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= blocker_read_now,
	.poll		= blocker_poll,
	.unlocked_ioctl	= blocker_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice blocker_read_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "asyncx_blocker_read",
	.fops	= &blocker_read_fops,
	.mode	= 0666,
};

static struct miscdevice blocker_poll_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "asyncx_blocker_poll",
	.fops	= &blocker_poll_fops,
	.mode	= 0666,
};

static int __init blocker_init(void)
{
	int ret = misc_register(&blocker_read_dev);

	if (ret)
		return ret;
	ret = misc_register(&blocker_poll_dev);
	if (ret)
		misc_deregister(&blocker_read_dev);
	return ret;
}

static void __exit blocker_exit(void)
{
	misc_deregister(&blocker_poll_dev);
	misc_deregister(&blocker_read_dev);
}

module_init(blocker_init);
module_exit(blocker_exit);
MODULE_DESCRIPTION("asyncx test helper: files whose read or poll sleeps until released");
MODULE_LICENSE("GPL");
