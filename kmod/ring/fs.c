// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: the file-system ops — ASYNCX_OP_FSYNC, _FALLOCATE, _OPENAT,
 * _CLOSE and _STATX.
 */

/**
 * DOC: file-system ops
 *
 * Each of these may sleep in the file system (a journal commit, an NFS
 * round trip, a FUSE daemon), so its work runs on an I/O worker of the
 * context (iowq.c) under the submitter's credentials, and the request
 * waits for it holding no other thread. Two parts run in the submitting
 * thread itself, from its task work (axq_io_work_queue_task()), since
 * they act on that thread's file table, which no other thread can reach:
 * OPENAT's installing of the new file in a free descriptor, and CLOSE's
 * taking of the descriptor out of the table (at submission, when not in a
 * chain, with no task work at all). CLOSE then calls the file's ->flush()
 * (the part of close(2) that may sleep) on an I/O worker if it has one,
 * else finishes in the submitter.
 *
 * Path names (OPENAT, STATX) are resolved as openat(2) and statx(2) do:
 * from the submitter's root, and from the directory of dirfd or the
 * submitter's working directory (both taken at submission, as is its
 * umask). An I/O worker has an fs_struct of its own, which the op points
 * at those for the step and then back. A descriptor that names no
 * directory is -ENOTDIR for a relative name, and ignored for an absolute
 * one, as the system calls do.
 *
 * A name whose meaning depends on who opens it runs in the submitting
 * thread instead, from its task work: "/proc/self", "/proc/thread-self"
 * and what leads there (/dev/stdin, /dev/fd/N, /etc/mtab) would name the
 * worker. So an absolute name under /proc or /dev, a name relative to a
 * working directory in procfs, and any absolute or working-directory name
 * that a worker found to end in procfs (followed symlinks) are resolved in
 * the submitter, where such an open may sleep as open(2) would. A name
 * relative to a dirfd stays on the worker: the directory is already the
 * one the submitter opened.
 *
 * When the submitting thread exits before OPENAT has installed its file,
 * the open completes with -ECANCELED and the file is closed: the
 * descriptor table belongs to that thread. A request cancelled while its
 * step runs on a worker is not waited for: the step finishes and releases
 * what it used (an opened file is closed).
 */
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/falloc.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/fsnotify.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "dev.h"
#include "iowq.h"
#include "opdef.h"
#include "rsrc.h"

/* The state of the file-system ops. */
struct axq_fs_cmd {
	struct axq_io_work	io;		/* the step: worker or submitter */
	const struct cred	*cred;		/* the submitter's */
	struct file		*file;		/* a reference, or NULL */
	struct task_struct	*submitter;	/* OPENAT, CLOSE: a reference */
	struct mm_struct	*mm;		/* the submitter's: mmgrab()bed */
	char			*name;		/* OPENAT, STATX: kmalloc()ed */
	struct path		root;		/* @paths: the submitter's root */
	struct path		pwd;		/* @paths: where names start */
	struct statx __user	*ubuf;		/* STATX */
	fl_owner_t		owner;		/* CLOSE: the submitter's table */
	loff_t			off;
	loff_t			len;
	u32			flags;		/* open, AT_* or fsync flags */
	u32			mode;		/* open or fallocate mode, mask */
	int			fd;		/* CLOSE */
	int			umask;		/* @paths */
	bool			paths;		/* @root and @pwd are held */
	/* The name resolves the same in the submitter (see DOC)... */
	bool			here_ok;
	bool			here;		/* ...and so it is resolved there */
	u8			stage;
};

/* How far a request got (axq_fs_cmd.stage). */
enum {
	AXQ_FS_START,		/* nothing queued yet */
	AXQ_FS_STEP,		/* the step is queued or running */
	AXQ_FS_INSTALL,		/* OPENAT: installing, in the submitter */
	AXQ_FS_FLUSH,		/* CLOSE: the ->flush() on a worker */
	AXQ_FS_HERE,		/* OPENAT, STATX: all of it in the submitter */
};

/* A step's result: do it all again in the submitter (see DOC). */
#define AXQ_FS_REDO_HERE	1

/* Release what prep and the steps took. */
static void axq_fs_release(struct axq_fs_cmd *fc)
{
	if (fc->file)
		fput(fc->file);
	if (fc->submitter)
		put_task_struct(fc->submitter);
	if (fc->mm)
		mmdrop(fc->mm);
	if (fc->paths) {
		path_put(&fc->root);
		path_put(&fc->pwd);
	}
	kfree(fc->name);
	put_cred(fc->cred);
}

