/*
 * ft_names.c — the names region: each path that a kept event or a summary
 * entry refers to, written once (FORMAT.md, "The names region").
 */
#include "ft_names.h"

/* ft_path.names: (tag << 2) | state, for the current file. */
#define FT_NAMES_BUSY 1u
#define FT_NAMES_DONE 2u
#define FT_NAMES_DROPPED 3u

/* Path id is named in the names region of this file, written once: before a
 * summary entry or kept record that refers to it is committed. Returns 1 if
 * it is there. */
int ft_name_ensure(struct ft_regions *rg, uint32_t id)
{
    if (!id || !rg->names_slots)
        return 0;
    struct ft_path *p = ft_path_get(id);
    if (!p)
        return 0;
    uint32_t mine = rg->tag << 2;
    for (unsigned spins = 0;; spins++) {
        uint32_t w = FT_LOAD_ACQ(&p->names);
        if (FT_LIKELY(w == (mine | FT_NAMES_DONE)))
            return 1;
        if (w == (mine | FT_NAMES_DROPPED))
            return 0;
        if (w == (mine | FT_NAMES_BUSY)) {
            /* Another thread (or the thread we interrupted) is writing it: a
             * few hundred ns, unless it was stopped; then go on without. */
            if (spins > 1024)
                return 0;
            __builtin_ia32_pause();
            continue;
        }
        if (FT_CAS(&p->names, &w, mine | FT_NAMES_BUSY))
            break;
    }
    struct ft_header *h = rg->hdr;
    uint32_t n = ft_path_slots(p->len);
    uint64_t first = FT_LOAD(&h->names_next);
    do {
        if (first + n > rg->names_slots) {
            FT_ADD(&h->names_dropped, 1);
            FT_STORE_REL(&p->names, mine | FT_NAMES_DROPPED);
            return 0;
        }
    } while (!FT_CAS(&h->names_next, &first, first + n));
    uint32_t g = rg->names_first + (uint32_t)first;
    if (!ft_slots_ready(rg, g, n, rg->names_first + rg->names_slots)) {
        FT_STORE_REL(&p->names, mine | FT_NAMES_DROPPED);
        return 0;
    }
    unsigned char rec[FT_RECORD_SIZE];
    for (uint32_t i = 0; i < n; i++) {
        ft_path_piece(rec, p, id, i);
        ft_commit(ft_gslot(rg, g + i), first + i, rec);
    }
    FT_STORE_REL(&p->names, mine | FT_NAMES_DONE);
    return 1;
}

