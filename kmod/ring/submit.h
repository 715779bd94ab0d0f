/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx ring: submission and waiting, the enter ioctl (submit.c). Internal.
 */
#ifndef _ASYNCX_RING_SUBMIT_H
#define _ASYNCX_RING_SUBMIT_H

#include <linux/compiler_types.h>

struct asyncx_enter;
struct axq_ctx;
struct axq_submit;

struct axq_submit *axq_submit_alloc(void);
void axq_submit_free(struct axq_submit *sub);
long axq_ctx_submit(struct axq_ctx *ctx, u32 to_submit);
long axq_ctx_enter(struct axq_ctx *ctx, struct asyncx_enter __user *arg);

#endif /* _ASYNCX_RING_SUBMIT_H */
