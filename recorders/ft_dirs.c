/*
 * ft_dirs.c — naming a path without asking the kernel: the canonical names
 * of the directories met before, and of the working directory.
 *
 * An open, a rename or an unlink names its file by the path it was given.
 * The kernel's own name for it (d_path, through /proc) costs a system call
 * or four, at every call, for files most of which never sync. Most paths are
 * "a directory met before" + "/" + a last component: with the directory's
 * canonical name kept here, the absolute name is a copy. What is kept:
 *
 *  - for a literal absolute directory (or one relative to the working
 *    directory), its canonical name, learned from a name the kernel gave
 *    (ft_dirs_learn): exactly, when the kernel named the directory itself or
 *    an object in it that is not followed (O_PATH|O_NOFOLLOW); for a file an
 *    open followed, only when the file's canonical directory is the literal
 *    one (then the literal directory has no symlink in it);
 *  - the working directory's canonical name, until chdir or fchdir.
 *
 * Paths with "." or ".." components, "//", a trailing "/" or relative to a
 * directory descriptor are not named here (the callers ask the kernel). A
 * last component that is a symlink an open followed is not seen here
 * either: ft_files.c marks such names unsure and asks the kernel at the
 * file's first sync. Everything here is forgotten when this process renames
 * a directory or a symlink (ft_dirs_forget), or a name turns out wrong.
 *
 * Lock-free: each entry is under a sequence word (odd while written); a
 * reader that sees it change, or a writer that finds it odd (another thread,
 * or the code a signal handler interrupted), gives up: the caller asks the
 * kernel. Async-signal-safe, with about 1 KiB of stack (a handler may run
 * on a small alternate stack).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "ft_dirs.h"

#define FT_DIRS 128u                 /* directories kept: direct-mapped by hash */
/* FT_DIR_TEXT (ft_paths.h): literal + canonical name, per entry */

struct ft_dir_entry {
    uint32_t seq;        /* even: stable; odd: being written */
    uint32_t gen;        /* ft_dirs_gen when filled */
    uint16_t lit_len, canon_len;
    uint32_t hash;
    char text[FT_DIR_TEXT]; /* the literal directory, then its canonical name */
};
_Static_assert(sizeof(struct ft_dir_entry) == 1024, "an entry is 1 KiB");

struct ft_dirs {
    uint32_t gen;        /* bumped to forget every entry (never 0) */
    uint32_t cwd_gen;    /* bumped at chdir/fchdir */
    uint32_t cwd_seq;    /* the working directory's name, as an entry's */
    uint32_t cwd_at;     /* (gen << 16 | cwd_gen & 0xffff) + 1 when it was read; 0: never */
    uint32_t cwd_len;
    char cwd[FT_PATH_MAX_LEN + 1];
    struct ft_dir_entry e[FT_DIRS] __attribute__((aligned(64)));
};

static struct ft_dirs *ft_dirs_mem;

static void ft_dirs_init(void *fresh)
{
    ((struct ft_dirs *)fresh)->gen = 1;
}

static struct ft_dirs *ft_dirs_get(int make)
{
    struct ft_dirs *d = FT_LOAD_ACQ(&ft_dirs_mem);
    return d || !make ? d : ft_sys_mmap_once((void **)&ft_dirs_mem, sizeof *d, ft_dirs_init);
}

void ft_dirs_forget(void)
{
    struct ft_dirs *d = ft_dirs_get(0);
    if (d && FT_ADD(&d->gen, 1) + 1 == 0)
        FT_ADD(&d->gen, 1);
}

void ft_cwd_changed(void)
{
    struct ft_dirs *d = ft_dirs_get(0);
    if (d)
        FT_ADD(&d->cwd_gen, 1);
}

static uint32_t ft_cwd_stamp(struct ft_dirs *d)
{
    return (FT_LOAD_ACQ(&d->gen) << 16 | (FT_LOAD_ACQ(&d->cwd_gen) & 0xffffu)) + 1;
}

/* Take the sequence word of a stable entry for writing: its old value, or 1
 * (odd) when someone else is writing. */
static uint32_t ft_seq_take(uint32_t *seq)
{
    uint32_t s = FT_LOAD(seq);
    if ((s & 1) || !FT_CAS(seq, &s, s + 1))
        return 1;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    return s;
}

