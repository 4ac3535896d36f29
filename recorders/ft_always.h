/*
 * ft_always.h — always on: summaries, the keep ring, baselines, live alerts
 * and the recorder's own cost (ft_always.c, ft_alert.c).
 */
#ifndef FT_ALWAYS_H
#define FT_ALWAYS_H

#include "ft_files.h"

#define FT_BASE_MIN 64          /* syncs before a file's baseline counts */


/* What the recorder knows of a file's (or, for calls with no file, a call
 * kind's) recent syncs, in process memory: the baseline histogram, the
 * cut-off above which a sync is looked at closer, the current summary entry
 * per call kind, and the alert rate limit. Updated with plain loads and
 * stores where a lost update only blurs the baseline. */
struct ft_track {
    uint64_t cut_ns;             /* look closer at a sync this slow (0: not set up) */
    uint32_t seen;               /* syncs seen, saturating */
    uint32_t total;              /* sum of hist, halved past FT_BASE_DECAY */
    uint64_t cur[FT_C_MAX + 1];  /* summary entry number + 1, per call kind */
    uint64_t keep_ns;            /* outlier: kept at or above this */
    uint64_t rel_ns;             /* relative alert at or above this (~0: none yet) */
    uint64_t p50_ns, p99_ns;     /* the baseline the cut-offs came from */
    uint64_t last_alert;         /* CLOCK_MONOTONIC of the last line written */
    uint32_t suppressed;         /* alerts not written since that line */
    uint32_t base_calls;         /* calls the baseline was computed over */
    uint32_t life;               /* the file slot's life this track is for (ft_file.life) */
    uint32_t clearer;            /* while life is FT_TRACK_CLEARING: the clearing thread (ft_always.c) */
    uint32_t synced_gen;         /* the trace generation (ft_ctx.gen) of its last sync: this image's? */
    uint64_t own_key;            /* the thread (trace gen << 32 | tid) that counts into ... */
    uint64_t own[FT_C_MAX + 1];  /* ... these entries of its own, per call kind (ft_always.c) */
    uint16_t hist[FT_HIST_BUCKETS];
} __attribute__((aligned(64)));

/* After a sync returned: judge it (alert, keep), write the raw record, the
 * kept copy, the alert line and the summary, and learn from it. f may be NULL. */
void ft_sync_done(struct ft_event *ev, struct ft_file *f);
void ft_cost_sample(uint64_t ns);
/* A Node call into the summary ring (ft_js.c); *cur: its current entry's word. */
void ft_summary_js(const struct ft_event *ev, uint64_t *cur);
int ft_file_synced(struct ft_file *f); /* this image synced it at some time */

/* Send one alert line for ev; 1 if it went out (ft_alert.c). */
int ft_alert_send(const struct ft_event *ev, const struct ft_track *t, uint32_t suppressed, int relative);
/* Say once, through the same sink, why nothing is recorded (ft_off_text). */
void ft_alert_off(void);

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

#endif /* FT_ALWAYS_H */
