/**
 * What the hook records when it does not look at a call's stack, and what it
 * records as a call's wait when the library saw no system call under it:
 * - call sites are sampled (a thread's first 64 calls, then after a random
 *   count of calls whose mean the captures' cost sets against what a call
 *   pays, 25 ns and 1/32 of its time beyond 1 ms, or FSYNC_TRACE_JS_SITES=N
 *   at most): every call still has a site, the one its thread last captured
 *   for the same API (flag 0x40), so a tight loop's calls are counted at its
 *   line, give or take one sampling window where the program moves to
 *   another line; a loop over two lines gives each its share, tight or a few
 *   ms apart; a program that syncs every 20 ms, or a pair of calls every
 *   30 ms, has every call captured; the call sites table says how many were
 *   sampled; each count of calls between captures is checked against what
 *   the rule allows at the pace the program's calls came, with the captures'
 *   cost timed from inside them (paced; no bound that a slow or loaded
 *   machine, or a fast one, breaks);
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
import type { JsCall } from '../../src/trace/events.js';
import { FLAG_JS_SITE_INHERITED } from '../../src/trace/layout.js';
import { account, countBy, HOOK, NODES, PROGRAMS, recorded, removeRuns, trackedRun } from './harness.js';

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

/*
 * The hook's count rule (hook.cjs: captureDone, meanCount, siteDue), checked
 * from below on the calls a program made, whatever the machine's speed: after
 * a capture the count of calls to the next is drawn from
 * mean = min(N, cost / (25 ns + share), small / share) (N: FSYNC_TRACE_JS_SITES,
 * none by default), at least floor(mean / 2 + 1/2) and 1, where cost and
 * small are the means of the captures before (each the thread's CPU time it
 * took, at 1 ms and at 200 us at most, the recent ones weighing 1/8) and
 * share is 1/32 of the thread's time per call beyond 1 ms; a look (a call
 * 5 ms or more after the capture's end) may draw the count afresh from that
 * call on. Here each cost is at least what the program timed of that capture
 * from inside it (programs/captures.mjs), and the time per call at most the
 * greatest mean gap over the calls before it (the hook's is a mean of the
 * gaps, the older weighing no more than the newer: the greatest of the means
 * over the last m calls bounds it, back to the process's start), so each
 * count between captures must be at least the least draw those allow. A
 * capture that starts an API (its first call) cuts the count before it short:
 * not checked; nor are the first 64, which take a count of 1.
 */
