/*
 * ft_internal.h — what the parts of the recorder share.
 *
 *   ft_wrappers.c  the interposed functions (one table, one shape)
 *   ft_files.c     descriptor table, per-inode write intervals, path names
 *   ft_ring.c      configuration, the trace file and the lock-free ring
 *   ft_signal.c    SIGBUS from a truncated trace; the program's own SIGBUS action
 *   ft_always.c    always on: summaries, the keep ring, names, baselines,
 *                  live alerts and the recorder's own cost
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
#ifndef FT_INTERNAL_H
#define FT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ft_format.h"

#define FT_EXPORT __attribute__((visibility("default")))
#define FT_TLS __thread __attribute__((tls_model("initial-exec")))
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

/* ---- configuration (ft_ring.c) ------------------------------------------ */

enum ft_mode { FT_MODE_UNREAD = 0, FT_MODE_ON = 1, FT_MODE_OFF = 2 };

#define FT_DIR_MAX 1024

struct ft_config {
    uint32_t write_sample;   /* time 1 write in N (FSYNC_TRACE_WRITE_SAMPLE) */
    uint32_t start_pid;      /* pid of the image that read the config: a fork child differs */
    uint64_t max_bytes;      /* FSYNC_TRACE_MAX_BYTES */
    uint32_t summary_s;      /* FSYNC_TRACE_SUMMARY_SECONDS; 0: no summaries, no keep ring */
    uint32_t alert_ms;       /* FSYNC_TRACE_ALERT_MS; 0: no absolute rule */
    uint32_t alert_factor;   /* FSYNC_TRACE_ALERT_FACTOR; 0: no relative rule */
    uint32_t alert_min_ms;   /* FSYNC_TRACE_ALERT_MIN_MS */
    uint32_t alert_every_s;  /* FSYNC_TRACE_ALERT_EVERY */
    uint32_t alert_sink;     /* enum ft_sink, from FSYNC_TRACE_ALERT_TO */
    uint32_t cost_period;    /* FSYNC_TRACE_COST_PERIOD; 0: not measured */
    char dir[FT_DIR_MAX];    /* FSYNC_TRACE_DIR, copied: the program may change its env */
    char alert_path[FT_DIR_MAX]; /* FSYNC_TRACE_ALERT_TO=/abs/path */
    char syslog_path[108];   /* FSYNC_TRACE_SYSLOG_PATH (tests), else /dev/log */
};

extern int ft_mode;
extern struct ft_config ft_cfg;
int ft_config_load(void);

/* ---- per-thread state ---------------------------------------------------- */

/* Initial-exec TLS is one %fs-relative load, no __tls_get_addr call, and it is
 * usable in signal handlers. Kept small: a preloaded library's static TLS
 * comes out of glibc's small surplus when the library is dlopen()ed instead. */
struct ft_thread {
    uint64_t blk_next;    /* the thread's claimed block of ring slots: [next, end) */
    uint64_t blk_end;
    uint32_t blk_idx;     /* ring index of blk_next (saves a division per record) */
    uint32_t gen;         /* trace file generation the block and tid belong to */
    uint32_t tid;
    uint32_t wsample;     /* writes left before the next timed one */
    int guard;            /* set while the thread claims from its block (ft_emit) */
    int resolving;        /* set while inside dlsym(): calls pass through */
    int initializing;     /* set while this thread creates the trace file */
    uint32_t blk_skip;    /* slots of the block to leave alone: bit 0 is blk_next's */
    uint32_t nested;      /* records made by signal handlers on this thread, ever */
    int32_t cost_left;    /* intercepted calls before the next cost batch (ft_active) */
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
};

extern FT_TLS struct ft_thread ft_thr;

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

void ft_cost_tick(void);

/* Should this call be recorded? Reads the configuration on first use, which
 * may be before our constructor ran (another library's constructor). Every
 * wrapper comes through here, so it also counts intercepted calls for the
 * cost record: a thread-local countdown, no shared write per call. */
