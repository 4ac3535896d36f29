/*
 * ft_ring.c — appending records to the ring.
 *
 * Appending is lock-free: a thread claims a block of slots with one
 * fetch_add on the header's next_seq and fills it from thread-local state.
 * The ring holds events only: the paths they refer to are in the names
 * ring (ft_names.c), written before the first event that needs them.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_ring.h"

/* May an event with sequence number seq go into slot idx now? Not over a
 * record as new or newer: then this thread was stopped for a lap since its
 * claim and the record goes to a fresh slot. (A newer claimer that has not
 * written yet writes after us, and its record replaces ours, as it should.) */
static inline int ft_event_slot_mine(struct ft_ctx *c, uint32_t idx, uint64_t seq)
{
    uint64_t w = FT_LOAD((uint64_t *)ft_slot(c, idx));
    uint32_t back = (uint32_t)seq - (uint32_t)w;
    return (uint8_t)(w >> 32) == FT_T_EMPTY || (back != 0 && back <= 0x7fffffffu);
}

/* ---- claiming slots ------------------------------------------------------ */

/* One slot for an event, from the thread's block. A block is discarded when
 * the ring has moved on by half its size since it was claimed: writing an old
 * sequence number into a slot the ring has already reused would overwrite a
 * newer record. Returns the ring index, or -1 (the caller counts a drop). */
static inline __attribute__((always_inline)) int64_t ft_claim_one(struct ft_ctx *c, uint64_t head, uint64_t *seq)
{
    struct ft_thread *t = &ft_thr;
    if (FT_UNLIKELY(t->gen != c->gen)) {
        t->gen = c->gen;
        t->blk_next = t->blk_end = 0;
        t->name_id = t->name2_id = 0; /* its names cache was of another file (ft_name_cached) */
        t->tid = (uint32_t)ft_syscall(SYS_gettid);
    }
    /* Signed: a block claimed after `head` was read is not stale. */
    if (FT_UNLIKELY(t->blk_next == t->blk_end || (int64_t)(head - t->blk_next) > (int64_t)(c->slots / 2))) {
        uint64_t s = ft_claim(c, c->block);
        t->blk_next = s;
        t->blk_end = s + c->block;
        t->blk_idx = (uint32_t)(s % c->slots);
        ft_chunks_ahead(c, s, c->block);
        /* Asked once per block, not per record (the chunk bits are another
         * page): its first and last slots' chunks are made, a block spans
         * at most two, and a chunk made stays made for the file's life
         * (a new file is a new gen, which drops the block). */
        t->blk_ready = ft_chunk_ready(c, t->blk_idx) &&
                       ft_chunk_ready(c, (uint32_t)((s + c->block - 1) % c->slots));
    } else if (FT_UNLIKELY(FT_LOAD(&c->looking))) {
        ft_budget_on(c); /* the directory's budget: a step at every record while a look is on */
    }
    uint64_t s = t->blk_next++;
    uint32_t idx = t->blk_idx;
    t->blk_idx = idx + 1 == c->slots ? 0 : idx + 1;
    *seq = s;
    return FT_LIKELY(t->blk_ready) || ft_slot_ready(c, idx) ? (int64_t)idx : -1;
}
_Static_assert(FT_BLOCK_MAX <= FT_CHUNK_SLOTS, "a block spans at most two chunks");

/* One slot straight from the shared counter: its ring index, or -1. */
static int64_t ft_claim_single(struct ft_ctx *c, uint64_t *seq)
{
    *seq = ft_claim(c, 1);
    ft_chunks_ahead(c, *seq, 1);
    uint32_t i = (uint32_t)(*seq % c->slots);
    return ft_slot_ready(c, i) ? (int64_t)i : -1;
}

/* Name the event's paths (ft_names.c), then write it into the slot claimed
 * for it; own: the thread's own record, not a signal handler's nor a held
 * one (it may use the thread's name cache). Returns 0 if that slot was
 * taken meanwhile (see ft_event_slot_mine). */
static inline __attribute__((always_inline)) int ft_put(struct ft_ctx *c, struct ft_event *ev, int64_t idx,
                                                        uint64_t seq, int own, int one_name)
{
    if (idx < 0) {
        ft_count_drops(c, 1);
        return 1;
    }
    if (ev->path_id) {
        if (own)
            ft_name_ensure_own(&c->rg, ev->path_id);
        else
            ft_name_ensure(&c->rg, ev->path_id);
    }
    /* A rename's or link's new name, or a Node call's site (struct ft_js_rec): same field. */
    if (FT_UNLIKELY(!one_name && ((1u << (ev->type & 31)) & (1u << FT_T_RENAME | 1u << FT_T_LINK | 1u << FT_T_JS)) &&
                    ev->writes)) {
        if (own)
            ft_name_ensure_own2(&c->rg, ev->writes);
        else
            ft_name_ensure(&c->rg, ev->writes);
    }
    if (FT_UNLIKELY(!ft_writable(c))) {
        ft_count_drops(c, 1);
        return 1;
    }
    /* A signal handler that lands between the check and the store may keep
     * the thread away for a lap: if one recorded meanwhile, check again. */
    uint32_t nested;
    do {
        nested = FT_LOAD(&ft_thr.nested);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (FT_UNLIKELY(!ft_event_slot_mine(c, (uint32_t)idx, seq)))
            return 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    } while (FT_UNLIKELY(FT_LOAD(&ft_thr.nested) != nested));
    ft_commit(ft_slot(c, (uint32_t)idx), seq, ev);
    return 1;
}

