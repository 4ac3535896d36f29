/*
 * rawfork.c — a child made by _Fork(), which runs no atfork handler: it
 * starts on its parent's thread state (the recorder's thread-local block,
 * tid and summary entries are the parent thread's) and the parent's file
 * tracks, which say that thread owns the file's summary entries.
 *
 * usage: rawfork DIR N
 *
 * The parent fsyncs DIR/shared N times (its thread takes the file's own
 * summary entries), then makes a child with _Fork(). The child fsyncs the
 * same file from a signal handler first (SIGUSR1, raised before anything
 * else it records), then from its main thread and a second thread, N times
 * each, and exits; the parent waits and fsyncs N more times. Each fsync
 * writes one byte first. Prints "sync who=W tid=T count=K" per thread and
 * "child pid=P status=S".
 */
#include "ft_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static int fd;
static long n;
static volatile long in_handler;

static void sync_once(void) {
    CHECK(write(fd, "y", 1) == 1);
    CHECK(fsync(fd) == 0);
}

static void on_usr1(int sig) {
    (void)sig;
    int saved = errno;
    sync_once();
    in_handler++;
    errno = saved;
}

static void *second(void *arg) {
    (void)arg;
    for (long i = 0; i < n; i++) sync_once();
    printf("sync who=second tid=%d count=%ld\n", gettid(), n);
    return NULL;
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    n = atol(argv[2]);
    fd = open(ft_path(argv[1], "shared"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    for (long i = 0; i < n; i++) sync_once();
    printf("sync who=parent tid=%d count=%ld\n", gettid(), n);
    fflush(stdout);
    pid_t pid = _Fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
        CHECK(raise(SIGUSR1) == 0);
        printf("sync who=handler tid=%d count=%ld\n", gettid(), in_handler);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, second, NULL) == 0);
        for (long i = 0; i < n; i++) sync_once();
        CHECK(pthread_join(t, NULL) == 0);
        printf("sync who=child tid=%d count=%ld\n", gettid(), n);
        fflush(stdout);
        exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("child pid=%d status=%d\n", pid, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    for (long i = 0; i < n; i++) sync_once();
    printf("sync who=parent2 tid=%d count=%ld\n", gettid(), n);
    CHECK(close(fd) == 0);
    return 0;
}