/* Fields every op's prep sets first, so that a failed prep can release. */
static void axq_fs_init(struct axq_fs_cmd *fc, long (*fn)(struct axq_io_work *w))
{
	memset(fc, 0, sizeof(*fc));
	axq_io_work_init(&fc->io, fn);
	fc->cred = get_current_cred();
	fc->stage = AXQ_FS_START;
}

/*
 * A path name from the user: -EFAULT, -ENAMETOOLONG (PATH_MAX with its
 * NUL, as getname()), else 0 with fc->name set.
 */
static int axq_fs_getname(struct axq_fs_cmd *fc, u64 uaddr)
{
	const char __user *p = u64_to_user_ptr(uaddr);
	long n = strnlen_user(p, PATH_MAX);

	if (!n)
		return -EFAULT;
	if (n > PATH_MAX)
		return -ENAMETOOLONG;
	fc->name = memdup_user(p, n);
	if (IS_ERR(fc->name)) {
		long err = PTR_ERR(fc->name);

		fc->name = NULL;
		return err;
	}
	/* (The user may have changed it since strnlen_user().) */
	fc->name[n - 1] = '\0';
	return 0;
}

/*
 * Where fc->name starts, taken in the submitter (see DOC): its root, and
 * dirfd's directory or its working directory, and its umask.
 */
static int axq_fs_where(struct axq_fs_cmd *fc, int dirfd, bool empty_ok)
{
	bool relative = fc->name[0] != '/';
	struct file *dir;

	/* As getname(): an empty name is -ENOENT unless AT_EMPTY_PATH. */
	if (!fc->name[0] && !empty_ok)
		return -ENOENT;
	get_fs_root(current->fs, &fc->root);
	if (!relative || dirfd == AT_FDCWD) {
		get_fs_pwd(current->fs, &fc->pwd);
	} else {
		dir = fget_raw(dirfd);
		if (!dir) {
			path_put(&fc->root);
			return -EBADF;
		}
		fc->pwd = dir->f_path;
		path_get(&fc->pwd);
		fput(dir);
		if (fc->name[0] && !d_can_lookup(fc->pwd.dentry)) {
			path_put(&fc->root);
			path_put(&fc->pwd);
			return -ENOTDIR;
		}
	}
	fc->umask = current_umask();
	fc->paths = true;
	fc->here_ok = !relative || dirfd == AT_FDCWD;
	fc->here = fc->here_ok &&
		   (!strncmp(fc->name, "/proc/", 6) ||
		    !strncmp(fc->name, "/dev/", 5) ||
		    (relative && fc->pwd.mnt->mnt_sb->s_magic == PROC_SUPER_MAGIC));
	return 0;
}

/* Did a worker's walk of a name end in procfs, where "self" is its own? */
static bool axq_fs_redo_here(const struct axq_fs_cmd *fc,
			     const struct path *end)
{
	return fc->here_ok && end->mnt->mnt_sb->s_magic == PROC_SUPER_MAGIC;
}

/* The worker's fs, as it was before axq_fs_enter(). */
struct axq_fs_saved {
	struct path	root;
	struct path	pwd;
	int		umask;
};

/*
 * Point the worker's own fs_struct at the submitter's root and start
 * directory, lending it fc's references until axq_fs_leave().
 */
static int axq_fs_enter(struct axq_fs_cmd *fc, struct axq_fs_saved *saved)
{
	struct fs_struct *fs = current->fs;

	/* Shared (init's: the worker could not get one of its own). */
	if (!(current->flags & PF_KTHREAD) || READ_ONCE(fs->users) != 1)
		return -ENOMEM;
	spin_lock(&fs->lock);
	write_seqcount_begin(&fs->seq);
	saved->root = fs->root;
	saved->pwd = fs->pwd;
	saved->umask = fs->umask;
	fs->root = fc->root;
	fs->pwd = fc->pwd;
	fs->umask = fc->umask;
	write_seqcount_end(&fs->seq);
	spin_unlock(&fs->lock);
	return 0;
}

static void axq_fs_leave(struct axq_fs_saved *saved)
{
	struct fs_struct *fs = current->fs;

	spin_lock(&fs->lock);
	write_seqcount_begin(&fs->seq);
	fs->root = saved->root;
	fs->pwd = saved->pwd;
	fs->umask = saved->umask;
	write_seqcount_end(&fs->seq);
	spin_unlock(&fs->lock);
}

