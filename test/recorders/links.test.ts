/**
 * links.c under the recorder: Node calls started on a "JavaScript" thread,
 * synced by a pool of threads as libuv's, and recorded once settled; the
 * library keeps the pool's syncs (ft_link.c) and a served call's record
 * carries flag 0x80 and the low 32 bits of its sync record's start_ns
 * (FORMAT.md, "Node call records").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jsList, type JsCall } from '../../src/trace/events.js';
import { account, cleanup, lazy, onlyTrace, run, syncEvents, type RunResult, type Said } from './harness.js';
import type { DecodedTrace } from '../../src/trace/decode.js';
import { heldPastTwoLaps, namedSyncs } from '../links.js';

test.after(cleanup);

const runs: Record<string, () => RunResult> = {};
// 8 MiB: the raw ring holds every record of a run (1 MiB's holds 4,080).
for (const mode of ['fifo', 'pool', 'order', 'race', 'over', 'errors', 'steal', 'fork', 'off']) {
  runs[mode] = lazy(() => run('links', (d) => [d.data, mode], { env: { FSYNC_TRACE_MAX_BYTES: String(8 << 20) } }));
}

interface Call {
  label: number;
  fd: number;
  kind: number;
  rec: number;
}

function calls(lines: Said[]): Call[] {
  return lines.filter((l) => l.kind === 'call').map((l) => ({
    label: Number(l.f.label), fd: Number(l.f.fd), kind: Number(l.f.kind), rec: Number(l.f.rec),
  }));
}

const low32 = (ns: bigint) => Number(ns & 0xffffffffn);

/** A trace's calls, each with its window (its wait and, with flag 0x20, the trace's making left out of it: made_ns). */
const windows = (trace: DecodedTrace) => jsList(trace).map((j, i) => ({ ...j, durNs: j.durNs + trace.js.ivalStartNs[i]! }));

/** The run's calls and their records, in the program's order (records are made in that order, on one thread). */
function recorded(r: RunResult, apis?: string[]) {
  assert.is(r.status, 0, r.stderr);
  const lines = account(r.stdout);
  assert.equal(lines.filter((l) => l.kind === 'errno_changed').map((l) => l.f), [], 'errno kept by now and record');
  const trace = onlyTrace(r);
  const js = windows(trace);
  const said = calls(lines);
  assert.is(js.length, said.length, 'one record per call');
  js.forEach((j, i) => assert.equal([j.fd, j.api], [said[i]!.fd, apis?.[i] ?? (said[i]!.kind === 2 ? 'fs.fdatasync' : 'fs.fsync')], `record ${i}`));
  return { lines, said, js, syncs: syncEvents(trace) };
}

/**
 * Every linked call's sync: the sync record of its fd and kind whose start is in
 * the call's window and whose low 32 bits are the link (test/links.ts: of two
 * that started in the same nanosecond, one each); null when none, or none left:
 * no sync serves two calls.
 */
function served(js: JsCall[], syncs: ReturnType<typeof syncEvents>) {
  return namedSyncs(js.map((j) => {
    if (j.link === null) return [];
    const end = j.startNs + j.durNs;
    const kind = j.api === 'fs.fdatasync' || j.api === 'filehandle.datasync' ? 'fdatasync' : 'fsync';
    return syncs.filter((s) => s.fd === j.fd && s.call === kind && s.startNs >= j.startNs && s.startNs <= end && low32(s.startNs) === j.link);
  }));
}

test('fifo: one pool thread, 32 calls in flight on one file: call k is linked to the k-th sync, exactly', () => {
  const { js, syncs } = recorded(runs.fifo!());
  const mine = syncs.filter((s) => s.fd === js[0]!.fd);
  assert.is(mine.length, 640);
  assert.equal(js.map((j) => j.link), mine.map((s) => low32(s.startNs)));
  assert.ok(served(js, syncs).every((s, k) => s !== null && s.seq === mine[k]!.seq));
});

test('pool: four pool threads, 32 files, fsync and fdatasync: every call linked to its own sync, inside its window', () => {
  const { js, syncs, lines } = recorded(runs.pool!());
  const kinds = calls(lines).map((c) => c.kind);
  assert.ok(kinds.filter((k) => k === 2).length > 100 && kinds.filter((k) => k === 1).length > 300, 'both kinds');
  assert.is(syncs.length, 640);
  const pairs = served(js, syncs);
  assert.is(pairs.filter((s) => s !== null).length, 640);
  // Each call's file has one sync in its window (one call per file in flight): the link names it.
  js.forEach((j, k) => {
    const inWindow = syncs.filter((s) => s.fd === j.fd && s.startNs >= j.startNs && s.startNs <= j.startNs + j.durNs);
    assert.is(inWindow.length, 1, `call ${k}`);
    assert.is(pairs[k]!.seq, inWindow[0]!.seq, `call ${k}`);
  });
});

test('order: four pool threads running one file\'s syncs in any order, both kinds, 24 in flight, recorded as the syncs return: every call linked to a sync of its own inside its window, none twice', () => {
  const { js, syncs } = recorded(runs.order!());
  assert.is(js.length, 2000);
  assert.is(syncs.length, 2000);
  const pairs = served(js, syncs);
  // A call whose record comes late (its pool thread held off the processor between its sync
  // and its callback: at load ~15, the thread that made the trace, for 50 ms) has its sync
  // taken by a later call in its stead, as the rule allows, and the one left for it, untaken,
  // is written over once two rings' worth of its bucket's syncs were kept after it (ft_link.c):
  // one call of the file's run is left unlinked (the held one, or one after it whose sync the
  // held one took). So: at most one per call held while more than 2 x 56 syncs of its bucket
  // started, and none when no call was held that long.
  const unlinked = pairs.map((s, k) => (s === null ? k : -1)).filter((k) => k >= 0);
  const held = heldPastTwoLaps(js.map((j) => ({ fd: j.fd, startNs: j.startNs, endNs: j.startNs + j.durNs })), syncs);
  assert.ok(unlinked.length <= held, `calls ${unlinked.join(', ')} unlinked, ${held} held while their bucket's ring went round twice`);
});

