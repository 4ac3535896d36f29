/**
 * The version-2 regions of a trace: keep ring, summary ring (summaries and
 * recorder cost), names region; and version-1 files still read.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TraceError } from '../../src/errors.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTrace, readTrace } from '../../src/trace/decode.js';
import { keptList } from '../../src/trace/events.js';
import { FLAG_ALERT, FLAG_KEPT, HEADER, HIST_BUCKETS, histBucket, histBucketLowNs, RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';

const FILE = 'v2.fstrace';
const LONG = `/var/lib/app/${'d'.repeat(60)}/data.db`; // a path that needs continuation records

function writer(extra: Partial<ConstructorParameters<typeof TraceWriter>[0]> = {}): TraceWriter {
  return new TraceWriter({ ringSlots: 16, keepSlots: 8, summaryEntries: 4, namesSlots: 8, summaryIntervalS: 60, ...extra });
}

function traceError(fn: () => unknown): TraceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TraceError) return err;
    throw err;
  }
  throw new Error('expected a TraceError');
}

test('kept events: a copy of a ring event is left out only when tid, start (all 64 bits) and call match, among many that hash alike', () => {
  const w = writer({ ringSlots: 64, keepSlots: 32 });
  const ring = Array.from({ length: 40 }, (_, i) => ({ call: 2, startNs: 1_000n * BigInt(i + 1) + (i % 2 === 1 ? 1n << 32n : 0n), tid: 7 + (i % 4) }));
  for (const e of ring) w.event({ type: RecordType.Sync, durNs: 10n, pathId: 0, ...e });
  // Kept event j: a copy of ring event j (j % 3 == 0), its start but 2^33 ns later (1), or its start and tid with another call (2):
  // the last two hash as the copy would.
  const kept = Array.from({ length: 30 }, (_, j) => {
    const e = ring[j]!;
    return j % 3 === 0 ? e : j % 3 === 1 ? { ...e, startNs: e.startNs + (1n << 33n) } : { ...e, call: 1 };
  });
  for (const e of kept) w.kept({ durNs: 10n, pathId: 0, ...e });
  const t = decodeTrace(w.bytes(), FILE);
  assert.equal([t.stats.keptEvents, t.stats.keptInRing], [30, 10]);
  assert.equal(keptList(t).map((e) => [e.startNs, e.tid, e.call]),
    kept.filter((_, j) => j % 3 !== 0).map((e) => [e.startNs, e.tid, e.call === 2 ? 'fdatasync' : 'fsync']));
});

test('histogram buckets: half-octave steps from 1 µs, as FORMAT.md gives them', () => {
  assert.equal([0, 1, 2, 3, 4, 5, 6, 7].map(histBucketLowNs), [0, 1024, 2048, 3072, 4096, 6144, 8192, 12288]);
  assert.equal([0, 1023, 1024, 2047, 2048, 3071, 3072, 4096, 6143, 6144].map(histBucket), [0, 0, 1, 1, 2, 2, 3, 4, 4, 5]);
  for (let k = 1; k < HIST_BUCKETS; k++) {
    assert.is(histBucket(histBucketLowNs(k)), k, `bucket ${k} starts at its lower bound`);
    assert.is(histBucket(histBucketLowNs(k) - 1), k - 1, `bucket ${k - 1} ends just before`);
  }
  assert.is(histBucketLowNs(55), 206_158_430_208);
  assert.is(histBucket(10n ** 15n), 55, 'everything above 206 s is in the last bucket');
});

test('a version-2 trace: header fields, kept events without the ring copies, names, summaries, cost', () => {
  const w = writer({ alertMs: 1000, alertFactor: 10, alertMinMs: 10, alertEveryS: 10, alerts: 3n, alertsSuppressed: 2n, costPeriod: 64, alertSink: 1, namesDropped: 1n });
  w.path({ id: 1, name: '/data/wal' })
    .event({ type: RecordType.Sync, call: 2, startNs: 5_000n, durNs: 900_000n, tid: 7, pathId: 1, flags: FLAG_KEPT })
    .event({ type: RecordType.Sync, call: 2, startNs: 6_000n, durNs: 1_000n, tid: 7, pathId: 1 });
  w.name({ id: 1, name: '/data/wal' }).name({ id: 2, name: LONG });
  w.kept({ call: 1, startNs: 1_000n, durNs: 2_000_000_000n, tid: 8, pathId: 2, res: -5, flags: FLAG_ALERT })
    .kept({ call: 2, startNs: 5_000n, durNs: 900_000n, tid: 7, pathId: 1 }) // the ring has it too
    .kept({ call: 2, startNs: 2_000n, durNs: 3_000_000n, tid: 7, pathId: 1 });
  w.summary({ call: 2, pathId: 1, intervalStartNs: 60_000_000_000n, hist: { 0: 5, 27: 2, 28: 1, 55: 1 }, errors: 1, alerts: 1, sumNs: 123n, maxNs: 99n, bytes: 4096n, writes: 3, kept: 2 })
    .cost({ intervalStartNs: 60_000_000_000n, samples: 10, sampledNs: 1_000n, calls: 640n, syncNs: 5_000_000n, syncCalls: 9n })
    .summary({ call: 5, intervalStartNs: 120_000_000_000n, calls: 4 });
  const t = decodeTrace(w.bytes(), FILE);
  const h = t.header;
  assert.equal([h.version, h.keep, h.summary, h.names], [2, { offset: 4096 + 16 * 64, slots: 8 }, { offset: 4096 + 24 * 64, slots: 12 }, { offset: 4096 + 36 * 64, slots: 8 }]);
  assert.equal([h.summaryIntervalS, h.keepNext, h.summaryNext, h.namesNext, h.namesDropped], [60, 3n, 3n, 3n, 1n]);
  assert.equal([h.alertMs, h.alertFactor, h.alertMinMs, h.alertEveryS, h.alerts, h.alertsSuppressed, h.costPeriod, h.alertSink], [1000, 10, 10, 10, 3n, 2n, 64, 1]);
  assert.equal(t.paths.get(2)?.name, LONG, 'a path only the names region holds, continuation and all');
  assert.equal(keptList(t).map((e) => [e.startNs, e.tid, e.call, e.path, e.res, e.flags]), [
    [1_000n, 8, 'fsync', LONG, -5, FLAG_ALERT | FLAG_KEPT],
    [2_000n, 7, 'fdatasync', '/data/wal', 0, FLAG_KEPT],
  ]);
  assert.equal([t.stats.keptEvents, t.stats.keptInRing, t.stats.summaryEntries, t.stats.incompleteEntries, t.stats.namedPaths], [3, 1, 3, 0, 2]);
  const s = t.summaries;
  assert.is(s.length, 2);
  assert.equal([...s.entry], [0, 2]);
  assert.equal([...s.call], [2, 5]);
  assert.equal([...s.pathId], [1, 0]);
  assert.equal([...s.intervalStartNs], [60_000_000_000n, 120_000_000_000n]);
  assert.equal([...s.calls], [9, 4]);
  assert.equal([s.errors[0], s.alerts[0], s.sumNs[0], s.maxNs[0], s.bytes[0], s.writes[0], s.kept[0]], [1, 1, 123n, 99n, 4096n, 3, 2]);
  const hist = [...s.hist.subarray(0, HIST_BUCKETS)];
  assert.equal([hist[0], hist[27], hist[28], hist[55], hist.reduce((a, b) => a + b, 0)], [5, 2, 1, 1, 9]);
  assert.equal([...s.hist.subarray(HIST_BUCKETS)].every((n) => n === 0), true);
  assert.equal(t.costs, [{ intervalStartNs: 60_000_000_000n, period: 64, samples: 10, sampledNs: 1_000n, calls: 640n, syncNs: 5_000_000n, syncCalls: 9n }]);
});

test('full keep and summary rings keep the newest, in order', () => {
  const w = writer({ keepSlots: 4, summaryEntries: 2 });
  for (let i = 1; i <= 6; i++) w.kept({ call: 1, startNs: BigInt(i * 1000), durNs: 5_000_000n, tid: 1 });
  for (let i = 1; i <= 3; i++) w.summary({ call: 1, intervalStartNs: BigInt(i) * 60_000_000_000n, calls: i });
  const t = decodeTrace(w.bytes(), FILE);
  assert.equal(keptList(t).map((e) => e.startNs), [3000n, 4000n, 5000n, 6000n]);
  assert.equal([...t.summaries.calls], [2, 3]);
  assert.equal([...t.summaries.entry], [1, 2]);
});

test('a summary entry whose slots disagree is half-written: skipped and counted', () => {
  const w = writer();
  w.summary({ call: 1, intervalStartNs: 0n, calls: 1 }).summary({ call: 1, intervalStartNs: 60_000_000_000n, calls: 2 });
  const b = w.bytes();
  const second = 4096 + 24 * 64 + 3 * 64;
  new DataView(b.buffer).setUint32(second + 2 * 64, 7, true); // its last histogram slot from another entry
  const t = decodeTrace(b, FILE);
  assert.equal([...t.summaries.calls], [1]);
  assert.is(t.stats.incompleteEntries, 1);
});

test('a file cut inside the summary ring: what is there is read, the cut record is torn', () => {
  const w = writer();
  for (let i = 0; i < 3; i++) w.summary({ call: 1, intervalStartNs: BigInt(i) * 60_000_000_000n, calls: i + 1 });
  const b = w.bytes();
  const cut = 4096 + 24 * 64 + 7 * 64 + 10; // inside entry 2's second slot
  const t = decodeTrace(b.slice(0, cut), FILE);
  assert.equal([...t.summaries.calls], [1, 2]);
  assert.is(t.stats.torn, 1);
  assert.is(decodeTrace(b.slice(0, 4096 + 24 * 64), FILE).stats.torn, 0, 'a cut between records is not torn');
});

test('a version-1 file reads as before: no regions', () => {
  const w = new TraceWriter({ ringSlots: 4, version: 1 }).event({ type: RecordType.Sync, call: 1, startNs: 10n });
  const t = decodeTrace(w.bytes(), FILE);
  assert.equal([t.header.version, t.header.keep, t.header.summary, t.header.names, t.kept.length, t.summaries.length, t.costs], [1, null, null, null, 0, 0, []]);
  assert.is(t.events.length, 1);
});

test('broken regions are corruption, named by the header field or the record', () => {
  const at = (b: Uint8Array): DataView => new DataView(b.buffer);
  let b = writer().bytes();
  at(b).setBigUint64(HEADER.keepOffset, 4096n + 15n * 64n, true);
  let err = traceError(() => decodeTrace(b, FILE));
  assert.equal([err.offset, /keep region at byte 5056, expected a multiple of 64 from 5120 on/.test(err.message)], [HEADER.keepOffset, true]);

  b = writer().bytes();
  at(b).setUint32(HEADER.summarySlots, 11, true);
  err = traceError(() => decodeTrace(b, FILE));
  assert.equal([err.offset, /summary region of 11 slots, expected a multiple of 3/.test(err.message)], [HEADER.summarySlots, true]);

  b = writer({ keepSlots: 0 }).bytes();
  at(b).setBigUint64(HEADER.keepOffset, 8192n, true);
  assert.match(traceError(() => decodeTrace(b, FILE)).message, /keep region at byte 8192 with 0 slots, expected offset 0/);

  b = writer().kept({ call: 1, startNs: 1n }).bytes();
  b[4096 + 16 * 64 + 4] = RecordType.Open;
  err = traceError(() => decodeTrace(b, FILE));
  assert.equal([err.offset, /type 4 in the keep ring/.test(err.message)], [4096 + 16 * 64 + 4, true]);

  b = writer().name({ id: 1, name: '/a' }).bytes();
  at(b).setUint32(4096 + 36 * 64, 5, true);
  assert.match(traceError(() => decodeTrace(b, FILE)).message, /names record with sequence number 5 in slot 0, expected 0/);

  b = writer().summary({ call: 1, intervalStartNs: 0n }).bytes();
  b[4096 + 24 * 64 + 5] = 0;
  assert.match(traceError(() => decodeTrace(b, FILE)).message, /summary with call 0, expected 1 to 10/);

  b = writer().summary({ call: 1, intervalStartNs: 0n }).bytes();
  at(b).setBigUint64(HEADER.summaryNext, 2n, true); // entry 0 is then where entry 0 or 4 would be: fine; make it claim 1
  at(b).setUint32(4096 + 24 * 64, 1, true);
  at(b).setUint32(4096 + 25 * 64, 1, true);
  at(b).setUint32(4096 + 26 * 64, 1, true);
  assert.match(traceError(() => decodeTrace(b, FILE)).message, /summary entry 1 does not belong at entry 0 of 4/);

  b = writer().kept({ call: 1, startNs: 1n }).bytes();
  at(b).setBigUint64(HEADER.keepNext, 2n ** 53n, true);
  err = traceError(() => decodeTrace(b, FILE));
  assert.equal([err.offset, /keep sequence counter 9007199254740992, expected below 2\^53/.test(err.message)], [HEADER.keepNext, true]);
});

test('the aside region names a summary entry the names region lost; a pair of another entry is ignored', () => {
  const w = writer({ summaryEntries: 4, aside: true });
  // Entries 0..5 in a ring of 4: entries 2..5 are live, at indices 2, 3, 0, 1.
  for (let n = 0; n < 6; n++) w.summary({ call: 1, pathId: 10 + n, intervalStartNs: 0n, hist: { 3: n + 1 } });
  w.name({ id: 15, name: '/srv/five' }); // entry 5: named by the names region
  w.asideName(2, { id: 12, name: '/srv/two' }); // a short name: an empty continuation
  w.asideName(3, { id: 3, name: LONG.slice(0, 88) }); // another id, the same name (entries of one name share it)
  w.asideName(0, { id: 14, name: '/srv/old-zero' }); // entry 0's pair at index 0: entry 4 overwrote that entry
  const t = decodeTrace(w.bytes(), FILE);
  const name = (i: number): string | undefined => t.paths.get(t.summaries.pathId[i]!)?.name;
  assert.equal(Array.from(t.summaries.entry), [2, 3, 4, 5]);
  assert.equal([0, 1, 2, 3].map(name), ['/srv/two', LONG.slice(0, 88), undefined, '/srv/five']);
  assert.equal(t.header.aside, { offset: w.bytes().length - 8 * 64, slots: 8 });
});

test('an aside region that is not 2 slots per summary entry is corruption', () => {
  const buf = writer({ summaryEntries: 4, aside: true }).bytes();
  new DataView(buf.buffer).setUint32(HEADER.asideSlots, 6, true);
  const e = traceError(() => decodeTrace(buf, FILE));
  assert.equal([e.offset, e.message.includes('aside region of 6 slots, expected 2 per summary entry (4 entries)')], [HEADER.asideSlots, true]);
});


/** A trace whose ring, keep ring and summary ring are each over 64 KiB (the decoder reuses its read buffers for those). */
function bigTrace(seed: number, events: number): Uint8Array {
  const w = writer({ ringSlots: 2048, keepSlots: 1100, summaryEntries: 400, namesSlots: 8 });
  w.path({ id: 1, name: `/data/${seed}/wal` }).name({ id: 2, name: `/data/${seed}/db` });
  for (let i = 0; i < events; i++) {
    const e = { call: 1 + (i % 2), startNs: BigInt(1_000_000 * (seed + i)), durNs: BigInt(1000 * (seed + i)), tid: seed + (i % 3), pathId: 1 + (i % 2), bytes: BigInt(i * seed) };
    w.event({ type: RecordType.Sync, ...e });
    if (i % 2 === 0) w.kept({ ...e, startNs: e.startNs + 1n });
    if (i % 8 === 0) w.summary({ call: 1, pathId: 1 + (i % 2), intervalStartNs: BigInt(60e9 * (1 + i)), hist: { [i % 50]: seed, 55: 1 } });
  }
  return w.bytes();
}

