/*
 * ft_link.c — the syncs kept for the Node calls they served (ft_link.h).
 *
 * libuv's pool makes an fs.fsync's system call on a thread of its own, which
 * cannot know which JavaScript call its work is for; the JavaScript thread
 * knows when a call started and, as its callback runs, that the sync of its
 * work has returned. So the pool threads keep each sync here (fd, kind,
 * start: a ring per bucket of descriptors, in the order they were kept), and
 * the record of each call, made as it settles, takes one of its fd and kind,
 * not taken yet, that started at or after the call did: the first-started of
 * the first FT_LINK_FIRST such that it finds from the ring's tail. libuv runs
 * the callbacks in the order the pool threads queue them, right after they
 * keep their syncs: a call's own sync is kept before its callback runs,
 * behind those of the calls before it, taken by then, and of the few whose
 * threads were held off the processor between keeping and queueing. Taking
 * the first-started of those pairs every call with a sync of its own fd and
 * kind inside its window, each sync at most once (a call that takes another's,
 * started first, leaves its own, which started after it and so fits that
 * other call too); which served which it cannot always tell (two calls of one
 * fd and kind in flight may exchange theirs), and the analyzer pairs a run's
 * linked syncs in the pool's order (queries/56_js_waits.sql).
 *
 * Nothing is announced at the call: the JavaScript thread pays only the take,
 * a few entries read from the ring's tail at the record (the cost that
 * matters: the program's thread). The pool threads pay the keep.
 *
 * Each entry's word says its fd, kind, generation (its number in the
 * bucket's count of syncs kept, the low 27 bits) and state:
 *
 *   free | taken -> writing -> kept   a pool thread (ft_link_keep)
 *   kept -> kept, numbered again      ... a lap later, still not taken: left
 *                                     in place, as if kept again (once: a lap
 *                                     later still, it is written over)
 *   kept -> taken                     a call's record (ft_link_take); or let
 *                                     go, FT_LINK_STALE_NS after it started
 *
 * A take's CAS names the whole word, so it fails on an entry written or
 * numbered again since it was read (a seqlock: the take checks the word it
 * read the start under). The tail passes entries taken in their lap only.
 *
 * Known limits (FORMAT.md): a sync of the fd made by a thread that runs no
 * JavaScript and serves no call (a worker thread without the hook, a native
 * addon's thread, a stream's flush on the pool) is kept too, and a call in
 * flight may take it; with more syncs of a bucket's descriptors (fd mod 16)
 * kept and not taken than its ring holds, the newest are written over the
 * oldest, whose calls are not linked; a sync that started more than
 * FT_LINK_SKEW_NS before its call, on the clocks, is not linked.
 */
#include <string.h>

#include "ft_link.h"

#define FT_LINK_BUCKETS 16u
/* A bucket's ring: its last FT_LINK_RING syncs kept (more than calls in flight
 * on one descriptor in most programs: test/node runs 32 on one FileHandle;
 * libuv's pool may finish them all before the JavaScript thread runs one of
 * their callbacks). */
#define FT_LINK_RING 56u
/* A take compares the first FT_LINK_FIRST syncs of its fd and kind that
 * started since its call began, in the order they were kept: its own, and
 * the ones that pool threads kept before but whose calls settle after it
 * (each thread, between keeping its sync and queueing its callback, may be
 * held off the processor: one such sync per thread, 4 threads by default). */
#define FT_LINK_FIRST 8
/* A kept sync that started this long before a call settling is no call's
 * (a callback that late: an event loop held for seconds): let go, so that the
 * ring's tail passes it. */
#define FT_LINK_STALE_NS 10000000000u
/* A take retried after lost races (each another thread's take or write of an
 * entry: progress), then given up. */
#define FT_LINK_TRIES 8

enum { FT_LS_FREE, FT_LS_WRITING, FT_LS_KEPT, FT_LS_TAKEN };

struct ft_link_entry {
    uint64_t word;  /* fd << 32 | numbered again << 31 | generation << 4 | kind << 2 | state */
    uint64_t start; /* kept: the sync record's start_ns (written before the word says so) */
};

struct ft_link_bucket {
    /* Syncs kept, ever: the pool threads' (each its own number, and its
     * entry's generation, the low 28 bits). */
    uint64_t head __attribute__((aligned(64)));
    /* Every sync kept before it is taken or let go: the JavaScript threads'
     * (a take looks from there). */
    uint64_t tail __attribute__((aligned(64)));
    struct ft_link_entry e[FT_LINK_RING] __attribute__((aligned(64)));
};
_Static_assert(sizeof(struct ft_link_bucket) == 1024, "a bucket is a quarter of a page");

/* A take touches one bucket, inside one page (a Node call's record comes
 * after a system call: on this project's VM each emptied the TLB, and every
 * page touched costs a walk, ~100 ns: ft_base.h, "the hot page"). */
static struct ft_link_bucket ft_links[FT_LINK_BUCKETS] __attribute__((aligned(4096)));

#define FT_LW_STATE(w) ((unsigned)((w) & 3))
#define FT_LW(w, state) (((w) & ~(uint64_t)3) | (state))
#define FT_LW_GEN_MASK ((UINT64_C(1) << 27) - 1)
/* Numbered again once already (a sync no call took for two laps: written
 * over the next time). */
#define FT_LW_AGAIN (UINT64_C(1) << 31)
#define FT_LW_GEN(w) (((w) >> 4) & FT_LW_GEN_MASK)
/* The fd, kind and state of a word (its generation and mark left out). */
#define FT_LW_KEY_MASK (~(FT_LW_GEN_MASK << 4 | FT_LW_AGAIN))
#define FT_LW_KEY(fd, kind, state) ((uint64_t)(uint32_t)(fd) << 32 | (uint64_t)(kind) << 2 | (state))

