/**
 * Large synthetic trace sets for the analyzer benchmark, shaped like what the
 * recorder writes by default: format v2 at the default size (64 MiB: a ring of
 * 262,128 records, a keep ring, 212,979 summary entries, the names region),
 * written sparse (only the slots that hold records reach the file), with a
 * summary entry per minute, file and call kind counting every call, a keep-ring
 * copy of every failed or unusually slow call, the recorder's cost entries, and
 * each path in the names region. The ring keeps the newest records, as the
 * recorder's does, so a process with more calls than the ring holds has its
 * older calls only in the summaries.
 *
 * The set: `processes` processes spread over two hosts, each syncing its own
 * `filesPerProcess` files over `hours` hours. Each file has its own usual
 * latency and write volume (log-normal). Planted in it, so that the analysis
 * has something to find: a device-wide stall on host-0; on one file per process,
 * every 5000th sync flushes 200 times the usual bytes and takes about 100 times
 * as long; on one file, a burst 40 times slower; on one file, a few EIO failures.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT, FLAG_KEPT, HEADER, HEADER_SIZE, HIST_BUCKETS, RECORD_SIZE, RecordType } from '../../src/trace/layout.js';
import { TraceWriter } from '../../src/trace/encode.js';

export interface SynthOptions {
  events: number;
  processes: number;
  filesPerProcess: number;
  hours: number;
  seed?: number;
}

export const STALL = { host: 'host-0', atSeconds: 1800, seconds: 3 };

/** The recorder's default file (FSYNC_TRACE_MAX_BYTES 64 MiB) and its regions (README, "Sizing"). */
export const DEFAULT_SIZE = 64 * 2 ** 20;
const SLOTS = (DEFAULT_SIZE - HEADER_SIZE) / RECORD_SIZE;
export const REGIONS = { ringSlots: SLOTS / 4, keepSlots: SLOTS / 8, namesSlots: Math.floor(SLOTS / 64) };
const SUMMARY_ENTRIES = Math.floor((SLOTS - REGIONS.ringSlots - REGIONS.keepSlots - REGIONS.namesSlots) / 3);
const INTERVAL_S = 60;

const NS = 1_000_000_000;
const REALTIME_NS = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
const MONOTONIC_NS = 1_000_000_000_000; // a multiple of the interval, as the recorder's clock need not be
const EIO = 5;
const F_KEPT_FLAGS = FLAG_KEPT;

/** Write the set into `dir`; returns the trace files. */
export function writeSyntheticSet(dir: string, opts: SynthOptions): string[] {
  mkdirSync(dir, { recursive: true });
  const rand = xorshift(opts.seed ?? 42);
  const perProcess = Math.ceil(opts.events / opts.processes);
  const files: string[] = [];
  for (let p = 0; p < opts.processes; p++) {
    const n = Math.min(perProcess, opts.events - p * perProcess);
    if (n <= 0) break;
    const file = join(dir, `app${p}.${10_000 + p}.1767225600.0.fstrace`);
    writeSparse(file, processTrace(p, n, opts, rand));
    files.push(file);
  }
  return files;
}

interface FileModel {
  id: number;
  name: string;
  medianNs: number;
  sigma: number;
  bytes: number;
  call: number;
  lastNs: number;
  count: number;
}

/** One interval's summary of one file: counts, sums and the histogram. */
interface Cell {
  calls: number;
  errors: number;
  sumNs: number;
  maxNs: number;
  bytes: number;
  writes: number;
  kept: number;
  hist: number[];
}

interface Built {
  buf: Uint8Array;
  /** Byte ranges that hold records: [from, to). */
  ranges: Array<[number, number]>;
}

