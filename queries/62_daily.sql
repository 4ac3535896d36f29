-- daily: each file's latency per day over the summarized history (format v2).
--
-- purpose:    For the long-range chart: per file (a path on a host) and UTC day, the
--             calls and the median and 99th percentile latency, read off the day's
--             summed summary histograms (every summary interval that starts that day,
--             whether or not the raw ring still holds its calls), nearest rank, at the
--             bucket's geometric middle (within 1.22x of the true latency). Empty
--             without summaries.
-- inputs:     summaries, summary_hist, summary_buckets
-- parameters: none
-- output:
--   host, path           the file ('(unknown)' when its name was lost)
--   day                  the UTC day (date)
--   calls, errors        sync calls that day, and failed ones
--   p50_ms, p99_ms       median and 99th percentile latency
--   max_ms               the largest latency (exact: the recorder keeps it)

with

counts as (
  select host, path, start::date as day, sum(calls)::bigint as calls, sum(errors)::bigint as errors, max(max_ms) as max_ms
  from summaries
  group by all
),

hist as (
  select summaries.host, summaries.path, summaries.start::date as day, summary_hist.bucket, sum(summary_hist.n) as n
  from summaries
  join summary_hist
    on summary_hist.trace_id = summaries.trace_id and summary_hist.start = summaries.start
   and summary_hist.path_id = summaries.path_id and summary_hist.call = summaries.call
  group by all
),

ranked as (
  select
    hist.*,
    summary_buckets.mid_ns,
    sum(hist.n) over (partition by hist.host, hist.path, hist.day order by hist.bucket) as cumulative,
    sum(hist.n) over (partition by hist.host, hist.path, hist.day) as total
  from hist
  join summary_buckets using (bucket)
),

quantiles as (
  select
    host, path, day,
    min_by(mid_ns, bucket) filter (where cumulative >= 0.5 * total) / 1e6 as p50_ms,
    min_by(mid_ns, bucket) filter (where cumulative >= 0.99 * total) / 1e6 as p99_ms
  from ranked
  group by host, path, day
),

final as (
  select counts.host, counts.path, counts.day, counts.calls, counts.errors,
    quantiles.p50_ms, quantiles.p99_ms, counts.max_ms
  from counts
  join quantiles using (host, path, day)
  order by host, path, day
)

select * from final
