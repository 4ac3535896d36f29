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
--             sync()/syncfs() by this process (queries/92_lint_made_durable.sql). Its
--             last such close is the one to look at: a sync that covers it covers
--             every close before it.
-- inputs:     lint_events, lint_made_durable, files
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
  select lint_events.*, lint_made_durable.data_durable_at
  from lint_events
  join lint_made_durable using (trace_id, seq)
  where lint_events.event = 'close'
),

last_close as (
  select
    moves.trace_id,
    moves.seq,
    closes.start as close_start,
    closes.fd as close_fd,
    closes.res as close_res,
    closes.bytes as close_bytes,
    coalesce(closes.data_durable_at >= moves.start, closes.seq is not null) as close_unsynced
  from moves
  asof left join unsynced_closes as closes
    on closes.trace_id = moves.trace_id
   and closes.file_id = moves.file_id
   and moves.start > closes.start
),

flagged as (
  select
    moves.*,
    case when last_close.close_unsynced then last_close.close_start end as close_start,
    last_close.close_fd,
    last_close.close_res,
    case when last_close.close_unsynced then last_close.close_bytes end as close_bytes
  from moves
  join last_close using (trace_id, seq)
  where last_close.close_unsynced or moves.bytes > 0
),

named as (
  select flagged.*, old_files.path, new_files.path as new_path
  from flagged
  join files as old_files on old_files.file_id = flagged.file_id
  join files as new_files on new_files.file_id = flagged.new_file_id
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
  from named
)

select * from final
