/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * asyncx: userspace ABI of /dev/asyncx.
 *
 * This header is the single source of truth for the ABI: the module and
 * libasyncx both include it. Rules: fixed-width types only, pointers as
 * __u64, explicit padding, reserved fields must be zero (else -EINVAL),
 * unknown flags and opcodes are rejected, values are only ever appended.
 *
 * The protocol, as io_uring's: a context has a submission queue (SQ: head
 * and tail indices, and an array of SQEs indexed by index & ring_mask) and
 * a completion queue (CQ: indices and an array of CQEs), mapped into the
 * process in three regions (ASYNCX_OFF_*). The application fills the SQE at
 * the SQ tail and publishes the tail with a release store; the kernel reads
 * the tail with an acquire load, consumes SQEs from the head and publishes
 * the head with a release store. The kernel writes CQEs at the CQ tail and
 * publishes it with a release store; the application reads them after an
 * acquire load of the tail and frees them with a release store of the CQ
 * head, which the kernel reads with an acquire load. Indices are free-running
 * __u32 counters. The SQ head passes an SQE before any CQE of it is
 * published: an application that has seen a CQE finds that SQE's slot free
 * (an SQ thread's user, who enters nothing, may rely on it).
 */
#ifndef _UAPI_LINUX_ASYNCX_H
#define _UAPI_LINUX_ASYNCX_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * ASYNCX_DEVICE_NAME - name of the misc device; its node is /dev/asyncx.
 *
 * Each open() of the node creates one independent context.
 */
#define ASYNCX_DEVICE_NAME	"asyncx"

/**
 * struct asyncx_sqe - a submission queue entry (64 bytes)
 * @opcode: what to do, an ASYNCX_OP_* value
 * @flags: ASYNCX_SQE_* flags
 * @prio: priority class of the operation, an ASYNCX_PRIO_* value
 * @resv0: reserved, must be zero
 * @fd: the file the operation works on, where it has one
 * @off: file offset (READ, WRITE), or op-specific (see each op)
 * @addr: user address of a buffer or argument struct, where the op has one
 * @len: buffer length, count, or op-specific (see each op)
 * @op_flags: flags of the operation (ASYNCX_NOP_*, ASYNCX_TIMEOUT_*, ...)
 * @user_data: copied unchanged into the operation's CQE(s)
 * @deadline: with ASYNCX_SQE_DEADLINE: ns after the submission, or with
 *	ASYNCX_CF_DEADLINE_ABS a CLOCK_MONOTONIC time, by which the
 *	operation must have completed (else it is cancelled and completes
 *	with -ETIME); otherwise zero
 * @retry_base_us: with ASYNCX_SQE_RETRY: the first backoff delay, in us
 *	(0: retry at once); otherwise zero
 * @retry_cap_us: with ASYNCX_SQE_RETRY: the longest backoff delay, in us
 *	(at least @retry_base_us); otherwise zero
 * @group: with ASYNCX_SQE_GROUP: the id of the group (see ASYNCX_OP_GROUP)
 *	this SQE is a member of; for ASYNCX_OP_GROUP the id it opens;
 *	otherwise zero
 * @buf_index: READ and WRITE with ASYNCX_RW_FIXED: the index of a
 *	registered buffer (ASYNCX_IOC_REGISTER_BUFFERS), in the order of
 *	the registered iovec array (out of range: -EFAULT); otherwise zero
 *	(else -EINVAL)
 * @retry_max: with ASYNCX_SQE_RETRY: attempts in all, 1..255;
 *	otherwise zero
 * @cflags: ASYNCX_CF_* flags qualifying the deadline and the retry policy
 * @retry_errs: with ASYNCX_SQE_RETRY: the results that are retried, a mask
 *	of ASYNCX_RETRY_E* bits (0: ASYNCX_RETRY_DEFAULT); otherwise zero
 */
struct asyncx_sqe {
	__u8	opcode;
	__u8	flags;
	__u8	prio;
	__u8	resv0;
	__s32	fd;
	__u64	off;
	__u64	addr;
	__u32	len;
	__u32	op_flags;
	__u64	user_data;
	__u64	deadline;
	__u32	retry_base_us;
	__u32	retry_cap_us;
	__u16	group;
	__u16	buf_index;
	__u8	retry_max;
	__u8	cflags;
	__u16	retry_errs;
};

/**
 * struct asyncx_cqe - a completion queue entry (16 bytes)
 * @user_data: the user_data of the SQE this completes
 * @res: the result: >= 0 on success (op-specific), or a negative errno
 * @flags: ASYNCX_CQE_F_* flags
 */
struct asyncx_cqe {
	__u64	user_data;
	__s32	res;
	__u32	flags;
};

/**
 * enum asyncx_op - operation codes (only ever appended)
 * @ASYNCX_OP_NOP: do nothing and complete with 0, or with (__s32)len when
 *	op_flags has ASYNCX_NOP_RESULT (for tests); with ASYNCX_NOP_RESULT,
 *	off = n > 0 gives that result to the first n attempts only, later
 *	attempts complete with 0 (tests of ASYNCX_SQE_RETRY); fd, addr (and
 *	len and off without ASYNCX_NOP_RESULT) must be zero
 * @ASYNCX_OP_TIMEOUT: complete with -ETIME when the time in the struct
 *	__kernel_timespec at addr has passed: relative to the submission (in
 *	a chain: to when the chain reaches it), or absolute with
 *	ASYNCX_TIMEOUT_ABS, both on CLOCK_MONOTONIC; len must be 1, fd and
 *	off zero (off: the count of a multishot timeout, see
 *	ASYNCX_TIMEOUT_MULTISHOT). The timespec is read at submission.
 * @ASYNCX_OP_CANCEL: cancel the operation in flight whose user_data is
 *	addr, or with ASYNCX_CANCEL_ALL every operation in flight; res is 0
 *	(requested), -ENOENT (none such), -EALREADY (it is completing
 *	already), or with ASYNCX_CANCEL_ALL the number cancelled. The
 *	cancelled operation completes with -ECANCELED, before or after the
 *	CANCEL's own CQE. fd, off, len zero.
 * @ASYNCX_OP_PROBE: fill the struct asyncx_probe at addr, which has room
 *	for len struct asyncx_probe_op entries, with the opcodes and op_flags
 *	this module supports; res 0. fd, off zero.
 * @ASYNCX_OP_POLL: wait until the file at fd is ready for some of the
 *	events in len (a mask of POLLIN, POLLOUT, POLLPRI, POLLERR, POLLHUP
 *	and POLLRDHUP; other bits are -EINVAL); POLLERR and POLLHUP are
 *	always reported. Completes with the mask of ready events, -EBADF for
 *	an asyncx context (a context waiting on itself would never close) or
 *	a bad fd, -EINVAL for a file that cannot be polled. With
 *	ASYNCX_POLL_MULTISHOT it posts a CQE with ASYNCX_CQE_F_MORE for each
 *	readiness it sees and stays armed until cancelled or the context is
 *	closed, which posts the final CQE (-ECANCELED, without
 *	ASYNCX_CQE_F_MORE), or until a CQE does not fit in the CQ: then that
 *	readiness is the final CQE, without ASYNCX_CQE_F_MORE (every multishot
 *	op ends so rather than overflow the CQ; submit it again). A wait
 *	queue of the file that goes away (POLLFREE, e.g. signalfd) completes
 *	it with -ECANCELED. off and addr must be zero. With
 *	ASYNCX_SQE_FIXED_FILE, fd is an index into the registered files
 * @ASYNCX_OP_READ: read up to len bytes from fd into the buffer at addr,
 *	at file offset off, or at the file position (which it advances)
 *	when off is (__u64)-1. Completes with the bytes read or a negative
 *	errno: -EBADF for a bad fd or one not open for reading, -EFAULT for
 *	a bad buffer, -ESPIPE for an offset on a file without one. Pollable
 *	files are waited for without holding a thread; a regular file or
 *	block device that honours IOCB_NOWAIT is read at submission when
 *	that needs no waiting (a page-cache hit), and otherwise, as every
 *	other file, on an I/O worker of the context; a short count of such
 *	a try is completed there, so a regular file gives a short count only
 *	at its end, as read(2). O_DIRECT at an offset is issued (at
 *	submission when it need not wait) with a completion callback: the
 *	device completes it, no thread waits; a CANCEL of one the device
 *	has answers -EALREADY, and it completes with its result; alignment
 *	errors are -EINVAL, as pread(2)'s. op_flags: ASYNCX_RW_FIXED: addr and len lie
 *	inside the registered buffer buf_index (else -EFAULT; -ENXIO when
 *	no buffers are registered), whose pinned pages the I/O reaches
 *	directly. With ASYNCX_SQE_FIXED_FILE, fd is an index into the
 *	registered files (-EBADF when out of range, empty, or none are
 *	registered)
 * @ASYNCX_OP_WRITE: write len bytes from the buffer at addr to fd, as
 *	ASYNCX_OP_READ reads (-EBADF for a file not open for writing;
 *	ASYNCX_RW_FIXED and ASYNCX_SQE_FIXED_FILE as for READ)
 * @ASYNCX_OP_GROUP: open the group whose id is the SQE's group (1..65535,
 *	not open already on this context: else -EEXIST) of len members
 *	(1..ASYNCX_GROUP_MAX). The members are the next len SQEs, in this
 *	or later submissions, that carry ASYNCX_SQE_GROUP and this id; they
 *	start when the GROUP starts (at once, or when its chain reaches it).
 *	A JOIN group (op_flags 0) completes when every member has: res is 0
 *	if every member succeeded (res >= 0), else the first error of a
 *	member; flags has ASYNCX_CQE_F_GROUP and the number that succeeded
 *	(ASYNCX_CQE_GROUP_COUNT()). A SELECT group (ASYNCX_GROUP_SELECT): the
 *	first member to complete wins, its CQE carries ASYNCX_CQE_F_WINNER,
 *	and the others are cancelled (-ECANCELED); once every member has
 *	completed, the group's CQE has the winner's res, and flags
 *	ASYNCX_CQE_F_GROUP with the winner's index among the members, from 0
 *	in the order they were submitted (ASYNCX_CQE_GROUP_COUNT()). Either
 *	way the group's CQE comes after its members', and every SQE, member
 *	or GROUP, has exactly one final CQE with its own user_data. A group
 *	cancelled (ASYNCX_OP_CANCEL of its user_data, a deadline, a failed
 *	chain) completes at once with
 *	-ECANCELED (-ETIME) and cancels its members; members submitted after
 *	that complete with -ECANCELED. The id is free again once the group's
 *	CQE is out and all len members were submitted. fd, off, addr zero; a
 *	GROUP cannot be a member (no ASYNCX_SQE_GROUP) nor be retried.
 * @ASYNCX_OP_SEND: send the len bytes at addr (len at most the channel's
 *	msg_size, else -EMSGSIZE) as one message on the channel of this
 *	context whose id is fd (see ASYNCX_IOC_CHAN_CREATE; -ENOENT for an
 *	unknown id). The bytes are copied at submission (-EFAULT). When the
 *	channel is full the SEND waits, without a thread, until a RECV makes
 *	room (backpressure); waiting SENDs enter the channel in submission
 *	order. Completes with len once the message is in the channel, or
 *	-EPIPE when the channel is destroyed first (the message was not
 *	sent). off and op_flags must be zero
 * @ASYNCX_OP_RECV: take the oldest message of the channel whose id is fd
 *	and copy it to the buffer at addr of len bytes (at least the
 *	channel's msg_size, else -EINVAL); waits, without a thread, while the
 *	channel is empty. Completes with the message's length, -EPIPE when
 *	the channel is destroyed, -EFAULT for a bad buffer (the message then
 *	stays in the channel). With ASYNCX_RECV_MULTISHOT it is a stream:
 *	the buffer holds len / msg_size slots (1..ASYNCX_CHAN_MAX_SLOTS) of
 *	msg_size bytes; message k goes to slot k and posts a CQE with the
 *	message's length and ASYNCX_CQE_F_MORE, slot k in
 *	ASYNCX_CQE_SLOT(flags); once every slot is filled a last CQE without
 *	ASYNCX_CQE_F_MORE has res the number of slots. Destroy (-EPIPE) or
 *	a cancellation (-ECANCELED) ends the stream early with such a last
 *	CQE. off must be zero
 * @ASYNCX_OP_READV: as ASYNCX_OP_READ, into the len buffers of the struct
 *	iovec array at addr (at most UIO_MAXIOV, 1024, entries; a negative
 *	length or more entries: -EINVAL), as preadv(2); the array is read at
 *	submission. No ASYNCX_RW_FIXED
 * @ASYNCX_OP_WRITEV: as ASYNCX_OP_WRITE, from the iovec array at addr, as
 *	pwritev(2) (see ASYNCX_OP_READV)
 * @ASYNCX_OP_FSYNC: as fsync(2) of fd, or with ASYNCX_FSYNC_DATASYNC in
 *	op_flags as fdatasync(2), of the range at off of addr bytes (addr 0:
 *	to the end of the file), as sync_file_range() names a range. len
 *	must be zero; a negative off or addr is -EINVAL. Runs on an I/O
 *	worker; completes with 0 or the errno of fsync(2) (-EINVAL for a file
 *	that cannot be synced, -EIO)
 * @ASYNCX_OP_FALLOCATE: as fallocate(2) of fd with mode len (FALLOC_FL_*)
 *	at off for addr bytes; runs on an I/O worker; completes with 0 or
 *	fallocate(2)'s errno (-EBADF for a file not open for writing,
 *	-EINVAL, -EOPNOTSUPP, -ENOSPC, ...)
 * @ASYNCX_OP_OPENAT: as openat(2): the path name at addr (a C string,
 *	read at submission: -EFAULT, -ENAMETOOLONG), from the directory fd
 *	(or AT_FDCWD) for a relative name, with the open flags op_flags
 *	(O_*; a flag openat(2) does not know is -EINVAL) and mode len.
 *	Completes with the new file descriptor or openat(2)'s errno
 *	(-ENOENT, -EACCES, -EEXIST, -ENOTDIR, -EBADF for a bad fd with a
 *	relative name, -EMFILE, ...). The open runs on an I/O worker under
 *	the submitter's credentials, root, directory and umask; the
 *	descriptor is installed in the submitting thread's table, from its
 *	task work (-ECANCELED when that thread has exited). off must be
 *	zero; no ASYNCX_SQE_FIXED_FILE
 * @ASYNCX_OP_CLOSE: as close(2) of fd, in the submitting thread's table:
 *	completes with 0, -EBADF for a bad fd or an asyncx context, or the
 *	error of the file's flush (close(2)'s). The descriptor is free at
 *	submission (in a chain: when the chain reaches it, from the
 *	submitter's task work); a file whose close may sleep (->flush()) is
 *	closed on an I/O worker. off, addr and len must be zero; no
 *	ASYNCX_SQE_FIXED_FILE
 * @ASYNCX_OP_STATX: as statx(2) of the path name at addr from dirfd fd,
 *	with the AT_* flags op_flags (AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT,
 *	AT_EMPTY_PATH, AT_STATX_SYNC_TYPE; others -EINVAL) and the mask len
 *	(STATX_*), into the struct statx at off. Runs on an I/O worker;
 *	completes with 0 or statx(2)'s errno. stx_mnt_id is not given (its
 *	bit is never set in stx_mask)
 * @ASYNCX_OP_SOCK_SEND: as send(2) of the len bytes at addr on the socket
 *	fd, with the MSG_* flags in off (the low 32 bits; MSG_CMSG_COMPAT
 *	or higher bits: -EINVAL): completes with the bytes sent or send(2)'s
 *	errno (-ENOTSOCK for a file that is no socket, -EPIPE, ...). Never
 *	holds a thread while the socket is full (see ASYNCX_OP_WRITE); with
 *	MSG_WAITALL on a stream or seqpacket socket it completes once all
 *	len bytes are sent (or an error, after which the bytes sent are the
 *	result). ASYNCX_RW_FIXED and ASYNCX_SQE_FIXED_FILE as for WRITE
 * @ASYNCX_OP_SOCK_RECV: as recv(2) into the len bytes at addr, with the
 *	MSG_* flags in off (MSG_PEEK, MSG_WAITALL, MSG_TRUNC, ...), as
 *	ASYNCX_OP_SOCK_SEND sends: completes with the bytes received (0 at
 *	the peer's orderly shutdown) or recv(2)'s errno. With
 *	ASYNCX_SOCK_RECV_PBUF in op_flags it receives into a buffer taken
 *	from the provided-buffer ring whose group id is buf_index (see
 *	ASYNCX_IOC_REGISTER_PBUF_RING) only once data is there, so a
 *	waiting socket holds no buffer: addr must be 0, len is the most to
 *	receive (0: the buffer's length); the CQE carries
 *	ASYNCX_CQE_F_BUFFER and the buffer's id (ASYNCX_CQE_BUFFER_ID())
 *	when a buffer was used (res > 0). -ENOBUFS when the ring is empty
 *	or no such ring is registered, -EFAULT for a buffer outside the
 *	user address space, -EINVAL for a buffer of length 0 (the buffer
 *	stays in the ring); no MSG_WAITALL, no ASYNCX_RW_FIXED. With
 *	ASYNCX_SOCK_RECV_MULTISHOT as well, it posts a CQE with
 *	ASYNCX_CQE_F_MORE for each receive and stays armed, until the peer's
 *	shutdown (res 0), an error (-ENOBUFS when the ring runs dry), a
 *	cancel or a full CQ ends it with a last CQE without the flag; no
 *	MSG_PEEK
 * @ASYNCX_OP_ACCEPT: as accept4(2) on the listening socket fd, with the
 *	flags len (SOCK_NONBLOCK, SOCK_CLOEXEC; others -EINVAL); the peer's
 *	address is written to addr (if not 0) and its length to the int at
 *	off, as accept4(2) writes them. Completes with the new socket's
 *	descriptor, in the submitting thread's table. Waits for a connection
 *	without a thread. With ASYNCX_ACCEPT_MULTISHOT it posts one CQE per
 *	connection (ASYNCX_CQE_F_MORE) until an error, a cancel or a full CQ
 *	ends it (a last CQE without the flag). Needs the ``net_ops``
 *	parameter (else -EPERM: the LSM cannot see it)
 * @ASYNCX_OP_CONNECT: as connect(2) of the socket fd to the address at
 *	addr of len bytes (more than struct sockaddr_storage: -EINVAL; read
 *	at submission): completes with 0 once connected, or connect(2)'s
 *	errno (-ECONNREFUSED, -ETIMEDOUT, -EISCONN, ...), without holding a
 *	thread while the connection is in progress. off must be zero. Needs
 *	``net_ops`` (else -EPERM)
 * @ASYNCX_OP_SHUTDOWN: as shutdown(2) of the socket fd with how len
 *	(SHUT_RD, SHUT_WR, SHUT_RDWR): 0 or shutdown(2)'s errno. off and addr
 *	zero. Needs ``net_ops`` (else -EPERM)
 * @ASYNCX_OP_SENDMSG: as sendmsg(2) of the struct msghdr at addr on the
 *	socket fd, with the MSG_* flags in off (as SOCK_SEND's). The msghdr,
 *	its iovec array, address and control messages are read at
 *	submission (-EMSGSIZE for more than UIO_MAXIOV entries, -EINVAL for
 *	an address longer than struct sockaddr_storage, -ENOBUFS for over
 *	64 KiB of control messages). Control messages (SCM_RIGHTS,
 *	SCM_CREDENTIALS) are those of the submitting thread: with the
 *	thread gone, -ECANCELED. MSG_WAITALL is the socket's, as one
 *	sendmsg(2). Not for a 32-bit task (-EINVAL)
 * @ASYNCX_OP_RECVMSG: as recvmsg(2) into the struct msghdr at addr: the
 *	iovec array is read at submission; the sender's address, control
 *	messages (in the submitting thread: SCM_RIGHTS installs there) and
 *	msg_namelen, msg_controllen and msg_flags are written back as
 *	recvmsg(2) writes them
 * @ASYNCX_OP_LAST: number of opcodes; not an opcode
 */
enum asyncx_op {
	ASYNCX_OP_NOP,
	ASYNCX_OP_TIMEOUT,
	ASYNCX_OP_CANCEL,
	ASYNCX_OP_PROBE,
	ASYNCX_OP_POLL,
	ASYNCX_OP_READ,
	ASYNCX_OP_WRITE,
	ASYNCX_OP_GROUP,
	ASYNCX_OP_SEND,
	ASYNCX_OP_RECV,
	ASYNCX_OP_READV,
	ASYNCX_OP_WRITEV,
	ASYNCX_OP_FSYNC,
	ASYNCX_OP_FALLOCATE,
	ASYNCX_OP_OPENAT,
	ASYNCX_OP_CLOSE,
	ASYNCX_OP_STATX,
	ASYNCX_OP_SOCK_SEND,
	ASYNCX_OP_SOCK_RECV,
	ASYNCX_OP_ACCEPT,
	ASYNCX_OP_CONNECT,
	ASYNCX_OP_SHUTDOWN,
	ASYNCX_OP_SENDMSG,
	ASYNCX_OP_RECVMSG,
	ASYNCX_OP_LAST,
};

/*
 * asyncx_sqe.flags; any other bit set is -EINVAL.
 *
 * ASYNCX_SQE_LINK: the next SQE of the same submission runs after this one,
 * and only if this one succeeded; SQEs linked this way form a chain that
 * runs in order, one at a time. A failure (a negative result other than a
 * TIMEOUT's -ETIME, a READ or WRITE that moved fewer than len bytes, a
 * cancellation, a bad SQE) completes the rest of the chain with -ECANCELED.
 * The chain ends at the first SQE without the flag or at the end of the
 * submission. Every member posts exactly one CQE (multishot ops: their last
 * CQE decides), in chain order.
 */
#define ASYNCX_SQE_LINK		(1U << 0)
/*
 * fd is an index into the registered files (ASYNCX_IOC_REGISTER_FILES);
 * READ, WRITE and POLL only (others: -EINVAL)
 */
#define ASYNCX_SQE_FIXED_FILE	(1U << 1)
/*
 * ASYNCX_SQE_DEADLINE: the operation completes with -ETIME, and is
 * cancelled, if it has not completed by the deadline (see struct
 * asyncx_sqe). With ASYNCX_CF_DEADLINE_CHAIN, on the first SQE of a chain,
 * the deadline covers the whole chain: the member running then completes
 * with -ETIME, the rest with -ECANCELED. On an ASYNCX_OP_GROUP it covers
 * the group. An absolute deadline already passed completes the operation
 * at once with -ETIME, without running it; a relative deadline of 0 is
 * -EINVAL.
 */
#define ASYNCX_SQE_DEADLINE	(1U << 2)
/*
 * ASYNCX_SQE_RETRY: while the operation completes with a result that
 * retry_errs selects, run it again, up to retry_max attempts in all,
 * waiting retry_base_us before the second attempt and twice as long before
 * each next one, at most retry_cap_us (with ASYNCX_CF_RETRY_JITTER: a
 * random delay between half that and that). Only the last attempt posts a
 * CQE; its flags carry the attempts made (ASYNCX_CQE_ATTEMPTS()). A
 * deadline bounds all the attempts together.
 */
#define ASYNCX_SQE_RETRY	(1U << 3)
/* ASYNCX_SQE_GROUP: a member of the group whose id is the SQE's group */
#define ASYNCX_SQE_GROUP	(1U << 4)

/* asyncx_sqe.cflags */
#define ASYNCX_CF_DEADLINE_ABS		(1U << 0)	/* deadline is CLOCK_MONOTONIC ns */
/* on a chain's first SQE: the deadline covers the whole chain */
#define ASYNCX_CF_DEADLINE_CHAIN	(1U << 1)
#define ASYNCX_CF_RETRY_JITTER		(1U << 2)	/* randomise the backoff delays */

/* asyncx_sqe.retry_errs: the results that are retried */
#define ASYNCX_RETRY_EAGAIN	(1U << 0)
#define ASYNCX_RETRY_EINTR	(1U << 1)
#define ASYNCX_RETRY_EBUSY	(1U << 2)
#define ASYNCX_RETRY_ETIMEDOUT	(1U << 3)
#define ASYNCX_RETRY_ETIME	(1U << 4)
#define ASYNCX_RETRY_EIO	(1U << 5)
#define ASYNCX_RETRY_ENOMEM	(1U << 6)
#define ASYNCX_RETRY_ECONNREFUSED	(1U << 7)
#define ASYNCX_RETRY_ECONNRESET	(1U << 8)
#define ASYNCX_RETRY_ALL	0x1ffU
#define ASYNCX_RETRY_DEFAULT	(ASYNCX_RETRY_EAGAIN | ASYNCX_RETRY_EINTR | \
				 ASYNCX_RETRY_EBUSY | ASYNCX_RETRY_ETIMEDOUT)

