/**
 * Decode one trace file (recorders/FORMAT.md) into a header, a path table and
 * columns of events in sequence order.
 *
 * The magic and version are checked before anything else; every error names
 * the file and the byte offset, and says what was expected and what was found.
 * A file that is still being written, a copy cut short and a torn last record
 * are read as far as they go and counted in `stats`.
 */
import { readFileSync } from 'node:fs';
import { TraceError } from '../errors.js';
import {
  CALL_MAX,
  EVENT,
  FLAGS_KNOWN,
  HEADER,
  HEADER_SIZE,
  HEADER_STRING_SIZE,
  MAGIC,
  PATH,
  PATH_CONT_BYTES,
  PATH_CONT_OFFSET,
  PATH_HEAD_BYTES,
  PATH_MAX_LEN,
  RECORD_SIZE,
  RecordType,
  VERSION,
} from './layout.js';
import { readCString, readU32, readU64, readU64Number } from './read.js';

export interface TraceHeader {
  version: number;
  ringSlots: number;
  realtimeNs: bigint;
  monotonicNs: bigint;
  pid: number;
  ppid: number;
  uid: number;
  flags: number;
  nextSeq: bigint;
  dropped: bigint;
  maxBytes: bigint;
  recorderVersion: string;
  bootId: string;
  host: string;
  exe: string;
  cmdline: string[];
  cmdlineTruncated: boolean;
}

export interface TracePath {
  id: number;
  name: string;
  dev: bigint;
  ino: bigint;
}

/** Events as columns, in sequence order; u64 fields are BigUint64Arrays. */
export interface EventColumns {
  length: number;
  seq: Float64Array;
  type: Uint8Array;
  call: Uint8Array;
  flags: Uint16Array;
  startNs: BigUint64Array;
  durNs: BigUint64Array;
  tid: Uint32Array;
  fd: Int32Array;
  pathId: Uint32Array;
  res: Int32Array;
  bytes: BigUint64Array;
  writes: Uint32Array;
  writeUs: Uint32Array;
  ivalStartNs: BigUint64Array;
}

export interface DecodeStats {
  /** Ring slots present in the file. */
  slots: number;
  /** Slots that hold a record (events and path records). */
  records: number;
  /** Event records. */
  events: number;
  /** 1 when the file ends in a partial record. */
  torn: number;
  /** Paths whose continuation records were missing (in every copy the file holds). */
  incompletePaths: number;
  /** Events that name a path the file does not hold. */
  unnamedEvents: number;
  /** Records written after the header's sequence counter was read (a live file). */
  newerThanHeader: number;
}

export interface DecodedTrace {
  file: string;
  size: number;
  header: TraceHeader;
  paths: Map<number, TracePath>;
  events: EventColumns;
  stats: DecodeStats;
}

/** Read and decode the trace at `file`. */
export function readTrace(file: string): DecodedTrace {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new TraceError(file, undefined, `cannot read (${code})`);
  }
  return decodeTrace(buf, file);
}

/** Decode a whole trace held in memory; `file` names it in errors. */
export function decodeTrace(buf: Uint8Array, file: string): DecodedTrace {
  const header = decodeHeader(buf, file);
  const slots = Math.min(header.ringSlots, Math.floor((buf.length - HEADER_SIZE) / RECORD_SIZE));
  const torn = buf.length > HEADER_SIZE + slots * RECORD_SIZE && slots < header.ringSlots ? 1 : 0;
  const ring = aligned(buf.subarray(HEADER_SIZE, HEADER_SIZE + slots * RECORD_SIZE));
  const order = orderSlots(ring, slots, header, file);
  const paths = decodePaths(ring, order, file);
  const events = decodeEvents(ring, order, paths.table, file);
  const stats: DecodeStats = {
    slots,
    records: order.slots.length,
    events: events.columns.length,
    torn,
    incompletePaths: paths.incomplete,
    unnamedEvents: events.unnamed,
    newerThanHeader: order.newerThanHeader,
  };
  return { file, size: buf.length, header, paths: paths.table, events: events.columns, stats };
}

