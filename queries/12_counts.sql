-- counts: the exact number of sync calls per trace, file, call kind and interval.
--
-- purpose:    The recorder's summaries count every call (recorders/FORMAT.md, "The
--             summary ring"); the raw ring keeps only the newest records and the keep
--             ring a biased few. So, per cell (trace, file, call kind, summary interval),
--             the calls are the summary's count, or the raw events' where they are more
--             (no summary: format v1, summaries off, an entry overwritten or skipped
--             half-written). A raw event is in the cell of the interval that holds its
--             monotonic start (count_cell); without summaries, cells are 60 s. Errors, bytes and
--             writes come from the same side as the count (the macro from_summary, which
--             59_js_counts also counts the Node hook's calls by).
-- inputs:     events, summary_entries, traces, calls
-- parameters: none
-- kept as:    table (file_stats, totals and daily read it; a row per cell)
-- output:     one row per (trace_id, file_key, call, start):
--   trace_id, file_key, call   the trace, file (files.file_id, '(unknown)' included), kind
--   start                      the interval's wall-clock start
--   calls                      sync calls: greatest(summary_calls, raw_calls)
--   errors, bytes, writes      failed calls; bytes and writes they made durable
--   max_ns                     the largest latency
--   summary_calls              calls the summaries count (0 without one)
--   raw_calls, ring_calls      raw events: the ring's and the keep ring's own; the ring's
--   summarized_only            calls the ring does not hold, known from the summaries:
--                              calls - ring_calls where the summary counts (0 elsewhere)
--   from_summary               the counts are the summary's

with

raw as (
  select
    events.trace_id,
    events.file_id as file_key,
    events.call,
    count_cell(events.start, traces.offset_ns, traces.summary_interval_s) as start,
    count(*) as raw_calls,
    count_if(events.source = 'ring') as ring_calls,
    count_if(events.res < 0) as errors,
    sum(case when calls.has_interval and (events.flags & ft_f_no_interval()) = 0 then events.bytes else 0 end) as bytes,
    sum(case when calls.has_interval and (events.flags & ft_f_no_interval()) = 0 then events.writes else 0 end) as writes,
    max(events.dur_ns) as max_ns
  from events
  join traces using (trace_id)
  join calls using (call)
  where events.type = ft_t_sync()
  group by all
),

summarized as (
  select
    trace_id,
    file_id as file_key,
    call,
    start,
    sum(calls) as summary_calls,
    sum(errors) as errors,
    sum(bytes) as bytes,
    sum(writes) as writes,
    max(max_ns) as max_ns
  from summary_entries
  group by all
),

joined as (
  select
    trace_id, file_key, call, start,
    coalesce(summarized.summary_calls, 0)::bigint as summary_calls,
    coalesce(raw.raw_calls, 0)::bigint as raw_calls,
    coalesce(raw.ring_calls, 0)::bigint as ring_calls,
    from_summary(summarized.summary_calls, raw.raw_calls) as from_summary,
    summarized.errors as s_errors, summarized.bytes as s_bytes, summarized.writes as s_writes, summarized.max_ns as s_max_ns,
    raw.errors as r_errors, raw.bytes as r_bytes, raw.writes as r_writes, raw.max_ns as r_max_ns
  from summarized
  full join raw using (trace_id, file_key, call, start)
),

final as (
  select
    trace_id,
    file_key,
    call,
    start,
    greatest(summary_calls, raw_calls) as calls,
    (case when from_summary then s_errors else r_errors end)::bigint as errors,
    case when from_summary then s_bytes else r_bytes end as bytes,  -- hugeint: corrupt u64 counts must not overflow
    (case when from_summary then s_writes else r_writes end)::bigint as writes,
    greatest(s_max_ns, r_max_ns::ubigint) as max_ns,
    summary_calls,
    raw_calls,
    ring_calls,
    case when from_summary then summary_calls - ring_calls else 0 end as summarized_only,
    from_summary
  from joined
)

select * from final
