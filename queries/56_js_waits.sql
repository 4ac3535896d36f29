-- js_waits: each Node call with the system call that did its work, and where its wait went.
--
-- purpose:    The Node hook (recorders/node) records what the program waited for: from a
--             JavaScript call (fs.fsync, filehandle.sync(), writeFile with flush, ...) to its
--             callback, its promise settling or its return. The preload library records the
--             fsync/fdatasync that libuv made for it, in the same trace. js_pairs
--             (src/db/js_pairs.ts) pairs each call with a system call of the same process, on
--             the same file, of the kind the API makes, that ran inside the call's window (a
--             synchronous API: on the same thread; the others on libuv's thread pool), one
--             each and in the order they started (the pool is first in, first out), as many
--             as any such pairing can: a call is paired where every such maximum pairing gives
--             it the same system call, and left unpaired (`ambiguous`) where they disagree.
--             The wait then splits into `queued_ns` (from the call to the system call's start:
--             waiting for a pool thread, and for a writeFile its open and writes), `sync_ns`
--             (the system call) and `delivery_ns` (from its end to the callback or promise:
--             the event loop's delay). A call with no pair (the library was not preloaded,
--             io_uring, or Node made no sync: fs.promises.writeFile given a FileHandle ignores
--             `flush`) has nulls there.
-- inputs:     js_calls, js_apis, js_sites, js_pairs, files, traces
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
--   extra_syncs          the system calls the windows of the call's run hold (its file's
--                        calls in flight with it, up to where no window reaches across)
--                        beyond one per call: syncs no Node call asked for (a worker's without
--                        the hook, a native addon's), counted before any is set aside; 0
--                        normally
--   ambiguous            the maximum pairings disagree about this call (a sync no call asked
--                        for, made by a pool thread, that the windows cannot tell from the
--                        calls' own; or late or reordered syncs, or a missing one, the
--                        windows cannot place): left unpaired, not paired wrongly

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
    s.site,
    s.site is not null and (j.flags & 64) = 0 as site_captured,
    epoch_ns(j.start) as start_ns,
    epoch_ns(j.start) + j.dur_ns as end_ns
  from js_calls as j
  join js_apis as a using (api)
  left join js_sites as s on s.trace_id = j.trace_id and s.site_id = j.site_id
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
    coalesce(p.state = 1, false) as paired,
    case when p.state = 1 then p.sys_seq end as sys_seq,
    case when p.state = 1 then p.sys_tid end as sys_tid,
    case when p.state = 1 then p.sync_ns end as sync_ns,
    case when p.state = 1 then greatest(0, p.sys_start_ns - js.start_ns) end as queued_ns,
    case when p.state = 1 then greatest(0, js.end_ns - (p.sys_start_ns + p.sync_ns)) end as delivery_ns,
    coalesce(p.extra_syncs, 0)::bigint as extra_syncs,
    coalesce(p.state = 2, false) as ambiguous
  from js
  left join js_pairs as p on p.trace_id = js.trace_id and p.seq = js.seq
  join files on files.file_id = js.file_id
  join traces on traces.trace_id = js.trace_id
)

select * from final