static inline int ft_active(void)
{
    int m = FT_LOAD(&ft_mode);
    if (FT_UNLIKELY(m == FT_MODE_UNREAD))
        m = ft_config_load();
    if (m != FT_MODE_ON || ft_thr.resolving)
        return 0;
    if (FT_UNLIKELY(--ft_thr.cost_left < 0))
        ft_cost_tick();
    return 1;
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
extern uint64_t ft_tsc_mult;    /* ns per tick in 32.32 fixed point; 0: unusable */
uint64_t ft_now_slow(void);

static inline uint64_t ft_clock_read(void)
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
static inline uint64_t ft_now(void)
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

/* ---- raw syscalls (ft_ring.c) -------------------------------------------- */

/* Each returns the kernel's result or -1 with errno set, like libc, but never
 * enters one of our wrappers. */
int ft_sys_openat(int dirfd, const char *path, int flags, int mode);
int ft_sys_close(int fd);
ssize_t ft_sys_readlink(const char *path, char *buf, size_t size);
ssize_t ft_sys_read_file(const char *path, char *buf, size_t size);
int ft_sys_fstat(int fd, uint64_t *dev, uint64_t *ino, uint32_t *mode);
int ft_sys_getfl(int fd);
void *ft_sys_mmap_anon(size_t len);
int ft_sys_getpid(void);

/* ---- descriptor table (ft_files.c) --------------------------------------- */

/* One 64-bit word per fd, so it changes with one store. Low half: what the fd
 * refers to; high half: FT_FDF_* bits. Zero means "never seen". */
#define FT_FD_UNKNOWN 0u
#define FT_FD_NOTFILE 0xffffffffu   /* socket, pipe, tty, device: ignored */
#define FT_FD_UNTRACKED 0xfffffffeu /* a file the tables had no room for */
#define FT_FDF_OSYNC 0x1u
#define FT_FDF_ODSYNC 0x2u
#define FT_FDF_RESOLVED 0x4u        /* named through /proc at first use */

#define FT_FD_CHUNK_SHIFT 12
#define FT_FD_CHUNK (1u << FT_FD_CHUNK_SHIFT)   /* 4096 fds, 32 KiB per chunk */
#define FT_FD_TOP 16384                          /* 64 Mi fds in all */

extern uint64_t *ft_fd_top[FT_FD_TOP];

static inline uint64_t ft_fd_get(int fd)
{
    if (FT_UNLIKELY((unsigned)fd >= (unsigned)FT_FD_TOP * FT_FD_CHUNK))
        return 0;
    uint64_t *chunk = FT_LOAD_ACQ(&ft_fd_top[(unsigned)fd >> FT_FD_CHUNK_SHIFT]);
    return chunk ? FT_LOAD(&chunk[(unsigned)fd & (FT_FD_CHUNK - 1)]) : 0;
}

static inline uint32_t ft_fd_what(uint64_t e) { return (uint32_t)e; }
static inline uint32_t ft_fd_flags(uint64_t e) { return (uint32_t)(e >> 32); }
static inline int ft_fd_is_file(uint64_t e)
{
    return ft_fd_what(e) != FT_FD_UNKNOWN && ft_fd_what(e) < FT_FD_UNTRACKED;
}

uint64_t *ft_fd_slot(int fd);      /* creates the chunk; NULL if fd is out of range */
uint64_t ft_fd_resolve(int fd);    /* name an unseen fd through /proc, once */
uint64_t ft_fd_opened(int fd, int oflags, int resolved, uint64_t now);
void ft_fd_set(int fd, uint64_t e);
uint64_t ft_fd_take(int fd);       /* clear the entry, return what it was */

/* ---- per-file write intervals (ft_files.c) ------------------------------- */

/* One cache line per file (keyed by st_dev + st_ino: fsync(2) flushes the
 * inode, whichever descriptor it is called on). Threads writing different
 * files never share a line. */
struct ft_file {
    uint32_t state;      /* 0 free, 1 being claimed, 2 in use */
    uint32_t path_id;    /* the file's current name */
    uint64_t dev;
    uint64_t ino;
    uint64_t bytes;      /* successful writes since the last sync: bytes */
    uint64_t wtime_ns;   /* ... time spent in them (extrapolated when sampled) */
    uint64_t ival_start; /* ... since when: last fsync/fdatasync, or the open */
    uint32_t writes;     /* ... and how many */
    int32_t nopen;       /* open descriptors we know of */
    uint32_t name_gen;   /* ft_names_gen when path_id was last resolved */
    uint32_t pad;
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ft_file) == 64, "one cache line per file");

#define FT_FILES 65536u

extern struct ft_file *ft_files;

static inline struct ft_file *ft_file_of(uint64_t e)
{
    return ft_fd_is_file(e) && ft_files ? &ft_files[ft_fd_what(e) - 1] : NULL;
}

struct ft_ival {
    uint64_t bytes, wtime_ns, start;
    uint32_t writes;
};

uint32_t ft_file_find(uint64_t dev, uint64_t ino, int create); /* index + 1, or 0 */
void ft_file_take(struct ft_file *f, uint64_t restart, struct ft_ival *iv);
void ft_file_peek(struct ft_file *f, struct ft_ival *iv);
void ft_ival_fill(struct ft_event *ev, const struct ft_ival *iv);

/* Renaming a directory renames every file under it, and nothing tells the
 * files. Each directory rename bumps this; a file whose name was resolved
 * under an older value is named again through /proc/self/fd at its next
 * event (one readlink per file per directory rename). */
extern uint32_t ft_names_gen;
void ft_file_rename_check(struct ft_file *f, int fd);

/* ---- path names (ft_files.c) --------------------------------------------- */

struct ft_path {
    uint64_t dev, ino;
    uint32_t off, len;   /* the name, in the names arena */
    uint32_t hash;
    /* Whether this path is in the names region of the current trace file:
     * (file tag << 2) | FT_NAMES_* (ft_always.c); another file's tag reads
     * as "not written". */
    uint32_t names;
    /* What the ring holds of this path, as (file tag << 48 | seq), see
     * ft_ring.c: the newest copy written to the trace (FT_PW_BUSY while a
     * writer makes a newer one), and the newest use by an event. */
    uint64_t copy;
    uint64_t last;
};

