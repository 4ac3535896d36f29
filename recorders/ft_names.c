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
#include <string.h>
#include <sys/syscall.h>

#include "ft_names.h"

#define FT_NAMES_BUSY (1ull << 47)
#define FT_NAMES_ASIDE (1ull << 46) /* in rg->sum_names: the entry's name is in the aside region */
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

/* n contiguous positions at the head (a run never wraps round the ring's
 * end: one that would is left empty and claimed again), made writable and
 * cleared of the copies they cut. 0 if none could be had. */
static int ft_names_claim(struct ft_regions *rg, uint32_t n, uint64_t *pos, uint32_t *idx)
{
    int ok = 0;
    for (int tries = 0; tries < FT_NAMES_TRIES && n <= rg->names_slots; tries++) {
        *pos = FT_ADD(&rg->hdr->names_next, n);
        ft_max_store(&ft_ctx_of(rg)->names_head, *pos + n);
        *idx = (uint32_t)(*pos % rg->names_slots);
        if (*idx + n <= rg->names_slots) {
            ok = 1;
            break;
        }
    }
    if (!ok || !ft_slots_ready(rg, rg->names_first + *idx, n, rg->names_first + rg->names_slots)) {
        FT_ADD(&rg->hdr->names_dropped, 1);
        return 0;
    }
    ft_names_cut(rg, *idx);
    return 1;
}

static void ft_names_sweep(struct ft_regions *rg, uint32_t advanced);

/* A copy of path p (id) at the head; returns tag | position, 0 if none. */
static uint64_t ft_name_write(struct ft_regions *rg, struct ft_path *p, uint32_t id, int publish)
{
    uint64_t tag = (uint64_t)rg->tag << 48, pos;
    uint32_t n = ft_path_slots(p->len), idx;
    if (!ft_names_claim(rg, n, &pos, &idx)) {
        if (publish)
            FT_STORE_REL(&p->names_at, 0);
        return 0;
    }
    unsigned char rec[FT_RECORD_SIZE];
    uint32_t g = rg->names_first + idx;
    for (uint32_t i = 0; i < n; i++) {
        ft_path_piece(rec, p, id, i);
        ft_commit(ft_gslot(rg, g + i), pos + i, rec);
    }
    if (publish)
        FT_STORE_REL(&p->names_at, tag | (pos & FT_NAMES_POS));
    return tag | (pos & FT_NAMES_POS);
}

static inline int ft_names_fresh(struct ft_regions *rg, uint64_t w, uint64_t age)
{
    return (w & ~FT_NAMES_POS) == (uint64_t)rg->tag << 48 &&
           FT_LOAD(&rg->hdr->names_next) - (w & FT_NAMES_POS) <= age;
}

/* The copy of id to use now, written if it is not fresh (no older than
 * `age` positions); sweep: let the summary entries' names keep up. */
static uint64_t ft_name_at(struct ft_regions *rg, uint32_t id, uint64_t age, int sweep)
{
    if (!id || !rg->names_slots)
        return 0;
    struct ft_path *p = ft_path_get(id);
    if (!p)
        return 0;
    uint64_t tag = (uint64_t)rg->tag << 48;
    uint64_t w = FT_LOAD_ACQ(&p->names_at);
    if (FT_LIKELY(ft_names_fresh(rg, w, age)))
        return w;
    /* Ours to write: unless another writer is at it (or the thread we
     * interrupted), then we write a copy of our own and leave the word. */
    int publish = !((w & ~FT_NAMES_POS) == (tag | FT_NAMES_BUSY)) && FT_CAS(&p->names_at, &w, tag | FT_NAMES_BUSY);
    uint64_t at = ft_name_write(rg, p, id, publish);
    if (at && sweep)
        ft_names_sweep(rg, ft_path_slots(p->len));
    return at;
}

uint64_t ft_name_ensure(struct ft_regions *rg, uint32_t id)
{
    return ft_name_at(rg, id, rg->names_slots / 2, 1);
}

/* ---- keeping summary entries named --------------------------------------- */

