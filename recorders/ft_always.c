/*
 * ft_always.c — what makes the recorder something to leave on for good.
 *
 * The raw ring keeps minutes of detail. For the days before an incident,
 * and for telling someone while it happens, every sync also goes through
 * ft_sync_done, which:
 *
 *  - counts it in the summary ring: per interval, file and call kind, calls,
 *    errors, latency sum, maximum and histogram, bytes and writes made
 *    durable (FORMAT.md, "The summary ring"), updated in place in the shared
 *    mapping with relaxed atomics, so a crash loses nothing;
 *  - copies it to the keep ring when it failed, met an alert rule, or was an
 *    outlier against the file's baseline, and flags both copies;
 *  - writes one alert line when it was slow in absolute terms or against the
 *    file's baseline, rate-limited per file, to syslog, stderr or a file,
 *    without ever blocking or taking a lock;
 *  - learns the file's baseline: a log histogram in process memory.
 *
 * The hot path, for a sync that is not slow: one compare against the file's
 * cut-off (the smallest latency any rule could care about, recomputed every
 * FT_BASE_EVERY calls), a check that the file's current summary entry is
 * still this interval's, and about five relaxed atomic adds into it.
 *
 * Every path here is async-signal-safe: atomics, stack buffers, raw
 * syscalls. The one wait is a bounded spin for a path name another thread
 * is writing into the names region.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_always.h"


#define FT_BASE_EVERY 256       /* recompute the cut-offs this often (and at FT_BASE_MIN) */
#define FT_BASE_DECAY 4096      /* halve the histogram past this many: the baseline follows the file */
#define FT_KEEP_MIN_NS 1000000u /* an outlier takes at least 1 ms ... */
#define FT_KEEP_FACTOR 10u      /* ... and 10x the file's p50, once it has a baseline */
#define FT_NEVER UINT64_MAX

/* What ft_judge decided about a sync. */
#define FT_J_ALERT 0x1u
#define FT_J_KEEP 0x2u
#define FT_J_WRITTEN 0x4u       /* the alert line went out */

/* ---- tracks: per file, in process memory ---------------------------------- */

#define ft_tracks (ft_hot.tracks) /* parallel to ft_files, made at the first sync */
static struct ft_track ft_track_nofile[FT_C_MAX + 1]; /* calls with no file, per kind */

static __attribute__((noinline, cold)) struct ft_track *ft_tracks_make(void)
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

static __attribute__((noinline, cold)) struct ft_track *ft_track_clear(struct ft_track *t, uint32_t life)
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
        syscall(SYS_sched_yield);
        errno = saved;
    }
}

