/**
 * The trace header the recorder writes: who, where, when, and the size cap.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { bin, cleanup, events, lazy, onlyTrace, removeDirs, run } from './harness.js';

const DEFAULT_MAX = 64 * 1024 * 1024;
const ARG = 'a dïr with spaces — and ünïcode';

const plain = lazy(() => run('sample', (d) => {
  mkdirSync(join(d.data, ARG));
  return [join(d.data, ARG), '3', '100'];
}, { env: { FSYNC_TRACE_MAX_BYTES: undefined } }));

test.after(cleanup);

test('identity: pid, ppid, uid, exe, command line, host, boot id', () => {
  const r = plain();
  assert.is(r.status, 0, r.stderr);
  const h = onlyTrace(r).header;
  assert.equal(
    { version: h.version, pid: h.pid, ppid: h.ppid, uid: h.uid, exe: h.exe, cmdline: h.cmdline, truncated: h.cmdlineTruncated, host: h.host, bootId: h.bootId },
    {
      version: 2, pid: r.pid, ppid: process.pid, uid: process.getuid!(), exe: bin('sample'),
      cmdline: [bin('sample'), join(r.dirs.data, ARG), '3', '100'], truncated: false,
      host: hostname(), bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    });
  assert.match(h.recorderVersion, /^[\x21-\x7e]+$/, 'a printable recorder version');
});

test('state: ended normally, nothing dropped, every record counted', () => {
  const t = onlyTrace(plain());
  assert.equal([t.header.flags, t.header.dropped], [0x1, 0n]);
  // open, sync, close at least: the paths are in the names region, not the ring.
  assert.ok(Number(t.header.nextSeq) >= t.stats.records && t.stats.records >= 3, `next_seq ${t.header.nextSeq}, ${t.stats.records} records`);
  assert.is(t.stats.newerThanHeader, 0);
});

test('the default cap: 64 MiB, a file of that size, a quarter of its slots the ring, then keep, summary, names, aside', () => {
  const r = plain();
  const t = onlyTrace(r);
  const h = t.header;
  const all = (DEFAULT_MAX - 4096) / 64; // 1,048,512 slots
  assert.equal([h.maxBytes, h.ringSlots], [BigInt(DEFAULT_MAX), all / 4]);
  // keep an eighth, names an eighth; the rest is summary entries of 3 slots, each with 2 aside slots
  const keep = all / 8, names = all / 8, entries = Math.floor((all - all / 4 - keep - names) / 5);
  assert.is(entries, 104_851);
  const summary = entries * 3;
  assert.equal([h.keep, h.summary, h.names, h.aside], [
    { offset: 4096 + (all / 4) * 64, slots: keep },
    { offset: 4096 + (all / 4 + keep) * 64, slots: summary },
    { offset: 4096 + (all / 4 + keep + summary) * 64, slots: names },
    { offset: 4096 + (all / 4 + keep + summary + names) * 64, slots: entries * 2 },
  ]);
  // the regions' slots, 1 short of the cap (entries of 5 slots do not divide the rest evenly)
  assert.is(statSync(join(r.dirs.traces, r.files[0]!)).size, 4096 + (all / 4 + keep + summary + names + entries * 2) * 64);
  assert.is(DEFAULT_MAX - statSync(join(r.dirs.traces, r.files[0]!)).size, 64);
});

test('the always-on settings: their defaults, in the header', () => {
  const h = onlyTrace(plain()).header;
  assert.equal(
    [h.summaryIntervalS, h.alertMs, h.alertFactor, h.alertMinMs, h.alertEveryS, h.costPeriod, h.alertSink],
    [60, 1000, 10, 10, 10, 64, 1]);
});

test('FSYNC_TRACE_SUMMARY_SECONDS=0: no summaries, no keep ring; the ring takes every slot but the names', () => {
  const r = run('sample', (d) => [d.data, '3', '100'], { env: { FSYNC_TRACE_SUMMARY_SECONDS: '0' } });
  try {
    const t = onlyTrace(r);
    const all = ((1 << 20) - 4096) / 64, names = Math.floor(all / 8);
    assert.equal([t.header.version, t.header.ringSlots, t.header.keep, t.header.summary, t.header.names, t.header.costPeriod],
      [2, all - names, null, null, { offset: 4096 + (all - names) * 64, slots: names }, 0]);
    assert.equal([t.summaries.length, t.kept.length, t.costs.length], [0, 0, 0]);
    assert.is(statSync(join(r.dirs.traces, r.files[0]!)).size, 1 << 20);
  } finally {
    removeDirs(r.dirs);
  }
});

test('clock anchors put every event inside the run, in wall time', () => {
  const r = plain();
  const t = onlyTrace(r);
  const wallMs = (mono: bigint): number => Number(t.header.realtimeNs + mono - t.header.monotonicNs) / 1e6;
  const anchorMs = Number(t.header.realtimeNs) / 1e6;
  assert.ok(anchorMs >= r.startedMs - 5 && anchorMs <= r.endedMs + 5, `anchor ${anchorMs} in ${r.startedMs}..${r.endedMs}`);
  for (const e of events(t)) {
    const ms = wallMs(e.startNs);
    assert.ok(ms >= r.startedMs - 5 && ms <= r.endedMs + 5, `event seq ${e.seq} at ${ms}, run ${r.startedMs}..${r.endedMs}`);
  }
});

test('the file is named <exe>.<pid>.<seconds>.<nanoseconds>.fstrace, from the start of the process', () => {
  const r = plain();
  const m = /^sample\.(\d+)\.(\d+)\.(\d+)\.fstrace$/.exec(r.files[0]!);
  assert.ok(m, r.files[0]);
  assert.is(Number(m![1]), r.pid);
  const ms = Number(m![2]) * 1000 + Number(m![3]) / 1e6;
  assert.ok(ms >= r.startedMs - 5 && ms <= r.endedMs + 5, `named for ${ms}, run ${r.startedMs}..${r.endedMs}`);
  assert.ok(Number(m![3]) < 1e9);
});

test('a command line too long for the header is cut and flagged', () => {
  const long = 'x'.repeat(3000);
  const r = run('sample', (d) => [d.data, '1', '10', long]);
  try {
    assert.is(r.status, 0, r.stderr);
    const h = onlyTrace(r).header;
    assert.is(h.cmdlineTruncated, true);
    assert.equal(h.cmdline.slice(0, 4), [bin('sample'), r.dirs.data, '1', '10']);
    assert.ok(h.cmdline.join('\0').length <= 2048);
    assert.ok(long.startsWith(h.cmdline[4] ?? ''), 'what is kept of the long argument is its beginning');
  } finally {
    removeDirs(r.dirs);
  }
});

test.run();
