/*
 * ft_paths.h — path names in process memory (ft_paths.c).
 */
#ifndef FT_PATHS_H
#define FT_PATHS_H

#include "ft_dirs.h"

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

/* The last component of path (len bytes) is path[*base, end), trailing
 * slashes left out: returns end. */
static inline size_t ft_path_last_n(const char *path, size_t len, size_t *base)
{
    size_t end = len;
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t b = end;
    while (b > 0 && path[b - 1] != '/')
        b--;
    *base = b;
    return end;
}

/* Asking the kernel: the absolute name of what fd refers to, or of a path
 * relative to dirfd (see ft_paths.c). */
int ft_fd_name(int fd, char *buf, size_t size);
int ft_abs_name(int dirfd, const char *path, char *buf, size_t size, int follow_last,
                uint64_t *dev, uint64_t *ino, uint32_t *mode);


#endif /* FT_PATHS_H */
