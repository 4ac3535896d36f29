// Given the two-day history trace (test/fixtures/history.ts: summaries for two days, the
// raw ring holding the last hour, a keep ring with two events from day 1 and a copy of a
// ring event), expect the long history loaded with its wall times and names, baselines
// drawn from the summaries before the ring and from the ring after it, kept events judged
// against them without feeding them, daily quantiles, alerts and the recorder's cost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings, DEFAULT_PARAMS } from '../../src/db/params.js';
import { openScenario, openTraces, type Opened } from '../fixtures/session.js';
import { reportData } from '../../src/db/report.js';
import { renderReport } from '../../src/report/render.js';
import { outline } from '../report/outline.js';
import { DAY, H_EPOCH_S, KEPT_FAILED, KEPT_SLOW, RAW_FROM, RING_SLOW, historyTrace, midMs } from '../fixtures/history.js';
import { histBucket } from '../../src/trace/layout.js';

let opened: Opened;
let withoutKept: Opened;
const B = bindings(DEFAULT_PARAMS); // 10-minute window: 1-minute buckets

test.before(async () => {
  opened = await openTraces({ 'kv.300.1767225600.0.fstrace': historyTrace() });
  withoutKept = await openTraces({ 'kv.300.1767225600.0.fstrace': historyTrace({ withKept: false }) });
  for (const o of [opened, withoutKept]) await o.session.build(['outliers', 'incidents', 'file_stats', 'totals', 'daily', 'alerts', 'overhead', 'trace_info'], B);
});
test.after(() => {
  opened.close();
  withoutKept.close();
});

/** ISO 8601 of `seconds` after 2026-01-01T00:00:00Z. */
function iso(seconds: number): string {
  return new Date((H_EPOCH_S + seconds) * 1000).toISOString();
}

const r6 = (x: unknown) => (x === null ? null : Math.round(Number(x) * 1e6) / 1e6);

test('summaries: one row per interval and file, at its wall-clock minute, named through the names region', async () => {
  const rows = await opened.session.rows(`
    select count(*) as n, min(start)::varchar as first, max(finish)::varchar as last, sum(calls) as calls,
      any_value(path) as path, any_value(host) as host, any_value(pid) as pid, any_value(kind) as kind, any_value(interval_s) as interval_s
    from summaries`);
  assert.equal(rows, [{
    n: 2880n, first: '2026-01-01 00:00:00', last: '2026-01-03 00:00:00', calls: 86_401n + 82_800n + 360n,
    path: '/data/kv.wal', host: 'h2', pid: 300, kind: 'fsync', interval_s: 60,
  }]);
  const noon = await opened.session.rows(`
    select start::varchar as start, finish::varchar as finish, calls, max_ms, bytes, writes from summaries
    where start = '2026-01-01 12:00:00'`);
  assert.equal(noon, [{ start: '2026-01-01 12:00:00', finish: '2026-01-01 12:01:00', calls: 61n, max_ms: 50, bytes: 61n * 4096n, writes: 61n }]);
  const hist = await opened.session.rows(`
    select bucket, n from summary_hist where start = '2026-01-01 12:00:00' order by bucket`);
  assert.equal(hist, [{ bucket: 19, n: 50 }, { bucket: 21, n: 10 }, { bucket: histBucket(50e6), n: 1 }]);
});

test('the merge rule: summaries count up to the interval the ring starts in, the ring from then on', async () => {
  const rows = await opened.session.rows(`
    select before_ring, count(*) as n, min(start)::varchar as first, max(start)::varchar as last
    from summaries group by all order by all`);
  assert.equal(rows, [
    { before_ring: false, n: 60n, first: '2026-01-02 23:00:00', last: '2026-01-02 23:59:00' },
    { before_ring: true, n: 2820n, first: '2026-01-01 00:00:00', last: '2026-01-02 22:59:00' },
  ]);
  assert.is(iso(RAW_FROM), '2026-01-02T23:00:05.000Z');
});

test('kept events join the events as source keep; the copy of a ring event is loaded once', async () => {
  const rows = await opened.session.rows(`
    select source, seq, start::varchar as start, dur_ns from events order by source desc, seq limit 3`);
  assert.equal(rows.slice(0, 2), [
    { source: 'keep', seq: -2n, start: '2026-01-01 18:00:10', dur_ns: 3_000_000n },
    { source: 'keep', seq: -1n, start: '2026-01-01 12:00:30', dur_ns: 50_000_000n },
  ]);
  const [t] = await opened.session.rows('select kept_events, kept_in_ring, summary_entries, alerts, alerts_suppressed, version from traces');
  assert.equal(t, { kept_events: 3n, kept_in_ring: 1n, summary_entries: 2882n, alerts: 2n, alerts_suppressed: 1n, version: 2 });
  const [slow] = await opened.session.rows(`select count(*) as n from intervals where start = '${iso(RING_SLOW.at).replace('T', ' ').replace('Z', '')}'`);
  assert.equal(slow, { n: 1n });
});

