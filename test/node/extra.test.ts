/**
 * Syncs no hooked call asked for, in the same process, among calls in flight: a worker
 * thread started without the hook (execArgv: []) syncs a.dat 20 times, 2 ms apart, while
 * the main thread keeps 32 fs.fsync calls in flight over a.dat and b.dat
 * (programs/extra.mjs). Paired by their windows alone, each such sync would take a place
 * in its run's numbering (js_waits, queries/56), and the window pairing sets it aside when
 * the worker's own thread made it, but leaves the calls it could have served unpaired
 * (ambiguous) when the pool did (test/db/js_extra.test.ts builds both). Every fs.fsync call
 * here is linked to its sync (flag 0x80): each is paired with its own, the worker's syncs
 * counted as extra_syncs, whichever thread made them; none ambiguous.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { analyze, analyzeJson, analyzeSql, type SummaryJson } from '../../scripts/workloads/common.js';
import { FLAG_JS_LINKED } from '../../src/trace/layout.js';
import { account, NODES, recorded, removeRuns, trackedRun } from './harness.js';

test.after(removeRuns);

const CALLS = 3000;
const EXTRA = 20;

interface Account { pid: number; calls: number; workerTid: number; workerSyncs: number }
interface PerFile { file: string; calls: number; paired: number; ambiguous: number; extra: number; worker_taken: number; pool_threads: number }

function run(how: 'sync' | 'pool', node: string, files: 'two' | 'one' = 'two') {
  const r = trackedRun('extra.mjs', [how, String(EXTRA), String(CALLS), files], { node, tmpfs: true, env: { FSYNC_TRACE_JS_LINK: '1' } });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const a = account<Account>(r);
  assert.ok(a.calls >= CALLS, `${a.calls} calls`);
  assert.is(a.workerSyncs, EXTRA);
  const { js, syncs } = recorded(r);
  assert.is(js.length, a.calls);
  assert.is(js.filter((j) => (j.flags & FLAG_JS_LINKED) !== 0).length, a.calls, 'every call linked');
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

for (const node of NODES) test(`${node.name}: a worker without the hook syncs on its own thread: every call paired with its own, the worker's syncs counted`, () => {
  const { a, rows } = run('sync', node.bin);
  const [fa, fb] = rows;
  // Calls alternate between the files: half each (the first 32 and every later one in turn).
  assert.is(fa!.calls + fb!.calls, a.calls);
  assert.equal({ ...fa!, extra: 0 }, { file: 'a.dat', calls: fa!.calls, paired: fa!.calls, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  assert.ok(fa!.extra >= 1 && fa!.extra <= EXTRA, `${fa!.extra} of the worker's syncs inside a run of a.dat's calls`);
  assert.equal(fb, { file: 'b.dat', calls: fb!.calls, paired: fb!.calls, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
});

for (const node of NODES) test(`${node.name}: the calls' one file from start to end (one run), a worker without the hook syncing on its own thread: every call paired with its own all the same`, () => {
  const { a, rows } = run('sync', node.bin, 'one');
  assert.is(rows.length, 1);
  const [fa] = rows;
  assert.equal({ ...fa!, extra: 0 }, { file: 'a.dat', calls: a.calls, paired: a.calls, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  assert.ok(fa!.extra >= 1 && fa!.extra <= EXTRA, `${fa!.extra} of the worker's syncs inside the run`);
});

for (const node of NODES) test(`${node.name}: a worker without the hook syncs through the pool: every call paired with its own all the same, the worker's syncs counted, none ambiguous, and summary says nothing is left unpaired`, () => {
  const { r, a, rows } = run('pool', node.bin);
  const [fa, fb] = rows;
  assert.is(fa!.calls + fb!.calls, a.calls);
  // By the windows alone, a run of a.dat's calls that held one of the worker's syncs was cut
  // where its count went off, the calls whose sync the windows could not tell from the
  // worker's left unpaired (all of a.dat's calls in 4 of 18 loaded runs).
  assert.equal({ ...fa!, extra: 0 }, { file: 'a.dat', calls: fa!.calls, paired: fa!.calls, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  assert.ok(fa!.extra >= 1 && fa!.extra <= EXTRA, `${fa!.extra} of the worker's syncs inside a run of a.dat's calls`);
  assert.equal(fb, { file: 'b.dat', calls: fb!.calls, paired: fb!.calls, ambiguous: 0, extra: 0, worker_taken: 0, pool_threads: 4 });
  const s = analyzeJson<SummaryJson>(['summary', r.traces]);
  assert.is(s.files.find((f) => f.path === join(r.data, 'a.dat'))!.js!.ambiguous, 0);
  assert.is(s.files.find((f) => f.path === join(r.data, 'b.dat'))!.js!.ambiguous, 0);
  assert.not.match(analyze(['summary', r.traces]).stdout, 'left unpaired');
});

test.run();
