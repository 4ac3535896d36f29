/*
 * anchorskew.c — the recorder's clock when its thread is preempted while it
 * re-anchors (ft_clock.c, ft_anchor).
 *
 * usage: anchorskew SYNCS DIR
 *
 * The recorder reads CLOCK_MONOTONIC through clock_gettime, which this
 * program defines (built with -rdynamic, so the preloaded library binds to
 * it): every third call of the recorder's sleeps 2 ms before reading the
 * clock, as a thread preempted between the re-anchor's first TSC read and
 * its clock read would. The program makes SYNCS fsyncs of one file, ~100 us
 * apart (so the thread re-anchors every ~15 of them), each between two reads
 * of the clock of its own (the system call, not the function above), and
 * prints "sync i=N before=NS after=NS". The suite checks that each sync's
 * record starts and ends inside its own bracket: a skewed anchor moves the
 * times it gives by half the sleep.
 */
#include "ft_test.h"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <time.h>

static long recorder_calls;

static unsigned long long raw_now(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    if (id == CLOCK_MONOTONIC && ++recorder_calls % 3 == 0) {
        struct timespec pause = {0, 2000000};
        syscall(SYS_nanosleep, &pause, NULL);
    }
    return (int)syscall(SYS_clock_gettime, id, ts);
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    long n = atol(argv[1]);
    int fd = open(ft_path(argv[2], "skew.dat"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "x", 1) == 1);
    for (long i = 0; i < n; i++) {
        unsigned long long spin = raw_now() + 100000;
        while (raw_now() < spin) {
        }
        unsigned long long before = raw_now();
        int r = fsync(fd);
        unsigned long long after = raw_now();
        CHECK(r == 0);
        printf("sync i=%ld before=%llu after=%llu\n", i, before, after);
    }
    printf("calls recorder=%ld\n", recorder_calls);
    return 0;
}
