/**
 * What the charts draw, in the compact column form embedded in the page:
 * files are numbered (so a path is written once), times are milliseconds
 * after `t0`, numbers are rounded to what a chart can show. The page expands
 * it into rows for Vega (client.ts). A file family (WAL segments, rotated
 * logs, temporaries: names that differ in a number or a random part) is one
 * row of every chart, as in the Files table, under its pattern.
 */
import type { ReportData, ReportFile, ReportPoint } from './data.js';
import { epochMs, shortPath, visible, clip } from './format.js';
import { fileKey, isAbnormal, thinPoints, type Limits } from './guard.js';
import { HEAT_BOUNDS_MS, HEAT_CLASSES } from './specs.js';

export interface ChartFile {
  /** Short, unique name for axes and headers: `3. …/pg_wal/000001`, or `2. …/pg_wal/# (12 files)` for a family. */
  label: string;
  /** The file, or its family's pattern. */
  path: string;
  /** Files drawn in this row: 1, or the family's members. */
  members: number;
  host: string;
  /** 1 = the file with the most outliers (then errors, then highest p99). */
  rank: number;
  p50: number | null;
  p99: number | null;
}

export interface ChartData {
  /** Epoch milliseconds that every `t` is relative to. */
  t0: number;
  files: ChartFile[];
  kinds: string[];
  points: {
    f: number[];
    t: number[];
    ms: number[];
    b: number[];
    bm: Array<number | null>;
    bp: Array<number | null>;
    k: number[];
    /** 0 normal, 1 outlier, 2 failed. */
    s: number[];
  };
  heat: { f: number[]; t: number[]; n: number[]; p99: number[]; max: number[]; x: number[] };
  heatBucketMs: number;
  /** The heat map's absolute colour classes and their bounds in ms (specs.ts). */
  heatClasses: string[];
  heatBounds: number[];
  /** Estimated calls per latency bin: bin i spans 10^(i/binsPerDecade) ms onwards. */
  hist: { f: number[]; bin: number[]; n: number[] };
  binsPerDecade: number;
  /** Format v2, the long-range chart: per file and UTC day (epoch ms), p50 and p99 and calls. */
  history: { f: number[]; t: number[]; p50: number[]; p99: number[]; n: number[] };
}

/** What the page says about how the charts were cut down. */
export interface ChartNotes {
  files: number;
  timeFiles: number;
  heatFiles: number;
  histFiles: number;
  /** How many of the query layer's heat buckets make one drawn bucket. */
  heatMerge: number;
  pointsShown: number;
  omittedNormal: number;
  omittedAbnormal: number;
  /** Files with daily history, and how many of them the long-range chart draws. */
  historyFiles: number;
  historyShown: number;
}

export const BINS_PER_DECADE = 4;

/** Round to `digits` significant digits, to keep the embedded JSON short. */
function round(x: number, digits: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}

/** What a row's members add up to: calls and errors summed, the worst p99, a p50 only for a single file. */
interface RowStats {
  calls: number;
  ringCalls: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number;
}

interface FileInfo {
  /** The file, or its family's pattern. */
  path: string;
  host: string;
  members: number;
  stats: RowStats | undefined;
  outliers: number;
  abnormal: number;
  rank: number;
}

function addStats(a: RowStats | undefined, f: ReportFile): RowStats {
  const ring = f.ringCalls ?? f.calls;
  if (!a) return { calls: f.calls, ringCalls: ring, errors: f.errors, p50Ms: f.p50Ms, p99Ms: f.p99Ms };
  return { calls: a.calls + f.calls, ringCalls: a.ringCalls + ring, errors: a.errors + f.errors, p50Ms: null, p99Ms: Math.max(a.p99Ms, f.p99Ms) };
}

/**
 * Every chart row the data mentions, ranked: a file, or a family of files as
 * one. Looked up by a member's host and path, or by path alone; a path that no
 * file names (a family's pattern from the heat query) is its own row.
 */
