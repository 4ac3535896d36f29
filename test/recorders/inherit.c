/*
 * inherit.c — a descriptor the program never saw opened.
 *
 * usage: inherit DIR      (fd 3 is a regular file opened by the test, for writing)
 *
 * The recorder names fd 3 through /proc/self/fd at its first sync (flag 0x2).
 * Then fd 3 is closed and the number reused for a file this program opens:
 * that one must be named from its open, never as the inherited file.
 */
#include "ft_test.h"

static void sync_call(const char *label, const char *call, int fd) {
    int r = strcmp(call, "fsync") == 0 ? fsync(fd) : fdatasync(fd);
    ft_said("sync", label, call, fd, r, errno);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    ft_write_all(3, 100);
    sync_call("inh1", "fsync", 3);
    ft_write_all(3, 50);
    sync_call("inh2", "fsync", 3);              /* 50 bytes, 1 write: seen since inh1 */
    sync_call("inh3", "fdatasync", 3);
    CHECK(close(3) == 0);
    int fd = open(ft_path(argv[1], "reused"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    printf("open label=reused fd=%d\n", fd);
    ft_write_all(fd, 25);
    sync_call("reused", "fsync", fd);           /* 25 bytes, 1 write */
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
