// Linked Node calls (flag 0x80, recorders/FORMAT.md "Node call records"): the loader's
// js_calls.link_ns, and js_waits' exact pairing by the link (queries/56_js_waits.sql), against
// traces constructed with known sync start times, each hard case of the window pairing once.
// A sync is named by its own length (distinct for each), so a row says which one its call took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';
import { openTraces } from '../fixtures/session.js';
import { at, msNs } from '../fixtures/traces.js';
import { own, pairRows, steadyRun, type PairRow as Row, type PairSync } from '../fixtures/pairs.js';

const WAL = { id: 1, name: '/data/wal', dev: 0x801n, ino: 5n, fd: 7 };
const LINKED = 0x80;
const low32 = (ns: bigint) => Number(ns & 0xffff_ffffn);

test('js_calls.link_ns: how long after the call its linked sync started, mod 2^32 ns, across a wrap of the low 32 bits; 0 when not linked', async () => {
  const w = new TraceWriter({ ringSlots: 64, pid: 700, host: 'h1', exe: '/usr/bin/node' });
  w.path(WAL);
  // Call starts and their syncs' starts (monotonic ns): one crossing 2^32, one 5 s late (k = 1), one unlinked.
  const cases: Array<[bigint, bigint | null]> = [
    [0x1_ffff_ff00n, 0x2_0000_0100n],
    [0x3_0000_0000n, 0x3_0000_0000n + 5_000_000_000n],
    [0x4_0000_0000n, null],
  ];
  for (const [start, sync] of cases) {
    w.event({ type: RecordType.Js, call: 1, startNs: start, durNs: 6_000_000_000n, tid: 700, fd: WAL.fd, pathId: WAL.id,
      flags: sync === null ? 0 : LINKED, writeUs: sync === null ? 0 : low32(sync) });
  }
  const o = await openTraces({ 'node.700.fstrace': w.bytes() });
  try {
    const rows = await o.session.rows('select flags, link_ns from js_calls order by start');
    assert.equal(rows.map((r) => [r.flags, Number(r.link_ns)]), [[LINKED, 0x200], [LINKED, 5_000_000_000 - 2 ** 32], [0, 0]]);
  } finally {
    o.close();
  }
});

const OTHER = { id: 2, name: '/data/other', dev: 0x801n, ino: 6n, fd: 9 };
const MAIN = 700;
const POOL = [701, 702, 703, 704];
/** A worker thread without the hook (not a JavaScript thread of the trace). */
const WORKER = 710;
const API = { fsync: 1, fsyncSync: 2, writeFile: 7 };

/**
 * A call from `start` to `end` (ms) on the WAL's fd (or by path: fd -1). `sync`: the index of
 * the sync that served it, linked to it; `gone`: linked to a sync at that time (ms) that is not
 * in the trace; neither: not linked.
 */
interface Call { start: number; end: number; sync?: number; gone?: number; api?: number; fd?: number }
/**
 * A sync of the WAL from `start` (ms), `len` ms long (distinct: it names the sync), by `tid`.
 * lapped: written first and overwritten by the ring going round (kept: a copy in the keep ring).
 */
interface Sync extends PairSync { fd?: number; lapped?: boolean; kept?: boolean; res?: number }

const RING = 128;
const ms = (x: number) => at(1) + msNs(x);

