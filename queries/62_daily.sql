-- daily: each file's latency per day over the summarized history (format v2).
--
-- purpose:    For the long-range chart: per file (a path on a host) and UTC day, the
--             calls and the median and 99th percentile latency, read off the day's
--             summed summary histograms (every summary interval that starts that day,
--             whether or not the raw ring still holds its calls), nearest rank, at the
--             bucket's geometric middle (hist_quantile_ns) (within 1.22x of the true latency). Empty
--             without summaries.
-- inputs:     summaries, summary_hist
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

quantiles as (
  select
    host, path, day,
    hist_quantile_ns(list({'bucket': bucket, 'n': n}), 0.5) / 1e6 as p50_ms,
    hist_quantile_ns(list({'bucket': bucket, 'n': n}), 0.99) / 1e6 as p99_ms
  from hist
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
