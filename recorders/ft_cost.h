/*
 * ft_cost.h — the recorder's own cost (ft_cost.c): intercepted calls
 * counted per thread, and 1 in cost_period of them measured, added up per
 * interval in a cost entry of the summary ring (FORMAT.md, "Recorder cost").
 */
#ifndef FT_COST_H
#define FT_COST_H

#include "ft_summary.h"

/* Count ns, one measured call, into the thread's cost. */
void ft_cost_sample(uint64_t ns);
/* A measured call's clock reads, out of line (1 call in cost_period): the
 * wrappers that inline a sync's whole path keep one clock read inline at
 * each end, and under a page (ft_base.h, FT_HOT_PAGE). ft_cost_start: the
 * time the wrapper began; ft_cost_end: counts a sync's own cost, from t_in to
 * start and from t1 (its end) to now. */
__attribute__((noinline, cold)) uint64_t ft_cost_start(void);
__attribute__((noinline, cold)) void ft_cost_end(uint64_t t_in, uint64_t start, uint64_t t1);
/* Every cost_period intercepted calls of a thread: into the cost entry. */
void ft_cost_tick(void);

/* Should this call be recorded? ft_active, and every wrapper comes through
 * here, so it also counts intercepted calls for the cost record: a
 * thread-local countdown, no shared write per call. */
static inline int ft_on(void)
{
    if (!ft_active())
        return 0;
    if (FT_UNLIKELY(--ft_thr.cost_left < 0))
        ft_cost_tick();
    return 1;
}

#endif /* FT_COST_H */
