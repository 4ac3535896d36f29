/*
 * ft_table.c — the real functions behind the one list (ft_table.h), and
 * the raw-syscall stand-ins used while a real one cannot be found.
 */
#include <errno.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "ft_table.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static void *ft_resolve(const char *name, void **slot, void *raw)
{
    /* dlsym may allocate, and an allocator may open files or map memory:
     * calls made from inside it get the raw syscall, not a recursion. */
    if (ft_thr.resolving && raw)
        return raw;
    int saved = errno, was_resolving = ft_thr.resolving, was_guarded = ft_thr.guard;
    ft_thr.resolving = 1;
    ft_guard_on();
    void *p = dlsym(RTLD_NEXT, name);
    ft_thr.resolving = was_resolving;
    if (!was_guarded)
        ft_guard_off();
    errno = saved;
    if (!p)
        p = raw; /* not in this libc (e.g. closefrom before 2.34) */
    __atomic_store_n(slot, p, __ATOMIC_RELAXED);
    return p;
}

/* ---- raw-syscall stand-ins --------------------------------------------------- */

static long ft_hi(off64_t off) { return (long)((uint64_t)off >> 32); }

static int ft_raw_fsync(int fd) { return (int)ft_syscall(SYS_fsync, fd); }
static int ft_raw_fdatasync(int fd) { return (int)ft_syscall(SYS_fdatasync, fd); }
static int ft_raw_sync_file_range(int fd, off64_t off, off64_t n, unsigned int fl)
{
    return (int)ft_syscall(SYS_sync_file_range, fd, off, n, fl);
}
static int ft_raw_syncfs(int fd) { return (int)ft_syscall(SYS_syncfs, fd); }
static void ft_raw_sync(void) { ft_syscall(SYS_sync); }
static int ft_raw_msync(void *addr, size_t len, int fl) { return (int)ft_syscall(SYS_msync, addr, len, fl); }
static ssize_t ft_raw_write(int fd, const void *b, size_t n) { return ft_syscall(SYS_write, fd, b, n); }
static ssize_t ft_raw_pwrite(int fd, const void *b, size_t n, off_t off)
{
    return ft_syscall(SYS_pwrite64, fd, b, n, off);
}
static ssize_t ft_raw_pwrite64(int fd, const void *b, size_t n, off64_t off)
{
    return ft_syscall(SYS_pwrite64, fd, b, n, off);
}
static ssize_t ft_raw_writev(int fd, const struct iovec *v, int c) { return ft_syscall(SYS_writev, fd, v, c); }
/* pwritev(2) takes the offset as two longs, low then high (on 64-bit the
 * kernel ignores the high one). */
