/*
 * sinkfd.c — what a program does to descriptors it does not know about:
 * the recorder's alert sink must stay out of its way and survive it.
 *
 * usage: sinkfd DIR   (run under strace, which makes fdatasync 2, 3 and 4 slow)
 *
 * 1. fdatasync (fast), fdatasync (slow: the first alert opens the sink);
 *    prints "fds" with every open descriptor >= 3 and its FD_CLOEXEC flag.
 * 2. closefrom(3) (the sink goes too), reopens its file, slow fdatasync:
 *    the recorder opens the sink again. Prints "fds" again.
 * 3. dup2 of its own file onto the sink's number, slow fdatasync: the alert
 *    must not land in the program's file. Prints "fds" and "done pid=N".
 */
#include <dirent.h>

#include "ft_test.h"

static void fds(const char *label) {
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    int self = dirfd(d);
    printf("fds label=%s", label);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd < 3 || fd == self)
            continue;
        printf(" %d:%d", fd, (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? 1 : 0);
    }
    printf("\n");
    closedir(d);
}

static int reopen(const char *path) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    CHECK(fd >= 0);
    return fd;
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *path = ft_path(argv[1], "mine");
    int fd = reopen(path);
    CHECK(write(fd, "a", 1) == 1);
    CHECK(fdatasync(fd) == 0);
    CHECK(fdatasync(fd) == 0); /* slow: the first alert */
    fds("first");
    closefrom(3);
    fd = reopen(path);
    CHECK(write(fd, "b", 1) == 1);
    CHECK(fdatasync(fd) == 0); /* slow */
    fds("closefrom");
    /* Put our own file on every number above ours up to 1100, the sink's among them. */
    for (int n = fd + 1; n < 1100; n++) {
        if (fcntl(n, F_GETFD) >= 0)
            CHECK(dup2(fd, n) == n);
    }
    CHECK(write(fd, "c", 1) == 1);
    CHECK(fdatasync(fd) == 0); /* slow */
    fds("dup2");
    printf("done pid=%d\n", getpid());
    return 0;
}
