/*
 * ft_wrappers.c — the interposed functions.
 *
 * FT_INTERPOSED below is the one list of every function this library
 * replaces. Each has: the real function, found with dlsym(RTLD_NEXT) in our
 * constructor or at first use (FT_REAL), and a raw-syscall stand-in used when
 * the real one cannot be found yet — a call made from inside dlsym itself,
 * or before the dynamic linker can answer.
 *
 * Every wrapper has the same shape:
 *
 *     if (!ft_active())                  pass-through: disabled, or ourselves
 *         return FT_REAL(f)(args);
 *     ft_X_begin(&state, ...);           look up the fd, take the time
 *     ret = FT_REAL(f)(args);            the real call: no lock held
 *     err = errno;
 *     ft_X_end(&state, ret, err);        update counters, append the record
 *     errno = err;
 *     return ret;                        exactly what libc returned
 */
#undef _FORTIFY_SOURCE /* its inline open() wrappers would clash with ours */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ft_internal.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The fortified entry points (_FORTIFY_SOURCE turns open() into these when
 * the mode argument is provably unneeded); glibc declares them only then. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* ---- the table ------------------------------------------------------------- */

#define FT_INTERPOSED(X)                                                       \
    /* durability calls: one FT_T_SYNC record each */                          \
    X(fsync) X(fdatasync) X(sync_file_range) X(syncfs) X(sync) X(msync)        \
    /* writes: per-file counters; a sync record on O_SYNC/O_DSYNC/RWF_*SYNC */ \
    X(write) X(pwrite) X(pwrite64) X(writev) X(pwritev) X(pwritev64)           \
    X(pwritev2) X(pwritev64v2)                                                 \
    /* opens: name the file, start its interval */                             \
    X(open) X(open64) X(openat) X(openat64) X(creat) X(creat64)                \
    X(__open_2) X(__open64_2) X(__openat_2) X(__openat64_2)                    \
    /* descriptor table changes */                                            \
    X(close) X(dup) X(dup2) X(dup3) X(fcntl) X(fcntl64)                        \
    X(close_range) X(closefrom)                                                \
    /* names */                                                               \
    X(rename) X(renameat) X(renameat2)                                         \
    /* stdio and directories: glibc opens and closes inside these without     \
     * going through the PLT, so we would never see the descriptor change */   \
    X(fopen) X(fopen64) X(fdopen) X(freopen) X(freopen64) X(fclose)            \
    X(closedir)                                                                \
    /* shared file mappings, so that msync can name its file */                \
    X(mmap) X(mmap64) X(munmap)                                                \
    /* the image ends at a successful exec: the header says so before it */   \
    X(execve) X(execv) X(execvp) X(execvpe) X(fexecve) X(execveat)             \
    X(execl) X(execlp) X(execle)                                               \
    /* ... and at _exit, which runs no destructor (a fork child's usual end) */ \
    X(_exit)

#define FT_DECLARE(f)                                                          \
    static __typeof__(f) ft_raw_##f;                                           \
    static __typeof__(&f) ft_real_##f;                                         \
    static __attribute__((noinline, cold)) __typeof__(&f) ft_resolve_##f(void) \
    {                                                                          \
        return (__typeof__(&f))ft_resolve(#f, (void **)&ft_real_##f,           \
                                          (void *)ft_raw_##f);                 \
    }
#define FT_RESOLVE_NOW(f) (void)ft_resolve_##f();

/* The real function: an expression, so no macro hides a return. */
#define FT_REAL(f)                                                             \
    ({                                                                         \
        __typeof__(&f) real_ = FT_LOAD(&ft_real_##f);                          \
        FT_LIKELY(real_ != NULL) ? real_ : ft_resolve_##f();                   \
    })

static void *ft_resolve(const char *name, void **slot, void *raw)
{
    /* dlsym may allocate, and an allocator may open files or map memory:
     * calls made from inside it get the raw syscall, not a recursion. */
    if (ft_thr.resolving)
        return raw;
    int saved = errno, was_guarded = ft_thr.guard;
    ft_thr.resolving = 1;
    ft_guard_on();
    void *p = dlsym(RTLD_NEXT, name);
    ft_thr.resolving = 0;
    if (!was_guarded)
        ft_guard_off();
    errno = saved;
    if (!p)
        p = raw; /* not in this libc (e.g. closefrom before 2.34) */
    __atomic_store_n(slot, p, __ATOMIC_RELAXED);
    return p;
}

FT_INTERPOSED(FT_DECLARE)

/* ---- raw-syscall stand-ins --------------------------------------------------- */

static long ft_hi(off64_t off) { return (long)((uint64_t)off >> 32); }

static int ft_raw_fsync(int fd) { return (int)syscall(SYS_fsync, fd); }
static int ft_raw_fdatasync(int fd) { return (int)syscall(SYS_fdatasync, fd); }
static int ft_raw_sync_file_range(int fd, off64_t off, off64_t n, unsigned int fl)
{
    return (int)syscall(SYS_sync_file_range, fd, off, n, fl);
}
static int ft_raw_syncfs(int fd) { return (int)syscall(SYS_syncfs, fd); }
static void ft_raw_sync(void) { syscall(SYS_sync); }
static int ft_raw_msync(void *addr, size_t len, int fl) { return (int)syscall(SYS_msync, addr, len, fl); }
static ssize_t ft_raw_write(int fd, const void *b, size_t n) { return syscall(SYS_write, fd, b, n); }
static ssize_t ft_raw_pwrite(int fd, const void *b, size_t n, off_t off)
{
    return syscall(SYS_pwrite64, fd, b, n, off);
}
static ssize_t ft_raw_pwrite64(int fd, const void *b, size_t n, off64_t off)
{
    return syscall(SYS_pwrite64, fd, b, n, off);
}
static ssize_t ft_raw_writev(int fd, const struct iovec *v, int c) { return syscall(SYS_writev, fd, v, c); }
/* pwritev(2) takes the offset as two longs, low then high (on 64-bit the
 * kernel ignores the high one). */
static ssize_t ft_raw_pwritev(int fd, const struct iovec *v, int c, off_t off)
{
    return syscall(SYS_pwritev, fd, v, c, (long)off, ft_hi(off));
}
static ssize_t ft_raw_pwritev64(int fd, const struct iovec *v, int c, off64_t off)
{
    return syscall(SYS_pwritev, fd, v, c, (long)off, ft_hi(off));
}
static ssize_t ft_raw_pwritev2(int fd, const struct iovec *v, int c, off_t off, int fl)
{
    return syscall(SYS_pwritev2, fd, v, c, (long)off, ft_hi(off), fl);
}
static ssize_t ft_raw_pwritev64v2(int fd, const struct iovec *v, int c, off64_t off, int fl)
{
    return syscall(SYS_pwritev2, fd, v, c, (long)off, ft_hi(off), fl);
}
static int ft_va_mode(int flags, va_list ap)
{
    return __OPEN_NEEDS_MODE(flags) ? va_arg(ap, int) : 0;
}
static int ft_raw_open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}
static int ft_raw_open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, mode);
}
static int ft_raw_openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}
static int ft_raw_openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    return (int)syscall(SYS_openat, dirfd, path, flags | O_LARGEFILE, mode);
}
static int ft_raw_creat(const char *path, mode_t mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}
static int ft_raw_creat64(const char *path, mode_t mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}
static int ft_raw___open_2(const char *path, int flags) { return (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0); }
static int ft_raw___open64_2(const char *path, int flags)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, 0);
}
static int ft_raw___openat_2(int dirfd, const char *path, int flags)
{
    return (int)syscall(SYS_openat, dirfd, path, flags, 0);
}
static int ft_raw___openat64_2(int dirfd, const char *path, int flags)
{
    return (int)syscall(SYS_openat, dirfd, path, flags | O_LARGEFILE, 0);
}
static int ft_raw_close(int fd) { return (int)syscall(SYS_close, fd); }
static int ft_raw_dup(int fd) { return (int)syscall(SYS_dup, fd); }
static int ft_raw_dup2(int fd, int fd2)
{
    if (fd == fd2) /* dup3 refuses equal fds; dup2 returns fd2 if fd is valid */
        return syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : fd2;
    return (int)syscall(SYS_dup3, fd, fd2, 0);
}
static int ft_raw_dup3(int fd, int fd2, int fl) { return (int)syscall(SYS_dup3, fd, fd2, fl); }
/* fcntl's third argument is an int, a long or a pointer depending on cmd;
 * glibc's own fcntl reads it as a void * and passes it on, and so do we. */
