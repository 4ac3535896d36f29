/*
 * sockact DIR — a socket-activated service (sd_listen_fds(3)'s protocol,
 * written out): the descriptors from 3 on are its only when LISTEN_PID is
 * its own pid and LISTEN_FDS counts them. It accepts one connection on fd
 * 3, answers "activated pid=P fds=N" (or "not activated LISTEN_PID=L
 * pid=P": a service would ignore the sockets), fsyncs DIR/served and exits.
 */
#include "ft_test.h"
#include <sys/socket.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *lpid = getenv("LISTEN_PID"), *lfds = getenv("LISTEN_FDS");
    char line[128];
    int mine = lpid && lfds && atol(lpid) == (long)getpid() && atoi(lfds) >= 1;
    if (mine)
        snprintf(line, sizeof line, "activated pid=%d fds=%s\n", (int)getpid(), lfds);
    else
        snprintf(line, sizeof line, "not activated LISTEN_PID=%s pid=%d\n", lpid ? lpid : "", (int)getpid());
    int c = accept(3, NULL, NULL);
    CHECK(c >= 0);
    CHECK(write(c, line, strlen(line)) == (ssize_t)strlen(line));
    CHECK(close(c) == 0);
    int fd = open(ft_path(argv[1], "served"), O_WRONLY | O_CREAT | O_APPEND, 0644);
    CHECK(fd >= 0);
    ft_write_all(fd, 16);
    CHECK(fsync(fd) == 0);
    CHECK(close(fd) == 0);
    return mine ? 0 : 1;
}
