/*
 * ft_calls.c — the steps around the real call that are not on the hot path:
 * sync writes, opens, closes, dups, io_uring, POSIX AIO, raw system calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

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
            ft_file_wrote(w->f, (uint64_t)ret);
            FT_ADD(&w->f->wtime_ns, ft_since(w->t0, t1));
        }
        ft_file_take(w->f, t1, &iv);
        ft_ival_fill(&ev, &iv);
    } else {
        ev.flags |= FT_F_NO_INTERVAL;
    }
    ft_sync_done(&ev, w->f, w->f ? FT_LOAD(&w->f->life) : 0);
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

/* Whether an open is about to create its file, asked before the call: with
 * O_CREAT|O_EXCL it creates it or fails (open(2)); with O_CREAT alone, when
 * the file it opens was born after this moment: the coarse wall clock now
 * (vDSO, no system call), judged against the file's birth time by the stat
 * the open makes anyway (ft_fd_opened, ft_open_made). In a process that met
 * a filesystem keeping no birth times, when the name does not exist now
 * (one fstatat; a dangling symlink's target is created, and fstatat
 * follows it as open does). Either way, another process creating the name
 * just before the open makes the record say "created" for a file it did
 * not create: one more directory for the lint to want synced. errno is
 * kept. */
uint64_t ft_open_creates(int dirfd, const char *path, int oflags)
{
    if (!(oflags & O_CREAT) || !path)
        return FT_CREATES_NO;
    if (oflags & O_EXCL)
        return FT_CREATES_YES;
    if (!FT_LOAD(&ft_births_unknown)) {
        uint64_t now = ft_clock(CLOCK_REALTIME_COARSE);
        return now > FT_CREATES_YES ? now : FT_CREATES_YES;
    }
    int saved = errno;
    struct stat st;
    int missing = ft_syscall(SYS_newfstatat, dirfd, path, &st, 0) != 0 && errno == ENOENT;
    errno = saved;
    return missing ? FT_CREATES_YES : FT_CREATES_NO;
}

void ft_open_end(int fd, int oflags, uint64_t t0, uint64_t created, int dirfd, const char *path)
{
    if (fd < 0)
        return;
    ft_forget(ft_fd_take(fd));
    if ((oflags & O_ACCMODE) == O_RDONLY && !(oflags & (O_CREAT | O_TRUNC)) && (oflags & O_TMPFILE) != O_TMPFILE &&
        created == FT_CREATES_NO) {
        /* Read-only: nothing to count, and most such files are never synced.
         * Remembered as seen, with no syscall; named if it ever is synced
         * (a directory opened to fsync it, a file fsynced after a read), by
         * the kernel's name. (O_TMPFILE holds O_DIRECTORY: an opendir is
         * read-only too.) */
        uint32_t fl = (oflags & O_SYNC) == O_SYNC ? FT_FDF_OSYNC : (oflags & O_DSYNC) ? FT_FDF_ODSYNC : 0;
        ft_fd_set(fd, (uint64_t)fl << 32 | FT_FD_LAZY);
        return;
    }
    uint64_t t1 = ft_now();
    uint64_t e = ft_fd_opened(fd, oflags, 0, t0, dirfd, path, &created);
    struct ft_file *f = ft_file_of(e);
    if (f) {
        struct ft_event ev;
        ft_event_init(&ev, FT_T_OPEN, fd, t0, t1, fd);
        ev.writes = (uint32_t)oflags;
        if (created == FT_CREATES_YES)
            ev.flags |= FT_F_CREATED;
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
        if (!ft_fd_chunk(top))
            continue;
        unsigned first = top << FT_FD_CHUNK_SHIFT, last = first + FT_FD_CHUNK - 1;
        for (unsigned fd = first < lo ? lo : first; fd <= last && fd <= hi; fd++) {
            if (ft_fd_get((int)fd) != 0)
                ft_closed((int)fd, ft_fd_take((int)fd), t0, t1, 0);
        }
    }
}

