/*
 * ft_trace.c — the trace file's process state, its regions and their space.
 *
 * ft_create.c makes the file; this holds what the rest of the recorder
 * needs of it once it exists: the state (one page, wiped in a fork child),
 * allocating chunks ahead of the writers, the header's end-of-image flags,
 * and making a SIGBUS from a truncated file harmless.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ft_trace.h"
#include "ft_link.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif


struct ft_ctx *ft_ctx(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (FT_LIKELY(c != NULL))
        return c;
    c = ft_sys_mmap_anon(FT_CTX_BYTES);
    if (!c)
        return NULL;
    ft_syscall(SYS_madvise, c, FT_CTX_BYTES, MADV_WIPEONFORK); /* best effort: atfork covers fork() */
    struct ft_ctx *expected = NULL;
    if (!FT_CAS(&ft_ctx_ptr, &expected, c)) {
        ft_syscall(SYS_munmap, c, FT_CTX_BYTES);
        c = expected;
    }
    return c;
}

uint32_t ft_ctx_pid(struct ft_ctx *c)
{
    uint32_t pid = FT_LOAD(&c->pid);
    if (!pid) {
        pid = (uint32_t)ft_sys_getpid();
        FT_STORE(&c->pid, pid);
    }
    return pid;
}

/* A vfork(2) child runs in its parent's memory until it execs: updating the
 * shared descriptor table from it would corrupt the parent's view (the
 * child's close() closes the child's copy only). The child runs on the
 * thread's state with ft_thr.in_vfork set (the vfork and clone wrappers,
 * ft_wrappers.c), so this is a load, not a getpid(2) per close (a real
 * system call since glibc 2.25). A child made by a vfork or clone(CLONE_VM)
 * system call outside libc's functions (inline assembly) is not seen. */
int ft_vfork_child(void)
{
    return FT_LOAD(&ft_thr.in_vfork) != 0;
}

/* Before the header exists, drops wait in pending_drops; whoever sees the
 * header appear moves them over, so none is lost to the race. */
void ft_count_drops(struct ft_ctx *c, uint64_t n)
{
    struct ft_header *h = FT_LOAD_ACQ(&c->hdr);
    if (h) {
        FT_ADD(&h->dropped, n);
        return;
    }
    FT_ADD(&c->pending_drops, n);
    h = FT_LOAD_ACQ(&c->hdr);
    if (h) {
        uint64_t pending = FT_XCHG(&c->pending_drops, 0);
        if (pending)
            FT_ADD(&h->dropped, pending);
    }
}

/* Stop recording after a failure (tmpfs full, file removed): the program must
 * not notice, so we only say so in the header and count what we lose. */
static void ft_ring_die(struct ft_ctx *c, int err)
{
    FT_STORE_REL(&c->state, FT_RING_DEAD);
    struct ft_header *h = FT_LOAD_ACQ(&c->hdr);
    if (!h)
        return;
    /* Why, first (FORMAT.md: stop_reason, stop_errno), then the flag. */
    uint32_t none = FT_STOP_NONE;
    if (FT_CAS(&h->stop_reason, &none, err == ENOSPC ? FT_STOP_FULL : FT_STOP_GROW))
        FT_STORE(&h->stop_errno, (uint32_t)err);
    __atomic_fetch_or(&h->flags, FT_HDR_DISABLED, __ATOMIC_RELEASE);
}


/* ---- allocating the file ahead of the writers ------------------------------ */

/* A chunk could not be made. Out of descriptors (the program holds them
 * all, or its RLIMIT_NOFILE is at 0 for a while) or memory is a passing
 * state: the records that need the chunk are dropped and counted, and the
 * next writer to reach it tries again. Anything else (tmpfs full, the file
 * truncated, removed or replaced) stops the recording. */
void ft_reserve_failed(struct ft_ctx *c)
{
    if (errno != EMFILE && errno != ENFILE && errno != ENOMEM && errno != EINTR && errno != EAGAIN)
        ft_ring_die(c, errno);
}

static const char ft_zero_page[4096];

