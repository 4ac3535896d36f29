/**
 * Build trace files (format v2, or v1 on request) from TypeScript: hand-made
 * fixtures with known intervals and outliers for the query tests, and large
 * synthetic traces for the benchmarks. It writes what the C recorder writes,
 * one record per slot in sequence order, without the recorder's thread
 * blocks; the version-2 regions (keep ring, summary ring, names) are written
 * when the header asks for them.
 */
import {
  COST,
  EVENT,
  FLAG_KEPT,
  HIST_BUCKETS,
  HIST_OFFSET,
  HIST_PER_SLOT,
  SUMMARY,
  SUMMARY_ENTRY_SLOTS,
  ASIDE_SLOTS,
  HEADER,
  HEADER_SIZE,
  HEADER_STRING_SIZE,
  MAGIC,
  PATH,
  PATH_CONT_BYTES,
  PATH_CONT_OFFSET,
  PATH_HEAD_BYTES,
  RECORD_SIZE,
  RecordType,
  VERSION,
} from './layout.js';

export interface HeaderSpec {
  ringSlots: number;
  realtimeNs?: bigint;
  monotonicNs?: bigint;
  pid?: number;
  ppid?: number;
  uid?: number;
  flags?: number;
  dropped?: bigint;
  maxBytes?: bigint;
  recorderVersion?: string;
  bootId?: string;
  host?: string;
  exe?: string;
  cmdline?: string[];
  /** The process's name as the kernel has it (header `comm`, version 2). */
  comm?: string;
  /** 1 writes a version-1 file (the ring only); the v2 fields below must then be absent. */
  version?: 1 | 2;
  /** Version-2 regions: slots in each; absent or 0 leaves the region out. */
  keepSlots?: number;
  /** Entries (of three slots each) in the summary ring. */
  summaryEntries?: number;
  namesSlots?: number;
  /** An aside region (2 slots per summary entry) after the names. */
  aside?: boolean;
  summaryIntervalS?: number;
  namesDropped?: bigint;
  alertMs?: number;
  alertFactor?: number;
  alertMinMs?: number;
  alertEveryS?: number;
  alerts?: bigint;
  alertsSuppressed?: bigint;
  alertsUnsent?: bigint;
  /** The directory budget's removals by this process (FSYNC_TRACE_DIR_MAX_BYTES). */
  dirRemoved?: bigint;
  dirRemovedBytes?: bigint;
  /** Why recording stopped (STOP_REASONS; with flags' HDR_DISABLED), and the errno. */
  stopReason?: number;
  stopErrno?: number;
  costPeriod?: number;
  alertSink?: number;
}

/** One summary-ring entry. `calls` defaults to the histogram's total. */
export interface SummarySpec {
  call: number;
  pathId?: number;
  intervalStartNs: bigint;
  calls?: number;
  errors?: number;
  alerts?: number;
  sumNs?: bigint;
  maxNs?: bigint;
  bytes?: bigint;
  writes?: number;
  kept?: number;
  /** Counts by bucket: an array of up to 56, or { bucket: count }. */
  hist?: number[] | Record<number, number>;
}

/** One recorder-cost entry. */
export interface CostSpec {
  intervalStartNs: bigint;
  period?: number;
  samples: number;
  sampledNs: bigint;
  calls: bigint;
  syncNs: bigint;
  syncCalls: bigint;
}

export interface EventSpec {
  type: RecordType.Sync | RecordType.Open | RecordType.Close | RecordType.Rename | RecordType.Link | RecordType.Unlink | RecordType.Js;
  call?: number;
  flags?: number;
  startNs: bigint;
  durNs?: bigint;
  tid?: number;
  fd?: number;
  pathId?: number;
  res?: number;
  bytes?: bigint;
  writes?: number;
  writeUs?: number;
  ivalStartNs?: bigint;
}

export interface PathSpec {
  id: number;
  /** The name; bytes for names that are not UTF-8. */
  name: string | Uint8Array;
  dev?: bigint;
  ino?: bigint;
}

const encoder = new TextEncoder();

/**
 * A trace under construction. Records go into the ring in the order they are
 * added; once more than ringSlots are added, the oldest are overwritten, as
 * in the recorder.
 */
export class TraceWriter {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  private readonly slots: number;
  private seq = 0;
  private readonly keep: { offset: number; slots: number; next: number };
  private readonly sum: { offset: number; entries: number; next: number };
  private readonly names: { offset: number; slots: number; next: number };
  private readonly aside: { offset: number; slots: number };

