// Filters on every command: --pid, --exe, --host from the trace headers (other
// processes' traces are not decoded), --since/--until and --path on the rows.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BROKEN, otherHost, scenario, tempDir, writeTrace } from '../fixtures/traces.js';
import { H_EPOCH_S, H_MONO0, historyTrace } from '../fixtures/history.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { HEADER_SIZE, RecordType } from '../../src/trace/layout.js';
import { cleanup as removeRuns, run as record } from '../recorders/harness.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const tmp = tempDir();
const app = writeTrace(tmp.dir, 'app.100.fstrace', scenario());
const other = writeTrace(tmp.dir, 'other.200.fstrace', otherHost());
const kv = writeTrace(tmp.dir, 'kv.300.fstrace', historyTrace());
// A valid header (pid 100, like app) over a corrupt ring: decoded only when pid 100 is asked for.
const broken = writeTrace(tmp.dir, 'broken.100.fstrace', BROKEN.corrupt());
const all = [app, other, kv];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function totals(args: string[]): { calls: number; processes: number; summarized_only: number } {
  const r = run(['summary', '--json', ...args]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).totals;
}

test.after(() => {
  tmp.cleanup();
  removeRuns();
});

test('no filter: every trace', () => {
  assert.equal([totals(all).calls, totals(all).processes], [36 + 4 + 169_561, 3]);
});

test('--pid (repeatable), --exe, --host pick traces by their headers', () => {
  assert.equal([totals([...all, '--pid', '100']).calls, totals([...all, '--pid', '100', '--pid', '300']).calls], [36, 36 + 169_561]);
  assert.is(totals([...all, '--exe', 'kv']).calls, 169_561);
  assert.is(totals([...all, '--exe', '/usr/bin/other']).calls, 4);
  assert.is(totals([...all, '--host', 'h2']).processes, 2);
});

test('--exe also matches the name the process ran as (comm), beside the resolved executable', () => {
  // redis-server is a symlink to redis-check-rdb: /proc/self/exe names the target, comm the link.
  const w = new TraceWriter({ ringSlots: 16, pid: 400, host: 'h1', exe: '/usr/bin/redis-check-rdb', comm: 'redis-server', cmdline: ['redis-server'] });
  w.path({ id: 1, name: '/data/dump.rdb', dev: 0x901n, ino: 31n });
  for (let k = 0; k < 3; k++) w.event({ type: RecordType.Sync, call: 1, startNs: 2_000_000_000n + BigInt(k) * 1_000_000n, durNs: 500_000n, tid: 400, fd: 5, pathId: 1, bytes: 10n, writes: 1, ivalStartNs: 1_000_000_000n });
  const redis = writeTrace(tmp.dir, 'redis-server.400.fstrace', w.bytes());
  for (const name of ['redis-server', 'redis-check-rdb', '/usr/bin/redis-check-rdb']) {
    assert.equal([name, totals([...all, redis, '--exe', name]).calls], [name, 3]);
  }
  assert.is(run(['summary', '--json', ...all, redis, '--exe', 'redis']).code, 1, 'no partial names');
});

test('a --pid never decodes another process\'s trace', () => {
  const r = run(['info', '--json', app, broken, other, '--pid', '200']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'the corrupt trace of pid 100 was not read');
  assert.equal(JSON.parse(r.stdout).traces.map((t: { pid: number }) => t.pid), [200]);
  const both = run(['info', '--json', app, broken, '--pid', '100']);
  assert.match(both.stderr, 'broken.100.fstrace');
});

