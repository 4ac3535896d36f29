/*
 * syncloop.c — the verdict scenarios' workload: a steady stream of small
 * writes, each made durable with fsync, at a fixed rate, on one schedule
 * (on a fixed schedule).
 *
 * usage: syncloop DIR SECONDS HZ FILES [ROTATE [DIRSYNC]]
 *
 * Tick i writes 4 KiB to file i % FILES of DIR ("data.K") and fsyncs it. A tick
 * that comes due while the previous one is still syncing is skipped, as a paced
 * service syncs less often on a slow disk (no burst of catching up afterwards).
 * ROTATE > 0: file K is a rotating segment, "seg.K.NNNNNN" (a new name every
 * ROTATE of its syncs, the old one unlinked), as a WAL or a log rotates.
 * DIRSYNC > 0: every DIRSYNC-th tick also fsyncs DIR itself, as a program does
 * after creating or renaming a file. Prints "done pid=N syncs=S".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: syncloop DIR SECONDS HZ FILES [ROTATE [DIRSYNC]]\n");
        return 2;
    }
    const char *dir = argv[1];
    double seconds = atof(argv[2]), hz = atof(argv[3]);
    int files = atoi(argv[4]);
    long rotate = argc > 5 ? atol(argv[5]) : 0, dirsync = argc > 6 ? atol(argv[6]) : 0;
    if (files < 1 || files > 64 || hz <= 0) return 2;
    int fds[64];
    long seg[64] = {0}, done_in_seg[64] = {0};
    char name[4096], old[4096];
    for (int k = 0; k < files; k++) {
        if (rotate > 0) snprintf(name, sizeof name, "%s/seg.%d.%06ld", dir, k, seg[k]);
        else snprintf(name, sizeof name, "%s/data.%d", dir, k);
        if ((fds[k] = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) die(name);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) die(dir);
    char block[4096];
    memset(block, 'x', sizeof block);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long ticks = (long)(seconds * hz), syncs = 0;
    long step_ns = (long)(1e9 / hz);
    for (long i = 0; i < ticks; i++) {
        int k = (int)(i % files);
        if (write(fds[k], block, sizeof block) != (ssize_t)sizeof block) die("write");
        fsync(fds[k]);
        syncs++;
        if (dirsync > 0 && i % dirsync == dirsync - 1) {
            fsync(dfd);
            syncs++;
        }
        if (rotate > 0 && ++done_in_seg[k] >= rotate) {
            close(fds[k]);
            snprintf(old, sizeof old, "%s/seg.%d.%06ld", dir, k, seg[k]);
            unlink(old);
            done_in_seg[k] = 0;
            snprintf(name, sizeof name, "%s/seg.%d.%06ld", dir, k, ++seg[k]);
            if ((fds[k] = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) die(name);
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        do {
            next.tv_nsec += step_ns;
            while (next.tv_nsec >= 1000000000L) {
                next.tv_nsec -= 1000000000L;
                next.tv_sec += 1;
            }
        } while (next.tv_sec < now.tv_sec || (next.tv_sec == now.tv_sec && next.tv_nsec < now.tv_nsec) ? (i++, i < ticks) : 0);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    printf("done pid=%d syncs=%ld\n", getpid(), syncs);
    return 0;
}
