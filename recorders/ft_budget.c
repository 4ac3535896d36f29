/*
 * ft_budget.c — the trace directory's budget (FSYNC_TRACE_DIR_MAX_BYTES).
 *
 * A host with the recorder preloaded makes a trace per process that syncs,
 * and nothing else removes them. So before a trace is made, and each time
 * one has grown by a quarter of the room the last look left (ft_budget_step: at
 * least 64 KiB, at most 8 MiB), the directory is looked at: when the
 * allocated bytes of its traces (st_blocks, what tmpfs takes from memory),
 * with what is about to be added, pass the budget, the traces of processes
 * that have ended (the header says so, or the pid is gone) are removed,
 * oldest first, until they fit. A live process's trace is never removed,
 * so live traces alone can pass the budget. What a process removed is added
 * up in its own header (dir_removed, dir_removed_bytes), where the analyzer
 * reads it.
 *
 * A look costs a system call or two per trace: ~5-10 ms for 1,000 traces
 * on this project's VM. So it is made in steps of at most ~8 us of work
 * (ft_budget_look, FT_BUDGET_LOOK_NS): a new trace's first step at its
 * first sync, then one at each block a writer claims (ft_trace.c), and
 * what is left of it when the image ends (exit, _exit, exec) then, so that
 * processes that sync once and end still make room; the program's calls
 * never wait for the whole directory. A look reads every trace's size and
 * remembers the FT_BUDGET_CAND oldest ended ones, then removes them oldest
 * first while the directory is over, and makes another round if that was
 * not enough. Whether a trace has ended is asked only of those old enough
 * to be remembered, and without opening it: a trace's name says when it
 * was made and by which pid (ft_create.c), a pid that is gone is an ended
 * process, and an image that ended by exit or exec (its pid may live on)
 * set its trace's sticky bit (FT_TRACE_ENDED_BIT), which the stat of its size
 * shows; such a trace's header is read, to be sure, only when it is about
 * to be removed.
 *
 * Raw syscalls only, and little stack (the walk holds the buffers): this
 * may run in a signal handler
 * (the first sync of a process may be made in one).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_budget.h"

#define FT_BUDGET_PASSES 8    /* rounds when more than FT_BUDGET_CAND must go */
/* Traces a step stats or removes whatever the time (then more until it is
 * up): a look's length in steps is bounded by the directory's size, not by
 * the machine's load (a stat and a kill(pid, 0) each, ~2-3 us here: a step
 * of FT_BUDGET_LOOK_NS stats 4 or more; 1,020 traces take at most 255). */
#define FT_WALK_MIN 4

enum { FT_WALK_IDLE = 0, FT_WALK_SCAN, FT_WALK_REMOVE };

struct ft_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int ft_is_trace_name(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && n < FT_TRACE_NAME_MAX && memcmp(name + n - 8, ".fstrace", 8) == 0;
}

/* <exe>.<pid>.<s>.<ns>.fstrace (ft_create.c): the pid and when it was made
 * (realtime ns). 0 if the name is not of that shape. */
static int ft_name_start(const char *name, uint32_t *pid, uint64_t *start)
{
    size_t at = strlen(name) - 8;
    uint64_t field[3];
    for (int i = 0; i < 3; i++) {
        size_t end = at;
        uint64_t v = 0, scale = 1;
        while (at > 0 && end - at < 19 && name[at - 1] >= '0' && name[at - 1] <= '9') {
            v += (uint64_t)(name[at - 1] - '0') * scale;
            scale *= 10;
            at--;
        }
        if (at == end || at < 2 || name[at - 1] != '.')
            return 0;
        field[i] = v;
        at--;
    }
    if (field[0] >= 1000000000u || field[2] == 0 || field[2] > 0x7fffffffu)
        return 0;
    *pid = (uint32_t)field[2];
    *start = field[1] * 1000000000u + field[0];
    return 1;
}

/* dir/name, for a trace named in the directory, into w->path (no
 * descriptor is kept between steps: the program may close or dup2 over any). */
static const char *ft_trace_path(struct ft_budget_walk *w, const char *name)
{
    size_t at = ft_cat(w->path, 0, sizeof w->path, w->dir);
    at = ft_cat(w->path, at, sizeof w->path, "/");
    ft_cat(w->path, at, sizeof w->path, name);
    return w->path;
}

