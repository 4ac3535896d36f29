/*
 * lint_failed DIR — write-after-failed-sync, the fsyncgate pattern: write
 * DIR/wal and fsync it; when the fsync fails (the test makes the first one
 * fail with EIO through strace's fault injection), write again and retry the
 * fsync on the same descriptor; then fsync DIR (the new name is durable).
 * Prints what each fsync returned.
 */
#include "ft_test.h"
#include <stdio.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    int fd = open(ft_path(argv[1], "wal"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 1000);
    int r = fsync(fd);
    ft_said("sync", "first", "fsync", fd, r, errno);
    ft_write_all(fd, 300);
    r = fsync(fd);
    ft_said("sync", "retry", "fsync", fd, r, errno);
    CHECK(close(fd) == 0);
    ft_sync_dir(argv[1]);
    return 0;
}
