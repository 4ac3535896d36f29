/*
 * sysloglisten.c — a stand-in for syslogd: binds a datagram socket at PATH
 * (as /dev/log is) and prints every datagram it receives, for the alert
 * tests (FSYNC_TRACE_SYSLOG_PATH points the recorder here).
 *
 * usage: sysloglisten PATH COUNT TIMEOUT_MS
 *
 * Prints "ready" once bound, then "msg <datagram>" per datagram (a newline in
 * one would show as a second line, which the tests would catch), until COUNT
 * datagrams or TIMEOUT_MS without one; then "end count=N". Never preloaded.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ft_test.h"

int main(int argc, char **argv) {
    CHECK(argc == 4);
    int count = atoi(argv[2]), timeout = atoi(argv[3]);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    CHECK(strlen(argv[1]) < sizeof sa.sun_path);
    strcpy(sa.sun_path, argv[1]);
    unlink(argv[1]);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    int got = 0;
    static char buf[65536];
    while (got < count) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout) != 1)
            break;
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        CHECK(n >= 0);
        buf[n] = '\0';
        printf("msg %s\n", buf);
        got++;
    }
    printf("end count=%d\n", got);
    unlink(argv[1]);
    return 0;
}
