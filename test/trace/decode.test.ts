/**
 * src/trace/decode.ts on hand-built files: the header, errors that name the
 * file and the byte offset, torn and live files, long paths, ring order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceError } from '../../src/errors.js';
import { decodeTrace, readTrace } from '../../src/trace/decode.js';
import { eventList, jsList } from '../../src/trace/events.js';
import { TraceBuilder } from './fixture.js';

const FILE = 'fixture.fstrace';

/** The TraceError that `f` throws. */
function traceError(f: () => unknown): TraceError {
  try {
    f();
  } catch (err) {
    if (err instanceof TraceError) return err;
    throw new Error(`expected a TraceError, got ${String(err)}`);
  }
  throw new Error('expected a TraceError, nothing was thrown');
}

/** A small trace: a path, an open, two fsyncs, a close. */
function small(): TraceBuilder {
  return new TraceBuilder({ ringSlots: 16, nextSeq: 5n, cmdline: ['app', '', 'a b', 'ünï'] })
    .path({ seq: 0, pathId: 1, name: '/data/db.wal', dev: 2049n, ino: 77n })
    .event({ seq: 1, type: 4, pathId: 1, res: 3, writes: 0o1101, startNs: 1000n })
    .event({ seq: 2, type: 3, call: 1, pathId: 1, bytes: 4096n, writes: 2, writeUs: 12, ivalStartNs: 1000n, startNs: 2000n, durNs: 777n })
    .event({ seq: 3, type: 3, call: 2, pathId: 1, res: -5, ivalStartNs: 2000n, startNs: 3000n })
    .event({ seq: 4, type: 5, pathId: 1, flags: 0x10, bytes: 1n, writes: 1, ivalStartNs: 3000n, startNs: 4000n });
}

test('the header of a well-formed file', () => {
  const t = decodeTrace(small().buf, FILE);
  assert.equal(t.header, {
    version: 1, ringSlots: 16, realtimeNs: 1_700_000_000_000_000_000n, monotonicNs: 5_000_000_000n,
    pid: 4242, ppid: 1, uid: 1000, flags: 1, nextSeq: 5n, dropped: 0n, maxBytes: BigInt(4096 + 64 * 16),
    recorderVersion: '0.1.0', bootId: '0f813e3c-dc89-4f54-a65a-e716af63e556', host: 'host-a', exe: '/usr/bin/app',
    cmdline: ['app', '', 'a b', 'ünï'], cmdlineTruncated: false,
    keep: null, summary: null, names: null, aside: null, summaryIntervalS: 0, keepNext: 0n, summaryNext: 0n, namesNext: 0n,
    namesDropped: 0n, alertMs: 0, alertFactor: 0, alertMinMs: 0, alertEveryS: 0, alerts: 0n, alertsSuppressed: 0n,
    costPeriod: 0, alertSink: 0, dirMaxBytes: 0n, dirRemoved: 0n, dirRemovedBytes: 0n, stopReason: 0, stopErrno: 0, comm: "", alertsUnsent: 0n,
  });
  assert.equal(t.stats, { slots: 16, records: 5, events: 4, torn: 0, incompletePaths: 0, unnamedEvents: 0, newerThanHeader: 0,
    keptEvents: 0, keptInRing: 0, summaryEntries: 0, incompleteEntries: 0, namedPaths: 0, jsCalls: 0 });
});

test('events, field by field, with their path', () => {
  const t = decodeTrace(small().buf, FILE);
  assert.equal([...t.paths.values()], [{ id: 1, name: '/data/db.wal', dev: 2049n, ino: 77n }]);
  const e = eventList(t);
  assert.equal(e.map((x) => [x.seq, x.type, x.call, x.res, x.path]), [
    [1, 'open', null, 3, '/data/db.wal'], [2, 'sync', 'fsync', 0, '/data/db.wal'],
    [3, 'sync', 'fdatasync', -5, '/data/db.wal'], [4, 'close', null, 0, '/data/db.wal'],
  ]);
  assert.equal(e[1], {
    seq: 2, type: 'sync', call: 'fsync', flags: 0, startNs: 2000n, durNs: 777n, tid: 4242, fd: 3, pathId: 1,
    path: '/data/db.wal', res: 0, bytes: 4096n, writes: 2, writeUs: 12, ivalStartNs: 1000n,
  });
  assert.equal([e[3]!.flags, e[3]!.bytes, e[0]!.writes], [0x10, 1n, 0o1101]);
});

