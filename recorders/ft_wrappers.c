/*
 * ft_wrappers.c — the interposed functions.
 *
 * FT_INTERPOSED (ft_table.h) is the one list of every function this
 * library replaces; the wrappers of each family are generated from it here
 * (FT_WRAP_<FAMILY>), and the OWN entries are written out below. Every
 * wrapper has the same shape:
 *
 *     if (!ft_on())                      pass-through: disabled, or ourselves
 *         return FT_REAL(f)(args);
 *     ft_X_begin(&state, ...);           look up the fd, take the time
 *     ret = FT_REAL(f)(args);            the real call: no lock held
 *     err = errno;
 *     ft_X_end(&state, ret, err);        update counters, append the record
 *     errno = err;
 *     return ret;                        exactly what libc returned
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>

#include "ft_calls.h"
#include "ft_table.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define FT_UNPAREN(...) __VA_ARGS__
#define FT_STR_(x) #x
#define FT_STR(x) FT_STR_(x)

/* dirfd(3) before the call: afterwards the DIR is gone. glibc's closedir
 * accepts NULL (EINVAL); closedir is declared nonnull, so the test lives
 * where the compiler cannot drop it. */
static __attribute__((noinline)) int ft_dirfd(DIR *dir)
{
    return dir ? dirfd(dir) : -1;
}

/* The stream's descriptor was opened inside libc; learn it from the result.
 * F_GETFL tells us the flags the mode string became. (Writes made by stdio
 * itself stay invisible: they do not go through the PLT either.) */
static void ft_stream_opened(FILE *fp, uint64_t t0, uint64_t created, const char *path)
{
    int fd = fp ? fileno(fp) : -1;
    if (fd >= 0)
        ft_open_end(fd, ft_sys_getfl(fd), t0, created, AT_FDCWD, path);
}

/* fopen(3)'s "w" and "a" modes create the file (O_CREAT), with "x" O_EXCL. */
static uint64_t ft_stream_creates(const char *path, const char *mode)
{
    if (!mode || (mode[0] != 'w' && mode[0] != 'a'))
        return FT_CREATES_NO;
    return ft_open_creates(AT_FDCWD, path, O_CREAT | (strchr(mode, 'x') ? O_EXCL : 0));
}

static void ft_reopened(int oldfd, FILE *fp, uint64_t t0, uint64_t created, const char *path)
{
    if (oldfd >= 0 && !ft_vfork_child())
        ft_closed(oldfd, ft_fd_take(oldfd), t0, ft_now(), 0);
    ft_stream_opened(fp, t0, created, path);
}

/* ---- the families ------------------------------------------------------------ */

/* The one shape, as the body of a wrapper: pass through when not recording,
 * else `before`, the real call (no lock held), errno saved, `after` (it sees
 * ret and err), errno restored, the real result returned. */
#define FT_AROUND(ret_t, f, args, before, after)                               \
    if (!ft_on())                                                              \
        return FT_REAL(f) args;                                                \
    before;                                                                    \
    ret_t ret = FT_REAL(f) args;                                               \
    int err = ft_errno;                                                        \
    after;                                                                     \
    ft_errno = err;                                                            \
    return ret;

/* fsync, fdatasync, syncfs: one record; the first two close the interval,
 * and are kept for the Node call they may serve (ft_link.h). */
#define FT_WRAP_SYNC(f, call, closes)                                          \
    FT_EXPORT FT_HOT_PAGE(f) int f(int fd)                                     \
    {                                                                          \
        struct ft_sync s;                                                      \
        FT_AROUND(int, f, (fd), ft_sync_begin(&s, call, fd, closes), ft_sync_end(&s, ret, err, 1)) \
    }

/* Writes: counted into the file's interval; a sync when the descriptor is
 * O_SYNC/O_DSYNC or the flags RWF_*SYNC. The common write (ft_write_plain:
 * a descriptor known, no sync flag, nothing to time) is the one shape cut
 * short: the real call, then one add to its file's count (ft_file_wrote
 * leaves errno alone); the others take the whole shape (ft_write_full_). */
