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
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_spawn);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_poll);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_wake);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_steal);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_park);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_unpark);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_yield);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_complete);
EXPORT_TRACEPOINT_SYMBOL_GPL(asyncx_cancel);
