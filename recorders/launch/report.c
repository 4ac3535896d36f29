/*
 * report.c — after the run, name the traces of the processes the launcher
 * started, and only those.
 *
 * A trace header carries the process's pid, its parent's pid and the wall
 * clock when it was made (recorders/FORMAT.md). The command's own pid is
 * known; its descendants are the traces whose parent is a pid already taken,
 * repeated until nothing is added. Only traces made since the launch count,
 * so another recording in the same directory (or an older process that had
 * the same pid) is left out. A process that became another user records
 * into DIR/uid-N (README: privileges): those are looked at too.
 * A descendant whose parent left no trace (a shell between them: dpkg's
 * maintainer scripts running mandb) is told by the run's mark in its
 * header (launch_id, from FSYNC_TRACE_LAUNCH); one that cleared its
 * environment (env -i, sudo) keeps only the pid chain.
 */
#include "launch.h"
#include "../ft_format.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ft_found {
    char name[288]; /* "uid-N/" and a file name */
    uint32_t pid, ppid, flags;
    uint64_t made_ns, launch_id;
    int taken;
};

static int ft_read_header(const char *dir, const char *name, struct ft_found *f)
{
    char path[4096];
    struct ft_header h;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -1;
    ssize_t n = pread(fd, &h, sizeof h, 0);
    close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h.magic, FT_MAGIC, FT_MAGIC_LEN) != 0) return -1;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->pid = h.pid;
    f->ppid = h.ppid;
    f->flags = h.flags;
    f->made_ns = h.realtime_ns;
    f->launch_id = h.launch_id;
    f->taken = 0;
    return 0;
}

static int ft_by_time(const void *a, const void *b)
{
    const struct ft_found *x = a, *y = b;
    return x->made_ns < y->made_ns ? -1 : x->made_ns > y->made_ns;
}

/* The traces in dir made since start_ns, added to *all; with sub, also
 * those in its uid-N directories (a process that became another user
 * records there), named "uid-N/NAME". */
static void ft_scan(const char *dir, const char *sub, uint64_t start_ns, struct ft_found **all, size_t *n, size_t *cap)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir, sub ? "/" : "", sub ? sub : "") >= sizeof path) return;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (!sub && strncmp(e->d_name, "uid-", 4) == 0 && e->d_name[4] >= '0' && e->d_name[4] <= '9') {
            ft_scan(dir, e->d_name, start_ns, all, n, cap);
            continue;
        }
        if (len < 8 || strcmp(e->d_name + len - 8, ".fstrace") != 0) continue;
        if (*n == *cap) {
            struct ft_found *more = realloc(*all, (*cap = *cap ? 2 * *cap : 64) * sizeof **all);
            if (!more) break;
            *all = more;
        }
        struct ft_found *f = &(*all)[*n];
        /* A second of slack: the header's clock is read before the file is named. */
        if (ft_read_header(path, e->d_name, f) == 0 && f->made_ns + 1000000000ull >= start_ns) {
            if (sub) snprintf(f->name, sizeof f->name, "%s/%s", sub, e->d_name);
            (*n)++;
        }
    }
    if (d) closedir(d);
}

void ft_launch_report(const char *dir, pid_t root, uint64_t start_ns, uint64_t launch_id)
{
    size_t n = 0, cap = 0;
    struct ft_found *all = NULL;
    ft_scan(dir, NULL, start_ns, &all, &n, &cap);
    /* Take the command's own traces and those with this run's mark, then
     * those whose parent is a pid taken (the command's pid counts even when
     * it made no trace), until stable. */
    size_t taken = 0;
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t i = 0; i < n; i++) {
            if (all[i].taken) continue;
            int mine = all[i].pid == (uint32_t)root || all[i].ppid == (uint32_t)root ||
                       (launch_id && all[i].launch_id == launch_id);
            for (size_t j = 0; j < n && !mine; j++) mine = all[j].taken && all[j].pid == all[i].ppid;
            if (mine) all[i].taken = grew = 1, taken++;
        }
    }
    if (taken == 0) {
        fprintf(stderr, "fsync-record: no durability calls recorded (no trace of pid %d or its children in %s)\n", (int)root, dir);
        free(all);
        return;
    }
    qsort(all, n, sizeof *all, ft_by_time);
    fprintf(stderr, "fsync-record: %zu trace file%s in %s:\n", taken, taken == 1 ? "" : "s", dir);
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all[i].taken) continue;
        if (shown++ == 8) {
            fprintf(stderr, "  ... and %zu more\n", taken - 8);
            break;
        }
        fprintf(stderr, "  %s/%s%s\n", dir, all[i].name, all[i].flags & FT_HDR_DISABLED ? " (recording stopped)" : "");
    }
    free(all);
}
