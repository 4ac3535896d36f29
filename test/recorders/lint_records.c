/*
 * lint_records DIR [exit|_exit|raw] — the records the durability lint reads
 * beyond the timing, each made by a real call:
 *
 *  - an open that creates its file (flag 0x100) and one that does not,
 *    fopen "w" creating (and "r+" not), mkstemp creating;
 *  - a rename of a file still open with 64 unsynced bytes (flag 0x200);
 *  - a hard link of an open file with 32 unsynced bytes (flag 0x200) and one
 *    of a closed file (no flag), an unlink of each name; an rmdir through
 *    unlinkat (not recorded) and an unlink that fails (not recorded; its
 *    errno reaches the program);
 *  - an O_TMPFILE file with 10 unsynced bytes linked in by its descriptor
 *    (a link record from its unnamed name, flag 0x200);
 *  - at the end, three files left open: "kept" fsynced and then written 100
 *    bytes more, "kept2" fdatasynced and written 7 more, "log" written and
 *    never synced. The image ends by returning from main ("exit"), by
 *    _exit(2) ("_exit"): "kept" and "kept2" get a close record at exit
 *    (flags 0x400 | 0x10, 100 and 7 bytes), "log" none.
 *  - "raw": the creating open, the link and the unlinks through syscall(2).
 */
#include "ft_test.h"
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int raw;

static int open_new(const char *path, int flags)
{
    return raw ? (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0644) : open(path, flags, 0644);
}

static int do_link(const char *a, const char *b)
{
    return raw ? (int)syscall(SYS_linkat, AT_FDCWD, a, AT_FDCWD, b, 0) : link(a, b);
}

static int do_unlink(const char *p)
{
    return raw ? (int)syscall(SYS_unlink, p) : unlink(p);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    const char *dir = argv[1], *end = argv[2];
    raw = strcmp(end, "raw") == 0;

    int fd = open_new(ft_path(dir, "new"), O_WRONLY | O_CREAT); /* created */
    CHECK(fd >= 0);
    ft_write_all(fd, 10);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
    fd = open_new(ft_path(dir, "new"), O_WRONLY | O_CREAT); /* exists */
    CHECK(fd >= 0);
    CHECK(close(fd) == 0);
    FILE *fp = fopen(ft_path(dir, "f.txt"), "w"); /* created */
    CHECK(fp != NULL);
    CHECK(fclose(fp) == 0);
    fp = fopen(ft_path(dir, "f.txt"), "r+"); /* exists, no O_CREAT */
    CHECK(fp != NULL);
    CHECK(fclose(fp) == 0);
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/tmp_XXXXXX", dir);
    fd = mkstemp(tmpl); /* created */
    CHECK(fd >= 0);
    CHECK(close(fd) == 0);
    CHECK(do_unlink(tmpl) == 0);

    fd = open(ft_path(dir, "held"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 64);
    CHECK(rename(ft_path(dir, "held"), ft_path(dir, "held2")) == 0); /* open, 64 bytes unsynced */
    CHECK(fsync(fd) == 0);
    ft_write_all(fd, 32);
    CHECK(do_link(ft_path(dir, "held2"), ft_path(dir, "hard")) == 0); /* open, 32 bytes unsynced */
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
    CHECK(do_link(ft_path(dir, "held2"), ft_path(dir, "hard2")) == 0); /* closed */
    CHECK(do_unlink(ft_path(dir, "hard")) == 0);
    CHECK(unlinkat(AT_FDCWD, ft_path(dir, "hard2"), 0) == 0);
    CHECK(mkdir(ft_path(dir, "sub"), 0755) == 0);
    CHECK(unlinkat(AT_FDCWD, ft_path(dir, "sub"), AT_REMOVEDIR) == 0);
    int r = unlink(ft_path(dir, "missing"));
    ft_said("unlink", "missing", "unlink", -1, r, errno);

    fd = open(dir, O_TMPFILE | O_WRONLY, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 10);
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    CHECK(linkat(AT_FDCWD, self, AT_FDCWD, ft_path(dir, "tmpfile"), AT_SYMLINK_FOLLOW) == 0);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);

    int kept = open(ft_path(dir, "kept"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(kept >= 0);
    ft_write_all(kept, 4096);
    CHECK(fsync(kept) == 0);
    ft_write_all(kept, 100);
    int kept2 = open(ft_path(dir, "kept2"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(kept2 >= 0);
    ft_write_all(kept2, 10);
    CHECK(fdatasync(kept2) == 0);
    ft_write_all(kept2, 7);
    int log = open(ft_path(dir, "log"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(log >= 0);
    ft_write_all(log, 50);
    ft_sync_dir(dir);
    printf("left kept=%d kept2=%d log=%d\n", kept, kept2, log);
    fflush(stdout);
    if (strcmp(end, "_exit") == 0)
        _exit(0);
    return 0;
}