/**
 * axq_fs_poll() - the future of the file-system ops
 * @req: the request
 * @cx: the poll context
 * @res: the CQE's result when ready
 *
 * Queues the op's step (on an I/O worker, or for CLOSE in a chain in the
 * submitter) and waits for it; for OPENAT then the install, and for CLOSE
 * the ->flush() (see DOC).
 *
 * Context: an executor worker.
 * Return: AXQ_READY when done, else AXQ_PENDING.
 */
static enum axq_poll axq_fs_poll(struct axq_req *req, struct axq_context *cx,
				 int *res);

/* ------------------------------------------------------------ FSYNC */

static long axq_fsync_step(struct axq_io_work *w)
{
	struct axq_fs_cmd *fc = container_of(w, struct axq_fs_cmd, io);
	const struct cred *old = override_creds(fc->cred);
	loff_t end = LLONG_MAX;
	int ret;

	if (fc->len && fc->len - 1 <= LLONG_MAX - fc->off)
		end = fc->off + fc->len - 1;
	ret = vfs_fsync_range(fc->file, fc->off, end,
			      fc->flags & ASYNCX_FSYNC_DATASYNC);
	revert_creds(old);
	return ret;
}

/**
 * axq_fsync_prep() - validate an FSYNC and take its file
 * @req: the request
 * @sqe: the SQE
 *
 * Context: submission.
 * Return: 0, -EINVAL for len set or a negative off or length, -EBADF.
 */
static int axq_fsync_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);
	struct file *file;

	if (sqe->len || (s64)sqe->off < 0 || (s64)sqe->addr < 0)
		return -EINVAL;
	file = axq_rsrc_fget(req->ctx, sqe);
	if (IS_ERR(file))
		return PTR_ERR(file);
	axq_fs_init(fc, axq_fsync_step);
	fc->file = file;
	fc->off = sqe->off;
	fc->len = sqe->addr;
	fc->flags = sqe->op_flags;
	return 0;
}

/* ------------------------------------------------------------ FALLOCATE */

static long axq_fallocate_step(struct axq_io_work *w)
{
	struct axq_fs_cmd *fc = container_of(w, struct axq_fs_cmd, io);
	const struct cred *old = override_creds(fc->cred);
	int ret;

	ret = vfs_fallocate(fc->file, fc->mode, fc->off, fc->len);
	revert_creds(old);
	return ret;
}

/**
 * axq_fallocate_prep() - validate a FALLOCATE and take its file
 * @req: the request
 * @sqe: the SQE
 *
 * The mode and the range are checked by vfs_fallocate(), as fallocate(2)
 * checks them, and their errors are the CQE's.
 *
 * Context: submission.
 * Return: 0, -EBADF.
 */
static int axq_fallocate_prep(struct axq_req *req,
			      const struct asyncx_sqe *sqe)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);
	struct file *file;

	file = axq_rsrc_fget(req->ctx, sqe);
	if (IS_ERR(file))
		return PTR_ERR(file);
	axq_fs_init(fc, axq_fallocate_step);
	fc->file = file;
	fc->off = (loff_t)sqe->off;
	fc->len = (loff_t)sqe->addr;
	fc->mode = sqe->len;
	return 0;
}

/* ------------------------------------------------------------ OPENAT */

static long axq_openat_step(struct axq_io_work *w)
{
	struct axq_fs_cmd *fc = container_of(w, struct axq_fs_cmd, io);
	int flags = fc->flags;
	struct axq_fs_saved saved;
	const struct cred *old;
	struct file *file;
	int ret;

	ret = axq_fs_enter(fc, &saved);
	if (ret)
		return ret;
	if (force_o_largefile())
		flags |= O_LARGEFILE;
	old = override_creds(fc->cred);
	file = filp_open(fc->name, flags, fc->mode);
	revert_creds(old);
	axq_fs_leave(&saved);
	if (IS_ERR(file))
		return PTR_ERR(file);
	if (axq_fs_redo_here(fc, &file->f_path)) {
		fput(file);
		return AXQ_FS_REDO_HERE;
	}
	fsnotify_open(file);
	fc->file = file;
	return 0;
}

