-- heat: sync latency per file and time bucket, for the report's heat map.
--
-- purpose:    For the $heat_files files with the slowest p99, per bucket of
--             $heat_bucket_ns: how many syncs, and how slow. The raw rings' syncs only
--             (the recent detail; kept events from long before are in the tables).
-- inputs:     intervals, file_stats
-- parameters: $heat_bucket_ns, $heat_files
-- output:
--   host, path           the file
--   bucket               when the bucket begins
--   calls                syncs in it
--   p99_ms, max_ms       their 99th percentile (interpolated) and maximum latency
--   failed               failed syncs among them

with

hottest as (
  select host, path
  from file_stats
  order by p99_ms desc, host, path
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
  from intervals
  semi join hottest using (host, path)
  where source = 'ring'
  group by all
  order by host, path, bucket
)

select * from final