/* This thread was stopped for a lap between its claim and its store: the
 * slot is a later lap's. The record goes to a fresh slot instead (the
 * thread's block is as stale, and goes at its next record). */
static __attribute__((noinline)) void ft_put_fresh(struct ft_ctx *c, struct ft_event *ev)
{
    for (int tries = 0; tries < 4; tries++) {
        uint64_t seq;
        int64_t idx = ft_claim_single(c, &seq);
        if (ft_put(c, ev, idx, seq, 0, 0))
            return;
    }
    ft_count_drops(c, 1);
}

/* ---- before the file exists ------------------------------------------------ */

/* Records that make the trace file: a durability call, as the library or
 * the Node hook (ft_js.c) saw it. The others wait for one (ft_pre_hold). */
static inline int ft_makes_trace(const struct ft_event *ev)
{
    return ev->type == FT_T_SYNC || ev->type == FT_T_JS;
}

/* The file is made at the first durability call: a process that only opens,
 * closes and renames files leaves nothing behind. Until then the newest
 * FT_PRE_EVENTS such records wait in process memory (the ctx page, wiped in
 * a fork child), each under the number its hold reserved, and go into the
 * ring under sequence numbers fixed by those numbers (struct ft_ctx).
 *
 * Why fixed numbers: placing a held record is a take (a CAS that empties
 * its hold slot) and then a store into the ring. Numbered when placed, a
 * record taken by one thread could be numbered after its own thread, which
 * found nothing left to place, had put its next record in the ring: the
 * open sorted after the sync that followed it. Numbered at its hold, it
 * cannot, whoever places it and whenever.
 *
 * Who places them: the thread that made the file, before any other thread
 * may write the ring (ft_created_hook, with the state still INIT), so no lap
 * can pass them; and a thread whose hold was committed after that (it
 * reserved its number before the file was closed to holds), itself, at once. */

/* Take the record in hold slot i and place it under its fixed number; one
 * that is not among the newest FT_PRE_EVENTS holds (an older one whose slot
 * a newer hold is reusing) is let go. */
static void ft_pre_place(struct ft_ctx *c, unsigned i)
{
    uint64_t w = FT_LOAD_ACQ((uint64_t *)&c->pre[i]);
    if ((uint8_t)(w >> 32) == FT_T_EMPTY)
        return;
    struct ft_event ev = c->pre[i];
    uint64_t held = FT_LOAD(&c->pre_word) >> 1;
    uint32_t back = (uint32_t)held - (uint32_t)w; /* 1 for the newest hold */
    if (!FT_CAS((uint64_t *)&c->pre[i], &w, 0))
        return; /* another placer took it, or its slot's newer hold is landing */
    uint64_t first = held < FT_PRE_EVENTS ? held : FT_PRE_EVENTS; /* the ring's first number */
    if (back == 0 || back > first)
        return;
    memcpy(&ev, &w, 8);
    uint64_t seq = first - back;
    uint32_t idx = (uint32_t)(seq % c->slots);
    if (!ft_slot_ready(c, idx) || !ft_put(c, &ev, idx, seq, 0, 0))
        ft_count_drops(c, 1);
}

/* Place every held record there is. */
static __attribute__((noinline, cold)) void ft_pre_flush(struct ft_ctx *c)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < FT_PRE_EVENTS; i++)
        ft_pre_place(c, i);
}

/* Hold ev if the file is not made yet (or a signal handler interrupted the
 * thread making it: the handler cannot wait for its own thread). Returns 1
 * if ev was held (or had to be let go: no memory for the ctx). */
