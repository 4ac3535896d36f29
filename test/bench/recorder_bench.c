/*
 * recorder_bench: time one call in a tight loop, in N threads at once.
 *
 *   recorder_bench write|fsync|fdatasync THREADS CALLS DIR
 *   recorder_bench pages MIB DIR
 *
 * Each thread works on its own file in DIR (tmpfs, so the device adds
 * nothing), and the program prints the mean nanoseconds per call over all
 * threads, in CPU time and in wall time. test/bench/recorder.ts runs it bare and under the recorder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static const char *op;
static const char *dir;
static long calls;
static int stalls;            /* "stalls" mode: time each call, count those over 50 us */
static long slow_calls;
static pthread_barrier_t start_line;

static double clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct result {
    double cpu_ns;
    double wall_ns;
};

static void *worker(void *arg)
{
    long id = (long)arg;
    char path[4096];
    snprintf(path, sizeof path, "%s/bench.%d.%ld", dir, getpid(), id);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    char buf[64];
    memset(buf, 'x', sizeof buf);
    int is_write = strcmp(op, "write") == 0;
    int is_fsync = strcmp(op, "fsync") == 0;
    pthread_barrier_wait(&start_line);
    /* CPU time is the cost of the calls: with more threads than cores, wall
     * time also counts the time a thread waits for a CPU. Wall time is kept
     * for tracers, which stop the thread while they work. */
    double cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    double wall0 = clock_ns(CLOCK_MONOTONIC);
    for (long i = 0; i < calls; i++) {
        long r;
        double t0 = stalls ? clock_ns(CLOCK_MONOTONIC) : 0;
        if (is_write) {
            /* pwrite at offset 0 keeps the file one block long, so the
             * page cache work is the same on every call. */
            r = pwrite(fd, buf, sizeof buf, 0);
        } else if (is_fsync) {
            r = fsync(fd);
        } else {
            r = fdatasync(fd);
        }
        if (r < 0) {
            perror(op);
            exit(1);
        }
        if (stalls && clock_ns(CLOCK_MONOTONIC) - t0 > 50e3)
            __atomic_fetch_add(&slow_calls, 1, __ATOMIC_RELAXED);
    }
    struct result *elapsed = malloc(sizeof *elapsed);
    elapsed->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    elapsed->wall_ns = clock_ns(CLOCK_MONOTONIC) - wall0;
    close(fd);
    unlink(path);
    return elapsed;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* "pages": what a fresh page of a tmpfs file costs the thread that makes
 * it, as the recorder makes its trace's pages (MADV_POPULATE_WRITE, 8 KiB at
 * a time), and then the first store into each page. A fresh ring's first lap
 * pays both for every 64 records; a lapped ring pays neither. Prints
 * "pages POPULATE_NS FIRST_STORE_NS" per 4 KiB page, CPU time. */
static int pages(long mib, const char *in)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pages.%d", in, getpid());
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
    size_t len = (size_t)mib << 20, step = 8192;
    if (fd < 0 || unlink(path) != 0 || ftruncate(fd, (off_t)len) != 0) {
        perror(path);
        return 1;
    }
    volatile char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    double t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (size_t at = 0; at < len; at += step) {
        if (madvise((char *)m + at, step, MADV_POPULATE_WRITE) != 0) {
            perror("madvise(MADV_POPULATE_WRITE)");
            return 1;
        }
    }
    double t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (size_t at = 0; at < len; at += 4096) m[at + 8] = 1;
    double t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    double n = (double)(len / 4096);
    printf("pages %.0f %.0f\n", (t1 - t0) / n, (t2 - t1) / n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "pages") == 0)
        return pages(atol(argv[2]), argv[3]);
    if (argc != 5 && !(argc == 6 && strcmp(argv[5], "stalls") == 0)) {
        fprintf(stderr, "usage: %s write|fsync|fdatasync THREADS CALLS DIR [stalls] | pages MIB DIR\n", argv[0]);
        return 2;
    }
    stalls = argc == 6;
    op = argv[1];
    long threads = atol(argv[2]);
    calls = atol(argv[3]);
    dir = argv[4];
    pthread_t tids[256];
    if (threads < 1 || threads > 256 || calls < 1) {
        fprintf(stderr, "THREADS must be 1..256 and CALLS at least 1\n");
        return 2;
    }
    pthread_barrier_init(&start_line, NULL, (unsigned)threads);
    for (long t = 0; t < threads; t++) pthread_create(&tids[t], NULL, worker, (void *)t);
    struct result total = { 0, 0 };
    for (long t = 0; t < threads; t++) {
        void *ret;
        pthread_join(tids[t], &ret);
        total.cpu_ns += ((struct result *)ret)->cpu_ns;
        total.wall_ns += ((struct result *)ret)->wall_ns;
        free(ret);
    }
    /* Mean CPU and wall nanoseconds per call, over all threads. */
    double n = (double)threads * (double)calls;
    printf("%.1f %.1f\n", total.cpu_ns / n, total.wall_ns / n);
    if (stalls)
        printf("slow %ld\n", slow_calls);
    return 0;
}
