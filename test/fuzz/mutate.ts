/**
 * Mutations of real trace files, for the fuzz suites and `npm run fuzz`.
 *
 * Format-agnostic on purpose: a case is a seed file's bytes with a few
 * mutations applied, and the only knowledge of the layout is what
 * src/trace/layout.ts exports (field offsets) plus the seed's own header
 * (its header size and record size, read from the file, so a later format
 * version with a bigger header or record is cut at its own boundaries).
 *
 * Every case is a pure function of (run seed, case index): `makeCase(seeds,
 * seed, index)` builds the same bytes on any machine, so a failure is replayed
 * from the two numbers printed with it (test/fuzz/replay.ts).
 */
import { EVENT, HEADER, MAGIC, PATH, VERSION } from '../../src/trace/layout.js';
import { mulberry32 } from '../rng.js';

/** A seed: a real trace, and where it came from. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** One fuzz case: the mutated bytes and what was done to which seed. */
export interface Case {
  index: number;
  seed: string;
  ops: string[];
  bytes: Uint8Array;
}

/** splitmix32-style hash of two numbers: a case's own PRNG seed. */
function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32 (test/rng.ts) with the draws the mutations need. */
export class Rng {
  /** A float in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
}

/** The run seed when none is given: from the clock, printed so the run can be repeated. */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

const LE = true;

/** Values that break arithmetic: zero, one, sign and width edges. */
const U32_EDGES = [0, 1, 2, 63, 64, 65, 4095, 4096, 4097, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];
const U64_EDGES = [
  0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n,
  2n ** 62n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n,
];

/** The header fields that size or count something, as u32. */
const HEADER_U32 = ['headerSize', 'recordSize', 'ringSlots', 'cmdlineLen', 'cmdlineTruncated', 'pid', 'flags'] as const;
/** The header's u64 fields: counters and clock anchors. */
const HEADER_U64 = ['nextSeq', 'dropped', 'maxBytes', 'realtimeNs', 'monotonicNs'] as const;
/** u32 fields of a record (event or path record). */
const RECORD_U32: Array<[string, number]> = [
  ['seq', EVENT.seq], ['path.len', PATH.len], ['path.id', PATH.pathId], ['tid', EVENT.tid], ['fd', EVENT.fd],
  ['pathId', EVENT.pathId], ['res', EVENT.res], ['writes', EVENT.writes], ['writeUs', EVENT.writeUs],
];
/** u64 fields of an event record: times, durations, byte counts. */
const RECORD_U64: Array<[string, number]> = [
  ['startNs', EVENT.startNs], ['durNs', EVENT.durNs], ['bytes', EVENT.bytes], ['ivalStartNs', EVENT.ivalStartNs],
  ['path.dev', PATH.dev], ['path.ino', PATH.ino],
];

/** The seed's layout as its own header declares it (falling back to nothing sensible: any number will do). */
interface Geometry {
  headerSize: number;
  recordSize: number;
  /** Records present in the file. */
  records: number;
}

function geometry(buf: Uint8Array): Geometry {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const read = (off: number) => (off + 4 <= buf.length ? v.getUint32(off, LE) : 0);
  let headerSize = read(HEADER.headerSize);
  let recordSize = read(HEADER.recordSize);
  if (headerSize === 0 || headerSize > buf.length) headerSize = Math.min(buf.length, 4096);
  if (recordSize === 0 || recordSize > 4096) recordSize = 64;
  return { headerSize, recordSize, records: Math.max(0, Math.floor((buf.length - headerSize) / recordSize)) };
}

type Mutation = (buf: Uint8Array, r: Rng, seeds: readonly Seed[]) => [Uint8Array, string];

/**
 * A DataView whose writes past the end do nothing: a mutated header can
 * declare record sizes that put a field outside the file, and the mutation
 * then simply has no effect.
 */
const view = (buf: Uint8Array) => {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fits = (off: number, n: number) => off >= 0 && off + n <= buf.byteLength;
  return {
    getUint32: (off: number, le: boolean) => (fits(off, 4) ? v.getUint32(off, le) : 0),
    getBigUint64: (off: number, le: boolean) => (fits(off, 8) ? v.getBigUint64(off, le) : 0n),
    setUint16: (off: number, x: number, le: boolean) => fits(off, 2) && v.setUint16(off, x, le),
    setUint32: (off: number, x: number, le: boolean) => fits(off, 4) && v.setUint32(off, x, le),
    setBigUint64: (off: number, x: bigint, le: boolean) => fits(off, 8) && v.setBigUint64(off, x, le),
  };
};

/** A random record index, preferring records that hold something (type != 0). */
function someRecord(buf: Uint8Array, g: Geometry, r: Rng): number {
  if (g.records === 0) return -1;
  for (let tries = 0; tries < 16; tries++) {
    const i = r.int(g.records);
    if (buf[g.headerSize + i * g.recordSize + EVENT.type] !== 0) return i;
  }
  return r.int(g.records);
}

/** A boundary the format cares about: a header field, the header's end, a record's start, ±1. */
function boundary(buf: Uint8Array, r: Rng): number {
  const g = geometry(buf);
  const fields = Object.values(HEADER);
  const choice = r.int(4);
  let at: number;
  if (choice === 0) at = r.pick(fields);
  else if (choice === 1) at = g.headerSize;
  else if (choice === 2 && g.records > 0) at = g.headerSize + r.int(g.records + 1) * g.recordSize;
  else at = g.headerSize + r.int(g.records + 1) * g.recordSize + r.pick([PATH.name, EVENT.startNs, 8, g.recordSize / 2]);
  return Math.max(0, Math.min(buf.length, at + r.pick([0, 0, 0, -1, 1])));
}

const MUTATIONS: Record<string, Mutation> = {
  bitflips(buf, r) {
    const out = buf.slice();
    const n = 1 + r.int(8);
    // Half the time into the header, where every bit means something.
    for (let i = 0; i < n; i++) {
      const at = r.int(2) === 0 ? r.int(Math.min(out.length, 4096)) : r.int(out.length);
      out[at]! ^= 1 << r.int(8);
    }
    return [out, `bitflips x${n}`];
  },
  byteRun(buf, r) {
    const out = buf.slice();
    const at = r.int(out.length);
    const len = 1 + r.int(r.pick([4, 64, 512, 8192]));
    const value = r.pick([0x00, 0xff, 0x7f, 0x80, -1]);
    for (let i = at; i < Math.min(out.length, at + len); i++) out[i] = value < 0 ? r.int(256) : value;
    return [out, `run@${at}+${len}=${value < 0 ? 'random' : value}`];
  },
  truncateRandom(buf, r) {
    const at = r.int(buf.length + 1);
    return [buf.slice(0, at), `truncate@${at}`];
  },
  truncateBoundary(buf, r) {
    const at = boundary(buf, r);
    return [buf.slice(0, at), `truncate@${at} (boundary)`];
  },
  splice(buf, r, seeds) {
    const other = r.pick(seeds);
    const at = r.int(2) === 0 ? boundary(buf, r) : r.int(buf.length + 1);
    const from = r.int(2) === 0 ? Math.min(at, other.bytes.length) : r.int(other.bytes.length + 1);
    const out = new Uint8Array(at + other.bytes.length - from);
    out.set(buf.subarray(0, at));
    out.set(other.bytes.subarray(from), at);
    return [out, `splice@${at} ${other.name}@${from}`];
  },
  duplicateRecord(buf, r) {
    const g = geometry(buf);
    const i = someRecord(buf, g, r);
    if (i < 0) return [buf, 'duplicate (no record)'];
    const rec = buf.subarray(g.headerSize + i * g.recordSize, g.headerSize + (i + 1) * g.recordSize);
    if (r.int(2) === 0) {
      // Over another slot, keeping the size.
      const j = r.int(g.records);
      const out = buf.slice();
      out.set(rec, g.headerSize + j * g.recordSize);
      return [out, `copy record ${i} over ${j}`];
    }
    // Inserted after itself: every later record moves one slot.
    const at = g.headerSize + (i + 1) * g.recordSize;
    const out = new Uint8Array(buf.length + rec.length);
    out.set(buf.subarray(0, at));
    out.set(rec, at);
    out.set(buf.subarray(at), at + rec.length);
    return [out, `insert copy of record ${i}`];
  },
  swapRecords(buf, r) {
    const g = geometry(buf);
    if (g.records < 2) return [buf, 'swap (too few records)'];
    const i = someRecord(buf, g, r);
    const j = r.int(2) === 0 ? Math.min(g.records - 1, i + 1) : someRecord(buf, g, r);
    const out = buf.slice();
    const a = g.headerSize + i * g.recordSize;
    const b = g.headerSize + j * g.recordSize;
    out.set(buf.subarray(b, b + g.recordSize), a);
    out.set(buf.subarray(a, a + g.recordSize), b);
    return [out, `swap records ${i} ${j}`];
  },
  headerU32(buf, r) {
    const name = r.pick(HEADER_U32);
    const off = HEADER[name];
    if (off + 4 > buf.length) return [buf, `header ${name} (cut)`];
    const out = buf.slice();
    const value = r.int(4) === 0 ? r.u32() : r.pick(U32_EDGES);
    view(out).setUint32(off, value, LE);
    return [out, `header ${name}=${value}`];
  },
  headerU64(buf, r) {
    const name = r.pick(HEADER_U64);
    const off = HEADER[name];
    if (off + 8 > buf.length) return [buf, `header ${name} (cut)`];
    const out = buf.slice();
    const old = view(out).getBigUint64(off, LE);
    const value = r.int(4) === 0 ? BigInt.asUintN(64, old + BigInt(r.int(1 << 20) - (1 << 19))) : r.pick(U64_EDGES);
    view(out).setBigUint64(off, value, LE);
    return [out, `header ${name}=${value}`];
  },
  recordU32(buf, r) {
    const g = geometry(buf);
    const i = someRecord(buf, g, r);
    if (i < 0) return [buf, 'record u32 (no record)'];
    const [name, off] = r.pick(RECORD_U32);
    const out = buf.slice();
    const at = g.headerSize + i * g.recordSize + off;
    const value = name === 'seq' && r.int(2) === 0
      ? (view(out).getUint32(at, LE) + r.pick([1, -1, 2 ** 31, 2 ** 31 - 1, 2 ** 31 + 1, g.records, -g.records])) >>> 0
      : r.int(4) === 0 ? r.u32() : r.pick(U32_EDGES);
    view(out).setUint32(at, value, LE);
    return [out, `record ${i} ${name}=${value}`];
  },
  recordU64(buf, r) {
    const g = geometry(buf);
    const i = someRecord(buf, g, r);
    if (i < 0) return [buf, 'record u64 (no record)'];
    const [name, off] = r.pick(RECORD_U64);
    const out = buf.slice();
    const value = r.pick(U64_EDGES);
    view(out).setBigUint64(g.headerSize + i * g.recordSize + off, value, LE);
    return [out, `record ${i} ${name}=${value}`];
  },
  recordKind(buf, r) {
    const g = geometry(buf);
    const i = someRecord(buf, g, r);
    if (i < 0) return [buf, 'record kind (no record)'];
    const out = buf.slice();
    const at = g.headerSize + i * g.recordSize;
    const field = r.pick(['type', 'call', 'flags'] as const);
    const value = field === 'type' ? r.pick([0, 1, 2, 3, 4, 5, 6, 7, 255]) : field === 'call' ? r.pick([0, 1, 5, 10, 11, 255]) : r.pick([0, 0x1f, 0x20, 0xffff]);
    if (field === 'flags') view(out).setUint16(at + EVENT.flags, value, LE);
    else out[at + EVENT[field]] = value;
    return [out, `record ${i} ${field}=${value}`];
  },
  version(buf, r) {
    if (buf.length < HEADER.version + 4) return [buf, 'version (cut)'];
    const out = buf.slice();
    const value = r.pick([0, VERSION - 1, VERSION + 1, VERSION + 2, 0xffff_ffff, 0x0100_0000]);
    view(out).setUint32(HEADER.version, value >>> 0, LE);
    return [out, `version=${value >>> 0}`];
  },
  magic(buf, r) {
    if (buf.length === 0) return [buf, 'magic (empty)'];
    const out = buf.slice();
    const at = r.int(Math.min(MAGIC.length, out.length));
    out[at] = r.int(2) === 0 ? out[at]! ^ (1 << r.int(8)) : r.int(256);
    return [out, `magic[${at}]=${out[at]}`];
  },
};

/** How often each mutation is picked: the structure-aware ones more than pure noise. */
const WEIGHTS: Array<[keyof typeof MUTATIONS, number]> = [
  ['bitflips', 4], ['byteRun', 2], ['truncateRandom', 2], ['truncateBoundary', 2], ['splice', 2],
  ['duplicateRecord', 2], ['swapRecords', 2], ['headerU32', 3], ['headerU64', 2], ['recordU32', 4],
  ['recordU64', 3], ['recordKind', 3], ['version', 1], ['magic', 1],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((s, [, w]) => s + w, 0);

export const MUTATION_NAMES = Object.keys(MUTATIONS);

function pickMutation(r: Rng): keyof typeof MUTATIONS {
  let x = r.int(TOTAL_WEIGHT);
  for (const [name, w] of WEIGHTS) {
    if (x < w) return name;
    x -= w;
  }
  return 'bitflips';
}

/** Case `index` of the run with seed `seed`: one to three mutations of one seed file. */
export function makeCase(seeds: readonly Seed[], seed: number, index: number): Case {
  const r = new Rng(mix(seed, index));
  const base = r.pick(seeds);
  let bytes = base.bytes;
  const ops: string[] = [];
  const n = 1 + (r.int(3) === 0 ? 1 + r.int(2) : 0);
  for (let i = 0; i < n; i++) {
    const name = pickMutation(r);
    const [out, what] = MUTATIONS[name]!(bytes, r, seeds);
    bytes = out;
    ops.push(`${name}: ${what}`);
  }
  return { index, seed: base.name, ops, bytes };
}
