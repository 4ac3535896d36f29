/*
 * ft_paths.h — path names in process memory (ft_paths.c).
 */
#ifndef FT_PATHS_H
#define FT_PATHS_H

#include "ft_base.h"

struct ft_path {
    uint32_t id;         /* the id this entry holds now; 0 while it is written */
    uint32_t len;        /* the name's length ... */
    uint64_t at;         /* ... and where it is in the store's ring of names */
    uint64_t dev, ino;
    uint32_t hash;
    uint32_t name_hash;  /* of the name alone: files of one name (ft_path_same_name) */
    /* Where the newest copy of this path is in the names ring of the current
     * trace file: (file tag << 48) | its position, FT_NAMES_BUSY while a
     * writer makes one (ft_names.c); another file's tag reads as "none". */
    uint64_t names_at;
};

#define FT_PATHS 65536u      /* path ids kept in memory: the newest this many */
#define ft_paths_handed (ft_hot.paths_handed) /* ids handed out so far; id 0 means "unknown" */

/* Is id about to leave the store (or gone)? A cheap test for the hot path:
 * a file that keeps an old id names itself again in good time. */
static inline int ft_path_old(uint32_t id)
{
    return FT_LOAD(&ft_paths_handed) - id >= FT_PATHS - 4096;
}

uint32_t ft_path_intern(const char *name, uint32_t len, uint64_t dev, uint64_t ino);
struct ft_path *ft_path_get(uint32_t id);
const char *ft_path_name(const struct ft_path *p);
/* The newest id named `name` (any inode) this process knows, or 0. */
uint32_t ft_path_find_name(const char *name, uint32_t len);
/* Do a and b name the same path (whatever the inode)? */
int ft_path_same_name(const struct ft_path *a, const struct ft_path *b);
/* Record i of a copy of path p under id (FORMAT.md, "Path records"): the
 * head for i = 0, then continuations; the commit word's seq is left 0. */
void ft_path_piece(unsigned char rec[FT_RECORD_SIZE], const struct ft_path *p, uint32_t id, uint32_t i);

/* Slots a path record of a name of len bytes takes. */
static inline uint32_t ft_path_slots(uint32_t len)
{
    return 1 + (len > FT_PATH_HEAD_BYTES
                    ? (len - FT_PATH_HEAD_BYTES + FT_PATH_CONT_BYTES - 1) / FT_PATH_CONT_BYTES
                    : 0);
}

/* Asking the kernel: the absolute name of what fd refers to, or of a path
 * relative to dirfd (see ft_paths.c). */
int ft_fd_name(int fd, char *buf, size_t size);
int ft_abs_name(int dirfd, const char *path, char *buf, size_t size, int follow_last,
                uint64_t *dev, uint64_t *ino, uint32_t *mode);

/* Naming a path from the canonical names of directories met before, with
 * no system call (ft_dirs.c): the name, or -1 (ask the kernel). */
#define FT_DIR_TEXT (1024u - 16u)    /* a kept directory's literal + canonical name */
struct ft_lit {        /* a plain path, split */
    const char *dir;   /* the directory part: "" (the cwd's own), "/" or "a/b" */
    size_t dir_len;
    const char *base;  /* the last component */
    size_t base_len;
    int rel;           /* relative to the working directory */
};
struct ft_dir_ask {    /* what ft_dirs_name worked out, for ft_dirs_learn */
    int ok;            /* a plain path: l is its split */
    int lit_len;       /* the literal directory made absolute, at litp; -1: none */
    uint32_t hash;     /* ... and its hash */
    const char *litp;  /* in the path (an absolute one), else in lit */
    struct ft_lit l;
    char lit[FT_DIR_TEXT + 1];
};
int ft_dirs_name(int dirfd, const char *path, char *buf, size_t size, struct ft_dir_ask *ask);
/* The kernel named the object at the path *ask could not name: keep its
 * directory's name (exact: the object was not followed, so its directory is
 * the path's). */
void ft_dirs_learn(const struct ft_dir_ask *ask, const char *name, int len, int exact);
void ft_dirs_forget(void);   /* a directory or a symlink was renamed or removed */
void ft_cwd_changed(void);   /* chdir, fchdir */

#endif /* FT_PATHS_H */
