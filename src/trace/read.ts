/**
 * The few reads the decoder is built from. The format is little-endian, and
 * this is the one place that says so.
 */
const LITTLE_ENDIAN = true;

/** One DataView per buffer, kept while the buffer lives: a decoder reads many fields of one ring. */
const views = new WeakMap<Uint8Array, DataView>();

function view(buf: Uint8Array): DataView {
  let v = views.get(buf);
  if (v === undefined) {
    v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    views.set(buf, v);
  }
  return v;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return view(buf).getUint32(offset, LITTLE_ENDIAN);
}

export function readU64(buf: Uint8Array, offset: number): bigint {
  return view(buf).getBigUint64(offset, LITTLE_ENDIAN);
}

/** A u64 as a number: exact below 2^53, which holds for counts and offsets. */
export function readU64Number(buf: Uint8Array, offset: number): number {
  const v = view(buf);
  return v.getUint32(offset, LITTLE_ENDIAN) + v.getUint32(offset + 4, LITTLE_ENDIAN) * 2 ** 32;
}

/** A NUL-terminated string in a fixed-size field, decoded as UTF-8 with replacement. */
export function readCString(buf: Uint8Array, offset: number, size: number): string {
  const field = buf.subarray(offset, offset + size);
  const end = field.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? field : field.subarray(0, end));
}