test('every call number has its name', () => {
  const b = new TraceBuilder({ ringSlots: 16, nextSeq: 10n });
  for (let call = 1; call <= 10; call++) b.event({ seq: call - 1, type: 3, call });
  assert.equal(eventList(decodeTrace(b.buf, FILE)).map((e) => e.call), [
    'fsync', 'fdatasync', 'sync_file_range', 'syncfs', 'sync', 'msync', 'o_sync_write', 'o_dsync_write', 'rwf_sync_write', 'rwf_dsync_write',
  ]);
});

test('readTrace reads a file, and names a missing one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fsync-decode-'));
  try {
    const file = join(dir, 'a.fstrace');
    writeFileSync(file, small().buf);
    assert.is(readTrace(file).events.length, 4);
    const err = traceError(() => readTrace(join(dir, 'nope.fstrace')));
    assert.equal([err.file, err.offset], [join(dir, 'nope.fstrace'), undefined]);
    assert.match(err.message, /nope\.fstrace: no such file/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('bad magic: an error at byte 0 naming the file, what was found and what was expected', () => {
  const b = small().buf;
  b.write('PK\x03\x04', 0, 'latin1');
  const err = traceError(() => decodeTrace(b, FILE));
  assert.equal([err.file, err.offset, err.exitCode], [FILE, 0, 1]);
  assert.match(err.message, /^fixture\.fstrace: at byte 0: not an fsync trace: magic is 50 4b 03 04 4e 43 0d 0a, expected 89 46 53 59 4e 43 0d 0a$/);
  assert.match(traceError(() => decodeTrace(new Uint8Array(0), FILE)).message, /fixture\.fstrace: empty file/);
  assert.is(traceError(() => decodeTrace(Buffer.from('\x89FS', 'latin1'), FILE)).offset, 0);
});

test('a future version is refused at byte 8, before anything else is read', () => {
  const b = small().buf;
  b.writeUInt32LE(3, 8);
  b.writeUInt32LE(128, 16); // a version 3 file may change the record size: not looked at
  const err = traceError(() => decodeTrace(b, FILE));
  assert.is(err.offset, 8);
  assert.match(err.message, /format version 3 is not supported, expected 1 to 2/);
});

test('a truncated header is refused, saying how much there is', () => {
  const b = small().buf.subarray(0, 2000);
  const err = traceError(() => decodeTrace(b, FILE));
  assert.is(err.offset, 2000);
  assert.match(err.message, /truncated header: 2000 of 4096 bytes/);
  assert.is(traceError(() => decodeTrace(small().buf.subarray(0, 10), FILE)).offset, 10);
});

test('header fields that cannot be: record size, ring of 0 slots, command line too long', () => {
  const rec = small().buf;
  rec.writeUInt32LE(32, 16);
  assert.equal([traceError(() => decodeTrace(rec, FILE)).offset], [16]);
  const ring = small().buf;
  ring.writeUInt32LE(0, 20);
  assert.is(traceError(() => decodeTrace(ring, FILE)).offset, 20);
  const cmd = small().buf;
  cmd.writeUInt32LE(2049, 1232);
  assert.is(traceError(() => decodeTrace(cmd, FILE)).offset, 1232);
});

test('a sequence counter at or past 2^53 is refused: sequence numbers would not be exact (found by the fuzzer)', () => {
  // With a ring of one slot every sequence number belongs in slot 0, so only the counter check can catch it.
  const b = small().buf;
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(2n ** 64n - 2n, 56);
  const err = traceError(() => decodeTrace(b, FILE));
  assert.is(err.offset, 56);
  assert.match(err.message, 'sequence counter 18446744073709551614, expected below 2^53');
  const edge = small().buf;
  edge.writeBigUInt64LE(2n ** 53n, 56);
  assert.is(traceError(() => decodeTrace(edge, FILE)).offset, 56);
});

test('a copy cut inside a record: the partial record is counted as torn and ignored', () => {
  const full = small().buf;
  const cut = full.subarray(0, 4096 + 64 * 3 + 10);
  const t = decodeTrace(cut, FILE);
  assert.equal([t.stats.slots, t.stats.torn, t.stats.records, t.size], [3, 1, 3, 4096 + 64 * 3 + 10]);
  assert.equal(eventList(t).map((e) => e.seq), [1, 2]);
  const atBoundary = decodeTrace(full.subarray(0, 4096 + 64 * 3), FILE);
  assert.equal([atBoundary.stats.slots, atBoundary.stats.torn], [3, 0], 'a cut between records tears nothing');
  const headerOnly = decodeTrace(full.subarray(0, 4096), FILE);
  assert.equal([headerOnly.stats.slots, headerOnly.events.length], [0, 0]);
});

test('a slot being written (commit word zero) is skipped', () => {
  const t = decodeTrace(small().clear(3).buf, FILE);
  assert.equal(eventList(t).map((e) => e.seq), [1, 2, 4]);
  assert.is(t.stats.records, 4);
});

test('corrupt records: a TraceError naming the file and the record offset', () => {
  const cases: Array<[string, (b: TraceBuilder) => void, number, RegExp]> = [
    ['unknown type', (b) => b.event({ seq: 2, type: 9 }), 4096 + 64 * 2, /unknown record type 9/],
    ['sync without a call', (b) => b.event({ seq: 2, type: 3, call: 0 }), 4096 + 64 * 2, /sync record with call 0/],
    ['unknown call', (b) => b.event({ seq: 2, type: 3, call: 11 }), 4096 + 64 * 2, /sync record with call 11/],
    ['a call on an open', (b) => b.event({ seq: 2, type: 4, call: 1 }), 4096 + 64 * 2, /record of type 4 with call 1/],
    ['unknown type past the Node call', (b) => b.event({ seq: 2, type: 13 }), 4096 + 64 * 2, /unknown record type 13, expected 1 to 6 or 10 to 12/],
    ['a Node call without an API', (b) => b.event({ seq: 2, type: 12, call: 0 }), 4096 + 64 * 2 + 5, /Node call record with API 0, expected 1 to 14/],
    ['a Node call of an unknown API', (b) => b.event({ seq: 2, type: 12, call: 15 }), 4096 + 64 * 2 + 5, /Node call record with API 15, expected 1 to 14/],
    ['a Node call with an open\'s flag', (b) => b.event({ seq: 2, type: 12, call: 1, flags: 0x180 }), 4096 + 64 * 2 + 6, /unknown flags 0x180 in a Node call record/],
    ['a Node call with a close\'s flag', (b) => b.event({ seq: 2, type: 12, call: 1, flags: 0x400 }), 4096 + 64 * 2 + 6, /unknown flags 0x400 in a Node call record/],
    ['a Node call with a link but not the linked flag', (b) => b.event({ seq: 2, type: 12, call: 1, flags: 0x40, writeUs: 1 }), 4096 + 64 * 2 + 52, /not linked \(flag 0x80\) with a link/],
    ['unknown flags', (b) => b.event({ seq: 2, type: 3, flags: 0x800 }), 4096 + 64 * 2 + 6, /unknown flags 0x800/],
    ['start time 0', (b) => b.event({ seq: 2, type: 3, startNs: 0n }), 4096 + 64 * 2 + 8, /start time 0/],
    ['path id 0', (b) => b.path({ seq: 0, pathId: 0, name: '/x' }), 4096, /path id 0/],
    ['path too long', (b) => { b.path({ seq: 0, pathId: 1, name: '/x' }); b.buf.writeUInt32LE(5000, 4096 + 12); }, 4096, /path of 5000 bytes/],
    ['record in the wrong slot', (b) => b.buf.writeUInt32LE(7, 4096 + 64 * 2), 4096 + 64 * 2, /sequence number 7 does not belong in slot 2/],
  ];
  for (const [what, spoil, offset, message] of cases) {
    const b = small();
    spoil(b);
    const err = traceError(() => decodeTrace(b.buf, FILE));
    assert.equal([what, err.file, err.offset], [what, FILE, offset]);
    assert.match(err.message, message, what);
    assert.ok(err.message.startsWith(`${FILE}: at byte ${offset}: `), err.message);
  }
});

test('a path longer than 32 bytes continues in the following records', () => {
  const name = `/${'d'.repeat(40)}/${'é'.repeat(30)}/file.log`; // 111 bytes in UTF-8: head + 2 continuations
  assert.is(Buffer.byteLength(name), 111);
  const b = new TraceBuilder({ ringSlots: 16, nextSeq: 5n })
    .event({ seq: 0, type: 3, pathId: 0 })
    .path({ seq: 1, pathId: 9, name })
    .event({ seq: 4, type: 3, pathId: 9 });
  const t = decodeTrace(b.buf, FILE);
  assert.is(t.paths.get(9)?.name, name);
  assert.equal(eventList(t).map((e) => [e.seq, e.path]), [[0, null], [4, name]]);
  assert.equal([t.stats.records, t.stats.events, t.stats.incompletePaths, t.stats.unnamedEvents], [5, 2, 0, 0]);
});

test('a path exactly 32 bytes long needs no continuation; 33 bytes need one', () => {
  const n32 = `/${'a'.repeat(31)}`;
  const n33 = `/${'b'.repeat(32)}`;
  const b = new TraceBuilder({ ringSlots: 16, nextSeq: 5n })
    .path({ seq: 0, pathId: 1, name: n32 })
    .path({ seq: 1, pathId: 2, name: n33 })
    .event({ seq: 3, type: 3, pathId: 1 })
    .event({ seq: 4, type: 3, pathId: 2 });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => e.path), [n32, n33]);
});

