/**
 * links.c under the recorder: Node calls announced to the library
 * (fsync_trace_js_announce), synced by a pool of threads as libuv's, and
 * recorded once settled. A served call's record carries flag 0x80 and the
 * low 32 bits of its sync record's start_ns (FORMAT.md, "Node call records").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jsList, type JsCall } from '../../src/trace/events.js';
import { account, cleanup, lazy, onlyTrace, run, syncEvents, type RunResult, type Said } from './harness.js';

test.after(cleanup);

const runs: Record<string, () => RunResult> = {};
// 8 MiB: the raw ring holds every record of a run (1 MiB's holds 4,080).
for (const mode of ['fifo', 'pool', 'race', 'full', 'errors', 'steal', 'fork']) runs[mode] = lazy(() => run('links', (d) => [d.data, mode], { env: { FSYNC_TRACE_MAX_BYTES: String(8 << 20) } }));

interface Call {
  label: number;
  fd: number;
  kind: number;
  handle: bigint;
  rec: number;
}

function calls(lines: Said[]): Call[] {
  return lines.filter((l) => l.kind === 'call').map((l) => ({
    label: Number(l.f.label), fd: Number(l.f.fd), kind: Number(l.f.kind), handle: BigInt(l.f.handle!), rec: Number(l.f.rec),
  }));
}

const low32 = (ns: bigint) => Number(ns & 0xffffffffn);

/** The run's calls and their records, in the program's order (records are made in that order, on one thread). */
function recorded(r: RunResult) {
  assert.is(r.status, 0, r.stderr);
  const lines = account(r.stdout);
  assert.equal(lines.filter((l) => l.kind === 'errno_changed').map((l) => l.f), [], 'errno kept by announce and record');
  const trace = onlyTrace(r);
  // A call's window: its wait and, with flag 0x20, the trace's making left out of it (made_ns).
  const js = jsList(trace).map((j, i) => ({ ...j, durNs: j.durNs + trace.js.ivalStartNs[i]! }));
  const said = calls(lines);
  assert.is(js.length, said.length, 'one record per call');
  js.forEach((j, i) => assert.equal([j.fd, j.api], [said[i]!.fd, said[i]!.kind === 2 ? 'fs.fdatasync' : 'fs.fsync'], `record ${i}`));
  return { lines, said, js, syncs: syncEvents(trace) };
}

/**
 * Every linked call's sync: the one sync record of its fd and kind whose start
 * is in the call's window and whose low 32 bits are the link (null when none or
 * several); and no sync serves two calls.
 */
