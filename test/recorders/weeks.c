/*
 * weeks.c — what a host with the recorder left on for weeks runs: many
 * short processes, most of which never sync, a few that sync once, and
 * services that open, write and sync many distinct files.
 *
 * usage: weeks nosync DIR N       opens, writes, renames and closes N files; never syncs
 *        weeks once DIR           one file: write, fsync, close (prints sync)
 *        weeks rename DIR         create a, rename a -> b, then fsync b: the
 *                                 rename comes before the first durability call
 *        weeks live DIR           fsync once, print "ready", then wait to be killed
 *        weeks exec DIR           fsync once, exec a missing program (fails: the image goes
 *                                 on), print "failed", wait for SIGUSR1, then exec
 *                                 sleep 600 (the pid lives on, its trace's image ended)
 *        weeks dropexec DIR UID  (as root) fsync once, become UID (setgroups, setgid,
 *                                 setuid), print "dropped", wait for SIGUSR1, then exec
 *                                 sleep 600: a daemon that drops privileges, then execs
 *        weeks grow DIR K [exit] fsync one file K times (its trace grows), print "ready",
 *                                 then wait to be killed (with "exit": exit at once)
 *        weeks many DIR N K       N distinct files, each: create, write, fsync K times,
 *                                 close, unlink
 *        weeks readonly DIR N     read-only opens and closes of DIR/r000000 .. (the test
 *                                 makes them), then 5 fsyncs of DIR/new
 *        weeks cycles DIR N       N times: write DIR/state.tmp, fsync it, rename it over
 *                                 DIR/state, fsync DIR (a new inode each cycle, one name)
 *        weeks wrap DIR N M       N distinct files fsynced twice each and closed, then M
 *                                 files created, written and closed, then opened and closed
 *                                 9 more times, never synced (their names go round the
 *                                 names ring more slowly than their records the raw ring)
 *
 * Prints:  sync label=L call=fsync fd=N ret=R errno=E
 *          file i=I name=NAME
 */
#include "ft_test.h"

#include <grp.h>
#include <signal.h>
#include <stdio.h>

static void on_usr1(int sig) { (void)sig; }

/* SIGUSR1 blocked until said_then_sleep waits for it; *old: the mask before. */
static void block_usr1(sigset_t *old) {
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR && sigprocmask(SIG_BLOCK, &usr1, old) == 0);
}

/* Print `said`, wait for the test's SIGUSR1, then exec a sleep (the pid lives on, its image ended). */
static int said_then_sleep(const char *said, const sigset_t *old) {
    printf("%s\n", said);
    fflush(stdout);
    sigsuspend(old);
    execl("/bin/sleep", "sleep", "600", (char *)NULL);
    return 1;
}

