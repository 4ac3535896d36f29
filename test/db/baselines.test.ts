// Given the scenario trace with a 10 s window (1 s buckets) and a minimum history of 3,
// expect queries/20_baselines.sql to give each file, call and second the distribution of
// the ten seconds before it: the file's own when it has 3 syncs there, else its device's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';
import { openScenario, openTraces, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS, at, msNs } from '../fixtures/traces.js';

let opened: Opened;
const EPOCH_S = 1_767_225_600;

test.before(async () => {
  opened = await openScenario();
  await opened.session.build(['baselines'], bindings(SCENARIO_PARAMS));
});
test.after(() => opened.close());

/** [second, source, history, median, p99, mad, mean bytes] for a file's fsync baselines. */
async function baselines(fileId: number, seconds: number[]) {
  const rows = await opened.session.rows(
    `select bucket - ${EPOCH_S} as second, source, history, median_ms, p99_ms, mad_ms, mean_bytes
     from baselines where file_id = $file and call = 1 order by bucket`, { file: fileId });
  return rows
    .filter((r) => seconds.includes(Number(r.second)))
    .map((r) => [Number(r.second), r.source, Number(r.history), r.median_ms, r.p99_ms, r.mad_ms, r.mean_bytes]);
}

test('one row per file, call and second with syncs', async () => {
  const rows = await opened.session.rows('select file_id, call, count(*) as n from baselines group by all order by all');
  assert.equal(rows, [
    { file_id: 1, call: 1, n: 30n },
    { file_id: 2, call: 1, n: 3n },
    { file_id: 3, call: 3, n: 1n },
    { file_id: 3, call: 8, n: 1n },
  ]);
});

test('no baseline until the file has 3 syncs in the window before', async () => {
  assert.equal(await baselines(1, [0, 1, 2, 3]), [
    [0, null, 0, null, null, null, null],
    [1, null, 0, null, null, null, null],
    [2, null, 0, null, null, null, null],
    [3, 'file', 3, 2, 2, 0, 4096],
  ]);
});

test('the window holds the ten seconds before, not the sync itself', async () => {
  assert.equal(await baselines(1, [10, 11, 12]), [
    [10, 'file', 10, 2, 2, 0, 4096],
    [11, 'file', 10, 2, 50, 0, 4096],
    [12, 'file', 10, 2, 50, 0, 44_646.4],
  ]);
});

test('failed syncs are not part of what is normal', async () => {
  // Seconds 4..13 hold nine good syncs of a.log (2 ms x7, 40, 50) and the EIO at 12.5.
  assert.equal(await baselines(1, [14]), [[14, 'file', 9, 2, 50, 0, (7 * 4096 + 4096 + 409_600) / 9]]);
});

test('the slow sync at 20.5 s is in the p99 of the ten seconds after it', async () => {
  // Second 21 still sees the 100x write at 11.5 s, and not the EIO at 12.5 s.
  assert.equal(await baselines(1, [21, 25, 30]), [
    [21, 'file', 9, 2, 1500, 0, (7 * 4096 + 409_600 + 4096) / 9],
    [25, 'file', 10, 2, 1500, 0, 4096],
  ]);
});

test('a file with little history takes its device baseline', async () => {
  // b.log syncs at 5.2, 15.2 and 25.2 s; a.log shares its st_dev.
  assert.equal(await baselines(2, [5, 15, 25]), [
    [5, 'device', 5, 2, 2, 0, 4096],
    [15, 'device', 10, 2, 50, 0, (8 * 4096 + 409_600 + 8192) / 10],
    [25, 'device', 11, 2, 1500, 0, (10 * 4096 + 8192) / 11],
  ]);
});

test('a device with too little history gives no baseline', async () => {
  const rows = await opened.session.rows('select source, history from baselines where file_id = 3');
  assert.equal(rows, [{ source: null, history: 0n }, { source: null, history: 0n }]);
});

test('latencies within one bin (9% wide) stand for their mean; quantiles are nearest-rank', async () => {
  const w = new TraceWriter({ ringSlots: 32 });
  w.path({ id: 1, name: '/x' });
  const ms = [1, 1.04, 1, 1.04, 2, 1, 1.04, 1, 1.04, 2, 1];
  ms.forEach((m, k) => w.event({ type: RecordType.Sync, call: 1, startNs: at(k + 0.5), durNs: msNs(m), pathId: 1 }));
  const t = await openTraces({ 'x.fstrace': w.bytes() });
  try {
    await t.session.build(['baselines'], bindings(SCENARIO_PARAMS));
    const [r] = await t.session.rows(`select history, median_ms, p99_ms, mad_ms from baselines where bucket = ${EPOCH_S + 10}`);
    // 1.00 x4 and 1.04 x4 share a bin (mean 1.02); 2.00 x2 is another.
    assert.equal(r, { history: 10n, median_ms: 1.02, p99_ms: 2, mad_ms: 0 });
  } finally {
    t.close();
  }
});

test.run();
