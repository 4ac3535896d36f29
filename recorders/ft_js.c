/*
 * ft_js.c — the Node hook's entry points (ft_js.h): one fs call as the
 * JavaScript program saw it (fs.fsync, filehandle.sync(), writeFile with
 * flush, ...) becomes one FT_T_JS record in this process's trace, through
 * the same ring, names and crash-safe mapping as the library's own records.
 * So one trace per process holds both what the program waited for and what
 * the system call took, ordered and named alike, and the analyzer pairs them.
 *
 * Called on a JavaScript thread by the hook's addon after a call settled,
 * never inside one of the library's wrappers. Like a wrapper it keeps errno
 * and changes nothing the program sees: when it cannot record it returns -1.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "ft_always.h"
#include "ft_calls.h"
#include "ft_js.h"

FT_EXPORT int fsync_trace_js_abi(void)
{
    return FT_JS_ABI;
}

/* Call sites are names like paths (FORMAT.md, "Path records"), with no
 * dev or ino: the names region carries them, and a record names its site as
 * a rename names its new path (ft_ring.c). */
FT_EXPORT uint32_t fsync_trace_js_name(const char *name, uint32_t len)
{
    if (!name || len == 0 || len > FT_PATH_MAX_LEN || !ft_active())
        return 0;
    int saved = errno;
    uint32_t id = ft_path_intern(name, len, 0, 0);
    errno = saved;
    return id;
}

/*
 * The file of a descriptor the library did not see opened (it was loaded by
 * the addon: opens and closes went past it). Naming one through /proc costs
 * ~10 us, so the name is kept per descriptor with the file's dev and ino, and
 * taken again while one fstat says the descriptor still refers to that file
 * (a rename of it since is not seen). Each entry is a seqlock: threads (Node
 * workers) may name the same descriptor at once, and a reader that overlaps a
 * writer names the file itself instead of trusting a torn entry.
 */
#define FT_JS_FDS 1024u

struct ft_js_fd {
    uint32_t gen; /* odd while written */
    uint32_t id;
    uint64_t dev, ino;
};
static struct ft_js_fd ft_js_fds[FT_JS_FDS];

static uint32_t ft_js_fd_cached(int fd, uint64_t dev, uint64_t ino)
{
    if ((unsigned)fd >= FT_JS_FDS)
        return 0;
    struct ft_js_fd *e = &ft_js_fds[fd];
    uint32_t g = FT_LOAD_ACQ(&e->gen);
    if (g & 1)
        return 0;
    uint32_t id = FT_LOAD(&e->id);
    int same = FT_LOAD(&e->dev) == dev && FT_LOAD(&e->ino) == ino;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return same && FT_LOAD(&e->gen) == g && id && !ft_path_old(id) ? id : 0;
}

static void ft_js_fd_keep(int fd, uint64_t dev, uint64_t ino, uint32_t id)
{
    if ((unsigned)fd >= FT_JS_FDS)
        return;
    struct ft_js_fd *e = &ft_js_fds[fd];
    uint32_t g = FT_LOAD(&e->gen);
    if ((g & 1) || !FT_CAS(&e->gen, &g, g + 1))
        return; /* another thread is at it */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    FT_STORE(&e->id, id);
    FT_STORE(&e->dev, dev);
    FT_STORE(&e->ino, ino);
    FT_STORE_REL(&e->gen, g + 2);
}

static uint32_t ft_js_fd_path(int fd, uint16_t *flags)
{
    char buf[FT_PATH_MAX_LEN];
    uint64_t dev = 0, ino = 0;
    uint32_t mode = 0;
    *flags |= FT_F_FD_RESOLVED;
    if (ft_sys_fstat(fd, &dev, &ino, &mode) != 0)
        return 0;
    uint32_t id = ft_js_fd_cached(fd, dev, ino);
    if (id)
        return id;
    int n = ft_fd_name(fd, buf, sizeof buf);
    if (n <= 0)
        return 0;
    id = ft_path_intern(buf, (uint32_t)n, dev, ino);
    ft_js_fd_keep(fd, dev, ino, id);
    return id;
}

