-- intervals: every sync call, and the write interval it made durable.
--
-- purpose:    One row per sync event: who made the call, on which file, when (wall
--             clock), how long it took and how it ended; and for the calls that close
--             a write interval (fsync, fdatasync and the O_SYNC/O_DSYNC/RWF_*SYNC
--             writes) the interval itself: when it began, the bytes and writes in it
--             and the time spent writing. sync_file_range, msync, sync and syncfs
--             close no interval, so their interval columns are null.
-- inputs:     events, traces, files, calls
-- parameters: none
-- kept as:    view (a join of the loaded tables; the queries after it read it once each)
-- output:
--   trace_id, seq       the event: unique together
--   host, pid, tid, fd  who called
--   file_id             the file (host, path) across traces: files.file_id; null when unnamed
--   file_key            files.file_id, the host's '(unknown)' file included: never null
--   path                its absolute path, or '(unknown)'
--   dev                 st_dev of the file when it was first named
--   call, kind          the call kind, and its name (calls.name: the by_kind keys)
--   start, start_ns     when the call began: timestamp, and ns since the epoch
--   dur_ns, latency_ms  how long it took
--   res, failed, errno  the return value; res < 0; -res when failed
--   interval_start      when the interval began (the file's previous sync, or its open)
--   interval_ms         from then to this sync
--   bytes, writes       written in the interval
--   write_ms            time spent in those writes (estimated when write_time_sampled)
--   source              'ring' (the raw ring) or 'keep' (format v2: only in the keep ring,
--                       which holds failed, alerted and outlier syncs long after the ring
--                       rotated; a biased sample, never part of a baseline)
--   alerted             the recorder raised an alert for it (flag 0x20)
--   alert_suppressed    ... and its alert line was not written (flag 0x40)

with

sync_events as (
  select *
  from events
  where type = ft_t_sync()
),

with_process as (
  select
    sync_events.*,
    traces.host,
    traces.pid,
    traces.offset_ns
  from sync_events
  join traces using (trace_id)
),

with_file as (
  select
    with_process.*,
    files.known,
    files.path,
    files.dev
  from with_process
  join files using (file_id)
),

with_kind as (
  select
    with_file.*,
    calls.name as kind,
    calls.has_interval and (with_file.flags & ft_f_no_interval()) = 0 as closes_interval
  from with_file
  join calls using (call)
),

final as (
  select
    trace_id,
    seq,
    host,
    pid,
    tid,
    fd,
    case when known then file_id end as file_id,
    file_id as file_key,
    path,
    dev,
    call,
    kind,
    start,
    epoch_ns(start) as start_ns,
    dur_ns,
    dur_ns / 1e6 as latency_ms,
    res,
    res < 0 as failed,
    res_errno(res) as errno,
    case when closes_interval then make_timestamp_ns(ival_start_ns::bigint + offset_ns) end as interval_start,
    case when closes_interval then (epoch_ns(start) - (ival_start_ns::bigint + offset_ns)) / 1e6 end as interval_ms,
    case when closes_interval then bytes end as bytes,
    case when closes_interval then writes end as writes,
    case when closes_interval then write_us / 1e3 end as write_ms,
    (flags & ft_f_write_time_sampled()) <> 0 as write_time_sampled,
    source,
    (flags & ft_f_alert()) <> 0 as alerted,
    (flags & ft_f_alert_suppressed()) <> 0 as alert_suppressed
  from with_kind
)

select * from final
