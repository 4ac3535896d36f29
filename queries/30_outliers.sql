-- outliers: the syncs that were not normal, and why.
--
-- purpose:    A sync is an outlier when it failed; when it took at least $threshold_ms,
--             whatever its baseline (ZooKeeper warns at 1000 ms); or when it was slower
--             than its baseline by a robust margin: more than $margin robust standard
--             deviations (1.4826 x MAD) above the median, more than $ratio times the
--             median, and at least $floor_ms (so microsecond noise on tmpfs is not
--             flagged).
--             `cause` says why it was slow: 'failure' when it failed; 'write-volume'
--             when it flushed at least $volume_ratio times its file's usual bytes and
--             was no more than $ratio times slower per byte than usual (the volume
--             explains the latency: look at the write pattern, not the device);
--             'latency' otherwise.
--             Outliers on one device (host and st_dev) that follow each other within
--             $gap_ns (from the end of one to the start of the next) share an incident;
--             incidents are numbered in time order across devices.
-- inputs:     intervals, baselines
-- parameters: $bucket_ns, $threshold_ms, $margin, $ratio, $floor_ms, $volume_ratio, $gap_ns
-- output:     the columns of intervals, and:
--   baseline_source      'file', 'device' or null: baselines.source
--   baseline_history     syncs the baseline was drawn from
--   baseline_ms, baseline_p99_ms, baseline_mad_ms, baseline_bytes
--                        the baseline's median, p99, MAD and mean bytes per sync
--   ratio                latency_ms / baseline_ms
--   bytes_ratio          bytes / baseline_bytes
--   reason               'failed', 'threshold' or 'baseline': the first rule it broke
--   cause                'failure', 'write-volume' or 'latency'
--   incident             1, 2, ... in order of their first outlier: incidents.incident
--   rank                 1 for the worst: over the threshold first, then by ratio,
--                        then by latency

with

judged as (
  select
    intervals.*,
    baselines.source as baseline_source,
    baselines.history as baseline_history,
    baselines.median_ms as baseline_ms,
    baselines.p99_ms as baseline_p99_ms,
    baselines.mad_ms as baseline_mad_ms,
    baselines.mean_bytes as baseline_bytes
  from intervals
  left join baselines
    on baselines.file_id = intervals.file_id
   and baselines.call = intervals.call
   and baselines.bucket = intervals.start_ns // $bucket_ns
),

flagged as (
  select
    *,
    latency_ms >= $threshold_ms as over_threshold,
    baseline_source is not null
      and latency_ms >= $floor_ms
      and latency_ms > $ratio * baseline_ms
      and latency_ms > baseline_ms + $margin * 1.4826 * baseline_mad_ms as over_baseline
  from judged
),

outliers as (
  select
    * exclude (over_baseline),
    latency_ms / nullif(baseline_ms, 0) as ratio,
    bytes / nullif(baseline_bytes, 0) as bytes_ratio,
    case when failed then 'failed' when over_threshold then 'threshold' else 'baseline' end as reason
  from flagged
  where failed or over_threshold or over_baseline
),

explained as (
  select
    *,
    case
      when failed then 'failure'
      when bytes_ratio >= $volume_ratio and latency_ms <= $ratio * baseline_ms * bytes_ratio then 'write-volume'
      else 'latency'
    end as cause
  from outliers
),

islands as (
  select
    *,
    coalesce(
      start_ns > $gap_ns + max(start_ns + dur_ns) over (
        partition by host, dev
        order by start_ns, trace_id, seq rows between unbounded preceding and 1 preceding),
      true) as opens_incident
  from explained
),

device_incidents as (
  select
    *,
    sum(opens_incident::integer) over (
      partition by host, dev
      order by start_ns, trace_id, seq rows between unbounded preceding and current row) as device_incident
  from islands
),

incident_starts as (
  select
    *,
    min(start_ns) over (partition by host, dev, device_incident) as incident_start_ns
  from device_incidents
),

final as (
  select
    * exclude (opens_incident, over_threshold, device_incident, incident_start_ns),
    dense_rank() over (order by incident_start_ns, host, dev, device_incident)::integer as incident,
    row_number() over (
      order by over_threshold desc, ratio desc nulls last, latency_ms desc, start_ns, trace_id, seq) as rank
  from incident_starts
)

select * from final
