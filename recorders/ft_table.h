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

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ft_base.h"

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
    /* opens: name the file, start its interval; the variadic ones take a mode */                 \
    X(OPEN_MODE, open, RAW, (const char *path, int flags), (path, flags, mode))                   \
    X(OPEN_MODE, open64, RAW, (const char *path, int flags), (path, flags, mode))                 \
    X(OPEN_MODE, openat, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags, mode)) \
    X(OPEN_MODE, openat64, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags, mode)) \
    X(OPEN, creat, RAW, (const char *path, mode_t m), (path, m), O_CREAT | O_WRONLY | O_TRUNC)   \
    X(OPEN, creat64, RAW, (const char *path, mode_t m), (path, m), O_CREAT | O_WRONLY | O_TRUNC) \
    X(OPEN, __open_2, RAW, (const char *path, int flags), (path, flags), flags)                   \
    X(OPEN, __open64_2, RAW, (const char *path, int flags), (path, flags), flags)                 \
    X(OPEN, __openat_2, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags), flags) \
    X(OPEN, __openat64_2, RAW, (int dirfd, const char *path, int flags), (dirfd, path, flags), flags) \
    /* descriptor table changes */                                                                \
    X(CLOSE, close, RAW, int, (int fd), (fd), fd)                                                 \
    X(DUP, dup, RAW, (int fd), (fd))                                                              \
    X(DUP, dup2, RAW, (int fd, int fd2), (fd, fd2))                                               \
    X(DUP, dup3, RAW, (int fd, int fd2, int fl), (fd, fd2, fl))                                   \
    X(OWN, fcntl, RAW) X(OWN, fcntl64, RAW) X(OWN, close_range, RAW) X(OWN, closefrom, RAW)      \
    /* names */                                                                                   \
    X(RENAME, rename, RAW, (const char *a, const char *b), (a, b), AT_FDCWD, a, AT_FDCWD, b, 0)   \
    X(RENAME, renameat, RAW, (int da, const char *a, int db, const char *b), (da, a, db, b),       \
      da, a, db, b, 0)                                                                            \
    X(RENAME, renameat2, RAW, (int da, const char *a, int db, const char *b, unsigned fl),        \
      (da, a, db, b, fl), da, a, db, b, fl)                                                       \
    /* stdio and directories: glibc opens and closes inside these without                        \
     * going through the PLT, so we would never see the descriptor change */                      \
    X(STREAM, fopen, NONE) X(STREAM, fopen64, NONE)                                               \
    X(REOPEN, freopen, NONE) X(REOPEN, freopen64, NONE)                                           \
    X(CLOSE, fclose, NONE, int, (FILE *s), (s), s ? fileno(s) : -1)                               \
    X(CLOSE, closedir, NONE, int, (DIR *d), (d), ft_dirfd(d))                                     \
    /* shared file mappings, so that msync can name its file */                                   \
    X(MMAP, mmap, RAW, off_t) X(MMAP, mmap64, RAW, off64_t) X(OWN, munmap, RAW)                   \
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

#define FT_DECLARE(fam, f, stand_in, ...)                                      \
    extern __typeof__(&f) ft_real_##f;                                         \
    __typeof__(&f) ft_resolve_##f(void);
FT_INTERPOSED(FT_DECLARE)

/* The real function: an expression, so no macro hides a return. */
#define FT_REAL(f)                                                             \
    ({                                                                         \
        __typeof__(&f) real_ = FT_LOAD(&ft_real_##f);                          \
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
