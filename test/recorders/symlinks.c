/*
 * symlinks.c — files opened through symlinks: what name does each record
 * give them? (README, "Tables that live as long as the service": a file is
 * named as the program opened it, its directories by their canonical names.)
 *
 * usage: symlinks DIR
 *
 * In DIR: real/ (a directory), alias -> real, real/f, lf -> real/f,
 * real/lg -> ../g and g. Each of these is opened for writing, written 5
 * bytes, fsynced and closed, in turn:
 *
 *   lf       DIR/lf, a symlink to a file in another directory
 *   alias_h  DIR/alias/h (created), through a symlinked directory
 *   alias_lg DIR/alias/lg, a symlink met through a symlinked directory
 *   at_lf    openat(DIR's descriptor, "lf")
 *   nofollow DIR/real/f with O_NOFOLLOW (no symlink: the plain case)
 *   ro_lf    DIR/lf opened read-only, fsynced (not written), closed
 *   dir      DIR/alias (a directory) opened read-only, fsynced, closed
 *
 * Prints "open label=L fd=N" for each, and "done" at the end.
 */
#include "ft_test.h"

#include <sys/stat.h>

static void one(const char *label, int dirfd, const char *path, int flags)
{
    int fd = openat(dirfd, path, flags | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    printf("open label=%s fd=%d\n", label, fd);
    if ((flags & O_ACCMODE) != O_RDONLY)
        CHECK(write(fd, "hello", 5) == 5);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *d = argv[1];
    /* Absolute names: the kernel side reads a relative name's directory
     * from /proc/PID/cwd, gone when a process this short has ended. */
    CHECK(mkdir(ft_path(d, "real"), 0755) == 0);
    CHECK(symlink("real", ft_path(d, "alias")) == 0);
    int fd = open(ft_path(d, "real/f"), O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && close(fd) == 0);
    fd = open(ft_path(d, "g"), O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && close(fd) == 0);
    CHECK(symlink("real/f", ft_path(d, "lf")) == 0);
    CHECK(symlink("../g", ft_path(d, "real/lg")) == 0);
    int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0);

    one("lf", AT_FDCWD, ft_path(d, "lf"), O_WRONLY);
    one("alias_h", AT_FDCWD, ft_path(d, "alias/h"), O_WRONLY | O_CREAT);
    one("alias_lg", AT_FDCWD, ft_path(d, "alias/lg"), O_WRONLY);
    one("at_lf", dfd, "lf", O_WRONLY);
    one("nofollow", AT_FDCWD, ft_path(d, "real/f"), O_WRONLY | O_NOFOLLOW);
    one("ro_lf", AT_FDCWD, ft_path(d, "lf"), O_RDONLY);
    one("dir", AT_FDCWD, ft_path(d, "alias"), O_RDONLY | O_DIRECTORY);
    CHECK(close(dfd) == 0);
    printf("done\n");
    return 0;
}
