/*
 * ft_track.h — what the recorder keeps in process memory of each file's
 * recent syncs (ft_track.c): its track, with the baseline of its latencies
 * the always-on rules judge a sync against, and the summary entries it
 * counts into (ft_summary.h).
 */
#ifndef FT_TRACK_H
#define FT_TRACK_H

#include "ft_files.h"

#define FT_BASE_MIN 64          /* syncs before a file's baseline counts */
#define FT_BASE_EVERY 256       /* recompute the cut-offs this often (and at FT_BASE_MIN) */

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
    uint32_t clearer;            /* while life is FT_TRACK_CLEARING: the clearing thread (ft_track.c) */
    uint32_t synced_gen;         /* the trace generation (ft_ctx.gen) of its last sync: this image's? */
    uint64_t own_key;            /* the thread (trace gen << 32 | tid) that counts into ... */
    struct ft_own {              /* ... these entries of its own, per call kind (ft_summary.h): */
        uint64_t key;            /* the entry's first word while it is still that entry (ft_entry_key) */
        struct ft_summary *at;   /* where it is (NULL: none), so the owner's sync finds it in two loads */
    } own[FT_C_MAX + 1];
    uint16_t hist[FT_HIST_BUCKETS];
} __attribute__((aligned(64)));

#define ft_tracks (ft_hot.tracks) /* parallel to ft_files, made at the first sync */
extern struct ft_track ft_track_nofile[FT_C_MAX + 1]; /* calls with no file, per kind */
/* &ft_track_nofile[call], out of line: its address is not worked out on
 * the common path (a file's sync) before the test for it. */
__attribute__((noinline)) struct ft_track *ft_track_none(unsigned call);

__attribute__((noinline, cold)) struct ft_track *ft_tracks_make(void);
/* The slot holds another file now (or its first): start its track afresh. */
__attribute__((noinline, cold)) struct ft_track *ft_track_clear(struct ft_track *t, uint32_t life);
/* Recompute the track's cut-offs from its histogram. */
void ft_baseline_update(struct ft_track *t);
int ft_file_synced(struct ft_file *f); /* this image synced it at some time */

/* f's track (NULL: the tracks could not be made), the one of its call kind
 * for a call with no file. life: f's life (ft_file.life), read by the caller
 * before the call it records, when it touched f anyway (one page less to
 * walk after the call). */
static inline struct ft_track *ft_track_of(struct ft_file *f, unsigned call, uint32_t life)
{
    if (FT_UNLIKELY(!f))
        return ft_track_none(call);
    struct ft_track *t = FT_LOAD_ACQ(&ft_tracks);
    if (FT_UNLIKELY(!t))
        t = ft_tracks_make();
    if (!t)
        return NULL;
    t += f - ft_files;
    if (FT_UNLIKELY(FT_LOAD_ACQ(&t->life) != life))
        return ft_track_clear(t, life);
    return t;
}

/* Learn from a sync: plain loads and stores, no locked instruction. Two
 * threads syncing one file at once may lose a count; a baseline does not
 * need every one. */
static inline void ft_baseline_add(struct ft_track *t, unsigned b)
{
    FT_STORE(&t->hist[b], (uint16_t)(FT_LOAD(&t->hist[b]) + 1));
    uint32_t n = FT_LOAD(&t->seen) + 1;
    if (FT_UNLIKELY(n >= 1u << 31))
        n = 1u << 30; /* keeps the cadence (a multiple of FT_BASE_EVERY) and the >= FT_BASE_MIN */
    FT_STORE(&t->seen, n);
    if (FT_UNLIKELY(n % FT_BASE_EVERY == 0 || n == FT_BASE_MIN))
        ft_baseline_update(t);
}

#endif /* FT_TRACK_H */
