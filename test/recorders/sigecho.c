/*
 * sigecho.c — a program that says which signals reach it.
 *
 *   sigecho EXIT_CODE
 *
 * Blocks every signal a supervisor may send, prints "ready pid=N ppid=M",
 * then takes them one at a time with sigwaitinfo and prints
 * "got sig=N from=PID" for each; after SIGTERM it exits with EXIT_CODE.
 * fsync-record's tests send signals to the launcher and read here what
 * reached the program.
 */
#include "ft_test.h"

#include <signal.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    int code = atoi(argv[1]);
    static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
                                SIGWINCH, SIGCONT, SIGURG, SIGPWR, SIGABRT, SIGXCPU, SIGVTALRM };
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++) sigaddset(&set, s);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("ready pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0) continue;
        printf("got sig=%d from=%d\n", sig, (int)si.si_pid);
        if (sig == SIGTERM) return code;
    }
}
