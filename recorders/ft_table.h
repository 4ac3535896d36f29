/*
 * ft_table.h — the one list of every function this library interposes.
 *
 * FT_INTERPOSED is that list. Each entry is X(FAMILY, name, STAND_IN, ...):
 *
 *  - FAMILY says which shape of wrapper ft_wrappers.c generates for it
 *    (FT_WRAP_<FAMILY>), the rest of the entry being what that shape needs;
 *    OWN entries are written out by hand (ft_wrappers.c, ft_signal.c):
 *    calls whose arguments or results need more than the family shape;
 *  - STAND_IN is RAW when ft_table.c has a raw-syscall stand-in, used while
 *    the real function cannot be found (a call made from inside dlsym), or
 *    NONE: the function has no one syscall (stdio, a PATH search), is never
 *    called from inside dlsym, and is resolved in our constructor.
 *
 * Every entry gets its real function, found with dlsym(RTLD_NEXT) in our
 * constructor or at first use: FT_REAL(name), an expression (no macro here
 * hides a return).
 */
#ifndef FT_TABLE_H
#define FT_TABLE_H

#include <aio.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ft_config.h"

/* The fortified entry points (_FORTIFY_SOURCE turns open() into these when
 * the mode argument is provably unneeded); glibc declares them only then. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
__sighandler_t bsd_signal(int sig, __sighandler_t h);

#define FT_INTERPOSED(X)                                                                          \
    /* durability calls: one FT_T_SYNC record each */                                             \
    X(SYNC, fsync, RAW, FT_C_FSYNC, 1)                                                            \
    X(SYNC, fdatasync, RAW, FT_C_FDATASYNC, 1)                                                    \
    X(SYNC, syncfs, RAW, FT_C_SYNCFS, 0)                                                          \
    X(OWN, sync_file_range, RAW) X(OWN, sync, RAW) X(OWN, msync, RAW)                             \
    /* writes: per-file counters; a sync record on O_SYNC/O_DSYNC/RWF_*SYNC */                    \
    X(WRITE, write, RAW, (int fd, const void *b, size_t n), (fd, b, n), 0)                        \
    X(WRITE, pwrite, RAW, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), 0)           \
    X(WRITE, pwrite64, RAW, (int fd, const void *b, size_t n, off64_t o), (fd, b, n, o), 0)       \
    X(WRITE, writev, RAW, (int fd, const struct iovec *v, int c), (fd, v, c), 0)                  \
    X(WRITE, pwritev, RAW, (int fd, const struct iovec *v, int c, off_t o), (fd, v, c, o), 0)     \
    X(WRITE, pwritev64, RAW, (int fd, const struct iovec *v, int c, off64_t o), (fd, v, c, o), 0) \
    X(WRITE, pwritev2, RAW, (int fd, const struct iovec *v, int c, off_t o, int fl),              \
      (fd, v, c, o, fl), fl)                                                                      \
    X(WRITE, pwritev64v2, RAW, (int fd, const struct iovec *v, int c, off64_t o, int fl),         \
      (fd, v, c, o, fl), fl)                                                                      \
    /* copies into a file count as its writes (fd names the file written to) */                  \
    X(WRITE, copy_file_range, NONE, (int in, off64_t *oi, int fd, off64_t *oo, size_t n, unsigned fl), \
      (in, oi, fd, oo, n, fl), 0)                                                                 \
    X(WRITE, sendfile, NONE, (int fd, int in, off_t *o, size_t n), (fd, in, o, n), 0)             \
    X(WRITE, sendfile64, NONE, (int fd, int in, off64_t *o, size_t n), (fd, in, o, n), 0)         \
    X(WRITE, splice, NONE, (int in, off64_t *oi, int fd, off64_t *oo, size_t n, unsigned fl),     \
      (in, oi, fd, oo, n, fl), 0)                                                                 \
    /* aio_fsync: recorded when the program learns it completed (aio_error, aio_return) */        \
    X(OWN, aio_fsync, NONE) X(OWN, aio_error, NONE) X(OWN, aio_return, NONE)                      \
    /* opens: name the file, start its interval; the variadic ones take a mode; the last      \
     * argument is the directory the path is resolved from (does the open create the file?) */  \
    X(OPEN_MODE, open, RAW, (const char *path, int flags), (path, flags, mode), AT_FDCWD)         \
    X(OPEN_MODE, open64, RAW, (const char *path, int flags), (path, flags, mode), AT_FDCWD)       \
    X(OPEN_MODE, openat, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags, mode), dirfd) \
    X(OPEN_MODE, openat64, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags, mode), dirfd) \
    X(OPEN, creat, RAW, (const char *path, mode_t m), (path, m), O_CREAT | O_WRONLY | O_TRUNC, AT_FDCWD) \
    X(OPEN, creat64, RAW, (const char *path, mode_t m), (path, m), O_CREAT | O_WRONLY | O_TRUNC, AT_FDCWD) \
    X(OPEN, __open_2, RAW, (const char *path, int flags), (path, flags), flags, AT_FDCWD)         \
    X(OPEN, __open64_2, RAW, (const char *path, int flags), (path, flags), flags, AT_FDCWD)       \
    X(OPEN, __openat_2, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags), flags, dirfd) \
    X(OPEN, __openat64_2, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags), flags, dirfd) \
    /* descriptor table changes */                                                                \
    X(CLOSE, close, RAW, int, (int fd), (fd), fd)                                                 \
    X(DUP, dup, RAW, (int fd), (fd))                                                              \
    X(DUP, dup2, RAW, (int fd, int fd2), (fd, fd2))                                               \
    X(DUP, dup3, RAW, (int fd, int fd2, int fl), (fd, fd2, fl))                                   \
    X(OWN, fcntl, RAW) X(OWN, fcntl64, RAW) X(OWN, close_range, RAW) X(OWN, closefrom, RAW)      \
    /* new descriptors made where no open wrapper sees them: a number closed behind                \
     * our back (a raw close) never lends its old file to them */                                 \
    X(NEWFD, socket, NONE, (int d, int t, int p), (d, t, p))                                      \
    X(NEWFD, accept, NONE, (int s, struct sockaddr *a, socklen_t *l), (s, a, l))                  \
    X(NEWFD, accept4, NONE, (int s, struct sockaddr *a, socklen_t *l, int fl), (s, a, l, fl))     \
    X(NEWFD, eventfd, NONE, (unsigned v, int fl), (v, fl))                                        \
    X(NEWFD, epoll_create, NONE, (int n), (n)) X(NEWFD, epoll_create1, NONE, (int fl), (fl))      \
    X(NEWFD, memfd_create, NONE, (const char *name, unsigned fl), (name, fl))                     \
    X(NEWFD, signalfd, NONE, (int fd, const sigset_t *m, int fl), (fd, m, fl))                    \
    X(NEWFD, timerfd_create, NONE, (int c, int fl), (c, fl))                                      \
    X(NEWFD, inotify_init, NONE, (void), ()) X(NEWFD, inotify_init1, NONE, (int fl), (fl))        \
    X(NEWFD2, pipe, NONE, (int p[2]), (p), p) X(NEWFD2, pipe2, NONE, (int p[2], int fl), (p, fl), p) \
    X(NEWFD2, socketpair, NONE, (int d, int t, int pr, int sv[2]), (d, t, pr, sv), sv)            \
    /* ... and files mkstemp opens inside libc: named like an open */                            \
    X(TEMP, mkstemp, NONE, (char *t), (t), 0) X(TEMP, mkstemp64, NONE, (char *t), (t), 0)         \
    X(TEMP, mkostemp, NONE, (char *t, int fl), (t, fl), fl)                                       \
    X(TEMP, mkostemp64, NONE, (char *t, int fl), (t, fl), fl)                                     \
    X(TEMP, mkstemps, NONE, (char *t, int sl), (t, sl), 0)                                        \
    X(TEMP, mkstemps64, NONE, (char *t, int sl), (t, sl), 0)                                      \
    X(TEMP, mkostemps, NONE, (char *t, int sl, int fl), (t, sl, fl), fl)                          \
    X(TEMP, mkostemps64, NONE, (char *t, int sl, int fl), (t, sl, fl), fl)                        \
    /* the working directory: relative names are named after it */                             \
    X(CWD, chdir, NONE, (const char *p), (p)) X(CWD, fchdir, NONE, (int fd), (fd))                \
    /* privileges: before becoming another user, a trace directory of its own */                  \
    X(SETID, setuid, NONE, (uid_t u), (u), u) X(SETID, seteuid, NONE, (uid_t u), (u), u)          \
    X(SETID, setreuid, NONE, (uid_t r, uid_t e), (r, e), e)                                       \
    X(SETID, setresuid, NONE, (uid_t r, uid_t e, uid_t s), (r, e, s), e)                          \
    /* raw system calls: those of the calls above are recorded as the calls */                    \
    X(OWN, syscall, RAW)                                                                          \
    /* children that run in our memory must not record (vfork is assembly) */                     \
    X(OWN, vfork, NONE) X(OWN, clone, NONE)                                                       \
    /* names */                                                                                   \
    X(RENAME, rename, RAW, (const char *a, const char *b), (a, b), AT_FDCWD, a, AT_FDCWD, b, 0)   \
    X(RENAME, renameat, RAW, (int da, const char *a, int db, const char *b), (da, a, db, b),       \
      da, a, db, b, 0)                                                                            \
    X(RENAME, renameat2, RAW, (int da, const char *a, int db, const char *b, unsigned fl),        \
      (da, a, db, b, fl), da, a, db, b, fl)                                                       \
    /* second names (an O_TMPFILE file linked in by its descriptor takes the name) and          \
     * removed names: the durability lint reads them */                                          \
    X(LINK, link, RAW, (const char *a, const char *b), (a, b), AT_FDCWD, a, AT_FDCWD, b, 0)       \
    X(LINK, linkat, RAW, (int da, const char *a, int db, const char *b, int fl),                  \
      (da, a, db, b, fl), da, a, db, b, fl)                                                       \
    X(UNLINK, unlink, RAW, (const char *p), (p), AT_FDCWD, p, 0)                                  \
    X(UNLINK, unlinkat, RAW, (int d, const char *p, int fl), (d, p, fl), d, p, fl)                \
    /* stdio and directories: glibc opens and closes inside these without                        \
     * going through the PLT, so we would never see the descriptor change */                      \
    X(STREAM, fopen, NONE) X(STREAM, fopen64, NONE)                                               \
    X(REOPEN, freopen, NONE) X(REOPEN, freopen64, NONE)                                           \
    X(CLOSE, fclose, NONE, int, (FILE *s), (s), s ? fileno(s) : -1)                               \
    X(CLOSE, closedir, NONE, int, (DIR *d), (d), ft_dirfd(d))                                     \
    /* shared file mappings, so that msync can name its file */                                   \
    X(MMAP, mmap, RAW, off_t) X(MMAP, mmap64, RAW, off64_t) X(OWN, munmap, RAW) X(OWN, mremap, RAW) \
    /* the image ends at a successful exec: the header says so before it */                       \
    X(EXEC, execve, RAW, (const char *p, char *const a[], char *const e[]), (p, a, e))            \
    X(EXEC, execv, RAW, (const char *p, char *const a[]), (p, a))                                 \
    X(EXEC, execvp, NONE, (const char *p, char *const a[]), (p, a))                               \
    X(EXEC, execvpe, NONE, (const char *p, char *const a[], char *const e[]), (p, a, e))          \
    X(EXEC, fexecve, RAW, (int fd, char *const a[], char *const e[]), (fd, a, e))                 \
    X(EXEC, execveat, RAW, (int d, const char *p, char *const a[], char *const e[], int fl),      \
      (d, p, a, e, fl))                                                                           \
    /* the list forms gather their arguments and go through the vector forms */                   \
    X(OWN, execl, NONE) X(OWN, execlp, NONE) X(OWN, execle, NONE)                                 \
    /* ... and at _exit, which runs no destructor (a fork child's usual end) */                   \
    X(OWN, _exit, RAW) X(OWN, _Exit, RAW)                                                         \
    /* SIGBUS from a truncated trace (ft_signal.c): the program's SIGBUS                          \
     * action is kept by us, not installed */                                                     \
    X(OWN, sigaction, NONE) X(OWN, signal, NONE) X(OWN, bsd_signal, NONE) X(OWN, sysv_signal, NONE)