static int ft_raw_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return (int)syscall(SYS_fcntl, fd, cmd, arg);
}
static int ft_raw_fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return (int)syscall(SYS_fcntl, fd, cmd, arg);
}
static int ft_raw_close_range(unsigned int lo, unsigned int hi, int fl)
{
    return (int)syscall(SYS_close_range, lo, hi, fl);
}
static void ft_raw_closefrom(int lo) { syscall(SYS_close_range, (unsigned)lo, ~0U, 0); }
static int ft_raw_rename(const char *a, const char *b)
{
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0);
}
static int ft_raw_renameat(int da, const char *a, int db, const char *b)
{
    return (int)syscall(SYS_renameat2, da, a, db, b, 0);
}
static int ft_raw_renameat2(int da, const char *a, int db, const char *b, unsigned int fl)
{
    return (int)syscall(SYS_renameat2, da, a, db, b, fl);
}
/* stdio has no syscall to fall back on; these can only be reached from
 * inside dlsym, where nothing opens streams. */
static FILE *ft_raw_fopen(const char *p, const char *m) { (void)p, (void)m; errno = ENOSYS; return NULL; }
static FILE *ft_raw_fopen64(const char *p, const char *m) { (void)p, (void)m; errno = ENOSYS; return NULL; }
static FILE *ft_raw_fdopen(int fd, const char *m) { (void)fd, (void)m; errno = ENOSYS; return NULL; }
static FILE *ft_raw_freopen(const char *p, const char *m, FILE *s)
{
    (void)p, (void)m, (void)s;
    errno = ENOSYS;
    return NULL;
}
static FILE *ft_raw_freopen64(const char *p, const char *m, FILE *s)
{
    (void)p, (void)m, (void)s;
    errno = ENOSYS;
    return NULL;
}
static int ft_raw_fclose(FILE *s) { (void)s; errno = ENOSYS; return EOF; }
static int ft_raw_closedir(DIR *d) { (void)d; errno = ENOSYS; return -1; }
static void *ft_raw_mmap(void *a, size_t l, int p, int f, int fd, off_t o)
{
    return (void *)syscall(SYS_mmap, a, l, p, f, fd, o);
}
static void *ft_raw_mmap64(void *a, size_t l, int p, int f, int fd, off64_t o)
{
    return (void *)syscall(SYS_mmap, a, l, p, f, fd, o);
}
static int ft_raw_munmap(void *a, size_t l) { return (int)syscall(SYS_munmap, a, l); }
static int ft_raw_execve(const char *p, char *const a[], char *const e[])
{
    return (int)syscall(SYS_execve, p, a, e);
}
static int ft_raw_execv(const char *p, char *const a[]) { return (int)syscall(SYS_execve, p, a, environ); }
static int ft_raw_fexecve(int fd, char *const a[], char *const e[])
{
    return (int)syscall(SYS_execveat, fd, "", a, e, AT_EMPTY_PATH);
}
static int ft_raw_execveat(int dirfd, const char *p, char *const a[], char *const e[], int fl)
{
    return (int)syscall(SYS_execveat, dirfd, p, a, e, fl);
}
/* A PATH search, or a variadic list, has no one syscall to fall back on;
 * reachable only from inside dlsym, where nothing execs. */
static int ft_raw_execvp(const char *p, char *const a[]) { (void)p, (void)a; errno = ENOSYS; return -1; }
static int ft_raw_execvpe(const char *p, char *const a[], char *const e[])
{
    (void)p, (void)a, (void)e;
    errno = ENOSYS;
    return -1;
}
static int ft_raw_execl(const char *p, const char *a, ...) { (void)p, (void)a; errno = ENOSYS; return -1; }
static int ft_raw_execlp(const char *p, const char *a, ...) { (void)p, (void)a; errno = ENOSYS; return -1; }
static int ft_raw_execle(const char *p, const char *a, ...) { (void)p, (void)a; errno = ENOSYS; return -1; }
static void ft_raw__exit(int status) { for (;;) syscall(SYS_exit_group, status); }

/* ---- what the wrappers share -------------------------------------------------- */

/* The fd's entry, named through /proc the first time we meet it. */
static inline uint64_t ft_fd_known(int fd)
{
    uint64_t e = ft_fd_get(fd);
    if (FT_UNLIKELY(e == FT_FD_UNKNOWN)) {
        int saved = errno;
        e = ft_fd_resolve(fd);
        errno = saved;
    }
    return e;
}

