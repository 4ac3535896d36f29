import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReportPoint } from '../../src/report/data.js';
import { chartData, type ChartData } from '../../src/report/chartdata.js';
import { DEFAULT_LIMITS, MAX_REPORT_BYTES, shrink, thinPoints, waterfill } from '../../src/report/guard.js';
import { renderReport } from '../../src/report/render.js';
import { hugeReport, sampleReport, XSS } from './fixtures.js';

function point(i: number, path: string, extra: Partial<ReportPoint> = {}): ReportPoint {
  return {
    path, start: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(), kind: 'fsync', latencyMs: 1 + (i % 5),
    bytes: 4096, baselineMs: 1, baselineP99Ms: 3, outlier: false, failed: false, ...extra,
  };
}

/** The chart data embedded in a rendered page. */
function embedded(html: string): ChartData {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'report-data script present');
  return JSON.parse(m![1]!) as ChartData;
}

test('waterfill lets small groups keep everything and shares the rest', () => {
  assert.equal(waterfill([5, 100, 1000], 105), [5, 50, 50]);
  assert.equal(waterfill([5, 10], 100), [5, 10]);
  assert.equal(waterfill([7, 7, 7], 0), [0, 0, 0]);
});

test('thinPoints leaves a small input alone', () => {
  const points = [point(0, '/a'), point(1, '/b')];
  const t = thinPoints(points, 10);
  assert.is(t.points, points);
  assert.is(t.omittedNormal + t.omittedAbnormal, 0);
});

test('thinPoints keeps every outlier and failed call, spreads normal calls over files, and is deterministic', () => {
  const points: ReportPoint[] = [];
  for (let i = 0; i < 10_000; i++) points.push(point(i, '/big', { outlier: i % 500 === 0 }));
  for (let i = 0; i < 20; i++) points.push(point(i, '/small'));
  points.push(point(3, '/big', { failed: true }));
  const t = thinPoints(points, 1000);
  assert.is(t.points.length, 1000);
  assert.is(t.points.filter((p) => p.outlier).length, 20);
  assert.is(t.points.filter((p) => p.failed).length, 1);
  assert.is(t.points.filter((p) => p.path === '/small').length, 20, 'the small file keeps all its points');
  assert.is(t.omittedAbnormal, 0);
  assert.is(t.omittedNormal, points.length - 1000);
  assert.equal(thinPoints(points, 1000).points, t.points);
  // Original order is kept.
  const index = new Map(points.map((p, i) => [p, i]));
  const order = t.points.map((p) => index.get(p)!);
  assert.equal(order, [...order].sort((a, b) => a - b));
});

test('thinPoints keeps the worst when outliers alone exceed the limit', () => {
  const points = Array.from({ length: 100 }, (_, i) => point(i, '/f', { outlier: true, latencyMs: i }));
  points.push(point(100, '/f', { failed: true, latencyMs: 0.5 }));
  const t = thinPoints(points, 10);
  assert.is(t.points.length, 10);
  assert.ok(t.points.some((p) => p.failed), 'failed calls first');
  assert.equal(t.points.filter((p) => !p.failed).map((p) => p.latencyMs), [91, 92, 93, 94, 95, 96, 97, 98, 99]);
  assert.is(t.omittedAbnormal, 91);
});

