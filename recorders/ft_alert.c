/*
 * ft_alert.c — alert lines: one line per slow sync, rate-limited per file,
 * to syslog, stderr or a file, without ever blocking or taking a lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ft_alert.h"

#define FT_LINE_MAX 4096        /* PIPE_BUF: one write, never interleaved */

static const char *const ft_call_names[FT_C_MAX + 1] = {
    "none", "fsync", "fdatasync", "sync_file_range", "syncfs", "sync", "msync",
    "o_sync_write", "o_dsync_write", "rwf_sync_write", "rwf_dsync_write",
};

/* ns as milliseconds with three decimals: "301.234". */
static size_t ft_cat_ms(char *dst, size_t at, size_t size, uint64_t ns)
{
    at = ft_cat_u64(dst, at, size, ns / 1000000u, 0);
    at = ft_cat(dst, at, size, ".");
    return ft_cat_u64(dst, at, size, ns / 1000u % 1000u, 3);
}

/* A name from a trace may hold any byte: control bytes (a newline would
 * forge a second line) become '?'. Cut at `max` bytes, with "...". */
static size_t ft_cat_safe(char *dst, size_t at, size_t size, const char *src, size_t len, size_t max)
{
    size_t n = len > max ? max : len;
    for (size_t i = 0; i < n && at + 1 < size; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[at++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    dst[at < size ? at : size - 1] = '\0';
    return n < len ? ft_cat(dst, at, size, "...") : at;
}

static char ft_prog[64]; /* the executable's base name, for the lines */

static void ft_prog_name(void)
{
    if (FT_LOAD(&ft_prog[0]))
        return;
    /* The kernel's name for the process (comm): the name it was exec'd by. */
    char comm[FT_COMM_MAX];
    ssize_t n = ft_sys_read_file("/proc/self/comm", comm, sizeof comm - 1);
    comm[n > 0 ? n : 0] = '\0';
    if (n > 0 && comm[n - 1] == '\n')
        comm[n - 1] = '\0';
    const char *base = comm[0] ? comm : "unknown";
    char tmp[sizeof ft_prog];
    size_t at = ft_cat_safe(tmp, 0, sizeof tmp, base, strlen(base), 48);
    for (size_t i = 0; i < at; i++)
        if (tmp[i] == ' ' || tmp[i] == '[' || tmp[i] == ':')
            tmp[i] = '_';
    memcpy(ft_prog, tmp, at + 1);
}

static size_t ft_alert_message(char *b, size_t at, size_t size, const struct ft_event *ev,
                               const struct ft_track *t, uint32_t suppressed, int relative)
{
    at = ft_cat(b, at, size, "slow ");
    at = ft_cat(b, at, size, ev->call <= FT_C_MAX ? ft_call_names[ev->call] : "sync");
    at = ft_cat(b, at, size, " on ");
    struct ft_path *p = ev->path_id ? ft_path_get(ev->path_id) : NULL;
    if (p)
        at = ft_cat_safe(b, at, size, ft_path_name(p), p->len, 2048);
    else
        at = ft_cat(b, at, size, ev->call == FT_C_SYNC ? "(all files)" : "(unknown file)");
    at = ft_cat(b, at, size, ": ");
    at = ft_cat_ms(b, at, size, ev->dur_ns);
    at = ft_cat(b, at, size, " ms, baseline");
    uint32_t calls = FT_LOAD(&t->base_calls);
    if (FT_LOAD(&t->seen) >= FT_BASE_MIN) {
        at = ft_cat(b, at, size, " p50 ");
        at = ft_cat_ms(b, at, size, FT_LOAD(&t->p50_ns));
        at = ft_cat(b, at, size, " ms p99 ");
        at = ft_cat_ms(b, at, size, FT_LOAD(&t->p99_ns));
        at = ft_cat(b, at, size, " ms over ");
    } else {
        at = ft_cat(b, at, size, " none yet, ");
        calls = FT_LOAD(&t->seen);
    }
    at = ft_cat_u64(b, at, size, calls, 0);
    at = ft_cat(b, at, size, " calls, interval ");
    at = ft_cat_u64(b, at, size, ev->flags & FT_F_NO_INTERVAL ? 0 : ev->bytes, 0);
    at = ft_cat(b, at, size, " bytes in ");
    at = ft_cat_u64(b, at, size, ev->flags & FT_F_NO_INTERVAL ? 0 : ev->writes, 0);
    at = ft_cat(b, at, size, " writes, rule ");
    at = ft_cat(b, at, size, relative ? "relative" : "absolute");
    if (suppressed) {
        at = ft_cat(b, at, size, " [");
        at = ft_cat_u64(b, at, size, suppressed, 0);
        at = ft_cat(b, at, size, " suppressed]");
    }
    return at;
}

/* RFC 3164's timestamp, "Nov  6 03:04:05", in UTC (no time zone database
 * can be read from here): days to a civil date (H. Hinnant's algorithm). */
static size_t ft_cat_stamp(char *b, size_t at, size_t size)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    uint64_t s = ft_clock(CLOCK_REALTIME) / 1000000000u;
    int64_t days = (int64_t)(s / 86400) + 719468;
    uint32_t secs = (uint32_t)(s % 86400);
    int64_t era = days / 146097;
    uint32_t doe = (uint32_t)(days - era * 146097);
    uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint32_t mp = (5 * doy + 2) / 153;
    uint32_t day = doy - (153 * mp + 2) / 5 + 1;
    uint32_t month = mp < 10 ? mp + 3 : mp - 9;
    char mon[5] = {months[(month - 1) * 3], months[(month - 1) * 3 + 1], months[(month - 1) * 3 + 2], ' ', 0};
    at = ft_cat(b, at, size, mon);
    if (day < 10)
        at = ft_cat(b, at, size, " ");
    at = ft_cat_u64(b, at, size, day, 0);
    at = ft_cat(b, at, size, " ");
    at = ft_cat_u64(b, at, size, secs / 3600, 2);
    at = ft_cat(b, at, size, ":");
    at = ft_cat_u64(b, at, size, secs / 60 % 60, 2);
    at = ft_cat(b, at, size, ":");
    return ft_cat_u64(b, at, size, secs % 60, 2);
}

/* The sink's descriptor: opened at the first alert, moved above the numbers
 * a program expects (F_DUPFD_CLOEXEC >= 1000, or the top quarter of a
 * smaller RLIMIT_NOFILE), close-on-exec. The program may close it, or dup2
 * another file onto its number (closefrom, close_range): each use checks
 * with fstat that the number is still ours, and opens anew otherwise,
 * leaving the number alone. */
static int ft_sink_fd = -1;
static uint64_t ft_sink_dev, ft_sink_ino;
static uint32_t ft_sink_busy; /* a thread is opening the sink */

static int ft_fd_high(int fd)
{
    struct rlimit rl;
    long base = 1000;
    if (ft_syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur <= 1024)
        base = (long)rl.rlim_cur * 3 / 4;
    int hi = (int)ft_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, base);
    if (hi < 0)
        return fd; /* keep the one we have */
    ft_sys_close(fd);
    return hi;
}

