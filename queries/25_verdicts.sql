-- verdicts: every sync call, judged or counted as not judged, and why.
--
-- purpose:    Each sync against its family's baseline for its time bucket
--             (queries/20_baselines.sql). The rule: a sync is 'slow' when it took at
--             least max($floor_ms, $factor x the baseline's p99): the upper tail of
--             what is normal for that family, with an absolute floor so that
--             sub-millisecond noise is never an incident. Whatever its baseline, a sync
--             is 'failed' when it failed and 'threshold' when it took at least
--             $threshold_ms (ZooKeeper warns at 1000 ms).
--             A sync with no baseline is not judged; `unjudged` says why: 'no file'
--             (the call named no file: sync(), an unnamed descriptor), 'few calls'
--             (its family had fewer than $min_history other syncs, before it or in the
--             rest of the recording). Failed and threshold calls are outliers even so.
-- inputs:     intervals, families, baselines
-- parameters: $bucket_ns, $factor, $floor_ms, $threshold_ms
-- output:     one row per sync event:
--   trace_id, seq        the event
--   family_id            its file family, or null (no file)
--   judged               it had a baseline
--   unjudged             null when judged; else 'no file' or 'few calls'
--   baseline_source      'prior' (the family's own window before it) or 'recording'
--                        (the rest of the recording, less its neighbourhood), or null
--   baseline_history     syncs in that baseline (or the most offered, when too few)
--   baseline_ms          its median
--   baseline_p99_ms      its p99
--   cutoff_ms            max($floor_ms, $factor x baseline_p99_ms): slower is 'slow'
--   baseline_bytes       the baseline's mean bytes per sync
--   verdict              'failed', 'threshold', 'slow', 'normal' or 'unjudged'

with

judged as (
  select
    intervals.trace_id,
    intervals.seq,
    families.family_id,
    intervals.latency_ms,
    intervals.failed,
    baselines.source as baseline_source,
    case when baselines.source is null then baselines.available else baselines.history end as baseline_history,
    baselines.median_ms as baseline_ms,
    baselines.p99_ms as baseline_p99_ms,
    greatest($floor_ms, $factor * baselines.p99_ms) as cutoff_ms,
    baselines.mean_bytes as baseline_bytes
  from intervals
  left join families using (file_id)
  left join baselines
    on baselines.family_id = families.family_id
   and baselines.call = intervals.call
   and baselines.bucket = intervals.start_ns // $bucket_ns
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
