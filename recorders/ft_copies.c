/*
 * ft_copies.c — keeping every event in the ring named by a copy of its path.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_ring.h"

/*
 * ---- keeping every event named ---------------------------------------------
 *
 * The ring keeps the newest records, and an event is only useful with a
 * whole copy of its path record somewhere in the ring. The rule: the newest
 * copy of a path is not overwritten while a record that refers to it may
 * still be in the ring.
 *
 * A slot's record goes when someone claims the slot's next sequence number
 * (seq + ring_slots). So whoever claims sequence numbers (a thread's block,
 * the slots of a path copy, a signal handler's single slot) looks at what
 * the claim would displace before writing anything (ft_displace):
 *  - part of a path's newest copy that is still needed: the slot is left as
 *    it is. A thread's block skips it; a path copy, which needs contiguous
 *    slots, gives its claimed run up and claims another. So the copy stays
 *    for as long as it is needed, at the cost of one slot, and no chain of
 *    copies moving copies can start. A copy kept for two laps is written
 *    anew from a block claim instead (its new slots are claimed then, and
 *    may not take other needed copies), so all records stay within a few
 *    laps of each other;
 *  - part of any other copy: it goes, and if a continuation goes, the
 *    copy's head record is emptied too (a reader would count a cut copy as
 *    an incomplete path);
 *  - an event: a claimed slot can stay unwritten for long (a thread that
 *    goes quiet keeps its unused block), and the event with it; so it
 *    counts as a use of its path made now, at the claimed number, or, if
 *    its path has no copy left, it is emptied.
 *
 * "Still needed" means the path's newest use is after its newest copy and
 * less than two laps old. Each path keeps two words (struct ft_path): copy,
 * where its newest copy is, and last, its newest use; each is
 * (tag << 48 | seq & 2^46-1), the tag being this trace file's, so that a
 * word left by another file (a parent's, before a fork) reads as "none";
 * copy is 0 when the path has no copy in the ring. A use raises `last`
 * (an atomic RMW) only when it is not already after the copy and at most
 * half a lap old: about twice per lap per path. Events live at most a lap
 * and a half past such a `last` (a block is given up once half a lap old),
 * so a copy is kept while any of them can be in the ring.
 *
 * When a claimer finds a copy not needed, it sets the GONE bit of the copy
 * word with a CAS and then reads `last` again; a use raises `last`, then
 * reads `copy`. That is the store-buffer pattern with a seq_cst RMW on both
 * sides: the claimer sees the use (then it clears GONE and keeps the copy),
 * or the use sees GONE and writes a new copy itself (taking BUSY, which
 * stops the claimer from clearing GONE). While GONE is set, the claimers of
 * the copy's other slots keep them: a copy is only ever cut once its word
 * has left it for good (0, or a new copy), so a word never names a cut copy.
 * A writer of a new copy takes the BUSY bit with a CAS before it claims
 * slots, and stores the new word once the copy is whole; a copy claimed
 * after a use covers it (everyone who relied on the old word read it before
 * it changed, so before the claim). A use that sees BUSY raises `last` (the
 * copy in flight may be older than the use), and an event about to be
 * written also writes a copy of its own that the word does not name: the
 * one in flight is another thread's, and the process may end before that
 * thread finishes it. Nobody ever waits.
 *
 * Writers check, right before each store, that their slot is still theirs:
 * a thread stopped for a whole lap between its claim and its store would
 * otherwise write an old record over a newer one (see ft_event_slot_mine,
 * ft_copy_slot_mine). Should a copy be lost anyway (a stop of a lap inside
 * those few instructions), the next use that takes the slow path finds it
 * gone (ft_copy_whole) and writes a new one, which names every earlier use.
 */

#define FT_PW_SEQ ((1ull << 46) - 1)
#define FT_PW_GONE (1ull << 46) /* a claimer is deciding whether to give this copy up */
#define FT_PW_BUSY (1ull << 47) /* a writer is making a new copy */
#define FT_PATH_SLOTS_MAX \
    (1 + (FT_PATH_MAX_LEN - FT_PATH_HEAD_BYTES + FT_PATH_CONT_BYTES - 1) / FT_PATH_CONT_BYTES)
