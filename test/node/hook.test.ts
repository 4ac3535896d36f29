/**
 * The Node hook (recorders/node/hook.cjs) on real Node programs under the
 * preload library: every wrapped API in its callback, promise and sync forms,
 * from ES modules and CommonJS, counted exactly and named by its call site;
 * failed calls that reach the program unchanged; and a program that records
 * nothing when it cannot, and runs as before.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { analyzeJson, analyzeSql, once, type SummaryJson } from '../../scripts/workloads/common.js';
import { account, countBy, FILE_OF, NODES, PROGRAMS, recorded, removeRuns, siteLine, trackedRun } from './harness.js';

const N = 3;

/** Calls per API that apis.mjs and apis.cjs make in N rounds. */
function expectedCounts(n: number): Record<string, number> {
  const once = ['fs.fsyncSync', 'fs.fdatasync', 'fs.fdatasyncSync', 'filehandle.sync', 'filehandle.datasync', 'fs.writeFile',
    'fs.writeFileSync', 'fs.appendFile', 'fs.appendFileSync', 'fs.promises.writeFile', 'fs.promises.appendFile',
    'fs.createWriteStream', 'filehandle.createWriteStream'];
  // fs.fsync twice a round: with a callback, and through util.promisify.
  return countBy([...Array.from({ length: n }, () => [...once, 'fs.fsync', 'fs.fsync']).flat()], (x) => x);
}

