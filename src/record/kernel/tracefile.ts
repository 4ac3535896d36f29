/**
 * One kernel-side trace file: the trace format written from TypeScript
 * (src/trace/encode.ts's TraceWriter) with the header flag HDR_KERNEL, a
 * names region that keeps every path, and a summary ring with the exact
 * counts per minute, file and call kind, so a trace whose ring lapped still
 * counts every call. The file is rewritten from memory on each flush.
 */
import { closeSync, fchmodSync, fstatSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { TraceWriter, type EventSpec } from '../../trace/encode.js';
import {
  HDR_ENDED,
  HDR_FORKED,
  HDR_KERNEL,
  HEADER,
  HEADER_SIZE,
  HIST_BUCKETS,
  PATH_CONT_BYTES,
  PATH_HEAD_BYTES,
  RECORD_SIZE,
  RecordType,
  SUMMARY_ENTRY_SLOTS,
  SUMMARY_MAX_CALLS,
  TRACE_MODE_ENDED,
  histBucket,
} from '../../trace/layout.js';

export const RECORDER_VERSION = 'kernel-0.1.0';
const NAMES_SLOTS = 1024;
const SUMMARY_ENTRIES = 1024;
const INTERVAL_S = 60;
const INTERVAL_NS = BigInt(INTERVAL_S) * 1_000_000_000n;

export interface TraceInfo {
  pid: number;
  ppid: number;
  uid: number;
  exe: string;
  cmdline: string[];
  forked: boolean;
}

/** The clocks read together: what maps the kernel's monotonic times to wall time. */
export interface Anchor {
  realtimeNs: bigint;
  monotonicNs: bigint;
}

interface Acc {
  call: number;
  pathId: number;
  intervalStartNs: bigint;
  calls: number;
  errors: number;
  sumNs: bigint;
  maxNs: bigint;
  bytes: bigint;
  writes: number;
  hist: number[];
}

export class KernelTrace {
  readonly file: string;
  private readonly writer: TraceWriter;
  private readonly ids = new Map<string, number>();
  private namesUsed = 0;
  private namesDropped = 0n;
  private flags: number;
  private dropped = 0n;
  private readonly sums = new Map<string, Acc>();
  private syncs = 0;
  private dirty = false;
  /** When it ended (monotonic ns), or null while it is recorded. */
  until: bigint | null = null;

  /** `since`: the monotonic time of the first event that made it. */
  constructor(dir: string, info: TraceInfo, anchor: Anchor, maxBytes: number, readonly since: bigint) {
    const fixed = HEADER_SIZE + (NAMES_SLOTS + SUMMARY_ENTRIES * SUMMARY_ENTRY_SLOTS) * RECORD_SIZE;
    const ringSlots = Math.max(256, Math.floor((maxBytes - fixed) / RECORD_SIZE));
    this.flags = HDR_KERNEL | (info.forked ? HDR_FORKED : 0);
    this.writer = new TraceWriter({
      ringSlots,
      namesSlots: NAMES_SLOTS,
      summaryEntries: SUMMARY_ENTRIES,
      summaryIntervalS: INTERVAL_S,
      realtimeNs: anchor.realtimeNs,
      monotonicNs: anchor.monotonicNs,
      pid: info.pid,
      ppid: info.ppid,
      uid: info.uid,
      flags: this.flags,
      recorderVersion: RECORDER_VERSION,
      bootId: readText('/proc/sys/kernel/random/boot_id'),
      host: readText('/proc/sys/kernel/hostname'),
      exe: info.exe,
      cmdline: info.cmdline,
      maxBytes: BigInt(maxBytes),
    });
    // Named for the wall time of its first event, as the preload names a trace for its start.
    const ns = anchor.realtimeNs + (since - anchor.monotonicNs);
    this.file = join(dir, `${basename(info.exe) || 'unknown'}.${info.pid}.${ns / 1_000_000_000n}.${ns % 1_000_000_000n}.fstrace`);
  }

  /** Whether the trace has named `name` (opened, renamed, linked or synced under it). */
  knows(name: string): boolean {
    return this.ids.has(name);
  }

  /** The path id of a name, interned on first use (in the ring and in the names region). */
  pathId(name: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    const id = this.ids.size + 1;
    this.ids.set(name, id);
    const st = statSync(name, { bigint: true, throwIfNoEntry: false });
    const spec = { id, name, dev: st?.dev ?? 0n, ino: st?.ino ?? 0n };
    this.writer.path(spec);
    const len = Buffer.byteLength(name);
    const slots = 1 + Math.max(0, Math.ceil((len - PATH_HEAD_BYTES) / PATH_CONT_BYTES));
    if (this.namesUsed + slots <= NAMES_SLOTS) {
      this.writer.name(spec);
      this.namesUsed += slots;
    } else {
      this.namesDropped++;
    }
    return id;
  }

  event(e: EventSpec): void {
    this.writer.event(e);
    this.dirty = true;
    if (e.type === RecordType.Sync) {
      this.syncs++;
      this.count(e);
    }
  }

  /** Events the tracer lost while this process was recorded. */
  setDropped(n: number): void {
    if (BigInt(n) === this.dropped) return;
    this.dropped = BigInt(n);
    this.dirty = true;
  }

  /** The process image ended at monotonic time `at`. */
  end(at: bigint): void {
    this.flags |= HDR_ENDED;
    this.until = at;
    this.dirty = true;
  }

  /** Whether the file is worth writing: it holds at least one sync call. */
  get hasSyncs(): boolean {
    return this.syncs > 0;
  }

  /**
   * Write the file when something changed. Summaries of the intervals that
   * ended before `nowNs` are added first; `final` adds the open ones too.
   */
  flush(nowNs: bigint, final: boolean): void {
    for (const [key, acc] of this.sums) {
      if (final || acc.intervalStartNs + INTERVAL_NS <= nowNs) this.emit(key, acc);
    }
    if (!this.dirty || !this.hasSyncs) return;
    const buf = this.writer.bytes();
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    view.setUint32(HEADER.flags, this.flags, true);
    view.setBigUint64(HEADER.dropped, this.dropped, true);
    view.setBigUint64(HEADER.namesDropped, this.namesDropped, true);
    const fd = openSync(this.file, 'w', 0o644);
    try {
      writeSync(fd, buf);
      // An ended image's trace has the sticky bit, as the preload's do: the
      // directory's budget tells it from a live one by its mode (FORMAT.md, "File mode").
      if (this.flags & HDR_ENDED) fchmodSync(fd, (fstatSync(fd).mode & 0o777) | TRACE_MODE_ENDED);
    } finally {
      closeSync(fd);
    }
    this.dirty = false;
  }

  private count(e: EventSpec): void {
    const start = e.startNs - (e.startNs % INTERVAL_NS);
    const key = `${start}:${e.pathId ?? 0}:${e.call}`;
    let acc = this.sums.get(key);
    if (!acc) {
      acc = { call: e.call ?? 0, pathId: e.pathId ?? 0, intervalStartNs: start, calls: 0, errors: 0, sumNs: 0n, maxNs: 0n, bytes: 0n, writes: 0,
        hist: new Array<number>(HIST_BUCKETS).fill(0) };
      this.sums.set(key, acc);
    }
    const dur = e.durNs ?? 0n;
    acc.calls++;
    if ((e.res ?? 0) < 0) acc.errors++;
    acc.sumNs += dur;
    if (dur > acc.maxNs) acc.maxNs = dur;
    if ((e.call ?? 0) <= 2 || (e.call ?? 0) >= 7) {
      acc.bytes += e.bytes ?? 0n;
      acc.writes += e.writes ?? 0;
    }
    acc.hist[histBucket(dur)]!++;
    // An entry holds at most SUMMARY_MAX_CALLS calls; the next one follows (FORMAT.md).
    if (acc.calls === SUMMARY_MAX_CALLS) this.emit(key, acc);
  }

  private emit(key: string, acc: Acc): void {
    const { intervalStartNs, call, pathId, calls, errors, sumNs, maxNs, bytes, writes, hist } = acc;
    this.writer.summary({ intervalStartNs, call, pathId, calls, errors, sumNs, maxNs, bytes, writes, hist });
    this.sums.delete(key);
    this.dirty = true;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