function processTrace(p: number, n: number, opts: SynthOptions, rand: () => number): Built {
  const host = `host-${p % 2}`;
  const models: FileModel[] = [];
  for (let f = 0; f < opts.filesPerProcess; f++) {
    models.push({
      id: f + 1,
      name: `/var/lib/app${p}/data/segment-${String(f).padStart(3, '0')}.log`,
      medianNs: 200_000 * Math.exp(rand() * 3), // 0.2 to 4 ms
      sigma: 0.25 + rand() * 0.25,
      bytes: Math.round(4096 * Math.exp(rand() * 5)),
      call: f % 7 === 6 ? 8 : 1 + (f % 2), // fsync, fdatasync, some O_DSYNC writes
      lastNs: 0,
      count: 0,
    });
  }
  const w = new TraceWriter({
    ringSlots: REGIONS.ringSlots,
    keepSlots: REGIONS.keepSlots,
    summaryEntries: SUMMARY_ENTRIES,
    namesSlots: REGIONS.namesSlots,
    summaryIntervalS: INTERVAL_S,
    maxBytes: BigInt(DEFAULT_SIZE),
    realtimeNs: REALTIME_NS,
    monotonicNs: BigInt(MONOTONIC_NS),
    pid: 10_000 + p,
    host,
    exe: `/usr/bin/app${p}`,
    cmdline: [`app${p}`, '--data', `/var/lib/app${p}`],
  });
  for (const m of models) w.name({ id: m.id, name: m.name, dev: BigInt(0x801 + (p % 2)), ino: BigInt(1000 * p + m.id) });
  const buf = w.buf;
  const u32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const cells = new Map<number, Cell>(); // key: interval * 4096 + file index
  const kept: Array<{ e: Parameters<TraceWriter['kept']>[0] }> = [];
  const spanNs = opts.hours * 3600 * NS;
  const stallFrom = STALL.atSeconds * NS;
  const stallTo = stallFrom + STALL.seconds * NS;
  const stalled = host === STALL.host;
  for (let i = 0; i < n; i++) {
    const f = Math.floor(rand() * models.length);
    const m = models[f]!;
    const t = Math.floor((i + rand()) * (spanNs / n));
    let dur = m.medianNs * Math.exp(m.sigma * gauss(rand));
    let bytes = Math.round(m.bytes * (0.5 + rand()));
    let res = 0;
    m.count++;
    if (f === 0 && (m.count + 997 * p) % 5000 === 0) {
      bytes *= 200;
      dur *= 100;
    }
    if (p === 1 && f === 1 && t > 4000 * NS && t < 4002 * NS) dur *= 40;
    if (p === 2 && f === 2 && m.count % 20_000 === 0) res = -EIO;
    if (stalled && t >= stallFrom && t < stallTo) dur += stallTo - t;
    dur = Math.round(dur);
    const writes = Math.max(1, Math.round(bytes / 4096));
    const startNs = MONOTONIC_NS + t;
    const ivalNs = MONOTONIC_NS + (m.lastNs || t);
    const isKept = res < 0 || dur > 10 * m.medianNs;
    // The raw ring: the newest records survive, as in the recorder's ring.
    const at = HEADER_SIZE + (i % REGIONS.ringSlots) * RECORD_SIZE;
    const word = at / 4;
    u32.fill(0, word, word + RECORD_SIZE / 4);
    u32[word] = i;
    buf[at + EVENT.type] = RecordType.Sync;
    buf[at + EVENT.call] = m.call;
    buf[at + EVENT.flags] = isKept ? F_KEPT_FLAGS : 0;
    setU64(u32, word + EVENT.startNs / 4, startNs);
    setU64(u32, word + EVENT.durNs / 4, dur);
    u32[word + EVENT.tid / 4] = 10_000 + p + (f % 4);
    u32[word + EVENT.fd / 4] = 3 + f;
    u32[word + EVENT.pathId / 4] = m.id;
    u32[word + EVENT.res / 4] = res;
    setU64(u32, word + EVENT.bytes / 4, bytes);
    u32[word + EVENT.writes / 4] = writes;
    u32[word + EVENT.writeUs / 4] = Math.round(bytes / 2000);
    setU64(u32, word + EVENT.ivalStartNs / 4, ivalNs);
    m.lastNs = t + dur;
    // The summary of its interval.
    const interval = Math.floor(startNs / (INTERVAL_S * NS));
    const key = interval * 4096 + f;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { calls: 0, errors: 0, sumNs: 0, maxNs: 0, bytes: 0, writes: 0, kept: 0, hist: new Array<number>(HIST_BUCKETS).fill(0) }));
    c.calls++;
    if (res < 0) c.errors++;
    c.sumNs += dur;
    c.maxNs = Math.max(c.maxNs, dur);
    c.bytes += bytes;
    c.writes += writes;
    c.hist[bucketOf(dur)]!++;
    if (isKept) {
      c.kept++;
      kept.push({ e: {
        call: m.call, startNs: BigInt(startNs), durNs: BigInt(dur), tid: 10_000 + p + (f % 4), fd: 3 + f, pathId: m.id, res,
        bytes: BigInt(bytes), writes, writeUs: Math.round(bytes / 2000), ivalStartNs: BigInt(ivalNs),
      } });
    }
  }
  for (const { e } of kept) w.kept(e);
  const costs = new Map<number, number>();
  for (const [key, c] of [...cells].sort((a, b) => a[0] - b[0])) {
    const interval = Math.floor(key / 4096);
    const m = models[key % 4096]!;
    w.summary({
      call: m.call, pathId: m.id, intervalStartNs: BigInt(interval * INTERVAL_S) * BigInt(NS),
      calls: c.calls, errors: c.errors, sumNs: BigInt(c.sumNs), maxNs: BigInt(c.maxNs), bytes: BigInt(c.bytes),
      writes: c.writes, kept: c.kept, hist: c.hist,
    });
    costs.set(interval, (costs.get(interval) ?? 0) + c.calls);
  }
  for (const [interval, calls] of costs) {
    w.cost({
      intervalStartNs: BigInt(interval * INTERVAL_S) * BigInt(NS), samples: Math.ceil(calls / 64), sampledNs: BigInt(Math.ceil(calls / 64) * 150),
      calls: BigInt(calls * 3), syncNs: 0n, syncCalls: BigInt(calls),
    });
  }
  w.bytes();
  new DataView(buf.buffer, buf.byteOffset).setBigUint64(HEADER.nextSeq, BigInt(n), true);
  const view = new DataView(buf.buffer, buf.byteOffset);
  const keepOffset = Number(view.getBigUint64(HEADER.keepOffset, true));
  const sumOffset = Number(view.getBigUint64(HEADER.summaryOffset, true));
  const namesOffset = Number(view.getBigUint64(HEADER.namesOffset, true));
  const used = (offset: number, slots: number, next: number) => [offset, offset + Math.min(slots, next) * RECORD_SIZE] as [number, number];
  return {
    buf,
    ranges: [
      [0, HEADER_SIZE],
      used(HEADER_SIZE, REGIONS.ringSlots, n),
      used(keepOffset, REGIONS.keepSlots, kept.length),
      used(sumOffset, SUMMARY_ENTRIES * 3, (cells.size + costs.size) * 3),
      used(namesOffset, REGIONS.namesSlots, models.length * 3),
    ],
  };
}

/** The file at its full size, with only the ranges that hold records written: sparse, as the recorder's. */
function writeSparse(file: string, { buf, ranges }: Built): void {
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, buf.length);
    for (const [from, to] of ranges) if (to > from) writeSync(fd, buf, from, to - from, from);
  } finally {
    closeSync(fd);
  }
}

/** The summary histogram's bucket of a latency (FORMAT.md), on numbers. */
function bucketOf(ns: number): number {
  const x = Math.floor(ns / 1024);
  if (x < 2) return x;
  const m = 31 - Math.clz32(Math.min(x, 2 ** 32 - 1));
  return Math.min(HIST_BUCKETS - 1, 2 * m + ((x >>> (m - 1)) & 1));
}

function setU64(u32: Uint32Array, word: number, value: number): void {
  u32[word] = value % 2 ** 32;
  u32[word + 1] = Math.floor(value / 2 ** 32);
}

/** A deterministic uniform [0, 1) generator. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
