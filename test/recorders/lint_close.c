/*
 * lint_close DIR — unsynced-at-close: for journal.1 to journal.3, write 4096
 * bytes and fsync them, then write 512 more and close without a sync; then
 * fsync DIR (the new names are durable). One finding for the family
 * DIR/journal.#, with a count of 3 over 3 files.
 */
#include "ft_test.h"
#include <stdio.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char name[32];
    for (int i = 1; i <= 3; i++) {
        snprintf(name, sizeof name, "journal.%d", i);
        int fd = open(ft_path(dir, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(fd >= 0);
        ft_write_all(fd, 4096);
        CHECK(fsync(fd) == 0);
        ft_write_all(fd, 512);
        CHECK(close(fd) == 0);
    }
    ft_sync_dir(dir);
    return 0;
}