static int ft_pre_hold(struct ft_event *ev, uint32_t tid)
{
    struct ft_ctx *c = ft_ctx();
    if (!c)
        return !ft_makes_trace(ev);
    uint32_t st = FT_LOAD_ACQ(&c->state);
    if (!(st == FT_RING_UNINIT && !ft_makes_trace(ev)) && !(st == FT_RING_INIT && ft_thr.initializing))
        return 0;
    /* Before the reservation (whose CAS releases it): a creator that
     * closes after it sees the hook. */
    if (!FT_LOAD(&ft_created_hook))
        FT_STORE(&ft_created_hook, ft_pre_flush);
    uint64_t w = FT_LOAD(&c->pre_word);
    do {
        if (w & 1)
            return 0; /* the file is made (or being made): the caller waits for it */
    } while (!FT_CAS(&c->pre_word, &w, w + 2));
    uint64_t n = w >> 1;
    ev->tid = tid;
    ft_commit((unsigned char *)&c->pre[n % FT_PRE_EVENTS], n, ev);
    /* Closed since our reservation: the creator may have looked before our
     * commit, so we place it ourselves (pairs with the creator's seq_cst
     * close and the fence before its scan). A handler on the creating
     * thread never gets here: the creator cannot close while interrupted. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (FT_UNLIKELY(FT_LOAD(&c->pre_word) & 1)) {
        struct ft_ctx *r = ft_ring();
        if (r)
            ft_pre_flush(r);
    }
    return 1;
}

/* This thread's tid for a held record, cached in ft_thr.tid (valid while
 * ft_thr.gen is the ctx's, 0 before the first file). */
static uint32_t ft_pre_tid(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    uint32_t gen = c ? FT_LOAD(&c->gen) : 0;
    if (ft_thr.gen != gen || !ft_thr.tid) {
        ft_thr.gen = gen;
        ft_thr.blk_next = ft_thr.blk_end = 0;
        ft_thr.tid = (uint32_t)ft_syscall(SYS_gettid);
    }
    return ft_thr.tid;
}

/* ---- appending -------------------------------------------------------------- */

/* A signal handler that interrupted this thread inside ft_emit: the thread's
 * block may be half updated, so the handler's record takes one slot
 * straight from the shared counter. Its tid is the thread's, unless the
 * interrupted code was about to set it. */
static __attribute__((noinline)) void ft_emit_nested(struct ft_event *ev)
{
    FT_STORE(&ft_thr.nested, FT_LOAD(&ft_thr.nested) + 1); /* see ft_put */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (!ft_regions() && ft_pre_hold(ev, (uint32_t)ft_syscall(SYS_gettid)))
        return;
    struct ft_ctx *c = ft_ring();
    if (!c)
        return;
    uint32_t tid = FT_LOAD(&ft_thr.gen) == c->gen ? FT_LOAD(&ft_thr.tid) : 0;
    ev->tid = tid ? tid : (uint32_t)ft_syscall(SYS_gettid);
    uint64_t seq;
    int64_t idx = ft_claim_single(c, &seq);
    if (!ft_put(c, ev, idx, seq, 0, 0))
        ft_put_fresh(c, ev);
}

/* Claim a slot for ev from the thread's block and write it. (Inline: in
 * ft_emit, ft_emit_slow and, through ft_emit_hot, the sync wrappers.) */
static inline __attribute__((always_inline)) void ft_put_one(struct ft_ctx *c, struct ft_event *ev, int one_name)
{
    /* One read of the head per record (its copy in struct ft_ctx): the
     * line every thread's block claim writes. */
    uint64_t seq;
    int64_t idx = ft_claim_one(c, FT_LOAD(&c->head), &seq);
    ev->tid = ft_thr.tid;
    if (FT_UNLIKELY(!ft_put(c, ev, idx, seq, 1, one_name)))
        ft_put_fresh(c, ev);
    /* Each record lands on a cold cache line; fetch the thread's next
     * one now, so that its miss is not paid at the next record (or at
     * the next locked instruction, which waits for the store). */
    /* (Without asking whether the block has a next slot or its chunk is
     * made: a prefetch never faults, and one of a slot not used next costs
     * nothing the record pays for.) */
    __builtin_prefetch(ft_slot(c, ft_thr.blk_idx), 1, 3);
}

/* ft_emit when the thread is in ft_emit already (a signal handler), or
 * there is no trace ready yet. */
static __attribute__((noinline)) void ft_emit_slow(struct ft_event *ev)
{
    if (ft_thr.guard) {
        ft_emit_nested(ev);
        return;
    }
    ft_guard_on();
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (!c || FT_LOAD_ACQ(&c->state) != FT_RING_READY) {
        if (!ft_makes_trace(ev) && !ft_cfg.unsynced && ft_pre_hold(ev, ft_pre_tid())) {
            ft_guard_off();
            return;
        }
        c = ft_ring_slow();
    }
    if (c)
        ft_put_one(c, ev, 0);
    ft_guard_off();
}

/* one_name: the record names one path at most (a sync record: no rename's
 * or link's second name, no Node call site), known where it is inlined. */
static inline __attribute__((always_inline)) struct ft_regions *ft_emit_in(struct ft_event *ev, int one_name)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (FT_UNLIKELY(ft_thr.guard || !c || FT_LOAD_ACQ(&c->state) != FT_RING_READY)) {
        ft_emit_slow(ev);
        return ft_regions();
    }
    ft_guard_on();
    ft_put_one(c, ev, one_name);
    ft_guard_off();
    /* Still ready (a failed chunk or a SIGBUS may have ended it meanwhile). */
    return FT_LIKELY(FT_LOAD_ACQ(&c->state) == FT_RING_READY) ? &c->rg : NULL;
}

__attribute__((always_inline)) inline struct ft_regions *ft_emit_hot(struct ft_event *ev)
{
    return ft_emit_in(ev, 1);
}

__attribute__((always_inline)) inline void ft_emit_js(struct ft_event *ev)
{
    ft_emit_in(ev, 0);
}

void ft_emit(struct ft_event *ev)
{
    ft_emit_in(ev, 0);
}
