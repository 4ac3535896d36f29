-- lint_made_durable: when the data or the name an event put at risk was next made
-- durable, if ever.
--
-- purpose:    Three rules (queries 93-95) ask one question of an event: did a sync
--             follow it? A close with unsynced bytes, an open that created a file,
--             a rename or a link each leave something a crash would lose until a
--             sync: the file's data (made durable by a later successful fsync,
--             fdatasync or sync write of the file by any process, since writes are
--             the file's, not the descriptor's), or its name in its directory (by a
--             later durable sync of the directory by this process). A sync() or
--             syncfs() by this process writes back both. The answer is the first
--             such call after the event (strictly later), found by ASOF joins on
--             numbers, so a process that syncs a million times costs a sort, not a
--             million comparisons per event.
-- inputs:     lint_events, lint_syncs
-- parameters: none
-- output:     one row per close with unsynced bytes, creating open, rename and link
--             of a known file:
--   trace_id, seq, start, event   the event (lint_events)
--   file_id, dir_id      the file it concerns (a rename's or link's new name) and that
--                        name's directory (null when the directory was never named)
--   file_synced_at       the first durable sync of the file by any process after it
--   dir_synced_at        the first durable sync of the directory by this process after it
--   global_synced_at     the first sync()/syncfs() by this process after it
--   data_durable_at      the earlier of file_synced_at and global_synced_at: when its
--                        data was next made durable (null: never, in the data loaded)
--   name_durable_at      the earlier of dir_synced_at and global_synced_at

with

candidates as (
  select
    trace_id, seq, start, event,
    coalesce(new_file_id, file_id) as file_id,
    case when new_file_id is not null then new_dir_id else dir_id end as dir_id
  from lint_events
  where file_id is not null
    and ((event = 'close' and bytes > 0)
      or created
      or (event in ('rename', 'link') and new_file_id is not null))
),

-- Only the syncs of files and directories some candidate concerns.
syncs as (
  select trace_id, file_id, start
  from lint_syncs
  where durable
    and (file_id in (select file_id from candidates) or file_id in (select dir_id from candidates))
),

global_syncs as (
  select trace_id, start
  from lint_events
  where global
),

file_synced as (
  select candidates.trace_id, candidates.seq, syncs.start as file_synced_at
  from candidates
  asof left join syncs
    on syncs.file_id = candidates.file_id
   and candidates.start < syncs.start
),

dir_synced as (
  select candidates.trace_id, candidates.seq, syncs.start as dir_synced_at
  from candidates
  asof left join syncs
    on syncs.trace_id = candidates.trace_id
   and syncs.file_id = candidates.dir_id
   and candidates.start < syncs.start
),

global_synced as (
  select candidates.trace_id, candidates.seq, global_syncs.start as global_synced_at
  from candidates
  asof left join global_syncs
    on global_syncs.trace_id = candidates.trace_id
   and candidates.start < global_syncs.start
),

final as (
  select
    candidates.*,
    file_synced_at,
    dir_synced_at,
    global_synced_at,
    least(file_synced_at, global_synced_at) as data_durable_at,
    least(dir_synced_at, global_synced_at) as name_durable_at
  from candidates
  join file_synced using (trace_id, seq)
  join dir_synced using (trace_id, seq)
  join global_synced using (trace_id, seq)
)

select * from final
