-- overhead: what the recorder cost the programs it recorded (format v2).
--
-- purpose:    From the recorder-cost entries of the summary ring: its measured cost per
--             intercepted call, sum(sampled_ns) / sum(samples), and the share that makes
--             of the time spent in sync calls: every intercepted call at that cost,
--             calls x ns_per_call / sum(sync_ns). One row over every trace loaded; its
--             counts are 0 (and the ratios null) without cost entries.
-- inputs:     recorder_cost
-- parameters: none
-- output:
--   entries              cost entries
--   samples, sampled_ns  calls measured and the recorder's time in them
--   calls                intercepted calls
--   sync_calls, sync_ns  sync calls and the time spent in them
--   ns_per_call          sampled_ns / samples
--   sync_share           calls x ns_per_call / sync_ns (0.04 = 4%)

with

sums as (
  select
    count(*) as entries,
    coalesce(sum(samples), 0)::bigint as samples,
    coalesce(sum(sampled_ns), 0)::double as sampled_ns,
    coalesce(sum(calls), 0)::double as calls,
    coalesce(sum(sync_calls), 0)::double as sync_calls,
    coalesce(sum(sync_ns), 0)::double as sync_ns
  from recorder_cost
),

final as (
  select
    *,
    sampled_ns / nullif(samples, 0) as ns_per_call,
    calls * (sampled_ns / nullif(samples, 0)) / nullif(sync_ns, 0) as sync_share
  from sums
)

select * from final
