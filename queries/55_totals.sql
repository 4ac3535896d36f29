-- totals: the whole data set, in one row.
--
-- purpose:    Counts over every trace loaded, for summaries and the report's header;
--             sync counts are added up from file_stats rather than counted again.
-- inputs:     file_stats, trace_info, traces, events, summaries
-- parameters: none
-- output:
--   calls, by_kind, errors  as in file_stats, over all files
--   files                files (host, path) with syncs
--   first_start, last_end   from the first sync's start to the last one's end (null
--                        without syncs)
--   processes            distinct (host, boot_id, pid) among the traces
--   hosts, traces        distinct hosts; trace files
--   ring_calls           calls the raw rings hold (the recent detail; = calls for version 1)
--   kept_calls           calls only the keep rings hold (format v2)
--   alerts_written, alerts_suppressed
--   alerts_unsent        of the suppressed, lines no sink could take (not the rate limit)
--   alerts_fallback      traces whose configured sink was missing (lines went to the
--                        trace directory's fsync-trace-alerts.log)
--                        alert lines the recorders wrote, and alerts they did not write
--                        (traces' header counters; 0 for version 1)
--   alert_calls          calls flagged as alerted among the loaded events
--   summarized_only      calls known from the summaries alone (not in the raw events)
--   unaccounted          calls the traces prove happened but can no longer count
--                        (trace_info.unaccounted; 0 when none)
--   overwritten          ring records rotated away (trace_info.overwritten)
--   uncounted_records, uncounted_traces
--                        ring records overwritten in traces with no summaries to count
--                        them (trace_info.uncounted_records), and how many traces: the
--                        calls among them are in no count
--   history_start, history_end
--                        the summarized history: first interval's start, last one's end,
--                        clamped to the traces' creation and the last call's end
--                        (null without summaries)

with

kinds as (
  select entry.key as kind, sum(entry.value)::bigint as calls
  from (select unnest(map_entries(by_kind)) as entry from file_stats)
  group by entry.key
),

by_kind as (
  select map(list(kind order by kind), list(calls order by kind)) as by_kind
  from kinds
),

syncs as (
  select
    coalesce(sum(calls), 0)::bigint as calls,
    coalesce(sum(errors), 0)::bigint as errors,
    count(*) as files,
    min(first_start) as first_start,
    max(last_end) as last_end
  from file_stats
),

processes as (
  select
    count(distinct host || chr(0) || boot_id || chr(0) || pid) as processes,
    count(distinct host) as hosts,
    count(*) as traces,
    coalesce(sum(alerts), 0)::bigint as alerts_written,
    coalesce(sum(alerts_suppressed), 0)::bigint as alerts_suppressed,
    coalesce(sum(alerts_unsent), 0)::bigint as alerts_unsent,
    count_if(alert_sink = 'fallback-file')::bigint as alerts_fallback
  from traces
),

-- Counted on the events table itself (two small columns), not through intervals' joins.
details as (
  select
    count_if(source = 'ring') as ring_calls,
    count_if(source = 'keep') as kept_calls,
    count_if(flags & ft_f_alert() <> 0) as alert_calls
  from events
  where type = ft_t_sync()
),

accounting as (
  select
    coalesce(sum(summarized_only), 0)::bigint as summarized_only,
    coalesce(sum(unaccounted), 0)::bigint as unaccounted,
    coalesce(sum(overwritten), 0)::bigint as overwritten,
    coalesce(sum(uncounted_records), 0)::bigint as uncounted_records,
    count_if(uncounted_records > 0)::bigint as uncounted_traces
  from trace_info
),

-- Intervals are aligned to the clock: clamped to the traces' creation and the last call.
history as (
  select
    min(greatest(summaries.start, make_timestamp_ns(traces.realtime_ns))) as history_start,
    max(summaries.finish) as history_finish
  from summaries
  join traces on traces.trace_id = summaries.trace_id
),

final as (
  select
    syncs.calls,
    by_kind.by_kind,
    syncs.errors,
    syncs.files,
    syncs.first_start,
    syncs.last_end,
    processes.processes,
    processes.hosts,
    processes.traces,
    details.ring_calls,
    details.kept_calls,
    processes.alerts_written,
    processes.alerts_suppressed,
    processes.alerts_unsent,
    processes.alerts_fallback,
    details.alert_calls,
    history.history_start,
    case when history.history_finish is not null then coalesce(least(history.history_finish, syncs.last_end), history.history_finish) end as history_end,
    accounting.summarized_only,
    accounting.unaccounted,
    accounting.overwritten,
    accounting.uncounted_records,
    accounting.uncounted_traces
  from syncs, by_kind, processes, details, history, accounting
)

select * from final
