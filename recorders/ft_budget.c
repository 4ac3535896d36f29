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
 * Raw syscalls only, a few KiB of stack: this may run in a signal handler
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

#define FT_BUDGET_CAND 16     /* oldest ended traces remembered per pass */
#define FT_BUDGET_PASSES 8    /* passes when more than that must go */
#define FT_NAME_MAX 128       /* <exe, 64>.<pid>.<s>.<ns>.fstrace fits */

struct ft_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

struct ft_cand {
    uint64_t start;           /* the header's realtime_ns: oldest goes first */
    uint64_t bytes;
    char name[FT_NAME_MAX];
};

static int ft_is_trace_name(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && n < FT_NAME_MAX && memcmp(name + n - 8, ".fstrace", 8) == 0;
}

/* Has the process that wrote this trace ended? Its header says so (exit,
 * _exit, exec), or its pid is gone (a crash, a kill). A pid reused since
 * keeps the trace: the safe way to be wrong. */
static int ft_trace_ended(int dfd, const char *name, uint64_t *start)
{
    int fd = ft_sys_openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
    if (fd < 0)
        return 0;
    struct ft_header h;
    size_t want = offsetof(struct ft_header, next_seq);
    long n = ft_syscall(SYS_pread64, fd, &h, want, 0);
    ft_sys_close(fd);
    if (n != (long)want || memcmp(h.magic, FT_MAGIC, FT_MAGIC_LEN) != 0)
        return 0;
    *start = h.realtime_ns;
    if (h.flags & FT_HDR_ENDED)
        return 1;
    return ft_syscall(SYS_kill, (pid_t)h.pid, 0) < 0 && errno == ESRCH;
}

/* Keep the n oldest candidates, in order. */
static void ft_cand_add(struct ft_cand *cand, unsigned *n, uint64_t start, uint64_t bytes, const char *name)
{
    unsigned at = *n;
    while (at > 0 && cand[at - 1].start > start)
        at--;
    if (at >= FT_BUDGET_CAND)
        return;
    unsigned last = *n < FT_BUDGET_CAND ? *n : FT_BUDGET_CAND - 1;
    memmove(&cand[at + 1], &cand[at], (last - at) * sizeof *cand);
    cand[at].start = start;
    cand[at].bytes = bytes;
    ft_cat(cand[at].name, 0, sizeof cand[at].name, name);
    if (*n < FT_BUDGET_CAND)
        (*n)++;
}

/* One look at the directory: the allocated bytes of its traces, and (with
 * cand) the oldest ended ones, which takes an open and a read per trace.
 * Returns the total, or UINT64_MAX if it cannot be read. rewind: dfd was
 * read before (a freshly opened one is at its start: no lseek). */
static uint64_t ft_budget_scan(int dfd, struct ft_cand *cand, unsigned *ncand, int *more, int rewind)
{
    char buf[2048];
    uint64_t total = 0;
    uid_t me = (uid_t)ft_syscall(SYS_geteuid);
    *ncand = 0;
    *more = 0;
    if (rewind && ft_syscall(SYS_lseek, dfd, 0, SEEK_SET) < 0)
        return UINT64_MAX;
    for (;;) {
        long got = ft_syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (got <= 0)
            return got < 0 ? UINT64_MAX : total;
        for (long at = 0; at < got;) {
            struct ft_dirent64 *d = (struct ft_dirent64 *)(buf + at);
            at += d->d_reclen;
            struct stat st;
            if (!ft_is_trace_name(d->d_name) ||
                ft_syscall(SYS_newfstatat, dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                !S_ISREG(st.st_mode) || st.st_uid != me)
                continue;
            uint64_t bytes = (uint64_t)st.st_blocks * 512u, start = 0;
            total += bytes;
            if (cand && ft_trace_ended(dfd, d->d_name, &start)) {
                if (*ncand == FT_BUDGET_CAND)
                    *more = 1;
                ft_cand_add(cand, ncand, start, bytes, d->d_name);
            }
        }
    }
}

uint64_t ft_budget_keep(uint64_t need, uint64_t *removed, uint64_t *removed_bytes)
{
    uint64_t limit = ft_cfg.dir_max_bytes, seen = UINT64_MAX;
    if (!limit)
        return UINT64_MAX;
    int saved = errno;
    /* Everything the file system holds is under the budget: so are the
     * traces (one statfs, nothing opened; tmpfs with a size, and any disk,
     * say how much is used). Else the traces' sizes alone first (no file
     * opened), and only when they pass it, which of them have ended. */
    struct statfs sf;
    if (ft_syscall(SYS_statfs, ft_cfg.dir, &sf) == 0 && sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks &&
        (seen = (uint64_t)(sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize) + need <= limit) {
        errno = saved;
        return limit - seen - need;
    }
    seen = UINT64_MAX;
    int dfd = ft_sys_openat(AT_FDCWD, ft_cfg.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (dfd < 0) {
        errno = saved;
        return 0;
    }
    struct ft_cand cand[FT_BUDGET_CAND];
    unsigned n;
    int more;
    seen = ft_budget_scan(dfd, NULL, &n, &more, 0);
    if (seen == UINT64_MAX || seen + need <= limit)
        goto done;
    for (int pass = 0; pass < FT_BUDGET_PASSES; pass++) {
        uint64_t total = ft_budget_scan(dfd, cand, &n, &more, 1);
        seen = total;
        if (total == UINT64_MAX || total + need <= limit)
            break;
        for (unsigned i = 0; i < n && total + need > limit; i++) {
            if (ft_syscall(SYS_unlinkat, dfd, cand[i].name, 0) != 0)
                continue; /* another process removed it first */
            total -= cand[i].bytes < total ? cand[i].bytes : total;
            FT_ADD(removed, 1);
            FT_ADD(removed_bytes, cand[i].bytes);
        }
        seen = total;
        if (total + need <= limit || !more)
            break;
    }
done:
    ft_sys_close(dfd);
    errno = saved;
    return seen == UINT64_MAX || seen + need >= limit ? 0 : limit - seen - need;
}
