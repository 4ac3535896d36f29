// bin/fsync-analyze.js as a user runs it: --json shapes, exit codes, and one-line
// messages for bad input.
import { spawnSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BROKEN, iso, otherHost, scenario, slotOffset, tempDir, writeTrace } from '../fixtures/traces.js';
import { historyTrace } from '../fixtures/history.js';
import { HDR_DISABLED, HDR_ENDED, HDR_KERNEL } from '../../src/trace/layout.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const SCENARIO_OPTIONS = ['--window', '10s', '--min-history', '3', '--gap', '2s'];

const tmp = tempDir();
const good = writeTrace(tmp.dir, 'app.100.fstrace', scenario());
const other = writeTrace(join(mkdirSync(join(tmp.dir, 'more'), { recursive: true })!), 'other.200.fstrace', otherHost());
const tmpV2 = tempDir();
const history = writeTrace(tmpV2.dir, 'kv.300.fstrace', historyTrace());

function run(args: string[], cwd = tmp.dir): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A bad input's failure: exit 1, one line on stderr, nothing on stdout. */
function assertOneLineError(r: ReturnType<typeof run>, message: string): void {
  assert.is(r.code, 1, r.stderr);
  assert.is(r.stdout, '');
  assert.is(r.stderr, `fsync-analyze: ${message}\n`);
}

test.after(() => {
  tmp.cleanup();
  tmpV2.cleanup();
});

test('--version and --help', () => {
  const v = run(['--version']);
  assert.equal([v.code, v.stdout], [0, `${VERSION}\n`]);
  const h = run(['--help']);
  assert.is(h.code, 0);
  for (const cmd of ['report', 'summary', 'outliers', 'intervals', 'info', 'alerts', 'sql', 'export']) assert.match(h.stdout, `  ${cmd} `);
  assert.match(h.stdout, 'Examples:');
  const sub = run(['outliers', '--help']);
  assert.is(sub.code, 0);
  assert.match(sub.stdout, '--window <duration>');
});

test('info --json', () => {
  const r = run(['info', '--json', good]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), {
    traces: [{
      file: good, pid: 100, exe: '/usr/bin/app', name: 'app', stopped: null, host: 'h1', records: 41, dropped: 0, torn: 0, start: iso(0.1), end: iso(29.900005),
      version: 2, kept: 0, alerts: 0, alerts_suppressed: 0, summaries: 0, history_start: null, history_end: null,
      overwritten: 0, calls: 36, summarized_only: 0, unaccounted: 0,
      uncounted_records: 0, kernel: false, alerts_unsent: 0, dir_removed: 0, dir_removed_bytes: 0, js_calls: 0, js_in_ring: 0, js_by_kind: {},
    }],
    overhead: null,
  });
});

test('info: a kernel-side trace, a stopped recording, alert lines no sink took, the directory budget\'s removals', () => {
  const own = tempDir();
  const dir = own.dir;
  const kernel = writeTrace(dir, 'etcd.400.fstrace', scenario({ pid: 400, exe: '/usr/bin/etcd', flags: HDR_KERNEL }));
  const busy = writeTrace(dir, 'app.500.fstrace', scenario({
    pid: 500, flags: HDR_ENDED | HDR_DISABLED, stopReason: 1, stopErrno: 28, alertsUnsent: 3n, dirRemoved: 4n, dirRemovedBytes: 3n * 2n ** 20n,
  }));
  const r = run(['info', '--json', dir]);
  assert.is(r.code, 0, r.stderr);
  const pick = ({ file, pid, kernel: k, stopped, alerts_unsent, dir_removed, dir_removed_bytes }: Record<string, unknown>) =>
    ({ file, pid, kernel: k, stopped, alerts_unsent, dir_removed, dir_removed_bytes });
  assert.equal((JSON.parse(r.stdout) as { traces: Record<string, unknown>[] }).traces.map(pick), [
    { file: busy, pid: 500, kernel: false, stopped: 'the file system is full (ENOSPC)', alerts_unsent: 3, dir_removed: 4, dir_removed_bytes: 3 * 2 ** 20 },
    { file: kernel, pid: 400, kernel: true, stopped: null, alerts_unsent: 0, dir_removed: 0, dir_removed_bytes: 0 },
  ]);
  const t = run(['info', dir], dir);
  assert.is(t.code, 0, t.stderr);
  assert.match(t.stdout, '\nrecording stopped in 1 trace:\n  app.500.fstrace: the file system is full (ENOSPC)\n');
  assert.match(t.stdout, '\nrecorded kernel-side (fsync-record --kernel): 1 trace: etcd.400.fstrace\n');
  assert.match(t.stdout, '\n3 alert lines no sink could take, in 1 trace: app.500.fstrace (3)\n');
  assert.match(t.stdout, '\nthe trace directory\'s budget (FSYNC_TRACE_DIR_MAX_BYTES) removed 4 older traces (3.0 MiB) of ended processes: pid 500 removed 4 (3.0 MiB)\n');
  assert.not.match(run(['info', good]).stdout, /kernel-side|no sink|budget/);
  own.cleanup();
});