static int ft_pid_gone(uint32_t pid)
{
    return ft_syscall(SYS_kill, (pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Has the process that wrote this trace ended, by its header? It says so
 * (exit, _exit, exec), or the pid it names is gone (a crash, a kill). A pid
 * reused since keeps the trace: the safe way to be wrong. *start: when it
 * was made, by the header. */
static int ft_header_ended(const char *path, uint64_t *start)
{
    int fd = ft_sys_openat(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
    if (fd < 0)
        return 0;
    /* The header's first fields only, not the whole struct (3.4 KiB): a look
     * may run at any block claim, in a signal handler on a small stack. */
    unsigned char h[offsetof(struct ft_header, next_seq)];
    long n = ft_syscall(SYS_pread64, fd, h, sizeof h, 0);
    ft_sys_close(fd);
    if (n != (long)sizeof h || memcmp(h + offsetof(struct ft_header, magic), FT_MAGIC, FT_MAGIC_LEN) != 0)
        return 0;
    uint32_t flags, pid;
    memcpy(&flags, h + offsetof(struct ft_header, flags), sizeof flags);
    memcpy(&pid, h + offsetof(struct ft_header, pid), sizeof pid);
    memcpy(start, h + offsetof(struct ft_header, realtime_ns), sizeof *start);
    return (flags & FT_HDR_ENDED) || ft_pid_gone(pid);
}

/* Keep the oldest candidates, in order. */
static void ft_cand_add(struct ft_budget_walk *w, uint64_t start, uint64_t bytes, uint32_t check, const char *name)
{
    struct ft_budget_cand *cand = w->cand;
    unsigned at = w->ncand;
    while (at > 0 && cand[at - 1].start > start)
        at--;
    if (at >= FT_BUDGET_CAND)
        return;
    unsigned last = w->ncand < FT_BUDGET_CAND ? w->ncand : FT_BUDGET_CAND - 1;
    memmove(&cand[at + 1], &cand[at], (last - at) * sizeof *cand);
    cand[at].start = start;
    cand[at].bytes = bytes;
    cand[at].check = check;
    ft_cat(cand[at].name, 0, sizeof cand[at].name, name);
    if (w->ncand < FT_BUDGET_CAND)
        w->ncand++;
}

/* One directory entry: its allocated bytes counted, and, if it is old
 * enough to be among the first removed, whether it has ended. That is told
 * without opening the file: its mode says its image ended (checked in its
 * header before it is removed), or the pid its name carries is gone. Only a
 * trace whose name is not of our shape, or whose process dropped root's
 * privileges (FT_TRACE_DROPPED_BIT) and lives, has its header read here. */
static int ft_walk_entry(struct ft_budget_walk *w, const char *name)
{
    struct stat st;
    if (!ft_is_trace_name(name))
        return 0;
    if (ft_syscall(SYS_newfstatat, AT_FDCWD, ft_trace_path(w, name), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || st.st_uid != w->uid)
        return 1;
    uint64_t bytes = (uint64_t)st.st_blocks * 512u, start = 0;
    uint32_t pid = 0, check = 0;
    if (w->self && strcmp(name, w->self) == 0) {
        w->self_bytes = bytes;
        if (!w->self_out)
            w->total += bytes;
        return 1; /* the looker's own: it lives while it looks */
    }
    w->total += bytes;
    int named = ft_name_start(name, &pid, &start), ended;
    if (named && w->ncand == FT_BUDGET_CAND && start >= w->cand[FT_BUDGET_CAND - 1].start) {
        w->more = 1; /* not looked at: younger than every candidate */
        return 1;
    }
    uint64_t at_start;
    if (!named)
        ended = ft_header_ended(w->path, &start);
    else if ((check = (st.st_mode & FT_TRACE_ENDED_BIT) != 0))
        ended = 1;
    else /* its process dropped root's privileges: it could not mark its mode */
        ended = ft_pid_gone(pid) || ((st.st_mode & FT_TRACE_DROPPED_BIT) && ft_header_ended(w->path, &at_start));
    if (ended) {
        if (w->ncand == FT_BUDGET_CAND)
            w->more = 1;
        ft_cand_add(w, start, bytes, check, name);
    }
    return 1;
}

/* Is this step's work done? After w->step_max traces stat'ed or removed,
 * or at least FT_WALK_MIN of them and past `until` (0: no time limit). */
static int ft_past(struct ft_budget_walk *w, uint64_t until)
{
    return w->step_work >= w->step_max ||
           (w->step_work >= FT_WALK_MIN && until && ft_clock(CLOCK_MONOTONIC) >= until);
}

/* The next entries of the directory into w->ents: > 0 read, 0 at its end,
 * -1 if it cannot be read. *dfd is open for this step only (no descriptor
 * is kept between steps: the program may close or dup2 over any), at
 * w->off once opened, where the last read left it after. */
static long ft_walk_read(struct ft_budget_walk *w, int *dfd)
{
    if (*dfd < 0) {
        *dfd = ft_sys_openat(AT_FDCWD, w->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (*dfd < 0 || (w->off && ft_syscall(SYS_lseek, *dfd, w->off, SEEK_SET) < 0))
            return -1;
    }
    long got = ft_syscall(SYS_getdents64, *dfd, w->ents, sizeof w->ents);
    w->ents_len = got > 0 ? (uint32_t)got : 0;
    w->ents_at = 0;
    return got;
}

/* Look at entries, from where the last step stopped: 1 at the directory's
 * end, 0 when the time is up, -1 if it cannot be read. */
static int ft_walk_scan(struct ft_budget_walk *w, uint64_t until)
{
    int dfd = -1, r;
    for (;;) {
        if (w->ents_at >= w->ents_len) {
            long got = ft_walk_read(w, &dfd);
            if (got <= 0) {
                r = got < 0 ? -1 : 1;
                break;
            }
        }
        struct ft_dirent64 *d = (struct ft_dirent64 *)(w->ents + w->ents_at);
        w->ents_at += d->d_reclen;
        w->step_work += ft_walk_entry(w, d->d_name);
        w->off = d->d_off;
        if (ft_past(w, until)) {
            r = 0;
            break;
        }
    }
    if (dfd >= 0)
        ft_sys_close(dfd);
    return r;
}

static void ft_walk_begin(struct ft_budget_walk *w)
{
    w->phase = FT_WALK_SCAN;
    w->off = 0;
    w->total = w->self_bytes = 0;
    w->ncand = w->next = w->more = 0;
    w->ents_len = w->ents_at = 0;
}

/* The look is over: the room it leaves. Returns 2 when it left the
 * directory over its budget with nothing more it could remove (live
 * processes' traces), else 1. */
static int ft_walk_end(struct ft_budget_walk *w, uint64_t seen, uint64_t need, uint64_t *room)
{
    uint64_t limit = ft_cfg.dir_max_bytes;
    int stuck = w->phase != FT_WALK_IDLE && seen != UINT64_MAX && seen + need > limit && !w->more;
    w->phase = FT_WALK_IDLE;
    *room = seen == UINT64_MAX || seen + need >= limit ? 0 : limit - seen - need;
    return stuck ? 2 : 1;
}

/* Remove candidates, oldest first, while the directory is over: > 0 when
 * the look is over, 0 when it goes on (time up, or another pass). */
static int ft_walk_remove(struct ft_budget_walk *w, uint64_t need, uint64_t until, uint64_t *room,
                          uint64_t *removed, uint64_t *removed_bytes)
{
    uint64_t limit = ft_cfg.dir_max_bytes, start;
    while (w->next < w->ncand && w->total + need > limit) {
        struct ft_budget_cand *x = &w->cand[w->next++];
        const char *path = ft_trace_path(w, x->name);
        /* Its mode said ended: its header must say so too (a failed exec
         * takes the mode back, and anyone may chmod a file). */
        if ((!x->check || ft_header_ended(path, &start)) && ft_syscall(SYS_unlinkat, AT_FDCWD, path, 0) == 0) {
            w->total -= x->bytes < w->total ? x->bytes : w->total;
            FT_ADD(removed, 1);
            FT_ADD(removed_bytes, x->bytes);
        } /* else it lives after all, or another process removed it first */
        w->step_work++;
        if (ft_past(w, until))
            return 0;
    }
    if (w->total + need <= limit || !w->more || ++w->passes >= FT_BUDGET_PASSES)
        return ft_walk_end(w, w->total, need, room);
    ft_walk_begin(w);
    return 0;
}

uint64_t ft_budget_ending(struct ft_budget_walk *w, const char *path)
{
    struct stat st;
    int saved = errno;
    uint64_t bytes = ft_syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (uint64_t)st.st_blocks * 512u : 0;
    errno = saved;
    if (!w->self_out)
        w->total -= w->self_bytes < w->total ? w->self_bytes : w->total;
    w->self_out = 1;
    return bytes;
}

void ft_budget_living(struct ft_budget_walk *w)
{
    if (w->self_out)
        w->total += w->self_bytes;
    w->self_out = 0;
}

int ft_budget_look(struct ft_budget_walk *w, uint64_t need, uint64_t step_ns, uint32_t step_max, uint64_t *room,
                   uint64_t *removed, uint64_t *removed_bytes)
{
    uint64_t limit = ft_cfg.dir_max_bytes;
    *room = UINT64_MAX;
    if (!limit)
        return 1;
    int saved = errno, over = 0;
    uint64_t until = step_ns ? ft_clock(CLOCK_MONOTONIC) + step_ns : 0;
    w->step_work = 0;
    w->step_max = step_max;
    if (w->phase == FT_WALK_IDLE) {
        /* Everything the file system holds is under the budget: so are the
         * traces (one statfs, nothing opened; tmpfs with a size, and any
         * disk, say how much is used). Else the traces' sizes, and which of
         * the oldest have ended. */
        struct statfs sf;
        uint64_t seen;
        if (ft_syscall(SYS_statfs, w->dir, &sf) == 0 && sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks &&
            (seen = (uint64_t)(sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize) + need <= limit) {
            errno = saved;
            return ft_walk_end(w, seen, need, room);
        }
        ft_walk_begin(w);
        w->uid = (uint32_t)ft_syscall(SYS_geteuid);
        w->passes = 0;
    }
    while (!over) {
        if (w->phase == FT_WALK_SCAN) {
            int r = ft_walk_scan(w, until);
            if (r < 0) {
                over = ft_walk_end(w, UINT64_MAX, need, room);
                break;
            }
            if (r == 0)
                break;
            w->phase = FT_WALK_REMOVE;
        }
        over = ft_walk_remove(w, need, until, room, removed, removed_bytes);
        if (ft_past(w, until))
            break;
    }
    errno = saved;
    return over;
}
