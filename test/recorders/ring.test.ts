/**
 * ring.c under a 244 KiB size cap: 10000 fsyncs through a ring of 960 slots
 * (the raw ring is a quarter of a version-2 file's slots). The file stays
 * within the cap, the newest records survive in order, and every surviving
 * event still has its (long, continued) path name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { account, cleanup, donePid, events, invariantProblems, lazy, onlyTrace, run } from './harness.js';

const ITERATIONS = 10000;
const FILES = 4;
const SLOTS = 960;
const MAX_BYTES = 4096 + 4 * SLOTS * 64; // 249856: the ring, keep, summary, names and aside regions

const ring = lazy(() => {
  const r = run('ring', (d) => [d.data, String(ITERATIONS), String(FILES)], { env: { FSYNC_TRACE_MAX_BYTES: String(MAX_BYTES) } });
  const lines = account(r.stdout);
  const names = lines.filter((l) => l.kind === 'file').map((l) => l.f.path!);
  return { r, lines, names, trace: onlyTrace(r) };
});

test.after(cleanup);

test('the program made all its fsyncs', () => {
  const { r, lines, names } = ring();
  assert.is(r.status, 0, r.stderr);
  assert.equal(lines.find((l) => l.kind === 'done')?.f, { pid: String(donePid(lines)), fsyncs: String(ITERATIONS), failed: '0' });
  assert.is(names.length, FILES);
  assert.ok(names.every((n) => n.length > 32 + 56), 'names long enough for two continuation records');
});

test('the file is the cap (its slots divide evenly), cut into the five regions, and the header says so', () => {
  const { r, trace } = ring();
  const h = trace.header;
  assert.is(statSync(join(r.dirs.traces, r.files[0]!)).size, MAX_BYTES);
  assert.equal([trace.size, h.ringSlots, h.maxBytes, trace.stats.slots], [MAX_BYTES, SLOTS, BigInt(MAX_BYTES), SLOTS]);
  // A quarter ring, an eighth keep, an eighth names, the rest (1,920 slots) summary entries
  // of 3 slots, each with 2 aside slots for its name: 384 entries.
  assert.equal([h.keep, h.summary, h.names, h.aside], [
    { offset: 4096 + SLOTS * 64, slots: 480 },
    { offset: 4096 + (SLOTS + 480) * 64, slots: 1152 },
    { offset: 4096 + (SLOTS + 480 + 1152) * 64, slots: 480 },
    { offset: 4096 + (SLOTS + 480 + 1152 + 480) * 64, slots: 768 },
  ]);
});

test('every surviving event is named; nothing torn, dropped or unnamed', () => {
  const { trace, names } = ring();
  assert.equal(invariantProblems(trace), []);
  const all = events(trace);
  assert.ok(all.every((e) => e.path !== null && names.includes(e.path)), 'every event names one of the ring files');
});

/** The iteration of ring.c an fsync stands for, modulo 251 * FILES (its size and file). */
function residue(bytes: bigint, path: string | null, names: string[]): number {
  const f = names.indexOf(path ?? '');
  const b = Number(bytes) - 1;
  for (let r = b; r < 251 * FILES; r += 251) if (r % FILES === f) return r;
  throw new Error(`no iteration writes ${bytes} bytes to ${path}`);
}

test('the newest fsyncs survive, in order, and the oldest are gone', () => {
  const { trace, names } = ring();
  const fsyncs = events(trace).filter((e) => e.type === 'sync');
  assert.ok(fsyncs.every((e) => e.call === 'fsync' && e.res === 0 && e.writes === 1));
  const period = 251 * FILES;
  const res = fsyncs.map((e) => residue(e.bytes, e.path, names));
  // Walking back from the last fsync (iteration ITERATIONS - 1), each survivor is the iteration before.
  let k = res.length - 1;
  assert.is(res[k], (ITERATIONS - 1) % period, 'the last fsync is kept');
  while (k > 0 && res[k - 1] === (res[k]! - 1 + period) % period) k--;
  const tail = res.length - k;
  assert.ok(tail > SLOTS - 80 && tail < SLOTS, `the newest ${tail} fsyncs survive in ${SLOTS} slots`);
  // Before them, at most a block's worth of an older lap may survive, in slots
  // whose next lap was never written (a sequence block left unused at exit).
  const older = res.slice(0, k);
  assert.ok(older.length <= 64, `${older.length} fsyncs of an older lap`);
  older.forEach((r, j) => {
    if (j > 0) assert.is(r, (older[j - 1]! + 1) % period, 'an older fragment is itself in order');
  });
  assert.not.ok(events(trace).some((e) => e.type === 'open'), 'the opens, the oldest records, are overwritten');
});

test('the ring ends with the closes, and sequence and start times increase together', () => {
  const { trace, names } = ring();
  const all = events(trace);
  assert.equal(all.slice(-FILES).map((e) => [e.type, e.path, e.flags & 0x10]), names.map((n) => ['close', n, 0x10]));
  for (let i = 1; i < all.length; i++) {
    assert.ok(all[i]!.seq > all[i - 1]!.seq && all[i]!.startNs > all[i - 1]!.startNs, `event ${i} follows event ${i - 1}`);
  }
});

test('the header counts every record ever written', () => {
  const { trace } = ring();
  const maxSeq = Math.max(...events(trace).map((e) => e.seq));
  const next = Number(trace.header.nextSeq);
  // At least: the fsyncs, the opens and closes (paths are in the names region, not the ring).
  assert.ok(next >= ITERATIONS + 2 * FILES, `next_seq ${next}`);
  assert.ok(next > maxSeq && next <= maxSeq + 1 + SLOTS, `next_seq ${next} against the newest record ${maxSeq}`);
  assert.ok(trace.stats.records > SLOTS - 64, `${trace.stats.records} records in ${SLOTS} slots`);
});

test('a file used early, then left for others, keeps its name for every event the ring keeps', () => {
  // Each run fsyncs file 0 N times, then file 1 N times, and exits. The last
  // events of file 0 outlive the copy of its name that came before them unless
  // the recorder names it again in time. The N vary where the ring stands.
  const unnamed: string[] = [];
  for (const n of [650, 700, 750, 800, 850]) {
    const r = run('ring', (d) => [d.data, String(2 * n), '2', 'phases'], { env: { FSYNC_TRACE_MAX_BYTES: String(MAX_BYTES) } });
    assert.is(r.status, 0, r.stderr);
    const t = onlyTrace(r);
    if (t.stats.unnamedEvents !== 0) unnamed.push(`${n} + ${n} fsyncs: ${t.stats.unnamedEvents} of ${t.stats.events} events unnamed`);
  }
  assert.equal(unnamed, []);
});

test.run();
