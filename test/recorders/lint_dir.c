/*
 * lint_dir DIR — dir-not-synced: create DIR/data.log (O_EXCL), write and
 * fsync it; write DIR/state.tmp, fsync it and rename it over DIR/state. Both
 * files are synced, DIR never is: a crash can lose both names. fsync-analyze
 * lint must report two findings (created in, renamed into).
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

    fd = open(ft_path(dir, "state.tmp"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 200);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
    CHECK(rename(ft_path(dir, "state.tmp"), ft_path(dir, "state")) == 0);
    return 0;
}
