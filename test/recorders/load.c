/*
 * load.c — the recorder under load: many threads, a fork storm, signal
 * handlers that sync inside the recorder, and a program killed mid-call.
 *
 * usage: load DIR threads T K NFILES ACCOUNT
 *          T threads, K rounds each, over NFILES files shared by all
 *          threads: each round one pwrite and one durability call of a kind
 *          that goes round fsync, fdatasync, sync_file_range, pwritev2
 *          RWF_DSYNC, a write on an O_DSYNC descriptor.
 *        load DIR fork DEPTH WIDTH N ACCOUNT
 *          A tree: every process makes N fsyncs of its own file, then forks
 *          WIDTH children (all at once) that do the same, DEPTH levels deep;
 *          a leaf with an odd index execs this program again ("leaf"),
 *          which makes N fsyncs of another file of its own.
 *        load DIR signals T K ACCOUNT
 *          T threads pwrite + fsync their own file K times while another
 *          thread sends them SIGUSR1 every few microseconds; the handler
 *          pwrites and fsyncs a file of the interrupted thread's own. At
 *          least K signals are sent: a thread through its K rounds goes on,
 *          at a slower pace, until the storm ends.
 *        load DIR crash T
 *          T threads pwrite + fsync/fdatasync/sync_file_range their own file
 *          until killed; after each call returns, one line on stdout (a
 *          pipe: each line one atomic write):  d t=T k=KIND
 *
 * stdout is the same with and without the recorder (no pids, no tids, no
 * timing-dependent counts), except in crash mode. What depends on the run
 * (tids, counts per file) goes to ACCOUNT, one line per (thread, file, kind):
 *   calls tid=N file=NAME kind=KIND n=COUNT
 */
#include "ft_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#ifndef RWF_DSYNC
#define RWF_DSYNC 0x2
#endif

static const char *dir;
static FILE *acc_file;
static pthread_mutex_t acct_lock = PTHREAD_MUTEX_INITIALIZER;

static void account_line(pid_t tid, const char *file, const char *kind, long n) {
    if (n == 0) return;
    pthread_mutex_lock(&acct_lock);
    fprintf(acc_file, "calls tid=%d file=%s kind=%s n=%ld\n", (int)tid, file, kind, n);
    pthread_mutex_unlock(&acct_lock);
}

static void open_account(const char *path) {
    acc_file = fopen(path, "a");
    CHECK(acc_file != NULL);
    setvbuf(acc_file, NULL, _IOLBF, 0);
}

/* ---- threads ---- */

enum { K_FSYNC, K_FDATASYNC, K_SFR, K_RWF_DSYNC, K_ODSYNC, K_KINDS };
static const char *kind_name[K_KINDS] = {"fsync", "fdatasync", "sync_file_range", "rwf_dsync_write",
                                         "o_dsync_write"};

static int nfiles;
static int *plain_fd, *dsync_fd;
static pthread_barrier_t go;

struct worker {
    int index;
    long k;
    pid_t tid;
    long failed;
    long bytes;
    long (*count)[K_KINDS]; /* [file][kind] */
};

static void *threads_run(void *arg) {
    struct worker *w = arg;
    w->tid = (pid_t)syscall(SYS_gettid);
    char buf[128];
    memset(buf, 'a' + w->index % 26, sizeof buf);
    pthread_barrier_wait(&go);
    for (long j = 0; j < w->k; j++) {
        int f = (int)((w->index * 5 + j) % nfiles);
        int kind = (int)((j + w->index) % K_KINDS);
        off_t off = (off_t)((w->index * 7919 + j) % 1024) * 128;
        if (pwrite(plain_fd[f], buf, 100, off) == 100) w->bytes += 100; else w->failed++;
        long r;
        switch (kind) {
        case K_FSYNC: r = fsync(plain_fd[f]); break;
        case K_FDATASYNC: r = fdatasync(plain_fd[f]); break;
        case K_SFR: r = sync_file_range(plain_fd[f], off, 100, SYNC_FILE_RANGE_WRITE); break;
        case K_RWF_DSYNC: {
            struct iovec v = {buf, 28};
            r = pwritev2(plain_fd[f], &v, 1, off, RWF_DSYNC) == 28 ? 0 : -1;
            if (r == 0) w->bytes += 28;
            break;
        }
        default:
            r = pwrite(dsync_fd[f], buf, 16, off) == 16 ? 0 : -1;
            if (r == 0) w->bytes += 16;
            break;
        }
        if (r != 0) w->failed++;
        w->count[f][kind]++;
    }
    return NULL;
}

