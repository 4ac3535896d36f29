/**
 * Outliers and incidents (queries/30_outliers.sql, 40_incidents.sql), read
 * back as plain objects.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { Bindings } from './queries.js';
import type { Session } from './session.js';
import { isoFromNs, num, numOrNull } from './values.js';

export interface Outlier {
  rank: number;
  host: string;
  path: string;
  pid: number;
  tid: number;
  kind: string;
  /** ISO 8601 UTC. */
  start: string;
  latencyMs: number;
  baselineMs: number | null;
  baselineP99Ms: number | null;
  baselineSource: 'file' | 'device' | null;
  ratio: number | null;
  bytes: number | null;
  bytesRatio: number | null;
  reason: 'baseline' | 'threshold' | 'failed';
  cause: 'write-volume' | 'latency' | 'failure';
  failed: boolean;
  errno: number | null;
  incident: number;
}

export interface Incident {
  id: number;
  start: string;
  end: string;
  outliers: number;
  files: number;
  processes: number;
  hosts: number;
  worstMs: number;
  worstPath: string;
  scope: 'device-wide' | 'single-file';
  cause: 'write-volume' | 'latency' | 'failure';
  paths: string[];
}

export type OutlierOrder = 'rank' | 'time';

export interface OutlierFilter {
  order?: OutlierOrder;
  limit?: number;
  cause?: Outlier['cause'];
  failedOnly?: boolean;
}

/** Outliers, worst first (or in time order), at most `limit` of them. */
export async function readOutliers(session: Session, bindings: Bindings, opts: OutlierFilter = {}): Promise<Outlier[]> {
  await session.build(['outliers'], bindings);
  const where: string[] = ['true'];
  const values: Record<string, DuckDBValue> = {};
  if (opts.cause !== undefined) {
    where.push('cause = $cause');
    values.cause = opts.cause;
  }
  if (opts.failedOnly) where.push('failed');
  let limit = '';
  if (opts.limit !== undefined) {
    limit = ' limit $limit';
    values.limit = BigInt(opts.limit);
  }
  const order = opts.order === 'time' ? 'start_ns, trace_id, seq' : 'rank';
  const rows = await session.rows(
    `select * from outliers where ${where.join(' and ')} order by ${order}${limit}`, values);
  return rows.map((r) => ({
    rank: num(r.rank),
    host: String(r.host),
    path: String(r.path),
    pid: num(r.pid),
    tid: num(r.tid),
    kind: String(r.kind),
    start: isoFromNs(r.start_ns)!,
    latencyMs: num(r.latency_ms),
    baselineMs: numOrNull(r.baseline_ms),
    baselineP99Ms: numOrNull(r.baseline_p99_ms),
    baselineSource: (r.baseline_source ?? null) as Outlier['baselineSource'],
    ratio: numOrNull(r.ratio),
    bytes: numOrNull(r.bytes),
    bytesRatio: numOrNull(r.bytes_ratio),
    reason: String(r.reason) as Outlier['reason'],
    cause: String(r.cause) as Outlier['cause'],
    failed: Boolean(r.failed),
    errno: numOrNull(r.errno),
    incident: num(r.incident),
  }));
}

export async function countOutliers(session: Session, bindings: Bindings): Promise<number> {
  await session.build(['outliers'], bindings);
  const [r] = await session.rows('select count(*) as n from outliers');
  return num(r!.n);
}

/** Incidents in time order. */
export async function readIncidents(session: Session, bindings: Bindings): Promise<Incident[]> {
  await session.build(['incidents'], bindings);
  const rows = await session.rows(
    'select *, epoch_ns(start) as start_ns, epoch_ns(finish) as end_ns from incidents order by incident');
  return rows.map((r) => ({
    id: num(r.incident),
    start: isoFromNs(r.start_ns)!,
    end: isoFromNs(r.end_ns)!,
    outliers: num(r.outliers),
    files: num(r.files),
    processes: num(r.processes),
    hosts: num(r.hosts),
    worstMs: num(r.worst_ms),
    worstPath: String(r.worst_path),
    scope: String(r.scope) as Incident['scope'],
    cause: String(r.cause) as Incident['cause'],
    paths: (r.paths as string[] | null) ?? [],
  }));
}
