// Given the scenario trace, expect queries/30_outliers.sql to flag the failed sync, the
// one over the threshold and those slower than their baseline by the margin, to say
// which were explained by the bytes they flushed, and queries/40_incidents.sql to
// group them into three incidents.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { readIncidents, readOutliers } from '../../src/db/outliers.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';
import { openScenario, openTraces, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS, at, iso, msNs } from '../fixtures/traces.js';

let opened: Opened;
const b = bindings(SCENARIO_PARAMS);

test.before(async () => {
  opened = await openScenario();
});
test.after(() => opened.close());

test('outliers, worst first: over the threshold, then by ratio to the baseline', async () => {
  const got = await readOutliers(opened.session, b);
  assert.equal(
    got.map((o) => [o.rank, o.path, o.start, o.latencyMs, o.baselineMs, o.baselineSource, o.ratio, o.reason, o.cause, o.incident]),
    [
      [1, '/data/a.log', iso(20.5), 1500, 2, 'file', 750, 'threshold', 'latency', 2],
      [2, '/data/a.log', iso(25.5), 120, 2, 'file', 60, 'baseline', 'latency', 3],
      [3, '/data/b.log', iso(25.2), 100, 2, 'device', 50, 'baseline', 'latency', 3],
      [4, '/data/a.log', iso(10.5), 50, 2, 'file', 25, 'baseline', 'latency', 1],
      [5, '/data/a.log', iso(11.5), 40, 2, 'file', 20, 'baseline', 'write-volume', 1],
      [6, '/data/a.log', iso(12.5), 2, 2, 'file', 1, 'failed', 'failure', 1],
    ],
  );
});

test('a sync that flushed 100x the usual bytes, and no slower per byte, is write-volume', async () => {
  const [o] = await readOutliers(opened.session, b, { cause: 'write-volume' });
  assert.equal([o!.bytes, o!.bytesRatio, o!.baselineP99Ms], [409_600, 100, 50]);
});

test('the failed sync keeps its errno', async () => {
  const got = await readOutliers(opened.session, b, { failedOnly: true });
  assert.equal(got.map((o) => [o.start, o.failed, o.errno, o.pid, o.tid]), [[iso(12.5), true, 5, 100, 101]]);
});

test('incidents: outliers within the gap, one file or many', async () => {
  const got = await readIncidents(opened.session, b);
  assert.equal(got, [
    {
      id: 1, start: iso(10.5), end: iso(12.502), outliers: 3, files: 1, processes: 1, hosts: 1,
      worstMs: 50, worstPath: '/data/a.log', scope: 'single-file', cause: 'failure', paths: ['/data/a.log'],
    },
    {
      id: 2, start: iso(20.5), end: iso(22), outliers: 1, files: 1, processes: 1, hosts: 1,
      worstMs: 1500, worstPath: '/data/a.log', scope: 'single-file', cause: 'latency', paths: ['/data/a.log'],
    },
    {
      id: 3, start: iso(25.2), end: iso(25.62), outliers: 2, files: 2, processes: 1, hosts: 1,
      worstMs: 120, worstPath: '/data/a.log', scope: 'device-wide', cause: 'latency', paths: ['/data/a.log', '/data/b.log'],
    },
  ]);
});

test('a wider gap joins the last two incidents', async () => {
  // 3.2 s from the end of the 1500 ms sync to the start of the next outlier.
  const got = await readIncidents(opened.session, bindings({ ...SCENARIO_PARAMS, gapSeconds: 5 }));
  assert.equal(got.map((i) => [i.id, i.start, i.outliers, i.files, i.cause]), [
    [1, iso(10.5), 3, 1, 'failure'],
    [2, iso(20.5), 3, 2, 'latency'],
  ]);
});

test('a lower threshold flags more; a stricter ratio flags fewer', async () => {
  const lower = await readOutliers(opened.session, bindings({ ...SCENARIO_PARAMS, thresholdMs: 100 }));
  assert.equal(lower.filter((o) => o.reason === 'threshold').map((o) => o.start), [iso(20.5), iso(25.5), iso(25.2)]);
  const strict = await readOutliers(opened.session, bindings({ ...SCENARIO_PARAMS, ratio: 30 }));
  assert.equal(strict.map((o) => o.start), [iso(20.5), iso(25.5), iso(25.2), iso(12.5)]);
});

test('microsecond syncs on tmpfs: 100x the median but under the floor is not an outlier', async () => {
  const w = new TraceWriter({ ringSlots: 64 });
  w.path({ id: 1, name: '/dev/shm/x' });
  for (let k = 0; k < 20; k++) {
    const ms = k === 15 ? 0.5 : k === 18 ? 1.5 : 0.005;
    w.event({ type: RecordType.Sync, call: 1, startNs: at(k + 0.5), durNs: msNs(ms), pathId: 1 });
  }
  const t = await openTraces({ 'x.fstrace': w.bytes() });
  try {
    const got = await readOutliers(t.session, b);
    assert.equal(got.map((o) => [o.start, o.latencyMs, o.baselineMs, o.reason]), [[iso(18.5), 1.5, 0.005, 'baseline']]);
  } finally {
    t.close();
  }
});

test('slow at once on two devices: an incident on each, of one file each', async () => {
  const w = new TraceWriter({ ringSlots: 64 });
  w.path({ id: 1, name: '/disk1/x', dev: 1n }).path({ id: 2, name: '/disk2/y', dev: 2n });
  for (let k = 0; k < 12; k++) {
    for (const id of [1, 2]) {
      w.event({ type: RecordType.Sync, call: 1, startNs: at(k + 0.1 * id), durNs: msNs(k === 11 ? 80 : 2), pathId: id });
    }
  }
  const t = await openTraces({ 'x.fstrace': w.bytes() });
  try {
    const got = await readIncidents(t.session, b);
    assert.equal(got.map((i) => [i.id, i.start, i.files, i.scope, i.paths]), [
      [1, iso(11.1), 1, 'single-file', ['/disk1/x']],
      [2, iso(11.2), 1, 'single-file', ['/disk2/y']],
    ]);
  } finally {
    t.close();
  }
});

test.run();
