-- incidents: outliers close in time, taken together.
--
-- purpose:    One row per incident (outliers.incident: outliers close in time on one
--             device): when it began and ended, what it touched, and the worst of it.
--             `scope` tells apart "every file on the device was slow at once"
--             ('device-wide': outliers on more than one of its files) from "one file
--             was slow" ('single-file': look at that file's write pattern). `cause` is
--             'failure' when a call failed, 'write-volume' when most of its outliers
--             are explained by the bytes they flushed, 'latency' otherwise.
-- inputs:     outliers
-- parameters: none
-- output:
--   incident             1, 2, ... in time order
--   start, finish        from the start of its first outlier to the end of its last
--   outliers             how many outliers it holds
--   host, dev            the device
--   files, processes     distinct paths and (host, pid) among them
--   hosts                1: an incident is on one device
--   worst_ms, worst_path the slowest outlier's latency and file
--   scope                'device-wide' or 'single-file'
--   cause                'failure', 'write-volume' or 'latency'
--   paths                the files, sorted

with

members as (
  select
    incident, host, dev, pid, path, start, start_ns, dur_ns, latency_ms, failed, cause,
    host || chr(0) || path as file_key,
    host || chr(0) || pid as process_key
  from outliers
),

final as (
  select
    incident,
    min(start) as start,
    make_timestamp_ns(max(start_ns + dur_ns)) as finish,
    any_value(host) as host,
    any_value(dev) as dev,
    count(*) as outliers,
    count(distinct file_key) as files,
    count(distinct process_key) as processes,
    count(distinct host) as hosts,
    max(latency_ms) as worst_ms,
    arg_max(path, latency_ms) as worst_path,
    case when count(distinct file_key) > 1 then 'device-wide' else 'single-file' end as scope,
    case
      when bool_or(failed) then 'failure'
      when count_if(cause = 'write-volume') * 2 > count(*) then 'write-volume'
      else 'latency'
    end as cause,
    list_sort(list(distinct path)) as paths
  from members
  group by incident
  order by incident
)

select * from final
