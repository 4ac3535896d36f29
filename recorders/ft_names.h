/*
 * ft_names.h — the names region of the trace file (ft_names.c).
 */
#ifndef FT_NAMES_H
#define FT_NAMES_H

#include "ft_create.h"

#define FT_NAMES_POS ((1ull << 46) - 1)

/* Path id is named in the names ring of this file before a record that
 * refers to it is committed: written there if it is not, or if its newest
 * copy is more than half a lap old. Returns where a whole copy is (the
 * file's tag << 48 | its position), 0 if none could be written. Never waits. */
uint64_t ft_name_ensure(struct ft_regions *rg, uint32_t id);

/* Summary entry idx names its file through the copy at `at` (what
 * ft_name_ensure returned): kept whole in the names ring while the entry
 * lives (ft_names.c, "keeping summary entries named"). */
void ft_name_entry(struct ft_regions *rg, uint32_t idx, uint64_t at);

/* The same for the thread's own records (never from a signal handler on
 * it: only the thread reads and writes its cache): a thread that records
 * the same file over and over finds its copy from its last check without
 * looking the path up in the store. The cache keeps the id and how far the
 * names ring may go before the copy is half a lap old (its position plus
 * half the ring's slots): one load of the ring's head (its copy in the
 * process's state, struct ft_ctx) and one compare. It
 * is of one trace file: ft_claim_one empties it when the thread's trace
 * changes (a new generation), before the record it claims is put. */
static inline void ft_name_cached(struct ft_regions *rg, uint32_t id, uint32_t *cid, uint64_t *clim)
{
    if (FT_LIKELY(id == *cid && FT_LOAD(&ft_ctx_of(rg)->names_head) <= *clim))
        return;
    uint64_t at = ft_name_ensure(rg, id);
    *cid = at ? id : 0;
    *clim = (at & FT_NAMES_POS) + rg->names_slots / 2;
}

static inline void ft_name_ensure_own(struct ft_regions *rg, uint32_t id)
{
    ft_name_cached(rg, id, &ft_thr.name_id, &ft_thr.name_lim);
}

/* A record's second name (a rename's or link's new path, a Node call's
 * site), with a cache of its own: a Node thread's records name their file
 * and their site, the same two over and over. */
static inline void ft_name_ensure_own2(struct ft_regions *rg, uint32_t id)
{
    ft_name_cached(rg, id, &ft_thr.name2_id, &ft_thr.name2_lim);
}

#endif /* FT_NAMES_H */
