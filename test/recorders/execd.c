/*
 * execd.c — the program forkexec.c's child execs.
 *
 * usage: execd DIR FD     (FD: a descriptor opened before the exec)
 *
 * This process image never saw FD opened: the recorder names it through
 * /proc/self/fd. Then it opens and syncs a file of its own.
 */
#include "ft_test.h"

int main(int argc, char **argv) {
    CHECK(argc == 3);
    printf("proc role=execd pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
    int x = atoi(argv[2]);
    int r = fsync(x);
    ft_said("sync", "inherited", "fsync", x, r, errno);
    int fd = open(ft_path(argv[1], "execd_own"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 40);
    r = fsync(fd);
    ft_said("sync", "own", "fsync", fd, r, errno);
    return 0;
}