#define FT_COPY_TRIES 64   /* runs a copy may claim before it gives up */

static inline uint64_t ft_pw(const struct ft_ctx *c, uint64_t seq)
{
    return c->tag << 48 | (seq & FT_PW_SEQ);
}

static inline int ft_pw_mine(const struct ft_ctx *c, uint64_t w)
{
    return (w >> 48) == c->tag;
}

/* Does word a come after word b? Serial arithmetic on the sequence bits. */
static inline int ft_pw_after(uint64_t a, uint64_t b)
{
    uint64_t d = (a - b) & FT_PW_SEQ;
    return d != 0 && d < (1ull << 45);
}

/* Is word a at most `within` before word b (or after it)? */
static inline int ft_pw_recent(uint64_t a, uint64_t b, uint64_t within)
{
    uint64_t d = (b - a) & FT_PW_SEQ;
    return d <= within || d >= (1ull << 45);
}

/* Is the copy of p whose word is cw needed by a use that may still be in
 * the ring, as of the claim of sequence number q? */
static inline int ft_needed(struct ft_ctx *c, struct ft_path *p, uint64_t cw, uint64_t q)
{
    uint64_t lw = __atomic_load_n(&p->last, __ATOMIC_SEQ_CST);
    return ft_pw_mine(c, lw) && ft_pw_after(lw, cw) && ft_pw_recent(lw, ft_pw(c, q), 2ull * c->slots);
}

/* Start a new copy of path id, whose copy word was cw: take its BUSY bit and
 * claim its slots; the job writes it. 2 if it is ours, 1 if the word had
 * changed (someone else took the bit first, or gave the copy up), 0 if the
 * job stack is full. */
static int ft_new_copy(struct ft_ctx *c, struct ft_jobs *js, struct ft_path *p, uint32_t id,
                       uint64_t cw, uint32_t cut_idx, uint64_t cut_word)
{
    if (js->n == FT_JOBS)
        return 0;
    if (!FT_CAS(&p->copy, &cw, cw | FT_PW_BUSY))
        return 1;
    uint32_t n = ft_path_slots(p->len);
    uint64_t s = ft_claim(c, n);
    ft_chunks_ahead(c, s, n);
    ft_push(c, js, s, n, id, cut_idx, cut_word);
    return 2;
}

/* Is the copy that word cw names still whole in the ring? It can only have
 * been lost to a writer stopped for a lap at the wrong instant (between its
 * last check and its store); a use checks now and then (ft_use). */
static int ft_copy_whole(struct ft_ctx *c, struct ft_path *p, uint32_t id, uint64_t cw)
{
    uint64_t head = __atomic_load_n(&c->hdr->next_seq, __ATOMIC_ACQUIRE);
    uint64_t o = head - ((head - cw) & FT_PW_SEQ); /* its full sequence number */
    uint32_t n = ft_path_slots(p->len), idx = (uint32_t)(o % c->slots);
    for (uint32_t i = 0; i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1) {
        unsigned char *slot = ft_slot(c, idx);
        uint64_t want = (uint64_t)(i ? FT_T_PATH_CONT : FT_T_PATH) << 32 | (uint32_t)(o + i);
        if (!ft_chunk_ready(c, idx) || FT_LOAD((uint64_t *)slot) != want)
            return 0;
        if (i == 0 && FT_LOAD((uint32_t *)(slot + offsetof(struct ft_path_rec, path_id))) != id)
            return 0;
    }
    return 1;
}

/* A copy of path id that the path's word does not name (it names one being
 * written by someone else, who may never finish if the process ends now):
 * for an event that would otherwise rely on that one. */
static void ft_extra_copy(struct ft_ctx *c, struct ft_jobs *js, struct ft_path *p, uint32_t id)
{
    if (js->n == FT_JOBS)
        return;
    uint32_t n = ft_path_slots(p->len);
    uint64_t s = ft_claim(c, n);
    ft_chunks_ahead(c, s, n);
    ft_push(c, js, s, n, id, 0, 0);
    js->job[js->n - 1].extra = 1;
}

