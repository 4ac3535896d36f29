// A sync no Node call asked for, inside a run of calls in flight on the same file
// (queries/56_js_waits.sql): a worker without the hook, a native addon. Numbered in, it
// would take one call's place and shift every later pair of the run by one, each still
// inside its window. Expect it set aside when a thread apart from the pool's made it, and
// the calls it could have served left unpaired (`ambiguous`) when a pool thread did; never
// a shifted pair.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { openTraces } from '../fixtures/session.js';
import { at, msNs, SCENARIO_PARAMS } from '../fixtures/traces.js';

const WAL = { id: 1, name: '/data/wal', dev: 0x801n, ino: 5n, fd: 7 };
const MAIN = 600;
const POOL = 601;
const WORKER = 650;
const CALLS = 8;

/** Sync k's own length (ms), to tell the pairs apart. */
const own = (k: number) => Number((0.5 + k / 100).toFixed(3));

/**
 * Two runs of fs.fsync on the WAL: first 4 calls at 0-3 ms, then CALLS calls at 100 ms on,
 * 1 ms apart, each synced 5 ms after it began by one of two pool threads, its callback 0.45
 * ms after its sync; in the second run an extra fsync of the file by `extraTid` at 107.7 ms
 * (between the syncs of calls 2 and 3), 0.2 ms long. oneRun: the second run only (a file whose
 * calls are one run from start to end, so no run teaches which threads are the pool's).
 */
async function waits(extraTid: number | null, opts: { oneRun?: boolean } = {}): Promise<Array<Record<string, unknown>>> {
  const w = new TraceWriter({ ringSlots: 64, pid: 600, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  const ms = (x: number) => at(1) + msNs(x);
  const run = (t0: number, n: number) => {
    for (let k = 0; k < n; k++) {
      w.event({ type: RecordType.Sync, call: 1, startNs: ms(t0 + k + 5), durNs: msNs(own(k)), tid: POOL + (k % 2), fd: WAL.fd, pathId: WAL.id });
    }
    if (t0 > 0 && extraTid !== null) w.event({ type: RecordType.Sync, call: 1, startNs: ms(t0 + 7.7), durNs: msNs(0.2), tid: extraTid, fd: WAL.fd, pathId: WAL.id });
    for (let k = 0; k < n; k++) {
      w.event({ type: RecordType.Js, call: 1, startNs: ms(t0 + k), durNs: msNs(5 + own(k) + 0.45), tid: MAIN, fd: WAL.fd, pathId: WAL.id });
    }
  };
  if (!opts.oneRun) run(0, 4);
  run(100, CALLS);
  const o = await openTraces({ 'node.600.fstrace': w.bytes() });
  try {
    await o.session.build(['js_waits'], bindings(SCENARIO_PARAMS));
    return await o.session.rows(`select round((epoch_ns(start) - min(epoch_ns(start)) over ()) / 1e6, 3) as call_ms,
      round(sync_ns / 1e6, 3) as sync, sys_tid, extra_syncs, ambiguous from js_waits order by start`);
  } finally {
    o.close();
  }
}

const first = Array.from({ length: 4 }, (_, k) => ({ call_ms: k, sync: own(k), sys_tid: POOL + (k % 2), extra_syncs: 0n, ambiguous: false }));
const second = (extra: bigint) =>
  Array.from({ length: CALLS }, (_, k) => ({ call_ms: 100 + k, sync: own(k), sys_tid: POOL + (k % 2), extra_syncs: extra, ambiguous: false }));

test('no extra sync: every call of both runs paired with its own', async () => {
  assert.equal(await waits(null), [...first, ...second(0n)]);
});

test('an extra sync by a thread apart from the pool\'s (a worker without the hook) is set aside: no pair shifted', async () => {
  assert.equal(await waits(WORKER), [...first, ...second(1n)]);
});

test('a file whose calls are one run (no pool thread known): the one thread that made exactly the extra syncs is set aside', async () => {
  assert.equal(await waits(WORKER, { oneRun: true }), second(1n).map((r) => ({ ...r, call_ms: r.call_ms - 100 })));
});

// A pool thread's extra sync at 107.7 ms: calls 0 and 1 ended before it (their syncs
// decided); calls 2 to 7 were in flight with it, and every window holds the syncs of the
// calls that began up to 5 ms before it: it may be any of theirs, each later call then
// having taken the sync before its own. Those are left unpaired (`ambiguous`).
const cut = (t0: number) => Array.from({ length: CALLS }, (_, k) => (k < 2
  ? { call_ms: t0 + k, sync: own(k), sys_tid: POOL + (k % 2), extra_syncs: 1n, ambiguous: false }
  : { call_ms: t0 + k, sync: null, sys_tid: null, extra_syncs: 1n, ambiguous: true }));

test('a file whose calls are one run, the extra sync a pool thread\'s: the run is cut where the count goes off, the calls it could have served left unpaired', async () => {
  assert.equal(await waits(POOL, { oneRun: true }), cut(0));
});

test('an extra sync by the main thread (a native addon\'s, on a thread that makes Node calls) is never an asynchronous call\'s', async () => {
  assert.equal(await waits(MAIN), [...first, ...second(0n)]);
});

test('an extra sync by a pool thread cannot be told from the calls\' own: the calls it could have served are left unpaired and marked, the others kept', async () => {
  const rows = await waits(POOL);
  assert.equal(rows.slice(0, 4), first);
  assert.equal(rows.slice(4), cut(100));
});

test('a pool thread preempted after its sync (its callback 6 ms late, after later calls\') keeps every pair: calls are numbered by start, not by end', async () => {
  const w = new TraceWriter({ ringSlots: 64, pid: 601, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  const ms = (x: number) => at(1) + msNs(x);
  // Ten fs.fsync calls 1 ms apart, each synced 5 ms after it began; call 3's thread was
  // preempted after its fsync and before it handed the result back: its callback ran at
  // 14.5 ms, after those of calls 4 to 8.
  for (let k = 0; k < 10; k++) w.event({ type: RecordType.Sync, call: 1, startNs: ms(k + 5), durNs: msNs(own(k)), tid: POOL + (k % 3), fd: WAL.fd, pathId: WAL.id });
  for (let k = 0; k < 10; k++) w.event({ type: RecordType.Js, call: 1, startNs: ms(k), durNs: msNs(k === 3 ? 14.5 - k : 5 + own(k) + 0.45), tid: MAIN, fd: WAL.fd, pathId: WAL.id });
  const o = await openTraces({ 'node.601.fstrace': w.bytes() });
  try {
    await o.session.build(['js_waits'], bindings(SCENARIO_PARAMS));
    const rows = await o.session.rows(`select round((epoch_ns(start) - min(epoch_ns(start)) over ()) / 1e6, 3) as call_ms,
      round(sync_ns / 1e6, 3) as sync, round(delivery_ns / 1e6, 3) as delivery, ambiguous from js_waits order by start`);
    assert.equal(rows, Array.from({ length: 10 }, (_, k) => ({ call_ms: k, sync: own(k), delivery: k === 3 ? Number((14.5 - 8 - own(3)).toFixed(3)) : 0.45, ambiguous: false })));
  } finally {
    o.close();
  }
});

test.run();
