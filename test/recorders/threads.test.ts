/**
 * threads.c under the recorder: threads that fsync at the same time, each on
 * its own file, then all on one file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, countBy, donePid, events, invariantProblems, lazy, onlyTrace, removeDirs, run } from './harness.js';
import { size } from './reliability.js';

const THREADS = 8;
const K = 400;

const own = lazy(() => run('threads', (d) => [d.data, String(THREADS), String(K), 'own']));
const shared = lazy(() => run('threads', (d) => [d.data, '4', '500', 'shared']));
const SMALL_K = 1500;
const small = lazy(() => run('threads', (d) => [d.data, String(THREADS), String(SMALL_K), 'own'], { env: { FSYNC_TRACE_MAX_BYTES: String(4096 + 4 * 960 * 64) } } /* a 960-slot ring: a quarter of the file */));

test.after(cleanup);

function threadsOf(stdout: string) {
  return account(stdout).filter((l) => l.kind === 'thread').map((l) => ({
    index: Number(l.f.index), tid: Number(l.f.tid), fsyncs: Number(l.f.fsyncs), failed: Number(l.f.failed), bytes: Number(l.f.bytes),
  }));
}

test('8 threads x K fsyncs: exactly 8K fsync events, K per thread, each thread its own tid', () => {
  const r = own();
  assert.is(r.status, 0, r.stderr);
  const threads = threadsOf(r.stdout);
  assert.is(threads.length, THREADS);
  assert.ok(threads.every((t) => t.failed === 0 && t.fsyncs === K));
  assert.is(new Set(threads.map((t) => t.tid)).size, THREADS);
  assert.not.ok(threads.some((t) => t.tid === donePid(account(r.stdout))), 'no worker is the main thread');
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  const fsyncs = events(trace).filter((e) => e.type === 'sync');
  assert.is(fsyncs.length, THREADS * K);
  assert.equal(countBy(fsyncs, (e) => String(e.tid)), Object.fromEntries(threads.map((t) => [String(t.tid), K])));
});

test('each thread fsyncs only its own file, with its own intervals in order', () => {
  const r = own();
  const all = events(onlyTrace(r));
  for (const t of threadsOf(r.stdout)) {
    const path = `${r.dirs.data}/t${t.index}`;
    const open = all.find((e) => e.type === 'open' && e.path === path);
    assert.ok(open && open.tid === t.tid, `thread ${t.index} opened ${path}`);
    const mine = all.filter((e) => e.type === 'sync' && e.tid === t.tid);
    const got = mine.map((e, j) => [e.path, e.res, e.bytes, e.writes, e.ivalStartNs === (j === 0 ? open!.startNs : mine[j - 1]!.startNs)]);
    const want = mine.map((_, j) => [path, 0, BigInt((j % 13) + 1), 1, true]);
    assert.equal(got, want, `thread ${t.index}`);
  }
});

test('threads sharing a file: intervals add up to every byte and write, none counted twice', () => {
  const r = shared();
  assert.is(r.status, 0, r.stderr);
  const threads = threadsOf(r.stdout);
  const trace = onlyTrace(r);
  assert.equal(invariantProblems(trace), []);
  const fsyncs = events(trace).filter((e) => e.type === 'sync');
  assert.is(fsyncs.length, 4 * 500);
  assert.ok(fsyncs.every((e) => e.path === `${r.dirs.data}/shared` && e.res === 0));
  assert.equal(countBy(fsyncs, (e) => String(e.tid)), Object.fromEntries(threads.map((t) => [String(t.tid), 500])));
  const bytes = fsyncs.reduce((s, e) => s + e.bytes, 0n);
  const writes = fsyncs.reduce((s, e) => s + e.writes, 0);
  assert.equal([bytes, writes], [BigInt(threads.reduce((s, t) => s + t.bytes, 0)), 4 * 500]);
});

test('threads syncing one file at once, many runs: each interval starts at the open or at a sync of the file, and the counts stay exact', () => {
  // The interval's start is a plain load and store (ft_file_take): two
  // syncs at once may read the same start, and either restart may stay.
  // What must hold: an interval starts at a time the file really restarted
  // (its open or one of its syncs' starts), never after its own sync, and
  // bytes and writes, which are exchanged, add up exactly.
  const problems: string[] = [];
  const rounds = size(5, 50);
  for (let round = 0; round < rounds; round++) {
    const r = run('threads', (d) => [d.data, '4', '300', 'shared']);
    try {
      assert.is(r.status, 0, r.stderr);
      const threads = threadsOf(r.stdout);
      const trace = onlyTrace(r);
      problems.push(...invariantProblems(trace).map((p) => `run ${round}: ${p}`));
      const all = events(trace);
      const path = `${r.dirs.data}/shared`;
      const open = all.find((e) => e.type === 'open' && e.path === path);
      const fsyncs = all.filter((e) => e.type === 'sync');
      const restarts = new Set([open?.startNs, ...fsyncs.map((e) => e.startNs)]);
      const strays = fsyncs.filter((e) => !restarts.has(e.ivalStartNs) || e.ivalStartNs > e.startNs);
      if (strays.length) problems.push(`run ${round}: ${strays.length} intervals start at no restart of the file`);
      const bytes = fsyncs.reduce((s, e) => s + e.bytes, 0n);
      const writes = fsyncs.reduce((s, e) => s + e.writes, 0);
      const want = [BigInt(threads.reduce((s, t) => s + t.bytes, 0)), 4 * 300, 4 * 300];
      if (JSON.stringify([String(bytes), writes, fsyncs.length]) !== JSON.stringify([String(want[0]), want[1], want[2]])) {
        problems.push(`run ${round}: ${bytes} bytes, ${writes} writes, ${fsyncs.length} fsyncs; want ${want.join(', ')}`);
      }
    } finally {
      removeDirs(r.dirs);
    }
  }
  assert.equal(problems, []);
});