/*
 * A summary entry lives for days; the names ring goes round far sooner in
 * a service that names new files all the time. So the ring's writers also
 * walk the summary entries, oldest first, a few for every position the
 * ring advances (FT_SWEEP_RATE times the entries per position: every entry
 * is seen in each quarter lap), and an entry whose name's copy is older
 * than 5/8 of a lap gets its name copied before the old copy is
 * overwritten: into the entry's own two slots of the aside region (names
 * of up to 88 bytes), where nothing overwrites it while the entry lives and
 * it takes no room in the names ring; a longer name gets a new copy at the
 * head of the names ring. Either copy is made from process memory if the
 * path is still there, else from the old copy itself (verified whole
 * before and after the copy). A path several entries share is written to
 * the head once: the path store, or the small cache of moved copies, says
 * where its fresh copy is.
 *
 * The raw ring's records come first: a copy made for a summary pushes the
 * oldest copies out, and those may name records still in the raw ring. So
 * a copy is made only while the names ring has room for it: it has gone
 * less than half a lap past where it was when the raw ring's oldest record
 * was written (that record's name is at most half a lap older than that).
 * A small history of (ring sequence, names position) pairs, taken as the
 * names ring advances, says where that was. Only long names compete for
 * that room: a process with more distinct long names in the raw ring and
 * the live summaries than the names ring holds loses the oldest summaries'
 * long names, and never a raw record's.
 */
#define FT_SWEEP_RATE 4u
#define FT_SWEEP_MAX 1024u
#define FT_MOVED 512u

#define FT_HISTORY 64u

static uint64_t ft_moved[FT_MOVED]; /* id << 32 | (position's low 32 bits), in this file */
static uint32_t ft_moved_tag[FT_MOVED];

/* (ring next_seq, names_next) pairs, newest at ft_hist_n - 1, in this file. */
static struct { uint64_t seq, names; uint32_t tag; } ft_hist[FT_HISTORY];
static uint64_t ft_hist_n;

static void ft_history_note(struct ft_regions *rg, uint64_t seq, uint64_t names)
{
    uint64_t k = FT_LOAD(&ft_hist_n);
    if (k) {
        uint32_t last = (uint32_t)((k - 1) % FT_HISTORY);
        if (FT_LOAD(&ft_hist[last].tag) == rg->tag && seq - FT_LOAD(&ft_hist[last].seq) < rg->ring_slots / 16 &&
            names - FT_LOAD(&ft_hist[last].names) < rg->names_slots / 16)
            return;
    }
    k = FT_ADD(&ft_hist_n, 1) % FT_HISTORY;
    FT_STORE(&ft_hist[k].tag, 0);
    FT_STORE(&ft_hist[k].seq, seq);
    FT_STORE(&ft_hist[k].names, names);
    FT_STORE(&ft_hist[k].tag, rg->tag);
}

/* How far the names ring may go now without overwriting a copy the raw
 * ring's oldest record may name (0: not at all, or not known). */
static uint64_t ft_names_room(struct ft_regions *rg)
{
    uint64_t seq = FT_LOAD(&rg->hdr->next_seq), names = FT_LOAD(&rg->hdr->names_next);
    ft_history_note(rg, seq, names);
    uint64_t oldest = seq > rg->ring_slots ? seq - rg->ring_slots : 0, base = UINT64_MAX;
    if (!oldest) {
        base = 0; /* every record since the file was made is in the ring */
    } else {
        uint64_t k = FT_LOAD(&ft_hist_n);
        for (uint32_t i = 0; i < FT_HISTORY && i < k; i++) {
            uint32_t at = (uint32_t)((k - 1 - i) % FT_HISTORY);
            if (FT_LOAD(&ft_hist[at].tag) != rg->tag)
                break;
            if (FT_LOAD(&ft_hist[at].seq) <= oldest) {
                base = FT_LOAD(&ft_hist[at].names);
                break;
            }
        }
    }
    uint64_t limit = base == UINT64_MAX ? 0 : base + rg->names_slots / 2;
    return limit > names ? limit - names : 0;
}

static uint64_t ft_keep_age(const struct ft_regions *rg)
{
    return (uint64_t)rg->names_slots * 5 / 8;
}

/* The old copy at `at` (of id) read into recs if it is still whole: its
 * number of slots, 0 if not. A copy of more than `max` slots is not read:
 * its number of slots is returned as soon as its head says it. */
static uint32_t ft_name_read(struct ft_regions *rg, uint32_t id, uint64_t at,
                             unsigned char recs[][FT_RECORD_SIZE], uint32_t max)
{
    uint64_t pos = at & FT_NAMES_POS, next = FT_LOAD(&rg->hdr->names_next);
    if ((at & ~FT_NAMES_POS) != (uint64_t)rg->tag << 48 || next - pos >= rg->names_slots)
        return 0;
    uint32_t idx = (uint32_t)(pos % rg->names_slots);
    const unsigned char *head = ft_gslot(rg, rg->names_first + idx);
    uint64_t hw = FT_LOAD_ACQ((const uint64_t *)head);
    const struct ft_path_rec *pr = (const struct ft_path_rec *)head;
    if ((uint32_t)hw != (uint32_t)pos || (uint8_t)(hw >> 32) != FT_T_PATH || FT_LOAD(&pr->path_id) != id)
        return 0;
    uint32_t len = FT_LOAD(&pr->len);
    uint32_t n = ft_path_slots(len);
    if (len == 0 || len > FT_PATH_MAX_LEN || idx + n > rg->names_slots)
        return 0;
    if (n > max)
        return n;
    for (uint32_t i = 0; i < n; i++)
        memcpy(recs[i], ft_gslot(rg, rg->names_first + idx + i), FT_RECORD_SIZE);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    /* Overwritten while we copied (its head is emptied first: ft_names_cut,
     * and every slot's seq says which position it holds)? */
    if (FT_LOAD((const uint64_t *)head) != hw)
        return 0;
    for (uint32_t i = 1; i < n; i++)
        if (*(const uint32_t *)recs[i] != (uint32_t)(pos + i))
            return 0;
    return n;
}

