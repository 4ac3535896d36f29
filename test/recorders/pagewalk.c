/*
 * pagewalk: N fsyncs or 64-byte pwrites of one file, each after a call to
 * marker(), for hotpage.test.ts to run under valgrind's lackey, which lists
 * every instruction and data access: the test splits them at marker() and at
 * the system call, and counts the pages each recorded call touches. `js`:
 * N records of a Node call that synced the file (the library's
 * fsync_trace_js_record, as the Node hook's addon makes them once the call
 * settled, with the addon's table of summary entries), after one fsync.
 *
 *   pagewalk fsync|write|js N DIR OUT
 *
 * OUT gets the addresses the test needs ("marker ADDR", "fsync ADDR",
 * "pwrite ADDR": libc's own functions, "stack ADDR": a local of main), then
 * /proc/self/maps.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ft_format.h"
#include "ft_js.h"

__attribute__((noinline)) void marker(long i)
{
    __asm__ volatile("" ::"r"(i));
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: pagewalk fsync|write|js N DIR OUT\n");
        return 2;
    }
    int w = strcmp(argv[1], "write") == 0;
    int js = strcmp(argv[1], "js") == 0;
    long n = atol(argv[2]);
    char path[4096];
    snprintf(path, sizeof path, "%s/pagewalk.%d", argv[3], getpid());
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    char buf[64];
    memset(buf, 'x', sizeof buf);
    if (js) {
        int (*record)(struct ft_js_call *) = (int (*)(struct ft_js_call *))dlsym(RTLD_DEFAULT, "fsync_trace_js_record");
        uint64_t (*now)(void) = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "fsync_trace_js_now");
        if (!record || !now || fsync(fd) < 0) {
            fprintf(stderr, "pagewalk js: the library is not preloaded, or fsync failed\n");
            return 1;
        }
        static uint64_t cur[16]; /* the addon's table of summary entries */
        for (long i = 0; i < n; i++) {
            struct ft_js_call c;
            memset(&c, 0, sizeof c);
            c.api = FT_JS_FH_SYNC;
            c.fd = fd;
            c.start_ns = now();
            c.cur = cur;
            c.cur_len = 16;
            marker(i);
            if (record(&c) < 0) {
                fprintf(stderr, "pagewalk js: not recorded\n");
                return 1;
            }
        }
        n = 0;
    }
    for (long i = 0; i < n; i++) {
        marker(i);
        if ((w ? pwrite(fd, buf, sizeof buf, 0) : fsync(fd)) < 0) {
            perror(argv[1]);
            return 1;
        }
    }
    marker(-1);
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    FILE *out = fopen(argv[4], "w");
    if (!libc || !out) {
        perror("pagewalk");
        return 1;
    }
    fprintf(out, "marker %p\nfsync %p\npwrite %p\nstack %p\n", (void *)marker, dlsym(libc, "fsync"),
            dlsym(libc, "pwrite64"), (void *)buf);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[1024];
    while (maps && fgets(line, sizeof line, maps))
        fputs(line, out);
    fclose(out);
    close(fd);
    unlink(path);
    return 0;
}
