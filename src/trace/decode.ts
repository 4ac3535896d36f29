/**
 * Decode one trace file (recorders/FORMAT.md) into a header, a path table,
 * columns of events in sequence order and, from version 2, the events kept
 * for longer, the per-interval summaries and the recorder's cost.
 *
 * The magic and version are checked before anything else; every error names
 * the file and the byte offset, and says what was expected and what was found.
 * A file that is still being written, a copy cut short and a torn last record
 * are read as far as they go and counted in `stats`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TraceError } from '../errors.js';
import {
  CALL_MAX,
  JS_SUMMARY_BASE,
  COST,
  EVENT,
  HIST_BUCKETS,
  HIST_OFFSET,
  HIST_PER_SLOT,
  SUMMARY,
  SUMMARY_ENTRY_SLOTS,
  ASIDE_SLOTS,
  VERSION_MIN,
  FLAGS_KNOWN,
  JS_API_MAX,
  JS_FLAGS_KNOWN,
  JS_LINK,
  FLAG_JS_LINKED,
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
import { halves, typed, typedColumns } from './arena.js';

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
  /** Version 2 regions after the ring; null when absent (and in version 1). */
  keep: Region | null;
  summary: Region | null;
  names: Region | null;
  /** Summary entries' own names (2 slots per entry), written when the names region would lose them. */
  aside: Region | null;
  summaryIntervalS: number;
  keepNext: bigint;
  summaryNext: bigint;
  namesNext: bigint;
  namesDropped: bigint;
  alertMs: number;
  alertFactor: number;
  alertMinMs: number;
  alertEveryS: number;
  alerts: bigint;
  alertsSuppressed: bigint;
  costPeriod: number;
  alertSink: number;
  /** The directory budget the file was made under (0: off), and what this process removed to keep it. */
  dirMaxBytes: bigint;
  dirRemoved: bigint;
  dirRemovedBytes: bigint;
  /** Why recording stopped (STOP_REASONS), 0 when it did not; the errno behind it. */
  stopReason: number;
  stopErrno: number;
  /** The process's name as the kernel has it (comm); '' in earlier files. */
  comm: string;
  alertsUnsent: bigint;
}

/** A region of the file: where it starts and how many 64-byte slots it has. */
export interface Region {
  offset: number;
  slots: number;
}

/** Summary-ring entries, one row per entry (not merged), in entry order. */
export interface SummaryColumns {
  length: number;
  /** The entry's number. */
  entry: Float64Array;
  call: Uint8Array;
  pathId: Uint32Array;
  intervalStartNs: BigUint64Array;
  calls: Uint32Array;
  errors: Uint32Array;
  alerts: Uint32Array;
  sumNs: BigUint64Array;
  maxNs: BigUint64Array;
  bytes: BigUint64Array;
  writes: Uint32Array;
  kept: Uint32Array;
  /** HIST_BUCKETS counts per entry: entry i's at i * HIST_BUCKETS. */
  hist: Uint16Array;
}

/** The recorder's measure of itself over one interval (an entry of the summary ring). */
export interface CostRow {
  intervalStartNs: bigint;
  period: number;
  samples: number;
  sampledNs: bigint;
  calls: bigint;
  syncNs: bigint;
  syncCalls: bigint;
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
  /** Keep-ring events, and how many of them were also in the ring (dropped as copies). */
  keptEvents: number;
  keptInRing: number;
  /** Summary-ring entries read (summaries and cost), and entries skipped half-written. */
  summaryEntries: number;
  incompleteEntries: number;
  /** Paths read from the names region. */
  namedPaths: number;
  /** Node hook records (type 12) in the ring. */
  jsCalls: number;
}

export interface DecodedTrace {
  file: string;
  size: number;
  header: TraceHeader;
  paths: Map<number, TracePath>;
  /** The ring's events, in sequence order. */
  events: EventColumns;
  /** Keep-ring events that the ring does not also hold, in keep order. */
  kept: EventColumns;
  /**
   * The Node hook's records (type 12), in sequence order, as event columns:
   * `call` is the API (JS_API_NAMES), `writes` the call site's name id (0: none),
   * `writeUs` the link (with FLAG_JS_LINKED: the low 32 bits of its sync's start_ns; else 0),
   * `bytes` what a writeFile wrote; startNs/durNs are the program's wait.
   */
  js: EventColumns;
  summaries: SummaryColumns;
  /** The Node hook's summary entries (kind JS_SUMMARY_BASE + API in the file): `call` is the API number. */
  jsSummaries: SummaryColumns;
  costs: CostRow[];
  stats: DecodeStats;
}

/**
 * Where the decoder gets a file's bytes: its header, and the slots of a
 * region. A file is read a region at a time (only the slots that can hold
 * data); a trace already in memory is sliced.
 */
interface TraceBytes {
  /** The file's size in bytes. */
  size: number;
  /** Its first HEADER_SIZE bytes (fewer in a shorter file). */
  head: Uint8Array;
  /** The slots [0, min(slots, used)) of the region at `offset` that the file holds, 8-byte aligned. */
  region(offset: number, slots: number, used: number): { bytes: Uint8Array; slots: number };
}

