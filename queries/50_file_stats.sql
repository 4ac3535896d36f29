-- file_stats: each file's sync calls, and how long they took.
--
-- purpose:    One row per file (a path on a host): how many sync calls of each kind,
--             how many failed, the bytes they made durable and their latency
--             distribution. Slowest p99 first.
-- inputs:     intervals
-- parameters: none
-- output:
--   host, path, file_id  the file (file_id is null for '(unknown)')
--   calls                sync calls of every kind
--   by_kind              map from call name (calls.name) to calls
--   errors               calls that failed (res < 0)
--   bytes                bytes written in the intervals its syncs closed
--   p50_ms, p99_ms, max_ms
--                        latency: median, 99th percentile (interpolated), maximum
--   first_start, last_end
--                        its first sync's start and its last sync's end

with

per_file as (
  select
    host,
    path,
    any_value(file_id) as file_id,
    count(*) as calls,
    histogram(kind) as by_kind,
    count_if(failed)::bigint as errors,
    coalesce(sum(bytes), 0) as bytes,  -- hugeint: a corrupt trace's u64 byte counts must not overflow the sum
    quantile_cont(latency_ms, [0.5, 0.99]) as quantiles,
    max(latency_ms) as max_ms,
    min(start) as first_start,
    make_timestamp_ns(max(start_ns + dur_ns)) as last_end
  from intervals
  group by host, path
),

final as (
  select
    host, path, file_id, calls, by_kind, errors, bytes,
    quantiles[1] as p50_ms,
    quantiles[2] as p99_ms,
    max_ms, first_start, last_end
  from per_file
  order by p99_ms desc, host, path
)

select * from final