class FileIndex {
  readonly all: FileInfo[] = [];
  private byKey = new Map<string, FileInfo>();
  private byPath = new Map<string, FileInfo>();
  private familyByKey = new Map<string, string>();
  private familyByPath = new Map<string, string>();

  /** A file of the Files table: its row is its family's. */
  addFile(f: ReportFile): void {
    this.familyByKey.set(fileKey(f.path, f.host), f.family);
    if (!this.familyByPath.has(f.path)) this.familyByPath.set(f.path, f.family);
    const row = this.find(f.family, f.host);
    row.members += 1;
    row.stats = addStats(row.stats, f);
  }

  private add(path: string, host: string): FileInfo {
    const info: FileInfo = { path, host, members: 0, stats: undefined, outliers: 0, abnormal: 0, rank: 0 };
    this.all.push(info);
    this.byKey.set(fileKey(path, host), info);
    if (!this.byPath.has(path)) this.byPath.set(path, info);
    return info;
  }

  find(path: string, host?: string): FileInfo {
    const row = (host === undefined ? this.familyByPath.get(path) : this.familyByKey.get(fileKey(path, host))) ?? path;
    const found = host === undefined ? this.byPath.get(row) : this.byKey.get(fileKey(row, host));
    return found ?? this.add(row, host ?? '');
  }

  rank(): void {
    const sorted = this.all.slice().sort(
      (a, b) =>
        b.outliers - a.outliers ||
        (b.stats?.errors ?? 0) - (a.stats?.errors ?? 0) ||
        (b.stats?.p99Ms ?? 0) - (a.stats?.p99Ms ?? 0) ||
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
        (a.host < b.host ? -1 : a.host > b.host ? 1 : 0),
    );
    sorted.forEach((f, i) => (f.rank = i + 1));
  }
}

function indexFiles(data: ReportData): FileIndex {
  const index = new FileIndex();
  for (const f of data.files) index.addFile(f);
  for (const p of data.points) {
    const info = index.find(p.path, p.host);
    if (p.outlier) info.outliers += 1;
    if (isAbnormal(p)) info.abnormal += 1;
  }
  for (const d of data.history?.days ?? []) index.find(d.path, d.host);
  index.rank();
  return index;
}

/** Where the data starts, in epoch ms: the range, else the first point or heat bucket, else 0. */
function startMs(data: ReportData): number {
  if (data.range) return epochMs(data.range.start);
  let first = Infinity;
  for (const p of data.points) first = Math.min(first, epochMs(p.start));
  for (const c of data.heat) first = Math.min(first, epochMs(c.bucket));
  return Number.isFinite(first) ? first : 0;
}

