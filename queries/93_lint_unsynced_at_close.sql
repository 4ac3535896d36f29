-- lint_unsynced_at_close: files a process syncs, closed with writes after their last sync.
--
-- purpose:    A process that fsyncs a file wants its data durable; closing it with
--             writes since the last sync leaves those writes to the kernel's
--             writeback: a crash in the next seconds loses them, and close(2) does
--             not sync. Flagged: the file's last close (flag 0x10; or the record the
--             recorder writes at exit for a file left open, flag 0x400) in a process
--             that made a durable sync of the file at some time, reporting bytes never
--             synced, when no process made a durable sync of the file afterwards
--             (writes are the file's, not the descriptor's: a sync by another
--             process covers them), this process made no sync()/syncfs(), and did
--             not unlink it (a temporary) after the close.
-- inputs:     lint_events
-- parameters: none
-- output:     one row per flagged close:
--   rule         'unsynced-at-close'
--   trace_id, file_id, seq, occurred   the process image, the file and the close
--   detail       one line
--   evidence     the file's last durable sync before the close (when there is one)
--                and the close (list of {time, event, path, to, fd, res, bytes})

with

closes as (
  select *
  from lint_events
  where event = 'close' and last_close and file_id is not null and bytes > 0
),

durable_syncs as (
  select * from lint_events where durable
),

synced_files as (
  select distinct trace_id, file_id from durable_syncs
),

global_syncs as (
  select * from lint_events where global
),

unlinks as (
  select * from lint_events where event = 'unlink' and file_id is not null
),

left_unsynced as (
  select closes.*
  from closes
  join synced_files using (trace_id, file_id)
  where not exists (
      -- any process's later sync of the file makes these writes durable too
      -- (PostgreSQL backends write WAL and exit; another process syncs it)
      select 1 from durable_syncs
      where durable_syncs.file_id = closes.file_id
        and durable_syncs.start > closes.start)
    and not exists (
      select 1 from global_syncs
      where global_syncs.trace_id = closes.trace_id
        and global_syncs.start > closes.start)
    and not exists (
      select 1 from unlinks
      where unlinks.trace_id = closes.trace_id
        and unlinks.file_id = closes.file_id
        and unlinks.start > closes.start)
),

last_sync as (
  select
    left_unsynced.trace_id,
    left_unsynced.seq,
    max_by(durable_syncs.seq, durable_syncs.start) as sync_seq
  from left_unsynced
  join durable_syncs
    on durable_syncs.trace_id = left_unsynced.trace_id
   and durable_syncs.file_id = left_unsynced.file_id
   and durable_syncs.start < left_unsynced.start
  group by left_unsynced.trace_id, left_unsynced.seq
),

with_sync as (
  select
    left_unsynced.*,
    syncs.start as sync_start,
    syncs.event as sync_event,
    syncs.fd as sync_fd,
    syncs.res as sync_res,
    syncs.bytes as sync_bytes
  from left_unsynced
  left join last_sync using (trace_id, seq)
  left join durable_syncs as syncs
    on syncs.trace_id = last_sync.trace_id
   and syncs.seq = last_sync.sync_seq
),

final as (
  select
    'unsynced-at-close' as rule,
    trace_id,
    file_id,
    seq,
    start as occurred,
    case
      when at_exit then format('{} left open at exit with {} bytes written since its last sync', path, bytes)
      else format('{} closed with {} bytes written since its last sync', path, bytes)
    end as detail,
    list_filter([
      case when sync_start is not null then
        {'time': sync_start, 'event': sync_event, 'path': path, 'to': null::varchar, 'fd': sync_fd, 'res': sync_res, 'bytes': sync_bytes}
      end,
      {'time': start, 'event': case when at_exit then 'exit' else 'close' end, 'path': path, 'to': null::varchar, 'fd': fd, 'res': res, 'bytes': bytes}
    ], lambda e: e is not null) as evidence
  from with_sync
)

select * from final