/* In the submitter: the opened file into a free descriptor of its table. */
static long axq_openat_install(struct axq_io_work *w)
{
	struct axq_fs_cmd *fc = container_of(w, struct axq_fs_cmd, io);
	int fd;

	/*
	 * Exiting: its table may be gone; exec'd: the table is another
	 * program's (the file is closed on release).
	 */
	if (current->flags & PF_EXITING || current->mm != fc->mm)
		return -ECANCELED;
	if (!fc->file) {
		/* The open itself, here (see DOC). */
		int flags = fc->flags | (force_o_largefile() ? O_LARGEFILE : 0);
		const struct cred *old = override_creds(fc->cred);
		struct file *file = filp_open(fc->name, flags, fc->mode);

		revert_creds(old);
		if (IS_ERR(file))
			return PTR_ERR(file);
		fsnotify_open(file);
		fc->file = file;
	}
	fd = get_unused_fd_flags(fc->flags);
	if (fd < 0)
		return fd;
	fd_install(fd, fc->file);
	fc->file = NULL;
	return fd;
}

/**
 * axq_openat_prep() - validate an OPENAT and take its name and where it
 *	starts
 * @req: the request
 * @sqe: the SQE
 *
 * Context: submission, in the submitter.
 * Return: 0, -EINVAL for off set or ASYNCX_SQE_FIXED_FILE, -EFAULT for a
 * bad name pointer, -ENAMETOOLONG, -EBADF for a bad dirfd with a relative
 * name, -ENOTDIR for a dirfd that is no directory, -ENOMEM.
 */
static int axq_openat_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);
	int ret;

	if (sqe->off || sqe->flags & ASYNCX_SQE_FIXED_FILE)
		return -EINVAL;
	axq_fs_init(fc, axq_openat_step);
	fc->flags = sqe->op_flags;
	/* As open(2): a mode only with O_CREAT or O_TMPFILE, else ignored. */
	fc->mode = sqe->len & S_IALLUGO;
	ret = axq_fs_getname(fc, sqe->addr);
	if (!ret)
		ret = axq_fs_where(fc, sqe->fd, false);
	if (!ret) {
		fc->submitter = current;
		get_task_struct(current);
		fc->mm = current->mm;
		mmgrab(fc->mm);
		return 0;
	}
	axq_fs_release(fc);
	return ret;
}

/* ------------------------------------------------------------ CLOSE */

/*
 * In the submitter: take the descriptor out of its table; close the file
 * here unless its ->flush() may sleep (then fc->file is left for the
 * worker). 0, 1 (flush on a worker) or a negative errno.
 */
static int axq_close_take(struct axq_fs_cmd *fc)
{
	struct file *file;

	/* Peek first: a context is not closed from its own ring. */
	file = fget_raw(fc->fd);
	if (!file)
		return -EBADF;
	if (axq_is_ctx_file(file)) {
		fput(file);
		return -EBADF;
	}
	fput(file);
	file = axq_file_close_fd(fc->fd);
	if (!file)
		return -EBADF;
	if (file->f_op->flush) {
		fc->file = file;
		return 1;
	}
	return filp_close(file, fc->owner);
}

static long axq_close_step(struct axq_io_work *w)
{
	struct axq_fs_cmd *fc = container_of(w, struct axq_fs_cmd, io);

	if (current->flags & PF_EXITING || current->mm != fc->mm)
		return -ECANCELED;
	return axq_close_take(fc);
}

/* On an I/O worker: the rest of close(2), with the ->flush(). */
static long axq_close_flush(struct axq_io_work *w)
{
	struct axq_fs_cmd *fc = container_of(w, struct axq_fs_cmd, io);
	const struct cred *old = override_creds(fc->cred);
	struct file *file = fc->file;
	int ret;

	fc->file = NULL;
	ret = filp_close(file, fc->owner);
	revert_creds(old);
	return ret;
}

/**
 * axq_close_prep() - validate a CLOSE
 * @req: the request
 * @sqe: the SQE
 *
 * Context: submission, in the submitter.
 * Return: 0, -EINVAL for fields set or ASYNCX_SQE_FIXED_FILE.
 */
static int axq_close_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);

	if (sqe->off || sqe->addr || sqe->len ||
	    sqe->flags & ASYNCX_SQE_FIXED_FILE)
		return -EINVAL;
	axq_fs_init(fc, axq_close_step);
	fc->fd = sqe->fd;
	fc->owner = current->files;
	fc->submitter = current;
	get_task_struct(current);
	fc->mm = current->mm;
	mmgrab(fc->mm);
	return 0;
}