/** Shapes the report's data for the charts, within `limits`. */
export function chartData(data: ReportData, limits: Limits): { chart: ChartData; notes: ChartNotes } {
  const index = indexFiles(data);
  const thinned = thinPoints(data.points, limits.points);
  const hosts = new Set(index.all.map((f) => f.host)).size;

  const t0 = Math.floor(startMs(data) / 1000) * 1000;

  // Files are numbered as the charts first need them.
  const files: ChartFile[] = [];
  const number = new Map<FileInfo, number>();
  const fileNo = (info: FileInfo): number => {
    let n = number.get(info);
    if (n === undefined) {
      n = files.length;
      number.set(info, n);
      const name = hosts > 1 ? `${info.host}:${shortPath(info.path, 36)}` : shortPath(info.path);
      files.push({
        label: `${info.rank}. ${name}${info.members > 1 ? ` (${info.members} files)` : ''}`,
        path: clip(visible(info.path), 300),
        members: Math.max(1, info.members),
        host: clip(visible(info.host), 100),
        rank: info.rank,
        p50: info.stats && info.stats.p50Ms !== null ? round(info.stats.p50Ms, 4) : null,
        p99: info.stats ? round(info.stats.p99Ms, 4) : null,
      });
    }
    return n;
  };

  const kinds: string[] = [];
  const kindNo = new Map<string, number>();
  const points: ChartData['points'] = { f: [], t: [], ms: [], b: [], bm: [], bp: [], k: [], s: [] };
  for (const p of thinned.points) {
    let k = kindNo.get(p.kind);
    if (k === undefined) {
      k = kinds.push(clip(visible(p.kind), 40)) - 1;
      kindNo.set(p.kind, k);
    }
    points.f.push(fileNo(index.find(p.path, p.host)));
    points.t.push(Math.round(epochMs(p.start) - t0));
    points.ms.push(round(p.latencyMs, 4));
    points.b.push(p.bytes);
    points.bm.push(p.baselineMs === null ? null : round(p.baselineMs, 3));
    points.bp.push(p.baselineP99Ms === null ? null : round(p.baselineP99Ms, 3));
    points.k.push(k);
    points.s.push(p.failed ? 2 : p.outlier ? 1 : 0);
  }

  const heatOut = heatCells(data, index, limits, t0, fileNo);
  const hist = histogram(thinned.points, index, limits.histFiles, fileNo);
  const historyOut = history(data, index, limits.timeFiles, fileNo);

  return {
    chart: {
      t0,
      files,
      kinds,
      points,
      heat: heatOut.heat,
      heatBucketMs: heatOut.bucketMs,
      heatClasses: [...HEAT_CLASSES],
      heatBounds: [...HEAT_BOUNDS_MS],
      hist,
      binsPerDecade: BINS_PER_DECADE,
      history: historyOut.history,
    },
    notes: {
      files: index.all.length,
      timeFiles: Math.min(limits.timeFiles, index.all.length),
      heatFiles: Math.min(limits.heatFiles, index.all.length),
      histFiles: Math.min(limits.histFiles, index.all.length),
      heatMerge: heatOut.merge,
      pointsShown: thinned.points.length,
      omittedNormal: thinned.omittedNormal + data.pointsOmitted,
      omittedAbnormal: thinned.omittedAbnormal,
      historyFiles: historyOut.files,
      historyShown: historyOut.shown,
    },
  };
}

/**
 * The long-range chart's rows: each day of the files with history, the
 * `maxFiles` best-ranked of them (the same order as the other charts). A
 * family's day adds up its members' calls, with its busiest member's p50 and
 * its worst member's p99 (never calmer than its worst file).
 */
function history(
  data: ReportData,
  index: FileIndex,
  maxFiles: number,
  fileNo: (info: FileInfo) => number,
): { history: ChartData['history']; files: number; shown: number } {
  const out: ChartData['history'] = { f: [], t: [], p50: [], p99: [], n: [] };
  const days = data.history?.days ?? [];
  const withHistory = [...new Set(days.map((d) => index.find(d.path, d.host)))].sort((a, b) => a.rank - b.rank);
  const shown = new Set(withHistory.slice(0, maxFiles));
  const cells = new Map<string, { f: number; t: number; p50: number; p99: number; n: number; busiest: number }>();
  for (const d of days) {
    const info = index.find(d.path, d.host);
    if (!shown.has(info)) continue;
    const f = fileNo(info);
    const t = Date.parse(`${d.day}T00:00:00Z`);
    const cell = cells.get(`${f}:${t}`);
    if (!cell) {
      cells.set(`${f}:${t}`, { f, t, p50: d.p50Ms, p99: d.p99Ms, n: d.calls, busiest: d.calls });
      continue;
    }
    if (d.calls > cell.busiest) {
      cell.busiest = d.calls;
      cell.p50 = d.p50Ms;
    }
    cell.p99 = Math.max(cell.p99, d.p99Ms);
    cell.n += d.calls;
  }
  for (const c of cells.values()) {
    out.f.push(c.f);
    out.t.push(c.t);
    out.p50.push(round(c.p50, 4));
    out.p99.push(round(c.p99, 4));
    out.n.push(c.n);
  }
  return { history: out, files: withHistory.length, shown: shown.size };
}

