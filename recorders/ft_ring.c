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
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

static size_t ft_cat(char *dst, size_t at, size_t size, const char *src)
{
    while (*src && at + 1 < size)
        dst[at++] = *src++;
    dst[at < size ? at : size - 1] = '\0';
    return at;
}

static size_t ft_cat_u64(char *dst, size_t at, size_t size, uint64_t v, int width)
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

static uint64_t ft_clock(clockid_t id)
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
 * runs in between re-anchors for itself instead of mixing the halves. */
uint64_t ft_now_slow(void)
{
    uint64_t t1 = ft_rdtsc();
    uint64_t ns = ft_clock(CLOCK_MONOTONIC);
    uint64_t t2 = ft_rdtsc();
    if (!ft_tsc_usable)
        return ns;
    uint64_t tsc = t1 + (t2 - t1) / 2;
    ft_thr.clk_tsc = ~0ull;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ft_thr.clk_ns = ns;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ft_thr.clk_tsc = tsc;
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

    const char *dir = getenv("FSYNC_TRACE_DIR");
    if (dir && *dir && strlen(dir) < FT_DIR_MAX - 128) {
        size_t at = ft_cat(ft_cfg.dir, 0, sizeof ft_cfg.dir, dir);
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
    FT_RING_INIT = 1,     /* a thread is creating it: others drop, never wait */
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
    uint64_t count = c->slots - first < FT_CHUNK_SLOTS ? c->slots - first : FT_CHUNK_SLOTS;
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
    uint64_t count = c->slots - first < FT_CHUNK_SLOTS ? c->slots - first : FT_CHUNK_SLOTS;
    unsigned char *p = c->ring + first * FT_RECORD_SIZE;
    size_t len = (size_t)count * FT_RECORD_SIZE;
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)4095;
    if (syscall(SYS_madvise, start, (uintptr_t)p + len - start, MADV_POPULATE_WRITE) != 0) {
        for (size_t i = 0; i < len; i += 4096)
            __atomic_fetch_or(p + i, 0, __ATOMIC_RELAXED);
    }
}

/* The thread that claims the first slot of chunk k (on the first lap) makes
 * chunk k+1, so allocation stays one chunk (4096 records) ahead. */
