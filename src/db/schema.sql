-- The tables the loader fills from decoded trace files (src/db/load.ts).
-- Everything in queries/ is derived from these.
--
-- Times: `events.start` is wall-clock time, derived from the trace's clock
-- anchors: realtime_ns + (start_ns - monotonic_ns); `traces.offset_ns` is
-- realtime_ns - monotonic_ns, to turn other monotonic fields into wall time.

-- One row per trace file: one process image.
create or replace table traces (
  trace_id          integer,   -- 1, 2, ... in load order
  file              varchar,   -- absolute path of the trace file
  size              bigint,    -- bytes
  host              varchar,
  boot_id           varchar,
  pid               integer,
  ppid              integer,
  uid               bigint,
  exe               varchar,
  cmdline           varchar,   -- arguments joined by spaces
  cmdline_truncated boolean,
  flags             integer,   -- 1 ended normally, 2 fork child, 4 recording disabled
  recorder_version  varchar,
  ring_slots        bigint,
  next_seq          bigint,
  dropped           bigint,    -- records the recorder could not write
  max_bytes         bigint,
  realtime_ns       bigint,    -- CLOCK_REALTIME ...
  monotonic_ns      bigint,    -- ... at this CLOCK_MONOTONIC instant
  offset_ns         bigint,    -- realtime_ns - monotonic_ns
  records           bigint,    -- slots holding a record
  events            bigint,    -- event records (sync, open, close, rename)
  torn              integer,   -- 1 when the file ends in a partial record
  incomplete_paths  integer,
  unnamed_events    integer,
  newer_than_header integer,
  -- format version 2 (0 or null-free defaults in version 1 files)
  version            integer,   -- the file's format version
  summary_interval_s integer,   -- length of a summary interval; 0 without a summary ring
  kept_events        bigint,    -- events read from the keep ring (copies of ring events included)
  kept_in_ring       bigint,    -- of those, copies of events the ring still holds (not loaded twice)
  summary_entries    bigint,    -- summary-ring entries read (summaries and recorder cost)
  incomplete_entries bigint,    -- entries skipped half-written
  names_dropped      bigint,    -- paths that did not fit in the names region
  alerts             bigint,    -- alert lines the recorder wrote
  alerts_suppressed  bigint,    -- alerts not written (rate limit, or a sink that would block)
  alert_ms           integer,   -- absolute alert threshold; 0 off
  alert_factor       integer,   -- relative rule: this many times the file's running p99; 0 off
  alert_sink         varchar,   -- off, syslog, stderr, file, fallback-file (the configured sink was missing)
  name               varchar,   -- the program's name as users know it: comm (the name it was exec'd by), else exe's base name
  stopped            varchar,   -- why recording stopped (header flag 4), e.g. 'the file system is full (ENOSPC)'; null when it did not
  alerts_unsent      bigint,    -- of alerts_suppressed, the lines no sink could take (not the rate limit)
  dir_removed        bigint,    -- traces of ended processes this process removed to keep the directory's
  dir_removed_bytes  bigint     -- budget (FSYNC_TRACE_DIR_MAX_BYTES), and their allocated bytes
);

-- One row per path record: a trace's path id names a file. The loader resolves
-- every event's and summary's path id to a file id (events.file_id), so queries
-- group and join on numbers and name files only at the end.
create or replace table paths (
  trace_id integer,
  path_id  uinteger,
  file_id  integer,   -- the file (host, path) across traces: files.file_id
  path     varchar,
  dev      ubigint,   -- st_dev when the file was named
  ino      ubigint
);

-- One row per file: a path on a host, whichever processes used it; and one per
-- host, '(unknown)', for the calls whose file has no name (known false).
create or replace table files (
  file_id integer,
  host    varchar,
  path    varchar,   -- '(unknown)' when not known
  dev     ubigint,   -- st_dev when the file was first named (null when not known)
  known   boolean
);

