/**
 * The size guard. Whatever the trace size, a report must stay small enough to
 * attach to a ticket (MAX_REPORT_BYTES). The query layer already samples
 * normal calls; this module caps what the renderer embeds, keeping every
 * outlier and failed call it can, and thins the rest deterministically.
 */
import type { ReportPoint } from './data.js';

/** The hard ceiling on a rendered report, in bytes. */
export const MAX_REPORT_BYTES = 3 * 1024 * 1024;

export interface Limits {
  /** Latency points embedded for the charts. */
  points: number;
  /** Files drawn in the latency-over-time chart. */
  timeFiles: number;
  /** Files drawn in the distribution chart. */
  histFiles: number;
  /** Files (rows) in the heat map. */
  heatFiles: number;
  /** Time buckets per file in the heat map; more are merged. */
  heatBuckets: number;
  /** Rows in the incident, outlier and failed-call tables. */
  rows: number;
  /** Rows in the per-file table. */
  fileRows: number;
  /** Rows in the traces table. */
  traceRows: number;
  /** Paths listed in one incident's row. */
  incidentPaths: number;
}

export const DEFAULT_LIMITS: Limits = {
  points: 15_000,
  timeFiles: 8,
  histFiles: 9,
  heatFiles: 30,
  heatBuckets: 240,
  rows: 200,
  fileRows: 300,
  traceRows: 200,
  incidentPaths: 4,
};

/** Limits shrunk by `factor` (0..1], for when a report comes out too large. */
export function shrink(limits: Limits, factor: number): Limits {
  const at = (n: number, floor: number) => Math.max(floor, Math.floor(n * factor));
  return {
    points: at(limits.points, 200),
    timeFiles: at(limits.timeFiles, 3),
    histFiles: at(limits.histFiles, 3),
    heatFiles: at(limits.heatFiles, 5),
    heatBuckets: at(limits.heatBuckets, 30),
    rows: at(limits.rows, 10),
    fileRows: at(limits.fileRows, 10),
    traceRows: at(limits.traceRows, 10),
    incidentPaths: at(limits.incidentPaths, 1),
  };
}

/** Which file a point belongs to: host and path when the host is known. */
export function fileKey(path: string, host?: string): string {
  return host === undefined ? path : `${host}\u0000${path}`;
}

export function isAbnormal(p: ReportPoint): boolean {
  return p.outlier || p.failed;
}

/** Worst first: failed calls, then the greatest latency over baseline, then latency. */
function severity(a: ReportPoint, b: ReportPoint): number {
  if (a.failed !== b.failed) return a.failed ? -1 : 1;
  const ra = a.baselineMs ? a.latencyMs / a.baselineMs : Infinity;
  const rb = b.baselineMs ? b.latencyMs / b.baselineMs : Infinity;
  if (ra !== rb) return rb > ra ? 1 : -1;
  return b.latencyMs - a.latencyMs;
}

/**
 * Share `budget` slots among groups of the given sizes as evenly as possible:
 * small groups keep everything, large ones share what is left.
 */
export function waterfill(sizes: number[], budget: number): number[] {
  const order = sizes.map((_, i) => i).sort((a, b) => (sizes[a] ?? 0) - (sizes[b] ?? 0) || a - b);
  const quota = new Array<number>(sizes.length).fill(0);
  let left = Math.max(0, budget);
  order.forEach((group, done) => {
    const share = Math.floor(left / (order.length - done));
    const q = Math.min(sizes[group] ?? 0, share);
    quota[group] = q;
    left -= q;
  });
  return quota;
}

/** `q` of `n` indices, evenly spread (deterministic). */
function stride(n: number, q: number): number[] {
  const picks: number[] = [];
  for (let j = 0; j < q; j++) picks.push(Math.floor((j * n) / q));
  return picks;
}

export interface Thinned {
  points: ReportPoint[];
  /** Normal calls left out here (on top of the query layer's `pointsOmitted`). */
  omittedNormal: number;
  /** Outliers and failed calls left out: only when there are more than the limit. */
  omittedAbnormal: number;
}

/**
 * At most `max` points, in their original order: every outlier and failed
 * call (or, if they alone exceed `max`, the worst of them), then normal calls
 * spread evenly over files and, within a file, over its points.
 */
export function thinPoints(points: ReportPoint[], max: number): Thinned {
  if (points.length <= max) return { points, omittedNormal: 0, omittedAbnormal: 0 };
  const abnormal: number[] = [];
  const normalByFile = new Map<string, number[]>();
  points.forEach((p, i) => {
    if (isAbnormal(p)) {
      abnormal.push(i);
      return;
    }
    const key = fileKey(p.path, p.host);
    const group = normalByFile.get(key);
    if (group) group.push(i);
    else normalByFile.set(key, [i]);
  });
  const normalCount = points.length - abnormal.length;

  let keep: number[];
  if (abnormal.length >= max) {
    keep = abnormal
      .slice()
      .sort((a, b) => severity(points[a]!, points[b]!) || a - b)
      .slice(0, max);
  } else {
    const groups = [...normalByFile.values()];
    const quotas = waterfill(groups.map((g) => g.length), max - abnormal.length);
    keep = abnormal.slice();
    groups.forEach((g, i) => {
      for (const j of stride(g.length, quotas[i] ?? 0)) keep.push(g[j]!);
    });
  }
  keep.sort((a, b) => a - b);
  const keptAbnormal = Math.min(abnormal.length, max);
  return {
    points: keep.map((i) => points[i]!),
    omittedNormal: normalCount - (keep.length - keptAbnormal),
    omittedAbnormal: abnormal.length - keptAbnormal,
  };
}