static int ft_sink_open(void)
{
    int fd = -1;
    if (ft_cfg.alert_sink == FT_SINK_SYSLOG) {
        fd = (int)ft_syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        ft_cat(sa.sun_path, 0, sizeof sa.sun_path, ft_cfg.syslog_path);
        if (ft_syscall(SYS_connect, fd, &sa, sizeof sa) < 0) {
            ft_sys_close(fd);
            return -1;
        }
    } else if (ft_cfg.alert_sink == FT_SINK_FILE) {
        fd = ft_sys_openat(AT_FDCWD, ft_cfg.alert_path,
                           O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);
        if (fd < 0)
            return -1;
    } else {
        return -1;
    }
    fd = ft_fd_high(fd);
    uint32_t mode;
    if (ft_sys_fstat(fd, &ft_sink_dev, &ft_sink_ino, &mode) < 0) {
        ft_sys_close(fd);
        return -1;
    }
    return fd;
}

static int ft_sink_ours(int fd)
{
    uint64_t dev, ino;
    uint32_t mode;
    return fd >= 0 && ft_sys_fstat(fd, &dev, &ino, &mode) == 0 && dev == ft_sink_dev && ino == ft_sink_ino;
}

/* The sink, opened if need be; -1 if there is none now (another thread is
 * opening it: this line is suppressed rather than waited for). With
 * `reopen`, the current one (ours) is closed first. */
static int ft_sink_get(int reopen)
{
    int fd = FT_LOAD_ACQ(&ft_sink_fd);
    if (!reopen && ft_sink_ours(fd))
        return fd;
    uint32_t idle = 0;
    if (!FT_CAS(&ft_sink_busy, &idle, 1))
        return -1;
    fd = FT_LOAD(&ft_sink_fd);
    if (reopen && ft_sink_ours(fd)) {
        ft_sys_close(fd);
        fd = -1;
    } else if (ft_sink_ours(fd)) {
        FT_STORE_REL(&ft_sink_busy, 0);
        return fd;
    }
    fd = ft_sink_open();
    FT_STORE_REL(&ft_sink_fd, fd);
    FT_STORE_REL(&ft_sink_busy, 0);
    return fd;
}

/* One write that cannot raise SIGPIPE (the reader of a pipe may be gone):
 * SIGPIPE is blocked around it, and one it raised is taken back. */
static int ft_write_nopipe(int fd, const char *b, size_t n)
{
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ft_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &pipe_only, &old, sizeof(uint64_t));
    long w = ft_syscall(SYS_write, fd, b, n);
    if (w < 0 && errno == EPIPE && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = {0, 0};
        ft_syscall(SYS_rt_sigtimedwait, &pipe_only, NULL, &zero, sizeof(uint64_t));
    }
    ft_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(uint64_t));
    return w == (long)n;
}

