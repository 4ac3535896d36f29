// A load into --db FILE goes into FILE.loading-HOST_PIDNS_PID: interrupted (SIGINT, SIGTERM) it leaves
// nothing behind and FILE as it was; loading files of processes gone (of this host and pid namespace)
// are removed at the next load.
// DuckDB's spill directory (in $TMPDIR) goes however the process ends.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BROKEN, scenario, slotOffset, tempDir, writeTrace } from '../fixtures/traces.js';
import { writeSyntheticSet } from '../bench/synth.js';
import { THREAD_RECORDS } from '../../src/db/load-thread.js';
import { estimateRecords } from '../../src/db/source.js';
import { readTraceHeader } from '../../src/trace/decode.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const tmp = tempDir();
const small = writeTrace(tmp.dir, 'app.100.fstrace', scenario());
test.after(() => tmp.cleanup());

// The children's temporary directory, where their spill directories go: empty again after each.
let TMP = '';
let env: NodeJS.ProcessEnv = {};
function freshTmp(name: string) {
  TMP = join(tmp.dir, name);
  mkdirSync(TMP);
  env = { ...process.env, TMPDIR: TMP };
  delete env.FSYNC_ANALYZE_TMPDIR;
}

const loadingFiles = (dir: string) => readdirSync(dir).filter((n) => n.includes('.loading-')).sort();
// This host and pid namespace, as a loading file names them (the namespace's inode: /proc/self/ns/pid is "pid:[N]").
const HERE = `${hostname().replace(/[^A-Za-z0-9.-]/g, '-')}_${/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1]}`;
const loadingOf = (db: string, pid: number | undefined) => `${db}.loading-${HERE}_${pid}`;

function load(db: string, ...inputs: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'info', '-q', '--db', db, ...inputs], { encoding: 'utf8', env });
  assert.is(r.status, 0, r.stderr);
}

// 400,000 events in 4 traces: a load of a second or more, in a worker thread (load-thread.ts).
const set = join(tmp.dir, 'big');
writeSyntheticSet(set, { events: 400_000, processes: 4, filesPerProcess: 4, hours: 1 });
// Its traces by pid (10000 to 10003; hosts host-0 and host-1 alternately, executables /usr/bin/appN) and their records.
const RECORDS = new Map(readdirSync(set).map((f) => [readTraceHeader(join(set, f))!.pid, estimateRecords(join(set, f))]));
const SET_RECORDS = [...RECORDS.values()].reduce((a, b) => a + b, 0);
assert.equal([...RECORDS.keys()].sort(), [10000, 10001, 10002, 10003]);
assert.ok(SET_RECORDS >= THREAD_RECORDS && [...RECORDS.values()].every((n) => n > 0 && n < THREAD_RECORDS / 2), 'the set is loaded in a worker thread, two of its traces are not');

test('SIGTERM or SIGINT in the middle of a load: no loading file, FILE unchanged, ended by the signal', async () => {
  // The signal comes as soon as the loading file is there (the load itself starts after it is made).
  const db = join(tmp.dir, 'kept.duckdb');
  freshTmp('tmp-signals');
  load(db, small);
  const before = readFileSync(db);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const child = spawn(process.execPath, [BIN, 'info', '-q', '--db', db, set], { stdio: 'ignore', env });
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (code, signal) => res([code, signal])));
    const loading = loadingOf(db, child.pid);
    let exited = false;
    void ended.then(() => (exited = true));
    while (!existsSync(loading) && !exited) await new Promise((res) => setTimeout(res, 5));
    assert.ok(!exited, 'the load ended before its loading file was seen');
    child.kill(sig);
    assert.equal(await ended, [null, sig]);
    assert.equal(loadingFiles(tmp.dir), [], sig);
    assert.ok(readFileSync(db).equals(before), `${sig}: FILE changed`);
    assert.equal(readdirSync(TMP), [], `${sig}: spill directory left`);
  }
  // Without FILE before: still none after.
  const fresh = join(tmp.dir, 'fresh.duckdb');
  const child = spawn(process.execPath, [BIN, 'info', '-q', '--db', fresh, set], { stdio: 'ignore', env });
  const ended = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  let exited = false;
  void ended.then(() => (exited = true));
  while (!existsSync(loadingOf(fresh, child.pid)) && !exited) await new Promise((res) => setTimeout(res, 5));
  assert.ok(!exited, 'the load ended before its loading file was seen');
  child.kill('SIGTERM');
  assert.is(await ended, 'SIGTERM');
  assert.equal([existsSync(fresh), loadingFiles(tmp.dir), readdirSync(TMP)], [false, [], []]);
});

