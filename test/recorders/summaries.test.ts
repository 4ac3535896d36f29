/**
 * The summary ring against the raw events it summarises, while both are in
 * the file: slow.c with 1-second intervals, in one thread and in eight, with
 * some failing syncs. Per interval, file and call kind, the summaries (their
 * entries added up) hold exactly the calls, errors, alerts, kept copies,
 * latency sum and maximum, bytes, writes and histogram that the raw events
 * give, bucketed with the same function. The cost record is there too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DecodedTrace } from '../../src/trace/decode.js';
import { HIST_BUCKETS, histBucket } from '../../src/trace/layout.js';
import { account, cleanup, invariantProblems, lazy, onlyTrace, run, syncEvents, type RunResult } from './harness.js';
import { figure } from '../figures.js';

const F_NO_INTERVAL = 0x4;
const F_ALERT = 0x20;
const F_KEPT = 0x80;
const SECOND = 1_000_000_000n;

const env = { FSYNC_TRACE_SUMMARY_SECONDS: '1', FSYNC_TRACE_MAX_BYTES: String(64 << 20) };
// DIR ROUNDS FILES PAUSE_US THREADS ERR_EVERY QUIET
const single = lazy(() => run('slow', (d) => [d.data, '3000', '4', '600', '1', '97', '1'], { env }));
const eight = lazy(() => run('slow', (d) => [d.data, '1200', '16', '1000', '8', '89', '1'], { env }));
// Eight threads on four files: two threads update each file's entries at once, and race to start them.
const shared = lazy(() => run('slow', (d) => [d.data, '1500', '4', '1500', '8', '89', '1'], { env }));
// 70,000 syncs of one file in one interval: an entry takes 65,535 calls, then another follows.
const full = lazy(() => run('slow', (d) => [d.data, '70000', '1', '0', '1', '0', '1'], { env: { ...env, FSYNC_TRACE_SUMMARY_SECONDS: '3600' } }));

test.after(cleanup);

interface Row {
  calls: number;
  errors: number;
  alerts: number;
  kept: number;
  sumNs: bigint;
  maxNs: bigint;
  bytes: bigint;
  writes: number;
  hist: number[];
}

const empty = (): Row => ({ calls: 0, errors: 0, alerts: 0, kept: 0, sumNs: 0n, maxNs: 0n, bytes: 0n, writes: 0, hist: Array(HIST_BUCKETS).fill(0) });

/** Per "interval path call": what the raw sync events say. */
function fromEvents(trace: DecodedTrace, interval = SECOND): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const e of syncEvents(trace)) {
    const key = `${e.startNs - (e.startNs % interval)} ${e.path ?? ''} ${e.call}`;
    const r = out.get(key) ?? empty();
    r.calls++;
    if (e.res < 0) r.errors++;
    if (e.flags & F_ALERT) r.alerts++;
    if (e.flags & F_KEPT) r.kept++;
    r.sumNs += e.durNs;
    if (e.durNs > r.maxNs) r.maxNs = e.durNs;
    if (!(e.flags & F_NO_INTERVAL)) {
      r.bytes += e.bytes;
      r.writes += e.writes;
    }
    r.hist[histBucket(e.durNs)]!++;
    out.set(key, r);
  }
  return out;
}

/** Per "interval path call": the summary entries, added up. */
function fromSummaries(trace: DecodedTrace): { rows: Map<string, Row>; entries: number } {
  const s = trace.summaries;
  const calls = ['none', 'fsync', 'fdatasync', 'sync_file_range', 'syncfs', 'sync', 'msync', 'o_sync_write', 'o_dsync_write', 'rwf_sync_write', 'rwf_dsync_write'];
  const out = new Map<string, Row>();
  for (let i = 0; i < s.length; i++) {
    const key = `${s.intervalStartNs[i]} ${trace.paths.get(s.pathId[i]!)?.name ?? ''} ${calls[s.call[i]!]}`;
    const r = out.get(key) ?? empty();
    r.calls += s.calls[i]!;
    r.errors += s.errors[i]!;
    r.alerts += s.alerts[i]!;
    r.kept += s.kept[i]!;
    r.sumNs += s.sumNs[i]!;
    if (s.maxNs[i]! > r.maxNs) r.maxNs = s.maxNs[i]!;
    r.bytes += s.bytes[i]!;
    r.writes += s.writes[i]!;
    for (let k = 0; k < HIST_BUCKETS; k++) r.hist[k]! += s.hist[i * HIST_BUCKETS + k]!;
    out.set(key, r);
  }
  return { rows: out, entries: s.length };
}