function served(js: JsCall[], syncs: ReturnType<typeof syncEvents>) {
  const used = new Set<number>();
  return js.map((j) => {
    if (j.link === null) return null;
    const end = j.startNs + j.durNs;
    const kind = j.api === 'fs.fdatasync' || j.api === 'filehandle.datasync' ? 'fdatasync' : 'fsync';
    const found = syncs.filter((s) => s.fd === j.fd && s.call === kind && s.startNs >= j.startNs && s.startNs <= end && low32(s.startNs) === j.link);
    if (found.length !== 1) return null;
    assert.not.ok(used.has(found[0]!.seq), `sync ${found[0]!.seq} serves two calls`);
    used.add(found[0]!.seq);
    return found[0]!;
  });
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

test('race: calls recorded whether or not their sync is done (one in two): a link is always its own sync, none serves two; then the table is empty', () => {
  const { js, syncs, said } = recorded(runs.race!());
  assert.is(js.length, 2128);
  const pairs = served(js, syncs);
  const linked = js.filter((j) => j.link !== null).length;
  assert.is(pairs.filter((s) => s !== null).length, linked, 'every link is one sync of its file and kind inside its window');
  assert.ok(linked > 0, 'some calls served during the race');
  assert.ok(said.slice(0, 2000).every((c) => c.handle > 0n), 'never full: 24 in flight');
  // The last 128, announced at once after the race: every slot free again (a slot left behind,
  // of any file, kind or state, would leave one call unannounced), each served by its sync.
  assert.equal(said.slice(2000).map((c) => c.handle > 0n), Array(128).fill(true), 'the table empty after the race');
  assert.is(new Set(said.slice(2000).map((c) => Number((c.handle - 1n) % 128n))).size, 128, '128 slots');
  const last = js.slice(2000);
  assert.ok(last.every((j) => j.link !== null), 'all 128 linked: no announcement left behind');
  // (In time order: records are numbered from each thread's block of slots, not as they happen.)
  const lastSyncs = [...syncs].sort((a, b) => (a.startNs < b.startNs ? -1 : 1)).slice(syncs.length - 128);
  assert.equal(last.map((j) => j.link), lastSyncs.map((s) => low32(s.startNs)));
});

test('full: 128 announcements fit, the 129th and 130th are not made; the 128 are served in order', () => {
  const { js, syncs, said } = recorded(runs.full!());
  assert.equal(said.map((c) => c.handle > 0n), [...Array(128).fill(true), false, false]);
  assert.equal(new Set(said.slice(0, 128).map((c) => Number((c.handle - 1n) % 128n))).size, 128);
  assert.is(syncs.length, 130);
  assert.equal(js.map((j) => j.link), [...syncs.slice(0, 128).map((s) => low32(s.startNs)), null, null]);
  assert.ok(js.every((j) => (j.flags & 0x80) === (j.link === null ? 0 : 0x80)));
});

test('errors: a failed sync (EBADF) is linked, errno kept; no sync, the other kind, another file, a negative fd, a kind not linked: unlinked; a call taken back frees its slot', () => {
  const { js, syncs, lines, said } = recorded(runs.errors!());
  assert.equal(js.map((j) => j.link !== null), [true, false, false, false, false, false, false, true, true]);
  const ebadf = lines.find((l) => l.kind === 'sync' && l.f.label === '0')!;
  assert.equal([ebadf.f.ret, ebadf.f.errno], ['-1', '9']);
  const failed = syncs.filter((s) => s.res === -9);
  assert.is(failed.length, 1);
  assert.is(served(js, syncs)[0]!.seq, failed[0]!.seq, 'the EBADF call is linked to its failed sync');
  assert.equal(said.map((c) => c.handle > 0n), [true, true, true, true, true, false, false, true, true]);
  const back = lines.find((l) => l.kind === 'takeback')!;
  assert.equal([back.f.rec, back.f.errno_kept, BigInt(back.f.handle!) > 0n], ['-1', '1', true]);
  // Each call taken back leaves slot 0 free for the next.
  assert.equal([...said.map((c) => c.handle), BigInt(back.f.handle!)].filter((h) => h > 0n).map((h) => Number((h - 1n) % 128n)), Array(8).fill(0));
  const linked = served(js, syncs);
  assert.is(linked[7]!.startNs, syncs.find((s) => s.fd === said[7]!.fd && s.startNs > js[7]!.startNs)!.startNs);
  assert.is(linked[8]!.call, 'fdatasync');
});

test('steal: a sync the announcing thread makes itself (fs.fsyncSync) takes no announcement: the async call is linked to its pool sync', () => {
  const { js, syncs, lines, said } = recorded(runs.steal!());
  assert.equal(said.map((c) => [c.label, c.handle > 0n]), [[1, false], [0, true]]);
  const main = lines.find((l) => l.kind === 'sync' && l.f.by === 'main')!;
  const pool = lines.find((l) => l.kind === 'sync' && l.f.by === 'pool')!;
  assert.equal([main.f.ret, pool.f.ret], ['0', '0']);
  assert.is(syncs.length, 2);
  const [own, pooled] = [...syncs].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
  assert.is.not(own!.tid, pooled!.tid);
  assert.is(js[0]!.link, null, 'the unannounced call');
  assert.is(js[1]!.link, low32(pooled!.startNs), 'the async call: its pool thread\'s sync, not the main thread\'s');
  assert.is(served(js, syncs)[1]!.seq, pooled!.seq);
});

test('fork: the child starts with an empty table (128 announced at once); the parent\'s call in flight is still served', () => {
  const { js, syncs, lines } = recorded(runs.fork!());
  assert.equal(lines.filter((l) => l.kind === 'child').map((l) => l.f.announced), ['128']);
  assert.is(syncs.length, 1);
  assert.is(js[0]!.link, low32(syncs[0]!.startNs));
});

test.run();
