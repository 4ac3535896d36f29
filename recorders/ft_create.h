/*
 * ft_create.h — making the trace file (ft_create.c): at the first record
 * that needs one, in the directory it checked (or made) first.
 */
#ifndef FT_CREATE_H
#define FT_CREATE_H

#include "ft_header.h"
#include "ft_tracedir.h"

struct ft_ctx *ft_ring_slow(void);
/* Set by the ring (ft_ring.c) at its first held record: the thread that
 * makes the file calls it once the file is made, while the state is still
 * INIT (no other thread writes the ring yet), to place the held records. */
#define ft_created_hook (ft_hot.created_hook)
/* When this image's trace was made (CLOCK_MONOTONIC; 0: not yet) and how long
 * that took: a Node call that waited across it is recorded without it (ft_js.c). */
#define ft_made_at (ft_hot.made_at) /* in the hot page (ft_base.h): no page of its own */
#define ft_made_ns (ft_hot.made_ns)

/* The trace file, made at the first record; NULL when there is none (the
 * record is then counted as dropped where there is a header to count in). */
static inline struct ft_ctx *ft_ring(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (FT_LIKELY(c != NULL && FT_LOAD_ACQ(&c->state) == FT_RING_READY))
        return c;
    return ft_ring_slow();
}

#endif /* FT_CREATE_H */