/** [source, history, median, p99, mean bytes] of the file's fsync baseline for the bucket at `seconds`. */
async function baseline(o: Opened, seconds: number) {
  const rows = await o.session.rows(`
    select source, history, median_ms, p99_ms, mean_bytes from baselines
    where bucket = ${Math.floor((H_EPOCH_S + seconds) / 60)}`);
  return rows.map((r) => [r.source, Number(r.history), r6(r.median_ms), r6(r.p99_ms), r.mean_bytes]);
}

test('day 1, where the ring has rotated away: the baseline of the ten summarized minutes before', async () => {
  // 12:00 takes the intervals ending 11:50..11:59: 10 x (50 at ~0.908 ms, 10 at ~1.816 ms).
  assert.equal(await baseline(opened, KEPT_SLOW.at), [['prior', 600, r6(midMs(19)), r6(midMs(21)), 4096]]);
});

test('at the ring\'s start: summaries before it and raw events after it, none counted twice', async () => {
  // 23:05 takes the intervals ending 22:55..23:00 (6 x 60 calls: 40 at ~1.8 ms, 20 at
  // ~3.6 ms) and the raw syncs of 23:00..23:04 (30 x 2 ms); not the summaries of 23:00..23:03.
  assert.equal(await baseline(opened, DAY + 23 * 3600 + 5 * 60), [['prior', 390, r6(midMs(21)), r6(midMs(23)), 4096]]);
  // 23:30: the ring alone, 60 syncs of 2 ms (counted in their half-octave bucket, read at its middle).
  assert.equal(await baseline(opened, RING_SLOW.at), [['prior', 60, r6(midMs(21)), r6(midMs(21)), 4096]]);
});

test('a kept event from day 1 at 55x its summary-derived baseline is an outlier; the failed one too', async () => {
  const rows = await opened.session.rows(`
    select start_ns, source, latency_ms, baseline_source, baseline_history, baseline_ms, ratio, reason, cause, incident, rank
    from outliers order by start_ns`);
  assert.equal(rows.map((r) => ({ ...r, baseline_ms: r6(r.baseline_ms), ratio: r6(r.ratio) })), [
    { start_ns: BigInt(H_EPOCH_S + KEPT_SLOW.at) * 1_000_000_000n, source: 'keep', latency_ms: 50, baseline_source: 'prior', baseline_history: 600n, baseline_ms: r6(midMs(19)), ratio: r6(50 / midMs(19)), reason: 'baseline', cause: 'slow', incident: 1, rank: 3n },
    { start_ns: BigInt(H_EPOCH_S + KEPT_FAILED.at) * 1_000_000_000n, source: 'keep', latency_ms: 3, baseline_source: 'prior', baseline_history: 600n, baseline_ms: r6(midMs(19)), ratio: r6(3 / midMs(19)), reason: 'failed', cause: 'failed', incident: 2, rank: 2n },
    { start_ns: BigInt(H_EPOCH_S + RING_SLOW.at) * 1_000_000_000n, source: 'ring', latency_ms: 1500, baseline_source: 'prior', baseline_history: 60n, baseline_ms: r6(midMs(21)), ratio: r6(1500 / midMs(21)), reason: 'threshold', cause: 'slow', incident: 3, rank: 1n },
  ]);
  assert.equal(await opened.session.rows('select incident, start::varchar as start, scope, cause from incidents order by incident'), [
    { incident: 1, start: '2026-01-01 12:00:30', scope: 'file', cause: 'slow' },
    { incident: 2, start: '2026-01-01 18:00:10', scope: 'file', cause: 'failed' },
    { incident: 3, start: '2026-01-02 23:30:05', scope: 'file', cause: 'slow' },
  ]);
});