  constructor(header: HeaderSpec) {
    this.slots = header.ringSlots;
    let end = HEADER_SIZE + this.slots * RECORD_SIZE;
    const place = (slots: number): number => {
      const offset = slots > 0 ? end : 0;
      end += slots * RECORD_SIZE;
      return offset;
    };
    const keepSlots = header.keepSlots ?? 0;
    const entries = header.summaryEntries ?? 0;
    const namesSlots = header.namesSlots ?? 0;
    if (header.version === 1 && keepSlots + entries + namesSlots > 0) throw new Error('a version-1 trace has no regions after the ring');
    this.keep = { offset: place(keepSlots), slots: keepSlots, next: 0 };
    this.sum = { offset: place(entries * SUMMARY_ENTRY_SLOTS), entries, next: 0 };
    this.names = { offset: place(namesSlots), slots: namesSlots, next: 0 };
    const asideSlots = header.aside ? entries * ASIDE_SLOTS : 0;
    this.aside = { offset: place(asideSlots), slots: asideSlots };
    this.buf = new Uint8Array(end);
    this.view = new DataView(this.buf.buffer);
    this.writeHeader(header);
  }

  /** Intern a path: one path record and its continuations. */
  path(p: PathSpec): this {
    this.pathRecords(p, (type) => this.claim(type));
    return this;
  }

  event(e: EventSpec): this {
    const at = this.claim(e.type, e.call ?? 0, e.flags ?? 0);
    this.eventBody(at, e);
    return this;
  }

  private pathRecords(p: PathSpec, claim: (type: number) => number): void {
    const name = typeof p.name === 'string' ? encoder.encode(p.name) : p.name;
    const at = claim(RecordType.Path);
    this.view.setUint32(at + PATH.pathId, p.id, true);
    this.view.setUint32(at + PATH.len, name.length, true);
    this.view.setBigUint64(at + PATH.dev, p.dev ?? 0n, true);
    this.view.setBigUint64(at + PATH.ino, p.ino ?? BigInt(p.id), true);
    this.buf.set(name.subarray(0, PATH_HEAD_BYTES), at + PATH.name);
    for (let done = PATH_HEAD_BYTES; done < name.length; done += PATH_CONT_BYTES) {
      const cont = claim(RecordType.PathCont);
      this.buf.set(name.subarray(done, done + PATH_CONT_BYTES), cont + PATH_CONT_OFFSET);
    }
  }

  private eventBody(at: number, e: EventSpec): void {
    const v = this.view;
    v.setBigUint64(at + EVENT.startNs, e.startNs, true);
    v.setBigUint64(at + EVENT.durNs, e.durNs ?? 0n, true);
    v.setUint32(at + EVENT.tid, e.tid ?? 1, true);
    v.setInt32(at + EVENT.fd, e.fd ?? 3, true);
    v.setUint32(at + EVENT.pathId, e.pathId ?? 0, true);
    v.setInt32(at + EVENT.res, e.res ?? 0, true);
    v.setBigUint64(at + EVENT.bytes, e.bytes ?? 0n, true);
    v.setUint32(at + EVENT.writes, e.writes ?? 0, true);
    v.setUint32(at + EVENT.writeUs, e.writeUs ?? 0, true);
    v.setBigUint64(at + EVENT.ivalStartNs, e.ivalStartNs ?? 0n, true);
  }

  /** A sync event copied to the keep ring (flag 0x80 added); the oldest are overwritten when it is full. */
  kept(e: Omit<EventSpec, 'type'>): this {
    if (this.keep.slots === 0) throw new Error('this trace has no keep ring');
    const seq = this.keep.next++;
    const at = this.keep.offset + (seq % this.keep.slots) * RECORD_SIZE;
    this.commit(at, seq, RecordType.Sync, e.call ?? 1, (e.flags ?? 0) | FLAG_KEPT);
    this.eventBody(at, { ...e, type: RecordType.Sync });
    return this;
  }

  /** A path in the names region, with its continuations. */
  name(p: PathSpec): this {
    if (this.names.slots === 0) throw new Error('this trace has no names region');
    const claim = (type: number): number => {
      const slot = this.names.next++;
      if (slot >= this.names.slots) throw new Error('the names region is full');
      const at = this.names.offset + slot * RECORD_SIZE;
      this.commit(at, slot, type, 0, 0);
      return at;
    };
    this.pathRecords(p, claim);
    return this;
  }

  /**
   * A name in the aside region, for summary entry number `entry` (its seq): a path
   * head and one continuation at the entry's index (names of up to 88 bytes).
   */
  asideName(entry: number, p: PathSpec): this {
    if (this.aside.slots === 0) throw new Error('this trace has no aside region');
    let slot = (entry % this.sum.entries) * ASIDE_SLOTS;
    const claim = (type: number): number => {
      const at = this.aside.offset + slot++ * RECORD_SIZE;
      this.commit(at, entry, type, 0, 0);
      return at;
    };
    this.pathRecords(p, claim);
    if (slot % ASIDE_SLOTS === 1) claim(RecordType.PathCont); // an empty continuation
    return this;
  }

