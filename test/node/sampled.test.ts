/**
 * What the hook records when it does not look at a call's stack, and what it
 * records as a call's wait when the library saw no system call under it:
 * - call sites are sampled (a thread's first 64 calls, then one in 4,096 and
 *   one every 10 ms): every call still has a site, the one its thread last
 *   captured for the same API (flag 0x40), so a tight loop's calls are counted
 *   at its line, give or take one sampling window where the program moves to
 *   another line; the call sites table says how many were sampled;
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
const WINDOW = 4096;

for (const node of NODES) test(`${node.name}: sampled sites: every call of a tight loop counted at its line, give or take one sampling window`, () => {
  const r = run('sampled.mjs', [String(N)], { node: node.bin, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [a, b, c] = ['line A', 'line B', 'line C'].map((t) => lineOf('sampled.mjs', t)) as [string, string, string];
  const { js } = recorded(r);
  assert.equal(countBy(js, (j) => j.api), { 'fs.fsync': N, 'fs.fsyncSync': 2 * N });
  assert.equal(js.filter((j) => j.site === null).length, 0, 'every call has a site');
  const captured = js.filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0);
  // The first 64 calls, then one in 4,096 or one every 10 ms: far fewer than the calls.
  assert.ok(captured.length >= 64 + 2 && captured.length < js.length / 4, `${captured.length} captured`);
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
