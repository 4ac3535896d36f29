/**
 * SQLite 3.40 (Debian's sqlite3 shell) recorded end to end: transactions in
 * rollback-journal and WAL mode, analyzed with fsync-analyze --json. SQLite's
 * syncs are deterministic, so the counts are exact (scripts/workloads/sqlite.ts
 * says what each mode syncs and why).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeIntervals, analyzeJson, freshDir, kindsByPath, once, removeDir, type SummaryJson } from '../../scripts/workloads/common.js';
import { plainSqlite, recordSqlite, sqlite3 } from '../../scripts/workloads/sqlite.js';

const K = 5; // inserts, each its own transaction
const WAL_FRAME = 24 + 4096; // a WAL frame: its header and one page
const inserts = Array.from({ length: K }, (_, i) => `insert into t(k, v) values (${i + 1}, randomblob(100));`).join('\n');

const dirs: string[] = [];
/** A fresh directory holding `db/` (the database's own directory) and `traces/`. */
function workspace(name: string) {
  sqlite3(); // fail now, with the package's name, if it is missing
  const root = freshDir(`e2e-sqlite-${name}`);
  dirs.push(root);
  const dbDir = join(root, 'db');
  const traces = join(root, 'traces');
  mkdirSync(dbDir);
  mkdirSync(traces);
  return { dbDir, db: join(dbDir, 'app.db'), traces };
}

const rollback = once(() => {
  const w = workspace('rollback');
  const script = `pragma journal_mode=delete;\npragma synchronous=full;\ncreate table t(k integer primary key, v blob);\n${inserts}\npragma integrity_check;\n`;
  const run = recordSqlite(w.db, script, w.traces, 256 << 10);
  return { ...w, run, summary: analyzeJson<SummaryJson>(['summary', w.traces]) };
});

/** A database made in WAL mode (not recorded), then K inserts recorded under `synchronous`. */
function walRun(synchronous: 'full' | 'normal') {
  const w = workspace(`wal-${synchronous}`);
  plainSqlite(w.db, 'pragma journal_mode=wal;\ncreate table t(k integer primary key, v blob);\n');
  const run = recordSqlite(w.db, `pragma synchronous=${synchronous};\n${inserts}\npragma integrity_check;\n`, w.traces, 256 << 10);
  return { ...w, run, summary: analyzeJson<SummaryJson>(['summary', w.traces]), intervals: analyzeIntervals([w.traces]) };
}
const walFull = once(() => walRun('full'));
const walNormal = once(() => walRun('normal'));

test.after(() => dirs.forEach(removeDir));

test('rollback journal: the transactions commit and the database is intact', () => {
  const { run } = rollback();
  assert.equal(run.stdout.trim().split('\n'), ['delete', 'ok']);
});

test('rollback journal, synchronous=FULL: per commit, the journal twice, its directory once, the database once', () => {
  const { summary, db, dbDir } = rollback();
  const commits = K + 1; // create table, then K inserts
  assert.equal(kindsByPath(summary), {
    [`${db}-journal`]: { fdatasync: 2 * commits },
    [dbDir]: { fdatasync: commits },
    [db]: { fdatasync: commits },
  });
  assert.equal(summary.totals, { calls: 4 * commits, by_kind: { fdatasync: 4 * commits }, errors: 0, processes: 1, summarized_only: 0, unaccounted: 0, uncounted_records: 0 });
  const dir = summary.files.find((f) => f.path === dbDir)!;
  assert.is(dir.bytes, 0, 'a directory sync makes no written bytes durable');
});

test('rollback journal: the syncs come in the same order in every transaction', () => {
  const { traces, db, dbDir } = rollback();
  const order = analyzeIntervals([traces]).map((i) => i.path);
  const one = [`${db}-journal`, dbDir, `${db}-journal`, db];
  assert.equal(order, Array.from({ length: K + 1 }, () => one).flat());
});

test('WAL, synchronous=FULL: one WAL sync per commit, plus its header and directory, and the checkpoint at close', () => {
  const { run, summary, db, dbDir } = walFull();
  assert.equal(run.stdout.trim().split('\n'), ['ok']);
  assert.equal(kindsByPath(summary), {
    [`${db}-wal`]: { fdatasync: K + 2 },
    [dbDir]: { fdatasync: 1 },
    [db]: { fdatasync: 1 },
  });
  assert.equal(summary.totals.errors, 0);
});

test('WAL, synchronous=FULL: each commit makes exactly one frame durable', () => {
  const { intervals, db, dbDir } = walFull();
  assert.equal(intervals.map((i) => [i.path, i.bytes, i.res]), [
    [`${db}-wal`, 32, 0], // the WAL header, synced before the first frame
    [dbDir, 0, 0], // the directory that holds the new WAL
    ...Array.from({ length: K }, () => [`${db}-wal`, WAL_FRAME, 0]),
    [`${db}-wal`, 0, 0], // the checkpoint: nothing new in the WAL ...
    [db, 4096, 0], // ... and the one page copied back into the database
  ]);
  assert.ok(intervals.every((i) => i.kind === 'fdatasync' && i.tid === i.pid));
});

test('WAL, synchronous=NORMAL: commits do not sync; the checkpoint makes every frame durable at once', () => {
  const { run, intervals, db, dbDir } = walNormal();
  assert.equal(run.stdout.trim().split('\n'), ['ok']);
  assert.equal(intervals.map((i) => [i.path, i.bytes]), [
    [`${db}-wal`, 32],
    [dbDir, 0],
    [`${db}-wal`, K * WAL_FRAME],
    [db, 4096],
  ]);
});

test.run();
