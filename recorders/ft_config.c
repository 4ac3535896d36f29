/*
 * ft_config.c — the configuration: read once from the environment, at the
 * first call or in our constructor, whichever comes first.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>

#include "ft_config.h"

static uint64_t ft_parse_u64(const char *s, int *ok)
{
    uint64_t v = 0;
    *ok = s && *s;
    for (; s && *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 - 10) {
            *ok = 0;
            return 0;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    return v;
}

/* ---- configuration ------------------------------------------------------- */

#define FT_MAX_BYTES_DEFAULT (64ull << 20)
#define FT_MAX_BYTES_MIN (FT_HEADER_SIZE + 256ull * FT_RECORD_SIZE) /* 5 pages */
#define FT_MAX_BYTES_MAX (8ull << 30)
#define FT_DIR_MAX_BYTES_DEFAULT (256ull << 20)

/* Idempotent and race-tolerant: two threads that get here first compute the
 * same values. getenv only reads environ; getauxval reads a static table. */
int ft_config_load(void)
{
    int ok;
    ft_tls_setup();
    const char *d = getenv("FSYNC_TRACE_DISABLE");
    /* Under secure execution (setuid, file capabilities) an environment
     * variable must not make a privileged program write files
     * (getauxval(3), AT_SECURE). The loader already ignores LD_PRELOAD then,
     * unless the library is in a system path. */
    if (getauxval(AT_SECURE) || (d && d[0] == '1' && d[1] == '\0')) {
        FT_STORE_REL(&ft_mode, FT_MODE_OFF);
        return FT_MODE_OFF;
    }

    uint64_t n = ft_parse_u64(getenv("FSYNC_TRACE_WRITE_SAMPLE"), &ok);
    ft_cfg.write_sample = ok && n >= 1 ? (n > 1u << 20 ? 1u << 20 : (uint32_t)n) : 16;

    uint64_t mb = ft_parse_u64(getenv("FSYNC_TRACE_MAX_BYTES"), &ok);
    if (!ok)
        mb = FT_MAX_BYTES_DEFAULT;
    ft_cfg.max_bytes = mb < FT_MAX_BYTES_MIN ? FT_MAX_BYTES_MIN
                       : mb > FT_MAX_BYTES_MAX ? FT_MAX_BYTES_MAX : mb;

    /* The directory's budget (README, "How much it keeps"): allocated bytes
     * of all traces in it; 0 switches it off. */
    uint64_t db = ft_parse_u64(getenv("FSYNC_TRACE_DIR_MAX_BYTES"), &ok);
    ft_cfg.dir_max_bytes = !ok ? FT_DIR_MAX_BYTES_DEFAULT : db;
    const char *u = getenv("FSYNC_TRACE_UNSYNCED");
    ft_cfg.unsynced = u && u[0] == '1' && u[1] == '\0';

    /* Always on (README, "Recording"): summaries, keep ring, alerts, cost. */
    n = ft_parse_u64(getenv("FSYNC_TRACE_SUMMARY_SECONDS"), &ok);
    ft_cfg.summary_s = !ok ? 60 : n > 86400 ? 86400 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_MS"), &ok);
    ft_cfg.alert_ms = !ok ? 1000 : n > 3600000 ? 3600000 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_FACTOR"), &ok);
    ft_cfg.alert_factor = !ok ? 10 : n > 1000000 ? 1000000 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_MIN_MS"), &ok);
    ft_cfg.alert_min_ms = !ok ? 10 : n > 3600000 ? 3600000 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_ALERT_EVERY"), &ok);
    ft_cfg.alert_every_s = !ok ? 10 : n > 86400 ? 86400 : (uint32_t)n;
    n = ft_parse_u64(getenv("FSYNC_TRACE_COST_PERIOD"), &ok);
    ft_cfg.cost_period = !ok ? 64 : n > (1u << 30) ? 1u << 30 : (uint32_t)n;
    /* Set by fsync-record for the process tree it runs (launch/report.c). */
    n = ft_parse_u64(getenv("FSYNC_TRACE_LAUNCH"), &ok);
    ft_cfg.launch_id = ok ? n : 0;
    const char *to = getenv("FSYNC_TRACE_ALERT_TO");
    ft_cfg.alert_sink = FT_SINK_SYSLOG;
    if (to && strcmp(to, "off") == 0)
        ft_cfg.alert_sink = FT_SINK_OFF;
    else if (to && strcmp(to, "stderr") == 0)
        ft_cfg.alert_sink = FT_SINK_STDERR;
    else if (to && to[0] == '/' && strlen(to) < sizeof ft_cfg.alert_path) {
        ft_cfg.alert_sink = FT_SINK_FILE;
        ft_cat(ft_cfg.alert_path, 0, sizeof ft_cfg.alert_path, to);
    }
    const char *sl = getenv("FSYNC_TRACE_SYSLOG_PATH");
    ft_cat(ft_cfg.syslog_path, 0, sizeof ft_cfg.syslog_path,
           sl && sl[0] == '/' && strlen(sl) < sizeof ft_cfg.syslog_path ? sl : "/dev/log");

    const char *dir = getenv("FSYNC_TRACE_DIR");
    if (dir && *dir && strlen(dir) < FT_DIR_MAX - 128) {
        size_t at = 0;
        if (dir[0] != '/') {
            /* Relative: to the working directory the process starts in, made
             * absolute now. The file is reopened by name to grow the ring,
             * and the program may chdir meanwhile. No /proc: left as given. */
            ssize_t n = ft_sys_readlink("/proc/self/cwd", ft_cfg.dir, FT_DIR_MAX - 1);
            if (n <= 0 || ft_cfg.dir[0] != '/' || (size_t)n + strlen(dir) + 2 >= FT_DIR_MAX - 128)
                n = 0;
            at = (size_t)n;
            ft_cfg.dir[at] = '\0';
            if (n > 1)
                at = ft_cat(ft_cfg.dir, at, sizeof ft_cfg.dir, "/");
        }
        at = ft_cat(ft_cfg.dir, at, sizeof ft_cfg.dir, dir);
        while (at > 1 && ft_cfg.dir[at - 1] == '/')
            ft_cfg.dir[--at] = '\0';
    } else {
        size_t at = ft_cat(ft_cfg.dir, 0, sizeof ft_cfg.dir, "/dev/shm/fsync-trace-");
        ft_cat_u64(ft_cfg.dir, at, sizeof ft_cfg.dir, (uint64_t)ft_syscall(SYS_getuid), 0);
    }
    ft_cfg.start_pid = (uint32_t)ft_sys_getpid();
    ft_clock_setup();
    FT_STORE_REL(&ft_mode, FT_MODE_ON);
    return FT_MODE_ON;
}