test('kept events never feed a baseline: the same baselines with and without them', async () => {
  // 12:06 takes the intervals ending 11:56..12:05: 601 calls, the 50 ms one (in the
  // 12:00 summary) among them once, not again as a kept event.
  assert.equal(await baseline(opened, KEPT_SLOW.at + 6 * 60), []); // no sync to judge there
  const all = `select bucket, source, history, median_ms, p99_ms, mean_bytes from baselines order by bucket`;
  // (rounded: a sum of doubles in parallel is not always added up in the same order)
  const rounded = (rows: Awaited<ReturnType<typeof opened.session.rows>>) =>
    rows.map((r) => ({ ...r, median_ms: r6(r.median_ms), p99_ms: r6(r.p99_ms), mean_bytes: r6(r.mean_bytes) }) as Record<string, unknown>);
  const a = rounded(await opened.session.rows(all));
  const b = rounded(await withoutKept.session.rows(all));
  const buckets = (rows: typeof a) => new Map(rows.map((r) => [r.bucket, r]));
  const without = buckets(b);
  // Every bucket both judge has the same baseline; the kept ones are only targets.
  for (const r of a) if (without.has(r.bucket)) assert.equal(r, without.get(r.bucket));
  assert.is(a.length, b.length + 2);
  const [h] = await opened.session.rows(`
    select sum(calls) as n from summaries where before_ring and finish > '2026-01-01 11:55:59' and finish <= '2026-01-01 12:05:59'`);
  assert.equal(h, { n: 601n });
});

test('file_stats and totals count the whole summarized history once', async () => {
  const [f] = await opened.session.rows('select calls, errors, bytes, max_ms, p50_ms, p99_ms, ring_calls, summarized_calls, approximate, first_start::varchar as first from file_stats');
  assert.equal({ ...f, p50_ms: r6(f!.p50_ms), p99_ms: r6(f!.p99_ms) }, {
    calls: 169_561n, errors: 0n, bytes: 169_561n * 4096n, max_ms: 1500, p50_ms: r6(midMs(21)), p99_ms: r6(midMs(23)),
    ring_calls: 360n, summarized_calls: 169_201n, approximate: true, first: '2026-01-02 23:00:05',
  });
  const [t] = await opened.session.rows('select calls, ring_calls, kept_calls, alerts_written, alerts_suppressed, alert_calls, history_start::varchar as hs, history_end::varchar as he from totals');
  assert.equal(t, { calls: 169_561n, ring_calls: 360n, kept_calls: 2n, alerts_written: 2n, alerts_suppressed: 1n, alert_calls: 3n, hs: '2026-01-01 00:00:00', he: '2026-01-02 23:59:55.002' });
});

test('daily p50/p99 read off the summed histograms', async () => {
  const rows = await opened.session.rows('select day::varchar as day, calls, errors, p50_ms, p99_ms, max_ms from daily order by day');
  assert.equal(rows.map((r) => ({ ...r, p50_ms: r6(r.p50_ms), p99_ms: r6(r.p99_ms) })), [
    // 72,000 at ~0.908 ms (83%), 14,400 at ~1.816 ms, one at 50 ms
    { day: '2026-01-01', calls: 86_401n, errors: 0n, p50_ms: r6(midMs(19)), p99_ms: r6(midMs(21)), max_ms: 50 },
    // 55,200 + 360 at ~1.816 ms (67%), 27,600 at ~3.632 ms
    { day: '2026-01-02', calls: 83_160n, errors: 0n, p50_ms: r6(midMs(21)), p99_ms: r6(midMs(23)), max_ms: 1500 },
  ]);
  assert.equal([r6(midMs(19)), r6(midMs(21)), r6(midMs(23))], [0.908093, 1.816187, 3.632374]);
});

test('alerts: every alerted sync, from the ring or the keep ring, with its suppressed flag', async () => {
  const rows = await opened.session.rows('select start::varchar as start, host, pid, exe, program, path, kind, latency_ms, failed, errno, suppressed, source from alerts');
  assert.equal(rows, [
    { start: '2026-01-01 12:00:30', host: 'h2', pid: 300, exe: '/usr/bin/kv', program: 'kv', path: '/data/kv.wal', kind: 'fsync', latency_ms: 50, failed: false, errno: null, suppressed: false, source: 'keep' },
    { start: '2026-01-01 18:00:10', host: 'h2', pid: 300, exe: '/usr/bin/kv', program: 'kv', path: '/data/kv.wal', kind: 'fsync', latency_ms: 3, failed: true, errno: 5, suppressed: true, source: 'keep' },
    { start: '2026-01-02 23:30:05', host: 'h2', pid: 300, exe: '/usr/bin/kv', program: 'kv', path: '/data/kv.wal', kind: 'fsync', latency_ms: 1500, failed: false, errno: null, suppressed: false, source: 'ring' },
  ]);
});

test('overhead: 32,000 ns over 400 samples is 80 ns a call; 4,000 calls x 80 ns of 8 ms in syncs is 4%', async () => {
  const [r] = await opened.session.rows('select entries, samples, calls, sync_ns, ns_per_call, sync_share from overhead');
  assert.equal(r, { entries: 2n, samples: 400n, calls: 4000, sync_ns: 8_000_000, ns_per_call: 80, sync_share: 0.04 });
});

