-- verdicts: every sync call, judged or counted as not judged, and why.
--
-- purpose:    Each sync against its family's baseline for its time bucket
--             (queries/20_baselines.sql). The rule: a sync is 'slow' when it took at
--             least max($floor_ms, $factor x the baseline's p99): the upper tail of
--             what is normal for that family, with an absolute floor so that
--             sub-millisecond noise is never an incident. Whatever its baseline, a sync
--             is 'failed' when it failed and 'threshold' when it took at least
--             $threshold_ms (ZooKeeper warns at 1000 ms).
--             A sync whose family has no baseline is judged against its burst
--             (queries/22_bursts.sql: its process's other syncs of the same kind around
--             it, itself left out) when that holds at least $min_history calls: a
--             checkpoint's hundred files, each synced once, are judged against one
--             another ('burst').
--             A sync with no baseline at all is not judged; `unjudged` says why: 'no
--             file' (the call named no file: sync(), an unnamed descriptor), 'few calls'
--             (its family had fewer than $min_history other syncs, before it or in the
--             rest of the recording, and its process fewer than that of its kind around
--             it). Failed and threshold calls are outliers even so.
-- inputs:     intervals, families, baselines, bursts
-- parameters: $bucket_ns, $factor, $floor_ms, $threshold_ms, $min_history
-- kept as:    view (a row per sync, computed as it is read: its readers keep the few rows
--             they need (outliers: the rows not normal; points: a sample) or count it;
--             writing all of them as a table cost four times computing them)
-- output:     one row per sync event:
--   trace_id, seq        the event
--   family_id            its file family, or null (no file)
--   judged               it had a baseline
--   unjudged             null when judged; else 'no file' or 'few calls'
--   baseline_source      'prior' (the family's own window before it), 'recording'
--                        (the rest of the recording, less its neighbourhood), 'burst'
--                        (its process's syncs of its kind around it, less itself), or null
--   baseline_history     syncs in that baseline (or the most offered, when too few)
--   baseline_ms          its median
--   baseline_p99_ms      its p99
--   cutoff_ms            max($floor_ms, $factor x baseline_p99_ms): slower is 'slow'
--   baseline_bytes       the baseline's mean bytes per sync
--   verdict              'failed', 'threshold', 'slow', 'normal' or 'unjudged'

with

-- Each sync, its family and its family's baseline; for a call whose family has none,
-- the key of its burst cell (below): its latency bucket, or -1 when it is not in its
-- burst's histogram (failed, or a kept event). Null when it is not judged by burst.
calls as (
  select
    intervals.trace_id,
    intervals.seq,
    families.family_id,
    intervals.latency_ms,
    intervals.failed,
    intervals.call,
    intervals.start_ns // $bucket_ns as bucket,
    case when baselines.source is null and families.family_id is not null then
      coalesce(case when not intervals.failed and intervals.source = 'ring' then hist_bucket(intervals.dur_ns) end, -1)
    end as burst_hbucket,
    baselines.source as baseline_source,
    case when baselines.source is null then baselines.available else baselines.history end as baseline_history,
    baselines.median_ms as baseline_ms,
    baselines.p99_ms as baseline_p99_ms,
    baselines.mean_bytes as baseline_bytes
  from intervals
  left join families using (file_id)
  left join baselines
    on baselines.family_id = families.family_id
   and baselines.call = intervals.call
   and baselines.bucket = intervals.start_ns // $bucket_ns
),

-- Each burst less the call judged against it: a call of the burst's own histogram leaves
-- one call of its latency bucket out (it is in the histogram: queries/22_bursts.sql),
-- any other leaves it whole (-1). One row per burst and such bucket, with at least
-- $min_history calls left: the quantiles are read once per cell, not once per call.
burst_cells as (
  select
    trace_id, call, bucket, hbucket,
    peers - (hbucket >= 0)::bigint as history,
    hist_quantile_ns(rest, 0.5) / 1e6 as median_ms,
    hist_quantile_ns(rest, 0.99) / 1e6 as p99_ms,
    mean_bytes
  from (
    select
      trace_id, call, bucket, peers, mean_bytes, hbucket,
      case when hbucket < 0 then hist else list_append(hist, {'bucket': hbucket::utinyint, 'n': -1::bigint}) end as rest
    from (
      select *, unnest(list_append(list_transform(hist, lambda h: h.bucket::smallint), -1::smallint)) as hbucket
      from bursts
    )
  )
  where peers - (hbucket >= 0)::bigint >= $min_history
),

judged as (
  select
    calls.trace_id,
    calls.seq,
    calls.family_id,
    calls.latency_ms,
    calls.failed,
    coalesce(calls.baseline_source, case when burst_cells.trace_id is not null then 'burst' end) as baseline_source,
    coalesce(burst_cells.history, calls.baseline_history) as baseline_history,
    coalesce(calls.baseline_ms, burst_cells.median_ms) as baseline_ms,
    coalesce(calls.baseline_p99_ms, burst_cells.p99_ms) as baseline_p99_ms,
    greatest($floor_ms, $factor * coalesce(calls.baseline_p99_ms, burst_cells.p99_ms)) as cutoff_ms,
    coalesce(calls.baseline_bytes, burst_cells.mean_bytes) as baseline_bytes
  from calls
  left join burst_cells
    on burst_cells.trace_id = calls.trace_id
   and burst_cells.call = calls.call
   and burst_cells.bucket = calls.bucket
   and burst_cells.hbucket = calls.burst_hbucket
),

final as (
  select
    trace_id,
    seq,
    family_id,
    baseline_source is not null as judged,
    case
      when baseline_source is not null then null
      when family_id is null then 'no file'
      else 'few calls'
    end as unjudged,
    baseline_source,
    coalesce(baseline_history, 0) as baseline_history,
    baseline_ms,
    baseline_p99_ms,
    cutoff_ms,
    baseline_bytes,
    case
      when failed then 'failed'
      when latency_ms >= $threshold_ms then 'threshold'
      when baseline_source is null then 'unjudged'
      when latency_ms >= cutoff_ms then 'slow'
      else 'normal'
    end as verdict
  from judged
)

select * from final
