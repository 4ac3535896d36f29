-- steady_cost: what the recorder costs once a program is running, apart from start-up.
--
-- purpose:    The recorder measures its own time in a sample of calls, per summary
--             interval (recorder_cost). A trace's first interval carries its one-off
--             costs: the kernel allocating and zeroing the first pages of each region
--             of a fresh trace, in whichever call reaches them first. For a process of
--             a few seconds that is all there is, and per call it reads as microseconds.
--             So the first interval of each trace is 'start-up', every later one
--             'steady' (the state of a recorder left on), each with its cost per call
--             (sampled_ns / samples) and that cost for every intercepted call as a share
--             of the time spent in sync calls.
-- inputs:     recorder_cost
-- parameters: none
-- output:     one row per phase that has cost entries:
--   phase                'start-up' or 'steady'
--   traces, entries      traces and cost entries in it
--   samples, calls       calls measured; intercepted calls
--   ns_per_call          sampled_ns / samples
--   sync_share           calls x ns_per_call / sync_ns (0.04 = 4%)

with

phased as (
  select
    *,
    case when row_number() over (partition by trace_id order by start) = 1 then 'start-up' else 'steady' end as phase
  from recorder_cost
),

final as (
  select
    phase,
    count(distinct trace_id) as traces,
    count(*) as entries,
    sum(samples)::bigint as samples,
    sum(calls)::double as calls,
    sum(sampled_ns)::double / nullif(sum(samples), 0) as ns_per_call,
    sum(calls)::double * (sum(sampled_ns)::double / nullif(sum(samples), 0)) / nullif(sum(sync_ns)::double, 0) as sync_share
  from phased
  group by phase
  order by phase desc
)

select * from final