/* Path id is used by a record with sequence number s: an event about to be
 * written (create: write a first copy if there is none), or an old one that
 * a claim leaves in place for now. Returns 0 if the path has no copy, and
 * none is on its way. (When ft_new_copy finds the word changed, whoever
 * changed it did so after we read it, so after s was claimed: a copy they
 * start is newer than s; if they gave one up, the next use writes one.) */
int ft_use(struct ft_ctx *c, struct ft_jobs *js, uint32_t id, uint64_t s, int create)
{
    struct ft_path *p = ft_path_get(id);
    if (FT_UNLIKELY(!p))
        return 0;
    uint64_t want = ft_pw(c, s);
    uint64_t cw = FT_LOAD_ACQ(&p->copy);
    if (FT_LIKELY(!(cw & (FT_PW_BUSY | FT_PW_GONE)) && ft_pw_mine(c, cw))) {
        uint64_t lw = FT_LOAD(&p->last);
        if (FT_LIKELY(ft_pw_mine(c, lw) && ft_pw_after(lw, cw) && ft_pw_recent(lw, want, c->slots / 2)))
            return 1; /* a recent use after the newest copy is on record */
    } else if (!(cw & FT_PW_BUSY) && create && ft_new_copy(c, js, p, id, cw, 0, 0) == 2) {
        return 1; /* no copy (or one being given up): ours is claimed after s */
    }
    uint64_t lw = FT_LOAD(&p->last);
    for (;;) {
        if (ft_pw_mine(c, lw) && !ft_pw_after(want, lw)) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST); /* what the RMW would have ordered */
            break;
        }
        if (__atomic_compare_exchange_n(&p->last, &lw, want, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            break;
    }
    /* A claimer that gave the copy up before it could see our use left
     * GONE or 0: then a new copy, after s. */
    cw = __atomic_load_n(&p->copy, __ATOMIC_SEQ_CST);
    if (cw & FT_PW_BUSY) {
        if (create)
            ft_extra_copy(c, js, p, id);
        return 1;
    }
    if (ft_pw_mine(c, cw) && !(cw & FT_PW_GONE)) {
        if (FT_LIKELY(ft_copy_whole(c, p, id, cw)))
            return 1;
        /* Lost: a new copy (it covers every use before it), or none. */
        if (create)
            return ft_new_copy(c, js, p, id, cw, 0, 0) != 0;
        FT_CAS(&p->copy, &cw, 0);
        return 0;
    }
    return create && ft_new_copy(c, js, p, id, cw, 0, 0) != 0;
}

/* Sequence number q (ring index idx) was just claimed by job j: see to what
 * it displaces. Returns 1 if the slot must be left as it is. */
