/*
 * ft_ring.h — the ring: appending records (ft_ring.c), and keeping every
 * event in it named by a copy of its path (ft_copies.c).
 */
#ifndef FT_RING_H
#define FT_RING_H

#include "ft_trace.h"

#define FT_JOBS 4          /* a block and a copy, or an event's two copies */

struct ft_job {
    uint64_t first;     /* claimed sequence numbers [first, first + count) */
    uint32_t count;
    uint32_t next;      /* the next of them whose slot to look at ... */
    uint32_t idx;       /* ... and its ring index */
    uint32_t skip;      /* slots to leave alone, bit i for first + i (blocks) */
    uint32_t noted;     /* the path an old event of an earlier slot used ... */
    int noted_ok;       /* ... and whether it is named */
    uint32_t path_id;   /* nonzero: write a copy of this path into the slots */
    uint32_t tries;     /* runs claimed for it so far */
    int keep;           /* a slot of this run must be left alone: claim another */
    int extra;          /* a copy besides the one `copy` names: leave the word alone */
    uint32_t cut_idx;   /* and once it is whole, empty the head of the copy */
    uint64_t cut_word;  /* it replaces if that still holds this word (0: none) */
};

struct ft_jobs {
    unsigned n;
    struct ft_job job[FT_JOBS];
};

static inline void ft_push(struct ft_ctx *c, struct ft_jobs *js, uint64_t first, uint32_t count,
                           uint32_t path_id, uint32_t cut_idx, uint64_t cut_word)
{
    js->job[js->n++] = (struct ft_job){
        .first = first, .count = count, .idx = (uint32_t)(first % c->slots),
        .path_id = path_id, .cut_idx = cut_idx, .cut_word = cut_word,
    };
}


/* See ft_copies.c. */
int ft_use(struct ft_ctx *c, struct ft_jobs *js, uint32_t id, uint64_t s, int create);
void ft_run(struct ft_ctx *c, struct ft_jobs *js, uint32_t *skip);

/* Append an event: fills seq and tid; names its paths first. */
void ft_emit(struct ft_event *ev);

#endif /* FT_RING_H */
