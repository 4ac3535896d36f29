-- heat: sync latency per file (or file family) and time bucket, for the report's heat map.
--
-- purpose:    For the $heat_files files with the slowest p99, per bucket of
--             $heat_bucket_ns: how many syncs, and how slow. A file family
--             (queries/18_families.sql: WAL segments, rotated logs, temporaries) is one
--             row, its members' syncs taken together, as in the report's Files table.
--             The raw rings' syncs only (the recent detail; kept events from long before
--             are in the tables).
-- inputs:     intervals, families, files
-- parameters: $heat_bucket_ns, $heat_files
-- output:
--   host, path           the file, or its family's pattern when several files share one
--   bucket               when the bucket begins
--   calls                syncs in it
--   p99_ms, max_ms       their 99th percentile (interpolated) and maximum latency
--   failed               failed syncs among them

with

-- The rows, on numeric keys: a family (queries/18_families.sql: one host, one pattern),
-- or, for calls with no file, the host's '(unknown)' file (its file id, negated).
named as (
  select families.family_id as key, files.host, families.family as path
  from families
  join files using (file_id)
  group by all
  union all
  select -file_id as key, host, path
  from files
  where not known
),

-- Read twice (the hottest rows, then their buckets): a scan is cheaper than keeping it.
synced as not materialized (
  select coalesce(families.family_id, -intervals.file_key) as key, intervals.start_ns, intervals.latency_ms, intervals.failed
  from intervals
  left join families using (file_id)
  where intervals.source = 'ring'
),

-- All rows when there are no more than $heat_files (no ranking needed), else the
-- $heat_files with the slowest p99.
row_count as (
  select count(distinct key) as n
  from synced
),

hottest as (
  select key
  from named
  where (select n from row_count) <= $heat_files
  union all
  select key
  from (
    select key
    from (
      select key, quantile_cont(latency_ms, 0.99) as p99_ms
      from synced
      where (select n from row_count) > $heat_files
      group by key
    )
    join named using (key)
    order by p99_ms desc, host, path
    limit $heat_files
  )
),

bucketed as (
  select
    key,
    start_ns // $heat_bucket_ns * $heat_bucket_ns as bucket_ns,
    count(*) as calls,
    quantile_cont(latency_ms, 0.99) as p99_ms,
    max(latency_ms) as max_ms,
    count_if(failed) as failed
  from synced
  where key in (select key from hottest)
  group by all
),

final as (
  select named.host, named.path, make_timestamp_ns(bucketed.bucket_ns) as bucket, bucketed.calls, bucketed.p99_ms, bucketed.max_ms, bucketed.failed
  from bucketed
  join named using (key)
  order by host, path, bucket
)

select * from final