-- One row per event record, in sequence order within each trace.
create or replace table events (
  trace_id      integer,
  seq           bigint,
  type          utinyint,      -- 3 sync, 4 open, 5 close, 6 rename (event_types)
  call          utinyint,      -- sync kind (calls), 0 for other events
  flags         usmallint,
  start         timestamp_ns,  -- wall-clock time the call began
  dur_ns        bigint,
  tid           uinteger,
  fd            integer,
  file_id       integer,       -- files.file_id: the host's '(unknown)' file when the call had
                               -- no file or its name was lost
  res           integer,       -- return value, or -errno
  bytes         ubigint,       -- meaning depends on the record: recorders/FORMAT.md
  writes        uinteger,
  write_us      uinteger,
  ival_start_ns ubigint,       -- monotonic; wall = ival_start_ns + traces.offset_ns
  source        enum('ring', 'keep')  -- the raw ring, or only the keep ring (format v2; a kept
                                      -- copy of a ring event is not loaded again). A kept event's
                                      -- seq is -(1 + its keep-ring sequence number)
);

-- The events the row filters (--since, --until, --path: src/db/filter.ts) cut away,
-- kept for the durability lint alone: a rule judges an occurrence inside the window
-- on what came before and after it (the close before a rename, the sync after a
-- close), so a filter cannot make a false finding. Empty without those filters.
create or replace table events_context as select * from events limit 0;

-- The row filters applied, one row: occurrences from since_ns (inclusive) to until_ns
-- (exclusive), ns since the epoch, on files whose path matches path_re. Open bounds
-- (ft_unbounded_since(), its negation) and '.*' without filters.
create or replace table filter_window (
  since_ns bigint,
  until_ns bigint,
  path_re  varchar
);
create or replace macro ft_unbounded_since() as -4611686018427387904;
insert into filter_window values (ft_unbounded_since(), -ft_unbounded_since(), '.*');

-- The Node hook's calls (record type 12, recorders/node): one row per JavaScript call of a
-- sync API, as the program saw it. Not sync calls: `events` holds the system calls under them
-- (queries/56_js_waits.sql pairs the two).
create or replace table js_calls (
  trace_id integer,
  seq      bigint,
  api      utinyint,      -- js_apis.api
  flags    usmallint,     -- 2 the descriptor was named through /proc, 8 the file could not be named,
                          -- 16 timed from its system call (older traces only: no hook sets it now),
                          -- 32 the trace's making left out of its wait, 64 the site inherited,
                          -- 128 linked to its system call (link_ns)
  start    timestamp_ns,  -- wall-clock time the program made the call
  dur_ns   bigint,        -- how long it waited: to its callback, its promise settling, or its return
  tid      uinteger,      -- the JavaScript thread
  fd       integer,       -- -1 when the call named a file (writeFile by path)
  file_id  integer,       -- files.file_id, as in events
  res      integer,       -- 0, or -errno of the error the program got
  bytes    ubigint,       -- the data a writeFile/appendFile wrote, else 0
  site_id  uinteger,      -- js_sites.site_id; 0 when the call site was not captured
  made_ns  ubigint,       -- with flag 32, the trace's making left out of dur_ns (0 in older traces)
  link_ns  uinteger       -- with flag 128 (linked): how long after the call's start the system call
                          -- that did its work started, mod 2^32 ns (its sync: same trace and fd, the
                          -- first with start = start + link_ns + k * 2^32, k >= 0); 0 otherwise
);

-- The call sites the Node hook named: 'file:line' (the first frame outside Node's own
-- code; 'app.js:7 > node_modules/pkg/x.js:12' when that is in a package).
create or replace table js_sites (
  trace_id integer,
  site_id  uinteger,
  site     varchar
);

-- The hook's APIs: `kind` is the name the analyzer uses ('js:fs.fsync'); `form` is
-- 'callback', 'promise', 'sync' or 'stream'; `flush` marks the writeFile/appendFile/stream
-- forms; `syscall` is the sync call Node makes for it (calls.name).
create or replace table js_apis (
  api     utinyint,
  name    varchar,
  kind    varchar,
  form    varchar,
  flush   boolean,
  syscall varchar
);

-- Format v2: one row per summary-ring entry (recorders/FORMAT.md, "The summary ring"):
-- per interval, file and call kind. One (interval, file, kind) may have several entries;
-- queries/15_summaries.sql adds them up and names the file.
create or replace table summary_entries (
  trace_id          integer,
  entry             bigint,        -- the entry's number in its trace
  call              utinyint,      -- sync kind (calls)
  path_id           uinteger,      -- 0 when the calls had no file
  file_id           integer,       -- files.file_id, as in events
  start             timestamp_ns,  -- wall-clock start of the interval
  calls             uinteger,
  errors            uinteger,
  alerts            uinteger,
  sum_ns            ubigint,
  max_ns            ubigint,
  bytes             ubigint,
  writes            uinteger,
  kept              uinteger
);

