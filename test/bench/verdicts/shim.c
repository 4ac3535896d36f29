/*
 * shim.c — a deterministic slow disk, preloaded *under* the recorder:
 *
 *   LD_PRELOAD="libfsync_recorder.so shim.so" PROGRAM ...
 *
 * The recorder resolves fsync and fdatasync with dlsym(RTLD_NEXT), which finds
 * this library's versions; so the recorder times whatever this library does
 * (a sleep, a failure) exactly as it would time a slow or failing disk. That
 * gives the verdict scenarios (test/bench/verdicts.ts) ground truth by
 * construction: this library writes one line per call it made slow or failed.
 *
 * Environment:
 *   FSYNC_SHIM_NORMAL=MEDIAN_US:SIGMA  every call not injected first sleeps a
 *       log-normal time (median MEDIAN_US µs, shape SIGMA): a heavy-tailed
 *       normal, drawn from a generator seeded by FSYNC_SHIM_SEED, the pid and
 *       the call's number in this process, so a rerun draws the same values.
 *   FSYNC_SHIM="RULE;RULE;..."  the injected calls. A RULE is comma-separated
 *       key=value pairs, all optional; a call matches the first rule it fits:
 *         path=TEXT  the file's path (/proc/self/fd/N) contains TEXT
 *         from=MS    not before MS ms after FSYNC_SHIM_T0 (CLOCK_REALTIME, epoch ms)
 *         to=MS      before MS ms after FSYNC_SHIM_T0
 *         every=N    only every N-th call that fits the rest of the rule (per process)
 *         delay=MS   sleep MS ms before the real call
 *         errno=NAME fail with EIO, ENOSPC or EROFS instead of calling the real function
 *   FSYNC_SHIM_LOG=FILE  appends, per injected call, one line:
 *       "inject PID TID FD START_NS DELAY_US ERRNO PATH" (START_NS: CLOCK_REALTIME
 *       when this library was entered; ERRNO 0 for a slow call that succeeded);
 *       and per normal call (FSYNC_SHIM_NORMAL) that the machine held, one line:
 *       "held PID TID START_NS DRAWN_US TOOK_US": from entry to return it took at
 *       least 1 ms more than its drawn sleep, and at least twice it (the thread
 *       waited for a CPU after its sleep, on a loaded machine): not a normal call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 16

struct rule {
    char path[128];
    long from_ms, to_ms, every, delay_ms;
    int err;
    atomic_long seen;
};

static struct rule rules[MAX_RULES];
static int nrules;
static double normal_median_us, normal_sigma;
static uint64_t seed;
static long long t0_ms;
static int log_fd = -1;
static atomic_long calls;
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int errno_named(const char *name) {
    if (strcmp(name, "EIO") == 0) return EIO;
    if (strcmp(name, "ENOSPC") == 0) return ENOSPC;
    if (strcmp(name, "EROFS") == 0) return EROFS;
    return 0;
}

/* One rule from "k=v,k=v"; an unknown key or errno name stops the program (a test bug). */
static void parse_rule(char *text, struct rule *r) {
    memset(r, 0, sizeof *r);
    r->to_ms = -1;
    for (char *save = NULL, *kv = strtok_r(text, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) goto bad;
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(kv, "path") == 0) snprintf(r->path, sizeof r->path, "%s", v);
        else if (strcmp(kv, "from") == 0) r->from_ms = atol(v);
        else if (strcmp(kv, "to") == 0) r->to_ms = atol(v);
        else if (strcmp(kv, "every") == 0) r->every = atol(v);
        else if (strcmp(kv, "delay") == 0) r->delay_ms = atol(v);
        else if (strcmp(kv, "errno") == 0) { if (!(r->err = errno_named(v))) goto bad; }
        else goto bad;
    }
    return;
bad:
    fprintf(stderr, "shim: bad FSYNC_SHIM rule near '%s'\n", text);
    _exit(97);
}