static int threads_main(int n, long k, const char *account) {
    CHECK(n > 0 && n <= 64 && nfiles > 0);
    open_account(account);
    plain_fd = calloc((size_t)nfiles, sizeof *plain_fd);
    dsync_fd = calloc((size_t)nfiles, sizeof *dsync_fd);
    CHECK(plain_fd && dsync_fd);
    for (int f = 0; f < nfiles; f++) {
        char name[32];
        snprintf(name, sizeof name, "f%d", f);
        plain_fd[f] = open(ft_path(dir, name), O_CREAT | O_RDWR | O_TRUNC, 0644);
        dsync_fd[f] = open(ft_path(dir, name), O_WRONLY | O_DSYNC);
        CHECK(plain_fd[f] >= 0 && dsync_fd[f] >= 0);
    }
    struct worker w[64];
    pthread_t th[64];
    CHECK(pthread_barrier_init(&go, NULL, (unsigned)n) == 0);
    for (int t = 0; t < n; t++) {
        w[t] = (struct worker){.index = t, .k = k};
        w[t].count = calloc((size_t)nfiles, sizeof *w[t].count);
        CHECK(w[t].count != NULL);
        CHECK(pthread_create(&th[t], NULL, threads_run, &w[t]) == 0);
    }
    for (int t = 0; t < n; t++) CHECK(pthread_join(th[t], NULL) == 0);
    for (int t = 0; t < n; t++) {
        for (int f = 0; f < nfiles; f++) {
            char name[32];
            snprintf(name, sizeof name, "f%d", f);
            for (int kind = 0; kind < K_KINDS; kind++) account_line(w[t].tid, name, kind_name[kind], w[t].count[f][kind]);
        }
        printf("thread index=%d calls=%ld failed=%ld bytes=%ld\n", t, w[t].k, w[t].failed, w[t].bytes);
    }
    long size = 0;
    for (int f = 0; f < nfiles; f++) {
        size += lseek(plain_fd[f], 0, SEEK_END);
        CHECK(close(plain_fd[f]) == 0 && close(dsync_fd[f]) == 0);
    }
    printf("files n=%d size=%ld\ndone\n", nfiles, size);
    return 0;
}

/* ---- fork ---- */

static int fsyncs_of(const char *name, long n) {
    int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    int failed = 0;
    for (long i = 0; i < n; i++) {
        CHECK(pwrite(fd, "abcdefgh", 8, i * 8) == 8);
        if (fsync(fd) != 0) failed++;
    }
    CHECK(close(fd) == 0);
    return failed;
}

static const char *self_exe, *account_path;

/* Returns the number of processes (images) in this subtree that succeeded. */
static int node(const char *path, int depth, int width, long n, int index) {
    char name[64];
    snprintf(name, sizeof name, "p%s", path);
    int failed = fsyncs_of(name, n);
    fprintf(acc_file, "proc image=fork name=%s pid=%d failed=%d\n", name, (int)getpid(), failed);
    if (depth == 0) {
        if (index % 2 == 1) {
            char ns[32], pathx[64];
            snprintf(ns, sizeof ns, "%ld", n);
            snprintf(pathx, sizeof pathx, "%s", path);
            fclose(acc_file);
            execl(self_exe, self_exe, dir, "leaf", pathx, ns, account_path, (char *)NULL);
            _exit(97);
        }
        return failed == 0;
    }
    pid_t kids[64];
    for (int w = 0; w < width; w++) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s.%d", path, w);
        fflush(acc_file);
        kids[w] = fork();
        CHECK(kids[w] >= 0);
        if (kids[w] == 0) {
            int ok = node(sub, depth - 1, width, n, w);
            fclose(acc_file);
            _exit(ok > 255 ? 255 : ok); /* a leaf's count; inner nodes say 1 when all held */
        }
    }
    int ok = failed == 0;
    for (int w = 0; w < width; w++) {
        int st;
        CHECK(waitpid(kids[w], &st, 0) == kids[w]);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 1) ok++;
    }
    return ok == width + 1 ? 1 : 0;
}