-- The Node hook's calls in the summary ring (format v2): per interval, file and API, every
-- call counted, after the raw ring has gone round too. The columns of summary_entries;
-- `call` is the API (js_apis.api) and the latency the program's wait; alerts, writes and
-- kept are 0. queries/59_js_counts.sql adds them up.
create or replace table js_summary_entries as from summary_entries limit 0;

-- The entries' latency histograms, long format: one row per non-empty bucket.
create or replace table summary_hist (
  trace_id integer,
  entry    bigint,      -- summary_entries.entry
  call     utinyint,
  path_id  uinteger,
  start    timestamp_ns,
  bucket   utinyint,    -- 0..55: summary_buckets
  n        usmallint
);

-- Format v2: the recorder's measure of its own cost, one row per cost entry.
create or replace table recorder_cost (
  trace_id   integer,
  start      timestamp_ns,  -- wall-clock start of the interval
  period     uinteger,      -- one call in this many was measured
  samples    uinteger,      -- calls measured
  sampled_ns ubigint,       -- recorder time in those calls, the real call excluded
  calls      ubigint,       -- intercepted calls
  sync_ns    ubigint,       -- time spent in sync calls
  sync_calls ubigint
);

-- Names of the sync call kinds: the by_kind keys.
create or replace table calls (
  call         utinyint,
  name         varchar,
  has_interval boolean   -- closes a write interval: bytes/writes/write_us/ival_start_ns hold it
);

create or replace table event_types (
  type utinyint,
  name varchar
);

-- Constants of recorders/FORMAT.md (ft_format.h's names), for the queries: record
-- types (FT_T_*) and event flags (FT_F_*).
create or replace macro ft_t_sync() as 3::utinyint;
create or replace macro ft_t_open() as 4::utinyint;
create or replace macro ft_t_close() as 5::utinyint;
create or replace macro ft_t_rename() as 6::utinyint;
create or replace macro ft_t_link() as 10::utinyint;
create or replace macro ft_t_unlink() as 11::utinyint;
create or replace macro ft_t_js() as 12::utinyint;
create or replace macro ft_f_write_time_sampled() as 1;
create or replace macro ft_f_fd_resolved() as 2;
create or replace macro ft_f_no_interval() as 4;
create or replace macro ft_f_path_unknown() as 8;
create or replace macro ft_f_last_close() as 16;
create or replace macro ft_f_alert() as 32;
create or replace macro ft_f_alert_suppressed() as 64;
create or replace macro ft_f_kept() as 128;
create or replace macro ft_f_created() as 256;
create or replace macro ft_f_open_file() as 512;
create or replace macro ft_f_at_exit() as 1024;
-- Node call flags (FT_F_JS_*): js_calls.flags.
create or replace macro ft_f_js_trace_made() as 32;
create or replace macro ft_f_js_linked() as 128;
-- Header flags (FT_HDR_*): traces.flags.
create or replace macro ft_h_ended() as 1;
create or replace macro ft_h_forked() as 2;
create or replace macro ft_h_disabled() as 4;
create or replace macro ft_h_kernel() as 8;

-- run_skipped(first_k, j, run_key): queries/56_js_waits.sql's in-order pairing. The j-th
-- system call (by start) of a run of overlapping Node calls serves call j + m, m the calls
-- skipped so far (their system calls missing from the trace): the running maximum of
-- first_k - j, first_k the first call whose window holds a system call, and 0 at least.
create or replace macro run_skipped(first_k, j, run_key) as
  greatest(0, max(first_k - j) over (partition by run_key order by j rows between unbounded preceding and current row));

-- in_order_pairs(candidates): queries/56_js_waits.sql's in-order pairing, over all its
-- candidates and again over those left. `candidates` names a relation of candidate pairs
-- (trace_id, seq: the call; sys_seq, sys_start_ns: the system call; any other columns) with
-- the call's run (run_key) and its place k in it (by start). The j-th system call (by start)
-- of a run serves call j + m (run_skipped), j counted among the system calls the relation
-- holds for the run: its pairs of that call and system call, without run_key and k.
create or replace macro in_order_pairs(candidates) as table
  with sys_first as (
    -- Each system call's run (its candidates' windows overlap: they are one run), its place j
    -- in the run, and the first call (lowest k) whose window holds it.
    select trace_id, sys_seq, run_key, min(k) as first_k,
      row_number() over (partition by run_key order by sys_start_ns, sys_seq) as j
    from query_table(candidates)
    group by trace_id, sys_seq, sys_start_ns, run_key
  ),
  sys_order as (
    select trace_id, sys_seq, j + run_skipped(first_k, j, run_key) as k
    from sys_first
  )
  select c.* exclude (run_key, k)
  from query_table(candidates) as c
  join sys_order as o on o.trace_id = c.trace_id and o.sys_seq = c.sys_seq and o.k = c.k;

