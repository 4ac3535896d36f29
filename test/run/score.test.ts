// The verdict scenarios' scoring (test/bench/verdicts/score.ts): injected calls paired with
// outliers, from constructed rows whose pairing is known.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOCK_SLACK_NS, match, readHeld, readLog, shimTruth, type Flagged, type Injected } from '../bench/verdicts/score.js';

const MS = 1_000_000n;
const T = 1_796_000_000_000n * MS; // some instant, ns since the epoch
const PID = 4242;

/** A call the shim slowed by 80 ms, stamped `lag` ns after the recorded start (negative: before it). */
function slowed(recordedStart: bigint, lag: bigint, tid = PID): Injected {
  return { pid: PID, tid, startNs: recordedStart + lag, delayNs: 80n * MS, errno: 0 };
}

function outlier(startNs: bigint, latencyMs: number, incident = 1, failed = false, tid = PID): Flagged {
  return { pid: PID, tid, startNs, latencyNs: BigInt(latencyMs) * MS, failed, incident };
}

test('a stamp 1.3 µs before the recorded start (the recorder\'s extrapolated clock under load) is found, not false', () => {
  // The CI failure of 2026-12-07: the directory fsync after its file's, recorded 1.3 µs late.
  const file = T;
  const dir = T + 80n * MS + 900n;
  const m = match([outlier(file, 80), outlier(dir, 80)], { injected: [slowed(file, 300n), slowed(dir, -1300n)] });
  assert.equal(m.foundBy, [0, 1]);
  assert.is(m.falseOutliers, 0);
  assert.equal([...m.incidents], [1]);
});

test('back-to-back calls pair with their own outlier whatever order the outliers come in', () => {
  // The file's fsync ends 0.9 µs before the directory's starts: each stamp lies in both widened spans.
  const file = T;
  const dir = T + 80n * MS + 900n;
  const injected = [slowed(file, -800n), slowed(dir, -800n)];
  const worstFirst = [outlier(dir, 81, 2), outlier(file, 80, 1)];
  const m = match(worstFirst, { injected });
  assert.equal(m.foundBy, [1, 0]);
  assert.is(m.falseOutliers, 0);
  assert.equal([...m.incidents].sort(), [1, 2]);
});

test('a call the analyzer missed stays missed, even beside a flagged neighbour of its thread', () => {
  const before = T - 30n * MS; // a normal call that happened to be slow (15 ms), ending 1 µs before
  const dir = before + 15n * MS + 1000n;
  // The injected call's own outlier is absent: the neighbour (too short to be it) must not stand in.
  const m = match([outlier(before, 15)], { injected: [slowed(dir, 200n)] });
  assert.equal(m.foundBy, [-1]);
  assert.is(m.falseOutliers, 1);
  // And a long one of another thread at the same instant is not it either.
  const other = match([outlier(dir, 80, 1, false, PID + 1)], { injected: [slowed(dir, 200n)] });
  assert.equal(other.foundBy, [-1]);
  assert.is(other.falseOutliers, 1);
});

test('a stamp beyond the clock slack on either side is not the outlier\'s', () => {
  const early = match([outlier(T, 80)], { injected: [slowed(T, -CLOCK_SLACK_NS - 1n)] });
  assert.equal(early.foundBy, [-1]);
  const late = match([outlier(T, 80)], { injected: [slowed(T, 80n * MS + CLOCK_SLACK_NS + 1n)] });
  assert.equal(late.foundBy, [-1]);
  // Inside the call (the shim entered late: the thread was preempted in between) it is.
  const inside = match([outlier(T, 85)], { injected: [slowed(T, 4n * MS)] });
  assert.equal(inside.foundBy, [0]);
});

