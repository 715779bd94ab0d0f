// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: instantiates the tracepoints of trace.h (exactly once, here).
 */
#include <linux/module.h>

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Exported so that modules (the KUnit suites, in-kernel users) can attach. */
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_ctx_create);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_ctx_free);
