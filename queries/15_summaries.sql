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
--             ring holds the newest. `before_ring` marks the rows whose calls the raw
--             ring holds none of (counts.ring_calls = 0 for the trace, file, kind and
--             interval): they add to the raw events without counting a call twice. The
--             exact counts per interval, whichever side holds them, are in `counts`.
-- inputs:     summary_entries, counts, traces, files, calls
-- parameters: none
-- kept as:    table (baselines, file_stats, totals and daily read it; small: a row per
--             interval, file and kind)
-- output:     one row per (trace_id, start, path_id, call):
--   trace_id, host, pid, exe   the process
--   path_id, file_id, path, dev  the file (file_id null and path '(unknown)' when unnamed)
--   file_key                   files.file_id, the host's '(unknown)' file included
--   call, kind                 the call kind, and its name
--   start, finish              the interval, wall clock
--   interval_s                 its length
--   entries                    summary entries added up
--   calls, errors, alerts, kept  sync calls; failed; that met an alert rule; copied to the keep ring
--   sum_ms, max_ms             their total and largest latency
--   bytes, writes              bytes and write calls the calls made durable
--   has_interval               the kind closes write intervals (calls.has_interval)
--   before_ring                the ring holds none of its calls: it counts along with the ring's

with

added as (
  select
    trace_id, start, path_id, file_id, call,
    count(*) as entries,
    sum(calls)::bigint as calls,
    sum(errors)::bigint as errors,
    sum(alerts)::bigint as alerts,
    sum(kept)::bigint as kept,
    sum(sum_ns)::double as sum_ns,
    max(max_ns) as max_ns,
    sum(bytes) as bytes,            -- hugeint: a corrupt entry can hold up to 2^64 - 1
    sum(writes)::bigint as writes
  from summary_entries
  group by all
),

final as (
  select
    added.trace_id,
    traces.host,
    traces.pid,
    traces.exe,
    added.path_id,
    case when files.known then added.file_id end as file_id,
    added.file_id as file_key,
    files.path,
    files.dev,
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
    coalesce(counts.ring_calls, 0) = 0 as before_ring
  from added
  join traces using (trace_id)
  join calls using (call)
  join files on files.file_id = added.file_id
  left join counts
    on counts.trace_id = added.trace_id and counts.file_key = added.file_id and counts.call = added.call and counts.start = added.start
)

select * from final
