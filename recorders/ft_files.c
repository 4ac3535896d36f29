/*
 * ft_files.c — what the recorder knows about descriptors and files.
 *
 *   fd    -> one 64-bit word: which file (index into the file table) + flags
 *   file  -> one cache line per inode: the write interval since its last sync
 *            and the file's current path id (ft_paths.c)
 *
 * Both live in memory we mmap ourselves, grow without locks (slots are
 * claimed with compare-and-swap), and are bounded: when a table is full,
 * events still get recorded, without a name or without an interval.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_files.h"

/* ---- the descriptor table ------------------------------------------------- */

/* Two levels, so any fd number works (RLIMIT_NOFILE can be raised to
 * fs.nr_open, 1Mi by default) while a program with ten descriptors pays for
 * the pages of one 32 KiB chunk it touches: chunk 0, in the hot page and
 * after it (ft_hot.fd_low). The others are installed with CAS and never freed. */
uint64_t *ft_fd_top[FT_FD_TOP];


uint64_t *ft_fd_slot(int fd)
{
    if (fd < 0 || (unsigned)fd >= (unsigned)FT_FD_TOP * FT_FD_CHUNK)
        return NULL;
    uint32_t high = FT_LOAD(&ft_fd_used);
    while ((uint32_t)fd >= high && !FT_CAS(&ft_fd_used, &high, (uint32_t)fd + 1))
        ;
    if ((unsigned)fd < FT_FD_CHUNK)
        return &ft_hot.fd_low[fd];
    uint64_t *chunk = ft_sys_mmap_once((void **)&ft_fd_top[(unsigned)fd >> FT_FD_CHUNK_SHIFT],
                                       FT_FD_CHUNK * sizeof(uint64_t), NULL);
    return chunk ? &chunk[(unsigned)fd & (FT_FD_CHUNK - 1)] : NULL;
}

void ft_fd_set(int fd, uint64_t e)
{
    uint64_t *slot = ft_fd_slot(fd);
    if (slot)
        FT_STORE(slot, e);
}

uint64_t ft_fd_take(int fd)
{
    if ((unsigned)fd >= (unsigned)FT_FD_TOP * FT_FD_CHUNK)
        return 0;
    uint64_t *chunk = ft_fd_chunk((unsigned)fd >> FT_FD_CHUNK_SHIFT);
    return chunk ? FT_XCHG(&chunk[(unsigned)fd & (FT_FD_CHUNK - 1)], 0) : 0;
}

/* ---- the file table -------------------------------------------------------- */


static struct ft_file *ft_files_table(void)
{
    return ft_sys_mmap_once((void **)&ft_files, FT_FILES * sizeof(struct ft_file), NULL);
}

#define FT_PROBES 64

/* Spin a little while another thread fills the slot it just claimed. Never
 * unbounded: that thread may be stopped; then we give up on this file. */
static int ft_wait_claimed(const uint16_t *state)
{
    for (int i = 0; i < 1024; i++) {
        if (FT_LOAD_ACQ(state) != 1)
            return 1;
        __builtin_ia32_pause();
    }
    return 0;
}

/* The side table: a file's writes and bytes moved out of its bw word when
 * a field passed half (FT_BW_HALF), one entry per file slot, made at the
 * first spill of the process. */
struct ft_file_more {
    uint64_t bytes, writes;
};
static struct ft_file_more *ft_files_more;

/* Take slot f for (dev, ino), from `from` (0: never used; 2: a closed file
 * whose slot is reused). A closed file's slot is only taken while nobody has
 * opened it again: the opener raises nopen, then checks the slot is still
 * its file (ft_file_find); the taker claims, then checks nopen (seq_cst). */
