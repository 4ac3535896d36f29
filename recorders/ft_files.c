/*
 * ft_files.c — what the recorder knows about descriptors, files and names.
 *
 *   fd    -> one 64-bit word: which file (index into the file table) + flags
 *   file  -> one cache line per inode: the write interval since its last sync
 *   path  -> an id per distinct (absolute name, st_dev, st_ino), written to
 *            the trace as a path record before the first event that uses it
 *
 * All three live in memory we mmap ourselves, grow without locks (slots are
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

#include "ft_internal.h"

/* ---- the descriptor table ------------------------------------------------- */

/* Two levels, so any fd number works (RLIMIT_NOFILE can be raised to
 * fs.nr_open, 1Mi by default) while a program with ten descriptors pays for
 * one 32 KiB chunk. Chunks are installed with CAS and never freed. */
uint64_t *ft_fd_top[FT_FD_TOP];

uint64_t *ft_fd_slot(int fd)
{
    if (fd < 0 || (unsigned)fd >= (unsigned)FT_FD_TOP * FT_FD_CHUNK)
        return NULL;
    uint64_t **top = &ft_fd_top[(unsigned)fd >> FT_FD_CHUNK_SHIFT];
    uint64_t *chunk = FT_LOAD_ACQ(top);
    if (!chunk) {
        uint64_t *fresh = ft_sys_mmap_anon(FT_FD_CHUNK * sizeof(uint64_t));
        if (!fresh)
            return NULL;
        chunk = NULL;
        if (FT_CAS(top, &chunk, fresh)) {
            chunk = fresh;
        } else {
            syscall(SYS_munmap, fresh, FT_FD_CHUNK * sizeof(uint64_t));
        }
    }
    return &chunk[(unsigned)fd & (FT_FD_CHUNK - 1)];
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
    uint64_t *chunk = FT_LOAD_ACQ(&ft_fd_top[(unsigned)fd >> FT_FD_CHUNK_SHIFT]);
    return chunk ? FT_XCHG(&chunk[(unsigned)fd & (FT_FD_CHUNK - 1)], 0) : 0;
}

/* ---- the file table -------------------------------------------------------- */

struct ft_file *ft_files;

static struct ft_file *ft_files_table(void)
{
    struct ft_file *t = FT_LOAD_ACQ(&ft_files);
    if (t)
        return t;
    struct ft_file *fresh = ft_sys_mmap_anon(FT_FILES * sizeof(struct ft_file));
    if (!fresh)
        return NULL;
    if (FT_CAS(&ft_files, &t, fresh))
        return fresh;
    syscall(SYS_munmap, fresh, FT_FILES * sizeof(struct ft_file));
    return t;
}

static uint64_t ft_mix(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    return h ^ (h >> 29);
}

#define FT_PROBES 64

/* Spin a little while another thread fills the slot it just claimed. Never
 * unbounded: that thread may be stopped; then we give up on this file. */
static int ft_wait_claimed(const uint32_t *state)
{
    for (int i = 0; i < 1024; i++) {
        if (FT_LOAD_ACQ(state) != 1)
            return 1;
        __builtin_ia32_pause();
    }
    return 0;
}

/* The file for (dev, ino): its index + 1, or 0 if the table has no room. */
uint32_t ft_file_find(uint64_t dev, uint64_t ino, int create)
{
    struct ft_file *t = create ? ft_files_table() : FT_LOAD_ACQ(&ft_files);
    if (!t)
        return 0;
    uint64_t h = ft_mix(dev, ino);
    for (uint32_t i = 0; i < FT_PROBES; i++) {
        uint32_t idx = (uint32_t)(h + i) & (FT_FILES - 1);
        struct ft_file *f = &t[idx];
        uint32_t st = FT_LOAD_ACQ(&f->state);
        if (st == 0) {
            if (!create)
                return 0;
            if (FT_CAS(&f->state, &st, 1)) {
                f->dev = dev;
                f->ino = ino;
                FT_STORE_REL(&f->state, 2);
                return idx + 1;
            }
        }
        if (st == 1 && !ft_wait_claimed(&f->state))
            return 0;
        if (f->dev == dev && f->ino == ino)
            return idx + 1;
    }
    return 0;
}

