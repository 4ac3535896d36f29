/*
 * ft_ring.h — the ring: appending records (ft_ring.c).
 */
#ifndef FT_RING_H
#define FT_RING_H

#include "ft_names.h"

/* Append an event: fills seq and tid; names its paths first (ft_names.c). */
void ft_emit(struct ft_event *ev);
/* The same for a sync record (one path at most), inlined (across files, by
 * LTO) where it is called: in ft_sync_done_hot, the fsync family's path
 * (ft_base.h, FT_HOT_PAGE). Returns the trace's regions when it is ready
 * (ft_regions(): the summary's next; the fast path has them at hand). */
struct ft_regions *ft_emit_hot(struct ft_event *ev);
/* ft_emit inlined where it is called: a Node call's record (ft_js.c), one
 * page of code with its summary. */
void ft_emit_js(struct ft_event *ev);

#endif /* FT_RING_H */
