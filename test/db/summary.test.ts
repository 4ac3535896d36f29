// Given the scenario trace (and a second process on another host), expect
// queries/50_file_stats.sql, 55_totals.sql and 60_trace_info.sql to count and
// measure every sync call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bindings } from '../../src/db/params.js';
import { fileSummaries, totals, traceInfo } from '../../src/db/summary.js';
import { openTraces, type Opened } from '../fixtures/session.js';
import { SCENARIO_PARAMS, iso, otherHost, scenario, tempDir, writeTrace } from '../fixtures/traces.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { readFindings } from '../../src/db/lint.js';
import { Session } from '../../src/db/session.js';

let opened: Opened;

/** Quantiles interpolate in floating point: compare to the nanosecond. */
function round(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}
const b = bindings(SCENARIO_PARAMS);

test.before(async () => {
  opened = await openTraces({ 'a.fstrace': scenario(), 'b.fstrace': otherHost() });
});
test.after(() => opened.close());

test('per file: calls by kind, errors, bytes and latency quantiles, slowest p99 first', async () => {
  const files = await fileSummaries(opened.session, b);
  assert.equal(files.map((f) => [f.host, f.path]), [
    ['h1', '/data/a.log'], ['h1', '/data/b.log'], ['h1', '(unknown)'], ['h2', '/data/a.log'], ['h1', '/data/c.log'],
  ]);
  // 30 fsyncs: 2 ms x26, 40, 50, 120, 1500; p99 interpolates between the two largest.
  assert.equal({ ...files[0], p99Ms: round(files[0]!.p99Ms) }, {
    host: 'h1', path: '/data/a.log', calls: 30, byKind: { fsync: 30 }, errors: 1,
    bytes: 29 * 4096 + 409_600, p50Ms: 2, p99Ms: 120 + 0.71 * 1380, maxMs: 1500,
    ringCalls: 30, summarizedCalls: 0, approximate: false,
  });
  assert.equal({ ...files[4], p99Ms: round(files[4]!.p99Ms) }, {
    host: 'h1', path: '/data/c.log', calls: 2, byKind: { o_dsync_write: 1, sync_file_range: 1 }, errors: 0,
    bytes: 512, p50Ms: 0.75, p99Ms: 0.995, maxMs: 1,
    ringCalls: 2, summarizedCalls: 0, approximate: false,
  });
});

test('totals: every sync call of every kind; opens and closes are not calls', async () => {
  assert.equal(await totals(opened.session, b), {
    calls: 40,
    byKind: { fdatasync: 4, fsync: 33, o_dsync_write: 1, sync: 1, sync_file_range: 1 },
    errors: 1,
    files: 5,
    processes: 2,
    hosts: 2,
    traces: 2,
    start: iso(0.25),
    end: iso(29.502),
    // No summaries, keep ring or alerts in these traces: every call is in the ring.
    ringCalls: 40,
    keptCalls: 0,
    alertsWritten: 0,
    alertsSuppressed: 0,
    alertsUnsent: 0,
    alertsFallback: 0,
    alertCalls: 0,
    historyStart: null,
    historyEnd: null,
    summarizedOnly: 0,
    unaccounted: 0,
    overwritten: 0,
    uncountedRecords: 0,
    uncountedTraces: 0,
  });
});

test('trace info: the process, how complete the record is, and its time span', async () => {
  const got = await traceInfo(opened.session, b);
  assert.equal(got.map((t) => [t.file.endsWith('/a.fstrace'), t.host, t.pid, t.exe, t.cmdline, t.records, t.events, t.syncs, t.dropped, t.torn, t.start, t.end]), [
    // Its last event is a.log's close at 29.9 s, which takes 5 us.
    [true, 'h1', 100, '/usr/bin/app', 'app --data /data', 41, 38, 36, 0, 0, iso(0.1), iso(29.900005)],
    [false, 'h2', 200, '/usr/bin/other', 'other', 5, 4, 4, 0, 0, iso(0.25), iso(3.253)],
  ]);
});

test('a database kept by an earlier version (no dir_removed, events_context, filter_window, new macros) still opens', async () => {
  const tmp = tempDir();
  const file = writeTrace(tmp.dir, 'app.100.fstrace', scenario());
  const kept = join(tmp.dir, 'old.duckdb');
  try {
    (await Session.open({ inputs: [file], db: kept, quiet: true, warn: () => {} })).close();
    const db = await DuckDBInstance.create(kept);
    const c = await db.connect();
    await c.run('alter table traces drop column dir_removed; alter table traces drop column dir_removed_bytes; ' +
      'drop table events_context; drop table filter_window; drop macro res_errno; drop macro ft_h_kernel');
    c.closeSync();
    db.closeSync();
    const s = await Session.open({ inputs: [], db: kept, quiet: true, warn: () => {} });
    try {
      const [t] = await traceInfo(s, bindings(SCENARIO_PARAMS));
      assert.equal([t!.calls, t!.dirRemoved, t!.kernel], [36, 0, false]);
      assert.equal((await readFindings(s, bindings(SCENARIO_PARAMS))).map((f) => `${f.rule} ${f.path} ${f.count}`), ['write-after-failed-sync /data/a.log 1']);
    } finally {
      s.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('an empty trace: no syncs, no range', async () => {
  const { TraceWriter } = await import('../../src/trace/encode.js');
  const empty = await openTraces({ 'e.fstrace': new TraceWriter({ ringSlots: 4 }).bytes() });
  try {
    const all = await totals(empty.session, b);
    assert.equal([all.calls, all.byKind, all.files, all.processes, all.start, all.end], [0, {}, 0, 1, null, null]);
    assert.equal(await fileSummaries(empty.session, b), []);
    const [t] = await traceInfo(empty.session, b);
    assert.equal([t!.records, t!.start, t!.end], [0, null, null]);
  } finally {
    empty.close();
  }
});

test.run();