interface Timed {
  captureNs: number[];
  start: number;
}
function paced(js: JsCall[], timed: Timed, every: number, lead = 0): { checked: number; spaced: number } {
  const calls = js.slice().sort((x, y) => (x.startNs < y.startNs ? -1 : x.startNs > y.startNs ? 1 : 0));
  const n = lead + calls.length;
  // lead: calls before these whose records come later (a stream's site, captured as it is
  // made): captured, at an unknown time after the process's start.
  const startOf = (i: number) => (i < lead ? timed.start : Number(calls[i - lead]!.startNs));
  const isCaptured = (i: number) => i < lead || (calls[i - lead]!.flags & FLAG_JS_SITE_INHERITED) === 0;
  const apiOf = (i: number) => (i < lead ? `lead ${i}` : calls[i - lead]!.api);
  // The clock the hook read at each call (siteOf's), at least: a call's own start when its
  // site was inherited; after a capture the record starts where the capture ended, so at
  // least the call before's start.
  const at: number[] = [];
  for (let i = 0; i < n; i++) at.push(!isCaptured(i) ? startOf(i) : i > 0 ? startOf(i - 1) : timed.start);
  const captures: number[] = [];
  for (let i = 0; i < n; i++) if (isCaptured(i)) captures.push(i);
  assert.is(timed.captureNs.length, captures.length, 'the captures the program timed are the records captured');
  // The thread's time per call at call k, at most (the clock there at most its record's start).
  const perAtMost = (k: number) => {
    const t = startOf(k);
    let most = 0;
    for (let m = 1; m <= k + 1; m++) {
      if ((t - timed.start) / m <= Math.max(most, 1e6)) break;
      const from = k - m >= 0 ? at[k - m]! : timed.start;
      most = Math.max(most, (t - from) / m);
    }
    return most;
  };
  const least = (k: number, cost: number, small: number) => {
    const per = perAtMost(k);
    const share = per > 1e6 ? (per - 1e6) / 32 : 0;
    let mean = cost / (25 + share);
    if (share > 0) mean = Math.min(mean, small / share);
    if (every > 0) mean = Math.min(mean, every);
    return Math.max(1, Math.floor(mean / 2 + 0.5));
  };
  const seen = new Set<string>();
  let cost = 0;
  let small = 0;
  let checked = 0;
  let spaced = 0;
  const short: string[] = [];
  captures.forEach((i, c) => {
    const [costBefore, smallBefore] = [cost, small];
    const took = timed.captureNs[c]!;
    cost = cost === 0 ? Math.min(took, 1e6) : cost + (Math.min(took, 1e6) - cost) / 8;
    small = small === 0 ? Math.min(took, 200e3) : small + (Math.min(took, 200e3) - small) / 8;
    seen.add(apiOf(i));
    const next = captures[c + 1];
    // The first 64 captures take a count of 1; the 64th draws.
    if (c < 63 || next === undefined || !seen.has(apiOf(next))) return;
    let bound = least(i, costBefore, smallBefore);
    const drawn = bound;
    // A look draws afresh from a call 5 ms or more after this capture's end.
    for (let j = i + 1; j < next && j - i < bound; j++) {
      if (startOf(j) < startOf(i) + 5e6) continue;
      bound = Math.min(bound, j - i + least(j, cost, small));
    }
    checked++;
    if (bound < drawn) spaced++;
    if (next - i < bound) short.push(`capture ${c} (call ${i}): the next after ${next - i} calls, at least ${bound} by the rule`);
  });
  assert.ok(short.length === 0, `${short.length} of ${checked} counts short: ${short.slice(0, 5).join('; ')}`);
  return { checked, spaced };
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
  // The first 64 calls and fs.fsync's first, then one per 1,500 calls at most; and no
  // sooner than the rule allows at the pace the calls came (fewer than 500 calls only
  // where they were over 1 ms apart, or the captures cheaper than 25 us).
  const later = js.length - 64 - 1;
  assert.ok(captured.length >= 64 + 1 + Math.floor(later / WINDOW), `${captured.length} captured`);
  paced(js, account<Timed>(r), EVERY);
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

function sparseAllCaptured(node: string, n: number, ms: number) {
  const r = run('sparse.mjs', [String(n), String(ms)], { node, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [a, b, c] = ['line A', 'line B', 'line C'].map((t) => lineOf('sparse.mjs', t)) as [string, string, string];
  const { js } = recorded(r);
  assert.is(js.length, 3 * n);
  assert.equal(js.filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) !== 0).length, 0, 'no call inherits a site');
  assert.equal(countBy(js, (j) => j.site!), { [a]: n, [b]: n, [c]: n });
}

for (const node of NODES) test(`${node.name}: sampled sites: a program that syncs every 20 ms has every call's stack captured`, () => {
  // 20 ms apart (a sleep between calls): 19 ms of it beyond 1 ms, 1/32 of that (590 us)
  // pays for any capture (counted at 200 us at most), so each call is captured, the
  // first 64 or not, whatever the machine's load.
  sparseAllCaptured(node.bin, 30, 20);
});

for (const node of NODES) test(`${node.name}: sampled sites: a program that syncs every 8 ms has every call's stack captured`, () => {
  // 8 ms apart (7.5 ms is the least): 1/32 of 7 ms beyond 1 ms is 219 us, over any
  // capture's 200 us at most, so the count is always 1, whatever the load.
  sparseAllCaptured(node.bin, 80, 8);
});

for (const node of NODES) test(`${node.name}: sampled sites: after a burst of 20,000 calls, a pair of calls every 30 ms has every call captured at its own line from the 16th round`, () => {
  // 20,000 calls at line X, then pairs A, B (B at once) 30 ms apart or more. The
  // time per call is averaged over spans (from a capture or look to the next; a look
  // comes 5 ms after the last capture or look), those before weighing 7/8 per 5 ms
  // of the span after: in the burst about its last 40 ms, 40,000 calls at most (a
  // sync is 1 us or more), weigh; each round's 30 ms weighs them (7/8)^6 = 0.45 more.
  // The pairs' own spans come to 54 ms over 3.6 calls (30 ms and 2 calls a round,
  // each round weighing those before 0.45). The count is 1 (a capture's 200 us at
  // most paid by 1/32 of the time beyond 1 ms) when the time per call is 7.4 ms or
  // more: 54 ms / (3.6 + 40,000 x 0.45^k) >= 7.4 ms from k = 12 rounds on. Round
  // 13's A draws the count afresh (a look, or the burst's count's end): 1; from
  // round 14 every call is captured; checked from round 16. Load only lengthens the
  // rounds (sleeps), which weighs the burst less.
  const [n, rounds] = [20_000, 24];
  const r = run('burst.mjs', [String(n), String(rounds)], { node: node.bin, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [x, a, b] = ['line X', 'line A', 'line B'].map((t) => lineOf('burst.mjs', t)) as [string, string, string];
  const { js } = recorded(r);
  assert.is(js.length, n + 2 * rounds);
  assert.equal(countBy(js.slice(0, n), (j) => j.site!), { [x]: n });
  const later = js.slice(n + 2 * 15);
  assert.equal(later.map((j) => [j.site, j.flags & FLAG_JS_SITE_INHERITED]), later.map((_, i) => [i % 2 === 0 ? a : b, 0]));
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
 * 4.5 of those: at one capture per 200 calls (about 600 captures), a correct hook
 * fails it about once in 170,000 runs (a simulation of this loop and its counts,
 * 10 million runs: 60 beyond, 48 of them high; the share leans high, so fewer
 * captures fail it more often: once in about 110,000 at a mean count of 2,000).
 */
const TURNS = 90_000;
function tightShares(node: string, every: number) {
  const r = run('tight.mjs', [String(TURNS)], { node, tmpfs: true, env: { FSYNC_TRACE_JS_SITES: String(every) } });
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
  paced(js, account<Timed>(r), every);
  return { k, later: js.length - 64 };
}

for (const node of NODES) test(`${node.name}: sampled sites: a tight loop over two lines gives each its share of the calls (one capture per 200 calls)`, () => {
  // Each count drawn between 100 and 300 calls (fewer only where the rule allows it:
  // calls over 1 ms apart, or captures cheaper than 5 us; tightShares checks each).
  const { k, later } = tightShares(node.bin, 200);
  assert.ok(k >= Math.floor(later / 300), `${k} captures in ${later} calls`);
});

for (const node of NODES) test(`${node.name}: sampled sites: a tight loop over two lines, paced by the captures' budget`, () => {
  // 25 ns a call: a count of cost / 25 ns, each at least what the captures the
  // program timed from inside and its calls' pace allow (paced). Only the count is checked: with 20-60 captures in these 120,000
  // calls, 4.5 standard errors of line B's share are more than its true 1/4 (a
  // hook that never captured line B would pass), and a loop long enough for the
  // share to mean something (150 captures: 600,000 calls or more) passes the
  // trace's 64 MiB. The counts' randomness is the same code as with
  // FSYNC_TRACE_JS_SITES=200, whose shares are checked above.
  const r = run('tight.mjs', [String(TURNS)], { node: node.bin, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { js } = recorded(r);
  assert.is(js.length, TURNS + Math.ceil(TURNS / 3));
  const later = js.length - 64;
  const k = js.slice(64).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  // A capture is counted at 1 ms at most: a count of 60,000 at most; and each count
  // at least what the captures' cost (as the program timed them) and the calls' pace allow.
  assert.ok(k >= Math.floor(later / 60_000), `${k} captures in ${later} calls`);
  paced(js, account<Timed>(r), -1);
});

/*
 * Two lines whose calls are milliseconds apart: the time since the last
 * capture sets how many calls the next count is, never which call is
 * captured. A fixed time mark (the hook before) locked onto one line: the
 * first call after it was always the same line's.
 */
for (const node of NODES) test(`${node.name}: sampled sites: a file synced and at once another line's sync, every 30 ms: every call captured, at its line`, () => {
  // 15 ms per call: 1/32 of 14 ms pays for any capture (200 us at most): the count is 1.
  const n = 150;
  const r = run('pair.mjs', [String(n)], { node: node.bin, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [a, b] = ['line A', 'line B'].map((t) => lineOf('pair.mjs', t)) as [string, string];
  const { js } = recorded(r);
  assert.is(js.length, 2 * n);
  assert.equal(js.filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) !== 0).length, 0, 'no call inherits a site');
  assert.equal(js.map((j) => j.site), js.map((_, i) => (i % 2 === 0 ? a : b)));
});

/*
 * Two lines in turn, ms apart (alternate.mjs, a busy wait between calls): each
 * line has half the calls. The count after a capture is 1 or a few calls (a
 * call's 1/32 of its time beyond 1 ms against the capture's cost), drawn at
 * random; the site of capture i + 1 then depends on the parity of count i
 * (a chain that switches lines with a chance q, the chance of an odd count:
 * 1/3 at the least, at a mean count of 3, whose counts 2, 3 and 4 are as
 * likely; 1 when every count is 1), which makes the variance of line B's
 * share at most (1 - q) / q = 2 times that of independent captures; the
 * counts' own spread (uniform over [m/2, 3m/2], rounded) at most 4/3 times.
 * Tolerance: 4.5 standard errors of those, sqrt(1/4 x 2 x 4/3 / k).
 */
function alternateShares(node: string, n: number, ms: number) {
  const r = run('alternate.mjs', [String(n), String(ms)], { node, tmpfs: true });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const [a, b] = ['line A', 'line B'].map((t) => lineOf('alternate.mjs', t)) as [string, string];
  const { js } = recorded(r);
  assert.is(js.length, 2 * n);
  const got = countBy(js, (j) => j.site!);
  assert.is((got[a] ?? 0) + (got[b] ?? 0), 2 * n);
  const k = js.slice(64).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  const share = (got[b] ?? 0) / js.length;
  const tolerance = 4.5 * Math.sqrt(((0.25 * 2 * 4) / 3) / k);
  assert.ok(Math.abs(share - 0.5) <= tolerance, `line B: ${got[b]} of ${js.length} calls, truth ${n}, ${k} captures: tolerance ${tolerance.toFixed(4)}`);
  return { k, later: js.length - 64 };
}

for (const node of NODES) test(`${node.name}: sampled sites: two lines in turn 3 ms apart each have their share of the calls`, () => {
  // 3 ms per call: a time share of 2 ms / 32 = 62.5 us a call, which pays for a capture
  // counted at 200 us at most: a mean count of 3.2 at most, so a count of 5 calls at most.
  const { k, later } = alternateShares(node.bin, 400, 3);
  assert.ok(k >= Math.floor(later / 5), `${k} captures in ${later} calls`);
});

for (const node of NODES) test(`${node.name}: sampled sites: two lines in turn 1.2 ms apart each have their share of the calls`, () => {
  // 1.2 ms per call: a time share of 0.2 ms / 32 = 6.3 us a call, against a capture
  // counted at 200 us at most: a few calls (32 at most, so a count of 48 at most).
  const { k, later } = alternateShares(node.bin, 1000, 1.2);
  assert.ok(k >= Math.floor(later / 48), `${k} captures in ${later} calls`);
});

for (const node of NODES) test(`${node.name}: sampled sites: a program that breaks Math.random (it throws) is sampled as any other`, () => {
  // The hook draws its counts from a generator of its own; one capture per 100 calls on average.
  const n = 5000;
  const r = run('mathless.mjs', [String(n)], { node: node.bin, tmpfs: true, env: { FSYNC_TRACE_JS_SITES: '100' } });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { js } = recorded(r);
  assert.equal(countBy(js, (j) => j.site!), { [lineOf('mathless.mjs', 'line A')]: n });
  const k = js.slice(64).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  // Each count drawn between 50 and 150 calls.
  assert.ok(k >= Math.floor((n - 64) / 150), `${k} captures`);
  paced(js, account<Timed>(r), 100);
});

for (const node of NODES) test(`${node.name}: sampled sites: a Math.random that throws from before the hook loads (node -r) is never called`, () => {
  // badrandom.cjs preloaded before the hook: the hook never saw a working Math.random.
  const n = 5000;
  const r = run('tight.mjs', [String(n)], {
    node: node.bin, tmpfs: true, hook: null, env: { FSYNC_TRACE_JS_SITES: '100' },
    wrapNode: ['--require', join(PROGRAMS, 'badrandom.cjs'), '--import', HOOK],
  });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { js } = recorded(r);
  assert.is(js.length, n + Math.ceil(n / 3));
  const k = js.slice(64).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  assert.ok(k >= Math.floor((js.length - 64) / 150), `${k} captures`);
  paced(js, account<Timed>(r), 100);
});

for (const node of NODES) test(`${node.name}: sampled sites: while a flushing stream is open, a program's syncs are sampled as any other, with Map and Set methods broken`, () => {
  // Each sync while the stream is open looks at one frame (Node's own sync, or the
  // program's?); its site is then captured or not as any call's: one capture per 100
  // calls on average. The stream's closing sync is recorded as the stream's.
  const n = 5000;
  const r = run('streamopen.mjs', [String(n)], { node: node.bin, tmpfs: true, env: { FSYNC_TRACE_JS_SITES: '100' } });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { js } = recorded(r);
  assert.equal(countBy(js, (j) => j.api), { 'fs.createWriteStream': 1, 'fs.fsync': n });
  const loop = js.filter((j) => j.api === 'fs.fsync');
  assert.equal(countBy(loop, (j) => j.site!), { [lineOf('streamopen.mjs', 'line A')]: n });
  // The stream's first sync is its API's first call: captured, with the first 64 of the thread.
  const k = js.slice(65).filter((j) => (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  // Each count drawn between 50 and 150 calls, fewer only where the rule allows it (the
  // calls over 1 ms apart: one in flight, each a turn of the event loop and a pool thread's).
  assert.ok(k >= Math.floor((n - 64) / 150), `${k} captures`);
  // The stream's site was captured as it was made, before the loop; its record comes last.
  paced(loop, account<Timed>(r), 100, 1);
});

for (const node of NODES) test(`${node.name}: a flushing stream that never closes (emitClose: false) costs other descriptors' calls no look at their caller`, () => {
  // The hook looks at a sync's caller (one stack frame) only when the call may be Node's own
  // for a flushing stream on its descriptor, or for a writeFile/appendFile with flush in
  // flight; a stream's watch ends at its 'finish' or 'close'. The program counts the stacks
  // captured: in each of its loops, exactly the calls whose site was captured (the records
  // without the inherited flag), none per call for a look.
  const n = 3000;
  const r = run('streamquiet.mjs', [String(n)], { node: node.bin, tmpfs: true, env: { FSYNC_TRACE_JS_SITES: '100' } });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { captures } = account<{ captures: [number, number] }>(r);
  const { js } = recorded(r);
  assert.equal(countBy(js, (j) => j.api), { 'fs.createWriteStream': 1, 'fs.fsync': 2 * n });
  const [a, b] = ['line A', 'line B'].map((t) => lineOf('streamquiet.mjs', t)) as [string, string];
  // Each line's calls at its line, give or take the window after the program moves on (the
  // calls of line B inherit line A's site until a capture at B: 150 calls at most).
  const at = countBy(js.filter((j) => j.api === 'fs.fsync'), (j) => j.site!);
  assert.equal(Object.keys(at).sort(), [a, b].sort());
  assert.ok(at[a]! >= n && at[a]! <= n + 150, `${at[a]} calls at line A`);
  const sited = (line: string) => js.filter((j) => j.site === line && (j.flags & FLAG_JS_SITE_INHERITED) === 0).length;
  // Stream open (line A), then closed without a 'close' event (line B). (Looks would add a
  // capture per call: 3,741 and 4,295 for the 3,000 calls of each loop before this change.)
  assert.equal(captures, [sited(a), sited(b)]);
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