function decodeHeader(buf: Uint8Array, file: string): TraceHeader {
  if (buf.length === 0) throw new TraceError(file, undefined, 'empty file, expected an fsync trace');
  const magicFound = buf.subarray(0, MAGIC.length);
  if (magicFound.length < MAGIC.length || !magicFound.every((b, i) => b === MAGIC[i])) {
    throw new TraceError(file, 0, `not an fsync trace: magic is ${hex(magicFound)}, expected ${hex(MAGIC)}`);
  }
  if (buf.length < HEADER.version + 4) throw new TraceError(file, buf.length, 'truncated header: no format version');
  const version = readU32(buf, HEADER.version);
  if (version !== VERSION) {
    throw new TraceError(file, HEADER.version, `format version ${version} is not supported, expected ${VERSION}`);
  }
  if (buf.length < HEADER_SIZE) {
    throw new TraceError(file, buf.length, `truncated header: ${buf.length} of ${HEADER_SIZE} bytes`);
  }
  expectU32(buf, file, HEADER.headerSize, HEADER_SIZE, 'header size');
  expectU32(buf, file, HEADER.recordSize, RECORD_SIZE, 'record size');
  const ringSlots = readU32(buf, HEADER.ringSlots);
  if (ringSlots === 0 || ringSlots >= 2 ** 31) {
    throw new TraceError(file, HEADER.ringSlots, `ring of ${ringSlots} slots, expected 1 to 2^31-1`);
  }
  // Sequence numbers are read as doubles: exact below 2^53, which a counter of records never reaches.
  const nextSeq = readU64(buf, HEADER.nextSeq);
  if (nextSeq >= 2n ** 53n) throw new TraceError(file, HEADER.nextSeq, `sequence counter ${nextSeq}, expected below 2^53`);
  const cmdlineLen = readU32(buf, HEADER.cmdlineLen);
  if (cmdlineLen > HEADER_STRING_SIZE.cmdline) {
    throw new TraceError(file, HEADER.cmdlineLen, `command line of ${cmdlineLen} bytes, expected at most ${HEADER_STRING_SIZE.cmdline}`);
  }
  const cmdline = utf8(buf.subarray(HEADER.cmdline, HEADER.cmdline + cmdlineLen)).split('\0');
  if (cmdline.length > 0 && cmdline[cmdline.length - 1] === '') cmdline.pop();
  return {
    version,
    ringSlots,
    realtimeNs: readU64(buf, HEADER.realtimeNs),
    monotonicNs: readU64(buf, HEADER.monotonicNs),
    pid: readU32(buf, HEADER.pid),
    ppid: readU32(buf, HEADER.ppid),
    uid: readU32(buf, HEADER.uid),
    flags: readU32(buf, HEADER.flags),
    nextSeq,
    dropped: readU64(buf, HEADER.dropped),
    maxBytes: readU64(buf, HEADER.maxBytes),
    recorderVersion: readCString(buf, HEADER.recorderVersion, HEADER_STRING_SIZE.recorderVersion),
    bootId: readCString(buf, HEADER.bootId, HEADER_STRING_SIZE.bootId),
    host: readCString(buf, HEADER.host, HEADER_STRING_SIZE.host),
    exe: readCString(buf, HEADER.exe, HEADER_STRING_SIZE.exe),
    cmdline,
    cmdlineTruncated: readU32(buf, HEADER.cmdlineTruncated) !== 0,
  };
}

interface SlotOrder {
  /** Slot indices of all records, in sequence order. */
  slots: Int32Array;
  /** Full sequence number of each entry of `slots`. */
  seqs: Float64Array;
  /** Slot index by full sequence number, for path continuations. */
  slotOfSeq: Map<number, number> | ((seq: number) => number);
  newerThanHeader: number;
}

/**
 * Find every committed slot and put the slots in sequence order.
 *
 * A record stores the low 32 bits of its sequence number; the header's
 * next_seq gives the rest (serial-number arithmetic, RFC 1982): a record is
 * at most 2^31 behind the counter, or a little ahead of it in a file read
 * while it was being written. A record must sit in slot `seq % ring_slots`.
 */
