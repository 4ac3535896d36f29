-- outliers: the syncs that were not normal, why, and the incidents they form.
--
-- purpose:    The syncs queries/25_verdicts.sql found 'failed', 'threshold' or 'slow',
--             with who made them and what they rest on.
--             `cause` says what to look at: 'failed' when the call failed (errno);
--             'write-volume' when it flushed at least $volume_ratio times its family's
--             usual bytes and was no slower than that explains (latency over the
--             baseline p99 at most the bytes ratio: look at the write pattern, not the
--             device); 'slow' otherwise.
--             Outliers on one device (host and st_dev) that follow each other within
--             $gap_ns (from the end of one to the start of the next) share an incident;
--             incidents are numbered in time order across devices. Since baselines
--             leave slow syncs out (queries/20_baselines.sql), a sustained slowdown
--             stays one incident for as long as it lasts.
-- inputs:     intervals, verdicts, families, traces
-- parameters: $volume_ratio, $gap_ns
-- output:     the columns of intervals, and:
--   exe, program         the trace's executable (resolved), and the program's name as
--                        users know it (traces.name: the kernel's comm, the name it was
--                        exec'd by: redis-server where exe is redis-check-rdb; see
--                        src/trace/program.ts)
--   family_id, family, family_members   its file family (queries/18_families.sql)
--   baseline_source      'prior', 'recording' or null (not judged)
--   baseline_history     syncs the baseline was drawn from
--   baseline_ms, baseline_p99_ms, baseline_bytes, cutoff_ms   (queries/25_verdicts.sql)
--   ratio, p99_ratio     latency_ms / baseline_ms, latency_ms / baseline_p99_ms
--   bytes_ratio          bytes / baseline_bytes
--   reason               'failed', 'threshold' or 'baseline': the rule it broke first
--   cause                'failed', 'write-volume' or 'slow'
--   incident             1, 2, ... in order of their first outlier
--   rank                 1 for the worst: failed and over the threshold first, then by
--                        latency over the cutoff, then by latency

with

flagged as (
  select
    intervals.*,
    traces.exe,
    traces.name as program,
    verdicts.family_id,
    families.family,
    families.members as family_members,
    verdicts.baseline_source,
    verdicts.baseline_history,
    verdicts.baseline_ms,
    verdicts.baseline_p99_ms,
    verdicts.baseline_bytes,
    verdicts.cutoff_ms,
    verdicts.verdict
  from verdicts
  join intervals using (trace_id, seq)
  join traces using (trace_id)
  left join families using (file_id)
  where verdicts.verdict in ('failed', 'threshold', 'slow')
),

explained as (
  select
    * exclude (verdict),
    latency_ms / nullif(baseline_ms, 0) as ratio,
    latency_ms / nullif(baseline_p99_ms, 0) as p99_ratio,
    bytes / nullif(baseline_bytes, 0) as bytes_ratio,
    case verdict when 'slow' then 'baseline' else verdict end as reason,
    case
      when failed then 'failed'
      when bytes / nullif(baseline_bytes, 0) >= $volume_ratio
        and latency_ms / nullif(baseline_p99_ms, 0) <= bytes / nullif(baseline_bytes, 0) then 'write-volume'
      else 'slow'
    end as cause
  from flagged
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
    * exclude (opens_incident, device_incident, incident_start_ns),
    dense_rank() over (order by incident_start_ns, host, dev, device_incident)::integer as incident,
    row_number() over (
      order by reason in ('failed', 'threshold') desc, latency_ms / nullif(cutoff_ms, 0) desc nulls last,
        latency_ms desc, start_ns, trace_id, seq) as rank
  from incident_starts
)

select * from final
