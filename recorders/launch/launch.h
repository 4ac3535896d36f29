/*
 * launch.h — what the two halves of fsync-launch share.
 *
 * fsync-launch is the process `fsync-record` runs as (bin/fsync-record execs
 * it): it asks the Node half (bin/fsync-record.js) for a plan, then either
 * replaces itself with the command (same PID) or stays as a small parent
 * that forwards signals and lists the command's traces afterwards.
 */
#ifndef FT_LAUNCH_H
#define FT_LAUNCH_H

#include <stdint.h>
#include <sys/types.h>

/* List on stderr the traces in dir of process `root` and its descendants,
 * made at or after start_ns (CLOCK_REALTIME); say so when there are none. */
void ft_launch_report(const char *dir, pid_t root, uint64_t start_ns, uint64_t launch_id);

#endif
