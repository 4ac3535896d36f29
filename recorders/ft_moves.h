/*
 * ft_moves.h — names given and taken (ft_moves.c): renames, links and
 * unlinks, recorded after the call made them.
 */
#ifndef FT_MOVES_H
#define FT_MOVES_H

#include "ft_files.h"

void ft_renamed(int olddirfd, const char *old, int newdirfd, const char *new_, unsigned flags, uint64_t t0);
void ft_linked(int olddirfd, const char *old, int newdirfd, const char *new_, int flags, uint64_t t0);

/* An unlink in flight. */
struct ft_unlink {
    int ok;            /* an unlink, not an rmdir */
    uint64_t t0;
};
void ft_unlink_begin(struct ft_unlink *u, int dirfd, const char *path, int flags);
void ft_unlink_end(struct ft_unlink *u, int dirfd, const char *path);

#endif /* FT_MOVES_H */