static inline struct ft_track *ft_track_of(struct ft_file *f, unsigned call)
{
    if (!f)
        return &ft_track_nofile[call];
    struct ft_track *t = FT_LOAD_ACQ(&ft_tracks);
    if (FT_UNLIKELY(!t))
        t = ft_tracks_make();
    if (!t)
        return NULL;
    t += f - ft_files;
    uint32_t life = FT_LOAD(&f->life);
    if (FT_UNLIKELY(FT_LOAD_ACQ(&t->life) != life))
        return ft_track_clear(t, life);
    return t;
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
static void ft_baseline_update(struct ft_track *t)
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

/* Learn from a sync: plain loads and stores, no locked instruction. Two
 * threads syncing one file at once may lose a count; a baseline does not
 * need every one. */
static inline void ft_baseline_add(struct ft_track *t, unsigned b)
{
    FT_STORE(&t->hist[b], (uint16_t)(FT_LOAD(&t->hist[b]) + 1));
    uint32_t n = FT_LOAD(&t->seen) + 1;
    if (FT_UNLIKELY(n >= 1u << 31))
        n = 1u << 30; /* keeps the cadence (a multiple of FT_BASE_EVERY) and the >= FT_BASE_MIN */
    FT_STORE(&t->seen, n);
    if (FT_UNLIKELY(n % FT_BASE_EVERY == 0 || n == FT_BASE_MIN))
        ft_baseline_update(t);
}

/* ---- the keep ring ------------------------------------------------------------ */

static void ft_keep(struct ft_regions *rg, struct ft_event *ev)
{
    if (!rg->keep_slots)
        return;
    ft_name_ensure(rg, ev->path_id);
    if (!ev->tid)
        ev->tid = (uint32_t)syscall(SYS_gettid);
    uint64_t n = FT_ADD(&rg->hdr->keep_next, 1);
    uint32_t g = rg->keep_first + (uint32_t)(n % rg->keep_slots);
    if (!ft_slots_ready(rg, g, 1, rg->keep_first + rg->keep_slots)) {
        FT_ADD(&rg->hdr->dropped, 1);
        return;
    }
    ft_commit(ft_gslot(rg, g), n, ev);
}

/* ---- the summary ring ------------------------------------------------------------ */

/* A track's current entry: (entry number's low 32 bits << 32) | (index + 1),
 * so that finding and checking it takes no division. */
static inline uint64_t ft_cur_word(uint64_t n, uint32_t idx)
{
    return (uint64_t)(uint32_t)n << 32 | (idx + 1);
}

static inline unsigned char *ft_entry(struct ft_regions *rg, uint32_t idx)
{
    return ft_gslot(rg, rg->sum_first + idx * FT_SUMMARY_ENTRY_SLOTS);
}

/* Bucket b's count: slot 1 holds buckets 0-27, slot 2 the rest, each after
 * its 8-byte commit word (no division: b < 56). */
static inline uint16_t *ft_hist_count(unsigned char *entry, unsigned b)
{
    _Static_assert(FT_HIST_BUCKETS == 56 && FT_HIST_PER_SLOT == 28, "two slots of 28 counts");
    return (uint16_t *)(entry + FT_RECORD_SIZE + 8 + 2 * b + (b >= FT_HIST_PER_SLOT ? 8 : 0));
}

/* A fresh entry (FORMAT.md: zeroed, key written, histogram slots committed,
 * then slot 0), holding `first` already counted in: slot 0 is a copy of it.
 * Returns its word, or 0 when it could not be written. */
static uint64_t ft_entry_new(struct ft_regions *rg, const void *first, unsigned b)
{
    struct ft_header *h = rg->hdr;
    uint64_t n = FT_ADD(&h->summary_next, 1);
    uint32_t idx = (uint32_t)(n % rg->sum_entries);
    uint32_t g = rg->sum_first + idx * FT_SUMMARY_ENTRY_SLOTS;
    if (!ft_slots_ready(rg, g, FT_SUMMARY_ENTRY_SLOTS,
                        rg->sum_first + rg->sum_entries * FT_SUMMARY_ENTRY_SLOTS)) {
        FT_ADD(&h->dropped, 1);
        return 0;
    }
    for (unsigned part = 0; part < 2; part++) {
        struct ft_summary_hist hs;
        memset(&hs, 0, sizeof hs);
        hs.type = FT_T_SUMMARY_HIST;
        hs.call = (uint8_t)part;
        if (b < FT_HIST_BUCKETS && b / FT_HIST_PER_SLOT == part)
            hs.count[b % FT_HIST_PER_SLOT] = 1;
        ft_commit(ft_gslot(rg, g + 1 + part), n, &hs);
    }
    ft_commit(ft_gslot(rg, g), n, first);
    return ft_cur_word(n, idx);
}

static inline uint64_t ft_interval_of(struct ft_regions *rg, uint64_t t)
{
    return t - t % rg->interval_ns;
}

/* Add v to *p: with a locked add where other threads may add too, with a
 * plain load and store in an entry only this thread writes (a signal
 * handler on the thread never writes it: sum_busy). */
#define FT_BUMP(plain, p, v)                                                   \
    do {                                                                       \
        if (plain)                                                             \
            FT_STORE((p), FT_LOAD(p) + (v));                                   \
        else                                                                   \
            FT_ADD((p), (v));                                                  \
    } while (0)

static inline __attribute__((always_inline)) void ft_summary_count(unsigned char *e, const struct ft_event *ev,
                                                                   unsigned b, unsigned j, int plain)
{
    struct ft_summary *s = (struct ft_summary *)e;
    FT_BUMP(plain, &s->sum_ns, ev->dur_ns);
    uint64_t m = FT_LOAD(&s->max_ns);
    if (plain) {
        if (ev->dur_ns > m)
            FT_STORE(&s->max_ns, ev->dur_ns);
    } else {
        while (ev->dur_ns > m && !__atomic_compare_exchange_n(&s->max_ns, &m, ev->dur_ns, 1,
                                                               __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
    }
    if (!(ev->flags & FT_F_NO_INTERVAL)) {
        if (ev->bytes)
            FT_BUMP(plain, &s->bytes, ev->bytes);
        if (ev->writes)
            FT_BUMP(plain, &s->writes, ev->writes);
    }
    if (FT_UNLIKELY(ev->res < 0))
        FT_BUMP(plain, &s->errors, 1);
    if (FT_UNLIKELY(j & FT_J_ALERT))
        FT_BUMP(plain, &s->alerts, 1);
    if (FT_UNLIKELY(j & FT_J_KEEP))
        FT_BUMP(plain, &s->kept, 1);
    FT_BUMP(plain, ft_hist_count(e, b), 1);
}

/* The entry of word cur if it is still the interval's entry of ev's call
 * kind (the ring may have reused its slot, the interval may have ended),
 * whatever its path; NULL if not. */
static inline struct ft_summary *ft_entry_live(struct ft_regions *rg, uint64_t cur, const struct ft_event *ev)
{
    uint32_t idx = (uint32_t)cur - 1;
    if (FT_UNLIKELY(!cur || idx >= rg->sum_entries))
        return NULL;
    struct ft_summary *s = (struct ft_summary *)ft_entry(rg, idx);
    uint64_t want = (cur >> 32) | (uint64_t)FT_T_SUMMARY << 32 | (uint64_t)ev->call << 40;
    if (FT_LOAD_ACQ((uint64_t *)s) != want || ev->start_ns - FT_LOAD(&s->interval_start_ns) >= rg->interval_ns)
        return NULL;
    return s;
}

/* A new entry holding ev (its path named, FORMAT.md): its word, or 0. */
static uint64_t ft_summary_make(struct ft_regions *rg, const struct ft_event *ev, unsigned b, unsigned j)
{
    uint64_t at = ft_name_ensure(rg, ev->path_id);
    struct ft_summary s;
    memset(&s, 0, sizeof s);
    s.type = FT_T_SUMMARY;
    s.call = ev->call;
    s.interval_start_ns = ft_interval_of(rg, ev->start_ns);
    s.path_id = ev->path_id;
    s.calls = 1;
    s.errors = ev->res < 0;
    s.alerts = (j & FT_J_ALERT) != 0;
    s.kept = (j & FT_J_KEEP) != 0;
    s.sum_ns = s.max_ns = ev->dur_ns;
    if (!(ev->flags & FT_F_NO_INTERVAL)) {
        s.bytes = ev->bytes;
        s.writes = ev->writes;
    }
    uint64_t w = ft_entry_new(rg, &s, b);
    if (w && ev->path_id)
        ft_name_entry(rg, (uint32_t)w - 1, at);
    return w;
}

/* Entry s (word w) of another file of ev's name now names ev's file, whose
 * copy the raw records keep fresh (named before it is referred to). */
static void ft_entry_rename(struct ft_regions *rg, struct ft_summary *s, uint64_t w, const struct ft_event *ev)
{
    ft_name_entry(rg, (uint32_t)w - 1, ft_name_ensure(rg, ev->path_id));
    FT_STORE(&s->path_id, ev->path_id);
}

/* ---- one entry for the files of one name ---------------------------------- */

/*
 * A program that writes a temporary file and renames it over the old one
 * makes a new file (a new inode, so a new path id) with the same name each
 * time: 40,000 such cycles in a minute would take 40,000 entries of the
 * summary ring, which holds days. So a new entry is first looked for among
 * the interval's entries of the same name: a small cache, keyed by the
 * name's hash and the call kind, of the newest entry made for each. A hit
 * is checked against the entry itself (still that entry, this interval,
 * not full, its path's name the same as ours), so a stale or torn cache
 * slot only misses. The entry then takes the newest file's path id (the
 * same name). The analyzer adds summaries up by name, so sharing changes
 * no figure.
 */
static inline struct ft_share *ft_share_slot(uint32_t hash, unsigned call)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    return &c->shares[(hash ^ call * 0x9e3779b9u) % FT_SHARES];
}

/* Whether entry s names a file of p's name (ev's file, or one before it). */
static int ft_entry_same_name(const struct ft_summary *s, const struct ft_event *ev, const struct ft_path *p)
{
    uint32_t id = FT_LOAD(&s->path_id);
    const struct ft_path *q = id == ev->path_id ? p : id ? ft_path_get(id) : NULL;
    return q && ft_path_same_name(p, q);
}

/* Count ev into the interval's shared entry of another file of its name:
 * 1 if so. */
static int ft_summary_shared(struct ft_regions *rg, const struct ft_event *ev, const struct ft_path *p,
                             uint64_t *curp, unsigned b, unsigned j)
{
    struct ft_share *sh = ft_share_slot(p->name_hash, ev->call);
    uint64_t cur = FT_LOAD(&sh->word);
    uint32_t id = FT_LOAD(&sh->id);
    struct ft_summary *s = FT_LOAD(&sh->hash) == p->name_hash ? ft_entry_live(rg, cur, ev) : NULL;
    if (!s || FT_LOAD(&s->path_id) != id || !ft_entry_same_name(s, ev, p))
        return 0;
    uint32_t c = FT_LOAD(&s->calls);
    while (c < FT_SUMMARY_MAX_CALLS) {
        if (__atomic_compare_exchange_n(&s->calls, &c, c + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            ft_summary_count((unsigned char *)s, ev, b, j, 0);
            if (id != ev->path_id) {
                /* this file's next syncs take the fast path */
                ft_entry_rename(rg, s, cur, ev);
                FT_STORE(&sh->id, ev->path_id);
            }
            FT_STORE(curp, cur);
            return 1;
        }
    }
    return 0;
}

static __attribute__((noinline)) void ft_summary_new(struct ft_regions *rg, const struct ft_event *ev,
                                                     uint64_t *cur, unsigned b, unsigned j)
{
    const struct ft_path *p = ev->path_id ? ft_path_get(ev->path_id) : NULL;
    if (p && ft_summary_shared(rg, ev, p, cur, b, j))
        return;
    uint64_t w = ft_summary_make(rg, ev, b, j);
    if (!w)
        return;
    FT_STORE(cur, w);
    if (p) {
        struct ft_share *sh = ft_share_slot(p->name_hash, ev->call);
        FT_STORE(&sh->word, 0);
        FT_STORE(&sh->id, ev->path_id);
        FT_STORE(&sh->hash, p->name_hash);
        FT_STORE_REL(&sh->word, w);
    }
}

/* Count a sync into a shared (interval, file, kind) entry, with atomics:
 * the one of word *curp if it is still that (ft_entry_live, same path) and
 * not full; else a new one. Two threads may both start one: a reader adds
 * them up. For a signal handler's syncs and the Node hook's calls. */
static inline void ft_summary_add(struct ft_regions *rg, const struct ft_event *ev, uint64_t *curp,
                                  unsigned b, unsigned j)
{
    uint64_t cur = FT_LOAD(curp);
    struct ft_summary *s = ft_entry_live(rg, cur, ev);
    if (FT_LIKELY(s && FT_LOAD(&s->path_id) == ev->path_id)) {
        uint32_t c = FT_LOAD(&s->calls);
        while (c < FT_SUMMARY_MAX_CALLS) {
            if (__atomic_compare_exchange_n(&s->calls, &c, c + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                ft_summary_count((unsigned char *)s, ev, b, j, 0);
                return;
            }
        }
    }
    ft_summary_new(rg, ev, curp, b, j);
}

/* ---- the thread's own entries ------------------------------------------------------ */

/*
 * The first thread of a trace to sync a file takes the file's track
 * (own_key) and counts that file's syncs into entries only it writes
 * (own[call]), with plain loads and stores: no locked instruction (a sync
 * took three, ~18 ns here). Other threads that sync the file count into its
 * shared entries (cur[call], atomics) as before, and so does a signal
 * handler that interrupts the owner while it updates one (sum_busy). The
 * analyzer adds the entries of one (interval, name, kind) up, as it always
 * did for two threads that started one at once: a file synced by several
 * threads takes two entries an interval instead of one.
 *
 * Nobody else writes an own entry: its word is only in the owner's track
 * slots and TLS (ft_thr.sum), never in cur or a share slot; a thread takes
 * a track with fresh entries; the key holds the trace's generation (a fork
 * child numbers its entries from 0 again, and its thread has another tid).
 * An owner that ends leaves the file's syncs to the shared entries. A new
 * file of the name of one of the thread's recent entries (write a temporary
 * file, fsync, rename: ft_thr.sum keeps the last FT_OWN_ENTRIES) counts into
 * that entry, as with shared ones.
 */
/* The thread's key, from its own state: ft_emit has just set ft_thr.gen and
 * ft_thr.tid for the current trace (ft_claim_one). Where it has not (the
 * record went through ft_emit_nested, a signal handler's, or was held),
 * ft_thr.tid may belong to another trace's generation: in a child made by
 * _Fork() or a raw fork system call (no atfork handler clears it), the
 * parent's thread's tid. Pairing that with the current generation would
 * let a track be owned under a tid this thread does not have (and a thread
 * that has it take over entries it never made): such a sync has no key and
 * counts into the shared entries instead. */
static inline uint64_t ft_own_key(uint32_t gen)
{
    return ft_thr.gen == gen && ft_thr.tid ? (uint64_t)gen << 32 | ft_thr.tid : 0;
}

/* Take an unowned track (or one of an older trace). */
static __attribute__((noinline)) int ft_own_take(struct ft_track *t, uint64_t key)
{
    uint64_t k = FT_LOAD(&t->own_key);
    if (!(uint32_t)key || (k && (uint32_t)(k >> 32) == (uint32_t)(key >> 32)) || !FT_CAS(&t->own_key, &k, key))
        return 0;
    for (unsigned i = 0; i <= FT_C_MAX; i++)
        FT_STORE(&t->own[i], 0);
    return 1;
}

static __attribute__((noinline)) void ft_own_new(struct ft_regions *rg, const struct ft_event *ev, uint64_t *slot,
                                                 unsigned b, unsigned j)
{
    struct ft_ctx *c = ft_ctx_of(rg);
    if (ft_thr.sum_gen != FT_LOAD(&c->gen)) {
        memset(ft_thr.sum, 0, sizeof ft_thr.sum);
        ft_thr.sum_gen = FT_LOAD(&c->gen);
    }
    uint64_t *recent = &ft_thr.sum[(ev->path_id ^ ev->call) & (FT_OWN_ENTRIES - 1)];
    const struct ft_path *p = ev->path_id ? ft_path_get(ev->path_id) : NULL;
    for (unsigned k = 0; p && k < FT_OWN_ENTRIES; k++) {
        uint64_t w = ft_thr.sum[k];
        struct ft_summary *s = ft_entry_live(rg, w, ev);
        if (!s || FT_LOAD(&s->calls) >= FT_SUMMARY_MAX_CALLS || !ft_entry_same_name(s, ev, p))
            continue;
        if (FT_LOAD(&s->path_id) != ev->path_id)
            ft_entry_rename(rg, s, w, ev);
        FT_STORE(&s->calls, FT_LOAD(&s->calls) + 1);
        ft_summary_count((unsigned char *)s, ev, b, j, 1);
        FT_STORE(slot, w);
        *recent = w;
        return;
    }
    uint64_t w = ft_summary_make(rg, ev, b, j);
    FT_STORE(slot, w);
    *recent = w;
}

/* Count a sync into its (interval, file, kind) entry: the thread's own if
 * it has (or can take) the file's track, else the shared one. */
static inline __attribute__((always_inline)) void ft_summary_put(struct ft_regions *rg, const struct ft_event *ev,
                                                                 struct ft_track *t, unsigned b, unsigned j)
{
    struct ft_ctx *c = ft_ctx_of(rg);
    uint64_t key = ft_own_key(FT_LOAD(&c->gen));
    if (FT_UNLIKELY(ft_thr.sum_busy || !key || (FT_LOAD(&t->own_key) != key && !ft_own_take(t, key)))) {
        ft_summary_add(rg, ev, &t->cur[ev->call], b, j);
        return;
    }
    ft_thr.sum_busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t *slot = &t->own[ev->call];
    struct ft_summary *s = ft_entry_live(rg, FT_LOAD(slot), ev);
    uint32_t calls;
    if (FT_LIKELY(s && FT_LOAD(&s->path_id) == ev->path_id && (calls = FT_LOAD(&s->calls)) < FT_SUMMARY_MAX_CALLS)) {
        FT_STORE(&s->calls, calls + 1);
        ft_summary_count((unsigned char *)s, ev, b, j, 1);
    } else {
        ft_own_new(rg, ev, slot, b, j);
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ft_thr.sum_busy = 0;
}

/* A Node call (ft_js.c: its kind FT_JS_SUMMARY_BASE + API, its wait as the
 * latency) counted like a sync; *cur is its current entry's word, kept by
 * the caller. */
void ft_summary_js(const struct ft_event *ev, uint64_t *cur)
{
    struct ft_regions *rg = ft_regions();
    if (rg && rg->interval_ns)
        ft_summary_add(rg, ev, cur, ft_hist_bucket(ev->dur_ns), 0);
}

/* ---- the recorder's cost ----------------------------------------------------------- */

static uint64_t ft_cost_cur; /* the current cost entry's word (ft_cur_word), 0: none */

void ft_cost_sample(uint64_t ns)
{
    ft_thr.cost_samples++;
    ft_thr.cost_ns += ns;
}

/* Once per cost_period intercepted calls of a thread: add what the thread
 * counted to this interval's cost entry, and measure the thread's next sync
 * or write. Before there is a trace file the counts wait in the thread. */
void ft_cost_tick(void)
{
    uint32_t period = ft_cfg.cost_period;
    ft_thr.cost_left = period ? (int32_t)period - 1 : INT32_MAX;
    if (!period)
        return;
    ft_thr.cost_calls += period;
    struct ft_regions *rg = ft_regions();
    if (!rg || !rg->interval_ns)
        return;
    ft_thr.cost_due = 1;
    int saved = errno;
    uint64_t now = ft_now();
    unsigned char *e = NULL;
    uint64_t cur = FT_LOAD(&ft_cost_cur);
    uint32_t idx = (uint32_t)cur - 1;
    if (cur && idx < rg->sum_entries) {
        e = ft_entry(rg, idx);
        uint64_t want = (cur >> 32) | (uint64_t)FT_T_COST << 32;
        if (FT_LOAD((uint64_t *)e) != want ||
            now - FT_LOAD(&((struct ft_cost *)e)->interval_start_ns) >= rg->interval_ns)
            e = NULL;
    }
    if (!e) {
        struct ft_cost k;
        memset(&k, 0, sizeof k);
        k.type = FT_T_COST;
        k.interval_start_ns = ft_interval_of(rg, now);
        k.period = period;
        cur = ft_entry_new(rg, &k, FT_HIST_BUCKETS); /* no histogram count */
        if (!cur) {
            errno = saved;
            return;
        }
        FT_STORE(&ft_cost_cur, cur);
        e = ft_entry(rg, (uint32_t)cur - 1);
    }
    struct ft_cost *k = (struct ft_cost *)e;
    FT_ADD(&k->calls, ft_thr.cost_calls);
    if (ft_thr.cost_samples) {
        FT_ADD(&k->samples, ft_thr.cost_samples);
        FT_ADD(&k->sampled_ns, ft_thr.cost_ns);
    }
    if (ft_thr.sync_calls) {
        FT_ADD(&k->sync_calls, ft_thr.sync_calls);
        FT_ADD(&k->sync_ns, ft_thr.sync_ns);
    }
    ft_thr.cost_calls = ft_thr.sync_calls = ft_thr.sync_ns = ft_thr.cost_ns = 0;
    ft_thr.cost_samples = 0;
    errno = saved;
}

/* ---- judging a sync -------------------------------------------------------------- */

/* A sync at or above the track's cut-off, or a failed one: which rules does
 * it meet? Sets the record's flags; writes the alert line unless the file
 * wrote one less than alert_every_s ago. */
static __attribute__((noinline)) unsigned ft_judge(struct ft_event *ev, struct ft_track *t)
{
    if (FT_UNLIKELY(!FT_LOAD(&t->cut_ns)))
        ft_baseline_update(t);
    uint64_t d = ev->dur_ns;
    unsigned j = 0;
    int relative = 0;
    if (ft_cfg.alert_ms && d >= (uint64_t)ft_cfg.alert_ms * 1000000u)
        j |= FT_J_ALERT;
    else if (d >= FT_LOAD(&t->rel_ns))
        j |= FT_J_ALERT, relative = 1;
    if (ft_cfg.summary_s && (ev->res < 0 || j || d >= FT_LOAD(&t->keep_ns))) {
        j |= FT_J_KEEP;
        ev->flags |= FT_F_KEPT;
    }
    if (!(j & FT_J_ALERT))
        return j;
    ev->flags |= FT_F_ALERT;
    /* Rate limit: the first thread past the file's period takes the line. */
    uint64_t now = ev->start_ns + d, every = (uint64_t)ft_cfg.alert_every_s * 1000000000u;
    uint64_t last = FT_LOAD(&t->last_alert);
    int take = ft_cfg.alert_sink != FT_SINK_OFF &&
               (last == 0 || (int64_t)(now - last) >= (int64_t)every) &&
               FT_CAS(&t->last_alert, &last, now);
    if (take) {
        int saved = errno;
        uint32_t dropped = FT_XCHG(&t->suppressed, 0);
        if (ft_alert_send(ev, t, dropped, relative)) {
            j |= FT_J_WRITTEN;
        } else if (dropped) {
            FT_ADD(&t->suppressed, dropped); /* still to be told */
        }
        errno = saved;
    }
    if (!(j & FT_J_WRITTEN)) {
        FT_ADD(&t->suppressed, 1);
        ev->flags |= FT_F_ALERT_SUPPRESSED;
    }
    return j;
}

/* The counts in the header, once the raw record made sure there is one. */
static __attribute__((noinline)) void ft_judged(struct ft_regions *rg, struct ft_event *ev, unsigned j)
{
    if (j & FT_J_ALERT)
        FT_ADD(j & FT_J_WRITTEN ? &rg->hdr->alerts : &rg->hdr->alerts_suppressed, 1);
    if (j & FT_J_KEEP)
        ft_keep(rg, ev);
}

FT_HOT_PAGE(2) void ft_sync_done(struct ft_event *ev, struct ft_file *f)
{
    ft_thr.sync_ns += ev->dur_ns;
    ft_thr.sync_calls++;
    struct ft_track *t = ft_track_of(f, ev->call);
    unsigned j = 0;
    if (FT_UNLIKELY(t && (ev->dur_ns >= FT_LOAD(&t->cut_ns) || ev->res < 0)))
        j = ft_judge(ev, t);
    ft_emit(ev);
    if (FT_UNLIKELY(FT_LOAD(&ft_off_pending) == 1))
        ft_alert_off();
    if (!t)
        return;
    if (FT_UNLIKELY(t->synced_gen != ft_thr.gen)) /* the record went to this trace (ft_emit) */
        FT_STORE(&t->synced_gen, ft_thr.gen);
    struct ft_regions *rg = ft_regions();
    unsigned b = ft_hist_bucket(ev->dur_ns);
    if (FT_LIKELY(rg != NULL)) {
        if (FT_UNLIKELY(j))
            ft_judged(rg, ev, j);
        if (rg->interval_ns)
            ft_summary_put(rg, ev, t, b, j);
    }
    ft_baseline_add(t, b);
}