/*
 * asyncx_sqe.prio. The executor's workers are shared by every user, so
 * HIGH, which goes ahead of everyone's NORMAL and LOW work, needs
 * CAP_SYS_NICE (as a negative nice value does): without it the SQE
 * completes with -EPERM.
 */
#define ASYNCX_PRIO_NORMAL	0	/* the default */
#define ASYNCX_PRIO_HIGH	1	/* needs CAP_SYS_NICE, else -EPERM */
#define ASYNCX_PRIO_LOW		2

/* op_flags of ASYNCX_OP_NOP */
#define ASYNCX_NOP_RESULT	(1U << 0)	/* complete with (__s32)len */

/* op_flags of ASYNCX_OP_TIMEOUT */
#define ASYNCX_TIMEOUT_ABS	(1U << 0)	/* absolute CLOCK_MONOTONIC time */
/*
 * Periodic: the timespec is the period (relative, at least 1 us); a CQE
 * with res -ETIME at each expiration, with ASYNCX_CQE_F_MORE on all but
 * the last; off is the number of CQEs (0: until cancelled, when the last
 * CQE is -ECANCELED). Expirations a busy system misses are skipped. It
 * ends early, with a last CQE (-ETIME, no ASYNCX_CQE_F_MORE), when a CQE
 * does not fit in the CQ: CQEs nobody reaps do not pile up.
 */
