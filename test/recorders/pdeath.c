/*
 * pdeath OUT — a service that asks to die with its parent
 * (prctl(PR_SET_PDEATHSIG, SIGUSR1), as daemons run by a supervisor do):
 * writes "ready pid=P ppid=Q" to OUT, waits, and when the signal comes
 * writes "died sig=S ppid=R" (R: its new parent) and exits 0. After 30 s
 * with no signal it writes "alive" and exits 1.
 */
#include "ft_test.h"
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

static const char *out;

static void say(const char *what)
{
    int fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        (void)!write(fd, what, strlen(what));
        close(fd);
    }
}

static void died(int sig)
{
    char line[96];
    snprintf(line, sizeof line, "died sig=%d ppid=%d\n", sig, (int)getppid());
    say(line);
    _exit(0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    out = argv[1];
    CHECK(signal(SIGUSR1, died) != SIG_ERR);
    CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1) == 0);
    char line[96];
    snprintf(line, sizeof line, "ready pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
    say(line);
    struct timespec s = {30, 0};
    while (nanosleep(&s, &s) != 0 && errno == EINTR) {}
    say("alive\n");
    return 1;
}
