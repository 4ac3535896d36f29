/*
 * ft_tracedir.c — where the trace goes: the configured directory, checked
 * to be ours before anything is written into it (or the user's own under
 * it), and the one line that says why nothing is recorded when it is not.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_tracedir.h"

/* Why this image records nothing, for the one line that says so (ft_alert.c
 * sends it through the alert sink): the text, and 1 while it waits to be
 * said (2 once it was). */
char ft_off_text[FT_DIR_MAX + 160];

void ft_off(const char *dir, const char *what, uint64_t n, const char *tail)
{
    size_t at = ft_cat(ft_off_text, 0, sizeof ft_off_text, "not recording: ");
    at = ft_cat(ft_off_text, at, sizeof ft_off_text, dir);
    at = ft_cat(ft_off_text, at, sizeof ft_off_text, what);
    if (tail) {
        at = ft_cat_u64(ft_off_text, at, sizeof ft_off_text, n, 0);
        ft_cat(ft_off_text, at, sizeof ft_off_text, tail);
    }
}

void ft_off_errno(const char *dir, const char *what, int err)
{
    ft_off(dir, what, 0, NULL);
    size_t at = strlen(ft_off_text);
    const char *name = strerrorname_np(err);
    ft_cat(ft_off_text, at, sizeof ft_off_text, name ? name : "an error");
}

/* The directory this image's trace went to: the configured one, or the
 * user's own under it (uid-N, see ft_check_dir). */
static char ft_dir_used[FT_DIR_MAX + 32];

const char *ft_trace_dir(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    return c && FT_LOAD(&c->dir_sub) ? ft_dir_used : ft_cfg.dir;
}

/* <dir>/uid-<uid>, into buf. */
static void ft_uid_dir(char *buf, size_t size, const char *dir, uint32_t uid)
{
    size_t at = ft_cat(buf, 0, size, dir);
    at = ft_cat(buf, at, size, "/uid-");
    ft_cat_u64(buf, at, size, uid, 0);
}

/* dir as a directory of euid's, closed to others: 0 if so, else why not
 * (1 not a directory or a symlink, 2 another owner, 3 open to others). */
static int ft_dir_ours(const char *dir, uint32_t euid, struct stat *st)
{
    /* One lstat: a symlink is not followed (as O_PATH | O_NOFOLLOW would
     * not), and a directory we may only search (0711) still tells its owner. */
    if (ft_syscall(SYS_newfstatat, AT_FDCWD, dir, st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st->st_mode))
        return 1;
    return st->st_uid != euid ? 2 : (st->st_mode & 022) ? 3 : 0;
}

/* Before a privileged process becomes user uid (setuid and friends): make
 * <dir>/uid-<uid>, 0700 and that user's, where its traces can go (it cannot
 * write ours), and let others search the directory (0711: through it, each
 * user reaches only a directory of its own; the traces are 0600). */
void ft_uid_prepare(uint32_t uid)
{
    uint32_t euid = (uint32_t)ft_syscall(SYS_geteuid);
    struct stat st;
    if (euid != 0 || uid == euid || uid == (uint32_t)-1 || !ft_cfg.dir[0])
        return;
    ft_mark_dropping();
    int made = ft_syscall(SYS_mkdirat, AT_FDCWD, ft_cfg.dir, 0700) == 0;
    if (made)
        ft_syscall(SYS_fchmodat, AT_FDCWD, ft_cfg.dir, 0700);
    if (ft_dir_ours(ft_cfg.dir, euid, &st) != 0)
        return;
    if ((st.st_mode & 0111) != 0111)
        ft_syscall(SYS_fchmodat, AT_FDCWD, ft_cfg.dir, (st.st_mode & 07777) | 0111);
    char sub[FT_DIR_MAX + 32];
    ft_uid_dir(sub, sizeof sub, ft_cfg.dir, uid);
    if (ft_syscall(SYS_mkdirat, AT_FDCWD, sub, 0700) != 0 && errno != EEXIST)
        return;
    int fd = ft_sys_openat(AT_FDCWD, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0)
        return;
    /* Ours (just made) or already the user's: give it to the user, 0700. */
    if (ft_syscall(SYS_fstat, fd, &st) == 0 && (st.st_uid == 0 || st.st_uid == uid)) {
        ft_syscall(SYS_fchown, fd, uid, (gid_t)-1);
        ft_syscall(SYS_fchmod, fd, 0700);
    }
    ft_sys_close(fd);
}

/* The directory must be ours and closed to others: a trace names files and
 * command lines, and a directory others can write into lets them plant
 * symlinks or pre-create our file names. Refuse rather than weaken it;
 * but a process that runs as another user than the directory's owner (a
 * daemon's child that dropped privileges) records into <dir>/uid-<its
 * uid> when that is its own (ft_uid_prepare made it). */
int ft_check_dir(const char *dir)
{
    uint32_t euid = (uint32_t)ft_syscall(SYS_geteuid);
    struct stat st;
    struct ft_ctx *c = ft_ctx();
    if (c)
        FT_STORE(&c->dir_sub, 0); /* ft_dir_used is written only when used: a page less to fault in */
    int ours = ft_dir_ours(dir, euid, &st);
    /* Only under root's directory: nobody else can swap the subdirectory. */
    if (ours == 2 && st.st_uid == 0) {
        char sub[FT_DIR_MAX + 32];
        struct stat own;
        ft_uid_dir(sub, sizeof sub, dir, euid);
        if (ft_dir_ours(sub, euid, &own) == 0) {
            ft_cat(ft_dir_used, 0, sizeof ft_dir_used, sub);
            if (c)
                FT_STORE_REL(&c->dir_sub, 1);
            return 1;
        }
    }
    /* Missing (or not a directory): only the last component is made (a
     * missing parent: refused), 0700 whatever the umask: under a umask of
     * 0777 it would be 0000, and the file could not be made in it. */
    int made = ours == 1 && ft_syscall(SYS_mkdirat, AT_FDCWD, dir, 0700) == 0;
    if (ours == 1 && !made && errno != EEXIST) {
        ft_off_errno(dir, " cannot be made: ", errno);
        return 0;
    }
    if (made) {
        /* Mode 0000 cannot be opened for reading: through an O_PATH
         * descriptor (never a symlink put there since) and /proc. */
        int pfd = ft_sys_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (pfd >= 0) {
            char link[32];
            size_t at = ft_cat(link, 0, sizeof link, "/proc/self/fd/");
            ft_cat_u64(link, at, sizeof link, (uint64_t)pfd, 0);
            ft_syscall(SYS_fchmodat, AT_FDCWD, link, 0700);
            ft_sys_close(pfd);
        }
    }
    if (ours == 1)
        ours = ft_dir_ours(dir, euid, &st);
    switch (ours) {
    case 0:
        return 1;
    case 1:
        ft_off(dir, " is a symlink or not a directory (refused)", 0, NULL);
        return 0;
    case 2:
        ft_off(dir, " belongs to uid ", st.st_uid, ", not to uid ");
        ft_cat(ft_off_text, ft_cat_u64(ft_off_text, strlen(ft_off_text), sizeof ft_off_text, euid, 0),
               sizeof ft_off_text, " (refused)");
        return 0;
    default:
        ft_off(dir, " is writable by group or others (refused)", 0, NULL);
        return 0;
    }
}
