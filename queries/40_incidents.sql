-- incidents: outliers close in time, taken together, and how far they reach.
--
-- purpose:    One row per incident (outliers.incident: outliers close in time on one
--             device): when it began and ended, what it touched, the worst of it, and
--             its scope, weighed against what else was syncing on that device then:
--               'file'     every outlier is of one file family;
--               'process'  several families, one process (a file and its directory);
--               'device'   several processes, and at least half of the processes that
--                          synced on the device during the incident were slow: the
--                          disk, not a program;
--               otherwise 'process' too: several processes, but most processes syncing
--               on the device then were fine.
--             `cause`: 'failed' when a call failed, 'write-volume' when most outliers
--             are explained by the bytes they flushed, 'slow' otherwise.
-- inputs:     outliers, intervals, families
-- parameters: none
-- output:
--   incident             1, 2, ... in time order
--   start, finish        from the start of its first outlier to the end of its last
--   start_ns, finish_ns  the same, ns since the epoch
--   outliers, failed     how many outliers it holds; how many of them failed
--   host, dev            the device
--   files, families      distinct files and file families among the outliers
--   processes            distinct processes (host, pid) among them
--   active_processes     processes that made a sync on the device during it
--   active_families      file families synced on the device during it
--   hosts                1: an incident is on one device
--   worst_ms, worst_path the slowest outlier's latency and file
--   worst_ratio          the greatest latency over baseline median among its outliers
--   scope                'file', 'process' or 'device'
--   cause                'failed', 'write-volume' or 'slow'
--   paths, pids, programs   the files, processes and program names, sorted
--   errnos               the errno values of its failed calls, sorted

with

members as (
  select
    incident, host, dev, pid, path, family_id, program, start, start_ns, dur_ns, latency_ms, failed, errno, cause, ratio
  from outliers
),

spans as (
  select incident, any_value(host) as host, any_value(dev) as dev, min(start_ns) as start_ns, max(start_ns + dur_ns) as finish_ns
  from members
  group by incident
),

active as (
  select
    spans.incident,
    count(distinct intervals.pid) as active_processes,
    count(distinct families.family_id) as active_families
  from spans
  join intervals
    on intervals.host = spans.host and intervals.dev is not distinct from spans.dev
   and intervals.start_ns + intervals.dur_ns >= spans.start_ns and intervals.start_ns <= spans.finish_ns
  left join families using (file_id)
  group by spans.incident
),

grouped as (
  select
    incident,
    min(start) as start,
    any_value(host) as host,
    any_value(dev) as dev,
    count(*) as outliers,
    count_if(failed) as failed,
    count(distinct path) as files,
    count(distinct family_id) as families,
    count(distinct pid) as processes,
    count(distinct host) as hosts,
    max(latency_ms) as worst_ms,
    arg_max(path, latency_ms) as worst_path,
    max(ratio) as worst_ratio,
    case
      when bool_or(failed) then 'failed'
      when count_if(cause = 'write-volume') * 2 > count(*) then 'write-volume'
      else 'slow'
    end as cause,
    list_sort(list(distinct path)) as paths,
    list_sort(list(distinct pid)) as pids,
    list_sort(list(distinct program)) as programs,
    list_sort(list(distinct errno) filter (where errno is not null)) as errnos
  from members
  group by incident
),

final as (
  select
    grouped.incident,
    grouped.start,
    make_timestamp_ns(spans.finish_ns) as finish,
    spans.start_ns,
    spans.finish_ns,
    grouped.* exclude (incident, start),
    coalesce(active.active_processes, grouped.processes) as active_processes,
    coalesce(active.active_families, grouped.families) as active_families,
    case
      when grouped.families <= 1 then 'file'
      when grouped.processes = 1 then 'process'
      when grouped.processes * 2 >= coalesce(active.active_processes, grouped.processes) then 'device'
      else 'process'
    end as scope
  from grouped
  join spans using (incident)
  left join active using (incident)
  order by grouped.incident
)

select * from final
