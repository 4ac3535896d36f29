/**
 * Everything the HTML report shows, as one ReportData (src/report/data.ts):
 * the query layer fills it, the renderer only draws it.
 */
import type {
  ReportAlerts, ReportData, ReportFailure, ReportHeatCell, ReportHistory, ReportIncident, ReportNodeSite, ReportOutlier, ReportOverhead, ReportPoint,
} from '../report/data.js';
import { countAlerts, dailyLatency, readAlerts, steadyCost } from './history.js';
import { readFindings } from './lint.js';
import { DEFAULT_REPORT_PARAMS, type AnalysisParams } from './params.js';
import type { Bindings } from './queries.js';
import { analysisBindings, countOutliers, readIncidents, readJudgement, readOutliers, type Outlier } from './outliers.js';
import type { Session } from './session.js';
import { fileSummaries, totals, traceInfo, type Totals } from './summary.js';
import { errnoName, isoFromNs, num, numOrNull } from './values.js';

/** How much of each list the report carries; the counts in `totals` are complete. */
export const REPORT_LIMITS = {
  outliers: 200,
  failures: 200,
  alerts: 200,
  nodeSites: 100,
  /** Heat-map buckets across the data's time range, about. */
  heatBuckets: 120,
};

const NICE_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export async function reportData(session: Session, params: AnalysisParams, now = new Date()): Promise<ReportData> {
  const sums = await totals(session, await analysisBindings(session, params));
  const heatBucketSeconds = heatBucket(sums.start, sums.end);
  const b = await analysisBindings(session, params, { ...DEFAULT_REPORT_PARAMS, heatBucketSeconds });
  const manyHosts = sums.hosts > 1;
  const traces = await traceInfo(session, b);
  const files = await fileSummaries(session, b);
  const top = await readOutliers(session, b, { limit: REPORT_LIMITS.outliers });
  const failed = await readOutliers(session, b, { failedOnly: true, order: 'time', limit: REPORT_LIMITS.failures });
  const incidents = await readIncidents(session, b);
  const outlierCount = await countOutliers(session, b);
  const points = await readPoints(session, b, manyHosts);
  const history = await readHistory(session, b, sums, manyHosts);
  const alerts = await readAlertSummary(session, b, sums);
  const judgement = await readJudgement(session, b);
  const families = await fileFamilies(session, b);
  const cost = await steadyCost(session, b);
  const steady = cost.find((c) => c.phase === 'steady');
  const startup = cost.find((c) => c.phase === 'start-up');
  const costOut: ReportOverhead | null = cost.length === 0 ? null : {
    nsPerCall: steady?.nsPerCall ?? null, syncShare: steady?.syncShare ?? null, samples: steady?.samples ?? 0, calls: steady?.calls ?? 0,
    startup: startup ? { nsPerCall: startup.nsPerCall, samples: startup.samples, calls: startup.calls, traces: startup.traces } : null,
  };
  const durability = await readFindings(session, b);
  const nodeSites = await readNodeSites(session, b);
  return {
    generatedAt: now.toISOString(),
    traces: traces.map((t) => ({
      file: t.file, host: t.host, pid: t.pid, exe: t.exe, program: t.name, syncs: t.syncs, cmdline: t.cmdline,
      start: t.start, end: t.end, records: t.records, dropped: t.dropped, torn: t.torn,
    })),
    range: sums.start && sums.end ? { start: sums.start, end: sums.end } : null,
    totals: {
      hosts: sums.hosts,
      processes: sums.processes,
      files: sums.files,
      calls: sums.calls,
      byKind: sums.byKind,
      errors: sums.errors,
      outliers: outlierCount,
      incidents: incidents.length,
      ...(sums.uncountedRecords > 0 ? { uncountedRecords: sums.uncountedRecords, uncountedTraces: sums.uncountedTraces } : {}),
    },
    worst: top[0] ? reportOutlier(top[0]) : null,
    files: files.map((f) => ({
      path: f.path, host: f.host, ...(families.get(`${f.host}\u0000${f.path}`) ?? { family: f.path, familyMembers: 1 }), calls: f.calls, byKind: f.byKind, errors: f.errors,
      bytes: f.bytes, p50Ms: f.p50Ms, p99Ms: f.p99Ms, maxMs: f.maxMs,
      ...(f.ringCalls !== f.calls ? { ringCalls: f.ringCalls } : {}),
    })),
    points,
    pointsOmitted: Math.max(0, sums.ringCalls - points.length),
    heat: await readHeat(session, b, manyHosts),
    heatBucketSeconds,
    incidents: incidents.map((i): ReportIncident => ({ ...i })),
    outliers: top.map(reportOutlier),
    failures: failed.map(reportFailure),
    params: {
      windowSeconds: params.windowSeconds,
      thresholdMs: params.thresholdMs,
      factor: params.factor,
      floorMs: params.floorMs,
      minHistory: params.minHistory,
    },
    judgement,
    history,
    alerts,
    overhead: costOut,
    durability,
    ...(nodeSites.length > 0 ? { nodeSites } : {}),
  };
}

