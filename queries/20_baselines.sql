-- baselines: what is normal for each file, in each stretch of time it was synced.
--
-- purpose:    For each file, call kind and time bucket (a tenth of the window, $bucket_ns)
--             in which the file has syncs: the distribution of that file's own sync
--             latencies over the window before the bucket, the $buckets buckets before
--             it. A sync is never part of its own baseline. A file with fewer than
--             $min_history syncs in that window takes its device's baseline instead
--             (every file with the same host and st_dev, same call kind); with too few
--             there as well, it has none. Failed syncs are not normal and are left out.
--
--             Quantiles over sliding windows are too slow for millions of syncs as
--             window functions (about 25 s for a median and p99 over 10 M syncs, and
--             minutes for a MAD), so each bucket's latencies are counted into a
--             log-scale histogram (8 bins per doubling, each 9% wide), the histograms
--             of a window's buckets are added up, and quantiles are read off the sum,
--             nearest rank. A bin stands for the mean of the latencies in it: exact
--             when they are equal, within a few percent otherwise.
--
--             The long history (format v2): where the raw ring has rotated away, a
--             file's history comes from its summary histograms (summaries.before_ring:
--             the intervals that ended before the ring's first event of that trace, file
--             and kind, so no call counts twice). A summary bucket's count stands for
--             the bucket's geometric middle (summary_buckets.mid_ns), in that value's
--             bin: half-octave buckets put it within 1.22x (+22%/-18%) of the true
--             latency, so a summary-drawn median or p99 is that precise, and a MAD drawn
--             from summaries is coarse (0 when most calls share a bucket). An interval
--             counts in the bucket that holds its end, so a sync is never in its own
--             baseline; the window is late by up to one interval (60 s) there. Summary
--             histograms include failed calls (they are not told apart).
--             Kept events (intervals.source = 'keep': failed, alerted and outlier syncs
--             the keep ring holds) get a baseline but are never part of one: they are a
--             biased sample, and their calls are in the summaries already.
-- inputs:     intervals, summaries, summary_hist, summary_buckets
-- parameters: $bucket_ns, $buckets, $min_history
-- output:     one row per (file_id, call, bucket) with syncs:
--   file_id, call        the file and call kind
--   bucket               start_ns // $bucket_ns of the syncs it applies to
--   bucket_start         when that bucket begins
--   source               'file' (its own history), 'device', or null (too little history)
--   history              syncs in the window the baseline was drawn from
--   median_ms, p99_ms    the window's median and 99th percentile latency
--   mad_ms               its median absolute deviation from the median
--   mean_bytes           mean bytes written per sync in the window

with

-- The one pass over the syncs: counted per file, call, bucket and latency bin.
counted as (
  select
    file_id,
    hash(host, dev) as device,
    call,
    start_ns // $bucket_ns as bucket,
    floor(log2(greatest(dur_ns, 1)) * 8)::integer as bin,
    failed,
    source,
    count(*) as n,
    sum(dur_ns::double) as dur_sum,
    sum(bytes::double) as bytes_sum,
    count(bytes) as bytes_n
  from intervals
  where file_id is not null
  group by all
),

targets as (
  select
    file_id,
    call,
    bucket,
    any_value(device) as device
  from counted
  group by file_id, call, bucket
),

target_groups as (
  select distinct 'file' as level, file_id::ubigint as grp, call, bucket from targets
  union all
  select distinct 'device' as level, device as grp, call, bucket from targets
),

-- The summarized stretch: each histogram bucket's count at its geometric middle.
summarized as (
  select
    summaries.file_id,
    hash(summaries.host, summaries.dev) as device,
    summaries.call,
    epoch_ns(summaries.finish) // $bucket_ns as bucket,
    summary_buckets.bin,
    sum(summary_hist.n) as n,
    sum(summary_hist.n * summary_buckets.mid_ns) as dur_sum,
    sum(case when summaries.has_interval then summaries.bytes * summary_hist.n / summaries.calls else 0 end) as bytes_sum,
    sum(case when summaries.has_interval then summary_hist.n else 0 end) as bytes_n
  from summaries
  join summary_hist
    on summary_hist.trace_id = summaries.trace_id and summary_hist.start = summaries.start
   and summary_hist.path_id = summaries.path_id and summary_hist.call = summaries.call
  join summary_buckets on summary_buckets.bucket = summary_hist.bucket
  where summaries.before_ring and summaries.file_id is not null
  group by all
),