/**
 * axq_close_try_inline() - close at submission, in the submitter
 * @req: the request
 * @res: 0 or a negative errno, when done
 *
 * Context: submission, in the submitter.
 * Return: true when closed (or failed); false when the file's ->flush()
 * is left to a worker.
 */
static bool axq_close_try_inline(struct axq_req *req, int *res)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);
	int ret = axq_close_take(fc);

	if (ret == 1)
		return false;
	*res = ret;
	return true;
}

/* ------------------------------------------------------------ STATX */

/* What statx(2) accepts in flags. */
#define AXQ_STATX_FLAGS	(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | \
			 AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)

static void axq_statx_time(struct statx_timestamp *t,
			   const struct timespec64 *ts)
{
	t->tv_sec = ts->tv_sec;
	t->tv_nsec = ts->tv_nsec;
}

/* struct kstat to struct statx, as statx(2) gives it. */
static void axq_statx_fill(struct statx *tmp, const struct kstat *st)
{
	memset(tmp, 0, sizeof(*tmp));
	tmp->stx_mask = st->result_mask;
	tmp->stx_blksize = st->blksize;
	tmp->stx_attributes = st->attributes;
	tmp->stx_nlink = st->nlink;
	tmp->stx_uid = from_kuid_munged(current_user_ns(), st->uid);
	tmp->stx_gid = from_kgid_munged(current_user_ns(), st->gid);
	tmp->stx_mode = st->mode;
	tmp->stx_ino = st->ino;
	tmp->stx_size = st->size;
	tmp->stx_blocks = st->blocks;
	tmp->stx_attributes_mask = st->attributes_mask;
	axq_statx_time(&tmp->stx_atime, &st->atime);
	axq_statx_time(&tmp->stx_btime, &st->btime);
	axq_statx_time(&tmp->stx_ctime, &st->ctime);
	axq_statx_time(&tmp->stx_mtime, &st->mtime);
	tmp->stx_rdev_major = MAJOR(st->rdev);
	tmp->stx_rdev_minor = MINOR(st->rdev);
	tmp->stx_dev_major = MAJOR(st->dev);
	tmp->stx_dev_minor = MINOR(st->dev);
	tmp->stx_dio_mem_align = st->dio_mem_align;
	tmp->stx_dio_offset_align = st->dio_offset_align;
#ifdef STATX_SUBVOL
	tmp->stx_subvol = st->subvol;
#endif
#ifdef STATX_WRITE_ATOMIC
	tmp->stx_atomic_write_unit_min = st->atomic_write_unit_min;
	tmp->stx_atomic_write_unit_max = st->atomic_write_unit_max;
	tmp->stx_atomic_write_segments_max = st->atomic_write_segments_max;
#endif
}

/*
 * The statx: on a worker (@here false: the name from the submitter's
 * directories, lent to the worker's fs) or in the submitter itself.
 */
static long axq_statx_do(struct axq_fs_cmd *fc, bool here)
{
	unsigned int lookup = 0;
	struct axq_fs_saved saved;
	const struct cred *old;
	struct statx tmp;
	struct kstat st;
	struct path path;
	int ret;

	if (!(fc->flags & AT_SYMLINK_NOFOLLOW))
		lookup |= LOOKUP_FOLLOW;
	if (!(fc->flags & AT_NO_AUTOMOUNT))
		lookup |= LOOKUP_AUTOMOUNT;
	old = override_creds(fc->cred);
	if (!fc->name[0] && fc->flags & AT_EMPTY_PATH) {
		/* The directory of dirfd (or the working one) itself. */
		path = fc->pwd;
		path_get(&path);
		ret = 0;
	} else if (here) {
		ret = kern_path(fc->name, lookup, &path);
	} else {
		ret = axq_fs_enter(fc, &saved);
		if (!ret) {
			ret = kern_path(fc->name, lookup, &path);
			axq_fs_leave(&saved);
		}
		if (!ret && fc->name[0] && axq_fs_redo_here(fc, &path)) {
			path_put(&path);
			ret = AXQ_FS_REDO_HERE;
		}
	}
	if (!ret) {
		memset(&st, 0, sizeof(st));
		ret = vfs_getattr(&path, &st, fc->mode,
				  fc->flags & AT_STATX_SYNC_TYPE);
		if (path.mnt->mnt_root == path.dentry)
			st.attributes |= STATX_ATTR_MOUNT_ROOT;
		st.attributes_mask |= STATX_ATTR_MOUNT_ROOT;
		path_put(&path);
	}
	revert_creds(old);
	if (ret)
		return ret;
	/* The mount id is the VFS's own to give (vfs_statx() only). */
	st.result_mask &= ~STATX_MNT_ID;
#ifdef STATX_MNT_ID_UNIQUE
	st.result_mask &= ~STATX_MNT_ID_UNIQUE;
#endif
#ifdef STATX_CHANGE_COOKIE
	st.result_mask &= ~STATX_CHANGE_COOKIE;
#endif
	axq_statx_fill(&tmp, &st);
	if (here)
		return copy_to_user(fc->ubuf, &tmp, sizeof(tmp)) ? -EFAULT : 0;
	if (!mmget_not_zero(fc->mm))
		return -EFAULT;
	kthread_use_mm(fc->mm);
	ret = copy_to_user(fc->ubuf, &tmp, sizeof(tmp)) ? -EFAULT : 0;
	kthread_unuse_mm(fc->mm);
	mmput(fc->mm);
	return ret;
}

