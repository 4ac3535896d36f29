/*
 * lint_rename DIR — rename-before-sync: three times, write DIR/config.tmp,
 * close it and rename it over DIR/config without an fsync (the ext4
 * zero-length-file pattern), then fsync DIR once: the renames are durable,
 * the data renamed is not. (A process that never syncs leaves no trace at
 * all; the renames made before this first sync are in the trace ahead of it.)
 * fsync-analyze lint must report one finding with a count of 3.
 */
#include "ft_test.h"
#include <stdio.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    for (int i = 0; i < 3; i++) {
        int fd = open(ft_path(dir, "config.tmp"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(fd >= 0);
        ft_write_all(fd, 100);
        CHECK(close(fd) == 0);
        CHECK(rename(ft_path(dir, "config.tmp"), ft_path(dir, "config")) == 0);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0 && fsync(dfd) == 0 && close(dfd) == 0);
    return 0;
}
