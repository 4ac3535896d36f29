-- js_waits: each Node call with the system call that did its work, and where its wait went.
--
-- purpose:    The Node hook (recorders/node) records what the program waited for: from a
--             JavaScript call (fs.fsync, filehandle.sync(), writeFile with flush, ...) to its
--             callback, its promise settling or its return. The preload library records the
--             fsync/fdatasync that libuv made for it, in the same trace. Each call is paired
--             with the first such system call of the same process, on the same file, of the
--             kind the API makes, that ran inside the call's window (a synchronous API: on the
--             same thread; the others run on libuv's thread pool). A system call serves one
--             call: the latest that began before it. The wait then splits into `queued_ns`
--             (from the call to the system call's start: waiting for a pool thread, and for a
--             writeFile its open and writes), `sync_ns` (the system call) and `delivery_ns`
--             (from its end to the callback or promise: the event loop's delay). A call with
--             no pair (the library was not preloaded, io_uring, or Node made no sync:
--             fs.promises.writeFile given a FileHandle ignores `flush`) has nulls there.
-- inputs:     js_calls, js_apis, js_sites, events, calls, files, traces
-- parameters: none
-- output:     one row per Node call:
--   trace_id, seq        the call's record
--   host, pid, tid       where it was made (tid: the JavaScript thread)
--   kind                 'js:' + the API ('js:fs.fsync', 'js:filehandle.sync', ...)
--   form                 'callback', 'promise', 'sync' or 'stream'
--   file_id, path        the file (path '(unknown)' when it could not be named)
--   site                 the call site 'file:line', or null when it was not captured
--   site_captured        its stack was captured at this call (the hook samples stacks: a call
--                        whose stack was not captured takes the site its thread last captured
--                        for the same API, flag 0x40; false too when site is null)
--   start                when the program made the call (wall clock)
--   wait_ns              how long it waited
--   res                  0 or -errno
--   bytes                what a writeFile/appendFile wrote
--   paired               a system call was found
--   sys_seq, sys_tid     that system call's record and the thread that made it
--   sync_ns              its duration
--   queued_ns            call -> system call start (0 at least)
--   delivery_ns          system call end -> callback or promise (0 at least)

with

js as (
  select
    j.trace_id,
    j.seq,
    j.tid,
    j.file_id,
    j.start,
    j.dur_ns as wait_ns,
    j.res,
    j.bytes,
    a.kind,
    a.form,
    a.syscall,
    s.site,
    s.site is not null and (j.flags & 64) = 0 as site_captured,
    epoch_ns(j.start) as start_ns,
    epoch_ns(j.start) + j.dur_ns as end_ns
  from js_calls as j
  join js_apis as a using (api)
  left join js_sites as s on s.trace_id = j.trace_id and s.site_id = j.site_id
),

syscalls as (
  select
    e.trace_id,
    e.seq as sys_seq,
    e.tid as sys_tid,
    e.file_id,
    calls.name as syscall,
    epoch_ns(e.start) as sys_start_ns,
    e.dur_ns as sync_ns
  from events as e
  join calls using (call)
  join files using (file_id)
  where e.type = ft_t_sync() and e.source = 'ring' and files.known
),

-- The two clocks are one (CLOCK_MONOTONIC), read a few ns apart: 10 us of slack.
candidates as (
  select js.trace_id, js.seq, js.start_ns, syscalls.sys_seq, syscalls.sys_tid, syscalls.sys_start_ns, syscalls.sync_ns
  from js
  join syscalls
    on syscalls.trace_id = js.trace_id
    and syscalls.file_id = js.file_id
    and syscalls.syscall = js.syscall
    and syscalls.sys_start_ns >= js.start_ns - 10000
    and syscalls.sys_start_ns + syscalls.sync_ns <= js.end_ns + 10000
    and (js.form <> 'sync' or syscalls.sys_tid = js.tid)
),

first_per_call as (
  select *
  from candidates
  qualify row_number() over (partition by trace_id, seq order by sys_start_ns, sys_seq) = 1
),

one_per_syscall as (
  select *
  from first_per_call
  qualify row_number() over (partition by trace_id, sys_seq order by start_ns desc, seq desc) = 1
),

final as (
  select
    js.trace_id,
    js.seq,
    traces.host,
    traces.pid,
    js.tid,
    js.kind,
    js.form,
    js.file_id,
    files.path,
    js.site,
    js.site_captured,
    js.start,
    js.wait_ns,
    js.res,
    js.bytes,
    p.sys_seq is not null as paired,
    p.sys_seq,
    p.sys_tid,
    p.sync_ns,
    case when p.sys_seq is not null then greatest(0, p.sys_start_ns - js.start_ns) end as queued_ns,
    case when p.sys_seq is not null then greatest(0, js.end_ns - (p.sys_start_ns + p.sync_ns)) end as delivery_ns
  from js
  left join one_per_syscall as p on p.trace_id = js.trace_id and p.seq = js.seq
  join files on files.file_id = js.file_id
  join traces on traces.trace_id = js.trace_id
)

select * from final
