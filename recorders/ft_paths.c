/*
 * ft_paths.c — path names, in process memory.
 *
 * A path id stands for one distinct (absolute name, st_dev, st_ino); its
 * name is kept here, in memory we mmap ourselves, and written to the trace
 * by the layers above (into the names ring of the trace file).
 * Names come from the kernel: /proc/self/fd/N is the kernel's own d_path.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_paths.h"

#define FT_PROBES 64

/* ---- path names ------------------------------------------------------------ */

/*
 * The store lives as long as the service: ids are handed out in order and
 * never reused for another name within a process, but only the newest
 * FT_PATHS of them are kept. Id n lives in entry n % FT_PATHS, its name in
 * a ring of FT_NAMES_BYTES; an entry overwritten by a newer id, or whose
 * name the ring has gone past, reads as gone (ft_path_get returns NULL),
 * and a file that still needs a name asks the kernel for it again (a new
 * id; ft_name_event). So a server that names 10 M files over a week names
 * each of them, the newest 65,536 from memory.
 */
#define FT_PATH_INDEX (2 * FT_PATHS)
#define FT_NAMES_BYTES (8u << 20)


struct ft_pathstore {
    uint64_t names_used;              /* bytes handed out in the names ring, ever */
    uint32_t index[FT_PATH_INDEX];    /* open-addressing hash: bucket -> id */
    uint32_t by_name[FT_PATH_INDEX];  /* the same by the name alone: the newest id of each name */
    struct ft_path paths[FT_PATHS];
    char names[FT_NAMES_BYTES];
};

static struct ft_pathstore *ft_paths;

static struct ft_pathstore *ft_paths_store(void)
{
    return ft_sys_mmap_once((void **)&ft_paths, sizeof(struct ft_pathstore), NULL);
}

static struct ft_path *ft_path_live(struct ft_pathstore *s, uint32_t id)
{
    if (!s || id == 0)
        return NULL;
    struct ft_path *p = &s->paths[id % FT_PATHS];
    if (FT_LOAD_ACQ(&p->id) != id)
        return NULL;
    if (FT_LOAD(&s->names_used) - p->at > FT_NAMES_BYTES - p->len)
        return NULL; /* its name has been written over */
    return p;
}

struct ft_path *ft_path_get(uint32_t id)
{
    return ft_path_live(FT_LOAD_ACQ(&ft_paths), id);
}

