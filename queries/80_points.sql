-- points: the syncs to draw, one point each.
--
-- purpose:    The outliers (failed calls among them), the $max_outliers worst when
--             there are more, and an even sample of the other syncs: about $max_points
--             of them, picked by a hash of the event so the same data always gives the
--             same sample. The raw rings' syncs only (the recent detail): kept events
--             from before the ring (format v2) are in the tables and the long-range chart.
-- inputs:     intervals, verdicts, outliers, events
-- parameters: $max_points, $max_outliers
-- output:
--   host, path, kind, start, start_ns, latency_ms, bytes
--   baseline_ms, baseline_p99_ms
--                        the family's baseline median and p99 for that call, or null
--   outlier, failed

with

normal_count as (
  select (select count(*) from events where type = ft_t_sync() and source = 'ring') - (select count(*) from outliers where source = 'ring') as n
),

stride as (
  select greatest(1, ceil(n / $max_points))::ubigint as every
  from normal_count
),

sampled as (
  select intervals.*
  from intervals
  anti join outliers using (trace_id, seq)
  where intervals.source = 'ring' and hash(intervals.trace_id, intervals.seq) % (select every from stride) = 0
),

normal_points as (
  select
    sampled.host, sampled.path, sampled.kind, sampled.start, sampled.start_ns,
    sampled.latency_ms, sampled.bytes,
    verdicts.baseline_ms,
    verdicts.baseline_p99_ms,
    false as outlier,
    sampled.failed
  from sampled
  left join verdicts using (trace_id, seq)
),

outlier_points as (
  select
    host, path, kind, start, start_ns, latency_ms, bytes,
    baseline_ms, baseline_p99_ms,
    true as outlier,
    failed
  from outliers
  where rank <= $max_outliers and source = 'ring'
),

final as (
  select * from outlier_points
  union all
  select * from normal_points
  order by start_ns
)

select * from final
