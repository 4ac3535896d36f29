/**
 * Re-records the bundled samples from real programs (samples/README.md says
 * what each one is and what its report shows). Needs the Debian packages the
 * end-to-end tests need: sqlite3, strace, postgresql, zookeeper,
 * default-jre-headless, fio; and root or the postgres user for PostgreSQL.
 *
 *   node --import tsx samples/record.ts [NAME...]     (default: all of them)
 *
 * Programs run in stable directories under $TMPDIR/fsync-samples/, so the
 * paths in the samples read the same from one recording to the next. Each
 * trace is cut down to the slots it used (scripts/workloads/common.ts:
 * compactTrace), so a sample is small on disk.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze, compactTrace, namedDir, RECORD, requireProgram, ROOT, runOk } from '../scripts/workloads/common.js';
import { client, createCluster, psql, startCluster, stopCluster } from '../scripts/workloads/postgres.js';
import { pacedSqlite, plainSqlite, type PacedResult } from '../scripts/workloads/sqlite.js';
import { startZooKeeper, stopZooKeeper, zkCli } from '../scripts/workloads/zookeeper.js';
import { histogram, recordEtcd } from '../scripts/workloads/etcd.js';

const SAMPLES = fileURLToPath(new URL('.', import.meta.url));
const WORK = join(tmpdir(), 'fsync-samples');

function traceFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.fstrace')).sort().map((n) => join(dir, n));
}

/** Compact the one trace a single-process run left, and copy it to samples/NAME.fstrace. */
function keepOne(traces: string, name: string): string {
  const files = traceFiles(traces);
  if (files.length !== 1) throw new Error(`${name}: expected one trace in ${traces}, found ${files.length}`);
  compactTrace(files[0]!);
  const out = join(SAMPLES, `${name}.fstrace`);
  copyFileSync(files[0]!, out);
  chmodSync(out, 0o644);
  return out;
}

