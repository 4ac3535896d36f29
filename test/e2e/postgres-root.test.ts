/**
 * PostgreSQL started the way init scripts start it: by root, dropping to the
 * postgres user (runuser -u postgres -- pg_ctl start), with the recorder
 * preloaded into runuser and a trace directory of root's own (0700). The
 * server's processes run as postgres, which cannot write root's directory:
 * they record into its uid-N directory (N = postgres's uid), made by the
 * recorder in runuser just before it became postgres, and the analyzer,
 * given root's directory, finds them. Their WAL syncs are counted against
 * PostgreSQL's own figure (pg_stat_wal.wal_sync). (Before issue 13: nothing
 * was recorded for any server process.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJson, analyzeSql, forEveryone, LIB, removeDir, requireProgram, runOk, sleep } from '../../scripts/workloads/common.js';
import { createCluster, pgProgram, psql, stopCluster, type Cluster } from '../../scripts/workloads/postgres.js';
import { traceFiles } from '../traces.js';

let cluster: Cluster | undefined;
test.after(() => {
  if (!cluster) return;
  stopCluster(cluster);
  removeDir(cluster.root);
});

test('started by root as user postgres: every server process records into uid-N, WAL syncs = pg_stat_wal.wal_sync', async () => {
  assert.is(process.getuid?.(), 0, 'this test starts PostgreSQL as root (CI runs as root)');
  const runuser = requireProgram('runuser', 'util-linux');
  const c = (cluster = await createCluster());
  const postgresUid = c.runAs.uid!;
  // The configured directory: root's, closed to others (the server cannot write it).
  const traces = join(c.root, 'root-traces');
  mkdirSync(traces, { mode: 0o700 });
  const env = { ...c.clientEnv, LD_PRELOAD: forEveryone(LIB), FSYNC_TRACE_DIR: traces, FSYNC_TRACE_MAX_BYTES: String(4 << 20) };
  runOk(runuser, ['-u', 'postgres', '--', pgProgram('pg_ctl'), '-D', c.data, '-l', c.log, '-w', '-t', '60', 'start'], { cwd: c.root, env });
  c.running = true;
  c.postmasterPid = Number(readFileSync(join(c.data, 'postmaster.pid'), 'utf8').split('\n')[0]);

  // Twenty commits, each a WAL flush (synchronous_commit on): fdatasync of the segment.
  psql(c, 'create table t (k integer primary key, v text)');
  for (let i = 0; i < 20; i++) psql(c, `insert into t values (${i}, repeat('x', 100))`);
  psql(c, 'checkpoint');
  await sleep(1500); // backends that ended have flushed their statistics; pg_stat_wal is shared
  const asked = new Date().toISOString();
  const walSync = Number(psql(c, 'select wal_sync from pg_stat_wal').flat().pop());
  const method = psql(c, 'show wal_sync_method')[0]![0];
  stopCluster(c);

  // Where the traces are: uid-N of postgres, a directory of its own; nothing else recorded
  // in root's directory but runuser's trace if it synced (it does not).
  const own = join(traces, `uid-${postgresUid}`);
  assert.equal([statSync(own).uid, statSync(own).mode & 0o777], [postgresUid, 0o700]);
  assert.equal(traceFiles(traces), []);
  const info = analyzeJson<{ traces: { file: string; pid: number; exe: string }[] }>(['info', traces]).traces;
  assert.ok(info.length >= 3, JSON.stringify(info));
  assert.ok(info.every((t) => t.file.startsWith(`${own}/`) && t.exe.endsWith('/postgres')), JSON.stringify(info));
  assert.ok(info.some((t) => t.pid === c.postmasterPid), 'the postmaster has a trace');

  // PostgreSQL's own count of its WAL syncs (issue_xlog_fsync) against the trace's, up to
  // when it was asked (the shutdown checkpoint syncs the WAL once more after that).
  assert.is(method, 'fdatasync');
  const [recorded] = analyzeSql<{ n: number }>(
    `select count(*)::integer as n from events e join files f using (file_id) join calls c on c.call = e.call where e.type = 3 and c.name = 'fdatasync' and f.path like '%/pg_wal/0%' and e.start < '${asked.replace('T', ' ').replace('Z', '')}'::timestamp`,
    [traces]);
  assert.ok(walSync >= 20, `pg_stat_wal.wal_sync ${walSync}`);
  assert.is(recorded!.n, walSync);
});

test.run();
