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

families_judged as (
  select
    intervals.trace_id,
    intervals.seq,
    families.family_id,
    intervals.latency_ms,
    intervals.failed,
    intervals.call,
    intervals.start_ns // $bucket_ns as bucket,
    case when not intervals.failed and intervals.source = 'ring' then hist_bucket(intervals.dur_ns) end as own_hbucket,
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

-- The calls with a file but no baseline of their family's: their burst, less themselves.
burst_judged as (
  select
    families_judged.trace_id,
    families_judged.seq,
    bursts.peers - (families_judged.own_hbucket is not null)::bigint as history,
    case when families_judged.own_hbucket is null then bursts.hist
      else list_append(bursts.hist, {'bucket': families_judged.own_hbucket, 'n': -1::bigint}) end as hist,
    bursts.mean_bytes
  from families_judged
  join bursts using (trace_id, call, bucket)
  where families_judged.baseline_source is null and families_judged.family_id is not null
    and bursts.peers - (families_judged.own_hbucket is not null)::bigint >= $min_history
),

judged as (
  select
    families_judged.trace_id,
    families_judged.seq,
    families_judged.family_id,
    families_judged.latency_ms,
    families_judged.failed,
    coalesce(families_judged.baseline_source, case when burst_judged.seq is not null then 'burst' end) as baseline_source,
    coalesce(burst_judged.history, families_judged.baseline_history) as baseline_history,
    coalesce(families_judged.baseline_ms, hist_quantile_ns(burst_judged.hist, 0.5) / 1e6) as baseline_ms,
    coalesce(families_judged.baseline_p99_ms, hist_quantile_ns(burst_judged.hist, 0.99) / 1e6) as baseline_p99_ms,
    greatest($floor_ms, $factor * coalesce(families_judged.baseline_p99_ms, hist_quantile_ns(burst_judged.hist, 0.99) / 1e6)) as cutoff_ms,
    coalesce(families_judged.baseline_bytes, burst_judged.mean_bytes) as baseline_bytes
  from families_judged
  left join burst_judged using (trace_id, seq)
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