uint32_t ft_path_intern(const char *name, uint32_t len, uint64_t dev, uint64_t ino);
struct ft_path *ft_path_get(uint32_t id);
const char *ft_path_name(const struct ft_path *p);
/* Record i of a copy of path p under id (FORMAT.md, "Path records"): the
 * head for i = 0, then continuations; the commit word's seq is left 0. */
void ft_path_piece(unsigned char rec[FT_RECORD_SIZE], const struct ft_path *p, uint32_t id, uint32_t i);
int ft_fd_name(int fd, char *buf, size_t size);
int ft_abs_name(int dirfd, const char *path, char *buf, size_t size, int follow_last,
                uint64_t *dev, uint64_t *ino, uint32_t *mode);

/* ---- the ring (ft_ring.c) ------------------------------------------------ */

/* Where the regions of the current trace file are. Slots are numbered
 * across the whole file ("global" slot g is at byte 4096 + 64 g): the ring is
 * [0, ring_slots), the other regions follow it. */
struct ft_regions {
    struct ft_header *hdr;
    unsigned char *slots;     /* the mapping + FT_HEADER_SIZE: global slot 0 */
    uint32_t ring_slots;
    uint32_t keep_first, keep_slots;
    uint32_t sum_first, sum_entries;  /* entries of FT_SUMMARY_ENTRY_SLOTS */
    uint32_t names_first, names_slots;
    uint32_t tag;             /* 16 bits, never 0: this file, in ft_path.names */
    uint64_t interval_ns;     /* summary interval; 0: no summaries */
};

struct ft_regions *ft_regions(void);    /* the current file's, or NULL: never creates one */
int ft_slots_ready(struct ft_regions *rg, uint32_t g, uint32_t n, uint32_t region_end);
void ft_record_commit(unsigned char *slot, uint64_t seq, const void *rec);
size_t ft_cat(char *dst, size_t at, size_t size, const char *src);
size_t ft_cat_u64(char *dst, size_t at, size_t size, uint64_t v, int width);
uint64_t ft_clock(clockid_t id);

static inline unsigned char *ft_gslot(const struct ft_regions *rg, uint32_t g)
{
    return rg->slots + (uint64_t)g * FT_RECORD_SIZE;
}

static inline uint32_t ft_path_slots(uint32_t len)
{
    return 1 + (len > FT_PATH_HEAD_BYTES
                    ? (len - FT_PATH_HEAD_BYTES + FT_PATH_CONT_BYTES - 1) / FT_PATH_CONT_BYTES
                    : 0);
}

/* ---- always on (ft_always.c) --------------------------------------------- */

/* What the recorder knows of a file's (or, for calls with no file, a call
 * kind's) recent syncs, in process memory: the baseline histogram, the
 * cut-off above which a sync is looked at closer, the current summary entry
 * per call kind, and the alert rate limit. Updated with plain loads and
 * stores where a lost update only blurs the baseline. */
struct ft_track {
    uint64_t cut_ns;             /* look closer at a sync this slow (0: not set up) */
    uint32_t seen;               /* syncs seen, saturating */
    uint32_t total;              /* sum of hist, halved past FT_BASE_DECAY */
    uint64_t cur[FT_C_MAX + 1];  /* summary entry number + 1, per call kind */
    uint64_t keep_ns;            /* outlier: kept at or above this */
    uint64_t rel_ns;             /* relative alert at or above this (~0: none yet) */
    uint64_t p50_ns, p99_ns;     /* the baseline the cut-offs came from */
    uint64_t last_alert;         /* CLOCK_MONOTONIC of the last line written */
    uint32_t suppressed;         /* alerts not written since that line */
    uint32_t base_calls;         /* calls the baseline was computed over */
    uint16_t hist[FT_HIST_BUCKETS];
} __attribute__((aligned(64)));

/* After a sync returned: judge it (alert, keep), write the raw record, the
 * kept copy, the alert line and the summary, and learn from it. f may be NULL. */
void ft_sync_done(struct ft_event *ev, struct ft_file *f);
void ft_cost_sample(uint64_t ns);

void ft_emit(struct ft_event *ev);      /* fills seq and tid; names the path first */
void ft_mark_ended(void);
int ft_exec_begin(void);                /* flag the image ended; 1 if this call did */
void ft_exec_failed(int marked);        /* exec returned: undo ft_exec_begin */
void ft_after_fork_child(void);
int ft_vfork_child(void);               /* are we a vfork child sharing our parent's memory? */
int ft_ring_fault(const void *addr);    /* SIGBUS in our mapping: make it harmless; 1 if ours */

/* ---- SIGBUS (ft_signal.c) ------------------------------------------------- */

void ft_signal_exec(int begin);         /* exec: hand SIG_IGN on (1), or take it back (0) */

#endif /* FT_INTERNAL_H */