/* Snapshot and restart at `restart` (the start of the sync: what fsync
 * makes durable is what was written before it began). Each counter is
 * exchanged atomically, so no write is lost or counted twice; a write that
 * races with the sync may see its bytes land in this interval and its count
 * in the next — the totals stay exact. A counter that reads zero is left
 * alone: a write racing with that read belongs to the next interval anyway,
 * and skipping the locked exchange keeps back-to-back syncs cheap. */
static inline uint64_t ft_take64(uint64_t *p)
{
    return FT_LOAD(p) ? FT_XCHG(p, 0) : 0;
}

void ft_file_take(struct ft_file *f, uint64_t restart, struct ft_ival *iv)
{
    iv->start = FT_XCHG(&f->ival_start, restart);
    iv->bytes = ft_take64(&f->bytes);
    iv->writes = FT_LOAD(&f->writes) ? FT_XCHG(&f->writes, 0) : 0;
    iv->wtime_ns = ft_take64(&f->wtime_ns);
}

void ft_file_peek(struct ft_file *f, struct ft_ival *iv)
{
    iv->start = FT_LOAD(&f->ival_start);
    iv->bytes = FT_LOAD(&f->bytes);
    iv->writes = FT_LOAD(&f->writes);
    iv->wtime_ns = FT_LOAD(&f->wtime_ns);
}

/* The event's start_ns must be set. Two syncs of one file can overlap: the
 * one that started later may take the interval first and restart it at its
 * own start, so the other finds an interval that starts after it did. It
 * then reports one that starts with it (an interval never starts after the
 * sync that closes it); bytes and writes stay exact. */
void ft_ival_fill(struct ft_event *ev, const struct ft_ival *iv)
{
    uint64_t us = iv->wtime_ns / 1000;
    ev->bytes = iv->bytes;
    ev->writes = iv->writes;
    ev->write_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    ev->ival_start_ns = iv->start > ev->start_ns ? ev->start_ns : iv->start;
    if (ft_cfg.write_sample > 1)
        ev->flags |= FT_F_WRITE_TIME_SAMPLED;
}

/* ---- path names ------------------------------------------------------------ */

#define FT_PATHS 65536u
#define FT_PATH_INDEX (2 * FT_PATHS)
#define FT_NAMES_BYTES (4u << 20)

struct ft_pathstore {
    uint32_t npaths;                  /* ids handed out; id 0 means "unknown" */
    uint32_t names_used;
    uint32_t index[FT_PATH_INDEX];    /* open-addressing hash: bucket -> id */
    struct ft_path paths[FT_PATHS + 1];
    char names[FT_NAMES_BYTES];
};

static struct ft_pathstore *ft_paths;

static struct ft_pathstore *ft_paths_store(void)
{
    struct ft_pathstore *s = FT_LOAD_ACQ(&ft_paths);
    if (s)
        return s;
    struct ft_pathstore *fresh = ft_sys_mmap_anon(sizeof *fresh);
    if (!fresh)
        return NULL;
    if (FT_CAS(&ft_paths, &s, fresh))
        return fresh;
    syscall(SYS_munmap, fresh, sizeof *fresh);
    return s;
}

struct ft_path *ft_path_get(uint32_t id)
{
    struct ft_pathstore *s = FT_LOAD_ACQ(&ft_paths);
    return s && id >= 1 && id <= FT_PATHS ? &s->paths[id] : NULL;
}

const char *ft_path_name(const struct ft_path *p)
{
    return FT_LOAD_ACQ(&ft_paths)->names + p->off;
}

void ft_path_piece(unsigned char rec[FT_RECORD_SIZE], const struct ft_path *p, uint32_t id, uint32_t i)
{
    const char *name = ft_path_name(p);
    uint32_t len = p->len;
    memset(rec, 0, FT_RECORD_SIZE);
    if (i == 0) {
        struct ft_path_rec *h = (struct ft_path_rec *)rec;
        h->type = FT_T_PATH;
        h->path_id = id;
        h->len = len;
        h->dev = p->dev;
        h->ino = p->ino;
        memcpy(h->name, name, len < FT_PATH_HEAD_BYTES ? len : FT_PATH_HEAD_BYTES);
        return;
    }
    uint32_t from = FT_PATH_HEAD_BYTES + (i - 1) * FT_PATH_CONT_BYTES;
    rec[4] = FT_T_PATH_CONT;
    if (from < len)
        memcpy(rec + 8, name + from, len - from < FT_PATH_CONT_BYTES ? len - from : FT_PATH_CONT_BYTES);
}