  /** A summary entry; the oldest are overwritten when the ring is full. */
  summary(e: SummarySpec): this {
    const hist = new Array<number>(HIST_BUCKETS).fill(0);
    for (const [k, n] of Object.entries(e.hist ?? {})) hist[Number(k)] = n;
    const at = this.entry(RecordType.Summary, e.call, hist);
    const v = this.view;
    v.setBigUint64(at + SUMMARY.intervalStartNs, e.intervalStartNs, true);
    v.setUint32(at + SUMMARY.pathId, e.pathId ?? 0, true);
    v.setUint32(at + SUMMARY.calls, e.calls ?? hist.reduce((a, b) => a + b, 0), true);
    v.setUint32(at + SUMMARY.errors, e.errors ?? 0, true);
    v.setUint32(at + SUMMARY.alerts, e.alerts ?? 0, true);
    v.setBigUint64(at + SUMMARY.sumNs, e.sumNs ?? 0n, true);
    v.setBigUint64(at + SUMMARY.maxNs, e.maxNs ?? 0n, true);
    v.setBigUint64(at + SUMMARY.bytes, e.bytes ?? 0n, true);
    v.setUint32(at + SUMMARY.writes, e.writes ?? 0, true);
    v.setUint32(at + SUMMARY.kept, e.kept ?? 0, true);
    return this;
  }

  /** A recorder-cost entry in the summary ring. */
  cost(c: CostSpec): this {
    const at = this.entry(RecordType.Cost, 0, new Array<number>(HIST_BUCKETS).fill(0));
    const v = this.view;
    v.setBigUint64(at + COST.intervalStartNs, c.intervalStartNs, true);
    v.setUint32(at + COST.period, c.period ?? 64, true);
    v.setUint32(at + COST.samples, c.samples, true);
    v.setBigUint64(at + COST.sampledNs, c.sampledNs, true);
    v.setBigUint64(at + COST.calls, c.calls, true);
    v.setBigUint64(at + COST.syncNs, c.syncNs, true);
    v.setBigUint64(at + COST.syncCalls, c.syncCalls, true);
    return this;
  }

  /** The finished file: the header's counters are brought up to date. */
  bytes(): Uint8Array {
    this.view.setBigUint64(HEADER.nextSeq, BigInt(this.seq), true);
    if (this.view.getUint32(HEADER.version, true) >= 2) {
      this.view.setBigUint64(HEADER.keepNext, BigInt(this.keep.next), true);
      this.view.setBigUint64(HEADER.summaryNext, BigInt(this.sum.next), true);
      this.view.setBigUint64(HEADER.namesNext, BigInt(this.names.next), true);
    }
    return this.buf;
  }

  private claim(type: number, call = 0, flags = 0): number {
    const seq = this.seq++;
    const at = HEADER_SIZE + (seq % this.slots) * RECORD_SIZE;
    this.commit(at, seq, type, call, flags);
    return at;
  }

  /** Clear a slot and write its commit word. */
  private commit(at: number, seq: number, type: number, call: number, flags: number): void {
    this.buf.fill(0, at, at + RECORD_SIZE);
    this.view.setUint32(at + EVENT.seq, seq >>> 0, true);
    this.buf[at + EVENT.type] = type;
    this.buf[at + EVENT.call] = call;
    this.view.setUint16(at + EVENT.flags, flags, true);
  }

  /** Claim a summary-ring entry: its first slot (returned) and two histogram slots. */
  private entry(type: number, call: number, hist: number[]): number {
    if (this.sum.entries === 0) throw new Error('this trace has no summary ring');
    const n = this.sum.next++;
    const at = this.sum.offset + (n % this.sum.entries) * SUMMARY_ENTRY_SLOTS * RECORD_SIZE;
    this.commit(at, n, type, call, 0);
    for (let part = 0; part < 2; part++) {
      const slot = at + (part + 1) * RECORD_SIZE;
      this.commit(slot, n, RecordType.SummaryHist, part, 0);
      for (let i = 0; i < HIST_PER_SLOT; i++) this.view.setUint16(slot + HIST_OFFSET + 2 * i, hist[part * HIST_PER_SLOT + i]!, true);
    }
    return at;
  }

