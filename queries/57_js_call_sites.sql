-- js_call_sites: per call site and API of a Node program, what it waited for and what the disk took.
--
-- purpose:    The report's "Node call sites" table and its queueing verdict. Per host, call
--             site and API: calls, failed calls, the program's wait (p50, p99), the system
--             call's duration (p50, p99, over the calls paired with one), and where the rest of
--             the paired calls' wait went: queued before the system call started (libuv's
--             thread pool, and a writeFile's own open and writes) and delivered after it ended
--             (the event loop). The hook samples stacks: a call whose stack it did not capture
--             is counted at the site its thread last captured for the same API (`captured`
--             says how many were captured at the site itself); calls with no site at all (sites
--             off, or none captured yet) are one row with site null. Most waited first.
-- inputs:     js_waits
-- parameters: none
-- output:     one row per (host, site, kind):
--   host, site, kind     site null: not captured
--   calls, errors        calls, and calls that failed
--   captured             calls whose own stack named the site (the rest inherited it)
--   paired               calls paired with their system call
--   ambiguous            calls left unpaired because their run of calls in flight held syncs no
--                        Node call asked for that could not be told from their own (js_waits)
--   wait_p50_ms, wait_p99_ms, wait_max_ms
--   sync_p50_ms, sync_p99_ms
--                        the system calls' durations (null when none paired)
--   wait_ms              total wait of the paired calls
--   sync_ms              total time in their system calls
--   queued_ms            total time from call to system call
--   delivery_ms          total time from system call to callback
--   queued_share         (wait_ms - sync_ms) / wait_ms: the part of the paired calls' wait
--                        that was not the disk (null when none paired)
--   paths                the files, most called first

with

waits as (
  select * from js_waits
),

by_site as (
  select
    host,
    site,
    kind,
    count(*) as calls,
    count(*) filter (where res < 0) as errors,
    count(*) filter (where site_captured) as captured,
    count(*) filter (where paired) as paired,
    count(*) filter (where ambiguous) as ambiguous,
    -- one quantile_cont per column, both fractions at once: one sort instead of two
    quantile_cont(wait_ns, [0.5, 0.99]) as wait_q,
    max(wait_ns) / 1e6 as wait_max_ms,
    quantile_cont(sync_ns, [0.5, 0.99]) as sync_q,
    coalesce(sum(wait_ns) filter (where paired), 0) / 1e6 as wait_ms,
    coalesce(sum(sync_ns), 0) / 1e6 as sync_ms,
    coalesce(sum(queued_ns), 0) / 1e6 as queued_ms,
    coalesce(sum(delivery_ns), 0) / 1e6 as delivery_ms,
    list(path order by path) as all_paths
  from waits
  group by host, site, kind
),

final as (
  select
    host,
    site,
    kind,
    calls,
    errors,
    captured,
    paired,
    ambiguous,
    wait_q[1] / 1e6 as wait_p50_ms,
    wait_q[2] / 1e6 as wait_p99_ms,
    wait_max_ms,
    sync_q[1] / 1e6 as sync_p50_ms,
    sync_q[2] / 1e6 as sync_p99_ms,
    wait_ms,
    sync_ms,
    queued_ms,
    delivery_ms,
    case when wait_ms > 0 then greatest(0, wait_ms - sync_ms) / wait_ms end as queued_share,
    list_distinct(all_paths) as paths
  from by_site
  order by wait_q[2] * calls desc, host, site nulls last, kind
)

select * from final