#define ASYNCX_TIMEOUT_MULTISHOT	(1U << 1)

/* op_flags of ASYNCX_OP_GROUP */
#define ASYNCX_GROUP_SELECT	(1U << 0)	/* first to complete wins */
#define ASYNCX_GROUP_MAX	4096		/* members of one group, at most */

/* op_flags of ASYNCX_OP_CANCEL */
#define ASYNCX_CANCEL_ALL	(1U << 0)	/* every operation in flight */

/* op_flags of ASYNCX_OP_FSYNC */
#define ASYNCX_FSYNC_DATASYNC	(1U << 0)	/* fdatasync(2), not fsync(2) */

/* op_flags of ASYNCX_OP_ACCEPT */
#define ASYNCX_ACCEPT_MULTISHOT	(1U << 0)	/* one CQE per connection */

/* op_flags of ASYNCX_OP_POLL */
#define ASYNCX_POLL_MULTISHOT	(1U << 0)	/* one CQE per readiness, until cancelled */

/* op_flags of ASYNCX_OP_SOCK_RECV (and ASYNCX_RW_FIXED) */
#define ASYNCX_SOCK_RECV_PBUF	(1U << 1)	/* into a provided buffer */
#define ASYNCX_SOCK_RECV_MULTISHOT (1U << 2)	/* with _PBUF: one CQE per receive */

