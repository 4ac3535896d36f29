/*
 * links.c — the library's kept syncs (ft_link.c) driven as the Node hook's
 * addon drives them: a "JavaScript" thread reads the clock at each call's
 * start (fsync_trace_js_now), hands the sync to a pool of threads (as libuv
 * does), and records the call once the pool says it is done
 * (fsync_trace_js_record), which takes the sync that served it.
 *
 *   links DIR fifo|pool|order|race|over|errors|steal|fork|off
 *
 * fifo:   one file, one pool thread, 32 calls in flight, 640 calls.
 * pool:   32 files, 4 pool threads, 32 calls in flight (one per file), 640
 *         calls, fsync and fdatasync mixed.
 * order:  one file, 4 pool threads, 24 in flight, 2,000 calls, both kinds:
 *         the threads run their syncs in any order, and the calls are
 *         recorded as their syncs return.
 * race:   2 files, 4 pool threads, 24 in flight, 2,000 calls, one in two
 *         recorded whether or not its sync is done; then one call more.
 * over:   60 calls of one file started at once, their 60 syncs, then the 60
 *         records (a bucket holds 56 syncs).
 * errors: a failed sync (EBADF), and calls that are not served: no sync, a
 *         sync of the other kind or file, a negative fd, an API not linked;
 *         errno is checked around each entry point.
 * steal:  an async call in flight while the main thread syncs the same file
 *         itself (fs.fsyncSync), before the pool thread makes the call's sync.
 * fork:   a call whose sync is done when the process forks: the child records
 *         it (unlinked: the parent's syncs are not the child's), then makes a
 *         call of its own; the parent records it.
 * off:    as fifo, 64 calls, 8 in flight, without fsync_trace_js_link (a
 *         library the hook did not ask): nothing linked.
 *
 * Syncs are made on threads other than the main one: a thread that runs
 * JavaScript keeps none of its own syncs for the pool's calls.
 *
 * Each call: "call label=N fd=F kind=K rec=R" (kind 1 fsync, 2 fdatasync; R
 * what the record returned); each sync: "sync label=N fd=F ret=R errno=E".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ft_format.h"
#include "ft_js.h"
#include "ft_test.h"

static int (*record)(struct ft_js_call *);
static uint64_t (*now)(void);
static void (*link_on)(void);

#define MAX_CALLS 4096

struct job {
    int fd;
    unsigned kind, api;
    uint64_t start;
    atomic_int done;
    int ret, err;
};
static struct job jobs[MAX_CALLS];

/* The pool's queue: first in, first out, as libuv's. */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static int qhead, qtail, qstop;
static int queue[MAX_CALLS];

static void push(int i)
{
    pthread_mutex_lock(&qlock);
    queue[qtail++] = i;
    pthread_cond_signal(&qcond);
    pthread_mutex_unlock(&qlock);
}

/* The calls done, in the order their syncs returned: libuv runs the callbacks
 * in that order. */
static pthread_mutex_t dlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dcond = PTHREAD_COND_INITIALIZER;
static int dhead, dtail;
static int done_q[MAX_CALLS];

static int next_done(void)
{
    pthread_mutex_lock(&dlock);
    while (dhead == dtail)
        pthread_cond_wait(&dcond, &dlock);
    int i = done_q[dhead++];
    pthread_mutex_unlock(&dlock);
    return i;
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (qhead == qtail && !qstop)
            pthread_cond_wait(&qcond, &qlock);
        if (qhead == qtail) {
            pthread_mutex_unlock(&qlock);
            return NULL;
        }
        int i = queue[qhead++];
        pthread_mutex_unlock(&qlock);
        struct job *j = &jobs[i];
        int ret = j->kind == FT_C_FDATASYNC ? fdatasync(j->fd) : fsync(j->fd);
        j->ret = ret;
        j->err = ret < 0 ? errno : 0;
        atomic_store(&j->done, 1);
        pthread_mutex_lock(&dlock);
        done_q[dtail++] = i;
        pthread_cond_signal(&dcond);
        pthread_mutex_unlock(&dlock);
    }
}

static int record_call(int i, const struct job *j)
{
    struct ft_js_call c;
    memset(&c, 0, sizeof c);
    c.api = j->api ? j->api : j->kind == FT_C_FDATASYNC ? FT_JS_FDATASYNC : FT_JS_FSYNC;
    c.fd = j->fd;
    c.start_ns = j->start;
    errno = 4321;
    int rec = record(&c);
    if (errno != 4321) {
        printf("errno_changed label=%d by=record errno=%d\n", i, errno);
        errno = 0;
    }
    printf("call label=%d fd=%d kind=%u rec=%d\n", i, j->fd, j->kind, rec);
    return rec;
}

