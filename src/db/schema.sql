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
  newer_than_header integer
);

-- One row per path record: a trace's path id names a file.
create or replace table paths (
  trace_id integer,
  path_id  uinteger,
  file_id  integer,   -- the file (host, path) across traces: files.file_id
  path     varchar,
  dev      ubigint,   -- st_dev when the file was named
  ino      ubigint
);

-- One row per file: a path on a host, whichever processes used it.
create or replace table files (
  file_id integer,
  host    varchar,
  path    varchar
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
  path_id       uinteger,      -- 0 when unknown
  res           integer,       -- return value, or -errno
  bytes         ubigint,       -- meaning depends on the record: recorders/FORMAT.md
  writes        uinteger,
  write_us      uinteger,
  ival_start_ns ubigint        -- monotonic; wall = ival_start_ns + traces.offset_ns
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