test('v2 history: info shows the kept and summarized history and the recorder overhead', () => {
  const r = run(['info', '--json', history]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), {
    traces: [{
      file: history, pid: 300, exe: '/usr/bin/kv', name: 'kv', stopped: null, host: 'h2', records: 361, dropped: 0, torn: 0,
      start: '2026-01-02T23:00:05.000000Z', end: '2026-01-02T23:59:55.002000Z',
      version: 2, kept: 2, alerts: 2, alerts_suppressed: 1, summaries: 2880,
      history_start: '2026-01-01T00:00:00.000000Z', history_end: '2026-01-02T23:59:55.002000Z',
      overwritten: 0, calls: 169_561, summarized_only: 169_201, unaccounted: 0,
      uncounted_records: 0, kernel: false, alerts_unsent: 0, dir_removed: 0, dir_removed_bytes: 0, js_calls: 0, js_in_ring: 0, js_by_kind: {},
    }],
    overhead: { ns_per_call: 80, sync_share: 0.04, samples: 400, calls: 4000 },
  });
  const t = run(['info', history]);
  assert.is(t.code, 0, t.stderr);
  assert.match(t.stdout, 'long history (format v2):');
  assert.match(t.stdout, /kv\.300\.fstrace\s+300\s+2\s+2\s+1\s+2,880\s+2026-01-01 00:00:00\.000\s+2026-01-02 23:59:55\.002/);
  assert.match(t.stdout, '\nrecorder overhead: 80 ns per call, 4% of time spent in sync calls (400 sampled calls)\n');
  assert.not.match(run(['info', good]).stdout, 'recorder overhead');
});

test('v2 history: alerts --json and as a table', () => {
  const r = run(['alerts', '--json', history]);
  assert.is(r.code, 0, r.stderr);
  const a = { host: 'h2', pid: 300, exe: '/usr/bin/kv', path: '/data/kv.wal', kind: 'fsync' };
  assert.equal(JSON.parse(r.stdout), {
    alerts: [
      { start: '2026-01-01T12:00:30.000000Z', ...a, tid: 301, latency_ms: 50, errno: null, suppressed: false, source: 'keep' },
      { start: '2026-01-01T18:00:10.000000Z', ...a, tid: 302, latency_ms: 3, errno: 5, suppressed: true, source: 'keep' },
      { start: '2026-01-02T23:30:05.000000Z', ...a, tid: 301, latency_ms: 1500, errno: null, suppressed: false, source: 'ring' },
    ].map(({ start, host, pid, tid, exe, path, kind, latency_ms, errno, suppressed, source }) =>
      ({ start, host, pid, tid, exe, path, kind, latency_ms, errno, suppressed, source, program: 'kv' })),
    totals: { alerted_calls: 3, written: 2, suppressed: 1 },
  });
  const t = run(['alerts', history]);
  assert.is(t.code, 0, t.stderr);
  assert.equal(t.stdout.split('\n').slice(0, 4).map((l) => l.split(/\s{2,}/)), [
    ['start', 'path', 'kind', 'ms', 'error', 'line', 'from', 'pid', 'program'],
    ['2026-01-01 12:00:30.000', '/data/kv.wal', 'fsync', '50.0', '-', 'written', 'keep', '300', 'kv'],
    ['2026-01-01 18:00:10.000', '/data/kv.wal', 'fsync', '3.00', 'EIO', 'suppressed', 'keep', '300', 'kv'],
    ['2026-01-02 23:30:05.000', '/data/kv.wal', 'fsync', '1500', '-', 'written', 'ring', '300', 'kv'],
  ]);
  assert.match(t.stdout, '\n3 alerted calls; the recorder wrote 2 alert lines and suppressed 1\n');
  const none = run(['alerts', good]);
  assert.equal([none.code, none.stdout], [0, 'no alerted calls in the traces; the recorder wrote 0 alert lines and suppressed 0\n']);
});