/* Where chunk k is: its byte offset in the file and its length. */
static size_t ft_chunk_span(struct ft_ctx *c, uint32_t k, off_t *off)
{
    uint64_t first = (uint64_t)k * FT_CHUNK_SLOTS;
    uint64_t count = c->total - first < FT_CHUNK_SLOTS ? c->total - first : FT_CHUNK_SLOTS;
    *off = FT_HEADER_SIZE + (off_t)first * FT_RECORD_SIZE;
    if (k == 0) {
        /* The header with the ring's first chunk, made together at the
         * file's creation: one call where the header's first store would
         * fault (a fault costs a few times what populating a page does). */
        *off = 0;
        return FT_HEADER_SIZE + (size_t)count * FT_RECORD_SIZE;
    }
    return (size_t)count * FT_RECORD_SIZE;
}

/* Bytes of chunks k..k+n-1 from file offset *off (k's): contiguous when
 * n > 1, which ft_chunks_reserve asks only for k >= 1. */
static size_t ft_chunks_span(struct ft_ctx *c, uint32_t k, uint32_t n, off_t *off)
{
    off_t next;
    size_t len = ft_chunk_span(c, k, off);
    for (uint32_t i = 1; i < n; i++)
        len += ft_chunk_span(c, k + i, &next);
    return len;
}

/* The old way, for kernels before 5.14: fallocate(2) of chunks k..k+n-1
 * (one step, contiguous) through the file, reopened by name once (we keep
 * no descriptor open in the program: it may close everything, dup2 over
 * it, or count on the lowest free number), then touch the pages so the
 * first record of each does not fault. */