static int ft_file_claim(struct ft_file *f, uint16_t from, uint64_t dev, uint64_t ino)
{
    uint16_t st = from;
    if (!__atomic_compare_exchange_n(&f->state, &st, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
        return 0;
    if (from == 2 && (__atomic_load_n(&f->nopen, __ATOMIC_SEQ_CST) > 0 || !FT_LOAD(&f->closed))) {
        FT_STORE_REL(&f->state, 2); /* opened again meanwhile: it stays */
        return 0;
    }
    f->dev = dev;
    f->ino = ino;
    f->path_id = 0;
    f->name_gen = 0;
    f->bw = f->wtime_ns = f->ival_start = 0;
    struct ft_file_more *more = FT_LOAD_ACQ(&ft_files_more);
    if (more)
        more[f - ft_files] = (struct ft_file_more){ 0, 0 }; /* the file before's spill */
    f->nopen = 0;
    f->closed = 0;
    f->born = 0;
    f->life++;
    __atomic_store_n(&f->state, 2, __ATOMIC_SEQ_CST);
    return 1;
}

/* The file for (dev, ino): its index + 1, or 0 if the table has no room.
 * The table lives as long as the service: a file whose last descriptor
 * closed keeps its slot (and its baseline) until a new file needs the room,
 * and then the one closed longest ago in the probe window gives it up. */
uint32_t ft_file_find(uint64_t dev, uint64_t ino, int create)
{
    struct ft_file *t = create ? ft_files_table() : FT_LOAD_ACQ(&ft_files);
    if (!t)
        return 0;
    uint64_t h = ft_mix(dev, ino);
    for (int round = 0; round < 2; round++) {
        int64_t victim = -1;
        for (uint32_t i = 0; i < FT_PROBES; i++) {
            uint32_t idx = (uint32_t)(h + i) & (FT_FILES - 1);
            struct ft_file *f = &t[idx];
            uint16_t st = FT_LOAD_ACQ(&f->state);
            if (st == 0) {
                if (!create)
                    return 0;
                if (ft_file_claim(f, 0, dev, ino))
                    return idx + 1;
                st = FT_LOAD_ACQ(&f->state);
            }
            if (st == 1 && !ft_wait_claimed(&f->state))
                return 0;
            if (f->dev == dev && f->ino == ino)
                return idx + 1;
            if (victim < 0 && FT_LOAD(&f->closed) && FT_LOAD(&f->nopen) <= 0)
                victim = idx;
        }
        if (!create || victim < 0)
            return 0;
        if (ft_file_claim(&t[victim], 2, dev, ino))
            return (uint32_t)victim + 1;
    }
    return 0;
}

void ft_file_hold(struct ft_file *f)
{
    if (__atomic_fetch_add(&f->nopen, 1, __ATOMIC_SEQ_CST) <= 0)
        FT_STORE(&f->closed, 0);
}

int ft_file_release(struct ft_file *f)
{
    if (__atomic_sub_fetch(&f->nopen, 1, __ATOMIC_ACQ_REL) > 0)
        return 0;
    FT_STORE(&f->nopen, 0); /* never below zero, whatever we missed */
    FT_STORE_REL(&f->closed, 1);
    return 1;
}

static __attribute__((noinline, cold)) struct ft_file_more *ft_more_of(struct ft_file *f)
{
    struct ft_file_more *m = ft_sys_mmap_once((void **)&ft_files_more, FT_FILES * sizeof *m, NULL);
    return m ? m + (f - ft_files) : NULL;
}

/* Move bw into the side table. Ordering: the word is exchanged for 0, its
 * counts added to the entry, and then FT_BW_MORE set with a release; a
 * sync that exchanges a word with the flag (acquire) sees every count added
 * before it (ft_file_take). A sync that runs between our exchange and our
 * flag takes the word without the flag: the counts we moved wait in the
 * entry for the next sync, which reports them (totals stay exact; only a
 * file written 4 Mi times or 512 GiB between two syncs, with a sync at that
 * moment, sees writes made before one sync reported by the next). With no
 * memory for the table the word keeps counting: still exact for as much
 * again. Async-signal-safe: atomics and mmap. */
void ft_file_spill(struct ft_file *f)
{
    int saved = errno; /* the write's (FT_WRAP_WRITE restores none) */
    struct ft_file_more *m = ft_more_of(f);
    errno = saved;
    if (!m)
        return;
    uint64_t v = FT_XCHG(&f->bw, 0);
    FT_ADD(&m->bytes, v & FT_BW_BYTES);
    FT_ADD(&m->writes, FT_BW_COUNT(v));
    __atomic_fetch_or(&f->bw, FT_BW_MORE, __ATOMIC_RELEASE);
}

int ft_file_dirty(struct ft_file *f)
{
    return (FT_LOAD(&f->bw) & (FT_BW_BYTES | FT_BW_MORE)) != 0;
}

/* The part of an interval in the side table (ft_file_take, FT_BW_MORE). */
void ft_file_take_more(struct ft_file *f, struct ft_ival *iv)
{
    struct ft_file_more *m = ft_more_of(f);
    iv->bytes += ft_take64(&m->bytes);
    iv->writes += (uint32_t)ft_take64(&m->writes);
}

void ft_file_peek(struct ft_file *f, struct ft_ival *iv)
{
    iv->start = FT_LOAD(&f->ival_start);
    uint64_t v = FT_LOAD_ACQ(&f->bw);
    ft_bw_into(v, iv);
    if (v & FT_BW_MORE) {
        struct ft_file_more *m = ft_more_of(f);
        iv->bytes += FT_LOAD(&m->bytes);
        iv->writes += (uint32_t)FT_LOAD(&m->writes);
    }
    iv->wtime_ns = FT_LOAD(&f->wtime_ns);
}

/* ---- names that change under a file ---------------------------------------- */


/* Is `name` (len bytes, from the kernel) what p says, or p's name with
 * " (deleted)" after it (unlinked since it was named: the name it had)? */
static int ft_path_says(const struct ft_path *p, const char *name, int len)
{
    static const char gone[] = " (deleted)";
    uint32_t n = p->len;
    return ((uint32_t)len == n || ((uint32_t)len == n + sizeof gone - 1 && memcmp(name + n, gone, sizeof gone - 1) == 0)) &&
           memcmp(name, ft_path_name(p), n) == 0;
}

/* Do names a (alen bytes) and b (blen) end in the same last component? */
static int ft_same_last(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t ab, bb;
    size_t ae = ft_path_last_n(a, alen, &ab), be = ft_path_last_n(b, blen, &bb);
    return ae - ab == be - bb && memcmp(a + ab, b + bb, ae - ab) == 0;
}

/* A directory was renamed since f was named, its id is about to leave the
 * store, or (at a sync) its name came from the open's path: ask the kernel
 * for the name of what fd refers to now (d_path follows renames). errno is
 * the program's and stays as it was: this runs before the call recorded. */
__attribute__((noinline, cold)) void ft_file_rename_check(struct ft_file *f, int fd, int sync)
{
    uint32_t gen = FT_LOAD_ACQ(&ft_names_gen) & ~FT_NAME_UNSURE;
    uint32_t had = FT_LOAD(&f->name_gen);
    uint32_t cur = FT_LOAD(&f->path_id);
    int old = cur && ft_path_old(cur);
    if (!sync && !old && had == (gen | FT_NAME_UNSURE))
        return; /* unsure, and this is not a sync: the name stays as the open gave it */
    int saved = errno;
    char name[FT_PATH_MAX_LEN + 1];
    int len = fd >= 0 ? ft_fd_name(fd, name, sizeof name) : -1;
    if (len > 0) {
        struct ft_path *p = cur && !old ? ft_path_get(cur) : NULL;
        if (!p || !ft_path_says(p, name, len)) {
            uint32_t id = ft_path_intern(name, (uint32_t)len, f->dev, f->ino);
            if (id)
                FT_STORE(&f->path_id, id);
            /* A name from a directory kept in ft_dirs.c was wrong: one
             * replaced behind our back (not a last symlink followed: the
             * open names the link, the file's own records the file). */
            if (p && (had & FT_NAME_UNSURE) && ft_same_last(name, (size_t)len, ft_path_name(p), p->len))
                ft_dirs_forget();
        }
    }
    FT_STORE(&f->name_gen, gen);
    errno = saved;
}

/* ---- learning about a descriptor ------------------------------------------ */

static uint32_t ft_fdflags_of(int oflags)
{
    /* O_SYNC is __O_SYNC|O_DSYNC: test the whole of it first (open(2)). */
    if ((oflags & O_SYNC) == O_SYNC)
        return FT_FDF_OSYNC;
    if (oflags & O_DSYNC)
        return FT_FDF_ODSYNC;
    return 0;
}

/* Did the open create the file (ft_open_creates: `after`, the coarse wall
 * time before the call)? A file born at or after it, and not the one this
 * process knew under that inode before (`was`: the slot's birth digest;
 * the same file reopened within one clock tick of its birth has the same).
 * Its access time must be as recent: overlayfs copies a lower file up
 * into a new inode, born at the open, but keeps the lower file's access
 * time (a file just made has its birth time). Inode times are the
 * kernel's coarse clock, the one `after` was read from (a tick, 4 ms
 * here): a file another process created in the tick before the open
 * passes for created. Where the filesystem keeps no birth time,
 * a file this process did not know whose change and access times are both
 * that recent (an existing file truncated by O_TRUNC gets a new change
 * time, not a new access time); and every later O_CREAT open of the
 * process asks before the call (ft_open_creates). */
static uint32_t ft_born_digest(const struct ft_stat *st)
{
    return st->btime_ns ? ((uint32_t)st->btime_ns ^ (uint32_t)(st->btime_ns >> 32)) | 2u : 1u;
}

static uint64_t ft_open_made(const struct ft_stat *st, uint64_t after, uint32_t was, uint32_t born)
{
    if (after <= FT_CREATES_YES)
        return after;
    if (st->btime_ns)
        return st->btime_ns >= after && st->atime_ns >= after && was != born;
    FT_STORE(&ft_births_unknown, 1);
    return was == 0 && st->ctime_ns >= after && st->atime_ns >= after;
}

/* A descriptor now refers to something: find out what, and remember it.
 * Only regular files and directories are tracked (fsync on a directory is
 * how a rename or a create is made durable); the rest are marked "not a
 * file" so their writes cost one lookup. Returns the new entry, 0 if fd is
 * not open. Reentrant: a signal handler may run it for the same file while
 * we are inside; the only wait is ft_wait_claimed's bounded spin. */
uint64_t ft_fd_opened(int fd, int oflags, int resolved, uint64_t now, int dirfd, const char *path,
                      uint64_t *created)
{
    struct ft_stat st;
    uint64_t hi = (uint64_t)(resolved ? FT_FDF_RESOLVED : 0) << 32;
    if (ft_sys_fstatx(fd, &st) < 0)
        return 0;
    uint64_t dev = st.dev, ino = st.ino;
    if (!S_ISREG(st.mode) && !S_ISDIR(st.mode)) {
        uint64_t e = hi | FT_FD_NOTFILE;
        ft_fd_set(fd, e);
        return e;
    }
    hi |= (uint64_t)ft_fdflags_of(oflags) << 32;
    uint32_t file = ft_file_find(dev, ino, 1);
    if (!file) {
        uint64_t e = hi | FT_FD_UNTRACKED;
        ft_fd_set(fd, e);
        return e;
    }
    char name[FT_PATH_MAX_LEN + 1];
    /* Before the name: a rename after it renames again. */
    uint32_t gen = FT_LOAD_ACQ(&ft_names_gen) & ~FT_NAME_UNSURE;
    /* Named from the path the open was given when its directory is known
     * (no system call; unsure until its first sync); else, and an O_TMPFILE
     * file ("#ino (deleted)"), by the kernel. (A read-only O_DIRECTORY open
     * comes here: O_TMPFILE includes O_DIRECTORY.) */
    int len = -1;
    struct ft_dir_ask ask;
    ask.ok = 0; /* no initializer: it would clear all 1 KiB */
    if (path && (oflags & O_TMPFILE) != O_TMPFILE)
        len = ft_dirs_name(dirfd, path, name, sizeof name, &ask);
    if (len > 0) {
        gen |= FT_NAME_UNSURE;
    } else {
        len = ft_fd_name(fd, name, sizeof name);
        /* not exact: the open followed a last symlink, if there was one */
        ft_dirs_learn(&ask, name, len, 0);
        /* It did (the kernel named the file the link points to): the open
         * names the link, in its directory's canonical name, as it does
         * when the directory is known; unsure, so that the file's first
         * sync takes the kernel's name. */
        if (len > 0 && path && S_ISREG(st.mode) && !(oflags & O_NOFOLLOW) && (oflags & O_TMPFILE) != O_TMPFILE &&
            !ft_same_last(name, (size_t)len, path, strlen(path))) {
            uint64_t d, i;
            uint32_t m;
            int n = ft_abs_name(dirfd, path, name, sizeof name, 0, &d, &i, &m);
            len = n > 0 ? n : ft_fd_name(fd, name, sizeof name);
            if (n > 0)
                gen |= FT_NAME_UNSURE;
        }
    }
    uint32_t path_id = len > 0 ? ft_path_intern(name, (uint32_t)len, dev, ino) : 0;
    struct ft_file *f = &ft_files[file - 1];
    ft_file_hold(f);
    if (f->dev != dev || f->ino != ino) { /* its slot went to another file meanwhile */
        ft_file_release(f);
        uint64_t e = hi | FT_FD_UNTRACKED;
        ft_fd_set(fd, e);
        return e;
    }
    uint32_t was = FT_LOAD(&f->born), born = ft_born_digest(&st);
    if (created)
        *created = ft_open_made(&st, *created, was, born);
    if (was != born)
        FT_STORE(&f->born, born);
    /* The same name as the file's sure one: sure. */
    if ((gen & FT_NAME_UNSURE) && path_id && path_id == FT_LOAD(&f->path_id) &&
        FT_LOAD(&f->name_gen) == (gen & ~FT_NAME_UNSURE))
        gen &= ~FT_NAME_UNSURE;
    FT_STORE(&f->path_id, path_id);
    FT_STORE(&f->name_gen, gen);
    /* The interval starts with the first descriptor's open. */
    uint64_t zero = 0;
    FT_CAS(&f->ival_start, &zero, now);
    uint64_t e = hi | file;
    ft_fd_set(fd, e);
    return e;
}

/* The file of (dev, ino), if the table holds it, lost its last name: the
 * kernel may give its inode to a new file, whose next open is judged
 * afresh (ft_open_made). */
void ft_file_unborn(uint64_t dev, uint64_t ino)
{
    uint32_t file = ft_file_find(dev, ino, 0);
    if (file)
        FT_STORE(&ft_files[file - 1].born, 0);
}

/* A descriptor we never saw opened (inherited, opened before we were
 * loaded, or by a libc-internal open): named once, at its first write or
 * sync, through /proc/self/fd + fstat + F_GETFL. */
uint64_t ft_fd_resolve(int fd)
{
    uint64_t e = ft_fd_get(fd);
    if (ft_fd_what(e) == FT_FD_LAZY) { /* seen opened read-only: now it matters */
        uint32_t fl = ft_fd_flags(e);
        int oflags = (fl & FT_FDF_OSYNC) ? O_SYNC : (fl & FT_FDF_ODSYNC) ? O_DSYNC : 0;
        return ft_fd_opened(fd, oflags, 0, ft_now(), AT_FDCWD, NULL, NULL);
    }
    int fl = ft_sys_getfl(fd);
    if (fl < 0)
        return 0; /* not open: EBADF is the program's to see */
    return ft_fd_opened(fd, fl, 1, ft_now(), AT_FDCWD, NULL, NULL);
}
