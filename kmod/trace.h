/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asyncx tracepoints (TRACE_SYSTEM asyncx).
 *
 * The argument names of every event are stable: bpftrace scripts in
 * scripts/bpftrace/ and users' own tools refer to them as args->NAME.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM asyncx

#if !defined(_ASYNCX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ASYNCX_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(asyncx_ctx_class,
		    TP_PROTO(u64 ctx_id, pid_t tgid),
		    TP_ARGS(ctx_id, tgid),
		    TP_STRUCT__entry(__field(u64, ctx_id)
				     __field(pid_t, tgid)),
		    TP_fast_assign(__entry->ctx_id = ctx_id;
				   __entry->tgid = tgid;),
		    TP_printk("ctx=%llu tgid=%d", __entry->ctx_id, __entry->tgid)
);

/**
 * asyncx_ctx_create - a context was created by open() of /dev/asyncx
 * @ctx_id:	the context's id, unique for the life of the module
 * @tgid:	the thread group that opened the device
 */
DEFINE_EVENT(asyncx_ctx_class, asyncx_ctx_create,
	     TP_PROTO(u64 ctx_id, pid_t tgid),
	     TP_ARGS(ctx_id, tgid));

/**
 * asyncx_ctx_free - a context was freed on the final close of its file
 * @ctx_id:	the context's id
 * @tgid:	the thread group that had opened the device
 */
DEFINE_EVENT(asyncx_ctx_class, asyncx_ctx_free,
	     TP_PROTO(u64 ctx_id, pid_t tgid),
	     TP_ARGS(ctx_id, tgid));

#endif /* _ASYNCX_TRACE_H */

/* Out of tree: define_trace.h finds this header by path (see Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
