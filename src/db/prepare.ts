/**
 * What the loader needs of one trace file, made ready for appending: the
 * decoded trace, and its events as the columns of the `events` table, in
 * table order and in the table's types. It runs in a worker thread for large
 * loads (source.ts), so everything in it can be posted between threads.
 */
import { TraceError } from '../errors.js';
import { CALL_NAMES, EVENT, HEADER_SIZE, RECORD_SIZE, RecordType } from '../trace/layout.js';
import { readTrace, type DecodedTrace, type DecodeStats, type TraceHeader, type TracePath } from '../trace/decode.js';
import type { Column } from './append.js';

export interface PreparedTrace {
  file: string;
  size: number;
  header: TraceHeader;
  paths: TracePath[];
  stats: DecodeStats;
  /** Byte offset of the torn last record, when there is one. */
  tornAt: number | null;
  /** realtime_ns - monotonic_ns. */
  offsetNs: bigint;
  events: number;
  /** The `events` table's columns, without trace_id (the loader numbers traces). */
  columns: Column[];
}

export function prepareTrace(file: string): PreparedTrace {
  return prepareDecoded(readTrace(file));
}

/** prepareTrace for a trace already decoded (the fuzz tests decode from memory). */
export function prepareDecoded(trace: DecodedTrace): PreparedTrace {
  const file = trace.file;
  const h = trace.header;
  const c = trace.events;
  const offsetNs = h.realtimeNs - h.monotonicNs;
  checkTimes(trace, offsetNs);
  return {
    file,
    size: trace.size,
    header: h,
    paths: [...trace.paths.values()],
    stats: trace.stats,
    tornAt: trace.stats.torn ? HEADER_SIZE + trace.stats.slots * RECORD_SIZE : null,
    offsetNs,
    events: c.length,
    columns: [
      seqColumn(c.seq), c.type, c.call, c.flags, wallColumn(c.startNs, offsetNs), c.durNs,
      c.tid, c.fd, c.pathId, c.res, c.bytes, c.writes, c.writeUs, c.ivalStartNs,
    ],
  };
}

const TWO_32 = 2 ** 32;

/** Calls that close a write interval (recorders/FORMAT.md): fsync, fdatasync and the sync writes. */
export const INTERVAL_CALLS = new Set(['fsync', 'fdatasync', 'o_sync_write', 'o_dsync_write', 'rwf_sync_write', 'rwf_dsync_write']);
const INTERVAL_CALL_NUMBERS = new Set(CALL_NAMES.flatMap((name, call) => (INTERVAL_CALLS.has(name) ? [call] : [])));
const FLAG_NO_INTERVAL = 0x4;

/**
 * The wall-clock times the analyzer can place: 1970 to 2200. The tables keep
 * times as nanoseconds in TIMESTAMP_NS (a signed 64-bit count, which ends in
 * 2262), and the queries add durations, windows and gaps to them; the decades
 * left above 2200 keep those sums from overflowing.
 */
export const WALL_MIN_NS = 0;
export const WALL_MAX_NS = Date.UTC(2200, 0, 1) * 1e6;

/**
 * Every event's wall-clock start and end, and the start of the write interval
 * a sync closed, must fall within [WALL_MIN_NS, WALL_MAX_NS): a time outside
 * it comes from a corrupt record or clock anchor, and would overflow the
 * queries' arithmetic. The error names the record's byte offset (a record
 * with sequence number s sits in slot s % ring_slots). Doubles are exact
 * enough here: the bounds are centuries away from the int64 limit.
 */
function checkTimes(trace: DecodedTrace, offsetNs: bigint): void {
  const c = trace.events;
  const offset = Number(offsetNs);
  const u64 = (col: BigUint64Array) => new Uint32Array(col.buffer, col.byteOffset, col.length * 2);
  const start = u64(c.startNs);
  const dur = u64(c.durNs);
  const ival = u64(c.ivalStartNs);
  const at = (i: number, field: number) => HEADER_SIZE + (c.seq[i]! % trace.header.ringSlots) * RECORD_SIZE + field;
  const outside = (ns: number) => !(ns >= WALL_MIN_NS && ns < WALL_MAX_NS);
  const fail = (i: number, field: number, what: string, ns: number) => {
    const when = Number.isFinite(ns) && Math.abs(ns) < 8.64e24 ? new Date(Math.floor(ns / 1e6)).toISOString() : `${ns} ns`;
    throw new TraceError(trace.file, at(i, field), `${what} at wall-clock ${when}, outside 1970 to 2200: a corrupt record or clock anchor`);
  };
  for (let i = 0; i < c.length; i++) {
    const s = offset + start[2 * i]! + start[2 * i + 1]! * TWO_32;
    if (outside(s)) fail(i, EVENT.startNs, 'event start', s);
    const end = s + dur[2 * i]! + dur[2 * i + 1]! * TWO_32;
    if (outside(end)) fail(i, EVENT.durNs, 'event end (start + duration)', end);
    if (c.type[i] === RecordType.Sync && INTERVAL_CALL_NUMBERS.has(c.call[i]!) && (c.flags[i]! & FLAG_NO_INTERVAL) === 0) {
      const iv = offset + ival[2 * i]! + ival[2 * i + 1]! * TWO_32;
      if (outside(iv)) fail(i, EVENT.ivalStartNs, 'write interval start', iv);
    }
  }
}

/** Sequence numbers (exact doubles below 2^53) as BIGINT, through their 32-bit halves. */
function seqColumn(seq: Float64Array): BigInt64Array {
  const out = new BigInt64Array(seq.length);
  const halves = new Uint32Array(out.buffer);
  for (let i = 0; i < seq.length; i++) {
    const s = seq[i]!;
    halves[2 * i] = s % TWO_32;
    halves[2 * i + 1] = Math.floor(s / TWO_32);
  }
  return out;
}

/**
 * Wall-clock times: monotonic + offset, modulo 2^64, added in 32-bit halves
 * with a carry so that no BigInt is made per event.
 */
export function wallColumn(monotonic: BigUint64Array, offset: bigint): BigInt64Array {
  const out = new BigInt64Array(monotonic.length);
  const src = new Uint32Array(monotonic.buffer, monotonic.byteOffset, monotonic.length * 2);
  const dst = new Uint32Array(out.buffer);
  const u = BigInt.asUintN(64, offset);
  const offLo = Number(u & 0xffffffffn);
  const offHi = Number(u >> 32n);
  for (let i = 0; i < monotonic.length; i++) {
    const lo = src[2 * i]! + offLo;
    dst[2 * i] = lo;
    dst[2 * i + 1] = src[2 * i + 1]! + offHi + (lo >= TWO_32 ? 1 : 0);
  }
  return out;
}