static void start_call(int i, int fd, unsigned kind)
{
    struct job *j = &jobs[i];
    j->fd = fd;
    j->kind = kind;
    j->api = 0;
    atomic_store(&j->done, 0);
    errno = 1234;
    j->start = now();
    if (errno != 1234)
        printf("errno_changed label=%d by=now errno=%d\n", i, errno);
}

static void wait_done(const struct job *j)
{
    while (!atomic_load(&j->done))
        sched_yield();
}

/* calls calls on files[i % nfiles], threads pool threads, inflight at once;
 * wait: 1 record the oldest call once its sync is done, 0 whenever, 2 one
 * call in two (drawn) once done, the others whenever; 3 record the calls as
 * their syncs return (as libuv does). */
static void run_pool(int nfiles, const int *fds, int threads, int inflight, int calls, int mixed, int wait)
{
    pthread_t t[8];
    for (int k = 0; k < threads; k++)
        CHECK(pthread_create(&t[k], NULL, worker, NULL) == 0);
    int oldest = 0;
    unsigned seed = 12345;
    for (int i = 0; i < calls; i++) {
        if (wait == 3 && i - oldest >= inflight) {
            int k = next_done();
            record_call(k, &jobs[k]);
            oldest++;
        } else if (i - oldest >= inflight) {
            if (wait == 1 || (wait == 2 && (seed >> 20) % 2))
                wait_done(&jobs[oldest]);
            record_call(oldest, &jobs[oldest]);
            oldest++;
        }
        seed = seed * 1103515245 + 12345;
        start_call(i, fds[i % nfiles], mixed && (seed >> 16) % 3 == 0 ? FT_C_FDATASYNC : FT_C_FSYNC);
        push(i);
    }
    for (; oldest < calls; oldest++) {
        if (wait == 3) {
            int k = next_done();
            record_call(k, &jobs[k]);
            continue;
        }
        if (wait == 1)
            wait_done(&jobs[oldest]);
        record_call(oldest, &jobs[oldest]);
    }
    pthread_mutex_lock(&qlock);
    qstop = 1;
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
    for (int k = 0; k < threads; k++)
        pthread_join(t[k], NULL);
    for (int i = 0; i < calls; i++)
        printf("sync label=%d fd=%d ret=%d errno=%d\n", i, jobs[i].fd, jobs[i].ret, jobs[i].err);
}

static int open_file(const char *dir, int i)
{
    char name[32];
    snprintf(name, sizeof name, "f%d", i);
    int fd = open(ft_path(dir, name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "x", 1) == 1);
    return fd;
}

/* A sync of kind of fd made on a thread of its own, as the pool's (the
 * main thread runs "JavaScript": none of its own syncs is kept for a call),
 * waited for; its result into jobs[label], and said. */
struct one_sync {
    unsigned kind;
    int fd, ret, err;
};

static void *one_sync_run(void *arg)
{
    struct one_sync *o = arg;
    errno = 0;
    o->ret = o->kind == FT_C_FDATASYNC ? fdatasync(o->fd) : fsync(o->fd);
    o->err = o->ret < 0 ? errno : 0;
    return NULL;
}

