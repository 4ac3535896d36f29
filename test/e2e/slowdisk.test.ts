/**
 * A slow disk, for real: SQLite in WAL mode commits one transaction every
 * 10 ms while strace makes ten of its fdatasync calls take 300 ms longer
 * (-e inject=fdatasync:delay_exit=...:when=FIRST..LAST; strace and the
 * preloaded recorder compose, and the recorder times the libc call, delay
 * included). The workload keeps its own clock, so the test knows when the
 * disk was slow without asking the trace; then the analyzer must find exactly
 * that stretch: its outliers and its one incident inside it, nothing outside.
 *
 * The database lives on tmpfs, so that the only slow syncs are the injected
 * ones (a real disk has hiccups of its own), and the analysis runs with a
 * 10 s window (1 s baseline buckets: the run lasts seconds, not minutes) and
 * a 150 ms floor: each fdatasync stops the process for strace, and on a busy
 * machine waiting for strace to run adds tens of milliseconds now and then.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyze, analyzeJson, analyzeSql, freshDir, once, removeDir, type OutliersJson, type SummaryJson } from '../../scripts/workloads/common.js';
import { pacedSqlite, plainSqlite, strace, type PacedResult, type Transaction } from '../../scripts/workloads/sqlite.js';

const TRANSACTIONS = 360;
const INTERVAL_MS = 10;
// In a WAL database in synchronous=FULL mode, fdatasync #1 is the new WAL's
// header, #2 its directory, and #k+2 the commit of transaction k.
const FIRST_SLOW_TXN = 251;
const SLOW_TXNS = 10;
const DELAY_MS = 300;
const OPTIONS = ['--window', '10s', '--floor', '150'];
/** Slack between the workload's clock and the trace's (both CLOCK_REALTIME, read at different instants). */
const SLACK_MS = 20;

interface Incident {
  incident: number;
  start: string;
  finish: string;
  outliers: number | string;
  files: number | string;
  scope: string;
  cause: string;
  worst_path: string;
}

let root = '';
async function record() {
  strace();
  root = freshDir('e2e-slowdisk', existsSync('/dev/shm') ? '/dev/shm' : undefined);
  const traces = join(root, 'traces');
  mkdirSync(traces);
  const db = join(root, 'app.db');
  plainSqlite(db, 'pragma journal_mode=wal;\ncreate table t(k integer primary key, v blob);\n');
  const run: PacedResult = await pacedSqlite({
    db,
    traceDir: traces,
    maxBytes: 1 << 20,
    transactions: TRANSACTIONS,
    intervalMs: INTERVAL_MS,
    setup: 'pragma synchronous=full;',
    slow: { first: FIRST_SLOW_TXN + 2, last: FIRST_SLOW_TXN + SLOW_TXNS + 1, delayMs: DELAY_MS, log: join(root, 'strace.log') },
  });
  const report = join(root, 'report.html');
  const made = analyze(['report', '--quiet', ...OPTIONS, '-o', report, traces]);
  return {
    db,
    run,
    report,
    made,
    summary: analyzeJson<SummaryJson>(['summary', traces]),
    outliers: analyzeJson<OutliersJson>(['outliers', ...OPTIONS, traces]).outliers,
    incidents: analyzeSql<Incident>('select incident, start, finish, outliers, files, scope, cause, worst_path from incidents order by incident', [...OPTIONS, traces]),
  };
}
const recorded = once(record);

/**
 * The slow stretch as the workload saw it: from sending the first transaction whose
 * commit strace delayed to the answer to the last. Those are the transactions that
 * hold a call strace logged as delayed (its stamp between their send and answer): the
 * workload's clock alone also sees the machine, which on a loaded run held two other
 * transactions a quarter of a second (270 and 271, at load 13-17) with no slow call.
 */
const slowStretch = once(async () => {
  const { run } = await recorded();
  // Each delayed call in the transaction whose round trip is nearest its stamp (inside it
  // but for the clocks' slack: one transaction at a time, 10 ms apart).
  const off = (t: Transaction, d: number) => Math.max(0, t.sent - d, d - t.answered);
  const holding = new Set(run.delayed!.map((d) => run.transactions.reduce((a, b) => (off(b, d) < off(a, d) ? b : a))));
  const slow = run.transactions.filter((t) => holding.has(t));
  return { slow, from: slow[0]!.sent - SLACK_MS, to: slow[slow.length - 1]!.answered + SLACK_MS };
});

