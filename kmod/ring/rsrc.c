// SPDX-License-Identifier: GPL-2.0
/*
 * asyncx: registered buffers and files — pinned once, charged once, and
 * used by READ, WRITE (and POLL) by index instead of per-op pinning and
 * fget().
 */

/**
 * DOC: registered resources
 *
 * A context has at most one table of registered buffers and one of
 * registered files, each set by its register ioctl and removed by its
 * unregister ioctl or by close. ctx->lock (the submission lock) protects the
 * two table pointers: submission looks them up while preparing an SQE, the
 * ioctls swap them.
 *
 * Buffers: each iovec must be anonymous or shmem (tmpfs) memory, as the
 * uapi header says (else -EOPNOTSUPP); its pages are pinned with
 * FOLL_WRITE | FOLL_LONGTERM, under the mmap lock that checked it, and
 * kept as a bio_vec per page; a fixed READ or WRITE builds an ITER_BVEC
 * iterator over them, so the I/O reaches the memory from any
 * thread (executor worker, blocking pool) without the submitter's mm. The
 * pages are charged as io_uring charges them: to the user's locked_vm
 * against RLIMIT_MEMLOCK (unless CAP_IPC_LOCK) and to the mm's pinned_vm.
 * The table is refcounted: the registration holds one reference, each
 * request using one of its buffers another, from its preparation to its
 * cleanup. Unregister (or close) drops the registration's reference and
 * counts the table in ctx->rsrc_dying; the last put unpins, uncharges,
 * frees, and wakes unregister, which waits (killable) for ctx->rsrc_dying
 * to drop to zero.
 *
 * Files: a reference to each file, taken at registration. A request with
 * ASYNCX_SQE_FIXED_FILE takes its own reference (get_file()) at
 * preparation, so unregistering files never waits. An asyncx context cannot
 * be registered: its file would then hold itself open.
 */
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mmap_lock.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "dev.h"
#include "ctx.h"
#include "req.h"
#include "rsrc.h"

/* ---------------------------------------------------------------- buffers */

/*
 * Unpin, uncharge and free a buffer table (built in part or whole).
 * Process context: may sleep.
 */
static void axq_rsrc_bufs_free(struct axq_rsrc_bufs *t)
{
	unsigned int i, j;

	for (i = 0; i < t->nr; i++) {
		struct axq_rsrc_buf *b = &t->bufs[i];

		for (j = 0; j < b->nr_bvecs; j++) {
			unpin_user_page(b->bvec[j].bv_page);
			/* A 1 GiB buffer is 262144 pages. */
			if (!(j % 4096))
				cond_resched();
		}
		kvfree(b->bvec);
	}
	if (t->user) {
		atomic_long_sub(t->nr_pages, &t->user->locked_vm);
		free_uid(t->user);
	}
	if (t->mm) {
		atomic64_sub(t->nr_pages, &t->mm->pinned_vm);
		mmdrop(t->mm);
	}
	kvfree(t);
}

static void axq_rsrc_bufs_put(struct axq_rsrc_bufs *t)
{
	struct axq_ctx *ctx = t->ctx;

	if (!refcount_dec_and_test(&t->refs))
		return;
	axq_rsrc_bufs_free(t);
	/* Full barrier (a value-returning atomic): the frees before the
	 * count that unregister waits on.
	 */
	if (atomic_dec_and_test(&ctx->rsrc_dying))
		wake_up_var(&ctx->rsrc_dying);
}

/*
 * Charge @nr pages, as io_uring does: the user's locked_vm against
 * RLIMIT_MEMLOCK unless CAP_IPC_LOCK, and always the mm's pinned_vm.
 */
static int axq_rsrc_charge(struct axq_rsrc_bufs *t, unsigned long nr)
{
	if (!capable(CAP_IPC_LOCK)) {
		struct user_struct *user = current_user();
		unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
		long cur = atomic_long_read(&user->locked_vm);

		do {
			if ((unsigned long)cur + nr > limit)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur,
						  cur + nr));
		t->user = get_uid(user);
	}
	t->mm = current->mm;
	mmgrab(t->mm);
	atomic64_add(nr, &t->mm->pinned_vm);
	t->nr_pages = nr;
	return 0;
}