/** Slots of a region the file holds (a file still being written, or cut short, holds fewer), up to `used`. */
function presentSlots(size: number, offset: number, slots: number, used: number): number {
  return Math.max(0, Math.min(slots, used, Math.floor((size - offset) / RECORD_SIZE)));
}

function memoryBytes(buf: Uint8Array): TraceBytes {
  return {
    size: buf.length,
    head: buf.subarray(0, HEADER_SIZE),
    region(offset, slots, used) {
      const present = presentSlots(buf.length, offset, slots, used);
      return { bytes: aligned(buf.subarray(offset, offset + present * RECORD_SIZE)), slots: present };
    },
  };
}

/**
 * Buffers the regions of a file are read into, reused from one file to the
 * next: the k-th region read of a file goes into buffer k. A decoded trace
 * keeps nothing of them (names and values are copied out), and a file's
 * regions are all read before the next file's. On this kind of machine a
 * fresh page costs several microseconds at its first touch, so a fresh buffer
 * per region cost more than the decoding (a 64 MiB trace's ring is 16,000 pages).
 */
const readBuffers: Uint8Array[] = [];
/** Reads smaller than this get a buffer of their own: the many small traces of a big directory keep nothing large. */
const REUSE_BYTES = 1 << 16;

function readBuffer(k: number, length: number): Uint8Array {
  if (length < REUSE_BYTES) return new Uint8Array(length);
  let buf = readBuffers[k];
  if (buf === undefined || buf.length < length) {
    buf = new Uint8Array(Math.max(length, Math.min(2 * (buf?.length ?? 0), 1 << 28)));
    readBuffers[k] = buf;
  }
  return buf.subarray(0, length);
}

function fileBytes(fd: number, size: number): TraceBytes {
  let regions = 0;
  const read = (offset: number, length: number, out: Uint8Array): Uint8Array => {
    for (let at = 0; at < length;) {
      const n = readSync(fd, out, at, length - at, offset + at);
      if (n <= 0) return out.subarray(0, at);
      at += n;
    }
    return out;
  };
  const headBytes = Math.min(size, HEADER_SIZE);
  return {
    size,
    head: read(0, headBytes, new Uint8Array(headBytes)),
    region(offset, slots, used) {
      const length = presentSlots(size, offset, slots, used) * RECORD_SIZE;
      const bytes = read(offset, length, readBuffer(regions++, length));
      return { bytes, slots: Math.floor(bytes.length / RECORD_SIZE) };
    },
  };
}

/**
 * Records a live file may hold past its header's counters (a writer takes its
 * sequence number, then writes the record, while we read the header and then
 * the region): this many slots beyond them are read too, a page's worth.
 */
const SLACK_SLOTS = 64;

/** Slots of a region of `slots` that can hold data, by its counter `next` (SLACK_SLOTS past it for a live file). */
function usedSlots(slots: number, next: bigint): number {
  return next >= BigInt(slots) ? slots : Math.min(slots, Number(next) + SLACK_SLOTS);
}

/**
 * Read and decode the trace at `file`. Only the slots that can hold data are
 * read: the header's counters say how far each region was written (a region
 * whose counter passed its size is read whole). A sparse 64 MiB trace with a
 * few records costs a few small reads, and memory and time in proportion to
 * its records.
 */
export function readTrace(file: string): DecodedTrace {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new TraceError(file, undefined, readError(err));
  }
  try {
    return decodeFrom(fileBytes(fd, fstatSync(fd).size), file);
  } catch (err) {
    if (err instanceof TraceError) throw err;
    throw new TraceError(file, undefined, readError(err));
  } finally {
    closeSync(fd);
  }
}

/**
 * Just the header of the trace at `file` (one read of 4 KiB), or null when it
 * cannot be read or is not a valid header: readTrace then says why.
 */
export function readTraceHeader(file: string): TraceHeader | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const src = fileBytes(fd, fstatSync(fd).size);
    return decodeHeader(src.head, src.size, file);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, expected a trace file';
  return `cannot read (${code ?? String(err)})`;
}

/** Decode a whole trace held in memory; `file` names it in errors. */
export function decodeTrace(buf: Uint8Array, file: string): DecodedTrace {
  return decodeFrom(memoryBytes(buf), file);
}