static uint32_t ft_hash_name(const char *name, uint32_t len, uint64_t dev, uint64_t ino)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
    return (uint32_t)(ft_mix(h ^ dev, ino) >> 32);
}

static int ft_path_is(const struct ft_pathstore *s, uint32_t id, uint32_t hash,
                      const char *name, uint32_t len, uint64_t dev, uint64_t ino)
{
    const struct ft_path *p = &s->paths[id];
    return p->hash == hash && p->len == len && p->dev == dev && p->ino == ino &&
           memcmp(s->names + p->off, name, len) == 0;
}

/* The id for (name, dev, ino), made on first sight; 0 when the store is
 * full. An entry is complete before its id is published in the index
 * (release), so a reader that finds the id finds the name. Two threads that
 * intern the same new name at once may both take an id: the loser sees the
 * winner's and uses it; its own id is never emitted. */
uint32_t ft_path_intern(const char *name, uint32_t len, uint64_t dev, uint64_t ino)
{
    struct ft_pathstore *s = ft_paths_store();
    if (!s || len == 0 || len > FT_PATH_MAX_LEN)
        return 0;
    uint32_t hash = ft_hash_name(name, len, dev, ino);
    uint32_t mine = 0;
    for (uint32_t i = 0; i < FT_PROBES; i++) {
        uint32_t *bucket = &s->index[(hash + i) & (FT_PATH_INDEX - 1)];
        uint32_t id = FT_LOAD_ACQ(bucket);
        if (id == 0) {
            if (!mine) {
                if (FT_LOAD(&s->npaths) >= FT_PATHS || FT_LOAD(&s->names_used) + len > FT_NAMES_BYTES)
                    return 0;
                uint32_t off = FT_ADD(&s->names_used, len);
                if (off + len > FT_NAMES_BYTES)
                    return 0;
                mine = FT_ADD(&s->npaths, 1) + 1;
                if (mine > FT_PATHS)
                    return 0;
                struct ft_path *p = &s->paths[mine];
                memcpy(s->names + off, name, len);
                p->dev = dev;
                p->ino = ino;
                p->off = off;
                p->len = len;
                p->hash = hash;
            }
            if (FT_CAS(bucket, &id, mine))
                return mine;
        }
        if (ft_path_is(s, id, hash, name, len, dev, ino))
            return id;
    }
    return 0;
}

/* ---- naming descriptors and paths ----------------------------------------- */

static void ft_proc_fd_path(char *buf, int fd)
{
    static const char prefix[] = "/proc/self/fd/";
    char digits[12];
    int n = 0;
    memcpy(buf, prefix, sizeof prefix - 1);
    unsigned v = (unsigned)fd;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char *p = buf + sizeof prefix - 1;
    while (n)
        *p++ = digits[--n];
    *p = '\0';
}

/* The absolute, canonical name of what fd refers to: the kernel's own d_path
 * through /proc/self/fd (proc(5)). It resolves relative opens, dirfds, ".."
 * and symlinks the way the kernel did. Deleted files read "... (deleted)". */
int ft_fd_name(int fd, char *buf, size_t size)
{
    char link[32];
    ft_proc_fd_path(link, fd);
    ssize_t n = ft_sys_readlink(link, buf, size);
    if (n <= 0 || (size_t)n >= size || buf[0] != '/')
        return -1; /* no /proc, cut short, or not a path ("socket:[...]") */
    buf[n] = '\0';
    return (int)n;
}

/* The absolute name of `path` relative to dirfd (or the cwd). With
 * follow_last the name is that of the object now at `path` (an O_PATH open
 * that does not follow a final symlink, as rename(2) does not), and its
 * dev/ino are returned. Without, the object is gone (a rename's old name):
 * the parent directory is named and the last component appended (and
 * dev, ino and mode are left alone). */
