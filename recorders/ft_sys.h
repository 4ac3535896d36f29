/*
 * ft_sys.h — raw system calls and string helpers (ft_sys.c): leaves that
 * never enter one of our wrappers and never allocate.
 */
#ifndef FT_SYS_H
#define FT_SYS_H

#include "ft_base.h"

/* Each returns the kernel's result or -1 with errno set, like libc, but never
 * enters one of our wrappers. */
int ft_sys_openat(int dirfd, const char *path, int flags, int mode);
int ft_sys_close(int fd);
ssize_t ft_sys_readlink(const char *path, char *buf, size_t size);
ssize_t ft_sys_read_file(const char *path, char *buf, size_t size);
int ft_sys_fstat(int fd, uint64_t *dev, uint64_t *ino, uint32_t *mode);
/* What an open learns of its file (statx(2) on the descriptor; fstat(2)
 * where statx is refused): times in ns since the epoch, birth 0 when the
 * filesystem does not keep it. One system call either way. */
struct ft_stat {
    uint64_t dev, ino;
    uint32_t mode;
    uint64_t btime_ns, ctime_ns, atime_ns;
};
int ft_sys_fstatx(int fd, struct ft_stat *st);
int ft_sys_getfl(int fd);
void *ft_sys_mmap_anon(size_t len);
/* *slot, made at first use: len bytes of ft_sys_mmap_anon memory, filled by
 * init (or left zero) and installed with compare-and-swap. Whoever loses the
 * race (another thread, the code a signal handler interrupted) unmaps its
 * copy and takes the winner's. Async-signal-safe; a fork child keeps what
 * was installed. NULL when there is no memory. */
void *ft_sys_mmap_install(void **slot, size_t len, void (*init)(void *));
static inline void *ft_sys_mmap_once(void **slot, size_t len, void (*init)(void *))
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    return p ? p : ft_sys_mmap_install(slot, len, init);
}
int ft_sys_getpid(void);

/* syscall(2) is interposed (ft_wrappers.c), so our own raw calls must not go
 * through it: every raw call in this library is ft_syscall, which enters
 * the kernel directly and returns like libc's (-1 and errno on failure).
 * A syscall() written here by mistake becomes it too. */
#include <unistd.h>
long ft_syscall(long n, ...);
#define syscall ft_syscall

size_t ft_cat(char *dst, size_t at, size_t size, const char *src);
size_t ft_cat_u64(char *dst, size_t at, size_t size, uint64_t v, int width);

#endif /* FT_SYS_H */
