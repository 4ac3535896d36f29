/*
 * launch.c — fsync-launch, the process that `fsync-record` is.
 *
 *   fsync-launch PLANNER ARGS...
 *
 * bin/fsync-record execs this with the Node half (PLANNER, bin/fsync-record.js)
 * and the user's arguments. The planner parses them, checks the trace
 * directory, prints help or the library's path itself, and, to run a
 * command, writes a plan on the descriptor named by FSYNC_RECORD_PLAN_FD:
 * NUL-terminated strings
 *
 *   exec|stay  TRACE_DIR  NAME=VALUE...  --  CMD ARGS...
 *
 * Then the planner is gone (no Node process stays resident), and this one:
 *  - exec: replaces itself with the command, which so keeps this PID, every
 *    inherited descriptor, the signal mask and every ignored signal;
 *  - stay: forks the command with the same inheritance and stays as a small
 *    parent: every signal another process sends it is passed on (a terminal's
 *    signals reach the whole foreground group already, so those are not sent
 *    twice), a job-control stop of the command stops it too, and once the
 *    command ends it lists the command's traces and ends the same way:
 *    the same exit code, or death by the same signal; when the supervisor
 *    that started it dies, it dies too (a command that set
 *    PR_SET_PDEATHSIG gets its signal, as it would without this parent), and
 *    socket activation's LISTEN_PID, when it names this process, names the
 *    command instead.
 * A command that cannot be run ends it with 127 when it is missing and 126
 * when it cannot be executed, as shells do.
 */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FT_PLAN_MAX (1 << 20)

static volatile pid_t ft_child;
static pid_t ft_supervisor; /* our parent when we started */

/* Run the planner with the plan pipe's write end on a descriptor of its own;
 * read the plan; return its length, or exit as the planner did. */
static size_t ft_plan(int argc, char **argv, char *buf)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        perror("fsync-record: pipe");
        exit(2);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fsync-record: fork");
        exit(2);
    }
    if (pid == 0) {
        char fdnum[16];
        snprintf(fdnum, sizeof fdnum, "%d", p[1]);
        fcntl(p[1], F_SETFD, 0);
        setenv("FSYNC_RECORD_PLAN_FD", fdnum, 1);
        argv[argc] = NULL;
        execv(argv[1], argv + 1);
        fprintf(stderr, "fsync-record: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(2);
    }
    close(p[1]);
    size_t len = 0;
    for (;;) {
        ssize_t r = read(p[0], buf + len, FT_PLAN_MAX - 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status)) exit(2);
    if (WEXITSTATUS(status) != 0 || len == 0) exit(WEXITSTATUS(status));
    buf[len] = '\0';
    return len;
}

