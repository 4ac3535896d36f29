-- js_counts: every Node call, counted per process, file and API, exactly over long runs.
--
-- purpose:    The Node hook's records go into the raw ring, which keeps the newest; the
--             library also counts every call in the summary ring (per interval, file and
--             API: js_summary_entries), which outlives the ring by far. Counted as
--             12_counts counts sync calls, per cell (trace, file, API, summary interval):
--             the summary's count, or the ring's where it holds more (no summary:
--             summaries off, FSYNC_TRACE_SUMMARY_SECONDS=0, a trace from before they were
--             written, an entry overwritten or half-written), with the errors and waits
--             from the same side (the macro from_summary). `in_ring` says how many of
--             the calls the ring still holds (the per-call tables, js_waits and
--             js_call_sites, see only those).
-- inputs:     js_calls, js_summary_entries, js_apis, files, traces
-- parameters: none
-- output:     one row per (trace_id, file_id, api):
--   trace_id, host, pid    the process
--   file_id, path          the file
--   api, kind              the API (js_apis.api), and its name ('js:fs.fsync', ...)
--   calls, errors          every call; those that failed
--   wait_sum_ms, wait_max_ms  the program's total and longest wait
--   in_ring                of these calls, those the raw ring still holds
--   source                 where the counts come from: 'summaries' (every cell), 'ring'
--                          (every cell: no summary counted these calls) or 'both'

with

ring as (
  select
    js_calls.trace_id,
    js_calls.file_id,
    js_calls.api,
    count_cell(js_calls.start, traces.offset_ns, traces.summary_interval_s) as start,
    count(*) as raw_calls,
    count(*) filter (where js_calls.res < 0) as errors,
    sum(js_calls.dur_ns)::double as sum_ns,
    max(js_calls.dur_ns)::double as max_ns
  from js_calls
  join traces using (trace_id)
  group by all
),

summed as (
  select
    trace_id,
    file_id,
    call as api,
    start,
    sum(calls) as summary_calls,
    sum(errors) as errors,
    sum(sum_ns)::double as sum_ns,
    max(max_ns)::double as max_ns
  from js_summary_entries
  group by all
),

cells as (
  select
    trace_id, file_id, api, start,
    coalesce(summed.summary_calls, 0)::bigint as summary_calls,
    coalesce(ring.raw_calls, 0)::bigint as raw_calls,
    from_summary(summed.summary_calls, ring.raw_calls) as from_summary,
    summed.errors as s_errors, summed.sum_ns as s_sum_ns, summed.max_ns as s_max_ns,
    ring.errors as r_errors, ring.sum_ns as r_sum_ns, ring.max_ns as r_max_ns
  from summed
  full join ring using (trace_id, file_id, api, start)
),

counted as (
  select
    trace_id, file_id, api,
    sum(greatest(summary_calls, raw_calls)) as calls,
    sum(case when from_summary then s_errors else r_errors end) as errors,
    sum(case when from_summary then s_sum_ns else r_sum_ns end) as sum_ns,
    max(greatest(s_max_ns, r_max_ns)) as max_ns,
    sum(raw_calls) as in_ring,
    case when bool_and(from_summary) then 'summaries' when bool_or(from_summary) then 'both' else 'ring' end as source
  from cells
  group by all
),

final as (
  select
    c.trace_id,
    traces.host,
    traces.pid,
    c.file_id,
    files.path,
    c.api,
    js_apis.kind,
    c.calls::bigint as calls,
    c.errors::bigint as errors,
    c.sum_ns / 1e6 as wait_sum_ms,
    c.max_ns / 1e6 as wait_max_ms,
    c.in_ring::bigint as in_ring,
    c.source
  from counted as c
  join traces using (trace_id)
  join js_apis using (api)
  join files on files.file_id = c.file_id
)

select * from final
