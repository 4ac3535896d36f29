/*
 * creates DIR — what an open's "created" flag (0x100) says when the open has
 * O_CREAT without O_EXCL, and which unlinks are recorded. The recorder no
 * longer asks before such an open whether the name exists: it judges by the
 * file's birth time (statx) after the open (ft_files.c, ft_open_made).
 *
 *  - "old": made by another process (a child), 30 ms before this process
 *    opens it with O_CREAT|O_TRUNC: not created (its birth is older);
 *  - "fresh": opened with O_CREAT, written and synced: created; opened
 *    again at once with O_CREAT: not created (the same file, known to this
 *    process, born in the same clock tick); unlinked (recorded: a name the
 *    process knows), and opened with O_CREAT again: created;
 *  - "dl": a dangling symlink to "target": an O_CREAT open through it
 *    creates the target: created;
 *  - "stranger": made by the child, never opened here: its unlink is not
 *    recorded (the lint has nothing to say of a name the process never
 *    used), and the program sees it succeed.
 */
#include "ft_test.h"
#include <sys/wait.h>
#include <time.h>

static void make_in_child(const char *dir, const char *name)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open(ft_path(dir, name), O_WRONLY | O_CREAT | O_EXCL, 0644);
        _exit(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0 ? 0 : 1);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* open with O_CREAT (no O_EXCL), write, fsync, close. */
static void create_sync(const char *dir, const char *name, int more)
{
    ft_write_synced(ft_path(dir, name), more, 10);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    make_in_child(dir, "old");
    make_in_child(dir, "stranger");
    struct timespec pause = { 0, 30 * 1000 * 1000 };
    nanosleep(&pause, NULL);
    create_sync(dir, "old", O_TRUNC);
    create_sync(dir, "fresh", 0);
    create_sync(dir, "fresh", 0);
    int r = unlink(ft_path(dir, "fresh"));
    ft_said("unlink", "fresh", "unlink", -1, r, errno);
    create_sync(dir, "fresh", 0);
    CHECK(symlink("target", ft_path(dir, "dl")) == 0);
    create_sync(dir, "dl", 0);
    r = unlink(ft_path(dir, "stranger"));
    ft_said("unlink", "stranger", "unlink", -1, r, errno);
    printf("done\n");
    return 0;
}
