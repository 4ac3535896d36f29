/*
 * first_sync.c — what a process's first durability call costs under the
 * recorder: that call makes the trace file (npm run bench:recorder).
 *
 * usage: first_sync FILE      prints "cpu_ns faults second_cpu_ns" of the first fsync
 *                             (CPU time and minor faults of the calling thread), and of
 *                             a second one; getppid() marks the end of the first for strace
 *        first_sync --units   prints "syscall_ns fault_ns": a raw getppid and a first
 *                             touch of an anonymous page, on this machine
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long faults(void)
{
    struct rusage r;
    getrusage(RUSAGE_THREAD, &r);
    return r.ru_minflt;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    if (strcmp(argv[1], "--units") == 0) {
        long long t0 = cpu_ns();
        for (int i = 0; i < 20000; i++)
            syscall(SYS_getppid);
        long long t1 = cpu_ns();
        char *m = mmap(NULL, 4096 * 500, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return 1;
        long long t2 = cpu_ns();
        for (int i = 0; i < 500; i++)
            m[i * 4096] = 1;
        long long t3 = cpu_ns();
        printf("%lld %lld\n", (t1 - t0) / 20000, (t3 - t2) / 500);
        return 0;
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "x", 1) != 1)
        return 1;
    long f0 = faults();
    long long c0 = cpu_ns();
    int r = fsync(fd);
    long long c1 = cpu_ns();
    long f1 = faults();
    syscall(SYS_getppid); /* the end of the first call, for strace */
    if (r != 0 || write(fd, "x", 1) != 1)
        return 1;
    long long c2 = cpu_ns();
    r = fsync(fd);
    long long c3 = cpu_ns();
    printf("%lld %ld %lld\n", c1 - c0, f1 - f0, c3 - c2);
    return r != 0 || close(fd) != 0;
}
