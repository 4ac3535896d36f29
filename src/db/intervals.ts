/**
 * Write intervals (queries/10_intervals.sql) read back a batch at a time, so
 * that listing millions of them never holds them all.
 */
import type { DuckDBValue, JS } from '@duckdb/node-api';
import type { Bindings } from './queries.js';
import type { Session } from './session.js';
import { isoFromNs, num, numOrNull } from './values.js';

export interface Interval {
  host: string;
  path: string;
  pid: number;
  tid: number;
  kind: string;
  /** When the sync began, ISO 8601 UTC. */
  start: string;
  latencyMs: number;
  res: number;
  /** When the interval began; null for calls that close none. */
  intervalStart: string | null;
  intervalMs: number | null;
  bytes: number | null;
  writes: number | null;
  writeMs: number | null;
}

export interface IntervalFilter {
  limit?: number;
}

export async function countIntervals(session: Session, bindings: Bindings): Promise<number> {
  await session.build(['intervals'], bindings);
  const [r] = await session.rows('select count(*) as n from intervals');
  return num(r!.n);
}

/** Intervals in time order, in batches. */
export async function* readIntervals(session: Session, bindings: Bindings, filter: IntervalFilter): AsyncGenerator<Interval[]> {
  await session.build(['intervals'], bindings);
  const values: Record<string, DuckDBValue> = {};
  let limit = '';
  if (filter.limit !== undefined) {
    limit = ' limit $limit';
    values.limit = BigInt(filter.limit);
  }
  const sql = `select *, epoch_ns(interval_start) as interval_start_ns from intervals order by start_ns, trace_id, seq${limit}`;
  for await (const rows of session.stream(sql, values)) yield rows.map(interval);
}

function interval(r: Record<string, JS>): Interval {
  return {
    host: String(r.host),
    path: String(r.path),
    pid: num(r.pid),
    tid: num(r.tid),
    kind: String(r.kind),
    start: isoFromNs(r.start_ns)!,
    latencyMs: num(r.latency_ms),
    res: num(r.res),
    intervalStart: isoFromNs(r.interval_start_ns),
    intervalMs: numOrNull(r.interval_ms),
    bytes: numOrNull(r.bytes),
    writes: numOrNull(r.writes),
    writeMs: numOrNull(r.write_ms),
  };
}