test('chartData ranks files by outliers and embeds each path once', () => {
  const { chart, notes } = chartData(sampleReport(), DEFAULT_LIMITS);
  assert.is(notes.files, 7);
  assert.is(chart.files.length, 7);
  assert.equal(chart.files.map((f) => f.rank).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
  assert.match(chart.files.find((f) => f.rank === 1)!.label, /^1\. db-1\.prod:…\/pg_wal\//);
  const lengths = Object.values(chart.points).map((col) => col.length);
  assert.ok(lengths.every((n) => n === lengths[0]), 'columns line up');
  assert.is(chart.points.s.filter((s) => s === 1).length, sampleReport().totals.outliers);
});

test('chartData draws a file family as one row: three WAL segments and a lone file make two', () => {
  const base = sampleReport();
  const wal = ['/pg/pg_wal/000000010000000000000001', '/pg/pg_wal/000000010000000000000002', '/pg/pg_wal/000000010000000000000003'];
  const file = (path: string, family: string, members: number, calls: number, p50Ms: number, p99Ms: number) => ({
    path, host: 'h', family, familyMembers: members, calls, byKind: { fdatasync: calls }, errors: 0, bytes: 0, p50Ms, p99Ms, maxMs: p99Ms,
  });
  const data = {
    ...base,
    files: [...wal.map((p, i) => file(p, '/pg/pg_wal/#', 3, 10, 1, 2 + i)), file('/pg/global/pg_control', '/pg/global/pg_control', 1, 5, 3, 4)],
    points: [...wal.flatMap((p, i) => [point(i * 10, p), point(i * 10 + 1, p, { outlier: true, latencyMs: 90 })]), point(40, '/pg/global/pg_control')],
    heat: [
      { path: '/pg/pg_wal/#', bucket: base.range!.start, calls: 30, p99Ms: 4, maxMs: 90, failed: 0 },
      { path: '/pg/global/pg_control', bucket: base.range!.start, calls: 5, p99Ms: 4, maxMs: 4, failed: 0 },
    ],
    history: {
      ...base.history!,
      days: [
        { path: wal[0]!, day: '2024-01-01', calls: 100, p50Ms: 1, p99Ms: 5, maxMs: 9 },
        { path: wal[1]!, day: '2024-01-01', calls: 300, p50Ms: 2, p99Ms: 3, maxMs: 9 },
        { path: wal[1]!, day: '2024-01-02', calls: 50, p50Ms: 1, p99Ms: 2, maxMs: 3 },
      ],
    },
  };
  const { chart, notes } = chartData(data, DEFAULT_LIMITS);
  assert.is(notes.files, 2);
  assert.equal(chart.files.map((f) => [f.label, f.path, f.members, f.p50, f.p99]), [
    ['1. …/pg_wal/# (3 files)', '/pg/pg_wal/#', 3, null, 4],
    ['2. …/global/pg_control', '/pg/global/pg_control', 1, 3, 4],
  ]);
  // Every segment's points in the family's row; the heat map's one row per family.
  assert.equal([...new Set(chart.points.f)].sort(), [0, 1]);
  assert.is(chart.points.f.filter((f) => f === 0).length, 6);
  assert.equal(chart.heat.f, [0, 1]);
  // A family's day: its members' calls added, the busiest member's p50, the worst p99.
  assert.equal([chart.history.f, chart.history.p50, chart.history.p99, chart.history.n], [[0, 0], [2, 1], [5, 2], [400, 50]]);
});

test('shrink never goes below usable floors', () => {
  const tiny = shrink(DEFAULT_LIMITS, 0.0001);
  assert.is(tiny.points, 200);
  assert.is(tiny.rows, 10);
  assert.is(tiny.timeFiles, 3);
});

test('2 million points and huge hostile strings: under 3 MB, every outlier kept, omissions stated', () => {
  const outliers = 5000;
  const data = hugeReport(2_000_000, outliers);
  assert.is(data.points.filter((p) => p.outlier).length, outliers);
  const started = Date.now();
  const html = renderReport(data);
  const size = Buffer.byteLength(html);
  assert.ok(size <= MAX_REPORT_BYTES, `report is ${size} bytes`);
  const chart = embedded(html);
  assert.is(chart.points.s.filter((s) => s === 1).length, outliers, 'every outlier is embedded');
  assert.ok(chart.points.f.length < 20_000, `${chart.points.f.length} points embedded`);
  // 2,000,000 − kept normal points, plus the 18,000,000 the query layer had sampled away.
  const omitted = 2_000_000 - chart.points.f.length + 18_000_000;
  assert.match(html, `a sample of normal calls (${omitted.toLocaleString('en-US')} normal calls not drawn)`);
  assert.match(html, /Showing the worst \d+ of 10,000 outliers\./);
  // A third of the 5,000 traces made no sync call: folded away under one line.
  assert.match(html, /Showing the busiest \d+ of 3,333 traces with sync calls\./);
  assert.match(html, '<details class="folded"><summary>1,667 traces with no sync call');
  assert.match(html, /Each drawn bucket merges \d+ analysis buckets/);
  assert.not.ok(html.includes(XSS.script), 'no raw payload anywhere in the page');
  console.log(`      2M points → ${(size / 1024 / 1024).toFixed(2)} MiB in ${Date.now() - started} ms`);
});

test.run();
