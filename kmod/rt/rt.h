/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx runtime: its start and stop, for the module that holds it (the
 * module's main.c, or the runtime-only KUnit module). Internal.
 */
#ifndef _ASYNCX_RT_RT_H
#define _ASYNCX_RT_RT_H

int axq_rt_init(void);
void axq_rt_quiesce(void);
void axq_rt_exit(void);

#endif /* _ASYNCX_RT_RT_H */
