/*
 * quiet.c — files that never sync: what does the recorder add to their opens,
 * closes and renames? The suite runs it bare and recorded under strace and
 * compares the system calls made per round.
 *
 * usage: quiet DIR MODE ROUNDS [synced]
 *
 *   write    open(DIR/w, O_WRONLY), write 10 bytes, close
 *   creat    open(DIR/c, O_CREAT|O_WRONLY|O_TRUNC) (the file exists), write, close
 *   excl     open(DIR/x<i>, O_CREAT|O_EXCL|O_WRONLY), write, close, unlink
 *   rel      as write, by a name relative to DIR (the program chdirs there)
 *   dir      open(DIR, O_RDONLY|O_DIRECTORY), close (as to fsync it; not synced)
 *   rename   rename(DIR/a, DIR/b), then back
 *   relren   rename("a", "b"), then back, relative to DIR
 *   swap     (ROUNDS is ignored) names that go stale behind the recorder's
 *            back: open DIR/real/f (the recorder learns DIR/real), then a
 *            child process moves DIR/real to DIR/moved and puts a symlink
 *            DIR/real -> moved in its place; then open DIR/real/g, fsync it,
 *            open DIR/real/h, fsync it, open DIR/w2, fsync it, and open
 *            DIR/link (a symlink to DIR/w) for writing and fsync it. Prints "open label=L fd=N" and
 *            "sync label=L fd=N ret=R" lines.
 *   cwd      (ROUNDS is ignored) relative names after chdir and fchdir: open
 *            "w" (DIR/w), chdir("sub"), open "w" (DIR/sub/w), fchdir to DIR,
 *            open "c" (DIR/c); each opened, then fsynced, in that order.
 *
 * With `synced`, the program fsyncs DIR/s once first, so that its trace
 * exists and every record goes straight into it; without, it never syncs.
 * Prints one line, "done rounds=N", when all went well.
 */
#include "ft_test.h"

#include <sys/stat.h>
#include <sys/wait.h>

static void touch(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    CHECK(close(fd) == 0);
}

static int open_said(const char *label, const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    printf("open label=%s fd=%d\n", label, fd);
    return fd;
}

static void sync_said(const char *label, int fd)
{
    int r = fsync(fd);
    printf("sync label=%s fd=%d ret=%d\n", label, fd, r);
}

static int swap(const char *d)
{
    CHECK(mkdir(ft_path(d, "real"), 0755) == 0);
    int f = open_said("f", ft_path(d, "real/f"));
    sync_said("f", f);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        CHECK(rename(ft_path(d, "real"), ft_path(d, "moved")) == 0);
        CHECK(symlink("moved", ft_path(d, "real")) == 0);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int g = open_said("g", ft_path(d, "real/g"));
    sync_said("g", g);
    int h = open_said("h", ft_path(d, "real/h"));
    sync_said("h", h);
    int w2 = open_said("w2", ft_path(d, "w2")); /* DIR learned again */
    sync_said("w2", w2);
    CHECK(symlink("w", ft_path(d, "link")) == 0);
    int l = open_said("link", ft_path(d, "link"));
    sync_said("link", l);
    printf("done rounds=0\n");
    return 0;
}

static int cwd(const char *d)
{
    CHECK(mkdir("sub", 0755) == 0);
    int fds[3];
    fds[0] = open_said("w", "w");
    CHECK(chdir("sub") == 0);
    fds[1] = open_said("sub_w", "w");
    int dfd = open(d, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0 && fchdir(dfd) == 0 && close(dfd) == 0);
    fds[2] = open_said("c", "c");
    sync_said("w", fds[0]);
    sync_said("sub_w", fds[1]);
    sync_said("c", fds[2]);
    printf("done rounds=0\n");
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc == 4 || argc == 5);
    const char *d = argv[1], *mode = argv[2];
    long rounds = atol(argv[3]);
    CHECK(chdir(d) == 0);
    touch(ft_path(d, "w"));
    touch(ft_path(d, "c"));
    touch(ft_path(d, "a"));
    if (argc == 5 && strcmp(argv[4], "synced") == 0) {
        int fd = open(ft_path(d, "s"), O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0 && fsync(fd) == 0 && close(fd) == 0);
    }
    if (strcmp(mode, "swap") == 0)
        return swap(d);
    if (strcmp(mode, "cwd") == 0)
        return cwd(d);
    for (long i = 0; i < rounds; i++) {
        int fd = -1;
        char name[32];
        if (strcmp(mode, "write") == 0) {
            fd = open(ft_path(d, "w"), O_WRONLY);
        } else if (strcmp(mode, "creat") == 0) {
            fd = open(ft_path(d, "c"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        } else if (strcmp(mode, "excl") == 0) {
            snprintf(name, sizeof name, "x%ld", i);
            fd = open(ft_path(d, name), O_CREAT | O_EXCL | O_WRONLY, 0644);
        } else if (strcmp(mode, "rel") == 0) {
            fd = open("w", O_WRONLY);
        } else if (strcmp(mode, "dir") == 0) {
            fd = open(d, O_RDONLY | O_DIRECTORY);
            CHECK(fd >= 0 && close(fd) == 0);
            continue;
        } else if (strcmp(mode, "rename") == 0) {
            CHECK(rename(ft_path(d, "a"), ft_path(d, "b")) == 0);
            CHECK(rename(ft_path(d, "b"), ft_path(d, "a")) == 0);
            continue;
        } else if (strcmp(mode, "relren") == 0) {
            CHECK(rename("a", "b") == 0);
            CHECK(rename("b", "a") == 0);
            continue;
        } else {
            CHECK(!"a known mode");
        }
        CHECK(fd >= 0);
        CHECK(write(fd, "0123456789", 10) == 10);
        CHECK(close(fd) == 0);
        if (strcmp(mode, "excl") == 0)
            CHECK(unlink(ft_path(d, name)) == 0);
    }
    printf("done rounds=%ld\n", rounds);
    return 0;
}
