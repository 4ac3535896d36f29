/**
 * What the hook records when it does not look at a call's stack, and what it
 * records as a call's wait when the library saw no system call under it:
 * - call sites are sampled (a thread's first 64 calls, then after a random
 *   count of calls whose mean the captures' cost sets, 25 ns a call, or
 *   FSYNC_TRACE_JS_SITES=N; and any call the time since the last capture pays
 *   for, when calls are sparse): every call still has a site, the one its
 *   thread last captured for the same API (flag 0x40), so a tight loop's calls
 *   are counted at its line, give or take one sampling window where the
 *   program moves to another line; a tight loop over two lines gives each its
 *   share; a program that syncs every 20 ms has every call captured; the call
 *   sites table says how many were sampled;
 * - a synchronous call whose system call the library did not see (a shim in
 *   front of it takes fsync, as libeatmydata does) is recorded with the wait
 *   the program had, not 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeSql, freshDir, LIB, removeDir } from '../../scripts/workloads/common.js';
import { FLAG_JS_SITE_INHERITED } from '../../src/trace/layout.js';
import { account, countBy, NODES, PROGRAMS, recorded, removeRuns, trackedRun } from './harness.js';

const run = trackedRun;
const dirs: string[] = [];
test.after(() => {
  removeRuns();
  for (const d of dirs.splice(0)) removeDir(d);
});

/** The line of PROGRAMS/program that ends with `// <tag>`, as a call site. */
function lineOf(program: string, tag: string): string {
  const lines = readFileSync(join(PROGRAMS, program), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.endsWith(`// ${tag}`));
  assert.ok(i >= 0, tag);
  return `${join(PROGRAMS, program)}:${i + 1}`;
}

const N = 12_000;
/* One capture per EVERY calls on average: each count drawn between half and
 * one and a half times that, so no window is longer than WINDOW calls. */
const EVERY = 1000;
const WINDOW = 1500;

for (const node of NODES) test(`${node.name}: sampled sites: every call of a tight loop counted at its line, give or take one sampling window`, () => {
  const r = run('sampled.mjs', [String(N)], { node: node.bin, tmpfs: true, env: { FSYNC_TRACE_JS_SITES: String(EVERY) } });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [a, b, c] = ['line A', 'line B', 'line C'].map((t) => lineOf('sampled.mjs', t)) as [string, string, string];
  const { js } = recorded(r);
  assert.equal(countBy(js, (j) => j.api), { 'fs.fsync': N, 'fs.fsyncSync': 2 * N });
  assert.equal(js.filter((j) => j.site === null).length, 0, 'every call has a site');
  const captured = js.filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0);
  // The first 64 calls and fs.fsync's first, then one per 500 to 1,500 calls.
  const later = js.length - 64 - 1;
  assert.ok(captured.length >= 64 + 1 + Math.floor(later / WINDOW) && captured.length <= 64 + 1 + Math.ceil(later / (EVERY / 2)), `${captured.length} captured`);
  assert.equal([...new Set(captured.map((j) => j.site))].sort(), [a, b, c].sort());
  // fs.fsync is another API: its calls take only its own captures, all at line C.
  assert.equal(countBy(js.filter((j) => j.api === 'fs.fsync'), (j) => j.site!), { [c]: N });
  // Line B's first calls take line A's site until the next capture: within one window.
  const sync = countBy(js.filter((j) => j.api === 'fs.fsyncSync'), (j) => j.site!);
  assert.is(sync[a]! + sync[b]!, 2 * N);
  assert.ok(sync[a]! >= N && sync[a]! <= N + WINDOW, `line A: ${sync[a]}`);
  // The call sites table: the same counts, and how many of them were sampled.
  const rows = analyzeSql<{ site: string; kind: string; calls: number; captured: number }>(
    'select site, kind, calls::int as calls, captured::int as captured from js_call_sites order by site', [r.traces]);
  assert.equal(rows.map((x) => [x.site, x.kind, x.calls]), [[a, 'js:fs.fsyncSync', sync[a]], [b, 'js:fs.fsyncSync', sync[b]], [c, 'js:fs.fsync', N]]);
  assert.equal(rows.map((x) => x.captured), [a, b, c].map((s) => captured.filter((j) => j.site === s).length));
});

for (const node of NODES) test(`${node.name}: sampled sites: a program that syncs every 20 ms has every call's stack captured`, () => {
  // 20 ms apart (a sleep between calls): 19 ms of it beyond 1 ms, 1/32 of that (590 us)
  // pays for any capture (counted at 200 us at most), so each call is captured, the
  // first 64 or not, whatever the machine's load.
  const n = 30;
  const r = run('sparse.mjs', [String(n)], { node: node.bin, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [a, b, c] = ['line A', 'line B', 'line C'].map((t) => lineOf('sparse.mjs', t)) as [string, string, string];
  const { js } = recorded(r);
  assert.is(js.length, 3 * n);
  assert.equal(js.filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) !== 0).length, 0, 'no call inherits a site');
  assert.equal(countBy(js, (j) => j.site!), { [a]: n, [b]: n, [c]: n });
});