test('v2 history: summary --json counts the summarized history once, keys as documented', () => {
  const r = run(['summary', '--json', history]);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const f = out.files[0];
  assert.equal({ ...f, p50_ms: Math.round(f.p50_ms * 1e6) / 1e6, p99_ms: Math.round(f.p99_ms * 1e6) / 1e6 }, {
    path: '/data/kv.wal', calls: 169_561, by_kind: { fsync: 169_561 }, errors: 0, bytes: 169_561 * 4096,
    p50_ms: 1.816187, p99_ms: 3.632374, max_ms: 1500, quantiles: 'histograms',
  });
  assert.equal(out.totals, { calls: 169_561, by_kind: { fsync: 169_561 }, errors: 0, processes: 1, summarized_only: 169_201, unaccounted: 0, uncounted_records: 0 });
  const t = run(['summary', history]);
  assert.is(t.code, 0, t.stderr);
  assert.match(t.stdout, '\n169,561 sync calls (fsync 169,561), 0 failed, on 1 file, from 1 process on 1 host\n' +
    '169,201 of them only in the recorder\'s summaries, from 2026-01-01 00:00:00.000; p50/p99 marked ~ are read off the summaries\' half-octave histograms (within 1.22x)\n');
  assert.match(t.stdout, /\/data\/kv\.wal\s+169,561\s+0\s+662\.3 MiB\s+~1\.82\s+~3\.63\s+1500\s/);
  assert.not.match(run(['summary', good]).stdout, 'summaries');
  assert.not.match(run(['summary', good]).stdout, '~');
});

test('v2 history: outliers --json judges the kept events of day 1 against their summarized baseline', () => {
  const r = run(['outliers', '--json', history]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).outliers.map((o: { start: string; latency_ms: number; baseline_ms: number }) =>
    [o.start, o.latency_ms, Math.round(o.baseline_ms * 1e6) / 1e6]), [
    // Over the threshold, then the failed call, then the slow one; 2-ms ring calls read as 1.816 ms.
    ['2026-01-02T23:30:05.000000Z', 1500, 1.816187],
    ['2026-01-01T18:00:10.000000Z', 3, 0.908093],
    ['2026-01-01T12:00:30.000000Z', 50, 0.908093],
  ]);
});

test('summary --json: the documented shape', () => {
  const r = run(['summary', '--json', tmp.dir]);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(Object.keys(out), ['files', 'totals']);
  for (const f of out.files) assert.equal(Object.keys(f), ['path', 'calls', 'by_kind', 'errors', 'bytes', 'p50_ms', 'p99_ms', 'max_ms', 'quantiles']);
  assert.equal(out.totals, {
    calls: 40, by_kind: { fdatasync: 4, fsync: 33, o_dsync_write: 1, sync: 1, sync_file_range: 1 }, errors: 1, processes: 2,
    summarized_only: 0, unaccounted: 0, uncounted_records: 0,
  });
  const b = out.files.find((f: { path: string }) => f.path === '/data/b.log');
  assert.equal(b, { path: '/data/b.log', calls: 3, by_kind: { fsync: 3 }, errors: 0, bytes: 24576, p50_ms: 2, p99_ms: 98.04, max_ms: 100, quantiles: 'exact' });
});

