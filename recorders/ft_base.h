/*
 * ft_base.h — what every part of the recorder stands on: atomics, the
 * configuration, the per-thread state, the clock and raw syscalls.
 *
 * The recorder is built in layers, each including and calling only those
 * before it:
 *
 *   ft_format.h                 the trace format
 *   ft_base.h   ft_config.c ft_clock.c        configuration, clock, syscalls
 *   ft_paths.h  ft_paths.c                    path names in process memory
 *   ft_trace.h  ft_budget.c ft_trace.c ft_create.c   the trace file, its regions,
 *                                             the directory's budget
 *   ft_names.h  ft_names.c                    the names ring
 *   ft_ring.h   ft_ring.c                     the ring of events
 *   ft_files.h  ft_files.c                    descriptors, files, intervals
 *   ft_always.h ft_alert.c ft_always.c        summaries, keep ring, alerts
 *   ft_table.h  ft_table.c ft_calls.h ft_calls.c ft_moves.c ft_signal.c
 *               ft_wrappers.c ft_execl.c      the interposed functions
 *
 * Nothing here is exported: the library is built with -fvisibility=hidden
 * and only the wrappers carry FT_EXPORT.
 *
 * Three rules hold everywhere:
 *  - no malloc, no stdio, no locks: a wrapper may run in a signal handler,
 *    in a vfork child, or before our constructor;
 *  - internal I/O goes through raw syscall(2), never through a libc symbol
 *    that we interpose (that would trace the recorder itself);
 *  - the one non-reentrant step, claiming ring slots from the thread's
 *    block, runs with the thread's guard set: a signal handler that
 *    interrupts it claims its slot straight from the shared counter instead.
 *    Only dlsym (ft_thr.resolving) makes calls pass through untraced: those
 *    are the recorder's own. Everything else is atomics and stack buffers,
 *    so a handler's calls are recorded wherever they interrupt us.
 */
#ifndef FT_BASE_H
#define FT_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <sys/types.h>
#include <time.h>

#include "ft_format.h"

#define FT_EXPORT __attribute__((visibility("default")))
#define FT_TLS __thread __attribute__((tls_model("initial-exec")))
/* The functions of a sync's or a write's path: GCC puts them in .text.hot,
 * which the linker places together, so that the path's code is one or two
 * pages instead of five (see "the hot page" below for why pages count). */
#define FT_HOT __attribute__((hot))
/* A wrapper of the fsync family: its whole path (ft_sync_done_hot,
 * ft_emit_hot and the ring's claim inlined into it) is one function of
 * under 4 KiB that starts a page (its own section, so GCC keeps its cold
 * blocks in it rather than in a .cold part that would be page-aligned too).
 * It was four functions on two pages: another page to walk after every call
 * on this VM, four prologues and epilogues, and our GOT read again after the
 * call for ft_thr's TLS offset in each (a third page); now the offset stays
 * in a register across the real call. test/recorders/hotpage.test.ts checks
 * the sizes. */
