/*
 * paths.c — every way to open, duplicate and rename a file, each followed by
 * an fsync, so the suite can check the name the trace gives each one.
 *
 * usage: paths DIR        (DIR absolute and canonical; the program chdirs there)
 *
 * Prints:
 *   open  label=L fd=N flags=F ret=R errno=E
 *   sync  label=L call=fsync fd=N ret=R errno=E
 *   rename label=L ret=R errno=E
 * Built without _FORTIFY_SOURCE, so each open variant is its own symbol;
 * the suite checks that with nm -D.
 */
#include "ft_test.h"

#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

static void said_open(const char *label, int fd, int flags, int err) {
    printf("open label=%s fd=%d flags=%d ret=%d errno=%d\n", label, fd, flags, fd,
           fd < 0 ? err : 0);
}

static void do_fsync(const char *label, int fd) {
    int r = fsync(fd);
    ft_said("sync", label, "fsync", fd, r, errno);
}

static void said_rename(const char *label, int r, int err) {
    printf("rename label=%s ret=%d errno=%d\n", label, r, r ? err : 0);
}

#define NEW (O_CREAT | O_WRONLY | O_TRUNC)

int main(int argc, char **argv) {
    CHECK(argc == 2);
    const char *d = argv[1];
    CHECK(chdir(d) == 0);
    CHECK(mkdir("sub", 0755) == 0);
    CHECK(symlink("p_open", "link") == 0);

    int fd;
    fd = open(ft_path(d, "p_open"), NEW, 0644);
    said_open("open", fd, NEW, errno);
    int p_open = fd;
    fd = open64(ft_path(d, "p_open64"), NEW, 0644);
    said_open("open64", fd, NEW, errno);
    int p_open64 = fd;
    fd = open(ft_path(d, "sub"), O_RDONLY | O_DIRECTORY);
    said_open("dir", fd, O_RDONLY | O_DIRECTORY, errno);
    int dirfd = fd;
    fd = openat(dirfd, "p_openat", NEW, 0644);
    said_open("openat", fd, NEW, errno);
    int p_openat = fd;
    fd = openat64(dirfd, "p_openat64", NEW, 0644);
    said_open("openat64", fd, NEW, errno);
    int p_openat64 = fd;
    fd = creat(ft_path(d, "p_creat"), 0644);
    said_open("creat", fd, O_CREAT | O_WRONLY | O_TRUNC, errno);
    int p_creat = fd;
    fd = creat64(ft_path(d, "p_creat64"), 0644);
    said_open("creat64", fd, O_CREAT | O_WRONLY | O_TRUNC, errno);
    int p_creat64 = fd;
    fd = open("p_rel", NEW, 0644);              /* relative to the working directory */
    said_open("rel", fd, NEW, errno);
    int p_rel = fd;
    fd = openat(AT_FDCWD, "./sub/../p_dots", NEW, 0644);
    said_open("dots", fd, NEW, errno);
    int p_dots = fd;
    fd = open(ft_path(d, "/sub/./p_slashes"), NEW, 0644); /* DIR//sub/./p_slashes */
    said_open("slashes", fd, NEW, errno);
    int p_slashes = fd;
    fd = openat(dirfd, "../p_up", NEW, 0644);
    said_open("up", fd, NEW, errno);
    int p_up = fd;
    fd = open(ft_path(d, "link"), O_WRONLY);    /* a symlink to p_open */
    said_open("link", fd, O_WRONLY, errno);
    int p_link = fd;
    fd = open(ft_path(d, "missing"), O_RDONLY); /* ENOENT */
    said_open("missing", fd, O_RDONLY, errno);

    do_fsync("open", p_open);
    do_fsync("open64", p_open64);
    do_fsync("dir", dirfd);
    do_fsync("openat", p_openat);
    do_fsync("openat64", p_openat64);
    do_fsync("creat", p_creat);
    do_fsync("creat64", p_creat64);
    do_fsync("rel", p_rel);
    do_fsync("dots", p_dots);
    do_fsync("slashes", p_slashes);
    do_fsync("up", p_up);
    do_fsync("link", p_link);

    /* Duplicates keep the name. */
    int d_dup = dup(p_open);
    do_fsync("dup", d_dup);
    do_fsync("dup2", dup2(p_open, 50));
    do_fsync("dup3", dup3(p_open, 51, O_CLOEXEC));
    do_fsync("f_dupfd", fcntl(p_open, F_DUPFD, 60));
    do_fsync("f_dupfd_cloexec", fcntl(p_open, F_DUPFD_CLOEXEC, 70));
    /* dup2 onto a descriptor of another file: it now names p_open. */
    do_fsync("dup2_over", dup2(p_open, p_open64));
    /* Writes through any duplicate belong to the file. */
    char buf[16] = {0};
    CHECK(write(d_dup, buf, 3) == 3);
    CHECK(write(50, buf, 4) == 4);
    do_fsync("dup_writes", p_open);             /* 7 bytes, 2 writes */

    /* Renames: later events carry the new name; the interval goes on. */
    CHECK(write(p_creat, buf, 9) == 9);
    int r = rename(ft_path(d, "p_creat"), ft_path(d, "p_renamed"));
    said_rename("rename", r, errno);
    do_fsync("renamed", p_creat);               /* 9 bytes, 1 write */
    r = renameat(dirfd, "p_openat", dirfd, "p_openat_moved");
    said_rename("renameat", r, errno);
    do_fsync("renamedat", p_openat);
    r = renameat2(AT_FDCWD, "p_rel", AT_FDCWD, "sub/p_rel_moved", 0);
    said_rename("renameat2", r, errno);
    do_fsync("renamedat2", p_rel);
    r = rename(ft_path(d, "missing"), ft_path(d, "nowhere")); /* ENOENT */
    said_rename("rename_missing", r, errno);

    /* Renaming a directory renames every file under it. */
    CHECK(mkdir("olddir", 0755) == 0);
    fd = open(ft_path(d, "olddir/f"), NEW, 0644);
    said_open("indir", fd, NEW, errno);
    int in_dir = fd;
    do_fsync("indir", in_dir);
    r = rename(ft_path(d, "olddir"), ft_path(d, "newdir"));
    said_rename("rename_dir", r, errno);
    do_fsync("indir_moved", in_dir);

    /* dup2 onto itself closes nothing; failed dups change nothing. */
    CHECK(write(p_open, buf, 2) == 2);
    do_fsync("dup2_self", dup2(p_open, p_open) == p_open ? p_open : -1);   /* 2 bytes */
    errno = 0;
    r = dup3(p_open, p_open, 0);                /* EINVAL */
    printf("dup label=dup3_self ret=%d errno=%d\n", r, r < 0 ? errno : 0);
    r = dup2(p_open, -1);                       /* EBADF */
    printf("dup label=dup2_bad ret=%d errno=%d\n", r, r < 0 ? errno : 0);
    r = fcntl(p_open, F_DUPFD, -1);             /* EINVAL */
    printf("dup label=dupfd_bad ret=%d errno=%d\n", r, r < 0 ? errno : 0);
    CHECK(write(p_open, buf, 3) == 3);
    do_fsync("after_bad_dups", p_open);         /* 3 bytes */

    /* fcntl commands the recorder does not care about pass their argument
     * through untouched, pointers included. */
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    printf("fcntl label=setlk ret=%d\n", fcntl(p_open, F_SETLK, &lk));
    struct flock probe = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    printf("fcntl label=ofd_getlk ret=%d type=%d\n", fcntl(p_open, F_OFD_GETLK, &probe), probe.l_type);
    printf("fcntl label=getfl ret=%d\n", fcntl(p_open, F_GETFL));
    printf("fcntl label=setfl ret=%d\n", fcntl(p_open, F_SETFL, O_APPEND));
    printf("fcntl label=getfl_append ret=%d\n", fcntl(p_open, F_GETFL));
    printf("fcntl label=getfd ret=%d\n", fcntl(51, F_GETFD));

    /* O_TMPFILE needs the mode argument as much as O_CREAT does. */
    fd = open(d, O_TMPFILE | O_RDWR, 0640);
    said_open("tmpfile", fd, O_TMPFILE | O_RDWR, errno);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0);
    printf("tmpfile label=tmpfile mode=%o\n", (unsigned)(st.st_mode & 07777));
    CHECK(close(fd) == 0);

    /* Not a regular file or a directory: no open event. */
    fd = open("/dev/null", O_WRONLY);
    CHECK(fd >= 0);
    printf("special label=devnull fd=%d\n", fd);
    CHECK(close(fd) == 0);

    /* A descriptor number far above the usual 1024. */
    struct rlimit lim;
    CHECK(getrlimit(RLIMIT_NOFILE, &lim) == 0);
    if (lim.rlim_cur < 70000 && lim.rlim_max >= 70000) {
        lim.rlim_cur = 70000;
        CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    }
    int high = lim.rlim_cur >= 70000 ? 65000 : (int)lim.rlim_cur - 1;
    CHECK(dup2(p_open, high) == high);
    CHECK(write(high, buf, 6) == 6);
    do_fsync("high_fd", high);                  /* p_open: 6 bytes, 1 write */

    /* A name of more than 1000 bytes: five nested directories of 200. */
    char longdir[2048];
    size_t at = (size_t)snprintf(longdir, sizeof longdir, "%s", d);
    for (int i = 0; i < 5; i++) {
        longdir[at++] = '/';
        memset(longdir + at, 'a' + i, 200);
        at += 200;
        longdir[at] = 0;
        CHECK(mkdir(longdir, 0755) == 0);
    }
    fd = open(ft_path(longdir, "p_long"), NEW, 0644);
    said_open("long", fd, NEW, errno);
    do_fsync("long", fd);

    printf("done pid=%d\n", (int)getpid());
    return 0;
}
