// A full file system is the user's problem, told in one line naming the file, exit 1, with
// nothing half-written left: a --db load (on the main thread and in the worker), DuckDB's
// spill files, report -o, export (Parquet and Arrow) and standard output redirected to a file.
// The file system is a small tmpfs mounted here (the tests run as root, as CI does): a mount
// that fails fails the file, it is not skipped.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scenario, tempDir, writeTrace } from '../fixtures/traces.js';
import { writeSyntheticSet } from '../bench/synth.js';
import { THREAD_RECORDS } from '../../src/db/load-thread.js';
import { estimateRecords } from '../../src/db/source.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const NO_SPACE = 'no space left on device';
const tmp = tempDir();
const small = writeTrace(tmp.dir, 'app.100.fstrace', scenario());
// 300,000 events in 3 traces: loaded in the worker thread; one of them (--pid 10000) on the main thread.
const set = join(tmp.dir, 'set');
writeSyntheticSet(set, { events: 300_000, processes: 3, filesPerProcess: 4, hours: 1 });
// By pid: app0.10000..., app1.10001..., app2.10002...
const records = readdirSync(set).sort().map((f) => estimateRecords(join(set, f)));
assert.ok(records.reduce((a, b) => a + b, 0) >= THREAD_RECORDS && records.every((n) => n < THREAD_RECORDS), 'the set loads in the worker, one trace of it on the main thread');

// The full file system, mounted when this suite starts (not when the test files are read) and
// unmounted when it ends: an earlier database, report and export on it, then a filler that
// leaves 256 KiB, less than any of the writes below needs.
const full = join(tmp.dir, 'full');
let mounted = false;
test.after(() => {
  if (mounted) spawnSync('umount', [full]);
  tmp.cleanup();
});

// The children's temporary directory (spill directories): on the full file system for the spill case only.
const spillTmp = join(tmp.dir, 'spill-tmp');
mkdirSync(spillTmp);
function run(args: string[], opts: { tmpdir?: string; stdout?: number } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: opts.tmpdir ?? spillTmp, FSYNC_ANALYZE_SHOW_LOAD_THREAD: '1' };
  delete env.FSYNC_ANALYZE_TMPDIR;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr };
}

const db = join(full, 'kept.duckdb');
const report = join(full, 'report.html');
const exported = join(full, 'export');
const filler = join(full, 'filler');
const chunk = Buffer.alloc(64 * 1024, 1);
let before: { db: Buffer; report: Buffer; exported: string[] };

test.before(() => {
  mkdirSync(full);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', full], { encoding: 'utf8' });
  // Not skipped: a machine where this cannot mount (not root) fails the suite.
  if (m.status !== 0) throw new Error(`cannot mount a tmpfs (run as root): ${m.stderr || m.error}`);
  mounted = true;
  for (const args of [['info', '-q', '--db', db, small], ['report', '-q', '-o', report, small], ['export', '-q', '-o', exported, small]]) {
    const r = run(args);
    assert.is(r.code, 0, r.stderr);
  }
  before = { db: readFileSync(db), report: readFileSync(report), exported: readdirSync(exported).sort() };
  const fd = openSync(filler, 'w');
  for (;;) {
    const s = statfsSync(full);
    const free = s.bavail * s.bsize;
    if (free <= 256 * 1024) break;
    writeSync(fd, chunk, 0, Math.min(chunk.length, free - 256 * 1024));
  }
  closeSync(fd);
});

/** What is on the full file system besides the filler, and in the children's temporary directory. */
function left() {
  return { full: readdirSync(full).filter((n) => n !== 'filler').sort(), spill: readdirSync(spillTmp) };
}
const LEFT = { full: ['export', 'kept.duckdb', 'report.html'], spill: [] };
function unchanged() {
  assert.ok(readFileSync(db).equals(before.db), 'the earlier database changed');
  assert.ok(readFileSync(report).equals(before.report), 'the earlier report changed');
  assert.equal(readdirSync(exported).sort(), before.exported, 'the earlier export changed');
}

test('--db load onto a full disk: one line naming the database, exit 1, no loading file, the earlier database unchanged', () => {
  const main = run(['info', '-q', '--db', db, set, '--pid', '10000']);
  assert.equal([main.code, main.stdout, main.stderr], [1, '', `fsync-analyze: load: main thread, ${records[0]!.toLocaleString('en-US')} records\nfsync-analyze: ${db}: cannot write: ${NO_SPACE}\n`]);
  const total = records.reduce((a, b) => a + b, 0);
  const worker = run(['info', '-q', '--db', db, set]);
  assert.equal([worker.code, worker.stdout, worker.stderr], [1, '', `fsync-analyze: load: worker thread, ${total.toLocaleString('en-US')} records\nfsync-analyze: ${db}: cannot write: ${NO_SPACE}\n`]);
  // A database not there before is not there after.
  const fresh = join(full, 'fresh.duckdb');
  const r = run(['summary', '-q', '--db', fresh, set, '--pid', '10001']);
  assert.equal([r.code, r.stderr.split('\n')[1]], [1, `fsync-analyze: ${fresh}: cannot write: ${NO_SPACE}`]);
  assert.equal(left(), LEFT);
  unchanged();
});

