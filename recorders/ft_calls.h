/*
 * ft_calls.h — what the wrappers share: the steps before and after the real
 * call, family by family (the hot ones inline here, the rest in ft_calls.c).
 */
#ifndef FT_CALLS_H
#define FT_CALLS_H

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "ft_always.h"
#include "ft_link.h"
#include "ft_maps.h"
#include "ft_moves.h"

static inline void ft_name_event(struct ft_event *ev, uint64_t e, struct ft_file *f)
{
    if (ft_fd_flags(e) & FT_FDF_RESOLVED)
        ev->flags |= FT_F_FD_RESOLVED;
    /* A directory renamed since the file was named, or its path id gone
     * from the store (a long-lived file among millions): named again. */
    uint32_t id = f ? FT_LOAD(&f->path_id) : 0;
    if (f && FT_UNLIKELY(FT_LOAD(&ft_names_gen) != FT_LOAD(&f->name_gen) || (id && ft_path_old(id)))) {
        ft_file_rename_check(f, ev->fd, ev->type == FT_T_SYNC);
        id = FT_LOAD(&f->path_id);
    }
    ev->path_id = id;
    if (!id)
        ev->flags |= FT_F_PATH_UNKNOWN;
}

static inline int32_t ft_res(long ret, int err) { return ret < 0 ? -err : (int32_t)ret; }

/* -- sync calls -- */

/* A sync in flight: its record, its file, and, when this call's own cost is
 * measured (1 in cost_period), when the wrapper began. */
struct ft_sync {
    struct ft_event ev;
    struct ft_file *f;
    uint32_t life;       /* f's life when the call began (ft_track_of) */
    uint64_t t_in;
};

static inline uint64_t ft_cost_begin(void)
{
    if (FT_LIKELY(!ft_thr.cost_due))
        return 0;
    ft_thr.cost_due = 0;
    return ft_cost_start();
}

static inline __attribute__((always_inline)) void ft_sync_begin(struct ft_sync *s, uint8_t call, int fd,
                                                            int closes_interval)
{
    struct ft_event *ev = &s->ev;
    s->t_in = ft_cost_begin();
    memset(ev, 0, sizeof *ev);
    ev->type = FT_T_SYNC;
    ev->call = call;
    ev->fd = fd;
    uint64_t e = ft_fd_known(fd);
    struct ft_file *f = ft_file_of(e);
    s->f = f;
    s->life = f ? FT_LOAD(&f->life) : 0;
    ft_name_event(ev, e, f);
    ev->start_ns = ft_now();
    if (closes_interval && f) {
        /* Snapshot and restart at the start of the call: what fsync makes
         * durable is what was written before it began (fsync(2)). */
        struct ft_ival iv;
        ft_file_take(f, ev->start_ns, &iv);
        ft_ival_fill(ev, &iv);
    } else {
        ev->flags |= FT_F_NO_INTERVAL;
    }
}

/* For calls that fill their own record (sync, msync): start the clock. */
static inline void ft_sync_start(struct ft_sync *s, struct ft_file *f)
{
    s->f = f;
    s->life = f ? FT_LOAD(&f->life) : 0;
    s->ev.start_ns = ft_now();
}

/* hot: the whole path inline (ft_sync_done_hot), for the fsync family's
 * wrappers (ft_base.h, FT_HOT_PAGE); the other sync calls call it. There, an
 * fsync or fdatasync whose record (the sync failed or not) went into the raw
 * ring is kept for the Node call it may serve, in a process whose Node hook
 * asked (ft_link.h: one relaxed load in any other). */
static inline __attribute__((always_inline)) void ft_sync_end(struct ft_sync *s, long ret, int err, int hot)
{
    uint64_t t1 = ft_now();
    s->ev.dur_ns = ft_since(s->ev.start_ns, t1);
    s->ev.res = ft_res(ret, err);
    if (hot) {
        ft_sync_done_hot(&s->ev, s->f, s->life);
        /* Recorded: the trace is ready after the record (as ft_emit_hot tells). */
        if (FT_UNLIKELY(FT_LOAD(&ft_link_on) != 0) && (s->ev.call == FT_C_FSYNC || s->ev.call == FT_C_FDATASYNC) &&
            !ft_thr.js && ft_regions() != NULL)
            ft_link_keep(s->ev.fd, s->ev.call, s->ev.start_ns);
    } else {
        ft_sync_done(&s->ev, s->f, s->life);
    }
    if (FT_UNLIKELY(s->t_in))
        ft_cost_end(s->t_in, s->ev.start_ns, t1);
}

/* -- write-family calls -- */

struct ft_write {
    int fd;
    uint8_t call;        /* FT_C_*_WRITE when this write is itself a sync */
    struct ft_file *f;
    uint64_t e;
    uint64_t t0;         /* 0 unless the write is timed */
    uint64_t t_in;       /* when the wrapper began, if its cost is measured ... */
    uint64_t t_out;      /* ... and when it handed over to the real call */
};

#ifndef RWF_DSYNC
#define RWF_DSYNC 0x2
#endif
#ifndef RWF_SYNC
#define RWF_SYNC 0x4
#endif

