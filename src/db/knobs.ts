/**
 * The analysis knobs' shape, defaults and parsers: plain values, no DuckDB,
 * so the command line can check options before anything heavy loads.
 * params.ts turns these into the `$parameters` of queries/.
 */
import { FtError } from '../errors.js';

export interface AnalysisParams {
  /** How far back a sync's baseline looks, in seconds (its family's own history before it). */
  windowSeconds: number;
  /** Every sync at least this slow is an outlier, whatever its baseline (ms). ZooKeeper warns at 1000. */
  thresholdMs: number;
  /** A sync is slow at this many times its baseline's p99 ... */
  factor: number;
  /** ... and at least this slow (ms), so that sub-millisecond noise is never an incident. */
  floorMs: number;
  /** Syncs a baseline needs; a family with fewer before a sync, and in the rest of the recording, is not judged. */
  minHistory: number;
  /** Outliers on one device closer than this (seconds) belong to one incident. */
  gapSeconds: number;
  /** A slow sync that flushed this many times its family's usual bytes, and no slower than that explains, is 'write-volume'. */
  volumeRatio: number;
}

export const DEFAULT_PARAMS: Readonly<AnalysisParams> = {
  windowSeconds: 600,
  thresholdMs: 1000,
  factor: 3,
  floorMs: 10,
  minHistory: 30,
  gapSeconds: 5,
  volumeRatio: 10,
};

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** "10m", "90s", "1.5h", "250ms"; a bare number is in `bareUnit`. */
export function parseDuration(text: string, bareUnit: 's' | 'ms' = 's'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zµ]*)\s*$/i.exec(text);
  const unit = (m?.[2] || bareUnit).toLowerCase();
  if (!m || UNITS[unit] === undefined) {
    throw new FtError(`not a duration: '${text}' (expected e.g. 10m, 90s, 250ms, 1h)`);
  }
  const seconds = Number(m[1]) * UNITS[unit]!;
  return bareUnit === 'ms' ? seconds * 1000 : seconds;
}

/** A number within [min, max]. */
export function parseNumber(text: string, what: string, min: number, max = Infinity): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new FtError(`${what} must be a number from ${min}${max === Infinity ? '' : ` to ${max}`}, not '${text}'`);
  }
  return n;
}

/**
 * The analyzer's memory budget unless --memory says otherwise. DuckDB gets
 * DUCKDB_SHARE of it as its memory limit: past that, joins, aggregates and
 * sorts spill to a temporary directory (DuckDB's own default is 80% of RAM, so
 * a big set would fail rather than spill). The rest is Node's (the decoded
 * columns in flight, the report's data) and DuckDB's allocations outside its
 * buffer manager: measured on 10 M events, the process stays within the budget.
 */
export const DEFAULT_MEMORY = '1GB';
export const DUCKDB_SHARE = 0.65;

const MEMORY_UNITS: Record<string, number> = { kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** A memory size ('512MB', '4GiB') in bytes, or null when it is not one. */
export function memoryBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.exec(text);
  return m ? Number(m[1]) * MEMORY_UNITS[m[2]!.toLowerCase()]! : null;
}

/** DuckDB's memory_limit for a budget of `memory`: its share, in whole MiB (at least 64). */
export function duckdbMemoryLimit(memory: string): string {
  return `${Math.max(64, Math.floor((budgetBytes(memory) * DUCKDB_SHARE) / 2 ** 20))}MiB`;
}

/**
 * Memory DuckDB's block allocator keeps once it has used it, rather than hand
 * back to the system and fault in again: BLOCK_ALLOCATOR_SHARE of the budget,
 * in whole MiB. A load makes and frees blocks all along (each checkpoint
 * compresses the rows appended since into new blocks and frees the old ones):
 * a 10 M-event load spent 9 % of its samples faulting DuckDB's fresh pages in
 * on a quiet machine, 11 % on a busy one. With it, that set's load took a fifth
 * less CPU and its report's peak RSS grew by ~95 MB.
 */
export const BLOCK_ALLOCATOR_SHARE = 0.25;

/** DuckDB's block_allocator_memory for a budget of `memory`. */
export function blockAllocatorMemory(memory: string): string {
  return `${Math.floor((budgetBytes(memory) * BLOCK_ALLOCATOR_SHARE) / 2 ** 20)}MiB`;
}

function budgetBytes(memory: string): number {
  const bytes = memoryBytes(memory);
  if (bytes === null) throw new FtError(`--memory: not a size: '${memory}' (expected e.g. 512MB or 4GB)`);
  return bytes;
}
