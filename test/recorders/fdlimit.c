/*
 * fdlimit.c — descriptors at the edges: RLIMIT_NOFILE at 0, and numbers
 * above 100000.
 *
 * usage: fdlimit DIR min before|after N
 *          Lowers RLIMIT_NOFILE to 0 (no new descriptor at all) before the
 *          first recorded call, or after one fsync; then N rounds of pwrite
 *          + fsync on a file opened before, an open and a dup that fail with
 *          EMFILE; then the limit back and 10 fsyncs of a new file "b".
 *        fdlimit DIR high K
 *          Raises RLIMIT_NOFILE to 200000 (or as far as the hard limit goes),
 *          dup2s one file to 100000..100063 (or the 100 numbers below the
 *          limit), F_DUPFDs it near the limit, dup3s another to the highest
 *          number, and makes K rounds of write + fsync on each.
 * Prints what every call returned (the same with and without the recorder).
 */
#include "ft_test.h"

#include <sys/resource.h>
#include <sys/syscall.h>

static int min_main(const char *dir, int before, long n) {
    struct rlimit old, zero;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    /* before: opened behind the recorder's back (a raw syscall), so that
     * the recorder's first record, the one that makes the trace file, comes
     * with the limit at 0. */
    int fd = before ? (int)syscall(SYS_openat, AT_FDCWD, ft_path(dir, "a"), O_CREAT | O_RDWR | O_TRUNC, 0644)
                    : open(ft_path(dir, "a"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (!before) CHECK(fsync(fd) == 0);
    zero = (struct rlimit){0, old.rlim_max};
    CHECK(setrlimit(RLIMIT_NOFILE, &zero) == 0);
    int failed = ft_rounds(fd, n);
    int o = open(ft_path(dir, "c"), O_CREAT | O_WRONLY, 0644);
    int oe = errno;
    int d = dup(fd);
    int de = errno;
    printf("limited rounds=%ld failed=%d open=%d errno_emfile=%d dup=%d errno_emfile=%d\n", n, failed, o,
           oe == EMFILE, d, de == EMFILE);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
    int b = open(ft_path(dir, "b"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(b >= 0);
    printf("restored b_failed=%d\n", ft_rounds(b, 10));
    CHECK(close(b) == 0 && close(fd) == 0);
    printf("done\n");
    return 0;
}

static int high_main(const char *dir, long k) {
    /* 200000 if we may (CAP_SYS_RESOURCE raises the hard limit), else as
     * high as the hard limit goes: numbers up to it, from 100000 if it
     * reaches that far. */
    struct rlimit lim = {200000, 200000};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
        CHECK(getrlimit(RLIMIT_NOFILE, &lim) == 0);
        lim.rlim_cur = lim.rlim_max;
        CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    }
    int top = (int)(lim.rlim_cur > 1000000 ? 1000000 : lim.rlim_cur);
    CHECK(top > 1000);
    int base = top >= 100100 ? 100000 : top - 100;
    int fd = open(ft_path(dir, "h"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    int fds[65];
    for (int i = 0; i < 64; i++) {
        fds[i] = dup2(fd, base + i);
        CHECK(fds[i] == base + i);
    }
    fds[64] = fcntl(fd, F_DUPFD, top - 20);
    CHECK(fds[64] >= top - 20);
    CHECK(close(fd) == 0);
    int failed = 0;
    for (int i = 0; i < 65; i++) failed += ft_rounds(fds[i], k);
    /* A file of its own moved to the highest number there is. */
    int low = open(ft_path(dir, "g"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(low >= 0);
    int g = dup3(low, top - 1, O_CLOEXEC);
    CHECK(g == top - 1 && close(low) == 0);
    failed += ft_rounds(g, k);
    for (int i = 0; i < 65; i++) CHECK(close(fds[i]) == 0);
    CHECK(close(g) == 0);
    printf("high fds=66 rounds=%ld failed=%d base=%d dupfd=%d top=%d\ndone\n", k, failed, base, fds[64], top - 1);
    return 0;
}

int main(int argc, char **argv) {
    CHECK(argc >= 4);
    if (strcmp(argv[2], "min") == 0 && argc == 5) return min_main(argv[1], strcmp(argv[3], "before") == 0, atol(argv[4]));
    if (strcmp(argv[2], "high") == 0 && argc == 4) return high_main(argv[1], atol(argv[3]));
    return FT_SETUP_FAILED;
}
