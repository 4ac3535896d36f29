/**
 * What the loader needs of one trace file, made ready for appending: the
 * decoded trace, and its events as the columns of the `events` table, in
 * table order and in the table's types. It runs in a worker thread for large
 * loads (source.ts), so everything in it can be posted between threads.
 */
import { HEADER_SIZE, RECORD_SIZE } from '../trace/layout.js';
import { readTrace, type DecodeStats, type TraceHeader, type TracePath } from '../trace/decode.js';
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
  const trace = readTrace(file);
  const h = trace.header;
  const c = trace.events;
  const offsetNs = h.realtimeNs - h.monotonicNs;
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