#define FT_WRAP_WRITE(f, params, args, rwf)                                    \
    static __attribute__((noinline)) ssize_t ft_write_full_##f params          \
    {                                                                          \
        struct ft_write w;                                                     \
        ft_write_begin(&w, fd, rwf);                                           \
        ssize_t ret = FT_REAL(f) args;                                         \
        int err = ft_errno;                                                    \
        ft_write_end(&w, ret, err);                                            \
        ft_errno = err;                                                        \
        return ret;                                                            \
    }                                                                          \
    FT_EXPORT FT_HOT ssize_t f params                                          \
    {                                                                          \
        struct ft_file *file;                                                  \
        if (!ft_on())                                                          \
            return FT_REAL(f) args;                                            \
        if (FT_UNLIKELY(!ft_write_plain(fd, rwf, &file)))                      \
            return ft_write_full_##f args;                                     \
        ssize_t ret = FT_REAL(f) args;                                         \
        if (file && FT_LIKELY(ret >= 0))                                       \
            ft_file_wrote(file, (uint64_t)ret);                                \
        return ret;                                                            \
    }

/* Opens with a mode argument after the flags (open(2)). Whether the call
 * creates its file is asked before it (ft_open_creates). */
#define FT_WRAP_OPEN_MODE(f, params, args, dirfd_expr)                         \
    FT_EXPORT int f(FT_UNPAREN params, ...)                                    \
    {                                                                          \
        va_list ap;                                                            \
        va_start(ap, flags);                                                   \
        int mode = ft_va_mode(flags, ap);                                      \
        va_end(ap);                                                            \
        uint64_t t0 = 0;                                                       \
        uint64_t cr = 0;                                                       \
        FT_AROUND(int, f, args, cr = ft_open_creates(dirfd_expr, path, flags); t0 = ft_now(), \
                  ft_open_end(ret, flags, t0, cr, dirfd_expr, path))                             \
    }

#define FT_WRAP_OPEN(f, params, args, oflags, dirfd_expr)                      \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        uint64_t t0 = 0;                                                       \
        uint64_t cr = 0;                                                       \
        FT_AROUND(int, f, args, cr = ft_open_creates(dirfd_expr, path, oflags); t0 = ft_now(), \
                  ft_open_end(ret, oflags, t0, cr, dirfd_expr, path))                            \
    }

/* close, fclose, closedir: the descriptor is taken out of the table before
 * the call (ft_close_begin says why); fclose releases it whatever it
 * returns (fclose(3)). */
#define FT_WRAP_CLOSE(f, ret_t, params, args, fd_expr)                         \
    FT_EXPORT ret_t f params                                                   \
    {                                                                          \
        struct ft_close c;                                                     \
        FT_AROUND(ret_t, f, args, ft_close_begin(&c, fd_expr), ft_close_end(&c, ret, err)) \
    }

/* dup, dup2, dup3: the new fd refers to the same open file description. */
#define FT_WRAP_DUP(f, params, args)                                           \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        uint64_t t0 = 0;                                                       \
        FT_AROUND(int, f, args, t0 = ft_now(), ft_dup_end(fd, ret, t0))        \
    }

#define FT_WRAP_RENAME(f, params, args, od, o, nd, n, fl)                      \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        uint64_t t0 = 0;                                                       \
        FT_AROUND(int, f, args, t0 = ft_now(), if (ret == 0) ft_renamed(od, o, nd, n, fl, t0)) \
    }

/* link, linkat: a second name for a file (and the name an O_TMPFILE file
 * takes); unlink, unlinkat: a name removed. Recorded when the call succeeded. */
#define FT_WRAP_LINK(f, params, args, od, o, nd, n, fl)                        \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        uint64_t t0 = 0;                                                       \
        FT_AROUND(int, f, args, t0 = ft_now(), if (ret == 0) ft_linked(od, o, nd, n, fl, t0)) \
    }

#define FT_WRAP_UNLINK(f, params, args, d, p, fl)                              \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        struct ft_unlink u;                                                    \
        FT_AROUND(int, f, args, ft_unlink_begin(&u, d, p, fl), if (ret == 0) ft_unlink_end(&u, d, p)) \
    }

