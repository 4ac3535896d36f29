-- lint_dir_not_synced: new names, in a directory the process never syncs afterwards,
-- of files it syncs.
--
-- purpose:    fsync(2) on a file does not make its directory entry durable: "an
--             explicit fsync() on a file descriptor for the directory is also
--             needed". A process that syncs a file wants it to survive a crash;
--             when it created the file (lint_events.created), renamed it into place
--             or linked it there, a crash before the directory is synced can lose
--             the name, so the data is unreachable (or the old file comes back).
--             Flagged: such a new name, in a process that made a durable sync of the
--             file (under its old name or its new one), with no durable sync of the
--             directory, and no sync()/syncfs(), by the process after it. A name the
--             same process later renames away or unlinks was a temporary: not judged
--             (a file created, then renamed or linked into place, is judged at its
--             final name).
-- inputs:     lint_events
-- parameters: none
-- output:     one row per flagged creation or rename:
--   rule         'dir-not-synced'
--   trace_id, file_id, seq, occurred   the process image, the file (new name) and the event
--   detail       one line
--   evidence     the event and the file's first durable sync after it, or before it
--                when none follows (list of {time, event, path, to, fd, res, bytes})

with

durable_syncs as (
  select * from lint_events where durable
),

global_syncs as (
  select * from lint_events where global
),

moves as (
  select *
  from lint_events
  where event in ('rename', 'link') and file_id is not null and new_file_id is not null
),

removals as (
  -- a name going away: renamed from, or unlinked
  select trace_id, file_id, start from moves where event = 'rename'
  union all
  select trace_id, file_id, start from lint_events where event = 'unlink' and file_id is not null
),

new_names as (
  select trace_id, seq, host, start, fd, res, event, file_id, file_id as old_file_id,
         path, null::varchar as old_path, dir, 'created in' as how
  from lint_events
  where created and file_id is not null
  union all
  select trace_id, seq, host, start, fd, res, event, new_file_id, file_id,
         new_path, path, new_dir, case when event = 'link' then 'linked into' else 'renamed into' end
  from moves
),

lasting as (
  select new_names.*
  from new_names
  where not exists (
    select 1 from removals
    where removals.trace_id = new_names.trace_id
      and removals.file_id = new_names.file_id
      and removals.start > new_names.start)
),

wanted as (
  select lasting.*
  from lasting
  where exists (
    select 1 from durable_syncs
    where durable_syncs.trace_id = lasting.trace_id
      and durable_syncs.file_id in (lasting.file_id, lasting.old_file_id))
),

not_synced as (
  select wanted.*
  from wanted
  where not exists (
      select 1 from durable_syncs
      where durable_syncs.trace_id = wanted.trace_id
        and durable_syncs.path = wanted.dir
        and durable_syncs.start > wanted.start)
    and not exists (
      select 1 from global_syncs
      where global_syncs.trace_id = wanted.trace_id
        and global_syncs.start > wanted.start)
),

file_sync as (
  select
    not_synced.trace_id,
    not_synced.seq,
    arg_min(durable_syncs.seq, row(durable_syncs.start < not_synced.start, abs(epoch_ns(durable_syncs.start) - epoch_ns(not_synced.start)))) as sync_seq
  from not_synced
  join durable_syncs
    on durable_syncs.trace_id = not_synced.trace_id
   and durable_syncs.file_id in (not_synced.file_id, not_synced.old_file_id)
  group by not_synced.trace_id, not_synced.seq
),

with_sync as (
  select
    not_synced.*,
    syncs.start as sync_start,
    syncs.event as sync_event,
    syncs.path as sync_path,
    syncs.fd as sync_fd,
    syncs.res as sync_res,
    syncs.bytes as sync_bytes
  from not_synced
  join file_sync using (trace_id, seq)
  join durable_syncs as syncs
    on syncs.trace_id = file_sync.trace_id
   and syncs.seq = file_sync.sync_seq
),

final as (
  select
    'dir-not-synced' as rule,
    trace_id,
    file_id,
    seq,
    start as occurred,
    format('{} {} {}, a directory this process never synced afterwards', path, how, dir) as detail,
    list_sort([
      {'time': start, 'event': event, 'path': coalesce(old_path, path), 'to': case when old_path is not null then path end, 'fd': fd, 'res': res, 'bytes': null::ubigint},
      {'time': sync_start, 'event': sync_event, 'path': sync_path, 'to': null::varchar, 'fd': sync_fd, 'res': sync_res, 'bytes': sync_bytes}
    ]) as evidence
  from with_sync
)

select * from final