/** Compact every trace of a multi-process run, and copy them into samples/NAME/. */
function keepAll(traces: string, name: string): string {
  const out = join(SAMPLES, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  for (const f of traceFiles(traces)) {
    compactTrace(f);
    copyFileSync(f, join(out, basename(f)));
    chmodSync(join(out, basename(f)), 0o644);
  }
  return out;
}

/** The stretch of transactions the workload itself saw as slow. */
function slowStretch(run: PacedResult, atLeastMs: number): string {
  const slow = run.transactions.filter((t) => t.answered - t.sent >= atLeastMs);
  if (slow.length === 0) return 'no slow transactions';
  const first = slow[0]!;
  const last = slow[slow.length - 1]!;
  const t0 = run.transactions[0]!.sent;
  return `${slow.length} slow transactions (#${first.index}..#${last.index}), ` +
    `${new Date(first.sent).toISOString()} .. ${new Date(last.answered).toISOString()} ` +
    `(${((first.sent - t0) / 1000).toFixed(1)} s .. ${((last.answered - t0) / 1000).toFixed(1)} s into the run)`;
}

const recorders: Record<string, () => Promise<string>> = {
  /**
   * SQLite in WAL mode, synchronous=FULL, 20 commits a second for 80 s on disk;
   * strace delays 30 consecutive fdatasync calls by 250 ms about 66 s in, after
   * the first minute, so the default 10-minute window (1-minute buckets) has
   * a baseline for them.
   */
  'sqlite-wal': async () => {
    // The recorder's live alerts go to sqlite3's stderr (this VM has no syslog).
    process.env.FSYNC_TRACE_ALERT_TO = 'stderr';
    const dir = namedDir(join(WORK, 'sqlite-wal'));
    const traces = join(dir, 'traces');
    mkdirSync(traces);
    const db = join(dir, 'app.db');
    plainSqlite(db, 'pragma journal_mode=wal;\ncreate table t(k integer primary key, v blob);\n');
    const run = await pacedSqlite({
      db, traceDir: traces, maxBytes: 1 << 20, transactions: 1600, intervalMs: 50, rowBytes: 200,
      setup: 'pragma synchronous=full;', slow: { first: 1330, last: 1359, delayMs: 250 },
    });
    return `${keepOne(traces, 'sqlite-wal')}: ${slowStretch(run, 200)}`;
  },

  /**
   * SQLite with a rollback journal, synchronous=FULL, 10 commits a second for
   * 76 s on disk: each commit syncs the journal twice, the directory and the
   * database. strace delays the 48 fdatasync calls of 12 commits (#661..#672)
   * by 250 ms: every file of the one process is slow at once (an incident of scope process).
   */
  'sqlite-slow': async () => {
    const dir = namedDir(join(WORK, 'sqlite-slow'));
    const traces = join(dir, 'traces');
    mkdirSync(traces);
    const db = join(dir, 'app.db');
    plainSqlite(db, 'create table t(k integer primary key, v blob);\n');
    const run = await pacedSqlite({
      db, traceDir: traces, maxBytes: 1 << 20, transactions: 760, intervalMs: 100,
      setup: 'pragma journal_mode=delete;\npragma synchronous=full;', slow: { first: 4 * 661 - 3, last: 4 * 672, delayMs: 250 },
    });
    return `${keepOne(traces, 'sqlite-slow')}: ${slowStretch(run, 400)}`;
  },

  /** PostgreSQL 15: pgbench -i, then 4 clients for 5 s, a CHECKPOINT and a fast shutdown. */
  pgbench: async () => {
    const c = await createCluster({ root: join(WORK, 'pgbench') });
    try {
      startCluster(c, { maxBytes: 1 << 20 });
      client(c, 'pgbench', ['-i', '-s', '1', '-q']);
      const out = client(c, 'pgbench', ['-c', '4', '-j', '2', '-T', '5']).stdout;
      psql(c, 'checkpoint');
      stopCluster(c);
      return `${keepAll(c.traces, 'pgbench')}: ${/tps = [\d.]+/.exec(out)?.[0] ?? out}`;
    } finally {
      stopCluster(c);
    }
  },

  /** ZooKeeper 3.8 standalone: a client creates 200 nodes, sets 100 of them and deletes 100, one at a time. */
  zookeeper: async () => {
    const zk = await startZooKeeper({ maxBytes: 1 << 20, root: join(WORK, 'zookeeper') });
    try {
      const commands = [
        ...Array.from({ length: 200 }, (_, i) => `create /app-${i} v0`),
        ...Array.from({ length: 100 }, (_, i) => `set /app-${i} v1`),
        ...Array.from({ length: 100 }, (_, i) => `delete /app-${100 + i}`),
      ];
      zkCli(zk.port, commands);
    } finally {
      await stopZooKeeper(zk);
    }
    return keepOne(zk.traces, 'zookeeper');
  },

  /** Node: scripts/workloads/node-sync.mjs, 50 rounds of fsyncSync, FileHandle.sync/datasync, writeFile flush. */
  node: async () => {
    const dir = namedDir(join(WORK, 'node'));
    const traces = join(dir, 'traces');
    const data = join(dir, 'data');
    mkdirSync(traces);
    mkdirSync(data);
    runOk(RECORD, ['--quiet', '--dir', traces, '--max-bytes', '1M', '--', process.execPath, join(ROOT, 'scripts/workloads/node-sync.mjs'), data, '50']);
    return keepOne(traces, 'node');
  },

  /**
   * etcd 3.4 (Go: recorded kernel-side, fsync-record --kernel): 700 puts, one
   * at a time (about 90 s: the first minute makes the baseline); after put 500
   * a noisy neighbour writes and syncs 1 GiB on the same disk.
   */
  etcd: async () => {
    const dir = namedDir(join(WORK, 'etcd'));
    const run = await recordEtcd({ traces: join(dir, 'traces'), data: join(dir, 'data'), puts: 700,
      neighbour: { afterPut: 500, mib: 1024, file: join(dir, 'neighbour.dat') } });
    rmSync(join(dir, 'neighbour.dat'), { force: true });
    const wal = histogram(run.metrics, 'etcd_disk_wal_fsync_duration_seconds');
    return `${keepOne(run.traces, 'etcd')}: etcd counted ${wal.count} WAL syncs, ${wal.sum.toFixed(3)} s in all`;
  },

  /** fio: one job writing 8 MiB in 16 KiB blocks, fdatasync after each; the job runs in a fork child. */
  fio: async () => {
    const fio = requireProgram('fio', 'fio');
    const dir = namedDir(join(WORK, 'fio'));
    const traces = join(dir, 'traces');
    mkdirSync(traces);
    runOk(RECORD, ['--quiet', '--dir', traces, '--max-bytes', '1M', '--',
      fio, '--name=synced', `--filename=${join(dir, 'job.dat')}`, '--rw=write', '--bs=16k', '--size=8M', '--ioengine=sync', '--fdatasync=1'], { cwd: dir });
    return keepAll(traces, 'fio');
  },
};

const names = process.argv.slice(2);
for (const name of names) if (!(name in recorders)) throw new Error(`no sample named ${name}: ${Object.keys(recorders).join(', ')}`);
for (const name of names.length > 0 ? names : Object.keys(recorders)) {
  const started = Date.now();
  process.stdout.write(`recording ${name} ...\n`);
  const what = await recorders[name]!();
  const out = what.split(':')[0]!;
  const files = statSync(out).isDirectory() ? traceFiles(out) : [out];
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  process.stdout.write(`  ${what}\n  ${files.length} trace file${files.length === 1 ? '' : 's'}, ${bytes} bytes, in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  const summary = analyze(['summary', '--quiet', out]);
  process.stdout.write(summary.stdout.split('\n').slice(-2).join('\n'));
  const outliers = analyze(['outliers', '--quiet', '--limit', '3', out]);
  process.stdout.write(`${outliers.stdout}\n`);
}