/* The hot path: one table lookup and, 1 write in N per thread, a clock read. */
static inline __attribute__((always_inline)) void ft_write_begin(struct ft_write *w, int fd, int rwf)
{
    w->t_in = ft_cost_begin();
    w->fd = fd;
    w->e = ft_fd_known(fd);
    w->f = ft_file_of(w->e);
    w->t0 = 0;
    w->call = 0;
    uint32_t fl = ft_fd_flags(w->e);
    if (FT_UNLIKELY((rwf & (RWF_SYNC | RWF_DSYNC)) || (fl & (FT_FDF_OSYNC | FT_FDF_ODSYNC)))) {
        /* The strongest guarantee names the call: RWF_SYNC, then O_SYNC, then
         * RWF_DSYNC, then O_DSYNC (open(2), pwritev2(2)). */
        w->call = (rwf & RWF_SYNC)        ? FT_C_RWF_SYNC_WRITE
                  : (fl & FT_FDF_OSYNC)   ? FT_C_O_SYNC_WRITE
                  : (rwf & RWF_DSYNC)     ? FT_C_RWF_DSYNC_WRITE
                                          : FT_C_O_DSYNC_WRITE;
        w->t0 = ft_now();
    } else if (w->f && (ft_thr.wsample < 0 || --ft_thr.wsample < 0)) {
        /* Counted down already (ft_write_plain), or here. */
        ft_thr.wsample = (int32_t)ft_cfg.write_sample - 1;
        w->t0 = ft_now();
    }
    if (FT_UNLIKELY(w->t_in))
        w->t_out = ft_clock_read();
}

/* The common write, decided before the call: a descriptor we know (not
 * unseen, not opened read-only), no sync flag, no cost measurement due, and
 * for a file, not the 1 in write_sample that is timed. Then *f is its file
 * (NULL: not a file) and the wrapper only counts it (FT_WRAP_WRITE); else 0
 * and the write takes ft_write_begin/end. */
static inline __attribute__((always_inline)) int ft_write_plain(int fd, int rwf, struct ft_file **f)
{
    uint64_t e = ft_fd_get(fd);
    if (FT_UNLIKELY(e == FT_FD_UNKNOWN || ft_fd_what(e) == FT_FD_LAZY || ft_thr.cost_due ||
                    (rwf & (RWF_SYNC | RWF_DSYNC)) || (ft_fd_flags(e) & (FT_FDF_OSYNC | FT_FDF_ODSYNC))))
        return 0;
    *f = ft_file_of(e);
    if (*f && FT_UNLIKELY(--ft_thr.wsample < 0))
        return 0; /* timed: ft_write_begin starts the count again */
    return 1;
}

void ft_sync_write_end(struct ft_write *w, long ret, int err);
void ft_write_cost(struct ft_write *w, uint64_t t_back);

static inline __attribute__((always_inline)) void ft_write_end(struct ft_write *w, long ret, int err)
{
    uint64_t t_back = FT_UNLIKELY(w->t_in) ? ft_clock_read() : 0;
    if (FT_UNLIKELY(w->call)) {
        ft_sync_write_end(w, ret, err);
    } else if (w->f && ret >= 0) {
        ft_file_wrote(w->f, (uint64_t)ret);
        if (w->t0)
            FT_ADD(&w->f->wtime_ns, ft_since(w->t0, ft_now()) * ft_cfg.write_sample);
    }
    if (FT_UNLIKELY(w->t_in))
        ft_write_cost(w, t_back);
}


/* ---- opens, closes, dups (ft_calls.c) ------------------------------------- */

uint64_t ft_open_creates(int dirfd, const char *path, int oflags); /* FT_CREATES_* or a time (ft_files.h) */
void ft_open_end(int fd, int oflags, uint64_t t0, uint64_t created, int dirfd, const char *path);
void ft_closed(int fd, uint64_t e, uint64_t t0, uint64_t t1, int32_t res);
void ft_closed_range(unsigned lo, unsigned hi, uint64_t t0, uint64_t t1);
void ft_exit_closes(void);
void ft_dup_end(int oldfd, int newfd, uint64_t t0);
void ft_fd_new(int fd);
void ft_uring_seen(void);



struct ft_close {
    int fd;
    uint64_t e;     /* what the fd was, taken out of the table before the call */
    uint64_t t0;
};

static inline void ft_close_begin(struct ft_close *c, int fd)
{
    c->fd = fd;
    c->e = 0;
    c->t0 = 0;
    uint64_t e = ft_fd_get(fd);
    if (e == 0)
        return;
    if (ft_fd_what(e) == FT_FD_LAZY) {
        /* Never looked at: forgotten, no record, no syscall. (In a vfork
         * child this forgets the parent's entry too; the parent names the
         * descriptor through /proc at its next use, if it has one.) */
        ft_fd_take(fd);
        return;
    }
    if (ft_vfork_child())
        return;
    /* Cleared before the call: once the kernel frees the number another
     * thread's open may get it, and its entry must not be wiped by ours.
     * On Linux the fd is released even when close fails (close(2)). */
    c->t0 = ft_now();
    c->e = ft_fd_take(fd);
}

static inline void ft_close_end(struct ft_close *c, int ret, int err)
{
    if (c->e) {
        ft_closed(c->fd, c->e, c->t0, ft_now(), ft_res(ret, err));
    }
}

/* POSIX AIO (ft_calls.c): an aio_fsync queued, and learned to be done. */
void ft_aio_queued(const void *cb, const struct ft_sync *s);
void ft_aio_done(const void *cb, long ret, int err);

/* A raw system call (syscall(2)) this library follows: which family, and
 * that family's state. */
struct ft_raw {
    long n;
    long a[6];
    uint64_t t0;
    uint64_t created; /* does the open create its file (ft_open_creates) */
    union {
        struct ft_sync sync;
        struct ft_write write;
        struct ft_close close;
        struct ft_unlink unlink;
    } u;
};
int ft_raw_followed(long n);
void ft_raw_begin(struct ft_raw *r, long n, const long *a);
void ft_raw_end(struct ft_raw *r, long ret, int err);

#endif /* FT_CALLS_H */
