/**
 * signals.c under the recorder: fsyncs made by a signal handler that
 * interrupts the program's own calls are recorded, and so are the program's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, events, invariantProblems, lazy, onlyTrace, run } from './harness.js';

const signals = lazy(() => run('signals', (d) => [d.data, '20000'], { env: { FSYNC_TRACE_MAX_BYTES: String(8 << 20) } }));

test.after(cleanup);

function counted() {
  const r = signals();
  assert.is(r.status, 0, r.stderr);
  const count = account(r.stdout).find((l) => l.kind === 'count')!.f;
  const trace = onlyTrace(r);
  const syncs = events(trace).filter((e) => e.type === 'sync');
  const byFile = (name: string) => syncs.filter((e) => e.path === `${r.dirs.data}/${name}`);
  return { r, trace, syncs, main: Number(count.main), handler: Number(count.handler), mainEvents: byFile('main'), handlerEvents: byFile('handler') };
}

test('the trace is well formed, every recorded fsync is on the main thread and succeeded', () => {
  const { r, trace, syncs, handler } = counted();
  assert.ok(handler > 50, `the handler ran ${handler} times`);
  assert.equal(invariantProblems(trace, { nested: true }), []);
  assert.ok(syncs.every((e) => e.res === 0 && e.tid === r.pid));
});

test('every fsync of the interrupted program is recorded', () => {
  const { main, mainEvents } = counted();
  assert.is(mainEvents.length, main);
});

test('every fsync of the signal handler is recorded, even when it interrupted the recorder', () => {
  const { handler, handlerEvents, trace } = counted();
  assert.is(handlerEvents.length, handler,
    `${handler - handlerEvents.length} of ${handler} handler fsyncs missing; header.dropped = ${trace.header.dropped}`);
});

test('the interrupted file keeps exact intervals: one 1-byte write per fsync', () => {
  const r = signals();
  const main = events(onlyTrace(r)).filter((e) => e.type === 'sync' && e.path === `${r.dirs.data}/main`);
  assert.ok(main.every((e) => e.bytes === 1n && e.writes === 1), `${main.filter((e) => e.bytes !== 1n || e.writes !== 1).length} fsyncs with another interval`);
});

test('the summaries count every fsync of both files exactly, with their latencies (a handler that lands in a thread\'s own entry update counts into a shared one)', () => {
  const { r, trace, main, handler, mainEvents, handlerEvents } = counted();
  const s = trace.summaries;
  const per = new Map<string, { calls: number; sumNs: bigint }>();
  for (let i = 0; i < s.length; i++) {
    if (s.call[i] !== 1) continue;
    const name = trace.paths.get(s.pathId[i]!)?.name ?? '';
    const x = per.get(name) ?? { calls: 0, sumNs: 0n };
    x.calls += s.calls[i]!;
    x.sumNs += s.sumNs[i]!;
    per.set(name, x);
  }
  const sum = (es: typeof mainEvents) => es.reduce((n, e) => n + e.durNs, 0n);
  assert.equal(per.get(`${r.dirs.data}/main`), { calls: main, sumNs: sum(mainEvents) });
  assert.equal(per.get(`${r.dirs.data}/handler`), { calls: handler, sumNs: sum(handlerEvents) });
  assert.is(trace.stats.incompleteEntries, 0);
});

test.run();