static inline void ft_name_event(struct ft_event *ev, uint64_t e, struct ft_file *f)
{
    if (ft_fd_flags(e) & FT_FDF_RESOLVED)
        ev->flags |= FT_F_FD_RESOLVED;
    if (f && FT_UNLIKELY(FT_LOAD(&ft_names_gen) != FT_LOAD(&f->name_gen)))
        ft_file_rename_check(f, ev->fd);
    ev->path_id = f ? FT_LOAD(&f->path_id) : 0;
    if (!ev->path_id)
        ev->flags |= FT_F_PATH_UNKNOWN;
}

static inline int32_t ft_res(long ret, int err) { return ret < 0 ? -err : (int32_t)ret; }

/* -- sync calls -- */

/* A sync in flight: its record, its file, and, when this call's own cost is
 * measured (1 in cost_period), when the wrapper began. */
struct ft_sync {
    struct ft_event ev;
    struct ft_file *f;
    uint64_t t_in;
};

static inline uint64_t ft_cost_begin(void)
{
    if (FT_LIKELY(!ft_thr.cost_due))
        return 0;
    ft_thr.cost_due = 0;
    return ft_clock_read();
}

static inline __attribute__((always_inline)) void ft_sync_begin(struct ft_sync *s, uint8_t call, int fd,
                                                            int closes_interval)
{
    struct ft_event *ev = &s->ev;
    s->t_in = ft_cost_begin();
    memset(ev, 0, sizeof *ev);
    ev->type = FT_T_SYNC;
    ev->call = call;
    ev->fd = fd;
    uint64_t e = ft_fd_known(fd);
    struct ft_file *f = ft_file_of(e);
    s->f = f;
    ft_name_event(ev, e, f);
    ev->start_ns = ft_now();
    if (closes_interval && f) {
        /* Snapshot and restart at the start of the call: what fsync makes
         * durable is what was written before it began (fsync(2)). */
        struct ft_ival iv;
        ft_file_take(f, ev->start_ns, &iv);
        ft_ival_fill(ev, &iv);
    } else {
        ev->flags |= FT_F_NO_INTERVAL;
    }
}

/* For calls that fill their own record (sync, msync): start the clock. */
static inline void ft_sync_start(struct ft_sync *s, struct ft_file *f)
{
    s->f = f;
    s->ev.start_ns = ft_now();
}

static inline void ft_sync_end(struct ft_sync *s, long ret, int err)
{
    uint64_t t1 = ft_now();
    s->ev.dur_ns = ft_since(s->ev.start_ns, t1);
    s->ev.res = ft_res(ret, err);
    ft_sync_done(&s->ev, s->f);
    if (FT_UNLIKELY(s->t_in))
        ft_cost_sample(ft_since(s->t_in, s->ev.start_ns) + ft_since(t1, ft_clock_read()));
}

/* -- write-family calls -- */

struct ft_write {
    int fd;
    uint8_t call;        /* FT_C_*_WRITE when this write is itself a sync */
    struct ft_file *f;
    uint64_t e;
    uint64_t t0;         /* 0 unless the write is timed */
    uint64_t t_in;       /* when the wrapper began, if its cost is measured ... */
    uint64_t t_out;      /* ... and when it handed over to the real call */
};

#ifndef RWF_DSYNC
#define RWF_DSYNC 0x2
#endif
#ifndef RWF_SYNC
#define RWF_SYNC 0x4
#endif

/* The hot path: one table lookup and, 1 write in N per thread, a clock read. */
static inline void ft_write_begin(struct ft_write *w, int fd, int rwf)
{
    w->t_in = ft_cost_begin();
    w->fd = fd;
    w->e = ft_fd_known(fd);
    w->f = ft_file_of(w->e);
    w->t0 = 0;
    w->call = 0;
    uint32_t fl = ft_fd_flags(w->e);
    if (FT_UNLIKELY((rwf & (RWF_SYNC | RWF_DSYNC)) || (fl & (FT_FDF_OSYNC | FT_FDF_ODSYNC)))) {
        /* The strongest guarantee names the call: RWF_SYNC, then O_SYNC, then
         * RWF_DSYNC, then O_DSYNC (open(2), pwritev2(2)). */
        w->call = (rwf & RWF_SYNC)        ? FT_C_RWF_SYNC_WRITE
                  : (fl & FT_FDF_OSYNC)   ? FT_C_O_SYNC_WRITE
                  : (rwf & RWF_DSYNC)     ? FT_C_RWF_DSYNC_WRITE
                                          : FT_C_O_DSYNC_WRITE;
        w->t0 = ft_now();
    } else if (w->f && ft_thr.wsample-- == 0) {
        ft_thr.wsample = ft_cfg.write_sample - 1;
        w->t0 = ft_now();
    }
    if (FT_UNLIKELY(w->t_in))
        w->t_out = ft_clock_read();
}

/* A write that was itself durable: a sync record whose interval includes
 * this write, then a new interval from its end. Recorded even when it
 * failed: a failed O_SYNC write is a failed sync. */
static __attribute__((noinline)) void ft_sync_write_end(struct ft_write *w, long ret, int err)
{
    uint64_t t1 = ft_now();
    struct ft_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = FT_T_SYNC;
    ev.call = w->call;
    ev.fd = w->fd;
    ev.start_ns = w->t0;
    ev.dur_ns = ft_since(w->t0, t1);
    ev.res = ft_res(ret, err);
    ft_name_event(&ev, w->e, w->f);
    if (w->f) {
        struct ft_ival iv;
        if (ret >= 0) {
            FT_ADD(&w->f->bytes, (uint64_t)ret);
            FT_ADD(&w->f->writes, 1);
            FT_ADD(&w->f->wtime_ns, ft_since(w->t0, t1));
        }
        ft_file_take(w->f, t1, &iv);
        ft_ival_fill(&ev, &iv);
    } else {
        ev.flags |= FT_F_NO_INTERVAL;
    }
    ft_sync_done(&ev, w->f);
}

static __attribute__((noinline)) void ft_write_cost(struct ft_write *w, uint64_t t_back)
{
    ft_cost_sample(ft_since(w->t_in, w->t_out) + ft_since(t_back, ft_clock_read()));
}

