/*
 * mmaps.c — msync(2) names the file mapped at the address it is given.
 *
 * usage: mmaps DIR MODE
 *   mremap    b.dat mapped at X is moved by mremap to Z; c.dat is mapped at X
 *             (MAP_FIXED); msync(X) is c.dat's, msync(Z) b.dat's
 *   partial   d.dat's 4 pages mapped; the first unmapped; msync of the rest
 *   rename    e.dat mapped, renamed to f.dat, written through the map, msync
 *   many      100 files mapped at once, each msync'ed
 *   readonly  70 read-only shared and 70 private mappings, then g.dat shared
 *             and writable, msync'ed
 * Prints "msync label=L ret=R path=P" per msync and "done pid=N".
 */
#define _GNU_SOURCE
#include "ft_test.h"

#include <sys/mman.h>

#define PAGE 4096
static const char *dir;

static int file(const char *name, size_t size) {
    int fd = open(ft_path(dir, name), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
    return fd;
}

static char *map(int fd, size_t size, int prot, int flags, void *at) {
    char *p = mmap(at, size, prot, flags, fd, 0);
    CHECK(p != MAP_FAILED);
    return p;
}

static void sync_at(const char *label, char *p, size_t len, const char *name) {
    p[0] ^= 1;
    int r = msync(p, len, MS_SYNC);
    printf("msync label=%s ret=%d path=%s\n", label, r, ft_path(dir, name));
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    dir = argv[1];
    const char *mode = argv[2];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (strcmp(mode, "mremap") == 0) {
        int b = file("b.dat", 2 * PAGE), c = file("c.dat", PAGE);
        char *x = map(b, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
        char *z = map(-1, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL);
        CHECK(mremap(x, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, z) == z);
        CHECK(map(c, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, x) == x);
        sync_at("old_address", x, PAGE, "c.dat");
        sync_at("moved", z + PAGE, PAGE, "b.dat");
    } else if (strcmp(mode, "partial") == 0) {
        int d = file("d.dat", 4 * PAGE);
        char *w = map(d, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
        CHECK(munmap(w, PAGE) == 0);
        sync_at("rest", w + PAGE, 3 * PAGE, "d.dat");
        CHECK(munmap(w + 3 * PAGE, PAGE) == 0);
        sync_at("middle", w + 2 * PAGE, PAGE, "d.dat");
    } else if (strcmp(mode, "rename") == 0) {
        int e = file("e.dat", PAGE);
        char *v = map(e, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
        CHECK(rename(ft_path(dir, "e.dat"), ft_path(dir, "f.dat")) == 0);
        sync_at("renamed", v, PAGE, "f.dat");
    } else if (strcmp(mode, "many") == 0) {
        char *at[100];
        for (int i = 0; i < 100; i++) {
            char name[16];
            snprintf(name, sizeof name, "m%03d", i);
            int fd = file(name, PAGE);
            at[i] = map(fd, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, NULL);
            CHECK(close(fd) == 0);
        }
        for (int i = 0; i < 100; i++) {
            char name[16], label[16];
            snprintf(name, sizeof name, "m%03d", i);
            snprintf(label, sizeof label, "m%03d", i);
            sync_at(label, at[i], PAGE, name);
        }
    } else if (strcmp(mode, "readonly") == 0) {
        for (int i = 0; i < 140; i++) {
            char name[16];
            snprintf(name, sizeof name, "r%03d", i);
            int fd = file(name, PAGE);
            if (i < 70) map(fd, PAGE, PROT_READ, MAP_SHARED, NULL);
            else map(fd, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, NULL);
            CHECK(close(fd) == 0);
        }
        int g = file("g.dat", PAGE);
        sync_at("writable", map(g, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, NULL), PAGE, "g.dat");
    } else {
        CHECK(!"a known mode");
    }
    printf("done pid=%d\n", (int)getpid());
    return 0;
}