static ssize_t ft_raw_pwritev(int fd, const struct iovec *v, int c, off_t off)
{
    return ft_syscall(SYS_pwritev, fd, v, c, (long)off, ft_hi(off));
}
static ssize_t ft_raw_pwritev64(int fd, const struct iovec *v, int c, off64_t off)
{
    return ft_syscall(SYS_pwritev, fd, v, c, (long)off, ft_hi(off));
}
static ssize_t ft_raw_pwritev2(int fd, const struct iovec *v, int c, off_t off, int fl)
{
    return ft_syscall(SYS_pwritev2, fd, v, c, (long)off, ft_hi(off), fl);
}
static ssize_t ft_raw_pwritev64v2(int fd, const struct iovec *v, int c, off64_t off, int fl)
{
    return ft_syscall(SYS_pwritev2, fd, v, c, (long)off, ft_hi(off), fl);
}
static int ft_raw_open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)ft_syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}
static int ft_raw_open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)ft_syscall(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, mode);
}
static int ft_raw_openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)ft_syscall(SYS_openat, dirfd, path, flags, mode);
}
static int ft_raw_openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)ft_syscall(SYS_openat, dirfd, path, flags | O_LARGEFILE, mode);
}
static int ft_raw_creat(const char *path, mode_t mode)
{
    return (int)ft_syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
static int ft_raw_creat64(const char *path, mode_t mode)
{
    return (int)ft_syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}
static int ft_raw___open_2(const char *path, int flags) { return (int)ft_syscall(SYS_openat, AT_FDCWD, path, flags, 0); }
static int ft_raw___open64_2(const char *path, int flags)
{
    return (int)ft_syscall(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, 0);
}
static int ft_raw___openat_2(int dirfd, const char *path, int flags)
{
    return (int)ft_syscall(SYS_openat, dirfd, path, flags, 0);
}
static int ft_raw___openat64_2(int dirfd, const char *path, int flags)
{
    return (int)ft_syscall(SYS_openat, dirfd, path, flags | O_LARGEFILE, 0);
}
static int ft_raw_close(int fd) { return (int)ft_syscall(SYS_close, fd); }
static int ft_raw_dup(int fd) { return (int)ft_syscall(SYS_dup, fd); }
static int ft_raw_dup2(int fd, int fd2)
{
    if (fd == fd2) /* dup3 refuses equal fds; dup2 returns fd2 if fd is valid */
        return ft_syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : fd2;
    return (int)ft_syscall(SYS_dup3, fd, fd2, 0);
}
static int ft_raw_dup3(int fd, int fd2, int fl) { return (int)ft_syscall(SYS_dup3, fd, fd2, fl); }
/* fcntl's third argument is an int, a long or a pointer depending on cmd;
 * glibc's own fcntl reads it as a void * and passes it on, and so do we. */
static int ft_raw_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return (int)ft_syscall(SYS_fcntl, fd, cmd, arg);
}
static int ft_raw_fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return (int)ft_syscall(SYS_fcntl, fd, cmd, arg);
}
static int ft_raw_close_range(unsigned int lo, unsigned int hi, int fl)
{
    return (int)ft_syscall(SYS_close_range, lo, hi, fl);
}
static void ft_raw_closefrom(int lo) { ft_syscall(SYS_close_range, (unsigned)lo, ~0U, 0); }
static int ft_raw_rename(const char *a, const char *b)
{
    return (int)ft_syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0);
}
static int ft_raw_renameat(int da, const char *a, int db, const char *b)
{
    return (int)ft_syscall(SYS_renameat2, da, a, db, b, 0);
}
static int ft_raw_renameat2(int da, const char *a, int db, const char *b, unsigned int fl)
{
    return (int)ft_syscall(SYS_renameat2, da, a, db, b, fl);
}
static void *ft_raw_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    return (void *)ft_syscall(SYS_mmap, a, l, p, f, fd, o);
}
static void *ft_raw_mmap64(void *a, size_t l, int p, int f, int fd, off64_t o)
{
    return (void *)ft_syscall(SYS_mmap, a, l, p, f, fd, o);
}
static int ft_raw_munmap(void *a, size_t l) { return (int)ft_syscall(SYS_munmap, a, l); }
static int ft_raw_execve(const char *p, char *const a[], char *const e[])
{
    return (int)ft_syscall(SYS_execve, p, a, e);
}
static int ft_raw_execv(const char *p, char *const a[]) { return (int)ft_syscall(SYS_execve, p, a, environ); }
static int ft_raw_fexecve(int fd, char *const a[], char *const e[])
{
    return (int)ft_syscall(SYS_execveat, fd, "", a, e, AT_EMPTY_PATH);
}
static int ft_raw_execveat(int dirfd, const char *p, char *const a[], char *const e[], int fl)
{
    return (int)ft_syscall(SYS_execveat, dirfd, p, a, e, fl);
}
static void *ft_raw_mremap(void *a, size_t l, size_t n, int fl, ...)
{
    va_list ap;
    va_start(ap, fl);
    void *to = va_arg(ap, void *);
    va_end(ap);
    return (void *)ft_syscall(SYS_mremap, a, l, n, fl, to);
}
static int ft_raw_linkat(int da, const char *a, int db, const char *b, int fl)
{
    return (int)ft_syscall(SYS_linkat, da, a, db, b, fl);
}
static int ft_raw_link(const char *a, const char *b) { return (int)ft_syscall(SYS_linkat, AT_FDCWD, a, AT_FDCWD, b, 0); }
static int ft_raw_unlink(const char *p) { return (int)ft_syscall(SYS_unlinkat, AT_FDCWD, p, 0); }
static int ft_raw_unlinkat(int d, const char *p, int fl) { return (int)ft_syscall(SYS_unlinkat, d, p, fl); }
/* syscall is a macro for ft_syscall (ft_sys.h), so the stand-in is named after that. */
#define ft_raw_ft_syscall ft_syscall
static void ft_raw__exit(int status) { for (;;) ft_syscall(SYS_exit_group, status); }
static void ft_raw__Exit(int status) { for (;;) ft_syscall(SYS_exit_group, status); }

/* ---- the real functions ------------------------------------------------------- */

#define FT_STAND_IN_RAW(f) (void *)ft_raw_##f
#define FT_STAND_IN_NONE(f) NULL
#define FT_DEFINE(fam, f, stand_in, ...)                                       \
    __attribute__((noinline, cold)) __typeof__(&f) ft_resolve_##f(void)        \
    {                                                                          \
        return (__typeof__(&f))ft_resolve(#f, &ft_hot.real[FT_I_##f],          \
                                          FT_STAND_IN_##stand_in(f));          \
    }
FT_INTERPOSED(FT_DEFINE)

#define FT_RESOLVE_NOW(fam, f, stand_in, ...) (void)ft_resolve_##f();

void ft_table_resolve(void)
{
    FT_INTERPOSED(FT_RESOLVE_NOW)
}