function decodeFrom(src: TraceBytes, file: string): DecodedTrace {
  const header = decodeHeader(src.head, src.size, file);
  const ring = src.region(HEADER_SIZE, header.ringSlots, usedSlots(header.ringSlots, header.nextSeq));
  const order = orderSlots(ring.bytes, ring.slots, header.ringSlots, header.nextSeq, HEADER_SIZE, file);
  const paths = decodePaths(ring.bytes, order, HEADER_SIZE, file);
  const names = header.names ? decodeNames(src, header.names, header.namesNext, file) : { table: new Map<number, TracePath>(), cut: new Set<number>() };
  let namedPaths = 0;
  for (const [id, path] of names.table) {
    if (!paths.table.has(id)) paths.table.set(id, path);
    namedPaths++;
  }
  const events = decodeEvents(ring.bytes, order, paths.table, HEADER_SIZE, file);
  const js = decodeJs(ring.bytes, order, HEADER_SIZE, file);
  const kept = header.keep ? decodeKept(src, header, header.keep, events.columns, paths.table, file) : { columns: allocColumns(0), unnamed: 0, total: 0 };
  const summary = header.summary ? decodeSummaries(src, header, header.summary, file) : { columns: allocSummaries(0), js: allocSummaries(0), costs: [], entries: 0, incomplete: 0 };
  if (header.summary && header.aside) decodeAside(src, header, header.summary, header.aside, [summary.columns, summary.js], paths.table, file);
  let incompletePaths = 0;
  for (const id of new Set([...paths.cut, ...names.cut])) if (!paths.table.has(id)) incompletePaths++;
  const stats: DecodeStats = {
    slots: presentSlots(src.size, HEADER_SIZE, header.ringSlots, header.ringSlots),
    records: order.slots.length,
    events: events.columns.length,
    torn: torn(src.size, header),
    incompletePaths,
    unnamedEvents: events.unnamed + kept.unnamed,
    newerThanHeader: order.newerThanHeader,
    keptEvents: kept.total,
    keptInRing: kept.total - kept.columns.length,
    summaryEntries: summary.entries,
    incompleteEntries: summary.incomplete,
    namedPaths,
    jsCalls: js.length,
  };
  return { file, size: src.size, header, paths: paths.table, events: events.columns, kept: kept.columns, js, summaries: summary.columns, jsSummaries: summary.js, costs: summary.costs, stats };
}

/** 1 when the file ends inside a record: a copy cut short, or a torn write. */
function torn(size: number, header: TraceHeader): number {
  const regions = [header.keep, header.summary, header.names, header.aside].filter((r): r is Region => r !== null);
  const end = Math.max(HEADER_SIZE + header.ringSlots * RECORD_SIZE, ...regions.map((r) => r.offset + r.slots * RECORD_SIZE));
  return size < end && (size - HEADER_SIZE) % RECORD_SIZE !== 0 ? 1 : 0;
}

function decodeHeader(buf: Uint8Array, size: number, file: string): TraceHeader {
  if (size === 0) throw new TraceError(file, undefined, 'empty file, expected an fsync trace');
  const magicFound = buf.subarray(0, MAGIC.length);
  if (magicFound.length < MAGIC.length || !magicFound.every((b, i) => b === MAGIC[i])) {
    throw new TraceError(file, 0, `not an fsync trace: magic is ${hex(magicFound)}, expected ${hex(MAGIC)}`);
  }
  if (buf.length < HEADER.version + 4) throw new TraceError(file, buf.length, 'truncated header: no format version');
  const version = readU32(buf, HEADER.version);
  if (version < VERSION_MIN || version > VERSION) {
    throw new TraceError(file, HEADER.version, `format version ${version} is not supported, expected ${VERSION_MIN} to ${VERSION}`);
  }
  if (size < HEADER_SIZE || buf.length < HEADER_SIZE) {
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
  const v2 = version >= 2;
  const regions = v2 ? decodeRegions(buf, ringSlots, file) : { keep: null, summary: null, names: null, aside: null };
  const u32 = (off: number): number => (v2 ? readU32(buf, off) : 0);
  const u64 = (off: number): bigint => (v2 ? readU64(buf, off) : 0n);
  for (const [off, what] of [[HEADER.keepNext, 'keep'], [HEADER.summaryNext, 'summary']] as const) {
    const n = u64(off);
    if (n >= 2n ** 53n) throw new TraceError(file, off, `${what} sequence counter ${n}, expected below 2^53`);
  }
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
    ...regions,
    summaryIntervalS: u32(HEADER.summaryIntervalS),
    keepNext: u64(HEADER.keepNext),
    summaryNext: u64(HEADER.summaryNext),
    namesNext: u64(HEADER.namesNext),
    namesDropped: u64(HEADER.namesDropped),
    alertMs: u32(HEADER.alertMs),
    alertFactor: u32(HEADER.alertFactor),
    alertMinMs: u32(HEADER.alertMinMs),
    alertEveryS: u32(HEADER.alertEveryS),
    alerts: u64(HEADER.alerts),
    alertsSuppressed: u64(HEADER.alertsSuppressed),
    costPeriod: u32(HEADER.costPeriod),
    alertSink: u32(HEADER.alertSink),
    dirMaxBytes: u64(HEADER.dirMaxBytes),
    dirRemoved: u64(HEADER.dirRemoved),
    dirRemovedBytes: u64(HEADER.dirRemovedBytes),
    stopReason: u32(HEADER.stopReason),
    stopErrno: u32(HEADER.stopErrno),
    comm: readCString(buf, HEADER.comm, HEADER_STRING_SIZE.comm),
    alertsUnsent: u64(HEADER.alertsUnsent),
  };
}

/**
 * The version-2 regions: keep, summary, names, aside, in that order after the
 * ring, each on a 64-byte boundary at or after the end of the one before. A
 * region with 0 slots is absent and must have offset 0.
 */