/* asyncx_cqe.flags */
#define ASYNCX_CQE_F_MORE	(1U << 0)	/* more CQEs of this SQE will come */
#define ASYNCX_CQE_F_GROUP	(1U << 1)	/* a group's CQE (ASYNCX_OP_GROUP) */
#define ASYNCX_CQE_F_WINNER	(1U << 2)	/* the winner of a SELECT group */
#define ASYNCX_CQE_F_BUFFER	(1U << 3)	/* a provided buffer was used */
/* A CQE with ASYNCX_CQE_F_BUFFER: the id of the provided buffer it filled. */
#define ASYNCX_CQE_BUFFER_ID(flags)	((flags) >> 16)
/* An ASYNCX_SQE_RETRY operation's CQE: the attempts made (1..255). */
#define ASYNCX_CQE_ATTEMPTS(flags)	(((flags) >> 8) & 0xffU)
/* A group's CQE: JOIN, the members that succeeded; SELECT, the winner's index. */
#define ASYNCX_CQE_GROUP_COUNT(flags)	((flags) >> 16)

/* asyncx_probe_op.flags */
#define ASYNCX_PROBE_OP_SUPPORTED	(1U << 0)

/**
 * struct asyncx_probe_op - one opcode, as reported by ASYNCX_OP_PROBE
 * @op: the opcode
 * @resv: reserved, zero
 * @flags: ASYNCX_PROBE_OP_SUPPORTED if this module runs the opcode
 * @op_flags: the op_flags bits the opcode accepts
 */
