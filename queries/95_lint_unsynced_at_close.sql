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
--             process covers them), this process made no sync()/syncfs()
--             (queries/92_lint_made_durable.sql), and did not unlink it (a temporary)
--             after the close.
-- inputs:     lint_events, lint_syncs, lint_made_durable, files
-- parameters: none
-- output:     one row per flagged close:
--   rule         'unsynced-at-close'
--   trace_id, file_id, seq, occurred   the process image, the file and the close
--   detail       one line
--   evidence     the file's last durable sync before the close (when there is one)
--                and the close (list of {time, event, path, to, fd, res, bytes})

with

synced_files as (
  select distinct trace_id, file_id from lint_syncs where durable
),

unlinked as (
  select trace_id, file_id, max(start) as last_unlink
  from lint_events
  where event = 'unlink' and file_id is not null
  group by all
),

left_unsynced as (
  select lint_events.*
  from lint_events
  join lint_made_durable using (trace_id, seq)
  semi join synced_files
    on synced_files.trace_id = lint_events.trace_id
   and synced_files.file_id = lint_events.file_id
  left join unlinked
    on unlinked.trace_id = lint_events.trace_id
   and unlinked.file_id = lint_events.file_id
  where lint_events.event = 'close'
    and lint_events.last_close
    and lint_made_durable.data_durable_at is null
    and coalesce(unlinked.last_unlink <= lint_events.start, true)
),

own_syncs as (
  select lint_syncs.*
  from lint_syncs
  semi join left_unsynced using (trace_id, file_id)
  where lint_syncs.durable
    and lint_syncs.file_id in (select file_id from left_unsynced)
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
  asof left join own_syncs as syncs
    on syncs.trace_id = left_unsynced.trace_id
   and syncs.file_id = left_unsynced.file_id
   and left_unsynced.start > syncs.start
),

named as (
  select with_sync.*, files.path
  from with_sync
  join files using (file_id)
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
  from named
)

select * from final
