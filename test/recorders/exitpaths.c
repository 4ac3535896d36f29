/*
 * exitpaths: fork children that fsync a file and then end in different ways.
 *
 *   exitpaths DIR
 *
 * Child "_exit" ends with _exit(0), "_Exit" with _Exit(0), "exit" with
 * exit(0), "killed" is killed with SIGKILL after its fsync (it reports the
 * fsync, then waits). Each child prints `proc role=NAME pid=PID` first. The
 * parent waits for them all. A process image that ended normally has its
 * header flagged ended; a killed one has not.
 */
#include <signal.h>
#include <sys/wait.h>

#include "ft_test.h"

static void sync_one(const char *dir, const char *role)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, role);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "x", 1) == 1);
    int ret = fsync(fd);
    printf("sync label=%s call=fsync fd=%d ret=%d errno=0\n", role, fd, ret);
    printf("proc role=%s pid=%d\n", role, (int)getpid());
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *roles[] = {"_exit", "_Exit", "exit", "killed"};
    for (unsigned i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        int ready[2];
        CHECK(pipe(ready) == 0);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(ready[0]);
            sync_one(argv[1], roles[i]);
            if (i == 0)
                _exit(0);
            if (i == 1)
                _Exit(0);
            if (i == 2)
                exit(0);
            CHECK(write(ready[1], "r", 1) == 1);
            for (;;)
                pause();
        }
        close(ready[1]);
        int status;
        if (i == 3) {
            char c;
            CHECK(read(ready[0], &c, 1) == 1);
            kill(pid, SIGKILL);
        }
        close(ready[0]);
        CHECK(waitpid(pid, &status, 0) == pid);
    }
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
