/*
 * ft_trace.h — the trace file and its regions (ft_trace.c; made by ft_create.c, ft_create.h).
 *
 * The trace file is created at the first record, sized once with
 * ftruncate, mapped MAP_SHARED once, and written through the mapping: a
 * record is in the page cache the moment its commit word is stored, so it
 * survives a crash of the process. The recorder never syncs the trace;
 * surviving a crash of the machine is not its job. Space is allocated
 * (fallocate) a chunk at a time, ahead of the writers.
 */
#ifndef FT_TRACE_H
#define FT_TRACE_H

#include <string.h>

#include "ft_budget.h"
#include "ft_paths.h"

/* Where the regions of the current trace file are. Slots are numbered
 * across the whole file ("global" slot g is at byte 4096 + 64 g): the ring is
 * [0, ring_slots), the other regions follow it. */
struct ft_regions {
    struct ft_header *hdr;
    unsigned char *slots;     /* the mapping + FT_HEADER_SIZE: global slot 0 */
    uint32_t ring_slots;
    uint32_t keep_first, keep_slots;
    uint32_t sum_first, sum_entries;  /* entries of FT_SUMMARY_ENTRY_SLOTS */
    uint32_t names_first, names_slots;
    uint32_t aside_first, aside_slots;  /* summary entries' own names: entry i at 2 i */
    uint32_t tag;             /* 16 bits, never 0: this file, in ft_path.names_at */
    uint64_t interval_ns;     /* summary interval; 0: no summaries */
    /* Keeping summary entries named (ft_names.c): where each entry's name
     * is in the names ring (tag << 48 | position, 0: not known; process
     * memory, made at the first entry), and the next entry to look at. */
    uint64_t *sum_names;
    uint64_t sum_sweep;
};


enum ft_ring_state {
    FT_RING_UNINIT = 0,   /* no trace file yet: the next record creates one */
    FT_RING_INIT = 1,     /* a thread is creating it: other threads wait */
    FT_RING_READY = 2,
    FT_RING_DEAD = 3,     /* stopped after a failure; drops are counted in the header */
    FT_RING_REFUSED = 4,  /* no file could be made: nothing to count into */
};

/* Space is made 4 KiB (a page) at a time: a process that makes one sync
 * pays for four pages (the header, and the first page of the ring, the
 * names and the summaries), and no step costs a writer more than making
 * one tmpfs page (~10 us here). */
#define FT_CHUNK_SLOTS 64u
#define FT_RING_STEP 4u          /* chunks the ring is made ahead in, past its first ones (ft_trace.c) */
#define FT_CHUNK_BITS_MAX (1u << 21) /* 8 GiB of file */
#define FT_PRE_EVENTS 64u        /* events kept before the file exists */
#define FT_BLOCK_MAX 32u
#define FT_SHARES 32u            /* entries of ft_ctx.shares */

/* This lives in a page marked MADV_WIPEONFORK: a child made by any kind of
 * fork (including _Fork and raw clone, which skip pthread_atfork handlers)
 * sees it all zero, i.e. "no trace file yet", and starts its own file
 * instead of writing into its parent's ring. A vfork child shares our
 * memory, so it sees our pid here and ft_vfork_child() can tell. */