test('summary --json: quantiles say where they come from, exact (the ring holds every call) or histograms', () => {
  // The history's kv.wal: 169,201 of its calls only in the summaries; the scenario's files: in the ring.
  const r = run(['summary', '--json', history, good]);
  assert.is(r.code, 0, r.stderr);
  const files = JSON.parse(r.stdout).files as { path: string; calls: number; quantiles: string }[];
  assert.equal(files.map((f) => [f.path, f.quantiles]).sort(), [
    ['(unknown)', 'exact'], ['/data/a.log', 'exact'], ['/data/b.log', 'exact'], ['/data/c.log', 'exact'], ['/data/kv.wal', 'histograms'],
  ].sort());
});

test('outliers --json: the second-wave shape, worst first, with incidents and what was judged', () => {
  const r = run(['outliers', '--json', ...SCENARIO_OPTIONS, good]);
  assert.is(r.code, 0, r.stderr);
  // a.log's 2-ms calls read as their half-octave bucket's middle.
  const mid = 1.816186907597343;
  const o = (start: number, ms: number, errno: string | null, cause: string, incident: number) => ({
    path: '/data/a.log', kind: 'fsync', start: iso(start), latency_ms: ms, baseline_ms: mid, pid: 100, tid: 101,
    errno, cause, incident, exe: '/usr/bin/app', host: 'h1', program: 'app', family: '/data/a.log',
    baseline_p99_ms: mid, cutoff_ms: 10, baseline_source: 'prior',
  });
  const i = (id: number, start: number, end: number, cause: string, outliers: number, worst: number, errnos: string[]) => ({
    id, start: iso(start), end: iso(end), scope: 'file', cause, paths: ['/data/a.log'], pids: [100], outliers, worst_ms: worst,
    programs: ['app'], errnos, active_processes: 1, host: 'h1',
  });
  assert.equal(JSON.parse(r.stdout), {
    outliers: [
      o(20.5, 1500, null, 'slow', 2), o(12.5, 2, 'EIO', 'failed', 1), o(25.5, 120, null, 'slow', 3),
      o(10.5, 50, null, 'slow', 1), o(11.5, 40, null, 'write-volume', 1),
    ],
    incidents: [i(1, 10.5, 12.502, 'failed', 3, 50, ['EIO']), i(2, 20.5, 22, 'slow', 1, 1500, []), i(3, 25.5, 25.62, 'slow', 1, 120, [])],
    // b.log (3 calls) and c.log (two kinds, a call each) have too few calls; sync() names no file.
    judged: 30,
    unjudged: 6,
    unjudged_reasons: { 'few calls': 5, 'no file': 1 },
  });
});

test('outliers as a table, with the incidents', () => {
  const r = run(['outliers', ...SCENARIO_OPTIONS, good]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^start\s+path\s+kind\s+ms\s+p99\s+x median/);
  assert.match(lines[1]!, /^2026-01-01 00:00:20\.500\s+\/data\/a\.log\s+fsync\s+1500\s+1\.82\s+826x\s.*over threshold\s+app\s+100\s+2$/);
  assert.match(r.stdout, 'failed: EIO');
  assert.match(r.stdout, 'over baseline, write volume');
  assert.match(r.stdout, '\n5 outliers\n30 sync calls judged against a baseline; 6 not judged (5 with too little history for their file, 1 naming no file)\n');
  assert.match(r.stdout, '\n3 incidents:\n');
  assert.match(r.stdout, /1\/1\s+50\.0\s+file\s+failed \(EIO\)\s+\/data\/a\.log/);
});

test('intervals --json streams every sync; --path filters', () => {
  const r = run(['intervals', '--json', '--path', 'c.log', good]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), {
    intervals: [
      {
        path: '/data/c.log', host: 'h1', pid: 100, tid: 103, kind: 'o_dsync_write', start: iso(3), latency_ms: 1, res: 512,
        interval_start: iso(3), interval_ms: 0, bytes: 512, writes: 1, write_ms: 1,
      },
      {
        path: '/data/c.log', host: 'h1', pid: 100, tid: 103, kind: 'sync_file_range', start: iso(4), latency_ms: 0.5, res: 0,
        interval_start: null, interval_ms: null, bytes: null, writes: null, write_ms: null,
      },
    ],
  });
  const all = JSON.parse(run(['intervals', '--json', good]).stdout);
  assert.is(all.intervals.length, 36);
});

