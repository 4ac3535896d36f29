-- lint_events: the events the durability rules read, except the syncs of single
-- files (queries/91_lint_syncs.sql), one row each, with what each says about
-- durability.
--
-- purpose:    The durability lint (queries 91-97) asks of every process: which
--             files it created, renamed, wrote without syncing, synced, failed to
--             sync, and which directories it synced. This table holds the open,
--             close, rename, link and unlink events of every trace, and its
--             sync()/syncfs() calls, on numbers: the file, its directory (as a file:
--             the directory's own fsync names it), and a rename's or link's new
--             name and its directory. Names are joined only to the findings
--             (queries 93-96). The syncs of files, most of a trace, stay in the
--             events table (lint_syncs reads them there), so this table is small.
--             `global` is a successful sync or syncfs: it writes back every file
--             (sync(2)).
--             `created`: an open the recorder saw create its file (flag 0x100), or with
--             O_CREAT and O_EXCL (open(2): it fails unless it creates the file; traces
--             from before the flag). `bytes` of a close, and of a rename or link of a
--             file that was open (flag 0x200), is what was written and not synced
--             (FORMAT.md). Link and unlink records are newer than the others: older
--             traces have none.
--             The events --since, --until and --path cut away (events_context) are
--             here too: a rule judges an occurrence in the window on what came before
--             and after it (queries/97_lint.sql keeps the occurrences in the window).
-- inputs:     events, events_context, files, paths, calls
-- parameters: none
-- kept as:    table (the rules read it several times each)
-- output:
--   trace_id, seq                   the event
--   start, tid, fd                  when (wall clock), which thread and descriptor
--   event                           'open', 'close', 'rename', 'link', 'unlink', 'sync'
--                                   or 'syncfs'
--   file_id, dir_id                 the file (files.file_id; for a rename or link, the
--                                   old name) and its directory's file (null when the
--                                   directory was never named on that host); null
--                                   when the event names no known file
--   new_file_id, new_dir_id         a rename's or link's new name, and its directory
--   res, errno                      the return value; -res when it failed
--   bytes                           unsynced bytes (close; rename or link of an open
--                                   file); null otherwise
--   oflags                          an open's flags; null otherwise
--   created, last_close, global     as above
--   at_exit                         a close the recorder wrote at exit (flag 0x400)

with

o as (
  -- open(2) flag bits on Linux (asm-generic/fcntl.h; the same on x86-64 and arm64)
  select 64 as o_creat, 128 as o_excl
),

-- Each known file's directory, as a file of the same host (when one was named).
file_dirs as (
  select files.file_id, dirs.file_id as dir_id
  from files
  left join files as dirs
    on dirs.host = files.host
   and dirs.known
   and dirs.path = coalesce(nullif(regexp_replace(files.path, '/[^/]*$', ''), ''), '/')
  where files.known
),

global_calls as (
  select call, name from calls where name in ('sync', 'syncfs')
),

all_events as (
  select * from events
  union all
  select * from events_context
),

file_events as (
  select events.*, global_calls.name as global_kind
  from all_events as events
  left join global_calls
    on global_calls.call = case when events.type = ft_t_sync() then events.call end
  where events.type in (ft_t_open(), ft_t_close(), ft_t_rename(), ft_t_link(), ft_t_unlink())
     or global_calls.name is not null
),

with_file as (
  select file_events.*, file_dirs.file_id as known_file_id, file_dirs.dir_id
  from file_events
  left join file_dirs using (file_id)
),

with_new_name as (
  select
    with_file.*,
    new_dirs.file_id as new_file_id,
    new_dirs.dir_id as new_dir_id
  from with_file
  left join paths as new_paths
    on new_paths.trace_id = with_file.trace_id
   and new_paths.path_id = case when with_file.type in (ft_t_rename(), ft_t_link()) then with_file.writes end
  left join file_dirs as new_dirs
    on new_dirs.file_id = new_paths.file_id
),

final as (
  select
    trace_id,
    seq,
    start,
    tid,
    fd,
    case
      when type = ft_t_open() then 'open'
      when type = ft_t_close() then 'close'
      when type = ft_t_rename() then 'rename'
      when type = ft_t_link() then 'link'
      when type = ft_t_unlink() then 'unlink'
      else global_kind
    end as event,
    known_file_id as file_id,
    dir_id,
    new_file_id,
    new_dir_id,
    res,
    res_errno(res) as errno,
    case
      when type = ft_t_close() then bytes
      when type in (ft_t_rename(), ft_t_link()) and (flags & ft_f_open_file()) <> 0 then bytes
    end as bytes,
    case when type = ft_t_open() then writes end as oflags,
    type = ft_t_open() and ((flags & ft_f_created()) <> 0
      or (writes & (select o_creat | o_excl from o)) = (select o_creat | o_excl from o)) as created,
    type = ft_t_close() and (flags & ft_f_last_close()) <> 0 as last_close,
    global_kind is not null and res >= 0 as global,
    type = ft_t_close() and (flags & ft_f_at_exit()) <> 0 as at_exit
  from with_new_name
)

select * from final
