// js_waits' pairing (js_pairs, src/db/js_match.ts) against constructed ground truth:
// fs.fsync calls of one file in flight, each with the fsync that served it (or none), built
// with exact times so each hard case happens once, and every pair, queued_ns, extra_syncs
// and ambiguous asserted. A sync is named by its own length (distinct for each), so a row
// says which one its call took. Where the windows cannot tell which call a sync served
// (the maximum alignments disagree), the calls are ambiguous; every test also checks that
// no call is paired with a sync that was not its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';
import type { Filters } from '../../src/db/filter.js';
import { openTraces } from '../fixtures/session.js';
import { at, msNs, SCENARIO_PARAMS } from '../fixtures/traces.js';

const WAL = { id: 1, name: '/data/wal', dev: 0x801n, ino: 5n, fd: 7 };
const MAIN = 700;
const POOL = [701, 702, 703, 704];

/** A call from `start` to `end` (ms). */
interface Call { start: number; end: number }
/** A sync from `start` (ms), `len` ms long (distinct: it names the sync), by thread `tid`; `of`: the call it served (none: a stray). */
interface Sync { start: number; len: number; tid: number; of?: number }
interface Row { call: number; sync: number | null; queued: number | null; extra_syncs: bigint; ambiguous: boolean }

/** js_waits of the calls and syncs; syncs[k] served calls[k] unless it says otherwise, and `missing` lists the calls whose sync is not in the trace. */
async function pair(calls: Call[], syncs: Sync[], missing: number[] = [], filters?: Filters, first = 0): Promise<Row[]> {
  const w = new TraceWriter({ ringSlots: 1024, pid: 700, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  const ms = (x: number) => at(1) + msNs(x);
  const recorded = syncs.map((s, k) => ({ ...s, of: s.of ?? (k < calls.length ? k : -1) })).filter((s) => !missing.includes(s.of));
  for (const s of recorded) w.event({ type: RecordType.Sync, call: 1, startNs: ms(s.start), durNs: msNs(s.len), tid: s.tid, fd: WAL.fd, pathId: WAL.id });
  for (const c of calls) w.event({ type: RecordType.Js, call: 1, startNs: ms(c.start), durNs: msNs(c.end - c.start), tid: MAIN, fd: WAL.fd, pathId: WAL.id });
  const o = await openTraces({ 'node.700.fstrace': w.bytes() }, { filters });
  try {
    await o.session.build(['js_waits'], bindings(SCENARIO_PARAMS));
    const rows = await o.session.rows(`select round((epoch_ns(start) - epoch_ns(timestamp '2026-01-01 00:00:01')) / 1e6, 3) as call,
      round(sync_ns / 1e6, 3) as sync, round(queued_ns / 1e6, 3) as queued, extra_syncs, ambiguous from js_waits order by start`) as unknown as Row[];
    const owner = new Map(recorded.map((s) => [Number(s.len.toFixed(3)), s.of]));
    rows.forEach((r, k) => assert.ok(r.sync === null || owner.get(r.sync) === first + k, `call ${first + k} was given the sync of ${owner.get(r.sync!)}`));
    return rows;
  } finally {
    o.close();
  }
}

/** `n` calls 1 ms apart from `t0`, each served 5 ms after it began by a pool thread, its sync own(k) long, its callback 0.45 ms after. */
const own = (k: number) => Number((0.5 + k / 100).toFixed(3));
function steady(n: number, t0 = 0): { calls: Call[]; syncs: Sync[] } {
  const calls: Call[] = [];
  const syncs: Sync[] = [];
  for (let k = 0; k < n; k++) {
    syncs.push({ start: t0 + k + 5, len: own(k), tid: POOL[k % 4]! });
    calls.push({ start: t0 + k, end: t0 + k + 5 + own(k) + 0.45 });
  }
  return { calls, syncs };
}
/** `n` calls 0.25 ms apart, each served 8 ms after it began (32 queued ahead), its sync 0.2 + k/1000 ms long, its callback 0.45 ms after. */
function queue32(n: number): { calls: Call[]; syncs: Sync[] } {
  const calls: Call[] = [];
  const syncs: Sync[] = [];
  for (let k = 0; k < n; k++) {
    const len = Number((0.2 + k / 1000).toFixed(3));
    syncs.push({ start: k / 4 + 8, len, tid: POOL[k % 4]! });
    calls.push({ start: k / 4, end: k / 4 + 8 + len + 0.45 });
  }
  return { calls, syncs };
}
/** Each call with its own sync (none for `missing`), every run's extra syncs as given per call. */
const truth = (calls: Call[], syncs: Sync[], extra: (k: number) => bigint = () => 0n, missing: number[] = []): Row[] =>
  calls.map((c, k) => (missing.includes(k)
    ? { call: c.start, sync: null, queued: null, extra_syncs: extra(k), ambiguous: false }
    : { call: c.start, sync: syncs[k]!.len, queued: Number((syncs[k]!.start - c.start).toFixed(3)), extra_syncs: extra(k), ambiguous: false }));
/** `rows`, with the calls at `ks` unpaired and marked ambiguous. */
const undecided = (rows: Row[], ks: number[]): Row[] => rows.map((r, k) => (ks.includes(k) ? { ...r, sync: null, queued: null, ambiguous: true } : r));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

test('--since and --until cutting calls in flight: every call kept is paired as without the filter (paired before the cut)', async () => {
  // Calls 1 ms apart, each served 5 ms after: a cut at 20 ms keeps calls 0..19, whose last
  // five syncs start after it; one at 10 ms keeps calls 10..39 and the syncs of calls 5..9.
  const { calls, syncs } = steady(40);
  const whole = await pair(calls, syncs);
  assert.ok(whole.every((r, k) => r.sync === own(k) && !r.ambiguous));
  const until = await pair(calls, syncs, [], { until: '2026-01-01T00:00:01.020Z' });
  assert.equal(until.map((r) => [r.sync, r.ambiguous]), whole.slice(0, 20).map((r) => [r.sync, r.ambiguous]));
  const since = await pair(calls, syncs, [], { since: '2026-01-01T00:00:01.010Z' }, 10);
  assert.equal(since.map((r) => [r.sync, r.ambiguous]), whole.slice(10).map((r) => [r.sync, r.ambiguous]));
});

test('first in, first out where the windows agree: each call its own sync', async () => {
  const { calls, syncs } = steady(12);
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('first in, first out with 32 in flight (every window holds the syncs of the 32 calls before): each call its own sync', async () => {
  // Calls 0.25 ms apart, each served 8 ms after it began, its callback 0.45 ms after its
  // sync. The only alignment in order that pairs every call with a sync is the identity.
  const { calls, syncs } = queue32(200);
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('a late pool sync that outlasts the windows of the calls after it: it goes to the one call whose window holds it, the others keep their own', async () => {
  // Call 3's pool thread was preempted after taking its work: its fsync started at 11.7 ms,
  // after those of calls 4 to 6, and ended at 12.9 ms, after their callbacks (9.99, 10.9, 11.9).
  // In order, one call would go without a sync; a late step (call 3 over calls 4 to 6,
  // costing 3) pairs all. Giving call 3 call 7's sync and call 7 the late one costs 4.
  const { calls, syncs } = steady(12);
  syncs[3] = { start: 11.7, len: 1.2, tid: POOL[3]! };
  calls[3] = { start: 3, end: 13.35 };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('two late syncs in one run, each outlasting the windows after it', async () => {
  const { calls, syncs } = steady(20);
  syncs[3] = { start: 11.7, len: 1.2, tid: POOL[3]! };
  calls[3] = { start: 3, end: 13.35 };
  syncs[12] = { start: 19.6, len: 1.35, tid: POOL[0]! };
  calls[12] = { start: 12, end: 21.4 };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('two adjacent late syncs (two threads preempted at once): both go to their calls, the calls between keep their own', async () => {
  // Calls 3 and 4: their syncs started at 13.6 and 13.7 ms, after those of calls 5 to 8.
  const { calls, syncs } = steady(14);
  syncs[3] = { start: 13.6, len: 1.2, tid: POOL[3]! };
  calls[3] = { start: 3, end: 15.25 };
  syncs[4] = { start: 13.7, len: 1.3, tid: POOL[0]! };
  calls[4] = { start: 4, end: 15.45 };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('32 in flight, a late sync after ten later calls\' syncs, outlasting their windows but inside those of the calls queued behind them', async () => {
  // queue32: call 10's thread started its fsync 2.6 ms late (after those of
  // calls 11 to 20) and took 1.2 ms: it ends after their callbacks, inside the windows of
  // calls 21 on.
  const { calls, syncs } = queue32(60);
  syncs[10] = { start: 10.5 + 2.6, len: 1.2, tid: POOL[2]! };
  calls[10] = { start: 2.5, end: 10.5 + 2.6 + 1.2 + 0.45 };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('a callback delivered late (its window holds later calls\' syncs): order kept, no pair shifted', async () => {
  const { calls, syncs } = steady(10);
  calls[3] = { start: 3, end: 14.5 };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('a stray pool sync inside a run: the calls before it keep their own; those from where it could have served on are ambiguous', async () => {
  // Twelve calls; a pool thread syncs the file for no call at 7.7 ms (0.2 ms): after call
  // 2's sync (7 ms), before call 3's (8 ms). Calls 0 and 1 ended before it. From call 2 on
  // the windows cannot tell: it may be call 2's, each later call then having taken the sync
  // before its own and call 11's sync being the stray one (every window holds the five syncs
  // before its own).
  const { calls, syncs } = steady(12);
  syncs.push({ start: 7.7, len: 0.2, tid: POOL[1]! });
  assert.equal(await pair(calls, syncs), undecided(truth(calls, syncs, () => 1n), range(2, 11)));
});

test('a stray pool sync, then calls whose windows hold their own sync only: those are decided again, the ambiguity ends there', async () => {
  // As above, then the load drops: calls 8 to 11 start 1 ms apart from 12.1 ms and are
  // synced 0.3 ms after they begin, before the next one starts. Calls 9 to 11 are runs of
  // their own (no window of theirs holds a sync another call could take): no extra sync.
  const { calls, syncs } = steady(12);
  for (let k = 8; k < 12; k++) {
    const start = 12.1 + (k - 8);
    syncs[k] = { start: start + 0.3, len: own(k), tid: POOL[k % 4]! };
    calls[k] = { start, end: Number((start + 0.3 + own(k) + 0.45).toFixed(3)) };
  }
  syncs.push({ start: 7.7, len: 0.2, tid: POOL[1]! });
  assert.equal(await pair(calls, syncs), undecided(truth(calls, syncs, (k) => (k <= 8 ? 1n : 0n)), range(2, 7)));
});

test('a stray pool sync too long for the windows of the calls before those it could serve: they keep their own, the ones after are ambiguous', async () => {
  // 7.2-10.2 ms: only the windows of calls 5 to 7 hold it (call 4's closes at 9.99 ms). It
  // may be call 5's, 6's or 7's, each later call taking the sync before its own; calls 0 to
  // 4 are decided.
  const { calls, syncs } = steady(12);
  syncs.push({ start: 7.2, len: 3, tid: POOL[1]! });
  assert.equal(await pair(calls, syncs), undecided(truth(calls, syncs, () => 1n), range(5, 11)));
});

test('a stray pool sync and a late one in the same run: no call is given another\'s sync; those the windows do not decide are ambiguous', async () => {
  // The stray at 7.7 ms as above; call 9's pool thread preempted: its sync starts at 17.7 ms,
  // after those of calls 10 to 12. In order, calls 3 to 9 could each take the sync before
  // their own, with the stray as call 3's and the late sync as call 13's: no late step, but
  // one sync over either way. A sync no call asked for makes late steps no dearer than that.
  const { calls, syncs } = steady(14);
  syncs[9] = { start: 17.7, len: 1.2, tid: POOL[1]! };
  calls[9] = { start: 9, end: 19.35 };
  syncs.push({ start: 7.7, len: 0.2, tid: POOL[1]! });
  assert.equal(await pair(calls, syncs), undecided(truth(calls, syncs, () => 1n), range(2, 13)));
});

/** steady(12), the load dropping from call 6 on (at 10.8 ms, 1 ms apart): each call synced 0.3 ms after it begins, its window holding that sync only. */
function lull(): { calls: Call[]; syncs: Sync[] } {
  const { calls, syncs } = steady(12);
  for (let k = 6; k < 12; k++) {
    const start = 10.8 + (k - 6);
    syncs[k] = { start: start + 0.3, len: own(k), tid: POOL[k % 4]! };
    calls[k] = { start, end: Number((start + 0.3 + own(k) + 0.45).toFixed(3)) };
  }
  return { calls, syncs };
}

test('a call whose sync never came, the windows holding only their own: it is left unpaired, no other pair shifted', async () => {
  // Calls 1 ms apart, each synced 0.3 ms after it began, its callback 0.45 ms after the
  // sync: in flight together (each begins before the one before ends), each window holding
  // its own sync only. Call 3's is not in the trace.
  const calls: Call[] = [];
  const syncs: Sync[] = [];
  for (let k = 0; k < 12; k++) {
    syncs.push({ start: k + 0.3, len: own(k), tid: POOL[k % 4]! });
    calls.push({ start: k, end: Number((k + 0.3 + own(k) + 0.45).toFixed(3)) });
  }
  assert.equal(await pair(calls, syncs, [3]), truth(calls, syncs, () => 0n, [3]));
});

test('a call whose sync never came, among calls whose windows hold earlier calls\' syncs: the windows cannot tell whose is missing', async () => {
  // In lull(), call 3's sync is missing. Calls 0 to 3 were in flight together, each window
  // holding the syncs of the calls begun up to 5 ms before: call 0's sync may be the missing
  // one (call 1 then having taken call 0's sync, and so on up to call 3), or call 1's, 2's
  // or 3's. Those are ambiguous; calls 4 on keep theirs.
  const { calls, syncs } = lull();
  assert.equal(await pair(calls, syncs, [3]), undecided(truth(calls, syncs, () => 0n, [3]), range(0, 3)));
});

test('a call whose sync never came, its window holding the next call\'s sync: ambiguous as far as the windows reach', async () => {
  // Calls 1 ms apart, each synced 0.3 ms after it began; the callbacks of calls 0 to 7 run
  // 2 ms after the call, so each of those windows also holds the next call's sync; calls 8
  // on end 0.2 ms after their sync. Call 3's sync is missing: call 3 may have taken call
  // 4's, and so on up to call 8, whose window holds its own only.
  const calls: Call[] = [];
  const syncs: Sync[] = [];
  for (let k = 0; k < 12; k++) {
    syncs.push({ start: k + 0.3, len: own(k), tid: POOL[k % 4]! });
    calls.push({ start: k, end: k < 8 ? k + 2 : Number((k + 0.3 + own(k) + 0.2).toFixed(3)) });
  }
  assert.equal(await pair(calls, syncs, [3]), undecided(truth(calls, syncs, () => 0n, [3]), range(3, 8)));
});

test('a stray sync and a missing one in what was one run of calls in flight (their counts balanced, and went unseen): both are seen', async () => {
  // lull(): the stray at 7.7 ms among calls 0 to 5 in flight, and call 8's sync missing
  // after the load dropped. Counted over the calls in flight together, syncs and calls
  // balanced. Now calls 0 to 5 are a run with one sync over (the stray may be any of calls
  // 2 to 5's, each later call taking the sync before its own), and call 8 has none.
  const { calls, syncs } = lull();
  syncs.push({ start: 7.7, len: 0.2, tid: POOL[1]! });
  assert.equal(await pair(calls, syncs, [8]), undecided(truth(calls, syncs, (k) => (k <= 5 ? 1n : 0n), [8]), range(2, 5)));
});

test('100,000 calls in one run, 32 in flight: every call paired with its own sync', async () => {
  // Calls 0.25 ms apart, each synced 8 ms after it began for 0.2 ms + k ns, its callback
  // 0.45 ms after its sync; the pool's threads in turn.
  const n = 100_000;
  const w = new TraceWriter({ ringSlots: 2 * n + 16, pid: 705, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  const us = (x: number) => at(1) + BigInt(x * 1000);
  for (let k = 0; k < n; k++) w.event({ type: RecordType.Sync, call: 1, startNs: us(250 * k + 8000), durNs: BigInt(200_000 + k), tid: POOL[k % 4]!, fd: WAL.fd, pathId: WAL.id });
  for (let k = 0; k < n; k++) w.event({ type: RecordType.Js, call: 1, startNs: us(250 * k), durNs: BigInt(8_650_000 + k), tid: MAIN, fd: WAL.fd, pathId: WAL.id });
  const o = await openTraces({ 'node.705.fstrace': w.bytes() });
  try {
    await o.session.build(['js_waits'], bindings(SCENARIO_PARAMS));
    const [row] = await o.session.rows(`select count(*) as calls, count(*) filter (where paired) as paired,
      count(*) filter (where sync_ns = 200000 + k and queued_ns = 8000000) as own, count(*) filter (where ambiguous or extra_syncs > 0) as odd
      from (select *, row_number() over (order by start) - 1 as k from js_waits)`);
    assert.equal(row, { calls: BigInt(n), paired: BigInt(n), own: BigInt(n), odd: 0n });
  } finally {
    o.close();
  }
});

test.run();