async function pair(calls: Call[], syncs: Sync[]): Promise<Row[]> {
  const w = new TraceWriter({ ringSlots: RING, keepSlots: 8, namesSlots: 4, pid: 700, host: 'h1', exe: '/usr/bin/node' });
  w.name(WAL).name(OTHER);
  const sync = (s: Sync) => ({ call: 1, startNs: ms(s.start), durNs: msNs(s.len), tid: s.tid, fd: s.fd ?? WAL.fd, pathId: WAL.id, res: s.res ?? 0 });
  const lapped = syncs.filter((s) => s.lapped);
  if (lapped.length > 0) {
    for (const s of lapped) {
      w.event({ type: RecordType.Sync, ...sync(s) });
      if (s.kept) w.kept(sync(s));
    }
    // A ring's worth of another file's syncs, long before: the lapped ones are overwritten.
    for (let k = 0; k < RING; k++) w.event({ type: RecordType.Sync, call: 1, startNs: at(0.5) + BigInt(k) * 1000n, durNs: 100n, tid: POOL[0]!, fd: OTHER.fd, pathId: OTHER.id });
  }
  for (const s of syncs) if (!s.lapped) w.event({ type: RecordType.Sync, ...sync(s) });
  for (const c of calls) {
    const linkedTo = c.sync !== undefined ? ms(syncs[c.sync]!.start) : c.gone !== undefined ? ms(c.gone) : null;
    w.event({ type: RecordType.Js, call: c.api ?? API.fsync, startNs: ms(c.start), durNs: msNs(c.end - c.start), tid: MAIN,
      fd: c.fd ?? WAL.fd, pathId: WAL.id, flags: linkedTo === null ? 0 : LINKED, writeUs: linkedTo === null ? 0 : low32(linkedTo) });
  }
  const o = await openTraces({ 'node.700.fstrace': w.bytes() });
  try {
    return await pairRows(o.session);
  } finally {
    o.close();
  }
}

/** `n` linked calls 1 ms apart from `t0`, each served 5 ms after it began by a pool thread, its callback 0.45 ms after its sync. */
function steady(n: number, t0 = 0): { calls: Call[]; syncs: Sync[] } {
  const { calls, syncs } = steadyRun(n, POOL, t0);
  return { calls: calls.map((c, k) => ({ ...c, sync: k })), syncs };
}

/** Each call with the sync it is linked to (none for `gone`), `extra` strays in its run. */
const truth = (calls: Call[], syncs: Sync[], extra = 0n): Row[] =>
  calls.map((c) => {
    const s = c.sync === undefined ? undefined : syncs[c.sync]!;
    return { call: c.start, sync: s ? s.len : null, queued: s ? Number((s.start - c.start).toFixed(3)) : null, extra_syncs: extra, ambiguous: false };
  });