test('trace_info: the raw ring\'s span, and the kept and summarized history', async () => {
  const [r] = await opened.session.rows(`
    select syncs, start::varchar as start, version, kept, alerts, alerts_suppressed, summaries,
      history_start::varchar as hs, history_end::varchar as he, summary_interval_s, cost_entries from trace_info`);
  assert.equal(r, {
    syncs: 360n, start: '2026-01-02 23:00:05', version: 2, kept: 2n, alerts: 2n, alerts_suppressed: 1n, summaries: 2880n,
    hs: '2026-01-01 00:00:00', he: '2026-01-02 23:59:55.002', summary_interval_s: 60, cost_entries: 2n,
  });
});

test('reportData: the long history, the alerts and the overhead, and the charts drawn from the ring', async () => {
  const data = await reportData(opened.session, DEFAULT_PARAMS, new Date(Date.UTC(2026, 0, 3)));
  assert.equal({ ...data.history, days: data.history!.days.map((d) => ({ ...d, p50Ms: r6(d.p50Ms), p99Ms: r6(d.p99Ms) })) }, {
    start: '2026-01-01T00:00:00.000000Z', end: '2026-01-02T23:59:55.002000Z', summarizedCalls: 169_201, ringCalls: 360, unaccounted: 0,
    days: [
      { path: '/data/kv.wal', day: '2026-01-01', calls: 86_401, p50Ms: r6(midMs(19)), p99Ms: r6(midMs(21)), maxMs: 50 },
      { path: '/data/kv.wal', day: '2026-01-02', calls: 83_160, p50Ms: r6(midMs(21)), p99Ms: r6(midMs(23)), maxMs: 1500 },
    ],
  });
  assert.equal(data.alerts, {
    written: 2, suppressed: 1, unsent: 0, fallback: 0, total: 3,
    list: [
      { start: '2026-01-01T12:00:30.000000Z', path: '/data/kv.wal', host: 'h2', pid: 300, exe: '/usr/bin/kv', program: 'kv', kind: 'fsync', latencyMs: 50, error: null, suppressed: false, source: 'keep' },
      { start: '2026-01-01T18:00:10.000000Z', path: '/data/kv.wal', host: 'h2', pid: 300, exe: '/usr/bin/kv', program: 'kv', kind: 'fsync', latencyMs: 3, error: 'EIO', suppressed: true, source: 'keep' },
      { start: '2026-01-02T23:30:05.000000Z', path: '/data/kv.wal', host: 'h2', pid: 300, exe: '/usr/bin/kv', program: 'kv', kind: 'fsync', latencyMs: 1500, error: null, suppressed: false, source: 'ring' },
    ],
  });
  // Two cost entries (50 and 90 ns per call): the trace's first is start-up, the other the steady state.
  assert.equal(data.overhead, { nsPerCall: 90, syncShare: 0.045, samples: 300, calls: 3000, startup: { nsPerCall: 50, samples: 100, calls: 1000, traces: 1 } });
  // The recent detail: the ring's hour; the kept outliers are in the tables.
  assert.equal(data.range, { start: '2026-01-02T23:00:05.000000Z', end: '2026-01-02T23:59:55.002000Z' });
  assert.is(data.points.length, 360);
  assert.ok(data.points.every((p) => p.start >= '2026-01-02T23'));
  assert.equal(data.outliers.map((o) => [o.start, o.reason]), [
    ['2026-01-02T23:30:05.000000Z', 'threshold'], ['2026-01-01T18:00:10.000000Z', 'failed'], ['2026-01-01T12:00:30.000000Z', 'baseline'],
  ]);
  assert.equal(data.files.map((f) => [f.calls, f.ringCalls]), [[169_561, 360]]);
  assert.equal([data.totals.calls, data.totals.outliers, data.totals.incidents, data.totals.errors], [169_561, 3, 3, 0]);
  const html = renderReport(data);
  assert.match(html, '<p class="note" id="overhead">Recorder overhead, steady state: <b>90 ns per call</b>, 4.5% of the time spent in sync calls');
  assert.match(html, "start-up (each trace's first summary interval, one-off page allocation included): 50 ns per call");
  assert.match(outline(html), 'table #alerts-table: 3 rows');
  assert.match(outline(html), 'chart #chart-history');
});

test('a version-1 trace: no history, alerts or overhead in the report data', async () => {
  const v1 = await openScenario();
  try {
    const data = await reportData(v1.session, DEFAULT_PARAMS);
    assert.equal([data.history, data.alerts, data.overhead], [null, null, null]);
    assert.not.match(outline(renderReport(data)), '#history');
  } finally {
    v1.close();
  }
});

test.run();
