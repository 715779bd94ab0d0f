/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: the few kernel APIs that differ between 6.1 and 6.12.
 */
#ifndef _ASYNCX_RING_COMPAT_H
#define _ASYNCX_RING_COMPAT_H

#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <net/sock.h>
#include <linux/version.h>

/* 6.8 dropped eventfd_signal()'s count argument (it was always 1 here). */
static inline void axq_eventfd_signal(struct eventfd_ctx *ev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ev);
#else
	eventfd_signal(ev, 1);
#endif
}

/* 6.3 made vm_flags read-only outside vm_flags_set(). */
static inline void axq_vm_flags_set(struct vm_area_struct *vma,
				    unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* 6.5 dropped pin_user_pages()'s vmas argument. Called with the mmap lock. */
static inline long axq_pin_user_pages(unsigned long start,
				      unsigned long nr_pages,
				      unsigned int gup_flags,
				      struct page **pages)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return pin_user_pages(start, nr_pages, gup_flags, pages);
#else
	return pin_user_pages(start, nr_pages, gup_flags, pages, NULL);
#endif
}

/*
 * Take @fd out of the current thread's table: the file, with the table's
 * reference, or NULL. 6.8 renamed close_fd_get_file() file_close_fd().
 */
static inline struct file *axq_file_close_fd(unsigned int fd)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return file_close_fd(fd);
#else
	return close_fd_get_file(fd);
#endif
}

/* 6.10 passed accept's flags in a struct. */
static inline int axq_sock_accept(struct socket *sock,
				  struct socket *newsock, int flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	struct proto_accept_arg arg = { .flags = flags, .kern = false };

	return sock->ops->accept(sock, newsock, &arg);
#else
	return sock->ops->accept(sock, newsock, flags, false);
#endif
}

#endif /* _ASYNCX_RING_COMPAT_H */
