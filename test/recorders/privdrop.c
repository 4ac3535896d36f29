/*
 * privdrop.c — a daemon's child that drops privileges: run as root, the
 * parent fsyncs DIR/parent.dat, forks, and the child switches to UID (and
 * the same gid) before it writes and fsyncs DIR/child.dat (DIR must be
 * writable by UID).
 *
 * usage: privdrop DIR UID
 * Prints "child pid=N status=S" and "done pid=N".
 */
#define _GNU_SOURCE
#include "ft_test.h"

#include <grp.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    CHECK(argc == 3);
    uid_t uid = (uid_t)atoi(argv[2]);
    setvbuf(stdout, NULL, _IONBF, 0);
    int p = open(ft_path(argv[1], "parent.dat"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(p >= 0);
    ft_write_all(p, 10);
    CHECK(fsync(p) == 0 && close(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) _exit(3);
        int c = open(ft_path(argv[1], "child.dat"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (c < 0) _exit(4);
        ft_write_all(c, 20);
        if (fsync(c) != 0 || fdatasync(c) != 0) _exit(5);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("child pid=%d status=%d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
