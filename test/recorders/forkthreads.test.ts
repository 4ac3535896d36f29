/**
 * forkthreads.c under the recorder: fork while other threads record. No
 * child hangs, each child records into its own file, and the parent's file
 * holds exactly the parent's calls.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, countBy, events, invariantProblems, lazy, run } from './harness.js';

const THREADS = 4;
const FORKS = 12;
const HDR_ENDED = 0x1;
const HDR_FORKED = 0x2;

// 256 MiB: a ring of a million slots (a quarter of the file). The threads
// fsync until the forks are done, up to ~100k times each on a fast machine,
// and every one must still be in the ring (the summaries count them too).
const forked = lazy(() => run('forkthreads', (d) => [d.data, String(THREADS), String(FORKS)], { env: { FSYNC_TRACE_MAX_BYTES: String(256 << 20) } }));

test.after(cleanup);

function said() {
  const lines = account(forked().stdout);
  return {
    threads: lines.filter((l) => l.kind === 'thread').map((l) => ({ index: Number(l.f.index), tid: Number(l.f.tid), fsyncs: Number(l.f.fsyncs) })),
    children: lines.filter((l) => l.kind === 'child').map((l) => ({ index: Number(l.f.index), pid: Number(l.f.pid), status: Number(l.f.status) })),
  };
}

test('every fork child finishes (none stuck on a lock) and leaves its own file', () => {
  const r = forked();
  assert.is(r.status, 0, r.stderr);
  const { children } = said();
  assert.equal(children.map((c) => c.status), Array(FORKS).fill(0));
  assert.is(r.files.length, 1 + FORKS);
  for (const c of children) {
    const t = r.traces.find((x) => x.header.pid === c.pid);
    assert.ok(t, `a trace for child ${c.index}`);
    assert.equal(invariantProblems(t!), []);
    assert.equal([t!.header.ppid, t!.header.flags], [r.pid, HDR_FORKED | HDR_ENDED]);
    assert.equal(events(t!).filter((e) => e.type === 'sync').map((e) => [e.tid, e.path, e.res, e.bytes, e.writes]),
      [[c.pid, `${r.dirs.data}/child${c.index}`, 0, 1n, 1]]);
  }
});

test('the parent file holds each thread\'s fsyncs, exactly', () => {
  const r = forked();
  const { threads } = said();
  const t = r.traces.find((x) => x.header.pid === r.pid);
  assert.ok(t);
  assert.equal(invariantProblems(t!), []);
  const syncs = events(t!).filter((e) => e.type === 'sync');
  // A thread the scheduler kept waiting until the forks were over made no fsync: no key.
  assert.equal(countBy(syncs, (e) => `${e.tid} ${e.path}`),
    Object.fromEntries(threads.filter((w) => w.fsyncs > 0).map((w) => [`${w.tid} ${r.dirs.data}/w${w.index}`, w.fsyncs])));
  assert.ok(syncs.every((e) => e.res === 0 && e.bytes === 1n && e.writes === 1));
  // The summary ring counts the same calls, per file, and none of the children's.
  const s = t!.summaries;
  const counted: Record<string, number> = {};
  for (let i = 0; i < s.length; i++) {
    const path = t!.paths.get(s.pathId[i]!)?.name ?? `#${s.pathId[i]}`;
    counted[path] = (counted[path] ?? 0) + s.calls[i]!;
  }
  assert.equal(counted, Object.fromEntries(threads.filter((w) => w.fsyncs > 0).map((w) => [`${r.dirs.data}/w${w.index}`, w.fsyncs])));
});

test.run();
