-- bursts: what a burst of syncs of many files is judged against when those files have
-- no history of their own.
--
-- purpose:    A process that syncs many files at once (PostgreSQL's checkpointer:
--             a hundred relation files, each once; a package manager unpacking) leaves
--             the files' families with nothing outside the burst to compare with: the
--             'recording' baseline leaves a call's neighbourhood out, and the burst is
--             all in it. The calls' own kind is the rest of the burst: for each process
--             (trace), call kind and time bucket ($bucket_ns), the process's syncs of
--             that kind in the bucket and $near buckets either side whose families have
--             no baseline either (queries/20_baselines.sql), any file, as a latency
--             histogram. Calls of files that have a baseline of their own (a WAL synced
--             all along) are never part of it: no file's normal is borrowed for another
--             that has history. queries/25_verdicts.sql judges a call whose family
--             has no baseline against it, less the call itself, when at least
--             $min_history others remain ('burst'): the odd call out of a checkpoint is
--             slow; a burst slow throughout is found against the family's own history,
--             once it has some (the next checkpoint is judged against this one).
--             Successful syncs from the raw ring only (kept events are a biased sample).
-- inputs:     intervals, families, baselines
-- parameters: $bucket_ns, $near
-- output:     one row per (trace_id, call, bucket) with syncs:
--   trace_id, call, bucket   the process, the call kind, start_ns // $bucket_ns
--   peers                successful ring syncs of that kind around it with no family
--                        baseline (itself included)
--   hist                 their latencies: a list of {'bucket': hist_bucket, 'n': count}
--   mean_bytes           their mean bytes per sync

with

-- The syncs of files whose family has no baseline for them.
syncs as (
  select i.trace_id, i.call, i.start_ns // $bucket_ns as bucket, hist_bucket(i.dur_ns) as hbucket, i.bytes, i.failed, i.source
  from intervals as i
  join families using (file_id)
  join baselines as b on b.family_id = families.family_id and b.call = i.call and b.bucket = i.start_ns // $bucket_ns
  where b.source is null
),

targets as (
  select distinct trace_id, call, bucket
  from syncs
),

binned as (
  select trace_id, call, bucket, hbucket, count(*) as n, sum(bytes::double) as bytes_sum, count(bytes) as bytes_n
  from syncs
  where not failed and source = 'ring'
  group by all
),

-- Each bucket with syncs, and what the process synced of that kind from $near buckets
-- before it to $near after.
around as (
  select targets.trace_id, targets.call, targets.bucket, binned.hbucket,
    sum(binned.n)::bigint as n, sum(binned.bytes_sum) as bytes_sum, sum(binned.bytes_n) as bytes_n
  from targets
  join binned
    on binned.trace_id = targets.trace_id and binned.call = targets.call
   and binned.bucket between targets.bucket - $near and targets.bucket + $near
  group by all
),

final as (
  select
    trace_id,
    call,
    bucket,
    sum(n)::bigint as peers,
    list({'bucket': hbucket, 'n': n}) as hist,
    sum(bytes_sum) / nullif(sum(bytes_n), 0) as mean_bytes
  from around
  group by all
)

select * from final
