/*
 * sigbus.c — the trace truncated under a running program, and the program's
 * own SIGBUS handling, which must be exactly what it is without the recorder.
 *
 * usage: sigbus DIR trunc SIZE THREADS ROUNDS
 *          THREADS threads pwrite + fsync their own file ROUNDS times; a
 *          quarter of the way in (all threads waiting at a barrier), the
 *          program truncates its own trace file to SIZE bytes (as someone
 *          else would: the recorder's next store into the mapping faults),
 *          and they go on. Prints what every call returned, summed.
 *        sigbus DIR own
 *          Its own SIGBUS handler (SA_SIGINFO | SA_RESETHAND), a fault of
 *          its own in a truncated mapping of its own file, signal(),
 *          sysv_signal(), kill(SIGBUS) with a handler and with SIG_IGN,
 *          every query of the disposition printed; the trace truncated in
 *          the middle of it all.
 *        sigbus DIR die
 *          The trace truncated, then a fault of its own with SIG_DFL: the
 *          program dies of SIGBUS, as it does without the recorder.
 *
 * Whether it found a trace to truncate goes to DIR/note, not stdout, so the
 * output is the same with and without the recorder.
 */
#include "ft_test.h"

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

static const char *dir;

/* Truncate this process's trace file, as an outsider would (size < 0: delete it). */
static void truncate_trace(off_t size) {
    const char *tdir = getenv("FSYNC_TRACE_DIR");
    char want[32], path[8192];
    int found = 0;
    snprintf(want, sizeof want, ".%d.", (int)getpid());
    DIR *d = tdir ? opendir(tdir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strstr(e->d_name, want) && strstr(e->d_name, ".fstrace")) {
            snprintf(path, sizeof path, "%s/%s", tdir, e->d_name);
            CHECK(size < 0 ? unlink(path) == 0 : truncate(path, size) == 0);
            found++;
        }
    }
    if (d) closedir(d);
    FILE *note = fopen(ft_path(dir, "note"), "a");
    CHECK(note != NULL);
    fprintf(note, "truncated=%d size=%ld\n", found, (long)size);
    CHECK(fclose(note) == 0);
}

/* ---- trunc ---- */

static pthread_barrier_t mid, resume;
static long rounds;

struct worker {
    int index;
    long ok, failed, bytes;
};

static void *work(void *arg) {
    struct worker *w = arg;
    char name[32];
    snprintf(name, sizeof name, "w%d", w->index);
    int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    for (long j = 0; j < rounds; j++) {
        if (j == rounds / 4) {
            pthread_barrier_wait(&mid);
            pthread_barrier_wait(&resume);
        }
        ssize_t n = pwrite(fd, "0123456789abcdef", (size_t)(j % 16) + 1, j);
        if (n > 0) w->bytes += n;
        if (fsync(fd) == 0) w->ok++; else w->failed++;
    }
    CHECK(close(fd) == 0);
    return NULL;
}

static int trunc_main(off_t size, int n) {
    struct worker w[64];
    pthread_t th[64];
    CHECK(n > 0 && n <= 64);
    CHECK(pthread_barrier_init(&mid, NULL, (unsigned)n + 1) == 0);
    CHECK(pthread_barrier_init(&resume, NULL, (unsigned)n + 1) == 0);
    for (int t = 0; t < n; t++) {
        w[t] = (struct worker){.index = t};
        CHECK(pthread_create(&th[t], NULL, work, &w[t]) == 0);
    }
    pthread_barrier_wait(&mid);
    truncate_trace(size);
    pthread_barrier_wait(&resume);
    for (int t = 0; t < n; t++) CHECK(pthread_join(th[t], NULL) == 0);
    for (int t = 0; t < n; t++)
        printf("worker index=%d fsync_ok=%ld failed=%ld bytes=%ld\n", t, w[t].ok, w[t].failed, w[t].bytes);
    printf("done\n");
    return 0;
}

/* ---- own ---- */

static volatile char *fault_at;
static volatile int caught, caught_code, caught_addr_ok, plain_caught;