test('directories are searched recursively, and globs are expanded', () => {
  const dir = JSON.parse(run(['info', '--json', tmp.dir]).stdout);
  assert.equal(dir.traces.map((t: { pid: number }) => t.pid), [100, 200]);
  const glob = JSON.parse(run(['info', '--json', `${tmp.dir}/**/*.fstrace`]).stdout);
  assert.equal(glob.traces.map((t: { file: string }) => t.file), [good, other]);
});

test('bad input: one line naming the file and the byte offset, exit 1', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['empty.fstrace', BROKEN.empty(), 'empty file, expected an fsync trace'],
    ['text.fstrace', BROKEN.notATrace(), 'at byte 0: not an fsync trace: magic is 68 65 6c 6c 6f 2c 20 74, expected 89 46 53 59 4e 43 0d 0a'],
    ['future.fstrace', BROKEN.futureVersion(), 'at byte 8: format version 3 is not supported, expected 1 to 2'],
    ['short.fstrace', BROKEN.truncatedHeader(), 'at byte 1000: truncated header: 1000 of 4096 bytes'],
    ['corrupt.fstrace', BROKEN.corrupt(), `at byte ${slotOffset(10)}: unknown record type 9, expected 1 to 6 or 10 to 12`],
  ];
  const bad = tempDir();
  try {
    for (const [name, bytes, message] of cases) {
      const file = writeTrace(bad.dir, name, bytes);
      assertOneLineError(run(['summary', file]), `${file}: ${message}`);
    }
  } finally {
    bad.cleanup();
  }
});

test('a torn last record: a warning, and the rest is analyzed', () => {
  const t = tempDir();
  try {
    const file = writeTrace(t.dir, 'torn.fstrace', BROKEN.torn());
    const r = run(['info', '--json', file]);
    assert.is(r.code, 0);
    assert.is(r.stderr, `fsync-analyze: warning: ${file}: torn last record at byte ${slotOffset(20)} ignored; the rest is loaded\n`);
    assert.equal(JSON.parse(r.stdout).traces[0].torn, 1);
  } finally {
    t.cleanup();
  }
});

test('one bad file among many: a warning; with --strict, an error', () => {
  const t = tempDir();
  try {
    writeTrace(t.dir, 'a.fstrace', scenario());
    const bad = writeTrace(t.dir, 'b.fstrace', BROKEN.corrupt());
    const message = `${bad}: at byte ${slotOffset(10)}: unknown record type 9, expected 1 to 6 or 10 to 12`;
    const r = run(['summary', '--json', t.dir]);
    assert.is(r.code, 0);
    assert.is(r.stderr, `fsync-analyze: warning: ${message} (skipped)\n`);
    assert.is(JSON.parse(r.stdout).totals.calls, 36);
    assertOneLineError(run(['summary', '--strict', t.dir]), message);
  } finally {
    t.cleanup();
  }
});

test('no input found, or none given', () => {
  const empty = tempDir();
  try {
    assertOneLineError(run(['summary', empty.dir]), `no trace files found in ${empty.dir} (expected *.fstrace files)`);
    assertOneLineError(run(['summary', join(empty.dir, 'missing.fstrace')]), `${join(empty.dir, 'missing.fstrace')}: no such file or directory`);
    assertOneLineError(run(['summary']), 'no trace files given (name trace files, directories or globs, or a database kept with --db FILE)');
  } finally {
    empty.cleanup();
  }
});

test('usage errors exit 1', () => {
  const unknown = run(['summary', '--bogus', good]);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, "error: unknown option '--bogus'");
  const window = run(['outliers', '--window', 'soon', good]);
  assert.is(window.code, 1);
  assert.match(window.stderr, "not a duration: 'soon'");
  assert.is(run(['frobnicate']).code, 1);
  assert.is(run(['export', good]).code, 1, 'export needs -o');
});