/* Keep name (len bytes) as the working directory's canonical name, valid
 * while stamp holds; left alone when another thread is storing it. */
static void ft_cwd_store(struct ft_dirs *d, const char *name, size_t len, uint32_t stamp)
{
    uint32_t s = ft_seq_take(&d->cwd_seq);
    if (s == 1)
        return;
    memcpy(d->cwd, name, len);
    FT_STORE(&d->cwd_len, (uint32_t)len);
    FT_STORE(&d->cwd_at, stamp);
    FT_STORE_REL(&d->cwd_seq, s + 2);
}

/* The working directory's canonical name into buf (no terminator): from
 * memory, else asked of the kernel once (and kept). -1 when unknown. */
static int ft_cwd_name(struct ft_dirs *d, char *buf, size_t size)
{
    uint32_t stamp = ft_cwd_stamp(d);
    uint32_t s = FT_LOAD_ACQ(&d->cwd_seq);
    if (!(s & 1) && FT_LOAD(&d->cwd_at) == stamp) {
        uint32_t len = FT_LOAD(&d->cwd_len);
        if (len < size) {
            memcpy(buf, d->cwd, len);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (FT_LOAD(&d->cwd_seq) == s)
                return (int)len;
        }
    }
    ssize_t n = ft_sys_readlink("/proc/self/cwd", buf, size);
    if (n <= 0 || (size_t)n >= size || buf[0] != '/')
        return -1;
    ft_cwd_store(d, buf, (size_t)n, stamp);
    return (int)n;
}

/* A path split into its directory part and last component, when it is
 * plain: no "." or ".." component, no empty one ("//"), no trailing "/"
 * (struct ft_lit, ft_paths.h). */
static int ft_lit_split(int dirfd, const char *path, struct ft_lit *l)
{
    if (!path || !path[0])
        return -1;
    l->rel = path[0] != '/';
    if (l->rel && dirfd != AT_FDCWD)
        return -1;
    const char *c = path + !l->rel, *last = c;
    for (;;) {
        const char *end = strchrnul(c, '/'); /* a component at a time (libc's, a word or more a step) */
        size_t n = (size_t)(end - c);
        if (n == 0 || (n <= 2 && c[0] == '.' && (n == 1 || c[1] == '.')))
            return -1;
        last = c;
        if (!*end) {
            l->base_len = n;
            break;
        }
        c = end + 1;
    }
    l->base = last;
    l->dir = path;
    l->dir_len = last == path ? 0 : (size_t)(last - path - 1);
    if (!l->rel && l->dir_len == 0)
        l->dir_len = 1; /* "/x": the root */
    return 0;
}

/* The literal directory as an absolute path: an absolute one as it is in
 * the path (*at), a relative one made in buf after the working directory's
 * name. Its length, or -1. */
static int ft_lit_dir(struct ft_dirs *d, const struct ft_lit *l, char *buf, size_t size, const char **at)
{
    size_t n = 0;
    *at = buf;
    if (!l->rel) {
        *at = l->dir;
        return l->dir_len < size ? (int)l->dir_len : -1;
    }
    {
        int k = ft_cwd_name(d, buf, size);
        if (k < 0)
            return -1;
        n = (size_t)k;
        if (l->dir_len == 0)
            return (int)n;
        if (n > 1)
            buf[n++] = '/';
    }
    if (n + l->dir_len >= size)
        return -1;
    memcpy(buf + n, l->dir, l->dir_len);
    return (int)(n + l->dir_len);
}

static uint32_t ft_dir_hash(const char *s, size_t n)
{
    uint64_t h = ft_hash_str(s, n);
    return (uint32_t)(h ^ h >> 32);
}

/* The canonical name of the absolute directory lit into out: its length, or
 * -1 when it is not known here. */
static int ft_dir_lookup(struct ft_dirs *d, const char *lit, size_t len, uint32_t h, char *out, size_t size)
{
    if (len == 1 && lit[0] == '/') {
        out[0] = '/';
        return 1;
    }
    struct ft_dir_entry *e = &d->e[h % FT_DIRS];
    uint32_t s = FT_LOAD_ACQ(&e->seq);
    if ((s & 1) || FT_LOAD(&e->gen) != FT_LOAD_ACQ(&d->gen) || FT_LOAD(&e->hash) != h ||
        FT_LOAD(&e->lit_len) != len)
        return -1;
    size_t clen = FT_LOAD(&e->canon_len);
    if (clen >= size || len + clen > FT_DIR_TEXT || memcmp(e->text, lit, len) != 0)
        return -1;
    memcpy(out, e->text + len, clen);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return FT_LOAD(&e->seq) == s ? (int)clen : -1;
}

