/**
 * What the loader needs of one trace file, made ready for appending: the
 * decoded trace, and its events as the columns of the `events` table, in
 * table order and in the table's types. It runs in a worker thread for large
 * loads (source.ts), so everything in it can be posted between threads.
 */
import { HEADER_SIZE, HIST_BUCKETS, RECORD_SIZE } from '../trace/layout.js';
import { readTrace, type CostRow, type DecodeStats, type EventColumns, type SummaryColumns, type TraceHeader, type TracePath } from '../trace/decode.js';
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
  /** The `events` table's columns, without trace_id (the loader numbers traces); source 'ring'. */
  columns: Column[];
  /** Keep-ring events the ring does not hold, as `columns` (source 'keep'). */
  kept: number;
  keptColumns: Column[];
  /** The `summary_entries` table's columns, without trace_id. */
  summaries: number;
  summaryColumns: Column[];
  /** The `summary_hist` table's columns (non-empty buckets), without trace_id. */
  histRows: number;
  histColumns: Column[];
  costs: CostRow[];
}

/** Every column buffer of a prepared trace, to transfer between threads. */
export function transferables(t: PreparedTrace): ArrayBuffer[] {
  return [...new Set([...t.columns, ...t.keptColumns, ...t.summaryColumns, ...t.histColumns].map((c) => c.buffer as ArrayBuffer))];
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
    columns: eventColumns(c, seqColumn(c.seq), offsetNs, 0),
    kept: trace.kept.length,
    keptColumns: eventColumns(trace.kept, keptSeqColumn(trace.kept.seq), offsetNs, 1),
    summaries: trace.summaries.length,
    summaryColumns: summaryColumns(trace.summaries, offsetNs),
    ...histColumns(trace.summaries, offsetNs),
    costs: trace.costs,
  };
}

/** The `events` table's columns in table order (trace_id aside); `source` 0 ring, 1 keep. */
function eventColumns(c: EventColumns, seq: BigInt64Array, offsetNs: bigint, source: number): Column[] {
  return [
    seq, c.type, c.call, c.flags, wallColumn(c.startNs, offsetNs), c.durNs,
    c.tid, c.fd, c.pathId, c.res, c.bytes, c.writes, c.writeUs, c.ivalStartNs,
    new Uint8Array(c.length).fill(source),
  ];
}

/** Kept events' seq: -(1 + keep-ring sequence number), so (trace_id, seq) stays unique. */
function keptSeqColumn(seq: Float64Array): BigInt64Array {
  const out = new BigInt64Array(seq.length);
  for (let i = 0; i < seq.length; i++) out[i] = -1n - BigInt(seq[i]!);
  return out;
}

function summaryColumns(s: SummaryColumns, offsetNs: bigint): Column[] {
  return [
    seqColumn(s.entry), s.call, s.pathId, wallColumn(s.intervalStartNs, offsetNs), s.calls, s.errors, s.alerts,
    s.sumNs, s.maxNs, s.bytes, s.writes, s.kept,
  ];
}

/** The non-empty histogram buckets of every entry, one row each, keyed like their entry. */
function histColumns(s: SummaryColumns, offsetNs: bigint): { histRows: number; histColumns: Column[] } {
  let n = 0;
  for (let i = 0; i < s.hist.length; i++) if (s.hist[i] !== 0) n++;
  const entry = new Float64Array(n);
  const call = new Uint8Array(n);
  const pathId = new Uint32Array(n);
  const start = new BigUint64Array(n);
  const bucket = new Uint8Array(n);
  const count = new Uint16Array(n);
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    for (let b = 0; b < HIST_BUCKETS; b++) {
      const v = s.hist[i * HIST_BUCKETS + b]!;
      if (v === 0) continue;
      entry[k] = s.entry[i]!;
      call[k] = s.call[i]!;
      pathId[k] = s.pathId[i]!;
      start[k] = s.intervalStartNs[i]!;
      bucket[k] = b;
      count[k++] = v;
    }
  }
  return { histRows: n, histColumns: [seqColumn(entry), call, pathId, wallColumn(start, offsetNs), bucket, count] };
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