test('a path whose continuation is missing is incomplete: its events are kept, unnamed, and counted', () => {
  const name = `/${'x'.repeat(100)}`;
  const b = new TraceBuilder({ ringSlots: 16, nextSeq: 6n })
    .path({ seq: 1, pathId: 3, name })
    .event({ seq: 4, type: 3, pathId: 3 })
    .event({ seq: 5, type: 5, pathId: 3 })
    .clear(2);
  const t = decodeTrace(b.buf, FILE);
  assert.equal([t.paths.has(3), t.stats.incompletePaths, t.stats.unnamedEvents], [false, 1, 2]);
  assert.equal(eventList(t).map((e) => [e.seq, e.pathId, e.path]), [[4, 3, null], [5, 3, null]]);
});

test('an old copy of a path cut short does not count as incomplete when a whole copy is in the file', () => {
  // 8 slots. Seq 3 is an old path head whose slot nobody reused (seq 11 was
  // never written: a thread's unused block); its continuation (seq 4) has been
  // overwritten by seq 12. The path was named again at seqs 13-14.
  const name = `/${'q'.repeat(60)}`;
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: 16n })
    .path({ seq: 3, pathId: 4, name })
    .event({ seq: 12, type: 3, pathId: 4 })
    .path({ seq: 13, pathId: 4, name })
    .event({ seq: 15, type: 3, pathId: 4 })
    .event({ seq: 9, type: 3, pathId: 4 })
    .event({ seq: 10, type: 3, pathId: 4 });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => [e.seq, e.path]), [[9, name], [10, name], [12, name], [15, name]]);
  assert.equal([t.stats.incompletePaths, t.stats.unnamedEvents], [0, 0]);
});

