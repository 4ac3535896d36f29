/*
 * slow.c — many small write + fdatasync rounds over a few files: what the
 * alert, keep and summary tests run, under strace fault injection that makes
 * chosen fdatasync calls slow or fail.
 *
 * usage: slow DIR ROUNDS FILES [PAUSE_US [THREADS [ERR_EVERY [QUIET]]]]
 *
 * Round i writes (i % 7) + 1 bytes to file i % FILES and fdatasyncs it; with
 * THREADS > 1 each thread does ROUNDS rounds on its own share of the files,
 * or, with fewer FILES than THREADS, on file f(t % FILES), shared.
 * With ERR_EVERY > 0, every ERR_EVERY-th round (i % ERR_EVERY == ERR_EVERY - 1)
 * also calls sync_file_range with invalid flags, which fails with EINVAL on
 * a file the recorder knows: a failed sync with a name.
 * Every round prints "sync i=I t=T file=PATH ret=R errno=E us=LATENCY" (the
 * program's own measure of the call, to tell the slow ones; QUIET=1 prints
 * only failures, calls of 5 ms or more, and every 100th round), a failed sync_file_range
 * "bad i=I t=T file=PATH ret=R errno=E", then "done pid=N". Also writes one line to stdout and one to stderr ("hello
 * stdout", "hello stderr") so that a test can see they are left alone.
 */
#include "ft_test.h"

#include <pthread.h>
#include <time.h>

static const char *dir;
static long rounds, files, pause_us;
static int threads = 1;
static long err_every, quiet;
static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;

static long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void *worker(void *arg) {
    long t = (long)arg;
    long mine = files >= threads ? files / threads : 1;
    long base = files >= threads ? t * mine : t % files;
    int fds[256];
    const char *paths[256];
    char names[256][4096];
    for (long f = 0; f < mine && f < 256; f++) {
        char name[64];
        snprintf(name, sizeof name, "f%ld", base + f);
        snprintf(names[f], sizeof names[f], "%s", ft_path(dir, name));
        paths[f] = names[f];
        fds[f] = open(paths[f], O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(fds[f] >= 0);
    }
    char buf[8] = "abcdefg";
    for (long i = 0; i < rounds; i++) {
        long f = i % mine;
        CHECK(write(fds[f], buf, (size_t)(i % 7) + 1) == (i % 7) + 1);
        long t0 = now_us();
        int r = fdatasync(fds[f]);
        int err = errno;
        long us = now_us() - t0;
        if (!quiet || r < 0 || us >= 5000 || i % 100 == 99) {
            pthread_mutex_lock(&out);
            printf("sync i=%ld t=%ld file=%s ret=%d errno=%d us=%ld\n", i, t, paths[f], r, r < 0 ? err : 0, us);
            pthread_mutex_unlock(&out);
        }
        if (err_every > 0 && i % err_every == err_every - 1) {
            r = sync_file_range(fds[f], 0, 0, ~0u);
            err = errno;
            pthread_mutex_lock(&out);
            printf("bad i=%ld t=%ld file=%s ret=%d errno=%d\n", i, t, paths[f], r, r < 0 ? err : 0);
            pthread_mutex_unlock(&out);
        }
        if (pause_us)
            usleep((useconds_t)pause_us);
    }
    for (long f = 0; f < mine && f < 256; f++) CHECK(close(fds[f]) == 0);
    return NULL;
}

int main(int argc, char **argv) {
    CHECK(argc >= 4);
    dir = argv[1];
    rounds = atol(argv[2]);
    files = atol(argv[3]);
    pause_us = argc > 4 ? atol(argv[4]) : 0;
    threads = argc > 5 ? atoi(argv[5]) : 1;
    err_every = argc > 6 ? atol(argv[6]) : 0;
    quiet = argc > 7 ? atol(argv[7]) : 0;
    CHECK(files >= 1 && threads >= 1 && threads <= 64);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("hello stdout\n");
    fprintf(stderr, "hello stderr\n");
    pthread_t tids[64];
    if (threads == 1) {
        worker(0);
    } else {
        for (long t = 0; t < threads; t++) CHECK(pthread_create(&tids[t], NULL, worker, (void *)t) == 0);
        for (long t = 0; t < threads; t++) CHECK(pthread_join(tids[t], NULL) == 0);
    }
    printf("done pid=%d\n", getpid());
    return 0;
}
