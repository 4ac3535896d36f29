/*
 * ft_maps.h — shared mappings of files (ft_maps.c): msync(2) takes an
 * address, and only this table tells which file lives there.
 */
#ifndef FT_MAPS_H
#define FT_MAPS_H

#include <sys/mman.h>

#include "ft_files.h"

/* A mapping made (mmap), removed (munmap) or moved (mremap). */
void ft_mapped(void *addr, size_t len, int prot, int flags, int fd);
void ft_map_remove(void *addr, size_t len);
void ft_remapped(void *old, size_t len, void *to, size_t new_len, int flags);
uint32_t ft_map_path(void *addr, struct ft_file **f);

/* Only a shared mapping of a file can be msync'ed to it; a read-only one
 * has nothing to sync (and takes no room in the table: ft_mapped). */
static inline int ft_map_is_shared_file(int flags, int fd)
{
    int type = flags & MAP_TYPE;
    return fd >= 0 && !(flags & MAP_ANONYMOUS) && (type == MAP_SHARED || type == MAP_SHARED_VALIDATE);
}

#endif /* FT_MAPS_H */
