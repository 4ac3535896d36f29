/*
 * ft_test.h — what every recorder test program shares.
 *
 * A test program does a few calls and prints its own account of them on
 * stdout, one line per call: a kind, then key=value fields, e.g.
 *
 *   sync label=a1 call=fsync fd=3 ret=0 errno=0
 *
 * The test suite runs it under LD_PRELOAD and compares that account with the
 * trace. A program that cannot set up its own work (not the calls under test)
 * exits with 99, so a setup failure is never mistaken for a recorder bug.
 */
#ifndef FT_TEST_H
#define FT_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FT_SETUP_FAILED 99

/* Setup that must work; not for the calls under test. */
#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #cond,          \
                    strerror(errno));                                                    \
            exit(FT_SETUP_FAILED);                                                       \
        }                                                                                \
    } while (0)

/* A path under the test's data directory, in a ring of buffers of the
 * calling thread's own (threads build paths at once: a shared ring would
 * hand two of them the same buffer). */
static inline const char *ft_path(const char *dir, const char *name) {
    static __thread char bufs[8][4096];
    static __thread unsigned next;
    char *b = bufs[next++ % 8];
    CHECK(snprintf(b, sizeof bufs[0], "%s/%s", dir, name) < (int)sizeof bufs[0]);
    return b;
}

/* Print the outcome of a call: its return value and the errno it left. */
static inline void ft_said(const char *kind, const char *label, const char *call, int fd,
                           long ret, int err) {
    printf("%s label=%s call=%s fd=%d ret=%ld errno=%d\n", kind, label, call, fd, ret,
           ret < 0 ? err : 0);
}

/* Fill a buffer with n bytes and write it, all of it. */
static inline void ft_write_all(int fd, size_t n) {
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    while (n > 0) {
        size_t chunk = n < sizeof buf ? n : sizeof buf;
        ssize_t w = write(fd, buf, chunk);
        CHECK(w > 0);
        n -= (size_t)w;
    }
}

/* open(path, O_WRONLY | O_CREAT | more), n bytes written, fsync, close. */
static inline void ft_write_synced(const char *path, int more, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | more, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, n);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
}

/* n rounds of a 10-byte pwrite and an fsync on fd; returns how many of the
 * calls failed (the fault-matrix programs print it, recorded or not). */
static inline int ft_rounds(int fd, long n) {
    int failed = 0;
    for (long i = 0; i < n; i++) {
        if (pwrite(fd, "0123456789", 10, (i % 64) * 10) != 10) failed++;
        if (fsync(fd) != 0) failed++;
    }
    return failed;
}

/* fsync a directory: its entries (new names, renames) become durable (fsync(2)). */
static inline void ft_sync_dir(const char *dir) {
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(d >= 0);
    CHECK(fsync(d) == 0);
    CHECK(close(d) == 0);
}

#endif /* FT_TEST_H */
