/**
 * anchorskew.c under the recorder: a thread whose clock re-anchor is
 * preempted between its TSC reads (simulated: the clock_gettime the library
 * calls sleeps 2 ms now and then) still times every call inside the window
 * the program itself measured around it. Before ft_anchor retried a wide
 * bracket, the thread's times ran ~1 ms ahead until its next anchor.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { account, cleanup, lazy, onlyTrace, run, syncEvents } from './harness.js';

const SYNCS = 400;
/** The TSC extrapolation's error (ft_clock.h: under a microsecond), with room. */
const SLACK = 5000n;

const got = lazy(() => {
  const r = run('anchorskew', (d) => [String(SYNCS), d.data]);
  const lines = account(r.stdout);
  return { r, lines, syncs: syncEvents(onlyTrace(r)) };
});

test.after(cleanup);

test('the recorder read its clock through the slowed clock_gettime, many times', () => {
  const { r, lines, syncs } = got();
  assert.is(r.status, 0, r.stderr);
  assert.is(syncs.length, SYNCS);
  const calls = Number(lines.find((l) => l.kind === 'calls')!.f.recorder);
  assert.ok(calls >= 20, `${calls} clock reads by the recorder`);
});

test('every sync starts and ends inside the window the program measured around it', () => {
  const { lines, syncs } = got();
  const windows = lines.filter((l) => l.kind === 'sync').map((l) => [BigInt(l.f.before!), BigInt(l.f.after!)] as const);
  assert.is(windows.length, SYNCS);
  const outside: string[] = [];
  syncs.forEach((e, i) => {
    const [before, after] = windows[i]!;
    if (e.startNs + SLACK < before || e.startNs + e.durNs > after + SLACK) {
      outside.push(`sync ${i}: recorded ${e.startNs}..${e.startNs + e.durNs}, made ${before}..${after}`);
    }
  });
  assert.equal(outside.slice(0, 5), [], `${outside.length} of ${SYNCS} outside`);
});

test.run();