static int ft_chunk_fallocate(struct ft_ctx *c, uint32_t k, uint32_t n, int fd)
{
    off_t off;
    size_t len = ft_chunks_span(c, k, n, &off);
    int own = fd < 0;
    if (own) {
        uint64_t dev, ino;
        uint32_t mode;
        fd = ft_sys_openat(AT_FDCWD, c->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        if (ft_sys_fstat(fd, &dev, &ino, &mode) < 0 || dev != c->dev || ino != c->ino) {
            ft_sys_close(fd);
            errno = ESTALE; /* another file has our name now: for good */
            return 0;
        }
    }
    int ok = ft_syscall(SYS_fallocate, fd, 0, off, (off_t)len) == 0;
    if (!ok && (errno == EOPNOTSUPP || errno == ENOSYS)) {
        /* A filesystem without fallocate: writing zeros allocates too. */
        ok = 1;
        for (size_t done = 0; ok && done < len; done += sizeof ft_zero_page)
            ok = ft_syscall(SYS_pwrite64, fd, ft_zero_page, sizeof ft_zero_page,
                         off + (off_t)done) == (long)sizeof ft_zero_page;
    }
    if (own)
        ft_sys_close(fd);
    unsigned char *p = c->ring + (off - FT_HEADER_SIZE);
    for (size_t i = 0; ok && i < len; i += 4096)
        __atomic_fetch_or(p + i, 0, __ATOMIC_RELAXED);
    return ok;
}

/* Make chunk k real, and its pages mapped, before anyone writes into it. A
 * store into a hole of a tmpfs file when tmpfs is full raises SIGBUS
 * (shmem_fault returns VM_FAULT_SIGBUS on -ENOSPC), which would kill the
 * program we record; writers check the chunk's bit before every store.
 * MADV_POPULATE_WRITE (Linux 5.14) allocates and maps the chunk's page
 * in one call through the mapping, and reports what would have been a
 * SIGBUS as EFAULT instead (madvise(2)): tmpfs full, or the file truncated,
 * for good. Where it is missing, fallocate through the file (fd >= 0: the
 * creator's descriptor). */
/* The directory's budget, looked at again as the trace grows: after
 * ft_budget_step(room) chunks, room what the last look left. A look at a
 * directory of many traces takes a system call or more per trace, so it is
 * made in steps of about FT_BUDGET_LOOK_NS of work (at least 4 traces), one
 * at every record while it is on (ft_budget_on, ft_chunks_ahead), and what
 * is left of it, up to FT_BUDGET_END_WORK traces, when the image ends
 * (ending). The bytes the trace grew by since the look began count as
 * needed, and so do those it grew by during the last look (it will grow as
 * much during this one before the next can remove anything); an image that
 * ends needs only what its trace holds. One thread at a time: budget_at is
 * 0 while one is in it, UINT32_MAX while a look is on. */
static void ft_budget_go_on(struct ft_ctx *c, int ending)
{
    uint32_t at = FT_LOAD(&c->budget_at);
    struct ft_header *h = FT_LOAD_ACQ(&c->hdr);
    if (at != UINT32_MAX || !h || !FT_CAS(&c->budget_at, &at, 0))
        return;
    struct ft_budget_walk *w = &c->walk;
    uint32_t made = FT_LOAD(&c->chunks_made);
    /* An image that ends grows no more: its look needs room for what its
     * trace holds now, no chunks of growth to come. */
    if (!ending)
        ft_budget_living(w); /* after a failed exec: it lives and grows again */
    uint64_t room, need = ending ? ft_budget_ending(w, c->path)
                                 : (uint64_t)(FT_BUDGET_STEP_MIN + made - w->made0 + w->lag) * FT_CHUNK_SLOTS * FT_RECORD_SIZE;
    int over = ending ? ft_budget_look(w, need, 0, FT_BUDGET_END_WORK, &room, &h->dir_removed, &h->dir_removed_bytes)
                      : ft_budget_look(w, need, FT_BUDGET_LOOK_NS, UINT32_MAX, &room, &h->dir_removed, &h->dir_removed_bytes);
    if (over) {
        w->lag = made - w->made0;
        FT_STORE(&c->looking, 0);
    }
    /* Over, and nothing but live traces to remove: the next look waits for
     * more growth, as it would with plenty of room. */
    FT_STORE_REL(&c->budget_at, !over ? UINT32_MAX : made + (over == 2 ? FT_BUDGET_STEP_MAX : ft_budget_step(room)));
}

/* A look is on: its next step, at a record of a writer's block (ft_ring.c,
 * ft_claim_one: one flag test on every record), so that a directory over
 * its budget is back under it within a few hundred records of a new trace
 * (FT_BUDGET_LOOK_NS each), not after thousands (a step per block of 32). */
__attribute__((noinline, cold)) void ft_budget_on(struct ft_ctx *c)
{
    ft_budget_go_on(c, 0);
}

/* Chunks k to k + n - 1 are made: their bits, and a look at the budget
 * begun when due. */
static void ft_chunks_made(struct ft_ctx *c, uint32_t k, uint32_t n)
{
    uint32_t fresh = 0;
    for (uint32_t i = k; i < k + n; i++) {
        uint64_t bit = 1ull << (i & 63);
        fresh += !(__atomic_fetch_or(&c->chunk_bits[i >> 6], bit, __ATOMIC_RELEASE) & bit);
    }
    uint32_t at = FT_LOAD(&c->budget_at), made;
    if (fresh && (made = FT_ADD(&c->chunks_made, fresh) + fresh) >= at && at && at != UINT32_MAX &&
        FT_CAS(&c->budget_at, &at, 0)) {
        c->walk.made0 = made;
        FT_STORE(&c->looking, 1);
        FT_STORE_REL(&c->budget_at, UINT32_MAX);
    }
}

/* Chunks k to k + n - 1, those of them not made yet, in one call: the ring
 * ahead of its writers, FT_RING_STEP chunks at a time (a region's first
 * chunk alone: one page for a process that writes a few records). A larger
 * step costs less per page (one system call for more pages: on this
 * project's VM, 16 KiB steps took ~1 us less per page than 8 KiB ones, ~15 ns
 * per record of a fresh ring's first lap) and more per step (~10-12 us for
 * 16 KiB; no step may cost a writer more than ~20 us). */
static int ft_chunks_reserve(struct ft_ctx *c, uint32_t k, uint32_t n, int fd)
{
    if (k >= c->nchunks || ft_chunk_ready(c, k * FT_CHUNK_SLOTS))
        return 1;
    if (k == 0)
        n = 1;
    uint32_t more = 1; /* chunks after k in this step: contiguous, in the ring, not made */
    while (more < n && k + more < c->nchunks && (uint64_t)(k + more) * FT_CHUNK_SLOTS < c->slots &&
           !ft_chunk_ready(c, (k + more) * FT_CHUNK_SLOTS))
        more++;
    int ok = 0;
    if (!FT_LOAD(&c->no_populate)) {
        off_t off;
        size_t len = ft_chunks_span(c, k, more, &off);
        ok = ft_syscall(SYS_madvise, c->ring + (off - FT_HEADER_SIZE), len, MADV_POPULATE_WRITE) == 0;
        if (!ok && errno == EINVAL)
            FT_STORE(&c->no_populate, 1);
        else if (!ok && errno == EFAULT)
            errno = ENOSPC;
    }
    if (!ok && FT_LOAD(&c->no_populate))
        ok = ft_chunk_fallocate(c, k, more, fd);
    if (ok)
        ft_chunks_made(c, k, more);
    return ok;
}

int ft_chunk_reserve(struct ft_ctx *c, uint32_t k, int fd)
{
    return ft_chunks_reserve(c, k, 1, fd);
}

/* Allocation stays ahead of the writers: whoever claims sequence numbers
 * that cross into chunk k (on the first lap) makes chunk k+1, so in the
 * common case a writer finds its chunk made. A writer that gets there first
 * (threads claim blocks in any order) makes it itself: ft_slot_ready. */
void ft_chunks_ahead(struct ft_ctx *c, uint64_t s, uint64_t n)
{
    if (FT_UNLIKELY(FT_LOAD(&c->looking)))
        ft_budget_go_on(c, 0);
    if (s >= c->slots)
        return; /* past the first lap: every chunk exists */
    uint64_t q = (s + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    for (; q * FT_CHUNK_SLOTS < s + n && q * FT_CHUNK_SLOTS < c->slots; q++) {
        /* The first steps are 8 KiB: a process that makes a few records
         * keeps a few pages (FT_BUDGET_FIRST). */
        if (!ft_chunks_reserve(c, (uint32_t)q + 1, q < FT_RING_STEP ? 2 : FT_RING_STEP, -1)) {
            ft_reserve_failed(c);
            return;
        }
    }
}

/* May slot idx be written? Its chunk is made if nobody has yet: fallocate
 * is idempotent, so writers racing here all succeed and one bit is set.
 * Only a real failure (ENOSPC, the file removed) stops the recording. */
int ft_slot_make(struct ft_ctx *c, uint32_t idx)
{
    int ok = ft_chunk_reserve(c, idx / FT_CHUNK_SLOTS, -1);
    if (!ok)
        ft_reserve_failed(c);
    return ok;
}

/* ---- process life --------------------------------------------------------- */

/* exit(3) or return from main: say so in the header, so a reader can tell a
 * clean end from a crash (a SIGKILL leaves the flag unset). Not from a vfork
 * child: the file is its parent's. Returns 1 if this call set the flag. */
/* Does the process hold an io_uring? Its descriptors read
 * "anon_inode:[io_uring]" in /proc/self/fd. Asked once, at the image's end:
 * a ring made by a raw system call (liburing does that) is seen here. */
static int ft_has_uring(void)
{
    static const char want[] = "anon_inode:[io_uring]";
    int dir = ft_sys_openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dir < 0)
        return 0;
    char buf[4096], link[64], target[sizeof want];
    int found = 0;
    long n;
    while (!found && (n = ft_syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long at = 0; at < n && !found;) {
            const char *name = buf + at + 19; /* struct linux_dirent64: d_name after 19 bytes */
            at += *(const unsigned short *)(buf + at + 16);
            if (name[0] < '0' || name[0] > '9')
                continue;
            size_t k = ft_cat(link, 0, sizeof link, "/proc/self/fd/");
            ft_cat(link, k, sizeof link, name);
            ssize_t len = ft_sys_readlink(link, target, sizeof target);
            found = len == (ssize_t)sizeof want - 1 && memcmp(target, want, sizeof want - 1) == 0;
        }
    }
    ft_sys_close(dir);
    return found;
}

/* The trace's mode says whether its image ended (ft_budget.h): a look at
 * the directory tells an exec'd process's trace from a live one by the stat
 * it makes anyway. By name: we keep no descriptor, and the directory is ours. */
static void ft_mark_mode(struct ft_ctx *c, int ended)
{
    ft_syscall(SYS_fchmodat, AT_FDCWD, c->path,
               FT_TRACE_MODE | FT_LOAD(&c->dropped) | (ended ? FT_TRACE_ENDED_BIT : 0));
}

/* A root process is about to become another user (setuid and friends,
 * ft_uid_prepare): its trace stays root's, so it will not be allowed to
 * mark the mode when its image ends (chmod(2): EPERM unless the owner or
 * CAP_FOWNER; through a descriptor too). While it still can, it marks the
 * trace with FT_TRACE_DROPPED_BIT, for which a look reads the header. */
void ft_mark_dropping(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (!c || FT_LOAD_ACQ(&c->state) < FT_RING_READY || !FT_LOAD_ACQ(&c->hdr) || FT_LOAD(&c->dropped) ||
        (uint32_t)ft_sys_getpid() != ft_ctx_pid(c))
        return;
    int saved = errno;
    FT_STORE(&c->dropped, FT_TRACE_DROPPED_BIT);
    ft_mark_mode(c, (FT_LOAD_ACQ(&c->hdr->flags) & FT_HDR_ENDED) != 0);
    errno = saved;
}

/* The image ends (exit, _exit, exec): a look at the directory still on is
 * made to its end first (a process that syncs once and ends makes room for
 * its trace all the same; and our own trace is still live to it), then the
 * header and the file's mode say so. */
static int ft_set_ended(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (!c || FT_LOAD_ACQ(&c->state) < FT_RING_READY || !FT_LOAD_ACQ(&c->hdr))
        return 0;
    if ((uint32_t)ft_sys_getpid() != ft_ctx_pid(c))
        return 0;
    int saved = errno;
    if (FT_LOAD(&c->looking))
        ft_budget_go_on(c, 1);
    uint32_t ended = FT_HDR_ENDED | (ft_has_uring() ? FT_HDR_IO_URING : 0);
    uint32_t old = __atomic_fetch_or(&c->hdr->flags, ended, __ATOMIC_RELEASE);
    if (!(old & FT_HDR_ENDED))
        ft_mark_mode(c, 1);
    errno = saved;
    return !(old & FT_HDR_ENDED);
}

void ft_mark_ended(void)
{
    ft_set_ended();
}

/* exec(3): a successful exec ends the image without running destructors, so
 * the flag goes up before the call ... */
int ft_exec_begin(void)
{
    return ft_set_ended();
}

/* ... and comes down again if the call returns, which it does only when it
 * failed (the image goes on). */
void ft_exec_failed(int marked)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (marked && c && FT_LOAD_ACQ(&c->hdr)) {
        int saved = errno;
        __atomic_fetch_and(&c->hdr->flags, ~FT_HDR_ENDED, __ATOMIC_RELEASE);
        ft_mark_mode(c, 0);
        errno = saved;
    }
}

