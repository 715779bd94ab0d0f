/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx: who may open /dev/asyncx, and how many contexts each user may
 * hold (limits.c; internal to the module).
 */
#ifndef _ASYNCX_RING_LIMITS_H
#define _ASYNCX_RING_LIMITS_H

#include <linux/uidgid.h>

int axq_limits_allowed(void);
int axq_limits_open(kuid_t *uid);
void axq_limits_release(kuid_t uid);
void axq_limits_exit(void);

#endif /* _ASYNCX_RING_LIMITS_H */