struct ft_ctx {
    uint32_t state;          /* enum ft_ring_state, a CAS state machine */
    uint32_t gen;            /* generation of the current trace file */
    uint32_t pid;            /* the process that owns this state */
    uint32_t slots;          /* ring_slots */
    uint32_t block;          /* slots claimed per thread at a time */
    uint32_t nchunks;
    uint32_t total;          /* slots in the file, every region */
    uint64_t tag;            /* this file's tag (ft_path.names_at) */
    struct ft_regions rg;    /* the regions after the ring (version 2) */
    struct ft_header *hdr;   /* the mapping (the ring follows the header) */
    unsigned char *ring;
    uint64_t map_len;
    uint64_t ino, dev;       /* of the trace file, checked when reopening it */
    uint64_t pending_drops;  /* dropped before the header existed */
    uint32_t no_populate;    /* MADV_POPULATE_WRITE unsupported: fallocate */
    uint32_t chunks_made;    /* chunks made so far, for the budget's rescans */
    uint32_t budget_at;      /* chunks_made at which the directory is looked at again */
    uint32_t waiters;        /* threads that waited for the file to be made (ft_ring_wait) */
    uint32_t dir_sub;        /* the trace went to <dir>/uid-<euid> (ft_trace_dir) */
    uint32_t looking;        /* a growing trace's look at the directory is on (ft_trace.c) */
    /* The header's next_seq and names_next as this process's claims left
     * them (ft_claim, ft_names_claim: an atomic max after each), for the
     * checks every record makes (a thread's block too old, its name's copy
     * half a lap old): read here, in the page the record reads anyway, they
     * spare it the header's page (a page walk after every system call on a
     * VM with PTI and no PCID) and the line every claim writes. Behind the
     * header's only by the claims in flight (a few records or paths); both
     * checks leave half a lap of room. Only this process writes its file. */
    uint64_t head __attribute__((aligned(64)));
    uint64_t names_head;
    /* Opens, closes and renames before the first durability call: the newest
     * FT_PRE_EVENTS wait here, and go into the ring when the file is made.
     * pre_word is (holds reserved << 1) | closed: a hold reserves its
     * number n with a CAS while the bit is clear, and the file's creator
     * sets the bit once, which fixes H = every hold there will be. Held
     * record n then has ring sequence number n - (H - min(H, 64)) and the
     * ring starts at min(H, 64): a held record sorts before every record
     * made after its hold, whoever places it and however late (see
     * ft_pre_place). */
    uint64_t pre_word;
    struct ft_event pre[FT_PRE_EVENTS];
    char path[FT_DIR_MAX + 160];
    /* The interval's newest summary entry per name hash and call kind
     * (ft_summary.c, "one entry for the files of one name"): here, so that
     * it shares a page the first sync touches anyway (with the start of
     * chunk_bits, all a 64 MiB file uses of it). */
    struct ft_share {
        uint64_t word;   /* the entry (ft_cur_word) */
        uint32_t id;     /* its path id */
        uint32_t hash;   /* its name's hash */
    } shares[FT_SHARES];
    uint64_t chunk_bits[FT_CHUNK_BITS_MAX / 64]; /* chunks allocated and populated */
    struct ft_budget_walk walk; /* the growth's look at the directory, in steps */
};

#define FT_CTX_BYTES ((sizeof(struct ft_ctx) + 4095) & ~(size_t)4095)

#define ft_ctx_ptr (ft_hot.ctx_ptr)  /* in the hot page (ft_base.h) */
/* Not in the wiped page: they must survive fork to be compared with (in
 * the hot page, ft_base.h). */
#define ft_gen_counter (ft_hot.gen_counter)
#define ft_map_addr (ft_hot.map_addr) /* the mapping we made, and the pid that made it */
#define ft_map_len (ft_hot.map_len)
#define ft_map_pid (ft_hot.map_pid)

/* ---- when the directory's budget is looked at (ft_budget.h) -------------- */

#define FT_BUDGET_FIRST (64u << 10)   /* room made for a new trace: what one sync takes */
#define FT_BUDGET_STEP_MIN 16u        /* then again after 64 KiB of growth ... */
#define FT_BUDGET_STEP_MAX 2048u      /* ... to 8 MiB: a quarter of the room the last look left */
#define FT_BUDGET_LOOK_NS 8000u       /* a growing trace's look: this much work per step (ft_trace.c) */
/* What is left of a look when the image ends (exit, _exit, exec; ft_trace.c):
 * at most this many more traces stat'ed or removed, whatever the time (a
 * bound in work, not in time: a process descheduled at its exit still
 * finishes a look of a directory that size). 2,048 is one pass over a
 * directory of 2,000 traces, ~5 ms here (a stat and a kill(pid, 0) each,
 * ~2-3 us), about what starting a process costs anyway; a failed exec or
 * an _exit in a directory of many thousands waits for no more (the look
 * goes on after a failed exec, at the next records). */
#define FT_BUDGET_END_WORK 2048u

/* After a look that left `room` bytes: how many more chunks before the next. */
static inline uint32_t ft_budget_step(uint64_t room)
{
    uint64_t chunks = room / 4 / (FT_CHUNK_SLOTS * FT_RECORD_SIZE);
    return chunks < FT_BUDGET_STEP_MIN ? FT_BUDGET_STEP_MIN : chunks > FT_BUDGET_STEP_MAX ? FT_BUDGET_STEP_MAX : (uint32_t)chunks;
}

/* ---- the file's state (ft_trace.c) --------------------------------------- */

