/*
 * spill.c — more writes between two fsyncs than a file's packed counter
 * holds (ft_files.h: past 4 Mi writes the count moves to a side table).
 *
 * usage: spill DIR THREADS WRITES
 *
 * THREADS threads each make WRITES pwrites of one byte into one file
 * "spilled", then the main thread fsyncs it (the first sync), makes three
 * more one-byte writes and fsyncs again (the second). Prints
 * "wrote count=N bytes=N" for the first interval.
 */
#include "ft_test.h"

#include <pthread.h>

static int fd;
static long writes;

static void *run(void *arg) {
    long t = (long)arg;
    for (long i = 0; i < writes; i++) CHECK(pwrite(fd, "x", 1, (off_t)((t * 64 + i) & 4095)) == 1);
    return NULL;
}

int main(int argc, char **argv) {
    CHECK(argc == 4);
    long threads = atol(argv[2]);
    writes = atol(argv[3]);
    CHECK(threads >= 1 && threads <= 64 && writes > 0);
    fd = open(ft_path(argv[1], "spilled"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    pthread_t tid[64];
    for (long t = 0; t < threads; t++) CHECK(pthread_create(&tid[t], NULL, run, (void *)t) == 0);
    for (long t = 0; t < threads; t++) CHECK(pthread_join(tid[t], NULL) == 0);
    CHECK(fsync(fd) == 0);
    for (int i = 0; i < 3; i++) CHECK(write(fd, "y", 1) == 1);
    CHECK(fsync(fd) == 0);
    printf("wrote count=%ld bytes=%ld\n", threads * writes, threads * writes);
    CHECK(close(fd) == 0);
    return 0;
}