test('race: calls recorded whether or not their sync is done (one in two): a link is always a sync of its own inside its window, none twice; the call after the race is linked', () => {
  const { js, syncs } = recorded(runs.race!());
  assert.is(js.length, 2001);
  const pairs = served(js, syncs);
  const linked = js.filter((j) => j.link !== null).length;
  assert.is(pairs.filter((s) => s !== null).length, linked, 'every link is one sync of its file and kind inside its window');
  assert.ok(linked >= 1000, `${linked} calls linked: at least the ones recorded once done`);
  const last = [...syncs].sort((a, b) => (a.startNs < b.startNs ? -1 : 1)).at(-1)!;
  assert.is(js[2000]!.link, low32(last.startNs));
});

test('over: 60 syncs of one file kept before any record (a bucket holds 56): 4 written over, 4 calls unlinked; the others each linked to a sync of their own inside their window, none twice', () => {
  const { js, syncs } = recorded(runs.over!());
  assert.is(syncs.length, 60);
  assert.is(js.filter((j) => j.link === null).length, 4);
  assert.ok(js.every((j) => (j.flags & 0x80) === (j.link === null ? 0 : 0x80)));
  assert.is(served(js, syncs).filter((s) => s !== null).length, 56);
});

test('errors: a failed sync (EBADF) is linked, errno kept; no sync, the other kind, another file, a negative fd, an API not linked: unlinked; filehandle.sync and .datasync linked to their own syncs', () => {
  const apis = ['fs.fsync', 'fs.fsync', 'fs.fsync', 'fs.fdatasync', 'fs.fsync', 'fs.fsync', 'fs.fsyncSync', 'filehandle.sync', 'filehandle.datasync'];
  const { js, syncs, lines, said } = recorded(runs.errors!(), apis);
  assert.equal(js.map((j) => j.link !== null), [true, false, false, false, false, false, false, true, true]);
  const ebadf = lines.find((l) => l.kind === 'sync' && l.f.label === '0')!;
  assert.equal([ebadf.f.ret, ebadf.f.errno], ['-1', '9']);
  const failed = syncs.filter((s) => s.res === -9);
  assert.is(failed.length, 1);
  const linked = served(js, syncs);
  assert.is(linked[0]!.seq, failed[0]!.seq, 'the EBADF call is linked to its failed sync');
  // Calls 7 and 8: the one sync of their file and kind that started after them (older ones are kept, untaken, still).
  const after = (k: number, kind: string) => syncs.filter((s) => s.fd === said[k]!.fd && s.call === kind && s.startNs > js[k]!.startNs);
  assert.equal([after(7, 'fsync').length, after(8, 'fdatasync').length], [1, 1]);
  assert.equal([linked[7]!.seq, linked[8]!.seq], [after(7, 'fsync')[0]!.seq, after(8, 'fdatasync')[0]!.seq]);
});

test('steal: a sync the JavaScript thread makes itself (fs.fsyncSync) is not kept: the async call is linked to its pool sync', () => {
  const { js, syncs, lines } = recorded(runs.steal!(), ['fs.fsyncSync', 'fs.fsync']);
  const main = lines.find((l) => l.kind === 'sync' && l.f.by === 'main')!;
  const pool = lines.find((l) => l.kind === 'sync' && l.f.by === 'pool')!;
  assert.equal([main.f.ret, pool.f.ret], ['0', '0']);
  assert.is(syncs.length, 2);
  const [own, pooled] = [...syncs].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
  assert.is.not(own!.tid, pooled!.tid);
  assert.is(js[0]!.link, null, 'fs.fsyncSync: not linked');
  assert.is(js[1]!.link, low32(pooled!.startNs), 'the async call: its pool thread\'s sync, not the main thread\'s');
  assert.is(served(js, syncs)[1]!.seq, pooled!.seq);
});

test('fork: the child starts with an empty table (the parent\'s sync, kept before the fork, is not the child\'s), and keeps its own; the parent\'s call is linked', () => {
  const r = runs.fork!();
  assert.is(r.status, 0, r.stderr);
  const lines = account(r.stdout);
  const child = Number(lines.find((l) => l.kind === 'child')!.f.pid);
  const done = Number(lines.find((l) => l.kind === 'done')!.f.pid);
  assert.is(r.traces.length, 2);
  const of = (pid: number) => r.traces.find((t) => t.header.pid === pid)!;
  const parent = of(done), kid = of(child);
  const [psyncs, ksyncs] = [syncEvents(parent), syncEvents(kid)];
  assert.equal([psyncs.length, ksyncs.length], [1, 1]);
  assert.equal(windows(parent).map((j) => j.link), [low32(psyncs[0]!.startNs)]);
  assert.equal(windows(kid).map((j) => j.link), [null, low32(ksyncs[0]!.startNs)]);
});

test('off: the hook did not ask (fsync_trace_js_link not called): nothing linked', () => {
  const { js, syncs } = recorded(runs.off!());
  assert.equal([js.length, syncs.length], [64, 64]);
  assert.ok(js.every((j) => j.link === null && (j.flags & 0x80) === 0));
});

test.run();
