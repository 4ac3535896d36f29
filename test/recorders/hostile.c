/*
 * hostile.c — what a hostile or odd environment can throw at the recorder
 * from inside the program: a working directory that moves, and file names
 * no one should use.
 *
 * usage: hostile DIR chdir N
 *          Opens DIR/r, chdir(DIR), opens "r2" by a relative name, then N
 *          pwrite + fsync of each: with a relative FSYNC_TRACE_DIR, the
 *          ring still has to grow after the working directory moved.
 *        hostile DIR names
 *          Opens, writes, fsyncs and closes files whose names hold a
 *          newline, control bytes, invalid UTF-8, 255 bytes, and a file
 *          whose absolute path is exactly 4095 bytes (PATH_MAX - 1), then
 *          one deeper than PATH_MAX (opened relative to its directory).
 * Prints one line per file: its name relative to DIR, hex-encoded, and what
 * the calls returned; the same with and without the recorder.
 */
#include "ft_test.h"

#include <limits.h>
#include <sys/stat.h>

static void hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)s[i]);
}

/* One file: open (relative to dirfd), 3 rounds, close; print its name. */
static void one(int dirfd, const char *rel_for_print, size_t print_len, const char *name) {
    int fd = openat(dirfd, name, O_CREAT | O_RDWR | O_TRUNC, 0644);
    int e = errno;
    int failed = fd >= 0 ? ft_rounds(fd, 3) : -1;
    int c = fd >= 0 ? close(fd) : -1;
    printf("file name=");
    hex(rel_for_print, print_len);
    printf(" open_ok=%d errno=%d failed=%d close=%d\n", fd >= 0, fd >= 0 ? 0 : e, failed, c);
}

static int names_main(const char *dir) {
    static const char *odd[] = {
        "new\nline", "tab\there", "ctl\x01\x02\x1b[31m\x7f", "bad\xff\xfe" "utf8", "lone\x80" "cont",
        "overlong\xc0\xaf", "surrogate\xed\xa0\x80", "ok-\xc3\xa9" "t\xc3\xa9", " lead space", "-dash",
    };
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(d >= 0);
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) one(d, odd[i], strlen(odd[i]), odd[i]);
    char longname[256];
    memset(longname, 'L', 255);
    longname[255] = '\0';
    one(d, longname, 255, longname);

    /* Directories of 200 bytes under DIR until the absolute path of a file
     * in the last one is exactly PATH_MAX - 1 bytes. */
    size_t base = strlen(dir);
    char path[PATH_MAX + 512];
    snprintf(path, sizeof path, "%s", dir);
    size_t at = base;
    char comp[201];
    memset(comp, 'd', 200);
    comp[200] = '\0';
    while (at + 1 + 200 + 1 + 10 < PATH_MAX - 1) {
        path[at++] = '/';
        memcpy(path + at, comp, 200);
        at += 200;
        path[at] = '\0';
        CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
    }
    size_t left = PATH_MAX - 1 - at - 1; /* the file name's length */
    CHECK(left >= 1 && left <= 255);
    int deep = open(path, O_RDONLY | O_DIRECTORY);
    CHECK(deep >= 0);
    char fname[256];
    memset(fname, 'f', left);
    fname[left] = '\0';
    path[at] = '/';
    memcpy(path + at + 1, fname, left + 1);
    CHECK(strlen(path) == PATH_MAX - 1);
    one(deep, path + base + 1, strlen(path + base + 1), fname);
    /* One level deeper than PATH_MAX: reachable only relative to a dirfd. */
    CHECK(mkdirat(deep, comp, 0755) == 0 || errno == EEXIST);
    int deeper = openat(deep, comp, O_RDONLY | O_DIRECTORY);
    CHECK(deeper >= 0);
    one(deeper, "too-deep", 8, "beyond");
    printf("done\n");
    return 0;
}

static int chdir_main(const char *dir, long n) {
    /* The first record (the open) comes before the chdir: the trace is made
     * then, and must still be found, to grow the ring, after it. */
    int fd = open(ft_path(dir, "r"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(chdir(dir) == 0);
    int fd2 = open("r2", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd2 >= 0);
    int failed = ft_rounds(fd, n) + ft_rounds(fd2, n);
    printf("chdir rounds=%ld failed=%d\ndone\n", 2 * n, failed);
    return 0;
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    if (strcmp(argv[2], "names") == 0) return names_main(argv[1]);
    if (strcmp(argv[2], "chdir") == 0 && argc == 4) return chdir_main(argv[1], atol(argv[3]));
    return FT_SETUP_FAILED;
}
