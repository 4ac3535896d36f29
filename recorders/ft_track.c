/*
 * ft_track.c — the tracks (one per file slot, in process memory) and the
 * baseline each learns: a log histogram of the file's sync latencies, and
 * the cut-offs computed from it (ft_track.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_track.h"

#define FT_BASE_DECAY 4096      /* halve the histogram past this many: the baseline follows the file */
#define FT_KEEP_MIN_NS 1000000u /* an outlier takes at least 1 ms ... */
#define FT_KEEP_FACTOR 10u      /* ... and 10x the file's p50, once it has a baseline */
#define FT_NEVER UINT64_MAX

/* ---- tracks: per file, in process memory ---------------------------------- */

struct ft_track ft_track_nofile[FT_C_MAX + 1];

struct ft_track *ft_tracks_make(void)
{
    return ft_sys_mmap_once((void **)&ft_tracks, FT_FILES * sizeof(struct ft_track), NULL);
}

/* t->life while one thread clears the track for its file slot's new life. */
#define FT_TRACK_CLEARING 0xffffffffu

/* The slot holds another file now (or its first): its track starts afresh,
 * cleared by one thread while the others wait. (Each clearing on its own
 * once wiped a track another thread had begun to use: its own entries'
 * words went, a third entry for the interval followed.) A waiter spins,
 * then yields the CPU (the clearer may be preempted: a few ms at load 16
 * here). It clears the track itself at once when the clearer is this very
 * thread, whose signal handler interrupted it (its count may then go when
 * the clearing resumes); and after FT_CLEAR_WAIT_NS in any case: a clearer
 * that a handler's longjmp took away, or one in the parent of a fork child
 * that inherited the track mid-clearing. Threads are told apart by their
 * TLS block's address (no system call on the way to a first sync). */
#define FT_CLEAR_WAIT_NS 100000000ull

static inline uint32_t ft_thread_mark(void)
{
    return (uint32_t)((uintptr_t)&ft_thr >> 4) | 1u; /* never 0: 0 is "not said yet" */
}

static void ft_track_wipe(struct ft_track *t, uint32_t life)
{
    memset(t, 0, offsetof(struct ft_track, life));
    memset((char *)&t->clearer + sizeof t->clearer, 0, sizeof *t - offsetof(struct ft_track, clearer) - sizeof t->clearer);
    FT_STORE(&t->clearer, 0);
    FT_STORE_REL(&t->life, life);
}

struct ft_track *ft_track_clear(struct ft_track *t, uint32_t life)
{
    uint32_t me = ft_thread_mark();
    uint64_t since = 0;
    for (uint32_t i = 0;; i++) {
        uint32_t have = FT_LOAD_ACQ(&t->life);
        if (have == life)
            return t;
        if (have != FT_TRACK_CLEARING && FT_CAS(&t->life, &have, FT_TRACK_CLEARING)) {
            FT_STORE(&t->clearer, me);
            ft_track_wipe(t, life);
            return t;
        }
        if (i < 256) {
            __builtin_ia32_pause();
            continue;
        }
        uint64_t now = ft_clock(CLOCK_MONOTONIC_COARSE);
        if (!since)
            since = now;
        if (FT_LOAD(&t->clearer) == me || now - since >= FT_CLEAR_WAIT_NS) {
            ft_track_wipe(t, life);
            return t;
        }
        int saved = errno;
        ft_syscall(SYS_sched_yield);
        errno = saved;
    }
}

/* Whether this process image made a sync call on f: its track's last sync
 * was made under the current trace (a fork child inherits the tracks, and
 * its trace is another generation). */
int ft_file_synced(struct ft_file *f)
{
    struct ft_track *t = FT_LOAD_ACQ(&ft_tracks);
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (!t || !c || !FT_LOAD(&c->gen))
        return 0;
    t += f - ft_files;
    return FT_LOAD(&t->life) == FT_LOAD(&f->life) && FT_LOAD(&t->synced_gen) == FT_LOAD(&c->gen);
}

/* ---- the baseline ------------------------------------------------------------ */

/* Where histogram bucket k starts (FORMAT.md, "Summary histogram"). */
static uint64_t ft_bucket_low(unsigned k)
{
    if (k < 2)
        return (uint64_t)k << 10;
    unsigned m = k >> 1;
    return ((1ull << m) + (uint64_t)(k & 1) * (1ull << (m - 1))) << 10;
}

/* The q-th per-mille of the counts, as the upper end of its bucket: a
 * cut-off computed from it errs towards fewer alerts. */
static uint64_t ft_quantile(const uint32_t *counts, uint32_t total, uint32_t permille)
{
    uint64_t want = ((uint64_t)total * permille + 999) / 1000, seen = 0;
    for (unsigned k = 0; k < FT_HIST_BUCKETS; k++) {
        seen += counts[k];
        if (seen >= want && seen > 0)
            return k + 1 < FT_HIST_BUCKETS ? ft_bucket_low(k + 1) : ft_bucket_low(k) * 2;
    }
    return 0;
}

static inline uint64_t ft_max64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline uint64_t ft_min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static inline uint64_t ft_mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? FT_NEVER : r;
}

/* The rules, as cut-offs in ns (README, "Recording"):
 *  - alert when latency >= FSYNC_TRACE_ALERT_MS, or, once the file has seen
 *    FT_BASE_MIN syncs, >= max(ALERT_MIN_MS, ALERT_FACTOR x its p99);
 *  - keep when it failed, alerted, or took >= 1 ms and either the file has no
 *    baseline yet or it took >= 10x its p50.
 * cut_ns is the smallest of them: the hot path's one compare. */
void ft_baseline_update(struct ft_track *t)
{
    uint32_t counts[FT_HIST_BUCKETS], total = 0;
    for (unsigned k = 0; k < FT_HIST_BUCKETS; k++)
        total += counts[k] = FT_LOAD(&t->hist[k]);
    uint64_t p50 = total ? ft_quantile(counts, total, 500) : 0;
    uint64_t p99 = total ? ft_quantile(counts, total, 990) : 0;
    int keep_on = ft_cfg.summary_s != 0;
    uint64_t keep = keep_on ? FT_KEEP_MIN_NS : FT_NEVER, rel = FT_NEVER;
    if (FT_LOAD(&t->seen) >= FT_BASE_MIN && total) {
        if (keep_on)
            keep = ft_max64(FT_KEEP_MIN_NS, ft_mul_sat(p50, FT_KEEP_FACTOR));
        if (ft_cfg.alert_factor)
            rel = ft_max64((uint64_t)ft_cfg.alert_min_ms * 1000000u, ft_mul_sat(p99, ft_cfg.alert_factor));
    }
    if (total > FT_BASE_DECAY)
        for (unsigned k = 0; k < FT_HIST_BUCKETS; k++)
            FT_STORE(&t->hist[k], (uint16_t)(counts[k] >> 1));
    uint64_t abs = ft_cfg.alert_ms ? (uint64_t)ft_cfg.alert_ms * 1000000u : FT_NEVER;
    FT_STORE(&t->p50_ns, p50);
    FT_STORE(&t->p99_ns, p99);
    FT_STORE(&t->base_calls, total);
    FT_STORE(&t->keep_ns, keep);
    FT_STORE(&t->rel_ns, rel);
    uint64_t cut = ft_min64(abs, ft_min64(rel, keep));
    FT_STORE(&t->cut_ns, cut ? cut : 1);
}

struct ft_track *ft_track_none(unsigned call)
{
    return &ft_track_nofile[call];
}
