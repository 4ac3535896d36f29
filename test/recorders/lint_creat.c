/*
 * lint_creat DIR — dir-not-synced through a plain O_CREAT (no O_EXCL): make
 * DIR/old and sync DIR; then open DIR/old again with O_CREAT | O_TRUNC (it
 * exists: DIR gains no name) and DIR/made the same way (it does not: a new
 * name DIR never syncs), write and fsync both. Only the recorder's flag for
 * an open that created its file tells the two apart: fsync-analyze lint must
 * report one finding, DIR/made created in DIR.
 */
#include "ft_test.h"

static void write_synced(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 300);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    write_synced(ft_path(dir, "old"));
    ft_sync_dir(dir);
    write_synced(ft_path(dir, "old"));
    write_synced(ft_path(dir, "made"));
    return 0;
}
