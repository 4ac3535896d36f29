-- baselines: what is normal for each file family, in each stretch of time it was synced.
--
-- purpose:    For each file family (queries/18_families.sql: a file, or the files whose
--             names differ only in a number or a random part), call kind and time bucket
--             ($bucket_ns) in which it has syncs: the latencies it is judged against.
--               1. 'prior': the family's own syncs in the $buckets buckets before the
--                  bucket (the window), when there are at least $min_history of them;
--               2. else 'recording': the family's syncs in the rest of the recording,
--                  less the bucket itself and $near buckets either side of it (so the
--                  first calls of a recording are judged too, and a slow stretch is
--                  never judged against itself), when there are at least $min_history;
--               3. else none: the bucket's calls are not judged (queries/25_verdicts.sql
--                  counts them, with why).
--             A sync is never part of its own baseline, nor are failed syncs.
--             No baseline absorbs a slowdown: before anything is counted, each family's
--             reference p99 is taken, the median of its buckets' own p99s over the
--             whole data, and syncs over max($floor_ms, $factor x that p99) (what the
--             outlier rule would call slow against the reference) are left out of every
--             baseline. So a slowdown stays slow for as long as it covers fewer than half
--             of the family's buckets with syncs.
--             Quantiles are read off log-scale histograms (8 bins per doubling, 9% wide;
--             a bin stands for the mean of its latencies), added up over the window.
--             The long history (format v2): where the raw ring has rotated away, a
--             family's history also comes from its summary histograms (summaries with
--             before_ring, so no call counts twice; a summary bucket's count stands for
--             the bucket's geometric middle, within 1.22x; an interval counts in the
--             bucket that holds its end; summary histograms include failed calls).
--             Kept events (source 'keep') are judged, never part of a baseline: they are
--             a biased sample, and their calls are in the summaries already.
-- inputs:     intervals, families, summaries, summary_hist, summary_buckets
-- parameters: $bucket_ns, $buckets, $near, $min_history, $factor, $floor_ms
-- output:     one row per (family_id, call, bucket) with syncs:
--   family_id, call      the family and call kind
--   bucket               start_ns // $bucket_ns of the syncs it applies to
--   source               'prior', 'recording', or null (too little history)
--   history              syncs the baseline was drawn from (0 when none)
--   available            the most syncs either way offered (to say why there is none)
--   median_ms, p99_ms    the baseline's median and 99th percentile latency
--   clip_ms              syncs slower than this never enter a baseline
--   mean_bytes           mean bytes written per sync in the baseline

with

syncs as (
  select
    families.family_id,
    intervals.call,
    intervals.start_ns // $bucket_ns as bucket,
    floor(log2(greatest(intervals.dur_ns, 1)) * 8)::integer as bin,
    intervals.dur_ns,
    intervals.bytes,
    intervals.failed,
    intervals.source
  from intervals
  join families using (file_id)
),

targets as (
  select distinct family_id, call, bucket
  from syncs
),

summarized as (
  select
    families.family_id,
    summaries.call,
    epoch_ns(summaries.finish) // $bucket_ns as bucket,
    summary_buckets.bin,
    sum(summary_hist.n) as n,
    sum(summary_hist.n * summary_buckets.mid_ns) as dur_sum,
    sum(case when summaries.has_interval then summaries.bytes * summary_hist.n / summaries.calls else 0 end) as bytes_sum,
    sum(case when summaries.has_interval then summary_hist.n else 0 end) as bytes_n
  from summaries
  join families using (file_id)
  join summary_hist
    on summary_hist.trace_id = summaries.trace_id and summary_hist.start = summaries.start
   and summary_hist.path_id = summaries.path_id and summary_hist.call = summaries.call
  join summary_buckets on summary_buckets.bucket = summary_hist.bucket
  where summaries.before_ring
  group by all
),

-- Every family's history, per bucket and latency bin.
binned as (
  select family_id, call, bucket, bin, sum(n) as n, sum(dur_sum) as dur_sum, sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from (
    select family_id, call, bucket, bin, count(*) as n, sum(dur_ns::double) as dur_sum,
      sum(bytes::double) as bytes_sum, count(bytes) as bytes_n
    from syncs
    where not failed and source = 'ring'
    group by all
    union all
    select family_id, call, bucket, bin, n, dur_sum, bytes_sum, bytes_n
    from summarized
  )
  group by all
),

