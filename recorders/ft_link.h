/*
 * ft_link.h — which system call served which Node call (ft_link.c): in a
 * process where the Node hook runs over the preloaded library, each fsync and
 * fdatasync made on a thread that runs no JavaScript (libuv's pool) leaves
 * its fd, kind and record's start_ns in a small process-wide table; the
 * record of an fs.fsync, fs.fdatasync, filehandle.sync or .datasync call
 * takes one of its fd and kind that started inside the call's window, each
 * once (FORMAT.md, "Node call records", flag 0x80).
 *
 * Lock-free and bounded: nothing waits for another thread; a sync that finds
 * its entry being written by another, or an entry written over before its
 * call came for it, is not linked.
 */
#ifndef FT_LINK_H
#define FT_LINK_H

#include "ft_base.h"

/* Set once, when the Node hook's addon finds the library preloaded
 * (fsync_trace_js_link): from then on pool threads' syncs are kept. On the
 * hot page, beside the words touched once per process: each fsync and
 * fdatasync reads it, relaxed; 0 (every process but a Node one with the
 * hook), and it looks no further. */
#define ft_link_on (ft_hot.link_on)

/* How far a sync's start, read on its thread, may be before its call's, read
 * on the JavaScript thread, from the clocks alone (ft_clock.h: each thread
 * extrapolates from its own anchor, under a microsecond apart, and may hold
 * its clock a few hundred ns ahead). */
#define FT_LINK_SKEW_NS 10000u

/* The record of a call of fd that waited for a sync of kind (FT_C_FSYNC,
 * FT_C_FDATASYNC) since call_start: the start_ns of a kept sync of that fd
 * and kind, not taken yet, that started at or after call_start (else up to
 * FT_LINK_SKEW_NS before it), taken (ft_link.c says which); 0 when there is
 * none. A JavaScript thread calls it as the call settles: its own sync,
 * finished before libuv ran its callback, is kept by then. */
uint64_t ft_link_take(int fd, unsigned kind, uint64_t call_start);

/* In a fork's child (ft_after_fork_child): the table emptied. */
void ft_link_after_fork(void);

/* After a sync of fd of kind (FT_C_FSYNC or FT_C_FDATASYNC) whose record,
 * starting at start_ns, is in the raw ring: kept for the call it served.
 * Only when ft_link_on, and on a thread that runs no JavaScript (its syncs are
 * its own calls': fs.fsyncSync, a native addon's): ft_sync_end. */
__attribute__((noinline)) void ft_link_keep(int fd, unsigned kind, uint64_t start_ns);

#endif /* FT_LINK_H */
