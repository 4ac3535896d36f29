/*
 * signals.c — fsync from a signal handler that interrupts the program's own
 * fsyncs, writes and opens (and so, often, the recorder's wrappers).
 *
 * usage: signals DIR ROUNDS [same]
 *
 * A 50 µs interval timer sends SIGALRM; its handler fsyncs "handler" and
 * counts. The main loop writes, fsyncs and reopens "main" ROUNDS times.
 * With "same", the handler fsyncs "main" instead, through a descriptor of
 * its own: the handler's syncs land in the recorder's updates of the very
 * summary entry they count into. Prints "count main=N handler=H".
 */
#include "ft_test.h"

#include <signal.h>
#include <sys/time.h>

static int handler_fd;
static volatile sig_atomic_t handled;
static volatile sig_atomic_t failed;

static void on_alarm(int sig) {
    (void)sig;
    int saved = errno;
    if (fsync(handler_fd) != 0) failed = 1;
    handled++;
    errno = saved;
}

int main(int argc, char **argv) {
    CHECK(argc == 3 || (argc == 4 && strcmp(argv[3], "same") == 0));
    long rounds = atol(argv[2]);
    handler_fd = open(ft_path(argv[1], argc == 4 ? "main" : "handler"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(handler_fd >= 0);
    int fd = open(ft_path(argv[1], "main"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    CHECK(sigemptyset(&sa.sa_mask) == 0 && sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval every = {{0, 50}, {0, 50}};
    CHECK(setitimer(ITIMER_REAL, &every, NULL) == 0);
    long done = 0;
    for (long i = 0; i < rounds; i++) {
        CHECK(pwrite(fd, "x", 1, 0) == 1);
        CHECK(fsync(fd) == 0);
        done++;
        if (i % 100 == 99) {                    /* reopen now and then: the open path too */
            CHECK(close(fd) == 0);
            fd = open(ft_path(argv[1], "main"), O_WRONLY);
            CHECK(fd >= 0);
        }
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    CHECK(failed == 0);
    printf("count main=%ld handler=%d\n", done, (int)handled);
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