test('a wrapped ring is read from its oldest record, by sequence number', () => {
  // 4 slots, 10 records written: seqs 6..9 survive in slots 2, 3, 0, 1.
  const b = new TraceBuilder({ ringSlots: 4, nextSeq: 10n });
  for (let seq = 6; seq < 10; seq++) b.event({ seq, type: 3, fd: seq });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => [e.seq, e.fd]), [[6, 6], [7, 7], [8, 8], [9, 9]]);
});

test('a wrapped ring whose path record is re-emitted near the end names the early events too', () => {
  const name = `/${'r'.repeat(60)}`; // head + 1 continuation
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: 16n });
  for (let seq = 8; seq < 16; seq++) b.event({ seq, type: 3, pathId: 5 });
  b.path({ seq: 13, pathId: 5, name });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => [e.seq, e.path]), [8, 9, 10, 11, 12, 15].map((s) => [s, name]));
  assert.is(t.stats.unnamedEvents, 0);
});

test('sequence numbers past 2^32 are ordered by serial-number arithmetic', () => {
  const base = 2 ** 32 - 2;
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: BigInt(base + 5) });
  for (let k = 0; k < 5; k++) b.event({ seq: base + k, type: 3, fd: k });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => [e.seq, e.fd]), [0, 1, 2, 3, 4].map((k) => [base + k, k]));
});

