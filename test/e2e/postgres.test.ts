/**
 * PostgreSQL 15 recorded end to end: a throwaway cluster started by pg_ctl with
 * the recorder preloaded, pgbench -i and a short pgbench run, a forced
 * CHECKPOINT, then a fast shutdown (always, even when something failed).
 * Every server process is forked from the postmaster, never exec'd, and each
 * records into its own trace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeJson, analyzeSql, once, removeDir, type SummaryJson } from '../../scripts/workloads/common.js';
import { client, connectionPids, createCluster, parsePgbench, PG_BIN, psql, startCluster, stopCluster, type Cluster, type PgbenchResult } from '../../scripts/workloads/postgres.js';

const FORK_CHILD = 2;
const ENDED = 1;

interface Trace {
  pid: number;
  ppid: number;
  flags: number;
  exe: string;
  cmdline: string;
}

interface Sync {
  pid: number;
  path: string | null;
  kind: string;
  res: number;
}

interface Recorded {
  cluster: Cluster;
  init: string;
  bench: PgbenchResult;
  settings: Record<string, string>;
  activity: { pid: number; type: string }[];
  connections: number[];
  traces: Trace[];
  syncs: Sync[];
  summary: SummaryJson;
}

let cluster: Cluster | undefined;

async function record(): Promise<Recorded> {
  cluster = await createCluster();
  const c = cluster;
  let init: string;
  let bench: PgbenchResult;
  let settings: Record<string, string>;
  let activity: { pid: number; type: string }[];
  try {
    startCluster(c, { maxBytes: 1 << 20 });
    const i = client(c, 'pgbench', ['-i', '-s', '1', '-q']);
    init = i.stdout + i.stderr;
    const b = client(c, 'pgbench', ['-c', '4', '-j', '2', '-T', '3']);
    bench = parsePgbench(b.stdout + b.stderr);
    psql(c, 'checkpoint');
    settings = Object.fromEntries(psql(c, "select name, current_setting(name) from pg_settings where name in ('wal_sync_method', 'checkpoint_flush_after', 'fsync')").map(([k, v]) => [k!, v!]));
    activity = psql(c, 'select pid, backend_type from pg_stat_activity').map(([pid, type]) => ({ pid: Number(pid), type: type! }));
  } finally {
    stopCluster(c);
  }
  const traces = analyzeSql<Trace>('select pid, ppid, flags, exe, cmdline from traces order by pid', [c.traces]);
  const syncs = analyzeSql<Sync>(
    'select t.pid, p.path, c.name as kind, e.res from events e join traces t using (trace_id) join calls c using (call) join files p using (file_id) where e.type = 3',
    [c.traces],
  );
  return { cluster: c, init, bench, settings, activity, connections: connectionPids(c), traces, syncs, summary: analyzeJson<SummaryJson>(['summary', c.traces]) };
}

const recorded = once(record);

/** A path as a literal inside a RegExp. */
const literal = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test.after(() => {
  if (cluster) {
    stopCluster(cluster);
    removeDir(cluster.root);
  }
});

test('pgbench -i and a 3-second pgbench run complete without errors', async () => {
  const { init, bench } = await recorded();
  assert.match(init, /done in [\d.]+ s/);
  assert.is(bench.failed, 0, bench.output);
  assert.ok(bench.processed > 0, bench.output);
});

test('the settings the assertions rely on are the defaults on Linux', async () => {
  const { settings } = await recorded();
  assert.equal(settings, { checkpoint_flush_after: '256kB', fsync: 'on', wal_sync_method: 'fdatasync' });
});

test('WAL segments are synced with fdatasync, by the backends that commit', async () => {
  const { syncs, cluster: c, bench, connections } = await recorded();
  const fdatasync = syncs.filter((s) => s.kind === 'fdatasync');
  const segment = new RegExp(`^${literal(c.data)}/pg_wal/[0-9A-F]{24}$`);
  assert.ok(fdatasync.length > 0);
  for (const s of fdatasync) assert.match(s.path ?? '(unnamed)', segment);
  // Each commit flushes the WAL up to its record; concurrent commits may share a flush.
  const byClients = fdatasync.filter((s) => connections.includes(s.pid)).length;
  assert.ok(byClients >= bench.processed / 8, `${byClients} WAL fdatasyncs by client backends for ${bench.processed} transactions`);
  assert.ok(syncs.every((s) => s.res === 0));
});

