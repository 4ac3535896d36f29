/*
 * ft_summary.c — making summary entries (ft_summary.h): a fresh entry, the
 * one entry of an interval for the files of one name, and a thread's own
 * entries.
 */
#include <string.h>

#include "ft_summary.h"

/* A fresh entry (FORMAT.md: zeroed, key written, histogram slots committed,
 * then slot 0), holding `first` already counted in: slot 0 is a copy of it.
 * Returns its word, or 0 when it could not be written. */
uint64_t ft_entry_new(struct ft_regions *rg, const void *first, unsigned b)
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

void ft_summary_new(struct ft_regions *rg, const struct ft_event *ev,
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

int ft_own_take(struct ft_track *t, uint64_t key)
{
    uint64_t k = FT_LOAD(&t->own_key);
    if (!(uint32_t)key || (k && (uint32_t)(k >> 32) == (uint32_t)(key >> 32)) || !FT_CAS(&t->own_key, &k, key))
        return 0;
    for (unsigned i = 0; i <= FT_C_MAX; i++)
        FT_STORE(&t->own[i].at, NULL);
    return 1;
}

/* The thread's recent entries are looked through for one of ev's name
 * (a new file of an old name) before a new entry is made. */
void ft_own_new(struct ft_regions *rg, const struct ft_event *ev, struct ft_own *o,
                unsigned b, unsigned j)
{
    struct ft_ctx *c = ft_ctx_of(rg);
    if (ft_thr.sum_gen != FT_LOAD(&c->gen)) {
        memset(ft_thr.sum, 0, sizeof ft_thr.sum);
        ft_thr.sum_gen = FT_LOAD(&c->gen);
    }
    const struct ft_path *p = ev->path_id ? ft_path_get(ev->path_id) : NULL;
    uint64_t w = 0;
    for (unsigned k = 0; p && k < FT_OWN_ENTRIES; k++) {
        struct ft_summary *s = ft_entry_live(rg, ft_thr.sum[k], ev);
        if (!s || FT_LOAD(&s->calls) >= FT_SUMMARY_MAX_CALLS || !ft_entry_same_name(s, ev, p))
            continue;
        w = ft_thr.sum[k];
        if (FT_LOAD(&s->path_id) != ev->path_id)
            ft_entry_rename(rg, s, w, ev);
        FT_STORE(&s->calls, FT_LOAD(&s->calls) + 1);
        ft_summary_count((unsigned char *)s, ev, b, j, 1);
        break;
    }
    if (!w)
        w = ft_summary_make(rg, ev, b, j);
    FT_STORE(&o->key, ft_entry_key(w, ev->call));
    FT_STORE(&o->at, w ? (struct ft_summary *)ft_entry(rg, (uint32_t)w - 1) : NULL);
    ft_thr.sum[(ev->path_id ^ ev->call) & (FT_OWN_ENTRIES - 1)] = w;
}

/* A Node call (ft_js.c: its kind FT_JS_SUMMARY_BASE + API, its wait as the
 * latency) counted like a sync; *cur is its current entry's word, kept by
 * the caller. */
__attribute__((always_inline)) inline void ft_summary_js(const struct ft_event *ev, uint64_t *cur)
{
    struct ft_regions *rg = ft_regions();
    if (rg && rg->interval_ns)
        ft_summary_add_in(rg, ev, cur, ft_hist_bucket(ev->dur_ns), 0);
}

