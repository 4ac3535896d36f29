/*
 * ft_link.h — which system call served which Node call (ft_link.c): a small
 * process-wide table of announcements. The Node hook announces, at a call's
 * start, "a sync of fd F of kind K is expected" (ft_js.c); the fsync and
 * fdatasync wrappers claim the oldest such announcement before their system
 * call and, once the sync is recorded, leave the low 32 bits of its record's
 * start_ns there; the hook's record of the call takes it (FORMAT.md, "Node
 * call records", flag 0x80).
 *
 * Lock-free and bounded: a full table announces nothing, a claim that keeps
 * losing races claims nothing, and no step waits for another thread.
 */
#ifndef FT_LINK_H
#define FT_LINK_H

#include "ft_base.h"

/* Announcements not yet taken back by their call (the hot page, beside the
 * words touched once per process: only a Node process writes it). The sync
 * wrappers read it, once, relaxed: 0, and they look no further. */
#define ft_link_pending (ft_hot.link_pending)

/* An announcement of a sync of fd (kind: FT_C_FSYNC or FT_C_FDATASYNC): its
 * handle (a positive integer under 2^53), 0 when not announced (fd < 0, a
 * kind not linked, the table full). */
uint64_t ft_link_announce(int fd, unsigned kind);
/* Taking it back once the call (started at call_start) settled: the start_ns
 * of the sync record that served it, else 0 (no sync claimed it, the sync
 * that claimed it was not recorded, or was still running, and no other
 * call's could stand in: ft_link.c). Frees the announcement. The sync started after the call, in
 * fact: the call read the clock before it announced, and a sync claims an
 * announcement before it reads its own start. */
uint64_t ft_link_take(uint64_t handle, uint64_t call_start);
/* How far a sync's start, read on its thread, may be before its call's, read
 * on the JavaScript thread, from the clocks alone (ft_clock.h: each thread
 * extrapolates from its own anchor, under a microsecond apart, and may hold
 * its clock a few hundred ns ahead). */
#define FT_LINK_SKEW_NS 10000u

/* In a fork's child (ft_after_fork_child): the table emptied. */
void ft_link_after_fork(void);

/* Before a sync of fd of kind: the oldest announcement for it, claimed (its
 * ticket; 0 when none). */
__attribute__((noinline)) uint32_t ft_link_claim(int fd, unsigned kind);
/* After the sync: recorded 1 when its record (failed or not) is in the raw
 * ring, start_ns its record's start. */
__attribute__((noinline)) void ft_link_served(uint32_t claim, int recorded, uint64_t start_ns);

static inline __attribute__((always_inline)) uint32_t ft_link_claim_if(int fd, unsigned kind)
{
    return FT_UNLIKELY(FT_LOAD(&ft_link_pending) != 0) ? ft_link_claim(fd, kind) : 0;
}

#endif /* FT_LINK_H */