/* pthread_atfork child handler: the child is one thread, a copy of us.
 * It gets its own trace file at its next record (flag FT_HDR_FORKED), and
 * never writes into the parent's ring, which it unmaps now. */
void ft_after_fork_child(void)
{
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (ft_map_addr) {
        ft_syscall(SYS_munmap, ft_map_addr, ft_map_len);
        ft_map_addr = NULL;
    }
    /* Zero pages again (already zero if MADV_WIPEONFORK took): DONTNEED,
     * not memset, which would make the whole of it resident in every child. */
    if (c && FT_LOAD(&c->state) != FT_RING_REFUSED)
        ft_syscall(SYS_madvise, c, FT_CTX_BYTES, MADV_DONTNEED);
    ft_thr.gen = 0;
    ft_thr.blk_next = ft_thr.blk_end = 0;
    ft_thr.tid = 0;
    ft_thr.guard = 0;
    ft_thr.resolving = 0;
    ft_thr.initializing = 0;
    ft_thr.name_id = 0;
    ft_thr.name2_id = 0;
    /* The parent's uncounted cost is the parent's. */
    ft_thr.cost_due = ft_thr.cost_samples = 0;
    ft_thr.cost_ns = ft_thr.cost_calls = ft_thr.sync_ns = ft_thr.sync_calls = 0;
    /* The parent's Node calls in flight: none settles here. */
    ft_link_after_fork();
}

