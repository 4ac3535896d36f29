/*
 * ring.c — many more records than the ring holds.
 *
 * usage: ring DIR ITERATIONS FILES [phases]
 *
 * Iteration i writes (i % 251) + 1 bytes to file i % FILES and fsyncs it, so
 * each fsync's interval says which iteration it was. File names are long
 * enough to need path continuation records. Prints the names and the count.
 * With "phases", the files take turns instead: the first ITERATIONS/FILES
 * iterations use file 0, the next file 1, and so on; and the files are left
 * open at exit, as many programs leave them.
 */
#include "ft_test.h"

#define NAME_PAD "-a-name-long-enough-to-need-two-continuation-records-in-the-trace"

int main(int argc, char **argv) {
    CHECK(argc == 4 || argc == 5);
    long iterations = atol(argv[2]);
    int files = atoi(argv[3]);
    int phases = argc == 5 && strcmp(argv[4], "phases") == 0;
    CHECK(files > 0 && files <= 16);
    int fds[16];
    for (int f = 0; f < files; f++) {
        char name[256];
        snprintf(name, sizeof name, "ring%d%s", f, NAME_PAD);
        const char *path = ft_path(argv[1], name);
        fds[f] = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(fds[f] >= 0);
        printf("file index=%d fd=%d path=%s\n", f, fds[f], path);
    }
    static char buf[256];
    long failed = 0;
    for (long i = 0; i < iterations; i++) {
        int fd = fds[phases ? i * files / iterations : i % files];
        CHECK(pwrite(fd, buf, (size_t)(i % 251) + 1, 0) == (i % 251) + 1);
        if (fsync(fd) != 0) failed++;
    }
    if (!phases)
        for (int f = 0; f < files; f++) CHECK(close(fds[f]) == 0);
    printf("done pid=%d fsyncs=%ld failed=%ld\n", (int)getpid(), iterations, failed);
    return 0;
}
