/*
 * recorder_bench: time one call in a tight loop, in N threads at once.
 *
 *   recorder_bench write|fsync|fdatasync THREADS CALLS DIR [stalls|paired]
 *   recorder_bench pages MIB DIR
 *
 * Each thread works on its own file in DIR (tmpfs, so the device adds
 * nothing), and the program prints the mean nanoseconds per call over all
 * threads, in CPU time and in wall time. test/bench/recorder.ts runs it bare and under the recorder.
 *
 * "paired": each thread alternates blocks of PAIR_BLOCK calls made through
 * the symbol (the recorder's wrapper, under LD_PRELOAD) with blocks made
 * through libc's own function (looked up in libc.so.6, so the recorder never
 * sees them), in the same process, on the same file, one after the other,
 * which comes first switching every pair. Prints "paired BARE REC DIFF Q1 Q3
 * PAIRS": the medians of the blocks' CPU ns per call, the median of the
 * pairs' differences and its quartiles. Bare (no LD_PRELOAD) both blocks
 * are libc's: the difference is the method's noise floor.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
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
static int paired;            /* "paired" mode: blocks through the wrapper and through libc, alternating */
#define PAIR_BLOCK 500
static ssize_t (*libc_pwrite)(int, const void *, size_t, off_t);
static int (*libc_fsync)(int);
static int (*libc_fdatasync)(int);
static double *pair_diff, *pair_bare, *pair_rec; /* per pair, over all threads */
static long pair_count;
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One block of PAIR_BLOCK calls, through libc's function (direct) or the
 * symbol (the recorder's wrapper when preloaded): CPU ns per call. */
static double block(int fd, const char *buf, int direct)
{
    int is_write = strcmp(op, "write") == 0, is_fsync = strcmp(op, "fsync") == 0;
    double t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < PAIR_BLOCK; i++) {
        long r;
        if (is_write)
            r = direct ? libc_pwrite(fd, buf, 64, 0) : pwrite(fd, buf, 64, 0);
        else if (is_fsync)
            r = direct ? libc_fsync(fd) : fsync(fd);
        else
            r = direct ? libc_fdatasync(fd) : fdatasync(fd);
        if (r < 0) {
            perror(op);
            exit(1);
        }
    }
    return (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / PAIR_BLOCK;
}

static void pairs(int fd, const char *buf)
{
    long n = calls / (2 * PAIR_BLOCK);
    for (long k = 0; k < n; k++) {
        double bare, rec;
        if (k & 1) {
            rec = block(fd, buf, 0);
            bare = block(fd, buf, 1);
        } else {
            bare = block(fd, buf, 1);
            rec = block(fd, buf, 0);
        }
        long at = __atomic_fetch_add(&pair_count, 1, __ATOMIC_RELAXED);
        pair_bare[at] = bare;
        pair_rec[at] = rec;
        pair_diff[at] = rec - bare;
    }
}

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
    if (paired) {
        pairs(fd, buf);
        close(fd);
        unlink(path);
        return calloc(1, sizeof(struct result));
    }
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
 * a time), and then the first access to each page. A fresh ring's first lap
 * pays both for every 64 records; a lapped ring pays neither. Prints
 * "pages POPULATE_NS FIRST_STORE_NS" per 4 KiB page (CPU time, means), then
 * the distributions (wall time, us): "steps P50 P90 P99 MAX" of the 8 KiB
 * populate steps, "first P50 P90 P99 MAX" of each page's first store, and
 * "remapped P50 P90 P99 MAX" of the first store into the same pages once
 * they are unmapped and mapped again (allocated already: what is left is the
 * cost of a new mapping's first use, which on a VM can be the hypervisor's). */
static void quantiles(const char *label, double *xs, size_t n)
{
    qsort(xs, n, sizeof *xs, cmp_double);
    printf("%s %.1f %.1f %.1f %.1f\n", label, xs[n / 2] / 1e3, xs[n * 9 / 10] / 1e3, xs[n * 99 / 100] / 1e3,
           xs[n - 1] / 1e3);
}