test('files read one after another: a decoded trace keeps nothing of the buffers the next file is read into', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsync-decode-'));
  try {
    const a = bigTrace(3, 2000);
    const b = bigTrace(5, 2600);
    writeFileSync(join(dir, 'a.fstrace'), a);
    writeFileSync(join(dir, 'b.fstrace'), b);
    // b cut inside its ring, shorter than a's: what a left in the buffers must not show through.
    writeFileSync(join(dir, 'cut.fstrace'), b.subarray(0, 4096 + 1500 * 64));
    const fromA = readTrace(join(dir, 'a.fstrace'));
    const fromB = readTrace(join(dir, 'b.fstrace'));
    const fromCut = readTrace(join(dir, 'cut.fstrace'));
    const again = readTrace(join(dir, 'a.fstrace'));
    const inMemory = (bytes: Uint8Array, file: string) => decodeTrace(new Uint8Array(bytes), join(dir, file));
    assert.equal(fromA, inMemory(a, 'a.fstrace'), 'a, read first, is unchanged by the reads after it');
    assert.equal(again, fromA);
    assert.equal(fromB, inMemory(b, 'b.fstrace'));
    assert.equal(fromCut, inMemory(b.subarray(0, 4096 + 1500 * 64), 'cut.fstrace'));
    assert.equal([fromA.events.length, fromA.kept.length, fromA.summaries.length], [2000, 1000, 250]);
    assert.equal([fromB.events.length, fromCut.events.length, fromCut.kept.length], [2048, 1500, 0]);
    assert.is(fromA.paths.get(1)?.name, '/data/3/wal');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