__attribute__((constructor)) static void shim_init(void) {
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    const char *n = getenv("FSYNC_SHIM_NORMAL");
    if (n && sscanf(n, "%lf:%lf", &normal_median_us, &normal_sigma) != 2) normal_median_us = 0;
    const char *s = getenv("FSYNC_SHIM_SEED");
    seed = s ? strtoull(s, NULL, 10) : 1;
    const char *t = getenv("FSYNC_SHIM_T0");
    t0_ms = t ? atoll(t) : now_ns() / 1000000;
    const char *l = getenv("FSYNC_SHIM_LOG");
    if (l) log_fd = open(l, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    const char *spec = getenv("FSYNC_SHIM");
    if (!spec) return;
    char *copy = strdup(spec);
    for (char *save = NULL, *r = strtok_r(copy, ";", &save); r && nrules < MAX_RULES; r = strtok_r(NULL, ";", &save)) {
        parse_rule(r, &rules[nrules++]);
    }
    free(copy);
}

/* splitmix64: a deterministic stream from (seed, pid, call number). */
static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static double unit(uint64_t x) {
    return ((double)(mix(x) >> 11) + 0.5) / 9007199254740992.0;
}

static void sleep_us(double us) {
    if (us <= 0) return;
    struct timespec ts = { (time_t)(us / 1e6), (long)(fmod(us, 1e6) * 1000) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int path_of(int fd, char *buf, size_t size) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, size - 1);
    if (n < 0) n = 0;
    buf[n] = '\0';
    return (int)n;
}

static struct rule *match(int fd, long long start_ns, char *path, size_t size) {
    long long at_ms = start_ns / 1000000 - t0_ms;
    int have_path = 0;
    for (int i = 0; i < nrules; i++) {
        struct rule *r = &rules[i];
        if (at_ms < r->from_ms || (r->to_ms >= 0 && at_ms >= r->to_ms)) continue;
        if (r->path[0]) {
            if (!have_path) have_path = path_of(fd, path, size) >= 0;
            if (!strstr(path, r->path)) continue;
        }
        long k = atomic_fetch_add(&r->seen, 1) + 1;
        if (r->every > 1 && k % r->every != 0) continue;
        return r;
    }
    return NULL;
}

static int shim_call(int (*real)(int), int fd) {
    int saved = errno;
    long long start = now_ns();
    long call = atomic_fetch_add(&calls, 1);
    char path[512] = "";
    struct rule *r = nrules ? match(fd, start, path, sizeof path) : NULL;
    if (!r) {
        if (normal_median_us <= 0) {
            errno = saved;
            return real(fd);
        }
        uint64_t key = seed * 0x100000001b3ULL ^ ((uint64_t)getpid() << 32) ^ (uint64_t)call;
        double z = sqrt(-2 * log(unit(key))) * cos(2 * M_PI * unit(key ^ 0x5851f42d4c957f2dULL));
        double drawn = normal_median_us * exp(normal_sigma * z);
        sleep_us(drawn);
        errno = saved;
        int rc = real(fd);
        int err = errno;
        long long took = (now_ns() - start) / 1000;
        if (log_fd >= 0 && took >= drawn + 1000 && took >= 2 * drawn) {
            char line[160];
            int n = snprintf(line, sizeof line, "held %d %ld %lld %.0f %lld\n", getpid(), (long)syscall(SYS_gettid), start, drawn, took);
            if (n > 0 && write(log_fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1)) < 0) {}
        }
        errno = err;
        return rc;
    }
    if (!path[0]) path_of(fd, path, sizeof path);
    sleep_us(r->delay_ms * 1000.0);
    if (log_fd >= 0) {
        char line[700];
        int n = snprintf(line, sizeof line, "inject %d %ld %d %lld %ld %d %s\n", getpid(), (long)syscall(SYS_gettid), fd,
                         start, r->delay_ms * 1000, r->err, path);
        if (n > 0 && write(log_fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1)) < 0) {}
    }
    if (r->err) {
        errno = r->err;
        return -1;
    }
    errno = saved;
    return real(fd);
}

int fsync(int fd) { return shim_call(real_fsync, fd); }
int fdatasync(int fd) { return shim_call(real_fdatasync, fd); }
