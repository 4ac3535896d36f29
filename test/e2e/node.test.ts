/**
 * Node recorded end to end (scripts/workloads/node-sync.mjs under
 * fsync-record): libuv calls libc's fsync/fdatasync, on the main thread for
 * the synchronous API and on its worker threads for fs.promises.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeIntervals, analyzeJson, freshDir, kindsByPath, once, removeDir, ROOT, RECORD, runOk, type InfoJson, type SummaryJson } from '../../scripts/workloads/common.js';

const ROUNDS = 4;
const SCRIPT = join(ROOT, 'scripts/workloads/node-sync.mjs');

let root = '';
const recorded = once(() => {
  root = freshDir('e2e-node');
  const data = join(root, 'data');
  const traces = join(root, 'traces');
  mkdirSync(data);
  mkdirSync(traces);
  const run = runOk(RECORD, ['--quiet', '--dir', traces, '--max-bytes', '64K', '--', process.execPath, SCRIPT, data, String(ROUNDS)]);
  const account = JSON.parse(run.stdout) as { pid: number; rounds: number; node: string };
  return {
    data,
    account,
    info: analyzeJson<InfoJson>(['info', traces]),
    summary: analyzeJson<SummaryJson>(['summary', traces]),
    intervals: analyzeIntervals([traces]),
  };
});

test.after(() => removeDir(root));

test('one trace: the node process itself', () => {
  const { info, account } = recorded();
  assert.equal(info.traces.map((t) => [t.pid, t.exe, t.dropped, t.torn]), [[account.pid, process.execPath, 0, 0]]);
});

test('every sync, by file and kind', () => {
  const { summary, data } = recorded();
  assert.equal(kindsByPath(summary), {
    [join(data, 'sync.dat')]: { fsync: ROUNDS },
    [join(data, 'promise.dat')]: { fsync: ROUNDS, fdatasync: ROUNDS },
    [join(data, 'flushed.dat')]: { fsync: 1 },
    [join(data, 'flushed-sync.dat')]: { fsync: 1 },
  });
  assert.equal(summary.totals, { calls: 3 * ROUNDS + 2, by_kind: { fsync: 2 * ROUNDS + 2, fdatasync: ROUNDS }, errors: 0, processes: 1, summarized_only: 0, unaccounted: 0, uncounted_records: 0 });
});

test('each sync makes durable what was written since the one before', () => {
  const { intervals, data } = recorded();
  const of = (name: string) => intervals.filter((i) => i.path === join(data, name)).map((i) => [i.kind, i.bytes, i.writes, i.res]);
  assert.equal(of('sync.dat'), Array.from({ length: ROUNDS }, () => ['fsync', 1000, 1, 0]));
  assert.equal(of('promise.dat'), Array.from({ length: ROUNDS }, () => [['fsync', 2000, 1, 0], ['fdatasync', 100, 1, 0]]).flat());
  assert.equal(of('flushed.dat'), [['fsync', 5, 1, 0]]);
  assert.equal(of('flushed-sync.dat'), [['fsync', 12, 1, 0]]);
});

test('the synchronous API syncs on the main thread, fs.promises on libuv worker threads', () => {
  const { intervals, data, account } = recorded();
  const tids = (name: string) => new Set(intervals.filter((i) => i.path === join(data, name)).map((i) => i.tid));
  assert.equal([...tids('sync.dat')], [account.pid], 'fsyncSync runs on the main thread (tid = pid)');
  assert.equal([...tids('flushed-sync.dat')], [account.pid]);
  const pool = new Set([...tids('promise.dat'), ...tids('flushed.dat')]);
  assert.ok(pool.size >= 1);
  assert.not.ok(pool.has(account.pid), `FileHandle.sync()/datasync() and writeFile(flush) ran on worker threads, not the main thread: ${[...pool].join(', ')}`);
  assert.ok(intervals.every((i) => i.pid === account.pid));
});

test.run();
