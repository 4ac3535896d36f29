/**
 * spill.c under the recorder: more writes between two fsyncs than a file's
 * packed count holds (4 Mi: ft_files.h, FT_BW_HALF), from two threads at
 * once. The count moves to the side table and back without a write lost or
 * counted twice, and the next interval starts from nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, events, invariantProblems, lazy, onlyTrace, run } from './harness.js';

const THREADS = 2;
const WRITES = 2_200_000; // 4,400,000 in all: past 4,194,304 (2^22)

// 4.4 M write calls: 14-22 s at load 16 (7 s of CPU), past the default 30-s guard at more.
const spill = lazy(() => run('spill', (d) => [d.data, String(THREADS), String(WRITES)], { timeoutMs: 300_000 }));

test.after(cleanup);

test('4.4 M one-byte writes from two threads, then an fsync: it counts every one, and the next fsync only its own 3', () => {
  const r = spill();
  assert.is(r.status, 0, r.stderr);
  const wrote = account(r.stdout).find((l) => l.kind === 'wrote');
  assert.equal([wrote?.f.count, wrote?.f.bytes], [String(THREADS * WRITES), String(THREADS * WRITES)]);
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  const syncs = events(trace).filter((e) => e.type === 'sync' && e.path === `${r.dirs.data}/spilled`);
  assert.equal(
    syncs.map((e) => [e.res, e.writes, e.bytes]),
    [[0, THREADS * WRITES, BigInt(THREADS * WRITES)], [0, 3, 3n]],
  );
});

test.run();