/* The pages spanned by [base, base + len). */
static unsigned long axq_rsrc_nr_pages(u64 base, size_t len)
{
	return (PAGE_ALIGN(base + len) - (base & PAGE_MASK)) >> PAGE_SHIFT;
}

/*
 * Is [start, start + nr pages) all anonymous or shmem memory? A long-term
 * pin of a file's page cache would hold its pages under the filesystem's
 * writeback (io_uring refuses it too). shmem is tmpfs: memfd, /dev/zero
 * MAP_SHARED, SysV shm, files on a tmpfs. Under the mmap lock, which the
 * pin that follows holds too, so the mappings cannot change in between.
 */
static int axq_rsrc_check_vmas(unsigned long start, unsigned long nr)
{
	unsigned long end = start + (nr << PAGE_SHIFT);
	struct vm_area_struct *vma;

	mmap_assert_locked(current->mm);
	while (start < end) {
		vma = vma_lookup(current->mm, start);
		if (!vma)
			return -EFAULT;
		if (!vma_is_anonymous(vma) &&
		    !(vma->vm_file &&
		      file_inode(vma->vm_file)->i_sb->s_magic == TMPFS_MAGIC))
			return -EOPNOTSUPP;
		start = vma->vm_end;
	}
	return 0;
}

/* Pin one buffer (its iovec checked already) into @b. */
static int axq_rsrc_pin(struct axq_rsrc_buf *b, u64 base, size_t len)
{
	unsigned long nr = axq_rsrc_nr_pages(base, len);
	size_t off = offset_in_page(base), left = len;
	struct bio_vec *bvec;
	struct page **pages;
	unsigned long i;
	int pinned = 0, ret;

	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	bvec = kvmalloc_array(nr, sizeof(*bvec), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!pages || !bvec)
		goto err;
	mmap_read_lock(current->mm);
	ret = axq_rsrc_check_vmas(base & PAGE_MASK, nr);
	if (!ret)
		pinned = axq_pin_user_pages(base & PAGE_MASK, nr,
					    FOLL_WRITE | FOLL_LONGTERM, pages);
	mmap_read_unlock(current->mm);
	if (ret)
		goto err;
	if (pinned != (int)nr) {
		if (pinned > 0)
			unpin_user_pages(pages, pinned);
		ret = pinned < 0 ? pinned : -EFAULT;
		goto err;
	}
	for (i = 0; i < nr; i++) {
		size_t n = min_t(size_t, left, PAGE_SIZE - off);

		bvec[i].bv_page = pages[i];
		bvec[i].bv_len = n;
		bvec[i].bv_offset = off;
		off = 0;
		left -= n;
	}
	kvfree(pages);
	b->ubase = base;
	b->len = len;
	b->bvec = bvec;
	b->nr_bvecs = nr;
	return 0;
err:
	kvfree(pages);
	kvfree(bvec);
	/* Memory that cannot be pinned (unmapped, read-only, I/O memory). */
	return ret == -ENOMEM || ret == -EOPNOTSUPP ? ret : -EFAULT;
}

/* Read entry @i of the user's iovec array, native or compat. */
static int axq_rsrc_get_iovec(u64 addr, unsigned int i, u64 *base,
			      size_t *len)
{
	struct iovec iov;

#ifdef CONFIG_COMPAT
	if (in_compat_syscall()) {
		struct compat_iovec ciov;
		struct compat_iovec __user *u = u64_to_user_ptr(addr);

		if (copy_from_user(&ciov, &u[i], sizeof(ciov)))
			return -EFAULT;
		*base = ciov.iov_base;
		*len = ciov.iov_len;
		return 0;
	}
#endif
	if (copy_from_user(&iov, &((struct iovec __user *)u64_to_user_ptr(addr))[i],
			   sizeof(iov)))
		return -EFAULT;
	*base = (u64)(uintptr_t)iov.iov_base;
	*len = iov.iov_len;
	return 0;
}