/* The file a writeFile named (relative to the cwd, as the program's open was). */
static uint32_t ft_js_named_path(const char *path)
{
    char buf[FT_PATH_MAX_LEN];
    uint64_t dev = 0, ino = 0;
    uint32_t mode = 0;
    int n = ft_abs_name(AT_FDCWD, path, buf, sizeof buf, 1, &dev, &ino, &mode);
    return n > 0 ? ft_path_intern(buf, (uint32_t)n, dev, ino) : 0;
}

/*
 * The library makes the trace at the process's first sync (FORMAT.md): a
 * Node call that waited across that (its sync, on a pool thread or its own,
 * made the file, or waited for it) is recorded without that time, which the
 * program would not have spent unrecorded, and flagged.
 */
static void ft_js_less_making(struct ft_js_rec *r)
{
    uint64_t at = FT_LOAD_ACQ(&ft_made_at);
    uint64_t took = FT_LOAD(&ft_made_ns);
    if (FT_LIKELY(at == 0 || at < r->start_ns) || at - r->start_ns + took > r->dur_ns)
        return;
    r->dur_ns -= took;
    r->made_ns = took; /* the analyzer widens the call's window by it to find its sync */
    r->flags |= FT_F_JS_TRACE_MADE;
}

/*
 * Every Node call is also counted in the summary ring (FORMAT.md), under its
 * own kind, so the counts per file and API stay exact after the raw ring has
 * gone round. Each (file, API) has a current entry, kept here in a small
 * table by hash: two that share a slot only start fresh entries more often
 * (the ring checks an entry's key and file before counting into it).
 */
#define FT_JS_CUR 512u
_Static_assert((FT_JS_CUR & (FT_JS_CUR - 1)) == 0, "FT_JS_CUR is a power of 2");
static uint64_t ft_js_cur[FT_JS_CUR];

/*
 * The (file, API)'s word: in the caller's table when it brings one (the Node
 * addon's per-thread buffer, a page the call has touched already: after a
 * system call each other page costs ~100 ns on a VM), else in ours.
 *
 * The slot is the top bits of a Fibonacci hash: the path ids of files named
 * one after another, and the APIs, spread over the slots. The sum
 * path_id * 31 + api it replaces put ids 16 apart in one slot of the addon's
 * 16 (so a program that synced files named 16 apart in turn): never a wrong
 * count, but each call then found the other file's entry and went to the
 * interval's share table by name (ft_summary.c), and where the two names
 * shared a slot there too, made a new summary entry per call, so the summary
 * ring, sized to hold days of intervals, went round at the call rate.
 */
static uint64_t *ft_js_cur_of(const struct ft_js_call *c, uint32_t path_id)
{
    uint32_t h = (path_id ^ (c->api << 24)) * 0x9e3779b1u;
    uint32_t len = c->cur_len;
    if (c->cur && len && !(len & (len - 1)))
        return &c->cur[len == 1 ? 0 : h >> (32 - __builtin_ctz(len))];
    return &ft_js_cur[h >> (32 - __builtin_ctz(FT_JS_CUR))];
}

/*
 * The call's link to the sync that served it (FORMAT.md, "Linked calls"):
 * the APIs whose sync libuv's pool makes on the call's descriptor take one
 * the pool kept (ft_link.h), of their fd and kind (0: other APIs).
 */
static inline unsigned ft_js_sync_kind(uint32_t api)
{
    switch (api) {
    case FT_JS_FSYNC:
    case FT_JS_FH_SYNC:
        return FT_C_FSYNC;
    case FT_JS_FDATASYNC:
    case FT_JS_FH_DATASYNC:
        return FT_C_FDATASYNC;
    default:
        return 0;
    }
}

/*
 * That sync started after the call did: the hook read the clock before it
 * made the call, and libuv queued the work after. The two reads are on two
 * threads, whose clocks the library
 * extrapolates each from its own anchor (ft_clock.h: under a microsecond
 * apart, and a thread's clock may be held a few hundred ns ahead): the sync's
 * start may read up to that much before the call's. The call's start is then
 * moved back to it, so that its window holds its sync, as it does in fact
 * (a few ns to a few hundred of a wait no clock here tells more finely); a
 * start more than FT_LINK_SKEW_NS before is not believed: not linked.
 */
