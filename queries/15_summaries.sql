-- summaries: the long history, per summary interval, file and call kind (format v2).
--
-- purpose:    The recorder's summary ring counts every sync call per interval
--             (traces.summary_interval_s, 60 s by default), file and call kind, long
--             after the raw ring has rotated. One (interval, file, kind) may have several
--             entries (recorders/FORMAT.md): they are added up here, and the file is
--             named through the trace's path table (the names region keeps the names of
--             summarized files). Empty for version-1 traces.
--
--             Summaries and raw events overlap: the recorder summarizes every call, the
--             ring holds the newest. `before_ring` marks the intervals that add to the raw
--             events without counting a call twice: per trace, file (path id) and call
--             kind, those that ended at or before the ring's first sync event of that
--             file and kind (all of them when the ring holds none). The interval the
--             ring's first event falls in is left to the raw events, so the calls of that
--             interval from before the ring's first event are in neither (at most one
--             interval per file and kind).
-- inputs:     summary_entries, events, traces, paths, calls
-- parameters: none
-- kept as:    table (baselines, file_stats, totals and daily read it; small: a row per
--             interval, file and kind)
-- output:     one row per (trace_id, start, path_id, call):
--   trace_id, host, pid, exe   the process
--   path_id, file_id, path, dev  the file (file_id null and path '(unknown)' when unnamed)
--   call, kind                 the call kind, and its name
--   start, finish              the interval, wall clock
--   interval_s                 its length
--   entries                    summary entries added up
--   calls, errors, alerts, kept  sync calls; failed; that met an alert rule; copied to the keep ring
--   sum_ms, max_ms             their total and largest latency
--   bytes, writes              bytes and write calls the calls made durable
--   has_interval               the kind closes write intervals (calls.has_interval)
--   before_ring                the interval ended before the ring's first event of this
--                              trace, file and kind: it counts along with the raw events

with

added as (
  select
    trace_id, start, path_id, call,
    count(*) as entries,
    sum(calls)::bigint as calls,
    sum(errors)::bigint as errors,
    sum(alerts)::bigint as alerts,
    sum(kept)::bigint as kept,
    sum(sum_ns)::double as sum_ns,
    max(max_ns) as max_ns,
    sum(bytes)::bigint as bytes,
    sum(writes)::bigint as writes
  from summary_entries
  group by all
),

ring_starts as (
  select trace_id, path_id, call, min(epoch_ns(start)) as ring_from_ns
  from events
  where type = 3 and source = 'ring'
    and trace_id in (select distinct trace_id from summary_entries)
  group by all
),

final as (
  select
    added.trace_id,
    traces.host,
    traces.pid,
    traces.exe,
    added.path_id,
    paths.file_id,
    coalesce(paths.path, '(unknown)') as path,
    paths.dev,
    added.call,
    calls.name as kind,
    added.start,
    make_timestamp_ns(epoch_ns(added.start) + traces.summary_interval_s::bigint * 1000000000) as finish,
    traces.summary_interval_s as interval_s,
    added.entries,
    added.calls,
    added.errors,
    added.alerts,
    added.kept,
    added.sum_ns / 1e6 as sum_ms,
    added.max_ns / 1e6 as max_ms,
    added.bytes,
    added.writes,
    calls.has_interval,
    coalesce(epoch_ns(added.start) + traces.summary_interval_s::bigint * 1000000000 <= ring_starts.ring_from_ns, true) as before_ring
  from added
  join traces using (trace_id)
  join calls using (call)
  left join paths on paths.trace_id = added.trace_id and paths.path_id = added.path_id
  left join ring_starts
    on ring_starts.trace_id = added.trace_id and ring_starts.path_id = added.path_id and ring_starts.call = added.call
)

select * from final
