-- heat: sync latency per file (or file family) and time bucket, for the report's heat map.
--
-- purpose:    For the $heat_files files with the slowest p99, per bucket of
--             $heat_bucket_ns: how many syncs, and how slow. A file family
--             (queries/18_families.sql: WAL segments, rotated logs, temporaries) is one
--             row, its members' syncs taken together, as in the report's Files table.
--             The raw rings' syncs only (the recent detail; kept events from long before
--             are in the tables).
-- inputs:     intervals, families
-- parameters: $heat_bucket_ns, $heat_files
-- output:
--   host, path           the file, or its family's pattern when several files share one
--   bucket               when the bucket begins
--   calls                syncs in it
--   p99_ms, max_ms       their 99th percentile (interpolated) and maximum latency
--   failed               failed syncs among them

with

synced as (
  select intervals.host, coalesce(families.family, intervals.path) as path, intervals.start_ns, intervals.latency_ms, intervals.failed
  from intervals
  left join families using (file_id)
  where intervals.source = 'ring'
),

hottest as (
  select host, path
  from synced
  group by all
  order by quantile_cont(latency_ms, 0.99) desc, host, path
  limit $heat_files
),

final as (
  select
    host,
    path,
    make_timestamp_ns(start_ns // $heat_bucket_ns * $heat_bucket_ns) as bucket,
    count(*) as calls,
    quantile_cont(latency_ms, 0.99) as p99_ms,
    max(latency_ms) as max_ms,
    count_if(failed) as failed
  from synced
  semi join hottest using (host, path)
  group by all
  order by host, path, bucket
)

select * from final
