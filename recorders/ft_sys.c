/*
 * ft_sys.c — raw system calls and string helpers (ft_sys.h): leaves that
 * never enter one of our wrappers, never allocate, and are safe in a
 * signal handler.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ft_sys.h"

/* ---- raw syscalls --------------------------------------------------------- */

int ft_sys_openat(int dirfd, const char *path, int flags, int mode)
{
    return (int)ft_syscall(SYS_openat, dirfd, path, flags, mode);
}

int ft_sys_close(int fd)
{
    return (int)ft_syscall(SYS_close, fd);
}

ssize_t ft_sys_readlink(const char *path, char *buf, size_t size)
{
    return ft_syscall(SYS_readlinkat, AT_FDCWD, path, buf, size);
}

/* Read a small file whole (procfs, sysfs). Returns bytes read or -1. */
ssize_t ft_sys_read_file(const char *path, char *buf, size_t size)
{
    int fd = ft_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < size) {
        ssize_t n = ft_syscall(SYS_read, fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    ft_sys_close(fd);
    return (ssize_t)got;
}

int ft_sys_fstat(int fd, uint64_t *dev, uint64_t *ino, uint32_t *mode)
{
    struct stat st;
    if (ft_syscall(SYS_fstat, fd, &st) < 0)
        return -1;
    *dev = st.st_dev;
    *ino = st.st_ino;
    *mode = st.st_mode;
    return 0;
}

static uint64_t ft_ns(int64_t sec, uint32_t nsec)
{
    return sec < 0 ? 0 : (uint64_t)sec * 1000000000u + nsec;
}

static int ft_statx_refused; /* ENOSYS (before 4.11) or a seccomp filter: fstat from then on */

int ft_sys_fstatx(int fd, struct ft_stat *out)
{
    struct statx sx;
    if (!FT_LOAD(&ft_statx_refused)) {
        int saved = errno;
        if (ft_syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_BTIME | STATX_CTIME | STATX_ATIME,
                    &sx) == 0) {
            out->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor); /* st_dev's encoding */
            out->ino = sx.stx_ino;
            out->mode = sx.stx_mode;
            out->btime_ns = (sx.stx_mask & STATX_BTIME) ? ft_ns(sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec) : 0;
            out->ctime_ns = ft_ns(sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec);
            out->atime_ns = ft_ns(sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec);
            return 0;
        }
        if (errno != ENOSYS && errno != EPERM)
            return -1; /* EBADF: not open */
        errno = saved;
        FT_STORE(&ft_statx_refused, 1);
    }
    struct stat st;
    if (ft_syscall(SYS_fstat, fd, &st) < 0)
        return -1;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->mode = st.st_mode;
    out->btime_ns = 0;
    out->ctime_ns = ft_ns(st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec);
    out->atime_ns = ft_ns(st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec);
    return 0;
}

int ft_sys_getfl(int fd)
{
    return (int)ft_syscall(SYS_fcntl, fd, F_GETFL);
}

/* Process-local memory for our tables: never malloc (we may be inside it, or
 * in a signal handler). MAP_NORESERVE: only the pages we touch cost memory. */
void *ft_sys_mmap_anon(size_t len)
{
    void *p = (void *)ft_syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

#if !defined(__x86_64__)
#error "ft_syscall (and vfork in ft_wrappers.c) enter the kernel in x86-64 assembly"
#endif

/* The system call convention (syscall(2), "Architecture calling
 * conventions"): number in rax, arguments in rdi rsi rdx r10 r8 r9; rcx and
 * r11 are clobbered; a result in [-4095, -1] is -errno. */
long ft_syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    if ((unsigned long)ret > -4096UL) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

void *ft_sys_mmap_install(void **slot, size_t len, void (*init)(void *))
{
    void *p = FT_LOAD_ACQ(slot);
    if (p)
        return p;
    void *fresh = ft_sys_mmap_anon(len);
    if (!fresh)
        return NULL;
    if (init)
        init(fresh);
    if (FT_CAS(slot, &p, fresh))
        return fresh;
    ft_syscall(SYS_munmap, fresh, len);
    return p;
}

int ft_sys_getpid(void)
{
    return (int)ft_syscall(SYS_getpid);
}

/* ---- small string helpers (no snprintf: it may allocate) ----------------- */

size_t ft_cat(char *dst, size_t at, size_t size, const char *src)
{
    while (*src && at + 1 < size)
        dst[at++] = *src++;
    dst[at < size ? at : size - 1] = '\0';
    return at;
}

size_t ft_cat_u64(char *dst, size_t at, size_t size, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width && n < (int)sizeof tmp)
        tmp[n++] = '0';
    while (n > 0 && at + 1 < size)
        dst[at++] = tmp[--n];
    dst[at < size ? at : size - 1] = '\0';
    return at;
}