#define FT_WRAP_STREAM(f)                                                      \
    FT_EXPORT FILE *f(const char *path, const char *mode)                      \
    {                                                                          \
        uint64_t t0 = 0;                                                       \
        uint64_t cr = 0;                                                       \
        FT_AROUND(FILE *, f, (path, mode), cr = ft_stream_creates(path, mode); t0 = ft_now(), \
                  ft_stream_opened(ret, t0, cr, path))                               \
    }

/* freopen closes the stream's old descriptor (even when it then fails) and
 * opens a new one, all inside libc. */
#define FT_WRAP_REOPEN(f)                                                      \
    FT_EXPORT FILE *f(const char *path, const char *mode, FILE *stream)        \
    {                                                                          \
        int oldfd = stream ? fileno(stream) : -1;                              \
        uint64_t t0 = 0;                                                       \
        uint64_t cr = 0;                                                       \
        FT_AROUND(FILE *, f, (path, mode, stream), cr = ft_stream_creates(path, mode); t0 = ft_now(), \
                  ft_reopened(oldfd, ret, t0, cr, path))                             \
    }

/* Shared file mappings, so that msync can name its file; malloc maps
 * anonymous private memory through here: one flags test and out. */
#define FT_WRAP_MMAP(f, off_type)                                              \
    FT_EXPORT void *f(void *addr, size_t len, int prot, int flags, int fd, off_type off) \
    {                                                                          \
        if (!ft_map_is_shared_file(flags, fd) && !(flags & MAP_FIXED))         \
            return FT_REAL(f)(addr, len, prot, flags, fd, off);                \
        FT_AROUND(void *, f, (addr, len, prot, flags, fd, off), (void)0,       \
                  ft_mapped(ret, len, prot, flags, fd))                        \
    }

/* A successful exec ends this process image without running its
 * destructors, so the header is flagged FT_HDR_ENDED before the call, and
 * the flag is taken back if the call returns (it failed: the image goes
 * on). A SIGBUS the program ignores is handed on as ignored (ft_signal.c). */
#define FT_WRAP_EXEC(f, params, args)                                          \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        int marked = 0;                                                        \
        FT_AROUND(int, f, args, marked = ft_exec_begin(); ft_signal_exec(1),   \
                  ft_signal_exec(0); ft_exec_failed(marked))                   \
    }

/* A new descriptor made inside libc or by a call with no open flags:
 * whatever its number held before is forgotten (it was closed where we
 * could not see it). */
#define FT_WRAP_NEWFD(f, params, args)                                         \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        FT_AROUND(int, f, args, (void)0, ft_fd_new(ret))                       \
    }

#define FT_WRAP_NEWFD2(f, params, args, fds)                                   \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        FT_AROUND(int, f, args, (void)0, if (ret == 0) { ft_fd_new(fds[0]); ft_fd_new(fds[1]); }) \
    }

/* mkstemp and friends open a new file inside libc: named like an open. */
#define FT_WRAP_TEMP(f, params, args, oflags)                                  \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        uint64_t t0 = 0;                                                       \
        FT_AROUND(int, f, args, t0 = ft_now(),                                 \
                  ft_open_end(ret, O_RDWR | O_CREAT | O_EXCL | (oflags), t0, 1, AT_FDCWD, ret >= 0 ? t : NULL)) \
    }

/* chdir, fchdir: names relative to the working directory change meaning
 * (ft_dirs.c keeps its name). */
#define FT_WRAP_CWD(f, params, args)                                           \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        FT_AROUND(int, f, args, (void)0, if (ret == 0) ft_cwd_changed())       \
    }

/* setuid and friends: a root process about to become another user makes
 * that user's trace directory first (ft_uid_prepare), while it still can. */
#define FT_WRAP_SETID(f, params, args, euid)                                   \
    FT_EXPORT int f params                                                     \
    {                                                                          \
        FT_AROUND(int, f, args, ft_uid_prepare((uint32_t)(euid)), (void)0)     \
    }

#define FT_WRAP_OWN(f) /* written out below */