/** A DuckDB timestamp as `sql --json` prints it ("2026-01-01 00:00:00.123456789", UTC): ms since the epoch. */
function sqlTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d{1,3})?\d*Z?$/.exec(text);
  assert.ok(m, `not a timestamp: ${text}`);
  return Date.parse(`${m![1]}T${m![2]}${m![3] ?? ''}Z`);
}

test.after(() => removeDir(root));

test('strace delayed the commits of exactly the transactions it was told to, and the workload waited for each', async () => {
  const { run } = await recorded();
  const { slow } = await slowStretch();
  assert.is(run.delayed!.length, SLOW_TXNS, 'calls strace delayed');
  assert.equal(slow.map((t) => t.index), Array.from({ length: SLOW_TXNS }, (_, i) => FIRST_SLOW_TXN + i));
  for (const t of slow) assert.ok(t.answered - t.sent >= DELAY_MS, `transaction ${t.index}: ${t.answered - t.sent} ms`);
});

test('every commit was recorded, the slow ones as slow', async () => {
  const { summary, db } = await recorded();
  const wal = summary.files.find((f) => f.path === `${db}-wal`);
  assert.ok(wal, JSON.stringify(summary.files.map((f) => f.path)));
  assert.is(wal!.by_kind.fdatasync, TRANSACTIONS + 2, 'the header, each commit, and the checkpoint at close');
  assert.ok(wal!.max_ms >= DELAY_MS && wal!.max_ms < 2 * DELAY_MS, `max ${wal!.max_ms} ms`);
  assert.ok(wal!.p50_ms < 5, `p50 ${wal!.p50_ms} ms`);
});

test('the outliers are the delayed syncs, all inside the slow stretch and none outside', async () => {
  const { outliers, db } = await recorded();
  const { from, to } = await slowStretch();
  assert.is(outliers.length, SLOW_TXNS, JSON.stringify(outliers, null, 1));
  for (const o of outliers) {
    const start = Date.parse(o.start);
    assert.ok(start >= from && start <= to, `outlier at ${o.start} is outside the slow stretch ${new Date(from).toISOString()} .. ${new Date(to).toISOString()}`);
    assert.equal([o.path, o.kind], [`${db}-wal`, 'fdatasync']);
    assert.ok(o.latency_ms >= DELAY_MS, `${o.latency_ms} ms`);
    assert.ok(o.baseline_ms !== null && o.baseline_ms < 5, `baseline ${o.baseline_ms} ms`);
  }
});

test('they form one incident, on one file, that spans the slow stretch', async () => {
  const { incidents, db } = await recorded();
  const { from, to } = await slowStretch();
  assert.is(incidents.length, 1, JSON.stringify(incidents));
  const i = incidents[0]!;
  assert.equal([Number(i.outliers), Number(i.files), i.scope, i.cause, i.worst_path], [SLOW_TXNS, 1, 'file', 'slow', `${db}-wal`]);
  const start = sqlTime(i.start);
  const finish = sqlTime(i.finish);
  assert.ok(start >= from && finish <= to, `incident ${i.start} .. ${i.finish} is not inside the slow stretch`);
  assert.ok(finish - start >= (SLOW_TXNS - 1) * DELAY_MS, `incident ${i.start} .. ${i.finish} is shorter than the slow stretch`);
});

test('the HTML report is written and leads with the incident', async () => {
  const { made, report } = await recorded();
  assert.is(made.status, 0, made.stderr);
  const html = readFileSync(report, 'utf8');
  assert.match(html, /^<!doctype html>/);
  // One process synced one file on tmpfs: the verdict is that file, and the disk is not ruled out.
  assert.match(html, /<title>fsync report · One file was slow · /);
  assert.match(html, /<b>One file, not the whole disk:<\/b> <span class="path">[^<]*app\.db-wal<\/span> \(<b>sqlite3<\/b>\) was slow/);
  assert.match(html, /it was the only file syncing on that device then, so the disk is not ruled out|while the other \d+ files? syncing on the device were not/);
  assert.match(html, /id="incidents-table"/);
});

test.run();
