/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * asyncx: userspace ABI of /dev/asyncx.
 *
 * This header is the single source of truth for the ABI: the module and
 * libasyncx both include it. Rules: fixed-width types only, explicit
 * padding, reserved fields must be zero, values are only ever appended.
 */
#ifndef _UAPI_LINUX_ASYNCX_H
#define _UAPI_LINUX_ASYNCX_H

/**
 * ASYNCX_DEVICE_NAME - name of the misc device; its node is /dev/asyncx.
 *
 * Each open() of the node creates one independent context.
 */
#define ASYNCX_DEVICE_NAME	"asyncx"

#endif /* _UAPI_LINUX_ASYNCX_H */
