/*
 * ft_base.h — what every part of the recorder stands on: atomics, the hot
 * page and the per-thread state (defined in ft_base.c).
 *
 * The recorder is built in layers, each file including and calling only
 * those before it in this list (each .h is its .c's interface):
 *
 *   ft_format.h                 the trace format
 *   ft_base     atomics, the hot page, the thread's state
 *   ft_sys      raw system calls, string helpers
 *   ft_clock    CLOCK_MONOTONIC, cheaply
 *   ft_config   the configuration; is this call recorded?
 *   ft_dirs     directory names learned without asking the kernel
 *   ft_paths    path names in process memory
 *   ft_budget   the trace directory's budget
 *   ft_trace    the trace file's state, its regions and their space
 *   ft_tracedir where the trace goes (checked to be ours), why not recording
 *   ft_header   the header's facts about the process
 *   ft_create   making the trace file
 *   ft_names    the names region
 *   ft_ring     the ring of events
 *   ft_files    descriptors, files, write intervals
 *   ft_moves    renames, links, unlinks
 *   ft_maps     shared mappings of files (msync's addresses)
 *   ft_track    per file: the baseline of its syncs
 *   ft_summary  the summary ring
 *   ft_cost     the recorder's own cost
 *   ft_alert    alert lines
 *   ft_always   each sync judged, kept, summarised, learnt from
 *   ft_link     pool threads' syncs, kept for the Node calls they served
 *   ft_table    the one list of interposed functions, their real ones
 *   ft_calls    the steps around the real calls
 *   ft_signal ft_execl ft_js ft_wrappers        the interposed functions
 *
 * Nothing here is exported: the library is built with -fvisibility=hidden
 * and only the wrappers carry FT_EXPORT.
 *
 * Three rules hold everywhere:
 *  - no malloc, no stdio, no locks: a wrapper may run in a signal handler,
 *    in a vfork child, or before our constructor;
 *  - internal I/O goes through raw system calls (ft_sys.h), never through a libc symbol
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

/* ---- configuration (read by ft_config.c)--------------------------------------- */

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


/* ---- the hot page ---------------------------------------------------------- */

/* Every global a recorded call reads, in one page (ft_base.c). On a kernel
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
     * ft_errno_get), first: read as ft_thr_off and ft_errno_off (ft_base.c). */
    intptr_t thr_off, errno_off;
    /* Written once or seldom, read by every call: a line no thread writes
     * in the steady state, so that no core takes it from another. */
    int mode;                      /* ft_mode: enum ft_modes */
    uint32_t names_gen;            /* ft_names_gen (ft_files.h): directory renames */
    uint32_t off_pending;          /* ft_off_pending (ft_create.h) */
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
    uint32_t link_on;              /* ft_link_on (ft_link.h): set once by a Node process's
                                    * hook, read once by each fsync and fdatasync */
    void *map_addr;                /* ft_map_addr (ft_trace.h) */
    uint64_t map_len;              /* ft_map_len (ft_trace.h) */
    uint64_t made_at, made_ns;     /* ft_made_at, ft_made_ns (ft_create.h) */
    void (*created_hook)(struct ft_ctx *); /* ft_created_hook (ft_create.h) */
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
    int32_t wsample;      /* writes left before the next timed one; below 0: this one is */
    int guard;            /* set while the thread claims from its block (ft_emit) */
    int resolving;        /* set while inside dlsym(): calls pass through */
    int initializing;     /* set while this thread creates the trace file */
    int in_vfork;         /* set across vfork and clone(CLONE_VM) without a TLS of the
                           * child's own: the child runs on this thread's state and
                           * must not record (ft_wrappers.c, vfork) */
    uint32_t nested;      /* records made by signal handlers on this thread, ever */
    uint32_t js;          /* the thread runs JavaScript: the Node hook read the clock
                           * on it (ft_js.c); its syncs are its own calls', not kept
                           * for a pool's (ft_link.h) */
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
    uint64_t name_lim;    /* ... and the names ring's head at which its copy turns half a lap old */
    uint32_t name2_id;    /* the same for a record's second name (ft_name_ensure_own2) */
    uint64_t name2_lim;
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
 * names declared const (ft_base.c makes them aliases): the compiler loads
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

#endif /* FT_BASE_H */
