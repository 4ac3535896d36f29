-- js_waits: each Node call with the system call that did its work, and where its wait went.
--
-- purpose:    The Node hook (recorders/node) records what the program waited for: from a
--             JavaScript call (fs.fsync, filehandle.sync(), writeFile with flush, ...) to its
--             callback, its promise settling or its return. The preload library records the
--             fsync/fdatasync that libuv made for it, in the same trace. Each call is paired
--             with a system call of the same process, on the same file, of the kind the API
--             makes, that ran inside the call's window (a synchronous API: on the same thread;
--             the others on libuv's thread pool), one each: in the order they started where
--             several calls of a file were in flight (the pool is first in, first out), else
--             the first in the window (a system call serving the latest call that began
--             before it). The wait then splits into `queued_ns`
--             (from the call to the system call's start: waiting for a pool thread, and for a
--             writeFile its open and writes), `sync_ns` (the system call) and `delivery_ns`
--             (from its end to the callback or promise: the event loop's delay). A call with
--             no pair (the library was not preloaded, io_uring, or Node made no sync:
--             fs.promises.writeFile given a FileHandle ignores `flush`) has nulls there. A
--             system call is only ever paired with a call whose window holds it. A run of
--             calls in flight whose windows hold more syncs than it has calls (a worker
--             without the hook, or a native addon, synced the file too) has those set aside
--             when a thread apart from the pool's made them, else it is cut where its count
--             goes off: the calls whose sync the windows decide are paired, the others left
--             unpaired (`ambiguous`) rather than every later pair shifted by one.
--             A linked call (flag 0x80: fs.fsync, fs.fdatasync, filehandle.sync/datasync
--             with the library preloaded, which keeps the pool's syncs for their records)
--             names a system call that served it (js_calls.link_ns); a run's links name
--             exactly the syncs that served its calls, each once, and are paired with them
--             in the pool's order when every such pair fits its call, else as linked, or
--             with none when the trace no longer holds it; those system calls are not
--             candidates for the window pairing, which runs on the calls not linked only
--             (writeFile by path, the synchronous APIs, traces before links). Links are
--             exact unless a thread without the hook (a worker's, a native addon's) synced
--             the fd while linked calls of it were in flight: a call may have taken its sync,
--             and others each another's, one pool sync left over (FORMAT.md, known limits).
--             A run that shows it (a pool sync left over after its last linked one, a link
--             to a thread that served no other call of the run) is left unpaired
--             (`ambiguous`).
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
--   extra_syncs          system calls in the call's run (its file's calls in flight with it)
--                        beyond one per call: syncs no Node call asked for (a worker's without
--                        the hook, a native addon's); 0 normally. For a linked call: the
--                        system calls its run's windows hold that no call claimed (by link or
--                        by the windows), each counted once, even when a sync of the run is
--                        missing (the windows alone see those two balance)
--   ambiguous            its system call could not be told from such a sync (made by a pool
--                        thread, and the windows allow either): left unpaired, not paired
--                        wrongly. For a linked call: its run's links were shifted by a
--                        thread without the hook (above)

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
    j.flags,
    j.made_ns,
    j.fd,
    j.link_ns,
    (j.flags & ft_f_js_linked()) <> 0 as linked,
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

-- A call that waited while the library made the trace (flag 0x20) was recorded without
-- the time that took (made_ns, FORMAT.md), which its system call, or those queued behind
-- the making, still hold: its window is widened by it. (Traces before made_ns was written
-- hold 0 there: the trace's first sync, inside which the making happened, stands in.)
made as (
  select e.trace_id, arg_min(e.dur_ns, e.start) as first_sync_ns
  from events as e
  -- Only the traces that hold such a call (none, without Node calls: no scan of the events).
  semi join (select distinct trace_id from js where (flags & ft_f_js_trace_made()) <> 0) as t using (trace_id)
  where e.type = ft_t_sync() and e.source = 'ring'
  group by e.trace_id
),

all_windows as (
  select js.*,
    js.end_ns + case when (js.flags & ft_f_js_trace_made()) = 0 then 0
      when js.made_ns > 0 then js.made_ns
      else coalesce(made.first_sync_ns, 0) end as window_end_ns
  from js
  left join made using (trace_id)
),

-- A linked call (flag 0x80: the fd APIs whose sync a pool thread makes) names a system call
-- that served it: its start is the call's start + link_ns + k * 2^32 (js_calls.link_ns),
-- k >= 0 the smallest that gives a sync of the process (trace), of the call's fd and of its
-- API's kind, starting inside its window. The low 32 bits of the start must be equal, so the
-- join is on them. Exact: never ambiguous, whatever else syncs the file (two syncs of the fd
-- that started in the same nanosecond are told apart below, link_raw). The sync may be only
-- in the keep ring (the raw ring went round it); gone from both, the call is unpaired, and
-- the windows do not pair it with another.
linked_windows as (
  select *,
    case when form = 'sync' then tid else -1 end as lane,
    (start_ns + link_ns) & 4294967295 as link_lo
  from all_windows
  where linked
),

link_named as (
  select w.trace_id, w.seq, w.lane, w.fd, e.call, w.start_ns,
    e.seq as sys_seq, e.tid as sys_tid, epoch_ns(e.start) as sys_start_ns, e.dur_ns as sync_ns
  from linked_windows as w
  join events as e
    on e.trace_id = w.trace_id and e.fd = w.fd and (epoch_ns(e.start) & 4294967295) = w.link_lo
  join calls on calls.call = e.call
  where e.type = ft_t_sync() and calls.name = w.syscall
    and epoch_ns(e.start) >= w.start_ns and epoch_ns(e.start) <= w.window_end_ns + 10000
  qualify rank() over (partition by w.trace_id, w.seq order by e.start) = 1
),

-- Two syncs of one fd and kind may start in the same nanosecond (two pool threads whose
-- clocks read alike: seen in test/recorders/links 'order' runs at load 15): the links of
-- their calls are alike, and each names both. Each such call takes one of them, each
-- another: the calls in the order they began, the syncs in the order they were recorded
-- (the pool's order below pairs them again where it fits). Taking the first for all of
-- them paired one sync twice and left the other over, counted in extra_syncs as a stray.
link_raw as (
  select trace_id, seq, lane, sys_seq, sys_tid, sys_start_ns, sync_ns
  from (
    select *,
      dense_rank() over (partition by trace_id, fd, call, sys_start_ns order by start_ns, seq) as nth_call,
      dense_rank() over (partition by trace_id, fd, call, sys_start_ns order by sys_seq) as nth_sync
    from link_named
  )
  where nth_call = nth_sync
),

-- Runs of linked calls: a file's calls of one kind in flight one after another, as for the
-- windows.
linked_runs as (
  select *,
    coalesce(sum(case when start_ns - 10000 > before_end_ns then 1 else 0 end)
      over (partition by trace_id, file_id, syscall, lane order by start_ns, seq), 0) as run,
    max(window_end_ns) over (partition by trace_id, file_id, syscall, lane order by start_ns, seq
      rows between unbounded preceding and current row) as reach_ns
  from (
    select trace_id, seq, file_id, syscall, lane, start_ns, window_end_ns,
      max(window_end_ns) over (partition by trace_id, file_id, syscall, lane order by start_ns, seq
        rows between unbounded preceding and 1 preceding) as before_end_ns
    from linked_windows
  )
),

-- The links name which system calls served a run's calls, each once, each inside its call's
-- window; not always which served which: the library gives each call, as it settles, the
-- first-started of the first few syncs of its fd and kind kept since it began (ft_link.c),
-- and calls settle in the order their syncs end. Within a run the linked syncs are paired in the pool's order
-- (first in, first out: the k-th call to start with the k-th sync to start), as the windows
-- pair the others, when every such pair lies inside its call's window, the sync started
-- after the call and ended before it settled; else (a pool thread held between taking a
-- call's work and its sync: that sync, late, ended after the call in its place settled) the
-- run keeps the library's pairs.
link_ranked as (
  select r.trace_id, r.seq, r.file_id, r.syscall, r.lane, r.run, r.start_ns, r.window_end_ns,
    row_number() over (partition by r.trace_id, r.file_id, r.syscall, r.lane, r.run order by r.start_ns, r.seq) as k
  from linked_runs as r
  semi join link_raw as p using (trace_id, seq)
),

link_sync_ranked as (
  select r.trace_id, r.file_id, r.syscall, r.lane, r.run, p.sys_seq, p.sys_tid, p.sys_start_ns, p.sync_ns,
    row_number() over (partition by r.trace_id, r.file_id, r.syscall, r.lane, r.run order by p.sys_start_ns, p.sys_seq) as k
  from link_raw as p
  join linked_runs as r using (trace_id, seq)
),

link_ordered as (
  select c.trace_id, c.seq, c.lane, s.sys_seq, s.sys_tid, s.sys_start_ns, s.sync_ns,
    bool_and(s.sys_start_ns >= c.start_ns and s.sys_start_ns + s.sync_ns <= c.window_end_ns + 10000)
      over (partition by c.trace_id, c.file_id, c.syscall, c.lane, c.run) as fits
  from link_ranked as c
  join link_sync_ranked as s using (trace_id, file_id, syscall, lane, run, k)
),

link_pairs as (
  select trace_id, seq, lane, sys_seq, sys_tid, sys_start_ns, sync_ns from link_ordered where fits
  union all
  select p.trace_id, p.seq, p.lane, p.sys_seq, p.sys_tid, p.sys_start_ns, p.sync_ns
  from link_raw as p
  semi join (select trace_id, seq from link_ordered where not fits) as o using (trace_id, seq)
),

-- The threads whose syncs served a linked run's calls, with how many each served, and when
-- the last of them started.
link_servers as (
  select r.trace_id, r.file_id, r.syscall, r.lane, r.run, p.sys_tid, count(*) as served,
    max(p.sys_start_ns) as last_ns
  from link_pairs as p
  join linked_runs as r on r.trace_id = p.trace_id and r.seq = p.seq
  group by all
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

-- A call's lane: a synchronous call runs its system call on its own thread; the others
-- on the pool's threads, which make no JavaScript calls. A system call on a thread that
-- made Node calls (the main thread, a worker with the hook) is in that thread's lane, so a
-- sync such a thread made that no synchronous call asked for (a native addon's) is never
-- taken for an asynchronous call's; any other is in the pool's (-1).
js_threads as (
  select distinct trace_id, tid from js
),

laned as (
  select syscalls.*, coalesce(js_threads.tid, -1) as lane
  from syscalls
  left join js_threads on js_threads.trace_id = syscalls.trace_id and js_threads.tid = syscalls.sys_tid
),

-- The window pairing below: the calls not linked (writeFile by path, the synchronous APIs,
-- traces before links), among the system calls no link claimed.
windows as (
  select * from all_windows where not linked
),

-- The two clocks are one (CLOCK_MONOTONIC), read a few ns apart: 10 us of slack.
candidates as (
  select
    w.trace_id, w.seq, w.start_ns, w.window_end_ns, w.file_id, w.syscall, laned.lane,
    laned.sys_seq, laned.sys_tid, laned.sys_start_ns, laned.sync_ns
  from windows as w
  join laned
    on laned.trace_id = w.trace_id
    and laned.file_id = w.file_id
    and laned.syscall = w.syscall
    and laned.lane = case when w.form = 'sync' then w.tid else -1 end
    and laned.sys_start_ns >= w.start_ns - 10000
    and laned.sys_start_ns + laned.sync_ns <= w.window_end_ns + 10000
  -- Not a system call a link claimed (here, on the few in a window, rather than on every sync).
  where not exists (select 1 from link_pairs as p where p.trace_id = laned.trace_id and p.sys_seq = laned.sys_seq)
),

-- In order first: libuv's pool takes its work first in, first out, so with several calls
-- of one file in flight (whose windows all hold each other's system calls) the k-th call
-- to start is served by the k-th system call to start, among the calls and system calls
-- of the lane that have a candidate at all. Counted per run: the calls of one file, kind
-- and lane whose windows (with their system calls) overlap one after another; the pool
-- drains between runs, so nothing carries from one to the next.
call_spans as (
  select trace_id, seq, file_id, syscall, lane, start_ns,
    max(greatest(window_end_ns, sys_start_ns + sync_ns)) as span_end_ns
  from candidates
  group by all
),

call_runs as (
  select *,
    coalesce(sum(case when start_ns - 10000 > before_end_ns then 1 else 0 end)
      over (partition by trace_id, file_id, syscall, lane order by start_ns, seq), 0) as run
  from (
    select *,
      max(span_end_ns) over (partition by trace_id, file_id, syscall, lane order by start_ns, seq
        rows between unbounded preceding and 1 preceding) as before_end_ns
    from call_spans
  )
),

call_order as (
  select trace_id, seq, file_id, syscall, lane, run,
    row_number() over (partition by trace_id, file_id, syscall, lane, run order by start_ns, seq) as k
  from call_runs
),

-- Each run's calls against the system calls in their windows. The pool makes one system call
-- per call, so a run that holds more holds a sync no call asked for (a worker's without the
-- hook, a native addon's): numbered in, it would shift every later pair of the run by one,
-- each inside its window. Such a sync is set aside when its thread is not one of the pool's
-- (the threads whose syncs fill the trace's runs that hold no more than one per call, or, when
-- no run teaches them, every thread but the one that made exactly the extra syncs); a run
-- that still holds more system calls than calls (the extra sync came from a pool thread) is
-- not paired at all (`ambiguous`) rather than paired wrongly. A run whose extra sync is
-- matched by a missing one (the ring went round it) holds as many as it has calls and is
-- not told apart.
run_syscalls as (
  select distinct o.trace_id, o.file_id, o.syscall, o.lane, o.run, c.sys_seq, c.sys_tid, c.sys_start_ns
  from candidates as c
  join call_order as o on o.trace_id = c.trace_id and o.seq = c.seq
),

run_calls as (
  select trace_id, file_id, syscall, lane, run, count(*) as calls
  from call_order
  group by all
),

run_counts as (
  select run_calls.*, count(*) as syscalls
  from run_calls
  join run_syscalls using (trace_id, file_id, syscall, lane, run)
  group by all
),

pool_threads as (
  select rs.trace_id, rs.sys_tid
  from run_syscalls as rs
  join run_counts using (trace_id, file_id, syscall, lane, run)
  where rs.lane = -1 and run_counts.syscalls <= run_counts.calls
  union
  -- A thread whose syncs served linked calls: a pool thread, when it served two or more of
  -- one run (a sync of a worker without the hook may be taken by one call: FORMAT.md).
  select trace_id, sys_tid from link_servers where lane = -1 and served >= 2
),

-- A crowded run's syncs by thread, for the threads not known as the pool's.
outsider_threads as (
  select rs.trace_id, rs.file_id, rs.syscall, rs.lane, rs.run, rs.sys_tid, count(*) as syncs,
    any_value(run_counts.syscalls - run_counts.calls) as extra
  from run_syscalls as rs
  join run_counts using (trace_id, file_id, syscall, lane, run)
  where rs.lane = -1 and run_counts.syscalls > run_counts.calls
    and not exists (select 1 from pool_threads as p where p.trace_id = rs.trace_id and p.sys_tid = rs.sys_tid)
  group by all
),

-- Set aside: the outsiders' syncs when together they are exactly the run's extra ones; else
-- those of the one outsider thread that made exactly that many (a file whose calls are one
-- run from start to end teaches no pool thread: all its threads are outsiders). Anything
-- else cannot be told apart.
foreign_threads as (
  select trace_id, file_id, syscall, lane, run, sys_tid
  from (
    select *,
      sum(syncs) over w as all_syncs,
      sum(case when syncs = extra then 1 else 0 end) over w as exact_threads
    from outsider_threads
    window w as (partition by trace_id, file_id, syscall, lane, run)
  )
  where all_syncs = extra or (exact_threads = 1 and syncs = extra)
),

foreign_syncs as (
  select rs.*
  from run_syscalls as rs
  join foreign_threads using (trace_id, file_id, syscall, lane, run, sys_tid)
),

run_state as (
  select r.trace_id, r.file_id, r.syscall, r.lane, r.run,
    greatest(0, r.syscalls - r.calls) as extra_syncs,
    r.syscalls > r.calls and not exists (select 1 from foreign_syncs as f
      where (f.trace_id, f.file_id, f.syscall, f.lane, f.run) = (r.trace_id, r.file_id, r.syscall, r.lane, r.run)) as ambiguous
  from run_counts as r
),

-- A run left crowded (more system calls than calls, none set aside) is cut where its count
-- goes off. In start order, call k of the run is served by system call k + d, d the extra
-- syncs that started before its own: 0 before the first, the run's extra syncs after the
-- last, never falling. Of the places 0..extra on from k, call k's window holds dmin at the
-- least and dmax at the most. A call is paired only where its own window pins its place
-- (dmin = dmax: the calls before the first extra sync, and those whose window holds one of
-- the places only), never from its neighbours' bounds: a late pool sync (its start order is
-- not the pool's) makes d fall after it, and a bound carried across it gives whole stretches
-- of calls the sync before their own. The others are `ambiguous`: left unpaired. A run whose
-- bounds cross (the largest dmin up to k above the smallest dmax from k on: the start order
-- is not the pool's) stays wholly so.
crowded_syscalls as (
  select rs.trace_id, rs.file_id, rs.syscall, rs.lane, rs.run, rs.sys_seq,
    row_number() over (partition by rs.trace_id, rs.file_id, rs.syscall, rs.lane, rs.run order by rs.sys_start_ns, rs.sys_seq) as j
  from run_syscalls as rs
  join run_state as s using (trace_id, file_id, syscall, lane, run)
  where s.ambiguous
),

crowded_spans as (
  select o.trace_id, o.seq, o.file_id, o.syscall, o.lane, o.run, o.k, any_value(s.extra_syncs) as extra_syncs,
    min(cs.j - o.k) filter (where cs.j - o.k between 0 and s.extra_syncs) as dmin,
    max(cs.j - o.k) filter (where cs.j - o.k between 0 and s.extra_syncs) as dmax
  from call_order as o
  join run_state as s using (trace_id, file_id, syscall, lane, run)
  join candidates as c on c.trace_id = o.trace_id and c.seq = o.seq
  join crowded_syscalls as cs on cs.trace_id = c.trace_id and cs.sys_seq = c.sys_seq
  where s.ambiguous
  group by o.trace_id, o.seq, o.file_id, o.syscall, o.lane, o.run, o.k
),

crowded_shifts as (
  select *, bool_or(dmin is null or lo > hi) over (partition by trace_id, file_id, syscall, lane, run) as crossed
  from (
    select *,
      greatest(0, max(dmin) over (partition by trace_id, file_id, syscall, lane, run order by k rows between unbounded preceding and current row)) as lo,
      least(extra_syncs, min(dmax) over (partition by trace_id, file_id, syscall, lane, run order by k rows between current row and unbounded following)) as hi
    from crowded_spans
  )
),

crowded_pairs as (
  select c.*
  from crowded_shifts as d
  join crowded_syscalls as cs
    on (cs.trace_id, cs.file_id, cs.syscall, cs.lane, cs.run) = (d.trace_id, d.file_id, d.syscall, d.lane, d.run)
    and cs.j = d.k + d.dmin
  join candidates as c on c.trace_id = d.trace_id and c.seq = d.seq and c.sys_seq = cs.sys_seq
  where d.dmin = d.dmax and not d.crossed
),

call_state as (
  select o.trace_id, o.seq, s.extra_syncs,
    s.ambiguous and not exists (select 1 from crowded_pairs as p where p.trace_id = o.trace_id and p.seq = o.seq) as ambiguous
  from call_order as o
  join run_state as s using (trace_id, file_id, syscall, lane, run)
),

-- The candidates the pairing below may take: none of an ambiguous run, no sync set aside.
kept as (
  select c.*
  from candidates as c
  join call_order as o on o.trace_id = c.trace_id and o.seq = c.seq
  join run_state as s on (s.trace_id, s.file_id, s.syscall, s.lane, s.run) = (o.trace_id, o.file_id, o.syscall, o.lane, o.run)
  where not s.ambiguous
    and not exists (select 1 from foreign_syncs as f where f.trace_id = c.trace_id and f.sys_seq = c.sys_seq)
),

-- In order (in_order_pairs, schema.sql): the k-th call of a run to start is served by the
-- k-th system call to start, past the calls whose system calls are missing from the trace.
ordered_kept as (
  select c.*, (o.trace_id, o.file_id, o.syscall, o.lane, o.run) as run_key, o.k
  from kept as c
  join call_order as o on o.trace_id = c.trace_id and o.seq = c.seq
),

first_order as (
  select * from in_order_pairs(ordered_kept)
),

-- A late system call: a pool thread preempted between taking a call's work and starting its
-- system call starts it after those of the calls behind it. Numbered by start, the calls
-- from its own to the one before where it landed each took the next one's system call (inside
-- their windows: they were in flight together), and the late one, outside the window of the
-- call it was numbered with, is left over with that call. It is put back by a shift along
-- the order: the one left over goes to the nearest call (by start) whose window holds it,
-- and each call from there to the one left alone passes its system call on to the next
-- (forward) or takes the next one's (backward), where every window on the way holds what it
-- is given. The pool takes work first in, first out, so a system call can start late, never
-- early: a forward chain is one late system call (the one left over), a backward chain of n
-- calls is n of them late (those passed back). The chain with the fewest late system calls
-- is taken, then the shortest; one per call and system call left over, none crossing another.
chain_calls as (
  select o.trace_id, o.seq, o.file_id, o.syscall, o.lane, o.run, o.k, w.start_ns, w.window_end_ns,
    p.sys_seq, p.sys_start_ns, p.sync_ns
  from call_order as o
  join windows as w on w.trace_id = o.trace_id and w.seq = o.seq
  left join first_order as p on p.trace_id = o.trace_id and p.seq = o.seq
),

-- Links of the run in call order: may call k's system call pass to call k + 1 (forward), may
-- call k take call k + 1's (backward)? fwd_before/bwd_before count the broken links before k.
chain_links as (
  select *,
    coalesce(sum(case when fwd_ok then 0 else 1 end) over before, 0) as fwd_before,
    coalesce(sum(case when bwd_ok then 0 else 1 end) over before, 0) as bwd_before
  from (
    select *,
      lag(sys_seq) over r as prev_sys_seq,
      lead(sys_seq) over r as next_sys_seq,
      coalesce(sys_seq is not null and lead(start_ns) over r - 10000 <= sys_start_ns
        and sys_start_ns + sync_ns <= lead(window_end_ns) over r + 10000, false) as fwd_ok,
      coalesce(lead(sys_seq) over r is not null and start_ns - 10000 <= lead(sys_start_ns) over r
        and lead(sys_start_ns) over r + lead(sync_ns) over r <= window_end_ns + 10000, false) as bwd_ok
    from chain_calls
    window r as (partition by trace_id, file_id, syscall, lane, run order by k)
  )
  window before as (partition by trace_id, file_id, syscall, lane, run order by k rows between unbounded preceding and 1 preceding)
),

-- Each system call left over, with every call of its run whose window holds it.
chain_holders as (
  select c.trace_id, c.sys_seq, o.file_id, o.syscall, o.lane, o.run, o.k
  from kept as c
  join call_order as o on o.trace_id = c.trace_id and o.seq = c.seq
  where not exists (select 1 from first_order as p where p.trace_id = c.trace_id and p.sys_seq = c.sys_seq)
),

chain_options as (
  select h.trace_id, h.sys_seq, lone.seq as lone_seq, lone.k as lone_k, h.k as holder_k,
    h.file_id, h.syscall, h.lane, h.run,
    case when h.k < lone.k then 1 else h.k - lone.k end as late_syncs
  from chain_holders as h
  join chain_links as lone
    on (lone.trace_id, lone.file_id, lone.syscall, lone.lane, lone.run) = (h.trace_id, h.file_id, h.syscall, h.lane, h.run)
    and lone.sys_seq is null and lone.k <> h.k
  join chain_links as holder
    on (holder.trace_id, holder.file_id, holder.syscall, holder.lane, holder.run) = (h.trace_id, h.file_id, h.syscall, h.lane, h.run)
    and holder.k = h.k
  where (h.k < lone.k and lone.fwd_before = holder.fwd_before)
     or (h.k > lone.k and holder.bwd_before = lone.bwd_before)
),

chain_picks as (
  select *
  from chain_options
  qualify row_number() over (partition by trace_id, lone_seq order by late_syncs, abs(lone_k - holder_k), holder_k, sys_seq) = 1
    and row_number() over (partition by trace_id, sys_seq order by late_syncs, abs(lone_k - holder_k), lone_k) = 1
),

chains as (
  select *
  from chain_picks as c
  where not exists (select 1 from chain_picks as o
    where (o.trace_id, o.file_id, o.syscall, o.lane, o.run) = (c.trace_id, c.file_id, c.syscall, c.lane, c.run)
      and o.sys_seq <> c.sys_seq
      and least(o.lone_k, o.holder_k) <= greatest(c.lone_k, c.holder_k)
      and least(c.lone_k, c.holder_k) <= greatest(o.lone_k, o.holder_k))
),

chain_moves as (
  select l.trace_id, l.seq,
    case when l.k = c.holder_k then c.sys_seq
      when c.holder_k < c.lone_k then l.prev_sys_seq
      else l.next_sys_seq end as sys_seq
  from chains as c
  join chain_links as l
    on (l.trace_id, l.file_id, l.syscall, l.lane, l.run) = (c.trace_id, c.file_id, c.syscall, c.lane, c.run)
    and l.k between least(c.lone_k, c.holder_k) and greatest(c.lone_k, c.holder_k)
),

-- Each call's system call after the chains: the one it was moved to, else its first.
first_pairs as (
  select c.*
  from first_order as p
  full join chain_moves as m on m.trace_id = p.trace_id and m.seq = p.seq
  join kept as c
    on c.trace_id = coalesce(m.trace_id, p.trace_id) and c.seq = coalesce(m.seq, p.seq)
    and c.sys_seq = coalesce(m.sys_seq, p.sys_seq)
),

-- In order once more, over the calls and system calls left: a pool thread preempted between
-- taking a call's work and starting its system call (1.5 ms at load 18) starts it several
-- places late, and the calls in between, numbered one place off, mostly find their system
-- calls outside their windows; renumbered without the pairs made, they take them (and the
-- exchange below gives the late one to its call).
left_calls as (
  select o.trace_id, o.seq, o.file_id, o.syscall, o.lane, o.run,
    row_number() over (partition by o.trace_id, o.file_id, o.syscall, o.lane, o.run order by r.start_ns, o.seq) as k
  from call_order as o
  join call_runs as r on r.trace_id = o.trace_id and r.seq = o.seq
  where not exists (select 1 from first_pairs as p where p.trace_id = o.trace_id and p.seq = o.seq)
),

left_ordered as (
  select c.*, (o.trace_id, o.file_id, o.syscall, o.lane, o.run) as run_key, o.k
  from kept as c
  join left_calls as o on o.trace_id = c.trace_id and o.seq = c.seq
  where not exists (select 1 from first_pairs as p where p.trace_id = c.trace_id and p.sys_seq = c.sys_seq)
),

in_order as (
  select * from first_pairs
  union all by name
  select * from in_order_pairs(left_ordered)
),

-- Then the rest (a system call no call made outside the runs, a call whose system call the
-- library did not see, a pool thread that started its system call after a later one's): each call
-- takes the first free system call in its window, and a system call serves the latest call
-- that began before it.
rest as (
  select *
  from kept as c
  where not exists (select 1 from in_order as p where p.trace_id = c.trace_id and p.seq = c.seq)
    and not exists (select 1 from in_order as p where p.trace_id = c.trace_id and p.sys_seq = c.sys_seq)
),

first_choice as (
  select *
  from rest
  qualify row_number() over (partition by trace_id, seq order by sys_start_ns, sys_seq) = 1
),

first_round as (
  select *
  from first_choice
  qualify row_number() over (partition by trace_id, sys_seq order by start_ns desc, seq desc) = 1
),

matched as (
  select * from in_order
  union all by name
  select * from first_round
),

-- Last, one exchange: a call left without a system call takes that of a paired call
-- whose window also holds a system call left without a call, which that call takes
-- (a pool thread that started its system call late, seen as a call's pair shifted by one).
lone_calls as (
  select c.* from kept as c
  where not exists (select 1 from matched as p where p.trace_id = c.trace_id and p.seq = c.seq)
),

lone_syscalls as (
  select c.* from kept as c
  where not exists (select 1 from matched as p where p.trace_id = c.trace_id and p.sys_seq = c.sys_seq)
),

exchanges as (
  select
    lone.trace_id,
    lone.seq as lone_seq,
    taken.seq as other_seq,
    taken.sys_seq as taken_sys_seq,
    freed.sys_seq as freed_sys_seq
  from lone_calls as lone
  join matched as taken on taken.trace_id = lone.trace_id and taken.sys_seq = lone.sys_seq
  join lone_syscalls as freed on freed.trace_id = taken.trace_id and freed.seq = taken.seq
  qualify row_number() over (partition by lone.trace_id, lone.seq order by taken.seq, freed.sys_seq) = 1
    and row_number() over (partition by lone.trace_id, taken.seq order by lone.seq, freed.sys_seq) = 1
    and row_number() over (partition by lone.trace_id, freed.sys_seq order by lone.seq, taken.seq) = 1
),

pairs as (
  select * from matched as m
  where not exists (select 1 from exchanges as x where x.trace_id = m.trace_id and x.other_seq = m.seq)
  union all by name
  select c.* from kept as c
  join exchanges as x on x.trace_id = c.trace_id and x.lone_seq = c.seq and x.taken_sys_seq = c.sys_seq
  union all by name
  select c.* from kept as c
  join exchanges as x on x.trace_id = c.trace_id and x.other_seq = c.seq and x.freed_sys_seq = c.sys_seq
  union all by name
  select * from crowded_pairs
),

-- The system calls the linked runs' windows hold that no call claimed, by link or by the
-- windows: a worker's without the hook, a native addon's (the linked calls' `extra_syncs`).
-- Each is counted in the run of the last linked call that began before it, when a call of
-- that run begun before it holds it.
linked_files as (
  select distinct trace_id, file_id, syscall from linked_windows
),

unclaimed as (
  select e.trace_id, e.seq as sys_seq, e.tid as sys_tid, e.file_id, calls.name as syscall,
    coalesce(t.tid, -1) as lane, epoch_ns(e.start) as sys_start_ns, e.dur_ns as sync_ns
  from events as e
  join calls using (call)
  join linked_files as f on f.trace_id = e.trace_id and f.file_id = e.file_id and f.syscall = calls.name
  left join js_threads as t on t.trace_id = e.trace_id and t.tid = e.tid
  where e.type = ft_t_sync() and e.source = 'ring'
    and not exists (select 1 from link_pairs as p where p.trace_id = e.trace_id and p.sys_seq = e.seq)
    and not exists (select 1 from pairs as p where p.trace_id = e.trace_id and p.sys_seq = e.seq)
),

linked_run_strays as (
  select u.trace_id, u.sys_seq, u.sys_tid, u.sys_start_ns, r.file_id, r.syscall, r.lane, r.run
  from unclaimed as u
  asof join linked_runs as r
    on r.trace_id = u.trace_id and r.file_id = u.file_id and r.syscall = u.syscall and r.lane = u.lane
    and r.start_ns <= u.sys_start_ns + 10000
  where u.sys_start_ns + u.sync_ns <= r.reach_ns + 10000
),

linked_strays as (
  select trace_id, file_id, syscall, lane, run, count(*) as strays
  from linked_run_strays
  group by all
),

-- A sync by a thread without the hook, made while a linked call of its fd was in flight,
-- may be taken by a call that began before it: later calls of the run in flight may then
-- each take another's pool sync, and the last pool sync is left unclaimed (FORMAT.md, known
-- limits).
-- Such a run is ambiguous, its calls unpaired: it holds a stray made by a thread that served
-- linked calls of the run, started after every linked sync of the run (the pool's last, that
-- no call took), and a link to a thread that served no other call of the run (the thief). A
-- pool's stray (a call not linked) last in a run where a thread served one call only looks
-- the same: its calls are left unpaired too, not paired wrongly.
linked_shifted as (
  select x.trace_id, x.file_id, x.syscall, x.lane, x.run
  from linked_run_strays as x
  semi join link_servers as t
    on (t.trace_id, t.file_id, t.syscall, t.lane, t.run, t.sys_tid) = (x.trace_id, x.file_id, x.syscall, x.lane, x.run, x.sys_tid)
  where not exists (select 1 from link_servers as l
    where (l.trace_id, l.file_id, l.syscall, l.lane, l.run) = (x.trace_id, x.file_id, x.syscall, x.lane, x.run)
      and l.last_ns > x.sys_start_ns)
  intersect
  select trace_id, file_id, syscall, lane, run from link_servers where served = 1
),

linked_state as (
  select r.trace_id, r.seq, coalesce(s.strays, 0) as extra_syncs, a.run is not null as ambiguous
  from linked_runs as r
  left join linked_strays as s using (trace_id, file_id, syscall, lane, run)
  left join linked_shifted as a using (trace_id, file_id, syscall, lane, run)
),

all_pairs as (
  select trace_id, seq, sys_seq, sys_tid, sys_start_ns, sync_ns from pairs
  union all
  select p.trace_id, p.seq, p.sys_seq, p.sys_tid, p.sys_start_ns, p.sync_ns
  from link_pairs as p
  join linked_state as s using (trace_id, seq)
  where not s.ambiguous
),

all_state as (
  select trace_id, seq, extra_syncs, ambiguous from call_state
  union all
  select trace_id, seq, extra_syncs, ambiguous from linked_state
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
    case when p.sys_seq is not null then greatest(0, js.end_ns - (p.sys_start_ns + p.sync_ns)) end as delivery_ns,
    coalesce(cs.extra_syncs, 0) as extra_syncs,
    coalesce(cs.ambiguous, false) as ambiguous
  from js
  left join all_pairs as p on p.trace_id = js.trace_id and p.seq = js.seq
  left join all_state as cs on cs.trace_id = js.trace_id and cs.seq = js.seq
  join files on files.file_id = js.file_id
  join traces on traces.trace_id = js.trace_id
)

select * from final
