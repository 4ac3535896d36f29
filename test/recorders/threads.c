/*
 * threads.c — fsyncs from many threads at once.
 *
 * usage: threads DIR THREADS K own|shared|race|holds
 *
 * own:    thread t opens its own file "t<t>" and does K rounds of
 *         write (j % 13) + 1 bytes, fsync.
 * shared: the same, all threads on one file "shared" opened by main.
 * race:   as own, but each thread opens its file after the barrier, so the
 *         first records of all threads (their opens) come at one moment.
 * holds:  after the barrier, each thread K times opens a new file
 *         "t<t>.<j>" for writing, writes and closes it, and fsyncs every
 *         fourth before closing it (j % 4 == 3): the opens and closes held
 *         before the process's first fsync race with its creation of the
 *         trace and with the other threads' records. The main thread
 *         first opens and closes "main" (two records held whatever the
 *         threads do). "fsyncs" counts the fsyncs.
 * Threads start together (a barrier). Prints per thread:
 *   thread index=T tid=N fd=F fsyncs=K failed=0 bytes=B
 */
#include "ft_test.h"

#include <pthread.h>

struct worker {
    int index;
    int fd;
    long k;
    pid_t tid;
    long failed;
    long bytes;
};

static const char *dir;
static pthread_barrier_t start;
static int race;
static int holds;

static void *run_holds(struct worker *w) {
    pthread_barrier_wait(&start);
    char name[48], buf[16] = {0};
    long k = w->k;
    w->k = 0;
    for (long j = 0; j < k; j++) {
        snprintf(name, sizeof name, "t%d.%ld", w->index, j);
        int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(fd >= 0);
        size_t n = (size_t)(j % 13) + 1;
        CHECK(write(fd, buf, n) == (ssize_t)n);
        w->bytes += (long)n;
        if (j % 4 == 3) {
            w->k++;
            if (fsync(fd) != 0) w->failed++;
        }
        CHECK(close(fd) == 0);
    }
    return NULL;
}

static void open_own(struct worker *w) {
    char name[32];
    snprintf(name, sizeof name, "t%d", w->index);
    w->fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(w->fd >= 0);
}

static void *run(void *arg) {
    struct worker *w = arg;
    w->tid = gettid();
    if (holds) return run_holds(w);
    if (w->fd < 0 && !race) open_own(w);
    pthread_barrier_wait(&start);
    if (w->fd < 0 && race) open_own(w);
    char buf[16] = {0};
    for (long j = 0; j < w->k; j++) {
        size_t n = (size_t)(j % 13) + 1;
        CHECK(write(w->fd, buf, n) == (ssize_t)n);
        w->bytes += (long)n;
        if (fsync(w->fd) != 0) w->failed++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    CHECK(argc == 5);
    dir = argv[1];
    int n = atoi(argv[2]);
    long k = atol(argv[3]);
    int shared = strcmp(argv[4], "shared") == 0;
    race = strcmp(argv[4], "race") == 0;
    holds = strcmp(argv[4], "holds") == 0;
    CHECK(n > 0 && n <= 64);
    int fd = -1;
    if (shared) {
        fd = open(ft_path(dir, "shared"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(fd >= 0);
    }
    if (holds) {
        fd = open(ft_path(dir, "main"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(fd >= 0 && close(fd) == 0);
        fd = -1;
    }
    struct worker w[64];
    pthread_t th[64];
    CHECK(pthread_barrier_init(&start, NULL, (unsigned)n) == 0);
    for (int t = 0; t < n; t++) {
        w[t] = (struct worker){.index = t, .fd = fd, .k = k};
        CHECK(pthread_create(&th[t], NULL, run, &w[t]) == 0);
    }
    for (int t = 0; t < n; t++) CHECK(pthread_join(th[t], NULL) == 0);
    for (int t = 0; t < n; t++) {
        printf("thread index=%d tid=%d fd=%d fsyncs=%ld failed=%ld bytes=%ld\n", t, (int)w[t].tid,
               w[t].fd, w[t].k, w[t].failed, w[t].bytes);
    }
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
