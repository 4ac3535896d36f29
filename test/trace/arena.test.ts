/**
 * The arena's recycled buffers (src/trace/arena.ts): the decode worker writes
 * later traces into buffers the main thread gave back, so a buffer handed out
 * again must be all zeros however it was left, on both paths (a shared chunk,
 * and an array big enough for a buffer of its own, from a spare up to twice
 * its size).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Arena, recycle, reusedBytes, typed, typedColumns } from '../../src/trace/arena.js';

const CHUNK = 1 << 16;

function dirty(bytes: number): ArrayBuffer {
  const b = new ArrayBuffer(bytes);
  new Uint8Array(b).fill(0xff);
  return b;
}

const zero = (a: ArrayLike<number | bigint>): boolean => Array.prototype.every.call(a, (x: number | bigint) => x === 0 || x === 0n);

test('a recycled chunk comes back zeroed, and its arrays do not overlap', () => {
  const before = reusedBytes();
  recycle([dirty(CHUNK)]);
  const [a, b, cols] = new Arena(CHUNK).run(() => [typed(Uint32Array, 1000), typed(Float64Array, 500), typedColumns(300, { start: BigUint64Array, fd: Int32Array })] as const);
  assert.is(reusedBytes() - before, CHUNK, 'the spare chunk was used');
  assert.ok(zero(a) && zero(b) && zero(cols.start) && zero(cols.fd));
  a.fill(7);
  assert.ok(zero(b) && zero(cols.start) && zero(cols.fd), 'writing one array leaves the others');
});

test('an array of its own, from a spare buffer up to twice its size, comes back zeroed', () => {
  const before = reusedBytes();
  const bytes = CHUNK; // over a quarter of the chunk: a buffer of its own
  recycle([dirty(2 * bytes - 8), dirty(3 * bytes)]); // the second wastes more than half: not used
  const a = new Arena(CHUNK).run(() => typed(BigInt64Array, bytes / 8));
  assert.is(reusedBytes() - before, 2 * bytes - 8);
  assert.is(a.length, bytes / 8);
  assert.ok(zero(a));
});

test('outside an arena, typed is a plain new array', () => {
  const before = reusedBytes();
  recycle([dirty(4096)]);
  assert.ok(zero(typed(Uint8Array, 4096)));
  assert.is(reusedBytes(), before);
});

test.run();