test('a failed call is found by a failed outlier only; truth without the shim\'s detail pairs by time', () => {
  const failed: Injected = { pid: PID, tid: PID, startNs: T + 200n, delayNs: 0n, errno: 5 };
  assert.equal(match([outlier(T, 0)], { injected: [failed] }).foundBy, [-1]);
  assert.equal(match([outlier(T, 0, 1, true)], { injected: [failed] }).foundBy, [0]);
  // Contention truth: the recorded calls themselves, start exact, the outlier's truncated to the µs.
  const contended: Injected = { pid: PID, tid: PID, startNs: T + 999n };
  assert.equal(match([outlier(T, 40)], { injected: [contended] }).foundBy, [0]);
  // ... and no further: neither a µs on, nor a ns before the outlier's start.
  assert.equal(match([outlier(T, 40)], { injected: [{ ...contended, startNs: T + 1000n }] }).foundBy, [-1]);
  assert.equal(match([outlier(T, 40)], { injected: [{ ...contended, startNs: T - 1n }] }).foundBy, [-1]);
});

test('unpaired outliers are false unless the truth excuses them', () => {
  const excused = (o: { startNs: bigint }) => o.startNs >= T + 1000n * MS;
  const m = match([outlier(T, 80), outlier(T + 500n * MS, 20), outlier(T + 2000n * MS, 30)],
    { injected: [slowed(T, 100n)], excused });
  assert.equal(m.foundBy, [0]);
  assert.is(m.falseOutliers, 1);
  assert.is(m.excused, 1);
});

test('readLog takes who, when, the sleep and the errno from the shim\'s lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-'));
  try {
    const log = join(dir, 'injected.log');
    writeFileSync(log, 'inject 10 11 4 1796000000123456789 80000 0 /d/alpha/data.0\n' +
      'inject 10 12 5 1796000000223456789 0 5 /d/alpha\nnot a line\n');
    assert.equal(readLog(log), [
      { pid: 10, tid: 11, startNs: 1796000000123456789n, delayNs: 80n * MS, errno: 0 },
      { pid: 10, tid: 12, startNs: 1796000000223456789n, delayNs: 0n, errno: 5 },
    ]);
    assert.equal(readLog(join(dir, 'none.log')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a normal call the machine held excuses its outlier when the machine made half of it or more; no other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'score-'));
  try {
    const log = join(dir, 'injected.log');
    const stamp = (t: bigint) => String(t + 2_000n);
    writeFileSync(log, [
      `inject ${PID} ${PID} 4 ${stamp(T)} 80000 0 /d/alpha/data.0`,
      // held 20 ms beyond a 0.3-ms sleep: its 25-ms outlier is the machine's
      `held ${PID} ${PID} ${stamp(T + 1000n * MS)} 300 20300`,
      // held 5 ms: a 30-ms outlier there is mostly not the machine's
      `held ${PID} ${PID} ${stamp(T + 2000n * MS)} 300 5300`,
      // another thread's held call, at the time of this thread's outlier
      `held ${PID} ${PID + 1} ${stamp(T + 3000n * MS)} 300 40300`,
      '',
    ].join('\n'));
    assert.equal(readHeld(log)[0], { pid: PID, tid: PID, startNs: T + 1000n * MS + 2_000n, drawnNs: 300_000n, tookNs: 20_300_000n });
    const truth = shimTruth(log, 'file');
    assert.equal([truth.injected.length, truth.excusedCalls], [1, 3]);
    const m = match([outlier(T, 81), outlier(T + 1000n * MS, 25), outlier(T + 2000n * MS, 30), outlier(T + 3000n * MS, 45)], truth);
    assert.equal([m.foundBy, m.excused, m.falseOutliers], [[0], 1, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('contention truth (the recorded calls, no shim stamp) takes no clock slack: a missed call is not found by its neighbour', () => {
  // syncloop: a file's fsync (40 ms: flagged, under the truth's bar, so excused when unpaired), then its
  // directory's 6 us after it ends: in the truth, and missed by the analyzer.
  const file = outlier(T, 40);
  const dir: Injected = { pid: PID, tid: PID, startNs: T + 40n * MS + 6_000n };
  const m = match([file], { injected: [dir], excused: () => true });
  assert.equal([m.foundBy, m.excused], [[-1], 1]);
});

test.run();
