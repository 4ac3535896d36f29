/*
 * ft_always.h — always on: every sync judged, kept, alerted, summarised
 * and learnt from (ft_always.c), on the parts below it: tracks and
 * baselines (ft_track.h), the summary ring (ft_summary.h), the recorder's
 * own cost (ft_cost.h) and alert lines (ft_alert.h).
 */
#ifndef FT_ALWAYS_H
#define FT_ALWAYS_H

#include "ft_alert.h"
#include "ft_cost.h"

/* After a sync returned: judge it (alert, keep), write the raw record, the
 * kept copy, the alert line and the summary, and learn from it. f may be NULL. */
void ft_sync_done(struct ft_event *ev, struct ft_file *f, uint32_t life);
/* The same, inlined (LTO) into the fsync family's wrappers (ft_sync_end). */
void ft_sync_done_hot(struct ft_event *ev, struct ft_file *f, uint32_t life);

#endif /* FT_ALWAYS_H */
