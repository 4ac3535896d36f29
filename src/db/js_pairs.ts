/**
 * The `js_pairs` table: each Node call (js_calls) with the sync system call that
 * did its work, found by an order-preserving maximum matching (js_match.ts);
 * queries/56_js_waits.sql joins it. Made in TypeScript, not SQL: the matching is
 * a dynamic programme over each file's calls in start order.
 *
 * Lanes: a synchronous API (fs.fsyncSync) makes its system call on its own
 * thread; the others on libuv's pool, whose threads make no JavaScript calls. A
 * sync by a thread that made Node calls is in that thread's lane (so an addon's
 * sync on the main thread is never an asynchronous call's); any other sync is in
 * the pool's. Calls and syncs are matched per trace, file, system call and lane.
 *
 * Windows: from the call to its callback, promise or return, 10 µs wider each
 * side (the two clocks are one, read a few ns apart). A call that waited while
 * the library made the trace (flag 0x20) was recorded without that time
 * (made_ns, FORMAT.md), which its sync, or those queued behind the making, still
 * hold: its window is widened by it (older traces hold 0 there: the trace's
 * first sync, inside which the making happened, stands in).
 *
 * Syncs set aside: a run whose windows hold more syncs than it has calls holds
 * syncs no call asked for (a worker thread without the hook, a native addon;
 * its `extra`). The pool's threads are those whose syncs are in the trace's
 * runs that hold none; of a run that holds some, the syncs of the other threads are set aside
 * when together they are exactly the extra ones, else those of the one such
 * thread that made exactly that many (a file whose calls are one run teaches no
 * pool thread), and the file's lane is matched again without them. The calls of
 * the run keep its count of extra syncs.
 */
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { ColumnAppender } from './append.js';
import { matchWindows, PAIRED, type Match } from './js_match.js';

/** The table's columns; `state` is js_match's UNPAIRED, PAIRED or AMBIGUOUS. */
const TABLE = `create or replace table js_pairs (
  trace_id     integer,
  seq          bigint,    -- the call (js_calls)
  state        utinyint,  -- 0 unpaired, 1 paired, 2 ambiguous
  sys_seq      bigint,    -- when paired: its sync (events), else 0
  sys_tid      uinteger,
  sys_start_ns bigint,    -- ns since the epoch
  sync_ns      bigint,
  extra_syncs  integer    -- its run's syncs beyond one per call (js_match.ts)
)`;

/** Slack on each side of a window (ns). */
const SLACK_NS = 10_000;

const KEYS = `
js as (
  select j.*, a.form, c.call
  from js_calls as j
  join js_apis as a using (api)
  join calls as c on c.name = a.syscall
),
base as (
  select trace_id, min(epoch_ns(start)) as base_ns from js group by trace_id
),
js_threads as (
  select distinct trace_id, tid from js_calls
)`;

/** The calls: group key, window (ns after the trace's first call) and seq, in group and start order. */
const CALLS = `
with ${KEYS},
made as (
  select trace_id, arg_min(dur_ns, start) as first_sync_ns
  from events
  where type = ft_t_sync() and source = 'ring'
    and trace_id in (select trace_id from js where (flags & ft_f_js_trace_made()) <> 0)
  group by trace_id
)
select
  js.trace_id::double as trace, js.file_id::double as file, js.call::double as call,
  (case when js.form = 'sync' then js.tid::bigint else -1 end)::double as lane,
  (epoch_ns(js.start) - base_ns)::double as t0,
  (epoch_ns(js.start) + js.dur_ns - base_ns + case when (js.flags & ft_f_js_trace_made()) = 0 then 0
    when js.made_ns > 0 then js.made_ns else coalesce(made.first_sync_ns, 0) end)::double as t1,
  js.seq
from js
join base using (trace_id)
left join made using (trace_id)
order by trace, file, call, lane, t0, js.seq`;

/** The candidate syncs: those of the processes, files and kinds the calls have, in the same order. */
const SYNCS = `
with ${KEYS},
keys as (
  select distinct trace_id, file_id, call from js
)
select
  e.trace_id::double as trace, e.file_id::double as file, e.call::double as call,
  coalesce(t.tid::bigint, -1)::double as lane,
  (epoch_ns(e.start) - base_ns)::double as s0,
  (epoch_ns(e.start) + e.dur_ns - base_ns)::double as s1,
  e.tid::double as tid, e.seq, epoch_ns(e.start) as start_ns, e.dur_ns
from events as e
join keys using (trace_id, file_id, call)
join files using (file_id)
join base using (trace_id)
left join js_threads as t on t.trace_id = e.trace_id and t.tid = e.tid
where e.type = ft_t_sync() and e.source = 'ring' and files.known
order by trace, file, call, lane, s0, e.seq`;

