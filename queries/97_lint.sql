-- lint: durability findings, one per (rule, file family, process), with a count.
--
-- purpose:    The four rules of queries 93-96 flag single events; a program that
--             makes a mistake makes it every time, so one finding per rule, file
--             family (queries/18_families.sql: rotating and temporary names taken
--             as one) and process (host, pid, executable) keeps the list short.
--             The finding shows its first occurrence: when, which file, the detail
--             line and the evidence (the events, with times); `count` says how
--             often it happened, `last` when it last did. The rules read every event
--             loaded, those --since, --until and --path cut away included
--             (events_context); the filters choose which occurrences count
--             (filter_window), so a rename in the window is judged with the close
--             before it, and a close with the sync after the window. The processes
--             --pid, --exe and --host leave out are not loaded at all: a sync another
--             process made is then not seen.
-- inputs:     lint_rename_before_sync, lint_dir_not_synced, lint_unsynced_at_close, lint_write_after_failed_sync, families, traces, files, filter_window
-- parameters: none
-- output:     one row per finding, by rule, host, pid and time:
--   rule               'rename-before-sync', 'dir-not-synced', 'unsynced-at-close'
--                      or 'write-after-failed-sync'
--   host, pid, exe     the process
--   family             the file family (the path itself for a family of one)
--   path               the file of the first occurrence
--   first_at, last_at  the first and last occurrence (wall clock)
--   count              occurrences
--   files              distinct files among them
--   detail             the first occurrence's line
--   evidence           its events: list of {time, event, path, to, fd, res, bytes}

with

occurrences as (
  select * from lint_rename_before_sync
  union all by name
  select * from lint_dir_not_synced
  union all by name
  select * from lint_unsynced_at_close
  union all by name
  select * from lint_write_after_failed_sync
),

with_names as (
  select
    occurrences.*,
    traces.host,
    traces.pid,
    traces.exe,
    files.path,
    families.family_id,
    families.family
  from occurrences
  join traces using (trace_id)
  join files using (file_id)
  join families using (file_id)
),

in_window as (
  select with_names.*
  from with_names, filter_window
  where epoch_ns(with_names.occurred) >= filter_window.since_ns
    and epoch_ns(with_names.occurred) < filter_window.until_ns
    and regexp_full_match(with_names.path, filter_window.path_re)
),

grouped as (
  select
    rule,
    host,
    pid,
    exe,
    family_id,
    any_value(family) as family,
    arg_min(path, row(occurred, seq)) as path,
    min(occurred) as first_at,
    max(occurred) as last_at,
    count(*) as count,
    count(distinct file_id) as files,
    arg_min(detail, row(occurred, seq)) as detail,
    arg_min(evidence, row(occurred, seq)) as evidence
  from in_window
  group by rule, host, pid, exe, family_id
),

final as (
  select rule, host, pid, exe, family, path, first_at, last_at, count, files, detail, evidence
  from grouped
  order by rule, host, pid, first_at, family
)

select * from final
