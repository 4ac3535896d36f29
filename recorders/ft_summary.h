/*
 * ft_summary.h — the summary ring (FORMAT.md, "The summary ring"): per
 * interval, file and call kind, the calls, errors, latency sum, maximum and
 * histogram, bytes and writes made durable, updated in place in the shared
 * mapping with relaxed atomics (a crash loses nothing). The hot path's
 * steps are inline here; making entries is in ft_summary.c.
 */
#ifndef FT_SUMMARY_H
#define FT_SUMMARY_H

#include "ft_track.h"

/* What ft_judge (ft_always.c) decided about a sync. */
#define FT_J_ALERT 0x1u
#define FT_J_KEEP 0x2u
#define FT_J_WRITTEN 0x4u       /* the alert line went out */

/* A fresh entry (FORMAT.md: zeroed, key written, histogram slots committed,
 * then slot 0), holding `first` already counted in (bucket b; none when b
 * is FT_HIST_BUCKETS): its word, or 0 when it could not be written. */
uint64_t ft_entry_new(struct ft_regions *rg, const void *first, unsigned b);
/* A new shared entry for ev, or the interval's of another file of its name. */
__attribute__((noinline)) void ft_summary_new(struct ft_regions *rg, const struct ft_event *ev,
                                              uint64_t *cur, unsigned b, unsigned j);
/* Take an unowned track t (or one of an older trace) for the thread of key. */
__attribute__((noinline)) int ft_own_take(struct ft_track *t, uint64_t key);
/* A new own entry for ev into *o, or one of the thread's recent ones of its name. */
__attribute__((noinline)) void ft_own_new(struct ft_regions *rg, const struct ft_event *ev, struct ft_own *o,
                                          unsigned b, unsigned j);
/* A Node call into the summary ring (ft_js.c); *cur: its current entry's
 * word. Inlined (across files, by LTO) into the record's one page. */
void ft_summary_js(const struct ft_event *ev, uint64_t *cur);

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
    /* The rare counts behind one test: a failed sync, an alert, a kept copy. */
    if (FT_UNLIKELY((ev->res < 0) | j)) {
        if (ev->res < 0)
            FT_BUMP(plain, &s->errors, 1);
        if (j & FT_J_ALERT)
            FT_BUMP(plain, &s->alerts, 1);
        if (j & FT_J_KEEP)
            FT_BUMP(plain, &s->kept, 1);
    }
    FT_BUMP(plain, ft_hist_count(e, b), 1);
}

/* The first word of the entry of word cur for call kind `call` while it
 * is that entry (the ring reuses slots: the entry number's low half tells). */
static inline uint64_t ft_entry_key(uint64_t cur, unsigned call)
{
    return (cur >> 32) | (uint64_t)FT_T_SUMMARY << 32 | (uint64_t)call << 40;
}

/* Entry s, whose first word should be key, if it is still the interval's
 * entry of ev's call kind (the ring may have reused its slot, the interval
 * may have ended), whatever its path; NULL if not. */
static inline struct ft_summary *ft_entry_check(struct ft_regions *rg, struct ft_summary *s, uint64_t key,
                                                const struct ft_event *ev)
{
    if (FT_LOAD_ACQ((uint64_t *)s) != key || ev->start_ns - FT_LOAD(&s->interval_start_ns) >= rg->interval_ns)
        return NULL;
    return s;
}

/* The entry of word cur if it is still the interval's entry of ev's call
 * kind (ft_entry_check); NULL if not. */
static inline struct ft_summary *ft_entry_live(struct ft_regions *rg, uint64_t cur, const struct ft_event *ev)
{
    uint32_t idx = (uint32_t)cur - 1;
    if (FT_UNLIKELY(!cur || idx >= rg->sum_entries))
        return NULL;
    return ft_entry_check(rg, (struct ft_summary *)ft_entry(rg, idx), ft_entry_key(cur, ev->call), ev);
}

/* Count a sync into a shared (interval, file, kind) entry, with atomics:
 * the one of word *curp if it is still that (ft_entry_live, same path) and
 * not full; else a new one. Two threads may both start one: a reader adds
 * them up. For a signal handler's syncs and the Node hook's calls. */
static inline __attribute__((always_inline)) void ft_summary_add_in(struct ft_regions *rg, const struct ft_event *ev,
                                                                    uint64_t *curp, unsigned b, unsigned j)
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
/* The same where the compiler decides: for a sync, the rare case (a signal
 * handler's, or a file's second thread); ft_summary_add_in is inlined into
 * the Node call's record, for which it is the usual path (ft_js.c). */
static inline void ft_summary_add(struct ft_regions *rg, const struct ft_event *ev, uint64_t *curp,
                                  unsigned b, unsigned j)
{
    ft_summary_add_in(rg, ev, curp, b, j);
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
    /* Where the entry is, kept beside its key: no index to check and turn
     * into an address (the pointer is into this trace's mapping: a track of
     * another generation's trace is taken afresh, ft_own_take). */
    struct ft_own *o = &t->own[ev->call];
    struct ft_summary *s = FT_LOAD(&o->at);
    uint32_t calls;
    if (FT_LIKELY(s && ft_entry_check(rg, s, FT_LOAD(&o->key), ev) && FT_LOAD(&s->path_id) == ev->path_id &&
                  (calls = FT_LOAD(&s->calls)) < FT_SUMMARY_MAX_CALLS)) {
        FT_STORE(&s->calls, calls + 1);
        ft_summary_count((unsigned char *)s, ev, b, j, 1);
    } else {
        ft_own_new(rg, ev, o, b, j);
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ft_thr.sum_busy = 0;
}

#endif /* FT_SUMMARY_H */
