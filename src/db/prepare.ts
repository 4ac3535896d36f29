/**
 * What the loader needs of one trace file, made ready for appending: the
 * decoded trace, and its events as the columns of the `events` table, in
 * table order and in the table's types. It runs in a worker thread for large
 * loads (source.ts), so everything in it can be posted between threads.
 */
import { TraceError } from '../errors.js';
import { CALL_NAMES, EVENT, FLAG_JS_LINKED, HEADER_SIZE, HIST_BUCKETS, RECORD_SIZE, RecordType, SUMMARY, SUMMARY_ENTRY_SLOTS } from '../trace/layout.js';
import {
  readTrace, type CostRow, type DecodedTrace, type DecodeStats, type EventColumns, type SummaryColumns, type TraceHeader, type TracePath,
} from '../trace/decode.js';
import type { Column } from './append.js';
import { halves, typed, typedColumns } from '../trace/arena.js';

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
  /**
   * The `events` table's columns, without trace_id (the loader numbers traces); source 'ring'.
   * (Each table's columns are [] when the trace gives it no rows.)
   */
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
  /** The `recorder_cost` table's columns, without trace_id. */
  costRows: number;
  costColumns: Column[];
  /** The Node hook's summary entries: the `js_summary_entries` table's columns, without trace_id. */
  jsSummaries: number;
  jsSummaryColumns: Column[];
  /** The Node hook's calls: the `js_calls` table's columns without trace_id (file ids are the path ids until loaded). */
  js: number;
  jsColumns: Column[];
}

/** Every column buffer of a prepared trace, to transfer between threads. */
export function transferables(t: PreparedTrace): ArrayBuffer[] {
  return [...new Set([...t.columns, ...t.keptColumns, ...t.summaryColumns, ...t.histColumns, ...t.costColumns, ...t.jsColumns, ...t.jsSummaryColumns].map((c) => c.buffer as ArrayBuffer))];
}

export function prepareTrace(file: string): PreparedTrace {
  return prepareDecoded(readTrace(file));
}

/**
 * prepareTrace for a trace already decoded (the fuzz tests decode from memory).
 * It takes the trace's event and kept columns over: their `seq` and `startNs`
 * become the table's BIGINT seq and wall-clock start in place (the largest
 * columns of a load, not copied), so `trace.events` and `trace.kept` must not
 * be read for those afterwards.
 */
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
    columns: some(c.length, () => eventColumns(c, seqColumn(c.seq, IN_PLACE), offsetNs, 0)),
    kept: trace.kept.length,
    keptColumns: some(trace.kept.length, () => eventColumns(trace.kept, keptSeqColumn(trace.kept.seq), offsetNs, 1)),
    summaries: trace.summaries.length,
    summaryColumns: some(trace.summaries.length, () => summaryColumns(trace.summaries, offsetNs)),
    ...histColumns(trace.summaries, offsetNs),
    costRows: trace.costs.length,
    costColumns: some(trace.costs.length, () => costColumns(trace.costs, offsetNs)),
    jsSummaries: trace.jsSummaries.length,
    jsSummaryColumns: some(trace.jsSummaries.length, () => summaryColumns(trace.jsSummaries, offsetNs)),
    js: trace.js.length,
    jsColumns: some(trace.js.length, () => jsColumns(trace.js, offsetNs)),
  };
}

/** A table's columns, or none for no rows: fewer objects to post between threads and collect. */
function some(rows: number, columns: () => Column[]): Column[] {
  return rows === 0 ? [] : columns();
}

/** The `js_calls` table's columns in table order (trace_id aside): the site's name id is in `writes`, the link in `writeUs`. */
function jsColumns(c: EventColumns, offsetNs: bigint): Column[] {
  const link = linkColumn(c);
  return [seqColumn(c.seq), c.call, c.flags, wallColumn(c.startNs, offsetNs), c.durNs, c.tid, c.fd, c.pathId, c.res, c.bytes, c.writes, c.ivalStartNs, link];
}

/**
 * `js_calls.link_ns`: for a linked call (FLAG_JS_LINKED), how long after its start its sync
 * started, mod 2^32 ns (the link is that sync's start_ns's low 32 bits: recorders/FORMAT.md);
 * 0 for the others. A difference of monotonic times, so the wall-clock offset does not matter.
 */
function linkColumn(c: EventColumns): Uint32Array {
  const out = typed(Uint32Array, c.length);
  const start = halves(c.startNs);
  for (let i = 0; i < c.length; i++) {
    if ((c.flags[i]! & FLAG_JS_LINKED) !== 0) out[i] = (c.writeUs[i]! - start[2 * i]!) >>> 0;
  }
  return out;
}

