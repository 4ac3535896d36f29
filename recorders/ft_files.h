/*
 * ft_files.h — what the recorder knows about descriptors and files
 * (ft_files.c):
 *
 *   fd    -> one 64-bit word: which file (index into the file table) + flags
 *   file  -> one cache line per inode: the write interval since its last sync
 */
#ifndef FT_FILES_H
#define FT_FILES_H

#include <errno.h>

#include "ft_ring.h"

/* ---- descriptor table (ft_files.c) --------------------------------------- */

/* One 64-bit word per fd, so it changes with one store. Low half: what the fd
 * refers to; high half: FT_FDF_* bits. Zero means "never seen". */
#define FT_FD_UNKNOWN 0u
#define FT_FD_NOTFILE 0xffffffffu   /* socket, pipe, tty, device: ignored */
#define FT_FD_UNTRACKED 0xfffffffeu /* a file the tables had no room for */
#define FT_FD_LAZY 0xfffffffdu      /* opened read-only: looked at only if it is synced */
#define FT_FDF_OSYNC 0x1u
#define FT_FDF_ODSYNC 0x2u
#define FT_FDF_RESOLVED 0x4u        /* named through /proc at first use */

/* FT_FD_CHUNK, FT_FD_TOP: ft_base.h. Chunk 0 is in the hot page (fd_low),
 * always there; the others are made at their first descriptor (ft_fd_slot). */
extern uint64_t *ft_fd_top[FT_FD_TOP];
#define ft_fd_used (ft_hot.fd_used) /* every fd the table ever held is below this */

/* Chunk `top` of the descriptor table (descriptors top << FT_FD_CHUNK_SHIFT
 * on), or NULL if none of its descriptors was seen yet. */
static inline uint64_t *ft_fd_chunk(unsigned top)
{
    return top == 0 ? ft_hot.fd_low : FT_LOAD_ACQ(&ft_fd_top[top]);
}

static inline uint64_t ft_fd_get(int fd)
{
    if (FT_LIKELY((unsigned)fd < FT_FD_CHUNK))
        return FT_LOAD(&ft_hot.fd_low[fd]);
    if (FT_UNLIKELY((unsigned)fd >= (unsigned)FT_FD_TOP * FT_FD_CHUNK))
        return 0;
    uint64_t *chunk = ft_fd_chunk((unsigned)fd >> FT_FD_CHUNK_SHIFT);
    return chunk ? FT_LOAD(&chunk[(unsigned)fd & (FT_FD_CHUNK - 1)]) : 0;
}

static inline uint32_t ft_fd_what(uint64_t e) { return (uint32_t)e; }
static inline uint32_t ft_fd_flags(uint64_t e) { return (uint32_t)(e >> 32); }
static inline int ft_fd_is_file(uint64_t e)
{
    return ft_fd_what(e) != FT_FD_UNKNOWN && ft_fd_what(e) < FT_FD_LAZY;
}

uint64_t *ft_fd_slot(int fd);      /* creates the chunk; NULL if fd is out of range */
uint64_t ft_fd_resolve(int fd);    /* name an unseen fd through /proc, once */

/* The fd's entry, named through /proc the first time we meet it. */
static inline uint64_t ft_fd_known(int fd)
{
    uint64_t e = ft_fd_get(fd);
    if (FT_UNLIKELY(e == FT_FD_UNKNOWN || ft_fd_what(e) == FT_FD_LAZY)) {
        int saved = errno;
        e = ft_fd_resolve(fd);
        errno = saved;
    }
    return e;
}
/* Did an open create its file? Asked before the call (ft_open_creates):
 * no, yes (O_EXCL), or "if the file was born at or after" a wall time. */
#define FT_CREATES_NO 0u
#define FT_CREATES_YES 1u
/* path (relative to dirfd): what the open was given, or NULL (ask the
 * kernel); *created (or NULL): what ft_open_creates said, made 0 or 1. */
uint64_t ft_fd_opened(int fd, int oflags, int resolved, uint64_t now, int dirfd, const char *path,
                      uint64_t *created);
/* Set once a file an O_CREAT open made has no birth time (its filesystem
 * keeps none): from then on the process asks before such opens. */
#define ft_births_unknown (ft_hot.births_unknown)
void ft_fd_set(int fd, uint64_t e);
uint64_t ft_fd_take(int fd);       /* clear the entry, return what it was */

/* ---- per-file write intervals (ft_files.c) ------------------------------- */

/* One cache line per file (keyed by st_dev + st_ino: fsync(2) flushes the
 * inode, whichever descriptor it is called on). Threads writing different
 * files never share a line. */
struct ft_file {
    uint16_t state;      /* 0 free, 1 being claimed, 2 in use */
    uint16_t life;       /* bumped each time the slot is taken: the track follows it */
    uint32_t path_id;    /* the file's current name */
    uint64_t dev;
    uint64_t ino;
    uint64_t bw;         /* successful writes since the last sync: count and bytes (FT_BW_*) */
    uint64_t wtime_ns;   /* ... time spent in them (extrapolated when sampled) */
    uint64_t ival_start; /* ... since when: last fsync/fdatasync, or the open */
    int32_t nopen;       /* open descriptors we know of */
    uint32_t name_gen;   /* ft_names_gen when path_id was last resolved, | FT_NAME_UNSURE */
    uint32_t closed;     /* 1 once its last descriptor closed: its slot may be taken */
    uint32_t born;       /* its birth time's digest once an open saw it (FT_BORN_*), 0 before */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ft_file) == 64, "one cache line per file");

#define FT_FILES 65536u