static int ft_displace(struct ft_ctx *c, struct ft_jobs *js, struct ft_job *j, uint64_t q, uint32_t idx)
{
    if (q < c->slots)
        return 0; /* first lap: the slot never held anything */
    if (!ft_chunk_ready(c, idx))
        return 0;
    unsigned char *slot = ft_slot(c, idx);
    uint64_t w = FT_LOAD_ACQ((uint64_t *)slot);
    uint8_t type = (uint8_t)(w >> 32);
    if (FT_LIKELY(type == FT_T_EMPTY))
        return 0;
    uint32_t back = (uint32_t)q - (uint32_t)w; /* how long ago it was written */
    if (FT_UNLIKELY(back == 0 || back > 0x7fffffffu))
        return 1; /* a newer record: our claim went stale (we were stopped): hands off */
    if (type >= FT_T_SYNC) {
        uint32_t id = FT_LOAD((uint32_t *)(slot + offsetof(struct ft_event, path_id)));
        uint32_t other = type == FT_T_RENAME
                             ? FT_LOAD((uint32_t *)(slot + offsetof(struct ft_event, writes))) : 0;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (FT_LOAD((uint64_t *)slot) != w)
            return 0; /* rewritten meanwhile: then it is not old */
        int named = 1;
        if (id) {
            /* Old events come in runs of one file (a thread's block). A use at
             * an earlier number of the same claim does for this one: no copy
             * can be claimed between two numbers of one claim. */
            if (id != j->noted) {
                j->noted = id;
                j->noted_ok = ft_use(c, js, id, q, 0);
            }
            named = j->noted_ok;
        }
        if (other && !ft_use(c, js, other, q, 0))
            named = 0;
        if (!named) /* its name is gone from the ring: so is it */
            FT_CAS((uint64_t *)slot, &w, 0);
        return 0;
    }
    /* Part of a path copy: find its head (o, the copy's sequence number). */
    uint64_t o = q - back;
    uint32_t hidx = idx, k = 0;
    uint64_t hw = w;
    int cut = type == FT_T_PATH_CONT;
    while (type == FT_T_PATH_CONT) {
        if (++k >= FT_PATH_SLOTS_MAX)
            return 0;
        hidx = hidx ? hidx - 1 : c->slots - 1;
        if (!ft_chunk_ready(c, hidx))
            return 0;
        hw = FT_LOAD_ACQ((uint64_t *)ft_slot(c, hidx));
        type = (uint8_t)(hw >> 32);
        if ((uint32_t)hw != (uint32_t)(o - k) || (type != FT_T_PATH && type != FT_T_PATH_CONT))
            return 0; /* its head went first, and its claimer saw to the copy */
    }
    o -= k;
    unsigned char *head = ft_slot(c, hidx);
    uint32_t id = FT_LOAD((uint32_t *)(head + offsetof(struct ft_path_rec, path_id)));
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (FT_LOAD((uint64_t *)head) != hw)
        return 0;
    struct ft_path *p = ft_path_get(id);
    uint64_t cw = p ? __atomic_load_n(&p->copy, __ATOMIC_SEQ_CST) : 0, mine = ft_pw(c, o);
    if (cw == (mine | FT_PW_GONE))
        return 1; /* another claimer is deciding about this copy: keep ours */
    if (cw == mine) {
        if (ft_needed(c, p, cw, q)) {
            if (q - o < 2ull * c->slots)
                return 1;
            /* Kept two laps: a block claim writes it anew (the job empties
             * a cut head once the new copy is whole). Else keep it. */
            return j->path_id || ft_new_copy(c, js, p, id, cw, cut ? hidx : 0, cut ? hw : 0) != 2;
        }
        uint64_t expected = cw;
        if (__atomic_compare_exchange_n(&p->copy, &expected, mine | FT_PW_GONE, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
            /* A use may have come just before: then keep the copy after
             * all, unless that use already took it over for a new one. */
            int keep = ft_needed(c, p, cw, q);
            expected = mine | FT_PW_GONE;
            if (__atomic_compare_exchange_n(&p->copy, &expected, keep ? mine : 0, 0, __ATOMIC_SEQ_CST,
                                            __ATOMIC_RELAXED) && keep)
                return 1;
        } else if (expected == (mine | FT_PW_GONE)) {
            return 1; /* another claimer decides about it meanwhile */
        }
    }
    if (cut)
        FT_CAS((uint64_t *)head, &hw, 0);
    return 0;
}

/* May a path copy record with sequence number seq go into its slot now?
 * Not once someone has claimed seq + ring_slots: then this thread was
 * stopped for a whole lap since its claim, and the slot is the new
 * claimer's, who saw what was there before and may write over the copy
 * later (while the copy's word, published, would still name it). Checked
 * right before each store, so only a stop of a lap within the few
 * instructions between the two could still let that happen. */
static inline int ft_copy_slot_mine(struct ft_ctx *c, uint64_t seq)
{
    return __atomic_load_n(&c->hdr->next_seq, __ATOMIC_ACQUIRE) - seq <= c->slots;
}

/* The copy of a path, into the slots its job claimed. Returns 1 when it is
 * published whole; 0 when it was not (this thread was stopped so long that
 * later claims took its slots) and the job holds BUSY, to write it at a new
 * run; -1 when it cannot be written (counted as dropped, no copy left). */
static int ft_write_copy(struct ft_ctx *c, const struct ft_job *j)
{
    struct ft_path *p = ft_path_get(j->path_id);
    uint32_t n = j->count, idx0 = (uint32_t)(j->first % c->slots), idx = idx0;
    if (FT_LOAD(&c->hdr->next_seq) - j->first > c->slots / 2)
        return 0; /* stale already: the ring has moved on by half a lap since the claim */
    int ok = FT_LOAD_ACQ(&c->state) == FT_RING_READY;
    for (uint32_t i = 0; ok && i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1)
        ok = ft_slot_ready(c, idx);
    if (!ok) {
        ft_count_drops(c, n);
        if (!j->extra)
            FT_STORE_REL(&p->copy, 0); /* none: the next use writes a first one */
        return -1;
    }
    unsigned char rec[FT_RECORD_SIZE];
    idx = idx0;
    for (uint32_t i = 0; i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1) {
        ft_path_piece(rec, p, j->path_id, i);
        uint32_t nested;
        int mine;
        do { /* again if a signal handler recorded in between (see ft_put) */
            nested = FT_LOAD(&ft_thr.nested);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            mine = ft_copy_slot_mine(c, j->first + i);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
        } while (mine && FT_LOAD(&ft_thr.nested) != nested);
        if (!mine) {
            /* Taken: empty the head we wrote, if it is still there. */
            uint64_t head = (uint64_t)FT_T_PATH << 32 | (uint32_t)j->first;
            if (i > 0)
                FT_CAS((uint64_t *)ft_slot(c, idx0), &head, 0);
            return 0;
        }
        ft_commit(ft_slot(c, idx), j->first + i, rec);
    }
    if (j->extra)
        return 1;
    /* Publish, then look: claimers that saw BUSY may have taken our slots if
     * we were stopped for a lap. The exchange orders the look after it. */
    uint64_t word = ft_pw(c, j->first);
    __atomic_exchange_n(&p->copy, word, __ATOMIC_SEQ_CST);
    idx = idx0;
    for (uint32_t i = 0; i < n; i++, idx = idx + 1 == c->slots ? 0 : idx + 1) {
        uint64_t want = (uint64_t)(i ? FT_T_PATH_CONT : FT_T_PATH) << 32 | (uint32_t)(j->first + i);
        if (FT_LOAD((uint64_t *)ft_slot(c, idx)) != want) {
            /* Take the word back (from a claimer deciding about it, too) so
             * that it never names this copy; if it has moved on, whoever
             * moved it sees to the path. */
            uint64_t cur = __atomic_load_n(&p->copy, __ATOMIC_SEQ_CST);
            while (cur == word || cur == (word | FT_PW_GONE)) {
                if (__atomic_compare_exchange_n(&p->copy, &cur, word | FT_PW_BUSY, 0,
                                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                    return 0;
            }
            return 1;
        }
    }
    if (j->cut_word) {
        uint64_t expected = j->cut_word;
        FT_CAS((uint64_t *)ft_slot(c, j->cut_idx), &expected, 0);
    }
    return 1;
}

/* Run the jobs, innermost first: a copy is written once the slots it
 * displaces have been seen to, and before the record that displaced the
 * copy it replaces. */
void ft_run(struct ft_ctx *c, struct ft_jobs *js, uint32_t *skip)
{
    while (js->n > 0) {
        struct ft_job *j = &js->job[js->n - 1];
        if (j->next < j->count) {
            uint32_t i = j->next++, idx = j->idx;
            j->idx = idx + 1 == c->slots ? 0 : idx + 1;
            if (ft_displace(c, js, j, j->first + i, idx)) {
                if (j->path_id)
                    j->keep = 1;
                else
                    j->skip |= 1u << i;
            }
            continue;
        }
        if (!j->path_id) { /* a block, or one slot: seen to */
            if (skip)
                *skip = j->skip;
            js->n--;
            continue;
        }
        /* A copy: written, unless a slot of its run must stay as it is or
         * the run went stale (or was lost after it was written); then the
         * run is left unwritten (nothing else writes to it) and another one
         * claimed. */
        if (!j->keep && ft_write_copy(c, j) != 0) {
            js->n--;
            continue;
        }
        if (++j->tries >= FT_COPY_TRIES) {
            ft_count_drops(c, j->count);
            if (!j->extra) /* none: the next use writes one */
                FT_STORE_REL(&ft_path_get(j->path_id)->copy, 0);
            js->n--;
            continue;
        }
        uint64_t s = ft_claim(c, j->count);
        ft_chunks_ahead(c, s, j->count);
        j->first = s;
        j->idx = (uint32_t)(s % c->slots);
        j->next = 0;
        j->keep = 0;
        j->noted = 0;
    }
}