test('no spill directory is left by a run that ends normally, in an error, or at a reader gone (EPIPE)', async () => {
  const db = join(tmp.dir, 'spill.duckdb');
  freshTmp('tmp-ends');
  load(db, small);
  assert.equal(readdirSync(TMP), [], 'a load into --db');
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  let r = run('summary', '--json', small);
  assert.equal([r.status, JSON.parse(r.stdout).totals.calls > 0, readdirSync(TMP)], [0, true, []], r.stderr);
  r = run('summary', '--db', db);
  assert.equal([r.status, readdirSync(TMP)], [0, []], r.stderr);
  // An error once the database is open: a query that fails.
  r = run('sql', 'select * from no_such_table', small);
  assert.equal([r.status, readdirSync(TMP)], [1, []], r.stderr);
  // A reader that goes away before the output: the process exits (cli.ts) with its session open.
  const child = spawn(process.execPath, [BIN, 'sql', 'select * from range(100000)', small], { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout.destroy();
  const [code] = await new Promise<[number | null]>((res) => child.on('exit', (c) => res([c])));
  assert.equal([code, readdirSync(TMP)], [0, []], 'EPIPE');
});

test('a load in a worker thread: the same tables; its warnings and errors as on the main thread', () => {
  freshTmp('tmp-worker');
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  const db = join(tmp.dir, 'worker.duckdb');
  const inMemory = run('summary', '--json', set);
  // FSYNC_ANALYZE_SHOW_LOAD_THREAD=1 (load-thread.ts): the CLI says which thread loads.
  const kept = spawnSync(process.execPath, [BIN, 'summary', '--json', '--db', db, set], { encoding: 'utf8', env: { ...env, FSYNC_ANALYZE_SHOW_LOAD_THREAD: '1' } });
  assert.equal([kept.status, kept.stderr], [0, `fsync-analyze: load: worker thread, ${SET_RECORDS.toLocaleString('en-US')} records\n`]);
  assert.equal(JSON.parse(kept.stdout), JSON.parse(inMemory.stdout));
  const bad = writeTrace(mkdtempSync(join(tmp.dir, 'bad-')), 'b.fstrace', BROKEN.corrupt());
  const message = `${bad}: at byte ${slotOffset(10)}: unknown record type 9, expected 1 to 6 or 10 to 12`;
  const r = run('info', '--json', '--db', db, set, bad);
  assert.equal([r.status, r.stderr, JSON.parse(r.stdout).traces.length], [0, `fsync-analyze: warning: ${message} (skipped)\n`, 4]);
  const before = readFileSync(db);
  const strict = run('info', '--strict', '--db', db, set, bad);
  assert.equal([strict.status, strict.stdout, strict.stderr], [1, '', `fsync-analyze: ${message}\n`]);
  assert.ok(readFileSync(db).equals(before), 'FILE changed by a load that failed');
  assert.equal([loadingFiles(tmp.dir), readdirSync(TMP)], [[], []]);
});

test('the worker threshold counts only the traces the header filters keep (--pid, --exe, --host)', () => {
  freshTmp('tmp-threshold');
  const db = join(tmp.dir, 'threshold.duckdb');
  const show = { ...env, FSYNC_ANALYZE_SHOW_LOAD_THREAD: '1' };
  const load = (...filters: string[]) => {
    const r = spawnSync(process.execPath, [BIN, 'info', '--json', '-q', '--db', db, set, ...filters], { encoding: 'utf8', env: show });
    return [r.status, r.stderr, r.status === 0 ? JSON.parse(r.stdout).traces.map((t: { pid: number }) => t.pid).sort() : null];
  };
  const line = (thread: string, ...pids: number[]) => `fsync-analyze: load: ${thread} thread, ${pids.reduce((n, p) => n + RECORDS.get(p)!, 0).toLocaleString('en-US')} records\n`;
  assert.equal(load('--pid', '10001'), [0, line('main', 10001), [10001]]);
  assert.equal(load('--exe', 'app2'), [0, line('main', 10002), [10002]]);
  assert.equal(load('--host', 'host-0'), [0, line('main', 10000, 10002), [10000, 10002]]);
  assert.equal(load('--pid', '10000', '--pid', '10001', '--pid', '10003'), [0, line('worker', 10000, 10001, 10003), [10000, 10001, 10003]]);
  assert.equal(load('--pid', '1'), [1, `${line('main')}fsync-analyze: none of the 4 trace files matches the filters\n`, null]);
  assert.equal([loadingFiles(tmp.dir), readdirSync(TMP)], [[], []]);
});

test('a loading file whose process is gone is removed at the next load; one whose process runs, or of another host or pid namespace, is left', () => {
  const db = join(tmp.dir, 'stale.duckdb');
  freshTmp('tmp-stale');
  // A pid that was running and is no more.
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  const [host, ns] = HERE.split('_') as [string, string];
  const kept = [
    `stale.duckdb.loading-${HERE}_${process.pid}`,
    // Another host on a shared volume, another pid namespace (a container) on this host: their
    // pid cannot be looked up here, even when the same pid is gone here.
    `stale.duckdb.loading-not-${host}_${ns}_${gone}`,
    `stale.duckdb.loading-${host}_${Number(ns) + 1}_${gone}`,
    `stale.duckdb.loading-${host}_${Number(ns) + 1}_${gone}.wal`,
    // An earlier version's name says neither.
    `stale.duckdb.loading-${gone}`,
    `stale.duckdb.loading-${HERE}_x1`,
    `other.duckdb.loading-${HERE}_${gone}`,
  ];
  for (const f of [`stale.duckdb.loading-${HERE}_${gone}`, `stale.duckdb.loading-${HERE}_${gone}.wal`, ...kept]) {
    writeFileSync(join(tmp.dir, f), 'left behind');
  }
  load(db, small);
  assert.equal(loadingFiles(tmp.dir), kept.sort());
  assert.ok(existsSync(db));
});

test.run();
