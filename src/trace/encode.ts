/**
 * Build trace files in format v1 from TypeScript: hand-made fixtures with
 * known intervals and outliers for the query tests, and large synthetic
 * traces for the benchmarks. It writes what the C recorder writes, one
 * record per slot in sequence order, without the recorder's thread blocks.
 */
import {
  EVENT,
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
}

export interface EventSpec {
  type: RecordType.Sync | RecordType.Open | RecordType.Close | RecordType.Rename;
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
  name: string;
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

  constructor(header: HeaderSpec) {
    this.slots = header.ringSlots;
    this.buf = new Uint8Array(HEADER_SIZE + this.slots * RECORD_SIZE);
    this.view = new DataView(this.buf.buffer);
    this.writeHeader(header);
  }

  /** Intern a path: one path record and its continuations. */
  path(p: PathSpec): this {
    const name = encoder.encode(p.name);
    const at = this.claim(RecordType.Path);
    this.view.setUint32(at + PATH.pathId, p.id, true);
    this.view.setUint32(at + PATH.len, name.length, true);
    this.view.setBigUint64(at + PATH.dev, p.dev ?? 0n, true);
    this.view.setBigUint64(at + PATH.ino, p.ino ?? BigInt(p.id), true);
    this.buf.set(name.subarray(0, PATH_HEAD_BYTES), at + PATH.name);
    for (let done = PATH_HEAD_BYTES; done < name.length; done += PATH_CONT_BYTES) {
      const cont = this.claim(RecordType.PathCont);
      this.buf.set(name.subarray(done, done + PATH_CONT_BYTES), cont + PATH_CONT_OFFSET);
    }
    return this;
  }

  event(e: EventSpec): this {
    const at = this.claim(e.type, e.call ?? 0, e.flags ?? 0);
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
    return this;
  }

  /** The finished file: the header's sequence counter is brought up to date. */
  bytes(): Uint8Array {
    this.view.setBigUint64(HEADER.nextSeq, BigInt(this.seq), true);
    return this.buf;
  }

  private claim(type: number, call = 0, flags = 0): number {
    const seq = this.seq++;
    const at = HEADER_SIZE + (seq % this.slots) * RECORD_SIZE;
    this.buf.fill(0, at, at + RECORD_SIZE);
    this.view.setUint32(at + EVENT.seq, seq >>> 0, true);
    this.buf[at + EVENT.type] = type;
    this.buf[at + EVENT.call] = call;
    this.view.setUint16(at + EVENT.flags, flags, true);
    return at;
  }

  private writeHeader(h: HeaderSpec): void {
    const v = this.view;
    this.buf.set(MAGIC, HEADER.magic);
    v.setUint32(HEADER.version, VERSION, true);
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
  }

  private cstring(offset: number, size: number, text: string): void {
    this.buf.set(encoder.encode(text).subarray(0, size - 1), offset);
  }
}
