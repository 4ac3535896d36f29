/*
 * ft_clock.c — CLOCK_MONOTONIC, cheaply (see ft_now in ft_clock.h).
 */
#include <string.h>
#include <time.h>

#include "ft_clock.h"

/* ---- the clock ------------------------------------------------------------ */

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

/* Does the CPU say its TSC runs at one rate in every power state and on
 * every CPU (CPUID 0x80000007 EDX bit 8, "invariant TSC": Linux's
 * constant_tsc + nonstop_tsc)? */
static int ft_tsc_invariant(void)
{
#if defined(__x86_64__)
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0));
    if (a < 0x80000007u)
        return 0;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000007u), "c"(0));
    return (d >> 8) & 1;
#else
    return 0;
#endif
}

/*
 * One (TSC, CLOCK_MONOTONIC) pair: the TSC read on both sides of
 * clock_gettime, the midpoint taken. A thread preempted between the reads
 * (or a signal handler run there) brackets the clock by milliseconds, and a
 * midpoint that far from the clock's moment would skew every time the
 * thread reads until its next anchor (~1.5 ms) by half of it, enough to put
 * a pool thread's sync outside the Node call that waited for it; so a wide
 * bracket is taken again, up to FT_ANCHOR_TRIES times, and the narrowest
 * kept. FT_ANCHOR_SPAN ticks (~3 us at 2.5 GHz: a clock_gettime through
 * the vDSO takes ~100) bounds the skew of one that is kept at once.
 */
#define FT_ANCHOR_SPAN (1ull << 13)
#define FT_ANCHOR_TRIES 4

static uint64_t ft_anchor(uint64_t *tsc)
{
    uint64_t best_ns = 0, best_span = ~0ull;
    for (int i = 0; i < FT_ANCHOR_TRIES && best_span > FT_ANCHOR_SPAN; i++) {
        uint64_t t1 = ft_rdtsc();
        uint64_t ns = ft_clock(CLOCK_MONOTONIC);
        uint64_t t2 = ft_rdtsc();
        if (t2 - t1 < best_span) {
            best_span = t2 - t1;
            best_ns = ns;
            *tsc = t1 + (t2 - t1) / 2;
        }
    }
    return best_ns;
}

/* The TSC is used where the kernel's own clock is the TSC: clocksource
 * "tsc", or "kvm-clock" (a KVM guest's clock is the host TSC scaled by the
 * hypervisor) on a CPU whose TSC is invariant. In a KVM guest that keeps
 * kvm-clock, clock_gettime reads the pvclock page and the TSC each time
 * (~26 ns here against ~11 ns for the TSC alone): two per sync. Anything
 * the TSC does that the kernel's clock does not (a jump at a VM's
 * migration) is seen as a TSC behind its anchor or more than ~1.5 ms past
 * it, and the thread reads clock_gettime again. */
void ft_clock_setup(void)
{
    char cs[32];
    ssize_t n = ft_sys_read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                                 cs, sizeof cs - 1);
    ft_tsc_usable = (n == 4 && memcmp(cs, "tsc\n", 4) == 0) ||
                    (n == 10 && memcmp(cs, "kvm-clock\n", 10) == 0 && ft_tsc_invariant());
    if (ft_tsc_usable)
        ft_ns_base = ft_anchor(&ft_tsc_base);
}

/* Re-anchor the thread (ft_anchor). The anchor's TSC is invalidated first, so a signal handler that
 * runs in between re-anchors for itself instead of mixing the halves; and if
 * one did, its anchor may now hold our TSC with its ns, so ours is written
 * again until it is read back whole. */
uint64_t ft_now_slow(void)
{
    if (!ft_tsc_usable)
        return ft_clock(CLOCK_MONOTONIC);
    uint64_t tsc = 0;
    uint64_t ns = ft_anchor(&tsc);
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
        uint64_t mult = (uint64_t)(num / (tsc - ft_tsc_base));
        /* Stored only when it moved by more than a millionth (then the
         * error over one anchor's ~1.5 ms is under 2 ns): a store takes the
         * line from every other core's cache, and each would miss it at its
         * next read. Once the span is seconds long it hardly moves. */
        uint64_t cur = FT_LOAD(&ft_tsc_mult), slack = cur >> 20;
        if (cur == 0 || mult + slack < cur || mult > cur + slack)
            FT_STORE(&ft_tsc_mult, mult);
    }
    return ns;
}