/* ---- the regions after the ring (used by ft_names.c and ft_always.c) ------- */

/* Chunk k, made and faulted in if it is not yet. */
static int ft_chunk_make(struct ft_ctx *c, uint32_t k)
{
    if (k >= c->nchunks || ft_chunk_ready(c, k * FT_CHUNK_SLOTS))
        return 1;
    if (!ft_chunk_reserve(c, k, -1)) {
        ft_reserve_failed(c); /* for good, or only this record (EMFILE) */
        return 0;
    }
    return 1;
}

/* May global slots [g, g + n) be written? As for the ring: every chunk is
 * fallocated before a store reaches it. A region's first chunk is made by
 * its first writer; after that, whoever takes slots that cross into a chunk
 * makes the next one (and faults its pages in), so a region's writers
 * rarely wait for either. */
int ft_slots_ready(struct ft_regions *rg, uint32_t g, uint32_t n, uint32_t region_end)
{
    struct ft_ctx *c = ft_ctx_of(rg);
    for (uint32_t k = g / FT_CHUNK_SLOTS; k <= (g + n - 1) / FT_CHUNK_SLOTS; k++)
        if (!ft_chunk_make(c, k))
            return 0;
    uint32_t q = (g + FT_CHUNK_SLOTS - 1) / FT_CHUNK_SLOTS;
    for (; (uint64_t)q * FT_CHUNK_SLOTS < (uint64_t)g + n && (uint64_t)q * FT_CHUNK_SLOTS < region_end; q++)
        ft_chunk_make(c, q + 1); /* ahead: a failure here is seen again when it is needed */
    return ft_writable(c);
}