/* The old copy at `at` (of id) moved to the head, if it is still whole. */
static uint64_t ft_name_move(struct ft_regions *rg, uint32_t id, uint64_t at)
{
    unsigned char recs[FT_PATH_MAX_LEN / FT_PATH_CONT_BYTES + 2][FT_RECORD_SIZE];
    uint32_t n = ft_name_read(rg, id, at, recs, FT_PATH_MAX_LEN / FT_PATH_CONT_BYTES + 2);
    uint64_t to;
    uint32_t tidx;
    if (!n || !ft_names_claim(rg, n, &to, &tidx))
        return 0;
    for (uint32_t i = 0; i < n; i++)
        ft_commit(ft_gslot(rg, rg->names_first + tidx + i), to + i, recs[i]);
    return (uint64_t)rg->tag << 48 | (to & FT_NAMES_POS);
}

/* Summary entry idx (its seq: low 32 bits of its number) names path id,
 * whose copy in the names ring is at `at`: its name goes aside, into the
 * entry's own two slots (FT_ASIDE_SLOTS), where nothing overwrites it while
 * the entry lives: from the path store, or from the old copy while it is
 * whole. 1 if written; 0 for a name of more than 88 bytes (it stays in the
 * names ring) or no room in the file; -1 for a name no longer to be had. */
static int ft_name_aside(struct ft_regions *rg, uint32_t idx, uint32_t seq, uint32_t id, uint64_t at)
{
    _Static_assert(FT_ASIDE_SLOTS == 2, "a head and one continuation");
    unsigned char recs[FT_ASIDE_SLOTS][FT_RECORD_SIZE];
    struct ft_path *p = ft_path_get(id);
    uint32_t n;
    if (p) {
        n = ft_path_slots(p->len);
        if (n <= FT_ASIDE_SLOTS) {
            ft_path_piece(recs[0], p, id, 0);
            ft_path_piece(recs[1], p, id, 1);
        }
    } else {
        n = ft_name_read(rg, id, at, recs, FT_ASIDE_SLOTS); /* a longer one is not read */
        if (n == 0)
            return -1;
        if (n == 1) { /* an empty continuation */
            memset(recs[1], 0, FT_RECORD_SIZE);
            recs[1][4] = FT_T_PATH_CONT;
        }
    }
    uint32_t g = rg->aside_first + idx * FT_ASIDE_SLOTS;
    if (n > FT_ASIDE_SLOTS || idx >= rg->aside_slots / FT_ASIDE_SLOTS ||
        !ft_slots_ready(rg, g, FT_ASIDE_SLOTS, rg->aside_first + rg->aside_slots))
        return 0;
    /* The continuation first, then the head: a reader that finds the head
     * with the entry's seq finds the whole name. */
    ft_commit(ft_gslot(rg, g + 1), seq, recs[1]);
    ft_commit(ft_gslot(rg, g), seq, recs[0]);
    return 1;
}

/* A fresh copy of id for a summary entry whose copy was at `at`. */
static uint64_t ft_name_keep(struct ft_regions *rg, uint32_t id, uint64_t at)
{
    uint64_t age = ft_keep_age(rg);
    if (ft_path_get(id))
        return ft_name_at(rg, id, age, 0);
    uint32_t k = id % FT_MOVED;
    uint64_t m = FT_LOAD(&ft_moved[k]);
    if ((uint32_t)(m >> 32) == id && FT_LOAD(&ft_moved_tag[k]) == rg->tag) {
        uint64_t next = FT_LOAD(&rg->hdr->names_next);
        uint64_t mpos = (next & ~0xffffffffull) | (uint32_t)m;
        if (mpos > next)
            mpos -= 1ull << 32;
        uint64_t mw = (uint64_t)rg->tag << 48 | (mpos & FT_NAMES_POS);
        if (ft_names_fresh(rg, mw, age))
            return mw;
    }
    uint64_t to = ft_name_move(rg, id, at);
    if (to) {
        FT_STORE(&ft_moved_tag[k], rg->tag);
        FT_STORE(&ft_moved[k], (uint64_t)id << 32 | (uint32_t)to);
    }
    return to;
}

