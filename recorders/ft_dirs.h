/*
 * ft_dirs.h — naming a path from the canonical names of the directories met
 * before, with no system call (ft_dirs.c). Below the path store
 * (ft_paths.h), which asks here before it asks the kernel.
 */
#ifndef FT_DIRS_H
#define FT_DIRS_H

#include "ft_config.h"

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

#endif /* FT_DIRS_H */
