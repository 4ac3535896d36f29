-- trace_info: each trace file loaded, and what it held.
--
-- purpose:    One row per trace file: the process it recorded and how complete the
--             record is (records present, records the recorder dropped, a torn end).
-- inputs:     traces, events
-- parameters: none
-- output:
--   trace_id, file       the trace file
--   host, boot_id, pid, ppid, exe, cmdline
--                        the process
--   records              slots holding a record (events and path records)
--   events, syncs        event records; sync events among them
--   dropped              records the recorder could not write
--   torn                 1 when the file ends in a partial record
--   start, finish        from its first event's start to its last event's end; null
--                        when it holds no event

with

spans as (
  select
    trace_id,
    count_if(type = 3)::bigint as syncs,
    min(start) as start,
    make_timestamp_ns(max(epoch_ns(start) + dur_ns)) as finish
  from events
  group by trace_id
),

final as (
  select
    traces.trace_id,
    traces.file,
    traces.host,
    traces.boot_id,
    traces.pid,
    traces.ppid,
    traces.exe,
    traces.cmdline,
    traces.records,
    traces.events,
    coalesce(spans.syncs, 0) as syncs,
    traces.dropped,
    traces.torn,
    spans.start,
    spans.finish
  from traces
  left join spans using (trace_id)
  order by traces.trace_id
)

select * from final