test('records far apart in sequence (an old lap left in a slot nobody reused) are still ordered', () => {
  // 8 slots; seq 3 is from long ago; 999 (path head), 1000 (its continuation), 1001 are recent.
  const name = `/${'p'.repeat(40)}`;
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: 1002n })
    .event({ seq: 3, type: 3, fd: 3 })
    .path({ seq: 999, pathId: 2, name })
    .event({ seq: 1001, type: 3, fd: 1001, pathId: 2 });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => [e.seq, e.fd, e.path]), [[3, 3, null], [1001, 1001, name]]);
  assert.is(t.stats.records, 4);
});

test('a live file: records newer than the header counter are kept and counted', () => {
  const b = small();
  b.buf.writeBigUInt64LE(3n, 56); // the counter read before records 3 and 4 were claimed
  const t = decodeTrace(b.buf, FILE);
  assert.equal([t.events.length, t.stats.newerThanHeader], [4, 2]);
  assert.equal(eventList(t).map((e) => e.seq), [1, 2, 3, 4]);
});

test('a buffer that does not start on an 8-byte boundary decodes the same', () => {
  const src = small().buf;
  const padded = new Uint8Array(src.length + 3);
  padded.set(src, 3);
  const t = decodeTrace(padded.subarray(3), FILE);
  assert.equal(eventList(t), eventList(decodeTrace(src, FILE)));
});

test('a rename event links the old name to the new path id', () => {
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: 3n })
    .path({ seq: 0, pathId: 1, name: '/d/old' })
    .path({ seq: 1, pathId: 2, name: '/d/new' })
    .event({ seq: 2, type: 6, pathId: 1, writes: 2 });
  const t = decodeTrace(b.buf, FILE);
  const [e] = eventList(t);
  assert.equal([e!.type, e!.path, t.paths.get(e!.writes)?.name], ['rename', '/d/old', '/d/new']);
});

test('link and unlink records, and the created, open-file and at-exit flags (added without a version change)', () => {
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: 6n })
    .path({ seq: 0, pathId: 1, name: '/d/tmp_1' })
    .path({ seq: 1, pathId: 2, name: '/d/obj' })
    .event({ seq: 2, type: 4, pathId: 1, writes: 0o301, flags: 0x100 })
    .event({ seq: 3, type: 10, pathId: 1, writes: 2, flags: 0x200, bytes: 50n })
    .event({ seq: 4, type: 11, pathId: 1 })
    .event({ seq: 5, type: 5, pathId: 2, flags: 0x410, bytes: 7n });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => [e.type, e.path, e.flags, Number(e.bytes)]), [
    ['open', '/d/tmp_1', 0x100, 0], ['link', '/d/tmp_1', 0x200, 50], ['unlink', '/d/tmp_1', 0, 0], ['close', '/d/obj', 0x410, 7],
  ]);
  assert.is(t.paths.get(eventList(t)[1]!.writes)?.name, '/d/obj');
});