/* The trace was truncated under us (SIGBUS): say so in its header
 * (stop_reason 3, flag 4) when the header is still in the file, the same
 * inode as the one mapped at lo, at least a page long; a store into a page
 * cut off would fault again. Async-signal-safe: raw syscalls and atomics. */
static void ft_mark_truncated(struct ft_ctx *c, uintptr_t lo)
{
    struct ft_header *h = (struct ft_header *)lo;
    if (FT_LOAD(&c->hdr) != h)
        return;
    int fd = ft_sys_openat(AT_FDCWD, c->path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return;
    struct stat st;
    int whole = ft_syscall(SYS_fstat, fd, &st) == 0 && (uint64_t)st.st_dev == c->dev &&
                (uint64_t)st.st_ino == c->ino && st.st_size >= (off_t)sizeof *h;
    ft_sys_close(fd);
    if (!whole)
        return;
    uint32_t none = FT_STOP_NONE;
    FT_CAS(&h->stop_reason, &none, FT_STOP_TRUNCATED);
    __atomic_fetch_or(&h->flags, FT_HDR_DISABLED, __ATOMIC_RELEASE);
}

/* SIGBUS at addr (ft_signal.c): if it lies in our mapping, the trace file was
 * truncated under us. Map anonymous memory over the whole mapping (MAP_FIXED
 * replaces it in one step, so a store retried after the handler returns
 * lands there), and stop recording: what is left of the file keeps what was
 * written before. Every thread that faulted in the mapping gets here and maps
 * it again: idempotent, and a store into the memory another thread mapped a
 * moment before is as harmless as one into ours (no marker of "done": a
 * fork child may map its own trace at the same address later).
 * Async-signal-safe: atomics and raw syscalls. Returns 1 if the fault was ours. */
int ft_ring_fault(const void *addr)
{
    uintptr_t a = (uintptr_t)addr, lo = (uintptr_t)FT_LOAD_ACQ(&ft_map_addr);
    uint64_t len = FT_LOAD(&ft_map_len);
    if (!lo || a < lo || a - lo >= len)
        return 0;
    struct ft_ctx *c = FT_LOAD_ACQ(&ft_ctx_ptr);
    if (c) {
        FT_STORE_REL(&c->state, FT_RING_DEAD);
        ft_mark_truncated(c, lo);
    }
    void *p = (void *)ft_syscall(SYS_mmap, (void *)lo, (size_t)len, PROT_READ | PROT_WRITE,
                              MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return 0; /* no memory even for that: the program's action decides */
    return 1;
}