static void ft_dir_store(struct ft_dirs *d, const char *lit, size_t len, uint32_t h, const char *canon, size_t clen)
{
    if (len + clen > FT_DIR_TEXT || (len == 1 && lit[0] == '/'))
        return;
    struct ft_dir_entry *e = &d->e[h % FT_DIRS];
    uint32_t s = ft_seq_take(&e->seq);
    if (s == 1)
        return;
    memcpy(e->text, lit, len);
    memcpy(e->text + len, canon, clen);
    e->lit_len = (uint16_t)len;
    e->canon_len = (uint16_t)clen;
    e->hash = h;
    e->gen = FT_LOAD_ACQ(&d->gen);
    FT_STORE_REL(&e->seq, s + 2);
}

/* The absolute name of path (relative to dirfd or the working directory)
 * from the names kept here, into buf with a terminator: its length, or -1
 * when it is not known here (ask the kernel). Costs no system call, except
 * one readlink of /proc/self/cwd for a relative path after each chdir. The
 * last component is as given: if it is a symlink, the name is the link's.
 * What it worked out (the split, the literal directory and its hash) stays
 * in *ask, for ft_dirs_learn after the kernel named the path. */
int ft_dirs_name(int dirfd, const char *path, char *buf, size_t size, struct ft_dir_ask *ask)
{
    struct ft_lit *l = &ask->l;
    struct ft_dirs *d = ft_dirs_get(1);
    ask->lit_len = -1;
    ask->ok = d && ft_lit_split(dirfd, path, l) == 0;
    if (!ask->ok)
        return -1;
    int n;
    if (l->rel && l->dir_len == 0) {
        n = ft_cwd_name(d, buf, size);
    } else {
        /* a longer directory is never kept: 1 KiB of stack, not 4 */
        ask->lit_len = ft_lit_dir(d, l, ask->lit, sizeof ask->lit, &ask->litp);
        if (ask->lit_len < 0)
            return -1;
        ask->hash = ft_dir_hash(ask->litp, (size_t)ask->lit_len);
        n = ft_dir_lookup(d, ask->litp, (size_t)ask->lit_len, ask->hash, buf, size);
    }
    if (n < 0)
        return -1;
    if (n > 1)
        buf[n++] = '/';
    if ((size_t)n + l->base_len >= size)
        return -1;
    memcpy(buf + n, l->base, l->base_len);
    n += (int)l->base_len;
    buf[n] = '\0';
    return n;
}

/* The kernel named the object at the path ft_dirs_name could not name (*ask):
 * `name` (len bytes). Keep its directory's name for the next paths in that
 * directory: with `exact`, the object was not followed (a directory, an
 * O_PATH|O_NOFOLLOW open), so its directory is the path's; else only when
 * the name is in the literal directory itself. */
void ft_dirs_learn(const struct ft_dir_ask *ask, const char *name, int len, int exact)
{
    const struct ft_lit *l = &ask->l;
    struct ft_dirs *d = ft_dirs_get(0);
    if (!d || !ask->ok || len <= 0 || name[0] != '/')
        return;
    size_t clen = (size_t)len;
    while (clen > 0 && name[clen - 1] != '/')
        clen--;
    if (clen == 0 || (size_t)len - clen != l->base_len || memcmp(name + clen, l->base, l->base_len) != 0)
        return; /* not named by its last component: a symlink followed */
    if (clen > 1)
        clen--; /* "/d/x" -> "/d"; "/x" -> "/" */
    if (l->rel && l->dir_len == 0) {
        if (exact)
            ft_cwd_store(d, name, clen, ft_cwd_stamp(d));
        return;
    }
    size_t ln = (size_t)ask->lit_len;
    if (ask->lit_len >= 0 && (exact || (clen == ln && memcmp(ask->litp, name, clen) == 0)))
        ft_dir_store(d, ask->litp, ln, ask->hash, name, clen);
}
