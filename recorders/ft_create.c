/*
 * ft_create.c — making the trace file.
 *
 * The file is made at the first record (so /bin/true leaves nothing), in a
 * directory that must be ours, unnamed until its header is whole, and cut
 * into its regions (FORMAT.md, "File"). A thread that finds another one
 * creating it sleeps until it is made (a second at most).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_create.h"

/* ---- creating the trace file --------------------------------------------- */

/*
 * How the file is cut up (FORMAT.md, "File"). Of the slots that fit under
 * max_bytes, by default (64 MiB: 1,048,512 slots):
 *   ring     1/4    262,128 slots: the detail, ~ 4 minutes at 1,000 syncs/s
 *                   (a sync is one slot, plus opens and closes);
 *   keep     1/8    131,064 kept syncs: failures, alerts, outliers, which are
 *                   rare by definition (a disk that fails every sync fills
 *                   it, and then the newest are kept);
 *   names    1/8    131,064 slots: the names ring, ~ 65,000 paths of up to
 *                   88 bytes before it goes round (a path is written again
 *                   when it is used and its copy is half a lap old);
 *   summary  the rest, 104,851 entries of 3 slots, and 2 slots more each
 *                   (the aside region: an entry's own name, written when the
 *                   names ring would lose it): at one entry per interval per
 *                   (file, call kind) that syncs in it, plus one for the
 *                   recorder's cost, 60 s intervals and 20 such (file, kind)
 *                   pairs, 104,851 / 21 / 1,440 = 3.5 days; the number of
 *                   syncs does not matter below 65,535 per interval and pair
 *                   (1,092/s at 60 s).
 * The summary ring gets most because it is the long history, the one thing
 * that grows with time rather than with trouble; the names ring as much as
 * the keep ring, so that a service naming new files all the time names
 * every record; and every live summary entry keeps its name (up to 88
 * bytes; longer ones while the names ring can keep them), however many
 * distinct files the process syncs. The aside region is only written (so
 * only takes memory) for entries whose name the names ring would lose. With
 * summaries off (FSYNC_TRACE_SUMMARY_SECONDS=0) the ring takes every slot but
 * the names. Tiny caps (the minimum is 256 slots) keep the same shares with
 * at least 16 name slots and 2 summary entries.
 */
static void ft_plan_regions(struct ft_ctx *c)
{
    uint64_t all = (ft_cfg.max_bytes - FT_HEADER_SIZE) / FT_RECORD_SIZE;
    if (all > 0x7fffffff)
        all = 0x7fffffff;
    memset(&c->rg, 0, sizeof c->rg);
    uint32_t names = (uint32_t)(all / 8) < 16 ? 16 : (uint32_t)(all / 8);
    uint32_t ring = (uint32_t)(all / 4), keep = (uint32_t)(all / 8), entries = 0;
    if (!ft_cfg.summary_s) {
        ring = (uint32_t)all - names;
        keep = 0;
    } else {
        entries = (uint32_t)((all - ring - keep - names) / (FT_SUMMARY_ENTRY_SLOTS + FT_ASIDE_SLOTS));
        c->rg.interval_ns = (uint64_t)ft_cfg.summary_s * 1000000000u;
    }
    c->slots = ring;
    c->rg.keep_first = ring;
    c->rg.keep_slots = keep;
    c->rg.sum_first = ring + keep;
    c->rg.sum_entries = entries;
    c->rg.names_first = ring + keep + entries * FT_SUMMARY_ENTRY_SLOTS;
    c->rg.names_slots = names;
    c->rg.aside_first = c->rg.names_first + names;
    c->rg.aside_slots = entries * FT_ASIDE_SLOTS;
    c->total = c->rg.aside_first + c->rg.aside_slots;
}

/* The file's name: <exe>.<pid>.<sec>.<nsec>.fstrace, into c->path. */
static void ft_trace_name(struct ft_ctx *c, const char *exe, uint32_t pid, uint64_t t)
{
    size_t at = ft_cat(c->path, 0, sizeof c->path, ft_trace_dir());
    at = ft_cat(c->path, at, sizeof c->path, "/");
    at = ft_exe_base(c->path, at, sizeof c->path, exe);
    at = ft_cat(c->path, at, sizeof c->path, ".");
    at = ft_cat_u64(c->path, at, sizeof c->path, pid, 0);
    at = ft_cat(c->path, at, sizeof c->path, ".");
    at = ft_cat_u64(c->path, at, sizeof c->path, t / 1000000000u, 0);
    at = ft_cat(c->path, at, sizeof c->path, ".");
    at = ft_cat_u64(c->path, at, sizeof c->path, t % 1000000000u, 9);
    ft_cat(c->path, at, sizeof c->path, ".fstrace");
}