test('report: written whole, or not at all', () => {
  const out = join(tmp.dir, 'r.html');
  const r = run(['report', '-q', ...SCENARIO_OPTIONS, good, '-o', out]);
  assert.is(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /^<!DOCTYPE html>/i);
  assert.match(html, '/data/a.log');
  assert.equal(readdirSync(tmp.dir).filter((f) => f.includes('.tmp')), []);
  const t = tempDir();
  try {
    const bad = writeTrace(t.dir, 'bad.fstrace', BROKEN.empty());
    const target = join(t.dir, 'never.html');
    assertOneLineError(run(['report', bad, '-o', target]), `${bad}: empty file, expected an fsync trace`);
    assert.equal(readdirSync(t.dir), ['bad.fstrace']);
    assert.not.ok(existsSync(target));
  } finally {
    t.cleanup();
  }
});

test('export: a target that is a file, or under one, or that cannot be made, is a one-line error; parents are made', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'plain.txt');
    writeFileSync(file, 'kept');
    assertOneLineError(run(['export', '-q', good, '-o', file]), `${file}: not a directory`);
    assertOneLineError(run(['export', '-q', good, '-o', join(file, 'sub', 'x')]), `${join(file, 'sub', 'x')}: cannot write the export (not a directory)`);
    // mkdirSync's own `recursive` retries /proc/x's ENOENT for ever.
    assertOneLineError(run(['export', '-q', good, '-o', '/proc/x/y']), '/proc/x/y: cannot write the export (no such file or directory)');
    // A dangling symbolic link (as the target or a parent of it), and a loop of them.
    const dangling = join(t.dir, 'dangling');
    symlinkSync(join(t.dir, 'gone'), dangling);
    assertOneLineError(run(['export', '-q', good, '-o', dangling]), `${dangling}: cannot write the export (no such file or directory)`);
    assertOneLineError(run(['export', '-q', good, '-o', join(dangling, 'x')]), `${join(dangling, 'x')}: cannot write the export (no such file or directory)`);
    const loop = join(t.dir, 'loop');
    symlinkSync(loop, loop);
    assertOneLineError(run(['export', '-q', good, '-o', loop]), `${loop}: cannot write the export (too many levels of symbolic links)`);
    assert.equal([readdirSync(t.dir).sort(), readFileSync(file, 'utf8')], [['dangling', 'loop', 'plain.txt'], 'kept']);
    rmSync(dangling);
    rmSync(loop);
    const made = join(t.dir, 'a', 'b');
    const r = run(['export', '-q', '--tables', 'events', good, '-o', made]);
    assert.is(r.code, 0, r.stderr);
    assert.equal(readdirSync(made), ['events.parquet']);
  } finally {
    t.cleanup();
  }
});

test('sql: the traces given before the query is a one-line error saying the order', () => {
  assertOneLineError(run(['sql', good, 'select count(*) from events']), `sql: the query comes first, then the traces: fsync-analyze sql "QUERY" ${good}`);
  assertOneLineError(run(['sql', tmp.dir, 'select 1', '--db', join(tmp.dir, 'never.duckdb')]), `sql: the query comes first, then the traces: fsync-analyze sql "QUERY" ${tmp.dir}`);
  assert.not.ok(existsSync(join(tmp.dir, 'never.duckdb')));
});

test('sql: with --db the database is kept, and later queries need no traces', () => {
  const db = join(tmp.dir, 'kept.duckdb');
  const first = run(['sql', '--json', '--db', db, 'select count(*) as n from events', good]);
  assert.is(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout), [{ n: '38' }]);
  const later = run(['sql', '--json', '--db', db, 'select path, count(*) as n from intervals group by path order by path']);
  assert.is(later.code, 0, later.stderr);
  assert.equal(JSON.parse(later.stdout), [
    { path: '(unknown)', n: '1' }, { path: '/data/a.log', n: '30' }, { path: '/data/b.log', n: '3' }, { path: '/data/c.log', n: '2' },
  ]);
  const table = run(['sql', '--db', db, "select kind, count(*) as n from intervals where kind = 'fsync' group by kind"]);
  assert.is(table.stdout, 'kind    n\nfsync  33\n(1 row)\n');
  const outliers = run(['sql', '--json', '--db', db, ...SCENARIO_OPTIONS, 'select count(*) as n from outliers']);
  assert.equal(JSON.parse(outliers.stdout), [{ n: '5' }]);
});