#define FT_WRAP(fam, f, stand_in, ...) FT_WRAP_##fam(f, ##__VA_ARGS__)
FT_INTERPOSED(FT_WRAP)

/* ---- the OWN entries: durability calls with their own records ------------------- */

/* Starts writeback of a range but makes nothing durable (sync_file_range(2):
 * "extremely dangerous"), so it leaves the interval open. */
FT_EXPORT int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
    if (!ft_on())
        return FT_REAL(sync_file_range)(fd, offset, nbytes, flags);
    struct ft_sync s;
    ft_sync_begin(&s, FT_C_SYNC_FILE_RANGE, fd, 0);
    int ret = FT_REAL(sync_file_range)(fd, offset, nbytes, flags);
    int err = errno;
    s.ev.bytes = (uint64_t)offset;
    s.ev.writes = flags;
    s.ev.ival_start_ns = (uint64_t)nbytes;
    ft_sync_end(&s, ret, err, 0);
    errno = err;
    return ret;
}

FT_EXPORT void sync(void)
{
    if (!ft_on()) {
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
    ft_sync_end(&s, 0, 0, 0);
    errno = saved;
}

FT_EXPORT int msync(void *addr, size_t length, int flags)
{
    if (!ft_on())
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
    ft_sync_end(&s, ret, err, 0);
    errno = err;
    return ret;
}

/* ---- the OWN entries: the descriptor table ------------------------------------------ */

/* Only F_DUPFD and F_DUPFD_CLOEXEC change the table; every other command
 * goes straight through with its argument as glibc would pass it. */
FT_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!ft_on() || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
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
    if (!ft_on() || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
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
    if (!ft_on())
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
    if (!ft_on()) {
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

/* Forgotten before the call, so a new mapping at the same address made by
 * another thread right after it cannot be forgotten by mistake. */
FT_EXPORT int munmap(void *addr, size_t len)
{
    if (ft_on())
        ft_map_remove(addr, len);
    return FT_REAL(munmap)(addr, len);
}

/* mremap moves or resizes a mapping: msync names its file at the new place. */
FT_EXPORT void *mremap(void *old, size_t len, size_t new_len, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    void *to = va_arg(ap, void *);
    va_end(ap);
    FT_AROUND(void *, mremap, (old, len, new_len, flags, to), (void)0,
              if (ret != MAP_FAILED) ft_remapped(old, len, ret, new_len, flags))
}

/* ---- the OWN entries: POSIX AIO ------------------------------------------------------ */

/* aio_fsync is declared nonnull; glibc still reads the descriptor through
 * the pointer, so a NULL faults there, not here. */
static __attribute__((noinline)) int ft_aio_fd(const struct aiocb *cb)
{
    return cb ? cb->aio_fildes : -1;
}

/* glibc's AIO threads call fsync inside libc, where no wrapper sees it. The
 * request is noted when it is queued (its interval is what was written
 * before) and recorded when the program learns it completed: aio_error no
 * longer EINPROGRESS, or aio_return. Its duration runs from the queueing to
 * then, an upper bound of the sync's own. */
FT_EXPORT int aio_fsync(int op, struct aiocb *cb)
{
    struct ft_sync s;
    FT_AROUND(int, aio_fsync, (op, cb), ft_sync_begin(&s, op == O_DSYNC ? FT_C_FDATASYNC : FT_C_FSYNC, ft_aio_fd(cb), 1),
              if (ret == 0) ft_aio_queued(cb, &s))
}

FT_EXPORT int aio_error(const struct aiocb *cb)
{
    FT_AROUND(int, aio_error, (cb), (void)0, if (ret != EINPROGRESS) ft_aio_done(cb, ret == 0 ? 0 : -1, ret))
}

FT_EXPORT ssize_t aio_return(struct aiocb *cb)
{
    FT_AROUND(ssize_t, aio_return, (cb), (void)0, ft_aio_done(cb, ret, err))
}

/* ---- the OWN entries: raw system calls and children in our memory --------------------- */

/* syscall(2): the calls this library follows are recorded as their libc
 * functions would be (libuv closes files with syscall(SYS_close); Go-style
 * code syncs this way); any other number goes straight through. */
#undef syscall
FT_EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (!ft_raw_followed(n))
        return FT_REAL(syscall)(n, a[0], a[1], a[2], a[3], a[4], a[5]);
    struct ft_raw r;
    FT_AROUND(long, syscall, (n, a[0], a[1], a[2], a[3], a[4], a[5]), ft_raw_begin(&r, n, a),
              ft_raw_end(&r, ret, err))
}

/* vfork(2): the child runs on this thread's stack, memory and thread-local
 * state until it execs or exits, while the parent waits. Whatever it did
 * through us would land in the parent's trace and descriptor table, so the
 * thread is marked (ft_thr.in_vfork) across the call: the child runs with
 * the mark, and the parent takes it off when it resumes. In assembly, as
 * glibc's own: the return address is kept in a register, because the
 * child's later calls overwrite the stack slot it came from. */
__attribute__((used)) void ft_vfork_enter(void)
{
    ft_thr.in_vfork++;
}

__attribute__((used)) long ft_vfork_leave(long ret)
{
    ft_thr.in_vfork--;
    if ((unsigned long)ret > -4096UL) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "    subq $8, %rsp\n"
        "    call ft_vfork_enter\n"
        "    addq $8, %rsp\n"
        "    popq %rdi\n"             /* the return address */
        "    movl $" FT_STR(SYS_vfork) ", %eax\n"
        "    syscall\n"
        "    pushq %rdi\n"
        "    testq %rax, %rax\n"
        "    jz 1f\n"                 /* the child: 0, the mark stays */
        "    pushq %rax\n"            /* (keeps the stack aligned for the call) */
        "    movq %rax, %rdi\n"
        "    call ft_vfork_leave\n"
        "    addq $8, %rsp\n"
        "1:  ret\n"
        ".size vfork, .-vfork\n");

/* clone(2) with CLONE_VM and no TLS of the child's own: like vfork, the
 * child runs on this thread's state. With CLONE_VFORK (posix_spawn's way)
 * the parent waits inside the real call, so the mark covers the child's
 * whole life; without it the child may outlive the mark (a blind spot:
 * glibc itself does not support libc calls from such a child). */
FT_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    pid_t *ptid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *ctid = va_arg(ap, pid_t *);
    va_end(ap);
    int shares = (flags & CLONE_VM) && !(flags & CLONE_SETTLS);
    if (shares)
        ft_thr.in_vfork++;
    int ret = FT_REAL(clone)(fn, stack, flags, arg, ptid, tls, ctid);
    int err = errno;
    if (shares)
        ft_thr.in_vfork--;
    errno = err;
    return ret;
}

/* ---- load and unload -------------------------------------------------------------------------- */

__attribute__((constructor)) static void ft_init(void)
{
    int mode = FT_LOAD(&ft_mode);
    if (mode == FT_MODE_UNREAD)
        mode = ft_config_load();
    ft_table_resolve();
    if (mode == FT_MODE_ON)
        pthread_atfork(NULL, NULL, ft_after_fork_child);
}

/* _exit(2) ends the image at once, without atexit handlers or destructors:
 * the header is flagged ended first, so a fork child that ends this way (the
 * usual way) is not taken for one that crashed. In a vfork child, which
 * shares its parent's memory, ft_mark_ended leaves the parent's file alone. */
FT_EXPORT void _exit(int status)
{
    if (ft_on()) {
        ft_exit_closes();
        ft_mark_ended();
    }
    FT_REAL(_exit)(status);
    for (;;) ft_syscall(SYS_exit_group, status); /* not reached */
}

/* _Exit(3) is the same call under its C99 name. */
FT_EXPORT void _Exit(int status)
{
    if (ft_on()) {
        ft_exit_closes();
        ft_mark_ended();
    }
    FT_REAL(_Exit)(status);
    for (;;) ft_syscall(SYS_exit_group, status); /* not reached */
}

/* exit(3) runs this after the program's own atexit handlers and
 * destructors: files still open are closed by the kernel next. */
__attribute__((destructor)) static void ft_fini(void)
{
    if (ft_on())
        ft_exit_closes();
    ft_mark_ended();
}
