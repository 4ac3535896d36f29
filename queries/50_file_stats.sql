-- file_stats: each file's sync calls, and how long they took.
--
-- purpose:    One row per file (a path on a host): how many sync calls of each kind,
--             how many failed, the bytes they made durable and their latency
--             distribution. Slowest p99 first.
--
--             With format-v2 traces the counts cover the whole summarized history: the
--             raw ring's calls plus the summarized intervals before the ring
--             (summaries.before_ring), so no call counts twice. Kept events are not
--             counted again (the summaries hold their calls). The quantiles are exact
--             (interpolated) over the raw calls when no summarized interval adds to the
--             file; otherwise they are read off the file's summed half-octave histogram
--             (raw calls bucketed as the recorder buckets them), nearest rank, at the
--             bucket's geometric middle: within 1.22x.
-- inputs:     intervals, summaries, summary_hist, summary_buckets
-- parameters: none
-- output:
--   host, path, file_id  the file (file_id is null for '(unknown)')
--   calls                sync calls of every kind
--   by_kind              map from call name (calls.name) to calls
--   errors               calls that failed (res < 0)
--   bytes                bytes written in the intervals its syncs closed
--   p50_ms, p99_ms, max_ms
--                        latency: median, 99th percentile, maximum
--   first_start, last_end
--                        its first raw sync's start and its last raw sync's end (the
--                        ring's span; null when only summaries hold the file)
--   ring_calls           calls the raw ring holds (the recent detail)
--   summarized_calls     calls only the summaries hold
--   approximate          the quantiles come from histograms (summarized calls)

with

-- The raw ring's calls, per file, in one pass (as for version-1 traces).
ring_files as (
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
  where source = 'ring'
  group by host, path
),

summarized as (
  select *
  from summaries
  where before_ring
),

summarized_kinds as (
  select host, path, kind, any_value(file_id) as file_id,
    sum(calls)::bigint as calls,
    sum(errors)::bigint as errors,
    sum(case when has_interval then bytes else 0 end) as bytes,  -- hugeint, as above
    max(max_ms) as max_ms
  from summarized
  group by host, path, kind
),

summarized_files as (
  select host, path, any_value(file_id) as file_id,
    sum(calls)::bigint as calls, sum(errors)::bigint as errors, sum(bytes) as bytes, max(max_ms) as max_ms
  from summarized_kinds
  group by host, path
),

-- Files with summarized calls: their calls by kind, ring and summaries added up.
merged_kinds as (
  select host, path, kind, sum(calls)::ubigint as calls
  from (
    select host, path, unnest(map_keys(by_kind)) as kind, unnest(map_values(by_kind)) as calls
    from ring_files
    semi join summarized_files using (host, path)
    union all
    select host, path, kind, calls from summarized_kinds
  )
  group by all
),

merged_by_kind as (
  select host, path, map(list(kind order by kind), list(calls order by kind)) as by_kind
  from merged_kinds
  group by host, path
),

-- ... and their latency histogram: raw calls bucketed as the recorder buckets them
-- (recorders/FORMAT.md, "Summary histogram"), added to the summary histograms.
ring_units as (
  select host, path, dur_ns // 1024 as x
  from intervals
  semi join summarized_files using (host, path)
  where source = 'ring'
),

ring_buckets as (
  select host, path,
    case when x < 2 then x else least(55, 2 * m + ((x >> (m - 1)) & 1)) end as bucket,
    count(*) as n
  from (select *, floor(log2(greatest(x, 1)))::bigint as m from ring_units)
  group by all
),

hist as (
  select host, path, bucket, sum(n) as n
  from (
    select host, path, bucket, n from ring_buckets
    union all
    select summarized.host, summarized.path, summary_hist.bucket, summary_hist.n
    from summarized
    join summary_hist
      on summary_hist.trace_id = summarized.trace_id and summary_hist.start = summarized.start
     and summary_hist.path_id = summarized.path_id and summary_hist.call = summarized.call
  )
  group by all
),

hist_quantiles as (
  select
    host, path,
    min_by(mid_ns, bucket) filter (where cumulative >= 0.5 * total) / 1e6 as p50_ms,
    min_by(mid_ns, bucket) filter (where cumulative >= 0.99 * total) / 1e6 as p99_ms
  from (
    select hist.*, summary_buckets.mid_ns,
      sum(hist.n) over (partition by hist.host, hist.path order by hist.bucket) as cumulative,
      sum(hist.n) over (partition by hist.host, hist.path) as total
    from hist
    join summary_buckets using (bucket)
  )
  group by host, path
),

final as (
  select
    host,
    path,
    coalesce(ring_files.file_id, summarized_files.file_id) as file_id,
    (coalesce(ring_files.calls, 0) + coalesce(summarized_files.calls, 0))::bigint as calls,
    coalesce(merged_by_kind.by_kind, ring_files.by_kind) as by_kind,
    (coalesce(ring_files.errors, 0) + coalesce(summarized_files.errors, 0))::bigint as errors,
    coalesce(ring_files.bytes, 0) + coalesce(summarized_files.bytes, 0) as bytes,
    coalesce(hist_quantiles.p50_ms, ring_files.quantiles[1]) as p50_ms,
    coalesce(hist_quantiles.p99_ms, ring_files.quantiles[2]) as p99_ms,
    greatest(ring_files.max_ms, summarized_files.max_ms) as max_ms,
    ring_files.first_start,
    ring_files.last_end,
    coalesce(ring_files.calls, 0) as ring_calls,
    coalesce(summarized_files.calls, 0) as summarized_calls,
    hist_quantiles.p50_ms is not null as approximate
  from ring_files
  full join summarized_files using (host, path)
  left join merged_by_kind using (host, path)
  left join hist_quantiles using (host, path)
  order by p99_ms desc, host, path
)

select * from final
