// Given a trace with Node calls (record type 12) and the sync system calls under
// them, expect queries/56_js_waits.sql to pair each call with the system call
// that did its work and split its wait; 57_js_call_sites.sql and 58_js_files.sql
// to add them up per call site and per file; `summary` to keep them apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { jsFiles } from '../../src/db/summary.js';
import { RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { openTraces, type Opened } from '../fixtures/session.js';
import { at, msNs, SCENARIO_PARAMS } from '../fixtures/traces.js';

const WAL = { id: 1, name: '/data/wal', dev: 0x801n, ino: 5n, fd: 7 };
const LOG = { id: 2, name: '/data/log', dev: 0x801n, ino: 6n, fd: 8 };
const SITE_A = { id: 3, name: '/app/db.js:40', dev: 0n, ino: 0n };
const SITE_B = { id: 4, name: '/app/log.js:12', dev: 0n, ino: 0n };
const MAIN = 500;
const POOL = 501;

/**
 * - fs.fsync at db.js:40 on the WAL, 4 times: each waits 20 ms for a pool thread,
 *   its fsync takes 1 ms, the callback runs 0.5 ms later; the site was captured
 *   at the first, the others inherited it;
 * - fs.fsyncSync at log.js:12 on the log, twice, on the main thread: 2 ms each,
 *   of which the fsync is 1.9 ms; a pool thread's fsync of the log inside the
 *   second one's window is not its (a synchronous call syncs on its own thread);
 * - filehandle.sync on the log with no system call (the library saw none): unpaired;
 * - a failed fs.fdatasync on the WAL, paired with its failed fdatasync, no site.
 */
function trace(): Uint8Array {
  const w = new TraceWriter({ ringSlots: 64, pid: 500, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL).path(LOG).path(SITE_A).path(SITE_B);
  for (let k = 0; k < 4; k++) {
    const t = at(k);
    w.event({ type: RecordType.Sync, call: 1, startNs: t + msNs(20), durNs: msNs(1), tid: POOL, fd: WAL.fd, pathId: WAL.id });
    // The first call's stack named its site; the other three inherited it (flag 0x40: the hook samples stacks).
    w.event({ type: RecordType.Js, call: 1, startNs: t, durNs: msNs(21.5), tid: MAIN, fd: WAL.fd, pathId: WAL.id, writes: SITE_A.id, flags: k === 0 ? 0 : 0x40 });
  }
  for (const k of [10, 11]) {
    w.event({ type: RecordType.Sync, call: 1, startNs: at(k) + msNs(0.05), durNs: msNs(1.9), tid: MAIN, fd: LOG.fd, pathId: LOG.id });
    if (k === 11) w.event({ type: RecordType.Sync, call: 1, startNs: at(k) + msNs(0.5), durNs: msNs(0.3), tid: POOL, fd: LOG.fd, pathId: LOG.id });
    w.event({ type: RecordType.Js, call: 2, startNs: at(k), durNs: msNs(2), tid: MAIN, fd: LOG.fd, pathId: LOG.id, writes: SITE_B.id });
  }
  w.event({ type: RecordType.Js, call: 5, startNs: at(12), durNs: msNs(3), tid: MAIN, fd: 9, pathId: LOG.id, writes: SITE_B.id });
  w.event({ type: RecordType.Sync, call: 2, startNs: at(13) + msNs(1), durNs: msNs(4), tid: POOL, fd: WAL.fd, pathId: WAL.id, res: -5 });
  w.event({ type: RecordType.Js, call: 3, startNs: at(13), durNs: msNs(6), tid: MAIN, fd: WAL.fd, pathId: WAL.id, res: -5 });
  return w.bytes();
}

let opened: Opened;
test.before(async () => {
  opened = await openTraces({ 'node.500.fstrace': trace() });
});
test.after(() => opened.close());

test('each Node call is paired with its system call; the wait splits into queued, the sync, and delivery', async () => {
  await opened.session.build(['js_waits'], bindings(SCENARIO_PARAMS));
  const rows = await opened.session.rows(`select kind, form, path, site, wait_ns / 1e6 as wait, res, paired, sys_tid,
      sync_ns / 1e6 as sync, queued_ns / 1e6 as queued, delivery_ns / 1e6 as delivery from js_waits order by start`);
  const asyncWal = { kind: 'js:fs.fsync', form: 'callback', path: '/data/wal', site: '/app/db.js:40', wait: 21.5, res: 0, paired: true, sys_tid: POOL, sync: 1, queued: 20, delivery: 0.5 };
  assert.equal(rows.slice(0, 4), [asyncWal, asyncWal, asyncWal, asyncWal]);
  const syncLog = { kind: 'js:fs.fsyncSync', form: 'sync', path: '/data/log', site: '/app/log.js:12', wait: 2, res: 0, paired: true, sys_tid: MAIN, sync: 1.9, queued: 0.05, delivery: 0.05 };
  assert.equal(rows.slice(4, 6).map((r) => ({ ...r, queued: Number((r.queued as number).toFixed(6)), delivery: Number((r.delivery as number).toFixed(6)) })), [syncLog, syncLog]);
  assert.equal(rows[6], { kind: 'js:filehandle.sync', form: 'promise', path: '/data/log', site: '/app/log.js:12', wait: 3, res: 0, paired: false, sys_tid: null, sync: null, queued: null, delivery: null });
  assert.equal(rows[7], { kind: 'js:fs.fdatasync', form: 'callback', path: '/data/wal', site: null, wait: 6, res: -5, paired: true, sys_tid: POOL, sync: 4, queued: 1, delivery: 1 });
});

test('per call site: calls, waits, the system calls, and the share of the wait that was queued', async () => {
  await opened.session.build(['js_call_sites'], bindings(SCENARIO_PARAMS));
  const rows = await opened.session.rows('select site, kind, calls, errors, captured, paired, wait_p50_ms, sync_p50_ms, queued_ms, delivery_ms, round(queued_share, 4) as share from js_call_sites');
  assert.equal(rows, [
    { site: '/app/db.js:40', kind: 'js:fs.fsync', calls: 4n, errors: 0n, captured: 1n, paired: 4n, wait_p50_ms: 21.5, sync_p50_ms: 1, queued_ms: 80, delivery_ms: 2, share: 0.9535 },
    { site: null, kind: 'js:fs.fdatasync', calls: 1n, errors: 1n, captured: 0n, paired: 1n, wait_p50_ms: 6, sync_p50_ms: 4, queued_ms: 1, delivery_ms: 1, share: 0.3333 },
    { site: '/app/log.js:12', kind: 'js:fs.fsyncSync', calls: 2n, errors: 0n, captured: 2n, paired: 2n, wait_p50_ms: 2, sync_p50_ms: 1.9, queued_ms: 0.1, delivery_ms: 0.1, share: 0.05 },
    { site: '/app/log.js:12', kind: 'js:filehandle.sync', calls: 1n, errors: 0n, captured: 1n, paired: 0n, wait_p50_ms: 3, sync_p50_ms: null, queued_ms: 0, delivery_ms: 0, share: null },
  ].map((r) => ({ ...r })));
});

test('per file: the Node calls and their waits; call sites are not files', async () => {
  const files = await jsFiles(opened.session, bindings(SCENARIO_PARAMS));
  assert.equal(files.map((f) => [f.path, f.calls, f.byKind, f.errors, f.waitP50Ms]), [
    ['/data/log', 3, { 'js:filehandle.sync': 1, 'js:fs.fsyncSync': 2 }, 0, 2],
    ['/data/wal', 5, { 'js:fs.fdatasync': 1, 'js:fs.fsync': 4 }, 1, 21.5],
  ]);
  const [n] = await opened.session.rows("select count(*) as n from files where path like '/app/%'");
  assert.equal(n, { n: 0n });
});

/** js_waits of one trace made by `fill`: each call's start (ms after the first's), its system call's duration and the time queued (ms). */
async function pairsOf(fill: (w: TraceWriter) => void): Promise<Array<Record<string, unknown>>> {
  const w = new TraceWriter({ ringSlots: 64, pid: 502, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  fill(w);
  const o = await openTraces({ 'node.502.fstrace': w.bytes() });
  try {
    await o.session.build(['js_waits'], bindings(SCENARIO_PARAMS));
    return await o.session.rows(`select (epoch_ns(start) - min(epoch_ns(start)) over ()) / 1e6 as call_ms, sync_ns / 1e6 as sync,
      queued_ns / 1e6 as queued from js_waits order by start`);
  } finally {
    o.close();
  }
}
const ms = (x: number) => at(1) + msNs(x);
const poolSync = (w: TraceWriter, start: number, dur: number, tid: number) =>
  w.event({ type: RecordType.Sync, call: 1, startNs: ms(start), durNs: msNs(dur), tid, fd: WAL.fd, pathId: WAL.id });
const jsFsync = (w: TraceWriter, start: number, end: number) =>
  w.event({ type: RecordType.Js, call: 1, startNs: ms(start), durNs: msNs(end - start), tid: MAIN, fd: WAL.fd, pathId: WAL.id });

test('several calls of one file in flight: each paired with its own system call, in the order the pool took them', async () => {
  // Four fs.fsync calls 1 ms apart, all in flight; one pool thread syncs them in turn,
  // 10 to 14 ms, each callback 0.5 ms after its sync. Every call's window holds the
  // first sync: pairing each with the first in its window paired one call of four.
  const rows = await pairsOf((w) => {
    for (let k = 0; k < 4; k++) poolSync(w, 10 + k, 1, POOL);
    for (let k = 0; k < 4; k++) jsFsync(w, k, 11.5 + k);
  });
  assert.equal(rows, [0, 1, 2, 3].map((k) => ({ call_ms: k, sync: 1, queued: 10 })));
});

test('a pool thread that started its sync after a later call\'s: the two are not crossed', async () => {
  // B at 0 ms and C at 1 ms; C's sync ran 5-9 ms, B's 6-7 ms (its thread was preempted
  // after taking B's work); B's callback at 7.5, C's at 9.5. In start order B would take
  // C's sync, which ends after B's callback.
  const rows = await pairsOf((w) => {
    poolSync(w, 5, 4, POOL);
    poolSync(w, 6, 1, POOL + 1);
    jsFsync(w, 0, 7.5);
    jsFsync(w, 1, 9.5);
  });
  assert.equal(rows, [{ call_ms: 0, sync: 1, queued: 6 }, { call_ms: 1, sync: 4, queued: 4 }]);
});

test('a system call missing from the trace shifts no later pair', async () => {
  // Twelve fs.fsync calls 1 ms apart; one pool thread syncs each in turn, call k's at
  // 2k + 2 ms for 0.5 + k/100 ms (each its own length, to tell them apart), and its callback
  // runs at 2k + 3.2 ms: always several in flight, one run. Call 3's sync is not in the
  // trace (the ring went round it, a shim took it). Numbered over the run, call 4 would
  // take the sync after call 3's and every later call the next one's, or none.
  const rows = await pairsOf((w) => {
    for (let k = 0; k < 12; k++) if (k !== 3) poolSync(w, 2 * k + 2, 0.5 + k / 100, POOL);
    for (let k = 0; k < 12; k++) jsFsync(w, k, 2 * k + 3.2);
  });
  assert.equal(rows.map((r) => [r.call_ms, r.sync === null ? null : Number((r.sync as number).toFixed(2))]),
    Array.from({ length: 12 }, (_, k) => [k, k === 3 ? null : Number((0.5 + k / 100).toFixed(2))]));
  assert.equal(rows.map((r) => r.queued === null ? null : Number((r.queued as number).toFixed(6))),
    Array.from({ length: 12 }, (_, k) => (k === 3 ? null : k + 2)));
});

test('a pool thread preempted between taking a call\'s work and starting its sync: the late sync goes to its call, the calls in between keep theirs', async () => {
  // Ten fs.fsync calls 1 ms apart, each synced 5 ms after it began, its callback 0.45 ms
  // after its sync; but the thread that took call 2's work was preempted before its fsync,
  // which ran 11.2-12.6 ms, after the syncs of calls 3 to 6. Numbered by start, call 2
  // takes call 3's sync and calls 3 to 6 each the next one's, outside their windows.
  const rows = await pairsOf((w) => {
    for (let k = 0; k < 10; k++) if (k !== 2) poolSync(w, k + 5, 0.5 + k / 100, POOL + (k % 3));
    poolSync(w, 11.2, 1.4, POOL + 3);
    for (let k = 0; k < 10; k++) jsFsync(w, k, k === 2 ? 13 : k + 5 + 0.5 + k / 100 + 0.45);
  });
  const round = (x: unknown) => (x === null ? null : Number((x as number).toFixed(2)));
  assert.equal(rows.map((r) => [r.call_ms, round(r.sync), round(r.queued)]),
    Array.from({ length: 10 }, (_, k) => (k === 2 ? [2, 1.4, 9.2] : [k, round(0.5 + k / 100), 5])));
});

for (const written of [true, false]) test(`calls that waited while the library made the trace (flag 0x20) pair with the syscalls that waited too (${written ? 'made_ns' : 'an older trace: its first sync'})`, async () => {
  // The first sync makes the trace: 0.05-14.05 ms, of which the making is 13.9 ms. Four
  // calls were in flight (0, 0.1, 0.2, 0.3 ms); the pool synced the other three after it,
  // and each callback ran 0.1 ms after its sync, but each call was recorded without the
  // making: its recorded window ends before its own sync started. The record says how long
  // the making took (made_ns); older traces did not, and the first sync stands in. Then
  // four calls later.
  const made = 13.9;
  const rows = await pairsOf((w) => {
    const syncs = [[0.05, 14], [14.1, 0.5], [14.7, 0.6], [15.4, 0.7]] as const;
    syncs.forEach(([start, dur]) => poolSync(w, start, dur, POOL));
    syncs.forEach(([start, dur], k) => w.event({ type: RecordType.Js, call: 1, startNs: ms(k / 10), durNs: msNs(start + dur + 0.1 - k / 10 - made), tid: MAIN, fd: WAL.fd, pathId: WAL.id, flags: 0x20, ivalStartNs: written ? BigInt(msNs(made)) : 0n }));
    for (let k = 0; k < 4; k++) poolSync(w, 30.5 + k, 0.3 + k / 10, POOL);
    for (let k = 0; k < 4; k++) jsFsync(w, 30 + k / 10, 31 + k + 0.5);
  });
  assert.equal(rows.map((r) => [r.call_ms, Number((r.sync as number).toFixed(2))]),
    [[0, 14], [0.1, 0.5], [0.2, 0.6], [0.3, 0.7], [30, 0.3], [30.1, 0.4], [30.2, 0.5], [30.3, 0.6]]);
});

test('an older trace\'s fs.fsyncSync timed from its system call (flag 0x10, no longer written) still pairs, queued 0', async () => {
  const w = new TraceWriter({ ringSlots: 16, pid: 501, host: 'h1', exe: '/usr/bin/node' });
  w.path(LOG);
  const t = at(1);
  w.event({ type: RecordType.Sync, call: 1, startNs: t, durNs: msNs(1.5), tid: MAIN, fd: LOG.fd, pathId: LOG.id });
  w.event({ type: RecordType.Js, call: 2, startNs: t, durNs: msNs(1.6), tid: MAIN, fd: LOG.fd, pathId: LOG.id, flags: 0x10 });
  const old = await openTraces({ 'node.501.fstrace': w.bytes() });
  try {
    await old.session.build(['js_waits'], bindings(SCENARIO_PARAMS));
    const rows = await old.session.rows('select kind, paired, wait_ns / 1e6 as wait, sync_ns / 1e6 as sync, queued_ns / 1e6 as queued, round(delivery_ns / 1e6, 6) as delivery from js_waits');
    assert.equal(rows, [{ kind: 'js:fs.fsyncSync', paired: true, wait: 1.6, sync: 1.5, queued: 0, delivery: 0.1 }]);
  } finally {
    old.close();
  }
});

test.run();