test('sql: a load into --db that fails leaves no file, and an earlier database as it was', () => {
  const t = tempDir();
  try {
    const bad = writeTrace(t.dir, 'bad.fstrace', BROKEN.truncatedHeader());
    const truncated = `${bad}: at byte 1000: truncated header: 1000 of 4096 bytes`;
    const db = join(t.dir, 'x.duckdb');
    // No database before: none after, nor any file of the load's.
    assertOneLineError(run(['sql', '--strict', '--db', db, 'select 1', good, bad]), truncated);
    assert.equal(readdirSync(t.dir), ['bad.fstrace']);
    const count = 'select count(*) as n, min(host) as host from events join traces using (trace_id)';
    assert.is(run(['sql', '--json', '--db', db, count, good]).code, 0);
    const before = readFileSync(db);
    // The other host's trace loads before the bad one fails the load.
    assertOneLineError(run(['sql', '--strict', '--db', db, 'select 1', other, bad]), truncated);
    assert.equal(readdirSync(t.dir).sort(), ['bad.fstrace', 'x.duckdb']);
    assert.ok(readFileSync(db).equals(before));
    const after = run(['sql', '--json', '--db', db, count]);
    assert.equal(JSON.parse(after.stdout), [{ n: '38', host: 'h1' }]);
  } finally {
    t.cleanup();
  }
});

test('--db replaces only a database of ours: a trace, a text file, another DuckDB file or a directory is refused, untouched', async () => {
  const t = tempDir();
  try {
    const trace = join(t.dir, 'app.fstrace');
    copyFileSync(good, trace);
    const notes = join(t.dir, 'notes.txt');
    writeFileSync(notes, 'my notes\n');
    // Another program's DuckDB database (no traces/events/paths/files tables).
    const foreign = join(t.dir, 'theirs.duckdb');
    const inst = await DuckDBInstance.create(foreign);
    const conn = await inst.connect();
    await conn.run('create table accounts (id integer); insert into accounts values (1)');
    conn.closeSync();
    inst.closeSync();
    const before = new Map([trace, notes, foreign].map((f) => [f, readFileSync(f)]));
    const count = 'select count(*) as n from events';
    // The trace named as --db, and loaded from the same directory: the slip that destroyed it.
    assertOneLineError(run(['summary', '--db', trace, t.dir]),
      `${trace}: exists and is not an fsync-analyze database; not replaced (remove it, or name another file with --db)`);
    assertOneLineError(run(['sql', '--db', notes, count, good]),
      `${notes}: exists and is not an fsync-analyze database; not replaced (remove it, or name another file with --db)`);
    assertOneLineError(run(['sql', '--db', foreign, count, good]),
      `${foreign}: not an fsync-analyze database (no traces, events, paths and files tables); not replaced (remove it, or name another file with --db)`);
    assertOneLineError(run(['sql', '--db', t.dir, count, good]), `${t.dir}: is a directory (--db names a database file)`);
    for (const [f, bytes] of before) assert.ok(readFileSync(f).equals(bytes), `${f} unchanged`);
    assert.equal(readdirSync(t.dir).sort(), ['app.fstrace', 'notes.txt', 'theirs.duckdb']);
    // An empty file (mktemp's) and a database of ours are replaced.
    const empty = join(t.dir, 'empty.duckdb');
    writeFileSync(empty, '');
    const first = run(['sql', '--json', '--db', empty, count, good]);
    assert.is(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout), [{ n: '38' }]);
    const again = run(['sql', '--json', '--db', empty, count, good, other]);
    assert.is(again.code, 0, again.stderr);
    assert.ok(Number(JSON.parse(again.stdout)[0].n) > 38);
  } finally {
    t.cleanup();
  }
});

test('sql: a bad query or a missing database is one line, exit 1', () => {
  const r = run(['sql', 'select nonsense from events', good]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^fsync-analyze: sql: Binder Error: Referenced column "nonsense" not found/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  const missing = join(tmp.dir, 'nope.duckdb');
  assertOneLineError(run(['sql', '--db', missing, 'select 1']), `${missing}: no such database (load traces into it first: --db ${missing} TRACES...)`);
});

test.run();