static int fork_main(int depth, int width, long n) {
    CHECK(depth >= 0 && depth <= 6 && width >= 1 && width <= 16);
    int ok = node("0", depth, width, n, 0);
    long procs = 0, p = 1, execs = 0;
    for (int d = 0; d <= depth; d++, p *= width) procs += p;
    for (long leaves = p / width, i = 0; i < leaves; i++) execs += i % width % 2 == 1;
    printf("tree depth=%d width=%d processes=%ld execs=%ld fsyncs_each=%ld all_ok=%d\ndone\n", depth, width,
           procs, execs, n, ok);
    return 0;
}

static int leaf_main(const char *path, long n) {
    char name[64];
    snprintf(name, sizeof name, "x%s", path);
    int failed = fsyncs_of(name, n);
    fprintf(acc_file, "proc image=exec name=%s pid=%d failed=%d\n", name, (int)getpid(), failed);
    fclose(acc_file);
    _exit(failed == 0 ? 1 : 0);
}

/* ---- signals ---- */

static __thread int my_index = -1;
static int handler_fd[64];
static volatile long handled[64];
static volatile long handler_failed;
static int workers_finished, workers_stop;

static void on_usr1(int sig) {
    (void)sig;
    int saved = errno;
    int t = my_index;
    if (t >= 0) {
        if (pwrite(handler_fd[t], "h", 1, 0) != 1 || fsync(handler_fd[t]) != 0) handler_failed++;
        handled[t]++;
    }
    errno = saved;
}

struct sworker {
    int index;
    long k, failed, extra;
    pid_t tid;
    pthread_t self;
};

static void *signals_run(void *arg) {
    struct sworker *w = arg;
    w->tid = (pid_t)syscall(SYS_gettid);
    char name[32];
    snprintf(name, sizeof name, "s%d", w->index);
    int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    my_index = w->index;
    pthread_barrier_wait(&go);
    for (long j = 0; j < w->k; j++) {
        if (pwrite(fd, "m", 1, j) != 1) w->failed++;
        if (fsync(fd) != 0) w->failed++;
        if (j % 256 == 255) { /* open and close inside the storm too */
            my_index = -1;
            CHECK(close(fd) == 0);
            fd = open(ft_path(dir, name), O_WRONLY);
            CHECK(fd >= 0);
            my_index = w->index;
        }
    }
    __atomic_fetch_add(&workers_finished, 1, __ATOMIC_SEQ_CST);
    /* Go on (and be signalled) until every worker is through and the storm
     * has been long enough: a thread that has returned must not be
     * signalled. These extra rounds are in the account, not on stdout. */
    while (!__atomic_load_n(&workers_stop, __ATOMIC_SEQ_CST)) {
        if (pwrite(fd, "e", 1, 0) != 1 || fsync(fd) != 0) w->failed++;
        w->extra++;
        usleep(20);
    }
    my_index = -1;
    CHECK(close(fd) == 0);
    return NULL;
}