#define FT_HOT_PAGE(f) __attribute__((hot, aligned(4096), section(".text.ft_hot_" #f)))
#define FT_LIKELY(x) __builtin_expect(!!(x), 1)
#define FT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define FT_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define FT_LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define FT_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define FT_STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define FT_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define FT_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
#define FT_CAS(p, expp, v) \
    __atomic_compare_exchange_n((p), (expp), (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

#define FT_RECORDER_VERSION "0.1.0"

/* ---- configuration (ft_config.c) ------------------------------------------ */

enum ft_modes { FT_MODE_UNREAD = 0, FT_MODE_ON = 1, FT_MODE_OFF = 2 };

#define FT_DIR_MAX 1024

struct ft_config {
    uint32_t write_sample;   /* time 1 write in N (FSYNC_TRACE_WRITE_SAMPLE) */
    uint32_t start_pid;      /* pid of the image that read the config: a fork child differs */
    uint64_t max_bytes;      /* FSYNC_TRACE_MAX_BYTES */
    uint64_t dir_max_bytes;  /* FSYNC_TRACE_DIR_MAX_BYTES; 0: no budget */
    uint32_t unsynced;       /* FSYNC_TRACE_UNSYNCED=1: a trace even for a process that never syncs */
    uint32_t summary_s;      /* FSYNC_TRACE_SUMMARY_SECONDS; 0: no summaries, no keep ring */
    uint32_t alert_ms;       /* FSYNC_TRACE_ALERT_MS; 0: no absolute rule */
    uint32_t alert_factor;   /* FSYNC_TRACE_ALERT_FACTOR; 0: no relative rule */
    uint32_t alert_min_ms;   /* FSYNC_TRACE_ALERT_MIN_MS */
    uint32_t alert_every_s;  /* FSYNC_TRACE_ALERT_EVERY */
    uint32_t alert_sink;     /* enum ft_sink, from FSYNC_TRACE_ALERT_TO */
    uint32_t cost_period;    /* FSYNC_TRACE_COST_PERIOD; 0: not measured */
    uint64_t launch_id;      /* FSYNC_TRACE_LAUNCH: the fsync-record run the process is part of; 0: none */
    char dir[FT_DIR_MAX];    /* FSYNC_TRACE_DIR, copied: the program may change its env */
    char alert_path[FT_DIR_MAX]; /* FSYNC_TRACE_ALERT_TO=/abs/path */
    char syslog_path[108];   /* FSYNC_TRACE_SYSLOG_PATH (tests), else /dev/log */
};

int ft_config_load(void);

/* ---- the hot page ---------------------------------------------------------- */

/* Every global a recorded call reads, in one page (ft_config.c). On a kernel
 * with page-table isolation and no PCID (this project's VM: Meltdown
 * mitigation "PTI", no pcid flag) each system call empties the TLB, so each
 * distinct page a wrapper touches before or after the real call costs a page
 * walk, ~5-10 ns: scattered over .bss these globals were five pages, the
 * descriptor table's first entries a sixth, the real functions' pointers a
 * seventh. The names below are the globals' names; each layer uses its own
 * and leaves the others alone, as before. The descriptor table's first
 * chunk (fd_low) comes last: the entries of descriptors below ~80 are in
 * the page (a page walk less for every sync and write on them), the rest of
 * the chunk follows it; the other chunks are reached through ft_fd_top
 * (ft_files.c), which is no longer in the page. */
#define FT_REALS_MAX 128                          /* ft_table.h: entries of FT_INTERPOSED */
#define FT_FD_CHUNK_SHIFT 12
#define FT_FD_CHUNK (1u << FT_FD_CHUNK_SHIFT)     /* 4096 fds, 32 KiB per chunk */
#define FT_FD_TOP 16384                           /* 64 Mi fds in all */

struct ft_ctx;
struct ft_file;
struct ft_track;

struct ft_hot {
    /* Where ft_thr and libc's errno are from the thread pointer (ft_thr_get,
     * ft_errno_get), first: read as ft_thr_off and ft_errno_off (ft_config.c). */
    intptr_t thr_off, errno_off;
    /* Written once or seldom, read by every call: a line no thread writes
     * in the steady state, so that no core takes it from another. */
    int mode;                      /* ft_mode: enum ft_modes */
    uint32_t names_gen;            /* ft_names_gen (ft_files.h): directory renames */
    uint32_t off_pending;          /* ft_off_pending (ft_trace.h) */
    struct ft_ctx *ctx_ptr;        /* ft_ctx_ptr (ft_trace.h) */
    struct ft_file *files;         /* ft_files (ft_files.h) */
    struct ft_track *tracks;       /* ft_tracks (ft_track.c) */
    /* Written now and then (a thread's clock re-anchoring; a new path id). */
    uint64_t tsc_mult __attribute__((aligned(64))); /* ft_tsc_mult (below) */
    uint32_t paths_handed;         /* ft_paths_handed (ft_paths.h) */
    void *real[FT_REALS_MAX] __attribute__((aligned(64))); /* the real functions (ft_table.h, FT_REAL) */
    struct ft_config cfg;          /* ft_cfg: its numbers first, then the paths */
    /* Touched once per process (a page of .bss each, scattered, was a page
     * fault each: ~15 us on this VM): */
    uint32_t fd_used;              /* ft_fd_used (ft_files.h) */
    uint32_t gen_counter;          /* ft_gen_counter (ft_trace.h) */
    uint32_t map_pid;              /* ft_map_pid (ft_trace.h) */
    void *map_addr;                /* ft_map_addr (ft_trace.h) */
    uint64_t map_len;              /* ft_map_len (ft_trace.h) */
    uint64_t made_at, made_ns;     /* ft_made_at, ft_made_ns (ft_trace.h) */
    void (*created_hook)(struct ft_ctx *); /* ft_created_hook (ft_trace.h) */
    uint32_t births_unknown;       /* ft_births_unknown (ft_files.h) */
    uint64_t fd_low[FT_FD_CHUNK];  /* descriptors 0-4095 (ft_fd_chunk, ft_files.h) */
} __attribute__((aligned(4096)));
_Static_assert(__builtin_offsetof(struct ft_hot, fd_low) + 64 * 8 <= 4096,
               "the hot globals and the entries of descriptors 0-63 fit one page");

extern struct ft_hot ft_hot;
#define ft_mode (ft_hot.mode)
#define ft_cfg (ft_hot.cfg)
#define ft_tsc_mult (ft_hot.tsc_mult)

/* ---- per-thread state ---------------------------------------------------- */

/* Initial-exec TLS is one %fs-relative load, no __tls_get_addr call, and it is
 * usable in signal handlers. Kept small: a preloaded library's static TLS
 * comes out of glibc's small surplus when the library is dlopen()ed instead. */
#define FT_OWN_ENTRIES 8u    /* a thread's recent own summary entries (a power of 2) */

struct ft_thread {
    uint64_t blk_next;    /* the thread's claimed block of ring slots: [next, end) */
    uint64_t blk_end;
    uint32_t blk_idx;     /* ring index of blk_next (saves a division per record) */
    uint32_t blk_ready;   /* every slot of the block is in a chunk made (ft_claim_one) */
    uint32_t gen;         /* trace file generation the block and tid belong to */
    uint32_t tid;
    uint32_t wsample;     /* writes left before the next timed one */
    int guard;            /* set while the thread claims from its block (ft_emit) */
    int resolving;        /* set while inside dlsym(): calls pass through */
    int initializing;     /* set while this thread creates the trace file */
    int in_vfork;         /* set across vfork and clone(CLONE_VM) without a TLS of the
                           * child's own: the child runs on this thread's state and
                           * must not record (ft_wrappers.c, vfork) */
    uint32_t nested;      /* records made by signal handlers on this thread, ever */
    int32_t cost_left;    /* intercepted calls before the next cost batch (ft_on) */
    uint64_t clk_tsc;     /* the thread's clock anchor: TSC ... */
    uint64_t clk_ns;      /* ... and CLOCK_MONOTONIC read together */
    uint64_t clk_last;    /* the last time ft_now() returned on this thread */
    /* The recorder's cost, accumulated per thread and added to the trace's
     * cost entry once per cost_period calls (ft_cost_tick). */
    uint32_t cost_due;    /* measure the next sync or write wrapper */
    uint32_t cost_samples;
    uint64_t cost_ns;     /* recorder time in the measured calls */
    uint64_t cost_calls;  /* calls counted, not yet added */
    uint64_t sync_ns;     /* time in sync calls, not yet added */
    uint64_t sync_calls;
    uint32_t name_id;     /* the path id the thread last named (ft_name_ensure_own) ... */
    uint64_t name_at;     /* ... and where its copy is: tag << 48 | position */
    uint32_t name2_id;    /* the same for a record's second name (ft_name_ensure_own2) */
    uint64_t name2_at;
    /* The thread's own summary entries (ft_summary.h, "the thread's own
     * entries"): the words (ft_cur_word) of its recent ones, for the trace
     * of generation sum_gen; sum_busy while the thread updates one (a
     * signal handler's sync then counts into a shared entry instead). */
    uint32_t sum_busy;
    uint32_t sum_gen;
    uint64_t sum[FT_OWN_ENTRIES];
};

extern FT_TLS struct ft_thread ft_thr_tls;

/*
 * The thread's state and errno, through the thread pointer and offsets in
 * the hot page. Reached the usual way, ft_thr's TLS offset is a load from
 * our GOT, and errno is a call through it into libc's __errno_location,
 * which loads errno's offset from libc's GOT: three more pages to walk after
 * a system call on this VM (see "the hot page"). Both are initial-exec TLS,
 * so their offsets from the thread pointer are the same in every thread.
 *
 * ft_thr_off and ft_errno_off are ft_hot.thr_off and ft_hot.errno_off under
 * names declared const (ft_config.c makes them aliases): the compiler loads
 * each once per function, as it did the GOT's, where a plain global would be
 * loaded again after every store. They are 0 until ft_tls_setup (the first
 * configuration read), and then the usual way is taken; a function that
 * read 0 before the setup keeps taking it, which is as right.
 */
extern const intptr_t ft_thr_off, ft_errno_off;

static inline __attribute__((always_inline)) struct ft_thread *ft_thr_get(void)
{
    intptr_t off = ft_thr_off;
    if (FT_UNLIKELY(!off))
        return &ft_thr_tls;
    return (struct ft_thread *)((char *)__builtin_thread_pointer() + off);
}
#define ft_thr (*ft_thr_get())

static inline __attribute__((always_inline)) int *ft_errno_get(void)
{
    intptr_t off = ft_errno_off;
    if (FT_UNLIKELY(!off))
        return &errno;
    return (int *)((char *)__builtin_thread_pointer() + off);
}
/* errno, for the wrappers' hot paths (the rest of the library uses errno). */
#define ft_errno (*ft_errno_get())

void ft_tls_setup(void);

static inline void ft_guard_on(void)
{
    ft_thr.guard = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void ft_guard_off(void)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ft_thr.guard = 0;
}

/* Should this call be recorded? Reads the configuration on first use, which
 * may be before our constructor ran (another library's constructor). The
 * wrappers come through ft_on (ft_always.h), which also counts the call. */
static inline int ft_active(void)
{
    int m = FT_LOAD(&ft_mode);
    if (FT_UNLIKELY(m == FT_MODE_UNREAD))
        m = ft_config_load();
    return m == FT_MODE_ON && !(ft_thr.resolving | ft_thr.in_vfork);
}

/* CLOCK_MONOTONIC in ns, cheaply. Two clock reads are most of what a sync
 * record costs (clock_gettime ~25 ns through the vDSO, rdtsc ~10 ns), so
 * when the kernel's own clocksource is the TSC (then it is invariant and
 * synchronised across CPUs, or the kernel would not use it) we extrapolate
 * from a per-thread anchor (TSC, CLOCK_MONOTONIC) refreshed every ~2^22
 * ticks (~1.5 ms), at a rate calibrated against CLOCK_MONOTONIC over the
 * process's life. The error is at most that interval times the NTP slew
 * (<= 500 ppm): under a microsecond. Otherwise, and for the first 20 ms,
 * it is clock_gettime(2).
 *
 * A signal handler may re-anchor the thread (ft_now_slow) between our reads
 * of the anchor's two halves: the TSC half is read again after the ns half,
 * and a change (a new anchor, or ~0 while one is being written) sends us to
 * the slow path instead of mixing two anchors. */
#define FT_CLK_REFRESH (1ull << 22)
/* ft_tsc_mult (the hot page): ns per tick in 32.32 fixed point; 0: unusable */
uint64_t ft_now_slow(void);

static inline __attribute__((always_inline)) uint64_t ft_clock_read(void)
{
#if defined(__x86_64__)
    uint64_t mult = FT_LOAD(&ft_tsc_mult);
    if (FT_LIKELY(mult != 0)) {
        uint64_t tsc0 = FT_LOAD(&ft_thr.clk_tsc);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        uint64_t ns0 = FT_LOAD(&ft_thr.clk_ns);
        /* Unsigned: a TSC behind the anchor (none expected) also refreshes. */
        uint64_t d = __builtin_ia32_rdtsc() - tsc0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (FT_LIKELY(d < FT_CLK_REFRESH && FT_LOAD(&ft_thr.clk_tsc) == tsc0))
            return ns0 + (uint64_t)(((unsigned __int128)d * mult) >> 32);
    }
#endif
    return ft_now_slow();
}

/* Strictly increasing on each thread. Re-anchoring can step the
 * extrapolated time back a little (the calibrated rate is not exact), and
 * two reads within one nanosecond would make a call last zero; so a thread
 * never gets a time at or before the last one it got. The clamp only ever
 * holds a thread's clock a few hundred ns ahead until the true one catches
 * up: it does not accumulate. A signal handler that interleaves sees, and
 * leaves, times after the interrupted code's, which stays increasing too. */
static inline __attribute__((always_inline)) uint64_t ft_now(void)
{
    uint64_t t = ft_clock_read();
    uint64_t last = FT_LOAD(&ft_thr.clk_last);
    if (FT_UNLIKELY(t <= last))
        t = last + 1;
    FT_STORE(&ft_thr.clk_last, t);
    return t;
}

/* A duration. ft_now() is increasing per thread, so between two reads of
 * one thread this is at least 1; the test stays for times of two threads. */
static inline uint64_t ft_since(uint64_t t0, uint64_t t1)
{
    return t1 > t0 ? t1 - t0 : 0;
}

/* A hash of len bytes for the in-memory tables' names (the path store, the
 * directory cache; never written to a trace): eight bytes a multiply, where
 * FNV-1a took one (a name is hashed two or three times an open). */
static inline uint64_t ft_hash_str(const char *s, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        __builtin_memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    for (w = 0; i < len; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * (i & 7));
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

/* A 64-bit mix of two keys, for the hash tables. */
static inline uint64_t ft_mix(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    return h ^ (h >> 29);
}

/* ---- raw syscalls and strings (ft_config.c) -------------------------------------------- */

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
 * through it: every syscall() in this library is this one, which enters the
 * kernel directly and returns like libc's (-1 and errno on failure). */
#include <unistd.h>
long ft_syscall(long n, ...);
#define syscall ft_syscall

size_t ft_cat(char *dst, size_t at, size_t size, const char *src);
size_t ft_cat_u64(char *dst, size_t at, size_t size, uint64_t v, int width);

/* ---- the clock (ft_clock.c) ---------------------------------------------- */

void ft_clock_setup(void);
uint64_t ft_clock(clockid_t id);

#endif /* FT_BASE_H */
