/*
 * fortify.c — the open calls of a program built with -O2 -D_FORTIFY_SOURCE=2.
 *
 * usage: fortify DIR FLAGS      (FLAGS: open flags without O_CREAT, as a number)
 *
 * With _FORTIFY_SOURCE, glibc's <bits/fcntl2.h> turns open(path, flags) with
 * flags the compiler cannot see into __open_2 (and open64, openat, openat64
 * into __open64_2, __openat_2, __openat64_2). The suite checks with nm -D that
 * this binary calls them, and that the recorder sees each one.
 * Prints open/sync lines like paths.c.
 */
#include "ft_test.h"

static void said_open(const char *label, int fd, int flags, int err) {
    printf("open label=%s fd=%d flags=%d ret=%d errno=%d\n", label, fd, flags, fd,
           fd < 0 ? err : 0);
}

static void write_and_sync(const char *label, int fd) {
    CHECK(write(fd, "0123456789abcdefg", 17) == 17);
    int r = fsync(fd);
    ft_said("sync", label, "fsync", fd, r, errno);
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    const char *d = argv[1];
    int flags = atoi(argv[2]);
    static const char *names[] = {"f_open", "f_open64", "f_openat", "f_openat64"};
    for (int i = 0; i < 4; i++) {
        /* Constant flags with a mode: these stay plain open() calls. */
        int fd = open(ft_path(d, names[i]), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(fd >= 0);
        CHECK(close(fd) == 0);
    }
    int dirfd = open(d, O_RDONLY | O_DIRECTORY);
    CHECK(dirfd >= 0);

    int fd = open(ft_path(d, "f_open"), flags);       /* __open_2 */
    said_open("open", fd, flags, errno);
    write_and_sync("open", fd);
    fd = open64(ft_path(d, "f_open64"), flags);       /* __open64_2 */
    said_open("open64", fd, flags, errno);
    write_and_sync("open64", fd);
    fd = openat(dirfd, "f_openat", flags);            /* __openat_2 */
    said_open("openat", fd, flags, errno);
    write_and_sync("openat", fd);
    fd = openat64(dirfd, "f_openat64", flags);        /* __openat64_2 */
    said_open("openat64", fd, flags, errno);
    write_and_sync("openat64", fd);

    printf("done pid=%d\n", (int)getpid());
    return 0;
}
