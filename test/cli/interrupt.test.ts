// A load into --db FILE goes into FILE.loading-PID: interrupted (SIGINT, SIGTERM) it leaves
// nothing behind and FILE as it was; loading files of processes gone are removed at the next load.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scenario, tempDir, writeTrace } from '../fixtures/traces.js';
import { writeSyntheticSet } from '../bench/synth.js';

const BIN = fileURLToPath(new URL('../../bin/fsync-analyze.js', import.meta.url));
const tmp = tempDir();
const small = writeTrace(tmp.dir, 'app.100.fstrace', scenario());
test.after(() => tmp.cleanup());

const loadingFiles = (dir: string) => readdirSync(dir).filter((n) => n.includes('.loading-')).sort();

function load(db: string, ...inputs: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'info', '-q', '--db', db, ...inputs], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
}

test('SIGTERM or SIGINT in the middle of a load: no loading file, FILE unchanged, ended by the signal', async () => {
  const set = join(tmp.dir, 'big');
  // 400,000 events in 4 traces: a load of a second or more; the signal comes as soon as the
  // loading file is there (the load itself starts after it is made).
  writeSyntheticSet(set, { events: 400_000, processes: 4, filesPerProcess: 4, hours: 1 });
  const db = join(tmp.dir, 'kept.duckdb');
  load(db, small);
  const before = readFileSync(db);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const child = spawn(process.execPath, [BIN, 'info', '-q', '--db', db, set], { stdio: 'ignore' });
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (code, signal) => res([code, signal])));
    const loading = `${db}.loading-${child.pid}`;
    let exited = false;
    void ended.then(() => (exited = true));
    while (!existsSync(loading) && !exited) await new Promise((res) => setTimeout(res, 5));
    assert.ok(!exited, 'the load ended before its loading file was seen');
    child.kill(sig);
    assert.equal(await ended, [null, sig]);
    assert.equal(loadingFiles(tmp.dir), [], sig);
    assert.ok(readFileSync(db).equals(before), `${sig}: FILE changed`);
  }
  // Without FILE before: still none after.
  const fresh = join(tmp.dir, 'fresh.duckdb');
  const child = spawn(process.execPath, [BIN, 'info', '-q', '--db', fresh, set], { stdio: 'ignore' });
  const ended = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  while (!existsSync(`${fresh}.loading-${child.pid}`)) await new Promise((res) => setTimeout(res, 5));
  child.kill('SIGTERM');
  assert.is(await ended, 'SIGTERM');
  assert.equal([existsSync(fresh), loadingFiles(tmp.dir)], [false, []]);
});

test('a loading file whose process is gone is removed at the next load; one whose process runs is left', () => {
  const db = join(tmp.dir, 'stale.duckdb');
  // A pid that was running and is no more.
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  for (const f of [`${db}.loading-${gone}`, `${db}.loading-${gone}.wal`, `${db}.loading-${process.pid}`, `${db}.loading-x1`, join(tmp.dir, `other.duckdb.loading-${gone}`)]) {
    writeFileSync(f, 'left behind');
  }
  load(db, small);
  assert.equal(loadingFiles(tmp.dir), [`other.duckdb.loading-${gone}`, `stale.duckdb.loading-${process.pid}`, 'stale.duckdb.loading-x1']);
  assert.ok(existsSync(db));
});

test.run();