test('8 threads through a 960-slot ring: every record decodes, is named, and keeps its interval', () => {
  const r = small();
  assert.is(r.status, 0, r.stderr);
  const trace = onlyTrace(r); // decoding checks every record sits in its slot
  assert.equal(invariantProblems(trace), []);
  assert.ok(Number(trace.header.nextSeq) >= THREADS * SMALL_K);
  const all = events(trace);
  const fsyncs = all.filter((e) => e.type === 'sync');
  assert.ok(fsyncs.length > 800 && fsyncs.length <= 960, `${fsyncs.length} fsyncs kept`);
  // A thread claims sequence numbers in blocks, so besides its newest records a
  // few older ones may survive in slots whose next lap was never written: a
  // thread's survivors are runs of consecutive fsyncs. Within a run (each
  // interval starting at the fsync before), the sizes follow (j % 13) + 1.
  for (const t of threadsOf(r.stdout)) {
    const mine = fsyncs.filter((e) => e.tid === t.tid);
    const broken = mine.filter((e, j) => j > 0 && e.ivalStartNs === mine[j - 1]!.startNs && e.bytes !== (mine[j - 1]!.bytes % 13n) + 1n);
    assert.equal([t.index, broken.map((e) => e.seq)], [t.index, []]);
    assert.ok(mine.every((e) => e.path === `${r.dirs.data}/t${t.index}` && e.writes === 1 && e.res === 0));
  }
  const newest = fsyncs.reduce((a, b) => (b.startNs > a.startNs ? b : a));
  assert.is(newest.bytes, BigInt(((SMALL_K - 1) % 13) + 1), 'the last fsync made is kept');
});

test('threads whose first records come at one moment lose none of them (ten runs)', () => {
  // The first record of a process creates its trace file; records other
  // threads make meanwhile must wait for it or be kept some other way.
  const lost: string[] = [];
  for (let round = 0; round < 10; round++) {
    const r = run('threads', (d) => [d.data, String(THREADS), '5', 'race']);
    try {
      assert.is(r.status, 0, r.stderr);
      const trace = onlyTrace(r);
      const all = events(trace);
      const opens = all.filter((e) => e.type === 'open').length;
      const fsyncs = all.filter((e) => e.type === 'sync').length;
      if (trace.header.dropped !== 0n || opens !== THREADS || fsyncs !== THREADS * 5) {
        lost.push(`run ${round}: dropped ${trace.header.dropped}, ${opens} opens, ${fsyncs} fsyncs`);
      }
    } finally {
      removeDirs(r.dirs);
    }
  }
  assert.equal(lost, []);
});

test('opens and closes held before the first fsync keep their thread\'s order, whoever puts them in the ring', () => {
  // Each thread opens, writes and closes new files from the same instant,
  // fsyncing every fourth: the opens and closes of the other threads are held
  // while the first fsync makes the trace, some holds finish while it is being
  // made, and the threads' next records race with the placing of the held
  // ones. Every record of a thread, held or not, must sort after its thread's
  // earlier ones (invariantProblems checks start order per thread, every record).
  const rounds = size(20, 200);
  const K = 8;
  const problems: string[] = [];
  let held = 0;
  for (let round = 0; round < rounds; round++) {
    const r = run('threads', (d) => [d.data, String(THREADS), String(K), 'holds']);
    try {
      assert.is(r.status, 0, r.stderr);
      const trace = onlyTrace(r);
      const all = events(trace);
      problems.push(...invariantProblems(trace).map((p) => `run ${round}: ${p}`));
      const counts = countBy(all, (e) => e.type);
      const want = { open: THREADS * K + 1, close: THREADS * K + 1, sync: (THREADS * K) / 4 };
      if (counts.open !== want.open || counts.close !== want.close || counts.sync !== want.sync) problems.push(`run ${round}: ${JSON.stringify(counts)}`);
      const firstSync = all.find((e) => e.type === 'sync')!;
      held += all.filter((e) => e.seq < firstSync.seq && e.tid !== firstSync.tid).length;
    } finally {
      removeDirs(r.dirs);
    }
  }
  assert.equal(problems, []);
  // The main thread's open and close of "main" are held in every run; how many of
  // the workers' are depends on the scheduler (about 5 a run on this machine).
  assert.ok(held >= rounds * 2, `${held} records of other threads held in ${rounds} runs`);
});

test('threads filling many 4096-slot chunks of a large ring drop nothing (two runs)', () => {
  // The ring is made real one chunk ahead of the writers; 8 threads x 6000
  // fsyncs cross a dozen chunk boundaries with the ring far from full.
  for (let round = 0; round < 2; round++) {
    const r = run('threads', (d) => [d.data, String(THREADS), '6000', 'own'], { env: { FSYNC_TRACE_MAX_BYTES: String(16 << 20) } });
    try {
      assert.is(r.status, 0, r.stderr);
      const trace = onlyTrace(r);
      const fsyncs = events(trace).filter((e) => e.type === 'sync');
      assert.equal([round, trace.header.dropped, fsyncs.length], [round, 0n, THREADS * 6000]);
      assert.equal(countBy(fsyncs, (e) => String(e.tid)), Object.fromEntries(threadsOf(r.stdout).map((t) => [String(t.tid), 6000])));
    } finally {
      removeDirs(r.dirs);
    }
  }
});

test.run();
