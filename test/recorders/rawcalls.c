/*
 * rawcalls.c — calls made through syscall(2) instead of their libc
 * functions (libuv closes files this way; Go and others do it for every
 * call), and a descriptor closed where no wrapper can see it.
 *
 * usage: rawcalls DIR
 *
 *  close:     a.dat written 100 bytes, closed by syscall(SYS_close); a
 *             socketpair takes its number and 1000 bytes go through it;
 *             a.dat is opened again, 1 byte + fsync: the interval is 1 byte.
 *  range:     b0..b2 closed by syscall(SYS_close_range); three mkstemp files
 *             take their numbers; each 10 bytes + fsync.
 *  asm:       c0..c2 closed by an inline close_range system call (no libc at
 *             all); three mkstemp files take their numbers; 10 bytes + fsync.
 *  fsync:     syscall(SYS_fsync) and syscall(SYS_fdatasync) on d.dat after
 *             10 bytes each; the file opened by syscall(SYS_openat), renamed
 *             by syscall(SYS_renameat2) to e.dat, dup'ed by syscall(SYS_dup3).
 * Prints "sync label=L fd=N ret=R path=P" per sync and "done pid=N".
 */
#define _GNU_SOURCE
#include "ft_test.h"

#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static const char *dir;

static void sync_line(const char *label, int fd, long ret, const char *path) {
    printf("sync label=%s fd=%d ret=%ld path=%s\n", label, fd, ret, path);
}

static long asm_close_range(unsigned lo, unsigned hi) {
    long ret;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_close_range), "D"((long)lo), "S"((long)hi), "d"(0L), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static void mkstemps_after(const char *label, int first, int n) {
    for (int i = 0; i < n; i++) {
        char tmpl[4096];
        snprintf(tmpl, sizeof tmpl, "%s/%s.XXXXXX", dir, label);
        int t = mkstemp(tmpl);
        CHECK(t == first + i);
        ft_write_all(t, 10);
        char lab[32];
        snprintf(lab, sizeof lab, "%s%d", label, i);
        sync_line(lab, t, fsync(t), tmpl);
    }
    for (int i = 0; i < n; i++) CHECK(close(first + i) == 0);
}

static int open3(const char *prefix, int n) {
    int first = -1;
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s%d", prefix, i);
        int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(fd >= 0);
        ft_write_all(fd, 50);
        if (first < 0) first = fd;
        CHECK(fd == first + i);
    }
    return first;
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    dir = argv[1];
    setvbuf(stdout, NULL, _IONBF, 0);

    int a = open(ft_path(dir, "a.dat"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(a >= 0);
    ft_write_all(a, 100);
    CHECK(syscall(SYS_close, a) == 0);
    int sp[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0 && sp[0] == a);
    ft_write_all(sp[0], 1000);
    char sink[1000];
    for (size_t got = 0; got < sizeof sink;) {
        ssize_t r = read(sp[1], sink, sizeof sink - got);
        CHECK(r > 0);
        got += (size_t)r;
    }
    int a2 = open(ft_path(dir, "a.dat"), O_WRONLY | O_APPEND);
    CHECK(a2 >= 0);
    ft_write_all(a2, 1);
    sync_line("close", a2, fsync(a2), ft_path(dir, "a.dat"));
    CHECK(close(a2) == 0 && close(sp[0]) == 0 && close(sp[1]) == 0);

    int b = open3("b", 3);
    CHECK(syscall(SYS_close_range, b, b + 2, 0) == 0);
    mkstemps_after("range", b, 3);

    int c = open3("c", 3);
    CHECK(asm_close_range((unsigned)c, (unsigned)c + 2) == 0);
    mkstemps_after("asm", c, 3);

    int d = (int)syscall(SYS_openat, AT_FDCWD, ft_path(dir, "d.dat"), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(d >= 0);
    ft_write_all(d, 10);
    sync_line("sys_fsync", d, syscall(SYS_fsync, d), ft_path(dir, "d.dat"));
    CHECK(syscall(SYS_renameat2, AT_FDCWD, ft_path(dir, "d.dat"), AT_FDCWD, ft_path(dir, "e.dat"), 0) == 0);
    int e = (int)syscall(SYS_dup3, d, 20, O_CLOEXEC);
    CHECK(e == 20);
    ft_write_all(e, 10);
    sync_line("sys_fdatasync", e, syscall(SYS_fdatasync, e), ft_path(dir, "e.dat"));
    CHECK(syscall(SYS_close, d) == 0 && syscall(SYS_close, e) == 0);
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
