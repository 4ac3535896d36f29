-- lint_rename_before_sync: files renamed (or linked) to a name while writes to them
-- were not yet durable.
--
-- purpose:    The write-a-temporary-then-rename pattern replaces a file atomically
--             only when the temporary's data is durable before the rename: otherwise
--             a crash can leave the new name pointing at an empty or partial file
--             (the ext4 delayed-allocation zero-length-file reports; the ALICE study).
--             A hard link to the final name (git's loose objects) is the same move.
--             A rename or link is flagged when the file had bytes written and never
--             synced at that moment: either the record says so (the file was open in
--             this process, flag 0x200), or this process closed the file with unsynced
--             bytes and nothing made them durable before the rename: no successful
--             fsync/fdatasync of the file by any process on the host, no
--             sync()/syncfs() by this process.
-- inputs:     lint_events
-- parameters: none
-- output:     one row per flagged rename or link:
--   rule         'rename-before-sync'
--   trace_id     the process image
--   file_id      the new name (the file a crash would leave empty)
--   seq, occurred  the rename or link
--   detail       one line
--   evidence     the events: the close that left the bytes unsynced (when that is the
--                evidence), and the rename or link (list of {time, event, path, to, fd,
--                res, bytes})

with

moves as (
  select *
  from lint_events
  where event in ('rename', 'link') and file_id is not null and new_file_id is not null
),

unsynced_closes as (
  select *
  from lint_events
  where event = 'close' and file_id is not null and bytes > 0
),

durable_syncs as (
  select * from lint_events where durable
),

global_syncs as (
  select * from lint_events where global
),

closed_before as (
  select
    moves.trace_id,
    moves.seq,
    unsynced_closes.seq as close_seq,
    unsynced_closes.start as close_start
  from moves
  join unsynced_closes
    on unsynced_closes.trace_id = moves.trace_id
   and unsynced_closes.file_id = moves.file_id
   and unsynced_closes.start < moves.start
),

not_made_durable as (
  select closed_before.*
  from closed_before
  join moves using (trace_id, seq)
  where not exists (
      select 1 from durable_syncs
      where durable_syncs.file_id = moves.file_id
        and durable_syncs.host = moves.host
        and durable_syncs.start > closed_before.close_start
        and durable_syncs.start < moves.start)
    and not exists (
      select 1 from global_syncs
      where global_syncs.trace_id = moves.trace_id
        and global_syncs.start > closed_before.close_start
        and global_syncs.start < moves.start)
),

last_close as (
  select trace_id, seq, max_by(close_seq, close_start) as close_seq
  from not_made_durable
  group by trace_id, seq
),

flagged as (
  select
    moves.*,
    closes.start as close_start,
    closes.fd as close_fd,
    closes.res as close_res,
    closes.bytes as close_bytes
  from moves
  left join last_close using (trace_id, seq)
  left join unsynced_closes as closes
    on closes.trace_id = last_close.trace_id
   and closes.seq = last_close.close_seq
  where closes.seq is not null or moves.bytes > 0
),

final as (
  select
    'rename-before-sync' as rule,
    trace_id,
    new_file_id as file_id,
    seq,
    start as occurred,
    format('{} {} {} with {} bytes written and never synced',
      path, case when event = 'link' then 'linked as' else 'renamed to' end, new_path,
      coalesce(bytes, 0) + coalesce(close_bytes, 0)) as detail,
    list_filter([
      case when close_start is not null then
        {'time': close_start, 'event': 'close', 'path': path, 'to': null::varchar, 'fd': close_fd, 'res': close_res, 'bytes': close_bytes}
      end,
      {'time': start, 'event': event, 'path': path, 'to': new_path, 'fd': fd, 'res': res, 'bytes': bytes}
    ], lambda e: e is not null) as evidence
  from flagged
)

select * from final
