/*
 * ft_ring.c — configuration, the trace file, and appending records to it.
 *
 * The trace file is created at the first record (so /bin/true leaves
 * nothing), sized once with ftruncate, mapped MAP_SHARED once, and written
 * through the mapping: a record is in the page cache the moment its commit
 * word is stored, so it survives a crash of the process. The recorder never
 * syncs the trace; surviving a crash of the machine is not its job.
 *
 * Appending is lock-free: a thread claims a block of slots with one
 * fetch_add on the header's next_seq and fills it from thread-local state.
 * The one wait is for the file itself: a thread that finds another one
 * creating it sleeps until it is made (a second at most).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ft_internal.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif

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

/* ---- the clock ------------------------------------------------------------ */

uint64_t ft_tsc_mult;
static int ft_tsc_usable;
static uint64_t ft_tsc_base, ft_ns_base; /* the calibration's first anchor */

uint64_t ft_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts); /* vDSO: no syscall, async-signal-safe */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ft_rdtsc(void)
{
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
}

static void ft_clock_setup(void)
{
    char cs[32];
    ssize_t n = ft_sys_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                                 cs, sizeof cs - 1);
    ft_tsc_usable = n == 4 && memcmp(cs, "tsc\n", 4) == 0;
    if (ft_tsc_usable) {
        ft_tsc_base = ft_rdtsc();
        ft_ns_base = ft_clock(CLOCK_MONOTONIC);
    }
}

/* Re-anchor the thread: TSC read on both sides of clock_gettime, midpoint
 * taken. The anchor's TSC is invalidated first, so a signal handler that
 * runs in between re-anchors for itself instead of mixing the halves; and if
 * one did, its anchor may now hold our TSC with its ns, so ours is written
 * again until it is read back whole. */
uint64_t ft_now_slow(void)
{
    uint64_t t1 = ft_rdtsc();
    uint64_t ns = ft_clock(CLOCK_MONOTONIC);
    uint64_t t2 = ft_rdtsc();
    if (!ft_tsc_usable)
        return ns;
    uint64_t tsc = t1 + (t2 - t1) / 2;
    do {
        FT_STORE(&ft_thr.clk_tsc, ~0ull);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        FT_STORE(&ft_thr.clk_ns, ns);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        FT_STORE(&ft_thr.clk_tsc, tsc);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    } while (FT_LOAD(&ft_thr.clk_ns) != ns || FT_LOAD(&ft_thr.clk_tsc) != tsc);
    /* Calibrate over the longest span we have, once it is 20 ms long. */
    if (ns - ft_ns_base >= 20000000u && tsc > ft_tsc_base) {
        unsigned __int128 num = (unsigned __int128)(ns - ft_ns_base) << 32;
        FT_STORE(&ft_tsc_mult, (uint64_t)(num / (tsc - ft_tsc_base)));
    }
    return ns;
}

/* ---- configuration ------------------------------------------------------- */

int ft_mode;
struct ft_config ft_cfg;
FT_TLS struct ft_thread ft_thr;

#define FT_MAX_BYTES_DEFAULT (64ull << 20)
#define FT_MAX_BYTES_MIN (FT_HEADER_SIZE + 256ull * FT_RECORD_SIZE) /* 5 pages */
#define FT_MAX_BYTES_MAX (8ull << 30)

/* Idempotent and race-tolerant: two threads that get here first compute the
 * same values. getenv only reads environ; getauxval reads a static table. */