static long axq_statx_step(struct axq_io_work *w)
{
	return axq_statx_do(container_of(w, struct axq_fs_cmd, io), false);
}

/* STATX in the submitter (see DOC). */
static long axq_statx_here(struct axq_io_work *w)
{
	struct axq_fs_cmd *fc = container_of(w, struct axq_fs_cmd, io);

	/* Exiting, or another mm since an exec: not the buffer's. */
	if (current->flags & PF_EXITING || current->mm != fc->mm)
		return -ECANCELED;
	return axq_statx_do(fc, true);
}

/**
 * axq_statx_prep() - validate a STATX and take its name and where it
 *	starts
 * @req: the request
 * @sqe: the SQE: fd the dirfd, addr the name, len the mask, op_flags the
 *	AT_* flags, off the struct statx to fill
 *
 * Context: submission, in the submitter.
 * Return: 0, -EINVAL for bad flags or mask or ASYNCX_SQE_FIXED_FILE,
 * -EFAULT for a bad name or buffer pointer, -ENAMETOOLONG, -EBADF for a
 * bad dirfd with a relative or empty name, -ENOTDIR, -ENOMEM.
 */
static int axq_statx_prep(struct axq_req *req, const struct asyncx_sqe *sqe)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);
	int ret;

	if (sqe->flags & ASYNCX_SQE_FIXED_FILE ||
	    sqe->op_flags & ~AXQ_STATX_FLAGS ||
	    (sqe->op_flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE ||
	    sqe->len & STATX__RESERVED)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(sqe->off), sizeof(struct statx)))
		return -EFAULT;
	axq_fs_init(fc, axq_statx_step);
	fc->flags = sqe->op_flags;
	fc->mode = sqe->len;
	fc->ubuf = u64_to_user_ptr(sqe->off);
	ret = axq_fs_getname(fc, sqe->addr);
	if (!ret)
		ret = axq_fs_where(fc, sqe->fd, sqe->op_flags & AT_EMPTY_PATH);
	if (!ret) {
		fc->mm = current->mm;
		mmgrab(fc->mm);
		fc->submitter = current;
		get_task_struct(current);
		return 0;
	}
	axq_fs_release(fc);
	return ret;
}

/* ------------------------------------------------------------ common */

/* Queue the whole of an OPENAT or STATX in the submitter (see DOC). */
static int axq_fs_queue_here(struct axq_req *req, struct axq_fs_cmd *fc,
			     struct axq_context *cx)
{
	axq_io_work_init(&fc->io, req->opcode == ASYNCX_OP_OPENAT ?
			 axq_openat_install : axq_statx_here);
	fc->stage = AXQ_FS_HERE;
	return axq_io_work_queue_task(req->ctx, &fc->io, fc->submitter, cx);
}

