-- file_stats: each file's sync calls, and how long they took.
--
-- purpose:    One row per file (a path on a host): how many sync calls of each kind,
--             how many failed, the bytes they made durable and their latency
--             distribution. Slowest p99 first.
--
--             The counts are `counts`' exact ones: the summaries wherever they cover an
--             interval, the raw events where they don't. The quantiles are exact
--             (interpolated) over the raw events when they hold every call of the file;
--             otherwise they are read off the file's half-octave histogram (the summary
--             histograms of the intervals counted from summaries, and the raw calls of
--             the others bucketed as the recorder buckets them) with hist_quantile_ns:
--             within 1.22x, and `approximate` says so.
-- inputs:     counts, events, traces, summary_entries, summary_hist, files, calls
-- parameters: none
-- output:
--   host, path, file_id  the file (file_id is null for '(unknown)')
--   calls                sync calls of every kind
--   by_kind              map from call name (calls.name) to calls
--   errors               calls that failed (res < 0)
--   bytes                bytes written in the intervals its syncs closed
--   p50_ms, p99_ms, max_ms
--                        latency: median, 99th percentile, maximum
--   first_start, last_end
--                        its first raw sync's start and its last raw sync's end (the
--                        ring's span; null when only summaries hold the file)
--   ring_calls           calls the raw ring holds (the recent detail)
--   summarized_calls     calls only the summaries hold
--   approximate          the quantiles come from histograms (summarized calls)
--   file_key             files.file_id, the host's '(unknown)' file included

with

kinds as (
  select file_key, call, sum(calls)::bigint as calls
  from counts
  group by all
),

by_kind as (
  select kinds.file_key, map(list(calls.name order by calls.name), list(kinds.calls::ubigint order by calls.name)) as by_kind
  from kinds
  join calls using (call)
  group by kinds.file_key
),

counted as (
  select
    file_key,
    sum(calls)::bigint as calls,
    sum(errors)::bigint as errors,
    sum(bytes) as bytes,  -- hugeint: a corrupt trace's u64 byte counts must not overflow the sum
    max(max_ns) as max_ns,
    sum(ring_calls)::bigint as ring_calls,
    sum(summarized_only)::bigint as summarized_calls
  from counts
  group by file_key
),

raw_syncs as (
  select events.trace_id, events.file_id as file_key, events.call, events.start, events.dur_ns, events.source
  from events
  where events.type = ft_t_sync()
),

-- Each file's ring span.
raw_files as (
  select
    file_key,
    min(start) filter (where source = 'ring') as first_start,
    make_timestamp_ns(max(epoch_ns(start) + dur_ns) filter (where source = 'ring')) as last_end
  from raw_syncs
  group by file_key
),

-- Files whose raw events hold every call (none summarized only): exact quantiles. The
-- others' come from histograms (below), so their raw calls are not sorted here.
raw_quantiles as (
  select file_key, quantile_cont(dur_ns, [0.5, 0.99]) as quantiles
  from raw_syncs
  anti join counted on counted.file_key = raw_syncs.file_key and counted.summarized_calls > 0
  group by file_key
),

-- The others' histograms: summary histograms where the summary counted the interval ...
summary_buckets_of as (
  select summary_entries.file_id as file_key, summary_hist.bucket, sum(summary_hist.n) as n
  from summary_hist
  join summary_entries using (trace_id, entry)
  semi join counts
    on counts.trace_id = summary_entries.trace_id and counts.file_key = summary_entries.file_id
   and counts.call = summary_entries.call and counts.start = summary_entries.start and counts.from_summary
  where summary_entries.file_id in (select file_key from counted where summarized_calls > 0)
  group by all
),

-- ... and the raw calls, bucketed, where it did not.
raw_buckets_of as (
  select raw_syncs.file_key, hist_bucket(raw_syncs.dur_ns) as bucket, count(*) as n
  from raw_syncs
  join traces using (trace_id)
  anti join counts
    on counts.trace_id = raw_syncs.trace_id and counts.file_key = raw_syncs.file_key and counts.call = raw_syncs.call
   and counts.from_summary
   and counts.start = count_cell(raw_syncs.start, traces.offset_ns, traces.summary_interval_s)
  where raw_syncs.file_key in (select file_key from counted where summarized_calls > 0)
  group by all
),

hist_quantiles as (
  select
    file_key,
    hist_quantile_ns(list({'bucket': bucket, 'n': n}), 0.5) as p50_ns,
    hist_quantile_ns(list({'bucket': bucket, 'n': n}), 0.99) as p99_ns
  from (select * from summary_buckets_of union all select * from raw_buckets_of)
  group by file_key
),

final as (
  select
    files.host,
    files.path,
    case when files.known then files.file_id end as file_id,
    counted.calls,
    by_kind.by_kind,
    counted.errors,
    counted.bytes,
    case when counted.summarized_calls > 0 then hist_quantiles.p50_ns else raw_quantiles.quantiles[1] end / 1e6 as p50_ms,
    case when counted.summarized_calls > 0 then hist_quantiles.p99_ns else raw_quantiles.quantiles[2] end / 1e6 as p99_ms,
    counted.max_ns / 1e6 as max_ms,
    raw_files.first_start,
    raw_files.last_end,
    counted.ring_calls,
    counted.summarized_calls,
    counted.summarized_calls > 0 as approximate,
    counted.file_key
  from counted
  join files on files.file_id = counted.file_key
  join by_kind using (file_key)
  left join raw_files using (file_key)
  left join raw_quantiles using (file_key)
  left join hist_quantiles using (file_key)
  order by p99_ms desc nulls last, files.host, files.path
)

select * from final
