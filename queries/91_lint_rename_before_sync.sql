-- lint_rename_before_sync: files renamed while writes to them were not yet durable.
--
-- purpose:    The write-a-temporary-then-rename pattern replaces a file atomically
--             only when the temporary's data is durable before the rename: otherwise
--             a crash can leave the new name pointing at an empty or partial file
--             (the ext4 delayed-allocation zero-length-file reports; the ALICE study).
--             A rename is flagged when this process closed the renamed file with
--             bytes never synced (its close record says how many) and nothing made
--             them durable before the rename: no successful fsync/fdatasync of the
--             file by any process on the host, no sync()/syncfs() by this process.
-- inputs:     lint_events
-- parameters: none
-- output:     one row per flagged rename:
--   rule         'rename-before-sync'
--   trace_id     the process image
--   file_id      the new name (the file a crash would leave empty)
--   seq, occurred  the rename
--   detail       one line
--   evidence     the events: the close that left the bytes unsynced, and the rename
--                (list of {time, event, path, to, fd, res, bytes})

with

renames as (
  select *
  from lint_events
  where event = 'rename' and file_id is not null and new_file_id is not null
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
    renames.trace_id,
    renames.seq,
    unsynced_closes.seq as close_seq,
    unsynced_closes.start as close_start
  from renames
  join unsynced_closes
    on unsynced_closes.trace_id = renames.trace_id
   and unsynced_closes.file_id = renames.file_id
   and unsynced_closes.start < renames.start
),

not_made_durable as (
  select closed_before.*
  from closed_before
  join renames using (trace_id, seq)
  where not exists (
      select 1 from durable_syncs
      where durable_syncs.file_id = renames.file_id
        and durable_syncs.host = renames.host
        and durable_syncs.start > closed_before.close_start
        and durable_syncs.start < renames.start)
    and not exists (
      select 1 from global_syncs
      where global_syncs.trace_id = renames.trace_id
        and global_syncs.start > closed_before.close_start
        and global_syncs.start < renames.start)
),

last_close as (
  select trace_id, seq, max_by(close_seq, close_start) as close_seq
  from not_made_durable
  group by trace_id, seq
),

flagged as (
  select
    renames.*,
    closes.start as close_start,
    closes.fd as close_fd,
    closes.res as close_res,
    closes.bytes as close_bytes
  from last_close
  join renames using (trace_id, seq)
  join unsynced_closes as closes
    on closes.trace_id = last_close.trace_id
   and closes.seq = last_close.close_seq
),

final as (
  select
    'rename-before-sync' as rule,
    trace_id,
    new_file_id as file_id,
    seq,
    start as occurred,
    format('{} renamed over {} with {} bytes written and never synced', path, new_path, close_bytes) as detail,
    [
      {'time': close_start, 'event': 'close', 'path': path, 'to': null::varchar, 'fd': close_fd, 'res': close_res, 'bytes': close_bytes},
      {'time': start, 'event': 'rename', 'path': path, 'to': new_path, 'fd': fd, 'res': res, 'bytes': null::ubigint}
    ] as evidence
  from flagged
)

select * from final
