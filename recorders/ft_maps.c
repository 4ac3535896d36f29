/*
 * ft_maps.c — shared mappings of files (ft_maps.h): which file an msync's
 * address is in.
 */
#include <sys/mman.h>

#include "ft_maps.h"

/* msync(2) takes an address, and only this table tells which file lives
 * there: address ranges of writable shared file mappings, each naming its
 * file (so a rename is followed: the file's current name is taken at the
 * msync). Entries live in chunks of anonymous memory added as needed, never
 * freed; a slot is claimed and changed under its state word. */
#define FT_MAP_CHUNK 256u
#define FT_MAP_CHUNKS 1024u /* 262,144 mappings */

struct ft_map {
    uint32_t state; /* 0 free, 1 being changed, 2 in use */
    uint32_t file;  /* index + 1 in ft_files ... */
    uint16_t life;  /* ... while its slot holds this file (ft_file.life) */
    uint32_t path_id; /* the name when mapped: for when the slot holds another file */
    uintptr_t addr;
    size_t len;
};

static struct ft_map *ft_map_chunk[FT_MAP_CHUNKS];
static uint32_t ft_map_nchunks;
static uint32_t ft_maps_used; /* entries ever taken: munmap skips an empty table */

static void ft_map_put(uintptr_t addr, size_t len, const struct ft_map *what)
{
    for (uint32_t k = 0; k < FT_MAP_CHUNKS; k++) {
        struct ft_map *m = ft_sys_mmap_once((void **)&ft_map_chunk[k], FT_MAP_CHUNK * sizeof *m, NULL);
        if (!m)
            return;
        /* chunks are made in order: k + 1 of them at least now */
        uint32_t have = FT_LOAD(&ft_map_nchunks);
        while (have < k + 1 && !FT_CAS(&ft_map_nchunks, &have, k + 1))
            ;
        for (uint32_t i = 0; i < FT_MAP_CHUNK; i++) {
            uint32_t st = 0;
            if (FT_LOAD(&m[i].state) == 0 && FT_CAS(&m[i].state, &st, 1)) {
                m[i].addr = addr;
                m[i].len = len;
                m[i].file = what->file;
                m[i].life = what->life;
                m[i].path_id = what->path_id;
                FT_STORE_REL(&m[i].state, 2);
                FT_ADD(&ft_maps_used, 1);
                return;
            }
        }
    }
}

/* [lo, hi) is no longer mapped as it was: entries inside go, entries that
 * overlap keep what lies outside (a partial munmap, a MAP_FIXED over part). */
void ft_map_remove(void *addr, size_t len)
{
    uintptr_t lo = (uintptr_t)addr, hi = lo + len;
    if (FT_LOAD(&ft_maps_used) == 0)
        return;
    uint32_t chunks = FT_LOAD_ACQ(&ft_map_nchunks);
    for (uint32_t k = 0; k < chunks; k++) {
        struct ft_map *m = FT_LOAD_ACQ(&ft_map_chunk[k]);
        for (uint32_t i = 0; m && i < FT_MAP_CHUNK; i++) {
            uint32_t st = 2;
            if (FT_LOAD_ACQ(&m[i].state) != 2 || !(m[i].addr < hi && lo < m[i].addr + m[i].len))
                continue;
            if (!FT_CAS(&m[i].state, &st, 1))
                continue;
            uintptr_t a = m[i].addr, b = a + m[i].len;
            struct ft_map what = m[i];
            if (a < lo) { /* the head stays here */
                m[i].len = lo - a;
                FT_STORE_REL(&m[i].state, 2);
            } else {
                FT_STORE_REL(&m[i].state, 0);
            }
            if (b > hi) /* the tail stays too */
                ft_map_put(hi, b - hi, &what);
        }
    }
}

/* The entry whose range holds a, copied into *out; 0 when none does. */
static int ft_map_find(uintptr_t a, struct ft_map *out)
{
    uint32_t chunks = FT_LOAD_ACQ(&ft_map_nchunks);
    for (uint32_t k = 0; k < chunks; k++) {
        struct ft_map *m = FT_LOAD_ACQ(&ft_map_chunk[k]);
        for (uint32_t i = 0; m && i < FT_MAP_CHUNK; i++) {
            if (FT_LOAD_ACQ(&m[i].state) == 2 && a >= m[i].addr && a < m[i].addr + m[i].len) {
                *out = m[i];
                return 1;
            }
        }
    }
    return 0;
}

/* After mmap: a fixed mapping replaced whatever was at its place; a shared
 * writable file mapping is entered. */
void ft_mapped(void *addr, size_t len, int prot, int flags, int fd)
{
    if (addr == MAP_FAILED)
        return;
    if (flags & MAP_FIXED)
        ft_map_remove(addr, len);
    if (!ft_map_is_shared_file(flags, fd) || !(prot & PROT_WRITE))
        return;
    uint64_t e = ft_fd_known(fd);
    struct ft_file *f = ft_file_of(e);
    if (f) {
        struct ft_map what = {.file = ft_fd_what(e), .life = FT_LOAD(&f->life), .path_id = FT_LOAD(&f->path_id)};
        ft_map_put((uintptr_t)addr, len, &what);
    }
}

/* mremap(2) moved or resized [old, old + len) to [to, to + new_len). */
void ft_remapped(void *old, size_t len, void *to, size_t new_len, int flags)
{
    (void)flags;
    struct ft_map what;
    int found = ft_map_find((uintptr_t)old, &what);
    ft_map_remove(old, len);
    ft_map_remove(to, new_len);
    if (found)
        ft_map_put((uintptr_t)to, new_len, &what);
}

uint32_t ft_map_path(void *addr, struct ft_file **f)
{
    struct ft_map m;
    *f = NULL;
    if (!ft_map_find((uintptr_t)addr, &m))
        return 0;
    /* The file's slot may hold another file by now (its descriptors all
     * closed): then the name it had when mapped, and no file's track. */
    struct ft_file *file = &ft_files[m.file - 1];
    if (FT_LOAD(&file->life) != m.life)
        return m.path_id;
    *f = file;
    if (FT_UNLIKELY(FT_LOAD(&ft_names_gen) != FT_LOAD(&file->name_gen)))
        ft_file_rename_check(file, -1, 1);
    return FT_LOAD(&file->path_id);
}
