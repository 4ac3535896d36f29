/*
 * stdio.c — files opened and closed through stdio.
 *
 * usage: stdio DIR
 *
 * glibc's fopen and fclose open and close the descriptor inside libc, where
 * an interposed open/close never sees it. So the recorder meets these
 * descriptors first at fsync, and an fd number freed by fclose and taken by
 * the next fopen must never be charged to the file that had it before.
 * Prints "sync label=L call=C fd=N ret=R errno=E" per sync; the fd numbers
 * repeat on purpose (the program checks that they do).
 */
#include "ft_test.h"

static void put_and_sync(const char *label, FILE *f, const char *call) {
    for (int i = 0; i < 100; i++) CHECK(fputs("0123456789", f) >= 0);
    CHECK(fflush(f) == 0);
    int fd = fileno(f);
    int r = strcmp(call, "fsync") == 0 ? fsync(fd) : fdatasync(fd);
    ft_said("sync", label, call, fd, r, errno);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    const char *d = argv[1];

    FILE *f = fopen(ft_path(d, "s1"), "w");
    CHECK(f != NULL);
    int first = fileno(f);
    put_and_sync("s1", f, "fsync");
    CHECK(fclose(f) == 0);

    f = fopen(ft_path(d, "s2"), "w");           /* the same fd number, another file */
    CHECK(f != NULL && fileno(f) == first);
    put_and_sync("s2", f, "fsync");
    CHECK(fclose(f) == 0);

    /* Opened where the recorder sees it, closed where it does not. */
    int fd = open(ft_path(d, "s3"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd == first);
    f = fdopen(fd, "w");
    CHECK(f != NULL);
    put_and_sync("s3", f, "fsync");
    CHECK(fclose(f) == 0);

    f = fopen(ft_path(d, "s4"), "a");           /* the number again: s4, not s3 */
    CHECK(f != NULL && fileno(f) == first);
    put_and_sync("s4", f, "fdatasync");
    CHECK(fclose(f) == 0);

    /* close_range(2) closes where no close() wrapper sees it, too. */
    fd = open(ft_path(d, "s5"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd == first);
    CHECK(close_range((unsigned)fd, (unsigned)fd, 0) == 0);
    f = fopen(ft_path(d, "s6"), "w");
    CHECK(f != NULL && fileno(f) == first);
    put_and_sync("s6", f, "fsync");
    CHECK(fclose(f) == 0);

    printf("done pid=%d fd=%d\n", (int)getpid(), first);
    return 0;
}