struct ft_ctx *ft_ctx(void);
uint32_t ft_ctx_pid(struct ft_ctx *c);
int ft_vfork_child(void);               /* are we a vfork child sharing our parent's memory? */
void ft_count_drops(struct ft_ctx *c, uint64_t n);
void ft_reserve_failed(struct ft_ctx *c);
int ft_chunk_reserve(struct ft_ctx *c, uint32_t k, int fd);
void ft_chunks_ahead(struct ft_ctx *c, uint64_t s, uint64_t n);
void ft_budget_on(struct ft_ctx *c);    /* a look is on (c->looking): its next step */

static inline int ft_chunk_ready(struct ft_ctx *c, uint32_t idx)
{
    uint32_t k = idx / FT_CHUNK_SLOTS;
    return (FT_LOAD_ACQ(&c->chunk_bits[k >> 6]) >> (k & 63)) & 1;
}

/* May slot idx be written? Its chunk is made if nobody has yet: fallocate
 * is idempotent, so writers racing here all succeed and one bit is set.
 * Only a real failure (ENOSPC, the file removed) stops the recording. */
int ft_slot_make(struct ft_ctx *c, uint32_t idx);

static inline int ft_slot_ready(struct ft_ctx *c, uint32_t idx)
{
    if (FT_LIKELY(ft_chunk_ready(c, idx)))
        return 1;
    return ft_slot_make(c, idx);
}

int ft_slots_ready(struct ft_regions *rg, uint32_t g, uint32_t n, uint32_t region_end);
void ft_mark_ended(void);
int ft_exec_begin(void);                /* flag the image ended; 1 if this call did */
void ft_exec_failed(int marked);        /* exec returned: undo ft_exec_begin */
void ft_after_fork_child(void);
int ft_ring_fault(const void *addr);    /* SIGBUS in our mapping: make it harmless; 1 if ours */

/* The current file's regions; NULL when there is no file (yet), or it has
 * stopped. Never creates one: only a raw record does. */
static inline struct ft_regions *ft_regions(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (FT_LIKELY(c != NULL && FT_LOAD_ACQ(&c->state) == FT_RING_READY))
        return &c->rg;
    return NULL;
}

/* The trace whose regions rg are. */
static inline struct ft_ctx *ft_ctx_of(struct ft_regions *rg)
{
    return (struct ft_ctx *)((char *)rg - offsetof(struct ft_ctx, rg));
}

/* ---- writing records ------------------------------------------------------ */

/* May this thread write the file now? Once it is READY; and the thread
 * making it, before that (it places the held records: ft_created_hook). */
static inline int ft_writable(struct ft_ctx *c)
{
    uint32_t st = FT_LOAD_ACQ(&c->state);
    return FT_LIKELY(st == FT_RING_READY) || (st == FT_RING_INIT && ft_thr.initializing);
}

static inline unsigned char *ft_slot(struct ft_ctx *c, uint32_t idx)
{
    return c->ring + (uint64_t)idx * FT_RECORD_SIZE;
}

/* *p = max(*p, v). */
static inline void ft_max_store(uint64_t *p, uint64_t v)
{
    uint64_t cur = FT_LOAD(p);
    while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

/* n fresh sequence numbers, and the process's copy of the head raised past
 * them (struct ft_ctx, head). seq_cst: see "keeping every event named". */
static inline uint64_t ft_claim(struct ft_ctx *c, uint64_t n)
{
    uint64_t s = __atomic_fetch_add(&c->hdr->next_seq, n, __ATOMIC_SEQ_CST);
    ft_max_store(&c->head, s + n);
    return s;
}

static inline void ft_commit(unsigned char *slot, uint64_t seq, const void *rec)
{
    uint64_t *word = (uint64_t *)slot;
    const unsigned char *r = rec;
    /* Empty first, then the body, then the commit word (release): a reader,
     * or a crash in the middle, sees either nothing or the whole record. */
    FT_STORE(word, 0);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(slot + 8, r + 8, FT_RECORD_SIZE - 8);
    uint64_t commit;
    memcpy(&commit, r, 8);
    commit = (commit & ~0xffffffffull) | (uint32_t)seq;
    FT_STORE_REL(word, commit);
}

static inline unsigned char *ft_gslot(const struct ft_regions *rg, uint32_t g)
{
    return rg->slots + (uint64_t)g * FT_RECORD_SIZE;
}

#endif /* FT_TRACE_H */