/* Give the unnamed (O_TMPFILE) file fd its name. linkat(2) through
 * /proc/self/fd works for anyone; AT_EMPTY_PATH, without /proc, needs
 * CAP_DAC_READ_SEARCH. A clash means same pid, same ns: a reused pid. */
static int ft_trace_link(struct ft_ctx *c, int fd, const char *exe, uint32_t pid, uint64_t rt)
{
    static const char prefix[] = "/proc/self/fd/";
    char link[32];
    size_t at = ft_cat(link, 0, sizeof link, prefix);
    ft_cat_u64(link, at, sizeof link, (uint64_t)fd, 0);
    for (int attempt = 0; attempt < 4; attempt++) {
        ft_trace_name(c, exe, pid, rt + (uint64_t)attempt);
        long r = ft_syscall(SYS_linkat, AT_FDCWD, link, AT_FDCWD, c->path, AT_SYMLINK_FOLLOW);
        if (r < 0 && errno == ENOENT)
            r = ft_syscall(SYS_linkat, fd, "", AT_FDCWD, c->path, AT_EMPTY_PATH);
        if (r == 0)
            return 1;
        if (errno != EEXIST)
            return 0;
    }
    return 0;
}

static int ft_ring_create(struct ft_ctx *c)
{
    uint32_t pid = ft_ctx_pid(c);
    int forked = pid != ft_cfg.start_pid;
    /* A child of _Fork or clone (no atfork handler ran) still maps its
     * parent's ring; it must never write there. */
    if (ft_map_addr && ft_map_pid != pid) {
        ft_syscall(SYS_munmap, ft_map_addr, ft_map_len);
        ft_map_addr = NULL;
    }

    /* Clock anchors: realtime, monotonic, realtime; the middle of the two
     * realtime reads is the best estimate for the instant of the monotonic one. */
    uint64_t r1 = ft_clock(CLOCK_REALTIME);
    uint64_t mono = ft_clock(CLOCK_MONOTONIC);
    uint64_t r2 = ft_clock(CLOCK_REALTIME);
    uint64_t rt = r1 + (r2 - r1) / 2;

    if (!ft_check_dir(ft_cfg.dir))
        return 0;
    uint64_t removed = 0, removed_bytes = 0;
    c->walk.phase = 0;
    c->walk.lag = 0;
    c->walk.self = NULL;
    c->walk.self_out = 0;
    c->walk.dir = ft_trace_dir(); /* where ft_check_dir found our traces go */
    /* The look's first step; a look not over after it goes on as the trace
     * grows, and to its end when the image ends (ft_trace.c), counting the
     * trace's first chunk in as made before it began. */
    uint64_t room;
    int over = ft_budget_look(&c->walk, FT_BUDGET_FIRST, FT_BUDGET_LOOK_NS, UINT32_MAX, &room, &removed, &removed_bytes);
    c->walk.made0 = 1;
    FT_STORE(&c->looking, !over);
    c->budget_at = !over ? UINT32_MAX : 1 + (over == 2 ? FT_BUDGET_STEP_MAX : ft_budget_step(room));
    char exe[FT_EXE_MAX], comm[FT_COMM_MAX], name[FT_EXE_MAX];
    ssize_t n = ft_sys_readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    ft_prog_names(pid, exe, comm, sizeof comm, name, sizeof name);

    ft_plan_regions(c);
    c->block = c->slots / 8 < FT_BLOCK_MAX ? c->slots / 8 : FT_BLOCK_MAX;
    c->nchunks = (c->total + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    uint64_t size = FT_HEADER_SIZE + (uint64_t)c->total * FT_RECORD_SIZE;

    /* The file gets its name only once its header is whole: it is made
     * unnamed (O_TMPFILE) and linked into the directory after the header is
     * written, so a kill at any instant leaves no file or one that a reader
     * can read (never an empty one). Where O_TMPFILE is not supported, the
     * file is named at once, as before. fchmod: our 0600 whatever the umask
     * (a umask of 0777 would leave a file its owner cannot reopen). */
    int named = 0;
    /* Linking needs /proc/self/fd (or CAP_DAC_READ_SEARCH): no /proc (the
     * exe could not be read), no O_TMPFILE. */
    int fd = n > 0 ? ft_sys_openat(AT_FDCWD, ft_trace_dir(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600) : -1;
    for (int attempt = 0; attempt < 4 && fd < 0; attempt++) {
        ft_trace_name(c, name, pid, rt + (uint64_t)attempt);
        fd = ft_sys_openat(AT_FDCWD, c->path,
                           O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            ft_off_errno(ft_trace_dir(), ": the trace file cannot be made: ", errno);
            return 0;
        }
        named = fd >= 0;
    }
    if (fd < 0)
        return 0;

    uint32_t mode;
    void *map = MAP_FAILED;
    if (ft_sys_fstat(fd, &c->dev, &c->ino, &mode) < 0 ||
        ((mode & 07777) != FT_TRACE_MODE && ft_syscall(SYS_fchmod, fd, FT_TRACE_MODE) < 0) ||
        ft_syscall(SYS_ftruncate, fd, (off_t)size) < 0)
        goto fail;
    map = (void *)ft_syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        goto fail;
    c->ring = (unsigned char *)map + FT_HEADER_SIZE;
    c->map_len = size;
    if (!ft_chunk_reserve(c, 0, fd))
        goto fail;
    /* The rest is allocated as writers reach it (ft_chunks_ahead,
     * ft_slots_ready): a file that cannot get its ring's first chunk is not
     * made, but one that gets it records, whatever space is left for the rest. */
    c->rg.hdr = map;
    c->rg.slots = c->ring;
    c->rg.ring_slots = c->slots;

    ft_fill_header(map, c, rt, mono, pid, forked, exe, comm);
    ((struct ft_header *)map)->dir_max_bytes = ft_cfg.dir_max_bytes;
    ((struct ft_header *)map)->launch_id = ft_cfg.launch_id;
    ((struct ft_header *)map)->dir_removed = removed;
    ((struct ft_header *)map)->dir_removed_bytes = removed_bytes;
    if (!named && !(named = ft_trace_link(c, fd, name, pid, rt)))
        goto fail;
    ft_sys_close(fd);
    c->walk.self = strrchr(c->path, '/') + 1; /* its name, for the look */
    ft_map_addr = map;
    ft_map_len = size;
    ft_map_pid = pid;
    /* A new generation: threads drop blocks claimed in an older file and
     * every path is named again in this one. */
    c->gen = __atomic_add_fetch(&ft_gen_counter, 1, __ATOMIC_RELAXED);
    c->tag = ((c->gen - 1) % 0xffffu) + 1; /* 16 bits, never 0: 0 is "no copy in any file" */
    c->rg.tag = (uint32_t)c->tag;
    FT_STORE_REL(&c->hdr, (struct ft_header *)map);
    /* No more holds (struct ft_ctx): the held records take the ring's first
     * sequence numbers, in the order their holds were reserved. */
    uint64_t held = __atomic_fetch_or(&c->pre_word, 1, __ATOMIC_SEQ_CST) >> 1;
    ((struct ft_header *)map)->next_seq = held < FT_PRE_EVENTS ? held : FT_PRE_EVENTS;
    FT_STORE(&c->head, ((struct ft_header *)map)->next_seq); /* a file before this one may have left more */
    FT_STORE(&c->names_head, 0);
    uint64_t pending = FT_XCHG(&c->pending_drops, 0);
    if (pending)
        FT_ADD(&((struct ft_header *)map)->dropped, pending);
    return 1;

fail:
    ft_off_errno(ft_trace_dir(), ": the trace file cannot be made: ", errno);
    c->chunk_bits[0] = 0;
    c->chunks_made = 0;
    if (map != MAP_FAILED)
        ft_syscall(SYS_munmap, map, size);
    if (named)
        ft_syscall(SYS_unlinkat, AT_FDCWD, c->path, 0);
    ft_sys_close(fd);
    return 0;
}

/* The state machine: uninit -> init -> ready | refused. A thread that finds
 * another one creating the file waits for it (a second at most: creating it
 * takes a few ms), so the records of threads that start together are kept.
 * The one caller that must not wait is a signal handler that interrupted
 * the creating thread itself (it would wait for its own thread): its record
 * is held while the file is being made (ft_pre_hold) and written once the
 * file is made; only a file that could not be made drops it (counted). */
#define FT_INIT_WAIT_NS 1000000000ull

static uint32_t ft_ring_wait(struct ft_ctx *c)
{
    uint64_t t0 = ft_clock(CLOCK_MONOTONIC), waited = 0;
    for (;;) {
        uint32_t st = FT_LOAD_ACQ(&c->state);
        if (st != FT_RING_INIT || waited >= FT_INIT_WAIT_NS)
            return st;
        /* Sleeps until the creator's wake (or EINTR, or a spurious wake:
         * then look again). A private futex: ft_ctx is process-private. */
        struct timespec left = {(time_t)((FT_INIT_WAIT_NS - waited) / 1000000000u),
                                (long)((FT_INIT_WAIT_NS - waited) % 1000000000u)};
        /* Counted before the state is looked at again (seq_cst, as the
         * creator's store of the state and its look at the count): either
         * the creator sees us and wakes us, or we see its state. */
        __atomic_fetch_add(&c->waiters, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) == FT_RING_INIT)
            ft_syscall(SYS_futex, &c->state, FUTEX_WAIT_PRIVATE, FT_RING_INIT, &left, NULL, 0);
        waited = ft_clock(CLOCK_MONOTONIC) - t0;
    }
}


__attribute__((noinline)) struct ft_ctx *ft_ring_slow(void)
{
    struct ft_ctx *c = ft_ctx();
    if (FT_UNLIKELY(!c))
        return NULL;
    uint32_t st = FT_LOAD_ACQ(&c->state);
    if (st == FT_RING_READY)
        return c;
    if (st == FT_RING_UNINIT) {
        /* Up before the state says INIT: a handler that interrupts us from
         * then on must see that the creator is its own thread. */
        int was = ft_thr.initializing;
        ft_thr.initializing = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (FT_CAS(&c->state, &st, FT_RING_INIT)) {
            uint64_t t0 = ft_clock(CLOCK_MONOTONIC);
            int ok = ft_ring_create(c);
            if (ok) {
                FT_STORE(&ft_made_ns, ft_clock(CLOCK_MONOTONIC) - t0);
                FT_STORE_REL(&ft_made_at, t0);
            }
            /* Out of descriptors (the program at its RLIMIT_NOFILE) passes:
             * the next record tries again, and this one is counted dropped
             * (in pending_drops, moved to the header once there is one).
             * Nowhere to record (directory refused, tmpfs full): become a
             * pass-through for the life of this image. */
            int again = !ok && (errno == EMFILE || errno == ENFILE);
            void (*hook)(struct ft_ctx *) = FT_LOAD(&ft_created_hook);
            if (ok && hook)
                hook(c);
            __atomic_store_n(&c->state, ok ? FT_RING_READY : again ? FT_RING_UNINIT : FT_RING_REFUSED, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&c->waiters, __ATOMIC_SEQ_CST)) /* nobody waits: no system call */
                ft_syscall(SYS_futex, &c->state, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
            if (!ok && !again) {
                FT_STORE_REL(&ft_mode, FT_MODE_OFF);
                if (ft_off_text[0])
                    FT_STORE_REL(&ft_off_pending, 1);
            }
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            ft_thr.initializing = was;
            if (again)
                ft_count_drops(c, 1);
            if (!ok)
                return NULL;
            return c;
        }
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        ft_thr.initializing = was;
        /* st now holds the state that beat us */
    }
    if (st == FT_RING_INIT && !ft_thr.initializing)
        st = ft_ring_wait(c);
    if (st == FT_RING_READY)
        return c;
    /* A signal handler on the thread making the file, once the file is made
     * (closed to holds, so it cannot hold its record): it may write, as its
     * thread may (ft_writable). Its slot comes from the shared counter, past
     * the numbers fixed for the held records its thread may be placing. */
    if (st == FT_RING_INIT && ft_thr.initializing && (FT_LOAD_ACQ(&c->pre_word) & 1))
        return c;
    if (st != FT_RING_REFUSED)
        ft_count_drops(c, 1);
    return NULL;
}