struct asyncx_probe_op {
	__u8	op;
	__u8	resv;
	__u16	flags;
	__u32	op_flags;
};

/**
 * struct asyncx_probe - what ASYNCX_OP_PROBE fills in
 * @last_op: the highest opcode this module knows
 * @ops_len: entries of @ops filled in: min(len, last_op + 1)
 * @resv: reserved, must be zero
 * @resv2: reserved, must be zero
 * @ops: one entry per opcode, indexed by opcode
 */
struct asyncx_probe {
	__u8	last_op;
	__u8	ops_len;
	__u16	resv;
	__u32	resv2[3];
	struct asyncx_probe_op ops[];
};

/**
 * struct asyncx_sq_offsets - where the SQ ring's fields are in the mapping
 * at ASYNCX_OFF_SQ_RING (byte offsets, filled in by ASYNCX_IOC_SETUP)
 * @head: __u32, consumer index, written by the kernel
 * @tail: __u32, producer index, written by the application
 * @ring_mask: __u32, entries - 1
 * @ring_entries: __u32, number of SQEs
 * @flags: __u32, ASYNCX_SQ_* flags, written by the kernel
 * @dropped: __u32, completions lost because memory for the overflow list
 *	could not be allocated (the only way a completion can be lost)
 * @resv: reserved, zero
 */
struct asyncx_sq_offsets {
	__u32	head;
	__u32	tail;
	__u32	ring_mask;
	__u32	ring_entries;
	__u32	flags;
	__u32	dropped;
	__u32	resv[2];
};

/* Flags in the SQ ring's flags word. */
#define ASYNCX_SQ_CQ_OVERFLOW	(1U << 0)	/* completions wait in the overflow list */
/* ASYNCX_SETUP_SQPOLL: the SQ thread sleeps; enter with ASYNCX_ENTER_SQ_WAKEUP */
#define ASYNCX_SQ_NEED_WAKEUP	(1U << 1)