/*
 * A tight loop over two lines (tight.mjs: line A every turn, line B every third):
 * the calls each line is given, against the truth. A capture lands on a call of
 * the loop at random (the count before it is drawn from a range far wider than
 * the loop's 4 calls) and its site is given to as many calls whatever that site
 * is, so line B's share of the calls is an unbiased estimate of its true share
 * p = 1/4, from the k captures after the first 64 (which are exact): its
 * standard error is sqrt(p (1 - p) / k * (1 + 1/12)) (1/12: the variance of the
 * counts, uniform over [m/2, 3m/2], over their mean squared). The tolerance is
 * 4.5 of those: a correct hook fails it about once in 150,000 runs.
 */
const TURNS = 90_000;
function tightShares(node: string, env: NodeJS.ProcessEnv) {
  const r = run('tight.mjs', [String(TURNS)], { node, tmpfs: true, env });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [a, b] = ['line A', 'line B'].map((t) => lineOf('tight.mjs', t)) as [string, string];
  const { js } = recorded(r);
  const truth = { a: TURNS, b: Math.ceil(TURNS / 3) };
  assert.is(js.length, truth.a + truth.b);
  const got = countBy(js, (j) => j.site!);
  assert.equal(Object.keys(got).sort(), [a, b].sort());
  assert.equal(js.slice(0, 64).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) !== 0).length, 0, 'the first 64 captured');
  const k = js.slice(64).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  const p = truth.b / js.length;
  const se = Math.sqrt(((p * (1 - p)) / k) * (1 + 1 / 12));
  const share = got[b]! / js.length;
  assert.ok(Math.abs(share - p) <= 4.5 * se, `line B: ${got[b]} of ${js.length} calls (${share.toFixed(4)}), truth ${p.toFixed(4)}, ${k} captures: tolerance ${(4.5 * se).toFixed(4)}`);
  return { k, later: js.length - 64 };
}

for (const node of NODES) test(`${node.name}: sampled sites: a tight loop over two lines gives each its share of the calls (one capture per 200 calls)`, () => {
  const { k, later } = tightShares(node.bin, { FSYNC_TRACE_JS_SITES: '200' });
  // Each count drawn between 100 and 300 calls.
  assert.ok(k >= Math.floor(later / 300) && k <= Math.ceil(later / 100), `${k} captures in ${later} calls`);
});

for (const node of NODES) test(`${node.name}: sampled sites: a tight loop over two lines gives each its share of the calls (the captures' budget)`, () => {
  const { k, later } = tightShares(node.bin, {});
  // 25 ns a call: a count of cost / 25 ns, over 100 for any capture over 2.5 us (a
  // capture walks and symbolizes 12 frames: 5 us or more even when every call
  // captures); enough captures left for the share to mean something.
  assert.ok(k >= 10 && k <= later / 100, `${k} captures in ${later} calls`);
});

for (const node of NODES) test(`${node.name}: sampled sites: a program that breaks Math.random (it throws) is sampled as any other`, () => {
  // The hook took Math.random when it loaded; one capture per 100 calls on average.
  const n = 5000;
  const r = run('mathless.mjs', [String(n)], { node: node.bin, tmpfs: true, env: { FSYNC_TRACE_JS_SITES: '100' } });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { js } = recorded(r);
  assert.equal(countBy(js, (j) => j.site!), { [lineOf('mathless.mjs', 'line A')]: n });
  const k = js.slice(64).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  // Each count drawn between 50 and 150 calls.
  assert.ok(k >= Math.floor((n - 64) / 150) && k <= Math.ceil((n - 64) / 50), `${k} captures`);
});

/** test/node/programs/nosync.c, built into a directory of its own. */
function nosyncShim(): string {
  const dir = freshDir('node-nosync');
  dirs.push(dir);
  const out = join(dir, 'nosync.so');
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-Wall', '-Werror', '-o', out, join(PROGRAMS, 'nosync.c')]);
  return out;
}

for (const node of NODES) test(`${node.name}: a synchronous call whose system call the library did not see is recorded with the program's wait`, () => {
  const shim = nosyncShim();
  const r = run('waits.mjs', ['3'], { node: node.bin, env: { LD_PRELOAD: `${shim} ${LIB}`, NOSYNC_MS: '5' } });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { waits } = account<{ waits: Record<string, number[]> }>(r);
  const { js, syncs } = recorded(r);
  assert.is(syncs.length, 0, 'the shim took every sync: the library saw none');
  assert.equal(countBy(js, (j) => j.api), { 'fs.fdatasync': 3, 'fs.fdatasyncSync': 3, 'fs.fsync': 3, 'fs.fsyncSync': 3 });
  for (const api of Object.keys(waits)) {
    const got = js.filter((j) => j.api === api).map((j) => Number(j.durNs) / 1e6);
    got.forEach((ms, i) => {
      // At least the shim's 5 ms, and no more than what the program measured around the call.
      assert.ok(ms >= 5 && ms <= waits[api]![i]! + 0.05, `${api} #${i}: recorded ${ms} ms, the program saw ${waits[api]![i]} ms`);
    });
  }
  const rows = analyzeSql<{ paired: boolean; wait_ms: number }>('select paired, wait_ns / 1e6 as wait_ms from js_waits', [r.traces]);
  assert.is(rows.length, 12);
  assert.ok(rows.every((x) => !x.paired && x.wait_ms >= 5));
});

test.run();
