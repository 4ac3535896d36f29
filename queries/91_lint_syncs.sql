-- lint_syncs: the sync calls on named files, as the durability rules read them.
--
-- purpose:    Most of a trace is syncs of files; the rules ask few questions of
--             them (was this file made durable after that moment; did a sync on
--             it fail), so they are read from the events table where they are
--             rather than copied (with those the filters cut away: events_context).
--             sync() and syncfs() are in lint_events.
--             `durable` is a successful call that makes one file's data durable:
--             fsync, fdatasync, an O_SYNC/O_DSYNC write, a RWF_*SYNC write (the kinds
--             that close a write interval); sync_file_range and msync do not (they
--             start or cover only part of the writeback, FORMAT.md).
--             `failed` is a failed durable-kind call whose error says the data may be
--             lost: not EBADF, EINVAL or EROFS (fsync(2): the descriptor cannot be
--             synced at all, nothing was written back), nor EINTR.
-- inputs:     events, events_context, files, calls
-- parameters: none
-- kept as:    view (a filter of the events tables)
-- output:     one row per sync call of a known file, of any kind but sync and syncfs:
--   trace_id, seq, start, fd   the call
--   event                the kind's name ('fsync', 'fdatasync', ...)
--   file_id              the file (files.file_id)
--   res, errno           the return value; -res when it failed
--   bytes                the bytes it made durable (a durable kind that closed a write
--                        interval), else null
--   durable, failed      as above

with

not_lost as (
  -- errnos of a failed sync that say nothing was lost: EINTR 4, EBADF 9, EINVAL 22, EROFS 30
  select [4, 9, 22, 30] as errnos
),

file_calls as (
  select call, name, has_interval from calls where name not in ('sync', 'syncfs')
),

all_events as (
  select * from events
  union all
  select * from events_context
),

syncs as (
  select events.*, file_calls.name, file_calls.has_interval
  from all_events as events
  join file_calls using (call)
  semi join files on files.file_id = events.file_id and files.known
  where events.type = ft_t_sync()
),

final as (
  select
    trace_id,
    seq,
    start,
    fd,
    name as event,
    file_id,
    res,
    res_errno(res) as errno,
    case when has_interval and (flags & ft_f_no_interval()) = 0 then bytes end as bytes,
    has_interval and res >= 0 as durable,
    has_interval and res < 0 and not list_contains((select errnos from not_lost), coalesce(res_errno(res), 0)) as failed
  from syncs
)

select * from final
