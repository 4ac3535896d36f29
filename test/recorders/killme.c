/*
 * killme.c — fsyncs in a loop until the test kills it with SIGKILL.
 *
 * usage: killme DIR STOP     (STOP: fsyncs before it waits to be killed; 0 = never)
 *
 * Prints "done I" after fsync number I has returned, line-buffered, so every
 * line the test reads stands for a call that returned before the kill.
 * Each fsync closes an interval of exactly one 10-byte write.
 */
#include "ft_test.h"

int main(int argc, char **argv) {
    CHECK(argc == 3);
    CHECK(setvbuf(stdout, NULL, _IOLBF, 0) == 0);
    long stop = atol(argv[2]);
    int fd = open(ft_path(argv[1], "k"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    printf("start pid=%d fd=%d\n", (int)getpid(), fd);
    for (long i = 0; stop == 0 || i < stop; i++) {
        CHECK(pwrite(fd, "0123456789", 10, 0) == 10);
        CHECK(fsync(fd) == 0);
        printf("done %ld\n", i);
        if (stop == 0) usleep(100);             /* a pace the ring holds between reads */
    }
    printf("waiting\n");
    for (;;) pause();
}
