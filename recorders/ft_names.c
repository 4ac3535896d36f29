/*
 * ft_names.c — the names ring: each path a record refers to, written once
 * into the names region before the record (FORMAT.md, "The names region").
 *
 * Copies go in position order, contiguous, wrapping round: position n is
 * slot n % names_slots and carries n's low 32 bits as its seq. A path is
 * written again, at the head, when a record refers to it and its newest
 * copy is more than half a lap behind: so every record written since the
 * ring last went half round names its path with a whole copy. A long
 * service that names millions of files over a week keeps naming each new
 * one; what goes is the names of paths nothing has referred to for longest.
 */
#include "ft_names.h"

#define FT_NAMES_BUSY (1ull << 47)
#define FT_NAMES_TRIES 4

/* Whoever overwrites part of an older copy empties that copy's head, so a
 * reader never finds a head whose continuation is another path's. */
static void ft_names_cut(struct ft_regions *rg, uint32_t idx)
{
    uint64_t w = FT_LOAD_ACQ((uint64_t *)ft_gslot(rg, rg->names_first + idx));
    for (uint32_t back = 0; (uint8_t)(w >> 32) == FT_T_PATH_CONT && back < FT_PATH_MAX_LEN / FT_PATH_CONT_BYTES + 1; back++) {
        idx = idx ? idx - 1 : rg->names_slots - 1;
        uint64_t *head = (uint64_t *)ft_gslot(rg, rg->names_first + idx);
        uint64_t hw = FT_LOAD_ACQ(head);
        if ((uint32_t)hw != (uint32_t)w - 1)
            return; /* not the same copy: its head went already */
        if ((uint8_t)(hw >> 32) == FT_T_PATH) {
            FT_CAS(head, &hw, 0);
            return;
        }
        if ((uint8_t)(hw >> 32) != FT_T_PATH_CONT)
            return;
        w = hw;
    }
}

uint64_t ft_name_ensure(struct ft_regions *rg, uint32_t id)
{
    if (!id || !rg->names_slots)
        return 0;
    struct ft_path *p = ft_path_get(id);
    if (!p)
        return 0;
    struct ft_header *h = rg->hdr;
    uint64_t tag = (uint64_t)rg->tag << 48;
    uint64_t w = FT_LOAD_ACQ(&p->names_at);
    if (FT_LIKELY((w & ~FT_NAMES_POS) == tag &&
                  FT_LOAD(&h->names_next) - (w & FT_NAMES_POS) <= rg->names_slots / 2))
        return w;
    /* Ours to write: unless another writer is at it (or the thread we
     * interrupted), then we write a copy of our own and leave the word. */
    int publish = !((w & ~FT_NAMES_POS) == (tag | FT_NAMES_BUSY)) && FT_CAS(&p->names_at, &w, tag | FT_NAMES_BUSY);
    uint32_t n = ft_path_slots(p->len), idx = 0;
    uint64_t pos = 0;
    int ok = 0;
    for (int tries = 0; tries < FT_NAMES_TRIES && n <= rg->names_slots; tries++) {
        pos = FT_ADD(&h->names_next, n);
        idx = (uint32_t)(pos % rg->names_slots);
        if (idx + n <= rg->names_slots) { /* else the run would wrap: leave it, claim again */
            ok = 1;
            break;
        }
    }
    uint32_t g = rg->names_first + idx;
    if (!ok || !ft_slots_ready(rg, g, n, rg->names_first + rg->names_slots)) {
        FT_ADD(&h->names_dropped, 1);
        if (publish)
            FT_STORE_REL(&p->names_at, 0);
        return 0;
    }
    ft_names_cut(rg, idx);
    unsigned char rec[FT_RECORD_SIZE];
    for (uint32_t i = 0; i < n; i++) {
        ft_path_piece(rec, p, id, i);
        ft_commit(ft_gslot(rg, g + i), pos + i, rec);
    }
    if (publish)
        FT_STORE_REL(&p->names_at, tag | (pos & FT_NAMES_POS));
    return tag | (pos & FT_NAMES_POS);
}