test("the checkpointer's sync_file_range and fsync on data files under base/", async () => {
  const { syncs, activity, cluster: c } = await recorded();
  const checkpointer = activity.find((a) => a.type === 'checkpointer')?.pid;
  assert.ok(checkpointer, JSON.stringify(activity));
  const base = new RegExp(`^${literal(c.data)}/base/\\d+/\\d+(_fsm|_vm|\\.\\d+)?$`);
  const mine = syncs.filter((s) => s.pid === checkpointer);
  const flushed = mine.filter((s) => s.kind === 'sync_file_range' && base.test(s.path ?? ''));
  const fsynced = mine.filter((s) => s.kind === 'fsync' && base.test(s.path ?? ''));
  assert.ok(flushed.length > 0, 'checkpoint_flush_after starts writeback with sync_file_range');
  assert.ok(fsynced.length > 0, 'the checkpoint fsyncs the data files it wrote');
  // Only the checkpointer (and the bgwriter, with bgwriter_flush_after) call sync_file_range.
  const others = syncs.filter((s) => s.kind === 'sync_file_range' && s.pid !== checkpointer);
  const bgwriter = activity.find((a) => a.type === 'background writer')?.pid;
  assert.ok(others.every((s) => s.pid === bgwriter), JSON.stringify(others.slice(0, 5)));
});

test('every named path is absolute, inside the cluster', async () => {
  const { summary, cluster: c } = await recorded();
  assert.ok(summary.files.length > 10);
  for (const f of summary.files) assert.ok(f.path.startsWith(`${c.root}/`), f.path);
  assert.is(summary.totals.errors, 0);
});

test('the postmaster was exec\'d (by the shell pg_ctl starts), and records into its own trace', async () => {
  const { traces, cluster: c } = await recorded();
  const postmaster = traces.filter((t) => t.pid === c.postmasterPid && t.exe === `${PG_BIN}/postgres`);
  assert.is(postmaster.length, 1, JSON.stringify(traces));
  assert.is(postmaster[0]!.flags & FORK_CHILD, 0);
  assert.ok((postmaster[0]!.flags & ENDED) !== 0, 'the postmaster exited normally');
});

test('every backend was forked by the postmaster and has a trace of its own', async () => {
  const { traces, connections, activity, cluster: c } = await recorded();
  assert.ok(connections.length >= 6, `pgbench -i, 4 clients, psql: ${connections.join(', ')}`);
  const forked = traces.filter((t) => t.flags & FORK_CHILD);
  for (const t of forked) {
    assert.is(t.ppid, c.postmasterPid, `${t.pid} ${t.cmdline}`);
    assert.is(t.exe, `${PG_BIN}/postgres`);
    assert.match(t.cmdline, /^postgres: /, 'a forked backend keeps the image and sets its title');
    assert.ok(t.flags & ENDED, `${t.pid} (${t.cmdline}) exited normally at shutdown`);
  }
  const traced = new Set(forked.map((t) => t.pid));
  assert.is(traced.size, forked.length, 'one trace per forked process');
  // A process that never syncs leaves no trace: psql's read-only session
  // has none; pgbench -i and the 4 clients commit (and flush WAL) and do, and
  // the checkpointer syncs at the shutdown checkpoint. The walwriter only
  // syncs when it finds WAL no backend flushed first (with synchronous
  // commits, some runs it finds none), so it is not expected.
  const expected = activity.filter((a) => a.type === 'checkpointer').map((a) => a.pid);
  assert.is(expected.length, 1, JSON.stringify(activity));
  for (const pid of expected) assert.ok(traced.has(pid), `the checkpointer (${pid}) has no trace of its own`);
  const tracedConnections = connections.filter((pid) => traced.has(pid));
  assert.ok(tracedConnections.length >= 5, `pgbench -i and 4 clients have traces: ${tracedConnections.join(', ')} of ${connections.join(', ')}`);
});

interface LintFinding {
  rule: string;
  path: string;
  pid: number;
  count: number;
  files: number;
  evidence: { event: string; path: string | null }[];
}

test('lint: the WAL and durable_rename come out clean; what is left is named by the WAL', async () => {
  const { cluster: c, traces } = await recorded();
  const findings = analyzeJson<{ findings: LintFinding[] }>(['lint', c.traces]).findings;
  const rel = (p: string) => p.replace(`${c.root}/`, '').replace(/\d+/g, '#');
  // A backend creates relation files (pgbench's indexes, built outside shared buffers) and
  // fsyncs them, never base/<db>/: the file's creation is WAL-logged (XLOG_SMGR_CREATE), and
  // recovery recreates it. WAL segments (xlogtemp renamed into pg_wal) and
  // replorigin_checkpoint go through durable_rename, which syncs the directory; the
  // postmaster's lock files (postmaster.pid, the socket's .lock), created with O_EXCL and
  // fsynced, are unlinked at shutdown: temporaries. No other finding.
  assert.equal(findings.map((f) => `${f.rule} ${rel(f.path)}`), ['dir-not-synced data/base/#/#']);
  const backend = findings[0]!;
  const forked = traces.find((t) => t.pid === backend.pid);
  assert.ok(forked && forked.ppid === c.postmasterPid && /^postgres: /.test(forked.cmdline), JSON.stringify(forked));
  assert.is(backend.files, backend.count, 'each relation file once');
  assert.equal(backend.evidence.map((e) => e.event), ['open', 'fsync']);
});

test.run();
