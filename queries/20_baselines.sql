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
--             No baseline absorbs a slowdown: first each family's reference p99 is
--             taken over its quiet time buckets (those whose own p90 and p99 are at most
--             $factor times the median bucket's): the lower of their pooled p99 and the
--             median of their own p99s; and syncs over max($floor_ms, $factor x that
--             p99 / 1.5) (two thirds of what the outlier rule would call slow against
--             the reference, so that a slowdown just over the rule on a noisy disk is
--             not taken in either) are left out of every baseline. So a slowdown stays
--             slow, and one incident, for as long as it covers fewer than half of the
--             family's time buckets with syncs in the data analyzed.
--             Latencies are counted in the recorder's summary histogram (56 half-octave
--             buckets, hist_bucket) and quantiles read off with hist_quantile_ns: at the
--             bucket's geometric middle, within 1.22x of the true value.
--             The long history (format v2): where the raw ring holds none of an
--             interval's calls (summaries.before_ring), a family's history comes from the
--             summary histograms too; an interval counts in the time bucket that holds
--             its end, so a sync is never in its own baseline (summary histograms include
--             failed calls: they are not told apart).
--             Kept events (source 'keep') are judged, never part of a baseline: they are
--             a biased sample, and their calls are in the summaries already.
-- inputs:     intervals, families, summaries
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
    hist_bucket(intervals.dur_ns) as hbucket,
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
    summary_hist.bucket as hbucket,
    sum(summary_hist.n) as n,
    sum(case when summaries.has_interval then summaries.bytes * summary_hist.n / summaries.calls else 0 end) as bytes_sum,
    sum(case when summaries.has_interval then summary_hist.n else 0 end) as bytes_n
  from summaries
  join families using (file_id)
  join summary_hist
    on summary_hist.trace_id = summaries.trace_id and summary_hist.start = summaries.start
   and summary_hist.path_id = summaries.path_id and summary_hist.call = summaries.call
  where summaries.before_ring
  group by all
),

-- Every family's history, per time bucket and latency bucket.
binned as (
  select family_id, call, bucket, hbucket, sum(n) as n, sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from (
    select family_id, call, bucket, hbucket, count(*) as n, sum(bytes::double) as bytes_sum, count(bytes) as bytes_n
    from syncs
    where not failed and source = 'ring'
    group by all
    union all
    select family_id, call, bucket, hbucket, n, bytes_sum, bytes_n
    from summarized
  )
  group by all
),

-- The reference: a family's p99 over its quiet time buckets, those whose own p90 and
-- p99 are at most $factor times the typical bucket's (the median over its buckets): a
-- slowdown raises the p90 of the buckets it covers when it slows a tenth of their calls
-- or more, and their p99 when it slows one in a hundred.
bucket_tails as (
  select
    family_id, call, bucket,
    hist_quantile_ns(list({'bucket': hbucket, 'n': n}), 0.9) as p90_ns,
    hist_quantile_ns(list({'bucket': hbucket, 'n': n}), 0.99) as p99_ns
  from binned
  group by all
),

quiet as (
  select family_id, call, bucket
  from bucket_tails
  qualify p90_ns <= $factor * quantile_disc(p90_ns, 0.5) over (partition by family_id, call)
      and p99_ns <= $factor * quantile_disc(p99_ns, 0.5) over (partition by family_id, call)
),

-- Two estimates of the quiet p99, the lower taken: over the quiet buckets' calls pooled
-- (steady, but moved by the 1 % of slow calls a bucket at the edge of a slowdown can
-- bring), and the median of the quiet buckets' own p99s (unmoved by a few such buckets,
-- but high when buckets hold few calls).
reference as (
  select family_id, call, least(pooled.p99_ns, typical.p99_ns) as p99_ns
  from (
    select family_id, call, hist_quantile_ns(list({'bucket': hbucket, 'n': n}), 0.99) as p99_ns
    from (
      select family_id, call, hbucket, sum(n) as n
      from binned
      semi join quiet using (family_id, call, bucket)
      group by all
    )
    group by all
  ) as pooled
  join (
    select family_id, call, quantile_disc(p99_ns, 0.5) as p99_ns
    from bucket_tails
    semi join quiet using (family_id, call, bucket)
    group by all
  ) as typical using (family_id, call)
),

clips as (
  select family_id, call, greatest($floor_ms * 1e6, $factor * p99_ns / 1.5) as clip_ns
  from reference
),

clean as (
  select binned.*
  from binned
  join clips using (family_id, call)
  where hist_low_ns(binned.hbucket) <= clips.clip_ns
),

-- 1. The window before each bucket.
prior_windows as (
  select clean.family_id, clean.call, clean.bucket + k.k as bucket, clean.hbucket,
    sum(clean.n) as n, sum(clean.bytes_sum) as bytes_sum, sum(clean.bytes_n) as bytes_n
  from clean
  cross join range(1, $buckets + 1) as k(k)
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
  select clean.family_id, clean.call, clean.bucket + k.k as bucket, clean.hbucket,
    sum(clean.n) as n, sum(clean.bytes_sum) as bytes_sum, sum(clean.bytes_n) as bytes_n
  from clean
  cross join range(-$near, $near + 1) as k(k)
  semi join needy on needy.family_id = clean.family_id and needy.call = clean.call
    and needy.bucket = clean.bucket + k.k
  group by all
),

whole as (
  select family_id, call, hbucket, sum(n) as n, sum(bytes_sum) as bytes_sum, sum(bytes_n) as bytes_n
  from clean
  semi join needy using (family_id, call)
  group by all
),

rest_windows as (
  select
    needy.family_id, needy.call, needy.bucket, whole.hbucket,
    whole.n - coalesce(near.n, 0) as n,
    whole.bytes_sum - coalesce(near.bytes_sum, 0) as bytes_sum,
    whole.bytes_n - coalesce(near.bytes_n, 0) as bytes_n
  from needy
  join whole using (family_id, call)
  left join near using (family_id, call, bucket, hbucket)
),

windows as (
  select 'prior' as source, * from prior_windows
  union all
  select 'recording' as source, * from rest_windows where n > 0
),

stats as (
  select
    source, family_id, call, bucket,
    sum(n)::bigint as history,
    hist_quantile_ns(list({'bucket': hbucket, 'n': n}), 0.5) as median_ns,
    hist_quantile_ns(list({'bucket': hbucket, 'n': n}), 0.99) as p99_ns,
    sum(bytes_sum) / nullif(sum(bytes_n), 0) as mean_bytes
  from windows
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
