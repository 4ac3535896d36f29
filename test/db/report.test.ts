// Given the scenario trace, expect reportData (src/db/report.ts) to fill every part of
// ReportData from the queries: totals, worst outlier, points, heat map, incidents,
// failures; and queries/70_heat.sql and 80_points.sql to bucket and sample as they say.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_REPORT_PARAMS, bindings } from '../../src/db/params.js';
import { heatBucket, reportData } from '../../src/db/report.js';
import type { ReportData } from '../../src/report/data.js';
import { openScenario, openTraces, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS, iso, otherHost, scenario } from '../fixtures/traces.js';

let opened: Opened;
let data: ReportData;
const NOW = new Date(Date.UTC(2026, 1, 2, 3, 4, 5));

test.before(async () => {
  opened = await openScenario();
  data = await reportData(opened.session, SCENARIO_PARAMS, NOW);
});
test.after(() => opened.close());

test('header: when, what was read, the time range and the totals', () => {
  assert.is(data.generatedAt, '2026-02-02T03:04:05.000Z');
  assert.equal(data.traces.map((t) => [t.host, t.pid, t.exe, t.program, t.syncs, t.cmdline, t.records, t.dropped, t.torn, t.start]), [
    ['h1', 100, '/usr/bin/app', 'app', 36, 'app --data /data', 41, 0, 0, iso(0.1)],
  ]);
  assert.equal(data.range, { start: iso(0.5), end: iso(29.502) });
  assert.equal(data.totals, {
    hosts: 1, processes: 1, files: 4, calls: 36,
    byKind: { fsync: 33, o_dsync_write: 1, sync: 1, sync_file_range: 1 },
    errors: 1, outliers: 5, incidents: 3,
  });
  assert.equal(data.params, { windowSeconds: 10, thresholdMs: 1000, factor: 3, floorMs: 10, minHistory: 3 });
  // b.log (3 calls) and c.log (one call of each of two kinds) too few; sync() names no file.
  assert.equal(data.judgement, { judged: 30, unjudged: 6, reasons: { 'few calls': 5, 'no file': 1 }, sources: { prior: 27, recording: 3 } });
});

test('the worst outlier, and the outliers worst first', () => {
  // 2-ms calls read as their half-octave bucket's middle, 1.816 ms.
  const mid = 1.816186907597343;
  assert.equal(data.worst, {
    path: '/data/a.log', host: 'h1', pid: 100, tid: 101, program: 'app', family: '/data/a.log', kind: 'fsync', start: iso(20.5),
    latencyMs: 1500, baselineMs: mid, baselineP99Ms: mid, cutoffMs: 10, baselineSource: 'prior', ratio: 1500 / mid, bytes: 4096,
    bytesRatio: 1, reason: 'threshold', cause: 'slow', errnoName: null, incident: 2,
  });
  assert.equal(data.outliers.map((o) => [o.start, o.reason, o.cause, o.incident]), [
    [iso(20.5), 'threshold', 'slow', 2], [iso(12.5), 'failed', 'failed', 1], [iso(25.5), 'baseline', 'slow', 3],
    [iso(10.5), 'baseline', 'slow', 1], [iso(11.5), 'baseline', 'write-volume', 1],
  ]);
});

test('failures carry the errno and its name', () => {
  assert.equal(data.failures, [{
    path: '/data/a.log', host: 'h1', pid: 100, tid: 101, program: 'app', incident: 1, kind: 'fsync', start: iso(12.5), errno: 5, errnoName: 'EIO',
  }]);
});

test('incidents as the report shows them', () => {
  assert.equal(data.incidents.map((i) => [i.id, i.start, i.end, i.scope, i.cause, i.paths, i.errnos, i.programs]), [
    [1, iso(10.5), iso(12.502), 'file', 'failed', ['/data/a.log'], ['EIO'], ['app']],
    [2, iso(20.5), iso(22), 'file', 'slow', ['/data/a.log'], [], ['app']],
    [3, iso(25.5), iso(25.62), 'file', 'slow', ['/data/a.log'], [], ['app']],
  ]);
});

test('points: every sync of a small data set, outliers marked, with the baseline at the time', () => {
  assert.is(data.points.length, 36);
  assert.is(data.pointsOmitted, 0);
  assert.equal(data.points.filter((p) => p.outlier).map((p) => p.start), [iso(10.5), iso(11.5), iso(12.5), iso(20.5), iso(25.5)]);
  const at13 = data.points.find((p) => p.start === iso(13.5))!;
  // The 50 and 40 ms calls before it are slow: never part of a baseline.
  assert.equal(at13, {
    path: '/data/a.log', start: iso(13.5), kind: 'fsync', latencyMs: 2, bytes: 4096,
    baselineMs: 1.816186907597343, baselineP99Ms: 1.816186907597343, outlier: false, failed: false,
  });
  assert.is(data.points.find((p) => p.start === iso(12.5))!.failed, true);
  assert.ok(data.points.every((p) => !('host' in p)), 'no host when there is only one');
});

test('heat map: per file and second, for a 30 s range', () => {
  assert.is(data.heatBucketSeconds, 1);
  const a = data.heat.filter((h) => h.path === '/data/a.log');
  assert.is(a.length, 30);
  assert.equal(a[20], { path: '/data/a.log', bucket: iso(20), calls: 1, p99Ms: 1500, maxMs: 1500, failed: 0 });
  assert.equal(a[12]!.failed, 1);
  assert.equal(data.files.map((f) => f.path), ['/data/a.log', '/data/b.log', '(unknown)', '/data/c.log']);
});

test('heat bucket widths are round and give about 120 buckets', () => {
  assert.is(heatBucket(null, null), 1);
  assert.is(heatBucket(iso(0), iso(30)), 1);
  assert.is(heatBucket('2026-01-01T00:00:00Z', '2026-01-01T02:00:00Z'), 60);
  assert.is(heatBucket('2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z'), 7200);
});

test('points sample the normal syncs evenly when there are many', async () => {
  const b = bindings(SCENARIO_PARAMS, { ...DEFAULT_REPORT_PARAMS, maxPoints: 10, maxOutliers: 2 });
  await opened.session.build(['points'], b);
  const [r] = await opened.session.rows('select count(*) filter (where outlier) as outliers, count(*) filter (where not outlier) as normal from points');
  assert.is(r!.outliers, 2n);
  // 30 normal syncs, every third kept by hash: about 10.
  assert.ok(Number(r!.normal) >= 4 && Number(r!.normal) <= 20, `normal points: ${r!.normal}`);
});

test('with several hosts, points and heat cells name theirs', async () => {
  const two = await openTraces({ 'a.fstrace': scenario(), 'b.fstrace': otherHost() });
  try {
    const d = await reportData(two.session, SCENARIO_PARAMS, NOW);
    assert.equal([...new Set(d.points.map((p) => p.host))].sort(), ['h1', 'h2']);
    assert.ok(d.heat.every((h) => h.host === 'h1' || h.host === 'h2'));
    assert.is(d.totals.hosts, 2);
  } finally {
    two.close();
  }
});

test.run();
