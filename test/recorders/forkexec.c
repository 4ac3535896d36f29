/*
 * forkexec.c — a parent, a fork child, and the program the child execs.
 *
 * usage: forkexec DIR EXECD
 *
 * The parent fsyncs "parent" before and after the fork. The child fsyncs
 * "child", opens "inherited" (without O_CLOEXEC), writes to it, then execs
 * EXECD (execd.c) with the descriptor's number. A second child exits without
 * any record. Each process image must get its own trace file.
 * Prints: "proc role=R pid=P ppid=Q" per process, and sync lines.
 */
#include "ft_test.h"

#include <sys/wait.h>

static void write_and_sync(const char *label, int fd, size_t n) {
    ft_write_all(fd, n);
    int r = fsync(fd);
    ft_said("sync", label, "fsync", fd, r, errno);
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    const char *d = argv[1];
    printf("proc role=parent pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
    int p = open(ft_path(d, "parent"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(p >= 0);
    write_and_sync("parent1", p, 10);
    CHECK(fflush(stdout) == 0);                 /* nothing buffered to print twice */

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        printf("proc role=child pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
        int c = open(ft_path(d, "child"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(c >= 0);
        write_and_sync("child1", c, 20);
        int x = open(ft_path(d, "inherited"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(x >= 0);
        ft_write_all(x, 5);
        char num[16];
        snprintf(num, sizeof num, "%d", x);
        printf("exec fd=%d\n", x);
        CHECK(fflush(stdout) == 0);
        execl(argv[2], "execd", d, num, (char *)NULL);
        CHECK(!"execl");
    }
    pid_t quiet = fork();                       /* records nothing, so leaves no file */
    CHECK(quiet >= 0);
    if (quiet == 0) _exit(0);

    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(waitpid(quiet, &status, 0) == quiet && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    write_and_sync("parent2", p, 30);
    printf("proc role=quiet pid=%d ppid=%d\n", (int)quiet, (int)getpid());
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
