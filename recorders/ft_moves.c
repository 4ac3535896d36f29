/*
 * ft_moves.c — names given and taken: renames, links and unlinks, with what
 * the durability lint needs to judge them (recorders/FORMAT.md): the old and
 * the new name, and for a file open here the bytes written to it and not
 * yet synced. Below ft_calls.c, which calls it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "ft_moves.h"

/* A record of `type` from t0 to now, with no descriptor. */
static void ft_move_init(struct ft_event *ev, uint8_t type, uint64_t t0)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->start_ns = t0;
    ev->dur_ns = ft_since(t0, ft_now());
    ev->fd = -1;
}

/* A rename or link of a file open here carries what was written to it and
 * not yet synced (FT_F_OPEN_FILE): bytes that may not be under the new name
 * after a crash. */
static void ft_move_state(struct ft_event *ev, struct ft_file *f)
{
    if (FT_LOAD(&f->nopen) <= 0)
        return;
    struct ft_ival iv;
    ft_file_peek(f, &iv);
    ev->flags |= FT_F_OPEN_FILE;
    ev->bytes = iv.bytes;
    ev->ival_start_ns = iv.start;
}

/* ---- renames ---- */

static void ft_rename_one(int olddirfd, const char *old, int newdirfd, const char *new_, uint64_t t0)
{
    char oldname[FT_PATH_MAX_LEN + 1], newname[FT_PATH_MAX_LEN + 1];
    uint64_t dev, ino, unused;
    uint32_t mode = 0, unused_mode;
    int nlen = ft_abs_name(newdirfd, new_, newname, sizeof newname, 1, &dev, &ino, &mode);
    if (nlen <= 0)
        return; /* renamed again already, or /proc is missing */
    /* A directory moved: so did every file under it. Files name themselves
     * again at their next event (ft_file_rename_check). */
    if (S_ISDIR(mode))
        __atomic_add_fetch(&ft_names_gen, 1, __ATOMIC_RELEASE);
    int olen = ft_abs_name(olddirfd, old, oldname, sizeof oldname, 0, &unused, &unused, &unused_mode);
    struct ft_event ev;
    ft_move_init(&ev, FT_T_RENAME, t0);
    ev.path_id = olen > 0 ? ft_path_intern(oldname, (uint32_t)olen, dev, ino) : 0;
    ev.writes = ft_path_intern(newname, (uint32_t)nlen, dev, ino);
    if (!ev.path_id || !ev.writes)
        ev.flags |= FT_F_PATH_UNKNOWN;
    /* Events on the open file from now on carry its new name. */
    uint32_t file = ft_file_find(dev, ino, 0);
    if (file) {
        struct ft_file *f = &ft_files[file - 1];
        if (ev.writes)
            FT_STORE(&f->path_id, ev.writes);
        ft_move_state(&ev, f);
    }
    ft_emit(&ev);
}

void ft_renamed(int olddirfd, const char *old, int newdirfd, const char *new_, unsigned flags, uint64_t t0)
{
    ft_rename_one(olddirfd, old, newdirfd, new_, t0);
    if (flags & RENAME_EXCHANGE) /* both names moved (rename(2)) */
        ft_rename_one(newdirfd, new_, olddirfd, old, t0);
}

/* ---- links ---- */

/* linkat(2) with AT_EMPTY_PATH, or through "/proc/self/fd/N" followed,
 * links the file behind a descriptor: its number, else -1. */
static int ft_link_fd(int olddirfd, const char *old, int flags)
{
    static const char proc[] = "/proc/self/fd/";
    if ((flags & AT_EMPTY_PATH) && old && old[0] == '\0')
        return olddirfd;
    if (old && strncmp(old, proc, sizeof proc - 1) == 0 && (flags & AT_SYMLINK_FOLLOW))
        return atoi(old + sizeof proc - 1);
    return -1;
}

/* A second name for a file: a link record from the existing name to the
 * new one (git links each loose object's temporary to its final name). A
 * file linked by its descriptor is named by what the recorder knows of it;
 * an unnamed one (O_TMPFILE: "#ino (deleted)") takes the new name. */
void ft_linked(int olddirfd, const char *old, int newdirfd, const char *new_, int flags, uint64_t t0)
{
    char name[FT_PATH_MAX_LEN + 1];
    uint64_t dev, ino, unused;
    uint32_t mode, unused_mode;
    int len = ft_abs_name(newdirfd, new_, name, sizeof name, 1, &dev, &ino, &mode);
    if (len <= 0)
        return; /* gone again already, or /proc is missing */
    struct ft_event ev;
    ft_move_init(&ev, FT_T_LINK, t0);
    ev.writes = ft_path_intern(name, (uint32_t)len, dev, ino);
    int fd = ft_link_fd(olddirfd, old, flags);
    struct ft_file *f = NULL;
    if (fd >= 0) {
        f = ft_file_of(ft_fd_known(fd));
        if (!f || f->dev != dev || f->ino != ino)
            return;
        ev.fd = fd;
        ev.path_id = FT_LOAD(&f->path_id);
        if (ev.writes)
            FT_STORE(&f->path_id, ev.writes);
    } else {
        char oldname[FT_PATH_MAX_LEN + 1];
        int olen = ft_abs_name(olddirfd, old, oldname, sizeof oldname, 0, &unused, &unused, &unused_mode);
        ev.path_id = olen > 0 ? ft_path_intern(oldname, (uint32_t)olen, dev, ino) : 0;
        uint32_t file = ft_file_find(dev, ino, 0);
        f = file ? &ft_files[file - 1] : NULL;
    }
    if (!ev.path_id || !ev.writes)
        ev.flags |= FT_F_PATH_UNKNOWN;
    if (f)
        ft_move_state(&ev, f);
    ft_emit(&ev);
}

/* ---- unlinks ---- */

/* Before an unlink: the time, and whether it is one (unlinkat's AT_REMOVEDIR
 * is rmdir: a directory is not a file the lint follows). No system call. */
void ft_unlink_begin(struct ft_unlink *u, int dirfd, const char *path, int flags)
{
    (void)dirfd;
    u->t0 = ft_now();
    u->ok = path && !(flags & AT_REMOVEDIR);
}

/* After it removed the name: recorded when the process knows the name (it
 * opened, created, renamed or linked a file by it: the names the lint
 * judges), under the id it knows it by. The name is made from the
 * directories met before (no system call), else asked of the kernel for
 * its directory, which is still there. A name the process never used is
 * not recorded: the lint has nothing to say of it. */
void ft_unlink_end(struct ft_unlink *u, int dirfd, const char *path)
{
    if (!u->ok)
        return;
    char name[FT_PATH_MAX_LEN + 1];
    uint64_t unused;
    uint32_t unused_mode;
    int len = ft_abs_name(dirfd, path, name, sizeof name, 0, &unused, &unused, &unused_mode);
    uint32_t id = len > 0 ? ft_path_find_name(name, (uint32_t)len) : 0;
    if (!id)
        return;
    struct ft_path *p = ft_path_get(id);
    if (p)
        ft_file_unborn(p->dev, p->ino);
    if (p && ft_path_old(id)) /* about to leave the store: named again, so the record stays named */
        id = ft_path_intern(name, (uint32_t)len, p->dev, p->ino) ?: id;
    struct ft_event ev;
    ft_move_init(&ev, FT_T_UNLINK, u->t0);
    ev.path_id = id;
    ft_emit(&ev);
}