history as (
  select file_id, device, call, bucket, bin, n, dur_sum, bytes_sum, bytes_n
  from counted
  where not failed and source = 'ring'
  union all
  select file_id, device, call, bucket, bin, n, dur_sum, bytes_sum, bytes_n
  from summarized
),

binned as (
  select 'file' as level, file_id::ubigint as grp, call, bucket, bin,
    sum(n) as n, sum(dur_sum) as dur_sum, sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from history
  group by all
  union all
  select 'device' as level, device as grp, call, bucket, bin,
    sum(n) as n, sum(dur_sum) as dur_sum, sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from history
  group by all
),

-- Each bucket's histogram, counted again in the window of each of the buckets after it.
spread as (
  select level, grp, call, binned.bucket + k.k as bucket, bin, n, dur_sum, bytes_sum, bytes_n
  from binned, range(1, $buckets + 1) as k(k)
),

windows as (
  select level, grp, call, bucket, bin,
    sum(n)::bigint as n, sum(dur_sum) as dur_sum, sum(bytes_sum) as bytes_sum, sum(bytes_n)::bigint as bytes_n
  from spread
  semi join target_groups using (level, grp, call, bucket)
  group by all
),

ranked as (
  select
    *,
    dur_sum / n as value,
    sum(n) over (partition by level, grp, call, bucket order by bin)::bigint as cumulative,
    sum(n) over (partition by level, grp, call, bucket)::bigint as total
  from windows
),

centers as (
  select
    level, grp, call, bucket,
    any_value(total) as history,
    min_by(value, bin) filter (where cumulative >= 0.5 * total) as median_ns,
    min_by(value, bin) filter (where cumulative >= 0.99 * total) as p99_ns,
    sum(bytes_sum) / nullif(sum(bytes_n), 0) as mean_bytes
  from ranked
  group by level, grp, call, bucket
),

deviations as (
  select
    ranked.level, ranked.grp, ranked.call, ranked.bucket, ranked.n,
    abs(ranked.value - centers.median_ns) as deviation
  from ranked
  join centers using (level, grp, call, bucket)
),

spreads as (
  select
    level, grp, call, bucket,
    min(deviation) filter (where cumulative >= 0.5 * total) as mad_ns
  from (
    select
      *,
      sum(n) over (partition by level, grp, call, bucket order by deviation) as cumulative,
      sum(n) over (partition by level, grp, call, bucket) as total
    from deviations
  )
  group by level, grp, call, bucket
),

stats as (
  select *
  from centers
  join spreads using (level, grp, call, bucket)
  where history >= $min_history
),

usable as (
  select targets.file_id, targets.call, targets.bucket, 1 as preference,
    stats.level, stats.history, stats.median_ns, stats.p99_ns, stats.mad_ns, stats.mean_bytes
  from targets
  join stats on stats.level = 'file' and stats.grp = targets.file_id
    and stats.call = targets.call and stats.bucket = targets.bucket
  union all
  select targets.file_id, targets.call, targets.bucket, 2 as preference,
    stats.level, stats.history, stats.median_ns, stats.p99_ns, stats.mad_ns, stats.mean_bytes
  from targets
  join stats on stats.level = 'device' and stats.grp = targets.device
    and stats.call = targets.call and stats.bucket = targets.bucket
),

chosen as (
  select *
  from usable
  qualify row_number() over (partition by file_id, call, bucket order by preference) = 1
),

final as (
  select
    targets.file_id,
    targets.call,
    targets.bucket,
    make_timestamp_ns(targets.bucket * $bucket_ns) as bucket_start,
    chosen.level as source,
    coalesce(chosen.history, 0) as history,
    chosen.median_ns / 1e6 as median_ms,
    chosen.p99_ns / 1e6 as p99_ms,
    chosen.mad_ns / 1e6 as mad_ms,
    chosen.mean_bytes
  from targets
  left join chosen using (file_id, call, bucket)
)

select * from final
