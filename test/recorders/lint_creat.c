/*
 * lint_creat DIR — dir-not-synced through a plain O_CREAT (no O_EXCL): make
 * DIR/old and sync DIR; then open DIR/old again with O_CREAT | O_TRUNC (it
 * exists: DIR gains no name) and DIR/made the same way (it does not: a new
 * name DIR never syncs), write and fsync both. Only the recorder's flag for
 * an open that created its file tells the two apart: fsync-analyze lint must
 * report one finding, DIR/made created in DIR.
 */
#include "ft_test.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    ft_write_synced(ft_path(dir, "old"), O_TRUNC, 300);
    ft_sync_dir(dir);
    ft_write_synced(ft_path(dir, "old"), O_TRUNC, 300);
    ft_write_synced(ft_path(dir, "made"), O_TRUNC, 300);
    return 0;
}
