/*
 * sample.c — many writes, then one fsync: what FSYNC_TRACE_WRITE_SAMPLE times.
 *
 * usage: sample DIR WRITES SIZE [ANY...]   (extra arguments are ignored: the
 *        header test uses them to fill the command line)
 *
 * Prints "sync label=sample call=fsync fd=N ret=R errno=E" and
 * "writes count=WRITES bytes=WRITES*SIZE".
 */
#include "ft_test.h"

int main(int argc, char **argv) {
    CHECK(argc >= 4);
    long writes = atol(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    char *buf = malloc(size);
    CHECK(buf != NULL);
    memset(buf, 's', size);
    int fd = open(ft_path(argv[1], "sample"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    for (long i = 0; i < writes; i++) CHECK(write(fd, buf, size) == (ssize_t)size);
    int r = fsync(fd);
    ft_said("sync", "sample", "fsync", fd, r, errno);
    printf("writes count=%ld bytes=%ld\n", writes, writes * (long)size);
    CHECK(close(fd) == 0);
    free(buf);
    return 0;
}