test('--since and --until: ISO times and durations back from the newest event', () => {
  // The history's ring holds 23:00:05 to 23:59:55 (its newest event; the newest summary interval
  // ends at 00:00:00, which is no event): 1h back is 22:59:55, inside minute 22:59, which the ring
  // does not reach: its summary (60 calls) is all there is, counted whole and flagged as known from
  // summaries only; 3595s back is 23:00:00, the ring's 360 alone.
  assert.equal(totals([kv, '--since', '1h']), { ...totals([kv, '--since', '1h']), calls: 360 + 60, summarized_only: 60 });
  assert.is(totals([kv, '--since', '3595s']).calls, 360);
  assert.is(totals([kv, '--since', '2026-01-02T00:00:00Z']).calls, 83_160);
  assert.is(totals([kv, '--until', '2026-01-02']).calls, 86_401);
  assert.is(totals([app, '--since', '2026-01-01T00:00:10Z', '--until', '2026-01-01T00:00:20Z']).calls,
    Number(JSON.parse(run(['sql', '--json', "select count(*) as n from events where type = 3 and start >= '2026-01-01 00:00:10' and start < '2026-01-01 00:00:20'", app]).stdout)[0].n));
});

/**
 * A lapped ring: 1,200 fsyncs of /data/w, one every 100 ms from 00:00:30 to 00:02:29.9
 * (2026-01-01 UTC), call k at 30 + 0.1k s. The summaries count them per minute (300, 600, 300);
 * the ring of 400 slots holds the newest 400, from 00:01:50 on. `unlapped` is another
 * process: 50 fsyncs from 00:00:10 to 00:00:14.9, its ring holds them all.
 */
function windowTraces(): { lapped: string; unlapped: string } {
  const make = (pid: number, ringSlots: number, fromS: number, calls: number): Uint8Array => {
    const w = new TraceWriter({
      ringSlots, summaryEntries: 16, namesSlots: 4, summaryIntervalS: 60,
      realtimeNs: BigInt(H_EPOCH_S) * 1_000_000_000n, monotonicNs: H_MONO0, pid, host: 'h9', exe: '/usr/bin/w', cmdline: ['w'],
    });
    w.name({ id: 1, name: '/data/w', dev: 0x803n, ino: 5n });
    const perMinute = new Map<number, number>();
    for (let k = 0; k < calls; k++) {
      const ns = BigInt(fromS) * 1_000_000_000n + BigInt(k) * 100_000_000n;
      const minute = Number(ns / 60_000_000_000n);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
      w.event({ type: RecordType.Sync, call: 1, startNs: H_MONO0 + ns, durNs: 1_000_000n, tid: pid, fd: 3, pathId: 1, bytes: 4096n, writes: 1, ivalStartNs: H_MONO0 + ns - 50_000_000n });
    }
    for (const [minute, n] of perMinute) {
      w.summary({ intervalStartNs: H_MONO0 + BigInt(minute) * 60_000_000_000n, call: 1, pathId: 1, hist: { 10: n }, sumNs: BigInt(n) * 1_000_000n, maxNs: 1_000_000n, bytes: BigInt(n * 4096), writes: n });
    }
    return w.bytes();
  };
  return {
    lapped: writeTrace(tmp.dir, 'w.500.fstrace', make(500, 400, 30, 1200)),
    unlapped: writeTrace(tmp.dir, 'w.501.fstrace', make(501, 400, 10, 50)),
  };
}