static inline struct ft_link_bucket *ft_link_bucket(int fd)
{
    return &ft_links[(uint32_t)fd % FT_LINK_BUCKETS];
}

void ft_link_keep(int fd, unsigned kind, uint64_t start_ns)
{
    if (fd < 0 || kind > 3)
        return;
    struct ft_link_bucket *b = ft_link_bucket(fd);
    /* Over the sync kept a lap before, taken by now most likely. One still
     * kept (its callback late: its pool thread was held off the processor
     * before queueing it; or no call's) is given this number, as if kept
     * again now, once, and the next number is tried; so is one still being
     * written by a thread a lap behind. Past FT_LINK_TRIES numbers (as many syncs kept and not
     * taken as the ring holds), the last is written over. A CAS lost to a
     * take of the one there is tried again. */
    struct ft_link_entry *e;
    uint64_t mine;
    for (int tries = 1;; tries++) {
        uint64_t n = FT_ADD(&b->head, 1);
        e = &b->e[n % FT_LINK_RING];
        mine = FT_LW_KEY(fd, kind, 0) | (n & FT_LW_GEN_MASK) << 4;
        uint64_t w = FT_LOAD(&e->word);
        for (;;) {
            unsigned st = FT_LW_STATE(w);
            if (st == FT_LS_WRITING)
                break;
            if (st == FT_LS_KEPT && !(w & FT_LW_AGAIN) && tries < FT_LINK_TRIES &&
                (int64_t)(start_ns - FT_LOAD(&e->start)) < (int64_t)FT_LINK_STALE_NS) {
                uint64_t again = (w & ~(FT_LW_GEN_MASK << 4)) | (n & FT_LW_GEN_MASK) << 4 | FT_LW_AGAIN;
                if (FT_CAS(&e->word, &w, again))
                    break;
                continue;
            }
            if (FT_CAS(&e->word, &w, mine | FT_LS_WRITING))
                goto write;
        }
        if (tries >= FT_LINK_TRIES)
            return; /* every entry being written: not kept, its call not linked */
    }
write:
    __atomic_thread_fence(__ATOMIC_RELEASE);
    FT_STORE(&e->start, start_ns);
    FT_STORE_REL(&e->word, mine | FT_LS_KEPT);
}

/* On the page of the record that calls it (ft_js.c, FT_HOT_PAGE(js_record)):
 * one more page to walk after a system call is ~100 ns on this VM. */
__attribute__((hot, section(".text.ft_hot_js_record"))) uint64_t ft_link_take(int fd, unsigned kind,
                                                                               uint64_t call_start)
{
    if (fd < 0)
        return 0;
    struct ft_link_bucket *b = ft_link_bucket(fd);
    uint64_t key = FT_LW_KEY(fd, kind, FT_LS_KEPT);
    for (int tries = 0; tries < FT_LINK_TRIES; tries++) {
        uint64_t t0 = FT_LOAD(&b->tail), head = FT_LOAD_ACQ(&b->head);
        /* Written over since: the ring's last lap only. */
        uint64_t t = head - t0 > FT_LINK_RING ? head - FT_LINK_RING : t0;
        uint64_t tail = t; /* the tail passes what is taken or let go */
        int passing = 1, found = 0;
        struct ft_link_entry *best = NULL;
        uint64_t bw = 0, bs = 0;
        /* How long after the call best started; from 2^63: before it (on the
         * clocks), by that minus 2^63. */
        uint64_t bd = UINT64_MAX;
        for (uint64_t n = t; n != head && found < FT_LINK_FIRST; n++) {
            struct ft_link_entry *e = &b->e[n % FT_LINK_RING];
            uint64_t w = FT_LOAD_ACQ(&e->word);
            unsigned st = FT_LW_STATE(w);
            /* The tail passes an entry taken in this lap only: one of a lap
             * before is yet to be written over (its number taken, its sync
             * not yet kept). An entry kept in a lap before (its writer was
             * held off the processor and the next one left it) is a sync all
             * the same. */
            if (st == FT_LS_TAKEN && FT_LW_GEN(w) == (n & FT_LW_GEN_MASK)) {
                tail += passing;
                continue;
            }
            if (st != FT_LS_KEPT) {
                passing = 0; /* being written, or to be */
                continue;
            }
            uint64_t s = FT_LOAD(&e->start);
            /* The earliest that started after the call; none: the latest
             * within the clocks' skew before it (2^63 and how far before:
             * after any that started after). */
            uint64_t d = s - call_start;
            if (d >> 63) {
                uint64_t back = call_start - s;
                if (back > FT_LINK_STALE_NS && FT_CAS(&e->word, &w, FT_LW(w, FT_LS_TAKEN))) {
                    tail += passing;
                    continue;
                }
                d = back <= FT_LINK_SKEW_NS ? (UINT64_C(1) << 63) + back : UINT64_MAX;
            }
            if ((w & FT_LW_KEY_MASK) == key && d != UINT64_MAX) {
                found++;
                if (d < bd)
                    best = e, bw = w, bs = s, bd = d;
            }
            passing = 0;
        }
        if (tail > t0)
            FT_CAS(&b->tail, &t0, tail);
        if (!best)
            return 0;
        /* The word it was read under: had the entry been written again since,
         * its generation differs and this fails. */
        if (FT_CAS(&best->word, &bw, FT_LW(bw, FT_LS_TAKEN)))
            return bs;
    }
    return 0;
}

void ft_link_after_fork(void)
{
    /* The parent's syncs served none of the child's calls. The child is one
     * thread: plain stores. */
    memset(ft_links, 0, sizeof ft_links);
}