test('32 in flight, first in first out: each linked call its own sync', async () => {
  // Calls 0.25 ms apart, each served 8 ms after it began (32 queued ahead).
  const calls: Call[] = [];
  const syncs: Sync[] = [];
  for (let k = 0; k < 48; k++) {
    const len = Number((0.2 + k / 1000).toFixed(3));
    syncs.push({ start: k / 4 + 8, len, tid: POOL[k % 4]! });
    calls.push({ start: k / 4, end: k / 4 + 8 + len + 0.45, sync: k });
  }
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('a late pool sync that outlasts the windows of later calls: it goes to its call by the link, the others keep theirs (in the pool\'s order a call would end before its sync did)', async () => {
  const { calls, syncs } = steady(12);
  syncs[3] = { start: 11.7, len: 1.2, tid: POOL[3]! };
  calls[3] = { start: 3, end: 13.35, sync: 3 };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('links that cross inside a run (calls settled in another order than their syncs started): the run\'s linked syncs paired in the pool\'s order, each inside its call\'s window', async () => {
  // The library gives each call, as it settles, the first-started of the first syncs kept since it began
  // (ft_link.c): call 4 settled first and took sync 3, call 3 then sync 4.
  // (Call 3 settled after both syncs ended: its window holds sync 4's start.)
  const { calls, syncs } = steady(12);
  calls[3] = { ...calls[3]!, end: 10, sync: 4 };
  calls[4] = { ...calls[4]!, sync: 3 };
  assert.equal(await pair(calls, syncs), truth(calls.map((c, k) => ({ ...c, sync: k })), syncs));
});

test('two adjacent late syncs, started in the other order (call 4\'s before call 3\'s): each call its own', async () => {
  const { calls, syncs } = steady(12);
  syncs[3] = { start: 11.9, len: 1.2, tid: POOL[3]! };
  calls[3] = { start: 3, end: 13.55, sync: 3 };
  syncs[4] = { start: 11.7, len: 1.3, tid: POOL[0]! };
  calls[4] = { start: 4, end: 13.45, sync: 4 };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

for (const [who, tid] of [['a pool thread', POOL[1]!], ['a worker without the hook', WORKER]] as const) {
  test(`a stray sync by ${who} inside a run: every linked call its own, the stray counted in the run's extra_syncs, none ambiguous`, async () => {
    // The window pairing leaves calls 2 to 11 unpaired (ambiguous) for a pool thread's (js_pairs.test).
    const { calls, syncs } = steady(12);
    syncs.push({ start: 7.7, len: 0.2, tid });
    assert.equal(await pair(calls, syncs), truth(calls, syncs, 1n));
  });
}

test('two syncs of the fd that started in the same nanosecond (two pool threads), both linked: each call its own, neither paired twice, only the worker\'s stray counted', async () => {
  // The links name the two alike (the low 32 bits of one start_ns): a link is resolved to
  // one of the syncs that start then, each to another. Before, both calls took the first
  // (lower seq) and the second was counted as a stray: extra_syncs 2.
  const { calls, syncs } = steady(12);
  syncs[4] = { ...syncs[4]!, start: syncs[3]!.start };
  syncs.push({ start: 7.7, len: 0.2, tid: WORKER });
  assert.equal(await pair(calls, syncs), truth(calls, syncs, 1n));
});

test('two same-nanosecond syncs, the later-started call linked to the one written first: each sync still serves one call', async () => {
  const { calls, syncs } = steady(12);
  syncs[4] = { ...syncs[4]!, start: syncs[3]!.start };
  calls[3] = { ...calls[3]!, sync: 4 };
  calls[4] = { ...calls[4]!, sync: 3 };
  assert.equal(await pair(calls, syncs), truth(steady(12).calls, syncs));
});

test('a stray pool sync in one run: extra_syncs counts it there, not in the next run', async () => {
  const a = steady(6);
  const b = steady(6, 100);
  const syncs = [...a.syncs, ...b.syncs, { start: 7.7, len: 0.2, tid: POOL[1]! }];
  const calls = [...a.calls, ...b.calls.map((c) => ({ ...c, sync: c.sync! + 6 }))];
  assert.equal(await pair(calls, syncs), [...truth(a.calls, syncs, 1n), ...truth(b.calls.map((c) => ({ ...c, sync: c.sync! + 6 })), syncs, 0n)]);
});

/**
 * shift.c's shape (FORMAT.md, known limits): 8 linked calls of one fd in flight, one pool thread;
 * before the pool starts, a worker without the hook syncs the fd and takes the oldest call's
 * announcement: call 0 is linked to the worker's sync, call k to pool sync k - 1, pool sync 7 is
 * left over. Returned: the calls, the syncs (worker's first), what each call took.
 */
function shifted(t0 = 0): { calls: Call[]; syncs: Sync[] } {
  const syncs: Sync[] = [{ start: t0 + 1, len: 0.31, tid: WORKER }];
  for (let k = 0; k < 8; k++) syncs.push({ start: t0 + 2 + k, len: own(k), tid: POOL[0]! });
  const calls: Call[] = [];
  for (let k = 0; k < 8; k++) calls.push({ start: t0 + k / 10, end: t0 + 10.9 + k / 100, sync: k });
  return { calls, syncs };
}

test('one sync by a worker without the hook shifts a run of linked calls by one: the run is ambiguous, its calls unpaired', async () => {
  const { calls, syncs } = shifted();
  assert.equal(await pair(calls, syncs), calls.map((c) => ({ call: c.start, sync: null, queued: null, extra_syncs: 1n, ambiguous: true })));
});

test('a link a worker without the hook took does not make it a pool thread: its stray in a run of unlinked calls is set aside', async () => {
  // The shifted run, then 4 writeFile calls by path (unlinked) in flight on the one pool
  // thread, and one more sync of the file by the worker inside their windows.
  const { calls, syncs } = shifted();
  const run = steadyRun(4, [POOL[0]!], 50);
  const n = syncs.length;
  syncs.push(...run.syncs, { start: 56.7, len: 0.22, tid: WORKER });
  calls.push(...run.calls.map((c) => ({ ...c, api: API.writeFile, fd: -1 })));
  const rows = await pair(calls, syncs);
  assert.equal(rows.slice(8), run.calls.map((c, k) => ({ call: c.start, sync: syncs[n + k]!.len, queued: 5, extra_syncs: 1n, ambiguous: false })));
  assert.ok(rows.slice(0, 8).every((r) => r.ambiguous && r.sync === null));
});

test('a missing sync (its record not in the trace): its call is unpaired, the others their own', async () => {
  const { calls, syncs } = steady(12);
  calls[5] = { ...calls[5]!, sync: undefined, gone: syncs[5]!.start };
  syncs[5] = { start: 300, len: 9.99, tid: POOL[1]! }; // far from every window: out of the run
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('a stray and a missing sync in one run (the windows see as many syncs as calls): every linked call right, the missing one unpaired, the stray counted', async () => {
  const { calls, syncs } = steady(12);
  calls[5] = { ...calls[5]!, sync: undefined, gone: syncs[5]!.start };
  syncs[5] = { start: 7.7, len: 0.2, tid: POOL[1]! }; // the stray, in call 5's place among the syncs
  assert.equal(await pair(calls, syncs), truth(calls, syncs, 1n));
});

test('a sync that started more than 2^32 ns (4.29 s) after its call (k = 1), with a stray and another linked call inside its window', async () => {
  const syncs: Sync[] = [
    { start: 5000, len: 1, tid: POOL[0]! },
    { start: 100.5, len: 0.6, tid: POOL[1]! },
    { start: 2000, len: 0.3, tid: WORKER },
  ];
  const calls: Call[] = [{ start: 0, end: 5002, sync: 0 }, { start: 100, end: 101.5, sync: 1 }];
  assert.equal(await pair(calls, syncs), truth(calls, syncs, 1n));
});

test('a link whose sync the ring went round: its call is unpaired, not paired by the windows with the stray its window holds', async () => {
  const { calls, syncs } = steady(6);
  syncs[0] = { ...syncs[0]!, lapped: true };
  syncs.push({ start: 3, len: 0.3, tid: POOL[2]! });
  const rows = await pair(calls, syncs);
  assert.equal(rows, truth(calls, syncs, 1n).map((r, k) => (k === 0 ? { ...r, sync: null, queued: null } : r)));
});

test('a link whose sync the ring went round but the keep ring kept: paired with the kept copy', async () => {
  const { calls, syncs } = steady(6);
  syncs[0] = { ...syncs[0]!, lapped: true, kept: true };
  assert.equal(await pair(calls, syncs), truth(calls, syncs));
});

test('a linked call whose sync failed (EIO): paired with the failed sync, not with a stray its window holds', async () => {
  const { calls, syncs } = steady(6);
  syncs[2] = { ...syncs[2]!, res: -5 };
  syncs.push({ start: 5.9, len: 0.05, tid: WORKER });
  assert.equal(await pair(calls, syncs), truth(calls, syncs, 1n));
});

test('linked and unlinked calls of one file: the window pairing runs on the unlinked ones among the syncs no link claimed', async () => {
  // Eight linked fs.fsync calls (syncs at 5-12 ms); a writeFile by path (unlinked, fd -1) from
  // 0.5 to 9 ms whose pool sync ran 8.6-8.8 ms, its window holding four linked calls' syncs
  // too; an fs.fsyncSync (unlinked) on the main thread at 3.05 ms, its sync on that thread.
  const { calls, syncs } = steady(8);
  syncs.push({ start: 8.6, len: 0.2, tid: POOL[2]!, fd: 11 }, { start: 3.1, len: 0.25, tid: MAIN });
  calls.push({ start: 0.5, end: 9, api: API.writeFile, fd: -1 }, { start: 3.05, end: 3.4, api: API.fsyncSync });
  const rows = await pair(calls, syncs);
  const expect = [...truth(calls.slice(0, 8), syncs),
    { call: 0.5, sync: 0.2, queued: 8.1, extra_syncs: 0n, ambiguous: false },
    { call: 3.05, sync: 0.25, queued: 0.05, extra_syncs: 0n, ambiguous: false }];
  assert.equal(rows, expect.sort((x, y) => x.call - y.call));
});

test.run();