/** The `events` table's columns in table order (trace_id aside); `source` 0 ring, 1 keep. */
function eventColumns(c: EventColumns, seq: BigInt64Array, offsetNs: bigint, source: number): Column[] {
  return [
    seq, c.type, c.call, c.flags, wallColumn(c.startNs, offsetNs, IN_PLACE), c.durNs,
    c.tid, c.fd, c.pathId, c.res, c.bytes, c.writes, c.writeUs, c.ivalStartNs,
    typed(Uint8Array, c.length).fill(source),
  ];
}

/** Kept events' seq: -(1 + keep-ring sequence number), so (trace_id, seq) stays unique. */
function keptSeqColumn(seq: Float64Array): BigInt64Array {
  // -(1 + s) is ~s in two's complement: both 32-bit halves inverted, no BigInt per event.
  const out = seqColumn(seq, IN_PLACE);
  const h = halves(out);
  for (let i = 0; i < h.length; i++) h[i] = ~h[i]! >>> 0;
  return out;
}

function summaryColumns(s: SummaryColumns, offsetNs: bigint): Column[] {
  return [
    seqColumn(s.entry), s.call, s.pathId, wallColumn(s.intervalStartNs, offsetNs), s.calls, s.errors, s.alerts,
    s.sumNs, s.maxNs, s.bytes, s.writes, s.kept,
  ];
}

/** The recorder's cost entries as `recorder_cost`'s columns (trace_id aside): no object or BigInt per row reaches the loader. */
function costColumns(costs: readonly CostRow[], offsetNs: bigint): Column[] {
  const c = typedColumns(costs.length, {
    intervalStartNs: BigUint64Array, period: Uint32Array, samples: Uint32Array, sampledNs: BigUint64Array,
    calls: BigUint64Array, syncNs: BigUint64Array, syncCalls: BigUint64Array,
  });
  costs.forEach((row, i) => {
    for (const key of COST_KEYS) c[key][i] = row[key] as never; // each column has its field's type
  });
  return [wallColumn(c.intervalStartNs, offsetNs), c.period, c.samples, c.sampledNs, c.calls, c.syncNs, c.syncCalls];
}

/** The cost entries' fields, in `recorder_cost`'s order. */
const COST_KEYS = ['intervalStartNs', 'period', 'samples', 'sampledNs', 'calls', 'syncNs', 'syncCalls'] as const;

/** The non-empty histogram buckets of every entry, one row each, keyed like their entry. */
function histColumns(s: SummaryColumns, offsetNs: bigint): { histRows: number; histColumns: Column[] } {
  let n = 0;
  for (let i = 0; i < s.hist.length; i++) if (s.hist[i] !== 0) n++;
  if (n === 0) return { histRows: 0, histColumns: [] };
  const h = typedColumns(n, { entry: Float64Array, call: Uint8Array, pathId: Uint32Array, start: BigUint64Array, bucket: Uint8Array, count: Uint16Array });
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    for (let b = 0; b < HIST_BUCKETS; b++) {
      const v = s.hist[i * HIST_BUCKETS + b]!;
      if (v === 0) continue;
      h.entry[k] = s.entry[i]!;
      h.call[k] = s.call[i]!;
      h.pathId[k] = s.pathId[i]!;
      h.start[k] = s.intervalStartNs[i]!;
      h.bucket[k] = b;
      h.count[k++] = v;
    }
  }
  return { histRows: n, histColumns: [seqColumn(h.entry), h.call, h.pathId, wallColumn(h.start, offsetNs), h.bucket, h.count] };
}

const TWO_32 = 2 ** 32;