function orderSlots(ring: Uint8Array, slots: number, header: TraceHeader, file: string): SlotOrder {
  const u32 = new Uint32Array(ring.buffer, ring.byteOffset, slots * (RECORD_SIZE / 4));
  const u8 = ring;
  const next = Number(header.nextSeq);
  const n = header.ringSlots;
  const fullSeq = new Float64Array(slots);
  let count = 0;
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  let newer = 0;
  for (let slot = 0; slot < slots; slot++) {
    if (u8[slot * RECORD_SIZE + EVENT.type] === RecordType.Empty) continue;
    const low = u32[slot * (RECORD_SIZE / 4)]!;
    const age = (next - 1 - low) | 0; // how far behind the counter, as a signed 32-bit distance
    const seq = next - 1 - age;
    if (seq < 0 || seq % n !== slot) {
      throw new TraceError(file, HEADER_SIZE + slot * RECORD_SIZE,
        `record with sequence number ${low} does not belong in slot ${slot} of ${n} (header counter ${next})`);
    }
    if (age < 0) newer++;
    fullSeq[slot] = seq;
    count++;
    if (seq < minSeq) minSeq = seq;
    if (seq > maxSeq) maxSeq = seq;
  }
  const order = new Int32Array(count);
  const seqs = new Float64Array(count);
  if (count === 0) return { slots: order, seqs, slotOfSeq: new Map(), newerThanHeader: 0 };
  const span = maxSeq - minSeq + 1;
  if (span <= 4 * slots + 64) {
    // Sequence numbers are unique and nearly contiguous: place each slot directly.
    const bySeq = new Int32Array(span).fill(-1);
    for (let slot = 0; slot < slots; slot++) {
      if (u8[slot * RECORD_SIZE + EVENT.type] !== RecordType.Empty) bySeq[fullSeq[slot]! - minSeq] = slot;
    }
    let k = 0;
    for (let i = 0; i < span; i++) {
      const slot = bySeq[i]!;
      if (slot >= 0) {
        order[k] = slot;
        seqs[k++] = minSeq + i;
      }
    }
    const lookup = (seq: number): number => (seq >= minSeq && seq <= maxSeq ? bySeq[seq - minSeq]! : -1);
    return { slots: order, seqs, slotOfSeq: lookup, newerThanHeader: newer };
  }
  // Records from many laps ago survive in slots nobody reused: sort them in.
  const used: number[] = [];
  for (let slot = 0; slot < slots; slot++) if (u8[slot * RECORD_SIZE + EVENT.type] !== RecordType.Empty) used.push(slot);
  used.sort((a, b) => fullSeq[a]! - fullSeq[b]!);
  const map = new Map<number, number>();
  used.forEach((slot, i) => {
    order[i] = slot;
    seqs[i] = fullSeq[slot]!;
    map.set(fullSeq[slot]!, slot);
  });
  return { slots: order, seqs, slotOfSeq: map, newerThanHeader: newer };
}

function slotOf(order: SlotOrder, seq: number): number {
  const s = order.slotOfSeq;
  return typeof s === 'function' ? s(seq) : (s.get(seq) ?? -1);
}

/**
 * Collect the path table. A path may be in the file more than once (the
 * recorder names it again before its old copy is overwritten), and an old
 * copy whose continuation was overwritten can survive in a slot nobody
 * reused: a path is incomplete only when no copy of it is whole.
 */
function decodePaths(ring: Uint8Array, order: SlotOrder, file: string): { table: Map<number, TracePath>; incomplete: number } {
  const table = new Map<number, TracePath>();
  const cut = new Set<number>();
  for (let k = 0; k < order.slots.length; k++) {
    const slot = order.slots[k]!;
    const at = slot * RECORD_SIZE;
    const type = ring[at + EVENT.type]!;
    if (type !== RecordType.Path) continue;
    const offset = HEADER_SIZE + at;
    const id = readU32(ring, at + PATH.pathId);
    const len = readU32(ring, at + PATH.len);
    if (id === 0) throw new TraceError(file, offset, 'path record with path id 0, expected at least 1');
    if (len > PATH_MAX_LEN) throw new TraceError(file, offset, `path of ${len} bytes, expected at most ${PATH_MAX_LEN}`);
    const name = new Uint8Array(len);
    name.set(ring.subarray(at + PATH.name, at + PATH.name + Math.min(len, PATH_HEAD_BYTES)));
    let complete = true;
    for (let done = PATH_HEAD_BYTES, i = 1; done < len; done += PATH_CONT_BYTES, i++) {
      const cont = slotOf(order, order.seqs[k]! + i);
      if (cont < 0 || ring[cont * RECORD_SIZE + EVENT.type] !== RecordType.PathCont) {
        complete = false;
        break;
      }
      const from = cont * RECORD_SIZE + PATH_CONT_OFFSET;
      name.set(ring.subarray(from, from + Math.min(PATH_CONT_BYTES, len - done)), done);
    }
    if (!complete) {
      cut.add(id);
      continue;
    }
    table.set(id, { id, name: utf8(name), dev: readU64(ring, at + PATH.dev), ino: readU64(ring, at + PATH.ino) });
  }
  let incomplete = 0;
  for (const id of cut) if (!table.has(id)) incomplete++;
  return { table, incomplete };
}

