/*
 * ft_config.c — the configuration, raw syscalls and string helpers.
 *
 * Everything here is read once (the environment, at the first call or in
 * our constructor, whichever comes first) or is a leaf: a raw syscall that
 * never enters one of our wrappers, a string helper that never allocates.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ft_base.h"

/* ---- raw syscalls --------------------------------------------------------- */

int ft_sys_openat(int dirfd, const char *path, int flags, int mode)
{
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

int ft_sys_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

ssize_t ft_sys_readlink(const char *path, char *buf, size_t size)
{
    return syscall(SYS_readlinkat, AT_FDCWD, path, buf, size);
}

/* Read a small file whole (procfs, sysfs). Returns bytes read or -1. */
ssize_t ft_sys_read_file(const char *path, char *buf, size_t size)
{
    int fd = ft_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < size) {
        ssize_t n = syscall(SYS_read, fd, buf + got, size - got);
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
    if (syscall(SYS_fstat, fd, &st) < 0)
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
        if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_BTIME | STATX_CTIME | STATX_ATIME,
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
    if (syscall(SYS_fstat, fd, &st) < 0)
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
    return (int)syscall(SYS_fcntl, fd, F_GETFL);
}

/* Process-local memory for our tables: never malloc (we may be inside it, or
 * in a signal handler). MAP_NORESERVE: only the pages we touch cost memory. */
void *ft_sys_mmap_anon(size_t len)
{
    void *p = (void *)syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
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
    syscall(SYS_munmap, fresh, len);
    return p;
}

int ft_sys_getpid(void)
{
    return (int)syscall(SYS_getpid);
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

static uint64_t ft_parse_u64(const char *s, int *ok)
{
    uint64_t v = 0;
    *ok = s && *s;
    for (; s && *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 - 10) {
            *ok = 0;
            return 0;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    return v;
}

/* ---- configuration ------------------------------------------------------- */

/* externally_visible: link-time optimization must keep the symbol by its
 * name, which the aliases below refer to. */
__attribute__((used, externally_visible)) struct ft_hot ft_hot;
FT_TLS struct ft_thread ft_thr_tls;

/* ft_thr_off and ft_errno_off (ft_base.h): the hot page's first two words. */
_Static_assert(__builtin_offsetof(struct ft_hot, thr_off) == 0 && __builtin_offsetof(struct ft_hot, errno_off) == 8,
               "the aliases below");
__asm__(".globl ft_thr_off\n.hidden ft_thr_off\n.set ft_thr_off, ft_hot\n"
        ".globl ft_errno_off\n.hidden ft_errno_off\n.set ft_errno_off, ft_hot + 8\n");

/* The offsets of ft_thr and errno from the thread pointer (ft_thr_get,
 * ft_errno_get). Any thread may set them, any number of times: the values
 * are the same. */
void ft_tls_setup(void)
{
    char *tp = __builtin_thread_pointer();
    ft_hot.errno_off = (char *)&errno - tp;
    ft_hot.thr_off = (char *)&ft_thr_tls - tp;
}

#define FT_MAX_BYTES_DEFAULT (64ull << 20)
#define FT_MAX_BYTES_MIN (FT_HEADER_SIZE + 256ull * FT_RECORD_SIZE) /* 5 pages */
#define FT_MAX_BYTES_MAX (8ull << 30)
#define FT_DIR_MAX_BYTES_DEFAULT (256ull << 20)

/* Idempotent and race-tolerant: two threads that get here first compute the
 * same values. getenv only reads environ; getauxval reads a static table. */
int ft_config_load(void)
{
    int ok;
    ft_tls_setup();
    const char *d = getenv("FSYNC_TRACE_DISABLE");
    /* Under secure execution (setuid, file capabilities) an environment
     * variable must not make a privileged program write files
     * (getauxval(3), AT_SECURE). The loader already ignores LD_PRELOAD then,
     * unless the library is in a system path. */
    if (getauxval(AT_SECURE) || (d && d[0] == '1' && d[1] == '\0')) {
        FT_STORE_REL(&ft_mode, FT_MODE_OFF);
        return FT_MODE_OFF;
    }

    uint64_t n = ft_parse_u64(getenv("FSYNC_TRACE_WRITE_SAMPLE"), &ok);
    ft_cfg.write_sample = ok && n >= 1 ? (n > 1u << 20 ? 1u << 20 : (uint32_t)n) : 16;

    uint64_t mb = ft_parse_u64(getenv("FSYNC_TRACE_MAX_BYTES"), &ok);
    if (!ok)
        mb = FT_MAX_BYTES_DEFAULT;
    ft_cfg.max_bytes = mb < FT_MAX_BYTES_MIN ? FT_MAX_BYTES_MIN
                       : mb > FT_MAX_BYTES_MAX ? FT_MAX_BYTES_MAX : mb;

    /* The directory's budget (README, "How much it keeps"): allocated bytes
     * of all traces in it; 0 switches it off. */
    uint64_t db = ft_parse_u64(getenv("FSYNC_TRACE_DIR_MAX_BYTES"), &ok);
    ft_cfg.dir_max_bytes = !ok ? FT_DIR_MAX_BYTES_DEFAULT : db;
    const char *u = getenv("FSYNC_TRACE_UNSYNCED");
    ft_cfg.unsynced = u && u[0] == '1' && u[1] == '\0';

    /* Always on (README, "Recording"): summaries, keep ring, alerts, cost. */
    n = ft_parse_u64(getenv("FSYNC_TRACE_SUMMARY_SECONDS"), &ok);
    ft_cfg.summary_s = !ok ? 60 : n > 86400 ? 86400 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_MS"), &ok);
    ft_cfg.alert_ms = !ok ? 1000 : n > 3600000 ? 3600000 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_FACTOR"), &ok);
    ft_cfg.alert_factor = !ok ? 10 : n > 1000000 ? 1000000 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_MIN_MS"), &ok);
    ft_cfg.alert_min_ms = !ok ? 10 : n > 3600000 ? 3600000 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_EVERY"), &ok);
    ft_cfg.alert_every_s = !ok ? 10 : n > 86400 ? 86400 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_COST_PERIOD"), &ok);
    ft_cfg.cost_period = !ok ? 64 : n > (1u << 30) ? 1u << 30 : (uint32_t)n;
    /* Set by fsync-record for the process tree it runs (launch/report.c). */
    n = ft_parse_u64(getenv("FSYNC_TRACE_LAUNCH"), &ok);
    ft_cfg.launch_id = ok ? n : 0;
    const char *to = getenv("FSYNC_TRACE_ALERT_TO");
    ft_cfg.alert_sink = FT_SINK_SYSLOG;
    if (to && strcmp(to, "off") == 0)
        ft_cfg.alert_sink = FT_SINK_OFF;
    else if (to && strcmp(to, "stderr") == 0)
        ft_cfg.alert_sink = FT_SINK_STDERR;
    else if (to && to[0] == '/' && strlen(to) < sizeof ft_cfg.alert_path) {
        ft_cfg.alert_sink = FT_SINK_FILE;
        ft_cat(ft_cfg.alert_path, 0, sizeof ft_cfg.alert_path, to);
    }
    const char *sl = getenv("FSYNC_TRACE_SYSLOG_PATH");
    ft_cat(ft_cfg.syslog_path, 0, sizeof ft_cfg.syslog_path,
           sl && sl[0] == '/' && strlen(sl) < sizeof ft_cfg.syslog_path ? sl : "/dev/log");

    const char *dir = getenv("FSYNC_TRACE_DIR");
    if (dir && *dir && strlen(dir) < FT_DIR_MAX - 128) {
        size_t at = 0;
        if (dir[0] != '/') {
            /* Relative: to the working directory the process starts in, made
             * absolute now. The file is reopened by name to grow the ring,
             * and the program may chdir meanwhile. No /proc: left as given. */
            ssize_t n = ft_sys_readlink("/proc/self/cwd", ft_cfg.dir, FT_DIR_MAX - 1);
            if (n <= 0 || ft_cfg.dir[0] != '/' || (size_t)n + strlen(dir) + 2 >= FT_DIR_MAX - 128)
                n = 0;
            at = (size_t)n;
            ft_cfg.dir[at] = '\0';
            if (n > 1)
                at = ft_cat(ft_cfg.dir, at, sizeof ft_cfg.dir, "/");
        }
        at = ft_cat(ft_cfg.dir, at, sizeof ft_cfg.dir, dir);
        while (at > 1 && ft_cfg.dir[at - 1] == '/')
            ft_cfg.dir[--at] = '\0';
    } else {
        size_t at = ft_cat(ft_cfg.dir, 0, sizeof ft_cfg.dir, "/dev/shm/fsync-trace-");
        ft_cat_u64(ft_cfg.dir, at, sizeof ft_cfg.dir, (uint64_t)syscall(SYS_getuid), 0);
    }
    ft_cfg.start_pid = (uint32_t)ft_sys_getpid();
    ft_clock_setup();
    FT_STORE_REL(&ft_mode, FT_MODE_ON);
    return FT_MODE_ON;
}