static void on_bus_info(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    caught++;
    caught_code = si->si_code;
    caught_addr_ok = sig == SIGBUS && si->si_addr != NULL;
    /* Make the page real, so the faulting store succeeds when retried. */
    void *page = (void *)((uintptr_t)si->si_addr & ~(uintptr_t)4095);
    if (mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
        _exit(98);
}

static void on_bus_plain(int sig) {
    plain_caught += sig == SIGBUS;
}

static const char *name_of(void (*h)(int)) {
    if (h == SIG_DFL) return "dfl";
    if (h == SIG_IGN) return "ign";
    if (h == on_bus_plain) return "plain";
    if ((void *)h == (void *)on_bus_info) return "info";
    return "other";
}

static void show(const char *label) {
    struct sigaction q;
    CHECK(sigaction(SIGBUS, NULL, &q) == 0);
    printf("query label=%s handler=%s siginfo=%d resethand=%d nodefer=%d restart=%d onstack=%d "
           "mask_usr1=%d mask_bus=%d\n",
           label, name_of(q.sa_handler), !!(q.sa_flags & SA_SIGINFO), !!(q.sa_flags & SA_RESETHAND),
           !!(q.sa_flags & SA_NODEFER), !!(q.sa_flags & SA_RESTART), !!(q.sa_flags & SA_ONSTACK),
           sigismember(&q.sa_mask, SIGUSR1), sigismember(&q.sa_mask, SIGBUS));
}

/* A shared mapping of a file of its own, truncated: a store faults. */
static volatile char *own_fault_page(void) {
    int fd = open(ft_path(dir, "mapped"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 8192) == 0);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    m[0] = 1;
    CHECK(ftruncate(fd, 0) == 0);
    CHECK(close(fd) == 0);
    return m + 4096 + 100;
}

static void some_fsyncs(int fd, int n) {
    for (int i = 0; i < n; i++) {
        CHECK(pwrite(fd, "x", 1, i) == 1);
        CHECK(fsync(fd) == 0);
    }
}

static int own_main(void) {
    int fd = open(ft_path(dir, "own"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    some_fsyncs(fd, 50);
    show("start");

    struct sigaction a, old;
    memset(&a, 0, sizeof a);
    a.sa_sigaction = on_bus_info;
    a.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&a.sa_mask);
    sigaddset(&a.sa_mask, SIGUSR1);
    CHECK(sigaction(SIGBUS, &a, &old) == 0);
    printf("set old=%s\n", name_of(old.sa_handler));
    show("info");

    truncate_trace(0);      /* the recorder's next store faults: not ours to see */
    some_fsyncs(fd, 50);
    printf("after-trace caught=%d\n", caught);

    fault_at = own_fault_page();
    *fault_at = 7;          /* ours: the handler runs once, then SA_RESETHAND */
    printf("own-fault caught=%d code_adrerr=%d addr_ok=%d value=%d\n", caught, caught_code == BUS_ADRERR,
           caught_addr_ok, *fault_at);
    show("after-resethand");

    void (*prev)(int) = signal(SIGBUS, on_bus_plain);
    printf("signal prev=%s\n", name_of(prev));
    show("plain");
    CHECK(kill(getpid(), SIGBUS) == 0);
    printf("sent plain_caught=%d\n", plain_caught);

    prev = sysv_signal(SIGBUS, on_bus_plain);
    printf("sysv_signal prev=%s\n", name_of(prev));
    show("sysv");
    CHECK(raise(SIGBUS) == 0);
    printf("raised plain_caught=%d\n", plain_caught);
    show("after-sysv");

    prev = signal(SIGBUS, SIG_IGN);
    printf("ignore prev=%s\n", name_of(prev));
    CHECK(kill(getpid(), SIGBUS) == 0);
    printf("ignored plain_caught=%d\n", plain_caught);
    show("ign");

    prev = signal(SIGBUS, SIG_DFL);
    printf("default prev=%s\n", name_of(prev));
    /* act and oact the same struct: the old action comes back, the new is set. */
    struct sigaction same, *alias = &same;
    CHECK(sigaction(SIGBUS, &a, &same) == 0);
    CHECK(((int (*)(int, const struct sigaction *, struct sigaction *))sigaction)(SIGBUS, alias, alias) == 0);
    show("aliased-set");
    printf("aliased handler=%s\n", name_of(same.sa_handler));
    some_fsyncs(fd, 10);
    CHECK(close(fd) == 0);
    printf("done\n");
    return 0;
}

static int die_main(void) {
    int fd = open(ft_path(dir, "die"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    some_fsyncs(fd, 20);
    truncate_trace(0);
    some_fsyncs(fd, 20);
    printf("before-fault\n");
    fflush(stdout);
    volatile char *p = own_fault_page();
    *p = 1; /* dies here of SIGBUS, with or without the recorder */
    printf("survived\n");
    return 0;
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    dir = argv[1];
    if (strcmp(argv[2], "trunc") == 0) {
        CHECK(argc == 6);
        rounds = atol(argv[5]);
        return trunc_main((off_t)atol(argv[3]), atoi(argv[4]));
    }
    if (strcmp(argv[2], "own") == 0) return own_main();
    if (strcmp(argv[2], "die") == 0) return die_main();
    return FT_SETUP_FAILED;
}