static inline void ft_write_end(struct ft_write *w, long ret, int err)
{
    uint64_t t_back = FT_UNLIKELY(w->t_in) ? ft_clock_read() : 0;
    if (FT_UNLIKELY(w->call)) {
        ft_sync_write_end(w, ret, err);
    } else if (w->f && ret >= 0) {
        FT_ADD(&w->f->bytes, (uint64_t)ret);
        FT_ADD(&w->f->writes, 1);
        if (w->t0)
            FT_ADD(&w->f->wtime_ns, ft_since(w->t0, ft_now()) * ft_cfg.write_sample);
    }
    if (FT_UNLIKELY(w->t_in))
        ft_write_cost(w, t_back);
}

/* -- opens and closes -- */

/* A descriptor number the kernel hands out again was closed behind our back
 * (a close we could not see): forget what it was. */
static void ft_forget(uint64_t e)
{
    struct ft_file *f = ft_file_of(e);
    if (f)
        __atomic_fetch_sub(&f->nopen, 1, __ATOMIC_ACQ_REL);
}

static void ft_open_end(int fd, int oflags, uint64_t t0)
{
    if (fd < 0)
        return;
    uint64_t t1 = ft_now();
    ft_forget(ft_fd_take(fd));
    uint64_t e = ft_fd_opened(fd, oflags, 0, t0);
    struct ft_file *f = ft_file_of(e);
    if (f) {
        struct ft_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = FT_T_OPEN;
        ev.start_ns = t0;
        ev.dur_ns = ft_since(t0, t1);
        ev.fd = fd;
        ev.res = fd;
        ev.writes = (uint32_t)oflags;
        ft_name_event(&ev, e, f);
        ft_emit(&ev);
    }
}

/* The descriptor that held entry e is gone. A close record carries what was
 * written and never synced; when it was the file's last descriptor, the
 * interval ends with it (a later open starts a new one). */
static void ft_closed(int fd, uint64_t e, uint64_t t0, uint64_t t1, int32_t res)
{
    struct ft_file *f = ft_file_of(e);
    if (!f)
        return;
    struct ft_event ev;
    struct ft_ival iv;
    memset(&ev, 0, sizeof ev);
    ev.type = FT_T_CLOSE;
    ev.start_ns = t0;
    ev.dur_ns = ft_since(t0, t1);
    ev.fd = fd;
    ev.res = res;
    ft_name_event(&ev, e, f);
    if (__atomic_sub_fetch(&f->nopen, 1, __ATOMIC_ACQ_REL) <= 0) {
        FT_STORE(&f->nopen, 0); /* never below zero, whatever we missed */
        ft_file_take(f, 0, &iv);
        ev.flags |= FT_F_LAST_CLOSE;
    } else {
        ft_file_peek(f, &iv);
    }
    ft_ival_fill(&ev, &iv);
    ft_emit(&ev);
}

/* Forget every descriptor in [lo, hi] (close_range, closefrom): walk only
 * the chunks of the table that exist. */
static void ft_closed_range(unsigned lo, unsigned hi, uint64_t t0, uint64_t t1)
{
    for (unsigned top = lo >> FT_FD_CHUNK_SHIFT; top < FT_FD_TOP && top <= (hi >> FT_FD_CHUNK_SHIFT); top++) {
        if (!FT_LOAD_ACQ(&ft_fd_top[top]))
            continue;
        unsigned first = top << FT_FD_CHUNK_SHIFT, last = first + FT_FD_CHUNK - 1;
        for (unsigned fd = first < lo ? lo : first; fd <= last && fd <= hi; fd++) {
            if (ft_fd_get((int)fd) != 0)
                ft_closed((int)fd, ft_fd_take((int)fd), t0, t1, 0);
        }
    }
}

struct ft_close {
    int fd;
    uint64_t e;     /* what the fd was, taken out of the table before the call */
    uint64_t t0;
};

static inline void ft_close_begin(struct ft_close *c, int fd)
{
    c->fd = fd;
    c->e = 0;
    c->t0 = 0;
    if (ft_fd_get(fd) == 0 || ft_vfork_child())
        return;
    /* Cleared before the call: once the kernel frees the number another
     * thread's open may get it, and its entry must not be wiped by ours.
     * On Linux the fd is released even when close fails (close(2)). */
    c->t0 = ft_now();
    c->e = ft_fd_take(fd);
}

static inline void ft_close_end(struct ft_close *c, int ret, int err)
{
    if (c->e) {
        ft_closed(c->fd, c->e, c->t0, ft_now(), ft_res(ret, err));
    }
}

/* dup, dup2, dup3, F_DUPFD: the new fd refers to the same open file
 * description (same file, same O_SYNC flags). dup2/dup3 onto an open fd
 * close it first, silently, and we say so with a close record. */
static void ft_dup_end(int oldfd, int newfd, uint64_t t0)
{
    if (newfd < 0 || newfd == oldfd)
        return;
    uint64_t e = ft_fd_get(oldfd);
    if ((e == 0 && ft_fd_get(newfd) == 0) || ft_vfork_child())
        return;
    uint64_t replaced = ft_fd_take(newfd);
    if (replaced)
        ft_closed(newfd, replaced, t0, ft_now(), 0);
    struct ft_file *f = ft_file_of(e);
    if (f)
        __atomic_fetch_add(&f->nopen, 1, __ATOMIC_ACQ_REL);
    if (e)
        ft_fd_set(newfd, e);
}

/* -- renames -- */

static void ft_rename_one(int olddirfd, const char *old, int newdirfd, const char *new_,
                          uint64_t t0, uint64_t t1)
{
    char oldname[FT_PATH_MAX_LEN + 1], newname[FT_PATH_MAX_LEN + 1];
    uint64_t dev, ino, unused;
    uint32_t mode = 0, unused_mode;
    int nlen = ft_abs_name(newdirfd, new_, newname, sizeof newname, 1, &dev, &ino, &mode);
    if (nlen <= 0)
        return; /* renamed again already, or /proc is missing */
    /* A directory moved: so did every file under it. Files name themselves
     * again at their next event (ft_file_rename_check). */
    if (S_ISDIR(mode))
        __atomic_add_fetch(&ft_names_gen, 1, __ATOMIC_RELEASE);
    int olen = ft_abs_name(olddirfd, old, oldname, sizeof oldname, 0, &unused, &unused, &unused_mode);
    struct ft_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = FT_T_RENAME;
    ev.start_ns = t0;
    ev.dur_ns = ft_since(t0, t1);
    ev.fd = -1;
    ev.path_id = olen > 0 ? ft_path_intern(oldname, (uint32_t)olen, dev, ino) : 0;
    ev.writes = ft_path_intern(newname, (uint32_t)nlen, dev, ino);
    if (!ev.path_id || !ev.writes)
        ev.flags |= FT_F_PATH_UNKNOWN;
    /* Events on the open file from now on carry its new name. */
    uint32_t file = ft_file_find(dev, ino, 0);
    if (file && ev.writes)
        FT_STORE(&ft_files[file - 1].path_id, ev.writes);
    ft_emit(&ev);
}