  private writeHeader(h: HeaderSpec): void {
    const v = this.view;
    this.buf.set(MAGIC, HEADER.magic);
    v.setUint32(HEADER.version, h.version ?? VERSION, true);
    v.setUint32(HEADER.headerSize, HEADER_SIZE, true);
    v.setUint32(HEADER.recordSize, RECORD_SIZE, true);
    v.setUint32(HEADER.ringSlots, h.ringSlots, true);
    v.setBigUint64(HEADER.realtimeNs, h.realtimeNs ?? 1_767_225_600_000_000_000n, true); // 2026-01-01T00:00:00Z
    v.setBigUint64(HEADER.monotonicNs, h.monotonicNs ?? 1_000_000_000n, true);
    v.setUint32(HEADER.pid, h.pid ?? 1000, true);
    v.setUint32(HEADER.ppid, h.ppid ?? 1, true);
    v.setUint32(HEADER.uid, h.uid ?? 0, true);
    v.setUint32(HEADER.flags, h.flags ?? 0, true);
    v.setBigUint64(HEADER.dropped, h.dropped ?? 0n, true);
    v.setBigUint64(HEADER.maxBytes, h.maxBytes ?? BigInt(this.buf.length), true);
    this.cstring(HEADER.recorderVersion, HEADER_STRING_SIZE.recorderVersion, h.recorderVersion ?? '0.1.0');
    this.cstring(HEADER.bootId, HEADER_STRING_SIZE.bootId, h.bootId ?? '00000000-0000-4000-8000-000000000000');
    this.cstring(HEADER.host, HEADER_STRING_SIZE.host, h.host ?? 'testhost');
    this.cstring(HEADER.exe, HEADER_STRING_SIZE.exe, h.exe ?? '/usr/bin/test');
    const cmdline = encoder.encode((h.cmdline ?? ['test']).map((a) => `${a}\0`).join(''));
    const used = Math.min(cmdline.length, HEADER_STRING_SIZE.cmdline);
    this.buf.set(cmdline.subarray(0, used), HEADER.cmdline);
    v.setUint32(HEADER.cmdlineLen, used, true);
    v.setUint32(HEADER.cmdlineTruncated, used < cmdline.length ? 1 : 0, true);
    if ((h.version ?? VERSION) < 2) return;
    v.setBigUint64(HEADER.keepOffset, BigInt(this.keep.offset), true);
    v.setUint32(HEADER.keepSlots, this.keep.slots, true);
    v.setBigUint64(HEADER.summaryOffset, BigInt(this.sum.offset), true);
    v.setUint32(HEADER.summarySlots, this.sum.entries * SUMMARY_ENTRY_SLOTS, true);
    v.setBigUint64(HEADER.namesOffset, BigInt(this.names.offset), true);
    v.setUint32(HEADER.namesSlots, this.names.slots, true);
    v.setBigUint64(HEADER.asideOffset, BigInt(this.aside.offset), true);
    v.setUint32(HEADER.asideSlots, this.aside.slots, true);
    v.setUint32(HEADER.summaryIntervalS, h.summaryIntervalS ?? (this.sum.entries > 0 ? 60 : 0), true);
    v.setBigUint64(HEADER.namesDropped, h.namesDropped ?? 0n, true);
    v.setUint32(HEADER.alertMs, h.alertMs ?? 0, true);
    v.setUint32(HEADER.alertFactor, h.alertFactor ?? 0, true);
    v.setUint32(HEADER.alertMinMs, h.alertMinMs ?? 0, true);
    v.setUint32(HEADER.alertEveryS, h.alertEveryS ?? 0, true);
    v.setBigUint64(HEADER.alerts, h.alerts ?? 0n, true);
    v.setBigUint64(HEADER.alertsSuppressed, h.alertsSuppressed ?? 0n, true);
    v.setUint32(HEADER.costPeriod, h.costPeriod ?? 0, true);
    this.cstring(HEADER.comm, HEADER_STRING_SIZE.comm, h.comm ?? '');
    v.setUint32(HEADER.alertSink, h.alertSink ?? 0, true);
    v.setBigUint64(HEADER.alertsUnsent, h.alertsUnsent ?? 0n, true);
    v.setBigUint64(HEADER.dirRemoved, h.dirRemoved ?? 0n, true);
    v.setBigUint64(HEADER.dirRemovedBytes, h.dirRemovedBytes ?? 0n, true);
    v.setUint32(HEADER.stopReason, h.stopReason ?? 0, true);
    v.setUint32(HEADER.stopErrno, h.stopErrno ?? 0, true);
  }

  private cstring(offset: number, size: number, text: string): void {
    this.buf.set(encoder.encode(text).subarray(0, size - 1), offset);
  }
}
