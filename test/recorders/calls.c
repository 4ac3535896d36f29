/*
 * calls.c — every durability call kind once or a few times, failures included.
 *
 * usage: calls DIR
 *
 * Prints one line per call under test, in the order made:
 *   open  label=L fd=N flags=F path=P
 *   sync  label=L call=C fd=N ret=R errno=E [addr=A]
 *   close label=L fd=N ret=R
 * The suite checks that the sync events of the trace are exactly these, in
 * this order, and checks each one's write interval against its own table.
 */
#include "ft_test.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>

static const char *dir;

static int open_file(const char *label, const char *name, int flags) {
    const char *path = ft_path(dir, name);
    int fd = open(path, flags, 0644);
    CHECK(fd >= 0);
    printf("open label=%s fd=%d flags=%d path=%s\n", label, fd, flags, path);
    return fd;
}

static void do_fsync(const char *label, int fd) {
    int r = fsync(fd);
    ft_said("sync", label, "fsync", fd, r, errno);
}

static void do_fdatasync(const char *label, int fd) {
    int r = fdatasync(fd);
    ft_said("sync", label, "fdatasync", fd, r, errno);
}

static void do_close(const char *label, int fd) {
    int r = close(fd);
    printf("close label=%s fd=%d ret=%d\n", label, fd, r);
}

static char buf[4096];

/* A sync write: the O_SYNC/O_DSYNC descriptor's own write calls. */
static void sync_write(const char *label, const char *call, int fd, ssize_t r) {
    ft_said("sync", label, call, fd, (long)r, errno);
}

static void file_a(void) {
    /* The plain write family, then every kind of sync on one file. */
    int fd = open_file("a", "a", O_CREAT | O_WRONLY | O_TRUNC);
    CHECK(write(fd, buf, 100) == 100);
    CHECK(pwrite(fd, buf, 50, 100) == 50);
    struct iovec two[2] = {{buf, 30}, {buf, 20}};
    CHECK(writev(fd, two, 2) == 50);
    struct iovec one[1] = {{buf, 25}};
    CHECK(pwritev(fd, one, 1, 200) == 25);
    do_fsync("a1", fd);                         /* 225 bytes in 4 writes since the open */
    CHECK(write(fd, buf, 10) == 10);
    do_fdatasync("a2", fd);                     /* 10 bytes, 1 write */
    do_fsync("a3", fd);                         /* nothing written */
    CHECK(write(fd, buf, 7) == 7);
    int r = sync_file_range(fd, 4096, 8192, SYNC_FILE_RANGE_WRITE);
    ft_said("sync", "a4", "sync_file_range", fd, r, errno);
    r = syncfs(fd);
    ft_said("sync", "a5", "syncfs", fd, r, errno);
    sync();
    ft_said("sync", "a6", "sync", -1, 0, 0);
    do_fsync("a7", fd);                         /* the 7 bytes: a4..a6 closed nothing */

    /* Failures: the recorder must return what libc returned, errno included. */
    do_fsync("bad1", -1);                       /* EBADF */
    do_fsync("bad2", 9999);                     /* EBADF */
    do_fdatasync("bad3", -1);                   /* EBADF */
    int p[2];
    CHECK(pipe(p) == 0);
    do_fsync("pipe1", p[1]);                    /* EINVAL: a pipe cannot be synced */
    do_fdatasync("pipe2", p[0]);                /* EINVAL */
    r = sync_file_range(fd, 0, 0, 0xff);
    ft_said("sync", "bad4", "sync_file_range", fd, r, errno); /* EINVAL: unknown flags */
    r = sync_file_range(-1, 0, 0, SYNC_FILE_RANGE_WRITE);
    ft_said("sync", "bad5", "sync_file_range", -1, r, errno); /* EBADF */
    r = syncfs(-1);
    ft_said("sync", "bad6", "syncfs", -1, r, errno);          /* EBADF */
    close(p[0]);
    close(p[1]);

    /* A successful call leaves errno alone (fsync(2): errno is set on error only). */
    errno = 777;
    r = fsync(fd);
    printf("sync label=a8 call=fsync fd=%d ret=%d errno=0 errno_after=%d\n", fd, r, errno);

    /* Unsynced at close: 13 bytes; the dup's close is not the file's last. */
    CHECK(write(fd, buf, 13) == 13);
    int d = dup(fd);
    CHECK(d >= 0);
    do_close("a_dup", d);
    do_close("a", fd);
}

static void file_b(void) {
    /* O_DSYNC: each write is durable when it returns, one event per write. */
    int fd = open_file("b", "b", O_CREAT | O_WRONLY | O_TRUNC | O_DSYNC);
    sync_write("b1", "o_dsync_write", fd, write(fd, buf, 11));
    sync_write("b2", "o_dsync_write", fd, pwrite(fd, buf, 22, 11));
    struct iovec one[1] = {{buf, 33}};
    sync_write("b3", "o_dsync_write", fd, writev(fd, one, 1));
    do_fsync("b4", fd);                         /* nothing left to sync */
    do_close("b", fd);
}

static void file_c(void) {
    /* O_SYNC: the flag includes O_DSYNC's bit; the event says o_sync_write. */
    int fd = open_file("c", "c", O_CREAT | O_WRONLY | O_TRUNC | O_SYNC);
    sync_write("c1", "o_sync_write", fd, write(fd, buf, 44));
    struct iovec two[2] = {{buf, 5}, {buf, 6}};
    sync_write("c2", "o_sync_write", fd, pwritev(fd, two, 2, 0));
    do_close("c", fd);
}