/**
 * Heat-map cells of the top files. When there are more buckets than the limit,
 * `merge` adjacent buckets become one: calls add up, p99 and max take the
 * highest (so a merged cell is never calmer than its worst part).
 */
function heatCells(
  data: ReportData,
  index: FileIndex,
  limits: Limits,
  t0: number,
  fileNo: (info: FileInfo) => number,
): { heat: ChartData['heat']; bucketMs: number; merge: number } {
  const baseMs = Math.max(1, data.heatBucketSeconds * 1000);
  let first = Infinity;
  let last = -Infinity;
  for (const c of data.heat) {
    const t = epochMs(c.bucket);
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const span = data.heat.length ? Math.floor((last - first) / baseMs) + 1 : 0;
  const merge = Math.max(1, Math.ceil(span / limits.heatBuckets));
  const bucketMs = baseMs * merge;

  const cells = new Map<string, { f: number; t: number; n: number; p99: number; max: number; x: number }>();
  for (const c of data.heat) {
    const info = index.find(c.path, c.host);
    if (info.rank > limits.heatFiles) continue;
    const t = epochMs(c.bucket);
    const slot = Math.floor((t - first) / bucketMs);
    const f = fileNo(info);
    const key = `${f}:${slot}`;
    const cell = cells.get(key);
    if (cell) {
      cell.n += c.calls;
      cell.p99 = Math.max(cell.p99, c.p99Ms);
      cell.max = Math.max(cell.max, c.maxMs);
      cell.x += c.failed;
    } else {
      cells.set(key, { f, t: Math.round(first + slot * bucketMs - t0), n: c.calls, p99: c.p99Ms, max: c.maxMs, x: c.failed });
    }
  }
  const heat: ChartData['heat'] = { f: [], t: [], n: [], p99: [], max: [], x: [] };
  for (const c of cells.values()) {
    heat.f.push(c.f);
    heat.t.push(c.t);
    heat.n.push(c.n);
    heat.p99.push(round(c.p99, 3));
    heat.max.push(round(c.max, 3));
    heat.x.push(c.x);
  }
  return { heat, bucketMs, merge };
}

/**
 * Latency histograms of the top files, from the points. Normal calls are
 * sampled, so each kept normal point stands for (calls − outliers − failed) /
 * (normal points kept) calls of its file; outliers and failed calls, all kept
 * unless there were too many, count for themselves.
 */
function histogram(
  kept: ReportPoint[],
  index: FileIndex,
  maxFiles: number,
  fileNo: (info: FileInfo) => number,
): ChartData['hist'] {
  const keptNormal = new Map<FileInfo, number>();
  const keptAbnormal = new Map<FileInfo, number>();
  for (const p of kept) {
    const info = index.find(p.path, p.host);
    if (info.rank > maxFiles) continue;
    const m = isAbnormal(p) ? keptAbnormal : keptNormal;
    m.set(info, (m.get(info) ?? 0) + 1);
  }
  const bins = new Map<string, { f: number; bin: number; n: number }>();
  for (const p of kept) {
    const info = index.find(p.path, p.host);
    if (info.rank > maxFiles) continue;
    const abnormal = isAbnormal(p);
    const weight = abnormal
      ? info.abnormal / (keptAbnormal.get(info) ?? 1)
      : Math.max(1, ((info.stats?.ringCalls ?? 0) - info.abnormal) / (keptNormal.get(info) ?? 1));
    const bin = Math.floor(Math.log10(Math.max(p.latencyMs, 1e-4)) * BINS_PER_DECADE + 1e-9);
    const f = fileNo(info);
    const key = `${f}:${bin}`;
    const b = bins.get(key);
    if (b) b.n += weight;
    else bins.set(key, { f, bin, n: weight });
  }
  const hist: ChartData['hist'] = { f: [], bin: [], n: [] };
  for (const b of bins.values()) {
    hist.f.push(b.f);
    hist.bin.push(b.bin);
    hist.n.push(Math.max(1, Math.round(b.n)));
  }
  return hist;
}
