/*
 * forkthreads.c — fork while other threads are inside the recorder.
 *
 * usage: forkthreads DIR THREADS FORKS
 *
 * THREADS threads fsync their own files in a loop until told to stop; main
 * forks FORKS children meanwhile. Each child fsyncs "child<i>" once and
 * exits. A child that inherits a lock held by a thread that does not exist
 * in it would hang: the parent waits for each with a timeout of 10 s.
 * Prints "thread index=T tid=N fsyncs=K", "child index=I pid=P status=S".
 */
#include "ft_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

struct worker {
    int index;
    pid_t tid;
    long fsyncs;
};

static const char *dir;
static volatile int stop;

static void *run(void *arg) {
    struct worker *w = arg;
    w->tid = gettid();
    char name[32];
    snprintf(name, sizeof name, "w%d", w->index);
    int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        CHECK(write(fd, "y", 1) == 1);
        CHECK(fsync(fd) == 0);
        w->fsyncs++;
    }
    CHECK(close(fd) == 0);
    return NULL;
}

/* waitpid with a deadline: a child stuck in a lock is killed and reported. */
static int wait_child(pid_t pid) {
    for (int i = 0; i < 10000; i++) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        CHECK(r >= 0);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    kill(pid, SIGKILL);
    CHECK(waitpid(pid, NULL, 0) == pid);
    return -1;
}

int main(int argc, char **argv) {
    CHECK(argc == 4);
    dir = argv[1];
    int n = atoi(argv[2]);
    int forks = atoi(argv[3]);
    CHECK(n > 0 && n <= 16);
    struct worker w[16];
    pthread_t th[16];
    for (int t = 0; t < n; t++) {
        w[t] = (struct worker){.index = t};
        CHECK(pthread_create(&th[t], NULL, run, &w[t]) == 0);
    }
    CHECK(fflush(stdout) == 0);
    for (int i = 0; i < forks; i++) {
        struct timespec pause = {0, 200000};
        nanosleep(&pause, NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char name[32];
            snprintf(name, sizeof name, "child%d", i);
            int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
            if (fd < 0 || write(fd, "c", 1) != 1 || fsync(fd) != 0) _exit(3);
            exit(0);
        }
        printf("child index=%d pid=%d status=%d\n", i, (int)pid, wait_child(pid));
        CHECK(fflush(stdout) == 0);             /* or the next child prints it again at exit */
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int t = 0; t < n; t++) CHECK(pthread_join(th[t], NULL) == 0);
    for (int t = 0; t < n; t++) printf("thread index=%d tid=%d fsyncs=%ld\n", t, (int)w[t].tid, w[t].fsyncs);
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
