-- js_files: per file, the Node calls that synced it and how long the program waited.
--
-- purpose:    `summary --json` adds to each file the Node hook recorded calls for
--             `"js":{"calls","wait_p50_ms","wait_p99_ms"}`: JavaScript-level calls are not sync
--             calls (their system calls are), so they are counted apart.
-- inputs:     js_waits
-- parameters: none
-- output:     one row per file with Node calls:
--   host, path, file_id  the file
--   calls                Node calls of every API on it
--   by_kind              map from kind ('js:fs.fsync', ...) to calls
--   errors               calls that failed
--   wait_p50_ms, wait_p99_ms
--                        the program's wait

with

waits as (
  select * from js_waits
),

kinds as (
  select file_id, kind, count(*) as calls
  from waits
  group by file_id, kind
),

by_kind as (
  select file_id, map(list(kind order by kind), list(calls order by kind)) as by_kind
  from kinds
  group by file_id
),

final as (
  select
    waits.host,
    waits.path,
    waits.file_id,
    count(*) as calls,
    any_value(by_kind.by_kind) as by_kind,
    count(*) filter (where waits.res < 0) as errors,
    quantile_cont(waits.wait_ns, 0.5) / 1e6 as wait_p50_ms,
    quantile_cont(waits.wait_ns, 0.99) / 1e6 as wait_p99_ms
  from waits
  join by_kind using (file_id)
  group by waits.host, waits.path, waits.file_id
)

select * from final
