-- lint_write_after_failed_sync: writes or syncs on a file after a sync on it failed,
-- without reopening it.
--
-- purpose:    When fsync fails (EIO, ENOSPC, ...), Linux may already have dropped
--             the dirty pages, or marked them clean: a later fsync on the same file
--             can succeed while the data is gone (PostgreSQL's 2018 "fsyncgate";
--             since then PostgreSQL stops with PANIC instead of retrying). A process
--             that carries on writing or syncing the file as if the failure were
--             passing builds on data that may not exist.
--             Flagged: a failed sync of a durable kind (fsync, fdatasync, a sync
--             write) with an error that can mean lost data (lint_syncs.failed),
--             followed in the same process by a sync call on the file, or a close
--             reporting bytes written after it, with no open of the file in between.
--             The events after a failure are counted by their rank among the file's
--             events in the process (ASOF joins, no pairs of events), so a failing
--             disk under a busy file costs a sort.
-- inputs:     lint_events, lint_syncs, files
-- parameters: none
-- output:     one row per flagged failure:
--   rule         'write-after-failed-sync'
--   trace_id, file_id, seq, occurred   the process image, the file and the failed sync
--   detail       one line
--   evidence     the failed sync and up to three of the events after it
--                (list of {time, event, path, to, fd, res, bytes})

with

failures as (
  select * from lint_syncs where res < 0 and failed  -- res < 0 reaches the scan of events
),

-- The events of files some sync failed on: syncs of any kind, and closes with bytes
-- written since the last sync; ranked in time per process and file. (`in` lets the
-- scan of events skip the other files, where a semi join on a CTE read more than
-- once does not; the other files of those processes it lets through are never
-- joined to a failure.)
afterwards as (
  select trace_id, seq, start, event, file_id, fd, res, bytes
  from lint_syncs
  where file_id in (select file_id from failures)
    and trace_id in (select trace_id from failures)
  union all
  select trace_id, seq, start, event, file_id, fd, res, bytes
  from lint_events
  where file_id in (select file_id from failures)
    and trace_id in (select trace_id from failures)
    and event = 'close' and bytes > 0
),

ranked as (
  select *, row_number() over (partition by trace_id, file_id order by start, seq) as k
  from afterwards
),

opens as (
  select *
  from lint_events
  semi join failures using (trace_id, file_id)
  where event = 'open'
),

-- The first open of the file by the process after each failure.
reopened as (
  select failures.trace_id, failures.seq, opens.start as reopened_at
  from failures
  asof left join opens
    on opens.trace_id = failures.trace_id
   and opens.file_id = failures.file_id
   and failures.start < opens.start
),

-- The rank of the last event up to the failure, and up to the reopening (or the last).
at_failure as (
  select failures.trace_id, failures.seq, coalesce(ranked.k, 0) as k0
  from failures
  asof left join ranked
    on ranked.trace_id = failures.trace_id
   and ranked.file_id = failures.file_id
   and failures.start >= ranked.start
),

at_reopening as (
  select reopened.trace_id, reopened.seq, ranked.k as k1
  from reopened
  join failures using (trace_id, seq)
  asof left join ranked
    on ranked.trace_id = failures.trace_id
   and ranked.file_id = failures.file_id
   and reopened.reopened_at >= ranked.start
),

last_ranks as (
  select trace_id, file_id, max(k) as k_last
  from ranked
  group by all
),

spans as (
  select
    failures.trace_id,
    failures.seq,
    failures.file_id,
    at_failure.k0,
    case when reopened.reopened_at is null then last_ranks.k_last else coalesce(at_reopening.k1, 0) end as k1
  from failures
  join at_failure using (trace_id, seq)
  join reopened using (trace_id, seq)
  join at_reopening using (trace_id, seq)
  join last_ranks
    on last_ranks.trace_id = failures.trace_id
   and last_ranks.file_id = failures.file_id
),

-- Up to three of the events after each failure.
first_later as (
  select
    spans.trace_id,
    spans.seq,
    list({'time': ranked.start, 'event': ranked.event, 'path': files.path, 'to': null::varchar,
          'fd': ranked.fd, 'res': ranked.res, 'bytes': ranked.bytes} order by ranked.k) as later
  from spans
  cross join range(1, 4) as d(d)
  join ranked
    on ranked.trace_id = spans.trace_id
   and ranked.file_id = spans.file_id
   and ranked.k = spans.k0 + d.d
  join files on files.file_id = ranked.file_id
  where ranked.k <= spans.k1
  group by spans.trace_id, spans.seq
),

per_failure as (
  select spans.trace_id, spans.seq, spans.k1 - spans.k0 as later_events, first_later.later
  from spans
  join first_later using (trace_id, seq)
),

final as (
  select
    'write-after-failed-sync' as rule,
    failures.trace_id,
    failures.file_id,
    failures.seq,
    failures.start as occurred,
    format('{} failed on {} ({}), then {} more call{} on it without reopening it',
      failures.event, files.path,
      case failures.errno when 5 then 'EIO' when 28 then 'ENOSPC' when 122 then 'EDQUOT' else 'errno ' || failures.errno end,
      per_failure.later_events, case when per_failure.later_events = 1 then '' else 's' end) as detail,
    list_concat(
      [{'time': failures.start, 'event': failures.event, 'path': files.path, 'to': null::varchar,
        'fd': failures.fd, 'res': failures.res, 'bytes': failures.bytes}],
      per_failure.later) as evidence
  from failures
  join per_failure using (trace_id, seq)
  join files on files.file_id = failures.file_id
)

select * from final