test('a window shorter than a summary interval: the ring\'s calls in it where the ring covers it, else the summary (flagged)', () => {
  const { lapped, unlapped } = windowTraces();
  const t = (...args: string[]) => {
    const r = totals(args);
    return [r.calls, r.summarized_only];
  };
  // No filter: the summaries' 1,200, 800 of them known from the summaries alone.
  assert.equal(t(lapped), [1200, 800]);
  // Inside the ring: 00:02:05 on cuts minute 2, which the ring covers from 00:01:50: calls at
  // 125.0..149.9 s, 250 (the summary would say 300).
  assert.equal(t(lapped, '--since', '2026-01-01T00:02:05Z'), [250, 0]);
  // 5 s back from the newest call (149.9 s): 144.9 s on, 51 calls.
  assert.equal(t(lapped, '--since', '5s'), [51, 0]);
  // Across a boundary, both parts in the ring: 115 s to 130 s, 150 calls.
  assert.equal(t(lapped, '--since', '2026-01-01T00:01:55Z', '--until', '2026-01-01T00:02:10Z'), [150, 0]);
  // Straddling the ring's start: the window's part of minute 1 (105..120 s) begins before the
  // ring (110 s): its summary counts whole (600), of which the ring holds 100 in the window;
  // minute 2 lies inside the window (300). 900 counted for the 450 made: 500 known from summaries only.
  assert.equal(t(lapped, '--since', '2026-01-01T00:01:45Z'), [900, 500]);
  // --until 20 s back (129.9 s): minutes 0 and 1 whole from their summaries (300 + 600, the ring
  // holds 100 of them), minute 2 up to 129.9 s from the ring (99): every call before 129.9 s.
  assert.equal(t(lapped, '--until', '20s'), [999, 800]);
  // --until 115 s: minute 1's part (60..115 s) begins before the ring: its summary, whole.
  assert.equal(t(lapped, '--until', '2026-01-01T00:01:55Z'), [900, 300 + 550]);
  // A ring that holds every call of the interval counts any part of it exactly.
  assert.equal(t(unlapped, '--until', '2026-01-01T00:00:12Z'), [20, 0]);
  assert.equal(t(unlapped, '--since', '2026-01-01T00:00:12Z'), [30, 0]);
  // info and the report say the same.
  const window = ['--since', '2026-01-01T00:01:55Z', '--until', '2026-01-01T00:02:10Z'];
  const info = run(['info', '--json', lapped, ...window]);
  assert.is(info.code, 0, info.stderr);
  assert.equal(JSON.parse(info.stdout).traces.map((x: { calls: number; summarized_only: number }) => [x.calls, x.summarized_only]), [[150, 0]]);
  const html = join(tmp.dir, 'window.html');
  const report = run(['report', '-q', lapped, ...window, '-o', html]);
  assert.is(report.code, 0, report.stderr);
  assert.match(readFileSync(html, 'utf8'), '<b>150 sync calls</b>');
});

test('an ISO --until skips the traces made after it without decoding them', () => {
  const { lapped } = windowTraces();
  // Made at 01:00:00 (its clock anchor); its ring cut short after the header: decoding it warns.
  const w = new TraceWriter({ ringSlots: 64, realtimeNs: (BigInt(H_EPOCH_S) + 3600n) * 1_000_000_000n, monotonicNs: H_MONO0, pid: 502, host: 'h9', exe: '/usr/bin/w' });
  for (let k = 0; k < 10; k++) w.event({ type: RecordType.Sync, call: 1, startNs: H_MONO0 + BigInt(k) * 1_000_000n, durNs: 1_000n, tid: 502, fd: 3 });
  const late = writeTrace(tmp.dir, 'w.502.fstrace', w.bytes().subarray(0, HEADER_SIZE + 100));
  const summary = (...args: string[]) => {
    const r = run(['summary', '--json', lapped, late, ...args]);
    assert.is(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout).totals;
    return { stderr: r.stderr, counts: [t.calls, t.summarized_only, t.processes] };
  };
  assert.match(summary().stderr, 'w.502.fstrace', 'decoded, it warns');
  // 00:01:55 is long before 01:00: the late trace is not read; the counts are those of the lapped one alone.
  assert.equal(summary('--until', '2026-01-01T00:01:55Z'), { stderr: '', counts: [900, 850, 1] });
  // Within 61 s of its anchor (a summary interval and a second): decoded.
  assert.match(summary('--until', '2026-01-01T00:59:30Z').stderr, 'w.502.fstrace');
  // A duration counts back from the newest event of all traces, which no header says: decoded.
  assert.match(summary('--until', '1s').stderr, 'w.502.fstrace');
  // Whole, it loads (10 calls, after 01:00); a kept database (--db) leaves it out as a load does.
  const whole = writeTrace(tmp.dir, 'w.503.fstrace', w.bytes());
  assert.equal(totals([lapped, whole]).calls, 1210);
  assert.equal(totals([lapped, whole, '--until', '2026-01-01T00:01:55Z']), { calls: 900, by_kind: { fsync: 900 }, errors: 0, processes: 1, summarized_only: 850, unaccounted: 0, uncounted_records: 0 });
  const db = join(tmp.dir, 'late.duckdb');
  assert.is(run(['info', '-q', '--db', db, lapped, whole]).code, 0);
  assert.equal(totals(['--db', db, '--until', '2026-01-01T00:01:55Z']), totals([lapped, whole, '--until', '2026-01-01T00:01:55Z']));
  assert.is(totals(['--db', db]).processes, 2);
});