static void sync_elsewhere(int label, unsigned kind, int fd)
{
    struct one_sync o = { kind, fd, 0, 0 };
    pthread_t t;
    CHECK(pthread_create(&t, NULL, one_sync_run, &o) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    jobs[label].ret = o.ret;
    jobs[label].err = o.err;
    printf("sync label=%d fd=%d ret=%d errno=%d\n", label, fd, o.ret, o.err);
}

/* One call from the main thread (api: 0, the kind's fs.fsync or
 * fs.fdatasync): started, synced (sync: 0 none, else the kind) on sfd by
 * another thread, recorded. */
static void serial(int label, int fd, unsigned kind, unsigned api, unsigned sync, int sfd)
{
    struct job *j = &jobs[label];
    start_call(label, fd, kind);
    j->api = api;
    j->ret = 0;
    j->err = 0;
    if (sync)
        sync_elsewhere(label, sync, sfd);
    record_call(label, j);
}

/* n calls started at once on fd (label from first), then synced one by one
 * on other threads, then recorded. */
static void burst(int first, int n, int fd)
{
    for (int i = first; i < first + n; i++)
        start_call(i, fd, FT_C_FSYNC);
    for (int i = first; i < first + n; i++)
        sync_elsewhere(i, FT_C_FSYNC, fd);
    for (int i = first; i < first + n; i++)
        record_call(i, &jobs[i]);
}

/* steal: an async call in flight (label 0), its sync made by a pool thread
 * only after the main thread made a sync of the same fd of its own
 * (fs.fsyncSync: label 1), which started after the async call did. */
static atomic_int own_done;

static void *steal_pool(void *arg)
{
    (void)arg;
    while (!atomic_load(&own_done))
        sched_yield();
    errno = 0;
    jobs[0].ret = fsync(jobs[0].fd);
    jobs[0].err = jobs[0].ret < 0 ? errno : 0;
    printf("sync label=0 fd=%d ret=%d errno=%d by=pool\n", jobs[0].fd, jobs[0].ret, jobs[0].err);
    return NULL;
}

static void steal(int fd)
{
    start_call(0, fd, FT_C_FSYNC);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, steal_pool, NULL) == 0);
    jobs[1].fd = fd;
    jobs[1].kind = FT_C_FSYNC;
    jobs[1].api = FT_JS_FSYNC_SYNC;
    jobs[1].start = now();
    jobs[1].ret = fsync(fd);
    printf("sync label=1 fd=%d ret=%d errno=0 by=main\n", fd, jobs[1].ret);
    atomic_store(&own_done, 1);
    CHECK(pthread_join(t, NULL) == 0);
    record_call(1, &jobs[1]);
    record_call(0, &jobs[0]);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: links DIR fifo|pool|order|race|over|errors|steal|fork|off\n");
        return 2;
    }
    record = (int (*)(struct ft_js_call *))dlsym(RTLD_DEFAULT, "fsync_trace_js_record");
    now = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "fsync_trace_js_now");
    link_on = (void (*)(void))dlsym(RTLD_DEFAULT, "fsync_trace_js_link");
    int (*abi)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "fsync_trace_js_abi");
    CHECK(link_on && record && now && abi && abi() == FT_JS_ABI);
    const char *dir = argv[1], *mode = argv[2];
    if (strcmp(mode, "off"))
        link_on();
    int fds[32];
    if (!strcmp(mode, "fifo")) {
        fds[0] = open_file(dir, 0);
        run_pool(1, fds, 1, 32, 640, 0, 1);
    } else if (!strcmp(mode, "off")) {
        fds[0] = open_file(dir, 0);
        run_pool(1, fds, 1, 8, 64, 0, 1);
    } else if (!strcmp(mode, "pool")) {
        for (int i = 0; i < 32; i++)
            fds[i] = open_file(dir, i);
        run_pool(32, fds, 4, 32, 640, 1, 1);
    } else if (!strcmp(mode, "order")) {
        fds[0] = open_file(dir, 0);
        run_pool(1, fds, 4, 24, 2000, 1, 3);
    } else if (!strcmp(mode, "race")) {
        for (int i = 0; i < 2; i++)
            fds[i] = open_file(dir, i);
        run_pool(2, fds, 4, 24, 2000, 1, 2);
        serial(2000, fds[0], FT_C_FSYNC, 0, FT_C_FSYNC, fds[0]);
    } else if (!strcmp(mode, "over")) {
        fds[0] = open_file(dir, 0);
        burst(0, 60, fds[0]);
    } else if (!strcmp(mode, "fork")) {
        fds[0] = open_file(dir, 0);
        start_call(0, fds[0], FT_C_FSYNC);
        sync_elsewhere(0, FT_C_FSYNC, fds[0]);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            record_call(0, &jobs[0]);
            serial(1, fds[0], FT_C_FSYNC, 0, FT_C_FSYNC, fds[0]);
            printf("child pid=%d\n", (int)getpid());
            fflush(stdout);
            _exit(0);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        record_call(0, &jobs[0]);
    } else if (!strcmp(mode, "steal")) {
        steal(open_file(dir, 0));
    } else if (!strcmp(mode, "errors")) {
        int a = open_file(dir, 0), b = open_file(dir, 1);
        int closed = open_file(dir, 2);
        CHECK(close(closed) == 0);
        serial(0, closed, FT_C_FSYNC, 0, FT_C_FSYNC, closed);       /* EBADF */
        serial(1, a, FT_C_FSYNC, 0, 0, a);                          /* no sync at all */
        serial(2, a, FT_C_FSYNC, 0, FT_C_FDATASYNC, a);             /* a sync of the other kind */
        serial(3, a, FT_C_FDATASYNC, 0, FT_C_FSYNC, a);
        serial(4, a, FT_C_FSYNC, 0, FT_C_FSYNC, b);                 /* of another file */
        serial(5, -1, FT_C_FSYNC, 0, FT_C_FSYNC, a);                /* a negative fd */
        serial(6, a, FT_C_FSYNC, FT_JS_FSYNC_SYNC, FT_C_FSYNC, a);  /* an API not linked */
        serial(7, a, FT_C_FSYNC, FT_JS_FH_SYNC, FT_C_FSYNC, a);     /* served, not by the older ones */
        serial(8, b, FT_C_FDATASYNC, FT_JS_FH_DATASYNC, FT_C_FDATASYNC, b);
    } else {
        fprintf(stderr, "links: unknown mode %s\n", mode);
        return 2;
    }
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
