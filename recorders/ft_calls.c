/*
 * ft_calls.c — the steps around the real call that are not on the hot path:
 * sync writes, opens, closes, dups, renames, shared mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ft_calls.h"

/* A write that was itself durable: a sync record whose interval includes
 * this write, then a new interval from its end. Recorded even when it
 * failed: a failed O_SYNC write is a failed sync. */
__attribute__((noinline)) void ft_sync_write_end(struct ft_write *w, long ret, int err)
{
    uint64_t t1 = ft_now();
    struct ft_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = FT_T_SYNC;
    ev.call = w->call;
    ev.fd = w->fd;
    ev.start_ns = w->t0;
    ev.dur_ns = ft_since(w->t0, t1);
    ev.res = ft_res(ret, err);
    ft_name_event(&ev, w->e, w->f);
    if (w->f) {
        struct ft_ival iv;
        if (ret >= 0) {
            FT_ADD(&w->f->bytes, (uint64_t)ret);
            FT_ADD(&w->f->writes, 1);
            FT_ADD(&w->f->wtime_ns, ft_since(w->t0, t1));
        }
        ft_file_take(w->f, t1, &iv);
        ft_ival_fill(&ev, &iv);
    } else {
        ev.flags |= FT_F_NO_INTERVAL;
    }
    ft_sync_done(&ev, w->f);
}

__attribute__((noinline)) void ft_write_cost(struct ft_write *w, uint64_t t_back)
{
    ft_cost_sample(ft_since(w->t_in, w->t_out) + ft_since(t_back, ft_clock_read()));
}

/* ---- opens and closes ---- */

/* An event record of `type` for fd, from t0 to t1, with result res. */
static void ft_event_init(struct ft_event *ev, uint8_t type, int fd, uint64_t t0, uint64_t t1, int32_t res)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->start_ns = t0;
    ev->dur_ns = ft_since(t0, t1);
    ev->fd = fd;
    ev->res = res;
}

/* A descriptor number the kernel hands out again was closed behind our back
 * (a close we could not see): forget what it was. */
static void ft_forget(uint64_t e)
{
    struct ft_file *f = ft_file_of(e);
    if (f)
        ft_file_release(f);
}

void ft_open_end(int fd, int oflags, uint64_t t0)
{
    if (fd < 0)
        return;
    ft_forget(ft_fd_take(fd));
    if ((oflags & O_ACCMODE) == O_RDONLY && !(oflags & (O_CREAT | O_TRUNC | O_TMPFILE))) {
        /* Read-only: nothing to count, and most such files are never synced.
         * Remembered as seen, with no syscall; named if it ever is synced
         * (a directory opened to fsync it, a file fsynced after a read). */
        uint32_t fl = (oflags & O_SYNC) == O_SYNC ? FT_FDF_OSYNC : (oflags & O_DSYNC) ? FT_FDF_ODSYNC : 0;
        ft_fd_set(fd, (uint64_t)fl << 32 | FT_FD_LAZY);
        return;
    }
    uint64_t t1 = ft_now();
    uint64_t e = ft_fd_opened(fd, oflags, 0, t0);
    struct ft_file *f = ft_file_of(e);
    if (f) {
        struct ft_event ev;
        ft_event_init(&ev, FT_T_OPEN, fd, t0, t1, fd);
        ev.writes = (uint32_t)oflags;
        ft_name_event(&ev, e, f);
        ft_emit(&ev);
    }
}

/* The descriptor that held entry e is gone. A close record carries what was
 * written and never synced; when it was the file's last descriptor, the
 * interval ends with it (a later open starts a new one). */
void ft_closed(int fd, uint64_t e, uint64_t t0, uint64_t t1, int32_t res)
{
    struct ft_file *f = ft_file_of(e);
    if (!f)
        return;
    struct ft_event ev;
    struct ft_ival iv;
    ft_event_init(&ev, FT_T_CLOSE, fd, t0, t1, res);
    ft_name_event(&ev, e, f);
    if (ft_file_release(f)) {
        ft_file_take(f, 0, &iv);
        ev.flags |= FT_F_LAST_CLOSE;
    } else {
        ft_file_peek(f, &iv);
    }
    ft_ival_fill(&ev, &iv);
    ft_emit(&ev);
}

/* Forget every descriptor in [lo, hi] (close_range, closefrom): walk only
 * the chunks of the table that exist. */
void ft_closed_range(unsigned lo, unsigned hi, uint64_t t0, uint64_t t1)
{
    for (unsigned top = lo >> FT_FD_CHUNK_SHIFT; top < FT_FD_TOP && top <= (hi >> FT_FD_CHUNK_SHIFT); top++) {
        if (!FT_LOAD_ACQ(&ft_fd_top[top]))
            continue;
        unsigned first = top << FT_FD_CHUNK_SHIFT, last = first + FT_FD_CHUNK - 1;
        for (unsigned fd = first < lo ? lo : first; fd <= last && fd <= hi; fd++) {
            if (ft_fd_get((int)fd) != 0)
                ft_closed((int)fd, ft_fd_take((int)fd), t0, t1, 0);
        }
    }
}

/* dup, dup2, dup3, F_DUPFD: the new fd refers to the same open file
 * description (same file, same O_SYNC flags). dup2/dup3 onto an open fd
 * close it first, silently, and we say so with a close record. */
