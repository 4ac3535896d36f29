/**
 * Hand-built trace files for the decoder tests, written byte by byte from
 * recorders/FORMAT.md (not from src/trace/layout.ts, so a mistake there is
 * not copied into the fixtures).
 */

export interface HeaderSpec {
  ringSlots: number;
  nextSeq: bigint;
  pid?: number;
  ppid?: number;
  uid?: number;
  flags?: number;
  host?: string;
  exe?: string;
  bootId?: string;
  recorderVersion?: string;
  cmdline?: string[];
  cmdlineTruncated?: boolean;
}

export interface EventSpec {
  seq: number;
  type: 3 | 4 | 5 | 6 | number;
  call?: number;
  flags?: number;
  startNs?: bigint;
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
  seq: number;
  pathId: number;
  name: string;
  dev?: bigint;
  ino?: bigint;
}

export const MAGIC = [0x89, 0x46, 0x53, 0x59, 0x4e, 0x43, 0x0d, 0x0a];

/** A whole trace: a 4096-byte header and a ring of `ringSlots` 64-byte slots. */
export class TraceBuilder {
  readonly buf: Buffer;
  readonly ringSlots: number;

  constructor(h: HeaderSpec) {
    this.ringSlots = h.ringSlots;
    this.buf = Buffer.alloc(4096 + 64 * h.ringSlots);
    const b = this.buf;
    Buffer.from(MAGIC).copy(b, 0);
    b.writeUInt32LE(1, 8);
    b.writeUInt32LE(4096, 12);
    b.writeUInt32LE(64, 16);
    b.writeUInt32LE(h.ringSlots, 20);
    b.writeBigUInt64LE(1_700_000_000_000_000_000n, 24);
    b.writeBigUInt64LE(5_000_000_000n, 32);
    b.writeUInt32LE(h.pid ?? 4242, 40);
    b.writeUInt32LE(h.ppid ?? 1, 44);
    b.writeUInt32LE(h.uid ?? 1000, 48);
    b.writeUInt32LE(h.flags ?? 1, 52);
    b.writeBigUInt64LE(h.nextSeq, 56);
    b.writeBigUInt64LE(0n, 64);
    b.writeBigUInt64LE(BigInt(4096 + 64 * h.ringSlots), 72);
    b.write(h.recorderVersion ?? '0.1.0', 80, 16, 'utf8');
    b.write(h.bootId ?? '0f813e3c-dc89-4f54-a65a-e716af63e556', 96, 40, 'utf8');
    b.write(h.host ?? 'host-a', 136, 72, 'utf8');
    b.write(h.exe ?? '/usr/bin/app', 208, 1024, 'utf8');
    const cmd = Buffer.from((h.cmdline ?? ['app', '--flag']).map((a) => `${a}\0`).join(''), 'utf8');
    b.writeUInt32LE(cmd.length, 1232);
    b.writeUInt32LE(h.cmdlineTruncated ? 1 : 0, 1236);
    cmd.copy(b, 1240);
  }

  /** Byte offset of the slot that holds sequence number `seq`. */
  slotOffset(seq: number): number {
    return 4096 + 64 * (seq % this.ringSlots);
  }

  event(e: EventSpec): this {
    const at = this.slotOffset(e.seq);
    const b = this.buf;
    b.writeUInt32LE(e.seq % 2 ** 32, at);
    b.writeUInt8(e.type, at + 4);
    b.writeUInt8(e.call ?? (e.type === 3 ? 1 : 0), at + 5);
    b.writeUInt16LE(e.flags ?? 0, at + 6);
    b.writeBigUInt64LE(e.startNs ?? BigInt(1_000_000 + e.seq * 1000), at + 8);
    b.writeBigUInt64LE(e.durNs ?? 500n, at + 16);
    b.writeUInt32LE(e.tid ?? 4242, at + 24);
    b.writeInt32LE(e.fd ?? 3, at + 28);
    b.writeUInt32LE(e.pathId ?? 0, at + 32);
    b.writeInt32LE(e.res ?? 0, at + 36);
    b.writeBigUInt64LE(e.bytes ?? 0n, at + 40);
    b.writeUInt32LE(e.writes ?? 0, at + 48);
    b.writeUInt32LE(e.writeUs ?? 0, at + 52);
    b.writeBigUInt64LE(e.ivalStartNs ?? 0n, at + 56);
    return this;
  }

  /** A path record and its continuations, at `seq` and the sequence numbers after it. */
  path(p: PathSpec): this {
    const name = Buffer.from(p.name, 'utf8');
    const b = this.buf;
    let at = this.slotOffset(p.seq);
    b.fill(0, at, at + 64);
    b.writeUInt32LE(p.seq % 2 ** 32, at);
    b.writeUInt8(1, at + 4);
    b.writeUInt32LE(p.pathId, at + 8);
    b.writeUInt32LE(name.length, at + 12);
    b.writeBigUInt64LE(p.dev ?? 2049n, at + 16);
    b.writeBigUInt64LE(p.ino ?? 1234n, at + 24);
    name.copy(b, at + 32, 0, Math.min(32, name.length));
    for (let done = 32, i = 1; done < name.length; done += 56, i++) {
      at = this.slotOffset(p.seq + i);
      b.fill(0, at, at + 64);
      b.writeUInt32LE((p.seq + i) % 2 ** 32, at);
      b.writeUInt8(2, at + 4);
      name.copy(b, at + 8, done, Math.min(done + 56, name.length));
    }
    return this;
  }

  /** Slots a path of this many bytes takes. */
  static pathSlots(bytes: number): number {
    return 1 + Math.ceil(Math.max(0, bytes - 32) / 56);
  }

  /** Clear the slot of `seq` (a record being written, or never written). */
  clear(seq: number): this {
    const at = this.slotOffset(seq);
    this.buf.fill(0, at, at + 64);
    return this;
  }
}
