-- alerts: the syncs the recorder raised an alert for (format v2, flag 0x20).
--
-- purpose:    The recorder alerts, as the calls happen, on a sync over its absolute
--             threshold (traces.alert_ms) or over its factor of the file's running p99
--             (traces.alert_factor), at most one alert line per file every few seconds:
--             the others are suppressed (flag 0x40), as is a line whose sink would block.
--             One row per alerted sync the traces hold, from the raw ring or the keep
--             ring (which keeps every alerted sync), in time order.
-- inputs:     intervals, traces
-- parameters: none
-- output:
--   start, start_ns      when the call began
--   host, pid, tid, exe, cmdline   who made it
--   program              the program's name as users know it (traces.name: comm)
--   path, kind           the file and the call
--   latency_ms           how long it took
--   failed, errno        it failed, and how
--   suppressed           its alert line was not written
--   source               'ring' or 'keep'

with

final as (
  select
    intervals.start,
    intervals.start_ns,
    intervals.host,
    intervals.pid,
    intervals.tid,
    traces.exe,
    traces.cmdline,
    traces.name as program,
    intervals.path,
    intervals.kind,
    intervals.latency_ms,
    intervals.failed,
    intervals.errno,
    intervals.alert_suppressed as suppressed,
    intervals.source,
    intervals.trace_id,
    intervals.seq
  from intervals
  join traces using (trace_id)
  where intervals.alerted
  order by intervals.start_ns, intervals.trace_id, intervals.seq
)

select * from final
