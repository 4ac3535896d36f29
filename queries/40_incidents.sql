-- incidents: outliers close in time, taken together, and how far they reach.
--
-- purpose:    One row per incident (outliers.incident: outliers close in time on one
--             device): when it began and ended, what it touched, the worst of it, and
--             its scope, weighed against what else was syncing on that device then.
--             A process (or file family) takes part when one of its calls failed, or when
--             its outliers are a share of its syncs (over its own stretch of outliers,
--             or over the incident's core) of at least one in 50 and at least a quarter
--             of the largest such share in the incident, or of all its calls where a
--             call failed (failures lead), or when a thread of it spent a quarter of
--             one of those stretches or more in its outliers, a second or more, and half
--             as much as the most held one (a stall holds a process in a few long calls),
--             or half of the incident's longest outlier of a second or more (the stall),
--             a second or more, when another process (family) was held so too.
--             When none does, those with at least half as many outliers as the most
--             take part (details below). So a few stray slow calls, or a short burst, of
--             other processes next to one's slowdown or failures do not make it "several
--             processes", while a disk's contention, which slows a few calls in a
--             hundred of every process at once, or stalls them all, does. The incident's start and finish
--             are those of the outliers that take part.
--               'file'     the outliers that take part are of one file family;
--               'process'  several families, one process (a file and its directory);
--               'device'   several processes, at least half of the processes that
--                          synced on the device during the incident: the disk, not a
--                          program;
--               otherwise 'process' too: several processes, while most of those syncing
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
--   files, families      distinct files and file families taking part
--   processes            distinct processes (pid) taking part
--   active_processes     processes that made a sync on the device during it
--   active_families      file families synced on the device during it
--   hosts                1: an incident is on one device
--   worst_ms, worst_path the slowest outlier's latency and file
--   worst_ratio          the greatest latency over baseline median among its outliers
--   scope                'file', 'process' or 'device'
--   cause                'failed', 'write-volume' or 'slow'
--   paths, pids, programs   the files, processes and program names taking part, sorted
--   errnos               the errno values of its failed calls, sorted

with

members as (
  select
    incident, host, dev, pid, tid, path, coalesce(family_id, -1) as family_id, program, start, start_ns, dur_ns,
    latency_ms, failed, errno, cause, ratio
  from outliers
),

spans as (
  select incident, any_value(host) as host, any_value(dev) as dev, min(start_ns) as start_ns, max(start_ns + dur_ns) as finish_ns
  from members
  group by incident
),

-- Every sync on the device while the incident lasted, by process and family. A call of
-- under a minute is joined on the device and the second it began (each call has one), so
-- that it is compared with the incidents of its second only, not with every incident on
-- its device: an incident is listed under each second from a minute before its start (a
-- call that began before it and lasted into it) to its finish, or to the last call's
-- start on the device when that is earlier (one corrupt duration of years must not make
-- the seconds unbounded). The few calls of a minute or more meet the incidents directly.
last_call as (
  select host, dev, max(start_ns) as last_ns
  from intervals
  group by host, dev
),

slices as (
  select spans.incident, spans.host, spans.dev, spans.start_ns, spans.finish_ns, slice.slice
  from spans
  join last_call on last_call.host = spans.host and last_call.dev is not distinct from spans.dev
  cross join unnest(range((spans.start_ns - 60000000000) // 1000000000, least(spans.finish_ns, last_call.last_ns) // 1000000000 + 1)) as slice(slice)
),

overlapping as (
  select slices.incident, intervals.pid, intervals.file_id, intervals.start_ns, intervals.dur_ns
  from intervals
  join slices
    on slices.host = intervals.host and slices.dev is not distinct from intervals.dev
   and slices.slice = intervals.start_ns // 1000000000
   and intervals.start_ns + intervals.dur_ns >= slices.start_ns and intervals.start_ns <= slices.finish_ns
  where intervals.dur_ns < 60000000000
  union all
  select spans.incident, intervals.pid, intervals.file_id, intervals.start_ns, intervals.dur_ns
  from intervals
  join spans
    on spans.host = intervals.host and spans.dev is not distinct from intervals.dev
   and intervals.start_ns + intervals.dur_ns >= spans.start_ns and intervals.start_ns <= spans.finish_ns
  where intervals.dur_ns >= 60000000000
),

activity as (
  select overlapping.incident, overlapping.pid, coalesce(families.family_id, -1) as family_id, overlapping.start_ns, overlapping.dur_ns
  from overlapping
  left join families using (file_id)
),

-- Each outlier and each sync on the device, once under its process and once under its
-- family: whether a process takes part, and whether a family does, is one question.
parts as (
  select incident, 'process' as level, pid as key, tid, start_ns, dur_ns, failed from members
  union all
  select incident, 'family' as level, family_id as key, tid, start_ns, dur_ns, failed from members
),

activity_parts as (
  select incident, 'process' as level, pid as key, start_ns, dur_ns from activity
  union all
  select incident, 'family' as level, family_id as key, start_ns, dur_ns from activity
),

-- A process (family) takes part when a call of it failed, or when it is slowed like the
-- worst slowed one. Its share of slowed calls is measured over two stretches, the larger
-- taken: its own, from its 10th to its 90th percentile outlier (so stray ones at either
-- end of a long incident do not dilute it), when that lasts at least a quarter of the
-- longest one in the incident (a burst of a fraction of a second beside a slowdown of
-- seconds is not the same slowdown); and the core of the incident, the stretch of the
-- process (family) with the most outliers (a stray slow call after a short slowdown
-- would stretch its own). Over either, it needs two outliers or more, and at least one
-- in 50 of its syncs (four times the share of false outliers the rule allows on a
-- healthy disk, 0.5 %). It takes part when its share is at least a quarter of the
-- largest in the incident (of 1 where a call failed): a disk's contention slows a few
-- calls in a hundred of every process at once; a busy machine's scheduling delays slow a
-- few in a hundred of a neighbour while one program is slow on every call, or fails,
-- which is not the device.
part_spans as (
  select *, max(last_ns - first_ns) over (partition by incident, level) as longest_ns
  from (
    select incident, level, key, count(*) as outliers, bool_or(failed) as failed,
      quantile_disc(start_ns, 0.1) as first_ns, quantile_disc(start_ns + dur_ns, 0.9) as last_ns
    from parts
    group by all
  )
),

cores as (
  select incident, level, first_ns, last_ns, outliers
  from part_spans
  qualify row_number() over (partition by incident, level order by outliers desc, last_ns - first_ns desc, key) = 1
),

-- The incident's stall: the span of its longest outlier, when that lasted a second or
-- more. How long every process (family) was held in it is weighed too (`stall_held`, below):
-- stray slow calls of a process seconds away from a stall stretch its own stretch, and
-- the core's when it is the one with the most outliers, until its share of either is
-- under half of another's (small-fio-contention, loaded: both processes held 3.3 s from
-- the same instant, one of them with a stray 68-ms call 4.4 s later, was 'file').
stalls as (
  select incident, level, start_ns as first_ns, start_ns + dur_ns as last_ns
  from parts
  where dur_ns >= 1000000000
  qualify row_number() over (partition by incident, level order by dur_ns desc, start_ns, key) = 1
),

stretches as (
  select incident, level, key, first_ns, last_ns, last_ns - first_ns >= 0.25 * longest_ns as lasting, false as core,
    false as stall, outliers as spanned
  from part_spans
  union all
  select part_spans.incident, part_spans.level, part_spans.key, cores.first_ns, cores.last_ns, true as lasting, true as core,
    false as stall, cores.outliers as spanned
  from part_spans
  join cores using (incident, level)
  union all
  select part_spans.incident, part_spans.level, part_spans.key, stalls.first_ns, stalls.last_ns, true as lasting, false as core,
    true as stall, 1 as spanned
  from part_spans
  join stalls using (incident, level)
),

counted as (
  select
    s.*,
    (select count(*) from parts as m
      where m.incident = s.incident and m.level = s.level and m.key = s.key
        and m.start_ns >= s.first_ns and m.start_ns + m.dur_ns <= s.last_ns) as inside,
    (select count(*) from activity_parts as a
      where a.incident = s.incident and a.level = s.level and a.key = s.key
        and a.start_ns >= s.first_ns and a.start_ns + a.dur_ns <= s.last_ns) as syncs,
    (select max(held) from (
      select sum(least(m.start_ns + m.dur_ns, s.last_ns) - greatest(m.start_ns, s.first_ns)) as held from parts as m
      where m.incident = s.incident and m.level = s.level and m.key = s.key
        and m.start_ns < s.last_ns and m.start_ns + m.dur_ns > s.first_ns
      group by m.tid)) as held_ns
  from stretches as s
),

-- `core_share` is the share over the incident's core alone: the reference is the largest of
-- those, so that a process whose few calls in a stall were all slow (a paced process makes
-- few calls while the disk holds it) does not set a bar no other process can reach.
shares as (
  select
    part_spans.incident, part_spans.level, part_spans.key, part_spans.outliers, part_spans.failed,
    max(counted.inside / greatest(counted.syncs, counted.inside, 1))
      filter (where counted.lasting and not counted.stall and counted.inside >= 2 and counted.inside >= 0.02 * counted.syncs) as share,
    max(counted.inside / greatest(counted.syncs, counted.inside, 1))
      filter (where counted.core and counted.inside >= 2 and counted.inside >= 0.02 * counted.syncs) as core_share,
    max(counted.held_ns / nullif(counted.last_ns - counted.first_ns, 0))
      filter (where counted.lasting and not counted.stall and counted.spanned >= 2 and (counted.core or counted.inside >= 2)
        and counted.held_ns >= 1000000000) as held,
    max(counted.held_ns / nullif(counted.last_ns - counted.first_ns, 0))
      filter (where counted.stall and counted.held_ns >= 1000000000) as stall_held
  from part_spans
  join counted using (incident, level, key)
  group by all
),

-- Where calls failed, the failures lead: another process (family) takes part by failing
-- too, or by being slow on a quarter of its calls (the reference share is then 1).
-- And it takes part, whatever the shares, when one of its threads spent a quarter of
-- either stretch or more in its outliers, and at least half as long as the most held one
-- (`held`; over a stretch that two outliers or more span, its own only where it holds
-- two, as above: one call alone is all of its own stretch), provided it was held a second
-- or more there; or half of the stall or more, a second or more, when another process
-- (family) was held so too (`stall_held`: the stall is one call's, which is held all of
-- it, so it weighs apart from `held`, whose bar it would raise to half of any stretch, and
-- a neighbour's one stray call of a second beside a process's slowdown is no stall of the
-- disk). A disk that stalls holds each process in a few long calls, or in one,
-- begun a moment before or after the others' (so perhaps not inside the core): few calls
-- among many, and one outlier is no share. Stray slow calls fill a few hundredths of a
-- long stretch; in a short one (a burst of two 70-ms outliers 0.3 s apart) one stray call
-- of 100 ms fills a quarter, hence the floor: a stall is a second or more (fio held both
-- processes of small-fio-contention 3.7 s in one call each, or half of 10 s in several).
weighed as (
  select
    *,
    failed or coalesce(share >= 0.25 * case when bool_or(failed) over (partition by incident, level) then 1.0
      else max(core_share) over (partition by incident, level) end, false)
      or coalesce(held >= 0.25 and held >= 0.5 * max(held) over (partition by incident, level), false)
      or coalesce(stall_held >= 0.5 and count(*) filter (where stall_held >= 0.5) over (partition by incident, level) >= 2, false) as weighty
  from shares
),

-- When none takes part, those with at least half as many outliers as the most do.
part_of as (
  select
    *,
    weighty or (not bool_or(weighty) over (partition by incident, level)
      and outliers * 2 >= max(outliers) over (partition by incident, level)) as takes_part
  from weighed
),

taking_part as (
  select members.*, processes.takes_part as process_part, families.takes_part as family_part
  from members
  join part_of as processes on processes.incident = members.incident and processes.level = 'process' and processes.key = members.pid
  join part_of as families on families.incident = members.incident and families.level = 'family' and families.key = members.family_id
),

grouped as (
  select
    incident,
    min(start) filter (where process_part and family_part) as start,
    min(start_ns) filter (where process_part and family_part) as start_ns,
    max(start_ns + dur_ns) filter (where process_part and family_part) as finish_ns,
    any_value(host) as host,
    any_value(dev) as dev,
    count(*) as outliers,
    count_if(failed) as failed,
    count(distinct path) filter (where process_part and family_part) as files,
    count(distinct family_id) filter (where process_part and family_part) as families,
    count(distinct pid) filter (where process_part and family_part) as processes,
    count(distinct host) as hosts,
    max(latency_ms) as worst_ms,
    arg_max(path, latency_ms) as worst_path,
    max(ratio) as worst_ratio,
    case
      when bool_or(failed) then 'failed'
      when count_if(cause = 'write-volume') * 2 > count(*) then 'write-volume'
      else 'slow'
    end as cause,
    list_sort(list(distinct path) filter (where process_part and family_part)) as paths,
    list_sort(list(distinct pid) filter (where process_part and family_part)) as pids,
    list_sort(list(distinct program) filter (where process_part and family_part)) as programs,
    list_sort(list(distinct errno) filter (where errno is not null)) as errnos
  from taking_part
  group by incident
),

active as (
  select activity.incident, count(distinct activity.pid) as active_processes, count(distinct activity.family_id) as active_families
  from activity
  join grouped
    on grouped.incident = activity.incident
   and activity.start_ns + activity.dur_ns >= grouped.start_ns and activity.start_ns <= grouped.finish_ns
  group by activity.incident
),

final as (
  select
    grouped.incident,
    grouped.start,
    make_timestamp_ns(grouped.finish_ns) as finish,
    grouped.start_ns,
    grouped.finish_ns,
    grouped.* exclude (incident, start, start_ns, finish_ns),
    coalesce(active.active_processes, grouped.processes) as active_processes,
    coalesce(active.active_families, grouped.families) as active_families,
    case
      when grouped.families <= 1 then 'file'
      when grouped.processes = 1 then 'process'
      when grouped.processes * 2 >= coalesce(active.active_processes, grouped.processes) then 'device'
      else 'process'
    end as scope
  from grouped
  left join active using (incident)
  order by grouped.incident
)

select * from final