static int signals_main(int n, long k, const char *account) {
    CHECK(n > 0 && n <= 64);
    open_account(account);
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    CHECK(sigemptyset(&sa.sa_mask) == 0 && sigaction(SIGUSR1, &sa, NULL) == 0);
    struct sworker w[64];
    pthread_t th[64];
    for (int t = 0; t < n; t++) {
        char name[32];
        snprintf(name, sizeof name, "h%d", t);
        handler_fd[t] = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        CHECK(handler_fd[t] >= 0);
    }
    CHECK(pthread_barrier_init(&go, NULL, (unsigned)n + 1) == 0);
    for (int t = 0; t < n; t++) {
        w[t] = (struct sworker){.index = t, .k = k};
        CHECK(pthread_create(&th[t], NULL, signals_run, &w[t]) == 0);
    }
    pthread_barrier_wait(&go);
    /* Signal the workers, round robin, every ~10 µs, until all are through. */
    long sent = 0;
    struct timespec pause = {0, 10000};
    for (int t = 0; __atomic_load_n(&workers_finished, __ATOMIC_SEQ_CST) < n || sent < k; t = (t + 1) % n) {
        if (pthread_kill(th[t], SIGUSR1) == 0) sent++;
        nanosleep(&pause, NULL);
    }
    __atomic_store_n(&workers_stop, 1, __ATOMIC_SEQ_CST);
    for (int t = 0; t < n; t++) CHECK(pthread_join(th[t], NULL) == 0);
    long total = 0;
    for (int t = 0; t < n; t++) {
        char name[32];
        snprintf(name, sizeof name, "s%d", t);
        account_line(w[t].tid, name, "fsync", w[t].k + w[t].extra);
        snprintf(name, sizeof name, "h%d", t);
        account_line(w[t].tid, name, "fsync", handled[t]);
        total += handled[t];
        printf("thread index=%d fsyncs=%ld failed=%ld\n", t, w[t].k, w[t].failed);
    }
    fprintf(acc_file, "signals sent=%ld handled=%ld\n", sent, total);
    printf("handler failed=%ld\ndone\n", (long)handler_failed);
    return 0;
}

/* ---- crash ---- */

static void *crash_run(void *arg) {
    int t = (int)(long)arg;
    char name[32], line[64];
    snprintf(name, sizeof name, "c%d", t);
    int n = snprintf(line, sizeof line, "start t=%d tid=%d\n", t, (int)syscall(SYS_gettid));
    CHECK(write(1, line, (size_t)n) == n);
    int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    static const char *kinds[3] = {"fsync", "fdatasync", "sync_file_range"};
    for (long j = 0;; j++) {
        CHECK(pwrite(fd, "0123456789", 10, (j % 100) * 10) == 10);
        int kind = (int)(j % 3), r;
        r = kind == 0 ? fsync(fd) : kind == 1 ? fdatasync(fd) : sync_file_range(fd, 0, 10, SYNC_FILE_RANGE_WRITE);
        CHECK(r == 0);
        n = snprintf(line, sizeof line, "d t=%d k=%s\n", t, kinds[kind]);
        CHECK(write(1, line, (size_t)n) == n);
    }
    return NULL;
}

static int crash_main(int n) {
    CHECK(n > 0 && n <= 64);
    pthread_t th[64];
    for (int t = 0; t < n; t++) CHECK(pthread_create(&th[t], NULL, crash_run, (void *)(long)t) == 0);
    for (;;) pause();
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    dir = argv[1];
    self_exe = "/proc/self/exe";
    const char *mode = argv[2];
    if (strcmp(mode, "threads") == 0 && argc == 7) {
        nfiles = atoi(argv[5]);
        return threads_main(atoi(argv[3]), atol(argv[4]), argv[6]);
    }
    if (strcmp(mode, "fork") == 0 && argc == 7) {
        account_path = argv[6];
        open_account(account_path);
        return fork_main(atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
    }
    if (strcmp(mode, "leaf") == 0 && argc == 6) {
        account_path = argv[5];
        open_account(account_path);
        return leaf_main(argv[3], atol(argv[4]));
    }
    if (strcmp(mode, "signals") == 0 && argc == 6) return signals_main(atoi(argv[3]), atol(argv[4]), argv[5]);
    if (strcmp(mode, "crash") == 0 && argc == 4) return crash_main(atoi(argv[3]));
    fprintf(stderr, "usage: see load.c\n");
    return FT_SETUP_FAILED;
}
