/*
 * ft_link.c — the announcements of Node calls to the sync wrappers
 * (ft_link.h).
 *
 * Each slot's state is one word: the announcement's ticket (taken from a
 * process-wide counter, so tickets order announcements and no word repeats),
 * its kind and its state, changed by CAS only:
 *
 *   free -> writing -> posted          the hook announces (ft_link_announce)
 *   posted -> claimed                  a sync wrapper, before its system call
 *   claimed -> served | unserved       ... after it: served when it succeeded
 *                                      and its record is in the raw ring (link set)
 *   posted | served | unserved -> free the call settled (ft_link_take)
 *   claimed -> abandoned               ... while the claimer was still inside
 *                                      its sync: not this call's (libuv runs the
 *                                      callback after the sync returned)
 *   abandoned -> free                  the claimer, when it is done
 *   served -> moved (to slot j)        a call whose own slot is still claimed
 *                                      took this served one's sync (below)
 *   moved -> free                      its call, which then takes slot j as its own
 *
 * Two pool threads that took two calls of one fd and kind may claim their
 * announcements in the other order (the claim comes a little after the
 * thread took its work). The sync serving the older call may then still be
 * running when that call settles, while the younger call's announcement is
 * served already by the older call's own sync. So a call that finds its
 * announcement claimed looks for a served one of the same fd and kind,
 * announced after it, whose sync started after the call did (and ended): it
 * takes that sync, and leaves its own claimed slot to that younger call
 * (moved), whose sync it is indeed. (Letting a call whose announcement is
 * still posted take one as well, or one announced before it, left four times
 * as many calls unlinked in test/node's runs: it takes right pairs apart.)
 *
 * Only the announcing call frees its slot (or hands it to its claimer by
 * abandoning it, or to another call by its move), so its handle stays its
 * own until then; a claimer's CAS names the whole word, ticket included, so
 * a slot freed and announced again under a claimer's feet fails its CAS
 * rather than being taken for another fd.
 *
 * Known limits (FORMAT.md): two calls of the same fd and kind in flight whose
 * syncs start within microseconds of each other on two pool threads may each
 * take the other's announcement (both still inside their calls' windows);
 * a thread without the hook syncing the same fd number while a call is in
 * flight may take its announcement (the call then links to that sync, which
 * is still of that fd and inside its window, or, if that sync was still
 * running when the call settled, to none).
 */
#include <string.h>

#include "ft_link.h"

#define FT_LINK_SLOTS 128u
/* A claim retried after lost races (each one another thread's claim of a
 * slot: progress), then given up. */
#define FT_LINK_TRIES 32

enum { FT_LS_FREE, FT_LS_WRITING, FT_LS_POSTED, FT_LS_CLAIMED, FT_LS_SERVED, FT_LS_UNSERVED, FT_LS_ABANDONED, FT_LS_MOVED };

struct ft_link_slot {
    uint64_t word;  /* ticket << 16 | moved to (slot + 1) << 8 | kind << 4 | state */
    uint64_t start; /* served: the sync record's start_ns (written before the word says so) */
    int32_t fd;     /* written while the slot is being written */
    uint32_t pad;
};

/* One page, all of it: a Node call's announcement and its record each come
 * after a system call (on this project's VM each emptied the TLB, and every
 * page touched costs a walk, ~100 ns: ft_base.h, "the hot page"); scattered
 * over .bss the counter, the high mark and the slots were three pages. */
static struct {
    uint64_t tickets;
    /* Slots ever used: [0, this). Announcements take the lowest free slot, so
     * a claim looks at as many slots as calls were ever in flight at once. */
    uint32_t used;
    struct ft_link_slot slots[FT_LINK_SLOTS] __attribute__((aligned(64)));
} ft_link_tab __attribute__((aligned(4096)));
_Static_assert(sizeof ft_link_tab <= 4096, "the table is one page");
#define ft_links (ft_link_tab.slots)
#define ft_link_tickets (ft_link_tab.tickets)
#define ft_link_used (ft_link_tab.used)