static inline void ft_js_link(struct ft_js_rec *r, uint64_t sync_start)
{
    if (sync_start < r->start_ns) {
        uint64_t back = r->start_ns - sync_start;
        if (back > FT_LINK_SKEW_NS)
            return;
        r->start_ns = sync_start;
        r->dur_ns += back;
    }
    r->flags |= FT_F_JS_LINKED;
    r->link = (uint32_t)sync_start;
}

/* One page of code, as a sync wrapper's (FT_HOT_PAGE, ft_base.h): the
 * ring's append and the summary's count inlined (they were three more pages:
 * ft_emit's and ft_summary_add's, each across a page boundary). */
FT_EXPORT FT_HOT_PAGE(js_record) int fsync_trace_js_record(struct ft_js_call *c)
{
    if (!c || c->api == FT_JS_NONE || c->api > FT_JS_MAX || c->start_ns == 0 || !ft_active())
        return -1;
    unsigned kind = ft_js_sync_kind(c->api);
    uint64_t served = FT_UNLIKELY(FT_LOAD(&ft_link_on) != 0) && kind ? ft_link_take(c->fd, kind, c->start_ns) : 0;
    /* ft_errno, not errno: libc's __errno_location through our GOT and its
     * own are three pages a Node call walks after its system call, ~100 ns
     * each on this VM (ft_base.h; the hot path's pages in docs/figures.md). */
    int saved = ft_errno;
    /* The record as FORMAT.md lays it out, and as the event the ring and the
     * summaries take (the same 64 bytes: no copy from one to the other). */
    union {
        struct ft_js_rec r;
        struct ft_event ev;
    } u;
    memset(&u, 0, sizeof u);
    u.r.type = FT_T_JS;
    u.r.call = (uint8_t)c->api;
    uint64_t end = ft_now();
    c->end_ns = end;
    u.r.start_ns = c->start_ns;
    u.r.dur_ns = c->dur_ns ? c->dur_ns : ft_since(u.r.start_ns, end);
    u.r.flags = (uint16_t)(c->flags & FT_F_JS_SITE_INHERITED);
    if (served)
        ft_js_link(&u.r, served);
    ft_js_less_making(&u.r);
    u.r.fd = c->fd;
    u.r.res = c->res;
    u.r.bytes = c->bytes;
    u.r.site = c->site;
    struct ft_event *ev = &u.ev;
    if (c->fd >= 0 && !c->loaded) {
        uint64_t e = ft_fd_known(c->fd);
        ft_name_event(ev, e, ft_file_of(e));
    } else {
        ev->path_id = c->fd >= 0 ? ft_js_fd_path(c->fd, &ev->flags) : c->path ? ft_js_named_path(c->path) : 0;
        if (!ev->path_id)
            ev->flags |= FT_F_PATH_UNKNOWN;
    }
    ft_emit_js(ev);
    /* The summary's kind is the API's; its `writes` would be the site. The
     * record's flags are no summary's business (none of them is
     * FT_F_NO_INTERVAL), and its interval fields are 0 (made_ns cleared). */
    uint32_t site = u.r.site;
    ev->call = (uint8_t)(FT_JS_SUMMARY_BASE + ev->call);
    ev->writes = 0;
    ev->write_us = 0;      /* link */
    ev->ival_start_ns = 0; /* made_ns */
    ft_summary_js(ev, ft_js_cur_of(c, ev->path_id));
    int stale = site && ft_path_old(site);
    ft_errno = saved;
    return stale;
}

/* The hook runs over the preloaded library (ft_js.h): syncs are kept for
 * its calls from now on. */
FT_EXPORT void fsync_trace_js_link(void)
{
    FT_STORE(&ft_link_on, 1);
}

/* In the record's section (FT_HOT_PAGE(js_record) above), after it, on its
 * page: a Node call reads the clock when it starts, and the record of the
 * call before it is usually made since the last system call. */
FT_EXPORT __attribute__((hot, section(".text.ft_hot_js_record"))) uint64_t fsync_trace_js_now(void)
{
    ft_thr.js = 1; /* its syncs are its own calls' (fs.fsyncSync), not kept for the pool's: ft_link.h */
    return ft_now();
}
