-- js_files: per file, the Node calls that synced it and how long the program waited.
--
-- purpose:    `summary --json` adds to each file the Node hook recorded calls for
--             `"js":{"calls","wait_p50_ms","wait_p99_ms"}`: JavaScript-level calls are not sync
--             calls (their system calls are), so they are counted apart. The counts are
--             every call (js_counts: the summary ring's, exact over long runs); the wait
--             percentiles are over the calls the raw ring still holds (js_waits).
-- inputs:     js_counts, js_waits
-- parameters: none
-- output:     one row per file with Node calls:
--   host, path, file_id  the file
--   calls                Node calls of every API on it
--   by_kind              map from kind ('js:fs.fsync', ...) to calls
--   errors               calls that failed
--   in_ring              of the calls, those the raw ring holds
--   wait_p50_ms, wait_p99_ms
--                        the program's wait, over those
--   ambiguous            of those, the calls js_waits left unpaired: their run held syncs of
--                        the file no Node call asked for, not told from the calls' own

with

kinds as (
  select file_id, kind, sum(calls) as calls, sum(errors) as errors, sum(in_ring) as in_ring
  from js_counts
  group by file_id, kind
),

by_kind as (
  select
    file_id,
    map(list(kind order by kind), list(calls order by kind)) as by_kind,
    sum(calls)::bigint as calls,
    sum(errors)::bigint as errors,
    sum(in_ring)::bigint as in_ring
  from kinds
  group by file_id
),

waits as (
  select
    file_id,
    quantile_cont(wait_ns, [0.5, 0.99]) as wait_q, -- both fractions in one sort
    count(*) filter (where ambiguous) as ambiguous
  from js_waits
  group by file_id
),

final as (
  select
    files.host,
    files.path,
    by_kind.file_id,
    by_kind.calls,
    by_kind.by_kind,
    by_kind.errors,
    by_kind.in_ring,
    waits.wait_q[1] / 1e6 as wait_p50_ms,
    waits.wait_q[2] / 1e6 as wait_p99_ms,
    coalesce(waits.ambiguous, 0)::bigint as ambiguous
  from by_kind
  join files using (file_id)
  left join waits using (file_id)
)

select * from final
