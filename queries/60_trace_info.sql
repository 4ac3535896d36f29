-- trace_info: each trace file loaded, and what it held.
--
-- purpose:    One row per trace file: the process it recorded and how complete the
--             record is (records present, records the recorder dropped, a torn end).
-- inputs:     traces, events, summaries, counts, recorder_cost, js_counts, filter_window
-- parameters: none
-- output:
--   trace_id, file       the trace file
--   host, boot_id, pid, ppid, exe, cmdline, name
--                        the process (name: as users know it, comm, beside the resolved exe)
--   stopped              why the recorder stopped recording, null when it did not
--   records              slots holding a record (events and path records)
--   events, syncs        event records; sync events among them
--   dropped              records the recorder could not write
--   torn                 1 when the file ends in a partial record
--   start, finish        from its first event's start to its last event's end in the raw
--                        ring; null when it holds no event
--   version              format version
--   kept                 events only its keep ring holds (format v2)
--   alerts, alerts_suppressed
--                        alert lines written, and not written (header counters)
--   summaries            summary intervals (per file and kind) it holds
--   history_start, history_end
--                        its summarized history (from the trace's creation at the
--                        earliest to its last call at the latest); null without summaries
--   summary_interval_s   length of a summary interval (0 without a summary ring)
--   cost_entries         recorder-cost entries
--   overwritten          ring records written and since overwritten by newer ones
--                        (next_seq - ring_slots); their calls are counted from summaries
--                        where the trace has them
--   calls                sync calls, exact (counts)
--   summarized_only      of those, calls only the summaries hold
--   unaccounted          sync calls the recorder's cost entries count beyond `calls`: calls
--                        the trace proves happened but no summary or record counts any
--                        more (0 when none). A lower bound, exact while the summary ring has
--                        not wrapped: the entries left count no more calls than were made.
--                        0 under --since, --until and --path (the cost entries count every
--                        file's calls, and calls cut away by time look like calls lost: an
--                        interval --until cuts counts its calls before --until alone)
--   uncounted_records    ring records overwritten in a trace with no summaries to count
--                        them (format v1, or FSYNC_TRACE_SUMMARY_SECONDS=0): the calls
--                        among them are in no count, and how many they were is not known
--   kernel               written kernel-side (fsync-record --kernel; header flag 8)
--   alerts_unsent        alert lines no sink could take (header)
--   js_calls             the Node hook's calls, exact (js_counts: its summaries where it has them)
--   js_in_ring           of those, the calls the raw ring still holds
--   js_by_kind           map from kind ('js:fs.fsync', ...) to calls; null without Node calls
--   dir_removed, dir_removed_bytes
--                        traces of ended processes this process removed to keep the
--                        directory under FSYNC_TRACE_DIR_MAX_BYTES, and their bytes

with

spans as (
  select
    trace_id,
    count_if(type = ft_t_sync())::bigint as syncs,
    min(start) as start,
    make_timestamp_ns(max(epoch_ns(start) + dur_ns)) as finish
  from events
  where source = 'ring'
  group by trace_id
),

kept as (
  select trace_id, count(*) as kept
  from events
  where source = 'keep'
  group by trace_id
),

-- Intervals are aligned to the clock, so the first may begin before the trace
-- was made and the last end after its last call: the span is clamped to both.
history as (
  select
    summaries.trace_id,
    count(*) as summaries,
    greatest(min(summaries.start), make_timestamp_ns(any_value(traces.realtime_ns))) as history_start,
    max(summaries.finish) as history_finish
  from summaries
  join traces on traces.trace_id = summaries.trace_id
  group by summaries.trace_id
),

costs as (
  select trace_id, count(*) as cost_entries, sum(sync_calls) as cost_sync_calls
  from recorder_cost
  group by trace_id
),

counted as (
  select
    trace_id,
    sum(calls)::bigint as calls,
    sum(summarized_only)::bigint as summarized_only
  from counts
  group by trace_id
),

-- A thread adds its calls to the cost entry of the interval it is in only every
-- cost_period calls, so an entry may hold calls of any interval before it: the
-- entries are held against every call counted, never against an interval's.
unaccounted as (
  select
    costs.trace_id,
    case
      when filter_window.path_re <> '.*' or filter_window.since_ns <> ft_unbounded_since()
        or filter_window.until_ns <> -ft_unbounded_since() then 0
      else greatest(costs.cost_sync_calls - coalesce(counted.calls, 0), 0)
    end::bigint as unaccounted
  from costs
  left join counted using (trace_id)
  cross join filter_window
),

node as (
  select trace_id, sum(calls)::bigint as js_calls, sum(in_ring)::bigint as js_in_ring, map(list(kind order by kind), list(calls order by kind)) as js_by_kind
  from (select trace_id, kind, sum(calls)::bigint as calls, sum(in_ring)::bigint as in_ring from js_counts group by trace_id, kind)
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
    traces.name,
    traces.stopped,
    traces.records,
    traces.events,
    coalesce(spans.syncs, 0) as syncs,
    traces.dropped,
    traces.torn,
    spans.start,
    spans.finish,
    traces.version,
    coalesce(kept.kept, 0) as kept,
    traces.alerts,
    traces.alerts_suppressed,
    coalesce(history.summaries, 0) as summaries,
    history.history_start,
    case when history.history_finish is not null then coalesce(least(history.history_finish, spans.finish), history.history_finish) end as history_end,
    traces.summary_interval_s,
    coalesce(costs.cost_entries, 0) as cost_entries,
    greatest(traces.next_seq - traces.ring_slots, 0) as overwritten,
    coalesce(counted.calls, 0) as calls,
    coalesce(counted.summarized_only, 0) as summarized_only,
    coalesce(unaccounted.unaccounted, 0) as unaccounted,
    case
      when traces.version < 2 or traces.summary_interval_s = 0 then greatest(traces.next_seq - traces.ring_slots, 0)
      else 0
    end as uncounted_records,
    (traces.flags & ft_h_kernel()) <> 0 as kernel,
    coalesce(traces.alerts_unsent, 0) as alerts_unsent,
    coalesce(traces.dir_removed, 0) as dir_removed,
    coalesce(traces.dir_removed_bytes, 0) as dir_removed_bytes,
    coalesce(node.js_calls, 0) as js_calls,
    coalesce(node.js_in_ring, 0) as js_in_ring,
    node.js_by_kind
  from traces
  left join spans using (trace_id)
  left join kept using (trace_id)
  left join history using (trace_id)
  left join costs using (trace_id)
  left join counted using (trace_id)
  left join unaccounted using (trace_id)
  left join node using (trace_id)
  order by traces.trace_id
)

select * from final