static void ft_chunks_ahead(struct ft_ctx *c, uint64_t s, uint64_t n)
{
    if (s >= c->slots)
        return; /* past the first lap: every chunk exists */
    uint64_t q = (s + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    for (; q * FT_CHUNK_SLOTS < s + n && q * FT_CHUNK_SLOTS < c->slots; q++) {
        if (!ft_chunk_reserve(c, (uint32_t)q + 1, -1)) {
            ft_ring_die(c);
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

/* ---- creating the trace file --------------------------------------------- */

/* The directory must be ours and closed to others: a trace names files and
 * command lines, and a directory others can write into lets them plant
 * symlinks or pre-create our file names. Refuse rather than weaken it. */
static int ft_check_dir(const char *dir)
{
    if (syscall(SYS_mkdirat, AT_FDCWD, dir, 0700) < 0 && errno != EEXIST)
        return 0;
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

    uint64_t slots = (ft_cfg.max_bytes - FT_HEADER_SIZE) / FT_RECORD_SIZE;
    c->slots = slots > 0x7fffffff ? 0x7fffffff : (uint32_t)slots;
    c->block = c->slots / 8 < FT_BLOCK_MAX ? c->slots / 8 : FT_BLOCK_MAX;
    c->nchunks = (c->slots + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    uint64_t size = FT_HEADER_SIZE + (uint64_t)c->slots * FT_RECORD_SIZE;

    int fd = -1;
    for (int attempt = 0; attempt < 4 && fd < 0; attempt++) {
        uint64_t t = rt + (uint64_t)attempt; /* a clash means same pid, same ns: a reused pid */
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
        fd = ft_sys_openat(AT_FDCWD, c->path,
                           O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return 0;
    }
    if (fd < 0)
        return 0;

    uint32_t mode;
    void *map = MAP_FAILED;
    if (ft_sys_fstat(fd, &c->dev, &c->ino, &mode) < 0 ||
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
    ft_sys_close(fd);

    ft_fill_header(map, c, rt, mono, pid, forked, exe);
    ft_map_addr = map;
    ft_map_len = size;
    ft_map_pid = pid;
    /* A new generation: threads drop blocks claimed in an older file and
     * every path is named again in this one. */
    c->gen = __atomic_add_fetch(&ft_gen_counter, 1, __ATOMIC_RELAXED);
    FT_STORE_REL(&c->hdr, (struct ft_header *)map);
    uint64_t pending = FT_XCHG(&c->pending_drops, 0);
    if (pending)
        FT_ADD(&((struct ft_header *)map)->dropped, pending);
    return 1;

fail:
    if (map != MAP_FAILED)
        syscall(SYS_munmap, map, size);
    syscall(SYS_unlinkat, AT_FDCWD, c->path, 0);
    ft_sys_close(fd);
    return 0;
}

/* The state machine: uninit -> init -> ready | refused. Whoever loses the
 * race does not wait (it may be a signal handler that interrupted the
 * winner, in the same thread): its record is dropped and counted. */
static struct ft_ctx *ft_ring(void)
{
    struct ft_ctx *c = ft_ctx();
    if (FT_UNLIKELY(!c))
        return NULL;
    uint32_t st = FT_LOAD_ACQ(&c->state);
    if (FT_LIKELY(st == FT_RING_READY))
        return c;
    if (st == FT_RING_UNINIT) {
        uint32_t expected = FT_RING_UNINIT;
        if (FT_CAS(&c->state, &expected, FT_RING_INIT)) {
            if (ft_ring_create(c)) {
                FT_STORE_REL(&c->state, FT_RING_READY);
                ft_chunk_populate(c, 0);
                ft_chunk_populate(c, 1);
                return c;
            }
            /* Nowhere to record (directory refused, tmpfs full): become a
             * pass-through for the life of this image. */
            FT_STORE_REL(&c->state, FT_RING_REFUSED);
            FT_STORE_REL(&ft_mode, FT_MODE_OFF);
            return NULL;
        }
    }
    if (st != FT_RING_REFUSED)
        ft_count_drops(c, 1);
    return NULL;
}

/* ---- claiming slots ------------------------------------------------------ */

/* One slot for an event, from the thread's block. A block is discarded when
 * the ring has moved on by half its size since it was claimed: writing an old
 * sequence number into a slot the ring has already reused would overwrite a
 * newer record. Returns the ring index, or -1 (the caller counts a drop). */
static int64_t ft_claim_one(struct ft_ctx *c, uint64_t head, uint64_t *seq)
{
    struct ft_thread *t = &ft_thr;
    if (FT_UNLIKELY(t->gen != c->gen)) {
        t->gen = c->gen;
        t->blk_next = t->blk_end = 0;
        t->tid = (uint32_t)syscall(SYS_gettid);
    }
    if (t->blk_next == t->blk_end || head - t->blk_next > c->slots / 2) {
        uint64_t s = FT_ADD(&c->hdr->next_seq, c->block);
        t->blk_next = s;
        t->blk_end = s + c->block;
        t->blk_idx = (uint32_t)(s % c->slots);
        ft_chunks_ahead(c, s, c->block);
    }
    *seq = t->blk_next++;
    uint32_t idx = t->blk_idx;
    t->blk_idx = idx + 1 == c->slots ? 0 : idx + 1;
    return ft_chunk_ready(c, idx) ? (int64_t)idx : -1;
}

static void ft_commit(unsigned char *slot, uint64_t seq, const void *rec)
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

/* Name path `id` in this trace file if it has not been, or if its last copy
 * is more than `age` sequence numbers older than the event `seq` that
 * refers to it. A path takes 1 + ceil((len-32)/56) slots, claimed as one
 * contiguous run after the event's own sequence number, so a fresh copy
 * outlives every earlier event that needs it.
 *
 * Why this keeps events named: the ring keeps the last ring_slots records.
 * While a file is in use, a copy of its name is never more than `age` old,
 * so one is in the ring. When use stops, the events after the last copy
 * would outlive it by up to `age` records; a file's last close therefore
 * refreshes a copy older than ring_slots/64, and `age` is ring_slots/4 for
 * files that stay open. */
static void ft_emit_path(struct ft_ctx *c, uint32_t id, uint64_t seq, uint32_t age)
{
    struct ft_path *p = ft_path_get(id);
    if (!p)
        return;
    if (FT_LOAD(&p->emit_gen) == c->gen &&
        (int64_t)(seq - FT_LOAD(&p->emit_seq)) < (int64_t)age)
        return;
    uint32_t len = p->len;
    uint32_t n = 1 + (len > FT_PATH_HEAD_BYTES
                          ? (len - FT_PATH_HEAD_BYTES + FT_PATH_CONT_BYTES - 1) / FT_PATH_CONT_BYTES
                          : 0);
    uint64_t s = FT_ADD(&c->hdr->next_seq, n);
    ft_chunks_ahead(c, s, n);
    uint32_t idx0 = (uint32_t)(s % c->slots);
    for (uint32_t i = 0, idx = idx0; i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1) {
        if (!ft_chunk_ready(c, idx)) {
            ft_count_drops(c, n);
            return;
        }
    }
    const char *name = ft_path_name(p);
    struct ft_path_rec head_rec;
    memset(&head_rec, 0, sizeof head_rec);
    head_rec.type = FT_T_PATH;
    head_rec.path_id = id;
    head_rec.len = len;
    head_rec.dev = p->dev;
    head_rec.ino = p->ino;
    memcpy(head_rec.name, name, len < FT_PATH_HEAD_BYTES ? len : FT_PATH_HEAD_BYTES);
    ft_commit(c->ring + (uint64_t)idx0 * FT_RECORD_SIZE, s, &head_rec);
    uint32_t done = FT_PATH_HEAD_BYTES, idx = idx0;
    for (uint32_t i = 1; i < n; i++, done += FT_PATH_CONT_BYTES) {
        unsigned char cont[FT_RECORD_SIZE];
        memset(cont, 0, sizeof cont);
        cont[4] = FT_T_PATH_CONT;
        uint32_t k = len - done < FT_PATH_CONT_BYTES ? len - done : FT_PATH_CONT_BYTES;
        memcpy(cont + 8, name + done, k);
        idx = idx + 1 == c->slots ? 0 : idx + 1;
        ft_commit(c->ring + (uint64_t)idx * FT_RECORD_SIZE, s + i, cont);
    }
    FT_STORE(&p->emit_seq, s);
    FT_STORE(&p->emit_gen, c->gen);
}

void ft_emit(struct ft_event *ev)
{
    int was_guarded = ft_thr.guard;
    ft_guard_on();
    struct ft_ctx *c = ft_ring();
    if (c) {
        /* One read of the shared head per record: it is the line every
         * thread's block claim writes. */
        uint64_t seq;
        int64_t idx = ft_claim_one(c, FT_LOAD(&c->hdr->next_seq), &seq);
        uint32_t age = ev->type == FT_T_CLOSE && (ev->flags & FT_F_LAST_CLOSE)
                           ? c->slots / 64 : c->slots / 4;
        if (ev->path_id)
            ft_emit_path(c, ev->path_id, seq, age);
        if (ev->type == FT_T_RENAME && ev->writes)
            ft_emit_path(c, ev->writes, seq, age);
        ev->tid = ft_thr.tid;
        if (idx >= 0 && FT_LOAD(&c->state) == FT_RING_READY) {
            ft_commit(c->ring + (uint64_t)idx * FT_RECORD_SIZE, seq, ev);
            /* Each record lands on a cold cache line; fetch the thread's next
             * one now, so that its miss is not paid at the next record (or
             * at the next locked instruction, which waits for the store). */
            if (ft_thr.blk_next != ft_thr.blk_end && ft_chunk_ready(c, ft_thr.blk_idx))
                __builtin_prefetch(c->ring + (uint64_t)ft_thr.blk_idx * FT_RECORD_SIZE, 1, 3);
        } else {
            ft_count_drops(c, 1);
        }
    }
    if (!was_guarded)
        ft_guard_off();
}

/* ---- process life --------------------------------------------------------- */

/* exit(3) or return from main: say so in the header, so a reader can tell a
 * clean end from a crash (a SIGKILL leaves the flag unset). */
void ft_mark_ended(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (!c || FT_LOAD_ACQ(&c->state) < FT_RING_READY || !c->hdr)
        return;
    if ((uint32_t)ft_sys_getpid() != ft_ctx_pid(c))
        return; /* a vfork child exiting: the file is its parent's */
    __atomic_fetch_or(&c->hdr->flags, FT_HDR_ENDED, __ATOMIC_RELEASE);
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
}
