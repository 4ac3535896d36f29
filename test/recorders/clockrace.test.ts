/**
 * clockrace.c under the recorder: a signal handler that records a call while
 * the interrupted thread is reading the recorder's clock must not corrupt
 * the interrupted call's times.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, events, lazy, onlyTrace, run } from './harness.js';

const CALLS = 200000;

/** Two runs: the race needs the main thread preempted at one instruction, so one run may miss it. */
const runs = lazy(() => [0, 1].map(() => {
  const r = run('clockrace', [String(CALLS), '4'], {
    env: { FSYNC_TRACE_MAX_BYTES: String(32 << 20), FSYNC_TRACE_SUMMARY_SECONDS: '0' }, /* all 32 MiB for the ring */
    // Four hogs spin beside the main thread on purpose: a run took 26 s at load 6-11 on this
    // 2-core machine (12 s of CPU), so the default 30-s guard killed it at load 10 and more.
    timeoutMs: 300_000,
  });
  const trace = onlyTrace(r);
  const all = events(trace);
  return { r, trace, main: all.filter((e) => e.fd === -1), handler: all.filter((e) => e.fd === -2) };
}));

test.after(cleanup);

test('every call of the main thread and of its signal handler is recorded as failed with EBADF', () => {
  for (const { r, main, handler } of runs()) {
    assert.is(r.status, 0, r.stderr);
    const count = account(r.stdout).find((l) => l.kind === 'count')!.f;
    assert.is(main.length, CALLS);
    assert.ok(main.every((e) => e.call === 'fsync' && e.res === -9) && handler.every((e) => e.call === 'fsync' && e.res === -9));
    assert.ok(handler.length > 1000 && handler.length <= Number(count.handler), `${handler.length} of ${count.handler} handler calls`);
  }
});

/** Pairs of consecutive main-thread calls whose second starts `slack` ns or more before the first. */
function backwards(slack: bigint): string[] {
  const found: string[] = [];
  for (const { main } of runs()) {
    for (let i = 1; i < main.length; i++) {
      const [a, b] = [main[i - 1]!, main[i]!];
      if (b.startNs + slack <= a.startNs) found.push(`seq ${a.seq} starts at ${a.startNs} (lasting ${a.durNs} ns), seq ${b.seq} after it at ${b.startNs}`);
    }
  }
  return found;
}

test('no call of the main thread is timed from two clock anchors at once (a jump of a millisecond)', () => {
  assert.equal(backwards(1000n), []);
});

test('the main thread\'s own calls start in the order it made them, to the nanosecond', () => {
  assert.equal(backwards(0n), []);
});

test('every call of the main thread has a duration', () => {
  const zero = runs().flatMap(({ main }) => main.filter((e) => e.durNs <= 0n).map((e) => `seq ${e.seq}`));
  assert.equal(zero, []);
});

test.run();
