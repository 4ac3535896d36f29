/*
 * An LD_PRELOAD shim in front of the recorder library that takes fsync and
 * fdatasync for itself, as libeatmydata does: each sleeps NOSYNC_MS
 * milliseconds (default 3) and returns 0, with no system call the library
 * could see. So a synchronous Node call finds no recorded system call, and
 * what the hook records as its wait must still be the program's own.
 */
#include <stdlib.h>
#include <time.h>

static void ft_nap(void)
{
    const char *ms = getenv("NOSYNC_MS");
    long n = ms ? atol(ms) : 3;
    struct timespec ts = {n / 1000, (n % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int fsync(int fd)
{
    (void)fd;
    ft_nap();
    return 0;
}

int fdatasync(int fd)
{
    (void)fd;
    ft_nap();
    return 0;
}