function sorted(m: Map<string, Row>): Array<[string, Row]> {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function check(r: RunResult, rounds: number, threads: number) {
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  const bad = account(r.stdout).filter((l) => l.kind === 'bad');
  assert.ok(bad.length > 0 && bad.every((l) => l.f.errno === '22'), 'some sync_file_range calls failed with EINVAL');
  const syncs = syncEvents(trace);
  assert.is(syncs.length, rounds * threads + bad.length, 'every sync is in the ring');
  const raw = fromEvents(trace);
  const { rows } = fromSummaries(trace);
  const intervals = new Set([...raw.keys()].map((k) => k.split(' ')[0]));
  assert.ok(intervals.size >= 2, `${intervals.size} intervals`);
  assert.equal(sorted(rows), sorted(raw));
  // Every summary names its file through the names region, which outlives the ring.
  for (let i = 0; i < trace.summaries.length; i++) assert.ok(trace.paths.has(trace.summaries.pathId[i]!));
  assert.ok(syncs.filter((e) => e.res < 0).every((e) => e.flags & F_KEPT), 'every failed sync is kept');
  assert.is([...rows.values()].reduce((n, x) => n + x.errors, 0), bad.length);
  assert.is(trace.stats.incompleteEntries, 0);
  return trace;
}

test('one thread: the summaries hold what the raw events say, per interval, file and kind', () => {
  const trace = check(single(), 3000, 1);
  assert.ok(trace.summaries.length >= 2 * 8, `${trace.summaries.length} entries`);
});

test('eight threads on sixteen files: still exact (entries raced into being are added up)', () => {
  const trace = check(eight(), 1200, 8);
  figure({
    area: 'Always on',
    case: 'summaries against raw events',
    tried: `8 threads × 1,200 syncs on 16 files (some failing), 1-s summaries, compared per interval, file and call kind with the raw ring`,
    held: `${trace.summaries.length} summary entries; calls, errors, alerts, kept, latency sum and max, bytes, writes and all 56 histogram buckets equal to the raw events'; every summary named`,
  });
});

test('eight threads sharing four files: still exact', () => {
  const trace = check(shared(), 1500, 8);
  const tids = new Set(syncEvents(trace).map((e) => `${e.tid} ${e.path}`));
  assert.is(tids.size, 8, 'each thread on its file');
  assert.is(new Set(syncEvents(trace).map((e) => e.path)).size, 4, 'two threads a file');
  // One thread a file counts into entries of its own, the other into the shared ones: at most
  // two entries per interval, file and kind, however the threads take turns.
  const s = trace.summaries;
  const perKey = new Map<string, number>();
  for (let i = 0; i < s.length; i++) {
    const key = `${s.intervalStartNs[i]} ${trace.paths.get(s.pathId[i]!)?.name} ${s.call[i]}`;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  assert.ok([...perKey.values()].every((n) => n <= 2), `entries per interval, file and kind: ${[...new Set(perKey.values())].join(' ')}`);
});

test('1,500 files each synced first by two threads at once: every call counted, at most two entries per interval, file and kind', () => {
  // A file's first syncs set up its track (ft_track.c, ft_track_clear). Two threads that
  // each cleared it once wiped the owner's entries mid-use: a third entry followed.
  const r = run('firstsync', (d) => [d.data, '2', '1500'], { env });
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  const s = trace.summaries;
  const perKey = new Map<string, number>();
  let calls = 0;
  for (let i = 0; i < s.length; i++) {
    const key = `${s.intervalStartNs[i]} ${trace.paths.get(s.pathId[i]!)?.name} ${s.call[i]}`;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
    calls += s.calls[i]!;
  }
  assert.is(calls, 6000);
  assert.is(new Set([...perKey.keys()].map((k) => k.split(' ')[1])).size, 1500);
  assert.equal([...perKey.entries()].filter(([, n]) => n > 2), []);
});

test('an entry holds 65,535 calls; the next one takes over, and together they hold them all', () => {
  const r = full();
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r);
  const s = trace.summaries;
  const fdatasync = [...Array(s.length).keys()].filter((i) => s.call[i] === 2);
  assert.ok(fdatasync.length >= 2, `${fdatasync.length} entries`);
  assert.ok(fdatasync.every((i) => s.calls[i]! <= 65535));
  assert.is(fdatasync.reduce((n, i) => n + s.calls[i]!, 0), 70000);
  assert.ok(fdatasync.some((i) => s.calls[i] === 65535), 'one entry filled up');
  assert.is(syncEvents(trace).length, 70000, 'all in the ring too');
  assert.equal(sorted(fromSummaries(trace).rows), sorted(fromEvents(trace, 3600n * SECOND)));
});

test('the cost record: each interval the recorder measured itself in, with its period', () => {
  for (const [r, threads] of [[single(), 1], [eight(), 8]] as const) {
    const trace = onlyTrace(r);
    const syncs = syncEvents(trace).length;
    const c = trace.costs;
    assert.ok(c.length >= 2, `${c.length} cost rows`);
    assert.ok(c.every((x) => x.period === 64 && x.intervalStartNs % SECOND === 0n), 'period 64, aligned intervals');
    const samples = c.reduce((s, x) => s + x.samples, 0);
    const sampledNs = c.reduce((s, x) => s + x.sampledNs, 0n);
    const syncCalls = c.reduce((s, x) => s + x.syncCalls, 0n);
    const calls = c.reduce((s, x) => s + x.calls, 0n);
    assert.ok(samples > 0 && sampledNs > 0n, `${samples} samples, ${sampledNs} ns`);
    // Counted per thread, added 64 calls at a time: what a thread counted after its last batch is not in.
    assert.ok(syncCalls <= BigInt(syncs) && syncCalls > BigInt(syncs - 64 * threads * 2), `${syncCalls} of ${syncs} syncs`);
    assert.ok(calls >= syncCalls, 'every sync is an intercepted call');
    assert.is(trace.header.costPeriod, 64);
  }
});

test.run();