-- The reference: the median over a family's buckets of each bucket's own p99.
bucket_p99 as (
  select family_id, call, bucket, min(bin) filter (where cumulative >= 0.99 * total) as p99_bin
  from (
    select
      *,
      sum(n) over (partition by family_id, call, bucket order by bin) as cumulative,
      sum(n) over (partition by family_id, call, bucket) as total
    from binned
  )
  group by all
),

clips as (
  select
    family_id,
    call,
    greatest($floor_ms * 1e6, $factor * pow(2, (quantile_disc(p99_bin, 0.5) + 1) / 8)) as clip_ns
  from bucket_p99
  group by all
),

clean as (
  select binned.*
  from binned
  join clips using (family_id, call)
  where pow(2, binned.bin / 8) <= clips.clip_ns
),

-- 1. The window before each bucket.
prior_windows as (
  select family_id, call, clean.bucket + k.k as bucket, bin,
    sum(n) as n, sum(dur_sum) as dur_sum, sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from clean cross join range(1, $buckets + 1) as k(k)
  semi join targets on targets.family_id = clean.family_id and targets.call = clean.call
    and targets.bucket = clean.bucket + k.k
  group by all
),

prior_history as (
  select family_id, call, bucket, sum(n) as history
  from prior_windows
  group by all
),

-- 2. The rest of the recording, for the buckets whose window holds too little.
needy as (
  select targets.*
  from targets
  left join prior_history using (family_id, call, bucket)
  where coalesce(prior_history.history, 0) < $min_history
),

near as (
  select family_id, call, clean.bucket + k.k as bucket, bin, sum(n) as n, sum(dur_sum) as dur_sum,
    sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from clean cross join range(-$near, $near + 1) as k(k)
  semi join needy on needy.family_id = clean.family_id and needy.call = clean.call
    and needy.bucket = clean.bucket + k.k
  group by all
),

whole as (
  select family_id, call, bin, sum(n) as n, sum(dur_sum) as dur_sum, sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from clean
  semi join needy using (family_id, call)
  group by all
),

rest_windows as (
  select
    needy.family_id, needy.call, needy.bucket, whole.bin,
    whole.n - coalesce(near.n, 0) as n,
    whole.dur_sum - coalesce(near.dur_sum, 0) as dur_sum,
    whole.bytes_sum - coalesce(near.bytes_sum, 0) as bytes_sum,
    whole.bytes_n - coalesce(near.bytes_n, 0) as bytes_n
  from needy
  join whole using (family_id, call)
  left join near using (family_id, call, bucket, bin)
),

windows as (
  select 'prior' as source, * from prior_windows
  union all
  select 'recording' as source, * from rest_windows where n > 0
),

ranked as (
  select
    *,
    dur_sum / n as value,
    sum(n) over (partition by source, family_id, call, bucket order by bin) as cumulative,
    sum(n) over (partition by source, family_id, call, bucket) as total
  from windows
),

stats as (
  select
    source, family_id, call, bucket,
    any_value(total)::bigint as history,
    min_by(value, bin) filter (where cumulative >= 0.5 * total) as median_ns,
    min_by(value, bin) filter (where cumulative >= 0.99 * total) as p99_ns,
    sum(bytes_sum) / nullif(sum(bytes_n), 0) as mean_bytes
  from ranked
  group by all
),

chosen as (
  select *
  from stats
  where history >= $min_history
  qualify row_number() over (partition by family_id, call, bucket order by source = 'prior' desc) = 1
),

offered as (
  select family_id, call, bucket, max(history) as available
  from stats
  group by all
),

final as (
  select
    targets.family_id,
    targets.call,
    targets.bucket,
    chosen.source,
    coalesce(chosen.history, 0) as history,
    coalesce(offered.available, 0) as available,
    chosen.median_ns / 1e6 as median_ms,
    chosen.p99_ns / 1e6 as p99_ms,
    clips.clip_ns / 1e6 as clip_ms,
    chosen.mean_bytes
  from targets
  left join chosen using (family_id, call, bucket)
  left join offered using (family_id, call, bucket)
  left join clips using (family_id, call)
)

select * from final
