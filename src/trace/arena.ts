/**
 * Typed arrays carved out of a few shared ArrayBuffers. The decode worker
 * prepares a batch of traces inside an arena (Arena.run), so that a batch of
 * hundreds of small traces is a handful of buffers to allocate, collect and
 * transfer between threads rather than a hundred per trace. Outside an arena,
 * `typed` is a plain `new`.
 *
 * An array may share its buffer with others: code that views an array's
 * bytes must use its byteOffset and length, never the whole buffer.
 */
type TypedArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

interface TypedCtor<T extends TypedArray> {
  readonly BYTES_PER_ELEMENT: number;
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
}

let current: Arena | null = null;

export class Arena {
  private chunk: ArrayBuffer | null = null;
  private used = 0;

  /** `chunkBytes`: the size of each shared buffer; an array larger than a quarter of it gets a buffer of its own. */
  constructor(private readonly chunkBytes = 1 << 20) {}

  /** Run `f` with `typed` allocating from this arena. */
  run<R>(f: () => R): R {
    const outer = current;
    current = this;
    try {
      return f();
    } finally {
      current = outer;
    }
  }

  take<T extends TypedArray>(ctor: TypedCtor<T>, n: number): T {
    const bytes = n * ctor.BYTES_PER_ELEMENT;
    if (bytes > this.chunkBytes / 4) return new ctor(zeroedBuffer(bytes), 0, n);
    if (this.chunk === null || this.used + bytes > this.chunkBytes) {
      this.chunk = zeroedBuffer(this.chunkBytes);
      this.used = 0;
    }
    const out = new ctor(this.chunk, this.used, n);
    this.used += (bytes + 7) & ~7;
    return out;
  }
}

/**
 * Buffers given back for reuse (`recycle`): the decode worker's columns, handed
 * back by the main thread once appended. A fresh buffer's pages cost a fault
 * each at first touch (~10 µs here), and a big load's columns are hundreds of
 * MB, so the worker writes the next traces into the pages it already has.
 */
const spare: ArrayBuffer[] = [];
let spareBytes = 0;
/** At most this much is kept for reuse; the rest is left to the collector. */
const SPARE_MAX_BYTES = 256 << 20;

/** Keep `buffers` for the arenas' next allocations (their contents are overwritten). */
export function recycle(buffers: readonly ArrayBuffer[]): void {
  for (const b of buffers) {
    if (b.byteLength === 0 || spareBytes + b.byteLength > SPARE_MAX_BYTES) continue;
    spare.push(b);
    spareBytes += b.byteLength;
  }
}

let reused = 0;

/** Bytes of spare buffers handed out again so far. */
export function reusedBytes(): number {
  return reused;
}

/**
 * A zeroed buffer of at least `bytes`: the smallest spare one that holds them
 * and wastes at most half of itself, else a new one.
 */
function zeroedBuffer(bytes: number): ArrayBuffer {
  let best = -1;
  for (let i = 0; i < spare.length; i++) {
    const len = spare[i]!.byteLength;
    if (len >= bytes && len <= 2 * bytes && (best < 0 || len < spare[best]!.byteLength)) best = i;
  }
  if (best < 0) return new ArrayBuffer(bytes);
  const buf = spare[best]!;
  spare[best] = spare[spare.length - 1]!;
  spare.pop();
  spareBytes -= buf.byteLength;
  reused += buf.byteLength;
  new Uint8Array(buf, 0, bytes).fill(0);
  return buf;
}

/** A zeroed typed array of n elements: from the current arena, if any. */
export function typed<T extends TypedArray>(ctor: TypedCtor<T>, n: number): T {
  return current === null ? new ctor(n) : current.take(ctor, n);
}

/**
 * A table's columns: one zeroed typed array of n elements per name, of the type
 * `spec` gives it, e.g. typedColumns(n, { start: BigUint64Array, period: Uint32Array }).
 */
export function typedColumns<S extends Record<string, TypedCtor<TypedArray>>>(n: number, spec: S): { [K in keyof S]: InstanceType<S[K]> } {
  const out: Record<string, TypedArray> = {};
  for (const [name, ctor] of Object.entries(spec)) out[name] = typed(ctor, n);
  return out as { [K in keyof S]: InstanceType<S[K]> };
}

/** The 32-bit halves of a 64-bit array (two per element, low first), as a view. */
export function halves(a: BigInt64Array | BigUint64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}