/** Calls that close a write interval (recorders/FORMAT.md): fsync, fdatasync and the sync writes. */
export const INTERVAL_CALLS = new Set(['fsync', 'fdatasync', 'o_sync_write', 'o_dsync_write', 'rwf_sync_write', 'rwf_dsync_write']);
/** 1 at the call numbers of INTERVAL_CALLS: an array, not a Set, looked up once per event (a Set's hashing was 2 % of the decode worker's samples). */
const INTERVAL_CALL_NUMBERS = Uint8Array.from({ length: 256 }, (_, call) => (INTERVAL_CALLS.has(CALL_NAMES[call] ?? '') ? 1 : 0));
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
  const h = trace.header;
  checkEventTimes(trace.file, trace.events, offsetNs, HEADER_SIZE, h.ringSlots);
  // Kept events (format v2) live in the keep ring, keep record n in its slot n % keep_slots.
  if (h.keep) checkEventTimes(trace.file, trace.kept, offsetNs, h.keep.offset, h.keep.slots);
  checkEventTimes(trace.file, trace.js, offsetNs, HEADER_SIZE, h.ringSlots);
  // Summary and cost entries: entry n at entry index n % (summary_slots / 3).
  if (h.summary) {
    const entries = h.summary.slots / SUMMARY_ENTRY_SLOTS;
    const entryAt = (n: number) => h.summary!.offset + (n % entries) * SUMMARY_ENTRY_SLOTS * RECORD_SIZE + SUMMARY.intervalStartNs;
    const offset = Number(offsetNs);
    const s = trace.summaries;
    for (let i = 0; i < s.length; i++) {
      const ns = offset + Number(s.intervalStartNs[i]!) + h.summaryIntervalS * 1e9;
      if (!(ns >= WALL_MIN_NS && ns < WALL_MAX_NS)) timeError(trace.file, entryAt(s.entry[i]!), 'summary interval', ns);
    }
    for (const c of trace.costs) {
      const ns = offset + Number(c.intervalStartNs);
      if (!(ns >= WALL_MIN_NS && ns < WALL_MAX_NS)) timeError(trace.file, undefined, 'recorder-cost interval', ns);
    }
  }
}

function timeError(file: string, offset: number | undefined, what: string, ns: number): never {
  const when = Number.isFinite(ns) && Math.abs(ns) < 8.64e24 ? new Date(Math.floor(ns / 1e6)).toISOString() : `${ns} ns`;
  throw new TraceError(file, offset, `${what} at wall-clock ${when}, outside 1970 to 2200: a corrupt record or clock anchor`);
}

/** checkTimes for the events of one ring: `base` is its byte offset, `slots` its size. */
function checkEventTimes(file: string, c: EventColumns, offsetNs: bigint, base: number, slots: number): void {
  const offset = Number(offsetNs);
  const start = halves(c.startNs);
  const dur = halves(c.durNs);
  const ival = halves(c.ivalStartNs);
  const at = (i: number, field: number) => base + (c.seq[i]! % slots) * RECORD_SIZE + field;
  const outside = (ns: number) => !(ns >= WALL_MIN_NS && ns < WALL_MAX_NS);
  const fail = (i: number, field: number, what: string, ns: number) => timeError(file, at(i, field), what, ns);
  for (let i = 0; i < c.length; i++) {
    const s = offset + start[2 * i]! + start[2 * i + 1]! * TWO_32;
    if (outside(s)) fail(i, EVENT.startNs, 'event start', s);
    const end = s + dur[2 * i]! + dur[2 * i + 1]! * TWO_32;
    if (outside(end)) fail(i, EVENT.durNs, 'event end (start + duration)', end);
    if (c.type[i] === RecordType.Sync && INTERVAL_CALL_NUMBERS[c.call[i]!] === 1 && (c.flags[i]! & FLAG_NO_INTERVAL) === 0) {
      const iv = offset + ival[2 * i]! + ival[2 * i + 1]! * TWO_32;
      if (outside(iv)) fail(i, EVENT.ivalStartNs, 'write interval start', iv);
    }
  }
}

/**
 * `inPlace` for seqColumn and wallColumn: the result takes the input's bytes
 * (element i is made from element i alone, read before it is written).
 */
const IN_PLACE = true;

/** Sequence numbers (exact doubles below 2^53) as BIGINT, through their 32-bit halves. */
function seqColumn(seq: Float64Array, inPlace = false): BigInt64Array {
  const out = inPlace ? new BigInt64Array(seq.buffer, seq.byteOffset, seq.length) : typed(BigInt64Array, seq.length);
  const h = halves(out);
  for (let i = 0; i < seq.length; i++) {
    const s = seq[i]!;
    h[2 * i] = s % TWO_32;
    h[2 * i + 1] = Math.floor(s / TWO_32);
  }
  return out;
}

/**
 * Wall-clock times: monotonic + offset, modulo 2^64, added in 32-bit halves
 * with a carry so that no BigInt is made per event.
 */
export function wallColumn(monotonic: BigUint64Array, offset: bigint, inPlace = false): BigInt64Array {
  const out = inPlace ? new BigInt64Array(monotonic.buffer, monotonic.byteOffset, monotonic.length) : typed(BigInt64Array, monotonic.length);
  const src = halves(monotonic);
  const dst = halves(out);
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