static int pages(long mib, const char *in)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pages.%d", in, getpid());
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
    size_t len = (size_t)mib << 20, step = 8192, np = len / 4096;
    if (fd < 0 || unlink(path) != 0 || ftruncate(fd, (off_t)len) != 0) {
        perror(path);
        return 1;
    }
    volatile char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    double *steps = calloc(len / step, sizeof(double)), *first = calloc(np, sizeof(double));
    if (m == MAP_FAILED || !steps || !first) {
        perror("mmap");
        return 1;
    }
    double cpu_pop = 0, cpu_first = 0;
    for (size_t at = 0; at < len; at += step) {
        double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = clock_ns(CLOCK_MONOTONIC);
        if (madvise((char *)m + at, step, MADV_POPULATE_WRITE) != 0) {
            perror("madvise(MADV_POPULATE_WRITE)");
            return 1;
        }
        steps[at / step] = clock_ns(CLOCK_MONOTONIC) - t0;
        cpu_pop += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    }
    for (size_t at = 0; at < len; at += 4096) {
        double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = clock_ns(CLOCK_MONOTONIC);
        m[at + 8] = 1;
        first[at / 4096] = clock_ns(CLOCK_MONOTONIC) - t0;
        cpu_first += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    }
    printf("pages %.0f %.0f\n", cpu_pop / (double)np, cpu_first / (double)np);
    quantiles("steps", steps, len / step);
    quantiles("first", first, np);
    munmap((void *)m, len);
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED || madvise((char *)m, len, MADV_POPULATE_WRITE) != 0) {
        perror("mmap again");
        return 1;
    }
    for (size_t at = 0; at < len; at += 4096) {
        double t0 = clock_ns(CLOCK_MONOTONIC);
        m[at + 16] = 1;
        first[at / 4096] = clock_ns(CLOCK_MONOTONIC) - t0;
    }
    quantiles("remapped", first, np);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "pages") == 0)
        return pages(atol(argv[2]), argv[3]);
    if (argc != 5 && !(argc == 6 && (strcmp(argv[5], "stalls") == 0 || strcmp(argv[5], "paired") == 0))) {
        fprintf(stderr, "usage: %s write|fsync|fdatasync THREADS CALLS DIR [stalls|paired] | pages MIB DIR\n", argv[0]);
        return 2;
    }
    stalls = argc == 6 && strcmp(argv[5], "stalls") == 0;
    paired = argc == 6 && strcmp(argv[5], "paired") == 0;
    op = argv[1];
    long threads = atol(argv[2]);
    calls = atol(argv[3]);
    dir = argv[4];
    pthread_t tids[256];
    if (threads < 1 || threads > 256 || calls < 1) {
        fprintf(stderr, "THREADS must be 1..256 and CALLS at least 1\n");
        return 2;
    }
    if (paired) {
        void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
        libc_pwrite = libc ? (ssize_t (*)(int, const void *, size_t, off_t))dlsym(libc, "pwrite") : NULL;
        libc_fsync = libc ? (int (*)(int))dlsym(libc, "fsync") : NULL;
        libc_fdatasync = libc ? (int (*)(int))dlsym(libc, "fdatasync") : NULL;
        long most = threads * (calls / (2 * PAIR_BLOCK));
        if (!libc_pwrite || !libc_fsync || !libc_fdatasync || most < 1) {
            fprintf(stderr, "paired: libc's functions not found, or CALLS below %d\n", 2 * PAIR_BLOCK);
            return 2;
        }
        pair_diff = calloc((size_t)most, sizeof(double));
        pair_bare = calloc((size_t)most, sizeof(double));
        pair_rec = calloc((size_t)most, sizeof(double));
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
    if (!paired)
        printf("%.1f %.1f\n", total.cpu_ns / n, total.wall_ns / n);
    if (stalls)
        printf("slow %ld\n", slow_calls);
    if (paired) {
        long m = pair_count;
        qsort(pair_diff, (size_t)m, sizeof(double), cmp_double);
        qsort(pair_bare, (size_t)m, sizeof(double), cmp_double);
        qsort(pair_rec, (size_t)m, sizeof(double), cmp_double);
        printf("paired %.1f %.1f %.1f %.1f %.1f %ld\n", pair_bare[m / 2], pair_rec[m / 2], pair_diff[m / 2],
               pair_diff[m / 4], pair_diff[(3 * m) / 4], m);
    }
    return 0;
}