static void ft_renamed(int olddirfd, const char *old, int newdirfd, const char *new_,
                       unsigned flags, uint64_t t0)
{
    uint64_t t1 = ft_now();
    ft_rename_one(olddirfd, old, newdirfd, new_, t0, t1);
    if (flags & RENAME_EXCHANGE) /* both names moved (rename(2)) */
        ft_rename_one(newdirfd, new_, olddirfd, old, t0, t1);
}

/* -- shared mappings -- */

/* A small fixed table: msync(2) takes an address, and only this tells us
 * which file lives there. Full: msync records go unnamed. */
#define FT_MAPS 64

struct ft_map {
    uint32_t state; /* 0 free, 1 being filled, 2 in use */
    uint32_t path_id;
    uintptr_t addr;
    size_t len;
    uint32_t file;  /* index + 1 in ft_files */
};

static struct ft_map ft_maps[FT_MAPS];
static uint32_t ft_maps_used; /* entries ever taken: munmap skips an empty table */

static void ft_map_add(void *addr, size_t len, int fd)
{
    uint64_t e = ft_fd_known(fd);
    struct ft_file *f = ft_file_of(e);
    if (!f)
        return;
    for (int i = 0; i < FT_MAPS; i++) {
        uint32_t st = 0;
        if (FT_LOAD(&ft_maps[i].state) == 0 && FT_CAS(&ft_maps[i].state, &st, 1)) {
            ft_maps[i].addr = (uintptr_t)addr;
            ft_maps[i].len = len;
            ft_maps[i].path_id = FT_LOAD(&f->path_id);
            ft_maps[i].file = ft_fd_what(e);
            FT_STORE_REL(&ft_maps[i].state, 2);
            FT_ADD(&ft_maps_used, 1);
            return;
        }
    }
}

static void ft_map_remove(void *addr, size_t len)
{
    uintptr_t lo = (uintptr_t)addr, hi = lo + len;
    if (FT_LOAD(&ft_maps_used) == 0)
        return;
    for (int i = 0; i < FT_MAPS; i++) {
        if (FT_LOAD_ACQ(&ft_maps[i].state) != 2)
            continue;
        if (ft_maps[i].addr < hi && lo < ft_maps[i].addr + ft_maps[i].len) {
            uint32_t st = 2;
            FT_CAS(&ft_maps[i].state, &st, 0);
        }
    }
}

static uint32_t ft_map_path(void *addr, struct ft_file **f)
{
    uintptr_t a = (uintptr_t)addr;
    for (int i = 0; i < FT_MAPS; i++) {
        if (FT_LOAD_ACQ(&ft_maps[i].state) == 2 && a >= ft_maps[i].addr &&
            a < ft_maps[i].addr + ft_maps[i].len) {
            *f = ft_file_of(ft_maps[i].file);
            return ft_maps[i].path_id;
        }
    }
    *f = NULL;
    return 0;
}

static inline int ft_map_is_shared_file(int flags, int fd)
{
    int type = flags & MAP_TYPE;
    return fd >= 0 && !(flags & MAP_ANONYMOUS) && (type == MAP_SHARED || type == MAP_SHARED_VALIDATE);
}

/* ---- the wrappers: durability calls ------------------------------------------ */