static void file_d(void) {
    /* pwritev2(2): RWF_DSYNC and RWF_SYNC make one write durable. */
    int fd = open_file("d", "d", O_CREAT | O_WRONLY | O_TRUNC);
    CHECK(write(fd, buf, 5) == 5);
    struct iovec ten[1] = {{buf, 10}};
    sync_write("d1", "rwf_dsync_write", fd, pwritev2(fd, ten, 1, -1, RWF_DSYNC)); /* 5 + 10 */
    struct iovec twenty[1] = {{buf, 20}};
    sync_write("d2", "rwf_sync_write", fd, pwritev2(fd, twenty, 1, 0, RWF_SYNC));
    struct iovec thirty[1] = {{buf, 30}};
    CHECK(pwritev2(fd, thirty, 1, 0, 0) == 30); /* no flag: a plain write */
    do_fsync("d3", fd);                         /* the 30 bytes */
    do_close("d", fd);
}

static void said_msync(const char *label, int r, int err, const void *addr, size_t len, int flags) {
    printf("sync label=%s call=msync fd=-1 ret=%d errno=%d addr=%ju len=%zu flags=%d\n", label, r,
           r ? err : 0, (uintmax_t)(uintptr_t)addr, len, flags);
}

static void file_e(void) {
    /* msync(2) on a MAP_SHARED mapping names the mapped file, even after its fd is closed. */
    int fd = open_file("e", "e", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(ftruncate(fd, 8192) == 0);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    do_close("e", fd);
    memset(m, 'e', 8192);
    int r = msync(m, 8192, MS_SYNC);
    said_msync("e1", r, errno, m, 8192, MS_SYNC);
    r = msync(m + 4096, 4096, MS_ASYNC);
    said_msync("e2", r, errno, m + 4096, 4096, MS_ASYNC);
    r = msync(m + 1, 100, MS_SYNC); /* EINVAL: not page aligned */
    said_msync("e3", r, errno, m + 1, 100, MS_SYNC);
    char *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED);
    r = msync(anon, 4096, MS_SYNC); /* no file behind it */
    said_msync("e4", r, errno, anon, 4096, MS_SYNC);

    /* The same addresses, now mapping another file: msync names the new one. */
    CHECK(munmap(m, 8192) == 0);
    int g = open_file("g", "g", O_CREAT | O_RDWR | O_TRUNC);
    CHECK(ftruncate(g, 8192) == 0);
    char *m2 = mmap(m, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, g, 0);
    CHECK(m2 == m);
    do_close("g", g);
    memset(m2, 'g', 8192);
    r = msync(m2, 8192, MS_SYNC);
    said_msync("e5", r, errno, m2, 8192, MS_SYNC);
    CHECK(munmap(m2, 8192) == 0);
    CHECK(munmap(anon, 4096) == 0);
}

static void file_f(void) {
    /* Two descriptors of one file share its write interval (it is per inode). */
    int f1 = open_file("f1", "f", O_CREAT | O_WRONLY | O_TRUNC);
    int f2 = open_file("f2", "f", O_WRONLY);
    CHECK(write(f1, buf, 10) == 10);
    CHECK(write(f2, buf, 20) == 20);
    do_fsync("f3", f2);                         /* 30 bytes, 2 writes */
    CHECK(write(f1, buf, 5) == 5);
    do_fsync("f4", f1);                         /* 5 bytes, 1 write */
    do_close("f1", f1);
    do_close("f2", f2);
}

/* Successful calls the recorder wraps leave errno alone, as glibc's do.
 * Prints "errno label=L after=E": E is 777 when errno was kept. */
#define KEPT(label, call)                                  \
    do {                                                   \
        errno = 777;                                       \
        call;                                              \
        printf("errno label=%s after=%d\n", label, errno); \
    } while (0)

static void keep_errno(void) {
    const char *p = ft_path(dir, "h");
    int fd = -1, d = -1, d40 = -1, r = -1;
    char *m = NULL;
    KEPT("open", fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644));
    CHECK(fd >= 0);
    printf("open label=h fd=%d flags=%d path=%s\n", fd, O_CREAT | O_RDWR | O_TRUNC, p);
    KEPT("write", CHECK(write(fd, buf, 4096) == 4096));
    KEPT("pwrite", CHECK(pwrite(fd, buf, 10, 0) == 10));
    KEPT("dup", d = dup(fd));
    KEPT("fcntl", d40 = fcntl(fd, F_DUPFD, 40));
    CHECK(d >= 0 && d40 >= 40);
    KEPT("mmap", m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    CHECK(m != MAP_FAILED);
    KEPT("msync", r = msync(m, 4096, MS_SYNC));
    said_msync("h1", r, errno, m, 4096, MS_SYNC);
    KEPT("munmap", CHECK(munmap(m, 4096) == 0));
    KEPT("rename", CHECK(rename(p, ft_path(dir, "h_renamed")) == 0));
    KEPT("fsync", r = fsync(fd));
    ft_said("sync", "h2", "fsync", fd, r, errno);
    KEPT("close", r = close(d));
    printf("close label=h_dup fd=%d ret=%d\n", d, r);
    KEPT("close40", r = close(d40));
    printf("close label=h_40 fd=%d ret=%d\n", d40, r);
    KEPT("close_last", r = close(fd));
    printf("close label=h fd=%d ret=%d\n", fd, r);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    dir = argv[1];
    memset(buf, 'x', sizeof buf);
    file_a();
    file_b();
    file_c();
    file_d();
    file_e();
    file_f();
    keep_errno();
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