/* The image ends (exit, _exit) with files still open. The kernel closes
 * them without a sync: a file this image synced at some time, with writes
 * since its last sync, gets its close record now (FT_F_AT_EXIT, with
 * FT_F_LAST_CLOSE; fd is one of its descriptors), which the lint's
 * unsynced-at-close reads. One record per file: the first descriptor takes
 * the interval. Not at exec (it may fail), nor at a fatal signal. */
void ft_exit_closes(void)
{
    /* Only a file this image synced has a close to record: none without a
     * trace; and only the part of the table that was ever used is read
     * (each page of it first read here would fault). */
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (!c || !FT_LOAD(&c->gen) || ft_vfork_child())
        return;
    uint32_t high = FT_LOAD(&ft_fd_used);
    for (unsigned top = 0; top < FT_FD_TOP && (top << FT_FD_CHUNK_SHIFT) < high; top++) {
        uint64_t *chunk = ft_fd_chunk(top);
        for (unsigned i = 0; chunk && i < FT_FD_CHUNK && (top << FT_FD_CHUNK_SHIFT | i) < high; i++) {
            uint64_t e = FT_LOAD(&chunk[i]);
            struct ft_file *f = ft_file_of(e);
            if (!f || !ft_file_dirty(f) || !ft_file_synced(f))
                continue;
            struct ft_event ev;
            struct ft_ival iv;
            uint64_t t0 = ft_now(); /* the record's own time: the kernel's close follows */
            ft_file_take(f, 0, &iv);
            if (iv.bytes == 0)
                continue; /* another thread's sync took it first */
            ft_event_init(&ev, FT_T_CLOSE, (int)(top << FT_FD_CHUNK_SHIFT | i), t0, ft_now(), 0);
            ft_name_event(&ev, e, f);
            ev.flags |= FT_F_LAST_CLOSE | FT_F_AT_EXIT;
            ft_ival_fill(&ev, &iv);
            ft_emit(&ev);
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

/* ---- descriptors made out of our sight ---- */

/* A new descriptor from a call that is not an open (socket, pipe, ...): its
 * number may have been closed behind our back; forget what it was. */
void ft_fd_new(int fd)
{
    if (fd >= 0 && ft_fd_get(fd) != 0)
        ft_forget(ft_fd_take(fd));
}

/* ---- io_uring ---- */

/* The program set up an io_uring: what it submits there (IORING_OP_FSYNC)
 * never comes through libc. The header says so, made now if need be, so the
 * report can point to the kernel-side source. */
void ft_uring_seen(void)
{
    struct ft_ctx *c = ft_ring();
    if (c && c->hdr)
        __atomic_fetch_or(&c->hdr->flags, FT_HDR_IO_URING, __ATOMIC_RELAXED);
}

/* ---- POSIX AIO ---- */

#define FT_AIO_MAX 64u

struct ft_aio {
    const void *cb;      /* the program's aiocb; NULL: free */
    struct ft_sync s;
};

static struct ft_aio ft_aios[FT_AIO_MAX];
static uint32_t ft_aio_used; /* aio_error/aio_return skip an empty table */

void ft_aio_queued(const void *cb, const struct ft_sync *s)
{
    for (uint32_t i = 0; i < FT_AIO_MAX; i++) {
        const void *none = NULL;
        if (FT_LOAD(&ft_aios[i].cb) == NULL && FT_CAS(&ft_aios[i].cb, &none, (const void *)1)) {
            ft_aios[i].s = *s;
            FT_STORE_REL(&ft_aios[i].cb, cb);
            FT_ADD(&ft_aio_used, 1);
            return;
        }
    }
}

void ft_aio_done(const void *cb, long ret, int err)
{
    if (FT_LOAD(&ft_aio_used) == 0 || !cb)
        return;
    for (uint32_t i = 0; i < FT_AIO_MAX; i++) {
        const void *mine = cb;
        if (FT_LOAD_ACQ(&ft_aios[i].cb) == cb && FT_CAS(&ft_aios[i].cb, &mine, (const void *)1)) {
            struct ft_sync s = ft_aios[i].s;
            FT_STORE_REL(&ft_aios[i].cb, NULL);
            __atomic_fetch_sub(&ft_aio_used, 1, __ATOMIC_RELAXED);
            ft_sync_end(&s, ret, err, 0);
            return;
        }
    }
}

/* ---- raw system calls ---- */

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum ft_raw_family { FT_RAW_NONE, FT_RAW_SYNC, FT_RAW_WRITE, FT_RAW_CLOSE, FT_RAW_RANGE, FT_RAW_DUP,
                     FT_RAW_OPEN, FT_RAW_RENAME, FT_RAW_LINK, FT_RAW_UNLINK, FT_RAW_NEWFD, FT_RAW_NEWFD2,
                     FT_RAW_URING, FT_RAW_CWD };

static enum ft_raw_family ft_raw_family(long n)
{
    switch (n) {
    case SYS_fsync: case SYS_fdatasync: case SYS_syncfs: return FT_RAW_SYNC;
    case SYS_write: case SYS_pwrite64: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
    case SYS_copy_file_range: case SYS_sendfile: case SYS_splice: return FT_RAW_WRITE;
    case SYS_close: return FT_RAW_CLOSE;
    case SYS_close_range: return FT_RAW_RANGE;
    case SYS_dup: case SYS_dup2: case SYS_dup3: return FT_RAW_DUP;
    case SYS_open: case SYS_creat: case SYS_openat: case SYS_openat2: return FT_RAW_OPEN;
    case SYS_rename: case SYS_renameat: case SYS_renameat2: return FT_RAW_RENAME;
    case SYS_link: case SYS_linkat: return FT_RAW_LINK;
    case SYS_unlink: case SYS_unlinkat: return FT_RAW_UNLINK;
    case SYS_socket: case SYS_accept: case SYS_accept4: case SYS_eventfd: case SYS_eventfd2:
    case SYS_epoll_create: case SYS_epoll_create1: case SYS_memfd_create: case SYS_timerfd_create:
    case SYS_inotify_init: case SYS_inotify_init1: case SYS_signalfd: case SYS_signalfd4: return FT_RAW_NEWFD;
    case SYS_pipe: case SYS_pipe2: case SYS_socketpair: return FT_RAW_NEWFD2;
    case SYS_io_uring_setup: return FT_RAW_URING;
    case SYS_chdir: case SYS_fchdir: return FT_RAW_CWD;
    default: return FT_RAW_NONE;
    }
}

int ft_raw_followed(long n)
{
    return ft_raw_family(n) != FT_RAW_NONE;
}

/* The descriptor a write-family call writes to. */
static int ft_raw_out_fd(long n, const long *a)
{
    return (int)(n == SYS_copy_file_range || n == SYS_splice ? a[2] : a[0]);
}

/* The open flags, wherever the call keeps them. */
static int ft_raw_oflags(long n, const long *a)
{
    switch (n) {
    case SYS_open: return (int)a[1];
    case SYS_creat: return O_CREAT | O_WRONLY | O_TRUNC;
    case SYS_openat: return (int)a[2];
    default: return a[2] ? (int)*(const uint64_t *)a[2] : 0; /* openat2: struct open_how, flags first */
    }
}

/* An open's directory fd and path (open and creat: the cwd). */
static uint64_t ft_raw_creates(long n, const long *a)
{
    int at = n == SYS_openat || n == SYS_openat2;
    return ft_open_creates(at ? (int)a[0] : AT_FDCWD, (const char *)a[at ? 1 : 0], ft_raw_oflags(n, a));
}

void ft_raw_begin(struct ft_raw *r, long n, const long *a)
{
    r->n = n;
    memcpy(r->a, a, sizeof r->a);
    r->t0 = 0;
    r->created = FT_CREATES_NO;
    switch (ft_raw_family(n)) {
    case FT_RAW_SYNC:
        ft_sync_begin(&r->u.sync, n == SYS_fsync ? FT_C_FSYNC : n == SYS_fdatasync ? FT_C_FDATASYNC : FT_C_SYNCFS,
                      (int)a[0], n != SYS_syncfs);
        break;
    case FT_RAW_WRITE:
        ft_write_begin(&r->u.write, ft_raw_out_fd(n, a), n == SYS_pwritev2 ? (int)a[5] : 0);
        break;
    case FT_RAW_CLOSE:
        ft_close_begin(&r->u.close, (int)a[0]);
        break;
    case FT_RAW_UNLINK:
        if (n == SYS_unlink)
            ft_unlink_begin(&r->u.unlink, AT_FDCWD, (const char *)a[0], 0);
        else
            ft_unlink_begin(&r->u.unlink, (int)a[0], (const char *)a[1], (int)a[2]);
        break;
    case FT_RAW_OPEN:
        r->created = ft_raw_creates(n, a);
        r->t0 = ft_now();
        break;
    default:
        r->t0 = ft_now();
        break;
    }
}

void ft_raw_end(struct ft_raw *r, long ret, int err)
{
    const long *a = r->a;
    switch (ft_raw_family(r->n)) {
    case FT_RAW_SYNC: ft_sync_end(&r->u.sync, ret, err, 0); break;
    case FT_RAW_WRITE: ft_write_end(&r->u.write, ret, err); break;
    case FT_RAW_CLOSE: ft_close_end(&r->u.close, (int)ret, err); break;
    case FT_RAW_RANGE:
        if (ret == 0 && !(a[2] & CLOSE_RANGE_CLOEXEC))
            ft_closed_range((unsigned)a[0], (unsigned)a[1], r->t0, ft_now());
        break;
    case FT_RAW_DUP: ft_dup_end((int)a[0], (int)ret, r->t0); break;
    case FT_RAW_OPEN: {
        int at = r->n == SYS_openat || r->n == SYS_openat2;
        ft_open_end((int)ret, ft_raw_oflags(r->n, a), r->t0, r->created, at ? (int)a[0] : AT_FDCWD,
                    (const char *)a[at ? 1 : 0]);
        break;
    }
    case FT_RAW_CWD: if (ret == 0) ft_cwd_changed(); break;
    case FT_RAW_RENAME:
        if (ret == 0) {
            if (r->n == SYS_rename)
                ft_renamed(AT_FDCWD, (const char *)a[0], AT_FDCWD, (const char *)a[1], 0, r->t0);
            else
                ft_renamed((int)a[0], (const char *)a[1], (int)a[2], (const char *)a[3],
                           r->n == SYS_renameat2 ? (unsigned)a[4] : 0, r->t0);
        }
        break;
    case FT_RAW_LINK:
        if (ret == 0) {
            if (r->n == SYS_link)
                ft_linked(AT_FDCWD, (const char *)a[0], AT_FDCWD, (const char *)a[1], 0, r->t0);
            else
                ft_linked((int)a[0], (const char *)a[1], (int)a[2], (const char *)a[3], (int)a[4], r->t0);
        }
        break;
    case FT_RAW_UNLINK:
        if (ret == 0) {
            if (r->n == SYS_unlink)
                ft_unlink_end(&r->u.unlink, AT_FDCWD, (const char *)a[0]);
            else
                ft_unlink_end(&r->u.unlink, (int)a[0], (const char *)a[1]);
        }
        break;
    case FT_RAW_NEWFD: ft_fd_new((int)ret); break;
    case FT_RAW_NEWFD2:
        if (ret == 0) {
            const int *fds = (const int *)(r->n == SYS_socketpair ? a[3] : a[0]);
            ft_fd_new(fds[0]);
            ft_fd_new(fds[1]);
        }
        break;
    case FT_RAW_URING: if (ret >= 0) ft_uring_seen(); break;
    case FT_RAW_NONE: break;
    }
}
