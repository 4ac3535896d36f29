/**
 * rawfork.c under the recorder: a child made by _Fork() (no atfork handler
 * runs) starts on its parent's thread state and file tracks, which say the
 * parent's thread owns the file's summary entries. The child's records and
 * summaries must be its own: its threads' tids, exact counts in each file,
 * and the parent's file untouched by the child.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, countBy, events, invariantProblems, lazy, run } from './harness.js';
import type { DecodedTrace } from '../../src/trace/decode.js';

const N = 3000;
const forked = lazy(() => run('rawfork', (d) => [d.data, String(N)], { env: { FSYNC_TRACE_MAX_BYTES: String(8 << 20) } }));

test.after(cleanup);

function said() {
  const r = forked();
  const lines = account(r.stdout);
  const tid = (who: string) => Number(lines.find((l) => l.kind === 'sync' && l.f.who === who)!.f.tid);
  const child = lines.find((l) => l.kind === 'child')!.f;
  return { r, tid, childPid: Number(child.pid), childStatus: Number(child.status) };
}

/** The fsync calls counted in a trace's summaries, per file name. */
function summarised(t: DecodedTrace): Record<string, number> {
  const s = t.summaries;
  const counted: Record<string, number> = {};
  for (let i = 0; i < s.length; i++) {
    if (s.call[i] !== 1) continue;
    const path = t.paths.get(s.pathId[i]!)?.name ?? `#${s.pathId[i]}`;
    counted[path] = (counted[path] ?? 0) + s.calls[i]!;
  }
  return counted;
}

test('the _Fork child leaves its own trace, with its own threads\' tids on every record', () => {
  const { r, tid, childPid, childStatus } = said();
  assert.is(r.status, 0, r.stderr);
  assert.is(childStatus, 0);
  assert.is(r.traces.length, 2);
  const child = r.traces.find((t) => t.header.pid === childPid)!;
  assert.ok(child, 'a trace for the child');
  assert.equal(invariantProblems(child), []);
  const shared = `${r.dirs.data}/shared`;
  const syncs = events(child).filter((e) => e.type === 'sync');
  // The handler's fsync ran on the child's main thread, before it recorded anything else.
  assert.equal(countBy(syncs, (e) => `${e.tid} ${e.path}`), { [`${childPid} ${shared}`]: N + 1, [`${tid('second')} ${shared}`]: N });
  assert.is(tid('child'), childPid);
  assert.ok(syncs.every((e) => e.res === 0));
  // Two threads write and sync the one file at once: a sync may take the other's
  // byte with its own, or none, but the child's intervals add up to its writes.
  assert.equal([syncs.reduce((n, e) => n + e.bytes, 0n), syncs.reduce((n, e) => n + e.writes, 0)], [BigInt(2 * N + 1), 2 * N + 1]);
});

test('each trace\'s summaries count exactly its own process\'s fsyncs of the inherited file', () => {
  const { r, childPid } = said();
  const shared = `${r.dirs.data}/shared`;
  const parent = r.traces.find((t) => t.header.pid === r.pid)!;
  const child = r.traces.find((t) => t.header.pid === childPid)!;
  assert.equal(summarised(child), { [shared]: 2 * N + 1 });
  assert.equal(summarised(parent), { [shared]: 2 * N });
  assert.equal(countBy(events(parent).filter((e) => e.type === 'sync'), (e) => `${e.tid}`), { [String(r.pid)]: 2 * N });
  assert.is(child.stats.incompleteEntries, 0);
  assert.is(parent.stats.incompleteEntries, 0);
});

test.run();
