/*
 * clockrace.c — a signal handler that records a call while the thread it
 * interrupted is in the middle of reading the recorder's clock.
 *
 * usage: clockrace CALLS HOGS
 *
 * The main thread makes CALLS failing fsync(-1) calls (cheap, each one an
 * event with fd -1) while a 50 µs interval timer's handler makes fsync(-2)
 * calls (fd -2). HOGS threads spin without calling anything, so that the
 * main thread is preempted often, at random points, and comes back with a
 * signal pending. The suite checks that the main thread's own events start
 * in order: a time read that mixes two clock anchors shows up as a start
 * time milliseconds off. The hogs block SIGALRM, so the handler only ever
 * interrupts the main thread (and never runs twice at once, which would
 * lose counts). Prints "count main=N handler=H".
 */
#include "ft_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t handled;
static volatile int stop;

static void on_alarm(int sig) {
    (void)sig;
    int saved = errno;
    (void)fsync(-2);
    handled++;
    errno = saved;
}

static void *hog(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
    }
    return NULL;
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    long calls = atol(argv[1]);
    int hogs = atoi(argv[2]);
    CHECK(hogs >= 0 && hogs <= 16);
    pthread_t th[16];
    sigset_t alrm;
    CHECK(sigemptyset(&alrm) == 0 && sigaddset(&alrm, SIGALRM) == 0);
    CHECK(pthread_sigmask(SIG_BLOCK, &alrm, NULL) == 0);   /* the hogs inherit the mask */
    for (int i = 0; i < hogs; i++) CHECK(pthread_create(&th[i], NULL, hog, NULL) == 0);
    CHECK(pthread_sigmask(SIG_UNBLOCK, &alrm, NULL) == 0);
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    CHECK(sigemptyset(&sa.sa_mask) == 0 && sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval every = {{0, 50}, {0, 50}};
    CHECK(setitimer(ITIMER_REAL, &every, NULL) == 0);
    long failed = 0;
    for (long i = 0; i < calls; i++)
        if (fsync(-1) == -1 && errno == EBADF) failed++;
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < hogs; i++) CHECK(pthread_join(th[i], NULL) == 0);
    CHECK(failed == calls);
    printf("count main=%ld handler=%d\n", calls, (int)handled);
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