static enum axq_poll axq_fs_poll(struct axq_req *req, struct axq_context *cx,
				 int *res)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);
	long out;
	int ret;

	switch (fc->stage) {
	case AXQ_FS_START:
		if (fc->here) {
			ret = axq_fs_queue_here(req, fc, cx);
		} else if (req->opcode == ASYNCX_OP_CLOSE && fc->file) {
			/* Taken at submission; the ->flush() is left. */
			axq_io_work_init(&fc->io, axq_close_flush);
			fc->stage = AXQ_FS_FLUSH;
			ret = axq_io_work_queue(req->ctx, &fc->io, cx);
		} else if (req->opcode == ASYNCX_OP_CLOSE) {
			fc->stage = AXQ_FS_STEP;
			ret = axq_io_work_queue_task(req->ctx, &fc->io,
						     fc->submitter, cx);
		} else {
			fc->stage = AXQ_FS_STEP;
			ret = axq_io_work_queue(req->ctx, &fc->io, cx);
		}
		break;
	case AXQ_FS_STEP:
		if (!axq_io_work_done(&fc->io, &out))
			return AXQ_PENDING;
		if (out < 0) {
			*res = out;
			return AXQ_READY;
		}
		if (out == AXQ_FS_REDO_HERE && req->opcode != ASYNCX_OP_CLOSE) {
			ret = axq_fs_queue_here(req, fc, cx);
			break;
		}
		if (req->opcode == ASYNCX_OP_OPENAT) {
			axq_io_work_init(&fc->io, axq_openat_install);
			fc->stage = AXQ_FS_INSTALL;
			ret = axq_io_work_queue_task(req->ctx, &fc->io,
						     fc->submitter, cx);
			break;
		}
		if (req->opcode == ASYNCX_OP_CLOSE && out == 1) {
			axq_io_work_init(&fc->io, axq_close_flush);
			fc->stage = AXQ_FS_FLUSH;
			ret = axq_io_work_queue(req->ctx, &fc->io, cx);
			break;
		}
		*res = out;
		return AXQ_READY;
	default:
		/* INSTALL, FLUSH, HERE: the last step. */
		if (!axq_io_work_done(&fc->io, &out))
			return AXQ_PENDING;
		*res = out;
		return AXQ_READY;
	}
	/* The submitter takes no task work: it is exiting. */
	if (ret == -ESRCH)
		ret = -ECANCELED;
	if (ret) {
		*res = ret;
		return AXQ_READY;
	}
	return AXQ_PENDING;
}

/* The request went while a step ran: the step's thread releases, after. */
static void axq_fs_orphan(struct axq_io_work *w)
{
	axq_fs_release(container_of(w, struct axq_fs_cmd, io));
}

/**
 * axq_fs_cleanup() - drop what a file-system op holds
 * @req: the request
 *
 * A step queued or running is not waited for: its thread releases.
 *
 * Context: process context (the request's drop).
 */
static void axq_fs_cleanup(struct axq_req *req)
{
	struct axq_fs_cmd *fc = axq_req_cmd(req, struct axq_fs_cmd);

	if (axq_io_work_drop(req->ctx, &fc->io, axq_fs_orphan))
		return;
	axq_fs_release(fc);
}

const struct axq_opdef axq_op_fsync = {
	.name		= "FSYNC",
	.cmd_size	= sizeof(struct axq_fs_cmd),
	.op_flags	= ASYNCX_FSYNC_DATASYNC,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_fsync_prep,
	.poll		= axq_fs_poll,
	.cleanup	= axq_fs_cleanup,
};

const struct axq_opdef axq_op_fallocate = {
	.name		= "FALLOCATE",
	.cmd_size	= sizeof(struct axq_fs_cmd),
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_fallocate_prep,
	.poll		= axq_fs_poll,
	.cleanup	= axq_fs_cleanup,
};

const struct axq_opdef axq_op_openat = {
	.name		= "OPENAT",
	.files		= true,
	.cmd_size	= sizeof(struct axq_fs_cmd),
	.op_flags	= VALID_OPEN_FLAGS,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_openat_prep,
	.poll		= axq_fs_poll,
	.cleanup	= axq_fs_cleanup,
};

const struct axq_opdef axq_op_close = {
	.name		= "CLOSE",
	.files		= true,
	.cmd_size	= sizeof(struct axq_fs_cmd),
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_close_prep,
	.poll		= axq_fs_poll,
	.try_inline	= axq_close_try_inline,
	.cleanup	= axq_fs_cleanup,
};

const struct axq_opdef axq_op_statx = {
	.name		= "STATX",
	.files		= true,
	.cmd_size	= sizeof(struct axq_fs_cmd),
	.op_flags	= AXQ_STATX_FLAGS,
	.chain_ok	= axq_chain_ok_res,
	.prep		= axq_statx_prep,
	.poll		= axq_fs_poll,
	.cleanup	= axq_fs_cleanup,
};