int ft_abs_name(int dirfd, const char *path, char *buf, size_t size, int follow_last,
                uint64_t *dev, uint64_t *ino, uint32_t *mode)
{
    if (follow_last) {
        int fd = ft_sys_openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        int n = ft_sys_fstat(fd, dev, ino, mode) == 0 ? ft_fd_name(fd, buf, size) : -1;
        ft_sys_close(fd);
        return n;
    }
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    size_t base = len;
    while (base > 0 && path[base - 1] != '/')
        base--;
    if (len - base == 0 || len - base >= size)
        return -1;
    int n;
    if (base == 0) {
        char link[32];
        if (dirfd == AT_FDCWD)
            memcpy(link, "/proc/self/cwd", sizeof "/proc/self/cwd");
        else
            ft_proc_fd_path(link, dirfd);
        ssize_t r = ft_sys_readlink(link, buf, size);
        n = r > 0 && (size_t)r < size && buf[0] == '/' ? (int)r : -1;
    } else {
        char parent[FT_PATH_MAX_LEN];
        if (base >= sizeof parent)
            return -1;
        memcpy(parent, path, base);
        parent[base] = '\0';
        int fd = ft_sys_openat(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        n = ft_fd_name(fd, buf, size);
        ft_sys_close(fd);
    }
    if (n < 0)
        return -1;
    if (n > 1)
        buf[n++] = '/'; /* "/" + "name", not "//name" */
    if ((size_t)n + (len - base) >= size)
        return -1;
    memcpy(buf + n, path + base, len - base);
    n += (int)(len - base);
    buf[n] = '\0';
    return n;
}

/* ---- names that change under a file ---------------------------------------- */

uint32_t ft_names_gen;

/* A directory was renamed since f was named: ask the kernel for the name of
 * what fd refers to now (d_path follows the rename). errno is the program's
 * and stays as it was: this runs before the call being recorded. */
__attribute__((noinline, cold)) void ft_file_rename_check(struct ft_file *f, int fd)
{
    int saved = errno;
    uint32_t gen = FT_LOAD_ACQ(&ft_names_gen);
    char name[FT_PATH_MAX_LEN + 1];
    int len = fd >= 0 ? ft_fd_name(fd, name, sizeof name) : -1;
    if (len > 0) {
        uint32_t id = ft_path_intern(name, (uint32_t)len, f->dev, f->ino);
        if (id)
            FT_STORE(&f->path_id, id);
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

/* A descriptor now refers to something: find out what, and remember it.
 * Only regular files and directories are tracked (fsync on a directory is
 * how a rename or a create is made durable); the rest are marked "not a
 * file" so their writes cost one lookup. Returns the new entry, 0 if fd is
 * not open. Reentrant: a signal handler may run it for the same file while
 * we are inside; the only wait is ft_wait_claimed's bounded spin. */
uint64_t ft_fd_opened(int fd, int oflags, int resolved, uint64_t now)
{
    uint64_t dev, ino;
    uint32_t mode;
    uint64_t hi = (uint64_t)(resolved ? FT_FDF_RESOLVED : 0) << 32;
    if (ft_sys_fstat(fd, &dev, &ino, &mode) < 0)
        return 0;
    if (!S_ISREG(mode) && !S_ISDIR(mode)) {
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
    uint32_t gen = FT_LOAD_ACQ(&ft_names_gen); /* before the name: a rename after it renames again */
    int len = ft_fd_name(fd, name, sizeof name);
    uint32_t path_id = len > 0 ? ft_path_intern(name, (uint32_t)len, dev, ino) : 0;
    struct ft_file *f = &ft_files[file - 1];
    FT_STORE(&f->path_id, path_id);
    FT_STORE(&f->name_gen, gen);
    if (__atomic_fetch_add(&f->nopen, 1, __ATOMIC_ACQ_REL) <= 0) {
        /* First descriptor: the interval starts with this open. */
        uint64_t zero = 0;
        FT_CAS(&f->ival_start, &zero, now);
    }
    uint64_t e = hi | file;
    ft_fd_set(fd, e);
    return e;
}

/* A descriptor we never saw opened (inherited, opened before we were
 * loaded, or by a libc-internal open): named once, at its first write or
 * sync, through /proc/self/fd + fstat + F_GETFL. */
uint64_t ft_fd_resolve(int fd)
{
    int fl = ft_sys_getfl(fd);
    if (fl < 0)
        return 0; /* not open: EBADF is the program's to see */
    return ft_fd_opened(fd, fl, 1, ft_now());
}