FT_EXPORT int fsync(int fd)
{
    if (!ft_active())
        return FT_REAL(fsync)(fd);
    struct ft_sync s;
    ft_sync_begin(&s, FT_C_FSYNC, fd, 1);
    int ret = FT_REAL(fsync)(fd);
    int err = errno;
    ft_sync_end(&s, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT int fdatasync(int fd)
{
    if (!ft_active())
        return FT_REAL(fdatasync)(fd);
    struct ft_sync s;
    ft_sync_begin(&s, FT_C_FDATASYNC, fd, 1);
    int ret = FT_REAL(fdatasync)(fd);
    int err = errno;
    ft_sync_end(&s, ret, err);
    errno = err;
    return ret;
}

/* Starts writeback of a range but makes nothing durable (sync_file_range(2):
 * "extremely dangerous"), so it leaves the interval open. */
FT_EXPORT int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
    if (!ft_active())
        return FT_REAL(sync_file_range)(fd, offset, nbytes, flags);
    struct ft_sync s;
    ft_sync_begin(&s, FT_C_SYNC_FILE_RANGE, fd, 0);
    int ret = FT_REAL(sync_file_range)(fd, offset, nbytes, flags);
    int err = errno;
    s.ev.bytes = (uint64_t)offset;
    s.ev.writes = flags;
    s.ev.ival_start_ns = (uint64_t)nbytes;
    ft_sync_end(&s, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT int syncfs(int fd)
{
    if (!ft_active())
        return FT_REAL(syncfs)(fd);
    struct ft_sync s;
    ft_sync_begin(&s, FT_C_SYNCFS, fd, 0);
    int ret = FT_REAL(syncfs)(fd);
    int err = errno;
    ft_sync_end(&s, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT void sync(void)
{
    if (!ft_active()) {
        FT_REAL(sync)();
        return;
    }
    int saved = errno;
    struct ft_sync s;
    s.t_in = ft_cost_begin();
    memset(&s.ev, 0, sizeof s.ev);
    s.ev.type = FT_T_SYNC;
    s.ev.call = FT_C_SYNC;
    s.ev.fd = -1;
    s.ev.flags = FT_F_NO_INTERVAL; /* no file: not "unknown", just none */
    ft_sync_start(&s, NULL);
    FT_REAL(sync)();
    ft_sync_end(&s, 0, 0);
    errno = saved;
}

FT_EXPORT int msync(void *addr, size_t length, int flags)
{
    if (!ft_active())
        return FT_REAL(msync)(addr, length, flags);
    struct ft_sync s;
    struct ft_file *f;
    s.t_in = ft_cost_begin();
    memset(&s.ev, 0, sizeof s.ev);
    s.ev.type = FT_T_SYNC;
    s.ev.call = FT_C_MSYNC;
    s.ev.fd = -1;
    s.ev.path_id = ft_map_path(addr, &f);
    s.ev.flags = FT_F_NO_INTERVAL | (s.ev.path_id ? 0 : FT_F_PATH_UNKNOWN);
    s.ev.bytes = (uint64_t)(uintptr_t)addr;
    s.ev.writes = (uint32_t)flags;
    s.ev.ival_start_ns = length;
    ft_sync_start(&s, f);
    int ret = FT_REAL(msync)(addr, length, flags);
    int err = errno;
    ft_sync_end(&s, ret, err);
    errno = err;
    return ret;
}

/* ---- the wrappers: writes --------------------------------------------------------- */

FT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    if (!ft_active())
        return FT_REAL(write)(fd, buf, n);
    struct ft_write w;
    ft_write_begin(&w, fd, 0);
    ssize_t ret = FT_REAL(write)(fd, buf, n);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (!ft_active())
        return FT_REAL(pwrite)(fd, buf, n, off);
    struct ft_write w;
    ft_write_begin(&w, fd, 0);
    ssize_t ret = FT_REAL(pwrite)(fd, buf, n, off);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    if (!ft_active())
        return FT_REAL(pwrite64)(fd, buf, n, off);
    struct ft_write w;
    ft_write_begin(&w, fd, 0);
    ssize_t ret = FT_REAL(pwrite64)(fd, buf, n, off);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    if (!ft_active())
        return FT_REAL(writev)(fd, iov, cnt);
    struct ft_write w;
    ft_write_begin(&w, fd, 0);
    ssize_t ret = FT_REAL(writev)(fd, iov, cnt);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    if (!ft_active())
        return FT_REAL(pwritev)(fd, iov, cnt, off);
    struct ft_write w;
    ft_write_begin(&w, fd, 0);
    ssize_t ret = FT_REAL(pwritev)(fd, iov, cnt, off);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
    if (!ft_active())
        return FT_REAL(pwritev64)(fd, iov, cnt, off);
    struct ft_write w;
    ft_write_begin(&w, fd, 0);
    ssize_t ret = FT_REAL(pwritev64)(fd, iov, cnt, off);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
    if (!ft_active())
        return FT_REAL(pwritev2)(fd, iov, cnt, off, flags);
    struct ft_write w;
    ft_write_begin(&w, fd, flags);
    ssize_t ret = FT_REAL(pwritev2)(fd, iov, cnt, off, flags);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags)
{
    if (!ft_active())
        return FT_REAL(pwritev64v2)(fd, iov, cnt, off, flags);
    struct ft_write w;
    ft_write_begin(&w, fd, flags);
    ssize_t ret = FT_REAL(pwritev64v2)(fd, iov, cnt, off, flags);
    int err = errno;
    ft_write_end(&w, ret, err);
    errno = err;
    return ret;
}

/* ---- the wrappers: opens ------------------------------------------------------------ */

/* open's mode is only read when the flags need one (open(2): O_CREAT,
 * O_TMPFILE); we fetch it the same way and always pass it on, harmlessly. */
FT_EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    if (!ft_active())
        return FT_REAL(open)(path, flags, mode);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(open)(path, flags, mode);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

FT_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    if (!ft_active())
        return FT_REAL(open64)(path, flags, mode);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(open64)(path, flags, mode);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

FT_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    if (!ft_active())
        return FT_REAL(openat)(dirfd, path, flags, mode);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(openat)(dirfd, path, flags, mode);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

FT_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = ft_va_mode(flags, ap);
    va_end(ap);
    if (!ft_active())
        return FT_REAL(openat64)(dirfd, path, flags, mode);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(openat64)(dirfd, path, flags, mode);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

FT_EXPORT int creat(const char *path, mode_t mode)
{
    if (!ft_active())
        return FT_REAL(creat)(path, mode);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(creat)(path, mode);
    int err = errno;
    ft_open_end(ret, O_CREAT | O_WRONLY | O_TRUNC, t0);
    errno = err;
    return ret;
}

FT_EXPORT int creat64(const char *path, mode_t mode)
{
    if (!ft_active())
        return FT_REAL(creat64)(path, mode);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(creat64)(path, mode);
    int err = errno;
    ft_open_end(ret, O_CREAT | O_WRONLY | O_TRUNC, t0);
    errno = err;
    return ret;
}

FT_EXPORT int __open_2(const char *path, int flags)
{
    if (!ft_active())
        return FT_REAL(__open_2)(path, flags);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(__open_2)(path, flags);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

FT_EXPORT int __open64_2(const char *path, int flags)
{
    if (!ft_active())
        return FT_REAL(__open64_2)(path, flags);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(__open64_2)(path, flags);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

FT_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    if (!ft_active())
        return FT_REAL(__openat_2)(dirfd, path, flags);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(__openat_2)(dirfd, path, flags);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

FT_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    if (!ft_active())
        return FT_REAL(__openat64_2)(dirfd, path, flags);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(__openat64_2)(dirfd, path, flags);
    int err = errno;
    ft_open_end(ret, flags, t0);
    errno = err;
    return ret;
}

/* ---- the wrappers: the descriptor table ------------------------------------------------ */

FT_EXPORT int close(int fd)
{
    if (!ft_active())
        return FT_REAL(close)(fd);
    struct ft_close c;
    ft_close_begin(&c, fd);
    int ret = FT_REAL(close)(fd);
    int err = errno;
    ft_close_end(&c, ret, err);
    errno = err;
    return ret;
}

FT_EXPORT int dup(int fd)
{
    if (!ft_active())
        return FT_REAL(dup)(fd);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(dup)(fd);
    int err = errno;
    ft_dup_end(fd, ret, t0);
    errno = err;
    return ret;
}

FT_EXPORT int dup2(int fd, int fd2)
{
    if (!ft_active())
        return FT_REAL(dup2)(fd, fd2);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(dup2)(fd, fd2);
    int err = errno;
    ft_dup_end(fd, ret, t0);
    errno = err;
    return ret;
}

FT_EXPORT int dup3(int fd, int fd2, int flags)
{
    if (!ft_active())
        return FT_REAL(dup3)(fd, fd2, flags);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(dup3)(fd, fd2, flags);
    int err = errno;
    ft_dup_end(fd, ret, t0);
    errno = err;
    return ret;
}

/* Only F_DUPFD and F_DUPFD_CLOEXEC change the table; every other command
 * goes straight through with its argument as glibc would pass it. */
FT_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!ft_active() || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
        return FT_REAL(fcntl)(fd, cmd, arg);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(fcntl)(fd, cmd, arg);
    int err = errno;
    ft_dup_end(fd, ret, t0);
    errno = err;
    return ret;
}

FT_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!ft_active() || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
        return FT_REAL(fcntl64)(fd, cmd, arg);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(fcntl64)(fd, cmd, arg);
    int err = errno;
    ft_dup_end(fd, ret, t0);
    errno = err;
    return ret;
}

FT_EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
    if (!ft_active())
        return FT_REAL(close_range)(lo, hi, flags);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(close_range)(lo, hi, flags);
    int err = errno;
    /* CLOSE_RANGE_CLOEXEC only marks them (close_range(2)). */
    if (ret == 0 && !(flags & CLOSE_RANGE_CLOEXEC) && !ft_vfork_child()) {
        ft_closed_range(lo, hi, t0, ft_now());
    }
    errno = err;
    return ret;
}

/* closefrom(3) cannot fail (glibc falls back to walking /proc/self/fd, and
 * aborts if even that fails), so everything from lo up is gone afterwards. */
FT_EXPORT void closefrom(int lo)
{
    if (!ft_active()) {
        FT_REAL(closefrom)(lo);
        return;
    }
    uint64_t t0 = ft_now();
    FT_REAL(closefrom)(lo);
    int err = errno;
    if (lo >= 0 && !ft_vfork_child()) {
        ft_closed_range((unsigned)lo, ~0U, t0, ft_now());
    }
    errno = err;
}

/* ---- the wrappers: names ---------------------------------------------------------------- */

FT_EXPORT int rename(const char *old, const char *new_)
{
    if (!ft_active())
        return FT_REAL(rename)(old, new_);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(rename)(old, new_);
    int err = errno;
    if (ret == 0)
        ft_renamed(AT_FDCWD, old, AT_FDCWD, new_, 0, t0);
    errno = err;
    return ret;
}

FT_EXPORT int renameat(int olddirfd, const char *old, int newdirfd, const char *new_)
{
    if (!ft_active())
        return FT_REAL(renameat)(olddirfd, old, newdirfd, new_);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(renameat)(olddirfd, old, newdirfd, new_);
    int err = errno;
    if (ret == 0)
        ft_renamed(olddirfd, old, newdirfd, new_, 0, t0);
    errno = err;
    return ret;
}

FT_EXPORT int renameat2(int olddirfd, const char *old, int newdirfd, const char *new_, unsigned int flags)
{
    if (!ft_active())
        return FT_REAL(renameat2)(olddirfd, old, newdirfd, new_, flags);
    uint64_t t0 = ft_now();
    int ret = FT_REAL(renameat2)(olddirfd, old, newdirfd, new_, flags);
    int err = errno;
    if (ret == 0)
        ft_renamed(olddirfd, old, newdirfd, new_, flags, t0);
    errno = err;
    return ret;
}

/* ---- the wrappers: stdio and directories --------------------------------------------------- */

/* The stream's descriptor was opened inside libc; learn it from the result.
 * F_GETFL tells us the flags the mode string became. (Writes made by stdio
 * itself stay invisible: they do not go through the PLT either.) */
static void ft_stream_opened(FILE *fp, uint64_t t0)
{
    int fd = fp ? fileno(fp) : -1;
    if (fd >= 0)
        ft_open_end(fd, ft_sys_getfl(fd), t0);
}

FT_EXPORT FILE *fopen(const char *path, const char *mode)
{
    if (!ft_active())
        return FT_REAL(fopen)(path, mode);
    uint64_t t0 = ft_now();
    FILE *ret = FT_REAL(fopen)(path, mode);
    int err = errno;
    ft_stream_opened(ret, t0);
    errno = err;
    return ret;
}

FT_EXPORT FILE *fopen64(const char *path, const char *mode)
{
    if (!ft_active())
        return FT_REAL(fopen64)(path, mode);
    uint64_t t0 = ft_now();
    FILE *ret = FT_REAL(fopen64)(path, mode);
    int err = errno;
    ft_stream_opened(ret, t0);
    errno = err;
    return ret;
}

/* fdopen opens nothing: the descriptor is already known (or will be named
 * at first use). It is here so the table lists the whole stdio surface that
 * touches descriptors, and records nothing. */
FT_EXPORT FILE *fdopen(int fd, const char *mode)
{
    return FT_REAL(fdopen)(fd, mode);
}

/* freopen closes the stream's old descriptor (even when it then fails) and
 * opens a new one, all inside libc. */
FT_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
    if (!ft_active())
        return FT_REAL(freopen)(path, mode, stream);
    int oldfd = stream ? fileno(stream) : -1;
    uint64_t t0 = ft_now();
    FILE *ret = FT_REAL(freopen)(path, mode, stream);
    int err = errno;
    if (oldfd >= 0 && !ft_vfork_child()) {
        ft_closed(oldfd, ft_fd_take(oldfd), t0, ft_now(), 0);
    }
    ft_stream_opened(ret, t0);
    errno = err;
    return ret;
}

FT_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
    if (!ft_active())
        return FT_REAL(freopen64)(path, mode, stream);
    int oldfd = stream ? fileno(stream) : -1;
    uint64_t t0 = ft_now();
    FILE *ret = FT_REAL(freopen64)(path, mode, stream);
    int err = errno;
    if (oldfd >= 0 && !ft_vfork_child()) {
        ft_closed(oldfd, ft_fd_take(oldfd), t0, ft_now(), 0);
    }
    ft_stream_opened(ret, t0);
    errno = err;
    return ret;
}

