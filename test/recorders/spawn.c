/*
 * spawn.c — posix_spawn: glibc runs the child with CLONE_VM|CLONE_VFORK, in
 * the parent's memory, and no atfork handler runs. The parent's trace must
 * hold the parent's calls only, and the spawned program gets its own file.
 *
 * usage: spawn DIR EXECD
 *
 * Prints "spawned pid=P status=S fd=F" and sync lines.
 */
#include "ft_test.h"

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static void write_and_sync(const char *label, int fd) {
    ft_write_all(fd, 10);
    int r = fsync(fd);
    ft_said("sync", label, "fsync", fd, r, errno);
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    int p = open(ft_path(argv[1], "spawner"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(p >= 0);
    write_and_sync("before", p);
    int x = open(ft_path(argv[1], "inherited"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(x >= 0);
    char num[16];
    snprintf(num, sizeof num, "%d", x);
    char *args[] = {"execd", (char *)argv[1], num, NULL};
    CHECK(fflush(stdout) == 0);
    pid_t pid;
    CHECK(posix_spawn(&pid, argv[2], NULL, NULL, args, environ) == 0);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("spawned pid=%d status=%d fd=%d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1, x);
    write_and_sync("after", p);
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
