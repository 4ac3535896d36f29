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
-- inputs:     lint_events, lint_syncs, lint_made_durable, files
-- parameters: none
-- output:     one row per flagged creation or rename:
--   rule         'dir-not-synced'
--   trace_id, file_id, seq, occurred   the process image, the file (new name) and the event
--   detail       one line
--   evidence     the event and the file's first durable sync after it, or before it
--                when none follows (list of {time, event, path, to, fd, res, bytes})

with

synced_files as (
  select distinct trace_id, file_id from lint_syncs where durable
),

-- a name going away, last time per process and file: renamed from, or unlinked
removed as (
  select trace_id, file_id, max(start) as last_removed
  from lint_events
  where file_id is not null
    and ((event = 'rename' and new_file_id is not null) or event = 'unlink')
  group by all
),

new_names as (
  select
    lint_events.*,
    case when lint_events.new_file_id is not null then lint_events.file_id end as old_file_id,
    case
      when lint_events.event = 'link' then 'linked into'
      when lint_events.event = 'rename' then 'renamed into'
      else 'created in'
    end as how,
    lint_made_durable.file_id as name_id,
    lint_made_durable.dir_id as name_dir_id,
    lint_made_durable.name_durable_at
  from lint_events
  join lint_made_durable using (trace_id, seq)
  where lint_events.created or lint_events.new_file_id is not null
),

lasting as (
  select new_names.*
  from new_names
  left join removed
    on removed.trace_id = new_names.trace_id
   and removed.file_id = new_names.name_id
  where coalesce(removed.last_removed <= new_names.start, true)
),

wanted as (
  select lasting.*
  from lasting
  where exists (
    select 1 from synced_files
    where synced_files.trace_id = lasting.trace_id
      and synced_files.file_id in (lasting.name_id, lasting.old_file_id))
),

not_synced as (
  select *
  from wanted
  where name_durable_at is null
),

-- The evidence: the file's first durable sync (under either name) from the event on,
-- else its last one before.
own_syncs as (
  select lint_syncs.*
  from lint_syncs
  semi join not_synced
    on not_synced.trace_id = lint_syncs.trace_id
   and lint_syncs.file_id in (not_synced.name_id, not_synced.old_file_id)
  where lint_syncs.durable
    and (lint_syncs.file_id in (select name_id from not_synced)
      or lint_syncs.file_id in (select old_file_id from not_synced))
),

-- Each flagged event under either of its file's names.
names_of as (
  select trace_id, seq, start, name_id as file_id from not_synced
  union all
  select trace_id, seq, start, old_file_id from not_synced where old_file_id is not null
),

sync_after as (
  select names_of.trace_id, names_of.seq, own_syncs.seq as sync_seq, own_syncs.start as sync_start
  from names_of
  asof join own_syncs
    on own_syncs.trace_id = names_of.trace_id
   and own_syncs.file_id = names_of.file_id
   and names_of.start <= own_syncs.start
),

sync_before as (
  select names_of.trace_id, names_of.seq, own_syncs.seq as sync_seq, own_syncs.start as sync_start
  from names_of
  asof join own_syncs
    on own_syncs.trace_id = names_of.trace_id
   and own_syncs.file_id = names_of.file_id
   and names_of.start > own_syncs.start
),

file_sync as (
  select trace_id, seq, arg_min(sync_seq, row(after, distance)) as sync_seq
  from (
    select *, false as after, epoch_ns(sync_start) as distance from sync_after
    union all
    select *, true as after, -epoch_ns(sync_start) as distance from sync_before
  )
  group by trace_id, seq
),

with_sync as (
  select
    not_synced.*,
    syncs.start as sync_start,
    syncs.event as sync_event,
    syncs.file_id as sync_file_id,
    syncs.fd as sync_fd,
    syncs.res as sync_res,
    syncs.bytes as sync_bytes
  from not_synced
  join file_sync using (trace_id, seq)
  join own_syncs as syncs
    on syncs.trace_id = file_sync.trace_id
   and syncs.seq = file_sync.sync_seq
),

named as (
  select
    with_sync.*,
    names.path,
    old_names.path as old_path,
    coalesce(nullif(regexp_replace(names.path, '/[^/]*$', ''), ''), '/') as dir,
    sync_names.path as sync_path
  from with_sync
  join files as names on names.file_id = with_sync.name_id
  left join files as old_names on old_names.file_id = with_sync.old_file_id
  join files as sync_names on sync_names.file_id = with_sync.sync_file_id
),

final as (
  select
    'dir-not-synced' as rule,
    trace_id,
    name_id as file_id,
    seq,
    start as occurred,
    format('{} {} {}, a directory this process never synced afterwards', path, how, dir) as detail,
    list_sort([
      {'time': start, 'event': event, 'path': coalesce(old_path, path), 'to': case when old_path is not null then path end, 'fd': fd, 'res': res, 'bytes': null::ubigint},
      {'time': sync_start, 'event': sync_event, 'path': sync_path, 'to': null::varchar, 'fd': sync_fd, 'res': sync_res, 'bytes': sync_bytes}
    ]) as evidence
  from named
)

select * from final