test('a duration counts back from the newest recorded event, not from its summary interval\'s end', () => {
  // A real 0.6 s run: an open, 6 fdatasyncs and a close, each sync and the close 100 ms (usleep)
  // or more after the one before; all in one 60-s summary interval, which ends long after them.
  const r = record('slow', (d) => [d.data, '6', '1', '100000']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.files.length, 1);
  const trace = join(r.dirs.traces, r.files[0]!);
  // Events by type: 3 sync, 4 open, 5 close.
  const kept = (...filters: string[]) => {
    const q = run(['sql', '--json', ...filters, 'select type, count(*)::integer as n from events group by type order by type', trace]);
    assert.is(q.code, 0, q.stderr);
    return (JSON.parse(q.stdout) as { type: number; n: number }[]).map((row) => [row.type, row.n]);
  };
  const every = [[3, 6], [4, 1], [5, 1]];
  assert.equal(kept(), every);
  // 30 s back keeps all: a bound the 0.6-s run cannot miss (no time limit on the run).
  assert.equal(kept('--since', '30s'), every);
  // The close is the newest, 100 ms or more after the last sync: 100 ms back keeps it alone.
  assert.equal(kept('--since', '100ms'), [[5, 1]]);
  assert.equal(kept('--until', '100ms'), [[3, 6], [4, 1]]);
});

test('filters on a kept database (--db FILE without traces): the same answers, the file unchanged', () => {
  const db = join(tmp.dir, 'kept.duckdb');
  const load = run(['info', '--db', db, ...all]);
  assert.is(load.code, 0, load.stderr);
  const cases = [['--pid', '100'], ['--exe', 'kv'], ['--host', 'h2'], ['--since', '1h'], ['--until', '2026-01-02'], ['--path', '**/kv.*'],
    ['--pid', '300', '--since', '2026-01-02T00:00:00Z']];
  for (const f of cases) assert.equal([f, totals(['--db', db, ...f])], [f, totals([...all, ...f])]);
  // The report and lint too, and a query through sql.
  const html = join(tmp.dir, 'kept.html');
  assert.is(run(['report', '-q', '--db', db, '--pid', '100', '-o', html]).code, 0);
  assert.match(readFileSync(html, 'utf8'), '<b>36 sync calls</b>');
  assert.is(run(['lint', '--json', '--db', db, '--since', '1h']).code, 0);
  const n = run(['sql', '--json', '--db', db, '--host', 'h1', 'select count(*)::integer as n from traces']);
  assert.equal(JSON.parse(n.stdout), [{ n: 1 }], n.stderr);
  // The kept database still holds everything.
  assert.equal(totals(['--db', db]), totals(all));
  const none = run(['summary', '--db', db, '--pid', '999']);
  assert.equal([none.code, none.stderr], [1, 'fsync-analyze: none of the traces in the database matches the filters\n']);
});

test('--path: a glob over the path, or text it contains; intervals too', () => {
  assert.is(totals([app, '--path', '/data/b.log']).calls, 3);
  assert.is(totals([app, '--path', '*.log']).calls, 35);
  assert.is(totals([app, '--path', 'c.lo']).calls, 2);
  const r = run(['intervals', '--json', app, '--path', 'b.log']);
  assert.equal(JSON.parse(r.stdout).intervals.map((i: { path: string }) => i.path), ['/data/b.log', '/data/b.log', '/data/b.log']);
});

test('bad filter values are usage errors; nothing matching is a one-line error', () => {
  const r = run(['info', app, '--since', 'yesterday']);
  assert.is(r.code, 1);
  assert.match(r.stderr, "--since: not a time: 'yesterday'");
  const none = run(['info', app, '--pid', '4242']);
  assert.equal([none.code, none.stderr], [1, 'fsync-analyze: none of the 1 trace files matches the filters\n']);
});

test.run();
