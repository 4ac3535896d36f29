/**
 * The long history of format-v2 traces, read back as plain objects: daily
 * latency per file from the summaries (queries/62_daily.sql), the alerts the
 * recorder raised (64_alerts.sql) and the recorder's own cost (66_overhead.sql).
 */
import type { Bindings } from './queries.js';
import type { Session } from './session.js';
import { errnoName, isoFromNs, num, numOrNull } from './values.js';

export interface DailyLatency {
  host: string;
  path: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  calls: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface Alert {
  /** ISO 8601 UTC. */
  start: string;
  host: string;
  pid: number;
  tid: number;
  exe: string;
  /** The program's name as users know it (comm), beside the resolved exe. */
  program: string;
  path: string;
  kind: string;
  latencyMs: number;
  failed: boolean;
  errno: number | null;
  errnoName: string | null;
  /** The alert line was not written (rate limit, or a sink that would block). */
  suppressed: boolean;
  source: 'ring' | 'keep';
}

export interface Overhead {
  entries: number;
  samples: number;
  calls: number;
  syncCalls: number;
  syncNs: number;
  /** sum(sampled_ns) / sum(samples); null without samples. */
  nsPerCall: number | null;
  /** calls x nsPerCall / sum(sync_ns); null without sync time. */
  syncShare: number | null;
}

export async function dailyLatency(session: Session, bindings: Bindings): Promise<DailyLatency[]> {
  await session.build(['daily'], bindings);
  const rows = await session.rows("select *, strftime(day, '%Y-%m-%d') as day_text from daily order by host, path, day");
  return rows.map((r) => ({
    host: String(r.host),
    path: String(r.path),
    day: String(r.day_text),
    calls: num(r.calls),
    errors: num(r.errors),
    p50Ms: num(r.p50_ms),
    p99Ms: num(r.p99_ms),
    maxMs: num(r.max_ms),
  }));
}

/** Alerts in time order, at most `limit` (all without one). */
export async function readAlerts(session: Session, bindings: Bindings, limit?: number): Promise<Alert[]> {
  await session.build(['alerts'], bindings);
  const rows = limit === undefined
    ? await session.rows('select * from alerts order by start_ns, trace_id, seq')
    : await session.rows('select * from alerts order by start_ns, trace_id, seq limit $limit', { limit: BigInt(limit) });
  return rows.map((r) => {
    const errno = numOrNull(r.errno);
    return {
      start: isoFromNs(r.start_ns)!,
      host: String(r.host),
      pid: num(r.pid),
      tid: num(r.tid),
      exe: String(r.exe),
      program: String(r.program ?? ''),
      path: String(r.path),
      kind: String(r.kind),
      latencyMs: num(r.latency_ms),
      failed: Boolean(r.failed),
      errno,
      errnoName: errno === null ? null : errnoName(errno),
      suppressed: Boolean(r.suppressed),
      source: r.source === 'keep' ? 'keep' : 'ring',
    };
  });
}

export async function countAlerts(session: Session, bindings: Bindings): Promise<number> {
  await session.build(['alerts'], bindings);
  const [r] = await session.rows('select count(*) as n from alerts');
  return num(r!.n);
}

export interface CostPhase {
  phase: 'start-up' | 'steady';
  traces: number;
  samples: number;
  calls: number;
  nsPerCall: number | null;
  syncShare: number | null;
}

/** The recorder's cost in each trace's first summary interval (start-up) and after it (steady), queries/68_steady_cost.sql. */
export async function steadyCost(session: Session, bindings: Bindings): Promise<CostPhase[]> {
  await session.build(['steady_cost'], bindings);
  const rows = await session.rows('select * from steady_cost');
  return rows.map((r) => ({
    phase: r.phase === 'steady' ? 'steady' : 'start-up',
    traces: num(r.traces),
    samples: num(r.samples),
    calls: num(r.calls),
    nsPerCall: numOrNull(r.ns_per_call),
    syncShare: numOrNull(r.sync_share),
  }));
}

export async function overhead(session: Session, bindings: Bindings): Promise<Overhead | null> {
  await session.build(['overhead'], bindings);
  const [r] = await session.rows('select * from overhead');
  if (!r || num(r.entries) === 0) return null;
  return {
    entries: num(r.entries),
    samples: num(r.samples),
    calls: num(r.calls),
    syncCalls: num(r.sync_calls),
    syncNs: num(r.sync_ns),
    nsPerCall: numOrNull(r.ns_per_call),
    syncShare: numOrNull(r.sync_share),
  };
}