type Columns = Record<string, Float64Array | BigInt64Array>;

/** Make `js_pairs` from the loaded tables. */
export async function buildJsPairs(connection: DuckDBConnection): Promise<void> {
  await connection.run(TABLE);
  const count = await connection.runAndReadAll('select count(*) from js_calls');
  if (Number(count.getRows()[0]![0]) === 0) return;
  const calls = await readColumns(connection, CALLS);
  const syncs = await readColumns(connection, SYNCS);
  const out = pairAll(calls, syncs);
  const appender = await ColumnAppender.create(connection, 'js_pairs');
  try {
    appender.append(out.columns, 0, out.rows);
  } finally {
    appender.close();
  }
}

/** A group: calls [c0, c1) and syncs [s0, s1) of one trace, file, system call and lane. */
interface Group { c0: number; c1: number; s0: number; s1: number; pool: boolean; match: Match }

function pairAll(c: Columns, s: Columns) {
  const groups = groupsOf(c, s);
  const cs = { trace: c.trace as Float64Array, t0: c.t0 as Float64Array, t1: c.t1 as Float64Array, seq: c.seq as BigInt64Array };
  const ss = {
    s0: s.s0 as Float64Array, s1: s.s1 as Float64Array, tid: s.tid as Float64Array, seq: s.seq as BigInt64Array,
    start: s.start_ns as BigInt64Array, dur: s.dur_ns as BigInt64Array,
  };
  const a = cs.t0.map((t) => t - SLACK_NS);
  const b = cs.t1.map((t) => t + SLACK_NS);
  const match = (g: Omit<Group, 'match'>, keep?: (j: number) => boolean): Match => {
    const calls = [a.subarray(g.c0, g.c1), b.subarray(g.c0, g.c1)] as const;
    if (!keep) return matchWindows(...calls, ss.s0.subarray(g.s0, g.s1), ss.s1.subarray(g.s0, g.s1));
    const kept: number[] = [];
    for (let j = g.s0; j < g.s1; j++) if (keep(j)) kept.push(j);
    const pick = (v: Float64Array) => Float64Array.from(kept, (j) => v[j]!);
    const m = matchWindows(...calls, pick(ss.s0), pick(ss.s1));
    // Back to the group's numbering.
    for (let i = 0; i < m.sync.length; i++) if (m.sync[i]! >= 0) m.sync[i] = kept[m.sync[i]!]! - g.s0;
    return m;
  };
  const matched: Group[] = groups.map((g) => ({ ...g, match: match(g) }));
  const aside = setAside(matched, cs.trace, ss.tid);
  const rows = matched.reduce((t, g) => t + g.match.run.reduce((n, r) => n + (r >= 0 ? 1 : 0), 0), 0);
  const col = {
    trace: new Int32Array(rows), seq: new BigInt64Array(rows), state: new Uint8Array(rows), sysSeq: new BigInt64Array(rows),
    sysTid: new Uint32Array(rows), sysStart: new BigInt64Array(rows), syncNs: new BigInt64Array(rows), extra: new Int32Array(rows),
  };
  let k = 0;
  for (const g of matched) {
    const final = aside.size > 0 && hasAny(aside, g.s0, g.s1) ? match(g, (j) => !aside.has(j)) : g.match;
    for (let i = 0; i < g.c1 - g.c0; i++) {
      const run = g.match.run[i]!;
      if (run < 0) continue;
      col.trace[k] = cs.trace[g.c0 + i]!;
      col.seq[k] = cs.seq[g.c0 + i]!;
      col.state[k] = final.state[i]!;
      col.extra[k] = g.match.extra[run]!;
      if (final.state[i] === PAIRED) {
        const j = g.s0 + final.sync[i]!;
        col.sysSeq[k] = ss.seq[j]!;
        col.sysTid[k] = ss.tid[j]!;
        col.sysStart[k] = ss.start[j]!;
        col.syncNs[k] = ss.dur[j]!;
      }
      k++;
    }
  }
  return { rows, columns: [col.trace, col.seq, col.state, col.sysSeq, col.sysTid, col.sysStart, col.syncNs, col.extra] };
}

