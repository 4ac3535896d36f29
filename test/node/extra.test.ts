/**
 * Syncs no hooked call asked for, in the same process, among calls in flight: a worker
 * thread started without the hook (execArgv: []) syncs a.dat 20 times, 2 ms apart, while
 * the main thread keeps 32 fs.fsync calls in flight over a.dat and b.dat
 * (programs/extra.mjs). Before, each such sync took a place in its run's numbering and
 * every later call of the run took the sync before its own (js_waits, queries/56).
 * - the worker's fs.fsyncSync, on its own thread: set aside (not a pool thread's), every
 *   call paired with a pool thread's sync, none with the worker's;
 * - the worker's fs.fsync, on the pool, as the hooked calls' are: a.dat's calls in flight
 *   with it whose syncs the windows cannot tell from it are left unpaired, marked
 *   ambiguous, which summary says, the others paired; b.dat's are all paired.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { analyze, analyzeJson, analyzeSql, type SummaryJson } from '../../scripts/workloads/common.js';
import { account, NODES, recorded, removeRuns, trackedRun } from './harness.js';

test.after(removeRuns);

const CALLS = 3000;
const EXTRA = 20;

interface Account { pid: number; calls: number; workerTid: number; workerSyncs: number }
interface PerFile { file: string; calls: number; paired: number; ambiguous: number; extra: number; worker_taken: number; pool_threads: number }

function run(how: 'sync' | 'pool', node: string, files: 'two' | 'one' = 'two') {
  const r = trackedRun('extra.mjs', [how, String(EXTRA), String(CALLS), files], { node, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const a = account<Account>(r);
  assert.ok(a.calls >= CALLS, `${a.calls} calls`);
  assert.is(a.workerSyncs, EXTRA);
  const { js, syncs } = recorded(r);
  assert.is(js.length, a.calls);
  // Every sync is recorded: one per hooked call, and the worker's.
  assert.is(syncs.filter((s) => s.call === 'fsync').length, a.calls + EXTRA);
  const rows = analyzeSql<PerFile>(`
    select regexp_extract(path, '[ab]\\.dat$') as file, count(*)::int as calls, (count(*) filter (where paired))::int as paired,
      (count(*) filter (where ambiguous))::int as ambiguous, max(extra_syncs)::int as extra,
      (count(*) filter (where sys_tid = ${a.workerTid}))::int as worker_taken,
      (count(distinct sys_tid) filter (where paired))::int as pool_threads
    from js_waits group by all order by file`, [r.traces]);
  return { r, a, rows };
}

for (const node of NODES) test(`${node.name}: a worker without the hook syncs on its own thread: its syncs set aside, every call paired with its own`, () => {
  const { a, rows } = run('sync', node.bin);
  const [fa, fb] = rows;
  // Calls alternate between the files: half each (the first 32 and every later one in turn).
  assert.is(fa!.calls + fb!.calls, a.calls);
  assert.equal({ ...fa!, paired: 0, extra: 0 }, { file: 'a.dat', calls: fa!.calls, paired: 0, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  assert.ok(fa!.extra >= 1 && fa!.extra <= EXTRA, `${fa!.extra} of the worker's syncs inside a run of a.dat's calls`);
  assert.equal({ ...fb!, paired: 0 }, { file: 'b.dat', calls: fb!.calls, paired: 0, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  // A pool thread preempted between taking a call's work and its sync may leave a pair
  // over (inflight.test.ts): allowed, 1 in 100, as there.
  for (const f of rows) assert.ok(f.paired >= f.calls - f.calls / 100, `${f.file}: ${f.paired} of ${f.calls} paired`);
});

for (const node of NODES) test(`${node.name}: the calls' one file from start to end (one run: no pool thread known from another), a worker without the hook syncing on its own thread: its syncs set aside all the same`, () => {
  const { a, rows } = run('sync', node.bin, 'one');
  assert.is(rows.length, 1);
  const [fa] = rows;
  assert.equal({ ...fa!, paired: 0, extra: 0 }, { file: 'a.dat', calls: a.calls, paired: 0, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  assert.ok(fa!.extra >= 1 && fa!.extra <= EXTRA, `${fa!.extra} of the worker's syncs inside the run`);
  assert.ok(fa!.paired >= fa!.calls - fa!.calls / 100, `a.dat: ${fa!.paired} of ${fa!.calls} paired`);
});

for (const node of NODES) test(`${node.name}: a worker without the hook syncs through the pool: the calls in flight with it left unpaired and marked, and summary says so`, () => {
  const { r, a, rows } = run('pool', node.bin);
  const [fa, fb] = rows;
  assert.is(fa!.calls + fb!.calls, a.calls);
  // a.dat's calls were in flight throughout the worker's syncs: a run of them that held one
  // holds one more sync than calls, from a pool thread; it is cut where its count goes off,
  // and the calls whose sync the windows cannot tell from the worker's are left unpaired.
  // Every other call is paired (a run whose start order is not the pool's stays wholly
  // ambiguous: all of a.dat's calls, in 4 of 18 loaded runs).
  assert.ok(fa!.ambiguous >= 1 && fa!.ambiguous + fa!.paired === fa!.calls, `a.dat: ${fa!.ambiguous} ambiguous, ${fa!.paired} paired of ${fa!.calls}`);
  assert.ok(fa!.extra >= 1 && fa!.extra <= EXTRA);
  assert.is(fa!.worker_taken, 0);
  assert.equal({ ...fb!, paired: 0 }, { file: 'b.dat', calls: fb!.calls, paired: 0, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  assert.ok(fb!.paired >= fb!.calls - fb!.calls / 100, `b.dat: ${fb!.paired} of ${fb!.calls} paired`);
  const s = analyzeJson<SummaryJson>(['summary', r.traces]);
  assert.is(s.files.find((f) => f.path === join(r.data, 'a.dat'))!.js!.ambiguous, fa!.ambiguous);
  assert.is(s.files.find((f) => f.path === join(r.data, 'b.dat'))!.js!.ambiguous, 0);
  const text = analyze(['summary', r.traces]);
  assert.match(text.stdout, `${fa!.ambiguous.toLocaleString('en-US')} Node calls on 1 file left unpaired with a system call`);
});

test.run();
