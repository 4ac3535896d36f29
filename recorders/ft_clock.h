/*
 * ft_clock.h — CLOCK_MONOTONIC, cheaply (ft_clock.c): the hot path's read
 * inline here, the anchoring and calibration there.
 */
#ifndef FT_CLOCK_H
#define FT_CLOCK_H

#include "ft_sys.h"

void ft_clock_setup(void);
uint64_t ft_clock(clockid_t id);

uint64_t ft_now_slow(void);
/* CLOCK_MONOTONIC in ns, cheaply. Two clock reads are most of what a sync
 * record costs (clock_gettime ~25 ns through the vDSO, rdtsc ~10 ns), so
 * when the kernel's own clocksource is the TSC (then it is invariant and
 * synchronised across CPUs, or the kernel would not use it) we extrapolate
 * from a per-thread anchor (TSC, CLOCK_MONOTONIC) refreshed every ~2^22
 * ticks (~1.5 ms), at a rate calibrated against CLOCK_MONOTONIC over the
 * process's life. The error is at most that interval times the NTP slew
 * (<= 500 ppm): under a microsecond. Otherwise, and for the first 20 ms,
 * it is clock_gettime(2).
 *
 * A signal handler may re-anchor the thread (ft_now_slow) between our reads
 * of the anchor's two halves: the TSC half is read again after the ns half,
 * and a change (a new anchor, or ~0 while one is being written) sends us to
 * the slow path instead of mixing two anchors. */
#define FT_CLK_REFRESH (1ull << 22)
/* ft_tsc_mult (the hot page): ns per tick in 32.32 fixed point; 0: unusable */

static inline __attribute__((always_inline)) uint64_t ft_clock_read(void)
{
#if defined(__x86_64__)
    uint64_t mult = FT_LOAD(&ft_tsc_mult);
    if (FT_LIKELY(mult != 0)) {
        uint64_t tsc0 = FT_LOAD(&ft_thr.clk_tsc);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        uint64_t ns0 = FT_LOAD(&ft_thr.clk_ns);
        /* Unsigned: a TSC behind the anchor (none expected) also refreshes. */
        uint64_t d = __builtin_ia32_rdtsc() - tsc0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (FT_LIKELY(d < FT_CLK_REFRESH && FT_LOAD(&ft_thr.clk_tsc) == tsc0))
            return ns0 + (uint64_t)(((unsigned __int128)d * mult) >> 32);
    }
#endif
    return ft_now_slow();
}

/* Strictly increasing on each thread. Re-anchoring can step the
 * extrapolated time back a little (the calibrated rate is not exact), and
 * two reads within one nanosecond would make a call last zero; so a thread
 * never gets a time at or before the last one it got. The clamp only ever
 * holds a thread's clock a few hundred ns ahead until the true one catches
 * up: it does not accumulate. A signal handler that interleaves sees, and
 * leaves, times after the interrupted code's, which stays increasing too. */
static inline __attribute__((always_inline)) uint64_t ft_now(void)
{
    uint64_t t = ft_clock_read();
    uint64_t last = FT_LOAD(&ft_thr.clk_last);
    if (FT_UNLIKELY(t <= last))
        t = last + 1;
    FT_STORE(&ft_thr.clk_last, t);
    return t;
}

/* A duration. ft_now() is increasing per thread, so between two reads of
 * one thread this is at least 1; the test stays for times of two threads. */
static inline uint64_t ft_since(uint64_t t0, uint64_t t1)
{
    return t1 > t0 ? t1 - t0 : 0;
}

#endif /* FT_CLOCK_H */