/** The Node hook's calls per call site and API, most waited first. */
async function readNodeSites(session: Session, b: Bindings): Promise<ReportNodeSite[]> {
  await session.build(['js_call_sites'], b);
  const rows = await session.rows(`select * from js_call_sites limit ${REPORT_LIMITS.nodeSites}`);
  return rows.map((r) => ({
    host: String(r.host),
    site: r.site === null ? null : String(r.site),
    kind: String(r.kind),
    calls: num(r.calls),
    errors: num(r.errors),
    captured: num(r.captured),
    paired: num(r.paired),
    ambiguous: num(r.ambiguous),
    waitP50Ms: num(r.wait_p50_ms),
    waitP99Ms: num(r.wait_p99_ms),
    syncP50Ms: numOrNull(r.sync_p50_ms),
    syncP99Ms: numOrNull(r.sync_p99_ms),
    waitMs: num(r.wait_ms),
    syncMs: num(r.sync_ms),
    queuedMs: num(r.queued_ms),
    deliveryMs: num(r.delivery_ms),
    queuedShare: numOrNull(r.queued_share),
    paths: Array.isArray(r.paths) ? r.paths.map(String) : [],
  }));
}

/** The daily latency of the summarized history, or null when the traces hold no summaries. */
async function readHistory(session: Session, b: Bindings, sums: Totals, withHost: boolean): Promise<ReportHistory | null> {
  if (!sums.historyStart || !sums.historyEnd) return null;
  const days = await dailyLatency(session, b);
  return {
    start: sums.historyStart,
    end: sums.historyEnd,
    summarizedCalls: sums.summarizedOnly,
    ringCalls: sums.ringCalls,
    unaccounted: sums.unaccounted,
    days: days.map((d) => ({
      path: d.path, ...(withHost ? { host: d.host } : {}), day: d.day, calls: d.calls, p50Ms: d.p50Ms, p99Ms: d.p99Ms, maxMs: d.maxMs,
    })),
  };
}

/** The alerts, or null when no trace was recorded with alerts (no counters, no flagged call). */
async function readAlertSummary(session: Session, b: Bindings, sums: Totals): Promise<ReportAlerts | null> {
  if (sums.alertsWritten === 0 && sums.alertsSuppressed === 0 && sums.alertCalls === 0) return null;
  const list = await readAlerts(session, b, REPORT_LIMITS.alerts);
  return {
    written: sums.alertsWritten,
    suppressed: sums.alertsSuppressed,
    unsent: sums.alertsUnsent,
    fallback: sums.alertsFallback,
    total: await countAlerts(session, b),
    list: list.map((a) => ({
      start: a.start, path: a.path, host: a.host, pid: a.pid, exe: a.exe, program: a.program, kind: a.kind, latencyMs: a.latencyMs,
      error: a.errnoName, suppressed: a.suppressed, source: a.source,
    })),
  };
}

/** A round bucket width giving about REPORT_LIMITS.heatBuckets buckets over the range. */
export function heatBucket(start: string | null, end: string | null): number {
  if (!start || !end) return NICE_SECONDS[0]!;
  const span = (Date.parse(end) - Date.parse(start)) / 1000;
  const want = span / REPORT_LIMITS.heatBuckets;
  return NICE_SECONDS.find((s) => s >= want) ?? Math.ceil(want / 86400) * 86400;
}

async function readPoints(session: Session, b: Bindings, withHost: boolean): Promise<ReportPoint[]> {
  await session.build(['points'], b);
  const rows = await session.rows('select * from points order by start_ns');
  return rows.map((r) => ({
    path: String(r.path),
    ...(withHost ? { host: String(r.host) } : {}),
    start: isoFromNs(r.start_ns)!,
    kind: String(r.kind),
    latencyMs: num(r.latency_ms),
    bytes: num(r.bytes),
    baselineMs: numOrNull(r.baseline_ms),
    baselineP99Ms: numOrNull(r.baseline_p99_ms),
    outlier: Boolean(r.outlier),
    failed: Boolean(r.failed),
  }));
}

async function readHeat(session: Session, b: Bindings, withHost: boolean): Promise<ReportHeatCell[]> {
  await session.build(['heat'], b);
  const rows = await session.rows('select *, epoch_ns(bucket) as bucket_ns from heat order by host, path, bucket');
  return rows.map((r) => ({
    path: String(r.path),
    ...(withHost ? { host: String(r.host) } : {}),
    bucket: isoFromNs(r.bucket_ns)!,
    calls: num(r.calls),
    p99Ms: num(r.p99_ms),
    maxMs: num(r.max_ms),
    failed: num(r.failed),
  }));
}

/** Each file's family, by host and path (queries/18_families.sql). */
async function fileFamilies(session: Session, b: Bindings): Promise<Map<string, { family: string; familyMembers: number }>> {
  await session.build(['families'], b);
  const rows = await session.rows('select files.host, files.path, families.family, families.members from families join files using (file_id)');
  return new Map(rows.map((r) => [`${String(r.host)}\u0000${String(r.path)}`, { family: String(r.family), familyMembers: num(r.members) }]));
}

function reportOutlier(o: Outlier): ReportOutlier {
  return {
    path: o.path, host: o.host, pid: o.pid, tid: o.tid, program: o.program, family: o.family, kind: o.kind, start: o.start,
    latencyMs: o.latencyMs, baselineMs: o.baselineMs, baselineP99Ms: o.baselineP99Ms, cutoffMs: o.cutoffMs,
    baselineSource: o.baselineSource, ratio: o.ratio, bytes: o.bytes ?? 0, bytesRatio: o.bytesRatio, reason: o.reason,
    cause: o.cause, errnoName: o.errnoName, incident: o.incident,
  };
}

function reportFailure(o: Outlier): ReportFailure {
  const errno = o.errno ?? 0;
  return {
    path: o.path, host: o.host, pid: o.pid, tid: o.tid, program: o.program, incident: o.incident, kind: o.kind, start: o.start,
    errno, errnoName: errnoName(errno),
  };
}