/* Copy in and check the argument of a register ioctl. */
static int axq_rsrc_get_arg(struct axq_ctx *ctx,
			    struct asyncx_rsrc_register __user *arg,
			    struct asyncx_rsrc_register *r, unsigned int max)
{
	if (copy_from_user(r, arg, sizeof(*r)))
		return -EFAULT;
	if (r->flags || memchr_inv(r->resv, 0, sizeof(r->resv)))
		return -EINVAL;
	if (!r->nr || r->nr > max)
		return -EINVAL;
	/* Acquire: pairs with the release in axq_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready))
		return -EBADFD;
	if (current->mm != ctx->mm)
		return -EPERM;
	return 0;
}

/**
 * axq_rsrc_register_buffers() - pin and register buffers
 *	(ASYNCX_IOC_REGISTER_BUFFERS)
 * @ctx: the context
 * @arg: the user's struct asyncx_rsrc_register (an array of struct iovec)
 *
 * Context: process context; takes ctx->lock.
 * Return: 0, -EFAULT, -EINVAL for bad fields, a bad count or a bad iovec
 * length, -EBADFD before setup, -EPERM from another process, -EBUSY if
 * buffers are registered, -ENOMEM over RLIMIT_MEMLOCK or out of memory.
 */
int axq_rsrc_register_buffers(struct axq_ctx *ctx,
			      struct asyncx_rsrc_register __user *arg)
{
	struct asyncx_rsrc_register r;
	struct axq_rsrc_bufs *t;
	unsigned long pages = 0;
	unsigned int i;
	bool busy;
	int ret;

	ret = axq_rsrc_get_arg(ctx, arg, &r, ASYNCX_RSRC_MAX_BUFFERS);
	if (ret)
		return ret;
	mutex_lock(&ctx->lock);
	busy = ctx->rsrc_bufs;
	mutex_unlock(&ctx->lock);
	if (busy)
		return -EBUSY;