/* Tickets are 46 bits (a handle, ticket * 128 + slot + 1, stays under 2^53:
 * exact in a JavaScript number); 2^46 announcements are centuries of calls. */
#define FT_LW_STATE(w) ((unsigned)((w) & 0xf))
#define FT_LW_KIND(w) ((unsigned)(((w) >> 4) & 0xf))
#define FT_LW_TO(w) ((unsigned)(((w) >> 8) & 0xff))
#define FT_LW_TICKET(w) ((w) >> 16)
#define FT_LW(w, state) (((w) & ~(uint64_t)0xf) | (state))
#define FT_TICKET_MASK ((UINT64_C(1) << 46) - 1)

uint64_t ft_link_announce(int fd, unsigned kind)
{
    if (fd < 0 || kind == 0 || kind > 0xf)
        return 0;
    uint64_t t = (FT_ADD(&ft_link_tickets, 1) + 1) & FT_TICKET_MASK;
    uint64_t mine = t << 16 | (uint64_t)kind << 4;
    for (uint32_t i = 0; i < FT_LINK_SLOTS; i++) {
        struct ft_link_slot *s = &ft_links[i];
        uint64_t w = FT_LOAD(&s->word);
        if (FT_LW_STATE(w) != FT_LS_FREE || !FT_CAS(&s->word, &w, mine | FT_LS_WRITING))
            continue;
        FT_STORE(&s->fd, fd);
        FT_STORE(&s->start, 0);
        uint32_t used = FT_LOAD(&ft_link_used);
        while (used <= i && !FT_CAS(&ft_link_used, &used, i + 1))
            ;
        FT_ADD(&ft_link_pending, 1);
        FT_STORE_REL(&s->word, mine | FT_LS_POSTED);
        return t * FT_LINK_SLOTS + i + 1;
    }
    return 0; /* full: this call is not linked */
}

/* A served slot of fd and kind announced after ticket t, whose sync started
 * after start (give or take the threads' clocks: FT_LINK_SKEW_NS): taken
 * (moved to slot `to`, which its call takes instead). Its sync's start, or 0
 * when there is none. */
static uint64_t ft_link_steal(int fd, unsigned kind, uint64_t t, uint64_t start, uint32_t to)
{
    uint32_t n = FT_LOAD(&ft_link_used);
    for (uint32_t k = 0; k < n && k < FT_LINK_SLOTS; k++) {
        struct ft_link_slot *s = &ft_links[k];
        uint64_t w = FT_LOAD_ACQ(&s->word);
        if (k == to || FT_LW_STATE(w) != FT_LS_SERVED || FT_LW_KIND(w) != kind || FT_LW_TICKET(w) <= t ||
            FT_LOAD(&s->fd) != fd)
            continue;
        uint64_t at = FT_LOAD(&s->start);
        if (at + FT_LINK_SKEW_NS < start)
            continue;
        uint64_t moved = (w & ~(uint64_t)0xfff) | (uint64_t)(to + 1) << 8 | (uint64_t)kind << 4 | FT_LS_MOVED;
        if (FT_CAS(&s->word, &w, moved))
            return at;
    }
    return 0;
}