function decodeEvents(ring: Uint8Array, order: SlotOrder, paths: Map<number, TracePath>, file: string): { columns: EventColumns; unnamed: number } {
  let n = 0;
  for (let k = 0; k < order.slots.length; k++) {
    const at = order.slots[k]! * RECORD_SIZE;
    const type = ring[at + EVENT.type]!;
    if (type === RecordType.Path || type === RecordType.PathCont) continue;
    checkEvent(ring, at, type, file);
    n++;
  }
  const cols = allocColumns(n);
  const src32 = new Uint32Array(ring.buffer, ring.byteOffset, ring.length / 4);
  const u64Fields: Array<[BigUint64Array, number]> = [
    [cols.startNs, EVENT.startNs], [cols.durNs, EVENT.durNs], [cols.bytes, EVENT.bytes], [cols.ivalStartNs, EVENT.ivalStartNs],
  ];
  const dst32 = u64Fields.map(([col, off]) => [new Uint32Array(col.buffer), off / 4] as const);
  const view = new DataView(ring.buffer, ring.byteOffset, ring.length);
  let unnamed = 0;
  let i = 0;
  for (let k = 0; k < order.slots.length; k++) {
    const at = order.slots[k]! * RECORD_SIZE;
    const type = ring[at + EVENT.type]!;
    if (type < RecordType.Sync) continue;
    const w = at / 4;
    cols.seq[i] = order.seqs[k]!;
    cols.type[i] = type;
    cols.call[i] = ring[at + EVENT.call]!;
    cols.flags[i] = view.getUint16(at + EVENT.flags, true);
    cols.tid[i] = src32[w + EVENT.tid / 4]!;
    cols.fd[i] = src32[w + EVENT.fd / 4]! | 0;
    cols.pathId[i] = src32[w + EVENT.pathId / 4]!;
    cols.res[i] = src32[w + EVENT.res / 4]! | 0;
    cols.writes[i] = src32[w + EVENT.writes / 4]!;
    cols.writeUs[i] = src32[w + EVENT.writeUs / 4]!;
    for (const [dst, word] of dst32) {
      dst[2 * i] = src32[w + word]!;
      dst[2 * i + 1] = src32[w + word + 1]!;
    }
    const pathId = cols.pathId[i]!;
    if (pathId !== 0 && !paths.has(pathId)) unnamed++;
    i++;
  }
  return { columns: cols, unnamed };
}

/** Structural checks on one record: anything else is corruption. */
function checkEvent(ring: Uint8Array, at: number, type: number, file: string): void {
  const offset = HEADER_SIZE + at;
  if (type > RecordType.Rename) throw new TraceError(file, offset, `unknown record type ${type}, expected 1 to ${RecordType.Rename}`);
  const call = ring[at + EVENT.call]!;
  if (type === RecordType.Sync) {
    if (call < 1 || call > CALL_MAX) throw new TraceError(file, offset, `sync record with call ${call}, expected 1 to ${CALL_MAX}`);
  } else if (call !== 0) {
    throw new TraceError(file, offset, `record of type ${type} with call ${call}, expected 0`);
  }
  const flags = ring[at + EVENT.flags]! | (ring[at + EVENT.flags + 1]! << 8);
  if ((flags & ~FLAGS_KNOWN) !== 0) throw new TraceError(file, offset + EVENT.flags, `unknown flags 0x${flags.toString(16)}`);
  if (readU64Number(ring, at + EVENT.startNs) === 0) throw new TraceError(file, offset + EVENT.startNs, 'event with start time 0');
}

function allocColumns(n: number): EventColumns {
  return {
    length: n,
    seq: new Float64Array(n),
    type: new Uint8Array(n),
    call: new Uint8Array(n),
    flags: new Uint16Array(n),
    startNs: new BigUint64Array(n),
    durNs: new BigUint64Array(n),
    tid: new Uint32Array(n),
    fd: new Int32Array(n),
    pathId: new Uint32Array(n),
    res: new Int32Array(n),
    bytes: new BigUint64Array(n),
    writes: new Uint32Array(n),
    writeUs: new Uint32Array(n),
    ivalStartNs: new BigUint64Array(n),
  };
}

function expectU32(buf: Uint8Array, file: string, offset: number, want: number, what: string): void {
  const got = readU32(buf, offset);
  if (got !== want) throw new TraceError(file, offset, `${what} is ${got}, expected ${want}`);
}

/** A copy whose start is 8-byte aligned, so typed arrays can view it. */
function aligned(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset % 8 === 0) return bytes;
  return new Uint8Array(bytes);
}

const decoder = new TextDecoder('utf-8');
function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function hex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '(nothing)' : Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