function hasAny(set: Set<number>, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (set.has(j)) return true;
  return false;
}

/** The calls and syncs of each trace, file, system call and lane (both sorted by those, then start). */
function groupsOf(c: Columns, s: Columns): Omit<Group, 'match'>[] {
  const key = (x: Columns, i: number) => [x.trace![i]!, x.file![i]!, x.call![i]!, x.lane![i]!] as number[];
  const cmp = (p: number[], q: number[]) => {
    for (let t = 0; t < 4; t++) if (p[t] !== q[t]) return p[t]! < q[t]! ? -1 : 1;
    return 0;
  };
  const nc = c.trace!.length;
  const ns = s.trace!.length;
  const groups: Omit<Group, 'match'>[] = [];
  let j = 0;
  for (let i = 0; i < nc;) {
    const k = key(c, i);
    let i1 = i + 1;
    while (i1 < nc && cmp(key(c, i1), k) === 0) i1++;
    while (j < ns && cmp(key(s, j), k) < 0) j++;
    let j1 = j;
    while (j1 < ns && cmp(key(s, j1), k) === 0) j1++;
    groups.push({ c0: i, c1: i1, s0: j, s1: j1, pool: k[3] === -1 });
    i = i1;
    j = j1;
  }
  return groups;
}

/**
 * The syncs (their row numbers) set aside as no call's: in the pool's lane, of the
 * runs that leave syncs over, those of the threads apart from the pool's (see above).
 */
function setAside(groups: Group[], trace: Float64Array, tid: Float64Array): Set<number> {
  const pool = new Set<string>();
  const at = (g: Group, j: number) => `${trace[g.c0]!}:${tid[g.s0 + j]!}`;
  for (const g of groups) {
    if (!g.pool) continue;
    g.match.syncRun.forEach((r, j) => {
      if (r >= 0 && g.match.extra[r] === 0) pool.add(at(g, j));
    });
  }
  const aside = new Set<number>();
  for (const g of groups) {
    if (!g.pool || !g.match.extra.some((x) => x > 0)) continue;
    // Per run that leaves syncs over: its syncs by each thread not known as the pool's.
    const outsiders = new Map<number, Map<string, number[]>>();
    g.match.syncRun.forEach((r, j) => {
      if (r < 0 || g.match.extra[r] === 0 || pool.has(at(g, j))) return;
      const byThread = outsiders.get(r) ?? new Map<string, number[]>();
      outsiders.set(r, byThread);
      const rows = byThread.get(at(g, j)) ?? [];
      byThread.set(at(g, j), rows);
      rows.push(g.s0 + j);
    });
    for (const [r, byThread] of outsiders) {
      const extra = g.match.extra[r]!;
      const threads = [...byThread.values()];
      const exact = threads.filter((rows) => rows.length === extra);
      const chosen = threads.reduce((t, rows) => t + rows.length, 0) === extra ? threads : exact.length === 1 ? exact : [];
      for (const rows of chosen) for (const j of rows) aside.add(j);
    }
  }
  return aside;
}

/** A query's result as whole columns, by name: DOUBLE as Float64Array, BIGINT as BigInt64Array (no nulls). */
async function readColumns(connection: DuckDBConnection, sql: string): Promise<Columns> {
  const result = await connection.stream(sql);
  const names = result.columnNames();
  const types = result.columnTypes().map((t) => t.toString());
  const chunks: DuckDBDataChunk[] = [];
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    chunks.push(chunk);
    rows += chunk.rowCount;
  }
  const columns: Columns = {};
  names.forEach((name, c) => {
    if (types[c] !== 'DOUBLE' && types[c] !== 'BIGINT') throw new Error(`js_pairs: column ${name} is ${types[c]}`);
    const values = types[c] === 'DOUBLE' ? new Float64Array(rows) : new BigInt64Array(rows);
    const bytes = new Uint8Array(values.buffer);
    let at = 0;
    for (const ch of chunks) {
      bytes.set(duckdb.vector_get_data(duckdb.data_chunk_get_vector(ch.chunk, c), ch.rowCount * 8), at * 8);
      at += ch.rowCount;
    }
    columns[name] = values;
  });
  return columns;
}