-- res_errno(res): the errno of a failed call (res = -errno), null when it did not fail.
-- A corrupt record may hold INT_MIN: no errno then, and no overflow in the negation.
create or replace macro res_errno(res) as
  case when res < 0 and res > -2147483648 then -res end;

-- count_cell(start, offset_ns, interval_s): the wall-clock start of the summary
-- interval that holds a call (intervals are aligned in CLOCK_MONOTONIC); 60-s cells
-- for traces without summaries. queries/12_counts.sql counts calls per cell.
create or replace macro count_cell(start, offset_ns, interval_s) as
  make_timestamp_ns(epoch_ns(start) - (epoch_ns(start) - offset_ns) % ((case when interval_s > 0 then interval_s else 60 end)::bigint * 1000000000));

-- from_summary(summary_calls, raw_calls): the rule for one count cell. Its calls are
-- greatest(summary_calls, raw_calls); its other figures (errors, bytes, latencies) come
-- from the summaries when they count at least the raw events the cell holds, else from
-- those events (no summary, or an entry overwritten or half-written). queries/12_counts.sql
-- (sync calls) and queries/59_js_counts.sql (the Node hook's calls) both count by it.
create or replace macro from_summary(summary_calls, raw_calls) as
  coalesce(summary_calls, 0) >= coalesce(raw_calls, 0) and coalesce(summary_calls, 0) > 0;

-- The summary histogram (FORMAT.md, "Summary histogram"): 56 half-octave buckets.
-- hist_bucket(ns): the bucket of a latency, as the recorder computes it (ft_hist_bucket).
create or replace macro hist_bucket(ns) as (
  case when ns // 1024 < 2 then (ns // 1024)::utinyint
       else least(55, 2 * floor(log2(ns // 1024))::bigint + (((ns // 1024)::bigint >> (floor(log2(ns // 1024))::bigint - 1)) & 1))::utinyint
  end
);
-- hist_low_ns(k): bucket k's lower bound (inclusive); k + 1's is its upper bound.
create or replace macro hist_low_ns(k) as (
  case when k <= 1 then k * 1024
       else (2 ** (k >> 1) + (k & 1) * 2 ** ((k >> 1) - 1)) * 1024
  end
)::bigint;
-- hist_mid_ns(k): the value a count in bucket k stands for, its geometric middle
-- (512 ns for bucket 0).
create or replace macro hist_mid_ns(k) as (
  case when k = 0 then 512.0 else sqrt(hist_low_ns(k)::double * hist_low_ns(k + 1)) end
);
-- hist_quantile_ns(h, q): the q-quantile of a histogram given as a list of
-- {'bucket': k, 'n': count} (any order; a bucket may appear more than once), nearest
-- rank, at the bucket's geometric middle: within 1.22x of the true value. The one
-- place the queries read quantiles off histograms.
create or replace macro hist_rank(h, q) as
  list_position(
    list_transform(h, lambda x, i: list_sum(list_transform(h[1:i], lambda y: y.n)) >= q * list_sum(list_transform(h, lambda y: y.n))),
    true);
create or replace macro hist_quantile_ns(h, q) as
  hist_mid_ns(list_sort(h)[hist_rank(list_sort(h), q)].bucket);

-- The 56 buckets as a table; `bin` is the baseline query's log bin of mid_ns (8 per doubling).
create or replace table summary_buckets as
  select
    k::utinyint as bucket,
    hist_low_ns(k) as low_ns,
    hist_low_ns(k + 1) as high_ns,
    hist_mid_ns(k) as mid_ns,
    floor(log2(hist_mid_ns(k)) * 8)::integer as bin
  from range(56) as t(k);