/* Exec the command; on failure say why and end as a shell would. */
static void ft_exec(char **cmd)
{
    execvp(cmd[0], cmd);
    int err = errno;
    fprintf(stderr, "fsync-record: cannot run %s: %s\n", cmd[0], err == ENOENT ? "command not found" : strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

/* Signals this process never takes as its own: the ones it cannot catch,
 * its children's, and the faults its own code would raise. */
static int ft_not_forwarded(int sig)
{
    return sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGSEGV || sig == SIGBUS ||
           sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS || (sig > 31 && sig < SIGRTMIN);
}

static int ft_job_stop(int sig)
{
    return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Pass a signal on when another process sent it (si_code <= 0: kill,
 * sigqueue, tgkill). One the kernel raised (SI_KERNEL: a terminal's ^C,
 * ^\, ^Z or resize, sent to the whole foreground group) reached the command
 * as well. A job-control stop stops this process too, so the shell sees the
 * job stopped. */
static void ft_forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    if (si->si_code <= 0 && si->si_pid != getpid() && ft_child > 0) kill(ft_child, sig);
    if (ft_job_stop(sig)) raise(SIGSTOP);
    errno = saved;
}

/* End the way the command ended. A signal that does not kill by default, or
 * that this process ignored on entry, leaves the shell's convention. */
static void ft_end_like(int status)
{
    if (WIFEXITED(status)) exit(WEXITSTATUS(status));
    int sig = WTERMSIG(status);
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none); /* the command's core, not this process's */
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    exit(128 + sig);
}

/* Socket activation (sd_listen_fds(3)): the inherited sockets are for the
 * process LISTEN_PID names. A supervisor (systemd, systemd-socket-activate)
 * named this one; in the forked command they are the command's. */
static void ft_listen_pid(pid_t launcher)
{
    const char *named = getenv("LISTEN_PID");
    char mine[24];
    if (!named || strtol(named, NULL, 10) != (long)launcher) return;
    snprintf(mine, sizeof mine, "%d", (int)getpid());
    setenv("LISTEN_PID", mine, 1);
}

static void ft_stay(char **cmd, const char *dir)
{
    /* The command may ask to die with its parent (PR_SET_PDEATHSIG, as
     * supervised daemons do): its parent is this process, not the
     * supervisor, so this one dies with the supervisor, at once and passing
     * nothing on (SIGKILL), and the command's own signal follows. Cleared
     * in the forked command (prctl(2)). If the supervisor is gone already,
     * the command replaces this process instead, as orphaned as it would be. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != ft_supervisor) ft_exec(cmd);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t start_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    /* The run's mark in every trace its process tree makes (header
     * launch_id): the start time and this pid, so two runs never share it. */
    uint64_t launch_id = (start_ns ^ ((uint64_t)getpid() << 44)) | 1;
    char mark[24];
    snprintf(mark, sizeof mark, "%llu", (unsigned long long)launch_id);
    setenv("FSYNC_TRACE_LAUNCH", mark, 1);
    /* Block everything across the fork: the child must not run our handler
     * before it has put the inherited dispositions back. */
    sigset_t all, inherited;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &inherited);
    struct sigaction was[NSIG];
    struct sigaction fwd = { .sa_sigaction = ft_forward, .sa_flags = SA_SIGINFO | SA_RESTART };
    sigfillset(&fwd.sa_mask);
    for (int sig = 1; sig < NSIG; sig++) {
        was[sig].sa_handler = SIG_DFL;
        if (ft_not_forwarded(sig) || sigaction(sig, NULL, &was[sig]) != 0) continue;
        if (was[sig].sa_handler == SIG_IGN) continue; /* ignored on entry (nohup): stays so */
        sigaction(sig, &fwd, NULL);
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        perror("fsync-record: pipe");
        exit(2);
    }
    pid_t self = getpid(), pid = fork();
    if (pid < 0) {
        perror("fsync-record: fork");
        exit(2);
    }
    if (pid == 0) {
        close(p[0]);
        ft_listen_pid(self);
        for (int sig = 1; sig < NSIG; sig++)
            if (!ft_not_forwarded(sig)) sigaction(sig, &was[sig], NULL);
        sigprocmask(SIG_SETMASK, &inherited, NULL);
        execvp(cmd[0], cmd);
        int err = errno;
        (void)!write(p[1], &err, sizeof err);
        fprintf(stderr, "fsync-record: cannot run %s: %s\n", cmd[0], err == ENOENT ? "command not found" : strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }
    ft_child = pid;
    close(p[1]);
    sigprocmask(SIG_SETMASK, &inherited, NULL);
    int err = 0;
    while (read(p[0], &err, sizeof err) < 0 && errno == EINTR) {}
    close(p[0]);
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WUNTRACED);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            perror("fsync-record: waitpid");
            exit(2);
        }
        if (WIFSTOPPED(status)) {
            if (ft_job_stop(WSTOPSIG(status))) raise(SIGSTOP);
            continue;
        }
        break;
    }
    signal(SIGPIPE, SIG_IGN); /* the listing goes to stderr, which may be gone */
    if (err == 0) ft_launch_report(dir, pid, start_ns, launch_id);
    ft_end_like(status);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "fsync-launch: usage: fsync-launch PLANNER [ARGS...] (run bin/fsync-record)\n");
        return 2;
    }
    ft_supervisor = getppid();
    static char buf[FT_PLAN_MAX];
    size_t len = ft_plan(argc, argv, buf);
    /* Split the plan into its strings. */
    static char *word[FT_PLAN_MAX / 2];
    size_t n = 0;
    for (size_t at = 0; at < len; at += strlen(buf + at) + 1) word[n++] = buf + at;
    word[n] = NULL;
    size_t i = 2;
    if (n < 4) goto bad;
    for (; i < n && strcmp(word[i], "--") != 0; i++)
        if (strchr(word[i], '=') == NULL || putenv(word[i]) != 0) goto bad;
    if (i + 1 >= n) goto bad;
    unsetenv("FSYNC_RECORD_PLAN_FD");
    if (strcmp(word[0], "exec") == 0) ft_exec(word + i + 1);
    if (strcmp(word[0], "stay") == 0) ft_stay(word + i + 1, word[1]);
bad:
    fprintf(stderr, "fsync-record: internal error: a malformed plan from %s\n", argv[1]);
    return 2;
}