/* A write adds its count and its bytes with one locked add (a locked
 * instruction is ~6 ns here: a write's largest cost): bw is count << 40 |
 * bytes. Past half of either field (4 Mi writes or 512 GiB since the last
 * sync) the writer moves the word into the file's entry of a side table
 * (ft_file_spill) and sets FT_BW_MORE; each field keeps as much again of
 * headroom for the writes in flight meanwhile (a write is under 2 GiB). */
#define FT_BW_WRITE (1ull << 40)
#define FT_BW_BYTES (FT_BW_WRITE - 1)
#define FT_BW_COUNT(w) (((w) >> 40) & 0x7fffffu)
#define FT_BW_MORE (1ull << 63)                  /* some of the interval is in the side table */
#define FT_BW_HALF ((1ull << 39) | (1ull << 62)) /* either field past half */

#define ft_files (ft_hot.files)  /* in the hot page (ft_base.h) */

static inline struct ft_file *ft_file_of(uint64_t e)
{
    return ft_fd_is_file(e) && ft_files ? &ft_files[ft_fd_what(e) - 1] : NULL;
}

struct ft_ival {
    uint64_t bytes, wtime_ns, start;
    uint32_t writes;
};

uint32_t ft_file_find(uint64_t dev, uint64_t ino, int create); /* index + 1, or 0 */
/* Its last name went: its inode may be given to a new file (ft_open_made). */
void ft_file_unborn(uint64_t dev, uint64_t ino);
void ft_file_spill(struct ft_file *f);     /* bw past half: into the side table */
int ft_file_dirty(struct ft_file *f);      /* bytes written since the last sync, maybe */

/* One successful write of n bytes to f. */
static inline void ft_file_wrote(struct ft_file *f, uint64_t n)
{
    if (FT_UNLIKELY(FT_ADD(&f->bw, FT_BW_WRITE + n) & FT_BW_HALF))
        ft_file_spill(f);
}
/* Snapshot and restart at `restart` (the start of the sync: what fsync
 * makes durable is what was written before it began). The count and bytes
 * are exchanged in one word, so no write is lost, counted twice, or split
 * between two intervals; the totals stay exact. A word that reads zero is
 * left alone: a write racing with that read belongs to the next interval
 * anyway, and skipping the locked exchange keeps back-to-back syncs cheap. */
static inline uint64_t ft_take64(uint64_t *p)
{
    return FT_LOAD(p) ? FT_XCHG(p, 0) : 0;
}

void ft_file_take_more(struct ft_file *f, struct ft_ival *iv);

/* The count and bytes of a bw word (taken or peeked) into iv. */
static inline void ft_bw_into(uint64_t v, struct ft_ival *iv)
{
    iv->bytes = v & FT_BW_BYTES;
    iv->writes = FT_BW_COUNT(v);
}

static inline void ft_file_take(struct ft_file *f, uint64_t restart, struct ft_ival *iv)
{
    /* The start is a load and a store, not an exchange (a locked
     * instruction, ~6 ns here, on every sync). Only a sync of this file
     * writes it after the open's first CAS from 0 (a sync that read 0 then
     * stores a later time than that open's). Two syncs of one file at once
     * may both read the same start and either restart may stay: each still
     * reports an interval that starts before it (ft_ival_fill), and the
     * next one starts at one of their starts, as if they had run in the
     * other order. The counts are exchanged: they stay exact. */
    iv->start = FT_LOAD(&f->ival_start);
    FT_STORE(&f->ival_start, restart);
    uint64_t v = ft_take64(&f->bw);
    ft_bw_into(v, iv);
    if (FT_UNLIKELY(v & FT_BW_MORE))
        ft_file_take_more(f, iv);
    iv->wtime_ns = ft_take64(&f->wtime_ns);
}

/* The event's start_ns must be set. Two syncs of one file can overlap: the
 * one that started later may take the interval first and restart it at its
 * own start, so the other finds an interval that starts after it did. It
 * then reports one that starts with it (an interval never starts after the
 * sync that closes it); bytes and writes stay exact. */
static inline void ft_ival_fill(struct ft_event *ev, const struct ft_ival *iv)
{
    uint64_t us = iv->wtime_ns / 1000;
    ev->bytes = iv->bytes;
    ev->writes = iv->writes;
    ev->write_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    ev->ival_start_ns = iv->start > ev->start_ns ? ev->start_ns : iv->start;
    if (ft_cfg.write_sample > 1)
        ev->flags |= FT_F_WRITE_TIME_SAMPLED;
}

void ft_file_hold(struct ft_file *f);      /* one more descriptor */
int ft_file_release(struct ft_file *f);    /* one fewer; 1 if it was the last */
void ft_file_peek(struct ft_file *f, struct ft_ival *iv);

/* Renaming a directory renames every file under it, and nothing tells the
 * files. Each directory rename bumps this; a file whose name was resolved
 * under an older value is named again through /proc/self/fd at its next
 * event (one readlink per file per directory rename). */
#define ft_names_gen (ft_hot.names_gen)
/* In ft_file.name_gen: the name came from the open's path (ft_dirs_name),
 * not from the kernel. It is right unless the path's last component was a
 * symlink (or a directory on the way was replaced behind our back): the
 * file's first sync asks the kernel (one readlink), the name's first use
 * that matters; opens and closes of a file that never syncs ask nothing. */
#define FT_NAME_UNSURE 0x80000000u
/* Name f again through fd if it needs it (a directory renamed, its id old,
 * or, at a sync, an unsure name). */
void ft_file_rename_check(struct ft_file *f, int fd, int sync);

#endif /* FT_FILES_H */