uint64_t ft_link_take(uint64_t handle, uint64_t call_start)
{
    if (handle == 0)
        return 0;
    uint32_t i = (uint32_t)((handle - 1) % FT_LINK_SLOTS);
    uint64_t t = (handle - 1) / FT_LINK_SLOTS;
    uint64_t w = FT_LOAD_ACQ(&ft_links[i].word);
    if (FT_LW_TICKET(w) != t || FT_LW_STATE(w) == FT_LS_FREE || FT_LW_STATE(w) == FT_LS_WRITING)
        return 0; /* not this handle's (a handle the hook kept wrongly) */
    int fd = FT_LOAD(&ft_links[i].fd);
    unsigned kind = FT_LW_KIND(w);
    uint64_t at = 0;
    int moved = 0;
    /* Each lost CAS is another thread's step; a move hands this call another
     * slot. Bounded: past the tries, the slot is left as it is (lost), and
     * the call no longer counted as pending. */
    for (int tries = 0; tries < 16; tries++) {
        struct ft_link_slot *s = &ft_links[i];
        w = FT_LOAD_ACQ(&s->word);
        switch (FT_LW_STATE(w)) {
        case FT_LS_POSTED:
            if (!FT_CAS(&s->word, &w, FT_LW(w, FT_LS_FREE)))
                continue;
            break;
        case FT_LS_CLAIMED:
            at = ft_link_steal(fd, kind, t, call_start, i);
            if (at)
                break; /* this slot is now the younger call's */
            if (!FT_CAS(&s->word, &w, FT_LW(w, FT_LS_ABANDONED)))
                continue;
            break; /* the claimer frees it */
        case FT_LS_SERVED:
            at = FT_LOAD(&s->start);
            if (!FT_CAS(&s->word, &w, FT_LW(w, FT_LS_FREE))) {
                at = 0;
                continue; /* moved meanwhile */
            }
            break;
        case FT_LS_UNSERVED:
            FT_STORE_REL(&s->word, FT_LW(w, FT_LS_FREE));
            break;
        case FT_LS_MOVED:
            FT_STORE_REL(&s->word, (w & ~(uint64_t)0xfff) | FT_LS_FREE);
            i = FT_LW_TO(w) - 1;
            moved = 1;
            continue;
        default:
            /* Never reached: free, writing or abandoned are no call's; but
             * through a move, this call's own slot is freed already. */
            if (moved)
                FT_ADD(&ft_link_pending, -1);
            return 0;
        }
        FT_ADD(&ft_link_pending, -1);
        return at;
    }
    FT_ADD(&ft_link_pending, -1);
    return 0;
}

uint32_t ft_link_claim(int fd, unsigned kind)
{
    /* A thread that runs JavaScript makes no announced call's sync (those are
     * the pool's): a sync there is its own call's (fs.fsyncSync, a write
     * stream's flush, a native addon's), and would take an async call's
     * announcement of the same fd. */
    if (ft_thr.js)
        return 0;
    uint32_t n = FT_LOAD(&ft_link_used);
    for (int tries = 0; tries < FT_LINK_TRIES; tries++) {
        uint32_t best = FT_LINK_SLOTS;
        uint64_t bw = 0;
        for (uint32_t i = 0; i < n && i < FT_LINK_SLOTS; i++) {
            struct ft_link_slot *s = &ft_links[i];
            uint64_t w = FT_LOAD_ACQ(&s->word);
            if (FT_LW_STATE(w) != FT_LS_POSTED || FT_LW_KIND(w) != kind || FT_LOAD(&s->fd) != fd)
                continue;
            if (best == FT_LINK_SLOTS || FT_LW_TICKET(w) < FT_LW_TICKET(bw))
                best = i, bw = w;
        }
        if (best == FT_LINK_SLOTS)
            return 0;
        /* The whole word: had the slot been taken back and announced again
         * since its fd was read, its ticket differs and this fails. */
        if (FT_CAS(&ft_links[best].word, &bw, FT_LW(bw, FT_LS_CLAIMED)))
            return best + 1;
    }
    return 0;
}

void ft_link_after_fork(void)
{
    /* The parent's calls are not the child's: none will be taken back here.
     * The child is one thread: plain stores. */
    memset(ft_links, 0, sizeof ft_links);
    ft_link_used = 0;
    ft_link_pending = 0;
}

void ft_link_served(uint32_t claim, int recorded, uint64_t start_ns)
{
    struct ft_link_slot *s = &ft_links[claim - 1];
    uint64_t w = FT_LOAD(&s->word);
    if (recorded)
        FT_STORE(&s->start, start_ns);
    /* Claimed, unless its call settled meanwhile (abandoned): then it is
     * ours to free. */
    if (FT_LW_STATE(w) == FT_LS_CLAIMED && FT_CAS(&s->word, &w, FT_LW(w, recorded ? FT_LS_SERVED : FT_LS_UNSERVED)))
        return;
    FT_STORE_REL(&s->word, FT_LW(w, FT_LS_FREE));
}
