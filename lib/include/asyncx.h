/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libasyncx: the userspace library of asyncx.
 *
 * Programs include <asyncx.h> and link with `pkg-config --libs asyncx`.
 */
#ifndef ASYNCX_H
#define ASYNCX_H

#include <linux/asyncx.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Path of the device node every context is opened from. */
#define ASYNCX_DEVICE_PATH	"/dev/" ASYNCX_DEVICE_NAME

/**
 * asyncx_open() - open a new asyncx context
 *
 * Opens ASYNCX_DEVICE_PATH read-write and close-on-exec. Each call creates
 * an independent context; close it with asyncx_close().
 *
 * Return: a file descriptor (>= 0), or a negative errno: -ENOENT when the
 * module is not loaded, -EACCES when the node's mode denies access.
 */
int asyncx_open(void);

/**
 * asyncx_close() - close a context opened with asyncx_open()
 * @fd: the context's file descriptor
 *
 * Return: 0, or a negative errno (-EBADF for a descriptor that is not open).
 */
int asyncx_close(int fd);

#ifdef __cplusplus
}
#endif

#endif /* ASYNCX_H */