/* Send one alert line; 1 if it went out. Never blocks: a sink that is not
 * ready now loses the line (counted as suppressed). */
/* The fallback when the configured sink is missing (no /dev/log in a
 * container, a log file that cannot be opened): fsync-trace-alerts.log in
 * the trace directory, said in the header (alert_sink), so the report tells
 * "no sink" from "rate limit". */
static int ft_fallback_fd = -1;

static int ft_fallback_write(const char *line, size_t n)
{
    int fd = FT_LOAD_ACQ(&ft_fallback_fd);
    if (fd < 0) {
        char path[FT_DIR_MAX + 64];
        ft_cat(path, ft_cat(path, 0, sizeof path, ft_trace_dir()), sizeof path, "/fsync-trace-alerts.log");
        fd = ft_sys_openat(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW, 0600);
        if (fd < 0)
            return 0;
        fd = ft_fd_high(fd);
        int none = -1;
        if (!FT_CAS(&ft_fallback_fd, &none, fd)) {
            ft_sys_close(fd);
            fd = none;
        }
    }
    struct ft_regions *rg = ft_regions();
    if (rg && rg->hdr)
        FT_STORE(&rg->hdr->alert_sink, FT_SINK_FALLBACK);
    return ft_write_nopipe(fd, line, n);
}

/* One line out through the configured sink: b holds it, with the syslog
 * header before `from` (the rest is the line itself); to the fallback file
 * when the sink is missing and `fallback` allows. 1 if it went out. */
static int ft_line_out(char *b, size_t from, size_t at, int fallback)
{
    int sink = (int)ft_cfg.alert_sink;
    int sent = 0, missing = 0;
    if (sink == FT_SINK_SYSLOG) {
        for (int attempt = 0; attempt < 2 && !sent; attempt++) {
            int fd = ft_sink_get(attempt > 0);
            if (fd < 0) {
                missing = 1;
                break;
            }
            long r = ft_syscall(SYS_sendto, fd, b, at, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
            sent = r == (long)at;
            /* syslogd restarted: the socket is connected to a dead end. */
            if (!sent && (r >= 0 || (errno != ECONNREFUSED && errno != ENOTCONN)))
                break;
        }
        b[at++] = '\n';
    } else {
        b[at++] = '\n';
        if (sink == FT_SINK_STDERR) {
            struct pollfd pfd = {.fd = 2, .events = POLLOUT, .revents = 0};
            struct timespec zero = {0, 0};
            sent = ft_syscall(SYS_ppoll, &pfd, 1, &zero, NULL, 0) == 1 && pfd.revents == POLLOUT &&
                   ft_write_nopipe(2, b, at);
        } else if (sink == FT_SINK_FILE) {
            int fd = ft_sink_get(0);
            missing = fd < 0;
            sent = fd >= 0 && ft_write_nopipe(fd, b, at);
        }
    }
    if (missing && !sent && fallback)
        sent = ft_fallback_write(b + from, at - from);
    if (!sent && missing) {
        struct ft_regions *rg = ft_regions();
        if (rg && rg->hdr)
            FT_ADD(&rg->hdr->alerts_unsent, 1);
    }
    return sent;
}

/* "<12>Nov 26 03:17:00 " for syslog, then "prog[pid]: fsync-trace: ". */
static size_t ft_line_start(char *b, size_t size, size_t *from)
{
    size_t at = 0;
    ft_prog_name();
    if (ft_cfg.alert_sink == FT_SINK_SYSLOG) {
        at = ft_cat(b, at, size, "<12>"); /* LOG_USER | LOG_WARNING */
        at = ft_cat_stamp(b, at, size);
        at = ft_cat(b, at, size, " ");
    }
    *from = at;
    at = ft_cat(b, at, size, ft_prog);
    at = ft_cat(b, at, size, "[");
    at = ft_cat_u64(b, at, size, (uint32_t)ft_sys_getpid(), 0);
    return ft_cat(b, at, size, "]: fsync-trace: ");
}

int ft_alert_send(const struct ft_event *ev, const struct ft_track *t, uint32_t suppressed, int relative)
{
    char b[FT_LINE_MAX];
    size_t from;
    size_t at = ft_line_start(b, sizeof b, &from);
    at = ft_alert_message(b, at, sizeof b - 1, ev, t, suppressed, relative);
    return ft_line_out(b, from, at, 1);
}

void ft_alert_off(void)
{
    uint32_t pending = 1;
    if (!FT_CAS(&ft_off_pending, &pending, 2))
        return;
    char b[FT_LINE_MAX];
    size_t from;
    size_t at = ft_line_start(b, sizeof b, &from);
    at = ft_cat(b, at, sizeof b - 1, ft_off_text);
    /* Not to the fallback file: the trace directory is what failed. */
    ft_line_out(b, from, at, 0);
}
