/*
 * children.c — children that run in the parent's memory: vfork(2), a raw
 * clone(CLONE_VM|CLONE_VFORK) and posix_spawn. Whatever the child does
 * between its birth and its exec or _exit must not touch the parent's
 * recorder state: not the trace it owns, not its descriptor table.
 *
 * usage: children DIR MODE
 *   vfork-first   the child makes the first call the recorder sees
 *   vfork-after   the parent records first, then vforks
 *   clone         a raw clone(CLONE_VM|CLONE_VFORK) child, first
 *   spawn         posix_spawn with file actions, of a program that is missing
 *
 * The child opens DIR/child.log, writes 5 bytes, fsyncs and exits without
 * closing it (so its descriptor number is free again in the parent). The
 * parent then makes a file with mkstemp (a descriptor the recorder did not
 * see opened: it asks the kernel its name) and writes 10 bytes + fsync, then
 * opens DIR/parent.log, writes 20 bytes + fsync, and closes both.
 * Prints "child pid=N", one "sync" line per parent call with "path=", and
 * "done pid=N".
 */
#define _GNU_SOURCE
#include "ft_test.h"

#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;
static const char *dir;

static int child_work(void *unused) {
    (void)unused;
    int fd = open(ft_path(dir, "child.log"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) _exit(3);
    if (write(fd, "child", 5) != 5 || fsync(fd) != 0) _exit(4);
    _exit(0);
}

static void parent_work(void) {
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/parent.XXXXXX", dir);
    int t = mkstemp(tmpl);
    CHECK(t >= 0);
    ft_write_all(t, 10);
    int r = fsync(t);
    printf("sync label=mkstemp fd=%d ret=%d path=%s\n", t, r, tmpl);
    int p = open(ft_path(dir, "parent.log"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(p >= 0);
    ft_write_all(p, 20);
    r = fsync(p);
    printf("sync label=open fd=%d ret=%d path=%s\n", p, r, ft_path(dir, "parent.log"));
    CHECK(close(t) == 0 && close(p) == 0);
}

static void reap(pid_t pid) {
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("child pid=%d status=%d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    dir = argv[1];
    const char *mode = argv[2];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (strcmp(mode, "vfork-after") == 0) {
        int a = open(ft_path(dir, "before.log"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(a >= 0);
        ft_write_all(a, 7);
        printf("sync label=before fd=%d ret=%d path=%s\n", a, fsync(a), ft_path(dir, "before.log"));
        CHECK(close(a) == 0);
    }
    if (strncmp(mode, "vfork", 5) == 0) {
        pid_t pid = vfork();
        CHECK(pid >= 0);
        if (pid == 0) child_work(NULL);
        reap(pid);
    } else if (strcmp(mode, "clone") == 0) {
        static char stack[1 << 16] __attribute__((aligned(16)));
        pid_t pid = clone(child_work, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
        CHECK(pid > 0);
        reap(pid);
    } else if (strcmp(mode, "spawn") == 0) {
        posix_spawn_file_actions_t fa;
        CHECK(posix_spawn_file_actions_init(&fa) == 0);
        CHECK(posix_spawn_file_actions_addopen(&fa, 9, ft_path(dir, "child.log"), O_CREAT | O_WRONLY, 0644) == 0);
        char *args[] = {"missing", NULL};
        pid_t pid;
        int e = posix_spawn(&pid, ft_path(dir, "no-such-program"), &fa, NULL, args, environ);
        printf("spawn ret=%d\n", e);
        if (e == 0) reap(pid);
    } else {
        CHECK(!"a known mode");
    }
    parent_work();
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