/** What the source line of each API's call site says. */
const SITE_TEXT: Record<string, RegExp> = {
  'fs.fsync': /fsync[(),]/,
  'fs.fsyncSync': /fsyncSync\(/,
  'fs.fdatasync': /fdatasync\(/,
  'fs.fdatasyncSync': /fdatasyncSync\(/,
  'filehandle.sync': /\.sync\(\)/,
  'filehandle.datasync': /\.datasync\(\)/,
  'fs.writeFile': /\bwriteFile\(/,
  'fs.writeFileSync': /writeFileSync\(/,
  'fs.appendFile': /\bappendFile\(/,
  'fs.appendFileSync': /appendFileSync\(/,
  'fs.promises.writeFile': /(pWriteFile|promises\.writeFile)\(/,
  'fs.promises.appendFile': /(pAppendFile|fsp\.appendFile)\(/,
  'fs.createWriteStream': /createWriteStream\(at/,
  'filehandle.createWriteStream': /fh2\.createWriteStream\(/,
};


const run = trackedRun;
test.after(removeRuns);

/* Each program on each Node the hook is tested on (NODES: the system's, and 22). */
const esmOn = NODES.map((node) => once(() => run('apis.mjs', [String(N)], { node: node.bin, env: { FSYNC_TRACE_JS_SITES: 'all' } })));
const cjsOn = NODES.map((node) => once(() => run('apis.cjs', [String(N)], { node: node.bin, hook: 'require', env: { FSYNC_TRACE_JS_SITES: 'all' } })));
const esm = esmOn[0]!;

for (const [name, get, program] of NODES.flatMap((node, i) => [
  [`${node.name}, ES module (--import)`, esmOn[i]!, 'apis.mjs'],
  [`${node.name}, CommonJS (--require)`, cjsOn[i]!, 'apis.cjs'],
] as const)) {
  test(`${name}: every API counted exactly, on its file, from its line`, () => {
    const r = get();
    assert.is(r.ran.status, 0, r.ran.stderr);
    const { pid } = account<{ pid: number }>(r);
    const { files, js } = recorded(r);
    assert.is(files.length, 1, 'one trace: the node process');
    assert.equal(countBy(js, (j) => j.api), expectedCounts(N));
    for (const j of js) {
      assert.is(j.path, join(r.data, FILE_OF[j.api]!), `${j.api}'s file`);
      assert.is(j.res, 0);
      assert.ok(j.site !== null, `${j.api} has a call site`);
      assert.ok(j.site!.startsWith(join(PROGRAMS, `${program}:`)), j.site!);
      assert.match(siteLine(j.site!), SITE_TEXT[j.api]!, `${j.api} at ${j.site}: ${siteLine(j.site!)}`);
    }
    // The synchronous APIs wait on the JavaScript thread (the main thread: tid = pid).
    assert.ok(js.every((j) => j.tid === pid));
    // writeFile/appendFile count the bytes they wrote.
    assert.equal([...new Set(js.filter((j) => /writeFile$|appendFile$/.test(j.api)).map((j) => `${j.api}=${j.bytes}`))].sort(),
      ['fs.appendFile=5', 'fs.promises.appendFile=6', 'fs.promises.writeFile=6', 'fs.writeFile=5']);
  });

  test(`${name}: each call is paired with the system call that did its work, inside its wait`, () => {
    const r = get();
    const rows = analyzeSql<{ kind: string; paired: boolean; form: string; wait_ns: number; sync_ns: number; queued_ns: number; delivery_ns: number; sys_tid: number; tid: number }>(
      'select kind, paired, form, wait_ns::double as wait_ns, sync_ns::double as sync_ns, queued_ns::double as queued_ns, delivery_ns::double as delivery_ns, sys_tid, tid from js_waits', [r.traces]);
    assert.is(rows.length, Object.values(expectedCounts(N)).reduce((a, b) => a + b, 0));
    assert.equal(rows.filter((x) => !x.paired).map((x) => x.kind), []);
    for (const x of rows) {
      assert.ok(x.queued_ns + x.sync_ns + x.delivery_ns <= x.wait_ns + 20_000, `${x.kind}: parts within the wait`);
      if (x.form === 'sync') assert.is(x.sys_tid, x.tid, `${x.kind} syncs on the calling thread`);
      else assert.is.not(x.sys_tid, x.tid, `${x.kind} syncs on a pool thread`);
    }
  });
}

test('summary --json: a file the hook recorded adds "js"; Node calls are not sync calls', () => {
  const r = esm();
  const s = analyzeJson<SummaryJson>(['summary', r.traces]);
  const fd = s.files.find((f) => f.path === join(r.data, 'fd.dat'))!;
  // fd.dat: fsyncSync, fdatasyncSync, fsync x2, fdatasync per round, each one system call.
  assert.is(fd.calls, 5 * N);
  assert.is(fd.js!.calls, 5 * N);
  assert.ok(fd.js!.wait_p50_ms > 0 && fd.js!.wait_p99_ms >= fd.js!.wait_p50_ms);
  assert.is(s.files.find((f) => f.path === join(r.data, 'plain.dat')), undefined, 'writes without flush sync nothing');
  const jsCalls = s.files.reduce((n, f) => n + (f.js?.calls ?? 0), 0);
  assert.is(jsCalls, 15 * N);
  assert.is(s.totals.calls, s.files.reduce((n, f) => n + f.calls, 0), 'totals count system calls only');
});

for (const node of NODES) test(`${node.name}: a worker thread loads the hook too: its calls are recorded on its own thread and paired`, () => {
  const r = run('worker.mjs', [], { node: node.bin });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { pid } = account<{ pid: number }>(r);
  const { js } = recorded(r);
  assert.equal(js.map((j) => [j.api, j.path, siteLine(j.site!).trim()]), [
    ['fs.fsyncSync', join(r.data, 'worker.dat'), 'fsyncSync(fd);'],
    ['fs.fsync', join(r.data, 'worker.dat'), 'fsync(fd, () => {'],
  ]);
  assert.is(js[0]!.tid, js[1]!.tid);
  assert.is.not(js[0]!.tid, pid, 'the worker\'s own thread');
  const rows = analyzeSql<{ paired: boolean }>('select paired from js_waits', [r.traces]);
  assert.equal(rows.map((x) => x.paired), [true, true]);
});

test('call sites are rationed by default, never the calls: every call counted, few enough all named', () => {
  const r = run('apis.mjs', ['1']);
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { js } = recorded(r);
  assert.equal(countBy(js, (j) => j.api), expectedCounts(1));
  assert.equal(js.filter((j) => j.site === null).map((j) => j.api), []);
  const off = run('apis.mjs', ['1'], { env: { FSYNC_TRACE_JS_SITES: 'off' } });
  const offJs = recorded(off).js;
  assert.equal(countBy(offJs, (j) => j.api), expectedCounts(1));
  assert.ok(offJs.every((j) => j.site === null));
});

test.run();
