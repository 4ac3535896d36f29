/**
 * Verdicts, outliers and incidents (queries/25_verdicts.sql, 30_outliers.sql,
 * 40_incidents.sql), read back as plain objects.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { DEFAULT_REPORT_PARAMS, bindings, type AnalysisParams, type ReportParams } from './params.js';
import type { Bindings } from './queries.js';
import type { Session } from './session.js';
import { errnoName, isoFromNs, num, numOrNull } from './values.js';

export type Cause = 'slow' | 'failed' | 'write-volume';
export type Scope = 'file' | 'process' | 'device';

export interface Outlier {
  rank: number;
  host: string;
  path: string;
  /** The file's family: its normalized path, or the path itself for a family of one. */
  family: string;
  familyMembers: number;
  pid: number;
  tid: number;
  exe: string;
  /** The program's name as users know it (the kernel's comm: redis-server, where exe is redis-check-rdb). */
  program: string;
  kind: string;
  /** ISO 8601 UTC. */
  start: string;
  latencyMs: number;
  baselineMs: number | null;
  baselineP99Ms: number | null;
  cutoffMs: number | null;
  /** What the baseline was drawn from: the family's window before the call, the rest of the recording, or the rest of its burst (queries/22_bursts.sql). */
  baselineSource: 'prior' | 'recording' | 'burst' | null;
  baselineHistory: number;
  /** latency / baseline median. */
  ratio: number | null;
  bytes: number | null;
  bytesRatio: number | null;
  reason: 'baseline' | 'threshold' | 'failed';
  cause: Cause;
  failed: boolean;
  errno: number | null;
  errnoName: string | null;
  incident: number;
}

export interface Incident {
  id: number;
  start: string;
  end: string;
  outliers: number;
  failed: number;
  files: number;
  families: number;
  processes: number;
  activeProcesses: number;
  activeFamilies: number;
  hosts: number;
  host: string;
  worstMs: number;
  worstPath: string;
  worstRatio: number | null;
  scope: Scope;
  cause: Cause;
  paths: string[];
  pids: number[];
  programs: string[];
  errnos: string[];
}

/** How many syncs were judged against a baseline, and why the others were not. */
export interface Judgement {
  judged: number;
  unjudged: number;
  /** Unjudged calls by reason: 'few calls', 'no file'. */
  reasons: Record<string, number>;
  /** Judged calls by what their baseline rests on: 'prior', 'recording', 'burst'. */
  sources: Record<string, number>;
}

/**
 * The bindings for an analysis of the loaded data: baseline buckets sized to
 * its span, so that a recording of seconds is judged as well as one of days.
 */
export async function analysisBindings(session: Session, params: AnalysisParams, report: ReportParams = DEFAULT_REPORT_PARAMS): Promise<Bindings> {
  const first = bindings(params, report);
  await session.build(['intervals'], first);
  const [r] = await session.rows('select (max(start_ns) - min(start_ns)) / 1e9 as span from intervals');
  const span = numOrNull(r?.span);
  return bindings(params, report, span ?? undefined);
}

export type OutlierOrder = 'rank' | 'time';

export interface OutlierFilter {
  order?: OutlierOrder;
  limit?: number;
  cause?: Cause;
  failedOnly?: boolean;
}

/** Outliers, worst first (or in time order), at most `limit` of them. */
export async function readOutliers(session: Session, b: Bindings, opts: OutlierFilter = {}): Promise<Outlier[]> {
  await session.build(['outliers'], b);
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
  const rows = await session.rows(`select * from outliers where ${where.join(' and ')} order by ${order}${limit}`, values);
  return rows.map((r) => {
    const errno = numOrNull(r.errno);
    return {
      rank: num(r.rank),
      host: String(r.host),
      path: String(r.path),
      family: String(r.family ?? r.path),
      familyMembers: num(r.family_members ?? 1),
      pid: num(r.pid),
      tid: num(r.tid),
      exe: String(r.exe ?? ''),
      program: String(r.program ?? ''),
      kind: String(r.kind),
      start: isoFromNs(r.start_ns)!,
      latencyMs: num(r.latency_ms),
      baselineMs: numOrNull(r.baseline_ms),
      baselineP99Ms: numOrNull(r.baseline_p99_ms),
      cutoffMs: numOrNull(r.cutoff_ms),
      baselineSource: (r.baseline_source ?? null) as Outlier['baselineSource'],
      baselineHistory: num(r.baseline_history),
      ratio: numOrNull(r.ratio),
      bytes: numOrNull(r.bytes),
      bytesRatio: numOrNull(r.bytes_ratio),
      reason: String(r.reason) as Outlier['reason'],
      cause: String(r.cause) as Cause,
      failed: Boolean(r.failed),
      errno,
      errnoName: errno === null ? null : errnoName(errno),
      incident: num(r.incident),
    };
  });
}

export async function countOutliers(session: Session, b: Bindings): Promise<number> {
  await session.build(['outliers'], b);
  const [r] = await session.rows('select count(*) as n from outliers');
  return num(r!.n);
}

/** Incidents in time order. */
export async function readIncidents(session: Session, b: Bindings): Promise<Incident[]> {
  await session.build(['incidents'], b);
  const rows = await session.rows('select * from incidents order by incident');
  return rows.map((r) => ({
    id: num(r.incident),
    start: isoFromNs(r.start_ns)!,
    end: isoFromNs(r.finish_ns)!,
    outliers: num(r.outliers),
    failed: num(r.failed),
    files: num(r.files),
    families: num(r.families),
    processes: num(r.processes),
    activeProcesses: num(r.active_processes),
    activeFamilies: num(r.active_families),
    hosts: num(r.hosts),
    host: String(r.host),
    worstMs: num(r.worst_ms),
    worstPath: String(r.worst_path),
    worstRatio: numOrNull(r.worst_ratio),
    scope: String(r.scope) as Scope,
    cause: String(r.cause) as Cause,
    paths: ((r.paths as string[] | null) ?? []).map(String),
    pids: ((r.pids as unknown[] | null) ?? []).map((p) => num(p as number)),
    programs: ((r.programs as string[] | null) ?? []).map(String),
    errnos: ((r.errnos as unknown[] | null) ?? []).map((e) => errnoName(num(e as number))),
  }));
}

/** Judged and unjudged syncs (queries/25_verdicts.sql). */
export async function readJudgement(session: Session, b: Bindings): Promise<Judgement> {
  await session.build(['verdicts'], b);
  const rows = await session.rows(
    'select judged, coalesce(unjudged, baseline_source) as why, count(*) as n from verdicts group by all order by all');
  const out: Judgement = { judged: 0, unjudged: 0, reasons: {}, sources: {} };
  for (const r of rows) {
    const n = num(r.n);
    if (r.judged) {
      out.judged += n;
      out.sources[String(r.why)] = n;
    } else {
      out.unjudged += n;
      out.reasons[String(r.why)] = n;
    }
  }
  return out;
}
