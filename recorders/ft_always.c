/*
 * ft_always.c — what makes the recorder something to leave on for good.
 *
 * The raw ring keeps minutes of detail. For the days before an incident,
 * and for telling someone while it happens, every sync also goes through
 * ft_sync_done, which:
 *
 *  - counts it in the summary ring (ft_summary.h);
 *  - copies it to the keep ring when it failed, met an alert rule, or was an
 *    outlier against the file's baseline, and flags both copies;
 *  - writes one alert line when it was slow in absolute terms or against the
 *    file's baseline (ft_alert.h);
 *  - learns the file's baseline: a log histogram in process memory
 *    (ft_track.h).
 *
 * The hot path, for a sync that is not slow: one compare against the file's
 * cut-off (the smallest latency any rule could care about, recomputed every
 * FT_BASE_EVERY calls), a check that the file's current summary entry is
 * still this interval's, and about five relaxed atomic adds into it.
 *
 * Every path here is async-signal-safe: atomics, stack buffers, raw
 * syscalls. The one wait is a bounded spin for a path name another thread
 * is writing into the names region.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_always.h"

/* ---- the keep ring ------------------------------------------------------------ */

static void ft_keep(struct ft_regions *rg, struct ft_event *ev)
{
    if (!rg->keep_slots)
        return;
    ft_name_ensure(rg, ev->path_id);
    if (!ev->tid)
        ev->tid = (uint32_t)ft_syscall(SYS_gettid);
    uint64_t n = FT_ADD(&rg->hdr->keep_next, 1);
    uint32_t g = rg->keep_first + (uint32_t)(n % rg->keep_slots);
    if (!ft_slots_ready(rg, g, 1, rg->keep_first + rg->keep_slots)) {
        FT_ADD(&rg->hdr->dropped, 1);
        return;
    }
    ft_commit(ft_gslot(rg, g), n, ev);
}


/* ---- judging a sync -------------------------------------------------------------- */

/* A sync at or above the track's cut-off, or a failed one: which rules does
 * it meet? Sets the record's flags; writes the alert line unless the file
 * wrote one less than alert_every_s ago. */
static __attribute__((noinline)) unsigned ft_judge(struct ft_event *ev, struct ft_track *t)
{
    if (FT_UNLIKELY(!FT_LOAD(&t->cut_ns)))
        ft_baseline_update(t);
    uint64_t d = ev->dur_ns;
    unsigned j = 0;
    int relative = 0;
    if (ft_cfg.alert_ms && d >= (uint64_t)ft_cfg.alert_ms * 1000000u)
        j |= FT_J_ALERT;
    else if (d >= FT_LOAD(&t->rel_ns))
        j |= FT_J_ALERT, relative = 1;
    if (ft_cfg.summary_s && (ev->res < 0 || j || d >= FT_LOAD(&t->keep_ns))) {
        j |= FT_J_KEEP;
        ev->flags |= FT_F_KEPT;
    }
    if (!(j & FT_J_ALERT))
        return j;
    ev->flags |= FT_F_ALERT;
    /* Rate limit: the first thread past the file's period takes the line. */
    uint64_t now = ev->start_ns + d, every = (uint64_t)ft_cfg.alert_every_s * 1000000000u;
    uint64_t last = FT_LOAD(&t->last_alert);
    int take = ft_cfg.alert_sink != FT_SINK_OFF &&
               (last == 0 || (int64_t)(now - last) >= (int64_t)every) &&
               FT_CAS(&t->last_alert, &last, now);
    if (take) {
        int saved = errno;
        uint32_t dropped = FT_XCHG(&t->suppressed, 0);
        if (ft_alert_send(ev, t, dropped, relative)) {
            j |= FT_J_WRITTEN;
        } else if (dropped) {
            FT_ADD(&t->suppressed, dropped); /* still to be told */
        }
        errno = saved;
    }
    if (!(j & FT_J_WRITTEN)) {
        FT_ADD(&t->suppressed, 1);
        ev->flags |= FT_F_ALERT_SUPPRESSED;
    }
    return j;
}

/* The counts in the header, once the raw record made sure there is one. */
static __attribute__((noinline)) void ft_judged(struct ft_regions *rg, struct ft_event *ev, unsigned j)
{
    if (j & FT_J_ALERT)
        FT_ADD(j & FT_J_WRITTEN ? &rg->hdr->alerts : &rg->hdr->alerts_suppressed, 1);
    if (j & FT_J_KEEP)
        ft_keep(rg, ev);
}

__attribute__((always_inline)) inline void ft_sync_done_hot(struct ft_event *ev, struct ft_file *f, uint32_t life)
{
    ft_thr.sync_ns += ev->dur_ns;
    ft_thr.sync_calls++;
    struct ft_track *t = ft_track_of(f, ev->call, life);
    unsigned j = 0;
    if (FT_UNLIKELY(t && (ev->dur_ns >= FT_LOAD(&t->cut_ns) || ev->res < 0)))
        j = ft_judge(ev, t);
    struct ft_regions *rg = ft_emit_hot(ev);
    if (FT_UNLIKELY(FT_LOAD(&ft_off_pending) == 1))
        ft_alert_off();
    if (!t)
        return;
    if (FT_UNLIKELY(t->synced_gen != ft_thr.gen)) /* the record went to this trace (ft_emit) */
        FT_STORE(&t->synced_gen, ft_thr.gen);
    unsigned b = ft_hist_bucket(ev->dur_ns);
    if (FT_LIKELY(rg != NULL)) {
        if (FT_UNLIKELY(j))
            ft_judged(rg, ev, j);
        if (rg->interval_ns)
            ft_summary_put(rg, ev, t, b, j);
    }
    ft_baseline_add(t, b);
}

void ft_sync_done(struct ft_event *ev, struct ft_file *f, uint32_t life)
{
    ft_sync_done_hot(ev, f, life);
}