function decodeRegions(buf: Uint8Array, ringSlots: number, file: string): Pick<TraceHeader, 'keep' | 'summary' | 'names' | 'aside'> {
  let end = HEADER_SIZE + ringSlots * RECORD_SIZE;
  const one = (name: string, offsetAt: number, slotsAt: number): Region | null => {
    const offset = readU64Number(buf, offsetAt);
    const slots = readU32(buf, slotsAt);
    if (slots === 0) {
      if (offset !== 0) throw new TraceError(file, offsetAt, `${name} region at byte ${offset} with 0 slots, expected offset 0`);
      return null;
    }
    if (slots >= 2 ** 31) throw new TraceError(file, slotsAt, `${name} region of ${slots} slots, expected fewer than 2^31`);
    if (offset < end || offset % RECORD_SIZE !== 0 || !Number.isSafeInteger(offset)) {
      throw new TraceError(file, offsetAt, `${name} region at byte ${offset}, expected a multiple of ${RECORD_SIZE} from ${end} on`);
    }
    end = offset + slots * RECORD_SIZE;
    return { offset, slots };
  };
  const keep = one('keep', HEADER.keepOffset, HEADER.keepSlots);
  const summary = one('summary', HEADER.summaryOffset, HEADER.summarySlots);
  if (summary && summary.slots % SUMMARY_ENTRY_SLOTS !== 0) {
    throw new TraceError(file, HEADER.summarySlots, `summary region of ${summary.slots} slots, expected a multiple of ${SUMMARY_ENTRY_SLOTS}`);
  }
  const names = one('names', HEADER.namesOffset, HEADER.namesSlots);
  const aside = one('aside', HEADER.asideOffset, HEADER.asideSlots);
  if (aside && (!summary || aside.slots !== (summary.slots / SUMMARY_ENTRY_SLOTS) * ASIDE_SLOTS)) {
    throw new TraceError(file, HEADER.asideSlots, `aside region of ${aside.slots} slots, expected ${ASIDE_SLOTS} per summary entry (${summary ? summary.slots / SUMMARY_ENTRY_SLOTS : 0} entries)`);
  }
  return { keep, summary, names, aside };
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
function orderSlots(ring: Uint8Array, slots: number, n: number, nextSeq: bigint, base: number, file: string): SlotOrder {
  const u32 = new Uint32Array(ring.buffer, ring.byteOffset, slots * (RECORD_SIZE / 4));
  const u8 = ring;
  const next = Number(nextSeq);
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
      throw new TraceError(file, base + slot * RECORD_SIZE,
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
function decodePaths(ring: Uint8Array, order: SlotOrder, base: number, file: string): { table: Map<number, TracePath>; cut: Set<number> } {
  const table = new Map<number, TracePath>();
  const cut = new Set<number>();
  for (let k = 0; k < order.slots.length; k++) {
    const slot = order.slots[k]!;
    const at = slot * RECORD_SIZE;
    const type = ring[at + EVENT.type]!;
    if (type !== RecordType.Path) continue;
    const offset = base + at;
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
  return { table, cut };
}

/** The events among the ordered slots, checked and copied into columns in one pass. */
function decodeEvents(ring: Uint8Array, order: SlotOrder, paths: Map<number, TracePath>, base: number, file: string): { columns: EventColumns; unnamed: number } {
  const cols = allocColumns(order.slots.length);
  const src32 = new Uint32Array(ring.buffer, ring.byteOffset, ring.length / 4);
  const start = halves(cols.startNs);
  const dur = halves(cols.durNs);
  const bytes = halves(cols.bytes);
  const ival = halves(cols.ivalStartNs);
  const sync = RecordType.Sync;
  let unnamed = 0;
  let lastPath = 0;
  let lastKnown = true;
  let i = 0;
  for (let k = 0; k < order.slots.length; k++) {
    const at = order.slots[k]! * RECORD_SIZE;
    const type = ring[at + EVENT.type]!;
    if (type < sync || type === RecordType.Js) continue;
    checkEvent(ring, at, type, base, file);
    const w = at / 4;
    cols.seq[i] = order.seqs[k]!;
    cols.type[i] = type;
    cols.call[i] = ring[at + EVENT.call]!;
    cols.flags[i] = ring[at + EVENT.flags]! | (ring[at + EVENT.flags + 1]! << 8);
    cols.tid[i] = src32[w + EVENT.tid / 4]!;
    cols.fd[i] = src32[w + EVENT.fd / 4]! | 0;
    const pathId = src32[w + EVENT.pathId / 4]!;
    cols.pathId[i] = pathId;
    cols.res[i] = src32[w + EVENT.res / 4]! | 0;
    cols.writes[i] = src32[w + EVENT.writes / 4]!;
    cols.writeUs[i] = src32[w + EVENT.writeUs / 4]!;
    start[2 * i] = src32[w + EVENT.startNs / 4]!;
    start[2 * i + 1] = src32[w + EVENT.startNs / 4 + 1]!;
    dur[2 * i] = src32[w + EVENT.durNs / 4]!;
    dur[2 * i + 1] = src32[w + EVENT.durNs / 4 + 1]!;
    bytes[2 * i] = src32[w + EVENT.bytes / 4]!;
    bytes[2 * i + 1] = src32[w + EVENT.bytes / 4 + 1]!;
    ival[2 * i] = src32[w + EVENT.ivalStartNs / 4]!;
    ival[2 * i + 1] = src32[w + EVENT.ivalStartNs / 4 + 1]!;
    if (pathId !== lastPath) {
      lastPath = pathId;
      lastKnown = pathId === 0 || paths.has(pathId);
    }
    if (!lastKnown) unnamed++;
    i++;
  }
  return { columns: firstRows(cols, i), unnamed };
}

/** The Node hook's records among the ordered slots, checked, as event columns. */
function decodeJs(ring: Uint8Array, order: SlotOrder, base: number, file: string): EventColumns {
  const picked: number[] = [];
  for (let k = 0; k < order.slots.length; k++) {
    const at = order.slots[k]! * RECORD_SIZE;
    if (ring[at + EVENT.type] !== RecordType.Js) continue;
    const offset = base + at;
    const call = ring[at + EVENT.call]!;
    if (call < 1 || call > JS_API_MAX) throw new TraceError(file, offset + EVENT.call, `Node call record with API ${call}, expected 1 to ${JS_API_MAX}`);
    const flags = ring[at + EVENT.flags]! | (ring[at + EVENT.flags + 1]! << 8);
    if ((flags & ~JS_FLAGS_KNOWN) !== 0) throw new TraceError(file, offset + EVENT.flags, `unknown flags 0x${flags.toString(16)} in a Node call record`);
    if ((flags & FLAG_JS_LINKED) === 0 && readU32(ring, at + JS_LINK) !== 0) throw new TraceError(file, offset + JS_LINK, 'a Node call record not linked (flag 0x80) with a link');
    if (readU64Number(ring, at + EVENT.startNs) === 0) throw new TraceError(file, offset + EVENT.startNs, 'event with start time 0');
    picked.push(k);
  }
  const cols = allocColumns(picked.length);
  const view = new DataView(ring.buffer, ring.byteOffset, ring.length);
  picked.forEach((k, i) => {
    const at = order.slots[k]! * RECORD_SIZE;
    cols.seq[i] = order.seqs[k]!;
    cols.type[i] = RecordType.Js;
    cols.call[i] = ring[at + EVENT.call]!;
    cols.flags[i] = view.getUint16(at + EVENT.flags, true);
    cols.startNs[i] = view.getBigUint64(at + EVENT.startNs, true);
    cols.durNs[i] = view.getBigUint64(at + EVENT.durNs, true);
    cols.tid[i] = view.getUint32(at + EVENT.tid, true);
    cols.fd[i] = view.getInt32(at + EVENT.fd, true);
    cols.pathId[i] = view.getUint32(at + EVENT.pathId, true);
    cols.res[i] = view.getInt32(at + EVENT.res, true);
    cols.bytes[i] = view.getBigUint64(at + EVENT.bytes, true);
    cols.writes[i] = view.getUint32(at + EVENT.writes, true);
    // The link (0 unless flag 0x80), where an event keeps write_us.
    cols.writeUs[i] = view.getUint32(at + JS_LINK, true);
    // made_ns (FORMAT.md), where an event keeps its interval's start.
    cols.ivalStartNs[i] = view.getBigUint64(at + EVENT.ivalStartNs, true);
  });
  return cols;
}

/** The first n rows of columns allocated for more: views, no copy. */
function firstRows(c: EventColumns, n: number): EventColumns {
  if (n === c.length) return c;
  const out = { length: n } as EventColumns;
  for (const key of Object.keys(c) as Array<keyof EventColumns>) {
    if (key !== 'length') (out as unknown as Record<string, unknown>)[key] = (c[key] as Uint8Array).subarray(0, n);
  }
  return out;
}

/** Structural checks on one record: anything else is corruption. */
function checkEvent(ring: Uint8Array, at: number, type: number, base: number, file: string): void {
  const offset = base + at;
  if (type > RecordType.Rename && type !== RecordType.Link && type !== RecordType.Unlink) {
    throw new TraceError(file, offset, `unknown record type ${type}, expected 1 to ${RecordType.Rename} or ${RecordType.Link} to ${RecordType.Js}`);
  }
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

/**
 * The names region: path records in position order, each written once per
 * use a half lap apart; until it goes round a record's seq is its slot index.
 */
function decodeNames(src: TraceBytes, names: Region, namesNext: bigint, file: string): { table: Map<number, TracePath>; cut: Set<number> } {
  const { bytes, slots } = src.region(names.offset, names.slots, usedSlots(names.slots, namesNext));
  if (namesNext > BigInt(names.slots)) {
    // A names ring that went round (recorders since issue 12): position n is in
    // slot n % names_slots with n's low 32 bits as seq, ordered like the keep ring.
    const order = orderSlots(bytes, slots, names.slots, namesNext, names.offset, file);
    for (const slot of order.slots) {
      const type = bytes[slot * RECORD_SIZE + EVENT.type]!;
      if (type !== RecordType.Path && type !== RecordType.PathCont) {
        throw new TraceError(file, names.offset + slot * RECORD_SIZE + EVENT.type, `record of type ${type} in the names region, expected a path record`);
      }
    }
    return decodePaths(bytes, order, names.offset, file);
  }
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, slots * (RECORD_SIZE / 4));
  const used: number[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const type = bytes[slot * RECORD_SIZE + EVENT.type]!;
    if (type === RecordType.Empty) continue;
    const offset = names.offset + slot * RECORD_SIZE;
    if (type !== RecordType.Path && type !== RecordType.PathCont) {
      throw new TraceError(file, offset + EVENT.type, `record of type ${type} in the names region, expected a path record`);
    }
    const seq = u32[slot * (RECORD_SIZE / 4)]!;
    if (seq !== slot) throw new TraceError(file, offset, `names record with sequence number ${seq} in slot ${slot}, expected ${slot}`);
    used.push(slot);
  }
  const order: SlotOrder = {
    slots: Int32Array.from(used),
    seqs: Float64Array.from(used),
    slotOfSeq: (seq: number) => (seq < slots && bytes[seq * RECORD_SIZE + EVENT.type] !== RecordType.Empty ? seq : -1),
    newerThanHeader: 0,
  };
  return decodePaths(bytes, order, names.offset, file);
}

/**
 * The keep ring: sync events in a ring of their own. An event the raw ring
 * also holds (same tid, start and call) is a copy and is left out.
 */
function decodeKept(src: TraceBytes, header: TraceHeader, keep: Region, ringEvents: EventColumns, paths: Map<number, TracePath>, file: string): { columns: EventColumns; unnamed: number; total: number } {
  const { bytes, slots } = src.region(keep.offset, keep.slots, usedSlots(keep.slots, header.keepNext));
  const order = orderSlots(bytes, slots, keep.slots, header.keepNext, keep.offset, file);
  for (const slot of order.slots) {
    const type = bytes[slot * RECORD_SIZE + EVENT.type]!;
    if (type !== RecordType.Sync) {
      throw new TraceError(file, keep.offset + slot * RECORD_SIZE + EVENT.type, `record of type ${type} in the keep ring, expected ${RecordType.Sync} (sync)`);
    }
  }
  const all = decodeEvents(bytes, order, paths, keep.offset, file).columns;
  const copy = ringCopies(ringEvents, all);
  const keepIdx: number[] = [];
  for (let i = 0; i < all.length; i++) if (!copy[i]) keepIdx.push(i);
  const cols = gather(all, keepIdx);
  let unnamed = 0;
  for (let i = 0; i < cols.length; i++) {
    const id = cols.pathId[i]!;
    if (id !== 0 && !paths.has(id)) unnamed++;
  }
  return { columns: cols, unnamed, total: all.length };
}

/**
 * Which kept events the ring holds too (same tid, start and call), on numbers:
 * the kept events (few) are hashed by start and tid into chains held in typed
 * arrays (a Map's lookups were ~10 % of the decode worker's samples), and the
 * ring is scanned once.
 */
function ringCopies(ring: EventColumns, kept: EventColumns): Uint8Array {
  const copy = new Uint8Array(kept.length);
  if (kept.length === 0) return copy;
  const start32 = (c: EventColumns) => new Uint32Array(c.startNs.buffer, c.startNs.byteOffset, c.length * 2);
  const rs = start32(ring);
  const ks = start32(kept);
  const bits = Math.max(4, 32 - Math.clz32(2 * kept.length - 1));
  const shift = 32 - bits;
  const hash = (lo: number, tid: number) => Math.imul(lo ^ Math.imul(tid, 0x9e3779b1), 0x85ebca6b) >>> shift;
  // head[h]: 1 + the last kept event of bucket h (0: none); next[k]: 1 + the one before k in its bucket.
  const head = new Int32Array(1 << bits);
  const next = new Int32Array(kept.length);
  for (let k = 0; k < kept.length; k++) {
    const h = hash(ks[2 * k]!, kept.tid[k]!);
    next[k] = head[h]!;
    head[h] = k + 1;
  }
  const sync = RecordType.Sync;
  for (let j = 0; j < ring.length; j++) {
    if (ring.type[j] !== sync) continue;
    const lo = rs[2 * j]!;
    for (let k1 = head[hash(lo, ring.tid[j]!)]!; k1 !== 0; k1 = next[k1 - 1]!) {
      const k = k1 - 1;
      if (lo === ks[2 * k] && rs[2 * j + 1] === ks[2 * k + 1] && ring.tid[j] === kept.tid[k] && ring.call[j] === kept.call[k]) copy[k] = 1;
    }
  }
  return copy;
}

/** The rows `idx` of `c`, as columns of their own. */
function gather(c: EventColumns, idx: readonly number[]): EventColumns {
  const out = allocColumns(idx.length);
  for (const key of Object.keys(out) as Array<keyof EventColumns>) {
    if (key === 'length') continue;
    const from = c[key] as { [i: number]: number | bigint };
    const to = out[key] as { [i: number]: number | bigint };
    for (let k = 0; k < idx.length; k++) to[k] = from[idx[k]!]!;
  }
  return out;
}

/**
 * The aside region: for summary entry index i, slots 2 i (a path head) and
 * 2 i + 1 (its continuation), both carrying the entry's seq, name the entry's
 * path when the names region would have lost it (names of up to 88 bytes).
 * Read only for entries whose path the other regions do not name; a pair
 * whose seq is not the entry's is another entry's, or half-written: skipped.
 * The name is the entry's path id's (entries of one name share it, so an
 * entry whose id was updated in place keeps the same name).
 */
function decodeAside(src: TraceBytes, header: TraceHeader, sum: Region, aside: Region, lists: SummaryColumns[], paths: Map<number, TracePath>, file: string): void {
  const total = sum.slots / SUMMARY_ENTRY_SLOTS;
  const wanted = lists.flatMap((cols) => Array.from({ length: cols.length }, (_, i) => [cols.pathId[i]!, cols.entry[i]!] as const))
    .filter(([id]) => id !== 0 && !paths.has(id));
  if (wanted.length === 0) return;
  const { bytes, slots } = src.region(aside.offset, aside.slots, usedSlots(aside.slots, header.summaryNext * BigInt(ASIDE_SLOTS)));
  for (const [id, n] of wanted) {
    const slot = (n % total) * ASIDE_SLOTS;
    if (slot + 1 >= slots || paths.has(id)) continue;
    const at = slot * RECORD_SIZE;
    const seq = n % 2 ** 32;
    if (bytes[at + EVENT.type] !== RecordType.Path || readU32(bytes, at) !== seq) continue;
    if (bytes[at + RECORD_SIZE + EVENT.type] !== RecordType.PathCont || readU32(bytes, at + RECORD_SIZE) !== seq) continue;
    const len = readU32(bytes, at + PATH.len);
    if (len === 0 || len > PATH_HEAD_BYTES + PATH_CONT_BYTES) {
      throw new TraceError(file, aside.offset + at + PATH.len, `aside name of ${len} bytes, expected 1 to ${PATH_HEAD_BYTES + PATH_CONT_BYTES}`);
    }
    const name = new Uint8Array(len);
    name.set(bytes.subarray(at + PATH.name, at + PATH.name + Math.min(len, PATH_HEAD_BYTES)));
    if (len > PATH_HEAD_BYTES) name.set(bytes.subarray(at + RECORD_SIZE + PATH_CONT_OFFSET, at + RECORD_SIZE + PATH_CONT_OFFSET + len - PATH_HEAD_BYTES), PATH_HEAD_BYTES);
    paths.set(id, { id, name: utf8(name), dev: readU64(bytes, at + PATH.dev), ino: readU64(bytes, at + PATH.ino) });
  }
}

/**
 * The summary ring: entries of three slots, entry n at index n % entries,
 * all three slots carrying n's low 32 bits. An entry whose slots disagree is
 * one a writer had not finished (or a later one is overwriting): skipped and
 * counted. Anything else out of place is corruption.
 */
function decodeSummaries(src: TraceBytes, header: TraceHeader, sum: Region, file: string): { columns: SummaryColumns; js: SummaryColumns; costs: CostRow[]; entries: number; incomplete: number } {
  const { bytes, slots } = src.region(sum.offset, sum.slots, usedSlots(sum.slots, header.summaryNext * BigInt(SUMMARY_ENTRY_SLOTS)));
  const total = sum.slots / SUMMARY_ENTRY_SLOTS;
  const present = Math.floor(slots / SUMMARY_ENTRY_SLOTS);
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, slots * (RECORD_SIZE / 4));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const next = Number(header.summaryNext);
  const found: Array<{ idx: number; n: number }> = [];
  let incomplete = 0;
  for (let idx = 0; idx < present; idx++) {
    const at = idx * SUMMARY_ENTRY_SLOTS * RECORD_SIZE;
    const offset = sum.offset + at;
    const type = bytes[at + EVENT.type]!;
    const types = [type, bytes[at + RECORD_SIZE + EVENT.type]!, bytes[at + 2 * RECORD_SIZE + EVENT.type]!];
    types.forEach((t, part) => {
      const ok = part === 0 ? t === RecordType.Empty || t === RecordType.Summary || t === RecordType.Cost : t === RecordType.Empty || t === RecordType.SummaryHist;
      if (!ok) throw new TraceError(file, offset + part * RECORD_SIZE + EVENT.type, `record of type ${t} in slot ${part} of a summary entry`);
    });
    if (type === RecordType.Empty) continue;
    const low = u32[at / 4]!;
    const whole = types[1] === RecordType.SummaryHist && types[2] === RecordType.SummaryHist &&
      u32[(at + RECORD_SIZE) / 4] === low && u32[(at + 2 * RECORD_SIZE) / 4] === low &&
      bytes[at + RECORD_SIZE + EVENT.call] === 0 && bytes[at + 2 * RECORD_SIZE + EVENT.call] === 1;
    if (!whole) {
      incomplete++;
      continue;
    }
    const age = (next - 1 - low) | 0;
    const n = next - 1 - age;
    if (n < 0 || n % total !== idx) {
      throw new TraceError(file, offset, `summary entry ${low} does not belong at entry ${idx} of ${total} (header counter ${next})`);
    }
    const call = bytes[at + EVENT.call]!;
    if (type === RecordType.Summary && (call < 1 || call > CALL_MAX) && (call <= JS_SUMMARY_BASE || call > JS_SUMMARY_BASE + JS_API_MAX)) {
      throw new TraceError(file, offset + EVENT.call, `summary with call ${call}, expected 1 to ${CALL_MAX} or ${JS_SUMMARY_BASE + 1} to ${JS_SUMMARY_BASE + JS_API_MAX} (a Node call)`);
    }
    if (type === RecordType.Cost && call !== 0) throw new TraceError(file, offset + EVENT.call, `cost record with call ${call}, expected 0`);
    found.push({ idx, n });
  }
  found.sort((a, b) => a.n - b.n);
  const summaryAt = (idx: number) => idx * SUMMARY_ENTRY_SLOTS * RECORD_SIZE;
  const isSummary = ({ idx }: { idx: number }) => bytes[summaryAt(idx) + EVENT.type] === RecordType.Summary;
  const isJs = ({ idx }: { idx: number }) => bytes[summaryAt(idx) + EVENT.call]! > JS_SUMMARY_BASE;
  const u64 = (at: number): bigint => view.getBigUint64(at, true);
  const columns = (list: Array<{ idx: number; n: number }>, base: number): SummaryColumns => {
    const cols = allocSummaries(list.length);
    list.forEach(({ idx, n }, i) => summaryRow(cols, i, idx, n, base));
    return cols;
  };
  const summaryRow = (cols: SummaryColumns, i: number, idx: number, n: number, base: number) => {
    const at = idx * SUMMARY_ENTRY_SLOTS * RECORD_SIZE;
    cols.entry[i] = n;
    cols.call[i] = bytes[at + EVENT.call]! - base;
    cols.intervalStartNs[i] = u64(at + SUMMARY.intervalStartNs);
    cols.pathId[i] = u32[(at + SUMMARY.pathId) / 4]!;
    cols.calls[i] = u32[(at + SUMMARY.calls) / 4]!;
    cols.errors[i] = u32[(at + SUMMARY.errors) / 4]!;
    cols.alerts[i] = u32[(at + SUMMARY.alerts) / 4]!;
    cols.sumNs[i] = u64(at + SUMMARY.sumNs);
    cols.maxNs[i] = u64(at + SUMMARY.maxNs);
    cols.bytes[i] = u64(at + SUMMARY.bytes);
    cols.writes[i] = u32[(at + SUMMARY.writes) / 4]!;
    cols.kept[i] = u32[(at + SUMMARY.kept) / 4]!;
    for (let k = 0; k < HIST_BUCKETS; k++) {
      const part = k < HIST_PER_SLOT ? 1 : 2;
      cols.hist[i * HIST_BUCKETS + k] = view.getUint16(at + part * RECORD_SIZE + HIST_OFFSET + 2 * (k % HIST_PER_SLOT), true);
    }
  };
  const cols = columns(found.filter((e) => isSummary(e) && !isJs(e)), 0);
  // A Node call's entries: `call` is its API number.
  const js = columns(found.filter((e) => isSummary(e) && isJs(e)), JS_SUMMARY_BASE);
  const costs: CostRow[] = [];
  for (const { idx } of found) {
    const at = idx * SUMMARY_ENTRY_SLOTS * RECORD_SIZE;
    if (bytes[at + EVENT.type] !== RecordType.Cost) continue;
    costs.push({
      intervalStartNs: u64(at + COST.intervalStartNs),
      period: u32[(at + COST.period) / 4]!,
      samples: u32[(at + COST.samples) / 4]!,
      sampledNs: u64(at + COST.sampledNs),
      calls: u64(at + COST.calls),
      syncNs: u64(at + COST.syncNs),
      syncCalls: u64(at + COST.syncCalls),
    });
  }
  return { columns: cols, js, costs, entries: found.length, incomplete };
}

function allocSummaries(n: number): SummaryColumns {
  return {
    length: n,
    ...typedColumns(n, {
      entry: Float64Array, call: Uint8Array, pathId: Uint32Array, intervalStartNs: BigUint64Array, calls: Uint32Array, errors: Uint32Array,
      alerts: Uint32Array, sumNs: BigUint64Array, maxNs: BigUint64Array, bytes: BigUint64Array, writes: Uint32Array, kept: Uint32Array,
    }),
    hist: typed(Uint16Array, n * HIST_BUCKETS),
  };
}

function allocColumns(n: number): EventColumns {
  return {
    length: n,
    ...typedColumns(n, {
      seq: Float64Array, type: Uint8Array, call: Uint8Array, flags: Uint16Array, startNs: BigUint64Array, durNs: BigUint64Array, tid: Uint32Array,
      fd: Int32Array, pathId: Uint32Array, res: Int32Array, bytes: BigUint64Array, writes: Uint32Array, writeUs: Uint32Array, ivalStartNs: BigUint64Array,
    }),
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