/**
 * struct asyncx_cq_offsets - where the CQ ring's fields are in the mapping
 * at ASYNCX_OFF_CQ_RING (byte offsets, filled in by ASYNCX_IOC_SETUP)
 * @head: __u32, consumer index, written by the application
 * @tail: __u32, producer index, written by the kernel
 * @ring_mask: __u32, entries - 1
 * @ring_entries: __u32, number of CQEs
 * @overflow: __u32, completions that went through the overflow list
 * @cqes: offset of the array of struct asyncx_cqe
 * @resv: reserved, zero
 */
struct asyncx_cq_offsets {
	__u32	head;
	__u32	tail;
	__u32	ring_mask;
	__u32	ring_entries;
	__u32	overflow;
	__u32	cqes;
	__u32	resv[2];
};

/**
 * struct asyncx_params - argument of ASYNCX_IOC_SETUP
 * @sq_entries: in: SQ size wanted (rounded up to a power of two, at most
 *	ASYNCX_MAX_ENTRIES); out: the size
 * @cq_entries: in: CQ size wanted if flags has ASYNCX_SETUP_CQSIZE (at
 *	least sq_entries), else ignored; out: the size (default 2 * SQ)
 * @flags: ASYNCX_SETUP_* flags (in; out: unchanged)
 * @features: out: ASYNCX_FEAT_* bits of this module
 * @sq_thread_idle: with ASYNCX_SETUP_SQPOLL: in: milliseconds the SQ
 *	thread polls with nothing to consume before it sleeps (1 to 10000;
 *	0: 1000), must be zero without it; out: the time it uses
 * @resv: reserved, must be zero
 * @sq_off: out: layout of the SQ ring mapping
 * @cq_off: out: layout of the CQ ring mapping
 */
struct asyncx_params {
	__u32	sq_entries;
	__u32	cq_entries;
	__u32	flags;
	__u32	features;
	__u32	sq_thread_idle;
	__u32	resv[3];
	struct asyncx_sq_offsets sq_off;
	struct asyncx_cq_offsets cq_off;
};

#define ASYNCX_MAX_ENTRIES	4096		/* largest SQ; CQ up to twice that */

/* asyncx_params.flags */
#define ASYNCX_SETUP_CQSIZE	(1U << 0)	/* cq_entries is given */
/*
 * SQ polling: a kernel thread of the context consumes SQEs as they are
 * published, so a busy application submits with no system call (an enter
 * then consumes nothing itself: it returns to_submit, as io_uring_enter(2)
 * does for IORING_SETUP_SQPOLL, and waits as asked). After sq_thread_idle
 * ms with nothing to consume the thread sets ASYNCX_SQ_NEED_WAKEUP and
 * sleeps; an enter with ASYNCX_ENTER_SQ_WAKEUP wakes it (the application
 * reads the flag after a full barrier that follows its store of the SQ
 * tail). The thread works as the task that set the context up (its
 * credentials, its process's address space) but has not its file table or
 * fs: its SQEs name files through the registered files only
 * (ASYNCX_SQE_FIXED_FILE; a plain fd completes with -EBADF), and OPENAT,
 * CLOSE, STATX and ACCEPT complete with -EOPNOTSUPP. A user has at most
 * the module's max_user_sq_threads such contexts (more: SETUP answers
 * -EAGAIN). When the owner's last descriptor goes the thread stops, and an
 * enter answers -EOWNERDEAD.
 */
#define ASYNCX_SETUP_SQPOLL	(1U << 1)

/* asyncx_params.features */
#define ASYNCX_FEAT_NODROP	(1U << 0)	/* full CQ spills to an overflow list */
#define ASYNCX_FEAT_LINK	(1U << 1)	/* ASYNCX_SQE_LINK chains */
/* groups, deadlines, retry policies (ASYNCX_OP_GROUP, ASYNCX_SQE_DEADLINE,
 * ASYNCX_SQE_RETRY)
 */
#define ASYNCX_FEAT_COMPOSE	(1U << 2)
#define ASYNCX_FEAT_SQPOLL	(1U << 3)	/* ASYNCX_SETUP_SQPOLL */

/*
 * mmap offsets of the three regions. Each must be mapped MAP_SHARED, at
 * offset 0 of its region, with any length up to the region's size:
 * sq_off's largest offset + 4, sq_entries * 64, and cq_off.cqes +
 * cq_entries * 16 bytes (each rounded up to a page is the most).
 */
#define ASYNCX_OFF_SQ_RING	0ULL
#define ASYNCX_OFF_CQ_RING	0x8000000ULL
#define ASYNCX_OFF_SQES		0x10000000ULL

/**
 * struct asyncx_enter - argument of ASYNCX_IOC_ENTER
 * @to_submit: SQEs to consume from the SQ head (at most the SQ's count)
 * @min_complete: with ASYNCX_ENTER_GETEVENTS, wait until at least this
 *	many CQEs are in the CQ
 * @flags: ASYNCX_ENTER_* flags
 * @resv0: reserved, must be zero
 * @timeout_ns: with ASYNCX_ENTER_GETEVENTS, the longest wait in ns; 0
 *	waits without limit
 * @resv: reserved, must be zero
 *
 * Each enter first moves completions waiting in the overflow list into
 * the CQ, as far as there is room. It then consumes min(to_submit, SQEs
 * published and not yet consumed) SQEs; an invalid SQE is consumed too and
 * completes with a negative errno in its CQE, never failing the batch.
 * Each SQE (and any user memory it points to, such as a TIMEOUT's
 * timespec) is read once, when it is consumed. With GETEVENTS it then
 * waits until min_complete (at most the CQ size) CQEs are in the CQ,
 * moving overflowed ones in as room appears; a wait for nothing is done by
 * leaving GETEVENTS out.
 *
 * The ioctl returns the number of SQEs consumed if that is not zero, else
 * 0 or a negative errno: -EBUSY when to_submit > 0 while completions still
 * wait in the overflow list, -ETIME when the wait timed out, -EINTR when a
 * signal arrived (task work alone, such as io_uring queues and asyncx's
 * own tries in the submitter, restarts the wait instead: it is never
 * seen; before such a restart the kernel writes the time left into
 * timeout_ns, as select(2) does, so a restarted wait ends when the first
 * would have), -EBADFD before ASYNCX_IOC_SETUP.
 */