test('Node call records (type 12): their own columns, the API by name, the call site from the names, not events', () => {
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: 5n })
    .path({ seq: 0, pathId: 1, name: '/d/wal' })
    .path({ seq: 1, pathId: 2, name: '/app/server.js:41', dev: 0n, ino: 0n })
    .event({ seq: 2, type: 3, call: 1, pathId: 1, tid: 77, startNs: 5000n, durNs: 300n })
    .event({ seq: 3, type: 12, call: 1, pathId: 1, writes: 2, startNs: 4000n, durNs: 9000n, res: 0 })
    .event({ seq: 4, type: 12, call: 8, pathId: 1, fd: -1, flags: 0x8, writes: 0, bytes: 12n, res: -5 });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(eventList(t).map((e) => [e.type, e.call]), [['sync', 'fsync']]);
  assert.is(t.stats.jsCalls, 2);
  assert.equal(jsList(t).map((j) => [j.api, j.path, j.site, j.startNs, j.durNs, j.fd, j.res, j.bytes, j.flags]), [
    ['fs.fsync', '/d/wal', '/app/server.js:41', 4000n, 9000n, 3, 0, 0n, 0],
    ['fs.writeFileSync', '/d/wal', null, 1_004_000n, 500n, -1, -5, 12n, 0x8],
  ]);
});

test('a linked Node call (flag 0x80): the low 32 bits of its sync\'s start_ns at offset 52, kept whole; 0 there without the flag', () => {
  const b = new TraceBuilder({ ringSlots: 8, nextSeq: 5n })
    .path({ seq: 0, pathId: 1, name: '/d/wal' })
    .event({ seq: 1, type: 3, call: 1, pathId: 1, tid: 78, startNs: 0x1_0000_0010n, durNs: 300n })
    // The call began just before the low 32 bits wrapped; its sync just after: the link is small.
    .event({ seq: 2, type: 12, call: 5, pathId: 1, startNs: 0xffff_fff0n, durNs: 900n, flags: 0x80, writeUs: 0x10 })
    // A link of 0xffffffff (all bits) and of 0 are links too, with the flag.
    .event({ seq: 3, type: 12, call: 1, pathId: 1, startNs: 0x2_0000_0000n, durNs: 9000n, flags: 0xc0, writeUs: 0xffff_ffff })
    .event({ seq: 4, type: 12, call: 3, pathId: 1, startNs: 0x3_0000_0000n, durNs: 9000n, flags: 0x80, writeUs: 0 });
  const t = decodeTrace(b.buf, FILE);
  assert.equal(jsList(t).map((j) => [j.api, j.flags, j.link]), [
    ['filehandle.sync', 0x80, 0x10], ['fs.fsync', 0xc0, 0xffff_ffff], ['fs.fdatasync', 0x80, 0],
  ]);
  const old = new TraceBuilder({ ringSlots: 8, nextSeq: 3n })
    .path({ seq: 0, pathId: 1, name: '/d/wal' })
    .event({ seq: 1, type: 12, call: 1, pathId: 1, startNs: 4000n, durNs: 9000n, flags: 0x40 });
  assert.equal(jsList(decodeTrace(old.buf, FILE)).map((j) => [j.flags, j.link]), [[0x40, null]]);
});

test('header strings: NUL-terminated, full-width, and invalid UTF-8 replaced', () => {
  const b = small();
  b.buf.fill(0x41, 136, 136 + 72); // a host name filling its field, no NUL
  b.buf.writeUInt8(0xff, 208); // an exe path that is not UTF-8
  b.buf.writeUInt8(0, 209);
  const t = decodeTrace(b.buf, FILE);
  assert.equal([t.header.host, t.header.exe], ['A'.repeat(72), '\ufffd']);
});

test.run();
