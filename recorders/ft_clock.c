/*
 * ft_clock.c — CLOCK_MONOTONIC, cheaply (see ft_now in ft_base.h).
 */
#include <string.h>
#include <time.h>

#include "ft_base.h"

/* ---- the clock ------------------------------------------------------------ */

uint64_t ft_tsc_mult;
static int ft_tsc_usable;
static uint64_t ft_tsc_base, ft_ns_base; /* the calibration's first anchor */

uint64_t ft_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts); /* vDSO: no syscall, async-signal-safe */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ft_rdtsc(void)
{
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
}

void ft_clock_setup(void)
{
    char cs[32];
    ssize_t n = ft_sys_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                                 cs, sizeof cs - 1);
    ft_tsc_usable = n == 4 && memcmp(cs, "tsc\n", 4) == 0;
    if (ft_tsc_usable) {
        ft_tsc_base = ft_rdtsc();
        ft_ns_base = ft_clock(CLOCK_MONOTONIC);
    }
}

/* Re-anchor the thread: TSC read on both sides of clock_gettime, midpoint
 * taken. The anchor's TSC is invalidated first, so a signal handler that
 * runs in between re-anchors for itself instead of mixing the halves; and if
 * one did, its anchor may now hold our TSC with its ns, so ours is written
 * again until it is read back whole. */
uint64_t ft_now_slow(void)
{
    uint64_t t1 = ft_rdtsc();
    uint64_t ns = ft_clock(CLOCK_MONOTONIC);
    uint64_t t2 = ft_rdtsc();
    if (!ft_tsc_usable)
        return ns;
    uint64_t tsc = t1 + (t2 - t1) / 2;
    do {
        FT_STORE(&ft_thr.clk_tsc, ~0ull);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        FT_STORE(&ft_thr.clk_ns, ns);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        FT_STORE(&ft_thr.clk_tsc, tsc);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    } while (FT_LOAD(&ft_thr.clk_ns) != ns || FT_LOAD(&ft_thr.clk_tsc) != tsc);
    /* Calibrate over the longest span we have, once it is 20 ms long. */
    if (ns - ft_ns_base >= 20000000u && tsc > ft_tsc_base) {
        unsigned __int128 num = (unsigned __int128)(ns - ft_ns_base) << 32;
        FT_STORE(&ft_tsc_mult, (uint64_t)(num / (tsc - ft_tsc_base)));
    }
    return ns;
}