struct asyncx_enter {
	__u32	to_submit;
	__u32	min_complete;
	__u32	flags;
	__u32	resv0;
	__u64	timeout_ns;
	__u64	resv[2];
};

/* asyncx_enter.flags */
#define ASYNCX_ENTER_GETEVENTS	(1U << 0)	/* wait for min_complete CQEs */
/* ASYNCX_SETUP_SQPOLL contexts only (else -EINVAL): wake the SQ thread */
#define ASYNCX_ENTER_SQ_WAKEUP	(1U << 1)

#define ASYNCX_IOC_MAGIC	0xAE
/*
 * A context belongs to the process that opened it (any of its threads):
 * every ioctl and mmap of the rings from another process (a fork child, or
 * one the fd was passed to) answers -EPERM; such a process may only poll,
 * read the fdinfo and close. The rings are not inherited across fork.
 * When the owner exits (or execs with the descriptor close-on-exec), what
 * it has in flight is cancelled and its registered buffers, files and
 * channels are dropped, whoever else still holds the file.
 * SETUP checks the module's access rules again (disabled: -EPERM, group:
 * -EACCES), as open does.
 */
/* Set up the rings of a new context; once per open file. */
#define ASYNCX_IOC_SETUP	_IOWR(ASYNCX_IOC_MAGIC, 0x00, struct asyncx_params)
/* Submit and/or wait; returns the number of SQEs consumed. */
#define ASYNCX_IOC_ENTER	_IOW(ASYNCX_IOC_MAGIC, 0x01, struct asyncx_enter)
/* Signal the eventfd whose fd is the __s32 argument on every CQE; -EBUSY
 * if one is registered already.
 */
#define ASYNCX_IOC_REGISTER_EVENTFD	_IOW(ASYNCX_IOC_MAGIC, 0x02, __s32)
/* Stop signalling it; -ENXIO if none is registered. */
#define ASYNCX_IOC_UNREGISTER_EVENTFD	_IO(ASYNCX_IOC_MAGIC, 0x03)

/*
 * Registered buffers and files (rsrc.c): ioctl numbers 0x04 to 0x07,
 * ASYNCX_RW_FIXED (op_flags of READ and WRITE, bit 0).
 *
 * Buffers registered once are pinned once: a READ or WRITE with
 * ASYNCX_RW_FIXED names one by the SQE's buf_index, and its addr and len
 * must lie inside it; the I/O then goes straight to the pinned pages. Files
 * registered once are looked up by index: an SQE with ASYNCX_SQE_FIXED_FILE
 * (READ, WRITE, POLL) has in fd an index into the registered files.
 */

/* op_flags of ASYNCX_OP_READ and ASYNCX_OP_WRITE */
#define ASYNCX_RW_FIXED		(1U << 0)	/* addr, len in buffer buf_index */

#define ASYNCX_RSRC_MAX_BUFFERS	1024		/* buffers registered at once */
#define ASYNCX_RSRC_MAX_BUF_LEN	(1U << 30)	/* bytes of one buffer */
/* files registered at once (and at most RLIMIT_NOFILE) */
#define ASYNCX_RSRC_MAX_FILES	65536

/**
 * struct asyncx_rsrc_register - argument of ASYNCX_IOC_REGISTER_BUFFERS
 *	and ASYNCX_IOC_REGISTER_FILES
 * @addr: user address of the array to register: nr struct iovec (buffers;
 *	struct compat_iovec for a 32-bit process) or nr __s32 file
 *	descriptors (files; -1 leaves a slot empty)
 * @nr: entries in the array: 1..ASYNCX_RSRC_MAX_BUFFERS buffers,
 *	1..ASYNCX_RSRC_MAX_FILES files
 * @flags: reserved, must be zero
 * @resv: reserved, must be zero
 */
struct asyncx_rsrc_register {
	__u64	addr;
	__u32	nr;
	__u32	flags;
	__u64	resv[2];
};

/*
 * Register buffers: pin the pages of each iovec (1..ASYNCX_RSRC_MAX_BUF_LEN
 * bytes, private anonymous or shmem memory) for as long as they stay
 * registered. The pages are charged to the user's RLIMIT_MEMLOCK (unless
 * CAP_IPC_LOCK) and to the process's pinned memory (VmPin), as io_uring
 * does. -EBUSY if buffers are registered already, -EINVAL for a bad count,
 * flags or iovec length, -EFAULT for an unreadable array or memory that
 * cannot be pinned, -EOPNOTSUPP for memory that is neither anonymous nor
 * shmem (a mapping of a regular file), -ENOMEM over RLIMIT_MEMLOCK. Needs
 * the rings (-EBADFD before ASYNCX_IOC_SETUP) and the owning process
 * (-EPERM).
 */
#define ASYNCX_IOC_REGISTER_BUFFERS	_IOW(ASYNCX_IOC_MAGIC, 0x04, \
					     struct asyncx_rsrc_register)
/*
 * Unregister the buffers: new fixed READs and WRITEs fail with -ENXIO at
 * once; the ioctl then waits until those in flight have completed (a fatal
 * signal ends the wait with -EINTR: the buffers are unregistered all the
 * same, and unpinned when the last user is done), unpins the pages and
 * releases the charge. -ENXIO if none are registered.
 */
#define ASYNCX_IOC_UNREGISTER_BUFFERS	_IO(ASYNCX_IOC_MAGIC, 0x05)
/*
 * Register files: take a reference to the file of each descriptor (the
 * application may close its descriptor afterwards). -EBUSY if files are
 * registered already, -EINVAL for a bad count or flags, -EMFILE for more
 * than RLIMIT_NOFILE, -EFAULT for an unreadable array, -EBADF for a bad
 * descriptor or an asyncx context.
 */
#define ASYNCX_IOC_REGISTER_FILES	_IOW(ASYNCX_IOC_MAGIC, 0x06, \
					     struct asyncx_rsrc_register)
/*
 * Unregister the files and drop their references. Does not wait: each
 * request in flight took its own reference at submission. -ENXIO if none
 * are registered.
 */