static uint64_t *ft_sum_names(struct ft_regions *rg)
{
    uint64_t *a = FT_LOAD_ACQ(&rg->sum_names);
    if (a || !rg->sum_entries)
        return a;
    return ft_sys_mmap_once((void **)&rg->sum_names, (size_t)rg->sum_entries * sizeof *a, NULL);
}

void ft_name_entry(struct ft_regions *rg, uint32_t idx, uint64_t at)
{
    uint64_t *a = FT_LOAD_ACQ(&rg->sum_names); /* none yet: the sweep asks the path store */
    if (a && idx < rg->sum_entries)
        FT_STORE(&a[idx], at);
}

/* The next entry for the sweep to look at: entry numbers in order, from the
 * oldest live one to the newest, then again from the oldest. (An index
 * taken modulo the live count would stand still while the count grows by
 * one per look: a process making one entry per new name did just that.) */
static uint32_t ft_sweep_next(struct ft_regions *rg, uint64_t live)
{
    uint64_t next = FT_LOAD(&rg->hdr->summary_next);
    uint64_t oldest = next - live;
    uint64_t n = FT_ADD(&rg->sum_sweep, 1);
    if (n < oldest || n >= next) {
        uint64_t want = n + 1;
        FT_CAS(&rg->sum_sweep, &want, oldest + 1); /* back to the oldest (one thread does) */
        n = oldest;
    }
    return (uint32_t)(n % rg->sum_entries);
}

static void ft_names_sweep(struct ft_regions *rg, uint32_t advanced)
{
    if (!rg->sum_entries || !rg->names_slots)
        return;
    /* Made once the names ring is an eighth of the way round: a process
     * that names a few files never pays for it, and until then every
     * entry's name is in the path store, where the sweep finds it. */
    uint64_t *a = FT_LOAD_ACQ(&rg->sum_names);
    if (!a && (FT_LOAD(&rg->hdr->names_next) < rg->names_slots / 8 || !(a = ft_sum_names(rg))))
        return;
    uint64_t live = FT_LOAD(&rg->hdr->summary_next);
    if (live > rg->sum_entries)
        live = rg->sum_entries;
    uint64_t want = ((uint64_t)advanced * FT_SWEEP_RATE * live + rg->names_slots - 1) / rg->names_slots;
    uint64_t age = ft_keep_age(rg);
    uint64_t room = ft_names_room(rg);
    for (uint64_t done = 0; done < want && done < FT_SWEEP_MAX && live; done++) {
        uint32_t idx = ft_sweep_next(rg, live);
        const unsigned char *e = ft_gslot(rg, rg->sum_first + idx * FT_SUMMARY_ENTRY_SLOTS);
        uint64_t w = FT_LOAD_ACQ((const uint64_t *)e);
        uint32_t id = FT_LOAD(&((const struct ft_summary *)e)->path_id);
        if ((uint8_t)(w >> 32) != FT_T_SUMMARY || !id)
            continue;
        uint64_t at = FT_LOAD(&a[idx]);
        if (at == FT_NAMES_ASIDE || ft_names_fresh(rg, at, age))
            continue;
        /* Its own slots rather than another copy in the names ring, which
         * would have to be made again every lap and leave less room for
         * the raw ring's names. Set before the write: an entry made anew
         * meanwhile (ft_name_entry) sets its own. */
        if (rg->aside_slots && FT_CAS(&a[idx], &at, FT_NAMES_ASIDE)) {
            if (ft_name_aside(rg, idx, (uint32_t)w, id, at) != 0)
                continue; /* aside, or lost already: not looked at again */
            uint64_t aside = FT_NAMES_ASIDE;
            FT_CAS(&a[idx], &aside, at); /* a long name: the names ring keeps it */
        }
        if (room < FT_PATH_MAX_LEN / FT_PATH_CONT_BYTES + 2)
            break; /* no room left: the raw ring's names come first */
        uint64_t before = FT_LOAD(&rg->hdr->names_next);
        uint64_t to = ft_name_keep(rg, id, at);
        uint64_t used = FT_LOAD(&rg->hdr->names_next) - before;
        room = used < room ? room - used : 0;
        if (!to)
            continue;
        FT_STORE(&a[idx], to);
        if ((to & FT_NAMES_POS) != (at & FT_NAMES_POS) && want < FT_SWEEP_MAX)
            want += (FT_SWEEP_RATE * live + rg->names_slots - 1) / rg->names_slots; /* the move advanced the ring too */
    }
}
