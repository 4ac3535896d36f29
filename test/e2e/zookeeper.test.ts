/**
 * ZooKeeper 3.8 recorded end to end: a standalone server with the recorder
 * preloaded into its JVM, a client that creates N nodes one at a time, and the
 * transaction log's fdatasync calls counted against the server's own zxid.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeIntervals, analyzeJson, kindsByPath, once, removeDir, type InfoJson, type IntervalJson, type SummaryJson } from '../../scripts/workloads/common.js';
import { srvr, startZooKeeper, stopZooKeeper, zkCli, type ZooKeeper } from '../../scripts/workloads/zookeeper.js';

const N = 40;

interface Recorded {
  zk: ZooKeeper;
  cli: string;
  before: Record<string, string>;
  server: Record<string, string>;
  info: InfoJson;
  summary: SummaryJson;
  intervals: IntervalJson[];
}

let zk: ZooKeeper | undefined;

async function record(): Promise<Recorded> {
  zk = await startZooKeeper({ maxBytes: 256 << 10 });
  let cli: string;
  let before: Record<string, string>;
  let server: Record<string, string>;
  try {
    before = await srvr(zk.port);
    cli = zkCli(zk.port, Array.from({ length: N }, (_, i) => `create /node${i + 1} value${i + 1}`));
    server = await srvr(zk.port);
  } finally {
    await stopZooKeeper(zk);
  }
  return {
    zk,
    cli,
    before,
    server,
    info: analyzeJson<InfoJson>(['info', zk.traces]),
    summary: analyzeJson<SummaryJson>(['summary', zk.traces]),
    intervals: analyzeIntervals([zk.traces]),
  };
}

const recorded = once(record);

test.after(async () => {
  if (zk) {
    await stopZooKeeper(zk);
    removeDir(zk.root);
  }
});

test('the client created every node', async () => {
  const { cli, before, server } = await recorded();
  for (let i = 1; i <= N; i++) assert.ok(cli.includes(`Created /node${i}\n`), `node ${i} was not created:\n${cli}`);
  assert.is(Number(server['Node count']) - Number(before['Node count']), N);
  assert.is(server.Mode, 'standalone');
});

test('one trace, the JVM', async () => {
  const { info } = await recorded();
  assert.is(info.traces.length, 1, JSON.stringify(info));
  assert.match(info.traces[0]!.exe, /\/java$/);
  assert.equal([info.traces[0]!.dropped, info.traces[0]!.torn], [0, 0]);
});

test('one fdatasync of the transaction log per transaction', async () => {
  const { summary, server, zk } = await recorded();
  // Transactions: the session's creation, N creates, the session's close.
  const zxid = Number(server.Zxid);
  assert.is(zxid, N + 2, `srvr says Zxid ${server.Zxid}`);
  assert.equal(kindsByPath(summary), { [join(zk.dataDir, 'version-2/log.1')]: { fdatasync: zxid } });
  assert.is(summary.totals.errors, 0);
});

test('the log is synced by one thread of the JVM, never its main thread, each time after appending', async () => {
  const { intervals } = await recorded();
  const tids = new Set(intervals.map((i) => i.tid));
  assert.is(tids.size, 1, `ZooKeeper's SyncRequestProcessor thread: ${[...tids].join(', ')}`);
  assert.not.ok(tids.has(intervals[0]!.pid));
  for (const i of intervals) assert.ok(i.res === 0 && (i.bytes ?? 0) > 0 && (i.writes ?? 0) >= 1, JSON.stringify(i));
});

test('lint: the transaction log is created and synced, its directory never', async () => {
  const { zk } = await recorded();
  // ZooKeeper's FileTxnLog opens version-2/log.<zxid> with a FileOutputStream (O_CREAT|O_TRUNC
  // on a new name: the recorder marks the open as creating it) and fdatasyncs every append,
  // but never syncs version-2/: after a crash the log file's name may be gone. The snapshot
  // written at startup is never synced, so no rule applies to it.
  const findings = analyzeJson<{ findings: { rule: string; path: string; count: number; evidence: { event: string }[] }[] }>(['lint', zk.traces]).findings;
  assert.equal(findings.map((f) => [f.rule, f.path, f.count, f.evidence.map((e) => e.event)]), [
    ['dir-not-synced', join(zk.dataDir, 'version-2/log.1'), 1, ['open', 'fdatasync']],
  ]);
});

test.run();