test('a kept database read on a disk with no room left (opened, it takes up what was added since and builds its tables): one line naming it, exit 1, the database unchanged', () => {
  // The last 256 KiB too (the small database's analysis fits in them).
  const rest = join(full, 'rest');
  const fd = openSync(rest, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  closeSync(fd);
  const r = run(['summary', '-q', '--db', db]);
  rmSync(rest);
  assert.equal([r.code, r.stdout, r.stderr], [1, '', `fsync-analyze: ${db}: cannot write: ${NO_SPACE}\n`]);
  unchanged();
  // DuckDB's log, begun and empty: the next open that has room takes it up.
  const wal = `${db}.wal`;
  if (existsSync(wal)) {
    assert.is(readFileSync(wal).length, 0);
    rmSync(wal);
  }
  assert.equal(left(), LEFT);
});

test("DuckDB's spill files on a full disk: one line naming the temporary directory, exit 1, no spill directory left", () => {
  const tmpFull = join(full, 'tmp');
  mkdirSync(tmpFull);
  // A sort of 20 M rows in a 64 MiB budget spills.
  const r = run(['sql', '-q', '--memory', '64MB', 'select count(*), max(x) from (select range as x, random() as r from range(20000000) order by r)', small], { tmpdir: tmpFull });
  assert.equal([r.code, r.stdout, r.stderr], [1, '', `fsync-analyze: ${tmpFull}: cannot write DuckDB's spill files: ${NO_SPACE} (raise --memory, or set TMPDIR to a larger file system)\n`]);
  assert.equal(readdirSync(tmpFull), []);
  rmSync(tmpFull, { recursive: true });
  assert.equal(left(), LEFT);
});

test('report -o onto a full disk: one line naming it, exit 1, no temporary file, the earlier report unchanged', () => {
  const r = run(['report', '-q', '-o', report, set, '--pid', '10000']);
  assert.equal([r.code, r.stdout, r.stderr], [1, '', `fsync-analyze: ${report}: cannot write: ${NO_SPACE}\n`]);
  assert.equal(left(), LEFT);
  unchanged();
});

test('export onto a full disk (Parquet, Arrow): one line naming the directory, exit 1, nothing of it left; an earlier one unchanged', () => {
  for (const format of ['parquet', 'arrow']) {
    const r = run(['export', '-q', '--format', format, '-o', exported, set, '--pid', '10000']);
    assert.equal([format, r.code, r.stdout, r.stderr], [format, 1, '', `fsync-analyze: ${exported}: cannot write: ${NO_SPACE}\n`]);
    // A directory it made: removed again.
    const made = join(full, 'new', 'export');
    const m = run(['export', '-q', '--format', format, '-o', made, set, '--pid', '10000']);
    assert.equal([format, m.code, m.stderr], [format, 1, `fsync-analyze: ${made}: cannot write: ${NO_SPACE}\n`]);
    assert.equal(left(), LEFT);
    unchanged();
  }
});

test('standard output redirected to a file on a full disk: one line naming the file, exit 1', () => {
  const file = join(full, 'intervals.json');
  const out = openSync(file, 'w');
  const r = run(['intervals', '--json', '-q', set, '--pid', '10000'], { stdout: out });
  closeSync(out);
  assert.equal([r.code, r.stderr], [1, `fsync-analyze: ${file}: cannot write: ${NO_SPACE}\n`]);
  // What it holds (what fitted) is the shell's to remove, as the redirection made it.
  rmSync(file);
  assert.equal(left(), LEFT);
});

test('with room again, the same load succeeds (the errors above were the full disk)', () => {
  rmSync(filler);
  const r = run(['info', '--json', '-q', '--db', db, set, '--pid', '10000']);
  assert.is(r.code, 0, r.stderr);
  assert.equal([r.code, r.stderr, JSON.parse(r.stdout).traces.map((t: { pid: number }) => t.pid)], [0, `fsync-analyze: load: main thread, ${records[0]!.toLocaleString('en-US')} records\n`, [10000]]);
});

test.run();
