/*
 * copies.c — bytes that reach a file without write(2), a file that gets its
 * name after it was opened, a sync made by the AIO threads, and io_uring.
 *
 * usage: copies DIR MODE
 *   files   tmp: O_TMPFILE written 10 bytes, linked as h.dat (linkat through
 *           /proc/self/fd), 10 more, fsync; 1 MiB src.dat written and
 *           fsynced, then copied into cfr.dat by copy_file_range, sf.dat by
 *           sendfile, spl.dat by splice through a pipe, each fsynced
 *   aio     aio.dat written 10 bytes, aio_fsync(O_SYNC), waited for
 *   uring   an io_uring made by syscall(SYS_io_uring_setup), kept open
 *   uring-asm  the same by an inline system call (no libc)
 * Prints "sync label=L path=P bytes=B writes=W" per sync (the bytes and calls
 * that made the interval), "uring fd=N", and "done pid=N".
 */
#define _GNU_SOURCE
#include "ft_test.h"

#include <aio.h>
#include <linux/io_uring.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>

#define MIB (1 << 20)
static const char *dir;

static void said(const char *label, const char *name, int fd, long bytes, long writes) {
    int r = fsync(fd);
    CHECK(r == 0);
    printf("sync label=%s path=%s bytes=%ld writes=%ld\n", label, ft_path(dir, name), bytes, writes);
}

static int fresh(const char *name) {
    int fd = open(ft_path(dir, name), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    return fd;
}

static void files(void) {
    int t = open(dir, O_TMPFILE | O_RDWR, 0644);
    CHECK(t >= 0);
    ft_write_all(t, 10);
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", t);
    CHECK(linkat(AT_FDCWD, link, AT_FDCWD, ft_path(dir, "h.dat"), AT_SYMLINK_FOLLOW) == 0);
    ft_write_all(t, 10);
    said("tmpfile", "h.dat", t, 20, 2);

    int src = fresh("src.dat");
    ft_write_all(src, MIB);
    said("src", "src.dat", src, MIB, MIB / 65536);

    int c = fresh("cfr.dat");
    long n = 0;
    for (loff_t in = 0, done = 0; done < MIB; n++) {
        ssize_t r = copy_file_range(src, &in, c, NULL, MIB - done, 0);
        CHECK(r > 0);
        done += r;
    }
    said("copy_file_range", "cfr.dat", c, MIB, n);

    int s = fresh("sf.dat");
    n = 0;
    for (off_t in = 0, done = 0; done < MIB; n++) {
        ssize_t r = sendfile(s, src, &in, MIB - done);
        CHECK(r > 0);
        done += r;
    }
    said("sendfile", "sf.dat", s, MIB, n);

    int p[2];
    CHECK(pipe(p) == 0);
    int sp = fresh("spl.dat");
    n = 0;
    for (loff_t in = 0; in < MIB;) {
        ssize_t got = splice(src, &in, p[1], NULL, 65536, 0);
        CHECK(got > 0);
        while (got > 0) {
            ssize_t out = splice(p[0], NULL, sp, NULL, (size_t)got, 0);
            CHECK(out > 0);
            got -= out;
            n++;
        }
    }
    said("splice", "spl.dat", sp, MIB, n);
}

static void aio(void) {
    int fd = fresh("aio.dat");
    ft_write_all(fd, 10);
    struct aiocb cb;
    memset(&cb, 0, sizeof cb);
    cb.aio_fildes = fd;
    CHECK(aio_fsync(O_SYNC, &cb) == 0);
    const struct aiocb *list[1] = {&cb};
    while (aio_error(&cb) == EINPROGRESS) aio_suspend(list, 1, NULL);
    CHECK(aio_return(&cb) == 0);
    printf("aio label=aio path=%s bytes=10 writes=1\n", ft_path(dir, "aio.dat"));
}

static long asm_uring_setup(unsigned entries, struct io_uring_params *p) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_io_uring_setup), "D"((long)entries), "S"(p) : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    dir = argv[1];
    const char *mode = argv[2];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (strcmp(mode, "files") == 0) {
        files();
    } else if (strcmp(mode, "aio") == 0) {
        aio();
    } else if (strncmp(mode, "uring", 5) == 0) {
        /* A file first, so that the trace exists before the ring. */
        int fd = fresh("before.dat");
        ft_write_all(fd, 10);
        said("before", "before.dat", fd, 10, 1);
        struct io_uring_params params;
        memset(&params, 0, sizeof params);
        long r = strcmp(mode, "uring") == 0 ? syscall(SYS_io_uring_setup, 4, &params) : asm_uring_setup(4, &params);
        CHECK(r >= 0);
        printf("uring fd=%ld\n", r);
    } else {
        CHECK(!"a known mode");
    }
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
