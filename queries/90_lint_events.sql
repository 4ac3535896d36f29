-- lint_events: the events the durability rules read, one row each, with what
-- each says about durability.
--
-- purpose:    The durability lint (queries 91-95) asks of every process: which
--             files it created, renamed, wrote without syncing, synced, failed to
--             sync, and which directories it synced. This view puts the open, close,
--             rename and sync events of every trace in one shape, with the file's
--             path and directory, and the new name of a renamed file.
--             `durable` is a successful call that makes one file's data durable:
--             fsync, fdatasync, an O_SYNC/O_DSYNC write, a RWF_*SYNC write (the kinds
--             that close a write interval); sync_file_range and msync do not (they
--             start or cover only part of the writeback, FORMAT.md). `global` is a
--             successful sync or syncfs: it writes back every file (sync(2)).
--             `failed` is a failed durable-kind call whose error says the data may be
--             lost: not EBADF, EINVAL or EROFS (fsync(2): the descriptor cannot be
--             synced at all, nothing was written back), nor EINTR.
--             `created`: an open the recorder saw create its file (flag 0x100), or with
--             O_CREAT and O_EXCL (open(2): it fails unless it creates the file; traces
--             from before the flag). `bytes` of a close, and of a rename or link of a
--             file that was open (flag 0x200), is what was written and not synced
--             (FORMAT.md). Link and unlink records are newer than the others: older
--             traces have none.
-- inputs:     events, traces, files, paths, calls
-- parameters: none
-- kept as:    view
-- output:
--   trace_id, seq, host, pid, exe   the event and its process
--   start, tid, fd                  when (wall clock), which thread and descriptor
--   event                           'open', 'close', 'rename', 'link', 'unlink' or the
--                                   sync kind's name
--   file_id, path, dir              the file (files.file_id), its path and directory;
--                                   for a rename or link, the old name
--   new_file_id, new_path, new_dir  a rename's or link's new name; null otherwise
--   res, errno                      the return value; -res when it failed
--   bytes                           unsynced bytes (close; rename or link of an open
--                                   file); bytes made durable (a durable sync); null
--                                   otherwise
--   oflags                          an open's flags; null otherwise
--   created, last_close, durable, global, failed, syncs_file   as above;
--                                   syncs_file: a sync call on this file, of any kind
--   at_exit                         a close the recorder wrote at exit (flag 0x400)

with

o as (
  -- open(2) flag bits on Linux (asm-generic/fcntl.h; the same on x86-64 and arm64)
  select 64 as o_creat, 128 as o_excl
),

not_lost as (
  -- errnos of a failed sync that say nothing was lost: EINTR 4, EBADF 9, EINVAL 22, EROFS 30
  select [4, 9, 22, 30] as errnos
),

file_events as (
  select *
  from events
  where type in (ft_t_open(), ft_t_close(), ft_t_rename(), ft_t_link(), ft_t_unlink(), ft_t_sync())
),

with_process as (
  select file_events.*, traces.host, traces.pid, traces.exe
  from file_events
  join traces using (trace_id)
),

with_file as (
  select with_process.*, files.path, files.known
  from with_process
  join files using (file_id)
),

with_new_name as (
  select
    with_file.*,
    new_files.file_id as new_file_id,
    new_files.path as new_path
  from with_file
  left join paths as new_paths
    on with_file.type in (ft_t_rename(), ft_t_link())
   and new_paths.trace_id = with_file.trace_id
   and new_paths.path_id = with_file.writes
  left join files as new_files
    on new_files.file_id = new_paths.file_id
   and new_files.known
),

with_kind as (
  select
    with_new_name.*,
    calls.name as kind,
    coalesce(calls.has_interval, false) as durable_kind
  from with_new_name
  left join calls
    on with_new_name.type = ft_t_sync()
   and calls.call = with_new_name.call
),

final as (
  select
    trace_id,
    seq,
    host,
    pid,
    exe,
    start,
    tid,
    fd,
    case
      when type = ft_t_open() then 'open'
      when type = ft_t_close() then 'close'
      when type = ft_t_rename() then 'rename'
      when type = ft_t_link() then 'link'
      when type = ft_t_unlink() then 'unlink'
      else kind
    end as event,
    case when known then file_id end as file_id,
    case when known then path end as path,
    case when known then coalesce(nullif(regexp_replace(path, '/[^/]*$', ''), ''), '/') end as dir,
    new_file_id,
    new_path,
    coalesce(nullif(regexp_replace(new_path, '/[^/]*$', ''), ''), '/') as new_dir,
    res,
    case when res < 0 and res > -2147483648 then -res end as errno,  -- a corrupt record may hold INT_MIN: no errno, and no overflow
    case
      when type = ft_t_close() then bytes
      when type in (ft_t_rename(), ft_t_link()) and (flags & ft_f_open_file()) <> 0 then bytes
      when durable_kind and (flags & ft_f_no_interval()) = 0 then bytes
    end as bytes,
    case when type = ft_t_open() then writes end as oflags,
    type = ft_t_open() and ((flags & ft_f_created()) <> 0
      or (writes & (select o_creat | o_excl from o)) = (select o_creat | o_excl from o)) as created,
    type = ft_t_close() and (flags & ft_f_last_close()) <> 0 as last_close,
    durable_kind and res >= 0 and known as durable,
    kind in ('sync', 'syncfs') and res >= 0 as global,
    durable_kind and res < 0 and known and not list_contains((select errnos from not_lost), -res) as failed,
    type = ft_t_sync() and known and kind not in ('sync', 'syncfs') as syncs_file,
    type = ft_t_close() and (flags & ft_f_at_exit()) <> 0 as at_exit
  from with_kind
)

select * from final
