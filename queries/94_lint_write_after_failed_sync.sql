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
--             write) with an error that can mean lost data (lint_events.failed),
--             followed in the same process by a sync call on the file, or a close
--             reporting bytes written after it, with no open of the file in between.
-- inputs:     lint_events
-- parameters: none
-- output:     one row per flagged failure:
--   rule         'write-after-failed-sync'
--   trace_id, file_id, seq, occurred   the process image, the file and the failed sync
--   detail       one line
--   evidence     the failed sync and up to three of the events after it
--                (list of {time, event, path, to, fd, res, bytes})

with

failures as (
  select * from lint_events where failed
),

afterwards as (
  select *
  from lint_events
  where file_id is not null
    and (syncs_file or (event = 'close' and bytes > 0))
),

opens as (
  select * from lint_events where event = 'open' and file_id is not null
),

carried_on as (
  select
    failures.trace_id,
    failures.seq,
    afterwards.seq as later_seq,
    afterwards.start as later_start,
    {'time': afterwards.start, 'event': afterwards.event, 'path': afterwards.path, 'to': null::varchar,
     'fd': afterwards.fd, 'res': afterwards.res, 'bytes': afterwards.bytes} as later
  from failures
  join afterwards
    on afterwards.trace_id = failures.trace_id
   and afterwards.file_id = failures.file_id
   and afterwards.start > failures.start
  where not exists (
    select 1 from opens
    where opens.trace_id = failures.trace_id
      and opens.file_id = failures.file_id
      and opens.start > failures.start
      and opens.start < afterwards.start)
),

per_failure as (
  select
    trace_id,
    seq,
    count(*) as later_events,
    list(later order by later_start)[1:3] as later
  from carried_on
  group by trace_id, seq
),

final as (
  select
    'write-after-failed-sync' as rule,
    failures.trace_id,
    failures.file_id,
    failures.seq,
    failures.start as occurred,
    format('{} failed on {} ({}), then {} more call{} on it without reopening it',
      failures.event, failures.path,
      case failures.errno when 5 then 'EIO' when 28 then 'ENOSPC' when 122 then 'EDQUOT' else 'errno ' || failures.errno end,
      per_failure.later_events, case when per_failure.later_events = 1 then '' else 's' end) as detail,
    list_concat(
      [{'time': failures.start, 'event': failures.event, 'path': failures.path, 'to': null::varchar,
        'fd': failures.fd, 'res': failures.res, 'bytes': failures.bytes}],
      per_failure.later) as evidence
  from failures
  join per_failure using (trace_id, seq)
)

select * from final
