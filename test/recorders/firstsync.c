/*
 * firstsync DIR THREADS FILES — files synced first by several threads at
 * once: for each file, THREADS threads open it, meet at a barrier, and each
 * fsyncs it twice. The first syncs of a file are where its track (the
 * always-on state: baseline, summary entries) is made for its file slot,
 * so this is where threads race to set it up. Prints "synced calls=N".
 */
#include "ft_test.h"
#include <pthread.h>
#include <stdio.h>

static const char *dir;
static int threads, files;
static pthread_barrier_t bar;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < files; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d", i);
        int fd = open(ft_path(dir, name), O_WRONLY | O_CREAT, 0644);
        CHECK(fd >= 0);
        pthread_barrier_wait(&bar);
        CHECK(fsync(fd) == 0);
        CHECK(fsync(fd) == 0);
        CHECK(close(fd) == 0);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 4);
    dir = argv[1];
    threads = atoi(argv[2]);
    files = atoi(argv[3]);
    CHECK(threads > 0 && threads <= 64 && files > 0);
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    pthread_t t[64];
    for (int i = 0; i < threads; i++)
        CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
    for (int i = 0; i < threads; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    printf("synced calls=%d\n", threads * files * 2);
    return 0;
}