/* fclose releases the descriptor whatever it returns (fclose(3)). */
FT_EXPORT int fclose(FILE *stream)
{
    if (!ft_active())
        return FT_REAL(fclose)(stream);
    struct ft_close c;
    ft_close_begin(&c, stream ? fileno(stream) : -1);
    int ret = FT_REAL(fclose)(stream);
    int err = errno;
    ft_close_end(&c, ret, err);
    errno = err;
    return ret;
}

/* dirfd(3) before the call: afterwards the DIR is gone. glibc's closedir
 * accepts NULL (EINVAL); closedir is declared nonnull, so the test lives
 * where the compiler cannot drop it. */
static __attribute__((noinline)) int ft_dirfd(DIR *dir)
{
    return dir ? dirfd(dir) : -1;
}

FT_EXPORT int closedir(DIR *dir)
{
    if (!ft_active())
        return FT_REAL(closedir)(dir);
    struct ft_close c;
    ft_close_begin(&c, ft_dirfd(dir));
    int ret = FT_REAL(closedir)(dir);
    int err = errno;
    ft_close_end(&c, ret, err);
    errno = err;
    return ret;
}

/* ---- the wrappers: mappings ----------------------------------------------------------------- */

/* malloc maps anonymous private memory through here: one flags test and out. */
FT_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!ft_map_is_shared_file(flags, fd) || !ft_active())
        return FT_REAL(mmap)(addr, len, prot, flags, fd, off);
    void *ret = FT_REAL(mmap)(addr, len, prot, flags, fd, off);
    int err = errno;
    if (ret != MAP_FAILED) {
        ft_map_add(ret, len, fd);
    }
    errno = err;
    return ret;
}

