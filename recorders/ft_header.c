/*
 * ft_header.c — the trace header's facts about the process (FORMAT.md,
 * "Header"): who it is, what it runs, on which host and boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ft_header.h"

/* The name's first part: the executable's base name, made safe for a file
 * name (no spaces, no control bytes; " (deleted)" becomes "_(deleted)"). */
size_t ft_exe_base(char *dst, size_t at, size_t size, const char *exe)
{
    const char *base = exe;
    for (const char *p = exe; *p; p++)
        if (*p == '/')
            base = p + 1;
    if (!*base)
        base = "unknown";
    for (int n = 0; *base && n < 64 && at + 1 < size; base++, n++) {
        char ch = *base;
        int safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == '+';
        dst[at++] = safe ? ch : '_';
    }
    dst[at] = '\0';
    return at;
}

/* The name users know the program by. The kernel's comm is the basename
 * of the path it was exec'd by (a symlink's own name: redis-server, where
 * /proc/self/exe says redis-check-rdb), cut to 15 bytes; argv[0]'s basename
 * when comm is a cut of it; the executable's when there is no comm. */
void ft_prog_names(uint32_t pid, const char *exe, char *comm, size_t csize, char *name, size_t nsize)
{
    /* On the main thread, its comm is the process's (PR_GET_NAME, 16 bytes
     * with the NUL; no file to open); another thread may have been renamed
     * (a JVM's "SyncThread:0"), so it reads the process's from /proc. */
    char tc[16] = {0};
    if ((uint32_t)ft_syscall(SYS_gettid) == pid) {
        if (ft_syscall(SYS_prctl, PR_GET_NAME, tc, 0, 0, 0) != 0)
            tc[0] = '\0';
    } else {
        ssize_t n = ft_sys_read_file("/proc/self/comm", tc, sizeof tc - 1);
        tc[n > 0 ? n : 0] = '\0';
        if (n > 0 && tc[n - 1] == '\n')
            tc[n - 1] = '\0';
    }
    ft_cat(comm, 0, csize, tc);
    ft_cat(name, 0, nsize, comm[0] ? comm : exe);
    if (strlen(comm) < sizeof tc - 1)
        return;
    char cmd[512];
    ssize_t n = ft_sys_read_file("/proc/self/cmdline", cmd, sizeof cmd - 1);
    if (n <= 0)
        return;
    cmd[n] = '\0';
    const char *base = cmd;
    for (const char *p = cmd; *p; p++)
        if (*p == '/')
            base = p + 1;
    if (strncmp(base, comm, strlen(comm)) == 0)
        ft_cat(name, 0, nsize, base);
}

/* A /proc file in one read: these give all they have to one read (the
 * kernel copies cmdline page by page within the call), so the read to
 * the end that ft_sys_read_file makes is a system call for nothing. */
static ssize_t ft_read_once(const char *path, char *buf, size_t size)
{
    int fd = ft_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = ft_syscall(SYS_read, fd, buf, size);
    while (n < 0 && errno == EINTR);
    ft_sys_close(fd);
    return n;
}

void ft_fill_header(struct ft_header *h, struct ft_ctx *c, uint64_t rt, uint64_t mono,
                    uint32_t pid, int forked, const char *exe, const char *comm)
{
    memcpy(h->magic, FT_MAGIC, FT_MAGIC_LEN);
    h->version = FT_VERSION;
    h->header_size = FT_HEADER_SIZE;
    h->record_size = FT_RECORD_SIZE;
    h->ring_slots = c->slots;
    h->realtime_ns = rt;
    h->monotonic_ns = mono;
    h->pid = pid;
    h->ppid = (uint32_t)ft_syscall(SYS_getppid);
    h->uid = (uint32_t)ft_syscall(SYS_getuid);
    h->flags = forked ? FT_HDR_FORKED : 0;
    h->max_bytes = ft_cfg.max_bytes;
    /* Version 2: the regions and the always-on settings. */
    if (c->rg.keep_slots) {
        h->keep_offset = FT_HEADER_SIZE + (uint64_t)c->rg.keep_first * FT_RECORD_SIZE;
        h->keep_slots = c->rg.keep_slots;
    }
    if (c->rg.sum_entries) {
        h->summary_offset = FT_HEADER_SIZE + (uint64_t)c->rg.sum_first * FT_RECORD_SIZE;
        h->summary_slots = c->rg.sum_entries * FT_SUMMARY_ENTRY_SLOTS;
        h->summary_interval_s = ft_cfg.summary_s;
    }
    if (c->rg.names_slots) {
        h->names_offset = FT_HEADER_SIZE + (uint64_t)c->rg.names_first * FT_RECORD_SIZE;
        h->names_slots = c->rg.names_slots;
    }
    if (c->rg.aside_slots) {
        h->aside_offset = FT_HEADER_SIZE + (uint64_t)c->rg.aside_first * FT_RECORD_SIZE;
        h->aside_slots = c->rg.aside_slots;
    }
    h->alert_ms = ft_cfg.alert_ms;
    h->alert_factor = ft_cfg.alert_factor;
    h->alert_min_ms = ft_cfg.alert_min_ms;
    h->alert_every_s = ft_cfg.alert_every_s;
    h->cost_period = c->rg.sum_entries ? ft_cfg.cost_period : 0;
    h->alert_sink = ft_cfg.alert_sink;
    ft_cat(h->recorder_version, 0, sizeof h->recorder_version, FT_RECORDER_VERSION);

    char boot[64];
    ssize_t n = ft_read_once("/proc/sys/kernel/random/boot_id", boot, sizeof boot - 1);
    if (n > 0) {
        boot[n] = '\0';
        for (ssize_t i = 0; i < n; i++)
            if (boot[i] == '\n')
                boot[i] = '\0';
        ft_cat(h->boot_id, 0, sizeof h->boot_id, boot);
    }
    struct utsname u;
    if (ft_syscall(SYS_uname, &u) == 0)
        ft_cat(h->host, 0, sizeof h->host, u.nodename);
    ft_cat(h->exe, 0, sizeof h->exe, exe);
    ft_cat(h->comm, 0, sizeof h->comm, comm);

    /* /proc/self/cmdline is argv joined by NULs, with a final NUL; read one
     * byte more than fits to know whether it was cut. A cut one keeps a NUL
     * in the last byte, so the field stays NUL-terminated. */
    char cmd[FT_CMDLINE_MAX + 1];
    n = ft_read_once("/proc/self/cmdline", cmd, sizeof cmd);
    if (n > 0) {
        size_t len = (size_t)n;
        if (len > FT_CMDLINE_MAX) {
            len = FT_CMDLINE_MAX;
            cmd[len - 1] = '\0';
            h->cmdline_truncated = 1;
        }
        memcpy(h->cmdline, cmd, len);
        h->cmdline_len = (uint32_t)len;
    }
    h->dropped = FT_XCHG(&c->pending_drops, 0);
}