int ft_config_load(void)
{
    int ok;
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

/* ---- the recorder's process state ---------------------------------------- */

enum ft_ring_state {
    FT_RING_UNINIT = 0,   /* no trace file yet: the next record creates one */
    FT_RING_INIT = 1,     /* a thread is creating it: other threads wait */
    FT_RING_READY = 2,
    FT_RING_DEAD = 3,     /* stopped after a failure; drops are counted in the header */
    FT_RING_REFUSED = 4,  /* no file could be made: nothing to count into */
};

#define FT_CHUNK_SLOTS 4096u     /* 256 KiB of ring allocated at a time */
#define FT_CHUNK_BITS_MAX 32768u /* 8 GiB of ring */
#define FT_BLOCK_MAX 32u

/* This lives in a page marked MADV_WIPEONFORK: a child made by any kind of
 * fork (including _Fork and raw clone, which skip pthread_atfork handlers)
 * sees it all zero, i.e. "no trace file yet", and starts its own file
 * instead of writing into its parent's ring. A vfork child shares our
 * memory, so it sees our pid here and ft_vfork_child() can tell. */
struct ft_ctx {
    uint32_t state;          /* enum ft_ring_state, a CAS state machine */
    uint32_t gen;            /* generation of the current trace file */
    uint32_t pid;            /* the process that owns this state */
    uint32_t slots;          /* ring_slots */
    uint32_t block;          /* slots claimed per thread at a time */
    uint32_t nchunks;
    uint32_t total;          /* slots in the file, every region */
    uint64_t tag;            /* this file's tag in path copy words (ft_pw) */
    struct ft_regions rg;    /* the regions after the ring (version 2) */
    struct ft_header *hdr;   /* the mapping (the ring follows the header) */
    unsigned char *ring;
    uint64_t map_len;
    uint64_t ino, dev;       /* of the trace file, checked when reopening it */
    uint64_t pending_drops;  /* dropped before the header existed */
    char path[FT_DIR_MAX + 160];
    uint64_t chunk_bits[FT_CHUNK_BITS_MAX / 64]; /* chunks allocated and populated */
};

#define FT_CTX_BYTES ((sizeof(struct ft_ctx) + 4095) & ~(size_t)4095)

static struct ft_ctx *ft_ctx_ptr;
/* Not in the wiped page: they must survive fork to be compared with. */
static uint32_t ft_gen_counter;
static void *ft_map_addr;    /* the mapping we made, and the pid that made it */
static uint64_t ft_map_len;
static uint32_t ft_map_pid;

static struct ft_ctx *ft_ctx(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (FT_LIKELY(c != NULL))
        return c;
    c = ft_sys_mmap_anon(FT_CTX_BYTES);
    if (!c)
        return NULL;
    syscall(SYS_madvise, c, FT_CTX_BYTES, MADV_WIPEONFORK); /* best effort: atfork covers fork() */
    struct ft_ctx *expected = NULL;
    if (!FT_CAS(&ft_ctx_ptr, &expected, c)) {
        syscall(SYS_munmap, c, FT_CTX_BYTES);
        c = expected;
    }
    return c;
}

static uint32_t ft_ctx_pid(struct ft_ctx *c)
{
    uint32_t pid = FT_LOAD(&c->pid);
    if (!pid) {
        pid = (uint32_t)ft_sys_getpid();
        FT_STORE(&c->pid, pid);
    }
    return pid;
}

/* A vfork(2) child runs in its parent's memory until it execs: updating the
 * shared descriptor table from it would corrupt the parent's view (the
 * child's close() closes the child's copy only). getpid(2) is a real syscall
 * since glibc 2.25, so this costs one; only fd-table-mutating wrappers pay it. */
int ft_vfork_child(void)
{
    struct ft_ctx *c = ft_ctx();
    return c && (uint32_t)ft_sys_getpid() != ft_ctx_pid(c);
}

/* Before the header exists, drops wait in pending_drops; whoever sees the
 * header appear moves them over, so none is lost to the race. */
static void ft_count_drops(struct ft_ctx *c, uint64_t n)
{
    struct ft_header *h = FT_LOAD_ACQ(&c->hdr);
    if (h) {
        FT_ADD(&h->dropped, n);
        return;
    }
    FT_ADD(&c->pending_drops, n);
    h = FT_LOAD_ACQ(&c->hdr);
    if (h) {
        uint64_t pending = FT_XCHG(&c->pending_drops, 0);
        if (pending)
            FT_ADD(&h->dropped, pending);
    }
}

/* Stop recording after a failure (tmpfs full, file removed): the program must
 * not notice, so we only say so in the header and count what we lose. */
static void ft_ring_die(struct ft_ctx *c)
{
    FT_STORE_REL(&c->state, FT_RING_DEAD);
    struct ft_header *h = FT_LOAD_ACQ(&c->hdr);
    if (h)
        __atomic_fetch_or(&h->flags, FT_HDR_DISABLED, __ATOMIC_RELAXED);
}

/* ---- allocating the ring ahead of the writers ----------------------------- */

/* A chunk could not be reserved. Out of descriptors (the program holds them
 * all, or its RLIMIT_NOFILE is at 0 for a while) or memory is a passing
 * state: the records that need the chunk are dropped and counted, and the
 * next writer to reach it tries again. Anything else (tmpfs full, the file
 * removed or replaced) stops the recording. */
static void ft_reserve_failed(struct ft_ctx *c)
{
    if (errno != EMFILE && errno != ENFILE && errno != ENOMEM && errno != EINTR)
        ft_ring_die(c);
}

static const char ft_zero_page[4096];

/* Make chunk k of the ring real before anyone writes into it. A store into a
 * hole of a tmpfs file when tmpfs is full raises SIGBUS (shmem_fault returns
 * VM_FAULT_SIGBUS on -ENOSPC), which would kill the program we record. So
 * chunks are fallocate(2)d — the one place ENOSPC can be seen as an error —
 * and writers check the chunk's bit before every store.
 * fd < 0: reopen the file (we keep no descriptor open in the program: it may
 * close everything, dup2 over it, or count on the lowest free number). */
static int ft_chunk_reserve(struct ft_ctx *c, uint32_t k, int fd)
{
    uint64_t bit = 1ull << (k & 63);
    if (k >= c->nchunks || (FT_LOAD_ACQ(&c->chunk_bits[k >> 6]) & bit))
        return 1;
    uint64_t first = (uint64_t)k * FT_CHUNK_SLOTS;
    uint64_t count = c->total - first < FT_CHUNK_SLOTS ? c->total - first : FT_CHUNK_SLOTS;
    off_t off = FT_HEADER_SIZE + (off_t)first * FT_RECORD_SIZE;
    size_t len = (size_t)count * FT_RECORD_SIZE;

    int own = fd < 0;
    if (own) {
        uint64_t dev, ino;
        uint32_t mode;
        fd = ft_sys_openat(AT_FDCWD, c->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        if (ft_sys_fstat(fd, &dev, &ino, &mode) < 0 || dev != c->dev || ino != c->ino) {
            ft_sys_close(fd);
            errno = ESTALE; /* another file has our name now: for good */
            return 0;
        }
    }
    int ok = syscall(SYS_fallocate, fd, 0, off, (off_t)len) == 0;
    if (!ok && (errno == EOPNOTSUPP || errno == ENOSYS)) {
        /* A filesystem without fallocate: writing zeros allocates too. */
        ok = 1;
        for (size_t done = 0; ok && done < len; done += sizeof ft_zero_page)
            ok = syscall(SYS_pwrite64, fd, ft_zero_page, sizeof ft_zero_page,
                         off + (off_t)done) == (long)sizeof ft_zero_page;
    }
    if (own)
        ft_sys_close(fd);
    if (ok)
        __atomic_fetch_or(&c->chunk_bits[k >> 6], bit, __ATOMIC_RELEASE);
    return ok;
}

/* Pre-fault an allocated chunk, so the first record of each page does not
 * take a page fault on the program's time. Only an optimisation (the pages
 * exist already), so it runs outside the window in which others drop:
 * MADV_POPULATE_WRITE (Linux 5.14), else touch each page. */
static void ft_chunk_populate(struct ft_ctx *c, uint32_t k)
{
    if (k >= c->nchunks)
        return;
    uint64_t first = (uint64_t)k * FT_CHUNK_SLOTS;
    uint64_t count = c->total - first < FT_CHUNK_SLOTS ? c->total - first : FT_CHUNK_SLOTS;
    unsigned char *p = c->ring + first * FT_RECORD_SIZE;
    size_t len = (size_t)count * FT_RECORD_SIZE;
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)4095;
    if (syscall(SYS_madvise, start, (uintptr_t)p + len - start, MADV_POPULATE_WRITE) != 0) {
        for (size_t i = 0; i < len; i += 4096)
            __atomic_fetch_or(p + i, 0, __ATOMIC_RELAXED);
    }
}

/* Allocation stays ahead of the writers: whoever claims sequence numbers
 * that cross into chunk k (on the first lap) makes chunk k+1, so in the
 * common case a writer finds its chunk made. A writer that gets there first
 * (threads claim blocks in any order) makes it itself: ft_slot_ready. */
static void ft_chunks_ahead(struct ft_ctx *c, uint64_t s, uint64_t n)
{
    if (s >= c->slots)
        return; /* past the first lap: every chunk exists */
    uint64_t q = (s + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    for (; q * FT_CHUNK_SLOTS < s + n && q * FT_CHUNK_SLOTS < c->slots; q++) {
        if (!ft_chunk_reserve(c, (uint32_t)q + 1, -1)) {
            ft_reserve_failed(c);
            return;
        }
        ft_chunk_populate(c, (uint32_t)q + 1);
    }
}

static inline int ft_chunk_ready(struct ft_ctx *c, uint32_t idx)
{
    uint32_t k = idx / FT_CHUNK_SLOTS;
    return (FT_LOAD_ACQ(&c->chunk_bits[k >> 6]) >> (k & 63)) & 1;
}

/* May slot idx be written? Its chunk is made if nobody has yet: fallocate
 * is idempotent, so writers racing here all succeed and one bit is set.
 * Only a real failure (ENOSPC, the file removed) stops the recording. */
static inline int ft_slot_ready(struct ft_ctx *c, uint32_t idx)
{
    if (FT_LIKELY(ft_chunk_ready(c, idx)))
        return 1;
    int ok = ft_chunk_reserve(c, idx / FT_CHUNK_SLOTS, -1);
    if (!ok)
        ft_reserve_failed(c);
    return ok;
}

/* ---- creating the trace file --------------------------------------------- */

/* The directory must be ours and closed to others: a trace names files and
 * command lines, and a directory others can write into lets them plant
 * symlinks or pre-create our file names. Refuse rather than weaken it. */
static int ft_check_dir(const char *dir)
{
    /* Only the last component is made (a missing parent: refused), 0700
     * whatever the umask: under a umask of 0777 it would be 0000, and the
     * file could not be made in it. */
    int made = syscall(SYS_mkdirat, AT_FDCWD, dir, 0700) == 0;
    if (!made && errno != EEXIST)
        return 0;
    if (made) {
        /* Mode 0000 cannot be opened for reading: through an O_PATH
         * descriptor (never a symlink put there since) and /proc. */
        int pfd = ft_sys_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (pfd >= 0) {
            char link[32];
            size_t at = ft_cat(link, 0, sizeof link, "/proc/self/fd/");
            ft_cat_u64(link, at, sizeof link, (uint64_t)pfd, 0);
            syscall(SYS_fchmodat, AT_FDCWD, link, 0700);
            ft_sys_close(pfd);
        }
    }
    int fd = ft_sys_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct stat st;
    int ok = syscall(SYS_fstat, fd, &st) == 0 && S_ISDIR(st.st_mode) &&
             st.st_uid == (uid_t)syscall(SYS_geteuid) && (st.st_mode & 022) == 0;
    ft_sys_close(fd);
    return ok;
}

/* The name's first part: the executable's base name, made safe for a file
 * name (no spaces, no control bytes; " (deleted)" becomes "_(deleted)"). */
static size_t ft_exe_base(char *dst, size_t at, size_t size, const char *exe)
{
    const char *base = exe;
    for (const char *p = exe; *p; p++)
        if (*p == '/')
            base = p + 1;
    if (!*base)
        base = "unknown";
    for (int n = 0; *base && n < 64 && at + 1 < size; base++, n++) {
        char ch = *base;
        int safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == '+';
        dst[at++] = safe ? ch : '_';
    }
    dst[at] = '\0';
    return at;
}

static void ft_fill_header(struct ft_header *h, struct ft_ctx *c, uint64_t rt, uint64_t mono,
                           uint32_t pid, int forked, const char *exe)
{
    memcpy(h->magic, FT_MAGIC, FT_MAGIC_LEN);
    h->version = FT_VERSION;
    h->header_size = FT_HEADER_SIZE;
    h->record_size = FT_RECORD_SIZE;
    h->ring_slots = c->slots;
    h->realtime_ns = rt;
    h->monotonic_ns = mono;
    h->pid = pid;
    h->ppid = (uint32_t)syscall(SYS_getppid);
    h->uid = (uint32_t)syscall(SYS_getuid);
    h->flags = forked ? FT_HDR_FORKED : 0;
    h->max_bytes = ft_cfg.max_bytes;
    /* Version 2: the regions and the always-on settings. */
    if (c->rg.keep_slots) {
        h->keep_offset = FT_HEADER_SIZE + (uint64_t)c->rg.keep_first * FT_RECORD_SIZE;
        h->keep_slots = c->rg.keep_slots;
    }
    if (c->rg.sum_entries) {
        h->summary_offset = FT_HEADER_SIZE + (uint64_t)c->rg.sum_first * FT_RECORD_SIZE;
        h->summary_slots = c->rg.sum_entries * FT_SUMMARY_ENTRY_SLOTS;
        h->summary_interval_s = ft_cfg.summary_s;
    }
    if (c->rg.names_slots) {
        h->names_offset = FT_HEADER_SIZE + (uint64_t)c->rg.names_first * FT_RECORD_SIZE;
        h->names_slots = c->rg.names_slots;
    }
    h->alert_ms = ft_cfg.alert_ms;
    h->alert_factor = ft_cfg.alert_factor;
    h->alert_min_ms = ft_cfg.alert_min_ms;
    h->alert_every_s = ft_cfg.alert_every_s;
    h->cost_period = c->rg.sum_entries ? ft_cfg.cost_period : 0;
    h->alert_sink = ft_cfg.alert_sink;
    ft_cat(h->recorder_version, 0, sizeof h->recorder_version, FT_RECORDER_VERSION);

    char boot[64];
    ssize_t n = ft_sys_read_file("/proc/sys/kernel/random/boot_id", boot, sizeof boot - 1);
    if (n > 0) {
        boot[n] = '\0';
        for (ssize_t i = 0; i < n; i++)
            if (boot[i] == '\n')
                boot[i] = '\0';
        ft_cat(h->boot_id, 0, sizeof h->boot_id, boot);
    }
    struct utsname u;
    if (syscall(SYS_uname, &u) == 0)
        ft_cat(h->host, 0, sizeof h->host, u.nodename);
    ft_cat(h->exe, 0, sizeof h->exe, exe);

    /* /proc/self/cmdline is argv joined by NULs, with a final NUL; read one
     * byte more than fits to know whether it was cut. A cut one keeps a NUL
     * in the last byte, so the field stays NUL-terminated. */
    char cmd[FT_CMDLINE_MAX + 1];
    n = ft_sys_read_file("/proc/self/cmdline", cmd, sizeof cmd);
    if (n > 0) {
        size_t len = (size_t)n;
        if (len > FT_CMDLINE_MAX) {
            len = FT_CMDLINE_MAX;
            cmd[len - 1] = '\0';
            h->cmdline_truncated = 1;
        }
        memcpy(h->cmdline, cmd, len);
        h->cmdline_len = (uint32_t)len;
    }
    h->dropped = FT_XCHG(&c->pending_drops, 0);
}

/*
 * How the file is cut up (FORMAT.md, "File"). Of the slots that fit under
 * max_bytes, by default (64 MiB: 1,048,512 slots):
 *   ring     1/4    262,128 slots: the detail, ~ 4 minutes at 1,000 syncs/s
 *                   (a sync is one slot, plus opens and closes);
 *   keep     1/8    131,064 kept syncs: failures, alerts, outliers, which are
 *                   rare by definition (a disk that fails every sync fills
 *                   it, and then the newest are kept);
 *   names    1/64    16,383 slots: ~ 5,000 paths of 100 bytes, each written
 *                   once (a program that names more files than that loses
 *                   the names of the newer ones in summaries and kept events,
 *                   counted in names_dropped; the raw ring still names them);
 *   summary  the rest, 212,979 entries of 3 slots: at one entry per
 *                   interval per (file, call kind) that syncs in it, plus one
 *                   for the recorder's cost, 60 s intervals and 20 such
 *                   (file, kind) pairs, 212,979 / 21 / 1,440 = 7 days; the
 *                   number of syncs does not matter below 65,535 per
 *                   interval and pair (1,092/s at 60 s).
 * The summary ring gets most because it is the long history, the one thing
 * that grows with time rather than with trouble. With summaries off
 * (FSYNC_TRACE_SUMMARY_SECONDS=0) the ring takes every slot, as in version 1.
 * Tiny caps (the minimum is 256 slots) keep the same shares with at least
 * 16 name slots and 2 summary entries.
 */
static void ft_plan_regions(struct ft_ctx *c)
{
    uint64_t all = (ft_cfg.max_bytes - FT_HEADER_SIZE) / FT_RECORD_SIZE;
    if (all > 0x7fffffff)
        all = 0x7fffffff;
    memset(&c->rg, 0, sizeof c->rg);
    if (!ft_cfg.summary_s) {
        c->slots = (uint32_t)all;
        c->total = (uint32_t)all;
        return;
    }
    uint32_t ring = (uint32_t)(all / 4), keep = (uint32_t)(all / 8);
    uint32_t names = (uint32_t)(all / 64) < 16 ? 16 : (uint32_t)(all / 64);
    uint32_t entries = (uint32_t)((all - ring - keep - names) / FT_SUMMARY_ENTRY_SLOTS);
    c->slots = ring;
    c->rg.keep_first = ring;
    c->rg.keep_slots = keep;
    c->rg.sum_first = ring + keep;
    c->rg.sum_entries = entries;
    c->rg.names_first = ring + keep + entries * FT_SUMMARY_ENTRY_SLOTS;
    c->rg.names_slots = names;
    c->rg.interval_ns = (uint64_t)ft_cfg.summary_s * 1000000000u;
    c->total = c->rg.names_first + names;
}

/* The file's name: <exe>.<pid>.<sec>.<nsec>.fstrace, into c->path. */
static void ft_trace_name(struct ft_ctx *c, const char *exe, uint32_t pid, uint64_t t)
{
    size_t at = ft_cat(c->path, 0, sizeof c->path, ft_cfg.dir);
    at = ft_cat(c->path, at, sizeof c->path, "/");
    at = ft_exe_base(c->path, at, sizeof c->path, exe);
    at = ft_cat(c->path, at, sizeof c->path, ".");
    at = ft_cat_u64(c->path, at, sizeof c->path, pid, 0);
    at = ft_cat(c->path, at, sizeof c->path, ".");
    at = ft_cat_u64(c->path, at, sizeof c->path, t / 1000000000u, 0);
    at = ft_cat(c->path, at, sizeof c->path, ".");
    at = ft_cat_u64(c->path, at, sizeof c->path, t % 1000000000u, 9);
    ft_cat(c->path, at, sizeof c->path, ".fstrace");
}

/* Give the unnamed (O_TMPFILE) file fd its name. linkat(2) through
 * /proc/self/fd works for anyone; AT_EMPTY_PATH, without /proc, needs
 * CAP_DAC_READ_SEARCH. A clash means same pid, same ns: a reused pid. */
static int ft_trace_link(struct ft_ctx *c, int fd, const char *exe, uint32_t pid, uint64_t rt)
{
    static const char prefix[] = "/proc/self/fd/";
    char link[32];
    size_t at = ft_cat(link, 0, sizeof link, prefix);
    ft_cat_u64(link, at, sizeof link, (uint64_t)fd, 0);
    for (int attempt = 0; attempt < 4; attempt++) {
        ft_trace_name(c, exe, pid, rt + (uint64_t)attempt);
        long r = syscall(SYS_linkat, AT_FDCWD, link, AT_FDCWD, c->path, AT_SYMLINK_FOLLOW);
        if (r < 0 && errno == ENOENT)
            r = syscall(SYS_linkat, fd, "", AT_FDCWD, c->path, AT_EMPTY_PATH);
        if (r == 0)
            return 1;
        if (errno != EEXIST)
            return 0;
    }
    return 0;
}

static int ft_ring_create(struct ft_ctx *c)
{
    uint32_t pid = ft_ctx_pid(c);
    int forked = pid != ft_cfg.start_pid;
    /* A child of _Fork or clone (no atfork handler ran) still maps its
     * parent's ring; it must never write there. */
    if (ft_map_addr && ft_map_pid != pid) {
        syscall(SYS_munmap, ft_map_addr, ft_map_len);
        ft_map_addr = NULL;
    }

    /* Clock anchors: realtime, monotonic, realtime; the middle of the two
     * realtime reads is the best estimate for the instant of the monotonic one. */
    uint64_t r1 = ft_clock(CLOCK_REALTIME);
    uint64_t mono = ft_clock(CLOCK_MONOTONIC);
    uint64_t r2 = ft_clock(CLOCK_REALTIME);
    uint64_t rt = r1 + (r2 - r1) / 2;

    if (!ft_check_dir(ft_cfg.dir))
        return 0;
    char exe[FT_EXE_MAX];
    ssize_t n = ft_sys_readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';

    ft_plan_regions(c);
    c->block = c->slots / 8 < FT_BLOCK_MAX ? c->slots / 8 : FT_BLOCK_MAX;
    c->nchunks = (c->total + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    uint64_t size = FT_HEADER_SIZE + (uint64_t)c->total * FT_RECORD_SIZE;

    /* The file gets its name only once its header is whole: it is made
     * unnamed (O_TMPFILE) and linked into the directory after the header is
     * written, so a kill at any instant leaves no file or one that a reader
     * can read (never an empty one). Where O_TMPFILE is not supported, the
     * file is named at once, as before. fchmod: our 0600 whatever the umask
     * (a umask of 0777 would leave a file its owner cannot reopen). */
    int named = 0;
    /* Linking needs /proc/self/fd (or CAP_DAC_READ_SEARCH): no /proc (the
     * exe could not be read), no O_TMPFILE. */
    int fd = n > 0 ? ft_sys_openat(AT_FDCWD, ft_cfg.dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600) : -1;
    for (int attempt = 0; attempt < 4 && fd < 0; attempt++) {
        ft_trace_name(c, exe, pid, rt + (uint64_t)attempt);
        fd = ft_sys_openat(AT_FDCWD, c->path,
                           O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return 0;
        named = fd >= 0;
    }
    if (fd < 0)
        return 0;

    uint32_t mode;
    void *map = MAP_FAILED;
    if (syscall(SYS_fchmod, fd, 0600) < 0 || ft_sys_fstat(fd, &c->dev, &c->ino, &mode) < 0 ||
        syscall(SYS_ftruncate, fd, (off_t)size) < 0 ||
        syscall(SYS_fallocate, fd, 0, (off_t)0, (off_t)FT_HEADER_SIZE) < 0)
        goto fail;
    map = (void *)syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        goto fail;
    c->ring = (unsigned char *)map + FT_HEADER_SIZE;
    c->map_len = size;
    if (!ft_chunk_reserve(c, 0, fd) || !ft_chunk_reserve(c, 1, fd))
        goto fail;
    /* The other regions are allocated at their first use (ft_slots_ready):
     * a file that cannot get its ring's first chunks is not made, but one
     * that gets them records, whatever space is left for the rest. */
    c->rg.hdr = map;
    c->rg.slots = c->ring;
    c->rg.ring_slots = c->slots;

    ft_fill_header(map, c, rt, mono, pid, forked, exe);
    if (!named && !(named = ft_trace_link(c, fd, exe, pid, rt)))
        goto fail;
    ft_sys_close(fd);
    ft_map_addr = map;
    ft_map_len = size;
    ft_map_pid = pid;
    /* A new generation: threads drop blocks claimed in an older file and
     * every path is named again in this one. */
    c->gen = __atomic_add_fetch(&ft_gen_counter, 1, __ATOMIC_RELAXED);
    c->tag = ((c->gen - 1) % 0xffffu) + 1; /* 16 bits, never 0: 0 is "no copy in any file" */
    c->rg.tag = (uint32_t)c->tag;
    FT_STORE_REL(&c->hdr, (struct ft_header *)map);
    uint64_t pending = FT_XCHG(&c->pending_drops, 0);
    if (pending)
        FT_ADD(&((struct ft_header *)map)->dropped, pending);
    return 1;

fail:
    if (map != MAP_FAILED)
        syscall(SYS_munmap, map, size);
    if (named)
        syscall(SYS_unlinkat, AT_FDCWD, c->path, 0);
    ft_sys_close(fd);
    return 0;
}

/* The state machine: uninit -> init -> ready | refused. A thread that finds
 * another one creating the file waits for it (a second at most: creating it
 * takes a few ms), so the records of threads that start together are kept.
 * The one caller that must not wait is a signal handler that interrupted
 * the creating thread itself (it would wait for its own thread): its record
 * is dropped and counted. */
#define FT_INIT_WAIT_NS 1000000000ull

static uint32_t ft_ring_wait(struct ft_ctx *c)
{
    uint64_t t0 = ft_clock(CLOCK_MONOTONIC), waited = 0;
    for (;;) {
        uint32_t st = FT_LOAD_ACQ(&c->state);
        if (st != FT_RING_INIT || waited >= FT_INIT_WAIT_NS)
            return st;
        /* Sleeps until the creator's wake (or EINTR, or a spurious wake:
         * then look again). A private futex: ft_ctx is process-private. */
        struct timespec left = {(time_t)((FT_INIT_WAIT_NS - waited) / 1000000000u),
                                (long)((FT_INIT_WAIT_NS - waited) % 1000000000u)};
        syscall(SYS_futex, &c->state, FUTEX_WAIT_PRIVATE, FT_RING_INIT, &left, NULL, 0);
        waited = ft_clock(CLOCK_MONOTONIC) - t0;
    }
}

static __attribute__((noinline)) struct ft_ctx *ft_ring_slow(void)
{
    struct ft_ctx *c = ft_ctx();
    if (FT_UNLIKELY(!c))
        return NULL;
    uint32_t st = FT_LOAD_ACQ(&c->state);
    if (st == FT_RING_READY)
        return c;
    if (st == FT_RING_UNINIT) {
        /* Up before the state says INIT: a handler that interrupts us from
         * then on must see that the creator is its own thread. */
        int was = ft_thr.initializing;
        ft_thr.initializing = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (FT_CAS(&c->state, &st, FT_RING_INIT)) {
            int ok = ft_ring_create(c);
            /* Out of descriptors (the program at its RLIMIT_NOFILE) passes:
             * the next record tries again, and this one is counted dropped
             * (in pending_drops, moved to the header once there is one).
             * Nowhere to record (directory refused, tmpfs full): become a
             * pass-through for the life of this image. */
            int again = !ok && (errno == EMFILE || errno == ENFILE);
            FT_STORE_REL(&c->state, ok ? FT_RING_READY : again ? FT_RING_UNINIT : FT_RING_REFUSED);
            syscall(SYS_futex, &c->state, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
            if (!ok && !again)
                FT_STORE_REL(&ft_mode, FT_MODE_OFF);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            ft_thr.initializing = was;
            if (again)
                ft_count_drops(c, 1);
            if (!ok)
                return NULL;
            ft_chunk_populate(c, 0);
            ft_chunk_populate(c, 1);
            return c;
        }
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        ft_thr.initializing = was;
        /* st now holds the state that beat us */
    }
    if (st == FT_RING_INIT && !ft_thr.initializing)
        st = ft_ring_wait(c);
    if (st == FT_RING_READY)
        return c;
    if (st != FT_RING_REFUSED)
        ft_count_drops(c, 1);
    return NULL;
}

/* The trace file, made at the first record; NULL when there is none (the
 * record is then counted as dropped where there is a header to count in). */
static inline struct ft_ctx *ft_ring(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (FT_LIKELY(c != NULL && FT_LOAD_ACQ(&c->state) == FT_RING_READY))
        return c;
    return ft_ring_slow();
}

/* ---- writing records ------------------------------------------------------ */

static inline unsigned char *ft_slot(struct ft_ctx *c, uint32_t idx)
{
    return c->ring + (uint64_t)idx * FT_RECORD_SIZE;
}

/* n fresh sequence numbers. seq_cst: see "keeping every event named". */
static inline uint64_t ft_claim(struct ft_ctx *c, uint64_t n)
{
    return __atomic_fetch_add(&c->hdr->next_seq, n, __ATOMIC_SEQ_CST);
}

static inline void ft_commit(unsigned char *slot, uint64_t seq, const void *rec)
{
    uint64_t *word = (uint64_t *)slot;
    const unsigned char *r = rec;
    /* Empty first, then the body, then the commit word (release): a reader,
     * or a crash in the middle, sees either nothing or the whole record. */
    FT_STORE(word, 0);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(slot + 8, r + 8, FT_RECORD_SIZE - 8);
    uint64_t commit;
    memcpy(&commit, r, 8);
    commit = (commit & ~0xffffffffull) | (uint32_t)seq;
    FT_STORE_REL(word, commit);
}

/*
 * ---- keeping every event named ---------------------------------------------
 *
 * The ring keeps the newest records, and an event is only useful with a
 * whole copy of its path record somewhere in the ring. The rule: the newest
 * copy of a path is not overwritten while a record that refers to it may
 * still be in the ring.
 *
 * A slot's record goes when someone claims the slot's next sequence number
 * (seq + ring_slots). So whoever claims sequence numbers (a thread's block,
 * the slots of a path copy, a signal handler's single slot) looks at what
 * the claim would displace before writing anything (ft_displace):
 *  - part of a path's newest copy that is still needed: the slot is left as
 *    it is. A thread's block skips it; a path copy, which needs contiguous
 *    slots, gives its claimed run up and claims another. So the copy stays
 *    for as long as it is needed, at the cost of one slot, and no chain of
 *    copies moving copies can start. A copy kept for two laps is written
 *    anew from a block claim instead (its new slots are claimed then, and
 *    may not take other needed copies), so all records stay within a few
 *    laps of each other;
 *  - part of any other copy: it goes, and if a continuation goes, the
 *    copy's head record is emptied too (a reader would count a cut copy as
 *    an incomplete path);
 *  - an event: a claimed slot can stay unwritten for long (a thread that
 *    goes quiet keeps its unused block), and the event with it; so it
 *    counts as a use of its path made now, at the claimed number, or, if
 *    its path has no copy left, it is emptied.
 *
 * "Still needed" means the path's newest use is after its newest copy and
 * less than two laps old. Each path keeps two words (struct ft_path): copy,
 * where its newest copy is, and last, its newest use; each is
 * (tag << 48 | seq & 2^46-1), the tag being this trace file's, so that a
 * word left by another file (a parent's, before a fork) reads as "none";
 * copy is 0 when the path has no copy in the ring. A use raises `last`
 * (an atomic RMW) only when it is not already after the copy and at most
 * half a lap old: about twice per lap per path. Events live at most a lap
 * and a half past such a `last` (a block is given up once half a lap old),
 * so a copy is kept while any of them can be in the ring.
 *
 * When a claimer finds a copy not needed, it sets the GONE bit of the copy
 * word with a CAS and then reads `last` again; a use raises `last`, then
 * reads `copy`. That is the store-buffer pattern with a seq_cst RMW on both
 * sides: the claimer sees the use (then it clears GONE and keeps the copy),
 * or the use sees GONE and writes a new copy itself (taking BUSY, which
 * stops the claimer from clearing GONE). While GONE is set, the claimers of
 * the copy's other slots keep them: a copy is only ever cut once its word
 * has left it for good (0, or a new copy), so a word never names a cut copy.
 * A writer of a new copy takes the BUSY bit with a CAS before it claims
 * slots, and stores the new word once the copy is whole; a copy claimed
 * after a use covers it (everyone who relied on the old word read it before
 * it changed, so before the claim). A use that sees BUSY raises `last` (the
 * copy in flight may be older than the use), and an event about to be
 * written also writes a copy of its own that the word does not name: the
 * one in flight is another thread's, and the process may end before that
 * thread finishes it. Nobody ever waits.
 *
 * Writers check, right before each store, that their slot is still theirs:
 * a thread stopped for a whole lap between its claim and its store would
 * otherwise write an old record over a newer one (see ft_event_slot_mine,
 * ft_copy_slot_mine). Should a copy be lost anyway (a stop of a lap inside
 * those few instructions), the next use that takes the slow path finds it
 * gone (ft_copy_whole) and writes a new one, which names every earlier use.
 */

#define FT_PW_SEQ ((1ull << 46) - 1)
#define FT_PW_GONE (1ull << 46) /* a claimer is deciding whether to give this copy up */
#define FT_PW_BUSY (1ull << 47) /* a writer is making a new copy */
#define FT_PATH_SLOTS_MAX \
    (1 + (FT_PATH_MAX_LEN - FT_PATH_HEAD_BYTES + FT_PATH_CONT_BYTES - 1) / FT_PATH_CONT_BYTES)
#define FT_JOBS 4          /* a block and a copy, or an event's two copies */
#define FT_COPY_TRIES 64   /* runs a copy may claim before it gives up */

static inline uint64_t ft_pw(const struct ft_ctx *c, uint64_t seq)
{
    return c->tag << 48 | (seq & FT_PW_SEQ);
}

static inline int ft_pw_mine(const struct ft_ctx *c, uint64_t w)
{
    return (w >> 48) == c->tag;
}

/* Does word a come after word b? Serial arithmetic on the sequence bits. */
static inline int ft_pw_after(uint64_t a, uint64_t b)
{
    uint64_t d = (a - b) & FT_PW_SEQ;
    return d != 0 && d < (1ull << 45);
}

/* Is word a at most `within` before word b (or after it)? */
static inline int ft_pw_recent(uint64_t a, uint64_t b, uint64_t within)
{
    uint64_t d = (b - a) & FT_PW_SEQ;
    return d <= within || d >= (1ull << 45);
}

/* Is the copy of p whose word is cw needed by a use that may still be in
 * the ring, as of the claim of sequence number q? */
static inline int ft_needed(struct ft_ctx *c, struct ft_path *p, uint64_t cw, uint64_t q)
{
    uint64_t lw = __atomic_load_n(&p->last, __ATOMIC_SEQ_CST);
    return ft_pw_mine(c, lw) && ft_pw_after(lw, cw) && ft_pw_recent(lw, ft_pw(c, q), 2ull * c->slots);
}

struct ft_job {
    uint64_t first;     /* claimed sequence numbers [first, first + count) */
    uint32_t count;
    uint32_t next;      /* the next of them whose slot to look at ... */
    uint32_t idx;       /* ... and its ring index */
    uint32_t skip;      /* slots to leave alone, bit i for first + i (blocks) */
    uint32_t noted;     /* the path an old event of an earlier slot used ... */
    int noted_ok;       /* ... and whether it is named */
    uint32_t path_id;   /* nonzero: write a copy of this path into the slots */
    uint32_t tries;     /* runs claimed for it so far */
    int keep;           /* a slot of this run must be left alone: claim another */
    int extra;          /* a copy besides the one `copy` names: leave the word alone */
    uint32_t cut_idx;   /* and once it is whole, empty the head of the copy */
    uint64_t cut_word;  /* it replaces if that still holds this word (0: none) */
};

struct ft_jobs {
    unsigned n;
    struct ft_job job[FT_JOBS];
};

static inline void ft_push(struct ft_ctx *c, struct ft_jobs *js, uint64_t first, uint32_t count,
                           uint32_t path_id, uint32_t cut_idx, uint64_t cut_word)
{
    js->job[js->n++] = (struct ft_job){
        .first = first, .count = count, .idx = (uint32_t)(first % c->slots),
        .path_id = path_id, .cut_idx = cut_idx, .cut_word = cut_word,
    };
}

/* Start a new copy of path id, whose copy word was cw: take its BUSY bit and
 * claim its slots; the job writes it. 2 if it is ours, 1 if the word had
 * changed (someone else took the bit first, or gave the copy up), 0 if the
 * job stack is full. */
static int ft_new_copy(struct ft_ctx *c, struct ft_jobs *js, struct ft_path *p, uint32_t id,
                       uint64_t cw, uint32_t cut_idx, uint64_t cut_word)
{
    if (js->n == FT_JOBS)
        return 0;
    if (!FT_CAS(&p->copy, &cw, cw | FT_PW_BUSY))
        return 1;
    uint32_t n = ft_path_slots(p->len);
    uint64_t s = ft_claim(c, n);
    ft_chunks_ahead(c, s, n);
    ft_push(c, js, s, n, id, cut_idx, cut_word);
    return 2;
}

/* Is the copy that word cw names still whole in the ring? It can only have
 * been lost to a writer stopped for a lap at the wrong instant (between its
 * last check and its store); a use checks now and then (ft_use). */
static int ft_copy_whole(struct ft_ctx *c, struct ft_path *p, uint32_t id, uint64_t cw)
{
    uint64_t head = __atomic_load_n(&c->hdr->next_seq, __ATOMIC_ACQUIRE);
    uint64_t o = head - ((head - cw) & FT_PW_SEQ); /* its full sequence number */
    uint32_t n = ft_path_slots(p->len), idx = (uint32_t)(o % c->slots);
    for (uint32_t i = 0; i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1) {
        unsigned char *slot = ft_slot(c, idx);
        uint64_t want = (uint64_t)(i ? FT_T_PATH_CONT : FT_T_PATH) << 32 | (uint32_t)(o + i);
        if (!ft_chunk_ready(c, idx) || FT_LOAD((uint64_t *)slot) != want)
            return 0;
        if (i == 0 && FT_LOAD((uint32_t *)(slot + offsetof(struct ft_path_rec, path_id))) != id)
            return 0;
    }
    return 1;
}

/* A copy of path id that the path's word does not name (it names one being
 * written by someone else, who may never finish if the process ends now):
 * for an event that would otherwise rely on that one. */
static void ft_extra_copy(struct ft_ctx *c, struct ft_jobs *js, struct ft_path *p, uint32_t id)
{
    if (js->n == FT_JOBS)
        return;
    uint32_t n = ft_path_slots(p->len);
    uint64_t s = ft_claim(c, n);
    ft_chunks_ahead(c, s, n);
    ft_push(c, js, s, n, id, 0, 0);
    js->job[js->n - 1].extra = 1;
}

/* Path id is used by a record with sequence number s: an event about to be
 * written (create: write a first copy if there is none), or an old one that
 * a claim leaves in place for now. Returns 0 if the path has no copy, and
 * none is on its way. (When ft_new_copy finds the word changed, whoever
 * changed it did so after we read it, so after s was claimed: a copy they
 * start is newer than s; if they gave one up, the next use writes one.) */
static int ft_use(struct ft_ctx *c, struct ft_jobs *js, uint32_t id, uint64_t s, int create)
{
    struct ft_path *p = ft_path_get(id);
    if (FT_UNLIKELY(!p))
        return 0;
    uint64_t want = ft_pw(c, s);
    uint64_t cw = FT_LOAD_ACQ(&p->copy);
    if (FT_LIKELY(!(cw & (FT_PW_BUSY | FT_PW_GONE)) && ft_pw_mine(c, cw))) {
        uint64_t lw = FT_LOAD(&p->last);
        if (FT_LIKELY(ft_pw_mine(c, lw) && ft_pw_after(lw, cw) && ft_pw_recent(lw, want, c->slots / 2)))
            return 1; /* a recent use after the newest copy is on record */
    } else if (!(cw & FT_PW_BUSY) && create && ft_new_copy(c, js, p, id, cw, 0, 0) == 2) {
        return 1; /* no copy (or one being given up): ours is claimed after s */
    }
    uint64_t lw = FT_LOAD(&p->last);
    for (;;) {
        if (ft_pw_mine(c, lw) && !ft_pw_after(want, lw)) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST); /* what the RMW would have ordered */
            break;
        }
        if (__atomic_compare_exchange_n(&p->last, &lw, want, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            break;
    }
    /* A claimer that gave the copy up before it could see our use left
     * GONE or 0: then a new copy, after s. */
    cw = __atomic_load_n(&p->copy, __ATOMIC_SEQ_CST);
    if (cw & FT_PW_BUSY) {
        if (create)
            ft_extra_copy(c, js, p, id);
        return 1;
    }
    if (ft_pw_mine(c, cw) && !(cw & FT_PW_GONE)) {
        if (FT_LIKELY(ft_copy_whole(c, p, id, cw)))
            return 1;
        /* Lost: a new copy (it covers every use before it), or none. */
        if (create)
            return ft_new_copy(c, js, p, id, cw, 0, 0) != 0;
        FT_CAS(&p->copy, &cw, 0);
        return 0;
    }
    return create && ft_new_copy(c, js, p, id, cw, 0, 0) != 0;
}

/* Sequence number q (ring index idx) was just claimed by job j: see to what
 * it displaces. Returns 1 if the slot must be left as it is. */
static int ft_displace(struct ft_ctx *c, struct ft_jobs *js, struct ft_job *j, uint64_t q, uint32_t idx)
{
    if (q < c->slots)
        return 0; /* first lap: the slot never held anything */
    if (!ft_chunk_ready(c, idx))
        return 0;
    unsigned char *slot = ft_slot(c, idx);
    uint64_t w = FT_LOAD_ACQ((uint64_t *)slot);
    uint8_t type = (uint8_t)(w >> 32);
    if (FT_LIKELY(type == FT_T_EMPTY))
        return 0;
    uint32_t back = (uint32_t)q - (uint32_t)w; /* how long ago it was written */
    if (FT_UNLIKELY(back == 0 || back > 0x7fffffffu))
        return 1; /* a newer record: our claim went stale (we were stopped): hands off */
    if (type >= FT_T_SYNC) {
        uint32_t id = FT_LOAD((uint32_t *)(slot + offsetof(struct ft_event, path_id)));
        uint32_t other = type == FT_T_RENAME
                             ? FT_LOAD((uint32_t *)(slot + offsetof(struct ft_event, writes))) : 0;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (FT_LOAD((uint64_t *)slot) != w)
            return 0; /* rewritten meanwhile: then it is not old */
        int named = 1;
        if (id) {
            /* Old events come in runs of one file (a thread's block). A use at
             * an earlier number of the same claim does for this one: no copy
             * can be claimed between two numbers of one claim. */
            if (id != j->noted) {
                j->noted = id;
                j->noted_ok = ft_use(c, js, id, q, 0);
            }
            named = j->noted_ok;
        }
        if (other && !ft_use(c, js, other, q, 0))
            named = 0;
        if (!named) /* its name is gone from the ring: so is it */
            FT_CAS((uint64_t *)slot, &w, 0);
        return 0;
    }
    /* Part of a path copy: find its head (o, the copy's sequence number). */
    uint64_t o = q - back;
    uint32_t hidx = idx, k = 0;
    uint64_t hw = w;
    int cut = type == FT_T_PATH_CONT;
    while (type == FT_T_PATH_CONT) {
        if (++k >= FT_PATH_SLOTS_MAX)
            return 0;
        hidx = hidx ? hidx - 1 : c->slots - 1;
        if (!ft_chunk_ready(c, hidx))
            return 0;
        hw = FT_LOAD_ACQ((uint64_t *)ft_slot(c, hidx));
        type = (uint8_t)(hw >> 32);
        if ((uint32_t)hw != (uint32_t)(o - k) || (type != FT_T_PATH && type != FT_T_PATH_CONT))
            return 0; /* its head went first, and its claimer saw to the copy */
    }
    o -= k;
    unsigned char *head = ft_slot(c, hidx);
    uint32_t id = FT_LOAD((uint32_t *)(head + offsetof(struct ft_path_rec, path_id)));
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (FT_LOAD((uint64_t *)head) != hw)
        return 0;
    struct ft_path *p = ft_path_get(id);
    uint64_t cw = p ? __atomic_load_n(&p->copy, __ATOMIC_SEQ_CST) : 0, mine = ft_pw(c, o);
    if (cw == (mine | FT_PW_GONE))
        return 1; /* another claimer is deciding about this copy: keep ours */
    if (cw == mine) {
        if (ft_needed(c, p, cw, q)) {
            if (q - o < 2ull * c->slots)
                return 1;
            /* Kept two laps: a block claim writes it anew (the job empties
             * a cut head once the new copy is whole). Else keep it. */
            return j->path_id || ft_new_copy(c, js, p, id, cw, cut ? hidx : 0, cut ? hw : 0) != 2;
        }
        uint64_t expected = cw;
        if (__atomic_compare_exchange_n(&p->copy, &expected, mine | FT_PW_GONE, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
            /* A use may have come just before: then keep the copy after
             * all, unless that use already took it over for a new one. */
            int keep = ft_needed(c, p, cw, q);
            expected = mine | FT_PW_GONE;
            if (__atomic_compare_exchange_n(&p->copy, &expected, keep ? mine : 0, 0, __ATOMIC_SEQ_CST,
                                            __ATOMIC_RELAXED) && keep)
                return 1;
        } else if (expected == (mine | FT_PW_GONE)) {
            return 1; /* another claimer decides about it meanwhile */
        }
    }
    if (cut)
        FT_CAS((uint64_t *)head, &hw, 0);
    return 0;
}

/* May a path copy record with sequence number seq go into its slot now?
 * Not once someone has claimed seq + ring_slots: then this thread was
 * stopped for a whole lap since its claim, and the slot is the new
 * claimer's, who saw what was there before and may write over the copy
 * later (while the copy's word, published, would still name it). Checked
 * right before each store, so only a stop of a lap within the few
 * instructions between the two could still let that happen. */
static inline int ft_copy_slot_mine(struct ft_ctx *c, uint64_t seq)
{
    return __atomic_load_n(&c->hdr->next_seq, __ATOMIC_ACQUIRE) - seq <= c->slots;
}

/* May an event with sequence number seq go into slot idx now? Not over a
 * record as new or newer: then this thread was stopped for a lap since its
 * claim and the record is dropped. (A newer claimer that has not written yet
 * can only have kept in place what our own claim kept too, which we do not
 * write to; if it writes after us, its record replaces ours, as it should.) */
static inline int ft_event_slot_mine(struct ft_ctx *c, uint32_t idx, uint64_t seq)
{
    uint64_t w = FT_LOAD((uint64_t *)ft_slot(c, idx));
    uint32_t back = (uint32_t)seq - (uint32_t)w;
    return (uint8_t)(w >> 32) == FT_T_EMPTY || (back != 0 && back <= 0x7fffffffu);
}

/* The copy of a path, into the slots its job claimed. Returns 1 when it is
 * published whole; 0 when it was not (this thread was stopped so long that
 * later claims took its slots) and the job holds BUSY, to write it at a new
 * run; -1 when it cannot be written (counted as dropped, no copy left). */
static int ft_write_copy(struct ft_ctx *c, const struct ft_job *j)
{
    struct ft_path *p = ft_path_get(j->path_id);
    uint32_t n = j->count, idx0 = (uint32_t)(j->first % c->slots), idx = idx0;
    if (FT_LOAD(&c->hdr->next_seq) - j->first > c->slots / 2)
        return 0; /* stale already: the ring has moved on by half a lap since the claim */
    int ok = FT_LOAD_ACQ(&c->state) == FT_RING_READY;
    for (uint32_t i = 0; ok && i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1)
        ok = ft_slot_ready(c, idx);
    if (!ok) {
        ft_count_drops(c, n);
        if (!j->extra)
            FT_STORE_REL(&p->copy, 0); /* none: the next use writes a first one */
        return -1;
    }
    unsigned char rec[FT_RECORD_SIZE];
    idx = idx0;
    for (uint32_t i = 0; i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1) {
        ft_path_piece(rec, p, j->path_id, i);
        uint32_t nested;
        int mine;
        do { /* again if a signal handler recorded in between (see ft_put) */
            nested = FT_LOAD(&ft_thr.nested);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            mine = ft_copy_slot_mine(c, j->first + i);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
        } while (mine && FT_LOAD(&ft_thr.nested) != nested);
        if (!mine) {
            /* Taken: empty the head we wrote, if it is still there. */
            uint64_t head = (uint64_t)FT_T_PATH << 32 | (uint32_t)j->first;
            if (i > 0)
                FT_CAS((uint64_t *)ft_slot(c, idx0), &head, 0);
            return 0;
        }
        ft_commit(ft_slot(c, idx), j->first + i, rec);
    }
    if (j->extra)
        return 1;
    /* Publish, then look: claimers that saw BUSY may have taken our slots if
     * we were stopped for a lap. The exchange orders the look after it. */
    uint64_t word = ft_pw(c, j->first);
    __atomic_exchange_n(&p->copy, word, __ATOMIC_SEQ_CST);
    idx = idx0;
    for (uint32_t i = 0; i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1) {
        uint64_t want = (uint64_t)(i ? FT_T_PATH_CONT : FT_T_PATH) << 32 | (uint32_t)(j->first + i);
        if (FT_LOAD((uint64_t *)ft_slot(c, idx)) != want) {
            /* Take the word back (from a claimer deciding about it, too) so
             * that it never names this copy; if it has moved on, whoever
             * moved it sees to the path. */
            uint64_t cur = __atomic_load_n(&p->copy, __ATOMIC_SEQ_CST);
            while (cur == word || cur == (word | FT_PW_GONE)) {
                if (__atomic_compare_exchange_n(&p->copy, &cur, word | FT_PW_BUSY, 0,
                                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                    return 0;
            }
            return 1;
        }
    }
    if (j->cut_word) {
        uint64_t expected = j->cut_word;
        FT_CAS((uint64_t *)ft_slot(c, j->cut_idx), &expected, 0);
    }
    return 1;
}

/* Run the jobs, innermost first: a copy is written once the slots it
 * displaces have been seen to, and before the record that displaced the
 * copy it replaces. */
static void ft_run(struct ft_ctx *c, struct ft_jobs *js, uint32_t *skip)
{
    while (js->n > 0) {
        struct ft_job *j = &js->job[js->n - 1];
        if (j->next < j->count) {
            uint32_t i = j->next++, idx = j->idx;
            j->idx = idx + 1 == c->slots ? 0 : idx + 1;
            if (ft_displace(c, js, j, j->first + i, idx)) {
                if (j->path_id)
                    j->keep = 1;
                else
                    j->skip |= 1u << i;
            }
            continue;
        }
        if (!j->path_id) { /* a block, or one slot: seen to */
            if (skip)
                *skip = j->skip;
            js->n--;
            continue;
        }
        /* A copy: written, unless a slot of its run must stay as it is or
         * the run went stale (or was lost after it was written); then the
         * run is left unwritten (nothing else writes to it) and another one
         * claimed. */
        if (!j->keep && ft_write_copy(c, j) != 0) {
            js->n--;
            continue;
        }
        if (++j->tries >= FT_COPY_TRIES) {
            ft_count_drops(c, j->count);
            if (!j->extra) /* none: the next use writes one */
                FT_STORE_REL(&ft_path_get(j->path_id)->copy, 0);
            js->n--;
            continue;
        }
        uint64_t s = ft_claim(c, j->count);
        ft_chunks_ahead(c, s, j->count);
        j->first = s;
        j->idx = (uint32_t)(s % c->slots);
        j->next = 0;
        j->keep = 0;
        j->noted = 0;
    }
}

/* ---- claiming slots ------------------------------------------------------ */

/* One slot for an event, from the thread's block. A block is discarded when
 * the ring has moved on by half its size since it was claimed: writing an old
 * sequence number into a slot the ring has already reused would overwrite a
 * newer record. Slots that hold a copy still needed are skipped. Returns the
 * ring index, or -1 (the caller counts a drop). */
static int64_t ft_claim_one(struct ft_ctx *c, uint64_t head, uint64_t *seq, struct ft_jobs *js)
{
    struct ft_thread *t = &ft_thr;
    if (FT_UNLIKELY(t->gen != c->gen)) {
        t->gen = c->gen;
        t->blk_next = t->blk_end = 0;
        t->tid = (uint32_t)syscall(SYS_gettid);
    }
    for (unsigned blocks = 0;;) {
        /* Signed: a block claimed after `head` was read is not stale. */
        if (t->blk_next == t->blk_end || (int64_t)(head - t->blk_next) > (int64_t)(c->slots / 2)) {
            if (++blocks > 8)
                return -1; /* the ring is all needed copies */
            uint64_t s = ft_claim(c, c->block);
            t->blk_next = s;
            t->blk_end = s + c->block;
            t->blk_idx = (uint32_t)(s % c->slots);
            t->blk_skip = 0;
            ft_chunks_ahead(c, s, c->block);
            if (s + c->block > c->slots) { /* past the first lap: records are displaced */
                /* The block's lines are cold and about to be read, then
                 * written: fetch them all at once, not one miss at a time. */
                for (uint32_t i = 0, idx = t->blk_idx; i < c->block; i++, idx = idx + 1 == c->slots ? 0 : idx + 1)
                    __builtin_prefetch(ft_slot(c, idx), 1, 3);
                ft_push(c, js, s, c->block, 0, 0, 0);
                ft_run(c, js, &t->blk_skip);
                if (FT_LOAD(&c->hdr->next_seq) - s > c->slots / 2)
                    t->blk_next = t->blk_end; /* stopped for long: stale already */
            }
            if (t->blk_next == t->blk_end)
                continue;
        }
        uint32_t skip = t->blk_skip & 1;
        t->blk_skip >>= 1;
        uint64_t s = t->blk_next++;
        uint32_t idx = t->blk_idx;
        t->blk_idx = idx + 1 == c->slots ? 0 : idx + 1;
        if (FT_LIKELY(!skip)) {
            *seq = s;
            return ft_slot_ready(c, idx) ? (int64_t)idx : -1;
        }
    }
}

/* One slot straight from the shared counter, past slots that hold needed
 * copies: its ring index, or -1. */
static int64_t ft_claim_single(struct ft_ctx *c, struct ft_jobs *js, uint64_t *seq)
{
    for (int tries = 0; tries < 64; tries++) {
        uint32_t skip = 0;
        *seq = ft_claim(c, 1);
        ft_chunks_ahead(c, *seq, 1);
        ft_push(c, js, *seq, 1, 0, 0, 0);
        ft_run(c, js, &skip);
        if (!skip) {
            uint32_t i = (uint32_t)(*seq % c->slots);
            return ft_slot_ready(c, i) ? (int64_t)i : -1;
        }
    }
    return -1;
}

/* Name the event's paths, then write it into the slot claimed for it.
 * Returns 0 if that slot was taken meanwhile (see ft_event_slot_mine). */
static inline __attribute__((always_inline)) int ft_put(struct ft_ctx *c, struct ft_jobs *js,
                                                        struct ft_event *ev, int64_t idx, uint64_t seq)
{
    if (idx < 0) {
        ft_count_drops(c, 1);
        return 1;
    }
    if (ev->path_id)
        ft_use(c, js, ev->path_id, seq, 1);
    if (ev->type == FT_T_RENAME && ev->writes)
        ft_use(c, js, ev->writes, seq, 1);
    if (js->n)
        ft_run(c, js, NULL);
    if (FT_UNLIKELY(FT_LOAD(&c->state) != FT_RING_READY)) {
        ft_count_drops(c, 1);
        return 1;
    }
    /* A signal handler that lands between the check and the store may keep
     * the thread away for a lap: if one recorded meanwhile, check again. */
    uint32_t nested;
    do {
        nested = FT_LOAD(&ft_thr.nested);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (FT_UNLIKELY(!ft_event_slot_mine(c, (uint32_t)idx, seq)))
            return 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    } while (FT_UNLIKELY(FT_LOAD(&ft_thr.nested) != nested));
    ft_commit(ft_slot(c, (uint32_t)idx), seq, ev);
    return 1;
}

/* This thread was stopped for a lap between its claim and its store: the
 * slot is a later lap's. The record goes to a fresh slot instead (the
 * thread's block is as stale, and goes at its next record). */
static __attribute__((noinline)) void ft_put_fresh(struct ft_ctx *c, struct ft_jobs *js, struct ft_event *ev)
{
    for (int tries = 0; tries < 4; tries++) {
        uint64_t seq;
        int64_t idx = ft_claim_single(c, js, &seq);
        if (ft_put(c, js, ev, idx, seq))
            return;
    }
    ft_count_drops(c, 1);
}

/* A signal handler that interrupted this thread inside ft_emit: the thread's
 * block may be half updated, so the handler's record takes one slot
 * straight from the shared counter. Its tid is the thread's, unless the
 * interrupted code was about to set it. */
static __attribute__((noinline)) void ft_emit_nested(struct ft_event *ev)
{
    FT_STORE(&ft_thr.nested, FT_LOAD(&ft_thr.nested) + 1); /* see ft_put */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    struct ft_ctx *c = ft_ring();
    if (!c)
        return;
    struct ft_jobs js;
    js.n = 0;
    uint32_t tid = FT_LOAD(&ft_thr.gen) == c->gen ? FT_LOAD(&ft_thr.tid) : 0;
    ev->tid = tid ? tid : (uint32_t)syscall(SYS_gettid);
    uint64_t seq;
    int64_t idx = ft_claim_single(c, &js, &seq);
    if (!ft_put(c, &js, ev, idx, seq))
        ft_put_fresh(c, &js, ev);
}

void ft_emit(struct ft_event *ev)
{
    if (FT_UNLIKELY(ft_thr.guard)) {
        ft_emit_nested(ev);
        return;
    }
    ft_guard_on();
    struct ft_ctx *c = ft_ring();
    if (c) {
        struct ft_jobs js;
        js.n = 0;
        /* One read of the shared head per record: it is the line every
         * thread's block claim writes. */
        uint64_t seq;
        int64_t idx = ft_claim_one(c, FT_LOAD(&c->hdr->next_seq), &seq, &js);
        ev->tid = ft_thr.tid;
        if (FT_UNLIKELY(!ft_put(c, &js, ev, idx, seq)))
            ft_put_fresh(c, &js, ev);
        /* Each record lands on a cold cache line; fetch the thread's next
         * one now, so that its miss is not paid at the next record (or at
         * the next locked instruction, which waits for the store). */
        if (idx >= 0 && ft_thr.blk_next != ft_thr.blk_end && ft_chunk_ready(c, ft_thr.blk_idx))
            __builtin_prefetch(ft_slot(c, ft_thr.blk_idx), 1, 3);
    }
    ft_guard_off();
}

/* ---- process life --------------------------------------------------------- */

/* exit(3) or return from main: say so in the header, so a reader can tell a
 * clean end from a crash (a SIGKILL leaves the flag unset). Not from a vfork
 * child: the file is its parent's. Returns 1 if this call set the flag. */
static int ft_set_ended(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (!c || FT_LOAD_ACQ(&c->state) < FT_RING_READY || !FT_LOAD_ACQ(&c->hdr))
        return 0;
    if ((uint32_t)ft_sys_getpid() != ft_ctx_pid(c))
        return 0;
    uint32_t old = __atomic_fetch_or(&c->hdr->flags, FT_HDR_ENDED, __ATOMIC_RELEASE);
    return !(old & FT_HDR_ENDED);
}

void ft_mark_ended(void)
{
    ft_set_ended();
}

/* exec(3): a successful exec ends the image without running destructors, so
 * the flag goes up before the call ... */
int ft_exec_begin(void)
{
    int saved = errno;
    int marked = ft_set_ended();
    errno = saved;
    ft_signal_exec(1);
    return marked;
}

/* ... and comes down again if the call returns, which it does only when it
 * failed (the image goes on). */
void ft_exec_failed(int marked)
{
    ft_signal_exec(0);
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (marked && c && FT_LOAD_ACQ(&c->hdr))
        __atomic_fetch_and(&c->hdr->flags, ~FT_HDR_ENDED, __ATOMIC_RELEASE);
}

/* pthread_atfork child handler: the child is one thread, a copy of us.
 * It gets its own trace file at its next record (flag FT_HDR_FORKED), and
 * never writes into the parent's ring, which it unmaps now. */
void ft_after_fork_child(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (ft_map_addr) {
        syscall(SYS_munmap, ft_map_addr, ft_map_len);
        ft_map_addr = NULL;
    }
    if (c && FT_LOAD(&c->state) != FT_RING_REFUSED)
        memset(c, 0, sizeof *c); /* already zero if MADV_WIPEONFORK took */
    ft_thr.gen = 0;
    ft_thr.blk_next = ft_thr.blk_end = 0;
    ft_thr.tid = 0;
    ft_thr.guard = 0;
    ft_thr.resolving = 0;
    ft_thr.initializing = 0;
    /* The parent's uncounted cost is the parent's. */
    ft_thr.cost_due = ft_thr.cost_samples = 0;
    ft_thr.cost_ns = ft_thr.cost_calls = ft_thr.sync_ns = ft_thr.sync_calls = 0;
}

/* ---- the regions after the ring (used by ft_always.c) ---------------------- */

void ft_record_commit(unsigned char *slot, uint64_t seq, const void *rec)
{
    ft_commit(slot, seq, rec);
}

/* The current file's regions; NULL when there is no file (yet), or it has
 * stopped. Never creates one: only a raw record does. */
struct ft_regions *ft_regions(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (FT_LIKELY(c != NULL && FT_LOAD_ACQ(&c->state) == FT_RING_READY))
        return &c->rg;
    return NULL;
}

/* Chunk k, made and faulted in if it is not yet. */
static int ft_chunk_make(struct ft_ctx *c, uint32_t k)
{
    if (k >= c->nchunks || ft_chunk_ready(c, k * FT_CHUNK_SLOTS))
        return 1;
    if (!ft_chunk_reserve(c, k, -1)) {
        ft_reserve_failed(c); /* for good, or only this record (EMFILE) */
        return 0;
    }
    ft_chunk_populate(c, k);
    return 1;
}

/* May global slots [g, g + n) be written? As for the ring: every chunk is
 * fallocated before a store reaches it. A region's first chunk is made by
 * its first writer; after that, whoever takes slots that cross into a chunk
 * makes the next one (and faults its pages in), so a region's writers
 * rarely wait for either. */
int ft_slots_ready(struct ft_regions *rg, uint32_t g, uint32_t n, uint32_t region_end)
{
    struct ft_ctx *c = (struct ft_ctx *)((char *)rg - offsetof(struct ft_ctx, rg));
    for (uint32_t k = g / FT_CHUNK_SLOTS; k <= (g + n - 1) / FT_CHUNK_SLOTS; k++)
        if (!ft_chunk_make(c, k))
            return 0;
    uint32_t q = (g + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    for (; (uint64_t)q * FT_CHUNK_SLOTS < (uint64_t)g + n && (uint64_t)q * FT_CHUNK_SLOTS < region_end; q++)
        ft_chunk_make(c, q + 1); /* ahead: a failure here is seen again when it is needed */
    return FT_LOAD_ACQ(&c->state) == FT_RING_READY;
}

/* SIGBUS at addr (ft_signal.c): if it lies in our mapping, the trace file was
 * truncated under us. Map anonymous memory over the whole mapping (MAP_FIXED
 * replaces it in one step, so a store retried after the handler returns
 * lands there), and stop recording: what is left of the file keeps what was
 * written before. Every thread that faulted in the mapping gets here and maps
 * it again: idempotent, and a store into the memory another thread mapped a
 * moment before is as harmless as one into ours (no marker of "done": a
 * fork child may map its own trace at the same address later).
 * Async-signal-safe: atomics and raw syscalls. Returns 1 if the fault was ours. */
int ft_ring_fault(const void *addr)
{
    uintptr_t a = (uintptr_t)addr, lo = (uintptr_t)FT_LOAD_ACQ(&ft_map_addr);
    uint64_t len = FT_LOAD(&ft_map_len);
    if (!lo || a < lo || a - lo >= len)
        return 0;
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (c)
        FT_STORE_REL(&c->state, FT_RING_DEAD);
    void *p = (void *)syscall(SYS_mmap, (void *)lo, (size_t)len, PROT_READ | PROT_WRITE,
                              MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return 0; /* no memory even for that: the program's action decides */
    return 1;
}