FT_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
    if (!ft_map_is_shared_file(flags, fd) || !ft_active())
        return FT_REAL(mmap64)(addr, len, prot, flags, fd, off);
    void *ret = FT_REAL(mmap64)(addr, len, prot, flags, fd, off);
    int err = errno;
    if (ret != MAP_FAILED) {
        ft_map_add(ret, len, fd);
    }
    errno = err;
    return ret;
}

/* Forgotten before the call, so a new mapping at the same address made by
 * another thread right after it cannot be forgotten by mistake. */
FT_EXPORT int munmap(void *addr, size_t len)
{
    if (ft_active())
        ft_map_remove(addr, len);
    return FT_REAL(munmap)(addr, len);
}

/* ---- the wrappers: exec ------------------------------------------------------------------------- */

/* A successful exec ends this process image without running its
 * destructors, so the header is flagged FT_HDR_ENDED before the call, and
 * the flag is taken back if the call returns (it failed: the image goes on). */
FT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    if (!ft_active())
        return FT_REAL(execve)(path, argv, envp);
    int marked = ft_exec_begin();
    int ret = FT_REAL(execve)(path, argv, envp);
    int err = errno;
    ft_exec_failed(marked);
    errno = err;
    return ret;
}

FT_EXPORT int execv(const char *path, char *const argv[])
{
    if (!ft_active())
        return FT_REAL(execv)(path, argv);
    int marked = ft_exec_begin();
    int ret = FT_REAL(execv)(path, argv);
    int err = errno;
    ft_exec_failed(marked);
    errno = err;
    return ret;
}

FT_EXPORT int execvp(const char *file, char *const argv[])
{
    if (!ft_active())
        return FT_REAL(execvp)(file, argv);
    int marked = ft_exec_begin();
    int ret = FT_REAL(execvp)(file, argv);
    int err = errno;
    ft_exec_failed(marked);
    errno = err;
    return ret;
}

FT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    if (!ft_active())
        return FT_REAL(execvpe)(file, argv, envp);
    int marked = ft_exec_begin();
    int ret = FT_REAL(execvpe)(file, argv, envp);
    int err = errno;
    ft_exec_failed(marked);
    errno = err;
    return ret;
}

FT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    if (!ft_active())
        return FT_REAL(fexecve)(fd, argv, envp);
    int marked = ft_exec_begin();
    int ret = FT_REAL(fexecve)(fd, argv, envp);
    int err = errno;
    ft_exec_failed(marked);
    errno = err;
    return ret;
}

FT_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    if (!ft_active())
        return FT_REAL(execveat)(dirfd, path, argv, envp, flags);
    int marked = ft_exec_begin();
    int ret = FT_REAL(execveat)(dirfd, path, argv, envp, flags);
    int err = errno;
    ft_exec_failed(marked);
    errno = err;
    return ret;
}

/* The list forms cannot pass their arguments on; like glibc's own, they
 * gather them into a vector on the stack (execl(3): the list ends with a
 * null pointer, and execle's environment follows it) and go through the
 * vector form above, which does the flagging. */
static size_t ft_count_args(va_list ap)
{
    size_t n = 1; /* arg0, already taken */
    while (va_arg(ap, const char *) != NULL)
        n++;
    return n;
}

/* argv[0] = arg0, then the n - 1 arguments and the null that end the list,
 * taken from *ap (a pointer, so that execle can read on to its envp). */
static void ft_gather_args(const char **argv, const char *arg0, size_t n, va_list *ap)
{
    argv[0] = arg0;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(*ap, const char *);
}

FT_EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n = ft_count_args(ap);
    va_end(ap);
    const char *argv[n + 1];
    va_start(ap, arg);
    ft_gather_args(argv, arg, n, &ap);
    va_end(ap);
    return execv(path, (char *const *)argv);
}

FT_EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n = ft_count_args(ap);
    va_end(ap);
    const char *argv[n + 1];
    va_start(ap, arg);
    ft_gather_args(argv, arg, n, &ap);
    va_end(ap);
    return execvp(file, (char *const *)argv);
}

FT_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n = ft_count_args(ap);
    va_end(ap);
    const char *argv[n + 1];
    va_start(ap, arg);
    ft_gather_args(argv, arg, n, &ap);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, (char *const *)argv, envp);
}

/* ---- load and unload -------------------------------------------------------------------------- */

__attribute__((constructor)) static void ft_init(void)
{
    int mode = FT_LOAD(&ft_mode);
    if (mode == FT_MODE_UNREAD)
        mode = ft_config_load();
    FT_INTERPOSED(FT_RESOLVE_NOW)
    if (mode == FT_MODE_ON)
        pthread_atfork(NULL, NULL, ft_after_fork_child);
}

/* _exit(2) ends the image at once, without atexit handlers or destructors:
 * the header is flagged ended first, so a fork child that ends this way (the
 * usual way) is not taken for one that crashed. In a vfork child, which
 * shares its parent's memory, ft_mark_ended leaves the parent's file alone. */
FT_EXPORT void _exit(int status)
{
    if (ft_active())
        ft_mark_ended();
    FT_REAL(_exit)(status);
    for (;;) syscall(SYS_exit_group, status); /* not reached */
}

/* _Exit(3) is the same call under its C99 name (glibc makes it an alias;
 * GCC's builtin of that name cannot be taken by address, so it goes through
 * the real _exit). */
FT_EXPORT void _Exit(int status)
{
    if (ft_active())
        ft_mark_ended();
    FT_REAL(_exit)(status);
    for (;;) syscall(SYS_exit_group, status); /* not reached */
}

__attribute__((destructor)) static void ft_fini(void)
{
    ft_mark_ended();
}
