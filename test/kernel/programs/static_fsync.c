/*
 * static_fsync PATH N: N rounds of a 512-byte write and fsync, then one
 * fdatasync, built with gcc -static so no LD_PRELOAD can reach it. With a
 * third argument it first waits that many milliseconds between rounds (the
 * --pid test attaches while it runs). Prints "synced N+1".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: static_fsync PATH N [PAUSE_MS]\n");
        return 2;
    }
    int n = atoi(argv[2]);
    long pause_ms = argc > 3 ? atol(argv[3]) : 0;
    int fd = open(argv[1], O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    char buf[512];
    memset(buf, 's', sizeof buf);
    for (int i = 0; i < n; i++) {
        if (pause_ms > 0) {
            struct timespec ts = { pause_ms / 1000, (pause_ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
        }
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || fsync(fd) != 0) { perror("write/fsync"); return 1; }
    }
    if (fdatasync(fd) != 0) { perror("fdatasync"); return 1; }
    close(fd);
    printf("synced %d\n", n + 1);
    fflush(stdout);
    return 0;
}
