// Given a trace whose summary ring lost an entry of the Node hook's calls (a
// small ring, overwritten) while the raw ring still holds those calls, expect
// queries/59_js_counts.sql to count per cell (trace, file, API, interval) as
// 12_counts does: the summary's count where it covers the ring, the ring's
// where the summary lost them. The ground truth is the calls made below.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { jsFiles } from '../../src/db/summary.js';
import { JS_SUMMARY_BASE, RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { openTraces, type Opened } from '../fixtures/session.js';
import { at, msNs, SCENARIO_PARAMS } from '../fixtures/traces.js';

const WAL = { id: 1, name: '/data/wal', dev: 0x801n, ino: 5n, fd: 7 };
const FSYNC = 1; // js_apis: fs.fsync
const EIO = -5;

/**
 * fs.fsync on the WAL in three one-second intervals:
 * - interval 0: 5 calls of 2 ms; the summary counts all 5, the ring holds the last 2;
 * - interval 1: 3 calls of 4 ms, the second failed with EIO; the ring holds all 3,
 *   the summary entry that counted them was overwritten (a two-entry summary ring,
 *   this entry written first);
 * - interval 2: 4 calls of 1 ms (the last of 7 ms); the summary counts them, the ring
 *   holds the last.
 * Every call: 12, one failed; the ring holds 6 of them.
 */
function trace(): Uint8Array {
  const w = new TraceWriter({ ringSlots: 64, summaryEntries: 2, summaryIntervalS: 1, pid: 600, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  const call = JS_SUMMARY_BASE + FSYNC;
  const js = (t: number, ms: number, res = 0) =>
    w.event({ type: RecordType.Js, call: FSYNC, startNs: at(t), durNs: msNs(ms), tid: 600, fd: WAL.fd, pathId: WAL.id, res });
  w.summary({ call, pathId: WAL.id, intervalStartNs: at(1), calls: 3, errors: 1, sumNs: msNs(12), maxNs: msNs(4), hist: { 7: 3 } });
  w.summary({ call, pathId: WAL.id, intervalStartNs: at(0), calls: 5, sumNs: msNs(10), maxNs: msNs(2), hist: { 2: 5 } });
  w.summary({ call, pathId: WAL.id, intervalStartNs: at(2), calls: 4, sumNs: msNs(10), maxNs: msNs(7), hist: { 0: 3, 5: 1 } });
  js(0.7, 2);
  js(0.8, 2);
  js(1.1, 4);
  js(1.2, 4, EIO);
  js(1.3, 4);
  js(2.9, 7);
  return w.bytes();
}

let opened: Opened;
test.before(async () => {
  opened = await openTraces({ 'node.600.fstrace': trace() });
});
test.after(() => opened.close());

test('the loaded trace is the one described: two summary entries, six calls in the ring', async () => {
  const [n] = await opened.session.rows('select (select count(*) from js_summary_entries) as entries, (select count(*) from js_calls) as ring');
  assert.equal(n, { entries: 2n, ring: 6n });
});

test('js_counts: every call, the overwritten entry\'s taken from the ring, errors and waits from the same side', async () => {
  await opened.session.build(['js_counts'], bindings(SCENARIO_PARAMS));
  const rows = await opened.session.rows('select path, kind, calls, errors, wait_sum_ms, wait_max_ms, in_ring, source from js_counts');
  assert.equal(rows, [{ path: '/data/wal', kind: 'js:fs.fsync', calls: 12n, errors: 1n, wait_sum_ms: 32, wait_max_ms: 7, in_ring: 6n, source: 'both' }]);
});

test('summary --json\'s "js" per file counts them too', async () => {
  const files = await jsFiles(opened.session, bindings(SCENARIO_PARAMS));
  assert.equal(files.map((f) => [f.path, f.calls, f.byKind, f.errors]), [['/data/wal', 12, { 'js:fs.fsync': 12 }, 1]]);
});

test.run();