void ft_dup_end(int oldfd, int newfd, uint64_t t0)
{
    if (newfd < 0 || newfd == oldfd)
        return;
    uint64_t e = ft_fd_get(oldfd);
    if ((e == 0 && ft_fd_get(newfd) == 0) || ft_vfork_child())
        return;
    uint64_t replaced = ft_fd_take(newfd);
    if (replaced)
        ft_closed(newfd, replaced, t0, ft_now(), 0);
    struct ft_file *f = ft_file_of(e);
    if (f)
        ft_file_hold(f);
    if (e)
        ft_fd_set(newfd, e);
}

/* ---- renames ---- */

static void ft_rename_one(int olddirfd, const char *old, int newdirfd, const char *new_,
                          uint64_t t0, uint64_t t1)
{
    char oldname[FT_PATH_MAX_LEN + 1], newname[FT_PATH_MAX_LEN + 1];
    uint64_t dev, ino, unused;
    uint32_t mode = 0, unused_mode;
    int nlen = ft_abs_name(newdirfd, new_, newname, sizeof newname, 1, &dev, &ino, &mode);
    if (nlen <= 0)
        return; /* renamed again already, or /proc is missing */
    /* A directory moved: so did every file under it. Files name themselves
     * again at their next event (ft_file_rename_check). */
    if (S_ISDIR(mode))
        __atomic_add_fetch(&ft_names_gen, 1, __ATOMIC_RELEASE);
    int olen = ft_abs_name(olddirfd, old, oldname, sizeof oldname, 0, &unused, &unused, &unused_mode);
    struct ft_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = FT_T_RENAME;
    ev.start_ns = t0;
    ev.dur_ns = ft_since(t0, t1);
    ev.fd = -1;
    ev.path_id = olen > 0 ? ft_path_intern(oldname, (uint32_t)olen, dev, ino) : 0;
    ev.writes = ft_path_intern(newname, (uint32_t)nlen, dev, ino);
    if (!ev.path_id || !ev.writes)
        ev.flags |= FT_F_PATH_UNKNOWN;
    /* Events on the open file from now on carry its new name. */
    uint32_t file = ft_file_find(dev, ino, 0);
    if (file && ev.writes)
        FT_STORE(&ft_files[file - 1].path_id, ev.writes);
    ft_emit(&ev);
}

void ft_renamed(int olddirfd, const char *old, int newdirfd, const char *new_,
                       unsigned flags, uint64_t t0)
{
    uint64_t t1 = ft_now();
    ft_rename_one(olddirfd, old, newdirfd, new_, t0, t1);
    if (flags & RENAME_EXCHANGE) /* both names moved (rename(2)) */
        ft_rename_one(newdirfd, new_, olddirfd, old, t0, t1);
}

/* ---- shared mappings ---- */

/* A small fixed table: msync(2) takes an address, and only this tells us
 * which file lives there. Full: msync records go unnamed. */
#define FT_MAPS 64

struct ft_map {
    uint32_t state; /* 0 free, 1 being filled, 2 in use */
    uint32_t path_id;
    uintptr_t addr;
    size_t len;
    uint32_t file;  /* index + 1 in ft_files ... */
    uint16_t life;  /* ... while its slot holds this file (ft_file.life) */
};

static struct ft_map ft_maps[FT_MAPS];
static uint32_t ft_maps_used; /* entries ever taken: munmap skips an empty table */

void ft_map_add(void *addr, size_t len, int fd)
{
    uint64_t e = ft_fd_known(fd);
    struct ft_file *f = ft_file_of(e);
    if (!f)
        return;
    for (int i = 0; i < FT_MAPS; i++) {
        uint32_t st = 0;
        if (FT_LOAD(&ft_maps[i].state) == 0 && FT_CAS(&ft_maps[i].state, &st, 1)) {
            ft_maps[i].addr = (uintptr_t)addr;
            ft_maps[i].len = len;
            ft_maps[i].path_id = FT_LOAD(&f->path_id);
            ft_maps[i].file = ft_fd_what(e);
            ft_maps[i].life = FT_LOAD(&f->life);
            FT_STORE_REL(&ft_maps[i].state, 2);
            FT_ADD(&ft_maps_used, 1);
            return;
        }
    }
}

void ft_map_remove(void *addr, size_t len)
{
    uintptr_t lo = (uintptr_t)addr, hi = lo + len;
    if (FT_LOAD(&ft_maps_used) == 0)
        return;
    for (int i = 0; i < FT_MAPS; i++) {
        if (FT_LOAD_ACQ(&ft_maps[i].state) != 2)
            continue;
        if (ft_maps[i].addr < hi && lo < ft_maps[i].addr + ft_maps[i].len) {
            uint32_t st = 2;
            FT_CAS(&ft_maps[i].state, &st, 0);
        }
    }
}

uint32_t ft_map_path(void *addr, struct ft_file **f)
{
    uintptr_t a = (uintptr_t)addr;
    for (int i = 0; i < FT_MAPS; i++) {
        if (FT_LOAD_ACQ(&ft_maps[i].state) == 2 && a >= ft_maps[i].addr &&
            a < ft_maps[i].addr + ft_maps[i].len) {
            /* The file's slot may hold another file by now (its descriptors
             * all closed): then the msync is named, with no file's track. */
            *f = ft_file_of(ft_maps[i].file);
            if (*f && FT_LOAD(&(*f)->life) != ft_maps[i].life)
                *f = NULL;
            return ft_maps[i].path_id;
        }
    }
    *f = NULL;
    return 0;
}

