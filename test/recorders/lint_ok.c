/*
 * lint_ok DIR — the same work done right, for no findings: a new file
 * created, written, fsynced and its directory fsynced; a temporary written,
 * fsynced, renamed over its target and the directory fsynced; a journal
 * fsynced before every close; and when an fsync fails (the test makes the
 * third fail with EIO through strace), the file is closed and not used again
 * (PostgreSQL's answer to fsyncgate is to stop). Prints what each fsync
 * returned.
 */
#include "ft_test.h"
#include <stdio.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    int fd = open(ft_path(dir, "data.log"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 4096);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
    ft_sync_dir(dir);

    fd = open(ft_path(dir, "state.tmp"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 200);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
    CHECK(rename(ft_path(dir, "state.tmp"), ft_path(dir, "state")) == 0);
    ft_sync_dir(dir);

    fd = open(ft_path(dir, "journal"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    for (int i = 0; i < 3; i++) {
        ft_write_all(fd, 512);
        int r = fsync(fd);
        ft_said("sync", "journal", "fsync", fd, r, errno);
        if (r != 0)
            break; /* the data may be gone: stop using the file */
    }
    CHECK(close(fd) == 0);
    ft_sync_dir(dir); /* the journal's new name */
    return 0;
}