	t = kvzalloc(struct_size(t, bufs, r.nr), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	refcount_set(&t->refs, 1);
	t->ctx = ctx;
	t->nr = r.nr;
	/* Check every iovec and count the pages before charging any. */
	for (i = 0; i < r.nr; i++) {
		struct axq_rsrc_buf *b = &t->bufs[i];

		ret = axq_rsrc_get_iovec(r.addr, i, &b->ubase, &b->len);
		if (ret)
			goto err;
		ret = -EINVAL;
		if (!b->len || b->len > ASYNCX_RSRC_MAX_BUF_LEN)
			goto err;
		ret = -EFAULT;
		if (!access_ok(u64_to_user_ptr(b->ubase), b->len))
			goto err;
		pages += axq_rsrc_nr_pages(b->ubase, b->len);
	}
	ret = axq_rsrc_charge(t, pages);
	if (ret)
		goto err;
	for (i = 0; i < r.nr; i++) {
		ret = axq_rsrc_pin(&t->bufs[i], t->bufs[i].ubase, t->bufs[i].len);
		if (ret)
			goto err;
		t->bufs[i].tab = t;
	}

	mutex_lock(&ctx->lock);
	busy = ctx->rsrc_bufs;
	if (!busy)
		ctx->rsrc_bufs = t;
	mutex_unlock(&ctx->lock);
	if (!busy)
		return 0;
	ret = -EBUSY;
err:
	axq_rsrc_bufs_free(t);
	return ret;
}

/**
 * axq_rsrc_unregister_buffers() - unregister the buffers, wait for their
 *	users, unpin them (ASYNCX_IOC_UNREGISTER_BUFFERS)
 * @ctx: the context
 *
 * New fixed requests fail from here on; those in flight keep the table
 * until their cleanup, and the ioctl waits for them.
 *
 * Context: process context; takes ctx->lock; sleeps (killable).
 * Return: 0, -ENXIO if none are registered, -EINTR if a fatal signal ended
 * the wait (the buffers are unregistered all the same).
 */
int axq_rsrc_unregister_buffers(struct axq_ctx *ctx)
{
	struct axq_rsrc_bufs *t;

	mutex_lock(&ctx->lock);
	t = ctx->rsrc_bufs;
	ctx->rsrc_bufs = NULL;
	if (t)
		atomic_inc(&ctx->rsrc_dying);
	mutex_unlock(&ctx->lock);
	if (!t)
		return -ENXIO;
	axq_rsrc_bufs_put(t);
	if (wait_var_event_killable(&ctx->rsrc_dying,
				    !atomic_read(&ctx->rsrc_dying)))
		return -EINTR;
	return 0;
}

/**
 * axq_rsrc_buf_get() - take a reference to a registered buffer for a
 *	request
 * @ctx: the context
 * @index: the SQE's buf_index
 * @addr: the SQE's addr: where the I/O starts
 * @len: the SQE's len
 *
 * Context: submission, under ctx->lock.
 * Return: the buffer (put it with axq_rsrc_buf_put()), ERR_PTR(-ENXIO)
 * when none are registered, ERR_PTR(-EFAULT) for an index out of range or
 * a range not inside the buffer.
 */
struct axq_rsrc_buf *axq_rsrc_buf_get(struct axq_ctx *ctx, u16 index,
				      u64 addr, u32 len)
{
	struct axq_rsrc_bufs *t = ctx->rsrc_bufs;
	struct axq_rsrc_buf *b;

	lockdep_assert_held(&ctx->lock);
	if (!t)
		return ERR_PTR(-ENXIO);
	if (index >= t->nr)
		return ERR_PTR(-EFAULT);
	b = &t->bufs[array_index_nospec(index, t->nr)];
	if (addr < b->ubase || len > b->len || addr - b->ubase > b->len - len)
		return ERR_PTR(-EFAULT);
	refcount_inc(&t->refs);
	return b;
}

/**
 * axq_rsrc_buf_hold() - one more reference to a registered buffer
 * @buf: what axq_rsrc_buf_get() returned, still held
 *
 * For an I/O that outlives its request (O_DIRECT, rw.c); drop it with
 * axq_rsrc_buf_put().
 *
 * Context: any context.
 */
void axq_rsrc_buf_hold(struct axq_rsrc_buf *buf)
{
	refcount_inc(&buf->tab->refs);
}

/**
 * axq_rsrc_buf_put() - drop a request's reference to a registered buffer
 * @buf: what axq_rsrc_buf_get() returned
 *
 * The last reference (after unregister or close) unpins the table.
 *
 * Context: process context; may sleep.
 */
void axq_rsrc_buf_put(struct axq_rsrc_buf *buf)
{
	axq_rsrc_bufs_put(buf->tab);
}

/**
 * axq_rsrc_buf_iter() - an iterator over part of a registered buffer
 * @buf: the buffer
 * @iter: the iterator to set up
 * @dir: ITER_SOURCE (write from the buffer) or ITER_DEST (read into it)
 * @off: where to start, in bytes from the buffer's start
 * @len: bytes; @off + @len is at most the buffer's length
 *
 * Every bio_vec but the first starts a page, so the first one used is
 * found by arithmetic, not by walking the array.
 *
 * Context: any context.
 */
void axq_rsrc_buf_iter(const struct axq_rsrc_buf *buf, struct iov_iter *iter,
		       unsigned int dir, u64 off, size_t len)
{
	size_t first = buf->bvec[0].bv_len;
	unsigned long seg = 0;
	size_t skip = off;

	if (off >= first) {
		seg = 1 + (off - first) / PAGE_SIZE;
		skip = (off - first) % PAGE_SIZE;
	}
	iov_iter_bvec(iter, dir, buf->bvec + seg, buf->nr_bvecs - seg,
		      buf->len - (off - skip));
	if (skip)
		iov_iter_advance(iter, skip);
	iov_iter_truncate(iter, len);
}

/* ------------------------------------------------------------------ files */

static void axq_rsrc_files_free(struct axq_rsrc_files *t)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (t->files[i])
			fput(t->files[i]);
	kvfree(t);
}

/**
 * axq_rsrc_register_files() - register files (ASYNCX_IOC_REGISTER_FILES)
 * @ctx: the context
 * @arg: the user's struct asyncx_rsrc_register (an array of __s32 fds)
 *
 * Context: process context; takes ctx->lock.
 * Return: 0, -EFAULT, -EINVAL for bad fields or count, -EMFILE for more
 * than RLIMIT_NOFILE, -EBADF for a bad fd or an asyncx context, -EBADFD
 * before setup, -EPERM from another process, -EBUSY if files are
 * registered, -ENOMEM.
 */
int axq_rsrc_register_files(struct axq_ctx *ctx,
			    struct asyncx_rsrc_register __user *arg)
{
	struct asyncx_rsrc_register r;
	struct axq_rsrc_files *t;
	s32 __user *ufds;
	unsigned int i;
	bool busy;
	int ret;