#define FT_DECLARE(fam, f, stand_in, ...) __typeof__(&f) ft_resolve_##f(void);
FT_INTERPOSED(FT_DECLARE)

/* Each entry's real function is ft_hot.real[FT_I_<name>]: in the hot page
 * (ft_base.h), with the other globals a wrapper reads. */
#define FT_INDEX(fam, f, stand_in, ...) FT_I_##f,
enum ft_real_index { FT_INTERPOSED(FT_INDEX) FT_N_REALS };
_Static_assert(FT_N_REALS <= FT_REALS_MAX, "FT_REALS_MAX (ft_base.h) holds every entry");

/* The real function: an expression, so no macro hides a return. */
#define FT_REAL(f)                                                             \
    ({                                                                         \
        __typeof__(&f) real_ = (__typeof__(&f))FT_LOAD(&ft_hot.real[FT_I_##f]); \
        FT_LIKELY(real_ != NULL) ? real_ : ft_resolve_##f();                   \
    })

/* open's mode is only read when the flags need one (open(2): O_CREAT,
 * O_TMPFILE); we fetch it the same way and always pass it on, harmlessly. */
static inline int ft_va_mode(int flags, va_list ap)
{
    return __OPEN_NEEDS_MODE(flags) ? va_arg(ap, int) : 0;
}

/* Resolve every entry now (our constructor). */
void ft_table_resolve(void);

/* exec: hand the program's SIG_IGN for SIGBUS on (1), or take it back (0)
 * (ft_signal.c). */
void ft_signal_exec(int begin);

#endif /* FT_TABLE_H */
