/**
 * Values read back from DuckDB, made plain: counts as numbers, nanosecond
 * timestamps as ISO 8601 UTC strings, maps as records.
 */
import type { JS } from '@duckdb/node-api';
import { constants } from 'node:os';

/** A count or a measure as a number (null stays null). */
export function num(v: JS | undefined): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return 0;
}

export function numOrNull(v: JS | undefined): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** Nanoseconds since the epoch as ISO 8601 UTC, to the microsecond. */
export function isoFromNs(ns: JS | undefined): string | null {
  if (ns === null || ns === undefined) return null;
  const n = BigInt(ns as bigint | number | string);
  const ms = n / 1_000_000n - (n % 1_000_000n < 0n ? 1n : 0n);
  const micros = Number(((n % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n / 1000n);
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

/** A DuckDB MAP(VARCHAR, integer), as read by getRowObjectsJS, as a record. */
export function record(v: JS | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (Array.isArray(v)) {
    for (const e of v) {
      const { key, value } = e as { key: JS; value: JS };
      out[String(key)] = num(value);
    }
  }
  return out;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** EIO for 5, and so on. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}