const char *ft_path_name(const struct ft_path *p)
{
    return FT_LOAD_ACQ(&ft_paths)->names + p->at % FT_NAMES_BYTES;
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

/* A name's hash (ft_path.name_hash), and with its inode (ft_path.hash). */
static uint32_t ft_hash_of_name(uint64_t h)
{
    return (uint32_t)(h ^ h >> 32);
}

static uint32_t ft_hash_with_inode(uint64_t h, uint64_t dev, uint64_t ino)
{
    return (uint32_t)(ft_mix(h ^ dev, ino) >> 32);
}

int ft_path_same_name(const struct ft_path *a, const struct ft_path *b)
{
    return a->name_hash == b->name_hash && a->len == b->len &&
           memcmp(ft_path_name(a), ft_path_name(b), a->len) == 0;
}

static int ft_path_is(const struct ft_path *p, uint32_t hash, const char *name, uint32_t len,
                      uint64_t dev, uint64_t ino)
{
    return p->hash == hash && p->len == len && p->dev == dev && p->ino == ino &&
           memcmp(ft_path_name(p), name, len) == 0;
}

/* The name index: id's bucket by its name alone, taken from an id gone
 * from the store or an older id of the same name. Two threads that name
 * files at once may each take a bucket for one name: the lookup takes the
 * first it finds, either names the file. */
static void ft_path_name_index(struct ft_pathstore *s, const struct ft_path *p, uint32_t id)
{
    for (uint32_t i = 0; i < FT_PROBES; i++) {
        uint32_t *bucket = &s->by_name[(p->name_hash + i) & (FT_PATH_INDEX - 1)];
        uint32_t old = FT_LOAD_ACQ(bucket);
        struct ft_path *q = ft_path_live(s, old);
        if (q && !ft_path_same_name(q, p))
            continue;
        if (FT_CAS(bucket, &old, id))
            return;
    }
}

/* The newest id of the path called `name` (whatever its inode) this process
 * knows, 0 if none. */
uint32_t ft_path_find_name(const char *name, uint32_t len)
{
    struct ft_pathstore *s = FT_LOAD_ACQ(&ft_paths);
    if (!s || len == 0 || len > FT_PATH_MAX_LEN)
        return 0;
    uint32_t h = ft_hash_of_name(ft_hash_str(name, len));
    for (uint32_t i = 0; i < FT_PROBES; i++) {
        uint32_t id = FT_LOAD_ACQ(&s->by_name[(h + i) & (FT_PATH_INDEX - 1)]);
        if (id == 0)
            return 0;
        struct ft_path *p = ft_path_live(s, id);
        if (p && p->name_hash == h && p->len == len && memcmp(ft_path_name(p), name, len) == 0)
            return id;
    }
    return 0;
}

/* A new id for (name, dev, ino): its name copied into the ring (whole: a
 * name that would wrap starts again at the ring's start), its entry filled,
 * then its id published (release). 0 when there is no memory. */
static uint32_t ft_path_new(struct ft_pathstore *s, const char *name, uint32_t len, uint64_t dev,
                            uint64_t ino, uint32_t hash, uint32_t name_hash)
{
    uint64_t at = FT_ADD(&s->names_used, len);
    if (at % FT_NAMES_BYTES + len > FT_NAMES_BYTES)
        at = FT_ADD(&s->names_used, len); /* a name never wraps; the tail goes unused */
    if (at % FT_NAMES_BYTES + len > FT_NAMES_BYTES)
        return 0;
    uint32_t id = FT_ADD(&ft_paths_handed, 1) + 1;
    if (id == 0)
        id = FT_ADD(&ft_paths_handed, 1) + 1; /* 2^32 ids later: 0 stays "unknown" */
    struct ft_path *p = &s->paths[id % FT_PATHS];
    FT_STORE(&p->id, 0);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(s->names + at % FT_NAMES_BYTES, name, len);
    p->dev = dev;
    p->ino = ino;
    p->at = at;
    p->len = len;
    p->hash = hash;
    p->name_hash = name_hash;
    FT_STORE(&p->names_at, 0);
    FT_STORE_REL(&p->id, id);
    ft_path_name_index(s, p, id);
    return id;
}

/* The id for (name, dev, ino), made on first sight. An entry is complete
 * before its id is published in the index (release), so a reader that finds
 * the id finds the name. A bucket whose id is gone is free again. Two
 * threads that intern the same new name at once may both take an id: the
 * loser sees the winner's and uses it; its own id is never emitted. */
uint32_t ft_path_intern(const char *name, uint32_t len, uint64_t dev, uint64_t ino)
{
    struct ft_pathstore *s = ft_paths_store();
    if (!s || len == 0 || len > FT_PATH_MAX_LEN)
        return 0;
    uint64_t h = ft_hash_str(name, len);
    uint32_t hash = ft_hash_with_inode(h, dev, ino);
    uint32_t mine = 0;
    for (uint32_t i = 0; i < FT_PROBES; i++) {
        uint32_t *bucket = &s->index[(hash + i) & (FT_PATH_INDEX - 1)];
        uint32_t id = FT_LOAD_ACQ(bucket);
        struct ft_path *p = ft_path_live(s, id);
        if (p && !ft_path_old(id) && ft_path_is(p, hash, name, len, dev, ino))
            return id;
        if (p)
            continue; /* another path's, or ours about to go: a new id then */
        if (!mine && !(mine = ft_path_new(s, name, len, dev, ino, hash, ft_hash_of_name(h))))
            return 0;
        if (FT_CAS(bucket, &id, mine))
            return mine;
        p = ft_path_live(s, id); /* another thread took the bucket first: is it ours? */
        if (p && ft_path_is(p, hash, name, len, dev, ino))
            return id;
    }
    return mine; /* no bucket: the id names the file, it is just not found again */
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
    struct ft_dir_ask ask;
    int n = ft_dirs_name(dirfd, path, buf, size, &ask); /* its directory met before: no system call */
    if (follow_last) {
        if (n > 0) {
            struct stat st;
            if (ft_syscall(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
                return -1;
            *dev = st.st_dev;
            *ino = st.st_ino;
            *mode = st.st_mode;
            return n;
        }
        int fd = ft_sys_openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        n = ft_sys_fstat(fd, dev, ino, mode) == 0 ? ft_fd_name(fd, buf, size) : -1;
        ft_sys_close(fd);
        ft_dirs_learn(&ask, buf, n, 1);
        return n;
    }
    if (n > 0)
        return n;
    size_t base;
    size_t len = ft_path_last_n(path, strlen(path), &base);
    if (len - base == 0 || len - base >= size)
        return -1;
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
    ft_dirs_learn(&ask, buf, n, 1); /* its directory was named itself */
    return n;
}
