/*
 * ft_cost.c — the recorder's own cost, per interval, in the summary ring
 * (ft_cost.h).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "ft_cost.h"

static uint64_t ft_cost_cur; /* the current cost entry's word (ft_cur_word), 0: none */

void ft_cost_sample(uint64_t ns)
{
    ft_thr.cost_samples++;
    ft_thr.cost_ns += ns;
}

uint64_t ft_cost_start(void)
{
    return ft_clock_read();
}

void ft_cost_end(uint64_t t_in, uint64_t start, uint64_t t1)
{
    ft_cost_sample(ft_since(t_in, start) + ft_since(t1, ft_clock_read()));
}

/* Once per cost_period intercepted calls of a thread: add what the thread
 * counted to this interval's cost entry, and measure the thread's next sync
 * or write. Before there is a trace file the counts wait in the thread. */
void ft_cost_tick(void)
{
    uint32_t period = ft_cfg.cost_period;
    ft_thr.cost_left = period ? (int32_t)period - 1 : INT32_MAX;
    if (!period)
        return;
    ft_thr.cost_calls += period;
    struct ft_regions *rg = ft_regions();
    if (!rg || !rg->interval_ns)
        return;
    ft_thr.cost_due = 1;
    int saved = errno;
    uint64_t now = ft_now();
    unsigned char *e = NULL;
    uint64_t cur = FT_LOAD(&ft_cost_cur);
    uint32_t idx = (uint32_t)cur - 1;
    if (cur && idx < rg->sum_entries) {
        e = ft_entry(rg, idx);
        uint64_t want = (cur >> 32) | (uint64_t)FT_T_COST << 32;
        if (FT_LOAD((uint64_t *)e) != want ||
            now - FT_LOAD(&((struct ft_cost *)e)->interval_start_ns) >= rg->interval_ns)
            e = NULL;
    }
    if (!e) {
        struct ft_cost k;
        memset(&k, 0, sizeof k);
        k.type = FT_T_COST;
        k.interval_start_ns = ft_interval_of(rg, now);
        k.period = period;
        cur = ft_entry_new(rg, &k, FT_HIST_BUCKETS); /* no histogram count */
        if (!cur) {
            errno = saved;
            return;
        }
        FT_STORE(&ft_cost_cur, cur);
        e = ft_entry(rg, (uint32_t)cur - 1);
    }
    struct ft_cost *k = (struct ft_cost *)e;
    FT_ADD(&k->calls, ft_thr.cost_calls);
    if (ft_thr.cost_samples) {
        FT_ADD(&k->samples, ft_thr.cost_samples);
        FT_ADD(&k->sampled_ns, ft_thr.cost_ns);
    }
    if (ft_thr.sync_calls) {
        FT_ADD(&k->sync_calls, ft_thr.sync_calls);
        FT_ADD(&k->sync_ns, ft_thr.sync_ns);
    }
    ft_thr.cost_calls = ft_thr.sync_calls = ft_thr.sync_ns = ft_thr.cost_ns = 0;
    ft_thr.cost_samples = 0;
    errno = saved;
}