static void one_sync(const char *d, const char *name) {
    int fd = open(ft_path(d, name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    ft_write_all(fd, 6);
    int r = fsync(fd);
    ft_said("sync", name, "fsync", fd, r, errno);
    CHECK(close(fd) == 0);
}

/* DIR/name created, written and fsynced k times, closed. */
static void sync_file(const char *d, const char *name, long k) {
    int fd = open(ft_path(d, name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    for (long j = 0; j < k; j++) {
        ft_write_all(fd, 10);
        CHECK(fsync(fd) == 0);
    }
    CHECK(close(fd) == 0);
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    const char *mode = argv[1], *d = argv[2];
    char name[64];
    if (strcmp(mode, "nosync") == 0) {
        CHECK(argc == 4);
        long n = atol(argv[3]);
        for (long i = 0; i < n; i++) {
            snprintf(name, sizeof name, "n%ld", i);
            int fd = open(ft_path(d, name), O_RDWR | O_CREAT | O_TRUNC, 0600);
            CHECK(fd >= 0);
            ft_write_all(fd, 100);
            CHECK(close(fd) == 0);
            fd = open(ft_path(d, name), O_RDONLY);
            CHECK(fd >= 0);
            int dup_fd = dup(fd);
            CHECK(dup_fd >= 0 && close(dup_fd) == 0 && close(fd) == 0);
            CHECK(rename(ft_path(d, name), ft_path(d, "renamed")) == 0);
        }
        return 0;
    }
    if (strcmp(mode, "once") == 0) {
        one_sync(d, "once");
        return 0;
    }
    if (strcmp(mode, "rename") == 0) {
        int fd = open(ft_path(d, "a"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0 && close(fd) == 0);
        CHECK(rename(ft_path(d, "a"), ft_path(d, "b")) == 0);
        fd = open(ft_path(d, "b"), O_RDONLY);
        CHECK(fd >= 0);
        int r = fsync(fd);
        ft_said("sync", "b", "fsync", fd, r, errno);
        CHECK(close(fd) == 0);
        return 0;
    }
    if (strcmp(mode, "live") == 0) {
        one_sync(d, "live");
        printf("ready\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    if (strcmp(mode, "exec") == 0) {
        sigset_t old;
        block_usr1(&old);
        one_sync(d, "exec");
        CHECK(execl("/nonexistent/program", "program", (char *)NULL) < 0 && errno == ENOENT);
        return said_then_sleep("failed", &old);
    }
    if (strcmp(mode, "dropexec") == 0) {
        CHECK(argc == 4);
        uid_t uid = (uid_t)atol(argv[3]);
        sigset_t old;
        block_usr1(&old);
        one_sync(d, "dropexec");
        CHECK(setgroups(0, NULL) == 0 && setgid(uid) == 0 && setuid(uid) == 0);
        return said_then_sleep("dropped", &old);
    }
    if (strcmp(mode, "grow") == 0) {
        CHECK(argc == 4 || (argc == 5 && strcmp(argv[4], "exit") == 0));
        long k = atol(argv[3]);
        int fd = open(ft_path(d, "grow"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0);
        for (long j = 0; j < k; j++) {
            ft_write_all(fd, 10);
            CHECK(fsync(fd) == 0);
        }
        if (argc == 5)
            return 0;
        printf("ready\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    if (strcmp(mode, "many") == 0) {
        CHECK(argc == 5);
        long n = atol(argv[3]), k = atol(argv[4]);
        for (long i = 0; i < n; i++) {
            snprintf(name, sizeof name, "f%07ld", i);
            sync_file(d, name, k);
            CHECK(unlink(ft_path(d, name)) == 0);
        }
        printf("files n=%ld k=%ld\n", n, k);
        return 0;
    }
    if (strcmp(mode, "readonly") == 0) {
        CHECK(argc == 4);
        long n = atol(argv[3]);
        for (long i = 0; i < n; i++) {
            snprintf(name, sizeof name, "r%06ld", i);
            int fd = open(ft_path(d, name), O_RDONLY);
            CHECK(fd >= 0 && close(fd) == 0);
        }
        int fd = open(ft_path(d, "new"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0);
        for (int j = 0; j < 5; j++) {
            ft_write_all(fd, 10);
            CHECK(fsync(fd) == 0);
        }
        CHECK(close(fd) == 0);
        return 0;
    }
    if (strcmp(mode, "cycles") == 0) {
        CHECK(argc == 4);
        long n = atol(argv[3]);
        int dfd = open(d, O_RDONLY | O_DIRECTORY);
        CHECK(dfd >= 0);
        for (long i = 0; i < n; i++) {
            int fd = open(ft_path(d, "state.tmp"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            CHECK(fd >= 0);
            ft_write_all(fd, 20);
            CHECK(fsync(fd) == 0 && close(fd) == 0);
            CHECK(rename(ft_path(d, "state.tmp"), ft_path(d, "state")) == 0);
            CHECK(fsync(dfd) == 0);
        }
        CHECK(close(dfd) == 0);
        printf("cycles n=%ld\n", n);
        return 0;
    }
    if (strcmp(mode, "wrap") == 0) {
        CHECK(argc == 5);
        long n = atol(argv[3]), m = atol(argv[4]);
        for (long i = 0; i < n; i++) {
            snprintf(name, sizeof name, "s%05ld", i);
            sync_file(d, name, 2);
        }
        for (long i = 0; i < m; i++) {
            snprintf(name, sizeof name, "w%06ld", i);
            int fd = open(ft_path(d, name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            CHECK(fd >= 0);
            ft_write_all(fd, 10);
            CHECK(close(fd) == 0);
            for (int j = 0; j < 9; j++) {
                fd = open(ft_path(d, name), O_WRONLY);
                CHECK(fd >= 0 && close(fd) == 0);
            }
            CHECK(unlink(ft_path(d, name)) == 0);
        }
        printf("wrap n=%ld m=%ld\n", n, m);
        return 0;
    }
    CHECK(!"unknown mode");
    return 0;
}