#define ASYNCX_IOC_UNREGISTER_FILES	_IO(ASYNCX_IOC_MAGIC, 0x07)

/*
 * Channels (kmod/ring/rchan.c): ioctl numbers 0x08 to 0x0b, ASYNCX_OP_SEND
 * (8) and ASYNCX_OP_RECV (9).
 *
 * A channel is a bounded FIFO queue of messages that lives on a context:
 * the threads of the process that owns the context pass messages through
 * it with SEND and RECV SQEs, without any other syscall (see
 * Documentation/ring-channels.rst, "Channels on a context").
 */

/**
 * struct asyncx_chan_params - argument of ASYNCX_IOC_CHAN_CREATE
 * @capacity: in: messages the channel holds at most
 *	(1..ASYNCX_CHAN_MAX_CAPACITY); a SEND to a full channel waits
 * @msg_size: in: bytes of one message at most (1..ASYNCX_CHAN_MAX_MSG)
 * @flags: in: must be zero (no flags are defined yet)
 * @id: out: the channel's id, the fd of SEND and RECV SQEs (>= 1; ids
 *	are not reused soon after a destroy)
 * @resv: reserved, must be zero
 */
struct asyncx_chan_params {
	__u32	capacity;
	__u32	msg_size;
	__u32	flags;
	__u32	id;
	__u64	resv[2];
};

#define ASYNCX_CHAN_MAX_CAPACITY	65536	/* messages of one channel */
#define ASYNCX_CHAN_MAX_MSG		4096	/* bytes of one message */
#define ASYNCX_CHAN_MAX		1024	/* channels of one context */
#define ASYNCX_CHAN_MAX_SLOTS	65536	/* slots of a multishot RECV */

/* op_flags of ASYNCX_OP_RECV */
#define ASYNCX_RECV_MULTISHOT	(1U << 0)	/* a stream into len / msg_size slots */

/* A multishot RECV's CQE with ASYNCX_CQE_F_MORE: the slot it filled. */
#define ASYNCX_CQE_SLOT(flags)	((flags) >> 16)

/*
 * Create a channel on the context (after ASYNCX_IOC_SETUP: else -EBADFD;
 * only from the process that set it up: else -EPERM); returns 0 and its
 * id in the struct. -EINVAL for a bad capacity, msg_size, flags or
 * reserved field, -ENOSPC when the context has ASYNCX_CHAN_MAX channels.
 */
#define ASYNCX_IOC_CHAN_CREATE	_IOWR(ASYNCX_IOC_MAGIC, 0x08, struct asyncx_chan_params)
/*
 * Destroy the channel whose id is the __u32 argument: waiting SENDs and
 * RECVs complete with -EPIPE, later SQEs naming the id get -ENOENT. The
 * messages still queued are discarded: the ioctl returns their number
 * (>= 0), or -ENOENT for an unknown id. Closing the context destroys its
 * channels.
 */
#define ASYNCX_IOC_CHAN_DESTROY	_IOW(ASYNCX_IOC_MAGIC, 0x09, __u32)

/*
 * Provided-buffer rings (kmod/ring/pbuf.c): ioctl numbers 0x0c and 0x0d,
 * ASYNCX_SOCK_RECV_PBUF.
 *
 * A provided-buffer ring is an array of struct asyncx_pbuf in the
 * application's memory, which the application fills with buffers and the
 * kernel takes them from, one per receive, in ring order. The application
 * owns the tail: the __u16 at byte 14 of the ring (entry 0's resv, which
 * is thus never a buffer's field), a free-running count of the entries
 * it has published, stored with release semantics after the entries. The
 * kernel keeps the head to itself; a CQE names the buffer it used, which
 * then belongs to the application again until it publishes it anew. The
 * kernel reads the ring and the buffers through the application's own
 * address space, at each receive; nothing is pinned.
 */

/**
 * struct asyncx_pbuf - one entry of a provided-buffer ring (16 bytes)
 * @addr: user address of the buffer
 * @len: its length in bytes (0: -EINVAL at its use)
 * @bid: its id, given back in the CQE (ASYNCX_CQE_BUFFER_ID())
 * @resv: in entry 0, the ring's tail; in the others, unused
 */
struct asyncx_pbuf {
	__u64	addr;
	__u32	len;
	__u16	bid;
	__u16	resv;
};

/**
 * struct asyncx_pbuf_reg - argument of ASYNCX_IOC_REGISTER_PBUF_RING and
 *	ASYNCX_IOC_UNREGISTER_PBUF_RING
 * @ring_addr: register: user address of the ring, page aligned; unregister:
 *	zero
 * @ring_entries: register: entries of the ring, a power of two,
 *	1..ASYNCX_PBUF_MAX_ENTRIES; unregister: zero
 * @bgid: the ring's group id, named by an SQE's buf_index
 * @flags: reserved, must be zero
 * @resv: reserved, must be zero
 */
struct asyncx_pbuf_reg {
	__u64	ring_addr;
	__u32	ring_entries;
	__u16	bgid;
	__u16	flags;
	__u64	resv[3];
};

#define ASYNCX_PBUF_MAX_ENTRIES	32768		/* entries of one ring */
#define ASYNCX_PBUF_MAX_RINGS	1024		/* rings of one context */

/*
 * Register a provided-buffer ring under the group id bgid. -EINVAL for a
 * bad address, count, flags or reserved field, -EFAULT for a ring outside
 * the user address space, -EEXIST if the group has a ring, -ENOSPC when
 * the context has ASYNCX_PBUF_MAX_RINGS, -EBADFD before ASYNCX_IOC_SETUP,
 * -EPERM from another process than the owner.
 */
#define ASYNCX_IOC_REGISTER_PBUF_RING	_IOW(ASYNCX_IOC_MAGIC, 0x0c, \
					     struct asyncx_pbuf_reg)
/*
 * Unregister the ring of the group bgid: every later receive that would
 * take one of its buffers gets -ENOBUFS, the ones in flight included (a
 * receive that has its buffer completes with it). -ENOENT if the group
 * has no ring, -EINVAL for a nonzero other field.
 */
#define ASYNCX_IOC_UNREGISTER_PBUF_RING	_IOW(ASYNCX_IOC_MAGIC, 0x0d, \
					     struct asyncx_pbuf_reg)

#endif /* _UAPI_LINUX_ASYNCX_H */
