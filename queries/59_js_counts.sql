-- js_counts: every Node call, counted per process, file and API, exactly over long runs.
--
-- purpose:    The Node hook's records go into the raw ring, which keeps the newest; the
--             library also counts every call in the summary ring (per interval, file and
--             API: js_summary_entries), which outlives the ring by far. A trace with such
--             entries is counted from them; one without (summaries off,
--             FSYNC_TRACE_SUMMARY_SECONDS=0, or a trace from before they were written) from
--             its ring. `in_ring` says how many of the calls the ring still holds (the
--             per-call tables, js_waits and js_call_sites, see only those).
-- inputs:     js_calls, js_summary_entries, js_apis, files, traces
-- parameters: none
-- output:     one row per (trace_id, file_id, api):
--   trace_id, host, pid    the process
--   file_id, path          the file
--   api, kind              the API (js_apis.api), and its name ('js:fs.fsync', ...)
--   calls, errors          every call; those that failed
--   wait_sum_ms, wait_max_ms  the program's total and longest wait
--   in_ring                of these calls, those the raw ring still holds
--   source                 'summaries' or 'ring': where the counts come from

with

ring as (
  select
    trace_id, file_id, api,
    count(*) as calls,
    count(*) filter (where res < 0) as errors,
    sum(dur_ns)::double as sum_ns,
    max(dur_ns)::double as max_ns
  from js_calls
  group by all
),

summed as (
  select
    trace_id, file_id, api,
    sum(calls) as calls,
    sum(errors) as errors,
    sum(sum_ns)::double as sum_ns,
    max(max_ns)::double as max_ns
  from js_summary_entries
  group by all
),

counted as (
  select *, 'summaries' as source from summed
  union all by name
  select *, 'ring' as source from ring
  where trace_id not in (select distinct trace_id from js_summary_entries)
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
    coalesce(ring.calls, 0)::bigint as in_ring,
    c.source
  from counted as c
  join traces using (trace_id)
  join js_apis using (api)
  join files on files.file_id = c.file_id
  left join ring on ring.trace_id = c.trace_id and ring.file_id = c.file_id and ring.api = c.api
)

select * from final
