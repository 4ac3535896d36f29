/**
 * scripts/workloads/common.ts compactTrace: cutting a finished trace down to
 * the slots it used (how the samples are kept small) changes nothing a reader
 * sees, in version 1 and in version 2 with its regions moved up.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactTrace } from '../../scripts/workloads/common.js';
import { decodeTrace, type DecodedTrace } from '../../src/trace/decode.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { RecordType } from '../../src/trace/layout.js';

const dir = mkdtempSync(join(tmpdir(), 'fsync-compact-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const LONG = `/data/${'y'.repeat(50)}`;

/** What a reader gets, as comparable JSON. */
function seen(t: DecodedTrace): string {
  const { file: _f, size: _s, header: { keep: _k, summary: _m, names: _n, ringSlots: _r, ...header }, stats: { slots: _sl, ...stats }, ...rest } = t;
  return JSON.stringify({ header, stats, ...rest, paths: [...t.paths] }, (_, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number | bigint>, String) : v);
}

function roundTrip(w: TraceWriter, name: string): { before: DecodedTrace; after: DecodedTrace; size: number } {
  const file = join(dir, name);
  writeFileSync(file, w.bytes());
  const before = decodeTrace(readFileSync(file), file);
  const size = compactTrace(file);
  const bytes = readFileSync(file);
  assert.is(bytes.length, size);
  return { before, after: decodeTrace(bytes, file), size };
}

test('version 2: every region shrinks to what it used, and reads the same', () => {
  const w = new TraceWriter({ ringSlots: 100, keepSlots: 50, summaryEntries: 40, namesSlots: 30 });
  w.path({ id: 1, name: LONG }).event({ type: RecordType.Sync, call: 1, startNs: 5n, durNs: 7n, pathId: 1 });
  w.name({ id: 1, name: LONG });
  w.kept({ call: 1, startNs: 1n, durNs: 9_000_000n, pathId: 1 });
  w.summary({ call: 1, pathId: 1, intervalStartNs: 0n, hist: { 3: 4 } })
    .cost({ intervalStartNs: 0n, samples: 1, sampledNs: 2n, calls: 3n, syncNs: 4n, syncCalls: 5n });
  const { before, after, size } = roundTrip(w, 'v2.fstrace');
  assert.is(size, 4096 + 64 * (3 + 1 + 6 + 2));
  assert.equal([after.header.ringSlots, after.header.keep, after.header.summary, after.header.names],
    [3, { offset: 4096 + 3 * 64, slots: 1 }, { offset: 4096 + 4 * 64, slots: 6 }, { offset: 4096 + 10 * 64, slots: 2 }]);
  assert.is(seen(after), seen(before));
  assert.equal([after.kept.length, after.summaries.length, after.costs.length, after.paths.get(1)?.name], [1, 1, 1, LONG]);
});

test('version 2: the aside region shrinks with the summary ring, and still names its entries', () => {
  const w = new TraceWriter({ ringSlots: 10, keepSlots: 4, summaryEntries: 40, namesSlots: 4, aside: true });
  w.summary({ call: 1, pathId: 7, intervalStartNs: 0n, hist: { 3: 1 } }).summary({ call: 1, pathId: 8, intervalStartNs: 0n, hist: { 3: 2 } });
  w.asideName(1, { id: 8, name: LONG });
  const { after, size } = roundTrip(w, 'aside.fstrace');
  assert.is(size, 4096 + 64 * (1 + 6 + 4));
  assert.equal([after.header.summary, after.header.names, after.header.aside],
    [{ offset: 4096 + 64, slots: 6 }, null, { offset: 4096 + 7 * 64, slots: 4 }]);
  assert.equal([after.paths.get(7)?.name, after.paths.get(8)?.name], [undefined, LONG]);
});

test('version 2: a ring that wrapped stays whole; an unused region goes', () => {
  const w = new TraceWriter({ ringSlots: 4, keepSlots: 8, summaryEntries: 2 });
  for (let i = 1; i <= 6; i++) w.event({ type: RecordType.Sync, call: 1, startNs: BigInt(i) });
  const { before, after } = roundTrip(w, 'wrapped.fstrace');
  assert.equal([after.header.ringSlots, after.header.keep, after.header.summary, after.events.length], [4, null, null, 4]);
  assert.is(seen(after), seen(before));
});

test('version 1: the file is cut after the used slots', () => {
  const w = new TraceWriter({ ringSlots: 64, version: 1 }).event({ type: RecordType.Sync, call: 2, startNs: 9n });
  const { before, after, size } = roundTrip(w, 'v1.fstrace');
  assert.equal([size, after.header.ringSlots], [4096 + 64, 64]);
  assert.is(seen(after), seen(before));
});

test.run();