	ret = axq_rsrc_get_arg(ctx, arg, &r, ASYNCX_RSRC_MAX_FILES);
	if (ret)
		return ret;
	if (r.nr > rlimit(RLIMIT_NOFILE))
		return -EMFILE;
	mutex_lock(&ctx->lock);
	busy = ctx->rsrc_files;
	mutex_unlock(&ctx->lock);
	if (busy)
		return -EBUSY;

	t = kvzalloc(struct_size(t, files, r.nr), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	t->nr = r.nr;
	ufds = u64_to_user_ptr(r.addr);
	for (i = 0; i < r.nr; i++) {
		struct file *file;
		s32 fd;

		ret = -EFAULT;
		if (get_user(fd, &ufds[i]))
			goto err;
		if (fd == -1)
			continue;
		ret = -EBADF;
		file = fget(fd);
		if (!file)
			goto err;
		t->files[i] = file;
		/* A context in its own table would hold itself open. */
		if (axq_is_ctx_file(file))
			goto err;
	}

	mutex_lock(&ctx->lock);
	busy = ctx->rsrc_files;
	if (!busy)
		ctx->rsrc_files = t;
	mutex_unlock(&ctx->lock);
	if (!busy)
		return 0;
	ret = -EBUSY;
err:
	axq_rsrc_files_free(t);
	return ret;
}

/**
 * axq_rsrc_unregister_files() - drop the registered files
 *	(ASYNCX_IOC_UNREGISTER_FILES)
 * @ctx: the context
 *
 * Requests in flight hold their own file references: nothing to wait for.
 *
 * Context: process context; takes ctx->lock.
 * Return: 0, or -ENXIO if none are registered.
 */
int axq_rsrc_unregister_files(struct axq_ctx *ctx)
{
	struct axq_rsrc_files *t;

	mutex_lock(&ctx->lock);
	t = ctx->rsrc_files;
	ctx->rsrc_files = NULL;
	mutex_unlock(&ctx->lock);
	if (!t)
		return -ENXIO;
	axq_rsrc_files_free(t);
	return 0;
}

/**
 * axq_rsrc_fget() - the file of an SQE: its fd, or with
 *	ASYNCX_SQE_FIXED_FILE its registered file
 * @ctx: the context
 * @sqe: the SQE
 *
 * Context: submission, under ctx->lock.
 * Return: a file reference, or ERR_PTR(-EBADF) for a bad fd, an index out
 * of range, an empty slot, or no registered files; for a plain fd in an
 * SQPOLL context (its SQ thread has no file table of the owner's).
 */
struct file *axq_rsrc_fget(struct axq_ctx *ctx, const struct asyncx_sqe *sqe)
{
	struct axq_rsrc_files *t;
	struct file *file;

	if (!(sqe->flags & ASYNCX_SQE_FIXED_FILE)) {
		if (ctx->sqp)
			return ERR_PTR(-EBADF);
		file = fget(sqe->fd);
		return file ?: ERR_PTR(-EBADF);
	}
	lockdep_assert_held(&ctx->lock);
	t = ctx->rsrc_files;
	if (!t || sqe->fd < 0 || sqe->fd >= t->nr)
		return ERR_PTR(-EBADF);
	file = t->files[array_index_nospec(sqe->fd, t->nr)];
	if (!file)
		return ERR_PTR(-EBADF);
	return get_file(file);
}

/* ------------------------------------------------------------------ other */

/**
 * axq_rsrc_release() - the context is closed: drop its registrations
 * @ctx: the context
 *
 * Does not wait: buffers still used by requests (being cancelled) are
 * unpinned by the last of them. Takes ctx->lock killably: the owner's
 * close (->flush) may find another of its threads in a submission, and
 * waits for it only until killed; then the file's release, which no
 * submission can overlap, drops them.
 *
 * Context: process context (flush, release); takes ctx->lock.
 */
void axq_rsrc_release(struct axq_ctx *ctx)
{
	struct axq_rsrc_files *files;
	struct axq_rsrc_bufs *bufs;

	if (mutex_lock_killable(&ctx->lock))
		return;
	bufs = ctx->rsrc_bufs;
	files = ctx->rsrc_files;
	ctx->rsrc_bufs = NULL;
	ctx->rsrc_files = NULL;
	if (bufs)
		atomic_inc(&ctx->rsrc_dying);
	mutex_unlock(&ctx->lock);
	if (bufs)
		axq_rsrc_bufs_put(bufs);
	if (files)
		axq_rsrc_files_free(files);
}
